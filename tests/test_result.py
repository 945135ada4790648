"""Result renderings: HTML escapes user text, text is readable, JSON is complete."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from aipm_kit.result import Result, format_number

HOSTILE = "<script>alert('x')</script> & friends"


def sample() -> Result:
    result = Result("problem", "What problem?", verdict="caution", level="caution", headline=HOSTILE)
    result.add("stop", HOSTILE)
    result.metric(HOSTILE, 561600.0, "$", key=True)
    result.metric("Share", 0.8667, "%")
    result.tables[HOSTILE] = pd.DataFrame({"candidate": [HOSTILE], "RICE": [10800.0]})
    result.notes[HOSTILE] = HOSTILE
    return result


def test_every_piece_of_user_text_is_escaped_in_html():
    page = sample().to_html()
    assert "<script>" not in page
    # headline, finding, metric name, table caption, table cell, note heading and note text
    assert page.count("&lt;script&gt;") == 7
    assert "&amp; friends" in page


def test_text_rendering_lists_verdict_metrics_findings_and_tables():
    text = sample().to_text()
    assert text.splitlines()[0] == "[CAUTION] What problem?"
    assert f"{HOSTILE}: $561.6k" in text
    assert "Share: 86.7%" in text
    assert f"  ✗ {HOSTILE}" in text


def test_json_holds_metrics_tables_and_key_metrics():
    data = json.loads(sample().to_json())
    assert data["verdict"] == "caution" and data["level"] == "caution"
    assert data["metrics"] == {HOSTILE: 561600.0, "Share": 0.8667}
    assert data["key_metrics"] == [HOSTILE]
    assert data["tables"][HOSTILE] == [{"candidate": HOSTILE, "RICE": 10800.0}]


def test_not_answered_says_so_and_carries_no_numbers():
    result = Result.not_answered("data", "Do we have the right data?")
    assert (result.verdict, result.level, result.answered) == ("Not answered", None, False)
    assert result.metrics == [] and result.findings == []


def test_not_yet_is_a_plan_in_grey_with_its_text_escaped_and_marked_in_json():
    from aipm_kit.result import NO_MATHS, NOT_YET, level_colour

    result = Result.not_yet("monitoring", "How do we keep making it better?", f"Not yet: {HOSTILE}")
    assert (result.verdict, result.level, result.answered, result.planned) == (NOT_YET, None, False, True)
    page = result.to_html()
    assert HOSTILE not in page and "&lt;script&gt;" in page and NO_MATHS in page
    assert f"background:{level_colour(None)}" in page and ">Not yet</span>" in page
    assert json.loads(result.to_json())["data"] == {"plan": True}
    # the mirror: an answered result is not a plan
    assert not sample().planned


@pytest.mark.parametrize("value, unit, shown", [
    (561600, "$", "$561.6k"),
    (1_460_000, "$", "$1.46M"),
    (-2500.5, "$", "-$2,500"),
    (2.6, "$", "$2.60"),
    (0.8667, "%", "86.7%"),
    (18000, "", "18,000"),
    (3.14159, "", "3.14"),
    (None, "", "—"),
    (float("nan"), "%", "—"),
])
def test_numbers_are_formatted_for_people(value, unit, shown):
    assert format_number(value, unit) == shown


def test_a_missing_metric_is_a_clear_key_error():
    with pytest.raises(KeyError) as info:
        sample().metric_value("nope")
    assert info.value.args[0].startswith("no metric named 'nope'; have [")


def test_a_finding_reads_as_a_sentence_whatever_case_it_was_written_in():
    result = Result("problem", "What problem?", verdict="go", level="go", headline="h")
    result.add("caution", "only 6 of 15 interviewees have it.")
    result.add("info", "")  # nothing to capitalise: no error
    assert [f.message for f in result.findings] == ["Only 6 of 15 interviewees have it.", ""]


def test_colour_comes_from_the_level_alone_whatever_the_verdict_says():
    from aipm_kit.result import badge, level_colour

    # "No AI" with a sound plan is a go: the same green as any go, and a "Ship" at stop is red
    assert level_colour("go") == "#1b7f3b" and level_colour("stop") == "#b3261e"
    assert "background:#1b7f3b" in badge("No AI", "go") and "background:#b3261e" in badge("Ship", "stop")
    assert badge("No AI", "go").replace("No AI", "X") == badge("Go", "go").replace("Go", "X")
    assert "background:#6b7280" in badge("Not answered", None)  # no level: grey everywhere
