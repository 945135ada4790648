"""``aipm-kit gate`` and ``aipm-kit watch``: the exit statuses a CI step or a scheduled job reads, and the JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
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


# ---- watch ---------------------------------------------------------------------------------------------------

def _segment_log(weeks: list[dict[str, tuple[int, int]]]) -> pd.DataFrame:
    """Per week, per segment, (outputs, negatives): one output a minute from the week's Monday."""
    rows = []
    for w, segments in enumerate(weeks):
        monday = pd.Timestamp("2025-09-01") + pd.Timedelta(weeks=w)
        i = 0
        for segment, (n, negative) in segments.items():
            for j in range(n):
                rows.append({"timestamp": (monday + pd.Timedelta(minutes=i)).isoformat(), "id": f"{segment}{w}-{j}",
                             "segment": segment, "input": f"ticket {w}-{segment}-{j}", "output": "Billing",
                             "confidence": 0.9, "feedback": "negative" if j < negative else "ok"})
                i += 1
    return pd.DataFrame(rows)


def test_watch_acts_now_when_a_segment_breaks_its_limit(tmp_path, capsys):
    # A's negative feedback goes from 5% (45 of 900) to 9% (81 of 900), past its limit of 7.3%
    # (5% + 3.205 √(0.05 × 0.95 / 900), two charted segments): Act now, exit 1
    reference = [{"A": (900, 45), "B": (100, 30)}] * 4
    _segment_log(reference + [{"A": (900, 81), "B": (100, 30)}] * 4).to_csv(tmp_path / "log.csv", index=False)
    (tmp_path / "case.yaml").write_text("name: Chat\nmonitoring:\n  log: log.csv\n  review_budget: 50\n")
    status, out, _ = _run(capsys, "watch", tmp_path / "case.yaml", "--json", tmp_path / "watch.json")
    assert status == 1 and out.startswith("Act now:")
    report = json.loads((tmp_path / "watch.json").read_text())
    assert report["verdict"] == "Act now" and report["exit_status"] == 1
    chart = report["control_chart"]
    assert [p["week"] for p in chart] == [f"2025-{d}" for d in ("09-01", "09-08", "09-15", "09-22", "09-29",
                                                                "10-06", "10-13", "10-20")]
    # week 8: (81 + 30) / 1,000 = 11.1% against the centre line (45 + 30) / 1,000 = 7.5%
    assert chart[-1]["rate"] == pytest.approx(0.111) and chart[-1]["centre"] == pytest.approx(0.075)
    sample = Path(report["review_sample"])
    assert sample == tmp_path / "case-review-2025-10-20.csv"  # <case file>-review-<week> and report["review_sampled"] == 50
    assert len(pd.read_csv(sample)) == 50


def test_watch_is_stable_when_nothing_moved_and_every_failure_is_in_the_eval_set(tmp_path, capsys):
    steady = [{"A": (900, 45), "B": (100, 30)}] * 8
    _segment_log(steady).to_csv(tmp_path / "log.csv", index=False)
    (tmp_path / "review.csv").write_text("id,failure_mode,expected\nA0-0,wrong queue,Sales\n")
    (tmp_path / "eval.csv").write_text("id,input,expected,output\nA0-0,ticket 0-A-0,Sales,Billing\n")
    (tmp_path / "case.yaml").write_text("name: Steady\nmonitoring:\n  log: log.csv\n  review_budget: 400\n"
                                        "  reviewed_failures: review.csv\n  eval_set: eval.csv\n")
    status, out, _ = _run(capsys, "watch", tmp_path / "case.yaml", "--sample", tmp_path / "s.csv")
    assert status == 0 and out.startswith("Stable:")
    assert len(pd.read_csv(tmp_path / "s.csv")) == 400


def test_watch_on_the_bundled_case_is_watch_with_exit_3(tmp_path, capsys):
    # support-triage: a mix shift (chat grew), not a regression: Watch
    status, _, _ = _run(capsys, "watch", "support-triage", "--json", tmp_path / "w.json", "--sample",
                        tmp_path / "review.csv")
    assert status == 3
    report = json.loads((tmp_path / "w.json").read_text())
    assert report["verdict"] == "Watch" and len(report["control_chart"]) == 8
    assert report["review_week"] == "2025-11-17" and len(pd.read_csv(tmp_path / "review.csv")) == 150


def test_watch_on_an_unreadable_log_or_no_log_exits_2(tmp_path, capsys):
    frame = _segment_log([{"A": (10, 1)}])
    frame.loc[3, "timestamp"] = "yesterday"
    frame.to_csv(tmp_path / "log.csv", index=False)
    (tmp_path / "case.yaml").write_text("name: t\nmonitoring:\n  log: log.csv\n")
    status, _, err = _run(capsys, "watch", tmp_path / "case.yaml", "--json", tmp_path / "w.json")
    assert status == 2 and "log.csv" in err and "'yesterday'" in err
    assert not (tmp_path / "w.json").exists()
    (tmp_path / "none.yaml").write_text("name: t\n")
    status, _, err = _run(capsys, "watch", tmp_path / "none.yaml", "--json", tmp_path / "w.json")
    assert status == 2 and "no verdict" in err
