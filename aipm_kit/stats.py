"""The statistics the questions use, on scipy where scipy has them.

Each function states its formula and where it comes from, so a reader can check a number by hand.
"""

from __future__ import annotations

import math


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion ``successes / n`` (scipy's ``binomtest(...).proportion_ci``).

    ``n == 0`` has no information: the interval is the whole range (0, 1).
    """
    if n == 0:
        return (0.0, 1.0)
    from scipy.stats import binomtest

    ci = binomtest(int(successes), int(n)).proportion_ci(confidence_level=confidence, method="wilson")
    return (float(ci.low), float(ci.high))


def z_value(confidence: float = 0.95) -> float:
    """Two-sided normal quantile: 1.96 for 95%."""
    from scipy.stats import norm

    return float(norm.ppf(0.5 + confidence / 2))


def sample_size_for_margin(margin: float, p: float = 0.5, confidence: float = 0.95) -> int:
    """Cases needed so a pass rate near ``p`` is known within ±``margin``: n = z² p(1−p) / margin², rounded up.

    With p = 0.5 (the worst case) and ±5% at 95%: 1.96² × 0.25 / 0.0025 = 384.2 → 385.
    """
    if not 0 < margin < 1:
        raise ValueError("margin must be between 0 and 1")
    z = z_value(confidence)
    return math.ceil(z * z * p * (1 - p) / (margin * margin) - 1e-9)


def margin_for_sample_size(n: int, p: float = 0.5, confidence: float = 0.95) -> float:
    """The ±margin ``n`` cases give on a pass rate near ``p``: z √(p(1−p)/n), the inverse of
    :func:`sample_size_for_margin`.

    300 cases at p = 0.85: 1.96 × √(0.1275 / 300) = 0.0404, about ±4%. ``n == 0`` gives no bound (infinity).
    """
    if n <= 0:
        return math.inf
    return z_value(confidence) * math.sqrt(p * (1 - p) / n)


def cohen_kappa(first_rater, second_rater) -> float:
    """Cohen's κ: how far two raters' labels agree beyond what chance alone would give.

    κ = (p_o − p_e) / (1 − p_e), where p_o is the share of items both raters labelled the same and
    p_e = Σ_k p_first(k) · p_second(k) the agreement expected if each rater labelled at random with their own
    label frequencies (Cohen 1960). Items that either rater left blank are dropped. scipy has no κ and
    scikit-learn is not a dependency, so it is written out here; the tests check it against published worked
    values. Returns NaN when it is undefined: no item rated by both, or both raters used one and the same label
    for everything (p_e = 1).
    """
    import pandas as pd

    pairs = pd.DataFrame({"first": list(first_rater), "second": list(second_rater)}).dropna()
    if pairs.empty:
        return math.nan
    first, second = pairs["first"].astype(str), pairs["second"].astype(str)
    observed = float((first == second).mean())
    expected = float(first.value_counts(normalize=True).mul(second.value_counts(normalize=True), fill_value=0).sum())
    if math.isclose(expected, 1.0):
        return math.nan
    return (observed - expected) / (1 - expected)


def threshold_tradeoff(confidence, correct, thresholds=None):
    """For each confidence threshold: how many outputs the AI handles (confidence ≥ threshold), the errors among
    them with a 95% Wilson interval (:func:`wilson_intervals`), and the share left to a person.

    ``thresholds`` defaults to 0.00, 0.01 … 1.00. Counting uses one sort and a binary search per threshold, so a
    million outputs cost a sort, not a scan per threshold. A threshold no output reaches has an error rate of
    NaN and the whole range (0, 1) as its interval.
    """
    import numpy as np
    import pandas as pd

    conf = np.asarray(confidence, dtype=float)
    right = np.asarray(correct, dtype=bool)
    grid = np.arange(101) / 100 if thresholds is None else np.asarray(thresholds, dtype=float)
    all_sorted = np.sort(conf)
    wrong_sorted = np.sort(conf[~right])
    n = len(conf)
    handled = n - np.searchsorted(all_sorted, grid, side="left")
    errors = len(wrong_sorted) - np.searchsorted(wrong_sorted, grid, side="left")
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(handled > 0, errors / np.maximum(handled, 1), np.nan)
    low, high = wilson_intervals(errors, handled)
    return pd.DataFrame({
        "threshold": grid,
        "handled": handled.astype(int),
        "errors": errors.astype(int),
        "share handled": handled / n if n else np.zeros(len(grid)),
        "error rate": rate,
        "error rate, 95% low": low,
        "error rate, 95% high": high,
        "share to a person": 1 - handled / n if n else np.ones(len(grid)),
    })


def calibration_table(confidence, correct, bins: int = 10):
    """Stated confidence against observed accuracy in ``bins`` equal-width bins of 0–1 (empty bins left out).

    Columns: ``bin`` (its range), ``outputs``, ``mean confidence``, ``accuracy``, ``gap`` (confidence − accuracy;
    positive means over-confident). A confidence of exactly 1.0 falls in the last bin.
    """
    import numpy as np
    import pandas as pd

    conf = np.asarray(confidence, dtype=float)
    right = np.asarray(correct, dtype=bool)
    index = np.minimum((conf * bins).astype(int), bins - 1)
    frame = pd.DataFrame({"bin": index, "confidence": conf, "correct": right})
    grouped = frame.groupby("bin", sort=True).agg(outputs=("correct", "size"), mean_confidence=("confidence", "mean"),
                                                  accuracy=("correct", "mean"))
    return pd.DataFrame({
        "bin": [f"{i / bins:.2f}–{(i + 1) / bins:.2f}" for i in grouped.index],
        "outputs": grouped["outputs"].to_numpy(),
        "mean confidence": grouped["mean_confidence"].to_numpy(),
        "accuracy": grouped["accuracy"].to_numpy(dtype=float),
        "gap": (grouped["mean_confidence"] - grouped["accuracy"]).to_numpy(),
    })


def expected_calibration_error(confidence, correct, bins: int = 10) -> float:
    """Expected calibration error: Σ over bins of (outputs in bin ÷ all outputs) × |accuracy − mean confidence|.

    (Guo et al. 2017, "On Calibration of Modern Neural Networks", eq. 3; equal-width bins.) scipy has no ECE.
    """
    table = calibration_table(confidence, correct, bins)
    total = table["outputs"].sum()
    if total == 0:
        return float("nan")
    return float((table["outputs"] / total * table["gap"].abs()).sum())


def mcnemar_exact(newly_failing: int, newly_fixed: int) -> float:
    """Exact McNemar test of two paired runs: two-sided p-value from the discordant pairs only.

    Under "no change" each discordant case is equally likely to go either way, so ``newly_failing`` is
    Binomial(b + c, ½): scipy's ``binomtest(b, b + c, 0.5)``. Concordant cases carry no information.
    By hand, b = 1, c = 9: p = 2 × P(X ≤ 1) = 2 × (1 + 10) / 2¹⁰ = 0.0215. No discordant pair: p = 1.
    """
    b, c = int(newly_failing), int(newly_fixed)
    if b + c == 0:
        return 1.0
    from scipy.stats import binomtest

    return float(binomtest(b, b + c, 0.5).pvalue)


def cases_to_clear(rate: float, target: float, confidence: float = 0.95, limit: int = 10_000_000) -> int | None:
    """About how many cases it takes for a pass rate that stays at ``rate`` to prove it clears ``target``.

    The smallest n whose Wilson interval around round(rate × n) of n has its low end at or above ``target``
    (binary search over n with :func:`wilson_interval`). None when ``rate <= target``: no number of cases
    proves a rate that does not clear the target, or when it would take more than ``limit`` cases.
    """
    if rate <= target:
        return None

    def clears(n: int) -> bool:
        return wilson_interval(round(rate * n), n, confidence)[0] >= target

    if not clears(limit):
        return None
    low, high = 1, limit
    while low < high:
        mid = (low + high) // 2
        if clears(mid):
            high = mid
        else:
            low = mid + 1
    return low


def majority_class_baseline(labels) -> tuple[str | None, float, int]:
    """The majority-class baseline: ``(label, accuracy, n)`` of always answering the most common label.

    Blank labels are dropped; ``n`` counts the rest. Its accuracy is the most common label's count over ``n``:
    labels ``a, a, a, b, c`` give ``("a", 0.6, 5)``. A tie goes to the label that sorts first, so the answer
    does not depend on row order. No labels at all: ``(None, nan, 0)``.
    """
    import pandas as pd

    values = pd.Series(labels, dtype=object).dropna().astype(str)
    if values.empty:
        return None, math.nan, 0
    counts = values.value_counts()
    top = counts.max()
    label = min(str(k) for k, v in counts.items() if v == top)
    return label, float(top / len(values)), int(len(values))


def p_chart_limits(centre: float, n, sigmas: float = 3.0):
    """Control limits of a p-chart (Shewhart): centre ± sigmas · √(p̄(1−p̄)/n), clipped to 0–1.

    ``n`` is one sample size or an array of them (limits widen in small weeks). Returns ``(lower, upper)``
    with the shape of ``n``; where n is 0 both are NaN. p̄ = 0.10 and n = 1,000:
    3 × √(0.09 / 1000) = 0.02846, so the limits are 0.0715 and 0.1285.
    """
    import numpy as np

    size = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.where(size > 0, sigmas * np.sqrt(centre * (1 - centre) / size), np.nan)
    lower = np.clip(centre - spread, 0.0, 1.0)
    upper = np.clip(centre + spread, 0.0, 1.0)
    if lower.ndim == 0:
        return float(lower), float(upper)
    return lower, upper


PSI_EMPTY_BIN = 1e-4  # the share an empty bin is given, so ln(a/e) stays finite (a common convention)


def population_stability_index(reference, current, bins: int = 10) -> float:
    """Population stability index of ``current`` against ``reference``: Σ (c_i − r_i) · ln(c_i / r_i).

    r_i and c_i are the shares of each sample in bin i; the bins cut the reference at its deciles (``bins``
    quantiles; tied cut points merge), and an empty bin counts as a share of ``PSI_EMPTY_BIN``. It is the
    symmetric Kullback–Leibler divergence of the two binned distributions (``scipy.stats.entropy(c, r) +
    entropy(r, c)``). The usual reading: under 0.1 stable, 0.1–0.25 a moderate shift, over 0.25 a major one.
    Shares 50/50 → 60/40: 0.1 × ln(1.2) + 0.1 × ln(1.25) = 0.0405.
    """
    import numpy as np

    ref = np.asarray(reference, dtype=float)
    cur = np.asarray(current, dtype=float)
    ref, cur = ref[~np.isnan(ref)], cur[~np.isnan(cur)]
    if ref.size == 0 or cur.size == 0:
        return math.nan
    cuts = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
    r = np.bincount(np.searchsorted(cuts, ref, side="right"), minlength=cuts.size + 1) / ref.size
    c = np.bincount(np.searchsorted(cuts, cur, side="right"), minlength=cuts.size + 1) / cur.size
    r, c = np.maximum(r, PSI_EMPTY_BIN), np.maximum(c, PSI_EMPTY_BIN)
    return float(np.sum((c - r) * np.log(c / r)))


def psi_noise_level(n_reference: int, n_current: int, bins: int = 10, quantile: float = 0.95) -> float:
    """The PSI two samples of these sizes reach by chance alone (no real shift), at ``quantile``.

    With no shift, PSI · (1/(1/N + 1/M)) is approximately chi-square with bins − 1 degrees of freedom
    (Yurdakul 2018, *Statistical properties of the population stability index*), so the level is
    (1/N + 1/M) · χ²_{bins−1}(quantile). 200 against 200 rows in 10 bins: 0.01 × 16.92 = 0.169 — a small
    window can look like a "moderate shift" with nothing changed; 4,000 against 4,000 rows: 0.0085.
    """
    from scipy.stats import chi2

    if n_reference <= 0 or n_current <= 0:
        return math.inf
    return (1 / n_reference + 1 / n_current) * float(chi2.ppf(quantile, bins - 1))


def kish_effective_sample_size(weights) -> float:
    """Kish's effective sample size of a weighted sample: (Σw)² / Σw².

    It is the number of simple random draws that estimate a rate as precisely as these weighted ones, when
    the weights are unrelated to the outcome; n / n_eff is the design effect. Weights 1, 1, 4, 4: 100 / 34 = 2.94.
    """
    import numpy as np

    w = np.asarray(weights, dtype=float)
    if w.size == 0 or not np.any(w):
        return 0.0
    return float(w.sum() ** 2 / np.sum(w * w))


def wilson_intervals(successes, n, confidence: float = 0.95):
    """Wilson score intervals for many proportions at once: arrays (low, high), with (0, 1) where n == 0.

    The same interval as :func:`wilson_interval` (scipy's ``binomtest(...).proportion_ci(method="wilson")``),
    written out because ``binomtest`` also computes an exact p-value, which takes ~40 ms at n = 1,000,000 and
    would make a 101-threshold curve take seconds. Formula (Wilson 1927): centre = (k + z²/2) / (n + z²),
    half-width = z √(k (n − k) / n + z²/4) / (n + z²). The tests check it against scipy.
    """
    import numpy as np

    k = np.asarray(successes, dtype=float)
    size = np.asarray(n, dtype=float)
    z = z_value(confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        denominator = size + z * z
        centre = (k + z * z / 2) / denominator
        half = z * np.sqrt(k * (size - k) / size + z * z / 4) / denominator
    empty = size == 0
    low = np.where(empty, 0.0, np.clip(centre - half, 0.0, 1.0))
    high = np.where(empty, 1.0, np.clip(centre + half, 0.0, 1.0))
    return low, high


# ---- mix-adjusted monitoring: direct standardisation, Kitagawa's decomposition, Cochran–Mantel–Haenszel ----
# A rate over several segments moves for two reasons: the segments' own rates change, or the traffic moves
# between segments whose rates differ (the mix). These functions keep the two apart.

def _segment_arrays(name: str, values, size: int | None = None):
    import numpy as np

    array = np.asarray(values, dtype=float)
    if array.ndim == 0 or array.shape[-1] == 0:
        raise ValueError(f"{name} must hold one value per segment")
    if size is not None and array.shape[-1] != size:
        raise ValueError(f"{name} has {array.shape[-1]} segments; expected {size}")
    return array


def _shares(name: str, values):
    import numpy as np

    share = _segment_arrays(name, values)
    if share.ndim != 1 or np.any(~np.isfinite(share)) or np.any(share < 0) or share.sum() <= 0:
        raise ValueError(f"{name} must be non-negative shares of the segments, not all zero")
    return share / share.sum()


def mix_adjusted_rate(reference_share, rate):
    """The rate the segments' ``rate`` gives at the reference mix (direct standardisation): Σ w_s · p_s.

    ``reference_share`` holds one share per segment (normalised to sum 1); ``rate`` one rate per segment, or
    an array of periods × segments. A segment with no rate (NaN: no outputs that period) is left out and the
    others' weights renormalised. Shares 0.8 / 0.2 and rates 7% / 27%: 0.8 × 0.07 + 0.2 × 0.27 = 11.0%.
    """
    import numpy as np

    share = _shares("reference_share", reference_share)
    p = _segment_arrays("rate", rate, share.size)
    present = ~np.isnan(p)
    weight = np.where(present, share, 0.0)
    total = weight.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(total > 0, np.sum(weight * np.where(present, p, 0.0), axis=-1) / total, np.nan)
    return float(value) if np.ndim(value) == 0 else value


def mix_adjusted_limits(reference_share, centre_rate, n, sigmas: float = 3.0):
    """Control limits of a mix-adjusted rate: (centre, lower, upper) for each period's segment sizes ``n``.

    With the weights w_s fixed at the reference mix, Σ w_s p̂_s has variance Σ w_s² p̄_s(1 − p̄_s) / n_s when
    nothing changed within the segments (p̄_s: each segment's reference rate), so the limits are
    Σ w_s p̄_s ± sigmas · √(that), clipped to 0–1. ``n`` is one size per segment or periods × segments; a
    segment with n = 0 that period is left out and the weights renormalised, as in :func:`mix_adjusted_rate`.
    Shares 0.5 / 0.5, rates 10% / 30%, 100 outputs each: 0.2 ± 3 √(0.25 × 0.0009 + 0.25 × 0.0021) = 0.2 ± 0.0822.
    """
    import numpy as np

    share = _shares("reference_share", reference_share)
    p = _segment_arrays("centre_rate", centre_rate, share.size)
    size = _segment_arrays("n", n, share.size)
    if np.any(np.isnan(p)) or np.any((p < 0) | (p > 1)):
        raise ValueError("centre_rate must hold rates from 0 to 1")
    if np.any(size < 0):
        raise ValueError("n must not be negative")
    weight = np.where(size > 0, share, 0.0)
    total = weight.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(total > 0, weight / total, np.nan)
        centre = np.sum(w * p, axis=-1)
        variance = np.sum(np.where(size > 0, w * w * p * (1 - p) / np.maximum(size, 1), 0.0), axis=-1)
    spread = sigmas * np.sqrt(variance)
    lower, upper = np.clip(centre - spread, 0.0, 1.0), np.clip(centre + spread, 0.0, 1.0)
    if np.ndim(centre) == 0:
        return float(centre), float(lower), float(upper)
    return centre, lower, upper


def kitagawa_decomposition(reference_share, reference_rate, current_share, current_rate):
    """Split the change of an overall rate into a mix part and a within-segment part, per segment.

    Overall rate R = Σ c_s p_s (c: segment shares, p: segment rates). Kitagawa (1955, "Components of a
    difference between two rates") splits R₂ − R₁ exactly into
    mix_s = (c₂ − c₁)(p₁ + p₂)/2 (traffic moving between segments) and
    within_s = (p₂ − p₁)(c₁ + c₂)/2 (the segment's own rate moving); Σ mix + Σ within = R₂ − R₁.
    Returns ``(mix, within)``, arrays with one value per segment. A segment absent from one period (share 0,
    rate NaN) takes the other period's rate: its whole contribution is mix, since it has no rate to compare.
    Shares 0.8 / 0.2 → 0.6 / 0.4 with rates 5% / 30% → 7% / 27%: mix −0.012 + 0.057, within 0.014 − 0.009.
    """
    import numpy as np

    c1 = _shares("reference_share", reference_share)
    c2 = _shares("current_share", current_share)
    if c1.size != c2.size:
        raise ValueError("reference_share and current_share must list the same segments")
    p1 = _segment_arrays("reference_rate", reference_rate, c1.size)
    p2 = _segment_arrays("current_rate", current_rate, c1.size)
    p1, p2 = np.where(np.isnan(p1), p2, p1), np.where(np.isnan(p2), p1, p2)
    if np.any(np.isnan(p1) & ((c1 > 0) | (c2 > 0))):
        raise ValueError("reference_rate and current_rate: a segment with traffic needs a rate in one period")
    p1, p2 = np.nan_to_num(p1), np.nan_to_num(p2)
    if np.any((p1 < 0) | (p1 > 1) | (p2 < 0) | (p2 > 1)):
        raise ValueError("reference_rate and current_rate must be rates from 0 to 1")
    return (c2 - c1) * (p1 + p2) / 2, (p2 - p1) * (c1 + c2) / 2


def cochran_mantel_haenszel(events, n, reference_events, reference_n, correction: bool = False) -> dict:
    """Cochran–Mantel–Haenszel test that a rate differs between two periods *within* segments (strata).

    Each segment s is a 2 × 2 table: ``events``/``n`` now, ``reference_events``/``reference_n`` before.
    Under "no change within segments" the events now, a_s, have expectation E_s = n_s m_s / N_s and variance
    V_s = n_s n'_s m_s (N_s − m_s) / (N_s² (N_s − 1)) (m_s: events in both periods, N_s: outputs in both), so
    X² = (|Σ (a_s − E_s)| − ½·correction)² / Σ V_s is chi-square with 1 degree of freedom
    (Mantel & Haenszel 1959). A shift of traffic between segments does not move it. The Mantel–Haenszel common
    odds ratio Σ (a_s d_s / N_s) / Σ (b_s c_s / N_s) says which way and how far. Segments with fewer than 2
    outputs carry no information and are skipped. statsmodels' ``StratifiedTable.test_null_odds`` computes the
    same; it is not a dependency, so this is written on scipy.

    Returns ``{"statistic", "p", "odds_ratio", "excess"}``; ``excess`` = Σ (a_s − E_s), the events now above what
    an unchanged rate would give. Worked by hand in ``tests/test_monitoring.py``. NaN when no segment informs.
    """
    import numpy as np
    from scipy.stats import chi2

    a = _segment_arrays("events", events)
    size = _segment_arrays("n", n, a.size)
    c = _segment_arrays("reference_events", reference_events, a.size)
    ref = _segment_arrays("reference_n", reference_n, a.size)
    for name, k, m in (("events", a, size), ("reference_events", c, ref)):
        if k.ndim != 1 or np.any(k < 0) or np.any(k > m) or np.any(~np.isfinite(k)) or np.any(~np.isfinite(m)):
            raise ValueError(f"{name} must be counts from 0 to their n, one per segment")
    total = size + ref
    keep = total >= 2
    a, size, c, ref, total = a[keep], size[keep], c[keep], ref[keep], total[keep]
    events_all = a + c
    expected = size * events_all / total
    variance = size * ref * events_all * (total - events_all) / (total * total * (total - 1))
    excess = float(np.sum(a - expected))
    b, d = size - a, ref - c
    top, bottom = float(np.sum(a * d / total)), float(np.sum(b * c / total))
    odds = top / bottom if bottom > 0 else (math.inf if top > 0 else math.nan)
    if variance.sum() <= 0:
        return {"statistic": math.nan, "p": math.nan, "odds_ratio": odds, "excess": excess}
    statistic = max(abs(excess) - (0.5 if correction else 0.0), 0.0) ** 2 / float(variance.sum())
    return {"statistic": statistic, "p": float(chi2.sf(statistic, 1)), "odds_ratio": odds, "excess": excess}


def sigmas_for_many_charts(charts: int, sigmas: float = 3.0) -> float:
    """How many standard errors each of ``charts`` control charts needs so that a false alarm on any of them is
    no likelier than on one chart at ``sigmas`` (Bonferroni: each gets the one-sided tail P(Z > sigmas) /
    charts). One chart: 3.0; three: z at 0.00135 / 3 = 0.00045, 3.32; six: 3.51. Without it, 20 segments
    charted at 3σ give a false alarm in about one week in 37 instead of one in 740.
    """
    from scipy.stats import norm

    if charts < 1 or int(charts) != charts:
        raise ValueError("charts must be a whole number of at least 1")
    if not sigmas > 0:
        raise ValueError("sigmas must be positive")
    return float(norm.isf(norm.sf(sigmas) / int(charts)))
