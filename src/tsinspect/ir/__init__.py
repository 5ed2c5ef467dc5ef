"""The model side: reading TorchScript archives.

The only package that imports torch, and only inside functions, so importing
``tsinspect.ir`` stays cheap. ``archive`` recognises files before loading,
``walk`` is the only code touching ``torch._C`` (graph -> frozen records and a
networkx graph), ``signature`` reads forward's types, ``findings`` turns the
records into TS6xx diagnostics.
"""
