"""The class report of ``aipm-kit class grade`` opens in a real browser: the matrix as a heatmap, student text
shown as written (never run), and each student's feedback page one click away."""

from __future__ import annotations

import pytest

from aipm_kit.grading import ClassReport, Grade, columns, load_rubric, write_report

pytestmark = pytest.mark.browser


def test_the_class_report_opens_as_a_heatmap_with_feedback_pages(page, tmp_path, screenshots):
    rubric = load_rubric()
    key = {"blank": ["evaluation"], "exercise": "decide"}
    cols = columns(key, rubric)
    out_of = {"completeness: evaluation": 2, "decision: evaluation": 3, "reason: evaluation": 2, "consistency": 2}
    full = Grade("s01", "Ada <script>alert('x')</script>", "graded",
                 scores={"completeness: evaluation": 2, "decision: evaluation": 3, "reason: evaluation": None,
                         "consistency": 2}, out_of=out_of,
                 notes={"decision: evaluation": "decided stop: what these answers support"},
                 reasons={"evaluation": "The pass rate, 83%, is below the 86% bar.\n<b>Hold</b>."})
    blank = Grade("s02", "Grace", "graded",
                  scores={"completeness: evaluation": 0, "decision: evaluation": 0, "reason: evaluation": None,
                          "consistency": 0}, out_of=out_of)
    missing = Grade("s03", "Alan", "missing: no submission folder",
                    scores={"completeness: evaluation": 0, "decision: evaluation": 0, "reason: evaluation": None,
                            "consistency": 0}, out_of=out_of)
    write_report(ClassReport(tmp_path, [full, blank, missing], cols))

    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto((tmp_path / "index.html").as_uri())
    page.locator("h1", has_text="Class matrix").wait_for()
    rows = page.locator("table.matrix tbody tr")
    assert rows.count() == 3
    assert "Ada <script>alert('x')</script>" in rows.nth(0).inner_text()  # shown as text, never run
    assert rows.nth(2).inner_text().count("missing: no submission folder") == 1
    # the heatmap: a full score is green (hue 120), none is red (hue 0). HSL to RGB by hand for lightness 78%,
    # saturation 60%: chroma = (1 - |2 × 0.78 - 1|) × 0.6 = 0.264, m = 0.78 - 0.132 = 0.648;
    # green = (m, m + chroma, m) × 255 = (165.2, 232.6, 165.2) → rgb(165, 233, 165); red swaps the channels
    first = rows.nth(0).locator("td").nth(1)
    assert first.inner_text() == "2 / 2"
    assert first.evaluate("c => getComputedStyle(c).backgroundColor") == "rgb(165, 233, 165)"
    assert rows.nth(1).locator("td").nth(1).evaluate("c => getComputedStyle(c).backgroundColor") == \
        "rgb(233, 165, 165)"
    page.screenshot(path=str(screenshots / "class-matrix.png"), full_page=True)

    page.locator("a", has_text="s01").click()
    page.locator("h1", has_text="s01").wait_for()
    reason = page.locator(".reason").first.inner_text()
    assert "The pass rate, 83%, is below the 86% bar.\n<b>Hold</b>." == reason
    assert dialogs == []
