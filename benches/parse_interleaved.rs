//! Parse-to-Arrow against `syslog_loose`, the two alternating round by round on the same lines,
//! each keeping its best round.
//!
//! Criterion (`--bench parse`) measures each function in its own time window. On a shared or
//! virtual machine whose load comes in bursts, a burst then hits one side only, and the ratio
//! between two functions moves by tens of percent from run to run. Here every round runs each
//! contender once for the same short time, and the fastest round of each is compared, so a burst
//! slows a round of both or is dropped. `cargo bench -p canhgac-benches --bench parse_interleaved
//! [ROUNDS]` prints records/s, MB/s and the ratios.

use std::time::{Duration, Instant};

use canhgac_benches::{sample_lines, to_batches, with_syslog_loose};
use canhgac_parsers::{BatchBuilder, ParseContext, SourceType};

/// How long each contender runs in a round.
const ROUND: Duration = Duration::from_millis(100);

/// Seconds per pass over the lines: the mean of as many passes as fit in one round.
fn round(mut pass: impl FnMut()) -> f64 {
    pass();
    let start = Instant::now();
    let mut passes = 0u32;
    while start.elapsed() < ROUND {
        pass();
        passes += 1;
    }
    start.elapsed().as_secs_f64() / f64::from(passes.max(1))
}

fn main() {
    // `cargo bench` passes `--bench`; a plain number is the round count.
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(15);
    let ctx = ParseContext::new(1_795_000_000_000_000);
    let header_ctx = ParseContext {
        source_type: Some(SourceType::Syslog),
        ..ctx.clone()
    };
    let mut builder = BatchBuilder::new();
    let sets = [
        ("rfc3164", sample_lines("linux/auth.log", |_| true)),
        (
            "rfc5424",
            sample_lines("syslog/relay-rfc5424.log", |_| true),
        ),
        (
            "sshd",
            sample_lines("linux/auth.log", |l| l.contains(" sshd[")),
        ),
    ];
    println!("best of {rounds} interleaved rounds; records/s (MB/s)");
    for (name, lines) in &sets {
        let bytes: usize = lines.iter().map(String::len).sum();
        // All columns with the payloads, header columns only, syslog_loose.
        let mut best = [f64::MAX; 3];
        for _ in 0..rounds {
            best[0] = best[0].min(round(|| to_batches(&mut builder, lines, &ctx)));
            best[1] = best[1].min(round(|| to_batches(&mut builder, lines, &header_ctx)));
            best[2] = best[2].min(round(|| with_syslog_loose(lines)));
        }
        let rate = |secs: f64| {
            let records = lines.len() as f64 / secs;
            format!(
                "{:.3} M/s ({:.0} MB/s)",
                records / 1e6,
                bytes as f64 / secs / 1e6
            )
        };
        println!(
            "{name:8} all columns {}  header only {}  syslog_loose {}  ratio all {:.2}x, header only {:.2}x",
            rate(best[0]),
            rate(best[1]),
            rate(best[2]),
            best[2] / best[0],
            best[2] / best[1],
        );
    }
}
