//! Detection throughput, events per second on one core, against the peers in the same run.
//!
//! Events: the samples' Linux and firewall records (auth, audit, relay syslog, FortiGate, ASA,
//! iptables) repeated to 1,000,000 rows, parsed once into Arrow batches of 8,192 rows.
//!
//! Rule sets: SigmaHQ's Linux rules alone (`sigmahq_linux`), and everything (`all`: our pack plus
//! every SigmaHQ rule for a log source we collect). Both need `CANHGAC_CORPORA` (the shared
//! corpora); without it only the pack is measured.
//!
//! Per rule set:
//! - `compiled`: our compiled evaluator over the batches (detection only, as the peers do);
//! - `compiled+engine`: the same with correlation and alerts, as `canhgac detect` runs it;
//! - `rsigma`: `rsigma-eval` 0.23 with the same rules (their original text), on the same
//!   records as JSON events holding each record's fields under the rules' field names;
//! - `sigma-rust`: the reference evaluator, per event, on the first 16,384 rows only (it is two
//!   orders of magnitude slower; the rate is per event, so it compares).
//!
//! Before measuring, the verdicts of RSigma and ours are compared on the samples and every line
//! of the corpora, and every rule where they differ is printed with an example.
//! `cargo bench -p canhgac-benches --bench detect`.

// criterion_group! generates undocumented functions.
#![allow(missing_docs)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hint::black_box;
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use canhgac_parsers::{BatchBuilder, Origin, ParseContext};
use canhgac_rules::detect::{BatchView, RuleMatch, in_logsource};
use canhgac_rules::logsource::FieldRef;
use canhgac_rules::{
    CompiledDetector, Detector, Engine, Evaluator, Logsources, ReferenceDetector, RuleSet,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const ROWS: usize = 1_000_000;
const BATCH: usize = 8192;
const REFERENCE_ROWS: usize = 16_384;

fn sample_lines() -> Vec<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../samples");
    let mut lines = Vec::new();
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
        lines.extend(text.lines().map(str::to_owned));
    }
    lines
}

/// Every line of the shared corpora, for comparing verdicts on more than the samples.
fn corpus_lines() -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        children.sort();
        for child in children {
            if child.is_dir() {
                walk(&child, out);
            } else if let Ok(bytes) = std::fs::read(&child) {
                out.extend(
                    String::from_utf8_lossy(&bytes)
                        .lines()
                        .filter(|l| !l.trim().is_empty())
                        .map(str::to_owned),
                );
            }
        }
    }
    let mut out = Vec::new();
    if let Some(corpora) = std::env::var_os("CANHGAC_CORPORA") {
        walk(Path::new(&corpora), &mut out);
    }
    out
}

fn to_batches(lines: impl Iterator<Item = String>) -> Vec<RecordBatch> {
    let ctx = ParseContext::new(1_796_000_000_000_000);
    let mut builder = BatchBuilder::new();
    let mut batches = Vec::new();
    for line in lines {
        builder.push(line.as_bytes(), &ctx, Origin::default());
        if builder.len() == BATCH {
            batches.push(builder.finish().unwrap_or_else(|e| panic!("{e}")));
        }
    }
    if !builder.is_empty() {
        batches.push(builder.finish().unwrap_or_else(|e| panic!("{e}")));
    }
    batches
}

fn load(paths: &[PathBuf], pack: bool, only_linux: bool) -> RuleSet {
    let mut set = RuleSet::empty(Logsources::builtin().unwrap_or_else(|e| panic!("{e}")));
    let mut failures = Vec::new();
    if pack {
        for (name, text) in canhgac_rules::PACK {
            set.add_text(Path::new(name), text, &mut failures);
        }
    }
    set.add_paths(paths, &mut failures);
    set.finish(&mut failures);
    if only_linux {
        let logsources = &set.logsources;
        set.rules.retain(|r| {
            logsources
                .get(r.logsource)
                .is_some_and(|l| l.name.starts_with("product=linux"))
        });
        set.correlations.clear();
    }
    set
}

/// The same rules for RSigma, from their original text.
fn rsigma_engine(set: &RuleSet) -> rsigma_eval::Engine {
    let ids: BTreeSet<&str> = set.rules.iter().map(|r| r.meta.id.as_str()).collect();
    let mut engine = rsigma_eval::Engine::new();
    let mut files: BTreeSet<&Path> = BTreeSet::new();
    for rule in &set.rules {
        files.insert(rule.meta.path.as_path());
    }
    let mut added = 0;
    for file in files {
        let name = file.to_string_lossy();
        let text = match canhgac_rules::PACK.iter().find(|(n, _)| *n == name) {
            Some((_, text)) => (*text).to_owned(),
            None => std::fs::read_to_string(file).unwrap_or_default(),
        };
        let Ok(collection) = rsigma_parser::parse_sigma_yaml(&text) else {
            println!("rsigma: cannot parse {name}");
            continue;
        };
        for rule in &collection.rules {
            if rule.id.as_deref().is_some_and(|id| ids.contains(id)) {
                match engine.add_rule(rule) {
                    Ok(()) => added += 1,
                    Err(e) => println!("rsigma: {}: {e}", rule.title),
                }
            }
        }
    }
    println!("rsigma: {added} of {} rules loaded", set.rules.len());
    engine
}

/// Each distinct record as a JSON event for RSigma: every field the rules of the record's log
/// sources read, under the rules' names (the mapping our loader applied).
fn rsigma_events(set: &RuleSet, batches: &[RecordBatch]) -> Vec<serde_json::Value> {
    let mut events = Vec::new();
    for batch in batches {
        let Ok(view) = BatchView::new(batch) else {
            continue;
        };
        for row in 0..view.rows() {
            let mut object = serde_json::Map::new();
            for rule in &set.rules {
                let Some(source) = set.logsources.get(rule.logsource) else {
                    continue;
                };
                if !in_logsource(&view, row, &source.rows) {
                    continue;
                }
                for field in &rule.fields {
                    if field.source == FieldRef::Keywords || object.contains_key(&field.name) {
                        continue;
                    }
                    if let Some(v) = view.text(row, &field.source) {
                        object.insert(field.name.clone(), v.into_owned().into());
                    }
                }
            }
            // Keyword rules search the record's text.
            if let Some(v) = view.text(row, &FieldRef::Keywords) {
                object.insert("message".to_owned(), v.into_owned().into());
            }
            events.push(serde_json::Value::Object(object));
        }
    }
    events
}

/// Where RSigma's verdicts differ from ours, per rule.
fn compare_verdicts(set: &RuleSet, batches: &[RecordBatch], rsigma: &rsigma_eval::Engine) {
    let events = rsigma_events(set, batches);
    let detector = CompiledDetector::new(set);
    let mut ours: BTreeSet<(usize, String)> = BTreeSet::new();
    let mut raw = Vec::new();
    let mut base = 0;
    for batch in batches {
        let Ok(view) = BatchView::new(batch) else {
            continue;
        };
        let mut matches: Vec<RuleMatch> = Vec::new();
        detector.detect(set, &view, &mut matches);
        for m in matches {
            ours.insert((base + m.row, set.rules[m.rule].meta.id.clone()));
        }
        for row in 0..view.rows() {
            raw.push(view.raw(row).into_owned());
        }
        base += view.rows();
    }
    let mut theirs: BTreeSet<(usize, String)> = BTreeSet::new();
    for (row, event) in events.iter().enumerate() {
        let event = rsigma_eval::event::JsonEvent::borrow(event);
        for result in rsigma.evaluate(&event) {
            if let Some(id) = result.header.rule_id {
                theirs.insert((row, id));
            }
        }
    }
    let mut differ: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    for (row, id) in ours.symmetric_difference(&theirs) {
        let entry = differ.entry(id.clone()).or_insert((0, 0, *row));
        if ours.contains(&(*row, id.clone())) {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
    }
    println!(
        "verdicts on {} records: ours {} matches, rsigma {}; rules that differ: {}",
        events.len(),
        ours.len(),
        theirs.len(),
        differ.len()
    );
    let titles: HashMap<&str, &str> = set
        .rules
        .iter()
        .map(|r| (r.meta.id.as_str(), r.meta.title.as_str()))
        .collect();
    for (id, (only_ours, only_theirs, example)) in &differ {
        println!(
            "  {id} {:?}: only ours {only_ours}, only rsigma {only_theirs}; e.g. {}",
            titles.get(id.as_str()).copied().unwrap_or(""),
            raw.get(*example).map(String::as_str).unwrap_or("")
        );
    }
}

fn bench_rules(c: &mut Criterion, name: &str, set: RuleSet, lines: &[String]) {
    let distinct = to_batches(lines.iter().cloned());
    let batches = to_batches(lines.iter().cycle().take(ROWS).cloned());
    let reference_batches = to_batches(lines.iter().cycle().take(REFERENCE_ROWS).cloned());
    let rsigma = rsigma_engine(&set);
    let compared: Vec<String> = lines.iter().cloned().chain(corpus_lines()).collect();
    compare_verdicts(&set, &to_batches(compared.into_iter()), &rsigma);
    let events = rsigma_events(&set, &distinct);
    let detector = CompiledDetector::new(&set);
    println!(
        "{name}: {} rules, {} correlations, {ROWS} events; compiled: {} gated by the prefilter of {}, {} left to the reference",
        set.rules.len(),
        set.correlations.len(),
        detector.gated().0,
        detector.gated().1,
        detector.fallbacks().len()
    );

    let mut group = c.benchmark_group(format!("detect/{name}"));
    group.sample_size(10);
    group.throughput(Throughput::Elements(ROWS as u64));
    group.bench_function("compiled", |b| {
        let mut out = Vec::new();
        b.iter(|| {
            for batch in &batches {
                out.clear();
                if let Ok(view) = BatchView::new(batch) {
                    detector.detect(&set, &view, &mut out);
                }
                black_box(out.len());
            }
        })
    });
    group.bench_function("rsigma", |b| {
        b.iter(|| {
            for event in events.iter().cycle().take(ROWS) {
                let event = rsigma_eval::event::JsonEvent::borrow(event);
                black_box(rsigma.evaluate(&event).len());
            }
        })
    });
    group.throughput(Throughput::Elements(REFERENCE_ROWS as u64));
    group.bench_function("sigma-rust", |b| {
        let mut out = Vec::new();
        b.iter(|| {
            for batch in &reference_batches {
                out.clear();
                if let Ok(view) = BatchView::new(batch) {
                    ReferenceDetector.detect(&set, &view, &mut out);
                }
                black_box(out.len());
            }
        })
    });
    group.throughput(Throughput::Elements(ROWS as u64));
    let mut engine = Engine::new(set, Evaluator::Compiled);
    group.bench_function("compiled+engine", |b| {
        b.iter(|| {
            // Each run replays the same times: start with empty windows, as on first contact.
            engine.reset_windows();
            for batch in &batches {
                black_box(engine.process(batch).ok());
            }
        })
    });
    group.finish();
}

fn detect(c: &mut Criterion) {
    let lines = sample_lines();
    let Some(corpora) = std::env::var_os("CANHGAC_CORPORA") else {
        println!("SigmaHQ rule sets skipped (set CANHGAC_CORPORA); measuring the pack alone");
        bench_rules(c, "pack", load(&[], true, false), &lines);
        return;
    };
    let sigma = PathBuf::from(corpora).join("sigma/rules_selected");
    bench_rules(
        c,
        "sigmahq_linux",
        load(std::slice::from_ref(&sigma), false, true),
        &lines,
    );
    bench_rules(c, "all", load(&[sigma], true, false), &lines);
}

criterion_group!(benches, detect);
criterion_main!(benches);
