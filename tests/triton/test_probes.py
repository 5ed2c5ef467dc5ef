"""ir.shapes: meta-device probes, failure classification, first consumers and dict keys."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from tsinspect.ir import shapes  # noqa: E402


@pytest.fixture(scope="module")
def simple_meta(model_archive: Callable[[str], Path]) -> object:
    return shapes.meta_copy(model_archive("simple_cnn"))


def test_meta_probe_gives_shapes_without_data(simple_meta: object) -> None:
    result = shapes.run_probe(simple_meta, [shapes.ProbeInput((3, 1, 28, 28), "float32")])
    assert result.ok and result.device == "meta"
    assert result.output == shapes.OutputValue("tensor", shapes.TensorValue((3, 10), "float32"))


def test_mismatch_names_the_op_and_source_line(simple_meta: object) -> None:
    result = shapes.run_probe(simple_meta, [shapes.ProbeInput((2, 1, 33, 28), "float32")])
    failure = result.failure
    assert failure is not None and failure.kind == "mismatch"
    assert failure.source.endswith("simple_cnn.py:36")
    assert failure.op == "self.fc1 -> F.linear"
    assert "[2, 3584] X [3136, 128]" in failure.message


def test_dtype_failure(simple_meta: object) -> None:
    failure = shapes.run_probe(simple_meta, [shapes.ProbeInput((2, 1, 28, 28), "int64")]).failure
    assert failure is not None and failure.kind == "dtype"


def test_undecidable_on_meta(tmp_path: Path) -> None:
    class Branch(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if bool(x.sum() > 0):
                return x
            return -x

    path = tmp_path / "branch.pt"
    torch.jit.script(Branch()).save(str(path))
    meta = shapes.meta_copy(path)
    failure = shapes.run_probe(meta, [shapes.ProbeInput((2, 3), "float32")]).failure
    assert failure is not None and failure.kind == "undecidable"
    cpu = shapes.run_probe(
        torch.jit.load(str(path)), [shapes.ProbeInput((2, 3), "float32")], device="cpu"
    )
    assert cpu.ok


def test_first_consumers(model_archive: Callable[[str], Path], simple_meta: object) -> None:
    conv = shapes.first_consumer(simple_meta, 0)
    assert conv is not None
    assert (conv.op, conv.weight_name, conv.weight_shape, conv.weight_dtype) == (
        "aten::conv2d", "conv1.weight", (32, 1, 3, 3), "float32"
    )  # fmt: skip
    tokens = shapes.first_consumer(shapes.meta_copy(model_archive("token_embedding")), 0)
    assert tokens is not None and tokens.role == "indices" and tokens.weight_shape == (1000, 32)
    dict_meta = shapes.meta_copy(model_archive("dict_input"))
    assert shapes.dict_keys_read(dict_meta, 0) == ("input_ids", "attention_mask")
    mask = shapes.first_consumer(dict_meta, 0, "attention_mask")
    assert mask is not None and mask.role == "mask" and not mask.direct


def test_graph_reading_still_works_after_failed_probes(simple_meta: object) -> None:
    for size in (33, 28, 1):
        shapes.run_probe(simple_meta, [shapes.ProbeInput((2, 1, size, size), "float32")])
    consumer = shapes.first_consumer(simple_meta, 0)
    assert consumer is not None and consumer.op == "aten::conv2d"


def test_meta_copy_of_a_loaded_module(model_archive: Callable[[str], Path]) -> None:
    module = torch.jit.load(str(model_archive("fp16_model")))
    meta = shapes.meta_copy(module)
    parameter = next(meta.parameters())
    assert parameter.device.type == "meta" and parameter.dtype == torch.float16
    assert next(module.parameters()).device.type == "cpu"


def test_config_reads_one_walk_for_its_inputs_and_the_solver(
    model_archive: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The input readers and the symbolic solver share the module's walk (each walk of a
    ResNet-50 is a tenth of config's time)."""
    import tsinspect.ir.shapes.consumers as consumers
    from tsinspect.api.config import infer_config

    walks: list[object] = []
    real_walk = consumers.walk_module

    def counted(module: object) -> object:
        walks.append(module)
        return real_walk(module)

    monkeypatch.setattr(consumers, "walk_module", counted)
    result = infer_config(model_archive("dict_image_tabular"))
    assert result.config is not None
    assert len(walks) == 1


def test_unreadable_graph_means_no_consumer_not_a_crash(
    model_archive: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import tsinspect.ir.shapes.consumers as consumers

    def broken(module: object) -> None:
        raise RuntimeError("a graph the walk cannot read")

    monkeypatch.setattr(consumers, "walk_module", broken)
    module = torch.jit.load(str(model_archive("dict_input")))
    assert shapes.first_consumer(module, 0, "input_ids") is None
    assert shapes.dict_keys_read(module, 0) is None
    assert shapes.fixed_leading_dim(module, 0, "input_ids") is None


def test_lstm_and_layer_norm_consumers_read_their_weights(tmp_path: Path) -> None:
    class Tagger(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.norm = torch.nn.LayerNorm(16)
            self.rnn = torch.nn.LSTM(16, 8, batch_first=True)

        def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            out, _ = self.rnn(y)
            return self.norm(x).sum() + out.sum()

    module = torch.jit.script(Tagger().eval())
    norm = shapes.first_consumer(module, 0)
    assert norm is not None and norm.role == "layer_norm"
    assert (norm.weight_name, norm.constant_list, norm.weight_dtype) == (
        "norm.weight",
        (16,),
        "float32",
    )
    rnn = shapes.first_consumer(module, 1)
    assert rnn is not None and rnn.role == "rnn"
    assert rnn.weight_name.startswith("rnn.") and rnn.weight_shape == (32, 16)


def test_input_readers_do_not_keep_the_model_alive(model_archive: Callable[[str], Path]) -> None:
    """The readers cache one walk per module; the cache must not hold the module itself (a
    language server or a notebook inferring configs would keep every model it ever read)."""
    import gc
    import weakref

    module = torch.jit.load(str(model_archive("simple_cnn")))
    assert shapes.first_consumer(module, 0) is not None
    alive = weakref.ref(module)
    del module
    gc.collect()
    assert alive() is None
