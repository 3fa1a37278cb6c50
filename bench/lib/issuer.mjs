// A local OAuth issuer for the bearer-token rows of bench/run.sh: an ES256 key made at start,
// RFC 8414 metadata, a JWKS, and GET /token?aud=<resource>&email=<account> minting an access
// token for the benchmark (valid for an hour). Prints {"issuer": "<url>"} once it listens.
//
//   node bench/lib/issuer.mjs
import { createServer } from "node:http";
import { generateKeyPairSync, sign } from "node:crypto";

const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const jwk = { ...publicKey.export({ format: "jwk" }), kid: "bench", alg: "ES256", use: "sig" };
const b64url = (data) => Buffer.from(data).toString("base64url");
let issuer = "";

function token(aud, email) {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: "ES256", typ: "JWT", kid: "bench" }));
  const claims = b64url(
    JSON.stringify({ iss: issuer, aud, email, scope: "account cart orders membership", iat: now, exp: now + 3600 }),
  );
  const signature = sign("sha256", Buffer.from(`${header}.${claims}`), { key: privateKey, dsaEncoding: "ieee-p1363" });
  return `${header}.${claims}.${b64url(signature)}`;
}

const server = createServer((req, res) => {
  const url = new URL(req.url, issuer);
  const json = (body) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  if (url.pathname === "/.well-known/oauth-authorization-server") {
    json({ issuer, jwks_uri: `${issuer}/jwks`, response_types_supported: ["code"] });
  } else if (url.pathname === "/jwks") {
    json({ keys: [jwk] });
  } else if (url.pathname === "/token") {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(token(url.searchParams.get("aud"), url.searchParams.get("email") ?? "shopper@example.com"));
  } else {
    res.writeHead(404);
    res.end();
  }
});
server.listen(0, "127.0.0.1", () => {
  issuer = `http://127.0.0.1:${server.address().port}`;
  console.log(JSON.stringify({ issuer }));
});
