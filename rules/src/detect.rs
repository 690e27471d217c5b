//! Detection on Arrow batches of the event schema.
//!
//! [`Detector`] is the one small interface a detection step implements: given a batch, say which
//! rules match which rows. [`ReferenceDetector`] evaluates each applicable rule on each row with
//! sigma-rust (after the keyword rewrite of [`crate::load`]); a faster compiled evaluator can
//! replace it without touching correlation or alerting. [`Engine`] runs a detector batch after
//! batch, feeds correlations and turns matches into [`Alert`]s.

use std::borrow::Cow;
use std::collections::HashMap;

use arrow::array::{
    Array, AsArray, BinaryArray, DictionaryArray, MapArray, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow::datatypes::{Int32Type, UInt8Type, UInt16Type, UInt64Type};

use crate::alert::{Alert, Evidence};
use crate::correlation::{Source, Windows};
use crate::error::{Error, Result};
use crate::load::{DetectionRule, RuleSet};
use crate::logsource::FieldRef;

/// A rule that matched a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleMatch {
    /// Index in [`RuleSet::rules`].
    pub rule: usize,
    /// Row in the batch.
    pub row: usize,
}

/// The detection step: which rules match which rows of a batch.
pub trait Detector {
    /// Appends the matches of `batch` to `out`, rows in order.
    fn detect(&self, rules: &RuleSet, batch: &BatchView<'_>, out: &mut Vec<RuleMatch>);
}

/// A batch with its columns looked up once, for reading rows by field.
pub struct BatchView<'b> {
    batch: &'b RecordBatch,
    columns: HashMap<&'static str, usize>,
    fields: Option<&'b MapArray>,
    message: Option<&'b StringArray>,
    raw: Option<&'b BinaryArray>,
    ts: Option<&'b TimestampMicrosecondArray>,
}

impl<'b> BatchView<'b> {
    /// Looks up the columns of `batch`.
    pub fn new(batch: &'b RecordBatch) -> Result<BatchView<'b>> {
        let schema = batch.schema();
        let mut columns = HashMap::new();
        for name in crate::logsource::COLUMNS {
            if let Some((i, _)) = schema.column_with_name(name) {
                columns.insert(*name, i);
            }
        }
        let col = |n: &str| schema.column_with_name(n).map(|(i, _)| batch.column(i));
        Ok(BatchView {
            fields: col("fields").and_then(|c| c.as_map_opt()),
            message: col("message").and_then(|c| c.as_string_opt::<i32>()),
            raw: col("raw").and_then(|c| c.as_binary_opt::<i32>()),
            ts: col("ts").and_then(|c| c.as_primitive_opt()),
            columns,
            batch,
        })
        .and_then(|v| {
            if v.raw.is_none() {
                Err(Error::Batch("no `raw` column".to_owned()))
            } else {
                Ok(v)
            }
        })
    }

    /// A schema column by name.
    pub fn column(&self, name: &str) -> Option<&'b dyn Array> {
        let index = *self.columns.get(name)?;
        Some(self.batch.column(index).as_ref())
    }

    /// The `fields` map column.
    pub fn fields_map(&self) -> Option<&'b MapArray> {
        self.fields
    }

    /// A row's message, `None` when null.
    pub fn message(&self, row: usize) -> Option<&'b str> {
        self.message
            .filter(|m| m.is_valid(row))
            .map(|m| m.value(row))
    }

    /// A row's raw bytes, `None` when null.
    pub fn raw_bytes(&self, row: usize) -> Option<&'b [u8]> {
        self.raw.filter(|r| r.is_valid(row)).map(|r| r.value(row))
    }

    /// Rows in the batch.
    pub fn rows(&self) -> usize {
        self.batch.num_rows()
    }

    /// Event time of a row, microseconds (0 when missing).
    pub fn ts(&self, row: usize) -> i64 {
        self.ts
            .filter(|a| a.is_valid(row))
            .map_or(0, |a| a.value(row))
    }

    /// The raw record text.
    pub fn raw(&self, row: usize) -> Cow<'b, str> {
        match self.raw {
            Some(a) if a.is_valid(row) => String::from_utf8_lossy(a.value(row)),
            _ => Cow::Borrowed(""),
        }
    }

    /// A row's value of a field as text, `None` when null or absent.
    pub fn text(&self, row: usize, field: &FieldRef) -> Option<Cow<'b, str>> {
        match field {
            FieldRef::Keywords => match self.message {
                Some(m) if m.is_valid(row) && !m.value(row).is_empty() => {
                    Some(Cow::Borrowed(m.value(row)))
                }
                _ => Some(self.raw(row)),
            },
            FieldRef::Map(key) => {
                let map = self.fields?;
                if !map.is_valid(row) {
                    return None;
                }
                let offsets = map.value_offsets();
                let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
                let keys = map.keys().as_string_opt::<i32>()?;
                let values = map.values().as_string_opt::<i32>()?;
                (start..end)
                    .find(|&i| keys.value(i) == key)
                    .filter(|&i| values.is_valid(i))
                    .map(|i| Cow::Borrowed(values.value(i)))
            }
            FieldRef::Column(name) => {
                let index = *self.columns.get(name.as_str())?;
                column_text(self.batch.column(index).as_ref(), row)
            }
        }
    }
}

fn column_text(array: &dyn Array, row: usize) -> Option<Cow<'_, str>> {
    if !array.is_valid(row) {
        return None;
    }
    if let Some(s) = array.as_string_opt::<i32>() {
        return Some(Cow::Borrowed(s.value(row)));
    }
    if let Some(d) = array.as_any().downcast_ref::<DictionaryArray<Int32Type>>() {
        let values = d.values().as_string_opt::<i32>()?;
        let key = usize::try_from(d.keys().value(row)).ok()?;
        return Some(Cow::Borrowed(values.value(key)));
    }
    if let Some(a) = array.as_primitive_opt::<UInt16Type>() {
        return Some(Cow::Owned(a.value(row).to_string()));
    }
    if let Some(a) = array.as_primitive_opt::<UInt64Type>() {
        return Some(Cow::Owned(a.value(row).to_string()));
    }
    if let Some(a) = array.as_primitive_opt::<UInt8Type>() {
        return Some(Cow::Owned(a.value(row).to_string()));
    }
    None
}

/// Whether a row belongs to a log source (one of its alternatives holds).
pub fn in_logsource(
    view: &BatchView<'_>,
    row: usize,
    alternatives: &[Vec<(FieldRef, Vec<String>)>],
) -> bool {
    alternatives.iter().any(|conditions| {
        conditions.iter().all(|(field, allowed)| {
            view.text(row, field)
                .is_some_and(|v| allowed.iter().any(|a| a.as_str() == v.as_ref()))
        })
    })
}

/// sigma-rust on every applicable rule and row: the reference the faster evaluator is tested
/// against.
#[derive(Debug, Default)]
pub struct ReferenceDetector;

impl Detector for ReferenceDetector {
    fn detect(&self, rules: &RuleSet, view: &BatchView<'_>, out: &mut Vec<RuleMatch>) {
        // Whether the row belongs to each log source, worked out once per row: many rules share
        // a log source.
        let mut member: Vec<Option<bool>> = vec![None; rules.logsources.len()];
        for row in 0..view.rows() {
            member.fill(None);
            for (index, rule) in rules.rules.iter().enumerate() {
                let Some(source) = rules.logsources.get(rule.logsource) else {
                    continue;
                };
                let Some(slot) = member.get_mut(rule.logsource) else {
                    continue;
                };
                if !*slot.get_or_insert_with(|| in_logsource(view, row, &source.rows)) {
                    continue;
                }
                if reference_matches(rule, view, row) {
                    out.push(RuleMatch { rule: index, row });
                }
            }
        }
    }
}

/// Whether sigma-rust matches `rule` on a row (its log source not checked): the rule's fields
/// become an event, numbers for the fields it compares as numbers.
pub(crate) fn reference_matches(rule: &DetectionRule, view: &BatchView<'_>, row: usize) -> bool {
    let mut event = sigma_rust::Event::new();
    for field in &rule.fields {
        let Some(v) = view.text(row, &field.source) else {
            continue;
        };
        match field
            .numeric
            .then(|| v.trim().parse::<f64>().ok())
            .flatten()
        {
            Some(n) => event.insert(field.name.clone(), n),
            None => event.insert(field.name.clone(), v.into_owned()),
        }
    }
    rule.sigma.is_match(&event)
}

/// Which evaluator runs the detection rules.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Evaluator {
    /// Rules compiled over the batch's columns ([`crate::compiled`]): the fast one.
    #[default]
    Compiled,
    /// sigma-rust on each rule and row: the reference, for debugging and differential tests.
    Reference,
}

impl Evaluator {
    /// The detector for a rule set.
    pub fn detector(self, rules: &RuleSet) -> Box<dyn Detector + Send + Sync> {
        match self {
            Evaluator::Compiled => Box::new(crate::compiled::CompiledDetector::new(rules)),
            Evaluator::Reference => Box::new(ReferenceDetector),
        }
    }
}

/// Runs a detector over batches as they arrive: rule matches become alerts (unless the rule only
/// feeds a correlation) and feed the correlations that reference them.
pub struct Engine {
    rules: RuleSet,
    detector: Box<dyn Detector + Send + Sync>,
    windows: Vec<Windows>,
    matches: Vec<RuleMatch>,
    lateness_micros: i64,
    suppress_micros: i64,
    /// Rules and correlations with their own suppression window, by id.
    rule_suppression: HashMap<String, i64>,
    /// Per suppression key: time of the last alert shown, and how many were held since.
    shown: HashMap<String, (i64, u64)>,
    suppressed: u64,
}

/// How far behind its group's newest match a match may arrive and still count (default).
pub const DEFAULT_LATENESS_MICROS: i64 = 60 * 60 * 1_000_000;

/// How many evidence lines an alert keeps.
pub const EVIDENCE_LINES: usize = 10;

impl Engine {
    /// An engine over a rule set, its rules evaluated by `evaluator`.
    pub fn new(rules: RuleSet, evaluator: Evaluator) -> Self {
        let detector = evaluator.detector(&rules);
        Engine::with_detector(rules, detector)
    }

    /// An engine with a detector of the caller's.
    pub fn with_detector(rules: RuleSet, detector: Box<dyn Detector + Send + Sync>) -> Self {
        let windows = rules
            .correlations
            .iter()
            .map(|_| Windows::default())
            .collect();
        let rule_suppression = rules
            .rules
            .iter()
            .map(|r| &r.meta)
            .chain(rules.correlations.iter().map(|c| &c.meta))
            .filter_map(|m| Some((m.id.clone(), m.suppress_micros?)))
            .collect();
        Engine {
            rules,
            detector,
            windows,
            matches: Vec::new(),
            lateness_micros: DEFAULT_LATENESS_MICROS,
            suppress_micros: 0,
            rule_suppression,
            shown: HashMap::new(),
            suppressed: 0,
        }
    }

    /// Holds back repeats: after an alert, alerts of the same rule and group (see
    /// [`Alert::suppression_key`]) starting within `micros` of event time are counted, not shown;
    /// the next one shown says how many were held. 0 (the default) shows every alert. A rule's
    /// own `canhgac_suppress` takes precedence.
    pub fn with_suppression(mut self, micros: i64) -> Self {
        self.suppress_micros = micros.max(0);
        self
    }

    /// Alerts held back by suppression since the engine started.
    pub fn suppressed(&self) -> u64 {
        self.suppressed
    }

    fn admit(&mut self, mut alert: Alert, out: &mut Vec<Alert>) {
        let window = self
            .rule_suppression
            .get(&alert.rule_id)
            .copied()
            .unwrap_or(self.suppress_micros);
        if window > 0 {
            let key = alert.suppression_key();
            match self.shown.get_mut(&key) {
                Some((last, held)) if alert.first_micros - *last < window => {
                    *held += 1;
                    self.suppressed += 1;
                    return;
                }
                Some((last, held)) => {
                    alert.suppressed_before = std::mem::take(held);
                    *last = alert.first_micros;
                }
                None => {
                    self.shown.insert(key, (alert.first_micros, 0));
                }
            }
        }
        out.push(alert);
    }

    /// Sets the allowed lateness of correlation matches.
    pub fn with_lateness(mut self, micros: i64) -> Self {
        self.lateness_micros = micros.max(0);
        self
    }

    /// The correlation windows and suppression state as text, to be written to disk and given
    /// to [`restore`](Self::restore) after a restart, so both continue where they were.
    pub fn checkpoint(&self) -> String {
        let windows: HashMap<&str, &Windows> = self
            .rules
            .correlations
            .iter()
            .zip(&self.windows)
            .map(|(c, w)| (c.meta.id.as_str(), w))
            .collect();
        let state = serde_json::json!({ "windows": windows, "shown": self.shown });
        state.to_string()
    }

    /// Restores windows and suppression from a [`checkpoint`](Self::checkpoint). Correlations
    /// the checkpoint does not know start empty; windows of correlations no longer loaded are
    /// dropped. A checkpoint of windows only (the first format) is read too.
    pub fn restore(&mut self, checkpoint: &str) -> Result<()> {
        #[derive(serde::Deserialize)]
        struct State {
            windows: HashMap<String, Windows>,
            #[serde(default)]
            shown: HashMap<String, (i64, u64)>,
        }
        let bad = |e: serde_json::Error| Error::Checkpoint(e.to_string());
        let value: serde_json::Value = serde_json::from_str(checkpoint).map_err(bad)?;
        let State { mut windows, shown } = if value.get("windows").is_some() {
            serde_json::from_value(value).map_err(bad)?
        } else {
            State {
                windows: serde_json::from_value(value).map_err(bad)?,
                shown: HashMap::new(),
            }
        };
        for (c, w) in self.rules.correlations.iter().zip(self.windows.iter_mut()) {
            *w = windows.remove(&c.meta.id).unwrap_or_default();
        }
        self.shown = shown;
        Ok(())
    }

    /// Correlation matches that arrived later than the allowed lateness, and matches evicted
    /// from full windows, since the engine started.
    pub fn dropped(&self) -> (u64, u64) {
        self.windows
            .iter()
            .fold((0, 0), |(l, e), w| (l + w.late, e + w.evicted))
    }

    /// The rules in use.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The detection rules that match each row of a batch (no correlation, no alerts): what a
    /// rule's own test checks for rules that only feed correlations.
    pub fn matches(&self, batch: &RecordBatch) -> Result<Vec<RuleMatch>> {
        let view = BatchView::new(batch)?;
        let mut out = Vec::new();
        self.detector.detect(&self.rules, &view, &mut out);
        Ok(out)
    }

    /// Forgets every correlation window and what suppression has shown (a fresh start, as
    /// after loading the rules).
    pub fn reset_windows(&mut self) {
        self.shown.clear();
        self.windows = self
            .rules
            .correlations
            .iter()
            .map(|_| Windows::default())
            .collect();
    }

    /// Evaluates one batch; returns the alerts it raised.
    pub fn process(&mut self, batch: &RecordBatch) -> Result<Vec<Alert>> {
        let view = BatchView::new(batch)?;
        self.matches.clear();
        self.detector.detect(&self.rules, &view, &mut self.matches);
        let mut alerts = Vec::new();
        // rsyslog's `message repeated N times: [...]` row stands for N events in a count.
        let repeated = FieldRef::Map("repeated".to_owned());
        for m in std::mem::take(&mut self.matches) {
            let Some(rule) = self.rules.rules.get(m.rule) else {
                continue;
            };
            let evidence = Evidence::of(&view, m.row);
            let mut raised = Vec::new();
            if rule.standalone {
                raised.push(Alert::for_rule(rule, std::slice::from_ref(&evidence)));
            }
            let ts = view.ts(m.row);
            let occurrences = view
                .text(m.row, &repeated)
                .and_then(|n| n.parse::<u32>().ok())
                .unwrap_or(1);
            let mut fired = Vec::new();
            for (ci, c) in self.rules.correlations.iter().enumerate() {
                let Some(position) = c.sources.iter().position(|s| *s == Source::Rule(m.rule))
                else {
                    continue;
                };
                let group: Vec<String> = c.group_refs[position]
                    .iter()
                    .map(|f| view.text(m.row, f).map(Cow::into_owned).unwrap_or_default())
                    .collect();
                let value = c.field_refs[position]
                    .as_ref()
                    .and_then(|f| view.text(m.row, f).map(Cow::into_owned));
                if let Some(f) = self.windows[ci].observe(
                    c,
                    position,
                    ts,
                    group,
                    value,
                    evidence.clone(),
                    occurrences,
                    self.lateness_micros,
                ) {
                    fired.push((ci, f));
                }
            }
            // A correlation that fires is a match for the correlations that reference it. The
            // chain is bounded: each pass goes one level up, and there are no self-references.
            let mut depth = 0;
            while let Some((ci, f)) = fired.pop() {
                let Some(c) = self.rules.correlations.get(ci) else {
                    continue;
                };
                raised.push(Alert::for_correlation(c, &f));
                depth += 1;
                if depth > self.rules.correlations.len() * 4 {
                    continue;
                }
                for (oi, outer) in self.rules.correlations.iter().enumerate() {
                    let Some(position) = outer
                        .sources
                        .iter()
                        .position(|s| *s == Source::Correlation(ci))
                    else {
                        continue;
                    };
                    // Group values by name from the inner correlation's group-by.
                    let group: Vec<String> = outer
                        .group_by
                        .iter()
                        .map(|g| {
                            c.group_by
                                .iter()
                                .position(|x| x == g)
                                .and_then(|i| f.group.get(i).cloned())
                                .unwrap_or_default()
                        })
                        .collect();
                    let evidence = f
                        .evidence
                        .first()
                        .cloned()
                        .unwrap_or_else(|| evidence.clone());
                    if let Some(up) = self.windows[oi].observe(
                        outer,
                        position,
                        f.last_ts,
                        group,
                        None,
                        evidence,
                        1,
                        self.lateness_micros,
                    ) {
                        fired.push((oi, up));
                    }
                }
            }
            for alert in raised {
                self.admit(alert, &mut alerts);
            }
        }
        Ok(alerts)
    }
}
