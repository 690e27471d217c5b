//! Property tests: arbitrary bytes never panic a parser or the framing, and every record becomes
//! exactly one row whatever its content or the forced source type.

use canhgac_parsers::framing::FrameDecoder;
use canhgac_parsers::{BatchBuilder, Event, Origin, ParseContext, SourceType, parse_record};
use proptest::prelude::*;

/// Bytes that look enough like logs to reach deep into the parsers, mixed with noise.
fn loggy_bytes() -> impl Strategy<Value = Vec<u8>> {
    let pieces = prop::sample::select(vec![
        "<34>",
        "<13>1 ",
        "<999>",
        "Oct 11 22:14:15 ",
        "2026-11-27T08:15:01.123+07:00 ",
        "host ",
        "sshd[12]: ",
        "app: ",
        "- ",
        "[a@1 x=\"y\\\"z\"] ",
        "[",
        "]",
        "\"",
        "=",
        "Accepted password for root from 10.0.0.1 port 22 ssh2",
        "Failed password for invalid user ",
        " from ",
        " port ",
        "pam_unix(sshd:auth): authentication failure; rhost=",
        "type=SYSCALL msg=audit(1.2:3): ",
        "a0=414243 ",
        "proctitle=00FF ",
        "msg='op=x res=failed'",
        " : TTY=pts/0 ; COMMAND=",
        "new user: name=x, UID=1",
        "\u{feff}",
        "đà nẵng",
        "\t",
        "\r",
        "*",
        ": ",
        "123: ",
        "2001:db8::1 ",
        // Firewall payloads: every vendor parser's markers and separators.
        "CEF:0|Fortinet|Fortigate|7|13|x|5|",
        "LEEF:2.0|V|P|1|2|^|",
        "LEEF:1.0|WatchGuard|XTM|1|2|",
        "src=10.0.0.1 ",
        "cs1Label=Rule Name cs1=",
        "\\= ",
        "\\|",
        "%ASA-6-302013: Built outbound TCP connection 1 for o:1.2.3.4/80 (1.2.3.4/80) to i:10.0.0.1/5 (",
        "%ASA-4-106023: Deny tcp src o:1.2.3.4/1 dst i:2.2.2.2/2 by access-group \"",
        "Group <g> User <u> IP <",
        "%SEC-6-IPACCESSLOGP: list 1 denied tcp 1.2.3.4(1) -> ",
        "%%01POLICY/6/POLICYPERMIT(l):protocol=6, source-ip=",
        "RT_FLOW: RT_FLOW_SESSION_CLOSE: session closed x: 1.1.1.1/1->2.2.2.2/2 ",
        "[junos@2636.1 source-address=\"",
        "IN=eth0 OUT= SRC=1.2.3.4 DST=5.6.7.8 PROTO=TCP SPT=1 DPT=2 ",
        "[UFW BLOCK] ",
        // IDS alerts.
        "snort[1]: [1:2:3] m [Classification: c] [Priority: 2] {TCP} ",
        "11/28-10:00:06.000001  [**] [1:2:3] ",
        " -> [2001:db8::1]:",
        "11/28/26-10:00:08.428952 ,1,2,3,\"m\",TCP,",
        "{\"event_type\":\"alert\",\"alert\":{\"action\":\"blocked\"},\"src_ip\":\"",
        // Web servers.
        "nginx: ",
        "1.2.3.4 - - [28/Nov/2026:10:00:00 +0700] \"GET /a?b HTTP/1.1\" 200 1 \"-\" \"",
        "[1/Apr/2014:00:00:01 -0500] \"",
        "2026/11/28 10:00:11 [error] 1#1: *5 user \"",
        ", client: ",
        ", request: \"",
        "[Sat Nov 28 10:00:17.123456 2026] [security2:error] [client ",
        "ModSecurity: Access denied [id \"1\"] [msg \"",
        // Zeek.
        "{\"_path\":\"dns\",\"ts\":1795834800.5,\"id.orig_h\":\"",
        "zeek: {\"id.orig_h\":\"10.0.0.1\",\"id.orig_p\":",
        // HAProxy.
        "haproxy[1]: 1.2.3.4:5 [28/Nov/2026:10:00:00.655] in~ b/s ",
        "0/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {h} \"GET ",
        "[2001:db8::9]:51000 [28/Nov/2026:10:00:03.100] ",
        // Web proxies.
        "squid[1]: 1795834800.123 150 10.0.0.1 TCP_MISS/200 1 GET http://",
        " - HIER_DIRECT/",
        "1795834801.5 12 ",
        // DNS servers.
        "named[1]: client @0x1 ",
        "#53 (a.vn): query: a.vn IN A + (",
        "zone transfer 'a.vn/AXFR/IN' denied",
        "dnsmasq[1]: query[A] ",
        "unbound: [1:0] reply: ",
        // Mail and FTP servers.
        "dovecot: ",
        "imap-login: Disconnected: x (auth failed, 1 attempts): user=<",
        ", rip=::ffff:",
        "auth-worker(1): pam(",
        "postfix/postscreen[1]: NOQUEUE: reject: RCPT from [",
        "]:1: 550 x; from=<a> to=<",
        "warning: unknown[",
        "]: SASL LOGIN authentication failed: x, sasl_username=",
        "exim[1]: 2026-11-28 08:00:00 +0700 ",
        "login authenticator failed for (",
        "vsftpd[1]: [",
        "] OK DOWNLOAD: Client \"",
        "Sat Nov 28 09:00:08 2026 [pid 2] ",
        "proftpd[1]: h (",
        "[1.2.3.4]) - USER ",
        "pure-ftpd: (?@",
        "5,,,1000000103,igb1,match,block,in,4,0x0,,64,0,0,DF,6,tcp,60,",
        "1,2026/11/26 10:00:00,0123,TRAFFIC,end,2562,",
        "1,2026/11/26 10:00:00,0123,SYSTEM,auth,2562,",
        "devname=\"fg\" logid=\"1\" type=\"traffic\" subtype=\"forward\" ",
        "device=\"SFW\" log_id=1 log_type=\"Firewall\" ",
        "id=firewall fw=\"SN\" startime=\"x\" ",
        "id=firewall sn=1 m=537 ",
        "[action:\"Drop\"; src:\"",
        "1,2026/11/26 10:00:00,0123,GLOBALPROTECT,0,2562,",
        "LEEF:1.0|Palo Alto Networks|PAN-OS|1|allow|",
        "|src=",
        "firewall,info ",
        "input: in:",
        " out:(unknown 0), ",
        "proto ICMP (type 8, code 0), ",
        "NAT (",
        ")->",
        "->(",
        "system,error,critical login failure for user ",
        "2026:11:28-10:00:00 ",
        "ulogd[1]: id=\"2001\" sys=\"SecureNet\" ",
        "RT_SCREEN: RT_SCREEN_TCP: SYN flood! source: ",
        "session denied 1.1.1.1/1->2.2.2.2/2 0x0 x 6(0) p z z a b u(r) ",
        "systemd-logind[1]: New session ",
        "CheckPoint 1 - - time=1|product=Firewall|action=Drop|src=",
        "%VSHD-5-VSHD_SYSLOG_CONFIG_I: Configured from vty by a on ",
        "%ASA-6-751025: Local:2001:db8::1:4500 Remote:",
        "CiscoASA[9]: ",
        "AAA user authentication Rejected : reason = ",
        "%FMANFP-6-IPACCESSLOGP: R0/0: fman_fp_image: list a denied tcp ",
        "%AAA-W-REJECT: New telnet connection for user ",
        "3132811: sw01: 3132807: ",
        "17:06:48+03:00 DST ",
        "[%%01SECURITY/4/ACCESSPOLICY_DENY(l):]: ",
        "IPSTRAP/4/THREATTRAP:OID 1 (",
        "CID=0x1;",
        "natSrcV6=[2001:db8::1]:",
        "<37>1 2026-11-28T15:00:06Z srx sshd - SSHD_LOGIN_FAILED [junos@2636.1.1 username=\"",
        "[Fields@1.3.6.1.4.1.2620 src=\"",
        "[alert:\"Expert_Alert\"; administrator:\"",
        "{\"LogType\":\"TRAFFIC\",",
        "\"SourceAddress\":\"10.0.0.1\",",
        "\"k\":{\"n\":[1,{\"x\":null}]},",
        "\"e\":\"\\u00e9\\ud83d\\\"\",",
        "\"EventDescription\":\"User a logged in via Web from ",
        "\"n\":-1.5e3}",
        "}",
        "[",
        ",",
        ";",
        "->",
        "/",
    ]);
    (
        prop::collection::vec(pieces, 0..12),
        prop::collection::vec(any::<u8>(), 0..40),
        any::<bool>(),
    )
        .prop_map(|(parts, noise, noise_first)| {
            let text: Vec<u8> = parts.concat().into_bytes();
            if noise_first {
                [noise, text].concat()
            } else {
                [text, noise].concat()
            }
        })
}

fn all_contexts() -> Vec<ParseContext> {
    let mut out = vec![ParseContext::new(1_767_312_000_000_000)];
    for st in SourceType::ALL {
        let mut ctx = ParseContext::new(1_767_312_000_000_000);
        ctx.source_type = Some(st);
        out.push(ctx);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn every_record_is_one_row_for_every_parser(records in prop::collection::vec(prop_oneof![loggy_bytes(), prop::collection::vec(any::<u8>(), 0..200)], 1..20)) {
        for ctx in all_contexts() {
            let mut builder = BatchBuilder::new();
            for r in &records {
                builder.push(r, &ctx, Origin::default());
            }
            let batch = builder.finish().map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(batch.num_rows(), records.len());
            let raw = batch.column_by_name("raw").ok_or_else(|| TestCaseError::fail("no raw column"))?;
            let raw = arrow::array::AsArray::as_binary::<i32>(raw);
            for (i, r) in records.iter().enumerate() {
                prop_assert_eq!(raw.value(i), r.as_slice(), "raw must keep the exact bytes");
            }
        }
    }

    #[test]
    fn parse_record_never_panics_on_text(text in "\\PC{0,300}") {
        for ctx in all_contexts() {
            let mut ev = Event::default();
            parse_record(&text, &ctx, &mut ev);
            prop_assert!(ev.ts.is_some(), "every row has an event time");
        }
    }

    #[test]
    fn framing_loses_no_bytes(stream in prop::collection::vec(prop_oneof![loggy_bytes(), Just(b"\n".to_vec()), Just(b"12 <1>".to_vec())], 0..30), chunk in 1usize..64, max in 1usize..300) {
        let input = stream.concat();
        let mut decoder = FrameDecoder::new(max);
        let mut frames = Vec::new();
        for part in input.chunks(chunk) {
            decoder.push(part);
            while let Some(f) = decoder.next_frame() {
                frames.push(f);
            }
            // Buffering stays bounded by the frame cap plus one chunk (plus an octet-count header).
            prop_assert!(decoder.pending() <= max + chunk + 16, "pending {} with max {max}", decoder.pending());
        }
        frames.extend(decoder.finish());
        for f in &frames {
            prop_assert!(f.bytes.len() <= max);
            prop_assert!(!f.bytes.is_empty());
        }
        // Every byte is in a frame, a delimiter, an octet-count header, or counted as discarded.
        let kept: usize = frames.iter().map(|f| f.bytes.len()).sum();
        prop_assert!(kept as u64 + decoder.discarded_bytes() <= input.len() as u64);
    }
}
