// The plain-JS fallback of every Target widget, for hosts that refuse WebAssembly (the MCP Apps
// default CSP has no 'wasm-unsafe-eval'). `cargo xtask widgets` inlines this file into each
// template and runs it only when the page's WebAssembly probe fails, so a shopper never sees a
// blank frame: it renders the tool result as a readable list with links to Target.com, and the
// sign-in widget as a plain form that posts to the server like the Leptos one does.
//
// Data arrives like it does for the WASM widgets: `window.openai.toolOutput` /
// `toolResponseMetadata` (+ the `openai:set_globals` event) in ChatGPT, or the MCP Apps
// handshake (`ui/initialize` → `ui/notifications/initialized` → `ui/notifications/tool-result`).
// Plain ES5 on purpose: no build step, runs in every browser.
(function () {
  "use strict";
  var root = document.getElementById("root");
  if (!root) return;
  var widget = root.getAttribute("data-widget") || "widget";
  var apiBase = root.getAttribute("data-api-base") || "";
  if (!/^https?:\/\//.test(apiBase)) apiBase = window.location.origin;
  apiBase = apiBase.replace(/\/+$/, "");
  var TARGET = "https://www.target.com";
  var newest = -1;
  var mcpApps = false; // true once an MCP Apps host answered ui/initialize
  var modelContext = null; // the host's hostCapabilities.updateModelContext, if it offered it
  var nextId = 2;

  function money(c) { return typeof c === "number" ? "$" + (c / 100).toFixed(2) : ""; }
  function el(tag, text, attrs) {
    var e = document.createElement(tag);
    if (text != null) e.textContent = text;
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    return e;
  }
  // Only http(s) URLs become links, as in the WASM widgets (`web_url`): a `javascript:` or
  // `data:` URL from a tool result would run in our frame. Anything else links to Target.com.
  function webUrl(url) {
    var u = typeof url === "string" ? url.trim() : "";
    return /^https?:\/\//i.test(u) ? u : null;
  }
  function link(text, href) {
    href = webUrl(href) || TARGET;
    var a = el("a", text, { href: href, target: "_blank", rel: "noopener noreferrer" });
    a.addEventListener("click", function (ev) {
      if (mcpApps) {
        ev.preventDefault();
        post({ jsonrpc: "2.0", id: nextId++, method: "ui/open-link", params: { url: href } });
      } else if (window.openai && typeof window.openai.openExternal === "function") {
        ev.preventDefault();
        window.openai.openExternal({ href: href });
      }
    });
    return a;
  }
  function post(message) { if (window.parent !== window) window.parent.postMessage(message, "*"); }
  function start(title) {
    root.textContent = "";
    root.className = "tw-fallback";
    root.appendChild(el("h1", title));
  }

  function productLine(p, meta, reason) {
    var full = null;
    var known = (meta && meta.products) || [];
    for (var i = 0; i < known.length; i++) if (known[i].id === p.id) full = known[i];
    var li = el("li");
    li.appendChild(link(p.title, webUrl(full && full.url) || TARGET + "/s?searchTerm=" + encodeURIComponent(p.title)));
    var rest = " — " + money(p.priceCents);
    if (p.inStock === false) rest += " · out of stock";
    if (p.circleOfferPercent) rest += " · Circle " + p.circleOfferPercent + "% off";
    if (reason) rest += " · " + reason;
    li.appendChild(document.createTextNode(rest));
    return li;
  }
  function lines(items) {
    var list = el("ul");
    (items || []).forEach(function (l) {
      list.appendChild(el("li", l.quantity + " × " + l.product.title + " — " + money(l.lineTotalCents)));
    });
    return list;
  }
  function totals(t) {
    var dl = el("p");
    var parts = ["Subtotal " + money(t.subtotalCents)];
    if (t.circleSavingsCents) parts.push("Circle savings −" + money(t.circleSavingsCents));
    parts.push("Shipping " + (t.shippingCents ? money(t.shippingCents) : "free"));
    parts.push("Tax " + money(t.estimatedTaxCents != null ? t.estimatedTaxCents : t.taxCents));
    dl.textContent = parts.join(" · ");
    root.appendChild(dl);
    root.appendChild(el("p", "Total " + money(t.totalCents), { "class": "tw-total" }));
  }

  // Tells the model what the shopper did, as the WASM widgets do: `ui/update-model-context` in an
  // MCP Apps host that offers it, the widget state's `modelContent` in ChatGPT (`privateContent`
  // is what a re-render restores).
  function tellModel(sentence, facts, privateState) {
    var text = sentence + (facts.sessionId ? " Target session: " + facts.sessionId + "." : "");
    if (mcpApps) {
      if (!modelContext) return;
      var params = { content: [{ type: "text", text: text }] };
      if (modelContext.structuredContent) params.structuredContent = facts;
      post({ jsonrpc: "2.0", id: nextId++, method: "ui/update-model-context", params: params });
    } else if (window.openai && typeof window.openai.setWidgetState === "function") {
      window.openai.setWidgetState({ modelContent: facts, privateContent: privateState });
    }
  }

  function signInForm(sessionId) {
    var form = el("form", null, { "class": "tw-signin" });
    var email = el("input", null, { type: "email", name: "email", autocomplete: "username", required: "" });
    var password = el("input", null, { type: "password", name: "password", autocomplete: "current-password", required: "" });
    var label1 = el("label", "Email "); label1.appendChild(email);
    var label2 = el("label", "Password "); label2.appendChild(password);
    var status = el("p", null, { role: "status", "aria-live": "polite" });
    var button = el("button", "Sign in", { type: "submit" });
    [label1, label2, button, status].forEach(function (n) { form.appendChild(n); });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      button.disabled = true;
      status.textContent = "Signing in…";
      fetch(apiBase + "/api/session/authenticate", {
        method: "POST", mode: "cors", headers: { "content-type": "application/json" },
        body: JSON.stringify({ sessionId: sessionId, email: email.value, password: password.value })
      }).then(function (r) {
        return r.json().then(function (body) { return { ok: r.ok, body: body }; });
      }).then(function (r) {
        if (r.ok && r.body.user && r.body.sessionId) {
          // Signing in renews the session id: the model must use the new one from now on.
          var renewed = r.body.sessionId;
          var sentence = "The shopper signed in to Target as " + r.body.user.name + " in the widget. Signing in gave " +
            "the Target session a new id, " + renewed + ": use it for every later Target call; the previous id no longer works.";
          tellModel(sentence, { lastAction: sentence, sessionId: renewed, signedIn: true },
            { signedIn: true, user: r.body.user, sessionId: renewed });
          start("Target");
          root.appendChild(el("p", "Signed in as " + r.body.user.name + ". You can go back to the chat."));
        } else {
          status.textContent = (r.body && r.body.message) || "Sign-in failed.";
          button.disabled = false;
        }
      }, function () {
        status.textContent = "Could not reach Target. Check your connection and try again.";
        button.disabled = false;
      });
    });
    root.appendChild(form);
  }

  function render(out, meta, content) {
    var widgetMeta = meta && meta["target/widget"];
    var version = widgetMeta && typeof widgetMeta.stateVersion === "number" ? widgetMeta.stateVersion : 0;
    if (version < newest) return; // never replace fresher data
    if (!out || typeof out !== "object") {
      var text = (content || []).filter(function (c) { return c && c.type === "text"; }).map(function (c) { return c.text; });
      var error = meta && meta["target/error"]; // a failed call, where only _meta reaches us (window.openai)
      if (!text.length && error && typeof error.message === "string") text = [error.message];
      if (!text.length) return;
      start("Target");
      text.forEach(function (t) { root.appendChild(el("p", t)); });
      return;
    }
    newest = version;
    if (out.products) {
      start(out.query ? "Target results for “" + out.query + "”" : "Recommended at Target");
      var list = el("ul");
      out.products.forEach(function (p) { list.appendChild(productLine(p.product || p, widgetMeta, p.reason)); });
      root.appendChild(out.products.length ? list : el("p", "No products found."));
    } else if (out.order) {
      start("Order " + out.order.orderId + " placed");
      root.appendChild(lines(out.order.items));
      totals(out.order);
      if (out.order.continueUrl) root.appendChild(el("p")).appendChild(link("View the order on Target.com", out.order.continueUrl));
    } else if (out.cart) {
      start("Your Target cart");
      root.appendChild(out.cart.items.length ? lines(out.cart.items) : el("p", "Your cart is empty."));
      if (out.cart.items.length) totals(out.cart);
    } else if ("member" in out) {
      start("Target Circle");
      root.appendChild(el("p", out.member && out.membership
        ? "You are a Target Circle member (" + out.membership.tier + ")."
        : out.signedIn === false ? "Sign in to see your Target Circle membership." : "You are not a Target Circle member yet."));
      var benefits = el("ul");
      (out.benefits || []).forEach(function (b) { benefits.appendChild(el("li", b.title + " — " + b.description)); });
      if (benefits.childNodes.length) root.appendChild(benefits);
      root.appendChild(el("p")).appendChild(link("Target Circle on Target.com", TARGET + "/circle"));
    } else if ("status" in out || "authenticated" in out) {
      start("Target sign-in");
      var saved = window.openai && window.openai.widgetState && window.openai.widgetState.privateContent;
      if (saved && saved.signedIn && saved.user) root.appendChild(el("p", "Signed in as " + saved.user.name + "."));
      else if (out.user) root.appendChild(el("p", "Signed in as " + out.user.name + "."));
      else if (out.status === "pending" && out.sessionId) signInForm(out.sessionId);
      else root.appendChild(el("p", "Not signed in yet."));
    } else {
      start("Target");
      root.appendChild(el("p", "Nothing to show here yet."));
    }
  }

  function renderGlobals() {
    var o = window.openai;
    if (o) render(o.toolOutput, o.toolResponseMetadata, null);
  }
  if (window.openai) {
    renderGlobals();
    window.addEventListener("openai:set_globals", renderGlobals);
  }
  window.addEventListener("message", function (e) {
    var m = e.data;
    if (e.source !== window.parent || !m || m.jsonrpc !== "2.0") return;
    if (m.id === 1 && m.result) {
      mcpApps = true;
      modelContext = (m.result.hostCapabilities && m.result.hostCapabilities.updateModelContext) || null;
      post({ jsonrpc: "2.0", method: "ui/notifications/initialized", params: {} });
    }
    if (m.method === "ui/notifications/tool-result" && m.params) {
      render(m.params.structuredContent, m.params._meta, m.params.content);
    }
    if (m.method === "ui/resource-teardown" && m.id != null) post({ jsonrpc: "2.0", id: m.id, result: {} });
  });
  if (window.parent !== window) {
    post({ jsonrpc: "2.0", id: 1, method: "ui/initialize", params: {
      appInfo: { name: "target-" + widget, version: "0.1.0" }, appCapabilities: {}, protocolVersion: "2026-01-26" } });
    if (typeof ResizeObserver === "function") {
      new ResizeObserver(function () {
        var height = Math.ceil(document.documentElement.scrollHeight);
        if (mcpApps) post({ jsonrpc: "2.0", method: "ui/notifications/size-changed", params: { height: height } });
        else if (window.openai && typeof window.openai.notifyIntrinsicHeight === "function") window.openai.notifyIntrinsicHeight(height);
      }).observe(document.body);
    }
  } else if (!window.openai) {
    start("Target");
    root.appendChild(el("p", "This widget shows Target results inside a chat app."));
  }
})();
