#!/usr/bin/env bash
# Train the default detector and recognizer on a lent GPU machine, side by side, and put
# the exported weights and logs under $OUT as <= 15 MiB parts of one tar.
#
# Here first: make gpu-bundle (builds .gpu/), then one device call, with ".gpu" carried:
#   bash experiments/gpu/train.sh            # DET_MINUTES=7 REC_MINUTES=7 by default
# Back here: cat <files_at>/weights.tar.part-* | tar -x -C runs/gpu
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${OUT:?set OUT to the folder that comes back}"
DET_MINUTES=${DET_MINUTES:-7}
REC_MINUTES=${REC_MINUTES:-7}
RUNS=/tmp/docvision-runs

python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .gpu/whl/*.whl
export PYTHONPATH="/tmp/site:$PWD/.gpu/site:$PWD" PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
python3 -c "import torch, torchvision; print('torch', torch.__version__, 'torchvision', torchvision.__version__)" | tee -a "$OUT/gpu.txt"

python3 -m docvision train det --config experiments/gpu/det_resnet50.yaml --run-dir "$RUNS/det" \
  --device cuda --max-minutes "$DET_MINUTES" > "$RUNS-det.log" 2>&1 &
det=$!
python3 -m docvision train rec --config experiments/gpu/rec_crnn.yaml --run-dir "$RUNS/rec" \
  --device cuda --max-minutes "$REC_MINUTES" --threads 2 > "$RUNS-rec.log" 2>&1 &
rec=$!
status=0
wait $det || status=1
wait $rec || status=1
tail -n 5 "$RUNS-det.log" "$RUNS-rec.log"

mkdir -p "$RUNS/out"
cp "$RUNS-det.log" "$RUNS-rec.log" "$RUNS/out/"
for task in det rec; do
  cp -r "$RUNS/$task/weights" "$RUNS/out/$task-weights" 2>/dev/null || true
  cp "$RUNS/$task/log.jsonl" "$RUNS/out/$task-log.jsonl" 2>/dev/null || true
done
tar -C "$RUNS/out" -cf - . | split -b 15m - "$OUT/weights.tar.part-"
ls -la "$OUT"
exit $status
