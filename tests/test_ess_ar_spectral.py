"""ess_ar_spectral: the ESS R's coda::effectiveSize reports (AR spectral density at 0, order by AIC).

References: coda's figure for R LCMCR's own Kosovo chain (1,203, shared/data/README.md, draws bundled in
tests/data); the closed form of an AR(1) chain, ESS = n (1 − φ)/(1 + φ).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.signal import lfilter

from estimate.inference_data import convergence_diagnostics, ess_ar_spectral

R_DRAWS = Path(__file__).parent / "data" / "lcmcr_kosovo_draws_seed1.csv"


def test_reproduces_coda_on_r_lcmcr_kosovo_chain() -> None:
    draws = pd.read_csv(R_DRAWS)["N"].to_numpy()
    assert draws.size == 10_000
    assert ess_ar_spectral(draws) == pytest.approx(1203, abs=0.5)  # R prints 1,203 (coda 0.19)
    # the package's own diagnostic is far more conservative on this slowly mixing chain
    assert convergence_diagnostics(draws[None, :])["ess_bulk"] < 0.6 * 1203


@pytest.mark.parametrize("phi", [0.0, 0.5, 0.9])
def test_ar1_closed_form(phi: float) -> None:
    """Relative s.d. of the estimate at n = 20,000 and φ = 0.5 is 2.7% (200 seeds); tolerance 11% ≈ 4 s.d."""
    n = 20_000
    x = lfilter([1.0], [1.0, -phi], np.random.default_rng(3).normal(size=n))
    assert ess_ar_spectral(x) == pytest.approx(n * (1 - phi) / (1 + phi), rel=0.11)


def test_sums_over_chains_and_accepts_one_dimension() -> None:
    rng = np.random.default_rng(4)
    chains = rng.normal(size=(3, 2_000))
    assert ess_ar_spectral(chains) == pytest.approx(sum(ess_ar_spectral(c) for c in chains))
    assert ess_ar_spectral(np.vstack([chains[:1], np.full((1, 2_000), 7.0)])) == pytest.approx(
        ess_ar_spectral(chains[0]))  # a constant chain adds nothing


def test_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError, match="chain, draw"):
        ess_ar_spectral(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="at least 3"):
        ess_ar_spectral(np.zeros((1, 2)))
