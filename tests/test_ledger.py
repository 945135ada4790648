"""The ledger: one quantity declared twice must agree; a plan is compared with the evidence that followed it."""

from __future__ import annotations

from pathlib import Path

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


# ---- one home: question 2 reads question 4's costs ---------------------------------------------------------

def test_question_2s_costs_are_question_4s_for_the_chosen_approach_so_they_cannot_disagree(triage):
    from aipm_kit.questions.need_ai import approach_costs

    q4 = triage.analyze("approach")
    # the chosen prompt's row: $200 fixed, $12,000 build over 12 months, and its cost per request at 18,000
    per_request = q4.metric_value("Cost per 1,000 requests") / 1000
    assert q4.metric_value("Monthly cost of the chosen approach") == pytest.approx(200 + 12_000 / 12 + 18_000 * per_request)
    used = approach_costs(triage.answers("need_ai"), triage)
    a = used.answers
    monthly = a.run_cost_per_decision * a.monthly_volume + a.run_cost_per_month + a.build_cost / a.horizon_months
    assert monthly == pytest.approx(q4.metric_value("Monthly cost of the chosen approach"))
    assert used.source == "question 4's prices for Simple prompt"
    assert triage.analyze("need_ai").data["costs_source"] == used.source
    assert not [f for f in check(triage) if "cost" in f.quantity.lower()]


def test_before_question_4_chooses_question_2_uses_its_own_estimate_and_says_so(triage):
    from aipm_kit.questions.need_ai import approach_costs

    undecided = triage.with_answers("approach", triage.answers("approach").model_copy(update={"chosen": None}))
    used = approach_costs(undecided.answers("need_ai"), undecided)
    # the worksheet's own: $0.002 × 18,000 + $500 = $536 a month
    a = used.answers
    assert used.source == "this worksheet"
    assert a.run_cost_per_decision * a.monthly_volume + a.run_cost_per_month == pytest.approx(536)


def test_the_done_when_copy_five_times_the_volume_is_reported_naming_the_field(tmp_path, capsys):
    import shutil

    from aipm_kit.bundled import bundled_cases

    source = bundled_cases()["support-triage"]
    shutil.copytree(source.parent / source.stem, tmp_path / source.stem)
    copy = tmp_path / source.name
    shutil.copy(source, copy)
    case = load_case(copy)
    volume = case.answers("need_ai").monthly_volume
    case.with_answers("approach", case.answers("approach").model_copy(
        update={"requests_per_month": 5 * volume})).save(tmp_path / "five-times.yaml")
    assert main(["check", str(tmp_path / "five-times.yaml")]) == 1
    out = capsys.readouterr().out
    assert f"need_ai.monthly_volume = {volume:,}, but approach.requests_per_month = {5 * volume:,}" in out


# ---- share handled, and question 2 with the evidence ----------------------------------------------------------

def test_share_handled_is_defined_once_for_every_automation_level_and_read_from_question_5(triage):
    from aipm_kit.ledger import SHARE_HANDLED, share_handled
    from aipm_kit.questions.experience import AUTOMATION_LEVELS

    assert set(SHARE_HANDLED) == set(AUTOMATION_LEVELS)
    share = share_handled(triage)
    assert share.value == triage.analyze("experience").metric_value("Share handled by the AI")
    assert "'suggest'" in share.source and "confident suggestion" in share.source
    acting = triage.with_answers("experience", triage.answers("experience").model_copy(
        update={"automation": "act with undo", "undo": True}))
    assert "acts on" in share_handled(acting).source


def test_question_2_shows_the_value_planned_beside_the_value_with_the_evidence(triage):
    r = triage.analyze("need_ai")
    s = triage.analyze("experience").metric_value("Share handled by the AI")
    m = triage.analyze("evaluation").metric_value("Pass rate")
    # V = $1.70; c = 0.85 × $1.40 + 0.15 × $15 = $3.44; the baseline is doing nothing, c / (V + c) = 3.44 / 5.14;
    # costs are question 4's $1,211.92 a month; 18,000 tickets, of which the share s is handled at m
    v, c = 1.70, 0.85 * 1.40 + 0.15 * 15
    p = c / (v + c)
    costs = triage.analyze("approach").metric_value("Monthly cost of the chosen approach")
    expected = 18_000 * s * (m - p) * (v + c) - costs
    assert r.metric_value("Net monthly value with the evidence") == pytest.approx(expected, rel=1e-6)
    table = r.tables["Value planned and with the evidence, per month"]
    assert list(table.columns[:3]) == ["term", "planned", "with the evidence"]
    assert table["with the evidence"].iloc[0] == f"{s:.1%}" and table["planned"].iloc[0] == "100%"


def test_evidence_that_makes_the_ai_lose_money_is_a_caution_and_without_evidence_there_is_no_table(triage):
    # the trap: a threshold that hands almost nothing to the AI (question 5's share near 0) cannot pay its costs
    strict = triage.with_answers("experience", triage.answers("experience").model_copy(update={"threshold": 1.0}))
    r = strict.analyze("need_ai")
    assert r.metric_value("Net monthly value against the non-AI baseline") > 0 > r.metric_value(
        "Net monthly value with the evidence")
    assert any(f.level == "caution" and "no longer pays" in f.message for f in r.findings)
    # the mirror: a case with no question 5 or 6 has only the plan
    bare = Case(triage.name, "", {k: triage.answers(k) for k in ("need_ai", "approach")})
    assert "Value planned and with the evidence, per month" not in bare.analyze("need_ai").tables


# ---- stage and dates ----------------------------------------------------------------------------------------

def _at(case: Case, stage, as_of=None) -> Case:
    import dataclasses

    return dataclasses.replace(case, stage=stage, as_of=as_of)


def _log_days() -> tuple:
    """The first and last day of support-triage's log, read from the file (timestamps are ISO 8601, in order)."""
    import datetime

    lines = (Path(__file__).resolve().parents[1] / "cases" / "support-triage" / "production_log.csv").read_text(
        encoding="utf-8").splitlines()
    return tuple(datetime.date.fromisoformat(line[:10]) for line in (lines[1], lines[-1]))


def _feedback_missing(case: Case) -> Case:
    """Question 3 still saying live feedback is missing (support-triage itself has it)."""
    data = case.answers("data")
    needs = [n.model_copy(update={"status": "missing", "rows_have": 0}) if n.purpose == "monitoring" else n
             for n in data.needs]
    return case.with_answers("data", data.model_copy(update={"needs": needs}))


def test_a_log_before_launch_contradicts_the_stage_and_a_launched_case_with_it_does_not(triage):
    finding = next(f for f in check(_at(triage, "pilot")) if f.quantity == "Stage")
    assert finding.contradiction and (finding.home_value, finding.other_value) == ("pilot", "launched")
    assert not [f for f in check(_at(triage, "launched")) if f.quantity == "Stage"]


def test_feedback_not_logged_yet_is_right_before_launch_and_a_contradiction_after_it(triage):
    no_log = triage.with_answers("monitoring", triage.answers("monitoring").model_copy(update={"log": None}))
    # before launch question 3's "no live feedback yet" is the truth, and question 7 plans
    assert not [f for f in check(_at(no_log, "pilot")) if f.quantity == "Live feedback logged"]
    assert _at(no_log, "pilot").analyze("monitoring").verdict == "Not yet"
    # launched, with twelve weeks of log, and question 3 still saying it is missing
    launched = [f for f in check(_at(_feedback_missing(triage), "launched")) if f.quantity == "Live feedback logged"]
    assert len(launched) == 1 and launched[0].contradiction
    # the mirror: question 3 up to date (support-triage as it is)
    assert not [f for f in check(_at(triage, "launched")) if f.quantity == "Live feedback logged"]


def test_a_plan_dated_after_the_evidence_it_contradicts_is_a_contradiction_one_before_it_is_out_of_date(triage):
    import datetime

    first, last = _log_days()
    stale = _feedback_missing(triage)
    after = next(f for f in check(_at(stale, "launched", last + datetime.timedelta(days=8)))
                 if f.quantity == "Live feedback logged")
    assert after.contradiction and "after the evidence it contradicts" in after.effect
    before_log = first - datetime.timedelta(days=31)
    findings = check(_at(stale, "launched", before_log))
    before = next(f for f in findings if f.quantity == "Live feedback logged")
    assert not before.contradiction and "predates the evidence" in before.effect
    # ... and the case's own date is then older than its evidence: reported, not a contradiction
    dated = next(f for f in findings if f.quantity == "Date of the case")
    assert (dated.home_value, dated.other_value, dated.contradiction) == (before_log.isoformat(), last.isoformat(),
                                                                          False)
    assert not [f for f in check(_at(triage, "launched", last + datetime.timedelta(days=8)))
                if f.quantity == "Date of the case"]


def test_the_value_planned_against_the_value_with_the_evidence_is_a_gap_and_a_loss_is_a_contradiction(triage):
    # support-triage: planned $17.4k a month, with the evidence about $4.0k (26% handled): still a gain → a gap
    gap = next(f for f in check(triage) if f.quantity == "Net value of the AI a month")
    planned = triage.analyze("need_ai").data
    assert not gap.contradiction
    assert planned["net_monthly_value"] > planned["net_monthly_value_with_evidence"] > 0
    # the trap: a threshold of 1.0 hands almost nothing to the AI, so the evidence turns the gain into a loss
    strict = triage.with_answers("experience", triage.answers("experience").model_copy(update={"threshold": 1.0}))
    loss = next(f for f in check(strict) if f.quantity == "Net value of the AI a month")
    assert loss.contradiction and "question 2 changes its verdict" in loss.effect


# ---- properties of the stage and date relations ------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(stage=st.sampled_from([None, "idea", "pilot", "launched"]), has_eval=st.booleans(), has_log=st.booleans(),
       as_of=st.one_of(st.none(), st.dates()))
def test_stage_and_date_findings_appear_exactly_when_the_evidence_is_ahead_of_them(triage, stage, has_eval, has_log,
                                                                                  as_of):
    import dataclasses
    import datetime

    from aipm_kit import ledger

    sections = dict(triage.sections)
    if not has_eval:
        sections["evaluation"] = sections["evaluation"].model_copy(update={"results_file": None})
    if not has_log:
        sections["monitoring"] = sections["monitoring"].model_copy(update={"log": None})
    case = dataclasses.replace(triage, sections=sections, stage=stage, as_of=as_of)
    order = ["idea", "pilot", "launched"]
    shown = "launched" if has_log else "pilot" if has_eval else None
    ahead = stage is not None and shown is not None and order.index(shown) > order.index(stage)
    assert ledger._stage_shown(case) == (shown if ahead else None)
    # the log's last day, read from the file; question 6 gives no run date in this case
    last = _log_days()[1]
    late = has_log and as_of is not None and as_of < last
    assert ledger._evidence_after_as_of(case) == (last.isoformat() if late else None)


@settings(max_examples=80, deadline=None)
@given(base=st.floats(0.001, 0.5), rise=st.floats(0.005, 0.3), more=st.floats(0.001, 0.2))
def test_a_larger_rise_never_needs_a_larger_weekly_sample(base, rise, more):
    from aipm_kit.stats import sample_size_to_detect_rise

    raised = min(base + rise, 0.99)
    wider = min(raised + more, 1.0)
    if raised <= base or wider <= raised:
        return
    assert sample_size_to_detect_rise(base, wider) <= sample_size_to_detect_rise(base, raised)
