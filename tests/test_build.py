"""The batch build: notebooks run by papermill per case, atomic outputs, safe folders, failures reported.

The slow tests run one case through one or two notebooks; the rest need no kernel at all (an empty notebook
folder still makes briefs and an index).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import aipm_kit.brief
from aipm_kit.brief import short_label
from aipm_kit.build import BUILD_MARK, CASE_RECORD, BuildReport, Failure, build, case_folder, question_notebooks
from aipm_kit.bundled import notebooks_dir
from aipm_kit.case import CaseError, load_case
from aipm_kit.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
CASE = FIXTURES / "cases" / "unvalidated.yaml"
MARKS = {BUILD_MARK, f"unvalidated/{CASE_RECORD}"}  # a build folder's mark, and the case folder's record


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# ---- fast: no kernel -------------------------------------------------------------------------------------

def test_question_notebooks_are_the_numbered_ones_in_question_order(tmp_path):
    for name in ("00_start_here.ipynb", "03_data.ipynb", "01_problem.ipynb", "app.ipynb", "01_problem.html"):
        (tmp_path / name).write_text("{}")
    found = [(q.key, path.name) for q, path in question_notebooks(tmp_path)]
    assert found == [("problem", "01_problem.ipynb"), ("data", "03_data.ipynb")]


def test_without_notebooks_a_build_still_writes_briefs_and_the_index(tmp_path):
    out = tmp_path / "out"
    report = build([CASE], out, notebooks_dir=tmp_path / "none")
    assert report.exit_code == 0 and report.notebooks_run == 0
    assert _files(out) == {"build.log", "index.html", "unvalidated/brief.html", "unvalidated/brief.md"} | MARKS
    assert report.briefs == {"unvalidated": out / "unvalidated" / "brief.html"}


def test_no_case_name_or_path_can_write_outside_the_output_folder(tmp_path):
    # A file named "...yaml" has the stem "..", and the case calls itself "../../escaped".
    cases = tmp_path / "cases"
    cases.mkdir()
    sneaky = cases / "...yaml"
    sneaky.write_text(CASE.read_text().replace("name: Unvalidated expense-report problem", "name: ../../escaped"))
    nested = cases / "sub" / ".." / "unvalidated.yaml"
    shutil.copy(CASE, cases / "unvalidated.yaml")
    (cases / "sub").mkdir()
    before = _files(tmp_path)
    out = tmp_path / "out"
    report = build([sneaky, nested], out, notebooks_dir=tmp_path / "none")
    assert report.exit_code == 0
    assert _files(tmp_path) - before == {f"out/{name}" for name in _files(out)}  # nothing written elsewhere
    assert sorted(report.briefs) == ["case", "unvalidated"]  # slugify("..") is "case"
    assert "../../escaped" in (out / "case" / "brief.md").read_text()  # the name is shown, not used as a path


def test_two_cases_with_the_same_slug_get_their_own_folders(tmp_path):
    case = load_case(CASE)
    taken: set[str] = set()
    assert [case_folder(tmp_path, case, taken).name for _ in range(3)] == ["unvalidated", "unvalidated-2",
                                                                            "unvalidated-3"]


def test_a_case_that_does_not_validate_stops_the_build_before_anything_runs(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(CASE.read_text().replace("interviews: 10", "interviews: ten"))
    with pytest.raises(CaseError, match=r"bad\.yaml: problem\.interviews: .*found 'ten'"):
        build([bad], tmp_path / "out", notebooks_dir=tmp_path / "none")
    assert not (tmp_path / "out").exists()


def test_the_summary_names_each_failure_and_where_the_briefs_are(tmp_path):
    report = BuildReport(out=tmp_path, briefs={"a": tmp_path / "a" / "brief.html"}, index=tmp_path / "index.html",
                         notebooks_run=2, written=[tmp_path / "a" / "01_problem.ipynb"],
                         failures=[Failure("a", "02_need_ai", "ZeroDivisionError: division by zero", 3, "x = 1 / 0")])
    text = report.summary()
    assert report.exit_code == 1
    assert text.startswith(f"Built 1 case in 0.0 s: 2 notebook runs, 1 failed.\nWrote 1 file under {tmp_path}: ")
    assert f"  {tmp_path / 'a' / 'brief.html'}" in text
    assert "a / 02_need_ai, cell 3 ('x = 1 / 0'): ZeroDivisionError: division by zero" in text


# ---- outputs never overwrite inputs ----------------------------------------------------------------------------

def _second_case(tmp_path: Path, summary: str) -> Path:
    """A copy of the fixture under another name (its own output folder), with ``summary`` to tell builds apart."""
    path = tmp_path / "cases" / "second.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(CASE.read_text().replace("summary: Finance wants", f"summary: {summary}. Finance wants"))
    return path


def test_build_refuses_a_workspace_and_its_notebooks_stay_as_they_were(tmp_path, capsys):
    workspace = tmp_path / "mine"
    assert main(["init", str(workspace)]) == 0
    before = _snapshot(workspace)
    assert any(name.endswith(".ipynb") for name in before) and "mine.yaml" in before
    status = main(["build", str(CASE), "--out", str(workspace)])
    err = capsys.readouterr().err
    assert status == 2
    assert f"aipm-kit: {workspace.resolve()}: is not a build folder" in err and "'00_start_here.ipynb'" in err
    assert "choose another --out" in err and "Traceback" not in err
    assert _snapshot(workspace) == before


def test_build_refuses_a_folder_it_did_not_make_and_takes_a_new_or_empty_one(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "todo.txt").write_text("mine")
    with pytest.raises(CaseError, match="is not a build folder .* it holds 'todo.txt'"):
        build([CASE], notes, notebooks_dir=tmp_path / "none")
    assert _files(notes) == {"todo.txt"}
    with pytest.raises(CaseError, match="exists and is not a folder"):
        build([CASE], notes / "todo.txt", notebooks_dir=tmp_path / "none")
    (tmp_path / "empty").mkdir()
    assert build([CASE], tmp_path / "empty", notebooks_dir=tmp_path / "none").exit_code == 0  # the mirror
    assert (tmp_path / "empty" / BUILD_MARK).is_file()


def test_a_case_folder_holding_a_file_no_build_wrote_is_not_replaced(tmp_path):
    out = tmp_path / "out"
    build([CASE], out, notebooks_dir=tmp_path / "none")
    (out / "unvalidated" / "my-notes.yaml").write_text("name: mine\n")  # the user's own file
    before = _snapshot(out)
    with pytest.raises(CaseError, match="the case folder 'unvalidated' holds 'my-notes.yaml', which no build wrote"):
        build([CASE], out, notebooks_dir=tmp_path / "none")
    assert _snapshot(out) == before
    (out / "unvalidated" / "my-notes.yaml").unlink()
    assert build([CASE], out, notebooks_dir=tmp_path / "none").exit_code == 0  # the mirror: only its own files


def test_building_one_case_keeps_the_others_and_the_index_lists_every_case_present(tmp_path):
    out = tmp_path / "out"
    second = _second_case(tmp_path, "First build")
    build([CASE, second], out, notebooks_dir=tmp_path / "none")
    kept = (out / "unvalidated" / "brief.md").stat().st_mtime_ns
    build([_second_case(tmp_path, "Second build")], out, notebooks_dir=tmp_path / "none")
    assert (out / "unvalidated" / "brief.md").stat().st_mtime_ns == kept  # not rewritten
    assert "Second build" in (out / "second" / "brief.md").read_text()
    index = (out / "index.html").read_text()
    assert 'href="unvalidated/brief.html"' in index and 'href="second/brief.html"' in index
    assert index.index('href="second/') < index.index('href="unvalidated/')  # sorted by folder name
    assert "Second build" in index and "First build" not in index


def test_an_injected_failure_mid_build_leaves_the_previous_complete_outputs(tmp_path, monkeypatch):
    out = tmp_path / "out"
    second = _second_case(tmp_path, "First build")
    build([CASE, second], out, notebooks_dir=tmp_path / "none")
    before = _snapshot(out)
    _second_case(tmp_path, "Second build")
    real = aipm_kit.brief.brief_markdown

    def fails_on_the_second_case(case, *args, **kwargs):
        if case.path.name == "second.yaml":
            raise RuntimeError("injected: the disk filled up")
        return real(case, *args, **kwargs)

    monkeypatch.setattr(aipm_kit.brief, "brief_markdown", fails_on_the_second_case)
    with pytest.raises(RuntimeError, match="injected"):
        build([CASE, second], out, notebooks_dir=tmp_path / "none")
    after = _snapshot(out)
    # The first case was rebuilt whole (same answers, same bytes); the second kept its previous build; the log
    # is this build's; no staging folder is left.
    assert {k: v for k, v in after.items() if k != "build.log"} == {k: v for k, v in before.items()
                                                                     if k != "build.log"}
    assert "First build" in (out / "second" / "brief.md").read_text()
    assert sorted(p.name for p in out.iterdir()) == [BUILD_MARK, "build.log", "index.html", "second", "unvalidated"]


def test_a_killed_build_leaves_each_case_complete_and_the_next_build_tidies_up(tmp_path):
    out = tmp_path / "out"
    second = _second_case(tmp_path, "First build")
    build([CASE, second], out, notebooks_dir=tmp_path / "none")
    before = _snapshot(out)
    _second_case(tmp_path, "Second build")
    # A real SIGKILL, in a child process, while the second case's brief is being written.
    script = textwrap.dedent(f"""
        import os, signal
        import aipm_kit.brief
        from aipm_kit.build import build
        real = aipm_kit.brief.brief_markdown
        def killed(case, *args, **kwargs):
            if case.path.name == "second.yaml":
                os.kill(os.getpid(), signal.SIGKILL)
            return real(case, *args, **kwargs)
        aipm_kit.brief.brief_markdown = killed
        build([{str(CASE)!r}, {str(second)!r}], {str(out)!r}, notebooks_dir={str(tmp_path / "none")!r})
    """)
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                           env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert child.returncode == -signal.SIGKILL, child.stderr
    staged = [p.name for p in out.iterdir() if p.name.startswith(".aipm-kit-staging-")]
    assert len(staged) == 1 and staged[0].endswith("-second")  # the half-built case, beside the previous one
    after = _snapshot(out)
    for name in ("second/brief.md", "second/brief.html", f"second/{CASE_RECORD}", "index.html"):
        assert after[name] == before[name], name
    assert {k for k in after if k.startswith("second/")} == {k for k in before if k.startswith("second/")}
    assert build([second], out, notebooks_dir=tmp_path / "none").exit_code == 0
    assert not [p for p in out.iterdir() if p.name.startswith((".aipm-kit-staging-", ".aipm-kit-old-"))]
    assert "Second build" in (out / "second" / "brief.md").read_text()


def test_a_case_caught_between_its_two_renames_comes_back(tmp_path):
    out = tmp_path / "out"
    build([CASE], out, notebooks_dir=tmp_path / "none")
    before = _snapshot(out / "unvalidated")
    (out / "unvalidated").rename(out / ".aipm-kit-old-0123abcd-unvalidated")  # killed after the first rename
    build([_second_case(tmp_path, "Other")], out, notebooks_dir=tmp_path / "none")
    assert _snapshot(out / "unvalidated") == before
    assert 'href="unvalidated/brief.html"' in (out / "index.html").read_text()


def test_a_second_build_into_the_same_folder_at_the_same_time_is_refused(tmp_path):
    fcntl = pytest.importorskip("fcntl")
    out = tmp_path / "out"
    build([CASE], out, notebooks_dir=tmp_path / "none")
    before = _snapshot(out)
    with open(out / BUILD_MARK, "rb") as held:  # what a running build holds
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(CaseError, match="another build is writing to this folder"):
            build([CASE], out, notebooks_dir=tmp_path / "none")
    assert _snapshot(out) == before
    assert build([CASE], out, notebooks_dir=tmp_path / "none").exit_code == 0  # once it ends, the next one runs


def test_brief_refuses_to_write_over_its_case_file_or_any_file_it_did_not_write(tmp_path, capsys):
    case = tmp_path / "mine.yaml"
    shutil.copy(CASE, case)
    original = case.read_bytes()
    assert main(["brief", str(case), "--out", str(case)]) == 2
    assert "mine.yaml: is a case file's name" in capsys.readouterr().err
    assert case.read_bytes() == original
    renamed = tmp_path / "mine.case"  # a case file by content, whatever its name
    shutil.copy(CASE, renamed)
    notes = tmp_path / "notes.md"
    notes.write_text("# My notes\n")
    for target in (renamed, notes, tmp_path / "other.yml"):
        before = target.read_bytes() if target.exists() else None
        assert main(["brief", str(case), "--out", str(target)]) == 2
        assert "nothing was written" in capsys.readouterr().err
        assert (target.read_bytes() if target.exists() else None) == before
    # the mirror: a new file, then the brief it wrote, are written
    for name in ("brief.html", "brief.md"):
        assert main(["brief", str(case), "--out", str(tmp_path / name)]) == 0
        assert main(["brief", str(case), "--out", str(tmp_path / name)]) == 0
    assert main(["brief", str(case), "--out", str(tmp_path / "brief.md")]) == 0
    assert (tmp_path / "brief.md").read_text().startswith("# Unvalidated expense-report problem")


def test_index_column_labels_are_short():
    from aipm_kit.questions import QUESTIONS

    assert [short_label(q) for q in QUESTIONS] == ["Problem", "Need AI?", "Data", "Approach", "Experience",
                                                   "Evaluation", "Monitoring"]


# ---- slow: papermill runs a kernel -------------------------------------------------------------------------

@pytest.mark.slow
def test_build_runs_the_real_question_1_notebook_into_every_output(tmp_path, capfd):
    # Only question 1's notebook, copied, so the test does not grow with the kit.
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    shutil.copy(notebooks_dir() / "01_problem.ipynb", notebooks)
    out = tmp_path / "out"
    report = build(["support-triage"], out, jobs=1, notebooks_dir=notebooks, progress=False)

    assert report.exit_code == 0, report.summary()
    assert _files(out) == {"build.log", "index.html", "support-triage/01_problem.ipynb",
                           "support-triage/01_problem.html", "support-triage/brief.html", "support-triage/brief.md",
                           BUILD_MARK, f"support-triage/{CASE_RECORD}"}
    nb = json.loads((out / "support-triage" / "01_problem.ipynb").read_text())
    injected = next(c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", []))
    # a bundled case is named as a user names it, never by a machine's absolute path
    assert "".join(injected["source"]).splitlines()[1:] == ['case = "support-triage"', "interactive = False"]
    assert not any(o.get("output_type") == "error" for c in nb["cells"] for o in c.get("outputs", []))

    page = (out / "support-triage" / "01_problem.html").read_text()
    assert "Annual cost of the problem" in page
    assert 'href="02_need_ai.html"' in page and "02_need_ai.ipynb" not in page  # "Next" opens the next page
    assert "application/vnd.jupyter.widget-view+json" not in page  # a static answers table, not a widget
    # 40 agents × 450 tickets a month × $2.60 = $46,800 a month, $561,600 a year
    brief = (out / "support-triage" / "brief.html").read_text()
    assert "$561.6k" in brief and 'href="01_problem.html"' in brief
    assert "Annual cost of the problem: **\\$561.6k**" in (out / "support-triage" / "brief.md").read_text()
    assert 'href="support-triage/01_problem.html"' in (out / "index.html").read_text()

    captured = capfd.readouterr()  # the kernel's warnings went to the log, not the terminal
    assert "Kernel is running" not in captured.err + captured.out
    assert "== support-triage.yaml :: 01_problem.ipynb: ok" in (out / "build.log").read_text()


@pytest.mark.slow
def test_a_failing_notebook_is_reported_and_the_other_outputs_are_complete(tmp_path):
    out = tmp_path / "out"
    report = build([CASE], out, jobs=2, notebooks_dir=FIXTURES / "notebooks_failing", progress=False)

    assert report.exit_code == 1
    # The fixture's cells: 0 Markdown, 1 parameters, 2 `import aipm_kit`, 3 `ratio = 1 / 0 ...`
    assert report.failures == [Failure("unvalidated", "02_need_ai", "ZeroDivisionError: division by zero", 3,
                                       "ratio = 1 / 0  # a deliberate failure")]
    assert _files(out) == {"build.log", "index.html", "unvalidated/01_problem.ipynb", "unvalidated/01_problem.html",
                           "unvalidated/02_need_ai.ipynb", "unvalidated/02_need_ai.html", "unvalidated/brief.html",
                           "unvalidated/brief.md"} | MARKS
    # the good notebook ran through; the failed one is kept with papermill's error banner, for its reader
    good = (out / "unvalidated" / "01_problem.ipynb").read_text()
    assert "[STOP] What problem should we solve" in good
    assert "An Exception was encountered" in (out / "unvalidated" / "02_need_ai.html").read_text()
    assert "The notebook failed in this build" in (out / "unvalidated" / "brief.html").read_text()
    assert "ZeroDivisionError" in report.summary()


def test_a_users_case_is_named_relative_to_the_kernels_folder(tmp_path):
    from aipm_kit.build import case_parameter

    notebooks, case = tmp_path / "kit" / "notebooks", tmp_path / "projects" / "my-product.yaml"
    notebooks.mkdir(parents=True)
    case.parent.mkdir()
    case.write_text("name: Mine\n")
    assert case_parameter(case, notebooks) == "../../projects/my-product.yaml"
    assert case_parameter(load_case("travel-rebooking").path, notebooks) == "travel-rebooking"



@pytest.mark.slow
def test_a_case_other_than_the_worked_example_is_built_without_the_examples_prose(tmp_path):
    # question 2's notebook holds a cell tagged worked-example about support triage's keyword rule (64%)
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    shutil.copy(notebooks_dir() / "02_need_ai.ipynb", notebooks)
    out = tmp_path / "out"
    report = build(["support-triage", "invoice-reminders"], out, jobs=1, notebooks_dir=notebooks, progress=False)
    assert report.exit_code == 0, report.summary()
    example = "In the worked example (support ticket triage)"
    assert example in (out / "support-triage" / "02_need_ai.html").read_text()
    invoices = (out / "invoice-reminders" / "02_need_ai.html").read_text()
    assert example not in invoices and "keyword rule" not in invoices
    assert "How to read it" in invoices  # the teaching text stays
