#!/usr/bin/env bash
# samples/cluster-localhost.sh: a cluster run on this machine, every node a separate process on 127.0.0.1.
#   samples/cluster-localhost.sh                 1 aggregator + 3 workers, hocon/cluster.conf (synthetic task)
#   samples/cluster-localhost.sh 5 --rounds 400  5 workers; extra flags go to the aggregator node (akkabyz node --help)
#   STANDBY=1 samples/cluster-localhost.sh       also a standby aggregator (kill -9 the active one to see the fail-over)
#   PORT=8660 CONFIG=my.conf samples/...         other management ports (PORT, PORT+1 for the standby) / config file
#   INSECURE=1 samples/cluster-localhost.sh      no certificates (any local process could then join and take slots)
# Discovery: no seed nodes. Every node finds the cluster through Akka.Management's cluster bootstrap over config
# discovery: the contact points are the aggregators' management endpoints (127.0.0.1:PORT, and PORT+1 with STANDBY);
# the aggregator forms the cluster, the others join what it reports (docs/cluster.md, Discovery).
# Security: mutual TLS by default. On first use a cluster CA and one certificate per node are made in certs/
# (`akkabyz certs init` / `akkabyz certs issue`; certs/ is git-ignored); every node proves its identity with its own.
# Outputs in runs/cluster-<UTC time>/: summary.json, metrics.csv, chart.png, parameters.bin, cluster.json, logs/ (node
# logs and pids) and checkpoints.db (the run's checkpoint, sqlite; both aggregators use it, being given the same --out).
# Every node started here is stopped when the script exits (Ctrl-C included).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-3}; shift || true
PORT=${PORT:-8558}
CONFIG=${CONFIG:-hocon/cluster.conf}
DLL=src/AkkaByz.Cli/bin/Release/net10.0/linux-x64/akkabyz.dll

echo "building akkabyz (Release)..." >&2
dotnet build src/AkkaByz.Cli -c Release -nologo -v quiet >/dev/null
RUN=runs/cluster-$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$RUN/logs"
CONTACTS=127.0.0.1:$PORT
[[ -n ${STANDBY:-} ]] && CONTACTS+=,127.0.0.1:$((PORT + 1))
DISCOVERY=(--discovery config --contact "$CONTACTS")

# tls ROLE NAME: the node flags for its certificate (made on first use), or nothing with INSECURE=1.
CERTS=${CERTS:-certs}
SCHEME=akka.ssl.tcp
if [[ -n ${INSECURE:-} ]]; then SCHEME=akka.tcp; fi
tls() {
  [[ -n ${INSECURE:-} ]] && return 0
  if [[ ! -f $CERTS/ca.crt ]]; then dotnet "$DLL" certs init --out "$CERTS" --cluster-name localhost >/dev/null; echo "made a cluster CA in $CERTS/" >&2; fi
  if [[ ! -f $CERTS/$2.pfx ]]; then dotnet "$DLL" certs issue --ca "$CERTS" --role "$1" --name "$2" --out "$CERTS" >/dev/null; fi
  echo --ca "$CERTS/ca.crt" --cert "$CERTS/$2.pfx"
}

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# The aggregator owns the run's configuration: its --config file plus the flags below; workers receive it.
# Certificates first, in this shell (never inside the background jobs: they would race to make the CA).
read -r -a AGG_TLS <<<"$(tls aggregator aggregator-1)"
read -r -a STANDBY_TLS <<<"$([[ -n ${STANDBY:-} ]] && tls aggregator aggregator-2)"
WORKER_TLS=()
for i in $(seq 1 "$N"); do WORKER_TLS[i]="$(tls worker "worker-$i")"; done

dotnet "$DLL" node --role aggregator --config "$CONFIG" --management-port "$PORT" "${DISCOVERY[@]}" "${AGG_TLS[@]}" \
  --workers "$N" --out "$RUN" "$@" >"$RUN/logs/aggregator.log" 2>&1 &
active=$!; pids+=("$active"); echo "$active" >"$RUN/logs/aggregator.pid"
echo "aggregator: pid $active, management http://127.0.0.1:$PORT/ready (log $RUN/logs/aggregator.log; $SCHEME)${INSECURE:+, INSECURE}"

if [[ -n ${STANDBY:-} ]]; then
  # The first aggregator must be the oldest member (it hosts the run, the standby waits): start the standby once
  # the first has formed the cluster and runs the coordinator (its "waiting for" line; /ready says the same).
  for _ in $(seq 1 120); do grep -q "waiting for" "$RUN/logs/aggregator.log" 2>/dev/null && break; kill -0 "$active" 2>/dev/null || break; sleep 0.5; done
  dotnet "$DLL" node --role aggregator --config "$CONFIG" --management-port $((PORT + 1)) "${DISCOVERY[@]}" "${STANDBY_TLS[@]}" \
    --workers "$N" --out "$RUN" "$@" >"$RUN/logs/standby.log" 2>&1 &
  standby=$!; pids+=("$standby"); echo "$standby" >"$RUN/logs/standby.pid"
  echo "standby aggregator: pid $standby (log $RUN/logs/standby.log); try: kill -9 \$(cat $RUN/logs/aggregator.pid)"
fi

# Workers need only the contact points: slot, shard and run config come from the aggregator. Their management
# endpoints take free ports (they are no contact points); each worker prints its own in its log.
for i in $(seq 1 "$N"); do
  read -r -a flags <<<"${WORKER_TLS[i]}"
  dotnet "$DLL" node --role worker --config "$CONFIG" --management-port 0 "${DISCOVERY[@]}" "${flags[@]}" >"$RUN/logs/worker-$i.log" 2>&1 &
  pids+=("$!")
done
echo "$N workers started (logs $RUN/logs/worker-*.log)"
echo

# Follow the aggregator's progress without the bootstrap's probes of a contact point not started yet (the logs keep
# them; Akka's warnings show as "[time] warning SOURCE: ..." lines; --raw-log gives Akka's own format) (in the background, so that Ctrl-C / kill reach the trap at once).
follow() { tail -n +1 -f "$1" --pid="$2" | grep --line-buffered -v 'contactPointProbe\|^\[WARNING\]\|^\[ERROR\]\|^   at \|^Cause: \|^ ---> ' & pids+=("$!"); }
follow "$RUN/logs/aggregator.log" "$active"
rc=0; wait "$active" || rc=$?
if [[ -n ${STANDBY:-} ]] && kill -0 "$standby" 2>/dev/null; then
  echo; echo "---- the active aggregator exited ($rc); the standby continues (it says what it does below) ----"
  # The standby's own lines: the active one unreachable, its downing (~akka.cluster.split-brain-resolver.stable-after),
  # the take-over, the restored checkpoint round, then the run's progress.
  follow "$RUN/logs/standby.log" "$standby"
  rc=0; wait "$standby" || rc=$?
fi
sleep 1
echo
if [[ -f $RUN/summary.json ]]; then
  echo "summary ($RUN/summary.json):"
  grep -E '"(completed|rounds_run|final_test_accuracy|rounds_per_second|updates_accepted|rejected_total)"' "$RUN/summary.json"
  grep -E '"(aggregator_node|restored_from_round|mode|refused_total)"' "$RUN/cluster.json"
fi
exit "$rc"
