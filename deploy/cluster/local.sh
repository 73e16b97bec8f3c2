#!/usr/bin/env bash
# A 3-node Portico cluster on this machine: mutual TLS between nodes, data under .portico/cluster.
#   deploy/cluster/local.sh start   # build, create the CA and node certificates once, start n1 (bootstrap), n2, n3 (join)
#   deploy/cluster/local.sh status  # portico cluster status
#   deploy/cluster/local.sh stop    # SIGTERM every node (they drain and exit)
#   deploy/cluster/local.sh clean   # stop and remove .portico/cluster
# Ports: gateways 8081-8083, admin 9081-9083, raft (mTLS) 9091-9093; the demo backends of deploy/examples/api.yaml
# on 9000 (production) and 9001 (sandbox). Logs: .portico/cluster/nN.log
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=.portico/cluster
BIN=bin/portico
NODES=(n1 n2 n3)

port() { echo $(( $1 + ${2#n} )); }  # port BASE nN

start_node() {
	local id=$1; shift
	mkdir -p "$ROOT/$id"
	"$BIN" node run --id "$id" --data-dir "$ROOT/$id" --tls-dir "$ROOT/tls" \
		--gateway-addr "127.0.0.1:$(port 8080 "$id")" --admin-addr "127.0.0.1:$(port 9080 "$id")" \
		--raft-addr "127.0.0.1:$(port 9090 "$id")" "$@" >"$ROOT/$id.out" 2>"$ROOT/$id.log" &
	echo $! >"$ROOT/$id.pid"
}

# start_backend NAME PORT starts a demo backend (deploy/cluster/demobackend) unless one of this script runs already.
start_backend() {
	local pidfile="$ROOT/backend-$1.pid"
	if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then return 0; fi
	bin/demo-backend --addr "127.0.0.1:$2" --name "the $1 backend" >"$ROOT/backend-$1.log" 2>&1 &
	echo $! >"$pidfile"
}

wait_healthy() {
	local url="http://127.0.0.1:$(port 9080 "$1")/healthz"
	for _ in $(seq 1 100); do
		curl -fsS "$url" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "node $1 did not become healthy; see $ROOT/$1.log" >&2
	return 1
}

cmd_start() {
	make -s build
	go build -trimpath -o bin/demo-backend ./deploy/cluster/demobackend
	mkdir -p "$ROOT"
	start_backend production 9000
	start_backend sandbox 9001
	[ -f "$ROOT/tls/ca.crt" ] || "$BIN" tls init --dir "$ROOT/tls" --nodes "$(IFS=,; echo "${NODES[*]}")"
	if [ -f "$ROOT/n1/raft/raft.db" ]; then
		for id in "${NODES[@]}"; do start_node "$id"; done
	else
		start_node n1 --bootstrap
		wait_healthy n1
		for _ in $(seq 1 100); do [ -s "$ROOT/n1/admin.token" ] && break; sleep 0.1; done
		for id in "${NODES[@]:1}"; do
			start_node "$id" --join "http://127.0.0.1:9081" --token-file "$ROOT/n1/admin.token"
		done
	fi
	for id in "${NODES[@]}"; do wait_healthy "$id"; done
	cat <<MSG
Cluster running (n1 n2 n3), with demo backends on 127.0.0.1:9000 (production) and :9001 (sandbox). Use any node:
  export PORTICO_SERVER=http://127.0.0.1:9082 PORTICO_TOKEN=\$(cat $ROOT/n1/admin.token)
  $BIN cluster status
  $BIN deploy -f deploy/examples/api.yaml --wait all
Backup and restore:
  $BIN snapshot save backup.snap && $BIN snapshot restore backup.snap
Stop: deploy/cluster/local.sh stop
MSG
}

cmd_stop() {
	for id in "${NODES[@]}" backend-production backend-sandbox; do
		[ -f "$ROOT/$id.pid" ] || continue
		kill "$(cat "$ROOT/$id.pid")" 2>/dev/null || true
		rm -f "$ROOT/$id.pid"
	done
}

cmd_status() {
	PORTICO_SERVER=http://127.0.0.1:9081 PORTICO_TOKEN=$(cat "$ROOT/n1/admin.token") "$BIN" cluster status
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
clean) cmd_stop; sleep 1; rm -rf "$ROOT" ;;
*) echo "usage: $0 start|status|stop|clean" >&2; exit 2 ;;
esac
