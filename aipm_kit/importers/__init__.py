"""Eval results from other tools as the kit's eval table, and the kit's eval set back into their formats.

    import_file("promptfoo", "results.json")      → Imported (the table, its provenance, notes)
    write_eval_table(imported, "eval.csv", source) → eval.csv and eval.csv.provenance.json

One module per format: ``promptfoo``, ``inspect`` (inspect_ai logs), ``openai_evals`` (``oaieval`` record logs),
``braintrust`` (experiment exports) and ``table`` (any CSV or JSONL with a column mapping). ``exporters`` writes
an eval set as promptfoo tests or an inspect_ai dataset.
"""

from __future__ import annotations

import importlib
import os

from .evalrows import ImportFileError, Imported, parse_mapping, write_eval_table
from .provenance import read_provenance, sidecar_path

# the command line's FORMAT → the module that reads it
FORMATS = {"promptfoo": "promptfoo", "inspect": "inspect", "openai-evals": "openai_evals",
           "braintrust": "braintrust", "csv": "table", "jsonl": "table"}

__all__ = ["FORMATS", "ImportFileError", "Imported", "import_file", "parse_mapping", "read_provenance",
           "sidecar_path", "write_eval_table"]


def import_file(file_format: str, path: str | os.PathLike, mapping: dict | None = None, **options) -> Imported:
    """The eval table in ``path``, a file of ``file_format`` (one of ``FORMATS``), with ``mapping`` applied."""
    if file_format not in FORMATS:
        raise ValueError(f"unknown format {file_format!r}; the formats are {', '.join(FORMATS)}")
    if not os.path.isfile(path):
        raise ImportFileError("file not found", path)
    module = importlib.import_module(f".{FORMATS[file_format]}", __name__)
    if FORMATS[file_format] == "table":
        options.setdefault("file_format", file_format)
    return module.read(path, mapping=mapping, **options)
