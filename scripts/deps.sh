#!/bin/sh
# Installs the Debian packages Redress needs to build, test and run, when
# any is missing. The evidence PDF: pango and cairo, the two fonts it
# embeds (DejaVu Sans; Droid Sans Fallback for Chinese and Japanese), and
# poppler-utils, whose pdftotext and pdftoppm read it back in the tests.
# chromium: the console's browser tests (tests/console) drive it headless.
# Idempotent; needs root only when something is missing.
set -eu
PACKAGES="gcc make pkg-config libmicrohttpd-dev libjansson-dev libpq-dev libssl-dev check \
libcurl4-openssl-dev zlib1g-dev postgresql wrk nginx-light docker-compose clang libclang-rt-14-dev \
libpango1.0-dev libcairo2-dev fonts-dejavu-core fonts-droid-fallback poppler-utils chromium"
missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# The spec's tools run on Node.js (the machine image ships it; Debian's is
# the fallback).
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
[ -z "$missing" ] && exit 0
echo "installing:$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
  echo "run as root, or install these packages first:$missing" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
