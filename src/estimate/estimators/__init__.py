"""Estimators of the population size: one module per family; importing this package registers them all."""

from estimate.estimators.base import Estimator, get_estimator_class, method_names
from estimate.estimators.bayes_loglinear import BayesLogLinear
from estimate.estimators.chao import ChaoLowerBound
from estimate.estimators.dga import DecomposableGraphBMA
from estimate.estimators.lcmcr import LCMCR
from estimate.estimators.loglinear import LogLinear
from estimate.estimators.pymc_lcmcr import PyMCLCMCR
from estimate.estimators.rcapture import HeterogeneityModel
from estimate.estimators.sparsemse import SparseMSE
from estimate.estimators.two_list import Chapman, LincolnPetersen

__all__ = [
    "Estimator",
    "get_estimator_class",
    "method_names",
    "LincolnPetersen",
    "Chapman",
    "ChaoLowerBound",
    "DecomposableGraphBMA",
    "LCMCR",
    "LogLinear",
    "HeterogeneityModel",
    "BayesLogLinear",
    "PyMCLCMCR",
    "SparseMSE",
]
