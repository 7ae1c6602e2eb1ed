#!/usr/bin/env bash
# A device call carries at most 64 MiB of working tree (tracked and untracked-not-ignored files plus
# `carry`); this checkout tracks ~91 MiB, most of it weights. `on` takes what the GPU scripts never read
# out of git's index and ignores it for the call (the files stay on disk); `off` puts it back.
#   bash experiments/gpu/slim.sh on          # before bench.sh (it reads the fp16 weights)
#   bash experiments/gpu/slim.sh on train    # before train.sh (trains from scratch: no weights either)
#   bash experiments/gpu/slim.sh off         # right after the call; never commit in between
# Then `python experiments/gpu/bundle.py --check` (or --bench --check) says whether the call fits.
set -euo pipefail
cd "$(dirname "$0")/../.."
EXCLUDE=$(git rev-parse --git-path info/exclude)
BEGIN="# slim.sh: begin"
END="# slim.sh: end"
PATHS=(docvision/weights/detector.int8.onnx docvision/weights/recognizer.int8.onnx data tests)

case "${1:-}" in
  on)
    if grep -qxF "$BEGIN" "$EXCLUDE" 2>/dev/null; then echo "slim.sh: already on (run: slim.sh off)" >&2; exit 1; fi
    if ! git diff --cached --quiet; then echo "slim.sh: staged changes in the index: commit or unstage them first" >&2; exit 1; fi
    [ "${2:-}" = train ] && PATHS+=(docvision/weights/detector.safetensors docvision/weights/recognizer.safetensors)
    git rm -r -q --cached -- "${PATHS[@]}"
    mkdir -p "$(dirname "$EXCLUDE")"
    { echo "$BEGIN"; for p in "${PATHS[@]}"; do echo "/$p"; done; echo "$END"; } >> "$EXCLUDE"
    echo "slim.sh: out of the tree for the call: ${PATHS[*]}"
    ;;
  off)
    if ! grep -qxF "$BEGIN" "$EXCLUDE" 2>/dev/null; then echo "slim.sh: not on" >&2; exit 1; fi
    sed -i "/^$BEGIN\$/,/^$END\$/d" "$EXCLUDE"
    git reset -q -- docvision/weights data tests
    git status --short -- docvision/weights data tests
    echo "slim.sh: tree restored"
    ;;
  *) echo "usage: slim.sh on [train] | off" >&2; exit 2 ;;
esac
