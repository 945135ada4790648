"""The kit's eval table built from another tool's records: columns, mapping, checks and the file written.

Every importer turns its tool's file into a list of :class:`Record` (the kit's columns as the tool's file fills
them, plus the raw record for ``--map``) and hands it to :func:`eval_table`, which applies the user's mapping,
checks the table as question 6 will (unique ids, a category on every row, a pass or a score on every row) and
returns it. :func:`write_eval_table` writes it with every text cell neutralised (no cell runs as a spreadsheet
formula, as in the kit's other CSV files) beside its provenance, each file to a temporary name first.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Iterator
from typing import Any

from ..case import CaseError

# question 6's columns (aipm_kit.questions.evaluation.REQUIRED_COLUMNS and OUTCOME_COLUMNS), then the optional
# ones an import fills: the repeat's unit (evalset.GROUP_COLUMN) and which prompt or provider answered
KIT_COLUMNS = ("id", "category", "slice", "input", "expected", "output", "passed", "score", "group", "variant")
NO_CATEGORY = "uncategorised"


class ImportFileError(CaseError):
    """A file another tool wrote that cannot be imported: names the file, the record and what is wrong."""

    def __init__(self, problem: str, file: str | os.PathLike, record: str | None = None):
        super().__init__(problem, file, record)
        self.record = record


@dataclass
class Record:
    """One eval case as a tool recorded it: the kit's columns it fills, and the raw record for ``--map``."""

    where: str  # how the error messages name it: "record 3", "line 7", "sample 'q1' epoch 2"
    values: dict[str, Any]
    raw: Any = None
    extra: dict[str, Any] = field(default_factory=dict)  # further columns (metadata, named asserts …), kept


@dataclass
class Imported:
    """An imported eval table, where it came from, and what the user should know about it."""

    frame: Any  # pandas.DataFrame with KIT_COLUMNS first
    provenance: dict
    notes: list[str] = field(default_factory=list)

    @property
    def cases(self) -> int:
        return len(self.frame)

    @property
    def passed(self) -> int:
        return int(self.frame["passed"].map(lambda v: v is True).sum())


def parse_mapping(items: list[str] | None) -> dict[str, str]:
    """``["category=metadata.topic", …]`` as ``{"category": "metadata.topic"}``; a bad item raises ValueError."""
    mapping: dict[str, str] = {}
    for item in items or []:
        column, sep, source = item.partition("=")
        if not sep or not column.strip() or not source.strip():
            raise ValueError(f"--map {item!r}: expected KIT_COLUMN=SOURCE_FIELD, e.g. category=metadata.topic")
        mapping[column.strip()] = source.strip()
    return mapping


_MISSING = object()


def lookup(raw: Any, path: str) -> Any:
    """The value at the dotted ``path`` in a nested record (``vars.question``, ``choices.0``), or ``_MISSING``."""
    if isinstance(raw, dict) and path in raw:  # a flat table's column may hold dots itself
        return raw[path]
    value = raw
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def text(value: Any) -> str:
    """A cell's text: strings as they are, None as empty, numbers plainly, anything else as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):  # the shortest text that reads back as the same number; 1.0 as "1"
        return "" if math.isnan(value) else str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def truth(value: Any, file: str | os.PathLike, where: str, column: str = "passed") -> bool | None:
    """``value`` as True/False (bools, 1/0, true/false, yes/no, pass/fail, C/I), None when blank; else an error."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    words = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False, "pass": True,
             "fail": False, "passed": True, "failed": False, "1.0": True, "0.0": False,
             "correct": True, "incorrect": False, "c": True, "i": False}  # C and I: inspect_ai's grades
    if isinstance(value, str) and value.strip().lower() in words:
        return words[value.strip().lower()]
    raise ImportFileError(f"{column} is {value!r}; expected true or false", file, where)


def number(value: Any, file: str | os.PathLike, where: str, column: str = "score") -> float | None:
    """``value`` as a finite number, None when blank; anything else an error naming the record."""
    if value is None or value == "" or isinstance(value, bool):
        return None if not isinstance(value, bool) else float(value)
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise ImportFileError(f"{column} is {value!r}; expected a number", file, where) from None
    if not math.isfinite(result):
        raise ImportFileError(f"{column} is {value!r}; expected a finite number", file, where)
    return result


def eval_table(records: list[Record], file: str | os.PathLike, mapping: dict[str, str] | None = None,
               score_threshold: float | None = None):
    """The kit's eval table from ``records``: mapping applied, checked as question 6 checks it.

    ``mapping`` sends a kit column to a field of the raw record (a dotted path). A row with a score and no pass
    passes when the score reaches ``score_threshold`` (when given); otherwise it keeps the score alone and
    question 6's score grader decides. Returns the frame and notes for the user.
    """
    import pandas as pd

    file = Path(file)
    if not records:
        raise ImportFileError("holds no eval cases", file)
    mapping = mapping or {}
    notes: list[str] = []
    rows = []
    for record in records:
        row = {**{k: v for k, v in record.extra.items() if k not in KIT_COLUMNS}, **record.values}
        for column, source in mapping.items():
            value = lookup(record.raw, source)
            if value is _MISSING:
                raise ImportFileError(f"--map {column}={source}: the record has no field {source!r}", file,
                                      record.where)
            row[column] = value
        row["passed"] = truth(row.get("passed"), file, record.where)
        row["score"] = number(row.get("score"), file, record.where)
        if row["passed"] is None and row["score"] is not None and score_threshold is not None:
            row["passed"] = row["score"] >= score_threshold
        if row["passed"] is None and row["score"] is None:
            raise ImportFileError("no outcome: neither a pass/fail nor a score", file, record.where)
        for column in ("id", "category", "slice", "input", "expected", "output", "group", "variant"):
            row[column] = text(row.get(column)).strip() if column in ("id", "category", "slice", "group") \
                else text(row.get(column))
        if not row["id"]:
            raise ImportFileError("no id", file, record.where)
        rows.append(row)

    blank = sum(not r["category"] for r in rows)
    if blank:
        for r in rows:
            r["category"] = r["category"] or NO_CATEGORY
        notes.append(f"{blank} of {len(rows)} cases have no category in the file: they are {NO_CATEGORY!r}. Name "
                     f"the field that holds one with --map category=FIELD.")
    seen: dict[str, str] = {}
    for record, row in zip(records, rows):
        if row["id"] in seen:
            raise ImportFileError(f"id {row['id']!r} appears twice (also {seen[row['id']]}); question 6 pairs runs "
                                  f"by id, so each case needs its own (--map id=FIELD)", file, record.where)
        seen[row["id"]] = record.where

    extra = [c for c in dict.fromkeys(k for r in rows for k in r) if c not in KIT_COLUMNS]
    frame = pd.DataFrame(rows, columns=list(KIT_COLUMNS) + extra)
    for column in extra:  # metadata and named checks: text, so a spreadsheet and question 6 read them alike
        frame[column] = frame[column].map(text)
    if frame["passed"].isna().any():  # scored rows without a pass: leave passed out, question 6 grades scores
        if frame["passed"].notna().any():
            frame["passed"] = frame["passed"].map(lambda v: "" if v is None else v)
        else:
            frame = frame.drop(columns="passed")
            notes.append("the file holds scores, no pass/fail: grade it in question 6 with grader: score and "
                         "the score_threshold you agreed.")
    if frame["score"].isna().all():
        frame = frame.drop(columns="score")
    for column in ("group", "variant"):
        if (frame[column] == "").all():
            frame = frame.drop(columns=column)
    return frame, notes


def write_eval_table(imported: Imported, out: str | os.PathLike, source: str | os.PathLike) -> Path:
    """Write the table to ``out`` (CSV, text cells neutralised) and its provenance beside it; return ``out``.

    Both files go to a temporary name and are renamed when complete. The source file is never written over,
    nor any existing file an import did not write (one without its provenance file).
    """
    from ..casefile import write_atomic
    from ..exports import neutralise
    from .provenance import sidecar_path

    out, source = Path(out), Path(source)
    if out.suffix.lower() != ".csv":
        raise ImportFileError("--out must name a .csv file (the eval table question 6 reads)", out)
    if out.exists() and out.resolve() == source.resolve():
        raise ImportFileError("--out is the file being imported; choose another name (nothing was written)", out)
    if out.exists() and not sidecar_path(out).exists():  # replace only a table an import wrote
        raise ImportFileError("already exists and no import wrote it (it has no provenance file beside it); choose "
                              "another --out, or delete it first (nothing was written)", out)
    table = neutralise(imported.frame).to_csv(index=False, lineterminator="\n")
    write_atomic(out, table)
    write_atomic(sidecar_path(out), json.dumps(imported.provenance, indent=2, ensure_ascii=False) + "\n")
    return out


def json_lines(path: Path, expected: str = "") -> Iterator[tuple[int, dict]]:
    """Each non-blank line of a JSONL file as (line number, object); a line that is not a JSON object, or a file
    that is not UTF-8, is an ``ImportFileError`` naming the line (``expected`` says what the file should be)."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError:
        raise ImportFileError(f"is not UTF-8 text{'; expected ' + expected if expected else ''}", path) from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise ImportFileError(f"is not valid JSON ({exc})", path, f"line {number}") from None
        if not isinstance(item, dict):
            raise ImportFileError("is not a JSON object", path, f"line {number}")
        yield number, item
