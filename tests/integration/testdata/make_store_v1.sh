#!/usr/bin/env bash
# Writes store-v1/ (and store-v1.expected): a data directory as anteroomd wrote it before the
# room and the manager were split apart (format version 1, commit d91711e), for
# compat_test.cc. Kept to show how the fixture was made; rerunning it with a later build
# would no longer test what the fixture is for.
#   BUILD_DIR (default build): where anteroomd and anteroomctl are.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${BUILD_DIR:-$here/../../../build}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$build/server/anteroomd" --data_dir="$work/data" --create_data_dir --listen=127.0.0.1:0 \
  --admin_listen=127.0.0.1:0 --metrics_listen=127.0.0.1:0 --ports_file="$work/ports" \
  2>"$work/log" &
pid=$!
for _ in $(seq 1 100); do [ -s "$work/ports" ] && break; sleep 0.1; done
ctl() {
  "$build/client/anteroomctl" --server="$(sed -n 's/^gateway=//p' "$work/ports")" \
    --admin="$(sed -n 's/^admin=//p' "$work/ports")" "$@" 2>&1
}
field() { sed -n "s/.*\"$1\": \"\([^\"]*\)\".*/\1/p" | head -n 1; }
out="$here/store-v1.expected"
: >"$out"

# clinic: two slots, a queue, a revoked session, a visitor who left.
ctl create-room clinic --max_active_sessions=2 --session_ttl=10m --settings='{"admissions_per_minute":120,"arrival_ttl":"120s","place_hold":"300s","max_queue_length":1000}' >/dev/null
for v in a1 a2 q1 q2 q3 q4 q5; do ctl admit clinic "$v" >"$work/$v.json"; done
ctl heartbeat "$(field session <"$work/a1.json")" >/dev/null
ctl leave "$(field ticket <"$work/q2.json")" >/dev/null
ctl revoke "$(field session <"$work/a2.json")" >/dev/null        # q1 is admitted in its place
for _ in $(seq 1 50); do  # admitted at the next tick with a rate token
  ctl poll "$(field ticket <"$work/q1.json")" >"$work/q1-admitted.json"
  grep -q ADMITTED "$work/q1-admitted.json" && break
  sleep 0.1
done
{
  echo "session clinic a1 $(field session <"$work/a1.json") ADMITTED"
  echo "session clinic q1 $(field session <"$work/q1-admitted.json") ADMITTED"
  echo "session clinic a2 $(field session <"$work/a2.json") EXPIRED"
  echo "ticket clinic q2 $(field ticket <"$work/q2.json") EXPIRED"
  echo "ticket clinic q3 $(field ticket <"$work/q3.json") 1"
  echo "ticket clinic q4 $(field ticket <"$work/q4.json") 2"
  echo "ticket clinic q5 $(field ticket <"$work/q5.json") 3"
} >>"$out"

# launch: a RANDOM room with fixed sessions and a pre-queue open until 2099.
ctl create-room launch --max_active_sessions=5 --session_ttl=30m --settings='{"session_renewal":false,"queueing_method":"RANDOM"}' >/dev/null
ctl create-event launch --prequeue_start=+0s --start=2099-01-01T12:00:00Z --end=2099-01-01T18:00:00Z --overrides='{"max_active_sessions":500}' >/dev/null
for v in p1 p2 p3; do ctl admit launch "$v" >"$work/$v.json"; done
for v in p1 p2 p3; do echo "ticket launch $v $(field ticket <"$work/$v.json") PRE_QUEUED" >>"$out"; done

kill -TERM "$pid"
wait "$pid"
rm -rf "$here/store-v1"
mkdir -p "$here/store-v1"
cp -a "$work/data/." "$here/store-v1/"
rm -f "$here/store-v1"/LOG* "$here/store-v1/LOCK"
echo "wrote $here/store-v1 and $out"
