//! Cross-crate integration tests for Weft live under `tests/tests/`; this
//! library holds shared helpers for them.
