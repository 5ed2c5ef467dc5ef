"""Triton's rules for the PyTorch (libtorch) backend: config records, naming, dtypes, infer, validate.

Nothing here imports torch: the model side is reached through ``tsinspect.ir``,
whose modules import torch only inside their functions.
"""
