"""How long ``aipm-kit list`` takes: the first run (every case analysed) and the next (verdicts remembered).

    python benchmarks/list.py [--runs 3]

Each run is a fresh process with its own empty cache folder, as a new user's first ``list`` would be; the
median of the runs is printed. Compare the two figures of one run, on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def _time_list(cache: str) -> float:
    env = {**os.environ, "XDG_CACHE_HOME": cache}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "aipm_kit.cli", "list"], env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    cold, warm = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as cache:
            cold.append(_time_list(cache))
            warm.append(_time_list(cache))
    print(f"aipm-kit list, median of {runs}: first run {statistics.median(cold):.2f} s, "
          f"verdicts remembered {statistics.median(warm):.2f} s ({statistics.median(cold) / statistics.median(warm):.1f}x)")


if __name__ == "__main__":
    main()
