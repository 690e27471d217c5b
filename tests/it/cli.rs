//! The CLI as a script would use it: `parse`, `ingest`, `sql`, `demo`, exit codes and messages.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use crate::{canhgac, ok, sample, sql_csv};

/// Hosts counted straight from the sample text, independently of the parsers: the 4th word of an
/// RFC 3164 line (`<PRI>Mmm dd hh:mm:ss host`), the 3rd of an RFC 5424 line (`<PRI>1 ts host`).
fn expected_hosts() -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    let auth = std::fs::read_to_string(sample("linux/auth.log")).unwrap_or_default();
    for line in auth.lines() {
        if let Some(host) = line.split_whitespace().nth(3) {
            *counts.entry(host.to_owned()).or_default() += 1;
        }
    }
    let relay = std::fs::read_to_string(sample("syslog/relay-rfc5424.log")).unwrap_or_default();
    for line in relay.lines() {
        if let Some(host) = line.split_whitespace().nth(2) {
            *counts.entry(host.to_owned()).or_default() += 1;
        }
    }
    counts
}

#[test]
fn sql_host_counts_match_the_samples() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().to_string_lossy().into_owned();
    let auth = sample("linux/auth.log").to_string_lossy().into_owned();
    let relay = sample("syslog/relay-rfc5424.log")
        .to_string_lossy()
        .into_owned();
    let summary = ok(&["ingest", "--data-dir", &data, &auth, &relay]);
    assert!(
        summary.contains("ingested 3800 records from 2 file(s)"),
        "{summary}"
    );
    assert!(summary.contains("0 failed"), "{summary}");

    let csv = sql_csv(
        &data,
        "SELECT host, count(*) AS n FROM events GROUP BY host ORDER BY host",
    );
    let got: BTreeMap<String, u64> = csv
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(','))
        .map(|(h, n)| (h.to_owned(), n.parse().unwrap_or(0)))
        .collect();
    let expected = expected_hosts();
    assert!(expected.len() >= 8, "sample content changed: {expected:?}");
    assert_eq!(got, expected);

    // Partitions are by day and files are published atomically (no temp files left).
    let events = dir.path().join("events");
    let days: Vec<_> = std::fs::read_dir(&events)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(days.iter().all(|d| d.starts_with("date=")), "{days:?}");
    for day in &days {
        for f in std::fs::read_dir(events.join(day))
            .unwrap_or_else(|e| panic!("{e}"))
            .flatten()
        {
            let name = f.file_name().to_string_lossy().into_owned();
            assert!(
                name.ends_with(".parquet") && !name.starts_with('.'),
                "unexpected file {name}"
            );
        }
    }
}

#[test]
fn sql_sees_the_linux_columns_and_the_fields_map() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().to_string_lossy().into_owned();
    let auth = sample("linux/auth.log").to_string_lossy().into_owned();
    ok(&["ingest", "--data-dir", &data, &auth]);
    let text = std::fs::read_to_string(&auth).unwrap_or_default();
    let refused = text
        .lines()
        .filter(|l| l.contains("user NOT in sudoers"))
        .count();
    let failed_pw = text
        .lines()
        .filter(|l| l.contains("Failed password for"))
        .count();
    let csv = sql_csv(
        &data,
        "SELECT (SELECT count(*) FROM events WHERE app = 'sudo' AND fields['reason'] = 'user NOT in sudoers' AND fields['target_user'] = 'root') AS refused, \
                (SELECT count(*) FROM events WHERE fields['event'] = 'ssh_login' AND outcome = 'failure' AND fields['method'] = 'password') AS failed_pw",
    );
    assert_eq!(
        csv.lines().nth(1),
        Some(format!("{refused},{failed_pw}").as_str())
    );
    assert!(refused > 0 && failed_pw > 0);
}

#[test]
fn ingest_reads_gzip_and_keeps_unparseable_lines() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let gz = dir.path().join("mixed.log.1.gz");
    {
        let file = std::fs::File::create(&gz).unwrap_or_else(|e| panic!("{e}"));
        let mut enc = flate2::write::GzEncoder::new(file, flate2::Compression::default());
        enc.write_all(b"<86>Nov 27 08:00:02 web01 sshd[1]: Failed password for root from 185.220.101.47 port 40001 ssh2\n\xff\xfe binary \x00 junk\n\nno header here\n")
            .unwrap_or_else(|e| panic!("{e}"));
        enc.finish().unwrap_or_else(|e| panic!("{e}"));
    }
    let data = dir.path().join("data");
    let summary = ok(&[
        "ingest",
        "--data-dir",
        &data.to_string_lossy(),
        &gz.to_string_lossy(),
    ]);
    assert!(summary.contains("ingested 3 records"), "{summary}");
    assert!(summary.contains("2 failed"), "{summary}");
    let csv = sql_csv(
        &data.to_string_lossy(),
        "SELECT parse_status, length(encode(raw, 'hex')) / 2 AS bytes FROM events ORDER BY bytes",
    );
    assert_eq!(
        csv.lines().collect::<Vec<_>>(),
        vec!["parse_status,bytes", "failed,14", "failed,16", "ok,95"]
    );
}

#[test]
fn parse_prints_one_json_object_per_record() {
    let input = b"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8\n\xff\xfe not utf-8\nFeb 20 08:35:22 slave22 sshd[5774]: Failed password for root from 89.160.20.156 port 29160 ssh2\n";
    let out = canhgac(&["parse", "--tz", "+07:00", "--year", "2026"], Some(input));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["ts"], "2026-10-11T15:14:15Z", "read in +07:00");
    assert_eq!(rows[0]["user"], "lonvick");
    assert!(rows[0].get("pid").is_none(), "nulls are left out");
    assert_eq!(rows[1]["parse_status"], "failed");
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(rows[1]["raw_b64"].as_str().unwrap_or(""))
        .unwrap_or_default();
    assert_eq!(raw, b"\xff\xfe not utf-8");
    assert_eq!(rows[2]["src_ip"], "89.160.20.156");
    assert_eq!(rows[2]["src_port"], 29160);
    assert_eq!(rows[2]["fields"]["event"], "ssh_login");
}

#[test]
fn errors_are_one_line_and_exit_non_zero() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().to_string_lossy().into_owned();
    for args in [
        vec!["sql", "--data-dir", &data, "SELEC nonsense"],
        vec!["sql", "--data-dir", &data, "CREATE TABLE x AS SELECT 1"],
        vec![
            "sql",
            "--data-dir",
            &data,
            "INSERT INTO events (host) VALUES ('x')",
        ],
        vec!["ingest", "--data-dir", &data, "/nonexistent/file.log"],
        vec!["parse", "--tz", "Mars/Olympus"],
        vec!["parse", "--source-type", "no_such_type"],
    ] {
        let out = canhgac(&args, Some(b""));
        assert!(!out.status.success(), "{args:?} should fail");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with("canhgac: "), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
    }
}

#[test]
fn demo_runs_on_the_samples() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().join("demo");
    let out = ok(&["demo", "--data-dir", &data.to_string_lossy()]);
    assert!(out.contains("SSH brute force"), "{out}");
    assert!(out.contains("185.220.101.47"), "{out}");
    // The alert search section: high and critical alerts only, counted by level.
    assert!(out.contains("alert(s) match; showing 1-10"), "{out}");
    let by_level = out
        .lines()
        .find(|l| l.trim_start().starts_with("by level:"))
        .unwrap_or_default();
    assert!(
        by_level.contains("high") && !by_level.contains("medium") && !by_level.contains("low"),
        "{out}"
    );
    // A second run replaces the first instead of doubling it.
    let again = ok(&["demo", "--data-dir", &data.to_string_lossy()]);
    assert_eq!(out.lines().next(), again.lines().next());
    // It refuses to clear a directory it did not make.
    let foreign = dir.path().join("foreign");
    std::fs::create_dir_all(foreign.join("events")).unwrap_or_else(|e| panic!("{e}"));
    let refused = canhgac(&["demo", "--data-dir", &foreign.to_string_lossy()], None);
    assert!(!refused.status.success());
}

/// Firewall samples: the SQL sees the verdicts and addresses that the sample text holds, counted
/// here from the text without the parsers.
#[test]
fn sql_sees_firewall_verdicts_across_vendors() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().to_string_lossy().into_owned();
    let files: Vec<String> = ["fortigate.log", "cisco-asa.log", "iptables.log"]
        .iter()
        .map(|f| {
            sample(&format!("firewall/{f}"))
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let mut args = vec!["ingest", "--data-dir", &data];
    args.extend(files.iter().map(String::as_str));
    ok(&args);
    let text =
        |f: &str| std::fs::read_to_string(sample(&format!("firewall/{f}"))).unwrap_or_default();
    let count = |f: &str, needle: &str| text(f).lines().filter(|l| l.contains(needle)).count();
    let forti_deny = count("fortigate.log", "action=\"deny\"");
    let asa_deny = count("cisco-asa.log", "%ASA-4-106023: Deny");
    let ufw_block = count("iptables.log", "[UFW BLOCK]");
    let attacker = "45.155.205.233";
    let attacker_lines = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap_or_default())
        .map(|t| {
            t.lines()
                .filter(|l| {
                    l.contains(attacker)
                        && (l.contains("deny") || l.contains("Deny") || l.contains("BLOCK"))
                })
                .count()
        })
        .sum::<usize>();
    let csv = sql_csv(
        &data,
        &format!(
            "SELECT (SELECT count(*) FROM events WHERE source_type = 'fortigate' AND action = 'deny') AS forti, \
                    (SELECT count(*) FROM events WHERE source_type = 'cisco_asa' AND action = 'deny' AND rule_name = 'OUTSIDE_IN') AS asa, \
                    (SELECT count(*) FROM events WHERE source_type = 'netfilter' AND action = 'deny' AND rule_name = 'UFW BLOCK') AS ufw, \
                    (SELECT count(*) FROM events WHERE src_ip = '{attacker}' AND action = 'deny') AS attacker"
        ),
    );
    assert_eq!(
        csv.lines().nth(1),
        Some(format!("{forti_deny},{asa_deny},{ufw_block},{attacker_lines}").as_str())
    );
    assert!(forti_deny > 0 && asa_deny > 0 && ufw_block > 0 && attacker_lines > 0);
}

/// A forced source type keeps a record of another format, marked partial.
#[test]
fn forced_source_type_keeps_other_records_as_partial() {
    let out = canhgac(
        &["parse", "--source-type", "fortigate"],
        Some(b"%ASA-4-106023: Deny tcp src outside:192.0.2.1/1 dst dmz:10.0.0.1/22 by access-group \"X\" [0x0, 0x0]\n"),
    );
    assert!(out.status.success());
    let row: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(row["source_type"], "fortigate");
    assert_eq!(row["parse_status"], "partial");
    assert!(
        row["raw"]
            .as_str()
            .is_some_and(|r| r.contains("%ASA-4-106023"))
    );
}

/// Every source type can be forced, and the help names each one.
#[test]
fn help_names_every_source_type() {
    let help = ok(&["ingest", "--help"]);
    for t in canhgac_parsers::SourceType::ALL {
        if t != canhgac_parsers::SourceType::Unknown {
            assert!(
                help.contains(t.as_str()),
                "--help does not name {}",
                t.as_str()
            );
        }
    }
}

/// `rules validate` on the built-in pack: nothing fails; on a bad rule: exit 1 and the reason.
#[test]
fn rules_validate_reports_every_failure() {
    let out = ok(&["rules", "validate"]);
    assert!(out.contains("0 failed"), "{out}");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.path().join("bad.yml"),
        "title: good\nid: g1\nlogsource: {product: linux, service: sshd}\ndetection: {sel: {user: root}, condition: sel}\n\
         ---\ntitle: bad\nid: b1\nlogsource: {product: linux, service: sshd}\ndetection: {sel: {Image: x}, condition: sel}\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = canhgac(&["rules", "validate", &dir.path().to_string_lossy()], None);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("rule b1") && stderr.contains("`Image`"),
        "{stderr}"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("1 rules and 0 correlations loaded, 1 failed")
    );
}

/// `detect` on the SSH sample: brute-force alerts name the sources that the sample text shows
/// failing ten times or more.
#[test]
fn detect_prints_alerts_as_json_lines() {
    let auth = sample("linux/auth.log");
    let text = std::fs::read_to_string(&auth).unwrap_or_default();
    let out = ok(&["detect", &auth.to_string_lossy()]);
    let alerts: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let brute: Vec<&serde_json::Value> = alerts
        .iter()
        .filter(|a| a["title"] == "SSH brute force from one source")
        .collect();
    assert!(!brute.is_empty());
    for a in brute {
        let ip = a["group_by"]["src_ip"].as_str().unwrap_or_default();
        let failures = text
            .lines()
            .filter(|l| l.contains(ip) && (l.contains("Failed ") || l.contains("Invalid user")))
            .count();
        assert!(failures >= 10, "{ip} failed only {failures} times");
        assert_eq!(a["level"], "high");
        assert!(
            a["evidence"][0]["raw"]
                .as_str()
                .is_some_and(|r| r.contains(ip))
        );
    }
    // Standard input works too, and gives the same alerts.
    let stdin = canhgac(&["detect", "-"], Some(text.as_bytes()));
    assert_eq!(String::from_utf8_lossy(&stdin.stdout), out);
}

/// `ingest` runs the built-in rules: the `alerts` table holds what `detect` prints, and ingesting
/// the same file again adds no duplicate alerts.
#[test]
fn ingest_stores_alerts_once() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().to_string_lossy().into_owned();
    let auth = sample("linux/auth.log").to_string_lossy().into_owned();
    let detected = ok(&["detect", &auth]).lines().count();
    assert!(detected > 0);
    let first = ok(&["ingest", "--data-dir", &data, &auth]);
    assert!(
        first.contains(&format!("{detected} alert(s), {detected} new")),
        "{first}"
    );
    let second = ok(&["ingest", "--data-dir", &data, &auth]);
    assert!(
        second.contains(&format!("{detected} alert(s), 0 new")),
        "{second}"
    );
    let csv = sql_csv(
        &data,
        "SELECT count(*) AS n, count(DISTINCT id) AS ids FROM alerts",
    );
    assert_eq!(
        csv.lines().nth(1),
        Some(format!("{detected},{detected}").as_str())
    );
    let csv = sql_csv(
        &data,
        "SELECT count(*) FROM alerts WHERE title = 'SSH brute force from one source' AND level = 'high' AND src_ip IS NOT NULL AND techniques LIKE '%T1110.001%'",
    );
    assert_ne!(csv.lines().nth(1), Some("0"));
}

/// `hunt` runs the rules over what is stored, in time order, and a second hunt adds nothing new.
#[test]
fn hunt_over_stored_events() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = dir.path().to_string_lossy().into_owned();
    let auth = sample("linux/auth.log").to_string_lossy().into_owned();
    let stored = ok(&["ingest", "--no-detect", "--data-dir", &data, &auth]);
    assert!(stored.contains("0 alert(s)"), "{stored}");
    let first = canhgac(&["hunt", "--data-dir", &data, "--since", "3650d"], None);
    assert!(first.status.success());
    let printed = String::from_utf8_lossy(&first.stdout).lines().count();
    assert!(printed > 0);
    // The same events in the same order: detect over the file gives the same alerts.
    assert_eq!(printed, ok(&["detect", &auth]).lines().count());
    let csv = sql_csv(&data, "SELECT count(*) FROM alerts");
    assert_eq!(csv.lines().nth(1), Some(printed.to_string().as_str()));
    let again = canhgac(&["hunt", "--data-dir", &data, "--since", "3650d"], None);
    assert!(String::from_utf8_lossy(&again.stderr).contains(", 0 new"));
}

/// `rules import` copies the rules that apply (with the licence beside them), reports the rest,
/// and `ingest` then runs them with the built-in pack.
#[test]
fn imported_rules_run_at_ingest() {
    let rules = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(rules.path().join("LICENSE"), "Detection Rule License\n")
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(rules.path().join("linux")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        rules.path().join("linux/root_login.yml"),
        "title: Root SSH login accepted\nid: imp-1\nlogsource: {product: linux, service: sshd}\n\
         detection: {sel: {user: root, outcome: success}, condition: sel}\nlevel: high\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        rules.path().join("win.yml"),
        "title: w\nid: imp-2\nlogsource: {product: windows}\ndetection: {sel: {EventID: 1}, condition: sel}\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let data = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = data.path().to_string_lossy().into_owned();
    let out = ok(&[
        "rules",
        "import",
        "--data-dir",
        &data,
        &rules.path().to_string_lossy(),
    ]);
    assert!(out.contains("imported 1 file(s) with 1 rules"), "{out}");
    assert!(out.contains("1  log source not collected"), "{out}");
    let name = rules
        .path()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let imported = Path::new(&data).join("rules").join(&name);
    assert!(imported.join("LICENSE").is_file());
    assert!(imported.join("linux/root_login.yml").is_file());
    let line = b"<86>Nov 26 10:00:00 h1 sshd[1]: Accepted password for root from 203.0.113.7 port 22 ssh2\n";
    let input = Path::new(&data).join("in.log");
    std::fs::write(&input, line).unwrap_or_else(|e| panic!("{e}"));
    ok(&["ingest", "--data-dir", &data, &input.to_string_lossy()]);
    let csv = sql_csv(&data, "SELECT rule_id, level FROM alerts");
    assert_eq!(csv.lines().nth(1), Some("imp-1,high"));
}

/// `rules test`: the pack's rules pass their own sample records; a rule whose sample it misses
/// fails with the record named.
#[test]
fn rules_test_runs_each_rules_samples() {
    let out = ok(&["rules", "test"]);
    assert!(out.contains(" 0 failed"), "{out}");
    // Every pack rule carries its sample records, the 200-event deny flood included.
    assert!(out.contains(" 0 without tests"), "{out}");
    assert!(!out.contains("FAILED"), "{out}");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.path().join("r.yml"),
        "title: root login\nid: t1\nlogsource: {product: linux, service: sshd}\n\
         detection: {sel: {user: root, outcome: success}, condition: sel}\n\
         canhgac_tests:\n  match:\n    - '<86>Nov 26 10:00:00 h1 sshd[1]: Accepted password for an from 10.0.0.1 port 22 ssh2'\n  no_match: []\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = canhgac(&["rules", "test", &dir.path().to_string_lossy()], None);
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("FAILED") && stdout.contains("missed:"),
        "{stdout}"
    );
}
