"""`aipm-kit init`: a workspace for your own product, and the Save-to-next-question workflow in it."""

from __future__ import annotations

import nbformat
import pytest

import aipm_kit
from aipm_kit.build import build
from aipm_kit.case import CaseError
from aipm_kit.cli import main
from aipm_kit.forms import Form
from aipm_kit.workspace import init_workspace, workspace_notebooks


def parameters_cells(notebook) -> list[dict]:
    """Each cell that sets parameters (tagged parameters or injected-parameters), with what it assigns."""
    found = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        tags = cell.metadata.get("tags", [])
        if "parameters" in tags or "injected-parameters" in tags:
            namespace: dict = {}
            exec(cell.source, namespace)  # parameters cells are plain assignments
            found.append({k: v for k, v in namespace.items() if not k.startswith("__")})
    return found


def test_a_fresh_workspace_has_the_notebooks_pointing_at_its_own_blank_case(tmp_path):
    ws = init_workspace(tmp_path / "clinic-scheduling")
    assert ws.case_file == tmp_path / "clinic-scheduling" / "clinic-scheduling.yaml"
    assert [p.name for p in ws.notebooks] == [p.name for p in workspace_notebooks()]
    assert ws.notebooks[0].name == "00_start_here.ipynb" and len(ws.notebooks) == 8
    for notebook in ws.notebooks:
        # one parameters cell, and it names the workspace's case (no second, injected cell that disagrees)
        assert [cell["case"] for cell in parameters_cells(notebook)] == ["clinic-scheduling.yaml"]
        cells = nbformat.read(notebook, as_version=4).cells
        assert not any("worked-example" in c.metadata.get("tags", []) for c in cells)
        assert all(c.outputs == [] for c in cells if c.cell_type == "code")  # no worked-example outputs
    case = aipm_kit.load_case(ws.case_file)
    assert case.name == "Clinic scheduling"
    assert not any(case.is_answered(q.key) for q in aipm_kit.QUESTIONS)
    assert (tmp_path / "clinic-scheduling" / "data").is_dir()


def test_a_workspace_from_a_bundled_case_copies_its_data_and_reaches_the_same_verdicts(tmp_path):
    ws = init_workspace(tmp_path / "mine", from_case="support-triage")
    copy, original = aipm_kit.load_case(ws.case_file), aipm_kit.load_case("support-triage")
    text = ws.case_file.read_text(encoding="utf-8")
    assert "support-triage/" not in text and "data/eval_results.csv" in text
    for q in aipm_kit.QUESTIONS:
        assert copy.analyze(q.key).to_dict()["metrics"] == original.analyze(q.key).to_dict()["metrics"], q.key
        assert copy.analyze(q.key).verdict == original.analyze(q.key).verdict


def test_init_refuses_an_existing_workspace_and_force_keeps_the_learners_answers(tmp_path, capsys):
    folder = tmp_path / "mine"
    assert main(["init", str(folder)]) == 0
    assert f"jupyter lab {folder / '00_start_here.ipynb'}" in capsys.readouterr().out
    case_file = folder / "mine.yaml"
    case_file.write_text(case_file.read_text(encoding="utf-8").replace("  interviews: 0", "  interviews: 7"),
                         encoding="utf-8")
    assert main(["init", str(folder)]) == 2
    assert "already exists and is not empty" in capsys.readouterr().err
    with pytest.raises(CaseError):
        init_workspace(folder, from_case="support-triage")
    init_workspace(folder, force=True)
    assert aipm_kit.load_case(case_file).answers("problem").interviews == 7


def test_a_bad_from_case_writes_nothing(tmp_path, capsys):
    assert main(["init", str(tmp_path / "x"), "--from", "no-such-case"]) == 2
    assert "no-such-case" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_save_in_question_4_is_where_question_5_starts(tmp_path, monkeypatch):
    monkeypatch.delenv("AIPM_KIT_HEADLESS", raising=False)
    ws = init_workspace(tmp_path / "mine")
    approach = Form(aipm_kit.load_case(ws.case_file), "approach")
    # the answers question 4's verdict needs (its NEEDED_FOR_VERDICT), then the choice
    approach.editors["task"].widget.value = "Answer staff questions from the policy pages"
    approach.editors["requests_per_month"].widget.value = 2400
    approach.editors["chosen"].widget.value = "rag"
    assert approach.save() == ws.case_file.resolve()
    expected = [m["name"] for m in aipm_kit.load_case(ws.case_file).analyze("approach").data["failure_modes"]]
    assert expected  # RAG's catalogue: retrieval miss, stale document, …
    experience = Form(aipm_kit.load_case(ws.case_file), "experience")
    assert [m.name for m in experience.answers.failure_modes][:len(expected)] == expected


def test_a_learners_notes_in_the_workspace_case_survive_saves_from_two_notebooks(tmp_path, monkeypatch):
    import os
    import stat

    monkeypatch.delenv("AIPM_KIT_HEADLESS", raising=False)
    old = os.umask(0o022)
    try:
        ws = init_workspace(tmp_path / "mine")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(ws.case_file).st_mode) == 0o644  # 0o666 less the umask, not 0600
    text = ws.case_file.read_text(encoding="utf-8")
    ws.case_file.write_text(text.replace("problem:\n", "problem:  # ask Dana about the Q3 numbers\n", 1),
                            encoding="utf-8")
    # two notebooks open on the same file, each saves its own question
    problem = Form(aipm_kit.load_case(ws.case_file), "problem")
    approach = Form(aipm_kit.load_case(ws.case_file), "approach")
    problem.editors["interviews"].widget.value = 7
    assert problem.save() == ws.case_file.resolve()
    approach.editors["chosen"].widget.value = "rag"
    assert approach.save() == ws.case_file.resolve()  # another question saved meanwhile: kept, not refused
    saved = aipm_kit.load_case(ws.case_file)
    assert saved.answers("problem").interviews == 7 and saved.answers("approach").chosen == "rag"
    assert "problem:  # ask Dana about the Q3 numbers\n" in ws.case_file.read_text(encoding="utf-8")


@pytest.mark.slow
def test_the_workspace_notebooks_run_headless_on_a_fresh_template_and_on_a_copy(tmp_path):
    fresh = init_workspace(tmp_path / "fresh")
    copied = init_workspace(tmp_path / "copied", from_case="support-triage")
    report = build([fresh.case_file, copied.case_file], tmp_path / "out", jobs=2, notebooks_dir=fresh.folder)
    assert report.failures == [], report.summary()
    assert (tmp_path / "out" / "fresh" / "07_monitoring.html").is_file()
    assert (tmp_path / "out" / "copied" / "brief.md").is_file()


def test_a_workspace_notebook_keeps_the_help_comment_and_leaves_out_the_worked_example_prose(tmp_path):
    from aipm_kit.workspace import _prepare_notebook

    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Question 9 — the lesson"),
        nbformat.v4.new_code_cell('case = "support-triage"  # a bundled case name, or the path to your own case\n'
                                  "answers = {}  # overrides", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_markdown_cell("In the support case the keyword rule (64%) falls below the line.",
                                      metadata={"tags": ["worked-example"]}),
        nbformat.v4.new_markdown_cell("**What would change the decision?**"),
    ])
    source = tmp_path / "09_lesson.ipynb"
    nbformat.write(notebook, source)
    prepared = nbformat.read(_prepare_notebook(source, tmp_path / "out.ipynb", "clinic.yaml"), as_version=4)
    assert [c.source for c in prepared.cells] == [
        "# Question 9 — the lesson",
        'case = "clinic.yaml"  # a bundled case name, or the path to your own case\nanswers = {}  # overrides',
        "**What would change the decision?**",
    ]
