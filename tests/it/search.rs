//! Alert search and triage on real files: the sample logs are ingested (real Parquet, real
//! alert log, real Tantivy index on disk), then searched, triaged and cross-checked with SQL.
//! Expected results are computed from the alerts themselves (their evidence and times), not
//! written down, so the tests follow the samples and the rule pack.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::Path;

use serde_json::Value;

use crate::{canhgac, canhgac_with_env, ok, sample, sql_csv};

/// A data directory with sample logs ingested.
struct Data {
    _dir: tempfile::TempDir,
    path: String,
}

fn ingest_samples(files: &[&str]) -> Data {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().to_string_lossy().into_owned();
    let files: Vec<String> = files
        .iter()
        .map(|f| sample(f).to_string_lossy().into_owned())
        .collect();
    let mut args = vec!["ingest", "--data-dir", &path, "--year", "2026"];
    args.extend(files.iter().map(String::as_str));
    ok(&args);
    Data { _dir: dir, path }
}

fn all_samples() -> Data {
    ingest_samples(&[
        "linux/auth.log",
        "firewall/fortigate.log",
        "firewall/cisco-asa.log",
        "firewall/iptables.log",
    ])
}

/// Alerts a query finds in a data directory, as JSON, newest first.
fn search_in(data: &str, query: &str) -> Vec<Value> {
    ok(&[
        "search",
        "--data-dir",
        data,
        "--json",
        "--limit",
        "100000",
        query,
    ])
    .lines()
    .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
    .collect()
}

fn search(data: &Data, query: &str) -> Vec<Value> {
    search_in(&data.path, query)
}

fn ids(alerts: &[Value]) -> BTreeSet<String> {
    alerts.iter().map(|a| text(a, "id")).collect()
}

fn text(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_owned()
}

/// The source addresses an alert is about: its group-by value and its evidence.
fn source_addresses(a: &Value) -> Vec<IpAddr> {
    let mut out: Vec<IpAddr> = a["evidence"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["src_ip"].as_str()?.parse().ok())
        .collect();
    out.extend(
        a["group_by"]["src_ip"]
            .as_str()
            .and_then(|s| s.parse::<IpAddr>().ok()),
    );
    out
}

fn in_block(ip: IpAddr, net: [u8; 4], bits: u32) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let mask = u32::MAX << (32 - bits);
            u32::from(v4) & mask == u32::from_be_bytes(net) & mask
        }
        IpAddr::V6(_) => false,
    }
}

fn ids_where(alerts: &[Value], keep: impl Fn(&Value) -> bool) -> BTreeSet<String> {
    alerts
        .iter()
        .filter(|a| keep(a))
        .map(|a| text(a, "id"))
        .collect()
}

#[test]
fn search_by_rule_address_block_phrase_and_time() {
    let data = all_samples();
    let every = search(&data, "");
    assert!(
        every.len() > 20,
        "the samples raise alerts: {}",
        every.len()
    );
    let sql_count = sql_csv(&data.path, "SELECT count(*) FROM alerts");
    assert_eq!(
        sql_count.lines().nth(1),
        Some(every.len().to_string().as_str())
    );
    assert_eq!(ids(&every).len(), every.len(), "each alert once");
    let times: Vec<String> = every.iter().map(|a| text(a, "first_ts")).collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "sorted by time, newest first"
    );

    // By rule, with the title's words or the rule id.
    let brute: Vec<&Value> = every
        .iter()
        .filter(|a| text(a, "title") == "SSH brute force from one source")
        .collect();
    assert!(!brute.is_empty());
    let by_title = search(&data, "rule:\"SSH brute force\"");
    assert_eq!(
        ids(&by_title),
        brute.iter().map(|a| text(a, "id")).collect()
    );
    let by_id = search(&data, &format!("rule_id:{}", text(brute[0], "rule_id")));
    assert_eq!(ids(&by_id), ids(&by_title));

    // By address block: the /16 of one attacker finds exactly the alerts with a source there.
    let attacker = source_addresses(brute[0])
        .into_iter()
        .find(IpAddr::is_ipv4)
        .unwrap_or_else(|| panic!("an IPv4 brute-force source"));
    let IpAddr::V4(v4) = attacker else {
        unreachable!("filtered to IPv4")
    };
    let [a, b, _, _] = v4.octets();
    let expected = ids_where(&every, |x| {
        source_addresses(x)
            .into_iter()
            .any(|ip| in_block(ip, [a, b, 0, 0], 16))
    });
    let found = ids(&search(&data, &format!("src_ip:\"{a}.{b}.0.0/16\"")));
    assert_eq!(found, expected);
    assert!(!found.is_empty() && found.len() < every.len());
    // All of IPv4 is every alert with an IPv4 source; an IPv6 block finds the IPv6 attacker.
    let wide = ids(&search(&data, "src_ip:0.0.0.0/0"));
    assert_eq!(
        wide,
        ids_where(&every, |x| source_addresses(x).iter().any(IpAddr::is_ipv4))
    );
    let from_v6 = ids_where(&every, |x| {
        source_addresses(x)
            .iter()
            .any(|ip| ip.to_string().starts_with("2a0d:5600:"))
    });
    assert!(!from_v6.is_empty(), "the samples have an IPv6 attacker");
    assert_eq!(ids(&search(&data, "src_ip:\"2a0d:5600::/32\"")), from_v6);
    // `ip:` is either address; combined with a level.
    let high_there = ids(&search(&data, &format!("level:high AND ip:{a}.{b}.0.0/16")));
    let expected_high = ids_where(&every, |x| {
        text(x, "level") == "high" && expected.contains(&text(x, "id"))
    });
    assert!(expected_high.is_subset(&high_there));

    // By a phrase of the raw log line.
    let phrase = "Failed password for invalid user";
    let expected = ids_where(&every, |x| {
        x["evidence"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|e| e["raw"].as_str().unwrap_or("").contains(phrase))
    });
    assert!(!expected.is_empty());
    assert_eq!(
        ids(&search(&data, &format!("evidence:\"{phrase}\""))),
        expected
    );
    // Case does not matter; word order does.
    assert_eq!(
        ids(&search(
            &data,
            "evidence:\"FAILED PASSWORD FOR INVALID USER\""
        )),
        expected
    );
    assert!(search(&data, "evidence:\"user invalid for\"").is_empty());

    // By time: a day (the samples' alerts fall within hours of one day), a day without any,
    // and a range ending at a time without a zone (read in --tz, UTC here), with a level.
    let day = times[0][..10].to_owned();
    let on_day = ids_where(&every, |x| text(x, "first_ts").starts_with(&day));
    assert!(!on_day.is_empty());
    assert_eq!(ids(&search(&data, &format!("ts:{day}"))), on_day);
    assert!(search(&data, "ts:2026-11-03").is_empty());
    let middle = times[times.len() / 2][..16].to_owned();
    let until = ids_where(&every, |x| text(x, "first_ts")[..16] <= *middle.as_str());
    assert!(!until.is_empty() && until.len() < every.len());
    assert_eq!(
        ids(&search(
            &data,
            &format!("ts:[2000-01-01 TO {middle}:59.999999]")
        )),
        until
    );
    let high_until = ids_where(&every, |x| {
        text(x, "first_ts")[..16] <= *middle.as_str()
            && matches!(text(x, "level").as_str(), "high" | "critical")
    });
    assert!(!high_until.is_empty());
    assert_eq!(
        ids(&search(
            &data,
            &format!("ts:[* TO {middle}:59.999999] AND level:>=high")
        )),
        high_until
    );
    // The samples are from November 2026 (`--year 2026`): nothing is from the last hour.
    assert!(search(&data, "last 1h").is_empty());
}

#[test]
fn facets_count_the_result_set() {
    let data = ingest_samples(&["linux/auth.log", "firewall/iptables.log"]);
    let out = ok(&[
        "search",
        "--data-dir",
        &data.path,
        "--json",
        "--facets",
        "--limit",
        "5",
        "",
    ]);
    let last: Value = out
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_default();
    let total = last["total"].as_u64().unwrap_or(0);
    assert!(total > 5);
    assert_eq!(out.lines().count(), 6, "five alerts and the totals");
    let levels: BTreeMap<String, u64> = last["facets"]["level"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p[0].as_str().unwrap_or("").to_owned(),
                p[1].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let csv = sql_csv(
        &data.path,
        "SELECT level, count(*) FROM alerts GROUP BY level ORDER BY level",
    );
    let from_sql: BTreeMap<String, u64> = csv
        .lines()
        .skip(1)
        .filter_map(|l| {
            let (level, n) = l.split_once(',')?;
            Some((level.to_owned(), n.parse().ok()?))
        })
        .collect();
    assert_eq!(levels, from_sql);
    assert_eq!(levels.values().sum::<u64>(), total);
    // The table shows the same total and the facets.
    let table = ok(&[
        "search",
        "--data-dir",
        &data.path,
        "--facets",
        "--limit",
        "3",
        "level:high",
    ]);
    let high = levels.get("high").copied().unwrap_or(0);
    assert!(
        table.contains(&format!("{high} alert(s) match; showing 1-3")),
        "{table}"
    );
    assert!(table.contains("by level: high"), "{table}");
}

#[test]
fn triage_changes_status_keeps_an_audit_trail_and_agrees_with_sql() {
    let data = all_samples();
    let every = search(&data, "");
    let id = text(&every[0], "id");
    let set = |args: &[&str]| {
        let mut all = vec!["alert", "set", "--data-dir", &data.path];
        all.extend_from_slice(args);
        canhgac(&all, None)
    };
    assert!(
        set(&["--status", "acknowledged", "--by", "lan", &id])
            .status
            .success()
    );
    assert!(
        set(&[
            "--status",
            "investigating",
            "--assignee",
            "minh",
            "--by",
            "lan",
            &id
        ])
        .status
        .success()
    );
    // Not allowed: back to acknowledged, closing without a resolution, an unknown id.
    let back = set(&["--status", "acknowledged", "--by", "lan", &id]);
    assert!(!back.status.success());
    assert!(String::from_utf8_lossy(&back.stderr).contains("cannot go back"));
    let no_resolution = set(&["--status", "closed", "--by", "minh", &id]);
    assert!(!no_resolution.status.success());
    assert!(String::from_utf8_lossy(&no_resolution.stderr).contains("resolution"));
    let unknown = set(&[
        "--status",
        "closed",
        "--resolution",
        "benign",
        "--by",
        "x",
        "0000",
    ]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no alert with id 0000"));
    assert!(
        set(&[
            "--status",
            "closed",
            "--resolution",
            "true_positive",
            "--comment",
            "blocked at the edge",
            "--by",
            "minh",
            &id
        ])
        .status
        .success()
    );

    // Search by status sees the change, and so does SQL.
    assert_eq!(
        ids(&search(&data, "status:closed")),
        BTreeSet::from([id.clone()])
    );
    assert_eq!(
        ids(&search(&data, "assignee:minh AND resolution:true_positive")),
        BTreeSet::from([id.clone()])
    );
    let csv = sql_csv(
        &data.path,
        &format!("SELECT status, resolution, assignee FROM alerts WHERE id = '{id}'"),
    );
    assert_eq!(csv.lines().nth(1), Some("closed,true_positive,minh"));

    // The audit trail lists every change, in order.
    let history: Vec<Value> = ok(&["alert", "history", "--data-dir", &data.path, "--json", &id])
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let steps: Vec<(String, String, String)> = history
        .iter()
        .map(|h| (text(h, "from"), text(h, "to"), text(h, "who")))
        .collect();
    let expected_steps: Vec<(String, String, String)> = [
        ("new", "acknowledged", "lan"),
        ("acknowledged", "investigating", "lan"),
        ("investigating", "closed", "minh"),
    ]
    .iter()
    .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
    .collect();
    assert_eq!(steps, expected_steps);
    assert_eq!(text(&history[2], "comment"), "blocked at the edge");
    assert_eq!(text(&history[1], "assignee_to"), "minh");
    let shown = ok(&["alert", "show", "--data-dir", &data.path, &id]);
    assert!(
        shown.contains("closed (true_positive)") && shown.contains("blocked at the edge"),
        "{shown}"
    );

    // Bulk: close every alert of one rule as benign; the one closed with another verdict is
    // left as it is (changing a verdict needs a comment).
    let rule = text(&every[0], "title");
    let query = format!("rule:\"{rule}\"");
    let of_rule = ids(&search(&data, &query));
    assert!(of_rule.len() > 1);
    let bulk = set(&[
        "--query",
        &query,
        "--status",
        "closed",
        "--resolution",
        "benign",
        "--by",
        "lan",
    ]);
    assert!(
        bulk.status.success(),
        "{}",
        String::from_utf8_lossy(&bulk.stderr)
    );
    let stdout = String::from_utf8_lossy(&bulk.stdout);
    assert!(
        stdout.contains(&format!("changed {} alert(s); 1 left", of_rule.len() - 1)),
        "{stdout}"
    );
    assert_eq!(ids(&search(&data, "status:closed")), of_rule);
    assert_eq!(
        ids(&search(&data, "resolution:benign")).len(),
        of_rule.len() - 1
    );

    // SQL and search agree on every alert's latest status.
    let status_pairs = |alerts: &[Value]| -> BTreeSet<(String, String)> {
        alerts
            .iter()
            .map(|a| (text(a, "id"), text(a, "status")))
            .collect()
    };
    let from_search = status_pairs(&search(&data, ""));
    let csv = sql_csv(&data.path, "SELECT id, status FROM alerts");
    let from_sql: BTreeSet<(String, String)> = csv
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(',').map(|(a, b)| (a.to_owned(), b.to_owned())))
        .collect();
    assert_eq!(from_search, from_sql);

    // A rebuild from the alert log and the audit trail gives the same index.
    ok(&["index", "rebuild", "--data-dir", &data.path]);
    assert_eq!(status_pairs(&search(&data, "")), from_search);
}

#[test]
fn bad_queries_say_what_is_wrong() {
    let data = ingest_samples(&["linux/auth.log"]);
    let fails = |query: &str, needle: &str| {
        let out = canhgac(&["search", "--data-dir", &data.path, query], None);
        assert!(!out.status.success(), "{query} should fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with("canhgac: ") && err.contains(needle),
            "{query}: {err}"
        );
    };
    fails("level:high AND (src_ip:10.0.0.1", "column");
    fails("nosuchfield:x", "unknown field");
    fails("src_ip:10.0.0.0/33", "CIDR");
    fails("src_ip:not-an-address", "IP address");
    fails("ts:[2026-13-01 TO *]", "bad time");
    fails("level:severe", "unknown level");
    fails("count:many", "whole number");
}

#[test]
fn vietnamese_evidence_is_found_with_and_without_marks() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().to_string_lossy().into_owned();
    let rule = Path::new(&data).join("vi.yml");
    std::fs::write(
        &rule,
        "title: Đăng nhập thất bại vào cổng dịch vụ công\nid: 0b7e5a52-2f8e-4b0e-9f55-0c6b0d9b1a01\nstatus: test\nlevel: medium\nlogsource:\n  product: linux\n  service: auth\ndetection:\n  keywords:\n    - 'thất bại'\n  condition: keywords\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let log = Path::new(&data).join("portal.log");
    std::fs::write(
        &log,
        "<86>Nov 20 08:00:00 dvc-portal01 sshd[41]: Đăng nhập thất bại cho tài khoản nguyễn.văn.a từ 203.113.7.9\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let rule_arg = rule.to_string_lossy().into_owned();
    let log_arg = log.to_string_lossy().into_owned();
    ok(&[
        "ingest",
        "--data-dir",
        &data,
        "--year",
        "2026",
        "--rules",
        &rule_arg,
        &log_arg,
    ]);
    let count = |query: &str| search_in(&data, query).len();
    assert_eq!(count(""), 1);
    assert_eq!(count("evidence:\"đăng nhập thất bại\""), 1);
    assert_eq!(count("evidence:\"dang nhap that bai\""), 1);
    // The same words typed with combining marks (as some tools send them).
    assert_eq!(
        count("evidence:\"\u{110}a\u{306}ng nha\u{302}\u{323}p\""),
        1
    );
    assert_eq!(count("nguyen"), 1);
    assert_eq!(count("rule:\"cong dich vu cong\""), 1);
    assert_eq!(count("rule:\"cổng dịch vụ\""), 1);
    assert_eq!(count("evidence:\"that bai\" AND host:dvc-portal01"), 1);
    assert_eq!(count("evidence:\"that bai dang\""), 0);
}

/// Lines of the alert log, and ids the index finds (a search opens the index, which catches up).
fn log_and_index(data: &str) -> (usize, Vec<String>) {
    let log =
        std::fs::read_to_string(Path::new(data).join("alerts/alerts.jsonl")).unwrap_or_default();
    let found = search_in(data, "").iter().map(|v| text(v, "id")).collect();
    (log.lines().count(), found)
}

#[test]
fn a_crash_between_alert_log_and_index_loses_nothing_and_duplicates_nothing() {
    let auth = sample("linux/auth.log").to_string_lossy().into_owned();
    let iptables = sample("firewall/iptables.log")
        .to_string_lossy()
        .into_owned();
    for point in ["after-alert-append", "index-before-commit"] {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let data = dir.path().to_string_lossy().into_owned();
        // A first run that completes, so the index already holds alerts when the crash comes.
        ok(&["ingest", "--data-dir", &data, "--year", "2026", &iptables]);
        let (before, indexed_before) = log_and_index(&data);
        assert!(before > 0);
        assert_eq!(indexed_before.len(), before);
        let crashed = canhgac_with_env(
            &["ingest", "--data-dir", &data, "--year", "2026", &auth],
            None,
            &[("CANHGAC_FAILPOINT", point)],
        );
        assert!(!crashed.status.success(), "{point}: the process must die");
        assert!(String::from_utf8_lossy(&crashed.stderr).contains(point));
        let log_lines = std::fs::read_to_string(Path::new(&data).join("alerts/alerts.jsonl"))
            .unwrap_or_default()
            .lines()
            .count();
        assert!(
            log_lines > before,
            "{point}: the crashed run appended alerts"
        );
        // The next start (here, a search) indexes the missing alerts, once.
        let (lines, found) = log_and_index(&data);
        assert_eq!(
            found.len(),
            lines,
            "{point}: every alert of the log is indexed"
        );
        assert_eq!(
            found.iter().collect::<BTreeSet<_>>().len(),
            lines,
            "{point}: once each"
        );
        let (_, again) = log_and_index(&data);
        assert_eq!(again.len(), lines, "{point}: and nothing more next time");
    }
}

#[test]
fn a_crash_after_a_triage_change_keeps_the_change_once() {
    let data = ingest_samples(&["firewall/iptables.log"]);
    let id = text(&search(&data, "")[0], "id");
    let crashed = canhgac_with_env(
        &[
            "alert",
            "set",
            "--data-dir",
            &data.path,
            "--status",
            "acknowledged",
            "--by",
            "lan",
            &id,
        ],
        None,
        &[("CANHGAC_FAILPOINT", "after-audit-append")],
    );
    assert!(!crashed.status.success());
    assert_eq!(
        ids(&search(&data, "status:acknowledged")),
        BTreeSet::from([id.clone()])
    );
    let history = ok(&["alert", "history", "--data-dir", &data.path, "--json", &id]);
    assert_eq!(history.lines().count(), 1);
}

#[test]
fn log_text_cannot_drive_the_terminal() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().to_string_lossy().into_owned();
    let log = Path::new(&data).join("evil.log");
    // A refused sudo raises an alert by itself; the command line carries terminal escapes.
    std::fs::write(
        &log,
        "<85>Nov 20 08:00:00 web01 sudo: mallory : user NOT in sudoers ; TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/bin/echo \u{1b}[2J\u{1b}]0;owned\u{7}\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let log_arg = log.to_string_lossy().into_owned();
    ok(&["ingest", "--data-dir", &data, "--year", "2026", &log_arg]);
    let found = search_in(&data, "mallory");
    assert_eq!(found.len(), 1, "the refused sudo raised an alert");
    let id = text(&found[0], "id");
    let shown = ok(&["alert", "show", "--data-dir", &data, &id]);
    assert!(
        !shown.contains('\u{1b}') && !shown.contains('\u{7}'),
        "{shown:?}"
    );
    assert!(shown.contains("\\u{1b}[2J"), "{shown}");
    let table = ok(&["search", "--data-dir", &data, "owned"]);
    assert!(table.contains(&id) && !table.contains('\u{1b}'), "{table}");
}
