"""Pure renderers: data in, text out. No I/O, no torch, no lint imports.

``text`` (ruff-like, for people), ``json_format`` (stable schema, docs/json.md), ``sarif``
(SARIF 2.1.0 for GitHub code scanning) and ``github`` (workflow annotations) all take
:class:`tsinspect.diagnostics.Diagnostic` records.
"""
