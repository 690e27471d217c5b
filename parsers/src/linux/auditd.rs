//! Linux audit records: `[node=N ]type=T msg=audit(SECS.MILLIS:SERIAL): key=value ...`, as written to
//! `audit.log`, relayed by audisp/syslog, or logged by the kernel as `audit: type=1400 audit(...)`.
//!
//! Values come quoted (`"..."`), as a nested single-quoted list (`msg='op=login acct=... res=success'`,
//! flattened into the same fields), or hex-encoded when they hold spaces or control bytes (`proctitle`,
//! `acct`, `exe`, EXECVE arguments ...); those are decoded, with the NUL separators of `proctitle` read
//! as spaces. The "enriched" tail after a `0x1d` byte (`UID="root"`) is kept under its upper-case keys.

use std::borrow::Cow;

use crate::event::{Event, FAILURE, SUCCESS, SourceType};
use crate::payload::{PayloadParser, canonical_ip};

/// Linux audit records.
pub struct Auditd;

/// Fields auditd hex-encodes when their value is untrusted text.
const ENCODED: &[&str] = &[
    "proctitle",
    "comm",
    "exe",
    "cwd",
    "name",
    "path",
    "acct",
    "cmd",
    "data",
    "key",
    "old-chardev",
    "new-chardev",
    "vm",
    "root_dir",
    "grp",
    "new_group",
    "ocomm",
    "watch",
    "file",
    "argv",
];

impl PayloadParser for Auditd {
    fn source_type(&self) -> SourceType {
        SourceType::Auditd
    }

    fn claims(&self, _app: Option<&str>, message: &str) -> bool {
        let m = crate::payload::trim_start(message);
        // Every record is asked this (twice when it has a header): reject by the first byte.
        if !matches!(m.as_bytes().first(), Some(b't' | b'n' | b'a')) {
            return false;
        }
        let m = m.strip_prefix("audit: ").unwrap_or(m);
        (m.starts_with("type=") || m.starts_with("node=")) && m.contains("audit(")
    }

    fn parse<'a>(&self, message: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        let m = message.trim();
        let m = m.strip_prefix("audit: ").unwrap_or(m);
        let (body, enriched) = match m.split_once('\u{1d}') {
            Some((body, enriched)) => (body, Some(enriched)),
            None => (m, None),
        };
        let open = body.find("audit(").ok_or("auditd: no audit(...) stamp")?;
        let head = &body[..open];
        let after_open = &body[open + "audit(".len()..];
        let close = after_open
            .find(')')
            .ok_or("auditd: unterminated audit(...) stamp")?;
        let stamp = &after_open[..close];
        let rest = after_open[close + 1..].trim_start_matches(':').trim_start();

        let mut record_type = "";
        for (k, v) in pairs(head) {
            match k {
                "type" => {
                    record_type = v;
                    ev.field("type", v);
                }
                "node" => ev.host = Some(Cow::Borrowed(v)),
                "msg" => {}
                _ => ev.field(k, v),
            }
        }
        if let Some((secs, serial)) = stamp.split_once(':') {
            ev.field("sequence", serial);
            if let Some(ts) = stamp_micros(secs) {
                ev.ts = Some(ts);
            }
        }
        let is_execve = record_type == "EXECVE";
        walk(rest, is_execve, ev);
        command_line(record_type, ev);
        if let Some(enriched) = enriched {
            for (k, v) in pairs(enriched) {
                ev.field(k, unquote(v));
            }
        }
        if ev.user.is_none()
            && let Some(acct) = ev
                .fields
                .iter()
                .find(|(k, _)| k == "acct")
                .map(|(_, v)| v.clone())
        {
            ev.user = Some(acct);
        }
        Ok(())
    }
}

/// `cmdline`: the command line of an EXECVE record (its arguments `a0`, `a1`... joined by
/// spaces) or of a PROCTITLE record, so process-creation rules have one field to read.
fn command_line(record_type: &str, ev: &mut Event<'_>) {
    let line = match record_type {
        "PROCTITLE" => ev.get_field("proctitle").map(str::to_owned),
        "EXECVE" => {
            let mut args: Vec<&str> = Vec::new();
            for i in 0.. {
                match ev.get_field(&format!("a{i}")) {
                    Some(a) => args.push(a),
                    None => break,
                }
            }
            (!args.is_empty()).then(|| args.join(" "))
        }
        _ => None,
    };
    if let Some(line) = line {
        ev.field("cmdline", line);
    }
}

/// Reads the key/value list, descending into `msg='...'`.
fn walk<'a>(list: &'a str, is_execve: bool, ev: &mut Event<'a>) {
    for (k, v) in pairs(list) {
        if k == "msg" && v.starts_with('\'') {
            walk(v.trim_matches('\''), is_execve, ev);
            continue;
        }
        // Old kernels wrote `(hostname=?, addr=?, terminal=? res=success)`.
        let v = if v.starts_with('"') {
            v
        } else {
            v.trim_end_matches(',')
        };
        let v = if v.ends_with(')') && !v.contains('(') {
            &v[..v.len() - 1]
        } else {
            v
        };
        if k == "saddr" {
            decode_saddr(v, ev);
        }
        let value = decode_value(k, v, is_execve);
        match k {
            "pid" => ev.pid = Some(value.clone()),
            "res" | "success" | "result" => {
                ev.outcome = match value.as_ref() {
                    "success" | "yes" | "1" => Some(SUCCESS),
                    "failed" | "fail" | "no" | "0" => Some(FAILURE),
                    _ => ev.outcome,
                }
            }
            "addr" | "saddr_ip" => {
                if let Some(ip) = canonical_ip(&value) {
                    ev.src_ip = Some(match ip {
                        Cow::Borrowed(_) => value.clone(),
                        Cow::Owned(o) => Cow::Owned(o),
                    });
                }
            }
            _ => {}
        }
        ev.fields.push((Cow::Borrowed(k), value));
    }
}

/// `saddr=02000050A9FEA9FE...`: a hex `sockaddr`; IPv4 and IPv6 go to `dst_ip`/`dst_port` (the
/// address a socket call named, usually the remote end).
fn decode_saddr(v: &str, ev: &mut Event<'_>) {
    let Some(bytes) = hex_decode(v) else { return };
    let port = |b: &[u8]| u16::from_be_bytes([b[2], b[3]]);
    match bytes.first() {
        Some(2) if bytes.len() >= 8 => {
            let ip = std::net::Ipv4Addr::new(bytes[4], bytes[5], bytes[6], bytes[7]);
            ev.dst_ip = Some(Cow::Owned(ip.to_string()));
            ev.dst_port = Some(port(&bytes));
        }
        Some(10) if bytes.len() >= 24 => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(&bytes[8..24]);
            ev.dst_ip = Some(Cow::Owned(std::net::Ipv6Addr::from(octets).to_string()));
            ev.dst_port = Some(port(&bytes));
        }
        _ => {}
    }
}

/// `k=v` pairs separated by spaces, where `v` may be `"quoted"` or `'quoted'` with spaces inside.
fn pairs(s: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut rest = s;
    std::iter::from_fn(move || {
        loop {
            rest = rest.trim_start();
            if rest.is_empty() {
                return None;
            }
            let key_end = rest.find(['=', ' ']).unwrap_or(rest.len());
            let key = rest[..key_end].trim_start_matches('(');
            if rest.as_bytes().get(key_end) != Some(&b'=') {
                // A bare word (e.g. the kernel's `audit: backlog limit exceeded`): skip it.
                rest = &rest[key_end..];
                continue;
            }
            let after = &rest[key_end + 1..];
            let value_len = match after.as_bytes().first() {
                Some(q @ (b'"' | b'\'')) => after[1..]
                    .find(char::from(*q))
                    .map_or(after.len(), |i| i + 2),
                _ => after.find(' ').unwrap_or(after.len()),
            };
            let value = &after[..value_len];
            rest = &after[value_len..];
            if !key.is_empty() {
                return Some((key, value));
            }
        }
    })
}

fn unquote(v: &str) -> &str {
    v.strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(v)
}

/// Quoted values are literal; unquoted values of encoded fields that are all hex are decoded.
fn decode_value<'a>(key: &str, v: &'a str, is_execve: bool) -> Cow<'a, str> {
    if v.starts_with('"') {
        return Cow::Borrowed(unquote(v));
    }
    let encodable = ENCODED.contains(&key)
        || (is_execve
            && key.starts_with('a')
            && key[1..]
                .bytes()
                .all(|c| c.is_ascii_digit() || c == b'[' || c == b']'));
    if encodable
        && v.len() >= 2
        && v.len().is_multiple_of(2)
        && v.bytes().all(|c| c.is_ascii_hexdigit())
        && let Some(bytes) = hex_decode(v)
    {
        let text = String::from_utf8_lossy(&bytes).replace('\0', " ");
        return Cow::Owned(text.trim_end().to_owned());
    }
    Cow::Borrowed(v)
}

fn hex_decode(v: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| (c as char).to_digit(16).and_then(|d| u8::try_from(d).ok());
    v.as_bytes()
        .chunks_exact(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

/// `1364481363.243` -> micros.
fn stamp_micros(secs: &str) -> Option<i64> {
    let (whole, frac) = secs.split_once('.').unwrap_or((secs, "0"));
    let whole: i64 = whole.parse().ok()?;
    let mut micros: i64 = 0;
    for (i, c) in frac.bytes().take(6).enumerate() {
        micros += i64::from((c as char).to_digit(10)?) * 10i64.pow(5 - u32::try_from(i).ok()?);
    }
    whole.checked_mul(1_000_000)?.checked_add(micros)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Event<'_> {
        let mut ev = Event::default();
        let _ = Auditd.parse(line, &mut ev);
        ev
    }

    #[test]
    fn user_login_with_nested_msg_and_hex_acct() {
        let ev = parse(
            "type=USER_LOGIN msg=audit(1492896301.818:19955): pid=12635 uid=0 auid=4294967295 ses=4294967295 msg='op=login acct=28696E76616C6964207573657229 exe=\"/usr/sbin/sshd\" hostname=? addr=179.38.151.221 terminal=sshd res=failed'",
        );
        assert_eq!(ev.get_field("type"), Some("USER_LOGIN"));
        assert_eq!(ev.get_field("sequence"), Some("19955"));
        assert_eq!(ev.ts, Some(1_492_896_301_818_000));
        assert_eq!(ev.user.as_deref(), Some("(invalid user)"));
        assert_eq!(ev.get_field("exe"), Some("/usr/sbin/sshd"));
        assert_eq!(ev.src_ip.as_deref(), Some("179.38.151.221"));
        assert_eq!(ev.outcome, Some(FAILURE));
        assert_eq!(ev.pid.as_deref(), Some("12635"));
    }

    #[test]
    fn proctitle_and_execve_args_are_decoded() {
        let ev = parse(
            "type=PROCTITLE msg=audit(1451781471.394:194435): proctitle=737368643A206275726E205B707269765D",
        );
        assert_eq!(ev.get_field("proctitle"), Some("sshd: burn [priv]"));
        let ev = parse("type=EXECVE msg=audit(1.5:7): argc=2 a0=\"ls\" a1=2D6C61");
        assert_eq!(ev.get_field("cmdline"), Some("ls -la"));
        assert_eq!(ev.get_field("a1"), Some("-la"));
        // SYSCALL register arguments look like hex and must stay as they are.
        let ev = parse("type=SYSCALL msg=audit(1.5:7): a0=1f a1=7ffd42eb1590 success=yes");
        assert_eq!(ev.get_field("a0"), Some("1f"));
        assert_eq!(ev.outcome, Some(SUCCESS));
    }
}
