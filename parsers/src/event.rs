//! One parsed log record, borrowed from its input.
//!
//! Parsers fill an [`Event`] whose text fields borrow from the record's text, so the common case
//! allocates nothing per record; values that must be rewritten (unescaped structured data, decoded
//! hex, lower-cased protocol names) are `Cow::Owned`. The batch builder copies an event into Arrow
//! columns and then clears it for the next record.

use std::borrow::Cow;

/// Text borrowed from the record where possible.
pub type Text<'a> = Cow<'a, str>;

/// Which format a record was recognised as. Its `as_str` is the `source_type` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceType {
    /// A syslog record whose payload no more specific parser claimed.
    Syslog,
    /// sshd, sudo, su, PAM, account management (useradd, passwd, ...).
    LinuxAuth,
    /// cron daemons.
    LinuxCron,
    /// Kernel messages (`kernel:` tag or klog).
    LinuxKernel,
    /// Linux audit records (`type=... msg=audit(...)`).
    Auditd,
    /// iptables / nftables / firewalld kernel LOG lines (`IN= OUT= SRC= ...`).
    Netfilter,
    /// FortiGate / FortiOS key=value logs.
    FortiGate,
    /// Cisco ASA and FTD `%ASA-n-NNNNNN:` messages.
    CiscoAsa,
    /// Cisco IOS / IOS XE / NX-OS `%FACILITY-n-MNEMONIC:` messages.
    CiscoIos,
    /// pfSense / OPNsense / OpenBSD pf `filterlog` CSV.
    Filterlog,
    /// Palo Alto PAN-OS CSV logs (TRAFFIC, THREAT, SYSTEM, CONFIG, ...).
    PanOs,
    /// ArcSight Common Event Format, any vendor (`fields.device_vendor` says whose).
    Cef,
    /// IBM LEEF 1.0/2.0, any vendor.
    Leef,
    /// Juniper SRX / Junos `RT_FLOW` and other Junos events.
    JuniperSrx,
    /// Sophos XG / SFOS and UTM key=value logs.
    Sophos,
    /// Stormshield SNS key=value logs.
    Stormshield,
    /// SonicWall key=value logs.
    SonicWall,
    /// Check Point syslog (key:"value"; lists and positional exports).
    CheckPoint,
    /// Huawei USG / Eudemon `%%01POLICY/6/...` messages.
    HuaweiUsg,
    /// MikroTik RouterOS firewall logs and logins.
    MikroTik,
    /// WatchGuard Firebox native syslog (its CEF/LEEF are `Cef`/`Leef`).
    WatchGuard,
    /// pfSense / OPNsense web GUI logins (their packet logs are `Filterlog`).
    PfSense,
    /// Snort and Suricata alert lines (syslog or `fast.log`).
    Ids,
    /// Suricata's EVE JSON records (alerts, flows, protocol events).
    SuricataEve,
    /// Zeek network sensor logs in JSON.
    Zeek,
    /// Web servers: nginx and Apache access and error logs.
    WebServer,
    /// DNS servers: BIND, dnsmasq (Pi-hole), Unbound.
    Dns,
    /// Web proxies: Squid.
    Proxy,
    /// HAProxy load balancers' HTTP and TCP logs.
    HaProxy,
    /// Mail servers: Dovecot, Postfix, Exim.
    Mail,
    /// FTP servers: vsftpd, ProFTPD, Pure-FTPd.
    Ftp,
    /// Nothing recognised the record; `raw` holds it.
    Unknown,
}

impl SourceType {
    /// Every source type, for listing and for parsing names.
    pub const ALL: [SourceType; 32] = [
        SourceType::Syslog,
        SourceType::LinuxAuth,
        SourceType::LinuxCron,
        SourceType::LinuxKernel,
        SourceType::Auditd,
        SourceType::Netfilter,
        SourceType::FortiGate,
        SourceType::CiscoAsa,
        SourceType::CiscoIos,
        SourceType::Filterlog,
        SourceType::PanOs,
        SourceType::Cef,
        SourceType::Leef,
        SourceType::JuniperSrx,
        SourceType::Sophos,
        SourceType::Stormshield,
        SourceType::SonicWall,
        SourceType::CheckPoint,
        SourceType::HuaweiUsg,
        SourceType::MikroTik,
        SourceType::WatchGuard,
        SourceType::PfSense,
        SourceType::Ids,
        SourceType::SuricataEve,
        SourceType::Zeek,
        SourceType::WebServer,
        SourceType::Dns,
        SourceType::Proxy,
        SourceType::HaProxy,
        SourceType::Mail,
        SourceType::Ftp,
        SourceType::Unknown,
    ];

    /// The name stored in the `source_type` column.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceType::Syslog => "syslog",
            SourceType::LinuxAuth => "linux_auth",
            SourceType::LinuxCron => "linux_cron",
            SourceType::LinuxKernel => "linux_kernel",
            SourceType::Auditd => "auditd",
            SourceType::Netfilter => "netfilter",
            SourceType::FortiGate => "fortigate",
            SourceType::CiscoAsa => "cisco_asa",
            SourceType::CiscoIos => "cisco_ios",
            SourceType::Filterlog => "pf_filterlog",
            SourceType::PanOs => "panos",
            SourceType::Cef => "cef",
            SourceType::Leef => "leef",
            SourceType::JuniperSrx => "juniper_srx",
            SourceType::Sophos => "sophos",
            SourceType::Stormshield => "stormshield",
            SourceType::SonicWall => "sonicwall",
            SourceType::CheckPoint => "checkpoint",
            SourceType::HuaweiUsg => "huawei_usg",
            SourceType::MikroTik => "mikrotik",
            SourceType::WatchGuard => "watchguard",
            SourceType::PfSense => "pfsense",
            SourceType::Ids => "ids",
            SourceType::SuricataEve => "suricata_eve",
            SourceType::Zeek => "zeek",
            SourceType::WebServer => "webserver",
            SourceType::Dns => "dns",
            SourceType::Proxy => "proxy",
            SourceType::HaProxy => "haproxy",
            SourceType::Mail => "mail",
            SourceType::Ftp => "ftp",
            SourceType::Unknown => "unknown",
        }
    }

    /// Position in [`SourceType::ALL`] (the key in the `source_type` dictionary column).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The source type with this column name.
    pub fn from_name(name: &str) -> crate::Result<SourceType> {
        SourceType::ALL
            .into_iter()
            .find(|t| t.as_str() == name)
            .ok_or_else(|| crate::Error::SourceType(name.to_owned()))
    }
}

/// How well a record was understood. The `parse_status` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ParseStatus {
    /// Every part of the record was understood.
    Ok,
    /// The header or payload was understood only in part; `parse_error` says what was not.
    Partial,
    /// Nothing was understood; only `raw` (and `message`) are filled.
    Failed,
}

impl ParseStatus {
    /// Every status, in dictionary-key order.
    pub const ALL: [ParseStatus; 3] = [ParseStatus::Ok, ParseStatus::Partial, ParseStatus::Failed];

    /// Position in [`ParseStatus::ALL`] (the key in the `parse_status` dictionary column).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The name stored in the `parse_status` column.
    pub fn as_str(self) -> &'static str {
        match self {
            ParseStatus::Ok => "ok",
            ParseStatus::Partial => "partial",
            ParseStatus::Failed => "failed",
        }
    }
}

/// `outcome` column value for a successful authentication or action.
pub const SUCCESS: &str = "success";
/// `outcome` column value for a failed authentication or action.
pub const FAILURE: &str = "failure";

/// One record's parsed values; column names follow the event schema.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// Event time, microseconds since the Unix epoch, UTC.
    pub ts: Option<i64>,
    /// The recognised format.
    pub source_type: SourceType,
    /// Syslog facility from PRI.
    pub facility: Option<u8>,
    /// Syslog severity from PRI.
    pub severity: Option<u8>,
    /// Sending host as written in the header.
    pub host: Option<Text<'a>>,
    /// Application name (syslog tag or APP-NAME).
    pub app: Option<Text<'a>>,
    /// Process id as written (may be non-numeric in RFC 5424).
    pub pid: Option<Text<'a>>,
    /// RFC 5424 MSGID.
    pub msgid: Option<Text<'a>>,
    /// Free text of the record.
    pub message: Option<Text<'a>>,
    /// Source address, canonical text form.
    pub src_ip: Option<Text<'a>>,
    /// Destination address, canonical text form.
    pub dst_ip: Option<Text<'a>>,
    /// Source address after NAT.
    pub nat_src_ip: Option<Text<'a>>,
    /// Destination address after NAT.
    pub nat_dst_ip: Option<Text<'a>>,
    /// Source port.
    pub src_port: Option<u16>,
    /// Destination port.
    pub dst_port: Option<u16>,
    /// Transport protocol, lower case.
    pub protocol: Option<Text<'a>>,
    /// Normalised action (`allow`, `deny`, `drop`, `reset`, ...).
    pub action: Option<Text<'a>>,
    /// Firewall rule or policy name.
    pub rule_name: Option<Text<'a>>,
    /// Ingress interface.
    pub in_iface: Option<Text<'a>>,
    /// Egress interface.
    pub out_iface: Option<Text<'a>>,
    /// Bytes received by the source.
    pub bytes_in: Option<u64>,
    /// Bytes sent by the source.
    pub bytes_out: Option<u64>,
    /// Packet count.
    pub packets: Option<u64>,
    /// User name the record is about.
    pub user: Option<Text<'a>>,
    /// `success` or `failure`.
    pub outcome: Option<&'static str>,
    /// Every other key/value the parsers found, in the order found.
    pub fields: Vec<(Text<'a>, Text<'a>)>,
    /// How much of the record was understood.
    pub status: ParseStatus,
    /// Why the status is not `ok`.
    pub error: Option<Cow<'static, str>>,
}

impl Default for Event<'_> {
    fn default() -> Self {
        Event {
            ts: None,
            source_type: SourceType::Unknown,
            facility: None,
            severity: None,
            host: None,
            app: None,
            pid: None,
            msgid: None,
            message: None,
            src_ip: None,
            dst_ip: None,
            nat_src_ip: None,
            nat_dst_ip: None,
            src_port: None,
            dst_port: None,
            protocol: None,
            action: None,
            rule_name: None,
            in_iface: None,
            out_iface: None,
            bytes_in: None,
            bytes_out: None,
            packets: None,
            user: None,
            outcome: None,
            fields: Vec::new(),
            status: ParseStatus::Ok,
            error: None,
        }
    }
}

impl<'a> Event<'a> {
    /// Adds a key/value to `fields`.
    pub fn field(&mut self, key: impl Into<Text<'a>>, value: impl Into<Text<'a>>) {
        self.fields.push((key.into(), value.into()));
    }

    /// The value of a `fields` key, if present.
    pub fn get_field(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_ref())
    }

    /// Lowers the status to `partial` (never raises it) and records why.
    pub fn mark_partial(&mut self, why: &'static str) {
        if self.status == ParseStatus::Ok {
            self.status = ParseStatus::Partial;
            self.error = Some(Cow::Borrowed(why));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dictionary_keys_follow_the_all_lists() {
        for (i, t) in SourceType::ALL.iter().enumerate() {
            assert_eq!(t.index(), i, "{t:?}");
        }
        for (i, s) in ParseStatus::ALL.iter().enumerate() {
            assert_eq!(s.index(), i, "{s:?}");
        }
    }
}
