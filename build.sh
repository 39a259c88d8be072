#!/usr/bin/env bash
# AkkaByz build entry point. Everything a fresh machine needs happens here (restore, build, test data).
#   ./build.sh train [akkabyz train flags]   the main job: a local training run on the embedded default task
#   ./build.sh test                         the whole test suite (installs Fashion-MNIST and chromium when it can)
#   ./build.sh bench [what] [flags]         benchmarks (aggregators, ...)
#   ./build.sh akkabyz [any akkabyz args]   run the CLI
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

CONFIG=Release
CLI_DLL=src/AkkaByz.Cli/bin/$CONFIG/net10.0/linux-x64/akkabyz.dll

# Restore + build quietly; on failure show the compiler's output.
build() {
  local log; log=$(mktemp)
  echo "build.sh: building AkkaByz ($CONFIG)..." >&2
  if ! dotnet build AkkaByz.sln -c "$CONFIG" -nologo -v quiet "$@" >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"; echo "build.sh: build failed" >&2; exit 1
  fi
  rm -f "$log"
}

# Runs the test assemblies and closes with one summary line ("tests: N passed, N failed, N skipped").
run_tests() {
  local log; log=$(mktemp)
  set +e
  dotnet test AkkaByz.sln -c "$CONFIG" --no-build -nologo "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  set -e
  awk '/(Passed|Failed)!  - Failed:/ {
         for (i = 1; i <= NF; i++) { g = $(i+1); gsub(",", "", g)
           if ($i == "Failed:") f += g; if ($i == "Passed:") p += g; if ($i == "Skipped:") s += g }
         n++ }
       END { if (n == 0) print "tests: no test assembly reported"; else printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
  rm -f "$log"
  return "$rc"
}

# Real data for the tests: Debian's dataset-fashion-mnist (IDX files under /usr/share/datasets/fashion-mnist).
install_test_data() {
  local dir=/usr/share/datasets/fashion-mnist
  if [[ -f $dir/train-images-idx3-ubyte.gz ]]; then return 0; fi
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "build.sh: installing dataset-fashion-mnist (Debian) for the real-data tests" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist) >&2 \
      || echo "build.sh: could not install dataset-fashion-mnist; real-data tests will be skipped" >&2
  else
    echo "build.sh: $dir missing and not root; real-data tests will be skipped (apt-get install dataset-fashion-mnist)" >&2
  fi
}

# A headless browser for the dashboard test: Debian's chromium (the test is skipped without it).
install_test_browser() {
  if command -v chromium >/dev/null; then return 0; fi
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "build.sh: installing chromium (Debian) for the dashboard's headless-browser test" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >&2 \
      || echo "build.sh: could not install chromium; the dashboard's browser test will be skipped" >&2
  else
    echo "build.sh: chromium missing and not root; the dashboard's browser test will be skipped (apt-get install chromium)" >&2
  fi
}

# The usage: the comment block at the top of this file.
usage() { sed -n '2,/^[^#]/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; }

# " (did you mean 'X'?)" for the closest of the commands (edit distance at most 2), or nothing.
did_you_mean() {
  local word=$1; shift
  awk -v w="$word" -v list="$*" 'function d(a, b,   i, j, n, m, p, c, x) {
      n = length(a); m = length(b)
      for (j = 0; j <= m; j++) p[j] = j
      for (i = 1; i <= n; i++) { c[0] = i
        for (j = 1; j <= m; j++) { x = p[j-1] + (substr(a,i,1) != substr(b,j,1))
          if (p[j] + 1 < x) x = p[j] + 1; if (c[j-1] + 1 < x) x = c[j-1] + 1; c[j] = x }
        for (j = 0; j <= m; j++) p[j] = c[j] }
      return p[m] }
    BEGIN { k = split(list, names, " "); best = 99
      for (i = 1; i <= k; i++) { e = d(w, names[i]); if (e < best) { best = e; name = names[i] } }
      if (best <= 2 && best < length(w)) printf " (did you mean %c%s%c?)", 39, name, 39 }'
}

cmd=${1:-help}; shift || true
case "$cmd" in
  train)   build; exec dotnet "$CLI_DLL" train "$@" ;;
  bench)   build; exec dotnet "$CLI_DLL" bench "$@" ;;
  akkabyz) build; exec dotnet "$CLI_DLL" "$@" ;;
  test)
    install_test_data
    install_test_browser
    build
    run_tests "$@" ;;
  help|-h|--help) usage ;;
  *)
    echo "build.sh: unknown command '$cmd'$(did_you_mean "$cmd" train test bench akkabyz)" >&2
    usage >&2; exit 2 ;;
esac
