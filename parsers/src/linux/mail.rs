//! Mail servers: Dovecot's IMAP/POP3 logins and the verdicts of its password back ends, Postfix's
//! SMTP AUTH results, accepted clients and refused mail, and Exim's SMTP AUTH failures. Mailboxes
//! are, after SSH, the passwords most guessed on a government network, and a guessed one sends
//! phishing from a trusted address; these rows give each attempt its user, address and outcome.

use std::sync::LazyLock;

use crate::event::{Event, FAILURE, SUCCESS, SourceType};
use crate::linux::{Sentence, Sentences, s};
use crate::payload::{PayloadParser, base_app, canonical_ip, put_address, set_user};

/// Dovecot, Postfix (`smtpd`, `postscreen`, whatever its instance prefix) and Exim.
pub struct Mail;

impl PayloadParser for Mail {
    fn source_type(&self) -> SourceType {
        SourceType::Mail
    }

    fn claims(&self, app: Option<&str>, _message: &str) -> bool {
        app.is_some_and(|app| server_of(app).is_some())
    }

    fn parse<'a>(&self, message: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        let server = ev.app.as_deref().map(base_app).and_then(server_of);
        let message = message.trim();
        match server {
            Some(Server::Dovecot) => dovecot(message, ev),
            Some(Server::Postfix) => postfix(message, ev),
            Some(Server::Exim) => exim(message, ev),
            None => {}
        }
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum Server {
    Dovecot,
    Postfix,
    Exim,
}

/// Which server a tag's base name is. Postfix daemons log as `postfix/smtpd` (or under an
/// instance's own name, `postfix-out/smtpd`), so the base is the daemon.
fn server_of(app: &str) -> Option<Server> {
    match app {
        "dovecot" | "auth-worker" => Some(Server::Dovecot),
        tag if login_service_of_tag(tag).is_some() => Some(Server::Dovecot),
        "smtpd" | "postscreen" => Some(Server::Postfix),
        "exim" | "exim4" => Some(Server::Exim),
        _ => None,
    }
}

/// A Dovecot line: `[Level: ]process: text`, where the process is a login service
/// (`imap-login`), the authentication service (`auth`, `auth-worker(4321)`, `auth(default)`)
/// or a user's mail process (`imap(an)<4321><sess>`). Dovecot's own log file names the process
/// where syslog has the tag (`imap-login: Info: Login: ...`).
fn dovecot<'a>(message: &'a str, ev: &mut Event<'a>) {
    let tag = ev.app.as_deref().map(base_app);
    let tag_service = tag.and_then(login_service_of_tag);
    let tag_is_auth = tag == Some("auth-worker");
    // A relay may repeat the program's name (`dovecot[442]: dovecot: auth(default): ...`).
    let message = message.strip_prefix("dovecot: ").unwrap_or(message);
    let message = without_level(message);
    let (process, rest) = match (tag_service, tag_is_auth) {
        (Some(_), _) => ("", message),
        (None, true) => ("auth", message),
        (None, false) => message.split_once(": ").unwrap_or(("", message)),
    };
    let rest = without_level(rest);
    if let Some(service) = tag_service.or_else(|| process.strip_suffix("-login")) {
        ev.field("service", service);
        dovecot_login(rest, ev);
    } else if process.starts_with("auth") {
        dovecot_auth(rest, ev);
    } else if let Some((service, user)) = process.split_once('(') {
        // `imap(an)<4321><sess>: Logged out in=120 out=2345`
        let user = user.split(')').next().unwrap_or_default();
        if !user.is_empty() {
            set_user(ev, user);
        }
        ev.field("service", service);
    }
}

fn login_service_of_tag(tag: &str) -> Option<&'static str> {
    match tag {
        "imap-login" => Some("imap"),
        "pop3-login" => Some("pop3"),
        "submission-login" => Some("submission"),
        "managesieve-login" => Some("managesieve"),
        _ => None,
    }
}

fn without_level(text: &str) -> &str {
    ["Info: ", "Warning: ", "Error: ", "Fatal: "]
        .iter()
        .find_map(|level| text.strip_prefix(level))
        .unwrap_or(text)
}

/// `Login: user=<an>, method=PLAIN, rip=203.0.113.5, lip=10.0.0.25, mpid=4321, TLS, session=<x>`
/// and the disconnections that say why (`Disconnected: Connection closed (auth failed, 3
/// attempts in 15 secs): user=<an>, ...`).
fn dovecot_login<'a>(text: &'a str, ev: &mut Event<'a>) {
    let (sentence, list) = split_sentence_and_list(text);
    let (event, outcome) = if sentence.starts_with("Login") {
        ("mail_login", Some(SUCCESS))
    } else if [
        "auth failed",
        "authentication attempts",
        "Authentication failure",
        "tried to use disallowed",
        "tried to use disabled",
    ]
    .iter()
    .any(|sign| sentence.contains(sign))
    {
        ("mail_login", Some(FAILURE))
    } else {
        ("mail_disconnect", None)
    };
    for item in list.split(", ") {
        let Some((key, value)) = item.split_once('=') else {
            if matches!(item, "TLS" | "secured") {
                ev.field("secured", item);
            }
            continue;
        };
        let value = value
            .strip_prefix('<')
            .and_then(|v| v.strip_suffix('>'))
            .unwrap_or(value);
        if value.is_empty() {
            continue;
        }
        match key {
            "user" => set_user(ev, value),
            "rip" => put_address(ev, value, true),
            "lip" => put_address(ev, value, false),
            "rport" => ev.src_port = value.parse().ok(),
            "lport" => ev.dst_port = value.parse().ok(),
            _ => ev.field(key, value),
        }
    }
    ev.field("event", event);
    ev.outcome = outcome;
}

/// The sentence before a login line's `key=value` list: the list starts after the first `: `
/// that a key follows (the sentence itself may hold colons, `Disconnected: Connection closed`).
fn split_sentence_and_list(text: &str) -> (&str, &str) {
    let mut from = 0;
    while let Some(i) = text[from..].find(": ").map(|i| i + from) {
        let after = &text[i + 2..];
        let word_end = after.find([' ', ',']).unwrap_or(after.len());
        if after[..word_end].contains('=') {
            return (&text[..i], after);
        }
        from = i + 2;
    }
    // A list with no sentence before it.
    if text
        .split([' ', ','])
        .next()
        .is_some_and(|w| w.contains('='))
    {
        ("", text)
    } else {
        (text, "")
    }
}

/// A password back end's verdict: `pam(an,203.0.113.5,<sess>): pam_authenticate() failed: ...`,
/// `sql(an,203.0.113.5): unknown user`, `passwd-file(an,203.0.113.5): Password mismatch`.
fn dovecot_auth<'a>(text: &'a str, ev: &mut Event<'a>) {
    let Some((backend, rest)) = text.split_once('(') else {
        return;
    };
    let Some((who, verdict)) = rest.split_once("): ") else {
        return;
    };
    if backend.is_empty() || backend.contains(' ') {
        return;
    }
    let mut parts = who.split(',');
    if let Some(user) = parts.next().filter(|u| !u.is_empty()) {
        set_user(ev, user);
    }
    if let Some(address) = parts.next().filter(|a| !a.is_empty()) {
        put_address(ev, address, true);
    }
    ev.field("backend", backend);
    ev.field("reason", verdict);
    let verdict_lower = verdict.to_ascii_lowercase();
    let failed = [
        "unknown user",
        "mismatch",
        "failed",
        "invalid",
        "not known",
        "denied",
    ]
    .iter()
    .any(|sign| verdict_lower.contains(sign));
    ev.field("event", "mail_auth");
    if failed {
        ev.outcome = Some(FAILURE);
    }
}

fn postfix<'a>(message: &'a str, ev: &mut Event<'a>) {
    if !postfix_decision(message, ev) {
        POSTFIX.apply(message, ev);
    }
}

/// Postfix's decision on a message or client: `NOQUEUE: reject: RCPT from
/// unknown[203.0.113.5]: 554 5.7.1 <x@y>: Relay access denied; from=<a@b> to=<c@d> proto=ESMTP
/// helo=<h>` (postscreen writes `from [203.0.113.5]:47407:`). False when the line is not one.
fn postfix_decision<'a>(message: &'a str, ev: &mut Event<'a>) -> bool {
    let Some((queue_id, rest)) = message.split_once(": ") else {
        return false;
    };
    let Some((verdict, rest)) = rest.split_once(": ") else {
        return false;
    };
    if !matches!(
        verdict,
        "reject" | "discard" | "hold" | "filter" | "redirect" | "warn" | "reject_warning"
    ) || queue_id.contains(' ')
    {
        return false;
    }
    let Some((stage, rest)) = rest.split_once(" from ") else {
        return false;
    };
    let Some((client, rest)) = rest.split_once('[') else {
        return false;
    };
    let Some((address, rest)) = rest.split_once(']') else {
        return false;
    };
    put_address(ev, address, true);
    if !client.is_empty() && client != "unknown" {
        ev.field("client", client);
    }
    let rest = match rest.strip_prefix(':') {
        Some(port_and_reason) => match port_and_reason.split_once(": ") {
            Some((port, reason)) if port.bytes().all(|b| b.is_ascii_digit()) => {
                ev.src_port = port.parse().ok();
                reason
            }
            _ => port_and_reason.trim_start(),
        },
        None => rest,
    };
    // The reason may hold `; ` itself; the envelope is the last part when it is `key=value`s.
    let (reason, envelope) = match rest.rfind("; ") {
        Some(i) if rest[i + 2..].split(' ').all(|w| w.contains('=')) => {
            (&rest[..i], &rest[i + 2..])
        }
        _ => (rest, ""),
    };
    // Postscreen separates the envelope's words with commas, smtpd with spaces only.
    for (key, value) in envelope
        .split(' ')
        .filter_map(|w| w.trim_end_matches(',').split_once('='))
    {
        let value = value
            .strip_prefix('<')
            .and_then(|v| v.strip_suffix('>'))
            .unwrap_or(value);
        match key {
            "from" if !value.is_empty() => ev.field("sender", value),
            "to" if !value.is_empty() => ev.field("recipient", value),
            "proto" => ev.protocol = Some(value.to_ascii_lowercase().into()),
            "helo" if !value.is_empty() => ev.field("helo", value),
            _ => {}
        }
    }
    if queue_id != "NOQUEUE" {
        ev.field("queue_id", queue_id);
    }
    ev.field("stage", stage);
    ev.field("reason", reason.trim_start_matches(": ").trim());
    ev.field("vendor_action", verdict);
    let action = match verdict {
        "reject" => Some("reject"),
        "discard" => Some("drop"),
        "redirect" => Some("redirect"),
        "warn" | "reject_warning" => Some("alert"),
        _ => None,
    };
    ev.action = action.map(Into::into);
    ev.field("event", "mail_refused");
    true
}

#[rustfmt::skip]
pub(crate) const POSTFIX_SENTENCES: &[Sentence] = &[
    // Postfix 3.x names the account after the reason when the client sent one.
    // The password check could not run: no guess was refused.
    s("warning: {client}[{src}]: SASL {method} authentication failed: Connection lost to authentication server", "mail_auth_error", None),
    s("warning: {client}[{src}]: SASL {method} authentication failed: {reason}, sasl_username={user}", "mail_login", Some(FAILURE)),
    s("warning: {client}[{src}]: SASL {method} authentication failed: {reason}", "mail_login", Some(FAILURE)),
    s("warning: {client}[{src}]: SASL {method} authentication aborted", "mail_login", Some(FAILURE)),
    s("{queue_id}: client={client}[{src}], sasl_method={method}, sasl_username={user}", "mail_login", Some(SUCCESS)),
    s("{queue_id}: client={client}[{src}]{*}", "mail_client", None),
    s("connect from {client}[{src}]", "mail_connect", None),
    s("disconnect from {client}[{src}]{*}", "mail_disconnect", None),
    s("lost connection after {stage} from {client}[{src}]", "mail_disconnect", None),
    s("timeout after {stage} from {client}[{src}]", "mail_disconnect", None),
    s("too many errors after {stage} from {client}[{src}]", "mail_disconnect", None),
    // Spam bots that talk before the server answers.
    s("improper command pipelining after {stage} from {client}[{src}]{*}", "mail_protocol_violation", None),
    s("CONNECT from [{src}]:{src_port} to [{dst}]:{dst_port}", "mail_connect", None),
    s("PREGREET {bytes} after {seconds} from [{src}]:{src_port}: {greeting}", "mail_pregreet", None),
    s("DNSBL rank {rank} for [{src}]:{src_port}", "mail_blocklisted", None),
];

static POSTFIX: LazyLock<Sentences> = LazyLock::new(|| Sentences::new(POSTFIX_SENTENCES));

/// An Exim line: its own stamp, process id and message id are skipped; an authentication failure
/// (`dovecot_login authenticator failed for host (helo) [203.0.113.5]:41556 I=[10.0.0.1]:25: 535
/// Incorrect authentication data (set_id=an)`) names the account; any other line naming a peer
/// (`H=host (helo) [address]:port`, `SMTP connection from ...`) gives its address and what was
/// done with it.
fn exim<'a>(message: &'a str, ev: &mut Event<'a>) {
    let text = without_exim_prefix(message);
    if let Some((authenticator, rest)) = text.split_once(" authenticator failed for ") {
        ev.field("authenticator", authenticator);
        let close = exim_peer(rest, ev).unwrap_or(0);
        let reason = rest[close..]
            .split_once(": ")
            .map_or("", |(_, reason)| reason);
        let (reason, user) = match reason
            .strip_suffix(')')
            .and_then(|r| r.rsplit_once(" (set_id="))
        {
            Some((reason, user)) => (reason, Some(user)),
            None => (reason, None),
        };
        if let Some(user) = user.filter(|u| !u.is_empty()) {
            set_user(ev, user);
        }
        if !reason.is_empty() {
            ev.field("reason", reason);
        }
        ev.field("event", "mail_login");
        ev.outcome = Some(FAILURE);
        return;
    }
    let peer = text
        .find("H=")
        .map(|i| i + 2)
        .or_else(|| text.find(" from ").map(|i| i + 6));
    if let Some(start) = peer {
        exim_peer(&text[start..], ev);
    }
    let refused = [
        "rejected RCPT",
        "rejected MAIL",
        "sender verify fail",
        "rejected connection",
        "closed by DROP",
    ];
    let event = if refused.iter().any(|r| text.contains(r)) {
        ev.action = Some("reject".into());
        "mail_refused"
    } else if text.contains(" dropped: ") {
        "mail_disconnect"
    } else if text.contains("protocol error") || text.contains("synchronization error") {
        "mail_protocol_violation"
    } else if text.starts_with("SMTP connection from") && !text.contains(" lost") {
        "mail_connect"
    } else if peer.is_some() {
        "mail_disconnect"
    } else {
        return;
    };
    ev.field("event", event);
}

/// The peer in `host (helo) [address]:port I=[local]:25 ...`: the first bracketed address not
/// inside the HELO's parentheses. Fills the source (and its name and HELO) and returns where the
/// bracket closed.
fn exim_peer<'a>(text: &'a str, ev: &mut Event<'a>) -> Option<usize> {
    let mut from = 0;
    while let Some(open) = text[from..].find('[').map(|i| i + from) {
        let close = open + text[open..].find(']')?;
        let before = text[..open].bytes().last();
        let address = &text[open + 1..close];
        if matches!(before, None | Some(b' ')) && canonical_ip(address).is_some() {
            put_address(ev, address, true);
            let after = &text[close + 1..];
            if let Some(port) = after.strip_prefix(':') {
                let digits = port.bytes().take_while(u8::is_ascii_digit).count();
                ev.src_port = port[..digits].parse().ok();
            }
            let client = text[..open].trim();
            let (host, helo) = match client.split_once('(') {
                Some((host, helo)) => (host.trim(), helo.trim_end().trim_end_matches(')')),
                None => (client, ""),
            };
            if !host.is_empty() {
                ev.field("src_host", host);
            }
            if !helo.is_empty() {
                ev.field("helo", helo);
            }
            return Some(close + 1);
        }
        from = close + 1;
    }
    None
}

/// Exim writes its own `2026-11-28 10:00:00` (and a zone, with `log_timezone`) into what it
/// sends to syslog unless told not to, then with `log_selector` options the process id
/// (`[10099]`) and the message id (`1ahr79-0006jK-G9`); the header already dated the record.
fn without_exim_prefix(message: &str) -> &str {
    let b = message.as_bytes();
    let stamped = b.len() > 20
        && b[4] == b'-'
        && b[10] == b' '
        && b[13] == b':'
        && b[19] == b' '
        && b[..4].iter().all(u8::is_ascii_digit);
    let mut rest = if stamped { &message[20..] } else { message };
    if let Some((zone, after)) = rest.split_once(' ')
        && zone.len() == 5
        && zone.starts_with(['+', '-'])
    {
        rest = after;
    }
    if let Some((pid, after)) = rest.strip_prefix('[').and_then(|r| r.split_once("] "))
        && pid.bytes().all(|b| b.is_ascii_digit())
    {
        rest = after;
    }
    // A message id: `xxxxxx-xxxxxx-xx` (base-62 parts of 6, 6 and 2 characters).
    if let Some((id, after)) = rest.split_once(' ')
        && id.len() == 16
        && id.as_bytes()[6] == b'-'
        && id.as_bytes()[13] == b'-'
    {
        rest = after;
    }
    rest
}

#[cfg(test)]
pub(crate) fn sentence_tables() -> [(&'static str, &'static Sentences, usize); 1] {
    [("postfix", &*POSTFIX, POSTFIX_SENTENCES.len())]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::test_support::parse;
    use crate::linux::test_support::check_logins;

    fn check(cases: &[crate::linux::test_support::LoginCase]) {
        check_logins(SourceType::Mail, cases);
    }

    #[test]
    fn dovecot_logins_and_their_failures() {
        check(&[
            (
                "Nov 28 10:00:00 mail dovecot[812]: imap-login: Login: user=<an.nguyen>, method=PLAIN, rip=203.0.113.5, lip=10.0.0.25, mpid=4321, TLS, session=<kWbHx1>",
                Some("an.nguyen"),
                Some("203.0.113.5"),
                Some(SUCCESS),
                "mail_login",
            ),
            (
                "Nov 28 10:00:01 mail dovecot: imap-login: Disconnected (auth failed, 7 attempts in 111 secs): user=<thu>, method=PLAIN, rip=198.51.100.20, lip=10.0.0.25, session=<+hgd5vx>",
                Some("thu"),
                Some("198.51.100.20"),
                Some(FAILURE),
                "mail_login",
            ),
            // Dovecot 2.3 puts the reason after a colon of its own.
            (
                "Nov 28 10:00:02 mail dovecot[812]: pop3-login: Disconnected: Connection closed (auth failed, 3 attempts in 15 secs): user=<admin@so.gov.vn>, method=LOGIN, rip=198.51.100.20, lip=10.0.0.25, TLS, session=<a1>",
                Some("admin"),
                Some("198.51.100.20"),
                Some(FAILURE),
                "mail_login",
            ),
            (
                "Nov 28 10:00:03 mail dovecot: pop3-login: Aborted login (1 authentication attempts): user=<lan>, method=PLAIN, rip=::ffff:192.0.2.7, lip=::ffff:10.0.0.25, secured",
                Some("lan"),
                Some("192.0.2.7"),
                Some(FAILURE),
                "mail_login",
            ),
            (
                "Nov 28 10:00:04 mail dovecot[812]: imap-login: Disconnected (no auth attempts in 0 secs): user=<>, rip=192.0.2.8, lip=10.0.0.25, TLS handshaking: Connection closed, session=<b2>",
                None,
                Some("192.0.2.8"),
                None,
                "mail_disconnect",
            ),
            (
                "Nov 28 10:00:05 mail dovecot[812]: pop3-login: Disconnected: rip=192.0.2.9, lip=10.0.0.25",
                None,
                Some("192.0.2.9"),
                None,
                "mail_disconnect",
            ),
            (
                "Nov 28 10:00:06 mail dovecot: auth-worker(4321): sql(binh,198.51.100.4): unknown user",
                Some("binh"),
                Some("198.51.100.4"),
                Some(FAILURE),
                "mail_auth",
            ),
            (
                "Nov 28 10:00:07 mail dovecot: auth: pam(hoa,198.51.100.4,<kWbH>): pam_authenticate() failed: Authentication failure (password mismatch?)",
                Some("hoa"),
                Some("198.51.100.4"),
                Some(FAILURE),
                "mail_auth",
            ),
            (
                "Nov 28 10:00:08 mail dovecot: auth(default): passwd-file(minh,198.51.100.4): Password mismatch",
                Some("minh"),
                Some("198.51.100.4"),
                Some(FAILURE),
                "mail_auth",
            ),
        ]);
        let ev = parse(
            "Nov 28 10:00:00 mail dovecot[812]: imap-login: Login: user=<an>, method=PLAIN, rip=203.0.113.5, lip=10.0.0.25, mpid=4321, TLS, session=<kWbHx1>",
        );
        assert_eq!(ev.dst_ip.as_deref(), Some("10.0.0.25"));
        assert_eq!(ev.get_field("service"), Some("imap"));
        assert_eq!(ev.get_field("method"), Some("PLAIN"));
        assert_eq!(ev.get_field("session"), Some("kWbHx1"));
        // The name repeated by a relay; Dovecot's own file naming the auth worker as the tag.
        let ev = parse(
            "Jul 02 13:49:32 hostname dovecot[442]: dovecot: auth(default): pam(account@example.com,200.76.17.206): pam_authenticate() failed: User not known to the underlying authentication module: 2 Time(s)",
        );
        assert_eq!(ev.user.as_deref(), Some("account"));
        assert_eq!(ev.src_ip.as_deref(), Some("200.76.17.206"));
        assert_eq!(ev.outcome, Some(FAILURE));
        let ev = parse(
            "2013-08-11 03:56:40 auth-worker(default): Info: pam(username,1.2.3.4): pam_authenticate() failed: Authentication failure (password mismatch?)",
        );
        assert_eq!(ev.source_type, SourceType::Mail);
        assert_eq!(ev.user.as_deref(), Some("username"));
        assert_eq!(ev.outcome, Some(FAILURE));
        // A mail process's line names its user.
        let ev = parse(
            "Nov 28 10:00:09 mail dovecot: imap(an)<4321><kWbHx1>: Logged out in=120 out=2345",
        );
        assert_eq!(ev.user.as_deref(), Some("an"));
        // Lines about the server itself are kept as they are.
        let ev = parse(
            "Nov 28 10:00:10 mail dovecot: Fatal: Auth process died too early - shutting down",
        );
        assert_eq!((ev.user, ev.outcome), (None, None));
        assert_eq!(
            ev.message.as_deref(),
            Some("Fatal: Auth process died too early - shutting down")
        );
    }

    #[test]
    fn postfix_authentication_and_refusals() {
        check(&[
            (
                "Nov 28 10:01:00 mail postfix/smtpd[1234]: warning: unknown[198.51.100.20]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
                None,
                Some("198.51.100.20"),
                Some(FAILURE),
                "mail_login",
            ),
            (
                "Nov 28 10:01:01 mail postfix/submission/smtpd[1235]: warning: host.example[198.51.100.21]: SASL PLAIN authentication failed: authentication failure, sasl_username=ketoan@so.gov.vn",
                Some("ketoan"),
                Some("198.51.100.21"),
                Some(FAILURE),
                "mail_login",
            ),
            (
                "Nov 28 10:01:02 mail postfix/smtpd[1236]: 4B2C3123A: client=pc12.so.gov.vn[10.2.3.4], sasl_method=LOGIN, sasl_username=an",
                Some("an"),
                Some("10.2.3.4"),
                Some(SUCCESS),
                "mail_login",
            ),
            (
                "Nov 28 10:01:03 mail postfix/smtpd[1236]: 4B2C3123B: client=relay.example[192.0.2.30]",
                None,
                Some("192.0.2.30"),
                None,
                "mail_client",
            ),
            (
                "Nov 28 10:01:04 mail postfix/smtpd[1237]: connect from unknown[198.51.100.22]",
                None,
                Some("198.51.100.22"),
                None,
                "mail_connect",
            ),
            (
                "Nov 28 10:01:05 mail postfix/smtpd[1237]: disconnect from unknown[198.51.100.22] ehlo=1 auth=0/1 quit=1 commands=2/3",
                None,
                Some("198.51.100.22"),
                None,
                "mail_disconnect",
            ),
            (
                "Nov 28 10:01:06 mail postfix/smtpd[1238]: NOQUEUE: reject: RCPT from unknown[198.51.100.23]: 554 5.7.1 <x@example.com>: Relay access denied; from=<spam@example.net> to=<x@example.com> proto=ESMTP helo=<ylmf-pc>",
                None,
                Some("198.51.100.23"),
                None,
                "mail_refused",
            ),
            (
                "May  8 08:26:55 mail postfix/postscreen[22055]: NOQUEUE: reject: RCPT from [157.122.148.242]:47407: 550 5.7.1 Service unavailable; client [157.122.148.242] blocked using bl.spamcop.net; from=<a@example.net>, to=<b@so.gov.vn>, proto=ESMTP, helo=<x>",
                None,
                Some("157.122.148.242"),
                None,
                "mail_refused",
            ),
        ]);
        // An authentication service that was down refused no guess.
        let ev = parse(
            "Feb  3 08:29:28 mail postfix/smtpd[21022]: warning: unknown[192.0.2.1]: SASL LOGIN authentication failed: Connection lost to authentication server",
        );
        assert_eq!(ev.outcome, None);
        assert_eq!(ev.get_field("event"), Some("mail_auth_error"));
        let ev = parse(
            "Jan 12 11:07:49 mx postfix/smtpd[13767]: improper command pipelining after DATA from unknown[181.21.131.88]:",
        );
        assert_eq!(ev.src_ip.as_deref(), Some("181.21.131.88"));
        assert_eq!(ev.get_field("stage"), Some("DATA"));
        let ev = parse(
            "Nov 28 10:01:06 mail postfix/smtpd[1238]: NOQUEUE: reject: RCPT from unknown[198.51.100.23]: 554 5.7.1 <x@example.com>: Relay access denied; from=<spam@example.net> to=<x@example.com> proto=ESMTP helo=<ylmf-pc>",
        );
        assert_eq!(ev.action.as_deref(), Some("reject"));
        assert_eq!(ev.protocol.as_deref(), Some("esmtp"));
        assert_eq!(ev.get_field("sender"), Some("spam@example.net"));
        assert_eq!(ev.get_field("recipient"), Some("x@example.com"));
        assert_eq!(ev.get_field("stage"), Some("RCPT"));
        assert_eq!(
            ev.get_field("reason"),
            Some("554 5.7.1 <x@example.com>: Relay access denied")
        );
        let ev = parse(
            "May  8 08:26:55 mail postfix/postscreen[22055]: NOQUEUE: reject: RCPT from [157.122.148.242]:47407: 550 5.7.1 Service unavailable; client [157.122.148.242] blocked using bl.spamcop.net; from=<a@example.net>, to=<b@so.gov.vn>, proto=ESMTP, helo=<x>",
        );
        assert_eq!(ev.src_port, Some(47407));
        assert_eq!(
            ev.get_field("reason"),
            Some(
                "550 5.7.1 Service unavailable; client [157.122.148.242] blocked using bl.spamcop.net"
            )
        );
        assert_eq!(ev.get_field("recipient"), Some("b@so.gov.vn"));
        // Other Postfix daemons are not claimed; delivery reports stay plain syslog.
        let ev = parse(
            "Nov 28 10:01:07 mail postfix/smtp[99]: 4B2C3123A: to=<x@example.com>, relay=mx.example.com[192.0.2.5]:25, delay=1.2, dsn=2.0.0, status=sent (250 OK)",
        );
        assert_eq!(ev.source_type, SourceType::Syslog);
    }

    #[test]
    fn exim_authentication_failures() {
        check(&[
            (
                "Jan 23 03:44:14 mx exim[2201]: 2017-01-23 03:44:14 dovecot_login authenticator failed for (hydra) [10.101.1.18]:35686: 535 Incorrect authentication data (set_id=user)",
                Some("user"),
                Some("10.101.1.18"),
                Some(FAILURE),
                "mail_login",
            ),
            (
                "Jan 24 05:22:29 mx exim[2202]: dovecot_plain authenticator failed for host.example (test) [2001:db8::7]:39454: 535 Incorrect authentication data (set_id=test)",
                Some("test"),
                Some("2001:db8::7"),
                Some(FAILURE),
                "mail_login",
            ),
            (
                "Jan 24 05:36:23 mx exim[2203]: 2017-01-24 05:36:23 +0700 SMTP call from (000000) [198.51.100.9]:39480 dropped: too many syntax or protocol errors (last command was \"123\")",
                None,
                Some("198.51.100.9"),
                None,
                "mail_disconnect",
            ),
        ]);
        // A HELO holding brackets of its own, the local interface after the port, a process id.
        let ev = parse(
            "Jan  4 17:03:46 mx exim[2204]: 2013-01-04 17:03:46 [10099] login authenticator failed for rrcs-24.example.com ([192.168.2.33]) [24.106.174.74]:41556 I=[10.0.0.1]:25: 535 Incorrect authentication data (set_id=brian)",
        );
        assert_eq!(ev.src_ip.as_deref(), Some("24.106.174.74"));
        assert_eq!(ev.src_port, Some(41556));
        assert_eq!(ev.user.as_deref(), Some("brian"));
        assert_eq!(ev.get_field("helo"), Some("[192.168.2.33]"));
        assert_eq!(
            ev.get_field("reason"),
            Some("535 Incorrect authentication data")
        );
        // Refusals and protocol violations name the peer.
        let ev = parse(
            "Jun 10 18:33:32 mx exim[2205]: 2013-06-10 18:33:32 [10099] H=(yakult.com.tw) [202.132.70.178]:3755 I=[1.2.3.4]:25 F=menaced@example.org rejected RCPT dir@example.ru: relay not permitted",
        );
        assert_eq!(ev.src_ip.as_deref(), Some("202.132.70.178"));
        assert_eq!(ev.action.as_deref(), Some("reject"));
        assert_eq!(ev.get_field("event"), Some("mail_refused"));
        let ev = parse(
            "Mar 21 04:07:49 mx exim[2206]: 2016-03-21 04:07:49 [25874] 1ahr79-0006jK-G9 SMTP connection from (voyeur.example.com) [174.137.147.204]:44884 I=[172.89.0.6]:25 closed by DROP in ACL",
        );
        assert_eq!(ev.src_ip.as_deref(), Some("174.137.147.204"));
        assert_eq!(ev.get_field("event"), Some("mail_refused"));
        let ev = parse(
            "Mar 18 00:34:06 mx exim[2207]: 2016-03-18 00:34:06 [7513] SMTP protocol error in \"AUTH LOGIN\" H=(ylmf-pc) [45.32.34.167]:60723 I=[172.89.0.6]:587 AUTH command used when not advertised",
        );
        assert_eq!(ev.src_ip.as_deref(), Some("45.32.34.167"));
        assert_eq!(ev.get_field("event"), Some("mail_protocol_violation"));
        let ev = parse(
            "Jan 24 05:22:29 mx exim[2202]: dovecot_plain authenticator failed for host.example (test) [2001:db8::7]:39454: 535 Incorrect authentication data (set_id=test)",
        );
        assert_eq!(ev.get_field("src_host"), Some("host.example"));
        assert_eq!(ev.get_field("helo"), Some("test"));
        assert_eq!(ev.get_field("client"), None);
    }
}
