"""Grading a cohort's filled variants into a class matrix (``aipm-kit class grade``).

The kit computes every verdict, so a grade for verdicts alone would reward pressing Run All. A student's copy
withholds the verdicts; the student answers the blank questions and makes each call with a reason. Grading
scores each submission on a rubric written as data (``DEFAULT_RUBRIC``, or the teacher's own YAML file): the kit
scores completeness, consistency, each decision against the level the student's *own* filled answers support,
and in a find-the-flaw exercise the planted flaws the student named; the reasons are for the teacher, laid out
on each student's page. The report is ``matrix.csv`` (one row per student, a column per rubric item, the total
last), ``index.html`` (the matrix as a heatmap, the items most often missed first) and a page per student.
"""

from __future__ import annotations

import dataclasses
import html
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .case import CaseError, load_case, write_atomic
from .classroom import KEY_FILE, STEPS, _run
from .questions import BY_KEY

DEFAULT_RUBRIC = """\
# How `aipm-kit class grade` scores a submission. Copy this file, change the points, pass it with --rubric.
# graded_by: kit (the kit scores it) or teacher (laid out on each student's page for you to read and score).
completeness:     # per blank question: the answers give the kit what it needs to reach a verdict
  points: 2
  graded_by: kit
decision:         # per blank question: the student's decision is the level their own answers support
  points: 3
  near: 1         # one step off: go for caution, or caution for stop
  graded_by: kit
consistency:      # the filled case adds no contradiction (aipm-kit check) that the key does not have
  points: 2
  graded_by: kit
reason:           # per blank question: the reason cites the numbers and follows from them
  points: 2
  graded_by: teacher
flaws:            # find-the-flaw: per planted flaw the student names (by one of its section.fields)
  points: 2
  false_alarm: 1  # taken off for each named field that is in no planted flaw (never below 0)
  graded_by: kit
"""


class RubricItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    points: float = Field(ge=0, description="Points for the item (per blank question, or per flaw).")
    graded_by: Literal["kit", "teacher"] = "kit"
    near: float = Field(0, ge=0, description="Decision: points for a call one step off.")
    false_alarm: float = Field(0, ge=0, description="Flaws: points taken off per field named that is no flaw.")


class Rubric(BaseModel):
    model_config = ConfigDict(extra="forbid")
    completeness: RubricItem
    decision: RubricItem
    consistency: RubricItem
    reason: RubricItem
    flaws: RubricItem


def load_rubric(path: str | os.PathLike | None = None) -> Rubric:
    """The rubric in ``path`` (YAML), or the default; an error names the file and the item to fix."""
    from ruamel.yaml import YAML

    text = DEFAULT_RUBRIC if path is None else Path(path).read_text(encoding="utf-8")
    try:
        data = YAML(typ="safe").load(text) or {}
        return Rubric.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        raise CaseError(f"{error['msg']}", path or "the default rubric", "rubric", where) from None
    except Exception as exc:  # noqa: BLE001 (YAML the parser refuses)
        raise CaseError(f"not a readable rubric: {exc}", path or "the default rubric") from None


# ---- one submission --------------------------------------------------------------------------------------

@dataclass
class Grade:
    """One student's row of the matrix and the material of their feedback page."""

    student: str
    name: str
    status: str  # "graded", or why the submission could not be graded
    scores: dict[str, float | None] = field(default_factory=dict)  # column → points (None: for the teacher)
    out_of: dict[str, float] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)  # column → what the score rests on
    reasons: dict[str, str] = field(default_factory=dict)  # question → the student's reason, as written

    @property
    def total(self) -> float:
        return sum(v for v in self.scores.values() if v is not None)


def columns(key: Mapping[str, Any], rubric: Rubric) -> list[tuple[str, RubricItem]]:
    """The matrix's columns for a key: per blank question completeness, decision and reason; consistency; flaws."""
    cols: list[tuple[str, RubricItem]] = []
    for q in key["blank"]:
        cols += [(f"completeness: {q}", rubric.completeness), (f"decision: {q}", rubric.decision),
                 (f"reason: {q}", rubric.reason)]
    if key["blank"]:
        cols.append(("consistency", rubric.consistency))
    if key.get("exercise") == "flaw":
        cols.append(("flaws", rubric.flaws))
    return [(name, item) for name, item in cols if item.points > 0]


def grade_submission(folder: str, key_folder: str, rubric: dict[str, Any]) -> Grade:
    """Score the filled case in ``folder`` against the key in ``key_folder``; never raises for a bad submission."""
    from .ledger import check

    rubric_model = Rubric.model_validate(rubric)
    key = json.loads((Path(key_folder) / KEY_FILE).read_text(encoding="utf-8"))
    grade = Grade(key["student"], key["name"], "graded")
    cols = columns(key, rubric_model)
    for name, item in cols:
        grade.out_of[name] = _out_of(name, item, key)
    case_file = Path(folder) / key["case_file"]
    if not Path(folder).is_dir():
        grade.status = "missing: no submission folder"
    elif not case_file.is_file():
        found = sorted(p.name for p in Path(folder).glob("*.y*ml"))
        grade.status = f"missing: no {key['case_file']}" + (f" (found {', '.join(found)})" if found else "")
    if grade.status != "graded":
        grade.scores = {name: 0.0 if item.graded_by == "kit" else None for name, item in cols}
        return grade
    try:
        submitted = load_case(case_file)
        graded = dataclasses.replace(submitted, classroom=None)  # the kit's own verdicts, for grading
        results = {q: graded.analyze(q) for q in key["blank"]}
        findings = check(graded) if key["blank"] else []
    except Exception as exc:  # noqa: BLE001 (an unreadable submission is a row that says so)
        grade.status = "unreadable: " + str(exc).replace(str(case_file), case_file.name)
        grade.scores = {name: 0.0 if item.graded_by == "kit" else None for name, item in cols}
        return grade
    classroom = submitted.classroom
    answers = classroom.answers if classroom is not None else {}
    for name, item in cols:
        kind, _, q = name.partition(": ")
        if kind == "completeness":
            done = results[q].answered
            grade.scores[name] = item.points if done else 0.0
            grade.notes[name] = ("answered: the kit reaches a verdict from these answers" if done else
                                 f"not complete: {results[q].headline}")
        elif kind == "decision":
            given = answers[q].decision if q in answers else ""
            supported = results[q].level
            grade.scores[name], grade.notes[name] = _decision_score(given, supported, item)
        elif kind == "reason":
            text = answers[q].reason.strip() if q in answers else ""
            grade.reasons[q] = text
            grade.scores[name] = None
            grade.notes[name] = f"for the teacher to read ({len(text.split())} words)" if text else "no reason given"
        elif kind == "consistency":
            known = {(c["quantity"], c["home"], c["other"]) for c in key["check"] if c["contradiction"]}
            new = [f for f in findings if f.contradiction and (f.quantity, f.home, f.other) not in known]
            if not any(results[q].answered for q in key["blank"]):
                grade.scores[name], grade.notes[name] = 0.0, "no blank question answered yet: nothing to check"
                continue
            grade.scores[name] = 0.0 if new else item.points
            grade.notes[name] = ("no new contradiction" if not new else "new contradictions: " +
                                 "; ".join(f"{f.quantity} ({f.home} = {f.home_value}, {f.other} = {f.other_value})"
                                           for f in new))
        elif kind == "flaws":
            named = classroom.flaws if classroom is not None else []
            grade.scores[name], grade.notes[name] = _flaw_score(named, key, item)
    return grade


def _out_of(name: str, item: RubricItem, key: Mapping[str, Any]) -> float:
    if name == "flaws":
        return item.points * len(_flaws(key))
    return item.points


def _flaws(key: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The flaws of a key, each with its ``fields`` and a ``title``: those planted for this student, or for a
    variant that keeps its template's flaws (``--flaws 0``), the contradictions ``aipm-kit check`` finds."""
    if "flaws" in key:
        return list(key["flaws"])
    return [{**c, "title": c["quantity"]} for c in key["check"] if c["contradiction"]]


def _decision_score(given: str, supported: str | None, item: RubricItem) -> tuple[float, str]:
    if not given:
        return 0.0, "no decision given"
    if supported is None:
        return 0.0, f"decided {given}, but the answers do not support any verdict yet (not answered)"
    if given == supported:
        return item.points, f"decided {given}: what these answers support"
    if abs(STEPS.index(given) - STEPS.index(supported)) == 1:
        return item.near, f"decided {given}; these answers support {supported} (one step off)"
    return 0.0, f"decided {given}; these answers support {supported}"


def _flaw_score(named: list[str], key: Mapping[str, Any], item: RubricItem) -> tuple[float, str]:
    flaws = _flaws(key)
    named_set = {n.strip() for n in named if n.strip()}
    found = [c for c in flaws if named_set & set(c["fields"])]
    in_a_flaw = set().union(*(set(c["fields"]) for c in flaws)) if flaws else set()
    false_alarms = sorted(named_set - in_a_flaw)
    score = max(0.0, item.points * len(found) - item.false_alarm * len(false_alarms))
    missed = [c["title"] for c in flaws if c not in found]
    note = f"found {len(found)} of {len(flaws)}"
    if missed:
        note += f"; missed: {', '.join(missed)}"
    if false_alarms:
        note += f"; not a flaw: {', '.join(false_alarms)}"
    return score, note


# ---- the cohort -----------------------------------------------------------------------------------------

@dataclass
class ClassReport:
    out: Path
    grades: list[Grade]
    columns: list[tuple[str, RubricItem]]

    def summary(self) -> str:
        problems = [g for g in self.grades if g.status != "graded"]
        lines = [f"Graded {len(self.grades) - len(problems)} of {len(self.grades)} students: "
                 f"{self.out / 'index.html'} (the class matrix), {self.out / 'matrix.csv'}, a page per student."]
        lines += [f"  {g.student}: {g.status}" for g in problems]
        return "\n".join(lines)


def grade(submissions: str | os.PathLike, key: str | os.PathLike, out: str | os.PathLike,
          rubric: str | os.PathLike | None = None, jobs: int | None = None,
          scheduler: str | None = None) -> ClassReport:
    """Grade every student in the key from ``submissions/<id>/``; write the matrix, the heatmap and the pages."""
    key, out, submissions = Path(key), Path(out), Path(submissions)
    rubric_model = load_rubric(rubric)
    students = sorted(p.name for p in key.iterdir() if (p / KEY_FILE).is_file()) if key.is_dir() else []
    if not students:
        raise CaseError(f"no student keys here (expected <id>/{KEY_FILE}, as `aipm-kit class variants` writes "
                        f"under DIR/key)", key)
    tasks = {sid: (str(submissions / sid), str(key / sid), rubric_model.model_dump()) for sid in students}
    grades: dict[str, Grade] = {}
    for sid, outcome in _run(grade_submission, tasks, jobs, scheduler):
        if isinstance(outcome, BaseException):  # the key itself is broken: still a row
            outcome = Grade(sid, "", f"not graded: {type(outcome).__name__}: {outcome}")
        grades[sid] = outcome
    first_key = json.loads((key / students[0] / KEY_FILE).read_text(encoding="utf-8"))
    cols = columns(first_key, rubric_model)
    if first_key.get("exercise") == "flaw" and not any(n == "flaws" for n, _ in cols):
        cols.append(("flaws", rubric_model.flaws))
    report = ClassReport(out, [grades[s] for s in students], cols)
    write_report(report)
    return report


def write_report(report: ClassReport) -> None:
    import pandas as pd

    from .exports import neutralise

    out = report.out
    (out / "students").mkdir(parents=True, exist_ok=True)
    rows = []
    for g in report.grades:
        row: dict[str, Any] = {"student": g.student, "name": g.name, "status": g.status}
        for name, item in report.columns:
            row[name] = g.scores.get(name)
        row["out of (kit-graded)"] = sum(g.out_of.get(n, 0) for n, i in report.columns if i.graded_by == "kit")
        row["total"] = g.total
        rows.append(row)
    frame = neutralise(pd.DataFrame(rows))
    write_atomic(out / "matrix.csv", frame.to_csv(index=False))
    write_atomic(out / "index.html", _index_html(report))
    for g in report.grades:
        write_atomic(out / "students" / f"{g.student}.html", _student_html(g, report.columns))


# ---- HTML --------------------------------------------------------------------------------------------------

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:75em}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ddd;padding:4px 8px;text-align:center}} th{{background:#f5f5f5;font-size:0.85em}}
td.name{{text-align:left}} td.teacher{{background:#eef2f7;color:#44546a}} .reason{{white-space:pre-wrap;
border-left:4px solid #9aa0a6;padding:4px 10px;background:#fafafa}} .note{{color:#5f6368;font-size:0.9em}}</style>
</head><body>
{body}
<footer class="note">Made by aipm-kit class grade.</footer></body></html>
"""


def _colour(fraction: float | None) -> str:
    """Red (0) through amber to green (1) for the heatmap."""
    if fraction is None:
        return "#eef2f7"
    return f"hsl({round(120 * max(0.0, min(1.0, fraction)))}, 60%, 78%)"


def _ordered_columns(report: ClassReport) -> list[tuple[str, RubricItem, float | None]]:
    """The columns with their class average share of the points, the items most often missed first."""
    graded = [g for g in report.grades if g.status == "graded"]
    shown = []
    for name, item in report.columns:
        shares = [g.scores[name] / g.out_of[name] for g in graded
                  if g.scores.get(name) is not None and g.out_of.get(name)]
        shown.append((name, item, sum(shares) / len(shares) if shares else None))
    kit = sorted((c for c in shown if c[1].graded_by == "kit"), key=lambda c: (c[2] if c[2] is not None else 2))
    return kit + [c for c in shown if c[1].graded_by == "teacher"]


def _index_html(report: ClassReport) -> str:
    e = html.escape
    cols = _ordered_columns(report)
    head = "".join(f"<th title='{e(item.graded_by)}-graded'>{e(name)}<br><span class='note'>"
                   f"{'kit' if item.graded_by == 'kit' else 'teacher'}"
                   f"{'' if avg is None else f' · class {avg:.0%}'}</span></th>" for name, item, avg in cols)
    body_rows = []
    for g in report.grades:
        cells = []
        for name, item, _ in cols:
            value, most = g.scores.get(name), g.out_of.get(name)
            if item.graded_by == "teacher":
                text = "read" if g.reasons.get(name.partition(": ")[2]) else "—"
                cells.append(f"<td class='teacher'>{e(text)}</td>")
            elif g.status != "graded":
                cells.append("<td style='background:#eee'>—</td>")
            else:
                fraction = (value or 0) / most if most else None
                cells.append(f"<td style='background:{_colour(fraction)}' title='{e(g.notes.get(name, ''))}'>"
                             f"{_points(value)} / {_points(most)}</td>")
        status = "" if g.status == "graded" else f"<br><span class='note'>{e(g.status)}</span>"
        body_rows.append(f"<tr><td class='name'><a href='students/{e(g.student)}.html'>{e(g.student)}</a> "
                         f"{e(g.name)}{status}</td>{''.join(cells)}<td><b>{_points(g.total)}</b></td></tr>")
    kit_max = sum(_out_of_first(report, n) for n, i, _ in cols if i.graded_by == "kit")
    body = (f"<h1>Class matrix</h1><p>{len(report.grades)} students. Each cell is a student's points on a rubric "
            f"item; the items the class most often missed come first. Kit-graded items are scored here; the "
            f"reasons (grey) are for you to read on each student's page. Total: kit-graded points, of "
            f"{_points(kit_max)}.</p><table class='matrix'><thead><tr><th>student</th>{head}<th>total</th></tr>"
            f"</thead><tbody>{''.join(body_rows)}</tbody></table>")
    return _PAGE.format(title="Class matrix", body=body)


def _out_of_first(report: ClassReport, name: str) -> float:
    return next((g.out_of[name] for g in report.grades if name in g.out_of), 0.0)


def _student_html(g: Grade, cols: list[tuple[str, RubricItem]]) -> str:
    e = html.escape
    rows = []
    for name, item in cols:
        value = g.scores.get(name)
        shown = ("for the teacher" if item.graded_by == "teacher"
                 else f"{_points(value)} / {_points(g.out_of.get(name))}")
        rows.append(f"<tr><td class='name'>{e(name)}</td><td>{e(item.graded_by)}</td><td>{e(shown)}</td>"
                    f"<td class='name'>{e(g.notes.get(name, ''))}</td></tr>")
    reasons = "".join(f"<h3>Reason: {e(BY_KEY[q].title)}</h3><div class='reason'>{e(text) or '<em>none</em>'}</div>"
                      for q, text in g.reasons.items())
    body = (f"<p><a href='../index.html'>Class matrix</a></p><h1>{e(g.student)} {e(g.name)}</h1>"
            f"<p>Status: {e(g.status)}. Kit-graded points: <b>{_points(g.total)}</b>.</p>"
            f"<table><thead><tr><th>item</th><th>graded by</th><th>points</th><th>why</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>{reasons}")
    return _PAGE.format(title=f"Feedback: {e(g.student)}", body=body)


def _points(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:g}"
