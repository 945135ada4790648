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
    # each step re-reads the instructions (900), the ticket (350) and all earlier output (25) and tool results
    # (400) a step: step 1 reads 1,250, step 2 1,675, step 3 2,100, step 4 2,525 — 7,550 tokens in, 4 × 25 out:
    # 7,550 × $3/M + 100 × $15/M + $2 / 1,000 = $0.02265 + $0.0015 + $0.002 = $0.02615; 4 × 2,000 ms = 8,000 ms
    cost = price_approaches(triage)["agent"]
    assert (cost.input_tokens, cost.output_tokens, cost.cached_tokens) == (1250 + 1675 + 2100 + 2525, 100, 0)
    assert cost.per_request == pytest.approx(0.02615)
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
    rated = [*[q.model_dump() for q in triage.quality], {"approach": "agent", "expected_accuracy": 0.9,
                                                          "source": "a vendor's demo"}]
    result = analyze(with_(triage, needs_tools=True, latency_budget_ms=20_000, chosen="agent", quality=rated))
    assert result.data["recommended"] == "agent"
    assert result.level == "go"
    # the mirror: the same agent with no expected quality is still recommended (nothing else fits), with a caution
    unrated = analyze(with_(triage, needs_tools=True, latency_budget_ms=20_000, chosen="agent"))
    assert unrated.data["recommended"] == "agent" and unrated.level == "caution"
    assert "no expected quality" in unrated.headline


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
    "tool_result_tokens": st.integers(-1, 10**4),
    "quality": st.lists(st.fixed_dictionaries({"approach": st.sampled_from(approach.APPROACHES)}, optional={
        "pilot_cases": st.integers(-1, 500), "pilot_passes": st.integers(-1, 500),
        "expected_accuracy": st.floats(-0.1, 1.1), "source": st.text(max_size=20)}),
        max_size=5, unique_by=lambda row: row["approach"]),
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
    assert result.level == "stop" or result.data["recommended"] is not None  # "No fit" is always a stop
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


# ---- expected quality per approach (issue 11, item 7) ---------------------------------------------------

def _rated(triage, *rows, **changes) -> Answers:
    return with_(triage, quality=list(rows), **changes)


PROMPT_87 = {"approach": "prompt", "expected_accuracy": 0.87, "source": "the support lead's estimate"}
PROMPT_80 = {"approach": "prompt", "expected_accuracy": 0.80, "source": "the support lead's estimate"}
MODEL_89 = {"approach": "ml_model", "expected_accuracy": 0.89, "source": "the data team's estimate"}


def test_a_simpler_approach_whose_quality_misses_the_target_is_not_recommended(triage):
    # the prompt is expected to get 80% right, under the 86% needed: the trained model (89%) is the simplest
    # approach that fits and clears it
    result = analyze(_rated(triage, PROMPT_80, MODEL_89, chosen="ml_model"))
    assert result.data["recommended"] == "ml_model"
    assert (result.verdict, result.level) == ("Trained ML model", "go")
    assert result.data["quality"]["prompt"]["status"] == "misses"
    assert any(f.message.startswith("Simple prompt is simpler and fits, but is expected to miss the 86% target")
               for f in result.findings)


def test_the_simpler_approach_that_clears_the_target_is_recommended(triage):
    # the mirror: the same two approaches, the prompt now expected at 87% (≥ 86%): the simpler one wins
    result = analyze(_rated(triage, PROMPT_87, MODEL_89, chosen="prompt"))
    assert result.data["recommended"] == "prompt"
    assert (result.verdict, result.level) == ("Simple prompt", "go")
    assert "clears the 86% quality target (expected 87.0%)" in result.headline
    table = next(t for name, t in result.tables.items() if name.startswith("Expected quality per approach"))
    row = table.set_index("approach").loc["Simple prompt"]
    assert (row["status"], row["source"], row["total $ / month"]) == ("clears", "the support lead's estimate", "1,212")


def _wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    # Wilson (1927) written out: centre (k + z²/2) / (n + z²), half-width z √(k (n − k) / n + z²/4) / (n + z²)
    centre, half = (k + z * z / 2) / (n + z * z), z * math.sqrt(k * (n - k) / n + z * z / 4) / (n + z * z)
    return centre - half, centre + half


def test_a_pilot_clears_only_when_its_interval_does(triage):
    # 178 of 200 = 89%: Wilson 95% interval 83.9%–92.6%, whose low end is under 86%: not proven
    low, high = _wilson(178, 200)
    assert low == pytest.approx(0.8391, abs=1e-4)
    small = analyze(_rated(triage, {"approach": "prompt", "pilot_cases": 200, "pilot_passes": 178,
                                    "source": "200 labelled tickets"}, chosen="prompt"))
    q = small.data["quality"]["prompt"]
    assert (q["rate"], q["low"], q["high"]) == (pytest.approx(0.89), pytest.approx(low), pytest.approx(high))
    assert q["status"] == "not proven"
    assert small.data["recommended"] == "prompt" and small.level == "caution"
    assert small.metric_value("Pilot's 95% interval, low end") == pytest.approx(low)
    # the mirror: 360 of 400 (90%) has a low end of 86.7%: the pilot clears, and the verdict is go
    low_400 = _wilson(360, 400)[0]
    assert low_400 == pytest.approx(0.8666, abs=1e-4)
    big = analyze(_rated(triage, {"approach": "prompt", "pilot_cases": 400, "pilot_passes": 360,
                                  "source": "400 labelled tickets"}, chosen="prompt"))
    assert big.data["quality"]["prompt"]["status"] == "clears" and big.level == "go"
    assert f"its pilot's low end {low_400:.1%}" in big.headline


def test_a_measured_miss_of_the_chosen_approach_is_a_stop_and_a_guessed_one_a_caution(triage):
    # 150 of 200 = 75%: even the interval's high end (81%) is under the 86% target
    piloted = analyze(_rated(triage, {"approach": "prompt", "pilot_cases": 200, "pilot_passes": 150},
                             MODEL_89, chosen="prompt"))
    assert piloted.data["recommended"] == "ml_model"
    assert piloted.level == "stop" and "expected to miss the 86% target" in piloted.headline
    guessed = analyze(_rated(triage, PROMPT_80, MODEL_89, chosen="prompt"))
    assert guessed.level == "caution" and "expected to miss the 86% target" in guessed.headline


def test_an_estimate_does_not_quietly_beat_a_simpler_pilot(triage):
    # the prompt was piloted (89%, interval 83.9%–92.6%: not proven); the model only guessed at 89%: the model
    # clears on paper, so it is recommended, but the result asks for a pilot on the same cases
    result = analyze(_rated(triage, {"approach": "prompt", "pilot_cases": 200, "pilot_passes": 178}, MODEL_89,
                            chosen="ml_model"))
    assert result.data["recommended"] == "ml_model"
    assert result.level == "caution"
    assert "clears only on a declared estimate" in result.headline


def test_question_6s_blocking_gate_is_the_target_when_the_case_has_one(triage):
    class GateCase(StubCase):
        def __init__(self, gates):
            super().__init__("assist")
            self.gates = gates

        def answers(self, key):
            from aipm_kit.questions.evaluation import Answers as Evaluation
            if key == "evaluation":
                return Evaluation.model_validate({"gates": self.gates})
            return super().answers(key)

    rated = _rated(triage, PROMPT_87, MODEL_89, chosen=None)
    # a guardrail and a category's gate do not set the bar; the first blocking gate over all cases does (88%)
    gates = [{"name": "Spam", "category": "bad", "target": 0.95, "kind": "blocking"},
             {"name": "Edge", "target": 0.99, "kind": "guardrail"},
             {"name": "Queue right", "target": 0.88, "kind": "blocking"}]
    result = analyze(rated, GateCase(gates))
    assert result.data["quality_target"] == {"value": 0.88, "source": "question 6's blocking gate 'Queue right'"}
    assert result.data["recommended"] == "ml_model"  # 87% < 88% ≤ 89%
    # the mirror: no blocking gate over all cases → accuracy_needed (86%), which the prompt clears
    plain = analyze(rated, GateCase(gates[:2]))
    assert plain.data["quality_target"]["value"] == 0.86
    assert plain.data["quality_target"]["source"].startswith("accuracy_needed")
    assert plain.data["recommended"] == "prompt"


def test_no_quality_stated_anywhere_is_a_caution_not_a_guess(triage):
    result = analyze(with_(triage, quality=[]))
    assert result.data["recommended"] == "prompt" and result.level == "caution"
    assert "rests on fit and cost alone" in result.headline


def test_no_approach_that_fits_clears_the_target_is_a_stop(triage):
    result = analyze(_rated(triage, {"approach": "prompt", "pilot_cases": 100, "pilot_passes": 60},
                            {"approach": "ml_model", "expected_accuracy": 0.7}, chosen=None))
    assert result.data["recommended"] is None
    assert (result.verdict, result.level) == ("No fit", "stop")
    assert "no approach that fits is expected to reach the 86% target" in result.headline
    # the same with an approach chosen on a guess: still "No fit", still a stop
    chosen = analyze(_rated(triage, {"approach": "prompt", "expected_accuracy": 0.6},
                            {"approach": "ml_model", "expected_accuracy": 0.7}, chosen="prompt"))
    assert (chosen.verdict, chosen.level) == ("No fit", "stop")


# ---- agent tokens that grow with the steps ------------------------------------------------------------------

# 4 steps, I = 1,000 instruction tokens, R = 200 request tokens, O = 100 output and T = 500 tool-result tokens:
#   step 1 reads 1,000 + 200                 = 1,200
#   step 2 reads 1,200 + (100 + 500)         = 1,800
#   step 3 reads 1,200 + 2 × 600             = 2,400
#   step 4 reads 1,200 + 3 × 600             = 3,000    → 8,400 input tokens, 4 × 100 = 400 output
# with a prompt cache: step 1 finds the instructions (1,000) cached, step k ≥ 2 all that step k − 1 read:
#   1,000 + 1,200 + 1,800 + 2,400 = 6,400 cached; 8,400 − 6,400 = 2,000 = 200 + 3 × 600 at the full price
AGENT = dict(needs_tools=True, instruction_tokens=1000, input_tokens=200, output_tokens=100, tool_result_tokens=500,
             agent_steps=4, retrieved_tokens=0, latency_budget_ms=60_000)
AGENT_ROW = {"approach": "agent", "input_per_mtok": 3, "output_per_mtok": 15, "per_1k_requests": 0,
             "fixed_monthly": 0, "build_cost": 0, "latency_ms": 2000}


def test_agent_tokens_grow_with_the_steps_worked_by_hand(triage):
    a = with_(triage, **AGENT, chosen="agent", prices=[AGENT_ROW])
    cost = price_approaches(a)["agent"]
    assert (cost.input_tokens, cost.cached_tokens, cost.output_tokens) == (8400, 0, 400)
    # 8,400 × $3/M + 400 × $15/M = $0.0252 + $0.006 = $0.0312
    assert cost.per_request == pytest.approx(0.0312)
    # a flat model (every step reads the first step's 1,200) would say 4,800: growth is 75% more here
    assert cost.input_tokens == 4 * 1200 + 600 * 4 * 3 // 2
    note = analyze(a).notes["How an agent's tokens add up"]
    assert "= 4 × 1,200 + 600 × 6 = 8,400 tokens" in note and "No prompt cache" in note


def test_agent_tokens_with_a_prompt_cache_worked_by_hand(triage):
    a = with_(triage, **AGENT, chosen="agent", prices=[{**AGENT_ROW, "cached_input_per_mtok": 0.3}])
    cost = price_approaches(a)["agent"]
    assert (cost.input_tokens, cost.cached_tokens, cost.output_tokens) == (8400, 6400, 400)
    # 2,000 × $3/M + 6,400 × $0.30/M + 400 × $15/M = $0.006 + $0.00192 + $0.006 = $0.01392
    assert cost.per_request == pytest.approx(0.01392)
    result = analyze(a)
    steps = result.tables["Agent tokens per request, step by step (4 steps)"]
    assert steps["reads (instructions + request + earlier steps)"].tolist() == [1200, 1800, 2400, 3000]
    assert steps["of which cached"].tolist() == [1000, 1200, 1800, 2400]
    assert "full price = R + (S − 1) × (O + T) = 2,000 tokens" in result.notes["How an agent's tokens add up"]


def test_a_prompt_cache_prices_only_the_instructions_of_a_single_call(triage):
    # a prompt reads 900 + 350 = 1,250 once; with a cache the 900 instruction tokens cost $0.05/M instead of $0.50/M:
    # 350 × 0.5 + 900 × 0.05 + 25 × 1.5 = 175 + 45 + 37.5 = 257.5 → $0.0002575 a ticket
    rows = [{**row.model_dump(), "cached_input_per_mtok": 0.05} if row.approach == "prompt" else row.model_dump()
            for row in triage.prices]
    cost = price_approaches(with_(triage, prices=rows))["prompt"]
    assert (cost.input_tokens, cost.cached_tokens) == (1250, 900)
    assert cost.per_request == pytest.approx(0.0002575)


# ---- bad input: one error naming the field -----------------------------------------------------------------

@pytest.mark.parametrize(("row", "field", "words"), [
    ({"approach": "prompt", "pilot_cases": 50, "pilot_passes": -1}, "quality.0.pilot_passes", "greater than or equal"),
    ({"approach": "prompt", "pilot_cases": -3, "pilot_passes": 0}, "quality.0.pilot_cases", "greater than or equal"),
    ({"approach": "prompt", "pilot_cases": 50, "pilot_passes": 51}, "quality.0.pilot_passes",
     "pilot_passes (51) is more than pilot_cases (50)"),
    ({"approach": "prompt", "pilot_passes": 40}, "quality.0", "give pilot_passes and pilot_cases together"),
    ({"approach": "prompt", "source": "a hunch"}, "quality.0", "give a pilot (pilot_passes and pilot_cases) or "
                                                              "expected_accuracy"),
    ({"approach": "prompt", "expected_accuracy": 1.3}, "quality.0.expected_accuracy", "less than or equal"),
])
def test_bad_quality_rows_name_the_field(row, field, words):
    with pytest.raises(CaseError) as err:
        aipm_kit.load_case("support-triage", overrides={"approach": {"quality": [row]}})
    assert (err.value.section, err.value.field) == ("approach", field)
    assert words in str(err.value)


def test_a_cached_price_above_the_input_price_names_the_field(triage):
    rows = [{**row.model_dump(), "cached_input_per_mtok": 0.9} if row.approach == "prompt" else row.model_dump()
            for row in triage.prices]
    with pytest.raises(CaseError) as err:
        aipm_kit.load_case("support-triage", overrides={"approach": {"prices": rows}})
    assert err.value.field == "prices.1.cached_input_per_mtok"
    assert "cannot cost more than an uncached one" in str(err.value)


def test_two_quality_rows_for_one_approach_are_rejected():
    with pytest.raises(ValidationError, match="quality has two rows for 'prompt'"):
        Answers.model_validate({"quality": [PROMPT_87, PROMPT_80]})
