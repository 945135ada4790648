"""How a field's name reads in a form, a table or a message: as people write it, not title-cased.

A field's label comes from its ``title`` when the model gives one, else from this small table, else from its
name with the words a PM writes in capitals kept in capitals ("AI accuracy", not "Ai accuracy").
"""

from __future__ import annotations

from typing import Any

ACRONYMS = {"ai": "AI", "ml": "ML", "rag": "RAG", "id": "ID", "psi": "PSI", "csv": "CSV", "llm": "LLM",
            "ux": "UX", "url": "URL", "sla": "SLA", "rice": "RICE", "fp": "FP", "fn": "FN"}

LABELS = {
    "non_ai_alternative": "Best way without AI",
    "as_of": "As of",
    "non_ai_name": "Name of the non-AI way",
    "value_per_correct": "Value of a correct decision",
    "cost_false_positive": "Cost of a false positive",
    "cost_false_negative": "Cost of a false negative",
    "false_positive_share": "False positives among errors",
    "run_cost_per_decision": "Run cost per decision",
    "occurrences_per_user_per_month": "Occurrences per user a month",
    "described_from_behaviour": "Described from behaviour",
    "users_want": "What users want",
    "input_per_mtok": "Input price per million tokens",
    "output_per_mtok": "Output price per million tokens",
    "per_1k_requests": "Price per 1,000 requests",
    "latency_ms": "Latency (ms)",
    "latency_budget_ms": "Latency budget (ms)",
    "rows_have": "Rows in hand",
    "rows_needed": "Rows needed",
    "min_rows_per_slice": "Minimum rows per slice",
    "min_kappa": "Minimum kappa",
    "results_file": "Eval results file",
    "baseline_file": "Baseline results file",
    "reviewed_failures": "Reviewed failures file",
    "eval_set": "Eval set file",
}


def field_label(name: str, info: Any = None) -> str:
    """The label of field ``name`` (``info`` is its pydantic FieldInfo, whose ``title`` wins when set)."""
    title = getattr(info, "title", None)
    if title:
        return title
    if name in LABELS:
        return LABELS[name]
    words = [ACRONYMS.get(word, word) for word in name.split("_") if word]
    if not words:
        return name
    first = words[0]
    words[0] = first if first in ACRONYMS.values() else first[:1].upper() + first[1:]
    return " ".join(words)


def in_sentence(label: str) -> str:
    """A label inside a sentence: its first letter lower-case unless the first word is an acronym."""
    first = label.split(" ", 1)[0]
    return label if first in ACRONYMS.values() or first.isupper() else label[:1].lower() + label[1:]
