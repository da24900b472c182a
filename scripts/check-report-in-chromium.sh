#!/usr/bin/env bash
# Checks that an HTML report written by `squint demo --html FILE` or `squint compare ... --html FILE` renders in a
# real browser: opens it in headless Chromium, measures every chart and its point markers in the laid-out page,
# and looks for the markers' colours inside each chart in a screenshot (saved for you to look at).
#
#   scripts/check-report-in-chromium.sh REPORT.html [WORKDIR]
#
# Needs Debian's `chromium` package (apt-get install chromium) or CHROMIUM=/path/to/chrome.
# Exit status: 0 every chart rendered, 1 a chart did not, 2 usage, 3 no Chromium found.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
[ -f "$1" ] || { echo "$1: no such file" >&2; exit 2; }
# the squint launcher builds the jar when it is missing or stale; --version only triggers that
"$here/squint" --version >/dev/null
. "$here/scripts/find-jdk.sh"
props=()
[ -n "${CHROMIUM:-}" ] && props+=("-Dsquint.chromium=$CHROMIUM")
exec "$JAVA_HOME/bin/java" -Djava.awt.headless=true "${props[@]}" -cp "$here/squint-cli/target/squint.jar" \
  dev.squint.report.ChromiumCheck "$@"
