"""Record linkage: from raw victim lists (name, sex, age, date and place of death) to capture histories.

Each monitor publishes its own list of named victims, and the same person appears on several lists, spelled
differently.  This subpackage standardises the identifying fields (:mod:`~estimate.linkage.standardize`), links
the records across and within lists with a Fellegi–Sunter model fitted by splink on DuckDB
(:mod:`~estimate.linkage.link`), resolves individuals and writes their capture histories — 0/1 per list plus
stratum fields, never names — and fits several plausible linkages and pools them so the interval carries linkage
uncertainty (:mod:`~estimate.linkage.pool`).  :mod:`~estimate.linkage.synthetic` draws realistic lists with known
truth and :mod:`~estimate.linkage.evaluate` scores a linkage against it.

The linkage itself needs the optional dependency splink (``pip install "estimate[link]"``); it is imported only
when :func:`link_lists` runs, so standardisation, the generator and the pooling work without it.

Examples
--------
>>> from estimate.linkage import synthetic_lists, link_lists, fit_linkages   # doctest: +SKIP
>>> sim = synthetic_lists(5000, seed=1)                                       # doctest: +SKIP
>>> linkage = link_lists(sim.lists, ["name", "sex", "age", "date", "place"], strata="region")  # doctest: +SKIP
>>> fit = fit_linkages(linkage.replicates(), linkage.lists, strata="region", seed=1)       # doctest: +SKIP
>>> print(fit.sentence())                                                     # doctest: +SKIP
"""

from estimate.linkage.evaluate import linkage_accuracy, pairwise_accuracy, truth_for_records
from estimate.linkage.link import (
    DEFAULT_THRESHOLD,
    DEFAULT_THRESHOLDS,
    LinkageResult,
    link_lists,
    read_lists,
    replicate_thresholds,
    require_splink,
)
from estimate.linkage.pool import LinkageFit, fit_linkages
from estimate.linkage.standardize import standardize_date, standardize_frame, standardize_name, standardize_place
from estimate.linkage.synthetic import SyntheticLists, synthetic_lists

__all__ = [
    "link_lists",
    "read_lists",
    "LinkageResult",
    "require_splink",
    "replicate_thresholds",
    "DEFAULT_THRESHOLD",
    "DEFAULT_THRESHOLDS",
    "fit_linkages",
    "LinkageFit",
    "pairwise_accuracy",
    "linkage_accuracy",
    "truth_for_records",
    "standardize_name",
    "standardize_place",
    "standardize_date",
    "standardize_frame",
    "synthetic_lists",
    "SyntheticLists",
]
