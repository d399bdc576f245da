#!/usr/bin/env bash
# Install smallcoder with its embedded llama.cpp engine, get a small model, and fix the bundled example bug.
# First run: ~6 minutes to compile llama-cpp-python on 2 cores; later runs are quick.
set -euo pipefail
cd "$(dirname "$0")/.."

[[ -x .venv/bin/python ]] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# A portable llama.cpp build (AVX2, no -march=native): native builds die with SIGILL on VMs that
# advertise instructions they do not allow (AMX). Set CMAKE_ARGS yourself for another build.
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}"
.venv/bin/python -m pip install -q -e '.[embedded]'

model="${SMALLCODER_DEMO_MODEL:-${SMALLCODER_TEST_MODELS:-$HOME/.cache/smallcoder-test-models}/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf}"
if [[ ! -f "$model" ]]; then
  fetch="../shared/scripts/fetch-test-models.sh"
  if [[ -f "$fetch" ]]; then
    bash "$fetch" 1.5b
  else
    echo "no model at $model: set SMALLCODER_DEMO_MODEL to a GGUF file" >&2
    echo "(e.g. Qwen2.5-Coder-1.5B-Instruct Q4_K_M), or run: .venv/bin/smallcoder demo --model hf:Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF" >&2
    exit 2
  fi
fi
bash scripts/check-llama.sh "$model"
exec .venv/bin/smallcoder demo --model "$model"
