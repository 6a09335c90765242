//! The pure domain of rdqm-console: no IO, no async, compiles for wasm32 and native.
//!
//! The browser app, the server and the simulator share these types, so that what the
//! console parses, what the simulator prints and what the browser shows cannot drift apart.

pub mod api_error;
pub mod crm;
pub mod drbd;
pub mod drill;
pub mod drill_document;
pub mod dspmq;
pub mod estate;
pub mod estate_delta;
pub mod certs;
pub mod cert_policy;
pub mod channels;
pub mod clock;
pub mod finding_code;
pub mod findings;
pub mod instance;
pub mod intent;
pub mod layers;
pub mod mqipt;
pub mod mqsc;
pub mod names;
pub mod plan;
pub mod plan_builder;
pub mod plan_cert;
pub mod plan_cert_replication;
pub mod plan_dr;
pub mod plan_drill;
pub mod plan_ha;
pub mod precondition_code;
pub mod probe;
pub mod snapshot;
pub mod sslpeer;
pub mod rdqmstatus;
pub mod run;
pub mod session;
pub mod runmqakm;
pub mod status;
