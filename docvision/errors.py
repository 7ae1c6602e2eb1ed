"""Errors a user can act on; their message is a complete one-line explanation."""


class DocvisionError(Exception):
    """Base class: the CLI prints the message alone, without a traceback."""


class InputError(DocvisionError):
    """An input document or image can't be read."""


class WeightsError(DocvisionError):
    """Model weights are missing, corrupt or don't match the model."""
