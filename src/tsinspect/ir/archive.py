"""What is this file? Zip sniffing before any load, and one-line errors.

A TorchScript archive is a zip whose records live under one folder and include
``code/`` (the serialized TorchScript), ``constants.pkl``, ``data.pkl`` and
``version``. ``torch.save`` also writes a zip with ``data.pkl``, but without
``code/``; older ``torch.save`` files (and plain pickles) are not zips at all.
:func:`inspect_archive` tells these apart from the bytes alone, reading pickle
*opcodes* (``pickletools``) and never unpickling, so no untrusted Python runs.
Only :func:`load_scripted` calls ``torch.jit.load``, and only on a file that
:func:`inspect_archive` recognised as TorchScript.
"""

from __future__ import annotations

import io
import pickletools
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tsinspect.diagnostics import Diagnostic
from tsinspect.errors import MissingDependencyError, ModelArchiveError, UntrustedModelError
from tsinspect.ir.prescan import scan_archive

#: ``ArchiveInfo.kind`` values.
TORCHSCRIPT = "torchscript"
STATE_DICT = "state_dict"
CHECKPOINT = "checkpoint"
EAGER_MODULE = "eager_module"
TENSOR = "tensor"
PICKLED_OBJECT = "pickled_object"
TORCH_EXPORT = "torch_export"
LEGACY_TORCHSCRIPT = "legacy_torchscript"
CORRUPT_ZIP = "corrupt_zip"
OTHER_ZIP = "other_zip"
PICKLE = "pickle"
SAFETENSORS = "safetensors"
EMPTY = "empty"
DIRECTORY = "directory"
MISSING = "missing"
UNREADABLE = "unreadable"
NOT_PYTORCH = "not_pytorch"
REFUSED = "refused"  # a TorchScript archive the pre-load scan will not hand to torch

# The first object of a legacy (non-zip) torch.save file is this magic number.
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
# Globals that a state_dict or a plain tensor pickles: storages, rebuild helpers, containers.
_DATA_GLOBAL_PREFIXES = (
    "torch._utils ",
    "torch ",  # torch FloatStorage, torch.HalfStorage...
    "collections OrderedDict",
    "__builtin__ set",
    "builtins set",
    "torch.storage ",
    "torch._tensor ",
    "numpy.core.multiarray ",
    "numpy ",
    "_codecs encode",
)
# Largest data.pkl we scan; opcodes only, weights live in separate records.
_MAX_PICKLE_SCAN = 64 * 1024 * 1024

_UNKNOWN_OP = re.compile(r"Unknown builtin op: ([\w.]+::[\w.]+?)\.?(?:\s|$)")

_EXPORT_HINT = "build the model, then torch.jit.script(model).save(path)"


@dataclass(frozen=True)
class ArchiveInfo:
    """What a model file is, decided from its bytes without loading it.

    ``kind`` is one of the module constants (``torchscript``, ``state_dict``,
    ``eager_module``, ``corrupt_zip``...); ``description`` says it in words;
    ``prefix`` is the archive's record folder; ``records`` the zip member names
    (empty when not a zip); ``file_format_version`` the ``version`` record;
    ``traced_inputs`` is True when the archive stores ``traced_inputs.pkl``
    (written by ``torch.jit.trace``); ``pickled_class`` the top-level class a
    ``torch.save`` pickle names, when there is one; ``code_findings`` what the
    pre-load scan (:mod:`tsinspect.ir.prescan`) found in the archive's code:
    when there are any, :func:`load_checked` refuses to load unless trusted.
    """

    path: str
    kind: str
    description: str
    size_bytes: int = 0
    prefix: str = ""
    records: tuple[str, ...] = ()
    file_format_version: str | None = None
    traced_inputs: bool = False
    pickled_class: str | None = None
    detail: str = ""
    code_findings: tuple[Diagnostic, ...] = ()

    @property
    def is_torchscript(self) -> bool:
        """True when ``torch.jit.load`` is expected to read this file."""
        return self.kind == TORCHSCRIPT

    def error_message(self) -> str:
        """The one-line message for a file that is not loadable TorchScript: what it is and what to do."""
        return str(_ERROR_MESSAGES[self.kind](self))


def inspect_archive(path: str | Path) -> ArchiveInfo:
    """Recognise what ``path`` holds, from its bytes only (no torch, no unpickling).

    Never raises for a bad file: the returned ArchiveInfo's ``kind`` says what
    it is. Use :func:`require_torchscript` to turn a non-archive into an error.
    """
    path = Path(path)
    shown = str(path)
    try:
        file_stat = path.stat()
    except FileNotFoundError:
        return ArchiveInfo(shown, MISSING, "no such file")
    except OSError as error:
        return ArchiveInfo(shown, UNREADABLE, f"cannot be read ({error.strerror or error})")
    if stat.S_ISDIR(file_stat.st_mode):
        return ArchiveInfo(shown, DIRECTORY, "a directory")
    size = file_stat.st_size
    if size == 0:
        return ArchiveInfo(shown, EMPTY, "an empty file")
    try:
        with path.open("rb") as handle:
            head = handle.read(64)
    except OSError as error:
        return ArchiveInfo(shown, UNREADABLE, f"cannot be read ({error.strerror or error})", size)
    if head.startswith(_ZIP_MAGICS):
        return _inspect_zip(path, size)
    if head[:1] == b"\x80" and len(head) > 1 and 2 <= head[1] <= 5:
        return _inspect_pickle_file(path, size)
    if _looks_like_safetensors(head, size):
        return ArchiveInfo(shown, SAFETENSORS, "a safetensors weights file", size)
    return ArchiveInfo(shown, NOT_PYTORCH, _guess_other(head), size)


def require_torchscript(path: str | Path) -> ArchiveInfo:
    """inspect_archive, raising ModelArchiveError unless the file is a TorchScript archive."""
    info = inspect_archive(path)
    if not info.is_torchscript:
        raise ModelArchiveError(info.error_message(), path=info.path)
    return info


def load_scripted(path: str | Path, *, trust_model: bool = False) -> Any:
    """Load a TorchScript archive on the CPU and return the ``torch.jit.ScriptModule``.

    The file is recognised first (:func:`inspect_archive`); anything that is
    not TorchScript raises ModelArchiveError with a one-line message saying
    what the file is and what to do. Only then is ``torch.jit.load`` called,
    with ``map_location="cpu"`` so a model saved on a GPU loads anywhere.
    Missing torch raises MissingDependencyError; code the pre-load scan flagged
    raises UntrustedModelError unless ``trust_model``.
    """
    info = require_torchscript(path)
    return load_checked(info, trust_model=trust_model)


def refuse_untrusted(info: ArchiveInfo, trust_model: bool) -> None:
    """UntrustedModelError naming the first findings of the pre-load scan, unless ``trust_model``."""
    if trust_model or not info.code_findings:
        return
    first = info.code_findings[0]
    more = len(info.code_findings) - 1
    others = sorted({d.code for d in info.code_findings[1:]})
    tail = f" (and {more} more: {', '.join(others)})" if more else ""
    raise UntrustedModelError(
        f"not loaded: {first.code} {first.message}{tail}; read the archive's code/ records "
        "(unzip -l), then pass --trust-model (trust_model=True in the API) if you trust this file",
        path=info.path,
    )


def load_checked(info: ArchiveInfo, *, trust_model: bool = False) -> Any:
    """``torch.jit.load`` an archive that :func:`inspect_archive` recognised as TorchScript.

    Refused (UntrustedModelError) when the pre-load scan found code that runs at
    load or reaches outside the process, unless ``trust_model``.
    """
    refuse_untrusted(info, trust_model)
    torch = import_torch()
    try:
        return torch.jit.load(info.path, map_location="cpu")
    except (
        RuntimeError,
        ValueError,
        OSError,
        zipfile.BadZipFile,
        EOFError,
        # torch's C++ loader surfaces std::out_of_range and friends as these (a flipped
        # byte in data.pkl gives "Argument passed to at() was not in the map.").
        IndexError,
        KeyError,
        TypeError,
    ) as error:
        first_line = next((line.strip() for line in str(error).splitlines() if line.strip()), "")
        if "required keyword attribute 'value'" in first_line and _code_mentions(
            info, "ConstantMKLDNNTensor"
        ):
            raise ModelArchiveError(
                "this archive was saved after torch.jit.optimize_for_inference, whose MKL-DNN "
                "weight constants (prim::ConstantMKLDNNTensor) TorchScript does not save "
                "(pytorch/pytorch#81085): neither torch.jit.load nor Triton can load it; save "
                "torch.jit.freeze(torch.jit.script(model.eval())) instead and let the server optimize",
                path=info.path,
            ) from None
        unknown_op = _UNKNOWN_OP.search(str(error))
        if unknown_op is not None:
            raise ModelArchiveError(
                f"the model calls operator {unknown_op.group(1)}, which is not registered in this "
                "process: pass the library that defines it with --library LIB.so "
                "(Triton needs it loaded too, e.g. LD_PRELOAD)",
                path=info.path,
            ) from None
        raise ModelArchiveError(
            f"a TorchScript archive that torch {torch.__version__} cannot load ({first_line[:200]}): "
            "re-export it with this torch version, or check that the file was copied completely",
            path=info.path,
        ) from None


def _code_mentions(info: ArchiveInfo, text: str, limit: int = 4 << 20) -> bool:
    """True when one of the archive's ``code/`` records contains ``text`` (first ``limit`` bytes)."""
    needle = text.encode("ascii")
    try:
        with zipfile.ZipFile(info.path) as archive:
            for name in info.records:
                if name.startswith(info.prefix + "code/") and name.endswith(".py"):
                    with archive.open(name) as stream:
                        if needle in stream.read(limit):
                            return True
    except (OSError, zipfile.BadZipFile, zlib.error, ValueError):
        return False
    return False


def import_torch() -> Any:
    """Import torch, or raise MissingDependencyError with the install command."""
    try:
        import torch
    except ImportError:
        raise MissingDependencyError(
            "this command reads TorchScript models and needs PyTorch: pip install 'tsinspect[torch]'"
        ) from None
    return torch


# --- zips -------------------------------------------------------------------


def _inspect_zip(path: Path, size: int) -> ArchiveInfo:
    shown = str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            names = tuple(archive.namelist())
            return _classify_zip(archive, names, shown, size)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        EOFError,
        struct.error,
        ValueError,
        IndexError,  # a record with an empty name (ZipInfo.is_dir reads its last character)
        OverflowError,
        zlib.error,  # a damaged compressed record (.debug_pkl files are deflated)
        NotImplementedError,  # a compression method zipfile does not know: not PyTorch's
        RuntimeError,  # a record flagged as encrypted (zipfile wants a password): not PyTorch's
    ) as error:
        return ArchiveInfo(
            shown, CORRUPT_ZIP, "a truncated or corrupt zip file", size, detail=str(error)
        )
    except ModelArchiveError as error:  # the pre-load scan refused a record (size, debug_pkl)
        message = str(error).removeprefix(f"{shown}: ")
        return ArchiveInfo(shown, REFUSED, message, size, detail=message)
    except OSError as error:
        return ArchiveInfo(shown, UNREADABLE, f"cannot be read ({error.strerror or error})", size)


def _record_prefix(names: tuple[str, ...]) -> str:
    """The folder all records share (PyTorch writes every record under ``<archive name>/``)."""
    for marker in ("/data.pkl", "/archive_format", "/version", "/model.json"):
        for name in names:
            if name.endswith(marker) and name.count("/") == 1:
                return name[: -len(marker) + 1]
    return ""


def _classify_zip(
    archive: zipfile.ZipFile, names: tuple[str, ...], shown: str, size: int
) -> ArchiveInfo:
    prefix = _record_prefix(names)
    present = set(names)

    def record(name: str, limit: int = _MAX_PICKLE_SCAN + 1) -> bytes | None:
        """The first ``limit`` bytes of a record (never all of a huge one)."""
        full = prefix + name
        if full not in present:
            return None
        with archive.open(full) as stream:
            return stream.read(limit)

    version_bytes = record("version", 64) or record(".data/version", 64)
    version = version_bytes.decode("ascii", "replace").strip() if version_bytes else None
    has_code = any(name.startswith(prefix + "code/") for name in names)
    has_data = prefix + "data.pkl" in present

    if prefix and has_code and has_data and prefix + "constants.pkl" in present:
        # Read every record except the tensor data now, streamed and size-limited: zipfile
        # checks each one's CRC, so a damaged archive is named here instead of failing inside
        # the TorchScript parser, and the code is scanned for what would run at load. The
        # tensor data (nearly all of the bytes) is left to torch.jit.load, which does not
        # check it: a corrupted weight goes unnoticed by both.
        code_findings = scan_archive(archive, prefix, shown)
        return ArchiveInfo(
            shown,
            TORCHSCRIPT,
            "a TorchScript archive",
            size,
            prefix=prefix,
            records=names,
            file_format_version=version,
            traced_inputs=prefix + "traced_inputs.pkl" in present,
            code_findings=code_findings,
        )
    if prefix and prefix + "archive_format" in present:
        return ArchiveInfo(
            shown, TORCH_EXPORT, "a torch.export program (.pt2)", size, prefix=prefix, records=names
        )
    if prefix and prefix + "model.json" in present:
        return ArchiveInfo(
            shown,
            LEGACY_TORCHSCRIPT,
            "a TorchScript archive in the pre-1.4 JSON format",
            size,
            prefix=prefix,
            records=names,
        )
    if has_data:
        data = record("data.pkl") or b""
        kind, description, pickled_class = _classify_pickle(data)
        return ArchiveInfo(
            shown,
            kind,
            description,
            size,
            prefix=prefix,
            records=names,
            file_format_version=version,
            pickled_class=pickled_class,
        )
    return ArchiveInfo(
        shown, OTHER_ZIP, "a zip file that is not a PyTorch archive", size, records=names
    )


# --- pickles ----------------------------------------------------------------


def _globals_and_first(data: bytes) -> tuple[list[str], str]:
    """The GLOBAL names a pickle references, and the first object it builds.

    Reads opcodes only. ``first`` is ``"GLOBAL module name"`` when the pickle
    starts by naming a class or function (the top-level object's type), else
    the first opcode's name (``EMPTY_DICT`` for a plain dict). Protocol 4+
    ``STACK_GLOBAL`` takes its names from the two preceding string pushes.
    """
    found: list[str] = []
    first = ""
    strings: list[str] = []
    for opcode, argument, _position in pickletools.genops(io.BytesIO(data)):
        name = opcode.name
        if name in _BOOKKEEPING_OPCODES:
            continue
        if name in ("GLOBAL", "INST"):
            found.append(str(argument))
        elif name == "STACK_GLOBAL" and len(strings) >= 2:
            found.append(f"{strings[-2]} {strings[-1]}")
        if "UNICODE" in name and isinstance(argument, str):
            strings.append(argument)
            if not first and len(strings) <= 2:
                continue  # may be the module and name of a leading STACK_GLOBAL
        if not first:
            if name in ("GLOBAL", "INST", "STACK_GLOBAL") and found:
                first = f"GLOBAL {found[-1]}"
            else:
                first = name
    return found, first


_BOOKKEEPING_OPCODES = frozenset(
    {"PROTO", "FRAME", "MEMOIZE", "PUT", "BINPUT", "LONG_BINPUT", "GET", "BINGET", "LONG_BINGET"}
)


def _classify_pickle(data: bytes) -> tuple[str, str, str | None]:
    """(kind, description, top-level class) of a torch.save pickle, from its opcodes."""
    if len(data) > _MAX_PICKLE_SCAN:
        return PICKLED_OBJECT, "a Python object pickled with torch.save", None
    try:
        found, first = _globals_and_first(data)
    except Exception:  # pickletools raises ValueError and others on damaged data
        return PICKLED_OBJECT, "a Python object pickled with torch.save (unreadable pickle)", None
    user_classes = [g for g in found if not g.startswith(_DATA_GLOBAL_PREFIXES)]
    nn_modules = [g for g in found if g.startswith("torch.nn.modules.")]
    top_class = first.removeprefix("GLOBAL ") if first.startswith("GLOBAL ") else None
    if nn_modules or (user_classes and top_class in user_classes):
        shown_class = (top_class or user_classes[0]).replace(" ", ".")
        if nn_modules:
            return (
                EAGER_MODULE,
                f"an eager nn.Module ({shown_class}) pickled with torch.save",
                shown_class,
            )
        return (
            PICKLED_OBJECT,
            f"a Python object ({shown_class}) pickled with torch.save",
            shown_class,
        )
    if top_class == "collections OrderedDict":
        return STATE_DICT, "a state_dict saved with torch.save", None
    if top_class is not None and top_class.startswith("torch._utils _rebuild"):
        return TENSOR, "a tensor saved with torch.save", None
    if first in ("EMPTY_DICT", "DICT", "MARK") and any("_rebuild" in g for g in found):
        return CHECKPOINT, "a checkpoint dictionary saved with torch.save", None
    if user_classes:
        shown_class = user_classes[0].replace(" ", ".")
        return (
            PICKLED_OBJECT,
            f"a Python object ({shown_class}) pickled with torch.save",
            shown_class,
        )
    return PICKLED_OBJECT, "a Python object pickled with torch.save", None


def _inspect_pickle_file(path: Path, size: int) -> ArchiveInfo:
    """A non-zip pickle: legacy torch.save (magic number first) or any other pickle."""
    shown = str(path)
    try:
        with path.open("rb") as handle:
            stream = handle.read(min(size, _MAX_PICKLE_SCAN))
    except OSError as error:
        return ArchiveInfo(shown, UNREADABLE, f"cannot be read ({error.strerror or error})", size)
    reader = io.BytesIO(stream)
    try:
        magic = _single_value(reader)
    except Exception:
        return ArchiveInfo(shown, PICKLE, "a Python pickle (not a PyTorch file)", size)
    if magic != _LEGACY_MAGIC:
        return ArchiveInfo(shown, PICKLE, "a Python pickle (not a PyTorch file)", size)
    try:
        _skip_pickle(reader)  # protocol version
        _skip_pickle(reader)  # sys_info
        start = reader.tell()
        _skip_pickle(reader)
        kind, description, pickled_class = _classify_pickle(stream[start : reader.tell()])
    except Exception:
        kind, description, pickled_class = (
            PICKLED_OBJECT,
            "a Python object pickled with torch.save",
            None,
        )
    description = description.replace("torch.save", "torch.save (legacy format)")
    return ArchiveInfo(shown, kind, description, size, pickled_class=pickled_class)


def _single_value(reader: io.BytesIO) -> int | None:
    """The value of a pickle that is one integer (the legacy magic number), read from opcodes."""
    value: int | None = None
    for opcode, argument, _position in pickletools.genops(reader):
        if opcode.name in ("LONG1", "LONG4", "INT", "BININT", "LONG") and isinstance(argument, int):
            value = argument
        elif opcode.name == "STOP":
            break
    return value


def _skip_pickle(reader: io.BytesIO) -> None:
    for opcode, _argument, _position in pickletools.genops(reader):
        if opcode.name == "STOP":
            return


# --- everything else ----------------------------------------------------------


def _looks_like_safetensors(head: bytes, size: int) -> bool:
    if len(head) < 10:
        return False
    (header_length,) = struct.unpack("<Q", head[:8])
    return 0 < header_length < size and head[8:9] == b"{"


_OTHER_MAGICS: tuple[tuple[bytes, str], ...] = (
    (b"\x93NUMPY", "a NumPy .npy array"),
    (b"\x89HDF", "an HDF5 file (Keras/TensorFlow weights?)"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"GGUF", "a GGUF (llama.cpp) model"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"%PDF", "a PDF document"),
    (b"\x7fELF", "an executable (ELF) file"),
)


def _guess_other(head: bytes) -> str:
    for magic, description in _OTHER_MAGICS:
        if head.startswith(magic):
            return f"not a PyTorch file ({description})"
    if head.lstrip().startswith(b"<"):
        return "not a PyTorch file (an HTML or XML page: a failed download?)"
    if head.startswith(b"version https://git-lfs"):
        return "not a PyTorch file (a Git LFS pointer: run git lfs pull)"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "not a PyTorch file (unrecognised binary data)"
    return "not a PyTorch file (a text file)"


def _hint_not_ts(info: ArchiveInfo) -> str:
    return f"this is {info.description}, not TorchScript: {_EXPORT_HINT}"


_ERROR_MESSAGES: dict[str, Any] = {
    STATE_DICT: lambda info: (
        f"this is {info.description}, not TorchScript: build the model, "
        "load_state_dict() it, then torch.jit.script(model).save(path)"
    ),
    CHECKPOINT: lambda info: (
        f"this is {info.description}, not TorchScript: build the model, load its state_dict "
        "from the checkpoint, then torch.jit.script(model).save(path)"
    ),
    EAGER_MODULE: _hint_not_ts,
    TENSOR: lambda info: f"this is {info.description}, not a model: pass the TorchScript archive",
    PICKLED_OBJECT: _hint_not_ts,
    PICKLE: lambda info: (
        f"this is {info.description}: pass a TorchScript archive saved with torch.jit.save"
    ),
    TORCH_EXPORT: lambda info: (
        f"this is {info.description}, not TorchScript: serve it with Triton's torch_aoti "
        "platform, or export with torch.jit.script(model).save(path)"
    ),
    LEGACY_TORCHSCRIPT: lambda info: (
        f"this is {info.description}, which current PyTorch cannot load: "
        "export the model again with torch.jit.script(model).save(path)"
    ),
    CORRUPT_ZIP: lambda info: (
        "this is a truncated or corrupt zip file (an interrupted copy or download?): "
        "copy the archive again or re-export it"
    ),
    OTHER_ZIP: lambda info: (
        f"this is {info.description} (no data.pkl or code/ inside): pass the TorchScript archive"
    ),
    SAFETENSORS: lambda info: (
        f"this is {info.description} (weights only), not TorchScript: {_EXPORT_HINT}"
    ),
    EMPTY: lambda info: (
        "this is an empty file: export the model again with torch.jit.script(model).save(path)"
    ),
    DIRECTORY: lambda info: (
        "this is a directory, not a model file: pass the .pt file inside it (e.g. <model>/1/model.pt)"
    ),
    MISSING: lambda info: "no such file: check the path",
    REFUSED: lambda info: info.description,
    UNREADABLE: lambda info: f"the file {info.description}: check its permissions",
    NOT_PYTORCH: lambda info: (
        f"{info.description}: pass a TorchScript archive saved with torch.jit.save"
    ),
}
