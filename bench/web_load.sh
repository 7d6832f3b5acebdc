#!/usr/bin/env bash
# The web interface under load: COUNT generated dev-family requests (default 40,000, seed 1)
# are ingested into SQLite (or the PostgreSQL named by DATAREQ_DATABASE_URL), then CLERKS
# clerks (default 50, each with a session of their own) browse the exception queue over
# loopback with wrk (Debian's package) for SECONDS (default 30): queue pages in both sort
# orders, filtered by reason, and later pages. Prints wrk's latency distribution (p50 to
# p99), requests per second, and the server's peak RSS.
#
# Usage: bench/web_load.sh [COUNT] [CLERKS] [SECONDS]
# Needs ../shared (the generator), wrk, curl, /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-40000}"
clerks="${2:-50}"
duration="${3:-30}"
source bench/common.sh
corpus 1 "$count"
# The store is kept between runs (target/bench-web/COUNT): ingesting 40,000 takes minutes.
tmp="$PWD/target/bench-web/$count"
mkdir -p "$tmp"
server=""
trap '[[ -n "$server" ]] && pkill -P "$server" 2>/dev/null' EXIT
port=$(free_port)
metrics=$(free_port)
sed -e "s|listen = \"127.0.0.1:8080\"|listen = \"127.0.0.1:$port\"|" \
    -e "s|metrics_listen = \"127.0.0.1:9180\"|metrics_listen = \"127.0.0.1:$metrics\"|" \
    -e "s|login_attempts_per_address = 50|login_attempts_per_address = 1000|" \
    config/datareq.example.toml >"$tmp/datareq.toml"
cd "$tmp"
seconds() { python3 -c 'import time; print(time.monotonic())'; }

password="load test password 1"
if [[ ! -f .ready-$clerks ]]; then
    rm -rf var .ready-*
    t0=$(seconds)
    find "$OLDPWD/$corpus" -name '*.eml' -print0 | xargs -0 "$bin" --config datareq.toml ingest --quiet >/dev/null 2>&1
    t1=$(seconds)
    printf 'messages ingested  %s in %.1f s\n' "$count" "$(python3 -c "print($t1 - $t0)")"
    for i in $(seq 1 "$clerks"); do
        echo "$password" | "$bin" --config datareq.toml users add "clerk$i" --role kela_clerk 2>/dev/null
    done
    touch ".ready-$clerks"
fi
"$bin" --config datareq.toml status | sed -n '1,5p'
/usr/bin/time -f '%M' -o rss "$bin" --config datareq.toml web 2>web.log &
server=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$port/login" && break; sleep 0.1; done
# One session per clerk: sign in through the form as a browser does.
: >sessions
for i in $(seq 1 "$clerks"); do
    jar="jar$i"
    token=$(curl -s -c "$jar" "http://127.0.0.1:$port/login" | grep -o 'name="csrf" value="[0-9a-f]*"' | grep -o '[0-9a-f]\{64\}')
    curl -s -o /dev/null -b "$jar" -c "$jar" --data-urlencode "csrf=$token" \
        --data-urlencode "name=clerk$i" --data-urlencode "password=$password" "http://127.0.0.1:$port/login"
    grep -o '__Host-datareq_session[[:space:]]*[0-9a-f]*' "$jar" | awk '{print $2}' >>sessions
done
[[ $(wc -l <sessions) -eq $clerks ]] || { echo "not every clerk signed in" >&2; exit 1; }
{
    echo 'local sessions = {}'
    while read -r s; do echo "table.insert(sessions, \"$s\")"; done <sessions
    cat <<'LUA'
local paths = {
  "/review", "/review?sort=-due", "/review?page=2", "/review?page=5&sort=-due",
  "/review?reason=on_behalf_of_another_person", "/review?reason=unknown_service_provider",
  "/review?reason=no_request_found&sort=-due", "/review?page=3",
}
local n = 0
request = function()
  n = n + 1
  local s = sessions[(n % #sessions) + 1]
  local p = paths[(n % #paths) + 1]
  return wrk.format("GET", p, { ["Cookie"] = "__Host-datareq_session=" .. s })
end
done = function(summary, latency, requests)
  io.write(string.format("requests           %d in %.1f s = %.0f pages/s, %d errors (non-2xx %d)\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
  for _, p in ipairs({ 50, 90, 99, 99.9 }) do
    io.write(string.format("latency p%-5s     %.1f ms\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("latency max        %.1f ms\n", latency.max / 1000))
end
LUA
} >browse.lua
# Warm the database's page cache as a running service would be.
curl -s -o /dev/null -H "Cookie: __Host-datareq_session=$(head -1 sessions)" "http://127.0.0.1:$port/review"
echo "clerks             $clerks concurrent connections, ${duration} s"
wrk -t2 -c"$clerks" -d"${duration}s" -s browse.lua "http://127.0.0.1:$port" | sed -n '/^requests/,$p'
pkill -TERM -P "$server"
wait "$server" || true
server=""
printf 'server peak RSS    %.1f MB\n' "$(python3 -c "print($(cat rss) / 1024)")"
