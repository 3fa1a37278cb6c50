// The small MCP client bench/run.sh uses around wrk (Node.js, no dependencies):
//
//   client.mjs call URL TOOL [ARGS_JSON]             one tool call; prints the result
//   client.mjs prepare URL DIR [SESSIONS]             DIR/search.txt, cart.txt, ping.txt: wrk request bodies;
//                                                      DIR/*.expect: what a right answer to each holds (wrk
//                                                      samples answers under load and counts wrong ones);
//                                                      DIR/search-answer.json: the search's ids and fields
//   client.mjs compare OURS_JSON PEER_JSON             exit 1 unless the peer's search answer has our ids and
//                                                      exactly our fields (two search-answer.json files)
//   client.mjs coldstart PATH RUNS CMD [ARGS...]       start CMD (e.g. taskset -c 0 server) on a free PORT, time
//                                                      to the first answered tools/list; RSS when idle; JSON
//   client.mjs sessions URL COUNT CONCURRENCY PID      COUNT sessions with a 3-item cart each; PID's RSS; JSON
//   client.mjs acp BASE COUNT CONCURRENCY PID STORE     COUNT ACP checkouts (create → update → complete over REST,
//                                                      demo merchant key) at CONCURRENCY; latency of each step and
//                                                      of the whole checkout, PID's CPU time; JSON
//   client.mjs report JSONL OUT_BASE                    the table with the targets; writes OUT_BASE.{txt,json}
//
// Every request is a stateless Streamable HTTP POST (no initialize, no Mcp-Session-Id), as wrk sends them.
import http from 'node:http';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
let nextId = 1;

function post(url, body, options) {
  return postRaw(url, body, options).then(({ json }) => json);
}

// The answer as JSON and as the text it came as (for the literal strings wrk looks for).
function postRaw(url, body, { keepAlive = true } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const data = JSON.stringify(body);
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'POST',
      agent: keepAlive ? agent : false, headers: { 'content-type': 'application/json',
        accept: 'application/json, text/event-stream', 'content-length': Buffer.byteLength(data) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        let text = Buffer.concat(chunks).toString('utf8');
        // Servers may answer as an SSE stream even when JSON was accepted first: take its data line.
        if ((res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
          text = text.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5)).pop() ?? '';
        }
        if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode} from ${url}: ${text.slice(0, 300)}`));
        try { resolve({ json: JSON.parse(text), text }); } catch { reject(new Error(`not JSON from ${url}: ${text.slice(0, 300)}`)); }
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

const rpc = (method, params) => ({ jsonrpc: '2.0', id: nextId++, method, ...(params ? { params } : {}) });
const toolBody = (name, args) => rpc('tools/call', { name, arguments: args });

async function call(url, name, args) {
  const answer = await post(url, toolBody(name, args));
  if (answer.error) throw new Error(`${name}: JSON-RPC error ${JSON.stringify(answer.error)}`);
  if (answer.result?.isError) throw new Error(`${name}: ${JSON.stringify(answer.result.content)}`);
  return answer.result;
}

async function newSession(url) {
  const r = await call(url, 'create-target-session', {});
  const id = r.structuredContent?.sessionId ?? /sess_[0-9a-zA-Z_-]+/.exec(JSON.stringify(r))?.[0];
  if (!id) throw new Error(`create-target-session returned no sessionId: ${JSON.stringify(r).slice(0, 300)}`);
  return id;
}

// Every field path of a JSON value, arrays as [] (the union over their elements), sorted.
function fieldPaths(value, prefix = '', out = new Set()) {
  if (Array.isArray(value)) {
    for (const v of value) fieldPaths(v, `${prefix}[]`, out);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.add(`${prefix}.${k}`);
      fieldPaths(v, `${prefix}.${k}`, out);
    }
  }
  return [...out].sort();
}

// The string a JSON answer holds for `"key":value` as this server writes it (with or without a space).
function literal(text, key, value) {
  const compact = `"${key}":${value}`, spaced = `"${key}": ${value}`;
  if (text.includes(compact)) return compact;
  if (text.includes(spaced)) return spaced;
  throw new Error(`the answer does not hold ${compact}: ${text.slice(0, 300)}`);
}

async function inStockProducts(url, dir) {
  const { json, text } = await postRaw(url, toolBody('search-target-products', { query: 'desk lamp' }));
  const r = json.result;
  if (json.error || !r || r.isError) throw new Error(`search-target-products: ${text.slice(0, 300)}`);
  const found = (r.structuredContent?.products ?? []).map((p) => p.id);
  if (found.length === 0) throw new Error(`search for "desk lamp" found nothing: ${text.slice(0, 300)}`);
  if (dir) {
    // What the search found and the fields it answers with, so run.sh can check that the peers answer
    // like the server does, and what wrk looks for in the answers it samples under load: the total and
    // every product id, in order.
    writeFileSync(`${dir}/search-answer.json`, JSON.stringify({ total: r.structuredContent?.total, ids: found,
      // (`isError: false` is the same as no isError, MCP's default; some SDKs leave it out.)
      bytes: text.length, fields: fieldPaths(r).filter((f) => f !== '.isError' || r.isError) }) + '\n');
    writeFileSync(`${dir}/search.expect`, [literal(text, 'total', r.structuredContent.total), ...found.map((id) => `"${id}"`)].join('\n') + '\n');
  }
  const ids = (r.structuredContent?.products ?? []).filter((p) => p.inStock !== false).map((p) => p.id);
  if (ids.length < 3) throw new Error(`search for "desk lamp" gave fewer than 3 in-stock products: ${text.slice(0, 300)}`);
  return ids.slice(0, 3);
}

async function prepare(url, dir, sessions = 64) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/search.txt`, JSON.stringify(toolBody('search-target-products', { query: 'desk lamp' })) + '\n');
  writeFileSync(`${dir}/ping.txt`, JSON.stringify(rpc('ping')) + '\n'); // the floor: HTTP + JSON-RPC, no tool
  const pong = await postRaw(url, rpc('ping'));
  writeFileSync(`${dir}/ping.expect`, literal(pong.text, 'result', '{}') + '\n');
  const tools = (await post(url, rpc('tools/list'))).result?.tools?.map((t) => t.name) ?? [];
  if (!tools.includes('search-target-products')) throw new Error(`${url} has no search-target-products tool (tools: ${tools.join(', ')})`);
  const products = await inStockProducts(url, dir);
  if (!tools.includes('create-target-session') || !tools.includes('add-to-cart')) {
    writeFileSync(`${dir}/cart.txt`, '');
    console.log(`prepare: ${url} lists no create-target-session/add-to-cart: add-to-cart is skipped`);
    return;
  }
  const lines = [];
  for (let s = 0; s < sessions; s++) {
    const sessionId = await newSession(url);
    for (const productId of products) lines.push(JSON.stringify(toolBody('add-to-cart', { sessionId, productId, quantity: 1 })));
  }
  writeFileSync(`${dir}/cart.txt`, lines.join('\n') + '\n');
  // After the warm-up every session's cart holds the three products (added concurrently: any order).
  writeFileSync(`${dir}/cart.expect`, ['# any order', ...products.map((id) => `"${id}"`)].join('\n') + '\n');
  console.log(`prepare: ${sessions} sessions × products ${products.join(', ')}`);
}

const freePort = () => new Promise((resolve) => {
  const srv = net.createServer().listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
});

const rssKb = (pid, field = 'VmRSS') => {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : null;
};

async function coldstart(path, runs, [bin, ...binArgs]) {
  const times = [];
  let idle = null;
  for (let run = 0; run < runs; run++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}${path}`;
    const t0 = process.hrtime.bigint();
    const child = spawn(bin, binArgs, { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
    let exited = false;
    child.on('exit', () => { exited = true; });
    for (;;) {
      if (exited) throw new Error(`${bin} exited before answering tools/list`);
      if (Number(process.hrtime.bigint() - t0) > 30e9) throw new Error(`${bin}: no tools/list answer within 30 s`);
      try {
        const answer = await post(url, rpc('tools/list'), { keepAlive: false });
        if (answer.result?.tools?.length) break;
      } catch { await new Promise(setImmediate); }
    }
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (run === 0) { await sleep(2000); idle = rssKb(child.pid); }
    child.kill('SIGTERM');
    await new Promise((r) => (exited ? r() : child.on('exit', r)));
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { kind: 'coldstart', runs_ms: times.map((t) => +t.toFixed(1)), median_ms: +sorted[Math.floor(sorted.length / 2)].toFixed(1),
    idle_rss_kb: idle };
}

async function sessions(url, count, concurrency, pid) {
  const products = await inStockProducts(url);
  const before = rssKb(pid);
  const t0 = Date.now();
  let made = 0;
  const worker = async () => {
    while (made < count) {
      made++;
      const sessionId = await newSession(url);
      for (const productId of products) await call(url, 'add-to-cart', { sessionId, productId, quantity: 1 });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (Date.now() - t0) / 1000;
  await sleep(1000);
  return { kind: 'sessions', count, seconds: +seconds.toFixed(2), rss_before_kb: before, rss_kb: rssKb(pid), hwm_kb: rssKb(pid, 'VmHWM') };
}

// ---------------------------------------------------------------------------- ACP checkout
// One REST request to the ACP merchant API with the demo key; resolves { status, body, ms }.
function acpRequest(base, method, path, key, body) {
  return new Promise((resolve, reject) => {
    const u = new URL(base + path);
    const data = body == null ? '' : JSON.stringify(body);
    const headers = { authorization: 'Bearer acp_demo_merchant_key', 'api-version': '2026-04-17',
      'content-type': 'application/json', 'content-length': Buffer.byteLength(data) };
    if (key) headers['idempotency-key'] = key;
    const t0 = process.hrtime.bigint();
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        try { resolve({ status: res.statusCode, body: JSON.parse(Buffer.concat(chunks).toString('utf8')), ms }); } catch (e) { reject(e); }
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

const cpuTicks = (pid) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return Number(f[11]) + Number(f[12]); };
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function acp(base, count, concurrency, pid, store) {
  const products = await inStockProducts(`${base}/mcp/all`);
  const address = { name: 'Bench', line_one: '1000 Nicollet Mall', city: 'Minneapolis', state: 'MN', country: 'US', postal_code: '55403' };
  const steps = { create: [], update: [], complete: [], checkout: [] };
  let started = 0, failed = 0;
  const run = async (n, record) => {
    const t0 = process.hrtime.bigint();
    const c = await acpRequest(base, 'POST', '/checkout_sessions', `bench-${n}-c`, { currency: 'usd', capabilities: {},
      line_items: [{ id: products[0], quantity: 1 }], fulfillment_details: { address } });
    const u = c.status === 201 && await acpRequest(base, 'POST', `/checkout_sessions/${c.body.id}`, `bench-${n}-u`,
      { line_items: [{ id: products[0], quantity: 2 }, { id: products[1], quantity: 1 }] });
    const d = u && u.status === 200 && await acpRequest(base, 'POST', `/checkout_sessions/${c.body.id}/complete`, `bench-${n}-d`,
      { buyer: { email: 'bench@example.com' }, payment_data: { handler_id: 'card_tokenized', instrument: { type: 'card', credential: { type: 'spt', token: 'tok_bench' } } } });
    if (!d || d.status !== 200 || d.body.status !== 'completed') { failed++; return; }
    if (!record) return;
    steps.create.push(c.ms); steps.update.push(u.ms); steps.complete.push(d.ms);
    steps.checkout.push(Number(process.hrtime.bigint() - t0) / 1e6);
  };
  const tag = `${process.pid}-${Date.now()}`;
  for (let i = 0; i < 50; i++) await run(`${tag}-warm-${i}`, false); // warm-up, not measured
  const before = cpuTicks(pid);
  const t0 = Date.now();
  const worker = async () => { while (started < count) { const n = started++; await run(`${tag}-${n}`, true); } };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (Date.now() - t0) / 1000;
  const cpu = (cpuTicks(pid) - before) / 100; // USER_HZ
  const summary = Object.fromEntries(Object.entries(steps).map(([k, v]) => { const s = [...v].sort((a, b) => a - b);
    return [k, { p50_ms: +pct(s, 50).toFixed(2), p99_ms: +pct(s, 99).toFixed(2) }]; }));
  return { kind: 'acp_checkout', store, count, concurrency, seconds: +seconds.toFixed(2), checkouts_per_s: +(steps.checkout.length / seconds).toFixed(1),
    failed, server_cpu_ms_per_checkout: +((1000 * cpu) / Math.max(1, steps.checkout.length)).toFixed(2), ...summary };
}

// ---------------------------------------------------------------------------------------- report
const mb = (kb) => (kb == null ? 'n/a' : `${(kb / 1024).toFixed(1)} MB`);
// The share of a core the server (and redis-server) got during the run, and their CPU time per request:
// when other work on the machine takes the server's core, req/s drops but CPU µs/req stays comparable.
const cpuOf = (r) => (r.server_cpu_s == null ? null : r.server_cpu_s + (r.redis_cpu_s ?? 0));
const core = (r) => (r.server_cpu_s == null ? 'n/a' : `${Math.round((100 * r.server_cpu_s) / r.seconds)}%` +
  (r.redis_cpu_s == null ? '' : `+${Math.round((100 * r.redis_cpu_s) / r.seconds)}%`));
const cpuPerReq = (r) => (cpuOf(r) == null || !r.requests ? 'n/a' : ((1e6 * cpuOf(r)) / r.requests).toFixed(0));
// Other processes' share of the server's CPU during the run (its busy time less the server's and redis-server's).
const other = (r) => (r.core_busy_s == null || r.server_cpu_s == null ? 'n/a'
  : `${Math.max(0, Math.round((100 * (r.core_busy_s - cpuOf(r))) / r.seconds))}%`);
const verdict = (ok) => (ok == null ? 'n/a' : ok ? 'met' : 'NOT met');

function report(jsonl, outBase) {
  const rows = readFileSync(jsonl, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const meta = rows.find((r) => r.kind === 'meta') ?? {};
  const loads = rows.filter((r) => r.kind === 'load');
  const out = [];
  out.push(`MCP load benchmark — ${meta.date ?? ''}`);
  if (meta.machine) out.push(`machine: ${meta.machine}`);
  if (meta.command) out.push(`command: ${meta.command}`);
  if (meta.pinning) out.push(`pinning: ${meta.pinning}`);
  if (meta.versions) out.push(`versions: ${meta.versions}`);
  out.push('');
  out.push('server      store   tool         conc   req/s      p50 ms   p99 ms   failed  wrong/checked  peak RSS   server core  CPU µs/req  other');
  for (const r of loads) {
    const peak = rows.find((x) => x.kind === 'peak_rss' && x.server === r.server && x.store === r.store);
    out.push(`${r.server.padEnd(11)} ${(r.store ?? '-').padEnd(7)} ${r.tool.padEnd(12)} ${String(r.concurrency).padStart(4)} ` +
      `${r.rps.toFixed(0).padStart(8)} ${r.p50_ms.toFixed(2).padStart(10)} ${r.p99_ms.toFixed(2).padStart(8)} ` +
      `${String(r.failed + r.socket_errors).padStart(8)}  ${(r.checked == null ? 'n/a' : `${r.wrong}/${r.checked}`).padStart(13)}  ${mb(peak?.hwm_kb).padEnd(9)}  ${core(r).padStart(11)}  ${cpuPerReq(r).padStart(10)}  ${other(r).padStart(5)}`);
  }
  out.push('(wrong/checked: of the answers sampled under load, one in 16, how many lacked what the server answered at rest;',
    ' server core: the share of one core the server, +redis-server, used during the run; CPU µs/req: their CPU time',
    ' per request, user + system; other: other processes\' share of the server\'s core during the run)');
  const find = (server, store, tool, c) => loads.find((r) => r.server === server && (store == null || r.store === store) && r.tool === tool && r.concurrency === c);
  const ours64 = find('ours', 'memory', 'search', 64);
  const ts64 = find('typescript', null, 'search', 64);
  const py64 = find('python', null, 'search', 64);
  const ratio = (a, b) => (a && b ? a.rps / b.rps : null);
  const targets = [];
  if (ours64 && (ts64 || py64)) {
    targets.push({ what: 'search req/s at c=64, ours / TypeScript SDK', value: ratio(ours64, ts64), unit: '×', target: '≥ 20×', ok: ratio(ours64, ts64) == null ? null : ratio(ours64, ts64) >= 20 });
    targets.push({ what: 'search req/s at c=64, ours / Python SDK', value: ratio(ours64, py64), unit: '×', target: '≥ 40×', ok: ratio(ours64, py64) == null ? null : ratio(ours64, py64) >= 40 });
    const cpuRatio = (a, b) => (a && b && cpuOf(a) && cpuOf(b) ? (cpuOf(b) / b.requests) / (cpuOf(a) / a.requests) : null);
    const cts = cpuRatio(ours64, ts64), cpy = cpuRatio(ours64, py64);
    targets.push({ what: '  the same by server CPU time per request, peer / ours (TypeScript)', value: cts, unit: '×', target: '≥ 20×', ok: cts == null ? null : cts >= 20 });
    targets.push({ what: '  the same by server CPU time per request, peer / ours (Python)', value: cpy, unit: '×', target: '≥ 40×', ok: cpy == null ? null : cpy >= 40 });
  }
  const bearer64 = find('ours', 'memory', 'search-bearer', 64);
  const session64 = find('ours', 'memory', 'search-session', 64);
  const extraOver = (base) => 100 * ((cpuOf(bearer64) / bearer64.requests) / (cpuOf(base) / base.requests) - 1);
  if (session64 && bearer64 && cpuOf(session64) && cpuOf(bearer64)) {
    const extra = extraOver(session64);
    targets.push({ what: 'search with a bearer token at c=64: server CPU per request over the same search with a session and no token', value: extra, unit: '%', target: '≤ +5%', ok: extra <= 5 });
  }
  if (ours64 && bearer64 && cpuOf(ours64) && cpuOf(bearer64)) {
    targets.push({ what: '  the same over a search without any session (no search history to record)', value: extraOver(ours64), unit: '%', target: '(info)', ok: null });
  }
  const pingOurs = find('ours', 'memory', 'ping', 64);
  if (pingOurs && py64 && cpuOf(pingOurs) && cpuOf(py64)) {
    const need = (1e6 * cpuOf(py64)) / py64.requests / 40, floor = (1e6 * cpuOf(pingOurs)) / pingOurs.requests;
    targets.push({ what: `  40× Python needs a search in ≤ ${need.toFixed(0)} µs of CPU; a JSON-RPC ping costs ours`, value: floor, unit: 'µs', target: '(info)', ok: null });
  }
  for (const store of ['memory', 'redis']) {
    for (const tool of ['search', 'add-to-cart']) {
      const r = find('ours', store, tool, 16) ?? (store === 'memory' ? find('url', null, tool, 16) : null);
      if (r) targets.push({ what: `p99 at c=16, ${tool} (${r.server === 'url' ? 'target URL' : store + ' store'})`, value: r.p99_ms, unit: 'ms', target: '≤ 5 ms', ok: r.p99_ms <= 5 });
    }
  }
  const cold = rows.find((r) => r.kind === 'coldstart');
  if (cold) {
    targets.push({ what: `cold start to first tools/list (median of ${cold.runs_ms.length}: ${cold.runs_ms.join(', ')})`, value: cold.median_ms, unit: 'ms', target: '≤ 100 ms', ok: cold.median_ms <= 100 });
    targets.push({ what: 'idle RSS (2 s after the first answer)', value: cold.idle_rss_kb / 1024, unit: 'MB', target: '≤ 30 MB', ok: cold.idle_rss_kb / 1024 <= 30 });
  }
  for (const s of rows.filter((r) => r.kind === 'sessions')) {
    targets.push({ what: `RSS with ${s.count} sessions × 3-item cart (${s.store} store; made in ${s.seconds} s)`, value: s.rss_kb / 1024, unit: 'MB', target: s.store === 'memory' ? '≤ 100 MB' : '(info)', ok: s.store === 'memory' ? s.rss_kb / 1024 <= 100 : null });
  }
  if (targets.length) {
    out.push('');
    out.push('targets');
    for (const t of targets) {
      const v = t.value == null ? 'n/a' : `${t.value.toFixed(t.unit === 'µs' ? 0 : t.unit === '×' || t.unit === 'MB' ? 1 : 2)}${t.unit === '×' ? '×' : ' ' + t.unit}`;
      out.push(`  ${t.what.padEnd(78)} ${v.padStart(10)}   target ${t.target.padEnd(9)} ${verdict(t.ok)}`);
    }
  }
  for (const e of rows.filter((r) => r.kind === 'answer' && r.server !== 'ours')) {
    const ours = rows.find((r) => r.kind === 'answer' && r.server === 'ours');
    if (!ours) continue;
    const same = ours.total === e.total && ours.ids.join() === e.ids.join();
    out.push(`${e.server} answers "desk lamp" ${same ? 'exactly like ours' : 'DIFFERENTLY from ours'}: ${e.total} matches, ` +
      `first ${e.ids.slice(0, 3).join(', ')}… (ours ${ours.total}: ${ours.ids.slice(0, 3).join(', ')}…); result ${e.bytes} bytes, ours ${ours.bytes}`);
  }
  const acpRows = rows.filter((r) => r.kind === 'acp_checkout');
  if (acpRows.length) {
    out.push('', 'ACP checkout over REST (create → update → complete, test payment provider)');
    out.push('store   conc  checkouts  per s   create p50/p99 ms  update p50/p99 ms  complete p50/p99 ms  checkout p50/p99 ms  server CPU ms/checkout  failed');
    for (const r of acpRows) {
      const pp = (x) => `${x.p50_ms.toFixed(2)} / ${x.p99_ms.toFixed(2)}`.padStart(18);
      out.push(`${r.store.padEnd(7)} ${String(r.concurrency).padStart(4)}  ${String(r.count).padStart(9)}  ${r.checkouts_per_s.toFixed(0).padStart(5)}  ` +
        `${pp(r.create)} ${pp(r.update)} ${pp(r.complete).padStart(20)} ${pp(r.checkout).padStart(20)}  ${r.server_cpu_ms_per_checkout.toFixed(2).padStart(22)}  ${String(r.failed).padStart(6)}`);
    }
  }
  const peers = rows.filter((r) => r.kind === 'peak_rss' && r.server !== 'ours');
  if (peers.length) out.push('', 'peer peak RSS: ' + peers.map((p) => `${p.server} ${mb(p.hwm_kb)}`).join(', '));
  const redisRss = rows.find((r) => r.kind === 'redis_rss');
  if (redisRss) out.push(`redis-server RSS after the Redis runs: ${mb(redisRss.rss_kb)}`);
  const text = out.join('\n') + '\n';
  writeFileSync(`${outBase}.txt`, text);
  writeFileSync(`${outBase}.json`, JSON.stringify({ meta, loads, targets, rows }, null, 2) + '\n');
  process.stdout.write(text);
}

// The peer's search answer against ours: the same products, and exactly the same fields.
function compare(oursFile, peerFile) {
  const ours = JSON.parse(readFileSync(oursFile, 'utf8')), peer = JSON.parse(readFileSync(peerFile, 'utf8'));
  const problems = [];
  if (ours.total !== peer.total || ours.ids.join() !== peer.ids.join()) {
    problems.push(`other products: ${peer.total} (${peer.ids.join(', ')}), ours ${ours.total} (${ours.ids.join(', ')})`);
  }
  const missing = ours.fields.filter((f) => !peer.fields.includes(f)), extra = peer.fields.filter((f) => !ours.fields.includes(f));
  if (missing.length) problems.push(`fields ours has and the peer lacks: ${missing.join(', ')}`);
  if (extra.length) problems.push(`fields the peer has and ours lacks: ${extra.join(', ')}`);
  if (problems.length) throw new Error(`${peerFile} does not answer like ours:\n  ${problems.join('\n  ')}`);
  console.log(`same products and the same ${ours.fields.length} fields as ours (${peer.bytes} bytes, ours ${ours.bytes})`);
}

const [cmd, ...args] = process.argv.slice(2);
try {
  switch (cmd) {
    case 'call': console.log(JSON.stringify(await call(args[0], args[1], JSON.parse(args[2] ?? '{}')))); break;
    case 'prepare': await prepare(args[0], args[1], Number(args[2] ?? 64)); break;
    case 'coldstart': console.log(JSON.stringify(await coldstart(args[0], Number(args[1]), args.slice(2)))); break;
    case 'sessions': console.log(JSON.stringify(await sessions(args[0], Number(args[1]), Number(args[2]), Number(args[3])))); break;
    case 'acp': console.log(JSON.stringify(await acp(args[0], Number(args[1]), Number(args[2]), Number(args[3]), args[4] ?? 'memory'))); break;
    case 'report': report(args[0], args[1]); break;
    case 'compare': compare(args[0], args[1]); break;
    default: throw new Error(`unknown command ${cmd ?? '(none)'}; see the top of bench/lib/client.mjs`);
  }
  agent.destroy();
} catch (e) {
  console.error(`client.mjs ${cmd}: ${e.message}`);
  process.exit(1);
}
