"""The detector's forward on one input in three or four runtimes: the weights' int8 model in ONNX Runtime (and in
OpenVINO where installed), the same detector exported fp32 to ONNX Runtime, and torch fp32 (channels-last);
alternating, best of ``--repeats``.

    python docs/det_speed.py [--threads 2] [--size 1280 992] [--repeats 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from docvision import zoo
from docvision.models.int8 import Int8Detector, export_onnx
from docvision.models.weights import weights_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weights", type=Path)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--size", type=int, nargs=2, default=(1280, 992), metavar=("H", "W"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    directory = weights_dir(args.weights)
    model = zoo.load_model(directory, "detector")[0].float().eval().to(memory_format=torch.channels_last)
    x = np.random.default_rng(0).standard_normal((1, 3, *args.size)).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "detector.onnx"
        export_onnx(model, fp32)
        sessions = {"onnxruntime int8": Int8Detector(directory / "detector.int8.onnx", args.threads).session,
                    "onnxruntime fp32": Int8Detector(fp32, args.threads).session}  # the pipeline's session options

        def torch_fp32() -> None:
            with torch.inference_mode():
                model(torch.from_numpy(x).contiguous(memory_format=torch.channels_last))

        runs = {name: (lambda s=s: s.run(None, {"image": x})) for name, s in sessions.items()}
        runs["torch fp32"] = torch_fp32
        if importlib.util.find_spec("openvino"):
            openvino = Int8Detector(directory / "detector.int8.onnx", args.threads, engine="openvino")
            runs["openvino int8"] = lambda: openvino(torch.from_numpy(x))
        best = dict.fromkeys(runs, float("inf"))
        for run in runs.values():  # warm-up
            run()
        for _ in range(args.repeats):
            for name, run in runs.items():
                start = time.perf_counter()
                run()
                best[name] = min(best[name], time.perf_counter() - start)
    for name, seconds in best.items():
        print(f"{name}: {seconds * 1000:.0f} ms (1 x 3 x {args.size[0]} x {args.size[1]}, {args.threads} threads)")


if __name__ == "__main__":
    main()
