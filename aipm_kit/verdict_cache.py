"""The seven verdicts of a case, remembered between runs of ``aipm-kit list``.

Analysing a case takes about a second per question set (reading its data files, fitting intervals), and
``list`` shows several cases, so their verdicts are kept in a small JSON file per case under the user's cache
folder. The key is a hash of everything the verdicts depend on: the case file, every data file it names, and
the kit's own code. Change any of them and the case is analysed again; a cache that cannot be read or written
is simply not used.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .case import Case

_PACKAGE = Path(__file__).resolve().parent
_FORMAT = 1  # bump when the stored fields change


@dataclass(frozen=True)
class Verdict:
    """One question's verdict as ``list`` shows it."""

    number: int
    title: str
    verdict: str
    level: str | None


@dataclass(frozen=True)
class CaseVerdicts:
    """A case's seven verdicts and the launch-readiness line the brief leads with."""

    verdicts: list[Verdict]
    readiness: str
    readiness_level: str | None


def case_verdicts(case: Case, cache_dir: Path | None = None) -> CaseVerdicts:
    """The case's verdicts, from the cache when nothing they depend on changed, else analysed (and stored)."""
    folder = cache_dir if cache_dir is not None else default_cache_dir()
    key = inputs_digest(case)
    entry = folder / f"{key}.json"
    stored = _read(entry)
    if stored is not None:
        return stored
    verdicts = _analyse(case)
    _write(entry, verdicts)
    return verdicts


@dataclass(frozen=True)
class Listing:
    """What ``aipm-kit list`` shows of a case: its name, its summary and its verdicts."""

    name: str
    summary: str
    verdicts: CaseVerdicts


def listing(path: Path, cache_dir: Path | None = None) -> Listing:
    """The case file at ``path`` as ``list`` shows it, without even parsing it when nothing changed.

    Parsing a case file with the round-trip YAML reader takes a few tenths of a second, so the entry is found by
    a hash of the file's bytes (and the kit's code), and it records the data files the case named with their
    hashes: when those still match, the stored listing is the answer. Otherwise the case is loaded (a
    ``CaseError`` for a bad file) and analysed, and the entry is written for next time.
    """
    folder = cache_dir if cache_dir is not None else default_cache_dir()
    path = Path(path).resolve()
    entry = folder / f"file-{_file_key(path)}.json"
    try:
        data = json.loads(entry.read_text(encoding="utf-8"))
        if all(_file_digest(Path(name)).hex() == digest for name, digest in data["data_files"].items()):
            stored = data["verdicts"]
            verdicts = CaseVerdicts([Verdict(**v) for v in stored["verdicts"]], stored["readiness"],
                                    stored["readiness_level"])
            return Listing(data["name"], data["summary"], verdicts)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    from .case import load_case

    case = load_case(path)
    verdicts = case_verdicts(case, folder)
    record = {"name": case.name, "summary": case.summary, "verdicts": asdict(verdicts),
              "data_files": {str(f): _file_digest(f).hex() for f in data_files(case)}}
    _write_json(entry, record)
    return Listing(case.name, case.summary, verdicts)


def _file_key(path: Path) -> str:
    digest = hashlib.sha256(f"format {_FORMAT}\n{path}\n".encode())
    digest.update(_file_digest(path))
    digest.update(_code_digest())
    return digest.hexdigest()


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/aipm-kit/verdicts`` (``~/.cache/…`` when the variable is unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "aipm-kit" / "verdicts"


def inputs_digest(case: Case) -> str:
    """A hash of the case file, the data files it names and the kit's code: what its verdicts depend on."""
    digest = hashlib.sha256(f"format {_FORMAT}\n".encode())
    files = ([case.path] if case.path is not None else []) + data_files(case)
    if case.path is None:  # an in-memory case: its answers are the input
        digest.update(json.dumps({k: v.model_dump(mode="json") for k, v in case.sections.items()},
                                 sort_keys=True).encode())
    for path in files:
        digest.update(str(path).encode() + b"\0")
        digest.update(_file_digest(path))
    digest.update(_code_digest())
    return digest.hexdigest()


def data_files(case: Case) -> list[Path]:
    """Every data file the case's answers point at, in a stable order."""
    found: set[Path] = set()
    for answers in case.sections.values():
        _collect_paths(answers, found)
    return sorted(found)


# ---- private ---------------------------------------------------------------------------------------

def _analyse(case: Case) -> CaseVerdicts:
    from .brief import case_results, decision
    from .questions import BY_KEY

    results = case_results(case)
    verdicts = [Verdict(BY_KEY[key].number, r.title, r.verdict, r.level) for key, r in results.items()]
    readiness = decision(case, results)
    return CaseVerdicts(verdicts, readiness.status, readiness.level)


def _collect_paths(value: Any, found: set[Path]) -> None:
    from pydantic import BaseModel

    if isinstance(value, Path):
        if value.is_file():
            found.add(value.resolve())
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _collect_paths(getattr(value, name), found)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _collect_paths(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _collect_paths(item, found)


def _file_digest(path: Path) -> bytes:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError:
        h.update(b"(unreadable)")
    return h.digest()


_code: bytes | None = None


def _code_digest() -> bytes:
    """The kit's own Python files: a verdict rule that changed makes every stored verdict stale."""
    global _code
    if _code is None:
        h = hashlib.sha256()
        for path in sorted(_PACKAGE.rglob("*.py")):
            h.update(path.relative_to(_PACKAGE).as_posix().encode() + b"\0")
            h.update(path.read_bytes())
        _code = h.digest()
    return _code


def _read(entry: Path) -> CaseVerdicts | None:
    try:
        data = json.loads(entry.read_text(encoding="utf-8"))
        return CaseVerdicts([Verdict(**v) for v in data["verdicts"]], data["readiness"], data["readiness_level"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write(entry: Path, verdicts: CaseVerdicts) -> None:
    _write_json(entry, asdict(verdicts))


def _write_json(entry: Path, data: Any) -> None:
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = entry.with_name(f".{entry.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, entry)
    except OSError:
        pass  # a cache we cannot write is a cache we do without
