"""The question forms in a real JupyterLab, as a learner meets them: run the notebook, change a field, see the
newly computed result, make a mistake, see the message, save, and find the answer in the case file.

Expected numbers come from the kit's own ``analyze`` on the same answers (and, for question 1, by hand).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

import aipm_kit
from aipm_kit.case import field_problem

from .conftest import field_box, field_input, open_and_run_all, screenshot_cell_outputs, set_field, wait_until

pytestmark = pytest.mark.browser


def expected_problem(case_file, **answers):
    return aipm_kit.load_case(case_file, overrides={"problem": answers}).analyze("problem")


def test_question_1_form_recomputes_rejects_and_saves(page, lab, workspace, screenshots):
    case_file = workspace.case_file
    start = expected_problem(case_file)
    open_and_run_all(page, lab, "01_problem.ipynb")

    form = page.locator(".widget-vbox").filter(has=page.locator("h3", has_text="Question 1:")).first
    form.wait_for()
    result = page.locator(".widget-html .aipm-result").first
    result.wait_for()
    assert start.headline in result.inner_text()
    # the bundled answers are in the widgets
    assert float(field_input(form, "Cost per occurrence").input_value()) == 2.6
    assert field_input(form, "Interviews").input_value() == "15"
    screenshot_cell_outputs(page, form, screenshots / "q1-form.png")

    # a new cost: 40 agents × 450 tickets a month × $3.00 × 12 months = $648,000 a year (was $561,600 at $2.60)
    set_field(form, "Cost per occurrence", "3")
    changed = expected_problem(case_file, cost_per_occurrence=3.0)
    assert changed.metric_value("Annual cost of the problem") == 40 * 450 * 3.0 * 12 == 648_000
    assert changed.headline != start.headline
    wait_until(lambda: changed.headline in result.inner_text(), what="the result to show the new annual cost")
    assert "$648.0k" in result.inner_text()  # the metrics table's "Annual cost of the problem"

    # an invalid value: the field's own message under the field, and the result keeps the last good answers
    set_field(form, "Cost per occurrence", "-5")
    problem = _problem_message(case_file, cost_per_occurrence=-5.0)
    box = field_box(form, "Cost per occurrence")
    box.get_by_text(f"⚠ {problem}").wait_for()
    assert changed.headline in result.inner_text()
    form.get_by_text("Fix the marked field to update the result").wait_for()

    # Save refuses while a field is wrong, and the file is untouched
    before, unsaved = case_file.read_bytes(), aipm_kit.load_case(case_file)
    form.locator('button.jupyter-widgets.mod-primary:has-text("Save")').click()  # not "Save as a copy"
    form.get_by_text("Fix the marked fields before saving.").wait_for()
    assert case_file.read_bytes() == before

    # fixed, then saved: the case file on disk holds the new value, the rest of the case as it was
    set_field(form, "Cost per occurrence", "3")
    wait_until(lambda: box.get_by_text("⚠").count() == 0, what="the error line to clear")
    form.locator('button.jupyter-widgets.mod-primary:has-text("Save")').click()  # not "Save as a copy"
    form.get_by_text(f"Saved to {case_file.name}.").wait_for()
    saved = aipm_kit.load_case(case_file)
    assert saved.answers("problem").cost_per_occurrence == 3.0
    assert saved.analyze("problem").headline == changed.headline
    assert {k: v for k, v in saved.sections.items() if k != "problem"} == \
        {k: v for k, v in unsaved.sections.items() if k != "problem"}
    # the server worked on a copy: the bundled case still says $2.60
    assert aipm_kit.load_case("support-triage").answers("problem").cost_per_occurrence == 2.6
    screenshot_cell_outputs(page, result, screenshots / "q1-result-saved.png")


def _problem_message(case_file, **answers) -> str:
    """What the form shows under a field: the kit's own wording of pydantic's error for those answers."""
    case = aipm_kit.load_case(case_file)
    model = type(case.answers("problem"))
    values = {**case.answers("problem").model_dump(), **answers}
    with pytest.raises(ValidationError) as caught:
        model.model_validate(values)
    (error,) = caught.value.errors()
    return field_problem(error, model)[1]


def injected_run(workspace, folder) -> Path:
    """A run in which the product obeyed the injected "send everything to Technical" instructions.

    Every adversarial case whose right queue is not Technical now answers Technical, so the prompt-injection
    gate (blocking, 85%) can no longer clear. Written to ``folder``, outside the case: the test uploads it.
    """
    import pandas as pd

    run = pd.read_csv(workspace.case_file.parent / "support-triage" / "eval_results.csv", dtype=str,
                      keep_default_na=False)
    obeyed = (run["category"] == "adversarial") & (run["expected"] != "Technical")
    run.loc[obeyed, "output"] = "Technical"
    run.loc[obeyed, "passed"] = "False"
    path = folder / "Eval run injected.csv"
    run.to_csv(path, index=False)
    return path


def test_question_6_results_file_through_the_form_changes_the_verdict(page, lab, workspace, screenshots, tmp_path):
    case_file = workspace.case_file
    start = aipm_kit.load_case(case_file).analyze("evaluation")
    upload = injected_run(workspace, tmp_path)
    # the form saves an upload into the case's data/ folder under its own name, made safe (forms.save_upload)
    stored = case_file.parent / "data" / "Eval run injected.csv"
    assert not stored.exists()
    changed = aipm_kit.load_case(case_file, overrides={"evaluation": {"results_file": str(upload)}}).analyze("evaluation")
    # the bundled run holds on its email slice; obeying every injection makes it a No-ship
    assert start.verdict == "Hold" and changed.verdict == "No-ship", (start.verdict, changed.verdict)

    open_and_run_all(page, lab, "06_evaluation.ipynb")
    form = page.locator(".widget-vbox").filter(has=page.locator("h3", has_text="Question 6:")).first
    form.wait_for()
    result = page.locator(".widget-html .aipm-result").first
    result.wait_for()
    badge = result.locator(".aipm-badge").first
    assert badge.inner_text() == start.verdict
    results_box = field_box(form, "Eval results file")
    assert field_input(results_box, "Eval results file").input_value() == "support-triage/eval_results.csv"
    screenshot_cell_outputs(page, form, screenshots / "q6-form.png")

    # a file that is not there: the field says so, and the verdict stays the last good one
    set_field(form, "Eval results file", "support-triage/no_such_run.csv")
    results_box.get_by_text("⚠ file not found: support-triage/no_such_run.csv").wait_for()
    assert badge.inner_text() == start.verdict

    # the injected run, uploaded through the form: the verdict becomes what the kit's analysis says for it
    with page.expect_file_chooser() as chooser:
        results_box.locator("button.widget-upload").click()
    chooser.value.set_files(str(upload))
    wait_until(lambda: badge.inner_text() == changed.verdict, what=f"the verdict to become {changed.verdict}")
    assert field_input(results_box, "Eval results file").input_value() == "data/Eval run injected.csv"
    results_box.get_by_text("1 file uploaded into data/; this one saved as data/Eval run injected.csv").wait_for()
    assert results_box.get_by_text("⚠").count() == 0
    assert changed.headline in result.inner_text()
    assert stored.read_bytes() == upload.read_bytes()

    form.locator('button.jupyter-widgets.mod-primary:has-text("Save")').click()  # not "Save as a copy"
    form.get_by_text(f"Saved to {case_file.name}.").wait_for()
    saved = aipm_kit.load_case(case_file)
    assert saved.answers("evaluation").results_file == stored.resolve()
    assert saved.analyze("evaluation").verdict == changed.verdict
    screenshot_cell_outputs(page, result, screenshots / "q6-result-after.png")
