"""Question 5 — How will users experience it?

Every model is wrong some of the time, so the experience is designed for those moments: users need reasons
to trust an output (why, how sure), control over what happens (edit, opt out) and a way back when it is wrong
(undo, feedback, a person). This worksheet sets how much the AI does on its own, checks the trust, control
and recovery features, gives every failure mode the control its severity needs, and picks the confidence
threshold below which a person takes over.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..case import DataFile
from ..result import Finding, Result
from ..selfcheck import Check
from ..sources import MAX_LIST_ITEMS, data_error, read_csv, read_header
from ..stats import calibration_table, expected_calibration_error, threshold_tradeoff, wilson_interval

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

_TRADEOFF = "Threshold trade-off (every 0.05, and every 0.01 near the chosen threshold)"
MIN_HANDLED = 30  # below this many outputs above the threshold, its error rate is too uncertain to lean on
MAX_CALIBRATION_ERROR = 0.05  # shown confidence that is off by more than this on average misleads users

SELF_CHECK = (
    Check("The model suggests a queue for each ticket and an agent confirms it. One failure mode sends "
          "outage reports to the billing queue (severity 5). What does the design still need?",
          ("Nothing: an agent confirms every suggestion.",
           "A recovery path: a way to spot and re-route a misrouted outage fast, and a person who owns it.",
           "A bigger model."),
          1, "Confirmation is a control, not a recovery path. People rubber-stamp confident suggestions, so a "
             "severe failure still needs a way to be noticed and undone quickly."),
    Check("Raising the confidence threshold from 0.80 to 0.95 does what?",
          ("Usually lowers the error rate among the outputs the AI handles, and sends more of them to a person.",
           "Lowers errors at no cost.",
           "Makes the model more accurate."),
          0, "The model is the same; the threshold only decides who handles which output. Fewer, surer "
             "outputs go to the AI, and people take the rest: that is the trade-off the chart shows."),
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
        default_factory=list, max_length=MAX_LIST_ITEMS,
        description="The ways the AI can be wrong (start from question 4's list).")
    scores: DataFile | None = Field(
        None, description="CSV with one row per past AI output: confidence (0–1) and correct (true/false).")
    target_error_rate: float = Field(
        0.05, gt=0, lt=1, description="Highest acceptable error rate among the outputs the AI handles (0–1).")
    threshold_basis: Literal["point estimate", "95% upper bound"] = Field(
        "point estimate", description="Whether the observed error rate or its 95% upper bound must meet the target.")
    threshold: float | None = Field(
        None, ge=0, le=1, description="The confidence threshold you launch with; empty: the lowest that meets "
                                      "the target.")

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
    chosen = _choose_threshold(answers, scores, result, stops, cautions)
    if scores is not None:
        _check_calibration(answers, scores, result, cautions)
    result.tables["Autonomy × severity rule: the least control a failure mode needs"] = control_rule_table()
    result.data["control_rule"] = {level: dict(zip(SEVERITY_BANDS, row)) for level, row in CONTROL_RULE.items()}
    result.data["automation"] = answers.automation

    if stops:
        result.verdict, result.level = "stop", "stop"
        result.headline = "Stop: " + stops[0]
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


def _choose_threshold(a: Answers, scores: pd.DataFrame | None, result: Result, stops: list[str],
                      cautions: list[str]) -> str:
    result.data["threshold"] = a.threshold
    if scores is None:
        msg = ("there is no scores file, so the confidence threshold is a guess; export past outputs with their "
               "confidence and whether they were right.")
        cautions.append(msg)
        result.add("caution", msg)
        result.metric("Share handled by the AI", None, "%", key=True)
        return ""
    curve = threshold_tradeoff(scores["confidence"], scores["correct"])
    target = a.target_error_rate
    column = "error rate" if a.threshold_basis == "point estimate" else "error rate, 95% high"
    meets = curve[(curve["handled"] > 0) & (curve[column] <= target)]
    lowest = float(meets["threshold"].iloc[0]) if len(meets) else None
    chosen = a.threshold if a.threshold is not None else lowest
    result.data["threshold"] = chosen
    result.data["lowest_threshold"] = lowest

    accuracy = float(scores["correct"].mean())
    result.metric("Outputs in the scores file", len(scores))
    result.metric("Accuracy over all outputs", accuracy, "%")
    result.metric("Target error rate", target, "%")
    result.metric("Lowest threshold that meets the target", lowest)

    if lowest is None:
        msg = (f"no confidence threshold keeps the {a.threshold_basis} of the error rate at or under "
               f"{target:.1%}; a person must check every output.")
        (stops if a.automation in ("act with undo", "act autonomously") else cautions).append(msg)
        result.add("stop" if a.automation in ("act with undo", "act autonomously") else "caution",
                   msg)
        result.metric("Share handled by the AI", 0.0, "%", key=True)
        result.tables[_TRADEOFF] = _tradeoff_table(curve, column, target, None)
        result.figures["Threshold trade-off"] = _tradeoff_figure(curve, target, None)
        return ""

    handled, errors = _at(scores, chosen)
    low, high = wilson_interval(errors, handled)
    share = handled / len(scores)
    rate = errors / handled if handled else float("nan")
    result.metric("Confidence threshold", chosen, key=False)
    result.metric("Share handled by the AI", share, "%", key=True)
    result.metric("Error rate among them", rate if handled else None, "%", key=True)
    result.metric("Error rate, 95% interval high", high if handled else None, "%")
    result.metric("Share sent to a person", 1 - share, "%")
    result.tables[_TRADEOFF] = _tradeoff_table(curve, column, target, chosen)
    result.figures["Threshold trade-off"] = _tradeoff_figure(curve, target, chosen)

    summary = (f"at confidence ≥ {chosen:.2f} the AI handles {share:.0%} of outputs with "
               f"{rate:.1%} errors (target {target:.0%})")
    if handled == 0:
        msg = f"no output reaches the threshold {chosen:.2f}: the AI would handle nothing."
        cautions.append(msg)
        result.add("caution", msg)
        return ""
    result.add("info", f"At confidence ≥ {chosen:.2f} the AI handles {handled:,} of {len(scores):,} outputs "
                       f"({share:.0%}) with {errors:,} errors ({rate:.1%}, 95% interval {low:.1%}–{high:.1%}); "
                       f"the other {1 - share:.0%} go to a person.")
    if a.threshold is not None and (lowest is None or a.threshold < lowest):
        msg = (f"the threshold {a.threshold:.2f} lets {rate:.1%} errors through (95% high {high:.1%}), over the "
               f"{target:.1%} target; the lowest threshold that meets it is {lowest:.2f}.")
        cautions.append(msg)
        result.add("caution", msg)
    elif handled < MIN_HANDLED:
        msg = (f"only {handled} outputs clear the threshold: too few to trust their error rate; collect more "
               f"scored outputs.")
        cautions.append(msg)
        result.add("caution", msg)
    elif a.threshold_basis == "point estimate" and high > target:
        result.add("info", f"The 95% interval of that error rate reaches {high:.1%}: to be 95% sure of the "
                           f"{target:.0%} target, base the threshold on the upper bound (threshold_basis).")
    return summary


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

    Any problem is a ``CaseError`` naming the file and the column: a missing column, a value that is not a
    number or is outside 0–1, a ``correct`` value that is not true/false, an empty file, a file that is not
    UTF-8 CSV text.
    """
    name = Path(path).name
    raw = _read_scores_csv(path)
    if raw.empty:
        raise data_error(name, "no rows; expected one row per AI output")
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
        raise data_error(name, f"column confidence must hold numbers from 0 to 1; row {first + 2} has "
                               f"{str(column.iloc[first])!r} ({int(bad.sum()):,} bad values)")
    column = raw["correct"]
    if pd.api.types.is_bool_dtype(column):
        correct = column.astype(bool)
    else:
        flags = column.astype(str).str.strip().str.lower()
        bad = ~flags.isin(_TRUE | _FALSE)
        if bad.any():
            first = int(bad.to_numpy().argmax())
            raise data_error(name, f"column correct must be true or false; row {first + 2} has "
                                   f"{str(column.iloc[first])!r} ({int(bad.sum()):,} bad values)")
        correct = flags.isin(_TRUE)
    return pd.DataFrame({"confidence": confidence, "correct": correct})


def _read_scores_csv(path: str | Path, nrows: int | None = None) -> pd.DataFrame:
    """The two score columns (every row is parsed, so a row with more fields than the header is an error;
    other columns are dropped chunk by chunk). ``nrows=0`` checks the header alone."""
    name = Path(path).name
    found = read_header(path, rows=False)  # a CaseError for a file that is not UTF-8 CSV text
    missing = [c for c in SCORE_COLUMNS if c not in [f.lower() for f in found]]
    if missing:
        raise data_error(name, f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                               f"(found: {', '.join(found) or 'none'})")
    if nrows == 0:
        return pd.DataFrame(columns=list(SCORE_COLUMNS))
    raw = read_csv(path, dtype=None, keep=_score_column, keep_default_na=False)
    raw.columns = [str(c).strip().lower() for c in raw.columns]
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
    }).reset_index(drop=True)


def _percent(share: pd.Series) -> pd.Series:
    """A 0–1 share as a percentage with one decimal (+ 0.0 turns a rounded −0.0 into 0.0)."""
    return (share * 100).round(1) + 0.0


def _tradeoff_figure(curve: pd.DataFrame, target: float, chosen: float | None):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.2, 5.6))
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 1], "hspace": 0.12})
    x = curve["threshold"]
    top.plot(x, curve["share handled"] * 100, color="#44546a", lw=2, label="handled by the AI")
    top.plot(x, curve["share to a person"] * 100, color="#a15c00", lw=2, ls="--", label="sent to a person")
    top.set(ylabel="share of outputs (%)", ylim=(0, 102),
            title="Confidence threshold: what the AI handles, and how often it is wrong")
    top.legend(loc="center left", fontsize=9, frameon=False)

    seen = curve["handled"] > 0
    bottom.fill_between(x[seen], curve.loc[seen, "error rate, 95% low"] * 100,
                        curve.loc[seen, "error rate, 95% high"] * 100, color="#44546a", alpha=0.18,
                        label="95% interval")
    bottom.plot(x[seen], curve.loc[seen, "error rate"] * 100, color="#44546a", lw=2, label="error rate among handled")
    bottom.axhline(target * 100, color="#b3261e", lw=1.2, ls=":", label=f"target {target:.0%}")
    worst = float(curve.loc[seen, "error rate"].max()) if seen.any() else target
    bottom.set(xlabel="confidence threshold (the AI handles outputs at or above it)",
               ylabel="errors among handled (%)", ylim=(0, max(worst, target) * 100 * 1.7 + 0.5), xlim=(0, 1))
    bottom.legend(loc="upper center", fontsize=9, frameon=False)

    if chosen is not None:
        for ax in (top, bottom):
            ax.axvline(chosen, color="#1b7f3b", lw=1.2)
        share = float(curve.loc[(curve["threshold"] - chosen).abs().idxmin(), "share handled"])
        top.annotate(f"threshold {chosen:.2f}: {share:.0%} handled", (chosen, share * 100), xytext=(-12, -4),
                     textcoords="offset points", ha="right", va="top", fontsize=9, color="#1b7f3b")
    for ax in (top, bottom):
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
