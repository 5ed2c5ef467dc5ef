"""TorchScript's type system, statically: what the linter knows about types without torch.

One module per responsibility (docs/dev/type-system.md):

- ``lattice``: the :class:`~.lattice.Type` values, their constructors, ``unify`` and ``fits``;
- ``annotations``: what an annotation or a ``# type:`` comment means;
- ``signatures``: a function's parameters and return type as TorchScript compiles them, and
  the same-file function a call reaches;
- ``attributes``: module attribute types from class-level annotations;
- ``library``: what torch's calls and Tensor members give (typed by ``schema_data``), and which
  arguments take ``None``;
- ``values``: literal, operator and subscript types, and the flow-insensitive expression types
  of the TS22x rules;
- ``static``: conditions TorchScript may decide while compiling;
- ``refinement``: conditions as refinement sets (``x is not None``...);
- ``flow``: the flow pass over one compiled function, and ``findings``, what it records;
- ``memo``: per-file memos of the above;
- ``schema_data``: the operator schemas, builtin tables and Tensor members of a torch release,
  shipped as package data (``schemas/torch-<major>.<minor>.json.gz``, written by
  ``scripts/gen_schemas.py``) and read without importing torch.
"""
