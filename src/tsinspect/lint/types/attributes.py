"""The type TorchScript gives a module attribute (``self.<name>``) from class-level annotations."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.classes import class_facts, is_final
from tsinspect.lint.reach import ClassInfo
from tsinspect.lint.rule import LintContext
from tsinspect.lint.types.annotations import annotation_type
from tsinspect.lint.types.lattice import Type
from tsinspect.lint.types.memo import file_memo


def attribute_type(context: LintContext, owner: ClassInfo, name: str) -> Type | None:
    """The type TorchScript gives ``self.<name>`` from a class-level annotation, or None.

    TorchScript reads the annotations of the first class in the instance's MRO that has
    any (torch/jit/_recursive.py ``get_annotations``): a subclass with annotations of its own
    hides its bases'. The answer must agree for ``owner`` and its same-file subclasses (a
    method may be compiled for any of them). ``Final`` and ``__constants__`` attributes are
    constants (unknown here), and so is everything in a class the source cannot follow.
    """
    cache: dict[tuple[str, str], Type | None] = file_memo(context, "attributes")
    key = (owner.name, name)
    if key in cache:
        return cache[key]
    cache[key] = None
    facts = class_facts(context, owner)
    if facts.opaque or name in facts.constants:
        return None
    found: set[Type | None] = set()
    for concrete in _concrete_classes(context, owner):
        annotations = _class_annotations(concrete)
        if annotations is None:
            return None
        annotation = annotations.get(name)
        if annotation is None or is_final(context, annotation):
            return None
        found.add(annotation_type(context, annotation))
    result = found.pop() if len(found) == 1 else None
    cache[key] = result
    return result


def _concrete_classes(context: LintContext, owner: ClassInfo) -> list[ClassInfo]:
    return [owner, *(other for other in context.reach.subclasses(owner) if other is not owner)]


def _class_annotations(info: ClassInfo) -> dict[str, cst.Annotation] | None:
    """The annotations TorchScript reads for an instance of ``info``; None when a base from
    another file may hold them."""
    for member in info.mro():
        own: dict[str, cst.Annotation] = {}
        body = member.node.body
        if isinstance(body, cst.IndentedBlock):
            for item in body.body:
                if isinstance(item, cst.SimpleStatementLine):
                    for small in item.body:
                        if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                            own[small.target.value] = small.annotation
        if own:
            return own
        if member.has_other_bases:
            return None
    return {}
