//! Email end to end: a real `canhgac serve`, a real SMTP server (aiosmtpd from Debian's
//! python3-aiosmtpd, started here, delivering to a Maildir), and the delivered messages parsed
//! back by Python's email package.

use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Datelike;
use serde_json::Value;

use crate::canhgac;
use crate::serve::{Daemon, Pki, free_port, metric_of, octet, pki};

/// Debian's interpreter: python3-aiosmtpd is installed for it, whatever else is on PATH.
const PYTHON: &str = "/usr/bin/python3";

/// How the test server is secured.
enum Security<'a> {
    Plain,
    StarttlsAuth(&'a Pki, &'a str, &'a str),
    ImplicitTls(&'a Pki),
}

/// aiosmtpd on 127.0.0.1, delivering to a Maildir.
struct SmtpServer {
    child: Child,
    maildir: PathBuf,
}

impl SmtpServer {
    fn start(dir: &Path, port: u16, security: Security<'_>) -> SmtpServer {
        let maildir = dir.join(format!("maildir-{port}"));
        let ready = dir.join(format!("smtpd-{port}.ready"));
        let _ = std::fs::remove_file(&ready);
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/smtpd.py");
        let mut cmd = Command::new(PYTHON);
        cmd.arg(&script)
            .args(["serve", "--port", &port.to_string(), "--maildir"])
            .arg(&maildir)
            .arg("--ready")
            .arg(&ready)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        match security {
            Security::Plain => {}
            Security::StarttlsAuth(pki, user, password) => {
                cmd.arg("--cert").arg(&pki.server_cert);
                cmd.arg("--key").arg(&pki.server_key);
                cmd.args(["--auth", &format!("{user}:{password}")]);
            }
            Security::ImplicitTls(pki) => {
                cmd.arg("--cert").arg(&pki.server_cert);
                cmd.arg("--key").arg(&pki.server_key);
                cmd.arg("--implicit-tls");
            }
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("starting aiosmtpd ({PYTHON} {}): {e}", script.display()));
        let mut server = SmtpServer { child, maildir };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !ready.is_file() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("aiosmtpd exited ({status}); is python3-aiosmtpd installed?");
            }
            assert!(Instant::now() < deadline, "aiosmtpd did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// Every delivered message, parsed.
    fn messages(&self) -> Vec<Value> {
        if !self.maildir.is_dir() {
            return Vec::new();
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/smtpd.py");
        let out = Command::new(PYTHON)
            .arg(&script)
            .arg("dump")
            .arg(&self.maildir)
            .output()
            .unwrap_or_else(|e| panic!("dumping the maildir: {e}"));
        assert!(
            out.status.success(),
            "dump: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout)
            .unwrap_or_else(|e| panic!("dump output: {e}"))
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Waits until `done` holds for the delivered messages, then returns them.
    fn wait_for(&self, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let messages = self.messages();
            if done(&messages) {
                return messages;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; delivered so far:\n{messages:#?}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A rule pack of two keyword rules: `EVILMARK` (high, mailed at once) and `LOWMARK` (medium,
/// digest only).
fn rules(dir: &Path) -> PathBuf {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap_or_else(|e| panic!("{e}"));
    let rule = |id: &str, title: &str, level: &str, word: &str| {
        format!(
            "title: {title}\nid: {id}\nstatus: test\ndescription: |\n  A log line carried the marker {word}.\n  \
             Second line of the description.\nlevel: {level}\ntags:\n  - attack.credential_access\n  - attack.t1110.001\n\
             falsepositives:\n  - Penetration tests announced to the SOC\nlogsource:\n  product: linux\n  service: sshd\n\
             detection:\n  keywords:\n    - '{word}'\n  condition: keywords\n"
        )
    };
    std::fs::write(
        rules.join("marks.yml"),
        format!(
            "{}---\n{}",
            rule(
                "5f1e0c2a-0000-4000-8000-000000000001",
                "Marked SSH activity",
                "high",
                "EVILMARK"
            ),
            rule(
                "5f1e0c2a-0000-4000-8000-000000000002",
                "Lesser marked SSH activity",
                "medium",
                "LOWMARK"
            )
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    rules
}

fn detection(rules: &Path) -> String {
    format!("builtin_pack = false\nrules = [\"{}\"]\n", rules.display())
}

fn send_lines(port: u16, records: &[Vec<u8>]) {
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| panic!("{e}"));
    for r in records {
        tcp.write_all(r).unwrap_or_else(|e| panic!("{e}"));
    }
}

fn line(text: &str) -> Vec<u8> {
    format!("{text}\n").into_bytes()
}

fn text_part<'a>(mail: &'a Value, content_type: &str) -> &'a str {
    mail["parts"]
        .as_array()
        .and_then(|parts| {
            parts
                .iter()
                .find(|p| p["content_type"] == content_type)
                .and_then(|p| p["text"].as_str())
        })
        .unwrap_or_else(|| panic!("no {content_type} part in {mail:#}"))
}

fn rcpt(mail: &Value) -> String {
    mail["rcpt_to"].as_str().unwrap_or_default().to_owned()
}

fn subject(mail: &Value) -> &str {
    mail["subject"].as_str().unwrap_or_default()
}

#[test]
fn starttls_with_auth_routes_by_department_and_escapes_what_logs_say() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let pki = pki(tmp.path());
    let smtp_port = free_port();
    let server = SmtpServer::start(
        tmp.path(),
        smtp_port,
        Security::StarttlsAuth(&pki, "canhgac", "s3cret pass"),
    );
    let password = tmp.path().join("smtp-password");
    std::fs::write(&password, "s3cret pass\n").unwrap_or_else(|e| panic!("{e}"));
    let (syt, stc, other) = (free_port(), free_port(), free_port());
    let rules = rules(tmp.path());
    let daemon = Daemon::start_with(
        tmp.path(),
        &detection(&rules),
        &format!(
            "[groups.syt]\nlabel = \"Sở Y tế\"\n\n[groups.stc]\nlabel = \"Sở Tài chính\"\n\n\
             [notify]\nbase_url = \"https://soc.example/ui/\"\ntimezone = \"Asia/Ho_Chi_Minh\"\n\
             poll_interval = \"100ms\"\nretry_initial = \"200ms\"\nretry_max = \"1s\"\n\n\
             [notify.smtp]\nhost = \"localhost\"\nport = {smtp_port}\nsecurity = \"starttls\"\n\
             username = \"canhgac\"\npassword_file = \"{}\"\nfrom = \"canhgac SOC <soc@dc.example>\"\n\
             ca_file = \"{}\"\ntimeout = \"10s\"\n\n\
             [[notify.route]]\nname = \"syt\"\nto = [\"it@syt.example\"]\ngroups = [\"syt\"]\nlang = \"vi\"\n\
             digest_every = \"1s\"\n\n\
             [[notify.route]]\nname = \"stc\"\nto = [\"it@stc.example\", \"head@stc.example\"]\n\
             groups = [\"stc\"]\nlang = \"en\"\n\n\
             [[notify.route]]\nname = \"soc\"\nto = [\"soc@dc.example\"]\ndefault = true\nlang = \"en\"\n\n\
             [[source]]\nname = \"syt-tcp\"\nkind = \"tcp\"\nlisten = \"127.0.0.1:{syt}\"\ngroup = \"syt\"\n\n\
             [[source]]\nname = \"stc-tcp\"\nkind = \"tcp\"\nlisten = \"127.0.0.1:{stc}\"\ngroup = \"stc\"\n\n\
             [[source]]\nname = \"other-tcp\"\nkind = \"tcp\"\nlisten = \"127.0.0.1:{other}\"\n",
            password.display(),
            pki.ca.display()
        ),
    );
    // An attacker controls the host name (CR/LF to add headers) and the message (HTML).
    let hostile = "<38>Oct  5 01:02:03 web01\r\nBcc:evil@evil.example\r\nX-Injected:1 sshd[123]: \
                   Failed password for <script>alert(1)</script>\"><img src=x onerror=alert(2)> \
                   EVILMARK from 203.0.113.9 port 4242 ssh2";
    send_lines(
        syt,
        &[
            octet(hostile),
            octet("<38>Oct  5 01:02:04 web02 sshd[124]: LOWMARK probe from 203.0.113.9"),
        ],
    );
    send_lines(
        stc,
        &[line(
            "<38>Oct  5 01:02:05 db02 sshd[77]: Invalid user admin EVILMARK from 198.51.100.7 port 50000",
        )],
    );
    send_lines(
        other,
        &[line(
            "<38>Oct  5 01:02:06 misc03 sshd[78]: EVILMARK from 192.0.2.44",
        )],
    );
    let mails = server.wait_for("four mails", |m| m.len() >= 4);
    std::thread::sleep(Duration::from_millis(1500));
    let mails_after = server.messages();
    assert_eq!(mails_after.len(), 4, "exactly four mails: {mails_after:#?}");

    let to = |who: &str| -> Vec<&Value> { mails.iter().filter(|m| rcpt(m) == who).collect() };
    // Department SYT: the hostile alert at once (Vietnamese), the medium one in a digest.
    let syt_mails = to("it@syt.example");
    assert_eq!(syt_mails.len(), 2, "{syt_mails:#?}");
    let alert = syt_mails
        .iter()
        .find(|m| subject(m).starts_with("[canhgac][CAO]"))
        .unwrap_or_else(|| panic!("no immediate mail to SYT: {syt_mails:#?}"));
    let s = subject(alert);
    assert!(
        s.contains("Marked SSH activity") && s.contains("(Sở Y tế)"),
        "{s}"
    );
    assert!(!s.contains('\r') && !s.contains('\n'), "{s:?}");
    assert!(
        alert["raw_subject"]
            .as_str()
            .is_some_and(|r| r.contains("=?utf-8?")),
        "non-ASCII subject must be RFC 2047 encoded: {alert:#}"
    );
    let headers: Vec<&str> = alert["header_names"]
        .as_array()
        .map(|h| h.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert!(
        !headers.contains(&"bcc") && !headers.contains(&"x-injected"),
        "{headers:?}"
    );
    assert!(
        mails.iter().all(|m| !rcpt(m).contains("evil")),
        "a log line chose a recipient"
    );
    assert_eq!(alert["defects"], serde_json::json!([]));
    let html = text_part(alert, "text/html");
    assert!(
        !html.contains("<script>") && !html.contains("<img src=x"),
        "{html}"
    );
    assert!(
        html.contains(
            "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"
        ),
        "{html}"
    );
    assert!(
        html.contains("Bằng chứng") && html.contains("Sở Y tế"),
        "{html}"
    );
    assert!(
        html.contains("https://attack.mitre.org/techniques/T1110/001/"),
        "{html}"
    );
    assert!(html.contains("Second line of the description"), "{html}");
    assert!(html.contains("2026-10-05 08:02:03 +07:00"), "{html}");
    let text = text_part(alert, "text/plain");
    assert!(
        text.contains("web01\\u{d}\\u{a}Bcc:evil@evil.example"),
        "{text}"
    );
    assert!(
        text.contains("Penetration tests announced to the SOC"),
        "{text}"
    );
    // The link names the alert in the alert log.
    let log = std::fs::read_to_string(tmp.path().join("data/alerts/alerts.jsonl"))
        .unwrap_or_else(|e| panic!("{e}"));
    let id = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|a| {
            a["evidence"][0]["raw"]
                .as_str()
                .is_some_and(|r| r.contains("web01"))
        })
        .and_then(|a| a["id"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("alert not in the log:\n{log}"));
    assert!(
        text.contains(&format!("https://soc.example/ui/alerts/{id}")),
        "{text}"
    );
    let digest = syt_mails
        .iter()
        .find(|m| subject(m).contains("Tổng hợp cảnh báo"))
        .unwrap_or_else(|| panic!("no digest to SYT: {syt_mails:#?}"));
    assert!(
        subject(digest).contains("1 cảnh báo"),
        "{}",
        subject(digest)
    );
    assert!(text_part(digest, "text/plain").contains("Lesser marked SSH activity"));

    // SSTC in English, to both of its addresses, in one mail.
    let stc_mails = to("it@stc.example, head@stc.example");
    assert_eq!(stc_mails.len(), 1, "{mails:#?}");
    assert!(
        subject(stc_mails[0])
            .starts_with("[canhgac][HIGH] Marked SSH activity on db02 (Sở Tài chính)"),
        "{}",
        subject(stc_mails[0])
    );
    assert!(text_part(stc_mails[0], "text/plain").contains("What to do"));
    // A source without a department: the default route.
    let soc = to("soc@dc.example");
    assert_eq!(soc.len(), 1, "{mails:#?}");
    assert!(subject(soc[0]).contains("misc03"), "{}", subject(soc[0]));

    assert_eq!(daemon.metric("canhgac_mail_sent_total"), 4.0);
    assert_eq!(daemon.metric("canhgac_mail_queued"), 0.0);
    daemon.stop();
}

/// `canhgac notify test` with a config file.
fn notify_test(config: &str, to: &str, lang: Option<&str>) -> std::process::Output {
    let mut args = vec!["notify", "test", "--to", to, "--config", config];
    if let Some(lang) = lang {
        args.extend(["--lang", lang]);
    }
    canhgac(&args, None)
}

#[test]
fn notify_test_over_plain_and_implicit_tls_and_a_wrong_password_is_explained() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let pki = pki(tmp.path());
    let write_config = |name: &str, smtp: &str| {
        let path = tmp.path().join(name);
        std::fs::write(
            &path,
            format!(
                "data_dir = \"{}\"\n[notify]\nlang = \"en\"\n[notify.smtp]\n{smtp}\nfrom = \"soc@dc.example\"\n\
                 timeout = \"5s\"\n[[notify.route]]\nname = \"soc\"\nto = [\"soc@dc.example\"]\n",
                tmp.path().join("data").display()
            ),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        path.display().to_string()
    };

    let plain_port = free_port();
    let plain = SmtpServer::start(tmp.path(), plain_port, Security::Plain);
    let config = write_config(
        "plain.toml",
        &format!("host = \"127.0.0.1\"\nport = {plain_port}\nsecurity = \"none\""),
    );
    let out = notify_test(&config, "it@syt.example", Some("vi"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = plain.wait_for("the test mail", |m| !m.is_empty());
    assert_eq!(rcpt(&got[0]), "it@syt.example");
    assert_eq!(subject(&got[0]), "Thư thử nghiệm canhgac");

    let tls_port = free_port();
    let tls = SmtpServer::start(tmp.path(), tls_port, Security::ImplicitTls(&pki));
    let config = write_config(
        "tls.toml",
        &format!(
            "host = \"localhost\"\nport = {tls_port}\nsecurity = \"tls\"\nca_file = \"{}\"",
            pki.ca.display()
        ),
    );
    let out = notify_test(&config, "noc@dc.example", None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = tls.wait_for("the test mail over TLS", |m| !m.is_empty());
    assert_eq!(subject(&got[0]), "canhgac test mail");

    // Without the CA the server's certificate is not trusted: an error, not a silent plain send.
    let config = write_config(
        "untrusted.toml",
        &format!("host = \"localhost\"\nport = {tls_port}\nsecurity = \"tls\""),
    );
    let out = notify_test(&config, "x@dc.example", None);
    assert!(!out.status.success());

    let auth_port = free_port();
    let _auth = SmtpServer::start(
        tmp.path(),
        auth_port,
        Security::StarttlsAuth(&pki, "canhgac", "right"),
    );
    let wrong = tmp.path().join("wrong-password");
    std::fs::write(&wrong, "wrong\n").unwrap_or_else(|e| panic!("{e}"));
    let config = write_config(
        "auth.toml",
        &format!(
            "host = \"localhost\"\nport = {auth_port}\nusername = \"canhgac\"\npassword_file = \"{}\"\nca_file = \"{}\"",
            wrong.display(),
            pki.ca.display()
        ),
    );
    let out = notify_test(&config, "x@dc.example", None);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("535") || stderr.to_lowercase().contains("auth"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("wrong"),
        "the password must never be printed: {stderr}"
    );

    // A password in the config file is refused with the way to do it instead.
    let config = write_config(
        "clear.toml",
        &format!("host = \"localhost\"\nport = {auth_port}\nusername = \"u\"\npassword = \"p\""),
    );
    let out = canhgac(&["config", "check", &config], None);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("password_env"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn mails_wait_in_the_outbox_through_an_outage_and_a_restart_and_go_out_once() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let smtp_port = free_port();
    let port = free_port();
    let rules = rules(tmp.path());
    let detection = detection(&rules);
    let rest = format!(
        "[notify]\nlang = \"en\"\npoll_interval = \"100ms\"\nretry_initial = \"200ms\"\nretry_max = \"500ms\"\n\
         [notify.smtp]\nhost = \"127.0.0.1\"\nport = {smtp_port}\nsecurity = \"none\"\nfrom = \"soc@dc.example\"\n\
         timeout = \"2s\"\n[[notify.route]]\nname = \"soc\"\nto = [\"soc@dc.example\"]\n\n\
         [[source]]\nname = \"tcp\"\nkind = \"tcp\"\nlisten = \"127.0.0.1:{port}\"\n"
    );
    // The mail server is down while three alerts (three hosts) arrive.
    let mut daemon = Daemon::start_with(tmp.path(), &detection, &rest);
    let hosts = ["web01", "web02", "db01"];
    let records: Vec<Vec<u8>> = hosts
        .iter()
        .map(|h| {
            line(&format!(
                "<38>Oct  5 01:02:03 {h} sshd[1]: EVILMARK from 203.0.113.9"
            ))
        })
        .collect();
    send_lines(port, &records);
    let m = daemon.metrics_port();
    daemon.wait_until("three mails queued and a failed attempt", || {
        metric_of(m, "canhgac_mail_queued") == 3.0
            && metric_of(m, "canhgac_mail_attempt_failures_total") >= 1.0
    });
    // No chance to clean up.
    daemon.kill();
    let data = daemon.data();
    let listed = canhgac(&["notify", "outbox", "--data-dir", &data], None);
    let listing = String::from_utf8_lossy(&listed.stdout);
    assert!(listing.starts_with("3 pending, 0 refused"), "{listing}");
    assert!(
        listing.contains("attempts 1") || listing.contains("attempts 2"),
        "{listing}"
    );

    // Restarted, still no server: the same three wait; nothing is routed twice.
    let mut daemon = daemon.restart();
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(daemon.metric("canhgac_mail_queued"), 3.0);
    // The server comes back: each mail is delivered, once.
    let server = SmtpServer::start(tmp.path(), smtp_port, Security::Plain);
    let mails = server.wait_for("three mails", |m| m.len() >= 3);
    let m = daemon.metrics_port();
    daemon.wait_until("the outbox is empty", || {
        metric_of(m, "canhgac_mail_queued") == 0.0
    });
    let daemon = daemon.restart();
    std::thread::sleep(Duration::from_millis(1500));
    let mails_after = server.messages();
    assert_eq!(mails_after.len(), 3, "{mails_after:#?}");
    let mut ids: Vec<&str> = mails
        .iter()
        .filter_map(|m| m["message_id"].as_str())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 3);
    for h in hosts {
        assert_eq!(
            mails.iter().filter(|m| subject(m).contains(h)).count(),
            1,
            "{h}: {mails:#?}"
        );
    }
    daemon.stop();
}

#[test]
fn a_flood_of_ten_thousand_alerts_makes_a_few_mails_that_count_them_all() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let smtp_port = free_port();
    let server = SmtpServer::start(tmp.path(), smtp_port, Security::Plain);
    let port = free_port();
    let rules = rules(tmp.path());
    let mut daemon = Daemon::start_with(
        tmp.path(),
        &detection(&rules),
        &format!(
            "[notify]\nlang = \"en\"\npoll_interval = \"100ms\"\n\
             [notify.smtp]\nhost = \"127.0.0.1\"\nport = {smtp_port}\nsecurity = \"none\"\nfrom = \"soc@dc.example\"\n\
             [[notify.route]]\nname = \"soc\"\nto = [\"soc@dc.example\"]\nsuppress_for = \"1h\"\n\
             digest_every = \"3s\"\nmax_per_hour = 30\n\n\
             [[source]]\nname = \"tcp\"\nkind = \"tcp\"\nlisten = \"127.0.0.1:{port}\"\n"
        ),
    );
    // One brute-force source, 10,000 failed logins within a minute of event time.
    let records: Vec<Vec<u8>> = (0..10_000)
        .map(|i| {
            line(&format!(
                "<38>Oct  5 01:02:{:02} web01 sshd[1]: Failed password for root from 203.0.113.50 port {} ssh2 EVILMARK",
                i * 60 / 10_000,
                30000 + i
            ))
        })
        .collect();
    send_lines(port, &records);
    let m = daemon.metrics_port();
    daemon.wait_until("10,000 alerts routed", || {
        metric_of(m, "canhgac_mail_routed_alerts_total") == 10_000.0
    });
    // Every alert is reported once: 1 in the immediate mail, the rest in digests.
    let reported = |mails: &[Value]| -> u64 {
        mails
            .iter()
            .map(|m| {
                let s = subject(m);
                if s.starts_with("[canhgac][HIGH]") {
                    return 1;
                }
                s.split(": ")
                    .nth(1)
                    .and_then(|rest| rest.split(" alerts").next())
                    .map_or(0, |n| n.replace(',', "").parse().unwrap_or(0))
            })
            .sum()
    };
    let mails = server.wait_for("all 10,000 alerts reported", |m| reported(m) >= 10_000);
    assert_eq!(reported(&mails), 10_000, "{mails:#?}");
    let immediate = mails
        .iter()
        .filter(|m| subject(m).starts_with("[canhgac][HIGH]"))
        .count();
    assert_eq!(immediate, 1);
    // The bound: one immediate mail per suppression window, plus one digest per 3 s while the
    // flood lasts (it is over in well under 10 s here).
    assert!(mails.len() <= 4, "{} mails", mails.len());
    let digest_text = mails
        .iter()
        .find(|m| subject(m).contains("Alert digest"))
        .map(|m| text_part(m, "text/plain").to_owned())
        .unwrap_or_default();
    assert!(
        digest_text.contains("repeats of a mailed alert"),
        "{digest_text}"
    );
    assert_eq!(
        daemon.metric("canhgac_alerts_total{level=\"high\"}"),
        10_000.0
    );
    daemon.stop();
}

#[test]
fn the_monthly_report_goes_out_as_an_attachment() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let smtp_port = free_port();
    let server = SmtpServer::start(tmp.path(), smtp_port, Security::Plain);
    let data = tmp.path().join("data");
    let config = tmp.path().join("canhgac.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = \"{}\"\n[report]\norganization = \"Sở Thông tin và Truyền thông\"\n\
             [notify.smtp]\nhost = \"127.0.0.1\"\nport = {smtp_port}\nsecurity = \"none\"\n\
             from = \"soc@dc.example\"\n[[notify.route]]\nname = \"soc\"\nto = [\"soc@dc.example\"]\n",
            data.display()
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let config = config.display().to_string();
    let auth = crate::sample("linux/auth.log");
    let data_s = data.display().to_string();
    crate::ok(&[
        "ingest",
        "--data-dir",
        &data_s,
        auth.to_str().unwrap_or_default(),
    ]);
    crate::ok(&[
        "report",
        "--config",
        &config,
        "--month",
        "2026-11",
        "--format",
        "pdf",
        "--mail-to",
        "ciso@dc.example",
        "--mail-to",
        "office@dc.example",
    ]);
    let mails = server.wait_for("the report mail", |m| !m.is_empty());
    assert_eq!(mails.len(), 1, "{mails:#?}");
    let mail = &mails[0];
    assert_eq!(rcpt(mail), "ciso@dc.example, office@dc.example");
    assert!(
        subject(mail).contains("Báo cáo giám sát an toàn thông tin hằng tháng 2026-11"),
        "{}",
        subject(mail)
    );
    let attachment = &mail["attachments"][0];
    assert_eq!(attachment["filename"], "canhgac-report-2026-11.pdf");
    assert_eq!(attachment["content_type"], "application/pdf");
    assert!(
        attachment["size"].as_u64().is_some_and(|n| n > 10_000),
        "{attachment}"
    );
    assert!(text_part(mail, "text/plain").contains("SHA-256"));
    // Nothing is left waiting.
    let listed = canhgac(&["notify", "outbox", "--config", &config], None);
    assert!(String::from_utf8_lossy(&listed.stdout).starts_with("0 pending, 0 refused"));
}

#[test]
fn the_daemon_makes_the_scheduled_report_and_mails_it_once() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let smtp_port = free_port();
    let server = SmtpServer::start(tmp.path(), smtp_port, Security::Plain);
    let data = tmp.path().join("data");
    let auth = crate::sample("linux/auth.log");
    crate::ok(&[
        "ingest",
        "--data-dir",
        &data.display().to_string(),
        auth.to_str().unwrap_or_default(),
    ]);
    // Due from the 1st of every month at 00:00 UTC: today, it is due for last month.
    let settings = format!(
        "[report]\norganization = \"Sở Thông tin và Truyền thông\"\n\
             [report.schedule]\nday = 1\nhour = 0\nlanguages = [\"vi\", \"en\"]\n\
             formats = [\"pdf\", \"json\"]\nrecipients = [\"ciso@dc.example\"]\n\
             [notify.smtp]\nhost = \"127.0.0.1\"\nport = {smtp_port}\nsecurity = \"none\"\n\
             from = \"soc@dc.example\"\n[[notify.route]]\nname = \"soc\"\nto = [\"soc@dc.example\"]\n\
             [[source]]\nname = \"udp\"\nkind = \"udp\"\nlisten = \"127.0.0.1:{}\"\n",
        free_port()
    );
    let daemon = Daemon::start_with(tmp.path(), "", &settings);
    let mails = server.wait_for("the scheduled report", |m| !m.is_empty());
    let now = chrono::Utc::now();
    let last = now.date_naive().with_day(1).and_then(|d| d.pred_opt());
    let month = last.map_or_else(String::new, |d| d.format("%Y-%m").to_string());
    let mail = &mails[0];
    assert_eq!(rcpt(mail), "ciso@dc.example");
    assert!(subject(mail).contains(&month), "{}", subject(mail));
    let names: Vec<&str> = mail["attachments"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["filename"].as_str()).collect())
        .unwrap_or_default();
    let expected: Vec<String> = ["vi.pdf", "vi.json", "en.pdf", "en.json"]
        .iter()
        .map(|s| format!("canhgac-report-{month}-{s}"))
        .collect();
    assert_eq!(names, expected);
    let reports = data.join("reports");
    for name in &expected {
        assert!(reports.join(name).is_file(), "{name} in reports/");
    }
    let record: Value = serde_json::from_slice(
        &std::fs::read(reports.join(format!("{month}.done.json"))).unwrap_or_default(),
    )
    .unwrap_or(Value::Null);
    assert_eq!(record["month"], month.as_str());
    assert_eq!(record["files"].as_array().map(Vec::len), Some(4));

    // Made once: neither a restart nor a run from cron makes or mails it again.
    daemon.stop();
    let daemon = Daemon::start_with(tmp.path(), "", &settings);
    std::thread::sleep(Duration::from_secs(3));
    let config = tmp.path().join("canhgac.toml").display().to_string();
    let again = canhgac(&["report", "--due", "--config", &config], None);
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("no scheduled report is due"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    daemon.stop();
    assert_eq!(server.messages().len(), 1);

    // Each run of the daemon left a health record at its stop, which the report sums.
    let health = std::fs::read_to_string(data.join("state/health.jsonl")).unwrap_or_default();
    assert_eq!(health.lines().count(), 2, "{health}");
    let this_month = now.format("%Y-%m").to_string();
    let r: Value = serde_json::from_str(&crate::ok(&[
        "report",
        "--data-dir",
        &data.display().to_string(),
        "--month",
        &this_month,
        "--format",
        "json",
    ]))
    .unwrap_or(Value::Null);
    let collectors = &r["continuity"]["collectors"];
    assert_eq!(collectors["records"].as_u64(), Some(2), "{collectors}");
    assert!(collectors["sources"]["udp"]["dropped"].as_u64() == Some(0));
    assert!(
        collectors["disk_free_bytes_min"]
            .as_u64()
            .is_some_and(|b| b > 0)
    );
}
