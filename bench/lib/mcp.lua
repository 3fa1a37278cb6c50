-- wrk script for MCP Streamable HTTP tool calls (used by bench/run.sh).
--
-- BENCH_BODIES: a file of JSON-RPC request bodies, one per line; each request takes the next one
--               (each wrk thread starts at its own offset), so add-to-cart can rotate over
--               sessions and products.
-- BENCH_AUTH:   an access token; when set every request carries `Authorization: Bearer <it>`.
-- BENCH_LABEL:  a JSON object (without the closing brace) that done() prints its figures into,
--               e.g. {"server":"ours","store":"memory","tool":"search","concurrency":64
--
-- BENCH_EXPECT: optional; a file of literal strings, one per line, that a right answer holds in
--               this order, or anywhere when the first line is "# any order" (client.mjs prepare
--               writes them from the answer the server gave at rest: the search's total and
--               product ids in order, the cart's products in any order, ping's empty result).
-- BENCH_SAMPLE: with BENCH_EXPECT, every how many 200 answers one is checked (default 16).
--
-- A response counts as failed when its status is not 200 or its body holds a JSON-RPC error or
-- "isError":true; a checked 200 answer without the expected strings counts as wrong (the first
-- wrong body of each thread is printed to stderr). done() prints one JSON line: requests/s,
-- p50/p99/max latency in ms, failures, answers checked and wrong ones.

local bodies = {}
local position = 0
-- Counted per thread; globals, because done() reads them with thread:get (a global lookup in
-- each thread's Lua state: a `local` here would always read as nil there).
failures = 0
checked = 0
wrong = 0
local expected = {}
local any_order = false
local sample_every = 16
local seen_ok = 0
local threads = {}
local thread_count = 0

local function load_bodies()
  local path = os.getenv("BENCH_BODIES")
  if not path then error("BENCH_BODIES is not set") end
  local file = io.open(path, "r")
  if not file then error("cannot open " .. path) end
  for line in file:lines() do
    if #line > 0 then bodies[#bodies + 1] = line end
  end
  file:close()
  if #bodies == 0 then error(path .. " holds no request body") end
end

local function load_expected()
  local path = os.getenv("BENCH_EXPECT")
  if not path or path == "" then return end
  local file = io.open(path, "r")
  if not file then error("cannot open " .. path) end
  for line in file:lines() do
    if line == "# any order" and #expected == 0 then
      any_order = true
    elseif #line > 0 then
      expected[#expected + 1] = line
    end
  end
  file:close()
  if #expected == 0 then error(path .. " holds no expected string") end
  sample_every = tonumber(os.getenv("BENCH_SAMPLE") or "16") or 16
end

-- Whether body holds every expected string (in order unless any_order).
local function right(body)
  local at = 1
  for _, literal in ipairs(expected) do
    local found = string.find(body, literal, at, true)
    if not found then return false, literal end
    if not any_order then at = found + #literal end
  end
  return true
end

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_index", thread_count)
  table.insert(threads, thread)
end

function init(args)
  load_bodies()
  load_expected()
  position = ((thread_index or 1) - 1) * 7919 % #bodies
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json, text/event-stream"
  local auth = os.getenv("BENCH_AUTH")
  if auth and #auth > 0 then wrk.headers["Authorization"] = "Bearer " .. auth end
end

function request()
  position = position % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[position])
end

function response(status, headers, body)
  if status ~= 200 or string.find(body, '"isError":true', 1, true) or string.find(body, '"error":{', 1, true) then
    failures = failures + 1
    return
  end
  if #expected == 0 then return end
  seen_ok = seen_ok + 1
  if (seen_ok - 1) % sample_every ~= 0 then return end
  checked = checked + 1
  local ok, missing = right(body)
  if not ok then
    wrong = wrong + 1
    if wrong == 1 then
      io.stderr:write("wrong answer (no " .. missing .. "): " .. string.sub(body, 1, 400) .. "\n")
    end
  end
end

function done(summary, latency, requests)
  local failed, checked_all, wrong_all = 0, 0, 0
  for _, thread in ipairs(threads) do
    failed = failed + (thread:get("failures") or 0)
    checked_all = checked_all + (thread:get("checked") or 0)
    wrong_all = wrong_all + (thread:get("wrong") or 0)
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local label = os.getenv("BENCH_LABEL") or "{"
  if label ~= "{" then label = label .. "," end
  io.write(string.format(
    '%s"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"failed":%d,' ..
    '"socket_errors":%d,"checked":%d,"wrong":%d}\n',
    label, summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    failed, e.connect + e.read + e.write + e.timeout, checked_all, wrong_all))
end
