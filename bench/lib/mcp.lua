-- wrk script for MCP Streamable HTTP tool calls (used by bench/run.sh).
--
-- BENCH_BODIES: a file of JSON-RPC request bodies, one per line; each request takes the next one
--               (each wrk thread starts at its own offset), so add-to-cart can rotate over
--               sessions and products.
-- BENCH_LABEL:  a JSON object (without the closing brace) that done() prints its figures into,
--               e.g. {"server":"ours","store":"memory","tool":"search","concurrency":64
--
-- A response counts as failed when its status is not 200 or its body holds a JSON-RPC error or
-- "isError":true. done() prints one JSON line: requests/s, p50/p99/max latency in ms, failures.

local bodies = {}
local position = 0
local failures = 0
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

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_index", thread_count)
  table.insert(threads, thread)
end

function init(args)
  load_bodies()
  position = ((thread_index or 1) - 1) * 7919 % #bodies
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json, text/event-stream"
end

function request()
  position = position % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[position])
end

function response(status, headers, body)
  if status ~= 200 or string.find(body, '"isError":true', 1, true) or string.find(body, '"error":{', 1, true) then
    failures = failures + 1
  end
end

function done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do
    failed = failed + (thread:get("failures") or 0)
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local label = os.getenv("BENCH_LABEL") or "{"
  if label ~= "{" then label = label .. "," end
  io.write(string.format(
    '%s"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"failed":%d,' ..
    '"socket_errors":%d}\n',
    label, summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    failed, e.connect + e.read + e.write + e.timeout))
end
