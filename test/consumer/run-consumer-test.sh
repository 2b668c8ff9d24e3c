#!/usr/bin/env bash
# Consumer test: installs the packed packages with npm into a fresh app outside the workspace, on
# one OpenTelemetry JS line, with the Node on PATH, and runs test/consumer/app in it.
#   bash test/consumer/run-consumer-test.sh 2   # @opentelemetry/sdk-trace-base 2.x, API 1.9
#   bash test/consumer/run-consumer-test.sh 3   # @opentelemetry/sdk-trace 3.x, API 1.10 (Node >= 22)
# Needs dist/ (`pnpm run build`). npm must resolve every peer with no --force or --legacy-peer-deps.
set -euo pipefail
line=${1:?usage: run-consumer-test.sh <2|3>}
root=$(cd "$(dirname "$0")/../.." && pwd)
cache=${AITDR_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/aitdr-ci}
pnpm=(npx -y pnpm@12.4.2)

case "$line" in
  2) otel='"@opentelemetry/api": "1.9.1", "@opentelemetry/sdk-trace-base": "^2.12.1", "@opentelemetry/resources": "^2.12.1", "@opentelemetry/exporter-trace-otlp-proto": "^0.223.1"' ;;
  3) otel='"@opentelemetry/api": "1.10.0", "@opentelemetry/sdk-trace": "^3.1.1", "@opentelemetry/resources": "^3.1.1", "@opentelemetry/exporter-trace-otlp-proto": "^0.301.2"' ;;
  *) echo "unknown OpenTelemetry JS line: $line" >&2; exit 2 ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/aitdr-consumer-otel$line-XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "consumer test: OpenTelemetry JS $line on Node $(node --version), in $work"

for package in packages/conventions packages/schema packages/exporter packages/sdk collector; do
  (cd "$root/$package" && "${pnpm[@]}" pack --pack-destination "$work/tarballs" > /dev/null)
done
tarball() { ls "$work"/tarballs/aitdr-"$1"-*.tgz; }

# better-sqlite3 builds from source when no prebuilt binary is found (its downloads come from
# GitHub, out of reach here). The workspace's own build for this Node is offered as the local
# prebuild prebuild-install looks for, so the app's install takes it instead of compiling.
better_sqlite3_version=$(node -p "require('$root/packages/exporter/node_modules/better-sqlite3/package.json').version")
abi=$(node -p process.versions.modules)
prebuilds="$cache/prebuilds"
prebuild="$prebuilds/better-sqlite3-v$better_sqlite3_version-node-v$abi-$(node -p process.platform)-$(node -p process.arch).tar.gz"
if [ ! -f "$prebuild" ]; then
  built=$(cd "$root/packages/exporter/node_modules/better-sqlite3" && pwd -P)
  if node -e "new (require('$built'))(':memory:').close()" 2> /dev/null; then
    mkdir -p "$prebuilds"
    tar -czf "$prebuild.$$.tmp" -C "$built" build/Release/better_sqlite3.node && mv "$prebuild.$$.tmp" "$prebuild"
  fi
fi
# Headers for a source build: Node's own include/ (the npm node package ships it; Debian's under /usr).
npm_config_nodedir=$(dirname "$(dirname "$(command -v node)")")
export npm_config_nodedir

mkdir -p "$work/app"
cp "$root"/test/consumer/app/*.mjs "$work/app/"
cp "$root/test/consumer/app/typed-otel$line.ts" "$work/app/typed.ts"
cd "$work/app"
cat > package.json <<JSON
{
  "name": "consumer-app",
  "private": true,
  "type": "module",
  "dependencies": {
    "@aitdr/collector": "file:$(tarball collector)",
    "@aitdr/conventions": "file:$(tarball conventions)",
    "@aitdr/exporter": "file:$(tarball exporter)",
    "@aitdr/schema": "file:$(tarball schema)",
    "@aitdr/sdk": "file:$(tarball sdk)",
    $otel
  }
}
JSON
npm_install() { npm install --no-audit --no-fund --loglevel=error "$@"; }

npm_install
node missing-driver.mjs
npm_config_better_sqlite3_local_prebuilds="$prebuilds" npm_install "better-sqlite3@$better_sqlite3_version"
# A better-sqlite3 built for another Node.js (another ABI's prebuild, when an earlier lane left one).
other=$(find "$prebuilds" -name "better-sqlite3-v$better_sqlite3_version-node-v*.tar.gz" ! -name "*-node-v$abi-*" 2> /dev/null | head -n 1)
if [ -n "$other" ] && [ -f "$prebuild" ]; then
  tar -xzf "$other" -C node_modules/better-sqlite3
  node misbuilt-driver.mjs
  tar -xzf "$prebuild" -C node_modules/better-sqlite3
else
  echo "no better-sqlite3 prebuild for another Node.js (or none of this one) in $prebuilds: mis-built driver check skipped"
fi
# Every peer range satisfied, nothing missing or invalid.
npm ls --all > /dev/null
# The app type-checks against this line's SDK types and ours (our declaration files included).
npm_install --no-save typescript@5.9.3 "@types/node@$(node -p 'process.versions.node.split(".")[0]')"
npx tsc --noEmit --strict --skipLibCheck false --module nodenext --moduleResolution nodenext --target es2022 typed.ts
echo "typed.ts type-checks on OpenTelemetry JS $line"
# A general limit must not cut what is recorded (the rows are compared whole).
OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT=16 node record.mjs
