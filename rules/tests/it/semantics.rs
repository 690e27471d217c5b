//! Where we follow the Sigma specification rather than sigma-rust (one test per deviation), and
//! correlation window semantics.

use std::path::Path;

use canhgac_rules::{Logsources, RuleSet};

use super::{detect, stamp};

fn load(text: &str) -> RuleSet {
    let mut set = RuleSet::empty(Logsources::builtin().unwrap_or_else(|e| panic!("{e}")));
    let mut failures = Vec::new();
    set.add_text(Path::new("test.yml"), text, &mut failures);
    set.finish(&mut failures);
    assert!(failures.is_empty(), "{failures:#?}");
    set
}

/// sigma-rust compares keywords with whole field values; the specification searches the text.
#[test]
fn keywords_match_inside_the_line() {
    let set = load(
        "title: pkexec\nid: k1\nlogsource: {product: linux, service: auth}\n\
         detection:\n  keywords: ['pkexec', 'XAUTHORITY contains suspicious']\n  condition: keywords\nlevel: high\n",
    );
    let lines = vec![
        "<86>Nov 26 10:00:00 h1 pkexec[4711]: an: The value for environment variable XAUTHORITY contains suspicious content".to_owned(),
        "<86>Nov 26 10:00:01 h1 sshd[1]: Accepted password for an from 10.0.0.1 port 1 ssh2".to_owned(),
    ];
    let alerts = detect(set, &lines);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert!(alerts[0].evidence[0].raw.contains("XAUTHORITY"));
}

fn failures_from(ip: &str, start: i64, gaps: &[i64]) -> Vec<String> {
    let mut t = start;
    gaps.iter()
        .map(|g| {
            t += g;
            let stamp = stamp(t);
            format!("<86>{stamp} h1 sshd[1]: Failed password for root from {ip} port 22 ssh2")
        })
        .collect()
}

const COUNT_3_IN_60S: &str = "title: f\nid: f1\nname: fail\nlogsource: {product: linux, service: sshd}\n\
     detection: {sel: {outcome: failure}, condition: sel}\n---\n\
     title: three failures\nid: c1\ncorrelation: {type: event_count, rules: [fail], group-by: [src_ip], timespan: 60s, condition: {gte: 3}}\n";

/// The window is `(t - timespan, t]`: an event exactly `timespan` after the first one no longer
/// sees it.
#[test]
fn window_edges_are_exact() {
    // 2026-11-26T10:00:00Z
    let start = 1_795_687_200;
    let inside = detect(
        load(COUNT_3_IN_60S),
        &failures_from("203.0.113.1", start, &[0, 30, 29]),
    );
    assert_eq!(inside.len(), 1);
    assert_eq!(inside[0].count, 3);
    let edge = detect(
        load(COUNT_3_IN_60S),
        &failures_from("203.0.113.1", start, &[0, 30, 30]),
    );
    assert!(
        edge.is_empty(),
        "an event exactly 60 s later must not count the first: {edge:#?}"
    );
}

/// Groups are counted apart.
#[test]
fn groups_are_separate() {
    let start = 1_795_687_200;
    let mut lines = failures_from("203.0.113.1", start, &[0, 1]);
    lines.extend(failures_from("203.0.113.2", start + 2, &[0, 1]));
    assert!(detect(load(COUNT_3_IN_60S), &lines).is_empty());
}

/// `temporal_ordered` needs the whole order, not just the first rule.
#[test]
fn temporal_ordered_enforces_the_order() {
    let rules = "title: f\nid: f1\nname: fail\nlogsource: {product: linux, service: sshd}\n\
         detection: {sel: {outcome: failure}, condition: sel}\n---\n\
         title: s\nid: s1\nname: ok\nlogsource: {product: linux, service: sshd}\n\
         detection: {sel: {event: ssh_login, outcome: success}, condition: sel}\n---\n\
         title: fail then success\nid: c2\ncorrelation: {type: temporal_ordered, rules: [fail, ok], group-by: [src_ip], timespan: 5m}\n";
    let start = 1_795_687_200;
    let ok = |t: i64| {
        format!(
            "<86>{} h1 sshd[1]: Accepted password for root from 203.0.113.9 port 22 ssh2",
            stamp(t)
        )
    };
    let fail = |t: i64| {
        format!(
            "<86>{} h1 sshd[1]: Failed password for root from 203.0.113.9 port 22 ssh2",
            stamp(t)
        )
    };
    assert!(detect(load(rules), &[ok(start), fail(start + 1)]).is_empty());
    assert_eq!(detect(load(rules), &[fail(start), ok(start + 1)]).len(), 1);
}

/// sigma-rust compares values only within one type: a YAML number never equals a port read from a
/// row, and `gt` never compares a number with text. The specification compares numbers as numbers.
#[test]
fn numbers_match_across_types() {
    let set = load(
        "title: ssh or high port\nid: n1\nlogsource: {category: firewall}\n\
         detection:\n  ssh: {dst_port: 22}\n  high: {dst_port|gt: 1024, dst_port|lt: '2000'}\n  condition: ssh or high\n",
    );
    let line = |port: u16| {
        format!(
            "<4>Nov 26 10:00:00 fw kernel: [UFW BLOCK] IN=eth0 OUT= SRC=203.0.113.5 DST=10.0.0.1 LEN=40 PROTO=TCP SPT=40000 DPT={port}"
        )
    };
    let alerts = detect(set, &[line(22), line(80), line(1500), line(3389)]);
    let ports: Vec<String> = alerts
        .iter()
        .map(|a| {
            a.evidence[0]
                .raw
                .rsplit('=')
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(ports, ["22", "1500"]);
}

fn engine(set: RuleSet) -> canhgac_rules::Engine {
    canhgac_rules::Engine::new(set, canhgac_rules::Evaluator::Compiled)
}

fn run(engine: &mut canhgac_rules::Engine, lines: &[String]) -> Vec<canhgac_rules::Alert> {
    super::batches(lines)
        .iter()
        .flat_map(|b| engine.process(b).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

/// A match that arrives out of order but within the allowed lateness counts in its window.
#[test]
fn out_of_order_within_lateness_counts() {
    let start = 1_795_687_200;
    // Times 0, 20, then 10: the last arrives 10 s late.
    let mut lines = failures_from("203.0.113.1", start, &[0, 20]);
    lines.extend(failures_from("203.0.113.1", start, &[10]));
    let alerts = run(&mut engine(load(COUNT_3_IN_60S)), &lines);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].count, 3);
}

/// Beyond the lateness a match is not placed, but counted, and the group's next alert says so.
#[test]
fn beyond_lateness_is_counted_not_lost() {
    let start = 1_795_687_200;
    let mut e = engine(load(COUNT_3_IN_60S)).with_lateness(30_000_000);
    let mut lines = failures_from("203.0.113.1", start, &[200]);
    // 190 and 180 s behind the newest match: more than 30 s late.
    lines.extend(failures_from("203.0.113.1", start, &[10, 10]));
    assert!(run(&mut e, &lines).is_empty());
    assert_eq!(e.dropped().0, 2);
    let alerts = run(&mut e, &failures_from("203.0.113.1", start + 200, &[1, 1]));
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].count, 3);
    assert_eq!(alerts[0].late_events, 2);
}

/// Group-by on several fields keeps each combination apart.
#[test]
fn group_by_several_fields() {
    let rules = "title: f\nid: f1\nname: fail\nlogsource: {product: linux, service: sshd}\n\
         detection: {sel: {outcome: failure}, condition: sel}\n---\n\
         title: per user\nid: c3\ncorrelation: {type: event_count, rules: [fail], group-by: [src_ip, user], timespan: 60s, condition: {gte: 2}}\n";
    let start = 1_795_687_200;
    let fail = |t: i64, user: &str| {
        format!(
            "<86>{} h1 sshd[1]: Failed password for {user} from 203.0.113.9 port 22 ssh2",
            stamp(t)
        )
    };
    let alerts = detect(
        load(rules),
        &[
            fail(start, "root"),
            fail(start + 1, "admin"),
            fail(start + 2, "root"),
        ],
    );
    assert_eq!(alerts.len(), 1);
    assert_eq!(
        alerts[0].group_by.get("user").map(String::as_str),
        Some("root")
    );
    assert_eq!(
        alerts[0].group_by.get("src_ip").map(String::as_str),
        Some("203.0.113.9")
    );
}

/// A restart from a checkpoint taken in the middle of a window gives the same alerts as an
/// uninterrupted run.
#[test]
fn restart_from_checkpoint_gives_the_same_alerts() {
    let start = 1_795_687_200;
    let lines = failures_from("203.0.113.1", start, &[0, 10, 10, 10, 10, 10, 10]);
    let whole = run(&mut engine(load(COUNT_3_IN_60S)), &lines);
    assert_eq!(whole.len(), 2);
    let (first, second) = lines.split_at(4);
    let mut before = engine(load(COUNT_3_IN_60S));
    let mut alerts = run(&mut before, first);
    let checkpoint = before.checkpoint();
    drop(before);
    let mut after = engine(load(COUNT_3_IN_60S));
    after.restore(&checkpoint).unwrap_or_else(|e| panic!("{e}"));
    alerts.extend(run(&mut after, second));
    let ids = |a: &[canhgac_rules::Alert]| a.iter().map(|x| x.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&alerts), ids(&whole));
    assert!(
        engine(load(COUNT_3_IN_60S)).restore("not json").is_err(),
        "a damaged checkpoint is an error, not an empty state"
    );
}

/// Suppression shows the first alert of a rule and group, counts the repeats within the window,
/// and says how many were held on the next one shown.
#[test]
fn suppression_holds_repeats_and_counts_them() {
    let rules = "title: refused sudo\nid: s1\nlogsource: {product: linux, service: sudo}\n\
         detection: {sel: {reason|contains: 'NOT in sudoers'}, condition: sel}\n";
    let start = 1_795_687_200;
    let line = |t: i64| {
        let stamp = stamp(t);
        format!(
            "<85>{stamp} h1 sudo: tranb : user NOT in sudoers ; TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/bin/bash"
        )
    };
    let lines = [
        line(start),
        line(start + 20),
        line(start + 40),
        line(start + 700),
    ];
    let mut e = engine(load(rules)).with_suppression(600_000_000);
    let alerts = run(&mut e, &lines);
    assert_eq!(alerts.len(), 2);
    assert_eq!(alerts[0].suppressed_before, 0);
    assert_eq!(alerts[1].suppressed_before, 2);
    assert_eq!(e.suppressed(), 2);
    // Off by default: every alert is shown.
    assert_eq!(run(&mut engine(load(rules)), &lines).len(), 4);
}

/// A match that arrives after later ones completes the window that ends at a later match.
#[test]
fn late_match_completes_a_later_window() {
    let start = 1_795_687_200;
    let mut lines = failures_from("203.0.113.1", start, &[10, 10]);
    lines.extend(failures_from("203.0.113.1", start, &[5]));
    let alerts = run(&mut engine(load(COUNT_3_IN_60S)), &lines);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].count, 3);
    assert_eq!(alerts[0].first_ts, "2026-11-26T10:00:05.000000Z");
    assert_eq!(alerts[0].last_ts, "2026-11-26T10:00:20.000000Z");
}

/// sigma-rust refuses the regular-expression flag modifiers of the specification (`|re|i`);
/// we turn them into inline flags.
#[test]
fn regex_flags_are_honoured() {
    let set = load(
        "title: re\nid: r1\nlogsource: {product: linux, service: sshd}\n\
         detection: {sel: {user|re|i: '^ROOT$'}, condition: sel}\n",
    );
    let lines = vec![
        "<86>Nov 26 10:00:00 h1 sshd[1]: Failed password for root from 203.0.113.9 port 22 ssh2"
            .to_owned(),
        "<86>Nov 26 10:00:01 h1 sshd[1]: Failed password for rooted from 203.0.113.9 port 22 ssh2"
            .to_owned(),
    ];
    assert_eq!(detect(set, &lines).len(), 1);
}

/// A rule's own `canhgac_suppress` holds back its repeats per group even when the engine shows
/// every alert, and the next alert shown says how many were held.
#[test]
fn a_rule_suppresses_its_own_repeats() {
    let rule = "title: f\nid: f1\ncanhgac_suppress: 10m\nlogsource: {product: linux, service: sshd}\n\
                detection: {sel: {outcome: failure}, condition: sel}\n";
    let start = 1_795_687_200;
    let mut e = engine(load(rule));
    let mut lines = failures_from("203.0.113.1", start, &[0, 60, 60]);
    lines.extend(failures_from("203.0.113.2", start, &[0]));
    // Eleven minutes later: outside the window again.
    lines.extend(failures_from("203.0.113.1", start + 120, &[540]));
    let alerts = run(&mut e, &lines);
    let from_first: Vec<u64> = alerts
        .iter()
        .filter(|a| a.evidence[0].src_ip.as_deref() == Some("203.0.113.1"))
        .map(|a| a.suppressed_before)
        .collect();
    assert_eq!(from_first, [0, 2]);
    assert_eq!(alerts.len(), 3);
    assert_eq!(e.suppressed(), 2);
    // A value that is not a duration is a load failure naming the rule.
    let mut set =
        RuleSet::empty(canhgac_rules::Logsources::builtin().unwrap_or_else(|e| panic!("{e}")));
    let mut failures = Vec::new();
    set.add_text(
        std::path::Path::new("t.yml"),
        &rule.replace("10m", "soon"),
        &mut failures,
    );
    assert_eq!(failures.len(), 1);
    assert!(
        failures[0].reason.contains("canhgac_suppress"),
        "{failures:?}"
    );
}
