"""A learner's blank worksheet in JupyterLab: "Not answered", in grey, never a red verdict.

A fresh case file (what ``aipm-kit new`` writes) opened in question 2's notebook used to show a red "No AI":
the blank form was analysed as if answered. Each question's verdict now waits for the answers it needs.
"""

from __future__ import annotations

import shutil

import pytest

from aipm_kit.case import template_case
from aipm_kit.result import level_colour

from .conftest import open_and_run_all, point_at_case, screenshot_cell_outputs

pytestmark = pytest.mark.browser


def test_a_blank_worksheet_says_not_answered_in_grey(page, lab, workspace, screenshots):
    (workspace.root / "cases" / "blank.yaml").write_text(template_case("Clinic scheduling"), encoding="utf-8")
    notebook = workspace.notebooks / "02_need_ai_blank.ipynb"
    shutil.copyfile(workspace.notebooks / "02_need_ai.ipynb", notebook)
    assert point_at_case(notebook, "../cases/blank.yaml")

    open_and_run_all(page, lab, notebook.name)
    form = page.locator(".widget-vbox").filter(has=page.locator("h3", has_text="Question 2:")).first
    form.wait_for()
    badge = page.locator(".widget-html .aipm-result .aipm-badge").first
    badge.wait_for()
    assert badge.inner_text() == "Not answered"
    grey = level_colour(None)  # "#6b7280"
    rgb = "rgb({}, {}, {})".format(*(int(grey[i:i + 2], 16) for i in (1, 3, 5)))
    assert badge.evaluate("b => getComputedStyle(b).backgroundColor") == rgb
    headline = page.locator(".widget-html .aipm-result").first.inner_text()
    assert "a verdict needs the decision" in headline or "a verdict needs decision" in headline
    screenshot_cell_outputs(page, form, screenshots / "q2-not-answered.png", height=900)
