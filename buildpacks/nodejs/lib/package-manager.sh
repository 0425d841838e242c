# npm, yarn (classic) or pnpm: which one, and installing, building and pruning with it (sourced
# by bin/compile; needs BUILD_DIR, NODE_CACHE, REGISTRY, BOOT_NODE and the output helpers).

# Pinned defaults when package.json names no version, with the registry's sha512.
YARN_DEFAULT_VERSION=1.22.22
YARN_DEFAULT_SHA512=a6b2f7906b721bba3d67d4aff083df04dad64c399707841b7acf00f6b133b7ac24255f2652fa22ae3534329dc6180534e98d17432037ff6fd140556e2bb3137e
PNPM_DEFAULT_VERSION=9.15.9
PNPM_DEFAULT_SHA512=68046141893c66fad01c079231128e9afb89ef87e2691d69e4d40eee228988295fd4682181bae55b58418c3a253bde65a505ec7c5f9403ece5cc3cd37dcf2531

# read_package_json: what the compile asks of package.json, read once into PKG (package-json.js
# summary): a node start per question cost ~1 s per build. Fails (exit 1) on an invalid package.json.
read_package_json() {
  local summary
  summary=$(mktemp "$NODE_CACHE/.tmp.XXXXXX")
  "$BOOT_NODE" "$BP_DIR/lib/package-json.js" summary "$BUILD_DIR/package.json" >"$summary" || exit 1
  mapfile -t PKG <"$summary"
  rm -f "$summary"
}

pkg_get() {
  case "$1" in
    engines.node) printf '%s' "${PKG[0]}" ;;
    engines.npm) printf '%s' "${PKG[1]}" ;;
    *) "$BOOT_NODE" "$BP_DIR/lib/package-json.js" get "$BUILD_DIR/package.json" "$1" ;;
  esac
}
pkg_package_manager() { printf '%s' "${PKG[2]}"; }
has_script() {
  case "$1" in
    heroku-postbuild) [[ "${PKG[3]}" == 1 ]] ;;
    build) [[ "${PKG[4]}" == 1 ]] ;;
    *) "$BOOT_NODE" "$BP_DIR/lib/package-json.js" has-script "$BUILD_DIR/package.json" "$1" ;;
  esac
}

# choose_manager: prints "NAME SOURCE" — packageManager in package.json wins (as with corepack),
# else the lockfile: yarn.lock → yarn, pnpm-lock.yaml → pnpm, anything else → npm.
choose_manager() {
  local declared lockfiles=()
  declared=$(pkg_package_manager)
  if [[ -n "$declared" ]]; then
    echo "${declared%% *} packageManager"
    return 0
  fi
  [[ -f "$BUILD_DIR/yarn.lock" ]] && lockfiles+=(yarn.lock)
  [[ -f "$BUILD_DIR/pnpm-lock.yaml" ]] && lockfiles+=(pnpm-lock.yaml)
  [[ -f "$BUILD_DIR/package-lock.json" ]] && lockfiles+=(package-lock.json)
  if ((${#lockfiles[@]} > 1)); then
    warn "Two different lockfiles found: ${lockfiles[*]}" >&2
    fail "Delete the ones of the package managers you do not use, or set packageManager in package.json" >&2
  fi
  case "${lockfiles[0]:-}" in
    yarn.lock) echo "yarn yarn.lock" ;;
    pnpm-lock.yaml) echo "pnpm pnpm-lock.yaml" ;;
    *) echo "npm ${lockfiles[0]:-default}" ;;
  esac
}

# tool_version NAME DEFAULT_VERSION DEFAULT_SHA512: prints "VERSION ALGO HEX" for yarn or pnpm:
# the exact version of packageManager (checked against the registry's integrity, and against
# corepack's +algo.hex when given), else the pinned default.
tool_version() {
  local name=$1 declared dname dversion dalgo dhex info
  declared=$(pkg_package_manager)
  read -r dname dversion dalgo dhex <<<"$declared"
  if [[ "$dname" != "$name" ]]; then
    echo "$2 sha512 $3"
    return 0
  fi
  local cached=$NODE_CACHE/$name/$dversion
  if [[ -f "$cached/package.json" && (-z "$dalgo" || -f "$cached/.paas-sha512") ]]; then
    info="$dversion - -"
  else
    info=$(resolve_package "$name" "$dversion") || return 1
  fi
  # corepack's +sha512.HEX is the tarball's: checked against the registry's, or the cached tarball's.
  if [[ "$dalgo" == sha512 && "${info#* }" != "sha512 $dhex" && "$(cat "$cached/.paas-sha512" 2>/dev/null)" != "$dhex" ]]; then
    fail "packageManager's sha512 for $name@$dversion does not match the package in the registry" >&2
  fi
  echo "$info"
}

# install_dependencies MANAGER: everything in the lockfile, dev dependencies included (a build
# script usually needs them; prune_dev_dependencies drops them afterwards).
install_dependencies() {
  local manager=$1
  case "$manager" in
    npm)
      local command=install
      [[ -f "$BUILD_DIR/package-lock.json" || -f "$BUILD_DIR/npm-shrinkwrap.json" ]] && command=ci
      detail "Running npm $command (NODE_ENV=$NODE_ENV, with devDependencies)"
      run_quiet npm "$command" --include=dev --prefer-offline \
        --no-audit --no-fund --no-update-notifier
      ;;
    yarn)
      detail "Running yarn install --frozen-lockfile (NODE_ENV=$NODE_ENV, with devDependencies)"
      run_quiet yarn install --frozen-lockfile --production=false --non-interactive --no-progress \
        --cache-folder "$NODE_CACHE/yarn-cache" --prefer-offline
      ;;
    pnpm)
      local frozen=--frozen-lockfile
      [[ -f "$BUILD_DIR/pnpm-lock.yaml" ]] || frozen=--no-frozen-lockfile
      detail "Running pnpm install $frozen (NODE_ENV=$NODE_ENV, with devDependencies)"
      run_quiet pnpm install "$frozen" --prod=false --prefer-offline --reporter=append-only
      ;;
  esac
}

# run_build MANAGER: heroku-postbuild if package.json has it, else build (as Heroku does).
run_build() {
  local manager=$1 script
  if has_script heroku-postbuild; then
    script=heroku-postbuild
  elif has_script build; then
    script=build
  else
    detail "No build script in package.json"
    return 0
  fi
  detail "Running $script"
  run_quiet "$manager" run "$script"
}

# prune_dev_dependencies MANAGER: what runs in the app needs no devDependencies. NPM_CONFIG_PRODUCTION
# or YARN_PRODUCTION set to false keeps them, as on Heroku.
prune_dev_dependencies() {
  local manager=$1
  if [[ "${NPM_CONFIG_PRODUCTION:-}" == false || "${YARN_PRODUCTION:-}" == false ]]; then
    detail "Skipping because NPM_CONFIG_PRODUCTION or YARN_PRODUCTION is false"
    return 0
  fi
  # Nothing to remove, and a prune is a second full pass of the package manager (~1 s).
  if [[ "${PKG[5]}" != 1 ]]; then
    detail "No devDependencies in package.json: nothing to prune"
    return 0
  fi
  case "$manager" in
    npm) run_quiet npm prune --omit=dev --no-audit --no-fund --no-update-notifier ;;
    yarn)
      run_quiet yarn install --frozen-lockfile --production=true --ignore-scripts --non-interactive \
        --no-progress --cache-folder "$NODE_CACHE/yarn-cache" --prefer-offline
      ;;
    pnpm) run_quiet pnpm prune --prod --reporter=append-only ;;
  esac
  detail "Pruned devDependencies"
}

# run_quiet CMD...: runs in the app dir with HOME there (as on a dyno: no stray ~/.npmrc of whoever
# runs the build), its output as detail lines; a failure stops the compile naming the command.
run_quiet() {
  (cd "$BUILD_DIR" && HOME="$BUILD_DIR" "$@" 2>&1) | indent || fail "$1 $2 failed"
}
