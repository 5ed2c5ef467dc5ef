"""Read a config.pbtxt into ``config.ModelConfig`` records, keeping line numbers.

A small reader for protobuf text format (fields, ``{}``/``<>`` messages,
``[a, b]`` lists, quoted strings, ``#`` comments). It knows nothing of the
schema: it exists so that ``validate`` can point at lines and still work
without tritonclient. Whether the text is a valid ModelConfig is decided by
Triton's own generated protobuf module in ``schema``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tsinspect.errors import ConfigError
from tsinspect.triton.config import DynamicBatching, InstanceGroup, ModelConfig, TensorConfig
from tsinspect.triton.dtypes import TRITON_TYPE_NUMBERS

_TOKEN = re.compile(
    r"""
    (?P<space>[ \t\r\f\v]+)
  | (?P<newline>\n)
  | (?P<comment>\#[^\n]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<word>[-+]?[A-Za-z0-9_.]+)
  | (?P<punct>[{}\[\]<>:,;])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Field:
    """One ``name: value`` of the text: a scalar (``text``) or a message (``children``)."""

    name: str
    line: int
    text: str | None = None
    quoted: bool = False
    children: tuple[Field, ...] | None = None

    def all(self, name: str) -> list[Field]:
        """Every child field called ``name``, in order."""
        return [child for child in self.children or () if child.name == name]

    def first(self, name: str) -> Field | None:
        """The first child field called ``name``, or None."""
        found = self.all(name)
        return found[0] if found else None


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    line: int


def _tokens(text: str, path: str) -> list[_Token]:
    tokens: list[_Token] = []
    line = 1
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ConfigError(
                f"line {line}: unexpected character {text[position]!r}; fix the config's syntax",
                path=path,
            )
        kind = match.lastgroup or ""
        if kind == "newline":
            line += 1
        elif kind not in ("space", "comment"):
            tokens.append(_Token(kind, match.group(), line))
        position = match.end()
    return tokens


#: Deepest ``{ ... }`` nesting read (Triton's ModelConfig nests about 6 levels).
MAX_DEPTH = 64


class _Parser:
    def __init__(self, tokens: list[_Token], path: str) -> None:
        self.tokens = tokens
        self.index = 0
        self.path = path
        self.depth = 0

    def error(self, message: str) -> ConfigError:
        line = self.tokens[min(self.index, len(self.tokens) - 1)].line if self.tokens else 1
        return ConfigError(f"line {line}: {message}; fix the config's syntax", path=self.path)

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise self.error("unexpected end of file")
        self.index += 1
        return token

    def message(self, closer: str | None) -> tuple[Field, ...]:
        fields: list[Field] = []
        while True:
            token = self.peek()
            if token is None:
                if closer is not None:
                    raise self.error(f"missing {closer!r}")
                return tuple(fields)
            if closer is not None and token.text == closer:
                self.index += 1
                return tuple(fields)
            if token.kind != "word":
                raise self.error(f"expected a field name, found {token.text!r}")
            self.index += 1
            fields.extend(self.field_values(token))
            separator = self.peek()
            if separator is not None and separator.text in (",", ";"):
                self.index += 1

    def field_values(self, name: _Token) -> list[Field]:
        token = self.peek()
        if token is not None and token.text == ":":
            self.index += 1
            token = self.peek()
        if token is not None and token.text == "[":
            self.index += 1
            values: list[Field] = []
            while True:
                token = self.peek()
                if token is not None and token.text == "]":
                    self.index += 1
                    return values
                values.append(self.value(name))
                token = self.peek()
                if token is not None and token.text == ",":
                    self.index += 1
        return [self.value(name)]

    def value(self, name: _Token) -> Field:
        token = self.take()
        if token.text in ("{", "<"):
            closer = "}" if token.text == "{" else ">"
            if self.depth >= MAX_DEPTH:
                raise self.error(f"messages nested deeper than {MAX_DEPTH} levels")
            self.depth += 1
            # The line of the opening brace: for `input [ {...}, {...} ]` each entry gets its own.
            children = self.message(closer)
            self.depth -= 1
            return Field(name.text, token.line, children=children)
        if token.kind == "string":
            parts = [self.unquote(token)]
            # Adjacent string literals concatenate, as in protobuf's text format.
            while (following := self.peek()) is not None and following.kind == "string":
                parts.append(self.unquote(self.take()))
            return Field(name.text, token.line, text="".join(parts), quoted=True)
        if token.kind == "word":
            return Field(name.text, token.line, text=token.text)
        raise self.error(f"expected a value for {name.text!r}, found {token.text!r}")

    def unquote(self, token: _Token) -> str:
        try:
            return _unquote(token.text)
        except UnicodeDecodeError as error:
            raise ConfigError(
                f"line {token.line}: bad escape in the string {token.text[:40]!r} ({error.reason}); "
                "fix the config's syntax",
                path=self.path,
            ) from None


def _unquote(literal: str) -> str:
    body = literal[1:-1]
    return body.encode("latin-1", "backslashreplace").decode("unicode_escape")


def check_readable(text: str, path: str = "config.pbtxt") -> None:
    """ConfigError (unreadable input, exit 2) when the text cannot even be decoded.

    Two things make a config unreadable rather than wrong: a string whose escapes do not
    decode (``"\\u12"``), and messages nested deeper than MAX_DEPTH (Triton's schema nests
    about 6). Both would otherwise reach protobuf's own reader as a schema finding, or
    recurse without bound. Any other mistake (an unknown field, a missing brace) stays a
    finding (TS701) that points at its line. Iterative, so any depth costs one pass.
    """
    try:
        tokens = _tokens(text, path)
    except ConfigError:
        return  # a stray character: a syntax finding (TS701) at its line, not unreadable
    depth = 0
    for token in tokens:
        if token.text in ("{", "<"):
            depth += 1
            if depth > MAX_DEPTH:
                raise ConfigError(
                    f"line {token.line}: messages nested deeper than {MAX_DEPTH} levels; "
                    "the config cannot be read",
                    path=path,
                )
        elif token.text in ("}", ">"):
            depth = max(0, depth - 1)
        elif token.kind == "string":
            _Parser([], path).unquote(token)


def parse_fields(text: str, path: str = "config.pbtxt") -> Field:
    """Parse protobuf text into a root Field (name ``""``); ConfigError with a line on bad syntax."""
    parser = _Parser(_tokens(text, path), path)
    return Field("", 1, children=parser.message(None))


def _text(field: Field | None) -> str:
    return field.text or "" if field is not None else ""


def _int(field: Field | None, path: str, default: int = 0) -> int:
    if field is None or field.text is None:
        return default
    try:
        return int(field.text, 0)
    except ValueError as error:
        raise ConfigError(
            f"line {field.line}: {field.name} must be an integer, not {field.text!r}", path=path
        ) from error


def _data_type(field: Field | None, path: str) -> str:
    if field is None or field.text is None:
        return "TYPE_INVALID"
    if field.text.lstrip("-").isdigit():
        number = int(field.text)
        for name, value in TRITON_TYPE_NUMBERS.items():
            if value == number:
                return name
        raise ConfigError(f"line {field.line}: unknown data_type {number}", path=path)
    return field.text


def _tensor(entry: Field, path: str) -> TensorConfig:
    name_field = entry.first("name")
    dims = tuple(_int(dim, path) for dim in entry.all("dims"))
    reshape_field = entry.first("reshape")
    reshape = None
    if reshape_field is not None:
        reshape = tuple(_int(dim, path) for dim in reshape_field.all("shape"))
    return TensorConfig(
        name=name_field.text or "" if name_field is not None else "",
        data_type=_data_type(entry.first("data_type"), path),
        dims=dims,
        reshape=reshape,
        line=entry.line,
        field_lines=tuple(
            (child.name, child.line)
            for child in entry.children or ()
            if child.name in ("name", "data_type", "dims", "reshape")
        ),
    )


def read_config(text: str, path: str = "config.pbtxt") -> ModelConfig:
    """The ModelConfig records of a config.pbtxt's text; ConfigError on bad syntax.

    Fields tsinspect does not model (sequence_batching, optimization...) are
    skipped here; the schema check sees the whole text.
    """
    root = parse_fields(text, path)
    line_of: list[tuple[str, int]] = []
    for child in root.children or ():
        if child.name not in dict(line_of):
            line_of.append((child.name, child.line))
    groups = tuple(
        InstanceGroup(
            kind=_text(group.first("kind")) or "KIND_AUTO",
            count=_int(group.first("count"), path, 1),
        )
        for group in root.all("instance_group")
    )
    batching_field = root.first("dynamic_batching")
    dynamic = None
    if batching_field is not None:
        dynamic = DynamicBatching(
            preferred_batch_size=tuple(
                _int(size, path) for size in batching_field.all("preferred_batch_size")
            ),
            max_queue_delay_microseconds=_int(
                batching_field.first("max_queue_delay_microseconds"), path
            ),
        )
    parameters = []
    for parameter in root.all("parameters"):
        key = parameter.first("key")
        value = parameter.first("value")
        string_value = value.first("string_value") if value is not None and value.children else None
        parameters.append(
            (
                key.text or "" if key is not None else "",
                string_value.text or "" if string_value is not None else "",
            )
        )
        line_of.append((f"parameters.{key.text if key else ''}", parameter.line))

    def text_of(name: str) -> str:
        found = root.first(name)
        return found.text or "" if found is not None else ""

    return ModelConfig(
        name=text_of("name"),
        platform=text_of("platform"),
        backend=text_of("backend"),
        default_model_filename=text_of("default_model_filename"),
        max_batch_size=_int(root.first("max_batch_size"), path),
        inputs=tuple(_tensor(entry, path) for entry in root.all("input")),
        outputs=tuple(_tensor(entry, path) for entry in root.all("output")),
        instance_groups=groups,
        dynamic_batching=dynamic,
        parameters=tuple(parameters),
        line_of=tuple(line_of),
    )
