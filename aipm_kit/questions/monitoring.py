"""Question 7 — How do we keep making it better?

An AI product nobody watches gets worse: the traffic drifts away from what it was built and tested on, and
quality drifts with it. This worksheet sets up the watching — a weekly review sample of live traffic, a control
chart of user feedback, drift checks against the launch weeks — and closes the loop by turning every reviewed
failure into a new case in question 6's eval set, so the next model is tested on it before it ships.

Two traps it keeps apart: a rise in the overall rate that only means traffic moved toward a harder segment (the
within-segment change decides, so a mix shift is watched, not rolled back), and a Pareto that counts failures
without weighing them (question 5's severities rank the reviewed failure modes by harm).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import tempfile
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator, ValidationInfo, \
    field_validator, model_validator

from ..case import DataFile
from .monitoring_log import (  # the log's reading lives there; these names stay question 7's public API
    OPTIONAL_COLUMNS,
    Source,
    SqlLog,
    conversation_counts,
    has_conversations,
    log_counts,
    log_numeric,
    log_rows,
    log_weeks,
    _cached_log,
    _check_header,
    _load_log,
    _matches,
    _row,
    needs_sql,
    open_log,
    prepare_log,
    read_log,
    psi_from_counts,
    resolve_location,
    rows_for_ids,
    serialize_location,
    week_rows,
)
from ..result import Result
from ..selfcheck import Check
from ..sources import data_error, read_csv
from ..stats import (
    cochran_mantel_haenszel,
    kish_effective_sample_size,
    kitagawa_decomposition,
    margin_for_sample_size,
    mix_adjusted_limits,
    mix_adjusted_rate,
    p_chart_limits,
    sigmas_for_many_charts,
    psi_noise_level,
    sample_size_for_margin,
)

if TYPE_CHECKING:
    from ..case import Case

LogLocation = Annotated[
    Path,
    PlainValidator(lambda value, info: resolve_location(value, (info.context or {}).get("base_dir")),
                   json_schema_input_type=str),
    PlainSerializer(lambda value, info: serialize_location(value, (info.context or {}).get("base_dir")),
                    return_type=str),
]
"""Where the production log lives: a CSV or Parquet file, a glob of them, or a ``duckdb:///`` or ``sqlite:///``
URL (see ``monitoring_log``); relative to the case file. A file is a ``Path``, a glob or URL a ``str``."""

KEY = "monitoring"
TITLE = "How do we keep making it better?"
STAGE_NEEDED = "launched"  # live traffic to watch exists only after launch; before it, this question plans
PROMOTION_PREVIEW = 10  # rows of the promotion shown in the result; promote() writes them all

LOG_COLUMNS = ("timestamp", "id", "segment", "input", "output", "confidence", "feedback")
REVIEW_COLUMNS = ("id", "failure_mode")  # plus, when present: expected, reviewed, weight, input, output
EVAL_COLUMNS = ("id", "category", "slice", "input", "expected", "output", "passed", "source", "added")
PSI_WATCH, PSI_ACT = 0.10, 0.25  # the usual reading of the population stability index
PSI_BINS = 10
MIX_ALPHA = 0.01  # chi-square p-value under which a change in the segment mix is more than chance …
MIX_EFFECT = 0.10  # … and Cramér's V from which it is big enough to matter (Cohen's "small" effect)
SEGMENT_MIN_NEGATIVE = 5  # negatives a segment needs in the reference weeks for a centre line of its own
SEGMENT_PANELS = 6  # segments drawn as small p-charts (the largest now); the table lists them all
PARETO_SHARE = 0.80  # the "vital few" failure modes explain this share of the failures
SOURCE_PREFIX = "production review"

# The self-check's mix shift: the bundled support-triage log's first and last four weeks, per channel
# (outputs, corrected): chat, email, web form. Every number the check states is computed from these.
_TRAP_BEFORE = ((428, 120), (1451, 111), (2316, 164))
_TRAP_NOW = ((1079, 296), (1304, 99), (1675, 127))


def _trap_numbers() -> dict[str, Any]:
    n1, k1 = np.array(_TRAP_BEFORE, float).T
    n2, k2 = np.array(_TRAP_NOW, float).T
    c1, c2, p1, p2 = n1 / n1.sum(), n2 / n2.sum(), k1 / n1, k2 / n2
    mix, within = kitagawa_decomposition(c1, p1, c2, p2)
    return {"share_before": c1, "share_now": c2, "rate_before": p1, "rate_now": p2,
            "raw_before": k1.sum() / n1.sum(), "raw_now": k2.sum() / n2.sum(),
            "adjusted": mix_adjusted_rate(c1, p2), "mix": mix.sum(), "within": within.sum()}


@functools.cache
def self_check() -> tuple[Check, ...]:
    """The self-check at the end of the notebook; the numbers it quotes come from the kit's own functions."""
    t = _trap_numbers()
    # a review that samples 1 in 10 of the 500 outputs with negative feedback and 1 in 100 of the 3,000 others
    failed = np.array([1] * 20 + [0] * 30 + [1] * 1 + [0] * 29)
    weight = np.array([10.0] * 50 + [100.0] * 30)
    raw, weighted = failed.mean(), float(np.average(failed, weights=weight))
    per_group = (20 / 50 + 1 / 30) / 2
    return (
        Check(f"Corrected suggestions rose from {t['raw_before']:.1%} to {t['raw_now']:.1%} of tickets, past "
              f"the control limit. Per channel: chat {t['rate_before'][0]:.0%} → {t['rate_now'][0]:.0%}, email "
              f"{t['rate_before'][1]:.0%} → {t['rate_now'][1]:.0%}, web form {t['rate_before'][2]:.1%} → "
              f"{t['rate_now'][2]:.1%}; meanwhile chat grew from {t['share_before'][0]:.0%} to "
              f"{t['share_now'][0]:.0%} of tickets. What do you do?",
              ("Roll back the last model change: a rise past the control limit is not chance.",
               f"Retrain on web-form tickets: with +{(t['rate_now'][2] - t['rate_before'][2]) * 100:.1f} points "
               f"they have the largest rise within a channel.",
               f"Work on chat, the channel that grew: at the old mix today's rates give {t['adjusted']:.1%}, so "
               f"the rise is the traffic mix, not a regression."),
              2, f"Kitagawa's split puts {t['mix'] * 100:.1f} of the {(t['raw_now'] - t['raw_before']) * 100:.1f} "
                 f"points on the mix (more chat, where {t['rate_now'][0]:.0%} of suggestions are corrected) and "
                 f"{t['within'] * 100:.1f} within channels. A rollback sends the same traffic to the old model, and "
                 f"chat stays as hard: improve chat routing or send chat to people. The web-form rise is inside its "
                 f"own control limits: watch it."),
        Check("This week 500 outputs got negative feedback and 3,000 did not. The review samples 1 in 10 of the "
              "first (50, of which 20 are failures) and 1 in 100 of the others (30, of which 1 is a failure). "
              "What is the week's failure rate?",
              (f"{raw:.1%}: 21 failures among the 80 outputs reviewed.",
               f"{weighted:.1%}: each reviewed output counts for the outputs it stands for (10 or 100).",
               f"{per_group:.1%}: the average of the two groups' rates, {20 / 50:.0%} and {1 / 30:.1%}."),
              1, f"(20 × 10 + 1 × 100) ÷ (50 × 10 + 30 × 100) = 300 ÷ 3,500 = {weighted:.1%}. Oversampling "
                 f"negative feedback finds more failures per hour of review, but in the raw share an output with "
                 f"negative feedback counts ten times as much as a quiet one, and a plain average of the groups "
                 f"ignores that the quiet group is six times larger."),
        Check("Reviewers find a failure mode nobody had seen before launch, and the prompt is fixed the same day. "
              "Where must the failure end up?",
              ("As new cases in the eval set, so every future version is tested on it before it ships.",
               "In the bug tracker, closed once the fix is confirmed.",
               "On the monitoring dashboard, as a new rate to watch each week."),
              0, "A failure fixed once and never tested again comes back with the next prompt or model change. "
                 "The eval set is the product's memory: promoting reviewed failures keeps it current. A tracker "
                 "forgets once the ticket closes, and a dashboard only notices after users are hit again."),
    )


class Answers(BaseModel):
    """The monitoring worksheet: the production log, how it is read, the weekly review, and the way back."""

    model_config = ConfigDict(extra="forbid")
    # a verdict needs a production log; until then the question is "Not answered"
    NEEDED_FOR_VERDICT: ClassVar[tuple[str, ...]] = ("log",)

    log: LogLocation | None = Field(
        None, description="Production log, one row per output with columns timestamp, id, segment, input, "
                          "output, confidence and feedback (optional: conversation_id): a CSV or Parquet file, a "
                          "glob of them (logs/*.parquet), or a database URL (duckdb:///warehouse.duckdb, "
                          "sqlite:///app.db; ${NAME} reads an environment variable).")
    log_table: str = Field(
        "", description="With a database URL: the table or view that holds the log.")
    log_query: str = Field(
        "", description="With a database URL, instead of log_table: one SELECT that returns the log (it can read "
                        "only that database).", json_schema_extra={"multiline": True})
    log_columns: dict[str, str] = Field(
        default_factory=dict, description="The log's own column names where they differ from the kit's "
                                          "(kit name → theirs, e.g. timestamp: created_at).")
    negative_feedback: str = Field(
        "negative", description="The value in the log's feedback column that means the user rejected or corrected "
                                "the output.")
    feedback_base: Literal["all outputs", "outputs with feedback"] = Field(
        "all outputs", description="What the negative-feedback rate is a share of: every output, or only the "
                                   "outputs that got any feedback.")
    reference_weeks: int = Field(
        4, ge=1, le=26, description="Weeks at the start of the log that set the baseline: the p-chart's centre "
                                    "line and the drift reference.")
    current_weeks: int = Field(
        4, ge=1, le=26, description="Weeks at the end of the log compared with the reference for drift.")
    review_budget: int = Field(100, ge=0, description="Outputs your team can review each week.")
    sampling: Literal["random", "stratified by segment", "oversample risky"] = Field(
        "oversample risky", description="How the weekly review sample is drawn: at random, stratified by "
                                        "segment, or oversampling negative feedback and low confidence.")
    low_confidence: float = Field(
        0.6, ge=0, le=1, description="Confidence under which an output counts as risky (oversampled).")
    oversample: float = Field(
        3, ge=1, le=20, description="How many times likelier a risky output is to be reviewed than another one "
                                    "(with 'oversample risky').")
    target_margin: float = Field(
        0.05, gt=0, le=0.25, description="The ± margin you want on the weekly failure rate the review "
                                         "estimates (0–1).")
    expected_failure_rate: float = Field(
        0.1, gt=0, lt=1, description="The failure rate you expect reviewers to find, for the sample-size "
                                     "calculator (0–1; 0.5 if you have no idea).")
    review_week: str = Field(
        "", description="Week to draw the review sample from (any date in it, YYYY-MM-DD); empty for the "
                        "latest week in the log.")
    seed: int = Field(0, ge=0, description="Seed of the review sample: the same seed and week give the same rows.")
    reviewed_failures: DataFile | None = Field(
        None, description="Reviewers' findings (CSV): id and failure_mode for each failing output, expected (the "
                          "right output) to promote it; optional reviewed (date) and weight.")
    eval_set: DataFile | None = Field(
        None, description="Question 6's eval results file, which reviewed failures are promoted into (read here "
                          "to skip cases it already has).")
    promoted_category: str = Field(
        "edge", description="Category a promoted case gets in the eval set (good, bad, edge, adversarial …).")
    failure_mode_map: dict[str, str] = Field(
        default_factory=dict, description="Reviewed failure mode → question 5's failure mode it is an instance of, "
                                          "where the names differ (names that already match need no entry); "
                                          "question 5's severity then weights the Pareto.")
    owner: str = Field(
        "", description="Who acts on this question's next steps (a person or role); the brief names them.")

    @field_validator("failure_mode_map")
    @classmethod
    def _named_modes(cls, value: dict[str, str]) -> dict[str, str]:
        cleaned = {str(k).strip(): str(v).strip() for k, v in value.items()}
        blank = [k for k, v in cleaned.items() if not k or not v]
        if blank:
            raise ValueError(f"every entry needs a reviewed failure mode and question 5's mode; "
                             f"{blank[0]!r} has an empty side")
        return cleaned

    @field_validator("review_week")
    @classmethod
    def _a_date(cls, value: str) -> str:
        value = value.strip()
        if value:
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                raise ValueError("expected a date as YYYY-MM-DD, or nothing for the latest week") from None
        return value

    @field_validator("log_columns")
    @classmethod
    def _kit_names(cls, value: dict[str, str]) -> dict[str, str]:
        cleaned = {str(k).strip().lower(): str(v).strip() for k, v in value.items()}
        known = LOG_COLUMNS + OPTIONAL_COLUMNS
        unknown = [k for k in cleaned if k not in known]
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not one of the kit's log columns ({', '.join(known)})")
        if any(not v for v in cleaned.values()):
            raise ValueError("every entry needs the log's own column name")
        return cleaned

    @model_validator(mode="after")
    def _log_readable(self) -> Answers:
        """A CSV file's header has the columns (mapped by log_columns); a database URL names what to read. A
        Parquet file, a glob or a database is checked when the log is opened."""
        from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

        def fail(field: str, message: str) -> None:
            raise ValidationError.from_exception_data(type(self).__name__, [InitErrorDetails(
                type=PydanticCustomError("value_error", "{message}", {"message": message}), loc=(field,),
                input=getattr(self, field))])

        if self.log is None:
            if self.log_table or self.log_query:
                fail("log", "log_table and log_query read a database: name its URL in log")
            return self
        address = isinstance(self.log, str) and "://" in self.log
        if address and not (self.log_table.strip() or self.log_query.strip()):
            fail("log_table", "a database log needs log_table (the table or view) or log_query (a SELECT)")
        if address and self.log_table.strip() and self.log_query.strip():
            fail("log_query", "name either log_table or log_query, not both")
        if not address and (self.log_table.strip() or self.log_query.strip()):
            fail("log_table" if self.log_table.strip() else "log_query",
                 "log_table and log_query read a database URL (duckdb:///… or sqlite:///…), not a file")
        if not needs_sql(self.log):
            required = tuple(self.log_columns.get(c, c) for c in LOG_COLUMNS)
            try:
                _check_header(Path(self.log), required, "one row per output", rows=True)
            except ValueError as exc:
                fail("log", str(exc))
        return self

    @field_validator("reviewed_failures")
    @classmethod
    def _review_columns(cls, value: Path | None) -> Path | None:
        if value is not None:
            _check_header(value, REVIEW_COLUMNS, "one row per reviewed failure")
        return value

    @field_validator("eval_set")
    @classmethod
    def _eval_columns(cls, value: Path | None) -> Path | None:
        if value is not None:
            _check_header(value, ("id", "input", "expected", "output"), "question 6's results format")
        return value


def starting_answers(case: Case | None) -> dict:
    """A new worksheet promotes into the eval set question 6 already uses."""
    evaluation = case.answers("evaluation") if case is not None else None
    results = getattr(evaluation, "results_file", None)
    return {"eval_set": results} if results is not None else {}


# What each logged column is for: the checks of this worksheet that read it.
LOG_USES = {
    "timestamp": ("when the output was made", "the week it counts in: the control chart and the drift windows"),
    "id": ("the request's own id", "finding an output again to review it and to promote it into the eval set"),
    "segment": ("the slice the output belongs to", "telling a shift in the traffic mix from a real change"),
    "input": ("what the product was given", "reviewing it; drift in input length"),
    "output": ("what the product answered", "reviewing it; the expected answer of a promoted case"),
    "confidence": ("how sure the product was (0–1)", "oversampling risky outputs for review; drift in confidence"),
    "feedback": ("what the user did with it (kept or corrected it …)", "the weekly rate of negative feedback"),
}
REVIEW_POWER = 0.8  # the chance the weekly review catches the rise the plan names


def plan(answers: Answers, case: Case) -> Result:
    """Before launch: what to log for every output, and how many a week to review to catch the rise that matters.

    The error rate to expect is question 6's measured pass rate (else the planned accuracy); the rise to catch
    is to the error rate the product may not pass (question 6's overall gate, else question 4's accuracy
    needed), else by this worksheet's target margin. The sample is ``stats.sample_size_to_detect_rise``.
    """
    from ..ledger import accuracy_bar, expected_accuracy, measured_accuracy, monthly_volume
    from ..stats import sample_size_to_detect_rise

    stage = case.stage or "idea"
    accuracy = measured_accuracy(case) or expected_accuracy(case)  # question 6 says "Not yet" before a pilot
    if accuracy is not None:
        base, base_source = 1 - accuracy.value, f"1 − {accuracy.source}"
    else:
        base, base_source = answers.expected_failure_rate, "monitoring.expected_failure_rate"
    bar = accuracy_bar(case)
    if bar is not None and 1 - bar.value > base:
        raised, raised_source = 1 - bar.value, f"1 − {bar.source}"
    else:
        raised = min(base + answers.target_margin, 1.0)
        raised_source = f"expected + monitoring.target_margin ({answers.target_margin:.0%})"
    needed = sample_size_to_detect_rise(base, raised, REVIEW_POWER) if 0 <= base < raised else None
    slices = sorted({s.dimension.strip() for s in getattr(case.answers("data"), "slices", []) if s.dimension.strip()})
    uses = dict(LOG_USES)
    if slices:
        uses["segment"] = (f"the slice it belongs to ({', '.join(slices)}: question 3's slices)", uses["segment"][1])
    result = Result.not_yet(KEY, TITLE, "")
    result.tables["What to log for every output, from the first day"] = pd.DataFrame({
        "column": list(uses), "what it holds": [u[0] for u in uses.values()],
        "what it is for": [u[1] for u in uses.values()]})
    volume = monthly_volume(case)
    weekly = volume.value * 12 / 52 if volume is not None else None
    result.metric("Weekly review sample needed", needed, key=True)
    result.metric("Error rate expected", base, "%", key=True)
    result.metric("Error rate to catch", raised, "%")
    result.metric("Weekly review budget", answers.review_budget)
    result.tables["Weekly review sample to plan"] = pd.DataFrame({
        "item": ["error rate expected", "error rate to catch", "chance of catching it in a week",
                 "one-sided test at", "outputs to review a week", "outputs a week (expected)", "review budget a week"],
        "value": [f"{base:.1%}", f"{raised:.1%}", f"{REVIEW_POWER:.0%}", "95%",
                  "—" if needed is None else f"{needed:,}", "—" if weekly is None else f"{weekly:,.0f}",
                  f"{answers.review_budget:,}"],
        "from": [base_source, raised_source, "", "", "stats.sample_size_to_detect_rise",
                 "" if volume is None else f"{volume.source} × 12 ÷ 52", "monitoring.review_budget"],
    })
    lead = (f"Not yet: question 7 starts at launch (the case is at the {stage} stage). Log {', '.join(uses)} for "
            f"every output from the first day")
    if needed is None:
        result.headline = lead + "."
        return result
    result.headline = (f"{lead}, and review {needed:,} outputs a week: enough to catch the error rate rising from "
                       f"{base:.1%} to {raised:.1%} with an {REVIEW_POWER:.0%} chance.")
    if weekly is not None and needed > weekly:
        result.add("caution", f"{needed:,} reviews a week is more than the {weekly:,.0f} outputs a week expected: "
                              f"review every output, or pool two or more weeks before judging a rise.")
    if answers.review_budget < needed:
        result.add("caution", f"The review budget ({answers.review_budget:,} a week) is short of the {needed:,} "
                              f"needed: increase it before launch, or accept missing a rise to {raised:.1%} more often.")
    else:
        result.add("info", f"The review budget ({answers.review_budget:,} a week) covers the {needed:,} needed.")
    return result


def analyze(answers: Answers, case: Case | None = None) -> Result:
    result = Result(KEY, TITLE, verdict="Stable", level="go", headline="")
    stops: list[str] = []
    cautions: list[str] = []
    facts: dict[str, str] = {}

    log = open_answers_log(answers) if answers.log is not None else None
    if log is None:
        stops.append("there is no production log, so nothing is being watched.")
        result.add("stop", "Log every output (timestamp, id, segment, input, output, confidence, feedback) and "
                           "name the file here: without it nobody sees the product degrade.")
    else:
        result.metric("Outputs in the log", log_rows(log))
        result.metric("Weeks in the log", len(log_weeks(log)))
        _watch_feedback(answers, log, result, stops, cautions, facts)
        _check_drift(answers, log, result, cautions, facts)
        _plan_review(answers, log, result, cautions)
    _close_the_loop(answers, log, case, result, cautions)
    _decide(result, stops, cautions, facts)
    return result


# ---- reading the log ---------------------------------------------------------------------------------------

def open_answers_log(a: Answers) -> pd.DataFrame | SqlLog:
    """The worksheet's log: a CSV file read into memory by the kit's checked reader (a DataFrame), or anything
    else (Parquet, a glob, a database) opened through DuckDB (a ``SqlLog``: counts computed in SQL)."""
    mapping = tuple(sorted(a.log_columns.items()))
    if needs_sql(a.log):
        try:
            import duckdb  # noqa: F401
        except ImportError:
            if not isinstance(a.log, Path):
                from ..case import CaseError

                raise CaseError("reading a glob or a database needs DuckDB: pip install 'aipm-kit[db]'", None, KEY,
                                "log") from None
            return _load_log(Path(a.log), mapping)  # one Parquet file: pandas and pyarrow, as before
        return open_log(Source(str(a.log), a.log_table.strip(), a.log_query.strip(), mapping))
    return _load_log(Path(a.log), mapping)


# ---- watching feedback: the p-chart ------------------------------------------------------------------------

def weekly_feedback(log: pd.DataFrame, negative: str, base: str = "all outputs",
                    reference_weeks: int = 4) -> pd.DataFrame:
    """Negative feedback per week on a p-chart: ``week``, ``outputs`` (n), ``negative``, ``rate``, ``centre``,
    ``lower``, ``upper`` and ``signal`` (``above`` / ``below`` the 3-sigma limits, else empty).

    The centre line p̄ is the rate over the first ``reference_weeks`` weeks (the baseline), and each week's
    limits are p̄ ± 3√(p̄(1−p̄)/n) for that week's n, so a quiet week is not flagged for being small.
    """
    a = Answers.model_construct(negative_feedback=negative, feedback_base=base)
    weeks, _, n_by_segment, k_by_segment = _by_segment(log, a)
    n, k = n_by_segment.sum(axis=1).astype(int), k_by_segment.sum(axis=1).astype(int)
    ref = slice(0, min(reference_weeks, len(weeks)))
    centre = k[ref].sum() / n[ref].sum() if n[ref].sum() else np.nan
    lower, upper = p_chart_limits(centre, n) if not np.isnan(centre) else (np.full(len(n), np.nan),) * 2
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n > 0, k / np.maximum(n, 1), np.nan)
    signal = np.select([rate > upper, rate < lower], ["above", "below"], "")
    return pd.DataFrame({"week": list(weeks), "outputs": n, "negative": k, "rate": rate,
                         "centre": centre, "lower": lower, "upper": upper, "signal": signal})


def _watch_feedback(a: Answers, log: pd.DataFrame, result: Result, stops: list[str], cautions: list[str],
                    facts: dict[str, str]) -> None:
    chart = weekly_feedback(log, a.negative_feedback, a.feedback_base, a.reference_weeks)
    if chart["negative"].sum() == 0:
        seen = log_counts(log).groupby("feedback")["outputs"].sum().sort_values(ascending=False, kind="stable")
        values = ", ".join(repr(v) for v in seen.index[:5] if str(v)) or "none"
        msg = (f"no output has the feedback {a.negative_feedback!r} (the log's values: {values}): set "
               f"negative_feedback to the value that means the user rejected the output.")
        cautions.append(msg)
        result.add("caution", msg)
    weeks = len(chart)
    centre = float(chart["centre"].iloc[0])
    reference = min(a.reference_weeks, weeks)
    current = chart.iloc[max(weeks - a.current_weeks, reference):]  # never a reference week
    rate_now = current["negative"].sum() / max(current["outputs"].sum(), 1) if len(current) else np.nan
    segments = _by_segment(log, a)
    chart = _add_mix_adjusted(chart, segments, reference)
    result.metric("Negative feedback, reference weeks (centre line)", centre, "%")
    result.metric("Negative feedback, current weeks", float(rate_now), "%", key=True)
    above, below = chart[chart["signal"] == "above"], chart[chart["signal"] == "below"]
    result.metric("Weeks above the control limit", len(above))
    result.tables["Negative feedback per week (p-chart)"] = pd.DataFrame({
        "week of": chart["week"].astype(str),
        "outputs": chart["outputs"],
        "negative": chart["negative"],
        "rate (%)": (chart["rate"] * 100).round(1),
        "lower limit (%)": (chart["lower"] * 100).round(1),
        "upper limit (%)": (chart["upper"] * 100).round(1),
        "signal": chart["signal"].replace({"above": "above ▲", "below": "below ▼"}),
        "at the reference mix (%)": (chart["adjusted"] * 100).round(1),
        "its upper limit (%)": (chart["adjusted upper"] * 100).round(1),
    })
    result.figures["Negative feedback per week (p-chart)"] = _p_chart_figure(chart, a)
    result.data["weekly_feedback"] = json_records(chart.assign(week=chart["week"].astype(str)))
    if has_conversations(log):
        _per_conversation(a, log, chart, current, result)
    if weeks < a.reference_weeks + 1:
        msg = (f"the log covers {weeks} week{'s' if weeks != 1 else ''}, no more than the {a.reference_weeks} "
               f"reference weeks: there is nothing yet to compare with the baseline.")
        cautions.append(msg)
        result.add("caution", msg)
        return

    per_segment = segment_feedback(log, a.negative_feedback, a.feedback_base, a.reference_weeks)
    now_weeks = set(current["week"])
    seg_now = per_segment[per_segment["week"].isin(now_weeks) & (per_segment["signal"] == "above")]
    seg_before = per_segment[~per_segment["week"].isin(now_weeks) & (per_segment["signal"] == "above")]
    adjusted_now = chart[chart["week"].isin(now_weeks) & (chart["adjusted signal"] == "above")]
    raw_now = current[current["signal"] == "above"]
    change, parts = mix_change(log, a.negative_feedback, a.feedback_base, a.reference_weeks, a.current_weeks)
    _show_segments(per_segment, now_weeks, result)
    if parts:
        result.metric("Negative feedback, current weeks, at the reference mix", parts["adjusted_rate"], "%",
                      key=True)
        result.tables["Change in negative feedback: traffic mix and within segments (Kitagawa)"] = change
        result.data["mix_adjustment"] = {**parts, "segments": json_records(change)}
        result.add("info", _decomposition_text(parts))
    word = a.negative_feedback.strip() or "negative"

    if len(seg_now) or len(adjusted_now):
        msg = _within_rise_text(seg_now, adjusted_now, current, parts, rate_now, centre, raw_now.empty)
        stops.append(msg)
        result.add("stop", msg + ". A change of traffic mix does not do this: find what changed, read the week's "
                                 "review sample, and fix or roll back.")
        facts["signal"] = msg
    elif len(raw_now) and parts and parts["mix"] > parts["within"]:
        msg = _mix_only_text(parts, change, rate_now, centre, word)
        cautions.append(msg)
        result.add("caution", msg)
        facts["mix_explains"] = msg
    elif len(raw_now) and parts:  # past the overall limit, though neither the segments nor the mix-adjusted rate is
        msg = (f"negative feedback is above its control limit in {len(raw_now)} of the last {len(current)} weeks "
               f"({rate_now:.1%} against {centre:.1%}), though no segment is past its own limit and the rate at the "
               f"reference mix ({parts['adjusted_rate']:.1%}) is within its limits: of the "
               f"{_points(parts['current_rate'] - parts['reference_rate'])} points, {_points(parts['mix'])} are the "
               f"mix and {_points(parts['within'])} within segments. Read this week's review sample before it grows.")
        cautions.append(msg)
        result.add("caution", msg)
    elif len(raw_now):  # no segment was charted: the raw chart is all there is
        msg = (f"negative feedback is above its control limit in {len(raw_now)} of the last {len(current)} weeks "
               f"({rate_now:.1%} against a {centre:.1%} centre line)")
        stops.append(msg)
        result.add("stop", msg + ". Chance alone does not do this: find what changed, read the week's review "
                                 "sample, and fix or roll back.")
        facts["signal"] = msg
    elif parts and parts["p"] < MIX_ALPHA and parts["excess"] > 0:
        top = change.iloc[:-1].sort_values("within (points)", ascending=False).iloc[0]
        msg = (f"within segments negative feedback rose beyond chance over the current weeks ("
               f"{parts['adjusted_rate']:.1%} at the reference mix against {parts['reference_rate']:.1%}; "
               f"Cochran–Mantel–Haenszel p {_p_text(parts['p'])}), though no week broke a control limit: read "
               f"the review sample of {top['segment']} ({top['reference rate (%)']:.1f}% → "
               f"{top['current rate (%)']:.1f}%) before it grows.")
        cautions.append(msg)
        result.add("caution", msg)
    earlier = above[~above["week"].isin(now_weeks)]
    if len(earlier) or len(seg_before):
        where = _weeks_text(seg_before, dated=not set(seg_before["week"]) <= set(earlier["week"]))
        if len(earlier):
            msg = (f"negative feedback went above its control limit in {len(earlier)} earlier week"
                   f"{'s' if len(earlier) > 1 else ''} ({', '.join(f'{w:%d %b}' for w in earlier['week'])}"
                   f"{'; within ' + where if where else ''}) but is back within the limits now: make sure the "
                   f"cause was found, not just outlasted.")
        else:
            msg = (f"negative feedback within {where} went above its control limit but is back within its limits "
                   f"now: make sure the cause was found, not just outlasted.")
        cautions.append(msg)
        result.add("caution", msg)
    if not (len(seg_now) or len(adjusted_now) or len(raw_now) or len(earlier) or len(seg_before)):
        result.add("go", f"Negative feedback stayed within its 3-sigma limits in all {weeks} weeks, overall and "
                         f"in each charted segment (centre line {centre:.1%}).")
    if len(below):
        msg = (f"negative feedback fell below the lower limit in {len(below)} week"
               f"{'s' if len(below) > 1 else ''} ({', '.join(f'{w:%d %b}' for w in below['week'])}): better "
               f"quality, or a broken feedback button? Check that feedback still reaches the log.")
        cautions.append(msg)
        result.add("caution", msg)


def _per_conversation(a: Answers, log: pd.DataFrame | SqlLog, chart: pd.DataFrame, current: pd.DataFrame,
                      result: Result) -> None:
    """Rates per conversation beside the rates per turn: a conversation failed when any of its turns got the
    negative feedback, and it counts in the week of its first turn."""
    talks = conversation_counts(log, a.negative_feedback, a.feedback_base)
    table = chart[["week", "outputs", "negative", "rate"]].merge(talks, on="week", how="left",
                                                                  suffixes=(" turns", " conversations"))
    table = table.fillna({"outputs conversations": 0, "negative conversations": 0})
    with np.errstate(divide="ignore", invalid="ignore"):
        per_talk = table["negative conversations"] / table["outputs conversations"].where(
            table["outputs conversations"] > 0)
    now = table[table["week"].isin(set(current["week"]))]
    rate_now = now["negative conversations"].sum() / max(now["outputs conversations"].sum(), 1)
    result.metric("Conversations with negative feedback, current weeks", float(rate_now), "%", key=True)
    result.tables["Negative feedback per week: per turn and per conversation"] = pd.DataFrame({
        "week of": table["week"].astype(str),
        "turns": table["outputs turns"].astype(int),
        "negative turns": table["negative turns"].astype(int),
        "per turn (%)": (table["rate"] * 100).round(1),
        "conversations": table["outputs conversations"].astype(int),
        "with a negative turn": table["negative conversations"].astype(int),
        "per conversation (%)": (per_talk * 100).round(1),
    })
    result.data["conversations"] = json_records(pd.DataFrame({
        "week": table["week"].astype(str), "turns": table["outputs turns"], "negative_turns": table["negative turns"],
        "conversations": table["outputs conversations"].astype(int),
        "failed_conversations": table["negative conversations"].astype(int), "rate": per_talk}))
    result.add("info", f"Per conversation, {rate_now:.1%} of the current weeks' conversations had a turn with "
                       f"{a.negative_feedback.strip() or 'the negative'} feedback (a conversation fails when any turn "
                       f"does); the charts count turns.")


# ---- the traffic mix: per-segment charts, the mix-adjusted rate, Kitagawa's split -------------------------

def _by_segment(log: pd.DataFrame | SqlLog, a: Answers) -> tuple[list[dt.date], list[str], np.ndarray, np.ndarray]:
    """(weeks, segments, n, k): outputs counted and negative ones per week × segment, from the log's counts per
    week × segment × feedback value (computed in SQL for a database log)."""
    counts = log_counts(log)
    weeks = sorted(set(counts["week"]))
    names = sorted(set(counts["segment"]))
    feedback = counts["feedback"].astype(str).str.strip().str.casefold()
    outputs = counts["outputs"].to_numpy(float)
    is_negative = (feedback == a.negative_feedback.strip().casefold()).to_numpy()
    counted = np.ones(len(counts), bool) if a.feedback_base == "all outputs" else (feedback != "").to_numpy()
    size = len(weeks) * len(names)
    flat = pd.Index(weeks).get_indexer(counts["week"]) * len(names) + pd.Index(names).get_indexer(counts["segment"])
    n = np.bincount(flat, weights=outputs * counted, minlength=size).reshape(len(weeks), len(names)).astype(int)
    k = np.bincount(flat, weights=outputs * (is_negative & counted),
                    minlength=size).reshape(len(weeks), len(names)).astype(int)
    used = n.sum(axis=0) > 0
    return (list(weeks), [m for m, u in zip(names, used) if u], n[:, used], k[:, used])


def segment_feedback(log: pd.DataFrame, negative: str, base: str = "all outputs",
                     reference_weeks: int = 4) -> pd.DataFrame:
    """A p-chart per segment, one row per segment and week: ``segment``, ``week``, ``outputs``, ``negative``,
    ``rate``, ``centre`` (the segment's own rate in the reference weeks), ``lower``, ``upper``, ``signal`` and
    ``charted``.

    A segment is charted when its reference weeks hold at least ``SEGMENT_MIN_NEGATIVE`` negative outputs:
    with fewer, its centre line is too uncertain to judge a week against (a centre of 0 would flag any one
    negative). Limits are the segment's centre ± z√(p̄(1−p̄)/n) for its n that week, with z = 3 for one charted
    segment and wider for several (:func:`sigmas_for_many_charts`: 3.32 for three, 3.51 for six), so charting
    twenty segments does not make a false "Act now" twenty times likelier.
    """
    a = Answers.model_construct(negative_feedback=negative, feedback_base=base)
    weeks, names, n, k = _by_segment(log, a)
    ref = min(reference_weeks, len(weeks))
    n_ref, k_ref = n[:ref].sum(axis=0), k[:ref].sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = np.where(n_ref > 0, k_ref / np.maximum(n_ref, 1), np.nan)
        rate = np.where(n > 0, k / np.maximum(n, 1), np.nan)
    charted = k_ref >= SEGMENT_MIN_NEGATIVE
    # one alarm rule over many segments: widen each chart so a false alarm somewhere stays as rare as on one
    lower, upper = p_chart_limits(np.nan_to_num(centre), n, sigmas_for_many_charts(max(int(charted.sum()), 1)))
    lower, upper = np.where(charted, lower, np.nan), np.where(charted, upper, np.nan)
    signal = np.select([charted & (rate > upper), charted & (rate < lower)], ["above", "below"], "")
    rows, cols = len(weeks), len(names)
    return pd.DataFrame({
        "segment": np.tile(np.array(names, dtype=object), rows),
        "week": np.repeat(np.array(weeks, dtype=object), cols),
        "outputs": n.ravel(), "negative": k.ravel(), "rate": rate.ravel(),
        "centre": np.tile(centre, rows), "lower": lower.ravel(), "upper": upper.ravel(),
        "signal": signal.ravel(), "charted": np.tile(charted, rows),
    })


def _add_mix_adjusted(chart: pd.DataFrame, segments: tuple, reference: int) -> pd.DataFrame:
    """The p-chart's weeks with the rate each week's segment rates give at the reference weeks' mix, and its
    own control limits (:func:`mix_adjusted_limits`): above them, rates rose within segments."""
    _, _, n, k = segments
    n_ref, k_ref = n[:reference].sum(axis=0), k[:reference].sum(axis=0)
    if n_ref.sum() == 0:
        nothing = np.full(len(chart), np.nan)
        return chart.assign(**{"adjusted": nothing, "adjusted upper": nothing, "adjusted signal": ""})
    share = n_ref / n_ref.sum()
    centre_rate = np.where(n_ref > 0, k_ref / np.maximum(n_ref, 1), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n > 0, k / np.maximum(n, 1), np.nan)
    adjusted = mix_adjusted_rate(share, rate)
    _, lower, upper = mix_adjusted_limits(share, centre_rate, n)
    signal = np.select([adjusted > upper, adjusted < lower], ["above", "below"], "")
    return chart.assign(**{"adjusted": adjusted, "adjusted upper": upper, "adjusted signal": signal})


def mix_change(log: pd.DataFrame, negative: str, base: str = "all outputs", reference_weeks: int = 4,
               current_weeks: int = 4) -> tuple[pd.DataFrame, dict[str, float]]:
    """How the negative-feedback rate changed from the reference weeks to the current ones, split into the
    traffic mix and the segments' own rates (:func:`kitagawa_decomposition`), with the stratified test of the
    within-segment change (:func:`cochran_mantel_haenszel`).

    The current weeks are the last ``current_weeks`` after the reference weeks. Returns a table with one row
    per segment and a final "all segments" row, and a summary: ``reference_rate``, ``current_rate``,
    ``adjusted_rate`` (the current segment rates at the reference mix), ``mix``, ``within``, ``statistic``,
    ``p``, ``odds_ratio``, ``excess``; an empty summary when there is nothing to compare.
    """
    a = Answers.model_construct(negative_feedback=negative, feedback_base=base)
    weeks, names, n, k = _by_segment(log, a)
    ref = min(reference_weeks, len(weeks))
    start = max(len(weeks) - current_weeks, ref)
    n1, k1, n2, k2 = n[:ref].sum(axis=0), k[:ref].sum(axis=0), n[start:].sum(axis=0), k[start:].sum(axis=0)
    columns = ["segment", "reference share (%)", "current share (%)", "reference rate (%)", "current rate (%)",
               "mix (points)", "within (points)"]
    if start >= len(weeks) or n1.sum() == 0 or n2.sum() == 0:
        return pd.DataFrame(columns=columns), {}
    c1, c2 = n1 / n1.sum(), n2 / n2.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p2 = np.where(n1 > 0, k1 / np.maximum(n1, 1), np.nan), np.where(n2 > 0, k2 / np.maximum(n2, 1), np.nan)
    mix, within = kitagawa_decomposition(c1, p1, c2, p2)
    test = cochran_mantel_haenszel(k2, n2, k1, n1)
    r1, r2 = k1.sum() / n1.sum(), k2.sum() / n2.sum()
    table = pd.DataFrame({
        "segment": names + ["all segments"],
        "reference share (%)": np.append(c1 * 100, 100).round(1),
        "current share (%)": np.append(c2 * 100, 100).round(1),
        "reference rate (%)": np.append(p1 * 100, r1 * 100).round(1),
        "current rate (%)": np.append(p2 * 100, r2 * 100).round(1),
        "mix (points)": np.append(mix * 100, mix.sum() * 100).round(2),
        "within (points)": np.append(within * 100, within.sum() * 100).round(2),
    }, columns=columns)
    summary = {"reference_rate": float(r1), "current_rate": float(r2),
               "adjusted_rate": float(mix_adjusted_rate(c1, p2)), "mix": float(mix.sum()),
               "within": float(within.sum()), **{key: float(v) for key, v in test.items()}}
    return table, summary


def _show_segments(per_segment: pd.DataFrame, now_weeks: set, result: Result) -> None:
    now = per_segment[per_segment["week"].isin(now_weeks)]
    rows = []
    for name, weeks in now.groupby("segment", sort=False):
        first = weeks.iloc[0]
        worst = weeks.loc[(weeks["rate"] - weeks["upper"]).fillna(-np.inf).idxmax()]
        n_now, k_now = int(weeks["outputs"].sum()), int(weeks["negative"].sum())
        above = int((weeks["signal"] == "above").sum())
        reading = ("not charted: too few negatives in the reference weeks" if not first["charted"] else
                   f"above its limit in {above} week{'s' if above > 1 else ''}" if above else "within its limits")
        rows.append({"segment": name, "centre (%)": round(first["centre"] * 100, 1),
                     "current outputs": n_now, "current rate (%)": round(k_now / n_now * 100, 1) if n_now else np.nan,
                     "worst week (%)": round(worst["rate"] * 100, 1),
                     "its upper limit (%)": round(worst["upper"] * 100, 1), "reading": reading})
    table = pd.DataFrame(rows).sort_values("current outputs", ascending=False, kind="stable").reset_index(drop=True)
    result.metric("Segments above their control limit now", int((table["reading"].str.startswith("above")).sum()),
                  key=False)
    result.tables["Negative feedback per segment, current weeks (p-chart per segment)"] = table
    result.figures["Negative feedback per segment (p-charts)"] = _segment_chart_figure(per_segment, table)
    result.data["segment_feedback"] = json_records(per_segment.assign(week=per_segment["week"].astype(str)))


def _decomposition_text(parts: dict[str, float]) -> str:
    rise = parts["current_rate"] - parts["reference_rate"]
    test = (f"the stratified test finds no change within segments (Cochran–Mantel–Haenszel p "
            f"{_p_text(parts['p'])})" if not parts["p"] < MIX_ALPHA else
            f"the stratified test finds a change within segments (Cochran–Mantel–Haenszel p {_p_text(parts['p'])}, "
            f"odds ratio {parts['odds_ratio']:.2f})") if not np.isnan(parts["p"]) else "no segment can be tested"
    return (f"From the reference to the current weeks negative feedback went from {parts['reference_rate']:.1%} to "
            f"{parts['current_rate']:.1%} ({_points(rise)} points): {_points(parts['mix'])} from the traffic "
            f"mix and {_points(parts['within'])} within segments (Kitagawa's split). At the reference weeks' mix "
            f"today's segment rates give {parts['adjusted_rate']:.1%}, and {test}.")


def _mix_only_text(parts: dict[str, float], change: pd.DataFrame, rate_now: float, centre: float,
                   word: str) -> str:
    segments = change.iloc[:-1]
    grower = segments.loc[segments["mix (points)"].idxmax()]
    riser = segments.loc[segments["within (points)"].idxmax()]
    rise = (f"the largest rise, {riser['segment']} {riser['reference rate (%)']:.1f}% → "
            f"{riser['current rate (%)']:.1f}%, is inside its limits" if riser["within (points)"] > 0 else
            "no segment's rate rose")
    return (f"negative feedback rose from {centre:.1%} to {rate_now:.1%}, past its control limit, but the traffic "
            f"mix did it: {grower['segment']} grew from {grower['reference share (%)']:.0f}% to "
            f"{grower['current share (%)']:.0f}% of outputs ({grower['segment']}: "
            f"{grower['current share (%)']:.0f}% of traffic, {grower['current rate (%)']:.0f}% {word}, against "
            f"{grower['reference rate (%)']:.0f}% in the reference weeks). Within segments the rate stayed inside its "
            f"control limits ({parts['adjusted_rate']:.1%} at the reference weeks' mix; {rise}), so a rollback would "
            f"not help: act on {grower['segment']}.")


def _within_rise_text(seg_now: pd.DataFrame, adjusted_now: pd.DataFrame, current: pd.DataFrame,
                      parts: dict[str, float], rate_now: float, centre: float, raw_quiet: bool) -> str:
    if len(seg_now):
        worst = seg_now.loc[(seg_now["rate"] - seg_now["upper"]).groupby(seg_now["segment"]).idxmax()]
        named = "; ".join(f"{r['segment']} {r['rate']:.1%} in the week of {r['week']:%d %b} against its "
                          f"{r['centre']:.1%} centre line (limit {r['upper']:.1%})" for _, r in worst.iterrows())
        weeks = seg_now["week"].nunique()
        msg = (f"negative feedback within a segment is above its control limit in {weeks} of the last "
               f"{len(current)} weeks: {named}")
    else:
        first = adjusted_now.iloc[0]
        msg = (f"negative feedback at the reference weeks' mix is above its control limit in {len(adjusted_now)} of "
               f"the last {len(current)} weeks (from the week of {first['week']:%d %b %Y}: "
               f"{first['adjusted']:.1%}, limit {first['adjusted upper']:.1%}): rates rose within segments, not "
               f"just the traffic mix")
    if raw_quiet and parts and parts["mix"] < 0:
        msg += (f"; the overall rate hides it ({rate_now:.1%} against {centre:.1%}) because traffic moved toward "
                f"segments with fewer complaints ({_points(parts['mix'])} points from the mix)")
    return msg


def _weeks_text(signals: pd.DataFrame, dated: bool = True) -> str:
    """'web form (13 Oct), chat (20 Oct, 27 Oct)' for the segments' weeks above their limits (names only when
    the weeks are already named)."""
    return ", ".join(f"{name} ({', '.join(f'{w:%d %b}' for w in rows['week'])})" if dated else str(name)
                     for name, rows in signals.groupby("segment", sort=False))


def _points(share: float) -> str:
    """A change in percentage points with its sign, never '-0.0'."""
    value = round(share * 100, 1)
    return f"{value + 0.0:+.1f}"


# ---- drift: reference weeks against current weeks ----------------------------------------------------------

def drift_windows(log: pd.DataFrame, reference_weeks: int, current_weeks: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows of the first ``reference_weeks`` weeks and of the last ``current_weeks`` weeks."""
    weeks = np.sort(log["week"].unique())
    reference = log[log["week"] <= weeks[min(reference_weeks, len(weeks)) - 1]]
    current = log[log["week"] >= weeks[max(len(weeks) - current_weeks, 0)]]
    return reference, current


def segment_mix(reference: pd.DataFrame, current: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, float]]:
    """Segment counts and shares in both windows, and the chi-square test of the 2 × k table.

    Returns the table and ``{"chi2", "p", "dof", "cramers_v"}`` (scipy's ``chi2_contingency`` and
    ``contingency.association``). With hundreds of thousands of rows any change is "significant": Cramér's V
    says whether it is big enough to matter.
    """
    return _segment_mix(reference["segment"].value_counts(), current["segment"].value_counts())


def _segment_mix(ref: pd.Series, cur: pd.Series) -> tuple[pd.DataFrame, dict[str, float]]:
    """:func:`segment_mix` from the outputs per segment in each window."""
    from scipy.stats import chi2_contingency
    from scipy.stats.contingency import association

    n_ref, n_cur = int(ref.sum()), int(cur.sum())
    table = pd.concat([ref, cur], axis=1, keys=["reference", "current"]).fillna(0).astype(int)
    table = table[table.sum(axis=1) > 0].sort_values("reference", ascending=False, kind="stable")
    mix = pd.DataFrame({
        "segment": table.index.astype(str),
        "reference": table["reference"].to_numpy(),
        "reference share (%)": (table["reference"] / max(n_ref, 1) * 100).round(1).to_numpy(),
        "current": table["current"].to_numpy(),
        "current share (%)": (table["current"] / max(n_cur, 1) * 100).round(1).to_numpy(),
    })
    mix["change (points)"] = (mix["current share (%)"] - mix["reference share (%)"]).round(1)
    if len(table) < 2 or n_ref == 0 or n_cur == 0:
        return mix, {"chi2": np.nan, "p": np.nan, "dof": 0, "cramers_v": np.nan}
    observed = table.to_numpy().T
    test = chi2_contingency(observed, correction=False)
    return mix, {"chi2": float(test.statistic), "p": float(test.pvalue), "dof": int(test.dof),
                 "cramers_v": float(association(observed, method="cramer"))}


def _check_drift(a: Answers, log: pd.DataFrame | SqlLog, result: Result, cautions: list[str],
                 facts: dict[str, str]) -> None:
    all_weeks = log_weeks(log)
    weeks = len(all_weeks)
    if weeks < a.reference_weeks + a.current_weeks:
        msg = (f"the log's {weeks} weeks cannot hold {a.reference_weeks} reference and {a.current_weeks} current "
               f"weeks without overlap: drift is judged when there are {a.reference_weeks + a.current_weeks}.")
        cautions.append(msg)
        result.add("caution", msg)
        return
    reference_end = all_weeks[min(a.reference_weeks, weeks) - 1]
    current_start = all_weeks[max(weeks - a.current_weeks, 0)]
    counts = log_counts(log)
    mix, test = _segment_mix(counts[counts["week"] <= reference_end].groupby("segment")["outputs"].sum(),
                             counts[counts["week"] >= current_start].groupby("segment")["outputs"].sum())

    rows = []
    if not np.isnan(test["p"]):
        shifted = test["p"] < MIX_ALPHA and test["cramers_v"] >= MIX_EFFECT
        biggest = mix.loc[mix["change (points)"].abs().idxmax()]
        verb = "grew" if biggest["change (points)"] > 0 else "fell"
        move = (f"{biggest['segment']} {verb} from {biggest['reference share (%)']:.0f}% to "
                f"{biggest['current share (%)']:.0f}% of outputs")
        rows.append(("segment mix", "chi-square p-value", _p_text(test["p"]),
                     f"Cramér's V {test['cramers_v']:.2f}", "shifted" if shifted else "stable"))
        result.metric("Segment mix shift (Cramér's V)", round(test["cramers_v"], 3))
        if shifted:
            msg = (f"the segment mix has shifted ({move}; chi-square p {_p_text(test['p'])}, Cramér's V "
                   f"{test['cramers_v']:.2f})")
            cautions.append(msg + ": check each segment's quality, and add its cases to the eval set.")
            result.add("caution", msg + ". Check quality per segment, and add the growing segment's "
                                                   "cases to the eval set.")
            facts["mix"] = move
        else:
            result.add("go", f"The segment mix is stable (largest change: {move}; Cramér's V "
                             f"{test['cramers_v']:.2f}).")
    numeric = {column: log_numeric(log, column.replace(" ", "_"), reference_end, current_start, PSI_BINS)
               for column in ("confidence", "input length")}
    n_reference, n_current = numeric["confidence"]["n_reference"], numeric["confidence"]["n_current"]
    noise = psi_noise_level(n_reference, n_current, PSI_BINS)
    psis: dict[str, float] = {}
    for column, binned in numeric.items():
        psi = psi_from_counts(binned["reference"], binned["current"])
        psis[column] = psi
        reading = ("major shift" if psi >= PSI_ACT else "moderate shift" if psi >= PSI_WATCH else
                   "stable" if psi > noise else "stable (within noise)")
        rows.append((column, "PSI", f"{psi:.3f}", f"noise level {noise:.3f}", reading))
        result.metric(f"PSI, {column}", round(psi, 3))
        mean_ref, mean_cur = binned["mean_reference"], binned["mean_current"]
        direction = "lower" if mean_cur < mean_ref else "higher"
        change = f"mean {mean_ref:,.2f} → {mean_cur:,.2f}" if column == "confidence" else \
            f"mean {mean_ref:,.0f} → {mean_cur:,.0f} characters"
        if psi >= PSI_WATCH and psi > noise:
            meaning = ("the model is less sure of today's traffic than of the launch weeks'" if column == "confidence"
                       and direction == "lower" else "the model now sees inputs unlike the ones it was tested on")
            msg = f"{column} has drifted {direction} (PSI {psi:.2f}, a {reading}; {change}): {meaning}."
            cautions.append(msg)
            result.add("caution", msg)
        elif psi >= PSI_WATCH:
            result.add("info", f"{column} PSI is {psi:.2f}, but samples this small reach "
                               f"{noise:.2f} by chance alone: collect more weeks before reading it.")
        else:
            result.add("go", f"{column} is stable (PSI {psi:.3f}; {change}).")
    result.add("info", f"The PSI's sample-size caveat: with {n_reference:,} reference and {n_current:,} "
                       f"current outputs, chance alone gives a PSI up to {noise:.3f} (95%; it shrinks as "
                       f"1/N + 1/M), so a small value means nothing with small windows, and with very large ones "
                       f"even a harmless shift is detectable: read it against 0.1 and 0.25, not against zero.")
    result.tables["Segment mix, reference vs current weeks"] = mix
    result.tables["Drift checks"] = pd.DataFrame(rows, columns=["what", "test", "value", "context", "reading"])
    result.figures["Drift, reference vs current weeks"] = _drift_figure(mix, numeric, psis)
    result.data["drift"] = {"segment_mix": test, "psi": psis, "psi_noise_level": noise,
                            "reference_rows": n_reference, "current_rows": n_current}


# ---- the weekly review sample ------------------------------------------------------------------------------

def review_sample(source: Case | Answers, week: str | dt.date | None = None,
                  log: pd.DataFrame | None = None) -> pd.DataFrame:
    """This week's review sample: ``review_budget`` outputs drawn as ``sampling`` says, each with its stratum,
    its inclusion probability and its weight (1 / probability), plus empty columns for the reviewer.

    Reproducible: the same log, seed and week give the same rows in any file order, and from a CSV file, a
    Parquet file or a database table alike (the draw is seeded numpy over the week's outputs ordered by id, then
    time). ``week`` is any date in the week (default: the answers' ``review_week``, else the latest week); ``log``
    a log already read. A log with conversations draws whole conversations: ``review_budget`` of them, each with
    every turn it has, a turn's weight being its conversation's.
    """
    a = _answers(source)
    if log is None:
        if a.log is None:
            raise ValueError("monitoring.log: there is no production log to sample from")
        log = open_answers_log(a)
    rows, _, _ = _draw(log, a, week)
    return rows


def write_review_sample(source: Case | Answers, path: str | os.PathLike, week: str | dt.date | None = None) -> Path:
    """Write :func:`review_sample` to ``path`` as CSV for reviewers (atomically); returns the path.

    Reviewers fill ``failure_mode`` (empty when the output was right), ``expected`` and ``note``; the rows with
    a failure mode are the ``reviewed_failures`` file.
    """
    target = Path(path)
    from ..exports import neutralise  # log text opened in a spreadsheet must not run as a formula

    _write_atomic(target, lambda handle: neutralise(review_sample(source, week)).to_csv(handle, index=False))
    return target


def _draw(log: pd.DataFrame | SqlLog, a: Answers,
          week: str | dt.date | None) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """(the sample, the plan per stratum, what the week holds): the units drawn are outputs, or conversations
    when the log has them; ``week`` holds ``unit``, ``units`` and ``negative`` (the week's share of units with
    the negative feedback: the truth the weighted sample estimates)."""
    monday = _week_of(log, week if week is not None else (a.review_week or None))
    rows = week_rows(log, monday)  # by id, then time: file order must not change the sample
    by_conversation = has_conversations(log)
    negative = _matches(rows["feedback"], a.negative_feedback)
    risky = negative | (rows["confidence"] < a.low_confidence).to_numpy()
    if by_conversation:  # a unit is a conversation (an output without one is a conversation of one turn)
        key = np.where(rows["conversation_id"] != "", rows["conversation_id"], "\0" + rows["id"])
        order = np.lexsort((rows["id"].to_numpy(), rows["timestamp"].to_numpy(), key))
        first = pd.DataFrame({"key": key[order], "segment": rows["segment"].astype(str).to_numpy()[order]}) \
            .drop_duplicates("key")  # a conversation's segment is its first turn's
        units = pd.DataFrame({"key": key, "negative": negative, "risky": risky}).groupby("key", sort=True).agg(
            negative=("negative", "any"), risky=("risky", "any")).join(first.set_index("key"))
    else:
        units = pd.DataFrame({"segment": rows["segment"].astype(str).to_numpy(), "negative": negative,
                              "risky": risky})
    strata = _strata(units, a)
    codes, names = pd.factorize(strata, sort=True)  # as np.unique(return_inverse=True), without sorting every row
    names = np.asarray(names, dtype=object)
    sizes = np.bincount(codes, minlength=len(names))
    taken = _allocate(sizes, _stratum_shares(names, sizes, a), a.review_budget)
    rng = np.random.default_rng([a.seed, int(np.datetime64(monday, "D").astype("int64"))])
    picked, probability = [], np.zeros(len(units))
    for h in range(len(names)):
        members = np.flatnonzero(codes == h)
        if taken[h]:
            picked.append(rng.choice(members, taken[h], replace=False))
        probability[members] = taken[h] / sizes[h]
    chosen = np.sort(np.concatenate(picked)) if picked else np.array([], int)
    p = probability[chosen]
    if by_conversation:
        keys = units.index.to_numpy()[chosen]
        drawn = pd.DataFrame({"key": keys, "stratum": strata[chosen], "p": p})
        single = [k[1:] for k in keys if k.startswith("\0")]
        turns = rows_for_ids(log, single, [k for k in keys if not k.startswith("\0")])
        turns = turns.assign(key=np.where(turns["conversation_id"] != "", turns["conversation_id"],
                                          "\0" + turns["id"]))
        sample = turns.merge(drawn, on="key").sort_values(["key", "timestamp", "id"], kind="stable")
    else:
        sample = rows.iloc[chosen].assign(stratum=strata[chosen], p=p)
        if "input" not in sample.columns:  # a database log: the text of the few drawn rows only
            text = rows_for_ids(log, sample["id"], monday=monday).drop_duplicates(["id", "timestamp"])
            sample = sample.merge(text[["id", "timestamp", "input", "output"]], on=["id", "timestamp"], how="left")
    p = sample["p"].to_numpy(float)
    out = pd.DataFrame({
        "week": str(monday),
        "stratum": sample["stratum"].to_numpy(),
        **({"conversation_id": sample["conversation_id"].to_numpy()} if by_conversation else {}),
        "id": sample["id"].to_numpy(),
        "timestamp": pd.to_datetime(sample["timestamp"]).dt.strftime("%Y-%m-%dT%H:%M:%S").to_numpy(),
        "segment": sample["segment"].astype(str).to_numpy(),
        "input": sample["input"].to_numpy(),
        "output": sample["output"].to_numpy(),
        "confidence": sample["confidence"].to_numpy(),
        "feedback": sample["feedback"].astype(str).to_numpy(),
        "inclusion_probability": p.round(6),
        "weight": (1 / p).round(4) if len(p) else p,
        "failure_mode": "",
        "expected": "",
        "note": "",
    })
    unit = "conversations" if by_conversation else "outputs"
    plan = pd.DataFrame({"stratum": names, unit: sizes, "sampled": taken,
                         "inclusion probability": np.where(sizes > 0, taken / np.maximum(sizes, 1), 0).round(4),
                         "weight": np.where(taken > 0, sizes / np.maximum(taken, 1), np.nan).round(2)})
    drawn_units = units.iloc[chosen]
    held = {"unit": unit, "units": len(units), "negative": float(units["negative"].mean()) if len(units) else np.nan,
            "sample_weights": 1 / probability[chosen] if len(chosen) else np.array([]),
            "sample_negative": drawn_units["negative"].to_numpy(bool)}
    return out.reset_index(drop=True), plan, held


def _week_of(log: pd.DataFrame | SqlLog, week: str | dt.date | None) -> dt.date:
    weeks = log_weeks(log)
    if week is None:
        return weeks[-1]
    day = dt.date.fromisoformat(week) if isinstance(week, str) else week
    monday = day - dt.timedelta(days=day.weekday())
    if monday not in weeks:
        raise ValueError(f"monitoring.review_week: the log has no outputs in the week of {monday} (it covers "
                         f"{weeks[0]} to {weeks[-1] + dt.timedelta(days=6)})")
    return monday


def _strata(units: pd.DataFrame, a: Answers) -> np.ndarray:
    """Each unit's stratum; ``units`` has ``segment`` and ``risky`` (negative feedback or low confidence)."""
    rows = units
    if a.sampling == "stratified by segment":
        return rows["segment"].astype(str).to_numpy(dtype=object)
    if a.sampling == "oversample risky":
        return np.where(rows["risky"].to_numpy(bool), "risky", "other").astype(object)
    return np.full(len(rows), "all", dtype=object)


def _stratum_shares(names: np.ndarray, sizes: np.ndarray, a: Answers) -> np.ndarray:
    """How the budget is split before capping: by size at random; half equal, half by size across segments
    (so a small segment is still seen); by size times ``oversample`` for the risky stratum."""
    total = max(sizes.sum(), 1)
    if a.sampling == "stratified by segment":
        return 0.5 / len(sizes) + 0.5 * sizes / total
    if a.sampling == "oversample risky":
        measure = sizes * np.where(names == "risky", a.oversample, 1.0)
        return measure / max(measure.sum(), 1)
    return sizes / total


def _allocate(sizes: np.ndarray, shares: np.ndarray, budget: int) -> np.ndarray:
    """Split ``budget`` over strata in proportion to ``shares``, never more than a stratum holds; a capped
    stratum's excess goes to the others, and rounding keeps the total (largest remainders first)."""
    sizes = np.asarray(sizes, int)
    budget = min(int(budget), int(sizes.sum()))
    target = np.zeros(len(sizes))
    free = sizes > 0
    left = float(budget)
    while left > 1e-9 and free.any():
        weights = np.where(free, shares, 0.0)
        weights = weights / weights.sum() if weights.sum() > 0 else free / free.sum()
        target = target + left * weights
        over = target > sizes
        target = np.minimum(target, sizes)
        left = budget - target.sum()
        free = free & ~over & (target < sizes)
    taken = np.floor(target + 1e-9).astype(int)
    order = np.lexsort((-sizes, -np.round(target - taken, 9)))  # ties go to the larger stratum
    for h in order:
        if taken.sum() >= budget:
            break
        if taken[h] < sizes[h]:
            taken[h] += 1
    return taken


def _plan_review(a: Answers, log: pd.DataFrame, result: Result, cautions: list[str]) -> None:
    p = a.expected_failure_rate
    random_needed = sample_size_for_margin(a.target_margin, p)
    if a.review_budget == 0:
        msg = (f"no review budget: nobody reads live outputs, so new failure modes go unseen. About "
               f"{random_needed} reviews a week give ±{a.target_margin:.0%} on a {p:.0%} failure rate.")
        cautions.append(msg)
        result.add("caution", msg)
        return
    sample, plan, held = _draw(log, a, None)
    unit = held["unit"]
    week = sample["week"].iloc[0] if len(sample) else _week_of(log, a.review_week or None).isoformat()
    weights = np.round(held["sample_weights"], 4)  # as the reviewers' sheet writes them
    n = len(weights)  # outputs, or conversations
    n_eff = kish_effective_sample_size(weights) if n else 0.0
    design_effect = n / n_eff if n_eff else np.nan
    margin = margin_for_sample_size(int(round(n_eff)), p)
    needed = int(np.ceil(random_needed * design_effect)) if n_eff else random_needed
    week_units = int(plan[unit].sum())
    result.metric("Weekly review sample", n, key=False)
    result.metric("Margin of the weekly failure rate", margin, "%")
    result.tables[f"Review sample for the week of {week} ({a.sampling})"] = plan
    is_neg = held["sample_negative"]
    weighted = float(np.sum(weights * is_neg) / np.sum(weights)) if n else np.nan
    of = " (share of conversations)" if unit == "conversations" else ""
    result.tables["What the weights correct: negative feedback in the review sample"] = pd.DataFrame({
        "estimate": ["the whole week (the truth)", "sample, unweighted", "sample, weighted by 1 / probability"],
        f"negative feedback{of} (%)": [round(held["negative"] * 100, 1),
                                  round(float(is_neg.mean()) * 100, 1) if n else np.nan,
                                  round(weighted * 100, 1)],
    })
    result.tables["Review sample size"] = pd.DataFrame({
        "item": [f"{unit} in the week", "weekly review budget", "design effect (Kish)", "effective sample size",
                 f"margin at a {p:.0%} failure rate", f"random reviews for ±{a.target_margin:.1%}",
                 f"reviews for ±{a.target_margin:.1%} with this design"],
        "value": [f"{week_units:,}", f"{n:,}", f"{design_effect:.2f}", f"{n_eff:,.0f}", f"±{margin:.1%}",
                  f"{random_needed:,}", f"{needed:,}"],
    })
    unseen = plan[(plan[unit] > 0) & (plan["sampled"] == 0)]
    if len(unseen):
        strata = f"stratum {unseen['stratum'].iloc[0]!r} gets" if len(unseen) == 1 else \
            f"strata {', '.join(repr(s) for s in unseen['stratum'])} get"
        result.add("caution", f"The {strata} no review this week (the budget is too small to reach them): their "
                              f"{int(unseen[unit].sum()):,} {unit} are not represented, so no weighted rate "
                              f"covers them.")
    result.data["review"] = {"week": week, "sampled": n, "unit": unit, "turns": len(sample), "effective_n": n_eff,
                             "margin": margin, "needed": needed, "plan": json_records(plan)}
    text = (f"Reviewing {n} of the week's {week_units:,} {unit} ({a.sampling}) estimates its failure rate within "
            f"±{margin:.1%} (95%, at {p:.0%}; Kish's design effect {design_effect:.2f}, which ignores that "
            f"oversampling aims at failures, so read it as the worst case).")
    if margin > a.target_margin + 1e-9 and n < week_units:
        msg = (f"the weekly review of {n} {unit} gives ±{margin:.1%}, wider than the ±{a.target_margin:.0%} "
               f"you want: review {needed} a week with this design ({random_needed} at random), or accept the "
               f"wider margin.")
        cautions.append(msg)
        result.add("caution", msg)
        result.add("info", text)
    else:
        result.add("go", text)


# ---- closing the loop: reviewed failures → Pareto → eval set ----------------------------------------------

def read_reviewed_failures(path: str | os.PathLike) -> pd.DataFrame:
    """The reviewers' file with clean text columns; rows without a failure mode (outputs found right) dropped.

    Required: ``id`` and ``failure_mode``; optional: ``expected``, ``reviewed`` (a date), ``weight``, ``input``,
    ``output``, ``category``. Errors name the file and the column.
    """
    path = Path(path)
    name = path.name
    _check_header(path, REVIEW_COLUMNS, "one row per reviewed failure")
    raw = _read_text_table(path)
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    raw = raw.apply(lambda s: s.str.strip())
    raw = raw[raw["failure_mode"] != ""]
    if (raw["id"] == "").any():
        raise data_error(name, f"empty on row {_row(raw['id'] == '')}; every finding needs the output's id", "id")
    if "weight" in raw.columns:
        weight = pd.to_numeric(raw["weight"], errors="coerce")
        bad = weight.isna() | (weight <= 0)
        if bad.any():
            raise data_error(name, f"must hold positive numbers; {raw['weight'][bad].iloc[0]!r} (row "
                                   f"{_row(bad)}) is not one", "weight")
        raw["weight"] = weight
    if "reviewed" in raw.columns:
        day = pd.to_datetime(raw["reviewed"], format="ISO8601", errors="coerce")
        bad = day.isna() & (raw["reviewed"] != "")
        if bad.any():
            raise data_error(name, f"must hold dates (YYYY-MM-DD); {raw['reviewed'][bad].iloc[0]!r} (row "
                                   f"{_row(bad)}) is not one", "reviewed")
        raw["reviewed"] = day.dt.strftime("%Y-%m-%d").fillna("")
    return raw.reset_index(drop=True)


def pareto(failures: pd.DataFrame) -> pd.DataFrame:
    """Failure modes from most to least frequent with share and cumulative share (in %). With a ``weight``
    column the order and shares use the weighted estimate of failures in the traffic, not the raw counts."""
    weighted = "weight" in failures.columns
    grouped = failures.groupby("failure_mode", sort=False)
    table = pd.DataFrame({"reviewed failures": grouped.size()})
    if weighted:
        table["estimated in traffic"] = grouped["weight"].sum().round(0)
    basis = table["estimated in traffic"] if weighted else table["reviewed failures"]
    table = table.assign(_basis=basis).sort_values(["_basis", "reviewed failures"], ascending=False, kind="stable")
    share = table["_basis"] / table["_basis"].sum()
    table["share (%)"] = (share * 100).round(1)
    table["cumulative (%)"] = (share.cumsum() * 100).round(1)
    return table.drop(columns="_basis").rename_axis("failure mode").reset_index()


def severity_pareto(failures: pd.DataFrame, severities: dict[str, int],
                    mapping: dict[str, str] | None = None) -> pd.DataFrame:
    """Failure modes ranked by harm: question 5's severity × the failures found (weighted to the traffic when
    the review has weights), with the share of harm and its cumulative share.

    ``severities`` maps question 5's failure modes to their severity (1–5); a reviewed mode is matched through
    ``mapping`` (reviewed name → question 5's name), else by its own name (case and spacing ignored). Modes
    that match nothing keep their count, get no severity and no harm, and are listed after the others. A
    ``mapping`` target that is not one of ``severities`` is a ``ValueError`` naming it.
    """
    known = {_normalise(name): (name, int(level)) for name, level in severities.items()}
    links = {_normalise(k): v for k, v in (mapping or {}).items()}
    for reviewed, target in (mapping or {}).items():
        if _normalise(target) not in known:
            listed = ", ".join(repr(name) for name, _ in known.values())
            raise ValueError(f"maps {reviewed!r} to {target!r}, which is not one of question 5's failure modes "
                             f"({listed})")
    table = pareto(failures)
    basis = table["estimated in traffic"] if "estimated in traffic" in table.columns else table["reviewed failures"]
    matched = [known.get(_normalise(links.get(_normalise(m), m))) for m in table["failure mode"]]
    severity = pd.Series([m[1] if m else np.nan for m in matched], index=table.index, dtype=float)
    harm = basis * severity
    ranked = table.drop(columns=["share (%)", "cumulative (%)"]).assign(**{
        "question 5's failure mode": [m[0] if m else "(none: not weighted)" for m in matched],
        "severity": severity, "harm (severity × failures)": harm.round(0),
        "rank by count": np.arange(1, len(table) + 1), "_harm": harm.fillna(-1), "_basis": basis})
    ranked = ranked.sort_values(["_harm", "_basis"], ascending=False, kind="stable")
    ranked["severity"] = ranked["severity"].astype("Int64")
    share = ranked["_harm"].clip(lower=0) / max(harm.sum(), 1e-12)
    ranked["share of harm (%)"] = (share * 100).round(1).where(ranked["_harm"] >= 0)
    ranked["cumulative (%)"] = (share.cumsum() * 100).round(1).where(ranked["_harm"] >= 0)
    first = ["failure mode", "question 5's failure mode", "severity"]
    return ranked[first + [c for c in ranked.columns if c not in first and not c.startswith("_")]] \
        .reset_index(drop=True)


def _severities(case: Case | None) -> dict[str, int]:
    experience = case.answers("experience") if case is not None else None
    modes = getattr(experience, "failure_modes", None) or []
    return {m.name.strip(): m.severity for m in modes if m.name.strip()}


def _rank_failure_modes(a: Answers, failures: pd.DataFrame, case: Case | None, result: Result,
                        cautions: list[str]) -> None:
    """The Pareto of reviewed failures, by harm when question 5 gives severities, else by count."""
    weighted = " (weighted to the traffic)" if "weight" in failures.columns else ""
    severities = _severities(case)
    if not severities:
        table = pareto(failures)
        vital = table[table["cumulative (%)"].shift(fill_value=0) < PARETO_SHARE * 100]
        result.metric("Failure modes", len(table))
        result.tables["Failure modes (Pareto)"] = table
        result.figures["Failure modes (Pareto)"] = _pareto_figure(table)
        result.data["pareto"] = json_records(table)
        names = "; ".join(f"{m} ({s:.0f}%)" for m, s in zip(vital["failure mode"], vital["share (%)"]))
        result.add("info", f"{len(vital)} of {len(table)} failure modes make up {vital['share (%)'].sum():.0f}% of "
                           f"the failures{weighted}: {names}. Fix these first. (Question 5 lists no failure modes "
                           f"with a severity, so this counts failures, not the harm they do.)")
        return
    try:
        table = severity_pareto(failures, severities, a.failure_mode_map)
    except ValueError as exc:
        from ..case import CaseError

        raise CaseError(str(exc), getattr(case, "path", None), KEY, "failure_mode_map") from None
    result.metric("Failure modes", len(table))
    result.tables["Failure modes (Pareto)"] = table
    result.figures["Failure modes (Pareto)"] = _pareto_figure(table)
    result.data["pareto"] = json_records(table)
    scored = table[table["severity"].notna()]
    if len(scored):
        vital = scored[scored["cumulative (%)"].shift(fill_value=0) < PARETO_SHARE * 100]
        names = "; ".join(f"{m} (severity {v}, {s:.0f}%)"
                          for m, v, s in zip(vital["failure mode"], vital["severity"], vital["share of harm (%)"]))
        result.add("info", f"Weighted by question 5's severity, {len(vital)} of {len(scored)} failure modes "
                           f"{'does' if len(vital) == 1 else 'do'} "
                           f"{vital['share of harm (%)'].sum():.0f}% of the harm{weighted}: {names}. Fix these "
                           f"first.")
    by_count = list(table.sort_values("rank by count")["failure mode"])
    by_harm = list(table["failure mode"])
    if by_count != by_harm:
        result.tables["Failure modes: ranked by count and by harm"] = pd.DataFrame({
            "rank": np.arange(1, len(table) + 1), "by failures found": by_count,
            "by harm (severity × failures)": [m if pd.notna(s) else f"{m} (no severity)"
                                              for m, s in zip(by_harm, table["severity"])]})
        moved = max(((m, by_count.index(m) - i) for i, m in enumerate(by_harm) if m in set(scored["failure mode"])),
                    key=lambda t: t[1])
        if moved[1] > 0:
            row = table[table["failure mode"] == moved[0]].iloc[0]
            target = row["question 5's failure mode"]
            source = f" (question 5's {target!r})" if _normalise(target) != _normalise(moved[0]) else ""
            result.add("info", f"Counting failures alone ranks {moved[0]!r} {_ordinal(by_count.index(moved[0]) + 1)}"
                               f"; its severity of {row['severity']}{source} puts it "
                               f"{_ordinal(by_harm.index(moved[0]) + 1)} by harm.")
    unmatched = table[table["severity"].isna()]
    if len(unmatched):
        names = ", ".join(repr(m) for m in unmatched["failure mode"])
        msg = (f"{len(unmatched)} reviewed failure mode{'s match' if len(unmatched) > 1 else ' matches'} none of "
               f"question 5's, so {'they are' if len(unmatched) > 1 else 'it is'} listed unweighted: {names}. Map "
               f"{'each' if len(unmatched) > 1 else 'it'} to question 5's mode in failure_mode_map, or add it to "
               f"question 5's failure modes with a severity.")
        cautions.append(msg)
        result.add("caution", msg)


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def promotion_candidates(source: Case | Answers, existing: pd.DataFrame | None = None,
                         log: pd.DataFrame | None = None) -> pd.DataFrame:
    """The reviewed failures as new eval cases in question 6's format (``EVAL_COLUMNS``), de-duplicated: one
    row per output id and per input text (case and spacing ignored), none already in ``existing`` (an eval
    set's rows), none without an expected answer. ``added`` is the review date ('' if the file has none)."""
    a = _answers(source)
    case = source if not isinstance(source, Answers) else None
    if a.reviewed_failures is None:
        return pd.DataFrame(columns=list(EVAL_COLUMNS))
    if log is None and a.log is not None:
        log = open_answers_log(a)
    if existing is None:
        path = _eval_set_path(a, case)
        existing = read_eval_set(path) if path is not None else None
    failures = read_reviewed_failures(a.reviewed_failures)
    return _candidates(a, failures, log, existing)[0]


def _candidates(a: Answers, failures: pd.DataFrame, log: pd.DataFrame | None,
                existing: pd.DataFrame | None) -> tuple[pd.DataFrame, dict[str, int]]:
    rows = failures.drop_duplicates("id", keep="first")
    counts = {"reviewed": len(failures), "duplicates": len(failures) - len(rows)}
    if log is not None:
        mentioned = rows_for_ids(log, rows["id"])  # a few rows of a possibly huge log
        found = mentioned.drop_duplicates("id").set_index("id").reindex(rows["id"])
        for column, source_column in (("input", "input"), ("output", "output"), ("slice", "segment")):
            own = rows[column] if column in rows.columns else pd.Series("", index=rows.index)
            theirs = found[source_column].astype(object).fillna("").astype(str).to_numpy()
            rows = rows.assign(**{column: np.where(own != "", own, theirs)})
    for column in ("input", "output", "slice", "expected", "reviewed", "category"):
        if column not in rows.columns:
            rows = rows.assign(**{column: ""})
    no_input = rows["input"] == ""
    no_expected = rows["expected"] == ""
    counts["no_input"], counts["no_expected"] = int(no_input.sum()), int((no_expected & ~no_input).sum())
    rows = rows[~no_input & ~no_expected]
    key = rows["input"].map(_normalise)
    repeats = key.duplicated()
    counts["duplicates"] += int(repeats.sum())
    rows, key = rows[~repeats], key[~repeats]
    already = pd.Series(False, index=rows.index)
    if existing is not None and len(existing):
        already = rows["id"].isin(set(existing["id"])) | key.isin(set(existing["input"].map(_normalise)))
    counts["already"] = int(already.sum())
    rows = rows[~already]
    out = pd.DataFrame({
        "id": rows["id"],
        "category": rows["category"].where(rows["category"] != "", a.promoted_category),
        "slice": rows["slice"],
        "input": rows["input"],
        "expected": rows["expected"],
        "output": rows["output"],
        "passed": rows["output"].str.casefold() == rows["expected"].str.casefold(),
        "source": SOURCE_PREFIX + ": " + rows["failure_mode"],
        "added": rows["reviewed"],
    }, columns=list(EVAL_COLUMNS)).reset_index(drop=True)
    counts["new"] = len(out)
    return out, counts


_NO_EVAL_SET = pd.DataFrame(columns=["id", "input"])  # promoting into a new file: nothing to skip


def read_eval_set(path: str | os.PathLike) -> pd.DataFrame:
    """An eval set's rows as text (CSV or Parquet), for checking duplicates; needs ``id`` and ``input``."""
    path = Path(path)
    _check_header(path, ("id", "input"), "an eval set")  # a clear error without pyarrow, or for a bad CSV
    frame = pd.read_parquet(path).astype(str) if path.suffix.lower() == ".parquet" else _read_text_table(path)
    if path.suffix.lower() != ".parquet":
        from ..exports import restore

        frame = restore(frame)  # the cells as promoted, so the same case is recognised and not added twice
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    return frame


def _read_text_table(path: Path) -> pd.DataFrame:
    """A small CSV table with every column as text, as written (no "NA" turned into a missing value)."""
    return read_csv(path, dtype=str, keep_default_na=False)


def promote(source: Case | Answers, eval_path: str | os.PathLike, added: str | dt.date | None = None) -> pd.DataFrame:
    """Append the reviewed failures that are not yet in the eval set at ``eval_path`` to it; returns the rows
    added (none when they are all there already, so promoting the same review twice adds nothing).

    The file keeps its columns; ``source`` and ``added`` are added when it lacks them, and ``passed`` or
    ``score`` is filled in its own style. It is written to a temporary file and renamed, so a reader never sees
    half of it. ``added`` dates rows whose review has no date (default: today). A missing file is created.
    """
    target = Path(eval_path)
    existing = read_eval_set(target) if target.exists() else None
    rows = promotion_candidates(source, existing=existing if existing is not None else _NO_EVAL_SET)
    if rows.empty:
        return rows
    day = added.isoformat() if isinstance(added, dt.date) else (added or dt.date.today().isoformat())
    rows["added"] = rows["added"].where(rows["added"] != "", day)
    if existing is None:
        frame = rows.assign(passed=rows["passed"].map({True: "True", False: "False"}))
        _write_table(target, frame)
        return rows
    columns = list(existing.columns)
    new = pd.DataFrame({c: rows[c] if c in rows.columns else "" for c in columns}, columns=columns)
    if "passed" in columns:
        new["passed"] = rows["passed"].map(_bool_style(existing["passed"]))
    if "score" in columns:
        new["score"] = np.where(rows["passed"], "1", "0")
    extra = [c for c in ("source", "added") if c not in columns]
    for c in extra:
        new[c] = rows[c]
    if target.suffix.lower() == ".parquet" or extra:
        _write_table(target, pd.concat([existing.assign(**{c: "" for c in extra}), new], ignore_index=True))
    else:  # the header already fits: keep every existing byte and append the new lines
        data = target.read_bytes()
        from ..exports import neutralise  # as _write_table: no promoted cell runs as a formula

        tail = neutralise(new).to_csv(index=False, header=False, lineterminator="\n")

        def write(handle: Any) -> None:
            handle.write(data.decode("utf-8"))
            if data and not data.endswith(b"\n"):
                handle.write("\n")
            handle.write(tail)

        _write_atomic(target, write)
    return rows


def _close_the_loop(a: Answers, log: pd.DataFrame | None, case: Case | None, result: Result,
                    cautions: list[str]) -> None:
    if a.reviewed_failures is None:
        msg = ("no reviewed failures yet: read the weekly sample, note each failure's mode and the right "
               "answer, and name the file here so new failure modes reach the eval set.")
        cautions.append(msg)
        result.add("caution", msg)
        return
    failures = read_reviewed_failures(a.reviewed_failures)
    if failures.empty:
        result.add("info", "The reviewers found no failures in the rows they reviewed.")
        return
    result.metric("Reviewed failures", len(failures))
    _rank_failure_modes(a, failures, case, result, cautions)
    path = _eval_set_path(a, case)
    existing = read_eval_set(path) if path is not None else None
    rows, counts = _candidates(a, failures, log, existing)
    result.metric("New eval cases to promote", counts["new"], key=True)
    result.data["promotion"] = counts
    if counts["no_input"]:
        result.add("caution", f"{counts['no_input']} reviewed failures have ids the log does not have and no "
                              f"input of their own: they cannot become eval cases.")
    if counts["no_expected"]:
        msg = (f"{counts['no_expected']} reviewed failures have no expected answer: ask the reviewers for the "
               f"right output, or they cannot be graded as eval cases.")
        cautions.append(msg)
        result.add("caution", msg)
    if path is None:
        msg = ("no eval set is named, so reviewed failures cannot be checked against it: set eval_set to "
               "question 6's results file.")
        cautions.append(msg)
        result.add("caution", msg)
    if counts["new"]:
        shown = rows.head(PROMOTION_PREVIEW)
        more = f", first {len(shown)} of {len(rows)}" if len(rows) > len(shown) else ""
        result.tables[f"New eval cases from the review (question 6's format{more})"] = shown
        already = f" ({counts['already']} already are)" if counts["already"] else ""
        msg = (f"{counts['new']} reviewed failures are not in the eval set yet{already}: promote them, so every "
               f"future model is tested on them before it ships.")
        cautions.append(msg)
        result.add("caution", msg)
    elif path is not None:
        result.add("go", f"Every reviewed failure is already in the eval set ({counts['already']} cases).")


def _eval_set_path(a: Answers, case: Case | None) -> Path | None:
    """The eval set to promote into: this worksheet's ``eval_set``, else question 6's results file."""
    if a.eval_set is not None:
        return a.eval_set
    evaluation = case.answers("evaluation") if case is not None else None
    return getattr(evaluation, "results_file", None)


# ---- the verdict -------------------------------------------------------------------------------------------

def _decide(result: Result, stops: list[str], cautions: list[str], facts: dict[str, str]) -> None:
    if stops:
        result.verdict, result.level = "Act now", "stop"
        extra = f", while {facts['mix']}" if "mix" in facts and "signal" in facts else ""
        result.headline = "Act now: " + stops[0].rstrip(".") + extra + "."
    elif cautions:
        result.verdict, result.level = "Watch", "caution"
        result.headline = "Watch: " + cautions[0]
    else:
        result.headline = ("Stable: feedback is within its control limits, the traffic has not drifted, and every "
                           "reviewed failure is in the eval set.")


# ---- figures -----------------------------------------------------------------------------------------------

def _p_chart_figure(chart: pd.DataFrame, a: Answers):
    from ..charts import Figure  # user text drawn as written, never as mathtext

    fig = Figure(figsize=(8.5, 3.6), layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(chart))
    ax.axvspan(-0.5, min(a.reference_weeks, len(chart)) - 0.5, color="#eef2f7", zorder=0)
    ax.text(-0.3, 0.98, "reference weeks", transform=ax.get_xaxis_transform(), va="top", fontsize=8,
            color="#44546a")
    ax.step(x, chart["upper"] * 100, where="mid", color="#b3261e", lw=1, ls="--", label="3-sigma limits")
    ax.step(x, chart["lower"] * 100, where="mid", color="#b3261e", lw=1, ls="--")
    ax.axhline(chart["centre"].iloc[0] * 100, color="#44546a", lw=1, label="centre line (reference weeks)")
    ax.plot(x, chart["rate"] * 100, color="#1f4e79", marker="o", ms=4, lw=1.5, label="negative feedback")
    if "adjusted" in chart and chart["adjusted"].notna().any():
        ax.plot(x, chart["adjusted"] * 100, color="#7a8a9c", marker="s", ms=3, lw=1, ls="-.",
                label="at the reference weeks' mix")
    out = chart["signal"] != ""
    ax.plot(x[out], chart["rate"][out] * 100, ls="none", marker="o", ms=8, mfc="none", mec="#b3261e", mew=2,
            label="outside the limits")
    ax.set_xticks(x, [f"{w:%d %b}" for w in chart["week"]], rotation=45 if len(x) > 8 else 0, ha="right"
                  if len(x) > 8 else "center", fontsize=8)
    ax.set_ylabel("negative feedback (%)")
    ax.set_xlabel("week of")
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    ax.set_title("Negative feedback per week: p-chart", fontsize=10)
    return fig


def _segment_chart_figure(per_segment: pd.DataFrame, table: pd.DataFrame):
    from ..charts import Figure  # user text drawn as written, never as mathtext

    names = list(table["segment"][:SEGMENT_PANELS])
    columns = min(len(names), 3)
    rows = -(-len(names) // columns)
    fig = Figure(figsize=(3.2 * columns + 0.6, 2.4 * rows + 0.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, columns, sharex=True, squeeze=False)).ravel()
    for ax, name in zip(axes, names):
        seg = per_segment[per_segment["segment"] == name]
        x = np.arange(len(seg))
        if seg["charted"].iloc[0]:
            ax.step(x, seg["upper"] * 100, where="mid", color="#b3261e", lw=1, ls="--")
            ax.step(x, seg["lower"] * 100, where="mid", color="#b3261e", lw=1, ls="--")
            ax.axhline(seg["centre"].iloc[0] * 100, color="#44546a", lw=1)
        ax.plot(x, seg["rate"] * 100, color="#1f4e79", marker="o", ms=3, lw=1.2)
        out = (seg["signal"] == "above").to_numpy()
        ax.plot(x[out], seg["rate"].to_numpy()[out] * 100, ls="none", marker="o", ms=7, mfc="none", mec="#b3261e",
                mew=2)
        ax.set_title(textwrap.shorten(name, 28) + ("" if seg["charted"].iloc[0] else " (not charted)"),
                     fontsize=9, parse_math=False)  # a segment's name is user text: "$" is a dollar
        ax.set_ylim(bottom=0)
        ax.grid(axis="y", alpha=0.3)
        ax.set_xticks(x[::max(len(x) // 4, 1)], [f"{w:%d %b}" for w in seg["week"]][::max(len(x) // 4, 1)],
                      fontsize=7)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    fig.supylabel("negative feedback (%)", fontsize=8)
    fig.suptitle("Negative feedback per segment: each against its own reference rate and control limits",
                 fontsize=10)
    return fig


def _drift_figure(mix: pd.DataFrame, numeric: dict[str, dict[str, Any]], psis: dict[str, float]):
    from ..charts import Figure  # user text drawn as written, never as mathtext

    fig = Figure(figsize=(11, 3.4), layout="constrained")
    axes = fig.subplots(1, 1 + len(numeric))
    ax = axes[0]
    x = np.arange(len(mix))
    ax.bar(x - 0.2, mix["reference share (%)"], 0.4, color="#9db4cc", label="reference weeks")
    ax.bar(x + 0.2, mix["current share (%)"], 0.4, color="#1f4e79", label="current weeks")
    ax.set_xticks(x, [textwrap.fill(s, 12) for s in mix["segment"]], fontsize=8, parse_math=False)
    ax.set_ylabel("share of outputs (%)")
    ax.set_title("Segment mix", fontsize=10)
    ax.legend(fontsize=8, frameon=False)
    for ax, (column, binned) in zip(axes[1:], numeric.items()):
        edges = binned["edges"]
        width = edges[1] - edges[0]
        for counts, label, fill in ((binned["hist_reference"], "reference", True),
                                    (binned["hist_current"], "current", False)):
            density = np.asarray(counts, float) / max(float(np.sum(counts)), 1) / width
            ax.stairs(density, edges, fill=fill, color="#9db4cc" if fill else "#1f4e79", alpha=0.7 if fill else 1,
                      lw=1.5, label=label)
        ax.set_title(f"{column[0].upper()}{column[1:]} (PSI {psis[column]:.2f})", fontsize=10)
        ax.set_yticks([])
        ax.set_xlabel(column if column != "input length" else "input length (characters)", fontsize=8)
        ax.legend(fontsize=8, frameon=False)
    return fig


def _pareto_figure(table: pd.DataFrame):
    from ..charts import Figure  # user text drawn as written, never as mathtext

    harm = "harm (severity × failures)"
    if harm in table.columns:  # by harm: the modes question 5 gives a severity, most harmful first
        table = table[table["severity"].notna()]
    basis = harm if harm in table.columns else \
        "estimated in traffic" if "estimated in traffic" in table.columns else "reviewed failures"
    fig = Figure(figsize=(8.5, 3.8), layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(table))
    ax.bar(x, table[basis], color="#1f4e79")
    ax.set_ylabel("harm: severity × failures" if basis == harm else
                  "failures (weighted to the traffic)" if basis != "reviewed failures" else "reviewed failures")
    ax.set_xticks(x, [textwrap.fill(m, 16) for m in table["failure mode"]], fontsize=7.5, parse_math=False)
    twin = ax.twinx()
    twin.plot(x, table["cumulative (%)"], color="#b3261e", marker="o", ms=4)
    twin.axhline(PARETO_SHARE * 100, color="#b3261e", ls=":", lw=1)
    twin.set_ylim(0, 105)
    twin.set_ylabel("cumulative share (%)", color="#b3261e")
    ax.set_title("Failure modes found in review, by harm (question 5's severity): Pareto" if basis == harm else
                 "Failure modes found in review: Pareto", fontsize=10)
    return fig


# ---- private helpers ---------------------------------------------------------------------------------------

def _answers(source: Case | Answers) -> Answers:
    if isinstance(source, Answers):
        return source
    answers = source.answers(KEY)
    if answers is None:
        raise ValueError(f"{source.name}: the case has no monitoring section")
    return answers


def _normalise(text: str) -> str:
    return " ".join(str(text).casefold().split())


def _bool_style(existing: pd.Series) -> dict[bool, str]:
    """``True``/``False`` written the way the file already writes them (True, true, 1 …)."""
    seen = set(existing.dropna().astype(str).str.strip())
    for true, false in (("True", "False"), ("true", "false"), ("TRUE", "FALSE"), ("1", "0"), ("yes", "no")):
        if seen and seen <= {true, false}:
            return {True: true, False: false}
    return {True: "True", False: "False"}


def _p_text(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def json_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as JSON-ready records (dates as ISO strings, NaN as None)."""
    import json

    return json.loads(frame.to_json(orient="records", date_format="iso"))


def _write_table(path: Path, frame: pd.DataFrame) -> None:
    if path.suffix.lower() == ".parquet":
        _write_atomic(path, lambda handle: frame.to_parquet(handle, index=False), binary=True)
    else:
        from ..exports import neutralise  # a text cell such as "=HYPERLINK(…)" gets a quote: it cannot run

        _write_atomic(path, lambda handle: neutralise(frame).to_csv(handle, index=False, lineterminator="\n"))


def _write_atomic(path: Path, write: Any, binary: bool = False) -> None:
    """Write through ``write(handle)`` to a temporary file beside ``path``, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8", "newline": ""})) \
                as handle:
            write(handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
