"""The CRNN run by ONNX Runtime on CPUs, in fp32 or int8.

The fp32 graph is exported in memory when the weights load (a fraction of a second), so it can never
be stale against them; the int8 one is ``recognizer.int8.onnx`` of the weights folder (``docvision
quantize``: static int8 convolutions, dynamic int8 BiLSTM; on a dense letter page 2.2x faster than
fp32 at equal word accuracy). On batches of equal width (no padding, so the BiLSTM needs no packing) fp32 reads a page's
words 1.2-1.4x faster than torch on 2 idle cores, and ~13x faster when other work shares them (its
threads do not spin; docs/benchmarks.md). onnxruntime is imported on use only.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import torch
from torch import nn

from docvision.models.crnn import CRNN, STEP
from docvision.models.int8 import SOURCE_KEY


def export_crnn(model: CRNN) -> bytes:
    """``model`` as an fp32 ONNX graph with free batch size and width."""
    graph = io.BytesIO()
    x = torch.zeros(2, 1, model.config.height, 64)
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # the exporter's deprecation and tracer notes
        torch.onnx.export(
            model.eval(), (x,), graph, input_names=["image"], output_names=["logits"],
            dynamic_axes={"image": {0: "batch", 3: "width"}, "logits": {0: "batch", 1: "steps"}},
            opset_version=17, dynamo=False,
        )
    return graph.getvalue()


class OnnxCRNN(nn.Module):
    """``model`` run by ONNX Runtime on the CPU: exported, or the int8 ``graph`` file quantized from
    it; thread-safe. Same ``forward`` contract as :class:`CRNN` for unpadded batches."""

    def __init__(self, model: CRNN, threads: int | None = None, graph: Path | None = None):
        super().__init__()
        import onnxruntime as ort

        self.config = model.config
        self.classifier = model.classifier  # read for the class count, not run here
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # torch shares the cores
        source = str(graph) if graph is not None else export_crnn(model)
        self.session = ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
        self.source_sha256 = self.session.get_modelmeta().custom_metadata_map.get(SOURCE_KEY, "")
        """sha256 of the weights an int8 ``graph`` was quantized from (empty for the exported one)."""

    def forward(self, x: torch.Tensor, steps: torch.Tensor | None = None) -> torch.Tensor:
        """Logits ``(N, W / STEP, C)``; ``steps``, if given, must cover every input's full width."""
        if steps is not None and int(steps.min()) * STEP < x.shape[-1]:
            raise ValueError("OnnxCRNN reads unpadded batches only (crops of one width)")
        (logits,) = self.session.run(None, {"image": x.detach().cpu().float().contiguous().numpy()})
        return torch.from_numpy(logits)
