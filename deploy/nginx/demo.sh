#!/usr/bin/env bash
# Starts the whole chain on localhost: anteroomd, anteroom-gate, nginx (Debian's) and a demo
# origin, with a room of one slot, and prints the URL. Ctrl-C stops everything.
#   BUILD_DIR (default build)  PORT (default 8080)  ROOM (default demo)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${BUILD_DIR:-$root/build}"
port="${PORT:-8080}"
room="${ROOM:-demo}"
origin_port="${ORIGIN_PORT:-$((port + 1))}"
run_dir="$(mktemp -d /tmp/anteroom-demo.XXXXXX)"
chmod 755 "$run_dir"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "Stopped. Logs and data were in $run_dir"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
[ -x "$nginx_bin" ] || { echo "nginx is not installed (run .ci/install-deps)"; exit 1; }

# Waits for "key=" lines in a ports file written by a starting server.
await_ports() {
  for _ in $(seq 1 100); do [ -s "$1" ] && return 0; sleep 0.1; done
  echo "$2 did not start; see $run_dir/$2.log"; exit 1
}

cat > "$run_dir/rooms.textproto" <<ROOMS
room {
  id: "$room"
  settings {
    max_active_sessions: 1
    session_ttl { seconds: 60 }
    place_hold { seconds: 60 }
  }
}
ROOMS
"$build/server/anteroomd" --data_dir="$run_dir/data" --create_data_dir \
  --listen=127.0.0.1:0 --admin_listen=127.0.0.1:0 --metrics_listen=127.0.0.1:0 \
  --rooms="$run_dir/rooms.textproto" --ports_file="$run_dir/anteroomd.ports" \
  >"$run_dir/anteroomd.log" 2>&1 &
pids+=($!)
await_ports "$run_dir/anteroomd.ports" anteroomd
gateway="$(sed -n 's/^gateway=//p' "$run_dir/anteroomd.ports")"
admin="$(sed -n 's/^admin=//p' "$run_dir/anteroomd.ports")"

"$build/client/anteroom-gate" --anteroom="$gateway" --room="$room" \
  --site_name="Demo Health Service" --listen=127.0.0.1:0 --metrics_listen=127.0.0.1:0 \
  --ports_file="$run_dir/gate.ports" >"$run_dir/gate.log" 2>&1 &
pids+=($!)
await_ports "$run_dir/gate.ports" gate
gate_port="$(sed -n 's/^http=.*://p' "$run_dir/gate.ports")"

mkdir -p "$run_dir/site" && cp -r "$here/demo-site/." "$run_dir/site/" && chmod -R a+rX "$run_dir/site"
sed -e "s|@RUN_DIR@|$run_dir|g" -e "s|@CONF_DIR@|$here|g" -e "s|@SITE_DIR@|$run_dir/site|g" \
  -e "s|@GATE_PORT@|$gate_port|g" -e "s|@ORIGIN_PORT@|$origin_port|g" -e "s|@PORT@|$port|g" \
  -e "s|@ROOM@|$room|g" "$here/demo.conf.in" >"$run_dir/nginx.conf"
"$nginx_bin" -t -q -p "$run_dir" -c "$run_dir/nginx.conf" 2>&1 | grep -v 'the "user" directive' || true
"$nginx_bin" -p "$run_dir" -c "$run_dir/nginx.conf" >"$run_dir/nginx.log" 2>&1 &
pids+=($!)

cat <<MSG

  Anteroom demo is running.

    Open  http://127.0.0.1:$port/  in a browser: you get the site (the room has 1 slot).
    Open it again in a private window (or another browser): you wait at position 1.
    Press "I have finished" in the first window: the second one is let in within seconds.

  Room:    $room (1 slot; idle sessions end after 60 s)
  Admin:   build/client/anteroomctl --admin=$admin status $room
  Gateway: $gateway   Gate: 127.0.0.1:$gate_port   Origin: 127.0.0.1:$origin_port
  Logs:    $run_dir/*.log

  Ctrl-C to stop.
MSG
wait -n "${pids[@]}" || true
echo "A component exited:"
tail -n 5 "$run_dir"/*.log
exit 1
