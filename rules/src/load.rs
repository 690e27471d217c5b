//! Loading Sigma rules: files and directory trees, several `---` documents per file, detection
//! rules parsed and checked by sigma-rust, correlation rules by us (sigma-rust has none).
//!
//! Nothing is skipped silently: every document that cannot be used becomes a [`LoadFailure`] with
//! the file, the rule id (when it has one) and the reason, including a rule whose log source we do
//! not collect or whose fields do not exist for its log source.
//!
//! Keywords: sigma-rust compares a keyword with whole field values, so `keywords: ['pkexec']` never
//! matches a log line containing it. The specification searches the text, so before sigma-rust sees
//! a rule each keyword list becomes `canhgac_keywords|contains: [...]` (`|all` kept), and the
//! evaluator fills that field with the record's message (or raw text when it has none).

use std::path::{Path, PathBuf};

use serde_norway::{Mapping, Value};

use crate::correlation::Correlation;
use crate::logsource::{FieldRef, Logsources};

/// The field name keyword lists are rewritten to.
pub const KEYWORD_FIELD: &str = "canhgac_keywords";

/// What every rule, detection or correlation, says about itself.
#[derive(Debug, Clone)]
pub struct Meta {
    /// Rule id (the file's `id`, or `path#n` when it has none).
    pub id: String,
    /// `name`, for correlation references.
    pub name: Option<String>,
    /// `title`.
    pub title: String,
    /// `level`.
    pub level: String,
    /// `tags`.
    pub tags: Vec<String>,
    /// `description`.
    pub description: Option<String>,
    /// `falsepositives`.
    pub falsepositives: Vec<String>,
    /// The file it came from.
    pub path: PathBuf,
    /// Sample records the rule must and must not match (`canhgac_tests`), for `rules test`.
    pub tests: Option<RuleTests>,
    /// The rule's own suppression window (`canhgac_suppress: 30m`), in microseconds: repeats of
    /// its alerts for the same group within it are counted, not shown. Overrides the engine's.
    pub suppress_micros: Option<i64>,
}

/// A rule's own sample records: `canhgac_tests: {match: [...], no_match: [...]}`. For a
/// correlation, the `match` records together must make it fire.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleTests {
    /// Records (raw log lines) the rule must match.
    pub matching: Vec<String>,
    /// Records it must not match.
    pub not_matching: Vec<String>,
    /// How many times each list is replayed (`repeat`, default 1): a correlation over hundreds
    /// of events is tested with a few records.
    pub repeat: usize,
}

impl Meta {
    /// The metadata of a rule document; `level` defaults to `default_level`.
    pub fn from_yaml(
        value: &Value,
        id: String,
        path: &Path,
        default_level: &str,
    ) -> Result<Meta, String> {
        Ok(Meta {
            title: text_of(value, "title").ok_or("no title")?,
            name: text_of(value, "name"),
            level: text_of(value, "level").unwrap_or_else(|| default_level.to_owned()),
            tags: list_of(value, "tags"),
            description: text_of(value, "description"),
            falsepositives: list_of(value, "falsepositives"),
            path: path.to_owned(),
            tests: value.get("canhgac_tests").map(|t| RuleTests {
                matching: list_of(t, "match"),
                not_matching: list_of(t, "no_match"),
                repeat: t
                    .get("repeat")
                    .and_then(Value::as_u64)
                    .map_or(1, |n| n.clamp(1, 10_000) as usize),
            }),
            suppress_micros: match text_of(value, "canhgac_suppress") {
                None => None,
                Some(t) => Some(crate::correlation::parse_timespan(&t).ok_or_else(|| {
                    format!("canhgac_suppress `{t}` is not a duration such as 30s, 10m or 1h")
                })?),
            },
            id,
        })
    }
}

/// A Sigma field a rule reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleField {
    /// The name in the rule (modifiers stripped).
    pub name: String,
    /// Where its value comes from.
    pub source: FieldRef,
    /// Compared with `gt`/`gte`/`lt`/`lte`: given to sigma-rust as a float.
    pub numeric: bool,
}

/// A detection rule ready to evaluate.
#[derive(Debug)]
pub struct DetectionRule {
    /// Id, title, level, tags...
    pub meta: Meta,
    /// Whether the rule makes alerts of its own (`false` when a correlation says `generate: false`
    /// is not set and the rule only feeds correlations; see [`crate::correlation`]).
    pub standalone: bool,
    /// Index of its log source in [`RuleSet::logsources`].
    pub logsource: usize,
    /// Every Sigma field the rule reads and where it comes from.
    pub fields: Vec<RuleField>,
    /// The parsed rule: the reference evaluator.
    pub sigma: sigma_rust::Rule,
    /// The `detection` section after the rewrites above, as sigma-rust read it: what
    /// [`crate::compiled`] compiles, so both evaluators start from the same text.
    pub detection: Mapping,
}

/// A document that could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadFailure {
    /// The file.
    pub path: PathBuf,
    /// The rule's id, when it got that far.
    pub rule: Option<String>,
    /// Why.
    pub reason: String,
}

/// Rules and correlations, with the log-source table they were routed with.
#[derive(Debug)]
pub struct RuleSet {
    /// Detection rules.
    pub rules: Vec<DetectionRule>,
    /// Correlation rules.
    pub correlations: Vec<Correlation>,
    /// The log-source table.
    pub logsources: Logsources,
}

impl RuleSet {
    /// Loads every `.yml`/`.yaml` file under `paths` (files or directory trees, in name order).
    pub fn load(paths: &[PathBuf], logsources: Logsources) -> (RuleSet, Vec<LoadFailure>) {
        let mut failures = Vec::new();
        let mut set = RuleSet::empty(logsources);
        set.add_paths(paths, &mut failures);
        set.finish(&mut failures);
        (set, failures)
    }

    /// Adds every rule file under `paths`; call [`finish`](Self::finish) afterwards.
    pub fn add_paths(&mut self, paths: &[PathBuf], failures: &mut Vec<LoadFailure>) {
        let mut files = Vec::new();
        for path in paths {
            collect(path, &mut files, failures);
        }
        for file in files {
            match std::fs::read_to_string(&file) {
                Ok(text) => self.add_text(&file, &text, failures),
                Err(e) => failures.push(LoadFailure {
                    path: file,
                    rule: None,
                    reason: format!("cannot read: {e}"),
                }),
            }
        }
    }

    /// A set with no rules yet.
    pub fn empty(logsources: Logsources) -> RuleSet {
        RuleSet {
            rules: Vec::new(),
            correlations: Vec::new(),
            logsources,
        }
    }

    /// Links correlations to the rules they name, once every document is added.
    pub fn finish(&mut self, failures: &mut Vec<LoadFailure>) {
        crate::correlation::link(self, failures);
    }

    /// Adds the documents of one file's text.
    pub fn add_text(&mut self, path: &Path, text: &str, failures: &mut Vec<LoadFailure>) {
        for (n, doc) in documents(text).into_iter().enumerate() {
            let fail = |rule: Option<String>, reason: String| LoadFailure {
                path: path.to_owned(),
                rule,
                reason,
            };
            let value: Value = match serde_norway::from_str(doc) {
                Ok(Value::Null) => continue,
                Ok(v) => v,
                Err(e) => {
                    failures.push(fail(None, format!("document {}: not YAML: {e}", n + 1)));
                    continue;
                }
            };
            let id =
                text_of(&value, "id").unwrap_or_else(|| format!("{}#{}", path.display(), n + 1));
            if value.get("filter").is_some() {
                failures.push(fail(
                    Some(id),
                    "Sigma filter documents are not supported yet".to_owned(),
                ));
                continue;
            }
            if value.get("correlation").is_some() {
                match Correlation::from_yaml(&value, id.clone(), path) {
                    Ok(c) => self.correlations.push(c),
                    Err(reason) => failures.push(fail(Some(id), reason)),
                }
                continue;
            }
            match self.detection_rule(value, id.clone(), path) {
                Ok(rule) => self.rules.push(rule),
                Err(reason) => failures.push(fail(Some(id), reason)),
            }
        }
    }

    fn detection_rule(
        &self,
        value: Value,
        id: String,
        path: &Path,
    ) -> Result<DetectionRule, String> {
        let meta = Meta::from_yaml(&value, id, path, "informational")?;
        let logsource = value.get("logsource").ok_or("no logsource")?;
        let key = |k: &str| logsource.get(k).and_then(Value::as_str).map(str::to_owned);
        let (product, service, category) = (key("product"), key("service"), key("category"));
        let route = self
            .logsources
            .route(product.as_deref(), service.as_deref(), category.as_deref())
            .ok_or_else(|| {
                format!(
                    "log source product={} service={} category={} is not one canhgac collects",
                    product.as_deref().unwrap_or("-"),
                    service.as_deref().unwrap_or("-"),
                    category.as_deref().unwrap_or("-")
                )
            })?;
        let entry = self
            .logsources
            .get(route)
            .ok_or("log-source table changed while loading")?;
        let (sigma, fields, detection) = compile(value, |name| {
            entry.resolve(name).ok_or_else(|| {
                format!(
                    "field `{name}` does not exist for log source {}",
                    entry.name
                )
            })
        })?;
        Ok(DetectionRule {
            meta,
            standalone: true,
            logsource: route,
            fields,
            sigma,
            detection,
        })
    }

    /// A detection rule by id or name.
    pub fn find(&self, reference: &str) -> Option<usize> {
        self.rules
            .iter()
            .position(|r| r.meta.id == reference || r.meta.name.as_deref() == Some(reference))
    }
}

/// Rewrites a rule document where sigma-rust departs from the specification, resolves its field
/// names with `resolve`, and parses it with sigma-rust.
fn compile(
    mut value: Value,
    resolve: impl Fn(&str) -> Result<FieldRef, String>,
) -> Result<(sigma_rust::Rule, Vec<RuleField>, Mapping), String> {
    // sigma-rust needs a title and a logsource mapping even where they do not matter here.
    if let Some(m) = value.as_mapping_mut() {
        if m.get("title").is_none_or(Value::is_null) {
            m.insert(Value::from("title"), Value::from("untitled"));
        }
        if m.get("logsource").is_none_or(Value::is_null) {
            m.insert(Value::from("logsource"), Value::Mapping(Mapping::new()));
        }
    }
    let detection = value
        .get_mut("detection")
        .and_then(Value::as_mapping_mut)
        .ok_or("no detection")?;
    rewrite_keywords(detection);
    let numeric = normalize_values(detection);
    regex_flags(detection);
    condition_list(detection);
    let mut fields = Vec::new();
    for name in field_names(detection) {
        let source = if name == KEYWORD_FIELD {
            FieldRef::Keywords
        } else {
            resolve(&name)?
        };
        let numeric = numeric.contains(&name);
        fields.push(RuleField {
            name,
            source,
            numeric,
        });
    }
    let detection = detection.clone();
    let yaml = serde_norway::to_string(&value).map_err(|e| e.to_string())?;
    let sigma = sigma_rust::rule_from_yaml(&yaml).map_err(|e| format!("sigma-rust: {e}"))?;
    Ok((sigma, fields, detection))
}

/// A rule evaluated on free-form JSON events rather than our rows: for conformance against other
/// evaluators' test vectors, whose events have arbitrary fields. The same rewrites apply.
#[derive(Debug)]
pub struct GenericRule {
    sigma: sigma_rust::Rule,
    numeric: Vec<String>,
}

impl GenericRule {
    /// Compiles one rule document.
    pub fn from_yaml(text: &str) -> Result<GenericRule, String> {
        let value: Value = serde_norway::from_str(text).map_err(|e| e.to_string())?;
        let (sigma, fields, _) = compile(value, |name| Ok(FieldRef::Map(name.to_owned())))?;
        let numeric = fields
            .into_iter()
            .filter(|f| f.numeric)
            .map(|f| f.name)
            .collect();
        Ok(GenericRule { sigma, numeric })
    }

    /// Whether the rule matches a JSON event. Keywords search the event's text: every string and
    /// number in it, one per line.
    pub fn matches(&self, event: &serde_json::Value) -> bool {
        let Ok(mut ev) = sigma_rust::event_from_json(&event.to_string()) else {
            return false;
        };
        let mut text = String::new();
        fn leaves(v: &serde_json::Value, out: &mut String) {
            match v {
                serde_json::Value::String(s) => {
                    out.push_str(s);
                    out.push('\n');
                }
                serde_json::Value::Number(n) => {
                    out.push_str(&n.to_string());
                    out.push('\n');
                }
                serde_json::Value::Array(items) => items.iter().for_each(|i| leaves(i, out)),
                serde_json::Value::Object(m) => m.values().for_each(|i| leaves(i, out)),
                _ => {}
            }
        }
        leaves(event, &mut text);
        ev.insert(KEYWORD_FIELD, text);
        for name in &self.numeric {
            let n = match event.get(name) {
                Some(serde_json::Value::Number(n)) => n.as_f64(),
                Some(serde_json::Value::String(s)) => s.trim().parse::<f64>().ok(),
                _ => None,
            };
            if let Some(n) = n {
                ev.insert(name.clone(), n);
            }
        }
        self.sigma.is_match(&ev)
    }
}

fn collect(path: &Path, files: &mut Vec<PathBuf>, failures: &mut Vec<LoadFailure>) {
    if path.is_dir() {
        let entries = match std::fs::read_dir(path) {
            Ok(e) => e,
            Err(e) => {
                failures.push(LoadFailure {
                    path: path.to_owned(),
                    rule: None,
                    reason: format!("cannot read directory: {e}"),
                });
                return;
            }
        };
        let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        children.sort();
        for child in children {
            if child.is_dir() || child.extension().is_some_and(|x| x == "yml" || x == "yaml") {
                collect(&child, files, failures);
            }
        }
    } else {
        files.push(path.to_owned());
    }
}

/// The `---`-separated documents of a file.
fn documents(text: &str) -> Vec<&str> {
    let mut docs = Vec::new();
    let mut start = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_end() == "---" {
            docs.push(&text[start..offset]);
            start = offset + line.len();
        }
        offset += line.len();
    }
    docs.push(&text[start..]);
    docs.into_iter().filter(|d| !d.trim().is_empty()).collect()
}

pub(crate) fn text_of(value: &Value, key: &str) -> Option<String> {
    match value.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(crate) fn list_of(value: &Value, key: &str) -> Vec<String> {
    match value.get(key) {
        Some(Value::Sequence(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn is_scalar(v: &Value) -> bool {
    matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))
}

/// Regular-expression flags (`|re|i`, `|re|m`, `|re|s`, specification 2.0) become inline flags
/// (`(?i)...`), which sigma-rust's regex engine understands while it refuses the modifiers.
fn regex_flags(detection: &mut Mapping) {
    fn walk(v: &mut Value) {
        match v {
            Value::Mapping(m) => {
                let keys: Vec<Value> = m.keys().cloned().collect();
                for k in keys {
                    let Some(key) = k.as_str() else { continue };
                    let mut parts = key.split('|');
                    let name = parts.next().unwrap_or("");
                    let modifiers: Vec<&str> = parts.collect();
                    let flags: String = modifiers
                        .iter()
                        .filter(|m| matches!(**m, "i" | "m" | "s"))
                        .copied()
                        .collect();
                    if !modifiers.contains(&"re") || flags.is_empty() {
                        if let Some(inner) = m.get_mut(&k) {
                            walk(inner);
                        }
                        continue;
                    }
                    let kept: Vec<&str> = modifiers
                        .iter()
                        .filter(|m| !matches!(**m, "i" | "m" | "s"))
                        .copied()
                        .collect();
                    let new_key = std::iter::once(name)
                        .chain(kept)
                        .collect::<Vec<_>>()
                        .join("|");
                    if let Some(mut value) = m.remove(&k) {
                        let prefix = |v: &mut Value| {
                            if let Value::String(s) = v {
                                *s = format!("(?{flags}){s}");
                            }
                        };
                        match &mut value {
                            Value::Sequence(items) => items.iter_mut().for_each(prefix),
                            other => prefix(other),
                        }
                        m.insert(Value::String(new_key), value);
                    }
                }
            }
            Value::Sequence(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    for (_, selection) in detection.iter_mut() {
        walk(selection);
    }
}

/// A list of conditions means any of them (Sigma specification); sigma-rust takes only a string.
fn condition_list(detection: &mut Mapping) {
    if let Some(Value::Sequence(items)) = detection.get("condition") {
        let parts: Vec<String> = items
            .iter()
            .filter_map(|c| c.as_str().map(|c| format!("({c})")))
            .collect();
        detection.insert(Value::from("condition"), Value::from(parts.join(" or ")));
    }
}

/// Where sigma-rust's typing departs from the specification: it compares values only within one
/// type, so a YAML number in a plain or `contains` match never equals the text of a field, and
/// `gt: 1024` never compares with a port read as text. Plain and string-modifier values are made
/// text (the specification matches them as text); `gt`/`gte`/`lt`/`lte` values become floats, and
/// the evaluator gives those fields as floats too. Returns the fields compared numerically.
fn normalize_values(detection: &mut Mapping) -> Vec<String> {
    fn each(value: &mut Value, f: &dyn Fn(&mut Value)) {
        match value {
            Value::Sequence(items) => items.iter_mut().for_each(f),
            other => f(other),
        }
    }
    fn walk(v: &mut Value, numeric_fields: &mut Vec<String>) {
        match v {
            Value::Mapping(m) => {
                for (k, value) in m.iter_mut() {
                    let key = k.as_str().unwrap_or("");
                    let numeric = key
                        .split('|')
                        .skip(1)
                        .any(|m| matches!(m, "gt" | "gte" | "lt" | "lte"));
                    if numeric {
                        let name = key.split('|').next().unwrap_or("").to_owned();
                        if !numeric_fields.contains(&name) {
                            numeric_fields.push(name);
                        }
                        each(value, &|v: &mut Value| {
                            let n = match v {
                                Value::Number(n) => n.as_f64(),
                                Value::String(t) => t.trim().parse::<f64>().ok(),
                                _ => None,
                            };
                            if let Some(n) = n {
                                *v = Value::from(n);
                            }
                        });
                    } else if matches!(value, Value::Mapping(_)) {
                        walk(value, numeric_fields);
                    } else {
                        each(value, &|v: &mut Value| {
                            if let Value::Number(n) = v {
                                *v = Value::String(n.to_string());
                            }
                        });
                    }
                }
            }
            Value::Sequence(items) => items.iter_mut().for_each(|i| walk(i, numeric_fields)),
            _ => {}
        }
    }
    let mut numeric_fields = Vec::new();
    for (name, selection) in detection.iter_mut() {
        if name
            .as_str()
            .is_some_and(|n| n == "condition" || n == "timeframe")
        {
            continue;
        }
        walk(selection, &mut numeric_fields);
    }
    numeric_fields
}

/// Keyword lists (`sel: [a, b]`, `sel: a`, `sel: {'|all': [a, b]}`) become field selections on
/// [`KEYWORD_FIELD`] with `contains`, as the specification searches keywords in the text.
fn rewrite_keywords(detection: &mut Mapping) {
    for (name, selection) in detection.iter_mut() {
        if name
            .as_str()
            .is_some_and(|n| n == "condition" || n == "timeframe")
        {
            continue;
        }
        let (values, all) = match selection {
            Value::Sequence(items) if !items.is_empty() && items.iter().all(is_scalar) => {
                (items.clone(), false)
            }
            Value::String(_) | Value::Number(_) => (vec![selection.clone()], false),
            Value::Mapping(m) if m.len() == 1 => match m.iter().next() {
                Some((Value::String(k), Value::Sequence(items))) if k == "|all" => {
                    (items.clone(), true)
                }
                _ => continue,
            },
            _ => continue,
        };
        let key = if all {
            format!("{KEYWORD_FIELD}|contains|all")
        } else {
            format!("{KEYWORD_FIELD}|contains")
        };
        let mut m = Mapping::new();
        m.insert(Value::String(key), Value::Sequence(values));
        *selection = Value::Mapping(m);
    }
}

/// Every field name (modifiers stripped) the selections of a detection read.
fn field_names(detection: &Mapping) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Mapping(m) => {
                for (k, _) in m {
                    if let Some(k) = k.as_str() {
                        let name = k.split('|').next().unwrap_or("");
                        if !name.is_empty() && !out.iter().any(|o| o == name) {
                            out.push(name.to_owned());
                        }
                    }
                }
            }
            Value::Sequence(items) => items.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (name, selection) in detection {
        if name
            .as_str()
            .is_some_and(|n| n == "condition" || n == "timeframe")
        {
            continue;
        }
        walk(selection, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> (RuleSet, Vec<LoadFailure>) {
        let logsources = Logsources::builtin().unwrap_or_else(|e| panic!("{e}"));
        let mut set = RuleSet::empty(logsources);
        let mut failures = Vec::new();
        set.add_text(Path::new("t.yml"), text, &mut failures);
        (set, failures)
    }

    #[test]
    fn documents_split_on_separator_lines() {
        assert_eq!(documents("a: 1\n---\nb: 2\n").len(), 2);
        assert_eq!(documents("---\na: 1\n").len(), 1);
        assert_eq!(documents("a: '---'\n").len(), 1);
    }

    #[test]
    fn failures_name_the_rule_and_the_reason() {
        let (set, failures) = load(
            "title: ok\nid: r1\nlogsource: {product: linux, service: sshd}\ndetection: {sel: {user: root}, condition: sel}\n\
             ---\ntitle: win\nid: r2\nlogsource: {product: windows}\ndetection: {sel: {EventID: 1}, condition: sel}\n\
             ---\ntitle: bad field\nid: r3\nlogsource: {product: linux, service: sudo}\ndetection: {sel: {Image: x}, condition: sel}\n\
             ---\ntitle: bad condition\nid: r4\nlogsource: {product: linux, service: sshd}\ndetection: {sel: {user: x}, condition: sel and (}\n",
        );
        assert_eq!(set.rules.len(), 1);
        let ids: Vec<_> = failures.iter().filter_map(|f| f.rule.clone()).collect();
        assert_eq!(ids, ["r2", "r3", "r4"]);
        assert!(failures[0].reason.contains("product=windows"));
        assert!(failures[1].reason.contains("`Image`"));
    }

    #[test]
    fn keywords_become_contains_on_the_text() {
        let (set, failures) = load(
            "title: k\nid: k1\nlogsource: {product: linux, service: auth}\ndetection:\n  keywords:\n    '|all': [pkexec, XAUTHORITY]\n  condition: keywords\n",
        );
        assert!(failures.is_empty(), "{failures:?}");
        assert_eq!(
            set.rules[0].fields,
            vec![RuleField {
                name: KEYWORD_FIELD.to_owned(),
                source: FieldRef::Keywords,
                numeric: false
            }]
        );
    }
}
