"""The Target app's search on the official Python MCP SDK (`mcp`), for bench/run.sh to compare against.

Stateless Streamable HTTP with JSON responses (`stateless_http=True, json_response=True`), served by
the SDK's own `run("streamable-http")` (uvicorn). Same catalog file as the Rust server.

The search is a port of server/src/catalog/ranking.rs, simplified: accents are folded with NFD,
exact words only (no typo variants, no run-together "K-Cup" compounds), price caps only from
maxPriceCents or "under $N". Kept: stopwords, plural stemming, field weights
(title 100 / brand 70 / category 50 / keywords 35), a leading brand dropped from the title, the
head-word and title-phrase bonuses, "more matched terms first" with the relaxation rule, sorts.
The answer carries the same fields as ours (bench/run.sh checks it): `structuredContent` with the
product summaries, and `_meta["target/widget"]` with the full product records (image and product
URLs, rating, category) and a state version, which is what our widgets read.
create-target-session and add-to-cart are a bare in-memory dict, so `run.sh --url` can run its
add-to-cart load here too.
"""

import json
import math
import os
import re
import secrets
import unicodedata
from pathlib import Path
from typing import Any, Literal

from mcp.server.mcpserver import MCPServer
from mcp_types import CallToolResult, TextContent

STOP = set(
    "a about above all an and any are around as at be below best buy by can cheap cheaper cheapest dollar dollars bucks "
    "find for from get give good have i im in into is it item items less like look looking max maximum me my need nice "
    "of on or over please product products search show some something target than that the this to under usd want what "
    "which with within you your".split()
)
SPLIT = re.compile(r"[\W_]+")


def fold(s: str) -> str:
    s = unicodedata.normalize("NFD", s)
    return "".join(c for c in s if not unicodedata.combining(c)).lower().replace("'", "").replace("\u2019", "")


def stem(w: str) -> str:
    if len(w) < 4 or not re.fullmatch(r"[a-z]+", w) or w.endswith(("ss", "us", "is")):
        return w
    if w.endswith("ies"):
        return w[:-3] + "y"
    if w.endswith("ie"):
        return w[:-2] + "y"
    if w.endswith(("sses", "xes", "ches", "shes")):
        return w[:-2]
    return w[:-1] if w.endswith("s") else w


def words(s: str) -> list[str]:
    return [stem(w) for w in SPLIT.split(fold(s)) if w and w not in STOP]


def head(title: str) -> str | None:
    t = fold(title)
    cut = min([i for p in (" - ", " with ", " for ", " by ", " (", ", ", " in ") if (i := t.find(p)) >= 0] + [len(t)])
    return next((w for w in reversed(words(t[:cut])) if w.isalpha()), None)


def index(p: dict[str, Any]) -> dict[str, Any]:
    t, b = fold(p["title"]), fold(p.get("brand") or "")
    title = t[len(b) :] if b and t.startswith(b) and re.match(r"[\W_]", t[len(b) :]) else t
    fields = [set(words(title)), set(words(p.get("brand") or "")), set(words(p["category"]))]
    fields.append({w for k in p["keywords"] for w in words(k)})
    return {"p": p, "head": head(p["title"]), "title": words(title), "fields": fields}


CATALOG = [index(p) for p in json.loads((Path(__file__).parent / "../../../server/data/catalog.json").read_text())]
BY_ID = {d["p"]["id"]: d["p"] for d in CATALOG}
POINTS = (100, 70, 50, 35)
CAP = re.compile(r"\b(?:under|below|less than|up to)\s*\$?(\d{1,7})(?:\.(\d\d))?", re.I)


def search(text: str, max_price: int | None, sort: str, limit: int) -> dict[str, Any]:
    if m := CAP.search(text):
        cap = int(m[1]) * 100 + int(m[2] or 0)
        max_price, text = min(max_price if max_price is not None else cap, cap), text.replace(m[0], " ")
    terms = list(dict.fromkeys(words(text)))[:12]
    scored = []
    for d in CATALOG:
        matched = points = 0
        for t in terms:
            best = next((pts for f, pts in zip(d["fields"], POINTS) if t in f), 0) + (40 if d["head"] == t else 0)
            if best:
                matched, points = matched + 1, points + best
        if not matched:
            continue
        tw = d["title"]
        points += 60 * sum(1 for a, b in zip(terms, terms[1:]) if any(tw[j - 1] == a and tw[j] == b for j in range(1, len(tw))))
        scored.append((d["p"], matched, points))
    best = max((s[1] for s in scored), default=0)
    floor, required = max(1, math.ceil(best / 2)), max(best, 1)
    while required > floor and sum(1 for s in scored if s[1] >= required) < 6:
        required -= 1
    hits = [s for s in scored if s[1] >= required and (max_price is None or s[0]["priceCents"] <= max_price)]
    hits.sort(key=lambda s: s[0]["id"])  # stable sorts, least significant key first
    hits.sort(key=lambda s: (s[1], s[2], s[0]["rating"], s[0]["reviewCount"]), reverse=True)
    if sort == "price-low":
        hits.sort(key=lambda s: s[0]["priceCents"])
    elif sort == "price-high":
        hits.sort(key=lambda s: s[0]["priceCents"], reverse=True)
    elif sort == "rating":
        hits.sort(key=lambda s: (s[0]["rating"], s[0]["reviewCount"]), reverse=True)
    keys = ("id", "title", "brand", "priceCents", "regularPriceCents", "inStock", "circleOfferPercent")
    products = [{k: p[k] for k in keys if k in p} | {"currency": "USD"} for p, _, _ in hits[:limit]]
    return {"total": len(hits), "products": products, "records": [record(p) for p, _, _ in hits[:limit]]}


IMAGE_BASE = f"http://localhost:{os.environ.get('PORT', '8102')}"


def record(p: dict[str, Any]) -> dict[str, Any]:
    """The full product record of our widget metadata (server/src/catalog/embedded.rs builds the same)."""
    slug = re.sub(r"[^a-z0-9]+", "-", fold(p["title"])).strip("-")
    r = {k: p[k] for k in ("id", "title", "brand", "priceCents", "regularPriceCents") if k in p} | {"currency": "USD"}
    r |= {"rating": p["rating"], "reviewCount": p["reviewCount"], "imageUrl": f"{IMAGE_BASE}/images/products/{p['id']}.svg"}
    r |= {"url": f"https://www.target.com/p/{slug}/-/A-{p['id']}", "inStock": p["inStock"], "category": p["category"]}
    return r | ({"circleOfferPercent": p["circleOfferPercent"]} if "circleOfferPercent" in p else {})


def reply(structured: dict[str, Any], text: str, meta: dict[str, Any] | None = None) -> CallToolResult:
    extra = {"_meta": meta} if meta else {}
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=structured, **extra)


mcp = MCPServer("target-peer-python", log_level="WARNING")
SESSIONS: dict[str, dict[str, int]] = {}


@mcp.tool(name="search-target-products", description="Search Target's products.")
def search_target_products(
    query: str,
    limit: int = 12,
    sort: Literal["relevance", "price-low", "price-high", "rating"] = "relevance",
    maxPriceCents: int | None = None,
    sessionId: str | None = None,
) -> CallToolResult:
    r = search(query.strip(), maxPriceCents, sort, max(1, min(limit, 48)))
    records = r.pop("records")
    first = f', starting with {r["products"][0]["title"]}.' if r["products"] else "."
    meta = {"target/widget": {"stateVersion": 0, "products": records}}
    return reply({"query": query.strip(), **r, "source": "catalog", "cached": False}, f"Found {r['total']} products{first}", meta)


@mcp.tool(name="create-target-session", description="A new session id.")
def create_target_session() -> CallToolResult:
    sid = "sess_" + secrets.token_hex(16)
    SESSIONS[sid] = {}
    return reply({"sessionId": sid}, f"Session {sid} created.")


@mcp.tool(name="add-to-cart", description="Add a product to the cart.")
def add_to_cart(sessionId: str, productId: str, quantity: int = 1) -> CallToolResult:
    cart, product = SESSIONS.get(sessionId), BY_ID.get(productId)
    if cart is None or product is None:
        return CallToolResult(content=[TextContent(type="text", text="Unknown session or product.")], is_error=True)
    cart[productId] = min(99, cart.get(productId, 0) + quantity)
    items = [{"productId": i, "title": BY_ID[i]["title"], "quantity": q, "unitPriceCents": BY_ID[i]["priceCents"]} for i, q in cart.items()]
    subtotal = sum(i["quantity"] * i["unitPriceCents"] for i in items)
    return reply({"sessionId": sessionId, "items": items, "subtotalCents": subtotal}, f"Added {product['title']}.")


if __name__ == "__main__":
    mcp.run("streamable-http", host="127.0.0.1", port=int(os.environ.get("PORT", "8102")), stateless_http=True, json_response=True)
