//! Who is signed in, shared by every page. A 401 from any request ends it.

use crate::api;
use model::api_error::ErrorCode;
use model::session::{Role, SessionInfo};
use leptos::prelude::*;
use leptos::task::spawn_local;

#[derive(Clone, Debug, PartialEq)]
pub enum SessionState {
    /// Asking the server whether the cookie still holds a session (e.g. after a reload).
    Checking,
    SignedOut {
        /// Why, when the user did not choose it (shown on the sign-in page).
        notice: Option<String>,
    },
    SignedIn(SessionInfo),
}

/// Just the kind of state: pages re-render on this, not on every new CSRF token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionStatus {
    Checking,
    SignedOut,
    SignedIn,
}

#[derive(Clone, Copy)]
pub struct Session {
    state: RwSignal<SessionState>,
    status: Memo<SessionStatus>,
}

/// Creates the session for the whole app and asks the server whether one is already open.
pub fn provide_session() -> Session {
    let state = RwSignal::new(SessionState::Checking);
    let status = Memo::new(move |_| match &*state.read() {
        SessionState::Checking => SessionStatus::Checking,
        SessionState::SignedOut { .. } => SessionStatus::SignedOut,
        SessionState::SignedIn(_) => SessionStatus::SignedIn,
    });
    let session = Session { state, status };
    provide_context(session);
    api::on_unauthorized(move |message| session.end(Some(format!("You were signed out: {message}."))));
    spawn_local(async move {
        let next = match api::current_session().await {
            Ok(info) => SessionState::SignedIn(info),
            Err(e) if e.is(ErrorCode::Unauthorized) => SessionState::SignedOut { notice: None },
            Err(e) => SessionState::SignedOut { notice: Some(format!("Could not check your session: {}.", e.message)) },
        };
        session.state.set(next);
    });
    session
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}

impl Session {
    pub fn status(&self) -> SessionStatus {
        self.status.get()
    }

    pub fn status_untracked(&self) -> SessionStatus {
        self.status.get_untracked()
    }

    pub fn state(&self) -> SessionState {
        self.state.get()
    }

    pub fn info(&self) -> Option<SessionInfo> {
        match &*self.state.read() {
            SessionState::SignedIn(info) => Some(info.clone()),
            _ => None,
        }
    }

    pub fn is_operator(&self) -> bool {
        matches!(&*self.state.read(), SessionState::SignedIn(info) if info.role == Role::Operator)
    }

    pub fn is_demo(&self) -> bool {
        matches!(&*self.state.read(), SessionState::SignedIn(info) if info.demo)
    }

    pub fn signed_in(&self, info: SessionInfo) {
        self.state.set(SessionState::SignedIn(info));
    }

    pub fn end(&self, notice: Option<String>) {
        if self.status.get_untracked() != SessionStatus::SignedOut {
            self.state.set(SessionState::SignedOut { notice });
        }
    }
}
