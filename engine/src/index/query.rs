//! The alert query language: Tantivy's query syntax over our fields, with what analysts type
//! that Tantivy alone does not understand, rewritten before the query is built:
//!
//! - `src_ip:10.0.0.0/8` or `dst_ip:"2001:db8::/32"`: a CIDR block becomes an address range;
//!   `ip:` means either address.
//! - `ts:[2026-10-01 TO 2026-10-31]`, `ts:2026-10-05`, `ts:>=2026-10`, `ts:>now-7d`: dates and
//!   months without a time, `now` and `now-N<unit>`; a bare date as an upper bound includes its
//!   whole day. Times without a zone are in the zone the caller gives (the analyst's).
//! - `last 24h` (also `last 30m`, `last 7d`, `last 2w`) anywhere: alerts of that recent period.
//! - `level:>=high`: a level or above.
//!
//! Words without a field search the rule title, the evidence text, host, user and the ids and
//! tags; several words must all match (AND), as in a web search. A query that cannot be parsed is
//! an error that shows where.

use std::net::IpAddr;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use tantivy::Index;
use tantivy::query::{Query, QueryParser};
use tantivy::query_grammar::{
    Occur, UserInputAst, UserInputBound, UserInputLeaf, UserInputLiteral, parse_query,
    parse_query_lenient,
};

use super::schema::{Fields, default_fields};
use crate::error::{Error, Result};

/// What a query is interpreted against.
#[derive(Debug, Clone, Copy)]
pub struct QueryContext {
    /// "Now", for relative times (microseconds since the epoch).
    pub now_micros: i64,
    /// The zone of dates and times written without one.
    pub zone: FixedOffset,
}

impl QueryContext {
    /// Now, in UTC.
    pub fn utc_now() -> QueryContext {
        QueryContext {
            now_micros: Utc::now().timestamp_micros(),
            zone: Utc.fix(),
        }
    }
}

/// Levels in order; `level_rank` holds the position.
pub(crate) const LEVELS: [&str; 5] = ["informational", "low", "medium", "high", "critical"];

/// The rank of a level (unknown levels rank lowest).
pub(crate) fn level_rank(level: &str) -> u64 {
    LEVELS
        .iter()
        .position(|l| l.eq_ignore_ascii_case(level))
        .unwrap_or(0) as u64
}

/// Parses `text` into a Tantivy query over the alert index.
pub(crate) fn parse(
    index: &Index,
    fields: &Fields,
    text: &str,
    ctx: &QueryContext,
) -> Result<Box<dyn Query>> {
    let text = expand_last(text, ctx);
    if text.trim().is_empty() {
        return Ok(Box::new(tantivy::query::AllQuery));
    }
    let ast = match parse_query(&text) {
        Ok(ast) => ast,
        Err(_) => return Err(syntax_error(&text)),
    };
    let ast = rewrite(ast, ctx)?;
    let mut parser = QueryParser::for_index(index, default_fields(fields));
    parser.set_conjunction_by_default();
    parser
        .build_query_from_user_input_ast(ast)
        .map_err(|e| Error::Query(explain(e)))
}

/// The error of a query that does not parse, pointing at the first problem.
fn syntax_error(text: &str) -> Error {
    let (_, errors) = parse_query_lenient(text);
    let Some(first) = errors.first() else {
        return Error::Query(format!("cannot parse query {text:?}"));
    };
    let column = text
        .char_indices()
        .take_while(|(i, _)| *i < first.pos)
        .count();
    Error::Query(format!(
        "bad query at column {}: {}\n  {}\n  {}^",
        column + 1,
        first.message,
        text,
        " ".repeat(column)
    ))
}

fn explain(e: tantivy::query::QueryParserError) -> String {
    use tantivy::query::QueryParserError as E;
    match e {
        E::FieldDoesNotExist(field) => format!(
            "unknown field {field:?}; fields are: id, ts, last_ts, rule, rule_id, level, tactic, \
             technique, tag, host, user, src_ip, dst_ip, ip, src_port, dst_port, source_type, \
             group, count, status, resolution, assignee, evidence"
        ),
        E::ExpectedInt(_) => "expected a whole number".to_owned(),
        E::DateFormatError(_) => {
            "expected a time like 2026-10-05, 2026-10-05T08:30 or now-24h".to_owned()
        }
        E::IpFormatError(e) => format!("expected an IP address or CIDR block: {e}"),
        other => other.to_string(),
    }
}

/// `last 24h` becomes `ts:>=<24 hours ago>`.
fn expand_last(text: &str, ctx: &QueryContext) -> String {
    let mut out = String::with_capacity(text.len());
    let words: Vec<&str> = text.split(' ').collect();
    let mut i = 0;
    while i < words.len() {
        if words[i].eq_ignore_ascii_case("last")
            && let Some(next) = words.get(i + 1)
            && let Some(span) = relative_span(next)
        {
            let since = ctx.now_micros - span.num_microseconds().unwrap_or(i64::MAX);
            out.push_str("ts:>=");
            out.push_str(&rfc3339(since));
            i += 2;
        } else {
            out.push_str(words[i]);
            i += 1;
        }
        if i < words.len() {
            out.push(' ');
        }
    }
    out
}

/// `24h`, `30m`, `7d`, `2w`, `90s`.
fn relative_span(text: &str) -> Option<Duration> {
    let unit = text.chars().last()?;
    let n: i64 = text[..text.len() - unit.len_utf8()].parse().ok()?;
    let seconds = match unit.to_ascii_lowercase() {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return None,
    };
    Duration::try_seconds(n.checked_mul(seconds)?)
}

fn rfc3339(micros: i64) -> String {
    DateTime::from_timestamp_micros(micros)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

fn rewrite(ast: UserInputAst, ctx: &QueryContext) -> Result<UserInputAst> {
    Ok(match ast {
        UserInputAst::Clause(clauses) => UserInputAst::Clause(
            clauses
                .into_iter()
                .map(|(occur, sub)| Ok((occur, rewrite(sub, ctx)?)))
                .collect::<Result<_>>()?,
        ),
        UserInputAst::Boost(sub, boost) => {
            UserInputAst::Boost(Box::new(rewrite(*sub, ctx)?), boost)
        }
        UserInputAst::Leaf(leaf) => rewrite_leaf(*leaf, ctx)?,
    })
}

fn leaf(l: UserInputLeaf) -> UserInputAst {
    UserInputAst::Leaf(Box::new(l))
}

fn range(field: &str, lower: UserInputBound, upper: UserInputBound) -> UserInputAst {
    leaf(UserInputLeaf::Range {
        field: Some(field.to_owned()),
        lower,
        upper,
    })
}

/// `ip:X` is `src_ip:X OR dst_ip:X`.
fn either_address(make: impl Fn(&str) -> UserInputAst) -> UserInputAst {
    UserInputAst::Clause(vec![
        (Some(Occur::Should), make("src_ip")),
        (Some(Occur::Should), make("dst_ip")),
    ])
}

fn rewrite_leaf(l: UserInputLeaf, ctx: &QueryContext) -> Result<UserInputAst> {
    match l {
        UserInputLeaf::Literal(lit) => rewrite_literal(lit, ctx),
        UserInputLeaf::Range {
            field: Some(field),
            lower,
            upper,
        } => match field.as_str() {
            "ts" | "last_ts" => Ok(range(
                &field,
                time_bound(lower, false, ctx)?,
                time_bound(upper, true, ctx)?,
            )),
            "level" => Ok(range(
                "level_rank",
                level_bound(lower)?,
                level_bound(upper)?,
            )),
            "ip" => Ok(either_address(|f| range(f, lower.clone(), upper.clone()))),
            _ => Ok(range(&field, lower, upper)),
        },
        UserInputLeaf::Set {
            field: Some(field),
            elements,
        } if field == "ip" => Ok(either_address(|f| {
            leaf(UserInputLeaf::Set {
                field: Some(f.to_owned()),
                elements: elements.clone(),
            })
        })),
        other => Ok(leaf(other)),
    }
}

fn rewrite_literal(lit: UserInputLiteral, ctx: &QueryContext) -> Result<UserInputAst> {
    let Some(field) = lit.field_name.clone() else {
        return Ok(leaf(UserInputLeaf::Literal(lit)));
    };
    match field.as_str() {
        "src_ip" | "dst_ip" | "ip" => {
            let Some((lo, hi)) = address_range(&lit.phrase)? else {
                if field == "ip" {
                    return Ok(either_address(|f| {
                        let mut l = lit.clone();
                        l.field_name = Some(f.to_owned());
                        leaf(UserInputLeaf::Literal(l))
                    }));
                }
                return Ok(leaf(UserInputLeaf::Literal(lit)));
            };
            let make = |f: &str| {
                range(
                    f,
                    UserInputBound::Inclusive(lo.to_string()),
                    UserInputBound::Inclusive(hi.to_string()),
                )
            };
            Ok(if field == "ip" {
                either_address(make)
            } else {
                make(&field)
            })
        }
        "ts" | "last_ts" => {
            // A date or a month is the whole of it; a full time is that instant.
            if let Some((start, end)) = calendar_span(&lit.phrase, ctx) {
                return Ok(range(
                    &field,
                    UserInputBound::Inclusive(rfc3339(start)),
                    UserInputBound::Exclusive(rfc3339(end)),
                ));
            }
            let at = instant(&lit.phrase, ctx)?;
            Ok(range(
                &field,
                UserInputBound::Inclusive(rfc3339(at)),
                UserInputBound::Inclusive(rfc3339(at)),
            ))
        }
        "level" if !LEVELS.iter().any(|l| l.eq_ignore_ascii_case(&lit.phrase)) => {
            Err(Error::Query(format!(
                "unknown level {:?}: use informational, low, medium, high or critical",
                lit.phrase
            )))
        }
        _ => Ok(leaf(UserInputLeaf::Literal(lit))),
    }
}

/// The first and last address of a CIDR block, or `None` when `text` is not one.
fn address_range(text: &str) -> Result<Option<(IpAddr, IpAddr)>> {
    let Some((addr, bits)) = text.split_once('/') else {
        return Ok(None);
    };
    let bad = || Error::Query(format!("bad CIDR block {text:?}: expected e.g. 10.0.0.0/8"));
    let addr: IpAddr = addr.parse().map_err(|_| bad())?;
    let bits: u32 = bits.parse().map_err(|_| bad())?;
    Ok(Some(match addr {
        IpAddr::V4(a) => {
            if bits > 32 {
                return Err(bad());
            }
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            let lo = u32::from(a) & mask;
            (IpAddr::V4(lo.into()), IpAddr::V4((lo | !mask).into()))
        }
        IpAddr::V6(a) => {
            if bits > 128 {
                return Err(bad());
            }
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            let lo = u128::from(a) & mask;
            (IpAddr::V6(lo.into()), IpAddr::V6((lo | !mask).into()))
        }
    }))
}

fn level_bound(bound: UserInputBound) -> Result<UserInputBound> {
    let rank = |l: &str| {
        if l == "*" || LEVELS.iter().any(|x| x.eq_ignore_ascii_case(l)) {
            Ok(level_rank(l).to_string())
        } else {
            Err(Error::Query(format!(
                "unknown level {l:?}: use informational, low, medium, high or critical"
            )))
        }
    };
    Ok(match bound {
        UserInputBound::Inclusive(l) => UserInputBound::Inclusive(rank(&l)?),
        UserInputBound::Exclusive(l) => UserInputBound::Exclusive(rank(&l)?),
        UserInputBound::Unbounded => UserInputBound::Unbounded,
    })
}

/// A time bound; a calendar day or month given as an upper bound includes all of it.
fn time_bound(bound: UserInputBound, upper: bool, ctx: &QueryContext) -> Result<UserInputBound> {
    Ok(match bound {
        UserInputBound::Unbounded => UserInputBound::Unbounded,
        UserInputBound::Inclusive(t) | UserInputBound::Exclusive(t) if t == "*" => {
            UserInputBound::Unbounded
        }
        UserInputBound::Inclusive(t) => match calendar_span(&t, ctx) {
            Some((_, end)) if upper => UserInputBound::Exclusive(rfc3339(end)),
            Some((start, _)) => UserInputBound::Inclusive(rfc3339(start)),
            None => UserInputBound::Inclusive(rfc3339(instant(&t, ctx)?)),
        },
        UserInputBound::Exclusive(t) => match calendar_span(&t, ctx) {
            Some((start, _)) if upper => UserInputBound::Exclusive(rfc3339(start)),
            Some((_, end)) => UserInputBound::Inclusive(rfc3339(end)),
            None => UserInputBound::Exclusive(rfc3339(instant(&t, ctx)?)),
        },
    })
}

/// `2026-10-05` or `2026-10`: its start and the start of the next day or month.
fn calendar_span(text: &str, ctx: &QueryContext) -> Option<(i64, i64)> {
    let local = |d: NaiveDate| {
        ctx.zone
            .from_local_datetime(&d.and_hms_opt(0, 0, 0)?)
            .single()
            .map(|t| t.timestamp_micros())
    };
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some((local(day)?, local(day.succ_opt()?)?));
    }
    let month = NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").ok()?;
    let next = month.checked_add_months(chrono::Months::new(1))?;
    Some((local(month)?, local(next)?))
}

/// `now`, `now-24h`, an RFC 3339 time, or a local time without a zone (`2026-10-05T08:30`).
fn instant(text: &str, ctx: &QueryContext) -> Result<i64> {
    if text.eq_ignore_ascii_case("now") {
        return Ok(ctx.now_micros);
    }
    if let Some(ago) = text
        .strip_prefix("now-")
        .or_else(|| text.strip_prefix("NOW-"))
        .and_then(relative_span)
    {
        return Ok(ctx.now_micros - ago.num_microseconds().unwrap_or(i64::MAX));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp_micros());
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format)
            && let Some(t) = ctx.zone.from_local_datetime(&t).single()
        {
            return Ok(t.timestamp_micros());
        }
    }
    Err(Error::Query(format!(
        "bad time {text:?}: expected e.g. 2026-10-05, 2026-10, 2026-10-05T08:30, an RFC 3339 time, now or now-24h"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_blocks_become_address_ranges() {
        let r = address_range("10.1.2.3/8").expect("valid");
        assert_eq!(
            r,
            Some((
                "10.0.0.0".parse().expect("ip"),
                "10.255.255.255".parse().expect("ip")
            ))
        );
        let r = address_range("2001:db8::/32").expect("valid");
        assert_eq!(
            r,
            Some((
                "2001:db8::".parse().expect("ip"),
                "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"
                    .parse()
                    .expect("ip")
            ))
        );
        assert_eq!(
            address_range("0.0.0.0/0")
                .expect("valid")
                .map(|r| r.1.to_string()),
            Some("255.255.255.255".to_owned())
        );
        assert!(address_range("10.0.0.0/33").is_err());
        assert!(address_range("10.0.0/8").is_err());
        assert_eq!(address_range("10.0.0.1").expect("plain"), None);
    }

    #[test]
    fn calendar_days_and_months_are_whole_and_zoned() {
        let ctx = QueryContext {
            now_micros: 0,
            zone: FixedOffset::east_opt(7 * 3600).expect("zone"),
        };
        let (start, end) = calendar_span("2026-10-05", &ctx).expect("day");
        assert_eq!(rfc3339(start), "2026-10-04T17:00:00.000000Z");
        assert_eq!(end - start, 86_400_000_000);
        let (start, end) = calendar_span("2026-02", &ctx).expect("month");
        assert_eq!(end - start, 28 * 86_400_000_000);
        assert!(calendar_span("2026-13", &ctx).is_none());
    }

    #[test]
    fn last_is_relative_to_now() {
        let ctx = QueryContext {
            now_micros: 86_400_000_000,
            zone: FixedOffset::east_opt(0).expect("utc"),
        };
        assert_eq!(
            expand_last("level:high last 24h", &ctx),
            "level:high ts:>=1970-01-01T00:00:00.000000Z"
        );
        assert_eq!(expand_last("last login", &ctx), "last login");
    }
}
