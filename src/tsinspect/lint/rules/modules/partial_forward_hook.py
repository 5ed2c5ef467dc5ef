"""TS315 partial-forward-hook."""

from __future__ import annotations

import libcst as cst

from tsinspect.lint.calls import values_bound_to
from tsinspect.lint.rule import Invalid, Rule, Valid

_REGISTRATIONS = frozenset({"register_forward_hook", "register_forward_pre_hook"})
_PARTIAL = "functools.partial"


class PartialForwardHookRule(Rule):
    """## What it does
    Reports `module.register_forward_hook(hook)` and `register_forward_pre_hook(hook)` where
    `hook` is a `functools.partial(...)`, or a local bound only to one. The finding is on the
    registration, wherever it runs (often in `__init__`, or in a helper class such as timm's
    `FeatureHooks`): that is the line the user can change.

    ## Why is this bad?
    `torch.jit.script` compiles a module's forward hooks and pre-hooks with the module, and
    looks each one up by its `__name__` (`pytorch@v2.13.0:torch/jit/_recursive.py`,
    `get_hook_stubs`). A `partial` object has no `__name__`: scripting the module, or any model
    that contains it, fails with "AttributeError: 'functools.partial' object has no attribute
    '__name__'", an error that names no line (timm's `FeatureHookNet`, every
    `features_only=True` model that uses it).

    ## Example
    ```python
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Linear(4, 4)
        self.body.register_forward_hook(functools.partial(keep, "body"))
    ```

    ## Use instead
    ```python
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Linear(4, 4)
        self.body.register_forward_hook(keep_body)  # a def, annotated for TorchScript
    ```
    """

    code = "TS315"
    name = "partial-forward-hook"
    # The registration is Python that TorchScript never compiles; the failure comes later.
    compiled_only = False
    message = "TorchScript cannot script a module with a functools.partial forward hook"
    fix_hint = (
        "Register a def (TorchScript compiles hooks by name), or remove the hook before scripting"
    )

    VALID = (
        Valid(
            """
            from typing import Tuple

            import torch
            from torch import nn


            def keep(module: nn.Module, args: Tuple[torch.Tensor], output: torch.Tensor) -> None:
                pass


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.body = nn.Linear(4, 4)
                    self.body.register_forward_hook(keep)

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self.body(x)
            """,
            label="named-hook",
        ),
    )
    INVALID = (
        Invalid(
            """
            import functools
            from typing import Tuple

            import torch
            from torch import nn


            def keep(name: str, module: nn.Module, args: Tuple[torch.Tensor], output: torch.Tensor) -> None:
                pass


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.body = nn.Linear(4, 4)
                    self.body.register_forward_hook(functools.partial(keep, "body"))

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self.body(x)
            """,
            label="partial-call",
            error_has_line=False,
            line=16,
            message="TorchScript cannot script a module with a functools.partial forward hook: the hook has no __name__",
        ),
        Invalid(
            """
            from functools import partial
            from typing import Tuple

            import torch
            from torch import nn


            def keep(name: str, module: nn.Module, args: Tuple[torch.Tensor]) -> None:
                pass


            class Model(nn.Module):
                def __init__(self) -> None:
                    super().__init__()
                    self.body = nn.Linear(4, 4)
                    hook_fn = partial(keep, "body")
                    self.body.register_forward_pre_hook(hook_fn)

                def forward(self, x: torch.Tensor) -> torch.Tensor:
                    return self.body(x)
            """,
            label="partial-in-a-local",
            error_has_line=False,
            line=17,
            message="TorchScript cannot script a module with a functools.partial forward hook: `hook_fn` is a partial, which has no __name__",
        ),
    )

    def _is_partial(self, node: cst.BaseExpression) -> bool:
        return isinstance(node, cst.Call) and self.context.matches(node.func, _PARTIAL)

    def _bound_to_partial(self, node: cst.Name) -> bool:
        """Every binding of the local is ``name = functools.partial(...)``."""
        values = values_bound_to(self.context, node)
        return values is not None and all(self._is_partial(value) for value in values)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in _REGISTRATIONS:
            return
        hook = next(
            (
                arg.value
                for arg in node.args
                if (arg.keyword is None and not arg.star)
                or (arg.keyword is not None and arg.keyword.value == "hook")
            ),
            None,
        )
        if hook is None:
            return
        if self._is_partial(hook):
            self.report(node, f"{self.message}: the hook has no __name__")
        elif isinstance(hook, cst.Name) and self._bound_to_partial(hook):
            self.report(node, f"{self.message}: `{hook.value}` is a partial, which has no __name__")
