//! The encrypted store: sled, per-practitioner profiles, key hierarchy.
