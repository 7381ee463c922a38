//! (in progress: local search)
