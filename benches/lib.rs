//! Criterion benchmarks for canhgac; see the `[[bench]]` targets in this crate's `Cargo.toml`.
//! What several benchmarks share lives here.

use std::io::BufWriter;
use std::path::{Path, PathBuf};

use canhgac_engine::generate::generate_alerts;

/// 2026-09-01T00:00:00Z: the generated quarter of alerts starts here.
pub const ALERTS_START_SECS: i64 = 1_788_220_800;

/// A data directory under `target/bench-data/NAME` holding `alerts` generated alerts (and triage
/// changes for a third of them), made on first use and reused by later runs (delete it to
/// regenerate).
pub fn alert_data_dir(name: &str, alerts: u64) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/bench-data")
        .join(name);
    let log = dir.join("alerts/alerts.jsonl");
    if !log.try_exists().expect("bench data dir readable") {
        std::fs::create_dir_all(dir.join("alerts")).expect("bench data dir");
        let mut out = BufWriter::new(std::fs::File::create(&log).expect("alert log"));
        let mut audit =
            BufWriter::new(std::fs::File::create(dir.join("alerts/audit.jsonl")).expect("audit"));
        generate_alerts(alerts, 7, ALERTS_START_SECS, &mut out, Some(&mut audit))
            .expect("generate");
    }
    dir
}
