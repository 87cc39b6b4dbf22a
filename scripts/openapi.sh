#!/bin/sh
# The spec's tools (pinned in tests/openapi/package.json and its lock file).
#   openapi.sh lint               Redocly CLI lints openapi.yaml
#   openapi.sh validate CAPTURE   every captured response against openapi.yaml
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/tests/openapi"
if [ ! -x "$tools/node_modules/.bin/redocly" ] || [ "$tools/package-lock.json" -nt "$tools/node_modules/.package-lock.json" ]; then
  (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
case "$1" in
  lint) "$tools/node_modules/.bin/redocly" lint "$root/openapi.yaml" --format=summary ;;
  validate) node "$tools/validate.mjs" "$root/openapi.yaml" "$2" ;;
  *) echo "usage: openapi.sh lint | validate CAPTURE" >&2; exit 2 ;;
esac
