#!/usr/bin/env bash
# Install everything the tests need and run the checks: ruff and mypy (strict) on src/, then the unit and
# integration tests with scripted models, real git repositories, real servers and a real browser, plus the
# end-to-end test with the real 0.5B model.
set -euo pipefail
cd "$(dirname "$0")/.."

[[ -x .venv/bin/python ]] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# A portable llama.cpp build (AVX2, no -march=native): native builds die with SIGILL on VMs that
# advertise instructions they do not allow (AMX). Set CMAKE_ARGS yourself for another build.
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}"
.venv/bin/python -m pip install -q -e '.[dev]'

fetch="../shared/scripts/fetch-test-models.sh"
if [[ -f "$fetch" ]]; then
  bash "$fetch" 0.5b
  bash scripts/check-llama.sh
else
  echo "note: $fetch not found; tests that need a real model will be skipped" >&2
fi
.venv/bin/ruff check src
.venv/bin/mypy
exec .venv/bin/python -m pytest -q "$@"
