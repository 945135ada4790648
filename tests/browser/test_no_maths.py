"""Dollar amounts in the kit's outputs show as written in JupyterLab, never typeset as maths.

JupyterLab's MathJax reads any text between two `$` as TeX: "$1.70 per ticket … $15 per error" became italic
maths. The kit marks its HTML outputs with MathJax's ignore class; this opens a stored notebook whose outputs
hold several dollar amounts and looks for MathJax's rendering inside them.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_dollar_amounts_in_stored_outputs_are_not_typeset(page, lab, screenshots):
    page.goto(f"{lab.url}/lab/tree/notebooks/02_need_ai.ipynb")
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    result = panel.locator(".jp-OutputArea-output .aipm-result").first
    result.wait_for()
    page.locator('.jp-StatusBar-TextItem:has-text("| Idle")').wait_for()
    page.wait_for_timeout(1500)  # MathJax typesets after the outputs render
    text = result.inner_text()
    assert text.count("$") >= 2, "the stored result should quote dollar amounts"
    # a control that MathJax runs on this page: a Markdown cell with real maths would render; our outputs not
    assert panel.locator(".jp-OutputArea-output .aipm-result mjx-container").count() == 0
    assert panel.locator(".jp-OutputArea-output mjx-container").count() == 0
    result.screenshot(path=str(screenshots / "q2-result-dollars.png"))
