"""Confidence-interval helpers shared by the closed-form estimators."""

from __future__ import annotations

import math

from scipy.special import ndtri

from estimate.results import Interval


def log_normal_interval(estimate: float, observed: int, variance: float, level: float = 0.95) -> Interval:
    """Chao's (1987) log-normal interval: the undocumented count f0 = N̂ − n is taken as log-normal.

    With C = exp(z · sqrt(log(1 + Var(N̂)/f0²))) the interval is [n + f0/C, n + f0·C]; unlike a Wald interval it
    never falls below the observed count n.
    """
    z = float(ndtri(0.5 + level / 2))  # the standard normal quantile (scipy.stats' norm.ppf, without its import)
    f0 = estimate - observed
    if not math.isfinite(estimate) or not math.isfinite(variance):
        return Interval(float(observed), math.inf, level=level, kind="none")
    if f0 <= 0 or variance <= 0:
        return Interval(float(observed), float(max(estimate, observed)), level=level, kind="log-normal")
    c = math.exp(z * math.sqrt(math.log1p(variance / f0**2)))
    return Interval(observed + f0 / c, observed + f0 * c, level=level, kind="log-normal")
