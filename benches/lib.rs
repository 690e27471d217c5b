//! Criterion benchmarks for canhgac; see the `[[bench]]` targets in this crate's `Cargo.toml`.
