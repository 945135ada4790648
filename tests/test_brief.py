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
    assert "**The decision: Is it ready to launch?** Not ready." in markdown


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


# ---- the memo: the decision the case is at, for its stage ---------------------------------------------------

def _staged(stage: str, **sections) -> aipm_kit.Case:
    return aipm_kit.Case("A product", "", dict(sections), stage=stage)


def _not_yet(key: str, headline: str) -> Result:
    q = aipm_kit.question(key)
    return Result.not_yet(q.key, q.title, headline)


def test_a_launched_case_decides_whether_to_keep_it_and_question_7_leads():
    from aipm_kit.brief import decision

    watch = _result("monitoring", "caution", "Watch", "Watch: the mix moved toward chat.")
    hold = _result("evaluation", "stop", "Hold", "Hold: email fails.", blocks_launch=True)
    lead = decision(_staged("launched"), _all("go", monitoring=watch, evaluation=hold))
    # in use, question 6 judges the next release: its Hold is a caution, not "Not ready: stopped at question 6"
    assert (lead.decision, lead.status, lead.level) == ("Keep it, improve it, or roll it back?",
                                                        "Keep it and improve it", "caution")
    assert lead.message == ("Question 7, watching it live, says “Watch: the mix moved toward chat”. Nothing the "
                            "launched stage reaches stops it; resolve the cautions at question 6 (evaluation) and "
                            "question 7 (monitoring).")
    # the mirror: question 7 says act now → fix it now, led by question 7
    act = _result("monitoring", "stop", "Act now", "Act now: errors rose within every segment.")
    lead = decision(_staged("launched"), _all("go", monitoring=act))
    assert (lead.status, lead.level) == ("Fix it now", "stop")
    assert lead.message.endswith("Stopped at question 7 (monitoring).")
    stable = decision(_staged("launched"), _all("go", monitoring=_result("monitoring", "go", "Stable", "Stable.")))
    assert (stable.status, stable.level) == ("Keep it", "go")


def test_a_launched_assistant_is_kept_when_question_5_stops_only_the_step_to_let_it_act_alone():
    from aipm_kit.brief import decision

    # policy-assistant as bundled (stage: launched): question 2 plans that the AI assists, a person deciding each
    # question, and the desk checks every answer in use; question 5 weighs 'act autonomously' (the YAML's
    # experience.automation) and stops it, since no threshold keeps the error rate under 5% with nobody
    # reviewing. That stop is about the step not taken, so it weighs as a caution on the product in use.
    case = aipm_kit.load_case("policy-assistant")
    results = case_results(case)
    assert results["need_ai"].data["outcome"] == "assist"
    assert (results["experience"].level, results["experience"].data["automation"]) == ("stop", "act autonomously")
    # question 1 and 4 are go, 2, 3 and 7 cautions, 6's No-ship judges the next release (a caution once
    # launched), and 5's stop is on the later step: nothing stops the product in use
    lead = decision(case, results)
    assert (lead.status, lead.level) == ("Keep it and improve it", "caution")
    assert "resolve the cautions at question 2 (need ai), question 3 (data), question 5 (experience), question 6 " \
           "(evaluation) and question 7 (monitoring)." in lead.message
    assert lead.message.endswith("Keep people checking, as now: question 5 stops the step to 'act autonomously' "
                                 f"(the AI acts alone), saying “{results['experience'].headline.rstrip('.')}”.")
    # the mirror: with no explanation needed and a world that rarely changes, question 2's scorecard gives
    # automating 2 (done for them) + 1 (no explanation needed) = 3 points (every other criterion 0: agreement 88%
    # < 90%, tolerance medium, worst error $40 / $11 = 3.6 right answers, 2,400 a month < 10,000), over its bar
    # of 2, and nothing blocks it (tolerance not low, explanation not required): the product in use acts alone,
    # so question 5's stop is on it and it is fixed now
    automates = aipm_kit.load_case("policy-assistant", overrides={
        "need_ai": {"explanation": "not needed", "world_changes": "rarely"}})
    results = case_results(automates)
    assert results["need_ai"].data["outcome"] == "automate"
    lead = decision(automates, results)
    assert (lead.status, lead.level) == ("Fix it now", "stop")
    assert "Stopped at question 5 (experience)" in lead.message and "Keep people" not in lead.message
    # and question 5 at the level in use (a person reviews each draft) does not stop: it is a caution
    reviewed = aipm_kit.load_case("policy-assistant", overrides={"experience": {"automation": "draft for review"}})
    results = case_results(reviewed)
    assert results["experience"].level == "caution"
    assert decision(reviewed, results).status == "Keep it and improve it"


def test_a_severe_failure_with_no_way_back_stops_the_product_in_use_whatever_step_question_5_weighs():
    from aipm_kit.brief import decision

    # policy-assistant with its hallucination mode (severity 4) given no recovery: that stops the design at
    # every automation level, people checking or not, so the launched product is fixed now
    case = aipm_kit.load_case("policy-assistant")
    modes = [m.model_copy(update={"recovery": ""}) if m.name == "hallucination" else m
             for m in case.answers("experience").failure_modes]
    stranded = case.with_answers("experience", case.answers("experience").model_copy(update={"failure_modes": modes}))
    results = case_results(stranded)
    assert results["experience"].data["stops_every_level"] == ["hallucination"]
    lead = decision(stranded, results)
    assert (lead.status, lead.level) == ("Fix it now", "stop")
    assert "Keep people" not in lead.message


def test_question_5s_stop_on_letting_an_assistant_act_is_a_caution_once_launched_and_a_stop_at_a_pilot():
    from aipm_kit.brief import decision

    assist = _result("need_ai", "go", "AI assists", "AI assists: it suggests, a person decides.", outcome="assist")
    act = _result("experience", "stop", "Stop", "Stop: no safe threshold.", automation="act with undo")
    kept = decision(_staged("launched"), _all("go", need_ai=assist, experience=act))
    assert (kept.status, kept.level) == ("Keep it and improve it", "caution")
    assert kept.message == ("Question 7, watching it live, says “monitoring is go”. Nothing the launched stage "
                            "reaches stops it; resolve the cautions at question 5 "
                            "(experience). Keep people checking, as now: question 5 stops the step to 'act with "
                            "undo' (the AI acts and users can undo), saying “Stop: no safe threshold”.")
    # at a pilot nothing is in use yet: the level question 5 weighs is the one to launch, and its stop holds it
    piloted = decision(_staged("pilot"), _all("go", need_ai=assist, experience=act))
    assert (piloted.status, piloted.level) == ("Don't launch yet", "stop")
    # a plan that automates is the product acting: its stop is on the product in use
    automate = _result("need_ai", "go", "AI automates", "AI automates.", outcome="automate")
    assert decision(_staged("launched"), _all("go", need_ai=automate, experience=act)).status == "Fix it now"


def test_an_idea_case_decides_whether_to_build_and_later_questions_only_plan():
    from aipm_kit.brief import decision

    plans = {"evaluation": _not_yet("evaluation", "Not yet: plan 9,349 cases."),
             "monitoring": _not_yet("monitoring", "Not yet: log 7 columns.")}
    lead = decision(_staged("idea"), _all("go", **plans))
    assert (lead.decision, lead.status, lead.level) == ("Should we build it?", "Build it", "go")
    assert lead.message == ("Every question the idea stage reaches is sound, with no caution. Questions 6 and 7 "
                            "plan what comes next.")
    # a stop the idea stage reaches holds the build; the plans are neither stops nor missing answers
    stopped = decision(_staged("idea"), _all("go", data=_result("data", "stop", "Stop", "Stop: no labels."), **plans))
    assert (stopped.status, stopped.level) == ("Don't build yet", "stop")
    assert stopped.message == "Stopped at question 3 (data): question 3 says “Stop: no labels”."
    # the mirror at question 1: a problem not worth solving is dropped, and the blank later questions are not
    # reported as missing answers
    dropped = decision(_staged("idea"), {"problem": _result("problem", "stop", "Stop", "Stop: 4 of 14 have it."),
                                         **plans})
    assert (dropped.status, dropped.level) == ("Drop it", "stop")
    assert dropped.message.startswith("Question 1 says “Stop: 4 of 14 have it”. A problem not worth solving")
    assert "Not answered" not in dropped.message
    # without a stage, the plans of question 6 and 7 would leave the launch decision incomplete
    assert launch_readiness(_all("go", **plans)).status == "Ready to launch"


def test_a_no_ai_case_at_the_idea_stage_says_dont_build_ai_and_once_built_judges_the_non_ai_product():
    from aipm_kit.brief import decision
    from aipm_kit.questions.approach import Answers as Approach

    need_ai = _result("need_ai", "go", "No AI", "No AI: rules do it.", outcome="no_ai",
                      instead="A reminder schedule of six rules.")
    lead = decision(_staged("idea"), _all("go", need_ai=need_ai))
    assert (lead.status, lead.level) == ("Don't build AI", "go")
    assert lead.message == "Question 2 — No AI: rules do it. Instead: A reminder schedule of six rules."
    launched = _staged("launched", approach=Approach(task="Send reminders", requests_per_month=2000, chosen="rules"))
    kept = decision(launched, _all("go", need_ai=need_ai))
    assert (kept.status, kept.level) == ("Keep it", "go")
    assert kept.message.startswith("The product is the non-AI way question 2 chose: A reminder schedule of six rules.")
    # the mirror: an AI built against question 2's "no AI" is to be retired
    assert decision(_staged("launched"), _all("go", need_ai=need_ai)).status == "Retire the AI"


@pytest.fixture(scope="module")
def triage_at_pilot():
    import dataclasses
    import datetime

    return dataclasses.replace(aipm_kit.load_case("support-triage"), stage="pilot", as_of=datetime.date(2025, 8, 15))


def test_the_memo_leads_with_the_decision_then_evidence_contradictions_risks_changes_and_steps(triage_at_pilot):
    # one data need still missing, with its owner: a next step the memo must carry
    data = triage_at_pilot.answers("data")
    needs = [n.model_copy(update={"status": "missing"}) if i == 0 else n for i, n in enumerate(data.needs)]
    assert needs[0].owner
    case = triage_at_pilot.with_answers("data", data.model_copy(update={"needs": needs}))
    results = case_results(case)
    page = brief_html(case, results)
    order = ["The decision: Should we launch it?", "The evidence", "Does the case hold together?",
             "Top risks and their controls", "What would change the decision", "Next steps"]
    positions = [page.index(heading) for heading in order]
    assert positions == sorted(positions)
    assert "Stage: pilot · as of 2025-08-15" in page
    # question 7 plans at a pilot: grey Not yet, its headline shown, and its plan is a next step
    assert results["monitoring"].verdict == "Not yet" and results["monitoring"].level is None
    assert ">Not yet</span>" in page and 'class="not-yet"' in page
    # the riskiest failure mode first: severity × likelihood, from question 5
    modes = results["experience"].data["failure_modes"]
    top = max(modes, key=lambda m: m["severity"] * m["likelihood"])
    risks = page[page.index("Top risks and their controls"):page.index("What would change the decision")]
    assert risks.index(top["name"]) < min(risks.index(m["name"]) for m in modes[1:3])
    # next steps carry question 3's owners and dates
    gaps = [n for n in case.answers("data").needs if n.status != "have" and n.owner]
    steps = page[page.index("Next steps"):]
    assert gaps and all(n.owner in steps for n in gaps[:1])
    markdown = brief_markdown(case, results)
    assert "## Next steps" in markdown and "\\$" in markdown and "$1" not in markdown.replace("\\$", "")


def test_a_dropped_problem_plans_nothing_after_it():
    # meeting-notes stops at question 1: its next steps are question 1's alone, not question 6's or 7's plans;
    # the mirror is support-triage at the idea stage, whose plans are its next steps
    import dataclasses

    from aipm_kit.brief import next_steps

    dropped = aipm_kit.load_case("meeting-notes")
    steps = next_steps(dropped, case_results(dropped), [])
    assert [s.source for s in steps] == ["question 1"]
    idea = dataclasses.replace(aipm_kit.load_case("support-triage"), stage="idea")
    assert "question 7's plan" in [s.source for s in next_steps(idea, case_results(idea), [])]
