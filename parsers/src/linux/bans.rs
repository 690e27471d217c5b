//! Daemons that ban attacking addresses: fail2ban (`fail2ban.actions[1234]: NOTICE [sshd] Ban
//! 203.0.113.9`) and sshguard (`Attack from "203.0.113.9" on service SSH with danger 10.`,
//! `Blocking "203.0.113.9/32" for 120 secs ...`). A ban says which address a host itself already
//! judged hostile, and which service it went after.

use std::sync::LazyLock;

use crate::linux::{ProgramSentences, Sentence, Sentences, s};

pub(crate) const SENTENCES: &[Sentence] = &[
    s("{level} [{jail}] Ban {src}", "address_banned", None),
    s("{level} [{jail}] Restore Ban {src}", "address_banned", None),
    s("{level} [{jail}] Unban {src}", "address_unbanned", None),
    s(
        "{level} [{jail}] Found {src} - {when}",
        "ban_filter_match",
        None,
    ),
    s("{level} [{jail}] Found {src}", "ban_filter_match", None),
    s(
        "Attack from \"{src}\" on service {service} with danger {danger}.",
        "attack_detected",
        None,
    ),
    s(
        "Blocking \"{src}/{prefix}\" for {seconds} secs {detail}",
        "address_banned",
        None,
    ),
    s(
        "Blocking \"{src}\" for {seconds} secs {detail}",
        "address_banned",
        None,
    ),
];

pub(crate) static SET: LazyLock<Sentences> = LazyLock::new(|| Sentences::new(SENTENCES));

/// fail2ban and sshguard. Start-up and configuration news is kept as it is.
pub static BANS: ProgramSentences = ProgramSentences {
    programs: |app| app == "sshguard" || app.starts_with("fail2ban"),
    sentences: &SET,
};

#[cfg(test)]
mod tests {
    use crate::firewall::test_support::parse;

    #[test]
    fn fail2ban_and_sshguard() {
        let ev = parse(
            "<38>Nov 28 10:00:00 web01 fail2ban.actions[1234]: NOTICE [sshd] Ban 203.0.113.9",
        );
        assert_eq!(ev.source_type, crate::SourceType::LinuxAuth);
        assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.9"));
        assert_eq!(ev.get_field("jail"), Some("sshd"));
        assert_eq!(ev.get_field("event"), Some("address_banned"));
        let ev = parse(
            "<38>Nov 28 10:00:00 web01 fail2ban.filter[1234]: INFO [sshd] Found 203.0.113.9 - 2026-11-28 10:00:00",
        );
        assert_eq!(ev.get_field("event"), Some("ban_filter_match"));
        let ev = parse(
            "<38>Nov 28 10:00:00 fw sshguard[123]: Blocking \"203.0.113.9/32\" for 120 secs (3 attacks in 5 secs, after 1 abuses over 5 secs.)",
        );
        assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.9"));
        assert_eq!(ev.get_field("seconds"), Some("120"));
        let ev = parse(
            "<38>Nov 28 10:00:00 fw sshguard[123]: Attack from \"203.0.113.9\" on service SSH with danger 10.",
        );
        assert_eq!(ev.get_field("event"), Some("attack_detected"));
        assert_eq!(ev.get_field("service"), Some("SSH"));
    }
}
