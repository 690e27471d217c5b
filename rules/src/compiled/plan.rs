//! A rule's detection compiled once into a plan: the condition as a tree over numbered
//! selections, each selection a list of alternatives (YAML list of maps), each alternative a list
//! of field tests that must all hold, each test reading one column slot with pre-lowered values.
//!
//! The plan is built from the same rewritten `detection` section sigma-rust parsed (see
//! [`crate::load`]), and keeps sigma-rust's meaning where the specification leaves room: values
//! are compared as sigma-rust compares them, `all of` an empty set holds, and a `fieldref` to a
//! field the row lacks fails the whole test. What this compiler does not know how to lower comes
//! back as an error, and the rule is evaluated by the reference instead.

use serde_norway::{Mapping, Value};

use super::matcher::{self, Piece, Scalar, Shape, Utf16};

/// A compiled rule.
#[derive(Debug)]
pub(crate) struct Plan {
    pub condition: Cond,
    pub selections: Vec<Selection>,
}

/// The condition over selections.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cond {
    Const(bool),
    Selection(usize),
    Not(Box<Cond>),
    And(Vec<Cond>),
    Or(Vec<Cond>),
}

/// A named selection: any alternative whose tests all hold.
#[derive(Debug, Default)]
pub(crate) struct Selection {
    pub alternatives: Vec<Vec<Test>>,
}

/// One field of a selection with its modifiers and values.
#[derive(Debug)]
pub(crate) struct Test {
    /// The slot (column) it reads; `None` when the field is never present.
    pub slot: Option<usize>,
    pub kind: TestKind,
}

#[derive(Debug)]
pub(crate) enum TestKind {
    /// `|exists: true/false`.
    Exists(bool),
    /// Values: any of them must match (all with `|all`).
    Values { all: bool, values: Vec<ValueTest> },
    /// `|fieldref`: compared with other fields of the same row.
    FieldRef {
        all: bool,
        op: RefOp,
        cased: bool,
        targets: Vec<Option<usize>>,
    },
}

/// How a `fieldref` value compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefOp {
    Equals,
    Contains,
    StartsWith,
    EndsWith,
    Lt,
    Lte,
    Gt,
    Gte,
}

/// One value of a field test.
#[derive(Debug)]
pub(crate) enum ValueTest {
    /// A wildcard value; `folded` ones compare with the row's lowered text.
    Text {
        shape: Shape,
        folded: bool,
    },
    Regex(regex::Regex),
    Cidr(cidr::IpCidr),
    Order(std::cmp::Ordering, bool, Scalar),
    /// A boolean or null compared as a plain value: no row text equals it.
    Never,
}

/// What a field test needs from the slot table: the slot of a field name of this rule.
pub(crate) trait Slots {
    fn slot(&mut self, field: &str) -> Option<usize>;
}

#[derive(Default)]
struct Modifiers {
    all: bool,
    cased: bool,
    fieldref: bool,
    exists: bool,
    op: Option<&'static str>,
    transform: Option<&'static str>,
    utf16: Option<Utf16>,
}

fn modifiers(key: &str) -> Result<Modifiers, String> {
    let mut m = Modifiers::default();
    for part in key.split('|').skip(1) {
        let part = part.to_ascii_lowercase();
        match part.as_str() {
            "all" => m.all = true,
            "cased" => m.cased = true,
            "fieldref" => m.fieldref = true,
            "exists" => m.exists = true,
            "contains" | "startswith" | "endswith" | "gt" | "gte" | "lt" | "lte" | "re"
            | "cidr" => {
                if m.op.is_some() {
                    return Err(format!("two match modifiers in `{key}`"));
                }
                m.op = Some(match part.as_str() {
                    "contains" => "contains",
                    "startswith" => "startswith",
                    "endswith" => "endswith",
                    "gt" => "gt",
                    "gte" => "gte",
                    "lt" => "lt",
                    "lte" => "lte",
                    "re" => "re",
                    _ => "cidr",
                });
            }
            "base64" | "base64offset" | "windash" => {
                if m.transform.is_some() {
                    return Err(format!("two transformations in `{key}`"));
                }
                m.transform = Some(match part.as_str() {
                    "base64" => "base64",
                    "base64offset" => "base64offset",
                    _ => "windash",
                });
            }
            "utf16le" | "wide" => m.utf16 = Some(Utf16::Le),
            "utf16be" => m.utf16 = Some(Utf16::Be),
            "utf16" => m.utf16 = Some(Utf16::WithBom),
            other => return Err(format!("modifier `{other}` is not compiled")),
        }
    }
    Ok(m)
}

/// A YAML scalar as the reference reads it.
enum Literal {
    Text(String),
    Number(f64),
    Other,
}

fn literal(v: &Value) -> Result<Literal, String> {
    Ok(match v {
        Value::String(s) => Literal::Text(s.clone()),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => Literal::Number(f),
            // Integers compare only with integers in the reference, and rows never hold one.
            _ => return Err("an integer value outside an ordering modifier".to_owned()),
        },
        Value::Bool(_) | Value::Null => Literal::Other,
        _ => return Err("a value that is not a scalar".to_owned()),
    })
}

fn compile_test(key: &str, value: &Value, slots: &mut dyn Slots) -> Result<Test, String> {
    let name = key.split('|').next().unwrap_or("");
    let m = modifiers(key)?;
    let raw: Vec<&Value> = match value {
        Value::Sequence(items) => items.iter().collect(),
        other => vec![other],
    };
    if raw.is_empty() {
        return Err(format!("`{key}` has no values"));
    }
    let slot = slots.slot(name);
    if m.exists {
        return match raw.as_slice() {
            [Value::Bool(b)] => Ok(Test {
                slot,
                kind: TestKind::Exists(*b),
            }),
            _ => Err("`exists` needs one boolean".to_owned()),
        };
    }
    if m.fieldref {
        if m.transform.is_some() {
            return Err("`fieldref` with a transformation".to_owned());
        }
        let op = match m.op {
            None => RefOp::Equals,
            Some("contains") => RefOp::Contains,
            Some("startswith") => RefOp::StartsWith,
            Some("endswith") => RefOp::EndsWith,
            Some("lt") => RefOp::Lt,
            Some("lte") => RefOp::Lte,
            Some("gt") => RefOp::Gt,
            Some("gte") => RefOp::Gte,
            // The reference skips such values rather than failing them; too odd to copy.
            _ => return Err("`fieldref` with `re` or `cidr`".to_owned()),
        };
        let mut targets = Vec::new();
        for v in &raw {
            let target = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return Err("a `fieldref` value that is not a field name".to_owned()),
            };
            targets.push(slots.slot(&target));
        }
        return Ok(Test {
            slot,
            kind: TestKind::FieldRef {
                all: m.all,
                op,
                cased: m.cased,
                targets,
            },
        });
    }
    // Transformations turn each value into one or more text values.
    let mut literals = Vec::new();
    for v in &raw {
        let lit = literal(v)?;
        match (m.transform, lit) {
            (None, lit) => literals.push(lit),
            (Some(t), Literal::Text(s)) => match t {
                "base64" => literals.push(Literal::Text(matcher::base64(&s, m.utf16))),
                "base64offset" => literals.extend(
                    matcher::base64_offsets(&s, m.utf16)
                        .into_iter()
                        .map(Literal::Text),
                ),
                _ => literals.extend(
                    matcher::windash(&s)
                        .ok_or("a windash flag with a multi-byte dash")?
                        .into_iter()
                        .map(Literal::Text),
                ),
            },
            (Some(_), _) => return Err("a transformation of a value that is not text".to_owned()),
        }
    }
    let mut values = Vec::new();
    for lit in literals {
        values.push(match (m.op, lit) {
            (Some(op @ ("gt" | "gte" | "lt" | "lte")), lit) => {
                use std::cmp::Ordering::{Greater, Less};
                let (ordering, or_equal) = match op {
                    "gt" => (Greater, false),
                    "gte" => (Greater, true),
                    "lt" => (Less, false),
                    _ => (Less, true),
                };
                let scalar = match lit {
                    Literal::Number(n) => Scalar::Number(n),
                    Literal::Text(t) => Scalar::Text(t),
                    Literal::Other => Scalar::Other,
                };
                ValueTest::Order(ordering, or_equal, scalar)
            }
            (Some("re"), Literal::Text(t)) => {
                ValueTest::Regex(regex::Regex::new(&t).map_err(|e| e.to_string())?)
            }
            (Some("cidr"), Literal::Text(t)) => {
                ValueTest::Cidr(t.parse().map_err(|e| format!("cidr `{t}`: {e}"))?)
            }
            (Some("re" | "cidr"), _) => return Err("a pattern that is not text".to_owned()),
            (op, Literal::Text(t)) => {
                let mut p = matcher::pieces(&t, !m.cased);
                match op {
                    Some("contains") => {
                        if p.first() != Some(&Piece::Star) {
                            p.insert(0, Piece::Star);
                        }
                        if p.last() != Some(&Piece::Star) {
                            p.push(Piece::Star);
                        }
                    }
                    Some("startswith") if p.last() != Some(&Piece::Star) => {
                        p.push(Piece::Star);
                    }
                    Some("endswith") if p.first() != Some(&Piece::Star) => {
                        p.insert(0, Piece::Star);
                    }
                    _ => {}
                }
                ValueTest::Text {
                    shape: Shape::of(p),
                    folded: !m.cased,
                }
            }
            (Some(_), _) => return Err("a string modifier on a value that is not text".to_owned()),
            (None, Literal::Number(_)) => {
                return Err("a float compared as a plain value".to_owned());
            }
            (None, Literal::Other) => ValueTest::Never,
        });
    }
    // A transformation can leave no value (`base64offset` of an empty text): the reference then
    // holds for any row that has the field.
    let all = m.all || values.is_empty();
    Ok(Test {
        slot,
        kind: TestKind::Values { all, values },
    })
}

fn compile_alternative(map: &Mapping, slots: &mut dyn Slots) -> Result<Vec<Test>, String> {
    let mut tests = Vec::new();
    for (k, v) in map {
        let key = k.as_str().ok_or("a field name that is not text")?;
        tests.push(compile_test(key, v, slots)?);
    }
    Ok(tests)
}

fn compile_selection(value: &Value, slots: &mut dyn Slots) -> Result<Selection, String> {
    let alternatives = match value {
        Value::Mapping(m) => vec![compile_alternative(m, slots)?],
        Value::Sequence(items) if !items.is_empty() => items
            .iter()
            .map(|i| match i {
                Value::Mapping(m) => compile_alternative(m, slots),
                _ => Err("a keyword list left after the rewrite".to_owned()),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err("a selection that is neither a map nor a list of maps".to_owned()),
    };
    Ok(Selection { alternatives })
}

/// Compiles a rewritten `detection` section.
pub(crate) fn compile(detection: &Mapping, slots: &mut dyn Slots) -> Result<Plan, String> {
    let condition = detection
        .get("condition")
        .and_then(Value::as_str)
        .ok_or("no condition")?;
    let mut names = Vec::new();
    let mut selections = Vec::new();
    for (k, v) in detection {
        let name = k.as_str().ok_or("a selection name that is not text")?;
        if name == "condition" {
            continue;
        }
        selections.push(compile_selection(v, slots)?);
        names.push(name.to_owned());
    }
    let condition = parse_condition(condition, &names)?;
    Ok(Plan {
        condition,
        selections,
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    Not,
    /// `1 of X` / `all of X`: (all, pattern; `them` is `*`).
    Quantified(bool, String),
    Name(String),
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if c == '(' || c == ')' || c.is_ascii_whitespace() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            if c == '(' || c == ')' {
                words.push(c.to_string());
            }
        } else {
            word.push(c);
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i].as_str();
        let lower = w.to_ascii_lowercase();
        let is_of = words
            .get(i + 1)
            .is_some_and(|n| n.eq_ignore_ascii_case("of"));
        match lower.as_str() {
            "(" => out.push(Token::Open),
            ")" => out.push(Token::Close),
            "and" => out.push(Token::And),
            "or" => out.push(Token::Or),
            "not" => out.push(Token::Not),
            "1" | "all" if is_of => {
                let target = words.get(i + 2).ok_or("`of` without a target")?;
                let pattern = if target.eq_ignore_ascii_case("them") {
                    "*".to_owned()
                } else {
                    target.clone()
                };
                out.push(Token::Quantified(lower == "all", pattern));
                i += 2;
            }
            _ => out.push(Token::Name(w.to_owned())),
        }
        i += 1;
    }
    Ok(out)
}

struct Parser<'a> {
    tokens: Vec<Token>,
    at: usize,
    names: &'a [String],
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn or(&mut self) -> Result<Cond, String> {
        let mut parts = vec![self.and()?];
        while self.peek() == Some(&Token::Or) {
            self.at += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Cond::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Cond, String> {
        let mut parts = vec![self.unary()?];
        while self.peek() == Some(&Token::And) {
            self.at += 1;
            parts.push(self.unary()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Cond::And(parts)
        })
    }

    fn unary(&mut self) -> Result<Cond, String> {
        let token = self.peek().cloned().ok_or("condition ends early")?;
        self.at += 1;
        match token {
            Token::Not => Ok(Cond::Not(Box::new(self.unary()?))),
            Token::Open => {
                let inner = self.or()?;
                if self.peek() != Some(&Token::Close) {
                    return Err("missing `)`".to_owned());
                }
                self.at += 1;
                Ok(inner)
            }
            Token::Quantified(all, pattern) => {
                let glob = Shape::of(
                    pattern
                        .split('*')
                        .enumerate()
                        .flat_map(|(i, part)| {
                            let star = (i > 0).then_some(Piece::Star);
                            let text = (!part.is_empty()).then(|| Piece::Text(part.to_owned()));
                            star.into_iter().chain(text)
                        })
                        .collect(),
                );
                let chosen: Vec<Cond> = self
                    .names
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| glob.matches(n))
                    .map(|(i, _)| Cond::Selection(i))
                    .collect();
                Ok(match (all, chosen.is_empty()) {
                    (true, true) => Cond::Const(true),
                    (false, true) => Cond::Const(false),
                    (true, false) => Cond::And(chosen),
                    (false, false) => Cond::Or(chosen),
                })
            }
            Token::Name(n) => self
                .names
                .iter()
                .position(|x| *x == n)
                .map(Cond::Selection)
                .ok_or_else(|| format!("unknown selection `{n}`")),
            other => Err(format!("unexpected `{other:?}`")),
        }
    }
}

fn parse_condition(text: &str, names: &[String]) -> Result<Cond, String> {
    let mut p = Parser {
        tokens: tokens(text)?,
        at: 0,
        names,
    };
    let cond = p.or()?;
    if p.at != p.tokens.len() {
        return Err(format!("unexpected text after the condition in `{text}`"));
    }
    Ok(cond)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(text: &str) -> Result<Cond, String> {
        let names: Vec<String> = ["sel", "sel_a", "sel_b", "filter"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        parse_condition(text, &names)
    }

    #[test]
    fn conditions_parse_with_precedence() {
        use Cond::*;
        assert_eq!(
            cond("sel and not filter or sel_a"),
            Ok(Or(vec![
                And(vec![Selection(0), Not(Box::new(Selection(3)))]),
                Selection(1)
            ]))
        );
        assert_eq!(
            cond("1 of sel_* and not (filter)"),
            Ok(And(vec![
                Or(vec![Selection(1), Selection(2)]),
                Not(Box::new(Selection(3)))
            ]))
        );
        assert_eq!(
            cond("all of them")
                .ok()
                .map(|c| matches!(c, And(v) if v.len() == 4)),
            Some(true)
        );
        assert_eq!(cond("all of nothing*"), Ok(Const(true)));
        assert_eq!(cond("1 of nothing*"), Ok(Const(false)));
        assert!(cond("sel and").is_err());
        assert!(cond("unknown").is_err());
        assert!(cond("(sel").is_err());
    }
}
