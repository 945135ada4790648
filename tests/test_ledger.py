"""The ledger: one quantity declared twice must agree; a plan is compared with the evidence that followed it."""

from __future__ import annotations

import pytest

from aipm_kit.case import Case, load_case
from aipm_kit.cli import main
from aipm_kit.ledger import check, holds_together


@pytest.fixture(scope="module")
def triage() -> Case:
    return load_case("support-triage")


def _volume_and_cost_only(case: Case, **approach) -> Case:
    """Questions 2 and 4 of the case, agreeing on everything but what ``approach`` changes; no data files."""
    need_ai = case.answers("need_ai").model_copy(update={"sample": None})
    # question 2's run cost is question 4's: 18,000 requests at $1,211.93 a month (question 4's own figure)
    cost = case.analyze("approach").metric_value("Monthly cost of the chosen approach")
    need_ai = need_ai.model_copy(update={"run_cost_per_decision": 0.0, "run_cost_per_month": cost})
    return Case(case.name, case.summary, {"need_ai": need_ai,
                                         "approach": case.answers("approach").model_copy(update=approach)})


def test_a_volume_written_twice_must_agree_and_names_both_fields(triage):
    # approach.requests_per_month at five times question 2's 18,000 decisions a month
    findings = check(_volume_and_cost_only(triage, requests_per_month=90_000))
    volume = [f for f in findings if f.quantity == "Monthly volume"]
    assert len(volume) == 1 and volume[0].contradiction
    assert (volume[0].home, volume[0].home_value) == ("need_ai.monthly_volume", "18,000")
    assert (volume[0].other, volume[0].other_value) == ("approach.requests_per_month", "90,000")
    assert "approach.requests_per_month" in volume[0].fix and not holds_together(findings)


def test_the_mirror_agreeing_fields_give_no_finding(triage):
    # the same two sections with one volume (and question 4's price at 90,000 would differ: keep 18,000)
    assert check(_volume_and_cost_only(triage)) == []


def test_rounding_is_not_a_contradiction(triage):
    # 18,040 requests is 0.2% off 18,000: within the 0.5% a rounded estimate may differ by
    assert not [f for f in check(_volume_and_cost_only(triage, requests_per_month=18_040))
                if f.quantity == "Monthly volume"]


def test_a_plan_the_evidence_would_overturn_is_a_contradiction_and_a_small_gap_is_not(triage):
    measured = triage.analyze("evaluation").metric_value("Pass rate")
    break_even = triage.analyze("need_ai").data["break_even_accuracy"]
    # a plan just above break-even is too close to call (question 2 goes to the simpler way); the measured
    # rate, well above it, would not be: the verdict rested on the plan
    near = break_even + 0.01
    planned = triage.with_answers("need_ai", triage.answers("need_ai").model_copy(update={"ai_accuracy": near}))
    with_evidence = triage.with_answers("need_ai", triage.answers("need_ai").model_copy(update={"ai_accuracy": measured}))
    assert planned.analyze("need_ai").verdict != with_evidence.analyze("need_ai").verdict  # the premise
    finding = next(f for f in check(planned) if f.quantity == "Accuracy of the AI")
    assert finding.contradiction and "question 2 changes its verdict" in finding.effect

    # the mirror: a plan 5 points under the measured rate, same verdict either way → a gap, not a contradiction
    close = triage.with_answers("need_ai", triage.answers("need_ai").model_copy(update={"ai_accuracy": measured - 0.05}))
    assert close.analyze("need_ai").verdict == with_evidence.analyze("need_ai").verdict
    finding = next(f for f in check(close) if f.quantity == "Accuracy of the AI")
    assert not finding.contradiction


def test_a_slice_planned_in_question_3_but_never_measured_is_reported(triage):
    # support-triage measures its languages and plan tiers; an eval run graded on the channel alone would not
    evaluation = triage.answers("evaluation").model_copy(update={"slice_columns": ["slice"]})
    finding = next(f for f in check(triage.with_answers("evaluation", evaluation)) if f.quantity == "Slices")
    assert not finding.contradiction and "language" in finding.effect


# ---- aipm-kit check ------------------------------------------------------------------------------------

def test_check_exits_1_on_a_contradiction_0_when_the_case_agrees_and_2_when_unreadable(triage, tmp_path, capsys):
    agreeing, contradicting = tmp_path / "agreeing.yaml", tmp_path / "contradicting.yaml"
    _volume_and_cost_only(triage).save(agreeing)
    _volume_and_cost_only(triage, requests_per_month=90_000).save(contradicting)

    assert main(["check", str(agreeing)]) == 0
    assert "the answers agree" in capsys.readouterr().out
    assert main(["check", str(contradicting)]) == 1
    out = capsys.readouterr().out
    assert "need_ai.monthly_volume = 18,000, but approach.requests_per_month = 90,000" in out
    assert main(["check", str(tmp_path / "missing.yaml")]) == 2
    assert main(["validate", str(contradicting)]) == 0  # validate warns, it does not fail
    assert "Warning: the answers disagree in 1 place" in capsys.readouterr().out
