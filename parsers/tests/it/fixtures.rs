//! Golden tests on fixtures written for this project: `tests/fixtures/<format>/*.log`, one record
//! per line, and next to each the reviewed rows it must give, `*.expected.jsonl`. Run with
//! `UPDATE_EXPECT=1` to rewrite the expected files after a deliberate change, then review the diff.

use std::path::{Path, PathBuf};

use canhgac_parsers::{BatchBuilder, Origin, ParseContext};

/// 2026-01-02T00:00:00Z: `Dec 31` lines fall in 2025, the rest of the year too.
const RECEIVED_AT: i64 = 1_767_312_000_000_000;

fn fixture_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|x| x == "log") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Parses every line of a fixture and renders the rows (without `received_at`, which is fixed).
fn render(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let ctx = ParseContext::new(RECEIVED_AT);
    let mut builder = BatchBuilder::new();
    let mut lines = 0;
    for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        builder.push(line, &ctx, Origin::default());
        lines += 1;
    }
    let batch = builder.finish().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        batch.num_rows(),
        lines,
        "every line must give exactly one row"
    );
    let batch = batch
        .project(
            &(0..batch.num_columns())
                .filter(|&i| i != 1)
                .collect::<Vec<_>>(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let mut out = String::new();
    for row in 0..batch.num_rows() {
        canhgac_parsers::jsonl::write_row(&batch, row, &mut out);
    }
    out
}

#[test]
fn fixtures_give_the_reviewed_rows() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let files = fixture_files();
    assert!(files.len() >= 4, "fixtures missing");
    let mut failures = Vec::new();
    for path in files {
        let got = render(&path);
        let expected_path = path.with_extension("expected.jsonl");
        if update {
            std::fs::write(&expected_path, &got)
                .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        for (i, (g, e)) in got.lines().zip(expected.lines()).enumerate() {
            if g != e {
                failures.push(format!(
                    "{}:{}\n  expected {e}\n  got      {g}",
                    path.display(),
                    i + 1
                ));
            }
        }
        if got.lines().count() != expected.lines().count() {
            failures.push(format!(
                "{}: {} rows, expected {}",
                path.display(),
                got.lines().count(),
                expected.lines().count()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "fixture rows changed (UPDATE_EXPECT=1 rewrites them):\n{}",
        failures.join("\n")
    );
}
