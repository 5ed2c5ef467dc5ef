"""Where the TS5xx rules stop: lookalikes they must not report, and the TS501 edit's guard patterns.

The oracle examples (test_rule_examples.py) prove each rule against the real torch; these
cases pin the scoping decisions that an example cannot show because the code never compiles
or would fail for another reason. No torch needed.
"""

from __future__ import annotations

import textwrap

from tsinspect.api.check import check_source


def _codes(source: str, prefix: str = "TS5") -> list[tuple[str, int]]:
    diagnostics = check_source(textwrap.dedent(source), path="model.py")
    return [(d.code, d.line) for d in diagnostics if d.code.startswith(prefix)]


def test_ignore_on_forward_of_a_plain_class_is_not_reported() -> None:
    source = """\
        import torch


        class Runner:
            @torch.jit.ignore
            def forward(self, x: torch.Tensor) -> torch.Tensor:
                return x
        """
    assert _codes(source) == []


def test_unused_call_under_training_conjunction_is_not_reported() -> None:
    source = """\
        import torch
        from torch import nn


        class Model(nn.Module):
            def forward(self, x: torch.Tensor) -> torch.Tensor:
                if self.training and x.dim() == 2:
                    x = self.aux(x)
                return x if not self.training else self.aux(x)

            @torch.jit.unused
            def aux(self, x: torch.Tensor) -> torch.Tensor:
                return x
        """
    assert _codes(source) == []


def test_unused_call_in_eval_branch_is_reported() -> None:
    source = """\
        import torch
        from torch import nn


        class Model(nn.Module):
            def forward(self, x: torch.Tensor) -> torch.Tensor:
                if not self.training:
                    return self.aux(x)
                return x

            @torch.jit.unused
            def aux(self, x: torch.Tensor) -> torch.Tensor:
                return x
        """
    assert _codes(source) == [("TS508", 8)]


def test_ignored_method_of_a_submodule_is_not_resolved() -> None:
    # `self.head.log` is another module's method: unknown here, so not reported.
    source = """\
        import torch
        from torch import nn


        class Model(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.head = nn.Identity()

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                self.head.log(x)
                return x

            @torch.jit.ignore
            def log(self, x: torch.Tensor) -> None:
                print(x)
        """
    assert _codes(source) == []


def test_none_default_edit_after_early_return_guard() -> None:
    source = """\
        import torch
        from torch import nn


        class Model(nn.Module):
            def forward(self, x: torch.Tensor, mask=None) -> torch.Tensor:
                if mask is None:
                    return x
                return x * mask
        """
    (diagnostic,) = [
        d for d in check_source(textwrap.dedent(source), path="m.py") if d.code == "TS501"
    ]
    assert diagnostic.fix is not None
    assert [e.replacement for e in diagnostic.fix.edits] == [
        "from typing import Optional\n",
        "mask: Optional[torch.Tensor] = None",
    ]


def test_none_default_used_before_its_guard_gets_no_edit() -> None:
    source = """\
        import torch
        from torch import nn


        class Model(nn.Module):
            def forward(self, x: torch.Tensor, mask=None) -> torch.Tensor:
                y = x * mask
                if mask is None:
                    return x
                return y
        """
    (diagnostic,) = [
        d for d in check_source(textwrap.dedent(source), path="m.py") if d.code == "TS501"
    ]
    assert diagnostic.fix is not None and diagnostic.fix.edits == ()


def test_format_on_a_variable_template_is_not_reported() -> None:
    source = """\
        import torch
        from torch import nn


        class Model(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.template = "{:.2f}"

            def forward(self, x: torch.Tensor) -> str:
                return self.template.format(float(x.sum()))
        """
    assert _codes(source) == []
