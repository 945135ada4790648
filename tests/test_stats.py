"""``aipm_kit.stats`` at its edges: the saw-tooth of a rounded rate, planning with power, the PSI floor, labels
compared by value, and a clear ValueError for every argument a function cannot use.

The values are checked by brute force against scipy directly (not through stats.py) or by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binomtest

from aipm_kit import stats
from aipm_kit.stats import (
    PSI_FLOOR,
    cases_to_clear,
    cases_to_clear_with_power,
    cohen_kappa,
    population_stability_index,
)


def _wilson_low(k: int, n: int, confidence: float = 0.95) -> float:
    """scipy directly, independent of stats.py."""
    return binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson").low


# ---- cases_to_clear: the smallest n from which every larger n clears ----------------------------------------

def test_cases_to_clear_is_where_the_saw_tooth_stops_failing_by_brute_force():
    # Every n from 1 to 3,000: does round(0.92 n) of n have a Wilson low end ≥ 0.90?
    clears = {n: _wilson_low(round(0.92 * n), n) >= 0.90 for n in range(1, 3001)}
    first_crossing = min(n for n, ok in clears.items() if ok)
    last_failure = max(n for n, ok in clears.items() if not ok)
    assert first_crossing == 830 and clears[874]  # 874 was the old binary search's answer; some n after it fail
    assert not clears[907]  # 92% of 907 is 834.44 → 834 passes: low end 0.89999 …
    assert last_failure == 907  # … and from 908 on every n clears (up to 3,000 here; the bound in the
    assert cases_to_clear(0.92, 0.90) == 908  # docstring covers every n past it)
    # Past 3,000 the worst rounding (k = 0.92 n − ½) still clears: the bound the function relies on.
    for n in (3001, 5000, 20_000):
        assert _wilson_low(math.ceil(0.92 * n - 0.5), n) >= 0.90


@pytest.mark.parametrize("rate, target, confidence", [(0.95, 0.90, 0.95), (0.80, 0.70, 0.90), (0.99, 0.95, 0.99),
                                                      (0.5, 0.3, 0.95)])
def test_cases_to_clear_matches_a_brute_force_scan(rate, target, confidence):
    answer = cases_to_clear(rate, target, confidence)
    scan = range(1, 3 * answer + 200)
    failing = [n for n in scan if _wilson_low(round(rate * n), n, confidence) < target]
    assert answer == max(failing, default=0) + 1


def test_cases_to_clear_has_no_answer_for_a_rate_that_does_not_clear():
    assert cases_to_clear(0.90, 0.90) is None and cases_to_clear(0.5, 0.9) is None
    assert cases_to_clear(0.9001, 0.90, limit=1000) is None  # it would take far more than 1,000


# ---- cases_to_clear_with_power: the planning figure -------------------------------------------------------------

def _power_exactly(n: int, rate: float, target: float) -> float:
    """P(Wilson low end of X/n ≥ target) for X ~ Binomial(n, rate): the least k that clears by scipy's interval,
    then the binomial tail summed term by term with log-gamma (no scipy.stats.binom)."""
    k = math.floor(n * target)
    while _wilson_low(k, n) < target:
        k += 1
    log_pmf = [math.lgamma(n + 1) - math.lgamma(j + 1) - math.lgamma(n - j + 1) + j * math.log(rate)
               + (n - j) * math.log(1 - rate) for j in range(k, n + 1)]
    return sum(math.exp(v) for v in log_pmf)


def test_cases_to_clear_with_power_by_an_exact_binomial_computation():
    n = cases_to_clear_with_power(0.92, 0.90)
    # The normal approximation ((1.96 × 0.3 + 0.8416 × 0.2713) / 0.02)² = 1,666 is the neighbourhood; the exact
    # chance is a saw-tooth (about ±1.5 points) around 80% between 1,617 and 1,702.
    assert 1600 < n < 1750
    assert _power_exactly(n - 1, 0.92, 0.90) < 0.80
    assert all(_power_exactly(m, 0.92, 0.90) >= 0.80 for m in range(n, n + 120, 7))
    assert _power_exactly(1617, 0.92, 0.90) >= 0.80 > _power_exactly(1616, 0.92, 0.90)  # where it first reaches 80%
    assert cases_to_clear_with_power(0.92, 0.90) > 1.8 * cases_to_clear(0.92, 0.90)  # 908 assumed luck


def test_cases_to_clear_with_power_by_simulation():
    # 4,000 eval sets of n cases at a true 92%: about 80% of them prove 90% (binomial sd of the share 0.6 points)
    n = cases_to_clear_with_power(0.92, 0.90)
    passes = np.random.default_rng(7).binomial(n, 0.92, size=4000)
    clears = {int(k): _wilson_low(int(k), n) >= 0.90 for k in np.unique(passes)}  # scipy once per distinct k
    proved = np.mean([clears[int(k)] for k in passes])
    assert 0.78 <= proved <= 0.84


def test_more_power_or_a_closer_target_needs_more_cases():
    assert cases_to_clear_with_power(0.92, 0.90, power=0.9) > cases_to_clear_with_power(0.92, 0.90)
    assert cases_to_clear_with_power(0.95, 0.90) < cases_to_clear_with_power(0.92, 0.90)
    assert cases_to_clear_with_power(0.90, 0.90) is None


def test_question_6_self_check_quotes_the_planning_figure():
    from aipm_kit.questions.evaluation import self_check

    checks = self_check()

    figure = round(cases_to_clear_with_power(0.92, 0.90), -2)
    assert f"about {figure:,} cases" in checks[0].why
    assert "870" not in checks[0].why


# ---- PSI: every share below the floor counts as the floor -----------------------------------------------------------

def test_psi_floors_every_share_below_the_floor_not_only_empty_bins():
    # Two bins cut at the reference's median (0.5). The current sample has 1 row of 20,000 in the second bin:
    # a share of 0.00005, below the floor 0.0001, so it counts as 0.0001.
    reference = np.repeat([0.0, 1.0], [10_000, 10_000])
    one_row = np.repeat([0.0, 1.0], [19_999, 1])
    by_hand = (0.99995 - 0.5) * math.log(0.99995 / 0.5) + (0.0001 - 0.5) * math.log(0.0001 / 0.5)
    assert PSI_FLOOR == 0.0001
    assert population_stability_index(reference, one_row, bins=2) == pytest.approx(by_hand, rel=1e-12)
    # An empty second bin counts as 0.0001 too: no emptier than one row, so never a smaller shift.
    empty = np.zeros(20_000)
    assert population_stability_index(reference, empty, bins=2) == pytest.approx(
        0.5 * math.log(2) + (0.0001 - 0.5) * math.log(0.0001 / 0.5), rel=1e-12)
    assert population_stability_index(reference, empty, bins=2) >= \
        population_stability_index(reference, one_row, bins=2)
    # Above the floor nothing changes: 2 rows of 10,000 (0.0002) is used as it is.
    two_rows = np.repeat([0.0, 1.0], [9_998, 2])
    exact = (0.9998 - 0.5) * math.log(0.9998 / 0.5) + (0.0002 - 0.5) * math.log(0.0002 / 0.5)
    assert population_stability_index(reference, two_rows, bins=2) == pytest.approx(exact, rel=1e-12)


# ---- kappa compares labels by value --------------------------------------------------------------------------------

def test_kappa_compares_labels_by_value():
    # Both raters wrote the same four labels; one column came back as floats (it had a blank), one as text.
    first = [1, 0, 1, 1, None]
    assert cohen_kappa(first, [1.0, 0.0, 1.0, 1.0, 0.0]) == 1.0
    assert cohen_kappa(first, ["1", "0", "1", "1", "0"]) == 1.0
    assert cohen_kappa(np.array([1, 2, 2]), ["1.0", "2", "2.0"]) == 1.0
    # and the mirror: different values stay different (κ = −1 for two labels swapped, as by hand)
    assert cohen_kappa([1, 0], [0.0, 1.0]) == pytest.approx(-1.0)
    assert cohen_kappa(["Yes", "No"], ["yes", "No"]) == pytest.approx(1 / 3)  # p_o = ½, p_e = ¼ → (½ − ¼)/(¾)
    assert cohen_kappa([True, False], ["True", "False"]) == 1.0


# ---- every function says which argument it cannot use ---------------------------------------------------------------

INVALID = [
    ("wilson_interval", (-1, 10), "successes"),
    ("wilson_interval", (11, 10), "successes"),
    ("wilson_interval", (3, -10), "n"),
    ("wilson_interval", (2.5, 10), "successes"),
    ("wilson_interval", (5, 10, 1.0), "confidence"),
    ("wilson_interval", (5, 10, 0), "confidence"),
    ("z_value", (1.5,), "confidence"),
    ("sample_size_for_margin", (0.05, 1.2), "p"),
    ("sample_size_for_margin", (0.0,), "margin"),
    ("sample_size_for_margin", (0.05, 0.5, 0.0), "confidence"),
    ("margin_for_sample_size", (-5,), "n"),
    ("margin_for_sample_size", (100, -0.1), "p"),
    ("margin_for_sample_size", (100, 0.5, 2), "confidence"),
    ("cohen_kappa", ([1, 2], [1]), "first_rater and second_rater"),
    ("threshold_tradeoff", ([0.5, 1.5], [True, False]), "confidence"),
    ("threshold_tradeoff", ([0.5, 0.7], [True]), "confidence and correct"),
    ("calibration_table", ([0.5, -0.1], [True, False]), "confidence"),
    ("calibration_table", ([0.5], [True], 0), "bins"),
    ("expected_calibration_error", ([float("nan")], [True]), "confidence"),
    ("mcnemar_exact", (-2, 2), "newly_failing"),
    ("mcnemar_exact", (2, -2), "newly_fixed"),
    ("cases_to_clear", (1.2, 0.9), "rate"),
    ("cases_to_clear", (0.95, -0.1), "target"),
    ("cases_to_clear", (0.95, 0.9, 1.5), "confidence"),
    ("cases_to_clear", (0.95, 0.9, 0.95, 0), "limit"),
    ("cases_to_clear_with_power", (0.95, 0.9, 1.0), "power"),
    ("cases_to_clear_with_power", (-0.95, 0.9), "rate"),
    ("p_chart_limits", (0.1, 100, 0), "sigmas"),
    ("p_chart_limits", (0.1, 100, -3), "sigmas"),
    ("p_chart_limits", (1.1, 100), "centre"),
    ("p_chart_limits", (0.1, [100, -1]), "n"),
    ("population_stability_index", ([1, 2], [1, 2], 0), "bins"),
    ("psi_noise_level", (-1, 100), "n_reference"),
    ("psi_noise_level", (100, -1), "n_current"),
    ("psi_noise_level", (100, 100, 1), "bins"),
    ("psi_noise_level", (100, 100, 10, 1.0), "quantile"),
    ("kish_effective_sample_size", ([1, -1],), "weights"),
    ("wilson_intervals", ([5, 11], [10, 10]), "successes"),
    ("wilson_intervals", ([5], [-10]), "n"),
    ("wilson_intervals", ([5], [10], 1.0), "confidence"),
]


@pytest.mark.parametrize("name, args, argument", INVALID, ids=[f"{n}{a}" for n, a, _ in INVALID])
def test_invalid_input_is_a_value_error_naming_the_argument(name, args, argument):
    with pytest.raises(ValueError, match=rf"^{argument}\b"):
        getattr(stats, name)(*args)


def test_valid_edges_still_answer():
    assert stats.wilson_interval(0, 0) == (0.0, 1.0)
    assert stats.wilson_interval(10.0, 10) == pytest.approx((0.7225, 1.0), abs=1e-4)  # a whole float is a count
    assert stats.mcnemar_exact(0, 0) == 1.0
    assert stats.margin_for_sample_size(0) == math.inf
    assert stats.psi_noise_level(0, 10) == math.inf
    assert stats.kish_effective_sample_size([]) == 0.0


def test_the_weekly_sample_that_catches_a_rise_is_the_textbook_one_sample_size():
    from scipy.stats import binom

    from aipm_kit.stats import sample_size_to_detect_rise

    # 10% → 15%, one-sided 95%, 80% power: (1.6449 × √0.09 + 0.8416 × √0.1275) / 0.05 = 15.879; 15.879² = 252.1
    n = sample_size_to_detect_rise(0.10, 0.15)
    assert n == 253
    # checked with the exact binomial test at that size: reject when X ≥ k, the least k with P(X ≥ k | 10%) ≤ 5%;
    # the chance of that at 15% is close to the 80% asked for (the normal approximation is within a few points)
    k = int(binom.isf(0.05, n, 0.10)) + 1
    assert binom.sf(k - 1, n, 0.10) <= 0.05
    assert binom.sf(k - 1, n, 0.15) == pytest.approx(0.80, abs=0.04)
    with pytest.raises(ValueError, match="raised"):
        sample_size_to_detect_rise(0.15, 0.10)
