//! Criterion benchmarks for canhgac; see the `[[bench]]` targets in this crate's `Cargo.toml`.
//! What several benchmarks share lives here.

use std::io::BufWriter;
use std::path::{Path, PathBuf};

use canhgac_engine::generate::generate_alerts;
use canhgac_parsers::{BatchBuilder, Origin, ParseContext};

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

/// The lines of `samples/PATH` that `keep` accepts.
pub fn sample_lines(path: &str, keep: impl Fn(&str) -> bool) -> Vec<String> {
    let full = format!("{}/../samples/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
    text.lines()
        .filter(|l| keep(l))
        .map(str::to_owned)
        .collect()
}

/// Parses every line into batches of 8192 rows, as ingestion does.
pub fn to_batches(builder: &mut BatchBuilder, lines: &[String], ctx: &ParseContext) {
    for line in lines {
        builder.push(line.as_bytes(), ctx, Origin::default());
        if builder.len() == 8192 {
            std::hint::black_box(builder.finish().ok());
        }
    }
    std::hint::black_box(builder.finish().ok());
}

/// The baseline: every line through `syslog_loose` (year 2026, UTC), results dropped.
pub fn with_syslog_loose(lines: &[String]) {
    let utc = chrono::FixedOffset::east_opt(0);
    for line in lines {
        std::hint::black_box(syslog_loose::parse_message_with_year_tz(
            line,
            |_| 2026,
            utc,
            syslog_loose::Variant::Either,
        ));
    }
}
