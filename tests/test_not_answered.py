"""One "Not answered" state: a question whose needed answers are blank has no verdict, anywhere.

A blank or half-filled worksheet used to be analysed as if answered: question 2 said a red "No AI", question 4
"Caution", question 6 "No-ship". Each question's model declares the answers its verdict needs
(``NEEDED_FOR_VERDICT``); until they are there the result is "Not answered", grey, with no level.
"""

from __future__ import annotations

import pytest

import aipm_kit
from aipm_kit.brief import brief_html, case_results, launch_readiness
from aipm_kit.questions import QUESTIONS
from aipm_kit.result import NOT_ANSWERED


@pytest.fixture(scope="module")
def triage():
    return aipm_kit.load_case("support-triage")


@pytest.mark.parametrize("q", QUESTIONS, ids=lambda q: q.key)
def test_a_half_filled_worksheet_is_not_answered_and_says_what_is_missing(q, triage):
    needed = q.needed_for_verdict
    assert needed, f"question {q.number} declares no answers its verdict needs"
    # every needed answer from the worked example but the last one: still not answered
    answers = triage.answers(q.key)
    half = {name: getattr(answers, name) for name in needed[:-1]}  # {} for a single needed answer
    result = triage.with_answers(q.key, half).analyze(q.key)
    assert (result.verdict, result.level) == (NOT_ANSWERED, None)
    missing = result.data["needed"]
    assert len(missing) == 1 and missing[0] in result.headline
    # the mirror: the worked example's answers are all there, and it gets a verdict
    assert triage.analyze(q.key).level is not None


def test_blank_worksheets_no_longer_show_a_verdict(triage):
    # question 2 (a red "No AI" before), question 4 ("Caution") and question 6 ("No-ship") on a name alone
    for key, some_answer in (("need_ai", {"decision": "Route tickets"}),
                             ("approach", {"task": "Route tickets"}),
                             ("evaluation", {"gates": [{"name": "all", "target": 0.9}]})):
        result = triage.with_answers(key, some_answer).analyze(key)
        assert (result.verdict, result.level) == (NOT_ANSWERED, None), key


def test_a_question_not_answered_never_lets_the_brief_say_ready(triage):
    case = triage.with_answers("monitoring", {"review_budget": 150})  # no production log: not answered
    results = case_results(case)
    assert results["monitoring"].verdict == NOT_ANSWERED
    readiness = launch_readiness(results)
    assert not readiness.status.startswith("Ready")
    assert ">Not answered</span>" in brief_html(case, results)


# ---- "Not yet": a question the case's stage does not reach plans instead of analysing -----------------------

def _at(case, stage):
    import dataclasses

    return dataclasses.replace(case, stage=stage)


def test_each_question_needs_its_stage_and_the_case_knows_the_same_stages():
    from aipm_kit.case import STAGES
    from aipm_kit.questions import BY_KEY, STAGE_ORDER

    assert STAGES == STAGE_ORDER
    assert {q.key: q.stage_needed for q in QUESTIONS if q.stage_needed} == {"evaluation": "pilot",
                                                                             "monitoring": "launched"}
    assert BY_KEY["monitoring"].reaches(None) and BY_KEY["evaluation"].reaches("launched")
    assert not BY_KEY["evaluation"].reaches("idea") and BY_KEY["evaluation"].reaches("pilot")


def test_not_yet_is_grey_has_no_level_and_is_neither_answered_nor_missing(triage):
    from aipm_kit.result import NOT_YET, badge, level_colour

    idea = _at(triage, "idea")
    for key in ("evaluation", "monitoring"):
        result = idea.analyze(key)
        assert (result.verdict, result.level, result.planned, result.answered) == (NOT_YET, None, True, False)
        assert result.headline.startswith("Not yet:")
    assert level_colour(None) in badge(NOT_YET, None)
    # a question the stage does not reach plans even when the case has no section for it
    bare = aipm_kit.Case("New idea", "", {"need_ai": triage.answers("need_ai")}, stage="idea")
    assert bare.analyze("monitoring").verdict == NOT_YET
    # the mirror: at launch both analyse as before
    launched = _at(triage, "launched")
    assert launched.analyze("monitoring").verdict == triage.analyze("monitoring").verdict != NOT_YET


def test_question_6_at_the_idea_stage_plans_the_eval_set_size_with_worked_numbers(triage):
    from aipm_kit.stats import cases_to_clear_with_power

    plan = _at(triage, "idea").analyze("evaluation")
    expected = plan.metric_value("Accuracy expected")
    bar = plan.metric_value("Accuracy to clear")
    # the accuracy the case plans on is question 4's chosen approach's; the bar is question 6's overall gate
    chosen = triage.answers("approach").chosen
    assert expected == next(q.expected_accuracy for q in triage.answers("approach").quality if q.approach == chosen)
    needed = plan.metric_value("Eval cases to plan")
    assert needed == cases_to_clear_with_power(expected, bar, 0.8)
    # the normal approximation ((1.96 √(t(1−t)) + 0.8416 √(r(1−r))) / (r − t))² is within a few percent of it
    approx = ((1.959964 * (bar * (1 - bar)) ** 0.5 + 0.841621 * (expected * (1 - expected)) ** 0.5)
              / (expected - bar)) ** 2
    assert needed == pytest.approx(approx, rel=0.05)
    assert f"Plan {needed:,} distinct eval cases" in plan.headline


def test_not_yet_reaches_the_brief_and_the_list(triage, tmp_path):
    import dataclasses

    from aipm_kit import verdict_cache

    idea = _at(triage, "idea")
    results = case_results(idea)
    html = brief_html(idea, results)
    assert html.count(">Not yet</span>") == 2 and results["monitoring"].headline.split(":")[0] in html
    # a case file at the idea stage, listed by `aipm-kit list` through the verdict cache
    path = dataclasses.replace(triage, stage="idea").save(tmp_path / "idea.yaml")
    shown = verdict_cache.listing(path, tmp_path / "cache")
    assert [v.verdict for v in shown.verdicts.verdicts][5:] == ["Not yet", "Not yet"]
    assert [v.level for v in shown.verdicts.verdicts][5:] == [None, None]
    assert shown.verdicts.readiness not in ("Incomplete", "Not ready")
