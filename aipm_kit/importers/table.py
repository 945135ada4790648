"""Any table of eval results, CSV or JSONL, whose columns are named differently from the kit's.

A column whose name is one of the kit's (``id``, ``category``, ``slice``, ``input``, ``expected``, ``output``,
``passed``, ``score``, ``group`` …) is taken as it is; ``--map kit_column=source_column`` takes another (in
JSONL a dotted path into each object: ``--map input=request.text``). Every other column is kept. ``id`` may be
left out: rows are then numbered (``row-1`` …) in file order. A row passes by its ``passed`` column, or by its
score when ``--pass-at`` is given.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

from .evalrows import KIT_COLUMNS, ImportFileError, Imported, Record, eval_table, json_lines
from .provenance import provenance


def read(path: str | os.PathLike, mapping: dict | None = None, file_format: str = "csv",
         pass_at: float | None = None) -> Imported:
    """The eval table in the CSV or JSONL file at ``path`` (``file_format`` ``"csv"`` or ``"jsonl"``)."""
    path = Path(path)
    mapping = dict(mapping or {})
    records = []
    for n, (where, row) in enumerate(read_rows(path, file_format)):
        values = {c: row[c] for c in KIT_COLUMNS if c in row}
        values.setdefault("id", f"row-{n + 1}")
        extra = {k: v for k, v in row.items() if k not in KIT_COLUMNS and k not in mapping.values()
                 and not isinstance(v, (dict, list))}
        records.append(Record(where, values, raw=row, extra=extra))
    frame, notes = eval_table(records, path, mapping, score_threshold=pass_at)
    record = provenance(file_format, path, file_format=f"{file_format.upper()} table", mapping=mapping,
                        cases=len(frame), pass_at=pass_at)
    imported = Imported(frame, record, notes)
    record["passed"] = imported.passed if "passed" in frame.columns else None
    return imported


def read_rows(path: Path, file_format: str) -> Iterator[tuple[str, dict]]:
    """Where each row is ("row 2", "line 5") and the row: a CSV's cells as text, as written, or a JSONL object."""
    if file_format == "csv":
        import pandas as pd

        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise ImportFileError("is not UTF-8 text; save it as UTF-8 CSV", path) from None
        except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
            raise ImportFileError(f"cannot be read as CSV: {str(exc).splitlines()[0]}", path) from None
        frame.columns = [str(c).strip() for c in frame.columns]
        for n, row in enumerate(frame.to_dict("records")):
            yield f"row {n + 2}", row  # row 1 is the header
        return
    for number, item in json_lines(path):
        yield f"line {number}", item
