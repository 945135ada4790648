"""The parameters cell of a kit notebook, read without importing papermill.

papermill finds the cell tagged ``parameters`` and reads each ``name = literal  # help`` line; importing it
costs over a second (its schema validation compiles a grammar at import), which is most of what
``aipm-kit list`` would spend. The kit's parameters cells hold plain literals only, so Python's own ``ast`` and
``tokenize`` read them exactly; papermill stays the tool that injects values.
"""

from __future__ import annotations

import ast
import io
import json
import tokenize
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Parameter:
    name: str
    default: str  # the literal as written in the cell
    help: str


def notebook_parameters(path: str | Path) -> list[Parameter]:
    """The parameters of the notebook at ``path``, in the cell's order (none when it has no parameters cell)."""
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            return _parse(source)
    return []


def _parse(source: str) -> list[Parameter]:
    comments = {tok.start[0]: tok.string.lstrip("#").strip()
                for tok in tokenize.generate_tokens(io.StringIO(source).readline) if tok.type == tokenize.COMMENT}
    found = []
    for node in ast.parse(source).body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            if isinstance(target, ast.Name) and node.value is not None:
                found.append(Parameter(target.id, ast.get_source_segment(source, node.value) or "",
                                       comments.get(node.end_lineno, "")))
    return found
