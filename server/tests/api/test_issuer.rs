//! A local OAuth issuer for the resource-server tests: an axum server on a random loopback port
//! serving RFC 8414 metadata and a JWKS, whose ES256 keys are made at test time; it signs
//! access tokens, and its key set can be rotated while the server under test runs.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use serde_json::{Value, json};

/// An ES256 key pair with its key id.
#[derive(Clone)]
pub struct SigningKey {
    pub kid: String,
    pkcs8: Vec<u8>,
    jwk: Value,
}

impl SigningKey {
    pub fn generate(kid: &str) -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("key generation");
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).expect("key pair");
        // Uncompressed point: 0x04 || x || y.
        let point = pair.public_key().as_ref();
        let jwk = json!({
            "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": kid,
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
        });
        SigningKey { kid: kid.to_owned(), pkcs8: pkcs8.as_ref().to_vec(), jwk }
    }

    /// Signs `claims` as an ES256 JWT naming this key's id.
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_ec_der(&self.pkcs8)).expect("token signs")
    }
}

struct IssuerState {
    issuer: String,
    published: Mutex<Vec<SigningKey>>,
    jwks_fetches: AtomicUsize,
}

/// The running issuer.
pub struct TestIssuer {
    pub url: String,
    state: Arc<IssuerState>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn metadata(State(state): State<Arc<IssuerState>>) -> Json<Value> {
    Json(json!({
        "issuer": state.issuer,
        "authorization_endpoint": format!("{}/authorize", state.issuer),
        "token_endpoint": format!("{}/token", state.issuer),
        "jwks_uri": format!("{}/jwks", state.issuer),
        "response_types_supported": ["code"],
    }))
}

async fn jwks(State(state): State<Arc<IssuerState>>) -> Json<Value> {
    state.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    let keys: Vec<Value> = state.published.lock().expect("keys").iter().map(|k| k.jwk.clone()).collect();
    Json(json!({ "keys": keys }))
}

impl TestIssuer {
    /// Starts an issuer publishing `keys`.
    pub async fn start(keys: Vec<SigningKey>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("issuer binds");
        let url = format!("http://127.0.0.1:{}", listener.local_addr().expect("addr").port());
        let state = Arc::new(IssuerState {
            issuer: url.clone(),
            published: Mutex::new(keys),
            jwks_fetches: AtomicUsize::new(0),
        });
        let router = axum::Router::new()
            .route("/.well-known/oauth-authorization-server", get(metadata))
            .route("/jwks", get(jwks))
            .with_state(state.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        TestIssuer { url, state, _stop: stop }
    }

    /// Publishes `keys` instead of the current ones (a key rotation).
    pub fn publish(&self, keys: Vec<SigningKey>) {
        *self.state.published.lock().expect("keys") = keys;
    }

    pub fn jwks_fetches(&self) -> usize {
        self.state.jwks_fetches.load(Ordering::SeqCst)
    }

    /// Access-token claims for `email` and `audience`, valid for an hour from `now`, with
    /// `scope`.
    pub fn claims(&self, email: &str, audience: &str, scope: &str, now: DateTime<Utc>) -> Value {
        json!({
            "iss": self.url,
            "sub": format!("user-{email}"),
            "aud": audience,
            "email": email,
            "scope": scope,
            "client_id": "test-client",
            "iat": now.timestamp(),
            "nbf": (now - Duration::seconds(5)).timestamp(),
            "exp": (now + Duration::hours(1)).timestamp(),
        })
    }
}
