//! `GET /.well-known/oauth-authorization-server`: the RFC 8414 metadata MCP clients (ChatGPT)
//! read to find our endpoints and what we support. The issuer is `PUBLIC_BASE_URL`.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use shared::auth::Scope;

use super::OAuthState;

pub const AUTHORIZE_PATH: &str = "/oauth/authorize";
pub const TOKEN_PATH: &str = "/oauth/token";
pub const REGISTER_PATH: &str = "/oauth/register";
pub const REVOKE_PATH: &str = "/oauth/revoke";
pub const METADATA_PATH: &str = "/.well-known/oauth-authorization-server";

#[derive(Debug, Serialize)]
pub struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_endpoint: Option<String>,
    pub revocation_endpoint: String,
    pub scopes_supported: Vec<Scope>,
    pub response_types_supported: [&'static str; 1],
    pub response_modes_supported: [&'static str; 1],
    pub grant_types_supported: [&'static str; 2],
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    pub revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    pub code_challenge_methods_supported: [&'static str; 1],
    pub client_id_metadata_document_supported: bool,
    /// RFC 9207: the authorization response carries `iss`.
    pub authorization_response_iss_parameter_supported: bool,
}

impl Metadata {
    pub fn of(oauth: &OAuthState) -> Metadata {
        let base = oauth.app.config.public_base();
        let mut auth_methods = vec!["none"];
        if oauth.clients.has_confidential_client() {
            auth_methods.extend(["client_secret_basic", "client_secret_post"]);
        }
        Metadata {
            issuer: base.clone(),
            authorization_endpoint: format!("{base}{AUTHORIZE_PATH}"),
            token_endpoint: format!("{base}{TOKEN_PATH}"),
            registration_endpoint: oauth
                .app
                .config
                .oauth_server
                .dynamic_registration
                .then(|| format!("{base}{REGISTER_PATH}")),
            revocation_endpoint: format!("{base}{REVOKE_PATH}"),
            scopes_supported: Scope::ALL.to_vec(),
            response_types_supported: ["code"],
            response_modes_supported: ["query"],
            grant_types_supported: ["authorization_code", "refresh_token"],
            token_endpoint_auth_methods_supported: auth_methods.clone(),
            revocation_endpoint_auth_methods_supported: auth_methods,
            code_challenge_methods_supported: ["S256"],
            client_id_metadata_document_supported: oauth.clients.accepts_metadata_documents(),
            authorization_response_iss_parameter_supported: true,
        }
    }
}

pub async fn metadata(State(oauth): State<OAuthState>) -> Json<Metadata> {
    Json(Metadata::of(&oauth))
}
