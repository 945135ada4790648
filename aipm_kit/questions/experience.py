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
choosing rows and flatter the result the same way.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..case import CaseError, DataFile
from ..result import Finding, Result
from ..selfcheck import Check
from ..stats import (calibration_table, expected_calibration_error, holdout_split, scores_to_prove_error_limit,
                     threshold_tradeoff, value_interval, value_per_output, wilson_interval)

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

_TRADEOFF = "Threshold trade-off on the choosing rows (every 0.05, and every 0.01 near the chosen threshold)"
_VALUE_FIGURE = "Value by threshold, with the error limit as the constraint"
_SOURCES = "Where the value model's numbers come from"
_OPTIMISM = "Chosen and scored on the same rows, against held-out rows"
MIN_HANDLED = 30  # below this many outputs above the threshold, its error rate is too uncertain to lean on
MIN_PART = 10  # each part of the split needs at least this many scores: fewer cannot choose or check anything
NOT_PROVEN = "Not proven"  # the verdict when the held-out rows do not show the threshold meets the limit
REVIEWED = ("suggest", "draft for review")  # a person sees every output before it is used
MAX_CALIBRATION_ERROR = 0.05  # shown confidence that is off by more than this on average misleads users

SELF_CHECK = (
    Check("The model suggests a queue for each ticket and an agent confirms it. One failure mode sends "
          "outage reports to the billing queue (severity 5). What does the design still need?",
          ("Nothing: an agent confirms every suggestion.",
           "A recovery path: a way to spot and re-route a misrouted outage fast, and a person who owns it.",
           "A bigger model."),
          1, "Confirmation is a control, not a recovery path. People rubber-stamp confident suggestions, so a "
             "severe failure still needs a way to be noticed and undone quickly."),
    Check("You try every confidence threshold on 1,000 scored tickets and keep the one worth most whose errors "
          "stay under a 5% limit: at 0.98 the AI handles 268 of them with 6 wrong (2.2%, 95% interval high "
          "4.8%). What error rate do you report for 0.98?",
          ("2.2%: it was measured on 1,000 real tickets.",
           "4.8%, the interval's high end: the interval already allows for chance.",
           "Its error rate on other tickets, held out from the choice."),
          2, "Picking the best of 101 thresholds on some rows also picks those rows' luck, and an interval on the "
             "same rows does not undo the picking. On 1,000 held-out tickets, 0.98 handles 260 with 7 wrong "
             "(2.7%, 95% high 5.5%): over the limit, so the threshold is not proven. Collect more scores; "
             "re-choosing on the held-out rows would flatter them the same way."),
    Check("When does showing a confidence score help users?",
          ("Always: more information is better.",
           "When it is calibrated: outputs shown at 90% are right about 90% of the time.",
           "Only for autonomous actions."),
          1, "An over-confident score teaches users to trust wrong outputs. Check calibration before you show it."),
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
        default_factory=list, description="The ways the AI can be wrong (start from question 4's list).")
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
        0.5, ge=0.2, le=0.8, description="Share of the scores held out to check the threshold on rows it was not "
                                         "chosen on (0.2–0.8); the rest are used to choose it.")
    split_seed: int = Field(
        0, ge=0, description="Seed of the random split into choosing and held-out rows: the same seed, the same "
                             "split.")
    value_per_correct: float | None = Field(
        None, ge=0, description="Only if question 2 has none: what one right output the AI handles is worth "
                                "against today's way, in dollars.")
    cost_per_error: float | None = Field(
        None, ge=0, description="Only if question 2 has none: what one wrong output costs when nobody catches "
                                "it, in dollars.")
    errors_caught: float | None = Field(
        None, ge=0, le=1, description="Suggest and draft modes: share of the wrong outputs the person reviewing "
                                      "catches before they do harm (0–1); empty counts every error at full cost.")
    cost_to_catch_error: float = Field(
        0, ge=0, description="Suggest and draft modes: what catching and fixing one wrong output costs the "
                             "reviewer, in dollars (their time).")
    cost_human_handling: float = Field(
        0, ge=0, description="Extra cost of sending one output to a person instead of the AI, against today's "
                             "way, in dollars; 0 when people handle it just as they do today.")

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
    result = Result(KEY, TITLE, verdict="go", level="go", headline="")
    stops: list[str] = []
    cautions: list[str] = []

    covered = _check_safeguards(answers, result, cautions)
    risks = _assess_failure_modes(answers, result, stops, cautions)
    _compare_with_approach(answers, case, result, cautions)
    scores = read_scores(answers.scores) if answers.scores is not None else None
    chosen, unproven = _choose_threshold(answers, scores, case, result, stops, cautions)
    if scores is not None:
        _check_calibration(answers, scores, result, cautions)
    result.tables["Autonomy × severity rule: the least control a failure mode needs"] = control_rule_table()
    result.data["control_rule"] = {level: dict(zip(SEVERITY_BANDS, row)) for level, row in CONTROL_RULE.items()}
    result.data["automation"] = answers.automation

    if stops and stops[0] is not unproven:
        result.verdict, result.level = "stop", "stop"
        result.headline = "Stop: " + stops[0]
    elif unproven:
        result.verdict, result.level = NOT_PROVEN, "stop" if unproven in stops else "caution"
        result.headline = f"{NOT_PROVEN}, more scores needed: {unproven}."
    elif cautions:
        result.verdict, result.level = "caution", "caution"
        result.headline = "Caution: " + cautions[0]
    else:
        result.headline = (f"Go: {WHO_DECIDES[answers.automation]}; {covered} of {len(CHECKLIST)} safeguards are in "
                           f"place and all {len(risks)} failure modes have a way back and the control they need"
                           + (f"; {chosen}" if chosen else "") + ".")
    _name_the_system(case, result)
    return result


def _name_the_system(case: Case | None, result: Result) -> None:
    """When question 4 chose rules, the headline and findings speak of "the system", not of an AI that isn't there."""
    try:
        rules = case is not None and getattr(case.answers("approach"), "chosen", None) == "rules"
    except KeyError:
        rules = False
    if rules:
        result.headline = result.headline.replace("the AI", "the system")
        result.findings = [Finding(f.level, f.message.replace("the AI", "the system")) for f in result.findings]


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


def _choose_threshold(a: Answers, scores: pd.DataFrame | None, case: Case | None, result: Result,
                      stops: list[str], cautions: list[str]) -> tuple[str, str | None]:
    """Choose the threshold by value on one part of the scores and check it on the held-out part.

    Returns (a summary for the headline, the "not proven" message or None).
    """
    result.data["threshold"] = a.threshold
    if scores is None:
        msg = ("there is no scores file, so the confidence threshold is a guess; export past outputs with their "
               "confidence and whether they were right.")
        cautions.append(msg)
        result.add("caution", msg)
        result.metric("Share handled by the AI", None, "%", key=True)
        return "", None
    choosing, held_out = split_scores(a, scores, case)
    costs = value_model(a, case)
    target = a.target_error_rate
    column = "error rate" if a.threshold_basis == "point estimate" else "error rate, 95% high"
    curve = threshold_tradeoff(choosing["confidence"], choosing["correct"])
    curve["value"] = value_per_output(curve["handled"], curve["errors"], len(choosing), *costs.per_output)
    meets = curve[(curve["handled"] > 0) & (curve[column] <= target)]
    best = _best_by_value(meets)
    lowest = float(meets["threshold"].iloc[0]) if len(meets) else None
    chosen = a.threshold if a.threshold is not None else best
    held_curve = threshold_tradeoff(held_out["confidence"], held_out["correct"])
    held_curve["value"] = value_per_output(held_curve["handled"], held_curve["errors"], len(held_out),
                                           *costs.per_output)
    result.data.update(threshold=chosen, lowest_threshold=lowest, value_threshold=best,
                       holdout={"share": a.holdout_share, "seed": a.split_seed, "choosing_rows": len(choosing),
                                "held_out_rows": len(held_out)},
                       value_model=costs.data())

    result.metric("Outputs in the scores file", len(scores))
    result.metric("Held out to check the threshold", len(held_out))
    result.metric("Accuracy over all outputs", float(scores["correct"].mean()), "%")
    result.metric("Target error rate", target, "%")
    result.metric("Threshold worth most within the target", best)
    result.metric("Lowest threshold that meets the target", lowest)
    result.tables[_SOURCES] = costs.table
    result.add("info", f"The threshold is chosen on {len(choosing):,} of the {len(scores):,} scores and checked on "
                       f"the other {len(held_out):,} ({a.holdout_share:.0%} held out, seed {a.split_seed}), "
                       f"by its value per output: {costs.summary}.")
    if costs.caught_unknown:
        result.add("info", f"The value counts every error at its full cost (${costs.full_error:,.2f}), as if the "
                           f"person reviewing caught none: declare errors_caught and cost_to_catch_error to count "
                           f"the review.")

    if chosen is None:
        msg = (f"no confidence threshold keeps the {a.threshold_basis} of the error rate at or under "
               f"{target:.1%} on the {len(choosing):,} choosing rows; a person must check every output.")
        acts = a.automation not in REVIEWED
        (stops if acts else cautions).append(msg)
        result.add("stop" if acts else "caution", msg)
        result.metric("Share handled by the AI", 0.0, "%", key=True)
        result.tables[_TRADEOFF] = _tradeoff_table(curve, column, target, None)
        result.figures[_VALUE_FIGURE] = _value_figure(curve, held_curve, column, target, None)
        return "", None

    seen = _scored(held_out, chosen, costs)
    fit = _scored(choosing, chosen, costs)
    result.metric("Confidence threshold", chosen)
    result.metric("Share handled by the AI", seen["share"], "%", key=True)
    result.metric("Error rate among them", seen["rate"], "%", key=True)
    result.metric("Error rate, 95% interval high", seen["rate_high"] if seen["handled"] else None, "%")
    result.metric("Share sent to a person", 1 - seen["share"], "%")
    result.metric("Value per output", seen["value"], "$")
    result.metric("Value per output on the choosing rows", fit["value"], "$")
    result.data["held_out"] = seen
    result.data["in_sample"] = fit
    result.tables[_OPTIMISM] = _optimism_table(fit, seen, len(choosing), len(held_out))
    result.tables[_TRADEOFF] = _tradeoff_table(curve, column, target, chosen)
    result.figures[_VALUE_FIGURE] = _value_figure(curve, held_curve, column, target, chosen)

    who = "the AI"
    if seen["handled"] == 0:
        msg = (f"no held-out output reaches the threshold {chosen:.2f}: the AI would handle nothing, and its error "
               f"rate is unknown")
        return "", _not_proven(a, (msg, msg + "."), result, stops, cautions)
    result.add("info", f"On the {len(held_out):,} held-out outputs, at confidence ≥ {chosen:.2f} {who} handles "
                       f"{seen['handled']:,} ({seen['share']:.0%}, 95% interval {seen['share_low']:.0%}–"
                       f"{seen['share_high']:.0%}) with {seen['errors']:,} errors ({seen['rate']:.1%}, 95% interval "
                       f"{seen['rate_low']:.1%}–{seen['rate_high']:.1%}), worth {_money(seen['value'])} an output "
                       f"({_money(seen['value_low'])} to {_money(seen['value_high'])}); the rest go to a person.")
    result.add("info", f"Scored on the rows it was chosen on, the same threshold shows {fit['rate']:.1%} errors and "
                       f"{_money(fit['value'])} an output; the held-out rows show {seen['rate']:.1%} and "
                       f"{_money(seen['value'])}. Trust the held-out figures: picking the best of 101 thresholds on "
                       f"some rows also picks their luck, so the same rows flatter it.")
    if a.threshold is not None and lowest is None:
        result.add("info", f"No threshold meets the {target:.1%} limit ({a.threshold_basis}) on the choosing rows; "
                           f"the declared {a.threshold:.2f} is judged on the held-out rows alone.")
    if a.threshold is not None and best is not None and not math.isclose(a.threshold, best):
        result.add("info", f"The threshold worth most within the target on the choosing rows is {best:.2f} "
                           f"({_money(float(curve.loc[_row(curve, best), 'value']))} an output there, against "
                           f"{_money(fit['value'])} at {a.threshold:.2f}).")

    observed = seen["rate"] if a.threshold_basis == "point estimate" else seen["rate_high"]
    if observed > target:
        msg = _unproven_message(a, seen, len(scores), len(held_out))
        return "", _not_proven(a, msg, result, stops, cautions)
    summary = (f"at confidence ≥ {chosen:.2f} the AI handles {seen['share']:.0%} of held-out outputs with "
               f"{seen['rate']:.1%} errors (95% high {seen['rate_high']:.1%}, limit {target:.0%})")
    if a.threshold is not None and lowest is not None and a.threshold < lowest:
        msg = (f"the threshold {a.threshold:.2f} is under {lowest:.2f}, the lowest that meets the {target:.1%} limit "
               f"on the choosing rows; it passes on the held-out rows ({seen['rate']:.1%}, 95% high "
               f"{seen['rate_high']:.1%}) only by luck of the split.")
        cautions.append(msg)
        result.add("caution", msg)
    elif seen["handled"] < MIN_HANDLED:
        msg = (f"only {seen['handled']} held-out outputs clear the threshold: too few to trust their error rate; "
               f"collect more scored outputs.")
        cautions.append(msg)
        result.add("caution", msg)
    elif a.threshold_basis == "point estimate" and seen["rate_high"] > target:
        result.add("info", f"The 95% interval of the held-out error rate reaches {seen['rate_high']:.1%}: to be 95% "
                           f"sure of the {target:.0%} limit, base the threshold on the upper bound (threshold_basis).")
    else:
        result.add("go", f"The held-out rows confirm the threshold: its error rate stays under the {target:.1%} "
                         f"limit{' at the 95% upper bound' if a.threshold_basis != 'point estimate' else ''}.")
    return summary, None


def _not_proven(a: Answers, message: tuple[str, str], result: Result, stops: list[str], cautions: list[str]) -> str:
    """Record "not proven": a stop when the AI acts alone, a caution when a person reviews each output.
    ``message`` is (the short form for the headline, the full finding)."""
    short, full = message
    acts = a.automation not in REVIEWED
    (stops if acts else cautions).append(short)
    result.add("stop" if acts else "caution", f"{NOT_PROVEN}: {full}")
    return short


def _unproven_message(a: Answers, seen: dict, n: int, held: int) -> tuple[str, str]:
    target, chosen = a.target_error_rate, seen["threshold"]
    point = a.threshold_basis == "point estimate"
    shown = seen["rate"] if point else seen["rate_high"]
    short = (f"on {held:,} held-out outputs the threshold {chosen:.2f} makes {seen['rate']:.1%} errors"
             + ("" if point else f", up to {shown:.1%} at the 95% upper bound") + f", over the {target:.0%} limit")
    head = (f"on the {held:,} held-out outputs the threshold {chosen:.2f} makes {seen['rate']:.1%} errors, and "
            f"the {a.threshold_basis} ({shown:.1%}) is over the {target:.1%} limit")
    if point or seen["rate"] >= target:
        return (f"{short}; more scores will not fix that, a higher threshold chosen on new scores might",
                f"{head}; more scores at this rate cannot prove it: choose a higher threshold on new scores (never "
                f"on the held-out rows) and check it on rows held out again.")
    needed = scores_to_prove_error_limit(seen["rate"], target)
    if needed is None:  # too many to count: as good as never
        return (f"{short}; no realistic number of scores would prove it",
                f"{head}; at this error rate no realistic number of scores would prove it.")
    more = max(math.ceil(needed / seen["share"] / a.holdout_share) - n, 1)
    seen["more_scores_needed"] = more
    meanwhile = ("until then a person keeps reviewing every suggestion, knowing the error rate may be over the "
                 "limit" if a.automation in REVIEWED else
                 "until then the AI should not act alone: a person confirms each output")
    return (f"{short}; about {more:,} more scored outputs would prove it if the rate holds",
            f"{head}; at {seen['rate']:.1%} errors the limit needs about {needed:,} handled outputs in the held-out "
            f"part, so about {more:,} more scored outputs (keeping {a.holdout_share:.0%} held out); {meanwhile}.")


def split_scores(a: Answers, scores: pd.DataFrame, case: Case | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(choosing rows, held-out rows): :func:`aipm_kit.stats.holdout_split` on right/wrong, by the answers' share
    and seed. Too few scores for two parts of ``MIN_PART`` rows each is a ``CaseError`` on ``scores``."""
    held = holdout_split(scores["correct"].to_numpy(), a.holdout_share, a.split_seed)
    parts = scores[~held].reset_index(drop=True), scores[held].reset_index(drop=True)
    if min(len(p) for p in parts) < MIN_PART:
        raise CaseError(f"{len(scores):,} score{'s are' if len(scores) != 1 else ' is'} too few to split into rows to choose the threshold on and "
                        f"{a.holdout_share:.0%} held out to check it (each part needs at least {MIN_PART}); "
                        f"export more past outputs with their confidence and whether they were right",
                        case.path if case is not None else None, KEY, "scores")
    return parts


class ValueModel:
    """The numbers of the value model, where each came from, and the cost of an error at the automation level."""

    def __init__(self, automation: str, value_correct: tuple[float, str], full_error: tuple[float, str],
                 caught: tuple[float | None, str], catch_cost: tuple[float, str], person: tuple[float, str]):
        self.value_correct, self.full_error, self.cost_person = value_correct[0], full_error[0], person[0]
        self.reviewed = automation in REVIEWED
        q, k = caught[0], catch_cost[0]
        self.caught_unknown = self.reviewed and q is None
        if self.reviewed and q is not None:
            self.cost_error = q * k + (1 - q) * self.full_error
            how = (f"a person reviews each output and catches {q:.0%} of the errors at {_money(k)} each; the rest "
                   f"slip through at {_money(self.full_error)}: {q:.2f} × {_money(k)} + {1 - q:.2f} × "
                   f"{_money(self.full_error)}")
        else:
            self.cost_error = self.full_error
            how = ("the AI acts alone, so every error costs in full" if not self.reviewed
                   else "no share of errors caught is declared, so every error counts in full")
        rows = [
            ("value of one right output the AI handles (V)", self.value_correct, value_correct[1]),
            ("full cost of an error nobody catches (C)", self.full_error, full_error[1]),
        ]
        if self.reviewed:
            rows += [("share of errors the reviewer catches (q)", q, caught[1]),
                     ("cost of catching one error (k)", k if q is not None else None, catch_cost[1])]
        rows += [("extra cost of sending an output to a person (h)", self.cost_person, person[1]),
                 ("cost of one wrong output at this level (c)", self.cost_error, how)]
        self.table = pd.DataFrame(rows, columns=["number", "value", "from"])
        self.table["value"] = [("—" if v is None else f"{v:.0%}" if "share" in name else _money(v))
                               for name, v, _ in rows]
        self.summary = (f"{_money(self.value_correct)} for each right output the AI handles, "
                        f"−{_money(self.cost_error)} for each wrong one"
                        + (f", −{_money(self.cost_person)} for each sent to a person" if self.cost_person else
                           ", nothing for those sent to a person (handled as today)"))

    @property
    def per_output(self) -> tuple[float, float, float]:
        return self.value_correct, self.cost_error, self.cost_person

    def data(self) -> dict:
        return {"value_per_correct": self.value_correct, "full_error_cost": self.full_error,
                "error_cost": self.cost_error, "cost_human_handling": self.cost_person}


def value_model(a: Answers, case: Case | None) -> ValueModel:
    """The value model's numbers: question 2's where it declares them, this section's where it does not."""
    q2 = _need_ai_answers(case)
    own = "experience"
    value = getattr(q2, "value_per_correct", 0) or 0
    if value > 0:
        value_from = "question 2: value_per_correct"
        if a.value_per_correct is not None and not math.isclose(a.value_per_correct, value):
            value_from += f" (this section's {_money(a.value_per_correct)} is not used: question 2 decides it)"
    elif a.value_per_correct is not None:
        value, value_from = a.value_per_correct, f"{own}: value_per_correct (question 2 has none)"
    else:
        value, value_from = 0.0, "declared nowhere: $0 (set question 2's value_per_correct)"
    fp, fn = (getattr(q2, "cost_false_positive", 0) or 0), (getattr(q2, "cost_false_negative", 0) or 0)
    if fp > 0 or fn > 0:
        s = getattr(q2, "false_positive_share", 0.5)
        error = s * fp + (1 - s) * fn
        error_from = (f"question 2: {s:.2f} × cost_false_positive {_money(fp)} + {1 - s:.2f} × "
                      f"cost_false_negative {_money(fn)}")
        if a.cost_per_error is not None and not math.isclose(a.cost_per_error, error):
            error_from += f" (this section's {_money(a.cost_per_error)} is not used: question 2 decides it)"
    elif a.cost_per_error is not None:
        error, error_from = a.cost_per_error, f"{own}: cost_per_error (question 2 has none)"
    else:
        error, error_from = 0.0, "declared nowhere: $0 (set question 2's cost_false_positive and cost_false_negative)"
    caught = (a.errors_caught, f"{own}: errors_caught" if a.errors_caught is not None
              else "not declared: every error counted in full")
    catch_cost = (a.cost_to_catch_error, f"{own}: cost_to_catch_error")
    person = (a.cost_human_handling, f"{own}: cost_human_handling (question 2 has none)" if a.cost_human_handling
              else f"{own}: cost_human_handling, $0: people handle it as today")
    return ValueModel(a.automation, (float(value), value_from), (float(error), error_from), caught, catch_cost,
                      person)


def _need_ai_answers(case: Case | None):
    """Question 2's answers, or None when the case has not answered it (its costs then come from this section)."""
    if case is None:
        return None
    try:
        return case.answers("need_ai") if case.is_answered("need_ai") else None
    except (KeyError, AttributeError):  # a version of the kit without question 2, or a stand-in case
        return None


def _best_by_value(meets: pd.DataFrame) -> float | None:
    """The threshold worth most among those that meet the limit; a tie (to the cent's thousandth) goes to the
    higher threshold, which makes fewer errors for the same value."""
    if meets.empty:
        return None
    top = meets["value"].max()
    return float(meets.loc[meets["value"] >= top - 1e-9, "threshold"].iloc[-1])


def _scored(scores: pd.DataFrame, threshold: float, costs: ValueModel) -> dict:
    """A threshold on some rows: coverage and error rate with Wilson intervals, value per output with its interval."""
    n = len(scores)
    handled, errors = _at(scores, threshold)
    share_low, share_high = wilson_interval(handled, n)
    rate_low, rate_high = wilson_interval(errors, handled)
    value = value_per_output(handled, errors, n, *costs.per_output)
    value_low, value_high = value_interval(handled, errors, n, *costs.per_output)
    return {"threshold": threshold, "outputs": n, "handled": handled, "errors": errors,
            "share": handled / n, "share_low": share_low, "share_high": share_high,
            "rate": errors / handled if handled else math.nan, "rate_low": rate_low, "rate_high": rate_high,
            "value": value, "value_low": value_low, "value_high": value_high}


def _optimism_table(fit: dict, seen: dict, n_fit: int, n_seen: int) -> pd.DataFrame:
    """The same threshold scored on the rows it was chosen on and on held-out rows: how much the first flatters."""
    rows = [
        ("share handled by the AI (%)", fit["share"] * 100, seen["share"] * 100, seen["share_low"] * 100,
         seen["share_high"] * 100),
        ("error rate among them (%)", fit["rate"] * 100, seen["rate"] * 100, seen["rate_low"] * 100,
         seen["rate_high"] * 100),
        ("value per output ($)", fit["value"], seen["value"], seen["value_low"], seen["value_high"]),
    ]
    table = pd.DataFrame(rows, columns=["measure", f"choosing rows ({n_fit:,}): chosen and scored there",
                                        f"held-out rows ({n_seen:,})", "held-out 95% low", "held-out 95% high"])
    numbers = table.columns[1:]
    table[numbers] = table[numbers].astype(float).round(2) + 0.0
    table["held-out minus choosing"] = (table[numbers[1]] - table[numbers[0]]).round(2) + 0.0
    return table


def _money(value: float) -> str:
    sign = "−" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"


def _row(curve: pd.DataFrame, threshold: float):
    return (curve["threshold"] - threshold).abs().idxmin()


def _check_calibration(a: Answers, scores: pd.DataFrame, result: Result, cautions: list[str]) -> None:
    bins = calibration_table(scores["confidence"], scores["correct"])
    ece = expected_calibration_error(scores["confidence"], scores["correct"])
    result.metric("Calibration error (ECE)", ece, "%")
    result.tables["Calibration: stated confidence against how often it was right"] = pd.DataFrame({
        "confidence bin": bins["bin"],
        "outputs": bins["outputs"],
        "mean confidence (%)": _percent(bins["mean confidence"]),
        "right (%)": _percent(bins["accuracy"]),
        "over-confidence (points)": _percent(bins["gap"]),
    })
    result.figures["Calibration"] = _calibration_figure(bins)
    stated, right = float(scores["confidence"].mean()), float(scores["correct"].mean())
    gap = stated - right
    if ece > MAX_CALIBRATION_ERROR and a.show_confidence:
        msg = (f"the confidence users will see is off by {ece:.1%} on average (ECE); calibrate it before showing it, "
               f"or show a coarse label (high / low) instead of a number.")
        cautions.append(msg)
        result.add("caution", msg)
    elif ece > MAX_CALIBRATION_ERROR:
        result.add("info", f"Confidence is off by {ece:.1%} on average (ECE): fine for a threshold, "
                           f"misleading if shown to users.")
    else:
        direction = "over" if gap > 0 else "under"
        result.add("info", f"Confidence is close to calibrated (ECE {ece:.1%}): it averages {stated:.1%} against "
                           f"{right:.1%} right, {abs(gap) * 100:.1f} points {direction}-confident.")


# ---- reading the scores file -------------------------------------------------------------------------

_TRUE = {"true", "1", "yes", "y", "t", "1.0"}
_FALSE = {"false", "0", "no", "n", "f", "0.0"}


SCORE_COLUMNS = ("confidence", "correct")


def check_score_columns(path: str | Path) -> None:
    """Read only the header of a scores file: a ``ValueError`` naming the file if a column is missing."""
    _read_scores_csv(path, nrows=0)


def read_scores(path: str | Path) -> pd.DataFrame:
    """The scores file as two clean columns, ``confidence`` (0–1 floats) and ``correct`` (bools).

    Any problem is a ``ValueError`` naming the file and the column: a missing column, a value that is not a
    number or is outside 0–1, a ``correct`` value that is not true/false, an empty file.
    """
    name = Path(path).name
    raw = _read_scores_csv(path)
    if raw.empty:
        raise ValueError(f"{name}: no rows; expected one row per AI output")
    # the parser's own types are the fast path (a million rows in a fraction of a second); text that is not
    # plainly numbers or true/false takes the slow path, which also finds the first bad row to report
    column = raw["confidence"]
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        confidence = column.astype(float)
    else:
        confidence = pd.to_numeric(column.astype(str).str.strip(), errors="coerce")
    bad = confidence.isna() | (confidence < 0) | (confidence > 1)
    if bad.any():
        first = int(bad.to_numpy().argmax())
        raise ValueError(f"{name}: column confidence must hold numbers from 0 to 1; row {first + 2} has "
                         f"{str(column.iloc[first])!r} ({int(bad.sum()):,} bad values)")
    column = raw["correct"]
    if pd.api.types.is_bool_dtype(column):
        correct = column.astype(bool)
    else:
        flags = column.astype(str).str.strip().str.lower()
        bad = ~flags.isin(_TRUE | _FALSE)
        if bad.any():
            first = int(bad.to_numpy().argmax())
            raise ValueError(f"{name}: column correct must be true or false; row {first + 2} has "
                             f"{str(column.iloc[first])!r} ({int(bad.sum()):,} bad values)")
        correct = flags.isin(_TRUE)
    return pd.DataFrame({"confidence": confidence, "correct": correct})


def _read_scores_csv(path: str | Path, nrows: int | None = None) -> pd.DataFrame:
    name = Path(path).name
    try:
        raw = pd.read_csv(path, keep_default_na=False, usecols=_score_column, nrows=nrows)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{name}: the file is empty; expected columns confidence and correct") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise ValueError(f"{name}: cannot be read as CSV ({exc})") from None
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    missing = [c for c in SCORE_COLUMNS if c not in raw.columns]
    if missing:
        found = pd.read_csv(path, nrows=0).columns
        raise ValueError(f"{name}: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                         f"(found: {', '.join(str(c).strip() for c in found) or 'none'})")
    return raw


def _score_column(column: str) -> bool:
    # only the two columns the analysis needs: a million-row export with wide text columns stays cheap
    return str(column).strip().lower() in SCORE_COLUMNS


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


def _at(scores: pd.DataFrame, threshold: float) -> tuple[int, int]:
    """(outputs handled by the AI, errors among them) at ``threshold``: confidence ≥ threshold is handled."""
    handled = scores["confidence"] >= threshold
    return int(handled.sum()), int((handled & ~scores["correct"]).sum())


def _tradeoff_table(curve: pd.DataFrame, column: str, target: float, chosen: float | None) -> pd.DataFrame:
    hundredths = (curve["threshold"] * 100).round().astype(int)
    keep = hundredths % 5 == 0
    if chosen is not None:  # every 0.01 around the chosen threshold, where the decision is made
        keep |= (hundredths - round(chosen * 100)).abs() <= 4
    # below 0.5 nearly everything is handled, and a threshold no output reaches says nothing: leave both out
    coarse = curve[keep & (curve["threshold"] >= 0.5) & (curve["handled"] > 0)]
    return pd.DataFrame({
        "threshold": coarse["threshold"].round(2),
        "meets target": ["yes" if v <= target else "no" for v in coarse[column]],
        "handled by the AI": coarse["handled"],
        "share handled (%)": _percent(coarse["share handled"]),
        "error rate among them (%)": _percent(coarse["error rate"]),
        "95% high (%)": _percent(coarse["error rate, 95% high"]),
        "share sent to a person (%)": _percent(coarse["share to a person"]),
        "value per output ($)": coarse["value"].round(3) + 0.0,
    }).reset_index(drop=True)


def _percent(share: pd.Series) -> pd.Series:
    """A 0–1 share as a percentage with one decimal (+ 0.0 turns a rounded −0.0 into 0.0)."""
    return (share * 100).round(1) + 0.0


def _value_figure(curve: pd.DataFrame, held: pd.DataFrame, column: str, target: float, chosen: float | None):
    """Value per output, share handled and error rate by threshold: the choosing rows (solid) and the held-out rows
    (dashed); thresholds whose error rate breaks the limit on the choosing rows are shaded, the choice marked."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.2, 7.6))
    top, middle, bottom = fig.subplots(3, 1, sharex=True,
                                       gridspec_kw={"height_ratios": [1.2, 0.8, 1], "hspace": 0.12})
    x = curve["threshold"]
    seen = curve["handled"] > 0
    breaks = ~(seen & (curve[column] <= target))
    for ax in (top, middle, bottom):
        ax.fill_between(x, 0, 1, where=breaks.to_numpy(), step="mid", transform=ax.get_xaxis_transform(),
                        color="#b3261e", alpha=0.08, lw=0)
    top.plot(x, curve["value"], color="#44546a", lw=2, label="choosing rows (the choice is made here)")
    top.plot(held["threshold"], held["value"], color="#a15c00", lw=1.4, ls="--", label="held-out rows")
    top.axhline(0, color="#999", lw=0.8)
    top.set(ylabel="value per output ($)",
            title="Value per output by threshold (shaded: over the error limit)")
    top.legend(loc="lower left", fontsize=8, frameon=False)

    middle.plot(x, curve["share handled"] * 100, color="#44546a", lw=2)
    middle.plot(held["threshold"], held["share handled"] * 100, color="#a15c00", lw=1.4, ls="--")
    middle.set(ylabel="handled by the AI (%)", ylim=(0, 102))

    bottom.fill_between(x[seen], curve.loc[seen, "error rate, 95% low"] * 100,
                        curve.loc[seen, "error rate, 95% high"] * 100, color="#44546a", alpha=0.18,
                        label="95% interval, choosing rows")
    bottom.plot(x[seen], curve.loc[seen, "error rate"] * 100, color="#44546a", lw=2, label="error rate, choosing rows")
    shown = held["handled"] > 0
    bottom.plot(held.loc[shown, "threshold"], held.loc[shown, "error rate"] * 100, color="#a15c00", lw=1.4, ls="--",
                label="error rate, held-out rows")
    bottom.axhline(target * 100, color="#b3261e", lw=1.2, ls=":", label=f"error limit {target:.0%}")
    worst = float(curve.loc[seen, "error rate"].max()) if seen.any() else target
    bottom.set(xlabel="confidence threshold (the AI handles outputs at or above it)",
               ylabel="errors among handled (%)", ylim=(0, max(worst, target) * 100 * 1.7 + 0.5), xlim=(0, 1))
    bottom.legend(loc="upper center", fontsize=8, frameon=False, ncol=2)

    if chosen is not None:
        for ax in (top, middle, bottom):
            ax.axvline(chosen, color="#1b7f3b", lw=1.2)
        value = float(curve.loc[_row(curve, chosen), "value"])
        top.annotate(f"threshold {chosen:.2f}: {_money(value)} an output", (chosen, value), xytext=(-12, 6),
                     textcoords="offset points", ha="right", va="bottom", fontsize=9, color="#1b7f3b")
    for ax in (top, middle, bottom):
        ax.grid(alpha=0.25)
    return fig


def _calibration_figure(bins: pd.DataFrame):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.2, 4.4))
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], color="#999", lw=1, ls="--", label="perfectly calibrated")
    sizes = 20 + 180 * bins["outputs"] / bins["outputs"].max()
    ax.scatter(bins["mean confidence"], bins["accuracy"], s=sizes, color="#44546a", zorder=3,
               label="a confidence bin (size: outputs)")
    ax.plot(bins["mean confidence"], bins["accuracy"], color="#44546a", lw=1)
    ax.set(xlim=(0, 1), ylim=(0, 1.02), xlabel="stated confidence (bin mean)", ylabel="share that was right",
           title="Calibration: below the diagonal = over-confident")
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.grid(alpha=0.25)
    return fig
