#!/usr/bin/env bash
# AkkaByz's aggregation rules beside ByzFL's on the same machine, interleaved (not part of the test suite; see
# bench/peer/README.md): `akkabyz bench aggregators` then bench/peer/byzfl_aggregators.py, ROUNDS times, at
# m = 17, f = 8, d = 10^6 (Bulyan, which needs m ≥ 4f + 3 and which ByzFL does not have, at m = 35, f = 8).
#
#   bench/peer/run-byzfl.sh CHECKOUT [ROUNDS]
#
# CHECKOUT: a checkout of LPD-EPFL/byzfl (never downloaded here). Needs /usr/bin/python3 with torch and scipy
# (Debian: apt-get install python3-torch python3-scipy) and a Release build of akkabyz. Environment: PYTHON, AKKABYZ,
# D (dimension, default 1000000), REPEAT (timed calls per rule, default 3), SMEA_SUBSETS (default 10), OURS (akkabyz
# specs, default all the pairs below), BYZFL_RULES (byzfl_aggregators.py --rules keys, default all), BULYAN (0: skip
# the m = 35 Bulyan run), COMPARE_DIR (akkabyz writes its input and outputs there, --save-outputs, and ByzFL runs on
# those bytes and compares its outputs with them, --compare).
set -u
if [ $# -lt 1 ] || [ ! -f "$1/byzfl/aggregators/aggregators.py" ]; then
  echo "usage: $0 CHECKOUT [ROUNDS]  (CHECKOUT = a checkout of LPD-EPFL/byzfl)" >&2
  exit 2
fi
checkout=$1
rounds=${2:-2}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
python=${PYTHON:-/usr/bin/python3}
akkabyz=${AKKABYZ:-$root/src/AkkaByz.Cli/bin/Release/net10.0/linux-x64/akkabyz.dll}
d=${D:-1000000}
repeat=${REPEAT:-3}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
ours=${OURS:-"meamed,mda,monna,caf,smea,dnc,signguard,cc(tau=10),cc(iters=3,tau=10),clip(c=2,mean),arc(mean),nnm(cwtm),cwtm"}
theirs=${BYZFL_RULES:-"meamed,mda,monna,caf,smea,cc,cc3,clip,arc,nnm,trmean"}
save=(); compare=()
if [ -n "${COMPARE_DIR:-}" ]; then save=(--save-outputs "$COMPARE_DIR"); compare=(--compare "$COMPARE_DIR"); fi

echo "aggregators beside ByzFL: m=17 f=8 d=$d, $rounds rounds interleaved; $(nproc) cores; $(uptime | sed 's/.*load/load/')"
for r in $(seq 1 "$rounds"); do
  echo "== round $r, akkabyz $(date -u +%H:%M:%S) $(uptime | sed 's/.*load/load/')"
  dotnet "$akkabyz" bench aggregators --m 17 --f 8 --d "$d" --repeat "$repeat" --warmup 1 --rules "$ours" "${save[@]}" 2>&1 | grep -E "median" || exit 1
  [ "${BULYAN:-1}" = 0 ] || dotnet "$akkabyz" bench aggregators --m 35 --f 8 --d "$d" --repeat "$repeat" --warmup 1 --rules "bulyan" 2>&1 | grep -E "median" || exit 1
  echo "== round $r, byzfl $(date -u +%H:%M:%S) $(uptime | sed 's/.*load/load/')"
  "$python" "$here/byzfl_aggregators.py" --checkout "$checkout" --m 17 --f 8 --d "$d" --repeat "$repeat" --warmup 1 \
    --smea-subsets "${SMEA_SUBSETS:-10}" --rules "$theirs" "${compare[@]}" || exit 1
done
