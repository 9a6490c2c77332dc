"""One isolated speed measurement, run in its own process so that its peak memory is its own.

    python -m benchmarks._speed_case CASE '{"json": "arguments"}'

prints one JSON object (the measurements plus ``peak_rss_mb``, the process's maximum resident set size) as the last
line of stdout.  Used by :mod:`benchmarks.speed`.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import warnings
from typing import Any

import numpy as np

from benchmarks import _common as C


def _kosovo() -> tuple[np.ndarray, np.ndarray]:
    from estimate import datasets

    data = datasets.load("kosovo")
    return np.ascontiguousarray(data.patterns), np.ascontiguousarray(data.counts)


def simulated_strata(n: int, J: int = 5, label: str = "strata") -> list[tuple[np.ndarray, np.ndarray]]:
    """``n`` 5-list strata: sizes 200–3,000, two equally likely latent classes, capture probabilities 0.05–0.5."""
    from estimate import simulate

    rng = np.random.Generator(np.random.PCG64(C.seed_for("speed", label, "design")))
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(n):
            size = int(rng.integers(200, 3000))
            lam = rng.uniform(0.05, 0.5, size=(2, J))
            sim = simulate.latent_class(size, lam, (0.5, 0.5), seed=C.seed_for("speed", label, i))
            out.append((np.ascontiguousarray(sim.data.patterns), np.ascontiguousarray(sim.data.counts)))
    return out


def _sampler(collapsed: bool) -> dict[str, Any]:
    """Kernel settings of the estimator's samplers: ``collapsed`` (the default) or ``gibbs`` (R's algorithm)."""
    from estimate.estimators.lcmcr import SAMPLERS

    return SAMPLERS["collapsed" if collapsed else "gibbs"]


def _warm() -> None:
    from estimate.samplers.lcmcr_kernel import LCMCRSettings, sample_lcmcr, spawn_generators

    X, c = _kosovo()
    for collapsed in (False, True):
        sample_lcmcr(X, c, LCMCRSettings(burn_in=10, n_draws=5, thinning=1, **_sampler(collapsed)),
                     spawn_generators(0, 1, 1)[0], n_threads=1)


def case_baseline(args: dict[str, Any]) -> dict[str, Any]:
    """Memory of the interpreter with estimate imported and the kernel compiled (loaded from numba's cache)."""
    start = time.perf_counter()
    _warm()
    return {"warm_seconds": time.perf_counter() - start}


def case_kernel(args: dict[str, Any]) -> dict[str, Any]:
    """µs per sweep of one chain on Kosovo (J = 4, 15 patterns, K = 10): plain Gibbs and the collapsed sampler."""
    from estimate.samplers.lcmcr_kernel import LCMCRSettings, sample_lcmcr, spawn_generators

    _warm()
    X, c = _kosovo()
    out = {"sweeps": args["sweeps"], "patterns": int(len(c)), "lists": int(X.shape[1])}
    for collapsed in (False, True):
        s = LCMCRSettings(burn_in=args["sweeps"], n_draws=0, thinning=1, **_sampler(collapsed))
        r = sample_lcmcr(X, c, s, spawn_generators(C.seed_for("speed", "kernel"), 1, 1)[0], n_threads=1)
        key = "collapsed" if collapsed else "plain"
        out[key] = {"us_per_sweep_wall": r["seconds"] / r["sweeps"] * 1e6,
                    "us_per_sweep_cpu": r["cpu_seconds"] / r["sweeps"] * 1e6}
    return out


def _run_kosovo(args: dict[str, Any], seq) -> tuple[dict[str, Any], np.ndarray, dict[str, Any]]:
    """One ``args["chains"]``-chain run on Kosovo with the sampler and settings in ``args``, seeded by ``seq``.

    Returns the timings and diagnostics of N (bulk/tail ESS, R-hat), the draws of N (chains × draws) and the
    kernel's own result.
    """
    import arviz as az

    from estimate.inference_data import ess_ar_spectral
    from estimate.samplers.lcmcr_kernel import LCMCRSettings, sample_lcmcr, spawn_generators

    X, c = _kosovo()
    s = LCMCRSettings(K=10, burn_in=args["burn_in"], n_draws=args["draws"], thinning=args["thinning"],
                      **_sampler(args["collapsed"]))
    t, cpu0 = time.perf_counter(), time.process_time()
    r = sample_lcmcr(X, c, s, spawn_generators(seq, 1, args["chains"])[0], n_threads=args["threads"])
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu0
    N = np.asarray(r["N"], dtype=float)
    run = {"seed": C.seed_record(seq), "wall_seconds": wall, "process_cpu_seconds": cpu,
           "kernel_cpu_seconds": r["cpu_seconds"], "sweeps": r["sweeps"], "sweeps_per_chain": s.sweeps_per_chain,
           "ess_bulk": float(az.ess(N, method="bulk")), "ess_tail": float(az.ess(N, method="tail")),
           "ess_coda": ess_ar_spectral(N), "r_hat": float(az.rhat(N)) if N.shape[0] > 1 else None}
    return run, N, r


def case_kosovo_ess(args: dict[str, Any]) -> dict[str, Any]:
    """ESS of N per second on Kosovo: ``chains`` chains on ``threads`` threads, R LCMCR's settings by default."""
    _warm()
    seq = C.seed_for("speed", "kosovo-ess", args["chains"], int(args["collapsed"]))
    run, N, r = _run_kosovo(args, seq)
    q = np.quantile(N, [0.025, 0.5, 0.975])
    return {**args, **run, "us_per_sweep_cpu": r["cpu_seconds"] / r["sweeps"] * 1e6,
            "ess_per_second_wall": run["ess_bulk"] / run["wall_seconds"],
            "ess_coda_per_second_wall": run["ess_coda"] / run["wall_seconds"],
            "ess_per_cpu_second": run["ess_bulk"] / run["process_cpu_seconds"],
            "median": float(q[1]), "q025": float(q[0]), "q975": float(q[2]),
            "mh_accept_rate": float(r["accept_rate"])}


def case_kosovo_ess_replicates(args: dict[str, Any]) -> dict[str, Any]:
    """``replicates`` independent runs of ``chains`` chains on Kosovo for one sampler (plain or collapsed).

    One run's ESS of N varies by ±40% between seeds, so a single pair of runs cannot say whether the
    label-switching and partially collapsed moves raise ESS per second; the spread over replicates gives the
    standard error.
    Also returns the pooled quantiles of N over all runs (the two samplers must give the same posterior).
    """
    _warm()
    runs, pooled = [], []
    for i in range(args["replicates"]):
        run, N, _ = _run_kosovo(args, C.seed_for("speed", "kosovo-ess-replicates", i))  # same seeds both samplers
        runs.append(run)
        pooled.append(N.ravel())
    q = np.quantile(np.concatenate(pooled), [0.025, 0.5, 0.975])
    return {**args, "runs": runs, "median": float(q[1]), "q025": float(q[0]), "q975": float(q[2])}


def case_batch_strata(args: dict[str, Any]) -> dict[str, Any]:
    """Cost per chain-sweep of a batch (all strata × chains on all threads) against single chains one by one."""
    from estimate.samplers.lcmcr_kernel import LCMCRSettings, sample_lcmcr, sample_lcmcr_batch, spawn_generators

    _warm()
    problems = simulated_strata(args["strata"])
    s = LCMCRSettings(burn_in=args["sweeps"] // 2, n_draws=args["sweeps"] // 2, thinning=1)
    t, cpu0 = time.perf_counter(), time.process_time()
    single_sweeps = 0
    single_kernel_cpu = 0.0
    for i, (p, cnt) in enumerate(problems):
        r = sample_lcmcr(p, cnt, s, spawn_generators(C.seed_for("speed", "single", i), 1, 1)[0], n_threads=1)
        single_sweeps += r["sweeps"]
        single_kernel_cpu += r["cpu_seconds"]
    single_wall, single_cpu = time.perf_counter() - t, time.process_time() - cpu0
    gens = spawn_generators(C.seed_for("speed", "batch"), len(problems), args["chains"])
    t, cpu0 = time.perf_counter(), time.process_time()
    res = sample_lcmcr_batch(problems, s, gens, n_threads=args["threads"])
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu0
    sweeps = sum(r["sweeps"] for r in res)
    kernel_cpu = sum(r["cpu_seconds"] for r in res)
    return {**args, "patterns_mean": float(np.mean([len(c) for _, c in problems])),
            "single": {"chain_sweeps": single_sweeps, "wall_seconds": single_wall, "process_cpu_seconds": single_cpu,
                       "us_per_sweep_cpu": single_cpu / single_sweeps * 1e6,
                       "us_per_sweep_wall": single_wall / single_sweeps * 1e6,
                       "kernel_us_per_sweep_cpu": single_kernel_cpu / single_sweeps * 1e6},
            "batch": {"chain_sweeps": sweeps, "wall_seconds": wall, "process_cpu_seconds": cpu,
                      "us_per_chain_sweep_cpu": cpu / sweeps * 1e6,
                      "us_per_chain_sweep_wall_x_threads": wall * args["threads"] / sweeps * 1e6,
                      "kernel_us_per_chain_sweep_cpu": kernel_cpu / sweeps * 1e6}}


def case_growth_lists(args: dict[str, Any]) -> dict[str, Any]:
    """µs per sweep of one chain (plain Gibbs sweep) as the number of lists J grows."""
    from estimate import simulate
    from estimate.samplers.lcmcr_kernel import LCMCRSettings, sample_lcmcr, spawn_generators

    _warm()
    rows = []
    for J in args["lists"]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            probs = (np.linspace(0.05, 0.15, J), np.linspace(0.5, 0.3, J))
            sim = simulate.latent_class(args["N"], probs, (0.6, 0.4), seed=C.seed_for("speed", "growth-J", J))
        X, c = np.ascontiguousarray(sim.data.patterns), np.ascontiguousarray(sim.data.counts)
        s = LCMCRSettings(burn_in=args["sweeps"], n_draws=0, thinning=1)
        r = sample_lcmcr(X, c, s, spawn_generators(C.seed_for("speed", "growth-J-chain", J), 1, 1)[0], n_threads=1)
        rows.append({"lists": J, "patterns": int(len(c)), "observed": int(c.sum()), "sweeps": r["sweeps"],
                     "us_per_sweep_cpu": r["cpu_seconds"] / r["sweeps"] * 1e6,
                     "us_per_sweep_wall": r["seconds"] / r["sweeps"] * 1e6})
    return {**args, "rows": rows}


def case_growth_strata(args: dict[str, Any]) -> dict[str, Any]:
    """``LCMCR.fit_many`` (the public API: Results with InferenceData) over ``strata`` 5-list strata."""
    from estimate.data import CaptureData
    from estimate.estimators.lcmcr import LCMCR

    _warm()
    problems = simulated_strata(args["strata"], label="growth-strata")
    datasets = [CaptureData(p, c, ["A", "B", "C", "D", "E"]) for p, c in problems]
    est = LCMCR(chains=args["chains"], burn_in=args["burn_in"], draws=args["draws"], thinning=args["thinning"],
                seed=C.seed_for("speed", "growth-strata"))
    t, cpu0 = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = est.fit_many(datasets, [C.seed_for("speed", "growth-strata", i) for i in range(len(datasets))])
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu0
    sweeps = sum(r.diagnostics["sweeps"] for r in results)
    kernel_cpu = sum(r.diagnostics["cpu_seconds"] for r in results)
    return {**args, "wall_seconds": wall, "process_cpu_seconds": cpu, "chain_sweeps": sweeps,
            "wall_per_stratum_ms": wall / len(datasets) * 1e3, "chain_sweeps_per_second": sweeps / wall,
            "kernel_cpu_seconds": kernel_cpu, "overhead_cpu_share": cpu / kernel_cpu - 1,
            "max_r_hat": float(max(r.diagnostics["r_hat"] for r in results))}


def case_pymc(args: dict[str, Any]) -> dict[str, Any]:
    """The same LCMCR model in PyMC (NUTS; classes marginalised, N integrated out) on Kosovo or one stratum."""
    from estimate import datasets
    from estimate.data import CaptureData
    from estimate.estimators.pymc_lcmcr import PyMCLCMCR

    if args.get("data") == "stratum":
        p, c = simulated_strata(1)[0]
        data = CaptureData(p, c, ["A", "B", "C", "D", "E"])
    else:
        data = datasets.load("kosovo")
    seq = C.seed_for("speed", "pymc", args["chains"], args.get("data", "kosovo"))
    est = PyMCLCMCR(K=10, chains=args["chains"], cores=args["cores"], tune=args["tune"], draws=args["draws"],
                    seed=seq)
    t, cpu0 = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = est.fit(data)
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu0
    d = res.diagnostics
    sampling = d.get("sampling_seconds")
    iterations = args["chains"] * (args["tune"] + args["draws"])
    parallel = min(args["chains"], args["cores"])
    return {**args, "seed": C.seed_record(seq), "wall_seconds": wall, "parent_cpu_seconds": cpu,
            "sampling_seconds": sampling,
            "us_per_iteration_per_chain": (sampling * parallel / iterations * 1e6) if sampling else None,
            "ess_bulk": d["ess_bulk"], "r_hat": d.get("r_hat"), "divergences": d.get("divergences"),
            "ess_per_second_wall": d["ess_bulk"] / wall,
            "ess_per_second_sampling": d["ess_bulk"] / sampling if sampling else None,
            "median": float(res.estimate), "q025": float(res.interval.lower), "q975": float(res.interval.upper)}


def case_samplers_datasets(args: dict[str, Any]) -> dict[str, Any]:
    """Both samplers of ``LCMCR`` at its default settings on the bundled 6-list datasets, several seeds each.

    R LCMCR mixes slowly there (ESS of N 85–86 of 5,000 draws in shared/data's reference runs); this shows whether
    the collapsed sampler's gain on Kosovo carries over where it matters most.
    """
    import warnings

    import estimate
    from estimate.estimators.lcmcr import LCMCR

    _warm()
    out: dict[str, Any] = {"datasets": {}}
    for name in args["datasets"]:
        data = estimate.datasets.load(name)
        per: dict[str, Any] = {}
        for sampler in ("gibbs", "collapsed"):
            runs = []
            for i in range(args["seeds"]):
                seed = C.seed_for("speed", "samplers-datasets", name, i)  # same seeds for both samplers
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # convergence warnings are the point of this case
                    fit = LCMCR(seed=seed, sampler=sampler).fit(data)
                d = fit.diagnostics
                runs.append({"seed": C.seed_record(seed), "ess_bulk": float(d["ess_bulk"]),
                             "r_hat": float(d["r_hat"]), "cpu_seconds": float(d["cpu_seconds"]),
                             "median": float(fit.estimate), "q025": float(fit.interval.lower),
                             "q975": float(fit.interval.upper)})
            per[sampler] = runs
        out["datasets"][name] = per
    return out


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}


def main() -> None:
    name, raw = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "{}"
    out = CASES[name](json.loads(raw))
    out["peak_rss_mb"] = C.peak_rss_mb()
    # worker processes (PyMC's chains with cores > 1): the largest child's ru_maxrss, which on Linux includes
    # this process's resident size when the worker was started, so an upper bound
    out["peak_rss_children_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    out["case"] = name
    print(json.dumps(C._clean(out), default=C._json_default))


if __name__ == "__main__":
    main()
