//! The built-in pack: loads whole, fires on the samples' attacks, stays quiet on normal traffic.

use std::collections::BTreeSet;

use super::{detect, sample_lines};

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

#[test]
fn every_pack_rule_loads() {
    let set = pack();
    assert_eq!(set.rules.len(), 10);
    assert_eq!(set.correlations.len(), 6);
}

#[test]
fn linux_attacks_fire_and_name_the_attackers() {
    let alerts = detect(pack(), &sample_lines("linux/auth.log"));
    let t = titles(&alerts);
    for expected in [
        "SSH brute force from one source",
        "SSH password spraying from one source",
        "Sudo attempted by a user not in sudoers",
    ] {
        assert!(
            t.contains(expected),
            "{expected} did not fire; fired: {t:?}"
        );
    }
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
    assert!(!t.contains("SSH authentication failure"));
}

#[test]
fn firewall_attacks_fire_across_vendors() {
    let mut lines = sample_lines("firewall/fortigate.log");
    lines.extend(sample_lines("firewall/cisco-asa.log"));
    lines.extend(sample_lines("firewall/iptables.log"));
    let alerts = detect(pack(), &lines);
    let t = titles(&alerts);
    for expected in [
        "Port scan from one source",
        "VPN brute force against the firewall",
    ] {
        assert!(
            t.contains(expected),
            "{expected} did not fire; fired: {t:?}"
        );
    }
    for a in &alerts {
        if let Some(ip) = a.group_by.get("src_ip") {
            assert!(ATTACKERS.contains(&ip.as_str()), "{} from {ip}", a.title);
        }
    }
}

#[test]
fn normal_traffic_stays_quiet() {
    let mut lines = sample_lines("linux/auth.log");
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
