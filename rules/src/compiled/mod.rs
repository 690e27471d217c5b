//! The compiled evaluator: Sigma rules lowered once into plans over Arrow columns, and evaluated
//! batch by batch with shared work across rules.
//!
//! How a batch is evaluated:
//! 1. Every field any rule reads is a *slot* (`columns.rs`). For each row, the few slots the
//!    log-source conditions read come first, so a row only meets the rules of the log sources it
//!    belongs to.
//! 2. For each row, the slots of those rules are read once (numbers written out, text lowered),
//!    whatever the number of rules reading them, into buffers reused from row to row.
//! 3. The prefilter: every rule whose match implies that one of a few literals occurs in some
//!    slot (its *needles*, found by walking its condition) is evaluated on a row only when one
//!    of those literals occurred. One Aho-Corasick pass per slot and row finds every literal of
//!    every rule at once. Rules without needles (a regex alone, a `not`, a CIDR) are always
//!    evaluated.
//! 4. The candidate rules' plans (`plan.rs`) run on the row: shapes instead of regexes, values
//!    folded at load, no allocation.
//!
//! A rule the compiler cannot lower keeps the reference evaluator (sigma-rust) for itself;
//! [`CompiledDetector::fallbacks`] lists them with the reason. The verdicts are the reference's:
//! a differential test runs both on every rule and event we have.

mod columns;
mod matcher;
mod plan;

use std::collections::HashMap;

use aho_corasick::AhoCorasick;

use crate::detect::{BatchView, Detector, RuleMatch, reference_matches};
use crate::load::RuleSet;
use crate::logsource::FieldRef;
use columns::{Cell, RowCells, SlotKey};
use plan::{Cond, Plan, RefOp, Test, TestKind, ValueTest};

/// How one rule is evaluated.
#[derive(Debug)]
enum Evaluation {
    /// Compiled; `gated` when the prefilter decides whether the rule needs evaluating.
    Plan { plan: Plan, gated: bool },
    /// By sigma-rust, with the reason the compiler gave.
    Reference(String),
}

/// The prefilter of one slot: its needles and the rules each one lets through.
struct SlotNeedles {
    slot: usize,
    automaton: AhoCorasick,
    rules: Vec<Vec<usize>>,
    /// The log sources of those rules: rows outside all of them are not searched.
    logsources: Vec<usize>,
}

/// One way a row belongs to a log source: every (slot, allowed values) holds.
type Alternative = Vec<(usize, Vec<String>)>;

/// The compiled evaluator. Build it from the rule set it will be given.
pub struct CompiledDetector {
    slots: Vec<SlotKey>,
    rules: Vec<Evaluation>,
    /// Per log source used by a rule: its row conditions over slots.
    logsources: Vec<(usize, Vec<Alternative>)>,
    /// Per log source: the rules that are always evaluated on its rows.
    ungated: HashMap<usize, Vec<usize>>,
    needles: Vec<SlotNeedles>,
    /// The slots log-source conditions read: read first for every row.
    condition_slots: Vec<usize>,
    /// Per log source: the slots its rules read, read row by row for its rows.
    rule_slots: HashMap<usize, Vec<usize>>,
    /// The slots of each `fields` key.
    map_index: HashMap<String, Vec<usize>>,
}

impl std::fmt::Debug for CompiledDetector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledDetector")
            .field("slots", &self.slots.len())
            .field("rules", &self.rules.len())
            .field("fallbacks", &self.fallbacks().len())
            .finish()
    }
}

struct SlotTable<'a> {
    keys: &'a mut Vec<SlotKey>,
    rule_fields: &'a [crate::load::RuleField],
}

impl SlotTable<'_> {
    fn intern(keys: &mut Vec<SlotKey>, key: SlotKey) -> usize {
        match keys.iter().position(|k| *k == key) {
            Some(i) => i,
            None => {
                keys.push(key);
                keys.len() - 1
            }
        }
    }
}

impl plan::Slots for SlotTable<'_> {
    fn slot(&mut self, field: &str) -> Option<usize> {
        let f = self.rule_fields.iter().find(|f| f.name == field)?;
        Some(Self::intern(
            self.keys,
            SlotKey {
                field: f.source.clone(),
                numeric: f.numeric,
            },
        ))
    }
}

/// A disjunction of (slot, lowered literal): one of them occurs in every row the rule matches.
type Needles = Vec<(usize, String)>;

fn fold(text: &str) -> String {
    text.chars().flat_map(char::to_lowercase).collect()
}

fn test_needles(test: &Test) -> Option<Needles> {
    let Some(slot) = test.slot else {
        // A field the rule never has: the test cannot hold (apart from `exists: false`).
        return match test.kind {
            TestKind::Exists(false) => None,
            _ => Some(Vec::new()),
        };
    };
    let TestKind::Values { all, values } = &test.kind else {
        return None;
    };
    let literal = |v: &ValueTest| match v {
        ValueTest::Text { shape, folded } => shape
            .required_literal()
            .map(|l| if *folded { l.to_owned() } else { fold(l) }),
        _ => None,
    };
    if *all {
        // Every value must match: any one of them is required.
        if values.iter().any(|v| matches!(v, ValueTest::Never)) {
            return Some(Vec::new());
        }
        values
            .iter()
            .filter_map(literal)
            .max_by_key(String::len)
            .map(|l| vec![(slot, l)])
    } else {
        let mut out = Vec::new();
        for v in values {
            if matches!(v, ValueTest::Never) {
                continue;
            }
            out.push((slot, literal(v)?));
        }
        Some(out)
    }
}

/// The better of two requirements: fewer needles, then longer ones.
fn best(candidates: impl Iterator<Item = Option<Needles>>) -> Option<Needles> {
    candidates.flatten().min_by_key(|n| {
        let shortest = n.iter().map(|(_, l)| l.len()).min().unwrap_or(usize::MAX);
        (n.len(), usize::MAX - shortest)
    })
}

fn union(parts: impl Iterator<Item = Option<Needles>>) -> Option<Needles> {
    let mut out = Vec::new();
    for p in parts {
        out.extend(p?);
    }
    Some(out)
}

fn cond_needles(plan: &Plan, cond: &Cond) -> Option<Needles> {
    match cond {
        Cond::Const(false) => Some(Vec::new()),
        Cond::Const(true) | Cond::Not(_) => None,
        Cond::Selection(i) => {
            let selection = plan.selections.get(*i)?;
            union(
                selection
                    .alternatives
                    .iter()
                    .map(|tests| best(tests.iter().map(test_needles))),
            )
        }
        Cond::And(parts) => best(parts.iter().map(|p| cond_needles(plan, p))),
        Cond::Or(parts) => union(parts.iter().map(|p| cond_needles(plan, p))),
    }
}

impl CompiledDetector {
    /// Compiles every detection rule of `rules`.
    pub fn new(rules: &RuleSet) -> CompiledDetector {
        let mut slots = Vec::new();
        let mut compiled = Vec::new();
        let mut needles: HashMap<(usize, String), Vec<usize>> = HashMap::new();
        let mut ungated: HashMap<usize, Vec<usize>> = HashMap::new();
        for (index, rule) in rules.rules.iter().enumerate() {
            let mut table = SlotTable {
                keys: &mut slots,
                rule_fields: &rule.fields,
            };
            let evaluation = match plan::compile(&rule.detection, &mut table) {
                Ok(plan) => {
                    let required = cond_needles(&plan, &plan.condition);
                    if let Some(required) = &required {
                        for needle in required {
                            let rules = needles.entry(needle.clone()).or_default();
                            if rules.last() != Some(&index) {
                                rules.push(index);
                            }
                        }
                    } else {
                        ungated.entry(rule.logsource).or_default().push(index);
                    }
                    Evaluation::Plan {
                        plan,
                        gated: required.is_some(),
                    }
                }
                Err(reason) => {
                    ungated.entry(rule.logsource).or_default().push(index);
                    Evaluation::Reference(reason)
                }
            };
            compiled.push(evaluation);
        }
        let mut used: Vec<usize> = rules.rules.iter().map(|r| r.logsource).collect();
        used.sort_unstable();
        used.dedup();
        let logsources: Vec<(usize, Vec<Alternative>)> = used
            .iter()
            .filter_map(|&ls| {
                let source = rules.logsources.get(ls)?;
                let rows = source
                    .rows
                    .iter()
                    .map(|alt| {
                        alt.iter()
                            .map(|(field, allowed)| {
                                let key = SlotKey {
                                    field: field.clone(),
                                    numeric: false,
                                };
                                (SlotTable::intern(&mut slots, key), allowed.clone())
                            })
                            .collect()
                    })
                    .collect();
                Some((ls, rows))
            })
            .collect();
        let mut by_slot: HashMap<usize, Vec<(String, Vec<usize>)>> = HashMap::new();
        for ((slot, literal), rule_list) in needles {
            by_slot.entry(slot).or_default().push((literal, rule_list));
        }
        let mut slot_needles = Vec::new();
        for (slot, mut list) in by_slot {
            list.sort();
            // A DFA: the fastest search, and the needle sets are small enough for its memory.
            let built = AhoCorasick::builder()
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .build(list.iter().map(|(l, _)| l.as_str()));
            let Ok(automaton) = built else {
                // Too many needles for the automaton: those rules are always evaluated.
                for (_, rule_list) in list {
                    for r in rule_list {
                        if let Some(Evaluation::Plan { gated, .. }) = compiled.get_mut(r) {
                            *gated = false;
                        }
                        if let Some(rule) = rules.rules.get(r) {
                            ungated.entry(rule.logsource).or_default().push(r);
                        }
                    }
                }
                continue;
            };
            let mut logsources: Vec<usize> = list
                .iter()
                .flat_map(|(_, rs)| rs.iter().filter_map(|&r| rules.rules.get(r)))
                .map(|r| r.logsource)
                .collect();
            logsources.sort_unstable();
            logsources.dedup();
            slot_needles.push(SlotNeedles {
                slot,
                automaton,
                rules: list.into_iter().map(|(_, rs)| rs).collect(),
                logsources,
            });
        }
        slot_needles.sort_by_key(|s| s.slot);
        for list in ungated.values_mut() {
            list.sort_unstable();
            list.dedup();
        }
        let mut condition_slots: Vec<usize> = logsources
            .iter()
            .flat_map(|(_, alternatives)| alternatives.iter().flatten().map(|(slot, _)| *slot))
            .collect();
        condition_slots.sort_unstable();
        condition_slots.dedup();
        let mut rule_slots: HashMap<usize, Vec<usize>> = HashMap::new();
        for (rule, evaluation) in rules.rules.iter().zip(&compiled) {
            if let Evaluation::Plan { plan, .. } = evaluation {
                plan_slots(plan, rule_slots.entry(rule.logsource).or_default());
            }
        }
        for list in rule_slots.values_mut() {
            list.sort_unstable();
            list.dedup();
        }
        let mut map_index: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, key) in slots.iter().enumerate() {
            if let FieldRef::Map(name) = &key.field {
                map_index.entry(name.clone()).or_default().push(i);
            }
        }
        CompiledDetector {
            slots,
            rules: compiled,
            logsources,
            ungated,
            needles: slot_needles,
            condition_slots,
            rule_slots,
            map_index,
        }
    }

    /// Rules left to the reference evaluator: (index in [`RuleSet::rules`], why).
    pub fn fallbacks(&self) -> Vec<(usize, &str)> {
        self.rules
            .iter()
            .enumerate()
            .filter_map(|(i, e)| match e {
                Evaluation::Reference(reason) => Some((i, reason.as_str())),
                Evaluation::Plan { .. } => None,
            })
            .collect()
    }

    /// Rules the prefilter gates, out of all compiled ones: (gated, compiled).
    pub fn gated(&self) -> (usize, usize) {
        self.rules.iter().fold((0, 0), |(g, c), e| match e {
            Evaluation::Plan { gated, .. } => (g + usize::from(*gated), c + 1),
            Evaluation::Reference(_) => (g, c),
        })
    }
}

/// Every slot a plan reads.
fn plan_slots(plan: &Plan, out: &mut Vec<usize>) {
    for selection in &plan.selections {
        for test in selection.alternatives.iter().flatten() {
            out.extend(test.slot);
            if let TestKind::FieldRef { targets, .. } = &test.kind {
                out.extend(targets.iter().flatten());
            }
        }
    }
}

fn eval_cond(plan: &Plan, cond: &Cond, cols: &RowCells<'_>) -> bool {
    match cond {
        Cond::Const(b) => *b,
        Cond::Selection(i) => plan.selections.get(*i).is_some_and(|s| {
            s.alternatives
                .iter()
                .any(|tests| tests.iter().all(|t| eval_test(t, cols)))
        }),
        Cond::Not(inner) => !eval_cond(plan, inner, cols),
        Cond::And(parts) => parts.iter().all(|p| eval_cond(plan, p, cols)),
        Cond::Or(parts) => parts.iter().any(|p| eval_cond(plan, p, cols)),
    }
}

fn eval_test(test: &Test, cols: &RowCells<'_>) -> bool {
    let cell = test.slot.and_then(|s| cols.cell(s));
    match &test.kind {
        TestKind::Exists(want) => cell.is_some() == *want,
        TestKind::Values { all, values } => {
            let Some(cell) = cell else { return false };
            if *all {
                values.iter().all(|v| value_matches(v, &cell))
            } else {
                values.iter().any(|v| value_matches(v, &cell))
            }
        }
        TestKind::FieldRef {
            all,
            op,
            cased,
            targets,
        } => {
            let Some(cell) = cell else { return false };
            let mut any = false;
            for target in targets {
                // A reference to a field the row lacks fails the whole test, as in the reference.
                let Some(other) = target.and_then(|s| cols.cell(s)) else {
                    return false;
                };
                let hit = ref_matches(*op, *cased, &cell, &other);
                if *all && !hit {
                    return false;
                }
                any |= hit;
            }
            *all || any
        }
    }
}

fn value_matches(value: &ValueTest, cell: &Cell<'_>) -> bool {
    match value {
        ValueTest::Text { shape, folded } => {
            shape.matches(if *folded { cell.lower } else { cell.text })
        }
        ValueTest::Regex(re) => re.is_match(cell.text),
        ValueTest::Cidr(net) => cell.number.is_none() && matcher::in_cidr(net, cell.text),
        ValueTest::Order(ordering, or_equal, scalar) => scalar
            .compare(cell.text, cell.number)
            .is_some_and(|o| o == *ordering || (*or_equal && o.is_eq())),
        ValueTest::Never => false,
    }
}

fn ref_matches(op: RefOp, cased: bool, cell: &Cell<'_>, other: &Cell<'_>) -> bool {
    use std::cmp::Ordering::{Greater, Less};
    let texts = cell.number.is_none() && other.number.is_none();
    let compare = || match (cell.number, other.number) {
        (Some(a), Some(b)) => a.partial_cmp(&b),
        (None, None) => Some(cell.text.cmp(other.text)),
        _ => None,
    };
    let folded = |f: fn(&str, &str) -> bool| {
        texts
            && if cased {
                f(cell.text, other.text)
            } else {
                f(&cell.text.to_lowercase(), &other.text.to_lowercase())
            }
    };
    match op {
        RefOp::Equals => compare() == Some(std::cmp::Ordering::Equal),
        RefOp::Contains => folded(|a, b| a.contains(b)),
        RefOp::StartsWith => folded(|a, b| a.starts_with(b)),
        RefOp::EndsWith => folded(|a, b| a.ends_with(b)),
        RefOp::Lt => compare() == Some(Less),
        RefOp::Lte => compare().is_some_and(|o| o != Greater),
        RefOp::Gt => compare() == Some(Greater),
        RefOp::Gte => compare().is_some_and(|o| o != Less),
    }
}

impl Detector for CompiledDetector {
    fn detect(&self, rules: &RuleSet, view: &BatchView<'_>, out: &mut Vec<RuleMatch>) {
        let rows = view.rows();
        let mut cells = RowCells::new(view, &self.slots);
        let mut row_slots: Vec<usize> = Vec::new();
        // Per log source index: whether the current row belongs to it.
        let mut member = vec![false; rules.logsources.len()];
        let mut seen = vec![usize::MAX; self.rules.len()];
        let mut candidates: Vec<usize> = Vec::new();
        for row in 0..rows {
            cells.start(row);
            cells.read(view, &self.condition_slots, &self.slots, &self.map_index);
            let mut any = false;
            for (ls, alternatives) in &self.logsources {
                let holds = alternatives.iter().any(|conditions| {
                    conditions.iter().all(|(slot, allowed)| {
                        cells
                            .cell(*slot)
                            .is_some_and(|c| allowed.iter().any(|a| a == c.text))
                    })
                });
                if let Some(m) = member.get_mut(*ls) {
                    *m = holds;
                }
                any |= holds;
            }
            if !any {
                continue;
            }
            let is_member = |ls: usize| member.get(ls).copied().unwrap_or(false);
            candidates.clear();
            row_slots.clear();
            for (ls, _) in &self.logsources {
                if is_member(*ls)
                    && let Some(list) = self.rule_slots.get(ls)
                {
                    row_slots.extend_from_slice(list);
                }
            }
            row_slots.sort_unstable();
            row_slots.dedup();
            cells.read(view, &row_slots, &self.slots, &self.map_index);
            for needles in &self.needles {
                if !needles.logsources.iter().any(|&ls| is_member(ls)) {
                    continue;
                }
                let Some(cell) = cells.cell(needles.slot) else {
                    continue;
                };
                for hit in needles.automaton.find_overlapping_iter(cell.lower) {
                    for &r in &needles.rules[hit.pattern().as_usize()] {
                        if seen[r] != row {
                            seen[r] = row;
                            candidates.push(r);
                        }
                    }
                }
            }
            for (ls, _) in &self.logsources {
                if !is_member(*ls) {
                    continue;
                }
                if let Some(list) = self.ungated.get(ls) {
                    candidates.extend_from_slice(list);
                }
            }
            candidates.sort_unstable();
            candidates.dedup();
            for &r in &candidates {
                let Some(rule) = rules.rules.get(r) else {
                    continue;
                };
                if !is_member(rule.logsource) {
                    continue;
                }
                let matched = match &self.rules[r] {
                    Evaluation::Plan { plan, .. } => eval_cond(plan, &plan.condition, &cells),
                    Evaluation::Reference(_) => reference_matches(rule, view, row),
                };
                if matched {
                    out.push(RuleMatch { rule: r, row });
                }
            }
        }
    }
}

/// The slot a field reference has among the keys (for tests).
#[cfg(test)]
fn slot_of(detector: &CompiledDetector, field: &FieldRef) -> Option<usize> {
    detector.slots.iter().position(|k| k.field == *field)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logsource::Logsources;

    fn set(text: &str) -> RuleSet {
        let logsources = Logsources::builtin().unwrap_or_else(|e| panic!("{e}"));
        let mut set = RuleSet::empty(logsources);
        let mut failures = Vec::new();
        set.add_text(std::path::Path::new("t.yml"), text, &mut failures);
        assert!(failures.is_empty(), "{failures:?}");
        set
    }

    #[test]
    fn rules_compile_with_needles() {
        let rules = set(
            "title: a\nid: a\nlogsource: {product: linux, service: sshd}\n\
             detection: {sel: {user|contains: ['ROOT', 'admin']}, condition: sel}\n---\n\
             title: b\nid: b\nlogsource: {product: linux, service: sshd}\n\
             detection: {sel: {user: x}, filter: {src_ip|cidr: 10.0.0.0/8}, condition: not filter}\n",
        );
        let d = CompiledDetector::new(&rules);
        assert!(d.fallbacks().is_empty(), "{:?}", d.fallbacks());
        assert_eq!(d.gated(), (1, 2));
        let user = slot_of(&d, &FieldRef::Column("user".into()));
        assert!(user.is_some());
        assert_eq!(d.needles.len(), 1);
        assert_eq!(Some(d.needles[0].slot), user);
    }
}
