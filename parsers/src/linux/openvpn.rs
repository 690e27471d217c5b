//! OpenVPN servers, alone or behind pfSense and OPNsense (`openvpn[1234]:`,
//! `openvpn_server1[1234]:`): logins, failed logins and tunnels up and down. A VPN is the door
//! most attacks on a remote workforce knock on, and its failures are a brute force's trail.

use std::sync::LazyLock;

use crate::event::{FAILURE, SUCCESS};
use crate::linux::{ProgramSentences, Sentence, Sentences, s};

pub(crate) const SENTENCES: &[Sentence] = &[
    s(
        "{src}:{src_port} TLS Auth Error: Auth Username/Password verification failed for peer",
        "auth_failure",
        Some(FAILURE),
    ),
    s(
        "{src}:{src_port} TLS Auth Error: {reason}",
        "auth_failure",
        Some(FAILURE),
    ),
    s(
        "{src}:{src_port} WARNING: Failed running command (--auth-user-pass-verify): {reason}",
        "auth_failure",
        Some(FAILURE),
    ),
    s(
        "{src}:{src_port} PLUGIN_CALL: plugin function PLUGIN_AUTH_USER_PASS_VERIFY failed with status {status}: {plugin}",
        "auth_failure",
        Some(FAILURE),
    ),
    // pfSense's and OPNsense's authentication scripts.
    s(
        "user '{user}' could not authenticate{*}",
        "auth_failure",
        Some(FAILURE),
    ),
    s(
        "user '{user}' authenticated{*}",
        "auth_success",
        Some(SUCCESS),
    ),
    s(
        "openvpn server '{server}' user '{user}' address '{src}:{src_port}' - connected",
        "session_opened",
        Some(SUCCESS),
    ),
    s(
        "openvpn server '{server}' user '{user}' address '{src}:{src_port}' - disconnected",
        "session_closed",
        None,
    ),
    s(
        "{src}:{src_port} [{user}] Peer Connection Initiated with {peer}",
        "session_opened",
        Some(SUCCESS),
    ),
    s(
        "{user}/{src}:{src_port} MULTI_sva: pool returned IPv4={assigned_ip}, IPv6={assigned_ipv6}",
        "address_assigned",
        None,
    ),
    s(
        "{user}/{src}:{src_port} SIGTERM[soft,remote-exit] received, client-instance exiting",
        "session_closed",
        None,
    ),
];

pub(crate) static SET: LazyLock<Sentences> = LazyLock::new(|| Sentences::new(SENTENCES));

/// OpenVPN server logs (`openvpn`, OPNsense's `openvpn_server1`). Most of a server's lines are
/// routine (keys, routes, pings) and kept as they are.
pub static OPENVPN: ProgramSentences = ProgramSentences {
    programs: |app| app.starts_with("openvpn"),
    sentences: &SET,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::SourceType;
    use crate::firewall::test_support::parse;

    #[test]
    fn logins_failures_and_tunnels() {
        // (line, user, source, outcome)
        let cases = [
            (
                "Nov 28 10:00:00 pfsense openvpn[12345]: 198.51.100.7:51234 TLS Auth Error: Auth Username/Password verification failed for peer",
                None,
                Some("198.51.100.7"),
                Some(FAILURE),
            ),
            (
                "Nov 28 10:00:01 pfsense openvpn[5]: user 'bad' could not authenticate.",
                Some("bad"),
                None,
                Some(FAILURE),
            ),
            (
                "Nov 28 10:00:02 pfsense openvpn: user 'an' authenticated",
                Some("an"),
                None,
                Some(SUCCESS),
            ),
            (
                "Nov 28 10:00:03 pfsense openvpn: openvpn server 'ovpns1' user 'an' address '203.0.113.5:59432' - connected",
                Some("an"),
                Some("203.0.113.5"),
                Some(SUCCESS),
            ),
            (
                "Nov 28 10:00:04 vpn01 openvpn_server1[123]: 203.0.113.5:1194 [an] Peer Connection Initiated with [AF_INET]203.0.113.5:1194",
                Some("an"),
                Some("203.0.113.5"),
                Some(SUCCESS),
            ),
        ];
        for (line, user, src, outcome) in cases {
            let ev = parse(line);
            assert_eq!(ev.source_type, SourceType::LinuxAuth, "{line}");
            assert_eq!(ev.user.as_deref(), user, "{line}");
            assert_eq!(ev.src_ip.as_deref(), src, "{line}");
            assert_eq!(ev.outcome, outcome, "{line}");
        }
        // Routine lines stay plain.
        let ev = parse("Nov 28 10:00:05 pfsense openvpn[1]: Initialization Sequence Completed");
        assert_eq!(ev.outcome, None);
        assert_eq!(ev.user, None);
    }
}
