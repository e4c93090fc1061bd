#!/usr/bin/env bash
# The front door, measured from outside: what a visitor's request costs through Debian's nginx
# (one worker) with deploy/nginx/'s snippets, anteroom-gate and anteroomd, side by side with
# nginx alone and with the do-it-yourself peer (nginx's Lua module asking Redis on every
# request), in the same run, with wrk (one thread) and a 2 KB page from a second nginx server
# block.
#
#   tests/bench/front.sh [OUT_DIR]     (make bench-front; SECONDS_PER_ROW=10 by default)
#   PROFILE_OUT=gate.perf tests/bench/front.sh   (only the admitted row at 64 connections,
#                                                  the gate recorded by perf; PROFILE_ROW=waiting
#                                                  for the waiting row)
#
# Rows, each at 16, 64 and 1,024 connections:
#   nginx alone      the page through an unprotected location (the baseline)
#   admitted         200 admitted visitors, a cookie each, in turn (the gate's session cache)
#   waiting          200 waiting visitors' refreshes (the page rendered by the gate)
#   Lua + Redis      the peer: admitted (the session key exists and is renewed: PEXPIRE)
#                    and waiting (ZRANK, a page with the position)
#   stub             the same snippets with a second nginx in the gate's place, answering
#                    from memory: 204 (admitted), or 401 and the page the gate rendered
#                    (waiting). What nginx's auth_request costs by itself: no gate behind
#                    these snippets can be faster.
# and the gate's threads and RSS with 10,000 connections open to it.
#
# Writes OUT_DIR/front.md (the table) and OUT_DIR/front.tsv; stops everything it started.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${BUILD_DIR:-$root/build}"
out="${1:-$build/bench}"
seconds="${SECONDS_PER_ROW:-10}"
visitors="${VISITORS:-200}"
mkdir -p "$out"
for tool in nginx wrk redis-server redis-cli curl python3; do
  command -v "$tool" >/dev/null || { echo "front.sh: $tool is missing (make deps)"; exit 1; }
done
lua_module=/usr/lib/nginx/modules/ngx_http_lua_module.so
ndk_module=/usr/lib/nginx/modules/ndk_http_module.so
[ -f "$lua_module" ] || { echo "front.sh: libnginx-mod-http-lua is missing (make deps)"; exit 1; }

run="$(mktemp -d /tmp/anteroom-front.XXXXXX)"
chmod 755 "$run"
pids=()
stop_all() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$run"
}
trap stop_all EXIT
ulimit -n 65536 2>/dev/null || true

# Waits up to 10 s for a command to succeed.
await() {
  local what="$1"
  shift
  for _ in $(seq 1 200); do
    "$@" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "front.sh: $what did not start; logs in $run"
  exit 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# anteroomd: "bench" admits everyone (admitted rows), "line" queues everyone (waiting rows).
cat >"$run/rooms.textproto" <<'ROOMS'
room { id: "bench" settings { max_active_sessions: 100000 session_ttl { seconds: 600 } } }
room { id: "line" settings { max_active_sessions: 1 queue_all: true place_hold { seconds: 600 } } }
ROOMS
"$build/server/anteroomd" --data_dir="$run/data" --create_data_dir --listen=127.0.0.1:0 \
  --admin_listen=127.0.0.1:0 --metrics_listen=127.0.0.1:0 --rooms="$run/rooms.textproto" \
  --ports_file="$run/anteroomd.ports" >"$run/anteroomd.log" 2>&1 &
pids+=($!)
await anteroomd test -s "$run/anteroomd.ports"
gateway="$(sed -n 's/^gateway=//p' "$run/anteroomd.ports")"

start_gate() {  # start_gate NAME EXTRA-FLAGS...
  local name="$1"
  shift
  "$build/client/anteroom-gate" --anteroom="$gateway" --room= --listen=127.0.0.1:0 \
    --metrics_listen= --ports_file="$run/$name.ports" "$@" >"$run/$name.log" 2>&1 &
  pids+=($!)
  echo $! >"$run/$name.pid"
  await "$name" test -s "$run/$name.ports"
}
start_gate gate ${GATE_FLAGS:-}
gate_port="$(sed -n 's/^http=.*://p' "$run/gate.ports")"

redis_port="$(free_port)"
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
  --daemonize no >"$run/redis.log" 2>&1 &
pids+=($!)
await redis redis-cli -p "$redis_port" ping

mkdir -p "$run/site"
python3 -c 'print("<!doctype html><title>Site</title><p>" + "x" * 2000 + "</p>")' >"$run/site/index.html"
chmod -R a+rX "$run/site"
origin_port="$(free_port)"
admit_port="$(free_port)"
wait_port="$(free_port)"
peer_port="$(free_port)"
admit_stub_port="$(free_port)"
wait_stub_port="$(free_port)"
stub_port="$(free_port)"

# The peer's check, as a site would write it: one round trip to Redis per request (RESP over
# ngx.socket.tcp, pooled), PEXPIRE renewing an admitted visitor's session key and ZRANK
# giving a waiting one's place.
cat >"$run/peer.lua" <<LUA
local function redis(commands)
  local sock = ngx.socket.tcp()
  sock:settimeouts(1000, 1000, 1000)
  local ok, err = sock:connect("127.0.0.1", $redis_port)
  if not ok then return nil, err end
  local request = {}
  for _, c in ipairs(commands) do
    request[#request + 1] = "*" .. #c .. "\r\n"
    for _, a in ipairs(c) do request[#request + 1] = "\$" .. #a .. "\r\n" .. a .. "\r\n" end
  end
  sock:send(table.concat(request))
  local answers = {}
  for i = 1, #commands do
    local line = sock:receive("*l")
    if not line then return nil, "closed" end
    local kind = line:sub(1, 1)
    if kind == ":" then answers[i] = tonumber(line:sub(2))
    elseif kind == "\$" then
      local n = tonumber(line:sub(2))
      answers[i] = n >= 0 and sock:receive(n + 2):sub(1, n) or false
    elseif kind == "*" and line == "*-1" then answers[i] = false
    elseif kind == "-" then return nil, line
    else answers[i] = line:sub(2) end
  end
  sock:setkeepalive(10000, 64)
  return answers
end
local visitor = ngx.var.cookie_peer or ""
local r, err = redis({{"PEXPIRE", "session:" .. visitor, "600000"}, {"ZRANK", "line", visitor}})
if not r then ngx.log(ngx.ERR, err); return ngx.exit(500) end
if r[1] == 1 then return end
ngx.status = 503
ngx.header["Content-Type"] = "text/html; charset=utf-8"
ngx.header["Cache-Control"] = "no-store"
if r[2] then
  ngx.say("<!doctype html><title>Waiting</title><meta http-equiv=refresh content=20>",
          "<p>You are number ", r[2] + 1, " in line.</p>")
else
  ngx.say("<!doctype html><title>Waiting</title><p>Not in line.</p>")
end
return ngx.exit(503)
LUA

server_block() {  # server_block PORT ROOM GATE-UPSTREAM
  cat <<BLOCK
    server {
        listen 127.0.0.1:$1 backlog=4096 reuseport;
        set \$anteroom_room "$2";
        include $run/gate-$3.conf;
        location / {
            include $root/deploy/nginx/anteroom-protect.conf;
            proxy_pass http://origin;
        }
        location /plain/ { proxy_pass http://origin/; }
    }
BLOCK
}
# deploy/nginx/anteroom-gate.conf as shipped, pointed at each gate's upstream.
sed "s|http://anteroom_gate|http://gate|g" "$root/deploy/nginx/anteroom-gate.conf" >"$run/gate-gate.conf"
sed "s|http://anteroom_gate|http://stub|g" "$root/deploy/nginx/anteroom-gate.conf" >"$run/gate-stub.conf"
# One nginx worker and what every instance here shares, up to the inside of http { }.
nginx_head() {  # nginx_head NAME
  cat <<HEAD
worker_processes 1;
worker_rlimit_nofile 65536;
pid $run/$1.pid;
error_log $run/$1-error.log warn;
daemon off;
events { worker_connections 30000; }
http {
    access_log off;
    client_body_temp_path $run/$1-client_body;
    proxy_temp_path $run/$1-proxy;
    fastcgi_temp_path $run/$1-fastcgi;
    uwsgi_temp_path $run/$1-uwsgi;
    scgi_temp_path $run/$1-scgi;
HEAD
}
cat >"$run/nginx.conf" <<NGINX
load_module $ndk_module;
load_module $lua_module;
$(nginx_head nginx)
    default_type text/html;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    upstream gate { server 127.0.0.1:$gate_port; keepalive 64; keepalive_timeout 4s; }
    upstream origin { server 127.0.0.1:$origin_port; keepalive 64; }
    upstream stub { server 127.0.0.1:$stub_port; keepalive 64; keepalive_timeout 4s; }
$(server_block "$admit_port" bench gate)
$(server_block "$wait_port" line gate)
$(server_block "$admit_stub_port" bench stub)
$(server_block "$wait_stub_port" line stub)
    server {
        listen 127.0.0.1:$peer_port backlog=4096;
        location / {
            access_by_lua_file $run/peer.lua;
            proxy_pass http://origin;
        }
    }
    server {
        listen 127.0.0.1:$origin_port backlog=4096;
        root $run/site;
        location / { try_files /index.html =404; }
    }
}
NGINX
nginx -c "$run/nginx.conf" -p "$run" >"$run/nginx.log" 2>&1 &
pids+=($!)
await nginx curl -sf -o /dev/null "http://127.0.0.1:$admit_port/plain/"

# Visitors: each from its own address (127.0.N.M), through nginx as a browser arrives: the
# cookie check, then the page that places them; their cookie from then on.
arrive() {  # arrive PORT ROOM I -> the cookie
  local from="127.0.$((10 + $3 / 250)).$(($3 % 250 + 1))" id placed
  id="$(curl -s --interface "$from" -o /dev/null -D - -H 'Sec-Fetch-Dest: document' \
    "http://127.0.0.1:$1/" | sed -n "s/^[Ss]et-[Cc]ookie: \(anteroom_$2=[^;]*\).*/\1/p")"
  placed="$(curl -s --interface "$from" -o /dev/null -D - -H 'Sec-Fetch-Dest: document' \
    -H "Cookie: $id" "http://127.0.0.1:$1/" |
    sed -n "s/^[Ss]et-[Cc]ookie: \(anteroom_$2=[^;]*\).*/\1/p")"
  echo "${placed:-$id}"
}
: >"$run/admitted.txt"
: >"$run/waiting.txt"
: >"$run/peer-admitted.txt"
: >"$run/peer-waiting.txt"
for i in $(seq 0 $((visitors - 1))); do
  arrive "$admit_port" bench "$i" >>"$run/admitted.txt"
  arrive "$wait_port" line "$i" >>"$run/waiting.txt"
  echo "peer=s$i" >>"$run/peer-admitted.txt"
  echo "peer=w$i" >>"$run/peer-waiting.txt"
done
grep -c "anteroom_bench=s\." "$run/admitted.txt" | grep -qx "$visitors" ||
  { echo "front.sh: not every visitor was admitted: $(head -3 "$run/admitted.txt")"; exit 1; }
grep -c "anteroom_line=t\." "$run/waiting.txt" | grep -qx "$visitors" ||
  { echo "front.sh: not every visitor is waiting: $(head -3 "$run/waiting.txt")"; exit 1; }

# The stub in the gate's place: a second nginx (one worker, a process of its own as the gate
# is) answering /check for room "bench" with 204 and for "line" with 401 and a hand-off, and
# /wait with the page the gate renders for a waiting visitor, byte for byte.
mkdir -p "$run/stub"
wait_status="$(curl -s -o "$run/stub/waiting.html" -w '%{http_code}' -H 'Sec-Fetch-Dest: document' \
  -H "Cookie: $(head -1 "$run/waiting.txt")" "http://127.0.0.1:$wait_port/")"
chmod -R a+rX "$run/stub"
cat >"$run/stub.conf" <<NGINX
$(nginx_head stub)
    default_type text/html;
    server {
        listen 127.0.0.1:$stub_port backlog=4096;
        root $run/stub;
        location = /check {
            if (\$http_x_anteroom_room = line) {
                add_header X-Anteroom-Handoff "w.1.stub" always;
                return 401;
            }
            return 204;
        }
        location = /wait {
            error_page 599 =$wait_status /waiting.html;
            return 599;
        }
        location = /waiting.html {
            internal;
            add_header Cache-Control "no-store" always;
        }
    }
}
NGINX
nginx -c "$run/stub.conf" -p "$run" >"$run/stub.log" 2>&1 &
pids+=($!)
await stub curl -sf -o /dev/null -H "X-Anteroom-Room: bench" "http://127.0.0.1:$stub_port/check"
for i in $(seq 0 $((visitors - 1))); do
  echo "SET session:s$i 1 PX 600000"
  echo "ZADD line $i w$i"
done | redis-cli -p "$redis_port" >/dev/null

# wrk: each request carries the next visitor's cookie; done() prints one JSON line.
cat >"$run/visitors.lua" <<'LUA'
local cookies = {}
local i = 0
init = function(args)
  if args[1] then for line in io.lines(args[1]) do cookies[#cookies + 1] = line end end
end
request = function()
  local headers = { ["Sec-Fetch-Dest"] = "document" }
  if #cookies > 0 then
    i = i % #cookies + 1
    headers["Cookie"] = cookies[i]
  end
  return wrk.format("GET", nil, headers)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"p50_us":%d,"p99_us":%d,"max_us":%d,"non2xx":%d,' ..
    '"errors":%d}\n', summary.requests, summary.duration / 1e6, latency:percentile(50),
    latency:percentile(99), latency.max, e.status, e.connect + e.read + e.write + e.timeout))
end
LUA

tsv="$out/front.tsv"
echo -e "row\tconnections\trps\tp50_ms\tp99_ms\tmax_ms\tnon2xx\terrors" >"$tsv"
measure() {  # measure ROW CONNECTIONS URL [COOKIES-FILE]
  local line
  line="$(wrk -t1 -c"$2" -d"${seconds}s" --timeout 5s -s "$run/visitors.lua" "$3" -- ${4:-} |
    grep '^{')"
  python3 - "$1" "$2" "$line" >>"$tsv" <<'PY'
import json, sys
row, conns, r = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
print("\t".join([row, conns, "%.0f" % (r["requests"] / r["seconds"]), "%.2f" % (r["p50_us"] / 1000),
                 "%.2f" % (r["p99_us"] / 1000), "%.1f" % (r["max_us"] / 1000),
                 str(r["non2xx"]), str(r["errors"])]))
PY
  tail -1 "$tsv"
}
if [ -n "${PROFILE_OUT:-}" ]; then
  # Where the gate's time goes at 64 connections: perf's call graph.
  perf record -F 999 -g -o "$PROFILE_OUT" -p "$(cat "$run/gate.pid")" -- sleep "$seconds" \
    >/dev/null 2>&1 &
  if [ "${PROFILE_ROW:-admitted}" = waiting ]; then
    measure "waiting (profiled)" 64 "http://127.0.0.1:$wait_port/" "$run/waiting.txt"
  else
    measure "admitted (profiled)" 64 "http://127.0.0.1:$admit_port/" "$run/admitted.txt"
  fi
  wait $!
  echo "profile: perf report -i $PROFILE_OUT"
  exit 0
fi
for c in 16 64 1024; do
  measure "nginx alone" "$c" "http://127.0.0.1:$admit_port/plain/"
  measure "admitted" "$c" "http://127.0.0.1:$admit_port/" "$run/admitted.txt"
  measure "Lua + Redis, admitted" "$c" "http://127.0.0.1:$peer_port/" "$run/peer-admitted.txt"
  measure "waiting" "$c" "http://127.0.0.1:$wait_port/" "$run/waiting.txt"
  measure "Lua + Redis, waiting" "$c" "http://127.0.0.1:$peer_port/" "$run/peer-waiting.txt"
  measure "stub, admitted" "$c" "http://127.0.0.1:$admit_stub_port/" "$run/admitted.txt"
  measure "stub, waiting" "$c" "http://127.0.0.1:$wait_stub_port/" "$run/waiting.txt"
done

# 10,000 connections open to the gate at once (most idle), 16 of them busy with /check.
gate_pid="$(cat "$run/gate.pid")"
python3 - "$gate_port" "$gate_pid" "$run/admitted.txt" "$out/front-10k.txt" <<'PY'
import socket, sys, time, subprocess
port, pid, cookies_file, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
def status():
    fields = dict(l.split(":", 1) for l in open(f"/proc/{pid}/status"))
    return int(fields["Threads"]), int(fields["VmRSS"].split()[0]) // 1024
before = status()
socks = []
for i in range(10000):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.connect(("127.0.0.1", port))
    socks.append(s)
time.sleep(1)  # let the gate accept them all (a measurement, not a wait for a state)
opened = status()
open(out, "w").write(
    f"threads {before[0]} -> {opened[0]}, RSS {before[1]} MiB -> {opened[1]} MiB "
    f"with {len(socks)} connections open\n")
for s in socks: s.close()
PY
cat "$out/front-10k.txt"

python3 - "$tsv" "$out/front.md" "$out/front-10k.txt" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
base = {r["connections"]: float(r["rps"]) for r in rows if r["row"] == "nginx alone"}
base_p99 = {r["connections"]: float(r["p99_ms"]) for r in rows if r["row"] == "nginx alone"}
with open(sys.argv[2], "w") as f:
    f.write("| path | connections | req/s | × nginx alone | p50 ms | p99 ms (nginx alone) | max ms | non-2xx | errors |\n")
    f.write("|---|---|---|---|---|---|---|---|---|\n")
    for r in rows:
        c = r["connections"]
        f.write(f"| {r['row']} | {c} | {r['rps']} | {float(r['rps']) / base[c]:.2f} | {r['p50_ms']} | "
                f"{r['p99_ms']} ({base_p99[c]:.2f}) | {r['max_ms']} | {r['non2xx']} | {r['errors']} |\n")
    f.write("\nThe gate with 10,000 connections open: " + open(sys.argv[3]).read())
print(open(sys.argv[2]).read())
PY
