//! The built-in pack: loads whole, fires on the samples' attacks, stays quiet on normal traffic.

use std::collections::BTreeSet;

use super::{detect, sample_lines, stamp};

/// The attackers the sample generator uses.
const ATTACKERS: &[&str] = &[
    "185.220.101.47",
    "45.155.205.233",
    "103.145.13.102",
    "2a0d:5600:24:b0::7",
];

fn pack() -> canhgac_rules::RuleSet {
    let (set, failures) = canhgac_rules::builtin_pack().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        failures.is_empty(),
        "pack rules failed to load: {failures:#?}"
    );
    set
}

fn titles(alerts: &[canhgac_rules::Alert]) -> BTreeSet<String> {
    alerts.iter().map(|a| a.title.clone()).collect()
}

fn assert_fired(alerts: &[canhgac_rules::Alert], expected: &[&str]) {
    let t = titles(alerts);
    for title in expected {
        assert!(t.contains(*title), "{title} did not fire; fired: {t:?}");
    }
}

/// Every alert grouped by source names one of the samples' attackers.
fn assert_from_attackers(alerts: &[canhgac_rules::Alert]) {
    for a in alerts {
        if let Some(ip) = a.group_by.get("src_ip") {
            assert!(ATTACKERS.contains(&ip.as_str()), "{} from {ip}", a.title);
        }
    }
}

#[test]
fn every_pack_rule_loads() {
    let set = pack();
    assert_eq!(set.rules.len(), 25);
    assert_eq!(set.correlations.len(), 13);
    // Alert ids are derived from rule ids: two rules with one id would merge their alerts.
    let ids: Vec<&str> = set
        .rules
        .iter()
        .map(|r| r.meta.id.as_str())
        .chain(set.correlations.iter().map(|c| c.meta.id.as_str()))
        .collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "a rule id is used twice");
}

#[test]
fn linux_attacks_fire_and_name_the_attackers() {
    let alerts = detect(pack(), &sample_lines("linux/auth.log"));
    assert_fired(
        &alerts,
        &[
            "SSH brute force from one source",
            "SSH password spraying from one source",
            "Sudo attempted by a user not in sudoers",
        ],
    );
    for a in alerts
        .iter()
        .filter(|a| a.title.starts_with("SSH brute force"))
    {
        let ip = a.group_by.get("src_ip").cloned().unwrap_or_default();
        assert!(ATTACKERS.contains(&ip.as_str()), "brute force from {ip}");
        assert!(a.count >= 10 && !a.evidence.is_empty());
        assert!(a.techniques.contains(&"T1110.001".to_owned()));
    }
    // Helper rules feed correlations only.
    assert!(!titles(&alerts).contains("SSH authentication failure"));
}

#[test]
fn firewall_attacks_fire_across_vendors() {
    let mut lines = sample_lines("firewall/fortigate.log");
    lines.extend(sample_lines("firewall/cisco-asa.log"));
    lines.extend(sample_lines("firewall/iptables.log"));
    let alerts = detect(pack(), &lines);
    assert_fired(
        &alerts,
        &[
            "Port scan from one source",
            "VPN brute force against the firewall",
        ],
    );
    assert_from_attackers(&alerts);
}

#[test]
fn mail_and_ftp_attacks_fire_and_name_the_attackers() {
    let alerts = detect(pack(), &sample_lines("linux/mail-ftp.log"));
    assert_fired(
        &alerts,
        &[
            "Mail password guessing from one source",
            "FTP password guessing from one source",
            "FTP login succeeded after password guessing",
            "Server-side script uploaded over FTP",
        ],
    );
    // The FTP server wrote `::ffff:103.145.13.102`: one attacker, one address.
    assert_from_attackers(&alerts);
}

#[test]
fn web_attacks_fire_and_name_the_attackers() {
    let alerts = detect(pack(), &sample_lines("linux/web.log"));
    assert_fired(
        &alerts,
        &[
            "Web vulnerability scanner or attack tool",
            "Request for a sensitive file or path traversal on a web server",
            "HTTP password guessing from one source",
        ],
    );
    assert_from_attackers(&alerts);
    for a in &alerts {
        let sources: BTreeSet<&str> = a
            .evidence
            .iter()
            .filter_map(|e| e.src_ip.as_deref())
            .collect();
        assert!(
            sources.iter().all(|s| ATTACKERS.contains(s)),
            "{} on {sources:?}",
            a.title
        );
    }
}

#[test]
fn sensor_dns_and_proxy_attacks_fire() {
    let mut lines = sample_lines("firewall/suricata.log");
    lines.extend(sample_lines("linux/dns-proxy.log"));
    let alerts = detect(pack(), &lines);
    assert_fired(
        &alerts,
        &[
            "High-priority intrusion detection alert",
            "DNS zone transfer refused to an unknown client",
        ],
    );
    assert_from_attackers(&alerts);
}

#[test]
fn normal_traffic_stays_quiet() {
    let mut lines = sample_lines("linux/auth.log");
    lines.extend(sample_lines("linux/mail-ftp.log"));
    lines.extend(sample_lines("linux/web.log"));
    lines.extend(sample_lines("linux/dns-proxy.log"));
    lines.extend(sample_lines("firewall/suricata.log"));
    lines.extend(sample_lines("firewall/fortigate.log"));
    lines.extend(sample_lines("firewall/cisco-asa.log"));
    lines.extend(sample_lines("firewall/iptables.log"));
    let normal: Vec<String> = lines
        .into_iter()
        .filter(|l| !ATTACKERS.iter().any(|a| l.contains(a)))
        .filter(|l| {
            !l.contains("NOT in sudoers")
                && !l.contains("useradd")
                && !l.contains("usermod")
                && !l.contains("groupadd")
        })
        .collect();
    assert!(normal.len() > 3000);
    let alerts = detect(pack(), &normal);
    assert!(
        alerts.is_empty(),
        "alerts on normal traffic: {:#?}",
        titles(&alerts)
    );
}

#[test]
fn replay_gives_the_same_alert_ids() {
    let lines = sample_lines("linux/auth.log");
    let ids =
        |alerts: Vec<canhgac_rules::Alert>| alerts.into_iter().map(|a| a.id).collect::<Vec<_>>();
    let first = ids(detect(pack(), &lines));
    assert!(!first.is_empty());
    assert_eq!(first, ids(detect(pack(), &lines)));
}

/// A brute force followed by a success from the same address is critical; a user who mistypes
/// once and then logs in is not.
#[test]
fn success_after_brute_force() {
    let start = 1_795_687_200;
    let mut lines: Vec<String> = (0..12)
        .map(|i| {
            format!(
                "<86>{} h1 sshd[1]: Failed password for root from 203.0.113.66 port 4{i:04} ssh2",
                stamp(start + i)
            )
        })
        .collect();
    lines.push(format!(
        "<86>{} h1 sshd[1]: Accepted password for root from 203.0.113.66 port 50000 ssh2",
        stamp(start + 60)
    ));
    lines.push(format!(
        "<86>{} h2 sshd[2]: Failed password for an from 10.0.0.8 port 40000 ssh2",
        stamp(start + 70)
    ));
    lines.push(format!(
        "<86>{} h2 sshd[2]: Accepted password for an from 10.0.0.8 port 40001 ssh2",
        stamp(start + 80)
    ));
    let alerts = detect(pack(), &lines);
    let critical: Vec<_> = alerts.iter().filter(|a| a.level == "critical").collect();
    assert_eq!(critical.len(), 1, "{:#?}", titles(&alerts));
    assert_eq!(critical[0].title, "SSH login succeeded after a brute force");
    assert_eq!(
        critical[0].group_by.get("src_ip").map(String::as_str),
        Some("203.0.113.66")
    );
    // The brute force alerts on its own too; plain successful logins do not.
    assert!(titles(&alerts).contains("SSH brute force from one source"));
    assert!(!titles(&alerts).contains("SSH authentication success"));
}

/// rsyslog folds identical failures into `message repeated N times: [...]`: that row counts N
/// times towards the brute-force threshold (ten), so one failure and a fold of nine fire it.
#[test]
fn a_folded_repeat_counts_as_its_repetitions() {
    let start = 1_795_687_200;
    let first = format!(
        "<86>{} h1 sshd[1]: Failed password for root from 203.0.113.66 port 40000 ssh2",
        stamp(start)
    );
    let folded = |n: u32| {
        format!(
            "<86>{} h1 sshd[1]: message repeated {n} times: [ Failed password for root from 203.0.113.66 port 40000 ssh2]",
            stamp(start + 30)
        )
    };
    let brute = "SSH brute force from one source";
    let alerts = detect(pack(), &[first.clone(), folded(9)]);
    assert!(titles(&alerts).contains(brute), "{:#?}", titles(&alerts));
    // Eight repetitions and the first make nine: below the threshold.
    let alerts = detect(pack(), &[first, folded(8)]);
    assert!(!titles(&alerts).contains(brute), "{:#?}", titles(&alerts));
}

/// Administrator logins from public addresses, on FortiGate and ASA; private ones stay quiet.
#[test]
fn firewall_admin_login_from_public_address() {
    let lines = [
        r#"date=2026-11-26 time=10:00:00 devname="FGT" devid="FG1" logid="0100032001" type="event" subtype="system" level="information" logdesc="Admin login successful" user="admin" ui="https(203.0.113.77)" srcip=203.0.113.77 action="login" status="success" msg="Administrator admin logged in successfully from https(203.0.113.77)""#,
        r#"date=2026-11-26 time=10:00:01 devname="FGT" devid="FG1" logid="0100032001" type="event" subtype="system" level="information" logdesc="Admin login successful" user="admin" ui="https(10.0.0.50)" srcip=10.0.0.50 action="login" status="success" msg="Administrator admin logged in successfully from https(10.0.0.50)""#,
        "<166>Nov 26 2026 10:00:02: %ASA-6-605005: Login permitted from 198.51.100.9/51000 to outside:203.0.113.1/ssh for user \"admin\"",
        "<166>Nov 26 2026 10:00:03: %ASA-6-605005: Login permitted from 10.0.0.50/51000 to inside:10.0.0.1/ssh for user \"admin\"",
    ]
    .map(str::to_owned);
    let alerts = detect(pack(), &lines);
    let sources: Vec<_> = alerts
        .iter()
        .filter(|a| a.title.contains("from a public address"))
        .filter_map(|a| a.evidence[0].src_ip.clone())
        .collect();
    assert_eq!(sources, ["203.0.113.77", "198.51.100.9"]);
}
