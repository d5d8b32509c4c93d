#!/usr/bin/env bash
# Browser check for sequence.html: renders the page in headless Chromium, offline, takes a
# screenshot and checks that the DOM holds the diagram (the SVG and its arrows).
#
#   tests/artifacts/render-check.sh PAGE.html [SHOT.png]
#
# Exit status: 0 rendered and the diagram is there; 1 Chromium failed or the diagram is missing;
# 2 bad usage; 77 Chromium is not installed (ctest's conventional "skipped").
# It never touches the network: every host name resolves to nothing, so a page that tried to
# load a script or a font from a CDN would render without it and fail here.
set -u

page="${1:-}"
shot="${2:-out.png}"
if [[ -z "$page" || ! -f "$page" ]]; then
  echo "usage: $0 PAGE.html [SHOT.png]" >&2
  exit 2
fi

browser=""
for candidate in chromium chromium-browser google-chrome; do
  if command -v "$candidate" >/dev/null 2>&1; then browser="$candidate"; break; fi
done
if [[ -z "$browser" ]]; then
  echo "render-check: chromium is not installed; skipping" >&2
  exit 77
fi

profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
url="file://$(realpath "$page")"
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --disable-dev-shm-usage --hide-scrollbars
       --host-resolver-rules="MAP * ~NOTFOUND" --user-data-dir="$profile" --window-size=1400,1000)

# A headless browser that hangs must not hang the test suite.
if ! timeout 90 "$browser" "${flags[@]}" --screenshot="$shot" "$url" >"$profile/shot.log" 2>&1; then
  echo "render-check: $browser failed to take a screenshot:" >&2
  cat "$profile/shot.log" >&2
  exit 1
fi
if [[ ! -s "$shot" ]]; then
  echo "render-check: no screenshot at $shot" >&2
  exit 1
fi

dom="$profile/dom.html"
if ! timeout 90 "$browser" "${flags[@]}" --dump-dom "$url" >"$dom" 2>"$profile/dom.log"; then
  echo "render-check: $browser failed to dump the DOM:" >&2
  cat "$profile/dom.log" >&2
  exit 1
fi
for needle in '<svg class="seq"' '<svg class="actors-svg"' 'class="lifeline broker"'; do
  if ! grep -qF "$needle" "$dom"; then
    echo "render-check: the rendered DOM lacks $needle" >&2
    exit 1
  fi
done
arrows=$(grep -oF '<line class="arrow"' "$dom" | wc -l)
if (( arrows == 0 )); then
  echo "render-check: the diagram has no arrows" >&2
  exit 1
fi
echo "render-check: ok ($arrows arrows), screenshot at $shot"
