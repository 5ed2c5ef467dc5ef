"""What counts as compiled code, and the reach path each finding carries.

These run the linter only (no torch): the behaviour each case pins down was measured with
the real torch.jit.script (see the rule examples, which the tests run through it).
"""

from __future__ import annotations

import textwrap

import pytest

from tsinspect.api.check import check_source
from tsinspect.settings import Settings

# A lambda is the simplest syntax finding (TS101); a print with keywords (TS120) is semantic.
ONLY_SYNTAX = Settings(select=("TS101", "TS105", "TS115", "TS120"))


def findings(source: str, settings: Settings = ONLY_SYNTAX) -> list[tuple[str, int, str]]:
    """(code, line, reach text) of every finding in ``source`` (dedented)."""
    diagnostics = check_source(textwrap.dedent(source).lstrip("\n"), "model.py", settings)
    return [(d.code, d.line, d.reach_text) for d in diagnostics]


@pytest.mark.parametrize(
    ("imports", "base"),
    [
        ("import torch\nfrom torch import nn", "nn.Module"),
        ("import torch\nimport torch.nn as tnn", "tnn.Module"),
        ("import torch\nfrom torch.nn import Module as Base", "Base"),
        ("import torch", "torch.nn.Module"),
        ("import torch\nfrom torch import nn", "nn.Sequential"),
    ],
)
def test_module_found_under_any_alias(imports: str, base: str) -> None:
    source = f"{imports}\n\nclass Net({base}):\n    def forward(self, x):\n        return (lambda v: v)(x)\n"
    assert findings(source) == [("TS101", 6 + imports.count("\n") - 1, "Net.forward")]


def test_class_not_derived_from_module_is_not_compiled() -> None:
    source = """
    import torch

    class Helper:
        def forward(self, x):
            return (lambda v: v)(x)
    """
    assert findings(source) == []


def test_subclass_of_same_file_module_and_overridden_method() -> None:
    source = """
    import torch
    from torch import nn

    class Base(nn.Module):
        def forward(self, x):
            return self.head(x)

        def head(self, x):
            return x

    class Child(Base):
        def head(self, x):
            f = lambda v: v
            return f(x)
    """
    # Base.forward compiled for Child calls Child.head.
    assert findings(source) == [("TS101", 13, "Base.forward -> Child.head")]


def test_unreachable_method_and_function_are_not_flagged() -> None:
    source = """
    import torch
    from torch import nn

    def unused_helper(x):
        return (lambda v: v)(x)

    class Net(nn.Module):
        def forward(self, x):
            return x

        def debug(self, x):
            return (lambda v: v)(x)
    """
    assert findings(source) == []


def test_reached_functions_and_shortest_path() -> None:
    source = """
    import torch
    from torch import nn

    def leaf(x):
        return (lambda v: v)(x)

    def middle(x):
        return leaf(x)

    class Net(nn.Module):
        def forward(self, x):
            return middle(x) + self._direct(x)

        def _direct(self, x):
            return self._deeper(x)

        def _deeper(self, x):
            return leaf(x)
    """
    # leaf is reachable through middle and through _direct -> _deeper: one finding, the shorter path.
    assert findings(source) == [("TS101", 5, "Net.forward -> middle -> leaf")]


def test_export_property_and_unused_properties() -> None:
    source = """
    import torch
    from torch import nn

    class Net(nn.Module):
        __jit_unused_properties__ = ["debug_view"]

        def forward(self, x):
            return x

        @torch.jit.export
        def encode(self, x):
            return (lambda v: v)(x)

        @property
        def scale(self):
            return (lambda: 2)()

        @property
        def debug_view(self):
            return (lambda: 3)()
    """
    assert findings(source) == [("TS101", 12, "Net.encode"), ("TS101", 16, "Net.scale")]


def test_ignored_and_unused_functions_are_skipped() -> None:
    source = """
    import torch
    from torch import nn
    from torch.jit import ignore

    class Net(nn.Module):
        def forward(self, x):
            return self.a(x) + self.b(x) + self.c(x)

        @torch.jit.ignore
        def a(self, x):
            return (lambda v: v)(x)

        @torch.jit.unused
        def b(self, x):
            return (lambda v: v)(x)

        @ignore(drop=True)
        def c(self, x):
            return (lambda v: v)(x)
    """
    assert findings(source) == []


def test_hooks_registered_in_init() -> None:
    source = """
    import torch
    from torch import nn

    def log_output(module, inputs, output):
        return (lambda v: v)(output)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)
            self.register_forward_pre_hook(self._check)
            self.fc.register_forward_hook(log_output)

        def _check(self, module, inputs):
            return (lambda v: v)(inputs)

        def forward(self, x):
            return self.fc(x)
    """
    assert findings(source) == [("TS101", 5, "log_output"), ("TS101", 15, "Net._check")]


def test_script_functions_classes_and_calls() -> None:
    source = """
    import torch

    @torch.jit.script
    def decorated(x):
        return (lambda v: v)(x)

    def passed(x):
        return (lambda v: v)(x)

    scripted = torch.jit.script(passed)

    class Point:
        def __init__(self, x: torch.Tensor) -> None:
            self.x = (lambda v: v)(x)

    @torch.jit.script
    def uses_point(x):
        return Point(x).x
    """
    assert findings(source) == [
        ("TS101", 5, "decorated"),
        ("TS101", 8, "passed"),
        ("TS101", 14, "uses_point -> Point.__init__"),
    ]


def test_static_and_class_methods_reached() -> None:
    source = """
    import torch
    from torch import nn

    class Net(nn.Module):
        def forward(self, x):
            return self.scale(x) + Net.shift(x)

        @staticmethod
        def scale(x):
            return (lambda v: v)(x)

        @staticmethod
        def shift(x):
            return (lambda v: v)(x)
    """
    assert findings(source) == [
        ("TS101", 10, "Net.forward -> Net.scale"),
        ("TS101", 14, "Net.forward -> Net.shift"),
    ]


def test_is_scripting_guards_hide_semantic_but_not_syntax_findings() -> None:
    source = """
    import torch
    from torch import nn

    class Net(nn.Module):
        def forward(self, x, flag: bool = True):
            if not torch.jit.is_scripting() and flag:
                print("eager", flush=True)
                y = (lambda v: v)(x)
            if torch.jit.is_scripting():
                pass
            else:
                print("eager", flush=True)
            z = x if torch.jit.is_scripting() else self._eager(x)
            print("always", flush=True)
            return x

        def _eager(self, x):
            print("only from a pruned branch", flush=True)
            return x
    """
    # The lambda (syntax) is reported inside the guard; the prints (semantic) only outside;
    # _eager is called only from a pruned arm, so it is not compiled at all.
    assert findings(source) == [("TS101", 8, "Net.forward"), ("TS120", 14, "Net.forward")]


def test_code_after_is_scripting_return_or_raise_is_pruned() -> None:
    source = """
    import torch
    from torch import nn

    class Net(nn.Module):
        def forward(self, x):
            if torch.jit.is_scripting():
                return x
            print("eager", flush=True)
            return x

        @torch.jit.export
        def other(self, x):
            for i in range(2):
                if torch.jit.is_scripting():
                    continue
                print("continue does not prune", flush=True)
            if torch.jit.is_scripting():
                raise RuntimeError("eager only")
            print("eager", flush=True)
            return x
    """
    # measured: code after `return`/`raise` in an is_scripting() branch is not compiled;
    # after `continue` it is.
    assert [f[:2] for f in findings(source)] == [("TS120", 16)]


def test_unknown_guard_prunes_nothing() -> None:
    source = """
    import torch
    from torch import nn

    class Net(nn.Module):
        def forward(self, x, flag: bool = True):
            if not torch.jit.is_scripting() or flag:
                print("maybe", flush=True)
            if torch.jit.is_tracing():
                print("tracing", flush=True)
            return x
    """
    assert [f[:2] for f in findings(source)] == [("TS120", 7), ("TS120", 9)]


def test_local_name_shadowing_a_function_is_not_followed() -> None:
    source = """
    import torch
    from torch import nn

    def helper(x):
        return (lambda v: v)(x)

    class Net(nn.Module):
        def forward(self, x, helper: int = 1):
            return x * helper
    """
    assert findings(source) == []


def test_signature_rule_only_for_compiled_defs() -> None:
    source = """
    import torch
    from torch import nn

    class Net(nn.Module):
        def forward(self, x):
            return x

        def configure(self, *args, **kwargs):
            return args
    """
    assert findings(source) == []


def test_abstract_forward_stub_is_not_a_root() -> None:
    source = """
    import torch
    from torch import nn

    class Base(nn.Module):
        def forward(self, *args, **kwargs):
            \"\"\"Subclasses implement this.\"\"\"
            raise NotImplementedError

    class Net(Base):
        def forward(self, x, **kwargs):
            return x
    """
    assert findings(source) == [("TS115", 10, "Net.forward")]


def test_lightning_module_is_a_module() -> None:
    source = """
    import lightning.pytorch as pl

    import torch

    class Net(pl.LightningModule):
        def forward(self, x):
            return (lambda v: v)(x)
    """
    assert findings(source) == [("TS101", 7, "Net.forward")]
