# Config vars for the compile (sourced by bin/compile).

# Exports the config vars from ENV_DIR that steer node and npm. Like Heroku, a buildpack
# exports only what it chooses; each value is read verbatim with $(<file) and never
# evaluated, and the name must match the allow-list, so a config var can neither run code
# nor replace PATH.
export_env_dir() {
  local env_dir=$1 file name
  [[ -d "$env_dir" ]] || return 0
  for file in "$env_dir"/*; do
    [[ -f "$file" ]] || continue
    name=${file##*/}
    if [[ "$name" =~ ^(NODE_ENV|NODE_OPTIONS|NODE_VERBOSE|NODE_MODULES_CACHE|NODE_VERSION_LOOKUP_MINUTES|NPM_CONFIG_[A-Za-z0-9_]+|npm_config_[A-Za-z0-9_]+)$ ]]; then
      export "$name=$(<"$file")"
    fi
  done
}
