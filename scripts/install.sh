#!/usr/bin/env bash
# Installs paas on a Debian node as systemd services (docs/operations.md, "Install"):
#   sudo scripts/install.sh control|router|host [...]
# It installs the Debian packages paas needs and builds paas (scripts/install-deps.sh)
# in a fresh copy of this checkout, puts that copy at /opt/paas (the previous one stays
# at /opt/paas.previous for a rollback), links /usr/local/bin/paas, installs and enables
# the units named (paas-<role>.service) and writes /etc/paas/paas.env from the example
# if there is none. It starts nothing: edit /etc/paas/paas.env, then
# `systemctl start paas-<role>` (a host: `paas host:join` writes the file and starts it). Run again with a newer checkout to upgrade (then restart
# the units one node at a time, docs/operations.md, "Upgrade").
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
prefix=${PAAS_PREFIX:-/opt/paas}
units=()
for role in "$@"; do
  case $role in
    control | router | host) units+=("paas-$role.service") ;;
    *) echo "unknown unit '$role': use control, router or host (see packaging/systemd/)" >&2; exit 2 ;;
  esac
done
if ((${#units[@]} == 0)); then
  echo "usage: sudo $0 control|router|host [...]   (the paas units this node runs)" >&2
  exit 2
fi
if [[ $(id -u) -ne 0 ]]; then echo "run this as root (sudo $0 $*)" >&2; exit 1; fi
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if ((node_major < 20)); then
  echo "paas needs Node.js 20 or newer as /usr/bin/node (found: $(node --version 2>/dev/null || echo none))." >&2
  echo "Install it from nodejs.org or NodeSource, then run this again." >&2
  exit 1
fi

echo "-----> Copying paas to $prefix.new"
rm -rf "$prefix.new"
mkdir -p "$prefix.new"
tar -C "$src" --exclude=./node_modules --exclude=./dist --exclude=./.git -cf - . | tar -C "$prefix.new" -xf -
echo "-----> Installing packages and building"
bash "$prefix.new/scripts/install-deps.sh"
# Debian's docker-registry package starts a registry on port 5000, paas's API port;
# paas runs its own registry (the registry role).
if systemctl is-enabled docker-registry >/dev/null 2>&1; then systemctl disable --now docker-registry; fi
if [[ -d $prefix ]]; then
  rm -rf "$prefix.previous"
  mv "$prefix" "$prefix.previous"
fi
mv "$prefix.new" "$prefix"
ln -sf "$prefix/bin/paas" /usr/local/bin/paas

echo "-----> Installing ${units[*]}"
install -d -m 0700 /etc/paas /var/lib/paas
if [[ ! -f /etc/paas/paas.env ]]; then
  install -m 0600 "$prefix/packaging/paas.env.example" /etc/paas/paas.env
  echo "       wrote /etc/paas/paas.env from the example: edit it before starting"
fi
for unit in "${units[@]}"; do install -m 0644 "$prefix/packaging/systemd/$unit" "/etc/systemd/system/$unit"; done
systemctl daemon-reload
systemctl enable "${units[@]}"
if [[ " ${units[*]} " == *" paas-host.service "* ]]; then
  echo "Done. Next, join the cluster with the command \`paas hosts:join-token\` prints (it writes /etc/paas/paas.env and starts paas-host):"
  echo "  sudo paas host:join <nats-url> --token <token>"
  echo "Or by hand: edit /etc/paas/paas.env, then: systemctl start ${units[*]}"
else
  echo "Done. Next: edit /etc/paas/paas.env, then: systemctl start ${units[*]}"
fi
echo "(an upgrade: systemctl restart ${units[*]}, one node at a time)"
