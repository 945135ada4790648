"""The case's eval set, with question 7's promoted failures, written for the team's own eval tool.

The eval set is question 6's results file (its ``id``, ``category``, ``slice``, ``input`` and ``expected``; the
run's outputs are not exported: the tool makes its own) and the reviewed failures question 7 would promote into
it (``aipm_kit.questions.monitoring.promotion_candidates``), so the set grows where the team runs it:

- ``promptfoo``: a tests file (``tests: file://eval-tests.yaml`` in ``promptfooconfig.yaml``), YAML, or CSV when
  the name ends in ``.csv`` (promptfoo's CSV test format: one column per var and ``__expected``). Each test has
  ``vars.input`` (name another var with ``var=``), an ``equals`` assert on the expected answer (``icontains``
  with ``assertion="icontains"``), and ``metadata`` with id, category and slice, which promptfoo's results carry
  back, so ``aipm-kit import promptfoo`` reads them into question 6 again.
- ``inspect``: an inspect_ai dataset, JSONL of ``{"input", "target", "id", "metadata"}``, which
  ``inspect_ai.dataset.json_dataset`` reads as samples (``metadata`` keeps category and slice). An empty input
  (a blank ticket is a fair test) is written as one empty user message, since inspect_ai refuses empty text.

Both are written to a temporary file and renamed. Text goes out as written: these files are read by tools,
not opened in a spreadsheet (the CSV aside, where cells are neutralised as in the kit's other CSV files).
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

from ..case import CaseError

FORMATS = ("promptfoo", "inspect")
ASSERTIONS = ("equals", "icontains", "contains")


def eval_set(case) -> tuple[list[dict], int]:
    """The cases to export: question 6's eval set, then question 7's new promoted failures; and how many of
    the cases came from question 7."""
    from ..questions.evaluation import read_results

    evaluation = case.answers("evaluation") if case.is_answered("evaluation") else None
    path = getattr(evaluation, "results_file", None)
    if path is None:
        raise CaseError("question 6 names no results file: there is no eval set to export", case.path,
                        "evaluation", "results_file")
    frame = read_results(path, outcome=None)
    from ..exports import restore

    frame = restore(frame)  # cells the kit quoted against spreadsheet formulas, as they were written
    cases = [_case(row) for row in frame.to_dict("records")]
    promoted = 0
    if case.is_answered("monitoring"):
        from ..questions.monitoring import promotion_candidates

        known = {c["id"] for c in cases}
        for row in promotion_candidates(case).to_dict("records"):
            if str(row["id"]) not in known:
                cases.append({**_case(row), "source": str(row.get("source") or "")})
                promoted += 1
    return cases, promoted


def _case(row: dict) -> dict:
    return {k: "" if row.get(k) is None else str(row.get(k)) for k in ("id", "category", "slice", "input",
                                                                       "expected")}


def promptfoo_tests(cases: list[dict], var: str = "input", assertion: str = "equals") -> list[dict]:
    """The cases as promptfoo test cases."""
    if assertion not in ASSERTIONS:
        raise ValueError(f"assertion must be one of {', '.join(ASSERTIONS)}")
    tests = []
    for c in cases:
        metadata = {k: c[k] for k in ("id", "category", "slice", "source") if c.get(k)}
        test = {"description": c["id"], "vars": {var: c["input"]}, "metadata": metadata}
        if c["expected"]:
            test["assert"] = [{"type": assertion, "value": c["expected"]}]
        tests.append(test)
    return tests


def promptfoo_yaml(cases: list[dict], **options) -> str:
    """The promptfoo tests as YAML (ruamel.yaml; long texts stay on one line as plain or quoted scalars)."""
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.width = 4096
    out = io.StringIO()
    out.write("# promptfoo tests written by aipm-kit: reference them with `tests: file://<this file>`\n")
    yaml.dump(promptfoo_tests(cases, **options), out)
    return out.getvalue()


def promptfoo_csv(cases: list[dict], var: str = "input", assertion: str = "equals") -> str:
    """The promptfoo tests as CSV: a column per var, ``__expected`` (``icontains:…`` when asked),
    ``__description`` and ``__metadata:…`` columns (id, category, slice), which promptfoo reads as the test's
    metadata."""
    import pandas as pd

    from ..exports import neutralise

    prefix = "" if assertion == "equals" else f"{assertion}:"
    frame = pd.DataFrame({
        var: [c["input"] for c in cases],
        "__expected": [prefix + c["expected"] if c["expected"] else "" for c in cases],
        "__description": [c["id"] for c in cases],
        "__metadata:id": [c["id"] for c in cases],
        "__metadata:category": [c["category"] for c in cases],
        "__metadata:slice": [c["slice"] for c in cases],
    })
    return neutralise(frame).to_csv(index=False, lineterminator="\n")


def inspect_jsonl(cases: list[dict]) -> str:
    """The cases as an inspect_ai dataset: one ``{"input", "target", "id", "metadata"}`` object a line."""
    lines = []
    for c in cases:
        metadata = {k: c[k] for k in ("category", "slice", "source") if c.get(k)}
        # inspect_ai refuses an empty input text; an empty ticket is a real case, so it goes as an empty message
        the_input = c["input"] if c["input"] else [{"role": "user", "content": ""}]
        lines.append(json.dumps({"input": the_input, "target": c["expected"], "id": c["id"],
                                 "metadata": metadata}, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def export(case, file_format: str, out: str | os.PathLike, **options) -> tuple[Path, int, int]:
    """Write ``case``'s eval set to ``out`` in ``file_format``; return the path, the cases, and how many were
    promoted from question 7."""
    from ..casefile import write_atomic

    if file_format not in FORMATS:
        raise ValueError(f"unknown format {file_format!r}; the formats are {', '.join(FORMATS)}")
    out = Path(out)
    cases, promoted = eval_set(case)
    if file_format == "inspect":
        content = inspect_jsonl(cases)
    elif out.suffix.lower() == ".csv":
        content = promptfoo_csv(cases, **options)
    else:
        content = promptfoo_yaml(cases, **options)
    _check_out(out, case)
    write_atomic(out, content)
    return out, len(cases), promoted


def _check_out(out: Path, case) -> None:
    """Never write over the case file or a data file it names."""
    protected = [case.path] if case.path else []
    for key in ("evaluation", "monitoring"):
        answers = case.answers(key) if case.is_answered(key) else None
        for name in (type(answers).model_fields if answers is not None else ()):
            value = getattr(answers, name)
            if isinstance(value, Path):  # a data file (model_dump would give it as relative text)
                protected.append(value)
    if out.exists() and any(p is not None and out.resolve() == Path(p).resolve() for p in protected):
        raise CaseError("--out is the case file or one of its data files; choose another name (nothing was "
                        "written)", out)
