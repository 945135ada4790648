"""The statistics the questions use, on scipy where scipy has them.

Each function states its formula and where it comes from, so a reader can check a number by hand.
"""

from __future__ import annotations

import math
import numbers

# ---- argument checks: every function names the argument it cannot use ---------------------------------


def _count(value, name: str):
    """A whole number ≥ 0 (an int, or a float such as 46.0 with no fraction), returned as an int."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) \
            or value != int(value) or value < 0:
        raise ValueError(f"{name} must be a whole number of at least 0, found {value!r}")
    return int(value)


def _share(value, name: str, low_open: bool = False, high_open: bool = False) -> float:
    """A number in 0–1; ``low_open`` / ``high_open`` exclude 0 / 1."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value) \
        and (0 < value if low_open else 0 <= value) and (value < 1 if high_open else value <= 1)
    if not ok:
        bounds = f"{'above' if low_open else 'from'} 0 {'and below' if high_open else 'to'} 1"
        raise ValueError(f"{name} must be a number {bounds}, found {value!r}")
    return float(value)


def _confidence(value) -> float:
    return _share(value, "confidence", low_open=True, high_open=True)


def _counts(values, name: str):
    """An array of whole numbers ≥ 0."""
    import numpy as np

    array = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(array)) or np.any(array < 0) or np.any(array != np.floor(array)):
        raise ValueError(f"{name} must hold whole numbers of at least 0")
    return array


def _shares(values, name: str):
    """An array of numbers in 0–1 (no NaN)."""
    import numpy as np

    array = np.asarray(values, dtype=float)
    if array.ndim != 1 or np.any(np.isnan(array)) or np.any(array < 0) or np.any(array > 1):
        raise ValueError(f"{name} must be a list of numbers from 0 to 1")
    return array


def _same_length(first, second, names: str) -> None:
    if len(first) != len(second):
        raise ValueError(f"{names} must have the same length, found {len(first)} and {len(second)}")


def _bins(value, name: str = "bins", least: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < least:
        raise ValueError(f"{name} must be a whole number of at least {least}, found {value!r}")
    return int(value)


# ---- the statistics ------------------------------------------------------------------------------------


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion ``successes / n`` (scipy's ``binomtest(...).proportion_ci``).

    ``n == 0`` has no information: the interval is the whole range (0, 1). ValueError for counts that are not
    whole numbers ≥ 0, ``successes > n``, or a confidence outside (0, 1).
    """
    successes, n, confidence = _count(successes, "successes"), _count(n, "n"), _confidence(confidence)
    if successes > n:
        raise ValueError(f"successes ({successes}) must not exceed n ({n})")
    if n == 0:
        return (0.0, 1.0)
    from scipy.stats import binomtest

    ci = binomtest(successes, n).proportion_ci(confidence_level=confidence, method="wilson")
    return (float(ci.low), float(ci.high))


def z_value(confidence: float = 0.95) -> float:
    """Two-sided normal quantile: 1.96 for 95%."""
    from scipy.stats import norm

    return float(norm.ppf(0.5 + _confidence(confidence) / 2))


def sample_size_for_margin(margin: float, p: float = 0.5, confidence: float = 0.95) -> int:
    """Cases needed so a pass rate near ``p`` is known within ±``margin``: n = z² p(1−p) / margin², rounded up.

    With p = 0.5 (the worst case) and ±5% at 95%: 1.96² × 0.25 / 0.0025 = 384.2 → 385.
    """
    _share(margin, "margin", low_open=True, high_open=True)
    _share(p, "p")
    z = z_value(confidence)
    return math.ceil(z * z * p * (1 - p) / (margin * margin) - 1e-9)


def margin_for_sample_size(n: int, p: float = 0.5, confidence: float = 0.95) -> float:
    """The ±margin ``n`` cases give on a pass rate near ``p``: z √(p(1−p)/n), the inverse of
    :func:`sample_size_for_margin`.

    300 cases at p = 0.85: 1.96 × √(0.1275 / 300) = 0.0404, about ±4%. ``n == 0`` gives no bound (infinity).
    """
    n, p = _count(n, "n"), _share(p, "p")
    _confidence(confidence)
    if n == 0:
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

    Labels compare by value, not by how a file happened to store them: a number and text that reads as that
    number are one label (1, 1.0, ``"1"``, ``"1.0"``): pandas reads a column with a blank as floats (1.0)
    and a column with a word in it as text ("1"), and two raters who both wrote 1 agree. Other text compares
    exactly (``"Yes"`` is not ``"yes"``); True and False are text too. ValueError when the two lists differ
    in length.
    """
    import pandas as pd

    first_rater, second_rater = list(first_rater), list(second_rater)
    _same_length(first_rater, second_rater, "first_rater and second_rater")
    pairs = pd.DataFrame({"first": first_rater, "second": second_rater}, dtype=object).dropna()
    if pairs.empty:
        return math.nan
    first, second = pairs["first"].map(_label_value), pairs["second"].map(_label_value)
    observed = float((first == second).mean())
    expected = float(first.value_counts(normalize=True).mul(second.value_counts(normalize=True), fill_value=0).sum())
    if math.isclose(expected, 1.0):
        return math.nan
    return (observed - expected) / (1 - expected)


def _label_value(label) -> str:
    """The label as compared by :func:`cohen_kappa`: a finite number as its shortest form ("1", "2.5"), else text."""
    if isinstance(label, bool):
        return str(label)
    if isinstance(label, numbers.Integral):
        return str(int(label))
    number = label
    if not isinstance(label, numbers.Real):
        try:
            number = float(str(label))
        except ValueError:
            return str(label)
    number = float(number)
    if not math.isfinite(number):
        return str(label)
    return str(int(number)) if number.is_integer() else repr(number)


def threshold_tradeoff(confidence, correct, thresholds=None):
    """For each confidence threshold: how many outputs the AI handles (confidence ≥ threshold), the errors among
    them with a 95% Wilson interval (:func:`wilson_intervals`), and the share left to a person.

    ``thresholds`` defaults to 0.00, 0.01 … 1.00. Counting uses one sort and a binary search per threshold, so a
    million outputs cost a sort, not a scan per threshold. A threshold no output reaches has an error rate of
    NaN and the whole range (0, 1) as its interval. ValueError when a confidence is outside 0–1 or blank, or
    the two lists differ in length.
    """
    import numpy as np
    import pandas as pd

    conf = _shares(confidence, "confidence")
    right = np.asarray(correct, dtype=bool)
    _same_length(conf, right, "confidence and correct")
    grid = np.arange(101) / 100 if thresholds is None else np.asarray(thresholds, dtype=float)
    if grid.ndim != 1 or np.any(np.isnan(grid)):
        raise ValueError("thresholds must be a list of numbers")
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
    positive means over-confident). A confidence of exactly 1.0 falls in the last bin. ValueError when a
    confidence is outside 0–1 or blank, the lists differ in length, or ``bins`` is not a whole number ≥ 1.
    """
    import numpy as np
    import pandas as pd

    conf = _shares(confidence, "confidence")
    right = np.asarray(correct, dtype=bool)
    _same_length(conf, right, "confidence and correct")
    bins = _bins(bins)
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
    ValueError for a count that is not a whole number ≥ 0.
    """
    b, c = _count(newly_failing, "newly_failing"), _count(newly_fixed, "newly_fixed")
    if b + c == 0:
        return 1.0
    from scipy.stats import binomtest

    return float(binomtest(b, b + c, 0.5).pvalue)


def cases_to_clear(rate: float, target: float, confidence: float = 0.95, limit: int = 10_000_000) -> int | None:
    """How many cases prove that a pass rate that stays exactly at ``rate`` clears ``target``.

    With round(rate × n) passes of n, the low end of the Wilson interval is a saw-tooth in n, not a rising
    line: each n's passes are rounded, so 92% of 874 (804.08 → 804 passes) clears 90% and 92% of 907
    (834.44 → 834) does not. The answer is the smallest n from which every larger n clears: 908 for 0.92
    against 0.90, though some n from 830 on clear too. It takes the rate as known exactly; a rate measured
    on n cases comes out above or below it about half the time, so plan an eval set with
    :func:`cases_to_clear_with_power`.

    How: the low end is at or above t exactly when k ≥ n·t + z·√(n·t(1−t)) (the Wilson interval inverts the
    score test), and round(rate × n) ≥ rate × n − ½, so every n with (rate − t)·n − z·√(t(1−t)·n) ≥ ½
    clears; the n below that bound are scanned with :func:`wilson_intervals`. None when ``rate <= target`` (no
    number of cases proves a rate that does not clear the target) or when the bound passes ``limit``.
    ValueError for a rate or target outside 0–1, a confidence outside (0, 1), or a limit below 1.
    """
    import numpy as np

    rate, target, confidence = _share(rate, "rate"), _share(target, "target"), _confidence(confidence)
    limit = _count(limit, "limit")
    if limit < 1:
        raise ValueError(f"limit must be at least 1, found {limit}")
    if rate <= target:
        return None
    z, spread, gap = z_value(confidence), math.sqrt(target * (1 - target)), rate - target
    root = (z * spread + math.sqrt(z * z * spread * spread + 2 * gap)) / (2 * gap)
    bound = math.ceil(root * root) + 1  # every n from here on clears
    if bound > limit:
        return None
    last_failing = 0
    for start in range(1, bound + 1, _SCAN_CHUNK):
        n = np.arange(start, min(start + _SCAN_CHUNK, bound + 1))
        low, _ = wilson_intervals(np.round(rate * n), n, confidence)
        failing = np.flatnonzero(low < target)
        if failing.size:
            last_failing = int(n[failing[-1]])
    return last_failing + 1


_SCAN_CHUNK = 1_000_000  # sample sizes checked at once (a few arrays of this many floats)


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

    ``n`` is one sample size or an array of them (limits widen in small weeks); ``centre`` is one rate or an
    array of them that broadcasts against ``n`` (a chart per segment). Returns ``(lower, upper)``
    with the shape of ``n``; where n is 0 both are NaN. p̄ = 0.10 and n = 1,000:
    3 × √(0.09 / 1000) = 0.02846, so the limits are 0.0715 and 0.1285. ValueError for a centre outside 0–1,
    sigmas that are not positive, or a sample size that is not a whole number ≥ 0.
    """
    import numpy as np

    # one centre line, or one per chart (question 7 draws a p-chart per segment at once)
    centre = _share(centre, "centre") if np.ndim(centre) == 0 else _shares(centre, "centre")
    if isinstance(sigmas, bool) or not isinstance(sigmas, numbers.Real) or not math.isfinite(sigmas) or sigmas <= 0:
        raise ValueError(f"sigmas must be a positive number, found {sigmas!r}")
    size = _counts(n, "n")
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.where(size > 0, sigmas * np.sqrt(centre * (1 - centre) / size), np.nan)
    lower = np.clip(centre - spread, 0.0, 1.0)
    upper = np.clip(centre + spread, 0.0, 1.0)
    if lower.ndim == 0:
        return float(lower), float(upper)
    return lower, upper


PSI_FLOOR = 1e-4  # the least share a bin counts as, empty or not, so ln(c/r) stays finite (a common convention)
PSI_EMPTY_BIN = PSI_FLOOR  # its former name


def population_stability_index(reference, current, bins: int = 10) -> float:
    """Population stability index of ``current`` against ``reference``: Σ (c_i − r_i) · ln(c_i / r_i).

    r_i and c_i are the shares of each sample in bin i; the bins cut the reference at its deciles (``bins``
    quantiles; tied cut points merge). It is the symmetric Kullback–Leibler divergence of the two binned
    distributions (``scipy.stats.entropy(c, r) + entropy(r, c)``). The usual reading: under 0.1 stable,
    0.1–0.25 a moderate shift, over 0.25 a major one. Shares 50/50 → 60/40:
    0.1 × ln(1.2) + 0.1 × ln(1.25) = 0.0405.

    The floor: every share below ``PSI_FLOOR`` (0.0001) counts as 0.0001, an empty bin's 0 included, so each
    ln(c/r) stays finite and at most ln(10,000) = 9.2 in size. Every small share is floored, not only empty
    bins: floored alone, an empty bin (0.0001) would weigh less than a bin holding one row of a million
    (0.000001), and one near-empty bin could outweigh a real shift everywhere else. Blank values are dropped;
    ``bins`` must be a whole number ≥ 1 (ValueError).
    """
    import numpy as np

    bins = _bins(bins)
    ref = np.asarray(reference, dtype=float)
    cur = np.asarray(current, dtype=float)
    ref, cur = ref[~np.isnan(ref)], cur[~np.isnan(cur)]
    if ref.size == 0 or cur.size == 0:
        return math.nan
    cuts = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
    r = np.bincount(np.searchsorted(cuts, ref, side="right"), minlength=cuts.size + 1) / ref.size
    c = np.bincount(np.searchsorted(cuts, cur, side="right"), minlength=cuts.size + 1) / cur.size
    r, c = np.maximum(r, PSI_FLOOR), np.maximum(c, PSI_FLOOR)
    return float(np.sum((c - r) * np.log(c / r)))


def psi_noise_level(n_reference: int, n_current: int, bins: int = 10, quantile: float = 0.95) -> float:
    """The PSI two samples of these sizes reach by chance alone (no real shift), at ``quantile``.

    With no shift, PSI · (1/(1/N + 1/M)) is approximately chi-square with bins − 1 degrees of freedom
    (Yurdakul 2018, *Statistical properties of the population stability index*), so the level is
    (1/N + 1/M) · χ²_{bins−1}(quantile). 200 against 200 rows in 10 bins: 0.01 × 16.92 = 0.169 — a small
    window can look like a "moderate shift" with nothing changed; 4,000 against 4,000 rows: 0.0085. An empty
    sample gives no level (infinity). ValueError for negative sizes, ``bins`` < 2 or a quantile outside (0, 1).
    """
    from scipy.stats import chi2

    n_reference, n_current = _count(n_reference, "n_reference"), _count(n_current, "n_current")
    bins = _bins(bins, least=2)
    _share(quantile, "quantile", low_open=True, high_open=True)
    if n_reference == 0 or n_current == 0:
        return math.inf
    return (1 / n_reference + 1 / n_current) * float(chi2.ppf(quantile, bins - 1))


def kish_effective_sample_size(weights) -> float:
    """Kish's effective sample size of a weighted sample: (Σw)² / Σw².

    It is the number of simple random draws that estimate a rate as precisely as these weighted ones, when
    the weights are unrelated to the outcome; n / n_eff is the design effect. Weights 1, 1, 4, 4: 100 / 34 = 2.94.
    ValueError for a weight that is negative or not a finite number.
    """
    import numpy as np

    w = np.asarray(weights, dtype=float)
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be finite numbers of at least 0")
    if w.size == 0 or not np.any(w):
        return 0.0
    return float(w.sum() ** 2 / np.sum(w * w))


def wilson_intervals(successes, n, confidence: float = 0.95, effective: bool = False):
    """Wilson score intervals for many proportions at once: arrays (low, high), with (0, 1) where n == 0.

    The same interval as :func:`wilson_interval` (scipy's ``binomtest(...).proportion_ci(method="wilson")``),
    written out because ``binomtest`` also computes an exact p-value, which takes ~40 ms at n = 1,000,000 and
    would make a 101-threshold curve take seconds. Formula (Wilson 1927): centre = (k + z²/2) / (n + z²),
    half-width = z √(k (n − k) / n + z²/4) / (n + z²). The tests check it against scipy. ValueError as
    :func:`wilson_interval`'s, for any element. ``effective=True`` takes effective counts, which need not be
    whole (n divided by a design effect, for repeated inputs): numbers of at least 0.
    """
    import numpy as np

    if effective:
        k, size = np.asarray(successes, dtype=float), np.asarray(n, dtype=float)
        if not (np.all(np.isfinite(k)) and np.all(np.isfinite(size)) and np.all(k >= 0) and np.all(size >= 0)):
            raise ValueError("successes and n must be numbers of at least 0")
        k = np.minimum(k, size)  # rate × n can exceed n by a rounding error
    else:
        k, size = _counts(successes, "successes"), _counts(n, "n")
    if np.any(k > size):
        raise ValueError("successes must not exceed n")
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


def _segment_shares(name: str, values):
    """The segments' shares of traffic, normalised to sum to 1."""
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

    share = _segment_shares("reference_share", reference_share)
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

    share = _segment_shares("reference_share", reference_share)
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

    c1 = _segment_shares("reference_share", reference_share)
    c2 = _segment_shares("current_share", current_share)
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


# ---- planning an eval set: the cases that prove a rate with a stated probability ----------------------

def cases_to_clear_with_power(rate: float, target: float, power: float = 0.8, confidence: float = 0.95,
                              limit: int = 10_000_000) -> int | None:
    """How many eval cases a system whose true pass rate is ``rate`` needs to prove it clears ``target`` with
    probability ``power``: the honest planning figure.

    Of n cases the system passes X ~ Binomial(n, rate); the set proves the rate when the low end of the Wilson
    interval of X/n is at or above t, that is when X ≥ k*(n), the least k with k ≥ n·t + z·√(n·t(1−t)). The
    chance of that is P(X ≥ k*(n)) (scipy's ``binom.sf``), a saw-tooth in n again, so the answer is the
    smallest n from which every larger n reaches ``power``. 0.92 against 0.90, 95% and 80%: 1,703 cases
    (the chance first reaches 80% at 1,617, then dips below it now and then up to 1,702), near the normal
    approximation ((z·√(t(1−t)) + z_power·√(r(1−r))) / (r − t))² = ((0.588 + 0.228) / 0.02)² = 1,666, and
    far above the 908 of :func:`cases_to_clear`, which assumes the sample lands exactly on the true rate
    (at best half of samples do). Sizes up to twice that approximation (plus 100) are scanned;
    beyond it the chance is far above any usual power. None when ``rate <= target`` or past ``limit``.
    ValueError for a rate or target outside 0–1, a power or confidence outside (0, 1), or a limit below 1.
    """
    import numpy as np
    from scipy.stats import binom, norm

    rate, target, confidence = _share(rate, "rate"), _share(target, "target"), _confidence(confidence)
    power = _share(power, "power", low_open=True, high_open=True)
    limit = _count(limit, "limit")
    if limit < 1:
        raise ValueError(f"limit must be at least 1, found {limit}")
    if rate <= target:
        return None
    z = z_value(confidence)
    approx = ((z * math.sqrt(target * (1 - target)) + float(norm.ppf(power)) * math.sqrt(rate * (1 - rate)))
              / (rate - target)) ** 2
    bound = math.ceil(2 * max(approx, 0.0)) + 100
    if bound > limit:
        return None
    last_short = 0
    for start in range(1, bound + 1, _SCAN_CHUNK):
        n = np.arange(start, min(start + _SCAN_CHUNK, bound + 1))
        needed = _least_passes_that_clear(n, target, confidence)
        chance = np.where(needed > n, 0.0, binom.sf(needed - 1, n, rate))
        short = np.flatnonzero(chance < power)
        if short.size:
            last_short = int(n[short[-1]])
    return last_short + 1


def _least_passes_that_clear(n, target: float, confidence: float):
    """For each n, the least k whose Wilson low end of k/n is at or above ``target`` (n + 1 when none is)."""
    import numpy as np

    z = z_value(confidence)
    needed = np.ceil(n * target + z * np.sqrt(n * target * (1 - target)))
    # the closed form can land one off where rounding meets equality: settle it with the interval itself
    for _ in range(2):
        below = np.clip(needed - 1, 0, n)
        low_below, _ = wilson_intervals(below, n, confidence)
        needed = np.where((needed >= 1) & (needed - 1 <= n) & (low_below >= target), needed - 1, needed)
        at = np.clip(needed, 0, n)
        low_at, _ = wilson_intervals(at, n, confidence)
        needed = np.where((needed <= n) & (low_at < target), needed + 1, needed)
    return np.minimum(needed, n + 1).astype(np.int64)


# ---- Threshold by value, on held-out data (question 5) ------------------------------------------------------

def holdout_split(labels, share: float = 0.5, seed: int = 0):
    """A seeded, stratified split of rows into a part to choose on and a held-out part: a boolean array, True
    for a held-out row.

    Within each distinct label (for scores: right and wrong outputs) the rows are shuffled with
    ``numpy.random.default_rng(seed)`` and round(share × rows in the label) of them are held out, so both parts
    keep the overall error rate and the same seed always gives the same split. 10 right and 4 wrong at 0.5:
    5 right and 2 wrong are held out.
    """
    import numpy as np

    if not 0 < share < 1:
        raise ValueError(f"share must be between 0 and 1 (exclusive), got {share!r}")
    if int(seed) != seed or seed < 0:
        raise ValueError(f"seed must be a whole number ≥ 0, got {seed!r}")
    values = np.asarray(labels)
    held = np.zeros(len(values), dtype=bool)
    rng = np.random.default_rng(int(seed))
    for label in np.unique(values):  # sorted labels: a fixed order, so the draws are fixed too
        rows = rng.permutation(np.flatnonzero(values == label))
        held[rows[: round(share * len(rows))]] = True
    return held


def value_per_output(handled, errors, n, value_correct: float, cost_error: float, cost_person: float = 0.0):
    """Expected value per output of a confidence threshold, in dollars, against today's way.

    Of ``n`` outputs the AI handles ``handled`` with ``errors`` wrong; the rest go to a person:

        value = ((handled − errors) × value_correct − errors × cost_error − (n − handled) × cost_person) / n

    Works on numbers or arrays (one entry per threshold). 100 outputs, 60 handled, 3 wrong, $1.70 a right one,
    $3.00 an error, $0.10 a hand-off: (57 × 1.70 − 3 × 3.00 − 40 × 0.10) / 100 = $0.839.
    """
    import numpy as np

    for name, value in (("value_correct", value_correct), ("cost_error", cost_error), ("cost_person", cost_person)):
        if not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value!r}")
    size = np.asarray(n, dtype=float)
    if np.any(size <= 0):
        raise ValueError("n must be at least 1")
    h, e = np.asarray(handled, dtype=float), np.asarray(errors, dtype=float)
    if np.any(e > h) or np.any(h > size) or np.any(e < 0):
        raise ValueError("need 0 ≤ errors ≤ handled ≤ n")
    value = ((h - e) * value_correct - e * cost_error - (size - h) * cost_person) / size
    return float(value) if value.ndim == 0 else value


def value_interval(handled: int, errors: int, n: int, value_correct: float, cost_error: float,
                   cost_person: float = 0.0, confidence: float = 0.95) -> tuple[float, float]:
    """A confidence interval for :func:`value_per_output`, seen as the mean of n per-output values.

    Each output is worth ``value_correct`` (handled, right), −``cost_error`` (handled, wrong) or −``cost_person``
    (sent to a person). The interval is the mean ± t · s / √n, with s the sample standard deviation (ddof 1)
    of those n values (the central limit theorem; ``scipy.stats.t.interval`` on the mean's standard error).
    Fewer than 2 outputs: no interval (−inf, inf).
    """
    from scipy.stats import t

    mean = value_per_output(handled, errors, n, value_correct, cost_error, cost_person)
    if n < 2:
        return (-math.inf, math.inf)
    right, person = handled - errors, n - handled
    square_sum = right * value_correct ** 2 + errors * cost_error ** 2 + person * cost_person ** 2
    variance = max(square_sum - n * mean * mean, 0.0) / (n - 1)
    if variance == 0:
        return (mean, mean)
    low, high = t.interval(confidence, n - 1, loc=mean, scale=math.sqrt(variance / n))
    return (float(low), float(high))


def scores_to_prove_error_limit(rate: float, limit: float, confidence: float = 0.95,
                                cap: int = 10_000_000) -> int | None:
    """About how many outputs an error rate that stays at ``rate`` needs before its Wilson interval's high end
    is at or under ``limit``: the smallest n with high(rate × n errors of n) ≤ limit.

    The errors are counted as rate × n, not rounded, so the high end falls steadily as n grows and a binary
    search finds the first n (with rounding, one lucky n can pass while the next fails). Uses the closed form of
    :func:`wilson_intervals`. None when ``rate >= limit`` (no number of outputs proves it) or past ``cap``.
    2.7% errors against a 5% limit: 345 outputs (9.3 errors in 345: high end 4.9997%).
    """
    import numpy as np

    if not 0 <= rate <= 1 or not 0 < limit < 1:
        raise ValueError("rate must be in 0–1 and limit strictly between 0 and 1")
    if rate >= limit:
        return None

    z = z_value(confidence)

    def proven(n: int) -> bool:
        # Wilson's high end at a rate that need not be a whole count of n (rate × n errors, unrounded)
        centre = (rate + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return float(centre + half) <= limit

    if not proven(cap):
        return None
    low, high = 1, cap
    while low < high:
        mid = (low + high) // 2
        if proven(mid):
            high = mid
        else:
            low = mid + 1
    return low


# ---- clustered eval sets: the distinct input as the unit of evidence (question 6) ---------------------------

def _design_effect(rows: int, clusters: int, passes: int, spread: float) -> float:
    """The design effect of a pass rate over rows grouped into clusters (inputs): 1 when every row is its own
    input; rows ÷ clusters when every row passes or every row fails (the clusters can only agree); otherwise the
    between-cluster variance of the rate, ``spread`` / rows² with spread = Σ (kᵢ − p nᵢ)², over the binomial
    variance p (1 − p) / rows, and never below 1."""
    if clusters == rows:
        return 1.0
    if passes in (0, rows):
        return rows / clusters
    rate = passes / rows
    return max(1.0, (spread / (rows * rows)) / (rate * (1 - rate) / rows))


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
    deff = _design_effect(n, groups, passed, float(np.sum((k - rate * size) ** 2)))
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
        lows, highs = wilson_intervals(found["rate"] * n_eff, n_eff, confidence, effective=True)
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
        deff = _design_effect(n, clusters_g, kk, max(s_kk[g] - 2 * rate * s_kn[g] + rate * rate * s_nn[g], 0.0))
        if deff == 1.0:
            low, high = wilson_interval(kk, n, confidence)
        else:
            lows, highs = wilson_intervals(rate * n / deff, n / deff, confidence, effective=True)
            low, high = float(lows), float(highs)
        found.append({"rows": n, "clusters": clusters_g, "passes": kk, "rate": rate, "design_effect": deff,
                      "effective_n": n / deff, "low": low, "high": high})
    return found


# ---- watching a live rate: the weekly sample that catches a rise (question 7's plan) ----------------------

def sample_size_to_detect_rise(base: float, raised: float, power: float = 0.8, confidence: float = 0.95) -> int:
    """Outputs to review a week so that an error rate rising from ``base`` to ``raised`` is caught with
    probability ``power`` by a one-sided test at ``confidence``.

    The normal approximation for one proportion: n = ((z_a √(p0(1−p0)) + z_b √(p1(1−p1))) / (p1 − p0))², z_a the
    one-sided quantile of ``confidence`` and z_b that of ``power``, rounded up. 10% → 15%, 95%, 80%: z_a =
    1.645, z_b = 0.842; (1.645 × 0.3 + 0.842 × 0.357) / 0.05 = 15.88; 15.88² = 252.2 → 253 outputs.
    ValueError unless 0 ≤ base < raised ≤ 1 and power and confidence lie in (0, 1).
    """
    from scipy.stats import norm

    base, raised = _share(base, "base"), _share(raised, "raised")
    power = _share(power, "power", low_open=True, high_open=True)
    confidence = _confidence(confidence)
    if raised <= base:
        raise ValueError(f"raised ({raised}) must be above base ({base}): the rise to catch")
    z_a, z_b = float(norm.ppf(confidence)), float(norm.ppf(power))
    n = ((z_a * math.sqrt(base * (1 - base)) + z_b * math.sqrt(raised * (1 - raised))) / (raised - base)) ** 2
    return max(1, math.ceil(n - 1e-9))
