"""Question 6 and question 7 as checks a machine runs: ``aipm-kit gate`` in CI, ``aipm-kit watch`` on a schedule.

Each turns a question's verdict into an exit status and a JSON report. The exit statuses keep one reading
across both: 0 carry on, 1 stop, 3 not yet decided (a Hold, a Watch), 2 the input cannot be judged.

A gate on a case whose question 6 is not answered (no results file or no gate) exits 2, not 0 or 3: a CI step
that judges nothing must not look like a pass, and "Not answered" is a mistake in the set-up, not a finding
about the model.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .case import Case
    from .result import Result

EXIT_GO, EXIT_STOP, EXIT_UNREADABLE, EXIT_UNDECIDED = 0, 1, 2, 3

GATE_STATUS = {"Ship": EXIT_GO, "No-ship": EXIT_STOP, "Hold": EXIT_UNDECIDED}
WATCH_STATUS = {"Stable": EXIT_GO, "Act now": EXIT_STOP, "Watch": EXIT_UNDECIDED}
CHART_POINTS = 8  # weeks of the p-chart a watch report carries


def gate_report(case: Case) -> tuple[int, dict[str, Any]]:
    """Question 6 on ``case``: the exit status (``GATE_STATUS``; 2 when it has no verdict) and the report."""
    result = case.analyze("evaluation")
    status = GATE_STATUS.get(result.verdict, EXIT_UNREADABLE)
    answers = case.answers("evaluation")
    data = result.data
    report = {
        **_head(case, result, status),
        "confidence": getattr(answers, "confidence", None),
        "cases": data.get("cases"),
        "pass_rate": data.get("pass_rate"),
        "interval": data.get("interval"),
        "gates": data.get("gates", []),
        "slices": data.get("slices", []),
        "regression": data.get("regression"),
    }
    return status, report


def watch_report(case: Case, sample_path: Callable[[str], Path] | None) -> tuple[int, dict[str, Any]]:
    """Question 7 on ``case``: the exit status (``WATCH_STATUS``; 2 without a verdict) and the report; the
    latest week's review sample is written to ``sample_path(week)`` (when given and the week has outputs)."""
    from .questions.monitoring import write_review_sample

    result = case.analyze("monitoring")
    status = WATCH_STATUS.get(result.verdict, EXIT_UNREADABLE)
    data = result.data
    review = data.get("review") or {}
    written = None
    answers = case.answers("monitoring")
    if sample_path is not None and status != EXIT_UNREADABLE and review.get("sampled"):
        written = str(write_review_sample(answers, sample_path(review["week"]), review["week"]))
    report = {
        **_head(case, result, status),
        "control_chart": (data.get("weekly_feedback") or [])[-CHART_POINTS:],
        "per_conversation": data.get("conversations"),
        "review_week": review.get("week"),
        "review_sample": written,
        "review_sampled": review.get("sampled"),
    }
    return status, report


def write_report(path: Path, report: dict[str, Any]) -> None:
    """The report as JSON at ``path``, written to a temporary file and renamed (a reader never sees half)."""
    from .case import write_atomic

    write_atomic(Path(path), json.dumps(_plain(report), indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def _head(case: Case, result: Result, status: int) -> dict[str, Any]:
    return {
        "case": case.name,
        "question": result.title,
        "verdict": result.verdict,
        "level": result.level,
        "headline": result.headline,
        "exit_status": status,
        "checked_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }


def _plain(value: Any) -> Any:
    """``value`` as plain JSON: numpy numbers as Python ones, dates as ISO text, NaN and infinity as null."""
    import math

    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    return str(value)
