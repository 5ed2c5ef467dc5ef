"""Infer a pytorch_libtorch config.pbtxt from a TorchScript model alone.

The package is split along its jobs (docs/triton.md explains each rule):

- ``assemble``: ``infer_model_config``, the steps from a signature to a checked config;
- ``records``: what goes in and out (``Overrides``, ``ConfigOptions``,
  ``InferenceResult``) and the per-input state in between;
- ``templates``: dtype and shape templates from an input's first consumer;
- ``solved``: the symbolic solver's answer as a config, confirmed by one forward;
- ``search``: the probing search for free dims and the batching decision;
- ``outputs``: output configs, and the output checks ``validate`` borrows
  (``output_mismatches``);
- ``parts``: input configs, options, names and the summary.

Nothing here imports torch; ``tsinspect.ir.shapes`` does the running.
"""

from __future__ import annotations

from tsinspect.triton.infer.assemble import infer_model_config
from tsinspect.triton.infer.outputs import OutputMismatch, output_mismatches
from tsinspect.triton.infer.records import (
    BATCH_PROBES,
    FLEXIBLE_SIZES,
    ConfigOptions,
    InferenceResult,
    Overrides,
)

__all__ = [
    "BATCH_PROBES",
    "FLEXIBLE_SIZES",
    "ConfigOptions",
    "InferenceResult",
    "OutputMismatch",
    "Overrides",
    "infer_model_config",
    "output_mismatches",
]
