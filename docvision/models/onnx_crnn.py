"""The CRNN run by ONNX Runtime on CPUs.

Exported in memory when the weights load (a fraction of a second), so it can never be stale
against them. On batches of equal width (no padding, so the BiLSTM needs no packing) it reads a
page's words 1.2-1.4x faster than torch on 2 idle cores, and ~13x faster when other work shares
them (its threads do not spin; docs/benchmarks.md). onnxruntime is imported on use only.
"""

from __future__ import annotations

import io
import warnings

import torch
from torch import nn

from docvision.models.crnn import CRNN


class OnnxCRNN(nn.Module):
    """``model`` exported to ONNX and run by ONNX Runtime on the CPU; thread-safe. Same
    ``forward`` contract as :class:`CRNN` for unpadded batches."""

    def __init__(self, model: CRNN, threads: int | None = None):
        super().__init__()
        import onnxruntime as ort

        self.config = model.config
        self.classifier = model.classifier  # read for the class count, not run here
        graph = io.BytesIO()
        x = torch.zeros(2, 1, model.config.height, 64)
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")  # the exporter's deprecation and tracer notes
            torch.onnx.export(
                model.eval(), (x,), graph, input_names=["image"], output_names=["logits"],
                dynamic_axes={"image": {0: "batch", 3: "width"}, "logits": {0: "batch", 1: "steps"}},
                opset_version=17, dynamo=False,
            )
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # torch shares the cores
        self.session = ort.InferenceSession(graph.getvalue(), options, providers=["CPUExecutionProvider"])

    def forward(self, x: torch.Tensor, steps: torch.Tensor | None = None) -> torch.Tensor:
        """Logits ``(N, W / 4, C)``; ``steps``, if given, must cover every input's full width."""
        if steps is not None and int(steps.min()) * 4 < x.shape[-1]:
            raise ValueError("OnnxCRNN reads unpadded batches only (crops of one width)")
        (logits,) = self.session.run(None, {"image": x.detach().cpu().float().contiguous().numpy()})
        return torch.from_numpy(logits)
