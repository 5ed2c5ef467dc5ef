"""The linter across files: what torch.jit.script compiles from one file in another.

Each case is a small project on disk: a package the user checks, and sometimes a library
package found through an extra import root (as site-packages would be). Cases that claim
TorchScript fails also run the real ``torch.jit.script`` in a subprocess and check that the
line TorchScript names is the finding's own line or its ``origin``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tsinspect.api.check import check_paths
from tsinspect.diagnostics import Diagnostic
from tsinspect.settings import Settings

LIBRARY = {
    "mylib/__init__.py": "from .layers import Block, Plain, helper\n",
    "mylib/layers.py": """
        import torch
        from torch import nn


        def helper(x, *args):
            return x


        def unused_helper(x):
            return lambda y: y


        class Base(nn.Module):
            def forward(self, x, **kwargs):
                return self._inner(x)

            def _inner(self, x):
                return x + 1

            def python_only(self):
                return lambda y: y


        class Block(Base):
            def __init__(self):
                super().__init__()
                self.lin = nn.Linear(2, 2)


        class Plain(nn.Module):
            def forward(self, x):
                return x * 2

            def stats(self, x):
                try:
                    return x
                except Exception:
                    return x
        """,
}


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))


def _project(tmp_path: Path, files: dict[str, str], library: bool = True) -> Settings:
    _write(tmp_path / "proj", files)
    if library:
        _write(tmp_path / "lib", LIBRARY)
    return Settings(root=str(tmp_path / "proj"), extra_paths=(str(tmp_path / "lib"),))


def _check(tmp_path: Path, settings: Settings, *names: str) -> list[Diagnostic]:
    paths = [str(tmp_path / "proj" / name) for name in names]
    return list(check_paths(paths, settings, jobs=1).diagnostics)


def _codes(diagnostics: list[Diagnostic]) -> list[tuple[str, str, int]]:
    return [(d.code, Path(d.path).name, d.line) for d in diagnostics]


def _script_error(
    tmp_path: Path, module: str, expression: str, *, failing_site: bool = False
) -> tuple[str, int]:
    """The innermost ``File "...", line N`` of TorchScript's error for ``expression``.

    ``failing_site``: the line that fails instead, which TorchScript names first when it
    follows with the calls that compiled it ("... is being compiled since it was called from").
    """
    pytest.importorskip("torch")
    code = (
        "import torch, importlib\n"
        f"m = importlib.import_module({module!r})\n"
        f"torch.jit.script({expression})\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path / "proj"), str(tmp_path / "lib")]),
    }
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert completed.returncode != 0, "torch.jit.script was expected to fail"
    frames = re.findall(r'File "([^"]+)", line (\d+)', completed.stderr)
    frames = [(path, int(line)) for path, line in frames if str(tmp_path) in path]
    assert frames, completed.stderr
    return frames[0] if failing_site else frames[-1]


def _script_ok(tmp_path: Path, module: str, expression: str) -> None:
    """``torch.jit.script(expression)`` succeeds."""
    pytest.importorskip("torch")
    code = (
        "import torch, importlib\n"
        f"m = importlib.import_module({module!r})\n"
        f"torch.jit.script({expression})\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path / "proj"), str(tmp_path / "lib")]),
    }
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert completed.returncode == 0, completed.stderr


def test_module_base_in_another_checked_file(tmp_path: Path) -> None:
    settings = _project(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/base.py": """
                from torch import nn


                class Layer(nn.Module):
                    pass
                """,
            "pkg/model.py": """
                from .base import Layer


                class Net(Layer):
                    def forward(self, x):
                        f = lambda y: y
                        return f(x)
                """,
        },
        library=False,
    )
    found = _check(tmp_path, settings, "pkg/model.py", "pkg/base.py")
    assert ("TS101", "model.py", 6) in _codes(found)
    path, line = _script_error(tmp_path, "pkg.model", "m.Net()")
    assert (Path(path).name, line) == ("model.py", 6)


def test_imported_helper_is_compiled_and_unused_one_is_not(tmp_path: Path) -> None:
    settings = _project(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/util.py": """
                def pad(x):
                    try:
                        return x
                    except Exception:
                        return x


                def never_called(x):
                    return lambda y: y
                """,
            "pkg/model.py": """
                import torch
                from . import util


                class Net(torch.nn.Module):
                    def forward(self, x):
                        return util.pad(x)
                """,
        },
        library=False,
    )
    found = _check(tmp_path, settings, "pkg/model.py", "pkg/util.py")
    assert _codes(found) == [("TS105", "util.py", 2)]
    assert found[0].reach == ("Net.forward", "pad")
    path, line = _script_error(tmp_path, "pkg.model", "m.Net()")
    assert (Path(path).name, line) == ("util.py", 2)


def test_library_findings_are_reported_where_the_user_reaches_them(tmp_path: Path) -> None:
    settings = _project(
        tmp_path,
        {
            "model.py": """
                import torch
                from mylib import Block


                class Net(torch.nn.Module):
                    def __init__(self):
                        super().__init__()
                        self.block = Block()

                    def forward(self, x):
                        return self.block(x)
                """,
        },
    )
    found = _check(tmp_path, settings, "model.py")
    assert len(found) == 1
    finding = found[0]
    assert (finding.code, Path(finding.path).name, finding.line) == ("TS115", "model.py", 8)
    assert finding.origin is not None
    assert (Path(finding.origin.path).name, finding.origin.line) == ("layers.py", 14)
    assert finding.reach == ("Net.block", "mylib.layers.Base.forward")
    assert "layers.py:14" in finding.message
    path, line = _script_error(tmp_path, "model", "m.Net()")
    assert (Path(path).name, line) == ("layers.py", 14)


def test_subclass_of_a_library_class_is_checked_through_its_code(tmp_path: Path) -> None:
    settings = _project(
        tmp_path,
        {
            "model.py": """
                from mylib import Block


                class MyBlock(Block):
                    def extra(self, x):
                        return lambda y: y
                """,
        },
    )
    found = _check(tmp_path, settings, "model.py")
    # forward is inherited from mylib's Base: its **kwargs fail; `extra` is never compiled.
    assert [(d.code, d.line, d.origin.line if d.origin else None) for d in found] == [
        ("TS115", 4, 14)
    ]
    path, line = _script_error(tmp_path, "model", "m.MyBlock()")
    assert (Path(path).name, line) == ("layers.py", 14)


def test_submodule_method_call_and_helper_through_package_reexport(tmp_path: Path) -> None:
    settings = _project(
        tmp_path,
        {
            "model.py": """
                import torch
                import mylib


                class Net(torch.nn.Module):
                    def __init__(self):
                        super().__init__()
                        self.plain = mylib.Plain()

                    def forward(self, x):
                        return self.plain.stats(mylib.helper(x))
                """,
        },
    )
    found = _check(tmp_path, settings, "model.py")
    assert sorted((d.code, d.line, d.origin.line if d.origin else 0) for d in found) == [
        ("TS105", 11, 35),
        ("TS115", 11, 5),
    ]


def test_noqa_on_the_users_line_suppresses_a_library_finding(tmp_path: Path) -> None:
    settings = _project(
        tmp_path,
        {
            "model.py": """
                from mylib import Block


                class MyBlock(Block):  # noqa: TS115
                    pass
                """,
        },
    )
    assert _check(tmp_path, settings, "model.py") == []
    # The comment is in use (TS005 stays quiet), and --fix keeps it.
    from tsinspect.api.fix import fix_paths

    model = tmp_path / "proj" / "model.py"
    before = model.read_text()
    report = fix_paths([str(model)], settings)
    assert report.check.diagnostics == () and model.read_text() == before
    # A code beside it that hides nothing is unused, and the fix removes only that one.
    model.write_text(before.replace("# noqa: TS115", "# noqa: TS115, TS101"))
    (unused,) = _check(tmp_path, settings, "model.py")
    assert (unused.code, unused.line) == ("TS005", 4) and "unused: TS101" in unused.message
    fixed = fix_paths([str(model)], settings)
    assert fixed.check.diagnostics == () and model.read_text() == before


def test_unused_library_code_and_unresolved_imports_report_nothing(tmp_path: Path) -> None:
    settings = _project(
        tmp_path,
        {
            "model.py": """
                import torch
                import mylib
                from not_installed_anywhere import Mystery


                class Net(Mystery):
                    def forward(self, x):
                        return x


                class Other(torch.nn.Module):
                    def __init__(self):
                        super().__init__()
                        self.plain = mylib.Plain()
                        self.unknown = Mystery()

                    def forward(self, x):
                        return self.unknown.anything(self.plain(x))
                """,
        },
    )
    assert _check(tmp_path, settings, "model.py") == []


def test_scripting_guard_prunes_a_cross_file_call(tmp_path: Path) -> None:
    settings = _project(
        tmp_path,
        {
            "model.py": """
                import torch
                import mylib


                class Net(torch.nn.Module):
                    def forward(self, x):
                        if not torch.jit.is_scripting():
                            x = mylib.helper(x)
                        return x
                """,
        },
    )
    assert _check(tmp_path, settings, "model.py") == []


def test_extra_paths_setting_is_read_relative_to_the_pyproject(tmp_path: Path) -> None:
    from tsinspect.settings import load_settings

    _write(tmp_path / "lib", LIBRARY)
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.tsinspect]\nextra-paths = ["lib"]\n')
    settings = load_settings(config)
    assert settings.extra_paths == (str((tmp_path / "lib").resolve()),)


def test_cache_follows_a_change_in_an_imported_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TSINSPECT_CACHE_DIR", str(tmp_path / "cache"))
    settings = _project(
        tmp_path,
        {
            "base.py": """
                from torch import nn


                class Layer(nn.Module):
                    pass
                """,
            "model.py": """
                from base import Layer


                class Net(Layer):
                    def forward(self, x):
                        return (lambda y: y)(x)
                """,
        },
        library=False,
    )
    model = str(tmp_path / "proj" / "model.py")
    first = check_paths([model], settings, jobs=1, cache=True)
    assert _codes(list(first.diagnostics)) == [("TS101", "model.py", 6)]
    # model.py is unchanged, but the file it imports no longer makes Net a module.
    (tmp_path / "proj" / "base.py").write_text("class Layer:\n    pass\n")
    second = check_paths([model], settings, jobs=1, cache=True)
    assert second.diagnostics == ()


def test_tracing_guards_silence_run_time_warnings_but_not_errors(tmp_path: Path) -> None:
    # torchvision's `_is_tracing()` returns the tracing state: False when a scripted model
    # runs. The branch is still compiled (errors stand) but never runs (warnings are moot).
    settings = _project(
        tmp_path,
        {
            "helpers.py": """
                import torch


                def _is_tracing():
                    return torch._C._get_tracing_state()
                """,
            "model.py": """
                import torch
                from torch import nn

                import helpers


                class Model(nn.Module):
                    def forward(self, x: torch.Tensor) -> torch.Tensor:
                        if helpers._is_tracing():
                            print("{:.2f}".format(1.5))
                            return x.numpy()
                        if not torch.jit.is_tracing():
                            print("{:.2f}".format(2.5))
                        else:
                            print("{:.2f}".format(3.5))
                        return x
                """,
        },
        library=False,
    )
    found = _codes(_check(tmp_path, settings, "model.py"))
    assert ("TS504", "model.py", 10) not in found
    assert ("TS504", "model.py", 15) not in found
    assert ("TS504", "model.py", 13) in found
    assert any(code != "TS504" and line == 11 for code, _, line in found), found


def test_check_source_and_fix_source_follow_imports_like_a_run(tmp_path: Path) -> None:
    from tsinspect.api.check import check_source
    from tsinspect.api.fix import fix_source

    settings = _project(
        tmp_path,
        {
            "base.py": "from torch import nn\n\n\nclass Layer(nn.Module):\n    pass\n",
            "model.py": """
                from base import Layer


                class Net(Layer):
                    def forward(self, x, scale=2):
                        return x * scale
                """,
        },
        library=False,
    )
    path = tmp_path / "proj" / "model.py"
    source = path.read_text()
    # Net is a module only through base.py: both entry points must know it.
    assert [d.code for d in check_source(source, str(path), settings)] == ["TS220"]
    fixed = fix_source(source, str(path), settings)
    assert "scale: int = 2" in fixed.fixed_source


# timm's pattern: a model file passes its class to a builder in another file, which
# constructs it and wraps the instance in a feature wrapper that stores it as `self.model`
# and calls a method of it in `forward`. Only following the values shows which class
# `self.model` holds (`timm/models/_builder.py`: `build_model_with_cfg`;
# `timm/models/_features.py`: `FeatureGetterNet`).
BUILDER_PROJECT = {
    "zoo/__init__.py": "",
    "zoo/_features.py": """
        import torch
        from torch import nn


        class FeatureGetter(nn.Module):
            def __init__(self, model: nn.Module, out_indices: int = 2):
                super().__init__()
                self.model = model
                self.out_indices = out_indices

            def forward(self, x):
                return self.model.forward_intermediates(x, self.out_indices)


        class FeatureList(nn.Module):
            def __init__(self, model: nn.Module):
                super().__init__()
                self.body = model

            def forward(self, x):
                return [self.body(x)]
        """,
    "zoo/_builder.py": """
        from ._features import FeatureGetter, FeatureList


        def build_model(model_cls, features=False, feature_cls='list', **kwargs):
            model = model_cls(**kwargs)
            if features:
                if feature_cls == 'getter':
                    wrapper = FeatureGetter
                else:
                    wrapper = FeatureList
                model = wrapper(model)
            return model
        """,
    "zoo/vit.py": """
        import torch
        from torch import nn
        from ._builder import build_model


        class ViT(nn.Module):
            def __init__(self, dim: int = 4):
                super().__init__()
                self.proj = nn.Linear(dim, dim)

            def forward(self, x):
                return self.proj(x)

            def forward_intermediates(self, x, n: int):
                out = {}
                out['x'] = [x]
                return out

            def unused(self, x):
                return lambda y: y


        def vit_tiny(**kwargs):
            return build_model(ViT, feature_cls='getter', **kwargs)
        """,
    "zoo/resnet.py": """
        import torch
        from torch import nn
        from ._builder import build_model


        class ResNet(nn.Module):
            def __init__(self, dim: int = 4):
                super().__init__()
                self.fc = nn.Linear(dim, dim)

            def forward(self, x):
                return self.fc(x)

            def forward_intermediates(self, x, n: int):
                return [self.fc(x) for _ in range(n)]


        def resnet(**kwargs):
            return build_model(ResNet, **kwargs)
        """,
}


def test_class_passed_to_a_builder_reaches_the_wrappers_attribute(tmp_path: Path) -> None:
    settings = _project(tmp_path, BUILDER_PROJECT, library=False)
    names = ["zoo/_features.py", "zoo/_builder.py", "zoo/vit.py", "zoo/resnet.py"]
    found = _check(tmp_path, settings, *names)
    errors = [d for d in found if d.severity.value == "error"]
    # ViT.forward_intermediates is compiled through FeatureGetter.model; `unused` is not,
    # and ResNet's (which scripts) reports nothing.
    assert [(d.code, Path(d.path).name, d.line) for d in errors] == [("TS203", "vit.py", 16)]
    assert errors[0].reach == (
        "FeatureGetter.forward",
        "FeatureGetter.model = ViT (zoo.vit:24)",
        "ViT.forward_intermediates",
    )
    path, line = _script_error(tmp_path, "zoo.vit", "m.vit_tiny(features=True)", failing_site=True)
    assert (Path(path).name, line) == ("vit.py", 16)
    # The same model without the wrapper scripts: forward_intermediates is not compiled.
    _script_ok(tmp_path, "zoo.vit", "m.vit_tiny()")
    _script_ok(tmp_path, "zoo.resnet", "m.resnet(features=True, feature_cls='getter')")


def test_a_function_reached_without_the_value_flow_keeps_that_path(tmp_path: Path) -> None:
    project = dict(BUILDER_PROJECT)
    project["zoo/resnet.py"] = """
        import torch
        from torch import nn
        from ._builder import build_model


        class ResNet(nn.Module):
            def __init__(self, dim: int = 4):
                super().__init__()
                self.fc = nn.Linear(dim, dim)

            def forward(self, x):
                return self._head(x)

            def forward_intermediates(self, x, n: int):
                return [self._head(x) for _ in range(n)]

            def _head(self, x):
                f = lambda y: y
                return f(x)


        def resnet(**kwargs):
            return build_model(ResNet, **kwargs)
        """
    settings = _project(tmp_path, project, library=False)
    names = ["zoo/_features.py", "zoo/_builder.py", "zoo/vit.py", "zoo/resnet.py"]
    found = [d for d in _check(tmp_path, settings, *names) if Path(d.path).name == "resnet.py"]
    assert [(d.code, d.line, d.reach) for d in found] == [
        ("TS101", 18, ("ResNet.forward", "ResNet._head"))
    ]


def test_a_class_passed_by_keyword_flows_and_a_function_result_stays_unknown(
    tmp_path: Path,
) -> None:
    settings = _project(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/models.py": """
                import torch
                from torch import nn


                class Net(nn.Module):
                    def forward(self, x):
                        return x

                    def extra(self, x):
                        f = lambda y: y
                        return f(x)


                class Other(nn.Module):
                    def forward(self, x):
                        return x

                    def extra(self, x):
                        g = lambda y: y
                        return g(x)
                """,
            "app/wrap.py": """
                import torch
                from torch import nn
                from .models import Net, Other


                class Wrapper(nn.Module):
                    def __init__(self, inner: nn.Module):
                        super().__init__()
                        self.inner = inner

                    def forward(self, x):
                        return self.inner.extra(x)


                REGISTRY = {"other": Other}


                def make(name):
                    return REGISTRY[name]()


                def build(model_cls=None):
                    return Wrapper(model_cls())


                def known():
                    return build(model_cls=Net)


                def unknown():
                    return Wrapper(make("other"))
                """,
        },
        library=False,
    )
    found = _check(tmp_path, settings, "app/models.py", "app/wrap.py")
    # Net reaches Wrapper.inner through the keyword; Other only through a dict and a
    # function's result, which the flow does not follow: its lambda is not reported.
    assert [(d.code, d.line, d.reach) for d in found] == [
        ("TS101", 10, ("Wrapper.forward", "Wrapper.inner = Net (app.wrap:27)", "Net.extra"))
    ]
    path, line = _script_error(tmp_path, "app.wrap", "m.known()", failing_site=True)
    assert (Path(path).name, line) == ("models.py", 10)
