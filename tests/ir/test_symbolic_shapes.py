"""Symbolic shapes against the oracle: a real forward through torch.jit.load on the CPU.

For each model kind (SimpleCNN, a residual network, dict inputs whose two branches meet
in one Linear, a fully convolutional network, a 1-d audio model, two inputs), the input
shape is inferred from the .pt alone, then every value whose shape the pass claims is
compared with the tensor torch computes at concrete sizes, two ways:

- every value of torch's own inlined forward graph: the graph is made to return all of
  them (``prim::TupleConstruct``) and run on zeros;
- every submodule of ``tsinspect graph``'s table: called on zeros of the input shape it
  shows, its output must have the output shape it shows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sympy

torch = pytest.importorskip("torch")

from tsinspect.api.model import model_shapes  # noqa: E402
from tsinspect.ir.model import read_parameters  # noqa: E402
from tsinspect.ir.symbolic import SymTensor, infer_shapes  # noqa: E402
from tsinspect.ir.symbolic.edges import module_inputs, module_outputs  # noqa: E402
from tsinspect.ir.walk import walk_graph  # noqa: E402

# fixture -> (inferred input shapes by label, with N for the batch; sizes for free dims and,
# where BATCH does not run, N)
CASES: dict[str, tuple[dict[str, str], dict[str, int]]] = {
    "simple_cnn": ({"x": "[N, 1, 28, 28]"}, {}),
    "resnet_like": ({"x": "[N, 3, H, W]"}, {"H": 37, "W": 45}),
    "dict_image_tabular": ({"image": "[N, 3, 24, 24]", "tabular": "[N, 6]"}, {}),
    # tabular is read only by a batch norm (2-d or 3-d) and a cat: its rank, then the
    # norm's F == 10, then the head's 32*(H//2)*(W//2) + F == 2058
    "dict_fusion": ({"image": "[N, 3, 16, 16]", "tabular": "[N, 10]"}, {}),
    "fully_convolutional": ({"x": "[N, 3, H, W]"}, {"H": 61, "W": 48}),
    "audio_conv1d": ({"waveform": "[N, 1, 8000]"}, {}),
    "two_input": ({"image": "[N, 3, 32, 32]", "metadata": "[N, 8]"}, {}),
    # traced with a batch of 4: x[0]..x[3] and a stack; the output is [4, 1] whatever N (run
    # at 5: x[3] needs 4 rows)
    "fixed_batch_traced": ({"x": "[N, 6]"}, {"N": 5}),
}
BATCH = 3


def _concrete(shape: SymTensor, sizes: dict[str, int]) -> list[int]:
    mapping = {
        sympy.Symbol(name, integer=True, positive=True): sympy.Integer(value)
        for name, value in sizes.items()
    }
    mapping.setdefault(sympy.Symbol("N", integer=True, positive=True), sympy.Integer(BATCH))
    dims = [dim.xreplace(mapping) for dim in shape.dims]
    assert all(dim.is_Integer for dim in dims), f"{shape.text()} keeps a symbol"
    return [int(dim) for dim in dims]


def _arguments(shapes: Any, sizes: dict[str, int]) -> list[Any]:
    """forward's arguments: zeros of the inferred shapes (a dict for a dict argument)."""
    arguments: dict[str, Any] = {}
    for item, shape in zip(shapes.inputs, shapes.shapes, strict=True):
        tensor = torch.zeros(_concrete(shape, sizes))
        if item.key is None:
            arguments[item.argument] = tensor
        else:
            arguments.setdefault(item.argument, {})[item.key] = tensor
    return list(arguments.values())


@pytest.mark.parametrize("name", sorted(CASES))
def test_inferred_input_shapes(loaded_model: Callable[..., Any], name: str) -> None:
    expected, _ = CASES[name]
    shapes = model_shapes(loaded_model(name))
    assert {
        item.label: shape.text() for item, shape in zip(shapes.inputs, shapes.shapes, strict=True)
    } == expected
    assert shapes.solution.conflicts == []


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_value_of_torchs_inlined_graph(loaded_model: Callable[..., Any], name: str) -> None:
    _, sizes = CASES[name]
    module = loaded_model(name).module
    graph = module.forward.graph.copy()
    torch._C._jit_pass_inline(graph)
    parameter_shapes = {record.name: record.shape for record in read_parameters(module)}
    shapes = infer_shapes(walk_graph(graph), parameter_shapes)
    claimed = [
        value
        for node in graph.nodes()
        for value in node.outputs()
        if value.type().kind() == "TensorType"
        and isinstance(shapes.analysis.values.get(value.unique()), SymTensor)
    ]
    assert len(claimed) >= 5
    every = graph.create("prim::TupleConstruct", claimed)
    graph.appendNode(every)
    every.output().setType(torch._C.TupleType([value.type() for value in claimed]))
    graph.eraseOutput(0)
    graph.registerOutput(every.output())
    function = torch._C._create_function_from_graph("every_value", graph)
    with torch.no_grad():
        results = function(module._c, *_arguments(shapes, sizes))
    wrong = []
    for value, tensor in zip(claimed, results, strict=True):
        symbolic = shapes.analysis.values[value.unique()]
        if _concrete(symbolic, sizes) != list(tensor.shape):
            wrong.append(f"{value.node().kind()}: {symbolic.text()} vs {list(tensor.shape)}")
    assert wrong == []


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_submodule_row_of_graph(loaded_model: Callable[..., Any], name: str) -> None:
    _, sizes = CASES[name]
    model = loaded_model(name)
    shapes = model_shapes(model)
    entering, leaving = module_inputs(model.walk, shapes), module_outputs(model.walk, shapes)
    values = shapes.analysis.values
    by_text = {value.text(): value for value in values.values() if isinstance(value, SymTensor)}
    checked = 0
    for path, output_text in leaving.items():
        if path not in entering:
            continue
        submodule = dict(model.module.named_modules())[path]
        arguments = submodule.forward.schema.arguments
        if len(arguments) != 2:  # self and one tensor: what the table's one input shape means
            continue
        x = torch.zeros(_concrete(by_text[entering[path]], sizes))
        with torch.no_grad():
            result = submodule(x)
        assert list(result.shape) == _concrete(by_text[output_text], sizes), path
        checked += 1
    assert checked >= (1 if name == "fixed_batch_traced" else 3)
    with torch.no_grad():
        output = model.module(*_arguments(shapes, sizes))
    (returned,) = (values[value.id] for value in model.walk.outputs)
    assert list(output.shape) == _concrete(returned, sizes)


def test_edges_carry_shapes(loaded_model: Callable[..., Any]) -> None:
    model = loaded_model("simple_cnn")
    model_shapes(model)
    graph = model.graph
    flatten = next(n for n, d in graph.nodes(data=True) if d["kind"] == "aten::flatten")
    (incoming,) = [
        data["shapes"]
        for _, _, data in graph.in_edges(flatten, data=True)
        if data["types"] == ["Tensor"]
    ]
    assert incoming == ["[N, 64, 7, 7]"]
    assert graph.nodes[flatten]["meta"]["shapes"] == ["[N, 3136]"]


def test_given_input_shape_makes_every_dim_concrete(loaded_model: Callable[..., Any]) -> None:
    model = loaded_model("fully_convolutional")
    shapes = model_shapes(model, {"x": (2, 3, 64, 48)})
    (returned,) = (shapes.analysis.values[value.id] for value in model.walk.outputs)
    assert returned.text() == "[2, 5, 64, 48]"
    with torch.no_grad():
        assert list(model.module(torch.zeros(2, 3, 64, 48)).shape) == [2, 5, 64, 48]


def test_an_unknown_op_makes_shapes_unknown_not_guessed() -> None:
    from tsinspect.ir.symbolic import propagate
    from tsinspect.ir.symbolic.values import UNKNOWN

    class Model(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.relu(torch.nonzero(x).float())

    scripted = torch.jit.script(Model())
    graph = scripted.forward.graph.copy()
    walk = walk_graph(graph)
    x = sympy.Symbol("N", integer=True, positive=True)
    analysis = propagate(walk, {}, {walk.inputs[0].id: SymTensor((x, sympy.Integer(4)))})
    (output,) = walk.outputs
    assert analysis.values[output.id] is UNKNOWN
    assert analysis.unknown_kinds.get("aten::nonzero") == 1


class _NormReaders(torch.nn.Module):
    """Inputs that only norms read, and a check that raises on one side of an ``if``."""

    def __init__(self) -> None:
        super().__init__()
        self.bn = torch.nn.BatchNorm2d(4)
        self.group = torch.nn.GroupNorm(2, 8)
        self.instance = torch.nn.InstanceNorm2d(8, affine=True)
        self.loose = torch.nn.BatchNorm1d(5)

    def forward(
        self, image: torch.Tensor, features: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if image.size(2) > 1:  # H stays free, so this is never known: only one side returns
            x = self.bn(image)  # inlines `if input.dim() != 4: raise ValueError(...)`
        else:
            raise ValueError("expected more than one row")
        y = self.instance(self.group(torch.cat([x, x], dim=1)))
        return y.flatten(1), self.loose(features)  # BatchNorm1d takes 2-d and 3-d


def _every_value(graph: Any, shapes: Any) -> tuple[list[Any], Callable[..., Any]]:
    """The tensor values the pass claims a shape for, and a function returning all of them."""
    claimed = [
        value
        for node in graph.nodes()
        for value in node.outputs()
        if value.type().kind() == "TensorType"
        and isinstance(shapes.analysis.values.get(value.unique()), SymTensor)
    ]
    every = graph.create("prim::TupleConstruct", claimed)
    graph.appendNode(every)
    every.output().setType(torch._C.TupleType([value.type() for value in claimed]))
    graph.eraseOutput(0)
    graph.registerOutput(every.output())
    function = torch._C._create_function_from_graph("every_value", graph)
    return claimed, function


def test_inputs_read_only_through_norms_against_a_real_forward() -> None:
    module = torch.jit.script(_NormReaders().eval())
    graph = module.forward.graph.copy()
    torch._C._jit_pass_inline(graph)
    parameter_shapes = {record.name: record.shape for record in read_parameters(module)}
    shapes = infer_shapes(walk_graph(graph), parameter_shapes)
    # BatchNorm2d's check leaves rank 4 alone; its weight says C == 4. BatchNorm1d's allows
    # 2 and 3 and nothing else decides: `features` gets no shape rather than a guessed one.
    texts = [shapes.input_text(index) for index in range(len(shapes.inputs))]
    assert texts == ["image: [N, 4, H, W]"]
    assert "only rank 4 runs" in shapes.inputs[0].reason
    assert "prim::RaiseException at rank 1, 2, 3, 5" in shapes.inputs[0].reason
    assert shapes.solution.conflicts == []
    claimed, function = _every_value(graph, shapes)
    # blocks' values cannot be returned: the batch norm's and the instance norm's outputs
    # are checked as the outputs of their `if`s (the one whose other side raises included)
    ifs = [value for value in claimed if value.node().kind() == "prim::If"]
    assert len(ifs) == 2
    assert "aten::group_norm" in {value.node().kind() for value in claimed}
    batch, height, width = 3, 5, 7
    mapping = {
        sympy.Symbol("N", integer=True, positive=True): sympy.Integer(batch),
        sympy.Symbol("H", integer=True, positive=True): sympy.Integer(height),
        sympy.Symbol("W", integer=True, positive=True): sympy.Integer(width),
    }
    with torch.no_grad():
        results = function(module._c, torch.zeros(batch, 4, height, width), torch.zeros(batch, 5))
    wrong = []
    for value, tensor in zip(claimed, results, strict=True):
        symbolic = shapes.analysis.values[value.unique()]
        dims = [int(dim.xreplace(mapping)) for dim in symbolic.dims]
        if dims != list(tensor.shape):
            wrong.append(f"{value.node().kind()}: {symbolic.text()} vs {list(tensor.shape)}")
    assert wrong == []


class _ManyOps(torch.nn.Module):
    """One of each rule the fixtures above do not reach, for the same oracle."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = torch.nn.Embedding(50, 16)
        self.norm = torch.nn.LayerNorm(16)
        self.conv = torch.nn.Conv1d(16, 8, 3, padding=1)
        self.up = torch.nn.ConvTranspose1d(8, 8, 2, stride=2)
        self.pool = torch.nn.AvgPool1d(2)
        self.proj = torch.nn.Linear(8, 6)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.norm(self.embed(ids))  # [N, L, 16]
        y = self.conv(x.transpose(1, 2))  # [N, 8, L]
        y = self.pool(self.up(y))  # [N, 8, L]
        z = self.proj(y.permute(0, 2, 1))  # [N, L, 6]
        a, b = torch.chunk(z, 2, dim=2)
        w = torch.cat([a, b, a], dim=2).unsqueeze(1).squeeze(1)  # [N, L, 9]
        s = torch.stack([w, w], dim=0).mean(dim=0)
        m = torch.matmul(s, s.transpose(1, 2)).softmax(-1)  # [N, L, L]
        r = torch.bmm(m, z).reshape(ids.size(0), -1)  # [N, 6L]
        p = torch.nn.functional.pad(r, [1, 2]).unflatten(1, (1, -1))  # [N, 1, 6L + 3]
        q = p.repeat(1, 2, 1)[:, :, 1:4].expand(-1, 2, -1)  # [N, 2, 3]
        return q.select(1, 0).flatten() + torch.zeros(3).sum()


def test_many_ops_against_a_real_forward() -> None:
    module = torch.jit.script(_ManyOps().eval())
    graph = module.forward.graph.copy()
    torch._C._jit_pass_inline(graph)
    parameter_shapes = {record.name: record.shape for record in read_parameters(module)}
    shapes = infer_shapes(walk_graph(graph), parameter_shapes)
    assert shapes.shapes[0].text() == "[N, L]"
    claimed = [
        value
        for node in graph.nodes()
        for value in node.outputs()
        if value.type().kind() == "TensorType"
        and isinstance(shapes.analysis.values.get(value.unique()), SymTensor)
    ]
    kinds = {value.node().kind() for value in claimed}
    expected = {"conv_transpose1d", "avg_pool1d", "unflatten", "pad", "repeat", "bmm", "matmul"}
    expected |= {"stack", "cat", "permute", "embedding", "layer_norm", "softmax", "reshape"}
    assert {f"aten::{name}" for name in expected} <= kinds
    every = graph.create("prim::TupleConstruct", claimed)
    graph.appendNode(every)
    every.output().setType(torch._C.TupleType([value.type() for value in claimed]))
    graph.eraseOutput(0)
    graph.registerOutput(every.output())
    function = torch._C._create_function_from_graph("every_value", graph)
    for batch, length in ((2, 5), (3, 8)):
        with torch.no_grad():
            results = function(module._c, torch.zeros(batch, length, dtype=torch.long))
        sizes = {"L": length}
        wrong = []
        for value, tensor in zip(claimed, results, strict=True):
            symbolic = shapes.analysis.values[value.unique()]
            mapping = {
                sympy.Symbol("N", integer=True, positive=True): sympy.Integer(batch),
                sympy.Symbol("L", integer=True, positive=True): sympy.Integer(sizes["L"]),
            }
            dims = [int(dim.xreplace(mapping)) for dim in symbolic.dims]
            if dims != list(tensor.shape):
                wrong.append(f"{value.node().kind()}: {symbolic.text()} vs {list(tensor.shape)}")
        assert wrong == []


def test_graph_input_shape_option(model_archive: Callable[..., Any]) -> None:
    from click.testing import CliRunner

    from tsinspect.cli import main

    path = str(model_archive("fully_convolutional"))
    result = CliRunner().invoke(main, ["graph", path, "--input-shape", "x:2,3,64,48"])
    assert result.exit_code == 0, result.output
    assert "    x: [2, 3, 64, 48]" in result.stdout
    assert "[2, 5, 64, 48]" in result.stdout  # the classifier's output
    wrong = CliRunner().invoke(main, ["graph", path, "--input-shape", "image:1,3,8,8"])
    assert wrong.exit_code == 2
    assert "no input 'image' (inputs: x)" in wrong.stderr
    assert "Traceback" not in wrong.output
