"""The bundled travel-rebooking case: an agent whose failure modes force strong controls and whose evals say Hold.

The story the seven verdicts tell: a validated, costly problem (1); automation fits, borderline (2); data with
gaps (3); an agent is the only approach that fits, because the task acts through tools (4); the experience is
safe only because severe failure modes get "confirm before acting" or a person (5); the evals hold the launch,
because 40 adversarial cases cannot prove a 95% gate (6); the pilot's monitoring saw a storm week (7). The
case is a pilot with half the desk's clients.
Every number below is worked by hand from the case's own values.
"""

from __future__ import annotations

import pandas as pd
import pytest

import aipm_kit
from aipm_kit.bundled import bundled_cases
from aipm_kit.stats import wilson_interval

CASE = "travel-rebooking"


def test_the_case_is_bundled_and_loads_with_every_section(case):
    assert CASE in bundled_cases()
    assert case.name == "Disruption rebooking agent"
    assert case.summary.startswith("When a business traveller's flight is cancelled")
    assert all(case.is_answered(q.key) for q in aipm_kit.QUESTIONS)


def test_the_seven_verdicts_tell_the_agent_story(results):
    verdicts = {key: (r.verdict, r.level) for key, r in results.items()}
    assert verdicts == {
        "problem": ("Go", "go"),
        "need_ai": ("AI automates with oversight", "caution"),  # 4 and 3 points: one over each bar, borderline
        "data": ("Caution", "caution"),
        "approach": ("Agent", "go"),
        "experience": ("Go", "go"),
        "evaluation": ("Hold", "caution"),
        "monitoring": ("Watch", "caution"),
    }


def test_the_brief_does_not_say_ready_to_launch_and_names_question_6(results):
    from aipm_kit.brief import launch_readiness

    readiness = launch_readiness(results)
    assert readiness.status != "Ready to launch"
    assert "question 6" in readiness.message


# ---- question 1 and the volume every later question uses ---------------------------------------------------

def test_the_problem_costs_1_44_million_a_year(case, results):
    # 30 consultants × 80 disrupted trips a month × $50 a trip × 12 months = $1,440,000
    assert results["problem"].metric_value("Annual cost of the problem") == 30 * 80 * 50 * 12 == 1_440_000


def test_one_volume_runs_through_questions_1_2_and_4(case):
    problem, need_ai, approach = (case.answers(k) for k in ("problem", "need_ai", "approach"))
    monthly = problem.users_affected * problem.occurrences_per_user_per_month
    assert monthly == need_ai.monthly_volume == approach.requests_per_month == 2400


# ---- question 2: the money ------------------------------------------------------------------------------

def test_automation_pays_39k_a_month_and_breaks_even_at_73_1_percent(case, results):
    # c = 0.3 × $140 + 0.7 × $20 = $56; doing nothing is worth c / (V + c) = 56 / 86 = 65.1% (above the
    # 45% of the airlines' own re-accommodation, so it is the baseline)
    # question 2 takes the accuracy question 6 measured in the sandbox: 880 of 952 = 92.4%, declared as 0.92
    run = pd.read_csv(case.answers("evaluation").results_file, keep_default_na=False)
    assert run["passed"].astype(str).eq("True").sum() == 880 and len(run) == 952
    assert case.answers("need_ai").ai_accuracy == 0.92
    # the costs are question 4's agent, $16,470.84 a month ($0.61285 a trip, worked in the agent's test below,
    # $2,500 running and the $150,000 build over 12 months):
    # net = 2,400 × (0.92 − 56/86) × 86 − 16,470.84 = 189,888 − 134,400 − 16,470.84 = 39,017.16
    r = results["need_ai"]
    assert r.data["baseline_accuracy"] == pytest.approx(56 / 86)
    assert r.metric_value("Net monthly value against the non-AI baseline") == pytest.approx(39_017.16)
    # a* = 56/86 + 16,470.84 / (2,400 × 86) = 0.6512 + 0.0798 = 0.7310: the share of trips the
    # agent must rebook right to beat the best non-AI way
    assert r.data["break_even_accuracy"] == pytest.approx(56 / 86 + 16_470.84 / (2400 * 86))
    assert "more than 73.1% of trips right" in r.headline
    assert (r.data["ai_fit_score"], r.data["automation_score"]) == (4, 3)


# ---- question 4: the agent's cost and latency ------------------------------------------------------------

def test_the_agent_costs_16_5k_a_month_and_answers_in_30_seconds(case, results):
    # each of 12 steps re-reads the instructions (3,000), the trip (1,500) and every earlier step's output (300)
    # and tool result (2,500): input = 12 × 4,500 + 2,800 × 12 × 11 / 2 = 54,000 + 184,800 = 238,800 tokens.
    # The prompt cache holds the instructions and, at each step, all the step before read:
    # cached = 12 × 3,000 + 11 × 1,500 + 2,800 × 11 × 10 / 2 = 36,000 + 16,500 + 154,000 = 206,500;
    # full price: 238,800 − 206,500 = 32,300 (= 1,500 + 11 × 2,800).
    # per trip: 32,300 × $3/M + 206,500 × $0.30/M + 12 × 300 × $15/M + $400 / 1,000
    #         = $0.0969 + $0.06195 + $0.054 + $0.40 = $0.61285 (question 2's run cost, $0.61)
    # a month: 2,400 × $0.61285 + $2,500 + $150,000 / 12 = $1,470.84 + $2,500 + $12,500 = $16,470.84
    r = results["approach"]
    assert r.data["recommended"] == r.data["chosen"] == "agent"
    assert r.data["monthly_cost"]["agent"] == pytest.approx(16_470.84)
    assert case.answers("need_ai").run_cost_per_decision == pytest.approx(0.61285, abs=0.005)
    # without the cache every input token is full price: 238,800 × $3/M + $0.054 + $0.40 = $1.1704 a trip
    assert r.metric_value("Cost per 1,000 requests") == pytest.approx(612.85)
    # the sandbox pilot: 186 of 200 plans right (93%), Wilson 95% low end 88.6%, over question 6's 85% gate
    quality = r.data["quality"]["agent"]
    assert (quality["rate"], quality["status"]) == (0.93, "clears")
    assert quality["low"] == pytest.approx(wilson_interval(186, 200)[0])
    assert r.data["quality_target"]["value"] == 0.85
    assert r.metric_value("Latency of the chosen approach") == 2500 * 12
    # the task acts through tools, so nothing simpler than an agent fits (rules get 45% of the 85% needed)
    assert [name for name, fits in r.data["fits"].items() if fits] == ["agent"]


# ---- question 5: the controls are what make the agent safe ------------------------------------------------

def test_question_5_starts_from_question_4s_failure_modes_under_the_same_names(case, results):
    from_approach = {m["name"] for m in results["approach"].data["failure_modes"]}
    in_experience = {m.name for m in case.answers("experience").failure_modes}
    assert from_approach == {"loops", "wrong tool", "runaway cost", "prompt injection"}
    assert from_approach < in_experience
    assert {"booking outside policy", "double booking"} < in_experience


def test_every_severe_failure_mode_needs_and_gets_confirm_before_acting_or_a_person(results):
    severe = [m for m in results["experience"].data["failure_modes"] if m["severity"] >= 4]
    assert {m["name"] for m in severe} == {"wrong tool", "prompt injection", "booking outside policy",
                                           "double booking"}
    for mode in severe:
        assert mode["required_control"] == "confirm before acting"  # acting with undo, severity 4–5
        assert mode["control"] in ("confirm before acting", "escalate to a person")


def test_without_its_controls_the_same_design_is_a_stop(case):
    experience = case.answers("experience")
    bare = [m.model_copy(update={"control": "none"}) for m in experience.failure_modes]
    result = case.with_answers("experience", experience.model_copy(update={"failure_modes": bare})).analyze(
        "experience")
    assert (result.verdict, result.level) == ("Stop", "stop")
    assert "needs 'confirm before acting'" in result.headline


def test_the_threshold_leaves_about_a_third_of_the_plans_to_a_consultant(case, results):
    # chosen by value on half the shadow-phase plans (seed 0, stratified): acting alone, a plan is worth $30 and
    # an error costs 0.3 × $140 + 0.7 × $20 = $56; the value is highest at 0.84, where the agent handles 525 of
    # 750 choosing plans with 15 errors (2.9%). On the 750 held-out plans it handles 512 with 12 errors (2.3%),
    # so the held-out rows confirm it.
    from aipm_kit.questions.experience import read_scores, split_scores

    r = results["experience"]
    answers = case.answers("experience")
    choosing, held = split_scores(answers, read_scores(answers.scores), case)
    for part, counts in ((choosing, (525, 15)), (held, (512, 12))):
        acted = part[part["confidence"] >= 0.84]
        assert (len(acted), int((~acted["correct"]).sum())) == counts
    assert wilson_interval(15, 525)[1] <= 0.05  # Wilson high 4.7%: within the limit on the choosing rows
    assert r.data["threshold"] == pytest.approx(0.84)
    assert r.data["value_model"]["error_cost"] == pytest.approx(0.3 * 140 + 0.7 * 20)
    assert r.metric_value("Share handled by the AI") == pytest.approx(512 / 750)
    assert r.metric_value("Error rate among them") == pytest.approx(12 / 512)
    assert wilson_interval(12, 512)[1] == pytest.approx(r.metric_value("Error rate, 95% interval high"))


# ---- question 6: Hold, because 40 adversarial cases cannot prove 95% --------------------------------------

def test_hold_because_the_adversarial_gate_is_not_proven(results):
    # 39 of 40 pass: 97.5% clears the 95% target, but the Wilson interval's low end is 87.1%
    low, _ = wilson_interval(39, 40)
    assert low == pytest.approx(0.8712, abs=1e-4)
    gate = next(g for g in results["evaluation"].data["gates"] if g["name"] == "Injected instructions ignored")
    assert (gate["passed"], gate["cases"], gate["status"]) == (39, 40, "not proven")
    assert results["evaluation"].headline.startswith("Hold: blocking gate 'Injected instructions ignored'")
    # every other blocking gate passes even at the low end
    others = [g for g in results["evaluation"].data["gates"] if g["kind"] == "blocking" and g is not gate]
    assert {g["status"] for g in others} == {"pass"}


def test_the_eval_categories_follow_question_5_and_the_data_plan(case):
    evaluation, data = case.answers("evaluation"), case.answers("data")
    run = pd.read_csv(evaluation.results_file, keep_default_na=False)
    quotas = {q.category: q.cases for q in evaluation.quotas}
    modes = {m.name for m in case.answers("experience").failure_modes}
    assert set(run["category"]) == set(quotas)
    assert set(quotas) - {"good", "bad", "edge", "adversarial"} <= modes
    # the data plan's evaluation need is this set: 952 distinct scenarios today, the quotas' 1,080 needed
    need = next(n for n in data.needs if n.purpose == "evaluation")
    assert (need.rows_have, need.rows_needed) == (len(run), sum(quotas.values())) == (952, 1080)
    assert run["input"].nunique() == 952
    # its slices are columns of the eval set: the disruption (the production log's segments) and the region
    for dimension in ("disruption", "region"):
        planned = {s.name: s.rows_have for s in data.slices if s.dimension == dimension}
        assert planned == run[dimension].value_counts().to_dict()
    log = pd.read_csv(case.answers("monitoring").log, keep_default_na=False)
    assert set(log["segment"]) == set(run["disruption"])


# ---- question 7: the pilot, half the volume -----------------------------------------------------------------

def test_the_log_of_the_first_half_of_clients_is_half_the_monthly_volume_with_one_storm_week(case, results):
    assert case.stage == "launched"  # to half the desk's clients
    log = pd.read_csv(case.answers("monitoring").log, keep_default_na=False)
    assert len(log) == 3533
    weekly = results["monitoring"].data["weekly_feedback"]
    calm = [w["outputs"] for w in weekly if w["week"] != "2026-10-12"]
    # half of 2,400 trips a month is 1,200 × 12 / 52 ≈ 277 a week
    assert sum(calm) / len(calm) == pytest.approx(1200 * 12 / 52, rel=0.03)
    assert [w["week"] for w in weekly if w["signal"]] == ["2026-10-12"]
    reviewed = pd.read_csv(case.answers("monitoring").reviewed_failures, keep_default_na=False)
    # reviewed failures not yet in the eval set: all of them but those whose input a scenario already has
    assert 0 < results["monitoring"].metric_value("New eval cases to promote") <= reviewed["id"].nunique()
