"""estimate — multiple-systems estimation of the total number of victims from overlapping lists.

Public API
----------
CaptureData
    Capture-history data: named lists, observed patterns and counts, optional strata (:mod:`estimate.data`).
Result, Interval
    The fitted-estimate type shared by every estimator (:mod:`estimate.results`).
LincolnPetersen, Chapman, ChaoLowerBound
    Closed-form estimators.
datasets
    Bundled real datasets: ``datasets.names()``, ``datasets.load(name)``.
simulate
    Populations of known size and their capture histories: ``simulate.scenario("mv2016-two-class", seed=1)``
    returns a SimulatedPopulation with ``.data`` (CaptureData) and ``.N`` (the truth) (:mod:`estimate.simulate`).
load_preset, preset_names, make_estimator
    Named model presets from ``models/*.toml``.
method_names, get_estimator_class
    The registry of estimators by name (``"chapman"``, ``"loglinear"``, ``"lcmcr"`` ...).
fit_strata, StrataResult
    Fit every stratum (batched for LCMCR), pool imputation replicates, totals from summed posterior draws
    (:mod:`estimate.strata`).
compare, Comparison
    Fit several methods to the same data: ``compare(data, ["chapman", "loglinear", "lcmcr"], seed=1)`` gives a
    table (estimate, interval and kind, diagnostics, run time; "not applicable"/"failed" rows say why) and a
    forest plot ``.plot()`` (:mod:`estimate.compare`).
posterior_predictive_check
    Does data replicated from a latent-class fit look like the lists? Each list size and pairwise overlap against
    its posterior predictive distribution, with p-values (:mod:`estimate.checks`).
load_result
    Read a result saved with ``Result.save`` / ``StrataResult.save`` (``.json`` or ``.nc``) or a comparison saved
    with ``Comparison.save`` (``.json``) back into an equal object; every result's ``provenance`` (versions,
    seed, preset, data hash, command line, times) is made by :mod:`estimate.provenance` and
    ``estimate reproduce RESULT.json`` re-runs it (:mod:`estimate.export`).
DataError, MissingDependencyError, EstimateWarning, ConvergenceWarning, DataWarning, UninformativeDataWarning
    The exception raised for bad input, the one raised when a feature needs an optional dependency that is not
    installed (an ImportError: dask for ``executor="dask"``, splink for record linkage; it names the
    ``pip install``), and the warnings issued for valid but problematic data or fits (``EstimateWarning`` is the
    base class of the others: filter it to silence them all).
"""

from estimate import datasets, simulate
from estimate.checks import posterior_predictive_check
from estimate.compare import Comparison, compare
from estimate.data import CaptureData
from estimate.errors import (
    ConvergenceWarning,
    DataError,
    DataWarning,
    EstimateWarning,
    MissingDependencyError,
    UninformativeDataWarning,
)
from estimate.estimators import (
    ChaoLowerBound,
    Chapman,
    LincolnPetersen,
    get_estimator_class,
    method_names,
)
from estimate.export import load_result
from estimate.presets import load_preset, make_estimator, preset_names
from estimate.results import Interval, Result
from estimate.strata import StrataResult, fit_strata

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "CaptureData",
    "Result",
    "Interval",
    "LincolnPetersen",
    "Chapman",
    "ChaoLowerBound",
    "datasets",
    "simulate",
    "load_preset",
    "preset_names",
    "make_estimator",
    "method_names",
    "get_estimator_class",
    "DataError",
    "MissingDependencyError",
    "EstimateWarning",
    "DataWarning",
    "UninformativeDataWarning",
    "ConvergenceWarning",
    "fit_strata",
    "StrataResult",
    "compare",
    "Comparison",
    "load_result",
    "posterior_predictive_check",
]
