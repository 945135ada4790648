"""Peak memory of question 7 reading a large production log (about 1 GB by default).

Run it from the repository: ``python benchmarks/memory_log.py [megabytes] [--code DIR ...]``. It writes a log
in question 7's format (timestamp, id, segment, input, output, confidence, feedback) to a temporary folder,
built from the bundled support-triage log: each copy gets new ids and timestamps, and every input gets its
ticket number, so no two inputs are the same text (a real log's inputs rarely repeat; the bundled case's come
from templates). The outputs stay the case's queue names, as a triage product's do.

Each ``--code DIR`` (default: this checkout) is measured in a fresh Python process with ``DIR`` first on its
path: it imports the kit, then reads the log as question 7's analysis does (``monitoring._load_log``). The
process's peak resident memory (``ru_maxrss``) is reported beside the file's size, after the import alone, and
the time taken. Point ``--code`` at a checkout of an older commit to compare before and after a change.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent.parent
TEMPLATE = HERE / "cases" / "support-triage" / "production_log.csv"

MEASURE = r"""
import json, resource, sys, time
from pathlib import Path
import pandas as pd
from aipm_kit.questions import monitoring
imported = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
log = monitoring._load_log(Path(sys.argv[1]))
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"rows": len(log), "seconds": seconds, "imported_kb": imported, "peak_kb": peak,
                  "frame_bytes": int(log.memory_usage(deep=True).sum()), "module": monitoring.__file__}))
"""


def write_log(path: Path, megabytes: float) -> int:
    """Write a log of about ``megabytes`` MB; return its rows."""
    template = pd.read_csv(TEMPLATE, dtype=str, keep_default_na=False)
    stamps = pd.to_datetime(template["timestamp"])
    target = megabytes * 1_000_000
    rows = copy = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        while handle.tell() < target:
            block = template.copy()
            numbers = pd.RangeIndex(rows, rows + len(block)).astype(str)
            block["id"] = "TK-" + numbers.str.zfill(9)
            block["input"] = block["input"] + " (ticket " + numbers + ")"
            block["timestamp"] = (stamps + pd.Timedelta(seconds=copy % 3600)).dt.strftime("%Y-%m-%dT%H:%M:%S")
            block.to_csv(handle, index=False, header=copy == 0)
            rows += len(block)
            copy += 1
    return rows


def measure(code: Path, log: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code)}
    # run in the log's folder: `python -c` puts the working directory first on the path, ahead of PYTHONPATH
    done = subprocess.run([sys.executable, "-c", MEASURE, str(log)], env=env, cwd=log.parent, capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"reading with {code} failed:\n{done.stderr}")
    got = json.loads(done.stdout)
    if not Path(got["module"]).is_relative_to(code):
        raise SystemExit(f"measured {got['module']}, not the code in {code}")
    return got


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("megabytes", nargs="?", type=float, default=1000)
    parser.add_argument("--code", action="append", type=Path, help="a checkout of the kit (default: this one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "production_log.csv"
        start = time.perf_counter()
        rows = write_log(log, args.megabytes)
        size = log.stat().st_size
        print(f"log: {size / 1e6:,.0f} MB, {rows:,} rows (written in {time.perf_counter() - start:.0f} s)")
        for code in [c.resolve() for c in args.code or [HERE]]:
            got = measure(code, log)
            peak, imported = got["peak_kb"] * 1024, got["imported_kb"] * 1024
            print(f"{code.name}: peak {peak / 1e9:.2f} GB ({peak / size:.1f}× the file); "
                  f"{(peak - imported) / 1e9:.2f} GB above the {imported / 1e6:.0f} MB after import; the log "
                  f"frame holds {got['frame_bytes'] / 1e9:.2f} GB; {got['rows']:,} rows in {got['seconds']:.0f} s")


if __name__ == "__main__":
    main()
