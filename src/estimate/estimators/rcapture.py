"""Rcapture's log-linear heterogeneity models for closed populations (Rivest & Baillargeon 2007).

Each model is a Poisson log-linear model on the 2^J − 1 observable cells, with k(x) = Σ_j x_j the number of
lists a pattern is on:

* ``M0``:  log μ_x = β_0 + β k(x)                                  (one capture probability for all lists)
* ``Mt``:  log μ_x = β_0 + Σ_j β_j x_j                              (list effects, lists independent)
* ``Mh``/``Mth`` add a heterogeneity term τ(k) to M0 / Mt:
    - Chao (lower bound):  Σ_{h=3}^{J} η_h (k − h + 1)_+, the log-linear form of Chao's (1987) lower bound; as
      Rcapture's default (``neg = TRUE``), a column whose η is negative is dropped, the first one first, and the
      model refitted until every η is ≥ 0;
    - Poisson2:            η (2^k − 1)  (capture heterogeneity with a Poisson-distributed log-odds);
    - Darroch:             η k² / 2     (normal heterogeneity, Darroch et al. 1993).

N̂ = n + exp(β̂_0).  The standard error is the delta-method one for exp(β_0) plus the multinomial term,
sqrt(exp(β̂_0)² Var(β̂_0) + exp(β̂_0)), which reproduces Rcapture's ``closedp.t``; the interval is the
profile-likelihood interval of ``closedpCI.t`` (see :mod:`estimate.estimators.loglinear`).

References: Rivest, L.-P. & Baillargeon, S. (2007) Applications and extensions of Chao's moment estimator for the
size of a closed population, Biometrics 63(4); Baillargeon, S. & Rivest, L.-P. (2007) Rcapture: loglinear models
for capture-recapture in R, Journal of Statistical Software 19(5); Darroch, J. N., Fienberg, S. E., Glonek, G. F.
V. & Junker, B. W. (1993) A three-sample multiple-recapture approach to census population estimation with
heterogeneous catchability, JASA 88.
"""

from __future__ import annotations

import math
import warnings
from typing import ClassVar

import numpy as np
import pandas as pd

from estimate.data import CaptureData
from estimate.errors import UninformativeDataWarning
from estimate.estimators.base import Estimator, NotApplicable, register
from estimate.estimators.loglinear import (
    MAX_LISTS,
    fit_is_unbounded,
    fit_poisson_glm,
    full_table,
    mle_exists,
    outside_profile_interval,
    profile_interval,
    warn_if_no_upper_limit,
)
from estimate.results import Interval, Result

__all__ = ["HeterogeneityModel", "M0", "Mt", "MhChao", "MhPoisson2", "MhDarroch", "MthChao", "MthPoisson2",
           "MthDarroch"]

_HETEROGENEITY = ("none", "chao", "poisson2", "darroch")


def heterogeneity_columns(k: np.ndarray, kind: str, n_lists: int) -> np.ndarray:
    """Design columns τ(k) for the heterogeneity form ``kind``."""
    k = k.astype(float)
    if kind == "none":
        return np.empty((len(k), 0))
    if kind == "poisson2":
        return (2.0**k - 1.0)[:, None]
    if kind == "darroch":
        return (k**2 / 2.0)[:, None]
    if kind == "chao":  # Rcapture's Xclosedp: t − 2 columns (k − j + 1)₊, j = 3..t
        return np.column_stack([np.maximum(k - j + 1, 0.0) for j in range(3, max(n_lists, 3) + 1)])
    raise ValueError(f"unknown heterogeneity form {kind!r}; use one of {_HETEROGENEITY}")


def _model_name(effects: bool, kind: str) -> str:
    """Rcapture's name of a model: "Mt", "Mh Chao (LB)", "Mth Darroch" ..."""
    base = "Mt" if effects else "M0"
    if kind == "none":
        return base
    forms = {"chao": "Chao (LB)", "poisson2": "Poisson2", "darroch": "Darroch"}
    return ("Mth" if effects else "Mh") + " " + forms[kind]


def _registry_name(effects: bool, kind: str) -> str:
    """The method name the package registers the model under: "mt", "mh-chao", "mth-darroch" ..."""
    if kind == "none":
        return "mt" if effects else "m0"
    return ("mth-" if effects else "mh-") + kind


class HeterogeneityModel(Estimator):
    """Rcapture log-linear model M0/Mt/Mh/Mth (Rivest & Baillargeon 2007), chosen by ``list_effects`` and
    ``heterogeneity``.

    Parameters
    ----------
    list_effects
        True for a separate effect per list (Mt, Mth), False for a common one (M0, Mh); None (default) takes the
        class's own: True here, and each named model's (``m0``, ``mh-chao`` …) from its registry class.
    heterogeneity
        ``"none"``, ``"chao"``, ``"poisson2"`` or ``"darroch"``; None (default) takes the class's own (``"none"``
        here: this class alone fits Mt).
    level
        Confidence level of the profile-likelihood interval.
    """

    name = ""
    max_lists: ClassVar[int | None] = MAX_LISTS
    default_list_effects: ClassVar[bool] = True
    default_heterogeneity: ClassVar[str] = "none"

    def __init__(self, list_effects: bool | None = None, heterogeneity: str | None = None,
                 level: float = 0.95) -> None:
        self.list_effects = list_effects
        self.heterogeneity = heterogeneity
        self.level = level

    def _spec(self) -> tuple[bool, str]:
        if not (self.list_effects is None or isinstance(self.list_effects, (bool, np.bool_))):
            raise ValueError(f"list_effects must be True, False or None, got {self.list_effects!r}")
        if not (self.heterogeneity is None or isinstance(self.heterogeneity, str)):
            raise ValueError(f"heterogeneity must be one of {_HETEROGENEITY} or None, got {self.heterogeneity!r}")
        effects = self.default_list_effects if self.list_effects is None else bool(self.list_effects)
        kind = self.default_heterogeneity if self.heterogeneity is None else self.heterogeneity.lower()
        if kind not in _HETEROGENEITY:
            raise ValueError(f"heterogeneity must be one of {_HETEROGENEITY}, got {kind!r}")
        if self.name and (effects, kind) != (self.default_list_effects, self.default_heterogeneity):
            # Mth Chao with heterogeneity="none" fitted Mt and reported it as mth-chao
            raise ValueError(f"{self.name} fits {_model_name(self.default_list_effects, self.default_heterogeneity)}; "
                             f"list_effects={self.list_effects!r}, heterogeneity={self.heterogeneity!r} would fit "
                             f"{_model_name(effects, kind)} — use method {_registry_name(effects, kind)!r} for that")
        return effects, kind

    def method_name(self) -> str:
        """The registry name of the model fitted (``"mth-chao"``), also for a HeterogeneityModel built directly."""
        return _registry_name(*self._spec())

    def _check_params(self) -> None:
        self._spec()

    def label(self) -> str:
        return _model_name(*self._spec())

    def design(self, cells: np.ndarray, n_lists: int) -> np.ndarray:
        effects, kind = self._spec()
        k = cells.sum(axis=1)
        capture_columns = cells.astype(float) if effects else k.astype(float)[:, None]
        return np.column_stack([np.ones(len(cells)), capture_columns, heterogeneity_columns(k, kind, n_lists)])

    def _validated(self, data: CaptureData | pd.DataFrame) -> CaptureData:
        """Heterogeneity models need 3 lists or more: with 2, the 3 observed cells leave no degree of freedom
        for the heterogeneity term (Mh/Mth Chao even has −1), and the fit returns an arbitrary N whose interval
        need not contain it."""
        checked = super()._validated(data)
        if self._spec()[1] != "none" and checked.n_lists < 3:
            raise NotApplicable(f"{self.label()} needs at least 3 lists to separate heterogeneity from the list "
                                f"effects; the data has {checked.n_lists}")
        return checked

    def _fit(self, data: CaptureData) -> Result:
        cells, y = full_table(data)
        X_full = self.design(cells, data.n_lists)
        fit = fit_poisson_glm(X_full[1:], y[1:])
        effects, kind = self._spec()
        chao_terms: list[int] = []
        if kind == "chao":
            # Rcapture's Chao.neg (closedp's default neg = TRUE): a negative η would make the lower bound a
            # smaller one; the first negative column is dropped and the model refitted until none is negative
            first_eta = 1 + (data.n_lists if effects else 1)
            chao_terms = list(range(3, max(data.n_lists, 3) + 1))
            while X_full.shape[1] > first_eta and np.any(fit.params[first_eta:] < 0):
                drop = int(np.argmax(fit.params[first_eta:] < 0))
                X_full = np.delete(X_full, first_eta + drop, axis=1)
                del chao_terms[drop]
                fit = fit_poisson_glm(X_full[1:], y[1:])
        n = data.observed
        beta0 = float(fit.params[0])
        f0 = math.exp(beta0) if beta0 < 700 else math.inf
        estimate = n + f0
        std_error = math.sqrt(f0**2 * fit.cov[0, 0] + f0) if math.isfinite(f0) else math.inf
        details: dict = {"coefficients": [float(b) for b in fit.params]}
        if kind == "chao":  # j of the (k − j + 1)₊ columns kept after dropping negative ones
            details["chao_terms"] = chao_terms
        exists = mle_exists(X_full[1:], y[1:])
        if fit_is_unbounded(fit.converged, f0, n, exists):
            warnings.warn(
                f"{self.label()}: the unobserved count is not bounded by the data under this model "
                f"(exp(β0) = {f0:.3g}; the maximum-likelihood estimate lies at infinity); reporting an infinite "
                "estimate and upper limit",
                UninformativeDataWarning,
                stacklevel=3,
            )
            interval = Interval(float(n), math.inf, level=self.level, kind="none")
            profile_n = math.nan
            # where the iterations stopped is an artefact of the stopping rule, not an estimate: details only
            details["boundary_estimate"] = estimate
            estimate, std_error = math.inf, math.inf
        else:
            profile_n, lower, upper = profile_interval(X_full, y, n, self.level, start=fit.params)
            interval = Interval(lower, upper, level=self.level, kind="profile-likelihood")
            # e.g. three lists and nobody on all three: the heterogeneity coefficient runs off towards −∞ and N̂
            # collapses towards the documented count (LogLinear warns in the same situation).  The profile
            # interval's χ² calibration needs an interior maximum: at the boundary it was a narrow [n, n + 8] that
            # covered the truth in 74% of simulated samples (3 independent lists, N = 200), so no upper limit is
            # claimed.  (Without a heterogeneity term the boundary is a list that has everyone, and N̂ = n with its
            # narrow interval is the model's answer: the last case below)
            no_upper_limit = not exists and kind in ("poisson2", "darroch")
            on_every_list = int(data.counts[data.patterns.all(axis=1)].sum())
            boundary = ("here everyone is on every list" if on_every_list == data.observed
                        else "here nobody is on every list" if on_every_list == 0
                        else "e.g. nobody on every list, or everyone")
            no_interval = (f"the upper limit is reported as ∞ (the boundary fit's profile interval, [{lower:,.1f}, "
                           f"{upper:,.1f}], is kept in details). Use a model without the heterogeneity term or a "
                           "log-linear model")
            if outside_profile_interval(estimate, profile_n, lower, upper, n):
                # the IRLS coefficients ran off to a boundary (e.g. everyone on every list: Darroch's term → ±∞)
                # and exp(β0) landed anywhere; the profile likelihood's maximum is the MLE of N (with no MLE, as on
                # very sparse lists — 2,088 of 300,000 people seen — that maximum is n: no upper limit either)
                warnings.warn(
                    f"{self.label()}: the model's fit ran to a boundary of its parameter space (coefficients "
                    f"{max(abs(float(b)) for b in fit.params):.3g} in size) and its N = {estimate:,.1f} lies "
                    f"outside its own profile-likelihood interval; reporting the profile maximum {profile_n:,.1f}"
                    + (f"; the maximum-likelihood estimate does not exist for these counts ({boundary}), so the "
                       f"profile likelihood gives no valid interval: {no_interval}"
                       if no_upper_limit else ""),
                    UninformativeDataWarning,
                    stacklevel=3,
                )
                details["boundary_estimate"] = estimate
                estimate, std_error = profile_n, None
            elif no_upper_limit:
                warnings.warn(
                    f"{self.label()}: the maximum-likelihood estimate does not exist for these counts (the "
                    f"observed table lies on the boundary of what the model can fit: {boundary}), "
                    f"so N = {estimate:,.1f} depends on where the iterations stopped (coefficients "
                    f"{max(abs(float(b)) for b in fit.params):.3g} in size) and the profile likelihood gives no "
                    f"valid interval: {no_interval}",
                    UninformativeDataWarning,
                    stacklevel=3,
                )
            elif not exists:
                warnings.warn(
                    f"{self.label()}: the maximum-likelihood estimate does not exist for these counts (the "
                    "observed table lies on the boundary of what the model can fit, e.g. a list has everyone), so "
                    f"N = {estimate:,.1f} is the limit the fit approaches and its interval rests on that boundary",
                    UninformativeDataWarning,
                    stacklevel=3,
                )
            if no_upper_limit:
                details["boundary_profile_interval"] = [lower, upper]
                interval = Interval(float(n), math.inf, level=self.level, kind="none")
                std_error = None  # the delta method at the boundary fit means no more than its interval
            if "boundary_profile_interval" not in details:  # else the warning above has said it
                warn_if_no_upper_limit(self.label(), estimate, upper, self.level, stacklevel=3)
        details["mle_exists"] = exists
        mu = fit.mu
        obs = y[1:]
        deviance = 2 * float(np.sum(np.where(obs > 0, obs * np.log(np.where(obs > 0, obs, 1) / mu), 0) - (obs - mu)))
        n_params = X_full.shape[1]
        return Result(
            method=self.method_name(),
            model=f"Rcapture {self.label()} log-linear model",
            # Chao's (LB) models estimate a lower bound of N (Rcapture's own label), not N
            estimate_kind="lower bound" if kind == "chao" else "mle",
            estimate=estimate,
            interval=interval,
            observed=n,
            lists=data.lists,
            std_error=std_error,
            diagnostics={
                "deviance": deviance,
                "df": len(obs) - n_params,
                "aic": -2 * fit.llf + 2 * n_params,
                "bic": -2 * fit.llf + n_params * math.log(len(obs)),
            },
            details={**details, "profile_estimate": profile_n},
        )


def _variant_parameters(effects: bool, kind: str) -> str:
    """The Parameters section of a named model: its list effects and heterogeneity are fixed (the parent's text,
    "True here", "none here", described the parent class)."""
    return (f"""

    Parameters
    ----------
    list_effects, heterogeneity
        Fixed for this model ({effects}, ``"{kind}"``): leave them None.  Another value raises ValueError naming
        the method that fits it (e.g. ``mt`` for list effects without heterogeneity).
    level
        Confidence level of the profile-likelihood interval.
    """)


def _variant(class_name: str, registry_name: str, effects: bool, kind: str, doc: str) -> type[HeterogeneityModel]:
    cls = type(class_name, (HeterogeneityModel,), {
        "name": registry_name,
        "default_list_effects": effects,
        "default_heterogeneity": kind,
        "__doc__": doc + _variant_parameters(effects, kind),
        "__module__": __name__,
    })
    return register(cls)


M0 = _variant("M0", "m0", False, "none", "Rcapture M0: one capture probability shared by all lists.")
Mt = _variant("Mt", "mt", True, "none", "Rcapture Mt: list effects, independent lists, no heterogeneity.")
MhChao = _variant("MhChao", "mh-chao", False, "chao", "Rcapture Mh Chao: Chao's lower bound in log-linear form.")
MhPoisson2 = _variant("MhPoisson2", "mh-poisson2", False, "poisson2", "Rcapture Mh Poisson2 heterogeneity model.")
MhDarroch = _variant("MhDarroch", "mh-darroch", False, "darroch", "Rcapture Mh Darroch heterogeneity model.")
MthChao = _variant("MthChao", "mth-chao", True, "chao", "Rcapture Mth Chao: list effects plus Chao's lower bound.")
MthPoisson2 = _variant("MthPoisson2", "mth-poisson2", True, "poisson2", "Rcapture Mth Poisson2: list effects and "
                       "Poisson2 heterogeneity.")
MthDarroch = _variant("MthDarroch", "mth-darroch", True, "darroch", "Rcapture Mth Darroch: list effects and Darroch "
                      "heterogeneity.")
