#!/usr/bin/env bash
# Install Aider into a venv of its own, outside the repository, so its many pinned dependencies never
# meet smallcoder's. Idempotent: a venv that already runs the wanted version is left as it is.
#
#   bash benchmarks/peers/setup.sh                 # -> /work/peers/aider-venv
#   AIDER_VENV=/elsewhere bash benchmarks/peers/setup.sh
#
# AIDER_SPEC picks the release (default pinned, so reruns compare like with like);
# PYTHON picks the interpreter (Aider supports 3.10-3.12).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV="${AIDER_VENV:-/work/peers/aider-venv}"
SPEC="${AIDER_SPEC:-aider-chat==0.86.2}"
PYTHON="${PYTHON:-python3}"

UV=""
if [ -x "$REPO/.venv/bin/uv" ]; then UV="$REPO/.venv/bin/uv"; elif command -v uv >/dev/null; then UV="$(command -v uv)"; fi

want="${SPEC#*==}"
if [ -x "$VENV/bin/aider" ]; then
    have="$("$VENV/bin/python" -c 'from importlib.metadata import version; print(version("aider-chat"))' 2>/dev/null || true)"
    if [ -n "$have" ] && { [ "$want" = "$SPEC" ] || [ "$have" = "$want" ]; }; then
        echo "aider-chat $have already in $VENV"
        "$VENV/bin/aider" --version
        exit 0
    fi
fi

"$PYTHON" - <<'EOF'
import sys
if not (3, 10) <= sys.version_info[:2] <= (3, 12):
    sys.exit(f"Aider needs Python 3.10-3.12, {sys.executable} is {sys.version.split()[0]}; set PYTHON=")
EOF

mkdir -p "$(dirname "$VENV")"
if [ -n "$UV" ]; then
    [ -x "$VENV/bin/python" ] || "$UV" venv --python "$PYTHON" "$VENV"
    # uv does not read pip's config; PyPI is the index either way
    "$UV" pip install --python "$VENV/bin/python" "$SPEC"
else
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet "$SPEC"
fi
"$VENV/bin/aider" --version
