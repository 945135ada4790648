"""Case files: one product's answers to the seven questions, as a commented YAML file.

A case file has ``name`` and ``summary`` and one section per question (``problem:``, ``need_ai:`` …). Each
section is validated against its question's ``Answers`` model. Data files named in a case resolve relative to
the case file. Every error names the file, the section and the field to fix.
"""

from __future__ import annotations

import difflib
import os
import re
import tempfile
import textwrap
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import yaml
from pydantic import AfterValidator, BaseModel, PlainSerializer, ValidationError, ValidationInfo

from .bundled import bundled_cases
from .questions import BY_KEY, QUESTIONS

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


# ---- YAML: safe, small, no aliases -----------------------------------------------------------------------

class _CaseLoader(yaml.SafeLoader):
    """Safe YAML without aliases: a case file has no use for them, and they can balloon a small file."""

    def compose_node(self, parent, index):  # noqa: ANN001 (PyYAML's signature)
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.YAMLError(
                f"line {event.start_mark.line + 1}: YAML aliases (*{event.anchor}) are not allowed in a case "
                f"file; write the value out"
            )
        return super().compose_node(parent, index)


def _read_mapping(path: Path) -> dict[str, Any]:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise CaseError(f"cannot read the case file ({exc.strerror})", path) from None
    if size > MAX_CASE_BYTES:
        raise CaseError(f"the case file is {size:,} bytes; a case file is at most {MAX_CASE_BYTES:,} "
                        f"(put large data in a CSV and name it in the case)", path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CaseError(f"not UTF-8 text (byte 0x{raw[exc.start]:02x} on line {line}); save the file as UTF-8",
                        path) from None
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        raise CaseError("the case file is empty; `aipm-kit new NAME` writes a commented one to start from", path)
    try:
        data = yaml.load(text, Loader=_CaseLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise CaseError(f"not valid YAML: {where}{problem}", path) from None
    if not isinstance(data, dict):
        raise CaseError(f"expected a mapping of sections (name:, summary:, problem: …), found "
                        f"{_kind(data)}", path)
    return data


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
            return q.not_answered()  # naming the answers a verdict needs
        return q.analyze(answers, self)

    def results(self) -> dict[str, Result]:
        """Every implemented question's result, in order."""
        return {q.key: self.analyze(q.key) for q in QUESTIONS if q.available}

    def with_answers(self, key: str, answers: BaseModel | Mapping[str, Any]) -> Case:
        """A copy of this case with question ``key`` answered by ``answers`` (validated)."""
        if not isinstance(answers, BaseModel):
            answers = validate_section(key, dict(answers), self.base_dir, self.path)
        return Case(self.name, self.summary, {**self.sections, key: answers}, self.path, dict(self.raw_sections))

    def validation_context(self) -> dict[str, Any]:
        return {"base_dir": self.base_dir}

    # ---- writing ----------------------------------------------------------------------------------
    def to_yaml(self) -> str:
        return dump_case(self)

    def save(self, path: str | os.PathLike | None = None) -> Path:
        """Write the case to ``path`` (default: where it was loaded from), atomically."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise CaseError("this case has no file yet: pass a path to save()")
        # data paths are written relative to the file they are saved in
        self.path = target.resolve()
        write_atomic(self.path, self.to_yaml())
        return self.path


def slugify(text: str) -> str:
    """A safe folder name: lower-case letters, digits and dashes, never empty, never ``..``."""
    slug = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")
    return slug[:60] or "case"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
        data = _read_mapping(path)
        result = _case_from_mapping(data, path)
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


# ---- writing a commented case file ---------------------------------------------------------------------

def dump_case(case: Case) -> str:
    lines = [
        "# aipm-kit case file: one product's answers to the seven questions of AI product management.",
        "# Every field is explained by the comment above it. Paths are relative to this file.",
        f"name: {_scalar(case.name)}",
        f"summary: {_scalar(case.summary)}",
    ]
    for q in QUESTIONS:
        if q.key in case.sections:
            model = case.sections[q.key]
            values = model.model_dump(mode="json", context={"base_dir": case.base_dir})
            lines += ["", f"# Question {q.number}: {q.title}", f"{q.key}:"]
            lines += _dump_model(type(model), values, indent=2)
        elif q.key in case.raw_sections:
            lines += ["", f"# Question {q.number}: {q.title}", f"{q.key}:"]
            body = yaml.safe_dump(case.raw_sections[q.key], sort_keys=False, allow_unicode=True)
            lines += ["  " + ln for ln in body.rstrip("\n").splitlines()]
    return "\n".join(lines) + "\n"


def template_case(name: str, summary: str = "") -> str:
    """A fresh case file: every implemented question's section, every field at its default, commented."""
    sections = {q.key: q.answers_model() for q in QUESTIONS if q.available}
    return dump_case(Case(name=name, summary=summary or "One sentence: who the product is for and what it does.",
                          sections=sections))


def _comment(text: str | None, indent: int) -> list[str]:
    if not text:
        return []
    pad = " " * indent
    return [f"{pad}# {line}" for line in textwrap.wrap(text, width=max(40, 100 - indent))]


def _dump_model(model: type[BaseModel], values: Mapping[str, Any], indent: int, comments: bool = True) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    for name, info in model.model_fields.items():
        value = values.get(name)
        if comments:
            lines += _comment(info.description, indent)
        sub = _inner_model(info.annotation)
        is_model = isinstance(sub, type) and issubclass(sub, BaseModel)
        if is_model and isinstance(value, list):
            if comments:
                lines += [f"{pad}#   {sub_name}: {sub_info.description or ''}".rstrip()
                          for sub_name, sub_info in sub.model_fields.items()]
            if not value:
                lines.append(f"{pad}{name}: []")
                continue
            lines.append(f"{pad}{name}:")
            for item in value:
                body = _dump_model(sub, item, indent + 4, comments=False)
                body[0] = f"{pad}  - " + body[0].lstrip()
                lines += body
        elif is_model and isinstance(value, dict):
            lines.append(f"{pad}{name}:")
            lines += _dump_model(sub, value, indent + 2, comments=comments)
        elif isinstance(value, str) and "\n" in value:
            lines.append(f"{pad}{name}: |-")
            lines += [f"{pad}  {ln}" if ln else "" for ln in value.split("\n")]
        else:
            lines.append(f"{pad}{name}: {_scalar(value)}")
    return lines


def _scalar(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)  # 54000, not 54000.0: the file reads as a person wrote it
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10**9, sort_keys=False)
    return text.removesuffix("\n").removesuffix("\n...").strip()
