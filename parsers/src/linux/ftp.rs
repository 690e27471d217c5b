//! FTP servers: vsftpd, ProFTPD and Pure-FTPd logins, their failures and file transfers. FTP
//! still carries web content and backups in many data centres, its passwords travel in clear and
//! are guessed like SSH's, and an upload or download names the file that left or arrived.

use std::sync::LazyLock;

use crate::event::{Event, FAILURE, SUCCESS, SourceType};
use crate::linux::{Sentence, Sentences, s};
use crate::payload::{PayloadParser, base_app, canonical_ip, put_address, set_user};

/// vsftpd (also its own log file's `[pid 1234]` lines), ProFTPD and Pure-FTPd.
pub struct Ftp;

#[derive(Clone, Copy)]
enum Server {
    Vsftpd,
    ProFtpd,
    PureFtpd,
}

fn server_of(app: &str) -> Option<Server> {
    match app {
        "vsftpd" => Some(Server::Vsftpd),
        "proftpd" => Some(Server::ProFtpd),
        "pure-ftpd" => Some(Server::PureFtpd),
        _ => None,
    }
}

impl PayloadParser for Ftp {
    fn source_type(&self) -> SourceType {
        SourceType::Ftp
    }

    fn claims(&self, app: Option<&str>, _message: &str) -> bool {
        app.is_some_and(|app| server_of(app).is_some())
    }

    fn parse<'a>(&self, message: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        let message = message.trim();
        match ev.app.as_deref().map(base_app).and_then(server_of) {
            Some(Server::Vsftpd) => vsftpd(message, ev),
            Some(Server::ProFtpd) => {
                let text = proftpd_session(message, ev);
                PROFTPD.apply(text, ev);
            }
            Some(Server::PureFtpd) => {
                let text = pure_ftpd_session(message, ev);
                PURE_FTPD.apply(text, ev);
            }
            None => {}
        }
        Ok(())
    }
}

/// `[an] OK LOGIN: Client "203.0.113.5"`, `[an] FAIL LOGIN: Client "::ffff:203.0.113.5"`,
/// `CONNECT: Client "203.0.113.5"`, `[an] OK DOWNLOAD: Client "203.0.113.5", "/srv/a.zip",
/// 2048 bytes, 120.50Kbyte/sec`; in vsftpd's own log file after `[pid 1234] `.
fn vsftpd<'a>(message: &'a str, ev: &mut Event<'a>) {
    let mut rest = message;
    if let Some((pid, after)) = rest.strip_prefix("[pid ").and_then(|r| r.split_once("] ")) {
        if ev.pid.is_none() {
            ev.pid = Some(pid.into());
        }
        rest = after;
    }
    if let Some((user, after)) = rest.strip_prefix('[').and_then(|r| r.split_once("] ")) {
        if !user.is_empty() {
            set_user(ev, user);
        }
        rest = after;
    }
    let (status, rest) = match rest.split_once(' ') {
        Some((status @ ("OK" | "FAIL"), after)) => (Some(status), after),
        _ => (None, rest),
    };
    let Some((command, rest)) = rest.split_once(": Client \"") else {
        return;
    };
    let Some((client, details)) = rest.split_once('"') else {
        return;
    };
    put_address(ev, client, true);
    let event = match command {
        "LOGIN" => "ftp_login",
        "CONNECT" => "ftp_connect",
        "UPLOAD" => "ftp_upload",
        "DOWNLOAD" => "ftp_download",
        "MKDIR" => "ftp_mkdir",
        "RMDIR" => "ftp_rmdir",
        "DELETE" => "ftp_delete",
        "RENAME" => "ftp_rename",
        "CHMOD" => "ftp_chmod",
        _ => {
            ev.field("command", command);
            "ftp_command"
        }
    };
    ev.field("event", event);
    ev.outcome = match status {
        Some("OK") => Some(SUCCESS),
        Some(_) => Some(FAILURE),
        None => None,
    };
    // `, "/srv/a.zip", 2048 bytes, 120.50Kbyte/sec`: the file, then its size.
    // (A login's quoted text is an anonymous user's password, not a file.)
    let mut quoted = details.split('"');
    if let Some(file) = quoted
        .nth(1)
        .filter(|f| !f.is_empty() && command != "LOGIN")
    {
        ev.field("file", file);
    }
    let bytes = details
        .split(", ")
        .find_map(|part| part.strip_suffix(" bytes"))
        .and_then(|n| n.trim().parse().ok());
    // The source is the client: it receives what it downloads and sends what it uploads.
    match command {
        "DOWNLOAD" => ev.bytes_in = bytes,
        "UPLOAD" => ev.bytes_out = bytes,
        _ => {}
    }
}

/// ProFTPD's `server (client[address]) - text` or `server (client[address]): text`: reads the
/// client and returns the text.
fn proftpd_session<'a>(message: &'a str, ev: &mut Event<'a>) -> &'a str {
    let Some((server, rest)) = message.split_once(" (") else {
        return message;
    };
    let Some((client, text)) = rest.split_once(')') else {
        return message;
    };
    let Some(text) = text.strip_prefix(" - ").or_else(|| text.strip_prefix(": ")) else {
        return message;
    };
    let Some((host, address)) = client.strip_suffix(']').and_then(|c| c.split_once('[')) else {
        return message;
    };
    if server.contains(' ') {
        return message;
    }
    ev.field("server", server);
    match canonical_ip(address) {
        Some(ip) => {
            ev.src_ip = Some(ip);
            if host != address {
                ev.field("src_host", host);
            }
        }
        // Masked by the server (`aa.bb.cc[aa.bb.vv.dd]`): the text is all there is.
        None => ev.field("src_host", address),
    }
    text
}

#[rustfmt::skip]
pub(crate) const PROFTPD_SENTENCES: &[Sentence] = &[
    s("USER {user}: Login successful{*}", "ftp_login", Some(SUCCESS)),
    s("ANON {user}: Login successful{*}", "ftp_login", Some(SUCCESS)),
    s("USER {user} (Login failed): {reason}", "ftp_login", Some(FAILURE)),
    s("USER {user}: no such user found from {*}", "ftp_login", Some(FAILURE)),
    // Logged with the line above for the same attempt: not counted twice as a failure.
    s("no such user '{user}'{*}", "ftp_unknown_user", None),
    s("Maximum login attempts ({attempts}) exceeded{*}", "ftp_max_login_attempts", Some(FAILURE)),
    s("SECURITY VIOLATION: {reason}", "ftp_login", Some(FAILURE)),
    s("FTP session opened{*}", "ftp_session_opened", None),
    s("FTP session closed{*}", "ftp_session_closed", None),
    s("FTP login timed out, disconnected{*}", "ftp_disconnect", None),
    s("Connection from {client} [{src}] denied{*}", "ftp_connection_denied", None),
    s("refused connect from {src} ({client})", "ftp_connection_denied", None),
    s("connect from {src}", "ftp_connect", None),
];

static PROFTPD: LazyLock<Sentences> = LazyLock::new(|| Sentences::new(PROFTPD_SENTENCES));

/// Pure-FTPd's `(user@address) [LEVEL] text`, `?` for a user not yet known: reads the address
/// and returns the text.
fn pure_ftpd_session<'a>(message: &'a str, ev: &mut Event<'a>) -> &'a str {
    let Some((who, text)) = message.strip_prefix('(').and_then(|m| m.split_once(") ")) else {
        return message;
    };
    let Some((user, address)) = who.rsplit_once('@') else {
        return message;
    };
    if user != "?" && !user.is_empty() {
        set_user(ev, user);
    }
    put_address(ev, address, true);
    match text.strip_prefix('[').and_then(|t| t.split_once("] ")) {
        Some((_level, text)) => text,
        None => text,
    }
}

#[rustfmt::skip]
pub(crate) const PURE_FTPD_SENTENCES: &[Sentence] = &[
    s("Authentication failed for user [{user}]", "ftp_login", Some(FAILURE)),
    s("{user} is now logged in", "ftp_login", Some(SUCCESS)),
    s("New connection from {src}", "ftp_connect", None),
    s("Logout{*}", "ftp_logout", None),
    s("{file} uploaded  ({size} bytes, {rate})", "ftp_upload", None),
    s("{file} downloaded  ({size} bytes, {rate})", "ftp_download", None),
];

static PURE_FTPD: LazyLock<Sentences> = LazyLock::new(|| Sentences::new(PURE_FTPD_SENTENCES));

#[cfg(test)]
pub(crate) fn sentence_tables() -> [(&'static str, &'static Sentences, usize); 2] {
    [
        ("proftpd", &*PROFTPD, PROFTPD_SENTENCES.len()),
        ("pure-ftpd", &*PURE_FTPD, PURE_FTPD_SENTENCES.len()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::test_support::parse;
    use crate::linux::test_support::check_logins;

    fn check(cases: &[crate::linux::test_support::LoginCase]) {
        check_logins(SourceType::Ftp, cases);
    }

    #[test]
    fn vsftpd_logins_and_transfers() {
        check(&[
            (
                "Nov 28 10:02:00 ftp01 vsftpd[2211]: [an] OK LOGIN: Client \"203.0.113.5\"",
                Some("an"),
                Some("203.0.113.5"),
                Some(SUCCESS),
                "ftp_login",
            ),
            // Listening on IPv6 (Debian's default), vsftpd writes IPv4 clients mapped.
            (
                "Nov 28 10:02:01 ftp01 vsftpd[2212]: [admin] FAIL LOGIN: Client \"::ffff:198.51.100.20\"",
                Some("admin"),
                Some("198.51.100.20"),
                Some(FAILURE),
                "ftp_login",
            ),
            (
                "Nov 28 10:02:02 ftp01 vsftpd[2213]: CONNECT: Client \"2001:db8::5\"",
                None,
                Some("2001:db8::5"),
                None,
                "ftp_connect",
            ),
            (
                "Nov 28 10:02:03 ftp01 vsftpd[2214]: [ftp] OK LOGIN: Client \"198.51.100.21\", anon password \"mozilla@example.com\"",
                Some("ftp"),
                Some("198.51.100.21"),
                Some(SUCCESS),
                "ftp_login",
            ),
            (
                "Nov 28 10:02:04 ftp01 vsftpd[2215]: [an] OK DOWNLOAD: Client \"203.0.113.5\", \"/srv/ftp/so-tc/bao cao.xlsx\", 204800 bytes, 1520.75Kbyte/sec",
                Some("an"),
                Some("203.0.113.5"),
                Some(SUCCESS),
                "ftp_download",
            ),
            (
                "Nov 28 10:02:05 ftp01 vsftpd[2216]: [an] FAIL UPLOAD: Client \"203.0.113.5\", \"/srv/ftp/x.php\", 0.00Kbyte/sec",
                Some("an"),
                Some("203.0.113.5"),
                Some(FAILURE),
                "ftp_upload",
            ),
        ]);
        // vsftpd's own log file: a ctime stamp and `[pid N]`, no host or program name.
        let ev = parse(
            "Mon Oct 24 11:32:53 2016 [pid 1] [$ALOC$] FAIL LOGIN: Client \"fe80::baac:6fff:fe7d:d2e0\"",
        );
        assert_eq!(ev.source_type, SourceType::Ftp);
        assert_eq!(ev.host, None);
        assert_eq!(ev.pid.as_deref(), Some("1"));
        assert_eq!(ev.user.as_deref(), Some("$ALOC$"));
        assert_eq!(ev.src_ip.as_deref(), Some("fe80::baac:6fff:fe7d:d2e0"));
        assert_eq!(ev.outcome, Some(FAILURE));
        let ev = parse(
            "Nov 28 10:02:04 ftp01 vsftpd[2215]: [an] OK DOWNLOAD: Client \"203.0.113.5\", \"/srv/ftp/so-tc/bao cao.xlsx\", 204800 bytes, 1520.75Kbyte/sec",
        );
        assert_eq!(ev.get_field("file"), Some("/srv/ftp/so-tc/bao cao.xlsx"));
        assert_eq!(ev.bytes_in, Some(204_800));
        // Other lines (errors that Sigma's vsftpd rule looks for) stay as they are.
        let ev = parse(
            "Nov 28 10:02:06 ftp01 vsftpd[2217]: Connection refused: too many sessions for this address.",
        );
        assert_eq!(ev.source_type, SourceType::Ftp);
        assert_eq!(
            ev.message.as_deref(),
            Some("Connection refused: too many sessions for this address.")
        );
    }

    #[test]
    fn proftpd_sessions() {
        check(&[
            (
                "May 21 20:21:21 slacker proftpd[25530] slacker.lab.example (192.168.2.10[192.168.2.10]): USER a: no such user found from 192.168.2.10 [192.168.2.10] to 192.168.2.32:21",
                Some("a"),
                Some("192.168.2.10"),
                Some(FAILURE),
                "ftp_login",
            ),
            (
                "May 21 20:22:20 slacker proftpd[25557] slacker.lab.example (192.168.2.10[192.168.2.10]): USER dcid (Login failed): Incorrect password.",
                Some("dcid"),
                Some("192.168.2.10"),
                Some(FAILURE),
                "ftp_login",
            ),
            (
                "Jan 04 22:51:57 juf01 proftpd[12564]: juf01 (pD9EE35B1.dip.example.net[217.238.53.177]) - USER jufu: Login successful",
                Some("jufu"),
                Some("217.238.53.177"),
                Some(SUCCESS),
                "ftp_login",
            ),
            (
                "Jan 04 22:51:57 hayal proftpd[26916]: hayal (85.101.218.135[85.101.218.135]) - ANON anonymous: Login successful.",
                Some("anonymous"),
                Some("85.101.218.135"),
                Some(SUCCESS),
                "ftp_login",
            ),
            (
                "Jan 04 22:51:58 valhalla proftpd[7301]: valhalla.example (81.215.6.178[81.215.6.178]) - Maximum login attempts (3) exceeded",
                None,
                Some("81.215.6.178"),
                Some(FAILURE),
                "ftp_max_login_attempts",
            ),
            (
                "Jan 04 22:51:57 server proftpd[2344]: refused connect from 192.168.1.2 (192.168.1.2)",
                None,
                Some("192.168.1.2"),
                None,
                "ftp_connection_denied",
            ),
        ]);
        let ev = parse(
            "Jan 04 22:51:57 juf01 proftpd[12564]: juf01 (pD9EE35B1.dip.example.net[217.238.53.177]) - USER jufu: Login successful",
        );
        assert_eq!(ev.get_field("src_host"), Some("pD9EE35B1.dip.example.net"));
        assert_eq!(ev.get_field("server"), Some("juf01"));
    }

    #[test]
    fn pure_ftpd_sessions() {
        check(&[
            (
                "Nov 28 10:03:00 web02 pure-ftpd: (?@198.51.100.30) [WARNING] Authentication failed for user [webmaster]",
                Some("webmaster"),
                Some("198.51.100.30"),
                Some(FAILURE),
                "ftp_login",
            ),
            (
                "Nov 28 10:03:01 web02 pure-ftpd: (?@203.0.113.5) [INFO] webmaster is now logged in",
                Some("webmaster"),
                Some("203.0.113.5"),
                Some(SUCCESS),
                "ftp_login",
            ),
            (
                "Nov 28 10:03:02 web02 pure-ftpd: (webmaster@203.0.113.5) [NOTICE] /var/www/html//shell.php uploaded  (5120 bytes, 12.40KB/sec)",
                Some("webmaster"),
                Some("203.0.113.5"),
                None,
                "ftp_upload",
            ),
        ]);
    }
}
