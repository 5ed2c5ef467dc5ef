"""Shapes of a model's inputs: probes on the meta device (then the CPU), failure classes, first consumers.

The package is split along its three jobs:

- ``probes``: load a meta copy and run forward on zeros of given shapes
  (``meta_copy``, ``run_probe``, ``describe_output``);
- ``failures``: turn the error of a failed probe into a ``ProbeFailure``
  (``classify_failure``);
- ``consumers``: read the inlined forward (the IR walk's records) for the first
  op that consumes each input and the dict keys forward reads (``first_consumer``,
  ``dict_keys_read``).

Everything callers use is re-exported here, so ``from tsinspect.ir import
shapes; shapes.run_probe(...)`` keeps working. torch is imported only inside
functions.
"""

from __future__ import annotations

from tsinspect.ir.shapes.consumers import (
    Consumer,
    FixedLeadingDim,
    dict_keys_read,
    first_consumer,
    fixed_leading_dim,
)
from tsinspect.ir.shapes.failures import ProbeFailure, classify_failure
from tsinspect.ir.shapes.probes import (
    OutputValue,
    ProbeInput,
    ProbeResult,
    TensorValue,
    describe_output,
    meta_copy,
    run_probe,
)

__all__ = [
    "Consumer",
    "FixedLeadingDim",
    "OutputValue",
    "ProbeFailure",
    "ProbeInput",
    "ProbeResult",
    "TensorValue",
    "classify_failure",
    "describe_output",
    "dict_keys_read",
    "first_consumer",
    "fixed_leading_dim",
    "meta_copy",
    "run_probe",
]
