"""What a reader sees first and what a learner's own workspace keeps: the notebooks' Markdown."""

from __future__ import annotations

import re

import nbformat
import pytest

from aipm_kit.bundled import notebooks_dir
from aipm_kit.workspace import WORKED_EXAMPLE_TAG

NOTEBOOKS = sorted(notebooks_dir().glob("0*.ipynb"))


def _markdown(path):
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_first_screen_says_how_to_make_the_notebook_live(path):
    first = _markdown(path)[0].source.split("\n")
    assert first[0].startswith("# ") and "Run ▸ Run All Cells" in first[2]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_dollar_in_markdown_is_left_to_be_read_as_maths(path):
    for cell in _markdown(path):
        prose = re.sub(r"`[^`]*`", "", cell.source)  # code spans are not typeset
        assert not re.search(r"(?<!\\)\$", prose), cell.source[:80]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_prose_about_the_worked_examples_own_results_is_tagged(path):
    # a learner's workspace and other cases' builds leave tagged cells out, so no untagged cell may quote the
    # worked example's own numbers or name it as "the support case" / "for triage"
    for cell in _markdown(path):
        if WORKED_EXAMPLE_TAG in cell.metadata.get("tags", []):
            assert cell.source.startswith(("**In the worked example", "Every notebook opens on a worked example"))
            continue
        for phrase in ("In the support case", "in the support case", "For triage", "for triage", "214 of 269",
                       "92 distinct tickets", "71.1%", "0.98 makes"):
            assert phrase not in cell.source, (phrase, cell.source[:80])
