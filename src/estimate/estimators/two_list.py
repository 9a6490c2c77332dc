"""Two-list estimators: Lincoln–Petersen and Chapman.

With n1 and n2 people on the two lists and m on both, and the lists independent in a homogeneous population:

* Lincoln–Petersen (Petersen 1896; Lincoln 1930): N̂ = n1·n2 / m,
  Var(N̂) = n1·n2·(n1 − m)(n2 − m) / m³.
* Chapman (1951), exactly unbiased when n1 + n2 ≥ N and nearly so when the lists share at least about 7 people
  (Robson, D. S. & Regier, H. A. 1964, "Sample size in Petersen mark–recapture experiments", Trans. Am. Fish.
  Soc. 93(3)); with fewer it is biased low and its interval covers less than its level, which a warning says:
  N̂ = (n1 + 1)(n2 + 1)/(m + 1) − 1,
  Var(N̂) = (n1 + 1)(n2 + 1)(n1 − m)(n2 − m) / ((m + 1)²(m + 2))  (Seber 1982, eq. 3.7).  The formula stays
  finite when m = 0, but the data then bound nothing: both estimators report no finite estimate, with a warning,
  and keep Chapman's value in ``details["boundary_estimate"]``.

Intervals use Chao's (1987) log-normal transformation of the undocumented count (never below n).
"""

from __future__ import annotations

import math
import warnings
from typing import Any, ClassVar

from estimate._checks import check_list_names
from estimate.data import CaptureData
from estimate.errors import DataWarning, EstimateWarning, UninformativeDataWarning
from estimate.estimators._intervals import log_normal_interval
from estimate.estimators.base import Estimator, NotApplicable, register
from estimate.results import Interval, Result

__all__ = ["LincolnPetersen", "Chapman"]

#: fewer people on both lists than this and Chapman's estimate is biased low (Robson & Regier 1964)
_FEW_RECAPTURES = 7


class _TwoListEstimator(Estimator):
    max_lists: ClassVar[int | None] = None

    def __init__(self, lists: tuple[str, str] | None = None, level: float = 0.95) -> None:
        self.lists = lists
        self.level = level

    def _check_params(self) -> None:
        check_list_names(self.lists, self.name, 2)

    def _two_lists(self, data: CaptureData) -> tuple[CaptureData, int, int, int]:
        if self.lists is None:
            if data.n_lists != 2:
                raise NotApplicable(
                    f"{self.name} uses exactly 2 lists; the data has {data.n_lists} ({list(data.lists)}). "
                    "Choose two (Python: lists=(a, b); CLI: --lists a,b) or use a multi-list method"
                )
            pair = data
        else:
            if isinstance(self.lists, str) or len(self.lists) != 2:
                raise NotApplicable(f"{self.name} needs exactly two list names, got {self.lists}")
            pair = data.select_lists([str(name) for name in self.lists])  # an array's np.str_ as text
            left_out = data.observed - pair.observed
            if left_out > 0:  # as the CLI's --lists says: the estimate does not see them
                others = [name for name in data.lists if name not in pair.lists]
                warnings.warn(
                    f"{self.name} uses lists {list(pair.lists)} only: {left_out:,} people documented only on the "
                    f"other lists ({others}) are left out, so 'documented' here is {pair.observed:,} of the "
                    f"{data.observed:,} in the data and the estimate is of the population as these two lists see it",
                    DataWarning,
                    stacklevel=4,
                )
        x = pair.patterns
        c = pair.counts
        n1 = int(c[x[:, 0] == 1].sum())
        n2 = int(c[x[:, 1] == 1].sum())
        m = int(c[(x[:, 0] == 1) & (x[:, 1] == 1)].sum())
        if m == 0:
            warnings.warn(
                f"{self.name}: lists {list(pair.lists)} never overlap (no one is on both): the data cannot bound the "
                "population size from above, so the estimate and the upper limit of the interval are infinite",
                UninformativeDataWarning,
                stacklevel=4,
            )
        elif m == n1 or m == n2:
            inner, outer = (pair.lists[0], pair.lists[1]) if m == n1 else (pair.lists[1], pair.lists[0])
            warnings.warn(
                f"{self.name}: everyone on list {inner!r} is also on list {outer!r}: the estimated variance is 0, "
                "so N̂ equals the documented count and its interval has no width. That is the model's answer under "
                "independent lists, not certainty: one list inside another more likely means the lists are dependent "
                "(e.g. one drew on the other), which two lists cannot show",
                UninformativeDataWarning,
                stacklevel=4,
            )
        return pair, n1, n2, m

    def _warn_below_documented(self, data: CaptureData, pair: CaptureData, interval: Interval) -> None:
        """Two lists chosen from more: an upper limit below the people the data documents contradicts the
        two-list model, under which N̂ estimates the one population all the lists are drawn from."""
        if pair.observed < data.observed and interval.upper < data.observed:
            warnings.warn(
                f"{self.name}: the estimate from lists {list(pair.lists)} ({interval.upper:,.0f} at the upper end "
                f"of its interval) is below the {data.observed:,} people documented on all the lists of the data: "
                "these two lists are not independent (they find the same people more often than chance would), or "
                "they cover a narrower population than the other lists; the estimate is not one of the total",
                EstimateWarning,
                stacklevel=4,
            )


@register
class LincolnPetersen(_TwoListEstimator):
    """Lincoln–Petersen estimator N̂ = n1·n2/m for two independent lists (homogeneous capture); Petersen (1896),
    Lincoln (1930), with the log-normal interval of Chao (1987).

    Parameters
    ----------
    lists
        The two list names to use when the data has more than two lists.
    level
        Confidence level of the log-normal interval (default 0.95).
    """

    name = "lincoln-petersen"

    def __init__(self, lists: tuple[str, str] | None = None, level: float = 0.95) -> None:
        super().__init__(lists=lists, level=level)  # its own, so that a wrong keyword's TypeError names this class

    def _fit(self, data: CaptureData) -> Result:
        pair, n1, n2, m = self._two_lists(data)
        n = pair.observed
        if m == 0:
            estimate, variance = math.inf, math.inf
            interval = Interval(float(n), math.inf, level=self.level, kind="none")
        else:
            estimate = n1 * n2 / m
            variance = n1 * n2 * (n1 - m) * (n2 - m) / m**3
            interval = log_normal_interval(estimate, n, variance, self.level)
        self._warn_below_documented(data, pair, interval)
        return Result(
            method=self.name,
            model=f"Lincoln–Petersen, lists {pair.lists[0]} × {pair.lists[1]} assumed independent",
            estimate=estimate,
            interval=interval,
            observed=n,
            lists=pair.lists,
            std_error=math.sqrt(variance),
            details={"n1": n1, "n2": n2, "m": m},
        )


@register
class Chapman(_TwoListEstimator):
    """Chapman's bias-corrected two-list estimator N̂ = (n1+1)(n2+1)/(m+1) − 1 (Chapman 1951), with Seber's
    (1982, eq. 3.7) variance and the log-normal interval of Chao (1987).

    Parameters
    ----------
    lists
        The two list names to use when the data has more than two lists.
    level
        Confidence level of the log-normal interval (default 0.95).
    """

    name = "chapman"

    def __init__(self, lists: tuple[str, str] | None = None, level: float = 0.95) -> None:
        super().__init__(lists=lists, level=level)  # its own, so that a wrong keyword's TypeError names this class

    def _fit(self, data: CaptureData) -> Result:
        pair, n1, n2, m = self._two_lists(data)
        n = pair.observed
        estimate = (n1 + 1) * (n2 + 1) / (m + 1) - 1
        variance = (n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m) / ((m + 1) ** 2 * (m + 2))
        details: dict[str, Any] = {"n1": n1, "n2": n2, "m": m}
        if m == 0:
            # (n1 + 1)(n2 + 1) − 1 is finite only by the +1 correction: the data do not bound N (Lincoln–Petersen's
            # n1 n2 / m is infinite); the value is kept aside so that no table or sentence shows it as an estimate
            interval = Interval(float(n), math.inf, level=self.level, kind="none")
            details["boundary_estimate"] = estimate
            estimate, variance = math.inf, math.inf
        else:
            interval = log_normal_interval(estimate, n, variance, self.level)
            if m < _FEW_RECAPTURES:
                warnings.warn(
                    f"{self.name}: only {m} {'person is' if m == 1 else 'people are'} on both lists; with fewer "
                    f"than about {_FEW_RECAPTURES} on both, "
                    "Chapman's estimate is biased low and its interval covers less often than its level says (in "
                    "simulations of independent lists with 3–5 expected on both: 89–91% for a 95% interval, "
                    "medians 13–22% low; Robson & Regier 1964). Lincoln–Petersen's interval held its level there",
                    UninformativeDataWarning,
                    stacklevel=3,
                )
        self._warn_below_documented(data, pair, interval)
        return Result(
            method=self.name,
            model=f"Chapman, lists {pair.lists[0]} × {pair.lists[1]} assumed independent",
            estimate_kind="bias-corrected",  # nearly unbiased for Lincoln–Petersen's MLE; not itself an MLE
            estimate=estimate,
            interval=interval,
            observed=n,
            lists=pair.lists,
            std_error=math.sqrt(variance),
            details=details,
        )
