"""Shared machinery of every estimator: explicit parameters, one input-validation path, a method registry.

Following scikit-learn, ``__init__`` only stores documented parameters; :meth:`Estimator.fit` validates the input
through :func:`validate_capture_data` and returns a :class:`~estimate.results.Result` (statsmodels-style: the
model and its fitted results are different objects).
"""

from __future__ import annotations

import copy
import difflib
import inspect
import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from estimate._blas import one_blas_thread
from estimate._checks import as_seed_sequence, check_seed, is_real, normalised_interval_kind
from estimate._warning_state import catch_warnings
from estimate.data import CaptureData
from estimate.errors import DataError, EstimateWarning, UninformativeDataWarning
from estimate.results import Result

__all__ = ["Estimator", "validate_capture_data", "register", "get_estimator_class", "method_names", "NotApplicable",
           "warn_if_lists_never_overlap"]

_REGISTRY: dict[str, type[Estimator]] = {}


class NotApplicable(DataError):
    """The method cannot be used on this data (e.g. a two-list estimator given five lists)."""


def validate_capture_data(data: CaptureData | pd.DataFrame, *, min_lists: int = 2, max_lists: int | None = None,
                          method: str = "estimator") -> CaptureData:
    """Return ``data`` as unstratified :class:`CaptureData`, or raise :class:`DataError` naming the problem."""
    if isinstance(data, pd.DataFrame):
        data = CaptureData.from_frame(data)
    if not isinstance(data, CaptureData):
        raise DataError(f"{method} needs CaptureData or a pandas DataFrame, got {type(data).__name__}")
    if data.strata_columns:
        raise DataError(
            f"the data is stratified by {list(data.strata_columns)}; fit each stratum with "
            "estimate.fit_strata(...) or pool them first with data.without_strata()"
        )
    if data.n_lists < min_lists:
        raise NotApplicable(f"{method} needs at least {min_lists} lists; the data has {data.n_lists}")
    if max_lists is not None and data.n_lists > max_lists:
        raise NotApplicable(f"{method} handles at most {max_lists} lists; the data has {data.n_lists}")
    return data


#: ``details["prior_driven"]`` of a latent-class fit to two lists (LCMCR, pymc-lcmcr)
TOO_FEW_LISTS_FOR_LATENT_CLASSES = "with fewer than 3 lists the latent-class model is not identified"


def warn_if_lists_never_overlap(data: CaptureData, method: str, stacklevel: int = 2) -> bool:
    """Warn (and return True) if nobody is on two or more lists.

    Multiple-systems estimation learns how many people were missed from how often the lists catch the same
    people; with no overlaps the likelihood of N is flat for large N (its maximum lies at infinity), so a Bayesian
    posterior of N is then its prior's — p(N) ∝ 1/N and the priors on capture probabilities — and its interval
    says nothing about the data.
    """
    if data.lists_overlap:
        return False
    warnings.warn(
        f"{method}: no one is on two or more lists (the lists never overlap), so the data say nothing about how many "
        "people no list recorded: the likelihood does not bound N, and the posterior of N and its interval come from "
        "the model's priors, not from the data; treat the total as unbounded above",
        UninformativeDataWarning,
        stacklevel=stacklevel + 1,
    )
    return True


#: argument names of the R packages (LCMCR, dga, SparseMSE) and what they are called here
R_ARGUMENT_NAMES = {"burnin": "burn_in", "samples": "draws", "nboot": "n_boot", "iseed": "seed",
                    "Nmissing": "max_missing", "nmissing": "max_missing", "alpha": "level", "quantiles": "level",
                    "buffer_size": None, "tabular": None, "graphs": None}
#: what differs besides the name
_R_ARGUMENT_NOTES = {"samples": " (per chain: chains × draws in all)",
                     "Nmissing": " (R's vector 0:M is max_missing = M)",
                     "alpha": " (SparseMSE's alpha = c(0.025, 0.975) is level = 0.95)",
                     "quantiles": " (the 0.025 and 0.975 quantiles are level = 0.95)"}

#: the most posterior draws of N one fit keeps (chains × draws: 8 bytes each, 16 GB) and the most chains it runs
MAX_KEPT_DRAWS = 2_000_000_000
MAX_CHAINS = 10_000


def draws_too_many(chains: int, draws: int) -> str | None:
    """Why ``chains`` × ``draws`` cannot be kept (memory), or None: a draws=10**12 failed with a MemoryError of
    7 TiB after the data were read, and chains=10**12 hung while spawning seeds."""
    if chains > MAX_CHAINS:
        return f"chains={chains:,} is more than {MAX_CHAINS:,} chains"
    if chains * draws > MAX_KEPT_DRAWS:
        return (f"chains × draws = {chains * draws:,} draws of N to keep ({chains * draws * 8 / 1e9:,.0f} GB); at "
                f"most {MAX_KEPT_DRAWS:,}")
    return None


def seed_list(seeds: Any) -> list[Any] | None:
    """``fit_many``'s ``seeds`` as a list, one per dataset (None stays None); a single seed is refused by name."""
    if seeds is None:
        return None
    if isinstance(seeds, str | bytes | int | np.integer | np.random.SeedSequence | Mapping) \
            or not isinstance(seeds, Iterable) or (isinstance(seeds, np.ndarray) and seeds.ndim == 0):
        # (np.array(5) is an Iterable by its type; an iterator's np.ndim is 0 too, but it is a sequence of seeds)
        raise DataError(f"seeds must be a list of one seed per dataset (or None), got {type(seeds).__name__}; "
                        "for one root seed, give seed= to the estimator")
    return list(seeds)


def unknown_parameter_hint(unknown: Iterable[str], valid: Iterable[str]) -> str:
    """" (did you mean 'burn_in'?)" for parameter names that are R's (LCMCR's ``burnin``, SparseMSE's ``nboot``)
    or near a valid one; empty when none is."""
    valid = sorted(valid)
    hints = []
    for name in unknown:
        mapped = R_ARGUMENT_NAMES.get(str(name), "")
        if mapped and mapped in valid:
            hints.append(f"R's {name!r} is {mapped!r} here{_R_ARGUMENT_NOTES.get(str(name), '')}")
        elif str(name) in R_ARGUMENT_NAMES and mapped is None:
            hints.append(f"R's {name!r} has no counterpart here" + (" (every decomposable graph is averaged)"
                                                                    if name == "graphs" else " (not needed)"))
        else:
            close = difflib.get_close_matches(str(name), valid, n=1, cutoff=0.75)
            if close:
                hints.append(f"did you mean {close[0]!r} for {name!r}?")
    return f" ({'; '.join(hints)})" if hints else ""


class Estimator(ABC):
    """Base class: explicit parameters in ``__init__``, ``fit(data) -> Result``."""

    #: Registry name used by the CLI, presets and :func:`estimate.compare`.
    name: ClassVar[str] = ""
    #: Minimum / maximum number of lists the method handles.
    min_lists: ClassVar[int] = 2
    max_lists: ClassVar[int | None] = None
    #: True for the Bayesian methods, whose priors keep the posterior of N proper even where the data do not bound
    #: it (see :func:`warn_if_lists_never_overlap`); the likelihood methods report an infinite estimate there.
    bayesian: ClassVar[bool] = False
    #: The values of an ``interval`` parameter, read in any case ("HDI"): the credible-interval kinds by default.
    interval_choices: ClassVar[tuple[str, ...]] = ("equal-tailed", "hdi")

    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [p.name for p in signature.parameters.values()
                if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The estimator's parameters, as passed to ``__init__``.  ``deep`` is scikit-learn's signature (no
        parameter of these estimators is itself an estimator, so it changes nothing)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Estimator:
        """Set parameters by name (scikit-learn style) and return the estimator; an unknown name is a ValueError.
        Values are checked when the estimator fits (or by :meth:`check_params`)."""
        valid = set(self._param_names())
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"{self.name} has no parameter {key!r}{unknown_parameter_hint([key], valid)}; "
                                 f"valid: {sorted(valid)}")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"

    def fit(self, data: CaptureData | pd.DataFrame, *, seed: Any = None) -> Result:
        """Validate ``data`` and fit the model; returns a :class:`~estimate.results.Result`.

        ``seed`` (an int, a ``numpy.random.SeedSequence`` or None) fits with that seed instead of the estimator's
        own ``seed`` parameter, which is left as it was: ``LCMCR().fit(data, seed=1)`` draws what
        ``LCMCR(seed=1).fit(data)`` draws.  A method that draws no random numbers (the closed forms, the
        likelihood models) accepts it and is unaffected, so one loop can fit any method with a seed.
        """
        # (one frame, not a call of fit on the copy: warnings' stack levels point at the caller's line)
        if seed is not None and not self.takes_seed:
            check_seed(seed, self.name or type(self).__name__)  # unused, but a bad seed is still named
        model = self.clone(seed=seed) if seed is not None and self.takes_seed else self
        model.check_params()  # first: a bad parameter is named even when the data would not suit the method
        checked = model._validated(data)
        no_overlap = model.bayesian and warn_if_lists_never_overlap(checked, model.name or type(model).__name__,
                                                                    stacklevel=2)
        estimator, started = model._start()
        with one_blas_thread():  # small least-squares problems: BLAS threads only wait for busy cores (_blas)
            fitted = estimator._fit(checked)
        result = estimator._recorded(fitted, checked, started)
        if no_overlap:  # the warning is gone once the result is saved or shared: the result says it too
            result.details["prior_driven"] = "the lists never overlap"
        return result

    def _validated(self, data: CaptureData | pd.DataFrame) -> CaptureData:
        """``data`` checked by :func:`validate_capture_data` against the method's list limits (a method with
        further conditions on its input extends this)."""
        return validate_capture_data(data, min_lists=self.min_lists, max_lists=self.max_lists,
                                     method=self.name or type(self).__name__)

    def check_params(self) -> None:
        """Refuse invalid parameters before any data are touched: the interval level (DataError), the seed and
        the method's own parameters (ValueError).  ``fit`` calls it first; :func:`~estimate.fit_strata` calls it
        before splitting the data, so a bad preset stops the run instead of failing every stratum."""
        level = getattr(self, "level", 0.95)
        if not (is_real(level) and 0 < level < 1):  # every method's interval
            raise DataError(f"{self.name or type(self).__name__}: the interval level must be in (0, 1) (e.g. 0.95), "
                            f"got {level!r}")
        owner = self.name or type(self).__name__
        if isinstance(getattr(self, "interval", None), str):  # "HDI" as compare(interval=) takes it, kept as "hdi"
            self.interval = normalised_interval_kind(self.interval, self.interval_choices)
        if self.takes_seed:
            check_seed(getattr(self, "seed", None), owner)
        try:
            self._check_params()
        except ValueError as exc:  # every message starts with the method's name, whichever check raised it
            message = str(exc)
            if message.split(":", 1)[0].strip().lower() in (owner.lower(), type(self).__name__.lower()):
                raise
            raise type(exc)(f"{owner}: {message}") from exc

    def _check_params(self) -> None:
        """The method's own parameter checks (raise ValueError naming the parameter); none by default."""
        return None

    def _start(self) -> tuple[Estimator, Any]:
        """The estimator to fit with, and the start time (provenance).

        A random estimator without a seed gets fresh entropy here, as it would draw itself, so that the result
        records a seed that repeats the fit (``estimate reproduce``).
        """
        from estimate import provenance

        estimator = self
        self.check_params()
        if self.takes_seed and getattr(self, "seed", None) is None:
            estimator = copy.copy(self)
            estimator.seed = int(np.random.SeedSequence().entropy)
        return estimator, provenance.now()

    def _recorded(self, result: Result, data: CaptureData, started: Any) -> Result:
        """``result`` with its provenance: parameters, seed, data hash, start and end times.

        ``fit`` calls ``_fit`` itself (not through a helper) so that warnings' stack levels still point at the
        user's call.
        """
        from estimate import provenance

        record = provenance.collect(estimator=self, data=data, started=started, finished=provenance.now())
        result.provenance = {**result.provenance, **record}
        return result

    @abstractmethod
    def _fit(self, data: CaptureData) -> Result:
        """Fit on validated, unstratified data."""

    @property
    def takes_seed(self) -> bool:
        """True if the estimator is random and has a ``seed`` parameter."""
        return "seed" in self._param_names()

    def clone(self, **params: Any) -> Estimator:
        """A new estimator with the same parameters (copies: a list of terms is not shared), some replaced; an
        unknown name is a ValueError, as in :meth:`set_params`."""
        unknown = sorted(set(params) - set(self._param_names()))
        if unknown:
            raise ValueError(f"{self.name} has no parameter(s) {unknown}"
                             f"{unknown_parameter_hint(unknown, self._param_names())}; valid: "
                             f"{sorted(self._param_names())}")
        merged = copy.deepcopy(self.get_params())
        merged.update(params)
        clone = type(self)(**merged)
        if hasattr(self, "_preset"):  # the preset it was built from (provenance)
            clone._preset = self._preset
        return clone

    def __sklearn_clone__(self) -> Estimator:
        """scikit-learn's ``clone`` protocol (scikit-learn ≥ 1.3): :meth:`clone`, so that a copy made by
        ``sklearn.base.clone`` (model selection, pipelines) keeps the preset it was built from in its fits'
        provenance, which a copy from :meth:`get_params` alone would lose."""
        return self.clone()

    def fit_many(
        self, datasets: Iterable[CaptureData], seeds: Iterable[Any] | None = None
    ) -> list[Result | Exception]:
        """Fit several independent problems (strata, replicates); one Result or the exception per problem.

        ``datasets`` and ``seeds`` may be any iterables (a list, a generator).  ``seeds[i]`` (an int or
        ``numpy.random.SeedSequence``) replaces the estimator's seed for problem i, so a problem's draws never
        depend on which other problems run with it or in what order.  Without ``seeds``, problem i gets the
        estimator's seed extended by spawn key i (:func:`per_problem_seeds`): no two problems share a random
        stream.  Each problem's warnings from this package are raised at the line that called ``fit_many``: as
        :meth:`fit` words them for one problem, prefixed ``"problem {i}: "`` for several (other libraries' keep
        their own file and line).  The fits hold the package's warning lock (:mod:`estimate._warning_state`), so
        fit_many calls in several threads of one process record their warnings one at a time.  Estimators with a
        batched kernel (LCMCR) override this to advance all problems in one compiled call.
        """
        datasets = list(datasets)
        seeds = seed_list(seeds)
        self._check_batch_seeds(seeds, len(datasets))
        if seeds is None and self.takes_seed and self.get_params().get("seed") is not None:
            seeds = per_problem_seeds(self.get_params()["seed"], len(datasets))
        outcomes: list[Result | Exception] = []
        for i, data in enumerate(datasets):
            estimator = self.clone(seed=seeds[i]) if (seeds is not None and self.takes_seed) else self
            # recorded, then raised again at the caller's line (raised inside fit they named this file's line)
            with catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    outcomes.append(estimator.fit(data))
                except (ValueError, ArithmeticError, RuntimeError) as exc:  # RuntimeError: e.g. PyMC's SamplingError
                    outcomes.append(exc)
            for w in caught:
                if not issubclass(w.category, EstimateWarning):  # library noise keeps its own origin (and the
                    # user's filters by module), as if it had not been recorded
                    warnings.warn_explicit(w.message, w.category, w.filename, w.lineno,
                                           module=_module_of_file(w.filename), registry={})
                elif len(datasets) == 1:
                    warnings.warn(w.message, stacklevel=2)
                else:
                    warnings.warn(f"problem {i}: {w.message}", w.category, stacklevel=2)
        return outcomes

    def _check_batch_seeds(self, seeds: list[Any] | None, n: int) -> None:
        """fit_many's ``seeds``: one per problem, each valid as :meth:`fit`'s ``seed`` (None: the default), checked
        before any problem is fitted — also by methods that draw nothing, as :meth:`fit` checks them."""
        owner = f"{self.name or type(self).__name__}.fit_many"
        if seeds is None:
            return
        if len(seeds) != n:
            raise ValueError(f"{owner}: seeds has {len(seeds)} entries for {n} datasets")
        for seed in seeds:
            check_seed(seed, owner)


def _module_of_file(filename: str) -> str:
    """The dotted name of the imported module a file is (a warning filter's ``module=`` matches it), else the
    file's stem."""
    import os
    import sys

    for name, module in list(sys.modules.items()):
        if getattr(module, "__file__", None) == filename:
            return name
    return os.path.splitext(os.path.basename(filename))[0]


def per_problem_seeds(seed: Any, n: int) -> list[np.random.SeedSequence]:
    """One seed per problem of a batch from one seed: its entropy, its spawn key extended by the problem's index
    (common random numbers across problems would correlate their Monte Carlo errors)."""
    root = as_seed_sequence(seed)
    return [np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, i), pool_size=root.pool_size)
            for i in range(n)]


def register(cls: type[Estimator]) -> type[Estimator]:
    """Class decorator: make an estimator available by its ``name`` (CLI ``--method``, presets, compare)."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} needs a non-empty 'name' to be registered")
    _REGISTRY[cls.name] = cls
    return cls


def _load_all() -> None:
    import estimate.estimators  # noqa: F401  (importing registers every estimator)


def get_estimator_class(name: str) -> type[Estimator]:
    """Estimator class registered under ``name``."""
    _load_all()
    if not isinstance(name, str):  # None or a number: AttributeError from .strip() before
        raise DataError(f"a method is named by text (one of {', '.join(method_names())}), got {name!r}")
    key = name.strip().lower()
    if key not in _REGISTRY:
        from estimate.presets import preset_names

        if key in preset_names():  # make_estimator("lcmcr-default"), `--method lcmcr-default`
            raise DataError(f"{name!r} is a model preset, not a method: give it as model={key!r} in Python or "
                            f"--model {key} on the command line (available methods: {', '.join(method_names())})")
        raise DataError(f"unknown method {name!r}; available methods: {', '.join(method_names())}")
    return _REGISTRY[key]


def method_names() -> list[str]:
    """Names of all registered estimators."""
    _load_all()
    return sorted(_REGISTRY)
