"""How long question 7's analysis takes on a 1,000,000-row production log, next to plain pandas.

Run it from the repository: ``python benchmarks/scale_monitoring.py [rows]``. It writes a synthetic log (the
bundled case's generator, scaled up) and its reviewers' file to a temporary folder, then times, each a few
times with the log cache cleared, so every run reads and parses the file:

- ``analyze``: question 7's whole analysis (validation, p-chart, drift, review sample, Pareto, promotion,
  three figures);
- ``pandas``: a hand-written computation of the same statistics, as an analyst would write it in a notebook
  without checks or figures.

The two run alternately, so both meet the same load on a shared machine. It prints the median and the
fastest time of each and their ratios; the target is at most 1.3×. A script that prints, not a timed test:
machines differ, and a ratio within one run is what means something.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from aipm_kit import synth
from aipm_kit.synth import generators
from aipm_kit.questions import monitoring
from aipm_kit.stats import p_chart_limits, population_stability_index

REPEATS = 5
WEEKS = 12


def write_files(folder: Path, rows: int) -> tuple[Path, Path, Path]:
    per_week = round(rows / WEEKS)
    log, reviewed, eval_set = folder / "production_log.csv", folder / "reviewed_failures.csv", folder / "eval.csv"
    truth = synth.draw("support-triage", "traffic", per_week=per_week)
    truth[list(generators.LOG_COLUMNS)].to_csv(log, index=False)
    generators.reviewed_failures(truth, synth.bundled_spec("support-triage")["reviewed"]).to_csv(reviewed, index=False)
    synth.draw("support-triage", "eval")[0].to_csv(eval_set, index=False)
    return log, reviewed, eval_set


def by_hand(log_path: Path, reviewed_path: Path, eval_path: Path, a: monitoring.Answers) -> dict:
    """The same statistics in plain pandas, written the way one would in a notebook."""
    from scipy.stats import chi2_contingency

    log = pd.read_csv(log_path)
    log["timestamp"] = pd.to_datetime(log["timestamp"], format="ISO8601")
    log["week"] = log["timestamp"].dt.to_period("W-SUN").dt.start_time
    log["negative"] = log["feedback"] == a.negative_feedback
    weekly = log.groupby("week")["negative"].agg(["sum", "count"])
    ref = weekly.iloc[: a.reference_weeks]
    centre = ref["sum"].sum() / ref["count"].sum()
    lower, upper = p_chart_limits(centre, weekly["count"].to_numpy())
    rate = weekly["sum"] / weekly["count"]
    flagged = weekly.index[(rate > upper) | (rate < lower)]

    weeks = weekly.index
    reference = log[log["week"] <= weeks[a.reference_weeks - 1]]
    current = log[log["week"] >= weeks[-a.current_weeks]]
    mix = pd.concat([reference["segment"].value_counts(), current["segment"].value_counts()], axis=1).fillna(0)
    chi2 = chi2_contingency(mix.to_numpy().T, correction=False)
    psi = {"confidence": population_stability_index(reference["confidence"], current["confidence"]),
           "input length": population_stability_index(reference["input"].str.len(), current["input"].str.len())}

    week = log[log["week"] == weeks[-1]]
    risky = (week["feedback"] == a.negative_feedback) | (week["confidence"] < a.low_confidence)
    n_risky = round(a.review_budget * risky.sum() * a.oversample / (risky.sum() * a.oversample + (~risky).sum()))
    sample = pd.concat([week[risky].sample(n_risky, random_state=a.seed),
                        week[~risky].sample(a.review_budget - n_risky, random_state=a.seed)])

    reviewed = pd.read_csv(reviewed_path)
    pareto = reviewed.groupby("failure_mode")["weight"].sum().sort_values(ascending=False)
    eval_set = pd.read_csv(eval_path)
    new = reviewed.merge(log[["id", "input", "output", "segment"]], on="id").drop_duplicates("input")
    new = new[~new["id"].isin(eval_set["id"]) & ~new["input"].isin(eval_set["input"])]
    return {"flagged": len(flagged), "chi2": chi2.statistic, "psi": psi, "sample": len(sample),
            "modes": len(pareto), "new": len(new)}


def timed_pair(kit, hand) -> tuple[list[float], list[float]]:
    """Run the two computations alternately, ``REPEATS`` times each, with the log cache cleared before each
    run: on a shared machine the load drifts, and alternating exposes both to the same drift."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(REPEATS):
        for function, into in ((kit, times[0]), (hand, times[1])):
            monitoring._cached_log.cache_clear()
            start = time.perf_counter()
            function()
            into.append(time.perf_counter() - start)
    return times


def main(rows: int = 1_000_000) -> None:
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        log, reviewed, eval_set = write_files(Path(folder), rows)
        size = log.stat().st_size
        print(f"wrote a {rows:,}-row log ({size / 1e6:,.0f} MB) in {time.perf_counter() - start:.1f} s")
        a = monitoring.Answers(log=log, negative_feedback="corrected", review_budget=150,
                               sampling="oversample risky", oversample=3, seed=7, reviewed_failures=reviewed,
                               eval_set=eval_set)
        monitoring.analyze(a)  # warm up imports (scipy, matplotlib) so neither side pays for them
        by_hand(log, reviewed, eval_set, a)
        kit_times, hand_times = timed_pair(lambda: monitoring.analyze(a),
                                           lambda: by_hand(log, reviewed, eval_set, a))
        result, numbers = monitoring.analyze(a), by_hand(log, reviewed, eval_set, a)
        monitoring.analyze(a)  # fills the log cache, as the form's first run does
        start = time.perf_counter()
        monitoring.analyze(a)
        cached = time.perf_counter() - start
    kit, hand = statistics.median(kit_times), statistics.median(hand_times)
    print(f"\n{'computation (seconds)':<46}{'median':>8}{'fastest':>9}")
    print(f"{'analyze (question 7, cold: reads the file)':<46}{kit:>8.2f}{min(kit_times):>9.2f}")
    print(f"{'hand-written pandas, same statistics':<46}{hand:>8.2f}{min(hand_times):>9.2f}")
    print(f"{'analyze again (log cached, as in the form)':<46}{cached:>8.2f}")
    print(f"\nratio analyze / pandas: {kit / hand:.2f}× median, {min(kit_times) / min(hand_times):.2f}× fastest "
          f"(target ≤ 1.3×)")
    print(f"agree: weeks flagged {result.metric_value('Weeks above the control limit')} vs {numbers['flagged']}, "
          f"PSI input length {result.metric_value('PSI, input length'):.3f} vs {numbers['psi']['input length']:.3f}, "
          f"failure modes {result.metric_value('Failure modes')} vs {numbers['modes']}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
