//! Screens and widgets: pure views over the application state.
