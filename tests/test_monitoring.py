"""Question 7: the p-chart, drift, review sample and promotion checked against numbers worked out by hand."""

from __future__ import annotations

import math
import random
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from scipy.stats import chi2, entropy

from aipm_kit import synth
from aipm_kit.case import CaseError, load_case
from aipm_kit.questions import monitoring
from aipm_kit.questions.monitoring import (
    Answers,
    analyze,
    pareto,
    prepare_log,
    promote,
    promotion_candidates,
    read_log,
    review_sample,
    segment_feedback,
    segment_mix,
    weekly_feedback,
    write_review_sample,
)
from aipm_kit.result import LEVELS
from aipm_kit.stats import (
    cochran_mantel_haenszel,
    kish_effective_sample_size,
    kitagawa_decomposition,
    mix_adjusted_limits,
    mix_adjusted_rate,
    p_chart_limits,
    population_stability_index,
    sigmas_for_many_charts,
    psi_noise_level,
    sample_size_for_margin,
)

CASES = Path(__file__).resolve().parent.parent / "cases"


# ---- helpers ---------------------------------------------------------------------------------------------

def make_log(weeks: list[tuple[int, int]], segment: str = "web form", start: str = "2025-09-01") -> pd.DataFrame:
    """A log with, for each week, (outputs, negatives): one output per hour from the week's Monday."""
    rows = []
    monday = pd.Timestamp(start)
    for w, (n, negative) in enumerate(weeks):
        for i in range(n):
            rows.append({"timestamp": (monday + pd.Timedelta(weeks=w, hours=i % 120)).isoformat(),
                         "id": f"T{w:02d}{i:05d}", "segment": segment, "input": f"ticket {w}-{i}",
                         "output": "Billing", "confidence": 0.9, "feedback": "negative" if i < negative else "ok"})
    return pd.DataFrame(rows)


def write(tmp_path: Path, name: str, frame: pd.DataFrame) -> Path:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def bundled() -> Answers:
    return load_case("support-triage").answers("monitoring")


@pytest.fixture(scope="module")
def small_log(tmp_path_factory) -> Path:
    """Three weeks of triage traffic, 80 outputs a week: big enough for every step, quick to analyse."""
    path = tmp_path_factory.mktemp("log") / "log.csv"
    synth.draw("support-triage", "log", weeks=3, per_week=80).to_csv(path, index=False)
    return path


# ---- the statistics ---------------------------------------------------------------------------------------

def test_p_chart_limits_by_hand():
    # p̄ = 0.10, n = 1,000: 3 × √(0.1 × 0.9 / 1000) = 3 × 0.0094868 = 0.028460
    low, high = p_chart_limits(0.10, 1000)
    assert (low, high) == (pytest.approx(0.071540, abs=1e-6), pytest.approx(0.128460, abs=1e-6))
    # n = 25: 3 × √(0.09 / 25) = 0.18 → the lower limit clips at 0
    assert p_chart_limits(0.10, 25) == (0.0, pytest.approx(0.28))
    lows, highs = p_chart_limits(0.10, [1000, 0])
    assert math.isnan(lows[1]) and math.isnan(highs[1])


def test_psi_by_hand_and_as_symmetric_kl():
    # shares 50/50 → 60/40: 0.1 × ln(0.6/0.5) + (−0.1) × ln(0.4/0.5) = 0.018232 + 0.022314 = 0.040546
    reference = np.repeat([0.0, 1.0], [50, 50])
    current = np.repeat([0.0, 1.0], [60, 40])
    assert population_stability_index(reference, current, bins=2) == pytest.approx(0.040546, abs=1e-6)
    # the same number from scipy: KL(c‖r) + KL(r‖c)
    assert population_stability_index(reference, current, bins=2) == pytest.approx(
        entropy([0.6, 0.4], [0.5, 0.5]) + entropy([0.5, 0.5], [0.6, 0.4]))
    assert population_stability_index(reference, reference) == 0.0


def test_psi_of_a_sample_against_itself_stays_under_the_noise_level():
    rng = np.random.default_rng(1)
    values = [population_stability_index(rng.normal(size=500), rng.normal(size=500)) for _ in range(200)]
    # χ²₉ at 95% is 16.919 (any chi-square table), so the level is (1/500 + 1/500) × 16.919 = 0.0677
    level = psi_noise_level(500, 500)
    assert level == pytest.approx(0.0677, abs=1e-4)
    assert level == pytest.approx(0.004 * chi2.ppf(0.95, 9))
    # about 5% of same-population pairs should exceed it (binomial(200, 0.05): 95% of runs give 3–17)
    assert 2 <= sum(v > level for v in values) <= 20
    assert psi_noise_level(200, 200) == pytest.approx(0.1692, abs=1e-4)  # 0.01 × 16.919


def test_kish_effective_sample_size_by_hand():
    assert kish_effective_sample_size([1, 1, 4, 4]) == pytest.approx(100 / 34)  # (Σw)² / Σw² = 10² / 34
    assert kish_effective_sample_size([3.0] * 50) == pytest.approx(50)  # equal weights lose nothing
    assert kish_effective_sample_size([]) == 0.0


# ---- reading the log --------------------------------------------------------------------------------------

def test_the_log_is_typed_and_weeks_start_on_monday(tmp_path):
    path = write(tmp_path, "log.csv", make_log([(3, 1)], start="2025-09-03"))  # a Wednesday
    log = read_log(path)
    assert list(log["week"].dt.date.unique()) == [pd.Timestamp("2025-09-01").date()]
    assert log["confidence"].dtype == float
    assert list(log["input_length"]) == [len("ticket 0-0"), len("ticket 0-1"), len("ticket 0-2")]


def test_timestamps_with_different_offsets_are_compared_in_utc():
    frame = make_log([(2, 0)])
    frame["timestamp"] = ["2025-09-01T08:00:00+02:00", "2025-09-01T08:00:00+01:00"]
    log = prepare_log(frame, "log.csv")
    assert list(log["timestamp"].dt.hour) == [6, 7]


@pytest.mark.parametrize("change, words", [
    (lambda f: f.drop(columns="feedback"), ["log.csv", "missing column feedback"]),
    (lambda f: f.drop(columns=["segment", "confidence"]), ["log.csv", "missing columns segment, confidence"]),
    (lambda f: f.assign(timestamp=["2025-09-01T08:00:00", "yesterday", "31/02/2025"]),
     ["log.csv", "column timestamp", "2 values", "row 3", "'yesterday'"]),
    (lambda f: f.assign(confidence=["0.9", "high", "0.5"]), ["log.csv", "column confidence", "row 3", "'high'"]),
    (lambda f: f.assign(confidence=[0.9, 1.5, 0.5]), ["log.csv", "column confidence", "from 0 to 1"]),
    (lambda f: f.assign(id=["a", "", "c"]), ["log.csv", "column id", "row 3"]),
    (lambda f: f.iloc[0:0], ["log.csv", "no rows"]),
])
def test_a_bad_log_names_the_file_and_the_column(tmp_path, change, words):
    path = write(tmp_path, "log.csv", change(make_log([(3, 1)])))
    with pytest.raises(ValueError) as error:
        read_log(path)
    for word in words:
        assert word in str(error.value)


def test_an_empty_log_file_is_a_clear_error(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("")
    with pytest.raises(ValueError, match="log.csv: the file is empty"):
        read_log(path)


def test_a_case_whose_log_lacks_a_column_fails_at_load_naming_section_and_field(tmp_path):
    write(tmp_path, "log.csv", make_log([(3, 1)]).drop(columns="confidence"))
    (tmp_path / "case.yaml").write_text("name: t\nmonitoring:\n  log: log.csv\n")
    with pytest.raises(CaseError) as error:
        load_case(tmp_path / "case.yaml")
    assert (error.value.section, error.value.field) == ("monitoring", "log")
    assert "log.csv: missing column confidence" in str(error.value)


# ---- the p-chart ------------------------------------------------------------------------------------------

def test_weekly_feedback_p_chart_by_hand():
    # reference weeks 1–2: 10 + 10 negatives of 100 + 100 outputs → p̄ = 0.10;
    # limits at n = 100: 0.10 ± 3 √(0.09 / 100) = 0.10 ± 0.09 → 0.01 to 0.19
    log = prepare_log(make_log([(100, 10), (100, 10), (100, 15), (100, 0), (100, 25)]))
    chart = weekly_feedback(log, "negative", reference_weeks=2)
    assert chart["centre"].iloc[0] == pytest.approx(0.10)
    assert chart["lower"].iloc[0] == pytest.approx(0.01) and chart["upper"].iloc[0] == pytest.approx(0.19)
    assert list(chart["rate"]) == pytest.approx([0.10, 0.10, 0.15, 0.0, 0.25])
    assert list(chart["signal"]) == ["", "", "", "below", "above"]


def test_feedback_base_counts_only_rated_outputs():
    frame = make_log([(10, 2)])
    frame.loc[5:, "feedback"] = ""  # five outputs got no feedback at all
    log = prepare_log(frame)
    assert weekly_feedback(log, "negative", "all outputs")["rate"].iloc[0] == pytest.approx(2 / 10)
    assert weekly_feedback(log, "NEGATIVE ", "outputs with feedback")["rate"].iloc[0] == pytest.approx(2 / 5)


# ---- drift --------------------------------------------------------------------------------------------------

def test_segment_mix_chi_square_and_cramers_v_by_hand():
    reference = pd.DataFrame({"segment": ["a"] * 50 + ["b"] * 50})
    current = pd.DataFrame({"segment": ["a"] * 30 + ["b"] * 70})
    mix, test = segment_mix(reference, current)
    # expected counts 40 / 60 in each window: χ² = 2 × (10²/40 + 10²/60) = 8.333; V = √(8.333 / 200) = 0.2041
    assert test["chi2"] == pytest.approx(8.3333, abs=1e-4)
    assert test["p"] == pytest.approx(chi2.sf(25 / 3, 1))
    assert test["cramers_v"] == pytest.approx(0.2041, abs=1e-4)
    assert list(mix["change (points)"]) == [-20.0, 20.0]


# ---- the review sample --------------------------------------------------------------------------------------

def risky_week(risky: int = 100, other: int = 900) -> pd.DataFrame:
    frame = make_log([(risky + other, risky)])
    return prepare_log(frame)


def test_oversampling_gives_risky_outputs_k_times_the_chance_and_weights_undo_it():
    # 100 risky (negative) and 900 other, budget 100, factor 3: the rate r solves 3r × 100 + r × 900 = 100,
    # r = 1/12, so 25 risky (probability 1/4, weight 4) and 75 other (probability 1/12, weight 12)
    a = Answers(negative_feedback="negative", review_budget=100, sampling="oversample risky", oversample=3)
    sample = review_sample(a, log=risky_week())
    counts = sample.groupby("stratum")["weight"].agg(["size", "first"])
    assert counts.loc["risky"].tolist() == [25, pytest.approx(4.0)]
    assert counts.loc["other"].tolist() == [75, pytest.approx(12.0)]
    # weighted, the sample's negative rate is the week's: (25 × 4) / (25 × 4 + 75 × 12) = 100 / 1000
    is_negative = sample["feedback"] == "negative"
    assert (sample["weight"] * is_negative).sum() / sample["weight"].sum() == pytest.approx(0.10)
    assert is_negative.mean() == pytest.approx(0.25)  # unweighted: inflated 2.5×


def test_stratified_sample_splits_half_equally_and_half_by_size():
    frames = [make_log([(n, 0)], segment=s) for s, n in (("web", 600), ("email", 300), ("chat", 100))]
    log = prepare_log(pd.concat(frames, ignore_index=True).assign(id=lambda f: [f"T{i}" for i in range(len(f))]))
    a = Answers(negative_feedback="negative", review_budget=100, sampling="stratified by segment")
    sample = review_sample(a, log=log)
    # shares 1/6 + ½ × (0.6, 0.3, 0.1) = 0.4667, 0.3167, 0.2167 → 46.67, 31.67, 21.67 → 47, 32, 21
    assert sample["segment"].value_counts().to_dict() == {"web": 47, "email": 32, "chat": 21}
    assert sample.groupby("segment")["weight"].first().to_dict() == pytest.approx(
        {"web": 600 / 47, "email": 300 / 32, "chat": 100 / 21}, abs=1e-4)


def test_the_sample_is_reproducible_whatever_the_file_order():
    a = Answers(negative_feedback="negative", review_budget=50, sampling="oversample risky", seed=11)
    frame = make_log([(300, 40)])
    first = review_sample(a, log=prepare_log(frame))
    shuffled = review_sample(a, log=prepare_log(frame.sample(frac=1, random_state=3)))
    assert list(first["id"]) == list(shuffled["id"])
    other_seed = review_sample(a.model_copy(update={"seed": 12}), log=prepare_log(frame))
    assert list(first["id"]) != list(other_seed["id"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 500), min_size=1, max_size=6), st.integers(0, 1500),
       st.lists(st.floats(0.01, 10), min_size=6, max_size=6))
def test_allocation_never_overdraws_a_stratum_and_spends_the_budget(sizes, budget, shares):
    sizes = np.array(sizes)
    weights = np.array(shares[: len(sizes)])
    taken = monitoring._allocate(sizes, weights / weights.sum(), budget)
    assert (taken >= 0).all() and (taken <= sizes).all()
    assert taken.sum() == min(budget, sizes.sum())


def test_write_review_sample_gives_reviewers_a_csv_with_weights(tmp_path):
    target = write_review_sample(bundled(), tmp_path / "review.csv")
    sheet = pd.read_csv(target, keep_default_na=False)
    assert len(sheet) == 150
    assert {"id", "input", "output", "weight", "inclusion_probability", "failure_mode", "expected"} <= set(sheet)
    # the weights add up to the week's outputs (stratified sampling: Σ N_h/n_h × n_h = N): the last week's
    log = pd.read_csv(CASES / "support-triage" / "production_log.csv", keep_default_na=False)
    stamps = pd.to_datetime(log["timestamp"])
    last_monday = stamps.max().normalize() - pd.Timedelta(days=stamps.max().weekday())
    assert sheet["weight"].sum() == pytest.approx((stamps >= last_monday).sum(), abs=0.1)
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind


def test_a_review_week_outside_the_log_is_named():
    a = bundled().model_copy(update={"review_week": "2024-01-03"})
    with pytest.raises(ValueError, match="monitoring.review_week: the log has no outputs in the week of 2024-01-01"):
        review_sample(a)


def test_sample_size_for_the_weekly_margin():
    # 1.96² × 0.12 × 0.88 / 0.05² = 162.3 → 163 random reviews for ±5% at a 12% failure rate
    assert sample_size_for_margin(0.05, 0.12) == 163


# ---- failures, Pareto and promotion -----------------------------------------------------------------------------

def test_pareto_orders_modes_and_accumulates_shares():
    failures = pd.DataFrame({"id": list("abcdefghij"), "failure_mode": ["x"] * 6 + ["y"] * 3 + ["z"]})
    table = pareto(failures)
    assert list(table["failure mode"]) == ["x", "y", "z"]
    assert list(table["share (%)"]) == [60.0, 30.0, 10.0]
    assert list(table["cumulative (%)"]) == [60.0, 90.0, 100.0]


def test_weighted_pareto_orders_by_the_estimate_in_traffic():
    # 3 reviewed failures of mode x at weight 2 (= 6 in traffic) against 2 of mode y at weight 10 (= 20)
    failures = pd.DataFrame({"id": list("abcde"), "failure_mode": ["x", "x", "x", "y", "y"],
                             "weight": [2.0, 2, 2, 10, 10]})
    table = pareto(failures)
    assert list(table["failure mode"]) == ["y", "x"]
    assert list(table["estimated in traffic"]) == [20, 6]
    assert list(table["share (%)"]) == [pytest.approx(76.9), pytest.approx(23.1)]


def eval_copy(tmp_path: Path) -> Path:
    target = tmp_path / "eval_results.csv"
    shutil.copy(CASES / "support-triage" / "eval_results.csv", target)
    return target


def test_promotion_appends_new_cases_once(tmp_path):
    from aipm_kit.questions.evaluation import read_results

    target = eval_copy(tmp_path)
    before = pd.read_csv(target, dtype=str, keep_default_na=False)
    case = load_case("support-triage")
    expected = len(promotion_candidates(case, existing=before))
    added = promote(case, target)
    assert len(added) == expected > 0
    after = pd.read_csv(target, dtype=str, keep_default_na=False)
    assert len(after) == len(before) + expected
    assert list(after.columns) == [*before.columns, "source", "added"]
    pd.testing.assert_frame_equal(after.iloc[: len(before), : len(before.columns)], before)  # old rows intact
    new = after.iloc[len(before):]
    assert set(new["passed"]) == {"False"}  # the model failed each of them: that is why they were reviewed
    assert new["source"].str.startswith("production review: ").all()
    assert set(new["added"]) <= {"2026-11-24", "2026-12-01"}  # the review dates in the reviewers' file
    assert not new["id"].duplicated().any() and not new["input"].str.casefold().duplicated().any()
    # question 6 still reads the file, now with more cases
    assert len(read_results(target)) == len(after)
    # promoting the same review again adds nothing and leaves every byte where it was
    content = target.read_bytes()
    assert promote(case, target).empty
    assert target.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["eval_results.csv"]


def test_promotion_keeps_existing_bytes_when_the_header_already_fits(tmp_path):
    case = load_case("support-triage")
    target = tmp_path / "eval.csv"
    target.write_text("id,category,slice,input,expected,output,passed,source,added\n"
                      "EV-1,good,email,\"Hello, world\",Billing,Billing,true,,\n")  # lower-case true/false
    content = target.read_bytes()
    added = promote(case, target)
    assert target.read_bytes().startswith(content)
    tail = pd.read_csv(target, dtype=str, keep_default_na=False).iloc[1:]
    assert len(tail) == len(added) and set(tail["passed"]) == {"false"}  # written in the file's own style


def test_promotion_into_a_new_file_dates_undated_reviews(tmp_path):
    log = make_log([(5, 2)])
    write(tmp_path, "log.csv", log)
    reviewed = pd.DataFrame({"id": ["T0000000", "T0000001", "T0000001", "T0000002"],
                             "failure_mode": ["m", "m", "m", ""], "expected": ["Technical"] * 4})
    write(tmp_path, "reviewed.csv", reviewed)
    a = Answers.model_validate({"log": "log.csv", "reviewed_failures": "reviewed.csv"},
                               context={"base_dir": tmp_path})
    added = promote(a, tmp_path / "new.csv", added="2025-12-01")
    # T0000002 was found right (no failure mode); T0000001 was reviewed twice: two cases
    assert list(added["id"]) == ["T0000000", "T0000001"]
    assert set(added["added"]) == {"2025-12-01"} and set(added["category"]) == {"edge"}
    written = pd.read_csv(tmp_path / "new.csv", dtype=str, keep_default_na=False)
    assert list(written.columns) == list(monitoring.EVAL_COLUMNS)
    assert list(written["slice"]) == ["web form", "web form"]


def test_reviewed_failures_without_an_expected_answer_are_held_back(tmp_path):
    write(tmp_path, "log.csv", make_log([(5, 2)]))
    write(tmp_path, "reviewed.csv", pd.DataFrame({"id": ["T0000000", "T0000001"], "failure_mode": ["m", "m"],
                                                  "expected": ["Technical", ""]}))
    a = Answers.model_validate({"log": "log.csv", "reviewed_failures": "reviewed.csv"},
                               context={"base_dir": tmp_path})
    result = analyze(a)
    assert result.data["promotion"]["no_expected"] == 1
    assert result.metric_value("New eval cases to promote") == 1
    assert any("no expected answer" in f.message for f in result.findings)


def test_a_reviewed_file_missing_a_column_names_it(tmp_path):
    write(tmp_path, "reviewed.csv", pd.DataFrame({"id": ["a"], "mode": ["m"]}))
    with pytest.raises(ValidationError, match="reviewed.csv: missing column failure_mode"):
        Answers.model_validate({"reviewed_failures": "reviewed.csv"}, context={"base_dir": tmp_path})


# ---- the worked example ------------------------------------------------------------------------------------------

def test_the_worked_example_finds_the_drift_built_into_its_data():
    result = load_case("support-triage").analyze("monitoring")
    # support-triage's spec: the chat widget switched on from week 8 grows chat from 10% to 30% of tickets; the
    # last three weeks break the upper limit of 9.4% + 3 √(0.094 × 0.906 / ~1,050) ≈ 12.1%
    assert result.metric_value("Weeks above the control limit") == 3
    assert [w["week"] for w in result.data["weekly_feedback"] if w["signal"] == "above"] == [
        "2026-11-09", "2026-11-16", "2026-11-23"]
    assert result.metric_value("Negative feedback, reference weeks (centre line)") == pytest.approx(0.094, abs=0.005)
    assert result.metric_value("Negative feedback, current weeks") == pytest.approx(0.129, abs=0.005)
    # … but per channel the rates barely moved while chat grew: a mix shift, not a regression (issue 11).
    # Counted straight from the CSV with pandas (first four weeks against the last four):
    log = pd.read_csv(CASES / "support-triage" / "production_log.csv", keep_default_na=False)
    week = pd.to_datetime(log["timestamp"]).dt.to_period("W-SUN")
    weeks = sorted(week.unique())
    window = np.where(week.isin(weeks[:4]), "before", np.where(week.isin(weeks[-4:]), "now", ""))
    rates = (log["feedback"] == "corrected").groupby([window, log["segment"]]).mean().unstack()
    shares = log.groupby([window, log["segment"]]).size().unstack()
    shares = shares.div(shares.sum(axis=1), axis=0)
    assert rates.loc["before"].round(3).to_dict() == {"chat": 0.280, "email": 0.076, "web form": 0.071}
    assert rates.loc["now"].round(3).to_dict() == {"chat": 0.274, "email": 0.076, "web form": 0.076}
    assert (round(shares.loc["before", "chat"], 3), round(shares.loc["now", "chat"], 3)) == (0.102, 0.266)
    assert (result.verdict, result.level) == ("Watch", "caution")
    assert result.headline.startswith("Watch: negative feedback rose from 9.4% to 12.9%, past its control limit, "
                                      "but the traffic mix did it: chat grew from 10% to 27% of outputs (chat: 27% "
                                      "of traffic, 27% corrected, against 28% in the reference weeks)")
    assert "web form 7.1% → 7.6%, is inside its limits" in result.headline
    # at the reference mix: 0.102 × 0.274 + 0.346 × 0.076 + 0.552 × 0.076 ≈ 0.0962
    assert result.metric_value("Negative feedback, current weeks, at the reference mix") == pytest.approx(0.0962,
                                                                                                       abs=0.001)
    parts = result.data["mix_adjustment"]
    assert parts["mix"] == pytest.approx(0.0334, abs=0.0005) and parts["within"] == pytest.approx(0.0011, abs=0.0005)
    assert parts["p"] > 0.2  # Cochran–Mantel–Haenszel: no change within channels
    assert result.metric_value("Segments above their control limit now") == 0
    assert result.metric_value("PSI, input length") > 0.2  # chat messages are short: a major shift
    assert 0.05 < result.metric_value("PSI, confidence") < 0.25  # chat's lower confidence: a smaller one
    assert result.tables["Failure modes (Pareto)"]["failure mode"].iloc[0] == "Chat message too short to route"
    # 99 reviewed failures over two weeks, 99 ids but only 89 distinct ticket texts (short chat lines repeat):
    # 89 cases, less any question 6's eval set already holds
    reviewed = pd.read_csv(CASES / "support-triage" / "reviewed_failures.csv", keep_default_na=False)
    texts = log.set_index("id").loc[reviewed["id"], "input"].str.casefold().str.split().str.join(" ")
    counts = result.data["promotion"]
    assert (counts["reviewed"], counts["new"] + counts["already"]) == (len(reviewed), texts.nunique()) == (99, 89)
    assert result.metric_value("New eval cases to promote") == counts["new"] > 30
    assert set(result.figures) == {"Negative feedback per week (p-chart)", "Negative feedback per segment (p-charts)",
                                   "Drift, reference vs current weeks", "Failure modes (Pareto)"}


def test_steady_traffic_raises_no_alarm(tmp_path):
    write(tmp_path, "log.csv", synth.draw("support-triage", "log", mix_shift=None, episodes=[]))
    result = analyze(Answers.model_validate({"log": "log.csv", "negative_feedback": "corrected",
                                             "review_budget": 300},
                                            context={"base_dir": tmp_path}))
    assert result.level == "caution"  # only because nobody has reviewed anything yet
    assert result.metric_value("Weeks above the control limit") == 0
    assert result.metric_value("PSI, input length") < 0.1 and result.metric_value("PSI, confidence") < 0.1
    assert result.headline.startswith("Watch: no reviewed failures yet")


def test_no_log_means_nobody_is_watching():
    result = analyze(Answers())
    assert result.level == "stop"
    assert "no production log" in result.headline


def test_analyze_is_pure_and_writes_nothing(tmp_path):
    target = eval_copy(tmp_path)
    content = target.read_bytes()
    a = bundled().model_copy(update={"eval_set": target})
    analyze(a)
    assert target.read_bytes() == content


def test_the_generated_files_are_deterministic():
    pd.testing.assert_frame_equal(synth.draw("support-triage", "log", weeks=2, per_week=50),
                                  synth.draw("support-triage", "log", weeks=2, per_week=50))
    # the bundled files are exactly what the spec writes (tests/test_synth.py checks every file byte for byte)
    frames = synth.case_frames(synth.bundled_spec("support-triage"))
    folder = CASES / "support-triage"
    for name in ("production_log.csv", "reviewed_failures.csv"):
        assert frames[name].to_csv(index=False) == (folder / name).read_text()


# ---- properties ---------------------------------------------------------------------------------------------------

def answer_values(log: Path):
    days = [(pd.Timestamp("2026-09-07") + pd.Timedelta(days=d)).date().isoformat() for d in range(0, 21, 3)]
    return st.fixed_dictionaries({
        "log": st.sampled_from([str(log), None]),
        "negative_feedback": st.sampled_from(["corrected", "negative", "", "ACCEPTED"]),
        "feedback_base": st.sampled_from(["all outputs", "outputs with feedback"]),
        "reference_weeks": st.integers(1, 26),
        "current_weeks": st.integers(1, 26),
        "review_budget": st.integers(0, 2000),
        "sampling": st.sampled_from(["random", "stratified by segment", "oversample risky"]),
        "low_confidence": st.floats(0, 1),
        "oversample": st.floats(1, 20),
        "target_margin": st.floats(0.001, 0.25),
        "expected_failure_rate": st.floats(0.001, 0.999),
        "review_week": st.sampled_from(["", *days]),
        "seed": st.integers(0, 2**32),
        "reviewed_failures": st.sampled_from([str(CASES / "support-triage" / "reviewed_failures.csv"), None]),
        "promoted_category": st.sampled_from(["edge", "", "regression"]),
        "failure_mode_map": st.sampled_from([{}, {"Chat message too short to route": "anything"}]),
    })


def test_any_accepted_answers_analyze_without_crashing(small_log):
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(answer_values(small_log))
    def check(values):
        result = analyze(Answers.model_validate(values))
        assert result.level in LEVELS
        assert result.headline
        result.to_json()

    check()


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([
    ("reference_weeks", 0), ("current_weeks", 27), ("review_budget", -1), ("low_confidence", 1.5),
    ("oversample", 0.5), ("target_margin", 0), ("target_margin", 0.3), ("expected_failure_rate", 1),
    ("sampling", "systematic"), ("review_week", "last monday"), ("seed", -1), ("log", "missing.csv"),
    ("reviewd_failures", None), ("failure_mode_map", {"": "format drift"}), ("failure_mode_map", ["a"])]))
def test_anything_rejected_is_a_validation_error(change):
    name, value = change
    with pytest.raises(ValidationError):
        Answers.model_validate({name: value}, context={"base_dir": CASES})


def test_the_shuffled_log_gives_the_same_result(tmp_path):
    frame = synth.draw("support-triage", "log", weeks=9, per_week=120)
    rows = list(range(len(frame)))
    random.Random(4).shuffle(rows)
    results = []
    for name, data in (("a.csv", frame), ("b.csv", frame.iloc[rows])):
        write(tmp_path, name, data)
        a = Answers.model_validate({"log": name, "negative_feedback": "corrected"}, context={"base_dir": tmp_path})
        results.append(analyze(a).to_dict())
    assert results[0]["metrics"] == results[1]["metrics"]
    assert results[0]["headline"] == results[1]["headline"]


def test_an_eval_set_missing_columns_is_named(tmp_path):
    write(tmp_path, "eval.csv", pd.DataFrame({"id": ["EV-1"], "input": ["x"]}))
    with pytest.raises(ValidationError, match="eval.csv: missing columns expected, output"):
        Answers.model_validate({"eval_set": "eval.csv"}, context={"base_dir": tmp_path})


def test_a_parquet_log_reads_like_the_csv(tmp_path):
    frame = make_log([(40, 4), (40, 6)])
    csv = write(tmp_path, "log.csv", frame)
    try:  # DuckDB reads Parquet without pyarrow (tests/test_monitoring_log.py compares whole results)
        import duckdb
    except ImportError:
        pytest.skip("reading a Parquet log needs DuckDB (aipm-kit[db]) or pyarrow")
    duckdb.connect().execute(f"COPY (SELECT * FROM read_csv('{csv}', all_varchar=true)) TO "
                             f"'{tmp_path / 'log.parquet'}' (FORMAT parquet)")
    base = {"negative_feedback": "negative", "reference_weeks": 1, "current_weeks": 1, "review_budget": 10}
    results = [analyze(Answers.model_validate({**base, "log": name}, context={"base_dir": tmp_path}))
               for name in ("log.csv", "log.parquet")]
    assert results[0].to_dict()["metrics"] == results[1].to_dict()["metrics"]
    # week 2 against week 1: 6 of 40 against 4 of 40
    assert results[1].metric_value("Negative feedback, current weeks") == pytest.approx(6 / 40)
    (tmp_path / "broken.parquet").write_bytes(b"PAR1")
    a = Answers.model_validate({"log": "broken.parquet"}, context={"base_dir": tmp_path})
    with pytest.raises(CaseError, match="broken.parquet: cannot read the log"):
        analyze(a)


# ---- the traffic mix: Kitagawa, Cochran–Mantel–Haenszel, per-segment charts -----------------------------------

def test_kitagawa_split_by_hand():
    # two segments: A 80% of traffic at 5% negative, B 20% at 30% → R₁ = 0.04 + 0.06 = 0.10;
    # then A 60% at 7%, B 40% at 27% → R₂ = 0.042 + 0.108 = 0.150, a rise of 0.050.
    # mix    A: (0.6 − 0.8)(0.05 + 0.07)/2 = −0.012   B: (0.4 − 0.2)(0.30 + 0.27)/2 = +0.057   → +0.045
    # within A: (0.07 − 0.05)(0.8 + 0.6)/2 = +0.014   B: (0.27 − 0.30)(0.2 + 0.4)/2 = −0.009   → +0.005
    mix, within = kitagawa_decomposition([0.8, 0.2], [0.05, 0.30], [0.6, 0.4], [0.07, 0.27])
    assert list(mix) == [pytest.approx(-0.012), pytest.approx(0.057)]
    assert list(within) == [pytest.approx(0.014), pytest.approx(-0.009)]
    assert mix.sum() + within.sum() == pytest.approx(0.150 - 0.100)
    # at the reference mix today's rates give 0.8 × 0.07 + 0.2 × 0.27 = 0.110
    assert mix_adjusted_rate([0.8, 0.2], [0.07, 0.27]) == pytest.approx(0.110)
    # a segment with no outputs today (NaN) drops out and the others' weights renormalise: 0.07
    assert mix_adjusted_rate([0.8, 0.2], [0.07, float("nan")]) == pytest.approx(0.07)
    # a segment new today has no rate before: its whole contribution is mix, 0.5 × 0.4 = 0.2
    mix, within = kitagawa_decomposition([1.0, 0.0], [0.1, float("nan")], [0.5, 0.5], [0.1, 0.4])
    assert list(mix) == [pytest.approx(-0.05), pytest.approx(0.2)] and list(within) == [0, 0]


def test_kitagawa_and_mix_adjustment_refuse_bad_shares():
    with pytest.raises(ValueError, match="reference_share"):
        kitagawa_decomposition([-0.1, 1.1], [0.1, 0.2], [0.5, 0.5], [0.1, 0.2])
    with pytest.raises(ValueError, match="current_rate has 1 segments"):
        kitagawa_decomposition([0.5, 0.5], [0.1, 0.2], [0.5, 0.5], [0.1])
    with pytest.raises(ValueError, match="centre_rate"):
        mix_adjusted_limits([0.5, 0.5], [0.1, 1.2], [10, 10])


def test_mix_adjusted_limits_by_hand():
    # shares 0.5 / 0.5, reference rates 10% / 30%, 100 outputs each this week:
    # centre 0.2; variance 0.25 × 0.1 × 0.9 / 100 + 0.25 × 0.3 × 0.7 / 100 = 0.000225 + 0.000525 = 0.00075;
    # 3 √0.00075 = 0.082158 → 0.117842 to 0.282158
    centre, low, high = mix_adjusted_limits([0.5, 0.5], [0.1, 0.3], [100, 100])
    assert (centre, low, high) == (pytest.approx(0.2), pytest.approx(0.117842, abs=1e-6),
                                   pytest.approx(0.282158, abs=1e-6))
    # one segment alone is that segment's own p-chart (stats.p_chart_limits)
    assert mix_adjusted_limits([1.0], [0.1], [1000])[1:] == pytest.approx(p_chart_limits(0.1, 1000))


def test_sigmas_for_many_charts_keep_one_false_alarm_rate():
    # one chart: 3σ, whose one-sided tail is 0.00135 (any normal table); k charts: each tail 0.00135 / k
    from scipy.stats import norm

    assert sigmas_for_many_charts(1) == pytest.approx(3.0)
    for k in (2, 3, 6):
        assert norm.sf(sigmas_for_many_charts(k)) == pytest.approx(0.0013499 / k, rel=1e-4)
    assert sigmas_for_many_charts(3) == pytest.approx(3.32, abs=0.005)  # the value the docstring quotes
    # by simulation: with 20 independent null charts the chance that any one passes its limit ≈ one chart's
    rng = np.random.default_rng(3)
    z = rng.standard_normal((200_000, 20))
    assert (z > sigmas_for_many_charts(20)).any(axis=1).mean() == pytest.approx(0.00135, abs=0.0003)
    with pytest.raises(ValueError, match="charts"):
        sigmas_for_many_charts(0)


def test_cochran_mantel_haenszel_by_hand():
    # stratum 1: now 8 of 20 negative, before 4 of 20. N = 40, m = 12: E = 20 × 12 / 40 = 6,
    #   V = 20 × 20 × 12 × 28 / (40² × 39) = 134,400 / 62,400 = 2.153846
    # stratum 2: now 5 of 50, before 5 of 50. N = 100, m = 10: E = 5,
    #   V = 50 × 50 × 10 × 90 / (100² × 99) = 2,250,000 / 990,000 = 2.272727
    # X² = (2 + 0)² / (2.153846 + 2.272727) = 4 / 4.426573 = 0.903633
    # MH odds ratio: (8 × 16 / 40 + 5 × 45 / 100) / (12 × 4 / 40 + 45 × 5 / 100) = 5.45 / 3.45 = 1.579710
    test = cochran_mantel_haenszel([8, 5], [20, 50], [4, 5], [20, 50])
    assert test["statistic"] == pytest.approx(0.903633, abs=1e-6)
    assert test["p"] == pytest.approx(chi2.sf(0.903633, 1), abs=1e-6)
    assert test["odds_ratio"] == pytest.approx(1.579710, abs=1e-6)
    assert test["excess"] == pytest.approx(2.0)
    # with the continuity correction: (2 − 0.5)² / 4.426573 = 2.25 / 4.426573 = 0.508294
    assert cochran_mantel_haenszel([8, 5], [20, 50], [4, 5], [20, 50], correction=True)["statistic"] == \
        pytest.approx(0.508294, abs=1e-6)


def test_cochran_mantel_haenszel_on_one_stratum_is_pearsons_chi_square_times_n_minus_1_over_n():
    from scipy.stats import chi2_contingency

    table = np.array([[30, 70], [18, 82]])  # now: 30 of 100; before: 18 of 100
    pearson = chi2_contingency(table, correction=False).statistic
    assert cochran_mantel_haenszel([30], [100], [18], [100])["statistic"] == pytest.approx(pearson * 199 / 200)


def test_cochran_mantel_haenszel_ignores_a_pure_mix_shift_and_refuses_impossible_counts():
    # the same rates (5% and 30%) in both periods, while the traffic moves from A to B
    test = cochran_mantel_haenszel([25, 150], [500, 500], [45, 30], [900, 100])
    assert test["statistic"] == pytest.approx(0.0) and test["p"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="events"):
        cochran_mantel_haenszel([12], [10], [1], [10])


def mixed_log(weeks: list[dict[str, tuple[int, int]]]) -> pd.DataFrame:
    """A log with, per week, {segment: (outputs, negatives)}."""
    frames = [make_log([(n, k)], segment=s, start=str((pd.Timestamp("2025-09-01") + pd.Timedelta(weeks=w)).date()))
              .assign(id=lambda f, s=s, w=w: f"{s}-{w}-" + f["id"])
              for w, week in enumerate(weeks) for s, (n, k) in week.items()]
    return pd.concat(frames, ignore_index=True)


def judge(tmp_path: Path, weeks: list[dict[str, tuple[int, int]]]):
    write(tmp_path, "log.csv", mixed_log(weeks))
    return analyze(Answers.model_validate({"log": "log.csv", "review_budget": 0}, context={"base_dir": tmp_path}))


REFERENCE = [{"A": (900, 45), "B": (100, 30)}] * 4  # A: 5% negative, B: 30%; overall 7.5%


def test_the_trap_a_pure_mix_shift_is_watch_not_act_now(tmp_path):
    # B grows from 10% to 50% of traffic; within A and B nothing changes. Overall 7.5% → (25 + 150) / 1,000 =
    # 17.5%, far past its limit 7.5% + 3 √(0.075 × 0.925 / 1,000) = 10.0%; all of the rise is the mix.
    result = judge(tmp_path, REFERENCE + [{"A": (500, 25), "B": (500, 150)}] * 4)
    assert result.metric_value("Weeks above the control limit") == 4
    assert (result.verdict, result.level) == ("Watch", "caution")
    assert result.headline.startswith("Watch: negative feedback rose from 7.5% to 17.5%, past its control limit, "
                                      "but the traffic mix did it: B grew from 10% to 50% of outputs (B: 50% of "
                                      "traffic, 30% negative")
    assert "a rollback would not help: act on B" in result.headline
    parts = result.data["mix_adjustment"]
    assert parts["adjusted_rate"] == pytest.approx(0.075)  # 0.9 × 0.05 + 0.1 × 0.30
    assert (parts["mix"], parts["within"]) == (pytest.approx(0.10), pytest.approx(0.0, abs=1e-12))
    assert result.metric_value("Segments above their control limit now") == 0


def test_the_mirror_mix_unchanged_and_one_segment_worse_is_act_now(tmp_path):
    # the same mix; A goes from 5% to 9% (81 of 900): with two segments charted each limit sits z = 3.205
    # standard errors out (sigmas_for_many_charts(2)), so A's is 5% + 3.205 √(0.05 × 0.95 / 900) = 7.33%
    result = judge(tmp_path, REFERENCE + [{"A": (900, 81), "B": (100, 30)}] * 4)
    assert (result.verdict, result.level) == ("Act now", "stop")
    assert "A 9.0% in the week of 29 Sep against its 5.0% centre line (limit 7.3%)" in result.headline
    parts = result.data["mix_adjustment"]
    assert parts["mix"] == pytest.approx(0.0) and parts["within"] == pytest.approx(0.036)  # 0.9 × 0.04
    assert parts["p"] < 0.001


def test_a_rise_hidden_by_a_shift_toward_the_better_segment_is_act_now(tmp_path):
    # traffic moves toward A (95%), while A rises from 5% to 8% (76 of 950) and B stays at 30% (15 of 50):
    # overall (76 + 15) / 1,000 = 9.1%, inside its limit of 10.0%, but A is past its own 7.27%
    # (5% + 3.205 √(0.0475 / 950)); the mix part is (0.05)(0.065) + (−0.05)(0.30) = −1.2 points
    result = judge(tmp_path, REFERENCE + [{"A": (950, 76), "B": (50, 15)}] * 4)
    assert result.metric_value("Weeks above the control limit") == 0
    assert (result.verdict, result.level) == ("Act now", "stop")
    assert "the overall rate hides it (9.1% against 7.5%)" in result.headline
    assert result.data["mix_adjustment"]["mix"] == pytest.approx(-0.01175)


def test_a_rise_spread_thinly_over_segments_breaks_the_mix_adjusted_limit(tmp_path):
    # four segments of 250 a week go from 10% to 13%: each stays under its own limit
    # 10% + 3.40 √(0.09 / 250) = 16.4%, but at the (unchanged) reference mix the rate 13% is past
    # 10% + 3 √(4 × 0.25² × 0.09 / 250) = 12.85%
    before = [{s: (250, 25) for s in "ABCD"}] * 4
    after = [{s: (250, 33) for s in "ABCD"}] * 4  # 33 / 250 = 13.2%
    result = judge(tmp_path, before + after)
    assert result.metric_value("Segments above their control limit now") == 0
    assert (result.verdict, result.level) == ("Act now", "stop")
    assert "at the reference weeks' mix is above its control limit in 4 of the last 4 weeks" in result.headline
    weekly = pd.DataFrame(result.data["weekly_feedback"])
    assert weekly["adjusted upper"].iloc[-1] == pytest.approx(0.1 + 3 * math.sqrt(0.09 / 1000))


def test_segment_p_charts_by_hand():
    # reference weeks 1–2: A 10 of 100 each week → centre 10%, limits 10% ± 3 √(0.09 / 100) = 1% to 19%;
    # B has 2 negatives in its reference weeks: fewer than SEGMENT_MIN_NEGATIVE, so it is not charted
    log = prepare_log(mixed_log([{"A": (100, 10), "B": (50, 1)}, {"A": (100, 10), "B": (50, 1)},
                                 {"A": (100, 25), "B": (50, 20)}]))
    table = segment_feedback(log, "negative", reference_weeks=2)
    a = table[table["segment"] == "A"]
    assert list(a["rate"]) == pytest.approx([0.10, 0.10, 0.25])
    assert a["upper"].iloc[0] == pytest.approx(0.19) and list(a["signal"]) == ["", "", "above"]
    b = table[table["segment"] == "B"]
    assert not b["charted"].any() and list(b["signal"]) == ["", "", ""]


# ---- severity: the Pareto weighted by question 5's failure modes ------------------------------------------------

def test_severity_weighting_reorders_the_pareto_by_hand():
    # found: x 6 times, y 3, w 2, z 1. Question 5: "X" severity 1, "Y mode" 3, "z" 5; y is mapped to "Y mode",
    # x and z match by name (case ignored), w matches nothing.
    # harm: y 3 × 3 = 9, x 6 × 1 = 6, z 1 × 5 = 5 (total 20) → y 45%, x 30%, z 25%; cumulative 45, 75, 100;
    # w keeps its count, with no severity and no harm, after the others
    failures = pd.DataFrame({"id": [str(i) for i in range(12)],
                             "failure_mode": ["x"] * 6 + ["y"] * 3 + ["w"] * 2 + ["z"]})
    table = monitoring.severity_pareto(failures, {"X": 1, "Y mode": 3, "z": 5}, {"y": "Y mode"})
    assert list(table["failure mode"]) == ["y", "x", "z", "w"]
    assert list(table["harm (severity × failures)"][:3]) == [9, 6, 5]
    assert list(table["share of harm (%)"][:3]) == [45.0, 30.0, 25.0]
    assert list(table["cumulative (%)"][:3]) == [45.0, 75.0, 100.0]
    assert list(table["rank by count"]) == [2, 1, 4, 3]
    w = table.iloc[3]
    assert pd.isna(w["severity"]) and pd.isna(w["harm (severity × failures)"]) and w["reviewed failures"] == 2
    with pytest.raises(ValueError, match="maps 'y' to 'Nope', which is not one of question 5's failure modes"):
        monitoring.severity_pareto(failures, {"X": 1}, {"y": "Nope"})


def test_the_worked_example_ranks_the_outage_by_its_severity():
    result = load_case("support-triage").analyze("monitoring")
    table = result.tables["Failure modes (Pareto)"]
    outage = table[table["failure mode"] == "Outage routed as a login problem"].iloc[0]
    assert outage["question 5's failure mode"] == "Outage reported as a routine question"
    assert outage["severity"] == 5 and outage["rank by count"] == 6
    # harm = severity × failures estimated in traffic: outage 5 × 15 = 75 beats the severity-2 misroutes
    # 2 × 37 = 74 and 2 × 15 = 30, but not 2 × 159 (short chat lines), 2 × 46 or 2 × 43
    assert list(table["failure mode"]).index("Outage routed as a login problem") == 3
    sides = result.tables["Failure modes: ranked by count and by harm"]
    assert sides["by failures found"].iloc[5] == sides["by harm (severity × failures)"].iloc[3] == \
        "Outage routed as a login problem"
    assert "its severity of 5 (question 5's 'Outage reported as a routine question') puts it 4th by harm" in \
        " ".join(f.message for f in result.findings)


def test_unmatched_modes_are_named_and_a_bad_mapping_is_a_case_error(tmp_path):
    case = load_case("support-triage")
    mapping = dict(case.answers("monitoring").failure_mode_map)
    del mapping["Outage routed as a login problem"]
    result = case.with_answers("monitoring", {**case.answers("monitoring").model_dump(),
                                              "failure_mode_map": mapping}).analyze("monitoring")
    assert "1 reviewed failure mode matches none of question 5's, so it is listed unweighted: 'Outage routed as " \
           "a login problem'" in " ".join(f.message for f in result.findings)
    assert result.tables["Failure modes (Pareto)"]["failure mode"].iloc[-1] == "Outage routed as a login problem"
    mapping["Outage routed as a login problem"] = "Outage"
    bad = case.with_answers("monitoring", {**case.answers("monitoring").model_dump(), "failure_mode_map": mapping})
    with pytest.raises(CaseError, match=r"support-triage.yaml: monitoring.failure_mode_map: maps 'Outage routed as a "
                                        r"login problem' to 'Outage', which is not one"):
        bad.analyze("monitoring")


def test_without_question_5_the_pareto_counts_failures():
    result = analyze(bundled())  # no case: no question 5 to take severities from
    assert "severity" not in result.tables["Failure modes (Pareto)"].columns
    assert "Question 5 lists no failure modes with a severity" in " ".join(f.message for f in result.findings)


def test_the_self_check_on_the_mix_shift_states_the_bundled_cases_numbers():
    check = monitoring.self_check()[0]
    assert check.answer == 2 and "Work on chat" in check.options[check.answer]
    result = load_case("support-triage").analyze("monitoring")
    parts = result.data["mix_adjustment"]
    # the check's counts are the bundled log's windows, so its numbers are the analysis's numbers
    assert f"from {parts['reference_rate']:.1%} to {parts['current_rate']:.1%}" in check.question
    assert f"today's rates give {parts['adjusted_rate']:.1%}" in check.options[2]
    assert f"puts {parts['mix'] * 100:.1f} of the " in check.why
    rows = {r["segment"]: r for r in parts["segments"]}
    assert f"web form {rows['web form']['reference rate (%)']:.1f}% → {rows['web form']['current rate (%)']:.1f}%" \
        in check.question
    assert f"chat grew from {rows['chat']['reference share (%)']:.0f}% to {rows['chat']['current share (%)']:.0f}%" \
        in check.question


def test_user_text_with_dollars_draws_as_text(tmp_path):
    # segment names are user text: "$\x$" must not start matplotlib's math mode (it fails to parse there)
    name = r"plan $\x$ 5"
    weeks = [{name: (200, 20), "<b>pro</b>": (200, 10)}] * 4 + [{name: (200, 60), "<b>pro</b>": (200, 10)}]
    result = judge(tmp_path, weeks)
    assert result.level == "stop" and name in result.headline
    for figure in result.figures.values():
        figure.savefig(tmp_path / "figure.png")
    assert "&lt;b&gt;pro&lt;/b&gt;" in result._repr_html_() and "<b>pro</b>" not in result._repr_html_()


def test_a_raw_rise_that_is_mostly_within_segments_is_not_blamed_on_the_mix(tmp_path):
    # A (880 a week) rises 5% → 7.05% (62), inside its own limit 5% + 3.205 √(0.0475 / 880) = 7.35%; B (120)
    # rises 30% → 35% (42), inside 30% + 3.205 √(0.21 / 120) = 43.4%. At the reference mix: 0.9 × 0.0705 + 0.1 × 0.35 =
    # 9.84%, inside 7.5% + 3 √(0.81 × 0.0475 / 880 + 0.01 × 0.21 / 120) = 9.85%. Overall 104 / 1,000 = 10.4% is
    # past 10.0%. Kitagawa: mix (−0.02)(0.1205)/2 + (0.02)(0.65)/2 = +0.005, within (0.0205)(1.78)/2 +
    # (0.05)(0.22)/2 = +0.024 — the larger part, so the mix is not to blame: Watch, naming both parts
    result = judge(tmp_path, REFERENCE + [{"A": (880, 62), "B": (120, 42)}] * 4)
    parts = result.data["mix_adjustment"]
    assert (parts["mix"], parts["within"]) == (pytest.approx(0.0053, abs=1e-4), pytest.approx(0.0237, abs=1e-4))
    assert (result.verdict, result.level) == ("Watch", "caution")
    assert "the traffic mix did it" not in result.headline
    assert "of the +2.9 points, +0.5 are the mix and +2.4 within segments" in result.headline


def test_before_launch_question_7_says_what_to_log_and_the_weekly_sample_with_worked_numbers():
    import dataclasses

    pilot = dataclasses.replace(load_case("support-triage"), stage="pilot")
    plan = pilot.analyze("monitoring")
    assert (plan.verdict, plan.level) == ("Not yet", None)
    logged = plan.tables["What to log for every output, from the first day"]
    assert list(logged["column"]) == list(monitoring.LOG_COLUMNS)
    # expected errors: 1 − question 6's measured pass rate; the rise to catch: to 1 − its overall gate's target
    base = 1 - pilot.analyze("evaluation").metric_value("Pass rate")
    gate = next(g for g in pilot.answers("evaluation").gates if g.kind == "blocking" and not g.category
                and not g.slice)
    raised = 1 - gate.target
    assert plan.metric_value("Error rate expected") == pytest.approx(base)
    assert plan.metric_value("Error rate to catch") == pytest.approx(raised)
    # one-sided 95% (z 1.6449), 80% power (z 0.8416), by hand
    by_hand = ((1.644854 * math.sqrt(base * (1 - base)) + 0.841621 * math.sqrt(raised * (1 - raised)))
               / (raised - base)) ** 2
    assert plan.metric_value("Weekly review sample needed") == math.ceil(by_hand)
    budget = pilot.answers("monitoring").review_budget
    assert any(f.level == "caution" and f"({budget:,} a week)" in f.message for f in plan.findings) == (
        budget < math.ceil(by_hand))
