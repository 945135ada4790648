"""The bundled support-triage case: a queue-and-priority assistant that launched twelve weeks ago.

The story the seven verdicts tell: a validated, costly problem (1); AI assists, a person confirms (2); every data
need is in hand, the live feedback the product now logs included, but Spanish has too few eval tickets (3); a simple prompt is enough for five queues (4); the
confidence threshold that would mark a suggestion as sure is not yet proven, a caution for suggestions a person
confirms (5); the new prompt is held because it truncates long emails, a regression in the email slice (6); and
after launch the chat widget changed the traffic mix, not the quality: chat grew from a tenth to over a quarter
of tickets, and every channel's own correction rate stayed flat (7). Every number below is counted from the case's own files.
"""

from __future__ import annotations

import pandas as pd
import pytest

import aipm_kit
from aipm_kit.bundled import bundled_cases
from aipm_kit.stats import wilson_interval

CASE = "support-triage"


def _read(case, name: str) -> pd.DataFrame:
    return pd.read_csv(case.base_dir / CASE / name, keep_default_na=False)


def test_the_case_is_bundled_launched_and_answers_every_question(case):
    assert CASE in bundled_cases()
    assert (case.stage, case.as_of.isoformat()) == ("launched", "2026-12-01")
    assert all(case.is_answered(q.key) for q in aipm_kit.QUESTIONS)


def test_the_seven_verdicts_tell_the_launched_triage_story(results):
    verdicts = {key: (r.verdict, r.level) for key, r in results.items()}
    assert verdicts == {
        "problem": ("Go", "go"),
        "need_ai": ("AI assists", "go"),
        "data": ("Caution", "caution"),
        "approach": ("Simple prompt", "go"),
        # 0.98 is not yet proven on the held-out scores; every suggestion is confirmed by an agent, so a caution
        "experience": ("Not proven", "caution"),
        "evaluation": ("Hold", "stop"),
        "monitoring": ("Watch", "caution"),
    }


def test_five_queues_in_the_data_and_in_question_4(case):
    sample = _read(case, "data_sample.csv")
    queues = set(sample.loc[sample["queue"] != "", "queue"])
    assert queues == {"Technical", "Billing", "Account access", "Bug report", "Sales & renewals"}
    assert case.answers("approach").label_count == len(queues) == 5


def test_the_keyword_rule_is_right_on_64_percent_of_past_tickets(case, results):
    sample = _read(case, "need_ai_sample.csv")
    # the spec's rule accuracy: 0.64 × 400 = 256 exactly
    assert (sample["label"] == sample["rule"]).sum() == 256 == 0.64 * 400
    assert case.answers("approach").rules_accuracy == 0.64


def test_the_data_is_in_hand_and_the_eval_set_measures_question_3s_slices(case, results):
    data = case.answers("data")
    assert {n.status for n in data.needs} == {"have"}
    run = _read(case, "eval_results.csv")
    eval_need = next(n for n in data.needs if n.purpose == "evaluation")
    assert eval_need.rows_have == len(run) == 800
    for s in data.slices:  # language and plan tier are columns of the eval set, with these counts
        assert (run[s.dimension] == s.name).sum() == s.rows_have
    # Spanish is 8% of traffic and 63 of the 800 eval tickets, under the 100 a slice needs: the one gap
    assert (run["language"] == "Spanish").sum() == 63 < data.min_rows_per_slice == 100
    assert results["data"].data["gaps"] == ["slice: Spanish (language)"]
    feedback = next(n for n in data.needs if n.purpose == "monitoring")
    assert feedback.rows_have == len(_read(case, "production_log.csv"))
    # n = 1.96² × 0.85 × 0.15 / 0.03² = 544.2 → 545 eval rows for ±3 points; 800 are in hand
    assert results["data"].metric_value("Evaluation rows needed for ±3% at 95%") == 545
    assert results["data"].metric_value("Overall readiness") == 1.0


def test_the_eval_set_is_800_distinct_tickets_in_the_quotas(case):
    run = _read(case, "eval_results.csv")
    assert run["input"].nunique() == len(run) == 800
    quotas = {q.category: q.cases for q in case.answers("evaluation").quotas}
    assert run["category"].value_counts().to_dict() == quotas == {"good": 400, "bad": 120, "edge": 160,
                                                                  "adversarial": 120}


def test_the_new_prompt_is_held_by_the_email_regression(case, results):
    run, base = _read(case, "eval_results.csv"), _read(case, "eval_baseline.csv")
    now, was = run["passed"].astype(str) == "True", base["passed"].astype(str) == "True"
    assert now.sum() == 693  # 86.6%: what question 2 expected (ai_accuracy 0.87), within half a point
    assert case.answers("need_ai").ai_accuracy == pytest.approx(now.mean(), abs=0.005)
    email = run["slice"] == "email"
    assert (now[email].sum(), email.sum()) == (220, 270)
    low, high = wilson_interval(220, 270)  # 81.5%: 76.4%–85.7%, all of it under the 86% overall target
    assert high < 0.86
    assert results["evaluation"].headline.startswith("Hold: the email slice passes 81.5% (220 of 270 cases")
    # the cases the new prompt broke cluster in email: the truncated long emails
    broke = was & ~now
    assert broke[email].sum() > broke[~email].sum()
    assert results["evaluation"].metric_value("Cases newly failing against the baseline") == broke.sum()


def test_after_launch_chat_grew_while_each_channel_stayed_as_good(case, results):
    log = _read(case, "production_log.csv")
    week = (pd.to_datetime(log["timestamp"]) - pd.Timestamp("2026-09-07")).dt.days // 7
    reference, current = log[week < 4], log[week >= 8]
    chat = lambda part: (part["segment"] == "chat").mean()  # noqa: E731
    assert chat(reference) == pytest.approx(0.10, abs=0.02)
    assert chat(current) == pytest.approx(0.27, abs=0.02)
    corrected = lambda part: (part["feedback"] == "corrected").mean()  # noqa: E731
    for segment in ("web form", "email", "chat"):  # flat within each channel: within 2 points
        before, after = (corrected(p[p["segment"] == segment]) for p in (reference, current))
        assert after == pytest.approx(before, abs=0.02), segment
    assert corrected(current) - corrected(reference) > 0.025  # the overall rate rose all the same
    monitoring = results["monitoring"]
    assert monitoring.metric_value("Segments above their control limit now") == 0
    assert monitoring.headline.startswith("Watch: negative feedback rose")
    assert "the traffic mix did it" in monitoring.headline
