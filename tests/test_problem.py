"""Question 1: every computation checked against numbers worked out by hand."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from aipm_kit.case import load_case
from aipm_kit.questions.problem import Answers, Candidate, analyze, opportunity, rice, solution_words
from aipm_kit.result import LEVELS

STATEMENT = ("Tier-1 support agents spend three minutes sorting every new ticket; 14% land in the wrong queue "
             "and wait five hours longer.")


def answers(**changes) -> Answers:
    base = dict(
        statement=STATEMENT, user="tier-1 support agents", pain="three minutes per ticket",
        context="every new ticket", interviews=15, described_from_behaviour=13, committed=5, validation_bar=0.6,
        users_affected=40, occurrences_per_user_per_month=450, cost_per_occurrence=2.6,
        candidates=[
            Candidate(name="Ticket triage", reach=54000, impact=1, confidence=0.8, effort=4, importance=8.5,
                      satisfaction=3),
            Candidate(name="Slow billing answers", reach=9000, impact=2, confidence=0.5, effort=3, importance=7,
                      satisfaction=5),
            Candidate(name="Help articles not found", reach=30000, impact=0.5, confidence=0.5, effort=2,
                      importance=6, satisfaction=4),
        ],
        chosen="Ticket triage",
    )
    base.update(changes)
    return Answers(**base)


def test_the_worked_example_is_a_go_with_its_hand_worked_numbers():
    result = analyze(load_case("support-triage").answers("problem"))
    assert (result.verdict, result.level) == ("Go", "go")
    # 40 agents × 450 tickets a month × $2.60 = $46,800 a month; × 12 = $561,600 a year
    assert result.metric_value("Monthly cost of the problem") == pytest.approx(46_800)
    assert result.metric_value("Annual cost of the problem") == pytest.approx(561_600)
    assert result.metric_value("Share of interviewees with the problem") == pytest.approx(13 / 15)
    assert "$561,600 a year" in result.headline


def test_the_evidence_interval_is_wilson_at_95_percent():
    # Wilson for 13 of 15, z = 1.96: centre (p + z²/2n)/(1 + z²/n) = (0.86667 + 0.12805)/1.25611 = 0.79191,
    # half-width z·sqrt(p(1−p)/n + z²/4n²)/(1 + z²/n) = 1.96 × 0.109417 / 1.25611 = 0.17073
    result = analyze(answers())
    assert result.metric_value("95% interval, low") == pytest.approx(0.62118, abs=1e-4)
    assert result.metric_value("95% interval, high") == pytest.approx(0.96264, abs=1e-4)


def test_rice_and_opportunity_scores():
    triage = Candidate(name="t", reach=54000, impact=1, confidence=0.8, effort=4, importance=8.5, satisfaction=3)
    assert rice(triage) == pytest.approx(10_800)  # 54,000 × 1 × 0.8 ÷ 4
    assert opportunity(triage) == pytest.approx(14.0)  # 8.5 + (8.5 − 3)
    served = Candidate(name="s", importance=5, satisfaction=6)
    assert opportunity(served) == pytest.approx(5.0)  # over-served: the gap counts as 0, not −1


def test_candidates_are_ranked_by_rice_with_the_opportunity_rank_beside():
    table = analyze(answers()).tables["Candidate problems, ranked by RICE"]
    # RICE: triage 10,800; help articles 30,000 × 0.5 × 0.5 ÷ 2 = 3,750; billing 9,000 × 2 × 0.5 ÷ 3 = 3,000
    assert list(table["candidate"]) == ["Ticket triage", "Help articles not found", "Slow billing answers"]
    assert list(table["RICE"]) == [10800.0, 3750.0, 3000.0]
    # opportunity: triage 14, help 6 + 2 = 8, billing 7 + 2 = 9
    assert list(table["opportunity rank"]) == [1, 3, 2]


def test_a_chosen_problem_that_is_not_top_ranked_is_a_caution_naming_the_better_one():
    result = analyze(answers(chosen="Slow billing answers"))
    assert result.level == "caution"
    assert "'Ticket triage' scores higher by RICE (10,800 vs 3,000)" in result.headline


@pytest.mark.parametrize("text, words", [
    ("We need an AI chatbot in our app", ["ai", "chatbot", "app"]),
    ("Build an ML model and a dashboard to automate triage", ["ml", "model", "dashboard", "automate"]),
    ("Use GPT (an LLM) for this", ["gpt", "llm"]),
    ("Support agents mail customers; the email explains the delay", []),  # "agents", "email": not solutions
])
def test_solution_words_are_found_as_whole_words(text, words):
    assert solution_words(text) == words


def test_a_statement_that_names_a_solution_is_a_caution():
    result = analyze(answers(statement="Support agents need an AI chatbot to sort tickets."))
    assert result.level == "caution"
    assert "names a solution (ai, chatbot)" in result.headline


def test_a_statement_without_user_pain_or_context_is_flagged():
    result = analyze(answers(user="", pain="", context=""))
    assert result.level == "caution"
    assert any("names no user, no pain, no context" in f.message for f in result.findings)


def test_a_user_the_statement_never_mentions_is_flagged():
    result = analyze(answers(user="billing managers"))
    assert any("the statement does not mention them" in f.message for f in result.findings)


def test_no_interviews_or_no_statement_is_a_stop():
    assert analyze(answers(interviews=0, described_from_behaviour=0, committed=0)).level == "stop"
    assert analyze(answers(statement="  ")).level == "stop"


def test_a_share_under_the_bar_is_a_stop():
    # 6 of 15 = 40% < 60%
    result = analyze(answers(described_from_behaviour=6))
    assert result.level == "stop"
    assert "only 6 of 15 interviewees (40%)" in result.headline


def test_a_point_estimate_over_the_bar_with_a_low_end_under_it_is_a_caution():
    # 7 of 10 = 70% ≥ 60%, but Wilson's low end is 39.7% < 60%
    result = analyze(answers(interviews=10, described_from_behaviour=7, committed=2))
    assert result.level == "caution"
    assert "interview more users" in result.headline


def test_fewer_than_five_interviews_is_a_caution_even_when_all_agree():
    result = analyze(answers(interviews=4, described_from_behaviour=4, committed=1, validation_bar=0.3))
    assert result.level == "caution"
    assert any("4 interviews are too few" in f.message for f in result.findings)


def test_a_problem_with_no_cost_is_a_stop():
    assert analyze(answers(cost_per_occurrence=0)).level == "stop"


def test_impossible_evidence_is_rejected_with_the_fields_named():
    with pytest.raises(ValidationError, match=r"described_from_behaviour \(16\) cannot exceed interviews \(15\)"):
        answers(described_from_behaviour=16)
    with pytest.raises(ValidationError, match=r"chosen \('Nope'\) is not one of the candidates"):
        answers(chosen="Nope")


_numbers = st.one_of(st.integers(-5, 10**7), st.floats(-10, 1e7, allow_nan=False), st.none())
_candidate = st.fixed_dictionaries({
    "name": st.text(max_size=20), "reach": _numbers, "impact": st.sampled_from([0.25, 0.5, 1, 2, 3, 4, "x"]),
    "confidence": _numbers, "effort": _numbers, "importance": _numbers, "satisfaction": _numbers,
})
_answers = st.fixed_dictionaries({
    "statement": st.text(max_size=200), "user": st.text(max_size=30), "pain": st.text(max_size=30),
    "context": st.text(max_size=30), "interviews": _numbers, "described_from_behaviour": _numbers,
    "committed": _numbers, "validation_bar": _numbers, "users_affected": _numbers,
    "occurrences_per_user_per_month": _numbers, "cost_per_occurrence": _numbers,
    "candidates": st.lists(_candidate, max_size=5), "chosen": st.text(max_size=20),
})


@settings(max_examples=150, deadline=None)
@given(_answers)
def test_any_answers_are_either_rejected_by_validation_or_analyzed_without_crashing(values):
    try:
        parsed = Answers.model_validate(values)
    except ValidationError:
        return  # rejected input is a validation error, never a crash
    result = analyze(parsed)
    assert result.level in LEVELS
    assert result.headline
