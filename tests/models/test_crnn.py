"""CRNN: (N, 1, H, W) -> (N, W / 4, classes)."""

from __future__ import annotations

import pytest
import torch

from docvision.config import RecognizerConfig
from docvision.models.crnn import CRNN


@pytest.mark.parametrize("width", [4, 32, 100, 256])
def test_output_steps_and_classes(width):
    model = CRNN(11, RecognizerConfig(channels=(8, 8, 16, 16), lstm_hidden=8)).eval()
    with torch.no_grad():
        out = model(torch.rand(3, 1, 32, width))
    assert out.shape == (3, width // 4, 11)


def test_default_config_and_other_height():
    with torch.no_grad():
        assert CRNN(5).eval()(torch.rand(1, 1, 32, 64)).shape == (1, 16, 5)
        config = RecognizerConfig(height=48, channels=(8, 8, 8, 8), lstm_hidden=8)
        assert CRNN(5, config).eval()(torch.rand(2, 1, 48, 40)).shape == (2, 10, 5)


def test_height_must_be_multiple_of_16():
    with pytest.raises(ValueError, match="multiple of 16"):
        CRNN(5, RecognizerConfig(height=40))


def test_batch_items_are_independent():
    model = CRNN(7, RecognizerConfig(channels=(8, 8, 8, 8), lstm_hidden=8)).eval()
    x = torch.rand(2, 1, 32, 40)
    with torch.no_grad():
        both = model(x)
        one = model(x[1:])
    torch.testing.assert_close(both[1:], one, rtol=1e-4, atol=1e-5)
