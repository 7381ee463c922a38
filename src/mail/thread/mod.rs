//! (in progress: JWZ threading)
