"""Evaluation (metrics, ``docvision eval``) and benchmarks (``docvision bench``)."""
