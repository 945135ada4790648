"""The bundled meeting-notes case: an idea that stops at question 1, because the interviews did not bear it out.

Saying no early is the cheapest decision a product manager makes: 4 of 14 interviewees described the problem
from their own experience, under the 60% bar, so nothing after question 1 is worth answering yet.
"""

from __future__ import annotations

import pytest

import aipm_kit
from aipm_kit import ledger
from aipm_kit.bundled import bundled_cases
from aipm_kit.stats import wilson_interval

CASE = "meeting-notes"


def test_an_idea_with_only_question_1_answered_and_no_data(case):
    assert CASE in bundled_cases()
    assert (case.stage, case.as_of.isoformat()) == ("idea", "2026-10-15")
    assert [q.key for q in aipm_kit.QUESTIONS if case.is_answered(q.key)] == ["problem"]
    assert not (case.base_dir / CASE).exists()  # no data folder


def test_question_1_stops_and_the_rest_is_not_answered(results):
    verdicts = {key: (r.verdict, r.level) for key, r in results.items()}
    assert verdicts.pop("problem") == ("Stop", "stop")
    # an idea: questions 6 and 7 are Not yet (they plan), the others Not answered, all without a level
    assert {verdicts.pop("evaluation"), verdicts.pop("monitoring")} == {("Not yet", None)}
    assert set(verdicts.values()) == {("Not answered", None)}


def test_4_of_14_is_under_the_60_percent_bar_even_at_the_interval_high_end(case, results):
    problem = case.answers("problem")
    assert (problem.described_from_behaviour, problem.interviews, problem.validation_bar) == (4, 14, 0.6)
    # 4 / 14 = 28.6%; Wilson 95%: 11.7%–54.6%, so even the high end is under 60%
    low, high = wilson_interval(4, 14)
    assert (round(low, 3), round(high, 3)) == (0.117, 0.546)
    assert results["problem"].metric_value("Share of interviewees with the problem") == pytest.approx(4 / 14)
    assert results["problem"].headline == ("Stop: only 4 of 14 interviewees (29%) described the problem from "
                                           "experience, under the 60% bar.")
    # what it would cost if it were real: 220 consultants × 8 write-ups × $10 × 12 = $211,200 a year
    assert results["problem"].metric_value("Annual cost of the problem") == 220 * 8 * 10 * 12 == 211_200


def test_the_brief_says_it_stopped_at_question_1_and_the_case_holds_together(case, results):
    from aipm_kit.brief import launch_readiness

    readiness = launch_readiness(results)
    assert (readiness.status, readiness.level) == ("Not ready", "stop")
    assert readiness.message.startswith("Stopped at question 1 (problem)")
    assert ledger.check(case) == []
