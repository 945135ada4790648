"""``aipm-kit class``: a variant per student, a student's copy that withholds the verdicts, grading on a rubric.

One cohort of two students of the bundled support-triage case (question 6 left blank) is made once per module;
each variant is a few seconds of analysis.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from aipm_kit import load_case
from aipm_kit.case import CaseError, StudentAnswer
from aipm_kit.classroom import RosterError, make_variants, read_roster, student_seed
from aipm_kit.cli import main
from aipm_kit.grading import DEFAULT_RUBRIC, grade, load_rubric
from aipm_kit.bundled import bundled_cases

CASE = "support-triage"
FILE = "support-triage.yaml"


def _roster(folder: Path, text: str = "id,name\ns01,Ada Lovelace\ns02,Grace Hopper\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "roster.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    root = tmp_path_factory.mktemp("cohort")
    report = make_variants(CASE, _roster(root), root / "out", secret="autumn-2026", blank=["evaluation"], jobs=2)
    assert report.exit_code == 0, report.summary()
    return root / "out", report


# ---- the roster -----------------------------------------------------------------------------------------

def test_a_roster_gives_its_students(tmp_path):
    students = read_roster(_roster(tmp_path, "id,name\na-1,Ada\nB_2,Bo\n"))
    assert [(s.id, s.name) for s in students] == [("a-1", "Ada"), ("B_2", "Bo")]


@pytest.mark.parametrize("rows, problem", [
    ("id,name\n../etc,Eve\n", "line 2: the id '../etc' cannot be a folder name"),
    ("id,name\ns1,Ada\n,Bo\n", "line 3: the id '' cannot be a folder name"),
    ("id,name\ns1,Ada\nS1,Bo\n", "line 3: the id 'S1' is already on line 2"),
    ("student,name\ns1,Ada\n", "the roster needs the columns id and name; missing id"),
])
def test_a_bad_roster_is_refused_and_nothing_is_written(tmp_path, capsys, rows, problem):
    roster = _roster(tmp_path, rows)
    with pytest.raises(RosterError, match=problem.replace("(", r"\(").replace(".", r"\.")):
        read_roster(roster)
    status = main(["class", "variants", CASE, "--roster", str(roster), "--out", str(tmp_path / "out")])
    assert status == 2 and problem in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_seed_is_the_hmac_of_the_id_under_the_secret():
    import hmac

    # an independent computation with the standard library's hmac
    assert student_seed("s01", "k") == hmac.digest(b"k", b"s01", "sha256")
    assert student_seed("s01", None) == hmac.digest(b"", b"s01", "sha256")
    assert student_seed("s01", "k") != student_seed("s02", "k") != student_seed("s02", "k2")


# ---- variants -------------------------------------------------------------------------------------------

def test_each_variant_keeps_the_teaching_point_with_its_own_numbers(cohort):
    out, report = cohort
    template = load_case(CASE)
    expected = {k: {"verdict": r.verdict, "level": r.level} for k, r in template.results().items()}
    for sid in ("s01", "s02"):
        key = json.loads((out / "key" / sid / "key.json").read_text())
        assert {k: {"verdict": v["verdict"], "level": v["level"]} for k, v in key["verdicts"].items()} == expected
        variant = load_case(out / "key" / sid / FILE)  # the key's full variant loads on its own
        # counts stay whole and within ±10 % (and three significant figures): 200,000 labelled tickets
        labelled = variant.answers("need_ai").labelled_examples
        assert isinstance(labelled, int) and 180_000 <= labelled <= 220_000
        share = variant.answers("need_ai").false_positive_share  # 0.85 ± 5 %, two decimals
        assert 0.80 <= share <= 0.90 and round(share, 2) == share
        # the ledger's numbers stay: question 2's monthly volume is question 4's
        assert variant.answers("need_ai").monthly_volume == 18000 == variant.answers("approach").requests_per_month
    students = out / "students"
    assert (students / "s01" / FILE).read_bytes() != (students / "s02" / FILE).read_bytes()
    assert _hashes(students / "s01")["support-triage/eval_results.csv"] != \
        _hashes(students / "s02")["support-triage/eval_results.csv"]


def test_data_files_are_subsampled_without_replacement_and_stay_paired(cohort):
    out, _ = cohort
    source = bundled_cases()[CASE].parent / "support-triage"
    with open(source / "eval_results.csv", newline="") as handle:
        template_rows = list(csv.DictReader(handle))
    for sid in ("s01", "s02"):
        folder = out / "students" / sid / "support-triage"
        with open(folder / "eval_results.csv", newline="") as handle:
            rows = list(csv.DictReader(handle))
        ids = [r["id"] for r in rows]
        assert len(ids) == len(set(ids))  # no duplicate rows: drawn without replacement
        assert 0.85 * len(template_rows) - 10 <= len(rows) <= 0.95 * len(template_rows) + 10
        assert all(r in template_rows for r in rows)  # every row as the template has it
        with open(folder / "eval_baseline.csv", newline="") as handle:
            assert [r["id"] for r in csv.DictReader(handle)] == ids  # the baseline keeps the same cases
        with open(folder / "production_log.csv", newline="") as handle:
            logged = {r["id"] for r in csv.DictReader(handle)}
        with open(folder / "reviewed_failures.csv", newline="") as handle:
            assert {r["id"] for r in csv.DictReader(handle)} <= logged  # reviewed rows are rows of the log


def test_the_same_roster_and_secret_give_the_same_bytes(cohort, tmp_path):
    out, _ = cohort
    again = make_variants(CASE, _roster(tmp_path), tmp_path / "again", secret="autumn-2026", blank=["evaluation"],
                          jobs=2)
    assert again.exit_code == 0
    assert _hashes(tmp_path / "again" / "students") == _hashes(out / "students")
    assert _hashes(tmp_path / "again" / "key") == _hashes(out / "key")


def test_the_students_copy_is_blank_where_asked_and_in_student_mode(cohort, capsys):
    out, _ = cohort
    case = load_case(out / "students" / "s01" / FILE)
    assert case.student_mode and case.classroom.blank == ["evaluation"] and case.classroom.student == "s01"
    assert not case.is_answered("evaluation") and case.is_answered("monitoring")
    assert not (out / "students" / "s01" / "key.json").exists()
    # the evidence shows, the kit's call does not: question 7's result in the notebook (headless)
    import aipm_kit

    shown = aipm_kit.form(case, "monitoring", interactive=False).result
    html = shown.to_html(figures=False)
    assert "Your call" in html and "Watch" not in html and "aipm-caution" not in html
    assert shown.metrics and shown.tables  # the numbers and tables are all there
    assert main(["check", str(out / "students" / "s01" / FILE)]) == 0
    assert "the consistency check is for your teacher" in capsys.readouterr().out
    # the blank question's worksheet asks for the student's call
    table = aipm_kit.form(case, "evaluation", interactive=False)
    assert "Your call" not in table.answers_table_html()  # not answered yet: no table at all
    filled = case.with_answers("evaluation", {"confidence": 0.9})
    assert "Your call" in aipm_kit.form(filled, "evaluation", interactive=False).answers_table_html()


def test_the_classroom_section_is_kept_on_save(cohort, tmp_path):
    out, _ = cohort
    shutil.copytree(out / "students" / "s02", tmp_path / "s02")
    case = load_case(tmp_path / "s02" / FILE)
    answers = {"evaluation": StudentAnswer(decision="stop", reason="Pass rate below the bar.")}
    case = dataclasses.replace(case, classroom=case.classroom.model_copy(update={"answers": answers}))
    case.with_answers("problem", {"interviews": 20}).save(sections=["problem", "classroom"])
    reloaded = load_case(tmp_path / "s02" / FILE)
    assert reloaded.classroom.answers["evaluation"].decision == "stop"
    assert reloaded.classroom.blank == ["evaluation"] and reloaded.answers("problem").interviews == 20


def test_a_bad_classroom_section_names_the_field(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("name: x\nclassroom:\n  mode: student\n  blank: [evalution]\n", encoding="utf-8")
    with pytest.raises(CaseError, match="classroom.*'evalution', which is not a question"):
        load_case(path)


def test_without_a_secret_the_command_says_so(tmp_path, capsys, monkeypatch):
    import aipm_kit.classroom as classroom

    # the cohort's own runs show the real variants; here only what the command reports, for one failure too
    def fake(template, student, seed, out, *rest):
        if student.id == "s02":
            raise classroom.VariantError("s02: no variant in 12 draws kept the teaching point (…)")
        return {"name": student.name}

    monkeypatch.setattr(classroom, "make_variant", fake)
    monkeypatch.delenv(classroom.SECRET_ENV, raising=False)
    status = main(["class", "variants", CASE, "--roster", str(_roster(tmp_path)), "--out", str(tmp_path / "o"),
                   "--jobs", "1"])
    printed = capsys.readouterr().out
    assert status == 1
    assert "No secret given" in printed and "Wrote 1 variant" in printed
    assert "1 failed, nothing written for them:\n  s02: no variant in 12 draws" in printed


# ---- grading ---------------------------------------------------------------------------------------------

def _submit(out: Path, submissions: Path, sid: str, decision: str | None, fill: bool = True) -> None:
    """A student's hand-in: question 6 answered as the key's variant has it, and a decision (or none)."""
    shutil.copytree(out / "students" / sid, submissions / sid)
    case = load_case(submissions / sid / FILE)
    if fill:
        key_case = load_case(out / "key" / sid / FILE)
        values = key_case.answers("evaluation").model_dump(mode="json", context={"base_dir": key_case.base_dir})
        case = case.with_answers("evaluation", values)
    if decision is not None:
        answers = {"evaluation": StudentAnswer(decision=decision, reason="=HYPERLINK(\"x\") <script>alert(1)</script>")}
        case = dataclasses.replace(case, classroom=case.classroom.model_copy(update={"answers": answers}))
    case.save()


def test_a_complete_submission_outscores_one_with_a_blank_question(cohort, tmp_path):
    out, _ = cohort
    submissions = tmp_path / "in"
    key = json.loads((out / "key" / "s01" / "key.json").read_text())
    assert key["verdicts"]["evaluation"]["level"] == "stop"  # support-triage's question 6: Hold
    _submit(out, submissions, "s01", "stop")               # answered, and the call its numbers support
    _submit(out, submissions, "s02", None, fill=False)     # handed back as given: question 6 still blank
    report = grade(submissions, out / "key", tmp_path / "report", jobs=1)
    by_id = {g.student: g for g in report.grades}
    # the default rubric, by hand: completeness 2 + decision 3 (exact) + consistency 2 = 7; reason for the teacher
    assert by_id["s01"].total == 7
    # blank: completeness 0, no decision 0, consistency 0 (nothing answered to check) = 0
    assert by_id["s02"].total == 0
    assert by_id["s01"].scores["reason: evaluation"] is None
    with open(tmp_path / "report" / "matrix.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[-1] == "total" and [r["total"] for r in rows] == ["7.0", "0.0"]
    page = (tmp_path / "report" / "students" / "s01.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page  # the reason, escaped
    index = (tmp_path / "report" / "index.html").read_text()
    # the kit-graded items, most often missed first (here each is half the class's points), then the reasons
    assert index.index("completeness: evaluation") < index.index("consistency") < index.index("reason: evaluation")
    assert "class 50%" in index and "<script>" not in index


def test_a_decision_one_step_off_gets_the_near_points(cohort, tmp_path):
    out, _ = cohort
    _submit(out, tmp_path / "in", "s01", "caution")
    report = grade(tmp_path / "in", out / "key", tmp_path / "report", jobs=1)
    s01 = next(g for g in report.grades if g.student == "s01")
    assert s01.total == 2 + 1 + 2  # completeness, near (caution for stop), consistency
    assert "one step off" in s01.notes["decision: evaluation"]


def test_a_missing_or_unreadable_submission_is_a_row_that_says_so(cohort, tmp_path, capsys):
    out, _ = cohort
    (tmp_path / "in" / "s01").mkdir(parents=True)
    (tmp_path / "in" / "s01" / FILE).write_text("name: [\n", encoding="utf-8")
    status = main(["class", "grade", str(tmp_path / "in"), "--key", str(out / "key"), "--out",
                   str(tmp_path / "report"), "--jobs", "1"])
    printed = capsys.readouterr().out
    assert status == 0
    assert "s01: unreadable: support-triage.yaml: not valid YAML" in printed
    assert "s02: missing: no submission folder" in printed
    with open(tmp_path / "report" / "matrix.csv", newline="") as handle:
        assert [r["total"] for r in csv.DictReader(handle)] == ["0.0", "0.0"]


def test_the_rubric_is_data_and_a_bad_one_names_the_item(tmp_path):
    rubric = load_rubric()
    assert (rubric.decision.points, rubric.decision.near, rubric.reason.graded_by) == (3, 1, "teacher")
    bad = tmp_path / "rubric.yaml"
    bad.write_text(DEFAULT_RUBRIC.replace("points: 3", "points: -3"), encoding="utf-8")
    with pytest.raises(CaseError, match=r"rubric\.decision\.points: Input should be greater than or equal to 0"):
        load_rubric(bad)


# ---- find the flaw ------------------------------------------------------------------------------------------

def test_a_flaw_exercise_that_keeps_its_template_s_flaw_is_graded_on_the_contradiction_named(tmp_path):
    # a copy of support-triage with a planted contradiction: question 4 prices twice question 2's volume; with
    # --flaws 0 every student keeps that one flaw, and the key's flaws are the contradictions check reports
    source = bundled_cases()["support-triage"]
    shutil.copytree(source.parent / "support-triage", tmp_path / "support-triage")
    text = source.read_text(encoding="utf-8")
    case = load_case(source)
    volume = case.answers("need_ai").monthly_volume
    planted = text.replace(f"requests_per_month: {volume}", f"requests_per_month: {volume * 2}")
    assert planted != text
    (tmp_path / "volume-flaw.yaml").write_text(planted, encoding="utf-8")
    roster = _roster(tmp_path / "r", "id,name\nf1,Finn\n")
    report = make_variants(tmp_path / "volume-flaw.yaml", roster, tmp_path / "out", secret="x", jobs=1, flaws=0)
    assert report.exit_code == 0, report.summary()
    key = json.loads((tmp_path / "out" / "key" / "f1" / "key.json").read_text())
    assert key["exercise"] == "flaw" and "flaws" not in key
    flaws = {c["quantity"]: c["fields"] for c in key["check"] if c["contradiction"]}
    assert flaws["Monthly volume"] == ["need_ai.monthly_volume", "approach.requests_per_month"]
    assert len(flaws) == 1  # the planted one: support-triage's own answers agree

    submissions = tmp_path / "in"
    shutil.copytree(tmp_path / "out" / "students" / "f1", submissions / "f1")
    student = load_case(submissions / "f1" / "volume-flaw.yaml")
    named = ["approach.requests_per_month", "problem.interviews"]  # one flaw found, one false alarm
    dataclasses.replace(student, classroom=student.classroom.model_copy(update={"flaws": named})).save()
    result = grade(submissions, tmp_path / "out" / "key", tmp_path / "report", jobs=1)
    f1 = result.grades[0]
    # default rubric: 2 points per flaw found (1 of 1) less 1 per false alarm (1) = 1, out of 2 × 1 = 2
    assert (f1.scores["flaws"], f1.out_of["flaws"]) == (1, 2)
    assert "not a flaw: problem.interviews" in f1.notes["flaws"]


def test_the_live_form_asks_for_the_call_and_saves_it_in_the_classroom_section(cohort, tmp_path, monkeypatch):
    monkeypatch.delenv("AIPM_KIT_HEADLESS", raising=False)  # the suite runs headless; this test wants widgets
    import aipm_kit

    out, _ = cohort
    shutil.copytree(out / "students" / "s01", tmp_path / "s01")
    case = load_case(tmp_path / "s01" / FILE)
    form = aipm_kit.form(case, "evaluation")
    form.widget()
    form._decision_fields["decision"].value = "caution"
    form._decision_fields["reason"].value = "Slices fail while the average passes."
    assert "Your call" in form._result_area.value  # the live result withholds the verdict too
    assert form.save() is not None, form.status_message
    saved = load_case(tmp_path / "s01" / FILE).classroom
    assert saved.answers["evaluation"] == StudentAnswer(decision="caution",
                                                        reason="Slices fail while the average passes.")
    # a question that is not blank asks for no call
    assert aipm_kit.form(case, "monitoring")._decision_fields == {}


def test_variants_on_a_dask_cluster_are_the_same_bytes(cohort, tmp_path):
    distributed = pytest.importorskip("distributed")
    import logging

    out, _ = cohort
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None,
                                  silence_logs=logging.ERROR) as cluster:
        report = make_variants(CASE, _roster(tmp_path), tmp_path / "dask", secret="autumn-2026",
                               blank=["evaluation"], scheduler=cluster.scheduler_address)
        assert report.exit_code == 0
        graded = grade(tmp_path / "dask" / "students", tmp_path / "dask" / "key", tmp_path / "report",
                       scheduler=cluster.scheduler_address)
    assert _hashes(tmp_path / "dask" / "students") == _hashes(out / "students")
    assert [g.total for g in graded.grades] == [0, 0]  # handed back untouched: nothing answered, no call made


def test_the_start_page_overview_withholds_the_verdicts_of_a_students_copy(cohort):
    from aipm_kit.brief import overview

    out, _ = cohort
    shown = overview(load_case(out / "students" / "s01" / FILE))._repr_html_()
    assert "Your call." in shown and "Hold" not in shown and "Launch" not in shown.split("<table>")[0]
    assert "Hold" in overview(load_case(out / "key" / "s01" / FILE))._repr_html_()  # the key's copy shows it


def test_the_matrix_is_safe_to_open_in_a_spreadsheet(tmp_path):
    from aipm_kit.grading import ClassReport, Grade, columns, write_report

    cols = columns({"blank": ["evaluation"], "exercise": "decide"}, load_rubric())
    sneaky = Grade("s9", '=HYPERLINK("http://x","click")', "graded",
                   scores={name: 0.0 for name, _ in cols}, out_of={name: 2.0 for name, _ in cols})
    write_report(ClassReport(tmp_path, [sneaky], cols))
    with open(tmp_path / "matrix.csv", newline="") as handle:
        row = next(csv.DictReader(handle))
    assert row["name"] == "'=HYPERLINK(\"http://x\",\"click\")"  # a quote in front: shown as text, never run
    # kit-graded columns: completeness 2 + decision 2 + consistency 2 (the test's out_of), reason for the teacher
    assert row["out of (kit-graded)"] == "6.0"


def test_the_apps_brief_tab_is_withheld_for_a_students_copy(cohort):
    from aipm_kit.app import STUDENT_BRIEF, App

    out, _ = cohort
    page = App(load_case(out / "students" / "s01" / FILE), interactive=False).brief_page()
    assert "the brief, which shows the kit&#x27;s verdicts, is withheld" in page and "Hold" not in page
    assert STUDENT_BRIEF.startswith("This is a student's copy")


def test_a_student_whose_draws_all_miss_the_teaching_point_fails_loudly_and_gets_nothing(tmp_path):
    from aipm_kit.classroom import Student, VariantError, make_variant

    # a teaching point no variant of support-triage can have: question 1 stopped
    point = {"verdicts": {"problem": ["Stop", "stop"]}, "contradictions": []}
    with pytest.raises(VariantError, match=r"s07: no variant in 2 draws kept the teaching point \(draw 1: .*draw 2"):
        make_variant(str(bundled_cases()[CASE]), Student("s07", "Sam"), b"seed", str(tmp_path), ("evaluation",),
                     point, attempts=2)
    assert not (tmp_path / "students" / "s07").exists() and not (tmp_path / "key" / "s07").exists()
    assert not (tmp_path / ".staging" / "s07").exists()


def test_variants_of_the_bundled_flaw_case_with_flaws_0_keep_its_flaws_in_the_key(tmp_path):
    if "flaw-hunt" not in bundled_cases():
        pytest.skip("no bundled flaw-hunt case in this checkout")
    report = make_variants("flaw-hunt", _roster(tmp_path, "id,name\nf1,Finn\n"), tmp_path / "out", secret="x", jobs=1,
                           flaws=0)
    assert report.exit_code == 0, report.summary()
    key = json.loads((tmp_path / "out" / "key" / "f1" / "key.json").read_text())
    assert key["exercise"] == "flaw"  # the file's name says so
    # `aipm-kit check cases/flaw-hunt.yaml` reports these three contradictions; the variant keeps each
    assert [(c["quantity"], c["fields"]) for c in key["check"] if c["contradiction"]] == [
        ("Monthly volume", ["need_ai.monthly_volume", "approach.requests_per_month"]),
        ("Monthly volume", ["need_ai.monthly_volume", "problem.users_affected",
                            "problem.occurrences_per_user_per_month"]),
        ("Accuracy the product needs", ["approach.accuracy_needed", "evaluation.gates"]),
    ]
