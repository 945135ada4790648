"""``aipm_kit.importers``: each tool's fixture (made by the real tool, see each fixture's README) gives the case
and pass counts the tool itself reports, counted here straight from the raw file; bad input is one message
naming the file and the record, exit 2, nothing written; question 6 reads what was written."""

from __future__ import annotations

import csv
import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from aipm_kit import analyze, load_case
from aipm_kit.brief import brief_html
from aipm_kit.cli import main
from aipm_kit.importers import ImportFileError, import_file, read_provenance, sidecar_path, write_eval_table

FIXTURES = Path(__file__).parent / "fixtures" / "importers"
PROMPTFOO = FIXTURES / "promptfoo" / "results.json"
INSPECT_EVAL = FIXTURES / "inspect" / "triage.eval"
INSPECT_JSON = FIXTURES / "inspect" / "triage.json"
OAIEVAL = FIXTURES / "openai_evals" / "triage.jsonl"
BRAINTRUST_JSON = FIXTURES / "braintrust" / "experiment.json"
BRAINTRUST_CSV = FIXTURES / "braintrust" / "experiment.csv"
TABLE_CSV = FIXTURES / "table" / "graded.csv"
TABLE_JSONL = FIXTURES / "table" / "graded.jsonl"


def _run(capsys, *argv) -> tuple[int, str, str]:
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return status, out, err


def _rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _judge(tmp_path: Path, table: Path, **answers) -> dict:
    """Question 6's result on a case whose eval run is ``table``."""
    settings = {"grader": "passed", "min_distinct_inputs": 2, "min_slice_inputs": 2, **answers}
    lines = ["name: Imported", "evaluation:", f"  results_file: {table.name}"]
    lines += [f"  {k}: {v}" for k, v in settings.items()]
    lines += ["  gates:", "    - name: accuracy", "      target: 0.5"]
    case = tmp_path / "case.yaml"
    case.write_text("\n".join(lines) + "\n")
    return analyze(str(case), "evaluation").data


# ---- promptfoo ---------------------------------------------------------------------------------------------

def test_promptfoo_gives_the_counts_promptfoo_reported(tmp_path, capsys):
    raw = json.loads(PROMPTFOO.read_text())
    results = raw["results"]["results"]
    # promptfoo's own summary (results.stats) and a count of the raw records agree: 20 results, 14 successes
    assert (raw["results"]["stats"]["successes"], raw["results"]["stats"]["failures"]) == (14, 6)
    assert len(results) == 20 and sum(r["success"] for r in results) == 14

    out = tmp_path / "eval.csv"
    status, printed, _ = _run(capsys, "import", "promptfoo", PROMPTFOO, "--out", out)
    assert status == 0 and "20 eval cases, 14 passed" in printed
    rows = _rows(out)
    assert len(rows) == 20 and sum(r["passed"] == "True" for r in rows) == 14
    # two prompts are a variant column, never merged: each prompt's passes as promptfoo counted them
    by_prompt = {p["label"]: p["metrics"]["testPassCount"] for p in raw["results"]["prompts"]}
    assert by_prompt == {"short": 8, "polite": 6}
    assert {v: sum(r["passed"] == "True" for r in rows if r["variant"] == v) for v in by_prompt} == by_prompt
    # repeats share a group; the same test under another prompt does not: 5 tests × 2 prompts = 10 units
    assert len({r["group"] for r in rows}) == 10
    # metadata and named assert metrics become the columns question 6's graders read
    attack = [r for r in rows if r["category"] == "adversarial"]
    assert len(attack) == 4 and {r["forbidden_output"] for r in attack} == {"refund approved"}
    assert sum(r["answer_correct"] == "true" for r in rows) == 14


def test_promptfoo_variants_are_split_before_duplicates_are_counted(tmp_path):
    out = write_eval_table(import_file("promptfoo", PROMPTFOO), tmp_path / "eval.csv", PROMPTFOO)
    data = _judge(tmp_path, out)
    # 5 distinct tests per prompt, 2 prompts: 10 distinct units from 20 rows (the repeats fold in)
    assert (data["cases"], data["distinct_inputs"]) == (20, 10)
    assert data["pass_rate"] == pytest.approx(14 / 20)


def test_promptfoo_one_variant_keeps_ids_a_baseline_can_pair(tmp_path, capsys):
    short, polite = tmp_path / "short.csv", tmp_path / "polite.csv"
    assert _run(capsys, "import", "promptfoo", PROMPTFOO, "--out", short, "--variant", "short")[0] == 0
    assert _run(capsys, "import", "promptfoo", PROMPTFOO, "--out", polite, "--variant", "polite")[0] == 0
    a, b = _rows(short), _rows(polite)
    assert [r["id"] for r in a] == [r["id"] for r in b] and len(a) == 10
    assert (sum(r["passed"] == "True" for r in a), sum(r["passed"] == "True" for r in b)) == (8, 6)
    status, _, err = _run(capsys, "import", "promptfoo", PROMPTFOO, "--out", tmp_path / "x.csv", "--variant", "nope")
    assert status == 2 and "'nope' is not in the file; its variants are: short, polite" in err


# ---- inspect_ai --------------------------------------------------------------------------------------------

def test_inspect_logs_give_the_counts_inspect_reported():
    header = json.loads(INSPECT_JSON.read_text())
    accuracy = header["results"]["scores"][0]["metrics"]["accuracy"]["value"]
    samples = header["results"]["total_samples"]
    assert (samples, accuracy) == (10, 0.6)  # 5 samples × 2 epochs; match accuracy 0.6 → 6 rows correct
    with zipfile.ZipFile(INSPECT_EVAL) as archive:  # the .eval holds one member per sample and epoch
        assert len([n for n in archive.namelist() if n.startswith("samples/")]) == 10
    for path in (INSPECT_EVAL, INSPECT_JSON):
        imported = import_file("inspect", path, reader="plain")
        assert (imported.cases, imported.passed) == (10, 6)
        frame = imported.frame
        assert frame["group"].nunique() == 5 and set(frame["id"]) >= {"t1-e1", "t1-e2"}
        assert set(frame["brevity"]) == {"1"}  # the second scorer is a column of its own
        assert frame.loc[frame["id"] == "t4-e1", "forbidden_output"].item() == "billing"
        assert imported.provenance["tool_version"] == header["eval"]["packages"]["inspect_ai"]


def test_inspect_a_scorer_named_by_map_decides_the_pass():
    # match's C/I grades, named by --map, give the 6 passes inspect reported; brevity's mean of 1.0 over 10 rows
    # means every row scored 1.0, while the passes still come from match
    by_match = import_file("inspect", INSPECT_JSON, {"passed": "scores.match.value"}, reader="plain")
    assert by_match.passed == 6
    by_brevity = import_file("inspect", INSPECT_JSON, {"score": "scores.brevity.value"}, reader="plain")
    assert list(by_brevity.frame["score"]) == [1.0] * 10 and by_brevity.passed == 6


def test_inspect_samples_that_errored_are_left_out_and_said(tmp_path):
    log = json.loads(INSPECT_JSON.read_text())
    log["samples"][0].update(scores=None, error={"message": "model timed out", "traceback": ""})  # t1, a pass
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(log))
    imported = import_file("inspect", broken, reader="plain")
    assert (imported.cases, imported.passed) == (9, 5)
    assert imported.notes == ["1 samples ended in an error and have no score; left out, as inspect_ai's metrics "
                              "leave them out (first: 't1')"]


def test_inspect_eval_and_json_logs_give_the_same_table():
    a = import_file("inspect", INSPECT_EVAL, reader="plain").frame
    b = import_file("inspect", INSPECT_JSON, reader="plain").frame
    assert a.equals(b)


def test_inspect_ai_own_reader_and_the_plain_reader_agree():
    pytest.importorskip("inspect_ai")  # not a kit dependency; run where inspect_ai is installed
    for path in (INSPECT_EVAL, INSPECT_JSON):
        assert import_file("inspect", path, reader="inspect_ai").frame.equals(
            import_file("inspect", path, reader="plain").frame)


def test_inspect_epochs_count_once_in_question_6(tmp_path):
    out = write_eval_table(import_file("inspect", INSPECT_EVAL), tmp_path / "eval.csv", INSPECT_EVAL)
    data = _judge(tmp_path, out)
    assert (data["cases"], data["distinct_inputs"]) == (10, 5)


# ---- OpenAI evals ------------------------------------------------------------------------------------------

def test_openai_evals_log_gives_the_counts_oaieval_reported():
    lines = [json.loads(line) for line in OAIEVAL.read_text().splitlines()]
    matches = [e for e in lines if e.get("type") == "match"]
    report = next(e["final_report"] for e in lines if "final_report" in e)
    assert len(matches) == 6 and report["accuracy"] * 6 == pytest.approx(5)
    imported = import_file("openai-evals", OAIEVAL)
    assert (imported.cases, imported.passed) == (6, sum(e["data"]["correct"] for e in matches))
    frame = imported.frame.set_index("id")
    assert frame.loc["triage.dev.3", "input"] == "Where is my parcel?"  # from the sampling event's prompt
    assert (frame.loc["triage.dev.3", "expected"], frame.loc["triage.dev.3", "output"]) == ("shipping", "general")
    assert imported.provenance["eval_name"] == "triage.dev.v0"


def test_every_importer_writes_a_table_question_6_reads(tmp_path):
    for file_format, path, options, cases, passed in (
            ("openai-evals", OAIEVAL, {}, 6, 5), ("braintrust", BRAINTRUST_CSV, {"pass_at": 1.0}, 6, 3),
            ("jsonl", TABLE_JSONL, {"mapping": {"input": "question", "passed": "correct"}}, 5, 3)):
        folder = tmp_path / file_format
        folder.mkdir()
        out = write_eval_table(import_file(file_format, path, **options), folder / "eval.csv", path)
        data = _judge(folder, out)
        assert (data["cases"], round(data["pass_rate"] * cases)) == (cases, passed), file_format


# ---- Braintrust ----------------------------------------------------------------------------------------------

def test_braintrust_export_counts_root_spans_and_passes_at_the_threshold():
    events = json.loads(BRAINTRUST_JSON.read_text())["events"]
    roots = [e for e in events if e["is_root"]]
    assert (len(events), len(roots), sum(e["scores"]["ExactMatch"] == 1 for e in roots)) == (18, 6, 3)
    json_import = import_file("braintrust", BRAINTRUST_JSON, pass_at=1.0)
    assert (json_import.cases, json_import.passed) == (6, 3)
    assert json_import.provenance["spans_skipped"] == 12
    frame = json_import.frame.set_index("id")
    assert frame.loc["case-3", "score_Levenshtein"] == "0.875"
    assert frame.loc["case-5", "group"] == frame.loc["case-6", "group"] == "case-5"  # two trials of one input
    assert import_file("braintrust", BRAINTRUST_CSV, pass_at=1.0).frame.equals(json_import.frame)


def test_braintrust_without_a_threshold_leaves_the_score_to_question_6():
    frame = import_file("braintrust", BRAINTRUST_JSON).frame
    assert "passed" not in frame.columns and list(frame["score"]) == [1.0, 1.0, 0.0, 0.0, 1.0, 0.0]


# ---- any table -----------------------------------------------------------------------------------------------

def test_csv_and_jsonl_tables_with_a_mapping(tmp_path, capsys):
    source = _rows(TABLE_CSV)
    assert (len(source), sum(r["correct"] == "yes" for r in source)) == (5, 3)
    out = tmp_path / "eval.csv"
    status, printed, _ = _run(capsys, "import", "csv", TABLE_CSV, "--out", out, "--map", "id=case",
                              "--map", "input=question", "--map", "expected=gold", "--map", "output=answer",
                              "--map", "passed=correct", "--map", "category=topic", "--map", "slice=channel")
    assert status == 0 and "5 eval cases, 3 passed" in printed
    rows = _rows(out)
    assert [r["id"] for r in rows] == ["q1", "q2", "q3", "q4", "q5"]
    assert rows[4]["input"] == "'=SUM(A1:A9) invoice is wrong"  # a formula-looking cell is quoted, as elsewhere
    jsonl = import_file("jsonl", TABLE_JSONL, {"id": "case", "input": "question", "expected": "gold",
                                               "output": "answer", "passed": "correct", "category": "meta.topic",
                                               "slice": "meta.channel"})
    assert (jsonl.cases, jsonl.passed) == (5, 3)
    assert list(jsonl.frame["slice"]) == [r["channel"] for r in source]


# ---- provenance and the brief ------------------------------------------------------------------------------------

def test_provenance_is_written_beside_the_table_and_shown_in_the_brief(tmp_path, capsys):
    out = tmp_path / "eval.csv"
    assert _run(capsys, "import", "promptfoo", PROMPTFOO, "--out", out, "--variant", "short")[0] == 0
    record = read_provenance(out)
    assert sidecar_path(out) == tmp_path / "eval.csv.provenance.json"
    assert record["sha256"] == hashlib.sha256(PROMPTFOO.read_bytes()).hexdigest()
    assert record["tool"] == "promptfoo"
    assert record["tool_version"] == json.loads(PROMPTFOO.read_text())["metadata"]["promptfooVersion"]
    assert (record["file"], record["cases"], record["passed"]) == ("results.json", 10, 8)
    assert str(tmp_path) not in sidecar_path(out).read_text()  # a name and a hash, no machine's folders
    data = _judge(tmp_path, out)  # the file the command wrote: 10 rows of 5 tests repeated twice, 8 pass
    assert (data["cases"], data["distinct_inputs"], data["pass_rate"]) == (10, 5, 0.8)
    status, brief, _ = _run(capsys, "brief", tmp_path / "case.yaml", "--out", "-")
    assert status == 0
    shown = f"imported from promptfoo {record['tool_version']} · results.json · sha256 {record['sha256'][:12]}"
    assert shown in brief
    page = brief_html(load_case(tmp_path / "case.yaml"))
    assert f'<p class="provenance">Question 6&#x27;s eval run was {shown}' in page


# ---- bad input -------------------------------------------------------------------------------------------------

def test_a_record_missing_a_field_is_named_and_nothing_is_written(tmp_path, capsys):
    raw = json.loads(PROMPTFOO.read_text())
    del raw["results"]["results"][3]["success"]
    bad = tmp_path / "results.json"
    bad.write_text(json.dumps(raw))
    out = tmp_path / "eval.csv"
    assert _run(capsys, "import", "promptfoo", PROMPTFOO, "--out", out)[0] == 0
    before, provenance = out.read_bytes(), sidecar_path(out).read_bytes()
    status, _, err = _run(capsys, "import", "promptfoo", bad, "--out", out)
    assert status == 2
    assert err == f"aipm-kit: {bad}: results.results[3]: missing field 'success'\n"
    assert out.read_bytes() == before and sidecar_path(out).read_bytes() == provenance


def test_a_table_no_import_wrote_is_never_replaced(tmp_path, capsys):
    mine = tmp_path / "eval.csv"
    mine.write_text("id,category\nmy,own\n")
    status, _, err = _run(capsys, "import", "inspect", INSPECT_JSON, "--out", mine)
    assert status == 2 and "already exists and no import wrote it" in err
    assert mine.read_text() == "id,category\nmy,own\n"


@pytest.mark.parametrize("file_format, content, message", [
    ("promptfoo", "not json", "is not valid JSON"),
    ("promptfoo", '{"evalId": "x"}', "has no 'results' object"),
    # the plain reader's words, or inspect_ai's own where it is installed
    ("inspect", '{"samples": []}', ("has no 'eval' object: not an inspect_ai JSON log",
                                    "inspect_ai cannot read it as an eval log")),
    ("openai-evals", '{"run_id": "r", "type": "match", "sample_id": "s", "data": {"correct": true}}',
     "has no {\"spec\": …} line"),
    ("openai-evals", '{"spec": {}}\n{"run_id": "r", "type": "match", "sample_id": "s", "data": {"correct": "yes"}}',
     "line 2: match event field 'correct' is 'yes'; expected true or false"),
    ("braintrust", '{"events": [{"id": "a", "is_root": true}]}', "no event has scores"),
    ("jsonl", '{"id": "a", "input": "x", "passed": true}\n{"id": "a", "input": "y", "passed": false}',
     "line 2: id 'a' appears twice (also line 1)"),
    ("jsonl", '{"id": "a", "input": "x", "passed": "maybe"}', "line 1: passed is 'maybe'; expected true or false"),
    ("jsonl", '{"id": "a", "input": "x"}', "line 1: no outcome: neither a pass/fail nor a score"),
])
def test_bad_files_get_one_line_naming_the_file_and_the_record(tmp_path, capsys, file_format, content, message):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    out = tmp_path / "eval.csv"
    status, _, err = _run(capsys, "import", file_format, bad, "--out", out)
    messages = message if isinstance(message, tuple) else (message,)
    assert status == 2 and err.startswith(f"aipm-kit: {bad}: ") and err.count("\n") == 1
    assert any(m in err for m in messages), err
    assert not out.exists()


def test_a_mapping_to_a_missing_field_names_it(tmp_path, capsys):
    status, _, err = _run(capsys, "import", "inspect", INSPECT_JSON, "--out", tmp_path / "e.csv",
                          "--map", "category=metadata.topic")
    assert status == 2
    assert "sample 't1' epoch 1: --map category=metadata.topic: the record has no field 'metadata.topic'" in err
    status, _, err = _run(capsys, "import", "csv", TABLE_CSV, "--out", tmp_path / "e.csv", "--map", "category")
    assert status == 2 and "--map 'category': expected KIT_COLUMN=SOURCE_FIELD" in err


def test_out_must_be_a_csv_and_not_the_source(tmp_path, capsys):
    copy = tmp_path / "graded.csv"
    copy.write_bytes(TABLE_CSV.read_bytes())
    mapping = ["--map", "passed=correct"]
    status, _, err = _run(capsys, "import", "csv", copy, "--out", copy, *mapping)
    assert status == 2 and "--out is the file being imported" in err and copy.read_bytes() == TABLE_CSV.read_bytes()
    status, _, err = _run(capsys, "import", "csv", copy, "--out", tmp_path / "eval.xlsx", *mapping)
    assert status == 2 and "--out must name a .csv file" in err


def test_a_missing_file_is_named(tmp_path, capsys):
    missing = tmp_path / "nope.json"
    with pytest.raises(ImportFileError, match="nope.json: file not found"):
        import_file("promptfoo", missing)
    assert _run(capsys, "import", "promptfoo", missing, "--out", tmp_path / "e.csv")[0] == 2
