"""How fast `aipm-kit build` is, against the loop a user would write and against the floor. Prints a table.

    python benchmarks/build.py [--repeat N] [--skip-naive]

On the same notebooks (every question notebook × every bundled case, what `aipm-kit build` builds by default),
in one run, it times:

    (a) naive      one `papermill` command per notebook, one after another (a new process and kernel each)
    (b) jobs 1     `aipm-kit build --jobs 1`
    (c) default    `aipm-kit build` (jobs = cores)
    (d) floor      the executed cells' own durations in (c)'s output notebooks (papermill records each cell's
                   duration in its metadata), summed and divided by the cores: what no scheduler can beat

and prints a/c (target ≥ 4) and c/d (target ≤ 2), the peak memory of each build's whole process tree (resident
memory summed, and proportional memory, which splits pages that forked kernels share), and how long
`import aipm_kit` (target ≤ 0.15 s) and `aipm-kit --help` (target ≤ 0.3 s) take. Timings on a shared machine
are noisy: compare the ratios within one run, and run it more than once.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from aipm_kit.build import default_jobs, question_notebooks
from aipm_kit.bundled import bundled_cases

BIN = Path(sys.executable).parent
TARGETS = {"a/c": ">= 4", "c/d": "<= 2", "import": "<= 0.15 s", "help": "<= 0.3 s"}


class PeakMemory:
    """Samples a process and all its descendants every 50 ms: the peak of their summed RSS and PSS (MB)."""

    def __init__(self, pid: int):
        self.root = psutil.Process(pid)
        self.rss = self.pss = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            rss = pss = 0
            try:
                processes = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
            for process in processes:
                try:
                    info = process.memory_full_info()
                    rss, pss = rss + info.rss, pss + getattr(info, "pss", info.rss)
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    pass
            self.rss, self.pss = max(self.rss, rss / 2**20), max(self.pss, pss / 2**20)
            self._stop.wait(0.05)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, PeakMemory]:
    started = time.perf_counter()
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    memory = PeakMemory(process.pid)
    status = process.wait()
    seconds = time.perf_counter() - started
    memory.stop()
    if status not in (0, 1):  # 1: a notebook failed (reported by the build); anything else is a crash
        raise SystemExit(f"{' '.join(cmd)} exited with {status}")
    return seconds, memory


def naive_loop(notebooks: list[Path], cases: dict[str, Path], out: Path) -> tuple[float, float]:
    """(a): the loop a user writes — `papermill NB OUT -p case … -p interactive False` per notebook."""
    env = {**os.environ, "AIPM_KIT_HEADLESS": "1"}
    total, peak = 0.0, 0.0
    for name, case in cases.items():
        (out / name).mkdir(parents=True, exist_ok=True)
        for notebook in notebooks:
            seconds, memory = timed([str(BIN / "papermill"), str(notebook), str(out / name / notebook.name),
                                     "-p", "case", str(case), "-p", "interactive", "False",
                                     "--cwd", str(notebook.parent), "--no-progress-bar"], env)
            total, peak = total + seconds, max(peak, memory.pss)
    return total, peak


def cell_seconds(out: Path) -> float:
    """The summed papermill durations of every executed cell in a build's output notebooks."""
    total = 0.0
    for path in out.glob("*/*.ipynb"):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            total += (cell.get("metadata", {}).get("papermill", {}).get("duration") or 0.0)
    return total


def median_seconds(cmd: list[str], runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def import_seconds(runs: int = 7) -> float:
    """`import aipm_kit` measured inside a fresh interpreter (its start-up excluded), median of ``runs``."""
    code = "import time; t = time.perf_counter(); import aipm_kit; print(time.perf_counter() - t)"
    return statistics.median(float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                                  check=True).stdout) for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs of (b), (c) and (d) (default 1)")
    parser.add_argument("--skip-naive", action="store_true", help="skip (a), the slow one")
    args = parser.parse_args()

    cases = bundled_cases()
    notebooks = [path for _, path in question_notebooks()]
    cores = default_jobs()
    print(f"{len(cases)} case{'s' * (len(cases) != 1)} × {len(notebooks)} notebooks = "
          f"{len(cases) * len(notebooks)} notebook runs; {cores} cores; load average "
          f"{os.getloadavg()[0]:.1f} at the start", flush=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="aipm-kit-bench-") as tmp:
        tmp = Path(tmp)
        naive = naive_pss = None
        if not args.skip_naive:
            naive, naive_pss = naive_loop(notebooks, cases, tmp / "naive")
            print(f"(a) naive loop: {naive:.1f} s", flush=True)
        for run in range(1, args.repeat + 1):
            one, one_memory = timed([str(BIN / "aipm-kit"), "build", "--jobs", "1", "--out", str(tmp / "one")])
            shutil.rmtree(tmp / "one")
            default, memory = timed([str(BIN / "aipm-kit"), "build", "--out", str(tmp / "default")])
            floor = cell_seconds(tmp / "default") / cores
            shutil.rmtree(tmp / "default")
            rows.append((one, one_memory, default, memory, floor))
            print(f"run {run}: (b) jobs 1 {one:.1f} s, (c) default {default:.1f} s, (d) floor {floor:.1f} s",
                  flush=True)
    imports = import_seconds()
    help_seconds = median_seconds([str(BIN / "aipm-kit"), "--help"])

    print()
    print(f"{'':<34}{'seconds':>9}{'peak RSS MB':>13}{'peak PSS MB':>13}")
    if naive is not None:
        print(f"{'(a) naive: papermill per notebook':<34}{naive:>9.1f}{'':>13}{naive_pss:>13.0f}")
    for run, (one, one_memory, default, memory, floor) in enumerate(rows, start=1):
        tag = f" #{run}" if len(rows) > 1 else ""
        print(f"{'(b) aipm-kit build --jobs 1' + tag:<34}{one:>9.1f}{one_memory.rss:>13.0f}{one_memory.pss:>13.0f}")
        print(f"{'(c) aipm-kit build' + tag:<34}{default:>9.1f}{memory.rss:>13.0f}{memory.pss:>13.0f}")
        print(f"{'(d) floor: cell time / cores' + tag:<34}{floor:>9.1f}")
        if naive is not None:
            print(f"{'a/c' + tag:<34}{naive / default:>9.1f}   target {TARGETS['a/c']}")
        print(f"{'c/d' + tag:<34}{default / floor:>9.2f}   target {TARGETS['c/d']}")
        print(f"{'b/c (speed-up from parallel jobs)' + tag:<34}{one / default:>9.2f}")
    print(f"{'import aipm_kit':<34}{imports:>9.3f}   target {TARGETS['import']}")
    print(f"{'aipm-kit --help':<34}{help_seconds:>9.3f}   target {TARGETS['help']}")


if __name__ == "__main__":
    main()
