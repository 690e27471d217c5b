//! End-to-end tests of the `canhgac` binary: real files on disk, real Parquet, real DataFusion.

mod cli;
