#!/usr/bin/env bash
# Installs what paas needs on a Debian host and is missing, then builds paas.
# Idempotent: a second run installs nothing and only rebuilds.
set -euo pipefail
cd "$(dirname "$0")/.."

# docker-registry, apache2-utils (htpasswd) and openssl: the tests' real external registry
# with basic and token auth (test/acceptance/registry-external.test.ts). systemd: the
# production nodes run paas under it, and its systemd-analyze checks the units
# (daemon/systemd-units.test.ts).
packages=(runc crun iproute2 iptables git nats-server debootstrap tar curl ca-certificates attr skopeo umoci docker-registry apache2-utils openssl bzip2 xz-utils zstd gcc libc6-dev conmon util-linux tini systemd)
# The router benchmark's load generator and baseline (`npm run bench` passes --bench): an
# operator's host does not get an nginx it never asked for.
if [[ ${1:-} == --bench ]]; then packages+=(wrk nginx-light); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "paas needs these Debian packages: ${missing[*]}. Run this as root (sudo) to install them." >&2
    exit 1
  fi
  echo "-----> Installing ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  # nginx and wrk are only the router benchmark's baseline and load (bench/router.ts): no nginx service.
  if [[ " ${missing[*]} " == *" nginx-light "* ]] && command -v systemctl >/dev/null; then systemctl disable --now nginx >/dev/null 2>&1 || true; fi
fi

# npm ci only when the lockfile changed since the last install.
stamp=node_modules/.paas-lock-sha
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "-----> Installing npm packages"
  npm ci --no-audit --no-fund
  echo "$want" > "$stamp"
fi
echo "-----> Building paas"
rm -rf dist
npm run --silent build
