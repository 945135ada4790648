"""Question 3 — Do we have the right data?

"We have data" is not a plan. A data plan lists every data need (what it is for, how many rows, labelled or
not, how fresh, whether it holds personal data and with what consent), what we have of it, what is missing, and
who closes each gap by when. This worksheet scores each need's readiness, checks the segments the product must
serve, sizes the evaluation set, profiles a sample, and writes the plan up as a datasheet.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from ..case import DataFile
from ..result import Result, format_number
from ..selfcheck import Check
from ..sources import MAX_LIST_ITEMS, data_error, read_csv
from ..stats import cohen_kappa, margin_for_sample_size, sample_size_for_margin

if TYPE_CHECKING:
    from ..case import Case

KEY = "data"
TITLE = "Do we have the right data?"

Purpose = Literal["training", "evaluation", "retrieval", "context", "monitoring"]
Status = Literal["have", "partial", "missing"]
Freshness = Literal["live", "daily", "weekly", "monthly", "quarterly", "one-off"]

# Data a model learns from or is scored against must carry the right answer on every row.
NEEDS_LABELS: tuple[str, ...] = ("training", "evaluation")
# Monitoring sees a problem only as fast as its data arrives.
MONITORING_FRESHNESS: tuple[str, ...] = ("live", "daily")
# A share of rows missing or a label rarer than this is worth a finding.
MISSING_SHARE_LIMIT = 0.02
RARE_LABEL_SHARE = 0.05
MAX_SAMPLE_BYTES = 50_000_000

@functools.cache
def self_check() -> tuple[Check, ...]:
    """The self-check at the end of the notebook; the numbers it quotes come from the kit's own functions."""
    # two raters, 200 items, one label on 95% of them: both say "a" on 182, both "b" on 2, and differ on 16
    first = ["a"] * 182 + ["b"] * 2 + ["a"] * 8 + ["b"] * 8
    second = ["a"] * 182 + ["b"] * 2 + ["b"] * 8 + ["a"] * 8
    kappa = cohen_kappa(first, second)
    needed, now = sample_size_for_margin(0.03, 0.85), margin_for_sample_size(300, 0.85)
    proportional = 300 * now / 0.03
    return (
        Check("The team says \"we have two years of tickets\". What is still missing from that answer?",
              ("Nothing: two years cover every season, so the volume is enough.",
               "What each piece of data is for, whether it is labelled, what is missing, and who closes each "
               "gap by when.",
               "A check that the tickets hold no personal data; then the volume is enough."),
              1, "Volume says nothing about fit. A plan names each need (training, evaluation, context, "
                 "monitoring), what you have of it, what is missing, and an owner and date for every gap. Consent "
                 "is one of those checks, not the whole plan."),
        Check(f"Two raters label 200 items and agree on 92% of them, yet Cohen's κ is {kappa:.2f}. What does that "
              f"mean?",
              ("The labels are fine: κ above 0 means they agree more than chance, and 92% is high.",
               "κ is unreliable when agreement is high: trust the 92%.",
               "One label covers about 95% of items, so chance alone gives about 90% agreement: beyond chance the "
               "raters barely agree."),
              2, f"Two raters guessing with those frequencies agree 0.95² + 0.05² = 90.5% of the time; κ = "
                 f"(0.92 − 0.905) ÷ (1 − 0.905) = {kappa:.2f}, far under the 0.6 bar. The rare label, the one "
                 f"that matters, is where they disagree."),
        Check("The evaluation set has 300 rows, the pass rate is expected near 85%, and you want it within ±3 "
              "points. What do you do?",
              (f"Grow it to about {needed:,} rows, or accept about ±{now * 100:.0f} points with 300, and say which.",
               f"Grow it to about {proportional:,.0f} rows: 300 rows give ±{now * 100:.1f} points, and the margin "
               f"shrinks in proportion to the rows.",
               "Add training examples to the evaluation set until it reaches the size."),
              0, f"n = 1.96² × 0.85 × 0.15 ÷ 0.03² ≈ {needed:,}: the margin shrinks with the square root of the "
                 f"rows, not the rows. Training rows flatter a model: it has seen their answers."),
    )


class DataNeed(BaseModel):
    """One piece of data the product needs, and where we stand on it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field("", description="Short name of the data (e.g. 'ticket history with final queue').")
    purpose: Purpose = Field(
        "evaluation", description="What it is for: training, evaluation, retrieval, context or monitoring.")
    status: Status = Field("missing", description="Where we stand: have, partial or missing.")
    source: str = Field("", description="Where it comes from or will come from (system, export, vendor, team).")
    owner: str = Field("", description="Who is responsible for it and for closing its gap (a person or role).")
    rows_have: int = Field(0, ge=0, description="Rows (examples, documents, records) we have today.")
    rows_needed: int = Field(0, ge=0, description="Rows this purpose needs (0 if not counted in rows).")
    labelled: bool = Field(False, description="Whether each row carries the right answer (label, outcome).")
    freshness: Freshness = Field(
        "one-off", description="How often it is refreshed: live, daily, weekly, monthly, quarterly or one-off.")
    personal_data: bool = Field(False, description="Whether it contains personal data (names, emails, free text about people).")
    consent: bool = Field(
        False, description="Whether the people concerned agreed to this use (terms, contract or opt-in cover it).")
    due: str = Field("", description="When its gap will be closed (a date like 2025-07-31, or a quarter).")

    @field_validator("due", mode="before")
    @classmethod
    def _date_as_text(cls, value: Any) -> Any:
        # YAML reads an unquoted 2025-07-31 as a date; the plan keeps it as the text the user wrote.
        return value.isoformat() if hasattr(value, "isoformat") else value


class Slice(BaseModel):
    """A segment of users or inputs the product must serve, and the labelled rows we have for it."""

    model_config = ConfigDict(extra="forbid")

    dimension: str = Field("", description="What the segments split on (e.g. language, plan tier, channel).")
    name: str = Field("", description="The segment (e.g. German, Enterprise).")
    share: float = Field(0, ge=0, le=1, description="Its share of live traffic (0–1).")
    rows_have: int = Field(0, ge=0, description="Labelled rows we have for it.")


class Answers(BaseModel):
    """The data plan: needs, segments, the evaluation set's size, a sample to profile, and the datasheet text."""

    model_config = ConfigDict(extra="forbid")
    # a verdict needs the data needs; until then the question is "Not answered"
    NEEDED_FOR_VERDICT: ClassVar[tuple[str, ...]] = ("needs",)

    needs: list[DataNeed] = Field(
        default_factory=list, max_length=MAX_LIST_ITEMS,
        description="Every piece of data the product needs, one row each.")
    slices: list[Slice] = Field(
        default_factory=list, max_length=MAX_LIST_ITEMS,
        description="Segments the product must serve, with the labelled rows for each.")
    min_rows_per_slice: int = Field(
        100, ge=1, description="Fewest labelled rows a segment needs to be measured on its own (100 ≈ ±10%).")
    eval_margin: float = Field(
        0.05, ge=0.001, lt=1,
        description="How close the evaluation must pin the pass rate, ± (0.05 = ±5 points), at 95%.")
    expected_pass_rate: float = Field(
        0.5, gt=0, lt=1, description="The pass rate you expect (0–1); 0.5 if unknown, the most demanding case.")
    sample: DataFile | None = Field(
        None, description="A CSV of labelled rows to profile (path relative to the case file), or empty.")
    # validate_default: the default label column must exist in the sample too
    label_column: str = Field("label", validate_default=True, description="The sample's column holding the label.")
    second_rater_column: str = Field(
        "", description="The sample's column holding a second rater's label, to measure agreement (or empty).")
    date_column: str = Field("", description="The sample's date column, to show the time span it covers (or empty).")
    id_column: str = Field(
        "", description="The sample's column identifying a record, to count duplicates (empty: whole rows).")
    min_kappa: float = Field(
        0.6, ge=0, le=1, description="Rater agreement (Cohen's κ) the labels must reach to be trusted (0–1).")
    motivation: str = Field(
        "", json_schema_extra={"multiline": True},
        description="Why this data is needed: the task it serves and the decision it supports.")
    collection: str = Field(
        "", json_schema_extra={"multiline": True},
        description="How the data was or will be collected: systems, time span, sampling.")
    labelling: str = Field(
        "", json_schema_extra={"multiline": True},
        description="Who labels, with which guideline, and how disagreements are settled.")
    out_of_scope_uses: str = Field(
        "", json_schema_extra={"multiline": True}, description="Uses the data must not be put to.")
    maintenance: str = Field(
        "", json_schema_extra={"multiline": True},
        description="Who keeps the data current, how often, and how errors are reported and fixed.")

    @field_validator("sample")
    @classmethod
    def _parses_as_csv(cls, value: Path | None) -> Path | None:
        if value is not None:
            read_sample(value)  # raises ValueError naming what is wrong with the file
        return value

    @field_validator("label_column", "second_rater_column", "date_column", "id_column")
    @classmethod
    def _column_in_sample(cls, value: str, info: ValidationInfo) -> str:
        sample = info.data.get("sample")
        if sample is None:
            return value
        if not value.strip():
            if info.field_name == "label_column":
                raise ValueError("name the sample's label column")
            return value
        columns = [str(c) for c in read_sample(sample).columns]
        if value not in columns:
            raise ValueError(f"column {value!r} is not in {Path(sample).name}; its columns are {', '.join(columns)}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Answers:
        names = [n.name.strip() for n in self.needs if n.name.strip()]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"needs: each data need needs its own name; {', '.join(map(repr, twice))} appears twice")
        keys = [(s.dimension.strip(), s.name.strip()) for s in self.slices if s.name.strip()]
        twice_slices = sorted({k for k in keys if keys.count(k) > 1})
        if twice_slices:
            listed = ", ".join(f"{d or '(no dimension)'}: {n}" for d, n in twice_slices)
            raise ValueError(f"slices: {listed} appears twice")
        for dimension, total in _shares_by_dimension(self.slices).items():
            if total > 1 + 1e-9:
                raise ValueError(f"slices: the shares of dimension {dimension!r} add up to {total:.2f}; they are "
                                 f"shares of the same traffic, so at most 1")
        if self.sample is not None and self.second_rater_column and self.second_rater_column == self.label_column:
            raise ValueError("second_rater_column must name a different column from label_column")
        return self


def analyze(answers: Answers, case: Case | None = None) -> Result:
    result = Result(KEY, TITLE, verdict="Go", level="go", headline="")
    stops: list[str] = []
    cautions: list[str] = []
    actions: list[dict[str, str]] = []

    readiness = _assess_needs(answers, result, stops, cautions, actions)
    under = _check_slices(answers, result, cautions, actions)
    eval_needed, eval_have = _size_evaluation(answers, result, cautions, actions)
    profile = _profile_sample(answers, result, cautions)
    _list_actions(actions, result, cautions)

    result.data.update({
        "readiness": readiness,
        "needs": [{**need.model_dump(mode="json"), "readiness": _need_readiness(need)} for need in answers.needs],
        "gaps": [a["data need"] for a in actions],
        "actions": actions,  # each gap's action, owner and due date: the brief's next steps
        "under_covered_slices": [f"{s.dimension}: {s.name}" for s in under],
        "eval_rows_needed": eval_needed,
        "eval_rows_have": eval_have,
        "kappa": profile.get("kappa"),
    })
    result.notes["Datasheet"] = datasheet(answers, title=case.name if case is not None else "Data plan")

    if stops:
        result.verdict, result.level = "Stop", "stop"
        result.headline = "Stop: " + stops[0]
    elif cautions:
        result.verdict, result.level = "Caution", "caution"
        result.headline = "Caution: " + _gap_summary(answers, readiness, under, eval_needed, eval_have, cautions)
    else:
        result.headline = (f"Go: every one of the {len(answers.needs)} data needs is in hand (readiness "
                           f"{format_number(readiness, '%')}), every slice has at least {answers.min_rows_per_slice:,} rows, and the "
                           f"evaluation set has the {eval_needed:,} rows it needs.")
    return result


# ---- the steps ---------------------------------------------------------------------------------------

def _need_readiness(need: DataNeed) -> float:
    """0–1: rows in hand against rows needed, zero when missing or unusable, halved when labels are missing."""
    if need.status == "missing" or (need.personal_data and not need.consent):
        return 0.0
    if need.rows_needed > 0:
        ready = min(need.rows_have / need.rows_needed, 1.0)
    else:
        ready = 1.0 if need.status == "have" else 0.5
    if need.purpose in NEEDS_LABELS and not need.labelled:
        ready *= 0.5
    return ready


def _label(need: DataNeed, index: int) -> str:
    return need.name.strip() or f"need {index + 1}"


def _assess_needs(a: Answers, result: Result, stops: list[str], cautions: list[str],
                  actions: list[dict[str, str]]) -> float:
    if not a.needs:
        stops.append("the plan lists no data needs yet.")
        result.add("stop", "List the data the product needs: what to train or prompt with, what to evaluate on, "
                           "what to retrieve, and what to monitor with.")
        result.metric("Overall readiness", 0.0, "%", key=True)
        return 0.0

    scores = [_need_readiness(n) for n in a.needs]
    overall = sum(scores) / len(scores)
    result.metric("Overall readiness", overall, "%", key=True)
    result.metric("Data needs", len(a.needs))
    result.metric("Needs in hand", sum(n.status == "have" for n in a.needs))
    result.metric("Needs partly in hand", sum(n.status == "partial" for n in a.needs))
    result.metric("Needs missing", sum(n.status == "missing" for n in a.needs))

    for i, (need, score) in enumerate(zip(a.needs, scores)):
        _check_need(need, _label(need, i), score, result, stops, cautions, actions)

    purposes = {n.purpose for n in a.needs}
    if "evaluation" not in purposes:
        msg = "no data is planned for evaluation: without it nobody can tell whether the product works (question 6)."
        cautions.append(msg)
        result.add("caution", msg)
    if "monitoring" not in purposes:
        msg = "no data is planned for monitoring: after launch, quality will slip unseen (question 7)."
        cautions.append(msg)
        result.add("caution", msg)

    result.tables["Data needs: need, have, missing"] = pd.DataFrame({
        "data need": [_label(n, i) for i, n in enumerate(a.needs)],
        "purpose": [n.purpose for n in a.needs],
        "status": [n.status for n in a.needs],
        "owner": [n.owner for n in a.needs],
        "rows have": [n.rows_have for n in a.needs],
        "rows needed": [n.rows_needed for n in a.needs],
        "labelled": ["yes" if n.labelled else "no" for n in a.needs],
        "freshness": [n.freshness for n in a.needs],
        "personal data": ["yes" if n.personal_data else "no" for n in a.needs],
        "consent": [("yes" if n.consent else "NO") if n.personal_data else "not needed" for n in a.needs],
        "readiness": [f"{s:.0%}" for s in scores],
    })
    result.figures["Readiness per data need"] = _readiness_chart(a, scores)
    return overall


def _check_need(need: DataNeed, name: str, score: float, result: Result, stops: list[str], cautions: list[str],
                actions: list[dict[str, str]]) -> None:
    def act(action: str) -> None:
        actions.append({"data need": name, "action": action, "owner": need.owner.strip(), "due": need.due.strip()})

    if need.personal_data and not need.consent:
        msg = (f"{name!r} holds personal data without consent: it cannot be used until consent is in place "
               f"or the personal data is removed.")
        stops.append(msg)
        result.add("stop", msg)
        act("Get consent for this use, or remove the personal data (anonymise or drop the fields) before any use.")
    if need.status == "missing":
        source = f" from {need.source.strip()}" if need.source.strip() else " (name a source)"
        rows = f"{need.rows_needed:,} rows" if need.rows_needed else "it"
        msg = f"{name!r} ({need.purpose}) is missing."
        cautions.append(msg)
        result.add("caution", f"{msg} Collect {rows}{source}.")
        act(f"Collect {rows}{source}.")
    elif need.rows_needed and need.rows_have < need.rows_needed:
        short = need.rows_needed - need.rows_have
        msg = f"{name!r} ({need.purpose}) has {need.rows_have:,} of the {need.rows_needed:,} rows it needs."
        cautions.append(msg)
        mark = " It is marked 'have': mark it 'partial' until the rows are in." if need.status == "have" else ""
        result.add("caution", f"{msg}{mark}")
        act(f"Add {short:,} rows ({need.rows_have:,} of {need.rows_needed:,} today).")
    elif need.status == "partial":
        msg = f"{name!r} ({need.purpose}) is only partly in hand."
        cautions.append(msg)
        result.add("caution", f"{msg} Say what is missing in rows needed, so its gap can be sized.")
        act("Size what is missing (rows needed) and close the gap.")
    if need.status != "missing" and need.purpose in NEEDS_LABELS and not need.labelled:
        msg = f"{name!r} is for {need.purpose} but is not labelled: every row needs the right answer."
        cautions.append(msg)
        result.add("caution", msg)
        act("Label it: write a labelling guide and have every row labelled (a share of them twice).")
    if need.purpose == "monitoring" and need.freshness not in MONITORING_FRESHNESS:
        msg = f"{name!r} is for monitoring but is refreshed {need.freshness}: problems would show up late."
        cautions.append(msg)
        result.add("caution", msg + " Feed it daily or live.")
        act("Refresh it daily or live.")
    elif need.purpose in ("retrieval", "context") and need.freshness == "one-off":
        msg = f"{name!r} is a one-off snapshot used for {need.purpose}: answers drift out of date as the world changes."
        cautions.append(msg)
        result.add("caution", msg + " Give it a refresh schedule and an owner.")
        act("Set a refresh schedule.")
    if score == 1.0 and not (need.personal_data and not need.consent):
        extra = ", with consent for its personal data" if need.personal_data else ""
        result.add("go", f"{name!r} ({need.purpose}) is in hand: {need.rows_have:,} rows"
                         f"{', labelled' if need.labelled else ''}, refreshed {need.freshness}{extra}.")


def _shares_by_dimension(slices: list[Slice]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for s in slices:
        totals[s.dimension.strip()] = totals.get(s.dimension.strip(), 0.0) + s.share
    return totals


def _check_slices(a: Answers, result: Result, cautions: list[str], actions: list[dict[str, str]]) -> list[Slice]:
    if not a.slices:
        result.add("info", "No slices listed: name the segments the product must serve (language, plan, channel …) "
                           "so a weak one cannot hide inside a good average.")
        return []
    rows_by_dimension: dict[str, int] = {}
    for s in a.slices:
        rows_by_dimension[s.dimension.strip()] = rows_by_dimension.get(s.dimension.strip(), 0) + s.rows_have
    under = [s for s in a.slices if s.rows_have < a.min_rows_per_slice]
    result.metric("Slices under-covered", len(under), key=True)
    result.tables["Slice coverage"] = pd.DataFrame({
        "dimension": [s.dimension for s in a.slices],
        "slice": [s.name for s in a.slices],
        "share of traffic": [f"{s.share:.0%}" for s in a.slices],
        "rows have": [s.rows_have for s in a.slices],
        "share of rows": [_share_text(s.rows_have, rows_by_dimension[s.dimension.strip()]) for s in a.slices],
        "minimum rows": [a.min_rows_per_slice] * len(a.slices),
        "covered": ["yes" if s.rows_have >= a.min_rows_per_slice else "NO" for s in a.slices],
    })
    result.figures["Slice coverage"] = _slice_chart(a)
    owner, due = _evaluation_owner(a)
    for s in sorted(under, key=lambda s: -s.share):
        label = f"{s.name or '(unnamed)'} ({s.dimension or 'no dimension'})"
        msg = (f"slice {label} has {s.rows_have:,} labelled rows, under the {a.min_rows_per_slice:,} needed to "
               f"measure it on its own; it is {s.share:.0%} of traffic.")
        cautions.append(msg)
        result.add("caution", msg)
        actions.append({"data need": f"slice: {label}", "owner": owner, "due": due,
                        "action": f"Add {a.min_rows_per_slice - s.rows_have:,} labelled rows for this slice."})
    if not under:
        result.add("go", f"All {len(a.slices)} slices have at least {a.min_rows_per_slice:,} labelled rows.")
    return under


def _share_text(rows: int, total: int) -> str:
    return f"{rows / total:.0%}" if total else "—"


def _evaluation_owner(a: Answers) -> tuple[str, str]:
    """Owner and due date of the evaluation data, who also owns growing its thin slices."""
    for need in a.needs:
        if need.purpose == "evaluation":
            return need.owner.strip(), need.due.strip()
    return "", ""


def _size_evaluation(a: Answers, result: Result, cautions: list[str],
                     actions: list[dict[str, str]]) -> tuple[int, int]:
    needed = sample_size_for_margin(a.eval_margin, a.expected_pass_rate)
    have = sum(n.rows_have for n in a.needs if n.purpose == "evaluation" and n.status != "missing"
               and n.labelled and not (n.personal_data and not n.consent))
    margin = margin_for_sample_size(have, a.expected_pass_rate)
    result.metric(f"Evaluation rows needed for ±{a.eval_margin:.0%} at 95%", needed, key=True)
    result.metric("Labelled evaluation rows available", have)
    result.metric("Margin today's evaluation rows give (±)", margin if math.isfinite(margin) else None, "%")
    working = (f"n = 1.96² × {a.expected_pass_rate:g} × {1 - a.expected_pass_rate:g} / {a.eval_margin:g}² "
               f"= {needed:,}")
    if have >= needed:
        result.add("go", f"The evaluation set has {have:,} labelled rows, enough to pin a pass rate near "
                         f"{a.expected_pass_rate:.0%} within ±{a.eval_margin:.0%} ({working}).")
        return needed, have
    today = f"today's {have:,} rows give ±{margin:.1%}" if have else "there are no labelled evaluation rows yet"
    msg = (f"the evaluation set needs {needed:,} labelled rows for ±{a.eval_margin:.0%} on a pass rate near "
           f"{a.expected_pass_rate:.0%} ({working}); {today}.")
    cautions.append(msg)
    result.add("caution", msg)
    planned = [n for n in a.needs if n.purpose == "evaluation"]
    if planned and sum(n.rows_needed for n in planned) < needed:
        owner, due = _evaluation_owner(a)
        actions.append({"data need": _label(planned[0], a.needs.index(planned[0])), "owner": owner, "due": due,
                        "action": f"Plan for at least {needed:,} evaluation rows (rows needed is lower)."})
    return needed, have


def _profile_sample(a: Answers, result: Result, cautions: list[str]) -> dict[str, Any]:
    if a.sample is None:
        result.add("info", "No sample named: profile a few hundred real rows (missing values, duplicates, label "
                           "balance, rater agreement) before trusting the plan's numbers.")
        return {}
    frame = read_sample(a.sample)
    profile = sample_profile(frame, a.label_column, a.second_rater_column, a.date_column, a.id_column)
    name = Path(a.sample).name
    result.metric("Sample rows", profile["rows"])
    result.metric("Sample duplicates", profile["duplicates"])
    result.tables[f"Sample profile: {name}"] = profile["columns"]
    if profile["labels"] is not None:
        result.tables["Label balance in the sample"] = profile["labels"]

    dup, what = profile["duplicates"], (f"repeat a {a.id_column}" if a.id_column else "repeat an earlier row")
    if dup:
        msg = (f"{dup} of the sample's {profile['rows']:,} rows {what} ({profile['rows'] - dup:,} distinct): remove "
               f"them, or one record is counted twice and can land in both training and evaluation.")
        cautions.append(msg)
        result.add("caution", msg)
    unlabelled = profile["unlabelled"]
    if unlabelled:
        msg = (f"{unlabelled} sample rows ({unlabelled / profile['rows']:.1%}) have no {a.label_column!r}: label "
               f"them or drop them before measuring anything.")
        # A handful of blanks is housekeeping; more than a few percent skews every rate measured on the sample.
        level = "caution" if unlabelled / profile["rows"] > MISSING_SHARE_LIMIT else "info"
        if level == "caution":
            cautions.append(msg)
        result.add(level, msg)
    for label, share in profile["rare_labels"]:
        msg = (f"label {label!r} is {share:.1%} of the sample: too rare for the model or the evaluation to see "
               f"enough of it; collect more.")
        cautions.append(msg)
        result.add("caution", msg)
    if profile["dates"]:
        first, last, bad = profile["dates"]
        span = f"The sample runs from {first} to {last}."
        if bad:
            span += f" {bad} {a.date_column!r} values are not dates."
        result.add("info", span)
    kappa = profile.get("kappa")
    if a.second_rater_column:
        pairs = profile["pairs"]
        result.metric("Rows labelled by both raters", pairs)
        if kappa is None:
            msg = (f"too few rows carry both {a.label_column!r} and {a.second_rater_column!r} to measure "
                   f"agreement; have at least 50 rows labelled twice.")
            cautions.append(msg)
            result.add("caution", msg)
        else:
            result.metric("Raters' observed agreement", profile["agreement"], "%")
            result.metric("Raters' agreement, Cohen's κ", round(kappa, 2))
            strength = kappa_strength(kappa)
            if kappa < a.min_kappa:
                msg = (f"the raters agree on {profile['agreement']:.0%} of {pairs} rows, κ = {kappa:.2f} ({strength}), "
                       f"under the {a.min_kappa:g} bar: tighten the labelling guide and relabel before trusting the "
                       f"labels.")
                cautions.append(msg)
                result.add("caution", msg)
            else:
                result.add("go", f"The raters agree on {profile['agreement']:.0%} of {pairs} rows labelled twice; "
                                 f"κ = {kappa:.2f} ({strength}) clears the {a.min_kappa:g} bar.")
    return profile


def _list_actions(actions: list[dict[str, str]], result: Result, cautions: list[str]) -> None:
    if not actions:
        return
    result.tables["Action list: every gap, its owner and date"] = pd.DataFrame({
        "data need": [x["data need"] for x in actions],
        "action": [x["action"] for x in actions],
        "owner": [x["owner"] or "— assign one" for x in actions],
        "due": [x["due"] or "—" for x in actions],
    })
    orphans = sorted({x["data need"] for x in actions if not x["owner"]})
    if orphans:
        msg = f"{len(orphans)} gap(s) have no owner ({', '.join(orphans)}): a gap nobody owns stays open."
        cautions.append(msg)
        result.add("caution", msg)


def _gap_summary(a: Answers, readiness: float, under: list[Slice], needed: int, have: int,
                 cautions: list[str]) -> str:
    gaps = [_label(n, i) for i, n in enumerate(a.needs) if _need_readiness(n) < 1]
    parts = []
    if gaps:
        parts.append(f"{len(gaps)} of {len(a.needs)} data needs have gaps ({', '.join(gaps)})")
    if have < needed:
        parts.append(f"the evaluation set has {have:,} of the {needed:,} rows it needs")
    if under:
        names = ", ".join(s.name or "(unnamed)" for s in under)
        parts.append(f"{len(under)} slice{'s are' if len(under) > 1 else ' is'} under-covered ({names})")
    if not parts:
        return cautions[0]
    text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + (", and " if len(parts) > 2 else " and ") + parts[-1]
    return f"data readiness {format_number(readiness, '%')}: {text}."


# ---- the sample ----------------------------------------------------------------------------------------

def read_sample(path: str | Path) -> pd.DataFrame:
    """The sample CSV as a table; a ``CaseError`` naming the file and what is wrong when it cannot be read."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as exc:
        raise data_error(path, f"cannot read the file ({exc.strerror})") from None
    if stat.st_size > MAX_SAMPLE_BYTES:
        raise data_error(path, f"the file is {stat.st_size:,} bytes; profile a sample of at most "
                               f"{MAX_SAMPLE_BYTES:,} bytes, not the whole warehouse")
    return _read_csv(str(path), stat.st_mtime_ns, stat.st_size).copy()


@functools.lru_cache(maxsize=8)
def _read_csv(path: str, mtime_ns: int, size: int) -> pd.DataFrame:
    # Keyed on modification time and size: the form re-validates on every edit, the file rarely changes.
    # Not UTF-8, binary, empty, rows with more fields than the header: a CaseError from the reader.
    frame = read_csv(path, dtype=str, keep_default_na=True)
    if frame.columns.empty:
        raise data_error(path, "the file has no columns")
    return frame


def sample_profile(frame: pd.DataFrame, label_column: str, second_rater_column: str = "", date_column: str = "",
                   id_column: str = "") -> dict[str, Any]:
    """Rows, missing values per column, duplicates, label balance, date range and rater agreement of a sample."""
    rows = len(frame)
    missing = frame.isna().sum()
    columns = pd.DataFrame({
        "column": [str(c) for c in frame.columns],
        "missing": [int(missing[c]) for c in frame.columns],
        "missing share": [f"{missing[c] / rows:.1%}" if rows else "—" for c in frame.columns],
        "distinct values": [int(frame[c].nunique()) for c in frame.columns],
    })
    duplicates = int(frame.duplicated(subset=[id_column]).sum() if id_column else frame.duplicated().sum())
    profile: dict[str, Any] = {"rows": rows, "columns": columns, "duplicates": duplicates, "labels": None,
                               "unlabelled": 0, "rare_labels": [], "dates": None, "kappa": None, "pairs": 0}
    if label_column in frame.columns:
        labels = frame[label_column]
        counts = labels.value_counts()
        shares = counts / counts.sum() if counts.sum() else counts
        profile["labels"] = pd.DataFrame({"label": [str(i) for i in counts.index], "rows": counts.to_list(),
                                          "share": [f"{s:.1%}" for s in shares]})
        profile["unlabelled"] = int(labels.isna().sum())
        profile["rare_labels"] = [(str(k), float(v)) for k, v in shares.items() if v < RARE_LABEL_SHARE]
    if date_column in frame.columns:
        dates = pd.to_datetime(frame[date_column], errors="coerce", format="mixed")
        valid = dates.dropna()
        if not valid.empty:
            bad = int(dates.isna().sum() - frame[date_column].isna().sum())
            profile["dates"] = (valid.min().date().isoformat(), valid.max().date().isoformat(), bad)
    if second_rater_column in frame.columns and label_column in frame.columns:
        pairs = frame[[label_column, second_rater_column]].dropna()
        profile["pairs"] = len(pairs)
        if len(pairs) >= 2:
            kappa = cohen_kappa(pairs[label_column], pairs[second_rater_column])
            if math.isfinite(kappa):
                profile["kappa"] = float(kappa)
                profile["agreement"] = float((pairs[label_column] == pairs[second_rater_column]).mean())
    return profile


def kappa_strength(kappa: float) -> str:
    """Landis & Koch's (1977) words for a κ: slight, fair, moderate, substantial, almost perfect."""
    for bound, words in ((0.0, "no better than chance"), (0.2, "slight"), (0.4, "fair"), (0.6, "moderate"),
                         (0.8, "substantial")):
        if kappa <= bound:
            return words
    return "almost perfect"


# ---- the datasheet -------------------------------------------------------------------------------------

def datasheet(answers: Answers, title: str = "Data plan") -> str:
    """The plan as a datasheet in Markdown (motivation, composition, collection, labelling, uses, maintenance).

    Write it to a file with ``Path("datasheet.md").write_text(datasheet(answers))`` and edit it from there.
    """
    a = answers
    todo = "_Not written yet._"
    lines = [f"# Datasheet: {_md(title)}", "",
             "_A draft written by aipm-kit from the data plan: check every line before you share it._", ""]

    lines += ["## Motivation", "", a.motivation.strip() or todo, ""]

    lines += ["## Composition", ""]
    if a.needs:
        lines += ["| data need | purpose | status | rows have | rows needed | labelled | personal data | readiness |",
                  "|---|---|---|---:|---:|---|---|---:|"]
        for i, n in enumerate(a.needs):
            pd_text = ("yes, with consent" if n.consent else "yes, NO consent") if n.personal_data else "no"
            lines.append(f"| {_md(_label(n, i))} | {n.purpose} | {n.status} | {n.rows_have:,} | {n.rows_needed:,} | "
                         f"{'yes' if n.labelled else 'no'} | {pd_text} | {_need_readiness(n):.0%} |")
        lines.append("")
    else:
        lines += ["_No data needs listed yet._", ""]
    if a.slices:
        lines += [f"Segments the product must serve (at least {a.min_rows_per_slice:,} labelled rows each):", "",
                  "| dimension | slice | share of traffic | labelled rows | covered |", "|---|---|---:|---:|---|"]
        lines += [f"| {_md(s.dimension)} | {_md(s.name)} | {s.share:.0%} | {s.rows_have:,} | "
                  f"{'yes' if s.rows_have >= a.min_rows_per_slice else 'no'} |" for s in a.slices]
        lines.append("")
    profile: dict[str, Any] = {}
    if a.sample is not None:
        profile = sample_profile(read_sample(a.sample), a.label_column, a.second_rater_column, a.date_column,
                                 a.id_column)
        text = (f"Sample `{_md(Path(a.sample).name)}`: {profile['rows']:,} rows, {len(profile['columns'])} columns, "
                f"{profile['duplicates']} duplicate rows")
        if profile["dates"]:
            text += f", from {profile['dates'][0]} to {profile['dates'][1]}"
        lines += [text + ".", ""]
        if profile["labels"] is not None:
            balance = ", ".join(f"{_md(r.label)} {r.share}" for r in profile["labels"].itertuples())
            lines += [f"Label balance ({_md(a.label_column)}): {balance}.", ""]

    lines += ["## Collection process", ""]
    lines += [f"- **{_md(_label(n, i))}** ({n.purpose}): {_md(n.source) or 'source not named'}; "
              f"refreshed {n.freshness}." for i, n in enumerate(a.needs)]
    lines += ["", a.collection.strip() or todo, ""]

    lines += ["## Labelling", "", a.labelling.strip() or todo, ""]
    if profile.get("kappa") is not None:
        lines += [f"Two raters labelled {profile['pairs']} rows alike {profile['agreement']:.0%} of the time: "
                  f"Cohen's κ = {profile['kappa']:.2f} ({kappa_strength(profile['kappa'])}).", ""]

    lines += ["## Uses", ""]
    for purpose in ("training", "evaluation", "retrieval", "context", "monitoring"):
        names = [_md(_label(n, i)) for i, n in enumerate(a.needs) if n.purpose == purpose]
        if names:
            lines.append(f"- {purpose}: {', '.join(names)}")
    personal = [n for n in a.needs if n.personal_data]
    if personal:
        lines.append("- personal data: " + "; ".join(
            f"{_md(n.name or 'unnamed')} ({'consent in place' if n.consent else 'NO consent: do not use'})"
            for n in personal))
    lines += ["", "Out of scope: " + (a.out_of_scope_uses.strip() or todo), ""]

    lines += ["## Maintenance", ""]
    lines += [f"- **{_md(_label(n, i))}**: owner {_md(n.owner) or 'not assigned'}, refreshed {n.freshness}"
              + (f", gap due {_md(n.due)}" if n.due and _need_readiness(n) < 1 else "")
              for i, n in enumerate(a.needs)]
    lines += ["", a.maintenance.strip() or todo, ""]
    return "\n".join(lines)


def _md(text: str) -> str:
    """User text inside a Markdown table cell or list item: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


# ---- the charts ----------------------------------------------------------------------------------------

_STATUS_COLOURS = {"have": "#1b7f3b", "partial": "#d08c00", "missing": "#b3261e"}


def _readiness_chart(a: Answers, scores: list[float]):
    from ..charts import Figure  # user text drawn as written, never as mathtext

    names = [_label(n, i) for i, n in enumerate(a.needs)]
    fig = Figure(figsize=(7.5, 1.4 + 0.5 * len(names)))
    ax = fig.add_subplot()
    y = range(len(names))
    ax.barh(y, [1] * len(names), color="#eeeeee", height=0.6)
    ax.barh(y, scores, color=[_STATUS_COLOURS[n.status] for n in a.needs], height=0.6)
    for i, (score, need) in enumerate(zip(scores, a.needs)):
        ax.text(1.02, i, f"{score:.0%}  {need.status}, {need.purpose}", va="center", fontsize=9,
                color=_STATUS_COLOURS[need.status])
    ax.set_yticks(list(y), [_short(n, 34) for n in names], fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.5)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1], ["0%", "25%", "50%", "75%", "100%"])
    ax.set_xlabel("readiness (rows in hand ÷ rows needed; 0 if missing or unusable)")
    overall = sum(scores) / len(scores)
    ax.axvline(overall, color="#44546a", ls="--", lw=1)
    ax.set_title(f"Readiness per data need (overall {format_number(overall, '%')}, dashed line)", fontsize=11)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


def _slice_chart(a: Answers):
    from ..charts import Figure  # user text drawn as written, never as mathtext

    ordered = sorted(a.slices, key=lambda s: s.dimension.strip())  # stable: keeps each dimension's own order
    # A blank line between dimensions, so each reads as its own group.
    positions, y, previous = [], 0.0, None
    for s in ordered:
        if previous is not None and s.dimension.strip() != previous:
            y += 0.6
        positions.append(y)
        previous, y = s.dimension.strip(), y + 1
    labels = [f"{s.dimension}: {s.name}" if s.dimension.strip() else s.name for s in ordered]
    rows = [s.rows_have for s in ordered]
    fig = Figure(figsize=(7.5, 1.5 + 0.42 * (y + 1)))
    ax = fig.add_subplot()
    colours = ["#b3261e" if r < a.min_rows_per_slice else "#44546a" for r in rows]
    ax.barh(positions, rows, color=colours, height=0.6)
    top = max([*rows, a.min_rows_per_slice])
    for pos, r, s in zip(positions, rows, ordered):
        ax.text(r + top * 0.015, pos, f"{r:,}  ({s.share:.0%} of traffic)", va="center", fontsize=8.5)
    ax.axvline(a.min_rows_per_slice, color="#b3261e", ls="--", lw=1,
               label=f"minimum {a.min_rows_per_slice:,} rows per slice")
    ax.set_yticks(positions, [_short(t, 34) for t in labels], fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, top * 1.45)
    ax.set_xlabel("labelled rows")
    ax.set_title("Slice coverage: red slices are under the minimum", fontsize=11)
    ax.legend(loc="lower right", fontsize=8.5, frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
