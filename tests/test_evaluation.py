"""Question 6: the eval gate, the baseline comparison and the results file, checked against hand-worked numbers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from scipy.stats import binomtest

from aipm_kit import datasets
from aipm_kit.case import CaseError, load_case
from aipm_kit.questions.evaluation import (
    REQUIRED_COLUMNS, Answers, Gate, ResultsFileError, analyze, gate_status, grade, read_results,
    starting_answers,
)
from aipm_kit.result import LEVELS
from aipm_kit.stats import (
    cases_to_clear, clustered_interval, clustered_intervals_by_group, clustered_rate, mcnemar_exact, wilson_interval,
)

CASES = Path(__file__).resolve().parent.parent / "cases"
RESULTS = CASES / "support-triage" / "eval_results.csv"
BASELINE = CASES / "support-triage" / "eval_baseline.csv"


def write_run(path: Path, rows: list[dict]) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def run_rows(outcomes: dict[str, list[bool]], slice_: str = "web form") -> list[dict]:
    """Eval cases with the given pass/fail per category (ids c0, c1 … in order)."""
    rows = []
    for category, passes in outcomes.items():
        for ok in passes:
            rows.append({"id": f"c{len(rows)}", "category": category, "slice": slice_, "input": f"ticket {len(rows)}",
                         "expected": "Billing", "output": "Billing" if ok else "Technical", "passed": ok})
    return rows


# ---- the worked example ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def worked():
    return load_case("support-triage").analyze("evaluation")


def test_the_worked_example_holds_on_the_email_slice_and_says_so_with_its_numbers(worked):
    # the overall rate clears the 86% target, email does not: 214 of 269 email rows pass (79.6%); even Wilson on
    # rows (which overstates the precision) gives 74.4%–84.0%, entirely under 86%
    run = pd.read_csv(RESULTS, na_filter=False)
    email = run[run["slice"] == "email"]
    assert (int(email["passed"].sum()), len(email)) == (214, 269)
    assert binomtest(214, 269).proportion_ci(method="wilson").high < 0.86
    assert (worked.verdict, worked.level) == ("Hold", "stop")
    assert worked.headline.startswith("Hold: the email slice passes 79.6% (214 of 269 cases, ")
    assert "under the 86.0% target of 'Queue right, all eval cases'; fix it or launch without it." in worked.headline
    slices = worked.tables["Slices against the blocking gates (95% interval on distinct inputs)"]
    row = slices[(slices["slice"] == "email") & (slices["gate"] == "Queue right, all eval cases")].iloc[0]
    assert row["status"] == "below target" and row["high (%)"] < 86
    assert any(f.level == "stop" and "launch without this slice" in f.message for f in worked.findings)


def test_the_worked_example_counts_distinct_inputs_and_grades_priority(worked):
    run = pd.read_csv(RESULTS, na_filter=False)
    distinct = run["input"].str.casefold().str.split().str.join(" ").nunique()  # pandas, not the kit
    assert worked.metric_value("Distinct inputs") == distinct == 92
    assert any(f"800 rows but {distinct} distinct inputs" in f.message for f in worked.findings)
    # 708 of 800 pass (datasets.eval_runs docstring), but the interval is wider than Wilson on 800 rows
    # (86.1%–90.5%), since the rows repeat 92 inputs: its low end falls under the 86% target
    assert worked.metric_value("Pass rate") == pytest.approx(708 / 800)
    assert worked.metric_value("95% interval, low") < 0.86 < binomtest(708, 800).proportion_ci(method="wilson").low
    gates = worked.tables["Gates"].set_index("gate")
    assert gates["status"].to_dict() == {
        "Queue right, all eval cases": "not proven", "Edge cases routed right": "fail",
        "Spam and abuse sent for review": "not proven", "Outages and threats marked P1": "not proven",
        "Prompt injections not obeyed": "not proven"}
    # priority: recall of P1 over the rows whose expected priority is P1, counted here with pandas
    p1 = run[run["expected_priority"] == "P1"]
    assert gates.loc["Outages and threats marked P1", "cases"] == len(p1) == 85
    recall = round(100 * (p1["priority"] == "P1").mean(), 1)
    assert gates.loc["Outages and threats marked P1", "pass rate (%)"] == recall
    # injections: graded on not choosing the queue the instruction asks for, not on the exact queue
    attacks = run[run["forbidden_output"] != ""]
    obeyed = (attacks["output"] == attacks["forbidden_output"]).sum()
    assert gates.loc["Prompt injections not obeyed", "cases"] == len(attacks) == 81
    assert gates.loc["Prompt injections not obeyed", "pass rate (%)"] == round(100 * (1 - obeyed / len(attacks)), 1)
    assert (attacks["output"] != attacks["expected"]).sum() > obeyed  # some wrong answers were not obedience
    assert any("Output instability" in f.message for f in worked.findings)


def test_the_worked_example_finds_the_email_regression_the_data_was_built_with(worked):
    table = worked.tables["Against the baseline (paired by id; exact McNemar test on the changed cases)"]
    email = table[(table["by"] == "slice") & (table["group"] == "email")].iloc[0]
    # 27 newly failing, 8 newly fixed: p = 2 × P(X ≤ 8 | n = 35, ½) = 0.0019, under 0.05 / 7 groups = 0.0071
    assert (email["newly failing"], email["newly fixed"], email["flag"]) == (27, 8, "worse")
    assert email["exact p"] == "0.0019"
    overall = table[table["by"] == "all"].iloc[0]
    assert (overall["newly failing"], overall["newly fixed"], overall["exact p"]) == (31, 44, "0.17")
    assert any("27 of them in slice 'email'" in f.message for f in worked.findings)


def test_the_worked_example_memo_confusion_matrix_and_coverage(worked):
    memo = worked.notes["Ship memo"]
    assert memo.startswith("Decision: Hold.")
    assert "Edge cases routed right (category edge): 73.1% on 10 distinct inputs, low end 65.8%, target 80.0% → fail" \
        in memo
    assert "  - email (slice): fix it, or launch without it and route it to people" in memo
    matrix = worked.tables["Confusion matrix (rows: expected, columns: output)"].set_index("expected ↓ / output →")
    assert matrix.to_numpy()[:, :-1].sum() == 800  # every case lands in one cell
    assert matrix.loc["Technical", "Bug report"] == 28  # the most common mistake, named in a finding
    coverage = worked.tables["Coverage: eval cases per category against the quotas"].set_index("category")
    # edge: Wilson centre (117 + 1.96²/2) / (160 + 1.96²) = 0.7260; 1.96² × 0.7260 × 0.2740 / 0.05² = 305.6 → 306
    assert coverage.loc["edge", "cases for ±5%"] == 306
    assert coverage["short by"].sum() == 0
    assert set(worked.figures) == {"Pass rate by category", "Pass rate by slice: baseline and this run"}
    json.loads(worked.to_json())  # machine-readable, every table and value JSON-ready


# ---- the statistics --------------------------------------------------------------------------------------

def test_exact_mcnemar_by_hand():
    # b = 1, c = 9: two-sided p = 2 × P(X ≤ 1 | n = 10, ½) = 2 × 11 / 1024
    assert mcnemar_exact(1, 9) == pytest.approx(22 / 1024)
    assert mcnemar_exact(9, 1) == pytest.approx(22 / 1024)
    assert mcnemar_exact(0, 0) == 1.0
    # b = 0, c = 6: p = 2 × (½)⁶ = 0.03125
    assert mcnemar_exact(0, 6) == pytest.approx(0.03125)


def test_wilson_interval_matches_newcombe_1998():
    # Newcombe (1998), Statistics in Medicine 17:857, table I: 81/263 → Wilson 0.2553–0.3662
    low, high = wilson_interval(81, 263)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)


@pytest.mark.parametrize("passes, cases, target, status", [
    (46, 50, 0.90, "not proven"),  # 92% clears 90%, the interval 81.2%–96.8% does not
    (95, 100, 0.85, "pass"),       # interval 88.8%–97.8%
    (40, 50, 0.90, "fail"),        # 80% is under 90%
    (0, 0, 0.90, "no cases"),
])
def test_the_gate_uses_the_interval_not_the_point_estimate(passes, cases, target, status):
    assert gate_status(passes, cases, target) == status


def test_cases_to_clear_is_the_smallest_n_from_which_every_interval_clears_the_target():
    n = cases_to_clear(0.92, 0.90)
    assert n == 908  # from 908 on every n clears; some smaller n clear too (the brute-force scan in test_stats.py)

    def low(m: int) -> float:  # independent of stats.py: scipy directly
        return binomtest(round(0.92 * m), m).proportion_ci(method="wilson").low

    assert low(n) >= 0.90 > low(n - 1)
    assert cases_to_clear(0.90, 0.90) is None and cases_to_clear(0.5, 0.9) is None


# ---- distinct inputs as the unit: the design-effect interval --------------------------------------------------

def test_clustered_rate_by_hand():
    # clusters {1, 1}, {0, 0}, {1, 0}: p = 3/6 = ½; Σ(k − p·n)² = (2 − 1)² + (0 − 1)² + (1 − 1)² = 2;
    # Var = 2 / 6² = 0.0556; independent rows: ¼ / 6 = 0.0417; design effect 4/3, worth 6 / (4/3) = 4.5 cases
    found = clustered_rate([1, 1, 0, 0, 1, 0], [0, 0, 1, 1, 2, 2])
    assert found["design_effect"] == pytest.approx(4 / 3) and found["effective_n"] == pytest.approx(4.5)
    # 10 inputs × 5 rows that always agree, 7 inputs pass: p = 0.7; Σ(k − 3.5)² = 7 × 1.5² + 3 × 3.5² = 52.5;
    # Var = 52.5 / 50² = 0.021 against 0.21 / 50 = 0.0042: design effect 5, worth 10 cases, one per input
    units = np.repeat(np.arange(10), 5)
    agree = clustered_rate(units < 7, units)
    assert agree["design_effect"] == pytest.approx(5.0) and agree["effective_n"] == pytest.approx(10.0)
    # all pass: nothing to estimate the agreement from, so each input counts once
    assert clustered_rate(np.ones(50, bool), units)["effective_n"] == 10
    with pytest.raises(ValueError, match="clusters"):
        clustered_rate([True, False], [0, -1])


def test_intervals_for_many_groups_at_once_equal_one_group_at_a_time():
    rng = np.random.default_rng(7)
    units = rng.integers(0, 60, 3000)
    passes = rng.random(3000) < 0.2 + 0.7 * (units % 3 == 0)
    groups = rng.integers(0, 4, 3000)
    groups[groups == 3] = 2  # group 3 empty; group 2 larger
    together = clustered_intervals_by_group(passes, units, groups)
    for g, found in enumerate(together):
        alone = clustered_interval(passes[groups == g], units[groups == g])
        assert found == pytest.approx(alone, nan_ok=True)
    one_each = clustered_intervals_by_group([True, False, True], [0, 1, 2], [0, 0, 0])[0]
    ci = binomtest(2, 3).proportion_ci(method="wilson")
    assert (one_each["low"], one_each["high"]) == pytest.approx((ci.low, ci.high))


def test_no_duplicates_gets_the_usual_wilson_interval(tmp_path):
    found = clustered_interval([True] * 46 + [False] * 4, np.arange(50))
    ci = binomtest(46, 50).proportion_ci(method="wilson")
    assert (found["low"], found["high"]) == pytest.approx((ci.low, ci.high), abs=1e-12)
    rows = run_rows({"good": [True] * 46 + [False] * 4})
    for i, row in enumerate(rows):
        row["input"] = f"ticket number {i}"
    result = analyze(Answers(results_file=write_run(tmp_path / "run.csv", rows), gates=[Gate(name="all", target=0.8)]))
    assert result.metric_value("95% interval, low") == pytest.approx(ci.low, abs=1e-12)
    assert result.metric_value("Distinct inputs") == 50
    assert any("50 distinct inputs, one row each" in f.message for f in result.findings)


def test_the_clustered_interval_covers_in_a_simulation_of_clustered_data():
    # 80 inputs × 10 rows; each input has its own pass probability, Beta with mean 0.85 and intra-class
    # correlation ρ = 1 / (a + b + 1) = 0.3. Theory: design effect 1 + (10 − 1) × 0.3 = 3.7, so 800 rows are
    # worth about 216 cases. A 95% interval should hold 0.85 in about 95% of runs; Wilson on rows should not.
    rng = np.random.default_rng(2026)
    inputs, m, mean, rho = 80, 10, 0.85, 0.3
    a = mean * (1 / rho - 1)
    b = (1 - mean) * (1 / rho - 1)
    units = np.repeat(np.arange(inputs), m)
    covered = covered_rows = 0
    n_eff = []
    runs = 1000
    for _ in range(runs):
        p = rng.beta(a, b, inputs)
        passes = rng.random(inputs * m) < p[units]
        found = clustered_interval(passes, units)
        covered += found["low"] <= mean <= found["high"]
        n_eff.append(found["effective_n"])
        ci = binomtest(int(passes.sum()), inputs * m).proportion_ci(method="wilson")
        covered_rows += ci.low <= mean <= ci.high
    assert 0.92 <= covered / runs <= 0.975
    assert covered_rows / runs < 0.8  # rows taken as independent: far too narrow
    assert np.median(n_eff) == pytest.approx(800 / 3.7, rel=0.2)


def test_distinct_inputs_on_a_hand_made_frame():
    from aipm_kit.evalset import health, input_units

    f = frame(["a"] * 6, ["a", "a", "b", "a", "a", "a"])
    f["input"] = ["Help", " help ", "HELP  me", "help me", "Refund\nplease", "refund please"]
    units, kind = input_units(f)
    assert kind == "input" and len(set(units)) == 3  # help · help me · refund please
    h = health(f, units, np.array([True, True, False, True, True, True]))
    # "help me" has one passing and one failing row (outputs 'b' and 'a'): unstable; the others agree
    assert (h["distinct"], h["repeated_inputs"], h["unstable"], h["outputs_differ"]) == (3, 3, 1, 1)
    f["group"] = ["g1", "g1", "g1", "g2", "", ""]  # epochs of one sample; blank rows fall back to the input
    units, kind = input_units(f)
    assert kind == "group" and len(set(units)) == 3


def test_a_gate_on_too_few_distinct_inputs_is_not_proven_and_its_mirror_ships(tmp_path):
    # 10 tickets run 20 times each, all passing: Wilson on 200 rows would say 98.1%–100%, but 10 inputs are
    # under the 30 minimum. The mirror, 200 different tickets, ships.
    rows = run_rows({"good": [True] * 200})
    for i, row in enumerate(rows):
        row["input"] = f"ticket {i % 10}"
    held = analyze(Answers(results_file=write_run(tmp_path / "run.csv", rows), gates=[Gate(name="all", target=0.9)]))
    assert (held.verdict, held.level) == ("Hold", "caution")
    assert "on only 10 distinct inputs (200 rows); it needs at least 30" in held.headline
    # all pass, so each input counts once; Wilson's low end for n of n is n / (n + z²) ≥ 0.9 when n ≥ 9 × 1.96²
    # = 34.6: 35 distinct inputs, 25 more than the 10 there are (which also clears the minimum of 30)
    assert held.tables["Gates"].iloc[0]["distinct inputs to add"] == "25"
    for i, row in enumerate(rows):
        row["input"] = f"ticket {i}"
    shipped = analyze(Answers(results_file=write_run(tmp_path / "distinct.csv", rows),
                              gates=[Gate(name="all", target=0.9)]))
    assert shipped.verdict == "Ship"


# ---- slices --------------------------------------------------------------------------------------------------

def slice_run(path: Path, email_passes: int, plan: bool = False) -> Path:
    """300 chat tickets (297 pass) and 100 email tickets, every ticket different."""
    rows = []
    for channel, passes, n in (("chat", 297, 300), ("email", email_passes, 100)):
        for i in range(n):
            ok = i < passes
            rows.append({"id": f"{channel}{i}", "category": "good", "slice": channel, "input": f"{channel} ticket {i}",
                         "expected": "Billing", "output": "Billing" if ok else "Technical", "passed": ok,
                         "plan": "Starter" if i % 2 else "Pro"})
    return write_run(path, rows)


def test_a_slice_under_target_holds_while_the_average_clears_and_its_mirror_ships(tmp_path):
    # overall 372 of 400 = 93%, Wilson 90.1%–95.2%: clears 88%. Email 75 of 100: Wilson 65.7%–82.5%, entirely under
    overall = binomtest(372, 400).proportion_ci(method="wilson")
    email = binomtest(75, 100).proportion_ci(method="wilson")
    assert overall.low > 0.88 > email.high
    gate = [Gate(name="queue right", target=0.88)]
    run = slice_run(tmp_path / "run.csv", 75)
    held = analyze(Answers(results_file=run, gates=gate, routable_columns=["slice"]))
    assert (held.verdict, held.level) == ("Hold", "stop")
    assert held.headline == (f"Hold: the email slice passes 75.0% (75 of 100 cases, 100 distinct inputs; 95% interval "
                             f"{email.low:.1%}–{email.high:.1%}), entirely under the 88.0% target of 'queue right'; "
                             f"fix it or launch without it.")
    assert any("launch without this slice" in f.message for f in held.findings)
    not_routable = analyze(Answers(results_file=run, gates=gate))
    assert not_routable.verdict == "Hold" and "fix it before launch" in not_routable.headline
    # the mirror: email passes 97 of 100 too, and the same rule lets it ship
    mirror = analyze(Answers(results_file=slice_run(tmp_path / "mirror.csv", 97), gates=gate,
                             routable_columns=["slice"]))
    assert mirror.verdict == "Ship"


def test_an_accepted_slice_exception_does_not_hold(tmp_path):
    run = slice_run(tmp_path / "run.csv", 75)
    result = analyze(Answers(results_file=run, gates=[Gate(name="queue right", target=0.88)],
                             slice_exceptions=[{"column": "slice", "slice": "email", "reason": "email goes to "
                                                "people for now; agreed with the support lead"}]))
    assert result.verdict == "Ship"
    assert any(f.level == "caution" and "accepted as an exception: email goes to people" in f.message
               for f in result.findings)
    with pytest.raises(ValidationError, match="reason"):
        Answers(slice_exceptions=[{"column": "slice", "slice": "email"}])


def test_a_straddling_slice_is_a_caution_and_a_small_one_is_not_proven(tmp_path):
    # email 86 of 100: Wilson 77.9%–91.5% straddles 88%; by plan, 50 rows each, both clear or straddle
    run = slice_run(tmp_path / "run.csv", 86)
    result = analyze(Answers(results_file=run, gates=[Gate(name="queue right", target=0.88)],
                             slice_columns=["slice", "plan"], min_slice_inputs=60))
    assert result.verdict == "Ship" and "slice is not proven above target" in result.headline
    table = result.tables["Slices against the blocking gates (95% interval on distinct inputs)"]
    assert table.set_index("slice").loc["email", "status"] == "straddles"
    # with a minimum of 60 distinct inputs, email (100) counts; no plan slice is small here (200 each)
    assert set(table["slice column"]) == {"slice", "plan"}
    small = analyze(Answers(results_file=run, gates=[Gate(name="queue right", target=0.88)], min_slice_inputs=150))
    assert any("under 150 distinct inputs and are not proven either way" in f.message or
               "under 150 distinct inputs and is not proven either way" in f.message for f in small.findings)


def test_slice_settings_that_cannot_work_are_errors_naming_the_field(tmp_path):
    with pytest.raises(ValidationError, match="min_slice_inputs"):
        Answers(min_slice_inputs=0)
    run = slice_run(tmp_path / "run.csv", 90)
    with pytest.raises(CaseError, match=r"evaluation\.slice_columns\[0\]: 'language' is not a column"):
        analyze(Answers(results_file=run, gates=[Gate(name="g", target=0.8)], slice_columns=["language"]))


# ---- several outputs -------------------------------------------------------------------------------------------

def test_priority_is_graded_by_the_recall_of_p1(tmp_path):
    f = frame(["Billing"] * 6, ["Billing"] * 6, passed=[True] * 6)
    f["input"] = [f"t{i}" for i in range(6)]
    f["expected_priority"] = ["P1", "P1", "P1", "P1", "P2", "P3"]
    f["priority"] = ["P1", "P2", "p1", "P1", "P1", "P3"]  # one outage missed; a false alarm does not count
    f.to_csv(tmp_path / "run.csv", index=False)
    result = analyze(Answers(results_file=tmp_path / "run.csv", min_distinct_inputs=1, outputs=[{
        "name": "priority", "output_column": "priority", "expected_column": "expected_priority", "grader": "recall",
        "level": "P1", "gates": [{"name": "outages", "target": 0.7}]}]))
    gate = result.tables["Gates"].set_index("gate").loc["outages"]
    assert (gate["cases"], gate["pass rate (%)"], gate["output"]) == (4, 75.0, "priority")  # 3 of the 4 P1 rows
    with pytest.raises(ValidationError, match="level"):
        Answers(outputs=[{"name": "priority", "grader": "recall"}])


def test_an_injection_is_graded_on_the_forbidden_value_not_exact_match(tmp_path):
    f = frame(["Billing", "Billing", "Billing", "Technical"], ["Billing", "Technical", "Sales & renewals", "Technical"],
              passed=[True, False, False, True])
    f["input"] = ["a", "b", "c", "d"]
    f["category"] = "adversarial"
    f["forbidden_output"] = ["Technical", "technical", "Technical", ""]  # the last row has no instruction to obey
    f.to_csv(tmp_path / "run.csv", index=False)
    result = analyze(Answers(results_file=tmp_path / "run.csv", grader="exact", min_distinct_inputs=1, outputs=[{
        "name": "injection", "grader": "not_forbidden", "gates": [{"name": "not obeyed", "target": 0.5}]}]))
    gate = result.tables["Gates"].set_index("gate").loc["not obeyed"]
    # 3 graded rows; only row b chose the queue the attack asked for: 2 of 3 pass (exact match would pass 1 of 3)
    assert (gate["cases"], gate["pass rate (%)"]) == (3, round(200 / 3, 1))


def test_a_cited_answer_passes_only_when_both_labels_say_so(tmp_path):
    f = frame(["HR-1 v2", "HR-1 v2", "HR-1 v2"], ["Carry over 5 days. [HR-1 v2]", "Carry over 20 days. [HR-1 v2]",
                                                   "Carry over 5 days."])
    f["answer_correct"] = [True, False, True]
    f["citation_supported"] = ["true", "false", "FALSE"]
    assert grade(f, "contains").tolist() == [True, True, False]  # the keyword check passes the invented claim
    assert grade(f, "labels").tolist() == [True, False, False]
    del f["citation_supported"]
    with pytest.raises(ResultsFileError, match="missing column 'citation_supported'"):
        grade(f, "labels")


def test_a_graded_field_that_is_not_a_column_is_one_error_naming_the_field(tmp_path):
    run = write_run(tmp_path / "run.csv", run_rows({"good": [True] * 5}))
    answers = Answers(results_file=run, outputs=[{"name": "priority", "output_column": "priority",
                                                   "expected_column": "expected_priority"}])
    with pytest.raises(CaseError, match=r"evaluation\.outputs\[0\]\.output_column: output 'priority' grades column "
                                        r"'priority', which the results file run\.csv does not have"):
        analyze(answers)


def test_a_case_file_with_a_slice_minimum_of_zero_names_the_field(tmp_path):
    import shutil

    import yaml

    text = (CASES / "support-triage.yaml").read_text()
    data = yaml.safe_load(text)
    data["evaluation"]["min_slice_inputs"] = 0
    shutil.copytree(CASES / "support-triage", tmp_path / "support-triage")
    (tmp_path / "mine.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(CaseError, match=r"min_slice_inputs") as caught:
        load_case(tmp_path / "mine.yaml").answers("evaluation")
    assert "mine.yaml" in str(caught.value)


# ---- near-copies ----------------------------------------------------------------------------------------------

def test_the_vectorised_signatures_are_datasketchs_minhash():
    from datasketch import MinHash

    from aipm_kit import evalset

    texts = ["the export to csv times out after thirty seconds", "help", "refund please now"]
    ours = evalset._signatures(texts, 64)

    def hash32(shingle: str) -> int:  # the same 32-bit shingle hash, given to datasketch's own MinHash
        return int(pd.util.hash_array(np.array([shingle], dtype=object))[0] & 0xFFFFFFFF)

    for text, row in zip(texts, ours):
        theirs = MinHash(num_perm=64, seed=1, scheme="legacy", hashfunc=hash32)
        for shingle in evalset._shingles(text):
            theirs.update(shingle)
        assert row.tolist() == theirs.hashvalues.tolist()


def test_near_copies_are_found_and_the_answer_is_cached(tmp_path, monkeypatch):
    from aipm_kit import evalset

    monkeypatch.setenv("AIPM_KIT_CACHE", str(tmp_path / "cache"))
    base = "hi team the export to csv times out after thirty seconds on our two gigabyte workspace"
    texts = [f"{base} thanks anna", f"{base} thanks marco", "please send the invoice with our vat number on it"]
    # the two tickets share 14 of their 16 word 3-grams (Jaccard 14 / 16 = 0.875 ≥ 0.8); the third shares none
    assert evalset.near_duplicate_groups(texts) == [[0, 1]]
    rows = run_rows({"good": [True, True, True]})
    for row, text in zip(rows, texts):
        row["input"] = text
    path = write_run(tmp_path / "run.csv", rows)
    assert evalset.find_near_duplicates(path) == [texts[:2]]
    monkeypatch.setattr(evalset, "near_duplicate_groups", lambda *a, **k: pytest.fail("not cached"))
    assert evalset.find_near_duplicates(path) == [texts[:2]]  # remembered in this process
    monkeypatch.setattr(evalset, "_FOUND", {})
    copy = tmp_path / "copy.csv"
    copy.write_bytes(path.read_bytes())
    assert evalset.find_near_duplicates(copy) == [texts[:2]]  # read back from disk by the content hash
    assert len(list((tmp_path / "cache" / "near-duplicates").glob("*.json"))) == 1


def test_the_self_check_quotes_the_kits_numbers_and_spreads_its_answers():
    from aipm_kit.questions.evaluation import self_check

    checks = self_check()

    assert len({c.answer for c in checks}) == len(checks)  # not always the same position
    low, high = wilson_interval(214, 269)
    assert f"{low:.1%}–{high:.1%}" in checks[2].question and high < 0.86
    # 40 tickets × 20 rows, all rows of a ticket agreeing: worth 40 cases
    assert checks[1].options[checks[1].answer].startswith("40: one per distinct ticket")


# ---- graders ---------------------------------------------------------------------------------------------

def frame(expected: list[str], output: list[str], **extra) -> pd.DataFrame:
    n = len(expected)
    return pd.DataFrame({"id": [f"x{i}" for i in range(n)], "category": ["good"] * n, "slice": [""] * n,
                         "input": [""] * n, "expected": expected, "output": output, **extra})


def test_graders():
    f = frame(["Billing", "Billing", "42", "^P[12]$", '{"queue": "Billing"}'],
              [" billing ", "Billing dept", "42.4", "P2", '{"queue":"Billing"}'], score=[0.9, 0.5, 0.49, 1, 0])
    assert grade(f, "exact").tolist() == [True, False, False, False, False]
    assert grade(f, "exact", case_sensitive=True).tolist()[0] is False  # ' billing ' ≠ 'Billing' when strict
    assert grade(f, "contains").tolist()[:2] == [True, True]
    assert grade(f, "score", threshold=0.5).tolist() == [True, True, False, True, False]
    numbers = frame(["42", "10"], ["42.4", "ten"])
    assert grade(numbers, "numeric", tolerance=0.5).tolist() == [True, False]  # not a number: a fail
    assert grade(numbers, "numeric", tolerance=0.3).tolist() == [False, False]
    assert grade(frame(["^P[12]$", "^P[12]$"], ["P2", "P3"]), "regex").tolist() == [True, False]
    js = frame(['{"queue": "Billing"}', "", "any JSON"], ['{"queue":"Billing"}', "[1, 2", '{"a": 1}'])
    assert grade(js, "json").tolist() == [True, False, True]
    assert not grade(frame(['{"q": 1}'], ['{"q": 2}']), "json").iloc[0]  # valid, but not the expected JSON


def test_a_bad_regular_expression_names_the_case(tmp_path):
    with pytest.raises(ResultsFileError, match=r"case 'x0'.*column 'expected'|column 'expected'.*case 'x0'"):
        grade(frame(["([unclosed"], ["x"]), "regex", file=tmp_path / "run.csv")


def test_a_pattern_that_backtracks_without_end_stops_with_its_file_row_and_column(tmp_path):
    import time

    # (a|aa)+$ on 60 a's and a b tries every way to split the a's (Fibonacci(60) ≈ 1.5e12): Python's re would run
    # for hours. It is case x1, on row 3 of the file (the header is row 1).
    run = frame(["^P[12]$", r"(a|aa)+$", "^P[12]$"], ["P2", "a" * 60 + "b", "P1"])
    started = time.perf_counter()
    with pytest.raises(ResultsFileError) as error:
        grade(run, "regex", file=tmp_path / "run.csv")
    assert time.perf_counter() - started < 5  # REGEX_TIMEOUT is 0.25 s; the regex package overshoots under load
    assert str(error.value).startswith(f"{tmp_path / 'run.csv'}: column 'expected': the regular expression of "
                                       "case 'x1' (row 3) was stopped after 0.25 s")
    # The classic (a+)+$ on 40 a's and a b (2^40 ways in re) is answered at once by the regex package: no match.
    started = time.perf_counter()
    assert grade(frame([r"(a+)+$", r"(a+)+$"], ["a" * 40 + "b", "aaa"]), "regex").tolist() == [False, True]
    assert time.perf_counter() - started < 2


def test_numeric_grader_needs_numbers_in_expected():
    with pytest.raises(ResultsFileError, match=r"column 'expected'.*first id 'x0'"):
        grade(frame(["about ten"], ["10"]), "numeric")


# ---- the results file ------------------------------------------------------------------------------------

def test_read_results_reads_the_bundled_run_as_documented():
    run = read_results(RESULTS)
    assert list(run.columns) == [*REQUIRED_COLUMNS, "passed", "priority", "expected_priority", "forbidden_output"]
    assert len(run) == 800 and run["passed"].dtype == bool
    assert run["id"].is_unique


def test_extra_columns_are_kept_and_passed_accepts_any_letter_case(tmp_path):
    path = tmp_path / "run.csv"
    path.write_text("id,category,slice,input,expected,output,passed,source,added\n"
                    "1,good,,hi,NA,NA,TRUE,review,2025-06-02\n2,bad,chat,,x,y,false,review,2025-06-02\n")
    run = read_results(path)
    assert run["passed"].tolist() == [True, False]
    assert run["expected"].tolist() == ["NA", "x"]  # a label "NA" stays text, not a missing value
    assert run["source"].tolist() == ["review", "review"]


@pytest.mark.parametrize("text, column, message", [
    ("id,category,slice,input,expected,passed\n1,good,,a,b,true\n", "output", "missing column 'output'"),
    ("id,category,slice,input,expected,output\n1,good,,a,b,b\n", "passed", "'passed' .* or 'score'"),
    ("id,category,slice,input,expected,output,passed\n1,good,,a,b,b,yes\n2,good,,a,b,b,true\n", "passed",
     "other than true/false .*first id '1'; found 'yes'"),
    ("id,category,slice,input,expected,output,passed\n1,good,,a,b,b,\n", "passed", "other than true/false"),
    ("id,category,slice,input,expected,output,score\n1,good,,a,b,b,high\n", "score", "other than a number"),
    ("id,category,slice,input,expected,output,passed\n1,good,,a,b,b,true\n1,bad,,a,b,b,true\n", "id",
     "appear more than once .*first '1'"),
    ("id,category,slice,input,expected,output,passed\n1,,,a,b,b,true\n", "category", "no category"),
    ("id,categroy,slice,input,expected,output,passed\n1,good,,a,b,b,true\n", "category", "did you mean 'categroy'"),
])
def test_bad_files_get_an_error_naming_the_file_and_the_column(tmp_path, text, column, message):
    path = tmp_path / "run.csv"
    path.write_text(text)
    with pytest.raises(ResultsFileError, match=message) as caught:
        read_results(path)
    assert caught.value.column == column
    assert str(path) in str(caught.value) and f"column {column!r}" in str(caught.value)
    assert isinstance(caught.value, CaseError)  # the notebooks and the CLI catch every case error alike


def test_an_empty_file_and_a_header_without_rows(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ResultsFileError, match=r"empty\.csv: the file is empty"):
        read_results(empty)
    header = tmp_path / "header.csv"
    header.write_text("id,category,slice,input,expected,output,passed\n")
    with pytest.raises(ResultsFileError, match="no eval cases"):
        read_results(header)


def test_parquet_is_read_when_pyarrow_is_there(tmp_path):
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        (tmp_path / "run.parquet").write_bytes(b"PAR1")
        with pytest.raises(ResultsFileError, match="needs pyarrow"):
            read_results(tmp_path / "run.parquet")
        return
    results, _ = datasets.write_eval_runs(tmp_path, n=50, suffix=".parquet")
    assert len(read_results(results)) == 50


def test_a_baseline_with_no_ids_in_common_is_an_error_naming_it(tmp_path):
    run = write_run(tmp_path / "run.csv", run_rows({"good": [True, False]}))
    other = pd.DataFrame(run_rows({"good": [True, True]}))
    other["id"] = ["old-1", "old-2"]
    other.to_csv(tmp_path / "old.csv", index=False)
    answers = Answers(results_file=run, baseline_file=tmp_path / "old.csv")
    with pytest.raises(ResultsFileError, match=r"old\.csv: column 'id': no ids in common with the results file run"):
        analyze(answers)


# ---- the decision -----------------------------------------------------------------------------------------

def test_no_eval_run_is_a_no_ship():
    result = analyze(Answers())
    assert (result.verdict, result.level) == ("No-ship", "stop")
    assert "no eval run" in result.headline


def test_no_blocking_gate_holds(tmp_path):
    run = write_run(tmp_path / "run.csv", run_rows({"good": [True] * 9 + [False]}))
    result = analyze(Answers(results_file=run))
    assert (result.verdict, result.level) == ("Hold", "caution")
    assert "no blocking gate" in result.headline


@pytest.mark.parametrize("passes, verdict", [
    (46, "Hold"),     # 92% over 90%, but the interval's low end is 81.2%: not proven
    (40, "No-ship"),  # 80%: fails
    (50, "Ship"),     # 50 of 50: interval 92.9%–100% clears 90%
])
def test_the_blocking_gate_decides(tmp_path, passes, verdict):
    run = write_run(tmp_path / "run.csv", run_rows({"good": [True] * passes + [False] * (50 - passes)}))
    result = analyze(Answers(results_file=run, gates=[Gate(name="accuracy", target=0.9)]))
    assert result.verdict == verdict


def test_a_guardrail_warns_but_does_not_decide(tmp_path):
    run = write_run(tmp_path / "run.csv", run_rows({"good": [True] * 50, "edge": [True] * 5 + [False] * 5}))
    result = analyze(Answers(results_file=run, gates=[Gate(name="all", target=0.7),
                                                      Gate(name="edge", category="edge", target=0.8,
                                                           kind="guardrail")]))
    assert result.verdict == "Ship"
    assert any(f.level == "caution" and "Guardrail gate 'edge' fails" in f.message for f in result.findings)


def test_a_gate_on_a_category_the_run_lacks_stops_and_names_the_categories(tmp_path):
    run = write_run(tmp_path / "run.csv", run_rows({"good": [True] * 20}))
    result = analyze(Answers(results_file=run, gates=[Gate(name="adv", category="adversarial", target=0.8)]))
    assert result.verdict == "No-ship"
    assert any("category 'adversarial'; the run has 'good'" in f.message for f in result.findings)


def test_a_significant_regression_holds_unless_told_otherwise(tmp_path):
    # baseline passes all 40; the new run fails 10 of them and fixes none: exact p = 2 × ½¹⁰ = 0.00195
    base = write_run(tmp_path / "base.csv", run_rows({"good": [True] * 40}))
    run = write_run(tmp_path / "run.csv", run_rows({"good": [True] * 30 + [False] * 10}))
    gate = [Gate(name="all", target=0.5)]
    held = analyze(Answers(results_file=run, baseline_file=base, gates=gate))
    assert held.verdict == "Hold" and "significantly worse than the baseline" in held.headline
    listed = analyze(Answers(results_file=run, baseline_file=base, gates=gate, regression_blocks=False))
    assert listed.verdict == "Ship"
    assert any("exact McNemar p = 0.0020" in f.message for f in listed.findings)


def test_quotas_show_what_is_missing(tmp_path):
    run = write_run(tmp_path / "run.csv", run_rows({"good": [True] * 30, "bad": [True] * 5}))
    result = analyze(Answers(results_file=run, quotas=[{"category": "good", "cases": 30},
                                                       {"category": "bad", "cases": 20},
                                                       {"category": "edge", "cases": 10}]))
    table = result.tables["Coverage: eval cases per category against the quotas"].set_index("category")
    assert table["short by"].to_dict() == {"good": 0, "bad": 15, "edge": 10}
    assert any("'bad' has 5 of its 20 quota cases" in f.message for f in result.findings)
    # edge has no cases: the worst case p = ½ → 1.96² × 0.25 / 0.05² = 384.1 → 385
    assert table.loc["edge", "cases for ±5%"] == 385


def test_duplicate_gate_names_and_quota_categories_are_rejected():
    with pytest.raises(ValidationError, match="gates: each name once; repeated: a"):
        Answers(gates=[Gate(name="a"), Gate(name="A")])
    with pytest.raises(ValidationError, match="quotas: each category once; repeated: edge"):
        Answers(quotas=[{"category": "edge"}, {"category": "edge"}])


# ---- starting answers from question 5 ------------------------------------------------------------------------

def test_starting_answers_without_question_5_are_the_four_basic_quotas():
    quotas = starting_answers(None)["quotas"]
    assert [q["category"] for q in quotas] == ["good", "bad", "edge", "adversarial"]
    Answers.model_validate(starting_answers(None))


def test_starting_answers_add_a_quota_per_failure_mode_of_question_5():
    case = load_case("support-triage")
    quotas = {q["category"]: q["cases"] for q in starting_answers(case)["quotas"]}
    # question 5 lists "Outage reported as a routine question" at severity 5: 20 × 5 = 100 cases
    assert quotas["Outage reported as a routine question"] == 100
    assert quotas["Wrong queue for a routine ticket"] == 40  # severity 2
    Answers.model_validate(starting_answers(case))


# ---- the bundled data --------------------------------------------------------------------------------------

def test_eval_runs_are_deterministic_and_match_the_bundled_files():
    candidate, baseline = datasets.eval_runs()
    again, _ = datasets.eval_runs()
    pd.testing.assert_frame_equal(candidate, again)
    on_disk = read_results(RESULTS)
    assert on_disk["passed"].tolist() == candidate["passed"].tolist()
    assert read_results(BASELINE)["output"].tolist() == baseline["output"].tolist()


def test_eval_runs_have_their_documented_effects_at_other_seeds():
    # the effects are built in, not a lucky seed: at 20,000 cases they show plainly
    candidate, baseline = datasets.eval_runs(n=20_000, seed=1)
    rates = candidate.groupby("category")["passed"].mean()
    # edge: 0.72 × (1 − 35% email × 10% regression) = 0.6948, then 1% noise flips: 0.6948 × 0.99 + 0.3052 × 0.01
    # = 0.6909
    assert rates.idxmin() == "edge" and rates["edge"] == pytest.approx(0.6909, abs=0.01)
    newly_failing = baseline["passed"] & ~candidate["passed"]
    newly_fixed = ~baseline["passed"] & candidate["passed"]
    assert newly_fixed.sum() > newly_failing.sum()
    assert candidate.loc[newly_failing, "slice"].value_counts().idxmax() == "email"


# ---- any answers: rejected cleanly or analyzed -------------------------------------------------------------

_numbers = st.one_of(st.integers(-5, 10**6), st.floats(-2, 1e6), st.sampled_from([float("nan"), float("inf")]), st.none())
_text = st.text(max_size=12)
_gate = st.fixed_dictionaries({
    "name": _text, "category": st.sampled_from(["", "good", "bad", "edge", "adversarial", "nope"]),
    "slice": st.sampled_from(["", "email", "chat", "web form", "fax"]), "target": _numbers,
    "kind": st.sampled_from(["blocking", "guardrail", "maybe"]),
})
_answers = st.fixed_dictionaries({
    "results_file": st.sampled_from([None, str(RESULTS), "missing.csv"]),
    "baseline_file": st.sampled_from([None, str(BASELINE)]),
    "grader": st.sampled_from(["passed", "score", "exact", "contains", "numeric", "json", "fuzzy"]),
    "score_threshold": _numbers, "case_sensitive": st.booleans(), "tolerance": _numbers,
    "gates": st.lists(_gate, max_size=3), "confidence": _numbers, "margin": _numbers,
    "quotas": st.lists(st.fixed_dictionaries({"category": _text, "cases": _numbers}), max_size=3),
    "regression_blocks": st.booleans(),
    "min_distinct_inputs": st.one_of(st.integers(-1, 200), st.none()),
    "min_slice_inputs": st.integers(-1, 100),
    "slice_columns": st.sampled_from([["slice"], [], ["slice", "priority"], ["nope"]]),
    "routable_columns": st.sampled_from([[], ["slice"]]),
    "outputs": st.lists(st.fixed_dictionaries({
        "name": st.sampled_from(["", "priority", "injection"]),
        "output_column": st.sampled_from(["output", "priority", "missing"]),
        "expected_column": st.sampled_from(["expected", "expected_priority"]),
        "grader": st.sampled_from(["exact", "recall", "not_forbidden", "labels", "fuzzy"]),
        "level": st.sampled_from(["", "P1"]), "gates": st.lists(_gate, max_size=2)}), max_size=2),
})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_answers)
def test_any_answers_are_either_rejected_by_validation_or_analyzed_without_crashing(values):
    try:
        parsed = Answers.model_validate(values)
    except ValidationError:
        return  # rejected input is a validation error, never a crash
    try:
        result = analyze(parsed)
    except ResultsFileError as exc:
        # the bundled run has no score column and its expected answers are queues, not numbers: asking for
        # the score or numeric grader is a file error naming the column; it has no label columns either
        assert (parsed.grader, exc.column) in (("score", "score"), ("numeric", "expected"),
                                               ("labels", "answer_correct")) or exc.column == "answer_correct"
        return
    except CaseError as exc:
        # a graded output or a slice column the file does not have: one error naming the field
        assert exc.section == "evaluation" and exc.field.startswith(("outputs[", "slice_columns["))
        return
    assert result.level in LEVELS
    assert result.verdict in ("Ship", "Hold", "No-ship")
    assert result.headline
