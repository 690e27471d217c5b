//! Mail servers: Dovecot's IMAP/POP3 logins and the verdicts of its password back ends, Postfix's
//! SMTP AUTH results, accepted clients and refused mail, and Exim's SMTP AUTH failures. Mailboxes
//! are, after SSH, the passwords most guessed on a government network, and a guessed one sends
//! phishing from a trusted address; these rows give each attempt its user, address and outcome.

use std::borrow::Cow;
use std::sync::LazyLock;

use crate::event::{Event, FAILURE, SUCCESS, SourceType};
use crate::linux::{Sentence, Sentences, put_address, s};
use crate::payload::{PayloadParser, base_app, set_user};

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
        "dovecot" => Some(Server::Dovecot),
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
    let tag_service = ev
        .app
        .as_deref()
        .map(base_app)
        .and_then(login_service_of_tag);
    let message = without_level(message);
    let (process, rest) = match tag_service {
        Some(_) => ("", message),
        None => message.split_once(": ").unwrap_or(("", message)),
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
    s("CONNECT from [{src}]:{src_port} to [{dst}]:{dst_port}", "mail_connect", None),
    s("PREGREET {bytes} after {seconds} from [{src}]:{src_port}: {greeting}", "mail_pregreet", None),
    s("DNSBL rank {rank} for [{src}]:{src_port}", "mail_blocklisted", None),
];

static POSTFIX: LazyLock<Sentences> = LazyLock::new(|| Sentences::new(POSTFIX_SENTENCES));

#[rustfmt::skip]
pub(crate) const EXIM_SENTENCES: &[Sentence] = &[
    s("{authenticator} authenticator failed for {client?}[{src}]:{src_port}: {reason} (set_id={user})", "mail_login", Some(FAILURE)),
    s("{authenticator} authenticator failed for {client?}[{src}]:{src_port}: {reason}", "mail_login", Some(FAILURE)),
    s("{authenticator} authenticator failed for {client?}[{src}]: {reason} (set_id={user})", "mail_login", Some(FAILURE)),
    s("{authenticator} authenticator failed for {client?}[{src}]: {reason}", "mail_login", Some(FAILURE)),
    s("SMTP connection from {client?}[{src}]:{src_port} lost{*}", "mail_disconnect", None),
    s("SMTP connection from {client?}[{src}]:{src_port}{*}", "mail_connect", None),
    s("SMTP call from {client?}[{src}]:{src_port} dropped: {reason}", "mail_disconnect", None),
];

static EXIM: LazyLock<Sentences> = LazyLock::new(|| Sentences::new(EXIM_SENTENCES));

fn exim<'a>(message: &'a str, ev: &mut Event<'a>) {
    let before = ev.fields.len();
    EXIM.apply(without_exim_stamp(message), ev);
    // Exim names a client `host (helo) ` or `(helo) `: the host it resolved and what it said.
    let Some(i) = (before..ev.fields.len()).find(|&i| ev.fields[i].0 == "client") else {
        return;
    };
    let (_, client) = ev.fields.remove(i);
    let Cow::Borrowed(client) = client else {
        return;
    };
    let client = client.trim();
    let (host, helo) = match client.split_once('(') {
        Some((host, helo)) => (host.trim(), helo.strip_suffix(')').unwrap_or(helo)),
        None => (client, ""),
    };
    if !host.is_empty() {
        ev.field("src_host", host);
    }
    if !helo.is_empty() {
        ev.field("helo", helo);
    }
}

/// Exim writes its own `2026-11-28 10:00:00` (and a zone, with `log_timezone`) into what it
/// sends to syslog unless told not to; the header already dated the record.
fn without_exim_stamp(message: &str) -> &str {
    let b = message.as_bytes();
    let stamped = b.len() > 20
        && b[4] == b'-'
        && b[10] == b' '
        && b[13] == b':'
        && b[19] == b' '
        && b[..4].iter().all(u8::is_ascii_digit);
    if !stamped {
        return message;
    }
    let rest = &message[20..];
    match rest.split_once(' ') {
        Some((zone, after)) if zone.len() == 5 && zone.starts_with(['+', '-']) => after,
        _ => rest,
    }
}

#[cfg(test)]
pub(crate) fn sentence_tables() -> [(&'static str, &'static Sentences, usize); 2] {
    [
        ("postfix", &*POSTFIX, POSTFIX_SENTENCES.len()),
        ("exim", &*EXIM, EXIM_SENTENCES.len()),
    ]
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
        let ev = parse(
            "Jan 24 05:22:29 mx exim[2202]: dovecot_plain authenticator failed for host.example (test) [2001:db8::7]:39454: 535 Incorrect authentication data (set_id=test)",
        );
        assert_eq!(ev.get_field("src_host"), Some("host.example"));
        assert_eq!(ev.get_field("helo"), Some("test"));
        assert_eq!(ev.get_field("client"), None);
    }
}
