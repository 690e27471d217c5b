#!/usr/bin/env bash
# Report time against event volume: a month of N generated events (sshd/sudo/PAM, FortiGate,
# Cisco ASA, iptables; 15% attacks) is ingested into a fresh data directory, then
# `canhgac report --format json` is timed (best of three). Run it for 10M and 100M events: the
# report reads rollups and alerts, so its time should barely move with volume.
#
#   benches/report-scale.sh [EVENTS...]        (default: 10000000 100000000)
#
# CANHGAC_BIN runs an already built binary instead of building one. Needs about 1 GB of disk
# per 10M events.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${CANHGAC_BIN:-}"
if [ -z "$bin" ]; then
    cargo build --release --quiet
    bin="$PWD/target/release/canhgac"
fi
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000000 100000000)
start=1790812800 # 2026-10-01T00:00:00Z
month=2026-10
for n in "${sizes[@]}"; do
    data="$(mktemp -d)"
    gap=$(echo "31 * 86400 / $n" | bc -l)
    t0=$(date +%s.%N)
    "$bin" generate --kind mixed --lines "$n" --seed 11 --start-secs "$start" --mean-gap-secs "$gap" \
        | "$bin" ingest --data-dir "$data" - >/dev/null
    t1=$(date +%s.%N)
    best=""
    for _ in 1 2 3; do
        a=$(date +%s.%N)
        "$bin" report --data-dir "$data" --month "$month" --format json >"$data/report.json"
        b=$(date +%s.%N)
        s=$(echo "$b - $a" | bc -l)
        if [ -z "$best" ] || [ "$(echo "$s < $best" | bc -l)" = 1 ]; then best=$s; fi
    done
    events=$(grep -m1 '"events":' "$data/report.json" | tr -dc 0-9)
    printf 'events=%-10s ingest %.0f s   report (best of 3) %.2f s   report.continuity.events=%s   store %s\n' \
        "$n" "$(echo "$t1 - $t0" | bc -l)" "$best" "$events" "$(du -sh "$data" | cut -f1)"
    rm -rf "$data"
done
