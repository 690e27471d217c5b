//! Detection throughput: events per second through the reference detector and correlation, on
//! the project's samples (Linux auth, audit, relay syslog and the three firewall samples).
//!
//! Groups: the built-in pack; the pack plus every SigmaHQ rule for a log source we collect; and
//! SigmaHQ's Linux rules alone. The SigmaHQ groups need `CANHGAC_CORPORA` (the shared corpora);
//! without it they are skipped. `cargo bench -p canhgac-benches --bench detect`.

// criterion_group! generates undocumented functions.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::PathBuf;

use arrow::array::RecordBatch;
use canhgac_parsers::{BatchBuilder, Origin, ParseContext};
use canhgac_rules::{Engine, Logsources, ReferenceDetector, RuleSet};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn sample_batches() -> (Vec<RecordBatch>, usize) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../samples");
    let ctx = ParseContext::new(1_796_000_000_000_000);
    let mut builder = BatchBuilder::new();
    let mut batches = Vec::new();
    let mut rows = 0;
    for file in [
        "linux/auth.log",
        "linux/audit.log",
        "syslog/relay-rfc5424.log",
        "firewall/fortigate.log",
        "firewall/cisco-asa.log",
        "firewall/iptables.log",
    ] {
        let path = root.join(file);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for line in text.lines() {
            builder.push(line.as_bytes(), &ctx, Origin::default());
            rows += 1;
            if builder.len() == 8192 {
                batches.push(builder.finish().unwrap_or_else(|e| panic!("{e}")));
            }
        }
    }
    batches.push(builder.finish().unwrap_or_else(|e| panic!("{e}")));
    (batches, rows)
}

fn sigmahq(only_linux: bool) -> Option<RuleSet> {
    let corpora = std::env::var_os("CANHGAC_CORPORA")?;
    let dir = PathBuf::from(corpora).join("sigma/rules_selected");
    let logsources = Logsources::builtin().ok()?;
    let (mut set, _) = RuleSet::load(&[dir], logsources);
    if only_linux {
        let linux: Vec<usize> = (0..set.rules.len())
            .filter(|&i| {
                set.logsources
                    .get(set.rules[i].logsource)
                    .is_some_and(|l| l.name.starts_with("product=linux"))
            })
            .collect();
        let mut kept = Vec::new();
        for (i, rule) in std::mem::take(&mut set.rules).into_iter().enumerate() {
            if linux.contains(&i) {
                kept.push(rule);
            }
        }
        set.rules = kept;
        set.correlations.clear();
    }
    Some(set)
}

fn with_pack_and_sigmahq() -> Option<RuleSet> {
    let mut set = sigmahq(false)?;
    let mut failures = Vec::new();
    for (name, text) in canhgac_rules::PACK {
        set.add_text(std::path::Path::new(name), text, &mut failures);
    }
    set.finish(&mut failures);
    Some(set)
}

fn bench_rules(
    c: &mut Criterion,
    name: &str,
    make: impl Fn() -> Option<RuleSet>,
    batches: &[RecordBatch],
    rows: usize,
) {
    let Some(probe) = make() else {
        println!("{name}: skipped (set CANHGAC_CORPORA)");
        return;
    };
    println!(
        "{name}: {} rules, {} correlations, {rows} events",
        probe.rules.len(),
        probe.correlations.len()
    );
    let mut group = c.benchmark_group(format!("detect/{name}"));
    group.throughput(Throughput::Elements(rows as u64));
    group.sample_size(10);
    let mut engine = Engine::new(probe, ReferenceDetector);
    group.bench_function("reference", |b| {
        b.iter(|| {
            // Each run replays the same times: start with empty windows, as on first contact.
            engine.reset_windows();
            for batch in batches {
                black_box(engine.process(batch).ok());
            }
        })
    });
    group.finish();
}

fn detect(c: &mut Criterion) {
    let (batches, rows) = sample_batches();
    bench_rules(
        c,
        "pack",
        || canhgac_rules::builtin_pack().ok().map(|(s, _)| s),
        &batches,
        rows,
    );
    bench_rules(c, "pack_and_sigmahq", with_pack_and_sigmahq, &batches, rows);
    bench_rules(c, "sigmahq_linux", || sigmahq(true), &batches, rows);
}

criterion_group!(benches, detect);
criterion_main!(benches);
