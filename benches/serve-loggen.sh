#!/usr/bin/env bash
# End-to-end load test of `canhgac serve` with a real syslog client, against syslog-ng itself.
#
# loggen (Debian's syslog-ng-core) sends three streams over TCP at full speed for DURATION
# seconds each: its own RFC 3164 and RFC 5424 messages, and a realistic mix (`canhgac generate`:
# sshd/sudo/PAM over RFC 3164, FortiGate, Cisco ASA and iptables, 15% attack traffic, replayed
# in a loop) that makes the rules work. Each goes first to syslog-ng writing a plain file (the
# baseline), then to canhgac serve (receive, parse, WAL, detection, Parquet) without rules and
# with the rule pack. For each run it prints what loggen sent, what the receiver stored, and
# messages per second.
#
#   benches/serve-loggen.sh [DURATION_SECONDS] [EXTRA_RULES_DIR]
#
# EXTRA_RULES_DIR (e.g. ../shared/corpora/sigma/rules_selected/rules, SigmaHQ's Linux, network
# and identity rules) is loaded in addition to the pack. CANHGAC_BIN runs an already built binary
# instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."

duration="${1:-30}"
extra_rules="${2:-}"
if ! command -v loggen >/dev/null || ! command -v syslog-ng >/dev/null; then
    echo "installing syslog-ng-core (loggen)" >&2
    apt-get install -y syslog-ng-core >/dev/null 2>&1 || {
        apt-get update >/dev/null && apt-get install -y syslog-ng-core >/dev/null
    }
fi
bin="${CANHGAC_BIN:-}"
if [ -z "$bin" ]; then
    cargo build --release --quiet
    bin="$PWD/target/release/canhgac"
fi
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
port=15514
metrics=19514

mix="$work/mix.log"
"$bin" generate --kind mixed --lines 200000 --seed 7 --out "$mix"

# loggen prints its totals on stderr: "average rate = R msg/sec, count=N, time=T, ..."
loggen_run() { # stream port
    local flags
    case "$1" in
        rfc3164) flags="--size 300" ;;
        rfc5424) flags="-P --size 300" ;;
        mixed) flags="--read-file $mix --loop-reading --dont-parse" ;;
    esac
    # shellcheck disable=SC2086
    loggen $flags --inet --stream --rate 10000000 --interval "$duration" 127.0.0.1 "$2" 2>&1 \
        | grep -o 'count=[0-9]*' | tail -1 | cut -d= -f2
}

baseline() { # stream
    local conf="$work/syslog-ng.conf" out="$work/syslog-ng.out"
    rm -f "$out"
    cat >"$conf" <<EOF
@version: current
options { flush_lines(1000); log_fifo_size(1000000); };
source s_net { network(ip(127.0.0.1) port($port) transport("tcp") flags(syslog-protocol) max-connections(10) log-iw-size(100000)); };
destination d_file { file("$out" template("\${MSG}\n")); };
log { source(s_net); destination(d_file); };
EOF
    # RFC 3164 needs the BSD parser, not syslog-protocol.
    if [ "$1" != rfc5424 ]; then sed -i 's/ flags(syslog-protocol)//' "$conf"; fi
    syslog-ng -F -f "$conf" -R "$work/syslog-ng.persist" -p "$work/syslog-ng.pid" -c "$work/syslog-ng.ctl" &
    local pid=$!
    sleep 2
    local start end sent got
    start=$(date +%s.%N)
    sent=$(loggen_run "$1" "$port")
    # Wait until the file stops growing.
    local last=-1
    got=$(wc -l <"$out" 2>/dev/null || echo 0)
    while [ "$got" != "$last" ]; do last=$got; sleep 1; got=$(wc -l <"$out" 2>/dev/null || echo 0); done
    end=$(date +%s.%N)
    kill "$pid"; wait "$pid" 2>/dev/null || true
    report "syslog-ng -> file" "$1" "$sent" "$got" "$start" "$end"
}

canhgac() { # stream detection(true|false)
    local data="$work/data-$RANDOM"
    local rules="[]"
    if [ -n "$extra_rules" ]; then rules="[\"$extra_rules\"]"; fi
    cat >"$work/canhgac.toml" <<EOF
data_dir = "$data"
[detection]
enabled = $2
rules = $rules
[metrics]
listen = "127.0.0.1:$metrics"
[[source]]
name = "loggen"
kind = "tcp"
listen = "127.0.0.1:$port"
EOF
    "$bin" serve --config "$work/canhgac.toml" 2>"$work/serve.log" &
    local pid=$!
    until curl -sf "http://127.0.0.1:$metrics/healthz" >/dev/null 2>&1; do sleep 0.2; done
    local start end sent got last=-1
    start=$(date +%s.%N)
    sent=$(loggen_run "$1" "$port")
    got=$(accepted)
    while [ "$got" != "$last" ]; do last=$got; sleep 1; got=$(accepted); done
    end=$(date +%s.%N)
    local stored dropped
    dropped=$(curl -s "http://127.0.0.1:$metrics/metrics" | awk '/^canhgac_source_dropped_total/ {s+=$2} END {print s+0}')
    local alerts
    alerts=$(curl -s "http://127.0.0.1:$metrics/metrics" | awk '/^canhgac_alerts_total/ {s+=$2} END {print s+0}')
    kill -TERM "$pid"; wait "$pid" || true
    stored=$("$bin" sql --data-dir "$data" --format csv "SELECT count(*) AS n FROM events" | tail -1)
    report "canhgac serve (rules: $2)" "$1" "$sent" "$stored" "$start" "$end"
    echo "    accepted=$got dropped=$dropped alerts=$alerts $(grep -o 'rules=[0-9]* .*failed=[0-9]*' "$work/serve.log" | head -1)"
    rm -rf "$data"
}

accepted() {
    curl -s "http://127.0.0.1:$metrics/metrics" | awk '/^canhgac_pipeline_accepted_total/ {print $2}'
}

report() { # who label sent got start end
    local secs rate
    secs=$(echo "$6 - $5" | bc -l)
    rate=$(echo "$4 / $secs" | bc -l)
    printf '%-32s %-9s sent=%-9s stored=%-9s %s  %.0f msg/s over %.1f s (until the last was stored)\n' \
        "$1" "$2" "$3" "$4" "$([ "$3" = "$4" ] && echo OK || echo MISMATCH)" "$rate" "$secs"
}

for stream in rfc3164 rfc5424 mixed; do
    baseline "$stream"
    canhgac "$stream" false
    canhgac "$stream" true
done
