"""``aipm-kit``: each command on good and bad input. Bad input is one message naming what to fix, exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import aipm_kit.build
from aipm_kit.case import load_case
from aipm_kit.cli import main
from aipm_kit.schema import SHIPPED

FIXTURES = Path(__file__).parent / "fixtures"
CASE = FIXTURES / "cases" / "unvalidated.yaml"


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return status, out, err


# ---- new -------------------------------------------------------------------------------------------------

def test_new_writes_a_commented_template_that_validates(tmp_path, capsys):
    path = tmp_path / "invoice-reminders.yaml"
    status, out, _ = _run(capsys, "new", "Invoice reminders", "--out", path)
    assert status == 0 and f"Wrote {path}" in out
    text = path.read_text()
    first, rest = text.split("\n", 1)
    # the first line names the shipped JSON Schema for editors; then the commented template
    assert first == f"# yaml-language-server: $schema={SHIPPED.as_uri()}"
    assert rest.startswith("# aipm-kit case file") and "name: Invoice reminders" in text
    assert "  # Users interviewed about this problem.\n  interviews: 0" in text  # each field with its description
    assert load_case(path).name == "Invoice reminders"


def test_new_without_out_names_the_file_after_the_product(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _run(capsys, "new", "Travel Rebooking!")[0] == 0
    assert (tmp_path / "travel-rebooking.yaml").is_file()


def test_new_refuses_to_overwrite(tmp_path, capsys):
    path = tmp_path / "mine.yaml"
    path.write_text("name: keep me\n")
    status, _, err = _run(capsys, "new", "Mine", "--out", path)
    assert status == 2
    assert err == f"aipm-kit: {path}: already exists; choose another --out, or delete it first (nothing was written)\n"
    assert path.read_text() == "name: keep me\n"


# ---- validate ----------------------------------------------------------------------------------------------

def test_validate_good_files_and_bundled_names(capsys):
    status, out, err = _run(capsys, "validate", CASE, "support-triage")
    assert status == 0 and err == ""
    assert f"OK  {CASE.resolve()}: Unvalidated expense-report problem (1 of 7 questions answered)" in out
    assert "Support ticket triage" in out


def test_validate_a_wrong_type_names_file_section_field_expected_and_found(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(CASE.read_text().replace("interviews: 10", "interviews: ten"))
    status, out, err = _run(capsys, "validate", bad)
    assert status == 2 and out == ""
    assert err == (f"aipm-kit: {bad}: problem.interviews: Input should be a valid integer, unable to parse string "
                   f"as an integer (found 'ten')\n")


def test_validate_an_unknown_field_suggests_the_name(tmp_path, capsys):
    typo = tmp_path / "typo.yaml"
    typo.write_text(CASE.read_text().replace("users_affected:", "users_afected:"))
    status, _, err = _run(capsys, "validate", typo)
    assert status == 2
    assert "problem.users_afected: unknown field 'users_afected'; did you mean 'users_affected'?" in err


def test_validate_an_unknown_section_suggests_the_name(tmp_path, capsys):
    typo = tmp_path / "typo.yaml"
    typo.write_text(CASE.read_text().replace("problem:", "probelm:"))
    status, _, err = _run(capsys, "validate", typo)
    assert status == 2 and "unknown section 'probelm'; did you mean 'problem'?" in err


def test_validate_reports_every_file_and_fails_if_any_is_bad(tmp_path, capsys):
    status, out, err = _run(capsys, "validate", CASE, tmp_path / "missing.yaml", "support-triag")
    assert status == 2
    assert out.startswith("OK  ")
    assert f"{tmp_path / 'missing.yaml'}: no such case file" in err
    assert "did you mean 'support-triage'?" in err


def test_usage_errors_exit_2(capsys):
    assert _run(capsys, "build", "--jobs", "0")[0] == 2
    assert _run(capsys, "frobnicate")[0] == 2
    assert _run(capsys)[0] == 2
    assert _run(capsys, "--help")[0] == 0


# ---- brief -------------------------------------------------------------------------------------------------

def test_brief_writes_html_or_markdown_without_running_notebooks(tmp_path, capsys):
    status, out, _ = _run(capsys, "brief", CASE, "--out", tmp_path / "b.html")
    assert status == 0 and out == f"Wrote {tmp_path / 'b.html'}\n"
    assert "<strong>Not ready</strong>" in (tmp_path / "b.html").read_text()
    assert _run(capsys, "brief", CASE, "--out", tmp_path / "b.md")[0] == 0
    assert (tmp_path / "b.md").read_text().startswith("# Unvalidated expense-report problem\n")
    assert not list(tmp_path.glob("*.ipynb"))


def test_brief_to_stdout_and_default_file_name(tmp_path, capsys, monkeypatch):
    status, out, _ = _run(capsys, "brief", CASE, "--out", "-")
    assert status == 0 and "**The decision: Is it ready to launch?** Not ready." in out
    # a user's case: the brief goes beside the case file, wherever the command is run from
    case = tmp_path / "mine" / "unvalidated.yaml"
    case.parent.mkdir()
    case.write_bytes(CASE.read_bytes())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    status, out, _ = _run(capsys, "brief", "../mine/unvalidated.yaml")
    assert status == 0 and (tmp_path / "mine" / "unvalidated-brief.html").is_file()
    assert out == f"Wrote {tmp_path / 'mine' / 'unvalidated-brief.html'}\n" and not list(elsewhere.iterdir())
    # a bundled case lives inside the installed kit: its brief comes to the current folder
    assert _run(capsys, "brief", "invoice-reminders")[0] == 0
    assert [p.name for p in elsewhere.iterdir()] == ["invoice-reminders-brief.html"]


def test_brief_of_a_bad_case_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    status, _, err = _run(capsys, "brief", bad)
    assert status == 2 and err.startswith(f"aipm-kit: {bad}: not valid YAML")


# ---- list ----------------------------------------------------------------------------------------------------

def test_list_shows_bundled_cases_with_verdicts_and_notebook_parameters(capsys):
    status, out, _ = _run(capsys, "list")
    assert status == 0
    case = load_case("support-triage")
    assert f"  support-triage — {case.name}\n    {case.summary}\n    1. " in out
    assert "What problem should we solve to maximize impact?" in out
    assert "    Decision: " in out
    assert "  01_problem.ipynb — What problem should we solve to maximize impact?" in out
    assert '    case = "support-triage"  # a bundled case name' in out
    assert "    interactive = True  # " in out


# ---- build ---------------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_build_with_a_failing_notebook_exits_1_with_a_summary(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(aipm_kit.build, "bundled_notebooks_dir", lambda: FIXTURES / "notebooks_failing")
    out = tmp_path / "out"
    status, printed, err = _run(capsys, "build", CASE, "--out", out, "--jobs", "2")
    assert status == 1
    assert f"Briefs:\n  {out / 'unvalidated' / 'brief.html'}\n" in printed
    assert ("1 failure (the notebook's .html shows the error):\n  unvalidated / 02_need_ai, cell 3 "
            "('ratio = 1 / 0  # a deliberate failure'): ZeroDivisionError: division by zero") in printed
    assert "Kernel is running" not in err
    for name in ("01_problem.ipynb", "01_problem.html", "brief.html", "brief.md"):
        assert (out / "unvalidated" / name).is_file()
    assert (out / "index.html").is_file()


def test_build_without_cases_builds_every_bundled_case_and_says_where_the_briefs_are(tmp_path, capsys, monkeypatch):
    from aipm_kit.bundled import bundled_cases

    monkeypatch.setattr(aipm_kit.build, "bundled_notebooks_dir", lambda: tmp_path / "no-notebooks")  # briefs only
    out = tmp_path / "out"
    status, printed, _ = _run(capsys, "build", "--out", out)
    assert status == 0
    for name in bundled_cases():
        assert f"  {out / name / 'brief.html'}\n" in printed
        assert (out / name / "brief.md").is_file()
    assert f"Index:  {out / 'index.html'}" in printed


def test_build_of_a_bad_case_exits_2_before_running_anything(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(CASE.read_text().replace("validation_bar: 0.5", "validation_bar: 2"))
    status, _, err = _run(capsys, "build", bad, "--out", tmp_path / "out")
    assert status == 2 and "problem.validation_bar: Input should be less than or equal to 1 (found 2)" in err
    assert not (tmp_path / "out").exists()


# ---- the command stays light --------------------------------------------------------------------------------

def test_the_command_imports_no_heavy_library_until_it_needs_one():
    code = ("import sys, aipm_kit.cli; heavy = {'papermill', 'nbconvert', 'matplotlib', 'pandas', 'ipywidgets'};"
            "print(sorted(heavy & set(sys.modules)))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"


# ---- printed commands --------------------------------------------------------------------------------------

def test_printed_commands_work_without_an_activated_environment(tmp_path, capsys, monkeypatch):
    from aipm_kit.cli import as_typed

    venv_bin = Path(sys.executable).parent
    if not (venv_bin / "aipm-kit").exists():
        pytest.skip("the kit is not installed beside this Python")
    # the shell finds this installation's aipm-kit: the bare name works
    monkeypatch.setenv("PATH", str(venv_bin))
    assert as_typed("aipm-kit") == "aipm-kit"
    # a venv that is not activated: the shell finds nothing, so the command names the venv's copy
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert as_typed("aipm-kit") == str(venv_bin / "aipm-kit")
    monkeypatch.chdir(venv_bin.parent.parent)
    assert as_typed("aipm-kit") == str((venv_bin / "aipm-kit").relative_to(venv_bin.parent.parent))
    status, out, _ = _run(capsys, "init", tmp_path / "clinic")
    jupyter = (venv_bin / "jupyter").relative_to(venv_bin.parent.parent)  # the folder we stand in
    assert status == 0 and f"    {jupyter} lab {tmp_path / 'clinic' / '00_start_here.ipynb'}\n" in out


def test_validate_names_every_wrong_field_at_once(tmp_path, capsys):
    # two wrong fields in question 1, one in question 2, one in question 6: all four, in the file's order
    path = tmp_path / "bad.yaml"
    path.write_text("name: Two wrong sections\nproblem:\n  interviews: -3\n  statment: typo\n"
                    "need_ai:\n  monthly_volume: lots\nevaluation:\n  confidence: 2\n", encoding="utf-8")
    status, _, err = _run(capsys, "validate", path)
    assert status == 2
    lines = err.splitlines()
    assert lines[0] == f"aipm-kit: {path}: 4 problems to fix:"
    assert [line.split(":")[0].strip() for line in lines[1:]] == [
        "problem.interviews", "problem.statment", "need_ai.monthly_volume", "evaluation.confidence"]
    assert "did you mean 'statement'?" in lines[2]
