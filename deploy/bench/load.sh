#!/usr/bin/env bash
# load.sh — Portico's load benchmark against real processes on loopback, with baselines measured in the same run.
#
# Targets, all in front of the same backend (deploy/bench/backend):
#   direct          wrk -> backend
#   nginx           wrk -> nginx (keep-alive upstream pool) -> backend
#   goproxy         wrk -> bare Go httputil.ReverseProxy (deploy/bench/goproxy) -> backend
#   portico-none    wrk -> portico node, API with security [none] -> backend
#   portico-apikey  wrk -> portico node, API with the api-key wasm policy -> backend
#   portico-oauth2  wrk -> portico node, API with the oauth2 wasm policy (ES256 JWT access token) -> backend
# and, after the rounds, the node's OAuth2 token endpoint (client_credentials grant) on its own.
# Layout: wrk on CPU 0, backend and gateways on CPU 1 (taskset). Rounds are interleaved with the order rotated each
# round; the summary gives medians of requests/s, p50/p99 latency and gateway CPU microseconds per request, and ratios
# between targets of the same run. Also measured: node start-up to first served request, and idle node RSS.
#
# Environment: BENCH_DURATION (s per run, default 10), BENCH_ROUNDS (default 5), BENCH_CONNS (default 50),
# BENCH_OUT (results folder, default bench-out/<time>). Installs wrk and nginx from Debian's packages when missing.
# Only loopback addresses are used; every wrk run is bounded by timeout.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DURATION=${BENCH_DURATION:-10}
ROUNDS=${BENCH_ROUNDS:-5}
CONNS=${BENCH_CONNS:-50}
OUT=${BENCH_OUT:-$ROOT/bench-out/$(date -u +%Y%m%dT%H%M%SZ)}
P_BACKEND=18080 P_NGINX=18081 P_GOPROXY=18082 P_GW=18083 P_ADMIN=18084 P_RAFT=18085
LOAD=(taskset -c 0) SUT=(taskset -c 1)

die() { echo "load.sh: $*" >&2; exit 2; }

need_tools() {
  local missing=()
  for t in wrk nginx; do command -v "$t" >/dev/null || missing+=("$t"); done
  [[ ${#missing[@]} -eq 0 ]] && return
  [[ $(id -u) -eq 0 ]] || die "missing ${missing[*]}: apt-get install -y ${missing[*]}"
  echo "installing ${missing[*]} from Debian's packages" >&2
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

PIDS_ALL=()
cleanup() { for p in "${PIDS_ALL[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_http() { # url [header] — poll until 2xx, at most 30 s
  local i
  for ((i = 0; i < 600; i++)); do
    if curl -fsS -o /dev/null ${2:+-H "$2"} "$1" 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  die "$1 did not answer within 30s"
}

start_nginx() {
  mkdir -p "$OUT/nginx/logs"
  cat >"$OUT/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $OUT/nginx/nginx.pid;
error_log $OUT/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $OUT/nginx/tmp_body; proxy_temp_path $OUT/nginx/tmp_proxy;
  fastcgi_temp_path $OUT/nginx/tmp_fcgi; uwsgi_temp_path $OUT/nginx/tmp_uwsgi; scgi_temp_path $OUT/nginx/tmp_scgi;
  keepalive_requests 1000000; keepalive_timeout 75s;
  upstream backend { server 127.0.0.1:$P_BACKEND; keepalive 256; keepalive_requests 1000000; }
  server { listen 127.0.0.1:$P_NGINX;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; } }
}
EOF
  "${SUT[@]}" nginx -p "$OUT/nginx" -c "$OUT/nginx/nginx.conf" -g 'daemon off;' >"$OUT/nginx/logs/stderr.log" 2>&1 &
  NGINX_PID=$!; PIDS_ALL+=("$NGINX_PID")
}

start_portico() {
  "${SUT[@]}" "$ROOT/bin/portico" node run --id bench --data-dir "$OUT/node" --gateway-addr 127.0.0.1:$P_GW \
    --admin-addr 127.0.0.1:$P_ADMIN --raft-addr 127.0.0.1:$P_RAFT --tls-dir "$OUT/tls" "$@" >>"$OUT/node.log" 2>&1 &
  PORTICO_PID=$!; PIDS_ALL+=("$PORTICO_PID")
}

provision() {
  local cli=("$ROOT/bin/portico" --server http://127.0.0.1:$P_ADMIN --token "$(cat "$OUT/node/admin.token")")
  for sec in none api-key oauth2; do
    cat >"$OUT/api-$sec.yaml" <<EOF
name: bench-$sec
version: "1.0"
context: /bench-$sec
lifecycle: Published
security: [$sec]
endpoints:
  production: [http://127.0.0.1:$P_BACKEND]
operations:
  - method: GET
    path: /hello
EOF
    "${cli[@]}" deploy -f "$OUT/api-$sec.yaml" >/dev/null
  done
  "${cli[@]}" app create bench >/dev/null
  KEY=$("${cli[@]}" -o json key create --app bench --api bench-api-key | sed -n 's/.*"key": *"\([^"]*\)".*/\1/p')
  [[ -n $KEY ]] || die "could not create an API key"
  "${cli[@]}" sub create --app bench --api bench-oauth2 --major 1 --plan Unlimited >/dev/null
  local cred
  cred=$("${cli[@]}" -o json app credentials bench --env production)
  CLIENT_ID=$(sed -n 's/.*"clientId": *"\([^"]*\)".*/\1/p' <<<"$cred")
  CLIENT_SECRET=$(sed -n 's/.*"clientSecret": *"\([^"]*\)".*/\1/p' <<<"$cred")
  [[ -n $CLIENT_ID && -n $CLIENT_SECRET ]] || die "could not create client credentials"
}

# access_token asks the node for a client_credentials access token (valid 900 s: longer than a run).
access_token() {
  local i tok
  for i in $(seq 1 50); do
    tok=$(curl -fsS -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials \
      "http://127.0.0.1:$P_GW/oauth2/token" 2>/dev/null | sed -n 's/.*"access_token": *"\([^"]*\)".*/\1/p')
    [[ -n $tok ]] && { echo "$tok"; return; }
    sleep 0.1
  done
  die "could not get an access token"
}

# token_endpoint measures the OAuth2 token endpoint alone: client_credentials grants, each signing a new ES256 JWT.
token_endpoint() {
  local basic c0 c1 reqs
  basic=$(printf '%s:%s' "$CLIENT_ID" "$CLIENT_SECRET" | base64 -w0)
  printf 'wrk.method = "POST"\nwrk.body = "grant_type=client_credentials"\n' >"$OUT/token.lua"
  printf 'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\nwrk.headers["Authorization"] = "Basic %s"\n' \
    "$basic" >>"$OUT/token.lua"
  c0=$(cpu_ticks "$PORTICO_PID")
  timeout $((DURATION + 20)) "${LOAD[@]}" wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s "$OUT/token.lua" \
    "http://127.0.0.1:$P_GW/oauth2/token" >"$OUT/raw/token.txt" 2>&1 || echo "warning: wrk token exited non-zero" >&2
  c1=$(cpu_ticks "$PORTICO_PID")
  reqs=$(awk '/requests in/{print $1}' "$OUT/raw/token.txt")
  awk -v d=$((c1 - c0)) -v t="$(getconf CLK_TCK)" -v q="${reqs:-0}" -v dur="$DURATION" '
    /^Requests\/sec:/ { rps = $2 } $1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 } /Non-2xx/ { bad = $NF }
    END { printf "token endpoint (client_credentials, one run of %ss): %s req/s, p50 %s, p99 %s, %.1f us CPU/token, non-2xx %d\n",
      dur, rps, p50, p99, (q > 0 ? d / t * 1e6 / q : -1), bad + 0 }' "$OUT/raw/token.txt" | tee "$OUT/token.txt"
}

cpu_ticks() { local t=0 p; local -a f; for p in "$@"; do [[ -r /proc/$p/stat ]] || continue
  read -r -a f <<<"$(sed 's/^.*) //' "/proc/$p/stat")"; t=$((t + f[11] + f[12])); done; echo "$t"; }
to_us() { awk -v v="$1" 'BEGIN{ if (v ~ /us$/) {sub(/us$/,"",v); print v+0} else if (v ~ /ms$/) {sub(/ms$/,"",v); print v*1000}
  else if (v ~ /s$/) {sub(/s$/,"",v); print v*1000000} else print -1 }'; }

run_round() { # name url pids header
  local n=$1 url=$2 pids=$3 hdr=$4 f="$OUT/raw/$5-$1.txt" c0 c1 reqs
  c0=$(cpu_ticks $pids)
  timeout $((DURATION + 20)) "${LOAD[@]}" wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency --timeout 5s \
    ${hdr:+-H "$hdr"} "$url" >"$f" 2>&1 || echo "warning: wrk $n exited non-zero" >&2
  c1=$(cpu_ticks $pids)
  reqs=$(awk '/requests in/{print $1}' "$f")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$(awk '/^Requests\/sec:/{print $2}' "$f")" \
    "$(to_us "$(awk '$1=="50%"{print $2}' "$f")")" "$(to_us "$(awk '$1=="99%"{print $2}' "$f")")" \
    "$(awk -v d=$((c1 - c0)) -v t="$(getconf CLK_TCK)" -v q="${reqs:-0}" 'BEGIN{ if (q > 0) printf "%.1f", d/t*1e6/q; else print "NA" }')" \
    "$(awk '/Non-2xx/{s+=$NF} /Socket errors/{gsub(",","");s+=$4+$6+$8+$10} END{print s+0}' "$f")" "$5" | tee -a "$OUT/results.tsv" >&2
}

summary() {
  awk -F'\t' '
  function med(n,   i, j, t, k, a) { k = cnt[n]; for (i = 1; i <= k; i++) a[i] = V[n, i]
    for (i = 2; i <= k; i++) { t = a[i]; j = i - 1; while (j >= 1 && a[j] > t) { a[j+1] = a[j]; j-- } a[j+1] = t }
    return (k % 2) ? a[(k+1)/2] : (a[k/2] + a[k/2+1]) / 2 }
  function median_of(col, n,   i) { cnt[n] = 0; for (i = 1; i <= rows; i++) if (name[i] == n) { cnt[n]++; V[n, cnt[n]] = val[i, col] } return med(n) }
  function paired(a, b,   r, k, i, j, t, x) { k = 0
    for (r in rr) if ((a, r) in R && (b, r) in R && R[b, r] > 0) x[++k] = R[a, r] / R[b, r]
    for (i = 2; i <= k; i++) { t = x[i]; j = i - 1; while (j >= 1 && x[j] > t) { x[j+1] = x[j]; j-- } x[j+1] = t }
    return k == 0 ? 0 : (k % 2) ? x[(k+1)/2] : (x[k/2] + x[k/2+1]) / 2 }
  { rows++; name[rows] = $1; for (c = 2; c <= 6; c++) val[rows, c] = $c; seen[$1] = 1; R[$1, $7] = $2; rr[$7] = 1 }
  END {
    split("direct nginx goproxy portico-none portico-apikey portico-oauth2", T, " ")
    printf "| target | median req/s | p50 us | p99 us | gateway CPU us/req | errors |\n|---|---|---|---|---|---|\n"
    for (i = 1; i in T; i++) { n = T[i]; if (!(n in seen)) continue
      rps[n] = median_of(2, n); printf "| %s | %.0f | %.0f | %.0f | %.1f | %d |\n", n, rps[n], median_of(3, n), median_of(4, n), median_of(5, n), median_of(6, n) }
    printf "\nratios of median req/s (same run):\n"
    printf "  nginx / direct            %.2f\n", rps["nginx"] / rps["direct"]
    printf "  goproxy / nginx           %.2f\n", rps["goproxy"] / rps["nginx"]
    printf "  portico-none / goproxy    %.2f   (target >= 1.2)\n", rps["portico-none"] / rps["goproxy"]
    printf "  portico-none / nginx      %.2f\n", rps["portico-none"] / rps["nginx"]
    printf "  portico-apikey / none     %.2f   (target >= 0.85)\n", rps["portico-apikey"] / rps["portico-none"]
    printf "  portico-oauth2 / none     %.2f\n", rps["portico-oauth2"] / rps["portico-none"]
    printf "median of per-round ratios (each round runs every target back to back):\n"
    printf "  portico-none / goproxy    %.2f\n", paired("portico-none", "goproxy")
    printf "  portico-none / nginx      %.2f\n", paired("portico-none", "nginx")
    printf "  portico-apikey / none     %.2f\n", paired("portico-apikey", "portico-none")
    printf "  portico-oauth2 / none     %.2f\n", paired("portico-oauth2", "portico-none")
  }' "$OUT/results.tsv"
}

main() {
  need_tools
  mkdir -p "$OUT/raw" "$OUT/bin"
  [[ -x $ROOT/bin/portico ]] || die "bin/portico missing: run make build"
  (cd "$ROOT" && go build -o "$OUT/bin/backend" ./deploy/bench/backend && go build -o "$OUT/bin/goproxy" ./deploy/bench/goproxy)
  for p in $P_BACKEND $P_NGINX $P_GOPROXY $P_GW $P_ADMIN $P_RAFT; do
    if (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then die "port $p is in use"; fi
  done
  "${SUT[@]}" "$OUT/bin/backend" -addr 127.0.0.1:$P_BACKEND & BACKEND_PID=$!; PIDS_ALL+=("$BACKEND_PID")
  "${SUT[@]}" "$OUT/bin/goproxy" -addr 127.0.0.1:$P_GOPROXY -upstream http://127.0.0.1:$P_BACKEND & GOPROXY_PID=$!; PIDS_ALL+=("$GOPROXY_PID")
  start_nginx
  "$ROOT/bin/portico" tls init --dir "$OUT/tls" --nodes bench >/dev/null
  start_portico --bootstrap
  wait_http http://127.0.0.1:$P_ADMIN/healthz
  provision
  kill -TERM "$PORTICO_PID"; wait "$PORTICO_PID" || true
  local t0 t1
  t0=$(date +%s%N); start_portico; wait_http http://127.0.0.1:$P_GW/bench-none/v1/hello; t1=$(date +%s%N)
  STARTUP_MS=$(( (t1 - t0) / 1000000 ))
  sleep 2
  IDLE_RSS=$(awk '/VmRSS/{print $2" "$3}' /proc/$PORTICO_PID/status)
  wait_http http://127.0.0.1:$P_BACKEND/ ; wait_http http://127.0.0.1:$P_NGINX/ ; wait_http http://127.0.0.1:$P_GOPROXY/
  wait_http http://127.0.0.1:$P_GW/bench-api-key/v1/hello "api-key: $KEY"
  TOKEN=$(access_token)
  wait_http http://127.0.0.1:$P_GW/bench-oauth2/v1/hello "Authorization: Bearer $TOKEN"
  local nginx_pids="$NGINX_PID $(pgrep -P "$NGINX_PID" | tr '\n' ' ')"
  local -a names=(direct nginx goproxy portico-none portico-apikey portico-oauth2)
  declare -A url=([direct]=http://127.0.0.1:$P_BACKEND/bench/hello [nginx]=http://127.0.0.1:$P_NGINX/bench/hello
    [goproxy]=http://127.0.0.1:$P_GOPROXY/bench/hello [portico-none]=http://127.0.0.1:$P_GW/bench-none/v1/hello
    [portico-apikey]=http://127.0.0.1:$P_GW/bench-api-key/v1/hello [portico-oauth2]=http://127.0.0.1:$P_GW/bench-oauth2/v1/hello)
  declare -A pids=([direct]=$BACKEND_PID [nginx]=$nginx_pids [goproxy]=$GOPROXY_PID [portico-none]=$PORTICO_PID [portico-apikey]=$PORTICO_PID [portico-oauth2]=$PORTICO_PID)
  declare -A hdr=([portico-apikey]="api-key: $KEY" [portico-oauth2]="Authorization: Bearer $TOKEN")
  {
    echo "# load.sh $(date -u +%FT%TZ); $(nproc) CPUs; $(go version | cut -d' ' -f3); $(nginx -v 2>&1)"
    echo "# wrk -t2 -c$CONNS -d${DURATION}s, $ROUNDS interleaved rounds; wrk on CPU 0, servers on CPU 1"
    echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  } | tee "$OUT/header.txt"
  for n in "${names[@]}"; do timeout 30 "${LOAD[@]}" wrk -t2 -c"$CONNS" -d2s ${hdr[$n]:+-H "${hdr[$n]}"} "${url[$n]}" >/dev/null 2>&1 || true; done
  : >"$OUT/results.tsv"
  local r i k=${#names[@]}
  for ((r = 1; r <= ROUNDS; r++)); do
    for ((i = 0; i < k; i++)); do
      n=${names[$(( (i + r - 1) % k ))]}
      run_round "$n" "${url[$n]}" "${pids[$n]}" "${hdr[$n]:-}" "r$r"
    done
  done
  token_endpoint
  { summary; echo; cat "$OUT/token.txt"; echo; echo "node start-up to first served request: ${STARTUP_MS} ms (restart with one API deployed)"
    echo "idle node RSS: $IDLE_RSS"; } | tee "$OUT/summary.txt"
}
main "$@"
