"""The lint rules, one package per family and one module per rule, named like the rule.

Every ``Rule`` subclass with a ``code`` defined in a module below is registered
automatically (:mod:`tsinspect.lint.registry`); a family's shared helpers live beside its
rules, and :mod:`.conservative` holds the base class the semantic families share.
"""
