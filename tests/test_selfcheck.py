"""The self-check at the end of each notebook: radio buttons with feedback live, the key written out headless."""

from __future__ import annotations

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
