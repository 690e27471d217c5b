//! `rules test`: each rule's own sample records (`canhgac_tests`), run through the parsers and the
//! detection engine with the whole rule set loaded, so correlations see the rules they reference.
//! A detection rule passes when it matches every `match` record and no `no_match` record; a
//! correlation passes when its `match` records make it fire and its `no_match` records do not
//! (each list replayed `repeat` times, for correlations over many events).

use canhgac_parsers::{BatchBuilder, Origin, ParseContext};
use canhgac_rules::Engine;

use crate::error::Result;

/// The verdict on one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleTestResult {
    /// Rule id.
    pub id: String,
    /// Rule title.
    pub title: String,
    /// `None` when the rule has no tests; otherwise what failed (empty = passed).
    pub failures: Option<Vec<String>>,
}

fn batch(lines: &[String], ctx: &ParseContext) -> Result<arrow::array::RecordBatch> {
    let mut builder = BatchBuilder::new();
    for line in lines {
        builder.push(line.as_bytes(), ctx, Origin::default());
    }
    Ok(builder.finish()?)
}

/// Runs every rule's tests. `ctx` gives the receive time (for year inference) and zone.
pub fn run_rule_tests(engine: &mut Engine, ctx: &ParseContext) -> Result<Vec<RuleTestResult>> {
    let mut results = Vec::new();
    let rules: Vec<(usize, String, String, Option<canhgac_rules::RuleTests>)> = engine
        .rules()
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            (
                i,
                r.meta.id.clone(),
                r.meta.title.clone(),
                r.meta.tests.clone(),
            )
        })
        .collect();
    for (index, id, title, tests) in rules {
        let failures = match tests {
            None => None,
            Some(t) => {
                let mut failures = Vec::new();
                for (lines, want) in [(&t.matching, true), (&t.not_matching, false)] {
                    for line in lines {
                        let b = batch(std::slice::from_ref(line), ctx)?;
                        let hit = engine.matches(&b)?.iter().any(|m| m.rule == index);
                        if hit != want {
                            failures.push(format!(
                                "{} {line}",
                                if want { "missed:" } else { "matched:" }
                            ));
                        }
                    }
                }
                Some(failures)
            }
        };
        results.push(RuleTestResult {
            id,
            title,
            failures,
        });
    }
    let correlations: Vec<(String, String, Option<canhgac_rules::RuleTests>)> = engine
        .rules()
        .correlations
        .iter()
        .map(|c| {
            (
                c.meta.id.clone(),
                c.meta.title.clone(),
                c.meta.tests.clone(),
            )
        })
        .collect();
    for (id, title, tests) in correlations {
        let failures = match tests {
            None => None,
            Some(t) => {
                let mut failures = Vec::new();
                for (lines, want) in [(&t.matching, true), (&t.not_matching, false)] {
                    if lines.is_empty() {
                        continue;
                    }
                    engine.reset_windows();
                    let replayed: Vec<String> = std::iter::repeat_n(lines.as_slice(), t.repeat)
                        .flatten()
                        .cloned()
                        .collect();
                    let fired = engine
                        .process(&batch(&replayed, ctx)?)?
                        .iter()
                        .any(|a| a.rule_id == id);
                    if fired != want {
                        failures.push(if want {
                            format!("did not fire on its {} match records", replayed.len())
                        } else {
                            format!("fired on its {} no_match records", replayed.len())
                        });
                    }
                }
                engine.reset_windows();
                Some(failures)
            }
        };
        results.push(RuleTestResult {
            id,
            title,
            failures,
        });
    }
    Ok(results)
}
