"""The one results type shared by every estimator.

A :class:`Result` carries everything a report needs, so nothing recomputes the fit: the point estimate of the
population size N, an :class:`Interval` (level and the method that produced it), the observed ("at least")
count, the estimated number of undocumented people, the model's description, diagnostics and, for Bayesian
estimators, the posterior draws of N as ArviZ ``InferenceData`` (dimensions ``chain`` × ``draw``).
"""

from __future__ import annotations

import datetime
import html
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from estimate._checks import check_interval_kind, check_level
from estimate.errors import DataError

if TYPE_CHECKING:  # pragma: no cover
    import arviz as az

__all__ = ["Interval", "Result"]

INTERVAL_KINDS = (
    "equal-tailed",
    "hdi",
    "profile-likelihood",
    "wald",
    "log-normal",
    "bootstrap-bca",
    "none",
)
#: Kinds of Bayesian credible intervals; every other kind is a frequentist confidence interval (or none).
CREDIBLE_KINDS = ("equal-tailed", "hdi")


def is_timing_key(key: str) -> bool:
    """True for a diagnostic that measures run time rather than the fit (it differs between identical runs)."""
    return key in ("seconds", "us_per_sweep") or key.endswith(("_seconds", "_per_second"))


def interval_name(kind: str) -> str:
    """"credible" for a Bayesian interval kind, "confidence" otherwise: the one place the wording is decided
    (sentences, summaries, plot titles and labels all use it)."""
    return "credible" if kind in CREDIBLE_KINDS else "confidence"


def no_draws_error(method: str) -> ValueError:
    """The error for draws asked of a result without them (:meth:`Result.draws`,
    :meth:`~estimate.strata.StrataResult.draws_dataset`)."""
    return ValueError(f"the {method!r} result has no posterior draws (a non-Bayesian method, or a result read from "
                      ".json, which keeps summaries only: its .nc file keeps the draws)")


def malformed_field(exc: Exception) -> str:
    """What is wrong with a saved result's field, from the exception reading it raised (a file edited by hand)."""
    return (f"the field {exc.args[0]!r} is missing" if isinstance(exc, KeyError) and exc.args
            else f"a field is missing or has the wrong type or form ({exc})")


@dataclass(frozen=True)
class Interval:
    """An interval estimate of N.

    ``kind`` says how it was obtained: ``"equal-tailed"`` or ``"hdi"`` (Bayesian credible intervals),
    ``"profile-likelihood"``, ``"wald"``, ``"log-normal"`` or ``"bootstrap-bca"`` (frequentist confidence
    intervals) or ``"none"`` when the data cannot bound N (``upper`` is then ``inf``).
    """

    lower: float
    upper: float
    level: float = 0.95
    kind: str = "equal-tailed"

    def __post_init__(self) -> None:
        check_level(self.level, "Interval: level")  # a text "0.9" failed with a bare TypeError
        bounds = (self.lower, self.upper)
        if not all(isinstance(b, (int, float, np.integer, np.floating)) and not isinstance(b, (bool, np.bool_))
                   for b in bounds):
            raise DataError(f"Interval: lower and upper must be numbers, got lower={self.lower!r}, "
                            f"upper={self.upper!r}")
        if self.lower > self.upper:  # (False when either is NaN: an interval not computed)
            raise DataError(f"Interval: lower must not exceed upper, got lower={self.lower!r}, upper={self.upper!r}")
        if self.kind not in INTERVAL_KINDS:
            raise ValueError(f"unknown interval kind {self.kind!r}; expected one of {INTERVAL_KINDS}")

    @property
    def is_credible(self) -> bool:
        """True for Bayesian credible intervals."""
        return self.kind in CREDIBLE_KINDS

    def describe(self) -> str:
        """e.g. ``"95% credible interval (equal-tailed)"``; ``"95% interval (none: the data give no upper
        limit)"`` for kind ``"none"``."""
        if self.kind == "none":
            return f"{level_percent(self.level)} interval (none: the data give no upper limit)"
        return f"{level_percent(self.level)} {interval_name(self.kind)} interval ({self.kind})"

    def __str__(self) -> str:
        return f"[{_fmt(self.lower)}, {_fmt(self.upper)}] ({self.describe()})"


def _format_diagnostic(key: str, value: float) -> str:
    """R-hat with three decimals (1.004 and 1.000 must not both print as 1: the warning threshold is 1.01), ESS
    as whole draws, acceptance rates with three decimals, anything else to four significant digits — whole
    numbers from 1,000 up (not 3.771e+04), and 0 for rounding noise below 10⁻⁹ (a deviance of −5e-15)."""
    if not math.isfinite(value):
        return str(value)
    if key == "r_hat":
        return f"{value:.3f}"
    if key.startswith("ess_") and not key.endswith("_per_second"):
        return f"{value:,.0f}"
    if key.endswith("accept_rate"):
        return f"{value:.3f}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) < 1e-9:
        return "0"
    return f"{value:.4g}"


def preformatted_html(text: str) -> str:
    """``text`` as an HTML ``<pre>`` block (escaped): what Jupyter shows for a result, its readable summary."""
    return f"<pre>{html.escape(text)}</pre>"


def _same_pair(stored: Sequence[Any], bounds: tuple[float, float]) -> bool:
    """Whether a stored [lower, upper] (JSON: null for NaN) is ``bounds``, NaN equal to NaN."""
    def number(value: Any) -> float:
        return math.nan if value is None else float(value)

    return all(number(a) == b or (math.isnan(number(a)) and math.isnan(b)) for a, b in zip(stored, bounds,
                                                                                          strict=True))


def _fmt(value: float) -> str:
    if value is None or not math.isfinite(value):
        return "∞" if value == math.inf else "n/a"
    return f"{value:,.0f}"


def interval_words(kind: str) -> str:
    """How a sentence names an interval of this kind: "credible interval", "highest-density credible interval",
    "confidence interval"."""
    return ("highest-density credible" if kind == "hdi" else interval_name(kind)) + " interval"


def interval_label(level: float, kind: str) -> str:
    """A table's short name of an interval: "95% credible (hdi)", "95% confidence (log-normal)", or "no upper
    limit" for kind "none"."""
    return "no upper limit" if kind == "none" else f"{level_percent(level)} {interval_name(kind)} ({kind})"


def level_percent(level: float) -> str:
    """An interval level as a percentage without misleading rounding: 0.95 → "95%", 0.999 → "99.9%",
    0.99999 → "99.999%" (not "100%"); ten significant digits hide only binary noise (0.95 × 100 = 95.00000000000001)."""
    return f"{float(level) * 100:.10g}%"


def _jsonable(value: Any) -> Any:
    """Convert numpy / pandas scalars and containers to plain JSON types."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        v = float(value)
        if math.isnan(v):
            return None
        if math.isinf(v):
            return "Inf" if v > 0 else "-Inf"  # R's jsonlite reads these as numbers; JSON has no infinity
        return v
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, pd.Series):
        return _jsonable(value.to_dict())
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, (pd.Timestamp, datetime.date)):  # e.g. a month stratum read from Parquet
        if isinstance(value, datetime.datetime) and value.tzinfo is None and value.time() == datetime.time():
            return value.date().isoformat()  # a day, written as the CSV tables write it ("2024-01-01")
        return value.isoformat()
    if isinstance(value, (pd.Period, pd.Timedelta, pd.Interval)):  # a month stratum as a pandas Period: "2021-01"
        return str(value)
    if isinstance(value, np.datetime64):
        return str(value)
    return value


#: how an infinite number is spelt in JSON: "Inf"/"-Inf" (R's jsonlite convention), "inf"/"-inf" before 2026-12
_INFINITIES = {"Inf": math.inf, "-Inf": -math.inf, "inf": math.inf, "-inf": -math.inf}


def _from_json_float(value: Any) -> float:
    if value is None:
        return math.nan
    if isinstance(value, str) and value in _INFINITIES:
        return _INFINITIES[value]
    return float(value)


def _restore_non_finite(value: Any, *, none_is_nan: bool = False) -> Any:
    """Undo :func:`_jsonable`'s spelling of non-finite numbers: "Inf"/"-Inf" back to floats, recursively; with
    ``none_is_nan`` a top-level None (how NaN is written) back to NaN (diagnostics are numbers)."""
    if isinstance(value, dict):
        return {k: _restore_non_finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore_non_finite(v) for v in value]
    if isinstance(value, str) and value in _INFINITIES:
        return _from_json_float(value)
    if value is None and none_is_nan:
        return math.nan
    return value


@dataclass
class Result:
    """Fitted population-size estimate.

    Attributes
    ----------
    method
        Estimator name (``"chapman"``, ``"loglinear"``, ``"lcmcr"`` ...).
    model
        Human-readable description of the fitted model (terms, priors, latent classes ...).
    estimate
        Point estimate of the total population size N: an MLE, a posterior median, Chapman's bias-corrected
        estimate or Chao's lower bound (:attr:`estimate_kind` says which).
    interval
        Interval estimate of N with its level and kind.
    observed
        n, the number of distinct people on at least one list.
    lists
        Names of the lists used.
    estimate_kind
        ``"mle"``, ``"posterior median"``, ``"lower bound"`` ...
    std_error
        Standard error of the estimate, where the method provides one; for a posterior (an estimate_kind
        starting "posterior"), the posterior standard deviation of N (:attr:`std_error_label` says which).
    diagnostics
        Fit statistics (deviance, AIC, BIC) or sampler diagnostics (R-hat, ESS, divergences, run time).
    details
        Method-specific extras (coefficients, model weights, selected terms ...).
    posterior
        For Bayesian methods, an ``arviz.InferenceData`` with at least ``N`` in its posterior group.
    provenance
        Versions, seed, preset, data hash, command line, times — filled in by :mod:`estimate.provenance`.
    """

    method: str
    model: str
    estimate: float
    interval: Interval
    observed: int
    lists: tuple[str, ...] = ()
    estimate_kind: str = "mle"
    std_error: float | None = None
    diagnostics: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    posterior: az.InferenceData | None = field(default=None, repr=False, compare=False)
    provenance: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    # ---------------------------------------------------------------- derived quantities
    @property
    def undocumented(self) -> float:
        """Estimated number of people on no list: N̂ − n."""
        return self.estimate - self.observed

    @property
    def undocumented_fraction(self) -> float:
        """Share of the estimated total that no list documented: (N̂ − n) / N̂."""
        return self.undocumented / self.estimate if self.estimate > 0 else math.nan

    @property
    def std_error_label(self) -> str:
        """How summaries name :attr:`std_error`: "posterior SD" for a posterior summary (it is the posterior
        standard deviation of N, beside a credible interval), "standard error" otherwise."""
        return "posterior SD" if str(self.estimate_kind).startswith("posterior") else "standard error"

    @property
    def is_bayesian(self) -> bool:
        """True when the result carries posterior draws (InferenceData) — not so for a Bayesian fit read back from
        ``.json``, which keeps its summaries only (its ``.nc`` keeps the draws)."""
        return self.posterior is not None

    def draws(self) -> np.ndarray:
        """Posterior draws of N, shape (chain, draw), as a read-only view (``.copy()`` to change them: writing
        into the view would change the result's posterior and every interval computed from it). Raises for
        non-Bayesian results."""
        view = np.asarray(self._required_posterior().posterior["N"].values).view()
        view.setflags(write=False)
        return view

    def to_inference_data(self) -> az.InferenceData:
        """The posterior as ArviZ InferenceData (the object ``posterior`` holds, not a copy): ``posterior.N`` with
        dims (chain, draw), the sampler's settings and seed in its attributes, and the capture patterns in
        ``observed_data``; as :meth:`StrataResult.to_inference_data` gives it per stratum.  Raises for
        non-Bayesian results and for results read from ``.json`` (their ``.nc`` keeps the draws)."""
        return self._required_posterior()

    def _required_posterior(self) -> az.InferenceData:
        if self.posterior is None:
            raise no_draws_error(self.method)
        return self.posterior

    def credible_interval(self, level: float | None = None, kind: str | None = None) -> Interval:
        """Credible interval of N at another level or kind (``"equal-tailed"`` or ``"hdi"``): from the exact
        posterior pmf when the result carries one (dga), else from the posterior draws.  ``level`` and ``kind``
        default to those of the fit's own interval (``result.interval``), equal-tailed when it has none."""
        from estimate.inference_data import interval_from_draws

        level = self.interval.level if level is None else level
        if kind is None:
            kind = self.interval.kind if self.interval.kind in ("equal-tailed", "hdi") else "equal-tailed"
        kind = check_interval_kind(kind, "kind")  # "HDI" as compare(interval=) takes it

        if "pmf" in self.details and "pmf_first_N" in self.details:
            from estimate.estimators.dga import credible_interval

            return credible_interval(self, level=level, kind=kind)
        return interval_from_draws(self.draws(), level=level, kind=kind)

    # ---------------------------------------------------------------- presentation
    def summary(self) -> pd.DataFrame:
        """One-row DataFrame: method, model, observed, estimate, interval, undocumented share, diagnostics, and for
        MCMC fits whether N passed the convergence checks (``converged``: R-hat ≤ 1.01, bulk and tail ESS ≥ 400;
        for the PyMC methods also R-hat and bulk ESS of E[N | θ] = n/(1 − p0), which a stuck sampler fails while N's
        freshly drawn n0 can pass)."""
        from estimate.inference_data import convergence_problems

        row: dict[str, Any] = {
            "method": self.method,
            "model": self.model,
            "observed": self.observed,
            "estimate": self.estimate,
            "estimate_kind": self.estimate_kind,
            "lower": self.interval.lower,
            "upper": self.interval.upper,
            "level": self.interval.level,
            "interval_kind": self.interval.kind,
            "std_error": self.std_error,
            "undocumented": self.undocumented,
            "undocumented_fraction": self.undocumented_fraction,
        }
        for key, value in self.diagnostics.items():
            if np.isscalar(value) or value is None:
                row[key] = value
            if key == "ess_tail" and "r_hat" in self.diagnostics:  # beside the checks it sums up, as fit_strata's
                row["converged"] = not convergence_problems(self.diagnostics)
        return pd.DataFrame([row])

    def sentence(self, population: str | None = None) -> str:
        """Plain-language sentence for readers who are not statisticians.

        e.g. "Documented: at least 4,400. Estimated total: 10,400 (95% credible interval 9,060–13,600); about 58%
        of the total is undocumented." (LCMCR on Kosovo, seed 1).  The estimate and the interval ends are rounded to
        three significant figures (more digits when the interval is narrower than four such steps, so that its ends stay
        apart; never below the documented count, which is exact): model and Monte Carlo uncertainty make more digits
        meaningless.  The interval is "credible" for Bayesian methods and "confidence" otherwise.  ``population`` names
        who is counted: ``sentence("deaths")`` ends "about 58% of deaths are undocumented."  A lower bound (Chao's) is
        called one, and its undocumented share "at least"; an HDI is called a highest-density interval.
        """
        interval = self.interval
        observed = self.observed
        # three significant figures each, but never in steps wider than a quarter of the interval (10,451–10,549
        # is not "10,500–10,500")
        width = interval.upper - interval.lower
        finest = 10.0 ** max(int(math.floor(math.log10(width / 4))), 0) if math.isfinite(width) and width > 0 \
            else math.inf

        def rounded(value: float) -> str:
            if not math.isfinite(value) or value == 0:
                return _fmt(value)
            step = min(10.0 ** max(int(math.floor(math.log10(abs(value)))) - 2, 0), finest)
            shown = step * math.floor(value / step + 0.5)  # halves up, as readers round (5,145 → 5,150)
            return _fmt(max(shown, observed) if value >= observed else shown)

        def no_upper_limit() -> str:
            # a lower limit at the documented count is a certainty, not a 95% statement
            if not interval.lower > observed:
                return f"at least the {observed:,} documented"
            return f"{_fmt(interval.lower)} or more at {level_percent(interval.level)}"

        if not math.isfinite(self.estimate):  # e.g. lists that never overlap: no finite estimate exists
            return (f"Documented: at least {observed:,}. Estimated total: no finite estimate — the data give no "
                    f"upper limit ({no_upper_limit()}).")
        bound = self.estimate_kind == "lower bound"  # e.g. Chao's: the total is at least this, likely more
        what = "Estimated lower bound of the total" if bound else "Estimated total"
        text = f"Documented: at least {observed:,}. {what}: {rounded(self.estimate)}"
        if interval.kind == "none" or not math.isfinite(interval.upper):
            text += f" (the data give no upper limit: {no_upper_limit()})"
            if self.details.get("prior_driven"):  # the estimate itself is the priors' (e.g. dga, no overlaps)
                return (text + f" — but {self.details['prior_driven']}, so the estimate comes from the model's "
                        "priors, not the data.")
        else:
            ends = f"{rounded(interval.lower)}–{rounded(interval.upper)}"
            unstable = self.details.get("unstable_limits")  # a bootstrap limit at its samples' edge (sparsemse)
            if unstable:
                ends += f", its {' and '.join(map(str, unstable))} limit{'s' if len(unstable) > 1 else ''} unstable"
            if bound:  # an interval for the bound: its upper end is no upper limit for the total
                text += (f" ({level_percent(interval.level)} {interval_words(interval.kind)} of the bound {ends}; "
                         "this method gives no upper limit for the total)")
            else:
                text += f" ({level_percent(interval.level)} {interval_words(interval.kind)} {ends})"
            if self.details.get("prior_driven"):  # a finite interval the data did not make
                return (text + f" — but {self.details['prior_driven']}, so this comes from the model's priors, not "
                        "the data: treat the total as unbounded above.")
        # a pooled mixture over imputations can put its median a little below their mean documented count: no one
        # undocumented, not "about -2%"
        fraction = max(self.undocumented_fraction, 0.0) if math.isfinite(self.undocumented_fraction) else math.nan
        # an estimate at the documented count with no upper limit (a model that leaves N undetermined) says nothing
        # about the share undocumented: "less than 1%" would read as a finding
        # (a lower bound's share stays: "at least 0.30%" holds however far above it the total lies)
        if math.isfinite(fraction) and (bound or not (fraction < 0.005 and not math.isfinite(interval.upper))):
            if 0 < fraction < 0.005:
                # a lower bound's share is itself a floor: "at least 0.3%", not "at least less than 1%"
                share = (f"{100 * fraction:.2f}%" if 100 * fraction >= 0.01 else "a tiny share (under 0.01%)") \
                    if bound else "less than 1%"
            elif 0.995 <= fraction < 1:  # "about 100%" cannot be: someone was documented
                share = "more than 99%"
            else:
                share = f"about {fraction:.0%}"
            if bound:
                share = f"at least {share}"
            if population:
                text += f"; {share} of {population} are undocumented."
            else:
                text += f"; {share} of the total is undocumented."
        else:
            text += "."
        return text

    def plot(self, ax: Any = None, *, kind: str = "posterior") -> Any:
        """Figure of the estimate: ``kind="posterior"`` (N with the documented count and the interval marked)
        or ``"trace"`` (per-chain density, trace and rank plots; Bayesian results only).  See
        :mod:`estimate.plots`; returns the matplotlib Figure.  ``ax``: draw in this Axes' place instead of a new
        figure (the trace plot divides it into its three panels)."""
        from estimate import plots

        if kind == "posterior":
            return plots.plot_posterior(self, ax)
        if kind == "trace":
            return plots.plot_trace(self, ax)
        raise ValueError(f"unknown plot kind {kind!r}; use 'posterior' or 'trace'")

    def __str__(self) -> str:
        lines = [
            f"{self.method}: {self.model}",
            *self._preset_lines(),
            f"  observed (at least): {self.observed:,}",
            f"  estimate of N ({self.estimate_kind}): {_fmt(self.estimate)}",
            f"  {self.interval.describe()}: {_fmt(self.interval.lower)} – {_fmt(self.interval.upper)}",
        ]
        other = {"equal-tailed": "hdi", "hdi": "equal-tailed"}.get(self.interval.kind)
        bounds = self.details.get(f"interval_{other.replace('-', '_')}") if other else None
        own = self.details.get(f"interval_{self.interval.kind.replace('-', '_')}")
        if own is not None and len(own) == 2 and not _same_pair(own, (self.interval.lower, self.interval.upper)):
            bounds = None  # the interval was replaced after the fit: the stored pair is at another level
        if bounds is not None and len(bounds) == 2:  # a posterior's other credible interval (dga, LCMCR, PyMC)
            alternative = Interval(float(bounds[0]), float(bounds[1]), level=self.interval.level, kind=other)
            lines.append(f"  {alternative.describe()}: {_fmt(alternative.lower)} – {_fmt(alternative.upper)}")
        if self.std_error is not None and math.isfinite(self.std_error):
            lines.append(f"  {self.std_error_label}: {self.std_error:,.1f}")
        if self.details.get("prior_driven"):
            lines.append(f"  note: {self.details['prior_driven']}: the interval comes from the priors, not the data")
        if self.details.get("interval_note"):  # e.g. a searched log-linear model's interval ignores the search
            lines.append(f"  note: {self.details['interval_note']}")
        for key, value in self.diagnostics.items():
            if isinstance(value, float):
                note = " (one chain: its two halves compared)" if key == "r_hat" and self._chains() == 1 else ""
                lines.append(f"  {key}: {_format_diagnostic(key, value)}{note}")
            elif np.isscalar(value):
                lines.append(f"  {key}: {value}")
        lines.extend(self._goodness_of_fit_lines())
        return "\n".join(lines)

    def _goodness_of_fit_lines(self) -> list[str]:
        """The deviance's χ² p-value, where a likelihood method gave a deviance on df > 0 degrees of freedom: the
        observed patterns can reject a model (only its extrapolation to the people on no list cannot be checked)."""
        deviance, df = self.diagnostics.get("deviance"), self.diagnostics.get("df")
        if not (isinstance(deviance, int | float) and isinstance(df, int | float) and math.isfinite(deviance)
                and math.isfinite(df) and df > 0 and deviance >= 0):
            return []
        from scipy.stats import chi2

        p_value = float(chi2.sf(deviance, df))
        line = (f"  goodness of fit: deviance {deviance:,.1f} on {df:g} df, p = {p_value:.2g} (χ² approximation: "
                "rough when many cells hold few people, optimistic after a model search)")
        if p_value < 0.01:
            line += "; the observed patterns reject this model (or vary more than Poisson counts do)"
            if self.interval.kind != "bootstrap-bca":  # a bootstrap over people already sees the extra variation
                line += ", and its interval then understates the uncertainty"
        return [line]

    def __repr__(self) -> str:
        """One line (the dataclass default printed every detail: a log-linear fit's candidate models, dga's whole
        posterior pmf once read back from JSON — 690,000 characters); ``str()`` gives the readable summary."""
        return (f"Result(method={self.method!r}, estimate={_fmt(self.estimate)}, "
                f"interval=[{_fmt(self.interval.lower)}, {_fmt(self.interval.upper)}] "
                f"({level_percent(self.interval.level)} {self.interval.kind}), "
                f"observed={self.observed:,}, lists={list(self.lists)})")

    def _repr_html_(self) -> str:
        """Jupyter's display: the readable summary of ``str()`` (the one-line repr is for the console)."""
        return preformatted_html(str(self))

    def _chains(self) -> int | None:
        """Number of chains of the posterior draws (None without draws)."""
        if self.posterior is None or "posterior" not in self.posterior.groups():
            return None
        return int(self.posterior.posterior.sizes.get("chain", 0)) or None

    def _preset_lines(self) -> list[str]:
        """The model preset the fit used, and the values it took instead of the preset's (none without one)."""
        preset = self.provenance.get("preset") if isinstance(self.provenance, dict) else None
        if not isinstance(preset, dict) or not preset.get("name"):
            return []
        overrides = preset.get("overrides") or {}
        changed = ", ".join(f"{key}={value!r}" for key, value in overrides.items())
        return [f"  preset: {preset['name']}" + (f" (overridden: {changed})" if changed else "")]

    # ---------------------------------------------------------------- serialisation
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (posterior draws are not included; ``save("….nc")`` keeps them)."""
        return _jsonable(
            {
                "method": self.method,
                "model": self.model,
                "estimate": self.estimate,
                "estimate_kind": self.estimate_kind,
                "interval": asdict(self.interval),
                "observed": self.observed,
                "undocumented": self.undocumented,
                "undocumented_fraction": self.undocumented_fraction,
                "lists": list(self.lists),
                "std_error": self.std_error,
                "diagnostics": self.diagnostics,
                "details": self.details,
                "provenance": self.provenance,
            }
        )

    def to_json(self, **kwargs: Any) -> str:
        """:meth:`to_dict` as JSON text (``kwargs`` go to :func:`json.dumps`; indented by 2 by default)."""
        kwargs.setdefault("indent", 2)
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> Result:
        """Inverse of :meth:`to_dict` (without posterior draws); :class:`DataError` for anything else."""
        if not isinstance(payload, Mapping):
            raise DataError("a result is read from a mapping (what Result.to_dict wrote), got "
                            f"{type(payload).__name__}")
        missing = [key for key in ("method", "model", "estimate", "interval", "observed") if key not in payload]
        if missing:
            raise DataError(f"not an estimate result: it has no {', '.join(missing)}")
        try:
            return cls._from_dict_unchecked(payload)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:  # a field of the wrong type or shape
            raise DataError(f"not a well-formed estimate result: {malformed_field(exc)}") from exc

    @classmethod
    def _from_dict_unchecked(cls, payload: Mapping[str, Any]) -> Result:
        """:meth:`from_dict` letting a malformed field's own exception through (a saved file's reader names the
        file and what it holds)."""
        interval = payload["interval"]
        if int(payload["observed"]) < 0:  # (an estimate may lie a little below it: a mixture over imputations')
            raise ValueError(f"observed is {payload['observed']!r}: a number of people is not negative")
        return cls(
            method=payload["method"],
            model=payload["model"],
            estimate=_from_json_float(payload["estimate"]),
            interval=Interval(
                lower=_from_json_float(interval["lower"]),
                upper=_from_json_float(interval["upper"]),
                level=float(interval["level"]),
                kind=interval["kind"],
            ),
            observed=int(payload["observed"]),
            lists=tuple(payload.get("lists", ())),
            estimate_kind=payload.get("estimate_kind", "mle"),
            std_error=None if payload.get("std_error") is None else _from_json_float(payload["std_error"]),
            diagnostics={k: _restore_non_finite(v, none_is_nan=True)
                         for k, v in (payload.get("diagnostics") or {}).items()},
            details=_restore_non_finite(dict(payload.get("details") or {})),
            provenance=dict(payload.get("provenance", {})),
        )

    @classmethod
    def from_json(cls, text: str) -> Result:
        """The result :meth:`to_json` wrote (without posterior draws: a ``.nc`` file keeps those; see
        :func:`estimate.load_result`)."""
        try:
            payload = json.loads(text)
        except (TypeError, json.JSONDecodeError) as exc:
            raise DataError(f"not a JSON estimate result: {exc}") from exc
        return cls.from_dict(payload)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write atomically, format by suffix: ``.json`` (full result with provenance), ``.csv``/``.parquet``
        (summary row), ``.nc`` (netCDF: posterior draws, the result in attributes).  Read back with
        :func:`estimate.load_result`."""
        from estimate.export import save_result

        return save_result(self, path)

    def __eq__(self, other: object) -> bool:
        """Equal when every compared field is equal in JSON form (NaN equals NaN, an array equals its list).

        Posterior draws, provenance and run times (``wall_seconds``, ``us_per_sweep``, ``ess_bulk_per_second`` ...
        among the diagnostics and details) are not compared: two fits with the same seed are equal.  Compare draws
        with :meth:`draws`.
        """
        if not isinstance(other, Result):
            return NotImplemented
        mine, theirs = self.to_dict(), other.to_dict()
        for payload in (mine, theirs):
            payload.pop("provenance")
            for group in ("diagnostics", "details"):
                payload[group] = {k: v for k, v in (payload.get(group) or {}).items() if not is_timing_key(k)}
        return mine == theirs
