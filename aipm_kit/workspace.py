"""A workspace for your own product: the notebooks pointed at your case file, and a ``data/`` folder.

``aipm-kit init DIR`` makes ``DIR/<name>.yaml`` (a fresh commented template, or a copy of a bundled case with
its data files copied into ``DIR/data/``), the start page and the seven question notebooks, and ``DIR/data/``
for your own files. Each notebook's one ``parameters`` cell names the workspace's case (so it stays a standard
notebook papermill can run), and the cells that discuss the worked example's own results are left out.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .bundled import notebooks_dir
from .case import Case, CaseError, load_case, slugify, template_case, write_atomic

START_PAGE = "00_start_here.ipynb"


@dataclass(frozen=True)
class Workspace:
    folder: Path
    case_file: Path
    notebooks: list[Path]


def workspace_notebooks() -> list[Path]:
    """The start page and the question notebooks, in order (the app and anything else stay out)."""
    return sorted(p for p in notebooks_dir().glob("[0-9][0-9]_*.ipynb"))


def init_workspace(folder: str | os.PathLike, from_case: str | None = None, force: bool = False) -> Workspace:
    """Create a workspace in ``folder``; refuse a folder that already holds files unless ``force``."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise CaseError("exists and is not a folder; choose another name", folder)
    if folder.is_dir() and any(folder.iterdir()) and not force:
        raise CaseError("already exists and is not empty; choose another folder, or pass --force to "
                        "overwrite the notebooks (your case file is kept)", folder)
    source = load_case(from_case) if from_case else None  # a bad --from fails before anything is written
    name = slugify(folder.resolve().name)
    case_file = folder / f"{name}.yaml"
    (folder / "data").mkdir(parents=True, exist_ok=True)

    existed = case_file.exists()
    if existed:
        pass  # --force rewrites the notebooks, never the learner's answers
    elif source is not None:
        copy_case(source, case_file)
    else:
        title = folder.resolve().name.replace("-", " ").replace("_", " ").strip().capitalize() or "My product"
        write_atomic(case_file, template_case(title))

    if not existed:
        _point_at_schema(case_file)
    written = [_prepare_notebook(src, folder / src.name, case_file.name) for src in workspace_notebooks()]
    return Workspace(folder, case_file, written)


def _point_at_schema(case_file: Path) -> None:
    """Put the case file's JSON Schema beside it and name it on the file's first line, for editors."""
    from .schema import MODELINE_PREFIX, SHIPPED, modeline

    shutil.copyfile(SHIPPED, case_file.parent / SHIPPED.name)
    text = case_file.read_text(encoding="utf-8")
    if not text.startswith(MODELINE_PREFIX):
        write_atomic(case_file, modeline(SHIPPED.name) + text)


def copy_case(source: Case, case_file: Path) -> Case:
    """Save a copy of ``source`` at ``case_file``, with the data files it names copied into ``data/``."""
    data_dir = case_file.parent / "data"
    copied: dict[Path, Path] = {}

    def relocate(value: Any) -> Any:
        if isinstance(value, Path) and value.is_file():
            if value not in copied:
                data_dir.mkdir(parents=True, exist_ok=True)
                target = data_dir / value.name
                if target.exists() and target.read_bytes() != value.read_bytes():
                    target = data_dir / f"{value.stem}-{len(copied) + 1}{value.suffix}"
                shutil.copyfile(value, target)
                copied[value] = target.resolve()
            return copied[value]
        if isinstance(value, BaseModel):
            return value.model_copy(update={k: relocate(v) for k, v in value.__dict__.items()})
        if isinstance(value, list):
            return [relocate(v) for v in value]
        return value

    sections = {key: relocate(answers) for key, answers in source.sections.items()}
    copy = Case(source.name, source.summary, sections, path=None, raw_sections=dict(source.raw_sections),
                stage=source.stage, as_of=source.as_of)
    copy.save(case_file)
    return copy


WORKED_EXAMPLE_TAG = "worked-example"  # a Markdown cell that reads the worked example's own results
_CASE_LINE = re.compile(r'^case = .*?(?=  #|$)', re.MULTILINE)


def set_case_parameter(notebook: Any, case_path: str) -> bool:
    """Point a notebook's ``parameters`` cell at ``case_path`` (its ``case = …`` line, help comment kept).

    The cell itself is changed, not followed by an injected one: a learner's notebook has one parameters cell
    that says which case it opens. Returns False when the notebook has no such line.
    """
    replaced = 0
    for cell in notebook.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            cell.source, count = _CASE_LINE.subn(lambda _: f"case = {json.dumps(case_path)}", cell.source, count=1)
            replaced += count
    return bool(replaced)


def _prepare_notebook(source: Path, target: Path, case_name: str) -> Path:
    """Copy a notebook for the learner's own case: pointed at it, without the worked example's outputs or prose."""
    import nbformat

    notebook = nbformat.read(source, as_version=4)
    set_case_parameter(notebook, case_name)
    notebook.cells = [c for c in notebook.cells if WORKED_EXAMPLE_TAG not in c.metadata.get("tags", [])]
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    notebook.metadata.pop("papermill", None)
    write_atomic(target, nbformat.writes(notebook))
    return target
