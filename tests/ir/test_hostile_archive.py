"""Hostile archives: nothing in them runs unasked, nothing blows up memory, every refusal is one line.

Each archive is built at test time. The code-running one scripts ``__getstate__``/``__setstate__``
whose ``__setstate__`` writes through ``torch.from_file(..., shared=True)``: ``torch.jit.load``
runs it, so the target file changing is proof that the model was loaded.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from tsinspect.cli import main

torch = pytest.importorskip("torch")

ORIGINAL = b"ABCDEFGH\n"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _writes_on_load(target: Path, saved: Path) -> Path:
    class WritesOnLoad(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.path = str(target)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x + 1

        @torch.jit.export
        def __getstate__(self) -> tuple[str, bool]:
            return (self.path, self.training)

        @torch.jit.export
        def __setstate__(self, state: tuple[str, bool]) -> None:
            self.path = state[0]
            written = torch.from_file(self.path, shared=True, size=8, dtype=torch.uint8).fill_(88)
            self.training = state[1] and bool(written[0] == 88)

    torch.jit.script(WritesOnLoad().eval()).save(str(saved))
    return saved


@pytest.fixture
def hostile(tmp_path: Path) -> tuple[Path, Path]:
    target = tmp_path / "victim.txt"
    target.write_bytes(ORIGINAL)
    return _writes_on_load(target, tmp_path / "hostile.pt"), target


@pytest.mark.parametrize("command", ["graph", "config", "validate", "report"])
def test_setstate_model_is_not_loaded_without_trust(
    hostile: tuple[Path, Path], command: str, tmp_path: Path
) -> None:
    model, target = hostile
    args = [command, str(model)]
    if command == "validate":
        config = tmp_path / "config.pbtxt"
        config.write_text('name: "hostile"\nplatform: "pytorch_libtorch"\n', encoding="utf-8")
        args.append(str(config))
    code, out, err = run(*args)
    assert target.read_bytes() == ORIGINAL  # __setstate__ never ran
    assert code == 2
    if command == "report":  # the report names the refusal in its verdict
        assert "TS611" in out and "--trust-model" in out
        return
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"tsinspect: error: {model}: not loaded: TS611 ")
    assert "__setstate__" in err and "TS612" in err and "--trust-model" in err


def test_trust_flag_loads_and_reports_the_findings(hostile: tuple[Path, Path]) -> None:
    model, target = hostile
    code, out, _ = run("graph", str(model), "--trust-model")
    assert target.read_bytes() != ORIGINAL  # trusted: torch.jit.load ran __setstate__
    assert code == 1
    assert "TS611" in out and "TS612" in out and "torch.from_file" in out


def test_api_parameter(hostile: tuple[Path, Path]) -> None:
    from tsinspect.api.model import load_model
    from tsinspect.errors import UntrustedModelError

    model, target = hostile
    with pytest.raises(UntrustedModelError, match="TS611"):
        load_model(model)
    assert target.read_bytes() == ORIGINAL
    codes = {d.code for d in load_model(model, trust_model=True).findings}
    assert {"TS611", "TS612"} <= codes


def test_prescan_reads_spellings_torch_accepts() -> None:
    from tsinspect.ir.prescan import scan_code

    text = (
        "class M(Module):\n"
        "  def forward(self: __torch__.M, x: Tensor) -> Tensor:\n"
        "    a = (torch) . save(x, 'f')\n"
        "    b = ops.c10d.barrier(x)\n"
        "    c = ops.mylib.op(x)\n"
        "    d = ops.aten.add(x, 1)\n"
        "    return torch.add(x, 1)\n"
    )
    found = {d.code: d.message for d in scan_code(text, "__torch__", "m.pt")}
    assert set(found) == {"TS612", "TS613", "TS603"}
    assert "torch.save (in __torch__.M.forward)" in found["TS612"]
    assert "c10d::barrier" in found["TS613"]
    assert "mylib::op" in found["TS603"]


def test_a_plain_model_has_no_code_findings(tmp_path: Path) -> None:
    from tsinspect.ir.archive import inspect_archive

    path = tmp_path / "plain.pt"
    torch.jit.script(torch.nn.Linear(2, 2).eval()).save(str(path))
    assert inspect_archive(path).code_findings == ()


def _rewrite(source: Path, target: Path, replace: dict[str, bytes], add: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = old.read(info.filename)
            for suffix, replacement in replace.items():
                if info.filename.endswith(suffix):
                    data = replacement
            new.writestr(info, data)
        for name, data in add.items():
            new.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return target


@pytest.fixture
def plain(tmp_path: Path) -> Path:
    path = tmp_path / "plain.pt"
    torch.jit.script(torch.nn.Linear(2, 2).eval()).save(str(path))
    return path


def test_zip_bomb_record_is_one_line(plain: Path, tmp_path: Path) -> None:
    prefix = zipfile.ZipFile(plain).namelist()[0].split("/")[0]
    # 200 MB of zeros deflate to ~200 KB: written in chunks, never held whole.
    big = tmp_path / "bomb2.pt"
    with zipfile.ZipFile(plain) as old, zipfile.ZipFile(big, "w") as new:
        for info in old.infolist():
            new.writestr(info, old.read(info.filename))
        info = zipfile.ZipInfo(f"{prefix}/extra/big.bin")
        info.compress_type = zipfile.ZIP_DEFLATED
        with new.open(info, "w", force_zip64=True) as stream:
            chunk = bytes(1024 * 1024)
            for _ in range(200):
                stream.write(chunk)
    assert big.stat().st_size < 2 * 1024 * 1024
    for command in ("graph", "report"):
        code, out, err = run(command, str(big))
        assert code == 2
        if command == "graph":
            assert err.count("\n") == 1 and "Traceback" not in err
            assert "extra/big.bin inflates from" in err and "limit" in err
        else:
            assert "extra/big.bin inflates from" in out


@pytest.mark.parametrize(
    "debug",
    [
        b"\x00garbage\xff" * 10,
        b"cos\nsystem\n(S'touch PWNED'\ntR.",  # GLOBAL os.system, no PROTO
        b"\x80\x02cos\nsystem\nq\x00X\x0b\x00\x00\x00touch PWNEDq\x01\x85q\x02Rq\x03.",
    ],
    ids=["garbage", "global-no-proto", "global-os-system"],
)
def test_bad_debug_pkl_is_one_line(
    plain: Path, tmp_path: Path, debug: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = _rewrite(plain, tmp_path / "debug.pt", {".debug_pkl": debug}, {})
    code, out, err = run("graph", str(path))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "is not a TorchScript debug pickle" in err
    code, out, _ = run("report", str(path))
    assert code == 2 and "is not a TorchScript debug pickle" in out
    assert not (tmp_path / "PWNED").exists()


def test_prescan_is_linear_in_nesting() -> None:
    """Deeply parenthesised names in an archive's code record: unwrapped in one pass (the
    scan rewrote the text once per level: 10 KB of parentheses took seconds, 40 KB minutes),
    and the call they hide is still found."""
    from tsinspect.ir.prescan import scan_code

    depth = 20_000
    hidden = "(" * depth + "torch" + ")" * depth
    text = f"class M(Module):\n  def forward(self):\n    return {hidden} . from_file('x')\n"
    found = scan_code(text, "__torch__.m", "m.pt")
    assert [d.code for d in found] == ["TS612"]
    assert "torch.from_file (in __torch__.m.M.forward)" in found[0].message


@pytest.mark.parametrize("raised", [IndexError, KeyError, TypeError])
def test_a_loader_error_of_any_kind_is_one_line(
    raised: type[Exception], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """torch's C++ loader raises IndexError on some corrupt pickles (found by the archive
    fuzzer: "Argument passed to at() was not in the map."): one line and exit 2, no traceback."""
    torch = pytest.importorskip("torch")
    archive = tmp_path / "model.pt"
    torch.jit.script(torch.nn.Linear(2, 2)).save(str(archive))

    def broken_load(*args: object, **kwargs: object) -> None:
        raise raised("Argument passed to at() was not in the map.")

    monkeypatch.setattr(torch.jit, "load", broken_load)
    result = CliRunner().invoke(main, ["graph", str(archive)])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(archive) in lines[0] and "cannot load" in lines[0]


def test_debug_pkl_torch_refuses_later_still_gives_a_graph(
    model_archive: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A debug pickle with another protocol number passes the pre-load scan, and torch only
    refuses it when a source range is read (lazily). The walk reads each node's source with
    that in mind; printing a method's graph (which reads them all) must not undo that."""
    monkeypatch.chdir(tmp_path)
    source = model_archive("simple_cnn")
    path = tmp_path / "protocol3.pt"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(path, "w") as new:
        for info in old.infolist():
            data = old.read(info.filename)
            if info.filename.endswith(".debug_pkl"):
                data = data[:1] + b"\x03" + data[2:]
            new.writestr(info, data)
    code, out, err = run("graph", str(path))
    assert code in (0, 1) and "Traceback" not in err
    assert "[N, 64, 7, 7]" in out  # shapes on every layer, as for the intact archive


def test_record_flagged_encrypted_is_one_line(
    plain: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """zipfile asks for a password (a RuntimeError) for a record whose encryption flag is set:
    PyTorch never writes one. Found by the archive fuzzer (one flipped header bit)."""
    monkeypatch.chdir(tmp_path)
    data = bytearray(plain.read_bytes())
    name = next(n for n in zipfile.ZipFile(plain).namelist() if n.endswith("/data.pkl")).encode()
    # the flag word of data.pkl's central directory entry (the one zipfile reads first)
    entry = data.find(b"PK\x01\x02", data.find(name) + 1)
    while data[entry + 46 : entry + 46 + len(name)] != name:
        entry = data.find(b"PK\x01\x02", entry + 1)
    data[entry + 8] |= 0x1
    path = tmp_path / "encrypted.pt"
    path.write_bytes(bytes(data))
    for command in ("graph", "validate", "report"):
        code, out, err = run(command, str(path))
        assert code == 2, (command, out, err)
        assert "Traceback" not in out + err
    code, out, err = run("graph", str(path))
    assert err.count("\n") == 1 and "encrypted" in err
