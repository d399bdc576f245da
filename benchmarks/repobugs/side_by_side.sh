#!/bin/bash
# Issue 23's comparison on the repobugs dev set: smallcoder and Aider at the same time, one thread each,
# the same GGUF, 600 s a task; then mini-swe-agent with the same settings; then the peers' patches judged
# by the same hidden tests as smallcoder's (smallcoder batch --model predictions:…). Every part saves each
# task as it ends, so an interrupted run resumes where it stopped when started again with the same NAME.
#   bash benchmarks/repobugs/side_by_side.sh MODEL.gguf [NAME] [OUT]
# NAME (default: the model's file stem) names the peers' results (benchmarks/results/repobugs-<peer>-NAME/);
# OUT (default /work/runs/repobugs-side-by-side) keeps smallcoder's batch and the peers' evaluations.
# MAX_STEPS (default 12) per smallcoder try: its fix also stops at 90% of the time limit by itself.
# Peers first: bash benchmarks/peers/setup.sh; bash benchmarks/peers/setup_miniswe.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
model="$(realpath "$1")"
name="${2:-$(basename "$model" .gguf)}"
out="${3:-/work/runs/repobugs-side-by-side}"
limit="${TIME_LIMIT:-600}"
python="${PYTHON:-$root/.venv/bin/python}"
mkdir -p "$out"
cd "$root"

config="$out/smallcoder.config.toml"
printf 'threads = 1\nctx = 8192\n' > "$config"
resume=""
[ -f "$out/smallcoder/batch.json" ] && resume="--resume"
SMALLCODER_CONFIG="$config" "$python" -m smallcoder.cli.app batch "$here/tasks.jsonl" --model "$model" \
    --workers 1 --max-steps "${MAX_STEPS:-12}" --time-limit "$limit" --out "$out/smallcoder" $resume \
    > "$out/smallcoder.log" 2>&1 &
ours=$!
"$python" benchmarks/peers/aider_repobugs.py --model "$model" --name "$name" --threads 1 --budget "$limit" \
    --work "$out/aider-work" > "$out/aider.log" 2>&1 &
aider=$!
status=0
wait "$ours" || status=$?
wait "$aider" || status=$?
"$python" benchmarks/peers/miniswe_repobugs.py --model "$model" --name "$name" --threads 1 --budget "$limit" \
    --work "$out/miniswe-work" > "$out/miniswe.log" 2>&1 || status=$?

for peer in aider miniswe; do
    predictions="$root/benchmarks/results/repobugs-$peer-$name/predictions.jsonl"
    [ -f "$predictions" ] || continue
    again=""
    [ -f "$out/$peer-eval/batch.json" ] && again="--resume"
    "$python" -m smallcoder.cli.app batch "$here/tasks.jsonl" --model "predictions:$predictions" \
        --out "$out/$peer-eval" $again >> "$out/$peer.log" 2>&1 || status=$?
done
echo "reports: $out/smallcoder/report.md $out/aider-eval/report.md $out/miniswe-eval/report.md"
exit "$status"
