"""TS501 none-default-without-optional."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from tsinspect.diagnostics import Edit, Severity, Span
from tsinspect.lint.fix import import_edits
from tsinspect.lint.rule import Invalid, Phase, Rule, Stage, Valid
from tsinspect.lint.traversal import walk
from tsinspect.lint.types.annotations import NO_TYPE_LINE, type_line
from tsinspect.lint.types.signatures import Parameter, parameters


class NoneDefaultRule(Rule):
    """## What it does
    Reports a parameter of a compiled function that defaults to `None` but has no
    annotation (`def forward(self, x, mask=None)`).

    ## Why is this bad?
    TorchScript types an unannotated parameter as `Tensor`, even when its default is
    `None`. The function scripts, but the default becomes an *undefined tensor*, `if mask is
    not None:` is folded to True, and a call that omits `mask` fails at run time ("Expected
    a proper Tensor but got None"); even when every call passes it, `torch.jit.save` fails
    ("strides() called on an undefined Tensor"). On a method called from
    `forward` with the argument omitted, scripting itself fails with "Unsupported value kind:
    Tensor" and no line.

    ## Example
    ```python
    def forward(self, x: torch.Tensor, mask=None) -> torch.Tensor:
        if mask is not None:
            x = x * mask
        return x
    ```

    ## Use instead
    ```python
    from typing import Optional

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        if mask is not None:
            x = x * mask
        return x
    ```

    ## Fix safety
    `tsinspect check --fix` applies this (and adds `from typing import Optional` when it is
    missing) when every use of the parameter is a `None` check or is guarded by one
    (`if mask is not None:` around it, or an earlier `if mask is None:` that returns, raises
    or assigns `mask`). Otherwise it only reports: the parameter may not be a tensor at all,
    so annotate it by hand (`Optional[int] = None`...).
    """

    code = "TS501"
    function_local = True
    name = "none-default-without-optional"
    fixable = True
    message = "Unannotated parameter with default `None` is typed `Tensor` by TorchScript"
    fix_hint = (
        "Annotate it: `name: Optional[torch.Tensor] = None` (or the Optional of its real type)"
    )
    severity = Severity.WARNING
    phase = Phase.SEMANTIC

    VALID = (
        Valid(
            """
            from typing import Optional

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
                    if mask is not None:
                        x = x * mask
                    return self.scale(x)

                def scale(self, x: torch.Tensor, factor: Optional[float] = None) -> torch.Tensor:
                    if factor is None:
                        return x
                    return x * factor

                def load(self, path=None) -> None:
                    print(path)
            """,
            label="annotated-and-unreached",
        ),
        Valid(
            """
            from typing import Optional

            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x, mask=None):
                    # type: (torch.Tensor, Optional[torch.Tensor]) -> torch.Tensor
                    if mask is not None:
                        x = x * mask
                    return x
            """,
            label="signature-comment",
        ),
    )
    INVALID = (
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor, mask=None) -> torch.Tensor:
                    if mask is not None:
                        x = x * mask
                    return x
            """,
            line=6,
            fails_at=Stage.RUN,
            label="forward-mask",
            message="Unannotated parameter with default `None` is typed `Tensor` by TorchScript: `mask=None`",
            fixed="""
            from typing import Optional
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
                    if mask is not None:
                        x = x * mask
                    return x
            """,
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor, mask=None) -> torch.Tensor:
                    if mask is not None:
                        x = x * mask
                    return x


            def example_inputs():
                return (torch.randn(2, 4), torch.ones(2, 4))
            """,
            line=6,
            fails_at=Stage.SAVE,
            label="forward-mask-always-passed",
            message="Unannotated parameter with default `None` is typed `Tensor` by TorchScript: `mask=None`",
            fixed="""
            from typing import Optional
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
                    if mask is not None:
                        x = x * mask
                    return x


            def example_inputs():
                return (torch.randn(2, 4), torch.ones(2, 4))
            """,
        ),
        Invalid(
            """
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self.weighted(x)

                def weighted(self, x: torch.Tensor, weight=None) -> torch.Tensor:
                    if weight is None:
                        weight = torch.ones_like(x)
                    return x * weight
            """,
            line=9,
            error_has_line=False,
            label="helper-called-without-it",
            message="Unannotated parameter with default `None` is typed `Tensor` by TorchScript: `weight=None`",
            fixed="""
            from typing import Optional
            import torch
            from torch import nn


            class Model(nn.Module):
                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self.weighted(x)

                def weighted(self, x: torch.Tensor, weight: Optional[torch.Tensor] = None) -> torch.Tensor:
                    if weight is None:
                        weight = torch.ones_like(x)
                    return x * weight
            """,
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self.context.is_compiled_def(node):
            return
        params = node.params
        commented: dict[str, Parameter] = {}
        if type_line(self.context, node) != NO_TYPE_LINE:
            # A `# type: (...) -> ...` comment types the parameters (TS225 when unreadable).
            declared = parameters(self.context, node)
            if declared is None:
                return
            commented = {p.name: p for p in declared if p.source == "comment"}
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            default = param.default
            if param.annotation is not None or not (
                isinstance(default, cst.Name) and default.value == "None"
            ):
                continue
            name = param.name.value
            message = f"{self.message}: `{name}=None`"
            if name in commented:
                typed = commented[name].type
                if typed is not None and typed.name not in ("Optional", "None"):
                    # typed by the comment: an annotation would not change it
                    self.report(
                        param,
                        f"{message} (the signature comment types it `{typed}`)",
                        fix_hint="Type it `Optional[...]` in the signature comment",
                    )
                continue
            if not _only_guarded_uses(node, name):
                self.report(param, message)
                continue
            optional_edits, optional = import_edits(self.context, "typing", "Optional")
            tensor_edits, tensor = import_edits(self.context, "torch", "Tensor")
            # The param's own range is its name only: replace from the name to the end of `None`.
            start = self.context.position(param.name).start
            end = self.context.position(default).end
            edit = Edit(
                Span(start.line, start.column + 1, end.line, end.column + 1),
                f"{name}: {optional}[{tensor}] = None",
            )
            self.report(
                param,
                message,
                fix_hint=f"Annotate it: `{name}: Optional[torch.Tensor] = None`",
                edits=[*optional_edits, *tensor_edits, edit],
            )


def _is_none_check(node: cst.BaseExpression, name: str, negated: bool) -> bool:
    """``name is None`` (``negated=False``) or ``name is not None`` (``negated=True``)."""
    if not isinstance(node, cst.Comparison) or len(node.comparisons) != 1:
        return False
    target = node.comparisons[0]
    operator = cst.IsNot if negated else cst.Is
    left, right = node.left, target.comparator
    return isinstance(target.operator, operator) and {_plain(left), _plain(right)} == {name, "None"}


def _plain(node: cst.BaseExpression) -> str | None:
    return node.value if isinstance(node, cst.Name) else None


def _conjuncts(test: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        yield from _conjuncts(test.left)
        yield from _conjuncts(test.right)
    else:
        yield test


def _refines(test: cst.BaseExpression, name: str) -> bool:
    """The ``if`` body runs only when ``name`` is not None."""
    return any(_is_none_check(part, name, negated=True) for part in _conjuncts(test))


def _sets_or_leaves(block: cst.BaseSuite, name: str) -> bool:
    """An ``if name is None:`` body that returns, raises, or assigns ``name``."""
    statements = block.body
    if not statements:
        return False
    for statement in statements:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Return | cst.Raise):
                    return True
                if isinstance(small, cst.Assign) and any(
                    isinstance(t.target, cst.Name) and t.target.value == name for t in small.targets
                ):
                    return True
    return False


class _Uses(cst.CSTVisitor):
    """Checks every read of ``name`` in a function body is a None check or guarded by one."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.guard = 0
        self.unguarded = False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Comparison(self, node: cst.Comparison) -> bool:
        return not (_is_none_check(node, self.name, True) or _is_none_check(node, self.name, False))

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        walk(node.value, self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        walk(node.value, self)
        return False

    def visit_AssignTarget(self, node: cst.AssignTarget) -> bool:
        return not (isinstance(node.target, cst.Name) and node.target.value == self.name)

    def visit_Name(self, node: cst.Name) -> bool:
        if node.value == self.name and self.guard == 0:
            self.unguarded = True
        return False

    def visit_If(self, node: cst.If) -> bool:
        walk(node.test, self)
        if _refines(node.test, self.name):
            self.guard += 1
            walk(node.body, self)
            self.guard -= 1
        else:
            walk(node.body, self)
        if node.orelse is not None:
            if _is_none_check(node.test, self.name, negated=False):
                self.guard += 1
                walk(node.orelse, self)
                self.guard -= 1
            else:
                walk(node.orelse, self)
        return False

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> bool:
        guarded_from_here = False
        for statement in node.body:
            walk(statement, self)
            if (
                not guarded_from_here
                and isinstance(statement, cst.If)
                and statement.orelse is None
                and _is_none_check(statement.test, self.name, negated=False)
                and _sets_or_leaves(statement.body, self.name)
            ):
                # after `if name is None: name = ...` (or return/raise), name is a Tensor
                guarded_from_here = True
                self.guard += 1
        if guarded_from_here:
            self.guard -= 1
        return False


def _only_guarded_uses(function: cst.FunctionDef, name: str) -> bool:
    uses = _Uses(name)
    walk(function.body, uses)
    return not uses.unguarded
