#!/usr/bin/env bash
# The fair peer benchmark (not part of the test suite; see bench/peer/README.md):
# the authors' loop (dahan198/synchronous-fault-tolerant-ml) in its best configuration (float32, 2 torch threads)
# beside `akkabyz train`, on the same data and setup (Fashion-MNIST, 17 workers of which 8 ALIE, ctma(cwtm),
# µ²-SGD, the paper's CNN, batch 4, clipping 2.0, lr 0.1), one after the other; prints rounds/s and test accuracy.
#
#   bench/peer/run-reference.sh CHECKOUT [ROUNDS] [DTYPE] [TORCH_THREADS]
#
# CHECKOUT: a checkout of the authors' repository (this script never downloads it: CI has no network).
# Needs python3 with torch (Debian: apt-get install python3-torch python3-scipy) and a Release build of akkabyz
# (./build.sh build, or dotnet build src/AkkaByz.Cli -c Release). Environment: PYTHON (default /usr/bin/python3),
# DATA (default /usr/share/datasets/fashion-mnist), AKKABYZ (the akkabyz.dll to run).
set -u
if [ $# -lt 1 ] || [ ! -d "$1/mlopt" ]; then
  echo "usage: $0 CHECKOUT [ROUNDS] [DTYPE] [TORCH_THREADS]  (CHECKOUT = a checkout of dahan198/synchronous-fault-tolerant-ml)" >&2
  exit 2
fi
checkout=$1
rounds=${2:-234}
dtype=${3:-float32}
threads=${4:-2}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
python=${PYTHON:-/usr/bin/python3}
data=${DATA:-/usr/share/datasets/fashion-mnist}
akkabyz=${AKKABYZ:-$root/src/AkkaByz.Cli/bin/Release/net10.0/linux-x64/akkabyz.dll}
# Idle OpenMP threads sleep instead of spinning, as akkabyz sets for itself (spinning is far slower on a shared machine).
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}

echo "peer benchmark: $rounds rounds, Fashion-MNIST, 17 workers (8 alie), ctma(cwtm), mu2, cnn, batch 4; $(nproc) cores; $(uptime | sed 's/.*load/load/')"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && "$python" "$here/run_reference.py" --checkout "$checkout" --data "$data" --rounds "$rounds" --dtype "$dtype" --threads "$threads") || exit 1

dotnet "$akkabyz" train --data "idx:$data" --model cnn-mnist --workers 17 --byzantine 8 --attack alie \
  --aggregator 'ctma(cwtm)' --optimizer mu2 --lr 0.1 --clip 2.0 --batch 4 --rounds "$rounds" --eval-every 0 \
  --no-chart --out "$work/akkabyz" > "$work/train.log" 2>&1 || { cat "$work/train.log" >&2; exit 1; }
"$python" - "$work/akkabyz/summary.json" "$rounds" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"akkabyz rounds={sys.argv[2]} seconds={s['training_seconds']:.2f} rounds_per_second={s['rounds_per_second']:.2f} "
      f"test_accuracy={s['final_test_accuracy']:.4f} dtype=float32 torch_threads=1-per-worker")
PY
