//! The one place that builds rustls configurations.
