//! One module per page.

pub mod certificates;
pub mod drill;
pub mod drills;
pub mod estate;
pub mod not_found;
pub mod queue_manager;
pub mod routes;
pub mod run;
pub mod runs;
pub mod sign_in;
