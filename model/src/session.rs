//! Who is signed in, as the server answers `POST`/`GET /api/session` and the app reads it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Members of an operator group (`mqadmins`): may change the estate.
    Operator,
    /// Members of a viewer group: read-only.
    Viewer,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The user as the directory names it.
    pub user: String,
    pub display_name: String,
    pub role: Role,
    /// Send it back in `X-CSRF-Token` on every state-changing request (the same for the
    /// session's whole life).
    pub csrf: String,
    pub expires_at: u64,
    /// The console runs on the in-process simulated estate.
    pub demo: bool,
}
