"""Deterministic synthetic data for the bundled cases, the tests and per-student variants.

A case's data comes from a short spec (``aipm_kit/synth/specs/<case>.py``: the numbers of its story and the
words of its product) and the generic generators in :mod:`aipm_kit.synth.generators`. The same spec and seed
always write the same bytes; another seed writes another, equally plausible, variant of the same story.
``python -m aipm_kit.synth [--out DIR]`` rewrites every bundled case's data files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["SPECS", "bundled_spec", "case_frames", "draw", "write_case_data", "write_bundled", "main"]

# the bundled cases whose data comes from a spec (a case with no data files, such as meeting-notes, has none)
SPECS = ("flaw-hunt", "invoice-reminders", "policy-assistant", "support-triage", "travel-rebooking")

# each part draws from its own stream, so changing one file's spec leaves the others' bytes as they were
_STREAMS = {"need_ai_sample": 1, "data_sample": 2, "scores": 3, "eval": 4, "log": 5}


def bundled_spec(name: str) -> Mapping[str, Any]:
    """The spec of a bundled case: its module's ``SPEC``."""
    import importlib

    return importlib.import_module(f".specs.{name.replace('-', '_')}", __package__).SPEC


def case_frames(spec: Mapping[str, Any], seed: int | None = None) -> dict[str, Any]:
    """File name → DataFrame for every file the spec describes, drawn with ``seed`` (default: the spec's, and
    a part's own ``seed`` where it pins one, as support-triage's scores do so question 5's worked numbers stay)."""
    import numpy as np

    from . import generators as g

    pinned = seed is None  # the bundled files: a part may pin its own seed (kept from an earlier generator)
    seed = spec["seed"] if seed is None else seed

    def rng(part: str) -> "np.random.Generator":
        if pinned and "seed" in spec.get(part, {}):
            return np.random.default_rng(spec[part]["seed"])
        return np.random.default_rng([seed, _STREAMS[part]])

    files = spec["files"]
    frames: dict[str, Any] = {}
    if "need_ai_sample" in spec:
        frames[files["need_ai_sample"]] = g.need_ai_sample(rng("need_ai_sample"), spec["need_ai_sample"])
    if "data_sample" in spec:
        frames[files["data_sample"]] = g.labelled_sample(rng("data_sample"), spec["data_sample"])
    if "scores" in spec:
        frames[files["scores"]] = g.confidence_scores(rng("scores"), spec["scores"])
    promoted = None
    if "log" in spec:
        truth = g.traffic(rng("log"), spec["log"])
        frames[files["log"]] = truth[list(g.LOG_COLUMNS)]
        reviewed = g.reviewed_failures(truth, spec["reviewed"])
        frames[files["reviewed"]] = reviewed
        if spec["eval"].get("promote_reviewed"):
            promoted = _promoted(reviewed, truth, spec["eval"])
    if "eval" in spec:
        candidate, baseline = g.eval_runs(rng("eval"), spec["eval"], promoted)
        frames[files["eval"]] = candidate
        if "baseline" in files:
            frames[files["baseline"]] = baseline
    return frames


def draw(case: str, part: str, seed: int = 0, **changes: Any) -> Any:
    """One part of a bundled case's data, drawn with a plain ``seed`` and the spec's section changed by
    ``changes`` (a smaller log, more eval cases): for tests and benchmarks.

    ``part``: ``need_ai_sample``, ``data_sample``, ``scores`` (DataFrames), ``eval`` (candidate, baseline),
    ``log`` (the log's columns) or ``traffic`` (the log plus ``expected``, ``wrong`` and ``failure_mode``).
    For ``eval``, ``n=`` scales every category to about ``n`` cases in all.
    ``draw("support-triage", "scores", seed=5)`` is the bundled ``confidence_scores.csv``.
    """
    import numpy as np

    from . import generators as g

    spec = bundled_spec(case)
    section = {**spec["log" if part == "traffic" else part], **changes}
    if part == "eval" and "n" in changes:  # the same categories and rates, on n cases in all
        total = sum(cases for cases, _, _ in section["categories"].values())
        section["categories"] = {name: (max(1, round(cases * changes["n"] / total)), c, b)
                                 for name, (cases, c, b) in section["categories"].items()}
    rng = np.random.default_rng(seed)
    if part in ("log", "traffic"):
        truth = g.traffic(rng, section)
        return truth if part == "traffic" else truth[list(g.LOG_COLUMNS)]
    if part == "eval":
        return g.eval_runs(rng, section)
    kinds = {"need_ai_sample": g.need_ai_sample, "data_sample": g.labelled_sample, "scores": g.confidence_scores}
    return kinds[part](rng, section)


def _promoted(reviewed: Any, truth: Any, spec: Mapping[str, Any]) -> Any:
    """Reviewed failures as eval cases, the way question 7 promotes them: id and input from the log, the
    reviewer's expected answer, the segment as the slice column it names (``promote_slice``); a slice the log
    does not hold takes its commonest value."""
    rows = reviewed.drop_duplicates("id").merge(truth[["id", "input", "segment"]], on="id")
    out = rows[["id", "category", "input", "expected"]].copy()
    for column, shares in spec.get("slices", {}).items():
        out[column] = max(shares, key=shares.get)
    if "promote_slice" in spec:
        out[spec["promote_slice"]] = rows["segment"].to_numpy()
    return out


def write_case_data(spec: Mapping[str, Any], out_dir: str | os.PathLike[str], seed: int | None = None) -> list[Path]:
    """Write every data file of ``spec`` into ``out_dir`` (created if needed); returns the paths written.

    Each file is written to a temporary name and renamed, so a reader never sees half of it.
    """
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in case_frames(spec, seed).items():
        path = folder / name
        temporary = path.with_name(f".{name}.tmp")
        frame.to_csv(temporary, index=False, lineterminator="\n")
        os.replace(temporary, path)
        written.append(path)
    return written


def write_bundled(out: str | os.PathLike[str] | None = None) -> list[Path]:
    """Regenerate every bundled case's data files into ``out/<case>/`` (default: the bundled cases folder)."""
    from ..bundled import cases_dir

    root = Path(out) if out is not None else cases_dir()
    written: list[Path] = []
    for name in SPECS:
        written += write_case_data(bundled_spec(name), root / name)
    return written


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m aipm_kit.synth",
                                     description="Regenerate the bundled cases' data files from their specs.")
    parser.add_argument("--out", metavar="DIR", help="write under DIR/<case>/ instead of the bundled cases folder")
    args = parser.parse_args(argv)
    written = write_bundled(args.out)
    print(f"Wrote {len(written)} data files for {len(SPECS)} cases.")
    return 0
