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


# ---- clustered eval sets: the distinct input as the unit of evidence (question 6) ---------------------------

def clustered_rate(passes, clusters) -> dict:
    """A pass rate over rows that come in clusters (one distinct input run several times), and what the rows
    are worth in independent cases.

    The variance of the pass rate p̂ = Σk_c / N over clusters c (k_c passes in n_c rows) is the ratio
    estimator's, linearised (Kish 1965, *Survey Sampling* §6.4; the CR0 cluster-robust variance):
    Var(p̂) = Σ_c (k_c − p̂ n_c)² / N². The design effect is that variance over the independent-rows one,
    deff = Var(p̂) / (p̂(1 − p̂)/N), floored at 1 (rows are never worth more than independent cases), and the
    effective number of cases is n_eff = N / deff. For equal clusters of m rows it is the textbook
    1 + (m − 1)ρ, ρ the agreement within clusters (intra-class correlation): rows of one input that always
    agree give n_eff = the number of clusters; rows that vary independently give n_eff ≈ N.
    When every cluster has one row deff is exactly 1 (the usual independent-cases answer). When p̂ is 0 or 1
    the agreement cannot be estimated, and each cluster counts once (n_eff = clusters), the cautious answer.

    ``passes``: booleans per row; ``clusters``: a non-negative integer code per row (equal codes, one cluster).
    Returns ``rows``, ``clusters``, ``passes``, ``rate`` (NaN without rows), ``design_effect``, ``effective_n``.
    Example: clusters {1, 1}, {0, 0}, {1, 0}: p̂ = ½, Σ(k − p̂n)² = 1 + 1 + 0 = 2, Var = 2/36, deff = (2/36)/(1/24)
    = 4/3, n_eff = 4.5.
    """
    import numpy as np

    ok = np.asarray(passes, dtype=bool)
    codes = np.asarray(clusters)
    if ok.shape != codes.shape:
        raise ValueError("passes and clusters must have one value per row each")
    if codes.size and (not np.issubdtype(codes.dtype, np.integer) or codes.min() < 0):
        raise ValueError("clusters must be non-negative integer codes")
    n = int(ok.size)
    if n == 0:
        return {"rows": 0, "clusters": 0, "passes": 0, "rate": math.nan, "design_effect": 1.0, "effective_n": 0.0}
    size = np.bincount(codes)
    k = np.bincount(codes, weights=ok)
    present = size > 0
    size, k = size[present], k[present]
    groups, passed = int(size.size), int(ok.sum())
    rate = passed / n
    if groups == n:
        deff = 1.0
    elif passed in (0, n):
        deff = n / groups
    else:
        variance = float(np.sum((k - rate * size) ** 2)) / (n * n)
        deff = max(1.0, variance / (rate * (1 - rate) / n))
    return {"rows": n, "clusters": groups, "passes": passed, "rate": rate, "design_effect": deff,
            "effective_n": n / deff}


def clustered_interval(passes, clusters, confidence: float = 0.95) -> dict:
    """:func:`clustered_rate` with its interval: Wilson's, on the effective number of cases.

    The Wilson interval with n replaced by n_eff and the passes by p̂ · n_eff (the effective-sample-size
    Wilson interval for clustered samples, Korn & Graubard 1998, *Survey Methodology* 24:193). It stays inside
    0–1 and is sensible at 0% and 100%, where a bootstrap collapses to a point. With one row per cluster it
    is the usual Wilson interval. Adds ``low`` and ``high`` to the :func:`clustered_rate` dict ((0, 1) without
    rows).
    """
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    found = clustered_rate(passes, clusters)
    if found["rows"] == 0:
        return {**found, "low": 0.0, "high": 1.0}
    if found["design_effect"] == 1.0:
        low, high = wilson_interval(found["passes"], found["rows"], confidence)
    else:
        n_eff = found["effective_n"]
        lows, highs = wilson_intervals(found["rate"] * n_eff, n_eff, confidence)
        low, high = float(lows), float(highs)
    return {**found, "low": low, "high": high}


def distinct_cases_to_clear(rate: float, target: float, effective_n: float, distinct: int,
                            confidence: float = 0.95) -> int | None:
    """About how many more distinct inputs a pass rate that stays at ``rate`` needs to prove it clears ``target``.

    :func:`cases_to_clear` gives the independent cases needed; each distinct input is worth
    ``effective_n / distinct`` of them at the set's present duplication, so the distinct inputs needed are
    ceil(cases × distinct / effective_n), less the ``distinct`` there are (never below 0). None when no number
    of cases proves it (``rate <= target``) or there is nothing to scale from.
    """
    if distinct <= 0 or effective_n <= 0:
        return None
    needed = cases_to_clear(rate, target, confidence)
    if needed is None:
        return None
    return max(0, math.ceil(needed * distinct / effective_n - 1e-9) - distinct)


def clustered_intervals_by_group(passes, clusters, groups, confidence: float = 0.95) -> list[dict]:
    """:func:`clustered_interval` for every group at once (``groups``: integer codes 0 … g − 1 per row).

    One pass over the rows instead of one per group: Σ_c (k_c − p̂ n_c)² is expanded as
    Σk_c² − 2p̂ Σk_c n_c + p̂² Σn_c², each sum a weighted count over the (group, cluster) pairs. Returns one dict
    per group code, in order, equal to ``clustered_interval`` on that group's rows.
    """
    import numpy as np
    import pandas as pd

    ok = np.asarray(passes, dtype=bool)
    units = np.asarray(clusters, dtype=np.int64)
    codes = np.asarray(groups, dtype=np.int64)
    if not (ok.shape == units.shape == codes.shape):
        raise ValueError("passes, clusters and groups must have one value per row each")
    if codes.size and codes.min() < 0:
        raise ValueError("groups must be non-negative integer codes")
    count = int(codes.max()) + 1 if codes.size else 0
    pair, _ = pd.factorize(codes * (int(units.max()) + 1 if units.size else 1) + units)
    size = np.bincount(pair).astype(float)
    k = np.bincount(pair, weights=ok)
    owner = np.empty(len(size), dtype=np.int64)
    owner[pair] = codes
    rows = np.bincount(codes, minlength=count)
    passed = np.bincount(codes, weights=ok, minlength=count)
    groups_n = np.bincount(owner, minlength=count)
    s_kk = np.bincount(owner, weights=k * k, minlength=count)
    s_kn = np.bincount(owner, weights=k * size, minlength=count)
    s_nn = np.bincount(owner, weights=size * size, minlength=count)
    found = []
    for g in range(count):
        n, kk, clusters_g = int(rows[g]), int(round(passed[g])), int(groups_n[g])
        if n == 0:
            found.append({"rows": 0, "clusters": 0, "passes": 0, "rate": math.nan, "design_effect": 1.0,
                          "effective_n": 0.0, "low": 0.0, "high": 1.0})
            continue
        rate = kk / n
        if clusters_g == n:
            deff = 1.0
        elif kk in (0, n):
            deff = n / clusters_g
        else:
            variance = max(s_kk[g] - 2 * rate * s_kn[g] + rate * rate * s_nn[g], 0.0) / (n * n)
            deff = max(1.0, variance / (rate * (1 - rate) / n))
        if deff == 1.0:
            low, high = wilson_interval(kk, n, confidence)
        else:
            lows, highs = wilson_intervals(rate * n / deff, n / deff, confidence)
            low, high = float(lows), float(highs)
        found.append({"rows": n, "clusters": clusters_g, "passes": kk, "rate": rate, "design_effect": deff,
                      "effective_n": n / deff, "low": low, "high": high})
    return found
