"""TorchScript's type system, statically: what the linter knows about types without torch.

``schema_data``: the operator schemas, builtin tables and Tensor members of a torch release,
shipped as package data (``schemas/torch-<major>.<minor>.json.gz``, written by
``scripts/gen_schemas.py``) and read without importing torch.
"""
