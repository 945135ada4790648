"""The self-check at the end of each notebook: radio buttons with feedback live, the key written out headless."""

from __future__ import annotations

import math

import pytest

import aipm_kit
from aipm_kit.selfcheck import Check, SelfCheck


def test_every_question_has_two_or_three_checks_with_a_valid_answer_and_a_reason():
    for q in aipm_kit.QUESTIONS:
        checks = q.module.self_check()
        assert 2 <= len(checks) <= 3, q.key
        for c in checks:
            assert 0 <= c.answer < len(c.options) and c.why.strip(), (q.key, c.question)


def test_an_answer_index_outside_the_options_is_refused():
    with pytest.raises(ValueError, match="answer 3 is not one of the 3 options"):
        Check("q?", ("a", "b", "c"), 3, "why")


def test_headless_each_question_shows_its_options_and_the_explained_answer_escaped():
    check = SelfCheck((Check("Is <b> bold?", ("yes", "<no>"), 1, "Tags & text"),), interactive=False)
    page = check._repr_html_()
    assert "Is &lt;b&gt; bold?" in page and "<b> bold" not in page
    assert "<strong>b. &lt;no&gt;</strong> — Tags &amp; text" in page
    assert repr(check).splitlines()[-1] == "   Answer: b. Tags & text"


def test_live_a_choice_gets_right_or_not_quite_with_the_reason(monkeypatch):
    monkeypatch.delenv("AIPM_KIT_HEADLESS", raising=False)
    box = aipm_kit.self_check("problem").widget()
    radios, feedback = box.children[2], box.children[3]
    check = aipm_kit.question("problem").module.self_check()[0]
    radios.value = next(o for i, o in enumerate(check.options) if i != check.answer)
    assert "Not quite." in feedback.value
    radios.value = check.options[check.answer]
    assert "Right." in feedback.value and "leaves the fix open" in feedback.value


# ---- the checks teach: answers anywhere, numbers from the kit --------------------------------------------

def _all_checks():
    return [c for q in aipm_kit.QUESTIONS for c in q.module.self_check()]


def test_the_right_answers_are_spread_over_every_position():
    checks = _all_checks()
    positions = [c.answer for c in checks]
    widest = min(len(c.options) for c in checks)
    # every position a check can have is used, and none holds more than about half of the answers
    assert set(range(widest)) <= set(positions)
    assert max(positions.count(p) for p in set(positions)) <= len(checks) / 2
    for q in aipm_kit.QUESTIONS:  # nor does any one notebook put all its answers in one place
        answers = [c.answer for c in q.module.self_check()]
        assert len(set(answers)) > 1, q.key


def test_every_option_is_a_distinct_full_answer():
    for c in _all_checks():
        assert len(set(c.options)) == len(c.options) and all(len(o) > 12 for o in c.options), c.question


def test_the_wilson_interval_question_1_quotes_is_right_by_hand():
    # 9 of 12 at 95%: z = 1.959964, z²/n = 0.320122; centre (0.75 + 0.160061) / 1.320122 = 0.689376;
    # half-width z √(0.75 × 0.25 / 12 + z² / (4 × 144)) / 1.320122 = 0.221718: 46.8% to 91.1%
    z = 1.959964
    centre = (0.75 + z * z / 24) / (1 + z * z / 12)
    half = z * math.sqrt(0.75 * 0.25 / 12 + z * z / 576) / (1 + z * z / 12)
    assert (centre - half, centre + half) == pytest.approx((0.4677, 0.9111), abs=5e-4)
    check = aipm_kit.question("problem").module.self_check()[1]
    assert f"runs from {centre - half:.0%} to {centre + half:.0%}" in check.options[check.answer]


def test_the_numbers_of_questions_2_3_4_and_7_are_right_by_hand():
    need_ai, data, approach, monitoring = (aipm_kit.question(k).module.self_check()
                                            for k in ("need_ai", "data", "approach", "monitoring"))
    # a suggestion worth $2 against an error costing $6 breaks even at 6 ÷ (2 + 6) = 75% right
    assert need_ai[2].options[need_ai[2].answer].startswith("75%")
    # κ: p_o = 184 / 200 = 0.92, p_e = 0.95² + 0.05² = 0.905, κ = 0.015 / 0.095 = 0.158
    assert "κ is 0.16" in data[1].question
    # 1.96² × 0.85 × 0.15 / 0.03² = 544.2 → 545 rows; 300 rows give 1.96 √(0.1275 / 300) = ±4.04 points
    assert data[2].options[data[2].answer].startswith("Grow it to about 545 rows, or accept about ±4 points")
    # the prompt's line 1,200 + 0.0006 V meets the trained model's 4,200 at V = 3,000 / 0.0006 = 5,000,000
    assert "= 5,000,000" in approach[2].why and "5 million" in approach[2].options[approach[2].answer]
    # weighted by 1 / chance of review: (20 × 10 + 1 × 100) / (50 × 10 + 30 × 100) = 300 / 3,500 = 8.57%
    assert monitoring[1].options[monitoring[1].answer].startswith("8.6%")
    assert monitoring[1].options[0].startswith("26.2%")  # the raw 21 of 80 a learner might report


def test_the_solution_agnostic_check_is_the_one_without_solution_words():
    # the wrong options are the statements question 1's own lint flags for naming a fix
    from aipm_kit.questions.problem import solution_words

    check = aipm_kit.question("problem").module.self_check()[0]
    flagged = [bool(solution_words(o)) for o in check.options]
    assert flagged == [i != check.answer for i in range(len(check.options))]
