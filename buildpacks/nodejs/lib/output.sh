# Heroku's output grammar for the nodejs buildpack (sourced by bin/compile).

topic() { echo "-----> $*"; }
detail() { echo "       $*"; }
warn() { echo " !     $*"; }

# Prints the error and stops the compile; the runner then rejects the push.
fail() {
  echo " !     $*"
  exit 1
}

# Indents a command's output as detail lines while it streams (blank lines dropped).
indent() { sed -u -e '/^[[:space:]]*$/d' -e 's/^/       /'; }
