//! Pieces shared by the pages.

pub mod badge;
pub mod estate_map;
pub mod findings;
pub mod header;
pub mod live_status;
pub mod map_card;
pub mod map_layout;
pub mod node_layers;
pub mod page;
pub mod qm_table;
pub mod refresh_button;
