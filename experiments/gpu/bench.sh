#!/usr/bin/env bash
# Measure docvision on a lent GPU machine in one call of about 5 minutes; the results land in $OUT:
#   summary.txt   the bench tables and a last table of pages/s per run (the reply's tail shows it)
#   results.json  every bench report (docvision bench --report) and docvision ocr run
#   log.txt       everything printed;  gpu.txt  the GPU, its driver, torch and CUDA
# Runs, each with det_batch_pages 1 and 8 (pages a detector forward; 8 is the CUDA default):
#   docvision bench --device cuda on generated letter pages (with 8: also a 48-page PDF streamed
#   through iter_pages, RSS and CUDA memory) and on the FUNSD pages of .gpu-bench/funsd;
#   docvision ocr FOLDER --jobs 1 and 4 --device cuda over 40 generated inputs (PDFs, PNGs, JPEGs: 60 pages).
#
# Here first: make gpu-bench-bundle (builds .gpu-bench/: the packages the machine lacks, FUNSD pages;
# says whether the call fits the 64 MiB a call carries), then one device call carrying ".gpu-bench":
#   bash experiments/gpu/bench.sh
# Dry run on CPUs (an environment with docvision's eval extra; tiny counts, one thread):
#   DEVICE=cpu SMALL=1 PYTHON=.venv/bin/python OUT=/tmp/gpu-bench bash experiments/gpu/bench.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${OUT:?set OUT to the folder that comes back}"
DEVICE=${DEVICE:-cuda}
PYTHON=${PYTHON:-python3}
BUDGET=${BUDGET:-300}  # seconds: a run that would start later is skipped, and said so in summary.txt
BUNDLE=.gpu-bench
if [ "${SMALL:-0}" = 1 ]; then
  DPI=100 LETTER_PAGES=1 FUNSD_PAGES=1 REPEATS=1 LONG_PDF=3 INPUTS=4 JOBS="1 2" LIMIT=300 THREADS=(--threads 1)
else
  DPI=200 LETTER_PAGES=8 FUNSD_PAGES=8 REPEATS=3 LONG_PDF=48 INPUTS=40 JOBS="1 4" LIMIT=150 THREADS=()
fi
RUNS=$(mktemp -d /tmp/docvision-bench.XXXXXX)
trap 'rm -rf "$RUNS"' EXIT
mkdir -p "$OUT"
exec > >(tee -a "$OUT/log.txt") 2>&1
fail() { echo "bench.sh: $*" | tee -a "$OUT/summary.txt"; exit 2; }

# What the machine lacks comes from the bundle (Python 3.12 packages); docvision from this checkout.
if ! "$PYTHON" -c "import pypdfium2" 2>/dev/null; then
  [ -f "$BUNDLE/site.tar.xz" ] || fail "$PYTHON lacks docvision's packages and $BUNDLE/site.tar.xz is missing:" \
    "run make gpu-bench-bundle here and carry $BUNDLE"
  "$PYTHON" -c "import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2], filter='data')" \
    "$BUNDLE/site.tar.xz" "$RUNS"  # Python's lzma: the machine may have no xz
  export PYTHONPATH="$RUNS/site${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
if [ "$DEVICE" = cuda ]; then
  "$PYTHON" -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)" ||
    fail "torch sees no CUDA GPU: run this on the GPU machine (DEVICE=cpu SMALL=1 for a dry run on CPUs)"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader > "$OUT/gpu.txt" || true
fi
"$PYTHON" -c "import torch, docvision.evaluation.bench; print('torch', torch.__version__, 'CUDA', torch.version.cuda)" \
  >> "$OUT/gpu.txt" || fail "docvision's bench does not import with $PYTHON (see log.txt)"
cat "$OUT/gpu.txt"

START=$SECONDS
run() {  # run NAME COMMAND...: unless the budget is spent; a failure is reported, the next runs go on
  local name=$1 status=0
  shift
  if (( SECONDS - START > BUDGET )); then
    echo "skipped after ${BUDGET} s: $name" | tee -a "$OUT/summary.txt"
    return 0
  fi
  echo "== $name ($(( SECONDS - START )) s in)" | tee -a "$OUT/summary.txt"
  "$@" || status=$?
  (( status == 0 )) || echo "$name: exit status $status (124: over $LIMIT s)" | tee -a "$OUT/summary.txt"
}
docvision() { timeout "$LIMIT" "$PYTHON" -m docvision "$@"; }
bench() {  # bench NAME BATCH OPTIONS...: docvision bench with det_batch_pages BATCH, tables into summary.txt
  local name=$1 batch=$2
  shift 2
  printf 'det_batch_pages: %s\n' "$batch" > "$RUNS/batch-$batch.yaml"
  docvision bench --device "$DEVICE" "${THREADS[@]}" --config "$RUNS/batch-$batch.yaml" --repeats "$REPEATS" \
    --report "$RUNS/bench-$name.json" "$@" | tee -a "$OUT/summary.txt"
}
ocr() {  # ocr JOBS: docvision ocr over the inputs, its wall time in ocr.jsonl
  local jobs=$1 start status=0
  start=$(date +%s%N)
  docvision ocr "$RUNS/inputs" -o "$RUNS/ocr-j$jobs" --jobs "$jobs" --device "$DEVICE" "${THREADS[@]}" || status=$?
  printf '{"jobs": %s, "ms": %s, "exit": %s, "output": "%s"}\n' "$jobs" "$(( ($(date +%s%N) - start) / 1000000 ))" \
    "$status" "$RUNS/ocr-j$jobs" >> "$RUNS/ocr.jsonl"
  return "$status"
}

for batch in 1 8; do
  extra=()
  [ "$batch" = 8 ] && extra=(--long-pdf "$LONG_PDF")
  run "bench letter pages, det_batch_pages $batch" \
    bench "letter-b$batch" "$batch" --pages "$LETTER_PAGES" --dpi "$DPI" "${extra[@]}"
done
if [ -d "$BUNDLE/funsd/pages" ]; then
  for batch in 1 8; do
    run "bench FUNSD pages, det_batch_pages $batch" bench "funsd-b$batch" "$batch" --labeled "$BUNDLE/funsd" \
      --pages "$FUNSD_PAGES"
  done
else
  echo "no $BUNDLE/funsd/pages: FUNSD not measured (make gpu-bench-bundle copies them)" | tee -a "$OUT/summary.txt"
fi
echo "inputs: $("$PYTHON" experiments/gpu/benchkit.py inputs "$RUNS/inputs" "$INPUTS" "$DPI") pages in $INPUTS files"
for jobs in $JOBS; do
  run "ocr FOLDER --jobs $jobs" ocr "$jobs"
done
"$PYTHON" experiments/gpu/benchkit.py collect "$OUT" "$RUNS"
tail -n 12 "$OUT/summary.txt"
