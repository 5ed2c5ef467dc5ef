"""`tsinspect config` on each way a model is deployed: frozen, optimized, CPU constants, dict
inputs meeting in one layer, fixed-batch traced, a custom-op library, data-dependent control
flow, fully convolutional.

Each archive is built at test time from fixtures/models/. The rendered config is read back only
through Triton's protobuf schema, zeros are fed exactly as Triton would (dims with -1 replaced by
a size, a batch dim in front when max_batch_size > 0, dtypes from TYPE_*, a dict keyed by the
input names for a Dict argument), and the archive's own outputs, from torch.jit.load and
forward, must match the config's dtypes and dims. A model the libtorch backend cannot serve must
be refused in one line that says why and what to do.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[2]

# Triton DataType enum number -> torch dtype, written out here independently of tsinspect.
_TORCH_DTYPE = {
    1: torch.bool,
    2: torch.uint8,
    6: torch.int8,
    7: torch.int16,
    8: torch.int32,
    9: torch.int64,
    10: torch.float16,
    11: torch.float32,
    12: torch.float64,
}
VARIABLE_SIZE = 40  # what a client might send for a -1 dim


def _shape(entry: Any, batch: int | None) -> tuple[int, ...]:
    dims = list(entry.reshape.shape) if entry.HasField("reshape") else list(entry.dims)
    dims = [VARIABLE_SIZE if dim == -1 else dim for dim in dims]
    return (batch, *dims) if batch is not None else tuple(dims)


def _feed(config: Any, batch: int | None, dict_mode: bool) -> list[Any]:
    tensors = {
        entry.name: torch.zeros(_shape(entry, batch), dtype=_TORCH_DTYPE[entry.data_type])
        for entry in config.input
    }
    if dict_mode:
        return [tensors]
    ordered = sorted(config.input, key=lambda entry: int(entry.name.split("__", 1)[1]))
    return [tensors[entry.name] for entry in ordered]


def _serve_like_triton(archive: Path, config: Any, dict_mode: bool = False) -> None:
    """Run the archive on what Triton would send for this config; outputs must match it."""
    module = torch.jit.load(str(archive))
    batches: list[int | None] = [1, 2] if config.max_batch_size > 0 else [None]
    for batch in batches:
        with torch.no_grad():
            returned = module(*_feed(config, batch, dict_mode))
        returned = returned if isinstance(returned, tuple) else (returned,)
        assert len(returned) == len(config.output)
        ordered = sorted(config.output, key=lambda entry: int(entry.name.split("__", 1)[1]))
        for entry, tensor in zip(ordered, returned, strict=True):
            assert tensor.dtype == _TORCH_DTYPE[entry.data_type], entry.name
            dims = list(entry.dims)
            expected = [batch, *dims] if batch is not None else dims
            got = list(tensor.shape)
            assert len(got) == len(expected), (entry.name, got, expected)
            for want, have in zip(expected, got, strict=True):
                assert want in (-1, have), (entry.name, got, expected)


def _config(
    run_cli: Callable[..., Any],
    parse_config: Callable[[str], Any],
    archive: Path,
    tmp_path: Path,
    *options: str,
) -> tuple[Any, str]:
    out = tmp_path / "config.pbtxt"
    result = run_cli("config", archive, "-o", out, *options)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return parse_config(out.read_text()), out.read_text()


# --------------------------------------------------------------------------- servable kinds


@pytest.mark.parametrize(
    ("name", "max_batch_size", "input_dims", "output_dims"),
    [
        ("frozen_cnn", 8, [[3, 32, 32]], [[10]]),
        ("optimized_mlp", 8, [[20]], [[3]]),
        ("positional_table", 8, [[64, 32]], [[64, 32]]),
        ("data_dependent", 8, [[12]], [[12]]),
        ("fully_convolutional", 8, [[3, -1, -1]], [[5, -1, -1]]),
        ("fixed_batch_traced", 0, [[4, 6]], [[4, 1]]),
    ],
)
def test_each_kind_gets_a_config_that_serves(
    name: str,
    max_batch_size: int,
    input_dims: list[list[int]],
    output_dims: list[list[int]],
    model_archive: Callable[[str], Path],
    run_cli: Callable[..., Any],
    parse_config: Callable[[str], Any],
    tmp_path: Path,
) -> None:
    archive = model_archive(name)
    config, _ = _config(run_cli, parse_config, archive, tmp_path)
    assert config.platform == "pytorch_libtorch"
    assert config.max_batch_size == max_batch_size
    assert [list(entry.dims) for entry in config.input] == input_dims
    assert [list(entry.dims) for entry in config.output] == output_dims
    _serve_like_triton(archive, config)


def test_meta_fallback_is_said_in_the_config_and_the_summary(
    model_archive: Callable[[str], Path],
    run_cli: Callable[..., Any],
    parse_config: Callable[[str], Any],
    tmp_path: Path,
) -> None:
    """A model the meta device cannot run is probed on the CPU, and it says so; a frozen model
    (no meta copy: aten::equal has no meta kernel) is solved from its constant weights instead
    and confirmed by one real forward on the CPU, without a probe."""
    archive = model_archive("frozen_cnn")
    result = run_cli("config", archive)
    assert result.exit_code == 0, result.output
    assert "# dims <- solved:" in result.stdout
    assert "one real forward pass on zeros (batch 2) confirmed the solved shapes" in result.stderr
    for name in ("positional_table", "data_dependent"):
        text = run_cli("config", model_archive(name)).stdout
        assert "# Shapes were probed on the CPU" in text, name
    # A model that runs on meta says nothing of the kind.
    assert "probed on the CPU" not in run_cli("config", model_archive("fully_convolutional")).stdout


def test_fixed_batch_traced_model_says_why_it_does_not_batch(
    model_archive: Callable[[str], Path],
    run_cli: Callable[..., Any],
    parse_config: Callable[[str], Any],
    tmp_path: Path,
) -> None:
    _, text = _config(run_cli, parse_config, model_archive("fixed_batch_traced"), tmp_path)
    # Recognised by the solver (the graph reads rows x[0]..x[3]) or, failing that, by the
    # probes' reading of the traced graph's constants; either way the config says why.
    assert "max_batch_size: 0" in text and "dims: [ 4, 6 ]" in text
    assert "a traced loop over the batch" in text or "unrolled by torch.jit.trace" in text
    # A traced model that batches (no loop over the batch) is not mistaken for one.
    traced = parse_config(run_cli("config", model_archive("simple_cnn", trace=True), "-q").stdout)
    assert traced.max_batch_size > 0


class _BatchReadAsInt(torch.nn.Module):
    """Reads the batch size as a Python int: tracing makes it the constant 4 in a reshape."""

    def __init__(self) -> None:
        super().__init__()
        self.head = torch.nn.Linear(12, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(x.reshape(int(x.shape[0]), -1))


def test_batch_baked_into_a_reshape_is_recognised(
    run_cli: Callable[..., Any], parse_config: Callable[[str], Any], tmp_path: Path
) -> None:
    archive = tmp_path / "baked_reshape.pt"
    traced = torch.jit.trace(_BatchReadAsInt().eval(), (torch.zeros(4, 3, 4),), check_trace=False)
    traced.save(str(archive))
    with pytest.raises(RuntimeError):
        torch.jit.load(str(archive))(torch.zeros(2, 3, 4))  # the oracle: batch 2 does not run
    config, text = _config(run_cli, parse_config, archive, tmp_path)
    assert config.max_batch_size == 0
    assert [list(entry.dims) for entry in config.input] == [[4, 12]]
    assert "reshapes x to a constant first dim of 4" in text
    _serve_like_triton(archive, config)


def test_dict_inputs_meeting_in_one_layer(
    model_archive: Callable[[str], Path],
    run_cli: Callable[..., Any],
    parse_config: Callable[[str], Any],
    tmp_path: Path,
) -> None:
    archive = model_archive("dict_fusion")
    config, text = _config(run_cli, parse_config, archive, tmp_path)
    assert [entry.name for entry in config.input] == ["image", "tabular"]
    assert [list(entry.dims) for entry in config.input] == [[3, 16, 16], [10]]
    # solved together: the batch norm's 10 channels fix F, then the head's 2058 features H, W
    assert "F = 10 from F == 10 (norm: aten::batch_norm norm.weight [10]: channels)" in text
    assert "from 32*(H//2)*(W//2) + 10 == 2058 (head: aten::linear head.weight [2, 2058]" in text
    _serve_like_triton(archive, config, dict_mode=True)


class _UnderdeterminedFusion(torch.nn.Module):
    """dict_fusion without the batch norm: one equation, 32*(H//2)*(W//2) + F == 2058, ties
    the image's size and the tabular width, and nothing else fixes either."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 32, 3, padding=1)
        self.head = torch.nn.Linear(32 * 8 * 8 + 10, 2)

    def forward(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        image = torch.flatten(torch.max_pool2d(self.conv(inputs["image"]), 2), 1)
        return self.head(torch.cat([image, inputs["tabular"]], dim=1))


def test_dict_inputs_one_equation_cannot_fix_are_not_guessed(
    run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    """Several (H, W, F) fit the one equation: no guess, one line naming both inputs."""
    archive = tmp_path / "underdetermined.pt"
    torch.jit.script(_UnderdeterminedFusion().eval()).save(str(archive))
    out = tmp_path / "config.pbtxt"
    result = run_cli("config", archive, "-o", out)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "--input-shape image=... --input-shape tabular=..." in lines[0]
    assert not out.exists()


# --------------------------------------------------------------------------- refused kinds


def test_optimize_for_inference_conv_model_is_refused_with_the_fix(
    model_archive: Callable[[str], Path], run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    """MKL-DNN constants are not saved: torch.jit.load and Triton cannot load the archive."""
    archive = model_archive("_optimized_cnn")
    with pytest.raises(RuntimeError):
        torch.jit.load(str(archive))  # the oracle: this archive really cannot be loaded
    out = tmp_path / "config.pbtxt"
    result = run_cli("config", archive, "-o", out)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "torch.jit.optimize_for_inference" in lines[0]
    assert "torch.jit.freeze(torch.jit.script(model.eval()))" in lines[0]
    assert not out.exists()


# --------------------------------------------------------------------------- custom-op library


@pytest.fixture(scope="session")
def native_op_library() -> Path:
    """The fixture's C++ op compiled once per session (about a minute); skip without a compiler."""
    if shutil.which("c++") is None or shutil.which("ninja") is None:
        pytest.skip("a C++ compiler and ninja are needed to build the custom-op library")
    sys.path.insert(0, str(ROOT / "fixtures"))
    import build as fixture_build

    source = fixture_build.load_fixture("_native_op_model")
    # torch's extensions cache keeps the build between sessions (rebuilt when the source changes).
    try:
        library: Path = source.build_library()
    except Exception as error:  # a broken toolchain is an environment problem, not ours
        pytest.skip(f"cannot build the custom-op library: {str(error).splitlines()[0][:200]}")
    return library


@pytest.fixture(scope="session")
def native_op_archive(
    native_op_library: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    sys.path.insert(0, str(ROOT / "fixtures"))
    import build as fixture_build

    os.environ["TSINSPECT_NATIVE_OP_LIBRARY"] = str(native_op_library)
    try:
        yield fixture_build.build_archive(
            "_native_op_model", tmp_path_factory.mktemp("native") / "native_op_model.pt"
        )
    finally:
        os.environ.pop("TSINSPECT_NATIVE_OP_LIBRARY", None)


@pytest.mark.slow
def test_custom_op_model_with_its_library(
    native_op_archive: Path,
    native_op_library: Path,
    run_cli: Callable[..., Any],
    parse_config: Callable[[str], Any],
    tmp_path: Path,
) -> None:
    config, text = _config(
        run_cli,
        parse_config,
        native_op_archive,
        tmp_path,
        "--library",
        str(native_op_library),
        "--trust-model",
    )
    assert [list(entry.dims) for entry in config.input] == [[5]]
    assert [list(entry.dims) for entry in config.output] == [[5]]
    assert f"LD_PRELOAD={native_op_library.name}" in text  # the server needs the library too
    _serve_like_triton(native_op_archive, config)  # the library is loaded in this process


@pytest.mark.slow
def test_custom_op_model_without_its_library_names_the_option(native_op_archive: Path) -> None:
    # A fresh process: this one has loaded the library to build the archive.
    refused = _tsinspect("config", str(native_op_archive))  # the pre-scan: native code
    _, stderr = refused.communicate(timeout=120)
    assert refused.returncode == 2
    assert b"TS603" in stderr and b"--trust-model" in stderr
    result = _tsinspect("config", str(native_op_archive), "--trust-model")
    _, stderr = result.communicate(timeout=120)
    assert result.returncode == 2
    lines = stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert "tsfixture_native::scaled_softplus" in lines[0] and "--library" in lines[0]


# --------------------------------------------------------------------------- time limits, Ctrl-C


class Endless(torch.nn.Module):
    """forward never returns."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        while True:
            x = x + 1
        return x


@pytest.fixture(scope="module")
def endless_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scripted model whose forward never returns."""
    path = tmp_path_factory.mktemp("endless") / "endless.pt"
    torch.jit.script(Endless()).save(str(path))
    return path


def _tsinspect(*args: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    return subprocess.Popen(
        [sys.executable, "-m", "tsinspect", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


def test_a_forward_that_never_returns_is_stopped_by_the_time_limit(
    endless_model: Path, run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    out = tmp_path / "config.pbtxt"
    started = time.monotonic()
    result = run_cli("config", endless_model, "--time-limit", "2", "-o", out)
    assert time.monotonic() - started < 60
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "did not return within 2 s" in lines[0] and "--time-limit" in lines[0]
    assert not out.exists()


def test_validate_has_the_time_limit_too(endless_model: Path, run_cli: Callable[..., Any]) -> None:
    config = endless_model.parent / "config.pbtxt"
    config.write_text(
        'name: "endless"\nplatform: "pytorch_libtorch"\nmax_batch_size: 0\n'
        'input [ { name: "input__0" data_type: TYPE_FP32 dims: [ 2 ] } ]\n'
        'output [ { name: "output__0" data_type: TYPE_FP32 dims: [ 2 ] } ]\n'
    )
    result = run_cli("validate", endless_model, config, "--time-limit", "2")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "did not return within 2 s" in lines[0]


def test_the_api_takes_the_time_limit_too(endless_model: Path) -> None:
    from tsinspect.api.config import infer_config
    from tsinspect.errors import ModelTimeoutError

    with pytest.raises(ModelTimeoutError, match=r"did not return within 1\.5 s"):
        infer_config(endless_model, time_limit_s=1.5)


def test_ctrl_c_stops_a_model_run_cleanly(endless_model: Path) -> None:
    process = _tsinspect("config", str(endless_model))
    time.sleep(8)  # torch imported, the model loaded and its first probe running
    assert process.poll() is None
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130
    assert stderr.decode().strip().splitlines() == ["tsinspect: interrupted"]
