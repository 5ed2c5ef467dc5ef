"""What is this file? Recognising archives from their bytes, and the one-line errors."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path

import pytest

from tsinspect.errors import ModelArchiveError
from tsinspect.ir import archive
from tsinspect.ir.archive import inspect_archive, load_scripted

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def bad_files(
    tmp_path_factory: pytest.TempPathFactory, model_archive: Callable[..., Path]
) -> dict[str, Path]:
    """One file of every kind that is not TorchScript, built with the real torch.save."""
    import build as fixture_build

    root = tmp_path_factory.mktemp("bad")
    model = fixture_build.load_fixture("simple_cnn").build()
    files = {
        "state_dict": root / "state_dict.pt",
        "legacy_state_dict": root / "legacy_state_dict.pt",
        "eager": root / "eager.pt",
        "checkpoint": root / "checkpoint.pt",
        "tensor": root / "tensor.pt",
        "truncated": root / "truncated.pt",
        "empty": root / "empty.pt",
        "directory": root / "model_dir",
        "text": root / "notes.pt",
        "pickle": root / "plain.pkl",
        "missing": root / "missing.pt",
        "damaged_code": root / "damaged_code.pt",
        "damaged_debug": root / "damaged_debug.pt",
    }
    torch.save(model.state_dict(), files["state_dict"])
    torch.save(model.state_dict(), files["legacy_state_dict"], _use_new_zipfile_serialization=False)
    torch.save(model, files["eager"])
    torch.save({"model": model.state_dict(), "epoch": 3}, files["checkpoint"])
    torch.save(torch.zeros(3), files["tensor"])
    good = model_archive("simple_cnn").read_bytes()
    files["truncated"].write_bytes(good[: len(good) // 2])
    files["damaged_code"].write_bytes(_damage(model_archive("simple_cnn"), "code/", ".py"))
    files["damaged_debug"].write_bytes(_damage(model_archive("simple_cnn"), "code/", ".debug_pkl"))
    files["empty"].write_bytes(b"")
    files["directory"].mkdir()
    files["text"].write_text("model weights are on the shared drive\n")
    files["pickle"].write_bytes(pickle.dumps({"lr": 0.1}))
    return files


def _damage(path: Path, folder: str, suffix: str) -> bytes:
    """The archive's bytes with the middle of one record overwritten (the zip directory intact)."""
    import zipfile

    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = next(
            i for i in archive.infolist() if folder in i.filename and i.filename.endswith(suffix)
        )
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    middle = start + info.compress_size // 2
    data[middle : middle + 16] = b"\x00@" * 8
    return bytes(data)


def test_torchscript_archives_recognised(model_archive: Callable[..., Path]) -> None:
    scripted = inspect_archive(model_archive("simple_cnn"))
    traced = inspect_archive(model_archive("simple_cnn", trace=True))
    assert scripted.kind == traced.kind == archive.TORCHSCRIPT
    assert scripted.file_format_version is not None and scripted.file_format_version.isdigit()
    assert not scripted.traced_inputs and traced.traced_inputs
    assert any(name.endswith("/code/") or "/code/" in name for name in scripted.records)


@pytest.mark.parametrize(
    ("name", "kind", "message"),
    [
        (
            "state_dict",
            archive.STATE_DICT,
            "this is a state_dict saved with torch.save, not TorchScript: build the model, load_state_dict() it, then torch.jit.script(model).save(path)",
        ),
        (
            "legacy_state_dict",
            archive.STATE_DICT,
            "this is a state_dict saved with torch.save (legacy format), not TorchScript",
        ),
        (
            "eager",
            archive.EAGER_MODULE,
            "this is an eager nn.Module (tsinspect_fixture_simple_cnn.SimpleCNN) pickled with torch.save, not TorchScript: build the model, then torch.jit.script(model).save(path)",
        ),
        (
            "checkpoint",
            archive.CHECKPOINT,
            "this is a checkpoint dictionary saved with torch.save, not TorchScript",
        ),
        ("tensor", archive.TENSOR, "this is a tensor saved with torch.save, not a model"),
        (
            "truncated",
            archive.CORRUPT_ZIP,
            "this is a truncated or corrupt zip file (an interrupted copy or download?): copy the archive again or re-export it",
        ),
        ("empty", archive.EMPTY, "this is an empty file: export the model again"),
        (
            "directory",
            archive.DIRECTORY,
            "this is a directory, not a model file: pass the .pt file inside it",
        ),
        (
            "text",
            archive.NOT_PYTORCH,
            "not a PyTorch file (a text file): pass a TorchScript archive saved with torch.jit.save",
        ),
        ("pickle", archive.PICKLE, "this is a Python pickle (not a PyTorch file)"),
        ("damaged_code", archive.CORRUPT_ZIP, "this is a truncated or corrupt zip file"),
        ("damaged_debug", archive.CORRUPT_ZIP, "this is a truncated or corrupt zip file"),
        ("missing", archive.MISSING, "no such file: check the path"),
    ],
)
def test_bad_inputs_named_before_loading(
    bad_files: dict[str, Path], name: str, kind: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = bad_files[name]
    info = inspect_archive(path)
    assert info.kind == kind
    # torch.jit.load must never be reached for a file that is not TorchScript.
    monkeypatch.setattr(torch.jit, "load", lambda *a, **k: pytest.fail("torch.jit.load called"))
    with pytest.raises(ModelArchiveError) as raised:
        load_scripted(path)
    text = str(raised.value)
    assert text.startswith(f"{path}: ")
    assert message in text
    assert "\n" not in text


def test_eager_module_never_unpickled(
    bad_files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recognising a pickled module reads opcodes only: no unpickler is ever built."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("unpickling attempted")

    monkeypatch.setattr(pickle, "Unpickler", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(torch, "load", refuse)
    assert (
        inspect_archive(bad_files["eager"]).pickled_class
        == "tsinspect_fixture_simple_cnn.SimpleCNN"
    )


def test_load_scripted_loads_on_cpu(model_archive: Callable[..., Path]) -> None:
    module = load_scripted(model_archive("simple_cnn"))
    assert isinstance(module, torch.jit.ScriptModule)
    assert {p.device.type for p in module.parameters()} == {"cpu"}


def test_missing_torch_is_a_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_torch(name: str, *args: object, **kwargs: object) -> object:
        if name == "torch" or name.startswith("torch."):
            raise ImportError("No module named 'torch'")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_torch)
    from tsinspect.errors import MissingDependencyError

    with pytest.raises(MissingDependencyError, match=r"pip install 'tsinspect\[torch\]'"):
        archive.import_torch()
