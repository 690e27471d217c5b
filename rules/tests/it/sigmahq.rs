//! SigmaHQ's rules from the shared corpora (never copied into this repository): every rule for a
//! log source we collect must load; the rest are listed with the reason.

use std::collections::BTreeMap;

use canhgac_rules::{Logsources, RuleSet};

/// Fields a Linux host's auditd records do not carry, one record per row: the parent process of
/// a process start, and the program that wrote a file (on the SYSCALL record, not the PATH one).
/// Rules that need them cannot be supported until records of one event are joined.
const NOT_IN_RECORDS: &[&str] = &[
    "field `ParentImage` does not exist for log source product=linux,category=process_creation",
    "field `ParentCommandLine` does not exist for log source product=linux,category=process_creation",
    "field `Image` does not exist for log source product=linux,category=file_event",
];

#[test]
fn applicable_sigmahq_rules_load() {
    let Some(corpora) = std::env::var_os("CANHGAC_CORPORA") else {
        println!("SigmaHQ rules skipped: set CANHGAC_CORPORA to the shared corpora directory");
        return;
    };
    let dir = std::path::PathBuf::from(corpora).join("sigma/rules_selected");
    let logsources = Logsources::builtin().unwrap_or_else(|e| panic!("{e}"));
    let (set, failures) = RuleSet::load(&[dir], logsources);
    let mut per_source: BTreeMap<String, usize> = BTreeMap::new();
    for rule in &set.rules {
        let name = set
            .logsources
            .get(rule.logsource)
            .map(|l| l.name.clone())
            .unwrap_or_default();
        *per_source.entry(name).or_default() += 1;
    }
    println!(
        "SigmaHQ rules loaded: {} (+{} correlations)",
        set.rules.len(),
        set.correlations.len()
    );
    for (source, n) in &per_source {
        println!("  {source:<40} {n}");
    }
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut applicable_failures = Vec::new();
    for f in &failures {
        // SigmaHQ keeps rules it cannot express in Sigma 2 (old `timeframe` aggregations, `near`)
        // in `unsupported/`: listed here, not expected to load.
        let unsupported = f.path.components().any(|c| c.as_os_str() == "unsupported");
        let kind = if f.reason.contains("is not one canhgac collects") {
            "log source not collected".to_owned()
        } else if unsupported {
            format!("SigmaHQ marks it unsupported: {}", f.reason)
        } else if NOT_IN_RECORDS.iter().any(|r| f.reason == *r) {
            format!("not in the records we get: {}", f.reason)
        } else {
            applicable_failures.push(f.clone());
            f.reason.clone()
        };
        *reasons.entry(kind).or_default() += 1;
    }
    println!("not loaded: {}", failures.len());
    for (reason, n) in &reasons {
        println!("  {n:>4}  {reason}");
    }
    assert!(set.rules.len() > 240, "too few SigmaHQ rules loaded");
    assert!(
        applicable_failures.is_empty(),
        "rules for collected log sources failed: {applicable_failures:#?}"
    );
}
