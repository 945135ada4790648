"""Question 2 — Does this need AI? Every expected number is worked out by hand in the comment beside it."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import aipm_kit
from aipm_kit import CaseError, load_case, synth
from aipm_kit.bundled import cases_dir
from aipm_kit.questions import need_ai
from aipm_kit.questions.need_ai import Answers, analyze
from aipm_kit.stats import majority_class_baseline

# A support-triage-like worksheet without the sample, so the typed baseline is used.
BASE = dict(
    decision="Suggest the queue of each new ticket.", rules_can_do_it="partly", input_kind="unstructured",
    agreement_rate=0.86, users_want="help doing it", error_tolerance="medium", cost_false_positive=1.4,
    cost_false_negative=15, false_positive_share=0.85, monthly_volume=18000, world_changes="sometimes",
    explanation="helpful", labelled_examples=200000, baseline_accuracy=0.6, ai_accuracy=0.87,
    value_per_correct=1.7, run_cost_per_decision=0.002, run_cost_per_month=500, build_cost=40000,
    horizon_months=12,
)


def answers(**changes) -> Answers:
    return Answers(**{**BASE, **changes})


# ---- the money, by hand ------------------------------------------------------------------------------------

# A small worksheet whose numbers are easy to follow:
# N = 1,000 decisions, V = $2, c_FP = c_FN = $1 so c = $1, typed baseline p = 70%, AI a = 90%,
# r = $0.01 a decision, F = $100 a month, B = $1,200 over H = 12 months.
SMALL = dict(monthly_volume=1000, value_per_correct=2, cost_false_positive=1, cost_false_negative=1,
             false_positive_share=0.5, baseline_accuracy=0.7, ai_accuracy=0.9, run_cost_per_decision=0.01,
             run_cost_per_month=100, build_cost=1200, horizon_months=12)


def test_expected_value_by_hand():
    a = answers(**SMALL)
    # doing nothing is worth c / (V + c) = 1 / 3 = 33.3%, under the typed 70%: the baseline is 70%
    assert need_ai.do_nothing_accuracy(a) == pytest.approx(1 / 3)
    m = need_ai.expected_value(a, 0.7)
    assert m.error_cost == pytest.approx(1.0)  # 0.5 × 1 + 0.5 × 1
    assert m.value_gain == pytest.approx(400)  # 1,000 × (0.9 − 0.7) × 2
    assert m.error_cost_change == pytest.approx(-200)  # 1,000 × (0.1 − 0.3) × 1: 200 fewer errors
    assert m.run_cost == pytest.approx(110)  # 1,000 × 0.01 + 100
    assert m.build_per_month == pytest.approx(100)  # 1,200 ÷ 12
    assert m.net == pytest.approx(390)  # 400 + 200 − 110 − 100
    assert need_ai.net_monthly_value(a, 0.9, 0.7) == pytest.approx(390)
    # a* = 0.7 + (10 + 100 + 100) / (1,000 × (2 + 1)) = 0.7 + 210 / 3,000 = 0.77
    assert m.break_even == pytest.approx(0.77)
    assert need_ai.net_monthly_value(a, 0.77, 0.7) == pytest.approx(0, abs=1e-9)
    # volume where net = 0: (F + B/H) / ((a − p)(V + c) − r) = 200 / (0.6 − 0.01) = 338.98
    assert m.break_even_volume == pytest.approx(200 / 0.59)
    # payback: B / (value + error saving − run) = 1,200 / (400 + 200 − 110) = 2.449 months
    assert m.payback_months == pytest.approx(1200 / 490)


def test_error_cost_mixes_false_positives_and_negatives():
    # 85% of errors at $1.40 and 15% at $15: 1.19 + 2.25 = $3.44
    assert need_ai.error_cost(answers()) == pytest.approx(3.44)


def test_break_even_is_none_when_nothing_has_a_price():
    a = answers(value_per_correct=0, cost_false_positive=0, cost_false_negative=0)
    assert need_ai.break_even_accuracy(a, 0.5) is None
    result = analyze(a)
    assert result.data["outcome"] == "no_ai"
    assert result.data["break_even_accuracy"] is None


def test_break_even_above_one_means_no_accuracy_pays():
    # N(V + c) = 100 × 3 = 300 a point; costs 1,000 a month: a* = 0.7 + 1,000 / 300 = 4.03
    a = answers(**{**SMALL, "monthly_volume": 100, "run_cost_per_month": 1000, "build_cost": 0,
                   "run_cost_per_decision": 0})
    assert need_ai.break_even_accuracy(a, 0.7) == pytest.approx(0.7 + 1000 / 300)
    result = analyze(a)
    assert result.data["outcome"] == "no_ai"
    assert result.data["break_even_accuracy"] is None
    assert "even a perfect AI" in result.headline


# ---- the worked example ------------------------------------------------------------------------------------

def test_support_triage_worked_example():
    case = load_case("support-triage")
    result = case.analyze("need_ai")
    assert (result.verdict, result.level, result.data["outcome"]) == ("AI assists", "go", "assist")

    # The sample: 400 tickets, 133 of them Technical → majority class 33.25%; the keyword rule is right on
    # 256 → 64%. Doing nothing is worth c / (V + c) = 3.44 / 5.14 = 66.93%, more than either: that is the
    # baseline (a keyword pre-fill that right costs more in errors than it saves).
    sample = pd.read_csv(cases_dir() / "support-triage" / "need_ai_sample.csv")
    assert len(sample) == 400
    assert sample["label"].value_counts().iloc[0] == 133
    assert (sample["rule"] == sample["label"]).sum() == 256
    table = result.tables["Non-AI baselines"].set_index("baseline")
    assert table.loc["majority class (measured)", "accuracy"] == f"{133 / 400:.1%}"
    assert table.loc["the sample's rule (measured)", "accuracy"] == "64.0%"
    assert table.loc["doing nothing (today's way)", "used"] == "✓"
    assert result.data["baseline_accuracy"] == pytest.approx(3.44 / 5.14)
    assert result.data["baseline_source"] == "doing nothing"

    # run and build costs are question 4's for its chosen prompt: (900 + 350) input tokens × $0.50/M + 25 output
    # × $1.50/M = $0.0006625 a ticket, $200 fixed a month, $12,000 build over 12 months:
    # 18,000 × 0.0006625 + 200 + 1,000 = $1,211.925 a month (question 2's own $0.002, $500 and $40,000 unused)
    # a* = 0.66926 + 1,211.925 / (18,000 × 5.14) = 0.66926 + 1,211.925 / 92,520 = 0.66926 + 0.01310 = 0.68236
    assert result.data["costs_source"] == "question 4's prices for Simple prompt"
    assert result.data["break_even_accuracy"] == pytest.approx(3.44 / 5.14 + 1211.925 / 92520, abs=1e-6)
    assert result.data["break_even_accuracy"] == pytest.approx(0.6824, abs=1e-4)
    # net = 92,520 × (0.87 − 0.66926) − 1,211.925 = 18,572.40 − 1,211.93 = 17,360.47
    assert result.data["net_monthly_value"] == pytest.approx(17360.47, abs=0.01)
    # scorecard: rules partly 0, unstructured +2, agreement 86% +1, volume +1, 200,000 labels +1 = 5
    # automating: users want help −2, 18,000 a month +1, everything else 0 = −1
    assert (result.data["ai_fit_score"], result.data["automation_score"]) == (5, -1)
    # question 1: 40 agents × 450 tickets × $2.60 = $46,800 a month; 17,360 / 46,800 = 37.1%
    assert result.metric_value("Share of the problem's monthly cost recovered") == pytest.approx(17360.47 / 46800)
    assert "Why not AI" not in result.notes
    assert "Net monthly value against AI accuracy" in result.figures
    json.loads(result.to_json())  # JSON-ready for question 4 and 5


def test_the_break_even_says_what_is_measured_per_what_and_in_what_unit():
    result = load_case("support-triage").analyze("need_ai")
    # the metric names its measure and unit; the headline says of what, against what, and measured how
    assert result.metric_value("Break-even accuracy (share of decisions the AI must get right)") == \
        pytest.approx(3.44 / 5.14 + 1211.925 / 92520, abs=1e-6)  # question 4's costs: see the worked example
    assert result.headline == (
        "AI assists: it suggests, a person decides — it must get more than 68.2% of tickets right to beat the "
        "best non-AI way (today's way, worth as much as 66.9% of tickets right) after run and build costs; at "
        "the expected 87% it nets $17.4k a month.")
    go = next(f.message for f in result.findings if f.level == "go" and "nets" in f.message)
    assert ("The AI must get more than 68.2% of tickets right (a share of all the tickets it handles, measured on "
            "labelled tickets)") in go
    ax = result.figures["Net monthly value against AI accuracy"].axes[0]
    assert ax.get_xlabel() == "AI accuracy: share of tickets it gets right (on labelled tickets)"
    assert "break-even: AI gets 68.2% of tickets right" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert result.data["break_even_unit"] == "tickets"


@pytest.mark.parametrize(("word", "plural"), [("ticket", "tickets"), ("inquiry", "inquiries"), ("day", "days"),
                                              ("box", "boxes"), ("", "decisions"), ("  Trip ", "trips")])
def test_the_unit_is_plain_english(word, plural):
    assert need_ai.plural(need_ai.unit(answers(decision_unit=word))) == plural


def test_a_dollar_sign_in_the_unit_is_not_read_as_a_formula():
    result = analyze(answers(decision_unit="$ claim"))
    ax = result.figures["Net monthly value against AI accuracy"].axes[0]
    assert ax.get_xlabel().startswith(r"AI accuracy: share of \$ claims")
    from aipm_kit.result import figure_png
    assert figure_png(result.figures["Net monthly value against AI accuracy"])  # draws without a mathtext error


def test_bundled_sample_is_the_generator_output():
    bundled = pd.read_csv(cases_dir() / "support-triage" / "need_ai_sample.csv")
    generated = synth.case_frames(synth.bundled_spec("support-triage"))["need_ai_sample.csv"]
    pd.testing.assert_frame_equal(bundled, generated, check_dtype=False)


def test_majority_class_baseline_by_hand():
    assert majority_class_baseline(["a", "a", "a", "b", "c"]) == ("a", 0.6, 5)
    assert majority_class_baseline(["b", "a", None]) == ("a", 0.5, 2)  # a tie goes to the label sorting first
    label, accuracy, n = majority_class_baseline([])
    assert (label, n) == (None, 0) and math.isnan(accuracy)


def test_starting_answers_take_the_volume_from_question_1():
    # 40 agents × 450 tickets a month
    assert need_ai.starting_answers(load_case("support-triage")) == {"monthly_volume": 18000}


# ---- the four outcomes -------------------------------------------------------------------------------------

def test_rules_can_do_it_is_no_ai_with_a_memo():
    # saying no with a plan is a sound decision (the verdict contract): level go, drawn green like any other
    result = analyze(answers(rules_can_do_it="yes", non_ai_alternative="A required product-area field."))
    assert (result.verdict, result.level, result.data["outcome"]) == ("No AI", "go", "no_ai")
    memo = result.notes["Why not AI"]
    assert "A required product-area field." in memo and "rules" in memo
    assert result.findings[0].level == "go"
    assert result.findings[1].message == "The plan instead: A required product-area field."


def test_no_ai_without_a_written_plan_is_a_caution_and_without_numbers_a_stop():
    # the same answer with no plan written: carry on, but say what to build instead
    result = analyze(answers(rules_can_do_it="yes"))
    assert (result.verdict, result.level) == ("No AI", "caution")
    assert "non_ai_alternative" in result.findings[1].message
    # the scorecard says no on a blank volume: the answer rests on nothing, so the plan cannot save it
    blank = analyze(answers(rules_can_do_it="partly", monthly_volume=0, non_ai_alternative="Sort by hand."))
    assert blank.data["outcome"] == "no_ai" and blank.level == "stop"
    # rules doing it needs no volume: the mirror stays go
    assert analyze(answers(rules_can_do_it="yes", monthly_volume=0, non_ai_alternative="A rule.")).level == "go"


def test_people_who_want_to_do_it_themselves_keep_it_human():
    result = analyze(answers(users_want="to do it themselves"))
    assert (result.verdict, result.level, result.data["outcome"]) == ("Keep it human", "caution", "human")
    planned = analyze(answers(users_want="to do it themselves", non_ai_alternative="Better macros for agents."))
    assert (planned.verdict, planned.level) == ("Keep it human", "go")


def test_people_who_disagree_keep_it_human():
    result = analyze(answers(agreement_rate=0.55))
    assert result.data["outcome"] == "human"
    assert "55%" in result.headline


def test_automates_when_users_want_it_done_and_errors_are_cheap():
    result = analyze(answers(rules_can_do_it="no", agreement_rate=0.95, users_want="done for them",
                             error_tolerance="high", value_per_correct=2, cost_false_positive=3,
                             cost_false_negative=3, explanation="not needed", monthly_volume=20000,
                             ai_accuracy=0.95))
    # automating: agreement ≥ 90% +1, done for them +2, tolerance high +1, worst error 1.5× a right one +1,
    # 20,000 a month +1, no explanation +1 = 7 > 2
    assert result.data["automation_score"] == 7
    assert (result.verdict, result.level, result.data["outcome"]) == ("AI automates with oversight", "go",
                                                                      "automate")


def test_a_required_explanation_blocks_automation():
    result = analyze(answers(rules_can_do_it="no", agreement_rate=0.95, users_want="done for them",
                             error_tolerance="high", value_per_correct=2, cost_false_positive=3,
                             cost_false_negative=3, explanation="required", ai_accuracy=0.95))
    assert result.data["outcome"] == "assist"
    assert "explanation is required" in result.findings[0].message


def test_a_tie_on_the_ai_fit_bar_goes_to_no_ai():
    # 5 − 2 (input mixed instead of unstructured: +1 not +2; 500 a month: 0 not +1) = 3, on the bar
    result = analyze(answers(input_kind="mixed", monthly_volume=500))
    assert result.data["ai_fit_score"] == need_ai.AI_FIT_BAR == 3
    assert result.data["outcome"] == "no_ai"
    assert result.data["borderline"] is True
    assert "tie" in result.headline
    assert "Why not AI" in result.notes


def test_one_point_over_the_ai_fit_bar_is_assist_with_caution():
    result = analyze(answers(input_kind="mixed"))  # 5 − 1 = 4
    assert result.data["ai_fit_score"] == 4
    assert (result.verdict, result.level) == ("AI assists", "caution")


def test_a_tie_on_the_automation_bar_goes_to_assist():
    # automating: done for them +2, 18,000 a month +1, world 'often' −1; agreement 86%, tolerance medium,
    # worst error 8.8× a right answer and explanation 'helpful' all 0: 2 + 1 − 1 = 2, on the bar
    result = analyze(answers(users_want="done for them", world_changes="often"))
    assert result.data["automation_score"] == need_ai.AUTOMATION_BAR == 2
    assert (result.verdict, result.level, result.data["outcome"]) == ("AI assists", "caution", "assist")


def test_an_accuracy_too_close_to_break_even_goes_to_the_simpler_way():
    # typed baseline without a sample, above doing nothing (66.9%): p = 0.80, a* = 0.80 + 0.0418 = 0.8418;
    # AI at 0.86 clears it by 1.8 points, under the 3-point margin
    result = analyze(answers(baseline_accuracy=0.80, ai_accuracy=0.86))
    assert result.data["break_even_accuracy"] == pytest.approx(0.80 + 3869.3333 / 92520, abs=1e-6)
    assert result.data["outcome"] == "no_ai"
    assert result.data["borderline"] is True


def test_losing_money_stops_with_the_numbers_in_the_memo():
    # p = 0.80 typed, a = 0.82 < a* = 0.8418: net = 92,520 × 0.02 − 3,869.33 = −2,018.93
    result = analyze(answers(baseline_accuracy=0.80, ai_accuracy=0.82))
    assert result.data["outcome"] == "no_ai"
    assert result.data["net_monthly_value"] == pytest.approx(92520 * 0.02 - 3869.3333, abs=0.01)
    assert "$2,019" in result.headline
    assert "break-even: AI would have to get more than 84.2% of decisions right" in result.notes["Why not AI"]
    # the loss is evidence for the simpler way, not a fault of it: no red finding, and no plan written → caution
    assert result.level == "caution"
    assert not [f for f in result.findings if f.level == "stop"]


def test_no_rule_and_no_money_keeps_it_human():
    result = analyze(answers(rules_can_do_it="no", monthly_volume=0))
    assert result.data["outcome"] == "human"


def test_an_empty_worksheet_says_no():
    result = analyze(Answers())
    assert result.level == "stop"  # no volume, nothing priced: a "no" that rests on blanks
    assert result.data["outcome"] in ("no_ai", "human")
    assert "Why not AI" in result.notes


def test_an_accuracy_above_human_agreement_is_a_caution():
    result = analyze(answers(ai_accuracy=0.97))
    assert result.level == "caution"
    assert any("noisy" in f.message for f in result.findings)


# ---- bad input: a validation error naming the field ---------------------------------------------------------

@pytest.mark.parametrize("field, value", [
    ("monthly_volume", -5), ("agreement_rate", 1.2), ("ai_accuracy", -0.1), ("false_positive_share", 2),
    ("cost_false_negative", -1), ("horizon_months", 0), ("users_want", "whatever"), ("build_cost", "lots"),
])
def test_bad_values_name_the_field(field, value):
    with pytest.raises(CaseError) as info:
        load_case("support-triage", overrides={"need_ai": {field: value}})
    assert info.value.field == field
    assert "need_ai" in str(info.value)


def test_a_sample_that_does_not_exist():
    with pytest.raises(CaseError) as info:
        load_case("support-triage", overrides={"need_ai": {"sample": "support-triage/nope.csv"}})
    assert info.value.field == "sample"
    assert "file not found" in str(info.value)


@pytest.mark.parametrize("content, problem", [
    (b'label,b\n"x,1\n', "cannot be read as CSV"),
    (b"\xff\xfe\x00garbage\x80", "not UTF-8"),
    (b"", "empty"),
    (b"queue,subject\nBilling,refund\n", "no 'label' column (found: queue, subject)"),
    (b"label,subject\n,refund\n", "no labelled rows"),
])
def test_a_sample_that_cannot_be_used(tmp_path, content, problem):
    path = tmp_path / "sample.csv"
    path.write_bytes(content)
    with pytest.raises(CaseError) as info:
        load_case("support-triage", overrides={"need_ai": {"sample": str(path)}})
    assert info.value.field == "sample"
    assert problem in str(info.value)


def test_a_sample_without_a_rule_column_measures_the_majority_class(tmp_path):
    path = tmp_path / "labels.csv"
    # 9 of 10 'ok': the majority class is 90% right, above doing nothing (66.9%) — it becomes the baseline
    path.write_text("label\n" + "ok\n" * 9 + "bad\n")
    result = analyze(answers(sample=path, ai_accuracy=0.99))
    assert result.data["baseline_accuracy"] == pytest.approx(0.9)
    assert result.data["baseline_source"] == "measured on the sample"
    assert "instead of the typed guess (60.0%)" in " ".join(f.message for f in result.findings)


# ---- properties ---------------------------------------------------------------------------------------------

share = st.floats(0, 1, allow_nan=False)
money = st.floats(0, 1e6, allow_nan=False)
VALID = st.fixed_dictionaries({
    "rules_can_do_it": st.sampled_from(["yes", "partly", "no"]),
    "input_kind": st.sampled_from(["structured", "mixed", "unstructured"]),
    "agreement_rate": share,
    "users_want": st.sampled_from(["done for them", "help doing it", "to do it themselves"]),
    "error_tolerance": st.sampled_from(["high", "medium", "low"]),
    "cost_false_positive": money, "cost_false_negative": money, "false_positive_share": share,
    "monthly_volume": st.integers(0, 10**8),
    "world_changes": st.sampled_from(["rarely", "sometimes", "often"]),
    "explanation": st.sampled_from(["not needed", "helpful", "required"]),
    "labelled_examples": st.integers(0, 10**7),
    "baseline_accuracy": share, "ai_accuracy": share, "value_per_correct": money,
    "run_cost_per_decision": st.floats(0, 100, allow_nan=False), "run_cost_per_month": money,
    "build_cost": money, "horizon_months": st.integers(1, 60),
})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(VALID)
def test_any_valid_answers_give_one_of_the_four_outcomes(values):
    result = analyze(Answers(**values))
    outcome = result.data["outcome"]
    assert outcome in need_ai.OUTCOMES
    assert result.verdict == need_ai.LABELS[outcome]
    # these answers write no plan instead of AI, so a "no" is never go
    assert result.level in (("caution", "stop") if outcome in ("no_ai", "human") else ("go", "caution", "stop"))
    assert ("Why not AI" in result.notes) == (outcome in ("no_ai", "human"))
    be = result.data["break_even_accuracy"]
    assert be is None or 0 <= be <= 1
    json.loads(result.to_json())


SHARES = ["agreement_rate", "false_positive_share", "baseline_accuracy", "ai_accuracy"]
MONEY = ["cost_false_positive", "cost_false_negative", "value_per_correct", "run_cost_per_decision",
         "run_cost_per_month", "build_cost"]
NOT_A_NUMBER = st.sampled_from([float("nan"), float("inf"), float("-inf")])
INVALID = st.one_of(
    st.tuples(st.sampled_from(SHARES), st.floats(max_value=-1e-9) | st.floats(min_value=1 + 1e-9) | NOT_A_NUMBER),
    st.tuples(st.sampled_from(MONEY), st.floats(max_value=-1e-9) | NOT_A_NUMBER),
    st.tuples(st.sampled_from(["monthly_volume", "labelled_examples"]), st.integers(max_value=-1)),
    st.tuples(st.just("horizon_months"), st.integers(max_value=0) | st.integers(min_value=61)),
    st.tuples(st.sampled_from(["rules_can_do_it", "input_kind", "users_want", "error_tolerance",
                               "world_changes", "explanation"]), st.text(max_size=12)),
)


@settings(max_examples=60, deadline=None)
@given(INVALID)
def test_anything_the_model_rejects_is_a_validation_error_on_that_field(bad):
    field, value = bad
    with pytest.raises(ValidationError) as info:
        Answers(**{**BASE, field: value})
    assert info.value.errors()[0]["loc"][0] == field


def test_the_result_is_reachable_from_the_public_api():
    assert aipm_kit.analyze("support-triage", "need_ai").verdict == "AI assists"


def test_an_assisting_plan_is_not_judged_on_question_5s_share_for_letting_the_ai_act():
    # policy-assistant: question 2 says the AI assists (a person decides each question); question 5 weighs the
    # later step of answering alone and finds no safe threshold. That share (0) is about the later step, so the
    # value with the evidence keeps every question and takes only question 6's accuracy.
    from aipm_kit.case import load_case

    case = load_case("policy-assistant")
    assert case.answers("experience").automation == "act autonomously"
    table = case.analyze("need_ai").tables["Value planned and with the evidence, per month"]
    assert table.loc[0, "with the evidence"] == "100.0%" and "later step" in table.loc[0, "evidence from"]
    # the mirror: question 5 weighing a suggestion, the same kind of help question 2 plans, is this plan's
    # evidence, and with no safe threshold no question gets a confident suggestion
    suggest = load_case("policy-assistant", overrides={"experience": {"automation": "suggest"}})
    table = suggest.analyze("need_ai").tables["Value planned and with the evidence, per month"]
    assert table.loc[0, "with the evidence"] == "0.0%" and table.loc[0, "evidence from"].startswith("question 5 at")
