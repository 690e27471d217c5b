//! Web UI response times with a million alerts in the index: the alert queue and search pages
//! as an analyst's browser asks for them, over real HTTP to the UI served in this process.
//!
//! The data directory is the search benchmark's (`target/bench-data/alerts-1m`, generated and
//! indexed on first use). Each page is requested 300 times after a warm-up for p50/p95/p99
//! (printed as a table; the target is p95 under 200 ms), and under Criterion for its statistics.
//! Every request renders the whole page: the search, the rows, the template, the response.

// criterion_group! generates undocumented functions.
#![allow(missing_docs)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use canhgac_engine::config::{Config, UiConfig};
use canhgac_engine::index::AlertIndex;
use canhgac_ui::users::{Role, UserStore};
use criterion::{Criterion, criterion_group, criterion_main};

const PASSWORD: &str = "bench-password-long";

fn data_dir() -> PathBuf {
    let dir = canhgac_benches::alert_data_dir("alerts-1m", 1_000_000);
    let index = AlertIndex::open_read_only(&dir).expect("index");
    if index.len() < 1_000_000 {
        drop(index);
        let started = Instant::now();
        AlertIndex::rebuild(&dir).expect("rebuild");
        println!(
            "indexed 1M alerts in {:.0} s",
            started.elapsed().as_secs_f64()
        );
    }
    dir
}

/// GET `path` with the session cookie; the status and the body's length.
fn get(port: u16, path: &str, cookie: &str) -> (u16, usize) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    )
    .expect("request");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("response");
    let status = std::str::from_utf8(&response[9..12.min(response.len())])
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, response.len())
}

fn post_login(port: u16) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let mut page = Vec::new();
    write!(
        stream,
        "GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .expect("request");
    stream.read_to_end(&mut page).expect("login page");
    let page = String::from_utf8_lossy(&page);
    let token = page
        .split("canhgac_login=")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .expect("login cookie")
        .to_owned();
    let body = format!("csrf={token}&user=bench&password={PASSWORD}&next=%2F");
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        stream,
        "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: canhgac_login={token}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("login");
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).expect("login reply");
    let reply = String::from_utf8_lossy(&reply);
    let session = reply
        .split("canhgac_session=")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .expect("session cookie");
    format!("canhgac_session={session}")
}

const PAGES: [(&str, &str); 7] = [
    ("queue: open alerts", "/alerts"),
    ("queue: all, page 20", "/alerts?status=all&page=20"),
    (
        "queue: high+, 7 days, department",
        "/alerts?status=all&level=high&since=7d&group=so-y-te",
    ),
    ("search: facets, text", "/search?q=%22Failed+password%22"),
    (
        "search: CIDR and time",
        "/search?q=src_ip%3A%22185.220.0.0%2F16%22+AND+ts%3A%5B2026-10-01+TO+2026-10-07%5D",
    ),
    ("api: queue JSON", "/api/alerts?status=all&level=medium"),
    (
        "api: queue JSON with facets",
        "/api/alerts?status=all&level=medium&facets=true",
    ),
];

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ui(c: &mut Criterion) {
    let dir = data_dir();
    UserStore::new(&dir)
        .add("bench", Role::Analyst, PASSWORD, true)
        .expect("user");
    let config = Config {
        data_dir: dir.clone(),
        ui: UiConfig {
            listen: "127.0.0.1:0".to_owned(),
            ..UiConfig::default()
        },
        ..Config::default()
    };
    let listener = canhgac_ui::server::bind(&config.ui).expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let router = canhgac_ui::router(canhgac_ui::UiOptions {
        config,
        rules: Arc::new(|| {
            canhgac_rules::builtin_pack()
                .map(|(set, _)| set)
                .map_err(|e| e.to_string())
        }),
        metrics: Arc::default(),
    })
    .expect("router");
    let (_stop, stop) = tokio::sync::watch::channel(false);
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        runtime
            .block_on(canhgac_ui::server::serve(listener, router, stop))
            .expect("serve");
    });
    let cookie = post_login(port);

    println!("\n| page | bytes | p50 ms | p95 ms | p99 ms |\n|---|---|---|---|---|");
    for (name, path) in PAGES {
        for _ in 0..10 {
            get(port, path, &cookie);
        }
        let mut bytes = 0;
        let mut times: Vec<Duration> = (0..300)
            .map(|_| {
                let t = Instant::now();
                let (status, len) = get(port, path, &cookie);
                let took = t.elapsed();
                assert_eq!(status, 200, "{path}");
                bytes = len;
                took
            })
            .collect();
        times.sort();
        println!(
            "| {name} | {bytes} | {:.1} | {:.1} | {:.1} |",
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.95).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3
        );
    }
    println!();
    let mut group = c.benchmark_group("ui 1M alerts");
    group.sample_size(30);
    for (name, path) in PAGES {
        group.bench_function(name, |b| b.iter(|| get(port, path, &cookie)));
    }
    group.finish();
}

criterion_group!(benches, ui);
criterion_main!(benches);
