"""Where the notebooks and worked-example cases that ship with the kit live.

From a wheel they are package data under ``aipm_kit/_bundled``; from a source checkout (or an editable
install, which does not copy them) they are the top-level ``notebooks/`` and ``cases/`` folders.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _locate(name: str) -> Path:
    for candidate in (_PACKAGE / "_bundled" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"the kit's {name}/ folder is missing: reinstall aipm-kit (looked in {_PACKAGE / '_bundled'} "
        f"and {_PACKAGE.parent})"
    )


def notebooks_dir() -> Path:
    """The folder holding ``00_start_here.ipynb`` and the question notebooks."""
    return _locate("notebooks")


def cases_dir() -> Path:
    """The folder holding the bundled case files (``support-triage.yaml`` …) and their data."""
    return _locate("cases")


def bundled_cases() -> dict[str, Path]:
    """Short name → path of every bundled case file, sorted by name."""
    return {path.stem: path for path in sorted(cases_dir().glob("*.yaml"))}


def is_bundled(path: Path) -> bool:
    """Whether ``path`` is one of the kit's own case files (a worked example to copy, not to overwrite)."""
    try:
        Path(path).resolve().relative_to(cases_dir().resolve())
    except (ValueError, FileNotFoundError):
        return False
    return True
