"""Reproducible benchmark suite of ``estimate``: ``python -m benchmarks [--quick] [--only accuracy,speed,real]``.

Modules: :mod:`benchmarks.accuracy` (simulated populations of known size), :mod:`benchmarks.speed` (LCMCR kernel,
PyMC baseline, scaling, memory), :mod:`benchmarks.real_data` (bundled datasets next to published and R figures),
:mod:`benchmarks.strata_scale` (1,000 strata through the CLI).  Results: ``benchmarks/results/<name>.json``, with
``.md`` and ``.png`` generated from the JSON (quick runs: ``benchmarks/results/quick/``).
"""
