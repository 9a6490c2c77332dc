"""Compiled samplers: numbers in, numbers out (no pandas, no I/O).

Importing the package makes numba's on-disk cache of the samplers match their current sources
(:mod:`estimate.samplers._numba_cache`: numba keys a cached function on its own file only, so a change in
``variates`` alone would otherwise leave the kernel's cached code stale).
"""

from estimate.samplers import _numba_cache, lcmcr_kernel, variates

_numba_cache.refresh([variates, lcmcr_kernel])
