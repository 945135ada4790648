"""Case files: one product's answers to the seven questions, as a commented YAML file.

A case file has ``name`` and ``summary`` and one section per question (``problem:``, ``need_ai:`` …). Each
section is validated against its question's ``Answers`` model. Data files named in a case resolve relative to
the case file. Every error names the file, the section and the field to fix.

Files are read and written by ruamel.yaml in round-trip mode (YAML 1.2): saving into the file a case was
loaded from edits that document, so the user's comments, order and quoting stay and only changed values
change. A save is refused (``CaseConflict``) when the file changed since it was loaded; it holds a lock
from reading the file to replacing it, writes atomically and keeps the previous version as ``.bak``.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import hashlib
import io
import os
import re
import secrets
import stat
import textwrap
import time
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, BaseModel, PlainSerializer, ValidationError, ValidationInfo

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import AliasEvent, ScalarEvent
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarstring import (DoubleQuotedScalarString, LiteralScalarString, ScalarString,
                                      SingleQuotedScalarString)

from .bundled import bundled_cases
from .questions import BY_KEY, QUESTIONS

try:
    import fcntl
except ImportError:  # Windows: no advisory lock; the content-hash check still refuses a lost update
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from .result import Result

MAX_CASE_BYTES = 2_000_000
TOP_LEVEL = ("name", "summary")


class CaseError(ValueError):
    """A case file (or an override) that cannot be used, with where to fix it."""

    def __init__(self, problem: str, file: str | os.PathLike | None = None, section: str | None = None,
                 field: str | None = None):
        self.problem, self.file, self.section, self.field = problem, file, section, field
        where = ".".join(part for part in (section, field) if part)
        prefix = ": ".join(str(part) for part in (file, where) if part)
        super().__init__(f"{prefix}: {problem}" if prefix else problem)


# ---- data files named in a case ------------------------------------------------------------------------

def _resolve_data_file(value: Path, info: ValidationInfo) -> Path:
    base = (info.context or {}).get("base_dir")
    path = Path(value).expanduser()
    if not path.is_absolute() and base is not None:
        path = Path(base) / path
    if not path.is_file():
        raise ValueError(f"file not found: {value} (paths are relative to the case file)")
    return path.resolve()


def _serialize_data_file(value: Path, info: Any) -> str:
    base = (info.context or {}).get("base_dir")
    if base is not None:
        try:
            return Path(value).relative_to(Path(base).resolve()).as_posix()
        except ValueError:
            pass
    return Path(value).as_posix()


DataFile = Annotated[Path, AfterValidator(_resolve_data_file), PlainSerializer(_serialize_data_file)]
"""A path to a data file (CSV …) in a case, relative to the case file; it must exist."""


# ---- YAML: ruamel.yaml round trip, YAML 1.2, no anchors, aliases or tags, bounded ---------------------------

MAX_DEPTH = 20
"""Nesting a case file may use: section → table → row → field is four levels; twenty leaves room and stops a
file of ``[[[[…`` from exhausting the parser's stack."""
MAX_NUMBER_CHARS = 50
"""Longest number a case file may write. Python refuses to read an integer of over 4,300 digits and no answer
needs more than twenty; a limit well below both keeps the message ours."""

# What a YAML file can hold as written: printable characters, tabs and line feeds. Anything else is written
# double-quoted, where it is an escape. That includes NEL and the line/paragraph separators, which YAML
# readers (ruamel's like PyYAML's) take for line breaks wherever they appear raw, a carriage return and a BOM.
_NEEDS_ESCAPES = re.compile("[^\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")


class _Refused(Exception):
    """Something a case file may not contain, found while reading it (with where, when known)."""

    def __init__(self, problem: str, where: list[Any] | None = None):
        super().__init__(problem)
        self.problem, self.where = problem, list(where or [])


class _DateText(str):
    """An unquoted date (``due: 2025-07-31``) read as the text written, and written back unquoted.

    YAML 1.2's core schema has no dates; the plans in a case keep a date as the text the user wrote, and a
    question that needs a date checks it as a field (so ``2026-13-45`` is a field error, not a crash)."""


class _CaseComposer(Composer):
    """ruamel's composer, refusing anchors, aliases, explicit tags, deep nesting and overlong numbers."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._where: list[Any] = []

    def compose_node(self, parent: Any, index: Any) -> Any:
        pushed = parent is not None
        if pushed:  # where we are, to name the section and field in a message
            self._where.append(index.value if isinstance(index, ScalarNode) else index)
        try:
            self._check(self.parser.peek_event())
            return super().compose_node(parent, index)
        finally:
            if pushed:
                self._where.pop()

    def _check(self, event: Any) -> None:
        line = f"line {event.start_mark.line + 1}: "
        if isinstance(event, AliasEvent):
            raise _Refused(f"{line}YAML aliases (*{event.anchor}) are not allowed in a case file; write the "
                           f"value out", self._where)
        if event.anchor is not None:
            raise _Refused(f"{line}YAML anchors (&{event.anchor}) and aliases are not allowed in a case file; "
                           f"write each value out", self._where)
        tag = getattr(event, "ctag", None)
        if tag is not None:
            shown = f"{tag.handle or ''}{tag.suffix or ''}" or str(tag)
            raise _Refused(f"{line}YAML tags ({shown}) are not allowed in a case file; write the plain value "
                           f"(in quotes to keep it as text)", self._where)
        if self.depth >= MAX_DEPTH:
            raise _Refused(f"{line}nested more than {MAX_DEPTH} levels deep; a case file needs a few",
                           self._where[:3])
        if isinstance(event, ScalarEvent) and event.style is None and len(event.value) > MAX_NUMBER_CHARS:
            kind = str(self.resolver.resolve(ScalarNode, event.value, event.implicit))
            if kind.endswith((":int", ":float")):
                raise _Refused(f"{line}a number written with {len(event.value):,} characters; a case file's "
                               f"numbers have at most {MAX_NUMBER_CHARS}", self._where)


class _CaseConstructor(RoundTripConstructor):
    def construct_date_text(self, node: Any) -> _DateText:
        return _DateText(node.value)


_CaseConstructor.add_constructor("tag:yaml.org,2002:timestamp", _CaseConstructor.construct_date_text)


class _CaseRepresenter(RoundTripRepresenter):
    def represent_text(self, data: str) -> Any:
        style = '"' if _NEEDS_ESCAPES.search(data) else None
        return self.represent_scalar("tag:yaml.org,2002:str", data, style=style)

    def represent_date_text(self, data: _DateText) -> Any:
        return self.represent_scalar("tag:yaml.org,2002:timestamp", str(data))


_CaseRepresenter.add_representer(str, _CaseRepresenter.represent_text)
_CaseRepresenter.add_representer(_DateText, _CaseRepresenter.represent_date_text)


def _yaml() -> YAML:
    """A round-trip YAML 1.2 reader/writer set up for case files (one per use: they are not thread-safe)."""
    y = YAML(typ="rt")
    y.Composer, y.Constructor, y.Representer = _CaseComposer, _CaseConstructor, _CaseRepresenter
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap a user's long line; folded (>) text keeps its own folds
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def _parse(text: str) -> Any:
    return _yaml().load(text)


def _render(document: Any) -> str:
    out = io.StringIO()
    _yaml().dump(document, out)
    return out.getvalue()


def _content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_document(path: Path) -> tuple[Any, str]:
    """The parsed document (ruamel's commented mapping) of a case file and the hash of its bytes."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_CASE_BYTES + 1)
    except OSError as exc:
        raise CaseError(f"cannot read the case file ({exc.strerror})", path) from None
    if len(raw) > MAX_CASE_BYTES:
        size = max(len(raw), path.stat().st_size)
        raise CaseError(f"the case file is {size:,} bytes; a case file is at most {MAX_CASE_BYTES:,} "
                        f"(put large data in a CSV and name it in the case)", path)
    if b"\0" in raw:
        line = raw[: raw.index(b"\0")].count(b"\n") + 1
        raise CaseError(f"a NUL byte on line {line}: this is not a text file (a case file is YAML text, UTF-8)",
                        path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CaseError(f"not UTF-8 text (byte 0x{raw[exc.start]:02x} on line {line}); save the file as UTF-8",
                        path) from None
    text = text.removeprefix("\ufeff")
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        raise CaseError("the case file is empty; `aipm-kit new NAME` writes a commented one to start from", path)
    try:
        document = _parse(text)
    except _Refused as exc:
        section = str(exc.where[0]) if exc.where else None
        field = ".".join(str(part) for part in exc.where[1:]) or None
        raise CaseError(exc.problem, path, section, field) from None
    except ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise CaseError(f"line {line}: the control character U+{exc.character:04X}, which a YAML file cannot "
                        f"hold; delete it", path) from None
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).split("\n")[0]
        raise CaseError(f"not valid YAML: {where}{problem}", path) from None
    except (ValueError, OverflowError, RecursionError) as exc:  # a value ruamel could not construct
        raise CaseError(f"not valid YAML: {exc}", path) from None
    if not isinstance(document, dict):
        raise CaseError(f"expected a mapping of sections (name:, summary:, problem: …), found "
                        f"{_kind(_plain(document))}", path)
    return document, _content_hash(raw)


def _plain(value: Any) -> Any:
    """ruamel's round-trip values (commented maps, scalar subclasses) as plain Python values."""
    if isinstance(value, dict):
        plain = {}
        for key, item in value.items():
            if isinstance(key, (tuple, dict, list)):
                raise _Refused(f"a mapping key must be a name, found {_kind(list(key))}")
            plain[str(key) if isinstance(key, str) else key] = _plain(item)
        return plain
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value


def _kind(value: Any) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number", bool: "true/false",
            type(None): "nothing"}.get(type(value), type(value).__name__)


def _suggest(name: str, valid: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(str(name), list(valid), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else f"valid names: {', '.join(valid)}"


# ---- the case ---------------------------------------------------------------------------------------------

@dataclass
class Case:
    """One product's answers. ``sections`` maps a question key to its validated ``Answers``."""

    name: str
    summary: str = ""
    sections: dict[str, BaseModel] = field(default_factory=dict)
    path: Path | None = None
    raw_sections: dict[str, Any] = field(default_factory=dict)  # questions this version does not implement
    # the file as loaded: its parsed document (comments, order, quoting), edited in place by save(), and the
    # hash of its bytes, which save() compares to refuse overwriting a version someone saved since
    document: Any = field(default=None, repr=False, compare=False)
    loaded_hash: str | None = field(default=None, repr=False, compare=False)

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    @property
    def slug(self) -> str:
        return slugify(self.path.stem if self.path else self.name)

    def answers(self, key: str) -> BaseModel | None:
        """The validated answers to question ``key``, or None when the case has not answered it."""
        BY_KEY[key]  # a KeyError for a question that does not exist
        return self.sections.get(key)

    def is_answered(self, key: str) -> bool:
        """Whether question ``key`` has answers: a section that differs from the blank worksheet.

        A fresh template lists every section at its defaults so each field is explained; those sections
        are not answers yet, and the kit says "not answered" rather than analysing blanks.
        """
        answers = self.answers(key)
        return answers is not None and answers != type(answers)()

    def analyze(self, key: str) -> Result:
        """Run question ``key``'s analysis on this case (a "not answered" result if it has no answers)."""
        q = BY_KEY[key]
        answers = self.sections.get(key)
        if not self.is_answered(key):
            from .result import Result

            return Result.not_answered(q.key, q.title)
        return q.analyze(answers, self)

    def results(self) -> dict[str, Result]:
        """Every implemented question's result, in order."""
        return {q.key: self.analyze(q.key) for q in QUESTIONS if q.available}

    def with_answers(self, key: str, answers: BaseModel | Mapping[str, Any]) -> Case:
        """A copy of this case with question ``key`` answered by ``answers`` (validated)."""
        if not isinstance(answers, BaseModel):
            answers = validate_section(key, dict(answers), self.base_dir, self.path)
        return Case(self.name, self.summary, {**self.sections, key: answers}, self.path, dict(self.raw_sections),
                    self.document, self.loaded_hash)

    def loaded_section(self, key: str) -> Any:
        """Section ``key`` as written in the file when it was loaded (plain values), or None."""
        if self.document is None:
            return None
        return _plain(self.document.get(key))

    def validation_context(self) -> dict[str, Any]:
        return {"base_dir": self.base_dir}

    # ---- writing ----------------------------------------------------------------------------------
    def to_yaml(self) -> str:
        """The text ``save()`` would write: the loaded file edited in place, or a fresh commented file."""
        if self.document is not None and self.path is not None:
            document = copy.deepcopy(self.document)
            _apply(document, self, self._keys(None), self.base_dir)
            return _render(document)
        return _render(_fresh_document(self, self.base_dir))

    def _keys(self, sections: typing.Iterable[str] | None) -> list[str]:
        if sections is None:
            return [*TOP_LEVEL, *(q.key for q in QUESTIONS if q.key in self.sections)]
        keys = list(sections)
        for key in keys:
            if key not in TOP_LEVEL and key not in self.sections:
                raise CaseError(f"this case has no {key!r} section to save", self.path)
        return keys

    def save(self, path: str | os.PathLike | None = None, *, sections: typing.Iterable[str] | None = None,
             overwrite: bool = False) -> Path:
        """Write the case to ``path`` (default: the file it was loaded from); return the path written.

        Saving into the file it was loaded from edits that file in place: the user's comments, order and
        layout stay, and only changed values change (``sections`` limits the save to some sections, e.g. the
        one a form edits). It is refused with ``CaseConflict`` if the file changed since it was loaded.
        Saving to another path writes a fresh file with every field explained, and refuses to replace an
        existing file unless ``overwrite``. Either way the write is atomic, under a lock, and the previous
        version is kept as ``name.yaml.bak``.
        """
        target = Path(path).expanduser() if path is not None else self.path
        if target is None:
            raise CaseError("this case has no file yet: pass a path to save()")
        target = target.resolve()
        in_place = self.document is not None and self.path is not None and target == self.path.resolve()
        keys = self._keys(sections)
        with _file_lock(target):
            current = _read_if_exists(target)
            if in_place:
                if current is not None and _content_hash(current) != self.loaded_hash:
                    raise CaseConflict(target)
                document = copy.deepcopy(self.document)
                _apply(document, self, keys, target.parent)
            else:
                if current is not None and not overwrite:
                    raise CaseError("already exists; save to another file, or load this one and save into "
                                    "it (nothing was written)", target)
                document = _fresh_document(self, target.parent)
            self._write(target, document, current)
        return target

    def save_copy(self) -> Path:
        """Keep both: write this version beside its file as ``<name>-copy.yaml`` (``-copy-2`` …, never over
        a file) and carry on with the copy. For a save refused because someone else saved the file."""
        if self.path is None:
            raise CaseError("this case has no file yet: pass a path to save()")
        n = 1
        while True:
            target = self.path.with_name(f"{self.path.stem}-copy{'' if n == 1 else f'-{n}'}.yaml")
            with _file_lock(target):
                if not target.exists():
                    if self.document is not None:
                        document = copy.deepcopy(self.document)
                        _apply(document, self, self._keys(None), target.parent)
                    else:
                        document = _fresh_document(self, target.parent)
                    self._write(target, document, None)
                    return target
            n += 1

    def _write(self, target: Path, document: Any, previous: bytes | None) -> None:
        text = _render(document)
        data = text.encode("utf-8")
        _write_file(target, data, previous)
        # the document just written is the file's: the next save edits it (no need to parse it again)
        self.path, self.document, self.loaded_hash = target, document, _content_hash(data)


def slugify(text: str) -> str:
    """A safe folder name: lower-case letters, digits and dashes, never empty, never ``..``."""
    slug = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")
    return slug[:60] or "case"


def resolve_case_path(case: str | os.PathLike) -> Path:
    """A case given by path, or by the short name of a bundled case (``support-triage``)."""
    path = Path(case).expanduser()
    if path.is_file():
        return path.resolve()
    bundled = bundled_cases()
    if str(case) in bundled:
        return bundled[str(case)]
    if path.suffix in (".yaml", ".yml") or os.sep in str(case) or "/" in str(case):
        raise CaseError("no such case file", path)
    names = ", ".join(bundled) or "none"
    close = difflib.get_close_matches(str(case), list(bundled), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise CaseError(f"no case file and no bundled case named {str(case)!r}; {hint}bundled cases: {names}")


def load_case(case: str | os.PathLike | Case, overrides: Mapping[str, Mapping[str, Any]] | None = None) -> Case:
    """Load and validate a case file (or a bundled case by name), applying per-question ``overrides``.

    ``overrides`` maps a question key to field values that replace the file's, e.g.
    ``{"problem": {"interviews": 12}}`` — this is how a notebook's ``answers`` parameter is applied.
    """
    if isinstance(case, Case):
        result = case
        path = case.path
    else:
        path = resolve_case_path(case)
        document, content_hash = _read_document(path)
        try:
            data = _plain(document)
        except _Refused as exc:
            raise CaseError(exc.problem, path) from None
        result = _case_from_mapping(data, path)
        result.document, result.loaded_hash = document, content_hash
    for key, values in (overrides or {}).items():
        if not values:
            continue
        if key not in BY_KEY:
            raise CaseError(f"unknown question in overrides; {_suggest(key, BY_KEY)}", path, key)
        if not isinstance(values, Mapping):
            raise CaseError(f"overrides must be a mapping of field → value, found {_kind(values)}", path, key)
        current = result.sections.get(key)
        merged = {**(current.model_dump(mode="python") if current is not None else {}), **values}
        result = result.with_answers(key, validate_section(key, merged, result.base_dir, path))
    return result


def _case_from_mapping(data: dict[str, Any], path: Path) -> Case:
    valid = (*TOP_LEVEL, *BY_KEY)
    for key in data:
        if key not in valid:
            raise CaseError(f"unknown section {key!r}; {_suggest(key, valid)}", path)
    for key in TOP_LEVEL:
        if key in data and data[key] is not None and not isinstance(data[key], str):
            raise CaseError(f"expected text, found {_kind(data[key])}", path, key)
    sections: dict[str, BaseModel] = {}
    raw: dict[str, Any] = {}
    for q in QUESTIONS:
        if q.key not in data:
            continue
        if not q.available:
            raw[q.key] = data[q.key]
            continue
        value = data[q.key]
        if value is None:  # `need_ai:` with nothing under it: started, every field at its default
            value = {}
        if not isinstance(value, dict):
            raise CaseError(f"expected a mapping of fields, found {_kind(value)}", path, q.key)
        sections[q.key] = validate_section(q.key, value, path.parent, path)
    return Case(name=str(data.get("name") or path.stem), summary=str(data.get("summary") or ""),
                sections=sections, path=path, raw_sections=raw)


def validate_section(key: str, values: Mapping[str, Any], base_dir: Path | None = None,
                     file: Path | None = None) -> BaseModel:
    """Validate one section against its question's model; a failure is a ``CaseError`` naming the field."""
    model = BY_KEY[key].answers_model
    try:
        return model.model_validate(dict(values), context={"base_dir": base_dir})
    except ValidationError as exc:
        raise section_error(exc, model, key, file) from None


def section_error(exc: ValidationError, model: type[BaseModel], section: str, file: Path | None) -> CaseError:
    """Turn pydantic's errors into one message: every field to fix, with what was expected and found."""
    problems = [field_problem(err, model) for err in exc.errors()]
    first_field, first_problem = problems[0]
    if len(problems) == 1:
        return CaseError(first_problem, file, section, first_field)
    lines = "\n".join(f"  {section}.{name}: {problem}" for name, problem in problems)
    error = CaseError(f"{len(problems)} fields to fix:\n{lines}", file, section)
    error.field = first_field
    return error


def field_problem(err: Mapping[str, Any], model: type[BaseModel]) -> tuple[str, str]:
    """(dotted field name, what is wrong) for one pydantic error, with a spelling hint for unknown fields."""
    loc = tuple(err["loc"])
    name = ".".join(str(part) for part in loc) or "(section)"
    if err["type"] == "extra_forbidden":
        owner = _model_at(model, loc[:-1])
        valid = list(owner.model_fields) if owner else []
        return name, f"unknown field {loc[-1]!r}; {_suggest(str(loc[-1]), valid)}"
    message = err["msg"]
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    found = err.get("input")
    if err["type"] == "missing":
        return name, "required field is missing"
    if not loc:  # a rule across fields (a model validator): its message names the fields
        return name, message
    if isinstance(found, (dict, list)):
        return name, f"{message} (found {_kind(found)})"
    return name, f"{message} (found {found!r})"


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The (sub-)model that owns the field at ``loc`` (list indices skipped)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)) or part not in current.model_fields:
            return None
        current = _inner_model(current.model_fields[part].annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    """``list[Row]`` / ``Row | None`` → ``Row``; anything else unchanged."""
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            inner = _inner_model(arg)
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    return annotation


# ---- writing a case file: a commented new one, or the loaded one edited in place ---------------------------

_HEADER = ("aipm-kit case file: one product's answers to the seven questions of AI product management.\n"
           "Every field is explained by the comment above it. Paths are relative to this file.")


def _node(value: Any) -> Any:
    """A plain value as the YAML node to write: whole floats as integers, multi-line text as a | block."""
    if isinstance(value, dict):
        return CommentedMap((key, _node(item)) for key, item in value.items())
    if isinstance(value, list):
        return CommentedSeq(_node(item) for item in value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)  # 54000, not 54000.0: the file reads as a person wrote it
    if isinstance(value, str) and "\n" in value.rstrip("\n") and not _NEEDS_ESCAPES.search(value) \
            and not value.endswith("\n"):
        # a | block with strip chomping (|-): a block that keeps final line breaks (|+) would also keep the
        # blank line a comment below it brings, so text ending in a line break is left to quotes
        return LiteralScalarString(value)
    return value


def _comment_lines(text: str | None, indent: int) -> list[str]:
    return textwrap.wrap(text or "", width=max(40, 98 - indent))


def _model_node(model: type[BaseModel], values: Mapping[str, Any], indent: int, comments: bool = True) -> Any:
    """A section (or sub-model) as a mapping, each field with its description as the comment above it."""
    node = CommentedMap()
    for name, info in model.model_fields.items():
        value = values.get(name)
        sub = _inner_model(info.annotation)
        is_model = isinstance(sub, type) and issubclass(sub, BaseModel)
        lines = _comment_lines(info.description, indent) if comments else []
        if is_model and isinstance(value, list):
            node[name] = CommentedSeq(_model_node(sub, item, indent + 4, comments=False) for item in value)
            if comments:
                lines += [f"  {sub_name}: {sub_info.description or ''}".rstrip()
                          for sub_name, sub_info in sub.model_fields.items()]
        elif is_model and isinstance(value, dict):
            node[name] = _model_node(sub, value, indent + 2, comments=comments)
        else:
            node[name] = _node(value)
        if lines:
            node.yaml_set_comment_before_after_key(name, before="\n".join(lines), indent=indent)
    return node


def _section_node(case: Case, key: str, base_dir: Path) -> Any:
    if key in case.sections:
        model = case.sections[key]
        values = model.model_dump(mode="json", context={"base_dir": base_dir})
        return _model_node(type(model), values, indent=2)
    return _node(case.raw_sections[key])


def _add_section(document: Any, case: Case, key: str, base_dir: Path) -> None:
    q = BY_KEY[key]
    document[key] = _section_node(case, key, base_dir)
    document.yaml_set_comment_before_after_key(key, before=f"\nQuestion {q.number}: {q.title}", indent=0)


def _fresh_document(case: Case, base_dir: Path) -> Any:
    document = CommentedMap()
    document["name"] = _node(case.name)
    document["summary"] = _node(case.summary)
    document.yaml_set_start_comment(_HEADER)
    for q in QUESTIONS:
        if q.key in case.sections or q.key in case.raw_sections:
            _add_section(document, case, q.key, base_dir)
    return document


def _set(container: Any, key: Any, value: Any) -> None:
    """``container[key] = value``, keeping a quoted value quoted where that is safe.

    ruamel gives a new text the style of the one it replaces; a folded (>) or single-quoted style cannot hold
    every text (leading spaces, NEL), so only quotes are kept, and only for text they hold as written.
    """
    old = container[key] if key in container else None
    if isinstance(value, str) and not isinstance(value, ScalarString) and isinstance(old, ScalarString):
        quoted = isinstance(old, (SingleQuotedScalarString, DoubleQuotedScalarString))
        if quoted and "\n" not in value and not _NEEDS_ESCAPES.search(value):
            value = type(old)(value)
        if isinstance(container, CommentedSeq):
            list.__setitem__(container, key, value)
        else:
            dict.__setitem__(container, key, value)  # ordereddict keeps the key's place; skip the style copy
        return
    container[key] = value


def _same(a: Any, b: Any) -> bool:
    """Equal as answers: 15 and 15.0 are, True and 1 are not, and lists and mappings compare item by item."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def _merge(node: Any, new: Any, before: Any) -> Any:
    """The node to write for ``new``: ``node`` itself, edited where ``new`` differs from ``before``.

    ``before`` is what the file's node meant when it was read (defaults filled in), so a field the user left
    out stays out unless its value changed, and an unchanged value keeps its comments, quotes and folds.
    """
    if _same(before, new):
        return node
    if isinstance(node, CommentedMap) and isinstance(new, dict):
        before = before if isinstance(before, dict) else {}
        for key, value in new.items():
            if key in node:
                _set(node, key, _merge(node[key], value, before.get(key, _plain(node[key]))))
            elif key not in before or not _same(before[key], value):
                _append(node, key, _node(value))
        for key in [k for k in node if k not in new]:
            del node[key]
        return node
    if isinstance(node, CommentedSeq) and isinstance(new, list):
        before = before if isinstance(before, list) else []
        for index, value in enumerate(new):
            if index < len(node):
                _set(node, index, _merge(node[index], value, before[index] if index < len(before) else None))
            else:
                item = _node(value)
                if len(node) and isinstance(node[0], CommentedMap) and isinstance(item, CommentedMap):
                    if node[0].fa.flow_style():
                        item.fa.set_flow_style()  # a new row looks like the rows above it
                node.append(item)
        while len(node) > len(new):
            node.pop()
        return node
    return _node(new)


def _append(mapping: Any, key: str, value: Any) -> None:
    """Add ``key`` at the end of ``mapping``, below the comment lines that end it (they belong to what follows)."""
    trailing = _pop_trailing_comment(mapping) if len(mapping) else ""
    mapping[key] = value
    if trailing:
        _set_trailing_comment(mapping, key, trailing)


def _pop_trailing_comment(node: Any) -> str:
    """Remove and return the comment lines after ``node``'s last entry (ruamel keeps them on that entry)."""
    if not isinstance(node, (CommentedMap, CommentedSeq)):
        return ""
    if node.ca.end:
        text = "".join(token.value for token in node.ca.end)
        node.ca.end = []
        return text
    if not len(node):
        return ""
    last = list(node)[-1] if isinstance(node, CommentedMap) else len(node) - 1
    slot = 2 if isinstance(node, CommentedMap) else 0
    tokens = node.ca.items.get(last)
    token = tokens[slot] if tokens and len(tokens) > slot else None
    if token is not None and isinstance(getattr(token, "value", None), str) and "\n" in token.value:
        own, _, rest = token.value.partition("\n")
        if rest:
            if own.strip():
                token.value = own + "\n"
            else:
                tokens[slot] = None
            return rest
        return ""
    return _pop_trailing_comment(node[last])


def _set_trailing_comment(node: Any, key: Any, text: str) -> None:
    """Put comment lines after ``node[key]`` (on its last scalar, where ruamel reads such lines into)."""
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    value = node[key]
    if isinstance(value, (CommentedMap, CommentedSeq)) and len(value):
        _set_trailing_comment(value, list(value)[-1] if isinstance(value, CommentedMap) else len(value) - 1, text)
        return
    slot = 2 if isinstance(node, CommentedMap) else 0
    node.ca.items.setdefault(key, [None, None, None, None])[slot] = CommentToken("\n" + text, CommentMark(0), None)


def _apply(document: Any, case: Case, keys: typing.Iterable[str], base_dir: Path) -> None:
    """Write ``case``'s values for ``keys`` (name, summary, question keys) into the loaded ``document``."""
    for key in keys:
        if key in TOP_LEVEL:
            value = getattr(case, key)
            current = document.get(key)
            # what the file means without the key: the name defaults to the file's, the summary to nothing
            implied = _plain(current) if current is not None else (case.path.stem if key == "name" and
                                                                     case.path else "")
            if _same(implied, value):
                continue
            if key in document:
                _set(document, key, _node(value))
            else:
                document.insert(list(document).index("name") + 1 if "name" in document else 0, key, _node(value))
            continue
        if key in case.raw_sections:
            continue  # a question this version does not implement: kept exactly as written
        new = case.sections[key].model_dump(mode="json", context={"base_dir": base_dir})
        current = document.get(key)
        if not isinstance(current, CommentedMap):
            if key in document:  # `need_ai:` with nothing under it
                document[key] = _section_node(case, key, base_dir)
            else:  # a new section goes at the end, after anything the user wrote
                _add_section(document, case, key, base_dir)
            continue
        before = validate_section(key, _plain(current), base_dir).model_dump(mode="json",
                                                                             context={"base_dir": base_dir})
        _set(document, key, _merge(current, new, before))


def template_case(name: str, summary: str = "") -> str:
    """A fresh case file: every implemented question's section, every field at its default, commented."""
    sections = {q.key: q.answers_model() for q in QUESTIONS if q.available}
    case = Case(name=name, summary=summary or "One sentence: who the product is for and what it does.",
                sections=sections)
    return _render(_fresh_document(case, Path.cwd()))


# ---- saving safely: a lock, a check that nobody saved since, an atomic write and a backup ----------------

LOCK_TIMEOUT = 10.0


class CaseConflict(CaseError):
    """The case file changed on disk after this case was loaded: saving would overwrite someone's work."""

    def __init__(self, file: Path):
        super().__init__("changed on disk since this case was loaded (another notebook, tab or editor saved "
                         "it); nothing was saved. Reload it to work on the saved version, or keep both: "
                         "save_copy() writes your version beside it", file)


def backup_path(path: Path) -> Path:
    """Where a save keeps the previous version: ``name.yaml.bak`` (not ``*.yaml``: the app lists those)."""
    return path.with_name(f"{path.name}.bak")


@contextlib.contextmanager
def _file_lock(path: Path) -> typing.Iterator[None]:
    """An advisory lock on ``path`` (a side file, since saving replaces the case file itself)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = path.with_name(f".{path.name}.lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        if fcntl is not None:
            deadline = time.monotonic() + LOCK_TIMEOUT
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise CaseError(f"another save of this file has held it for {LOCK_TIMEOUT:.0f} s; "
                                        f"nothing was saved, try again", path) from None
                    time.sleep(0.02)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _read_if_exists(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _write_file(path: Path, data: bytes, previous: bytes | None = None) -> None:
    """Replace ``path`` with ``data`` atomically and durably; keep ``previous`` as its backup.

    A new file gets the user's umask (the kernel applies it to the 0o666 asked for); an existing one keeps its
    mode. The data is fsynced before the rename and the folder after it, so a crash leaves the old file or the
    new one, never a mix.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = None
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            if mode is not None and hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if previous is not None:
            _write_file(backup_path(path), previous)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # not on every platform
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder, so a reader never sees half a file."""
    if not isinstance(text, (str, bytes)):
        raise TypeError(f"expected text to write, found {type(text).__name__}")
    _write_file(Path(path), text.encode("utf-8") if isinstance(text, str) else text)
