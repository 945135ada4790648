"""``aipm-kit gate`` and ``aipm-kit watch``: the exit statuses a CI step or a scheduled job reads, and the JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scipy.stats import binomtest

from aipm_kit.cli import main

CASE = """\
name: Gate check
evaluation:
  results_file: eval.csv
  grader: passed
  gates:
    - name: Right answer
      target: 0.9
      kind: blocking
"""


def _run(capsys, *argv) -> tuple[int, str, str]:
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return status, out, err


def _case(folder: Path, rows: int, passing: int) -> Path:
    """A case whose eval run has ``rows`` distinct inputs, the first ``passing`` of them right."""
    lines = ["id,category,slice,input,expected,output,passed"]
    lines += [f"c{i},good,web,question {i},yes,{'yes' if i < passing else 'no'},{i < passing}" for i in range(rows)]
    (folder / "eval.csv").write_text("\n".join(lines) + "\n")
    path = folder / "case.yaml"
    path.write_text(CASE)
    return path


def _wilson(k: int, n: int) -> tuple[float, float]:
    ci = binomtest(k, n).proportion_ci(0.95, method="wilson")
    return ci.low, ci.high


def test_a_run_that_clears_the_gate_at_the_low_end_ships_with_exit_0(tmp_path, capsys):
    # 300 of 300 distinct inputs pass: Wilson's low end is n / (n + z²) = 300 / 303.84 = 0.9874 ≥ 0.90
    path = _case(tmp_path, 300, 300)
    report = tmp_path / "out" / "gate.json"
    status, out, _ = _run(capsys, "gate", path, "--json", report)
    assert status == 0 and out.startswith("Ship:")
    data = json.loads(report.read_text())
    assert data["verdict"] == "Ship" and data["exit_status"] == 0
    gate = data["gates"][0]
    assert gate["name"] == "Right answer" and gate["status"] == "pass" and gate["cases"] == 300
    assert gate["low"] == pytest.approx(300 / (300 + 1.959964 ** 2), abs=1e-6)
    assert gate["low"] == pytest.approx(_wilson(300, 300)[0], abs=1e-9)
    assert data["slices"] == [] and data["regression"] is None
    assert list(report.parent.iterdir()) == [report]  # no temporary file left beside it


def test_a_run_under_the_target_is_no_ship_with_exit_1(tmp_path, capsys):
    # 150 of 300 pass: 50%, under the 90% target
    status, out, _ = _run(capsys, "gate", _case(tmp_path, 300, 150), "--json", tmp_path / "gate.json")
    assert status == 1 and out.startswith("No-ship:")
    gate = json.loads((tmp_path / "gate.json").read_text())["gates"][0]
    assert gate["status"] == "fail" and gate["rate"] == 0.5
    assert [gate["low"], gate["high"]] == pytest.approx(_wilson(150, 300), abs=1e-9)


def test_a_rate_above_target_with_a_low_end_below_it_is_hold_with_exit_3(tmp_path, capsys):
    # 38 of 40 pass (95% ≥ 90%), but Wilson's low end is 0.835 < 0.90: not proven
    status, out, _ = _run(capsys, "gate", _case(tmp_path, 40, 38), "--json", tmp_path / "gate.json")
    assert status == 3 and out.startswith("Hold:")
    gate = json.loads((tmp_path / "gate.json").read_text())["gates"][0]
    assert gate["status"] == "not proven"
    assert gate["low"] == pytest.approx(0.83497, abs=1e-4)
    assert gate["low"] == pytest.approx(_wilson(38, 40)[0], abs=1e-9)


@pytest.mark.parametrize("name, expected", [("invoice-reminders", 0), ("support-triage", 3),
                                            ("policy-assistant", 3), ("travel-rebooking", 3)])
def test_the_bundled_cases_gate_as_their_question_6_verdicts(capsys, name, expected):
    # `aipm-kit list`: invoice-reminders Ship; the three others Hold
    assert _run(capsys, "gate", name)[0] == expected


def test_the_bundled_regression_is_in_the_report(tmp_path, capsys):
    # invoice-reminders has a baseline: its 16 regressed cases are named in the Ship headline
    _run(capsys, "gate", "invoice-reminders", "--json", tmp_path / "gate.json")
    data = json.loads((tmp_path / "gate.json").read_text())
    assert data["regression"]["newly_failing"] == 16 and data["regression"]["worse"] is False
    assert len(data["slices"]) > 0 and {"column", "slice", "gate", "low", "high", "status"} <= set(data["slices"][0])


def test_an_unreadable_case_or_results_file_exits_2_and_writes_no_report(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    status, _, err = _run(capsys, "gate", bad, "--json", tmp_path / "gate.json")
    assert status == 2 and "bad.yaml" in err
    path = _case(tmp_path, 40, 38)
    (tmp_path / "eval.csv").write_text("id,input\nc1,hello\n")  # no expected, output, passed columns
    status, _, err = _run(capsys, "gate", path, "--json", tmp_path / "gate.json")
    assert status == 2 and "eval.csv" in err
    assert not (tmp_path / "gate.json").exists()


def test_question_6_not_answered_is_not_a_pass(tmp_path, capsys):
    path = tmp_path / "case.yaml"
    path.write_text("name: Nothing yet\n")
    status, out, err = _run(capsys, "gate", path, "--json", tmp_path / "gate.json")
    assert status == 2 and "no verdict to gate on" in err
    assert json.loads((tmp_path / "gate.json").read_text())["verdict"] == "Not answered"
