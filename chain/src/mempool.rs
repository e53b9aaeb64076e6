//! The transaction pool.
