"""The case as one product: the quantities several questions use, and the check that the answers agree.

Each question is analysed on its own, so a case can say seven things that cannot all be true: question 2 values
18,000 decisions a month while question 4 prices 90,000, or question 3 says live feedback does not exist while
question 7 reads twelve weeks of it. The ledger is a table of relations between fields. Each relation says where
a shared quantity is declared (its home), where else it appears, and how the two must relate:

- ``same``: one quantity written twice. They must agree within rounding; a difference is a contradiction.
- ``plan``: an estimate made before the evidence (question 2's expected accuracy) beside what was measured later
  (question 6's pass rate). A gap is reported; when putting the evidence in place of the plan changes the
  planning question's verdict, the gap is a contradiction too, since the decision rested on the plan.
- ``covers``: what one question plans to measure (question 3's slices) against what another measures.

Some quantities are read straight from their home rather than compared: ``SHARE_HANDLED`` defines once what
share of decisions the product handles at each automation level, ``later_step`` whether question 5 weighs a step
beyond question 2's plan, and question 2 reads question 4's costs and question 5's and 6's evidence through this
module. The case's ``stage`` decides which questions analyse and which
plan (a log before launch is a contradiction), and its ``as_of`` date dates the plans: a plan overtaken by later
evidence is out of date, while a plan dated after the evidence it contradicts was made with that evidence in hand.

Adding a field to the ledger is one row in ``RELATIONS``. ``check(case)`` returns the findings;
``aipm-kit check`` prints them (exit 1 on a contradiction), ``validate`` shows them as warnings and the brief
has a "Does the case hold together?" section.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .case import Case
    from .result import Result

Kind = Literal["same", "plan", "covers"]
Value = float | int | str | frozenset | None
Period = tuple[datetime.date, datetime.date]  # first and last day a piece of evidence covers


@dataclass(frozen=True)
class Place:
    """Where a value lives: a ``section.field`` path as ``aipm-kit check`` prints it, and how to read it."""

    path: str
    read: Callable[[Case], Value]
    unit: str = ""  # "$", "%" (a 0–1 share) or "" — how the value is shown


@dataclass(frozen=True)
class Relation:
    quantity: str
    kind: Kind
    home: Place  # where the quantity is decided (the plan, for kind "plan")
    other: Place  # where it appears again (the evidence, for kind "plan")
    effect: str  # what a difference does to the decision
    fix: str  # how to resolve it
    tolerance: float = 0.005  # difference still counted as rounding: relative, or in points for shares (unit %)
    revise: tuple[str, str] | None = None  # (section, field) of the plan, replaced by the evidence to test a flip
    dated: Callable[[Case], Period | None] | None = None  # the period of the evidence (``other``), when known
    flips: Callable[[Any, Any], bool] | None = None  # plan, evidence → whether the evidence overturns the decision


@dataclass(frozen=True)
class Finding:
    """One disagreement between two places of the case."""

    quantity: str
    kind: Kind
    home: str
    home_value: str
    other: str
    other_value: str
    effect: str
    fix: str
    contradiction: bool  # True: the case cannot be right in both places (or the decision flips): exit 1

    def __str__(self) -> str:
        mark = "✗" if self.contradiction else "!"
        return (f"{mark} {self.quantity}: {self.home} = {self.home_value}, but {self.other} = {self.other_value}.\n"
                f"    What it does: {self.effect}\n    Fix: {self.fix}")


def check(case: Case, results: Mapping[str, Result] | None = None) -> list[Finding]:
    """Every relation of the ledger that the case breaks, contradictions first.

    ``results`` are the questions' results when the caller has them already (the brief), so nothing is
    analysed twice.
    """
    memo = _Memo(case, results)
    findings = [f for relation in RELATIONS if (f := _check(memo, relation)) is not None]
    return sorted(findings, key=lambda f: not f.contradiction)


def holds_together(findings: list[Finding]) -> bool:
    return not any(f.contradiction for f in findings)


# ---- quantities declared once, read by the questions -----------------------------------------------------

# What "share handled" means at each of question 5's automation levels: the share of decisions the product
# takes on, the rest going to a person as today. At every level it is the share whose confidence is at or above
# question 5's threshold (its coverage on held-out scores); what "taking on" means differs.
SHARE_HANDLED = {
    "suggest": "the share that gets a confident suggestion (confidence at or above question 5's threshold); a "
               "person confirms each, and the rest are handled as today",
    "draft for review": "the share that gets a draft (confidence at or above question 5's threshold); a person "
                        "reviews each draft, and the rest are written as today",
    "act with undo": "the share the product acts on (confidence at or above question 5's threshold), each action "
                     "undoable; the rest go to a person",
    "act autonomously": "the share the product acts on alone (confidence at or above question 5's threshold); "
                        "the rest go to a person",
}
SHARE_HANDLED_METRIC = "Share handled by"  # question 5's coverage on held-out scores ("… the AI", "… the rules")


def later_step(outcome: str | None, automation: str | None) -> bool:
    """Whether question 5 weighs a step beyond question 2's plan: the plan is that the AI assists (a person decides
    every case) while question 5's automation level lets it act, no person reviewing each output. Question 5's share
    handled and its stop are then about that later step, not about the plan, which is the product in use once it
    is launched."""
    from .questions.experience_threshold import REVIEWED

    return outcome == "assist" and automation is not None and automation not in REVIEWED


@dataclass(frozen=True)
class Sourced:
    """A number and where the case declares it (``section.field`` or a question's result), as sentences say it."""

    value: float
    source: str


def share_handled(case: Case, experience: Result | None = None) -> Sourced | None:
    """The share of decisions the product handles, as question 5's automation level defines it (``SHARE_HANDLED``),
    or None while question 5 has no threshold measured on scores."""
    if not case.is_answered("experience"):
        return None
    result = experience if experience is not None else case.analyze("experience")
    if not result.answered:
        return None
    # the metric names the system: "Share handled by the AI", or by the non-AI way a no-AI case chose
    value = next((m.value for m in result.metrics if m.name.startswith(SHARE_HANDLED_METRIC)
                  and m.value is not None), None)
    if value is None:
        return None
    level = case.answers("experience").automation
    return Sourced(float(value), f"question 5 at '{level}': {SHARE_HANDLED[level]}")


def measured_accuracy(case: Case, evaluation: Result | None = None) -> Sourced | None:
    """Question 6's pass rate over every eval case, when the case's stage reaches question 6 and it ran."""
    if not case.is_answered("evaluation"):
        return None
    result = evaluation if evaluation is not None else case.analyze("evaluation")
    if not result.answered:
        return None
    value = next((m.value for m in result.metrics if m.name == "Pass rate" and m.value is not None), None)
    return None if value is None else Sourced(float(value), "question 6's measured pass rate")


def expected_accuracy(case: Case) -> Sourced | None:
    """The accuracy the case plans on before any eval: question 4's chosen approach (rules included), else
    question 2's guess for the AI."""
    if case.is_answered("approach"):
        a = case.answers("approach")
        if a.chosen:  # rules too: a product built without AI is watched on its own accuracy
            from .questions.approach import LABELS, expected_quality

            rate = expected_quality(a).get(a.chosen)
            if rate is not None and rate.rate is not None:
                return Sourced(rate.rate, f"question 4's expected share right for {LABELS[a.chosen]}")
    if case.is_answered("need_ai"):
        return Sourced(case.answers("need_ai").ai_accuracy, "need_ai.ai_accuracy")
    return None


def accuracy_bar(case: Case) -> Sourced | None:
    """The accuracy the product must keep: question 6's overall blocking gate, else approach.accuracy_needed."""
    target = _overall_target(case)
    if target is not None:
        return Sourced(float(target), "question 6's overall blocking gate")
    if case.is_answered("approach"):
        return Sourced(case.answers("approach").accuracy_needed, "approach.accuracy_needed")
    return None


def monthly_volume(case: Case) -> Sourced | None:
    """Decisions a month: question 2's volume, else question 4's requests (the ledger checks they agree)."""
    for section, name in (("need_ai", "monthly_volume"), ("approach", "requests_per_month")):
        value = _field(section, name)(case)
        if value:
            return Sourced(float(value), f"{section}.{name}")
    return None


# ---- reading the case ----------------------------------------------------------------------------------

def _field(section: str, name: str) -> Callable[[Case], Value]:
    def read(case: Case) -> Value:
        if not case.is_answered(section):
            return None
        value = getattr(case.answers(section), name, None)
        return None if value is None or value == "" else value
    return read


def _problem_volume(case: Case) -> Value:
    if not case.is_answered("problem"):
        return None
    p = case.answers("problem")
    volume = p.users_affected * p.occurrences_per_user_per_month
    return volume or None


def _overall_target(case: Case) -> Value:
    """The target of question 6's blocking gate over every eval case (no category, no slice)."""
    if not case.is_answered("evaluation"):
        return None
    for gate in case.answers("evaluation").gates:
        if gate.kind == "blocking" and not gate.category.strip() and not gate.slice.strip():
            return gate.target
    return None


def _result_metric(section: str, *names: str) -> Callable[[Case], Value]:
    """A metric of a question's result (the first of ``names`` it has), or None when not answered."""
    def read(case: Case) -> Value:
        if not case.is_answered(section):
            return None
        result = case.analyze(section)
        for name in names:
            for metric in result.metrics:
                if metric.name == name and metric.value is not None:
                    return metric.value
        return None
    return read


def _chosen_ai_cost(case: Case) -> Value:
    """Question 4's monthly cost of its chosen approach, when that approach is an AI one (rules cost no AI)."""
    if not case.is_answered("approach") or case.answers("approach").chosen == "rules":
        return None
    return _result_metric("approach", "Monthly cost of the chosen approach")(case)


def _q2_run_cost(case: Case) -> Value:
    if not case.is_answered("need_ai"):
        return None
    n = case.answers("need_ai")
    cost = n.run_cost_per_decision * n.monthly_volume + n.run_cost_per_month
    return cost or None


def _data_need(purpose: str, attribute: str) -> Callable[[Case], Value]:
    def read(case: Case) -> Value:
        if not case.is_answered("data"):
            return None
        needs = [n for n in case.answers("data").needs if n.purpose == purpose]
        if not needs:
            return None
        if attribute == "logged":
            return "yes" if any(n.status != "missing" for n in needs) else "no"
        return sum(getattr(n, attribute) for n in needs)
    return read


def _feedback_logged(case: Case) -> Value:
    """Whether live feedback is logged, as question 7 shows it; before launch the log is the stage's business
    (the "Stage" relation), and question 3's "not yet" is right."""
    if not case.is_answered("monitoring") or not _launched(case):
        return None
    return "yes" if case.answers("monitoring").log is not None else None


def _launched(case: Case) -> bool:
    from .questions import BY_KEY

    return BY_KEY["monitoring"].reaches(case.stage)


def _log_period(case: Case) -> Period | None:
    """The first and last day of question 7's production log."""
    if not case.is_answered("monitoring") or case.answers("monitoring").log is None:
        return None
    from .questions.monitoring import read_log

    try:
        stamps = read_log(case.answers("monitoring").log)["timestamp"]
    except (OSError, ValueError):
        return None
    return stamps.min().date(), stamps.max().date()


def _run_period(case: Case) -> Period | None:
    """The day question 6's eval ran, when the case gives it."""
    day = getattr(case.answers("evaluation"), "run_date", None) if case.is_answered("evaluation") else None
    return (day, day) if day is not None else None


def _evidence_period(case: Case) -> Period | None:
    """The span of every dated piece of evidence in the case (question 6's run, question 7's log)."""
    periods = [p for p in (_run_period(case), _log_period(case)) if p is not None]
    if not periods:
        return None
    return min(p[0] for p in periods), max(p[1] for p in periods)


def _q2_value(key: str) -> Callable[[Case], Value]:
    """Question 2's net monthly value: as planned, or with question 5's and 6's evidence (None without it)."""
    def read(case: Case) -> Value:
        if not case.is_answered("need_ai"):
            return None
        return case.analyze("need_ai").data.get(key)
    return read


def _loses_money(planned: Any, evidence: Any) -> bool:
    return float(planned) > 0 >= float(evidence)


def _as_of(case: Case) -> Value:
    return case.as_of.isoformat() if case.as_of is not None else None


def _evidence_after_as_of(case: Case) -> Value:
    """The last day of evidence, when it is later than the case's as-of date (else None: nothing to report)."""
    period = _evidence_period(case)
    if case.as_of is None or period is None or period[1] <= case.as_of:
        return None
    return period[1].isoformat()


def _stage(case: Case) -> Value:
    return case.stage


def _stage_shown(case: Case) -> Value:
    """The stage the case's evidence shows, when it is later than the stage the case declares.

    A production log means live traffic (launched); an eval run means something built (a pilot). A stage
    ahead of its evidence is a gap question 6 or 7 reports itself, not a contradiction.
    """
    from .questions import STAGE_ORDER

    if case.stage is None:
        return None
    shown = None
    if case.is_answered("evaluation") and case.answers("evaluation").results_file is not None:
        shown = "pilot"
    if case.is_answered("monitoring") and case.answers("monitoring").log is not None:
        shown = "launched"
    if shown is None or STAGE_ORDER.index(shown) <= STAGE_ORDER.index(case.stage):
        return None
    return shown


def _eval_rows(case: Case) -> Value:
    if not case.is_answered("evaluation") or case.answers("evaluation").results_file is None:
        return None
    return _result_metric("evaluation", "Eval cases")(case)


def _label_count(case: Case) -> Value:
    """Question 4's label count, when the output is one of a fixed set of labels."""
    if not case.is_answered("approach") or not case.answers("approach").fixed_labels:
        return None
    return case.answers("approach").label_count or None


def _rule_accuracy(case: Case) -> Value:
    """How often question 2's sample's ``rule`` column gives the label, as question 2 measures it."""
    if not case.is_answered("need_ai") or case.answers("need_ai").sample is None:
        return None
    from .questions.need_ai import read_sample

    try:
        frame = read_sample(case.answers("need_ai").sample)
    except (OSError, ValueError):
        return None
    if "rule" not in frame.columns:
        return None
    labelled = frame.dropna(subset=["label"])
    return float((labelled["rule"].astype(str) == labelled["label"].astype(str)).mean()) if len(labelled) else None


def _sample_labels(case: Case) -> Value:
    """Distinct values of question 3's label column in its labelled sample."""
    if not case.is_answered("data") or _label_count(case) is None:
        return None
    d = case.answers("data")
    if d.sample is None or not d.label_column:
        return None
    import pandas as pd

    try:
        labels = pd.read_csv(d.sample, usecols=[d.label_column], dtype=str)[d.label_column]
    except (OSError, ValueError):
        return None
    return int(labels.dropna().str.strip().str.casefold().nunique()) or None


def _planned_slices(case: Case) -> Value:
    if not case.is_answered("data"):
        return None
    dimensions = frozenset(s.dimension.strip().casefold() for s in case.answers("data").slices if s.dimension.strip())
    return dimensions or None


def _measured_slices(case: Case) -> Value:
    """The slice dimensions question 6 measures: its slice columns, or the values of its single slice column."""
    from .questions import BY_KEY

    if not case.is_answered("evaluation") or case.answers("evaluation").results_file is None \
            or not BY_KEY["evaluation"].reaches(case.stage):
        return None
    e = case.answers("evaluation")
    columns = getattr(e, "slice_columns", None) or ["slice"]
    return frozenset(str(c).strip().casefold() for c in columns)


class _Memo:
    """The case, with each question analysed at most once during a check."""

    def __init__(self, case: Case, results: Mapping[str, Result] | None = None):
        self._case, self._results = case, dict(results or {})

    def __getattr__(self, name: str) -> Any:
        return getattr(self._case, name)

    def analyze(self, key: str):
        if key not in self._results:
            self._results[key] = self._case.analyze(key)
        return self._results[key]


# ---- the relations -----------------------------------------------------------------------------------------

RELATIONS: tuple[Relation, ...] = (
    Relation(
        "Monthly volume", "same",
        Place("need_ai.monthly_volume", _field("need_ai", "monthly_volume")),
        Place("approach.requests_per_month", _field("approach", "requests_per_month")),
        "question 4 prices a different volume from the one question 2 values, so cost and value are not of one "
        "product.",
        "decide the volume once: set approach.requests_per_month to need_ai.monthly_volume (or the other way "
        "round, if question 2 is the one that is out of date)."),
    Relation(
        "Monthly volume", "same",
        Place("need_ai.monthly_volume", _field("need_ai", "monthly_volume")),
        Place("problem.users_affected × problem.occurrences_per_user_per_month", _problem_volume),
        "question 1 sizes the problem on a different number of occurrences from the decisions question 2 "
        "values, so the share of the problem the product recovers is wrong.",
        "make the users affected × occurrences per user equal the monthly volume, or explain the difference in "
        "the problem statement and correct the one that is wrong."),
    Relation(
        "Accuracy the product needs", "same",
        Place("approach.accuracy_needed", _field("approach", "accuracy_needed"), "%"),
        Place("evaluation.gates (blocking, all cases).target", _overall_target, "%"),
        "question 4 chooses an approach for one bar and question 6 ships against another.",
        "agree the bar once: set the overall blocking gate's target to approach.accuracy_needed, or change "
        "accuracy_needed to the target you will ship against."),
    Relation(
        "Number of labels", "same",
        Place("approach.label_count", _label_count),
        Place("data.sample: distinct values of data.label_column", _sample_labels),
        "question 4 chooses an approach for a label set that is not the one in the labelled data.",
        "count the labels once: set approach.label_count to the labels the data holds, or relabel the sample "
        "with the label set the product will use."),
    Relation(
        "Live feedback logged", "same",
        Place("data.needs (purpose monitoring).status", _data_need("monitoring", "logged")),
        Place("monitoring.log", _feedback_logged),
        "question 3 plans for feedback that does not exist yet, while question 7 analyses a log of it: one of "
        "them describes another moment of the product.",
        "bring question 3's monitoring need up to date (status have, with the rows the log holds), or, if the "
        "log is from a pilot, set the case's stage to pilot.",
        dated=_log_period),
    Relation(
        "Stage", "same",
        Place("stage", _stage),
        Place("the stage the evidence shows (question 6's run: pilot; question 7's log: launched)", _stage_shown),
        "a question the declared stage does not reach says Not yet and plans, so the evidence the case holds for it "
        "is never read.",
        "set the case's stage to the one the evidence shows, or remove the evidence if it is not from this "
        "product."),
    Relation(
        "Date of the case", "plan",
        Place("as_of", _as_of),
        Place("the last day of dated evidence (evaluation.run_date, monitoring.log)", _evidence_after_as_of),
        "the case says it is as of a date, yet holds evidence from after it: its plans may not have seen that "
        "evidence.",
        "move as_of to the day the case was last brought up to date, and read the plans again against the "
        "evidence."),
    Relation(
        "Accuracy of the AI", "plan",
        Place("need_ai.ai_accuracy", _field("need_ai", "ai_accuracy"), "%"),
        Place("evaluation: measured pass rate", _result_metric("evaluation", "Pass rate"), "%"),
        "question 2's value rests on an accuracy the eval run did not measure.",
        "set need_ai.ai_accuracy to the measured pass rate (question 6) and read question 2 again.",
        tolerance=0.02, revise=("need_ai", "ai_accuracy"), dated=_run_period),
    Relation(
        "Net value of the AI a month", "plan",
        Place("need_ai: net monthly value as planned (every decision, at ai_accuracy)",
              _q2_value("net_monthly_value"), "$"),
        Place("need_ai: net monthly value with question 5's share handled and question 6's accuracy",
              _q2_value("net_monthly_value_with_evidence"), "$"),
        "question 2's value assumes the AI handles every decision at the accuracy planned; the evidence says how "
        "many it handles and how well.",
        "read question 2's table of the value planned and with the evidence; increase the share handled (question 5's "
        "threshold) or the accuracy (question 6), or take the smaller value as the case's.",
        tolerance=0.10, flips=_loses_money),
    Relation(
        "Accuracy of rules alone", "plan",
        Place("approach.rules_accuracy", _field("approach", "rules_accuracy"), "%"),
        Place("need_ai.sample: how often its rule column is right", _rule_accuracy, "%"),
        "question 4 compares approaches with a rules accuracy that the labelled sample does not show.",
        "set approach.rules_accuracy to what the sample measures.",
        tolerance=0.02, revise=("approach", "rules_accuracy")),
    Relation(
        "Eval cases in hand", "plan",
        Place("data.needs (purpose evaluation).rows_have", _data_need("evaluation", "rows_have")),
        Place("evaluation.results_file: eval cases", _eval_rows),
        "question 3 judges the eval set's readiness on a size that is not the set question 6 ran.",
        "update the evaluation need's rows_have (and rows_needed) to the eval set you have now.",
        tolerance=0.0, revise=("data", "needs"), dated=_run_period),
    Relation(
        "Slices", "covers",
        Place("data.slices (dimensions)", _planned_slices),
        Place("evaluation slice columns", _measured_slices),
        "a slice question 3 worried about is never measured before launch, so a segment could fail unseen.",
        "add the missing dimension as a slice column of the eval results (evaluation.slice_columns), or drop it "
        "from question 3 if it no longer matters.",
        dated=_run_period),
)


# ---- comparing ------------------------------------------------------------------------------------------

def _check(case: Case, relation: Relation) -> Finding | None:
    try:
        a, b = relation.home.read(case), relation.other.read(case)
    except Exception:  # noqa: BLE001 (a section that cannot be analysed is reported by its question, not here)
        return None
    if a is None or b is None:
        return None
    if relation.kind == "covers":
        missing = sorted(set(a) - set(b))  # type: ignore[arg-type]
        if not missing:
            return None
        return _finding(relation, ", ".join(sorted(a)), ", ".join(sorted(b)), contradiction=False,
                        effect=f"{relation.effect} Not measured: {', '.join(missing)}.")
    if _agree(a, b, relation.tolerance, points=relation.home.unit == "%"):
        return None
    home, other = _show(a, relation.home.unit), _show(b, relation.other.unit)
    dating = _dating(case, relation)
    if relation.kind == "same":
        contradiction = dating != "before"  # a plan overtaken by later evidence is out of date, not wrong
        return _finding(relation, home, other, contradiction=contradiction,
                        effect=_dated(relation.effect, dating, case))
    flipped = _flips(case, relation, b)
    if relation.flips is not None and relation.flips(a, b):
        flipped = "2"  # the evidence turns the planned gain into a loss: question 2 would say the simpler way
    effect = relation.effect
    if flipped:
        effect += f" With the evidence in place of the plan, question {flipped} changes its verdict."
    # a plan made with the evidence in hand that still contradicts it is a finding of its own
    return _finding(relation, home, other, contradiction=bool(flipped) or dating == "after",
                    effect=_dated(effect, dating, case))


def _dating(case: Case, relation: Relation) -> Literal["before", "after", "during"] | None:
    """Whether the case's plans (dated ``as_of``) were made before, after or during the evidence's period."""
    if relation.dated is None or case.as_of is None:
        return None
    try:
        period = relation.dated(case)
    except Exception:  # noqa: BLE001 (an unreadable file is reported by its question)
        return None
    if period is None:
        return None
    start, end = period
    if case.as_of < start:
        return "before"
    return "after" if case.as_of >= end else "during"


def _dated(effect: str, dating: str | None, case: Case) -> str:
    if dating == "before":
        return (f"{effect} The plan, as of {case.as_of.isoformat()}, predates the evidence: it was overtaken, so "
                f"bring it up to date.")
    if dating == "after":
        return (f"{effect} The plan is dated {case.as_of.isoformat()}, after the evidence it contradicts: it was "
                f"made with the evidence in hand.")
    return effect


def _finding(relation: Relation, home: str, other: str, contradiction: bool, effect: str | None = None) -> Finding:
    effect = effect or relation.effect
    return Finding(relation.quantity, relation.kind, relation.home.path, home, relation.other.path, other,
                   effect[:1].upper() + effect[1:], relation.fix[:1].upper() + relation.fix[1:], contradiction)


def _agree(a: Any, b: Any, tolerance: float, points: bool = False) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return str(a).strip().casefold() == str(b).strip().casefold()
    a, b = float(a), float(b)
    if points:  # shares (0–1) agree within `tolerance` points, e.g. 0.02 = two percentage points
        return abs(a - b) <= tolerance + 1e-12
    return math.isclose(a, b, rel_tol=tolerance, abs_tol=0.5 if a.is_integer() and b.is_integer() else 1e-9)


def _show(value: Any, unit: str) -> str:
    from .result import format_number

    if isinstance(value, (str, frozenset)):
        return str(value)
    return format_number(value, unit)


def _flips(case: Case, relation: Relation, evidence: Any) -> str | None:
    """The planning question's number when its verdict changes with the evidence in place of the plan."""
    if relation.revise is None:
        return None
    from .questions import BY_KEY

    section, name = relation.revise
    answers = case.answers(section)
    if answers is None:
        return None
    if name == "needs":  # the evaluation need's rows in hand
        needs = [n.model_copy(update={"rows_have": int(evidence)}) if n.purpose == "evaluation" else n
                 for n in answers.needs]
        revised = answers.model_copy(update={"needs": needs})
    else:
        revised = answers.model_copy(update={name: evidence})
    before = case.analyze(section)
    after = case.with_answers(section, revised).analyze(section)
    if (before.verdict, before.level) != (after.verdict, after.level):
        return str(BY_KEY[section].number)
    return None
