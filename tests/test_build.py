"""The batch build: notebooks run by papermill per case, atomic outputs, safe folders, failures reported.

The slow tests run one case through one or two notebooks; the rest need no kernel at all (an empty notebook
folder still makes briefs and an index).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from aipm_kit.brief import short_label
from aipm_kit.build import BuildReport, Failure, build, case_folder, question_notebooks
from aipm_kit.bundled import notebooks_dir
from aipm_kit.case import CaseError, load_case

FIXTURES = Path(__file__).parent / "fixtures"
CASE = FIXTURES / "cases" / "unvalidated.yaml"


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


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
    assert _files(out) == {"build.log", "index.html", "unvalidated/brief.html", "unvalidated/brief.md"}
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
                           "support-triage/01_problem.html", "support-triage/brief.html", "support-triage/brief.md"}
    nb = json.loads((out / "support-triage" / "01_problem.ipynb").read_text())
    injected = next(c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", []))
    case_path = load_case("support-triage").path
    assert "".join(injected["source"]).splitlines()[1:] == [f'case = "{case_path}"', "interactive = False"]
    assert not any(o.get("output_type") == "error" for c in nb["cells"] for o in c.get("outputs", []))

    page = (out / "support-triage" / "01_problem.html").read_text()
    assert "Annual cost of the problem" in page
    assert "application/vnd.jupyter.widget-view+json" not in page  # a static answers table, not a widget
    # 40 agents × 450 tickets a month × $2.60 = $46,800 a month, $561,600 a year
    brief = (out / "support-triage" / "brief.html").read_text()
    assert "$561.6k" in brief and 'href="01_problem.html"' in brief
    assert "Annual cost of the problem: **$561.6k**" in (out / "support-triage" / "brief.md").read_text()
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
                           "unvalidated/brief.md"}
    # the good notebook ran through; the failed one is kept with papermill's error banner, for its reader
    good = (out / "unvalidated" / "01_problem.ipynb").read_text()
    assert "[STOP] What problem should we solve" in good
    assert "An Exception was encountered" in (out / "unvalidated" / "02_need_ai.html").read_text()
    assert "The notebook failed in this build" in (out / "unvalidated" / "brief.html").read_text()
    assert "ZeroDivisionError" in report.summary()
