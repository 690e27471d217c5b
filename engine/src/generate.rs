//! Deterministic, realistic log generator for samples, demos and benchmarks.
//!
//! The same seed gives the same lines. The mix imitates a provincial data centre's Linux servers:
//! mostly routine sshd, PAM, cron, sudo and kernel lines, with attacks woven in (SSH brute force from
//! a few external addresses, password spraying, sudo by users outside sudoers, new accounts added to
//! privileged groups) at a configurable share. The firewall kinds imitate the perimeter: FortiGate,
//! Cisco ASA and iptables traffic, with port scans and RDP/SSH probing from the same attackers.

use std::io::Write;

/// Output formats the generator writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `/var/log/auth.log`-style RFC 3164 lines with PRI (as relayed by rsyslog).
    Auth3164,
    /// RFC 5424 lines as a modern rsyslog/syslog-ng relay forwards them.
    Syslog5424,
    /// `audit.log` records.
    Audit,
    /// A mix of the above.
    Mixed,
    /// FortiGate traffic and event logs (key=value, PRI without a BSD header).
    FortiGate,
    /// Cisco ASA connection, deny and AAA messages.
    CiscoAsa,
    /// iptables / UFW kernel LOG lines.
    Iptables,
}

/// Generator settings.
#[derive(Debug, Clone)]
pub struct GenOptions {
    /// What to write.
    pub kind: Kind,
    /// Number of lines.
    pub lines: u64,
    /// PRNG seed.
    pub seed: u64,
    /// Event time of the first line, seconds since the epoch (UTC).
    pub start_secs: i64,
    /// Mean seconds between lines.
    pub mean_gap_secs: f64,
    /// Share of attack lines, 0..1.
    pub attack_share: f64,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            kind: Kind::Mixed,
            lines: 1000,
            seed: 1,
            // 2026-11-02T00:00:00Z
            start_secs: 1_793_577_600,
            mean_gap_secs: 2.0,
            attack_share: 0.15,
        }
    }
}

/// splitmix64: small, fast, and reproducible everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

const HOSTS: &[&str] = &[
    "stttt-web01",
    "stttt-web02",
    "sotc-db01",
    "skhdt-app01",
    "ubnd-mail01",
    "ubnd-dns01",
    "syt-his01",
    "sgtvt-gis01",
];
const USERS: &[&str] = &[
    "nguyenvana",
    "tranthib",
    "lequangc",
    "phamminhd",
    "hoangthie",
    "vuvanf",
    "dangthig",
    "buivanh",
    "admin_soc",
    "deploy",
];
const ADMINS: &[&str] = &["nguyenvana", "admin_soc", "deploy"];
const INTERNAL: &[&str] = &[
    "10.20.1.15",
    "10.20.1.16",
    "10.20.4.21",
    "10.30.2.8",
    "172.16.5.40",
    "172.16.5.41",
];
const ATTACKERS: &[&str] = &[
    "185.220.101.47",
    "45.155.205.233",
    "103.145.13.102",
    "2a0d:5600:24:b0::7",
];
const SPRAY_USERS: &[&str] = &[
    "admin", "root", "test", "oracle", "postgres", "ubuntu", "guest", "support", "user", "ftpuser",
];
const COMMANDS: &[&str] = &[
    "/usr/bin/systemctl restart nginx",
    "/usr/bin/apt-get update",
    "/usr/bin/journalctl -u sshd",
    "/bin/cat /var/log/syslog",
    "/usr/bin/tail -n 100 /var/log/nginx/error.log",
];

/// Writes `options.lines` lines to `out`.
pub fn generate(options: &GenOptions, out: &mut impl Write) -> std::io::Result<()> {
    let mut rng = Rng(options.seed);
    let mut t = options.start_secs as f64;
    let mut line = String::with_capacity(256);
    let mut burst: Option<(usize, u32)> = None;
    for _ in 0..options.lines {
        t += -options.mean_gap_secs * (1.0 - rng.unit()).max(1e-12).ln();
        let kind = match options.kind {
            Kind::Mixed => *rng.pick(&[
                Kind::Auth3164,
                Kind::Auth3164,
                Kind::Auth3164,
                Kind::Syslog5424,
                Kind::Audit,
            ]),
            k => k,
        };
        let secs = t as i64;
        let micros = ((t - secs as f64) * 1e6) as u32;
        let host = *rng.pick(HOSTS);
        let pid = 1000 + rng.below(60000);
        line.clear();
        // Attacks come in bursts averaging about 15 lines, so bursts start at share/15.
        let attack = burst.is_some() || rng.unit() < options.attack_share / 15.0;
        let body = if attack {
            attack_line(&mut rng, &mut burst)
        } else {
            routine_line(&mut rng)
        };
        let (app, msg) = (body.0, body.1);
        match kind {
            Kind::Auth3164 | Kind::Mixed => {
                let stamp = chrono::DateTime::from_timestamp(secs, 0)
                    .unwrap_or_default()
                    .format("%b %e %H:%M:%S");
                // kernel and sudo lines carry no pid in their tag.
                match app {
                    "kernel" => line.push_str(&format!("<4>{stamp} {host} kernel: {msg}")),
                    "sudo" => line.push_str(&format!("<85>{stamp} {host} sudo: {msg}")),
                    _ => line.push_str(&format!("<86>{stamp} {host} {app}[{pid}]: {msg}")),
                }
            }
            Kind::Syslog5424 => {
                // Local time in Vietnam written with its offset, as relays configured for +07:00 do.
                let local = chrono::DateTime::from_timestamp(secs + 7 * 3600, micros * 1000)
                    .unwrap_or_default()
                    .format("%Y-%m-%dT%H:%M:%S%.6f+07:00");
                let procid = if app == "kernel" {
                    "-".to_owned()
                } else {
                    pid.to_string()
                };
                line.push_str(&format!("<86>1 {local} {host}.tinh.gov.vn {app} {procid} - [origin ip=\"{}\" software=\"rsyslogd\"] {msg}", rng.pick(INTERNAL)));
            }
            Kind::Audit => audit_line(&mut rng, secs, micros, &mut line),
            Kind::FortiGate | Kind::CiscoAsa | Kind::Iptables => {
                firewall_line(kind, &mut rng, secs, attack, &mut line)
            }
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// Services the data centre publishes, and the ports attackers probe.
const SERVICES: &[(u16, &str)] = &[(443, "HTTPS"), (80, "HTTP"), (53, "DNS"), (25, "SMTP")];
const PROBED: &[u16] = &[22, 23, 445, 1433, 3306, 3389, 5900, 8080];
const OUTSIDE: &[&str] = &["203.113.131.1", "14.225.7.33", "8.8.8.8", "172.217.24.110"];

fn firewall_line(kind: Kind, rng: &mut Rng, secs: i64, attack: bool, line: &mut String) {
    let inside = *rng.pick(INTERNAL);
    let outside = *rng.pick(OUTSIDE);
    let sport = 1024 + rng.below(60000);
    let (port, service) = *rng.pick(SERVICES);
    let bytes_out = 200 + rng.below(20000);
    let bytes_in = 500 + rng.below(900_000);
    let stamp = chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default();
    match kind {
        Kind::FortiGate => {
            let (date, time) = (stamp.format("%Y-%m-%d"), stamp.format("%H:%M:%S"));
            let head = format!(
                "<189>date={date} time={time} devname=\"FGT-TTDL\" devid=\"FG200F0000000001\" eventtime={secs}000000000 tz=\"+0700\""
            );
            if attack {
                let attacker = *rng.pick(ATTACKERS);
                let probe = *rng.pick(PROBED);
                line.push_str(&format!(
                    "{head} logid=\"0000000013\" type=\"traffic\" subtype=\"forward\" level=\"warning\" vd=\"root\" srcip={attacker} srcport={sport} srcintf=\"wan1\" srcintfrole=\"wan\" dstip={inside} dstport={probe} dstintf=\"dmz\" dstintfrole=\"dmz\" proto=6 action=\"deny\" policyid=0 policytype=\"policy\" service=\"tcp/{probe}\" trandisp=\"noop\" duration=0 sentbyte=0 rcvdbyte=0 sentpkt=0 crscore=30 craction=131072 crlevel=\"high\""
                ));
            } else {
                line.push_str(&format!(
                    "{head} logid=\"0000000013\" type=\"traffic\" subtype=\"forward\" level=\"notice\" vd=\"root\" srcip={inside} srcport={sport} srcintf=\"lan\" srcintfrole=\"lan\" dstip={outside} dstport={port} dstintf=\"wan1\" dstintfrole=\"wan\" proto=6 action=\"close\" policyid=12 policyname=\"LAN-Internet\" service=\"{service}\" trandisp=\"snat\" transip=14.241.0.10 transport={} duration={} sentbyte={bytes_out} rcvdbyte={bytes_in} sentpkt={} rcvdpkt={} appcat=\"unscanned\"",
                    20000 + rng.below(40000),
                    rng.below(300),
                    bytes_out / 500 + 1,
                    bytes_in / 1200 + 1,
                ));
            }
        }
        Kind::CiscoAsa => {
            let head = format!("<166>{}: ", stamp.format("%b %d %Y %H:%M:%S"));
            let conn = 100_000 + rng.below(9_000_000);
            if attack {
                let attacker = *rng.pick(ATTACKERS);
                if rng.below(4) == 0 {
                    let user = *rng.pick(SPRAY_USERS);
                    line.push_str(&format!(
                        "{head}%ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.20.0.10 : user = {user} : user IP = {attacker}"
                    ));
                } else {
                    let probe = *rng.pick(PROBED);
                    line.push_str(&format!(
                        "{head}%ASA-4-106023: Deny tcp src outside:{attacker}/{sport} dst dmz:{inside}/{probe} by access-group \"OUTSIDE_IN\" [0x0, 0x0]"
                    ));
                }
            } else if rng.below(2) == 0 {
                line.push_str(&format!(
                    "{head}%ASA-6-302013: Built outbound TCP connection {conn} for outside:{outside}/{port} ({outside}/{port}) to inside:{inside}/{sport} (14.241.0.11/{})",
                    20000 + rng.below(40000)
                ));
            } else {
                line.push_str(&format!(
                    "{head}%ASA-6-302014: Teardown TCP connection {conn} for outside:{outside}/{port} to inside:{inside}/{sport} duration 0:00:{:02} bytes {} TCP FINs",
                    rng.below(60),
                    bytes_out + bytes_in
                ));
            }
        }
        _ => {
            let host = *rng.pick(HOSTS);
            let head = format!(
                "<4>{} {host} kernel: [{}.{:06}]",
                stamp.format("%b %e %H:%M:%S"),
                secs % 9_000_000,
                rng.below(1_000_000)
            );
            let mac = "00:50:56:9a:11:22:00:1c:73:00:00:99:08:00";
            if attack {
                let attacker = *rng.pick(ATTACKERS);
                let probe = *rng.pick(PROBED);
                line.push_str(&format!(
                    "{head} [UFW BLOCK] IN=ens160 OUT= MAC={mac} SRC={attacker} DST={inside} LEN=44 TOS=0x00 PREC=0x00 TTL=243 ID={} PROTO=TCP SPT={sport} DPT={probe} WINDOW=1024 RES=0x00 SYN URGP=0",
                    rng.below(65535)
                ));
            } else {
                line.push_str(&format!(
                    "{head} [UFW ALLOW] IN=ens160 OUT= MAC={mac} SRC={outside} DST={inside} LEN=60 TOS=0x00 PREC=0x00 TTL=57 ID={} DF PROTO=TCP SPT={sport} DPT={port} WINDOW=64240 RES=0x00 SYN URGP=0",
                    rng.below(65535)
                ));
            }
        }
    }
}

fn routine_line(rng: &mut Rng) -> (&'static str, String) {
    let user = *rng.pick(USERS);
    let ip = *rng.pick(INTERNAL);
    let port = 40000 + rng.below(25000);
    match rng.below(10) {
        0 | 1 => (
            "sshd",
            format!(
                "Accepted publickey for {user} from {ip} port {port} ssh2: ED25519 SHA256:q3TbVvX0{}",
                rng.below(99999)
            ),
        ),
        2 => (
            "sshd",
            format!("Accepted password for {user} from {ip} port {port} ssh2"),
        ),
        3 => (
            "sshd",
            format!(
                "pam_unix(sshd:session): session opened for user {user}(uid={}) by (uid=0)",
                1000 + rng.below(50)
            ),
        ),
        4 => (
            "sshd",
            format!("Disconnected from user {user} {ip} port {port}"),
        ),
        5 => (
            "CRON",
            "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)".to_owned(),
        ),
        6 => (
            "CRON",
            "(root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)".to_owned(),
        ),
        7 => (
            "sudo",
            format!(
                "{} : TTY=pts/{} ; PWD=/home/{0} ; USER=root ; COMMAND={}",
                rng.pick(ADMINS),
                rng.below(4),
                rng.pick(COMMANDS)
            ),
        ),
        8 => (
            "kernel",
            format!(
                "[{}.{:06}] EXT4-fs (sda1): re-mounted. Opts: errors=remount-ro",
                rng.below(900000),
                rng.below(999999)
            ),
        ),
        _ => (
            "systemd-logind",
            format!("New session {} of user {user}.", rng.below(90000)),
        ),
    }
}

fn attack_line(rng: &mut Rng, burst: &mut Option<(usize, u32)>) -> (&'static str, String) {
    // Brute-force bursts: one attacker, many failures in a row.
    let (attacker, left) = match *burst {
        Some((a, n)) if n > 0 => (a, n),
        _ => (rng.below(ATTACKERS.len()), 5 + rng.below(20) as u32),
    };
    *burst = if left > 1 {
        Some((attacker, left - 1))
    } else {
        None
    };
    let ip = ATTACKERS[attacker];
    let port = 30000 + rng.below(35000);
    match rng.below(12) {
        0..=4 => (
            "sshd",
            format!("Failed password for root from {ip} port {port} ssh2"),
        ),
        5 | 6 => {
            let user = *rng.pick(SPRAY_USERS);
            (
                "sshd",
                format!("Failed password for invalid user {user} from {ip} port {port} ssh2"),
            )
        }
        7 => (
            "sshd",
            format!(
                "Invalid user {} from {ip} port {port}",
                rng.pick(SPRAY_USERS)
            ),
        ),
        8 => (
            "sshd",
            format!("Connection closed by authenticating user root {ip} port {port} [preauth]"),
        ),
        9 => (
            "sshd",
            format!(
                "error: maximum authentication attempts exceeded for root from {ip} port {port} ssh2 [preauth]"
            ),
        ),
        10 => (
            "sudo",
            format!(
                "{} : user NOT in sudoers ; TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/bin/bash",
                rng.pick(&["tranthib", "www-data", "vuvanf"])
            ),
        ),
        _ => (
            "sshd",
            format!(
                "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={ip}  user=root"
            ),
        ),
    }
}

fn audit_line(rng: &mut Rng, secs: i64, micros: u32, line: &mut String) {
    let serial = 100_000 + rng.below(900_000);
    let stamp = format!("{secs}.{:03}:{serial}", micros / 1000);
    let user = *rng.pick(USERS);
    match rng.below(4) {
        0 => line.push_str(&format!(
            "type=USER_LOGIN msg=audit({stamp}): pid={} uid=0 auid={} ses={} msg='op=login acct=\"{user}\" exe=\"/usr/sbin/sshd\" hostname=? addr={} terminal=sshd res=success'",
            1000 + rng.below(60000),
            1000 + rng.below(50),
            rng.below(900),
            rng.pick(INTERNAL)
        )),
        1 => {
            let ip = *rng.pick(ATTACKERS);
            let hex: String = "(invalid user)".bytes().map(|b| format!("{b:02X}")).collect();
            line.push_str(&format!(
                "type=USER_LOGIN msg=audit({stamp}): pid={} uid=0 auid=4294967295 ses=4294967295 msg='op=login acct={hex} exe=\"/usr/sbin/sshd\" hostname=? addr={ip} terminal=sshd res=failed'",
                1000 + rng.below(60000)
            ))
        }
        2 => line.push_str(&format!(
            "type=EXECVE msg=audit({stamp}): argc=3 a0=\"tail\" a1=\"-n\" a2=\"{}\"",
            rng.below(500)
        )),
        _ => {
            let title: String = "bash -c id".bytes().map(|b| format!("{b:02X}")).collect();
            let title = title.replace("20", "00");
            line.push_str(&format!("type=PROCTITLE msg=audit({stamp}): proctitle={title}"))
        }
    }
}

/// A rule the alert generator raises alerts of.
struct AlertRule {
    title: &'static str,
    rule_id: &'static str,
    level: &'static str,
    tags: &'static [&'static str],
    /// The log kind of its evidence.
    kind: Kind,
    /// A correlation: grouped by source address, several evidence lines.
    grouped: bool,
}

/// Rules the alert generator raises (titles and ids of the built-in pack).
const ALERT_RULES: &[AlertRule] = &[
    AlertRule {
        title: "SSH authentication failure",
        rule_id: "7d1c1c55-6a80-4b0e-9d4e-0c3f2b8a1a01",
        level: "low",
        tags: &["attack.credential_access", "attack.t1110"],
        kind: Kind::Auth3164,
        grouped: false,
    },
    AlertRule {
        title: "SSH brute force from one source",
        rule_id: "7d1c1c55-6a80-4b0e-9d4e-0c3f2b8a1a03",
        level: "high",
        tags: &["attack.credential_access", "attack.t1110.001"],
        kind: Kind::Auth3164,
        grouped: true,
    },
    AlertRule {
        title: "SSH password spraying from one source",
        rule_id: "7d1c1c55-6a80-4b0e-9d4e-0c3f2b8a1a04",
        level: "high",
        tags: &["attack.credential_access", "attack.t1110.003"],
        kind: Kind::Auth3164,
        grouped: true,
    },
    AlertRule {
        title: "Sudo by a user not in sudoers",
        rule_id: "7d1c1c55-6a80-4b0e-9d4e-0c3f2b8a1a06",
        level: "medium",
        tags: &["attack.privilege_escalation", "attack.t1548.003"],
        kind: Kind::Auth3164,
        grouped: false,
    },
    AlertRule {
        title: "User added to a privileged group",
        rule_id: "7d1c1c55-6a80-4b0e-9d4e-0c3f2b8a1a08",
        level: "high",
        tags: &["attack.persistence", "attack.t1098"],
        kind: Kind::Auth3164,
        grouped: false,
    },
    AlertRule {
        title: "Connection denied by a firewall",
        rule_id: "3a5e0c1e-2f44-4f7a-8b8e-5d9c7f1b2a01",
        level: "informational",
        tags: &["attack.discovery"],
        kind: Kind::Iptables,
        grouped: false,
    },
    AlertRule {
        title: "Port scan from one source",
        rule_id: "3a5e0c1e-2f44-4f7a-8b8e-5d9c7f1b2a02",
        level: "medium",
        tags: &["attack.discovery", "attack.t1046"],
        kind: Kind::FortiGate,
        grouped: true,
    },
    AlertRule {
        title: "Host sweep from one source",
        rule_id: "3a5e0c1e-2f44-4f7a-8b8e-5d9c7f1b2a03",
        level: "medium",
        tags: &["attack.discovery", "attack.t1018"],
        kind: Kind::CiscoAsa,
        grouped: true,
    },
    AlertRule {
        title: "Deny flood from one source",
        rule_id: "3a5e0c1e-2f44-4f7a-8b8e-5d9c7f1b2a04",
        level: "low",
        tags: &["attack.impact", "attack.t1498"],
        kind: Kind::Iptables,
        grouped: true,
    },
    AlertRule {
        title: "FortiGate SSL VPN login failure",
        rule_id: "3a5e0c1e-2f44-4f7a-8b8e-5d9c7f1b2a05",
        level: "medium",
        tags: &["attack.initial_access", "attack.t1133"],
        kind: Kind::FortiGate,
        grouped: false,
    },
    AlertRule {
        title: "VPN brute force against the firewall",
        rule_id: "3a5e0c1e-2f44-4f7a-8b8e-5d9c7f1b2a07",
        level: "critical",
        tags: &["attack.credential_access", "attack.t1110"],
        kind: Kind::FortiGate,
        grouped: true,
    },
    AlertRule {
        title: "Cisco ASA AAA authentication rejected",
        rule_id: "3a5e0c1e-2f44-4f7a-8b8e-5d9c7f1b2a06",
        level: "medium",
        tags: &["attack.credential_access", "attack.t1078"],
        kind: Kind::CiscoAsa,
        grouped: false,
    },
];

/// Writes `count` alerts (the alert log's JSON lines) as the rule pack would raise them over a
/// data centre's quarter, starting at `start_secs`; with `audit`, also triage changes for about
/// a third of them (the audit trail's JSON lines). For search benchmarks and demos.
pub fn generate_alerts(
    count: u64,
    seed: u64,
    start_secs: i64,
    out: &mut impl Write,
    mut audit: Option<&mut dyn Write>,
) -> std::io::Result<()> {
    let mut rng = Rng(seed);
    // About 90 days for a million alerts.
    let mean_gap = 7.8;
    let mut t = start_secs as f64;
    let mut raw = String::with_capacity(512);
    let mut burst = None;
    for n in 0..count {
        t += -mean_gap * (1.0 - rng.unit()).max(1e-12).ln();
        let AlertRule {
            title,
            rule_id,
            level,
            tags,
            kind,
            grouped,
        } = *rng.pick(ALERT_RULES);
        // Attackers: the known ones, and many more across a few hosting ranges.
        let src = if rng.below(4) == 0 {
            (*rng.pick(ATTACKERS)).to_owned()
        } else {
            let (a, b) = *rng.pick(&[
                (185, 220),
                (45, 155),
                (103, 145),
                (193, 32),
                (91, 240),
                (194, 26),
            ]);
            format!("{a}.{b}.{}.{}", rng.below(256), 1 + rng.below(254))
        };
        let dept = *rng.pick(&[
            "stttt", "sotc", "skhdt", "ubnd", "syt", "sgtvt", "sgddt", "snv", "stnmt", "sct",
            "snnptnt", "sxd", "stp", "sldtbxh", "svhttdl", "skhcn", "stt", "bqlkkt",
        ]);
        let role = *rng.pick(&["web", "app", "db", "mail", "dns", "gis", "his", "vpn"]);
        let host = format!("{dept}-{role}{:02}", 1 + rng.below(12));
        let events = if grouped { 5 + rng.below(200) } else { 1 };
        let mut evidence = Vec::new();
        for i in 0..events.min(3) {
            let secs = t as i64 + i as i64 * 2;
            raw.clear();
            match kind {
                Kind::Auth3164 => {
                    let (app, msg) = attack_line(&mut rng, &mut burst);
                    let stamp = chrono::DateTime::from_timestamp(secs, 0)
                        .unwrap_or_default()
                        .format("%b %e %H:%M:%S");
                    raw.push_str(&format!(
                        "<86>{stamp} {host} {app}[{}]: {msg}",
                        1000 + rng.below(60000)
                    ));
                }
                k => firewall_line(k, &mut rng, secs, true, &mut raw),
            }
            evidence.push(canhgac_rules::Evidence {
                ts: rfc3339(secs),
                ts_micros: secs * 1_000_000,
                host: Some(host.clone()),
                src_ip: Some(src.clone()),
                dst_ip: Some((*rng.pick(INTERNAL)).to_owned()),
                src_port: Some(1024 + rng.below(60000) as u16),
                dst_port: Some(*rng.pick(PROBED)),
                user: (kind == Kind::Auth3164).then(|| (*rng.pick(SPRAY_USERS)).to_owned()),
                source_type: match kind {
                    Kind::Auth3164 => "linux_auth",
                    Kind::FortiGate => "fortigate",
                    Kind::CiscoAsa => "cisco_asa",
                    _ => "netfilter",
                }
                .to_owned(),
                asset_group: None,
                raw: raw.clone(),
            });
        }
        let first = t as i64;
        let last = first + events as i64 * 2;
        let tactics = tags
            .iter()
            .filter(|t| !t.starts_with("attack.t"))
            .map(|t| t.trim_start_matches("attack.").to_owned())
            .collect();
        let techniques = tags
            .iter()
            .filter(|t| t.starts_with("attack.t"))
            .map(|t| t.trim_start_matches("attack.").to_uppercase())
            .collect();
        let alert = canhgac_rules::Alert {
            id: format!("{:016x}", Rng(seed ^ n.wrapping_mul(0x9e37_79b9)).next()),
            rule_id: rule_id.to_owned(),
            title: title.to_owned(),
            level: level.to_owned(),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            tactics,
            techniques,
            group_by: if grouped {
                [("src_ip".to_owned(), src.clone())].into()
            } else {
                Default::default()
            },
            first_ts: rfc3339(first),
            last_ts: rfc3339(last),
            count: events,
            description: None,
            falsepositives: Vec::new(),
            evidence,
            late_events: 0,
            suppressed_before: 0,
            first_micros: first * 1_000_000,
        };
        writeln!(out, "{}", alert.to_json())?;
        if let Some(audit) = audit.as_deref_mut()
            && rng.below(3) == 0
        {
            let who = *rng.pick(USERS);
            let change = match rng.below(4) {
                0 => format!(r#""from":"new","to":"acknowledged","assignee_to":"{who}""#),
                1 => format!(r#""from":"new","to":"investigating","assignee_to":"{who}""#),
                2 => r#""from":"new","to":"closed","resolution":"false_positive""#.to_owned(),
                _ => r#""from":"new","to":"closed","resolution":"true_positive""#.to_owned(),
            };
            writeln!(
                audit,
                r#"{{"at":"{}","alert_id":"{}","who":"{who}",{change}}}"#,
                rfc3339(last + 600),
                alert.id
            )?;
        }
    }
    Ok(())
}

fn rfc3339(secs: i64) -> String {
    canhgac_rules::alert::rfc3339(secs.saturating_mul(1_000_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_lines() {
        let opts = GenOptions {
            lines: 200,
            ..GenOptions::default()
        };
        let (mut a, mut b) = (Vec::new(), Vec::new());
        generate(&opts, &mut a).ok();
        generate(&opts, &mut b).ok();
        assert_eq!(a, b);
        assert_eq!(a.iter().filter(|&&c| c == b'\n').count(), 200);
        let other = GenOptions { seed: 2, ..opts };
        let mut c = Vec::new();
        generate(&other, &mut c).ok();
        assert_ne!(a, c);
    }
}
