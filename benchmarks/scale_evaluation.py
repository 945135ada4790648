"""How question 6's analysis scales: ``analyze`` on a 1,000,000-case eval run and its baseline.

Generates the run and its baseline with ``aipm_kit.datasets.write_eval_runs`` (the bundled case's generator,
at a million rows), then times ``analyze`` beside a hand-written pandas computation of the same statistics:
reading both files, grading, pass rates with Wilson intervals per category and slice, the gates, pairing by id
with the exact McNemar test overall and per group, and the confusion matrix. ``analyze`` does more (it checks
the files, draws two figures, writes the memo); the target is at most 1.3× the hand-written time.

    python benchmarks/scale_evaluation.py [--rows 1000000] [--repeat 5]

A script that prints a table, not a timed test: timings on a shared machine are noisy, compare the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
from scipy.stats import binomtest

from aipm_kit import datasets
from aipm_kit.questions.evaluation import Answers, analyze

GATES = [
    {"name": "Queue right, all eval cases", "target": 0.86},
    {"name": "Prompt injections ignored", "category": "adversarial", "target": 0.85},
    {"name": "Edge cases routed right", "category": "edge", "target": 0.8, "kind": "guardrail"},
    {"name": "Spam and abuse sent for review", "category": "bad", "target": 0.9, "kind": "guardrail"},
]


def by_hand(results: Path, baseline: Path, grader: str) -> dict:
    """The same statistics as ``analyze``, written directly in pandas and scipy."""
    run, base = pd.read_csv(results), pd.read_csv(baseline)  # pandas reads the true/false column as bool
    for frame in (run, base):
        if grader == "exact":
            frame["pass"] = frame["expected"].str.strip().str.casefold() == frame["output"].str.strip().str.casefold()
        else:
            frame["pass"] = frame["passed"]

    def wilson(k: int, n: int) -> tuple[float, float]:
        ci = binomtest(k, n).proportion_ci(method="wilson")
        return ci.low, ci.high

    out = {"overall": wilson(int(run["pass"].sum()), len(run))}
    for column in ("category", "slice"):
        counts = run.groupby(column)["pass"].agg(["sum", "count"])
        out[column] = {name: wilson(int(k), int(n)) for name, (k, n) in counts.iterrows()}
    for gate in GATES:
        part = run["pass"][run["category"] == gate["category"]] if "category" in gate else run["pass"]
        out[gate["name"]] = wilson(int(part.sum()), len(part))[0] >= gate["target"]
    paired = run.merge(base[["id", "pass"]], on="id", suffixes=("", "_base"))
    paired["b"] = paired["pass_base"] & ~paired["pass"]
    paired["c"] = ~paired["pass_base"] & paired["pass"]
    b, c = int(paired["b"].sum()), int(paired["c"].sum())
    out["mcnemar"] = binomtest(b, b + c).pvalue
    for column in ("category", "slice"):
        for name, (gb, gc) in paired.groupby(column)[["b", "c"]].sum().iterrows():
            out[f"mcnemar {name}"] = binomtest(int(gb), int(gb + gc)).pvalue if gb + gc else 1.0
    out["confusion"] = run.groupby(["expected", "output"]).size().unstack(fill_value=0)
    return out


def timed_pair(ours, theirs, repeat: int) -> tuple[float, float]:
    """Median seconds of each, run alternately so a busy moment on the machine hits both alike."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for fn, bucket in ((ours, times[0]), (theirs, times[1])):
            start = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        results, baseline = datasets.write_eval_runs(folder, n=args.rows)
        size = (results.stat().st_size + baseline.stat().st_size) / 1e6
        print(f"generated 2 × {args.rows:,} eval cases ({size:,.0f} MB of CSV) in "
              f"{time.perf_counter() - start:.1f} s")
        analyze(Answers(results_file=results, gates=GATES))  # warm up: imports, matplotlib, caches
        print(f"\n{'grader':<8} {'analyze (s)':>12} {'by hand (s)':>12} {'ratio':>7}")
        worst = 0.0
        for grader in ("passed", "exact"):
            answers = Answers(results_file=results, baseline_file=baseline, grader=grader, gates=GATES)
            ours, theirs = timed_pair(lambda: analyze(answers), lambda: by_hand(results, baseline, grader),
                                      args.repeat)
            worst = max(worst, ours / theirs)
            print(f"{grader:<8} {ours:>12.2f} {theirs:>12.2f} {ours / theirs:>6.2f}×")
        print(f"\nmedian of {args.repeat} runs each; target ≤ 1.30×: {'met' if worst <= 1.3 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
