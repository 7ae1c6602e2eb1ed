"""Neural networks (tensors in, tensors out) and their weights files."""

from docvision.models.backbone import ResNetFPN
from docvision.models.crnn import CRNN
from docvision.models.dbnet import DBNet

__all__ = ["CRNN", "DBNet", "ResNetFPN"]
