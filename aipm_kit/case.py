"""Case files: one product's answers to the seven questions, as a commented YAML file.

A case file has ``name`` and ``summary``, the product's ``stage`` and the date the case is ``as_of``, and one
section per question (``problem:``, ``need_ai:`` …). Each
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
import dataclasses
import datetime
import difflib
import os
import re
import textwrap
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, ValidationError, ValidationInfo,
                      model_validator)

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.reader import ReaderError

from .bundled import bundled_cases
# the file layer (YAML in and out, safe saves); write_atomic is also what build and brief write outputs with
from .casefile import (LockTimeout, _content_hash, _file_lock, _merge, _node, _parse, _plain,  # noqa: F401
                       _read_if_exists, _Refused, _render, _same, _set, _write_file, backup_path, write_atomic)
from .questions import BY_KEY, QUESTIONS

if TYPE_CHECKING:
    from .result import Result

MAX_CASE_BYTES = 2_000_000
TOP_LEVEL = ("name", "summary", "stage", "as_of", "classroom")
Stage = Literal["idea", "pilot", "launched"]
STAGES: tuple[str, ...] = typing.get_args(Stage)


class About(BaseModel):
    """The case's facts besides its answers: where the product is, and the date the case describes."""

    model_config = ConfigDict(extra="forbid")
    stage: Stage | None = Field(None, description=(
        "Where the product is: idea (nothing built yet), pilot (built and tried on real work by a few users) "
        "or launched (in use, with live traffic logged). A question the stage does not reach yet plans instead "
        "of analysing."))
    as_of: datetime.date | None = Field(None, description=(
        "The date the case describes (YYYY-MM-DD): the plans in it are as of this date, and a dated piece of "
        "evidence later than it is reported."))


class StudentAnswer(BaseModel):
    """A student's own call on a question the teacher left blank."""

    model_config = ConfigDict(extra="forbid")
    decision: Literal["", "go", "caution", "stop"] = Field("", description=(
        "Your decision on this question: go (sound, carry on), caution (carry on with the named risks) or stop "
        "(do not proceed until fixed)."))
    reason: str = Field("", description="Why, in two or three sentences, citing the numbers the decision rests on.",
                        json_schema_extra={"multiline": True})


class Classroom(BaseModel):
    """A student's copy of a case, made by aipm-kit class variants: the kit shows the evidence and withholds its
    verdicts, and the student answers the blank questions and makes the call."""

    model_config = ConfigDict(extra="forbid")
    mode: Literal["student"] = Field("student", description=(
        "student: the notebooks show the evidence but not the kit's verdicts, and `aipm-kit check` says nothing."))
    student: str = Field("", description="The student's id, as on the teacher's roster.")
    blank: list[str] = Field(default_factory=list, description=(
        "The questions left for the student to answer (question keys: problem, need_ai … monitoring)."))
    answers: dict[str, StudentAnswer] = Field(default_factory=dict, description=(
        "The student's decision and reason per blank question, keyed by question."))
    flaws: list[str] = Field(default_factory=list, description=(
        "Find-the-flaw exercises: the fields (section.field, as `aipm-kit check` names them) where the student "
        "finds a flaw, one field per flaw."))

    @model_validator(mode="after")
    def _known_questions(self) -> Classroom:
        for where, keys in (("blank", self.blank), ("answers", list(self.answers))):
            unknown = [k for k in keys if k not in BY_KEY]
            if unknown:
                raise ValueError(f"{where} names {unknown[0]!r}, which is not a question; questions: "
                                 f"{', '.join(BY_KEY)}")
        return self


class CaseError(ValueError):
    """A case file (or an override) that cannot be used, with where to fix it."""

    def __init__(self, problem: str, file: str | os.PathLike | None = None, section: str | None = None,
                 field: str | None = None):
        self.problem, self.file, self.section, self.field = problem, file, section, field
        where = ".".join(part for part in (section, field) if part)
        prefix = ": ".join(str(part) for part in (file, where) if part)
        super().__init__(f"{prefix}: {problem}" if prefix else problem)


class CaseConflict(CaseError):
    """The case file changed on disk after this case was loaded: saving would overwrite someone's work."""

    def __init__(self, file: Path):
        super().__init__("changed on disk since this case was loaded (another notebook, tab or editor saved "
                         "it); nothing was saved. Reload it to work on the saved version, or keep both: "
                         "save_copy() writes your version beside it", file)



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


# ---- reading a case file ------------------------------------------------------------------------------


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
    stage: Stage | None = None  # idea, pilot or launched; None when the case does not say
    as_of: datetime.date | None = None
    classroom: Classroom | None = None  # a student's copy made by `aipm-kit class variants`

    @property
    def student_mode(self) -> bool:
        """Whether this is a student's copy: the kit shows evidence and withholds its verdicts and check."""
        return self.classroom is not None and self.classroom.mode == "student"

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
        if not q.reaches(self.stage):  # a plan, even before the question is answered: it reads earlier ones
            return q.plan(answers, self)
        if not self.is_answered(key):
            return q.not_answered()  # naming the answers a verdict needs
        return q.analyze(answers, self)

    def results(self) -> dict[str, Result]:
        """Every implemented question's result, in order."""
        return {q.key: self.analyze(q.key) for q in QUESTIONS if q.available}

    def shown(self, result: Result) -> Result:
        """``result`` as this case's reader may see it: the one place that decides what a student sees."""
        return result.withheld() if self.student_mode else result

    def with_answers(self, key: str, answers: BaseModel | Mapping[str, Any]) -> Case:
        """A copy of this case with question ``key`` answered by ``answers`` (validated)."""
        if not isinstance(answers, BaseModel):
            answers = validate_section(key, dict(answers), self.base_dir, self.path)
        return dataclasses.replace(self, sections={**self.sections, key: answers},
                                   raw_sections=dict(self.raw_sections))

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
        with _locked(target):
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
            with _locked(target):
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


@contextlib.contextmanager
def _locked(path: Path) -> typing.Iterator[None]:
    """The save lock on ``path``; waiting too long for it is a ``CaseError`` naming the file."""
    try:
        with _file_lock(path):
            yield
    except LockTimeout as exc:
        raise CaseError(str(exc), path) from None


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
    """The validated case; every problem in the file at once (one CaseError listing them), not the first."""
    valid = (*TOP_LEVEL, *BY_KEY)
    problems: list[CaseError] = []
    for key in data:
        if key not in valid:
            problems.append(CaseError(f"unknown section {key!r}; {_suggest(key, valid)}", path))
    for key in ("name", "summary"):
        if key in data and data[key] is not None and not isinstance(data[key], str):
            problems.append(CaseError(f"expected text, found {_kind(data[key])}", path, key))
    about = About()
    try:
        about = About.model_validate({key: data[key] for key in About.model_fields if data.get(key) is not None})
    except ValidationError as exc:
        for error in exc.errors():
            key = str(error["loc"][0])
            problems.append(CaseError(f"{error['msg']}, found {data[key]!r}", path, key))
    classroom = None
    if data.get("classroom") is not None:
        if not isinstance(data["classroom"], dict):
            problems.append(CaseError(f"expected a mapping of fields, found {_kind(data['classroom'])}", path,
                                      "classroom"))
        else:
            try:
                classroom = Classroom.model_validate(data["classroom"])
            except ValidationError as exc:
                problems.append(section_error(exc, Classroom, "classroom", path))
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
            problems.append(CaseError(f"expected a mapping of fields, found {_kind(value)}", path, q.key))
            continue
        try:
            sections[q.key] = validate_section(q.key, value, path.parent, path)
        except CaseError as exc:
            problems.append(exc)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise _all_problems(problems, path)
    return Case(name=str(data.get("name") or path.stem), summary=str(data.get("summary") or ""),
                sections=sections, path=path, raw_sections=raw, stage=about.stage, as_of=about.as_of,
                classroom=classroom)


def _all_problems(problems: list[CaseError], path: Path) -> CaseError:
    """One error naming every field to fix, across sections, each on its own line as ``section.field: …``."""
    lines = []
    for exc in problems:
        for line in str(exc.problem).splitlines():
            if line.startswith("  ") and "fields to fix" not in line:  # a section's own list, already dotted
                lines.append(line)
            elif "fields to fix" not in line:
                where = ".".join(part for part in (exc.section, exc.field) if part) or "(the file)"
                lines.append(f"  {where}: {line}")
    error = CaseError(f"{len(lines)} problems to fix:\n" + "\n".join(lines), path)
    error.section, error.field = problems[0].section, problems[0].field
    return error


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
    if isinstance(found, str) and "://" in found:  # a URL's password is never echoed back
        found = re.sub(r"(://[^/:@]*:)[^@/]*@", r"\1***@", found)
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
    for key, info in About.model_fields.items():
        value = getattr(case, key)
        if value is not None:
            document[key] = _node(value)
            document.yaml_set_comment_before_after_key(key, before="\n".join(_comment_lines(info.description, 0)),
                                                       indent=0)
    if case.classroom is not None:
        document["classroom"] = _model_node(Classroom, case.classroom.model_dump(mode="json"), indent=2)
        document.yaml_set_comment_before_after_key("classroom", before=(
            "\nA student's copy: the notebooks show the evidence, not the kit's verdicts. Answer the blank "
            "questions,\nthen give your decision and reason for each under classroom.answers."), indent=0)
    document.yaml_set_start_comment(_HEADER)
    for q in QUESTIONS:
        if q.key in case.sections or q.key in case.raw_sections:
            _add_section(document, case, q.key, base_dir)
    return document


def _apply(document: Any, case: Case, keys: typing.Iterable[str], base_dir: Path) -> None:
    """Write ``case``'s values for ``keys`` (name, summary, question keys) into the loaded ``document``."""
    for key in keys:
        if key == "classroom":
            _apply_classroom(document, case)
            continue
        if key in TOP_LEVEL:
            value = getattr(case, key)
            if value is None and key in About.model_fields:
                if key in document:  # cleared: the file without the key means the same
                    del document[key]
                continue
            current = document.get(key)
            # what the file means without the key: the name defaults to the file's, the summary to nothing
            implied = _plain(current) if current is not None else (case.path.stem if key == "name" and
                                                                     case.path else "")
            if key in About.model_fields and current is not None:  # '2026-11-20' quoted is the same date
                with contextlib.suppress(ValidationError):
                    implied = getattr(About.model_validate({key: _plain(current)}), key)
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


def _apply_classroom(document: Any, case: Case) -> None:
    if case.classroom is None:
        if "classroom" in document:
            del document["classroom"]
        return
    new = case.classroom.model_dump(mode="json")
    current = document.get("classroom")
    if isinstance(current, CommentedMap):
        before = Classroom.model_validate(_plain(current)).model_dump(mode="json")
        _set(document, "classroom", _merge(current, new, before))
    else:
        place = list(document).index("summary") + 1 if "summary" in document else 0
        document.insert(place, "classroom", _model_node(Classroom, new, indent=2))


def template_case(name: str, summary: str = "") -> str:
    """A fresh case file: every implemented question's section, every field at its default, commented."""
    sections = {q.key: q.answers_model() for q in QUESTIONS if q.available}
    case = Case(name=name, summary=summary or "One sentence: who the product is for and what it does.",
                sections=sections, stage="idea")
    return _render(_fresh_document(case, Path.cwd()))


class CaseConflict(CaseError):
    """The case file changed on disk after this case was loaded: saving would overwrite someone's work."""

    def __init__(self, file: Path):
        super().__init__("changed on disk since this case was loaded (another notebook, tab or editor saved "
                         "it); nothing was saved. Reload it to work on the saved version, or keep both: "
                         "save_copy() writes your version beside it", file)
