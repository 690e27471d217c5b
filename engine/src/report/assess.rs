//! What the figures mean: detection posture (from the rule history), the compliance mapping (a
//! YAML file of requirements, each tied to one figure and a threshold) and recommendations
//! generated from the figures, plus the security office's own notes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::MonthlyReport;
use crate::error::{Error, Result};
use crate::posture::{Change, RuleEvent};

/// The compliance mapping shipped with canhgac (TCVN 11930:2017 / Circular 12/2022).
pub const DEFAULT_MAPPING: &str = include_str!("../../assets/compliance/vn-baseline.yaml");

/// A text in both report languages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Localized {
    /// Vietnamese.
    pub vi: String,
    /// English.
    pub en: String,
}

/// Detection posture at the end of the period.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Posture {
    /// Rules enabled (detection and correlation).
    pub rules_enabled: u64,
    /// Enabled rules by level.
    pub by_level: BTreeMap<String, u64>,
    /// Enabled rules by kind (`detection`, `correlation`).
    pub by_kind: BTreeMap<String, u64>,
    /// Rules added in the period.
    pub added: Vec<RuleRef>,
    /// Rules whose logic, title, level or tags changed in the period.
    pub changed: Vec<RuleRef>,
    /// Rules removed in the period.
    pub removed: Vec<RuleRef>,
    /// ATT&CK tactics the enabled rules cover, with the techniques.
    pub coverage: Vec<TacticCoverage>,
    /// Distinct techniques covered.
    pub techniques_covered: u64,
    /// Enabled rules with no ATT&CK tag.
    pub rules_without_attack: u64,
    /// Enabled rules that raised an alert in the period.
    pub rules_fired: u64,
}

/// A rule named in the posture.
#[derive(Debug, Clone, Serialize)]
pub struct RuleRef {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Level.
    pub level: String,
    /// When (RFC 3339).
    pub at: String,
}

/// One tactic's coverage.
#[derive(Debug, Clone, Serialize)]
pub struct TacticCoverage {
    /// Tactic (`credential_access`, ...).
    pub tactic: String,
    /// Techniques of the rules tagged with it.
    pub techniques: Vec<String>,
    /// Enabled rules tagged with it.
    pub rules: u64,
}

/// The posture from the rule history: enabled at `end`, changes in `[start, end)`.
pub fn posture(history: &[RuleEvent], start: i64, end: i64, fired: &BTreeSet<&str>) -> Posture {
    let enabled = crate::posture::enabled_at(history, end);
    let mut p = Posture {
        rules_enabled: enabled.len() as u64,
        ..Posture::default()
    };
    let mut tactics: BTreeMap<&str, (BTreeSet<&str>, u64)> = BTreeMap::new();
    let mut techniques = BTreeSet::new();
    for rule in enabled.values() {
        *p.by_level.entry(rule.level.clone()).or_default() += 1;
        *p.by_kind.entry(rule.kind.clone()).or_default() += 1;
        if rule.tactics.is_empty() && rule.techniques.is_empty() {
            p.rules_without_attack += 1;
        }
        techniques.extend(rule.techniques.iter().map(String::as_str));
        for t in &rule.tactics {
            let entry = tactics.entry(t.as_str()).or_default();
            entry.0.extend(rule.techniques.iter().map(String::as_str));
            entry.1 += 1;
        }
        p.rules_fired += u64::from(fired.contains(rule.id.as_str()));
    }
    p.techniques_covered = techniques.len() as u64;
    p.coverage = tactics
        .into_iter()
        .map(|(tactic, (techniques, rules))| TacticCoverage {
            tactic: tactic.to_owned(),
            techniques: techniques.into_iter().map(str::to_owned).collect(),
            rules,
        })
        .collect();
    let reference = |e: &RuleEvent| RuleRef {
        id: e.rule.id.clone(),
        title: e.rule.title.clone(),
        level: e.rule.level.clone(),
        at: e.at.clone(),
    };
    for e in history {
        let at = canhgac_rules::alert::micros_of(&e.at);
        if at < start || at >= end {
            continue;
        }
        match e.change {
            Change::Added => p.added.push(reference(e)),
            Change::Changed => p.changed.push(reference(e)),
            Change::Removed => p.removed.push(reference(e)),
        }
    }
    p
}

/// The mapping file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// The texts it maps.
    pub framework: Localized,
    /// The requirements.
    pub requirements: Vec<Requirement>,
}

/// One requirement of the mapping.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// Short id.
    pub id: String,
    /// Where it comes from.
    #[serde(default)]
    pub reference: String,
    /// Requirement area.
    pub area: Localized,
    /// What is required.
    pub text: Localized,
    /// The figure that evidences it (see the shipped file for the names).
    pub figure: String,
    /// Met when the figure is at least this.
    #[serde(default)]
    pub at_least: Option<f64>,
    /// Met when the figure is at most this.
    #[serde(default)]
    pub at_most: Option<f64>,
}

/// A requirement's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The figure satisfies it.
    Met,
    /// It does not.
    NotMet,
    /// The figure cannot be computed from the data.
    NoData,
}

/// The compliance section.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Compliance {
    /// The texts mapped.
    pub framework: Localized,
    /// One line per requirement, in the mapping's order.
    pub lines: Vec<ComplianceLine>,
}

/// One requirement, judged.
#[derive(Debug, Clone, Serialize)]
pub struct ComplianceLine {
    /// Id.
    pub id: String,
    /// Source text.
    pub reference: String,
    /// Area.
    pub area: Localized,
    /// Requirement.
    pub text: Localized,
    /// Figure name.
    pub figure: String,
    /// Its value (none: no data).
    pub value: Option<f64>,
    /// The threshold, as written (`>= 90`, `<= 0`, `> 0`).
    pub threshold: String,
    /// Verdict.
    pub verdict: Verdict,
}

/// The figures a mapping may name.
pub const FIGURES: &[&str] = &[
    "retention_days",
    "sources_monitored",
    "silent_sources",
    "coverage_ratio",
    "parse_failure_rate",
    "records_dropped",
    "privileged_events",
    "auth_failures",
    "firewall_denied",
    "alerts_total",
    "alerts_closed_ratio",
    "open_high_alerts",
    "tta_p90_minutes",
    "rules_enabled",
    "tactics_covered",
];

/// Reads a mapping (the shipped one when `path` is `None`) and checks that it names only known
/// figures.
pub fn load_mapping(path: Option<&Path>) -> Result<Mapping> {
    let (text, origin) = match path {
        Some(p) => (
            std::fs::read_to_string(p).map_err(Error::io(p))?,
            p.display().to_string(),
        ),
        None => (DEFAULT_MAPPING.to_owned(), "the shipped mapping".to_owned()),
    };
    let mapping: Mapping = serde_norway::from_str(&text)
        .map_err(|e| Error::Config(format!("compliance mapping {origin}: {e}")))?;
    let unknown: Vec<&str> = mapping
        .requirements
        .iter()
        .map(|r| r.figure.as_str())
        .filter(|f| !FIGURES.contains(f))
        .collect();
    if !unknown.is_empty() {
        return Err(Error::Config(format!(
            "compliance mapping {origin}: unknown figure(s) {}; known: {}",
            unknown.join(", "),
            FIGURES.join(", ")
        )));
    }
    Ok(mapping)
}

/// The value of each named figure in a report (absent: cannot be computed).
pub fn figure_values(r: &MonthlyReport) -> BTreeMap<&'static str, f64> {
    let mut v = BTreeMap::new();
    if let Some(days) = r.continuity.retention_days {
        v.insert("retention_days", days as f64);
    }
    v.insert("sources_monitored", r.scope.sources.len() as f64);
    if r.continuity.events > 0 {
        let silent = r
            .continuity
            .sources
            .iter()
            .filter(|s| !s.silent_gaps.is_empty())
            .count();
        v.insert("silent_sources", silent as f64);
        let days = r.continuity.days_in_period.max(1) as f64;
        let busy = r
            .continuity
            .events_per_day
            .values()
            .filter(|n| **n > 0)
            .count() as f64;
        v.insert("coverage_ratio", super::round4(busy / days));
        let failures: u64 = r.continuity.sources.iter().map(|s| s.parse_failures).sum();
        v.insert(
            "parse_failure_rate",
            super::ratio(failures, r.continuity.events),
        );
        v.insert("firewall_denied", r.firewall.denied as f64);
        v.insert("auth_failures", r.access.auth_failures as f64);
        v.insert("privileged_events", r.access.privileged_events as f64);
    }
    let collectors = &r.continuity.collectors;
    if collectors.records > 0 {
        let dropped: u64 = collectors.sources.values().map(|s| s.dropped).sum();
        v.insert("records_dropped", dropped as f64);
    }
    v.insert("alerts_total", r.alerts.total as f64);
    if r.alerts.total > 0 {
        let closed = r.handling.by_status.get("closed").copied().unwrap_or(0);
        v.insert("alerts_closed_ratio", super::ratio(closed, r.alerts.total));
    }
    let open_high: u64 = ["high", "critical"]
        .iter()
        .filter_map(|l| r.handling.open_by_level.get(*l))
        .sum();
    v.insert("open_high_alerts", open_high as f64);
    if let Some(p90) = r.handling.time_to_acknowledge_minutes.p90 {
        v.insert("tta_p90_minutes", p90);
    }
    v.insert("rules_enabled", r.posture.rules_enabled as f64);
    v.insert("tactics_covered", r.posture.coverage.len() as f64);
    v
}

/// Judges every requirement of `mapping` on the report's figures.
pub fn compliance(mapping: &Mapping, r: &MonthlyReport) -> Compliance {
    let values = figure_values(r);
    let lines = mapping
        .requirements
        .iter()
        .map(|req| {
            let value = values.get(req.figure.as_str()).copied();
            let (threshold, ok) = match (req.at_least, req.at_most) {
                (Some(lo), Some(hi)) => (
                    format!(">= {lo}, <= {hi}"),
                    value.map(|v| v >= lo && v <= hi),
                ),
                (Some(lo), None) => (format!(">= {lo}"), value.map(|v| v >= lo)),
                (None, Some(hi)) => (format!("<= {hi}"), value.map(|v| v <= hi)),
                (None, None) => ("> 0".to_owned(), value.map(|v| v > 0.0)),
            };
            // "Evidence exists" with nothing seen is no data rather than a failure.
            let verdict = match ok {
                None => Verdict::NoData,
                Some(true) => Verdict::Met,
                Some(false) if req.at_least.is_none() && req.at_most.is_none() => Verdict::NoData,
                Some(false) => Verdict::NotMet,
            };
            ComplianceLine {
                id: req.id.clone(),
                reference: req.reference.clone(),
                area: req.area.clone(),
                text: req.text.clone(),
                figure: req.figure.clone(),
                value,
                threshold,
                verdict,
            }
        })
        .collect();
    Compliance {
        framework: mapping.framework.clone(),
        lines,
    }
}

/// What a recommendation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Advice {
    /// A source fell silent: fix its collection (`value`: silent hours in all).
    SilentSource,
    /// A source's records often fail to parse: check its format (`value`: failure rate).
    ParseFailures,
    /// A rule's closed alerts are mostly false positives: tune it (`value`: rate).
    NoisyRule,
    /// One rule makes most of the alerts: review its threshold (`value`: share).
    DominantRule,
    /// High or critical alerts are still open (`value`: how many).
    OpenHighAlerts,
    /// A requirement is not met (`subject`: its id; `value`: the figure).
    RequirementNotMet,
    /// No detection rule is enabled.
    NoRules,
}

/// One recommendation.
#[derive(Debug, Clone, Serialize)]
pub struct Recommendation {
    /// Kind.
    pub advice: Advice,
    /// What it is about (a source, a rule, a requirement).
    pub subject: String,
    /// The figure behind it.
    pub value: f64,
}

/// Recommendations generated from the figures, most urgent first.
pub fn recommendations(r: &MonthlyReport) -> Vec<Recommendation> {
    let mut out = Vec::new();
    let mut add = |advice, subject: &str, value: f64| {
        out.push(Recommendation {
            advice,
            subject: subject.to_owned(),
            value,
        });
    };
    let open_high: u64 = ["high", "critical"]
        .iter()
        .filter_map(|l| r.handling.open_by_level.get(*l))
        .sum();
    if open_high > 0 {
        add(Advice::OpenHighAlerts, "", open_high as f64);
    }
    for s in &r.continuity.sources {
        let hours: u64 = s.silent_gaps.iter().map(|g| g.hours).sum();
        if hours > 0 {
            add(Advice::SilentSource, &s.source, hours as f64);
        }
    }
    for s in &r.continuity.sources {
        if s.parse_failures >= 10 && s.parse_failure_rate > 0.05 {
            add(Advice::ParseFailures, &s.source, s.parse_failure_rate);
        }
    }
    for f in &r.handling.false_positives {
        if f.closed >= 3 && f.rate >= 0.5 {
            add(Advice::NoisyRule, &f.rule_id, f.rate);
        }
    }
    if r.alerts.total >= 100
        && let Some(top) = r.alerts.by_rule.first()
    {
        let share = super::ratio(top.count, r.alerts.total);
        if share > 0.5 {
            add(Advice::DominantRule, &top.title, share);
        }
    }
    if r.posture.rules_enabled == 0 {
        add(Advice::NoRules, "", 0.0);
    }
    for line in &r.compliance.lines {
        if line.verdict == Verdict::NotMet {
            add(
                Advice::RequirementNotMet,
                &line.id,
                line.value.unwrap_or(0.0),
            );
        }
    }
    out
}

/// The security office's notes: paragraphs of a text file, separated by blank lines.
pub fn notes(path: Option<&Path>) -> Result<Vec<String>> {
    let Some(path) = path else {
        return Ok(Vec::new());
    };
    let text = std::fs::read_to_string(path).map_err(Error::io(path))?;
    Ok(text
        .split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_mapping_loads_and_names_known_figures() {
        let m = load_mapping(None).expect("shipped mapping");
        assert!(m.requirements.len() >= 10);
        for area in [
            "Log collection and retention",
            "Monitoring",
            "Access control",
        ] {
            assert!(m.requirements.iter().any(|r| r.area.en == area), "{area}");
        }
        let bad = "framework: {vi: a, en: b}\nrequirements:\n  - {id: x, area: {vi: a, en: b}, text: {vi: a, en: b}, figure: nonsense}\n";
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("m.yaml");
        std::fs::write(&path, bad).expect("write");
        let e = load_mapping(Some(&path)).expect_err("unknown figure");
        assert!(e.to_string().contains("nonsense"), "{e}");
    }
}
