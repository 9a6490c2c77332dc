r"""Bayesian Poisson log-linear model for multiple-systems estimation, sampled with PyMC's NUTS.

Model
-----
For the J lists, every capture pattern x ∈ {0,1}^J (including x = 0, "on no list") has an expected count

    log μ_x = β_0 + Σ_j β_j x_j + Σ_{t ∈ T} β_t ∏_{j ∈ t} x_j                    (hierarchical terms T)

and the counts y_x of the whole 2^J table are independent Poisson(μ_x), or equivalently, given the total
N = Σ_x y_x, multinomial with cell probabilities q_x = μ_x / Σ_z μ_z, in which β_0 cancels.  The count
n0 = y_0 of the all-zero cell is never observed; n = Σ_{x≠0} y_x is.

Priors (defaults; every one can be changed through the parameters or a preset's ``[priors]`` table):

    β_j ~ Normal(0, σ_main²),         σ_main = 5
    β_t ~ Normal(0, σ_interaction²),  σ_interaction = 2
    p(N) ∝ 1/N                        (equivalently, a flat prior on β_0 = log of the Poisson total)

*Why these.*  β_j is the log ratio of the expected number of people only on list j to the number on no list;
under independence it is logit(c_j) for a list that captures a fraction c_j of the population.  σ_main = 5
keeps 95% of the prior mass on capture fractions between e^-10 ≈ 0.005% and 99.995%: essentially flat over every
plausible list, yet it rules out the numerically infinite values that sparse tables otherwise allow.  β_t for a
two-way term (j, l) is the log odds ratio between lists j and l (given the others); σ_interaction = 2 puts 95% of
the prior mass on odds ratios between 1/50 and 50, wider than the dependence seen in practice (the maximum-likelihood
two-way log odds ratios on Kosovo are 0.03 … 1.19), while shrinking the interactions of list pairs that share
almost nobody — which the maximum-likelihood fit would send to −∞ — towards independence.  The J-way interaction is
never included: it would absorb the unobserved cell and is not identified (the hierarchical closure of the
requested terms is used, so ``("A", "B", "C")`` also adds A:B, A:C and B:C).

N integrated out exactly
------------------------
Write q_0 = μ_0 / Σ_z μ_z = 1 / (1 + Σ_{x≠0} e^{η_x}) with η_x = log μ_x − β_0.  The multinomial likelihood
factorises as

    p(y, n0 | N, β) = [ n! / ∏_{x≠0} y_x!  ∏_{x≠0} (q_x / (1 − q_0))^{y_x} ]  ×  C(N, n) (1 − q_0)^n q_0^{N−n}

(the conditional multinomial of the observed cells given n, times the binomial probability of observing n of N).
With p(N) ∝ 1/N and N = n + n0,

    (1/N) C(N, n) (1 − q_0)^n q_0^{n0} = (1/n) C(n + n0 − 1, n0) (1 − q_0)^n q_0^{n0},

which is 1/n times the NegativeBinomial(n, 1 − q_0) probability of n0.  Summing over n0 ≥ 0 therefore gives the
constant 1/n whatever β is, so

    p(β | y) ∝ p(β) ∏_{x≠0} (e^{η_x} / Σ_{z≠0} e^{η_z})^{y_x}         and     n0 | β, y ~ NegBin(n, 1 − q_0(β)).

NUTS samples β from the first (the softmax conditional likelihood of the 2^J − 1 observable cells, including the
observable cells nobody fell in), and one n0 per posterior draw of β is drawn from the second with a NumPy
``Generator``; N = n + n0.  The same argument shows that a Poisson model with a flat prior on β_0 gives the same
posterior (Poisson(Λ) with p(Λ) ∝ 1/Λ is p(N) ∝ 1/N marginally).

References: Fienberg, S. E. (1972) The multiple recapture census for closed populations and incomplete 2^k
contingency tables, *Biometrika* 59(3), 591–603; King, R. & Brooks, S. P. (2001) On the Bayesian analysis of
population size, *Biometrika* 88(2), 317–336; Madigan, D. & York, J. C. (1997) Bayesian methods for estimation of
the size of a closed population, *Biometrika* 84(1), 19–31.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from estimate._checks import as_seed_sequence, check_terms, is_real, seed_record
from estimate._user_caches import ensure_writable_caches
from estimate.data import CaptureData
from estimate.errors import DataError
from estimate.estimators._pymc_common import (
    bayes_result,
    check_sampler_params,
    draw_unobserved,
    run_nuts,
)
from estimate.estimators.base import Estimator, register
from estimate.estimators.loglinear import design_matrix, full_table
from estimate.results import Result

__all__ = ["BayesLogLinear", "parse_terms"]

Term = tuple[str, ...]

#: 2^J cells are enumerated; beyond 10 lists (1,024 cells) use LCMCR or the frequentist stepwise search.
MAX_LISTS = 10


def parse_terms(terms: Any, lists: Sequence[str]) -> list[Term]:
    """Interaction terms as sorted tuples of list names, closed under hierarchy.

    ``terms`` is ``"all-two-way"``, ``"independence"``, a string ``"A:B,C:D"`` or a sequence of tuples/strings
    (``[("A", "B"), "C:D"]``).  Raises :class:`DataError` naming unknown lists or non-identifiable terms.
    """
    lists = list(lists)
    if isinstance(terms, str):
        key = terms.strip().lower()
        if key == "all-two-way":
            return [] if len(lists) <= 2 else [tuple(p) for p in itertools.combinations(lists, 2)]
        if key in ("independence", "none", ""):
            return []
        terms = [chunk for chunk in terms.split(",") if chunk.strip()]
    if terms is None:
        return []
    parsed: set[Term] = set()
    for raw in terms:
        term = tuple(p.strip() for p in raw.split(":")) if isinstance(raw, str) else tuple(raw)
        unknown = [name for name in term if name not in lists]
        if unknown:
            raise DataError(f"interaction term {term} names unknown list(s) {unknown}; lists are {lists}")
        if len(set(term)) < 2:
            raise DataError(f"interaction term {term} must involve at least two different lists")
        if len(set(term)) >= len(lists):
            raise DataError(
                f"the {len(lists)}-way interaction {term} is not identifiable: it would absorb the unobserved cell"
            )
        ordered = tuple(sorted(set(term), key=lists.index))
        for order in range(2, len(ordered) + 1):  # hierarchy: every lower-order interaction inside the term
            parsed.update(itertools.combinations(ordered, order))
    return sorted(parsed, key=lambda t: (len(t), [lists.index(name) for name in t]))


@register
class BayesLogLinear(Estimator):
    r"""Bayesian Poisson log-linear model (PyMC NUTS), N integrated out under p(N) ∝ 1/N.

    Priors: β_j ~ Normal(0, sigma_main²) for list main effects, β_t ~ Normal(0, sigma_interaction²) for the
    interaction terms; p(N) ∝ 1/N.  See the module docstring for the model, the derivation of the conditional
    likelihood and the reasons for the default prior scales.

    Parameters
    ----------
    terms
        ``"all-two-way"`` (default), ``"independence"``, or explicit interactions such as
        ``[("EXH", "ABA"), ("OSCE", "HRW")]`` or ``"EXH:ABA,OSCE:HRW"`` (lower-order terms are added).
    sigma_main
        Prior standard deviation of the main effects β_j (default 5).
    sigma_interaction
        Prior standard deviation of the interaction terms β_t (default 2).
    draws, tune
        NUTS draws kept and tuning steps per chain (default 1,000 each).
    chains
        Number of chains (default 4), used for R-hat and ESS.
    cores
        Processes for the chains (default ``None``: PyMC's choice, up to the number of CPUs).
    target_accept
        NUTS target acceptance rate (default 0.9).
    seed
        Integer or ``numpy.random.SeedSequence``: seeds the NUTS chains and the Generator of the n0 draws.
    level, interval
        Credible level (default 0.95) and kind (``"equal-tailed"`` or ``"hdi"``) of the reported interval.

    Examples
    --------
    >>> import estimate
    >>> from estimate.estimators.bayes_loglinear import BayesLogLinear
    >>> result = BayesLogLinear(draws=200, tune=200, chains=2, seed=1).fit(
    ...     estimate.datasets.load("kosovo"))  # doctest: +SKIP
    """

    name = "bayes-loglinear"
    bayesian = True
    min_lists: ClassVar[int] = 2
    max_lists: ClassVar[int | None] = MAX_LISTS

    def __init__(
        self,
        terms: Any = "all-two-way",
        sigma_main: float = 5.0,
        sigma_interaction: float = 2.0,
        draws: int = 1000,
        tune: int = 1000,
        chains: int = 4,
        cores: int | None = None,
        target_accept: float = 0.9,
        seed: int | np.random.SeedSequence | None = None,
        level: float = 0.95,
        interval: str = "equal-tailed",
    ) -> None:
        self.terms = terms
        self.sigma_main = sigma_main
        self.sigma_interaction = sigma_interaction
        self.draws = draws
        self.tune = tune
        self.chains = chains
        self.cores = cores
        self.target_accept = target_accept
        self.seed = seed
        self.level = level
        self.interval = interval

    def describe_model(self, terms: Sequence[Term]) -> str:
        interactions = ", ".join(":".join(t) for t in terms) if terms else "none (independent lists)"
        return (
            f"Bayesian Poisson log-linear model, interactions {interactions}; β_main ~ Normal(0, "
            f"{self.sigma_main:g}²), β_interaction ~ Normal(0, {self.sigma_interaction:g}²), p(N) ∝ 1/N; NUTS "
            f"{self.chains} chain{'s' if self.chains != 1 else ''} × {self.draws} draws (tune {self.tune})"
        )

    def build_model(self, data: CaptureData, terms: Sequence[Term]):
        """The PyMC model of β given the observed table (N already integrated out)."""
        ensure_writable_caches()  # PyTensor compiles into ~/.pytensor, ArviZ (imported by PyMC) writes ~/.cache
        import pymc as pm
        import pytensor.tensor as pt

        lists = list(data.lists)
        cells, y = full_table(data)
        X = design_matrix(cells, lists, terms)[1:, 1:]  # observable cells x ≠ 0; intercept β_0 cancels
        y_obs = y[1:]
        J = len(lists)
        coords: dict[str, list[str]] = {"list": lists}
        if terms:
            coords["term"] = [":".join(t) for t in terms]
        with pm.Model(coords=coords) as model:
            beta_main = pm.Normal("beta_main", mu=0.0, sigma=self.sigma_main, dims="list")
            eta = pt.dot(X[:, :J], beta_main)
            if terms:
                beta_int = pm.Normal("beta_interaction", mu=0.0, sigma=self.sigma_interaction, dims="term")
                eta = eta + pt.dot(X[:, J:], beta_int)
            log_total = pm.math.logsumexp(eta)  # log Σ_{x≠0} e^{η_x} = log((1 − q_0)/q_0)
            # conditional multinomial log-likelihood of the observed cells given n (constants dropped)
            pm.Potential("conditional_loglik", pt.dot(y_obs, eta) - y_obs.sum() * log_total)
            pm.Deterministic("p0", pm.math.sigmoid(-log_total))
        return model

    def _check_params(self) -> None:
        check_terms(self.terms, self.name, ("all-two-way", "independence", "none", ""))
        check_sampler_params(self.name, draws=self.draws, tune=self.tune, chains=self.chains,
                             target_accept=self.target_accept, level=self.level, interval=self.interval,
                             cores=self.cores)
        if not all(is_real(sigma) and sigma > 0 for sigma in (self.sigma_main, self.sigma_interaction)):
            raise ValueError(f"{self.name}: prior scales must be positive finite numbers, got "
                             f"sigma_main={self.sigma_main!r}, sigma_interaction={self.sigma_interaction!r}")

    def _fit(self, data: CaptureData) -> Result:
        terms = parse_terms(self.terms, data.lists)
        model = self.build_model(data, terms)
        sequence = as_seed_sequence(self.seed)
        nuts_seed, n0_seed = sequence.spawn(2)
        var_names = ["beta_main", "p0"] + (["beta_interaction"] if terms else [])
        run = run_nuts(model, var_names, draws=self.draws, tune=self.tune, chains=self.chains, cores=self.cores,
                       target_accept=self.target_accept, sequence=nuts_seed)
        rng = np.random.Generator(np.random.PCG64(n0_seed))
        n0 = draw_unobserved(run.values["p0"], data.observed, rng)
        parameters = {name: run.values[name] for name in var_names}
        dims: dict[str, list[str]] = {"beta_main": ["list"]}
        coords: dict[str, list[str]] = {"list": list(data.lists)}
        if terms:
            dims["beta_interaction"] = ["term"]
            coords["term"] = [":".join(t) for t in terms]
        seed_value = seed_record(self.seed, sequence)
        return bayes_result(
            method=self.name,
            model_description=self.describe_model(terms),
            data=data,
            n0=n0,
            parameters=parameters,
            dims=dims,
            coords=coords,
            run=run,
            level=self.level,
            interval_kind=self.interval,
            seed=seed_value,
            details={
                "terms": [":".join(t) for t in terms],
                "priors": {"sigma_main": self.sigma_main, "sigma_interaction": self.sigma_interaction},
                "posterior_mean_beta": {
                    **{f"{name}": float(v) for name, v in zip(data.lists, run.values["beta_main"].mean(axis=(0, 1)),
                                                              strict=True)},
                    **({":".join(t): float(v) for t, v in zip(
                        terms, run.values["beta_interaction"].mean(axis=(0, 1)), strict=True)} if terms else {}),
                },
            },
            attrs={"terms": ",".join(":".join(t) for t in terms), "sigma_main": float(self.sigma_main),
                   "sigma_interaction": float(self.sigma_interaction)},
        )
