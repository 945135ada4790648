"""How long ``import aipm_kit`` takes, and what it loads: the target is under 0.15 s.

    python benchmarks/import_time.py [--runs 7]

Each run is a fresh interpreter that times only the import (the interpreter's own start-up is not counted),
as wall-clock time and as the process's CPU time; the median and the fastest of the runs are printed, then the
top-level packages that cost most (Python's ``-X importtime``). Wall time depends on the machine's load (other
processes, a busy disk); the CPU time much less so: compare that one between machines.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

TIMED = ("import time; t, c = time.perf_counter(), time.process_time(); import aipm_kit; "
         "print(time.perf_counter() - t, time.process_time() - c)")


def _once() -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", TIMED], check=True, capture_output=True, text=True).stdout
    wall, cpu = out.split()
    return float(wall), float(cpu)


def _heaviest(count: int = 5) -> list[tuple[int, str]]:
    """The top-level packages that cost most, in microseconds (cumulative), from ``-X importtime``."""
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", "import aipm_kit"], check=True,
                         capture_output=True, text=True).stderr
    costs: dict[str, int] = {}
    for line in err.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            package = parts[2].strip().split(".")[0]  # a package's largest cumulative figure is its own import
            costs[package] = max(costs.get(package, 0), int(parts[1]))
    costs.pop("aipm_kit", None)
    return sorted(((v, k) for k, v in costs.items()), reverse=True)[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = [_once() for _ in range(parser.parse_args().runs)]
    for label, times in (("wall", [w for w, _ in runs]), ("CPU", [c for _, c in runs])):
        print(f"import aipm_kit, {label} time: median {statistics.median(times):.3f} s, fastest {min(times):.3f} s "
              f"over {len(runs)} runs (target < 0.15 s)")
    print("the libraries it imports that cost most (wall time, one run):")
    for micros, name in _heaviest():
        print(f"  {name:<20} {micros / 1e6:.3f} s")


if __name__ == "__main__":
    main()
