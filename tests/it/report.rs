//! The monthly report: a month of known content ingested and triaged with the CLI, then every
//! figure of `report --format json` checked against values computed here another way (SQL over
//! the raw events, the alert log and what the test itself did).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Duration, TimeZone, Utc};
use serde_json::Value;

use crate::{canhgac, ok, sql_csv};

/// `canhgac report` of a month on a data directory, with more arguments.
fn report(data: &str, month: &str, more: &[&str]) -> String {
    let mut args = vec!["report", "--data-dir", data, "--month", month];
    args.extend_from_slice(more);
    ok(&args)
}

/// `(key, n)` rows of a two-column CSV answer.
fn pairs(csv: &str) -> BTreeMap<String, u64> {
    csv.lines()
        .skip(1)
        .filter_map(|l| {
            let (k, n) = l.rsplit_once(',')?;
            Some((k.trim_matches('"').to_owned(), n.trim().parse().ok()?))
        })
        .collect()
}

fn json_map(v: &Value) -> BTreeMap<String, u64> {
    v.as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, n)| Some((k.clone(), n.as_u64()?)))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_figure_of_the_month_matches_an_independent_count() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = tmp.path().join("data");
    let data_s = data.display().to_string();
    // The current month, so that triage done now falls inside it.
    let now = Utc::now();
    let month_start = Utc
        .with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
        .single()
        .unwrap_or_else(|| panic!("month start"));
    let in_month = |t: &chrono::DateTime<Utc>| *t >= month_start && *t < now;
    let stamp = |t: &chrono::DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();

    // SSH: a brute force every 7 minutes over the last 46 hours, then nothing for 30 hours
    // before the last two hours (a silence), plus unparseable lines.
    let mut auth = Vec::new();
    for i in 1..=400i64 {
        let t = now - Duration::minutes(7 * i);
        if !in_month(&t) || (i > 20 && i < 280) {
            continue;
        }
        auth.push(format!(
            "<38>1 {} web{:02} sshd {} - - Failed password for {} from 203.0.113.{} port {} ssh2",
            stamp(&t),
            i % 3,
            1000 + i,
            ["root", "admin", "oracle"][(i % 3) as usize],
            i % 5,
            40000 + i
        ));
        if i % 50 == 0 {
            auth.push(format!("\u{1}\u{2} garbage {i} that no parser understands"));
        }
    }
    // Three brute-force bursts in the last 20 minutes (an alert each; the test needs the month
    // to be at least 20 minutes old), one with many account names (password spraying too).
    for (burst, ip) in ["203.0.113.66", "203.0.113.77", "203.0.113.88"]
        .iter()
        .enumerate()
    {
        for k in 0..15i64 {
            let t = now - Duration::minutes(5 * (burst as i64 + 1)) + Duration::seconds(2 * k);
            if in_month(&t) {
                auth.push(format!(
                    "<38>1 {} db01 sshd 77 - - Failed password for user{} from {ip} port {} ssh2",
                    stamp(&t),
                    if burst == 2 { k } else { 0 },
                    20000 + k
                ));
            }
        }
    }
    // Administrators at work: privileged activity for the compliance section.
    for i in 1..=6i64 {
        let t = now - Duration::minutes(11 * i);
        if in_month(&t) {
            auth.push(format!(
                "<86>1 {} web01 sudo - - - admin : TTY=pts/{i} ; PWD=/home/admin ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx",
                stamp(&t)
            ));
        }
    }
    // A firewall denying scans every 5 minutes.
    let mut fw = Vec::new();
    for i in 1..=500i64 {
        let t = now - Duration::minutes(5 * i);
        if !in_month(&t) {
            continue;
        }
        fw.push(format!(
            "<4>1 {} gw01 kernel - - - [UFW BLOCK] IN=eth0 OUT= MAC= SRC=198.51.100.{} DST=10.0.0.{} LEN=60 PROTO=TCP SPT={} DPT={}",
            stamp(&t),
            i % 7,
            i % 4,
            30000 + i,
            [22, 23, 445, 3389][(i % 4) as usize]
        ));
    }
    // Last month, for the comparison.
    let before = month_start - Duration::hours(3);
    for i in 0..30 {
        auth.push(format!(
            "<38>1 {} web01 sshd 9 - - Failed password for root from 192.0.2.77 port {} ssh2",
            stamp(&(before + Duration::seconds(i))),
            50000 + i
        ));
    }
    let auth_file = tmp.path().join("auth.log");
    let fw_file = tmp.path().join("fw.log");
    std::fs::write(&auth_file, auth.join("\n") + "\n").unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&fw_file, fw.join("\n") + "\n").unwrap_or_else(|e| panic!("{e}"));
    ok(&[
        "ingest",
        "--data-dir",
        &data_s,
        auth_file.to_str().unwrap_or_default(),
        fw_file.to_str().unwrap_or_default(),
    ]);

    // Triage three of this month's alerts.
    let log = std::fs::read_to_string(data.join("alerts/alerts.jsonl")).unwrap_or_default();
    let alerts: Vec<Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let start_s = stamp(&month_start);
    let this_month: Vec<&Value> = alerts
        .iter()
        .filter(|a| {
            a["first_ts"]
                .as_str()
                .is_some_and(|t| t >= start_s.as_str())
        })
        .collect();
    assert!(
        this_month.len() >= 3,
        "{} alerts this month",
        this_month.len()
    );
    let id = |i: usize| this_month[i]["id"].as_str().unwrap_or_default().to_owned();
    ok(&[
        "alert",
        "set",
        "--data-dir",
        &data_s,
        &id(0),
        "--status",
        "acknowledged",
    ]);
    ok(&[
        "alert",
        "set",
        "--data-dir",
        &data_s,
        &id(1),
        "--status",
        "closed",
        "--resolution",
        "false_positive",
    ]);
    ok(&[
        "alert",
        "set",
        "--data-dir",
        &data_s,
        &id(2),
        "--status",
        "closed",
        "--resolution",
        "true_positive",
    ]);

    let month = format!("{:04}-{:02}", now.year(), now.month());
    let json = report(&data_s, &month, &["--format", "json"]);
    let r: Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    let end = r["period"]["end"].as_str().unwrap_or_default().to_owned();
    let window = format!("ts >= to_timestamp('{start_s}') AND ts < to_timestamp('{end}')");

    // Continuity, against the raw events.
    let total = pairs(&sql_csv(
        &data_s,
        &format!("SELECT 'all', count(*) FROM events WHERE {window}"),
    ));
    assert_eq!(
        r["continuity"]["events"].as_u64(),
        total.get("all").copied()
    );
    let per_day = pairs(&sql_csv(
        &data_s,
        &format!(
            "SELECT to_char(ts, '%Y-%m-%d') AS d, count(*) FROM events WHERE {window} GROUP BY d ORDER BY d"
        ),
    ));
    assert_eq!(json_map(&r["continuity"]["events_per_day"]), per_day);
    let per_source = pairs(&sql_csv(
        &data_s,
        &format!("SELECT collector, count(*) FROM events WHERE {window} GROUP BY collector"),
    ));
    let failures = pairs(&sql_csv(
        &data_s,
        &format!(
            "SELECT collector, count(*) FROM events WHERE {window} AND parse_status = 'failed' GROUP BY collector"
        ),
    ));
    assert!(!failures.is_empty(), "the garbage lines must fail to parse");
    let sources = r["continuity"]["sources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(sources.len(), per_source.len());
    for s in &sources {
        let name = s["source"].as_str().unwrap_or_default();
        assert_eq!(
            s["events"].as_u64(),
            per_source.get(name).copied(),
            "{name}"
        );
        assert_eq!(
            s["parse_failures"].as_u64(),
            Some(failures.get(name).copied().unwrap_or(0)),
            "{name}"
        );
        // Silences: runs of 24 empty hours or more after the first event, up to the end.
        let hours: BTreeSet<i64> = sql_csv(
            &data_s,
            &format!(
                "SELECT DISTINCT CAST(to_unixtime(ts) AS BIGINT) / 3600 AS h, 1 FROM events \
                 WHERE {window} AND collector = '{name}'"
            ),
        )
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next()?.parse().ok())
        .collect();
        let last =
            (chrono::DateTime::parse_from_rfc3339(&end).map_or(0, |t| t.timestamp()) - 1) / 3600;
        let mut expected = Vec::new();
        let mut prev: Option<i64> = None;
        for h in hours.iter().copied().chain(std::iter::once(last + 1)) {
            let empty_hours = prev.map_or(0, |p| h - p - 1);
            if empty_hours >= 24 {
                expected.push(empty_hours);
            }
            prev = Some(h);
        }
        let got: Vec<i64> = s["silent_gaps"]
            .as_array()
            .map(|g| g.iter().filter_map(|g| g["hours"].as_i64()).collect())
            .unwrap_or_default();
        assert_eq!(got, expected, "{name}");
    }

    // Firewall denies and the top denied sources.
    let denied = pairs(&sql_csv(
        &data_s,
        &format!(
            "SELECT 'all', count(*) FROM events WHERE {window} AND action IN ('deny','drop','reject','reset')"
        ),
    ));
    assert_eq!(r["firewall"]["denied"].as_u64(), denied.get("all").copied());
    let top = sql_csv(
        &data_s,
        &format!(
            "SELECT src_ip, count(*) AS n FROM events WHERE {window} AND action IN ('deny','drop','reject','reset') \
             GROUP BY src_ip ORDER BY n DESC, src_ip LIMIT 10"
        ),
    );
    let top: Vec<(String, u64)> = top
        .lines()
        .skip(1)
        .filter_map(|l| {
            let (k, n) = l.split_once(',')?;
            Some((k.to_owned(), n.parse().ok()?))
        })
        .collect();
    let got: Vec<(String, u64)> = r["firewall"]["top_denied_sources"]
        .as_array()
        .map(|v| {
            v.iter()
                .map(|c| {
                    (
                        c["key"].as_str().unwrap_or_default().to_owned(),
                        c["count"].as_u64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(got, top);

    // Alerts, against the alert log read here.
    let end_s = end.as_str();
    let month_alerts: Vec<&Value> = alerts
        .iter()
        .filter(|a| {
            a["first_ts"]
                .as_str()
                .is_some_and(|t| t >= start_s.as_str() && t < end_s)
        })
        .collect();
    let mut levels: BTreeMap<String, u64> = BTreeMap::new();
    let mut days: BTreeMap<String, u64> = BTreeMap::new();
    for a in &month_alerts {
        *levels
            .entry(a["level"].as_str().unwrap_or_default().to_owned())
            .or_default() += 1;
        *days
            .entry(a["first_ts"].as_str().unwrap_or_default()[..10].to_owned())
            .or_default() += 1;
    }
    assert_eq!(
        r["alerts"]["total"].as_u64(),
        Some(month_alerts.len() as u64)
    );
    assert_eq!(json_map(&r["alerts"]["by_level"]), levels);
    assert_eq!(json_map(&r["alerts"]["per_day"]), days);
    let previous = alerts.len() - this_month.len();
    assert!(previous > 0);
    assert_eq!(
        r["alerts"]["previous_month"]["total"].as_u64(),
        Some(previous as u64)
    );

    // Handling: what this test did.
    let mut status: BTreeMap<String, u64> = BTreeMap::new();
    status.insert("acknowledged".into(), 1);
    status.insert("closed".into(), 2);
    if month_alerts.len() > 3 {
        status.insert("new".into(), month_alerts.len() as u64 - 3);
    }
    assert_eq!(json_map(&r["handling"]["by_status"]), status);
    let resolutions: BTreeMap<String, u64> = [("false_positive", 1), ("true_positive", 1)]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    assert_eq!(json_map(&r["handling"]["by_resolution"]), resolutions);
    assert_eq!(
        r["handling"]["time_to_close_minutes"]["n"].as_u64(),
        Some(2)
    );
    assert_eq!(
        r["handling"]["time_to_acknowledge_minutes"]["n"].as_u64(),
        Some(3)
    );

    // Access evidence, against the raw events.
    let failed_auth = pairs(&sql_csv(
        &data_s,
        &format!("SELECT 'all', count(*) FROM events WHERE {window} AND outcome = 'failure'"),
    ));
    assert_eq!(
        r["access"]["auth_failures"].as_u64(),
        failed_auth.get("all").copied()
    );
    let privileged = pairs(&sql_csv(
        &data_s,
        &format!(
            "SELECT 'all', count(*) FROM events WHERE {window} AND source_type IN ('linux_auth', 'syslog') \
             AND app IN ('sudo','su','useradd','userdel','usermod','groupadd','groupdel','groupmod','passwd','chpasswd','gpasswd','chage')"
        ),
    ));
    assert!(privileged.get("all").is_some_and(|n| *n > 0));
    assert_eq!(
        r["access"]["privileged_events"].as_u64(),
        privileged.get("all").copied()
    );
    // Retention: from the oldest stored day to the end.
    let oldest = sql_csv(
        &data_s,
        "SELECT to_char(min(ts), '%Y-%m-%d') AS d FROM events",
    );
    let oldest = oldest
        .lines()
        .nth(1)
        .unwrap_or_default()
        .trim_matches('"')
        .to_owned();
    let end_t = chrono::DateTime::parse_from_rfc3339(&end).map_or(0, |t| t.timestamp());
    let oldest_t = chrono::NaiveDate::parse_from_str(&oldest, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(0, |t| t.and_utc().timestamp());
    assert_eq!(r["continuity"]["oldest_stored_day"], oldest.as_str());
    assert_eq!(
        r["continuity"]["retention_days"].as_i64(),
        Some((end_t - oldest_t + 86_399) / 86_400)
    );

    // Suppressed repeats and open alerts, from the alert log and the triage done above.
    let suppressed: u64 = month_alerts
        .iter()
        .filter_map(|a| a["suppressed_before"].as_u64())
        .sum();
    assert_eq!(r["alerts"]["suppressed"].as_u64(), Some(suppressed));
    let closed = [id(1), id(2)];
    let mut open_level: BTreeMap<String, u64> = BTreeMap::new();
    let mut open_age: BTreeMap<String, u64> = ["<1d", "1-7d", "7-30d", ">30d"]
        .iter()
        .map(|b| ((*b).to_owned(), 0))
        .collect();
    for a in &alerts {
        let first = a["first_ts"].as_str().unwrap_or_default();
        let id_a = a["id"].as_str().unwrap_or_default();
        if first >= end_s || closed.iter().any(|c| c == id_a) {
            continue;
        }
        *open_level
            .entry(a["level"].as_str().unwrap_or_default().to_owned())
            .or_default() += 1;
        let hour =
            chrono::DateTime::parse_from_rfc3339(first).map_or(0, |t| t.timestamp()) / 3600 * 3600;
        let bucket = match (end_t - hour) / 86_400 {
            0 => "<1d",
            1..=6 => "1-7d",
            7..=29 => "7-30d",
            _ => ">30d",
        };
        *open_age.entry(bucket.to_owned()).or_default() += 1;
    }
    assert_eq!(json_map(&r["handling"]["open_by_level"]), open_level);
    assert_eq!(json_map(&r["handling"]["open_by_age"]), open_age);

    // Detection posture: the rules `report` found enabled (the built-in pack) went into the
    // rule history now, inside this month.
    let listed = ok(&["rules", "list"]);
    let pack_rules = listed.lines().filter(|l| !l.trim().is_empty()).count() as u64;
    let p = &r["posture"];
    assert_eq!(p["rules_enabled"].as_u64(), Some(pack_rules), "{listed}");
    assert_eq!(
        p["added"].as_array().map(|a| a.len() as u64),
        Some(pack_rules)
    );
    let fired: BTreeSet<&str> = month_alerts
        .iter()
        .filter_map(|a| a["rule_id"].as_str())
        .collect();
    assert_eq!(p["rules_fired"].as_u64(), Some(fired.len() as u64));
    assert!(
        p["coverage"]
            .as_array()
            .is_some_and(|c| c.iter().any(|t| t["tactic"] == "credential-access")),
        "{p}"
    );

    // Compliance: every verdict follows from its figure and threshold; figures match the above.
    let lines = r["compliance"]["lines"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(lines.len() >= 10);
    for l in &lines {
        let value = l["value"].as_f64();
        let threshold = l["threshold"].as_str().unwrap_or_default();
        let expected = match (value, threshold.split_once(' ')) {
            (None, _) => "no_data",
            (Some(v), Some((">=", t))) => {
                if v >= t.parse::<f64>().unwrap_or(f64::MAX) {
                    "met"
                } else {
                    "not_met"
                }
            }
            (Some(v), Some(("<=", t))) => {
                if v <= t.parse::<f64>().unwrap_or(f64::MIN) {
                    "met"
                } else {
                    "not_met"
                }
            }
            (Some(v), _) => {
                if v > 0.0 {
                    "met"
                } else {
                    "no_data"
                }
            }
        };
        assert_eq!(l["verdict"], expected, "{l}");
        let figure = l["figure"].as_str().unwrap_or_default();
        let want = match figure {
            "auth_failures" => failed_auth.get("all").map(|n| *n as f64),
            "privileged_events" => privileged.get("all").map(|n| *n as f64),
            "retention_days" => Some(((end_t - oldest_t + 86_399) / 86_400) as f64),
            "rules_enabled" => Some(pack_rules as f64),
            "alerts_total" => Some(month_alerts.len() as f64),
            _ => value,
        };
        assert_eq!(value, want, "{figure}");
    }
    // Recommendations: the SSH source's silence is named, with its hours.
    for s in &sources {
        let hours: u64 = s["silent_gaps"]
            .as_array()
            .map(|g| g.iter().filter_map(|g| g["hours"].as_u64()).sum())
            .unwrap_or(0);
        let named = r["recommendations"].as_array().is_some_and(|recs| {
            recs.iter().any(|x| {
                x["advice"] == "silent_source"
                    && x["subject"] == s["source"]
                    && x["value"].as_f64() == Some(hours as f64)
            })
        });
        assert_eq!(named, hours > 0, "{}", s["source"]);
    }

    // The rollups agree with the events they summarise.
    let rolled = pairs(&sql_csv(
        &data_s,
        "SELECT 'all', sum(events) FROM event_rollup",
    ));
    let counted = pairs(&sql_csv(&data_s, "SELECT 'all', count(*) FROM events"));
    assert_eq!(rolled, counted);

    // A finished month is reproducible to the digest (a running one ends "now", so it is not).
    let sha = r["figures_sha256"].as_str().unwrap_or_default();
    assert_eq!(sha.len(), 64);
    let last = month_start - Duration::days(1);
    let last_month = format!("{:04}-{:02}", last.year(), last.month());
    let past = |_: ()| -> Value {
        serde_json::from_str(&report(&data_s, &last_month, &["--format", "json"]))
            .unwrap_or(Value::Null)
    };
    let (first, second) = (past(()), past(()));
    assert_eq!(first["alerts"]["total"].as_u64(), Some(previous as u64));
    assert_eq!(first["continuity"]["events"].as_u64(), Some(30));
    assert!(
        first["figures_sha256"]
            .as_str()
            .is_some_and(|s| s.len() == 64)
    );
    assert_eq!(first["figures_sha256"], second["figures_sha256"]);
    // A roll-up of several months (the six-monthly national report): last month and this one.
    let both: Value = serde_json::from_str(&report(
        &data_s,
        &last_month,
        &["--months", "2", "--format", "json"],
    ))
    .unwrap_or(Value::Null);
    assert_eq!(both["period"]["months"].as_u64(), Some(2));
    assert_eq!(
        both["alerts"]["total"].as_u64(),
        Some((previous + month_alerts.len()) as u64)
    );
    assert_eq!(
        both["continuity"]["events"].as_u64(),
        total.get("all").map(|n| n + 30)
    );
    assert_eq!(both["alerts"]["previous_month"]["total"].as_u64(), Some(0));
    let both_en = report(&data_s, &last_month, &["--months", "2", "--lang", "en"]);
    assert!(both_en.contains("Security monitoring report, 2 months"));
    let vi = report(&data_s, &month, &["--lang", "vi"]);
    assert!(
        vi.contains("Báo cáo giám sát an toàn thông tin") && vi.contains("SHA-256 của số liệu")
    );
    assert!(vi.contains("<svg"));
    let en = report(&data_s, &month, &["--lang", "en"]);
    assert!(en.contains("Monthly security monitoring report") && en.contains("Time to close"));
    let csv = report(&data_s, &month, &["--format", "csv"]);
    assert!(
        csv.contains(&format!("\"alerts.total\",{}", month_alerts.len())),
        "{csv}"
    );
    let bad = canhgac(
        &["report", "--data-dir", &data_s, "--month", "2026-13"],
        None,
    );
    assert!(!bad.status.success());

    // The security office's notes, from a file named in the config: paragraphs kept, markup
    // shown as text.
    let notes = tmp.path().join("notes.txt");
    std::fs::write(
        &notes,
        "Đã nâng cấp tường lửa biên.\n\nKế hoạch <b>tháng sau</b>: rà soát\nquy tắc SSH.\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let config = tmp.path().join("canhgac.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = \"{}\"\n[report]\nnotes = \"{}\"\n",
            data.display(),
            notes.display()
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let config_s = config.display().to_string();
    let with_notes: Value = serde_json::from_str(&ok(&[
        "report", "--config", &config_s, "--month", &month, "--format", "json",
    ]))
    .unwrap_or(Value::Null);
    assert_eq!(
        with_notes["notes"],
        serde_json::json!([
            "Đã nâng cấp tường lửa biên.",
            "Kế hoạch <b>tháng sau</b>: rà soát quy tắc SSH."
        ])
    );
    let page = ok(&["report", "--config", &config_s, "--month", &month]);
    assert!(
        page.contains("Kế hoạch &lt;b&gt;tháng sau&lt;/b&gt;"),
        "notes escaped"
    );

    // The PDF, read back by poppler: every Vietnamese heading with its diacritics, the key
    // figures, and every page rasterised without error.
    for (lang, headings) in [
        (
            "vi",
            [
                "Báo cáo giám sát an toàn thông tin hằng tháng",
                "1. Phạm vi",
                "2. Tính liên tục của giám sát",
                "3. Cảnh báo",
                "4. Xử lý",
                "5. Năng lực phát hiện",
                "6. Đối chiếu tuân thủ",
                "7. Khuyến nghị",
            ],
        ),
        (
            "en",
            [
                "Monthly security monitoring report",
                "1. Scope",
                "2. Monitoring continuity",
                "3. Alerts",
                "4. Handling",
                "5. Detection posture",
                "6. Compliance",
                "7. Recommendations",
            ],
        ),
    ] {
        let pdf = tmp.path().join(format!("report-{lang}.pdf"));
        let pdf_s = pdf.display().to_string();
        ok(&[
            "report",
            "--data-dir",
            &data_s,
            "--month",
            &month,
            "--lang",
            lang,
            "--format",
            "pdf",
            "--out",
            &pdf_s,
        ]);
        let text = std::process::Command::new("pdftotext")
            .args([&pdf_s, "-"])
            .output()
            .unwrap_or_else(|e| panic!("pdftotext (poppler-utils): {e}"));
        assert!(text.status.success());
        let text = String::from_utf8_lossy(&text.stdout);
        for h in headings {
            assert!(
                text.contains(h),
                "{lang}: {h:?} not in the PDF text:\n{text}"
            );
        }
        for figure in [
            r["continuity"]["events"].to_string(),
            r["alerts"]["total"].to_string(),
            r["firewall"]["denied"].to_string(),
        ] {
            assert!(
                text.contains(&figure),
                "{lang}: {figure} not in the PDF text"
            );
        }
        let pages = tmp.path().join(format!("page-{lang}"));
        let rendered = std::process::Command::new("pdftoppm")
            .args(["-r", "40", "-png", &pdf_s])
            .arg(&pages)
            .output()
            .unwrap_or_else(|e| panic!("pdftoppm: {e}"));
        assert!(
            rendered.status.success() && rendered.stderr.is_empty(),
            "pdftoppm: {}",
            String::from_utf8_lossy(&rendered.stderr)
        );
        let count = std::fs::read_dir(tmp.path())
            .map(|d| {
                d.flatten()
                    .filter(|e| {
                        e.file_name()
                            .to_string_lossy()
                            .starts_with(&format!("page-{lang}"))
                    })
                    .count()
            })
            .unwrap_or(0);
        assert!(count >= 3, "{lang}: {count} pages rendered");
    }
}
