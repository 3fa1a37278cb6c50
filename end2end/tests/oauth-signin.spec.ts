// The OAuth sign-in and consent page (GET/POST /oauth/authorize) in a real browser, as a shopper
// sees it when ChatGPT links their Target account: the client's name and redirect host, the
// scopes in plain words, email and password; light and dark; working with JavaScript turned off
// (the page has none: a plain form POST). Screenshots oauth-signin-<theme>.png are committed
// beside the widgets' ones; a run writes one only when it is missing or UPDATE_SCREENSHOTS=1.
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test, expect, type APIRequestContext, type Page } from "@playwright/test";

const DIR = fileURLToPath(new URL("../screenshots/", import.meta.url));
const UPDATE = process.env.UPDATE_SCREENSHOTS === "1";
const SERVER = process.env.TARGET_SERVER_URL!;
// Nothing listens here: the browser's trip back to the client is caught with page.route.
const REDIRECT = "http://127.0.0.1:9/oauth/callback";
const EMAIL = "shopper@example.com";
const PASSWORD = "bullseye-demo";

test.use({ javaScriptEnabled: false });

async function register(request: APIRequestContext, name: string): Promise<string> {
  const response = await request.post(`${SERVER}/oauth/register`, {
    data: { client_name: name, redirect_uris: [REDIRECT], token_endpoint_auth_method: "none" },
  });
  expect(response.status()).toBe(201);
  return (await response.json()).client_id;
}

function pkce() {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

function authorizeUrl(clientId: string, challenge: string, scope = "cart orders membership") {
  const params = new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: REDIRECT,
    scope,
    state: "e2e-state",
    code_challenge: challenge,
    code_challenge_method: "S256",
    resource: `${SERVER}/mcp/all`,
  });
  return `${SERVER}/oauth/authorize?${params}`;
}

/** Catches the redirect back to the client; resolves with its URL. */
function catchRedirect(page: Page): Promise<URL> {
  return new Promise((resolve) => {
    void page.route(`${REDIRECT}**`, async (route) => {
      resolve(new URL(route.request().url()));
      await route.fulfill({ status: 200, contentType: "text/html", body: "<p>back at the client</p>" });
    });
  });
}

for (const theme of ["light", "dark"] as const) {
  test(`sign-in page: ${theme}, and linking without JavaScript`, async ({ page, request }) => {
    await page.emulateMedia({ colorScheme: theme });
    const clientId = await register(request, "ChatGPT");
    const { verifier, challenge } = pkce();
    await page.goto(authorizeUrl(clientId, challenge));

    await expect(page.getByRole("heading", { name: "Link your Target account" })).toBeVisible();
    await expect(page.getByTestId("client-name")).toHaveText("ChatGPT");
    await expect(page.getByTestId("redirect-host")).toHaveText("127.0.0.1:9");
    await expect(page.locator("ul.scopes li")).toHaveText([
      "See and change your cart",
      "Place orders and see them",
      "See and change your Target Circle membership",
    ]);
    // The tokens' light-dark() colours follow the colour scheme.
    const background = await page.locator("body").evaluate((b) => getComputedStyle(b).backgroundColor);
    expect(background).toBe(theme === "light" ? "rgb(246, 246, 246)" : "rgb(34, 34, 34)");

    const png = await page.screenshot({ fullPage: true, animations: "disabled" });
    await test.info().attach(`oauth-signin-${theme}.png`, { body: png, contentType: "image/png" });
    const file = `${DIR}oauth-signin-${theme}.png`;
    if (UPDATE || !existsSync(file)) {
      mkdirSync(DIR, { recursive: true });
      writeFileSync(file, png);
    }

    // A wrong password shows why and keeps the email; the right one goes back with a code.
    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Sign in and allow" }).click();
    await expect(page.getByRole("alert")).toContainText("don't match");
    await expect(page.getByLabel("Email")).toHaveValue(EMAIL);

    const back = catchRedirect(page);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in and allow" }).click();
    const callback = await back;
    expect(callback.searchParams.get("state")).toBe("e2e-state");
    expect(callback.searchParams.get("iss")).toBe(SERVER);
    const code = callback.searchParams.get("code");
    expect(code).toBeTruthy();

    const token = await request.post(`${SERVER}/oauth/token`, {
      form: {
        grant_type: "authorization_code",
        code: code!,
        redirect_uri: REDIRECT,
        client_id: clientId,
        code_verifier: verifier,
        resource: `${SERVER}/mcp/all`,
      },
    });
    expect(token.status()).toBe(200);
    const body = await token.json();
    expect(body.token_type).toBe("Bearer");
    expect(body.scope).toBe("cart orders membership");
  });
}

test("markup in a client name is shown as text, and Cancel goes back with access_denied", async ({ page, request }) => {
  const name = '<img src=x onerror="document.title=1"><b>Evil</b>';
  const clientId = await register(request, name);
  await page.goto(authorizeUrl(clientId, pkce().challenge, "cart"));
  await expect(page.getByTestId("client-name")).toHaveText(name);
  await expect(page.locator("img, b")).toHaveCount(0);
  await expect(page.locator("ul.scopes li")).toHaveText(["See and change your cart"]);

  const back = catchRedirect(page);
  await page.getByRole("button", { name: "Cancel" }).click();
  const callback = await back;
  expect(callback.searchParams.get("error")).toBe("access_denied");
  expect(callback.searchParams.get("code")).toBeNull();
});

test("an unknown client gets an error page, not a redirect", async ({ page }) => {
  const response = await page.goto(authorizeUrl("dcr_00000000000000000000000000000000", pkce().challenge));
  expect(response?.status()).toBe(400);
  await expect(page.getByRole("heading", { name: "Cannot link your Target account" })).toBeVisible();
  expect(new URL(page.url()).origin).toBe(SERVER);
});
