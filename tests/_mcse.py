"""Monte Carlo standard errors for the statistical tests' tolerances."""

from __future__ import annotations

import numpy as np


def quantile_mcse(draws: np.ndarray, q: float) -> float:
    """ArviZ's Monte Carlo s.e. of the q-quantile of draws shaped (chain, draw) (one chain if 1-D): from the ESS
    of the indicator I(x ≤ x_q), which is what governs a quantile's error — the bulk ESS overstates it in the
    tails (Vehtari et al. 2021, section 4.3)."""
    import arviz as az

    values = np.asarray(draws, dtype=float)
    values = values if values.ndim == 2 else values.reshape(1, -1)
    if np.all(values == np.round(values)):
        # whole numbers (N): ArviZ's quantile s.e. comes from quantiles of the draws, which ties make 0 (the
        # median's interval is a single value); spread each by U(−½, ½), the usual continuity jitter
        values = values + np.random.default_rng(0).uniform(-0.5, 0.5, size=values.shape)
    return float(az.mcse(values, method="quantile", prob=q))
