"""The find-the-flaw case: a returns-approval assistant with five planted mistakes (key: docs/flaw-hunt-key.md).

Each flaw is found where the key says (`aipm-kit check`, question 5 or question 6), with the number worked out
here from the case's files without the kit; and the same case with that one flaw fixed no longer reports it (the
data drawn again from the case's spec, `aipm_kit/synth/specs/flaw_hunt.py`, with that flaw's fix from its `FIXED`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from scipy.stats import binomtest

import aipm_kit
from aipm_kit import ledger, synth
from aipm_kit.bundled import bundled_cases, cases_dir
from aipm_kit.cli import main
from aipm_kit.synth.specs.flaw_hunt import FIXED, SPEC

CASE = "flaw-hunt"
KEY = Path(__file__).parents[1] / "docs" / "flaw-hunt-key.md"


@pytest.fixture(scope="module")
def raw():
    """The case file as plain YAML, read without the kit."""
    return yaml.safe_load(bundled_cases()[CASE].read_text(encoding="utf-8"))


def _data(name: str) -> pd.DataFrame:
    return pd.read_csv(cases_dir() / CASE / name)


def _wilson(successes: int, n: int) -> tuple[float, float]:
    ci = binomtest(successes, n).proportion_ci(0.95, method="wilson")
    return ci.low, ci.high


def _copy(tmp_path: Path) -> Path:
    """A copy of the case and its data folder, to change one thing in."""
    shutil.copytree(cases_dir() / CASE, tmp_path / CASE)
    target = tmp_path / f"{CASE}.yaml"
    shutil.copy(bundled_cases()[CASE], target)
    return target


def _fixed(fix: str, path: Path) -> Path:
    """The case's data file of ``fix``'s part, drawn with the bundled seed and that one flaw fixed."""
    part, changes = FIXED[fix]
    frame = synth.draw(CASE, part, seed=SPEC[part]["seed"], **changes)
    (frame[0] if part == "eval" else frame).to_csv(path, index=False)
    return path


# ---- the case itself -----------------------------------------------------------------------------------

def test_the_mirrors_start_from_the_committed_files(tmp_path):
    # test_synth checks every bundled file is what the specs write; drawn with the seed the mirrors use and no
    # change, each part is the committed file, so a mirror differs from the case only by its fix
    for part, name in (("eval", "eval_results.csv"), ("scores", "pilot_scores.csv")):
        drawn = synth.draw(CASE, part, seed=SPEC[part]["seed"])
        (drawn[0] if part == "eval" else drawn).to_csv(tmp_path / name, index=False, lineterminator="\n")
        assert (tmp_path / name).read_bytes() == (cases_dir() / CASE / name).read_bytes(), name


def test_the_case_data_quotes_the_eval_set_s_products(raw):
    # data.slices' rows_have are the eval rows per product
    counts = _data("eval_results.csv")["product"].value_counts().to_dict()
    assert {s["name"]: s["rows_have"] for s in raw["data"]["slices"]} == counts
    assert sum(counts.values()) == 600


def test_the_case_is_a_pilot_of_its_own_product_and_names_its_flaws_nowhere_but_the_key(case, raw):
    assert case.name.startswith("Returns approval assistant")
    assert (raw["stage"], str(raw["as_of"])) == ("pilot", "2026-11-20")
    # every eval input speaks of returns, orders or refunds of this shop's products, never of tickets or trips
    inputs = _data("eval_results.csv")["input"].str.casefold()
    assert not inputs.str.contains("ticket|queue|invoice|flight|policy page").any()
    assert inputs.str.contains("order #").all() and inputs.str.contains("refund").any()
    summary = case.summary.casefold()
    for giveaway in ("duplicate", "repeat", "slice", "60,000", "held out", "80%"):
        assert giveaway not in summary


def test_the_readme_lists_the_case_and_links_the_key():
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert "| `flaw-hunt` |" in readme and "(docs/flaw-hunt-key.md)" in readme
    assert KEY.is_file()


# ---- flaws 1 and 2: numbers that contradict across questions (aipm-kit check) -----------------------------

def test_check_exits_1_and_names_both_places_of_each_planted_contradiction(raw, capsys):
    volume = raw["need_ai"]["monthly_volume"]
    counted = raw["problem"]["users_affected"] * raw["problem"]["occurrences_per_user_per_month"]
    assert (volume, counted, raw["approach"]["requests_per_month"]) == (60_000, 15 * 800, 12_000)
    gate = next(g for g in raw["evaluation"]["gates"] if g["kind"] == "blocking" and not g["category"])
    assert (raw["approach"]["accuracy_needed"], gate["target"]) == (0.8, 0.9)

    assert main(["check", CASE]) == 1
    out = capsys.readouterr().out
    assert "3 contradictions" in out
    assert "need_ai.monthly_volume = 60,000, but approach.requests_per_month = 12,000" in out
    assert ("need_ai.monthly_volume = 60,000, but problem.users_affected × problem.occurrences_per_user_per_month "
            "= 12,000") in out
    assert "approach.accuracy_needed = 80.0%, but evaluation.gates (blocking, all cases).target = 90.0%" in out


def test_flaw_1_fixed_one_volume_leaves_no_volume_finding(case):
    fixed = case.with_answers("need_ai", case.answers("need_ai").model_copy(update={"monthly_volume": 12_000}))
    quantities = [f.quantity for f in ledger.check(fixed) if f.contradiction]
    assert quantities == ["Accuracy the product needs"]


def test_flaw_1_makes_question_2_value_more_than_the_problem_costs(case):
    # the problem costs 15 × 800 × $4.70 = $56,400 a month; question 2 values 60,000 decisions a month
    result = case.analyze("need_ai")
    assert result.metric_value("Net monthly value against the non-AI baseline") > 3 * 15 * 800 * 4.7
    assert any("more than the whole problem costs" in f.message for f in result.findings)


def test_flaw_2_fixed_one_bar_leaves_no_accuracy_finding(case):
    fixed = case.with_answers("approach", case.answers("approach").model_copy(update={"accuracy_needed": 0.9}))
    quantities = [f.quantity for f in ledger.check(fixed) if f.contradiction]
    assert quantities == ["Monthly volume", "Monthly volume"]


def test_flaw_2_against_the_80_percent_bar_the_electronics_hold_shrinks_to_a_caution(case):
    rows = _data("eval_results.csv")
    electronics = rows[rows["product"] == "electronics"]
    low, high = _wilson(int(electronics["passed"].sum()), len(electronics))
    assert low < 0.8 < high  # 109 of 135: even on rows, the interval holds 80%

    answers = case.answers("evaluation")
    gates = [g.model_copy(update={"target": 0.8}) if not g.category and g.kind == "blocking" else g
             for g in answers.gates]
    result = case.with_answers("evaluation", answers.model_copy(update={"gates": gates})).analyze("evaluation")
    product = {s["slice"]: s["status"] for s in result.data["slices"] if s["column"] == "product" and s["cases"] > 100}
    assert product["electronics"] == "straddles"
    assert (result.verdict, result.level) == ("Hold", "caution")  # held only by the pushy gate's ten inputs


# ---- flaw 3: a gate resting on ten distinct inputs (question 6) -------------------------------------------

def _gate(result, name: str) -> dict:
    return next(g for g in result.data["gates"] if g["name"] == name)


PUSHY = "Pushy and injected requests not approved"


def test_flaw_3_the_adversarial_gate_rests_on_ten_distinct_inputs(case):
    rows = _data("eval_results.csv")
    adversarial = rows[rows["category"] == "adversarial"]
    distinct = adversarial["input"].str.casefold().str.split().str.join(" ").nunique()
    assert (len(adversarial), distinct, int(adversarial["passed"].sum())) == (120, 10, 120)

    result = case.analyze("evaluation")
    gate = _gate(result, PUSHY)
    assert (gate["cases"], gate["distinct"], gate["passed"]) == (120, distinct, 120)
    assert gate["status"] != "pass"
    assert any(f"rests on {distinct} distinct inputs, under the 30 minimum" in f.message for f in result.findings)


def test_flaw_3_fixed_distinct_pushy_requests_prove_the_gate(case, tmp_path):
    path = _fixed("distinct pushy requests", tmp_path / "eval_results.csv")
    rows = pd.read_csv(path)
    assert rows.loc[rows["category"] == "adversarial", "input"].nunique() == 120
    fixed = case.with_answers("evaluation", case.answers("evaluation").model_copy(update={"results_file": path}))
    result = fixed.analyze("evaluation")
    assert _gate(result, PUSHY)["status"] == "pass"
    assert not any("rests on" in f.message for f in result.findings)


# ---- flaw 4: a failing slice inside a passing average (question 6) ---------------------------------------

def test_flaw_4_electronics_fail_while_the_average_clears_the_target(case):
    rows = _data("eval_results.csv")
    overall_low, _ = _wilson(int(rows["passed"].sum()), len(rows))
    electronics = rows[rows["product"] == "electronics"]
    passed, n = int(electronics["passed"].sum()), len(electronics)
    _, electronics_high = _wilson(passed, n)
    # 565 of 600 pass: even on rows the low end clears 90%; electronics 109 of 135 = 80.7%, high end under 90%
    assert (int(rows["passed"].sum()), len(rows), passed, n) == (565, 600, 109, 135)
    assert overall_low > 0.9 > electronics_high
    # the other products pass far more often: 148 of 149, 180 of 185, 128 of 131
    others = rows[rows["product"] != "electronics"]
    assert others.groupby("product")["passed"].agg(["sum", "count"]).values.tolist() == [[148, 149], [180, 185],
                                                                                          [128, 131]]

    result = case.analyze("evaluation")
    assert (result.verdict, result.level) == ("Hold", "stop")
    assert _gate(result, "Right decision, all requests")["status"] == "pass"
    failing = [s for s in result.data["slices"] if s["status"] == "below target"]
    assert [(s["slice"], s["passed"], s["cases"]) for s in failing] == [("electronics", passed, n)]
    assert "electronics" in result.headline


def test_flaw_4_fixed_electronics_as_good_as_the_rest_leaves_no_failing_slice(case, tmp_path):
    path = _fixed("electronics as good as the rest", tmp_path / "eval_results.csv")
    fixed = case.with_answers("evaluation", case.answers("evaluation").model_copy(update={"results_file": path}))
    result = fixed.analyze("evaluation")
    assert not [s for s in result.data["slices"] if s["status"] == "below target"]
    assert "electronics" not in result.headline


# ---- flaw 5: a threshold reported on the rows it was chosen on (question 5) -----------------------------

def test_flaw_5_the_threshold_looks_safe_on_all_rows_and_is_not_proven_held_out(case, raw):
    scores = _data("pilot_scores.csv")
    threshold = raw["experience"]["threshold"]
    handled = scores[scores["confidence"] >= threshold]
    # what the case's comment claims, over all 320 rows: 236 handled (74%), 7 errors (3.0%), under the 5% limit
    assert (len(scores), len(handled), int((~handled["correct"]).sum())) == (320, 236, 7)
    assert 7 / 236 < raw["experience"]["target_error_rate"]

    result = case.analyze("experience")
    assert result.verdict == "Not proven" and result.level == "stop"
    seen = result.data["held_out"]
    assert seen["outputs"] == 160  # half of 320 held out
    _, high = _wilson(seen["errors"], seen["handled"])
    assert seen["rate_high"] == pytest.approx(high, abs=1e-9)
    assert high > 0.05


def test_flaw_5_fixed_enough_scores_prove_the_threshold_on_held_out_rows(case, tmp_path):
    path = _fixed("enough pilot scores", tmp_path / "pilot_scores.csv")
    assert len(pd.read_csv(path)) == 4000
    fixed = case.with_answers("experience", case.answers("experience").model_copy(update={"scores": path}))
    result = fixed.analyze("experience")
    seen = result.data["held_out"]
    _, high = _wilson(seen["errors"], seen["handled"])
    assert high <= 0.05
    assert result.verdict != "Not proven"


# ---- the key -------------------------------------------------------------------------------------------

def test_the_key_names_every_place_check_prints_and_the_numbers_the_questions_show():
    key = " ".join(KEY.read_text(encoding="utf-8").split())  # the key's lines rejoined
    rows = _data("eval_results.csv")
    adversarial = rows[rows["category"] == "adversarial"]
    electronics = rows[rows["product"] == "electronics"]
    passed, n = int(electronics["passed"].sum()), len(electronics)
    worked = [f"{adversarial['input'].nunique()} distinct inputs",  # 10
              f"repeated message ({adversarial['input'].value_counts().max()} times)",  # 16
              f"{int(rows['passed'].sum())} of {len(rows)}", f"({rows['passed'].mean():.1%}",  # 565 of 600 (94.2%
              f"{passed} of {n} rows, {electronics['input'].nunique()} distinct",  # 109 of 135 rows, 109 distinct
              f"{passed / n:.1%}"]  # 80.7%
    for text in ("need_ai.monthly_volume = 60,000", "approach.requests_per_month = 12,000",
                 "approach.accuracy_needed = 80.0%", "`target = 90.0%`", "8.4%", "experience.threshold = 0.9",
                 *worked):
        assert text in key, text
    # the intervals the key quotes are question 6's
    result = aipm_kit.load_case(CASE).analyze("evaluation")
    gate = _gate(result, "Right decision, all requests")
    slice_ = next(s for s in result.data["slices"] if s["slice"] == "electronics" and s["cases"] == n)
    for low, high in ((gate["low"], gate["high"]), (slice_["low"], slice_["high"])):
        assert f"interval {low:.1%}–{high:.1%}" in key
    # and the channel slices it lists as found but not planted are the ones question 6 says straddle the target
    straddling = [s["slice"] for s in result.data["slices"] if s["column"] == "slice" and s["status"] == "straddles"]
    assert straddling == ["email", "returns form"]
    assert "the email and returns-form slices straddle the 90% target" in key


def test_the_copied_case_with_every_flaw_fixed_checks_clean(tmp_path):
    # the mirror of the whole case: the two contradictions fixed in the file itself, check exits 0
    path = _copy(tmp_path)
    text = path.read_text(encoding="utf-8")
    text = text.replace("  monthly_volume: 60000", "  monthly_volume: 12000")
    text = text.replace("  accuracy_needed: 0.8\n", "  accuracy_needed: 0.9\n")
    path.write_text(text, encoding="utf-8")
    assert main(["check", str(path)]) == 0
