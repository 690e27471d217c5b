//! Login sessions and privilege prompts outside sshd: systemd-logind (`New session 12 of user
//! an.`, `Removed session 12.`) and polkit (`Operator of unix-session:12 FAILED to authenticate
//! to gain authorization for action ... (owned by unix-user:an)`). A session opened at the
//! console or by a desktop login shows up only here.

use std::sync::LazyLock;

use crate::event::{FAILURE, SUCCESS};
use crate::linux::{ProgramSentences, Sentence, Sentences, s};

pub(crate) const SENTENCES: &[Sentence] = &[
    s(
        "New session {session_id} of user {user}.",
        "session_opened",
        Some(SUCCESS),
    ),
    s("Removed session {session_id}.", "session_closed", None),
    s(
        "Session {session_id} logged out. Waiting for processes to exit.",
        "session_logged_out",
        None,
    ),
    s(
        "Operator of {subject} FAILED to authenticate to gain authorization for action {action_id} for {target} (owned by unix-user:{user})",
        "polkit_authentication",
        Some(FAILURE),
    ),
    s(
        "Operator of {subject} successfully authenticated as unix-user:{target_user} to gain {grant} authorization for action {action_id} for {target} (owned by unix-user:{user})",
        "polkit_authentication",
        Some(SUCCESS),
    ),
];

pub(crate) static SET: LazyLock<Sentences> = LazyLock::new(|| Sentences::new(SENTENCES));

/// systemd-logind and polkitd. Seats, power keys and idle notices are the daemon's other news:
/// kept as they are.
pub static LOGIND: ProgramSentences = ProgramSentences {
    programs: |app| matches!(app, "systemd-logind" | "polkitd" | "polkit-agent-helper-1"),
    sentences: &SET,
};

#[cfg(test)]
mod tests {
    use crate::firewall::test_support::parse;

    #[test]
    fn sessions_and_polkit() {
        let ev = parse("<86>Nov 28 10:00:00 web01 systemd-logind[555]: New session 12 of user an.");
        assert_eq!(ev.source_type, crate::SourceType::LinuxAuth);
        assert_eq!(ev.user.as_deref(), Some("an"));
        assert_eq!(ev.get_field("session_id"), Some("12"));
        assert_eq!(ev.get_field("event"), Some("session_opened"));
        let ev = parse("<86>Nov 28 10:00:00 web01 systemd-logind[555]: Removed session 12.");
        assert_eq!(ev.get_field("event"), Some("session_closed"));
        assert_eq!(ev.user, None);
        let ev = parse(
            "<86>Nov 28 10:00:00 web01 polkitd[777]: Operator of unix-session:12 FAILED to authenticate to gain authorization for action org.freedesktop.systemd1.manage-units for system-bus-name::1.99 [systemctl restart nginx] (owned by unix-user:an)",
        );
        assert_eq!(ev.user.as_deref(), Some("an"));
        assert_eq!(ev.outcome, Some("failure"));
        assert_eq!(
            ev.get_field("action_id"),
            Some("org.freedesktop.systemd1.manage-units")
        );
        let ev = parse(
            "<86>Nov 28 10:00:00 web01 systemd-logind[555]: Watching system buttons on /dev/input/event0 (Power Button)",
        );
        assert_eq!(ev.source_type, crate::SourceType::LinuxAuth);
        assert_eq!(ev.user, None);
    }
}
