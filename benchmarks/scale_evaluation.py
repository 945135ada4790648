"""How question 6's analysis scales: ``analyze`` on a 1,000,000-case eval run and its baseline.

Generates the run and its baseline with ``aipm_kit.synth.draw`` (the support-triage spec, scaled to a million
rows, most of them repeating earlier cases), then times ``analyze`` beside a hand-written pandas computation of the same statistics:
reading both files, grading, pass rates with Wilson intervals per category and slice, the gates, pairing by id
with the exact McNemar test overall and per group, and the confusion matrix. ``analyze`` does more (it checks
the files, draws two figures, writes the memo); the target is at most 1.3× the hand-written time.

Since question 6 counts distinct inputs (exact duplicates, design-effect intervals per gate and per slice,
near-copies), two more figures:

- ``--reference DIR``: the same ``analyze`` timing run with the kit found in DIR (an earlier checkout, e.g.
  ``git archive <commit> | tar -x -C DIR``), in a subprocess; the target is this version ≤ 1.5× that one.
- ``--near-duplicates N``: MinHash near-copy search over N distinct ticket-like inputs, cold (empty cache) and
  warm (cached by the file's hash); the target is ≤ 30 s cold at N = 100,000 on 2 cores.

    python benchmarks/scale_evaluation.py [--rows 1000000] [--repeat 5] [--reference DIR] [--near-duplicates 100000]

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

from aipm_kit import synth
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


def subprocess_time(kit: str, results: Path, baseline: Path) -> float:
    """Seconds of one ``analyze`` (exact grader, after a warm-up call) with the kit found in ``kit``, in a fresh
    interpreter, so two versions of the kit can be timed alike."""
    import os
    import subprocess

    code = ("import sys; sys.path.insert(0, sys.argv[1]); from pathlib import Path; "
            "from aipm_kit.questions.evaluation import Answers, analyze; import time\n"
            f"gates = {GATES!r}\n"
            "a = Answers(results_file=Path(sys.argv[2]), baseline_file=Path(sys.argv[3]), grader='exact', "
            "gates=gates)\n"
            "analyze(a); s = time.perf_counter(); analyze(a); print(time.perf_counter() - s)")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, "-c", code, kit, str(results), str(baseline)],
                         capture_output=True, text=True, check=True, env=env)
    return float(out.stdout.strip().splitlines()[-1])


def compare_with_reference(reference: str, results: Path, baseline: Path, repeat: int) -> tuple[float, float]:
    """Median seconds of this kit's and the reference kit's ``analyze``, run alternately."""
    here = str(Path(__file__).resolve().parent.parent)
    ours, theirs = [], []
    for _ in range(repeat):
        ours.append(subprocess_time(here, results, baseline))
        theirs.append(subprocess_time(reference, results, baseline))
    return statistics.median(ours), statistics.median(theirs)


def near_duplicate_benchmark(n: int, folder: str) -> None:
    """Time near-copy search over ``n`` distinct ticket-like inputs, cold and then from the cache."""
    import os

    import numpy as np

    from aipm_kit import evalset

    rng = np.random.default_rng(11)
    words = np.array([f"w{i}" for i in range(20_000)])
    texts = [" ".join(rng.choice(words, int(rng.integers(6, 40)))) for _ in range(n)]
    for i in range(0, n // 100):  # 1% near-copies: the same ticket with another sign-off
        texts[n - 1 - i] = texts[i] + " thanks"
    frame = pd.DataFrame({"id": range(n), "category": "good", "slice": "", "input": texts, "expected": "a",
                          "output": "a", "passed": True})
    path = Path(folder) / "near.csv"
    frame.to_csv(path, index=False)
    os.environ["AIPM_KIT_CACHE"] = str(Path(folder) / "cache")
    start = time.perf_counter()
    groups = evalset.find_near_duplicates(path)
    cold = time.perf_counter() - start
    evalset._FOUND.clear()
    evalset._HASHES.clear()  # as in a new session: hash the file again and read the answer from the disk cache
    start = time.perf_counter()
    evalset.find_near_duplicates(path)
    warm = time.perf_counter() - start
    # a planted pair is findable when its true Jaccard similarity on word 3-grams reaches the threshold
    similar = sum(len(evalset._shingles(texts[i]) & evalset._shingles(texts[n - 1 - i]))
                  / len(evalset._shingles(texts[i]) | evalset._shingles(texts[n - 1 - i]))
                  >= evalset.NEAR_DUPLICATE_JACCARD for i in range(n // 100))
    print(f"\nnear-copies among {n:,} distinct inputs: {len(groups):,} groups found; {n // 100:,} pairs planted, "
          f"{similar:,} of them with Jaccard ≥ {evalset.NEAR_DUPLICATE_JACCARD:g}; cold {cold:.1f} s, from the "
          f"cache {warm:.2f} s; target cold ≤ 30 s: {'met' if cold <= 30 else 'NOT met'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reference", metavar="DIR", help="an earlier checkout of the kit to compare analyze with")
    parser.add_argument("--near-duplicates", type=int, default=0, metavar="N",
                        help="also time near-copy search over N distinct inputs")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        results, baseline = Path(folder) / "eval_results.csv", Path(folder) / "eval_baseline.csv"
        for frame, path in zip(synth.draw("support-triage", "eval", n=args.rows, duplicates=0.99),
                               (results, baseline)):
            frame.to_csv(path, index=False)
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
        if args.reference:
            ours, theirs = compare_with_reference(args.reference, results, baseline, args.repeat)
            print(f"\nanalyze, exact grader: this version {ours:.2f} s, reference {theirs:.2f} s: "
                  f"{ours / theirs:.2f}× (target ≤ 1.50×: {'met' if ours / theirs <= 1.5 else 'NOT met'})")
        if args.near_duplicates:
            near_duplicate_benchmark(args.near_duplicates, folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
