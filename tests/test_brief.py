"""The one-page brief and the index: the launch line, "not answered", escaping, Markdown. No notebook is run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import aipm_kit
from aipm_kit.brief import (IndexEntry, brief_html, brief_markdown, case_results, index_html, launch_readiness,
                            md_escape, notebook_links, write_brief)
from aipm_kit.questions import QUESTIONS
from aipm_kit.result import Result

FIXTURES = Path(__file__).parent / "fixtures" / "cases"


def _result(key: str, level: str | None, verdict: str | None = None, headline: str = "", **data) -> Result:
    q = aipm_kit.question(key)
    if level is None:
        return Result.not_answered(q.key, q.title)
    r = Result(q.key, q.title, verdict or level, level, headline or f"{q.key} is {level}.")
    r.data.update(data)
    return r


def _all(level: str = "go", **overrides: Result) -> dict[str, Result]:
    """Seven results at ``level``, with some replaced."""
    return {q.key: overrides.get(q.key) or _result(q.key, level) for q in QUESTIONS}


@pytest.fixture(scope="module")
def unvalidated():
    return aipm_kit.load_case(FIXTURES / "unvalidated.yaml")


@pytest.fixture(scope="module")
def hostile():
    return aipm_kit.load_case(FIXTURES / "hostile.yaml")


# ---- the launch-readiness line ---------------------------------------------------------------------------

def test_seven_go_verdicts_are_ready_to_launch():
    readiness = launch_readiness(_all("go"))
    assert (readiness.status, readiness.level) == ("Ready to launch", "go")


def test_a_stop_anywhere_is_not_ready_and_names_the_question():
    readiness = launch_readiness(_all("go", evaluation=_result("evaluation", "stop", "Hold")))
    assert (readiness.status, readiness.level) == ("Not ready", "stop")
    assert "question 6 (evaluation)" in readiness.message


def test_a_stop_wins_over_cautions_and_missing_answers():
    results = _all("caution", problem=_result("problem", "stop"), monitoring=_result("monitoring", None))
    readiness = launch_readiness(results)
    assert readiness.status == "Not ready"
    assert "question 1 (problem)" in readiness.message and "Not answered yet: question 7" in readiness.message


def test_cautions_only_are_ready_with_cautions_naming_them():
    readiness = launch_readiness(_all("go", data=_result("data", "caution"), approach=_result("approach", "caution")))
    assert readiness.status == "Ready with cautions"
    assert "question 3 (data) and question 4 (approach)" in readiness.message


def test_unanswered_questions_make_the_case_incomplete():
    results = _all("go", **{q.key: _result(q.key, None) for q in QUESTIONS[1:]})
    readiness = launch_readiness(results)
    assert (readiness.status, readiness.level) == ("Incomplete", None)
    assert "6 of 7 questions are not answered yet (questions 2, 3, 4, 5, 6 and 7)" in readiness.message


@pytest.mark.parametrize(("verdict", "outcome", "instead"), [
    ("No AI", "no_ai", "a rule, a form or UX change, or a process change"),
    ("Keep it human", "human", "keep people doing it, with better tools or a clearer policy"),
])
def test_question_2_saying_no_ai_is_stated_plainly(verdict, outcome, instead):
    need_ai = _result("need_ai", "stop", verdict, f"{verdict}: a short list of rules does this.", outcome=outcome)
    readiness = launch_readiness(_all("go", need_ai=need_ai))
    assert (readiness.status, readiness.level) == ("Don't build AI", "stop")
    assert readiness.message == f"Question 2 — {verdict}: a short list of rules does this. Instead: {instead}."


def test_what_to_do_instead_comes_from_question_2_when_it_says():
    need_ai = _result("need_ai", "stop", "No AI", "No AI: rules do it.", outcome="no_ai")
    message = launch_readiness(_all("go", need_ai=need_ai)).message
    assert message.endswith("Instead: a rule, a form or UX change, or a process change.")
    need_ai.data["instead"] = "a due-date rule in the billing system"
    message = launch_readiness(_all("go", need_ai=need_ai)).message
    assert message.endswith("Instead: a due-date rule in the billing system.")


def test_no_ai_is_recognised_from_the_verdict_alone_and_other_stops_are_still_named():
    need_ai = _result("need_ai", "stop", "No AI")  # no data["outcome"]
    readiness = launch_readiness(_all("go", need_ai=need_ai, problem=_result("problem", "stop")))
    assert readiness.status == "Don't build AI"
    assert readiness.message.endswith("Also stopped at question 1 (problem).")


def test_saying_no_with_a_plan_is_not_a_red_line():
    # the readiness line's colour follows the levels, not the verdict's words: a sound "No AI" (go) with every
    # other question go is a green "Don't build AI"; a caution elsewhere makes it amber and is named
    need_ai = _result("need_ai", "go", "No AI", "No AI: rules do it.", outcome="no_ai")
    readiness = launch_readiness(_all("go", need_ai=need_ai))
    assert (readiness.status, readiness.level) == ("Don't build AI", "go")
    assert readiness.message == ("Question 2 — No AI: rules do it. Instead: a rule, a form or UX change, or a "
                                 "process change.")
    cautioned = launch_readiness(_all("go", need_ai=need_ai, data=_result("data", "caution")))
    assert (cautioned.status, cautioned.level) == ("Don't build AI", "caution")
    assert cautioned.message.endswith("Cautions at question 3 (data).")
    from aipm_kit.brief import Overview

    overview_html = Overview(None, _all("go", need_ai=need_ai))._repr_html_()
    assert "border-left:5px solid #1b7f3b" in overview_html


def test_ai_assists_is_not_mistaken_for_no_ai():
    need_ai = _result("need_ai", "go", "AI assists", outcome="assist")
    assert launch_readiness(_all("go", need_ai=need_ai)).status == "Ready to launch"


def test_a_question_whose_analysis_raises_is_shown_as_failed_not_as_answered(unvalidated, monkeypatch):
    def broken(key):
        raise ValueError("the eval CSV has no 'label' column")

    monkeypatch.setattr(unvalidated, "analyze", broken)
    results = case_results(unvalidated)
    assert {r.verdict for r in results.values() if aipm_kit.question(r.question).available} == {"Analysis failed"}
    readiness = launch_readiness(results)
    assert readiness.status == "Incomplete" and "The analysis failed at question" in readiness.message
    page = brief_html(unvalidated, results)
    assert ("The analysis could not run on this section: ValueError: the eval CSV has no &#x27;label&#x27; column"
            in page)


# ---- the brief of a case ------------------------------------------------------------------------------

def test_the_brief_of_a_stopped_case_says_not_ready(unvalidated):
    page = brief_html(unvalidated)
    assert re.search(r"<strong>Not ready</strong>", page)
    assert "Stopped at question 1 (problem)" in page
    # 2 of 10 interviewees = 20.0%; 10 approvers × 20 reports a month × $5 = $1,000 a month = $12,000 a year.
    assert "20.0%" in page and "$12.0k" in page


def test_unanswered_questions_are_shown_as_not_answered_never_filled_in(unvalidated):
    results = case_results(unvalidated)
    assert list(results) == [q.key for q in QUESTIONS]  # all seven, in order
    assert [r.answered for r in results.values()] == [True] + [False] * 6
    page = brief_html(unvalidated, results)
    assert page.count(">Not answered</span>") == 6
    assert page.count("Not answered yet: the case file has no answers for this question.") == 6
    markdown = brief_markdown(unvalidated, results)
    assert markdown.count("| Not answered | *Not answered yet.* | — |") == 6


def test_every_row_has_its_number_title_badge_headline_and_key_numbers(unvalidated):
    page = brief_html(unvalidated, links={"problem": "01_problem.html"})
    for q in QUESTIONS:
        assert f'<td class="num">{q.number}</td>' in page
    assert '<a href="01_problem.html">What problem should we solve to maximize impact?</a>' in page
    assert "aipm-badge aipm-stop" in page
    assert '<span class="k">Annual cost of the problem</span> <span class="v">$12.0k</span>' in page


def test_the_brief_is_printable(unvalidated):
    page = brief_html(unvalidated)
    assert "@media print" in page and "@page" in page
    assert "break-inside: avoid" in page  # a question's row never splits across pages


def test_user_text_is_escaped_in_the_html_brief(hostile):
    page = brief_html(hostile)
    assert "<script" not in page
    assert "&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt; Hostile case" in page
    assert "&lt;script&gt;alert(&quot;summary&quot;)&lt;/script&gt; Tickets &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    # the headline quotes a candidate's name
    assert "&#x27;&lt;script&gt;alert(&quot;top&quot;)&lt;/script&gt;&#x27; scores higher" in page


def test_user_text_is_escaped_in_the_markdown_brief(hostile):
    markdown = brief_markdown(hostile)
    assert re.search(r"(?<!\\)<", markdown) is None  # every < is backslash-escaped
    assert markdown.startswith('# \\<script\\>alert("name")\\</script\\> Hostile case\n')
    # a | in user text would split the table row; * _ [ ] would turn into emphasis or a link
    assert "Tickets & \\<b\\>bold\\</b\\> claims \\| pipes \\* stars \\_under\\_ \\[link\\](x)" in markdown


def test_markdown_escape_keeps_text_on_one_line():
    assert md_escape("a|b\n*c*  <d>") == "a\\|b \\*c\\* \\<d\\>"


def test_the_markdown_brief_is_a_table_of_seven_rows(unvalidated):
    markdown = brief_markdown(unvalidated, links={"problem": "01_problem.html"})
    rows = [line for line in markdown.splitlines() if re.match(r"\| \d \|", line)]
    assert len(rows) == 7
    assert rows[0].startswith("| 1 | [What problem should we solve to maximize impact?](01_problem.html) | **Stop** |")
    assert "Annual cost of the problem: **\\$12.0k**" in rows[0]  # $ escaped: Jupyter reads $…$ as maths
    assert "**Launch readiness: Not ready.**" in markdown


def test_a_failed_notebook_is_flagged_in_its_row(unvalidated):
    page = brief_html(unvalidated, links={"problem": "01_problem.html"}, failed={"problem"})
    assert "The notebook failed in this build" in page


def test_write_brief_picks_markdown_or_html_by_suffix_and_links_only_existing_notebooks(tmp_path, unvalidated):
    (tmp_path / "01_problem.html").write_text("<html></html>")
    md = write_brief(unvalidated, tmp_path / "brief.md")
    page = write_brief(FIXTURES / "unvalidated.yaml", tmp_path / "brief.html")
    assert md.read_text().startswith("# Unvalidated expense-report problem\n")
    text = page.read_text()
    assert text.startswith("<!DOCTYPE html>")
    assert 'href="01_problem.html"' in text and 'href="02_need_ai.html"' not in text
    assert notebook_links(tmp_path) == {"problem": "01_problem.html"}
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


# ---- the index ----------------------------------------------------------------------------------------

def test_the_index_is_a_matrix_of_badges_linking_to_notebooks(unvalidated, hostile):
    entries = [IndexEntry(unvalidated, "unvalidated", case_results(unvalidated), {"problem": "01_problem.html"}),
               IndexEntry(hostile, "hostile", case_results(hostile), {}, {"problem"})]
    page = index_html(entries)
    assert "<script" not in page
    assert page.count("<tr><td class=\"case\">") == 2
    assert page.count("<span class='aipm-badge") == 2 * (7 + 1)  # seven verdicts and the launch line per case
    assert '<a href="unvalidated/01_problem.html"' in page
    assert '<a href="unvalidated/brief.html">Unvalidated expense-report problem</a>' in page
    assert ">failed</span>" in page  # the hostile case's failed notebook


def test_a_hold_on_question_6_holds_the_launch_though_its_level_is_caution():
    hold = _result("evaluation", "caution", "Hold", "Hold: blocking gate 'x' is not proven.")
    hold.data["blocks_launch"] = True
    readiness = launch_readiness(_all("go", evaluation=hold))
    assert readiness.status == "Not ready"
    assert "question 6 (evaluation)" in readiness.message


def test_the_agent_case_whose_evals_say_hold_is_not_ready_and_names_question_6():
    from aipm_kit.brief import case_results

    results = case_results(aipm_kit.load_case("travel-rebooking"))
    assert results["evaluation"].verdict == "Hold" and results["evaluation"].data["blocks_launch"] is True
    readiness = launch_readiness(results)
    assert readiness.status == "Not ready"
    assert "question 6 (evaluation)" in readiness.message
