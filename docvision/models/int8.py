"""The models in int8 for CPUs: ONNX export, static quantization and inference with ONNX Runtime.

``detector.int8.onnx`` / ``recognizer.int8.onnx`` beside the ``.safetensors`` record the sha256 of
the weights they were quantized from, so a stale file is never used for other weights.
:class:`Int8Detector` is an ``nn.Module`` with the DBNet's ``forward`` contract (image batch in,
probability map out), so :class:`~docvision.detection.detector.Detector` runs it like the torch
model; the int8 recognizer runs in :class:`~docvision.models.onnx_crnn.OnnxCRNN`.
onnx and onnxruntime are imported on use only: training machines need neither.
"""

from __future__ import annotations

import logging
import tempfile
import warnings
from collections.abc import Iterable, Sequence
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


class Int8Detector(nn.Module):
    """A quantized DBNet run by ONNX Runtime on the CPU; thread-safe."""

    def __init__(self, path: Path, threads: int | None = None):
        super().__init__()
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # torch shares the cores
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.source_sha256 = self.session.get_modelmeta().custom_metadata_map.get(SOURCE_KEY, "")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        (prob,) = self.session.run(None, {"image": x.detach().cpu().contiguous().numpy()})
        return torch.from_numpy(prob)
