"""Plumbing shared by the estimators written in PyMC (``bayes-loglinear``, ``pymc-lcmcr``).

Both models integrate the population size N out of the likelihood exactly under the prior p(N) ∝ 1/N, so NUTS
only samples the continuous parameters θ; afterwards the unobserved count is drawn once per posterior draw from
its exact conditional

    n0 | θ, data ~ NegativeBinomial(n, 1 − p0(θ))

(p0 = probability of being on no list) with a NumPy ``Generator``.  This module runs PyMC's NUTS with seeds taken
from a ``SeedSequence``, returns the draws per chain (PyMC's ``MultiTrace``, so ArviZ is only touched in
:mod:`estimate.inference_data`), makes the n0 draws, and assembles the :class:`~estimate.results.Result`.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
import warnings
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from estimate._checks import is_real, is_whole
from estimate._user_caches import ensure_writable_caches
from estimate._warning_state import catch_warnings
from estimate.data import CaptureData
from estimate.errors import ConvergenceWarning
from estimate.results import Result

__all__ = ["SamplerRun", "run_nuts", "draw_unobserved", "bayes_result", "check_sampler_params"]


@dataclass
class SamplerRun:
    """Per-chain draws of the requested variables and what the sampler reported."""

    values: dict[str, np.ndarray]  # name -> (chain, draw, *shape)
    divergences: int
    seconds: float  # wall time of pm.sample: compilation + tuning + sampling
    sampling_seconds: float  # PyMC's own timing of tuning + sampling, compilation excluded (nan if unknown)
    step_size: float
    tree_depth_max: int
    #: share of transitions that stopped at the maximum tree depth (trajectories cut short: slow exploration)
    max_tree_depth_share: float = math.nan
    #: smallest per-chain E-BFMI (Betancourt 2016): below 0.3 the momentum resampling explores the energy poorly
    e_bfmi_min: float = math.nan
    #: NUTS's statistics of every draw, (chain, draw) each, under ArviZ's names (diverging, energy, tree_depth …)
    sample_stats: dict[str, np.ndarray] = field(default_factory=dict)


@contextmanager
def _quiet_pymc():
    """Silence PyMC's and PyTensor's log lines ("Auto-assigning NUTS sampler...", short-chain and BLAS notices).

    A library call should not print; our own warnings say what matters for the estimate.
    """
    global _quiet_depth, _saved_levels
    names = ("pymc", "pymc.sampling", "pymc.sampling.mcmc", "pytensor.tensor.blas")
    loggers = [logging.getLogger(name) for name in names]
    entered = False
    try:
        # fits in several threads share it: the first to enter saves the levels, the last to leave restores them
        # (each saving and restoring its own left the loggers at ERROR for good when two overlapped)
        with _quiet_lock:
            if _quiet_depth == 0:
                _saved_levels = [logger.level for logger in loggers]
                for logger in loggers:
                    logger.setLevel(logging.ERROR)
            _quiet_depth += 1
            entered = True
        yield
    finally:
        with _quiet_lock:
            if entered:
                _quiet_depth -= 1
            if _quiet_depth == 0 and _saved_levels:
                for logger, level in zip(loggers, _saved_levels, strict=True):
                    logger.setLevel(level)
                _saved_levels = []


_quiet_lock = threading.Lock()
_quiet_depth = 0
_saved_levels: list[int] = []


def check_sampler_params(method: str, *, draws: int, tune: int, chains: int, target_accept: float,
                         level: float, interval: str, cores: int | None) -> None:
    checks = {  # name: (value, valid, what it must be)
        "draws": (draws, is_whole(draws) and draws >= 1, "an integer >= 1"),
        "tune": (tune, is_whole(tune) and tune >= 0, "an integer >= 0"),
        "chains": (chains, is_whole(chains) and chains >= 1, "an integer >= 1"),
        "target_accept": (target_accept, is_real(target_accept) and 0 < target_accept < 1, "in (0, 1)"),
        "level": (level, is_real(level) and 0 < level < 1, "in (0, 1)"),
        "cores": (cores, cores is None or (is_whole(cores) and cores >= 1), "None or an integer >= 1"),
    }
    bad = [name for name, (_, ok, _) in checks.items() if not ok]
    if bad:
        raise ValueError(f"{method}: invalid parameter(s) "
                         + "; ".join(f"{b}={checks[b][0]!r} (must be {checks[b][2]})" for b in bad))
    if interval not in ("equal-tailed", "hdi"):
        raise ValueError(f"{method}: interval must be 'equal-tailed' or 'hdi', got {interval!r}")


def run_nuts(
    model: Any,
    var_names: Sequence[str],
    *,
    draws: int,
    tune: int,
    chains: int,
    cores: int | None,
    target_accept: float,
    sequence: np.random.SeedSequence,
) -> SamplerRun:
    """Run PyMC's NUTS on ``model``; chain c is seeded with the c-th word of ``sequence``'s state."""
    ensure_writable_caches()
    import pymc as pm

    chain_seeds = [int(s) for s in sequence.generate_state(chains, dtype=np.uint32)]
    start = time.perf_counter()
    with _quiet_pymc(), catch_warnings():
        # PyMC's own convergence summary is replaced by ours (R-hat/ESS of N, divergences); its
        # "MultiTrace is deprecated" style notices are not actionable for users.
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", UserWarning)
        # numpy's "overflow encountered in dot" from NUTS' mass-matrix adaptation (Kosovo's counts × 100): a
        # symptom the divergence and R-hat/ESS warnings report in terms a user can act on
        warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"(pymc|pytensor)(\.|$)")
        trace = pm.sample(
            draws=draws,
            tune=tune,
            chains=chains,
            cores=min(cores, chains) if cores is not None else None,
            random_seed=chain_seeds,
            target_accept=target_accept,
            progressbar=False,
            compute_convergence_checks=False,
            return_inferencedata=False,
            model=model,
        )
    seconds = time.perf_counter() - start
    def per_chain(getter, name: str) -> np.ndarray:  # (chain, draw, ...) also when there is one chain
        return np.stack([np.asarray(getter(name, chains=[c])) for c in trace.chains])

    values = {name: per_chain(trace.get_values, name) for name in var_names}
    diverging = per_chain(trace.get_sampler_stats, "diverging")
    step_size = per_chain(trace.get_sampler_stats, "step_size")
    depth = per_chain(trace.get_sampler_stats, "depth")
    stats = set(getattr(trace, "stat_names", ()) or ())
    at_max = (per_chain(trace.get_sampler_stats, "reached_max_treedepth").astype(float)
              if "reached_max_treedepth" in stats else np.full(depth.shape, np.nan))
    energy = per_chain(trace.get_sampler_stats, "energy") if "energy" in stats else None
    # every draw's statistics under ArviZ's names, so that az.plot_energy and az.bfmi work on the result
    sample_stats = {"diverging": diverging.astype(bool), "step_size": step_size, "tree_depth": depth}
    for ours, theirs in _NUTS_STATS.items():
        if theirs in stats:
            sample_stats[ours] = per_chain(trace.get_sampler_stats, theirs)
    report = getattr(trace, "report", None)
    sampling = float(getattr(report, "t_sampling", math.nan) or math.nan) if report is not None else math.nan
    return SamplerRun(
        values=values,
        divergences=int(diverging.sum()),
        seconds=seconds,
        sampling_seconds=sampling,
        step_size=float(np.mean(step_size)),
        tree_depth_max=int(depth.max()),
        max_tree_depth_share=float(np.mean(at_max)),
        e_bfmi_min=float(np.min(e_bfmi(energy))) if energy is not None else math.nan,
        sample_stats=sample_stats,
    )


#: ArviZ's name of a NUTS statistic → PyMC's (the three always present are read apart)
_NUTS_STATS = {"energy": "energy", "lp": "model_logp", "acceptance_rate": "mean_tree_accept",
               "n_steps": "n_steps", "max_energy_error": "max_energy_error",
               "reached_max_treedepth": "reached_max_treedepth"}


def e_bfmi(energy: np.ndarray) -> np.ndarray:
    """Energy Bayesian fraction of missing information per chain (Betancourt, M. 2016, "Diagnosing suboptimal
    cotangent disintegrations in Hamiltonian Monte Carlo", arXiv:1604.00695):
    E-BFMI = Σ_t (E_t − E_{t−1})² / Σ_t (E_t − Ē)², from the Hamiltonian energy of each draw, shaped (chain, draw)."""
    values = np.asarray(energy, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sum(np.diff(values, axis=1) ** 2, axis=1) / np.sum(
            (values - values.mean(axis=1, keepdims=True)) ** 2, axis=1)


_POISSON_MAX = 1e18  # NumPy's Poisson refuses larger means; n0 this large means the data do not bound N
_NEGBIN_MIN_P = 1e-10  # below this success probability NumPy's negative_binomial may refuse


def draw_unobserved(p0: np.ndarray, observed: int, rng: np.random.Generator) -> np.ndarray:
    """n0 ~ NegBin(n, 1 − p0) for every posterior draw of p0 (same shape as ``p0``, int64).

    NumPy's ``negative_binomial(n, p)`` counts failures before the n-th success with success probability p:
    P(k) = C(k + n − 1, k) p^n (1 − p)^k — exactly the posterior of n0 with p = 1 − p0.
    """
    success = np.clip(1.0 - np.asarray(p0, dtype=float), np.finfo(float).tiny, 1.0)
    out = np.empty(success.shape, dtype=np.int64)
    usual = success >= _NEGBIN_MIN_P
    out[usual] = rng.negative_binomial(observed, success[usual])
    extreme = ~usual
    if extreme.any():
        # p0 within ~1e-10 of 1: NumPy's negative_binomial refuses ("n too large or p too small"), which stopped
        # the fit after sampling; its own Gamma–Poisson construction, with the Poisson mean capped, gives the
        # huge n0 such a draw means (the data barely bound N there)
        rate = rng.gamma(observed, (1.0 - success[extreme]) / success[extreme])
        out[extreme] = rng.poisson(np.minimum(rate, _POISSON_MAX))
    return out


def bayes_result(
    *,
    method: str,
    model_description: str,
    data: CaptureData,
    n0: np.ndarray,
    parameters: Mapping[str, np.ndarray],
    dims: Mapping[str, Sequence[str]],
    coords: Mapping[str, Sequence[Any]],
    run: SamplerRun,
    level: float,
    interval_kind: str,
    seed: Any,
    details: Mapping[str, Any],
    attrs: Mapping[str, Any],
    stacklevel: int = 4,
) -> Result:
    """Result with posterior N = n + n0, ArviZ InferenceData, R-hat/ESS of N, divergences and run time."""
    from estimate.inference_data import (
        both_intervals,
        convergence_diagnostics,
        interval_from_draws,
        to_inference_data,
        warn_if_not_converged,
    )

    n_draws = data.observed + n0
    posterior: dict[str, np.ndarray] = {"N": n_draws, "n0": n0, **parameters}
    idata = to_inference_data(
        posterior,
        dims=dims,
        coords=coords,
        data=data,
        attrs={"method": method, "seed": json.dumps(seed, default=int), **attrs},
        sample_stats=run.sample_stats,
    )
    diagnostics: dict[str, Any] = convergence_diagnostics(n_draws)
    if "p0" in parameters:  # the parameters' own convergence, which N's fresh n0 noise can hide
        p0 = np.asarray(parameters["p0"], dtype=float)
        with np.errstate(divide="ignore"):
            theta = convergence_diagnostics(data.observed / (1.0 - p0))
        diagnostics.update(r_hat_expected_N=theta["r_hat"], ess_bulk_expected_N=theta["ess_bulk"])
    chains, draws = n_draws.shape
    diagnostics.update(
        {
            "chains": chains,
            "draws_per_chain": draws,
            "divergences": run.divergences,
            "step_size": run.step_size,
            "tree_depth_max": run.tree_depth_max,
            "max_tree_depth_share": run.max_tree_depth_share,
            "e_bfmi_min": run.e_bfmi_min,
            "seconds": run.seconds,
            "sampling_seconds": run.sampling_seconds,
            "ess_bulk_per_second": diagnostics["ess_bulk"] / run.seconds if run.seconds > 0 else math.nan,
        }
    )
    warn_if_not_converged(diagnostics, method, stacklevel=stacklevel + 1)  # divergences among its checks
    if run.e_bfmi_min < 0.3:
        warnings.warn(
            f"{method}: the smallest per-chain E-BFMI is {run.e_bfmi_min:.2f} (< 0.3): NUTS explored the energy "
            "distribution poorly (heavy tails or a hard geometry), so the posterior of N may be incompletely "
            "explored. Run longer or reparametrise.",
            ConvergenceWarning,
            stacklevel=stacklevel,
        )
    if run.max_tree_depth_share > 0.01:
        warnings.warn(
            f"{method}: {run.max_tree_depth_share:.0%} of NUTS transitions stopped at the maximum tree depth "
            "(trajectories cut short): the sampler explores slowly and the ESS may be optimistic. Check R-hat and "
            "ESS, run longer or reparametrise.",
            ConvergenceWarning,
            stacklevel=stacklevel,
        )
    interval = interval_from_draws(n_draws, level=level, kind=interval_kind)
    return Result(
        method=method,
        model=model_description,
        estimate=float(np.median(n_draws)),
        interval=interval,
        observed=data.observed,
        lists=data.lists,
        estimate_kind="posterior median",
        std_error=float(np.std(n_draws)),
        diagnostics=diagnostics,
        details={"posterior_mean": float(np.mean(n_draws)), "seed": seed, **both_intervals(n_draws, level=level),
                 **details},
        posterior=idata,
    )
