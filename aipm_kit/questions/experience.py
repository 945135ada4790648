"""Question 5 — How will users experience it?

Every model is wrong some of the time, so the experience is designed for those moments: users need reasons
to trust an output (why, how sure), control over what happens (edit, opt out) and a way back when it is wrong
(undo, feedback, a person). This worksheet sets how much the AI does on its own, checks the trust, control
and recovery features, gives every failure mode the control its severity needs, and picks the confidence
threshold below which a person takes over.

The threshold is chosen by value, and checked on rows it was not chosen on. The scores are split (seeded,
stratified by right and wrong, so both parts keep the error rate) into rows to choose on and held-out rows. On
the choosing rows every threshold t = 0.00, 0.01 … 1.00 gets its expected value per output against today's way
(a person handles every output):

    value(t) = ((H − E) × V − E × c − (N − H) × h) / N

    N  outputs                   H  outputs at or above t: the AI handles them       E  wrong ones among them
    V  value of one right output the AI handles (question 2's value_per_correct: time saved on an accepted
       suggestion, or the handling a correct action saves)
    h  extra cost of sending one output to a person (cost_human_handling; 0 when people handle it as today)
    C  full cost of an error nobody catches: question 2's s × cost_false_positive + (1 − s) × cost_false_negative,
       s its false_positive_share
    c  what one wrong output costs at this automation level:
         suggest, draft for review       c = q × k + (1 − q) × C   a person reviews each output and catches a
                                                                   share q of the errors at k each (their time);
                                                                   the rest slip through at the full cost
         act with undo, act autonomously c = C                     the AI acts alone: each error costs in full
                                                                   (undo limits the harm; C should say how much)

A number question 2 does not hold comes from this section (value_per_correct, cost_per_error as fallbacks;
errors_caught q, cost_to_catch_error k, cost_human_handling h); a table says where each one came from. Of the
thresholds whose error rate on the choosing rows meets the limit (by default its 95% upper bound), the one with
the highest value is chosen (a tie goes to the higher threshold). Coverage, error rate and value are then
measured on the held-out rows, with intervals. When the held-out error rate breaks the limit the threshold is
not proven and more scores are needed; it is never re-chosen on the held-out rows, which would turn them into
choosing rows and flatter the result the same way. Those steps live in
:mod:`aipm_kit.questions.experience_threshold`.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal, get_args

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..case import DataFile
from ..result import Finding, Result
from ..selfcheck import Check
from .wording import speak_of_solution
from .experience_threshold import (  # noqa: F401 (the threshold's public names are part of this question's face)
    MIN_HANDLED, NOT_PROVEN, SCORE_COLUMNS, ValueModel, check_calibration, check_score_columns, choose_threshold,
    read_scores, split_scores, value_model)
from ..sources import MAX_LIST_ITEMS
from ..stats import wilson_interval

if TYPE_CHECKING:
    from ..case import Case

KEY = "experience"
TITLE = "How will users experience it?"

Automation = Literal["suggest", "draft for review", "act with undo", "act autonomously"]
AUTOMATION_LEVELS: tuple[str, ...] = get_args(Automation)  # from "a person decides everything" to "nobody does"

Control = Literal["none", "undo", "confirm before acting", "escalate to a person"]
# Ordered from weakest to strongest: a stronger control also satisfies a rule that asks for a weaker one.
CONTROLS: tuple[str, ...] = get_args(Control)

# What every output already gets from the automation level: a person confirms each suggestion or draft,
# an action with undo can be reversed, an autonomous action has no guard of its own.
BUILT_IN_CONTROL = {
    "suggest": "confirm before acting",
    "draft for review": "confirm before acting",
    "act with undo": "undo",
    "act autonomously": "none",
}

WHO_DECIDES = {
    "suggest": "the AI suggests and a person decides",
    "draft for review": "the AI drafts and a person reviews",
    "act with undo": "the AI acts and users can undo",
    "act autonomously": "the AI acts alone",
}

SEVERITY_BANDS = ("minor (1–2)", "moderate (3)", "severe (4–5)")
HIGH_SEVERITY = 4  # from this severity on, a mode with no recovery path stops the design

# The autonomy × severity rule: the least control a failure mode needs, given how much the AI does alone
# and how bad one failure is. The more the AI acts without a person, the sooner a person must step back in;
# neither more autonomy nor more severity ever asks for less.
CONTROL_RULE: dict[str, tuple[str, str, str]] = {
    "suggest": ("none", "none", "confirm before acting"),
    "draft for review": ("none", "undo", "confirm before acting"),
    "act with undo": ("undo", "undo", "confirm before acting"),
    "act autonomously": ("undo", "confirm before acting", "escalate to a person"),
}

# The trust / control / recovery checklist: (field, pillar, label, the automation level from which it is
# required). Below that level an item is recommended; from it on, missing it is a gap.
CHECKLIST: tuple[tuple[str, str, str, str], ...] = (
    ("explain_why", "trust", "Explain why", "suggest"),
    ("show_confidence", "trust", "Show confidence", "suggest"),
    ("set_expectations", "trust", "Set expectations up front", "suggest"),
    ("edit_output", "control", "Edit the output", "suggest"),
    ("opt_out", "control", "Opt out", "act with undo"),
    ("undo", "recovery", "Undo", "act with undo"),
    ("give_feedback", "recovery", "Give feedback", "suggest"),
    ("reach_human", "recovery", "Reach a human", "act with undo"),
)

@functools.cache
def self_check() -> tuple[Check, ...]:
    """The self-check at the end of the notebook; the numbers it quotes come from the kit's own functions."""
    _, chosen_high = wilson_interval(6, 268)
    _, held_high = wilson_interval(7, 260)
    return (
        Check("The model suggests a queue for each ticket and an agent confirms it. One failure mode sends "
              "outage reports to the billing queue (severity 5). What does the design still need?",
              ("A recovery path: a way to notice a misrouted outage fast and re-route it, and a person who owns "
               "it.",
               "Nothing more: a person confirms every suggestion, the control the suggest level needs.",
               "A confidence score on each suggestion, so the agent knows when to look twice."),
              0, "Confirmation is a control, not a way back: people rubber-stamp confident suggestions, so a "
                 "severe failure still needs to be noticed and undone fast. A confidence score builds trust; it "
                 "does not recover anything."),
        Check(f"You try every confidence threshold on 1,000 scored outputs and keep the one worth most whose errors "
              f"stay under a 5% limit: at 0.98 the model handles 268 of them with 6 wrong ({6 / 268:.1%}, 95% "
              f"interval high {chosen_high:.1%}). What error rate do you report for 0.98?",
              (f"{6 / 268:.1%}: it was measured on 1,000 real outputs.",
               f"{chosen_high:.1%}, the interval's high end: the interval already allows for chance.",
               "Its error rate on other outputs, held out from the choice."),
              2, f"Picking the best of 101 thresholds also picks those rows' luck, and an interval on the same rows "
                 f"does not undo the picking. On 1,000 held-out outputs 0.98 handles 260 with 7 wrong "
                 f"({7 / 260:.1%}, 95% high {held_high:.1%}): over the limit, so the threshold is not proven. "
                 f"Collect more scores; choosing again on the held-out rows would flatter them the same way."),
        Check("When does showing a confidence score help users?",
              ("Whenever the model gives one: more information builds trust.",
               "When it is calibrated: outputs shown at 90% are right about 90% of the time.",
               "When it is high: show it only above 90%, so users are not worried."),
              1, "An over-confident score teaches users to trust wrong outputs, and hiding low scores hides the "
                 "outputs that most need a second look. Check calibration before you show a number."),
    )


class FailureMode(BaseModel):
    """One way the AI can be wrong, how bad it is, and how the user finds out and gets back."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field("", description="Short name of the failure mode (the same name as in question 4).")
    approach: str = Field("", description="The part of the approach it comes from (question 4), e.g. 'classifier'.")
    example: str = Field("", description="A concrete instance: the input and the wrong output.")
    severity: int = Field(3, ge=1, le=5, description="How bad one occurrence is: 1 cosmetic … 5 harms a customer "
                                                     "or the business (a missed outage, data exposed).")
    likelihood: int = Field(3, ge=1, le=5, description="How often it happens: 1 under 1 in 1,000 outputs, "
                                                       "2 under 1 in 100, 3 under 1 in 20, 4 under 1 in 10, "
                                                       "5 more often.")
    detection: str = Field("", description="How and by whom the failure is noticed; empty if nobody would notice.")
    recovery: str = Field("", description="How the user gets back to a good state; empty if there is no way back.")
    control: Control = Field("none", description="A control this mode gets on top of what the automation level "
                                                 "gives every output.")


class Answers(BaseModel):
    """The experience worksheet: how much the AI does alone, the safeguards, the failure modes, the threshold."""

    model_config = ConfigDict(extra="forbid")
    # a verdict needs what users get and how it can be wrong; until then the question is "Not answered"
    NEEDED_FOR_VERDICT: ClassVar[tuple[str, ...]] = ("output", "failure_modes")

    output: str = Field("", description="What the AI gives the user, in one line (e.g. 'a suggested queue and "
                                        "priority for each new ticket').")
    user: str = Field("", description="Who sees the output and acts on it.")
    automation: Automation = Field(
        "suggest", description="How much the AI does alone: suggest, draft for review, act with undo, or act "
                               "autonomously.")
    explain_why: bool = Field(False, description="Trust: each output shows why (the words or signals it rests on).")
    show_confidence: bool = Field(False, description="Trust: each output shows how sure the AI is.")
    set_expectations: bool = Field(False, description="Trust: users are told up front what it does well and "
                                                      "where it fails.")
    edit_output: bool = Field(False, description="Control: the user can change the output before it is used.")
    opt_out: bool = Field(False, description="Control: a user can switch the AI off and work the old way.")
    undo: bool = Field(False, description="Recovery: what the AI did can be reversed in one step.")
    give_feedback: bool = Field(False, description="Recovery: the user can flag a wrong output, and the flag "
                                                   "reaches the team.")
    reach_human: bool = Field(False, description="Recovery: the person affected can reach a human who can fix it.")
    failure_modes: list[FailureMode] = Field(
        default_factory=list, max_length=MAX_LIST_ITEMS,
        description="The ways the AI can be wrong (start from question 4's list).")
    scores: DataFile | None = Field(
        None, description="CSV with one row per past AI output: confidence (0–1) and correct (true/false).")
    target_error_rate: float = Field(
        0.05, gt=0, lt=1, description="Highest acceptable error rate among the outputs the AI handles (0–1).")
    threshold_basis: Literal["point estimate", "95% upper bound"] = Field(
        "95% upper bound", description="Whether the observed error rate or its 95% upper bound must meet the target.")
    threshold: float | None = Field(
        None, ge=0, le=1, description="The confidence threshold you launch with; empty: the one worth most per "
                                      "output among those that meet the target.")
    holdout_share: float = Field(
        0.5, ge=0.2, le=0.8, title="Share held out",
        description="Share of the scores held out to check the threshold on rows it was not chosen on (0.2–0.8); "
                    "the rest are used to choose it.")
    split_seed: int = Field(
        0, ge=0, description="Seed of the random split into choosing and held-out rows: the same seed, the same "
                             "split.")
    value_per_correct: float | None = Field(
        None, ge=0, title="Value of a right output (if question 2 has none)",
        description="Only if question 2 has none: what one right output the AI handles is worth against today's "
                    "way, in dollars.")
    cost_per_error: float | None = Field(
        None, ge=0, title="Cost of an error (if question 2 has none)",
        description="Only if question 2 has none: what one wrong output costs when nobody catches it, in dollars.")
    errors_caught: float | None = Field(
        None, ge=0, le=1, title="Share of errors the reviewer catches",
        description="Suggest and draft modes: share of the wrong outputs the person reviewing catches before they "
                    "do harm (0–1); empty counts every error at full cost.")
    cost_to_catch_error: float = Field(
        0, ge=0, title="Cost of catching an error",
        description="Suggest and draft modes: what catching and fixing one wrong output costs the reviewer, in "
                    "dollars (their time).")
    cost_human_handling: float = Field(
        0, ge=0, title="Extra cost of a hand-off to a person",
        description="Extra cost of sending one output to a person instead of the AI, against today's way, in "
                    "dollars; 0 when people handle it just as they do today.")
    owner: str = Field(
        "", description="Who acts on this question's next steps (a person or role); the brief names them.")

    @field_validator("scores")
    @classmethod
    def _scores_have_columns(cls, path: Path | None) -> Path | None:
        # only the header here, so a wrong file is marked on its field at once; the values are read by analyze
        if path is not None:
            check_score_columns(path)
        return path

    @model_validator(mode="after")
    def _consistent(self) -> Answers:
        names = [m.name.strip().lower() for m in self.failure_modes if m.name.strip()]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"failure_modes: each name once; repeated: {', '.join(repeated)}")
        return self


def starting_answers(case: Case | None) -> dict:
    """Answers to start from when the case has no ``experience:`` section: question 4's failure modes.

    Severity and likelihood start in the middle (3) and detection, recovery and control empty, so the
    analysis asks for each of them rather than assuming them. Without question 4 the worksheet starts empty.
    """
    modes = _approach_failure_modes(case)
    if not modes:
        return {}
    return {"failure_modes": [
        {"name": m["name"], "approach": m["approach"], "example": m["example"] or m["description"]}
        for m in modes
    ]}


def analyze(answers: Answers, case: Case | None = None) -> Result:
    result = Result(KEY, TITLE, verdict="Go", level="go", headline="")
    stops: list[str] = []
    cautions: list[str] = []

    covered = _check_safeguards(answers, result, cautions)
    risks = _assess_failure_modes(answers, result, stops, cautions)
    _compare_with_approach(answers, case, result, cautions)
    scores = read_scores(answers.scores) if answers.scores is not None else None
    chosen, unproven = choose_threshold(answers, scores, case, result, stops, cautions)
    if scores is not None:
        check_calibration(answers, scores, result, cautions)
    result.tables["Autonomy × severity rule: the least control a failure mode needs"] = control_rule_table()
    result.data["control_rule"] = {level: dict(zip(SEVERITY_BANDS, row)) for level, row in CONTROL_RULE.items()}
    result.data["automation"] = answers.automation

    if stops and stops[0] is not unproven:
        result.verdict, result.level = "Stop", "stop"
        result.headline = "Stop: " + stops[0]
    elif unproven:
        result.verdict, result.level = NOT_PROVEN, "stop" if unproven in stops else "caution"
        result.headline = f"{NOT_PROVEN}, more scores needed: {unproven}."
    elif cautions:
        result.verdict, result.level = "Caution", "caution"
        result.headline = "Caution: " + cautions[0]
    else:
        result.headline = (f"Go: {WHO_DECIDES[answers.automation]}; {covered} of {len(CHECKLIST)} safeguards are in "
                           f"place and all {len(risks)} failure modes have a way back and the control they need"
                           + (f"; {chosen}" if chosen else "") + ".")
    speak_of_solution(case, result)
    return result


# ---- the steps ---------------------------------------------------------------------------------------

def _required(item_level: str, automation: str) -> bool:
    return AUTOMATION_LEVELS.index(automation) >= AUTOMATION_LEVELS.index(item_level)


def _check_safeguards(a: Answers, result: Result, cautions: list[str]) -> int:
    rows = []
    for name, pillar, label, from_level in CHECKLIST:
        rows.append({
            "pillar": pillar,
            "safeguard": label,
            "in the design": "yes" if getattr(a, name) else "no",
            "needed": "required" if _required(from_level, a.automation) else "recommended",
            "required from": from_level,
        })
    table = pd.DataFrame(rows)
    result.tables["Trust, control and recovery: safeguards"] = table
    have = table["in the design"] == "yes"
    required = table["needed"] == "required"
    covered = int(have.sum())
    result.metric("Safeguards in place", covered / len(table), "%", key=True)
    result.metric("Required safeguards in place", float((have & required).sum() / required.sum()), "%")
    result.data["safeguards"] = {name: bool(getattr(a, name)) for name, *_ in CHECKLIST}

    missing = table.loc[required & ~have, "safeguard"].str.lower().tolist()
    if missing:
        msg = (f"at the '{a.automation}' level the design still needs: {', '.join(missing)}.")
        cautions.append(msg)
        result.add("caution", msg)
    for pillar in ("trust", "control", "recovery"):
        if not have[table["pillar"] == pillar].any():
            msg = f"nothing in the design gives users {pillar}; add at least one {pillar} safeguard."
            cautions.append(msg)
            result.add("caution", msg)
    optional = table.loc[~required & ~have, "safeguard"].str.lower().tolist()
    if optional:
        result.add("info", f"Recommended at this level, and required if the AI acts on its own: "
                           f"{', '.join(optional)}.")
    if not missing:
        result.add("go", f"Every safeguard the '{a.automation}' level requires is in the design "
                         f"({covered} of {len(table)} in all).")
    return covered


def required_control(automation: str, severity: int) -> str:
    """The autonomy × severity rule: the least control a failure mode of this ``severity`` (1–5) needs."""
    band = 0 if severity <= 2 else 1 if severity == 3 else 2
    return CONTROL_RULE[automation][band]


def control_rule_table() -> pd.DataFrame:
    """The autonomy × severity rule as a table: one row per automation level, one column per severity band."""
    table = pd.DataFrame([(level, *row) for level, row in CONTROL_RULE.items()],
                         columns=["automation", *SEVERITY_BANDS])
    table.insert(1, "every output gets", [BUILT_IN_CONTROL[level] for level in CONTROL_RULE])
    return table


def _stronger(x: str, y: str) -> str:
    return x if CONTROLS.index(x) >= CONTROLS.index(y) else y


def _assess_failure_modes(a: Answers, result: Result, stops: list[str], cautions: list[str]) -> list[dict]:
    modes = [m for m in a.failure_modes if m.name.strip()]
    result.metric("Failure modes", len(modes))
    if not modes:
        msg = "no failure modes are listed; write down how the AI can be wrong before designing the experience."
        cautions.append(msg)
        result.add("caution", msg)
        result.data["failure_modes"] = []
        return []
    # what every output gets: the automation level's own guard, and undo when the design has it everywhere
    built_in = _stronger(BUILT_IN_CONTROL[a.automation], "undo" if a.undo else "none")
    risks = []
    for m in modes:
        needed = required_control(a.automation, m.severity)
        provided = _stronger(built_in, m.control)
        risks.append({
            "name": m.name.strip(), "approach": m.approach, "example": m.example,
            "severity": m.severity, "likelihood": m.likelihood, "risk": m.severity * m.likelihood,
            "detection": m.detection.strip(), "recovery": m.recovery.strip(),
            "required_control": needed, "control": provided,
            "control_ok": CONTROLS.index(provided) >= CONTROLS.index(needed),
        })
    risks.sort(key=lambda r: (-r["risk"], -r["severity"]))
    result.data["failure_modes"] = risks
    result.tables["Failure modes by risk (severity × likelihood)"] = pd.DataFrame({
        "failure mode": [r["name"] for r in risks],
        "severity": [r["severity"] for r in risks],
        "likelihood": [r["likelihood"] for r in risks],
        "risk": [r["risk"] for r in risks],
        "detected by": [r["detection"] or "—" for r in risks],
        "recovery": [r["recovery"] or "—" for r in risks],
        "control needed": [r["required_control"] for r in risks],
        "control in design": [r["control"] for r in risks],
    })

    stranded = [r["name"] for r in risks if r["severity"] >= HIGH_SEVERITY and not r["recovery"]]
    short = [r for r in risks if not r["control_ok"]]
    unseen = [r["name"] for r in risks if not r["detection"]]
    no_way_back = [r["name"] for r in risks if r["severity"] < HIGH_SEVERITY and not r["recovery"]]
    result.metric("Severe failure modes without a recovery path", len(stranded), key=True)
    result.metric("Failure modes short of the control they need", len(short))
    if stranded:
        msg = (f"{_names(stranded)} can do severe harm and {'has' if len(stranded) == 1 else 'have'} no recovery "
               f"path; design how a user gets back (undo, re-route, a person who fixes it) before building.")
        stops.append(msg)
        result.add("stop", msg)
    # this stop holds at every automation level; the others come from the AI acting with nobody reviewing it
    result.data["stops_every_level"] = stranded
    for r in short:
        msg = (f"'{r['name']}' (severity {r['severity']}) needs '{r['required_control']}' when the AI will "
               f"{a.automation}, but the design gives it '{r['control']}'.")
        (stops if r["severity"] >= HIGH_SEVERITY else cautions).append(msg)
        result.add("stop" if r["severity"] >= HIGH_SEVERITY else "caution", msg)
    if unseen:
        msg = f"nobody would notice {_names(unseen)}; say how each is detected (a check, a report, a review sample)."
        cautions.append(msg)
        result.add("caution", msg)
    if no_way_back:
        msg = f"{_names(no_way_back)} {'has' if len(no_way_back) == 1 else 'have'} no recovery path yet."
        cautions.append(msg)
        result.add("caution", msg)
    if not (stranded or short or unseen or no_way_back):
        top = risks[0]
        result.add("go", f"All {len(risks)} failure modes are detected, have a way back and get the control the rule "
                         f"asks for; the riskiest is '{top['name']}' (severity {top['severity']} × likelihood "
                         f"{top['likelihood']}).")
    return risks


def _compare_with_approach(a: Answers, case: Case | None, result: Result, cautions: list[str]) -> None:
    expected = _approach_failure_modes(case)
    if not expected:
        result.add("info", "Question 4 lists no failure modes for this case yet, so this table cannot be checked "
                           "against it.")
        return
    have = {m.name.strip().lower() for m in a.failure_modes}
    missing = [m["name"] for m in expected if m["name"].strip().lower() not in have]
    if missing:
        msg = (f"question 4 names {len(missing)} failure mode{'s' if len(missing) > 1 else ''} this table does not "
               f"cover yet: {_names(missing)}.")
        cautions.append(msg)
        result.add("caution", msg)
    else:
        result.add("go", f"The table covers all {len(expected)} failure modes question 4 names.")


# ---- private helpers ---------------------------------------------------------------------------------

def _approach_failure_modes(case: Case | None) -> list[dict[str, str]]:
    """Question 4's failure modes for ``case``, or [] when question 4 is missing, unanswered or failing."""
    if case is None:
        return []
    try:
        from . import BY_KEY

        if not BY_KEY["approach"].available or case.answers("approach") is None:
            return []
        modes = case.analyze("approach").data.get("failure_modes") or []
    except Exception:  # question 4 is another module: its trouble must not break this worksheet  # noqa: BLE001
        return []
    clean = []
    for m in modes:
        if isinstance(m, dict) and str(m.get("name") or "").strip():
            clean.append({k: str(m.get(k) or "").strip() for k in ("name", "approach", "example", "description")})
    return clean


def _names(names: list[str]) -> str:
    quoted = [f"'{n}'" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
