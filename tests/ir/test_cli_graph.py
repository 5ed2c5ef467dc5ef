"""``tsinspect graph`` end to end: the summary, --dot/--json/--svg/--png, -o, and every bad input."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from tsinspect.cli import main

torch = pytest.importorskip("torch")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["graph", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_simple_cnn_summary(model_archive: Callable[..., Path]) -> None:
    path = model_archive("simple_cnn")
    code, out, err = run(str(path))
    assert code == 0, err
    assert f"{path}: TorchScript archive, scripted, file format version 3" in out
    assert "forward(x: Tensor) -> Tensor" in out
    assert "    x  Tensor" in out
    assert "  output: Tensor" in out
    assert "submodules (10) of SimpleCNN" in out
    expected_rows = [
        ("conv1", "Conv2d", "weight float32[32, 1, 3, 3]  bias float32[32]"),
        ("relu1", "ReLU", ""),
        ("pool1", "MaxPool2d", ""),
        ("conv2", "Conv2d", "weight float32[64, 32, 3, 3]  bias float32[64]"),
        ("relu2", "ReLU", ""),
        ("pool2", "MaxPool2d", ""),
        ("flatten", "Flatten", ""),
        ("fc1", "Linear", "weight float32[128, 3136]  bias float32[128]"),
        ("relu3", "ReLU", ""),
        ("fc2", "Linear", "weight float32[10, 128]  bias float32[10]"),
    ]
    lines = out.splitlines()
    start = lines.index("submodules (10) of SimpleCNN") + 1
    rows = [line.split() for line in lines[start : start + 10]]
    assert [(r[0], r[1], " ".join(r[2:])) for r in rows] == [
        (name, type_name, " ".join(params.split())) for name, type_name, params in expected_rows
    ]
    assert "aten::conv2d      2" in out
    assert "findings: none" in out


def test_traced_summary_says_so_and_exits_1(model_archive: Callable[..., Path]) -> None:
    code, out, _ = run(str(model_archive("simple_cnn", trace=True)))
    assert code == 1  # TS602 is a warning
    assert "TorchScript archive, traced" in out
    assert "control flow: frozen at trace time" in out
    assert "TS602 made by torch.jit.trace" in out


def test_findings_listed(model_archive: Callable[..., Path]) -> None:
    code, out, _ = run(str(model_archive("multi_input_types")))
    assert code == 1
    assert "findings (3)" in out
    assert "mask      Optional[Tensor]  default None" in out
    assert "output: Tuple[Tensor, Tensor]" in out


def test_dot_parses_back_with_pydot(model_archive: Callable[..., Path]) -> None:
    pydot = pytest.importorskip("pydot")
    code, out, _ = run(str(model_archive("simple_cnn")), "--dot")
    assert code == 0
    (graph,) = pydot.graph_from_dot_data(out)
    clusters = {s.get_label().strip('"') for s in graph.get_subgraphs()}
    assert clusters == {
        "conv1 (Conv2d)", "relu1 (ReLU)", "pool1 (MaxPool2d)", "conv2 (Conv2d)", "relu2 (ReLU)",
        "pool2 (MaxPool2d)", "flatten (Flatten)", "fc1 (Linear)", "relu3 (ReLU)", "fc2 (Linear)",
    }  # fmt: skip
    labels = {n.get_label().strip('"') for n in graph.get_nodes() if n.get_label()}
    assert "input x\\nTensor" in labels
    assert "output\\nTensor" in labels
    conv_cluster = next(
        s for s in graph.get_subgraphs() if s.get_label().strip('"') == "conv1 (Conv2d)"
    )
    assert [n.get_label().strip('"') for n in conv_cluster.get_nodes()] == ["aten::conv2d"]


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
@pytest.mark.parametrize("name", ["simple_cnn", "control_flow", "nested_blocks"])
def test_dot_renders_with_graphviz(model_archive: Callable[..., Path], name: str) -> None:
    code, out, _ = run(str(model_archive(name)), "--dot")
    assert code == 0
    completed = subprocess.run(
        ["dot", "-Tsvg"], input=out.encode(), capture_output=True, check=False
    )
    assert completed.returncode == 0, completed.stderr.decode()
    assert completed.stderr == b""
    assert b"<svg" in completed.stdout


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_svg_and_png_files(model_archive: Callable[..., Path], tmp_path: Path) -> None:
    svg = tmp_path / "model.svg"
    png = tmp_path / "model.png"
    assert run(str(model_archive("nested_blocks")), "--svg", "--collapse", "-o", str(svg))[0] == 0
    assert run(str(model_archive("simple_cnn")), "--png", "-o", str(png))[0] == 0
    assert svg.read_text().lstrip().startswith(("<?xml", "<svg"))
    assert png.read_bytes().startswith(b"\x89PNG")
    assert list(tmp_path.iterdir()) == sorted([svg, png]) or set(tmp_path.iterdir()) == {svg, png}


def test_svg_without_graphviz_says_how_to_get_it(
    model_archive: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    code, out, err = run(str(model_archive("simple_cnn")), "--svg")
    assert code == 2
    assert out == ""
    assert err.startswith(
        "tsinspect: error: --svg needs Graphviz's dot program, which is not installed:"
    )
    assert "apt-get install graphviz" in err and "brew install graphviz" in err
    assert len(err.strip().splitlines()) == 1


def test_png_needs_output_file(model_archive: Callable[..., Path]) -> None:
    code, _, err = run(str(model_archive("simple_cnn")), "--png")
    assert code == 2
    assert "--png writes binary data: name the file with -o FILE.png" in err


def test_json_is_documented_node_link(model_archive: Callable[..., Path]) -> None:
    import networkx as nx

    code, out, _ = run(str(model_archive("dict_in_tuple_out")), "--json")
    assert code == 0
    document = json.loads(out)
    assert document["version"] == 1
    assert document["kind"] == "scripted"
    assert document["signature"]["arguments"] == [
        {
            "name": "inputs",
            "type": {
                "kind": "Dict",
                "text": "Dict[str, Tensor]",
                "args": [
                    {"kind": "str", "text": "str", "args": []},
                    {"kind": "Tensor", "text": "Tensor", "args": []},
                ],
            },
            "default": None,
            "keyword_only": False,
        }
    ]
    assert document["signature"]["returns"]["text"] == "Tuple[Tensor, Tensor]"
    graph = nx.node_link_graph(document["graph"], edges="edges")
    kinds = {data["kind"] for _, data in graph.nodes(data=True)}
    assert {"input", "output", "aten::linear"} <= kinds
    assert {p["name"] for p in document["parameters"]} == {
        "user_tower.weight", "user_tower.bias", "item_tower.weight", "item_tower.bias",
    }  # fmt: skip
    assert document["findings"] == []


def _all_labels(graph: object) -> set[str]:
    """First label line of every node, clusters included."""
    labels = {n.get_label().strip('"').split("\\n")[0] for n in graph.get_nodes() if n.get_label()}  # type: ignore[attr-defined]
    for subgraph in graph.get_subgraphs():  # type: ignore[attr-defined]
        labels |= _all_labels(subgraph)
    return labels


def test_collapse_and_depth(model_archive: Callable[..., Path]) -> None:
    pydot = pytest.importorskip("pydot")
    path = str(model_archive("nested_blocks"))
    (collapsed,) = pydot.graph_from_dot_data(run(path, "--dot", "--collapse")[1])
    labels = _all_labels(collapsed)
    assert {"stem (Sequential)", "stages (Sequential)", "pool (AdaptiveAvgPool2d)"} <= labels
    assert not any(label.startswith("aten::conv2d") for label in labels)
    # --depth 1 through JSON (parsing a big DOT back with pydot is slow)
    document = json.loads(run(path, "--json", "--depth", "1")[1])
    modules = {n["target"]: n for n in document["graph"]["nodes"] if n["op"] == "module"}
    assert {"stages.0", "stages.1", "stem.0", "stem.1", "stem.2"} <= set(modules)
    assert modules["stages.1"]["module_type"] == "Sequential"
    assert modules["stages.1"]["meta"]["nodes"] > 0
    assert "stages" not in modules  # one level open
    collapsed_json = json.loads(run(path, "--json", "--collapse")[1])
    module_nodes = [n for n in collapsed_json["graph"]["nodes"] if n["op"] == "module"]
    assert {n["target"] for n in module_nodes} == {"stem", "stages", "pool", "head"}
    text = run(path, "--depth", "1")[1]
    assert "deeper submodules not shown (--depth 1)" in text


def test_output_file_is_written_whole(model_archive: Callable[..., Path], tmp_path: Path) -> None:
    target = tmp_path / "graph.dot"
    target.write_text("old content")
    code, out, err = run(str(model_archive("simple_cnn")), "--dot", "-o", str(target))
    assert (
        code == 2
        and err == f"tsinspect: error: {target} already exists; pass --force to overwrite it\n"
    )
    assert target.read_text() == "old content"
    code, out, _ = run(str(model_archive("simple_cnn")), "--dot", "-o", str(target), "--force")
    assert code == 0 and out == ""
    assert target.read_text().startswith("digraph model {")
    assert [p.name for p in tmp_path.iterdir()] == ["graph.dot"]  # no temporary file left
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.fixture(scope="module")
def bad_inputs(
    tmp_path_factory: pytest.TempPathFactory, model_archive: Callable[..., Path]
) -> dict[str, Path]:
    import build as fixture_build

    root = tmp_path_factory.mktemp("bad_cli")
    model = fixture_build.load_fixture("simple_cnn").build()
    files = {
        name: root / f"{name}.pt" for name in ("state_dict", "eager", "truncated", "empty", "text")
    }
    torch.save(model.state_dict(), files["state_dict"])
    torch.save(model, files["eager"])
    good = model_archive("simple_cnn").read_bytes()
    files["truncated"].write_bytes(good[: len(good) - 4096])
    files["empty"].write_bytes(b"")
    files["text"].write_text("not a model\n")
    files["directory"] = root / "models"
    files["directory"].mkdir()
    files["pickle"] = root / "settings.pkl"
    files["pickle"].write_bytes(pickle.dumps({"lr": 0.1}))
    files["missing"] = root / "nowhere.pt"
    return files


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "state_dict",
            "this is a state_dict saved with torch.save, not TorchScript: build the model, load_state_dict() it, then torch.jit.script(model).save(path)",
        ),
        (
            "eager",
            "this is an eager nn.Module (tsinspect_fixture_simple_cnn.SimpleCNN) pickled with torch.save, not TorchScript: build the model, then torch.jit.script(model).save(path)",
        ),
        (
            "truncated",
            "this is a truncated or corrupt zip file (an interrupted copy or download?): copy the archive again or re-export it",
        ),
        (
            "empty",
            "this is an empty file: export the model again with torch.jit.script(model).save(path)",
        ),
        (
            "directory",
            "this is a directory, not a model file: pass the .pt file inside it (e.g. <model>/1/model.pt)",
        ),
        (
            "text",
            "not a PyTorch file (a text file): pass a TorchScript archive saved with torch.jit.save",
        ),
        (
            "pickle",
            "this is a Python pickle (not a PyTorch file): pass a TorchScript archive saved with torch.jit.save",
        ),
        ("missing", "no such file: check the path"),
    ],
)
@pytest.mark.parametrize("output_format", [[], ["--dot"], ["--json"]])
def test_bad_inputs_one_line_and_exit_2(
    bad_inputs: dict[str, Path], name: str, expected: str, output_format: list[str]
) -> None:
    path = bad_inputs[name]
    code, out, err = run(str(path), *output_format)
    assert code == 2
    assert out == ""
    assert err == f"tsinspect: error: {path}: {expected}\n"


def test_unregistered_custom_op_in_a_fresh_process(model_archive: Callable[..., Path]) -> None:
    """A process that has not loaded the op's library cannot load the model: say which op."""
    path = model_archive("custom_op_model")
    completed = subprocess.run(
        [sys.executable, "-m", "tsinspect", "graph", str(path), "--trust-model"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr == (
        f"tsinspect: error: {path}: the model calls operator tsfixture::scaled_softplus, which is "
        "not registered in this process: pass the library that defines it with --library LIB.so "
        "(Triton needs it loaded too, e.g. LD_PRELOAD)\n"
    )
    assert "Traceback" not in completed.stderr


def test_missing_library_file(model_archive: Callable[..., Path], tmp_path: Path) -> None:
    missing = tmp_path / "libops.so"
    code, _, err = run(str(model_archive("simple_cnn")), "--library", str(missing))
    assert code == 2
    assert err == f"tsinspect: error: {missing}: no such custom-op library: check the path\n"
