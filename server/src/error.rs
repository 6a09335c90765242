//! The one error shape of the HTTP API: `{"error":{"code":"...","message":"..."}}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use crate::store::StoreError;
use model::api_error::{ErrorBody, ErrorCode, ErrorDetail};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ApiError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{}", message.clone().unwrap_or_else(|| format!("too many sign-in attempts; try again in {retry_after_secs} s")))]
    TooManyRequests { retry_after_secs: u64, message: Option<String> },
    /// Another request changed the run or the plan first.
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    RunLocked(String),
    #[error("{0}")]
    PlanUsed(String),
    #[error("{0}")]
    EstateChanged(String),
    #[error("{0}")]
    Expired(String),
    #[error("{0}")]
    ConfirmMismatch(String),
    #[error("{0}")]
    CsrfRejected(String),
    #[error("{0}")]
    AuditUnavailable(String),
    #[error("{0}")]
    StoreUnavailable(String),
    #[error("{0}")]
    Gone(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn status_and_code(&self) -> (StatusCode, ErrorCode) {
        match self {
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, ErrorCode::BadRequest),
            ApiError::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, ErrorCode::MethodNotAllowed),
            ApiError::ConfirmMismatch(_) => (StatusCode::BAD_REQUEST, ErrorCode::ConfirmMismatch),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, ErrorCode::Forbidden),
            ApiError::CsrfRejected(_) => (StatusCode::FORBIDDEN, ErrorCode::CsrfRejected),
            ApiError::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, ErrorCode::TooManyRequests),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, ErrorCode::Conflict),
            ApiError::RunLocked(_) => (StatusCode::CONFLICT, ErrorCode::RunLocked),
            ApiError::PlanUsed(_) => (StatusCode::CONFLICT, ErrorCode::PlanUsed),
            ApiError::EstateChanged(_) => (StatusCode::CONFLICT, ErrorCode::EstateChanged),
            ApiError::Expired(_) => (StatusCode::CONFLICT, ErrorCode::Expired),
            ApiError::Gone(_) => (StatusCode::GONE, ErrorCode::Gone),
            ApiError::Unprocessable(_) => (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::Blocked),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable),
            ApiError::AuditUnavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::AuditUnavailable),
            ApiError::StoreUnavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::StoreUnavailable),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let body = ErrorBody { error: ErrorDetail { code, message: self.to_string() } };
        let mut response = (status, Json(body)).into_response();
        if let ApiError::TooManyRequests { retry_after_secs, .. } = self
            && let Ok(value) = axum::http::HeaderValue::from_str(&retry_after_secs.to_string())
        {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, value);
        }
        response
    }
}

impl From<crate::workflow::EngineError> for ApiError {
    fn from(e: crate::workflow::EngineError) -> Self {
        use crate::workflow::EngineError as E;
        let message = e.to_string();
        match e {
            E::NotFound(_) => ApiError::NotFound(message),
            E::Confirm(_) => ApiError::ConfirmMismatch(message),
            E::BadRequest(_) => ApiError::BadRequest(message),
            E::Blocked(_) => ApiError::Unprocessable(message),
            E::Locked(_) => ApiError::RunLocked(message),
            E::PlanUsed(_) => ApiError::PlanUsed(message),
            E::Changed(_) => ApiError::EstateChanged(message),
            E::Expired(_) => ApiError::Expired(message),
            E::Conflict(_) => ApiError::Conflict(message),
            E::Forbidden(_) => ApiError::Forbidden(message),
            E::Audit(_) => ApiError::AuditUnavailable(message),
            E::Store(StoreError::Unavailable(_) | StoreError::Fenced(_)) => {
                ApiError::StoreUnavailable(format!("{message}. Workflows wait until the store can be written; the estate stays visible"))
            }
            E::Store(_) => ApiError::Internal(message),
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) | StoreError::Fenced(_) => ApiError::StoreUnavailable(e.to_string()),
            _ => ApiError::Unavailable(e.to_string()),
        }
    }
}

/// What handlers return.
pub type AppResult<T> = Result<T, ApiError>;

/// `Json<T>` whose every rejection (no JSON content type, unreadable JSON, a missing or
/// mistyped field) answers the API's JSON error shape, saying what is wrong and where.
pub struct ApiJson<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(ApiError::BadRequest(format!("the request body was refused: {}", rejection.body_text()))),
        }
    }
}

/// `Query<T>` with the JSON error shape for bad query strings.
pub struct ApiQuery<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(ApiError::BadRequest(format!("the query string was refused: {}", rejection.body_text()))),
        }
    }
}

/// `Path<T>` with the JSON error shape.
pub struct ApiPath<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for ApiPath<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => Err(ApiError::BadRequest(format!("the path was refused: {}", rejection.body_text()))),
        }
    }
}
