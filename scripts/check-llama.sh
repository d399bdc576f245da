#!/usr/bin/env bash
# llama.cpp built with -march=native (llama-cpp-python's default) can die with SIGILL on machines whose
# CPU reports instructions the VM does not allow (seen: AMX / AVX-512 FP16 guests), or when pip's wheel
# cache holds a build from another CPU. Loading works and so does a token or two; the crash comes with the
# first batched prompt (the AMX matrix kernels). So evaluate a prompt of a few hundred tokens; on a crash,
# rebuild portably (AVX2).
set -uo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
model="${1:-$HOME/.cache/smallcoder-test-models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf}"
[[ -f "$model" ]] || exit 0
probe="import llama_cpp, sys; llama_cpp.Llama(sys.argv[1], n_ctx=512, verbose=False)(\"def f(x):\\n\" * 60, max_tokens=2)"
if "$py" -c "$probe" "$model" 2>/dev/null; then
  exit 0
fi
echo "note: llama.cpp cannot load a model on this CPU (native build); rebuilding it portably (minutes)" >&2
version=$("$py" -c "import importlib.metadata as m; print(m.version('llama-cpp-python'))")
CMAKE_ARGS="-DGGML_NATIVE=OFF ${CMAKE_ARGS:-}" "$py" -m pip install -q --no-cache-dir --force-reinstall --no-deps \
  "llama-cpp-python==$version"
"$py" -c "$probe" "$model"
