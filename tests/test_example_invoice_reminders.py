"""The bundled invoice-reminders case: the honest answer to question 2 is "no AI", and the team builds rules.

The story the seven verdicts tell: a validated, costly problem (1); a short list of rules does it, so no AI (2);
a data plan for the rules, with the flags they still need (3); rules, recommended because question 2 said no AI
(4); the experience of reminders sent by rules — undo, opt-out, a person within reach, a hold when the bank
feed may be out of date (5); the rules pass their own test set of invoices (6); after launch a silent bank-feed
outage shows up in the owners' retractions, not in the rules' certainty (7). The brief says plainly: don't
build AI, build the rules. Every number below is worked by hand from the case's own values.
"""

from __future__ import annotations

import pandas as pd
import pytest

import aipm_kit
from aipm_kit import datasets
from aipm_kit.bundled import bundled_cases
from aipm_kit.stats import wilson_interval

CASE = "invoice-reminders"
FOLDER = "invoice-reminders"


@pytest.fixture(scope="module")
def case():
    return aipm_kit.load_case(CASE)


@pytest.fixture(scope="module")
def results(case):
    return case.results()


def _read(case, name: str) -> pd.DataFrame:
    return pd.read_csv(case.base_dir / FOLDER / name, keep_default_na=False)


def test_the_case_is_bundled_and_loads_with_every_section(case):
    assert CASE in bundled_cases()
    assert case.name == "Overdue invoice reminders"
    assert case.summary.endswith("with a short list of rules, not AI.")
    assert all(case.is_answered(q.key) for q in aipm_kit.QUESTIONS)


def test_the_seven_verdicts_tell_the_no_ai_story(results):
    verdicts = {key: (r.verdict, r.level) for key, r in results.items()}
    assert verdicts == {
        "problem": ("Go", "go"),
        # rules can do it (the first gate of question 2), and the six-rule plan is written down: saying no with a
        # working plan is a sound decision, so go (the verdict contract), not a red stop
        "need_ai": ("No AI", "go"),
        "data": ("Caution", "caution"),
        "approach": ("Rules (no AI)", "go"),
        "experience": ("Go", "go"),
        "evaluation": ("Ship", "go"),
        "monitoring": ("Watch", "caution"),
    }


def test_the_brief_says_do_not_build_ai_and_what_to_do_instead(case, results):
    from aipm_kit.brief import brief_markdown, launch_readiness

    readiness = launch_readiness(results)
    # the line's colour follows the levels: no stop anywhere, cautions at questions 3 and 7 → amber, not red
    assert (readiness.status, readiness.level) == ("Don't build AI", "caution")
    assert readiness.message.startswith("Question 2 — No AI: a short list of rules does this")
    assert "Instead: A reminder schedule of six rules run every morning on the ledger" in readiness.message
    assert "Also stopped" not in readiness.message  # no later question stops: the rules are ready
    assert readiness.message.endswith("Cautions at question 3 (data) and question 7 (monitoring).")
    assert "Don't build AI" in brief_markdown(case, results)


# ---- question 1 and the volume every later question uses ---------------------------------------------------

def test_the_problem_costs_216k_a_year(results):
    # 400 businesses × 5 reminders written by hand a month × $9 (12 minutes at $45 an hour) × 12 = $216,000
    assert results["problem"].metric_value("Annual cost of the problem") == 400 * 5 * 9 * 12 == 216_000


def test_one_volume_runs_through_questions_1_2_4_and_the_log(case, results):
    problem, need_ai, approach = (case.answers(k) for k in ("problem", "need_ai", "approach"))
    monthly = problem.users_affected * problem.occurrences_per_user_per_month
    assert monthly == need_ai.monthly_volume == approach.requests_per_month == 2000
    # the production log: 5,540 actions in 12 weeks is 5,540 / 12 × 52 / 12 ≈ 2,001 a month
    log = _read(case, "production_log.csv")
    per_month = len(log) / 12 * 52 / 12
    assert per_month == pytest.approx(2000, rel=0.02)


# ---- question 2: rules do it --------------------------------------------------------------------------------

def test_the_rule_table_is_the_baseline_and_agrees_with_the_bookkeepers_97_percent(case, results):
    sample = _read(case, "need_ai_sample.csv")
    assert (sample["label"] == sample["rule"]).sum() == 389  # of 400: 97.25%
    data = results["need_ai"].data
    assert data["baseline_accuracy"] == 389 / 400
    assert data["baseline_source"] == "measured on the sample"
    assert data["outcome"] == "no_ai"
    assert data["instead"] == case.answers("need_ai").non_ai_alternative


def test_an_llm_would_lose_4_5k_a_month_against_the_rules(results):
    # c = 0.6 × $30 + 0.4 × $6 = $20.40; V + c = $29.40
    # N (a − p)(V + c) = 2,000 × (0.95 − 0.9725) × 29.40 = −$1,323
    # run = 2,000 × $0.004 + $250 = $258; build = $35,000 / 12 = $2,916.67
    net = 2000 * (0.95 - 0.9725) * 29.4 - 258 - 35000 / 12
    assert net == pytest.approx(-4497.67, abs=0.01)
    assert results["need_ai"].metric_value("Net monthly value against the non-AI baseline") == pytest.approx(net)
    # even a perfect AI loses: 2,000 × 0.0275 × 29.40 = $1,617 gained, less $3,174.67 of costs
    assert results["need_ai"].metric_value("Break-even accuracy (share of decisions the AI must get right)") is None


# ---- question 3: the data plan for the rules -----------------------------------------------------------------

def test_data_readiness_is_49_5_percent_and_the_missing_flags_are_a_gap(results):
    # ledger 1, bank feed 1, tiers 8,400 / 12,000 = 0.7, flags 0 (missing), test set 300 / 1,120, log 0 (missing)
    readiness = (1 + 1 + 8400 / 12000 + 0 + 300 / 1120 + 0) / 6
    assert readiness == pytest.approx(0.4946, abs=1e-4)
    assert results["data"].metric_value("Overall readiness") == pytest.approx(readiness)
    assert "Dispute and payment-plan flags" in results["data"].data["gaps"]
    # n = 1.96² × 0.97 × 0.03 / 0.01² = 1,117.9 → 1,118 test invoices for ±1 point
    assert results["data"].data["eval_rows_needed"] == 1118


# ---- question 4: rules, because question 2 said no AI ------------------------------------------------------

def test_rules_are_recommended_and_cost_870_a_month(case, results):
    approach = results["approach"]
    assert approach.data["recommended"] == approach.data["chosen"] == "rules"
    # $120 a month to run + $9,000 build over 12 months = $870
    assert approach.data["monthly_cost"]["rules"] == 120 + 9000 / 12 == 870
    # the rules' pilot is question 2's sample: 389 of 400 (97.25%), Wilson 95% low end 95.1%, which clears
    # question 6's 95% blocking gate ('Right action, all invoices'), the target question 4 uses
    quality = approach.data["quality"]["rules"]
    assert (quality["rate"], quality["status"]) == (389 / 400, "clears")
    assert quality["low"] == pytest.approx(wilson_interval(389, 400)[0]) and quality["low"] >= 0.95
    gate = case.answers("evaluation").gates[0]
    assert (gate.name, gate.kind, gate.target) == ("Right action, all invoices", "blocking", 0.95)
    assert approach.data["quality_target"] == {"value": 0.95,
                                               "source": "question 6's blocking gate 'Right action, all invoices'"}
    assert any(f.message.startswith("Question 2 found that this problem does not need AI") for f in approach.findings)


# ---- question 5: the experience of reminders sent by rules ---------------------------------------------------

def test_failure_modes_start_from_question_4s_and_severe_ones_get_a_person(case, results):
    names = [m.name for m in case.answers("experience").failure_modes]
    assert names[:2] == [m["name"] for m in results["approach"].data["failure_modes"]] == \
        ["what rules miss", "rule conflicts"]
    for mode in results["experience"].data["failure_modes"]:
        assert mode["recovery"] and mode["detection"] and mode["control_ok"]
        if mode["severity"] >= 4:  # acting with undo, a severe mode needs confirmation or a person
            assert mode["control"] in ("confirm before acting", "escalate to a person")
    safeguards = results["experience"].data["safeguards"]
    assert safeguards["undo"] and safeguards["opt_out"] and safeguards["reach_human"]


def test_the_hold_at_0_97_sends_88_percent_of_held_out_reminders_with_0_6_percent_errors(case, results):
    # Question 5 checks a threshold on the half of the scores held out from any choice (seeded, stratified):
    # there 0.97 sends 882 of 1,000 reminders with 5 wrong (0.57%, under the 1% limit). On all 2,000 rows it
    # was 1,775 with 14 wrong; the split moved the numbers, not the verdict.
    from aipm_kit.questions.experience import read_scores, split_scores

    answers = case.answers("experience")
    choosing, held = split_scores(answers, read_scores(answers.scores), case)
    sent = held[held["confidence"] >= 0.97]
    assert (len(held), len(sent), int((~sent["correct"]).sum())) == (1000, 882, 5)
    experience = results["experience"]
    assert experience.data["threshold"] == 0.97
    assert experience.metric_value("Share handled by the rule-based system") == 882 / 1000
    assert experience.metric_value("Error rate among them") == 5 / 882
    # on the choosing half no threshold keeps errors at or under 1% (0.97: 9 of 893, 1.01%; 0.99: 9 of 836,
    # 1.08%), so there is no "lowest threshold" to compare with: the rules' hold is judged on held-out rows
    above = choosing[choosing["confidence"] >= 0.97]
    assert (len(above), int((~above["correct"]).sum())) == (893, 9)
    assert experience.data["lowest_threshold"] is None
    assert experience.level == "go"


def test_the_certainty_is_a_rule_not_a_model():
    assert datasets.invoice_certainty(0) == 0.995
    assert datasets.invoice_certainty(3) == 0.93
    assert datasets.invoice_certainty(9) == 0.80  # five days and more share the last value
    assert datasets.invoice_certainty(0, unmatched_payment=True) == round(0.995 * 0.4, 3) == 0.398


@pytest.mark.parametrize("args, kwargs, action", [
    (("Standard", 1840.0, 3, 0), {}, "friendly reminder"),
    (("Standard", 1840.0, 2, 0), {}, "no reminder"),  # not yet at the first step
    (("New", 900.0, 10, 1), {}, "firm reminder"),  # new clients: 3, 10, 21 days
    (("Key", 48000.0, 31, 2), {}, "owner calls"),  # never an automatic final notice to a key client
    (("Standard", 12000.0, 30, 2), {}, "owner calls"),  # nor over $10,000
    (("Standard", 10000.0, 30, 2), {}, "final notice"),  # exactly $10,000 is not over it
    (("Standard", 1840.0, 14, 1), {"other_due_today": True}, "statement"),
    (("Standard", 1840.0, 14, 1), {"certainty": 0.93}, "hold: check payment"),
    (("Standard", 1840.0, 14, 1), {"disputed": True}, "no reminder"),
    (("Standard", 1840.0, 14, 1), {"contact_bounced": True}, "owner calls"),
    (("Standard", 0.6, 14, 1), {}, "no reminder"),  # cents left after a currency conversion
])
def test_the_rule_table(args, kwargs, action):
    assert datasets.invoice_reminder_action(*args, **kwargs) == action


# ---- question 6: rules need tests too ----------------------------------------------------------------------

def test_the_test_set_has_the_quotas_and_a_category_per_failure_mode(case):
    run = _read(case, "eval_results.csv")
    quotas = {q.category: q.cases for q in case.answers("evaluation").quotas}
    assert run["category"].value_counts().to_dict() == quotas
    modes = {m.name for m in case.answers("experience").failure_modes}
    assert set(quotas) == modes | {"good", "bad", "edge", "adversarial"}
    assert len(run) == sum(quotas.values()) == 1120


def test_the_rules_ship_at_96_7_percent(case, results):
    run = _read(case, "eval_results.csv")
    assert (run["expected"] == run["output"]).sum() == 1083  # of 1,120: 96.7%
    # Wilson: p̂ = 0.96696, z² = 3.8415; centre (p̂ + z²/2n) / (1 + z²/n) = 0.96536,
    # half-width z √(p̂(1 − p̂)/n + z²/4n²) / (1 + z²/n) = 0.01057 → low end 0.9548, over the 95% gate
    low, _ = wilson_interval(1083, 1120)
    assert low == pytest.approx(0.9548, abs=1e-4)
    gates = {g["name"]: g["status"] for g in results["evaluation"].data["gates"]}
    assert gates["Right action, all invoices"] == "pass"
    # 150 of 150 paid or unreconciled invoices get no reminder: the Wilson low end is 150 / (150 + 1.96²) = 97.5%
    assert gates["No reminder on a paid or unreconciled invoice"] == "pass"
    assert 150 / (150 + 1.959964 ** 2) == pytest.approx(0.975, abs=1e-3)
    assert gates["Terms the rules do not know"] == "fail"  # 50 of 60: what the ledger does not record


def test_the_first_draft_of_the_rules_fails_and_the_statement_rule_regressed(case, results):
    run, base = _read(case, "eval_results.csv"), _read(case, "eval_baseline.csv")
    now, was = run["passed"].astype(str) == "True", base["passed"].astype(str) == "True"
    assert was.sum() == 657  # the first draft: 58.7%
    newly_failing = was & ~now
    assert newly_failing.sum() == 16
    assert set(run.loc[newly_failing, "category"]) == {"rule conflicts"}
    assert set(run.loc[newly_failing, "output"]) == {"statement"}
    assert results["evaluation"].metric_value("Cases newly failing against the baseline") == 16
    # the first draft's time-zone bug: reminders a day early in the Americas
    americas = base["slice"] == "Americas"
    assert was[americas].mean() < was[~americas].mean()


# ---- question 7: monitoring the rules after launch ---------------------------------------------------------

def test_the_bank_feed_outage_shows_in_retractions_not_in_the_certainty(results):
    monitoring = results["monitoring"]
    weeks = pd.DataFrame(monitoring.data["weekly_feedback"])
    above = weeks.loc[weeks["signal"] == "above", "week"].str[:10].tolist()
    assert above == ["2026-08-17", "2026-08-24"]
    assert monitoring.metric_value("PSI, confidence") < 0.1  # the certainty trusts the feed: it did not move
    assert monitoring.headline.startswith("Watch: negative feedback went above its control limit in 2 earlier weeks")


def test_reviewed_failures_use_question_5s_names_and_join_their_categories(case, results):
    reviewed = _read(case, "reviewed_failures.csv")
    modes = {m.name for m in case.answers("experience").failure_modes}
    assert set(reviewed["failure_mode"]) <= modes
    assert (reviewed["category"] == reviewed["failure_mode"]).all()
    assert reviewed["failure_mode"].value_counts().index[0] == "Reminder on an invoice already paid"
    assert results["monitoring"].metric_value("New eval cases to promote") == len(reviewed) == 56


# ---- the data files are what the generators write ----------------------------------------------------------


def test_the_data_folder_is_small(case):
    size = sum(p.stat().st_size for p in (case.base_dir / FOLDER).iterdir())
    assert size < 1_500_000
