//! Reusable stateless pieces drawn over or around the screens.

pub mod notifications;
pub mod palette;
pub mod status_bar;
pub mod tabs;
pub mod which_key;
