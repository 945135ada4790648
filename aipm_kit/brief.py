"""The one-page brief of a case (a decision memo), and the index page over every case of a build.

The brief is made from the same ``Result`` objects the notebooks show, so the page and the notebooks cannot
disagree. It reads as a decision memo: it leads with the decision the case is at for its stage (build it? launch
it? keep it, improve it or roll it back?) and the recommendation that follows from the verdicts of the questions
that stage reaches; then the evidence (one row per question: its verdict badge, headline, the two or three
numbers that matter and a link to the filled notebook), the contradictions still open (the ledger's check), the
top risks with their controls (question 5's failure modes, else question 4's), what would change the decision,
and the next steps with their owners. Everything is derived from the results; a question the case has not
answered says "not answered" and nothing is filled in for it. Every piece of text that comes from a case file is
escaped (HTML) or backslash-escaped (Markdown).
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .case import Case, load_case, write_atomic
from .questions import QUESTIONS, Question
from .ledger import Finding, check
from .result import LEVELS, NO_MATHS, NOT_ANSWERED, Level, Result, badge, level_colour

# Question 2's outcomes that mean "do not build AI" (``result.data["outcome"]``, or the verdict's words), with
# what to do instead when the result does not say.
NO_AI_OUTCOMES = {"no_ai": "a rule, a form or UX change, or a process change",
                  "human": "keep people doing it, with better tools or a clearer policy"}
_NO_AI_VERDICTS = {"no ai": "no_ai", "keep it human": "human"}
ANALYSIS_FAILED = "Analysis failed"


# ---- what the brief says ----------------------------------------------------------------------------

# The decision a case is at, by its stage (None: the case does not say; the launch decision, over all seven).
DECISIONS = {
    None: "Is it ready to launch?",
    "idea": "Should we build it?",
    "pilot": "Should we launch it?",
    "launched": "Keep it, improve it, or roll it back?",
}


@dataclass(frozen=True)
class Readiness:
    """The memo's lead: the decision the case is at, the recommendation in a few words, its level, and why."""

    status: str  # "Ready to launch", "Build it", "Don't launch yet", "Keep it", "Don't build AI" …
    level: Level | None  # None: incomplete, nothing decided yet
    message: str
    decision: str = DECISIONS[None]


def case_results(case: Case) -> dict[str, Result]:
    """All seven questions' results in order; a question the case (or this kit) cannot answer is "not answered".

    A question whose analysis raises is shown as "analysis failed" with the error, so one broken section
    never takes the whole brief down, and nothing is invented for it.
    """
    results = {}
    for q in QUESTIONS:
        if not q.available:
            results[q.key] = Result.not_answered(q.key, q.title)
            continue
        try:
            results[q.key] = case.analyze(q.key)
        except Exception as exc:  # noqa: BLE001 (shown in the brief, not raised)
            results[q.key] = Result(q.key, q.title, ANALYSIS_FAILED, None,
                                    f"The analysis could not run on this section: {type(exc).__name__}: {exc}")
    return results


def launch_readiness(results: Mapping[str, Result]) -> Readiness:
    """What the seven verdicts add up to. A stop anywhere means not ready; question 2's "no AI" says so plainly."""
    by_number = [(q, results.get(q.key) or Result.not_answered(q.key, q.title)) for q in QUESTIONS]
    # a stop, or a verdict that holds the launch by its own word (question 6's Hold), means not ready
    stops = [(q, r) for q, r in by_number if r.level == "stop" or r.data.get("blocks_launch")]
    stopped = {q.key for q, _ in stops}
    cautions = [(q, r) for q, r in by_number if r.level == "caution" and q.key not in stopped]
    broken = [q for q, r in by_number if r.verdict == ANALYSIS_FAILED]
    missing = [q for q, r in by_number if not r.answered and q not in broken and not r.planned]
    failed = f" The analysis failed at {_list_numbers(broken)}." if broken else ""

    need_ai = results.get("need_ai")
    outcome = _no_ai_outcome(need_ai)
    if need_ai is not None and outcome is not None:
        # "don't build AI" is a decision, not a failure: its colour follows the levels like any other line
        others = [(q, r) for q, r in stops if q.key != "need_ai"]
        message = f"Question 2 — {need_ai.headline.rstrip('.')}. Instead: {_instead(need_ai, outcome).rstrip('.')}."
        if others:
            message += f" Also stopped at {_list_questions(q for q, _ in others)}."
        elif cautions and not stops:
            message += f" Cautions at {_list_questions(q for q, _ in cautions)}."
        level = "stop" if stops else "caution" if cautions else "go"
        return Readiness("Don't build AI", level, message)
    if stops:
        message = f"Stopped at {_list_questions(q for q, _ in stops)}: fix that before anything else."
        if missing:
            message += f" Not answered yet: {_list_numbers(missing)}."
        return Readiness("Not ready", "stop", message + failed)
    if broken and not missing:
        return Readiness("Incomplete", None, f"No launch decision can follow until every question is analysed."
                                             f"{failed}")
    if missing:
        answered = len(by_number) - len(missing)
        verb = "is" if len(missing) == 1 else "are"
        message = (f"{len(missing)} of {len(by_number)} questions {verb} not answered yet "
                   f"({_list_numbers(missing)}), so no launch decision can follow.")
        if answered:
            message += " Nothing answered so far stops the launch"
            message += f"; cautions at {_list_questions(q for q, _ in cautions)}." if cautions else "."
        return Readiness("Incomplete", None, message + failed)
    if cautions:
        return Readiness("Ready with cautions", "caution",
                         f"No question stops the launch; resolve the cautions first at "
                         f"{_list_questions(q for q, _ in cautions)}.")
    return Readiness("Ready to launch", "go", "All seven questions are answered and none raises a caution.")


# What each stage recommends: (all go, with cautions, stopped, not AI).
_WORDS = {
    "idea": ("Build it", "Build it, with cautions", "Don't build yet", "Don't build AI"),
    "pilot": ("Launch it", "Launch it, with cautions", "Don't launch yet", "Don't launch the AI"),
    "launched": ("Keep it", "Keep it and improve it", "Fix it now", "Retire the AI"),
}


def decision(case: Case | None, results: Mapping[str, Result]) -> Readiness:
    """The decision the case is at for its stage, and the recommendation the verdicts it reaches add up to.

    A case without a stage gets the launch decision over all seven questions (``launch_readiness``). At a
    stage, the questions it does not reach yet plan ("Not yet") and take no part. Question 2's "no AI" comes
    first; then a stop (or a verdict that holds by its word, question 6's Hold) anywhere reached; then answers
    still missing; then cautions. A launched product's own verdict is question 7's ("Act now" is a stop); its
    question 6 judges the next release, so a Hold there is a caution on the product in use. So is question 5's
    stop on a step beyond question 2's plan (``ledger.later_step``: letting an assistant act), and the memo says
    not to take that step.
    """
    stage = case.stage if case is not None else None
    if stage not in _WORDS:
        return launch_readiness(results)
    go, caution, stop, no_ai = _WORDS[stage]
    reached = [(q, results.get(q.key) or Result.not_answered(q.key, q.title)) for q in QUESTIONS if q.reaches(stage)]
    ask = DECISIONS[stage]
    step = _stopped_step(results) if stage == "launched" else ""
    # once launched, question 6 judges the next release, not the product in use: its Hold is a caution here; so
    # is question 5's stop on a step the product in use has not taken
    def weight(q: Question, r: Result) -> Level | None:
        held = r.level == "stop" or bool(r.data.get("blocks_launch"))
        if stage == "launched" and (q.key == "evaluation" or (q.key == "experience" and step)):
            return "caution" if held or r.level == "caution" else r.level
        return "stop" if held else r.level

    stops = [(q, r) for q, r in reached if weight(q, r) == "stop"]
    cautions = [(q, r) for q, r in reached if weight(q, r) == "caution"]
    missing = [q for q, r in reached if not r.answered]
    need_ai = results.get("need_ai")
    outcome = _no_ai_outcome(need_ai)
    lead = ""
    if need_ai is not None and outcome is not None:
        instead = _instead(need_ai, outcome).rstrip(".")
        chosen = getattr(case.answers("approach"), "chosen", None)
        if stage != "idea" and chosen == "rules":
            # the product built is the non-AI way question 2 chose: the stage's decision is about it
            lead = f"The product is the non-AI way question 2 chose: {instead}. "
        else:
            message = f"Question 2 — {need_ai.headline.rstrip('.')}. Instead: {instead}."
            others = [q for q, _ in stops if q.key != "need_ai"]
            if others:
                message += f" Also stopped at {_list_questions(others)}."
            return Readiness(no_ai, "stop" if others else need_ai.level, message, ask)
    watch = results.get("monitoring")
    if stage == "launched" and watch is not None and watch.answered:
        lead += f"Question 7, watching it live, says {_quote(watch.headline)} "
        if watch.level == "stop":  # "Act now" leads: the product in use is degrading
            stops = [(q, r) for q, r in stops if q.key == "monitoring"] + [(q, r) for q, r in stops
                                                                          if q.key != "monitoring"]
    if stops and stops[0][0].key == "problem":
        # a problem not worth solving ends the case: the later questions have nothing to plan for
        return Readiness("Drop it", "stop", f"{lead}Question 1 says {_quote(stops[0][1].headline)} A problem not "
                                            f"worth solving needs no answer to the later questions: drop it, or "
                                            f"come back with evidence that it is worth it.", ask)
    if stops:
        first_q, first = stops[0]
        message = f"{lead}Stopped at {_list_questions(q for q, _ in stops)}"
        message += "." if first_q.key == "monitoring" and lead else (f": question {first_q.number} says "
                                                                     f"{_quote(first.headline)}")
        if missing:
            message += f" Not answered yet: {_list_numbers(missing)}."
        return Readiness(stop, "stop", message + step, ask)
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        them = "it" if len(missing) == 1 else "them"
        return Readiness("Incomplete", None, f"{lead}{_list_numbers(missing).capitalize()} {verb} not answered "
                                             f"yet, and the {stage} stage needs {them} to decide.{step}", ask)
    later = [q for q in QUESTIONS if not q.reaches(stage)]
    plans = (f" {_list_numbers(later).capitalize()} plan{'s' if len(later) == 1 else ''} what comes next."
             if later else "")
    if cautions:
        return Readiness(caution, "caution", f"{lead}Nothing the {stage} stage reaches stops it; resolve the "
                                             f"cautions at {_list_questions(q for q, _ in cautions)}.{step}{plans}",
                         ask)
    return Readiness(go, "go", f"{lead}Every question the {stage} stage reaches is sound, with no caution.{plans}", ask)


def _stopped_step(results: Mapping[str, Result]) -> str:
    """The memo's sentence when question 5 stops a step beyond question 2's plan (letting an assistant act) and
    nothing it finds stops the product in use, which keeps a person deciding; "" otherwise."""
    from .ledger import later_step
    from .questions.experience import WHO_DECIDES

    need_ai, experience = results.get("need_ai"), results.get("experience")
    if need_ai is None or experience is None or experience.level != "stop":
        return ""
    automation = experience.data.get("automation")
    if (automation not in WHO_DECIDES or not later_step(need_ai.data.get("outcome"), automation)
            or experience.data.get("stops_every_level")):
        return ""
    return (f" Keep people checking, as now: question 5 stops the step to '{automation}' "
            f"({WHO_DECIDES[automation]}), saying {_quote(experience.headline)}")


def _quote(headline: str) -> str:
    text = " ".join(headline.split()).rstrip(".")
    return f"“{text}”."


def _no_ai_outcome(result: Result | None) -> str | None:
    if result is None or not result.answered:
        return None
    outcome = result.data.get("outcome")
    if outcome in NO_AI_OUTCOMES:
        return outcome
    return _NO_AI_VERDICTS.get(result.verdict.strip().lower())


def _instead(need_ai: Result, outcome: str) -> str:
    """What question 2 says to do instead of AI (its ``data["instead"]``), or the usual alternative."""
    return " ".join(str(need_ai.data.get("instead") or NO_AI_OUTCOMES[outcome]).split())


def _list_questions(questions: Iterable[Question]) -> str:
    return _join([f"question {q.number} ({q.key.replace('_', ' ')})" for q in questions])


def _list_numbers(questions: Iterable[Question]) -> str:
    numbers = [str(q.number) for q in questions]
    return ("questions " if len(numbers) > 1 else "question ") + _join(numbers)


def _join(items: list[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# ---- the rest of the memo: risks, what would change it, next steps ----------------------------------------

@dataclass(frozen=True)
class Step:
    """One next step: what to do, who does it ("" while nobody is named), by when, and where it comes from."""

    action: str
    owner: str
    due: str
    source: str


TOP_RISKS = 3
MOST_STEPS = 8


def top_risks(results: Mapping[str, Result], n: int = TOP_RISKS) -> list[str]:
    """The riskiest failure modes (severity × likelihood, question 5) with their controls; question 4's list,
    without controls, while question 5 has none."""
    experience, approach = results.get("experience"), results.get("approach")
    modes = experience.data.get("failure_modes") if experience is not None and experience.answered else None
    if modes:
        lines = []
        for m in modes[:n]:
            control = f"control: {m['control']}"
            if not m.get("control_ok", True):
                control += f", short of the '{m['required_control']}' it needs"
            seen = f"noticed by {m['detection']}" if m.get("detection") else "nobody would notice it"
            back = f"way back: {m['recovery']}" if m.get("recovery") else "no way back yet"
            lines.append(f"{m['name']} (severity {m['severity']} × likelihood {m['likelihood']}): {control}; "
                         f"{seen}; {back}.")
        return lines
    modes = approach.data.get("failure_modes") if approach is not None and approach.answered else None
    return [f"{m['name']}: {m['example']} No control designed yet (question 5)." for m in (modes or [])[:n]]


def what_would_change(case: Case, results: Mapping[str, Result]) -> list[str]:
    """What would change the decision: question 2's thresholds, then what holds each question the stage reaches."""
    lines = []
    need_ai = results.get("need_ai")
    # question 2's thresholds are about AI: for a case that chose the non-AI way, its row already says why not
    if need_ai is not None and need_ai.answered and _no_ai_outcome(need_ai) is None:
        note = need_ai.notes.get("What would change the decision", "")
        lines += [line.removeprefix("- ").strip() for line in note.splitlines() if line.strip()]
    for q in QUESTIONS:
        r = results.get(q.key)
        if r is None or r.level not in ("stop", "caution") or not q.reaches(case.stage):
            continue
        finding = _first_finding(r)
        if finding:
            lines.append(f"Question {q.number} clears what holds it: {finding}")
    return lines


def next_steps(case: Case, results: Mapping[str, Result], findings: list[Finding]) -> list[Step]:
    """The next steps, derived, most pressing first: settle each contradiction, fix what stops a question the
    stage reaches (its owner from the question's ``owner``), prepare the questions the stage does not reach yet
    (their plans), resolve the cautions, and close question 3's data gaps (their owners and dates)."""
    settle = [Step(f"Settle {f.quantity.lower()}: {f.fix}", "", "", "the case's check") for f in findings
              if f.contradiction]
    stops: list[Step] = []
    plans: list[Step] = []
    cautions: list[Step] = []
    gaps: list[Step] = []
    for q in QUESTIONS:
        r = results.get(q.key)
        if r is None:
            continue
        owner = str(getattr(case.answers(q.key), "owner", "") or "").strip()
        actions = r.data.get("actions") or [] if q.key == "data" and r.answered else []
        gaps += [Step(f"{a['data need']}: {a['action']}", a.get("owner", ""), a.get("due", ""), "question 3")
                 for a in actions]
        if r.planned:
            plan = r.headline.split(". ", 1)[1] if ". " in r.headline else r.headline
            plans.append(Step(plan, owner, "", f"question {q.number}'s plan"))
        elif r.level in ("stop", "caution") and q.reaches(case.stage) and not actions:
            finding = _first_finding(r)
            if finding:
                (stops if r.level == "stop" else cautions).append(Step(finding, owner, "", f"question {q.number}"))
    problem = results.get("problem")
    if problem is not None and problem.level == "stop":
        # a problem not worth solving is dropped: nothing later is worth planning (see ``decision``)
        return (settle + stops)[:MOST_STEPS]
    # what holds the decision first, then what the next stage needs, then the rest
    return (settle + stops + plans + cautions + gaps)[:MOST_STEPS]


def _first_finding(r: Result) -> str:
    for level in ("stop", "caution"):
        for f in r.findings:
            if f.level == level:
                return f.message
    return ""


def _stage_line(case: Case) -> str:
    parts = []
    if case.stage:
        parts.append(f"Stage: {case.stage}")
    if case.as_of:
        parts.append(f"as of {case.as_of.isoformat()}")
    return " · ".join(parts)


def notebook_links(folder: Path, stems: Iterable[str] | None = None) -> dict[str, str]:
    """Question key → relative link for every question notebook exported as HTML in ``folder``."""
    links = {}
    for q in QUESTIONS:
        if (stems is None or q.notebook in stems) and (folder / f"{q.notebook}.html").is_file():
            links[q.key] = f"{q.notebook}.html"
    return links


def short_label(q: Question) -> str:
    """A column heading for the index: ``Problem``, ``Need AI?`` …"""
    return {"need_ai": "Need AI?"}.get(q.key, q.key.replace("_", " ").capitalize())


@dataclass
class Overview:
    """A case at a glance inside a notebook: the launch line, then each question's badge and headline.

    Styles are inline (no page CSS), so it renders the same in JupyterLab, nbconvert and GitHub.
    """

    case: Case
    results: Mapping[str, Result]

    def _repr_html_(self) -> str:
        e = html.escape
        readiness = decision(self.case, self.results)
        colour = level_colour(readiness.level)
        status, message = readiness.status, readiness.message
        if self.case is not None and self.case.student_mode:  # the launch line is a verdict too
            status, message = "Your call.", "This is a student's copy: decide each question from its evidence."
        rows = "".join(
            f"<tr><td style='text-align:left;vertical-align:top'>{q.number}</td>"
            f"<td style='text-align:left;vertical-align:top'><a href='{q.notebook}.ipynb'>{e(q.title)}</a></td>"
            f"<td style='text-align:left;vertical-align:top'>{badge(r.verdict, r.level)}</td>"
            f"<td style='text-align:left;vertical-align:top'>{e(r.headline)}</td></tr>"
            for q, r in ((q, self.results.get(q.key) or Result.not_answered(q.key, q.title)) for q in QUESTIONS)
        )
        return (f"<div class='aipm-overview {NO_MATHS}'><p style='border-left:5px solid {colour};padding:4px 10px'>"
                f"<strong style='color:{colour}'>{e(status)}</strong> {e(message)}</p>"
                f"<table><thead><tr><th>#</th><th style='text-align:left'>Question</th>"
                f"<th style='text-align:left'>Verdict</th><th style='text-align:left'>Headline</th></tr></thead>"
                f"<tbody>{rows}</tbody></table></div>")

    def __repr__(self) -> str:
        student = self.case is not None and self.case.student_mode
        status = "Your call." if student else decision(self.case, self.results).status
        lines = [f"{self.case.name} — {status}"]
        for q in QUESTIONS:
            r = self.results.get(q.key) or Result.not_answered(q.key, q.title)
            lines.append(f"{q.number}. [{r.verdict}] {r.headline}")
        return "\n".join(lines)


def overview(case: Case) -> Overview:
    """The case at a glance (the start page shows it): launch line, verdicts and headlines."""
    return Overview(case, {key: case.shown(result) for key, result in case_results(case).items()})


# ---- HTML ---------------------------------------------------------------------------------------------

_CSS = """
:root { --ink:#1f2328; --muted:#5b6470; --rule:#d8dde3; --paper:#fff; --tint:#f5f7f9; }
* { box-sizing: border-box; }
body { margin:0; background:#eef1f4; color:var(--ink);
  font: 14px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
.page { max-width: 900px; margin: 24px auto; background: var(--paper); padding: 28px 34px 22px;
  box-shadow: 0 1px 4px rgba(0,0,0,.12); }
.kicker { margin:0; font-size:11px; letter-spacing:.08em; text-transform:uppercase; color:var(--muted); }
h1 { margin: 2px 0 6px; font-size: 24px; line-height: 1.2; }
.summary { margin: 0 0 14px; color: #333; font-size: 15px; }
.readiness { border-left: 6px solid; padding: 9px 14px; margin: 0 0 18px; background: var(--tint);
  border-radius: 0 6px 6px 0; }
.readiness strong { font-size: 16px; margin-right: 6px; }
READINESS_COLOURS
table { border-collapse: collapse; width: 100%; }
.questions th { text-align:left; font-size:11px; text-transform:uppercase; letter-spacing:.05em;
  color:var(--muted); border-bottom: 2px solid var(--rule); padding: 6px 8px; }
.questions td { border-bottom: 1px solid var(--rule); padding: 9px 8px; vertical-align: top; }
.questions tr { break-inside: avoid; page-break-inside: avoid; }
td.num { font-weight:700; color:var(--muted); width: 2em; }
td.q { width: 23%; font-weight: 600; }
td.q a { color: inherit; text-decoration: none; border-bottom: 1px dotted var(--muted); }
td.verdict { width: 1%; white-space: nowrap; }
.headline { margin: 0 0 5px; }
.not-answered .headline { color: var(--muted); font-style: italic; }
.not-answered td.q { color: var(--muted); }
.metrics { margin:0; padding:0; list-style:none; display:flex; flex-wrap:wrap; gap:4px 8px; }
.metrics li { background: var(--tint); border:1px solid var(--rule); border-radius: 4px; padding: 1px 7px;
  font-size: 12.5px; }
.metrics .v { font-weight: 700; font-variant-numeric: tabular-nums; }
.failed { color:#b3261e; font-size:12.5px; margin: 4px 0 0; }
.ledger h2 { font-size: 15px; margin: 16px 0 4px; }
.ledger p { margin: 0 0 4px; }
.ledger ul { margin: 0; padding-left: 18px; font-size: 12.5px; }
.ledger li { margin: 2px 0; }
.ledger li.contradiction::marker { color:#b3261e; } .ledger li.gap::marker { color:#a15c00; }
.ledger code { font-size: 11.5px; background: var(--tint); padding: 0 3px; border-radius: 3px; }
.decision { margin: 0 0 3px; font-size: 11px; letter-spacing: .06em; text-transform: uppercase;
  color: var(--muted); }
.stage { margin: -8px 0 12px; font-size: 12.5px; color: var(--muted); }
.memo h2 { font-size: 15px; margin: 16px 0 4px; }
.memo ul { margin: 0; padding-left: 18px; font-size: 12.5px; }
.memo li { margin: 2px 0; }
.memo .owner { color: var(--muted); }
.not-yet .headline { color: var(--muted); }
footer { margin-top: 14px; font-size: 11.5px; color: var(--muted); }
footer a { color: inherit; }
.matrix th, .matrix td { border-bottom: 1px solid var(--rule); padding: 8px 6px; text-align: center;
  vertical-align: middle; }
.matrix th { font-size: 11.5px; color: var(--muted); font-weight: 600; }
.matrix th.case, .matrix td.case { text-align: left; }
.matrix td.case a { font-weight: 700; color: inherit; }
.matrix td.case p { margin: 2px 0 0; font-size: 12.5px; color: var(--muted); }
.matrix a { text-decoration: none; }
.matrix .aipm-badge { font-size: 12px; }
.page.wide { max-width: 1200px; }
@media print {
  @page { margin: 11mm 12mm; }
  body { background: #fff; font-size: 9pt; line-height: 1.35; }
  .page, .page.wide { margin: 0; padding: 0; box-shadow: none; max-width: none; }
  .kicker { font-size: 7.5pt; }
  h1 { font-size: 16pt; margin-bottom: 3px; }
  .summary { font-size: 9.5pt; margin-bottom: 8px; }
  .readiness { padding: 5px 10px; margin-bottom: 8px; }
  .readiness strong { font-size: 11pt; }
  .questions th { font-size: 7pt; padding: 4px 5px; }
  .questions td { padding: 5px 5px; }
  td.q { width: 22%; }
  .headline { margin-bottom: 3px; }
  .metrics { gap: 2px 5px; }
  .metrics li { font-size: 8pt; padding: 0 5px; }
  .aipm-badge { font-size: 8pt; }
  footer { margin-top: 6px; font-size: 7.5pt; }
  td.q a { border-bottom: none; }
  .aipm-badge, .readiness, .metrics li { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""
# the readiness line takes its level's colour from the one place colours live (result.level_colour)
_CSS = _CSS.replace("READINESS_COLOURS", "\n".join(
    f".readiness.{name} {{ border-color:{colour}; }} .readiness.{name} strong {{ color:{colour}; }}"
    for name, colour in [*((lv, level_colour(lv)) for lv in LEVELS), ("none", level_colour(None))]))


def _page(title: str, body: str, wide: bool = False) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f'<main class="page{" wide" if wide else ""}">\n{body}\n</main>\n</body>\n</html>\n'
    )


def _readiness_html(readiness: Readiness) -> str:
    e = html.escape
    return (f'<section class="readiness {readiness.level or "none"}"><p class="decision">The decision: '
            f"{e(readiness.decision)}</p><strong>{e(readiness.status)}</strong>"
            f"<span>{e(readiness.message)}</span></section>")


def _memo_html(case: Case, results: Mapping[str, Result], findings: list[Finding]) -> str:
    """The memo after the evidence: top risks, what would change the decision, next steps with owners."""
    e = html.escape

    def section(title: str, items: list[str], empty: str) -> str:
        body = f"<ul>{''.join(f'<li>{item}</li>' for item in items)}</ul>" if items else f"<p>{e(empty)}</p>"
        return f'<section class="memo"><h2>{e(title)}</h2>{body}</section>\n'

    steps = [f"{e(s.action)} <span class=\"owner\">— {e(s.owner or 'owner to name')}"
             f"{', by ' + e(s.due) if s.due else ''} ({e(s.source)})</span>"
             for s in next_steps(case, results, findings)]
    return (section("Top risks and their controls", [e(r) for r in top_risks(results)],
                    "No failure modes are listed yet (questions 4 and 5).")
            + section("What would change the decision", [e(c) for c in what_would_change(case, results)],
                      "Nothing the results name.")
            + section("Next steps", steps, "None: every question the stage reaches is sound."))


def brief_html(case: Case, results: Mapping[str, Result] | None = None, links: Mapping[str, str] | None = None,
               failed: Iterable[str] = ()) -> str:
    """The brief as a standalone, printable HTML page.

    ``links`` maps a question key to its filled notebook's HTML (relative to the brief); ``failed`` names the
    question keys whose notebook failed in the build, so the reader knows the link shows an error.
    """
    e = html.escape
    results = results if results is not None else case_results(case)
    links = links or {}
    failed = set(failed)
    rows = []
    for q in QUESTIONS:
        r = results.get(q.key) or Result.not_answered(q.key, q.title)
        title = e(q.title)
        if q.key in links:
            title = f'<a href="{e(links[q.key], quote=True)}">{title}</a>'
        if r.answered or r.verdict == ANALYSIS_FAILED or r.planned:
            metrics = "".join(f'<li><span class="k">{e(m.name)}</span> <span class="v">{e(m.formatted())}</span></li>'
                              for m in r.key_metrics)
            detail = f'<p class="headline">{e(r.headline)}</p>'
            detail += f'<ul class="metrics">{metrics}</ul>' if metrics else ""
        else:
            detail = '<p class="headline">Not answered yet: the case file has no answers for this question.</p>'
        if q.key in failed:
            detail += '<p class="failed">The notebook failed in this build: its page shows the error.</p>'
        kind = "answered" if r.answered else "not-yet" if r.planned else "not-answered"
        rows.append(f'<tr class="{kind}"><td class="num">{q.number}</td>'
                    f'<td class="q">{title}</td><td class="verdict">{badge(r.verdict, r.level)}</td>'
                    f"<td>{detail}</td></tr>")
    source = f" from the case file {e(case.path.name)}" if case.path else ""
    note = " Each question's title links to its filled notebook." if links else ""
    findings = check(case, results)
    stage = _stage_line(case)
    body = (
        '<header><p class="kicker">AI product brief</p>'
        f"<h1>{e(case.name)}</h1>"
        + (f'<p class="summary">{e(case.summary)}</p>' if case.summary else "")
        + (f'<p class="stage">{e(stage)}</p>' if stage else "")
        + "</header>\n"
        + _readiness_html(decision(case, results)) + "\n"
        + '<section class="memo"><h2>The evidence</h2></section>\n'
        + '<table class="questions"><thead><tr><th>#</th><th>Question</th><th>Verdict</th>'
          "<th>Finding and the numbers that matter</th></tr></thead>\n<tbody>\n"
        + "\n".join(rows)
        + "\n</tbody></table>\n"
        + (f'<p class="provenance">{e(_eval_provenance(case))}</p>\n' if _eval_provenance(case) else "")
        + _holds_together_html(findings)
        + _memo_html(case, results, findings)
        + f"<footer>Made by aipm-kit{source}.{note}</footer>"
    )
    return _page(f"{case.name} — AI product brief", body)


def _eval_provenance(case: Case) -> str | None:
    """Where question 6's eval run came from, when ``aipm-kit import`` wrote it (its provenance file beside it)."""
    answers = case.answers("evaluation")
    path = getattr(answers, "results_file", None)
    if path is None:
        return None
    from .importers.provenance import describe, read_provenance

    record = read_provenance(path)
    return f"Question 6's eval run was imported from {describe(record)}." if record else None


def _holds_together_html(findings: list[Finding]) -> str:
    e = html.escape
    if not findings:
        return ('<section class="ledger"><h2>Does the case hold together?</h2><p>Yes: wherever two questions '
                "use one number, they agree.</p></section>\n")
    items = "".join(
        f'<li class="{"contradiction" if f.contradiction else "gap"}"><strong>{e(f.quantity)}</strong>: '
        f"<code>{e(f.home)}</code> = {e(f.home_value)}, but <code>{e(f.other)}</code> = {e(f.other_value)}. "
        f"{e(f.effect)} <em>Fix:</em> {e(f.fix)}</li>" for f in findings)
    contradictions = sum(f.contradiction for f in findings)
    lead = (f"No: {contradictions} contradiction{'s' if contradictions != 1 else ''} to settle before the verdicts "
            "can be trusted." if contradictions else "Mostly: the plans differ from the evidence in places.")
    return f'<section class="ledger"><h2>Does the case hold together?</h2><p>{e(lead)}</p><ul>{items}</ul></section>\n'


# ---- Markdown ---------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#$])")  # `$` too: Jupyter reads $…$ as maths


def md_escape(text: str) -> str:
    """Text that Markdown shows as written: its markup characters backslash-escaped, on one line."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def brief_markdown(case: Case, results: Mapping[str, Result] | None = None,
                   links: Mapping[str, str] | None = None, failed: Iterable[str] = ()) -> str:
    """The brief as Markdown (a table per question row), to paste into a document."""
    results = results if results is not None else case_results(case)
    links = links or {}
    failed = set(failed)
    readiness = decision(case, results)
    lines = [f"# {md_escape(case.name)}", ""]
    if case.summary:
        lines += [md_escape(case.summary), ""]
    if _stage_line(case):
        lines += [f"*{md_escape(_stage_line(case))}*", ""]
    lines += [f"**The decision: {md_escape(readiness.decision)}** {md_escape(readiness.status)}. "
              f"{md_escape(readiness.message)}", "", "## The evidence", "",
              "| # | Question | Verdict | Finding | Numbers that matter |", "|---|---|---|---|---|"]
    for q in QUESTIONS:
        r = results.get(q.key) or Result.not_answered(q.key, q.title)
        title = md_escape(q.title)
        if q.key in links:
            title = f"[{title}]({links[q.key]})"
        if r.answered or r.verdict == ANALYSIS_FAILED or r.planned:
            headline = md_escape(r.headline)
            numbers = "; ".join(f"{md_escape(m.name)}: **{md_escape(m.formatted())}**" for m in r.key_metrics) or "—"
            verdict = f"**{md_escape(r.verdict)}**"
        else:
            headline, numbers, verdict = "*Not answered yet.*", "—", NOT_ANSWERED
        if q.key in failed:
            headline += " (the notebook failed in this build)"
        lines.append(f"| {q.number} | {title} | {verdict} | {headline} | {numbers} |")
    if _eval_provenance(case):
        lines += ["", f"*{md_escape(_eval_provenance(case))}*"]
    findings = check(case, results)
    lines += ["", "## Does the case hold together?", ""]
    if not findings:
        lines.append("Yes: wherever two questions use one number, they agree.")
    for f in findings:
        mark = "Contradiction" if f.contradiction else "Gap"
        lines.append(f"- **{mark} — {md_escape(f.quantity)}:** {md_escape(f.home)} = {md_escape(f.home_value)}, "
                     f"but {md_escape(f.other)} = {md_escape(f.other_value)}. {md_escape(f.effect)} "
                     f"*Fix:* {md_escape(f.fix)}")
    lines += ["", "## Top risks and their controls", ""]
    lines += [f"- {md_escape(r)}" for r in top_risks(results)] or [
        "No failure modes are listed yet (questions 4 and 5)."]
    lines += ["", "## What would change the decision", ""]
    lines += [f"- {md_escape(c)}" for c in what_would_change(case, results)] or ["Nothing the results name."]
    lines += ["", "## Next steps", ""]
    lines += [f"- {md_escape(s.action)} — *{md_escape(s.owner or 'owner to name')}"
              f"{', by ' + md_escape(s.due) if s.due else ''} ({md_escape(s.source)})*"
              for s in next_steps(case, results, findings)] or ["None: every question the stage reaches is sound."]
    source = f" from the case file `{case.path.name}`" if case.path and "`" not in case.path.name else ""
    lines += ["", f"*Made by aipm-kit{source}.*", ""]
    return "\n".join(lines)


def write_brief(case: Case | str | os.PathLike, out: str | os.PathLike, links: Mapping[str, str] | None = None,
                failed: Iterable[str] = ()) -> Path:
    """Write ``case``'s brief to ``out``: Markdown when it ends in ``.md``, else HTML. No notebook is run.

    Without ``links``, each question links to its notebook's HTML when that file sits beside ``out``.
    """
    if not isinstance(case, Case):
        case = load_case(case)
    path = Path(out)
    if links is None:
        links = notebook_links(path.parent if str(path.parent) else Path("."))
    results = case_results(case)
    render = brief_markdown if path.suffix.lower() in (".md", ".markdown") else brief_html
    write_atomic(path, render(case, results, links, failed))
    return path


# ---- the index of a build -----------------------------------------------------------------------------

@dataclass
class IndexEntry:
    """One case in the index: where its folder is (relative to the index) and what it concluded."""

    case: Case
    folder: str  # the case's output folder, relative to the index page (its slug)
    results: Mapping[str, Result]
    links: Mapping[str, str] = field(default_factory=dict)  # question key → notebook HTML, relative to folder
    failed: set[str] = field(default_factory=set)


def index_html(entries: Iterable[IndexEntry]) -> str:
    """The cases × questions matrix of verdict badges; each badge links to that filled notebook."""
    e = html.escape
    head = "".join(f'<th title="{e(q.title, quote=True)}">{q.number}<br>{e(short_label(q))}</th>' for q in QUESTIONS)
    rows = []
    for entry in entries:
        folder = entry.folder
        cells = []
        for q in QUESTIONS:
            r = entry.results.get(q.key) or Result.not_answered(q.key, q.title)
            cell = badge("failed" if q.key in entry.failed else r.verdict,
                         "stop" if q.key in entry.failed else r.level)
            tip = e(f"{q.number}. {q.title} — {r.headline}", quote=True)
            if q.key in entry.links:
                cell = f'<a href="{e(folder + "/" + entry.links[q.key], quote=True)}" title="{tip}">{cell}</a>'
            else:
                cell = f'<span title="{tip}">{cell}</span>'
            cells.append(f"<td>{cell}</td>")
        readiness = decision(entry.case, entry.results)
        brief = e(f"{folder}/brief.html", quote=True)
        rows.append(
            f'<tr><td class="case"><a href="{brief}">{e(entry.case.name)}</a>'
            + (f"<p>{e(entry.case.summary)}</p>" if entry.case.summary else "")
            + f"</td>{''.join(cells)}<td>{badge(readiness.status, readiness.level)}</td></tr>"
        )
    body = (
        '<header><p class="kicker">aipm-kit build</p><h1>Worked cases</h1>'
        '<p class="summary">Each row is one case; each badge is that question\'s verdict and opens its filled '
        "notebook. A case's name opens its one-page brief.</p></header>\n"
        f'<table class="matrix"><thead><tr><th class="case">Case</th>{head}<th>Launch</th></tr></thead>\n<tbody>\n'
        + "\n".join(rows)
        + "\n</tbody></table>"
    )
    return _page("aipm-kit — worked cases", body, wide=True)
