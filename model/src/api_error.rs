//! The API's error body, `{"error":{"code":"...","message":"..."}}`, shared by the server that
//! writes it and the app that branches on its `code` (never on the message's words).

use serde::{Deserialize, Serialize};

/// What went wrong, as a program reads it. The HTTP status says the class; the code says which
/// case of it, so that a 409 for a held lock and a 409 for a used plan are told apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    NotFound,
    BadRequest,
    /// The endpoint exists but not for this HTTP method.
    MethodNotAllowed,
    /// The typed confirmation does not match what the plan changes.
    ConfirmMismatch,
    Unauthorized,
    Forbidden,
    /// A state-changing request without the session's `X-CSRF-Token`.
    CsrfRejected,
    TooManyRequests,
    /// Another request changed the run or plan first (a compare-and-swap lost).
    Conflict,
    /// Another run holds what this one would change.
    RunLocked,
    /// A plan runs once; this one ran already.
    PlanUsed,
    /// The estate moved since planning; nothing was run.
    EstateChanged,
    /// The plan or the approval request is too old.
    Expired,
    Gone,
    /// A precondition blocks the plan (422).
    Blocked,
    Unavailable,
    /// The audit log cannot be written, so nothing was done.
    AuditUnavailable,
    /// The store shared by the console instances cannot be written here (no quorum, or this
    /// instance lost its lease): no workflow runs until it can.
    StoreUnavailable,
    Internal,
    /// A code this build does not know (a newer server).
    #[serde(other)]
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
}

/// The whole body of an error response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_as_written_and_unknown_ones_do_not_fail() {
        let body: ErrorBody = serde_json::from_str(r#"{"error":{"code":"run_locked","message":"m"}}"#).unwrap();
        assert_eq!(body.error.code, ErrorCode::RunLocked);
        let body: ErrorBody = serde_json::from_str(r#"{"error":{"code":"from_the_future","message":"m"}}"#).unwrap();
        assert_eq!(body.error.code, ErrorCode::Unknown);
        assert_eq!(serde_json::to_string(&ErrorCode::CsrfRejected).unwrap(), r#""csrf_rejected""#);
    }
}
