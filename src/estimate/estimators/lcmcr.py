"""LCMCR: the Bayesian latent-class multiple-recapture model of Manrique-Vallier (2016).

Manrique-Vallier, D. (2016). Bayesian population size estimation using Dirichlet process mixtures.
*Biometrics* 72(4), 1246–1254.  (R package LCMCR.)

Model, for person i with latent class z_i and list indicators x_ij (j = 1..J):

    x_ij | z_i = k  ~ Bernoulli(λ_jk),              λ_jk ~ Beta(1, 1)
    z_i             ~ Categorical(π),               π_k = V_k ∏_{l<k} (1 − V_l),  V_k ~ Beta(1, α),  V_K = 1
    α               ~ Gamma(a_α, b_α)               (shape, rate)
    p(N)            ∝ 1/N

Lists are independent *within* a class; heterogeneity of catchability and apparent dependence between lists arise
from the mixture over classes.  The posterior of N is sampled by data-augmentation Gibbs on the aggregated
observed patterns (:mod:`estimate.samplers.lcmcr_kernel`), at a cost per sweep of O(P·K·J) with P the number of
observed patterns.

Two samplers (``sampler=``):

- ``"gibbs"``: R LCMCR's data-augmentation Gibbs sampler, step for step;
- ``"collapsed"`` (default): the same sweep plus (a) Metropolis–Hastings moves on the class parameters θ = (λ, V)
  with the class allocations *and* N integrated out — the marginal posterior is ∝ prior × ∏_p [P_p(θ)/(1 − p0)]^{c_p},
  cheap to evaluate on the observed patterns: a Hamiltonian Monte Carlo trajectory (8 leapfrog steps, Neal 2011)
  on the capture log-odds of all classes with weight ≥ 10⁻³, which moves them together along the posterior's
  correlations (the direction of N among them), and per class a move of its stick-breaking weight; (b)
  label-switching moves that exchange the contents of two classes (Papaspiliopoulos & Roberts 2008; Hastie,
  Liverani & Richardson 2015); (c) for every class with observed
  members an MH move on its unobserved count with λ and the stick-breaking weights integrated out (partially
  collapsed Gibbs, van Dyk & Park 2008).  All target the same posterior (tested against plain Gibbs, including
  label-dependent quantities, and against the closed form for K = 1).  The data-augmentation steps move θ in small
  steps because the allocations pin it down; the θ moves do not.  Measured gains are in
  ``benchmarks/results/speed.md`` (Kosovo: ESS of N per CPU-second; the 6-list datasets: convergence at the
  default settings).
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterable
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np

from estimate._checks import as_seed_sequence, check_seed, is_real, is_whole, seed_record
from estimate.data import CaptureData
from estimate.errors import UninformativeDataWarning
from estimate.estimators.base import TOO_FEW_LISTS_FOR_LATENT_CLASSES, Estimator, draws_too_many, register
from estimate.results import Result

__all__ = ["LCMCR", "SAMPLERS"]


#: kernel settings of each sampler (:class:`estimate.samplers.lcmcr_kernel.LCMCRSettings` fields)
SAMPLERS: dict[str, dict[str, Any]] = {
    "gibbs": {"collapsed_n0": False, "label_moves": 0},
    "collapsed": {"collapsed_n0": True, "n_mh_moves": 1, "label_moves": 5, "theta_moves": 1, "theta_leapfrog": 8},
}


def _charge_wall_time(result: Result, wall: float) -> None:
    """Record a problem's share of its batch's elapsed sampling time, and the ESS of N per second it gives."""
    result.diagnostics["wall_seconds"] = wall
    result.diagnostics["ess_bulk_per_second"] = result.diagnostics["ess_bulk"] / wall if wall > 0 else math.nan


#: the largest truncation K of the Dirichlet process (a K of 10**12 failed allocating its arrays)
MAX_CLASSES = 10_000


@register
class LCMCR(Estimator):
    """Bayesian latent-class capture–recapture model (Manrique-Vallier 2016), compiled Gibbs sampler.

    Parameters
    ----------
    K
        Truncation level of the Dirichlet-process mixture (number of latent classes), default 10.
    a_alpha, b_alpha
        Shape and rate of the Gamma prior on the concentration α (default 0.25, 0.25 as in R LCMCR).
    burn_in
        Sweeps discarded at the start of each chain.
    draws
        Draws kept per chain.
    thinning
        Sweeps between kept draws (default 100: 4 chains × (10,000 + 2,500 × 100) ≈ 1 million sweeps, as in the
        R reference runs; on Kosovo the plain Gibbs sampler gave bulk ESS of N ≈ 1,000–1,700 and R-hat ≤ 1.004
        over three seeds with them, where thinning 20 gave bulk ESS 375–700 and R-hat up to 1.016 — the long
        right tail of N mixes slowly; the default collapsed sampler gives several times that ESS per run).
    chains
        Number of independent chains (default 4), used for R-hat and ESS.
    seed
        Integer or ``numpy.random.SeedSequence``; each chain gets a ``numpy.random.Generator`` spawned from it.
    level
        Credible level of the reported interval (default 0.95).
    interval
        ``"equal-tailed"`` (default) or ``"hdi"``.
    sampler
        ``"collapsed"`` (default: Gibbs plus collapsed moves on the class parameters and on the unseen counts and
        label-switching moves; better mixing of N per CPU-second) or ``"gibbs"`` (R LCMCR's algorithm); same
        posterior (module docstring).
    keep_traces
        Also keep traces of π and λ (memory grows with draws × K × J); N, n0 and α are always kept.
    n_threads
        Worker threads for the batched kernel (default: all cores).  Results do not depend on it.
    """

    name = "lcmcr"
    bayesian = True
    min_lists: ClassVar[int] = 2

    def __init__(
        self,
        K: int = 10,
        a_alpha: float = 0.25,
        b_alpha: float = 0.25,
        burn_in: int = 10_000,
        draws: int = 2_500,
        thinning: int = 100,
        chains: int = 4,
        seed: int | np.random.SeedSequence | None = None,
        level: float = 0.95,
        interval: str = "equal-tailed",
        sampler: str = "collapsed",
        keep_traces: bool = False,
        n_threads: int | None = None,
    ) -> None:
        self.K = K
        self.a_alpha = a_alpha
        self.b_alpha = b_alpha
        self.burn_in = burn_in
        self.draws = draws
        self.thinning = thinning
        self.chains = chains
        self.seed = seed
        self.level = level
        self.interval = interval
        self.sampler = sampler
        self.keep_traces = keep_traces
        self.n_threads = n_threads

    # ------------------------------------------------------------------ helpers
    def _check_params(self) -> None:
        checks = {  # name: (valid, what it must be)
            "K": (is_whole(self.K) and self.K >= 1, "an integer >= 1"),
            "a_alpha": (is_real(self.a_alpha) and self.a_alpha > 0, "a number > 0"),
            "b_alpha": (is_real(self.b_alpha) and self.b_alpha > 0, "a number > 0"),
            "burn_in": (is_whole(self.burn_in) and self.burn_in >= 0, "an integer >= 0"),
            "draws": (is_whole(self.draws) and self.draws >= 1, "an integer >= 1"),
            "thinning": (is_whole(self.thinning) and self.thinning >= 1, "an integer >= 1"),
            "chains": (is_whole(self.chains) and self.chains >= 1, "an integer >= 1"),
            "level": (is_real(self.level) and 0 < self.level < 1, "in (0, 1)"),
            "keep_traces": (isinstance(self.keep_traces, (bool, np.bool_)), "True or False"),
            "n_threads": (self.n_threads is None or (is_whole(self.n_threads) and self.n_threads >= 1),
                          "None or an integer >= 1"),
        }
        bad = [name for name, (ok, _) in checks.items() if not ok]
        if bad:
            raise ValueError(
                "LCMCR: invalid parameter(s) "
                + "; ".join(f"{b}={getattr(self, b)!r} (must be {checks[b][1]})" for b in bad)
            )
        too_many = draws_too_many(int(self.chains), int(self.draws))
        if too_many:
            raise ValueError(f"LCMCR: {too_many} (a larger thinning gives independent draws with fewer kept)")
        if int(self.K) > MAX_CLASSES:
            raise ValueError(f"LCMCR: K={int(self.K):,} latent classes; at most {MAX_CLASSES:,} (the truncation "
                             "needs only to exceed the classes the data use: 10–50 in practice)")
        prior_mean = float(self.a_alpha) / float(self.b_alpha)
        if not (math.isfinite(prior_mean) and prior_mean > 0):
            # the sampler starts α at its prior mean: infinite, every π was NaN and N collapsed onto the observed
            # count with no warning; zero, the kernel divided by zero
            raise ValueError(f"LCMCR: a_alpha / b_alpha, the prior mean of α, is {prior_mean:g} (a_alpha="
                             f"{self.a_alpha!r}, b_alpha={self.b_alpha!r}); it must be a positive finite number")
        if self.interval not in ("equal-tailed", "hdi"):
            raise ValueError(f"LCMCR: interval must be 'equal-tailed' or 'hdi', got {self.interval!r}")
        if not isinstance(self.sampler, str) or self.sampler not in SAMPLERS:
            raise ValueError(f"LCMCR: sampler must be one of {sorted(SAMPLERS)}, got {self.sampler!r}")

    def _settings(self):
        from estimate.samplers.lcmcr_kernel import LCMCRSettings

        return LCMCRSettings(
            K=int(self.K),
            a_alpha=float(self.a_alpha),
            b_alpha=float(self.b_alpha),
            burn_in=int(self.burn_in),
            n_draws=int(self.draws),
            thinning=int(self.thinning),
            keep_traces=bool(self.keep_traces),
            **SAMPLERS[self.sampler],
        )

    def describe_model(self) -> str:
        return (
            f"LCMCR latent-class model (Manrique-Vallier 2016), K={self.K}, "
            + (f"α ~ Gamma({self.a_alpha}, {self.b_alpha})" if self.K != 1 else "one class (lists independent, no α)")
            + f", p(N) ∝ 1/N; {self.chains} chain{'s' if self.chains != 1 else ''} × {self.draws} draws "
            f"(burn-in {self.burn_in}, "
            f"thinning {self.thinning}; {self.sampler} sampler)"
        )

    # ------------------------------------------------------------------ fitting
    @staticmethod
    def _warn_if_too_few_lists(data: CaptureData, stacklevel: int) -> bool:
        """Warn (and return True) when ``data`` has fewer than 3 lists, where the model is not identified."""
        if data.n_lists >= 3:
            return False
        warnings.warn(
            f"LCMCR with only {data.n_lists} lists: the latent-class model is not identified well (with two "
            "lists heterogeneity and dependence cannot be separated from the data); the posterior of N is "
            "driven by the prior",
            UninformativeDataWarning,
            stacklevel=stacklevel + 1,
        )
        return True

    def _fit(self, data: CaptureData) -> Result:
        too_few = self._warn_if_too_few_lists(data, stacklevel=3)
        outcome = self._fit_batch([data], [self.seed])[0]
        if isinstance(outcome, Exception):
            raise outcome
        if too_few:  # the warning is gone once the result is saved: the result says it too
            outcome.details["prior_driven"] = TOO_FEW_LISTS_FOR_LATENT_CLASSES
        from estimate.inference_data import warn_if_not_converged

        warn_if_not_converged(outcome.diagnostics, self.name, stacklevel=4)
        return outcome

    def fit_many(self, datasets: Iterable[CaptureData], seeds: Iterable[Any] | None = None
                 ) -> list[Result | Exception]:
        """Advance every problem (× chains) in one batched, multi-threaded kernel call.

        Each dataset is validated as by :meth:`fit` (a DataFrame is read, stratified data refused, lists that never
        overlap or fewer than 3 lists warned about and recorded in ``details["prior_driven"]``).  ``seeds`` gives
        one seed per dataset; by default dataset i gets the estimator's seed extended by spawn key i (its entropy,
        its spawn key + (i,)), so that no two problems share a random stream.  A seed of None (or no seeds with
        an unseeded estimator) becomes fresh entropy, recorded in the result's ``details["seed"]`` so that the
        draws can be repeated.  The results carry no per-fit provenance (``fit_strata`` records the run's).
        Problems whose N fails R-hat ≤ 1.01 or ESS ≥ 400 are counted in one ConvergenceWarning for the batch,
        with the first as an example (each result carries its own diagnostics)."""
        from estimate.estimators.base import per_problem_seeds, seed_list, warn_if_lists_never_overlap
        from estimate.inference_data import convergence_problems, warn_if_some_not_converged

        datasets = list(datasets)  # any iterable (a generator has no len())
        seeds = seed_list(seeds)
        validated: list[CaptureData | Exception] = []
        for data in datasets:  # one invalid problem is its own outcome, as in Estimator.fit_many
            try:
                validated.append(self._validated(data))
            except (ValueError, ArithmeticError, RuntimeError) as exc:  # DataError is a ValueError
                validated.append(exc)
        self._check_batch_seeds(seeds, len(datasets))
        if seeds is None and self.seed is not None:  # one stream per problem, as Estimator.fit_many
            seeds = per_problem_seeds(self.seed, len(datasets))
        seeds = list(seeds) if seeds is not None else [None] * len(datasets)
        seeds = [int(np.random.SeedSequence().entropy) if s is None else s for s in seeds]
        valid = [i for i, data in enumerate(validated) if isinstance(data, CaptureData)]
        too_few = {}
        for i in valid:
            too_few[i] = self._warn_if_too_few_lists(validated[i], stacklevel=2)
            warn_if_lists_never_overlap(validated[i], self.name, stacklevel=2)
        fitted = self._fit_batch([validated[i] for i in valid], [seeds[i] for i in valid]) if valid else []
        results: list[Result | Exception] = list(validated)  # the exceptions stay in their slots
        for i, result in zip(valid, fitted, strict=True):
            results[i] = result
            data = validated[i]
            if isinstance(result, Result) and (too_few[i] or not data.lists_overlap):  # as fit() records it
                result.details["prior_driven"] = (TOO_FEW_LISTS_FOR_LATENT_CLASSES if data.lists_overlap
                                                  else "the lists never overlap")
        failed = {f"problem {i}": problems for i, r in enumerate(results) if isinstance(r, Result)
                  for problems in [convergence_problems(r.diagnostics)] if problems}
        warn_if_some_not_converged(self.name, failed, len(results), "problems", "; run longer chains.", stacklevel=2)
        return results

    def expected_seconds(self, data: CaptureData, pilot_sweeps: int = 30) -> float:
        """Rough wall time of :meth:`fit` on ``data``: the cost of ``pilot_sweeps`` sweeps of one chain (run on a
        throwaway generator, so no chain's draws change) × the sweeps per chain × the chains each thread runs.
        The cost of a sweep grows with the observed patterns, lists and classes (O(P·K·J)): a fit of ten lists
        with a thousand observed patterns takes minutes where Kosovo's takes seconds."""
        import os

        from estimate._warning_state import catch_warnings
        from estimate.samplers.lcmcr_kernel import sample_lcmcr

        self._check_params()
        with catch_warnings():  # fit() gives the data's warnings; the estimate of its time need not repeat them
            warnings.simplefilter("ignore")
            data = self._validated(data)
        settings = replace(self._settings(), burn_in=pilot_sweeps, n_draws=0, thinning=1, keep_traces=False)
        pilot = sample_lcmcr(np.ascontiguousarray(data.patterns), np.ascontiguousarray(data.counts), settings,
                             [np.random.Generator(np.random.PCG64(0))], n_threads=1)
        per_sweep = float(pilot["cpu_seconds"]) / max(int(pilot["sweeps"]), 1)
        threads = max(1, min(self.n_threads or os.cpu_count() or 1, self.chains))
        return per_sweep * self._settings().sweeps_per_chain * math.ceil(self.chains / threads)

    def _fit_batch(self, datasets: list[CaptureData], seeds: list[Any] | None) -> list[Result | Exception]:
        from estimate.samplers.lcmcr_kernel import sample_lcmcr_batch

        self._check_params()
        seeds = seeds if seeds is not None else [self.seed] * len(datasets)
        for seed in seeds:
            check_seed(seed, "LCMCR")
        problems = [(np.ascontiguousarray(d.patterns), np.ascontiguousarray(d.counts)) for d in datasets]
        generators = [
            [np.random.Generator(np.random.PCG64(child)) for child in as_seed_sequence(s).spawn(self.chains)]
            for s in seeds
        ]
        # each problem's result (its InferenceData and diagnostics: ~10 ms) is made as soon as its chains end,
        # while the other problems' chains run, so that the cores do not idle while a large batch is summarised
        finished: dict[int, Result] = {}

        def summarise(i: int, out: dict[str, Any]) -> None:
            finished[i] = self._result(datasets[i], seeds[i], out)

        outputs = sample_lcmcr_batch(problems, self._settings(), generators, n_threads=self.n_threads,
                                     on_problem=summarise)
        # sampling time only: the batch excludes compiling (or loading) the kernel in a fresh process; each
        # problem is charged the share of the batch's elapsed time that its chains' CPU time is of the total
        wall = float(outputs[0]["batch_wall_seconds"]) if outputs else 0.0
        cpu = [float(out["cpu_seconds"]) for out in outputs]
        total_cpu = sum(cpu)
        results: list[Result | Exception] = []
        for i, (data, seed, out, own) in enumerate(zip(datasets, seeds, outputs, cpu, strict=True)):
            share = own / total_cpu if total_cpu > 0 else 1.0 / len(datasets)
            result = finished[i] if i in finished else self._result(data, seed, out)
            _charge_wall_time(result, wall * share)
            results.append(result)
        return results

    def _result(self, data: CaptureData, seed: Any, out: dict[str, Any]) -> Result:
        """The Result of one problem's chains; its wall time is charged afterwards (:func:`_charge_wall_time`)."""
        from estimate.inference_data import (
            both_intervals,
            convergence_diagnostics,
            interval_from_draws,
            to_inference_data,
        )

        n_draws = np.asarray(out["N"], dtype=np.int64)
        if n_draws.size and int(n_draws.min()) < data.observed:  # never in a real fit: an int64 count wrapped round
            raise FloatingPointError(
                f"LCMCR: a draw of N ({int(n_draws.min()):,}) fell below the {data.observed:,} people documented: "
                "the count of people on no list overflowed (beyond 9.2e18), so these data do not bound N under "
                "this model")
        posterior: dict[str, np.ndarray] = {"N": n_draws, "n0": n_draws - data.observed}
        dims: dict[str, list[str]] = {}
        coords: dict[str, Any] = {}
        for name in ("alpha", "pi", "lambda"):
            if name in out and out[name] is not None:
                posterior[name] = np.asarray(out[name])
        if "pi" in posterior:
            dims["pi"] = ["latent_class"]
            coords["latent_class"] = np.arange(self.K)
        if "lambda" in posterior:
            dims["lambda"] = ["list", "latent_class"]
            coords["list"] = list(data.lists)
            coords["latent_class"] = np.arange(self.K)
        seed_repr = seed_record(seed, as_seed_sequence(seed))
        idata = to_inference_data(
            posterior,
            dims=dims,
            coords=coords,
            # the run's settings, so that a saved .nc says how it was made; the seed as JSON (a dict with its
            # spawn key for a spawned sequence), as the lists are
            attrs={"method": self.name, "K": self.K, "a_alpha": float(self.a_alpha), "b_alpha": float(self.b_alpha),
                   "chains": self.chains, "burn_in": self.burn_in, "draws": self.draws, "thinning": self.thinning,
                   "sampler": self.sampler, "seed": json.dumps(seed_repr, default=int)},
            data=data,
        )
        diagnostics = convergence_diagnostics(n_draws)
        sweeps = int(out.get("sweeps", self.chains * (self.burn_in + self.draws * self.thinning)))
        seconds = float(out.get("cpu_seconds", out.get("seconds", math.nan)))
        diagnostics.update(
            {
                "chains": self.chains,
                "draws_per_chain": self.draws,
                "sweeps": sweeps,
                "us_per_sweep": 1e6 * seconds / sweeps if sweeps else math.nan,
                "cpu_seconds": seconds,
                "wall_seconds": math.nan,  # (_charge_wall_time, once the batch has ended)
                "ess_bulk_per_second": math.nan,
            }
        )
        if SAMPLERS[self.sampler].get("collapsed_n0"):
            diagnostics["mh_accept_rate"] = float(out.get("accept_rate", math.nan))
        if SAMPLERS[self.sampler].get("theta_moves"):
            diagnostics["theta_accept_rate"] = float(out.get("theta_accept_rate", math.nan))
        interval = interval_from_draws(n_draws, level=self.level, kind=self.interval)
        return Result(
            method=self.name,
            model=self.describe_model(),
            estimate=float(np.median(n_draws)),
            interval=interval,
            observed=data.observed,
            lists=data.lists,
            estimate_kind="posterior median",
            std_error=float(np.std(n_draws)),
            diagnostics=diagnostics,
            details={"posterior_mean": float(np.mean(n_draws)), "seed": seed_repr,
                     **both_intervals(n_draws, level=self.level)},
            posterior=idata,
        )
