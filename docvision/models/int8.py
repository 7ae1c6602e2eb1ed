"""The models in int8 for CPUs: ONNX export, static quantization and inference with ONNX Runtime.

``detector.int8.onnx`` / ``recognizer.int8.onnx`` beside the ``.safetensors`` record the sha256 of
the weights they were quantized from, so a stale file is never used for other weights.
:class:`Int8Detector` is an ``nn.Module`` with the DBNet's ``forward`` contract (image batch in,
probability map out), so :class:`~docvision.detection.detector.Detector` runs it like the torch
model, in ONNX Runtime or, where it pays, OpenVINO (the ``openvino`` extra); the int8 recognizer
runs in :class:`~docvision.models.onnx_crnn.OnnxCRNN`.
onnx, onnxruntime and openvino are imported on use only: training machines need none of them.
"""

from __future__ import annotations

import ctypes
import functools
import importlib.util
import logging
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

SOURCE_KEY = "docvision.source_sha256"
FP32_HEAD = ("reduce", "prob_head", "thresh_head")
"""DBNet modules left in fp32: the small head that turns features into probabilities."""
CRNN_DYNAMIC = ("rnn", "classifier")
"""CRNN modules quantized dynamically (int8 weights, activations scaled per batch): its BiLSTM and
classifier, which static QDQ quantization leaves in fp32."""


def int8_file(name: str) -> str:
    """File name of the int8 model of the weights ``name`` (``detector``, ``recognizer``)."""
    return f"{name}.int8.onnx"


def export_onnx(model: nn.Module, path: Path) -> None:
    """Write ``model`` (a DBNet: ``(N, 3, H, W)`` -> ``(N, 1, H, W)``) as an fp32 ONNX graph
    with free batch size, height and width."""
    x = torch.zeros(1, 3, 64, 64)
    axes = {0: "batch", 2: "height", 3: "width"}
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # the exporter's deprecation and tracer notes
        torch.onnx.export(
            model.eval(), (x,), str(path), input_names=["image"], output_names=["prob"],
            dynamic_axes={"image": axes, "prob": axes}, opset_version=17, dynamo=False,
        )


def quantize(
    fp32: Path, out: Path, calibration: Iterable[np.ndarray], source_sha256: str, *,
    fp32_modules: Sequence[str] = FP32_HEAD, dynamic_modules: Sequence[str] = (),
) -> None:
    """Static int8 quantization of an exported model (QDQ format): per-channel int8 weights with
    ``reduce_range`` (7 bits: without VNNI, the u8 x s8 products of AVX2 saturate at full range
    and detection loses words), uint8 activations scaled by their min/max over ``calibration``
    (float32 arrays as the model's ``image`` input takes). The nodes of ``fp32_modules`` and
    ``dynamic_modules`` are left out; the LSTMs and matrix products of ``dynamic_modules`` are then
    quantized dynamically (a static scale does not suit an LSTM's recurrent state).
    """
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_dynamic, quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.arrays = iter(calibration)

        def get_next(self) -> dict[str, np.ndarray] | None:
            array = next(self.arrays, None)
            return None if array is None else {"image": array}

    with tempfile.TemporaryDirectory() as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(fp32), str(prepared))
        left = (*fp32_modules, *dynamic_modules)
        excluded = [n.name for n in onnx.load(str(prepared)).graph.node if any(f"/{m}" in n.name for m in left)]
        static = Path(tmp) / "static.onnx" if dynamic_modules else out
        quantize_static(
            str(prepared), str(static), Reader(), quant_format=QuantFormat.QDQ, per_channel=True, reduce_range=True,
            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, calibrate_method=CalibrationMethod.MinMax,
            nodes_to_exclude=excluded,
        )
        if dynamic_modules:
            nodes = [n.name for n in onnx.load(str(static)).graph.node if any(f"/{m}" in n.name for m in dynamic_modules)]
            root = logging.getLogger()
            level = root.level
            root.setLevel(logging.ERROR)  # its "already quantized?" warning: it is, by design
            try:
                quantize_dynamic(
                    str(static), str(out), op_types_to_quantize=["LSTM", "MatMul", "Gemm"], nodes_to_quantize=nodes,
                    reduce_range=True, weight_type=QuantType.QInt8,
                )
            finally:
                root.setLevel(level)
    model = onnx.load(str(out))
    onnx.helper.set_model_props(model, {SOURCE_KEY: source_sha256})
    onnx.save(model, str(out))


ENGINES = ("onnxruntime", "openvino")


def openvino_pays() -> bool:
    """Whether OpenVINO is installed and the cores have AMX: there it runs the int8 detector 2.5x faster
    than ONNX Runtime (its AMX int8 and bf16 kernels); on AVX-512 VNNI without AMX (a Zen 4) its detect stage took 6% longer on FUNSD
    (docs/benchmarks.md), and ONNX Runtime needs no extra."""
    amx = getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)()
    return amx and importlib.util.find_spec("openvino") is not None


class Int8Detector(nn.Module):
    """A quantized DBNet run on the CPU by ONNX Runtime or OpenVINO (``engine``); thread-safe."""

    def __init__(self, path: Path, threads: int | None = None, engine: str = "onnxruntime"):
        super().__init__()
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
        self.engine = engine
        threads = threads or torch.get_num_threads()
        if engine == "openvino":
            core = _openvino_core()
            model = core.read_model(str(path))
            key = ["framework", SOURCE_KEY]
            self.source_sha256 = model.get_rt_info(key).astype(str) if model.has_rt_info(key) else ""
            # Not pinned to cores: several workers of a machine would all pin the first ones. No cache of
            # kernels per input shape: pages come in many shapes (their content boxes), and it grew a
            # process by 0.9 GiB over 149 FUNSD pages.
            self.compiled = core.compile_model(model, "CPU", {
                "INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY", "ENABLE_CPU_PINNING": False,
                "CPU_RUNTIME_CACHE_CAPACITY": 0,
            })
            self.request = self.compiled.create_infer_request()
            self.lock = threading.Lock()  # a request serves one forward at a time (each uses every thread)
            return
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # torch shares the cores
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.source_sha256 = self.session.get_modelmeta().custom_metadata_map.get(SOURCE_KEY, "")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        image = x.detach().cpu().contiguous().numpy()
        if self.engine == "onnxruntime":
            (prob,) = self.session.run(None, {"image": image})
            return torch.from_numpy(prob)
        with self.lock:
            prob = torch.from_numpy(self.request.infer({0: image})[0].copy())  # the request reuses its output
            _release_freed_memory()
        return prob


@functools.cache
def _openvino_core():
    """One OpenVINO ``Core`` for the process, never released: a ``Core`` freed while models compiled by it
    live on (each detector made its own) corrupted memory that crashed the process later."""
    import openvino as ov

    return ov.Core()


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None (another C library)."""
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def _release_freed_memory() -> None:
    """Give the system back the heap memory freed by a forward: OpenVINO's buffers for each new input
    shape otherwise stay in glibc's arenas (149 FUNSD pages: 1.1 -> 1.9 GiB without, flat at 1.4 GiB
    from page 60 with it; ONNX Runtime stays at 1.2 GiB)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
