"""CSV the kit writes: a cell a spreadsheet would run as a formula gets a quote (OWASP); numbers stay numbers.

End to end on question 7's two exports: the review sample and the failures promoted into the eval set.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from aipm_kit.exports import neutralise_cell, restore_cell
from aipm_kit.questions.monitoring import Answers, promote, write_review_sample

# What log text can hold, and what the exported cell must be (OWASP "CSV injection": prefix a single quote).
CELLS = {
    '=HYPERLINK("http://evil.example","Click")': '\'=HYPERLINK("http://evil.example","Click")',
    "@SUM(1+1)*cmd|' /C calc'!A0": "'@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0": "'+1+cmd|' /C calc'!A0",
    "-2+3": "'-2+3",
    "\tleading tab": "'\tleading tab",
    "\rleading return": "'\rleading return",
    "- a bullet a user typed": "'- a bullet a user typed",
    "-3.5": "-3.5",  # a plain number is not a formula: it stays a number
    "+2": "+2",
    "1e-3": "1e-3",
    "plain text = fine": "plain text = fine",
}


@pytest.mark.parametrize("text, cell", CELLS.items())
def test_each_cell_by_the_owasp_rule_and_back(text, cell):
    assert neutralise_cell(text) == cell
    assert restore_cell(cell) == text
    assert neutralise_cell(-3.5) == -3.5 and neutralise_cell(None) is None


def _raw_cells(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


LOG_TEXTS = [text for text in CELLS if "\r" not in text]  # the log reader reads \r as a line break (its concern)


def _hostile_log(tmp_path: Path) -> Path:
    texts = LOG_TEXTS
    rows = [{"timestamp": pd.Timestamp("2025-09-01") + pd.Timedelta(hours=i), "id": f"T{i:07d}",
             "segment": "web form", "input": texts[i % len(texts)], "output": texts[(i + 1) % len(texts)],
             "confidence": 0.9, "feedback": "ok"} for i in range(3 * len(texts))]
    path = tmp_path / "log.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_the_review_sample_neutralises_log_text_and_keeps_numbers(tmp_path):
    _hostile_log(tmp_path)
    a = Answers.model_validate({"log": "log.csv", "review_budget": 20}, context={"base_dir": tmp_path})
    rows = _raw_cells(write_review_sample(a, tmp_path / "review.csv"))
    assert rows
    for row in rows:
        assert row["input"] in CELLS.values() and row["output"] in CELLS.values()
        assert not row["input"].startswith(("=", "@", "\t", "\r")) or row["input"] == "-3.5"
        float(row["weight"]), float(row["inclusion_probability"]), float(row["confidence"])  # still numbers
    assert {row["input"] for row in rows} & {'\'=HYPERLINK("http://evil.example","Click")', "-3.5"}


def test_promoted_failures_are_neutralised_and_promoting_again_adds_nothing(tmp_path):
    _hostile_log(tmp_path)
    ids = [f"T{i:07d}" for i in range(len(LOG_TEXTS))]
    target = tmp_path / "eval.csv"
    # the first review into a new file (the whole table written), the second appended to it
    for reviewed_ids in (ids[:4], ids):
        pd.DataFrame({"id": reviewed_ids, "failure_mode": "m", "expected": "-3.5"}).to_csv(tmp_path / "reviewed.csv",
                                                                                             index=False)
        a = Answers.model_validate({"log": "log.csv", "reviewed_failures": "reviewed.csv"},
                                   context={"base_dir": tmp_path})
        promote(a, target, added="2025-12-01")
    rows = _raw_cells(target)
    assert sorted(row["input"] for row in rows) == sorted(CELLS[text] for text in LOG_TEXTS)
    assert {row["expected"] for row in rows} == {"-3.5"}  # the numeric grader's answer stays a number
    content = target.read_bytes()
    assert promote(a, target).empty and target.read_bytes() == content  # each case recognised as already there
