//! Integration tests of the rules crate: the pack on the project's samples, SigmaHQ's rules from
//! the shared corpora, and the places where we follow the specification rather than sigma-rust.

mod differential;
mod pack;
mod properties;
mod regression;
mod semantics;
mod sigmahq;
mod spec;
mod vectors;

use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use canhgac_parsers::{BatchBuilder, Origin, ParseContext};
use canhgac_rules::{Alert, Engine, Evaluator, RuleSet};

/// The repository root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Lines parsed into batches as ingestion does (receive time late in 2026, so the samples'
/// November year is inferred as 2026).
fn batches(lines: &[String]) -> Vec<RecordBatch> {
    let ctx = ParseContext::new(1_796_000_000_000_000);
    let mut builder = BatchBuilder::new();
    let mut out = Vec::new();
    for line in lines {
        builder.push(line.as_bytes(), &ctx, Origin::default());
        if builder.len() == 1000 {
            out.push(builder.finish().unwrap_or_else(|e| panic!("{e}")));
        }
    }
    out.push(builder.finish().unwrap_or_else(|e| panic!("{e}")));
    out
}

fn sample_lines(path: &str) -> Vec<String> {
    let full = root().join("samples").join(path);
    std::fs::read_to_string(&full)
        .unwrap_or_else(|e| panic!("{}: {e}", full.display()))
        .lines()
        .map(str::to_owned)
        .collect()
}

/// A BSD syslog time stamp (`Nov 26 10:00:00`) for seconds since the epoch.
fn stamp(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap_or_default()
        .format("%b %e %H:%M:%S")
        .to_string()
}

/// Every alert the rule set raises on the lines.
fn detect(set: RuleSet, lines: &[String]) -> Vec<Alert> {
    let mut engine = Engine::new(set, Evaluator::Compiled);
    let mut alerts = Vec::new();
    for batch in batches(lines) {
        alerts.extend(engine.process(&batch).unwrap_or_else(|e| panic!("{e}")));
    }
    alerts
}
