"""The generated form: widgets from the model, live results, messages under fields, Save, headless table."""

from __future__ import annotations

import html
import shutil

import ipywidgets as w
import pytest

import aipm_kit
from aipm_kit.bundled import cases_dir
from aipm_kit.forms import Form


@pytest.fixture
def case_file(tmp_path):
    # the whole folder: the case's data files travel with it
    shutil.copytree(cases_dir(), tmp_path / "cases")
    return tmp_path / "cases" / "support-triage.yaml"


@pytest.fixture
def form(case_file, monkeypatch):
    monkeypatch.delenv("AIPM_KIT_HEADLESS", raising=False)  # the suite runs headless; this test wants widgets
    return aipm_kit.form(aipm_kit.load_case(case_file), "problem")


def test_each_field_type_gets_its_widget_and_its_description(form):
    editors = form.editors
    assert isinstance(editors["statement"].widget, w.Textarea)
    assert isinstance(editors["user"].widget, w.Text)
    assert isinstance(editors["interviews"].widget, w.IntText)
    assert isinstance(editors["validation_bar"].widget, w.FloatSlider)  # bounded 0–1
    assert isinstance(editors["cost_per_occurrence"].widget, w.FloatText)  # bounded below only
    row = editors["candidates"].rows.editors[0]
    assert isinstance(row["impact"].widget, w.Dropdown)  # a Literal
    assert [value for _, value in row["impact"].widget.options] == [0.25, 0.5, 1, 2, 3]
    assert "Users interviewed about this problem." in editors["interviews"].help.value


def test_changing_a_field_reruns_the_analysis_and_refreshes_the_result_area(form):
    assert "$561.6k" in form.result.value
    form.editors["cost_per_occurrence"].widget.value = 3.0
    # 40 × 450 × $3.00 × 12 = $648,000 a year
    assert form.last_result.metric_value("Annual cost of the problem") == pytest.approx(648_000)
    assert "$648.0k" in form.result.value


def test_an_invalid_value_shows_the_message_under_its_field_and_keeps_the_last_good_result(form):
    form.editors["cost_per_occurrence"].widget.value = 3.0
    shown = form.result.value
    form.editors["interviews"].widget.value = -2
    assert "greater than or equal to 0" in form.editors["interviews"].error.value
    assert form.result.value == shown
    assert form.answers.interviews == 15
    form.editors["interviews"].widget.value = 15
    assert form.editors["interviews"].error.value == ""


def test_a_rule_across_fields_is_shown_under_the_field_it_names_first(form):
    form.editors["described_from_behaviour"].widget.value = 40
    assert "cannot exceed interviews (15)" in form.editors["described_from_behaviour"].error.value
    assert form.editors["interviews"].error.value == ""


def test_rows_can_be_added_edited_and_removed(form):
    rows = form.editors["candidates"].rows
    rows.add()
    assert len(form.answers.candidates) == 5
    rows.editors[4]["name"].widget.value = "Refund requests"
    assert form.answers.candidates[4].name == "Refund requests"
    rows.editors[0]["effort"].widget.value = 0
    assert "candidates.0.effort: Input should be greater than 0" in form.editors["candidates"].error.value
    rows.editors[0]["effort"].widget.value = 4
    rows.remove(4)
    assert [c.name for c in form.answers.candidates][-1] == "Duplicate outage tickets"


def test_save_writes_this_section_and_keeps_what_another_notebook_saved(form, case_file):
    # another notebook saved its section into the same file after this form was opened
    other = aipm_kit.load_case(case_file)
    other.summary = "Changed elsewhere"
    other.save()
    form.editors["interviews"].widget.value = 20
    assert form.save() == case_file.resolve()
    on_disk = aipm_kit.load_case(case_file)
    assert on_disk.answers("problem").interviews == 20
    assert on_disk.summary == "Changed elsewhere"
    assert form.status_message == "Saved to support-triage.yaml."


def test_save_refuses_while_a_field_is_invalid_and_writes_nothing(form, case_file):
    before = case_file.read_bytes()
    form.editors["interviews"].widget.value = -1
    assert form.save() is None
    assert "Fix the marked fields" in form.status_message
    assert case_file.read_bytes() == before


def test_headless_the_form_is_a_static_answers_table_with_user_text_escaped(case_file, monkeypatch):
    monkeypatch.delenv("AIPM_KIT_HEADLESS", raising=False)
    case = aipm_kit.load_case(case_file, overrides={"problem": {"pain": "<script>x</script>"}})
    form = aipm_kit.form(case, "problem", interactive=False)
    page = form._repr_html_()
    assert "<table class='aipm-answers-table'>" in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script>" not in page
    assert "Users interviewed about this problem." in page
    assert form.result.verdict == "Go"  # the static Result, not a widget


def test_the_environment_switch_makes_an_interactive_form_static(case_file, monkeypatch):
    monkeypatch.setenv("AIPM_KIT_HEADLESS", "1")
    assert aipm_kit.form(aipm_kit.load_case(case_file), "problem", interactive=True).interactive is False


def test_a_missing_section_says_not_answered_headless_and_starts_blank_interactive(tmp_path, monkeypatch):
    path = tmp_path / "new.yaml"
    path.write_text("name: New product\n", encoding="utf-8")
    case = aipm_kit.load_case(path)
    static = Form(case, "problem", interactive=False)
    assert "no answers to question 1 yet" in static._repr_html_()
    assert static.result.verdict == "Not answered"
    monkeypatch.delenv("AIPM_KIT_HEADLESS", raising=False)
    live = Form(case, "problem")
    assert live.editors["interviews"].widget.value == 0
    assert live.last_result.verdict == "Not answered"  # a blank worksheet is never analysed as if answered
    live.editors["statement"].widget.value = "Nurses re-type orders."
    # half an answer: still "Not answered", saying what a verdict needs (question 1's NEEDED_FOR_VERDICT)
    assert live.last_result.verdict == "Not answered" and live.last_result.level is None
    assert live.last_result.headline == "Not answered yet: a verdict needs user and pain."
    live.editors["user"].widget.value = "ward nurses"
    live.editors["pain"].widget.value = "ten minutes per order"
    assert live.last_result.level == "stop"  # now it is an answer: no interviews yet
    assert live.save() == path.resolve()
    assert aipm_kit.load_case(path).answers("problem").statement == "Nurses re-type orders."


def test_a_data_file_field_is_a_path_box_relative_to_the_case_and_a_missing_file_is_explained(case_file,
                                                                                                monkeypatch):
    monkeypatch.delenv("AIPM_KIT_HEADLESS", raising=False)
    form = aipm_kit.form(aipm_kit.load_case(case_file), "need_ai")
    sample = form.editors["sample"]
    assert (sample.kind, type(sample.widget)) == ("path", w.Text)
    assert sample.widget.value == "support-triage/need_ai_sample.csv"  # as written in the case, not absolute
    sample.widget.value = "support-triage/nope.csv"
    assert "file not found: support-triage/nope.csv" in sample.error.value
    sample.widget.value = ""
    assert form.answers.sample is None and sample.error.value == ""


def uploaded(name: str, content: bytes) -> dict:
    """What the browser sends for one file (ipywidgets 8's FileUpload value item)."""
    import datetime as dt

    return {"name": name, "type": "text/csv", "size": len(content), "content": memoryview(content),
            "last_modified": dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)}


def test_an_uploaded_results_file_is_saved_into_data_and_a_missing_column_is_named_on_its_field(case_file,
                                                                                              monkeypatch):
    monkeypatch.delenv("AIPM_KIT_HEADLESS", raising=False)
    form = aipm_kit.form(aipm_kit.load_case(case_file), "evaluation")
    results = form.editors["results_file"]
    assert results.upload is not None
    bad = b"id,category,slice,input,expected,ouput,passed\n1,good,,a,b,b,true\n"
    results.upload.value = (uploaded("../../My run.csv", bad),)
    saved = case_file.parent / "data" / "My run.csv"
    assert saved.read_bytes() == bad  # its own name, without the folders, inside the case's data/ folder
    assert results.widget.value == "data/My run.csv"
    assert "My run.csv: missing column 'output'; did you mean 'ouput'?" in html.unescape(results.error.value)
    assert "1 file uploaded into data/" in results.upload_note.value
    good = bad.replace(b"ouput", b"output")
    results.upload.value = (uploaded("My run.csv", good),)
    # the earlier upload is kept: a different file with the same name gets a new one
    assert saved.read_bytes() == bad and (case_file.parent / "data" / "My run-2.csv").read_bytes() == good
    assert results.error.value == ""
    assert form.answers.results_file == (case_file.parent / "data" / "My run-2.csv").resolve()
    assert "2 files uploaded into data/; this one saved as data/My run-2.csv" in results.upload_note.value


@pytest.mark.parametrize(("name", "safe"), [
    ("Q3 run (final).csv", "Q3 run (final).csv"),      # words, case and brackets kept
    ("../../etc/passwd", "passwd"),                    # no folders
    ("C:\\Users\\me\\run.CSV", "run.csv"),             # a Windows path; the suffix lower-cased
    (".hidden.csv", "hidden.csv"),                     # no hidden files
    ("évaluation résultats.csv", "évaluation résultats.csv"),  # letters of any script
    ("run;rm -rf $HOME`x`.csv", "run-rm -rf -HOME-x.csv"),  # shell characters replaced
    ("....csv", "csv"),                                 # only dots before: what is left
    ("...", "upload"),                                  # nothing left: a plain name
])
def test_an_upload_keeps_its_name_made_safe(name, safe):
    from aipm_kit.forms import safe_file_name

    assert safe_file_name(name) == safe


def test_save_on_a_bundled_example_writes_the_learners_copy_and_leaves_the_example_as_shipped(tmp_path,
                                                                                                monkeypatch):
    monkeypatch.delenv("AIPM_KIT_HEADLESS", raising=False)
    monkeypatch.chdir(tmp_path)
    shipped = (cases_dir() / "support-triage.yaml").read_bytes()
    problem = aipm_kit.form("support-triage", "problem")
    problem.editors["interviews"].widget.value = 20
    copy = tmp_path / "support-triage-mine.yaml"
    assert problem.save() == copy
    assert 'set case = "support-triage-mine.yaml"' in problem.status_message
    # a second notebook, still on the bundled example, adds its section to the same copy
    data = aipm_kit.form("support-triage", "data")
    data.editors["min_kappa"].widget.value = 0.7
    assert data.save() == copy
    mine = aipm_kit.load_case(copy)
    assert (mine.answers("problem").interviews, mine.answers("data").min_kappa) == (20, 0.7)
    assert mine.answers("evaluation").results_file == (tmp_path / "data" / "eval_results.csv").resolve()
    assert (cases_dir() / "support-triage.yaml").read_bytes() == shipped


def test_two_tabs_on_one_question_the_second_save_is_refused_with_reload_and_keep_both(case_file, monkeypatch):
    monkeypatch.delenv("AIPM_KIT_HEADLESS", raising=False)
    tab_a = aipm_kit.form(aipm_kit.load_case(case_file), "problem")
    tab_b = aipm_kit.form(aipm_kit.load_case(case_file), "problem")
    tab_a.editors["interviews"].widget.value = 20
    assert tab_a.save() == case_file.resolve()
    saved_by_a = case_file.read_bytes()
    tab_b.editors["interviews"].widget.value = 30
    assert tab_b.save() is None  # it would silently replace tab A's 20
    assert case_file.read_bytes() == saved_by_a
    assert tab_b.status_message.startswith("Not saved: support-triage.yaml changed since this form loaded it")
    assert "Reload" in tab_b.status_message and "Save as a copy" in tab_b.status_message
    assert tab_b._reload.layout.display is None and tab_b._keep_both.layout.display is None  # both shown
    # keep both: tab B's answers go to a copy beside the file, which keeps tab A's
    copy = tab_b.save_copy()
    assert copy == case_file.resolve().with_name("support-triage-copy.yaml")
    assert aipm_kit.load_case(copy).answers("problem").interviews == 30
    assert aipm_kit.load_case(case_file).answers("problem").interviews == 20
    assert 'set case = "support-triage-copy.yaml"' in tab_b.status_message
    assert tab_b._reload.layout.display == "none"


def test_reload_after_a_refused_save_shows_the_saved_answers(case_file, monkeypatch):
    monkeypatch.delenv("AIPM_KIT_HEADLESS", raising=False)
    tab_a = aipm_kit.form(aipm_kit.load_case(case_file), "problem")
    tab_b = aipm_kit.form(aipm_kit.load_case(case_file), "problem")
    tab_a.editors["interviews"].widget.value = 20
    tab_a.save()
    tab_b.editors["interviews"].widget.value = 30
    assert tab_b.save() is None
    tab_b.reload()
    assert tab_b.editors["interviews"].widget.value == 20 and tab_b.answers.interviews == 20
    assert tab_b.status_message == "Reloaded support-triage.yaml: the form shows the answers saved there."
    tab_b.editors["committed"].widget.value = 4
    assert tab_b.save() == case_file.resolve()  # now from the saved version: it lands, and keeps tab A's 20
    on_disk = aipm_kit.load_case(case_file).answers("problem")
    assert (on_disk.interviews, on_disk.committed) == (20, 4)


def test_a_form_save_changes_only_its_own_lines_of_the_file(case_file, monkeypatch):
    monkeypatch.delenv("AIPM_KIT_HEADLESS", raising=False)
    before = case_file.read_text(encoding="utf-8")
    form = aipm_kit.form(aipm_kit.load_case(case_file), "problem")
    form.editors["interviews"].widget.value = 16
    form.save()
    # the bundled file's layout (folded prose, flow rows, order) stays: one line differs
    assert case_file.read_text(encoding="utf-8") == before.replace("  interviews: 15\n", "  interviews: 16\n")
    assert (case_file.parent / "support-triage.yaml.bak").read_text(encoding="utf-8") == before


def test_a_table_inside_a_table_row_is_edited_as_yaml(monkeypatch):
    # question 6's outputs are rows, each with its own list of gates: a table cannot sit in a table's cell (the
    # widget showed a JavaScript error there), so the inner list is a YAML box that reads back the same gates
    monkeypatch.delenv("AIPM_KIT_HEADLESS", raising=False)
    form = aipm_kit.form(aipm_kit.load_case("support-triage"), "evaluation")
    outputs = form.editors["outputs"].rows
    first = outputs._rows[0]
    assert first["gates"].kind == "yaml" and first["gates"].rows is None
    assert form.answers.outputs == aipm_kit.load_case("support-triage").answers("evaluation").outputs


def test_the_first_worksheet_names_the_product_and_saves_its_name_and_summary(case_file, monkeypatch):
    monkeypatch.delenv("AIPM_KIT_HEADLESS", raising=False)
    form = aipm_kit.form(aipm_kit.load_case(case_file), "problem")
    form.widget()
    fields = form._case_fields
    assert fields["name"].value == aipm_kit.load_case(case_file).name
    fields["name"].value = "Clinic scheduling"
    fields["summary"].value = "Book follow-up visits for a 12-doctor clinic."
    assert form.save() == case_file.resolve()
    saved = aipm_kit.load_case(case_file)
    assert (saved.name, saved.summary) == ("Clinic scheduling", "Book follow-up visits for a 12-doctor clinic.")
    # only question 1's form carries them: the others show the name in their header and save only their section
    other = aipm_kit.form(saved, "need_ai")
    other.widget()
    assert other._case_fields == {}


def test_the_first_worksheet_edits_the_stage_and_the_date_and_refuses_a_bad_date(case_file, monkeypatch):
    import datetime

    monkeypatch.delenv("AIPM_KIT_HEADLESS", raising=False)
    form = aipm_kit.form(aipm_kit.load_case(case_file), "problem")
    form.widget()
    fields = form._case_fields
    fields["stage"].value = "pilot"
    fields["as_of"].value = "31/12/2026"  # not a date the case file takes: nothing is written
    before = case_file.read_bytes()
    assert form.save() is None and "as_of" in form._status.value
    assert case_file.read_bytes() == before
    fields["as_of"].value = "2026-12-31"
    assert form.save() == case_file.resolve()
    saved = aipm_kit.load_case(case_file)
    assert (saved.stage, saved.as_of) == ("pilot", datetime.date(2026, 12, 31))
    # clearing the stage in the form removes it from the file
    again = aipm_kit.form(saved, "problem")
    again.widget()
    again._case_fields["stage"].value = ""
    assert again.save() == case_file.resolve()
    assert aipm_kit.load_case(case_file).stage is None
