"""The single place where posterior draws become ArviZ ``InferenceData`` and where diagnostics come from.

Every Bayesian estimator hands its raw draws (NumPy arrays shaped ``(chain, draw, ...)``) to
:func:`to_inference_data`; intervals (:func:`interval_from_draws`) and convergence diagnostics
(:func:`convergence_diagnostics`, R-hat and bulk/tail ESS of Vehtari et al. 2021) are computed by ArviZ here, and
:func:`warn_if_not_converged` turns failed diagnostics into a :class:`~estimate.errors.ConvergenceWarning`.
:func:`ess_ar_spectral` gives the ESS that R's ``coda::effectiveSize`` reports, for comparisons with R output.
"""

from __future__ import annotations

import functools
import json
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from estimate._checks import check_level
from estimate._user_caches import ensure_writable_caches
from estimate._warning_state import catch_warnings
from estimate.errors import ConvergenceWarning
from estimate.results import Interval

if TYPE_CHECKING:  # pragma: no cover
    import arviz as az

__all__ = [
    "RHAT_MAX",
    "ESS_MIN",
    "to_inference_data",
    "strata_inference_data",
    "interval_from_draws",
    "convergence_diagnostics",
    "convergence_problems",
    "ess_ar_spectral",
    "warn_if_not_converged",
    "warn_if_some_not_converged",
    "plot_trace_rank",
]


@functools.cache
def _arviz() -> Any:
    """ArviZ, imported on first use: the import costs about a second (it compiles numba code), which fits that
    need none of it (closed forms, the warnings helpers below) should not pay."""
    # ArviZ 0.23 announces its 1.0 refactor on import; not actionable for users.  Under the package's warning
    # lock: warnings.catch_warnings alone, entered by two threads' first fits at once, left the filter for good
    ensure_writable_caches()  # its import writes to ~/.cache and fails with an OSError where it cannot
    with catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        import arviz

    return arviz

#: R-hat above this (Vehtari et al. 2021 recommend 1.01) triggers a ConvergenceWarning.
RHAT_MAX = 1.01
#: Bulk or tail ESS of N below this triggers a ConvergenceWarning (100 per chain for 4 chains).
ESS_MIN = 400.0


def to_inference_data(
    posterior: Mapping[str, np.ndarray],
    *,
    dims: Mapping[str, Sequence[str]] | None = None,
    coords: Mapping[str, Sequence[Any]] | None = None,
    observed: Mapping[str, np.ndarray] | None = None,
    attrs: Mapping[str, Any] | None = None,
    data: Any = None,
    sample_stats: Mapping[str, np.ndarray] | None = None,
) -> az.InferenceData:
    """Build InferenceData from arrays shaped ``(chain, draw, *shape)``.

    ``observed`` goes to the ``observed_data`` group; ``attrs`` (method, settings, seed) are attached to the
    posterior group.  With ``data`` (the fitted :class:`~estimate.data.CaptureData`) the observed data are its
    capture patterns: ``pattern_counts`` (dim ``pattern``, labelled by the 0/1 pattern as text, e.g. "1010" in list
    order) and ``capture_patterns`` (dims ``pattern`` × ``list``, the list names as coordinate), and the posterior
    attribute ``lists`` is the list names as a JSON array (names may contain commas).  ``sample_stats`` (a
    sampler's statistics of every draw, (chain, draw) each) goes to the ``sample_stats`` group.
    """
    arrays = {name: np.asarray(values) for name, values in posterior.items()}
    for name, values in arrays.items():
        if values.ndim < 2:
            raise ValueError(f"posterior variable {name!r} must be shaped (chain, draw, ...), got {values.shape}")
    dims = dict(dims or {})
    coords = dict(coords or {})
    observed = dict(observed or {})
    attrs = dict(attrs or {})
    if data is not None:
        patterns = np.asarray(data.patterns, dtype=np.int8)
        observed.update(pattern_counts=np.asarray(data.counts), capture_patterns=patterns)
        dims.update(pattern_counts=["pattern"], capture_patterns=["pattern", "list"])
        coords["pattern"] = ["".join(str(int(v)) for v in row) for row in patterns]
        coords["list"] = list(data.lists)
        attrs["lists"] = json.dumps(list(data.lists), ensure_ascii=False)
    # the groups as az.from_dict lays them out (a dimension without a name is "<variable>_dim_<i>"), built with
    # xarray directly: az.from_dict took 2.5 ms of the 5.5 ms a stratum's result costs beside its sampling
    groups = {"posterior": _dataset(arrays, dims, coords, sampled=True)}
    if sample_stats:
        groups["sample_stats"] = _dataset({k: np.asarray(v) for k, v in sample_stats.items()}, dims, coords,
                                          sampled=True)
    if observed:
        groups["observed_data"] = _dataset({k: np.asarray(v) for k, v in observed.items()}, dims, coords,
                                           sampled=False)
    groups["posterior"].attrs.update({str(k): v for k, v in attrs.items()})
    return _arviz().InferenceData(**groups)


def _dataset(arrays: Mapping[str, np.ndarray], dims: Mapping[str, Sequence[str]], coords: Mapping[str, Sequence[Any]],
             *, sampled: bool) -> Any:
    """One InferenceData group: each array with its named dimensions (``chain``, ``draw`` first if ``sampled``),
    the coordinates of those dimensions (a range where none is given), and ArviZ's ``created_at`` and
    ``arviz_version`` attributes."""
    import xarray as xr
    make_attrs = _arviz().data.base.make_attrs

    variables = {}
    used: dict[str, int] = {}
    for name, values in arrays.items():
        lead = ["chain", "draw"] if sampled else []
        rest = list(dims.get(name, []))
        rest += [f"{name}_dim_{i}" for i in range(len(rest), values.ndim - len(lead))]
        names = (*lead, *rest)
        variables[name] = (names, values)
        used.update({dim: size for dim, size in zip(names, values.shape, strict=True)})
    group_coords = {dim: (coords[dim] if dim in coords else np.arange(size)) for dim, size in used.items()}
    return xr.Dataset(variables, coords=group_coords, attrs=make_attrs())


def strata_inference_data(
    draws: np.ndarray,
    labels: Sequence[str],
    stratum_columns: Mapping[str, Sequence[Any]] | None = None,
    attrs: Mapping[str, Any] | None = None,
    *,
    observed: Sequence[int] | None = None,
    draw_replicates: Sequence[Any] | None = None,
) -> az.InferenceData:
    """Posterior draws of N per stratum as InferenceData: ``posterior.N`` with dims (chain, draw, stratum).

    ``draws`` is shaped (stratum, chain, draw); ``labels`` label the strata ("region=north, period=2020"), and
    ``stratum_columns`` adds each stratum column's values as a coordinate along ``stratum`` (a name that clashes
    with a dimension or with ``N`` gets a trailing underscore).  ArviZ's functions (``az.summary``,
    ``az.plot_forest``, ``az.rhat``) then work per stratum.  ``observed`` (each stratum's documented count) goes
    to the ``constant_data`` group; ``draw_replicates`` (pooled imputation replicates) labels each draw with the
    replicate it comes from, a coordinate ``replicate`` along ``draw``.  The posterior carries ArviZ's usual
    ``created_at`` / ``arviz_version`` attributes and the package's name and version.
    """
    import xarray as xr
    make_attrs = _arviz().data.base.make_attrs

    from estimate import __version__

    draws = np.asarray(draws)
    if draws.ndim != 3:
        raise ValueError(f"strata draws must be shaped (stratum, chain, draw), got {draws.shape}")
    coords: dict[str, Any] = {"chain": np.arange(draws.shape[1]), "draw": np.arange(draws.shape[2]),
                              "stratum": list(labels)}
    if draw_replicates is not None:
        coords["replicate"] = ("draw", list(draw_replicates))
    add_stratum_coords(coords, stratum_columns or {}, reserved=("N",))
    posterior = xr.Dataset({"N": (("chain", "draw", "stratum"), np.moveaxis(draws, 0, -1))}, coords=coords,
                           attrs=make_attrs({str(k): v for k, v in (attrs or {}).items()}))
    posterior.attrs.update(inference_library="estimate", inference_library_version=__version__)
    groups = {"posterior": posterior}
    if observed is not None:
        groups["constant_data"] = xr.Dataset({"observed": (("stratum",), np.asarray(observed, dtype=np.int64))},
                                             coords={"stratum": list(labels)})
    return _arviz().InferenceData(**groups)


def add_stratum_coords(coords: dict[str, Any], stratum_columns: Mapping[str, Sequence[Any]],
                       reserved: Sequence[str]) -> None:
    """Add each stratum column's values to ``coords`` as a coordinate along ``stratum``; a column whose name is
    already a coordinate (a stratum column called "stratum" or "chain") or ``reserved`` (a variable or dimension
    name, e.g. "N") gets trailing underscores until it is free."""
    for column, values in stratum_columns.items():
        name = column
        while name in coords or name in reserved:
            name = f"{name}_"
        coords[name] = ("stratum", list(values))


def write_netcdf(idata: az.InferenceData, path: Any, *, posterior_attrs: Mapping[str, str] | None = None) -> None:
    """Write ``idata`` atomically as netCDF (h5netcdf), adding ``posterior_attrs`` to the posterior group.

    ``idata`` itself is not modified.
    """
    from estimate.atomic import atomic_write_bytes

    groups = {name: getattr(idata, name) for name in idata.groups()}
    if posterior_attrs:
        groups["posterior"] = groups["posterior"].assign_attrs(**posterior_attrs)
    out = _arviz().InferenceData(**groups)
    atomic_write_bytes(path, _netcdf_bytes(out))


def _netcdf_bytes(idata: az.InferenceData) -> bytes:
    """The netCDF file ArviZ's ``InferenceData.to_netcdf(engine="h5netcdf")`` writes (its attributes at the root,
    each group compressed as ArviZ compresses it), built in memory.

    Written straight to a file, a full disk made HDF5 fail part-way and h5py then crashed the interpreter
    (SIGSEGV) while finalising the half-closed file, after the OSError was raised: a Python session lost every
    result it held, the CLI exited 139 instead of 2 (a fault-injection audit's find; h5py 3.16, HDF5 2.0).  Built
    in memory, only a plain write of bytes meets the disk, and a full disk is an ordinary OSError.
    """
    import io

    import xarray as xr

    buffer = io.BytesIO()
    mode = "w"
    if idata.attrs:
        xr.Dataset(attrs=idata.attrs).to_netcdf(buffer, mode=mode, engine="h5netcdf", group="/")
        mode = "a"
    for group in idata.groups():
        data = getattr(idata, group)
        encoding = {name: {"zlib": True} for name, values in data.variables.items()
                    if _compressible(values.dtype)}
        data.to_netcdf(buffer, mode=mode, engine="h5netcdf", group=group, encoding=encoding)
        mode = "a"
    return buffer.getvalue()


def _compressible(dtype: np.dtype) -> bool:
    """The dtypes ArviZ writes with zlib compression: booleans, numbers, byte strings (and records of them)."""
    if dtype.kind == "V" and dtype.fields:
        return all(_compressible(item) for item, _ in dtype.fields.values())
    return dtype.kind in {"b", "i", "u", "f", "c", "S"}


def read_netcdf(path: Any) -> az.InferenceData:
    """Read InferenceData written by :func:`write_netcdf`, fully into memory (the file is closed on return)."""
    az = _arviz()
    with az.rc_context({"data.load": "eager"}):
        return az.from_netcdf(str(path), engine="h5netcdf")


def interval_from_draws(draws: np.ndarray, level: float = 0.95, kind: str = "equal-tailed") -> Interval:
    """Credible interval of the draws: equal-tailed quantiles or the highest-density interval (ArviZ)."""
    values = np.asarray(draws, dtype=float)
    check_level(level)
    if kind == "equal-tailed":
        alpha = (1 - level) / 2
        lower, upper = np.quantile(values.ravel(), [alpha, 1 - alpha])
    elif kind == "hdi":
        bounds = np.asarray(_arviz().hdi(values.ravel(), hdi_prob=level)).ravel()
        lower, upper = float(bounds[0]), float(bounds[1])
    else:
        raise ValueError(f"unknown credible interval kind {kind!r}; use 'equal-tailed' or 'hdi'")
    return Interval(float(lower), float(upper), level=level, kind=kind)


def both_intervals(draws: np.ndarray, level: float = 0.95) -> dict[str, list[float]]:
    """The equal-tailed interval and the HDI of the draws at ``level``, as the results' details keep them
    (``interval_equal_tailed``, ``interval_hdi``: [lower, upper]), whichever of the two is the reported one."""
    return {f"interval_{name.replace('-', '_')}": [interval.lower, interval.upper]
            for name in ("equal-tailed", "hdi")
            for interval in (interval_from_draws(draws, level=level, kind=name),)}


def convergence_diagnostics(draws: np.ndarray) -> dict[str, float]:
    """R-hat (rank-normalised, split; Vehtari et al. 2021) and bulk/tail ESS of draws shaped (chain, draw).

    With one chain, R-hat compares the chain's two halves (as split R-hat does within every chain)."""
    values = np.asarray(draws, dtype=float)
    if values.ndim != 2:
        raise ValueError(f"draws must be shaped (chain, draw), got {values.shape}")
    az = _arviz()
    with catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if values.shape[1] < 4:  # ArviZ's minimum (it would log "Shape validation failed" and return NaN)
            return {"r_hat": math.nan, "ess_bulk": math.nan, "ess_tail": math.nan}
        if np.ptp(values) == 0:  # a point mass: nothing to diagnose (convergence_problems does not warn)
            return {"r_hat": math.nan, "ess_bulk": math.nan, "ess_tail": math.nan, "constant_draws": True}
        if values.shape[0] > 1:
            r_hat = float(az.rhat(values))
        elif values.shape[1] >= 8:  # one chain: ArviZ needs two; its halves (split again) still show a drift
            half = values.shape[1] // 2
            r_hat = float(az.rhat(np.stack([values[0, :half], values[0, values.shape[1] - half:]])))
        else:  # halves of fewer than 4 draws: ArviZ's minimum
            r_hat = math.nan
        ess_bulk = float(az.ess(values, method="bulk"))
        ess_tail = float(az.ess(values, method="tail"))
    return {"r_hat": r_hat, "ess_bulk": ess_bulk, "ess_tail": ess_tail}


def ess_ar_spectral(draws: np.ndarray) -> float:
    """Effective sample size as R's ``coda::effectiveSize`` computes it (Plummer, Best, Cowles & Vines 2006,
    "CODA: convergence diagnosis and output analysis for MCMC", R News 6(1)): per chain,

        ESS = n · s² / S(0),   S(0) = σ²_p / (1 − Σ_i φ_i)²,

    with s² the sample variance, and φ_1..φ_p, σ²_p the Yule–Walker fit of an AR(p) model whose order p minimises
    AIC = n log σ²_k + 2k over k ≤ min(n − 1, ⌊10 log₁₀ n⌋) (R's ``ar(x, aic = TRUE)``; σ²_p then scaled by
    n / (n − p − 1)); summed over chains as coda does for an ``mcmc.list``.

    Use it to compare with figures R users report.  It is not the diagnostic this package warns on: an AR model
    of low order misses a long tail of the autocorrelation, so for slowly mixing chains it is larger — often
    much larger — than ArviZ's rank-normalised bulk ESS (:func:`convergence_diagnostics`; on R LCMCR's own
    Kosovo chain 1,203 against 595).  ``draws`` is shaped (chain, draw) or (draw,).
    """
    from statsmodels.tsa.stattools import levinson_durbin

    values = np.asarray(draws, dtype=float)
    if values.ndim == 1:
        values = values[None, :]
    if values.ndim != 2 or values.shape[1] < 3:
        raise ValueError(f"draws must be shaped (chain, draw) with at least 3 draws, got {values.shape}")
    total = 0.0
    for chain in values:
        n = chain.size
        variance = chain.var(ddof=1)
        if not variance > 0:
            continue  # a constant chain carries no information about its own mixing (coda reports 0)
        centred = chain - chain.mean()
        max_order = min(n - 1, int(math.floor(10 * math.log10(n))))
        acov = np.array([centred[: n - k] @ centred[k:] / n for k in range(max_order + 1)])
        fit = levinson_durbin(acov, nlags=max_order, isacov=True)
        innovations = np.concatenate([[acov[0]], np.asarray(fit.sigma)[1:]])  # σ²_k, k = 0..max_order
        order = int(np.argmin(n * np.log(innovations) + 2 * np.arange(max_order + 1)))
        coefs = np.asarray(fit.phi)[1 : order + 1, order] if order > 0 else np.zeros(0)
        spectrum = innovations[order] * n / (n - order - 1) / (1.0 - coefs.sum()) ** 2
        total += n * variance / spectrum
    return float(total)


def convergence_problems(
    diagnostics: Mapping[str, float], *, rhat_max: float = RHAT_MAX, ess_min: float = ESS_MIN
) -> list[str]:
    """The failed convergence checks of N (R-hat above ``rhat_max``, bulk or tail ESS below ``ess_min``, an ESS
    that could not be computed, NUTS transitions that diverged), worded for a warning; empty when all pass, when
    the diagnostics are absent (non-Bayesian methods) or when every draw of N is the same (``constant_draws``).
    A divergence means the sampler could not follow the posterior somewhere, so it may have missed part of it
    (Betancourt 2017, "A conceptual introduction to Hamiltonian Monte Carlo"): a failed check, as in Stan."""
    problems: list[str] = []

    def number(key: str) -> float:  # anything but a real number (absent, None, text) counts as "not computed"
        value = diagnostics.get(key)
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan

    r_hat = number("r_hat")
    if math.isfinite(r_hat) and r_hat > rhat_max:
        # enough digits that the value shown is not the threshold itself (1.0100004 is "1.0100004", not "1.010")
        shown = f"{r_hat:.3f}" if r_hat >= rhat_max + 0.0005 else f"{r_hat:.10g}"
        problems.append(f"R-hat of N is {shown} (> {rhat_max})")
    for key, label in (("ess_bulk", "bulk"), ("ess_tail", "tail")):
        ess = number(key)
        if math.isfinite(ess) and ess < ess_min:
            problems.append(f"{label} ESS of N is {math.floor(ess * 10) / 10:g} (< {ess_min:.0f})")
    # PyMC methods: N = n + n0 with n0 drawn afresh given each draw of the parameters θ, so N's own R-hat and ESS
    # carry that independent noise and can look fine while the sampler is stuck; E[N | θ] = n / (1 − p0) cannot
    r_theta, ess_theta = number("r_hat_expected_N"), number("ess_bulk_expected_N")
    if math.isfinite(r_theta) and r_theta > rhat_max:
        problems.append(f"R-hat of E[N | θ] = n/(1 − p0) is {r_theta:.3f} (> {rhat_max}; N's own draws add noise "
                        "drawn afresh at each step, which can hide a stuck sampler)")
    if math.isfinite(ess_theta) and ess_theta < ess_min:
        problems.append(f"bulk ESS of E[N | θ] = n/(1 − p0) is {math.floor(ess_theta * 10) / 10:g} (< {ess_min:.0f})")
    if "ess_bulk_expected_N" in diagnostics and math.isnan(ess_theta) and not diagnostics.get("constant_draws"):
        problems.append("the ESS of E[N | θ] = n/(1 − p0) could not be computed")
    # computed but not a number: ArviZ cannot estimate an ESS from so few draws (not a pass); constant draws
    # (every draw of N the same) are the exception, recorded as such by convergence_diagnostics
    failed = [key for key in ("ess_bulk", "ess_tail") if key in diagnostics and math.isnan(number(key))]
    if failed and not diagnostics.get("constant_draws"):
        problems.append("the ESS of N could not be computed (too few draws per chain)")
    divergences = number("divergences")
    if math.isfinite(divergences) and divergences > 0:
        transitions = number("chains") * number("draws_per_chain")
        of = f" of {transitions:,.0f}" if math.isfinite(transitions) else ""
        problems.append(f"{divergences:,.0f}{of} NUTS transitions diverged (the sampler may have missed part of the "
                        "posterior, so the interval can be biased: raise target_accept, e.g. 0.95, or reparametrise)")
    return problems


def warn_if_some_not_converged(
    method: str, failed: Mapping[Any, list[str]], total: int, noun: str, advice: str, *, stacklevel: int = 3
) -> None:
    """One ConvergenceWarning for a batch (strata, problems): how many of ``total`` failed, with one example.
    ``failed`` maps an item's label to its :func:`convergence_problems`; nothing is issued when it is empty."""
    if failed:
        label, problems = next(iter(failed.items()))
        warnings.warn(
            f"{method}: {len(failed)} of {total} {noun} may not have converged (e.g. {label}: {'; '.join(problems)}); "
            f"their intervals may be unreliable{advice}",
            ConvergenceWarning,
            stacklevel=stacklevel + 1,
        )


#: methods sampled with PyMC's NUTS: their runs are lengthened with tune= and draws= (they have no thinning)
_NUTS_METHODS = ("pymc-lcmcr", "bayes-loglinear")


def longer_run_advice(method: str) -> str:
    """How to lengthen ``method``'s chains, in the names of its own parameters."""
    if method in _NUTS_METHODS:
        return "run longer chains (more tune and draws) or more chains"
    return "run longer chains (more burn-in, draws or thinning) or more chains"


def warn_if_not_converged(
    diagnostics: Mapping[str, float],
    method: str,
    *,
    rhat_max: float = RHAT_MAX,
    ess_min: float = ESS_MIN,
    stacklevel: int = 3,
) -> list[str]:
    """Issue a ConvergenceWarning naming the failed checks; return the list of problems (empty if fine)."""
    problems = convergence_problems(diagnostics, rhat_max=rhat_max, ess_min=ess_min)
    if problems:
        warnings.warn(
            f"{method}: the sampler may not have converged: {'; '.join(problems)}. The interval for N may be "
            f"unreliable; {longer_run_advice(method)}.",
            ConvergenceWarning,
            stacklevel=stacklevel,
        )
    return problems


def plot_trace_rank(idata: az.InferenceData, axes: Sequence[Any], *, var_name: str = "N") -> None:
    """Draw ArviZ's per-chain density, trace and rank-bar plots of ``var_name`` on three given matplotlib axes.

    Rank plots (Vehtari et al. 2021, section 5) show, per chain, the histogram of the ranks of its draws among all
    chains: near-uniform bars mean the chains explore the same distribution; bars slanting or stepped mean they do
    not.  Integer draws (N) are plotted as floats so ArviZ draws smooth densities instead of one bar per value.
    """
    if len(axes) != 3:
        raise ValueError(f"plot_trace_rank needs three axes (density, trace, rank), got {len(axes)}")
    if var_name not in idata.posterior:
        raise ValueError(f"the posterior has no variable {var_name!r}; it has {list(idata.posterior.data_vars)}")
    dataset = idata.posterior[[var_name]].astype(float)
    az = _arviz()
    with catch_warnings():
        # ArviZ 0.23's matplotlib backend uses APIs matplotlib 3.11 deprecates; nothing a user can act on
        warnings.simplefilter("ignore", (FutureWarning, RuntimeWarning, UserWarning, DeprecationWarning))
        az.plot_trace(dataset, var_names=[var_name], axes=np.array([[axes[0], axes[1]]]), compact=False,
                      show=False)
        az.plot_rank(dataset, var_names=[var_name], ax=axes[2], show=False)
