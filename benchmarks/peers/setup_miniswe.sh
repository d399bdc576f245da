#!/usr/bin/env bash
# Install mini-swe-agent into a venv of its own, outside the repository, so its dependencies (litellm and
# its many pins) never meet smallcoder's. Idempotent: a venv that already has the wanted version is left.
#
#   nice -n 19 bash benchmarks/peers/setup_miniswe.sh          # -> /work/peers/miniswe-venv
#   MINISWE_VENV=/elsewhere bash benchmarks/peers/setup_miniswe.sh
#
# MINISWE_SPEC picks the release (default pinned, so reruns compare like with like); PYTHON the interpreter
# (mini-swe-agent needs 3.10 or later).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV="${MINISWE_VENV:-/work/peers/miniswe-venv}"
SPEC="${MINISWE_SPEC:-mini-swe-agent==2.4.6}"
PYTHON="${PYTHON:-python3}"

UV=""
if [ -x "$REPO/.venv/bin/uv" ]; then UV="$REPO/.venv/bin/uv"; elif command -v uv >/dev/null; then UV="$(command -v uv)"; fi

version() {  # the installed release, read from its metadata (importing minisweagent writes a config dir)
    "$VENV/bin/python" -c 'from importlib.metadata import version; print(version("mini-swe-agent"))' 2>/dev/null || true
}

want="${SPEC#*==}"
if [ -x "$VENV/bin/mini" ]; then
    have="$(version)"
    if [ -n "$have" ] && { [ "$want" = "$SPEC" ] || [ "$have" = "$want" ]; }; then
        echo "mini-swe-agent $have already in $VENV"
        exit 0
    fi
fi

"$PYTHON" - <<'EOF'
import sys
if sys.version_info[:2] < (3, 10):
    sys.exit(f"mini-swe-agent needs Python 3.10 or later, {sys.executable} is {sys.version.split()[0]}; set PYTHON=")
EOF

mkdir -p "$(dirname "$VENV")"
if [ -n "$UV" ]; then
    [ -x "$VENV/bin/python" ] || "$UV" venv --python "$PYTHON" "$VENV"
    "$UV" pip install --python "$VENV/bin/python" "$SPEC"
else
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet "$SPEC"
fi
echo "mini-swe-agent $(version) in $VENV"
