//! `POST /api/session/authenticate` and `POST /api/session/signout`.
//!
//! Signing in renews the session's id (`sessions::renew`): the answer names the new id, and the
//! one in the request is retired, so an id someone planted in the conversation before the sign-in
//! never becomes a signed-in session. Signing out keeps the id: a signed-out session is worth
//! nothing to whoever knows its id, and the next sign-in renews it again.

use axum::Extension;
use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use shared::api::{AuthenticateRequest, AuthenticateResponse, SignoutRequest, SignoutResponse};

use super::json_body;
use crate::error::AppError;
use crate::http::client_ip::ClientIp;
use crate::identity::sessions::{self, log_prefix};
use crate::identity::signin;
use crate::state::AppState;

pub async fn authenticate(
    State(state): State<AppState>,
    client: Option<Extension<ClientIp>>,
    body: Result<Json<AuthenticateRequest>, JsonRejection>,
) -> Result<Json<AuthenticateResponse>, AppError> {
    let request = json_body(body)?;
    signin::validate(&request.email, &request.password)?;
    sessions::require(&state, &request.session_id).await?;
    let who = log_prefix(request.session_id.as_str());
    let user = signin::check_password(&state, &request.email, &request.password, who, client.map(|c| c.0)).await?;
    let session = sessions::renew(&state, &request.session_id, &user).await?;
    tracing::info!(
        session = log_prefix(request.session_id.as_str()),
        renewed_as = log_prefix(session.id.as_str()),
        "signed in"
    );
    Ok(Json(AuthenticateResponse { authenticated: true, user, session_id: session.id }))
}

pub async fn signout(
    State(state): State<AppState>,
    body: Result<Json<SignoutRequest>, JsonRejection>,
) -> Result<Json<SignoutResponse>, AppError> {
    let request = json_body(body)?;
    sessions::require(&state, &request.session_id).await?;
    state.store.set_user(&request.session_id, None).await?;
    tracing::info!(session = log_prefix(request.session_id.as_str()), "signed out");
    Ok(Json(SignoutResponse { authenticated: false }))
}
