"""Where an imported eval table came from: a JSON file beside it, ``EVAL.csv.provenance.json``.

It records the tool, the tool's version when its file says it, the imported file's name, size and SHA-256, when
it was imported, the mapping used and the counts, so a brief can say which run its question 6 judged and anyone
can check the table against the file it came from. The source's full path is not kept (it would leak a machine's
folders into a shared brief); its name and hash identify it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

SUFFIX = ".provenance.json"


def sidecar_path(table: str | os.PathLike) -> Path:
    """The provenance file of the eval table at ``table``: ``EVAL.csv`` → ``EVAL.csv.provenance.json``."""
    table = Path(table)
    return table.with_name(table.name + SUFFIX)


def provenance(tool: str, source: str | os.PathLike, *, tool_version: str | None = None, file_format: str = "",
               mapping: dict | None = None, **counts) -> dict:
    """The provenance record of an import of ``source`` (hashed here) by ``tool``."""
    from .. import __version__
    from ..evalset import file_hash

    source = Path(source)
    return {
        "tool": tool,
        "tool_version": tool_version or None,
        "format": file_format,
        "file": source.name,
        "bytes": source.stat().st_size,
        "sha256": file_hash(source),
        "imported": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "mapping": dict(mapping or {}),
        "imported_by": f"aipm-kit {__version__}",
        **counts,
    }


def read_provenance(table: str | os.PathLike) -> dict | None:
    """The provenance beside the eval table at ``table``, or None when it has none (or it cannot be read)."""
    try:
        data = json.loads(sidecar_path(table).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("tool") else None


def describe(record: dict) -> str:
    """One line for a brief: ``promptfoo 0.118.0 · results.json · sha256 1a2b3c4d… · imported 2026-12-03``."""
    tool = " ".join(str(p) for p in (record.get("tool"), record.get("tool_version")) if p)
    digest = str(record.get("sha256") or "")[:12]
    day = str(record.get("imported") or "")[:10]
    parts = [tool, str(record.get("file") or ""), f"sha256 {digest}…" if digest else "",
             f"imported {day}" if day else ""]
    return " · ".join(p for p in parts if p)
