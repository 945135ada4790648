"""How fast a cohort's variants and grading run: a local two-worker Dask cluster against `--jobs 2`. Prints a table.

    python benchmarks/classroom.py [--students N] [--case NAME] [--blank Q,Q] [--flaws N]

For N students (default 40) of a bundled case it times, in one run:

    (a) jobs 2    `make_variants(..., jobs=2)` then `grade(..., jobs=2)`: two worker processes on this machine
    (b) dask 2    the same through `scheduler=` on a `distributed.LocalCluster` of two single-threaded workers
                  (the cluster's start is timed apart, as a cluster is usually started once for many runs)

and prints students per minute for each step. ``--flaws N`` makes a find-the-flaw cohort instead, N mistakes
planted per student (``--case flaw-hunt --blank "" --flaws 4``). Both make byte-identical cohorts (checked), since a variant
depends only on the roster, the secret and the attempt. Every variant is a whole-case analysis (about 4 s of
one core for support-triage, more when a draw is redrawn): on a shared two-core machine both ways are bound by
the cores, and the cluster's worth is that it scales past one machine. Timings are noisy: compare within a run.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import shutil
import tempfile
import time
from pathlib import Path

from aipm_kit.classroom import make_variants
from aipm_kit.grading import grade


def _hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _cohort(root: Path, name: str, roster: Path, args, **where) -> tuple[float, float, int]:
    out = root / name
    start = time.perf_counter()
    flaws = {"exercise": "flaw", "flaws": args.flaws} if args.flaws is not None else {}
    report = make_variants(args.case, roster, out, secret="benchmark", blank=args.blank.split(","), **flaws, **where)
    made = time.perf_counter() - start
    # everyone hands back their copy untouched: grading still analyses every submission in full
    submissions = out / "students"
    start = time.perf_counter()
    grade(submissions, out / "key", root / f"{name}-report", **where)
    graded = time.perf_counter() - start
    return made, graded, len(report.written)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--case", default="support-triage")
    parser.add_argument("--blank", default="evaluation")
    parser.add_argument("--flaws", type=int, default=None, help="a find-the-flaw cohort: N flaws per student")
    args = parser.parse_args()

    import distributed

    root = Path(tempfile.mkdtemp(prefix="aipm-kit-class-bench-"))
    try:
        roster = root / "roster.csv"
        roster.write_text("id,name\n" + "".join(f"s{i:03d},Student {i}\n" for i in range(args.students)),
                          encoding="utf-8")
        rows = []
        made, graded, n = _cohort(root, "jobs", roster, args, jobs=2)
        rows.append(("jobs 2", made, graded, n, 0.0))
        start = time.perf_counter()
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                      silence_logs=logging.ERROR) as cluster:
            started = time.perf_counter() - start
            made, graded, n = _cohort(root, "dask", roster, args, scheduler=cluster.scheduler_address)
        rows.append(("dask 2", made, graded, n, started))
        same = _hashes(root / "jobs" / "students") == _hashes(root / "dask" / "students")
        kind = f", {args.flaws} flaws each" if args.flaws is not None else ""
        print(f"{args.students} students of {args.case}, blank {args.blank or 'none'}{kind}\n")
        print(f"{'way':<8}{'variants s':>12}{'per min':>10}{'grade s':>10}{'per min':>10}{'cluster start s':>17}")
        for way, made, graded, n, started in rows:
            print(f"{way:<8}{made:>12.1f}{60 * n / made:>10.1f}{graded:>10.1f}{60 * n / graded:>10.1f}"
                  f"{started:>17.1f}")
        print(f"\nSame variants both ways: {'yes' if same else 'NO'}")
        return 0 if same else 1
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
