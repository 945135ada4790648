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
