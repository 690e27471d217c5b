//! The daemon end to end: a real `canhgac serve` process, real sockets on 127.0.0.1, real files,
//! then the stored Parquet rows and alerts read back through the CLI.

use std::collections::{BTreeMap, HashSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::{canhgac, ok, sql_csv};

/// A free TCP port (and the same number is very likely free for UDP too).
pub(crate) fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
    let port = l.local_addr().map(|a| a.port()).unwrap_or(0);
    if UdpSocket::bind(("127.0.0.1", port)).is_err() {
        return free_port();
    }
    port
}

/// A running daemon.
pub(crate) struct Daemon {
    child: Child,
    dir: PathBuf,
    config: PathBuf,
    metrics: u16,
    log: PathBuf,
}

impl Daemon {
    /// Writes a config (data dir and metrics port prepended) and starts the daemon.
    pub(crate) fn start(dir: &Path, sources_toml: &str) -> Daemon {
        Daemon::start_with(dir, "", sources_toml)
    }

    /// Same, with more `[detection]` settings.
    pub(crate) fn start_with(dir: &Path, detection_toml: &str, rest_toml: &str) -> Daemon {
        let metrics = free_port();
        let config = dir.join("canhgac.toml");
        // Daemons of parallel tests must not share the UI's default port: off unless asked for.
        let ui_off = if rest_toml.contains("[ui]") {
            ""
        } else {
            "[ui]\nlisten = \"\"\n\n"
        };
        let text = format!(
            "data_dir = \"{}\"\n\n[pipeline]\nflush_interval_ms = 50\n\n[wal]\nsegment_max_age_ms = 500\n\n\
             [detection]\ncheckpoint_interval_ms = 200\n{detection_toml}\n\n[metrics]\nlisten = \"127.0.0.1:{metrics}\"\n\n{ui_off}{rest_toml}",
            dir.join("data").display()
        );
        std::fs::write(&config, text).unwrap_or_else(|e| panic!("config: {e}"));
        Daemon::spawn(dir, config, metrics)
    }

    fn spawn(dir: &Path, config: PathBuf, metrics: u16) -> Daemon {
        let log = dir.join(format!("daemon-{}.log", now_nanos()));
        let log_file = std::fs::File::create(&log).unwrap_or_else(|e| panic!("log: {e}"));
        let child = Command::new(env!("CARGO_BIN_EXE_canhgac"))
            .args(["serve", "--config"])
            .arg(&config)
            .env("CANHGAC_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("spawning canhgac serve: {e}"));
        let mut d = Daemon {
            child,
            dir: dir.to_owned(),
            config,
            metrics,
            log,
        };
        d.wait_until("the daemon is up", || d_get(metrics, "/healthz").is_some());
        d
    }

    /// Starts again on the same config and data.
    pub(crate) fn restart(self) -> Daemon {
        let (dir, config, metrics) = (self.dir.clone(), self.config.clone(), self.metrics);
        drop(self);
        Daemon::spawn(&dir, config, metrics)
    }

    pub(crate) fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    pub(crate) fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The value of a metric line (`name` with its labels, as rendered).
    pub(crate) fn metrics_port(&self) -> u16 {
        self.metrics
    }

    pub(crate) fn metric(&self, series: &str) -> f64 {
        metric_of(self.metrics, series)
    }

    pub(crate) fn wait_until(&mut self, what: &str, mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if done() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "daemon exited ({status}) waiting for {what}:\n{}",
                    self.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("timed out waiting for {what}:\n{}", self.log_text());
    }

    /// Waits until `n` records are accepted (in the WAL).
    pub(crate) fn wait_accepted(&mut self, n: u64) {
        let metrics = self.metrics;
        self.wait_until(&format!("{n} records accepted"), || {
            metric_of(metrics, "canhgac_pipeline_accepted_total") >= n as f64
        });
    }

    /// SIGTERM, and the exit must be clean and quick.
    pub(crate) fn stop(mut self) -> String {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -TERM failed");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                assert!(
                    status.success(),
                    "daemon exit {status}:\n{}",
                    self.log_text()
                );
                return self.log_text();
            }
            assert!(
                Instant::now() < deadline,
                "daemon did not stop on SIGTERM:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL: no chance to flush anything.
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn now_nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

fn d_get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).ok()?;
    body.starts_with("HTTP/1.1 200")
        .then(|| body.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()))
        .flatten()
}

pub(crate) fn metric_of(port: u16, series: &str) -> f64 {
    d_get(port, "/metrics")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix(series)
                .and_then(|rest| rest.strip_prefix(' '))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(f64::NAN)
}

/// `count(*)` of stored events per `raw` text, as a map.
fn stored_counts(data: &str, filter: &str) -> BTreeMap<String, u64> {
    let csv = sql_csv(
        data,
        &format!(
            "SELECT CAST(raw AS VARCHAR) AS line, count(*) AS n FROM events WHERE {filter} GROUP BY line"
        ),
    );
    csv.lines()
        .skip(1)
        .filter_map(|l| {
            let (line, n) = l.rsplit_once(',')?;
            Some((line.trim_matches('"').to_owned(), n.parse().ok()?))
        })
        .collect()
}

pub(crate) fn octet(line: &str) -> Vec<u8> {
    format!("{} {line}", line.len()).into_bytes()
}

/// RFC 5424 sshd failure with a fixed event time, so detection is deterministic.
fn ssh_failure(i: usize, ip: &str) -> String {
    format!(
        "<38>1 2026-11-20T08:{:02}:{:02}.000Z web01 sshd 4242 - - Failed password for root from {ip} port {} ssh2",
        (i / 60) % 60,
        i % 60,
        40000 + i
    )
}

#[test]
fn udp_and_tcp_with_both_framings_store_rows_and_raise_alerts() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let port = free_port();
    let mut d = Daemon::start(
        tmp.path(),
        &format!(
            "[groups.so-tttt]\nlabel = \"Sở Thông tin và Truyền thông\"\ncidrs = [\"127.0.0.0/8\"]\n\n\
             [[source]]\nname = \"syslog-udp\"\nkind = \"udp\"\nlisten = \"127.0.0.1:{port}\"\n\n\
             [[source]]\nname = \"syslog-tcp\"\nkind = \"tcp\"\nlisten = \"127.0.0.1:{port}\"\n"
        ),
    );
    // UDP: twelve SSH failures from one address (a brute force), one datagram each.
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    for i in 0..12 {
        udp.send_to(
            ssh_failure(i, "198.51.100.7").as_bytes(),
            ("127.0.0.1", port),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
    // TCP, octet counting, with a record that contains a newline.
    let mut octets = TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| panic!("{e}"));
    for i in 0..50 {
        octets
            .write_all(&octet(&format!(
                "<13>Nov 20 08:00:00 db01 app: octet record {i}"
            )))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    octets
        .write_all(&octet("<13>Nov 20 08:00:00 db01 app: two\nlines"))
        .unwrap_or_else(|e| panic!("{e}"));
    drop(octets);
    // TCP, newline framing, the last line without its newline.
    let mut lines = TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| panic!("{e}"));
    let mut text = String::new();
    for i in 0..50 {
        text.push_str(&format!(
            "<13>Nov 20 08:00:00 db02 app: newline record {i}\n"
        ));
    }
    text.push_str("<13>Nov 20 08:00:00 db02 app: no terminator");
    lines
        .write_all(text.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    drop(lines);
    d.wait_accepted(12 + 51 + 51);
    assert_eq!(
        d.metric("canhgac_source_received_total{source=\"syslog-udp\"}"),
        12.0
    );
    assert_eq!(
        d.metric("canhgac_source_connections_total{source=\"syslog-tcp\"}"),
        2.0
    );
    let data = d.data();
    let log = d.stop();
    assert!(log.contains("canhgac serving"), "{log}");

    let per_collector = sql_csv(
        &data,
        "SELECT collector, peer, asset_group, count(*) AS n FROM events GROUP BY collector, peer, asset_group ORDER BY collector",
    );
    assert_eq!(
        per_collector,
        "collector,peer,asset_group,n\nsyslog-tcp,127.0.0.1,so-tttt,102\nsyslog-udp,127.0.0.1,so-tttt,12\n"
    );
    let octet_rows = stored_counts(&data, "message LIKE 'octet record %'");
    assert_eq!(octet_rows.len(), 50);
    assert!(octet_rows.values().all(|n| *n == 1));
    assert_eq!(
        sql_csv(
            &data,
            "SELECT message FROM events WHERE host = 'db01' AND message LIKE 'two%'"
        ),
        "message\n\"two\nlines\"\n"
    );
    assert_eq!(
        sql_csv(
            &data,
            "SELECT count(*) AS n FROM events WHERE message IN ('no terminator', 'newline record 49')"
        ),
        "n\n2\n"
    );
    let alerts = sql_csv(
        &data,
        "SELECT title, count(*) AS n FROM alerts WHERE level = 'high' GROUP BY title",
    );
    assert!(
        alerts.contains("SSH brute force from one source,1"),
        "{alerts}"
    );
    // The index caught up: search finds the alert.
    let found = ok(&[
        "search",
        "--data-dir",
        &data,
        "--json",
        "src_ip:198.51.100.7 AND level:high",
    ]);
    assert!(found.contains("SSH brute force"), "{found}");
}

#[test]
fn peers_outside_allowed_peers_are_dropped_and_counted() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (open, closed) = (free_port(), free_port());
    let mut d = Daemon::start(
        tmp.path(),
        &format!(
            "[[source]]\nname = \"open\"\nkind = \"tcp\"\nlisten = \"127.0.0.1:{open}\"\n\n\
             [[source]]\nname = \"fw-only\"\nkind = \"udp\"\nlisten = \"127.0.0.1:{closed}\"\nallowed_peers = [\"10.0.0.0/8\", \"2001:db8::/32\"]\n"
        ),
    );
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    for _ in 0..3 {
        udp.send_to(
            b"<13>Nov 20 08:00:00 x y: from outside",
            ("127.0.0.1", closed),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
    let mut tcp = TcpStream::connect(("127.0.0.1", open)).unwrap_or_else(|e| panic!("{e}"));
    tcp.write_all(b"<13>Nov 20 08:00:00 x y: allowed\n")
        .unwrap_or_else(|e| panic!("{e}"));
    drop(tcp);
    let metrics = d.metrics;
    d.wait_until("dropped peers counted", || {
        metric_of(
            metrics,
            "canhgac_source_dropped_peer_total{source=\"fw-only\"}",
        ) == 3.0
    });
    d.wait_accepted(1);
    let data = d.data();
    d.stop();
    assert_eq!(
        sql_csv(
            &data,
            "SELECT collector, count(*) AS n FROM events GROUP BY collector"
        ),
        "collector,n\nopen,1\n"
    );
}

/// A test CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files.
pub(crate) struct Pki {
    pub(crate) ca: PathBuf,
    pub(crate) server_cert: PathBuf,
    pub(crate) server_key: PathBuf,
    client_chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    client_key: rustls::pki_types::PrivateKeyDer<'static>,
    ca_der: rustls::pki_types::CertificateDer<'static>,
}

pub(crate) fn pki(dir: &Path) -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, SanType};
    fn fail<T>(e: rcgen::Error) -> T {
        panic!("rcgen: {e}")
    }
    let ca_key = KeyPair::generate().unwrap_or_else(fail);
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap_or_else(fail);
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "canhgac test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap_or_else(fail);
    let issuer = rcgen::Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate().unwrap_or_else(fail);
    let mut server_params =
        CertificateParams::new(vec!["localhost".to_owned()]).unwrap_or_else(fail);
    server_params.subject_alt_names.push(SanType::IpAddress(
        "127.0.0.1".parse().unwrap_or_else(|e| panic!("{e}")),
    ));
    let server = server_params
        .signed_by(&server_key, &issuer)
        .unwrap_or_else(fail);

    let client_key = KeyPair::generate().unwrap_or_else(fail);
    let client_params =
        CertificateParams::new(vec!["fw01.so-tttt.example".to_owned()]).unwrap_or_else(fail);
    let client = client_params
        .signed_by(&client_key, &issuer)
        .unwrap_or_else(fail);

    let write = |name: &str, text: String| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap_or_else(|e| panic!("{e}"));
        p
    };
    Pki {
        ca: write("ca.pem", ca.pem()),
        server_cert: write("server.pem", server.pem()),
        server_key: write("server.key", server_key.serialize_pem()),
        client_chain: vec![client.der().clone()],
        client_key: rustls::pki_types::PrivateKeyDer::try_from(client_key.serialize_der())
            .unwrap_or_else(|e| panic!("{e}")),
        ca_der: ca.der().clone(),
    }
}

pub(crate) fn tls_client(pki: &Pki, with_cert: bool) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(pki.ca_der.clone())
        .unwrap_or_else(|e| panic!("{e}"));
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap_or_else(|e| panic!("{e}"))
    .with_root_certificates(roots);
    Arc::new(if with_cert {
        builder
            .with_client_auth_cert(pki.client_chain.clone(), pki.client_key.clone_key())
            .unwrap_or_else(|e| panic!("{e}"))
    } else {
        builder.with_no_client_auth()
    })
}

/// Sends records over TLS; Err when the server refuses the handshake.
fn send_tls(
    config: Arc<rustls::ClientConfig>,
    port: u16,
    records: &[String],
) -> std::io::Result<()> {
    let name =
        rustls::pki_types::ServerName::try_from("127.0.0.1").map_err(std::io::Error::other)?;
    let conn = rustls::ClientConnection::new(config, name).map_err(std::io::Error::other)?;
    let tcp = TcpStream::connect(("127.0.0.1", port))?;
    tcp.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    for r in records {
        tls.write_all(&octet(r))?;
    }
    tls.flush()?;
    // TLS 1.3 reports a rejected client certificate after the handshake: read to see it.
    tls.conn.send_close_notify();
    tls.flush()?;
    let mut rest = Vec::new();
    match tls.read_to_end(&mut rest) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(()),
        Err(e) => Err(e),
    }
}

#[test]
fn tls_with_client_certificates_and_a_plain_text_client() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let pki = pki(tmp.path());
    let port = free_port();
    let mut d = Daemon::start(
        tmp.path(),
        &format!(
            "[[source]]\nname = \"syslog-tls\"\nkind = \"tls\"\nlisten = \"127.0.0.1:{port}\"\n\
             tls_cert = \"{}\"\ntls_key = \"{}\"\ntls_client_ca = \"{}\"\n",
            pki.server_cert.display(),
            pki.server_key.display(),
            pki.ca.display()
        ),
    );
    // A client speaking plain text to the TLS port is refused and counted.
    let mut plain = TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| panic!("{e}"));
    let _ = plain.write_all(b"<13>Nov 20 08:00:00 x y: plain text on the TLS port\n");
    // A client without a certificate is refused.
    let refused = send_tls(
        tls_client(&pki, false),
        port,
        &["<13>Nov 20 08:00:00 x y: anonymous".to_owned()],
    );
    assert!(
        refused.is_err(),
        "a client without certificate was accepted"
    );
    // A client with a certificate from the CA gets through, while the plain one still hangs on.
    let records: Vec<String> = (0..20)
        .map(|i| format!("<13>Nov 20 08:00:00 fw01 app: over tls {i}"))
        .collect();
    send_tls(tls_client(&pki, true), port, &records).unwrap_or_else(|e| panic!("tls send: {e}"));
    d.wait_accepted(20);
    drop(plain);
    let metrics = d.metrics;
    d.wait_until("two TLS failures counted", || {
        metric_of(
            metrics,
            "canhgac_source_tls_failures_total{source=\"syslog-tls\"}",
        ) >= 2.0
    });
    let data = d.data();
    d.stop();
    let rows = stored_counts(&data, "message LIKE 'over tls %'");
    assert_eq!(rows.len(), 20);
    assert_eq!(
        sql_csv(
            &data,
            "SELECT count(*) AS n FROM events WHERE message LIKE '%anonymous%' OR message LIKE '%plain text%'"
        ),
        "n\n0\n"
    );
}

fn append(path: &Path, lines: &[String]) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for l in lines {
        writeln!(f, "{l}").unwrap_or_else(|e| panic!("{e}"));
    }
}

fn numbered(prefix: &str, range: std::ops::Range<usize>) -> Vec<String> {
    range
        .map(|i| format!("<14>Nov 20 09:00:00 app01 svc: {prefix} {i}"))
        .collect()
}

#[test]
fn file_tail_follows_rotation_by_rename_and_by_truncation() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let logs = tmp.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap_or_else(|e| panic!("{e}"));
    let app = logs.join("app.log");
    append(&app, &numbered("before start", 0..10));
    // An old compressed rotation that must not be read.
    std::fs::write(logs.join("app.log.3.gz"), b"\x1f\x8b\x08\x00garbage")
        .unwrap_or_else(|e| panic!("{e}"));
    let mut d = Daemon::start(
        tmp.path(),
        &format!(
            "[[source]]\nname = \"app-files\"\nkind = \"file\"\npath = \"{}/app.log*\"\npoll_interval_ms = 50\n",
            logs.display()
        ),
    );
    d.wait_accepted(10);
    append(&app, &numbered("first file", 0..10));
    d.wait_accepted(20);
    // Rotation by rename: the writer appends a little more to the renamed file, then a new file.
    std::fs::rename(&app, logs.join("app.log.1")).unwrap_or_else(|e| panic!("{e}"));
    append(&logs.join("app.log.1"), &numbered("late in rotated", 0..5));
    append(&app, &numbered("second file", 0..10));
    d.wait_accepted(35);
    // Rotation by truncation (copytruncate).
    std::fs::copy(&app, logs.join("app.log.2")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&app, b"").unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_millis(300));
    append(&app, &numbered("after truncate", 0..5));
    // 35 so far, the copy (a new file: its 10 lines are read as such), the 5 new lines.
    d.wait_accepted(50);
    let data = d.data();
    d.stop();
    let rows = stored_counts(&data, "collector = 'app-files'");
    // app.log.2 is a copy of already-read lines under a new identity: read again, by design of
    // copytruncate (the copy is a new file). Everything else exactly once.
    for (prefix, n) in [
        ("before start", 10),
        ("first file", 10),
        ("late in rotated", 5),
        ("after truncate", 5),
    ] {
        for i in 0..n {
            let line = format!("<14>Nov 20 09:00:00 app01 svc: {prefix} {i}");
            assert_eq!(rows.get(&line), Some(&1), "{line}: {rows:?}");
        }
    }
    for i in 0..10 {
        let line = format!("<14>Nov 20 09:00:00 app01 svc: second file {i}");
        assert!(rows.get(&line).is_some_and(|n| *n >= 1), "{line}");
    }
    assert!(!rows.keys().any(|l| l.contains("garbage")));
}

#[test]
fn sigkill_mid_stream_loses_nothing_accepted_and_duplicates_nothing() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let logs = tmp.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap_or_else(|e| panic!("{e}"));
    let auth = logs.join("auth.log");
    let port = free_port();
    let sources = format!(
        "[[source]]\nname = \"tcp\"\nkind = \"tcp\"\nlisten = \"127.0.0.1:{port}\"\n\n\
         [[source]]\nname = \"auth-file\"\nkind = \"file\"\npath = \"{}\"\npoll_interval_ms = 20\n",
        auth.display()
    );
    // The tailed file carries the lines that raise alerts (per-event and correlation).
    let file_lines: Vec<String> = (0..400)
        .map(|i| ssh_failure(i, &format!("203.0.113.{}", i / 40)))
        .collect();
    let tcp_lines: Vec<String> = (0..6000)
        .map(|i| format!("<13>Nov 20 10:00:00 relay app: tcp record {i}"))
        .collect();

    let mut d = Daemon::start(tmp.path(), &sources);
    append(&auth, &file_lines[..100]);
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| panic!("{e}"));
    for l in &tcp_lines[..1000] {
        tcp.write_all(&octet(l)).unwrap_or_else(|e| panic!("{e}"));
    }
    // These are acknowledged: in the WAL before the kill.
    d.wait_accepted(1100);
    // Mid-stream: a writer thread keeps sending while the daemon is killed.
    let sender = {
        let lines = tcp_lines[1000..4000].to_vec();
        std::thread::spawn(move || {
            let mut sent = 0usize;
            for l in &lines {
                if tcp.write_all(&octet(l)).is_err() {
                    break;
                }
                sent += 1;
            }
            sent
        })
    };
    append(&auth, &file_lines[100..250]);
    std::thread::sleep(Duration::from_millis(30));
    d.kill();
    let attempted = 1000 + sender.join().unwrap_or(0);
    append(&auth, &file_lines[250..300]);

    let mut d = d.restart();
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| panic!("{e}"));
    for l in &tcp_lines[4000..] {
        tcp.write_all(&octet(l)).unwrap_or_else(|e| panic!("{e}"));
    }
    drop(tcp);
    append(&auth, &file_lines[300..]);
    let metrics = d.metrics;
    d.wait_until("the file and the last TCP records", || {
        metric_of(metrics, "canhgac_source_received_total{source=\"tcp\"}") >= 2000.0
            && metric_of(metrics, "canhgac_pipeline_accepted_total")
                >= metric_of(metrics, "canhgac_source_received_total{source=\"tcp\"}") + 1.0
    });
    let data = d.data();
    std::thread::sleep(Duration::from_millis(500));
    d.stop();

    // The file: every line exactly once (offsets travel with the WAL).
    let file_rows = stored_counts(&data, "collector = 'auth-file'");
    for l in &file_lines {
        assert_eq!(file_rows.get(l), Some(&1), "{l}");
    }
    // TCP: nothing twice; everything acknowledged before the kill and after the restart is there.
    let tcp_rows = stored_counts(&data, "collector = 'tcp'");
    assert!(
        tcp_rows.values().all(|n| *n == 1),
        "a TCP record stored twice"
    );
    for l in tcp_lines[..1000].iter().chain(&tcp_lines[4000..]) {
        assert_eq!(tcp_rows.get(l), Some(&1), "{l}");
    }
    // What was lost is a tail of what was in flight at the kill, never a hole.
    let stored_before_kill = (0..attempted)
        .filter(|i| tcp_rows.contains_key(&tcp_lines[*i]))
        .count();
    assert!((0..stored_before_kill).all(|i| tcp_rows.contains_key(&tcp_lines[i])));

    // Alerts: exactly those a single uninterrupted run over the same lines raises.
    let file = tmp.path().join("auth-all.log");
    append(&file, &file_lines);
    let expected: HashSet<String> = ok(&["detect", file.to_str().unwrap_or_default()])
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["id"].as_str().map(str::to_owned))
        .collect();
    assert!(expected.len() >= 10, "{}", expected.len());
    let stored = sql_csv(&data, "SELECT id FROM alerts");
    let ids: Vec<&str> = stored.lines().skip(1).collect();
    let unique: HashSet<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(ids.len(), unique.len(), "duplicate alert ids");
    assert_eq!(unique, expected);
}

#[test]
fn bad_input_over_the_wire_is_survived_and_counted() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let port = free_port();
    let mut d = Daemon::start(
        tmp.path(),
        &format!(
            "[[source]]\nname = \"tcp\"\nkind = \"tcp\"\nlisten = \"127.0.0.1:{port}\"\nidle_timeout_ms = 1000\n"
        ),
    );
    // A slowloris: one byte at a time, never finishing its record.
    let mut slow = TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| panic!("{e}"));
    slow.write_all(b"<1").unwrap_or_else(|e| panic!("{e}"));
    let slow_writer = std::thread::spawn(move || {
        for _ in 0..20 {
            if slow.write_all(b"3").is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    // A silent client, closed by the idle timeout.
    let _silent = TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| panic!("{e}"));
    // Binary garbage, then a good record on the same connection.
    let mut garbage = TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| panic!("{e}"));
    let noise: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    garbage.write_all(&noise).unwrap_or_else(|e| panic!("{e}"));
    garbage
        .write_all(b"\n<13>Nov 20 08:00:00 h app: after the garbage\n")
        .unwrap_or_else(|e| panic!("{e}"));
    drop(garbage);
    // A 10 MB line, then a good one.
    let mut big = TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| panic!("{e}"));
    let mut line = b"<13>Nov 20 08:00:00 h app: huge ".to_vec();
    line.resize(10 * 1024 * 1024, b'A');
    line.extend_from_slice(b"\n<13>Nov 20 08:00:00 h app: after the huge line\n");
    big.write_all(&line).unwrap_or_else(|e| panic!("{e}"));
    drop(big);
    // Meanwhile an ordinary client is served.
    let mut good = TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| panic!("{e}"));
    for i in 0..100 {
        good.write_all(format!("<13>Nov 20 08:00:00 h app: good {i}\n").as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
    }
    drop(good);
    let metrics = d.metrics;
    d.wait_until(
        "the good records, the truncation and the idle timeout",
        || {
            metric_of(metrics, "canhgac_source_truncated_total{source=\"tcp\"}") >= 1.0
                && metric_of(
                    metrics,
                    "canhgac_source_idle_timeouts_total{source=\"tcp\"}",
                ) >= 1.0
                && metric_of(metrics, "canhgac_pipeline_accepted_total") >= 103.0
        },
    );
    let _ = slow_writer.join();
    let data = d.data();
    d.stop();
    assert_eq!(stored_counts(&data, "message LIKE 'good %'").len(), 100);
    assert_eq!(
        sql_csv(
            &data,
            "SELECT count(*) AS n FROM events WHERE message IN ('after the garbage', 'after the huge line')"
        ),
        "n\n2\n"
    );
    let huge = sql_csv(
        &data,
        "SELECT octet_length(CAST(raw AS VARCHAR)) AS len, fields['truncated'] AS flag FROM events WHERE message LIKE 'huge%'",
    );
    assert!(huge.starts_with("len,flag\n65536,"), "{huge}");
}

#[test]
fn config_check_names_unknown_keys_and_accepts_the_sample() {
    let sample = crate::sample("canhgac.toml");
    let out = ok(&["config", "check", sample.to_str().unwrap_or_default()]);
    assert!(out.contains(": ok"), "{out}");
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let bad = tmp.path().join("bad.toml");
    std::fs::write(&bad, "[[source]]\nname = \"fw\"\nkind = \"udp\"\nlisten = \"127.0.0.1:5514\"\nallowed_peer = [\"10.0.0.0/8\"]\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let out = canhgac(&["config", "check", bad.to_str().unwrap_or_default()], None);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("allowed_peer"), "{err}");
}
