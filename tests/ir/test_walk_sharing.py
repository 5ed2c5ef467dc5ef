"""Submodule types with the same method text share one template: the walk is the same as
when every type's body is read on its own (ResNet-50: 80 bodies read -> 24)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

import build as fixture_build  # noqa: E402

import tsinspect.ir.walk.compose as compose  # noqa: E402
from tsinspect.ir.walk import GraphWalk, walk_module  # noqa: E402


def _facts(walk: GraphWalk) -> tuple[Any, ...]:
    return (
        walk.ops,
        walk.inputs,
        walk.outputs,
        walk.block_returns,
        walk.source_style,
        dict(walk.producers),
        dict(walk.value_names),
        dict(walk.value_types),
    )


def _same_walk_without_sharing(module: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = walk_module(module)
    with monkeypatch.context() as patch:
        patch.setattr(compose, "_sharing_key", lambda module, method: None)
        alone = walk_module(module)
    assert _facts(shared) == _facts(alone)


class _Block(torch.nn.Module):
    def __init__(self, channels: int, stride: int) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(channels, channels, 3, stride, 1)
        self.norm = torch.nn.BatchNorm2d(channels)
        self.scale = torch.nn.Parameter(torch.ones(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.norm(self.conv(x))) * self.scale


class _Stack(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = torch.nn.Conv2d(3, 8, 3)
        self.blocks = torch.nn.Sequential(
            _Block(8, 1), _Block(8, 2), _Block(8, 1), _Block(8, 2), _Block(8, 1)
        )
        self.offset = torch.nn.Linear(8, 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.blocks(self.stem(x)).mean((2, 3))
        return self.offset(y) + torch.tensor([1.0])  # a tensor constant: not shared


@pytest.mark.parametrize("name", fixture_build.fixture_names())
def test_fixture_walks_are_the_same_with_shared_templates(
    name: str, model_archive: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    if name == "custom_op_model":
        pytest.skip("needs its native library")
    _same_walk_without_sharing(torch.jit.load(str(model_archive(name))), monkeypatch)


@pytest.mark.parametrize("trace", [False, True])
def test_repeated_blocks_share_and_keep_their_sources(
    trace: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _Stack().eval()
    scripted = (
        torch.jit.trace(model, torch.zeros(1, 3, 20, 20)) if trace else torch.jit.script(model)
    )
    path = tmp_path / "stack.pt"
    scripted.save(str(path))
    _same_walk_without_sharing(torch.jit.load(str(path)), monkeypatch)
    if trace:  # each traced call's source is its own line of the user's model
        lines = {
            op.source_line
            for op in walk_module(torch.jit.load(str(path))).ops
            if op.kind == "aten::_convolution"
        }
        assert len(lines) >= 2


def test_identical_methods_are_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[object] = []
    real = compose._Composer.read_template

    def counted(self: Any, graph: Any) -> Any:
        read.append(graph)
        return real(self, graph)

    monkeypatch.setattr(compose._Composer, "read_template", counted)
    walk_module(torch.jit.script(_Stack().eval()))
    shared = len(read)
    read.clear()
    monkeypatch.setattr(compose, "_sharing_key", lambda module, method: None)
    walk_module(torch.jit.script(_Stack().eval()))
    assert shared < len(read)


class _FourCalls(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = torch.nn.Conv2d(4, 4, 3, padding=1)
        self.b = torch.nn.Conv2d(4, 4, 3, padding=1)
        self.c = torch.nn.Conv2d(4, 4, 3, padding=1)
        self.d = torch.nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.a(x)
        x = self.b(x)
        x = self.c(x)
        return self.d(x)


def test_traced_copies_keep_the_line_that_called_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Traced convs run the same code (the graph text shows torch's conv.py line for each,
    and ``b``'s and ``c``'s texts are the same) but were called from their own lines of the
    model: each keeps its own."""
    path = tmp_path / "four.pt"
    torch.jit.trace(_FourCalls().eval(), torch.zeros(1, 4, 8, 8)).save(str(path))
    module = torch.jit.load(str(path))
    modules = dict(module.named_modules())
    assert compose._sharing_key(modules["b"]._c, "forward") == compose._sharing_key(
        modules["c"]._c, "forward"
    )
    lines = [op.source_line for op in walk_module(module).ops if op.kind == "aten::_convolution"]
    assert len(lines) == 4 and len(set(lines)) == 4
    _same_walk_without_sharing(module, monkeypatch)


class _UnreadableSource:
    """A node or graph whose source text torch cannot decode (a damaged debug_pkl's string
    table offsets can cut a character in two: the archive fuzzer found one)."""

    def sourceRange(self) -> str:  # torch's name
        raise UnicodeDecodeError("utf-8", b"\x80", 0, 1, "invalid start byte")

    def __str__(self) -> str:
        raise UnicodeDecodeError("utf-8", b"\x80", 0, 1, "invalid start byte")


class _ModuleWithUnreadableGraph:
    def _get_method(self, name: str) -> Any:
        class Method:
            graph = _UnreadableSource()

        return Method()


def test_undecodable_source_text_is_no_source_not_a_crash() -> None:
    from tsinspect.ir.walk.flat import _Walker

    assert _Walker().source_of(_UnreadableSource()) == (None, None, "none")
    assert compose._sharing_key(_ModuleWithUnreadableGraph(), "forward") is None
