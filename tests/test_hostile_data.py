"""Hostile and awkward data files: every reader answers with one CaseError naming the file and what to fix.

Each data file a case can name (question 7's log, reviewed failures and eval set, question 6's results,
question 5's scores, the samples of questions 2 and 3) is fed the same bad files: not UTF-8, NUL bytes, a
workbook or UTF-16 text renamed .csv, empty, a header alone, rows with more fields than the header, a folder.
The line numbers in the expected messages are counted by hand from the bytes written.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aipm_kit import sources
from aipm_kit.case import CaseError, load_case
from aipm_kit.cli import main
from aipm_kit.questions import data, evaluation, experience, monitoring, need_ai

# name → (reader, header, one good row, what a header without rows says, or None when no rows is fine)
READERS = {
    "log": (monitoring.read_log, "timestamp,id,segment,input,output,confidence,feedback",
            "2025-09-01T08:00:00,T1,web,hello,Billing,0.9,accepted", "no rows"),
    "results": (evaluation.read_results, "id,category,slice,input,expected,output,passed",
                "1,good,,a,b,b,true", "no eval cases"),
    "scores": (experience.read_scores, "confidence,correct", "0.9,true", "no rows"),
    "reviewed": (monitoring.read_reviewed_failures, "id,failure_mode", "T1,wrong queue", None),
    "eval_set": (monitoring.read_eval_set, "id,input,expected,output", "1,a,b,b", None),
    "data_sample": (data.read_sample, "label,text", "a,hi", None),
    "need_ai_sample": (need_ai.read_sample, "label,text", "a,hi", "no labelled rows"),
}


def bad_files(header: str, row: str) -> dict[str, tuple[bytes, list[str]]]:
    """Each bad file as bytes, with the words its error must hold (line 1 is the header)."""
    fields = header.count(",") + 1
    good = f"{header}\n{row}\n".encode()
    return {
        # 0xe9 is é in Latin-1; it sits on line 3, after the header and one good row
        "latin-1": (good + row.encode() + b"\xe9\n",
                    ["not UTF-8", "byte 0xe9 on line 3", "save the file as UTF-8"]),
        "nul byte": (good + b"x\x00y\n", ["NUL byte on line 3", "UTF-8 CSV"]),
        "xlsx": (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40, ["not CSV text", "Excel", "CSV UTF-8"]),
        "utf-16": (f"{header}\n{row}\n".encode("utf-16"), ["UTF-16", "save it as UTF-8"]),
        "empty": (b"", ["the file is empty", "header row"]),
        # the third line holds one field too many (a comma inside unquoted text)
        "ragged": (good + f"{row},extra\n".encode(),
                   [f"line 3 has {fields + 1} fields, the header has {fields}", "quote text that holds commas"]),
        # an extra field on the first row: pandas would quietly make the first column an index
        "ragged first row": (f"{header}\n{row},extra\n".encode(), ["more fields than the header"]),
    }


CASES = [(reader, kind) for reader in READERS for kind in bad_files("a,b", "1,2")]


@pytest.mark.parametrize("reader, kind", CASES, ids=[f"{r}-{k}" for r, k in CASES])
def test_every_reader_gives_one_case_error_naming_the_file(tmp_path, reader, kind):
    read, header, row, _ = READERS[reader]
    content, words = bad_files(header, row)[kind]
    path = tmp_path / f"{reader}.csv"
    path.write_bytes(content)
    with pytest.raises(CaseError) as caught:
        read(path)
    message = str(caught.value)
    assert f"{reader}.csv" in message
    for word in words:
        assert word in message, message
    assert "Traceback" not in message and "\n" not in message


@pytest.mark.parametrize("reader", READERS)
def test_a_folder_is_named_as_a_folder(tmp_path, reader):
    folder = tmp_path / f"{reader}.csv"
    folder.mkdir()
    with pytest.raises(CaseError, match=rf"{reader}\.csv: is a folder, not a file"):
        READERS[reader][0](folder)


@pytest.mark.parametrize("reader", READERS)
def test_a_header_alone(tmp_path, reader):
    read, header, row, says = READERS[reader]
    path = tmp_path / f"{reader}.csv"
    path.write_text(f"{header}\n")
    if says is None:  # an empty reviewers' file or eval set is a fact, not an error
        assert len(read(path)) == 0
        return
    with pytest.raises(CaseError, match=says):
        read(path)


@pytest.mark.parametrize("reader", READERS)
def test_the_mirror_good_file_reads(tmp_path, reader):
    read, header, row, _ = READERS[reader]
    path = tmp_path / f"{reader}.csv"
    path.write_text(f"{header}\n{row}\n{row.replace('1', '2', 1).replace('T1', 'T2')}\n")
    assert len(read(path)) == 2


def test_a_utf8_bom_from_excel_is_not_part_of_the_first_column(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_bytes("\ufeffconfidence,correct\n0.9,true\n0.2,false\n".encode())
    assert experience.read_scores(path)["confidence"].tolist() == [0.9, 0.2]


# ---- dates out of range ------------------------------------------------------------------------------------

LOG_HEADER = "timestamp,id,segment,input,output,confidence,feedback\n"


def log_text(stamps: list[str]) -> str:
    return LOG_HEADER + "".join(f"{s},T{i},web,hello,Billing,0.9,accepted\n" for i, s in enumerate(stamps))


@pytest.mark.parametrize("stamp", ["9999-01-01T00:00:00", "1500-06-01T12:00:00", "2263-01-01T00:00:00"])
def test_a_timestamp_outside_pandas_range_is_a_case_error_on_the_column(tmp_path, stamp):
    # pandas counts nanoseconds in 64 bits: 1677-09-21 to 2262-04-11; the bad one is the 2nd row, line 3
    path = tmp_path / "log.csv"
    path.write_text(log_text(["2025-09-01T08:00:00", stamp, "2025-09-02T08:00:00"]))
    with pytest.raises(CaseError) as caught:
        monitoring.read_log(path)
    assert caught.value.field == "column timestamp"
    assert f"log.csv: column timestamp: 1 date outside the years 1678 to 2261 (row 3: '{stamp}')" in str(caught.value)


def test_the_mirror_dates_near_the_edges_read(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(log_text(["1700-01-01T00:00:00", "2262-01-01T00:00:00"]))
    log = monitoring.read_log(path)
    assert log["timestamp"].dt.year.tolist() == [1700, 2262]


def test_a_review_date_far_out_does_not_crash(tmp_path):
    path = tmp_path / "reviewed.csv"
    path.write_text("id,failure_mode,reviewed\nT1,wrong queue,9999-12-31\nT2,wrong queue,2025-09-01\n")
    assert monitoring.read_reviewed_failures(path)["reviewed"].tolist() == ["9999-12-31", "2025-09-01"]


# ---- chunks and the row limit ------------------------------------------------------------------------------

def test_a_log_read_in_chunks_equals_the_log_read_at_once(tmp_path, monkeypatch):
    # 10 rows read 3 at a time: four chunks whose segments and feedback differ, unified as one categorical
    rng = np.random.default_rng(7)
    segments = rng.choice(["web", "email", "phone", "chat"], 10)
    feedback = rng.choice(["accepted", "negative", ""], 10)
    stamps = [f"2025-09-{1 + i:02d}T08:00:00" for i in range(10)]
    rows = [f"{s},T{i:03d},{g},text {i},Billing,0.{i},{f}\n"
            for i, (s, g, f) in enumerate(zip(stamps, segments, feedback, strict=True))]
    path = tmp_path / "log.csv"
    path.write_text(LOG_HEADER + "".join(rows))
    whole = monitoring.read_log(path)
    monitoring._cached_log.cache_clear()
    monkeypatch.setattr(sources, "CHUNK_ROWS", 3)
    chunked = monitoring.read_log(path)
    pd.testing.assert_frame_equal(chunked, whole)
    # independently: pandas' own reading of the same columns
    plain = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert chunked["id"].tolist() == plain["id"].tolist()
    assert chunked["segment"].astype(str).tolist() == plain["segment"].tolist()
    assert chunked["feedback"].astype(str).tolist() == plain["feedback"].tolist()
    assert chunked["confidence"].tolist() == pd.to_numeric(plain["confidence"]).tolist()


def test_a_bad_value_in_a_later_chunk_names_its_own_line(tmp_path, monkeypatch):
    # 9 rows read 4 at a time; the 8th row (line 9) has a confidence of 1.7, in the second chunk
    monkeypatch.setattr(sources, "CHUNK_ROWS", 4)
    rows = [f"2025-09-01T08:00:00,T{i},web,hi,Billing,{'1.7' if i == 7 else '0.5'},\n" for i in range(9)]
    path = tmp_path / "log.csv"
    path.write_text(LOG_HEADER + "".join(rows))
    with pytest.raises(CaseError, match=r"log\.csv: column confidence: must hold numbers from 0 to 1; row 9 has 1\.7 "):
        monitoring.read_log(path)


def test_more_rows_than_the_limit_is_refused_and_the_limit_itself_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "MAX_ROWS", 5)
    monkeypatch.setattr(sources, "CHUNK_ROWS", 2)
    path = tmp_path / "log.csv"
    path.write_text(log_text([f"2025-09-0{i + 1}T08:00:00" for i in range(5)]))
    assert len(monitoring.read_log(path)) == 5  # the mirror: exactly at the limit
    path.write_text(log_text([f"2025-09-0{i + 1}T08:00:00" for i in range(6)]))
    with pytest.raises(CaseError, match=r"log\.csv: more than 5 rows, the most the kit reads into memory"):
        monitoring.read_log(path)


def test_the_scan_is_remembered_until_the_file_changes(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text("confidence,correct\n0.9,true\n")
    sources.check_text_file(path)
    before = sources._scan.cache_info().hits
    sources.check_text_file(path)
    assert sources._scan.cache_info().hits == before + 1
    path.write_bytes(b"confidence,correct\n0.9,vrai\xe9\n")  # a different size: scanned again
    with pytest.raises(CaseError, match="byte 0xe9 on line 2"):
        sources.check_text_file(path)


# ---- through a case file and the command line --------------------------------------------------------------

def case_with_log(tmp_path: Path, content: bytes) -> Path:
    (tmp_path / "log.csv").write_bytes(content)
    case = tmp_path / "case.yaml"
    case.write_text("name: Hostile\nmonitoring:\n  log: log.csv\n")
    return case


LOAD_TIME = {  # found when the case is loaded: its header check scans the file
    "latin-1": (LOG_HEADER + "2025-09-01T08:00:00,T1,web,caf").encode() + b"\xe9,Billing,0.9,\n",
    "nul byte": LOG_HEADER.encode() + b"\x00\x00\n",
    "empty": b"",
    "header only": LOG_HEADER.encode(),
    "xlsx": b"PK\x03\x04" + b"\x00" * 30,
}
ROW_TIME = {  # found when the rows are read: by validate, which reads every data file
    "out of range": log_text(["2025-09-01T08:00:00", "9999-01-01T00:00:00"]).encode(),
    "ragged": (log_text(["2025-09-01T08:00:00"]) + "2025-09-02T08:00:00,T9,web,a, b,Billing,0.5,\n").encode(),
}


@pytest.mark.parametrize("kind", LOAD_TIME)
def test_a_bad_log_fails_at_load_naming_case_section_field_and_file(tmp_path, kind):
    case = case_with_log(tmp_path, LOAD_TIME[kind])
    with pytest.raises(CaseError) as caught:
        load_case(case)
    assert (caught.value.section, caught.value.field) == ("monitoring", "log")
    assert "monitoring.log: log.csv: " in str(caught.value)


@pytest.mark.parametrize("kind", [*LOAD_TIME, *ROW_TIME])
def test_validate_exits_2_with_one_message(tmp_path, capsys, kind):
    case = case_with_log(tmp_path, {**LOAD_TIME, **ROW_TIME}[kind])
    assert main(["validate", str(case)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("aipm-kit: ") and "log.csv" in lines[0]


def test_the_mirror_a_good_log_validates(tmp_path, capsys):
    case = case_with_log(tmp_path, log_text(["2025-09-01T08:00:00", "2025-09-08T08:00:00"]).encode())
    assert main(["validate", str(case)]) == 0
    assert "OK  " in capsys.readouterr().out


def test_brief_and_validate_on_the_command_line_print_no_traceback(tmp_path):
    case = case_with_log(tmp_path, LOAD_TIME["latin-1"])
    for command in (["validate", str(case)], ["brief", str(case), "--out", str(tmp_path / "b.html")]):
        done = subprocess.run([sys.executable, "-m", "aipm_kit.cli", *command], capture_output=True, text=True,
                              timeout=300, check=False)
        assert done.returncode == 2
        assert "Traceback" not in done.stderr
        assert done.stderr.count("\n") == 1 and "log.csv: not UTF-8 text: byte 0xe9 on line 2" in done.stderr
    assert not (tmp_path / "b.html").exists()
