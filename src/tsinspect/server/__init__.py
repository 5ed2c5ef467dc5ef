"""``tsinspect server``: the language server (LSP over stdio, on pygls).

It shows ``check``'s findings as you type, offers ``--fix``'s fixes as code actions, and
says on hover what type TorchScript gives a name and whether its function is compiled. It
reuses the linter's project index, type system and cache (:mod:`tsinspect.lint`), never
imports torch, and needs the ``server`` extra (``pip install 'tsinspect[server]'``).

- :mod:`.project`: one workspace's index, program facts and open buffers; what an edit
  re-checks. No LSP in it.
- :mod:`.app`: the protocol: debounced diagnostics, code actions, hover, settings reloads.
- :mod:`.convert`, :mod:`.actions`, :mod:`.hover`: records to LSP, code actions, the hover.
"""
