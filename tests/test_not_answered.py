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
