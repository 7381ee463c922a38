//! Settings (`config.toml`) and XDG paths.
