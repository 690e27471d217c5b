//! Cisco ASA, FTD and PIX messages: `%ASA-6-302013: Built inbound TCP connection ...`.
//!
//! The tag carries the severity and the six-digit message id (`msgid` column). Each id's English
//! sentence is a template (see [`crate::pattern`]); ids we have no sentence for keep id, severity and
//! text. Connection messages name two endpoints, `for` one `to` another; which of them started the
//! connection depends on the direction word: for `outbound` the second one is the source, so the
//! endpoints are captured as `a`/`b` and assigned after matching. A mapped address in parentheses
//! is the NAT address; an identity in parentheses (`(DOMAIN\user)`) is the user.
//! FTD's connection events (430001-430005) are `Key: value, ...` lists instead.

use std::borrow::Cow;
use std::sync::LazyLock;

use super::{Col, put};
use crate::event::{Event, FAILURE, SUCCESS, SourceType};
use crate::pattern::{Captures, Template};
use crate::payload::PayloadParser;

/// Cisco ASA / FTD / PIX messages.
pub struct CiscoAsa;

/// One message-id sentence: template, the action it means, and the outcome for AAA messages.
struct Sentence {
    id: u32,
    template: &'static str,
    action: Option<&'static str>,
    outcome: Option<&'static str>,
}

const fn s(id: u32, template: &'static str, action: Option<&'static str>) -> Sentence {
    Sentence {
        id,
        template,
        action,
        outcome: None,
    }
}

const fn auth(id: u32, template: &'static str, outcome: &'static str) -> Sentence {
    Sentence {
        id,
        template,
        action: None,
        outcome: Some(outcome),
    }
}

const ALLOW: Option<&str> = Some("allow");
const DENY: Option<&str> = Some("deny");
const DROP: Option<&str> = Some("drop");

/// IKEv2 session sentences: `Local:203.0.113.10:4500 Remote:198.51.100.25:50466 Username:an ...`.
const IKEV2: &str = "Local:{src_hostport} Remote:{dst_hostport} Username:{user} {tail}";

/// The botnet traffic filter's sentence, shared by its ids (338001-338008).
const DYNAMIC_FILTER: &str = "Dynamic Filter {verdict} {list} {protocol} traffic from {a_iface}:{a}/{a_port} ({a_nat}/{a_nat_port}) to {b_iface}:{b}/{b_port} ({b_nat}/{b_nat_port}), {tail}";

#[rustfmt::skip]
static SENTENCES: &[Sentence] = &[
    // Connections. `a` is the `for` side, `b` the `to` side.
    s(302013, "Built {direction} {protocol} connection {conn_id} for {a_iface}:{a}/{a_port} ({a_nat}/{a_nat_port}) to {b_iface}:{b}/{b_port} ({b_nat}/{b_nat_port}){*}", ALLOW),
    s(302015, "Built {direction} {protocol} connection {conn_id} for {a_iface}:{a}/{a_port} ({a_nat}/{a_nat_port}) to {b_iface}:{b}/{b_port} ({b_nat}/{b_nat_port}){*}", ALLOW),
    s(302014, "Teardown {protocol} connection {conn_id} for {a_iface}:{a}/{a_port} to {b_iface}:{b}/{b_port} duration {duration} bytes {bytes}{*}", ALLOW),
    s(302016, "Teardown {protocol} connection {conn_id} for {a_iface}:{a}/{a_port} to {b_iface}:{b}/{b_port} duration {duration} bytes {bytes}{*}", ALLOW),
    s(302020, "Built {direction} {protocol} connection for faddr {a}/{a_port} gaddr {b_nat}/{b_nat_port} laddr {b}/{b_port}{*}", ALLOW),
    s(302021, "Teardown {protocol} connection for faddr {a}/{a_port} gaddr {b_nat}/{b_nat_port} laddr {b}/{b_port}{*}", ALLOW),
    // A cluster's stub connections (director, backup, forwarder) of the same flows.
    s(302022, "Built {cluster_role} stub {protocol} connection for {a_iface}:{a}/{a_port} ({a_nat}/{a_nat_port}) to {b_iface}:{b}/{b_port} ({b_nat}/{b_nat_port}){*}", ALLOW),
    s(302024, "Built {cluster_role} stub {protocol} connection for {a_iface}:{a}/{a_port} ({a_nat}/{a_nat_port}) to {b_iface}:{b}/{b_port} ({b_nat}/{b_nat_port}){*}", ALLOW),
    s(302026, "Built {cluster_role} stub {protocol} connection for {a_iface}:{a}/{a_port} ({a_nat}/{a_nat_port}) to {b_iface}:{b}/{b_port} ({b_nat}/{b_nat_port}){*}", ALLOW),
    s(302023, "Teardown stub {protocol} connection for {a_iface}:{a}/{a_port} to {b_iface}:{b}/{b_port} duration {duration} forwarded bytes {bytes}{*}", ALLOW),
    s(302025, "Teardown stub {protocol} connection for {a_iface}:{a}/{a_port} to {b_iface}:{b}/{b_port} duration {duration} forwarded bytes {bytes}{*}", ALLOW),
    s(302027, "Teardown stub {protocol} connection for {a_iface}:{a}/{a_port} to {b_iface}:{b}/{b_port} duration {duration} forwarded bytes {bytes}{*}", ALLOW),
    // TCP state bypass: connections the ASA forwards without inspecting.
    s(302303, "Built {protocol} state-bypass connection {conn_id} from {a_iface}:{a}/{a_port} ({a_nat}/{a_nat_port}) to {b_iface}:{b}/{b_port} ({b_nat}/{b_nat_port}){*}", ALLOW),
    s(302304, "Teardown {protocol} state-bypass connection {conn_id} from {a_iface}:{a}/{a_port} to {b_iface}:{b}/{b_port} duration {duration} bytes {bytes}{*}", ALLOW),
    // Flows handed to the hardware fast path (Firepower flow offload).
    s(805001, "Offloaded {protocol} Flow for connection {conn_id} from {a_iface}:{a}/{a_port} ({a_nat}/{a_nat_port}) to {b_iface}:{b}/{b_port} ({b_nat}/{b_nat_port}){*}", ALLOW),
    s(805002, "{protocol} Flow is no longer offloaded for connection {conn_id} from {a_iface}:{a}/{a_port} ({a_nat}/{a_nat_port}) to {b_iface}:{b}/{b_port} ({b_nat}/{b_nat_port}){*}", ALLOW),
    s(303002, "FTP connection from {src_iface}:{src}/{src_port} to {dst_iface}:{dst}/{dst_port}, user {user} {ftp_action} file {file}", None),
    // Denies.
    s(106001, "Inbound {protocol} connection denied from {src}/{src_port} to {dst}/{dst_port} flags {flags} on interface {src_iface}", DENY),
    s(106006, "Deny inbound {protocol} from {src}/{src_port} to {dst}/{dst_port} on interface {src_iface}", DENY),
    s(106007, "Deny inbound {protocol} from {src}/{src_port} to {dst}/{dst_port} due to {reason}", DENY),
    s(106010, "Deny inbound protocol {protocol} src {src_iface}:{src} dst {dst_iface}:{dst}{*}", DENY),
    s(106010, "Deny inbound {protocol} src {src_iface}:{src}/{src_port} dst {dst_iface}:{dst}/{dst_port}{*}", DENY),
    s(106010, "Deny inbound {protocol} src {src_iface}:{src} dst {dst_iface}:{dst}{*}", DENY),
    s(106014, "Deny {direction} icmp src {src_iface}:{src} dst {dst_iface}:{dst} ({icmp}){*}", DENY),
    s(106014, "Deny {direction} icmp src {src_iface}:{src} dst {dst_iface}:{dst}({icmp}){*}", DENY),
    s(106015, "Deny {protocol} (no connection) from {src}/{src_port} to {dst}/{dst_port} flags {flags} on interface {src_iface}", DENY),
    s(106012, "Deny IP from {src} to {dst}, IP options: {ip_options}", DENY),
    s(106017, "Deny IP due to Land Attack from {src} to {dst}", DENY),
    s(106021, "Deny {protocol} reverse path check from {src} to {dst} on interface {src_iface}", DENY),
    s(106023, "Deny {protocol} src {src_iface}:{src}/{src_port} dst {dst_iface}:{dst}/{dst_port} by access-group \"{rule}\"{*}", DENY),
    s(106023, "Deny {protocol} src {src_iface}:{src}/{src_port} dst {dst_iface}:{dst}/{dst_port} {icmp}, by access-group \"{rule}\"{*}", DENY),
    s(106023, "Deny {protocol} src {src_iface}:{src} dst {dst_iface}:{dst} ({icmp}) by access-group \"{rule}\"{*}", DENY),
    s(106023, "Deny protocol {protocol} src {src_iface}:{src} dst {dst_iface}:{dst} by access-group \"{rule}\"{*}", DENY),
    s(106023, "Deny {protocol} src {src_iface}:{src} dst {dst_iface}:{dst} by access-group \"{rule}\"{*}", DENY),
    s(507003, "{protocol} flow from {src_iface}:{src}/{src_port} to {dst_iface}:{dst}/{dst_port} terminated by inspection engine, reason - {reason}", DROP),
    // The FirePOWER (SFR) module's verdicts on flows the ASA redirected to it.
    s(434002, "SFR requested to drop {protocol} packet from {src_iface}:{src}/{src_port} to {dst_iface}:{dst}/{dst_port}", DROP),
    s(434004, "SFR requested {requester} to bypass further packet redirection and process {protocol} flow from {src_iface}:{src}/{src_port} to {dst_iface}:{dst}/{dst_port} locally", None),
    s(106100, "access-list {rule} {verdict} {protocol} {src_iface}/{src}({src_port}) -> {dst_iface}/{dst}({dst_port}) hit-cnt {hits}{*}", None),
    s(106100, "access-list {rule} {verdict} {protocol} {src_iface}/{src}({src_port})({identity}) -> {dst_iface}/{dst}({dst_port}){*}", None),
    // Per-user (downloaded) access lists.
    s(106102, "access-list {rule} {verdict} {protocol} for user '{user}' {src_iface}/{src}({src_port}) -> {dst_iface}/{dst}({dst_port}){*}", None),
    s(106102, "access-list {rule} {verdict} {protocol} for user {user} {src_iface}/{src}({src_port}) -> {dst_iface}/{dst}({dst_port}){*}", None),
    s(106103, "access-list {rule} {verdict} {protocol} for user '{user}' {src_iface}/{src}({src_port}) -> {dst_iface}/{dst}({dst_port}){*}", None),
    s(106103, "access-list {rule} {verdict} {protocol} for user {user} {src_iface}/{src}({src_port}) -> {dst_iface}/{dst}({dst_port}){*}", None),
    s(710003, "{protocol} access denied by ACL from {src}/{src_port} to {dst_iface}:{dst}/{dst_port}", DENY),
    s(710002, "{protocol} access permitted from {src}/{src_port} to {dst_iface}:{dst}/{dst_port}", ALLOW),
    s(710005, "{protocol} request discarded from {src}/{src_port} to {dst_iface}:{dst}/{dst_port}", DROP),
    s(419002, "Received duplicate {protocol} SYN from {src_iface}:{src}/{src_port} to {dst_iface}:{dst}/{dst_port} with different initial sequence number.", DROP),
    s(419002, "Duplicate {protocol} SYN from {src_iface}:{src}/{src_port} to {dst_iface}:{dst}/{dst_port} with different initial sequence number.", DROP),
    s(419001, "Dropping {protocol} packet from {src_iface}:{src}/{src_port} to {dst_iface}:{dst}/{dst_port}, reason: {reason}", DROP),
    s(110002, "Failed to locate egress interface for {protocol} from {src_iface}:{src}/{src_port} to {dst}/{dst_port}", DROP),
    s(710001, "{protocol} access requested from {src}/{src_port} to {dst_iface}:{dst}/{dst_port}", None),
    s(710006, "{protocol} request discarded from {src} to {dst_iface}:{dst}", DROP),
    // The server may be written `user@address`.
    s(304001, "{src_spec} Accessed URL {dst_spec}:{url}", None),
    s(304001, "{src_spec} Accessed {kind} URL {dst_spec}:{url}", None),
    s(304002, "Access denied URL {url} SRC {src} DEST {dst} on interface {src_iface}", DENY),
    s(106016, "Deny IP spoof from ({src}) to {dst} on interface {src_iface}", DENY),
    // Botnet traffic filter: a connection to or from an address on a dynamic list.
    s(338001, DYNAMIC_FILTER, None),
    s(338002, "Dynamic Filter {verdict} black listed {protocol} traffic from {a_iface}:{a}/{a_port} ({a_nat}/{a_nat_port}) to {b_iface}:{b}/{b_port} ({b_nat}/{b_nat_port}), {tail}", None),
    s(338002, DYNAMIC_FILTER, None),
    s(338003, DYNAMIC_FILTER, None),
    s(338004, DYNAMIC_FILTER, None),
    s(338007, DYNAMIC_FILTER, None),
    s(338008, DYNAMIC_FILTER, None),
    s(734001, "DAP: User {user}, Addr {src}, Connection {connection}: {tail}", None),
    s(313005, "No matching connection for ICMP error message: {protocol} src {src_iface}:{src} dst {dst_iface}:{dst} ({icmp}) on {iface} interface.{*}", DROP),
    s(402117, "IPSEC: Received a non-IPSec packet (protocol= {protocol}) from {src} to {dst}.", DROP),
    s(402119, "IPSEC: Received an {ipsec_protocol} packet (SPI= {spi}, sequence number= {sequence}) from {src} (user= {user}) to {dst} that {reason}", DROP),
    s(602303, "IPSEC: An {direction} {tunnel_type} SA (SPI= {spi}) between {src} and {dst} (user= {user}) has been created.", None),
    s(602304, "IPSEC: An {direction} {tunnel_type} SA (SPI= {spi}) between {src} and {dst} (user= {user}) has been deleted.", None),
    s(110003, "Routing failed to locate next hop for {protocol} from {src_iface}:{src}/{src_port} to {dst_iface}:{dst}/{dst_port}", DROP),
    // NAT.
    // The mapped address is the `to` side (as Cisco's, Elastic's and Sekoia's readings have it).
    s(305011, "Built {nat_type} {protocol} translation from {src_iface}:{src}/{src_port} to {dst_iface}:{dst}/{dst_port}{*}", None),
    s(305012, "Teardown {nat_type} {protocol} translation from {src_iface}:{src}/{src_port} to {dst_iface}:{dst}/{dst_port} duration {duration}", None),
    s(305011, "Built {nat_type} translation from {src_iface}:{src} to {dst_iface}:{dst}", None),
    s(305012, "Teardown {nat_type} translation from {src_iface}:{src} to {dst_iface}:{dst} duration {duration}", None),
    // ICMP.
    s(313001, "Denied {protocol} type={icmp_type}, code={icmp_code} from {src} on interface {src_iface}{*}", DENY),
    s(313004, "Denied ICMP type={icmp_type}, from laddr {src} on interface {src_iface} to {dst}: {reason}", DENY),
    s(313008, "Denied {protocol} type={icmp_type}, code={icmp_code} from {src} on interface {src_iface}", DENY),
    s(313009, "Denied invalid ICMP code {icmp_code}, for {a_iface}:{a}/{a_port} ({a_nat}/{a_nat_port}) to {b_iface}:{b}/{b_port} ({b_nat}/{b_nat_port}), ICMP id {icmp_id}, ICMP type {icmp_type}", DENY),
    // AAA and administration.
    auth(113004, "AAA user {aaa_kind} Successful : server = {dst} : user = {user}", SUCCESS),
    auth(113005, "AAA user {aaa_kind} Rejected : reason = {reason} : server = {dst} : user = {user} : user IP = {src}", FAILURE),
    auth(113005, "AAA user {aaa_kind} Rejected : reason = {reason} : server = {dst} : user = {user}", FAILURE),
    auth(113012, "AAA user authentication Successful : local database : user = {user}", SUCCESS),
    auth(113015, "AAA user authentication Rejected : reason = {reason} : local database : user = {user} : user IP = {src}", FAILURE),
    auth(113015, "AAA user authentication Rejected : reason = {reason} : local database : user = {user}", FAILURE),
    s(113019, "Group = {group}, Username = {user}, IP = {src}, Session disconnected.{*}", None),
    s(111007, "Begin configuration: {src} reading from {protocol} {*}", None),
    s(111007, "Begin configuration: {src} reading from {protocol}", None),
    s(111008, "User '{user}' executed the '{command}' command.", None),
    s(111009, "User '{user}' executed cmd: {command}", None),
    s(111010, "User '{user}', running '{interface_kind}' from IP {src}, executed '{command}'", None),
    auth(605004, "Login denied from {src}/{src_port} to {dst_iface}:{dst}/{service} for user \"{user}\"", FAILURE),
    auth(605005, "Login permitted from {src}/{src_port} to {dst_iface}:{dst}/{service} for user \"{user}\"", SUCCESS),
    auth(611101, "User authentication succeeded: IP address: {src}, Uname: {user}", SUCCESS),
    auth(611101, "User authentication succeeded: Uname: {user}", SUCCESS),
    auth(611102, "User authentication failed: IP address: {src}, Uname: {user}", FAILURE),
    auth(611102, "User authentication failed: Uname: {user}", FAILURE),
    s(611103, "User logged out: Uname: {user}", None),
    s(502103, "User priv level changed: Uname: {user} From: {old_level} To: {new_level}", None),
    // VPN.
    s(722051, "Group <{group}> User <{user}> IP <{src}> IPv4 Address <{assigned_ip?}> IPv6 address <{assigned_ipv6?}> assigned to session", None),
    s(722051, "({vpn_name}) WebVPN session for client user {user}, IP {src} has been created.", None),
    s(113039, "Group <{group}> User <{user}> IP <{src}> AnyConnect parent session started.", None),
    s(716001, "Group <{group}> User <{user}> IP <{src}> WebVPN session started.", None),
    // Older releases write the same without angle brackets.
    s(716001, "Group {group} User {user} IP {src} WebVPN session started.", None),
    s(716002, "Group {group} User {user} IP {src} WebVPN session terminated: {reason}", None),
    s(109201, "UAUTH: Session={session}, User={user}, Assigned IP={src}, {tail}", None),
    // IKEv2: the ASA's own end (`Local`) first, as Elastic's reading has it; IPv6 too.
    s(750002, IKEV2, None),
    s(750003, IKEV2, None),
    s(750006, IKEV2, None),
    s(751025, IKEV2, None),
    // SSL/TLS sessions of clients of the ASA's own VPN or ASDM (newer versions add `to addr/port`).
    s(725001, "Starting SSL handshake with client {src_iface}:{src}/{src_port} to {dst}/{dst_port} for {tls_version} session.", None),
    s(725001, "Starting SSL handshake with client {src_iface}:{src}/{src_port}{*}", None),
    s(725003, "SSL client {src_iface}:{src}/{src_port}{*}", None),
    s(725007, "SSL session with client {src_iface}:{src}/{src_port} to {dst}/{dst_port} terminated.", None),
    s(725007, "SSL session with client {src_iface}:{src}/{src_port}{*}", None),
    s(725002, "Device completed SSL handshake with client {src_iface}:{src}/{src_port}{*}", None),
    s(725006, "Device failed SSL handshake with client {src_iface}:{src}/{src_port}{*}", None),
    s(609001, "Built local-host {src_iface}:{src}", None),
    s(609002, "Teardown local-host {src_iface}:{src} duration {duration}", None),
    s(737016, "IPAA: Freeing local pool address {src}", None),
    // A NAT rule found no room or no match; addresses may carry a port and an identity.
    s(305006, "{nat_type} translation creation failed for {protocol} src {src_iface}:{src_spec} dst {dst_iface}:{dst_spec} ({icmp})", DROP),
    s(305006, "{nat_type} translation creation failed for {protocol} src {src_iface}:{src_spec} dst {dst_iface}:{dst_spec}", DROP),
    s(852002, "Received Full Proxy to Lightweight event from application {application} for {protocol} flow {src}/{src_port} to {dst}/{dst_port}", None),
    s(305013, "Asymmetric NAT rules matched for forward and reverse flows; Connection for {protocol} src {src_iface}:{src}/{src_port} dst {dst_iface}:{dst}/{dst_port} denied due to NAT reverse path failure", DENY),
    s(852001, "Received Lightweight to full proxy event from application {application} for {protocol} flow {src}/{src_port} to {dst}/{dst_port}", None),
    // Threat detection.
    s(733100, "[ {object}] drop {rate} exceeded. {tail}", None),
    s(733100, "[{object}] drop {rate} exceeded. {tail}", None),
];

/// AnyConnect/WebVPN messages share a prefix; any id with it gets group, user and address.
#[rustfmt::skip]
static SESSION_PREFIXES: &[&str] = &[
    "Group <{group}> User <{user}> IP <{src}> {tail}",
    "TunnelGroup <{tunnel_group}> GroupPolicy <{group_policy}> User <{user}> IP <{src}> {tail}",
    "Group = {group}, Username = {user}, IP = {src}, {tail}",
    "Group = {group}, IP = {src}, {tail}",
    "IP = {src}, {tail}",
    // Older releases write the group, user and address without angle brackets.
    "Group {group} User {user} IP {src} {tail}",
];

/// What a capture is, worked out once per template (names are compared at load, not per record).
#[derive(Debug, Clone, Copy)]
enum Role {
    /// Part of the `for` endpoint (`true`) or the `to` endpoint (`false`); which one is the
    /// source depends on the direction word.
    Endpoint(bool, Part),
    /// A column whatever the direction.
    Column(Col),
    /// A teardown's `bytes` count both directions: `fields.bytes_total`.
    BytesTotal,
    /// `fields[name]`.
    Field,
    /// Dropped (`tail`).
    Skip,
    /// An address, of the source (`true`) or destination, written with or without `/port` and
    /// an identity (`src_spec`, `dst_spec`).
    MaybePort(bool),
    /// `address:port` with the port after the last colon (IPv6 too): `src_hostport`,
    /// `dst_hostport`.
    HostPort(bool),
}

#[derive(Debug, Clone, Copy)]
enum Part {
    Addr,
    Port,
    Iface,
    Nat,
    NatPort,
}

fn role_of(name: &str) -> Role {
    let endpoint = |rest: &str| match rest {
        "" => Some(Part::Addr),
        "_port" => Some(Part::Port),
        "_iface" => Some(Part::Iface),
        "_nat" => Some(Part::Nat),
        "_nat_port" => Some(Part::NatPort),
        _ => None,
    };
    if let Some(part) = name.strip_prefix('a').and_then(endpoint) {
        return Role::Endpoint(true, part);
    }
    if let Some(part) = name.strip_prefix('b').and_then(endpoint) {
        return Role::Endpoint(false, part);
    }
    Role::Column(match name {
        "src" => Col::SrcIp,
        "dst" => Col::DstIp,
        "src_port" => Col::SrcPort,
        "dst_port" => Col::DstPort,
        "src_iface" => Col::InIface,
        "dst_iface" => Col::OutIface,
        "nat_src" => Col::NatSrcIp,
        "nat_src_port" => Col::NatSrcPort,
        "protocol" => Col::Protocol,
        "user" => Col::User,
        // The AnyConnect group policy is the policy that admitted the session.
        "rule" | "group_policy" => Col::RuleName,
        "verdict" => Col::Action,
        "bytes" => return Role::BytesTotal,
        "src_spec" => return Role::MaybePort(true),
        "dst_spec" => return Role::MaybePort(false),
        "src_hostport" => return Role::HostPort(true),
        "dst_hostport" => return Role::HostPort(false),
        "tail" => return Role::Skip,
        _ => return Role::Field,
    })
}

/// A compiled template with the role of each of its captures.
struct Form {
    template: Template,
    roles: Vec<Role>,
}

impl Form {
    fn new(text: &'static str) -> Option<Form> {
        let template = Template::new(text)?;
        let roles = template.names().map(role_of).collect();
        Some(Form { template, roles })
    }
}

/// The forms of one message id, in the order they are tried.
type IdForms = Vec<(Form, &'static Sentence)>;

struct Compiled {
    /// Sorted by id: a binary search over a few dozen ids costs less than hashing one.
    by_id: Vec<(u32, IdForms)>,
    sessions: Vec<Form>,
}

impl Compiled {
    fn forms(&self, id: u32) -> Option<&IdForms> {
        let i = self.by_id.binary_search_by_key(&id, |(k, _)| *k).ok()?;
        self.by_id.get(i).map(|(_, forms)| forms)
    }
}

static COMPILED: LazyLock<Compiled> = LazyLock::new(|| {
    let mut by_id: Vec<(u32, IdForms)> = Vec::new();
    for sentence in SENTENCES {
        if let Some(form) = Form::new(sentence.template) {
            match by_id.iter_mut().find(|(id, _)| *id == sentence.id) {
                Some((_, forms)) => forms.push((form, sentence)),
                None => by_id.push((sentence.id, vec![(form, sentence)])),
            }
        }
    }
    // Stable: the forms of an id keep their order.
    by_id.sort_by_key(|(id, _)| *id);
    let sessions = SESSION_PREFIXES
        .iter()
        .filter_map(|t| Form::new(t))
        .collect();
    Compiled { by_id, sessions }
});

/// `%ASA-6-302013` (and `%FTD-`, `%PIX-`, `%NGIPS-`): (product, severity, id, text after the tag).
fn split_tag(body: &str) -> Option<(&str, u8, &str, &str)> {
    // Read by byte positions: every record without a more specific parser meets this test.
    let b = body.as_bytes();
    // `host : %ASA-...` (a space before the colon after the hostname) leaves `: ` in front.
    let mut i = 0;
    while i < b.len() && (b[i] == b' ' || b[i] == b':') {
        i += 1;
    }
    if b.get(i) != Some(&b'%') {
        return None;
    }
    let product_start = i + 1;
    let mut dash = product_start;
    while dash < b.len() && dash - product_start < 6 && b[dash] != b'-' {
        dash += 1;
    }
    let product = body.get(product_start..dash)?;
    if b.get(dash) != Some(&b'-') || !matches!(product, "ASA" | "FTD" | "PIX" | "FWSM" | "NGIPS") {
        return None;
    }
    // `%FTD--6-852002`: some FTD builds double the dash; others name a facility there
    // (`%FTD-auth-6-113039`).
    if b.get(dash + 1) == Some(&b'-') {
        dash += 1;
    } else if b.get(dash + 1).is_some_and(u8::is_ascii_lowercase) {
        let word = b[dash + 1..]
            .iter()
            .take(12)
            .take_while(|c| c.is_ascii_lowercase())
            .count();
        if b.get(dash + 1 + word) == Some(&b'-') {
            dash += 1 + word;
        }
    }
    let mut j = dash + 1;
    let mut severity = 0u32;
    while j < b.len() && j - dash <= 3 && b[j].is_ascii_digit() {
        severity = severity * 10 + u32::from(b[j] - b'0');
        j += 1;
    }
    if j == dash + 1 || b.get(j) != Some(&b'-') || severity > 7 {
        return None;
    }
    let id_start = j + 1;
    let mut id_end = id_start;
    while id_end < b.len() && b[id_end].is_ascii_digit() {
        id_end += 1;
    }
    if id_end == id_start || !matches!(b.get(id_end), None | Some(b':' | b' ')) {
        return None;
    }
    let mut k = id_end;
    while k < b.len() && b[k] == b':' {
        k += 1;
    }
    while k < b.len() && b[k].is_ascii_whitespace() {
        k += 1;
    }
    let severity = u8::try_from(severity).ok()?;
    Some((
        product,
        severity,
        body.get(id_start..id_end)?,
        body.get(k..)?.trim_start(),
    ))
}

/// Whether `body` starts like a tag: `%ASA-6` (or `%FTD-`, `%PIX-`, `%FWSM-`, `%NGIPS-` and a
/// digit), after any spaces and colons.
fn has_tag_start(body: &str) -> bool {
    tag_right_here(body) || leading_host(body).is_some_and(|(_, rest)| tag_right_here(rest))
}

fn tag_right_here(body: &str) -> bool {
    let b = body.as_bytes();
    let Some(at) = b.iter().position(|&c| c != b' ' && c != b':') else {
        return false;
    };
    let severity = match &b[at..] {
        [b'%', b'A', b'S', b'A', b'-', rest @ ..]
        | [b'%', b'F', b'T', b'D', b'-', rest @ ..]
        | [b'%', b'P', b'I', b'X', b'-', rest @ ..]
        | [b'%', b'F', b'W', b'S', b'M', b'-', rest @ ..]
        | [b'%', b'N', b'G', b'I', b'P', b'S', b'-', rest @ ..] => rest,
        _ => return false,
    };
    let severity = severity.strip_prefix(b"-").unwrap_or(severity);
    // `%FTD-auth-6-`: a facility word before the severity.
    let word = severity
        .iter()
        .take(12)
        .take_while(|c| c.is_ascii_lowercase())
        .count();
    let severity = match severity.get(word) {
        Some(b'-') if word > 0 => &severity[word + 1..],
        _ => severity,
    };
    severity.first().is_some_and(u8::is_ascii_digit)
}

/// The text from the tag on, the device's name ahead of it (see [`leading_host`]) moved to
/// `host`: the header read that name as the tag, or found no header at all.
#[inline]
fn without_leading_host<'a>(body: &'a str, ev: &mut Event<'a>) -> &'a str {
    // Nearly every record starts with its tag (or `: ` before it): decided by one byte.
    if body
        .as_bytes()
        .first()
        .is_none_or(|&c| matches!(c, b'%' | b':' | b' '))
    {
        return body;
    }
    take_leading_host(body, ev)
}

#[cold]
#[inline(never)]
fn take_leading_host<'a>(body: &'a str, ev: &mut Event<'a>) -> &'a str {
    match leading_host(body) {
        Some((program, rest)) if program.ends_with(']') && tag_right_here(rest) => rest,
        Some((host, rest)) if tag_right_here(rest) => {
            if ev.app.as_deref() == Some(host) {
                ev.app = None;
                ev.pid = None;
            }
            ev.host.get_or_insert(Cow::Borrowed(host));
            rest
        }
        _ => body,
    }
}

/// `fw01: %FTD-...` or `fw01 %FTD-...`: the device's name ahead of the tag where the header had
/// no timestamp (or read the name as a tag), or a relay's `program[pid]:`. The name and the text
/// from the tag on.
fn leading_host(body: &str) -> Option<(&str, &str)> {
    let b = body.as_bytes();
    // A cheap refusal first: every unclaimed record is asked.
    if b.first()
        .is_none_or(|&c| c == b'%' || !c.is_ascii_alphanumeric())
    {
        return None;
    }
    let space = b.iter().take(64).position(|&c| c == b' ')?;
    let rest = body[space..].trim_start();
    if !rest.starts_with('%') {
        return None;
    }
    let host = body[..space].trim_end_matches(':');
    // `CiscoASA[999]: %ASA-...`: a relay's program tag (returned as is; not a host name).
    let name = match host.strip_suffix(']').and_then(|h| h.split_once('[')) {
        Some((name, pid)) if pid.bytes().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    };
    name.bytes()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        .then_some((host, rest))
}

/// 717037 without its tag, as some relays forward it.
const CERTIFICATE_MAP_FAILED: &str = "Tunnel group search using certificate maps failed";

/// A tag-less AAA result (`AAA user authentication Rejected : reason = ...`), read with the
/// sentences of these ids.
const AAA_PREFIX: &str = "AAA user ";
const AAA_IDS: [u32; 4] = [113005, 113015, 113004, 113012];

fn is_session_line(body: &str) -> bool {
    let b = body.trim_start().trim_start_matches(':').trim_start();
    b.starts_with("Group <")
        || b.starts_with("TunnelGroup <")
        || b.starts_with("Group = ")
        || b.starts_with(CERTIFICATE_MAP_FAILED)
        || b.starts_with(AAA_PREFIX)
}

/// `... subject name: UID=u1,CN=Nguyen Van An,OU=..., issuer_name: ...`: the subject's common
/// name is the user; subject, issuer and serial number go to `fields`.
fn certificate_subject<'a>(text: &'a str, ev: &mut Event<'a>) {
    let after = |label: &str| text.find(label).map(|i| &text[i + label.len()..]);
    let subject = after("subject name: ").map(|s| s.split(", issuer").next().unwrap_or(s));
    if let Some(subject) = subject {
        ev.field("cert_subject", subject.trim_end_matches('.'));
        let common_name = subject
            .split(',')
            .find_map(|part| part.trim().strip_prefix("CN="));
        if let Some(cn) = common_name {
            put(ev, Col::User, "cert_cn", Cow::Borrowed(cn));
        }
    }
    if let Some(issuer) = after("issuer_name: ").or_else(|| after("issuer name: ")) {
        ev.field("cert_issuer", issuer.trim_end_matches('.'));
    }
    if let Some(serial) = after("serial number: ") {
        ev.field("cert_serial", serial.split(',').next().unwrap_or(serial));
    }
}

impl PayloadParser for CiscoAsa {
    fn source_type(&self) -> SourceType {
        SourceType::CiscoAsa
    }

    fn reads_body(&self) -> bool {
        true
    }

    fn claims(&self, _app: Option<&str>, body: &str) -> bool {
        // The product and severity are enough to claim (the parse reads the whole tag and says
        // when it is malformed), so an ASA record's tag is not read twice.
        has_tag_start(body) || is_session_line(body)
    }

    fn parse<'a>(&self, body: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        let compiled = &*COMPILED;
        let body = without_leading_host(body, ev);
        let Some((product, severity, id, text)) = split_tag(body) else {
            // A session line whose tag a relay removed.
            let text = body.trim().trim_start_matches(':').trim_start();
            ev.message = Some(Cow::Borrowed(text));
            if text.starts_with(CERTIFICATE_MAP_FAILED) {
                certificate_subject(text, ev);
                return Ok(());
            }
            if text.starts_with(AAA_PREFIX) {
                let mut caps = Captures::default();
                let matched = AAA_IDS
                    .iter()
                    .filter_map(|id| compiled.forms(*id))
                    .flatten()
                    .find(|(form, _)| form.template.capture_into(text, &mut caps));
                return match matched {
                    Some((form, sentence)) => {
                        apply(&caps, &form.roles, false, ev);
                        ev.outcome = sentence.outcome;
                        Ok(())
                    }
                    None => Err("no Cisco ASA message id"),
                };
            }
            return match compiled
                .sessions
                .iter()
                .find_map(|f| f.template.captures(text).map(|c| (c, f)))
            {
                Some((caps, form)) => {
                    apply(&caps, &form.roles, false, ev);
                    Ok(())
                }
                None => Err("no Cisco ASA message id"),
            };
        };
        let tagged = body.trim_start_matches([' ', ':']);
        let tag = &tagged[..tagged.len() - text.len()];
        let tag = tag.trim_end().trim_end_matches(':');
        if ev.app.is_none() {
            ev.app = Some(Cow::Borrowed(tag));
        }
        ev.msgid = Some(Cow::Borrowed(id));
        ev.severity.get_or_insert(severity);
        ev.field("product", product);
        ev.message = Some(Cow::Borrowed(text));
        let numeric: u32 = id.parse().map_err(|_| "message id is not a number")?;
        if (430001..=430005).contains(&numeric) {
            ftd_event(text, ev);
            return Ok(());
        }
        // PKI messages about a peer's certificate: its subject names the person.
        if (717001..=717099).contains(&numeric) {
            certificate_subject(text, ev);
            return Ok(());
        }
        let text = text.trim_end();
        let mut caps = Captures::default();
        let matched = compiled.forms(numeric).and_then(|list| {
            list.iter().find(|(form, _)| {
                form.template.capture_into(text, &mut caps)
                    // 106023 may put `type 3, code 0,` between the destination port and `by
                    // access-group`: the common form, tried first, then took it for the port.
                    && (numeric != 106023 || caps.get("dst_port").is_none_or(|p| !p.contains(' ')))
            })
        });
        if let Some((form, sentence)) = matched {
            let sentence = *sentence;
            let outbound = caps
                .get("direction")
                .is_some_and(|d| d.eq_ignore_ascii_case("outbound"));
            apply(&caps, &form.roles, outbound, ev);
            // An interface without its address: the address may have been read as a name.
            if (ev.src_ip.is_none() && ev.in_iface.is_some())
                || (ev.dst_ip.is_none() && ev.out_iface.is_some())
            {
                context_interfaces(text, ev);
            }
            if matches!(numeric, 302013 | 302015)
                && let Some(ident) = trailing_identity(text)
            {
                record_identity(ident, ev);
            }
            if let Some(a) = sentence.action {
                ev.action.get_or_insert(Cow::Borrowed(a));
            }
            if let Some(o) = sentence.outcome {
                ev.outcome = Some(o);
            }
            return Ok(());
        }
        if let Some((caps, form)) = compiled
            .sessions
            .iter()
            .find_map(|f| f.template.captures(text).map(|c| (c, f)))
        {
            apply(&caps, &form.roles, false, ev);
            return Ok(());
        }
        if compiled.forms(numeric).is_some() {
            return Err("the text does not have the known form of its message id");
        }
        Ok(())
    }
}

/// `src v1:outside:10.8.1.9/54864`: an interface name with a prefix (a virtual router or
/// context) has a colon of its own, so the sentence read `v1` as the interface and
/// `outside:10.8.1.9` as the address, which went to `fields` as a host. Joined back here.
#[cold]
fn context_interfaces<'a>(text: &'a str, ev: &mut Event<'a>) {
    for (host_key, src) in [("src_host", true), ("dst_host", false)] {
        let Some(pos) = ev.fields.iter().position(|(k, _)| k == host_key) else {
            continue;
        };
        let Cow::Borrowed(host) = ev.fields[pos].1 else {
            continue;
        };
        let Some((inner, addr)) = host.rsplit_once(':') else {
            continue;
        };
        if addr.parse::<std::net::Ipv4Addr>().is_err() {
            continue;
        }
        let (iface_slot, iface_col, addr_col) = if src {
            (&mut ev.in_iface, Col::InIface, Col::SrcIp)
        } else {
            (&mut ev.out_iface, Col::OutIface, Col::DstIp)
        };
        let Some(Cow::Borrowed(outer)) = *iface_slot else {
            continue;
        };
        // Both are pieces of `text`: the interface runs from the first to the end of the second.
        let base = text.as_ptr() as usize;
        let start = (outer.as_ptr() as usize).wrapping_sub(base);
        let end = (inner.as_ptr() as usize).wrapping_sub(base) + inner.len();
        let Some(iface) = text.get(start..end) else {
            continue;
        };
        // The half-read interface makes way for the whole one.
        *iface_slot = None;
        ev.fields.remove(pos);
        put(ev, iface_col, "iface", Cow::Borrowed(iface));
        put(ev, addr_col, host_key, Cow::Borrowed(addr));
    }
}

/// Splits `10.0.0.1/443(DOMAIN\user)` into the value and the identity in parentheses.
fn identity(value: &str) -> (&str, Option<&str>) {
    match value.split_once('(') {
        Some((v, rest)) if !v.is_empty() => {
            (v.trim_end_matches(')'), Some(rest.trim_end_matches(')')))
        }
        _ => (value, None),
    }
}

/// Stores captures by their roles. `a`/`b` endpoints become source/destination by direction:
/// the `for` side is the source unless the connection is outbound.
fn apply<'a>(caps: &Captures<'a>, roles: &[Role], outbound: bool, ev: &mut Event<'a>) {
    for ((name, value), role) in caps.iter().zip(roles) {
        if value.is_empty() {
            continue;
        }
        let col = match *role {
            Role::Skip => continue,
            Role::Field => {
                ev.field(name, value);
                continue;
            }
            Role::BytesTotal => {
                ev.field("bytes_total", value);
                continue;
            }
            Role::Column(col) => col,
            Role::MaybePort(src) => {
                address_and_port(value, src, ev);
                continue;
            }
            Role::HostPort(src) => {
                let (addr, port) = value.rsplit_once(':').unwrap_or((value, ""));
                put_endpoint(ev, src, addr, port);
                continue;
            }
            Role::Endpoint(first, part) => {
                let src = first != outbound;
                match (part, src) {
                    (Part::Addr, true) => Col::SrcIp,
                    (Part::Addr, false) => Col::DstIp,
                    (Part::Port, true) => Col::SrcPort,
                    (Part::Port, false) => Col::DstPort,
                    (Part::Iface, true) => Col::InIface,
                    (Part::Iface, false) => Col::OutIface,
                    (Part::Nat, true) => Col::NatSrcIp,
                    (Part::Nat, false) => Col::NatDstIp,
                    (Part::NatPort, true) => Col::NatSrcPort,
                    (Part::NatPort, false) => Col::NatDstPort,
                }
            }
        };
        // A NAT "address" may be a name (`(shule/5802)`): kept under a readable key.
        let name = match col {
            Col::NatSrcIp => "nat_src_host",
            Col::NatDstIp => "nat_dst_host",
            _ => name,
        };
        // An identity in parentheses after an address or port: `10.0.0.1/443(DOMAIN\user)`.
        // Values are short: a plain scan, not memchr.
        let value = if value.bytes().any(|c| c == b'(') {
            let (value, ident) = identity(value);
            if let Some(ident) = ident {
                record_identity(ident, ev);
            }
            value
        } else {
            value
        };
        put(ev, col, name, Cow::Borrowed(value));
    }
}

/// `10.0.0.1`, `10.0.0.1/443`, `10.0.0.1/443(LOCAL\an)`, `10.0.0.1 (LOCAL\an)` or, for a URL's
/// server, `an@10.0.0.1`.
fn address_and_port<'a>(value: &'a str, src: bool, ev: &mut Event<'a>) {
    let (value, ident) = identity(value);
    if let Some(ident) = ident {
        record_identity(ident, ev);
    }
    let value = match value.rsplit_once('@') {
        Some((user, addr)) if !user.is_empty() => {
            put(ev, Col::User, "user", Cow::Borrowed(user));
            addr
        }
        _ => value,
    };
    let (addr, port) = value
        .trim_end()
        .split_once('/')
        .unwrap_or((value.trim_end(), ""));
    put_endpoint(ev, src, addr, port);
}

/// The source's (`true`) or destination's address, and its port unless empty.
fn put_endpoint<'a>(ev: &mut Event<'a>, src: bool, addr: &'a str, port: &'a str) {
    let (addr_col, port_col, addr_key, port_key) = if src {
        (Col::SrcIp, Col::SrcPort, "src", "src_port")
    } else {
        (Col::DstIp, Col::DstPort, "dst", "dst_port")
    };
    put(ev, addr_col, addr_key, Cow::Borrowed(addr));
    if !port.is_empty() {
        put(ev, port_col, port_key, Cow::Borrowed(port));
    }
}

/// Keeps an identity (`LOCAL\user`) in `fields.user_identity`, and as the user if there is none
/// yet (a second identity fills no column and is not repeated).
fn record_identity<'a>(ident: &'a str, ev: &mut Event<'a>) {
    // `LOCAL\an, 9999:Employees`: a user and a Cisco TrustSec group tag (`number:name`), in
    // either order and either alone.
    for part in ident.split(", ").map(str::trim).filter(|p| !p.is_empty()) {
        let is_sgt = part
            .split_once(':')
            .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()));
        if is_sgt {
            ev.field("sgt", part);
            continue;
        }
        // The ASA names a host by its FQDN object in the same place (`(www.example.com)`); an
        // identity-firewall user is always `DOMAIN\name`.
        if !part.contains('\\') && looks_like_fqdn(part) {
            ev.field("fqdn", part);
            continue;
        }
        ev.field("user_identity", part);
        if ev.user.is_none() {
            // `LOCAL\group\user`: the last segment is the account, the middle its group.
            let mut pieces = part.splitn(3, '\\');
            match (pieces.next(), pieces.next(), pieces.next()) {
                (Some(domain), Some(group), Some(name)) if !name.is_empty() => {
                    ev.field("user_group", group);
                    put(
                        ev,
                        Col::User,
                        "user",
                        Cow::Owned(format!("{domain}\\{name}")),
                    );
                }
                _ => put(ev, Col::User, "user", Cow::Borrowed(part)),
            }
        }
    }
}

/// `host.example.com`: dotted labels, the last one alphabetic (`an.nguyen` is a user name too,
/// but the ASA writes users with their domain).
fn looks_like_fqdn(text: &str) -> bool {
    match text.rsplit_once('.') {
        Some((head, tld)) => {
            !head.is_empty()
                && tld.len() >= 2
                && tld.bytes().all(|c| c.is_ascii_alphabetic())
                && text
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'-')
        }
        None => false,
    }
}

/// The identity after a connection's last NAT address, `... (203.0.113.1/40000)(LOCAL\an)`,
/// which the sentence's closing `{*}` took.
fn trailing_identity(text: &str) -> Option<&str> {
    let inner = text.strip_suffix(')')?;
    // Most such texts end with the NAT address itself, `(203.0.113.1/40000)`: its `/` is met
    // first, a few bytes from the end.
    let open = inner.bytes().rposition(|c| c == b'(' || c == b'/')?;
    (inner.as_bytes()[open] == b'(' && inner[..open].ends_with(')')).then(|| &inner[open + 1..])
}

/// FTD connection and intrusion events: `Key: value, Key: value, ...`.
fn ftd_event<'a>(text: &'a str, ev: &mut Event<'a>) {
    for part in text.split(", ") {
        let Some((key, value)) = part.split_once(": ") else {
            continue;
        };
        let key = key.trim();
        let col = match key {
            "SrcIP" | "InitiatorIP" => Some(Col::SrcIp),
            "DstIP" | "ResponderIP" => Some(Col::DstIp),
            "SrcPort" | "InitiatorPort" => Some(Col::SrcPort),
            "DstPort" | "ResponderPort" => Some(Col::DstPort),
            "Protocol" => Some(Col::Protocol),
            "AccessControlRuleName" => Some(Col::RuleName),
            "AccessControlRuleAction" => Some(Col::Action),
            "IngressInterface" => Some(Col::InIface),
            "EgressInterface" => Some(Col::OutIface),
            // FTD words the absence of an identity; that stays in `fields`, not in `user`.
            "User"
                if matches!(
                    value.trim(),
                    "No Authentication Required" | "Not Found" | "Unknown" | "Pending"
                ) =>
            {
                None
            }
            "User" => Some(Col::User),
            "InitiatorBytes" => Some(Col::BytesOut),
            "ResponderBytes" => Some(Col::BytesIn),
            "InitiatorPackets" | "ResponderPackets" => Some(Col::Packets),
            "NAT_InitiatorAddr" | "NAT_InitiatorIP" => Some(Col::NatSrcIp),
            "NAT_InitiatorPort" => Some(Col::NatSrcPort),
            "NAT_ResponderAddr" | "NAT_ResponderIP" => Some(Col::NatDstIp),
            "NAT_ResponderPort" => Some(Col::NatDstPort),
            _ => None,
        };
        let v = Cow::Borrowed(value.trim());
        match col {
            Some(col) => put(ev, col, key, v),
            None => ev.field(key, v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::test_support::parse;

    #[test]
    fn identity_of_either_side_of_a_connection() {
        let ev = parse(
            r"<166>Nov 28 10:00:00 asa01 %ASA-6-302015: Built outbound UDP connection 99 for outside:8.8.8.8/53 (8.8.8.8/53) to inside:10.1.1.5/51000 (203.0.113.1/40000)(LOCAL\an.nv)",
        );
        assert_eq!(ev.src_ip.as_deref(), Some("10.1.1.5"));
        assert_eq!(ev.user.as_deref(), Some("an.nv"));
        assert_eq!(ev.get_field("user_identity"), Some(r"LOCAL\an.nv"));
        let ev = parse(
            r"<166>Nov 28 10:00:00 asa01 %ASA-6-302013: Built inbound TCP connection 123 for outside:203.0.113.9/4444 (203.0.113.9/4444)(LOCAL\eve) to inside:10.1.1.5/22 (10.1.1.5/22)",
        );
        assert_eq!(ev.user.as_deref(), Some("eve"));
        let ev = parse(
            "<166>Nov 28 10:00:00 asa01 %ASA-6-302013: Built inbound TCP connection 123 for outside:203.0.113.9/4444 (203.0.113.9/4444) to inside:10.1.1.5/22 (10.1.1.5/22)",
        );
        assert_eq!(ev.user, None);
        assert_eq!(ev.get_field("user_identity"), None);
    }

    #[test]
    fn ftd_connection_event_without_an_identity() {
        let ev = parse(
            "<113>Nov 28 10:00:00 ftd01 %FTD-1-430003: DeviceUUID: 1a2b3c4d-0000-1111-2222-333344445555, ConnectionID: 1234, AccessControlRuleAction: Block, SrcIP: 10.1.1.5, DstIP: 8.8.8.8, SrcPort: 51000, DstPort: 53, Protocol: udp, IngressInterface: inside, EgressInterface: outside, AccessControlRuleName: Block-DNS, User: No Authentication Required, InitiatorPackets: 1, ResponderPackets: 0, InitiatorBytes: 70, ResponderBytes: 0",
        );
        assert_eq!(ev.action.as_deref(), Some("deny"));
        assert_eq!(ev.rule_name.as_deref(), Some("Block-DNS"));
        assert_eq!(ev.user, None);
        assert_eq!(ev.get_field("User"), Some("No Authentication Required"));
        let ev = parse(
            "<113>Nov 28 10:00:00 ftd01 %FTD-1-430002: SrcIP: 10.1.1.5, DstIP: 8.8.8.8, User: CORP\\an.nv, AccessControlRuleAction: Allow",
        );
        assert_eq!(ev.user.as_deref(), Some("an.nv"));
        // FTD 6.x names the translated endpoints `NAT_InitiatorIP` / `NAT_ResponderIP`.
        let ev = parse(
            "%FTD-1-430003: SrcIP: 10.1.1.5, DstIP: 8.8.8.8, SrcPort: 51000, DstPort: 53, Protocol: udp, NAT_InitiatorPort: 22294, NAT_ResponderPort: 53, NAT_InitiatorIP: 203.0.113.1, NAT_ResponderIP: 8.8.8.8",
        );
        assert_eq!(ev.nat_src_ip.as_deref(), Some("203.0.113.1"));
        assert_eq!(ev.nat_dst_ip.as_deref(), Some("8.8.8.8"));
    }

    #[test]
    fn names_ahead_of_the_tag_group_tags_and_more_denies() {
        // No timestamp: the device's name, then the tag; and the name read as a tag.
        for line in [
            "<166>fw01 %FTD-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.1.1.1 : user = scan : user IP = 203.0.113.9",
            "May  5 17:51:17 fw01: %FTD-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.1.1.1 : user = scan : user IP = 203.0.113.9",
        ] {
            let ev = parse(line);
            assert_eq!(ev.source_type, SourceType::CiscoAsa, "{line}");
            assert_eq!(ev.host.as_deref(), Some("fw01"), "{line}");
            assert_eq!(ev.app.as_deref(), Some("%FTD-6-113005"), "{line}");
            assert_eq!(ev.user.as_deref(), Some("scan"), "{line}");
        }
        // TrustSec group tags beside (or instead of) the user; a user inside a group.
        let ev = parse(
            r"%FTD-4-313005: No matching connection for ICMP error message: icmp src outside:203.0.113.2(LOCAL\an, 9999:Staff) dst inside:10.1.1.3 (type 3, code 3) on outside interface.  Original IP payload: udp src 10.1.1.3/53 dst 203.0.113.2/54860.",
        );
        assert_eq!(ev.user.as_deref(), Some("an"));
        assert_eq!(ev.get_field("sgt"), Some("9999:Staff"));
        let ev = parse(
            r"%FTD-4-313005: No matching connection for ICMP error message: icmp src outside:203.0.113.2(9999:Staff) dst inside:10.1.1.3(8888:Servers) (type 3, code 3) on outside interface.",
        );
        assert_eq!(ev.user, None);
        let ev = parse(
            r"%FTD-4-313005: No matching connection for ICMP error message: icmp src srcif:203.0.113.2(LOCAL\vpn\an) dst dstif:10.1.1.3 (type 3, code 3) on myif interface.",
        );
        assert_eq!(ev.user.as_deref(), Some("an"));
        assert_eq!(ev.get_field("user_group"), Some("vpn"));
        let ev = parse("%ASA-2-106017: Deny IP due to Land Attack from 10.1.1.3 to 10.1.1.3");
        assert_eq!(
            (ev.action.as_deref(), ev.src_ip.as_deref()),
            (Some("deny"), Some("10.1.1.3"))
        );
        let ev = parse(
            "%FTD-3-106010: Deny inbound protocol 112 src Inside:10.1.1.3 dst Outside:10.1.1.4",
        );
        assert_eq!(ev.protocol.as_deref(), Some("vrrp"));
        let ev = parse(
            r"%FTD-5-305013: Asymmetric NAT rules matched for forward and reverse flows; Connection for tcp src WAN:203.0.113.5/556(LOCAL\charlie) dst LAN:10.1.1.5/7000 denied due to NAT reverse path failure",
        );
        assert_eq!(
            (ev.action.as_deref(), ev.dst_port),
            (Some("deny"), Some(7000))
        );
        assert_eq!(ev.user.as_deref(), Some("charlie"));
        let ev = parse(
            "%FTD--6-852002: Received Full Proxy to Lightweight event from application Snort for TCP flow 10.1.1.5/710 to 203.0.113.4/47873",
        );
        assert_eq!(ev.src_port, Some(710));
        let ev = parse(
            "<166>: 2024 Aug 07 10:29:42 UTC ftd-01 : %FTD-auth-6-113039: Group <GP> User <an> IP <203.0.113.4> AnyConnect parent session started.",
        );
        assert_eq!(ev.source_type, SourceType::CiscoAsa);
        assert_eq!(ev.user.as_deref(), Some("an"));
        for (line, sport, dport) in [
            (
                r"%FTD-3-305006: regular translation creation failed for icmp src any:203.0.113.5/21 dst WAN:198.51.100.2 (type 3, code 0)",
                Some(21),
                None,
            ),
            (
                r"%FTD-3-305006: regular translation creation failed for icmp src any:203.0.113.5 (LOCAL\esurbey) dst WAN:198.51.100.2/9234 (type 3, code 3)",
                None,
                Some(9234),
            ),
            (
                r"%FTD-3-305006: regular translation creation failed for icmp src any:203.0.113.5/21(host1\esurbey) dst WAN:198.51.100.2/9234(LOCAL\x) (type 3, code 3)",
                Some(21),
                Some(9234),
            ),
        ] {
            let ev = parse(line);
            assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.5"), "{line}");
            assert_eq!(ev.dst_ip.as_deref(), Some("198.51.100.2"), "{line}");
            assert_eq!((ev.src_port, ev.dst_port), (sport, dport), "{line}");
        }
    }

    #[test]
    fn ip_options_deny_and_ssl_clients() {
        let ev = parse(
            "%ASA-6-106012: Deny IP from 192.168.122.143 to 224.0.0.22, IP options: \"Router Alert\"",
        );
        assert_eq!(ev.action.as_deref(), Some("deny"));
        assert_eq!(ev.src_ip.as_deref(), Some("192.168.122.143"));
        assert_eq!(ev.dst_ip.as_deref(), Some("224.0.0.22"));
        for text in [
            "%ASA-6-725001: Starting SSL handshake with client outside:198.51.100.7/49238 for TLS session.",
            "%ASA-6-725001: Starting SSL handshake with client outside:198.51.100.7/49238 to 203.0.113.1/443 for TLSv1.2 session.",
            "%ASA-6-725003: SSL client outside:198.51.100.7/49238 request to resume previous session.",
            "%ASA-6-725007: SSL session with client outside:198.51.100.7/49238 terminated.",
            "%ASA-6-725007: SSL session with client outside:198.51.100.7/49238 to 203.0.113.1/443 terminated.",
        ] {
            let ev = parse(text);
            assert_eq!(ev.src_ip.as_deref(), Some("198.51.100.7"), "{text}");
            assert_eq!(ev.src_port, Some(49238), "{text}");
            assert_eq!(ev.in_iface.as_deref(), Some("outside"), "{text}");
            if text.contains(" to 203.") {
                assert_eq!(ev.dst_ip.as_deref(), Some("203.0.113.1"), "{text}");
                assert_eq!(ev.dst_port, Some(443), "{text}");
            }
        }
    }

    #[test]
    fn cluster_stub_offload_bypass_and_inspection_flows() {
        // Each names the same two endpoints, `for`/`from` side first.
        for text in [
            "%ASA-6-302022: Built director stub TCP connection for inside:10.1.2.3/38540 (198.51.100.5/38540) to outside:203.0.113.9/443 (203.0.113.9/443)",
            "%ASA-6-302023: Teardown stub TCP connection for inside:10.1.2.3/38540 to outside:203.0.113.9/443 duration 0:00:00 forwarded bytes 0 Cluster flow with CLU closed on owner",
            "%FTD-6-805001: Offloaded TCP Flow for connection 1234 from inside:10.1.2.3/38540 (198.51.100.5/38540) to outside:203.0.113.9/443 (203.0.113.9/443)",
            "%FTD-6-805002: TCP Flow is no longer offloaded for connection 1234 from inside:10.1.2.3/38540 (198.51.100.5/38540) to outside:203.0.113.9/443 (203.0.113.9/443)",
            "%ASA-6-302304: Teardown TCP state-bypass connection 2751 from inside:10.1.2.3/38540 to outside:203.0.113.9/443 duration 1:00:02 bytes 245 Connection timeout",
            "%ASA-4-507003: tcp flow from inside:10.1.2.3/38540 to outside:203.0.113.9/443 terminated by inspection engine, reason - disconnected, dropped packet.",
            "%ASA-4-434002: SFR requested to drop TCP packet from inside:10.1.2.3/38540 to outside:203.0.113.9/443",
        ] {
            let ev = parse(text);
            assert_eq!(ev.src_ip.as_deref(), Some("10.1.2.3"), "{text}");
            assert_eq!(ev.src_port, Some(38540), "{text}");
            assert_eq!(ev.dst_ip.as_deref(), Some("203.0.113.9"), "{text}");
            assert_eq!(ev.dst_port, Some(443), "{text}");
            assert_eq!(ev.in_iface.as_deref(), Some("inside"), "{text}");
            assert_eq!(ev.out_iface.as_deref(), Some("outside"), "{text}");
            assert_eq!(ev.protocol.as_deref(), Some("tcp"), "{text}");
            let expected = if text.contains("507003") || text.contains("434002") {
                "drop"
            } else {
                "allow"
            };
            assert_eq!(ev.action.as_deref(), Some(expected), "{text}");
        }
    }

    #[test]
    fn ftp_privilege_webvpn_and_url_users() {
        let ev = parse(
            "%ASA-6-303002: FTP connection from inside:10.1.2.3/63656 to dmz:10.9.8.7/21, user an Stored file /srv/ftp/report.xlsx",
        );
        assert_eq!(ev.user.as_deref(), Some("an"));
        assert_eq!(ev.dst_port, Some(21));
        assert_eq!(ev.get_field("ftp_action"), Some("Stored"));
        assert_eq!(ev.get_field("file"), Some("/srv/ftp/report.xlsx"));

        let ev = parse("%ASA-5-502103: User priv level changed: Uname: enable_15 From: 1 To: 15");
        assert_eq!(ev.user.as_deref(), Some("enable_15"));
        assert_eq!(ev.get_field("new_level"), Some("15"));

        let ev = parse(
            "%ASA-6-716002: Group staff User an IP 198.51.100.7 WebVPN session terminated: User Requested.",
        );
        assert_eq!(ev.user.as_deref(), Some("an"));
        assert_eq!(ev.src_ip.as_deref(), Some("198.51.100.7"));

        let ev = parse(
            "%ASA-5-304001: 10.1.2.3 Accessed URL an@203.0.113.9:http://203.0.113.9/index.html",
        );
        assert_eq!(ev.user.as_deref(), Some("an"));
        assert_eq!(ev.dst_ip.as_deref(), Some("203.0.113.9"));
        assert_eq!(ev.get_field("url"), Some("http://203.0.113.9/index.html"));

        let ev = parse(
            "%ASA-5-304001: an@10.1.2.3(LOCAL\\an) Accessed URL 203.0.113.9:http://203.0.113.9/index.html",
        );
        assert_eq!(ev.user.as_deref(), Some("an"));
        assert_eq!(ev.src_ip.as_deref(), Some("10.1.2.3"));
        assert_eq!(ev.dst_ip.as_deref(), Some("203.0.113.9"));
        let ev = parse(
            "%ASA-4-338008: Dynamic Filter dropped blacklisted TCP traffic from inside:10.1.1.1/33340 (10.2.1.1/33340) to outside:192.168.2.223/80 (192.168.2.223/80), destination 192.168.2.223 resolved from dynamic list: 192.168.2.223/255.255.255.255, threat-level: very-high, category: Malware",
        );
        assert_eq!(ev.action.as_deref(), Some("drop"));
        assert_eq!(
            (ev.src_ip.as_deref(), ev.src_port),
            (Some("10.1.1.1"), Some(33340))
        );
        assert_eq!(ev.dst_ip.as_deref(), Some("192.168.2.223"));
        assert_eq!(ev.get_field("list"), Some("blacklisted"));
        let ev = parse(
            "%ASA-6-734001: DAP: User an.nv@stttt.gov.vn, Addr 198.51.100.44, Connection AnyConnect: The following DAP records were selected for this connection: dap_1",
        );
        assert_eq!(ev.user.as_deref(), Some("an.nv"));
        assert_eq!(ev.src_ip.as_deref(), Some("198.51.100.44"));
        let ev = parse(
            "%ASA-6-751025: Local:2001:db8::1:4500 Remote:2001:db8::2:50470 Username:an IKEv2 Group:GroupPolicy_VPN IPv4 Address=172.16.58.34 IPv6 address=2001:db8::1234 assigned to session",
        );
        assert_eq!(
            (ev.src_ip.as_deref(), ev.src_port),
            (Some("2001:db8::1"), Some(4500))
        );
        assert_eq!(
            (ev.dst_ip.as_deref(), ev.dst_port),
            (Some("2001:db8::2"), Some(50470))
        );
        assert_eq!(ev.user.as_deref(), Some("an"));
        let ev = parse(
            "%ASA-2-106016: Deny IP spoof from (0.0.0.0) to 192.168.99.47 on interface Mobile_Traffic",
        );
        assert_eq!(ev.action.as_deref(), Some("deny"));
        assert_eq!(ev.dst_ip.as_deref(), Some("192.168.99.47"));
        assert_eq!(ev.in_iface.as_deref(), Some("Mobile_Traffic"));
        let ev = parse(
            "%ASA-5-713202: IP = 198.51.100.7, Duplicate first packet detected. Ignoring packet.",
        );
        assert_eq!(ev.src_ip.as_deref(), Some("198.51.100.7"));
    }

    #[test]
    fn deny_by_protocol_number_and_a_destination_fqdn() {
        let ev = parse(
            "%ASA-4-106023: Deny protocol 47 src outside:198.51.100.7 dst inside:10.1.2.3 by access-group \"inbound\" [0x0, 0x0]",
        );
        assert_eq!(ev.protocol.as_deref(), Some("gre"));
        assert_eq!(ev.dst_ip.as_deref(), Some("10.1.2.3"));
        assert_eq!(ev.rule_name.as_deref(), Some("inbound"));
        // A name in parentheses is the destination's FQDN object, not a user.
        let ev = parse(
            "%ASA-4-106023: Deny tcp src outside:198.51.100.7/56444 dst dmz:10.1.2.3/443(www.example.vn) by access-group \"inbound\"",
        );
        assert_eq!(ev.dst_ip.as_deref(), Some("10.1.2.3"));
        assert_eq!(ev.user, None);
        assert_eq!(ev.get_field("fqdn"), Some("www.example.vn"));
    }

    #[test]
    fn per_user_access_lists_invalid_icmp_and_denies_with_a_type() {
        for text in [
            "%ASA-session-3-106102: access-list vpn_users permitted udp for user an outside/10.1.2.3(49721) -> inside/10.9.8.7(53) hit-cnt 1 first hit [0x3c8b88c1, 0xbee595c3]",
            "%ASA-4-106103: access-list vpn_users denied udp for user 'an' outside/10.1.2.3(49721) -> inside/10.9.8.7(53) hit-cnt 1 first hit [0xd3e666fa, 0x0]",
        ] {
            let ev = parse(text);
            assert_eq!(ev.user.as_deref(), Some("an"), "{text}");
            assert_eq!(ev.rule_name.as_deref(), Some("vpn_users"), "{text}");
            assert_eq!(
                (ev.src_ip.as_deref(), ev.src_port),
                (Some("10.1.2.3"), Some(49721)),
                "{text}"
            );
            assert_eq!(
                (ev.dst_ip.as_deref(), ev.dst_port),
                (Some("10.9.8.7"), Some(53)),
                "{text}"
            );
        }
        let ev = parse(
            "%ASA-4-313009: Denied invalid ICMP code 9, for inside:10.255.0.206/8795 (10.255.0.206/8795) to identity:10.12.31.51/0 (10.12.31.51/0), ICMP id 295, ICMP type 8",
        );
        assert_eq!(ev.action.as_deref(), Some("deny"));
        assert_eq!(ev.src_ip.as_deref(), Some("10.255.0.206"));
        assert_eq!(ev.dst_ip.as_deref(), Some("10.12.31.51"));
        assert_eq!(ev.get_field("icmp_type"), Some("8"));
        let ev = parse(
            "%ASA-4-106023: Deny tcp src dmz:10.1.2.3/6316 dst outside:203.0.113.9/53 type 3, code 0, by access-group \"acl_dmz\" [0xe3afb522, 0x0]",
        );
        assert_eq!(ev.dst_port, Some(53));
        assert_eq!(ev.rule_name.as_deref(), Some("acl_dmz"));
        // Names where addresses go (the ASA's `names` feature) stay findable.
        let ev = parse(
            "%ASA-6-302013: Built inbound TCP connection 32634 for DMZ:shule/5802 (shule/5802) to SERVERS:10.10.227.121/80 (10.10.227.121/80)",
        );
        assert_eq!(ev.get_field("src_host"), Some("shule"));
        assert_eq!(ev.get_field("nat_src_host"), Some("shule"));
        assert_eq!(ev.dst_ip.as_deref(), Some("10.10.227.121"));
        // A relay's program tag in front, and the session prefix without angle brackets.
        let ev = parse(
            "Oct 10 2026 12:34:56 localhost CiscoASA[999]: %ASA-4-113029: Group VPN_USERS User an IP 198.51.100.14 Session could not be established: session limit of 5 reached",
        );
        assert_eq!(ev.source_type, SourceType::CiscoAsa);
        assert_eq!(ev.msgid.as_deref(), Some("113029"));
        assert_eq!(ev.user.as_deref(), Some("an"));
        assert_eq!(ev.src_ip.as_deref(), Some("198.51.100.14"));
        assert_eq!(ev.host.as_deref(), Some("localhost"));
        // Interface names with a prefix of their own (`v1:outside`).
        let ev = parse(
            "%ASA-4-106023: Deny udp src v1:outside:10.8.1.9/54864 dst v2:inside:172.16.1.3/53 by access-group \"outside_acl\" [0x0, 0x0]",
        );
        assert_eq!(
            (ev.src_ip.as_deref(), ev.src_port),
            (Some("10.8.1.9"), Some(54864))
        );
        assert_eq!(
            (ev.dst_ip.as_deref(), ev.dst_port),
            (Some("172.16.1.3"), Some(53))
        );
        assert_eq!(ev.in_iface.as_deref(), Some("v1:outside"));
        assert_eq!(ev.out_iface.as_deref(), Some("v2:inside"));
        assert_eq!(ev.get_field("src_host"), None);
        // An AAA result whose tag a relay removed.
        let ev = parse(
            "<166>Jul  1 09:27:13 216.160.83.56 : AAA user authentication Rejected : reason = Account has been disabled : server = 10.1.1.4 : user = alice : user IP = 198.51.100.23",
        );
        assert_eq!(ev.source_type, SourceType::CiscoAsa);
        assert_eq!(ev.user.as_deref(), Some("alice"));
        assert_eq!(ev.src_ip.as_deref(), Some("198.51.100.23"));
        assert_eq!(ev.outcome, Some(FAILURE));
    }

    #[test]
    fn every_sentence_compiles() {
        let n: usize = COMPILED.by_id.iter().map(|(_, forms)| forms.len()).sum();
        assert!(matches!(
            role_of("a_nat_port"),
            Role::Endpoint(true, Part::NatPort)
        ));
        assert!(matches!(role_of("application"), Role::Field));
        assert_eq!(n, SENTENCES.len());
        assert_eq!(COMPILED.sessions.len(), SESSION_PREFIXES.len());
    }

    #[test]
    fn outbound_connection_swaps_endpoints() {
        let ev = parse(
            "<166>Nov 26 2026 10:00:00: %ASA-6-302013: Built outbound TCP connection 77 for outside:203.0.113.8/443 (203.0.113.8/443) to inside:10.0.0.5/51000 (198.51.100.2/40000)",
        );
        assert_eq!(ev.source_type, SourceType::CiscoAsa);
        assert_eq!(ev.msgid.as_deref(), Some("302013"));
        assert_eq!(ev.src_ip.as_deref(), Some("10.0.0.5"));
        assert_eq!(ev.src_port, Some(51000));
        assert_eq!(ev.nat_src_ip.as_deref(), Some("198.51.100.2"));
        assert_eq!(ev.dst_ip.as_deref(), Some("203.0.113.8"));
        assert_eq!(ev.in_iface.as_deref(), Some("inside"));
        assert_eq!(ev.protocol.as_deref(), Some("tcp"));
        assert_eq!(ev.action.as_deref(), Some("allow"));
    }

    #[test]
    fn deny_by_access_group_and_unknown_id() {
        let ev = parse(
            "%ASA-4-106023: Deny udp src outside:198.51.100.9/5353 dst inside:10.0.0.1/53 by access-group \"OUTSIDE_IN\" [0x0, 0x0]",
        );
        assert_eq!(ev.rule_name.as_deref(), Some("OUTSIDE_IN"));
        assert_eq!(ev.action.as_deref(), Some("deny"));
        assert_eq!(ev.dst_port, Some(53));
        let ev = parse("%ASA-3-999999: Something new happened");
        assert_eq!(ev.source_type, SourceType::CiscoAsa);
        assert_eq!(ev.msgid.as_deref(), Some("999999"));
        assert_eq!(ev.severity, Some(3));
        assert_eq!(ev.message.as_deref(), Some("Something new happened"));
    }

    #[test]
    fn malformed_tag_is_kept_as_a_partial_asa_row() {
        let line = "<166>Nov 26 2026 10:00:00: %ASA-6-30201x: Built outbound TCP connection 1";
        let ev = parse(line);
        assert_eq!(ev.source_type, SourceType::CiscoAsa);
        assert_eq!(ev.status, crate::event::ParseStatus::Partial);
        assert_eq!(ev.error.as_deref(), Some("no Cisco ASA message id"));
        assert!(
            ev.message
                .as_deref()
                .is_some_and(|m| m.contains("Built outbound"))
        );
    }

    #[test]
    fn aaa_and_vpn() {
        let ev = parse(
            "%ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : server = 10.1.1.1 : user = admin : user IP = 203.0.113.4",
        );
        assert_eq!(ev.outcome, Some("failure"));
        assert_eq!(ev.user.as_deref(), Some("admin"));
        assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.4"));
        let ev = parse(
            "%ASA-4-722051: Group <GP> User <lan> IP <203.0.113.4> IPv4 Address <10.8.0.2> IPv6 address <::> assigned to session",
        );
        assert_eq!(ev.user.as_deref(), Some("lan"));
        assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.4"));
        assert_eq!(ev.get_field("assigned_ip"), Some("10.8.0.2"));
        // A relay that strips the tag leaves the IKE/SSL session line with `=` pairs.
        let ev = parse(
            "Group = VPN-USERS, Username = lan, IP = 203.0.113.4, Session disconnected. Session Type: SSL, Duration: 1h:02m:03s, Bytes xmt: 1000, Bytes rcv: 2000, Reason: Idle Timeout",
        );
        assert_eq!(ev.source_type, SourceType::CiscoAsa);
        assert_eq!(ev.user.as_deref(), Some("lan"));
        assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.4"));
        for text in [
            "%ASA-4-717037: Tunnel group search using certificate maps failed for peer certificate: serial number: 0A1B, subject name: UID=u1,CN=Nguyen Van An,OU=So TTTT,C=VN, issuer_name: CN=CA,O=Gov,C=VN.",
            "Tunnel group search using certificate maps failed for peer certificate: serial number: 0A1B, subject name: UID=u1,CN=Nguyen Van An,OU=So TTTT,C=VN, issuer_name: CN=CA,O=Gov,C=VN.",
        ] {
            let ev = parse(text);
            assert_eq!(ev.source_type, SourceType::CiscoAsa, "{text}");
            assert_eq!(ev.user.as_deref(), Some("Nguyen Van An"), "{text}");
            assert_eq!(
                ev.get_field("cert_issuer"),
                Some("CN=CA,O=Gov,C=VN"),
                "{text}"
            );
            assert_eq!(ev.get_field("cert_serial"), Some("0A1B"), "{text}");
        }
    }
}
