#!/usr/bin/env bash
# The whole test suite, from a fresh machine: install what is missing, build, lint, then
# every *.test.js under dist/ (unit, integration and acceptance tests), one file at a
# time because the integration tests share the host's network and container runtime.
#
# Each file runs under a wall-clock limit (PAAS_TEST_FILE_TIMEOUT, default 20 minutes):
# a file that hangs (a child that never exits, a handle left open) fails on its own and
# the run goes on, instead of the whole suite running into CI's limit with no verdict.
# The summary at the end names every failed file and how long each file took.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh || exit 1
npm run --silent lint || exit 1
mapfile -t files < <(find dist -name '*.test.js' | sort)
if [[ ${#files[@]} -eq 0 ]]; then
  echo "no test files found under dist/" >&2
  exit 1
fi
if [[ $# -gt 0 ]]; then files=("$@"); fi

limit=${PAAS_TEST_FILE_TIMEOUT:-20m}
failed=()
timings=()
started=$SECONDS
for f in "${files[@]}"; do
  t0=$SECONDS
  # --test-force-exit: a file whose tests are done exits even if a stray handle remains.
  timeout --kill-after=30s "$limit" node --test --test-force-exit --test-reporter=spec "$f"
  rc=$?
  took=$((SECONDS - t0))
  timings+=("$(printf '%5ss  %s' "$took" "$f")")
  if [[ $rc -eq 124 || $rc -eq 137 ]]; then
    echo "✖ $f did not finish within $limit" >&2
    failed+=("$f (timed out after ${took}s)")
  elif [[ $rc -ne 0 ]]; then
    failed+=("$f")
  fi
done

echo
echo "# time per file"
printf '%s\n' "${timings[@]}" | sort -rn | head -20
echo "# ${#files[@]} files in $((SECONDS - started))s, ${#failed[@]} failed"
if [[ ${#failed[@]} -gt 0 ]]; then
  printf '✖ %s\n' "${failed[@]}"
  exit 1
fi
