"""Exceptions and warnings raised by :mod:`estimate`.

One exception type for bad input (:class:`DataError`, a :class:`ValueError`), one for an optional dependency a
feature needs and that is not installed (:class:`MissingDependencyError`, an :class:`ImportError`), and a small
family of warnings whose messages say what the statistical consequence is.
"""

from __future__ import annotations

__all__ = [
    "DataError",
    "MissingDependencyError",
    "EstimateWarning",
    "DataWarning",
    "UninformativeDataWarning",
    "ConvergenceWarning",
]


class DataError(ValueError):
    """Input data cannot be used: the message names the column/row that is wrong and how to fix it."""


class MissingDependencyError(ImportError):
    """A feature needs an optional dependency that is not installed (dask.distributed for the dask executor,
    splink for record linkage): the message names it and the ``pip install`` that adds it."""


class EstimateWarning(UserWarning):
    """Base class of every warning issued by :mod:`estimate` (filter this one to silence them all).

    Also issued itself where no subclass fits: a dga posterior whose mass runs past its grid of N (a limit of the
    computation, neither the data's nor a sampler's), totals over such strata, and the one warning a stratified
    run gives for the warnings of its strata's fits, whatever their kinds (each stratum's own messages are in the
    summary's ``warnings`` column).
    """


class DataWarning(EstimateWarning):
    """Input was valid but changed on the way in (duplicate patterns merged, empty lists dropped...)."""


class UninformativeDataWarning(EstimateWarning):
    """The data are valid but carry little or no information about the unobserved count."""


class ConvergenceWarning(EstimateWarning):
    """An MCMC sampler's diagnostics (R-hat, effective sample size) suggest the draws are unreliable."""
