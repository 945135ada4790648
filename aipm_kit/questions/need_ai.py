"""Question 2 — Does this need AI?

Usually not, and saying so is the job. A scorecard of ten criteria asks whether rules could do it, whether
the input is language or images, whether people agree on the right answer, whether users want it done for
them or want help, and what errors cost; a money check asks whether AI beats the best non-AI way by enough
to pay for itself. The answer is one of four outcomes — no AI, keep it human, AI assists a person, AI
automates with oversight — and a tie or a borderline score always goes to the simpler one.

The money check, per month, against the non-AI baseline::

    net = N × ((a − p) × V − ((1 − a) − (1 − p)) × c) − (N × r + F) − B / H
        = N × (a − p) × (V + c) − N × r − F − B / H

    N  decisions a month                     a  the AI's accuracy        p  the non-AI baseline's accuracy
    V  value of one correct decision         c  cost of one error = s × c_FP + (1 − s) × c_FN,
    r  run cost per decision                    s the share of errors that are false positives
    F  fixed run cost a month                B  build cost, spread over H months (the case's horizon)

``(a − p) × V`` is the accuracy gain times the value of a correct decision; ``((1 − a) − (1 − p)) × c`` is the
change in error cost. AI breaks even at ``a* = p + (N × r + F + B / H) / (N × (V + c))``: the share of decisions
(tickets, invoices…: ``decision_unit``) the AI must get right, counted over a month's decisions and measured the
way the baseline is (on labelled past cases), for its value to equal the best non-AI way's after its run and
build costs. It is a percentage of decisions, not a model score: below it, not building AI is worth more.

Run and build costs have one home, question 4: once it has chosen an AI approach and priced it, ``r``, ``F``,
``B`` and ``H`` are that approach's (cost per request; fixed and retraining costs a month; build cost over
question 4's horizon), so the costs here are question 4's monthly cost for the chosen approach; this
worksheet's own cost fields are the estimate used before question 4 exists. Later evidence revises the plan
openly: with question 5's share handled ``s`` (``ledger.SHARE_HANDLED``: what handling means at its automation
level) and question 6's measured pass rate ``m``, the value "with the evidence" is
``N × s × (m − p) × (V + c) − N × r − F − B / H`` (the rest go to people as today, so they gain nothing), shown
beside the value planned.

The baseline ``p`` is the best non-AI way: a rule's accuracy (typed, or measured on a labelled sample — always
answering the most common label, and a ``rule`` column if the sample has one), and never less than doing
nothing: a suggestion right less often than ``c / (V + c)`` costs more in errors than it saves, so people would
ignore it and keep today's way.
"""

from __future__ import annotations

import contextvars
import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..case import DataFile
from ..result import Finding, Result, format_number
from ..selfcheck import Check
from ..sources import data_error, read_csv
from ..stats import majority_class_baseline, wilson_interval

if TYPE_CHECKING:
    from ..case import Case

KEY = "need_ai"
TITLE = "Does this need AI?"

# The four outcomes, simplest first: a tie or a borderline score goes to the one earlier in this list.
OUTCOMES = ("no_ai", "human", "assist", "automate")
LABELS = {"no_ai": "No AI", "human": "Keep it human", "assist": "AI assists",
          "automate": "AI automates with oversight"}

AI_FIT_BAR = 3  # AI needs more than this many scorecard points; a score on the bar is a tie → no AI
AUTOMATION_BAR = 2  # automating needs more than this; on the bar → assist
ACCURACY_MARGIN = 0.03  # expected accuracy within 3 points of break-even is too close to call: the simpler way
BREAK_EVEN_METRIC = "Break-even accuracy (share of decisions the AI must get right)"
AGREEMENT_FLOOR = 0.6  # below this, people disagree too often for "the right answer" to exist
HIGH_VOLUME, LOW_VOLUME, REVIEW_VOLUME = 1000, 100, 10_000  # decisions a month
PLENTY_OF_EXAMPLES, FEW_EXAMPLES = 1000, 100

@functools.cache
def self_check() -> tuple[Check, ...]:
    """The self-check at the end of the notebook; the numbers it quotes come from the kit's own functions."""
    _, majority, _ = majority_class_baseline(["legitimate"] * 97 + ["fraud"] * 3)
    suggestion = Answers(value_per_correct=2, cost_false_positive=6, cost_false_negative=6)
    floor, cost = do_nothing_accuracy(suggestion), error_cost(suggestion)
    return (
        Check("A clinic's booking form asks for a date, a doctor and a reason chosen from a list of eight. The "
              "team wants an LLM to book the appointments. Which outcome fits?",
              ("AI automates with oversight: bookings are frequent and repetitive.",
               "AI assists: the LLM suggests a slot and the receptionist confirms it.",
               "No AI: the input is structured and a short list of rules covers every case."),
              2, "Structured input and rules that cover every case: a calendar rule does it for a fraction of the "
                 "cost, explains itself and never drifts. Assisting sounds careful, but it still builds the AI "
                 "nobody needs."),
        Check("A classifier is 90% accurate at spotting fraudulent orders, and 97% of orders are legitimate. Is "
              "it good?",
              (f"Not shown: always answering 'legitimate' is {majority:.0%} accurate, so compare it with that "
               f"and price each kind of error.",
               "Yes: it catches 9 in 10 fraudulent orders.",
               "Yes: 90% is more than most models reach on a first try."),
              0, f"Accuracy means nothing without the baseline: the majority answer alone is right {majority:.0%} "
                 f"of the time. And 90% accuracy is not 90% of fraud caught: that is recall, a different number."),
        Check("A right suggestion saves an agent $2 of time; acting on a wrong one costs $6 to undo. Below what "
              "share right does showing suggestions cost more than it saves?",
              (f"{1 - floor:.0%}: a suggestion must beat the ratio 2 ÷ 8.",
               f"{floor:.0%}: cost of an error ÷ (value of a right one + cost of an error) = 6 ÷ 8.",
               "50%: it must be right more often than wrong."),
              1, f"At a share p right, p × $2 − (1 − p) × ${cost:.0f} is zero at p = 6 ÷ 8 = {floor:.0%}. Errors "
                 f"cost three times what right answers save, so being right more often than wrong is not enough."),
    )


class Answers(BaseModel):
    """The "does this need AI?" worksheet: the scorecard's ten criteria, then the money."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    # a verdict needs the decision, how often it is made and what a right one is worth; until then the question is "Not answered"
    NEEDED_FOR_VERDICT: ClassVar[tuple[str, ...]] = ("decision", "monthly_volume", "value_per_correct")

    decision: str = Field(
        "", description="The decision or task AI would take on, in one sentence (what goes in, what comes out).")
    decision_unit: str = Field(
        "decision", max_length=40,
        description="What one decision is about, in a word (ticket, invoice, question, trip): the unit the "
                    "break-even accuracy is stated in.")
    non_ai_alternative: str = Field(
        "", json_schema_extra={"multiline": True},
        description="The best way to do it without AI: a rule, a form or UX change, a process change, or "
                    "people as today.")
    non_ai_name: str = Field(
        "", max_length=60,
        description="What the later questions call the non-AI way when the answer is no AI: a few words, "
                    "singular (e.g. 'the reminder schedule'); empty: 'the rule-based system' when question 4 "
                    "chose rules.")
    rules_can_do_it: Literal["yes", "partly", "no"] = Field(
        "partly", description="Could a short list of rules (if this, then that) do it: yes, partly (the easy "
                              "cases), or no?")
    input_kind: Literal["structured", "mixed", "unstructured"] = Field(
        "mixed", description="What the decision reads: structured (fields, numbers, codes), mixed, or "
                             "unstructured (free text, images, audio).")
    agreement_rate: float = Field(
        0.7, ge=0, le=1,
        description="Share of cases on which two experienced people give the same answer (0–1).")
    users_want: Literal["done for them", "help doing it", "to do it themselves"] = Field(
        "help doing it", description="What the people who do the task today want: the task done for them "
                                     "(automate), help doing it (augment), or to keep doing it themselves.")
    error_tolerance: Literal["high", "medium", "low"] = Field(
        "medium", description="How well the workflow absorbs an occasional wrong answer: high (cheap to notice "
                              "and undo), medium, or low (it harms someone before anyone can catch it).")
    cost_false_positive: float = Field(
        0, ge=0, description="Cost of one false positive compared with today's way, in dollars: the AI picks "
                             "an answer it should not (a ticket sent to the wrong queue).")
    cost_false_negative: float = Field(
        0, ge=0, description="Cost of one false negative compared with today's way, in dollars: the AI misses "
                             "what it should catch (an urgent ticket left at normal priority).")
    false_positive_share: float = Field(
        0.5, ge=0, le=1, description="Share of the errors that are false positives (0–1); the rest are false "
                                     "negatives.")
    monthly_volume: int = Field(0, ge=0, description="Decisions a month (tickets, documents, requests).")
    world_changes: Literal["rarely", "sometimes", "often"] = Field(
        "sometimes", description="How often the right answers change (new products, new kinds of request, new "
                                 "rules): rarely, sometimes, or often.")
    explanation: Literal["not needed", "helpful", "required"] = Field(
        "helpful", description="Must each decision come with its reason: not needed, helpful, or required (by "
                               "law, policy or the people affected)?")
    labelled_examples: int = Field(
        0, ge=0, description="Past cases with the right answer recorded (to learn from and to test against).")
    sample: DataFile | None = Field(
        None, description="Optional CSV of labelled past cases, relative to the case file: a 'label' column "
                          "(the right answer) and optionally a 'rule' column (what a non-AI rule answers). "
                          "The baseline is then measured on it instead of typed.")
    baseline_accuracy: float = Field(
        0.5, ge=0, le=1, description="Share of decisions the best non-AI rule gets right (0–1), e.g. always the "
                                     "most common answer; measured instead when a sample is named.")
    ai_accuracy: float = Field(
        0.8, ge=0, le=1, description="Share of decisions you expect the AI to get right (0–1); question 6 "
                                     "measures it.")
    value_per_correct: float = Field(
        0, ge=0, description="What one correct decision is worth compared with today's way, in dollars (time "
                             "saved × loaded rate, revenue kept).")
    run_cost_per_decision: float = Field(
        0, ge=0, description="AI running cost per decision, in dollars (tokens, inference).")
    run_cost_per_month: float = Field(
        0, ge=0, description="Fixed AI running cost a month, in dollars (hosting, monitoring, upkeep).")
    build_cost: float = Field(
        0, ge=0, description="One-off cost to build and launch the AI, in dollars (people, labelling, "
                             "integration).")
    horizon_months: int = Field(
        12, ge=1, le=60, description="Months over which the build cost must pay for itself.")

    @field_validator("sample")
    @classmethod
    def _readable_sample(cls, path: Path | None) -> Path | None:
        if path is not None:
            read_sample(path)  # a ValueError naming the problem: not a CSV, no 'label' column, no labels
        return path


def starting_answers(case: Case) -> dict:
    """A fresh worksheet starts from question 1: its users × occurrences a month is the volume."""
    problem = case.answers("problem") if case is not None else None
    if problem is None:
        return {}
    return {"monthly_volume": round(problem.users_affected * problem.occurrences_per_user_per_month)}


def analyze(answers: Answers, case: Case | None = None) -> Result:
    costs = approach_costs(answers, case)
    a = costs.answers
    result = Result(KEY, TITLE, verdict="", level="go", headline="")
    cautions: list[str] = []

    criteria = scorecard(a)
    fit = sum(c.ai_points for c in criteria)
    automation = sum(c.automation_points for c in criteria)
    baselines = _baselines(a, result, cautions)
    money = expected_value(a, baselines.used)
    choice = recommend(a, criteria, money)

    _show_scorecard(criteria, fit, automation, result)
    _show_money(a, money, baselines, result, cautions, case, loss_is_the_reason=choice.gate == "money",
                costs_source=costs.source)
    evidence = _with_the_evidence(a, money, case, result, choice.outcome) \
        if choice.outcome in ("assist", "automate") else None
    _check_accuracy_claim(a, result, cautions)
    _note_errors(a, choice.outcome, result, cautions)

    result.verdict = LABELS[choice.outcome]
    reason = choice.reason[0].upper() + choice.reason[1:]
    if choice.outcome in ("no_ai", "human"):
        # saying no is a sound decision, not a failure: its level is about whether the non-AI plan holds
        result.level, plan = no_ai_level(a, choice, money)
        result.headline = f"{LABELS[choice.outcome]}: {choice.reason}"
        result.findings.insert(0, Finding(result.level, reason))
        if plan:
            result.findings.insert(1, Finding(result.level, plan))
        result.notes["Why not AI"] = why_not_ai(a, choice, money)
        result.data["instead"] = instead_of_ai(a, choice.outcome)
    else:
        result.level = "caution" if choice.borderline or cautions else "go"
        result.headline = _ai_headline(a, choice.outcome, money, baselines)
        result.findings.insert(0, Finding("caution" if choice.borderline else "go", reason))
    result.notes["What would change the decision"] = _what_would_change(a, choice.outcome, fit, automation, money)
    result.data.update({
        "outcome": choice.outcome,
        "break_even_accuracy": money.break_even if money.break_even is not None and money.break_even <= 1
        else None,
        "break_even_unit": plural(unit(a)),
        "baseline_accuracy": money.baseline,
        "baseline_source": baselines.source,
        "ai_accuracy": a.ai_accuracy,
        "net_monthly_value": money.net,
        "net_monthly_value_with_evidence": evidence,
        "costs_source": costs.source,
        "ai_fit_score": fit,
        "automation_score": automation,
        "borderline": choice.borderline,
    })
    return result


@dataclass(frozen=True)
class Costs:
    """The answers with the run and build costs in force, and where those costs come from."""

    answers: Answers
    source: str  # "this worksheet" or "question 4's prices for <approach>"


def approach_costs(a: Answers, case: Case | None) -> Costs:
    """Question 4's costs for its chosen AI approach in place of this worksheet's estimate, when it has them.

    Cost per decision = the approach's cost per request; fixed a month = its fixed cost + retraining a month;
    build = its build cost over question 4's horizon: the same monthly cost question 4 shows at this volume.
    """
    theirs = case.answers("approach") if case is not None and case.is_answered("approach") else None
    if theirs is None or theirs.chosen in (None, "rules"):
        return Costs(a, "this worksheet")
    from .approach import LABELS, price_approaches

    row = next((p for p in theirs.prices if p.approach == theirs.chosen), None)
    cost = price_approaches(theirs).get(theirs.chosen)
    if row is None or cost is None:
        return Costs(a, "this worksheet")
    update = {"run_cost_per_decision": cost.per_request,
              "run_cost_per_month": row.fixed_monthly + row.retrain_cost * row.retrains_per_year / 12,
              "build_cost": row.build_cost, "horizon_months": theirs.horizon_months}
    return Costs(a.model_copy(update=update), f"question 4's prices for {LABELS[theirs.chosen]}")


# Set while question 2 reads question 5's and 6's results: they ask question 4, which asks question 2 for its
# outcome, and that nested reading needs only the plan (the outcome never rests on the evidence).
_READING_EVIDENCE: contextvars.ContextVar[bool] = contextvars.ContextVar("need_ai_reading_evidence", default=False)


def _with_the_evidence(a: Answers, m: Money, case: Case | None, result: Result, outcome: str) -> float | None:
    """The value planned beside the value with question 5's share handled and question 6's measured accuracy.

    When this answer is that the AI assists (a person decides every case) while question 5 weighs letting it act,
    question 5's share is about that later step, not this plan: the plan's share (every case gets a suggestion)
    stands, and only the measured accuracy revises it.
    """
    if case is None or _READING_EVIDENCE.get():
        return None
    from ..ledger import later_step, measured_accuracy, share_handled

    token = _READING_EVIDENCE.set(True)
    try:
        share, measured = share_handled(case), measured_accuracy(case)
        experience = case.answers("experience") if case.is_answered("experience") else None
    finally:
        _READING_EVIDENCE.reset(token)
    beyond = experience is not None and later_step(outcome, experience.automation)
    if beyond:
        share = None
    if share is None and measured is None:
        return None
    s = share.value if share is not None else 1.0
    accuracy = measured.value if measured is not None else a.ai_accuracy
    n = a.monthly_volume
    handled = n * s
    net = handled * (accuracy - m.baseline) * (a.value_per_correct + m.error_cost) - m.run_cost - m.build_per_month
    units = plural(unit(a))
    result.metric("Net monthly value with the evidence", net, "$", key=True)
    result.tables["Value planned and with the evidence, per month"] = pd.DataFrame({
        "term": [f"share of {units} the AI handles", f"{units} handled a month", "accuracy on them",
                 "net monthly value"],
        "planned": ["100%", f"{n:,}", f"{a.ai_accuracy:.1%}", format_number(m.net, "$")],
        "with the evidence": [f"{s:.1%}", f"{handled:,.0f}", f"{accuracy:.1%}", format_number(net, "$")],
        "evidence from": [share.source if share is not None else
                          f"question 5 weighs '{experience.automation}', a later step than assisting: the plan's "
                          f"100%" if beyond else "no evidence yet: the plan's 100%",
                          "share × monthly_volume",
                          measured.source if measured is not None else "no evidence yet: need_ai.ai_accuracy",
                          "handled × (accuracy − baseline) × (V + c) − run − build"],
    })
    if m.net > 0 >= net:
        result.add("caution", f"With the evidence the AI no longer pays: {format_number(net, '$')} a month "
                              f"(planned {format_number(m.net, '$')}), handling {s:.0%} of {units} at "
                              f"{accuracy:.1%}. Revisit this answer before building more.")
    else:
        result.add("info", f"With the evidence ({s:.0%} of {units} handled at {accuracy:.1%}) the AI nets "
                           f"{format_number(net, '$')} a month, against {format_number(m.net, '$')} planned.")
    return net


# ---- the scorecard ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Criterion:
    """One row of the scorecard: the answer, its points for AI and for automating, and why."""

    name: str
    answer: str
    ai_points: int
    automation_points: int
    reason: str


# What each criterion is about, in a word or two, for sentences that list several.
TOPICS = {
    "Could a short list of rules do it?": "rules", "Is the input unstructured (language, images)?": "input",
    "Do people agree on the right answer?": "agreement", "Do users want it done for them, or help?": "users",
    "How much error can the workflow tolerate?": "error tolerance",
    "What do a false positive and a false negative cost?": "error costs", "Is the volume high?": "volume",
    "Does the world change over time?": "change", "Is an explanation required?": "explanation",
    "Is there labelled data or examples?": "labelled examples",
}


def scorecard(a: Answers) -> list[Criterion]:
    """The ten criteria scored: points toward AI at all, and toward automating rather than assisting."""
    return [_rules(a), _input(a), _agreement(a), _users(a), _tolerance(a), _error_costs(a), _volume(a),
            _change(a), _explanation(a), _examples(a)]


def _rules(a: Answers) -> Criterion:
    name = "Could a short list of rules do it?"
    if a.rules_can_do_it == "yes":
        return Criterion(name, "yes", -3, 0, "A short list of rules does it: rules cost less, explain themselves "
                                             "and never drift.")
    if a.rules_can_do_it == "partly":
        return Criterion(name, "partly", 0, 0, "Rules take the easy cases; AI has to earn its keep on the rest, "
                                               "so judge it against the rules, not against nothing.")
    return Criterion(name, "no", 2, 0, "No short list of rules does it: the cases vary too much for hand-written "
                                       "conditions.")


def _input(a: Answers) -> Criterion:
    name = "Is the input unstructured (language, images)?"
    if a.input_kind == "unstructured":
        return Criterion(name, "unstructured", 2, 0, "Free text, images or audio: where learned models beat "
                                                     "rules.")
    if a.input_kind == "mixed":
        return Criterion(name, "mixed", 1, 0, "Partly free text: the structured fields may carry most of the "
                                              "decision; check what the text adds.")
    return Criterion(name, "structured", -1, 0, "Structured fields: rules, a lookup or a plain statistical "
                                                "model usually do as well for less.")


def _agreement(a: Answers) -> Criterion:
    name = "Do people agree on the right answer?"
    shown = f"{a.agreement_rate:.0%} of cases"
    if a.agreement_rate < AGREEMENT_FLOOR:
        return Criterion(name, shown, -2, -2, "People disagree too often for a right answer to exist: a model "
                                              "would learn the noise. Agree on the policy first.")
    if a.agreement_rate < 0.8:
        return Criterion(name, shown, 0, -1, "People often disagree: the labels are noisy, and a model will not "
                                             "be more consistent than its teachers.")
    return Criterion(name, shown, 1, 1 if a.agreement_rate >= 0.9 else 0,
                     "People mostly agree, so there is a right answer to learn and to test against.")


def _users(a: Answers) -> Criterion:
    name = "Do users want it done for them, or help?"
    if a.users_want == "done for them":
        return Criterion(name, "done for them", 0, 2, "People want the task off their plate: a case for "
                                                      "automating, with a person checking a sample.")
    if a.users_want == "help doing it":
        return Criterion(name, "help doing it", 0, -2, "People want help, not replacement: they keep the "
                                                       "decision and the AI suggests.")
    return Criterion(name, "to do it themselves", -2, -3, "People want to keep doing it themselves (they enjoy "
                                                          "it, or feel responsible for it): keep it human.")


def _tolerance(a: Answers) -> Criterion:
    name = "How much error can the workflow tolerate?"
    if a.error_tolerance == "high":
        return Criterion(name, "high", 0, 1, "A wrong answer is cheap to notice and undo.")
    if a.error_tolerance == "medium":
        return Criterion(name, "medium", 0, 0, "Wrong answers are survivable if someone notices them.")
    return Criterion(name, "low", -1, -2, "A wrong answer harms someone before it can be caught: never let the "
                                          "AI act alone.")


def _error_costs(a: Answers) -> Criterion:
    name = "What do a false positive and a false negative cost?"
    shown = f"FP ${a.cost_false_positive:,.2f} · FN ${a.cost_false_negative:,.2f}"
    worst = max(a.cost_false_positive, a.cost_false_negative)
    ratio = worst / a.value_per_correct if a.value_per_correct > 0 else (math.inf if worst > 0 else 0.0)
    if ratio <= 3:
        return Criterion(name, shown, 0, 1, "The worst error costs no more than three correct decisions earn: "
                                            "mistakes are affordable.")
    if ratio <= 10:
        return Criterion(name, shown, 0, 0, f"The worst error wipes out {ratio:.1f} correct decisions: "
                                            f"affordable if most errors are caught.")
    shown_ratio = "all" if math.isinf(ratio) else f"{ratio:,.0f}"
    return Criterion(name, shown, 0, -2, f"The worst error wipes out {shown_ratio} correct decisions: keep a "
                                         f"person between the AI and the outcome.")


def _volume(a: Answers) -> Criterion:
    name = "Is the volume high?"
    shown = f"{a.monthly_volume:,} a month"
    review = 1 if a.monthly_volume >= REVIEW_VOLUME else 0
    if a.monthly_volume >= HIGH_VOLUME:
        return Criterion(name, shown, 1, review, "Enough volume for small savings per decision to add up"
                         + (", and too much for people to check every one." if review else "."))
    if a.monthly_volume >= LOW_VOLUME:
        return Criterion(name, shown, 0, 0, "Moderate volume: the savings per decision must be large to pay for "
                                            "building and running AI.")
    return Criterion(name, shown, -1, 0, f"Under {LOW_VOLUME} a month: people can do it, and AI's fixed costs "
                                         f"rarely pay back.")


def _change(a: Answers) -> Criterion:
    name = "Does the world change over time?"
    if a.world_changes == "often":
        return Criterion(name, "often", 1, -1, "Hand-written rules go stale; a model can be retrained on fresh "
                                               "examples, but only if someone watches it (question 7).")
    if a.world_changes == "sometimes":
        return Criterion(name, "sometimes", 0, 0, "Some drift: plan a periodic review whichever way you choose.")
    return Criterion(name, "rarely", 0, 0, "A stable world: rules written once stay right.")


def _explanation(a: Answers) -> Criterion:
    name = "Is an explanation required?"
    if a.explanation == "required":
        return Criterion(name, "required", -1, -2, "Each decision needs a reason someone can check: rules or a "
                                                   "person explain themselves; an AI decision alone does not.")
    if a.explanation == "helpful":
        return Criterion(name, "helpful", 0, 0, "A reason helps people trust and correct it: show the words or "
                                                "fields the AI relied on.")
    return Criterion(name, "not needed", 0, 1, "Nobody needs the reason for each decision.")


def _examples(a: Answers) -> Criterion:
    name = "Is there labelled data or examples?"
    shown = f"{a.labelled_examples:,}"
    if a.labelled_examples >= PLENTY_OF_EXAMPLES:
        return Criterion(name, shown, 1, 0, "Plenty of labelled history to learn from and to test against.")
    if a.labelled_examples >= FEW_EXAMPLES:
        return Criterion(name, shown, 0, 0, "Enough examples for a prompt and a first test set, not to train a "
                                            "model.")
    return Criterion(name, shown, -1, 0, "Too few examples to learn from or to test against: collect and label "
                                         "them first (question 3).")


def _show_scorecard(criteria: list[Criterion], fit: int, automation: int, result: Result) -> None:
    result.metric("AI-fit score", fit, key=True)
    result.metric("Automation score", automation)
    table = pd.DataFrame({
        "criterion": [c.name for c in criteria] + ["total"],
        "answer": [c.answer for c in criteria] + [""],
        "AI fit": [c.ai_points for c in criteria] + [fit],
        "automate": [c.automation_points for c in criteria] + [automation],
        "why": [c.reason for c in criteria]
        + [f"AI needs more than {AI_FIT_BAR} points; automating needs more than {AUTOMATION_BAR}."],
    })
    result.tables["Scorecard: points for AI, and for automating rather than assisting"] = table


# ---- the money ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Baselines:
    """The non-AI ways to compare with: typed, measured on a sample, and doing nothing; ``used`` is the best."""

    typed: float
    majority: float | None
    majority_label: str | None
    rule: float | None
    sample_rows: int
    do_nothing: float
    used: float
    source: str


@dataclass(frozen=True)
class Money:
    """Expected value against the non-AI baseline, per month (see the module docstring for the formula)."""

    volume: int
    baseline: float
    accuracy: float
    error_cost: float  # c: the cost of one error, FP and FN mixed
    value_gain: float  # N × (a − p) × V
    error_cost_change: float  # N × ((1 − a) − (1 − p)) × c: negative when AI makes fewer errors
    run_cost: float  # N × r + F
    build_per_month: float  # B / H
    net: float
    break_even: float | None  # accuracy a* where net = 0; None when no accuracy gain is worth anything
    break_even_volume: float | None  # decisions a month where net = 0 at the expected accuracy
    payback_months: float | None  # build cost ÷ monthly gain after run costs


def unit(a: Answers) -> str:
    """The word for one decision (``decision_unit``), lower case, or "decision"."""
    return " ".join(a.decision_unit.split()).lower() or "decision"


def plural(word: str) -> str:
    """ticket → tickets, inquiry → inquiries, box → boxes: enough English for a unit's name."""
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in tuple("aeiou"):
        return word[:-1] + "ies"
    return word + "s"


def baseline_phrase(a: Answers, b: Baselines) -> str:
    """What the baseline is, in words: which non-AI way, how right it is, and where that was measured."""
    units = plural(unit(a))
    if b.source == "doing nothing":
        return f"today's way, worth as much as {b.used:.1%} of {units} right"
    if b.source == "measured on the sample":
        which = "the sample's rule" if b.rule is not None and b.rule >= (b.majority or 0) else \
            f"always answering {b.majority_label!r}"
        return f"{which}: {b.used:.1%} of {b.sample_rows:,} labelled {units} right"
    return f"a rule typed in as {b.used:.1%} of {units} right"


def break_even_sentence(a: Answers, m: Money) -> str:
    """The break-even in words: what is measured, per what, and the unit."""
    units = plural(unit(a))
    return (f"the AI must get more than {m.break_even:.1%} of {units} right (a share of all the {units} it "
            f"handles, measured on labelled {units}) to be worth more than the best non-AI way after its run and "
            f"build costs")


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def no_ai_level(a: Answers, choice: Recommendation, m: Money) -> tuple[str, str]:
    """The level of a "no AI" or "keep it human" answer, and a sentence on its plan.

    Saying no is a sound decision when there is a plan instead: ``go`` with the non-AI alternative written down.
    ``caution`` when no alternative is written yet, or the call was borderline (a tie, or too close to call on a
    guessed accuracy). ``stop`` when the scorecard or the money decided it with nothing to weigh (no volume,
    nothing priced), so the answer rests on blanks rather than on a decision; a gate that needs no numbers
    (rules do it, people want to keep it, people disagree) stands without them.
    """
    if choice.gate in ("fit", "money", "margin") and (m.volume == 0 or m.break_even is None):
        return "stop", ""  # the finding on the missing numbers says what to fill in
    plan = " ".join(a.non_ai_alternative.split())
    plan = plan if not plan or plan.endswith((".", "!", "?")) else plan + "."
    if not plan:
        return "caution", ("No plan instead of AI is written yet: describe the rule, form, process change or "
                           "tools you will use (non_ai_alternative), so the team builds that.")
    if choice.borderline:
        return "caution", (f"The plan instead: {plan} Close call: measure it and revisit this answer when the "
                           f"numbers firm up.")
    return "go", f"The plan instead: {plan}"


def error_cost(a: Answers) -> float:
    """The cost of one error: s × c_FP + (1 − s) × c_FN."""
    return a.false_positive_share * a.cost_false_positive + (1 - a.false_positive_share) * a.cost_false_negative


def do_nothing_accuracy(a: Answers) -> float:
    """The accuracy at which a suggestion is worth exactly nothing: c / (V + c) (0 when both are zero).

    Right answers earn V each and wrong ones cost c each, so p × V − (1 − p) × c = 0 at p = c / (V + c). Below
    it people are better off without the suggestion, so no baseline is ever worse than this.
    """
    c = error_cost(a)
    return c / (a.value_per_correct + c) if a.value_per_correct + c > 0 else 0.0


def net_monthly_value(a: Answers, accuracy: float, baseline: float) -> float:
    """N × (a − p) × (V + c) − N × r − F − B / H: the AI's net value a month over the baseline."""
    n = a.monthly_volume
    return (n * (accuracy - baseline) * (a.value_per_correct + error_cost(a))
            - n * a.run_cost_per_decision - a.run_cost_per_month - a.build_cost / a.horizon_months)


def break_even_accuracy(a: Answers, baseline: float) -> float | None:
    """a* = p + (N × r + F + B / H) / (N × (V + c)); None when no accuracy gain is worth anything (N × (V + c) = 0).

    The value can exceed 1: then no accuracy pays for the AI.
    """
    per_point = a.monthly_volume * (a.value_per_correct + error_cost(a))
    if per_point <= 0:
        return None
    costs = a.monthly_volume * a.run_cost_per_decision + a.run_cost_per_month + a.build_cost / a.horizon_months
    return baseline + costs / per_point


def expected_value(a: Answers, baseline: float) -> Money:
    """Every term of the money check at the expected AI accuracy, against ``baseline``."""
    n, acc, c = a.monthly_volume, a.ai_accuracy, error_cost(a)
    value_gain = n * (acc - baseline) * a.value_per_correct
    error_change = n * ((1 - acc) - (1 - baseline)) * c
    run = n * a.run_cost_per_decision + a.run_cost_per_month
    build = a.build_cost / a.horizon_months
    net = value_gain - error_change - run - build
    margin_per_decision = (acc - baseline) * (a.value_per_correct + c) - a.run_cost_per_decision
    fixed = a.run_cost_per_month + build
    volume = fixed / margin_per_decision if margin_per_decision > 0 else None
    operating = value_gain - error_change - run
    if a.build_cost == 0:
        payback = 0.0 if operating >= 0 else None
    else:
        payback = a.build_cost / operating if operating > 0 else None
    return Money(n, baseline, acc, c, value_gain, error_change, run, build, net,
                 break_even_accuracy(a, baseline), volume, payback)


def read_sample(path: Path) -> pd.DataFrame:
    """The labelled sample as a table, or a CaseError naming the file and saying what is wrong with it."""
    # not UTF-8, binary, empty, rows with more fields than the header, too many rows: a CaseError from the reader
    frame = read_csv(path, dtype=None, keep_default_na=True)
    if "label" not in frame.columns:
        found = ", ".join(frame.columns[:8]) + (" …" if len(frame.columns) > 8 else "")
        raise data_error(path, f"no 'label' column (found: {found})")
    if frame["label"].dropna().empty:
        raise data_error(path, "has no labelled rows", "label")
    return frame


def _baselines(a: Answers, result: Result, cautions: list[str]) -> Baselines:
    floor = do_nothing_accuracy(a)
    majority = rule = label = None
    rows = 0
    if a.sample is not None:
        try:
            frame = read_sample(a.sample)
        except (ValueError, OSError) as exc:  # the file changed since the case was loaded
            cautions.append("sample unreadable")
            result.add("caution", f"The sample could not be read ({exc}); the typed baseline is used.")
        else:
            label, majority, rows = majority_class_baseline(frame["label"])
            if "rule" in frame.columns:
                labelled = frame.dropna(subset=["label"])
                rule = float((labelled["rule"].astype(str) == labelled["label"].astype(str)).mean())
    measured = [v for v in (majority, rule) if v is not None]
    if measured:
        best, source = max(measured), "measured on the sample"
        low, high = wilson_interval(round(best * rows), rows)
        rule_text = f", and its 'rule' column {rule:.1%}" if rule is not None else ""
        result.add("info", f"Baseline measured on {rows:,} labelled cases in {a.sample.name} instead of the typed "
                           f"guess ({a.baseline_accuracy:.1%}): always answering {label!r} is right "
                           f"{majority:.1%} of the time{rule_text}. The best, {best:.1%}, has a 95% interval of "
                           f"{low:.1%}–{high:.1%}.")
    else:
        best, source = a.baseline_accuracy, "typed guess"
    used, how = (best, source) if best >= floor else (floor, "doing nothing")
    if how == "doing nothing":
        result.add("info", f"A suggestion right less than {floor:.1%} of the time costs more in errors than it "
                           f"saves (cost of an error ÷ (value of a right answer + cost of an error)); the best "
                           f"rule ({best:.1%}) is below that, so the baseline is today's way, worth the same as "
                           f"{floor:.1%} accuracy.")
    measured_id = "majority" if majority is not None and (rule is None or majority >= rule) else "rule"
    used_id = "nothing" if how == "doing nothing" else measured_id if measured else "typed"
    rows_shown = [
        ("typed", "typed guess", a.baseline_accuracy,
         "typed in the worksheet" + (" (replaced by the measurement)" if measured else "")),
        ("majority", "majority class (measured)", majority,
         f"always answering {label!r}, on {rows:,} labelled cases" if majority is not None else "no sample named"),
        ("rule", "the sample's rule (measured)", rule,
         f"its 'rule' column, on {rows:,} labelled cases" if rule is not None else "no 'rule' column"),
        ("nothing", "doing nothing (today's way)", floor,
         "c ÷ (V + c): below this a suggestion's errors cost more than it saves"),
    ]
    result.tables["Non-AI baselines"] = pd.DataFrame({
        "baseline": [name for _, name, _, _ in rows_shown],
        "accuracy": [None if v is None else f"{v:.1%}" for _, _, v, _ in rows_shown],
        "how it is known": [how_known for _, _, _, how_known in rows_shown],
        "used": ["✓" if key == used_id else "" for key, _, _, _ in rows_shown],
    })
    return Baselines(a.baseline_accuracy, majority, label, rule, rows, floor, used, how)


def _show_money(a: Answers, m: Money, baselines: Baselines, result: Result, cautions: list[str],
                case: Case | None, loss_is_the_reason: bool = False, costs_source: str = "this worksheet") -> None:
    units = plural(unit(a))
    result.metric("Net monthly value against the non-AI baseline", m.net, "$", key=True)
    result.metric(BREAK_EVEN_METRIC, m.break_even if m.break_even is not None and m.break_even <= 1
                  else None, "%", key=True)
    result.metric("Expected AI accuracy", a.ai_accuracy, "%")
    result.metric("Non-AI baseline accuracy", m.baseline, "%")
    result.metric("Net value over the horizon", m.net * a.horizon_months, "$")
    result.metric("Payback on the build (months)", None if m.payback_months is None
                  else round(m.payback_months, 1))
    result.metric("Break-even volume (decisions a month)", None if m.break_even_volume is None
                  else math.ceil(m.break_even_volume))
    c_fp, c_fn, s = a.cost_false_positive, a.cost_false_negative, a.false_positive_share
    result.tables["Expected value against the non-AI baseline, per month"] = pd.DataFrame({
        "term": [f"{units} a month (N)", f"non-AI baseline: share of {units} right (p)",
                 f"expected AI accuracy: share of {units} right (a)",
                 "value of a correct decision (V)", "cost of one error (c)",
                 "value of the extra correct decisions", "change in error cost", "run cost",
                 "build cost spread over the horizon", "net monthly value"],
        "how": ["", "the best non-AI way", "", "", f"{s:g} × ${c_fp:,.2f} + {1 - s:g} × ${c_fn:,.2f}",
                "N × (a − p) × V", "N × ((1 − a) − (1 − p)) × c",
                f"N × run cost per decision + fixed ({costs_source})",
                f"${a.build_cost:,.0f} ÷ {a.horizon_months} months ({costs_source})",
                "value − change in error cost − run − build"],
        "value": [f"{m.volume:,}", f"{m.baseline:.1%}", f"{m.accuracy:.1%}", f"${a.value_per_correct:,.2f}",
                  f"${m.error_cost:,.2f}", format_number(m.value_gain, "$"),
                  format_number(m.error_cost_change, "$"), format_number(m.run_cost, "$"),
                  format_number(m.build_per_month, "$"), format_number(m.net, "$")],
    })
    result.figures["Net monthly value against AI accuracy"] = _value_chart(a, m)

    if m.volume == 0:
        result.add("stop", "No volume yet: say how many decisions a month the AI would take on.")
    elif a.value_per_correct + m.error_cost == 0:
        result.add("stop", "Neither a correct decision nor an error has a value yet: price them, or there is "
                           "nothing for AI to gain.")
    elif m.net > 0:
        result.add("go", f"At {a.ai_accuracy:.0%} of {units} right the AI nets {format_number(m.net, '$')} a month "
                         f"over the best non-AI way ({baseline_phrase(a, baselines)}) after run and build costs. "
                         f"{_sentence(break_even_sentence(a, m))}.")
    elif not loss_is_the_reason:  # otherwise the recommendation's own finding says it
        where = (break_even_sentence(a, m) if m.break_even is not None and m.break_even <= 1
                 else f"no accuracy, even 100% of {units} right, pays for it")
        # evidence for the simpler way, not a fault: shown as information
        result.add("info", f"At {a.ai_accuracy:.0%} of {units} right the AI would lose {format_number(-m.net, '$')} "
                           f"a month against the best non-AI way ({baseline_phrase(a, baselines)}); {where}.")
    if m.payback_months is not None and a.build_cost > 0 and m.net > 0:
        result.add("info", f"The build (${a.build_cost:,.0f}) pays back in {m.payback_months:.1f} months; below "
                           f"{math.ceil(m.break_even_volume):,} decisions a month it would not pay back within "
                           f"{a.horizon_months} months.")
    _compare_with_problem(a, m, result, cautions, case)


def _compare_with_problem(a: Answers, m: Money, result: Result, cautions: list[str], case: Case | None) -> None:
    problem = case.answers("problem") if case is not None else None
    if problem is None:
        return
    cost = problem.users_affected * problem.occurrences_per_user_per_month * problem.cost_per_occurrence
    if cost <= 0:
        return
    # what a perfect-enough AI is worth compared with today's way: right answers earn V, errors cost c
    gross = m.volume * (a.ai_accuracy * a.value_per_correct - (1 - a.ai_accuracy) * m.error_cost)
    result.metric("Share of the problem's monthly cost recovered", max(m.net, 0) / cost, "%")
    if gross > cost:
        msg = (f"the AI's value over today's way ({format_number(gross, '$')} a month) is more than the whole "
               f"problem costs ({format_number(cost, '$')} in question 1): check the value of a correct decision.")
        cautions.append(msg)
        result.add("caution", msg)
    elif m.net > 0:
        result.add("info", f"That is {m.net / cost:.0%} of the problem's {format_number(cost, '$')} a month "
                           f"(question 1).")


def _check_accuracy_claim(a: Answers, result: Result, cautions: list[str]) -> None:
    if a.ai_accuracy > a.agreement_rate + 0.05:
        msg = (f"the expected AI accuracy ({a.ai_accuracy:.0%}) is well above how often people agree "
               f"({a.agreement_rate:.0%}): labels that noisy cap what you can measure, so expect less.")
        cautions.append(msg)
        result.add("caution", msg)


def _note_errors(a: Answers, outcome: str, result: Result, cautions: list[str]) -> None:
    cheap, dear = sorted((a.cost_false_positive, a.cost_false_negative))
    if cheap > 0 and dear / cheap >= 3 and outcome in ("assist", "automate"):
        which = "false negative" if a.cost_false_negative > a.cost_false_positive else "false positive"
        result.add("info", f"A {which} costs {dear / cheap:.1f}× the other error: when you set the confidence "
                           f"threshold (question 5), lean toward avoiding it.")
    if outcome in ("assist", "automate") and a.labelled_examples < FEW_EXAMPLES:
        msg = "there are too few labelled examples to test the AI against: collect them before building."
        cautions.append(msg)
        result.add("caution", msg)
    if outcome in ("assist", "automate") and a.world_changes == "often":
        result.add("info", "The right answers change often: budget for monitoring and relabelling (question 7).")
    if outcome in ("assist", "automate") and a.explanation == "required":
        msg = "each decision must be explained: show the reason with every suggestion and keep a person accountable."
        cautions.append(msg)
        result.add("caution", msg)


# ---- the recommendation ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Recommendation:
    """The outcome, the one-sentence reason, whether it was borderline, and the step that decided it."""

    outcome: str
    reason: str
    borderline: bool
    gate: Literal["rules", "users", "agreement", "fit", "money", "margin", "automate", "assist"]


def recommend(a: Answers, criteria: list[Criterion], m: Money) -> Recommendation:
    """Gates first, then the two scores; a tie or a borderline score goes to the simpler outcome.

    1. Rules can do it → no AI. People want to do it themselves, or agree less than 60% → keep it human.
    2. AI fit: more than ``AI_FIT_BAR`` points, or the simpler way (a score on the bar is a tie).
    3. Money: AI must make money at the expected accuracy, and beat break-even by at least ``ACCURACY_MARGIN``
       (closer is too close to call on a guessed accuracy).
    4. Automate only with more than ``AUTOMATION_BAR`` points, an error tolerance above low and no explanation
       required; otherwise assist (a score on the bar is a tie: assist).
    The simpler way in 2 and 3 is "keep it human" when no rule can do it, else "no AI". An AI outcome is
    borderline (level caution) when a score is one point over its bar, when automating was a tie, or when the
    accuracy clears break-even by less than twice ``ACCURACY_MARGIN``.
    """
    fit = sum(c.ai_points for c in criteria)
    automation = sum(c.automation_points for c in criteria)
    fallback = "human" if a.rules_can_do_it == "no" else "no_ai"
    if a.rules_can_do_it == "yes":
        return Recommendation("no_ai", "a short list of rules does this; write the rules, and revisit AI only if "
                                       "they stop keeping up.", False, "rules")
    if a.users_want == "to do it themselves":
        return Recommendation("human", "the people who do this want to keep doing it themselves; give them "
                                       "better tools, not a replacement.", False, "users")
    if a.agreement_rate < AGREEMENT_FLOOR:
        return Recommendation("human", f"people agree on the right answer only {a.agreement_rate:.0%} of the "
                                       f"time, so there is nothing consistent to learn; agree on the policy "
                                       f"first.", False, "agreement")
    if fit <= AI_FIT_BAR:
        against = [f"{TOPICS.get(c.name, c.name)} ({c.answer})"
                   for c in sorted(criteria, key=lambda c: c.ai_points) if c.ai_points < 0][:3]
        tie = " (a tie, which goes to the simpler way)" if fit == AI_FIT_BAR else ""
        why = f"; against it: {', '.join(against)}" if against else ""
        return Recommendation(fallback, f"the scorecard gives AI {fit} points and it needs more than "
                                        f"{AI_FIT_BAR}{tie}{why}.", fit == AI_FIT_BAR, "fit")
    margin = a.ai_accuracy - m.break_even if m.break_even is not None else -math.inf
    if m.net <= 0 or margin <= 0:
        return Recommendation(fallback, _money_reason(a, m), False, "money")
    if margin < ACCURACY_MARGIN:
        return Recommendation(fallback, f"the expected accuracy ({a.ai_accuracy:.1%} of "
                                        f"{plural(unit(a))} right) is within {ACCURACY_MARGIN:.0%} of break-even "
                                        f"({m.break_even:.1%}): too close to call on a guess, so the simpler way "
                                        f"wins until question 6 measures it.", True, "margin")
    borderline = fit == AI_FIT_BAR + 1 or margin < 2 * ACCURACY_MARGIN
    blocked = [why for cond, why in ((a.error_tolerance == "low", "the error tolerance is low"),
                                     (a.explanation == "required", "an explanation is required")) if cond]
    if automation > AUTOMATION_BAR and not blocked:
        return Recommendation("automate", f"the scorecard favours AI ({fit} points) and automating it "
                                          f"({automation} points): let it decide, and have people review a "
                                          f"sample of its decisions.",
                              borderline or automation == AUTOMATION_BAR + 1, "automate")
    if automation == AUTOMATION_BAR and not blocked:
        return Recommendation("assist", f"automating scores {automation}, on its bar (a tie, which goes to the "
                                        f"simpler way): let the AI suggest and a person decide until it has "
                                        f"proved itself.", True, "assist")
    why = (f"{' and '.join(blocked)}, so a person stays in charge" if blocked
           else f"automating scores {automation} and needs more than {AUTOMATION_BAR}")
    return Recommendation("assist", f"the scorecard favours AI ({fit} points; more than {AI_FIT_BAR} needed), "
                                    f"but {why}: the AI suggests and a person decides.", borderline, "assist")


def _money_reason(a: Answers, m: Money) -> str:
    if m.volume == 0:
        return "there is no volume to pay for building and running AI."
    if m.break_even is None:
        return "neither a correct decision nor an error has a price, so AI has nothing to gain."
    if m.break_even > 1:
        return (f"even a perfect AI would not pay for itself: it would lose "
                f"{format_number(-net_monthly_value(a, 1.0, m.baseline), '$')} a month at 100% accuracy.")
    units = plural(unit(a))
    return (f"at {a.ai_accuracy:.0%} of {units} right AI loses {format_number(-m.net, '$')} a month against the "
            f"best non-AI way; it would have to get more than {m.break_even:.1%} of {units} right to break even.")


def _ai_headline(a: Answers, outcome: str, m: Money, b: Baselines) -> str:
    how = ("it acts, and people oversee it with the controls question 5 sets" if outcome == "automate"
           else "it suggests, a person decides")
    units = plural(unit(a))
    return (f"{LABELS[outcome]}: {how} — it must get more than {m.break_even:.1%} of {units} right to beat the "
            f"best non-AI way ({baseline_phrase(a, b)}) after run and build costs; at the expected "
            f"{a.ai_accuracy:.0%} it nets {format_number(m.net, '$')} a month.")


def instead_of_ai(a: Answers, outcome: str) -> str:
    """What to do instead of AI: the team's own alternative, or the usual one for the outcome."""
    return a.non_ai_alternative.strip() or (
        "keep people doing it, with better tools or a clearer policy" if outcome == "human"
        else "a rule, a form or UX change, or a process change")


def why_not_ai(a: Answers, choice: Recommendation, m: Money) -> str:
    """The short "why not AI" memo: the decision, the reason, the numbers, and what to do instead."""
    instead = instead_of_ai(a, choice.outcome)
    lines = [
        f"Decision: {a.decision.strip() or '(not stated)'}",
        f"Recommendation: {LABELS[choice.outcome]}. Instead: {instead}",
        "",
        "Why:",
        f"- {choice.reason[0].upper() + choice.reason[1:]}",
    ]
    if m.volume > 0 and m.break_even is not None:
        units = plural(unit(a))
        be = (f"AI would have to get more than {m.break_even:.1%} of {units} right" if m.break_even <= 1
              else f"not even 100% of {units} right would pay for AI")
        lines.append(f"- The money: at {a.ai_accuracy:.0%} of {units} right (expected) AI would net "
                     f"{format_number(m.net, '$')} a month against the best non-AI way ({m.baseline:.1%} right); "
                     f"break-even: {be}.")
    lines += ["", "Revisit when: the volume grows, a rule stops keeping up, or labelled examples show an AI "
                  "clearly beating the baseline."]
    return "\n".join(lines)


def _what_would_change(a: Answers, outcome: str, fit: int, automation: int, m: Money) -> str:
    lines = []
    units = plural(unit(a))
    if m.break_even is not None and m.break_even <= 1:
        lines.append(f"- Accuracy: AI beats the best non-AI way only if it gets more than {m.break_even:.1%} of "
                     f"{units} right (expected {a.ai_accuracy:.1%}); question 6 measures it on labelled {units}.")
    if m.break_even_volume is not None:
        lines.append(f"- Volume: at the expected accuracy it pays only above {math.ceil(m.break_even_volume):,} "
                     f"{units} a month (now {a.monthly_volume:,}).")
    lines.append(f"- Fit: AI scores {fit} points and needs more than {AI_FIT_BAR}.")
    if outcome in ("assist", "automate"):
        lines.append(f"- Automation: {automation} points, more than {AUTOMATION_BAR} needed, with an error "
                     f"tolerance above low and no explanation required.")
    return "\n".join(lines)


def _value_chart(a: Answers, m: Money):
    from ..charts import Figure  # user text drawn as written, never as mathtext
    from matplotlib.ticker import FuncFormatter, PercentFormatter

    marks = [m.baseline, a.ai_accuracy] + ([m.break_even] if m.break_even is not None and m.break_even <= 1 else [])
    low = max(0.0, math.floor((min(marks) - 0.1) * 10) / 10)
    xs = [low + (1 - low) * i / 200 for i in range(201)]
    ys = [net_monthly_value(a, x, m.baseline) for x in xs]

    fig = Figure(figsize=(7.2, 4.4))
    ax = fig.add_subplot()
    ax.axhline(0, color="#44546a", lw=1)
    ax.fill_between(xs, ys, 0, where=[y >= 0 for y in ys], color="#e3f1e6", interpolate=True)
    ax.fill_between(xs, ys, 0, where=[y < 0 for y in ys], color="#fde8e6", interpolate=True)
    units = plural(unit(a)).replace("$", r"\$")  # the user's word: never mathtext
    ax.plot(xs, ys, color="#1f3b63", lw=2, label="net monthly value of AI over the best non-AI way")
    ax.axvline(m.baseline, color="#6b7280", ls=":", lw=1.5, label=f"best non-AI way: {m.baseline:.1%} right")
    if m.break_even is not None and m.break_even <= 1:
        ax.axvline(m.break_even, color="#111", ls="--", lw=1.5,
                   label=f"break-even: AI gets {m.break_even:.1%} of {units} right")
    # the expected point is a fact about AI, not a verdict: one neutral colour whichever side it falls
    ax.scatter([a.ai_accuracy], [m.net], color="#1f3b63", edgecolor="#fff", s=70, zorder=4,
               label=f"expected: {a.ai_accuracy:.0%} → {format_number(m.net, '$')} a month")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: format_number(v, "$") if v else "$0"))
    ax.set(xlim=(low, 1), xlabel=f"AI accuracy: share of {units} it gets right (on labelled {units})",
           ylabel="net value a month over the best non-AI way\n(after run and build costs)",
           title="Where AI starts to beat the best non-AI way")
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.grid(alpha=0.25)
    return fig
