"""Question 7's production log where it lives: a glob of CSV or Parquet files, a Parquet file, or a table in a
database, read through DuckDB so the log itself never enters pandas.

Question 7 needs counts, not rows: outputs per week × segment × feedback value, the reference weeks' deciles
and bin counts of confidence and input length, one week's row keys for the review sample, and the few rows
reviewers name. :class:`SqlLog` computes each in SQL; ``monitoring.py`` asks for them through the same small
functions (``log_counts``, ``log_numeric``, ``week_rows``, ``rows_for_ids`` …) whether the log is a DataFrame
(a CSV file read by the kit's checked reader, :func:`read_log`, also here) or a :class:`SqlLog`.

Where a log may live (the ``log`` field):

- ``logs/*.parquet``, ``logs/2025-*.csv``: a glob, relative to the case file;
- ``production_log.parquet``: one Parquet file (DuckDB reads it; pyarrow is not needed);
- ``duckdb:///warehouse.duckdb`` with ``log_table`` or ``log_query``: opened read-only;
- ``sqlite:///app.db`` with ``log_table`` or ``log_query``: opened read-only with Python's ``sqlite3``, and
  copied in chunks into a temporary DuckDB file (slower than DuckDB or Parquet for large logs).

A path in a URL is relative to the case file (``duckdb:////abs/path.duckdb`` for an absolute one).
``${NAME}`` in a URL is read from the environment when the log is opened and never written back, shown or
kept: messages name the URL with any password replaced by ``***``. A ``log_query`` runs with DuckDB's
access to files and the network switched off and the setting locked, so it can read the database it names and
nothing else.
"""

from __future__ import annotations

import functools
import os
import re
import sqlite3
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..case import CaseError
from ..sources import data_error, iter_csv, read_header

KEY = "monitoring"
LOG_COLUMNS = ("timestamp", "id", "segment", "input", "output", "confidence", "feedback")
OPTIONAL_COLUMNS = ("conversation_id",)
SCHEMES = ("duckdb", "sqlite")
COPY_ROWS = 200_000  # rows of an SQLite table copied into DuckDB at a time
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


# ---- where the log lives: the `log` field ---------------------------------------------------------------

def is_address(text: str) -> bool:
    """A database URL (``scheme://…``)."""
    return "://" in str(text)


def is_glob(text: str) -> bool:
    return any(c in str(text) for c in "*?[")


def redact(url: str) -> str:
    """``url`` with the password of its ``user:password@`` part (if any) shown as ``***``."""
    return re.sub(r"(://[^/:@]*:)[^@/]*@", r"\1***@", str(url))


def resolve_location(value: Any, base_dir: Path | None) -> Path | str:
    """The ``log`` field checked: a file that exists (a ``Path``), a glob that matches at least one file, or a
    database URL of a scheme the kit reads (both absolute ``str``, a URL's ``${NAME}`` left as written)."""
    if isinstance(value, Path):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise ValueError(f"expected a file, a glob or a database URL, found {type(value).__name__}")
    if not text:
        raise ValueError("expected a file, a glob or a database URL, found nothing")
    if is_address(text):
        scheme, rest = text.split("://", 1)
        if scheme.lower() not in SCHEMES:
            raise ValueError(f"the kit reads logs from {', '.join(s + '://' for s in SCHEMES)} URLs, not "
                             f"{scheme}:// ({redact(text)}); export the table to Parquet and name the files, or "
                             f"load it into DuckDB")
        if not rest.startswith("/"):
            raise ValueError(f"expected {scheme}:///path/to/file (three slashes), found {redact(text)}")
        if "${" in rest:  # read from the environment when the log is opened: kept as written
            return f"{scheme.lower()}://{rest}"
        path = Path(rest[1:]).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = Path(base_dir) / path
        if not path.is_file():
            raise ValueError(f"database file not found: {rest[1:]} (paths are relative to the case file)")
        return f"{scheme.lower()}:///{path.resolve()}"
    path = Path(text).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    if is_glob(text):
        if not _glob_files(str(path)):
            raise ValueError(f"no file matches {text} (paths are relative to the case file)")
        return str(path)
    if not path.is_file():
        raise ValueError(f"file not found: {text} (paths are relative to the case file)")
    return path.resolve()


def serialize_location(value: Path | str, base_dir: Path | None) -> str:
    """The ``log`` field as the case file writes it: relative to the case file where it is below it."""
    text = str(value)
    prefix = ""
    if is_address(text):
        scheme, rest = text.split("://", 1)
        prefix, text = f"{scheme}:///", rest[1:]
    if base_dir is not None:
        try:
            return prefix + Path(text).relative_to(Path(base_dir).resolve()).as_posix()
        except ValueError:
            pass
    if prefix and text.startswith("/"):
        return prefix + "/" + text.lstrip("/")  # duckdb:////abs/path
    return prefix + Path(text).as_posix()


def _glob_files(pattern: str) -> list[str]:
    import glob

    return sorted(p for p in glob.glob(pattern, recursive=True) if Path(p).is_file())


# ---- opening the log ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Source:
    """Where a log lives and how its columns are named (``columns``: the kit's name → theirs)."""

    location: str
    table: str = ""
    query: str = ""
    columns: tuple[tuple[str, str], ...] = ()

    @property
    def shown(self) -> str:
        """The location as messages show it: a file's name, a URL without its password."""
        if is_address(self.location):
            what = f" (table {self.table})" if self.table else " (log_query)" if self.query else ""
            scheme, rest = self.location.split("://", 1)
            return f"{scheme}:///{redact(rest).rsplit('/', 1)[-1]}{what}"
        return Path(self.location).name

    def their(self, kit: str) -> str:
        return dict(self.columns).get(kit, kit)


def needs_sql(location: Path | str) -> bool:
    """Whether the log is read through DuckDB: a glob, a Parquet file, a database; a CSV file is not."""
    text = str(location)
    return is_address(text) or is_glob(text) or Path(text).suffix.lower() in (".parquet", ".pq")


def open_log(source: Source) -> SqlLog:
    """The log at ``source`` as a :class:`SqlLog`, checked (columns present, values typed); any problem is a
    ``CaseError`` naming the log and the column. Cached while the files it reads are unchanged."""
    return _open(source, _stamp(source))


@functools.lru_cache(maxsize=2)
def _open(source: Source, stamp: tuple) -> SqlLog:  # noqa: ARG001 (the cache key)
    log = SqlLog(source)
    log.check()
    return log


def _stamp(source: Source) -> tuple:
    """What changes when the log changes: each file's modification time and size."""
    text = source.location
    if is_address(text):
        paths = [text.split("://", 1)[1][1:]]
    elif is_glob(text):
        paths = _glob_files(text)
    else:
        paths = [text]
    out = []
    for p in paths:
        try:
            st = os.stat(_expand(p, source))
            out.append((p, st.st_mtime_ns, st.st_size))
        except OSError:
            out.append((p, 0, 0))
    return tuple(out)


def _expand(text: str, source: Source) -> str:
    """``${NAME}`` replaced from the environment; a missing variable is an error naming it (not its value)."""
    def value(match: re.Match) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise _error(source, f"the environment variable {name} named in the URL is not set")
        return os.environ[name]

    return _ENV.sub(value, text)


def _error(source: Source, problem: str, column: str | None = None) -> CaseError:
    where = f"column {column}" if column else None
    error = CaseError(problem, source.shown, None, where)
    error.column = column
    return error


def _quote(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


class SqlLog:
    """A production log read through DuckDB. Every method returns small results: counts, cut points, one
    week's row keys, a few rows by id."""

    def __init__(self, source: Source):
        import duckdb

        self.source = source
        self._duckdb = duckdb
        self._tmp: tempfile.TemporaryDirectory | None = None
        self.connection = self._connect()
        self._cache: dict[Any, Any] = {}

    # -- connecting: read-only, external access off where a user's SQL runs
    def _connect(self):
        duckdb, s = self._duckdb, self.source
        text = s.location
        if not is_address(text):
            files = _glob_files(text) if is_glob(text) else [text]
            con = duckdb.connect(":memory:")
            reader = "read_parquet" if all(f.lower().endswith((".parquet", ".pq")) for f in files) else \
                "read_csv" if all(f.lower().endswith((".csv", ".txt")) for f in files) else None
            if reader is None:
                raise _error(s, "a glob of logs names CSV files or Parquet files, not a mix (or other kinds)")
            listed = "[" + ", ".join(_literal(f) for f in files) + "]"
            options = ", header=true, all_varchar=true, union_by_name=true" if reader == "read_csv" else \
                ", union_by_name=true"
            self._lock(con, files)
            self.relation = f"{reader}({listed}{options})"
            return con
        if s.query and s.table:
            raise _error(s, "name either log_table or log_query, not both")
        if not (s.query or s.table):
            raise _error(s, "a database log needs log_table (the table or view) or log_query (a SELECT)")
        scheme, rest = text.split("://", 1)
        path = _expand(rest[1:], s)
        try:
            if scheme == "duckdb":
                con = duckdb.connect(path, read_only=True)
            else:
                con = self._copy_sqlite(path)
        except (duckdb.Error, sqlite3.Error) as exc:
            raise _error(s, f"cannot open the database: {_redacted(exc, text, path)}") from None
        self._lock(con, [])
        if scheme == "sqlite":
            self.relation = "copied"
        elif s.query:
            statements = con.extract_statements(s.query) if s.query.strip() else []
            if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
                raise _error(s, "log_query must be one SELECT statement")
            self.relation = f"({statements[0].query.strip().rstrip(';')})"
        else:
            self.relation = ".".join(_quote(part) for part in s.table.split("."))  # schema.table
        return con

    def _lock(self, con: Any, paths: list[str]) -> None:
        """No file or network access beyond ``paths`` from here on, and nobody can switch it back on. (DuckDB
        shares one instance per database file in a process: a second opening finds it locked already.)"""
        locked, external = con.execute("SELECT current_setting('lock_configuration'), "
                                       "current_setting('enable_external_access')").fetchone()
        if locked and not external:
            return
        con.execute("SET enable_progress_bar = false")
        if paths:
            con.execute(f"SET allowed_paths = [{', '.join(_literal(p) for p in paths)}]")
        if self._tmp is not None:
            con.execute(f"SET allowed_directories = [{_literal(self._tmp.name)}]")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")

    def _copy_sqlite(self, path: str):
        """The SQLite table or query copied in chunks into a temporary DuckDB file (read-only on SQLite)."""
        if not Path(path).is_file():
            raise _error(self.source, "database file not found")
        lite = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            sql = f"SELECT * FROM ({self.source.query})" if self.source.query else \
                f"SELECT * FROM {'.'.join(_quote(part) for part in self.source.table.split('.'))}"
            if self.source.query and not self.source.query.lstrip().lower().startswith(("select", "with")):
                raise _error(self.source, "log_query must be one SELECT statement")
            lite.execute("PRAGMA query_only = ON")
            self._tmp = tempfile.TemporaryDirectory(prefix="aipm-kit-log-")
            con = self._duckdb.connect(str(Path(self._tmp.name) / "log.duckdb"))
            cursor = lite.execute(sql)
            names = [d[0] for d in cursor.description]
            first = True
            while rows := cursor.fetchmany(COPY_ROWS):
                chunk = pd.DataFrame.from_records(rows, columns=names).astype(str).where(
                    pd.DataFrame.from_records(rows, columns=names).notna(), None)
                con.register("chunk", chunk)
                con.execute("CREATE TABLE copied AS SELECT * FROM chunk" if first else
                            "INSERT INTO copied SELECT * FROM chunk")
                con.unregister("chunk")
                first = False
            if first:
                con.execute("CREATE TABLE copied AS SELECT " + ", ".join(f"NULL::VARCHAR AS {_quote(n)}"
                                                                          for n in names) + " WHERE false")
        finally:
            lite.close()
        return con

    # -- the log as the kit's columns
    def columns(self) -> list[str]:
        try:
            described = self._connection().execute(f"DESCRIBE SELECT * FROM {self.relation}").fetchall()
        except self._duckdb.Error as exc:
            raise _error(self.source, self._problem(exc)) from None
        self._types = {str(row[0]): str(row[1]) for row in described}
        return [str(row[0]) for row in described]

    @property
    def has_conversations(self) -> bool:
        return self._cache.get("conversations", False)

    def check(self) -> None:
        """Every needed column is there, and every value parses: a ``CaseError`` naming the first problem."""
        s = self.source
        found = self.columns()
        lower = {c.strip().lower(): c for c in found}
        self._names = {}
        missing = []
        for kit in LOG_COLUMNS + OPTIONAL_COLUMNS:
            theirs = s.their(kit)
            name = theirs if theirs in found else lower.get(theirs.strip().lower())
            if name is None and kit in LOG_COLUMNS:
                missing.append(theirs if theirs == kit else f"{theirs} (for {kit})")
            elif name is not None:
                self._names[kit] = name
        if missing:
            raise _error(s, f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} (one row per AI "
                            f"output needs {', '.join(LOG_COLUMNS)}; found: {', '.join(found) or 'none'}; map "
                            f"other names with log_columns)")
        self._cache["conversations"] = "conversation_id" in self._names
        c = {k: _quote(v) for k, v in self._names.items()}
        ts = f"CAST({c['timestamp']} AS VARCHAR)"

        def typed(kit: str, kind: str) -> str:
            """The column as ``kind``: as stored when it already is (a cast would only cost), else try_cast."""
            stored = self._types.get(self._names[kit], "").upper()
            if stored == kind:
                return c[kit]
            return f"CAST({c[kit]} AS VARCHAR)" if kind == "VARCHAR" else f"try_cast({c[kit]} AS {kind})"

        # what the numeric checks read, and nothing else (a narrow projection scans faster)
        self.numbers = (f"(SELECT {typed('confidence', 'DOUBLE')} AS confidence, "
                        f"coalesce(length({typed('input', 'VARCHAR')}), 0) AS input_length, "
                        f"CAST(date_trunc('week', {typed('timestamp', 'TIMESTAMP')}) AS DATE) AS week "
                        f"FROM {self.relation})")
        self.typed = f"""(SELECT
            {typed('timestamp', 'TIMESTAMP')} AS timestamp,
            {typed('id', 'VARCHAR')} AS id,
            coalesce(nullif(trim({typed('segment', 'VARCHAR')}), ''), '(none)') AS segment,
            coalesce({typed('input', 'VARCHAR')}, '') AS input,
            coalesce({typed('output', 'VARCHAR')}, '') AS output,
            {typed('confidence', 'DOUBLE')} AS confidence,
            coalesce(trim({typed('feedback', 'VARCHAR')}), '') AS feedback,
            coalesce(length({typed('input', 'VARCHAR')}), 0) AS input_length,
            {f"coalesce(trim(CAST({c['conversation_id']} AS VARCHAR)), '')" if 'conversation_id' in c else "''"}
                AS conversation_id,
            {ts} AS timestamp_text,
            CAST({c['confidence']} AS VARCHAR) AS confidence_text
            FROM {self.relation} {{where}})"""
        self.clean_in = f"(SELECT *, CAST(date_trunc('week', timestamp) AS DATE) AS week FROM {self.typed})"
        self.typed = self.typed.replace("{where}", "")
        self.clean = self.clean_in.replace("{where}", "")
        raw = c["timestamp"]
        # one week's rows: a range on the log's own column, so a Parquet file or a table skips what lies outside
        self.in_week = (f"WHERE {raw} >= ?::TIMESTAMP AND {raw} < ?::TIMESTAMP"
                        if self._types.get(self._names["timestamp"], "").upper().startswith("TIMESTAMP") else
                        f"WHERE try_cast({raw} AS TIMESTAMP) >= ?::TIMESTAMP AND try_cast({raw} AS TIMESTAMP) < "
                        f"?::TIMESTAMP")
        bad_confidence = "confidence IS NULL OR confidence < 0 OR confidence > 1 OR isnan(confidence)"
        # One scan: the counts question 7 needs and the bad values, on the log's own columns (grouping on the
        # labels as stored is quicker than on cleaned ones; the few groups are cleaned below, in pandas).
        stamp, number, text_id = (f"try_cast({c['timestamp']} AS TIMESTAMP)", f"try_cast({c['confidence']} AS DOUBLE)",
                                  f"CAST({c['id']} AS VARCHAR)")
        grouped = self._query(f"""SELECT CAST(date_trunc('week', {stamp}) AS DATE) AS week,
            CAST({c['segment']} AS VARCHAR) AS segment, CAST({c['feedback']} AS VARCHAR) AS feedback,
            count(*) AS outputs, count(*) FILTER (WHERE {stamp} IS NULL) AS bad_time,
            count(*) FILTER (WHERE {bad_confidence.replace('confidence', number)}) AS bad_confidence,
            count(*) FILTER (WHERE {text_id} IS NULL OR {text_id} = '') AS bad_id
            FROM {self.relation} GROUP BY ALL""")
        bad = grouped[["outputs", "bad_time", "bad_confidence", "bad_id"]].sum().rename({"outputs": "n"})
        if bad["bad_time"] or bad["bad_confidence"]:  # the first bad value, for the message
            bad = pd.concat([bad, self._query(f"""SELECT
                first(timestamp_text) FILTER (WHERE timestamp IS NULL) AS bad_time_value,
                first(confidence_text) FILTER (WHERE {bad_confidence}) AS bad_confidence_value
                FROM {self.typed}""").iloc[0]])
        if bad["n"] == 0:
            raise _error(s, "no rows; expected one row per output")
        if bad["bad_time"]:
            raise _error(s, f"{int(bad['bad_time']):,} value{'s' if bad['bad_time'] > 1 else ''} that are not dates "
                            f"and times (first: {bad['bad_time_value']!r}); write them as ISO 8601, e.g. "
                            f"2025-09-01T08:30:00", self._names["timestamp"])
        if bad["bad_confidence"]:
            value = bad["bad_confidence_value"]
            raise _error(s, f"must hold numbers from 0 to 1; {int(bad['bad_confidence']):,} do not (first: "
                            f"{'nothing' if value is None else repr(value)})", self._names["confidence"])
        if bad["bad_id"]:
            raise _error(s, f"{int(bad['bad_id']):,} empty; every output needs its id", self._names["id"])
        self.rows = int(bad["n"])
        counts = grouped[["week", "segment", "feedback", "outputs"]].copy()
        counts["week"] = pd.to_datetime(counts["week"]).dt.date
        counts["segment"] = counts["segment"].fillna("").str.strip().replace("", "(none)")
        counts["feedback"] = counts["feedback"].fillna("").str.strip()
        counts = counts.groupby(["week", "segment", "feedback"], sort=True)["outputs"].sum().reset_index()
        self._cache["counts"] = counts.astype({"outputs": int})

    def _query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        try:
            return self._connection().execute(sql, params or []).df()
        except self._duckdb.Error as exc:
            raise _error(self.source, self._problem(exc)) from None
        finally:
            if self.source.location.startswith("duckdb://"):
                # a read-only connection held open would keep the warehouse's own writer out: close it after
                # each query (the next one opens it again, which takes milliseconds)
                self.connection.close()
                self.connection = None

    def _connection(self):
        if self.connection is None:
            self.connection = self._connect()
        return self.connection

    def _problem(self, exc: Exception) -> str:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if isinstance(exc, self._duckdb.PermissionException) or "disabled by configuration" in text:
            return ("log_query may read only the database it names: reading files or the network from it is "
                    f"switched off ({_redacted(exc, self.source.location, '')})")
        return f"cannot read the log: {_redacted(exc, self.source.location, '')}"

    # -- what question 7 asks of the log
    def counts(self) -> pd.DataFrame:
        """Outputs per week × segment × feedback value: ``week`` (date), ``segment``, ``feedback``, ``outputs``."""
        if "counts" not in self._cache:
            frame = self._query(f"SELECT week, segment, feedback, count(*) AS outputs FROM {self.clean} "
                                f"GROUP BY ALL ORDER BY ALL")
            frame["week"] = pd.to_datetime(frame["week"]).dt.date
            self._cache["counts"] = frame
        return self._cache["counts"]

    def conversation_counts(self, negative: str, base: str) -> pd.DataFrame:
        """Conversations per week of their first turn: ``week``, ``outputs`` (conversations counted) and
        ``negative`` (conversations with at least one counted negative turn)."""
        key = ("conversations", negative, base)
        if key not in self._cache:
            counted = "true" if base == "all outputs" else "feedback <> ''"
            frame = self._query(f"""SELECT week, count(*) FILTER (WHERE counted) AS outputs,
                    count(*) FILTER (WHERE counted AND failed) AS negative FROM (
                      SELECT conversation_id, min(week) AS week, bool_or({counted}) AS counted,
                             bool_or(lower(feedback) = ? AND {counted}) AS failed
                      FROM {self.clean} GROUP BY conversation_id) GROUP BY week ORDER BY week""",
                                [negative.strip().casefold()])
            frame["week"] = pd.to_datetime(frame["week"]).dt.date
            self._cache[key] = frame
        return self._cache[key]

    NUMERIC = ("confidence", "input_length")

    def numeric(self, column: str, reference_end: Any, current_start: Any, bins: int) -> dict[str, Any]:
        """For ``confidence`` or ``input_length``: the reference weeks' cut points (numpy's linear quantiles),
        both windows' bin counts, sizes and means, and a 30-bin histogram of both for the figure. Both columns
        are computed together, in two scans of the log."""
        key = ("numeric", reference_end, current_start, bins)
        if key not in self._cache:
            self._cache[key] = self._numeric(reference_end, current_start, bins)
        return self._cache[key][column]

    def _numeric(self, reference_end: Any, current_start: Any, bins: int) -> dict[str, dict[str, Any]]:
        columns = ", ".join(self.NUMERIC)
        ref, cur = (f"DATE '{_day(reference_end)}'", f"DATE '{_day(current_start)}'")  # literals: pushed down
        windows = (f"(SELECT {columns}, week <= {ref} AS ref, week >= {cur} AS cur FROM {self.numbers} "
                   f"WHERE week <= {ref} OR week >= {cur})")
        params: list = []
        qs = "[" + ", ".join(f"{float(q)!r}::DOUBLE" for q in np.linspace(0, 1, bins + 1)[1:-1]) + "]"
        aggregates = ", ".join(
            f"""quantile_cont({x}, {qs}) FILTER (WHERE ref) AS {x}_cuts, avg({x}) FILTER (WHERE ref) AS {x}_mean_ref,
                avg({x}) FILTER (WHERE cur) AS {x}_mean_cur, min({x}) AS {x}_low,
                quantile_cont({x}, 0.995) AS {x}_high""" for x in self.NUMERIC)
        stats = self._query(f"""SELECT count(*) FILTER (WHERE ref) AS n_ref, count(*) FILTER (WHERE cur) AS n_cur,
                {aggregates} FROM {windows}""", params).iloc[0]
        plan, keys, sets = {}, [], []
        for x in self.NUMERIC:
            cuts = np.unique(np.asarray(stats[f"{x}_cuts"], float)) if stats["n_ref"] else np.array([])
            low, high = float(stats[f"{x}_low"]), float(stats[f"{x}_high"])
            edges = np.linspace(low, high if high > low else low + 1, 31)
            first, last = float(edges[0]), float(edges[-1])
            bin_expr = "(" + " + ".join(f"({x} >= {float(c)!r}::DOUBLE)::INT" for c in cuts) + ")" if len(cuts) \
                else "0"
            keys += [f"{bin_expr} AS {x}_bin",
                     f"least(greatest(floor(({x} - {first!r}::DOUBLE) / {(last - first) / 30!r}::DOUBLE), 0), 29)"
                     f"::INT AS {x}_hist", f"{x} <= {last!r}::DOUBLE AS {x}_shown"]
            sets.append(f"({x}_bin, {x}_hist, {x}_shown)")
            plan[x] = (cuts, edges)
        counted = self._query(f"""SELECT {', '.join(keys)}, count(*) FILTER (WHERE ref) AS r,
                count(*) FILTER (WHERE cur) AS c FROM {windows} GROUP BY GROUPING SETS ({', '.join(sets)})""",
                              params)
        out = {}
        for x in self.NUMERIC:
            cuts, edges = plan[x]
            part = counted[counted[f"{x}_bin"].notna()]
            bin_, hist = part[f"{x}_bin"].astype(int), part[f"{x}_hist"].astype(int)
            shown = part[f"{x}_shown"].astype(bool).to_numpy()
            out[x] = {"cuts": cuts, "reference": np.bincount(bin_, weights=part["r"], minlength=len(cuts) + 1),
                      "current": np.bincount(bin_, weights=part["c"], minlength=len(cuts) + 1),
                      "n_reference": int(stats["n_ref"]), "n_current": int(stats["n_cur"]),
                      "mean_reference": float(stats[f"{x}_mean_ref"]), "mean_current": float(stats[f"{x}_mean_cur"]),
                      "edges": edges,
                      "hist_reference": np.bincount(hist[shown], weights=part["r"][shown], minlength=30)[:30],
                      "hist_current": np.bincount(hist[shown], weights=part["c"][shown], minlength=30)[:30]}
        return out

    def week_keys(self, monday: Any) -> pd.DataFrame:
        """One week's outputs without their text (``id``, ``timestamp``, ``segment``, ``feedback``,
        ``confidence``, ``conversation_id``), in the order the review sample draws from: by id, then time."""
        return self._query(f"""SELECT id, timestamp, segment, feedback, confidence, conversation_id
            FROM {self.clean_in.replace('{where}', self.in_week)} WHERE week = ?::DATE ORDER BY id, timestamp""",
                           [*_week_range(monday), str(monday)])

    def rows_for_ids(self, ids: list[str], conversations: list[str] | None = None,
                     monday: Any = None) -> pd.DataFrame:
        """The rows with these ids (and every turn of these conversations), all kit columns; ``monday``: the ids
        are all in that week (a review sample), so only that week is read."""
        if not ids and not conversations:
            return pd.DataFrame(columns=[*LOG_COLUMNS, "conversation_id", "week", "input_length"])
        columns = "timestamp, id, segment, input, output, confidence, feedback, conversation_id, week, input_length"
        parts = []
        for wanted, column in ((list(ids), "id"), (list(conversations or []), "conversation_id")):
            if not wanted:
                continue
            if monday is not None and column == "id":
                source, params = self.clean_in.replace("{where}", self.in_week), [*_week_range(monday), wanted]
            else:
                source, params = self.clean, [wanted]
            parts.append(self._query(f"SELECT {columns} FROM {source} WHERE {column} IN (SELECT unnest(?))", params))
        frame = pd.concat(parts, ignore_index=True).drop_duplicates(["id", "timestamp"]) if len(parts) > 1 \
            else parts[0]
        frame["week"] = pd.to_datetime(frame["week"])
        return frame


def _day(value: Any) -> str:
    """A date as YYYY-MM-DD (checked: it goes into SQL as a literal)."""
    import datetime as dt

    return (value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])).isoformat()


def _week_range(monday: Any) -> list[str]:
    """The week from ``monday`` as [start, end) timestamps."""
    import datetime as dt

    day = monday if isinstance(monday, dt.date) else dt.date.fromisoformat(str(monday)[:10])
    return [f"{day} 00:00:00", f"{day + dt.timedelta(days=7)} 00:00:00"]


def _redacted(exc: Exception, url: str, expanded: str) -> str:
    """An error's first line with the URL's password and any expanded variable's value taken out."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    for name in _ENV.findall(str(url)):
        value = os.environ.get(name)
        if value:
            text = text.replace(value, "***")
    if expanded:
        text = text.replace(expanded, redact(url.split("://", 1)[-1][1:]))
    return redact(text)


# ---- a CSV log read into memory: the kit's checked reader ------------------------------------------------

def read_log(path: str | os.PathLike) -> pd.DataFrame:
    """The production log as clean columns, plus ``week`` (the Monday each output's week starts on).

    Any problem is a ``CaseError`` naming the file and the column: a missing column, a timestamp that does
    not parse or is out of range, a confidence that is not a number from 0 to 1, an empty id, an empty file, a
    file that is not UTF-8 CSV text, rows with more fields than the header, more than ``MAX_ROWS`` rows.
    """
    return _load_log(Path(path)).copy()


def prepare_log(raw: pd.DataFrame, name: str = "the log") -> pd.DataFrame:
    """Check and type a log already in memory (the columns of ``LOG_COLUMNS``); ``name`` labels errors.

    ``segment`` and ``feedback`` become categoricals (a few distinct values over many rows), ``input_length``
    is added, and ``week`` is the Monday of each output's week.
    """
    frame = raw.rename(columns=lambda c: str(c).strip().lower())
    _require(name, frame.columns, LOG_COLUMNS, "one row per output")
    if frame.empty:
        raise data_error(name, "no rows; expected one row per output")
    stamp = _parse_timestamps(frame["timestamp"], name)
    confidence = _parse_confidence(frame["confidence"], name)
    ids = _text(frame["id"])
    if (ids == "").any():
        raise data_error(name, f"empty on row {_row(ids == '')}; every output needs its id", "id")
    days = stamp.to_numpy().astype("datetime64[D]")
    monday = days - ((days.astype("int64") + 3) % 7).astype("timedelta64[D]")  # 1970-01-01 was a Thursday
    text = _text(frame["input"])
    return pd.DataFrame({
        "timestamp": stamp,
        "id": ids,
        "segment": _labels(frame["segment"], "(none)"),
        "input": text,
        "output": _text(frame["output"]),
        "confidence": confidence,
        "feedback": _labels(frame["feedback"], ""),
        "week": monday.astype("datetime64[ns]"),
        "input_length": text.str.len().to_numpy(),
        **({"conversation_id": _text(frame["conversation_id"]).str.strip()} if "conversation_id" in frame else {}),
    })


def _text(column: pd.Series) -> pd.Series:
    column = column if pd.api.types.is_string_dtype(column) else column.astype(str).where(column.notna(), "")
    return column.fillna("") if column.hasnans else column


def _labels(column: pd.Series, blank: str) -> pd.Categorical:
    """A column of a few repeated labels as a categorical, stripped, with missing and empty shown as ``blank``
    (done on the distinct values, not on every row)."""
    codes, uniques = pd.factorize(column, use_na_sentinel=False)
    names = [blank if pd.isna(u) or not str(u).strip() else str(u).strip() for u in uniques]
    categories, inverse = np.unique(np.array(names, dtype=object), return_inverse=True)
    return pd.Categorical.from_codes(inverse[codes] if len(codes) else codes, categories=list(categories))


def _matches(labels: pd.Series, value: str) -> np.ndarray:
    """Rows whose label equals ``value``, ignoring case and surrounding spaces (compared per category)."""
    wanted = value.strip().casefold()
    if isinstance(labels.dtype, pd.CategoricalDtype):
        hit = np.array([str(c).casefold() == wanted for c in labels.cat.categories] + [False])
        return hit[labels.cat.codes.to_numpy()]  # code -1 (missing) picks the final False
    return (labels.astype(str).str.strip().str.casefold() == wanted).to_numpy()


@functools.lru_cache(maxsize=2)
def _cached_log(path: str, mtime_ns: int, size: int,  # noqa: ARG001 (the cache key)
                mapping: tuple[tuple[str, str], ...] = ()) -> pd.DataFrame:
    name = Path(path).name
    kit_name = {theirs.strip().lower(): kit for kit, theirs in mapping}
    columns = _header(Path(path), rows=True, what="one row per output")
    _require(name, [c.strip().lower() for c in columns], tuple(dict(mapping).get(c, c) for c in LOG_COLUMNS),
             "one row per output")

    def as_kit(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.rename(columns=lambda c: kit_name.get(str(c).strip().lower(), str(c).strip().lower()))

    def keep(column: str) -> bool:
        return kit_name.get(column.strip().lower(), column.strip().lower()) in LOG_COLUMNS + OPTIONAL_COLUMNS

    if Path(path).suffix.lower() == ".parquet":
        wanted = [c for c in columns if keep(c)]
        return prepare_log(as_kit(pd.read_parquet(path, columns=wanted)), name)
    # Read in chunks, each typed at once (dates, numbers, categories), so the timestamps are never all held as
    # text: a 1 GB log peaks at 2.3 GB, not 2.9 (benchmarks/memory_log.py). ids and text stay text (an id like
    # 0042 keeps its zeros); the few repeated labels parse as categories.
    kinds = {"confidence": None, "segment": "category", "feedback": "category"}
    dtype = {c: kinds.get(kit_name.get(c.lower(), c.lower()), str) for c in columns
             if kinds.get(kit_name.get(c.lower(), c.lower()), str)}
    parts = [prepare_log(as_kit(chunk), name) for chunk in iter_csv(path, dtype=dtype, keep=keep)]
    if not parts:
        raise data_error(name, "no rows; expected one row per output")
    return _concat_logs(parts)


def _concat_logs(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """One log from the typed chunks; the label columns' categories are the union of the chunks'."""
    if len(parts) == 1:
        return parts[0]
    from pandas.api.types import union_categoricals

    order = list(parts[0].columns)
    labels = {c: union_categoricals([p[c].array for p in parts], sort_categories=True)
              for c in ("segment", "feedback")}
    log = pd.concat([p.drop(columns=list(labels)) for p in parts], ignore_index=True)
    for column, values in labels.items():
        log[column] = values
    return log[order]


def _load_log(path: Path, mapping: tuple[tuple[str, str], ...] = ()) -> pd.DataFrame:
    """The parsed log, cached while the file is unchanged: a form re-runs ``analyze`` on every edit."""
    try:
        stat = Path(path).stat()
    except OSError as exc:
        raise data_error(path, f"cannot read the file ({exc.strerror or exc})") from None
    return _cached_log(str(path), stat.st_mtime_ns, stat.st_size, mapping)


def _header(path: Path, rows: bool = False, what: str = "") -> list[str]:
    """The file's column names; ``rows`` also requires a row under the header (``what`` says what a row is)."""
    name = path.name
    if path.suffix.lower() == ".parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise data_error(name, "reading Parquet needs pyarrow (pip install pyarrow); or save it as CSV") \
                from None
        try:
            return list(pq.read_schema(path).names)
        except (OSError, ValueError) as exc:
            raise data_error(name, f"not a readable Parquet file ({exc})") from None
    return read_header(path, rows=rows, what=what)


def _check_header(path: Path, required: tuple[str, ...], what: str, rows: bool = False) -> None:
    columns = [c.strip().lower() for c in _header(path, rows, what)]
    _require(path.name, columns, required, what)


def _require(name: str, columns: Any, required: tuple[str, ...], what: str) -> None:
    columns = list(columns)
    missing = [c for c in required if c not in columns]
    if missing:
        raise data_error(name, f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                               f"({what} needs {', '.join(required)}; found: {', '.join(columns) or 'none'})")


def _parse_timestamps(text: pd.Series, name: str) -> pd.Series:
    try:
        stamp = pd.to_datetime(text, format="ISO8601", errors="coerce")
    except (ValueError, TypeError):  # offsets that differ between rows: compare them in UTC
        stamp = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    if getattr(stamp.dt, "tz", None) is not None:  # weeks start at local midnight: keep the wall-clock time
        stamp = stamp.dt.tz_localize(None)
    bad = stamp.isna()
    if bad.any():
        first = _row(bad)
        raise data_error(name, f"{int(bad.sum()):,} value{'s' if bad.sum() > 1 else ''} that are not dates and "
                               f"times (row {first}: {text[bad].iloc[0]!r}); write them as ISO 8601, e.g. "
                               f"2025-09-01T08:30:00", "timestamp")
    # the kit counts time in nanoseconds, as pandas does: years outside 1678–2261 are typos, not a crash
    far = (stamp < pd.Timestamp.min) | (stamp > pd.Timestamp.max)
    if far.any():
        raise data_error(name, f"{int(far.sum()):,} date{'s' if far.sum() > 1 else ''} outside the years 1678 to "
                               f"2261 (row {_row(far)}: {text[far].iloc[0]!r}); is the year a typo?", "timestamp")
    return stamp.astype("datetime64[ns]")


def _parse_confidence(text: pd.Series, name: str) -> pd.Series:
    values = text if pd.api.types.is_float_dtype(text) else pd.to_numeric(text, errors="coerce")
    bad = values.isna() | (values < 0) | (values > 1)
    if bad.any():
        found = text[bad].iloc[0]
        if pd.isna(found) or not str(found).strip():
            found = "nothing"
        else:  # text as written, quoted; a number as a number (1.7, not np.float64(1.7))
            found = repr(found) if isinstance(found, str) else f"{float(found):g}"
        raise data_error(name, f"must hold numbers from 0 to 1; row {_row(bad)} has {found} "
                               f"({int(bad.sum()):,} bad value{'s' if bad.sum() > 1 else ''})", "confidence")
    return values.astype(float)


def _row(mask: pd.Series) -> int:
    """The file's line number of the first ``True`` in ``mask`` (line 1 is the header): from the row's index
    label when the index counts rows (a chunk of a long file, a filtered table), else from its position."""
    position = int(np.asarray(mask).argmax())
    index = getattr(mask, "index", None)
    if index is not None and pd.api.types.is_integer_dtype(index):
        return int(index[position]) + 2
    return position + 2


_FRAME_COUNTS: dict[int, tuple[Any, int, pd.DataFrame]] = {}


# ---- the same questions of a log in memory (a CSV file read by the kit's checked reader) ----------------------
# Each takes a prepared DataFrame (``monitoring.prepare_log``) or a SqlLog and returns the same thing.

def log_rows(log: pd.DataFrame | SqlLog) -> int:
    return log.rows if isinstance(log, SqlLog) else len(log)


def log_counts(log: pd.DataFrame | SqlLog) -> pd.DataFrame:
    """Outputs per week × segment × feedback value: ``week`` (date), ``segment``, ``feedback``, ``outputs``,
    sorted by week, segment and feedback."""
    if isinstance(log, SqlLog):
        return log.counts()
    seen = _FRAME_COUNTS.get(id(log))
    if seen is not None and seen[0]() is log and seen[1] == len(log):
        return seen[2]
    grouped = log.groupby(["week", "segment", "feedback"], observed=True, sort=True).size()
    frame = grouped[grouped > 0].rename("outputs").reset_index()
    frame["week"] = pd.DatetimeIndex(frame["week"]).date
    frame["segment"] = frame["segment"].astype(str)
    frame["feedback"] = frame["feedback"].astype(str)
    frame = frame.sort_values(["week", "segment", "feedback"], kind="stable").reset_index(drop=True)
    _FRAME_COUNTS.clear()  # one log at a time: analyze asks for its counts several times
    _FRAME_COUNTS[id(log)] = (weakref.ref(log), len(log), frame)
    return frame


def log_weeks(log: pd.DataFrame | SqlLog) -> list:
    """The Mondays of the weeks with outputs, in order."""
    return sorted(set(log_counts(log)["week"]))


def has_conversations(log: pd.DataFrame | SqlLog) -> bool:
    """Whether the log groups its outputs into conversations (a ``conversation_id`` column, not all blank)."""
    if isinstance(log, SqlLog):
        if not log.has_conversations:
            return False
        if "any_conversation" not in log._cache:
            log._cache["any_conversation"] = bool(log._query(
                f"SELECT count(*) AS n FROM {log.clean} WHERE conversation_id <> ''").iloc[0]["n"])
        return log._cache["any_conversation"]
    return "conversation_id" in log.columns and bool((log["conversation_id"] != "").any())


def conversation_counts(log: pd.DataFrame | SqlLog, negative: str, base: str) -> pd.DataFrame:
    """Per week of each conversation's first turn: ``week``, ``outputs`` (conversations with a counted turn) and
    ``negative`` (those where any counted turn got the negative feedback). Outputs without a conversation id
    are conversations of one turn."""
    if isinstance(log, SqlLog):
        return log.conversation_counts(negative, base)
    feedback = log["feedback"].astype(str).str.strip().str.casefold()
    counted = np.ones(len(log), bool) if base == "all outputs" else (feedback != "").to_numpy()
    key = np.where(log["conversation_id"] != "", log["conversation_id"], "\0" + log["id"])
    turns = pd.DataFrame({"key": key, "week": log["week"].to_numpy(), "counted": counted,
                          "failed": (feedback == negative.strip().casefold()).to_numpy() & counted})
    per = turns.groupby("key", sort=False).agg(week=("week", "min"), counted=("counted", "any"),
                                               failed=("failed", "any"))
    out = per[per["counted"]].groupby("week").agg(outputs=("counted", "size"), negative=("failed", "sum"))
    out = out.reindex(sorted(per["week"].unique()), fill_value=0).rename_axis("week").reset_index()
    out["week"] = pd.DatetimeIndex(out["week"]).date
    return out[["week", "outputs", "negative"]].astype({"outputs": int, "negative": int})


def log_numeric(log: pd.DataFrame | SqlLog, column: str, reference_end: Any, current_start: Any,
                bins: int) -> dict[str, Any]:
    """What the drift check needs of ``confidence`` or ``input_length`` (see :meth:`SqlLog.numeric`)."""
    if isinstance(log, SqlLog):
        return log.numeric(column, reference_end, current_start, bins)
    week = pd.DatetimeIndex(log["week"]).date
    ref = log[column].to_numpy(float)[week <= reference_end]
    cur = log[column].to_numpy(float)[week >= current_start]
    cuts = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1])) if len(ref) else np.array([])
    both = np.concatenate([ref, cur])
    low, high = float(np.min(both)), float(np.quantile(both, 0.995))
    edges = np.linspace(low, high if high > low else low + 1, 31)
    return {"cuts": cuts,
            "reference": np.bincount(np.searchsorted(cuts, ref, side="right"), minlength=len(cuts) + 1),
            "current": np.bincount(np.searchsorted(cuts, cur, side="right"), minlength=len(cuts) + 1),
            "n_reference": len(ref), "n_current": len(cur), "mean_reference": float(np.mean(ref)),
            "mean_current": float(np.mean(cur)), "edges": edges,
            "hist_reference": _histogram(ref, edges), "hist_current": _histogram(cur, edges)}


def _histogram(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts in 30 equal bins from ``edges[0]``; values past the last edge are left out (as in the SQL)."""
    width = (edges[-1] - edges[0]) / 30
    shown = values[values <= edges[-1]]
    index = np.clip(np.floor((shown - edges[0]) / width), 0, 29).astype(int)
    return np.bincount(index, minlength=30)[:30]


def psi_from_counts(reference: np.ndarray, current: np.ndarray) -> float:
    """The population stability index from both samples' counts in the same bins (as
    ``stats.population_stability_index`` computes it from the values: shares floored at ``PSI_FLOOR``)."""
    from ..stats import PSI_FLOOR

    reference, current = np.asarray(reference, float), np.asarray(current, float)
    if reference.sum() == 0 or current.sum() == 0:
        return float("nan")
    r = np.maximum(reference / reference.sum(), PSI_FLOOR)
    c = np.maximum(current / current.sum(), PSI_FLOOR)
    return float(np.sum((c - r) * np.log(c / r)))


def week_rows(log: pd.DataFrame | SqlLog, monday: Any) -> pd.DataFrame:
    """One week's outputs in the order the review sample draws from (id, then time); from a database, without
    their text (:func:`rows_for_ids` fetches it for the few drawn)."""
    if isinstance(log, SqlLog):
        keys = log.week_keys(monday)
        keys["timestamp"] = pd.to_datetime(keys["timestamp"]).astype("datetime64[ns]")
        for column in ("segment", "feedback"):  # a few labels over many rows: compared per label, not per row
            keys[column] = keys[column].astype("category")
        return keys
    rows = log[log["week"] == np.datetime64(monday, "ns")]
    return rows.sort_values(["id", "timestamp"], kind="stable")  # file order must not change the sample


def rows_for_ids(log: pd.DataFrame | SqlLog, ids: Any, conversations: Any = (), monday: Any = None) -> pd.DataFrame:
    """The log's rows with these ids, and every turn of these conversations (``monday``: the ids are all in
    that week)."""
    ids, conversations = [str(i) for i in ids], [str(c) for c in conversations if str(c)]
    if isinstance(log, SqlLog):
        frame = log.rows_for_ids(ids, conversations, monday)
        frame["timestamp"] = pd.to_datetime(frame["timestamp"]).astype("datetime64[ns]")
        return frame
    mask = log["id"].isin(ids)
    if conversations and "conversation_id" in log.columns:
        mask |= log["conversation_id"].isin(conversations) & (log["conversation_id"] != "")
    return log[mask]
