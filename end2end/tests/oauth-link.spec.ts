// Account linking with the official MCP TypeScript SDK's own OAuth client (@modelcontextprotocol/sdk
// client/auth.js): it discovers the protected resource metadata and the built-in authorization
// server, registers itself (dynamic client registration), runs authorization code + PKCE with
// `resource`, and then sends its bearer token on every MCP request. The browser step (the sign-in
// page) is done here by fetching the page and posting its form, as a shopper's browser would.
// Then the linked client shops and places an order with `checkout` without any sessionId.
import { test, expect } from "@playwright/test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { auth, type OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import type { OAuthClientInformationMixed, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";
import { SERVER, DEMO } from "./fixtures/host";

const REDIRECT = "http://127.0.0.1:9/callback";

/** An in-memory OAuthClientProvider; `redirectToAuthorization` remembers where to send the browser. */
class MemoryProvider implements OAuthClientProvider {
  client?: OAuthClientInformationMixed;
  saved?: OAuthTokens;
  verifier = "";
  authorizationUrl?: URL;
  get redirectUrl() {
    return REDIRECT;
  }
  get clientMetadata() {
    return {
      client_name: "MCP SDK test client",
      redirect_uris: [REDIRECT],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
      scope: "account cart orders",
    };
  }
  clientInformation() {
    return this.client;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.client = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
}

/** The browser step: opens the sign-in page, signs the demo shopper in, returns the code. */
async function signInInBrowser(authorizationUrl: URL): Promise<string> {
  const page = await fetch(authorizationUrl, { redirect: "manual" });
  expect(page.status, await page.clone().text()).toBe(200);
  const html = await page.text();
  const cookie = (page.headers.get("set-cookie") ?? "").split(";")[0];
  const hidden = (name: string) => {
    const match = html.match(new RegExp(`name="${name}"[^>]*value="([^"]*)"`)) ?? html.match(new RegExp(`value="([^"]*)"[^>]*name="${name}"`));
    if (!match) throw new Error(`no hidden ${name} field on the sign-in page`);
    return match[1].replace(/&amp;/g, "&");
  };
  const form = new URLSearchParams({
    request: hidden("request"),
    csrf: hidden("csrf"),
    email: DEMO.email,
    password: DEMO.password,
    action: "allow",
  });
  const done = await fetch(new URL("/oauth/authorize", authorizationUrl), {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie, origin: new URL(SERVER).origin },
    body: form,
  });
  expect(done.status, await done.clone().text()).toBe(303);
  const location = new URL(done.headers.get("location") ?? "");
  expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
  const code = location.searchParams.get("code");
  if (!code) throw new Error(`no code in ${location}`);
  return code;
}

test("the MCP SDK's OAuth client links the account and checks out without a sessionId", async () => {
  const serverUrl = new URL(`${SERVER}/mcp/all`);
  const provider = new MemoryProvider();

  // Discovery, registration and the authorization request: the SDK asks us to open a browser.
  expect(await auth(provider, { serverUrl })).toBe("REDIRECT");
  expect(provider.client?.client_id, "dynamic client registration").toBeTruthy();
  const authorizationUrl = provider.authorizationUrl!;
  expect(authorizationUrl.searchParams.get("code_challenge_method")).toBe("S256");
  expect(authorizationUrl.searchParams.get("resource")).toContain("/mcp/all");

  const code = await signInInBrowser(authorizationUrl);
  expect(await auth(provider, { serverUrl, authorizationCode: code })).toBe("AUTHORIZED");
  expect(provider.saved?.access_token).toBeTruthy();

  const client = new Client({ name: "sdk-oauth-test", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(serverUrl, { authProvider: provider }));
  try {
    const linked: any = await client.callTool({ name: "authenticate-target", arguments: {} });
    expect(linked.structuredContent).toMatchObject({ mode: "linked", status: "authenticated", user: { email: DEMO.email } });

    const found: any = await client.callTool({ name: "search-target-products", arguments: { query: "desk lamp" } });
    const product = found.structuredContent.products.find((p: any) => p.inStock);
    const added: any = await client.callTool({ name: "add-to-cart", arguments: { productId: product.id, quantity: 2 } });
    expect(added.isError ?? false, JSON.stringify(added)).toBe(false);
    expect(added.structuredContent.sessionId).toBeUndefined();
    expect(added.structuredContent.cart.itemCount).toBeGreaterThanOrEqual(2);

    const order: any = await client.callTool({ name: "checkout", arguments: { idempotencyKey: `sdk-${Date.now()}` } });
    expect(order.isError ?? false, JSON.stringify(order)).toBe(false);
    expect(order.structuredContent.order.email).toBe(DEMO.email);
    expect(order.structuredContent.order.items.map((l: any) => l.product.id)).toContain(product.id);
  } finally {
    await client.close();
  }
});
