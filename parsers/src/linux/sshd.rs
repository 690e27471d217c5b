//! OpenSSH server messages: logins, failures, invalid users, disconnects, brute-force symptoms.

use crate::event::{Event, FAILURE, SUCCESS, SourceType};
use std::sync::LazyLock;

use crate::linux::{Sentence, Sentences, s};
use crate::payload::PayloadParser;

/// sshd (also `sshd-session`, `sshd-auth` of OpenSSH 9.8+).
pub struct Sshd;

#[rustfmt::skip]
pub(crate) const SENTENCES: &[Sentence] = &[
    s("Accepted {method} for {user} from {src} port {src_port} {protocol}: {key}", "ssh_login", Some(SUCCESS)),
    s("Accepted {method} for {user} from {src} port {src_port} {protocol}", "ssh_login", Some(SUCCESS)),
    s("Accepted {method} for {user} from {src}", "ssh_login", Some(SUCCESS)),
    s("Accepted key {key} found at {file}", "ssh_key_accepted", Some(SUCCESS)),
    s("Accepted {method} for {user}", "ssh_login", Some(SUCCESS)),
    s("Failed {method} for invalid user {user?} from {src} port {src_port} {protocol}", "ssh_login", Some(FAILURE)),
    s("Failed {method} for {user} from {src} port {src_port} {protocol}", "ssh_login", Some(FAILURE)),
    s("Failed {method} for {user} from {src}", "ssh_login", Some(FAILURE)),
    s("Invalid user {user?} from {src} port {src_port}", "ssh_invalid_user", Some(FAILURE)),
    s("Invalid user {user?} from {src}", "ssh_invalid_user", Some(FAILURE)),
    // OpenSSH before 3.8 said "illegal" where it now says "invalid".
    s("Illegal user {user?} from {src} port {src_port}", "ssh_invalid_user", Some(FAILURE)),
    s("Illegal user {user?} from {src}", "ssh_invalid_user", Some(FAILURE)),
    s("Failed {method} for illegal user {user?} from {src} port {src_port} {protocol}", "ssh_login", Some(FAILURE)),
    s("input_userauth_request: invalid user {user?}", "ssh_invalid_user", Some(FAILURE)),
    s("User {user} from {src} not allowed because {reason}", "ssh_login", Some(FAILURE)),
    s("User {user} not allowed because {reason}", "ssh_login", Some(FAILURE)),
    s("error: maximum authentication attempts exceeded for invalid user {user?} from {src} port {src_port} {protocol}", "ssh_max_auth_tries", Some(FAILURE)),
    s("error: maximum authentication attempts exceeded for {user} from {src} port {src_port} {protocol}", "ssh_max_auth_tries", Some(FAILURE)),
    s("Disconnecting authenticating user {user} {src} port {src_port}: Too many authentication failures", "ssh_max_auth_tries", Some(FAILURE)),
    s("Disconnecting invalid user {user?} {src} port {src_port}: Too many authentication failures", "ssh_max_auth_tries", Some(FAILURE)),
    s("Disconnecting authenticating user {user} {src} port {src_port}: {reason}", "ssh_disconnect", None),
    s("Disconnecting invalid user {user?} {src} port {src_port}: {reason}", "ssh_disconnect", None),
    s("Disconnecting user {user} {src} port {src_port}: {reason}", "ssh_disconnect", None),
    s("Disconnecting: Too many authentication failures for invalid user {user?} from {src} port {src_port} {protocol}", "ssh_max_auth_tries", Some(FAILURE)),
    s("Disconnecting: Too many authentication failures for {user} from {src} port {src_port} {protocol}", "ssh_max_auth_tries", Some(FAILURE)),
    s("Disconnecting: Too many authentication failures for {user}", "ssh_max_auth_tries", Some(FAILURE)),
    s("error: PAM: Authentication failure for illegal user {user} from {src}", "ssh_login", Some(FAILURE)),
    s("error: PAM: Authentication failure for {user} from {src}", "ssh_login", Some(FAILURE)),
    s("error: PAM: User not known to the underlying authentication module for illegal user {user} from {src}", "ssh_invalid_user", Some(FAILURE)),
    s("Connection closed by authenticating user {user} {src} port {src_port}", "ssh_disconnect", None),
    s("Connection closed by invalid user {user?} {src} port {src_port}", "ssh_disconnect", None),
    s("Connection closed by illegal user {user?} {src} port {src_port}", "ssh_disconnect", None),
    s("Connection closed by user {user} {src} port {src_port}", "ssh_disconnect", None),
    // An empty user name written with one space (some relays squeeze the two).
    s("Connection closed by invalid user {src} port {src_port}", "ssh_disconnect", None),
    s("Connection closed by illegal user {src} port {src_port}", "ssh_disconnect", None),
    s("Connection closed by {src} port {src_port}", "ssh_disconnect", None),
    s("Connection closed by {src}", "ssh_disconnect", None),
    s("Connection reset by authenticating user {user} {src} port {src_port}", "ssh_disconnect", None),
    s("Connection reset by invalid user {user?} {src} port {src_port}", "ssh_disconnect", None),
    s("Connection reset by {src} port {src_port}", "ssh_disconnect", None),
    s("Connection reset by {src}", "ssh_disconnect", None),
    s("Disconnected from authenticating user {user} {src} port {src_port}", "ssh_disconnect", None),
    s("Disconnected from invalid user {user?} {src} port {src_port}", "ssh_disconnect", None),
    s("Disconnected from illegal user {user?} {src} port {src_port}", "ssh_disconnect", None),
    s("Disconnected from user {user} {src} port {src_port}", "ssh_disconnect", None),
    s("Disconnected from invalid user {src} port {src_port}", "ssh_disconnect", None),
    s("Disconnected from illegal user {src} port {src_port}", "ssh_disconnect", None),
    s("Disconnected from {src} port {src_port}", "ssh_disconnect", None),
    s("Received disconnect from {src} port {src_port}:{code}: {reason}", "ssh_disconnect", None),
    s("Received disconnect from {src} port {src_port}:{code}:{reason?}", "ssh_disconnect", None),
    s("Received disconnect from {src}: {code}: {reason}", "ssh_disconnect", None),
    s("Received disconnect from {src}:{code}:{reason?}", "ssh_disconnect", None),
    s("Did not receive identification string from {src} port {src_port}", "ssh_no_identification", None),
    s("Did not receive identification string from {src}", "ssh_no_identification", None),
    s("Timeout before authentication for {src} port {src_port}", "ssh_timeout", None),
    s("Timeout before authentication for {src}", "ssh_timeout", None),
    s("fatal: Timeout before authentication for {src} port {src_port}", "ssh_timeout", None),
    s("ssh_dispatch_run_fatal: Connection from authenticating user {user} {src} port {src_port}: {reason}", "ssh_fatal", None),
    s("ssh_dispatch_run_fatal: Connection from invalid user {user?} {src} port {src_port}: {reason}", "ssh_fatal", None),
    s("ssh_dispatch_run_fatal: Connection from {src} port {src_port}: {reason}", "ssh_fatal", None),
    s("reverse mapping checking getaddrinfo for {src_host} [{src}] failed - POSSIBLE BREAK-IN ATTEMPT!", "ssh_reverse_mapping_failed", None),
    s("reverse mapping checking getaddrinfo for {src_host} [{src}] failed.", "ssh_reverse_mapping_failed", None),
    s("Address {src} maps to {src_host}, but this does not map back to the address - POSSIBLE BREAK-IN ATTEMPT!", "ssh_reverse_mapping_failed", None),
    s("Connection from {src} port {src_port} on {dst} port {dst_port} rdomain {rdomain?}", "ssh_connection", None),
    s("Connection from {src} port {src_port} on {dst} port {dst_port}", "ssh_connection", None),
    s("Connection from {src} port {src_port}", "ssh_connection", None),
    s("Unable to negotiate with {src} port {src_port}: {reason}", "ssh_negotiation_failed", None),
    s("Bad protocol version identification {version} from {src} port {src_port}", "ssh_bad_protocol", None),
    s("Bad protocol version identification {version} from {src}", "ssh_bad_protocol", None),
    s("banner exchange: Connection from {src} port {src_port}: {reason}", "ssh_bad_protocol", None),
    s("Postponed {method} for {user} from {src} port {src_port} {protocol}", "ssh_postponed", None),
    s("Server listening on {dst} port {dst_port}.", "ssh_listening", None),
    s("subsystem request for {subsystem} by user {user}", "ssh_subsystem", None),
    s("Starting session: {session} for {user} from {src} port {src_port} id {session_id}", "ssh_session", None),
    s("Starting session: {session}", "ssh_session", None),
    // Generic sentences last; GENERIC counts them.
    s("fatal: {reason}", "ssh_fatal", None),
    s("error: {reason}", "ssh_error", None),
];

pub(crate) static SET: LazyLock<Sentences> = LazyLock::new(|| Sentences::new(SENTENCES));

/// How many catch-all sentences end [`SENTENCES`].
const GENERIC: usize = 2;

impl PayloadParser for Sshd {
    fn source_type(&self) -> SourceType {
        SourceType::LinuxAuth
    }

    fn claims(&self, app: Option<&str>, message: &str) -> bool {
        match app {
            Some(app) => {
                matches!(app, "sshd" | "sshd-session" | "sshd-auth")
                    && !message.trim_start().starts_with("pam_")
            }
            // Without a header, sshd's own sentences identify it (not the generic error/fatal ones).
            None => {
                let m = message.trim();
                let m = m.strip_suffix("[preauth]").map_or(m, str::trim_end);
                SET.matches(m, SENTENCES.len() - GENERIC)
            }
        }
    }

    fn parse<'a>(&self, message: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        let mut m = message.trim();
        if let Some(stripped) = m.strip_suffix("[preauth]") {
            ev.field("preauth", "true");
            m = stripped.trim_end();
        }
        // An sshd sentence we have no template for is still a known source, kept whole.
        SET.apply(m, ev);
        Ok(())
    }
}
