"""Find-the-flaw variants: each student's own planted mistakes (aipm_kit/flaws.py), checked from the files.

Every flaw a key lists is confirmed here in the student's own case file and data, read without the kit (PyYAML,
the csv module, scipy's Wilson interval); and every kind of flaw the key does not list is shown to be absent
from the same files, so a variant holds exactly its key's flaws.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import shutil
from pathlib import Path

import pytest
import yaml
from scipy.stats import binomtest

from aipm_kit import flaws as catalogue
from aipm_kit.bundled import bundled_cases
from aipm_kit.case import CaseError, load_case
from aipm_kit.classroom import make_variants
from aipm_kit.cli import main
from aipm_kit.grading import grade

ROSTER = "id,name\na1,Ann\nb2,Bob\nc3,Cy\n"
MIN_DISTINCT = 30  # flaw-hunt's evaluation.min_distinct_inputs


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    if "flaw-hunt" not in bundled_cases():
        pytest.skip("no bundled flaw-hunt case in this checkout")
    root = tmp_path_factory.mktemp("flaws")
    (root / "roster.csv").write_text(ROSTER, encoding="utf-8")
    report = make_variants("flaw-hunt", root / "roster.csv", root / "out", secret="spring", flaws=4, jobs=1)
    assert report.exit_code == 0, report.summary()
    return root / "out"


def _key(out: Path, sid: str) -> dict:
    return json.loads((out / "key" / sid / "key.json").read_text(encoding="utf-8"))


def _files(out: Path, sid: str) -> tuple[dict, list[dict], list[dict]]:
    """The student's case (plain YAML), eval rows and pilot scores, read without the kit."""
    folder = out / "students" / sid
    raw = yaml.safe_load((folder / "flaw-hunt.yaml").read_text(encoding="utf-8"))
    with open(folder / "flaw-hunt" / "eval_results.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with open(folder / "flaw-hunt" / "pilot_scores.csv", newline="", encoding="utf-8") as handle:
        scores = list(csv.DictReader(handle))
    return raw, rows, scores


def _wilson_high(passed: int, n: int) -> float:
    return binomtest(passed, n).proportion_ci(0.95, method="wilson").high


def _present(raw: dict, rows: list[dict], scores: list[dict]) -> set[str]:
    """The kinds of flaw the files hold, each decided from the raw numbers."""
    found = set()
    volume = raw["need_ai"]["monthly_volume"]
    requests = raw["approach"]["requests_per_month"]
    counted = raw["problem"]["users_affected"] * raw["problem"]["occurrences_per_user_per_month"]
    if volume != requests and volume != counted:
        found.add("volume")  # two of three agree, and question 2 is the odd one out
    elif requests != volume:
        found.add("requests")
    elif counted != volume:
        found.add("users")
    gate = next(g for g in raw["evaluation"]["gates"] if g["kind"] == "blocking" and not g.get("category"))
    if raw["approach"]["accuracy_needed"] < gate["target"]:
        found.add("bar")
    for g in raw["evaluation"]["gates"]:
        if g["kind"] == "blocking" and g.get("category"):
            inputs = {" ".join(r["input"].casefold().split()) for r in rows if r["category"] == g["category"]}
            if len(inputs) < MIN_DISTINCT:
                found.add("repeated")
    overall_low = binomtest(sum(r["passed"] == "True" for r in rows), len(rows)).proportion_ci(0.95, "wilson").low
    for column in raw["evaluation"]["slice_columns"]:
        for value in {r[column] for r in rows}:
            part = [r for r in rows if r[column] == value]
            if _wilson_high(sum(r["passed"] == "True" for r in part), len(part)) < gate["target"] < overall_low:
                found.add("slice")  # failing inside an average that clears the target
    if len(scores) < 1000:  # 4,000 prove the 5% limit on the half held out; a few hundred cannot
        found.add("threshold")
    return found


def test_each_student_gets_four_flaws_of_different_kinds_and_the_files_hold_exactly_those(cohort):
    sets = {}
    for sid in ("a1", "b2", "c3"):
        key = _key(cohort, sid)
        ids = [f["id"] for f in key["flaws"]]
        groups = [catalogue.BY_ID[i].group for i in ids]
        assert len(ids) == 4 and len(set(groups)) == 4, ids
        assert _present(*_files(cohort, sid)) == set(ids), sid
        sets[sid] = sorted((f["id"], f["planted"]) for f in key["flaws"])
    assert len({tuple(v) for v in sets.values()}) == 3  # every student their own flaws


def test_the_template_s_own_flaws_are_repaired_in_every_variant(cohort):
    # flaw-hunt's 60,000 against 12,000 and its 80% bar are not handed to a student who did not draw them
    for sid in ("a1", "b2", "c3"):
        raw, _, scores = _files(cohort, sid)
        ids = {f["id"] for f in _key(cohort, sid)["flaws"]}
        if not ids & {"volume", "requests", "users"}:
            assert raw["need_ai"]["monthly_volume"] == raw["approach"]["requests_per_month"] == 12_000
        if "bar" not in ids:
            assert raw["approach"]["accuracy_needed"] == 0.9
        if "threshold" not in ids:
            assert len(scores) == 4000


def test_the_key_gives_each_flaw_its_fields_and_what_the_kit_shows(cohort):
    key = _key(cohort, "a1")
    text = (cohort / "key" / "a1" / "flaws.md").read_text(encoding="utf-8")
    for flaw in key["flaws"]:
        assert flaw["fields"] == list(catalogue.BY_ID[flaw["id"]].fields)
        assert flaw["evidence"] and flaw["title"] in text and flaw["planted"] in text
    assert not (cohort / "students" / "a1" / "flaws.md").exists()


def test_the_student_copy_drops_comments_that_quote_the_template_s_numbers(cohort):
    text = (cohort / "students" / "a1" / "flaw-hunt.yaml").read_text(encoding="utf-8")
    template = bundled_cases()["flaw-hunt"].read_text(encoding="utf-8")
    assert "# chosen on the pilot's 320 scored requests" in template
    assert "320 scored requests" not in text and "293 of 320" not in text
    assert "# a refund wrongly approved: the item's margin lost on average" in text  # explains, quotes no number


def test_the_same_roster_and_secret_give_the_same_flaws(cohort, tmp_path):
    (tmp_path / "roster.csv").write_text("id,name\nb2,Bob\n", encoding="utf-8")
    make_variants("flaw-hunt", tmp_path / "roster.csv", tmp_path / "out", secret="spring", flaws=4, jobs=1)
    for folder in ("students", "key"):
        before, after = cohort / folder / "b2", tmp_path / "out" / folder / "b2"
        first = sorted(p.relative_to(before) for p in before.rglob("*") if p.is_file())
        assert first == sorted(p.relative_to(after) for p in after.rglob("*") if p.is_file())
        for name in first:
            assert (before / name).read_bytes() == (after / name).read_bytes(), name


def test_grading_counts_the_flaws_named_by_any_of_their_fields(cohort, tmp_path):
    submissions = tmp_path / "in"
    for sid in ("a1", "b2", "c3"):
        shutil.copytree(cohort / "students" / sid, submissions / sid)
    keys = {sid: _key(cohort, sid)["flaws"] for sid in ("a1", "b2")}
    # a1 names every flaw; b2 names two of four and one field that is in no flaw; c3 names nothing
    named = {"a1": [f["fields"][0] for f in keys["a1"]],
             "b2": [f["fields"][0] for f in keys["b2"][:2]] + ["problem.interviews"]}
    for sid, fields in named.items():
        student = load_case(submissions / sid / "flaw-hunt.yaml")
        dataclasses.replace(student, classroom=student.classroom.model_copy(update={"flaws": fields})).save()
    report = grade(submissions, cohort / "key", tmp_path / "report", jobs=1)
    scores = {g.student: (g.scores["flaws"], g.out_of["flaws"]) for g in report.grades}
    # default rubric: 2 a flaw found, less 1 a false alarm, out of 2 × 4 = 8
    assert scores == {"a1": (8, 8), "b2": (2 * 2 - 1, 8), "c3": (0, 8)}
    b2 = next(g for g in report.grades if g.student == "b2")
    assert "found 2 of 4" in b2.notes["flaws"] and "not a flaw: problem.interviews" in b2.notes["flaws"]
    assert keys["b2"][3]["title"] in b2.notes["flaws"]  # the missed ones by title


def test_a_case_the_kit_did_not_write_gets_only_the_flaws_in_its_answers_and_keeps_its_data_traps(tmp_path):
    # a copy of support-triage: its data is the user's (no spec), so only the ledger's flaws are planted, and
    # the traps its own data holds (the email slice under 86%, a threshold not proven) are in every key
    source = bundled_cases()["support-triage"]
    shutil.copytree(source.parent / "support-triage", tmp_path / "support-triage")
    shutil.copy(source, tmp_path / "triage.yaml")
    template = load_case(tmp_path / "triage.yaml")
    assert catalogue.spec_for(template) is None
    assert set(catalogue.given(template)) == {"slice", "threshold"}
    assert catalogue.possible(template) == 2  # one volume flaw and the bar
    (tmp_path / "roster.csv").write_text("id,name\na1,Ann\n", encoding="utf-8")
    report = make_variants(tmp_path / "triage.yaml", tmp_path / "roster.csv", tmp_path / "out", secret="x", jobs=1,
                           exercise="flaw")
    assert report.exit_code == 0, report.summary()
    key = _key(tmp_path / "out", "a1")
    planted = [f for f in key["flaws"] if not f["planted"].startswith("in the template")]
    common = [f["id"] for f in key["flaws"] if f["planted"].startswith("in the template")]
    assert len(planted) == 2 and "bar" in {f["id"] for f in planted} and sorted(common) == ["slice", "threshold"]
    raw = yaml.safe_load((tmp_path / "out" / "students" / "a1" / "triage.yaml").read_text(encoding="utf-8"))
    gate = next(g for g in raw["evaluation"]["gates"] if g["kind"] == "blocking" and not g.get("category"))
    assert raw["approach"]["accuracy_needed"] < gate["target"]


def test_more_flaws_than_the_case_holds_or_flaws_in_a_decide_exercise_is_refused_before_writing(tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\na1,Ann\n", encoding="utf-8")
    with pytest.raises(CaseError, match="can hold 5 flaws of different kinds"):
        make_variants("flaw-hunt", roster, tmp_path / "out", flaws=6, jobs=1)
    assert main(["class", "variants", "support-triage", "--roster", str(roster), "--out", str(tmp_path / "o2"),
                 "--flaws", "2"]) == 2
    assert "--exercise flaw" in capsys.readouterr().err
    assert not (tmp_path / "out" / "students").exists() and not (tmp_path / "o2" / "students").exists()
