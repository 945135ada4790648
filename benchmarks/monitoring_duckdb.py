"""Question 7 on a 20M-row Parquet log: the kit's statistics against a hand-written DuckDB query of the same
statistics, each in a fresh process, with its time and peak memory.

    python benchmarks/monitoring_duckdb.py [--rows 20000000] [--folder /tmp/aipm-kit-bench]

The log is generated once by DuckDB itself (seeded: every value is a hash of the row number, so the same rows
come back on every run) and kept in the folder. "The statistics" are what question 7 computes from the log:
the values checked (timestamps, confidence, ids), outputs per week × segment × feedback, the reference weeks'
deciles and both windows' bin counts for confidence and input length (PSI), and the latest week's row keys for
the review sample with the drawn rows' text. Targets: the kit within 1.5× the hand-written query, peak memory
(resident set) under 1 GB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

WEEKS = 26


def generate(path: Path, rows: int) -> None:
    import duckdb

    seconds = WEEKS * 7 * 86400
    con = duckdb.connect()
    con.execute(f"""COPY (
        SELECT TIMESTAMP '2025-09-01' + to_microseconds(CAST(i * {seconds * 1_000_000 // rows} AS BIGINT)) AS timestamp,
               'T' || lpad(CAST(i AS VARCHAR), 9, '0') AS id,
               ['web form', 'email', 'chat', 'phone', 'partner api'][CAST(1 + hash(i, 1) % 5 AS BIGINT)] AS segment,
               'ticket about ' || ['billing', 'login', 'export', 'outage', 'renewal'][CAST(1 + hash(i, 2) % 5 AS BIGINT)]
                 || repeat(' detail', CAST(hash(i, 3) % 20 AS INT)) AS input,
               ['Billing', 'Account access', 'Bug report', 'Sales'][CAST(1 + hash(i, 4) % 4 AS BIGINT)] AS output,
               round((hash(i, 5) % 1000) / 1000.0, 3) AS confidence,
               CASE WHEN hash(i, 6) % 100 < 8 + (i * 4 // {rows}) THEN 'negative'
                    WHEN hash(i, 6) % 100 < 40 THEN 'ok' ELSE '' END AS feedback
        FROM range({rows}) t(i)) TO '{path}' (FORMAT parquet)""")
    con.close()


def kit(path: str) -> dict:
    """Question 7's statistics as the kit computes them."""
    from aipm_kit.questions import monitoring
    from aipm_kit.questions.monitoring_log import log_counts, log_numeric, log_weeks

    start = time.perf_counter()
    a = monitoring.Answers.model_validate({"log": path, "review_budget": 100, "sampling": "oversample risky"})
    log = monitoring.open_answers_log(a)  # opens and checks every value
    weeks = log_weeks(log)
    counts = log_counts(log)
    for column in ("confidence", "input_length"):
        log_numeric(log, column, weeks[3], weeks[-4], 10)
    sample, _, _ = monitoring._draw(log, a, None)
    return {"seconds": time.perf_counter() - start, "groups": len(counts), "sampled": len(sample)}


def hand(path: str) -> dict:
    """The same statistics as one would write them straight in DuckDB."""
    import duckdb
    import numpy as np

    start = time.perf_counter()
    con = duckdb.connect()
    log = f"read_parquet('{path}')"
    con.execute(f"""SELECT count(*) FILTER (WHERE try_cast(timestamp AS TIMESTAMP) IS NULL),
                           count(*) FILTER (WHERE confidence IS NULL OR confidence < 0 OR confidence > 1),
                           count(*) FILTER (WHERE id IS NULL OR id = '') FROM {log}""").fetchall()
    counts = con.execute(f"""SELECT date_trunc('week', timestamp)::DATE AS week, segment, feedback, count(*)
                             FROM {log} GROUP BY ALL""").df()
    weeks = sorted(counts["week"].unique())
    ref_end, cur_start = str(weeks[3])[:10], str(weeks[-4])[:10]
    for column in ("confidence", "length(input)"):
        window = (f"(SELECT {column} AS x, date_trunc('week', timestamp)::DATE AS week FROM {log} "
                  f"WHERE date_trunc('week', timestamp)::DATE <= DATE '{ref_end}' "
                  f"OR date_trunc('week', timestamp)::DATE >= DATE '{cur_start}')")
        cuts = con.execute(f"SELECT quantile_cont(x, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]) "
                           f"FILTER (WHERE week <= DATE '{ref_end}') FROM {window}").fetchone()[0]
        bins = " + ".join(f"(x >= {c})::INT" for c in np.unique(cuts))
        con.execute(f"""SELECT {bins} AS bin, count(*) FILTER (WHERE week <= DATE '{ref_end}'),
                               count(*) FILTER (WHERE week >= DATE '{cur_start}') FROM {window} GROUP BY ALL""").df()
    last = str(weeks[-1])[:10]
    keys = con.execute(f"""SELECT id, timestamp, segment, feedback, confidence FROM {log}
                           WHERE date_trunc('week', timestamp)::DATE = DATE '{last}' ORDER BY id, timestamp""").df()
    picked = keys["id"].sample(100, random_state=0).tolist()
    con.execute(f"SELECT * FROM {log} WHERE id IN (SELECT unnest(?))", [picked]).df()
    return {"seconds": time.perf_counter() - start, "groups": len(counts), "sampled": len(picked)}


def measure(which: str, path: Path) -> dict:
    """Run ``which`` in a fresh Python and return its figures with its peak resident memory."""
    code = (f"import json, resource, sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
            f"import monitoring_duckdb as b; out = b.{which}({str(path)!r}); "
            f"out['peak_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024; print(json.dumps(out))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--folder", default="/tmp/aipm-kit-bench")
    args = parser.parse_args()
    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"log-{args.rows}.parquet"
    if not path.exists():
        start = time.perf_counter()
        generate(path, args.rows)
        print(f"generated {args.rows:,} rows in {time.perf_counter() - start:.1f} s: {path.stat().st_size / 1e6:.0f} MB")
    ours, theirs = measure("kit", path), measure("hand", path)
    print(f"kit:          {ours['seconds']:6.2f} s, peak {ours['peak_mb']:6.0f} MB ({ours['groups']} count groups, "
          f"{ours['sampled']} sampled rows)")
    print(f"hand-written: {theirs['seconds']:6.2f} s, peak {theirs['peak_mb']:6.0f} MB")
    print(f"ratio kit / hand-written: {ours['seconds'] / theirs['seconds']:.2f}x (target <= 1.5x); "
          f"kit peak memory {'under' if ours['peak_mb'] <= 1024 else 'OVER'} 1 GB")


if __name__ == "__main__":
    main()
