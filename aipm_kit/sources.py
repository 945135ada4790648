"""Reading the data files a case names: every problem is one ``CaseError`` naming the file and the column.

A data file is user input like the case file, and often an export from another tool: it may be UTF-16 or
Latin-1, an Excel workbook renamed ``.csv``, a folder, empty, a header alone, or rows with more fields than the
header. Each of those gets a message that says what the file is and how to fix it, never a parser's traceback.

Large files are read in chunks of ``CHUNK_ROWS`` rows, so a question can turn each chunk into compact columns
(dates, numbers, categories) before the next is read; at most ``MAX_ROWS`` rows of one file are read into
pandas (see ``docs/limits.md``).
"""

from __future__ import annotations

import codecs
import functools
import os
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .case import CaseError

MAX_ROWS = 10_000_000  # rows of one data file read into pandas (about 3 GB of memory for a production log)
MAX_LIST_ITEMS = 200  # rows of a list in a worksheet (candidates, failure modes, gates …): a form still opens
CHUNK_ROWS = 200_000  # rows parsed at a time
_SCAN_BYTES = 1 << 20

# what the first bytes of a file that is not CSV text say it is, and what to do about it
_SIGNATURES = (
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook is one); export the sheet as \"CSV UTF-8\""),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls workbook; export the sheet as \"CSV UTF-8\""),
    (b"PAR1", "a Parquet file; name it .parquet (reading it needs pyarrow), or save it as CSV"),
    (b"\xff\xfe", "UTF-16 text, not UTF-8; save it as UTF-8 (in Excel: \"CSV UTF-8\")"),
    (b"\xfe\xff", "UTF-16 text, not UTF-8; save it as UTF-8 (in Excel: \"CSV UTF-8\")"),
    (b"%PDF", "a PDF document, not a table; export the data as CSV"),
    (b"\x1f\x8b", "a gzip archive; unpack it first"),
    (b"SQLite format 3\x00", "an SQLite database; export the table as CSV"),
)


def data_error(path: str | os.PathLike, problem: str, column: str | None = None) -> CaseError:
    """A ``CaseError`` for a data file: the file's name, then the column when one is to blame."""
    error = CaseError(problem, Path(path).name, None, f"column {column}" if column else None)
    error.column = column
    return error


@dataclass(frozen=True)
class TextFile:
    """What a scan of a CSV file found: its size and whether anything follows the header line."""

    size: int
    has_rows: bool


def check_text_file(path: str | os.PathLike) -> TextFile:
    """Check that ``path`` is a readable, non-empty UTF-8 text file without NUL bytes; the scan is remembered
    while the file's modification time and size stay the same (a form re-validates on every edit)."""
    path = Path(path)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise data_error(path, "file not found (paths are relative to the case file)") from None
    except OSError as exc:
        raise data_error(path, f"cannot read the file ({exc.strerror or exc})") from None
    if path.is_dir():
        raise data_error(path, "is a folder, not a file; name the CSV file inside it")
    if stat.st_size == 0:
        raise data_error(path, "the file is empty; a data file starts with a header row naming its columns")
    return _scan(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=16)
def _scan(path: str, mtime_ns: int, size: int) -> TextFile:  # noqa: ARG001 (the cache key)
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    offset = lines = 0
    header_ends = -1
    has_rows = False
    try:
        handle = open(path, "rb")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise data_error(path, f"cannot read the file ({exc.strerror or exc})") from None
    with handle:
        while chunk := handle.read(_SCAN_BYTES):
            if offset == 0:
                for signature, what in _SIGNATURES:
                    if chunk.startswith(signature):
                        raise data_error(path, f"not CSV text: the file is {what}")
            nul = chunk.find(b"\x00")
            if nul >= 0:
                line = lines + chunk.count(b"\n", 0, nul) + 1
                raise data_error(path, f"not UTF-8 text: a NUL byte on line {line:,} (byte {offset + nul + 1:,}), "
                                       f"as in a binary file or a UTF-16 export; save the table as UTF-8 CSV")
            try:
                decoder.decode(chunk, final=False)
            except UnicodeDecodeError as exc:
                line = lines + chunk.count(b"\n", 0, exc.start) + 1
                raise data_error(path, f"not UTF-8 text: byte 0x{chunk[exc.start]:02x} on line {line:,} is not "
                                       f"UTF-8 (a Latin-1 or Windows export?); save the file as UTF-8 "
                                       f"(in Excel: \"CSV UTF-8\")") from None
            if header_ends < 0:
                newline = chunk.find(b"\n")
                if newline >= 0:
                    header_ends = offset + newline
                    has_rows = bool(chunk[newline + 1:].strip())
            elif not has_rows:
                has_rows = bool(chunk.strip())
            lines += chunk.count(b"\n")
            offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise data_error(path, "not UTF-8 text: the file ends in the middle of a character; save it as UTF-8") \
            from None
    return TextFile(size, has_rows)


def read_header(path: str | os.PathLike, *, rows: bool = True, what: str = "") -> list[str]:
    """The CSV file's column names, stripped, after ``check_text_file``; ``rows`` also requires a data row.

    ``what`` names the rows a file should have, for the message when it has none ("one row per output").
    """
    import pandas as pd

    info = check_text_file(path)
    try:
        columns = [str(c).strip() for c in pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns]
    except pd.errors.EmptyDataError:
        raise data_error(path, "the file has no header row; the first line names the columns") from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise data_error(path, f"cannot be read as CSV: {_first_line(exc)}") from None
    if not columns or all(not c for c in columns):
        raise data_error(path, "the file has no header row; the first line names the columns")
    if rows and not info.has_rows:
        raise data_error(path, f"the file has a header and no rows{'; expected ' + what if what else ''}")
    return columns


def iter_csv(path: str | os.PathLike, *, dtype: Any = str, keep: Callable[[str], bool] | None = None,
             chunk_rows: int | None = None, max_rows: int | None = None, **options: Any) -> Iterator[Any]:
    """The CSV file as DataFrames of at most ``chunk_rows`` rows, their index continuing from chunk to chunk
    (row ``i`` is on line ``i + 2`` of a file without line breaks inside fields). ``chunk_rows`` and
    ``max_rows`` default to ``CHUNK_ROWS`` and ``MAX_ROWS``.

    Every row is parsed, so a row with more fields than the header is found wherever it is; columns for which
    ``keep(name)`` is false are dropped from each chunk at once. Column names are stripped. More than
    ``max_rows`` rows is an error that says how to make the file smaller. Any parser problem is a ``CaseError``.
    """
    import pandas as pd

    chunk_rows = chunk_rows or CHUNK_ROWS
    max_rows = MAX_ROWS if max_rows is None else max_rows
    check_text_file(path)
    options = {"keep_default_na": False, "index_col": False, "encoding": "utf-8-sig", **options}
    if isinstance(dtype, dict):  # keys are stripped names, as callers see them; pandas wants the file's own
        raw = _raw_columns(path)
        dtype = {raw.get(name, name): kind for name, kind in dtype.items()}
    read = 0
    try:
        with _strict(pd.read_csv, path, dtype=dtype, chunksize=chunk_rows, **options) as reader:
            while (chunk := _strict(next, reader, None)) is not None:
                chunk.columns = [str(c).strip() for c in chunk.columns]
                if keep is not None:
                    chunk = chunk[[c for c in chunk.columns if keep(c)]]
                read += len(chunk)
                if read > max_rows:
                    raise data_error(path, f"more than {max_rows:,} rows, the most the kit reads into memory; "
                                           f"analyse a sample or a shorter period (e.g. the last 12 weeks), or "
                                           f"aggregate the data first")
                yield chunk
    except pd.errors.EmptyDataError:
        raise data_error(path, "the file has no header row; the first line names the columns") from None
    except pd.errors.ParserWarning:
        raise data_error(path, "cannot be read as CSV: the rows have more fields than the header; quote text "
                               "that holds commas (\"like, this\") or add the missing column names") from None
    except pd.errors.ParserError as exc:
        raise data_error(path, _parser_problem(exc)) from None
    except UnicodeDecodeError:  # the scan found none: the file changed while it was read
        raise data_error(path, "not UTF-8 text; save the file as UTF-8") from None
    except OSError as exc:
        raise data_error(path, f"cannot read the file ({exc.strerror or exc})") from None


def _strict(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``call(*args, **kwargs)`` with pandas' ParserWarning raised: pandas otherwise quietly turns an extra first
    field on every row into an index. Only around pandas' own work, not while the caller holds a chunk."""
    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        return call(*args, **kwargs)


def read_csv(path: str | os.PathLike, **options: Any) -> Any:
    """The whole CSV file as one DataFrame, read as ``iter_csv`` reads it (same checks, same limit)."""
    import pandas as pd

    chunks = list(iter_csv(path, **options))
    if len(chunks) == 1:
        return chunks[0]
    if not chunks:  # pandas yields nothing for a header alone
        return pd.read_csv(path, nrows=0, dtype=options.get("dtype", str), encoding="utf-8-sig").rename(
            columns=lambda c: str(c).strip())
    return pd.concat(chunks)


def _raw_columns(path: str | os.PathLike) -> dict[str, str]:
    import pandas as pd

    try:
        columns = pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
        return {}  # the full read below reports it
    return {str(c).strip(): c for c in columns}


def _parser_problem(exc: Exception) -> str:
    text = _first_line(exc)
    found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if found:
        expected, line, saw = found.groups()
        return (f"cannot be read as CSV: line {int(line):,} has {saw} fields, the header has {expected}; quote "
                f"text that holds commas (\"like, this\") or add the missing column names")
    return f"cannot be read as CSV: {text}"


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__
