"""The torch oracle for rule examples: what the real torch does with one example file.

An example is a whole module written to a temporary ``.py`` file (so ``inspect.getsource``
works) and imported under a unique name. Its entry point, by convention:

- ``build()`` returning an ``nn.Module``, else
- a ``Model`` ``nn.Module`` class, constructed with no arguments, else
- a function ``fn``, usually decorated with ``@torch.jit.script`` (which scripts at import).

Inputs come from the example's ``example_inputs()`` (a tuple, or one value), by default
``(torch.randn(2, 4),)``; the seed is reset before every call so every run sees the same data.

Stages, in order; the first that fails is the outcome's ``stage``:
script -> run (in process) -> match (vs eager) -> save -> load -> run (reloaded) -> match.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import torch

from tsinspect.lint.rule import Stage

_FILE_LINE = re.compile(r'File "(?P<path>[^"]+)", line (?P<line>\d+)')
_PATH_LINE = re.compile(r"(?P<path>[^\s:\"']+\.py):(?P<line>\d+)")


class BadExample(Exception):
    """The example itself is broken (eager run fails, no entry point...), not TorchScript."""


@dataclass(frozen=True)
class Outcome:
    """What torch did: the first failing stage (None: all passed), its error and the lines it names."""

    stage: Stage | None
    error: str = ""
    error_lines: tuple[int, ...] = ()


def error_lines(text: str, path: Path) -> tuple[int, ...]:
    """Lines of ``path`` named in an error text, in order of appearance."""
    target = str(path)
    found: list[tuple[int, int]] = []
    for pattern in (_FILE_LINE, _PATH_LINE):
        for match in pattern.finditer(text):
            if match.group("path") == target:
                found.append((match.start(), int(match.group("line"))))
    return tuple(line for _, line in sorted(found))


def _import(path: Path, module_name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def _inputs(module: ModuleType) -> tuple[Any, ...]:
    torch.manual_seed(0)
    factory = getattr(module, "example_inputs", None)
    if factory is None:
        return (torch.randn(2, 4),)
    value = factory()
    return value if isinstance(value, tuple) else (value,)


def _build(module: ModuleType) -> Any:
    torch.manual_seed(0)
    if hasattr(module, "build"):
        return module.build()
    if hasattr(module, "Model"):
        return module.Model()
    if hasattr(module, "fn"):
        return module.fn
    raise BadExample("the example defines none of build(), Model, fn")


def same(a: Any, b: Any) -> bool:
    """Equal outputs: tensors by shape, dtype, values (NaN-aware) and requires_grad; containers recursively."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)):
            return False
        if a.shape != b.shape or a.dtype != b.dtype or a.requires_grad != b.requires_grad:
            return False
        if a.dtype.is_floating_point or a.dtype.is_complex:
            return bool(torch.allclose(a.detach(), b.detach(), equal_nan=True))
        return bool(torch.equal(a, b))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return bool(a == b) and type(a) is type(b)


def _through_torch_jit(error: BaseException) -> bool:
    frames = traceback.extract_tb(error.__traceback__)
    return any("/torch/" in frame.filename for frame in frames)


def run_example(source: str, path: Path, module_name: str) -> Outcome:
    """Write ``source`` to ``path``, import it as ``module_name`` and take it through every stage."""
    path.write_text(source, encoding="utf-8")

    def fail(stage: Stage, error: BaseException) -> Outcome:
        text = f"{type(error).__name__}: {error}"
        return Outcome(stage, text, error_lines(text, path))

    try:
        try:
            module = _import(path, module_name)
        except Exception as error:
            # A @torch.jit.script function is compiled at import; any other import error is the example's fault.
            if _through_torch_jit(error):
                return fail(Stage.SCRIPT, error)
            raise BadExample(f"example failed to import: {error!r}") from error
        target = _build(module)
        has_eager = not isinstance(target, torch.jit.ScriptFunction)
        eager: Any = None
        if has_eager:
            try:
                eager = target(*_inputs(module))
            except Exception as error:
                raise BadExample(f"eager run failed: {error!r}") from error
        try:
            if not has_eager:
                scripted = target
            elif isinstance(target, torch.nn.Module):
                # A second instance, so the eager run above shares no state with the scripted one.
                scripted = torch.jit.script(_build(module))
            else:
                scripted = torch.jit.script(target)
        except Exception as error:
            return fail(Stage.SCRIPT, error)
        try:
            first = scripted(*_inputs(module))
        except Exception as error:
            return fail(Stage.RUN, error)
        if has_eager and not same(eager, first):
            return Outcome(Stage.MATCH, f"scripted output {first!r} differs from eager {eager!r}")
        reference = eager if has_eager else first
        archive = path.with_suffix(".pt")
        try:
            torch.jit.save(scripted, str(archive))
        except Exception as error:
            return fail(Stage.SAVE, error)
        try:
            loaded = torch.jit.load(str(archive))
        except Exception as error:
            return fail(Stage.LOAD, error)
        try:
            again = loaded(*_inputs(module))
        except Exception as error:
            return fail(Stage.RUN, error)
        if not same(reference, again):
            return Outcome(Stage.MATCH, f"reloaded output {again!r} differs from {reference!r}")
        return Outcome(None)
    finally:
        sys.modules.pop(module_name, None)
