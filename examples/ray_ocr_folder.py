"""OCR a folder on a Ray cluster: every PDF and image under FOLDER, one JSON per input under OUT
with the tree mirrored, byte for byte what `docvision ocr FOLDER -o OUT` writes (same options).

    pip install "docvision[ray]"
    python examples/ray_ocr_folder.py scans/ out/ --actors 2 --threads 1            # a local Ray on this machine
    RAY_ADDRESS=auto python examples/ray_ocr_folder.py /shared/scans /shared/out --actors 16   # a running cluster
    python examples/ray_ocr_folder.py scans/ out/ --actors 4 --device cuda --gpus 0.25   # 4 actors on each GPU

On a cluster, FOLDER must be readable from every node (a shared file system), or use --bytes to
carry each file's content in the dataset (read once by the driver's read tasks).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import ray

from docvision.batch.inputs import expand, output_paths
from docvision.export import SUFFIXES
from docvision.integrations.ray import OCRPages, documents
from docvision.io import write_atomic


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("out", type=Path)
    parser.add_argument("--actors", type=int, default=2, help="actors, one pipeline each")
    parser.add_argument("--threads", type=int, default=1, help="torch/ONNX Runtime threads per actor")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--gpus", type=float, default=0, help="GPUs per actor (0.25: four actors share one)")
    parser.add_argument("--weights", help="weights folder (default: the package's)")
    parser.add_argument("--dpi", type=int)
    parser.add_argument("--page-timeout", type=float, help="seconds per page; a slower page fails, the actor goes on")
    parser.add_argument("--bytes", action="store_true", help="carry the files' bytes in the dataset")
    args = parser.parse_args()

    found = expand([args.folder], None, args.out, lambda err: print(f"{err.filename}: {err.strerror}", file=sys.stderr))
    outputs = dict(zip((os.path.abspath(job.source) for job, _, _ in found),
                       output_paths([stem for _, stem, _ in found], args.out, SUFFIXES["json"])))
    if os.environ.get("RAY_ADDRESS"):
        ray.init()
    else:  # a local cluster of this machine: one CPU per actor
        ray.init(num_cpus=args.actors * args.threads, include_dashboard=False, log_to_driver=False)

    if args.bytes:
        files = ray.data.read_binary_files([job.source for job, _, _ in found], include_paths=True)
    else:
        files = ray.data.from_items([{"path": job.source} for job, _, _ in found])
    options = {"weights": args.weights, "device": args.device, "threads": args.threads, "dpi": args.dpi,
               "page_timeout": args.page_timeout}
    pages = files.map_batches(OCRPages, fn_constructor_kwargs=options, batch_size=1, concurrency=args.actors,
                              num_cpus=args.threads, num_gpus=args.gpus or None)
    start, count, failed = time.monotonic(), 0, 0
    for path, text, errors in documents(pages.iter_rows()):
        out = outputs[os.path.abspath(path)]
        if text is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(out, text)
            count += len(json.loads(text)["pages"])
        if errors:
            failed += 1
            print(f"{path}: error: {errors[0]}", file=sys.stderr)
    seconds = time.monotonic() - start
    print(f"{len(outputs) - failed} done, {failed} failed; {count} pages in {seconds:.1f} s "
          f"({count / seconds:.2f} pages/s) on {args.actors} actors", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
