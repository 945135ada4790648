"""For teachers: a variant of a case per student, a key the students never see, and grading into a class matrix.

``make_variants`` gives every student on a roster their own copy of a case: the same product and the same
teaching point, with their own numbers and data files, so answers cannot be copied from a neighbour. A variant
is drawn from a seed, HMAC(teacher's secret, student id), so the same roster and secret always give the same
bytes and a new cohort's secret gives new variants. The numbers an answer estimates are moved within ±10 %
(counts stay whole, shares stay in 0–1, money keeps three significant figures); the bars, targets and
confidence levels a team sets, and every number two questions share (the ledger's), stay as they are. Each
data file keeps 85–95 % of its rows, drawn without replacement within its label, slice and segment columns
(a bootstrap would plant duplicate inputs, which question 6 flags), and rows that share an id across files
(an eval run and its baseline, a log and its reviewed failures) are kept or dropped together. Each variant is
analysed on creation; one whose verdicts, or whose contradictions, differ from the template's is drawn again.

``grade`` reads the students' filled copies and scores them on a rubric written as data (``DEFAULT_RUBRIC``):
the kit grades completeness, consistency, each decision against what the student's own numbers support and,
in a find-the-flaw exercise, the flaws named; the reasons are laid out for the teacher to read.
"""

from __future__ import annotations

import copy
import csv
import dataclasses
import hashlib
import hmac
import io
import json
import math
import os
import re
import shutil
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .case import (Case, CaseError, Classroom, StudentAnswer, load_case, resolve_case_path, validate_section,
                   write_atomic)
from .questions import BY_KEY

SECRET_ENV = "AIPM_KIT_CLASS_SECRET"
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
JITTER = 0.10  # a number an answer estimates moves by at most this share
KEEP_ROWS = (0.85, 0.95)  # the share of each data file's rows a variant keeps
ATTEMPTS = 12  # draws per student before giving up on keeping the teaching point
MIN_ROWS_TO_SUBSAMPLE = 40  # a smaller file is kept whole: dropping rows of it would change its story
# the numbers a team sets rather than estimates: bars, targets, confidence levels, windows, budgets
_SET_BY_THE_TEAM = re.compile(r"(^|_)(bar|target|threshold|margin|tolerance|confidence|budget|weeks|months|kappa|"
                              r"needed)($|_)|^min_|^max_|holdout|oversample")
_STRATA = frozenset({"label", "slice", "segment", "category", "passed", "correct", "failure_mode"})
KEY_FILE = "key.json"
STEPS = ("go", "caution", "stop")


class RosterError(CaseError):
    """A roster that cannot be used; nothing was written."""


@dataclass(frozen=True)
class Student:
    id: str
    name: str


def read_roster(path: str | os.PathLike) -> list[Student]:
    """The students of a roster CSV (columns ``id`` and ``name``), every id checked: ids become folder names."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"cannot read the roster ({getattr(exc, 'strerror', None) or exc})", path) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    rows = list(reader)
    missing = [c for c in ("id", "name") if c not in header]
    if missing:
        raise RosterError(f"the roster needs the columns id and name; missing {', '.join(missing)} "
                          f"(found {', '.join(header) or 'no header'})", path)
    students: list[Student] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
        sid = row.get("id", "")
        if not STUDENT_ID.fullmatch(sid):
            raise RosterError(f"line {line}: the id {sid!r} cannot be a folder name; use 1–64 letters, digits, "
                              f"'-' or '_', starting with a letter or digit", path, "id")
        if sid.casefold() in seen:
            raise RosterError(f"line {line}: the id {sid!r} is already on line {seen[sid.casefold()]}; each "
                              f"student needs their own id", path, "id")
        seen[sid.casefold()] = line
        students.append(Student(sid, row.get("name", "")))
    if not students:
        raise RosterError("the roster has no students", path)
    return students


def student_seed(student_id: str, secret: str | None) -> bytes:
    """HMAC-SHA256(secret, id): the student's variant; without a secret it depends on the id alone."""
    return hmac.new((secret or "").encode("utf-8"), student_id.encode("utf-8"), hashlib.sha256).digest()


def _rng(seed: bytes, attempt: int):
    import numpy as np

    digest = hashlib.sha256(seed + attempt.to_bytes(4, "big")).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "big"))


# ---- the teaching point -------------------------------------------------------------------------------------

def teaching_point(case: Case, results: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What a variant must keep: every question's verdict and level, and the contradictions the case holds."""
    from .ledger import check

    results = dict(results) if results is not None else case.results()
    return _point(results, check(case, results))


def _point(results: Mapping[str, Any], findings: Iterable[Any]) -> dict[str, Any]:
    return {"verdicts": {k: [r.verdict, r.level] for k, r in results.items()},
            "contradictions": sorted(f.quantity for f in findings if f.contradiction)}


# ---- one variant ---------------------------------------------------------------------------------------------

class VariantError(RuntimeError):
    """No draw kept the teaching point, or a variant could not be written."""


_TEMPLATES: dict[tuple[str, float], Case] = {}


def _template(path: str) -> Case:
    """The template case, loaded once per process (workers make many variants of it)."""
    key = (path, os.stat(path).st_mtime)
    if key not in _TEMPLATES:
        _TEMPLATES.clear()
        _TEMPLATES[key] = load_case(path)
    return _TEMPLATES[key]


def make_variant(template_path: str, student: Student, seed: bytes, out: str, blank: tuple[str, ...],
                 point: dict[str, Any], exercise: str = "decide", attempts: int = ATTEMPTS,
                 flaws: int = 0) -> dict[str, Any]:
    """Write one student's variant (``out/students/<id>/``) and key (``out/key/<id>/``); return the key.

    Draws (seed, attempt) until the variant keeps the template's teaching point; a ``VariantError`` after
    ``attempts`` draws. With ``flaws``, the teaching point is the student's own planted flaws instead
    (:mod:`aipm_kit.flaws`): the draw is kept when the kit shows exactly the flaws planted. Every file is
    written to a temporary name and renamed, the key last.
    """
    from . import flaws as catalogue
    from .ledger import check

    template = _template(template_path)
    root = Path(out)
    stage = root / ".staging" / student.id
    file_name = template.path.name
    tried: list[str] = []
    evidence: dict[str, str] = {}
    for attempt in range(attempts):
        shutil.rmtree(stage, ignore_errors=True)
        stage.mkdir(parents=True)
        rng = _rng(seed, attempt)
        planting = catalogue.draw(template, rng, flaws) if flaws else None
        targets = _targets(template, stage)
        written = catalogue.write_data(planting, targets, rng) if planting is not None else set()
        data = _write_data(template, stage, rng, targets, skip=written)
        try:
            values = _varied_values(template, rng, data)
            if planting is not None:
                catalogue.repair(values, template)
                for edit in planting.edits:
                    edit(values)
            sections = {key: validate_section(key, plain, stage, template.path) for key, plain in values.items()}
        except CaseError as exc:
            tried.append(f"draw {attempt + 1}: {exc}")
            continue
        variant = dataclasses.replace(template, sections=sections, path=stage / file_name, classroom=None,
                                      raw_sections=dict(template.raw_sections),
                                      document=_without_stale_comments(template, sections))
        write_atomic(stage / file_name, variant.to_yaml())
        variant = load_case(stage / file_name)
        results = variant.results()
        findings = check(variant, results)
        if planting is not None:
            wanted = [p["id"] for p in planting.planted] + list(catalogue.given(template))
            evidence = catalogue.shown(variant, results, findings)
            extra = catalogue.unplanned(findings, planting)
            if len(planting.planted) == flaws and set(evidence) == set(wanted) and not extra:
                break
            tried.append(f"draw {attempt + 1}: " + _flaw_difference(len(planting.planted), wanted, evidence, extra,
                                                                        flaws))
            continue
        mine = _point(results, findings)
        if mine == point:
            break
        tried.append(f"draw {attempt + 1}: {_difference(point, mine)}")
    else:
        shutil.rmtree(stage, ignore_errors=True)
        raise VariantError(f"{student.id}: no variant in {attempts} draws kept the teaching point ("
                           + "; ".join(tried[-3:]) + ")")

    # the student's copy: the blank questions emptied (fresh, every field explained), student mode on
    document = variant.document
    for key in blank:
        if key in document:
            del document[key]
    classroom = Classroom(student=student.id, blank=list(blank),
                          answers={key: StudentAnswer() for key in blank})
    blanked = {**variant.sections, **{key: BY_KEY[key].answers_model() for key in blank}}
    student_case = dataclasses.replace(variant, sections=blanked, classroom=classroom, document=document)
    key_record = {
        "student": student.id, "name": student.name, "case_file": file_name, "template": template.name,
        "exercise": exercise, "blank": list(blank), "attempt": attempt + 1, "redrawn": tried,
        "seed": hashlib.sha256(seed).hexdigest()[:16],  # names the draw without revealing the secret's HMAC
        "verdicts": {k: {"verdict": r.verdict, "level": r.level, "headline": r.headline} for k, r in results.items()},
        "check": [{"quantity": f.quantity, "contradiction": f.contradiction, "home": f.home, "other": f.other,
                   "fields": named_fields(f)} for f in findings],
    }
    if planting is not None:
        common = [{"id": flaw.id, "title": flaw.title, "fields": list(flaw.fields), "where": flaw.where,
                   "planted": "in the template's data: every student's copy has it"}
                  for flaw in catalogue.CATALOGUE if flaw.id in catalogue.given(template)]
        key_record["flaws"] = [{**p, "evidence": evidence[p["id"]]} for p in planting.planted + common]
    student_dir, key_dir = root / "students" / student.id, root / "key" / student.id
    full_text = (stage / file_name).read_text(encoding="utf-8")
    for source in sorted(p for p in stage.rglob("*") if p.is_file() and p.name != file_name):
        relative = source.relative_to(stage)
        for target_dir in (student_dir, key_dir):
            target = target_dir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(target, source.read_bytes())
    write_atomic(student_dir / file_name, student_case.to_yaml())
    write_atomic(key_dir / file_name, full_text)
    if planting is not None:
        write_atomic(key_dir / "flaws.md", flaw_key(key_record))
    write_atomic(key_dir / KEY_FILE, json.dumps(key_record, indent=2, ensure_ascii=False) + "\n")
    shutil.rmtree(stage, ignore_errors=True)
    return key_record


def _flaw_difference(planted: int, wanted: list[str], shown: Mapping[str, str], extra: list[Any], count: int) -> str:
    if planted < count:
        return f"this draw could plant only {planted} of {count} flaws"
    if extra:
        return "a contradiction nobody planted: " + ", ".join(sorted({f.quantity for f in extra}))
    hidden = [w for w in wanted if w not in shown]
    if hidden:
        return f"planted but not shown: {', '.join(hidden)}"
    return f"shown but not planted: {', '.join(sorted(set(shown) - set(wanted)))}"


def flaw_key(record: Mapping[str, Any]) -> str:
    """The teacher's answer key of one student's planted flaws, as Markdown."""
    lines = [f"# Flaws planted for {record['student']} ({record['name'] or 'no name'})", "",
             f"Case: `{record['case_file']}`, from the template {record['template']!r}. A student finds a flaw by "
             f"naming one of its fields.", ""]
    for number, flaw in enumerate(record["flaws"], start=1):
        lines += [f"## {number}. {flaw['title']}", "",
                  f"- **Name:** {', '.join(f'`{f}`' for f in flaw['fields'])}",
                  f"- **Planted:** {flaw['planted']}",
                  f"- **Where it shows:** {flaw['where']}",
                  f"- **What the kit shows:** {flaw['evidence']}", ""]
    return "\n".join(lines)


def _difference(point: dict[str, Any], mine: dict[str, Any]) -> str:
    for key, (verdict, level) in point["verdicts"].items():
        if mine["verdicts"].get(key) != [verdict, level]:
            got, got_level = mine["verdicts"].get(key, ["?", None])
            return f"{key} became {got!r} ({got_level}), not {verdict!r} ({level})"
    return f"contradictions {mine['contradictions']} instead of {point['contradictions']}"


def named_fields(finding: Any) -> list[str]:
    """The ``section.field`` names a check finding points at, e.g. ``need_ai.monthly_volume``."""
    names: list[str] = []
    for place in (finding.home, finding.other):
        section = re.match(r"[a-z_]+", place)
        if section is None or section.group() not in BY_KEY:
            continue
        model = BY_KEY[section.group()].answers_model
        for word in re.findall(r"[a-z_]+", place):
            name = f"{section.group()}.{word}"
            if word in model.model_fields and name not in names:
                names.append(name)
    return names


# ---- numbers ----------------------------------------------------------------------------------------------

def _ledger_fields() -> dict[str, set[str] | None]:
    """Per section, the fields the ledger reads (None: all of the section's numbers feed a derived value)."""
    from .ledger import RELATIONS

    fixed: dict[str, set[str] | None] = {}
    for relation in RELATIONS:
        for place in (relation.home, relation.other):
            match = re.match(r"([a-z_]+)(:|\.)", place.path)
            if match is None or match.group(1) not in BY_KEY:
                continue
            section = match.group(1)
            if match.group(2) == ":":  # "approach: monthly cost of the chosen approach"
                fixed[section] = None
            elif fixed.get(section, set()) is not None:
                model = BY_KEY[section].answers_model
                fixed.setdefault(section, set()).update(w for w in re.findall(r"[a-z_]+", place.path)
                                                        if w in model.model_fields)
    return fixed


def _varied_values(template: Case, rng: Any, data: Mapping[Path, Path]) -> dict[str, dict[str, Any]]:
    """The template's answers, as plain values, with their estimates moved and their data files replaced by
    the variant's."""
    fixed = _ledger_fields()
    sections: dict[str, dict[str, Any]] = {}
    for key, answers in template.sections.items():
        values = _walk_paths(answers, lambda path: data.get(path, path))  # plain values, the variant's files
        frozen = fixed.get(key, set())
        # one factor for a section's counts and amounts, so their ratios (committed of interviewed, the cost of a
        # miss against a false alarm) stay as the template has them; shares move on their own, by less
        factor = float(rng.uniform(1 - JITTER, 1 + JITTER))
        for name, info in type(answers).model_fields.items():
            value = values.get(name)
            if frozen is None or name in frozen or isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            # a seed the kit draws with (a review sample, a split) stays: the variant's rows already differ
            if not name.endswith("seed") and not _SET_BY_THE_TEAM.search(name):
                values[name] = _jittered(value, info, factor, rng)
        sections[key] = values
    return sections


def _without_stale_comments(template: Case, sections: Mapping[str, BaseModel]) -> Any:
    """The template's YAML document without the comments that may no longer be true of a variant: those on the
    fields it changed, and those that quote a number (a comment that counts 320 scored requests speaks of the
    template's data, not of a variant's 290). Comments that explain without numbers stay."""
    document = copy.deepcopy(template.document)
    if document is None:
        return None
    for key, answers in sections.items():
        mapping = document.get(key)
        if not hasattr(mapping, "ca") or key not in template.sections:
            continue
        before = template.sections[key]
        keys = list(mapping)
        for at, name in enumerate(keys):
            changed = name in type(answers).model_fields and getattr(before, name, None) != getattr(answers, name) \
                and not isinstance(getattr(answers, name), Path)
            previous = mapping.ca.items.get(keys[at - 1]) if at > 0 else None
            if previous is not None and previous[2] is not None:  # the lines above the field: on the field before
                head, newline, above = previous[2].value.partition("\n")
                if changed or re.search(r"\d", above):
                    previous[2].value = head + newline
            own = mapping.ca.items.get(name)
            if own is not None and own[2] is not None and own[2].value.lstrip(" ").startswith("#"):
                eol, newline, rest = own[2].value.partition("\n")  # the field's own end-of-line comment
                if changed or re.search(r"\d", eol):
                    own[2].value = newline + rest
    return document


def _jittered(value: int | float, info: Any, factor: float, rng: Any) -> int | float:
    """``value`` moved by ``factor`` (a share by its own, smaller one), kept within the field's bounds and
    rounded as people write it; a value the move would push onto or past a bound stays as it was."""
    low = high = None
    for rule in info.metadata:
        low = getattr(rule, "ge", None) if getattr(rule, "ge", None) is not None else low
        low = getattr(rule, "gt", None) if getattr(rule, "gt", None) is not None else low
        high = getattr(rule, "le", None) if getattr(rule, "le", None) is not None else high
        high = getattr(rule, "lt", None) if getattr(rule, "lt", None) is not None else high
    share = high is not None and high <= 1 and not isinstance(value, int)
    if share:
        factor = float(rng.uniform(1 - JITTER / 2, 1 + JITTER / 2))
    if value == 0:
        return value
    if isinstance(value, int):
        new: int | float = max(1, _significant(round(value * factor), 3)) if value > 0 else round(value * factor)
    elif share:  # a share: two decimals, or as many as the answer had
        new = round(value * factor, max(2, _decimals(value)))
    else:  # money, minutes, tokens: three significant figures, no more decimals than cents (or the answer's)
        new = round(_significant(value * factor, 3), max(2, _decimals(value)))
    if (low is not None and new < low) or (high is not None and new > high) or new == low or new == high:
        return value
    return new


def _significant(value: float, digits: int) -> float:
    if value == 0:
        return value
    places = digits - 1 - math.floor(math.log10(abs(value)))
    rounded = round(value, places)
    return int(rounded) if isinstance(value, int) or places <= 0 else rounded


def _decimals(value: float) -> int:
    exponent = Decimal(repr(float(value))).normalize().as_tuple().exponent
    return max(0, -int(exponent))


# ---- data files -------------------------------------------------------------------------------------------

def data_files(case: Case) -> list[Path]:
    """Every data file the case names (each once), in the order its sections name them."""
    found: list[Path] = []
    for answers in case.sections.values():
        _walk_paths(answers, lambda path: path if path in found else found.append(path))
    return found


def _walk_paths(value: Any, visit: Any) -> Any:
    """``value`` (answers, a list, a dict …) with each Path replaced by ``visit(path)`` when that is a Path."""
    if isinstance(value, Path):
        new = visit(value)
        return new if isinstance(new, Path) else value
    if isinstance(value, BaseModel):
        return {name: _walk_paths(getattr(value, name), visit) for name in type(value).model_fields}
    if isinstance(value, dict):
        return {k: _walk_paths(v, visit) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_walk_paths(v, visit) for v in value]
    return value


def _targets(template: Case, stage: Path) -> dict[Path, Path]:
    """Each data file of the template → where the variant's goes in ``stage`` (the same place relative to the
    case file)."""
    base = template.base_dir.resolve()
    targets: dict[Path, Path] = {}
    for path in data_files(template):
        try:
            relative = path.resolve().relative_to(base)
        except ValueError:  # outside the case's folder: the variant keeps it beside its case file
            relative = Path("data") / path.name
        targets[path] = stage / relative
    return targets


def _write_data(template: Case, stage: Path, rng: Any, targets: Mapping[Path, Path],
                skip: set[Path] = frozenset()) -> dict[Path, Path]:
    """The variant's data files at ``targets``, each a subsample of the template's, but for those in ``skip``
    (written already); template path → new path."""
    keep = float(rng.uniform(*KEEP_ROWS))
    salt = rng.bytes(16)
    strata = _strata_columns(template)
    files = [p for p in data_files(template) if p not in skip]
    tables = {p: _read_csv(p) for p in files if p.suffix.lower() == ".csv"}
    kept_ids: list[tuple[set[str], set[str]]] = []  # (every id, ids kept) of the files done, largest first
    for path in sorted(files, key=lambda p: -len(tables[p][1]) if p in tables else 0):
        targets[path].parent.mkdir(parents=True, exist_ok=True)
        if path not in tables:  # Parquet, JSON …: kept as they are
            shutil.copyfile(path, targets[path])
            continue
        header, rows, newline = tables[path]
        id_at = _id_column(header)
        ids = {row[id_at] for row in rows if id_at is not None and id_at < len(row)} if id_at is not None else set()
        parent = next((kept for every, kept in kept_ids if ids and ids <= every), None)
        if parent is not None:  # rows that name another file's rows go with them
            chosen = [row for row in rows if row[id_at] in parent]
        elif len(rows) < MIN_ROWS_TO_SUBSAMPLE:
            chosen = rows
        else:
            chosen = _subsample(header, rows, id_at, keep, salt, strata)
        if id_at is not None and ids:
            kept_ids.append((ids, {row[id_at] for row in chosen}))
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator=newline)
        writer.writerow(header)
        writer.writerows(chosen)
        write_atomic(targets[path], buffer.getvalue().encode("utf-8"))
    return {p: Path(t).resolve() for p, t in targets.items()}


def _read_csv(path: Path) -> tuple[list[str], list[list[str]], str]:
    raw = path.read_bytes().decode("utf-8")
    newline = "\r\n" if "\r\n" in raw[:10_000] else "\n"
    reader = csv.reader(io.StringIO(raw, newline=""))
    header = next(reader, [])
    return header, [row for row in reader if row], newline


def _id_column(header: list[str]) -> int | None:
    names = [h.strip().casefold() for h in header]
    if "id" in names:
        return names.index("id")
    return next((i for i, n in enumerate(names) if n.endswith("_id")), None)


def _strata_columns(case: Case) -> set[str]:
    """Label, slice and segment columns: the template's names, and the columns the case says hold labels."""
    named = set(_STRATA)
    for answers in case.sections.values():
        for name, value in answers.model_dump(mode="python").items():
            if name.endswith(("label_column", "slice_columns", "segment_column")):
                named.update([value] if isinstance(value, str) else list(value or []))
    return {n.casefold() for n in named if n}


def _subsample(header: list[str], rows: list[list[str]], id_at: int | None, keep: float, salt: bytes,
               strata: set[str]) -> list[list[str]]:
    """``keep`` of the rows, without replacement, the same share of each stratum; in the file's order."""
    columns = [i for i, h in enumerate(header) if h.strip().casefold() in strata]
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, row in enumerate(rows):
        groups.setdefault(tuple(row[c] if c < len(row) else "" for c in columns), []).append(i)

    def rank(i: int) -> bytes:
        name = rows[i][id_at] if id_at is not None and id_at < len(rows[i]) else f"row {i}"
        return hashlib.blake2b(name.encode("utf-8"), key=salt, digest_size=8).digest()

    chosen: set[int] = set()
    for members in groups.values():
        count = max(1, round(keep * len(members)))
        chosen.update(sorted(members, key=rank)[:count])
    return [row for i, row in enumerate(rows) if i in chosen]


# ---- a cohort ---------------------------------------------------------------------------------------------

@dataclass
class CohortReport:
    """What ``make_variants`` wrote: each student's key record, or why their variant failed."""

    out: Path
    written: dict[str, dict[str, Any]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    secret_given: bool = True
    flaws: int = 0  # planted per student in a find-the-flaw exercise

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def summary(self) -> str:
        lines = []
        if not self.secret_given:
            lines.append(f"No secret given (--secret or {SECRET_ENV}): each variant depends on the student's id "
                         f"alone, so anyone with the kit and a roster can make the same ones.")
        lines.append(f"Wrote {len(self.written)} variant{'s' if len(self.written) != 1 else ''} in "
                     f"{self.out / 'students'} and their keys in {self.out / 'key'} (keep the key from students).")
        if self.flaws and self.written:
            lines.append(f"Each has {self.flaws} flaws planted for that student alone; the answer keys are "
                         f"{self.out / 'key'}/<id>/flaws.md.")
        if self.failed:
            lines.append(f"Written: {', '.join(sorted(self.written)) or 'none'}.")
            lines.append(f"{len(self.failed)} failed, nothing written for them:")
            lines += [f"  {sid}: {why}" for sid, why in sorted(self.failed.items())]
        return "\n".join(lines)


def make_variants(case: str | os.PathLike | Case, roster: str | os.PathLike | list[Student], out: str | os.PathLike,
                  secret: str | None = None, blank: Iterable[str] = (), exercise: str | None = None,
                  attempts: int = ATTEMPTS, jobs: int | None = None, scheduler: str | None = None,
                  flaws: int | None = None) -> CohortReport:
    """A variant and a key per student of ``roster`` under ``out`` (see the module docstring).

    A find-the-flaw exercise plants ``flaws`` mistakes per student, drawn from :data:`aipm_kit.flaws.CATALOGUE`
    (default: ``DEFAULT_FLAWS``, or as many kinds as the case can hold); ``flaws=0`` keeps the template's own.

    ``jobs`` variants are made at once in worker processes, or on the Dask cluster at ``scheduler``.
    Bad input (the case, the roster, a blank that is not a question) is a ``CaseError`` before anything is
    written; a student whose variant fails is reported and the others are still written.
    """
    template = case if isinstance(case, Case) else load_case(resolve_case_path(case))
    students = read_roster(roster) if not isinstance(roster, list) else roster
    blank = tuple(dict.fromkeys(b.strip() for b in blank if b.strip()))
    for key in blank:
        if key not in BY_KEY:
            raise CaseError(f"--blank names {key!r}, which is not a question; questions: {', '.join(BY_KEY)}")
        if key not in template.sections:
            raise CaseError(f"--blank names {key!r}, which this case does not answer: nothing to leave blank",
                            template.path)
    exercise = exercise or ("flaw" if "flaw" in template.path.stem else "decide")
    flaws = _flaw_count(template, exercise, flaws)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    point = teaching_point(template)
    report = CohortReport(out, secret_given=bool(secret), flaws=flaws)
    tasks = {s.id: (str(template.path), s, student_seed(s.id, secret), str(out), blank, point, exercise, attempts,
                    flaws) for s in students}
    for sid, outcome in _run(make_variant, tasks, jobs, scheduler):
        if isinstance(outcome, BaseException):
            report.failed[sid] = f"{type(outcome).__name__}: {outcome}" if not isinstance(outcome, VariantError) \
                else str(outcome).removeprefix(f"{sid}: ")
        else:
            report.written[sid] = outcome
    shutil.rmtree(out / ".staging", ignore_errors=True)
    index = {"template": template.name, "case_file": template.path.name, "blank": list(blank), "exercise": exercise,
             "flaws_per_student": flaws,
             "students": {sid: report.written[sid]["name"] for sid in sorted(report.written)}}
    if report.written:
        write_atomic(out / "key" / "cohort.json", json.dumps(index, indent=2, ensure_ascii=False) + "\n")
    return report


def _flaw_count(template: Case, exercise: str, flaws: int | None) -> int:
    """How many flaws each student gets: none in a decide exercise; checked against what the case can hold."""
    from . import flaws as catalogue

    if exercise != "flaw":
        if flaws:
            raise CaseError("--flaws plants mistakes for a find-the-flaw exercise: add --exercise flaw")
        return 0
    if flaws is not None and flaws < 0:
        raise CaseError(f"--flaws {flaws}: give a number of flaws, 0 or more")
    if flaws == 0:
        return 0
    most = catalogue.possible(template)
    if flaws is None:
        return min(catalogue.DEFAULT_FLAWS, most)
    if flaws > most:
        raise CaseError(f"--flaws {flaws}: this case can hold {most} flaws of different kinds (the catalogue's "
                        f"{', '.join(f.id for f in catalogue.CATALOGUE)}, where its answers and data allow them)",
                        template.path)
    return flaws


def _run(function: Any, tasks: Mapping[str, tuple], jobs: int | None, scheduler: str | None):
    """(name, result or exception) for ``function(*args)`` of each task: in worker processes or on Dask."""
    if scheduler:
        from distributed import as_completed

        from .build import _dask_client

        client = _dask_client(scheduler)
        try:
            futures = {client.submit(function, *args, pure=False): name for name, args in tasks.items()}
            for future in as_completed(list(futures)):
                try:
                    yield futures[future], future.result()
                except Exception as exc:  # noqa: BLE001 (one student's failure never stops the others)
                    yield futures[future], exc
        finally:
            client.close()
        return
    from .build import default_jobs

    jobs = max(1, min(jobs or default_jobs(), len(tasks)))
    if jobs == 1:
        for name, args in tasks.items():
            try:
                yield name, function(*args)
            except Exception as exc:  # noqa: BLE001
                yield name, exc
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    with ProcessPoolExecutor(jobs, mp_context=context) as pool:
        futures = {pool.submit(function, *args): name for name, args in tasks.items()}
        for future in as_completed(futures):
            try:
                yield futures[future], future.result()
            except Exception as exc:  # noqa: BLE001
                yield futures[future], exc
