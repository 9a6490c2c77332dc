"""Chao's (1987) lower bound for a population with heterogeneous capture probabilities.

With f_k the number of people documented by exactly k of the J lists and p_i person i's capture probability
(the same on every list, q_i = 1 − p_i), E f_k = Σ_i C(J, k) p_i^k q_i^(J−k).  The Cauchy–Schwarz inequality
(Σ_i p_i q_i^(J−1))² ≤ (Σ_i q_i^J)(Σ_i p_i² q_i^(J−2)) gives, whatever the heterogeneity,

    E f0 ≥ A · (E f1)² / (2 E f2),     A = (J − 1)/J          (Chao 1987, Biometrics 43:783–791),

with equality when everyone has the same p.  Hence the lower-bound estimator and its delta-method variance

    N̂ = n + A f1² / (2 f2),     Var(N̂) ≈ f2 · [ A (f1/f2)²/2 + A² (f1/f2)³ + A² (f1/f2)⁴/4 ],

and, when f2 = 0, the bias-corrected form N̂ = n + A f1 (f1 − 1)/2 with Var ≈ A f1(f1 − 1)/2
+ A² f1(2 f1 − 1)²/4 − A² f1⁴/(4 N̂) (Chao 1989); that variance can be smaller than the f2 = 1 one (less
information, a narrower interval), which the warning for f2 = 0 says.  Without A (the form for J → ∞) the
"bound" exceeds f0 under homogeneous capture: by half for three lists.  The interval is the log-normal one of
Chao (1987).  It is a *lower bound*: the true N may be larger.  Only under model Mh, though: with list effects
(lists of different coverage, model Mth) the f_k no longer have this form and the "bound" can exceed N (expected
counts of N = 10,000 on four independent lists with p = 0.8, 0.5, 0.3, 0.05 for everyone give 10,500).
"""

from __future__ import annotations

import math
import warnings

from estimate.data import CaptureData
from estimate.errors import UninformativeDataWarning
from estimate.estimators._intervals import log_normal_interval
from estimate.estimators.base import Estimator, register
from estimate.results import Interval, Result

__all__ = ["ChaoLowerBound"]

#: Fewer people than this on exactly two lists (f2) get a warning: the bound divides by f2 (as Chapman's
#: threshold for people on both of two lists) ...
FEW_DOUBLETONS = 7
#: ... when one more such person would move the bound by at least this share of it (and by one person or more):
#: a bound that adds a person or two to the documented count is not unstable in any way that matters
MATERIAL_SHIFT = 0.01


def _warn_no_singletons(n: int) -> None:
    warnings.warn(
        "chao: no one is documented by exactly one list (f1 = 0), so the bound equals the documented count "
        f"({n:,}) and its interval has no width. That says only N ≥ {n:,}: a lower bound with nothing to add, not "
        "certainty that nobody was missed",
        UninformativeDataWarning,
        stacklevel=4,
    )


@register
class ChaoLowerBound(Estimator):
    """Chao's (1987) moment lower bound N̂ = n + (J − 1)/J · f1²/(2 f2): people differ, lists alike (model Mh).

    A person's capture probability is the same on every list; lists of different coverage can put the "bound"
    above N (use ``mth-chao`` for list effects).

    Parameters
    ----------
    level
        Confidence level of the log-normal interval (default 0.95).
    """

    name = "chao"

    def __init__(self, level: float = 0.95) -> None:
        self.level = level

    def _fit(self, data: CaptureData) -> Result:
        times = data.patterns.sum(axis=1)
        f1 = int(data.counts[times == 1].sum())
        f2 = int(data.counts[times == 2].sum())
        n = data.observed
        A = (data.n_lists - 1) / data.n_lists  # the J-list bound's factor: equality under homogeneous capture
        if f2 > 0:
            ratio = f1 / f2
            estimate = n + A * f1**2 / (2 * f2)
            variance = f2 * (A * ratio**2 / 2 + A**2 * ratio**3 + A**2 * ratio**4 / 4)
            form = "(J−1)/J · f1²/(2 f2)"
            if f1 == 0:
                _warn_no_singletons(n)
            elif f2 < FEW_DOUBLETONS and estimate - (
                    one_more := n + A * f1**2 / (2 * (f2 + 1))) >= max(1.0, MATERIAL_SHIFT * estimate):
                warnings.warn(
                    f"chao: only {f2} {'person is' if f2 == 1 else 'people are'} documented by exactly two lists "
                    f"(f2); the bound divides f1² = {f1:,}² by it, so it rests on that handful: one more such person "
                    f"would move it from {estimate:,.0f} to {one_more:,.0f}. Read it and its interval as unstable",
                    UninformativeDataWarning,
                    stacklevel=3,
                )
        else:
            if not data.lists_overlap:
                warnings.warn(
                    "chao: no one is on two or more lists (the lists never overlap), so the data do not bound N: "
                    "the bias-corrected form n + (J − 1)/J · f1(f1 − 1)/2 is arithmetic on the list sizes, not an "
                    "estimate (kept as details['boundary_estimate']); the estimate and upper limit are reported as "
                    "infinite",
                    UninformativeDataWarning,
                    stacklevel=3,
                )
            elif f1 == 0:  # f1 = f2 = 0: everyone is on three or more lists, N̂ = n exactly
                _warn_no_singletons(n)
            else:
                warnings.warn(
                    "chao: no one is documented by exactly two lists (f2 = 0); Chao's bound uses the bias-corrected "
                    "form (J − 1)/J · f1(f1 − 1)/2, which is very imprecise, and its interval understates that: it "
                    "can be narrower than with one person on exactly two lists (f1 = 60: [775, 2,010] at f2 = 0 "
                    "against [287, 6,438] at f2 = 1), so read it as a rough indication",
                    UninformativeDataWarning,
                    stacklevel=3,
                )
            estimate = n + A * f1 * (f1 - 1) / 2
            variance = (A * f1 * (f1 - 1) / 2 + A**2 * f1 * (2 * f1 - 1) ** 2 / 4 - A**2 * f1**4 / (4 * estimate)
                        if estimate else 0.0)
            form = "(J−1)/J · f1(f1−1)/2"
        interval = log_normal_interval(estimate, n, max(variance, 0.0), self.level)
        std_error = math.sqrt(max(variance, 0.0))
        details: dict[str, float] = {"f1": f1, "f2": f2}
        if not data.lists_overlap:
            # no finite bound follows from the data (f1²/(2 f2) → ∞); the bias-corrected value is kept aside, as
            # Lincoln–Petersen and the log-linear models keep theirs, so no table or sentence shows it as a bound
            interval = Interval(float(n), math.inf, level=self.level, kind="none")
            details["boundary_estimate"] = estimate
            estimate, std_error = math.inf, math.inf
        return Result(
            method=self.name,
            model=f"Chao (1987) lower bound n + {form} under heterogeneous capture, lists alike (Mh)",
            estimate=estimate,
            interval=interval,
            observed=n,
            lists=data.lists,
            estimate_kind="lower bound",
            std_error=std_error,
            details=details,
        )
