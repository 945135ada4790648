"""Question 5's confidence threshold: chosen by value on part of the scores, checked on the held-out rest.

The worksheet and the value model it uses are described in :mod:`aipm_kit.questions.experience`; this module
holds the steps: reading the scores file, splitting it, the value model's numbers and where they come from,
the choice, the held-out check, the calibration check, and their tables and figures.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..case import CaseError
from ..sources import data_error, read_csv, read_header
from ..stats import (calibration_table, expected_calibration_error, holdout_split, scores_to_prove_error_limit,
                     threshold_tradeoff, value_interval, value_per_output, wilson_interval)

if TYPE_CHECKING:
    from ..case import Case
    from ..result import Result
    from .experience import Answers

SECTION = "experience"
_TRADEOFF = "Threshold trade-off on the choosing rows (every 0.05, and every 0.01 near the chosen threshold)"
_VALUE_FIGURE = "Value by threshold, with the error limit as the constraint"
_SOURCES = "Where the value model's numbers come from"
_OPTIMISM = "Chosen and scored on the same rows, against held-out rows"
MIN_HANDLED = 30  # below this many outputs above the threshold, its error rate is too uncertain to lean on
MIN_PART = 10  # each part of the split needs at least this many scores: fewer cannot choose or check anything
NOT_PROVEN = "Not proven"  # the verdict when the held-out rows do not show the threshold meets the limit
REVIEWED = ("suggest", "draft for review")  # a person sees every output before it is used
MAX_CALIBRATION_ERROR = 0.05  # shown confidence that is off by more than this on average misleads users


def choose_threshold(a: Answers, scores: pd.DataFrame | None, case: Case | None, result: Result,
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
    lowest = float(meets["threshold"].iloc[0]) if len(meets) else None
    # with no costs anywhere every threshold is worth $0: then the most the AI may handle within the limit
    best = lowest if costs.priceless else _best_by_value(meets)
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
    if costs.priceless:
        result.add("info", "No value or cost is declared (question 2's value_per_correct and error costs), so "
                           "every threshold is worth $0 here: the threshold is the lowest that meets the limit, "
                           "the most the AI may handle.")
    elif costs.caught_unknown:
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

    if seen["handled"] == 0:
        msg = (f"no held-out output reaches the threshold {chosen:.2f}: the AI would handle nothing, and its error "
               f"rate is unknown")
        return "", _not_proven(a, (msg, msg + "."), result, stops, cautions)
    result.add("info", f"On the {len(held_out):,} held-out outputs, at confidence ≥ {chosen:.2f} the AI handles "
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
        raise CaseError(f"{len(scores):,} score{'s are' if len(scores) != 1 else ' is'} too few to split into rows "
                        f"to choose the threshold on and {a.holdout_share:.0%} held out to check it (each part "
                        f"needs at least {MIN_PART}); "
                        f"export more past outputs with their confidence and whether they were right",
                        case.path if case is not None else None, SECTION, "scores")
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
    def priceless(self) -> bool:
        """No number of the model is declared: every threshold is worth $0."""
        return not any(self.per_output)

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
    """Question 2's answers, or None without a ``need_ai:`` section. A cost it leaves at 0 (its default) counts as
    not declared there, so this section's fallback is used; a section started but not finished still counts."""
    if case is None:
        return None
    try:
        return case.answers("need_ai")
    except (KeyError, AttributeError):  # a version of the kit without question 2, or a stand-in case
        return None


def _best_by_value(meets: pd.DataFrame) -> float | None:
    """The threshold worth most among those that meet the limit; a tie (within a billionth of a dollar) goes to
    the higher threshold, which makes no more errors for the same value."""
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


def check_calibration(a: Answers, scores: pd.DataFrame, result: Result, cautions: list[str]) -> None:
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
        raise data_error(name, "no rows; expected one row per output")
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


# ---- helpers ------------------------------------------------------------------------------------------

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
    from ..charts import Figure  # user text drawn as written, never as mathtext

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
    from ..charts import Figure  # user text drawn as written, never as mathtext

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
