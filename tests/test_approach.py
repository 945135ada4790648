"""Question 4: fit per approach, the cost model, break-even volumes, latency and the failure-mode catalogue.

The worked example is the bundled support-triage case: 18,000 tickets a month, 900 instruction + 350 ticket
tokens in, 25 out, 1,500 retrieved tokens for RAG, 4 agent steps, a 3,000 ms budget, the illustrative prices.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import aipm_kit
from aipm_kit.case import CaseError
from aipm_kit.questions import approach
from aipm_kit.questions.approach import Answers, analyze, break_even_volumes, price_approaches


@pytest.fixture(scope="module")
def case():
    return aipm_kit.load_case("support-triage")


@pytest.fixture(scope="module")
def triage(case) -> Answers:
    return case.answers("approach")


@pytest.fixture(scope="module")
def result(case):
    return case.analyze("approach")


def with_(answers: Answers, **changes) -> Answers:
    return Answers.model_validate({**answers.model_dump(), **changes})


class StubCase:
    """Just enough of a Case to hand question 4 another question's result."""

    def __init__(self, need_ai_outcome: str):
        self.outcome = need_ai_outcome

    def answers(self, key):
        return object() if key == "need_ai" else None

    def analyze(self, key):
        from aipm_kit.result import Result

        result = Result(key, "", verdict=self.outcome, level="go", headline="")
        result.data["outcome"] = self.outcome
        return result


# ---- the cost model, worked by hand -----------------------------------------------------------------------

def test_prompt_cost_worked_by_hand(triage):
    # (900 + 350) input tokens × $0.50/M + 25 output tokens × $1.50/M = $0.000625 + $0.0000375 = $0.0006625
    # fixed: $200 running + $12,000 build ÷ 12 months = $1,200; 18,000 × $0.0006625 = $11.925
    cost = price_approaches(triage)["prompt"]
    assert (cost.input_tokens, cost.output_tokens) == (1250, 25)
    assert cost.per_request == pytest.approx(0.0006625)
    assert cost.fixed == pytest.approx(1200)
    assert cost.monthly(18_000) == pytest.approx(1211.925)


def test_trained_model_cost_is_training_and_hosting(triage):
    # no tokens; $0.05 per 1,000 predictions; $400 hosting + $40,000 ÷ 12 + $1,500 × 4 retrains ÷ 12 = $4,233.33
    cost = price_approaches(triage)["ml_model"]
    assert (cost.input_tokens, cost.output_tokens) == (0, 0)
    assert cost.per_request == pytest.approx(0.00005)
    assert cost.fixed == pytest.approx(400 + 40_000 / 12 + 500)
    assert cost.monthly(18_000) == pytest.approx(4234.2333, abs=1e-3)


def test_rag_adds_retrieved_tokens_and_search(triage):
    # (1,250 + 1,500) × $0.50/M + 25 × $1.50/M + $0.40 / 1,000 = $0.0013750 + $0.0000375 + $0.0004 = $0.0018125
    cost = price_approaches(triage)["rag"]
    assert cost.input_tokens == 2750
    assert cost.per_request == pytest.approx(0.0018125)
    assert cost.fixed == pytest.approx(700 + 30_000 / 12 + 500 * 12 / 12)


def test_agent_pays_tokens_and_latency_per_step(triage):
    # 4 steps × (1,250 + 1,500) = 11,000 tokens in, 4 × 25 = 100 out:
    # 11,000 × $3/M + 100 × $15/M + $2 / 1,000 = $0.033 + $0.0015 + $0.002 = $0.0365; 4 × 2,000 ms = 8,000 ms
    cost = price_approaches(triage)["agent"]
    assert (cost.input_tokens, cost.output_tokens) == (11_000, 100)
    assert cost.per_request == pytest.approx(0.0365)
    assert cost.latency_ms == 8000


def test_break_even_prompt_against_trained_model(triage):
    # (4,233.33 − 1,200) ÷ (0.0006625 − 0.00005) = 3,033.33 ÷ 0.0006125 = 4,952,381 tickets a month
    costs = price_approaches(triage)
    crossings = {tuple(c["between"]): c for c in break_even_volumes(costs)}
    crossing = crossings[("prompt", "ml_model")]
    assert crossing["volume"] == pytest.approx(4_952_381, abs=1)
    assert (crossing["cheaper_below"], crossing["cheaper_above"]) == ("prompt", "ml_model")
    # at every reported crossing the two lines really meet
    for c in crossings.values():
        first, second = (costs[name] for name in c["between"])
        assert first.monthly(c["volume"]) == pytest.approx(second.monthly(c["volume"]), rel=1e-6)


def test_lines_that_never_cross_have_no_break_even(triage):
    # rules: $800 fixed, nothing per request; the prompt: $1,200 fixed and more per request — never cheaper
    pairs = {tuple(c["between"]) for c in break_even_volumes(price_approaches(triage))}
    assert ("rules", "prompt") not in pairs


# ---- the worked example ---------------------------------------------------------------------------------

def test_triage_recommends_the_simple_prompt(result):
    assert result.data["recommended"] == "prompt"
    assert result.data["chosen"] == "prompt"
    assert (result.verdict, result.level) == ("Simple prompt", "go")
    assert result.headline.startswith("Simple prompt: the simplest approach that fits")
    assert result.metric_value("Monthly cost of the chosen approach") == pytest.approx(1211.925)
    assert result.metric_value("Latency of the chosen approach") == 900


def test_triage_fit_per_approach(result):
    # rules 64% < 86% needed; RAG has nothing to retrieve; the agent has no tools to call and is 8,000 ms
    assert result.data["fits"] == {"rules": False, "prompt": True, "rag": False, "ml_model": True, "agent": False}
    table = result.tables["Fit per approach"].set_index("approach")
    assert "64%" in table.loc["Rules (no AI)", "why"]
    assert "8,000 ms, over the 3,000 ms budget" in table.loc["Agent", "why"]


def test_triage_says_when_the_trained_model_would_pay_off(result):
    # 4,952,381 ÷ 18,000 = 275 times today's volume
    messages = [f.message for f in result.findings]
    assert any("Trained ML model also fits" in m and "4.95M" in m and "275×" in m for m in messages)


def test_triage_compares_with_the_problem_cost(result):
    # question 1: 40 agents × 450 tickets × $2.60 = $46,800 a month; $1,211.93 ÷ $46,800 = 2.59%
    assert result.metric_value("Cost as a share of the problem's monthly cost") == pytest.approx(1211.925 / 46_800)


def test_prices_are_labelled_illustrative(result, triage):
    assert any("illustrative" in f.message for f in result.findings)
    assert "Monthly cost at 18,000 requests a month (illustrative prices)" in result.tables
    assert "ILLUSTRATIVE" in Answers.model_fields["prices"].description
    # the kit's default prices stay labelled illustrative even if prices_source claims otherwise
    relabelled = analyze(with_(triage, prices_source="Vendor price page, March 2026"))
    assert "Monthly cost at 18,000 requests a month (illustrative prices)" in relabelled.tables
    quoted_prices = [{**row.model_dump(), "input_per_mtok": 0.4} if row.approach == "prompt" else row.model_dump()
                     for row in triage.prices]
    quoted = analyze(with_(triage, prices_source="Vendor price page, March 2026", prices=quoted_prices))
    assert "Monthly cost at 18,000 requests a month" in quoted.tables
    assert any(f.message == "Prices from: Vendor price page, March 2026." for f in quoted.findings)


def test_failure_modes_of_the_chosen_approach(result):
    modes = result.data["failure_modes"]
    assert [m["name"] for m in modes][:2] == ["format drift", "hallucination"]
    for mode in modes:
        assert set(mode) == {"name", "approach", "example", "description"}
        assert mode["approach"] == "prompt" and mode["example"] and mode["description"]


def test_catalogue_names_every_approach_s_failure_modes():
    names = {a: {m.name for m in modes} for a, modes in approach.FAILURE_MODES.items()}
    assert set(names) == set(approach.APPROACHES)
    assert {"format drift", "hallucination"} <= names["prompt"]
    assert {"retrieval miss", "stale document", "context overflow"} <= names["rag"]
    assert {"loops", "wrong tool", "runaway cost"} <= names["agent"]
    assert {"drift", "unseen classes"} <= names["ml_model"]
    assert "what rules miss" in names["rules"]


def test_result_renders_and_is_json(result):
    data = json.loads(result.to_json())
    assert data["data"]["recommended"] == "prompt"
    assert "Monthly cost against volume" in data["figures"]
    assert "Latency against the budget" in data["figures"]
    assert "Simple prompt" in result.to_html(figures=False)


def test_starting_answers_take_the_volume_from_question_1(case):
    # 40 agents × 450 tickets each a month = 18,000 requests
    assert approach.starting_answers(case) == {"requests_per_month": 18_000}


# ---- the recommendation under other traits ------------------------------------------------------------

def test_choosing_a_more_complex_approach_asks_why(triage):
    result = analyze(with_(triage, chosen="ml_model"))
    assert result.level == "caution"
    assert "why does Simple prompt fail?" in result.headline
    assert [m["approach"] for m in result.data["failure_modes"]] == ["ml_model"] * 3
    explained = analyze(with_(triage, chosen="ml_model",
                              simpler_fails_because="The prompt scored 78% on 500 held-out tickets; the model 91%."))
    assert explained.level == "go"
    assert any("The prompt scored 78%" in f.message for f in explained.findings)


def test_choosing_an_approach_that_does_not_fit_is_a_stop(triage):
    result = analyze(with_(triage, chosen="agent"))
    assert result.level == "stop"
    assert "does not fit" in result.headline and "tools" in result.headline


def test_private_knowledge_recommends_rag(triage):
    result = analyze(with_(triage, needs_private_knowledge=True, fixed_labels=False, chosen=None))
    assert result.data["recommended"] == "rag"
    assert result.data["fits"]["prompt"] is False
    assert result.level == "caution"  # nothing chosen yet
    assert [m["approach"] for m in result.data["failure_modes"]] == ["rag"] * 4


def test_tools_recommend_an_agent_within_budget(triage):
    result = analyze(with_(triage, needs_tools=True, latency_budget_ms=20_000, chosen="agent"))
    assert result.data["recommended"] == "agent"
    assert result.level == "go"


def test_too_few_labels_rule_out_a_trained_model(triage):
    # 9 labels × 100 = 900, but at least 1,000 in all
    result = analyze(with_(triage, labelled_examples=999))
    assert result.data["fits"]["ml_model"] is False
    assert "at least 1,000 needed" in result.tables["Fit per approach"].set_index("approach").loc[
        "Trained ML model", "why"]


def test_rules_win_when_they_are_good_enough(triage):
    result = analyze(with_(triage, rules_accuracy=0.9, chosen="rules"))
    assert result.data["recommended"] == "rules"
    assert result.verdict == "Rules (no AI)" and result.level == "go"


def test_nothing_fits_is_a_stop(triage):
    result = analyze(with_(triage, latency_budget_ms=1, chosen=None))
    assert result.data["recommended"] is None
    assert (result.verdict, result.level) == ("No fit", "stop")


def test_question_2_no_ai_makes_rules_the_recommendation(triage):
    result = analyze(triage, StubCase("no_ai"))
    assert result.data["recommended"] == "rules"
    assert any("Question 2 found that this problem does not need AI" in f.message for f in result.findings)
    assert result.level != "go"
    assert analyze(triage, StubCase("ai_assists")).data["recommended"] == "prompt"


def test_zero_volume_leaves_only_fixed_costs(triage):
    result = analyze(with_(triage, requests_per_month=0))
    assert result.data["monthly_cost"]["prompt"] == pytest.approx(1200)
    assert any("No volume yet" in f.message for f in result.findings)


# ---- bad input -------------------------------------------------------------------------------------------

def test_negative_volume_names_the_field():
    with pytest.raises(CaseError) as err:
        aipm_kit.load_case("support-triage", overrides={"approach": {"requests_per_month": -5}})
    assert err.value.section == "approach" and err.value.field == "requests_per_month"


def test_missing_price_for_the_chosen_approach_names_the_field(triage):
    rows = [row.model_dump() for row in triage.prices if row.approach != "prompt"]
    with pytest.raises(CaseError) as err:
        aipm_kit.load_case("support-triage", overrides={"approach": {"prices": rows}})
    assert err.value.field == "prices"
    assert "no row for the chosen approach 'prompt'" in str(err.value)


def test_two_price_rows_for_one_approach_are_rejected(triage):
    rows = [row.model_dump() for row in triage.prices]
    with pytest.raises(ValidationError, match="two rows for 'rules'"):
        Answers.model_validate({"prices": [*rows, rows[0]]})


def test_an_empty_worksheet_is_valid_and_analyzes():
    result = analyze(Answers())
    assert result.level in ("go", "caution", "stop")
    assert len(Answers().prices) == 5


# ---- properties ----------------------------------------------------------------------------------------

_numbers = st.one_of(st.integers(-10, 10**7), st.floats(-1e3, 1e9, allow_nan=False))
_price_row = st.fixed_dictionaries({
    "approach": st.sampled_from(approach.APPROACHES),
    "input_per_mtok": st.floats(-1, 100), "output_per_mtok": st.floats(0, 100),
    "per_1k_requests": st.floats(0, 50), "fixed_monthly": st.floats(0, 1e5), "build_cost": st.floats(0, 1e6),
    "retrain_cost": st.floats(0, 1e4), "retrains_per_year": st.floats(0, 52), "latency_ms": st.floats(0, 1e5),
})
_answers = st.fixed_dictionaries({}, optional={
    "needs_private_knowledge": st.booleans(), "needs_tools": st.booleans(), "fixed_labels": st.booleans(),
    "label_count": st.integers(-1, 500), "labelled_examples": st.integers(-1, 10**6),
    "rules_accuracy": st.floats(-0.1, 1.1), "accuracy_needed": st.floats(-0.1, 1.1),
    "requests_per_month": _numbers, "instruction_tokens": st.integers(-1, 10**5),
    "input_tokens": st.integers(0, 10**5), "retrieved_tokens": st.integers(0, 10**5),
    "output_tokens": st.integers(0, 10**4), "agent_steps": st.integers(0, 120),
    "latency_budget_ms": st.floats(-1, 1e6), "horizon_months": st.integers(0, 130),
    "chosen": st.one_of(st.none(), st.sampled_from(approach.APPROACHES)),
    "prices": st.lists(_price_row, max_size=5, unique_by=lambda row: row["approach"]),
})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_answers)
def test_accepted_answers_never_crash_analyze(values):
    try:
        answers = Answers.model_validate(values)
    except ValidationError:
        return  # rejected with a field-level message: what bad input should get
    result = analyze(answers)
    assert result.level in ("go", "caution", "stop")
    assert result.data["recommended"] in (None, *approach.APPROACHES)
    json.dumps(result.data)
    for crossing in result.data["break_even"]:
        assert crossing["volume"] > 0 and math.isfinite(crossing["volume"])


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["requests_per_month", "input_tokens", "labelled_examples", "horizon_months",
                        "rules_accuracy"]), st.floats(-1e6, -1e-3))
def test_negative_values_are_rejected_by_field(name, value):
    with pytest.raises(ValidationError) as err:
        Answers.model_validate({name: value if "tokens" not in name and "examples" not in name
                                and "months" not in name else int(value) - 1})
    assert err.value.errors()[0]["loc"] == (name,)


def test_section_survives_a_save_and_reload(case, tmp_path):
    saved = aipm_kit.load_case(case).save(tmp_path / "copy.yaml")
    again = aipm_kit.load_case(saved).answers("approach")
    assert again == case.answers("approach")
    assert "# Cost and speed of each approach. The defaults are ILLUSTRATIVE" in saved.read_text()
