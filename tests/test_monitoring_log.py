"""Question 7's log from a database, a Parquet file or a glob (``monitoring_log``): the same verdict and numbers
as from the CSV, credentials kept out of messages, a hostile ``log_query`` refused, and conversations."""

from __future__ import annotations

import json
import math
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from pydantic import ValidationError

from aipm_kit.case import CaseError, load_case
from aipm_kit.questions.monitoring import Answers, analyze, review_sample
from aipm_kit.questions.monitoring_log import redact

duckdb = pytest.importorskip("duckdb")

CASES = Path(__file__).resolve().parent.parent / "cases"
LOG = CASES / "support-triage" / "production_log.csv"
ROWS = sum(1 for _ in LOG.open(encoding="utf-8")) - 1  # the CSV's lines less its header (no line breaks in cells)
FIRST = pd.Timestamp(LOG.read_text(encoding="utf-8").splitlines()[1][:10])
FIFTH_MONDAY = (FIRST - pd.Timedelta(days=FIRST.weekday()) + pd.Timedelta(weeks=4)).strftime("%Y-%m-%d")


def _answers(base: Path, **changes) -> Answers:
    """The bundled support-triage worksheet, its files copied to ``base``, with ``changes``."""
    for name in ("reviewed_failures.csv", "eval_results.csv"):
        shutil.copy(CASES / "support-triage" / name, base / name)
    values = load_case("support-triage").answers("monitoring").model_dump()
    values.update(reviewed_failures="reviewed_failures.csv", eval_set="eval_results.csv", **changes)
    return Answers.model_validate(values, context={"base_dir": base})


def _same(a: dict, b: dict) -> None:
    """Two results' JSON agree: the words exactly, the numbers to 1e-9 (SQL and numpy may differ in the last bit)."""
    assert a.keys() == b.keys()
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, dict):
            _same(x, y)
        elif isinstance(x, list):
            assert len(x) == len(y), key
            for p, q in zip(x, y):
                _same({"v": p}, {"v": q})
        elif isinstance(x, float) and isinstance(y, (int, float)):
            assert (math.isnan(x) and math.isnan(y)) or y == pytest.approx(x, rel=1e-9, abs=1e-12), key
        else:
            assert x == y, key


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> Path:
    """The bundled log as a DuckDB table (columns renamed, so the mapping is used), a Parquet file, and a glob
    of two CSV files (split by week: the first six weeks and the rest)."""
    folder = tmp_path_factory.mktemp("stores")
    con = duckdb.connect(str(folder / "warehouse.duckdb"))
    con.execute(f"CREATE TABLE ai_log AS SELECT timestamp AS created_at, * EXCLUDE (timestamp) "
                f"FROM read_csv('{LOG}', all_varchar=true)")
    con.execute(f"COPY (SELECT * FROM read_csv('{LOG}', all_varchar=true)) TO '{folder / 'log.parquet'}' "
                f"(FORMAT parquet)")
    frame = pd.read_csv(LOG, dtype=str, keep_default_na=False)
    (folder / "parts").mkdir()
    frame.iloc[:6000].to_csv(folder / "parts" / "a.csv", index=False)
    frame.iloc[6000:].to_csv(folder / "parts" / "b.csv", index=False)
    con.close()
    shutil.copy(LOG, folder / "production_log.csv")
    return folder


def test_a_duckdb_table_a_parquet_file_and_a_glob_give_the_csvs_verdict_and_numbers(stores):
    from_csv = analyze(_answers(stores, log="production_log.csv"))
    # support-triage's mix story: Watch, with weeks above the limit (the stores must agree on every number below)
    assert from_csv.verdict == "Watch" and from_csv.metric_value("Weeks above the control limit") > 0
    others = {
        "duckdb": _answers(stores, log="duckdb:///warehouse.duckdb", log_table="ai_log",
                           log_columns={"timestamp": "created_at"}),
        "parquet": _answers(stores, log="log.parquet"),
        "glob": _answers(stores, log="parts/*.csv"),
    }
    want = json.loads(from_csv.to_json())
    for name, answers in others.items():
        got = json.loads(analyze(answers).to_json())
        _same(want, got)  # verdict, headline, every finding, metric, table and data


def test_one_seed_draws_the_same_review_sample_from_every_store(stores):
    csv = review_sample(_answers(stores, log="production_log.csv"))
    table = review_sample(_answers(stores, log="duckdb:///warehouse.duckdb", log_table="ai_log",
                                   log_columns={"timestamp": "created_at"}))
    parquet = review_sample(_answers(stores, log="log.parquet"))
    assert len(csv) == 150  # the bundled review budget
    for other in (table, parquet):
        pd.testing.assert_frame_equal(csv, other, check_dtype=False)


def test_a_log_query_selects_part_of_a_table(stores):
    # the query keeps the first four weeks only (before the fifth week's Monday): 4 weeks in the log
    a = _answers(stores, log="duckdb:///warehouse.duckdb", log_columns={"timestamp": "created_at"},
                 log_query=f"SELECT * FROM ai_log WHERE created_at < '{FIFTH_MONDAY}'")
    result = analyze(a)
    assert result.metric_value("Weeks in the log") == 4
    expected = sum(1 for line in LOG.read_text().splitlines()[1:] if line < FIFTH_MONDAY)
    assert result.metric_value("Outputs in the log") == expected


def test_a_hostile_log_query_cannot_read_other_files(stores):
    a = _answers(stores, log="duckdb:///warehouse.duckdb",
                 log_query="SELECT * FROM read_csv('/etc/passwd')")
    with pytest.raises(CaseError) as caught:
        analyze(a)
    message = str(caught.value)
    assert "log_query may read only the database it names" in message
    assert "root:" not in message


def test_a_log_query_must_be_one_select(stores):
    a = _answers(stores, log="duckdb:///warehouse.duckdb", log_query="SELECT 1; DROP TABLE ai_log")
    with pytest.raises(CaseError, match="log_query must be one SELECT statement"):
        analyze(a)


def test_the_database_is_opened_read_only(stores):
    a = _answers(stores, log="duckdb:///warehouse.duckdb", log_query="DELETE FROM ai_log")
    with pytest.raises(CaseError, match="one SELECT"):
        analyze(a)
    # the table is whole: as many rows as the CSV
    a = _answers(stores, log="duckdb:///warehouse.duckdb", log_table="main.ai_log",  # schema.table works too
                 log_columns={"timestamp": "created_at"})
    assert analyze(a).metric_value("Outputs in the log") == ROWS


def test_a_missing_column_names_the_table_and_the_mapping(stores):
    a = _answers(stores, log="duckdb:///warehouse.duckdb", log_table="ai_log")  # created_at, not timestamp
    with pytest.raises(CaseError, match=r"warehouse.duckdb \(table ai_log\): missing column timestamp .*log_columns"):
        analyze(a)


def test_an_sqlite_table_reads_like_the_csv(stores, tmp_path):
    frame = pd.read_csv(LOG, dtype=str, keep_default_na=False)
    with sqlite3.connect(tmp_path / "app.db") as con:
        frame.to_sql("outputs", con, index=False)
    shutil.copy(stores / "production_log.csv", tmp_path / "production_log.csv")
    want = json.loads(analyze(_answers(tmp_path, log="production_log.csv")).to_json())
    got = json.loads(analyze(_answers(tmp_path, log="sqlite:///app.db", log_table="outputs")).to_json())
    _same(want, got)


def test_credentials_come_from_the_environment_and_never_show(stores, monkeypatch):
    assert redact("postgresql://ana:s3cret@db.example.com/prod") == "postgresql://ana:***@db.example.com/prod"
    # a URL of a scheme the kit does not read: the message shows it without the password
    case = stores / "case.yaml"
    case.write_text("name: t\nmonitoring:\n  log: postgresql://ana:s3cret@db.example.com/prod\n  log_table: t\n")
    with pytest.raises(CaseError) as caught:
        load_case(case)
    assert "s3cret" not in str(caught.value) and "ana:***@" in str(caught.value)
    assert caught.value.field == "log"
    # ${NAME} is expanded when the log is opened, and its value never appears in a message
    monkeypatch.setenv("LOG_FOLDER", str(stores))
    a = Answers.model_validate({"log": "duckdb:///${LOG_FOLDER}/warehouse.duckdb", "log_table": "ai_log",
                                "log_columns": {"timestamp": "created_at"}, "negative_feedback": "corrected"})
    assert a.model_dump()["log"] == "duckdb:///${LOG_FOLDER}/warehouse.duckdb"  # kept as written
    assert analyze(a).metric_value("Outputs in the log") == ROWS
    monkeypatch.setenv("LOG_FOLDER", str(stores / "elsewhere"))
    with pytest.raises(CaseError) as caught:
        analyze(a.model_copy(update={"log_table": "missing_table"}))
    assert str(stores) not in str(caught.value)
    monkeypatch.delenv("LOG_FOLDER")
    with pytest.raises(CaseError, match="the environment variable LOG_FOLDER named in the URL is not set"):
        analyze(a.model_copy(update={"log_table": "other"}))


def test_a_database_url_needs_a_table_or_a_query(stores):
    with pytest.raises(ValidationError, match="log_table"):
        Answers.model_validate({"log": "duckdb:///warehouse.duckdb"}, context={"base_dir": stores})
    with pytest.raises(ValidationError, match="not both"):
        Answers.model_validate({"log": "duckdb:///warehouse.duckdb", "log_table": "a", "log_query": "SELECT 1"},
                               context={"base_dir": stores})
    with pytest.raises(ValidationError, match="database file not found"):
        Answers.model_validate({"log": "duckdb:///nowhere.duckdb", "log_table": "a"}, context={"base_dir": stores})
    with pytest.raises(ValidationError, match="no file matches"):
        Answers.model_validate({"log": "logs/*.parquet"}, context={"base_dir": stores})


def test_a_bad_value_in_a_database_log_names_the_column(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('2025-09-01T08:00:00', 'a', 's', 'i', 'o', '0.5', 'ok'), "
                "('yesterday', 'b', 's', 'i', 'o', '0.5', 'ok')) v(timestamp, id, segment, input, output, "
                "confidence, feedback)")
    con.close()
    a = Answers.model_validate({"log": "duckdb:///w.duckdb", "log_table": "t"}, context={"base_dir": tmp_path})
    with pytest.raises(CaseError, match=r"w.duckdb \(table t\): column timestamp: 1 value that are not dates.*"
                                        r"'yesterday'"):
        analyze(a)
