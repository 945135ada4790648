"""Question 6 — How do we know it works before launch?

A demo that looks right proves nothing, and a single pass/fail number hides where the product breaks. Build an
eval set of good, bad, edge and adversarial cases, agree the threshold before the run, and ship only when the
low end of each blocking metric's confidence interval clears it. Guardrail metrics warn; a baseline run shows
what got worse.

The eval results file (CSV; Parquet too when pyarrow is installed) has one row per eval case:

    id        unique text id of the case; a run and its baseline are paired by it
    category  the kind of case: good, bad, edge, adversarial … (free text, never empty)
    slice     a segment to compare, such as channel or language (free text; may be empty)
    input     what the system was given
    expected  the right answer: a label, text, a number, a regular expression or JSON, per the grader
    output    what the system answered
    passed    true / false, as judged by the harness or a reviewer  } at least one of the two
    score     a number, such as a judge's 0–1 rating                   }

Optional columns: ``group`` (rows that are repeats of one sample: an eval tool's epochs or repeats), more
slice columns (``slice_columns``), and the columns further graded outputs name (``outputs``): a second output
and its expected value (``priority``, ``expected_priority``), the value an attack asks for
(``forbidden_output``), or per-row labels from the harness or a reviewer (``answer_correct``,
``citation_supported``). Other columns are kept and ignored (question 7 adds ``source`` and ``added`` to
failures it promotes). ``read_results(path)`` reads and checks such a file; ``grade(frame, grader)`` decides
each case's pass.

**The unit of evidence is the distinct input, not the row.** Rows that repeat one input (the same ticket run
eight times) pass or fail together when the product is deterministic, so they add little evidence; Wilson's
interval on rows would claim a precision the set does not have. The intervals here use the **design effect**
estimated from the agreement within inputs (``stats.clustered_interval``: the cluster-robust variance of the
pass rate, and Wilson's interval on the effective number of cases it implies). Chosen over a cluster bootstrap
because it is deterministic without a seed, costs one pass over the rows (a million rows stay interactive), and
stays sensible where a bootstrap is not: at a 100% pass rate, where every resample gives 100%, and in small
slices. With no repeated input it is exactly the usual Wilson interval. A gate resting on fewer distinct inputs
than ``min_distinct_inputs`` is not proven, whatever its rate; rows of one input that disagree are reported as
output instability; near-copies of an input are found with MinHash (``aipm_kit.evalset``) and reported.
"""

from __future__ import annotations

import datetime
import difflib
import functools
import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .. import evalset
from ..case import CaseError, DataFile
from ..result import Result
from ..selfcheck import Check
from ..sources import MAX_LIST_ITEMS, read_csv, read_header
from ..stats import (
    cases_to_clear, cases_to_clear_with_power, clustered_interval, clustered_intervals_by_group,
    distinct_cases_to_clear, mcnemar_exact,
    sample_size_for_margin, wilson_interval, z_value,
)

if TYPE_CHECKING:
    from ..case import Case

KEY = "evaluation"
TITLE = "How do we know it works before launch?"
STAGE_NEEDED = "pilot"  # an eval runs a built system; at the idea stage this question plans the eval set
PLAN_POWER = 0.8  # the chance the planned eval set proves the expected accuracy clears the bar

REQUIRED_COLUMNS = ("id", "category", "slice", "input", "expected", "output")
OUTCOME_COLUMNS = ("passed", "score")
GRADERS = ("passed", "score", "exact", "contains", "regex", "numeric", "json", "labels")
OUTPUT_GRADERS = ("exact", "contains", "regex", "numeric", "json", "recall", "not_forbidden", "labels")
LABEL_COLUMNS = ("answer_correct", "citation_supported")
SHIP, HOLD, NO_SHIP = "Ship", "Hold", "No-ship"
NO_SLICE = "(none)"
MAX_LABELS = 12  # expected answers with at most this many distinct values are labels: a confusion matrix helps
LISTED_CASES = 20  # newly failing cases shown in full; the rest are counted

@functools.cache
def self_check() -> tuple[Check, ...]:
    """The self-check at the end of the notebook; its numbers come from the kit's own statistics, so they stay right
    if those change."""
    low, high = wilson_interval(46, 50)
    # 40 distinct tickets run 20 times each, every ticket's rows agreeing: 34 pass (680 of 800 rows)
    tickets = np.repeat(np.arange(40), 20)
    clustered = clustered_interval(tickets < 34, tickets)
    naive = wilson_interval(680, 800)
    email = wilson_interval(214, 269)
    planned = round(cases_to_clear_with_power(0.92, 0.90), -2)  # the honest planning figure: about 1,700
    return (
        Check("The new version passes 46 of 50 eval cases (92%) and the ship threshold is 90%. What do you say?",
              ("Ship: 92% is above 90%.",
               f"Ship: the 95% interval ({low:.0%}–{high:.0%}) holds 90%, so the threshold is within reach.",
               f"Not proven yet: the 95% interval ({low:.0%}–{high:.0%}) reaches below 90%, so run more cases."),
              2, f"Fifty cases cannot tell 92% from {low:.0%}. A gate passes only when the interval's low end "
                 f"clears the target: if the new version truly passes 92%, about {planned:,} cases give it an 80% "
                 f"chance of proving it."),
        Check("An eval file has 800 rows but only 40 distinct tickets, each run 20 times, and each ticket's rows "
              "always agree; 680 rows pass (85%). How many independent cases is that evidence worth?",
              (f"{clustered['effective_n']:.0f}: one per distinct ticket, so the 95% interval is "
               f"{clustered['low']:.0%}–{clustered['high']:.0%}, not {naive[0]:.0%}–{naive[1]:.0%}.",
               "800: every row was graded, so every row counts.",
               "About 400: repeats count half, since a re-run can still come out differently."),
              0, "Rows of one input that always agree repeat one observation: the set measured 40 tickets. Count "
                 "distinct inputs, and add new tickets, not re-runs, to narrow the interval."),
        Check(f"Overall 88.5% of 800 tickets pass and the interval's low end clears the 86% target, but email "
              f"tickets pass 214 of 269 (79.6%, 95% interval {email[0]:.1%}–{email[1]:.1%}). What do you decide?",
              ("Ship: the gate is set on all tickets, and the overall interval clears it.",
               "Hold: email's whole interval is under 86%; fix email first, or launch without it and send "
               "email tickets to people as today.",
               "Ship, and watch email after launch: one slice of 269 tickets is too small to judge."),
              1, "An average can clear while a third of the traffic fails. 269 tickets are plenty here: even the "
                 "interval's high end is under the target, so email customers would get a worse product."),
    )


class Gate(BaseModel):
    """One threshold the eval run must clear: on all cases, or on one category and/or slice."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field("", description="What the gate protects, in a few words (e.g. 'queue accuracy, all tickets').")
    category: str = Field("", description="Only eval cases of this category count (empty: every category).")
    slice: str = Field("", description="Only eval cases of this slice count (empty: every slice).")
    target: float = Field(0.9, ge=0, le=1, description="Pass rate to clear (0–1), agreed before the run.")
    kind: Literal["blocking", "guardrail"] = Field(
        "blocking", description="A blocking gate decides the launch; a guardrail only warns.")


class GradedOutput(BaseModel):
    """A further output the product gives (a priority beside a queue, a citation beside an answer), graded on
    what matters for it, with its own gates."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field("", description="What this output is, in a word or two (e.g. 'priority').")
    output_column: str = Field("output", description="The results file's column holding what the product answered.")
    expected_column: str = Field("expected", description="The column holding the right answer (exact, contains, "
                                                         "regex, numeric, json and recall graders).")
    grader: Literal["exact", "contains", "regex", "numeric", "json", "recall", "not_forbidden", "labels"] = Field(
        "exact", description="How a row passes: as the main graders; recall (only rows whose expected value is "
                             "`level` count, and pass when the output is that level too: a missed P1 outage is a "
                             "fail); not_forbidden (the output is not the row's forbidden value, such as the queue "
                             "an injected instruction asks for; rows without one are not graded); labels (every "
                             "label column is true).")
    level: str = Field("", description="With recall: the level whose recall is graded, usually the most urgent "
                                       "(e.g. 'P1').")
    forbidden_column: str = Field("forbidden_output", description="With not_forbidden: the column holding the "
                                                                  "value the output must not be.")
    label_columns: list[str] = Field(default_factory=lambda: list(LABEL_COLUMNS),
                                     description="With labels: true/false columns that must all be true (e.g. "
                                                 "answer_correct and citation_supported).")
    gates: list[Gate] = Field(default_factory=list, description="The thresholds this output must clear.")

    @model_validator(mode="after")
    def _consistent(self) -> GradedOutput:
        if self.grader == "recall" and not self.level.strip():
            raise ValueError("level: the recall grader needs the level whose recall counts (e.g. 'P1')")
        if self.grader == "labels" and not [c for c in self.label_columns if c.strip()]:
            raise ValueError("label_columns: the labels grader needs at least one label column")
        return self


class SliceException(BaseModel):
    """A slice the team accepts launching below a target, with the reason on record."""

    model_config = ConfigDict(extra="forbid")

    column: str = Field("slice", description="The slice column (e.g. 'slice' or 'plan').")
    slice: str = Field("", description="The slice's name in that column (e.g. 'email').")
    reason: str = Field("", description="Why launching with this slice below target is acceptable, and who agreed.")

    @model_validator(mode="after")
    def _has_reason(self) -> SliceException:
        if self.slice.strip() and not self.reason.strip():
            raise ValueError("reason: an accepted exception needs its reason on record")
        return self


class Quota(BaseModel):
    """How many eval cases one category needs."""

    model_config = ConfigDict(extra="forbid")

    category: str = Field("", description="The category (good, bad, edge, adversarial, or a failure mode).")
    cases: int = Field(0, ge=0, description="Eval cases this category needs.")
    why: str = Field("", description="Why this many: the risk it covers or the precision it buys.")


class Answers(BaseModel):
    """The evaluation worksheet: the eval run, how it is graded, the gates it must clear, and the baseline."""

    model_config = ConfigDict(extra="forbid")
    # a verdict needs an eval run and the gates it must clear; until then the question is "Not answered"
    NEEDED_FOR_VERDICT: ClassVar[tuple[str, ...]] = ("results_file", "gates")

    results_file: DataFile | None = Field(
        None, description="The eval run to judge: a CSV (or Parquet) file with id, category, slice, input, "
                          "expected, output, and passed or score.")
    grader: Literal["passed", "score", "exact", "contains", "regex", "numeric", "json", "labels"] = Field(
        "passed", description="How a case passes: passed (the file's true/false column), score (score ≥ "
                              "threshold), exact (output equals expected), contains (output contains expected), "
                              "regex (output matches the expected pattern), numeric (within tolerance), json "
                              "(output is valid JSON, equal to expected when that is JSON too), labels (the "
                              "answer_correct and citation_supported columns are both true).")
    score_threshold: float = Field(0.5, description="With the score grader: a case passes when its score is at "
                                                    "least this.")
    case_sensitive: bool = Field(False, description="With exact and contains: tell 'Billing' from 'billing' "
                                                    "(off: letter case and surrounding spaces are ignored).")
    tolerance: float = Field(0.0, ge=0, description="With the numeric grader: the largest allowed distance "
                                                    "between output and expected.")
    gates: list[Gate] = Field(
        default_factory=list, max_length=MAX_LIST_ITEMS,
        description="The thresholds to ship above: blocking gates decide, guardrails warn.")
    confidence: float = Field(0.95, ge=0.5, le=0.999, description="Confidence level of the intervals the gates "
                                                                  "use (0.95 is usual).")
    quotas: list[Quota] = Field(
        default_factory=list, max_length=MAX_LIST_ITEMS,
        description="Eval cases each category needs: good, bad, edge and adversarial at least.")
    margin: float = Field(0.05, gt=0, lt=0.5, description="How precisely each category's pass rate should be "
                                                          "known: ± this share (0.05 is ±5 points).")
    outputs: list[GradedOutput] = Field(
        default_factory=list, description="Further outputs to grade, each with its columns, grader and gates "
                                          "(a priority beside the queue; whether an attack was obeyed).")
    min_distinct_inputs: int = Field(
        30, ge=1, description="A gate resting on fewer distinct inputs than this is not proven, however many rows "
                              "repeat them.")
    slice_columns: list[str] = Field(
        default_factory=lambda: ["slice"], description="Columns whose values are slices to check against every "
                                                       "blocking gate (e.g. slice, language, plan).")
    min_slice_inputs: int = Field(
        30, ge=1, description="Slices with at least this many distinct inputs are checked against every blocking "
                              "gate; smaller ones are listed as not proven.")
    routable_columns: list[str] = Field(
        default_factory=list, description="Slice columns whose slices the product can send elsewhere (to people, "
                                          "the old process), so a failing slice can be left out of the launch.")
    slice_exceptions: list[SliceException] = Field(
        default_factory=list, description="Slices accepted below a target, each with the reason on record.")
    baseline_file: DataFile | None = Field(
        None, description="An earlier run on the same eval cases (same ids) to compare with; empty on a first run.")
    regression_blocks: bool = Field(
        True, description="Hold the launch when the run is significantly worse than the baseline (exact McNemar "
                          "test at the gates' confidence level).")
    run_date: datetime.date | None = Field(
        None, description="The day the eval ran (YYYY-MM-DD): the date of this evidence, which the case's plans "
                          "are compared with.")
    owner: str = Field(
        "", description="Who acts on this question's next steps (a person or role); the brief names them.")

    @field_validator("results_file", "baseline_file")
    @classmethod
    def _has_the_columns(cls, path: Path | None) -> Path | None:
        # only the header here, so a wrong file is marked on its own field at once; analyze reads the rows
        if path is not None:
            check_results_columns(path)
        return path

    @model_validator(mode="after")
    def _consistent(self) -> Answers:
        names = [g.name.strip().lower() for g in self.gates if g.name.strip()]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"gates: each name once; repeated: {', '.join(repeated)}")
        categories = [q.category.strip() for q in self.quotas if q.category.strip()]
        repeated = sorted({c for c in categories if categories.count(c) > 1})
        if repeated:
            raise ValueError(f"quotas: each category once; repeated: {', '.join(repeated)}")
        if not math.isfinite(self.score_threshold):
            raise ValueError("score_threshold must be a finite number")
        names = [g.name.strip().lower() for o in self.outputs for g in o.gates if g.name.strip()] + names
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"gates: each name once, across outputs too; repeated: {', '.join(repeated)}")
        outputs = [o.name.strip().lower() for o in self.outputs]
        if any(not n for n in outputs) or len(set(outputs)) < len(outputs):
            raise ValueError("outputs: each output needs a name of its own")
        if not [c for c in self.slice_columns if c.strip()]:
            raise ValueError("slice_columns: name at least one column (usually 'slice')")
        return self


class ResultsFileError(CaseError):
    """An eval results file that cannot be used, naming the file and the column to fix."""

    def __init__(self, problem: str, file: str | os.PathLike | None, column: str | None = None):
        super().__init__(problem, file, None, f"column {column!r}" if column else None)
        self.column = column


def starting_answers(case: Case | None) -> dict:
    """Answers to start from when the case has no ``evaluation:`` section: quotas from question 5.

    Every eval set gets good, bad, edge and adversarial quotas; each failure mode question 5 lists gets its
    own category, with more cases the more severe it is (20 per severity point), so the modes that hurt most
    are measured most precisely. Without question 5 the worksheet starts from the four basic quotas.
    """
    quotas = [
        {"category": "good", "cases": 200, "why": "typical inputs: the everyday pass rate"},
        {"category": "bad", "cases": 60, "why": "inputs the product must refuse or hand to a person"},
        {"category": "edge", "cases": 60, "why": "rare, ambiguous or malformed inputs"},
        {"category": "adversarial", "cases": 40, "why": "inputs written to make it misbehave"},
    ]
    for mode in _experience_failure_modes(case):
        quotas.append({"category": mode["name"], "cases": 20 * mode["severity"],
                       "why": f"failure mode from question 5 (severity {mode['severity']} of 5)"})
    return {"quotas": quotas}


def plan(answers: Answers, case: Case) -> Result:
    """At the idea stage: how many distinct eval cases prove the planned accuracy clears the bar.

    ``stats.cases_to_clear_with_power`` with the accuracy the case plans on (question 4's chosen approach, else
    question 2's guess) against the bar (the overall blocking gate, else question 4's accuracy needed), beside
    the eval rows question 3 plans.
    """
    from ..ledger import accuracy_bar, expected_accuracy

    stage = case.stage or "idea"
    result = Result.not_yet(KEY, TITLE, "")
    expected, bar = expected_accuracy(case), accuracy_bar(case)
    lead = f"Not yet: question 6 runs on a built system (the case is at the {stage} stage)."
    planned = sum(n.rows_needed for n in getattr(case.answers("data"), "needs", []) if n.purpose == "evaluation")
    if expected is None or bar is None:
        result.headline = (f"{lead} Plan the eval set once questions 2 or 4 say the accuracy to expect and the "
                           f"accuracy it must clear.")
        return result
    needed = cases_to_clear_with_power(expected.value, bar.value, PLAN_POWER)
    result.metric("Eval cases to plan", needed, key=True)
    result.metric("Accuracy expected", expected.value, "%", key=True)
    result.metric("Accuracy to clear", bar.value, "%")
    result.tables["Eval set to plan"] = pd.DataFrame({
        "item": ["accuracy expected", "accuracy to clear", "chance the set proves it", "distinct eval cases needed",
                 "eval rows question 3 plans"],
        "value": [f"{expected.value:.1%}", f"{bar.value:.1%}", f"{PLAN_POWER:.0%}",
                  "—" if needed is None else f"{needed:,}", f"{planned:,}" if planned else "—"],
        "from": [expected.source, bar.source, "", "stats.cases_to_clear_with_power",
                 "data.needs (purpose evaluation).rows_needed"],
    })
    if needed is None:
        result.headline = (f"{lead} At the expected {expected.value:.1%} no eval set can prove the "
                           f"{bar.value:.0%} bar: improve the approach, or revisit the bar, before building.")
        result.add("caution", f"The accuracy the case plans on ({expected.value:.1%}, {expected.source}) does not "
                              f"clear the bar ({bar.value:.1%}, {bar.source}).")
        return result
    result.headline = (f"{lead} Plan {needed:,} distinct eval cases: enough to prove the expected "
                       f"{expected.value:.1%} clears the {bar.value:.0%} bar with an {PLAN_POWER:.0%} chance.")
    if planned and planned < needed:
        result.add("caution", f"Question 3 plans {planned:,} eval rows, short of the {needed:,} distinct cases this "
                              f"needs: plan more, or expect the interval to be too wide to decide.")
    return result


def analyze(answers: Answers, case: Case | None = None) -> Result:
    result = Result(KEY, TITLE, verdict=NO_SHIP, level="stop", headline="")
    if answers.results_file is None:
        result.headline = "No-ship: there is no eval run yet, so nothing shows the product works."
        result.add("stop", "Run the product on an eval set of good, bad, edge and adversarial cases and name the "
                           "results file (results_file).")
        _check_coverage(answers, None, result)
        result.notes["Ship memo"] = _memo(answers, result, None, [], None)
        return result

    run, texts = _load_run(answers.results_file, answers)
    outputs = _grade_outputs(run, answers)
    health = _check_health(run, answers, result, texts)
    overall = _pass_rates(run, answers, result)
    gates = _check_gates(run, answers, outputs, result)
    slices = _check_slices(run, answers, gates, result)
    _check_coverage(answers, run, result)
    regression = _compare_baseline(run, answers, result) if answers.baseline_file is not None else None
    _confusion(run, result)
    result.figures["Pass rate by category"] = _category_chart(overall["by_category"], answers, gates)
    if regression is not None:
        result.figures["Pass rate by slice: baseline and this run"] = _slice_chart(regression["paired"], answers)

    _decide(answers, result, overall, gates, slices, regression)
    result.notes["Ship memo"] = _memo(answers, result, overall, gates, regression, health, slices)
    result.data.update({
        "cases": overall["cases"], "pass_rate": overall["rate"],
        "interval": [overall["low"], overall["high"]],
        "distinct_inputs": health["distinct"], "effective_cases": overall["effective_n"],
        "unstable_inputs": health["unstable"],
        "slices": slices,
        "categories": sorted(run["category"].unique().tolist()),
        "gates": [{k: v for k, v in g.items() if k != "gate"} for g in gates],
        "regression": None if regression is None else {
            "newly_failing": regression["newly_failing"], "newly_fixed": regression["newly_fixed"],
            "p": float(regression["p"]), "worse": bool(regression["worse"]), "blocks": bool(answers.regression_blocks),
            "flagged": [{"by": r["by"], "group": str(r["group"]), "newly_failing": int(r["newly failing"]),
                         "newly_fixed": int(r["newly fixed"])} for _, r in regression["flagged"].iterrows()]},
    })
    return result


# ---- reading and grading a results file -------------------------------------------------------------------

def check_results_columns(path: str | os.PathLike) -> None:
    """Raise ``ValueError`` naming the missing column when a CSV results file's header lacks one."""
    path = Path(path)
    if path.suffix.lower() in (".parquet", ".pq"):
        return  # the schema is checked when analyze reads it (pyarrow may be absent here)
    columns = read_header(path, rows=False)  # a CaseError for a file that is not UTF-8 CSV text
    for column in REQUIRED_COLUMNS:
        if column not in columns:
            raise ValueError(f"{path.name}: missing column {column!r}; {_suggest_column(column, columns)}")
    if not any(c in columns for c in OUTCOME_COLUMNS):
        raise ValueError(f"{path.name}: missing column 'passed' (true/false) or 'score' (a number); the "
                         f"columns are: {', '.join(columns)}")


def read_results(path: str | os.PathLike, outcome: Literal["either", "passed", "score"] | None = "either"
                 ) -> pd.DataFrame:
    """Read an eval results file and check it; every problem names the file and the column.

    ``outcome`` says which outcome column must be there: ``"either"`` (passed or score, the default),
    ``"passed"``, ``"score"``, or None when the grader works from ``expected`` and ``output`` alone. ``id`` and
    the text columns come back as text (``slice`` empty when blank), ``passed`` as bool, ``score`` as float.
    """
    path = Path(path)
    frame = _read_table(path)
    frame.columns = [str(c).strip() for c in frame.columns]
    required = list(REQUIRED_COLUMNS) + ([outcome] if outcome in OUTCOME_COLUMNS else [])
    for column in required:
        if column not in frame.columns:
            raise ResultsFileError(f"missing column {column!r}; {_suggest_column(column, frame.columns)}",
                                   path, column)
    if outcome == "either" and not any(c in frame.columns for c in OUTCOME_COLUMNS):
        raise ResultsFileError("missing column 'passed' (true/false) or 'score' (a number): a results file needs "
                               f"one of them; the columns are: {', '.join(frame.columns)}", path, "passed")
    if frame.empty:
        raise ResultsFileError("no eval cases: the file has a header and no rows", path)

    for column in REQUIRED_COLUMNS:
        frame[column] = _as_text(frame[column])
    codes, uniques = pd.factorize(frame["category"])  # a handful of names: strip each once
    blank_category = pd.Series(_per_unique(uniques, lambda text: not text.strip(), bool)[codes], index=frame.index)
    for column, blank in (("id", frame["id"].str.len() == 0), ("category", blank_category)):
        if blank.any():
            raise ResultsFileError(f"{int(blank.sum())} rows have no {column} (first on row "
                                   f"{_row_number(blank)}); every eval case needs one", path, column)
    if not frame["id"].is_unique:
        duplicated = frame["id"].duplicated()
        first = frame.loc[duplicated, "id"].iloc[0]
        raise ResultsFileError(f"{int(duplicated.sum())} ids appear more than once (first {first!r}); ids "
                               f"must be unique so runs can be paired", path, "id")
    if "passed" in frame.columns:
        frame["passed"] = _as_bool(frame["passed"], frame["id"], path)
    if "score" in frame.columns:
        frame["score"] = _as_number(frame["score"], frame["id"], path, "score")
    return frame


def grade(frame: pd.DataFrame, grader: str = "passed", *, threshold: float = 0.5, case_sensitive: bool = False,
          tolerance: float = 0.0, file: str | os.PathLike | None = None,
          label_columns: tuple[str, ...] | list[str] = LABEL_COLUMNS) -> pd.Series:
    """Whether each eval case passes, by ``grader`` (one of ``GRADERS``; see ``Answers.grader``).

    ``labels`` passes a row only when every one of ``label_columns`` is true: an answer with a citation passes
    when the harness or a reviewer marked both the answer right and the citation as supporting it.
    """
    if grader == "labels":
        passed = pd.Series(True, index=frame.index)
        for column in label_columns:
            if column not in frame.columns:
                raise ResultsFileError(f"missing column {column!r}: the labels grader needs a true/false column "
                                       f"per label; {_suggest_column(column, frame.columns)}", file, column)
            passed &= _as_bool(frame[column], frame["id"], file, column)
        return passed
    if grader == "passed":
        return frame["passed"].astype(bool)
    if grader == "score":
        return frame["score"] >= threshold
    expected, output = frame["expected"], frame["output"]
    if grader == "exact":
        if case_sensitive:
            return pd.Series(expected.to_numpy() == output.to_numpy(), index=frame.index)
        return pd.Series(_normalised(expected) == _normalised(output), index=frame.index)
    if grader == "contains":
        fold = (lambda t: t) if case_sensitive else (lambda t: t.strip().casefold())
        return _per_pair(frame, lambda e, o: fold(e) in fold(o))
    if grader == "regex":
        return _per_pair(frame, lambda e, o: _compile(e, frame, file).search(o) is not None)
    if grader == "numeric":
        want = _as_number(expected, frame["id"], file, "expected")
        got = pd.to_numeric(output.str.strip(), errors="coerce")  # an answer that is not a number fails
        return (got - want).abs() <= tolerance
    if grader == "json":
        return _per_pair(frame, _json_passes)
    raise ValueError(f"unknown grader {grader!r}; the graders are {', '.join(GRADERS)}")


# An eval run repeats the same few labels (and often the same texts) many times: each distinct value, or
# pair of values, is graded once and the answer spread back over the rows. A million rows stay interactive.

def _per_unique(uniques: pd.Index | np.ndarray, fn, dtype=object) -> np.ndarray:
    values = np.asarray(uniques, dtype=object)  # plain Python strings: iterating pandas' array is slower
    return np.fromiter((fn(u) for u in values), dtype=dtype, count=len(values))


def _normalised(values: pd.Series) -> np.ndarray:
    """Each value stripped and case-folded, computed once per distinct value."""
    codes, uniques = pd.factorize(values)
    return _per_unique(uniques, lambda text: text.strip().casefold())[codes]


def _per_pair(frame: pd.DataFrame, fn) -> pd.Series:
    """``fn(expected, output)`` for each row, computed once per distinct pair."""
    e_codes, e_uniques = pd.factorize(frame["expected"])
    o_codes, o_uniques = pd.factorize(frame["output"])
    e_uniques, o_uniques = np.asarray(e_uniques, dtype=object), np.asarray(o_uniques, dtype=object)
    pair_codes, pairs = pd.factorize(e_codes.astype(np.int64) * len(o_uniques) + o_codes)
    answers = np.fromiter((fn(e_uniques[p // len(o_uniques)], o_uniques[p % len(o_uniques)]) for p in pairs),
                          dtype=bool, count=len(pairs))
    return pd.Series(answers[pair_codes], index=frame.index)


def _read_table(path: Path) -> pd.DataFrame:
    if path.suffix.lower() in (".parquet", ".pq"):
        try:
            import pyarrow  # noqa: F401  (pandas needs it for Parquet)
        except ImportError:
            raise ResultsFileError("reading Parquet needs pyarrow (pip install pyarrow); or save the run as CSV",
                                   path) from None
        return pd.read_parquet(path)
    text_columns = {c: "str" for c in REQUIRED_COLUMNS}
    try:
        # na_filter=False keeps text as written: an expected label "NA" or an empty input stays itself
        return read_csv(path, dtype=text_columns, na_filter=False)
    except CaseError as exc:  # not UTF-8 CSV text, ragged rows, too many rows: said with the whole path
        raise ResultsFileError(exc.problem, path, getattr(exc, "column", None)) from None


def _as_text(values: pd.Series) -> pd.Series:
    if pd.api.types.is_string_dtype(values) and not values.isna().any():
        return values
    return values.astype(object).where(values.notna(), "").astype(str)


def _as_bool(values: pd.Series, ids: pd.Series, path: Path | None, column: str = "passed") -> pd.Series:
    if pd.api.types.is_bool_dtype(values) and not values.isna().any():
        return values.astype(bool)
    words = values.astype(object).where(values.notna(), "").astype(str).str.strip().str.lower()
    truth = words.map({"true": True, "false": False, "1": True, "0": False, "1.0": True, "0.0": False})
    bad = truth.isna()
    if bad.any():
        found = sorted(set(values[bad].astype(str)))[:3]
        raise ResultsFileError(f"{int(bad.sum())} rows hold something other than true/false (first id "
                               f"{ids[bad].iloc[0]!r}; found {', '.join(repr(v) for v in found)})", path, column)
    return truth.astype(bool)


def _as_number(values: pd.Series, ids: pd.Series, path: str | os.PathLike | None, column: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.astype(float)
    else:
        numbers = pd.to_numeric(values.astype(str).str.strip(), errors="coerce")
    bad = numbers.isna()
    if bad.any():
        raise ResultsFileError(f"{int(bad.sum())} rows hold something other than a number (first id "
                               f"{ids[bad].iloc[0]!r}: {values[bad].iloc[0]!r})", path, column)
    return numbers


def _compile(pattern: str, frame: pd.DataFrame, file: str | os.PathLike | None) -> _BoundedPattern:
    import regex

    try:
        return _BoundedPattern(_cached_pattern(pattern), frame, file)
    except regex.error as exc:
        case_id = frame.loc[frame["expected"] == pattern, "id"].iloc[0]
        raise ResultsFileError(f"not a valid regular expression for case {case_id!r}: {pattern!r} ({exc})",
                               file, "expected") from None


_PATTERNS: dict[str, object] = {}
REGEX_TIMEOUT = 0.25  # seconds one match may take: a pattern that backtracks without end stops, with its row named


def _cached_pattern(pattern: str):
    """The pattern compiled by the ``regex`` package (``re``'s syntax, and a timeout on each match)."""
    import regex

    compiled = _PATTERNS.get(pattern)
    if compiled is None:
        compiled = _PATTERNS[pattern] = regex.compile(pattern)
    return compiled


class _BoundedPattern:
    """A compiled pattern whose ``search`` gives up after ``REGEX_TIMEOUT`` with an error naming the case's row."""

    def __init__(self, compiled, frame: pd.DataFrame, file: str | os.PathLike | None):
        self.compiled, self.frame, self.file = compiled, frame, file

    def search(self, text: str):
        try:
            return self.compiled.search(text, timeout=REGEX_TIMEOUT)
        except TimeoutError:
            rows = (self.frame["expected"] == self.compiled.pattern) & (self.frame["output"] == text)
            case_id = self.frame.loc[rows, "id"].iloc[0]
            raise ResultsFileError(
                f"the regular expression of case {case_id!r} (row {_row_number(rows)}) was stopped after "
                f"{REGEX_TIMEOUT} s on that case's output: {self.compiled.pattern!r} backtracks without end on some "
                "text, as nested repeats such as (a|aa)+ do. Rewrite it without nested repeats, or grade this case "
                "another way", self.file, "expected") from None


def _json_passes(expected: str, output: str) -> bool:
    try:
        got = json.loads(output)
    except ValueError:
        return False
    if not expected.strip():
        return True
    try:
        want = json.loads(expected)
    except ValueError:
        return True  # the expected column holds a description, not JSON: validity is the test
    return got == want


def _suggest_column(name: str, columns: pd.Index) -> str:
    close = difflib.get_close_matches(name, [str(c) for c in columns], n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"{hint}the columns are: {', '.join(str(c) for c in columns)}"


def _row_number(mask: pd.Series) -> int:
    return int(mask.to_numpy().argmax()) + 2  # the header is row 1


def _outcome_needed(grader: str) -> str | None:
    return grader if grader in OUTCOME_COLUMNS else None


def _load_run(path: Path, a: Answers) -> tuple[pd.DataFrame, list[str]]:
    """The run's cases with ``pass`` as graded (``slice`` filled in where blank) and ``unit`` (the distinct
    input or group), and the distinct normalised inputs."""
    frame = read_results(path, _outcome_needed(a.grader))
    frame["pass"] = grade(frame, a.grader, threshold=a.score_threshold, case_sensitive=a.case_sensitive,
                          tolerance=a.tolerance, file=path).to_numpy(dtype=bool)
    frame["unit"], unit_kind, texts = evalset.units_and_texts(frame)
    frame.attrs["unit"] = unit_kind
    # categories and slices are a handful of names: as categoricals every group-by is cheap
    frame["category"] = _as_category(frame["category"])
    frame["slice"] = _as_category(frame["slice"], blank_as=NO_SLICE)
    return frame, texts


def _as_category(values: pd.Series, blank_as: str | None = None) -> pd.Categorical:
    """The column as a categorical with sorted names; blank names become ``blank_as`` when given."""
    codes, uniques = pd.factorize(values)
    names = [u if blank_as is None or u.strip() else blank_as for u in uniques]
    final = sorted(set(names))
    position = {name: i for i, name in enumerate(final)}
    remap = np.array([position[n] for n in names], dtype=np.int64)
    return pd.Categorical.from_codes(remap[codes], categories=final)


# ---- the steps ------------------------------------------------------------------------------------------

def _honest(passed, units, confidence: float) -> dict:
    """Pass rate and interval with the distinct input as the unit (``stats.clustered_interval``)."""
    return clustered_interval(np.asarray(passed, dtype=bool), np.asarray(units, dtype=np.int64), confidence)


def _interval_table(passed: pd.Series, groups: pd.Series, label: str, confidence: float,
                    units: pd.Series | None = None) -> pd.DataFrame:
    """Cases, distinct inputs, passes and pass rate per group, with the interval on the distinct inputs (rates
    in percent, one decimal)."""
    rows = []
    unit_codes = np.arange(len(passed)) if units is None else np.asarray(units, dtype=np.int64)
    codes, names = pd.factorize(groups, sort=True)
    for name, h in zip(names, clustered_intervals_by_group(passed, unit_codes, codes, confidence)):
        rows.append({label: name, "cases": h["rows"], "distinct inputs": h["clusters"], "passed": h["passes"],
                     "pass rate (%)": _pct(h["rate"]), "low (%)": _pct(h["low"]), "high (%)": _pct(h["high"])})
    return pd.DataFrame(rows, columns=[label, "cases", "distinct inputs", "passed", "pass rate (%)", "low (%)",
                                       "high (%)"])


def _grade_outputs(run: pd.DataFrame, a: Answers) -> list[dict]:
    """Grade each further output: a ``pass:<name>`` and a ``graded:<name>`` column per output.

    A column the output names that the results file lacks is one error naming the field to fix.
    """
    found = []
    path = a.results_file
    normalised: dict[str, np.ndarray] = {}  # each column normalised once, however many outputs read it

    def folded(column: str) -> np.ndarray:
        if column not in normalised:
            normalised[column] = _normalised(_as_text(run[column]))
        return normalised[column]

    for i, o in enumerate(a.outputs):
        needs = {"output_column": [o.output_column]}
        if o.grader in ("exact", "contains", "regex", "numeric", "json", "recall"):
            needs["expected_column"] = [o.expected_column]
        if o.grader == "not_forbidden":
            needs["forbidden_column"] = [o.forbidden_column]
        if o.grader == "labels":
            needs = {"label_columns": [c for c in o.label_columns if c.strip()]}
        for field, columns in needs.items():
            for column in columns:
                if column not in run.columns:
                    raise CaseError(f"output {o.name!r} grades column {column!r}, which the results file "
                                    f"{Path(path).name} does not have; {_suggest_column(column, run.columns)}",
                                    None, KEY, f"outputs[{i}].{field}")
        graded = np.ones(len(run), dtype=bool)
        if o.grader == "labels":
            passed = grade(run, "labels", file=path, label_columns=needs["label_columns"]).to_numpy(dtype=bool)
        else:
            if o.grader == "not_forbidden":
                forbidden = folded(o.forbidden_column)
                graded = forbidden != ""
                passed = folded(o.output_column) != forbidden
            elif o.grader == "recall":
                level = o.level.strip().casefold()
                graded = folded(o.expected_column) == level
                passed = folded(o.output_column) == level
            else:
                view = pd.DataFrame({"id": run["id"], "expected": _as_text(run[o.expected_column]),
                                     "output": _as_text(run[o.output_column])})
                passed = grade(view, o.grader, case_sensitive=a.case_sensitive, tolerance=a.tolerance,
                               file=path).to_numpy(dtype=bool)
        run[f"pass:{o.name}"] = np.asarray(passed, dtype=bool) & graded
        run[f"graded:{o.name}"] = graded
        found.append({"name": o.name, "grader": o.grader, "level": o.level, "rows": int(graded.sum()),
                      "passed": int((np.asarray(passed) & graded).sum())})
    return found


def _check_health(run: pd.DataFrame, a: Answers, result: Result, texts: list[str]) -> dict:
    """Distinct inputs, what they are worth, repeated rows, output instability and near-copies."""
    h = evalset.health(run, run["unit"].to_numpy(), run["pass"].to_numpy())
    h["texts"] = texts
    overall = _honest(run["pass"], run["unit"], a.confidence)
    h["effective_n"], h["design_effect"] = overall["effective_n"], overall["design_effect"]
    unit = "distinct inputs" if run.attrs.get("unit") == "input" else "distinct groups (the file's group column)"
    result.metric("Distinct inputs", h["distinct"], key=True)
    result.metric("Worth in independent cases", round(h["effective_n"], 1))
    if h["repeat_rows"]:
        level = "caution" if h["distinct"] < 0.5 * h["rows"] else "info"
        result.add(level, f"The set holds {h['rows']:,} rows but {h['distinct']:,} {unit}: {h['repeated_inputs']:,} "
                          f"inputs appear more than once (the most, {h['largest']:,} times: "
                          f"{_shorten(h['largest_input'], 50)!r}). With the agreement within inputs they are worth "
                          f"about {h['effective_n']:,.0f} independent cases (design effect "
                          f"{h['design_effect']:.2f}), and every interval here counts them so"
                          + (f", only because one input's rows disagree about as often as independent cases would "
                             f"(output instability, below); a deterministic product's repeats would be worth "
                             f"{h['distinct']:,}" if h["unstable"] and h["design_effect"] < 1.5 else "")
                          + ". Add new inputs, not re-runs, to narrow it.")
    else:
        result.add("info", f"The set holds {h['distinct']:,} distinct inputs, one row each: every row is an "
                           f"independent case.")
    if h["unstable"]:
        result.add("caution", f"Output instability: {h['unstable']:,} of the {h['repeated_inputs']:,} repeated "
                              f"inputs pass on some rows and fail on others ({h['outputs_differ']:,} get different "
                              f"outputs). A product that answers one input differently run to run needs a reason "
                              f"(sampling temperature, retrieval order) and a fix before one run is trusted.")
    h["near"] = _near_duplicates(run, a, result, h)
    del h["texts"]
    return h


def _near_duplicates(run: pd.DataFrame, a: Answers, result: Result, h: dict) -> list[list[str]]:
    if h["distinct"] > evalset.NEAR_DUPLICATE_LIMIT:
        result.add("info", f"Near-copies were not looked for among {h['distinct']:,} distinct inputs here (more than "
                           f"{evalset.NEAR_DUPLICATE_LIMIT:,}); aipm_kit.evalset.find_near_duplicates(results_file) "
                           f"finds them once (about 30 s per 100,000 inputs) and keeps the answer.")
        return []
    texts = h["texts"]
    groups = evalset.find_near_duplicates(a.results_file, texts)
    if groups:
        copies = sum(len(g) for g in groups)
        result.add("info", f"{copies:,} distinct inputs are near-copies of another ({len(groups):,} groups, MinHash "
                           f"on word 3-grams, similarity ≥ {evalset.NEAR_DUPLICATE_JACCARD:.0%}), such as "
                           f"{_shorten(groups[0][0], 60)!r} and {_shorten(groups[0][1], 60)!r}. They count as distinct "
                           f"here; check each tests something of its own.")
        result.tables["Near-copies among the inputs (largest groups first)"] = pd.DataFrame(
            [{"inputs in group": len(g), "example": _shorten(g[0], 110), "another": _shorten(g[1], 110)}
             for g in groups[:LISTED_CASES]])
    return groups


def _pass_rates(run: pd.DataFrame, a: Answers, result: Result) -> dict:
    h = _honest(run["pass"], run["unit"], a.confidence)
    n, k, low, high = h["rows"], h["passes"], h["low"], h["high"]
    level = f"{a.confidence:.0%}"
    result.metric("Eval cases", n)
    result.metric("Pass rate", k / n, "%", key=True)
    result.metric(f"{level} interval, low", low, "%")
    result.metric(f"{level} interval, high", high, "%")
    by_category = _interval_table(run["pass"], run["category"], "category", a.confidence, run["unit"])
    result.tables[f"Pass rate by category ({level} interval on distinct inputs)"] = by_category
    if run["slice"].nunique() > 1:
        result.tables[f"Pass rate by slice ({level} interval on distinct inputs)"] = _interval_table(
            run["pass"], run["slice"], "slice", a.confidence, run["unit"])
    result.add("info", f"{k:,} of {n:,} eval cases pass ({_fmt(k / n)}; {level} interval {_fmt(low)}–{_fmt(high)} "
                       f"on {h['clusters']:,} distinct inputs), graded by "
                       f"{_GRADER_WORDS[a.grader].format(t=a.score_threshold, tol=a.tolerance)}.")
    return {"cases": n, "passed": k, "rate": k / n, "low": low, "high": high, "distinct": h["clusters"],
            "effective_n": h["effective_n"], "by_category": by_category}


_GRADER_WORDS = {
    "passed": "the file's passed column", "score": "score ≥ {t:g}", "exact": "exact match", "contains":
    "output contains expected", "regex": "regular expression", "numeric": "numeric tolerance ±{tol:g}",
    "json": "valid JSON", "labels": "the answer_correct and citation_supported labels (both true)",
    "recall": "recall of one level", "not_forbidden": "not the forbidden value",
}


def gate_status(passes: int, cases: int, target: float, confidence: float = 0.95) -> str:
    """``pass`` when the interval's low end clears the target, ``not proven`` when only the pass rate does,
    ``fail`` otherwise (``no cases`` when nothing was measured). Independent cases (one row per input)."""
    if cases == 0:
        return "no cases"
    low, _ = wilson_interval(passes, cases, confidence)
    if low >= target:
        return "pass"
    if passes / cases >= target:
        return "not proven"
    return "fail"


def _gate_mask(run: pd.DataFrame, g: Gate, output: str | None) -> np.ndarray:
    mask = np.ones(len(run), dtype=bool) if output is None else run[f"graded:{output}"].to_numpy(dtype=bool, copy=True)
    if g.category.strip():
        mask &= (run["category"] == g.category.strip()).to_numpy()
    if g.slice.strip():
        mask &= (run["slice"] == g.slice.strip()).to_numpy()
    return mask


def _measure_gate(run: pd.DataFrame, mask: np.ndarray, column: str, target: float, a: Answers,
                  plan: bool = True) -> dict:
    """One gate (or one slice of it): rows, distinct inputs, the honest interval, its status, what it needs."""
    h = _honest(run[column].to_numpy()[mask], run["unit"].to_numpy()[mask], a.confidence)
    n, k, distinct = h["rows"], h["passes"], h["clusters"]
    rate = k / n if n else None
    if n == 0:
        status = "no cases"
    elif rate < target:
        status = "fail"
    elif h["low"] >= target and distinct >= a.min_distinct_inputs:
        status = "pass"
    else:
        status = "not proven"
    more = None
    if status == "not proven" and plan:
        more = max(a.min_distinct_inputs - distinct, 0)
        if h["low"] < target:
            more_for_interval = distinct_cases_to_clear(rate, target, h["effective_n"], distinct, a.confidence)
            more = None if more_for_interval is None else max(more, more_for_interval)
    return {"cases": n, "passed": k, "rate": rate, "low": h["low"], "high": h["high"], "distinct": distinct,
            "effective_n": h["effective_n"], "status": status, "distinct_to_prove": more}


def _check_gates(run: pd.DataFrame, a: Answers, outputs: list[dict], result: Result) -> list[dict]:
    gates = []
    declared = [(g, None, "pass") for g in a.gates]
    declared += [(g, o.name, f"pass:{o.name}") for o in a.outputs for g in o.gates]
    for i, (g, output, column) in enumerate(declared, 1):
        mask = _gate_mask(run, g, output)
        gates.append({
            "name": g.name.strip() or f"gate {i}", "kind": g.kind, "category": g.category.strip(),
            "slice": g.slice.strip(), "target": g.target, "output": output, "column": column,
            "gate": g, **_measure_gate(run, mask, column, g.target, a),
        })
    for o in outputs:
        what = (f"by the recall of {o['level']!r} (rows that should be {o['level']} and are)"
                if o["grader"] == "recall" else
                "on whether it avoided the row's forbidden value (what the attack asked for)"
                if o["grader"] == "not_forbidden" else f"by {_GRADER_WORDS.get(o['grader'], o['grader'])}")
        result.add("info", f"Output {o['name']!r} is graded {what}: {o['passed']:,} of {o['rows']:,} graded rows "
                           f"pass ({_fmt(o['passed'] / o['rows']) if o['rows'] else '—'}).")
    if not gates:
        result.add("caution", "No gate is set: agree a blocking threshold (gates) before reading the results, "
                              "or any number will look good enough.")
        return gates
    level = f"{a.confidence:.0%}"
    result.tables["Gates"] = pd.DataFrame({
        "gate": [g["name"] for g in gates],
        "output": [g["output"] or "output" for g in gates],
        "kind": [g["kind"] for g in gates],
        "applies to": [_scope(g) for g in gates],
        "cases": [g["cases"] for g in gates],
        "distinct inputs": [g["distinct"] for g in gates],
        "pass rate (%)": [_pct(g["rate"]) for g in gates],
        f"{level} low (%)": [_pct(g["low"]) if g["cases"] else None for g in gates],
        "target (%)": [_pct(g["target"]) for g in gates],
        "status": [g["status"] for g in gates],
        "distinct inputs to add": [f"{g['distinct_to_prove']:,}" if g["distinct_to_prove"] else "—" for g in gates],
    })
    blocking = [g for g in gates if g["kind"] == "blocking"]
    result.metric("Blocking gates passed", sum(g["status"] == "pass" for g in blocking), key=True)
    result.metric("Blocking gates", len(blocking))
    categories = sorted(run["category"].unique())
    slices = sorted(run["slice"].unique())
    for g in gates:
        blocking = g["kind"] == "blocking"
        what = f"{g['kind'].capitalize()} gate {g['name']!r}"
        on = f"{g['cases']:,} cases ({g['distinct']:,} distinct inputs)"
        if g["status"] == "no cases":
            wrong = ("category", g["category"], categories) if g["category"] not in categories else \
                ("slice", g["slice"], slices) if g["slice"] and g["slice"] not in slices else \
                ("output", g["output"], [g["output"]])
            result.add("stop" if blocking else "caution",
                       f"{what} has no eval cases to judge ({wrong[0]} {wrong[1]!r}; the run has "
                       f"{', '.join(repr(x) for x in wrong[2])}): add cases or fix the name.")
        elif g["status"] == "pass":
            result.add("go", f"{what}: {_fmt(g['rate'])} of {on} pass; even the interval's low end "
                             f"({_fmt(g['low'])}) clears the {_fmt(g['target'])} target.")
        elif g["status"] == "not proven":
            few = g["distinct"] < a.min_distinct_inputs
            more = (f" about {g['distinct_to_prove']:,} more distinct inputs at this rate would prove it"
                    if g["distinct_to_prove"] else " more distinct inputs would narrow the interval")
            why = (f"it rests on {g['distinct']:,} distinct inputs, under the {a.min_distinct_inputs:,} minimum"
                   if few else f"the interval's low end ({_fmt(g['low'])}) is under the {_fmt(g['target'])} target")
            result.add("caution", f"{what} is not proven: {_fmt(g['rate'])} of {on} pass, but {why};{more}.")
        else:
            result.add("stop" if blocking else "caution",
                       f"{what} fails: {_fmt(g['rate'])} of {on} pass ({level} interval "
                       f"{_fmt(g['low'])}–{_fmt(g['high'])}), under the {_fmt(g['target'])} target. "
                       + ("Fix it before launch." if blocking else
                          "Launch only with a plan for these cases (a person checks them, or a fix)."))
    return gates


def _scope(g: dict) -> str:
    parts = [f"category {g['category']}" if g["category"] else "", f"slice {g['slice']}" if g["slice"] else ""]
    return ", ".join(p for p in parts if p) or "all cases"


def _check_slices(run: pd.DataFrame, a: Answers, gates: list[dict], result: Result) -> list[dict]:
    """Every slice against every blocking gate: below target (Hold), straddling (caution), or too small to tell.

    A slice counts when it has at least ``min_slice_inputs`` distinct inputs; its interval is taken on its own
    distinct inputs, so an average that clears cannot hide a slice that does not.
    """
    columns = [c.strip() for c in a.slice_columns if c.strip()]
    for i, column in enumerate(columns):
        if column not in run.columns:
            raise CaseError(f"{column!r} is not a column of the results file {Path(a.results_file).name}; "
                            f"{_suggest_column(column, run.columns)}", None, KEY, f"slice_columns[{i}]")
    accepted = {(x.column.strip(), x.slice.strip()): x.reason.strip() for x in a.slice_exceptions if x.slice.strip()}
    blocking = [g for g in gates if g["kind"] == "blocking" and g["status"] != "no cases"]
    found = []
    for column in columns:
        values = run[column] if column == "slice" else _as_category(_as_text(run[column]), blank_as=NO_SLICE)
        codes, names = pd.factorize(values, sort=True)
        if len(names) < 2:
            continue
        for g in blocking:
            if column == "slice" and g["slice"]:
                continue  # the gate is already on one slice of this column
            base = _gate_mask(run, g["gate"], g["output"])
            for j, name in enumerate(names):
                if name == NO_SLICE:
                    continue
                m = _measure_gate(run, base & (codes == j), g["column"], g["target"], a, plan=False)
                if m["cases"] == 0:
                    continue
                if m["distinct"] < a.min_slice_inputs:
                    status = "not proven"
                elif m["high"] < g["target"]:
                    status = "accepted" if (column, name) in accepted else "below target"
                elif m["low"] < g["target"]:
                    status = "straddles"
                else:
                    status = "clears"
                found.append({"column": column, "slice": name, "gate": g["name"], "target": g["target"],
                              "cases": m["cases"], "passed": m["passed"], "distinct": m["distinct"],
                              "rate": m["rate"], "low": m["low"], "high": m["high"], "status": status,
                              "routable": column in a.routable_columns, "reason": accepted.get((column, name), "")})
    if not found:
        return found
    level = f"{a.confidence:.0%}"
    result.tables[f"Slices against the blocking gates ({level} interval on distinct inputs)"] = pd.DataFrame({
        "slice column": [x["column"] for x in found], "slice": [x["slice"] for x in found],
        "gate": [x["gate"] for x in found], "cases": [x["cases"] for x in found],
        "distinct inputs": [x["distinct"] for x in found], "pass rate (%)": [_pct(x["rate"]) for x in found],
        "low (%)": [_pct(x["low"]) for x in found], "high (%)": [_pct(x["high"]) for x in found],
        "target (%)": [_pct(x["target"]) for x in found], "status": [x["status"] for x in found],
    })
    for x in found:
        numbers = (f"{_fmt(x['rate'])} ({x['passed']:,} of {x['cases']:,} cases, {x['distinct']:,} distinct inputs; "
                   f"{level} interval {_fmt(x['low'])}–{_fmt(x['high'])})")
        name = f"{x['column']} {x['slice']!r}" if x["column"] != "slice" else f"slice {x['slice']!r}"
        if x["status"] == "below target":
            offer = (f" Fix it, or launch without this slice: send {x['slice']} to people as today and ship the rest."
                     if x["routable"] else " Fix it before launch, or accept it as an exception with a reason "
                                           "(slice_exceptions).")
            result.add("stop", f"{name} fails gate {x['gate']!r}: {numbers}, entirely under the "
                               f"{_fmt(x['target'])} target.{offer}")
        elif x["status"] == "accepted":
            result.add("caution", f"{name} is under gate {x['gate']!r} ({numbers}); accepted as an "
                                  f"exception: {x['reason']}")
    near = [x for x in found if x["status"] == "straddles"]
    if near:
        listed = "; ".join(f"{x['slice']} on {x['gate']!r}: {_fmt(x['rate'])} of {x['cases']:,} "
                           f"({_fmt(x['low'])}–{_fmt(x['high'])})" for x in near[:6])
        result.add("caution", f"{len(near)} slice{'s are' if len(near) > 1 else ' is'} not proven above a blocking "
                              f"target (the interval straddles it): {listed}{'…' if len(near) > 6 else ''}. Add "
                              f"distinct inputs from {'these slices' if len(near) > 1 else 'this slice'}.")
    small = [x for x in found if x["status"] == "not proven"]
    if small:
        listed = "; ".join(f"{x['slice']} on {x['gate']!r} ({x['distinct']})" for x in small[:8])
        result.add("info", f"{len(small)} slice{'s' if len(small) > 1 else ''} of a blocking gate "
                           f"{'have' if len(small) > 1 else 'has'} under {a.min_slice_inputs} distinct inputs and "
                           f"{'are' if len(small) > 1 else 'is'} not proven either way: {listed}"
                           f"{'…' if len(small) > 8 else ''}.")
    return found


def _check_coverage(a: Answers, run: pd.DataFrame | None, result: Result) -> None:
    have = run.groupby("category", observed=True)["pass"].agg(["sum", "count"]) if run is not None else pd.DataFrame(
        columns=["sum", "count"])
    quotas = {q.category.strip(): q.cases for q in a.quotas if q.category.strip()}
    categories = list(dict.fromkeys([*quotas, *sorted(have.index)]))
    if not categories:
        result.add("caution", "No quotas are set: decide how many good, bad, edge and adversarial cases the "
                              "eval set needs (quotas).")
        return
    z = z_value(a.confidence)
    rows = []
    for c in categories:
        k, n = (int(have.loc[c, "sum"]), int(have.loc[c, "count"])) if c in have.index else (0, 0)
        # The Wilson centre (k + z²/2) / (n + z²) is never 0 or 1, so a category that passed every case still
        # gets a sensible estimate of the cases a ±margin needs; with no cases it is ½, the worst case.
        centre = (k + z * z / 2) / (n + z * z)
        needed = sample_size_for_margin(a.margin, centre, a.confidence)
        rows.append({"category": c, "cases": n, "quota": quotas.get(c), "short by": max(quotas.get(c, 0) - n, 0),
                     f"cases for ±{a.margin:.0%}": needed,
                     "margin now (±%)": _pct(z * math.sqrt(centre * (1 - centre) / n)) if n else None})
    table = pd.DataFrame(rows)
    result.tables["Coverage: eval cases per category against the quotas"] = table
    short = table[table["short by"] > 0]
    for _, row in short.iterrows():
        result.add("caution", f"Category {row['category']!r} has {row['cases']:,} of its {int(row['quota']):,} "
                              f"quota cases: add {int(row['short by']):,} before trusting its pass rate.")
    if run is None:
        return
    result.metric("Categories under quota", len(short))
    missing_quota = [c for c in categories if c not in quotas]
    if quotas and missing_quota:
        result.add("info", f"No quota for {', '.join(repr(c) for c in missing_quota)}: add one so the set keeps "
                           f"measuring it.")
    imprecise = table[(table["cases"] > 0) & (table["cases"] < table[f"cases for ±{a.margin:.0%}"])]
    if len(imprecise):
        parts = [f"{r['category']} ({r['cases']:,} of about {r[f'cases for ±{a.margin:.0%}']:,}, now "
                 f"±{r['margin now (±%)']:g} points)" for _, r in imprecise.iterrows()]
        result.add("info", f"Too few cases to know these pass rates within ±{a.margin * 100:g} points: "
                           f"{'; '.join(parts)}.")
    if len(have) < 3:
        result.add("caution", f"The eval set has {len(have)} categor{'y' if len(have) == 1 else 'ies'} "
                              f"({', '.join(sorted(have.index))}): cover good, bad and edge cases at least.")


def _compare_baseline(run: pd.DataFrame, a: Answers, result: Result) -> dict:
    path = a.baseline_file
    base = read_results(path, _outcome_needed(a.grader))
    base_pass = grade(base, a.grader, threshold=a.score_threshold, case_sensitive=a.case_sensitive,
                      tolerance=a.tolerance, file=path)
    base = pd.DataFrame({"id": base["id"], "baseline output": base["output"], "baseline pass": base_pass})
    columns = ["id", "category", "slice", "input", "expected", "output", "pass", "unit"]
    if len(run) == len(base) and (run["id"].to_numpy() == base["id"].to_numpy()).all():
        # the usual case: the same eval set in the same order, so the rows pair up as they stand
        paired = pd.concat([run[columns], base.drop(columns="id").set_axis(run.index)], axis=1)
    else:
        paired = run[columns].merge(base, on="id", how="inner", sort=False)
    if paired.empty:
        raise ResultsFileError(f"no ids in common with the results file {Path(a.results_file).name} (it has ids "
                               f"like {run['id'].iloc[0]!r}, the baseline {base['id'].iloc[0]!r}): a baseline "
                               f"is the same eval cases run by the earlier version", path, "id")
    was, now = paired["baseline pass"].to_numpy(), paired["pass"].to_numpy()
    paired["newly failing"], paired["newly fixed"] = was & ~now, ~was & now
    b, c = int(paired["newly failing"].sum()), int(paired["newly fixed"].sum())
    p = mcnemar_exact(b, c)
    alpha = 1 - a.confidence

    result.metric("Cases newly failing against the baseline", b, key=True)
    result.metric("Cases newly fixed against the baseline", c)
    unpaired = len(run) - len(paired), len(base) - len(paired)
    if any(unpaired):
        result.add("info", f"{unpaired[0]:,} cases of this run and {unpaired[1]:,} of the baseline have no partner "
                           f"id; the comparison uses the {len(paired):,} cases in both.")
    by_group = _regression_table(paired, alpha)
    result.tables["Against the baseline (paired by id; exact McNemar test on the changed cases)"] = by_group

    worse = b > c and p < alpha
    flagged = by_group[by_group["flag"] != ""]
    if worse:
        level = "stop" if a.regression_blocks else "caution"
        result.add(level, f"This run is significantly worse than the baseline: {b} cases newly fail and {c} are "
                          f"newly fixed (exact McNemar {_p(p)}). Find what broke before launch.")
    elif c > b and p < alpha:
        result.add("go", f"This run is significantly better than the baseline: {c} cases newly fixed, {b} newly "
                         f"failing (exact McNemar {_p(p)}).")
    else:
        result.add("info", f"No significant overall change against the baseline: {b} newly failing, {c} newly "
                           f"fixed (exact McNemar {_p(p)}).")
    if b and not worse:
        where = ""
        if len(flagged):
            r = flagged.iloc[0]
            where = (f" {int(r['newly failing'])} of them in {r['by']} {r['group']!r}, where the run is "
                     f"significantly worse (exact {_p_phrase(r['exact p'])});")
        result.add("caution", f"{b} cases that passed in the baseline now fail;{where} read them (listed below) "
                              f"and fix the cause or watch it with a guardrail.")
    if b:
        listed = paired[paired["newly failing"]].sort_values("id").head(LISTED_CASES)
        caption = (f"Newly failing cases (first {LISTED_CASES} of {b})" if b > LISTED_CASES
                   else "Newly failing cases")
        result.tables[caption] = pd.DataFrame({
            "id": listed["id"], "category": listed["category"], "slice": listed["slice"],
            "input": listed["input"].map(_shorten), "expected": listed["expected"].map(_shorten),
            "baseline output": listed["baseline output"].map(_shorten), "output": listed["output"].map(_shorten),
        })
    return {"paired": paired, "newly_failing": b, "newly_fixed": c, "p": p, "worse": worse,
            "flagged": flagged}


def _regression_table(paired: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Newly failing and fixed cases overall, per slice and per category; flags groups significantly worse.

    A group is flagged when its exact McNemar p is under alpha divided by the number of groups (Bonferroni):
    looking at many groups finds a small p by chance.
    """
    groups = [("all", "all cases", paired)]
    for by in ("slice", "category"):
        groups += [(by, name, part) for name, part in paired.groupby(by, sort=True, observed=True)]
    bar = alpha / max(len(groups) - 1, 1)
    rows = []
    for by, name, part in groups:
        b, c = int(part["newly failing"].sum()), int(part["newly fixed"].sum())
        p = mcnemar_exact(b, c)
        rows.append({"by": by, "group": name, "cases": len(part),
                     "baseline pass (%)": _pct(part["baseline pass"].mean()),
                     "pass (%)": _pct(part["pass"].mean()), "newly failing": b, "newly fixed": c,
                     "exact p": _p_value(p), "flag": "worse" if by != "all" and b > c and p < bar else ""})
    table = pd.DataFrame(rows)
    order = table[table["flag"] != ""].sort_values("newly failing", ascending=False, kind="stable").index
    return pd.concat([table.loc[order], table.drop(order)]).reset_index(drop=True) if len(order) else table


def _confusion(run: pd.DataFrame, result: Result) -> None:
    """A confusion matrix when expected answers are a handful of labels and most outputs are among them."""
    e_codes, labels = pd.factorize(run["expected"])
    if not 2 <= len(labels) <= MAX_LABELS:
        return
    order = sorted(labels)
    o_codes, outputs = pd.factorize(run["output"])
    # each output's column: its label's position in order, or one past the end for "(other)"
    column_of = np.array([order.index(o) if o in order else len(order) for o in outputs], dtype=np.int64)
    row_of = np.array([order.index(e) for e in labels], dtype=np.int64)
    columns_of_rows = column_of[o_codes]
    if (columns_of_rows == len(order)).mean() > 0.1:
        return  # most outputs are not labels: free text, where a matrix says nothing
    width = len(order) + 1
    counts = np.bincount(row_of[e_codes] * width + columns_of_rows, minlength=len(order) * width)
    matrix = pd.DataFrame(counts.reshape(len(order), width), index=pd.Index(order, name="expected"),
                          columns=[*order, "(other)"])
    if not matrix["(other)"].any():
        matrix = matrix.drop(columns="(other)")
    table = matrix.reset_index().rename(columns={"expected": "expected ↓ / output →"})
    table.columns.name = None
    totals = matrix.sum(axis=1)
    diagonal = pd.Series([matrix.at[lab, lab] for lab in order], index=order)
    table["recall (%)"] = [_pct(d / t) if t else None for d, t in zip(diagonal, totals)]
    result.tables["Confusion matrix (rows: expected, columns: output)"] = table
    off = matrix.copy()
    for lab in order:
        off.at[lab, lab] = 0
    if off.to_numpy().sum():
        stacked = off.stack()
        (want, got), count = stacked.idxmax(), int(stacked.max())
        result.add("info", f"The most common mistake: {want!r} answered as {got!r} ({count:,} cases).")


def _decide(a: Answers, result: Result, overall: dict, gates: list[dict], slices: list[dict],
            regression: dict | None) -> None:
    blocking = [g for g in gates if g["kind"] == "blocking"]
    failed = [g for g in blocking if g["status"] in ("fail", "no cases")]
    unproven = [g for g in blocking if g["status"] == "not proven"]
    warnings = [g for g in gates if g["kind"] == "guardrail" and g["status"] != "pass"]
    failing_slices = [x for x in slices if x["status"] == "below target"]
    straddling = [x for x in slices if x["status"] == "straddles"]
    regressed = regression is not None and regression["worse"]
    level = f"{a.confidence:.0%}"
    if failed:
        g = failed[0]
        result.verdict, result.level = NO_SHIP, "stop"
        result.headline = (f"No-ship: blocking gate {g['name']!r} "
                           + (f"passes {_fmt(g['rate'])} of cases, under its {_fmt(g['target'])} target."
                              if g["rate"] is not None else "has no eval cases to judge."))
    elif not blocking:
        result.verdict, result.level = HOLD, "caution"
        result.headline = (f"Hold: {_fmt(overall['rate'])} of {overall['cases']:,} cases pass, but no blocking "
                           f"gate says what is good enough; set one before deciding.")
    elif failing_slices:
        x = failing_slices[0]
        result.verdict, result.level = HOLD, "stop"
        others = len({(y["column"], y["slice"]) for y in failing_slices}) - 1
        result.headline = (f"Hold: the {x['slice']} slice passes {_fmt(x['rate'])} ({x['passed']:,} of "
                           f"{x['cases']:,} cases, {x['distinct']:,} distinct inputs; {level} interval "
                           f"{_fmt(x['low'])}–{_fmt(x['high'])}), entirely under the {_fmt(x['target'])} target of "
                           f"{x['gate']!r}"
                           + (f", and {others} more slice{'s' if others > 1 else ''} too" if others else "")
                           + ("; fix it or launch without it." if x["routable"] else "; fix it before launch."))
    elif unproven:
        g = unproven[0]
        result.verdict, result.level = HOLD, "caution"
        if g["distinct"] < a.min_distinct_inputs:
            result.headline = (f"Hold: blocking gate {g['name']!r} is not proven: {_fmt(g['rate'])} pass, but on "
                               f"only {g['distinct']:,} distinct inputs ({g['cases']:,} rows); it needs at least "
                               f"{a.min_distinct_inputs:,}.")
        else:
            result.headline = (f"Hold: blocking gate {g['name']!r} is not proven: {_fmt(g['rate'])} pass, but the "
                               f"interval's low end ({_fmt(g['low'])}) is under the {_fmt(g['target'])} target.")
    elif regressed and a.regression_blocks:
        result.verdict, result.level = HOLD, "caution"
        result.headline = (f"Hold: the gates pass, but this run is significantly worse than the baseline "
                           f"({regression['newly_failing']} cases newly fail, {regression['newly_fixed']} newly "
                           f"fixed).")
    else:
        g = blocking[0]  # the first blocking gate is the headline metric
        result.verdict, result.level = SHIP, "go"
        risks = []
        if warnings:
            risks.append(f"{len(warnings)} guardrail{'s warn' if len(warnings) > 1 else ' warns'}")
        if straddling:
            risks.append(f"{len(straddling)} slice{'s are' if len(straddling) > 1 else ' is'} not proven above "
                         f"target")
        if regression is not None and regression["newly_failing"]:
            risks.append(f"{regression['newly_failing']} cases regressed against the baseline")
        every = "every blocking gate clears its target" if len(blocking) > 1 else "the blocking gate clears its target"
        result.headline = (f"Ship: {every} even at the interval's low end ({g['name']!r}: {_fmt(g['low'])} "
                           f"against {_fmt(g['target'])})"
                           + (f"; {', '.join(risks[:-1])}{' and ' if len(risks) > 1 else ''}{risks[-1]}."
                              if risks else "."))
    # Hold is a caution about the evidence, not about the product, but it holds the launch all the same
    result.data["blocks_launch"] = result.verdict != SHIP


def _memo(a: Answers, result: Result, overall: dict | None, gates: list[dict], regression: dict | None,
          health: dict | None = None, slices: list[dict] | None = None) -> str:
    """The ship memo: the decision, the evidence, the risks and what would change it, in plain text."""
    reason = result.headline.split(": ", 1)[-1]
    lines = [f"Decision: {result.verdict}. {reason[:1].upper()}{reason[1:]}", ""]
    if overall is None:
        lines += ["Evidence: none yet. Build an eval set (good, bad, edge and adversarial cases), run the product "
                  "on it, and agree the gates before reading the results."]
        return "\n".join(lines)
    level = f"{a.confidence:.0%}"
    lines.append(f"Evidence: {overall['cases']:,} eval cases holding {overall['distinct']:,} distinct inputs, worth "
                 f"about {overall['effective_n']:,.0f} independent cases; graded by "
                 f"{_GRADER_WORDS[a.grader].format(t=a.score_threshold, tol=a.tolerance)}; "
                 f"{_fmt(overall['rate'])} pass ({level} interval {_fmt(overall['low'])}–{_fmt(overall['high'])}).")
    if health is not None and health["unstable"]:
        lines.append(f"Output instability: {health['unstable']:,} repeated inputs pass on some rows and fail on "
                     f"others.")
    for kind, title in (("blocking", "Blocking gates (decide)"), ("guardrail", "Guardrails (warn)")):
        chosen = [g for g in gates if g["kind"] == kind]
        if chosen:
            lines += ["", f"{title}:"]
            lines += [f"  - {g['name']} ({_scope(g)}): "
                      + (f"{_fmt(g['rate'])} on {g['distinct']:,} distinct inputs, low end {_fmt(g['low'])}, "
                         f"target {_fmt(g['target'])} → {g['status']}"
                         if g["cases"] else "no cases → no cases") for g in chosen]
    below = [x for x in slices or [] if x["status"] in ("below target", "accepted", "straddles")]
    if below:
        lines += ["", "Slices under or near a blocking target:"]
        lines += [f"  - {x['column']} {x['slice']} on {x['gate']}: {_fmt(x['rate'])} of {x['cases']:,} "
                  f"({x['distinct']:,} distinct), interval {_fmt(x['low'])}–{_fmt(x['high'])} → {x['status']}"
                  + (f" (accepted: {x['reason']})" if x["reason"] else "") for x in below]
    if regression is not None:
        lines += ["", f"Against the baseline: {regression['newly_failing']} newly failing, "
                      f"{regression['newly_fixed']} newly fixed (exact McNemar {_p(regression['p'])})."]
        for _, r in regression["flagged"].iterrows():
            lines.append(f"  - worse in {r['by']} {r['group']!r}: {int(r['newly failing'])} newly failing, "
                         f"{int(r['newly fixed'])} fixed (exact {_p_phrase(r['exact p'])})")
    todo = [f"  - {g['name']}: " + ("add cases to the set" if g["status"] == "no cases" else
                                    f"about {g['distinct_to_prove']:,} more distinct inputs would prove it"
                                    if g["distinct_to_prove"]
                                    else "improve the product on these cases or have a person check them")
            for g in gates if g["status"] != "pass"]
    todo += [f"  - {x['slice']} ({x['column']}): fix it, or launch without it and route it to people"
             if x["routable"] else f"  - {x['slice']} ({x['column']}): fix it before launch"
             for x in slices or [] if x["status"] == "below target"]
    if regression is not None and regression["newly_failing"]:
        todo.append("  - read the newly failing cases and fix the cause, or add a guardrail that watches it")
    if todo:
        lines += ["", "Before or right after launch:"] + todo
    blocking = [g for g in gates if g["kind"] == "blocking"]
    if blocking:
        lines += ["", "What would change the decision: a blocking gate's low end falling under its target on a "
                      "rerun, a significant regression against this run, or a new failure mode the set does not "
                      "cover yet (question 7 adds those)."]
    return "\n".join(lines)


# ---- figures --------------------------------------------------------------------------------------------

def _category_chart(by_category: pd.DataFrame, a: Answers, gates: list[dict]):
    from ..charts import Figure  # user text drawn as written, never as mathtext

    table = by_category.sort_values("pass rate (%)", kind="stable").reset_index(drop=True)
    colours = {"pass": "#1b7f3b", "not proven": "#a15c00", "fail": "#b3261e"}
    fig = Figure(figsize=(7.2, 1.2 + 0.55 * len(table)))
    ax = fig.add_subplot()
    for y, row in table.iterrows():
        own = [g for g in gates if g["category"] == row["category"] and not g["slice"] and not g["output"]]
        colour = colours.get(own[0]["status"], "#44546a") if own else "#44546a"
        rate, low, high = row["pass rate (%)"], row["low (%)"], row["high (%)"]
        ax.errorbar(rate, y, xerr=[[rate - low], [high - rate]], fmt="o", color=colour, capsize=4, ms=7, lw=2)
        ax.text(1.02, y, f"{rate:.1f}%  (n={row['cases']:,})", transform=ax.get_yaxis_transform(),
                va="center", fontsize=8, color="#333")
        for g in own:
            ax.plot([g["target"] * 100] * 2, [y - 0.3, y + 0.3], color=colour, lw=2, ls=":")
    overall = [g for g in gates if not g["category"] and not g["slice"] and g["kind"] == "blocking"
               and not g["output"]]
    if overall:
        ax.axvline(overall[0]["target"] * 100, color="#111", lw=1, ls="--",
                   label=f"blocking target, all cases ({overall[0]['target']:.0%})")
    ax.plot([], [], color="#666", lw=2, ls=":", label="a category's own gate target")
    ax.set_yticks(range(len(table)), table["category"])
    lowest = float(min(table["low (%)"].min(), *(g["target"] * 100 for g in gates))) if gates else \
        float(table["low (%)"].min())
    ax.set_xlim(max(0.0, lowest - 8), 104)
    ax.set_ylim(-0.6, len(table) - 0.4)
    ax.set_xlabel(f"pass rate (%), bars: {a.confidence:.0%} interval on distinct inputs")
    ax.set_title("Pass rate by category: ship when the interval's low end clears the target", fontsize=10)
    ax.grid(axis="x", color="#ddd", lw=0.6)
    _legend_below(fig, ax)
    return fig


def _slice_chart(paired: pd.DataFrame, a: Answers):
    from ..charts import Figure  # user text drawn as written, never as mathtext

    slices = sorted(paired["slice"].unique())
    fig = Figure(figsize=(7.2, 1.2 + 0.6 * len(slices)))
    ax = fig.add_subplot()
    for offset, column, label, colour in ((0.15, "baseline pass", "baseline", "#9aa5b1"),
                                          (-0.15, "pass", "this run", "#1f4e79")):
        table = _interval_table(paired[column], paired["slice"], "slice", a.confidence,
                                paired["unit"]).set_index("slice")
        for y, name in enumerate(slices):
            rate, low, high = table.loc[name, ["pass rate (%)", "low (%)", "high (%)"]]
            ax.errorbar(rate, y + offset, xerr=[[rate - low], [high - rate]], fmt="o", color=colour, capsize=3,
                        ms=6, lw=1.6, label=label if y == 0 else None)
    counts = paired.groupby("slice", observed=True)[["newly failing", "newly fixed"]].sum()
    ax.set_yticks(range(len(slices)),
                  [f"{s}\n−{int(counts.loc[s, 'newly failing'])} / +{int(counts.loc[s, 'newly fixed'])}"
                   for s in slices])
    ax.set_ylim(-0.6, len(slices) - 0.4)
    ax.set_xlabel(f"pass rate (%), bars: {a.confidence:.0%} interval on distinct inputs;  −newly failing / "
                  f"+newly fixed")
    ax.set_title("Pass rate by slice against the baseline (same cases, paired by id)", fontsize=10)
    ax.grid(axis="x", color="#ddd", lw=0.6)
    _legend_below(fig, ax)
    return fig


def _legend_below(fig, ax) -> None:
    """The legend in a strip under the axes, where it cannot cover a point."""
    fig.legend(*ax.get_legend_handles_labels(), loc="lower center", ncol=2, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.3 / fig.get_figheight(), 1, 1))


# ---- small helpers --------------------------------------------------------------------------------------

def _experience_failure_modes(case: Case | None) -> list[dict]:
    """Question 5's failure modes as ``{"name", "severity"}``, or nothing when question 5 is not available."""
    if case is None:
        return []
    try:
        modes = case.analyze("experience").data.get("failure_modes") or []
    except Exception:  # question 5 missing or unanswerable: start from the basic quotas  # noqa: BLE001
        return []
    found = []
    for m in modes:
        name = str(m.get("name", "")).strip() if isinstance(m, dict) else str(m).strip()
        if not name:
            continue
        severity = m.get("severity", 3) if isinstance(m, dict) else 3
        try:
            severity = min(max(int(severity), 1), 5)
        except (TypeError, ValueError):
            severity = 3
        found.append({"name": name, "severity": severity})
    return found


def _pct(share: float | None) -> float | None:
    return None if share is None else round(float(share) * 100, 1)


def _fmt(share: float | None) -> str:
    return "—" if share is None else f"{share:.1%}"


def _p_value(p: float) -> str:
    """``< 0.0001`` or ``0.017``: as many digits as the size of p needs."""
    return "< 0.0001" if p < 0.0001 else f"{p:.4f}" if p < 0.01 else f"{p:.3f}" if p < 0.1 else f"{p:.2f}"


def _p(p: float) -> str:
    """``p < 0.0001`` or ``p = 0.017``, for a sentence."""
    return _p_phrase(_p_value(p))


def _p_phrase(value: str) -> str:
    return f"p {value}" if value.startswith("<") else f"p = {value}"


def _shorten(text: str, width: int = 70) -> str:
    text = " ".join(str(text).split())
    if not text:
        return "(empty)"
    return text if len(text) <= width else text[: width - 1] + "…"
