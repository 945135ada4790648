"""The words a case's results use for its own product: its unit of work, and what does the work.

A result describes one product, so its examples speak of that product's unit (question 2's ``decision_unit``:
ticket, invoice, question, trip), never of another case's. When question 2's answer is no AI, the later
questions speak of the non-AI way by its name (question 2's ``non_ai_name``, else "the rule-based system" when
question 4 chose rules), and nothing calls it an AI.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pandas as pd

from ..result import Finding, Metric, Result

if TYPE_CHECKING:
    from ..case import Case

NO_AI_OUTCOMES = ("no_ai", "human")
RULES = "the rule-based system"
_THE_AI = re.compile(r"\b([Tt])he AI\b")


def unit_words(case: Case | None, default: str = "input") -> tuple[str, str]:
    """(one, many) of the case's unit of work: ("invoice", "invoices"), or ``default`` when question 2 has none."""
    from .need_ai import plural

    word = " ".join(str(getattr(_answers(case, "need_ai"), "decision_unit", "")).split()).lower()
    if word in ("", "decision"):
        word = default  # the field's default names no product: use the caller's generic word
    return word, plural(word)


def solution_name(case: Case | None) -> str | None:
    """What does the work when it is not an AI: the non-AI way's name, or None when the product is an AI.

    Question 2's answer decides: "no AI" or "keep it human" names question 2's ``non_ai_name`` (else "the
    rule-based system" when question 4 chose rules, else "the non-AI way"). An AI answer whose question 4 still
    chose rules is "the rule-based system" too. The name is one thing, so sentences read "the … acts".
    """
    if case is None:
        return None
    need_ai = _answers(case, "need_ai")
    chose_rules = getattr(_answers(case, "approach"), "chosen", None) == "rules"
    if need_ai is not None and case.is_answered("need_ai"):
        outcome = case.analyze("need_ai").data.get("outcome")
        if outcome in NO_AI_OUTCOMES:
            named = " ".join(getattr(need_ai, "non_ai_name", "").split())
            return named or (RULES if chose_rules else "the non-AI way")
    return RULES if chose_rules else None


def speak_of_solution(case: Case | None, result: Result) -> None:
    """Where the product is not an AI, every "the AI" of ``result`` (headline, findings, metrics, tables, notes,
    figures) becomes the solution's name."""
    name = solution_name(case)
    if name is None:
        return
    name = " ".join(name.split())

    def say(text: str) -> str:
        return _THE_AI.sub(lambda m: (name[:1].upper() + name[1:]) if m.group(1) == "T" else name, text)

    result.headline = say(result.headline)
    result.findings = [Finding(f.level, say(f.message)) for f in result.findings]
    result.metrics = [Metric(say(m.name), m.value, m.unit, m.key) for m in result.metrics]
    result.notes = {say(h): say(t) for h, t in result.notes.items()}
    tables = {}
    for caption, frame in result.tables.items():
        frame = frame.rename(columns=lambda c: say(c) if isinstance(c, str) else c)
        text_columns = [c for c in frame.columns
                        if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c].dtype)]
        if text_columns:
            frame = frame.copy()
            for c in text_columns:
                frame[c] = frame[c].map(lambda v: say(v) if isinstance(v, str) else v)
        tables[say(caption)] = frame
    result.tables = tables
    figures = {}
    for caption, fig in result.figures.items():
        for text in fig.findobj(lambda artist: hasattr(artist, "get_text") and hasattr(artist, "set_text")):
            if isinstance(text.get_text(), str) and _THE_AI.search(text.get_text()):
                text.set_text(say(text.get_text()))
        figures[say(caption)] = fig
    result.figures = figures


def _answers(case: Case | None, key: str):
    try:
        return case.answers(key) if case is not None else None
    except KeyError:
        return None
