//! Parse-to-Arrow throughput on the project's samples, with `syslog_loose` measured in the same run
//! on the same lines as the baseline. Ours builds every Arrow column (and the payload fields);
//! syslog_loose only splits the syslog header.
//!
//! `cargo bench --bench parse`. The syslog groups report records/s (the line prints bytes per
//! record so MB/s follows); the format groups (`firewall/*`, `ids/*`, `web/*`, ...) report bytes/s
//! of input directly.

// criterion_group! generates undocumented functions.
#![allow(missing_docs)]

use std::hint::black_box;

use canhgac_benches::{sample_lines, to_batches, with_syslog_loose};
use canhgac_parsers::{BatchBuilder, ParseContext};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// Parses every line into an [`Event`](canhgac_parsers::Event) and drops it: the parsers alone.
fn parse_only(lines: &[String], ctx: &ParseContext) {
    for line in lines {
        let mut ev = canhgac_parsers::Event::default();
        canhgac_parsers::parse_record(line, ctx, &mut ev);
        black_box(&ev);
    }
}

fn bench_format(c: &mut Criterion, name: &str, lines: &[String]) {
    let bytes: usize = lines.iter().map(String::len).sum();
    println!(
        "{name}: {} records, {:.1} bytes/record",
        lines.len(),
        bytes as f64 / lines.len() as f64
    );
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(lines.len() as u64));
    let ctx = ParseContext::new(1_795_000_000_000_000);
    let mut builder = BatchBuilder::new();
    group.bench_function("canhgac_arrow", |b| {
        b.iter(|| to_batches(&mut builder, lines, &ctx))
    });
    // Header only (`--source-type syslog`): the same work syslog_loose does, plus the Arrow columns.
    let header_ctx = ParseContext {
        source_type: Some(canhgac_parsers::SourceType::Syslog),
        ..ctx.clone()
    };
    group.bench_function("canhgac_arrow_header_only", |b| {
        b.iter(|| to_batches(&mut builder, lines, &header_ctx))
    });
    group.bench_function("canhgac_parse_only", |b| b.iter(|| parse_only(lines, &ctx)));
    group.bench_function("syslog_loose", |b| b.iter(|| with_syslog_loose(lines)));
    group.finish();
}

/// Firewall and other formats: MB/s of input with every column built (Throughput::Bytes), on the
/// generated samples (FortiGate, Cisco ASA, iptables) and on each format's fixture lines.
fn bench_vendor(c: &mut Criterion, name: &str, lines: &[String]) {
    let bytes: usize = lines.iter().map(String::len).sum();
    println!(
        "{name}: {} records, {:.1} bytes/record",
        lines.len(),
        bytes as f64 / lines.len() as f64
    );
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(bytes as u64));
    let ctx = ParseContext::new(1_795_000_000_000_000);
    let mut builder = BatchBuilder::new();
    group.bench_function("canhgac_arrow", |b| {
        b.iter(|| to_batches(&mut builder, lines, &ctx))
    });
    group.bench_function("canhgac_parse_only", |b| b.iter(|| parse_only(lines, &ctx)));
    group.finish();
}

/// A format's fixture lines (`firewall/panos`, `web/web`), repeated to about a thousand records.
fn fixture(name: &str) -> Vec<String> {
    let full = format!(
        "{}/../parsers/tests/fixtures/{name}.log",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
    let one: Vec<String> = text.lines().map(str::to_owned).collect();
    one.iter().cycle().take(1000).cloned().collect()
}

fn firewalls(c: &mut Criterion) {
    bench_vendor(
        c,
        "firewall/fortigate",
        &sample_lines("firewall/fortigate.log", |_| true),
    );
    bench_vendor(
        c,
        "firewall/cisco_asa",
        &sample_lines("firewall/cisco-asa.log", |_| true),
    );
    bench_vendor(
        c,
        "firewall/iptables",
        &sample_lines("firewall/iptables.log", |_| true),
    );
    for vendor in [
        "firewall/panos",
        "firewall/cef_leef",
        "firewall/checkpoint",
        "firewall/cisco_ios",
        "firewall/filterlog",
        "firewall/huawei",
        "firewall/juniper",
        "firewall/sonicwall",
        "firewall/sophos",
        "firewall/stormshield",
        "ids/ids",
        "zeek/zeek",
        "web/web",
        "haproxy/haproxy",
        "proxy/proxy",
        "dns/dns",
        "mail/mail",
        "ftp/ftp",
    ] {
        // `firewall/fixtures_panos`, `web/fixtures_web`: the family, then the fixture.
        let (family, name) = vendor.split_once('/').unwrap_or(("formats", vendor));
        bench_vendor(c, &format!("{family}/fixtures_{name}"), &fixture(vendor));
    }
}

fn parse(c: &mut Criterion) {
    bench_format(c, "rfc3164", &sample_lines("linux/auth.log", |_| true));
    bench_format(
        c,
        "rfc5424",
        &sample_lines("syslog/relay-rfc5424.log", |_| true),
    );
    bench_format(
        c,
        "sshd",
        &sample_lines("linux/auth.log", |l| l.contains(" sshd[")),
    );
}

criterion_group!(benches, parse, firewalls);
criterion_main!(benches);
