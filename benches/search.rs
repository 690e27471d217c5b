//! Alert search: index throughput and query latency on a million generated alerts.
//!
//! The alerts (and triage changes for a third of them) come from `generate_alerts`, written to
//! a data directory under `target/` that is reused between runs (delete it to regenerate). The
//! index is built once with `canhgac index rebuild`'s code path and timed; then five queries an
//! analyst types all day are each run 300 times for p50/p99 (printed as a table), and under
//! Criterion for its statistics. Indexing throughput is also measured under Criterion on 50,000
//! alerts. Every query returns a first page of 50, newest first, with the total count.

// criterion_group! generates undocumented functions.
#![allow(missing_docs)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use canhgac_engine::index::{AlertIndex, QueryContext, SearchRequest};
use chrono::{FixedOffset, Offset, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const START_SECS: i64 = canhgac_benches::ALERTS_START_SECS;

fn data_dir(name: &str, alerts: u64) -> PathBuf {
    canhgac_benches::alert_data_dir(name, alerts)
}

fn ctx() -> QueryContext {
    QueryContext {
        // The end of the generated quarter.
        now_micros: (START_SECS + 92 * 86_400) * 1_000_000,
        zone: FixedOffset::east_opt(7 * 3600).unwrap_or(Utc.fix()),
    }
}

const QUERIES: [(&str, &str, bool); 5] = [
    ("term", "host:syt-his07", false),
    (
        "phrase",
        "evidence:\"Failed password for invalid user\"",
        false,
    ),
    ("cidr", "src_ip:\"185.220.0.0/16\"", false),
    (
        "time+level",
        "ts:[2026-10-01 TO 2026-10-07] AND level:>=high",
        false,
    ),
    ("facets", "status:new last 7d", true),
];

/// The first page (50 alerts, newest first) of a query, with the total.
fn first_page(query: &str, facets: bool) -> SearchRequest<'_> {
    SearchRequest {
        query,
        limit: 50,
        offset: 0,
        facets,
        ctx: ctx(),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn search(c: &mut Criterion) {
    // Indexing throughput on 50k alerts, rebuilt from scratch each time.
    let small = data_dir("alerts-50k", 50_000);
    let mut group = c.benchmark_group("index");
    group.sample_size(10);
    group.throughput(Throughput::Elements(50_000));
    group.bench_function("rebuild 50k alerts", |b| {
        b.iter(|| AlertIndex::rebuild(&small).expect("rebuild"))
    });
    group.finish();

    let big = data_dir("alerts-1m", 1_000_000);
    let started = Instant::now();
    let done = AlertIndex::rebuild(&big).expect("rebuild 1M");
    let took = started.elapsed();
    println!(
        "\nindexed {} alerts in {:.1} s: {:.0} alerts/s (one commit, merges included)",
        done.added,
        took.as_secs_f64(),
        done.added as f64 / took.as_secs_f64()
    );
    let index = AlertIndex::open_read_only(&big).expect("open");
    println!("\n| query | text | hits | p50 ms | p99 ms |\n|---|---|---|---|---|");
    for (name, text, facets) in QUERIES {
        let req = first_page(text, facets);
        let total = index.search(&req).expect("search").total;
        let mut times: Vec<Duration> = (0..300)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(index.search(&req).expect("search"));
                t.elapsed()
            })
            .collect();
        times.sort();
        println!(
            "| {name} | `{text}` | {total} | {:.2} | {:.2} |",
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3
        );
    }
    println!();
    let mut group = c.benchmark_group("search 1M alerts");
    for (name, text, facets) in QUERIES {
        let req = first_page(text, facets);
        group.bench_function(name, |b| b.iter(|| index.search(&req).expect("search")));
    }
    group.finish();
}

criterion_group!(benches, search);
criterion_main!(benches);
