//! Conformance against other projects' ground truth in `../shared/corpora`.
//!
//! Each corpus has an adapter that turns its test vectors into [`Case`]s: an input, the context the
//! original test ran in, and the values it expects, named by our columns. The runner parses each
//! case with canhgac and compares value by value, then prints a per-corpus table and fails below
//! the thresholds (98% of header fields, 95% of Linux fields). The corpora are read where they are
//! (never copied): the directory comes from `CANHGAC_CORPORA`; without it the suite says it was
//! skipped. Where we deliberately parse differently, the case is listed in [`KNOWN_DIFFERENCES`]
//! with the reason and excluded from the score.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use canhgac_parsers::time::{YearPolicy, Zone};
use canhgac_parsers::{Event, ParseContext, parse_record};
use chrono::{DateTime, NaiveDateTime};
use serde_json::Value;

mod network;

/// Which threshold a value counts towards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Cat {
    /// timestamp, host, app, pid, severity, facility, message (and msgid).
    Header,
    /// user, source ip/port, outcome.
    Linux,
    /// Reported, not thresholded: structured data, audit keys, other fields.
    Extra,
    /// Firewall network fields: addresses, ports, protocol, NAT (95%).
    Network,
    /// Firewall user and rule name (90%).
    Identity,
}

/// One expected value: our field name, its category, the expected text.
struct Expect {
    field: String,
    cat: Cat,
    value: String,
}

struct Case {
    corpus: &'static str,
    id: String,
    input: String,
    received_at: i64,
    zone: Zone,
    year: YearPolicy,
    expects: Vec<Expect>,
}

impl Case {
    fn new(corpus: &'static str, id: impl Into<String>, input: impl Into<String>) -> Self {
        Case {
            corpus,
            id: id.into(),
            input: input.into(),
            // 2026-06-15T12:00:00Z: far from any year boundary.
            received_at: 1_781_524_800_000_000,
            zone: Zone::Utc,
            year: YearPolicy::FromReceiveTime,
            expects: Vec::new(),
        }
    }

    fn expect(&mut self, field: &str, cat: Cat, value: impl Into<String>) {
        self.expects.push(Expect {
            field: field.to_owned(),
            cat,
            value: value.into(),
        });
    }

    /// Expects a string value when the JSON has one (or a number, rendered).
    fn expect_json(&mut self, field: &str, cat: Cat, value: Option<&Value>) {
        match value {
            Some(Value::String(s)) => self.expect(field, cat, s.clone()),
            Some(Value::Number(n)) => self.expect(field, cat, n.to_string()),
            _ => {}
        }
    }
}

/// Where we deliberately parse differently from a corpus: the rule and the reason. Every value
/// excused here is printed with its reason and left out of the score.
fn known_difference(case: &Case, field: &str, expected: &str, ours: &str) -> Option<&'static str> {
    let input = case.input.as_str();
    let no_pri = canhgac_parsers::syslog::parse_pri(input).is_none();
    let is_5424 = canhgac_parsers::syslog::parse_pri(input)
        .is_some_and(|(_, _, r)| canhgac_parsers::syslog::rfc5424::looks_like(r));
    let no_timestamp = {
        let mut ev = Event::default();
        parse_record(input, &ParseContext::new(case.received_at), &mut ev);
        ev.get_field("ts_source") == Some("received")
    };
    match (case.corpus, field) {
        (_, "message") if expected.starts_with('\u{feff}') && !ours.starts_with('\u{feff}') => {
            Some(
                "the RFC 5424 BOM is an encoding marker, not text: we strip it so searches and Sigma matches see the words",
            )
        }
        ("rsyslog", "facility" | "severity") if no_pri => Some(
            "rsyslog invents PRI 13 when a record has none; we leave facility and severity empty rather than report a value the sender never sent",
        ),
        ("rsyslog" | "syslog-ng", "facility" | "severity") if no_pri => Some(
            "rsyslog and syslog-ng invent PRI 13 when a record has none; we leave facility and severity empty rather than report a value the sender never sent",
        ),
        ("rsyslog" | "syslog-ng", "host" | "app" | "message") if no_timestamp => Some(
            "without a timestamp rsyslog and syslog-ng read the first words as hostname and tag; we keep a header-less line whole as the message",
        ),
        ("rsyslog", _) if input.contains("\",") => Some(
            "rsyslog reads a quoted fragment after the hostname as a tag; we do not take quoted text for a program name",
        ),
        ("rsyslog", "message") if is_5424 && ours.trim_start() == expected => Some(
            "RFC 5424 MSG begins after exactly one space; rsyslog drops further spaces, we keep them",
        ),
        ("go-syslog", "message") if !is_5424 && expected.ends_with(ours) => Some(
            "go-syslog does not read a colon-less word after the hostname as the tag; rsyslog, syslog-ng and Vector do, and so do we",
        ),
        ("rsyslog", "ts_local_noyear") if is_5424 => Some(
            "rsyslog's %timestamp% prints an RFC 5424 time in the sender's own offset with whole seconds; we store the instant in UTC with its fraction",
        ),
        ("rsyslog", "message") if expected.contains("#0") || expected.contains("#3") => Some(
            "rsyslog escapes control characters as #ooo on output by default; we keep the bytes",
        ),
        ("graylog", "ts") if is_5424 && expected.get(..23) == ours.get(..23) => {
            Some("Graylog keeps milliseconds; we keep the microseconds the record carries")
        }
        ("graylog", "host") if expected == "127.0.0.1" => Some(
            "Graylog fills the host from the sender address when the record names none; we keep the record's header and put the sender in the `peer` column",
        ),
        ("graylog", _) if case.id.starts_with("testFortiGate") => Some(
            "FortiGate key=value payloads are parsed by the firewall parsers (the firewall issue), not the syslog header",
        ),
        ("vector-vrl", "message")
            if ours.ends_with(expected) && ours.trim_start().starts_with('[') =>
        {
            Some(
                "Vector drops a malformed structured-data element; we keep the text as evidence and mark the row partial",
            )
        }
        ("syslog-ng", "ts") if input.contains("1 - ") => Some(
            "a NILVALUE timestamp: syslog-ng stamps its clock at parse time, we use the receive time",
        ),
        ("syslog-ng", "ts") if ours.get(4..) == expected.get(4..) => Some(
            "syslog-ng puts a year-less timestamp in the current year even when that makes it months in the future; we take the latest year that is not in the future",
        ),
        ("syslog-ng", "app" | "pid" | "field:a.i" | "message")
            if expected.len() < ours.len()
                && ours.starts_with(expected)
                && !expected.is_empty() =>
        {
            Some(
                "syslog-ng truncates over-long header fields and SD values to its limits; we keep what the sender sent",
            )
        }
        ("loghub", "app" | "pid" | "message")
            if input.contains("syslogd 1.4.1:") || input.contains("  -- root[") =>
        {
            Some(
                "loghub's labels read `syslogd 1.4.1:` and `-- root[2421]:` as tags with spaces; like rsyslog and syslog-ng we end the tag at the first space",
            )
        }
        ("loghub", "app")
            if expected.contains(' ') && expected.starts_with(ours) && !ours.is_empty() =>
        {
            Some(
                "loghub's labels read several words (`Kernel command line:`) as the tag; like rsyslog and syslog-ng we end the tag at the first space",
            )
        }
        ("loghub", "message") if ours.ends_with(expected) && loghub_multiword_tag(input) => Some(
            "loghub's labels read several words as the tag, so its message starts later than ours",
        ),
        ("loghub", "message") if ours.trim_start() == expected => Some(
            "loghub trims the space that follows `kernel: `; we keep the message as sent after the single delimiting space",
        ),
        ("rsyslog", "app" | "message")
            if case.id.starts_with("pmsnare") && input.contains(": %IOSXE-") =>
        {
            Some(
                "rsyslog (here with its pmsnare parser) takes the IOS sequence number `123456789:` for the tag; we read the IOS header (sequence, origin name, stamp) and the `%` tag as the program",
            )
        }
        ("sekoia-openssh", "user") if input.contains("User child is on pid") => {
            Some("`User child is on pid N` is sshd's fixed text: `child` is not a user name")
        }
        _ => network::known_difference(case, field, expected, ours),
    }
}

/// A loghub line whose label has a tag of several words before the first `:`.
fn loghub_multiword_tag(input: &str) -> bool {
    let after_host = input.splitn(5, ' ').nth(4).unwrap_or("");
    after_host
        .split(':')
        .next()
        .is_some_and(|t| t.trim().contains(' '))
}

/// Our value of a field, as text comparable with the corpora's.
fn got(ev: &Event<'_>, field: &str, zone: Zone) -> Option<String> {
    let text = |v: &Option<std::borrow::Cow<'_, str>>| v.as_deref().map(str::to_owned);
    match field {
        "ts" => ev
            .ts
            .and_then(DateTime::from_timestamp_micros)
            .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()),
        "ts_local_noyear" => ev
            .ts
            .map(|t| zone.local_of(t).format("%m-%d %H:%M:%S%.6f").to_string()),
        "facility" => ev.facility.map(|v| v.to_string()),
        "severity" => ev.severity.map(|v| v.to_string()),
        "host" => text(&ev.host),
        // The device's own name: the host column, or `fields` when the syslog header named the
        // sender differently (CEF `dvchost`).
        "device_host" => ev
            .get_field("dvchost")
            .or(ev.host.as_deref())
            .map(str::to_owned),
        "app" => text(&ev.app),
        "app_base" => ev
            .app
            .as_deref()
            .map(|a| canhgac_parsers::payload::base_app(a).to_owned()),
        "pid" => text(&ev.pid),
        "msgid" => text(&ev.msgid),
        "message" => ev.message.as_deref().map(|m| m.trim_end().to_owned()),
        "user" => text(&ev.user),
        "src_ip" => text(&ev.src_ip),
        "src_port" => ev.src_port.map(|p| p.to_string()),
        "dst_ip" => text(&ev.dst_ip),
        "dst_port" => ev.dst_port.map(|p| p.to_string()),
        "nat_src_ip" => text(&ev.nat_src_ip),
        "nat_dst_ip" => text(&ev.nat_dst_ip),
        "protocol" => text(&ev.protocol),
        "rule_name" => text(&ev.rule_name),
        "in_iface" => text(&ev.in_iface),
        "out_iface" => text(&ev.out_iface),
        "bytes_in" => ev.bytes_in.map(|v| v.to_string()),
        "bytes_out" => ev.bytes_out.map(|v| v.to_string()),
        "outcome" => ev.outcome.map(str::to_owned),
        other => other
            .strip_prefix("field:")
            .and_then(|k| ev.get_field(k))
            .map(str::to_owned),
    }
}

#[derive(Default)]
struct Tally {
    checked: u64,
    correct: u64,
}

#[derive(Default)]
struct Report {
    per_corpus: BTreeMap<(&'static str, Cat), Tally>,
    mismatches: BTreeMap<&'static str, Vec<String>>,
    excused: Vec<String>,
    cases: BTreeMap<&'static str, u64>,
}

impl Report {
    fn run(&mut self, cases: Vec<Case>) {
        for case in cases {
            *self.cases.entry(case.corpus).or_default() += 1;
            let ctx = ParseContext {
                zone: case.zone,
                year: case.year,
                ..ParseContext::new(case.received_at)
            };
            let mut ev = Event::default();
            parse_record(&case.input, &ctx, &mut ev);
            for e in &case.expects {
                let ours = got(&ev, &e.field, case.zone).unwrap_or_default();
                let ok = ours == e.value;
                if !ok && let Some(why) = known_difference(&case, &e.field, &e.value, &ours) {
                    self.excused.push(format!(
                        "{} {} {}: expected {:?}, ours {:?} ({why})",
                        case.corpus, case.id, e.field, e.value, ours
                    ));
                    continue;
                }
                let tally = self.per_corpus.entry((case.corpus, e.cat)).or_default();
                tally.checked += 1;
                if ok {
                    tally.correct += 1;
                } else {
                    self.mismatches
                        .entry(case.corpus)
                        .or_default()
                        .push(format!(
                            "  {} [{}] {}: expected {:?}, ours {:?}\n      input: {:?}",
                            case.id,
                            e.field,
                            e.cat as u8,
                            e.value,
                            ours,
                            truncate(&case.input, 200)
                        ));
                }
            }
        }
    }
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

fn corpora() -> Option<PathBuf> {
    let dir = std::env::var_os("CANHGAC_CORPORA")?;
    let dir = PathBuf::from(dir);
    assert!(
        dir.is_dir(),
        "CANHGAC_CORPORA={} is not a directory",
        dir.display()
    );
    Some(dir)
}

fn jsonl(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .collect()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const FACILITIES: [&str; 24] = [
    "kern",
    "user",
    "mail",
    "daemon",
    "auth",
    "syslog",
    "lpr",
    "news",
    "uucp",
    "cron",
    "authpriv",
    "ftp",
    "ntp",
    "security",
    "console",
    "solaris-cron",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
];
const SEVERITIES: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
];

fn facility_number(name: &str) -> Option<usize> {
    let n = name
        .trim_start_matches("SyslogFacility::LOG_")
        .to_ascii_lowercase();
    let n = match n.as_str() {
        "auth_priv" => "authpriv",
        "audit" => "security",
        "alert" => "console",
        "clockd" | "cron2" => "solaris-cron",
        other => other,
    };
    FACILITIES.iter().position(|f| *f == n)
}

fn severity_number(name: &str) -> Option<usize> {
    let n = name
        .trim_start_matches("SyslogSeverity::SEV_")
        .to_ascii_lowercase();
    let n = match n.as_str() {
        "emergency" | "panic" => "emerg",
        "critical" => "crit",
        "error" => "err",
        "warn" => "warning",
        "informational" => "info",
        other => other,
    };
    SEVERITIES.iter().position(|s| *s == n)
}

/// An RFC 3339 instant as our `ts` text.
fn instant(s: &str) -> Option<String> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| {
        t.with_timezone(&chrono::Utc)
            .format("%Y-%m-%dT%H:%M:%S%.6fZ")
            .to_string()
    })
}

/// The wall clock of a timestamp without its year, `MM-DD HH:MM:SS.ffffff`.
fn noyear(s: &str) -> Option<String> {
    let s = s.trim_end_matches('Z');
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    Some(naive.format("%m-%d %H:%M:%S%.6f").to_string())
}

fn month_day_time(month: &str, day: &str, time: &str) -> Option<String> {
    let m = canhgac_parsers::time::month_from_abbrev(month.as_bytes())?;
    let d: u32 = day.trim().parse().ok()?;
    Some(format!("{m:02}-{d:02} {time}.000000"))
}

// ---------------------------------------------------------------- adapters

fn go_syslog(root: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    for (file, is5424) in [
        ("rfc5424/machine_test", true),
        ("rfc5424/example_test", true),
        ("rfc3164/machine_test", false),
        ("rfc3164/example_test", false),
    ] {
        for v in jsonl(&root.join(format!("go-syslog/{file}.vectors.jsonl"))) {
            let options = v
                .get("machine_options")
                .or_else(|| v.get("parser_options"))
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            if v["valid"] == Value::Bool(false)
                || !v["expected"].is_object()
                || options > 0 && !is5424
            {
                continue;
            }
            let e = &v["expected"];
            let id = format!("{file}.go:{}", v["case"].as_str().unwrap_or(""));
            let mut c = Case::new("go-syslog", id, v["input"].as_str().unwrap_or(""));
            c.expect_json("facility", Cat::Header, e.get("Facility"));
            c.expect_json("severity", Cat::Header, e.get("Severity"));
            c.expect_json("host", Cat::Header, e.get("Hostname"));
            c.expect_json("app", Cat::Header, e.get("Appname"));
            c.expect_json("pid", Cat::Header, e.get("ProcID"));
            c.expect_json("msgid", Cat::Header, e.get("MsgID"));
            if let Some(m) = e.get("Message").and_then(Value::as_str) {
                c.expect("message", Cat::Header, m.trim_end());
            }
            if let Some(ts) = e.get("Timestamp").and_then(Value::as_str) {
                let (field, value) = if is5424 {
                    ("ts", instant(ts))
                } else {
                    ("ts_local_noyear", noyear(ts))
                };
                if let Some(value) = value {
                    c.expect(field, Cat::Header, value);
                }
            }
            if let Some(sd) = e.get("StructuredData").and_then(Value::as_object) {
                for (id, params) in sd {
                    for (k, val) in params.as_object().into_iter().flatten() {
                        c.expect_json(&format!("field:{id}.{k}"), Cat::Extra, Some(val));
                    }
                }
            }
            cases.push(c);
        }
    }
    cases
}

fn syslog_ng(root: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    let allowed = [
        "LP_EXPECT_HOSTNAME",
        "LP_SYSLOG_PROTOCOL",
        "LP_PIGGYBACK_ERRORS",
    ];
    for v in jsonl(&root.join("syslog-ng/lib/tests/test_msgparse.vectors.jsonl")) {
        let flags: Vec<&str> = v["parse_flags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let e = &v["expected"];
        if !flags.iter().all(|f| allowed.contains(f))
            || v.get("bad_hostname_re").is_some()
            || e["program"] == "syslog-ng"
            || !e.is_object()
        {
            continue;
        }
        let mut c = Case::new(
            "syslog-ng",
            v["case"].as_str().unwrap_or(""),
            v["input"].as_str().unwrap_or(""),
        );
        if let Some(now) = v["context"]["now"].as_i64() {
            c.received_at = now * 1_000_000;
        }
        // MET-1METDST is central European time with EU daylight-saving rules.
        c.zone = Zone::parse("CET").unwrap_or_default();
        if let Some(pri) = e["pri"].as_u64() {
            c.expect("facility", Cat::Header, (pri >> 3).to_string());
            c.expect("severity", Cat::Header, (pri & 7).to_string());
        }
        if let (Some(sec), Some(usec)) = (
            e["stamp_sec"].as_i64(),
            e["stamp_usec"].as_i64().or(Some(0)),
        ) && let Some(t) = DateTime::from_timestamp(sec, 0)
        {
            c.expect(
                "ts",
                Cat::Header,
                format!("{}.{usec:06}Z", t.format("%Y-%m-%dT%H:%M:%S")),
            );
        }
        // Without LP_EXPECT_HOSTNAME (or RFC 5424) syslog-ng reads no hostname: a configuration we do not have.
        let expects_host = flags
            .iter()
            .any(|f| *f == "LP_EXPECT_HOSTNAME" || *f == "LP_SYSLOG_PROTOCOL");
        for (ours, theirs) in [
            ("host", "host"),
            ("app", "program"),
            ("pid", "pid"),
            ("message", "msg"),
        ] {
            if !expects_host && ours != "pid" {
                continue;
            }
            if let Some(s) = e[theirs].as_str() {
                c.expect(ours, Cat::Header, s.trim_end());
            }
        }
        for (k, val) in e["sd_pairs"].as_object().into_iter().flatten() {
            if let Some(rest) = k.strip_prefix(".SDATA.") {
                c.expect_json(&format!("field:{rest}"), Cat::Extra, Some(val));
            }
        }
        cases.push(c);
    }
    cases
}

fn vector_vrl(root: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    let files = [
        "vrl/src/stdlib/parse_syslog",
        "vector/src/sources/syslog",
        "vector/lib/codecs/src/decoding/format/syslog",
        "syslog-loose/tests/tests",
    ];
    for file in files {
        for v in jsonl(&root.join(format!("vector-vrl/{file}.vectors.jsonl"))) {
            let Some(e) = v["expected"].as_object() else {
                continue;
            };
            let Some(input) = v["input"].as_str() else {
                continue;
            };
            let mut c = Case::new(
                "vector-vrl",
                format!("{file}:{}", v["case"].as_str().unwrap_or("")),
                input,
            );
            let rfc5424 = canhgac_parsers::syslog::parse_pri(input)
                .is_some_and(|(_, _, r)| canhgac_parsers::syslog::rfc5424::looks_like(r));
            if let Some(f) = e
                .get("facility")
                .and_then(Value::as_str)
                .and_then(facility_number)
            {
                c.expect("facility", Cat::Header, f.to_string());
            }
            if let Some(s) = e
                .get("severity")
                .and_then(Value::as_str)
                .and_then(severity_number)
            {
                c.expect("severity", Cat::Header, s.to_string());
            }
            c.expect_json("host", Cat::Header, e.get("hostname"));
            c.expect_json("app", Cat::Header, e.get("appname"));
            c.expect_json("msgid", Cat::Header, e.get("msgid"));
            match e.get("procid") {
                Some(Value::Object(o)) => c.expect_json("pid", Cat::Header, o.values().next()),
                other => c.expect_json("pid", Cat::Header, other),
            }
            if let Some(m) = e
                .get("message")
                .or_else(|| e.get("msg"))
                .and_then(Value::as_str)
            {
                c.expect("message", Cat::Header, m.trim_end());
            }
            if let Some(ts) = e.get("timestamp").and_then(Value::as_str) {
                // Offset-less timestamps were read in the test machine's local zone: compare the wall clock.
                let value = if rfc5424 && (ts.ends_with('Z') || ts.contains('+')) {
                    instant(ts).map(|v| ("ts", v))
                } else {
                    noyear(ts).map(|v| ("ts_local_noyear", v))
                };
                if let Some((field, value)) = value {
                    c.expect(field, Cat::Header, value);
                }
            }
            cases.push(c);
        }
    }
    cases
}

fn graylog(root: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    let path = root.join("graylog/graylog2-server/src/test/java/org/graylog2/inputs/codecs/SyslogCodecTest.vectors.jsonl");
    for v in jsonl(&path) {
        let Some(e) = v["expected"].as_object() else {
            continue;
        };
        if v.get("kind")
            .and_then(Value::as_str)
            .is_some_and(|k| k.contains("failing"))
            || v["comment"].as_str().is_some_and(|c| c.contains("FAILING"))
        {
            continue;
        }
        let Some(input) = v["input"].as_str() else {
            continue;
        };
        let mut c = Case::new("graylog", v["case"].as_str().unwrap_or(""), input);
        c.expect_json("host", Cat::Header, e.get("source"));
        c.expect_json("severity", Cat::Header, e.get("level"));
        c.expect_json("app", Cat::Header, e.get("application_name"));
        c.expect_json("pid", Cat::Header, e.get("process_id"));
        if let Some(f) = e.get("facility_num") {
            c.expect_json("facility", Cat::Header, Some(f));
        }
        if let Some(ts) = e.get("timestamp").and_then(Value::as_str)
            && !ts.contains("JVM")
            && !ts.contains('{')
            && let Some(value) = instant(ts)
        {
            c.expect("ts", Cat::Header, value);
        }
        cases.push(c);
    }
    cases
}

fn rsyslog(root: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    let Ok(dir) = std::fs::read_dir(root.join("rsyslog/tests")) else {
        return cases;
    };
    let mut files: Vec<PathBuf> = dir
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".vectors.jsonl"))
        .collect();
    files.sort();
    let props: &[&str] = &[
        "PRI",
        "syslogfacility-text",
        "syslogseverity-text",
        "timestamp",
        "hostname",
        "programname",
        "syslogtag",
        "msg",
    ];
    for file in files {
        for v in jsonl(&file) {
            let (Some(template), Some(expected), Some(input)) = (
                v["template"].as_str(),
                v["expected_output_line"].as_str(),
                v["input"].as_str(),
            ) else {
                continue;
            };
            // Only templates made of plain properties and literal separators.
            let template = template.trim_end_matches("\\n");
            let mut pattern = String::new();
            let mut ok = true;
            for (i, part) in template.split('%').enumerate() {
                if i % 2 == 1 {
                    if !props.contains(&part) {
                        ok = false;
                    }
                    let _ = write!(pattern, "{{{part}}}");
                } else {
                    pattern.push_str(part);
                }
            }
            // Parser modules (pmsnare, pmlastmsg, pmciscoios, ...) and parser options change what
            // rsyslog reads; only its default RFC 3164/5424 parsing is ours to compare with.
            let config = v["config"].as_str().unwrap_or("");
            let special = input.contains('\t')
                || input.contains("MSWinEventLog")
                || [
                    "pmsnare",
                    "pmlastmsg",
                    "pmnull",
                    "pmnormalize",
                    "pmciscoios",
                    "pmrfc3164",
                    "parser.",
                    "parser=",
                    "escapeControl",
                ]
                .iter()
                .any(|m| config.contains(m));
            if !ok || special || pattern.is_empty() || input.contains('\n') {
                continue;
            }
            let pattern: &'static str = Box::leak(pattern.into_boxed_str());
            let Some(caps) = canhgac_parsers::pattern::match_template(pattern, expected) else {
                continue;
            };
            let mut c = Case::new("rsyslog", v["case"].as_str().unwrap_or(""), input);
            for (name, value) in caps.iter() {
                match name {
                    "PRI" => {
                        if let Ok(pri) = value.parse::<u32>() {
                            c.expect("facility", Cat::Header, (pri >> 3).to_string());
                            c.expect("severity", Cat::Header, (pri & 7).to_string());
                        }
                    }
                    // Hostnames rsyslog fills from the sender or the local host are not in the record.
                    "hostname"
                        if !value.starts_with("RSTB_")
                            && !value.starts_with("127.0.0.1")
                            && !value.is_empty() =>
                    {
                        c.expect("host", Cat::Header, value)
                    }
                    "programname" if !value.is_empty() => c.expect("app", Cat::Header, value),
                    // rsyslog keeps the space that follows the tag's colon; we do not.
                    "msg" => c.expect(
                        "message",
                        Cat::Header,
                        value.strip_prefix(' ').unwrap_or(value).trim_end(),
                    ),
                    "timestamp" => {
                        let mut parts = value.split_whitespace();
                        if let (Some(m), Some(d), Some(t)) =
                            (parts.next(), parts.next(), parts.next())
                            && let Some(v) = month_day_time(m, d, t)
                        {
                            c.expect("ts_local_noyear", Cat::Header, v);
                        }
                    }
                    _ => {}
                }
            }
            cases.push(c);
        }
    }
    cases
}

/// Minimal CSV line splitter (quoted fields with doubled quotes).
fn csv_line(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(ch) = chars.next() {
        match (ch, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            (ch, _) => cur.push(ch),
        }
    }
    out.push(cur);
    out
}

fn loghub(root: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    for name in ["Linux", "OpenSSH", "Thunderbird"] {
        let raw = read(&root.join(format!("loghub/{name}/{name}_2k.log")));
        let structured = read(&root.join(format!("loghub/{name}/{name}_2k.log_structured.csv")));
        let mut rows = structured.lines();
        let header = csv_line(rows.next().unwrap_or(""));
        let col = |n: &str| header.iter().position(|h| h == n);
        for (line, row) in raw.lines().zip(rows) {
            let r = csv_line(row);
            let get = |n: &str| {
                col(n)
                    .and_then(|i| r.get(i))
                    .map(String::as_str)
                    .unwrap_or("")
            };
            let mut input = line.to_owned();
            if name == "Thunderbird" {
                // Loghub prefixes each line with its own labels (alert tag, epoch, date, node);
                // what the device sent starts after them.
                input = line.splitn(5, ' ').nth(4).unwrap_or("").to_owned();
            }
            let mut c = Case::new("loghub", format!("{name}:{}", get("LineId")), input);
            let (month, day, host, app) = match name {
                "Linux" => (
                    get("Month"),
                    get("Date"),
                    get("Level"),
                    Some(get("Component")),
                ),
                "OpenSSH" => (get("Date"), get("Day"), get("Component"), None),
                _ => (
                    get("Month"),
                    get("Day"),
                    get("Location"),
                    Some(get("Component")),
                ),
            };
            if let Some(v) = month_day_time(month, day, get("Time")) {
                c.expect("ts_local_noyear", Cat::Header, v);
            }
            c.expect("host", Cat::Header, host);
            if let Some(app) = app {
                c.expect("app", Cat::Header, app);
            }
            let pid = get("PID");
            let pid = if pid.is_empty() { get("Pid") } else { pid };
            if !pid.is_empty() {
                c.expect("pid", Cat::Header, pid);
            }
            c.expect("message", Cat::Header, get("Content").trim_end());
            cases.push(c);
        }
    }
    cases
}

fn elastic_auth(root: &Path) -> Vec<Case> {
    let dir = root.join("elastic-integrations/packages/system/data_stream/auth/_dev/test/pipeline");
    let raw = read(&dir.join("test-auth.log"));
    let expected: Value = serde_json::from_str(&read(&dir.join("test-auth.log-expected.json")))
        .unwrap_or(Value::Null);
    let mut cases = Vec::new();
    for (i, (line, e)) in raw
        .lines()
        .zip(expected["expected"].as_array().into_iter().flatten())
        .enumerate()
    {
        let mut c = Case::new(
            "elastic-system-auth",
            format!("test-auth.log:{}", i + 1),
            line,
        );
        if let Some(ts) = e["@timestamp"].as_str()
            && let Some(v) = noyear(ts.trim_end_matches('Z'))
        {
            c.expect("ts_local_noyear", Cat::Header, v);
        }
        c.expect_json("host", Cat::Header, e.pointer("/host/hostname"));
        c.expect_json("app", Cat::Header, e.pointer("/process/name"));
        c.expect_json("pid", Cat::Header, e.pointer("/process/pid"));
        c.expect_json("user", Cat::Linux, e.pointer("/user/name"));
        c.expect_json("src_ip", Cat::Linux, e.pointer("/source/ip"));
        c.expect_json("src_port", Cat::Linux, e.pointer("/source/port"));
        c.expect_json("outcome", Cat::Linux, e.pointer("/event/outcome"));
        cases.push(c);
    }
    cases
}

fn go_libaudit(root: &Path) -> Vec<Case> {
    let dir = root.join("go-libaudit/auparse/testdata");
    let mut cases = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return cases;
    };
    let mut logs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    logs.sort();
    for log in logs {
        let golden: Value =
            serde_json::from_str(&read(&PathBuf::from(format!("{}.golden", log.display()))))
                .unwrap_or(Value::Null);
        let name = log
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let lines: Vec<String> = read(&log)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect();
        for (i, (line, g)) in lines
            .iter()
            .zip(golden.as_array().into_iter().flatten())
            .enumerate()
        {
            if g.get("error").is_some() {
                continue;
            }
            let mut c = Case::new("go-libaudit", format!("{name}:{}", i + 1), line.clone());
            if let Some(ts) = g["@timestamp"].as_str().and_then(instant) {
                c.expect("ts", Cat::Header, ts);
            }
            c.expect_json("field:sequence", Cat::Extra, g.get("sequence"));
            if let Some(t) = g["record_type"].as_str()
                && !t.starts_with("unknown")
            {
                c.expect("field:type", Cat::Extra, t.to_ascii_uppercase());
            }
            let data = &g["data"];
            c.expect_json("user", Cat::Linux, data.get("acct"));
            if let Some(addr) = data["addr"]
                .as_str()
                .filter(|a| a.parse::<std::net::IpAddr>().is_ok() && line.contains(" addr="))
            {
                c.expect("src_ip", Cat::Linux, addr);
            }
            match data["result"].as_str() {
                Some("success") => c.expect("outcome", Cat::Linux, "success"),
                Some("fail") => c.expect("outcome", Cat::Linux, "failure"),
                _ => {}
            }
            // Keys as written in the record (golden values that go-libaudit interprets are skipped).
            for key in [
                "exe",
                "comm",
                "proctitle",
                "pid",
                "op",
                "terminal",
                "hostname",
                "cwd",
                "name",
                "key",
                "argc",
                "a0",
                "a1",
                "a2",
                "cmd",
            ] {
                if line.contains(&format!(" {key}="))
                    && let Some(v) = data[key].as_str()
                {
                    c.expect(&format!("field:{key}"), Cat::Extra, v);
                }
            }
            cases.push(c);
        }
    }
    cases
}

fn sekoia_openssh(root: &Path) -> Vec<Case> {
    let dir = root.join("sekoia-intake-formats/OpenSSH/openssh/tests");
    let mut cases = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return cases;
    };
    let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    for f in files {
        let v: Value = serde_json::from_str(&read(&f)).unwrap_or(Value::Null);
        let Some(input) = v.pointer("/input/message").and_then(Value::as_str) else {
            continue;
        };
        let e = &v["expected"];
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut c = Case::new("sekoia-openssh", name, input);
        c.expect_json("user", Cat::Linux, e.pointer("/user/name"));
        c.expect_json("src_ip", Cat::Linux, e.pointer("/source/ip"));
        c.expect_json("src_port", Cat::Linux, e.pointer("/source/port"));
        let authentication = e
            .pointer("/event/category")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|x| x == "authentication"));
        if authentication {
            c.expect_json("outcome", Cat::Linux, e.pointer("/event/outcome"));
        }
        cases.push(c);
    }
    cases
}

fn wazuh(root: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    // Wazuh decoders named after the program: the decoder that matched tells the syslog tag.
    let program_decoders = [
        "sshd", "sudo", "su", "vsftpd", "proftpd", "doas", "named", "dovecot", "postfix",
    ];
    for file in [
        "sshd", "sudo", "su", "pam", "syslog", "systemd", "vsftpd", "proftpd", "doas", "dovecot",
        "named",
    ] {
        let text = read(&root.join(format!(
            "wazuh-ruleset/tools/rules-testing/tests/{file}.ini"
        )));
        let mut pending: Vec<(String, String)> = Vec::new();
        let mut section = String::new();
        for line in text.lines() {
            if line.starts_with('[') {
                section = line.to_owned();
                pending.clear();
            } else if let Some((k, v)) = line.split_once(" = ") {
                if k.starts_with("log ") && k.ends_with(" pass") {
                    pending.push((format!("{file}.ini {section} {k}"), v.to_owned()));
                } else if k == "decoder" && program_decoders.contains(&v.trim()) {
                    for (id, input) in pending.drain(..) {
                        let mut c = Case::new("wazuh", id, input);
                        c.expect("app_base", Cat::Header, v.trim());
                        cases.push(c);
                    }
                }
            }
        }
    }
    cases
}

/// Wazuh's raw sample logs carry no parsed fields; the expectations here are read off the text
/// by simple splitting, independently of our parsers: the hostname of BSD lines whose fifth word
/// is a tag, and the address after ` from ` in sshd lines.
fn wazuh_log_entries(root: &Path) -> Vec<Case> {
    let dir = root.join("wazuh-ruleset/rules/log-entries");
    let mut cases = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return cases;
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    for file in files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Ok(text) = std::fs::read(&file) else {
            continue;
        };
        let text = String::from_utf8_lossy(&text).into_owned();
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let mut c = Case::new("wazuh-log-entries", format!("{name}:{}", i + 1), line);
            let words: Vec<&str> = line.split_whitespace().collect();
            let bsd = words
                .first()
                .is_some_and(|m| canhgac_parsers::time::month_from_abbrev(m.as_bytes()).is_some())
                && words
                    .get(2)
                    .is_some_and(|t| t.len() == 8 && t.as_bytes().get(2) == Some(&b':'));
            if bsd
                && words
                    .get(4)
                    .is_some_and(|t| t.ends_with(':') && t.len() > 1)
            {
                c.expect("host", Cat::Header, words[3]);
            }
            if line.contains(" sshd[")
                && let Some(after) = line.split(" from ").nth(1)
            {
                let ip = after.split_whitespace().next().unwrap_or("");
                if ip.parse::<std::net::Ipv4Addr>().is_ok() {
                    c.expect("src_ip", Cat::Linux, ip);
                }
            }
            cases.push(c);
        }
    }
    cases
}

#[test]
fn conformance_against_corpora() {
    let Some(root) = corpora() else {
        println!("conformance suite skipped: set CANHGAC_CORPORA to the shared corpora directory");
        return;
    };
    let mut report = Report::default();
    for adapter in [
        go_syslog,
        syslog_ng,
        vector_vrl,
        graylog,
        rsyslog,
        loghub,
        elastic_auth,
        go_libaudit,
        sekoia_openssh,
        wazuh,
        wazuh_log_entries,
        network::sekoia_firewalls,
        network::elastic_iptables,
        network::elastic_pfsense,
        network::logstash_firewalls,
        network::graylog_cef,
    ] {
        let cases = adapter(&root);
        assert!(
            !cases.is_empty(),
            "an adapter found no cases: the corpus layout changed"
        );
        report.run(cases);
    }
    let mut table = String::from(
        "\ncorpus                        cases  header             linux              extra              network            user/rule\n",
    );
    let mut totals: BTreeMap<Cat, Tally> = BTreeMap::new();
    let mut failures = Vec::new();
    for (corpus, n) in &report.cases {
        let _ = write!(table, "{corpus:<29} {n:>5}");
        for cat in [
            Cat::Header,
            Cat::Linux,
            Cat::Extra,
            Cat::Network,
            Cat::Identity,
        ] {
            match report.per_corpus.get(&(*corpus, cat)) {
                Some(t) => {
                    let pct = 100.0 * t.correct as f64 / t.checked.max(1) as f64;
                    let _ = write!(table, "  {:>6}/{:<6} {pct:5.1}%", t.correct, t.checked);
                    let total = totals.entry(cat).or_default();
                    total.checked += t.checked;
                    total.correct += t.correct;
                    let threshold = match cat {
                        Cat::Header => Some(98.0),
                        Cat::Linux | Cat::Network => Some(95.0),
                        Cat::Identity => Some(90.0),
                        Cat::Extra => None,
                    };
                    if threshold.is_some_and(|th| pct < th) {
                        failures.push(format!("{corpus} {cat:?} {pct:.1}%"));
                    }
                }
                None => table.push_str("          -         "),
            }
        }
        table.push('\n');
    }
    for (cat, t) in &totals {
        let _ = writeln!(
            table,
            "total {cat:?}: {}/{} = {:.2}%",
            t.correct,
            t.checked,
            100.0 * t.correct as f64 / t.checked.max(1) as f64
        );
    }
    println!("{table}");
    println!("deliberate differences ({}):", report.excused.len());
    for e in &report.excused {
        println!("  {e}");
    }
    for (corpus, list) in &report.mismatches {
        println!("mismatches in {corpus} ({}):", list.len());
        // CANHGAC_CONFORMANCE_ALL=1 prints every mismatch, not the first 40.
        let shown = if std::env::var_os("CANHGAC_CONFORMANCE_ALL").is_some() {
            usize::MAX
        } else {
            40
        };
        for m in list.iter().take(shown) {
            println!("{m}");
        }
    }
    assert!(failures.is_empty(), "below threshold: {failures:?}");
}
