#!/usr/bin/env bash
# Screenshots of the built site (docs/_build/html) in headless Chromium (Debian's chromium
# package), for looking at it as a reader does: the home page, an API page, a gallery page and
# the notebook.  Usage: tools/screenshots.sh OUTDIR   (after the README's documentation command)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:?usage: tools/screenshots.sh OUTDIR}"
mkdir -p "$out"
site="$PWD/docs/_build/html"
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
for page in index api/generated/refnet.check.check_gradient gallery/sigmoid \
            examples/seed-notebook api/refnet.tolerances checking; do
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --hide-scrollbars --window-size=1400,${HEIGHT:-2400} \
    --virtual-time-budget=5000 --screenshot="$out/${page//\//_}.png" \
    "file://$site/$page.html" 2>/dev/null
  echo "$out/${page//\//_}.png"
done
