#!/usr/bin/env bash
# Starts the whole chain on localhost: anteroomd, anteroom-gate, nginx (Debian's) and a demo
# origin, with a room of one slot, and prints the URL once every part answers. Ctrl-C stops
# everything.
#   BUILD_DIR (default build)  PORT (default 8080)  ORIGIN_PORT (default PORT+1)
#   ROOM (default demo)        RUN_DIR (default: a new directory under /tmp)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${BUILD_DIR:-$root/build}"
port="${PORT:-8080}"
room="${ROOM:-demo}"
origin_port="${ORIGIN_PORT:-$((port + 1))}"

nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
[ -x "$nginx_bin" ] || { echo "nginx is not installed (run .ci/install-deps)"; exit 1; }

# Whether something listens on the TCP port (on any address, or answers on loopback).
port_taken() {
  if command -v ss >/dev/null && [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; then return 0; fi
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
for p in "$port:PORT" "$origin_port:ORIGIN_PORT"; do
  if port_taken "${p%%:*}"; then
    echo "Port ${p%%:*} is already in use by another program, so the demo cannot listen on it."
    if [ "${p#*:}" = PORT ]; then
      echo "Choose another port:  PORT=9000 make demo   (the demo origin takes PORT+1)"
    else
      echo "Choose other ports:   PORT=9000 make demo   (or ORIGIN_PORT=... for the origin alone)"
    fi
    exit 1
  fi
done

run_dir="${RUN_DIR:-$(mktemp -d /tmp/anteroom-demo.XXXXXX)}"
mkdir -p "$run_dir"
chmod 755 "$run_dir"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "Stopped. Logs and data were in $run_dir"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

# Fails with the component's log unless `ready` holds within 10 s while it keeps running.
await() {  # await NAME PID READY-COMMAND...
  local name="$1" pid="$2"
  shift 2
  for _ in $(seq 1 100); do
    "$@" && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$name exited during start-up:"
      tail -n 20 "$run_dir/$name.log" "$run_dir/$name-error.log" 2>/dev/null || true
      if grep -qs "Address already in use" "$run_dir/$name.log" "$run_dir/$name-error.log"; then
        echo "A port it needs was taken meanwhile: try another, e.g.  PORT=9000 make demo"
      fi
      exit 1
    fi
    sleep 0.1
  done
  echo "$name did not start within 10 s; see $run_dir/$name.log"
  exit 1
}
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

cat > "$run_dir/rooms.textproto" <<ROOMS
room {
  id: "$room"
  settings {
    max_active_sessions: 1
    # A web page: an idle visitor keeps the slot for a minute; one admitted while their page
    # was closed frees it after 30 s (the page reloads every 2 s near the front, so anyone
    # still there arrives well within that); a closed waiting page loses its place after a
    # minute (it reloads at least every 20 s).
    session_ttl { seconds: 60 }
    arrival_ttl { seconds: 30 }
    place_hold { seconds: 60 }
  }
}
ROOMS
"$build/server/anteroomd" --data_dir="$run_dir/data" --create_data_dir \
  --listen=127.0.0.1:0 --admin_listen=127.0.0.1:0 --metrics_listen=127.0.0.1:0 \
  --rooms="$run_dir/rooms.textproto" --ports_file="$run_dir/anteroomd.ports" \
  >"$run_dir/anteroomd.log" 2>&1 &
pids+=($!)
await anteroomd $! test -s "$run_dir/anteroomd.ports"
gateway="$(sed -n 's/^gateway=//p' "$run_dir/anteroomd.ports")"
admin="$(sed -n 's/^admin=//p' "$run_dir/anteroomd.ports")"

"$build/client/anteroom-gate" --anteroom="$gateway" --room="$room" \
  --site_name="Demo Health Service" --listen=127.0.0.1:0 --metrics_listen=127.0.0.1:0 \
  --ports_file="$run_dir/gate.ports" >"$run_dir/gate.log" 2>&1 &
pids+=($!)
await gate $! test -s "$run_dir/gate.ports"
gate_port="$(sed -n 's/^http=.*://p' "$run_dir/gate.ports")"

mkdir -p "$run_dir/site" && cp -r "$here/demo-site/." "$run_dir/site/" && chmod -R a+rX "$run_dir/site"
sed -e "s|@RUN_DIR@|$run_dir|g" -e "s|@CONF_DIR@|$here|g" -e "s|@SITE_DIR@|$run_dir/site|g" \
  -e "s|@GATE_PORT@|$gate_port|g" -e "s|@ORIGIN_PORT@|$origin_port|g" -e "s|@PORT@|$port|g" \
  -e "s|@ROOM@|$room|g" "$here/demo.conf.in" >"$run_dir/nginx.conf"
if ! "$nginx_bin" -t -q -p "$run_dir" -c "$run_dir/nginx.conf" >"$run_dir/nginx-test.log" 2>&1; then
  echo "nginx refuses the configuration:"
  grep -v 'the "user" directive' "$run_dir/nginx-test.log" || true
  exit 1
fi
"$nginx_bin" -p "$run_dir" -c "$run_dir/nginx.conf" >"$run_dir/nginx.log" 2>&1 &
nginx_pid=$!
pids+=($nginx_pid)
await nginx $nginx_pid answers "$port"
await nginx $nginx_pid answers "$origin_port"

cat <<MSG

  Anteroom demo is running.

    Open  http://127.0.0.1:$port/  in a browser: you get the site (the room has 1 slot).
    Open it again in a private window (or another browser): you wait at position 1.
    Press "I have finished" in the first window: the second one is let in within seconds.

  Room:    $room (1 slot; an idle visitor keeps it 60 s, one who never arrives 30 s)
  Admin:   build/client/anteroomctl --admin=$admin status $room
  Gateway: $gateway   Gate: 127.0.0.1:$gate_port   Origin: 127.0.0.1:$origin_port
  Logs:    $run_dir/*.log

  Ctrl-C to stop.
MSG
wait -n "${pids[@]}" || true
echo "A component exited:"
tail -n 5 "$run_dir"/*.log
exit 1
