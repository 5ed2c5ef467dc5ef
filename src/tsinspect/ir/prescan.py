"""What is this file? The pre-load scan: the archive's records, read as text and opcodes, never run.

A TorchScript archive holds its program as Python-like text (``<name>/code/**.py``).
``torch.jit.load`` compiles that text, and it *runs* part of it: the
``__setstate__`` method of every module or class object the archive restores
(pytorch@v2.13.0:torch/csrc/jit/serialization/import.cpp, ``ScriptModuleDeserializer``
calls ``__setstate__`` while it unpickles ``data.pkl``). ``config``, ``validate``
and ``report`` also run ``forward``. Before any of that, :func:`scan_archive`
reads every record except the tensor data, streamed and size-limited, and
reports what would run at load or could reach outside the process:

- TS611 a ``__setstate__`` method (runs inside ``torch.jit.load``);
- TS612 an operator that opens files (:data:`FILE_OPERATORS`);
- TS613 an operator that talks to other processes (:data:`PROCESS_OPERATORS`,
  :data:`PROCESS_NAMESPACES`: distributed collectives, RPC, symmetric memory);
- TS603 an operator or class from a namespace libtorch does not register
  (native code from a library the user loads).

The scan is textual and conservative: a name counts wherever it appears in a
code record (a string literal included), after joining ``a . b`` and
``(a).b`` spellings, because ``torch.jit.load`` is the one that decides what
the text means. The ``.debug_pkl`` records (source ranges, unpickled lazily by
torch's own unpickler) are checked opcode by opcode: a record that does not
parse, or that names a global other than torch's list builders, is refused.
"""

from __future__ import annotations

import io
import pickletools
import re
import zipfile
from collections.abc import Iterable

from tsinspect.codes import finding
from tsinspect.diagnostics import Diagnostic, sorted_diagnostics
from tsinspect.errors import ModelArchiveError
from tsinspect.ir.findings import LIBTORCH_NAMESPACES

#: Largest uncompressed size of one compressed (deflated) record other than tensor data.
#: PyTorch stores tensor data uncompressed, so a larger deflated record is a zip bomb.
MAX_COMPRESSED_RECORD_BYTES = 64 * 1024 * 1024
#: Largest total of the records the scan reads (everything but ``data/``), uncompressed.
MAX_SCANNED_BYTES = 512 * 1024 * 1024
#: Largest code (``.py``) record the scan reads into memory.
MAX_CODE_RECORD_BYTES = 64 * 1024 * 1024
_CHUNK = 1024 * 1024

#: aten operators that open a file by name: ``aten::from_file`` (maps a file, shared=True
#: writes through) and ``aten::save`` (writes a file). Chosen from
#: ``torch._C._jit_get_all_schemas()`` on torch 2.13: the operators with a file-name argument.
FILE_OPERATORS: frozenset[str] = frozenset({"from_file", "save", "load_tensor"})
#: Operators that reach other processes or machines wherever they are called from.
PROCESS_OPERATORS: frozenset[str] = frozenset({"rpc_async", "rpc_sync", "rpc_remote"})
#: Namespaces (operators ``ops.NS.x`` and classes ``torch.classes.NS.X``) whose members
#: communicate with other processes: collectives, point-to-point, RPC, shared memory.
PROCESS_NAMESPACES: frozenset[str] = frozenset(
    {
        "c10d",
        "_c10d_functional",
        "_c10d_functional_autograd",
        "symm_mem",
        "_dtensor",
        "dist_c10d",
        "dist_rpc",
        "dist_autograd",
    }
)
# Globals a torch.jit debug_pkl names (torch's C++ unpickler builds int lists with them).
_DEBUG_GLOBAL_PREFIX = "torch.jit._pickle "

_WORD = r"[A-Za-z_][A-Za-z0-9_]*"
_DOT = re.compile(r"\s*\.\s*")
_CONTINUATION = re.compile(r"\\\r?\n")
_OPS = re.compile(rf"\bops\.({_WORD})\.({_WORD})")
_CLASSES = re.compile(rf"\bclasses\.({_WORD})\.({_WORD})")
_NAMES = re.compile(
    r"\b(__setstate__|" + "|".join(sorted(FILE_OPERATORS | PROCESS_OPERATORS)) + r")\b"
)
_CLASS_LINE = re.compile(rf"^class\s+({_WORD})")
_DEF_LINE = re.compile(rf"^\s+def\s+({_WORD})")


def _normalise(text: str) -> str:
    """Join the spellings ``torch . x``, ``(torch).x`` and backslash continuations to ``torch.x``.

    Line structure is kept where it matters for :func:`_contexts` (a join across lines is rare).
    """
    text = _CONTINUATION.sub(" ", text)
    return _DOT.sub(".", _unwrap_names(text))


# Words, runs of blanks, and any other single character.
_TOKEN = re.compile(r"\w+|\s+|.", re.DOTALL)


def _unwrap_names(text: str) -> str:
    """``((torch))`` -> ``torch``, to a fixed point, in one pass over the text.

    A ``(`` that follows a word, ``)`` or ``]`` is a call or a subscript and is kept (``f(x)``,
    ``class M(Module)``). Rewriting the text once per level of nesting instead was quadratic:
    an archive's code record of 10 KB of nested parentheses took seconds to scan.
    """
    # Only a ``)`` token can rewrite anything, and no token spans a ``)``: the text between
    # two of them is tokenized and appended in one call (a Python step per token was most of
    # the pre-load scan's time).
    pieces = text.split(")")
    out: list[str] = _TOKEN.findall(pieces[0])
    for piece in pieces[1:]:
        end = len(out) - (1 if out and out[-1].isspace() else 0)
        word = out[end - 1] if end >= 1 else ""
        start = end - 1 - (1 if end >= 2 and out[end - 2].isspace() else 0)
        if (
            word
            and _IDENTIFIER.fullmatch(word)
            and start >= 1
            and out[start - 1] == "("
            and not (start >= 2 and _BLOCKS_UNWRAP.search(out[start - 2]))
        ):
            del out[start - 1 :]
            out.append(word)
        else:
            out.append(")")
        out += _TOKEN.findall(piece)
    return "".join(out)


_IDENTIFIER = re.compile(_WORD)
# What makes ``(`` a call or a subscript: a word character, ``)`` or ``]`` right before it.
_BLOCKS_UNWRAP = re.compile(r"[\w)\]]\Z")


def _module_name(record: str, prefix: str) -> str:
    """``archive/code/__torch__/models/net.py`` -> ``__torch__.models.net``."""
    inner = record[len(prefix + "code/") :].removesuffix(".py")
    return inner.replace("/", ".")


def _contexts(lines: list[str], module: str) -> list[str]:
    """For each line, ``module.Class.method`` it belongs to: the last class line at or above
    it, and the last ``def`` line between that class line and it. One pass over the lines."""
    found: list[str] = []
    owner = method = ""
    for line in lines:
        if found_class := _CLASS_LINE.match(line):
            owner, method = found_class.group(1), ""
        elif found_def := _DEF_LINE.match(line):
            method = found_def.group(1)
        found.append(".".join(part for part in (module, owner, method) if part))
    return found


def _line_of(offsets: list[int], position: int) -> int:
    low, high = 0, len(offsets) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if offsets[middle] <= position:
            low = middle
        else:
            high = middle - 1
    return low


# The quick "nothing to find" check. Normalising only deletes blanks, parentheses and
# backslashes (and turns a continuation into a blank), so every match the scan can make in the
# normalised text is, with those characters taken out, a run of the raw text with them taken
# out. No such run -> no finding, and the normalising (the scan's slow part) is skipped. A
# namespace of libtorch right after ``ops.``/``classes.`` is no finding either, unless it is
# one that reaches other processes.
_SQUEEZE = re.compile(r"[\s()\\]+")
_MAYBE_FINDING = re.compile(
    r"(?:ops|classes)\.(?!(?:"
    + "|".join(sorted(map(re.escape, LIBTORCH_NAMESPACES - PROCESS_NAMESPACES)))
    + r")\.)|__setstate__|"
    + "|".join(sorted(map(re.escape, FILE_OPERATORS | PROCESS_OPERATORS)))
)


def scan_code(text: str, module: str, path: str) -> list[Diagnostic]:
    """The findings of one code record's text (``module`` names it in the messages)."""
    if not _MAYBE_FINDING.search(_SQUEEZE.sub("", text)):
        return []
    return _scan_normalised(text, module, path)


def _scan_normalised(text: str, module: str, path: str) -> list[Diagnostic]:
    normal = _normalise(text)
    # Where each line is (method and class), worked out on the first match only: most code
    # records have none, and this was a third of the scan.
    located: list[tuple[list[int], list[str]]] = []

    def where_is(position: int) -> str:
        if not located:
            lines = normal.split("\n")
            offsets = [0]
            for line in lines[:-1]:
                offsets.append(offsets[-1] + len(line) + 1)
            located.append((offsets, _contexts(lines, module)))
        offsets, contexts = located[0]
        return contexts[_line_of(offsets, position)]

    found: dict[tuple[str, str], tuple[str, set[str]]] = {}

    def add(code: str, what: str, where: str) -> None:
        found.setdefault((code, what), (what, set()))[1].add(where)

    for match in _NAMES.finditer(normal):
        name = match.group(1)
        where = where_is(match.start())
        if name == "__setstate__":
            add("TS611", "__setstate__", where)
        elif name in FILE_OPERATORS:
            add("TS612", f"torch.{name}" if name != "load_tensor" else name, where)
        else:
            add("TS613", name, where)
    for pattern, kind in ((_OPS, "operator"), (_CLASSES, "class")):
        for match in pattern.finditer(normal):
            namespace, member = match.group(1), match.group(2)
            if namespace == "aten":
                continue  # ops.aten.x is torch.x, seen by _NAMES
            where = where_is(match.start())
            shown = (
                f"{namespace}::{member}" if kind == "operator" else f"class {namespace}.{member}"
            )
            if namespace in PROCESS_NAMESPACES:
                add("TS613", shown, where)
            elif namespace not in LIBTORCH_NAMESPACES:
                add(f"TS603:{namespace}", shown, where)
    return [
        _finding(code, what, sorted(wheres), path) for (code, _), (what, wheres) in found.items()
    ]


_MESSAGES = {
    "TS611": (
        "runs inside torch.jit.load, before anything else: a loaded model executes it",
        "read the method in the archive's code/ records; load the model only if you trust it",
    ),
    "TS612": (
        "opens a file by name when it runs",
        "read the call in the archive's code/ records; load the model only if you trust it",
    ),
    "TS613": (
        "communicates with other processes or machines when it runs",
        "read the call in the archive's code/ records; load the model only if you trust it",
    ),
    "TS603": (
        "is native code outside libtorch, from a library this process would have to load",
        "load the op library (--library LIB.so) only if you trust it and the model",
    ),
}


def _finding(code: str, what: str, wheres: list[str], path: str) -> Diagnostic:
    base = code.split(":", 1)[0]
    note, hint = _MESSAGES[base]
    places = ", ".join(wheres[:3]) + (f" and {len(wheres) - 3} more" if len(wheres) > 3 else "")
    verb = "defines method" if base == "TS611" else "calls"
    message = f"the archive's code {verb} {what} (in {places}): it {note}"
    return finding(base, message, path, hint=hint)


def _read_limited(archive: zipfile.ZipFile, info: zipfile.ZipInfo, keep: int, path: str) -> bytes:
    """Stream one record through zipfile (which checks its CRC at the end); return its first
    ``keep`` bytes. Memory stays at one chunk plus ``keep``."""
    kept = bytearray()
    with archive.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            if len(kept) < keep:
                kept += chunk[: keep - len(kept)]
    return bytes(kept)


def check_debug_pickle(data: bytes, record: str, path: str) -> None:
    """Refuse a ``.debug_pkl`` record that is not the pickle torch writes there (ModelArchiveError).

    Read with pickletools (opcodes only). torch's unpickler requires the PROTO opcode first
    and resolves only its own globals; anything else is damage or an attack. The records
    torch writes take the quick path (:func:`_plain_debug_pickle`); anything it does not
    vouch for is read by pickletools, which names the problem.
    """
    if _plain_debug_pickle(data):
        return
    problem = debug_pickle_problem(data)
    if problem:
        raise ModelArchiveError(
            f"the source-range record {record} is not a TorchScript debug pickle ({problem}): "
            "nothing was loaded; re-export the model, or remove the *.debug_pkl records",
            path=path,
        )


def debug_pickle_problem(data: bytes) -> str:
    """What is wrong with a ``.debug_pkl`` record, read opcode by opcode with pickletools
    ('' when nothing is)."""
    try:
        first = True
        for opcode, argument, _position in pickletools.genops(io.BytesIO(data)):
            if first and opcode.name != "PROTO":
                return f"it starts with {opcode.name}, not PROTO"
            first = False
            if opcode.name in ("GLOBAL", "INST") and not str(argument).startswith(
                _DEBUG_GLOBAL_PREFIX
            ):
                return f"it names the global {str(argument).replace(' ', '.')!r}"
            if opcode.name in ("STACK_GLOBAL", "EXT1", "EXT2", "EXT4", "PERSID", "BINPERSID"):
                return f"it uses the {opcode.name} opcode"
    except Exception as error:  # pickletools raises ValueError and others on damaged data
        return f"it does not parse ({str(error)[:80]})"
    return ""


# The quick reading of a debug pickle: for each opcode byte, the size of its argument as
# pickletools reads it (>= 0: that many bytes; _LENGTH_*: a length prefix, then that many
# bytes), or None where the quick path steps aside (an argument up to a newline, a flagged
# opcode, an unknown byte): pickletools then reads the whole record.
_LENGTH_1 = pickletools.TAKEN_FROM_ARGUMENT1
_LENGTH_4_SIGNED = pickletools.TAKEN_FROM_ARGUMENT4
_LENGTH_4 = pickletools.TAKEN_FROM_ARGUMENT4U
_LENGTH_8 = pickletools.TAKEN_FROM_ARGUMENT8U
_LENGTH_WIDTHS = {_LENGTH_1: 1, _LENGTH_4_SIGNED: 4, _LENGTH_4: 4, _LENGTH_8: 8}
_DECODED = frozenset({ord("\x8c"), ord("X"), ord("\x8d")})  # *BINUNICODE*: utf-8 decoded
_GLOBAL, _STOP, _PROTO = ord("c"), ord("."), 0x80
_DEBUG_GLOBAL_MODULE = _DEBUG_GLOBAL_PREFIX.strip().encode("ascii") + b"\n"
_NAME_BYTES = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*\n")


def _argument_sizes() -> list[int | None]:
    sizes: list[int | None] = [None] * 256
    stepped_aside = {"STACK_GLOBAL", "EXT1", "EXT2", "EXT4", "PERSID", "BINPERSID", "INST"}
    for opcode in pickletools.opcodes:
        if opcode.name in stepped_aside:
            continue
        code = ord(opcode.code)
        if opcode.arg is None:
            sizes[code] = 0
        elif opcode.arg.n >= 0 or opcode.arg.n in _LENGTH_WIDTHS:
            sizes[code] = opcode.arg.n
    sizes[_GLOBAL] = None  # read by hand below
    return sizes


_ARGUMENT_SIZES = _argument_sizes()


def _plain_debug_pickle(data: bytes) -> bool:
    """True when pickletools would read ``data`` to its STOP without a problem for
    :func:`check_debug_pickle`: PROTO first, every opcode known and complete, every string
    valid UTF-8, and every GLOBAL ``torch.jit._pickle <name>``. False means "not sure", never
    "refused": the caller then reads the record with pickletools. ~10x quicker than
    pickletools.genops, which builds a Python object per opcode (ResNet-50's 13,000 opcodes
    of source ranges took 16 ms)."""
    end = len(data)
    if end < 2 or data[0] != _PROTO:
        return False
    sizes = _ARGUMENT_SIZES
    position = 0
    try:
        while position < end:
            code = data[position]
            position += 1
            size = sizes[code]
            if size is None:
                if code != _GLOBAL or not data.startswith(_DEBUG_GLOBAL_MODULE, position):
                    return False
                name = _NAME_BYTES.match(data, position + len(_DEBUG_GLOBAL_MODULE))
                if name is None:
                    return False
                position = name.end()
                continue
            if size >= 0:
                position += size
            else:
                width = _LENGTH_WIDTHS[size]
                length = int.from_bytes(
                    data[position : position + width], "little", signed=size == _LENGTH_4_SIGNED
                )
                position += width
                if length < 0 or position + length > end:
                    return False
                if code in _DECODED:
                    str(data[position : position + length], "utf-8", "surrogatepass")
                position += length
            if position > end:
                return False
            if code == _STOP:
                return True
    except (UnicodeDecodeError, IndexError):
        return False
    return False


def scan_archive(archive: zipfile.ZipFile, prefix: str, path: str) -> tuple[Diagnostic, ...]:
    """Check every record but the tensor data, streamed; return the code findings.

    Raises ModelArchiveError (one line) for a deflated record larger than
    :data:`MAX_COMPRESSED_RECORD_BYTES`, more than :data:`MAX_SCANNED_BYTES` in
    all, a damaged record (bad CRC, bad deflate stream) or a bad ``.debug_pkl``.
    """
    data_prefix = prefix + "data/"
    infos = [
        info
        for info in archive.infolist()
        if not info.filename.startswith(data_prefix) and not info.is_dir()
    ]
    total = 0
    for info in infos:
        if (
            info.compress_type != zipfile.ZIP_STORED
            and info.file_size > MAX_COMPRESSED_RECORD_BYTES
        ):
            raise ModelArchiveError(
                f"the record {info.filename} inflates from {info.compress_size:,} to "
                f"{info.file_size:,} bytes (limit {MAX_COMPRESSED_RECORD_BYTES:,}): "
                "PyTorch never writes such a record; this is not an archive to load",
                path=path,
            )
        total += info.file_size
    if total > MAX_SCANNED_BYTES:
        raise ModelArchiveError(
            f"the archive's records other than tensor data hold {total:,} bytes "
            f"(limit {MAX_SCANNED_BYTES:,}): this is not an archive to load",
            path=path,
        )
    found: list[Diagnostic] = []
    code_prefix = prefix + "code/"
    for info in infos:
        name = info.filename
        is_code = name.startswith(code_prefix) and name.endswith(".py")
        is_debug = name.endswith(".debug_pkl")
        if is_code and info.file_size > MAX_CODE_RECORD_BYTES:
            raise ModelArchiveError(
                f"the code record {name} holds {info.file_size:,} bytes "
                f"(limit {MAX_CODE_RECORD_BYTES:,}): this is not an archive to load",
                path=path,
            )
        keep = MAX_CODE_RECORD_BYTES if (is_code or is_debug) else 0
        data = _read_limited(archive, info, keep, path)
        if is_code:
            text = data.decode("utf-8", "replace")
            found += scan_code(text, _module_name(name, prefix), path)
        elif is_debug:
            check_debug_pickle(data, name, path)
    return tuple(sorted_diagnostics(_merge(found)))


def _merge(found: Iterable[Diagnostic]) -> list[Diagnostic]:
    """One finding per message (several code files may report the same thing the same way)."""
    seen: dict[tuple[str, str], Diagnostic] = {}
    for diagnostic in found:
        seen.setdefault((diagnostic.code, diagnostic.message), diagnostic)
    return list(seen.values())


__all__ = [
    "FILE_OPERATORS",
    "MAX_CODE_RECORD_BYTES",
    "MAX_COMPRESSED_RECORD_BYTES",
    "MAX_SCANNED_BYTES",
    "PROCESS_NAMESPACES",
    "PROCESS_OPERATORS",
    "check_debug_pickle",
    "scan_archive",
    "scan_code",
]
