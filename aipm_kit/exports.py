"""CSV files the kit writes for people to open: no cell can run as a spreadsheet formula.

A review sample or an eval set holds text that users and models wrote. Opened in a spreadsheet, a cell such as
``=HYPERLINK("http://…")`` or ``@SUM(…)`` runs as a formula (CSV injection). The OWASP rule: a text cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a single quote in front, which the
spreadsheet shows as text. A plain number (``-3.5``, ``+2``, ``1e-3``) is not a formula and stays as written,
in any column, so numbers read back as numbers. :func:`restore` undoes the quote when the kit reads its own file.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralise_cell(value: Any) -> Any:
    """``value`` with a quote in front when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value.strip()):
        return "'" + value
    return value


def restore_cell(value: Any) -> Any:
    """The text :func:`neutralise_cell` was given, for a cell it quoted (any other cell as it is)."""
    if isinstance(value, str) and value.startswith("'") and neutralise_cell(value[1:]) == value:
        return value[1:]
    return value


def neutralise(frame):
    """A copy of ``frame`` whose text cells cannot run as formulas; numeric columns untouched."""
    return _each_text_cell(frame, neutralise_cell)


def restore(frame):
    """A copy of ``frame`` read from a file :func:`neutralise` wrote, with the cells as they were."""
    return _each_text_cell(frame, restore_cell)


def _each_text_cell(frame, change):
    import pandas as pd

    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_datetime64_any_dtype(series):
            continue
        out[column] = series.map(change)
    return out
