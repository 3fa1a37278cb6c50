// Records the dev host's fixtures (widgets-app/fixtures/*.json + index.json) from a running
// server, so they are real tool results. Needs a freshly started server (the demo account must not
// be a Circle member yet) with its default public URL, e.g. `scripts/run.sh` on port 8000:
//
//   node end2end/record-fixtures.mjs [http://127.0.0.1:8000]
//
// Session ids, order ids and times are replaced by fixed values so re-recording changes only
// what really changed. `cargo test -p widgets-app --test fixtures` checks the result.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { McpClient } from "./host/host-core.js";

const base = (process.argv[2] || "http://127.0.0.1:8000").replace(/\/$/, "");
const out = fileURLToPath(new URL("../widgets-app/fixtures/", import.meta.url));
const FIXED_SESSION = "sess_0123456789abcdef0123456789abcdef";
const mcp = new McpClient(`${base}/mcp/all`, { clientName: "target-fixture-recorder" });
const sessions = [];
const index = [];

async function call(name, args) {
  const result = await mcp.callTool(name, args);
  if (result.isError) throw new Error(`${name}: ${result.content?.[0]?.text}`);
  return result;
}

async function newSession() {
  const id = (await call("create-target-session", {})).structuredContent.sessionId;
  sessions.push(id);
  return id;
}

async function signIn(sessionId) {
  const response = await fetch(`${base}/api/session/authenticate`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sessionId, email: "shopper@example.com", password: "bullseye-demo" }),
  });
  if (!response.ok) throw new Error(`sign-in: HTTP ${response.status}`);
  // Signing in renews the session id; the new one is recorded as the same fixed id.
  const renewed = (await response.json()).sessionId;
  sessions.push(renewed);
  return renewed;
}

function normalize(text) {
  for (const s of sessions) text = text.replaceAll(s, FIXED_SESSION);
  return text
    .replace(/"(expiresAt|placedAt|memberSince)": "[^"]+"/g, '"$1": "2026-11-25T12:00:00Z"')
    .replace(/TGT-\d{12}/g, "TGT-000000000001");
}

/** Calls `tool` and saves its result as `<tool>[.<variant>].json`; `widget` null for tools without one. */
async function record(tool, variant, args, widget, label) {
  const result = await call(tool, args);
  const file = `${tool}${variant ? `.${variant}` : ""}.json`;
  writeFileSync(`${out}${file}`, normalize(JSON.stringify(result, null, 2)) + "\n");
  index.push({ file, tool, widget, label, input: JSON.parse(normalize(JSON.stringify(args))) });
  return result;
}

let s = await newSession();
await record("authenticate-target", null, { sessionId: s }, "target-auth", "Sign-in form (not signed in)");
const search = await record("search-target-products", null, { query: "desk lamp", sessionId: s, limit: 6 }, "product-grid", "Search: desk lamp (6 results)");
await record("search-target-products", "empty", { query: "zzzz unobtainium", sessionId: s }, "product-grid", "Search with no results");
const [first, second] = search.structuredContent.products;
await record("add-to-cart", null, { sessionId: s, productId: first.id }, "cart", "Added one desk lamp");
await call("add-to-cart", { sessionId: s, productId: second.id, quantity: 2 });
await record("get-agentforce-recommendations", null, { sessionId: s, limit: 4 }, "product-grid", "Recommendations from the cart");
await record("get-cart", null, { sessionId: s }, "cart", "Cart with two products (signed out)");
await record("update-cart-item", null, { sessionId: s, productId: first.id, quantity: 3 }, "cart", "Quantity changed to 3");
await record("get-target-auth-status", null, { sessionId: s }, null, "Auth status (signed out)");
await record("check-circle-membership", "signed-out", { sessionId: s }, "circle", "Circle: not signed in");
s = await signIn(s);
await record("authenticate-target", "signed-in", { sessionId: s }, "target-auth", "Already signed in");
await record("get-target-auth-status", "signed-in", { sessionId: s }, null, "Auth status (signed in)");
const circle = await record("check-circle-membership", null, { sessionId: s }, "circle", "Circle: signed in, not a member");
if (circle.structuredContent.member) throw new Error("the demo account is a Circle member already: record from a freshly started server");
await record("circle-signup", null, { sessionId: s, tier: "circle" }, "circle", "Joined Target Circle");
await record("get-cart", "member", { sessionId: s }, "cart", "Cart with Circle savings (member)");
await record("checkout", null, { sessionId: s }, "cart", "Order placed");
const empty = await newSession();
await record("get-cart", "empty", { sessionId: empty }, "cart", "Empty cart");

writeFileSync(`${out}index.json`, JSON.stringify(index, null, 2) + "\n");
console.log(`recorded ${index.length} fixtures into ${out}`);
