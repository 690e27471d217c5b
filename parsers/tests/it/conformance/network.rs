//! Firewall conformance: Sekoia intake tests (per vendor), Elastic iptables and pfSense pipeline
//! tests, logstash grok vectors for Cisco ASA, Junos and netfilter, and Graylog's CEF fixtures.
//!
//! Their ECS-style names map onto our columns: `source.ip` -> `src_ip`, `source.nat.ip` ->
//! `nat_src_ip`, `source.nat.port` -> `fields.nat_src_port`, `network.transport` -> `protocol`,
//! `user.name` -> `user`, `rule.name` -> `rule_name`. Addresses, ports, protocol and NAT count
//! towards the 95% network threshold, user and rule name towards the 90% one, per vendor.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{Case, Cat, jsonl, read};

/// The ECS paths we compare and where they land.
const ECS: &[(&str, &str, Cat)] = &[
    ("/source/ip", "src_ip", Cat::Network),
    ("/source/port", "src_port", Cat::Network),
    ("/destination/ip", "dst_ip", Cat::Network),
    ("/destination/port", "dst_port", Cat::Network),
    ("/network/transport", "protocol", Cat::Network),
    ("/source/nat/ip", "nat_src_ip", Cat::Network),
    ("/source/nat/port", "field:nat_src_port", Cat::Network),
    ("/destination/nat/ip", "nat_dst_ip", Cat::Network),
    ("/destination/nat/port", "field:nat_dst_port", Cat::Network),
    ("/user/name", "user", Cat::Identity),
    ("/rule/name", "rule_name", Cat::Identity),
];

/// Adds the expectations an ECS document holds.
fn expect_ecs(case: &mut Case, doc: &Value) {
    for (path, field, cat) in ECS {
        match doc.pointer(path) {
            // Transport names are compared in ECS's lower case (logstash's legacy mode keeps
            // the vendor's capitals).
            Some(Value::String(s)) if *field == "protocol" => {
                case.expect(field, *cat, s.to_ascii_lowercase())
            }
            other => case.expect_json(field, *cat, other),
        }
    }
}

fn sorted_files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    files.sort();
    files
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Every Sekoia firewall and network-device product, one corpus per vendor.
pub(super) fn sekoia_firewalls(root: &Path) -> Vec<Case> {
    let products: &[(&'static str, &str)] = &[
        ("sekoia-fortigate", "Fortinet/fortigate"),
        ("sekoia-cisco-asa-ftd", "Cisco/cisco-secure-firewall"),
        ("sekoia-cisco-ios", "Cisco/cisco-ios"),
        ("sekoia-paloalto", "Palo Alto Networks/paloalto-ngfw"),
        ("sekoia-checkpoint", "Checkpoint/checkpoint"),
        ("sekoia-juniper", "Juniper/juniper-ngfw"),
        ("sekoia-cef", "CEF/cef"),
        ("sekoia-sophos", "Sophos/sophos firewall"),
        ("sekoia-sonicwall", "SonicWall/sonicwall-fw"),
        (
            "sekoia-stormshield",
            "Stormshield/stormshield_network_security",
        ),
        ("sekoia-watchguard", "WatchGuard/watchguard-firebox"),
        ("sekoia-openbsd-pf", "OpenBSD/openbsd-packet-filter"),
        ("sekoia-netfilter", "Netfilter/netfilter"),
    ];
    let mut cases = Vec::new();
    for (corpus, dir) in products {
        let dir = root.join("sekoia-intake-formats").join(dir).join("tests");
        for f in sorted_files(&dir, "json") {
            let v: Value = serde_json::from_str(&read(&f)).unwrap_or(Value::Null);
            let Some(input) = v.pointer("/input/message").and_then(Value::as_str) else {
                continue;
            };
            let mut c = Case::new(corpus, file_name(&f), input);
            expect_ecs(&mut c, &v["expected"]);
            cases.push(c);
        }
    }
    cases
}

/// Elastic's iptables pipeline test (condensed expected documents carry the raw line).
pub(super) fn elastic_iptables(root: &Path) -> Vec<Case> {
    let path = root.join(
        "elastic-integrations/packages/iptables/data_stream/log/_dev/test/pipeline/test-iptables-raw.log-expected.condensed.jsonl",
    );
    jsonl(&path)
        .iter()
        .enumerate()
        .filter_map(|(i, doc)| {
            let raw = doc.get("raw")?.as_str()?;
            let mut c = Case::new("elastic-iptables", format!("line {}", i + 1), raw);
            expect_ecs(&mut c, doc);
            Some(c)
        })
        .collect()
}

/// Elastic's OPNsense pipeline test: expected documents and the lines that produced them.
pub(super) fn elastic_pfsense(root: &Path) -> Vec<Case> {
    let dir = root.join("elastic-integrations/packages/pfsense/data_stream/log/_dev/test/pipeline");
    let lines = read(&dir.join("test-opensense.log.matching-expected"));
    let expected: Value =
        serde_json::from_str(&read(&dir.join("test-opensense.log-expected.json")))
            .unwrap_or(Value::Null);
    let docs = expected["expected"].as_array().cloned().unwrap_or_default();
    lines
        .lines()
        .zip(docs.iter().filter(|d| !d.is_null()))
        .enumerate()
        .map(|(i, (line, doc))| {
            let mut c = Case::new("elastic-pfsense", format!("line {}", i + 1), line);
            expect_ecs(&mut c, doc);
            c
        })
        .collect()
}

/// logstash-patterns-core grok vectors (ECS mode) for Cisco ASA, Junos RT_FLOW and netfilter
/// (SuSE firewall, Shorewall). The ASA vectors test the text after the tag, sometimes with the tag
/// and sometimes without `%`; we give each the tag a device sends, trying the ids the pattern
/// covers (`CISCOFW106006_106007_106010`) and keeping the one our parser recognises.
pub(super) fn logstash_firewalls(root: &Path) -> Vec<Case> {
    let dir = root.join("logstash-patterns-core/spec/patterns");
    let mut cases = Vec::new();
    for file in [
        "firewalls_spec.vectors.jsonl",
        "junos_spec.vectors.jsonl",
        "shorewall_spec.vectors.jsonl",
    ] {
        for v in jsonl(&dir.join(file)) {
            if v["pattern_mode"] != "ecs-v1" {
                continue;
            }
            let (Some(pattern), Some(input)) = (v["pattern"].as_str(), v["input"].as_str()) else {
                continue;
            };
            let (corpus, input) = if let Some(ids) = pattern.strip_prefix("CISCOFW") {
                ("logstash-cisco-asa", asa_line(ids, input))
            } else if pattern.starts_with("RT_FLOW") {
                ("logstash-junos", input.to_owned())
            } else if pattern == "SFW2" || pattern == "SHOREWALL" {
                ("logstash-netfilter", input.to_owned())
            } else {
                continue;
            };
            let Some(checks) = v["checks"].as_array() else {
                continue;
            };
            let mut c = Case::new(
                corpus,
                format!("{pattern} line {}", v["source_line"]),
                input,
            );
            for check in checks {
                if check["matcher"] == "include" && check["expected"].is_object() {
                    expect_ecs(&mut c, &check["expected"]);
                }
            }
            if !c.expects.is_empty() {
                cases.push(c);
            }
        }
    }
    cases
}

/// An ASA line as a device sends it, from a vector's text and the ids its pattern covers.
fn asa_line(ids: &str, input: &str) -> String {
    let input = input.trim();
    if input.starts_with('%') {
        return input.to_owned();
    }
    if input.starts_with("ASA-") || input.starts_with("PIX-") {
        return format!("%{input}");
    }
    // `302020: Built ...` or `6|Nov 28 2014 12:59:03|302021: Teardown ...`: an id without tag.
    let text = input.rsplit('|').next().unwrap_or(input);
    if let Some((id, rest)) = text.split_once(": ")
        && id.len() == 6
        && id.bytes().all(|b| b.is_ascii_digit())
    {
        return format!("%ASA-6-{id}: {rest}");
    }
    let mut best = format!("%ASA-6-{}: {input}", ids.split('_').next().unwrap_or(""));
    for id in ids.split('_') {
        let line = format!("%ASA-6-{id}: {input}");
        let mut ev = canhgac_parsers::Event::default();
        let ctx = canhgac_parsers::ParseContext::new(0);
        canhgac_parsers::parse_record(&line, &ctx, &mut ev);
        if ev.src_ip.is_some() || ev.user.is_some() || ev.rule_name.is_some() {
            best = line;
            break;
        }
    }
    best
}

/// Graylog's CEF fixtures: header fields and extensions, with network keys as columns.
pub(super) fn graylog_cef(root: &Path) -> Vec<Case> {
    let dir = root.join("graylog/graylog2-server/src/test/resources/fixtures");
    let mut cases = Vec::new();
    for f in sorted_files(&dir, "json") {
        // The fixtures contain `//` comment lines.
        let text: String = read(&f)
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let Ok(v) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        let Some(input) = v["testString"].as_str() else {
            continue;
        };
        let mut c = Case::new("graylog-cef", file_name(&f), input);
        for (key, field) in [
            ("deviceVendor", "field:device_vendor"),
            ("deviceProduct", "field:device_product"),
            ("deviceVersion", "field:device_version"),
            ("deviceEventClassId", "field:signature_id"),
            ("name", "field:name"),
            ("severity", "field:cef_severity"),
        ] {
            c.expect_json(field, Cat::Extra, v.get(key));
        }
        if let Some(ext) = v["extensions"].as_object() {
            for (key, value) in ext {
                let (field, cat) = match key.as_str() {
                    "src" => ("src_ip".to_owned(), Cat::Network),
                    "dst" => ("dst_ip".to_owned(), Cat::Network),
                    "spt" => ("src_port".to_owned(), Cat::Network),
                    "dpt" => ("dst_port".to_owned(), Cat::Network),
                    "suser" => ("user".to_owned(), Cat::Identity),
                    "sourceTranslatedAddress" => ("nat_src_ip".to_owned(), Cat::Network),
                    "destinationTranslatedAddress" => ("nat_dst_ip".to_owned(), Cat::Network),
                    "sourceTranslatedPort" => ("field:nat_src_port".to_owned(), Cat::Network),
                    "destinationTranslatedPort" => ("field:nat_dst_port".to_owned(), Cat::Network),
                    "proto" => ("protocol".to_owned(), Cat::Network),
                    // Keys the schema has a column for.
                    "msg" => ("message".to_owned(), Cat::Extra),
                    "dvchost" => ("device_host".to_owned(), Cat::Extra),
                    "in" => ("bytes_in".to_owned(), Cat::Extra),
                    "out" => ("bytes_out".to_owned(), Cat::Extra),
                    "deviceInboundInterface" => ("in_iface".to_owned(), Cat::Extra),
                    "deviceOutboundInterface" => ("out_iface".to_owned(), Cat::Extra),
                    // Graylog writes the long name of `dvc`; we keep the key as sent.
                    "deviceAddress" => ("field:dvc".to_owned(), Cat::Extra),
                    // The syslog header's PRI, which Graylog reports among the extensions.
                    "level" => ("severity".to_owned(), Cat::Extra),
                    "facility" => ("facility".to_owned(), Cat::Extra),
                    // Timestamps are normalised by Graylog; we keep the text as sent.
                    "rt" | "start" | "end" => continue,
                    _ if key.contains("Date") || key.ends_with("_date") => continue,
                    k => (format!("field:{k}"), Cat::Extra),
                };
                c.expect_json(&field, cat, Some(value));
            }
        }
        cases.push(c);
    }
    cases
}

/// Where we deliberately differ from these corpora, and why.
pub(super) fn known_difference(
    case: &Case,
    field: &str,
    expected: &str,
    ours: &str,
) -> Option<&'static str> {
    let input = case.input.trim_start();
    let corpus = case.corpus;
    if field == "facility"
        && super::FACILITIES
            .iter()
            .position(|&f| f == expected)
            .map(|n| n.to_string())
            == Some(ours.to_owned())
    {
        return Some("the facility by name; the schema's `facility` column holds its number");
    }
    if field.contains("nat") && ours.is_empty() && matches!(expected, "0.0.0.0" | "0" | "::") {
        return Some("the device writes 0.0.0.0 / 0 for \"no translation\"; we leave NAT empty");
    }
    if field.ends_with("port") && expected.parse::<u32>().is_ok_and(|p| p > 65535) {
        return Some("not a valid port number; kept in `fields`, not in a port column");
    }
    if field.ends_with("port") && expected == "0" && ours.is_empty() {
        return Some("port 0 is the device's \"no port\"; we leave the column empty");
    }
    if field.ends_with("ip")
        && let (Ok(a), Ok(b)) = (
            expected.parse::<std::net::IpAddr>(),
            ours.parse::<std::net::IpAddr>(),
        )
        && a == b
    {
        return Some(
            "the same address: we store the canonical text (RFC 5952) so equal addresses compare equal",
        );
    }
    if corpus.starts_with("sekoia")
        && field == "user"
        && expected.starts_with(ours)
        && expected[ours.len()..].starts_with('@')
    {
        return Some(
            "`user@domain` is split as `DOMAIN\\user` is (account in `user`, domain in `fields.user_domain`, the whole name in `fields.user_principal`); Sekoia splits it for WatchGuard and PAN-OS JSON, not for this format",
        );
    }
    if field == "user"
        && ours.is_empty()
        && matches!(
            expected,
            "No Authentication Required" | "Not Found" | "Unknown" | "Pending"
        )
    {
        return Some(
            "FTD's words for \"no identity\" are kept in `fields.User`; as an account name they would count every unauthenticated connection as one user",
        );
    }
    if corpus.starts_with("sekoia") && field == "user" && !ours.is_empty() && input.contains('\n') {
        let (first, later) = input.split_once('\n').unwrap_or((input, ""));
        if later.contains(expected) && !first.contains(expected) {
            return Some(
                "the case's input is two records joined by a line break; Sekoia takes the user from the second, a line-framed collector reads the first on its own",
            );
        }
    }
    if !ours.is_empty() && expected.starts_with(ours) && expected[ours.len()..].contains('=') {
        return Some(
            "the expected value runs on over the following key=value pairs (a quoted value misread); ours ends at the quote",
        );
    }
    if corpus == "sekoia-stormshield"
        && field.contains("nat")
        && ours.is_empty()
        && !input.contains("nat")
    {
        return Some(
            "Sekoia copies the source into destination.nat; the record names no translation",
        );
    }
    match (corpus, field) {
        ("sekoia-cisco-asa-ftd", "src_ip" | "nat_src_ip")
            if input.contains("IPv4 Address <") || input.contains("IPv6 address <") =>
        {
            Some(
                "722051 `IP <public> IPv4 Address <assigned>`: the client's public address is the source (as in Sekoia's own FTD case); the assigned tunnel address is `fields.assigned_ip`",
            )
        }
        ("sekoia-cisco-ios", "src_port" | "dst_port") if input.contains("[localport: ") => Some(
            "`localport` is the device's own port, the destination of the login, not the client's source port",
        ),
        (
            "logstash-cisco-asa",
            "src_ip" | "dst_ip" | "src_port" | "dst_port" | "nat_src_ip" | "field:nat_src_port"
            | "nat_dst_ip" | "field:nat_dst_port",
        ) if input.contains(" outbound ") || input.contains("faddr") => Some(
            "logstash keeps the message's order (the `for`/`faddr` side first); we make the initiator the source: the `to` side of an outbound connection, the foreign address of an inbound ICMP one (as Elastic's and Sekoia's parsers do)",
        ),
        ("elastic-pfsense", _) if !input.contains("filterlog") => Some(
            "dhcpd and unbound service logs are not filter logs; there is no parser for them yet",
        ),
        _ => None,
    }
}
