//! The compiled evaluator against the reference (sigma-rust): every rule of the pack and every
//! applicable SigmaHQ rule, on every record of the samples and every line of the shared corpora
//! that our parsers read, must get the same verdict from both. A disagreement fails with the rule
//! id and the record.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use canhgac_rules::detect::{BatchView, RuleMatch};
use canhgac_rules::{CompiledDetector, Detector, Logsources, ReferenceDetector, RuleSet};

use crate::{batches, root};

/// The pack plus SigmaHQ's rules when the corpora are there.
fn all_rules() -> RuleSet {
    let mut set = RuleSet::empty(Logsources::builtin().unwrap_or_else(|e| panic!("{e}")));
    let mut failures = Vec::new();
    for (name, text) in canhgac_rules::PACK {
        set.add_text(Path::new(name), text, &mut failures);
    }
    assert!(failures.is_empty(), "{failures:?}");
    if let Some(corpora) = std::env::var_os("CANHGAC_CORPORA") {
        set.add_paths(
            &[PathBuf::from(corpora).join("sigma/rules_selected")],
            &mut failures,
        );
    }
    set.finish(&mut failures);
    set
}

fn text_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    children.sort();
    for child in children {
        if child.is_dir() {
            text_files(&child, out);
        } else if child
            .extension()
            .is_none_or(|x| !matches!(x.to_str(), Some("gz" | "zip" | "png" | "pdf")))
        {
            out.push(child);
        }
    }
}

/// Every line of the samples and of the corpora (the parsers decide what they can read).
fn all_lines() -> Vec<String> {
    let mut files = Vec::new();
    text_files(&root().join("samples"), &mut files);
    if let Some(corpora) = std::env::var_os("CANHGAC_CORPORA") {
        text_files(Path::new(&corpora), &mut files);
    }
    let mut lines = Vec::new();
    for file in files {
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        lines.extend(
            String::from_utf8_lossy(&bytes)
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_owned),
        );
    }
    lines
}

#[test]
fn compiled_evaluator_agrees_with_the_reference() {
    let set = all_rules();
    let compiled = CompiledDetector::new(&set);
    for (rule, reason) in compiled.fallbacks() {
        println!("reference kept for {}: {reason}", set.rules[rule].meta.id);
    }
    let lines = all_lines();
    let (mut rows, mut matches, mut disagreements) = (0, 0, Vec::new());
    for batch in batches(&lines) {
        let view = BatchView::new(&batch).unwrap_or_else(|e| panic!("{e}"));
        let (mut fast, mut slow): (Vec<RuleMatch>, Vec<RuleMatch>) = (Vec::new(), Vec::new());
        compiled.detect(&set, &view, &mut fast);
        ReferenceDetector.detect(&set, &view, &mut slow);
        rows += view.rows();
        matches += slow.len();
        let key = |m: &RuleMatch| (m.row, m.rule);
        let fast: BTreeSet<_> = fast.iter().map(key).collect();
        let slow: BTreeSet<_> = slow.iter().map(key).collect();
        for (row, rule) in fast.symmetric_difference(&slow) {
            disagreements.push(format!(
                "rule {} ({}): compiled {}, reference {}, on: {}",
                set.rules[*rule].meta.id,
                set.rules[*rule].meta.title,
                fast.contains(&(*row, *rule)),
                slow.contains(&(*row, *rule)),
                view.raw(*row)
            ));
        }
    }
    println!(
        "{} rules, {} records, {} matches, {} disagreements",
        set.rules.len(),
        rows,
        matches,
        disagreements.len()
    );
    assert!(
        disagreements.is_empty(),
        "{}",
        disagreements
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    // Both agreeing on nothing proves nothing: the samples alone make the pack fire.
    assert!(matches > 50, "only {matches} matches");
}
