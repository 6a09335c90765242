//! Pieces shared by the pages.

pub mod actions;
pub mod badge;
pub mod cert_actions;
pub mod cert_table;
pub mod copy;
pub mod data_table;
pub mod estate_map;
pub mod evidence;
pub mod expiry_timeline;
pub mod findings;
pub mod header;
pub mod layers_compare;
pub mod live_status;
pub mod map_card;
pub mod map_group;
pub mod map_layout;
pub mod map_routes;
pub mod node_layers;
pub mod page;
pub mod plan;
pub mod qm_table;
pub mod refresh_button;
pub mod sslpeer_tester;
pub mod store_status;
