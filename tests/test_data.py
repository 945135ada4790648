"""Question 3 — the data plan: readiness, slices, evaluation size, the sample profile, κ and the datasheet."""

from __future__ import annotations

import datetime
import json
import math

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import aipm_kit
from aipm_kit.case import CaseError, validate_section
from aipm_kit.questions import data
from aipm_kit.questions.data import Answers, DataNeed, analyze, datasheet, kappa_strength
from aipm_kit.stats import cohen_kappa, margin_for_sample_size, sample_size_for_margin


def need(**values) -> dict:
    base = {"name": "Ticket history", "purpose": "training", "status": "have", "owner": "Ops", "rows_have": 1000,
            "rows_needed": 1000, "labelled": True, "freshness": "daily"}
    return {**base, **values}


def ready_plan(**values) -> dict:
    """A plan with nothing missing: every check passes."""
    base = {
        "needs": [need(), need(name="Eval set", purpose="evaluation", rows_have=400, rows_needed=400),
                  need(name="Feedback", purpose="monitoring", freshness="live", rows_have=500, rows_needed=500)],
        "slices": [{"dimension": "language", "name": "English", "share": 0.7, "rows_have": 250},
                   {"dimension": "language", "name": "German", "share": 0.3, "rows_have": 150}],
        "min_rows_per_slice": 100, "eval_margin": 0.05, "expected_pass_rate": 0.5,
    }
    return {**base, **values}


# ---- statistics ---------------------------------------------------------------------------------------

def test_kappa_matches_the_published_two_by_two_example():
    # Wikipedia, "Cohen's kappa", worked example: 50 grant proposals, both yes 20, A yes/B no 5, A no/B yes 10,
    # both no 15. p_o = 35/50 = 0.7; p_e = 0.5·0.6 + 0.5·0.4 = 0.5; κ = (0.7 − 0.5) / (1 − 0.5) = 0.4.
    first = ["yes"] * 25 + ["no"] * 25
    second = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(first, second) == pytest.approx(0.4)


def test_kappa_matches_a_hand_worked_three_category_table():
    # Rater A: 50 × 1, 30 × 2, 20 × 3. Rater B against them: [44, 5, 1], [7, 20, 3], [9, 5, 6].
    # p_o = (44 + 20 + 6) / 100 = 0.70; marginals A (.5, .3, .2), B (.6, .3, .1);
    # p_e = .5·.6 + .3·.3 + .2·.1 = 0.41; κ = (0.70 − 0.41) / 0.59 = 0.49153.
    first = [1] * 50 + [2] * 30 + [3] * 20
    second = [1] * 44 + [2] * 5 + [3] * 1 + [1] * 7 + [2] * 20 + [3] * 3 + [1] * 9 + [2] * 5 + [3] * 6
    assert cohen_kappa(first, second) == pytest.approx(0.29 / 0.59)
    assert cohen_kappa(second, first) == pytest.approx(0.29 / 0.59)  # symmetric


def test_kappa_of_the_self_check_example():
    # Self-check 2: 100 items, 95 of one label for each rater, both "a" 91, a/b 4, b/a 4, both "b" 1.
    # p_o = 0.92; p_e = 0.95² + 0.05² = 0.905; κ = 0.015 / 0.095 = 0.158.
    first = ["a"] * 95 + ["b"] * 5
    second = ["a"] * 91 + ["b"] * 4 + ["a"] * 4 + ["b"] * 1
    assert cohen_kappa(first, second) == pytest.approx(0.015 / 0.095)
    assert "0.16" in data.self_check()[1].question


def test_kappa_edges():
    assert cohen_kappa(["a", "b", "a"], ["a", "b", "a"]) == 1.0
    # Rows with a blank on either side are dropped: what is left is the 2×2 example above, κ = 0.4.
    first = ["yes"] * 25 + ["no"] * 25 + [None, "yes", float("nan")]
    second = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15 + ["no", None, "yes"]
    assert cohen_kappa(first, second) == pytest.approx(0.4)
    assert math.isnan(cohen_kappa([], []))
    assert math.isnan(cohen_kappa(["a", "a"], ["a", "a"]))  # one label used by both: p_e = 1, κ undefined
    # Perfect disagreement on two balanced labels: p_o = 0, p_e = 0.5, κ = −1.
    assert cohen_kappa(["a", "b"], ["b", "a"]) == pytest.approx(-1.0)


def test_margin_is_the_inverse_of_the_sample_size():
    # 1.96 × √(0.85 × 0.15 / 300) = 1.96 × 0.020616 = 0.04041.
    assert margin_for_sample_size(300, 0.85) == pytest.approx(0.040406, abs=1e-5)
    n = sample_size_for_margin(0.03, 0.85)
    assert n == 545  # 1.96² × 0.1275 / 0.0009 = 544.2 → 545
    assert margin_for_sample_size(n, 0.85) <= 0.03 < margin_for_sample_size(n - 1, 0.85)
    assert margin_for_sample_size(0) == math.inf


def test_kappa_words_follow_landis_and_koch():
    assert [kappa_strength(k) for k in (-0.1, 0.1, 0.3, 0.5, 0.7, 0.83)] == [
        "no better than chance", "slight", "fair", "moderate", "substantial", "almost perfect"]


# ---- readiness ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("values", "expected"), [
    ({"status": "partial", "rows_have": 300, "rows_needed": 600}, 0.5),
    ({"rows_have": 5000, "rows_needed": 1000}, 1.0),  # more than needed counts as enough, not more
    ({"status": "missing", "rows_have": 50}, 0.0),  # missing is missing, whatever the rows say
    ({"personal_data": True, "consent": False}, 0.0),  # unusable until consent is in place
    ({"personal_data": True, "consent": True}, 1.0),
    ({"purpose": "evaluation", "labelled": False}, 0.5),  # evaluation without labels is half ready
    ({"purpose": "retrieval", "labelled": False}, 1.0),  # retrieval needs no labels
    ({"rows_needed": 0}, 1.0),
    ({"status": "partial", "rows_needed": 0}, 0.5),
])
def test_readiness_per_need(values, expected):
    assert data._need_readiness(DataNeed(**need(**values))) == pytest.approx(expected)


# ---- the worked example --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def triage():
    return aipm_kit.load_case("support-triage")


def test_worked_example(triage):
    result = triage.analyze("data")
    assert (result.verdict, result.level) == ("Caution", "caution")
    # Ticket history 100%, evaluation set 300/600 = 50%, queue rules 100%, live feedback missing 0%:
    # (1 + 0.5 + 1 + 0) / 4 = 0.625.
    assert result.data["readiness"] == pytest.approx(0.625)
    assert result.metric_value("Overall readiness") == pytest.approx(0.625)
    assert result.data["eval_rows_needed"] == 545 and result.data["eval_rows_have"] == 300
    assert result.metric_value("Margin today's evaluation rows give (±)") == pytest.approx(0.0404, abs=1e-4)
    assert result.data["under_covered_slices"] == ["language: Spanish"]  # 30 rows, minimum 50
    assert result.data["gaps"] == ["Evaluation set", "Live agent feedback", "slice: Spanish (language)"]
    assert "62.5%" in result.headline and "Spanish" in result.headline
    actions = result.tables["Action list: every gap, its owner and date"]
    assert list(actions["owner"]) == ["Support QA lead", "Helpdesk integration engineer", "Support QA lead"]
    assert set(result.figures) == {"Readiness per data need", "Slice coverage"}
    json.loads(result.to_json())  # the whole result is JSON-ready


def test_worked_example_sample_profile(triage):
    result = triage.analyze("data")
    # The generator's documented effects: 300 rows, the last six repeat earlier tickets, four have no queue.
    assert result.metric_value("Sample rows") == 300
    assert result.metric_value("Sample duplicates") == 6
    profile = result.tables["Sample profile: data_sample.csv"].set_index("column")
    assert profile.loc["queue", "missing"] == 4 and profile.loc["channel", "missing"] == 9
    # κ checked independently: p_o and p_e from a pandas crosstab of the rows both raters labelled.
    frame = pd.read_csv(triage.answers("data").sample).dropna(subset=["queue", "queue_second_rater"])
    table = pd.crosstab(frame["queue"], frame["queue_second_rater"], normalize=True)
    p_o = sum(table.loc[q, q] for q in table.index if q in table.columns)
    p_e = sum(table.sum(axis=1)[q] * table.sum(axis=0).get(q, 0) for q in table.index)
    assert result.data["kappa"] == pytest.approx((p_o - p_e) / (1 - p_e))
    assert 0.75 < result.data["kappa"] < 0.9  # "near 0.8", as the generator documents
    assert any("6 of the sample's 300 rows repeat a ticket_id" in f.message for f in result.findings)


def test_datasheet_has_every_section(triage):
    text = datasheet(triage.answers("data"), title="Support ticket triage")
    for heading in ("# Datasheet: Support ticket triage", "## Motivation", "## Composition", "## Collection process",
                    "## Labelling", "## Uses", "## Maintenance"):
        assert heading in text
    assert "| Evaluation set | evaluation | partial | 300 | 600 | yes | yes, with consent | 50% |" in text
    assert "Cohen's κ = 0.83" in text
    assert triage.analyze("data").notes["Datasheet"] == text


def test_datasheet_of_an_empty_plan_says_what_is_missing():
    text = datasheet(Answers())
    assert "_No data needs listed yet._" in text and text.count("_Not written yet._") == 5


def test_datasheet_escapes_pipes_in_table_cells():
    text = datasheet(Answers(needs=[DataNeed(**need(name="tickets | emails"))]))
    assert "| tickets \\| emails |" in text


# ---- verdicts ---------------------------------------------------------------------------------------------

def test_ready_plan_is_go():
    result = analyze(Answers(**ready_plan()))
    assert result.verdict == "Go", [f.message for f in result.findings if f.level != "go"]
    assert result.data["readiness"] == 1.0 and result.headline.startswith("Go:")


def test_personal_data_without_consent_is_a_stop():
    plan = ready_plan()
    plan["needs"][0] |= {"personal_data": True, "consent": False}
    result = analyze(Answers(**plan))
    assert result.verdict == "Stop"
    assert "personal data without consent" in result.headline
    assert result.data["readiness"] == pytest.approx(2 / 3)  # the blocked need counts as zero


def test_empty_plan_is_a_stop():
    result = analyze(Answers())
    assert result.verdict == "Stop" and "no data needs" in result.headline


def test_gap_without_owner_is_flagged():
    plan = ready_plan()
    plan["needs"][2] |= {"status": "missing", "rows_have": 0, "owner": ""}
    result = analyze(Answers(**plan))
    assert result.verdict == "Caution"
    assert any("have no owner (Feedback)" in f.message for f in result.findings)
    assert list(result.tables["Action list: every gap, its owner and date"]["owner"]) == ["— assign one"]


def test_small_evaluation_set_and_slow_monitoring_are_cautions():
    plan = ready_plan(eval_margin=0.03, expected_pass_rate=0.85)  # needs 545 rows; the plan has 400
    plan["needs"][2]["freshness"] = "monthly"
    result = analyze(Answers(**plan))
    messages = " ".join(f.message for f in result.findings)
    assert "needs 545 labelled rows" in messages and "today's 400 rows give ±3.5%" in messages
    assert "refreshed monthly" in messages


def test_unlabelled_evaluation_rows_do_not_count():
    plan = ready_plan()
    plan["needs"][1]["labelled"] = False
    result = analyze(Answers(**plan))
    assert result.data["eval_rows_have"] == 0
    assert any("not labelled" in f.message for f in result.findings)


def test_low_rater_agreement_is_a_caution(tmp_path):
    # Labels match on 6 of 10 rows with both raters splitting evenly: p_o = 0.6, p_e = 0.5, κ = 0.2.
    rows = ["a,a", "a,a", "a,a", "b,b", "b,b", "b,b", "a,b", "a,b", "b,a", "b,a"]
    (tmp_path / "s.csv").write_text("label,second\n" + "\n".join(rows) + "\n")
    answers = validate_section("data", ready_plan(sample="s.csv", second_rater_column="second"), tmp_path)
    result = analyze(answers)
    assert result.metric_value("Raters' agreement, Cohen's κ") == pytest.approx(0.2)
    assert result.verdict == "Caution"
    assert any("under the 0.6 bar" in f.message for f in result.findings)


# ---- bad input: an error that names the field ---------------------------------------------------------------

def field_of(values: dict, base_dir=None) -> tuple[str | None, str]:
    with pytest.raises(CaseError) as info:
        validate_section("data", values, base_dir)
    return info.value.field, str(info.value)


def test_negative_rows_name_the_field():
    plan = ready_plan()
    plan["needs"][1]["rows_have"] = -5
    assert field_of(plan)[0] == "needs.1.rows_have"


def test_share_outside_0_1_names_the_field():
    plan = ready_plan()
    plan["slices"][0]["share"] = 1.5
    assert field_of(plan)[0] == "slices.0.share"


def test_shares_of_one_dimension_cannot_exceed_one():
    plan = ready_plan()
    plan["slices"][0]["share"] = 0.8  # 0.8 + 0.3
    assert "shares of dimension 'language' add up to 1.10" in field_of(plan)[1]


def test_missing_sample_names_the_field(tmp_path):
    field, message = field_of(ready_plan(sample="nowhere.csv"), tmp_path)
    assert field == "sample" and "file not found" in message


@pytest.mark.parametrize(("content", "says"), [
    (b"", "is empty"),
    (b"label,second\na,b,c,d\n", "cannot be read as CSV"),
    (b"label\n\xff\xfe\x00bad\n", "not UTF-8"),
])
def test_unreadable_sample_names_the_field(tmp_path, content, says):
    (tmp_path / "bad.csv").write_bytes(content)
    field, message = field_of(ready_plan(sample="bad.csv"), tmp_path)
    assert field == "sample" and says in message


def test_missing_raters_column_names_the_field(tmp_path):
    (tmp_path / "s.csv").write_text("label,other\na,b\n")
    field, message = field_of(ready_plan(sample="s.csv", second_rater_column="rater_b"), tmp_path)
    assert field == "second_rater_column"
    assert "'rater_b' is not in s.csv; its columns are label, other" in message


def test_missing_label_column_names_the_field(tmp_path):
    (tmp_path / "s.csv").write_text("queue\na\n")
    assert field_of(ready_plan(sample="s.csv"), tmp_path)[0] == "label_column"  # default "label" is absent


def test_override_with_bad_value_is_a_case_error_naming_the_field(triage):
    with pytest.raises(CaseError) as info:
        aipm_kit.load_case("support-triage", overrides={"data": {"eval_margin": 0}})
    assert info.value.section == "data" and info.value.field == "eval_margin"


def test_unquoted_yaml_date_is_kept_as_text():
    assert DataNeed(due=datetime.date(2027, 1, 15)).due == "2027-01-15"


# ---- properties -------------------------------------------------------------------------------------------

numbers = st.one_of(st.integers(-5, 10_000), st.floats(-1, 2, allow_nan=False))
need_values = st.fixed_dictionaries({
    "name": st.text(max_size=12),
    "purpose": st.sampled_from(["training", "evaluation", "retrieval", "context", "monitoring", "other"]),
    "status": st.sampled_from(["have", "partial", "missing"]),
    "owner": st.text(max_size=8),
    "rows_have": numbers,
    "rows_needed": numbers,
    "labelled": st.booleans(),
    "freshness": st.sampled_from(["live", "daily", "weekly", "monthly", "quarterly", "one-off"]),
    "personal_data": st.booleans(),
    "consent": st.booleans(),
})
slice_values = st.fixed_dictionaries({
    "dimension": st.sampled_from(["language", "plan", ""]),
    "name": st.text(max_size=8),
    "share": st.floats(-0.5, 1.5, allow_nan=False),
    "rows_have": numbers,
})
plans = st.fixed_dictionaries({
    "needs": st.lists(need_values, max_size=5),
    "slices": st.lists(slice_values, max_size=5),
    "min_rows_per_slice": st.integers(-1, 500),
    "eval_margin": st.floats(-0.1, 1.1, allow_nan=False),
    "expected_pass_rate": st.floats(-0.1, 1.1, allow_nan=False),
})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans)
def test_accepted_answers_never_crash_and_rejected_ones_are_validation_errors(values):
    try:
        answers = Answers.model_validate(values)
    except ValidationError:
        return
    result = analyze(answers)
    assert result.level in ("go", "caution", "stop")
    assert 0 <= result.data["readiness"] <= 1
    json.loads(result.to_json())
    assert result.notes["Datasheet"].startswith("# Datasheet")
