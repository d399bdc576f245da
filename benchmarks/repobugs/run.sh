#!/bin/bash
# Run the repobugs dev set with one model, resumable, and copy the figures into benchmarks/results/.
#   bash benchmarks/repobugs/run.sh MODEL.gguf [OUT_DIR] [WORKERS]
# OUT_DIR (default /tmp/repobugs-<model>) keeps checkouts, logs and records; rerunning continues (--resume).
# TIME_LIMIT (seconds per task, default 600: ten minutes is already long for a laptop user).
# WORKERS is the third argument (default 2); THREADS (llama.cpp threads per worker) is below.
# The reference fixes run first as the pseudo-model `gold`: every task must resolve with its own fix.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
model="$1"
name="$(basename "$model" .gguf)"
out="${2:-/tmp/repobugs-$name}"
workers="${3:-2}"
config="$out.config.toml"
# THREADS per worker (default: the machine's cores shared out between the workers); a window that holds a
# repository map and a file. One worker with every core gives each task the whole machine inside its time
# limit; two workers with one core each finish more tasks an hour but time out more on a 2-core laptop.
threads="${THREADS:-$(( $(nproc) / workers > 0 ? $(nproc) / workers : 1 ))}"
printf 'threads = %s\nctx = 8192\n' "$threads" > "$config"
resume=""
[ -f "$out/batch.json" ] && resume="--resume"
SMALLCODER_CONFIG="$config" python -m smallcoder.cli.app batch "$here/tasks.jsonl" --model gold --model "$model" \
    --workers "$workers" --max-steps 4 --time-limit "${TIME_LIMIT:-600}" --out "$out" $resume ${RETRY:-}
dest="$here/../results/repobugs-$name"
mkdir -p "$dest"
for d in "$out"/*/; do
    m="$(basename "$d")"; [ -f "$d/records.jsonl" ] || continue
    mkdir -p "$dest/$m"; cp "$d/records.jsonl" "$d/predictions.jsonl" "$dest/$m/"
done
cp "$out/report.md" "$out/report.html" "$dest/"
