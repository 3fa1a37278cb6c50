// The Target app's search on the official TypeScript MCP SDK, for bench/run.sh to compare against.
// Stateless Streamable HTTP with JSON responses, exactly as the SDK's simpleStatelessStreamableHttp
// example does it: a new McpServer and transport per POST. Same catalog file as the Rust server.
//
// The search is a port of server/src/catalog/ranking.rs, simplified: accents are folded with NFD,
// exact words only (no typo variants, no run-together "K-Cup" compounds), price caps only from
// maxPriceCents or "under $N". Kept: stopwords, plural stemming, field weights
// (title 100 / brand 70 / category 50 / keywords 35), a leading brand dropped from the title, the
// head-word and title-phrase bonuses, "more matched terms first" with the relaxation rule, sorts.
// The answer carries the same fields as ours (bench/run.sh checks it): `structuredContent` with the
// product summaries, and `_meta["target/widget"]` with the full product records (image and product
// URLs, rating, category) and a state version, which is what our widgets read.
// create-target-session and add-to-cart are a bare in-memory map, so `run.sh --url` can run its
// add-to-cart load here too.
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import * as z from 'zod/v4';

const STOP = new Set(('a about above all an and any are around as at be below best buy by can cheap cheaper cheapest dollar ' +
  'dollars bucks find for from get give good have i im in into is it item items less like look looking max maximum me my ' +
  'need nice of on or over please product products search show some something target than that the this to under usd ' +
  'want what which with within you your').split(' '));
const fold = (s) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/['’]/g, '');
const stem = (w) => (w.length < 4 || !/^[a-z]+$/.test(w) || /(ss|us|is)$/.test(w) ? w
  : /ies$/.test(w) ? w.slice(0, -3) + 'y' : /ie$/.test(w) ? w.slice(0, -2) + 'y'
  : /(sses|xes|ches|shes)$/.test(w) ? w.slice(0, -2) : w.endsWith('s') ? w.slice(0, -1) : w);
const words = (s) => fold(s).split(/[^\p{L}\p{N}]+/u).filter((w) => w && !STOP.has(w)).map(stem);
const head = (title) => { const t = fold(title); const cut = Math.min(...[' - ', ' with ', ' for ', ' by ', ' (', ', ', ' in ']
  .map((p) => t.indexOf(p)).filter((i) => i >= 0), t.length); return words(t.slice(0, cut)).filter((w) => /^\p{L}+$/u.test(w)).pop(); };

const dataFile = new URL('../../../server/data/catalog.json', import.meta.url);
const catalog = JSON.parse(readFileSync(dataFile, 'utf8')).map((p) => {
  const t = fold(p.title), b = fold(p.brand ?? '');
  const title = b && t.startsWith(b) && /^[^\p{L}\p{N}]/u.test(t.slice(b.length)) ? t.slice(b.length) : t;
  return { p, head: head(p.title), title: words(title), fields: [new Set(words(title)), new Set(words(p.brand ?? '')),
    new Set(words(p.category)), new Set(p.keywords.flatMap(words))] };
});
const byId = new Map(catalog.map((d) => [d.p.id, d.p]));
const POINTS = [100, 70, 50, 35];

function search(text, maxPrice, sort, limit) {
  const m = /\b(?:under|below|less than|up to)\s*\$?(\d{1,7})(?:\.(\d\d))?/i.exec(text);
  if (m) maxPrice = Math.min(maxPrice ?? Infinity, Number(m[1]) * 100 + Number(m[2] ?? 0));
  const terms = [...new Set(words(m ? text.replace(m[0], ' ') : text))].slice(0, 12);
  const scored = [];
  for (const d of catalog) {
    let matched = 0, points = 0;
    for (const t of terms) {
      const f = POINTS.find((_, i) => d.fields[i].has(t)) ?? 0;
      const best = f + (d.head === t ? 40 : 0);
      if (best > 0) { matched++; points += best; }
    }
    if (!matched) continue;
    for (let i = 1; i < terms.length; i++)
      for (let j = 1; j < d.title.length; j++) if (d.title[j - 1] === terms[i - 1] && d.title[j] === terms[i]) { points += 60; break; }
    scored.push({ d, matched, points });
  }
  const best = Math.max(0, ...scored.map((s) => s.matched)), floor = Math.max(1, Math.ceil(best / 2));
  let required = Math.max(best, 1);
  while (required > floor && scored.filter((s) => s.matched >= required).length < 6) required--;
  const rel = (a, b) => b.matched - a.matched || b.points - a.points || b.d.p.rating - a.d.p.rating
    || b.d.p.reviewCount - a.d.p.reviewCount || (a.d.p.id < b.d.p.id ? -1 : 1);
  const order = { relevance: rel, 'price-low': (a, b) => a.d.p.priceCents - b.d.p.priceCents || rel(a, b),
    'price-high': (a, b) => b.d.p.priceCents - a.d.p.priceCents || rel(a, b),
    rating: (a, b) => b.d.p.rating - a.d.p.rating || b.d.p.reviewCount - a.d.p.reviewCount || rel(a, b) }[sort];
  const hits = scored.filter((s) => s.matched >= required && (maxPrice == null || s.d.p.priceCents <= maxPrice)).sort(order);
  const shown = hits.slice(0, limit).map(({ d: { p } }) => p);
  return { total: hits.length, products: shown.map((p) => ({ id: p.id, title: p.title, brand: p.brand,
    priceCents: p.priceCents, regularPriceCents: p.regularPriceCents, currency: 'USD', inStock: p.inStock,
    circleOfferPercent: p.circleOfferPercent })), records: shown.map(record) };
}

// The full product record of our widget metadata (server/src/catalog/embedded.rs builds the same).
const slug = (title) => fold(title).replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
const imageBase = `http://localhost:${process.env.PORT ?? 8101}`;
const record = (p) => ({ id: p.id, title: p.title, brand: p.brand, priceCents: p.priceCents,
  regularPriceCents: p.regularPriceCents, currency: 'USD', rating: p.rating, reviewCount: p.reviewCount,
  imageUrl: `${imageBase}/images/products/${p.id}.svg`, url: `https://www.target.com/p/${slug(p.title)}/-/A-${p.id}`,
  inStock: p.inStock, category: p.category, circleOfferPercent: p.circleOfferPercent });

const sessions = new Map(); // id -> Map(productId -> quantity)
const reply = (structuredContent, text) => ({ content: [{ type: 'text', text }], structuredContent });
const getServer = () => {
  const server = new McpServer({ name: 'target-peer-typescript', version: '1.0.0' });
  server.registerTool('search-target-products', { description: "Search Target's products.", inputSchema: {
    query: z.string().min(1).max(200), limit: z.number().int().min(1).max(48).optional(),
    sort: z.enum(['relevance', 'price-low', 'price-high', 'rating']).optional(), maxPriceCents: z.number().int().min(0).optional(),
    sessionId: z.string().optional() } }, async ({ query, limit, sort, maxPriceCents }) => {
    const { records, ...r } = search(query.trim(), maxPriceCents, sort ?? 'relevance', limit ?? 12);
    return { ...reply({ query: query.trim(), ...r, source: 'catalog', cached: false },
      r.products.length ? `Found ${r.total} products for "${query.trim()}", starting with ${r.products[0].title}.` : 'No match.'),
      _meta: { 'target/widget': { stateVersion: 0, products: records } } };
  });
  server.registerTool('create-target-session', { description: 'A new session id.' }, async () => {
    const sessionId = 'sess_' + randomBytes(16).toString('hex');
    sessions.set(sessionId, new Map());
    return reply({ sessionId }, `Session ${sessionId} created.`);
  });
  server.registerTool('add-to-cart', { description: 'Add a product to the cart.', inputSchema: { sessionId: z.string(),
    productId: z.string(), quantity: z.number().int().min(1).max(99).optional() } }, async ({ sessionId, productId, quantity }) => {
    const cart = sessions.get(sessionId), product = byId.get(productId);
    if (!cart || !product) return { content: [{ type: 'text', text: 'Unknown session or product.' }], isError: true };
    cart.set(productId, Math.min(99, (cart.get(productId) ?? 0) + (quantity ?? 1)));
    const items = [...cart].map(([id, q]) => ({ productId: id, title: byId.get(id).title, quantity: q, unitPriceCents: byId.get(id).priceCents }));
    return reply({ sessionId, items, subtotalCents: items.reduce((s, i) => s + i.quantity * i.unitPriceCents, 0) }, `Added ${product.title}.`);
  });
  return server;
};

const app = createMcpExpressApp();
app.post('/mcp', async (req, res) => {
  const server = getServer();
  try {
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
    res.on('close', () => { transport.close(); server.close(); });
  } catch (error) {
    console.error(error);
    if (!res.headersSent) res.status(500).json({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal server error' }, id: null });
  }
});
const port = Number(process.env.PORT ?? 8101);
app.listen(port, '127.0.0.1', () => console.log(`typescript peer on http://127.0.0.1:${port}/mcp`));
