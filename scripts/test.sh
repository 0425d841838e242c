#!/usr/bin/env bash
# The whole test suite, from a fresh machine: install what is missing, build, lint, then
# every *.test.js under dist/ (unit, integration and acceptance tests), one file at a
# time because the integration tests share the host's network and container runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run --silent lint
mapfile -t files < <(find dist -name '*.test.js' | sort)
if [[ ${#files[@]} -eq 0 ]]; then
  echo "no test files found under dist/" >&2
  exit 1
fi
exec node --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
