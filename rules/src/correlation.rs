//! Sigma correlation rules: counts, distinct values, sums, averages, rarity and sequences of
//! detection-rule matches per group within a time window (the Sigma correlation specification).
//!
//! Windows slide on event time: each match is kept with its time, and a match at `t` sees the
//! matches of its group in `(t - timespan, t]`. When the condition holds, the correlation fires
//! once and its group starts afresh, so one burst gives one alert, not one per event.
//! `value_percentile` is read as the specification's example means it: the share (in percent)
//! of the window's matches that have this match's value of `field`.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_norway::Value;

use crate::alert::Evidence;
use crate::detect::EVIDENCE_LINES;
use crate::load::{LoadFailure, Meta, RuleSet, list_of};
use crate::logsource::FieldRef;

/// The correlation types of the specification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Number of matches.
    EventCount,
    /// Number of distinct values of `field`.
    ValueCount,
    /// All referenced rules matched, in any order.
    Temporal,
    /// All referenced rules matched, in the order listed.
    TemporalOrdered,
    /// Sum of `field`.
    ValueSum,
    /// Average of `field`.
    ValueAvg,
    /// Share of the window's matches with this match's value of `field`, in percent.
    ValuePercentile,
}

/// A comparison from the `condition` section; several may be combined (`gte` and `lte`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Condition {
    gt: Option<f64>,
    gte: Option<f64>,
    lt: Option<f64>,
    lte: Option<f64>,
    eq: Option<f64>,
    neq: Option<f64>,
}

impl Condition {
    /// Whether `x` satisfies every comparison given.
    pub fn holds(&self, x: f64) -> bool {
        self.gt.is_none_or(|v| x > v)
            && self.gte.is_none_or(|v| x >= v)
            && self.lt.is_none_or(|v| x < v)
            && self.lte.is_none_or(|v| x <= v)
            && self.eq.is_none_or(|v| x == v)
            && self.neq.is_none_or(|v| x != v)
    }
}

/// A loaded correlation rule.
#[derive(Debug)]
pub struct Correlation {
    /// Id, title, level, tags...
    pub meta: Meta,
    /// The type.
    pub kind: Kind,
    /// Referenced rules as written (ids or names).
    pub references: Vec<String>,
    /// What each reference names, in the listed order.
    pub sources: Vec<Source>,
    /// `group-by` field names.
    pub group_by: Vec<String>,
    /// Where each group-by value comes from, per source (same order as `sources`; empty for a
    /// correlation source, whose group values are taken by name from its own group-by).
    pub group_refs: Vec<Vec<FieldRef>>,
    /// `condition.field`, per source (`None` for correlation sources).
    pub field_refs: Vec<Option<FieldRef>>,
    /// `condition.field` as written.
    pub field: Option<String>,
    /// `timespan`, microseconds.
    pub timespan_micros: i64,
    /// The condition.
    pub condition: Condition,
    /// `generate`: whether the referenced rules still make their own alerts.
    pub generate: bool,
    aliases: HashMap<String, HashMap<String, String>>,
}

/// What a correlation's reference names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A detection rule, by index in [`RuleSet::rules`].
    Rule(usize),
    /// Another correlation, by index in [`RuleSet::correlations`]: its alerts are the matches.
    Correlation(usize),
}

/// `30s`, `5m`, `1h`, `2d`, `1w` in microseconds.
pub fn parse_timespan(s: &str) -> Option<i64> {
    let s = s.trim();
    let unit = s.chars().last()?;
    let n: i64 = s[..s.len() - unit.len_utf8()].trim().parse().ok()?;
    let secs = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 604_800,
        _ => return None,
    };
    n.checked_mul(secs)?.checked_mul(1_000_000)
}

impl Correlation {
    /// Parses a correlation document; `Err` says what is wrong.
    pub fn from_yaml(value: &Value, id: String, path: &Path) -> Result<Correlation, String> {
        let meta = Meta::from_yaml(value, id, path, "medium")?;
        let c = value.get("correlation").ok_or("no correlation section")?;
        let kind = match c.get("type").and_then(Value::as_str) {
            Some("event_count") => Kind::EventCount,
            Some("value_count") => Kind::ValueCount,
            Some("temporal") => Kind::Temporal,
            Some("temporal_ordered") => Kind::TemporalOrdered,
            Some("value_sum") => Kind::ValueSum,
            Some("value_avg") => Kind::ValueAvg,
            Some("value_percentile") => Kind::ValuePercentile,
            Some(other) => return Err(format!("unknown correlation type `{other}`")),
            None => return Err("correlation without a type".to_owned()),
        };
        let references = list_of(c, "rules");
        if references.is_empty() {
            return Err("correlation names no rules".to_owned());
        }
        let timespan = c
            .get("timespan")
            .and_then(Value::as_str)
            .ok_or("correlation without a timespan")?;
        let timespan_micros =
            parse_timespan(timespan).ok_or_else(|| format!("bad timespan `{timespan}`"))?;
        let group_by = list_of(c, "group-by");
        let (condition, field) = match c.get("condition") {
            Some(Value::Mapping(m)) => {
                let num = |k: &str| m.get(k).and_then(Value::as_f64);
                let field = m.get("field").and_then(Value::as_str).map(str::to_owned);
                let cond = Condition {
                    gt: num("gt"),
                    gte: num("gte"),
                    lt: num("lt"),
                    lte: num("lte"),
                    eq: num("eq"),
                    neq: num("neq"),
                };
                (cond, field)
            }
            // Temporal types may leave the condition out: every rule must match.
            None if matches!(kind, Kind::Temporal | Kind::TemporalOrdered) => (
                Condition {
                    gt: None,
                    gte: Some(references.len() as f64),
                    lt: None,
                    lte: None,
                    eq: None,
                    neq: None,
                },
                None,
            ),
            _ => return Err("correlation without a condition".to_owned()),
        };
        let needs_field = matches!(
            kind,
            Kind::ValueCount | Kind::ValueSum | Kind::ValueAvg | Kind::ValuePercentile
        );
        if needs_field && field.is_none() {
            return Err(format!("{kind:?} needs `field` in its condition"));
        }
        let aliases = match c.get("aliases") {
            Some(Value::Mapping(m)) => m
                .iter()
                .filter_map(|(alias, per_rule)| {
                    let per_rule = per_rule.as_mapping()?;
                    Some((
                        alias.as_str()?.to_owned(),
                        per_rule
                            .iter()
                            .filter_map(|(r, f)| {
                                Some((r.as_str()?.to_owned(), f.as_str()?.to_owned()))
                            })
                            .collect(),
                    ))
                })
                .collect(),
            _ => HashMap::new(),
        };
        Ok(Correlation {
            meta,
            kind,
            references,
            sources: Vec::new(),
            group_by,
            group_refs: Vec::new(),
            field_refs: Vec::new(),
            field,
            timespan_micros,
            condition,
            generate: c.get("generate").and_then(Value::as_bool).unwrap_or(false),
            aliases,
        })
    }
}

/// Resolves each correlation's references (detection rules first, then other correlations, by id
/// or name) and field names. A correlation that cannot be resolved, or that names one that
/// cannot, is removed and reported. `generate: false` (the default) silences the detection rules
/// a correlation references; correlations it references keep alerting, since they are findings of
/// their own.
pub(crate) fn link(set: &mut RuleSet, failures: &mut Vec<LoadFailure>) {
    let mut all = std::mem::take(&mut set.correlations);
    let names: Vec<(String, Option<String>)> = all
        .iter()
        .map(|c| (c.meta.id.clone(), c.meta.name.clone()))
        .collect();
    let mut failed: Vec<Option<String>> = all
        .iter_mut()
        .enumerate()
        .map(|(i, c)| resolve(set, c, i, &names).err())
        .collect();
    // A correlation that names a failed one fails too, until nothing changes.
    loop {
        let mut changed = false;
        for i in 0..all.len() {
            if failed[i].is_some() {
                continue;
            }
            let broken = all[i].sources.iter().find_map(|s| match s {
                Source::Correlation(j) if failed[*j].is_some() => Some(*j),
                _ => None,
            });
            if let Some(j) = broken {
                failed[i] = Some(format!(
                    "references correlation `{}`, which failed",
                    names[j].0
                ));
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut remap = vec![usize::MAX; all.len()];
    let mut next = 0;
    for (i, f) in failed.iter().enumerate() {
        if f.is_none() {
            remap[i] = next;
            next += 1;
        }
    }
    for (mut c, failure) in all.into_iter().zip(failed) {
        if let Some(reason) = failure {
            failures.push(LoadFailure {
                path: c.meta.path.clone(),
                rule: Some(c.meta.id.clone()),
                reason,
            });
            continue;
        }
        for source in &mut c.sources {
            if let Source::Correlation(j) = source {
                *j = remap[*j];
            }
        }
        if !c.generate {
            for source in &c.sources {
                if let Source::Rule(r) = source
                    && let Some(rule) = set.rules.get_mut(*r)
                {
                    rule.standalone = false;
                }
            }
        }
        set.correlations.push(c);
    }
}

fn resolve(
    set: &RuleSet,
    c: &mut Correlation,
    own: usize,
    correlations: &[(String, Option<String>)],
) -> Result<(), String> {
    // Linking again (after more rules were added) starts from the references.
    c.sources.clear();
    c.group_refs.clear();
    c.field_refs.clear();
    for reference in &c.references {
        let source = match set.find(reference) {
            Some(index) => Source::Rule(index),
            None => correlations
                .iter()
                .enumerate()
                .find(|(j, (id, name))| {
                    *j != own && (id == reference || name.as_deref() == Some(reference.as_str()))
                })
                .map(|(j, _)| Source::Correlation(j))
                .ok_or_else(|| format!("references rule `{reference}`, which is not loaded"))?,
        };
        c.sources.push(source);
    }
    for source in c.sources.clone() {
        let Source::Rule(r) = source else {
            c.group_refs.push(Vec::new());
            c.field_refs.push(None);
            continue;
        };
        let rule = set.rules.get(r).ok_or("rule index out of range")?;
        let entry = set
            .logsources
            .get(rule.logsource)
            .ok_or("log source index out of range")?;
        let field_for = |name: &str| -> String {
            // An alias names, per rule (by id or name), the field it stands for.
            c.aliases
                .get(name)
                .and_then(|per_rule| {
                    per_rule
                        .get(&rule.meta.id)
                        .or_else(|| rule.meta.name.as_ref().and_then(|n| per_rule.get(n)))
                })
                .cloned()
                .unwrap_or_else(|| name.to_owned())
        };
        let mut refs = Vec::new();
        for g in &c.group_by {
            let name = field_for(g);
            refs.push(entry.resolve(&name).ok_or_else(|| {
                format!("group-by field `{name}` does not exist for {}", entry.name)
            })?);
        }
        c.group_refs.push(refs);
        let field = match &c.field {
            Some(f) => {
                let name = field_for(f);
                Some(entry.resolve(&name).ok_or_else(|| {
                    format!("condition field `{name}` does not exist for {}", entry.name)
                })?)
            }
            None => None,
        };
        c.field_refs.push(field);
    }
    Ok(())
}

/// One match kept in a window.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Seen {
    ts: i64,
    /// Position of the matching rule in the correlation's `rules`.
    rule: usize,
    value: Option<String>,
    evidence: Evidence,
    /// How many occurrences the matching row stands for: rsyslog folds identical messages into
    /// one `message repeated N times: [...]` row (`fields.repeated`), which counts N times.
    #[serde(default = "one_occurrence")]
    occurrences: u32,
}

fn one_occurrence() -> u32 {
    1
}

/// What a firing correlation reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Fired {
    /// The group-by values.
    pub group: Vec<String>,
    /// First and last match time in the window.
    pub first_ts: i64,
    /// Last match time.
    pub last_ts: i64,
    /// Matches in the window.
    pub count: usize,
    /// The value the condition compared.
    pub measured: f64,
    /// Evidence of the window's first matches, oldest first.
    pub evidence: Vec<Evidence>,
    /// Matches of this group that arrived later than the allowed lateness since it last fired.
    pub late: u64,
}

/// Most matches a group's window keeps; beyond it the oldest tenth is evicted and counted, so a
/// flood cannot exhaust memory.
pub const MAX_PER_GROUP: usize = 50_000;

/// Window state of one correlation: matches per group.
///
/// Each group keeps its matches in time order. A match is placed where its time belongs, and
/// every window it falls in is checked: the windows `(t - timespan, t]` ending at its time and
/// at the time of each later match less than `timespan` after it (all matches at one time are in
/// the window ending then). While matches arrive in order, counts are kept as running totals, so
/// the cost of a match does not grow with the size of its window. So a match that arrives out of order (another file,
/// a slow relay) still counts where it belongs. A match older than the group's newest by more
/// than the allowed lateness is not placed: it is counted (per group, reported on that group's
/// next alert, and in [`Windows::late`]). Matches older than the newest by more than timespan
/// plus lateness can no longer matter and are dropped.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Windows {
    groups: HashMap<String, Group>,
    /// Matches evicted because a window was full.
    pub evicted: u64,
    /// Matches that arrived later than the allowed lateness.
    pub late: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Group {
    values: Vec<String>,
    seen: Vec<Seen>,
    late: u64,
    /// What the window ending at the newest match holds, kept up to date while matches arrive
    /// in order, so a flood costs the same per match as a trickle. Rebuilt after anything else.
    #[serde(skip)]
    live: Option<Live>,
}

/// Running totals over the matches of a group with time in `(from, newest]`.
#[derive(Debug, Default)]
struct Live {
    from: i64,
    count: usize,
    values: HashMap<String, usize>,
    per_rule: Vec<usize>,
}

impl Live {
    fn build(seen: &[Seen], from: i64) -> Live {
        let mut live = Live {
            from,
            ..Live::default()
        };
        let first = seen.partition_point(|s| s.ts <= from);
        for s in &seen[first..] {
            live.add(s);
        }
        live
    }

    fn add(&mut self, s: &Seen) {
        self.count += s.occurrences as usize;
        if let Some(v) = &s.value {
            *self.values.entry(v.clone()).or_default() += 1;
        }
        if self.per_rule.len() <= s.rule {
            self.per_rule.resize(s.rule + 1, 0);
        }
        self.per_rule[s.rule] += 1;
    }

    fn remove(&mut self, s: &Seen) {
        self.count = self.count.saturating_sub(s.occurrences as usize);
        if let Some(v) = &s.value
            && let Some(n) = self.values.get_mut(v)
        {
            *n -= 1;
            if *n == 0 {
                self.values.remove(v);
            }
        }
        if let Some(n) = self.per_rule.get_mut(s.rule) {
            *n = n.saturating_sub(1);
        }
    }

    /// The measure of the window, for the kinds running totals answer exactly.
    fn measure(&self, kind: Kind) -> Option<f64> {
        match kind {
            Kind::EventCount => Some(self.count as f64),
            Kind::ValueCount => Some(self.values.len() as f64),
            Kind::Temporal => Some(self.per_rule.iter().filter(|n| **n > 0).count() as f64),
            _ => None,
        }
    }
}

/// Drops the `n` oldest matches, taking them out of the running totals where they count.
fn drop_front(window: &mut Vec<Seen>, live: &mut Option<Live>, n: usize) {
    if n == 0 {
        return;
    }
    if let Some(live) = live {
        let from = live.from;
        for s in window[..n].iter().filter(|s| s.ts > from) {
            live.remove(s);
        }
    }
    window.drain(..n);
}

/// A group's key in the state map (group values joined with a separator no value contains).
fn group_key(values: &[String]) -> String {
    values.join("\u{1f}")
}

impl Windows {
    /// Records a match of the correlation's `rule`-th rule, standing for `occurrences` events
    /// (a folded `message repeated N times` row stands for N), and says whether the correlation
    /// fires. `lateness_micros` is how far behind the group's newest match a match may still
    /// arrive.
    #[allow(clippy::too_many_arguments)]
    pub fn observe(
        &mut self,
        c: &Correlation,
        rule: usize,
        ts: i64,
        group: Vec<String>,
        value: Option<String>,
        evidence: Evidence,
        occurrences: u32,
        lateness_micros: i64,
    ) -> Option<Fired> {
        let state = self
            .groups
            .entry(group_key(&group))
            .or_insert_with(|| Group {
                values: group.clone(),
                ..Group::default()
            });
        let previous = state.seen.last().map(|s| s.ts);
        let newest = previous.map_or(ts, |p| p.max(ts));
        if ts < newest.saturating_sub(lateness_micros) {
            state.late += 1;
            self.late += 1;
            return None;
        }
        let in_order = previous.is_none_or(|p| ts >= p);
        let window = &mut state.seen;
        let at = window.partition_point(|s| s.ts <= ts);
        let seen = Seen {
            ts,
            rule,
            value,
            evidence,
            occurrences: occurrences.max(1),
        };
        let from = ts.saturating_sub(c.timespan_micros);
        if in_order {
            // Slide the running totals to the window ending at this match.
            let live = state.live.get_or_insert_with(|| {
                Live::build(
                    window,
                    previous.map_or(from, |p| p.saturating_sub(c.timespan_micros)),
                )
            });
            let leaving = window.partition_point(|s| s.ts <= live.from)
                ..window.partition_point(|s| s.ts <= from);
            for s in &window[leaving] {
                live.remove(s);
            }
            live.from = live.from.max(from);
            live.add(&seen);
        } else {
            state.live = None;
        }
        window.insert(at, seen);
        // What can no longer be in a window with a match that is still allowed to arrive.
        let keep_after = newest
            .saturating_sub(c.timespan_micros)
            .saturating_sub(lateness_micros);
        let stale = window.partition_point(|s| s.ts <= keep_after);
        drop_front(window, &mut state.live, stale);
        if window.len() > MAX_PER_GROUP {
            // A tenth at a time: evicting one match per arrival would move the whole window
            // in memory for every match of a flood.
            let excess = window.len() - MAX_PER_GROUP + MAX_PER_GROUP / 10;
            drop_front(window, &mut state.live, excess);
            self.evicted += excess as u64;
        }
        // The windows this match falls in end at its time or at a later match's time within
        // timespan; all matches at one time are in the window ending then.
        let mut end = window.partition_point(|s| s.ts <= ts);
        let limit = window.partition_point(|s| s.ts < ts.saturating_add(c.timespan_micros));
        while end > 0 {
            let end_ts = window[end - 1].ts;
            let first =
                window.partition_point(|s| s.ts <= end_ts.saturating_sub(c.timespan_micros));
            let slice = &window[first..end];
            let measured = match (&state.live, end == window.len()) {
                (Some(live), true) => live
                    .measure(c.kind)
                    .unwrap_or_else(|| measure(c, slice, end_ts)),
                _ => measure(c, slice, end_ts),
            };
            if c.condition.holds(measured) {
                let fired = Fired {
                    group,
                    first_ts: slice.first().map_or(ts, |s| s.ts),
                    last_ts: end_ts,
                    count: slice.len(),
                    measured,
                    evidence: slice
                        .iter()
                        .take(EVIDENCE_LINES)
                        .map(|s| s.evidence.clone())
                        .collect(),
                    late: std::mem::take(&mut state.late),
                };
                // The group starts afresh after the window that fired.
                window.drain(..end);
                state.live = None;
                return Some(fired);
            }
            // The next window ends at the next later time within timespan.
            if end >= limit {
                break;
            }
            let next_ts = window[end].ts;
            end = window.partition_point(|s| s.ts <= next_ts);
        }
        None
    }

    /// Groups with matches kept.
    pub fn groups(&self) -> usize {
        self.groups.values().filter(|g| !g.seen.is_empty()).count()
    }
}

fn numbers(window: &[Seen]) -> impl Iterator<Item = f64> + '_ {
    window
        .iter()
        .filter_map(|s| s.value.as_deref().and_then(|v| v.parse::<f64>().ok()))
}

fn measure(c: &Correlation, window: &[Seen], ts: i64) -> f64 {
    match c.kind {
        Kind::EventCount => window.iter().map(|s| f64::from(s.occurrences)).sum(),
        Kind::ValueCount => {
            let mut values: Vec<&str> = window.iter().filter_map(|s| s.value.as_deref()).collect();
            values.sort_unstable();
            values.dedup();
            values.len() as f64
        }
        Kind::ValueSum => numbers(window).sum(),
        Kind::ValueAvg => {
            let (sum, n) = numbers(window).fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
            if n == 0 { f64::NAN } else { sum / n as f64 }
        }
        Kind::ValuePercentile => {
            let current = window
                .iter()
                .rev()
                .find(|s| s.ts == ts)
                .and_then(|s| s.value.as_deref());
            let same = window
                .iter()
                .filter(|s| s.value.as_deref() == current)
                .count();
            100.0 * same as f64 / window.len().max(1) as f64
        }
        Kind::Temporal => {
            let mut seen = vec![false; c.sources.len()];
            for s in window {
                if let Some(slot) = seen.get_mut(s.rule) {
                    *slot = true;
                }
            }
            seen.iter().filter(|b| **b).count() as f64
        }
        Kind::TemporalOrdered => {
            // The longest prefix of the listed order found as a subsequence, in time order.
            let mut next = 0;
            for s in window {
                if s.rule == next {
                    next += 1;
                    if next == c.sources.len() {
                        break;
                    }
                }
            }
            next as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timespans() {
        assert_eq!(parse_timespan("30s"), Some(30_000_000));
        assert_eq!(parse_timespan("5m"), Some(300_000_000));
        assert_eq!(parse_timespan("1h"), Some(3_600_000_000));
        assert_eq!(parse_timespan("1x"), None);
        assert_eq!(parse_timespan(""), None);
    }

    #[test]
    fn conditions_combine() {
        let c = Condition {
            gt: None,
            gte: Some(2.0),
            lt: None,
            lte: Some(4.0),
            eq: None,
            neq: Some(3.0),
        };
        assert!(c.holds(2.0) && c.holds(4.0));
        assert!(!c.holds(3.0) && !c.holds(5.0) && !c.holds(1.0));
    }
}
