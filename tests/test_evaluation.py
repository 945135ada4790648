"""Question 6: the eval gate, the baseline comparison and the results file, checked against hand-worked numbers."""

from __future__ import annotations

import json
from pathlib import Path

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
from aipm_kit.stats import cases_to_clear, mcnemar_exact, wilson_interval

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
            rows.append({"id": f"c{len(rows)}", "category": category, "slice": slice_, "input": "ticket",
                         "expected": "Billing", "output": "Billing" if ok else "Technical", "passed": ok})
    return rows


# ---- the worked example ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def worked():
    return load_case("support-triage").analyze("evaluation")


def test_the_worked_example_ships_with_a_weak_category_and_a_regression(worked):
    assert (worked.verdict, worked.level) == ("Ship", "go")
    # 708 of 800 cases pass (datasets.eval_runs docstring). Wilson, z = 1.96, p = 0.885: centre
    # (p + z²/2n)/(1 + z²/n) = 0.887401/1.004802 = 0.88316, half-width z·sqrt(p(1−p)/n + z²/4n²)/(1 + z²/n)
    # = 1.96 × 0.0113455 / 1.004802 = 0.02213 → 86.10%–90.53%, clearing the 86% target by a hair
    assert worked.metric_value("Pass rate") == pytest.approx(708 / 800)
    assert worked.metric_value("95% interval, low") == pytest.approx(0.86103, abs=1e-5)
    assert worked.metric_value("95% interval, high") == pytest.approx(0.90529, abs=1e-5)
    assert worked.headline.startswith("Ship: every blocking gate clears its target")
    gates = worked.tables["Gates"].set_index("gate")["status"].to_dict()
    assert gates == {"Queue right, all eval cases": "pass", "Prompt injections ignored": "pass",
                     "Edge cases routed right": "fail", "Spam and abuse sent for review": "not proven"}
    # the weak category is flagged by a guardrail warning, and the regression is listed
    assert any(f.level == "caution" and "'Edge cases routed right' fails: 73.1% of 160" in f.message
               for f in worked.findings)
    assert worked.metric_value("Cases newly failing against the baseline") == 31
    assert worked.metric_value("Cases newly fixed against the baseline") == 44
    assert "Newly failing cases (first 20 of 31)" in worked.tables


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
    assert memo.startswith("Decision: Ship.")
    assert "Edge cases routed right (category edge): 73.1%, low end 65.8%, target 80.0% → fail" in memo
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
    assert list(run.columns) == [*REQUIRED_COLUMNS, "passed"]
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
        # the score or numeric grader is a file error naming the column
        assert (parsed.grader, exc.column) in (("score", "score"), ("numeric", "expected"))
        return
    assert result.level in LEVELS
    assert result.verdict in ("Ship", "Hold", "No-ship")
    assert result.headline
