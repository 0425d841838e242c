#!/usr/bin/env bash
# One command on a fresh Debian host (as root): install what is missing, build, and
# bring paas up on its embedded defaults (SQLite and a nats-server paas manages).
# Settings come from the environment; see README.md.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/install-deps.sh
exec node bin/paas up "$@"
