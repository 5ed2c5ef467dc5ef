"""The hover's facts: TorchScript's type for a name, whether its function is compiled, and how."""

from __future__ import annotations

import textwrap

from tsinspect.server.hover import HoverInfo, hover_at

SOURCE = textwrap.dedent(
    """\
    from typing import Optional

    import torch
    from torch import nn


    class Net(nn.Module):
        scale: Optional[torch.Tensor]

        def __init__(self) -> None:
            super().__init__()
            self.scale = None

        def forward(self, x, mask: Optional[torch.Tensor] = None):
            s = self.scale
            if s is not None:
                x = x * s
            return self._head(x, mask)

        def _head(self, z: torch.Tensor, mask: Optional[torch.Tensor]) -> torch.Tensor:
            if mask is None:
                return z
            return z * mask


    def plain(a):
        return a
    """
)


def hover(line: int, word: str, nth: int = 0) -> HoverInfo:
    """The hover on the ``nth`` occurrence of ``word`` on ``line`` (1-based)."""
    text = SOURCE.splitlines()[line - 1]
    column = -1
    for _ in range(nth + 1):
        column = text.index(word, column + 1)
    found = hover_at(SOURCE, "net.py", None, line, column + 1)
    assert found is not None
    assert found.name == word
    return found


def test_unannotated_parameter_is_an_inferred_tensor() -> None:
    found = hover(14, "x")
    assert found.type_text == "Tensor (inferred: unannotated parameter)"
    assert found.compiled and found.reach == ("Net.forward",)


def test_optional_is_refined_by_a_none_check() -> None:
    assert hover(15, "s").type_text == "Optional[Tensor]"
    assert hover(15, "scale").type_text == "Optional[Tensor]"  # the class annotation
    assert hover(17, "s", nth=0).type_text == "Tensor"  # inside `if s is not None:`
    assert hover(23, "mask").type_text == "Tensor"  # after `if mask is None: return`


def test_reach_path_through_a_method_call() -> None:
    found = hover(23, "z")
    assert found.compiled
    assert found.reach == ("Net.forward", "Net._head")
    assert "Net.forward` → `Net._head" in found.markdown()


def test_plain_function_is_not_compiled() -> None:
    found = hover(27, "a")
    assert not found.compiled
    assert "not compiled" in found.markdown()


def test_outside_functions_and_unparsable_text_give_nothing() -> None:
    assert hover_at(SOURCE, "net.py", None, 3, 8) is None  # `import torch`
    assert hover_at(SOURCE + "\ndef (:\n", "net.py", None, 14, 26) is None
