#!/usr/bin/env bash
# samples/cluster-localhost.sh: a cluster run on this machine, every node a separate process on 127.0.0.1.
#   samples/cluster-localhost.sh                 1 aggregator + 3 workers, hocon/cluster.conf (synthetic task)
#   samples/cluster-localhost.sh 5 --rounds 400  5 workers; extra flags go to the aggregator node (akkabyz node --help)
#   STANDBY=1 samples/cluster-localhost.sh       also a standby aggregator (kill -9 the active one to see the fail-over)
#   PORT=4060 CONFIG=my.conf samples/...         another seed port / config file
#   INSECURE=1 samples/cluster-localhost.sh      no certificates (any local process could then join and take slots)
# Security: mutual TLS by default. On first use a cluster CA and one certificate per node are made in certs/
# (`akkabyz certs init` / `akkabyz certs issue`; certs/ is git-ignored); every node proves its identity with its own.
# Outputs in runs/cluster-<UTC time>/: summary.json, metrics.csv, chart.png, parameters.bin, cluster.json, logs/ (node
# logs and pids) and checkpoints/ (the run's checkpoint; both aggregators use it, being given the same --out).
# Every node started here is stopped when the script exits (Ctrl-C included).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-3}; shift || true
PORT=${PORT:-4053}
CONFIG=${CONFIG:-hocon/cluster.conf}
DLL=src/AkkaByz.Cli/bin/Release/net10.0/linux-x64/akkabyz.dll

echo "building akkabyz (Release)..." >&2
dotnet build src/AkkaByz.Cli -c Release -nologo -v quiet >/dev/null
RUN=runs/cluster-$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$RUN/logs"
SEEDS=(127.0.0.1:$PORT)
[[ -n ${STANDBY:-} ]] && SEEDS+=(127.0.0.1:$((PORT + 1)))

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

dotnet "$DLL" node --role aggregator --config "$CONFIG" --port "$PORT" --seed-nodes "${SEEDS[@]}" "${AGG_TLS[@]}" \
  --workers "$N" --out "$RUN" "$@" >"$RUN/logs/aggregator.log" 2>&1 &
active=$!; pids+=("$active"); echo "$active" >"$RUN/logs/aggregator.pid"
echo "aggregator: pid $active, $SCHEME://akkabyz@127.0.0.1:$PORT (log $RUN/logs/aggregator.log)${INSECURE:+, INSECURE}"

if [[ -n ${STANDBY:-} ]]; then
  sleep 3 # the first aggregator must be the oldest member: it hosts the run, the standby waits
  dotnet "$DLL" node --role aggregator --config "$CONFIG" --port $((PORT + 1)) --seed-nodes "${SEEDS[@]}" "${STANDBY_TLS[@]}" \
    --workers "$N" --out "$RUN" "$@" >"$RUN/logs/standby.log" 2>&1 &
  standby=$!; pids+=("$standby"); echo "$standby" >"$RUN/logs/standby.pid"
  echo "standby aggregator: pid $standby (log $RUN/logs/standby.log); try: kill -9 \$(cat $RUN/logs/aggregator.pid)"
fi

# Workers need only the seed nodes: slot, shard and run config come from the aggregator.
for i in $(seq 1 "$N"); do
  read -r -a flags <<<"${WORKER_TLS[i]}"
  dotnet "$DLL" node --role worker --config "$CONFIG" --seed-nodes "${SEEDS[@]}" "${flags[@]}" >"$RUN/logs/worker-$i.log" 2>&1 &
  pids+=("$!")
done
echo "$N workers started (logs $RUN/logs/worker-*.log)"
echo

# Follow the aggregator's progress (in the background, so that Ctrl-C / kill reach the trap at once).
follow() { tail -n +1 -f "$1" --pid="$2" | grep --line-buffered -v '^\[WARNING\]\|^\[ERROR\]\|^   at \|^Cause: ' & pids+=("$!"); }
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
