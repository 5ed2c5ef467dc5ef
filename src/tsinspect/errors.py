"""Typed exceptions. The CLI turns each into one line for the user and exit code 2."""

from __future__ import annotations


class TsinspectError(Exception):
    """Base class: the message is one line that says what file, what is wrong and what to do."""

    def __init__(self, message: str, path: str | None = None) -> None:
        self.path = path
        super().__init__(message)

    def __str__(self) -> str:
        message = super().__str__()
        if self.path and not message.startswith(self.path):
            return f"{self.path}: {message}"
        return message


class InputError(TsinspectError):
    """A file the user named is missing, unreadable, or not what the command needs."""


class ModelArchiveError(InputError):
    """A file is not a loadable TorchScript archive (a state_dict, a corrupt zip, not PyTorch at all...)."""


class UntrustedModelError(ModelArchiveError):
    """The pre-load scan found code that would run at load or reach outside the process;
    the model is loaded only when the user says they trust it (``--trust-model``)."""


class ConfigError(InputError):
    """A config.pbtxt that cannot be read or parsed."""


class MissingDependencyError(TsinspectError):
    """An optional extra (torch, tritonclient, graphviz) is needed for this command and is not installed."""


class InferenceError(TsinspectError):
    """Shapes or dtypes could not be inferred; the message says which option to pass instead."""


class ModelTimeoutError(InferenceError):
    """A forward call did not return within the time limit and was stopped (--time-limit).

    An InferenceError: the model's shapes could not be found by running it, and the message
    names the options (``--time-limit``, ``--input-shape``)."""


class OverwriteError(TsinspectError):
    """Writing would replace something the user already has; pass --force to allow it."""
