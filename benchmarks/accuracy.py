"""Accuracy of every estimator on every simulation scenario: relative bias, RMSE, 95% coverage, interval width.

For each scenario of :mod:`estimate.simulate` and each estimator, ``replicates`` populations are drawn with
per-replicate seeds ``SeedSequence(ROOT_SEED, spawn_key=(crc32("accuracy"), crc32(scenario), r))`` and each is
fitted once.  The truth N is known, so per cell (scenario × estimator):

    relative bias  = mean_r (N̂_r / N − 1)                 (with its Monte Carlo standard error sd / √R)
    relative RMSE  = sqrt(mean_r (N̂_r / N − 1)²)
    coverage       = mean_r 1{L_r ≤ N ≤ U_r}              (MCSE sqrt(c(1 − c) / R))
    mean width     = mean_r (U_r − L_r) / N

Estimators: ``chapman`` on the *first two lists only* (the two-list estimator the field started with);
``loglinear`` (AIC model search, profile-likelihood interval); ``mth-chao`` (Rcapture M_th Chao lower bound);
``dga`` (J ≤ 5 only); ``lcmcr`` (all replicates of a scenario in one batched ``LCMCR.fit_many`` call; sweep
settings per scenario in :data:`LCMCR_SETTINGS`).  For the stratified scenario every estimator sees the pooled
lists, and ``lcmcr-by-stratum`` also fits LCMCR per stratum and sums the posterior draws.

Classical fits run in a pool of worker processes (one per core).  Each cell starts with a pilot replicate: a
method that does not apply (``NotApplicable``) is recorded as such; a cell whose pilot fit exceeds the time limit,
or whose pilot time × replicates would exceed the per-cell budget, is recorded as skipped with the measured time
instead of blowing the run's budget.  Failures of single replicates are counted per cell, never fatal.
"""

from __future__ import annotations

import math
import os
import signal
import time
import warnings
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import _common as C

NAME = "accuracy"
CLASSICAL = ("chapman", "loglinear", "mth-chao", "dga")
BAYES = ("lcmcr",)
STRATUM_METHOD = "lcmcr-by-stratum"
LEVEL = 0.95

# LCMCR sweeps per scenario (K = 10, a_α = b_α = 0.25, the estimator's default sampler): full run, then quick run.
_LCMCR_FULL = {"K": 10, "chains": 2, "burn_in": 10_000, "draws": 1_000, "thinning": 10}
_LCMCR_QUICK = {"K": 10, "chains": 2, "burn_in": 3_000, "draws": 500, "thinning": 5}
LCMCR_SETTINGS: dict[str, dict[str, dict[str, int]]] = {
    "full": {
        "default": _LCMCR_FULL,
        # J = 12 with ~900 observed patterns costs ~140 µs per sweep; N mixes fast there (ESS > 1,000 per
        # 2,000 draws in a pilot), so fewer sweeps keep the cell inside the budget.
        "many-lists": {**_LCMCR_FULL, "burn_in": 3_000, "thinning": 4},
        # very sparse lists mix slowly (pilot: R-hat up to 1.11 with 20,000 sweeps per chain): run 3× longer.
        "sparse": {**_LCMCR_FULL, "burn_in": 20_000, "thinning": 40},
    },
    "quick": {
        "default": _LCMCR_QUICK,
        "many-lists": {**_LCMCR_QUICK, "burn_in": 1_000, "draws": 300, "thinning": 3},
        "sparse": {**_LCMCR_QUICK, "burn_in": 6_000, "thinning": 10},
    },
}

# replicates, pilot time limit (s) and per-cell wall budget (s) for the classical methods
PLAN = {
    "full": {"replicates": 200, "pilot_timeout": 120.0, "cell_budget": 1500.0},
    "quick": {"replicates": 10, "pilot_timeout": 5.0, "cell_budget": 8.0},
}
# a cell too slow for all replicates runs as many as its budget allows, but not fewer than this
MIN_REPLICATES = {"full": 50, "quick": 5}


# ---------------------------------------------------------------------------------------------------- data
def _data_seed(scenario: str, rep: int) -> np.random.SeedSequence:
    return C.seed_for("accuracy", scenario, rep)


def _method_seed(scenario: str, rep: int, method: str) -> np.random.SeedSequence:
    return C.seed_for("accuracy", scenario, rep, method)


def _population(scenario: str, rep: int):
    from estimate import simulate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return simulate.scenario(scenario, seed=_data_seed(scenario, rep))


def _pooled(sim):
    return sim.data.without_strata() if sim.data.strata_columns else sim.data


# ---------------------------------------------------------------------------------------------------- workers
class _Timeout(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _Timeout()


def _fit_classical(task: tuple[str, int, str, float | None]) -> dict[str, Any]:
    """Fit one classical method to one replicate (in a worker process); never raises."""
    from estimate.estimators.base import NotApplicable, get_estimator_class

    scenario, rep, method, timeout = task
    data = _pooled(_population(scenario, rep))
    start = time.perf_counter()
    out: dict[str, Any] = {"rep": rep}
    if timeout:
        signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if method == "chapman":
                data = data.select_lists(list(data.lists[:2]))
            result = get_estimator_class(method)(level=LEVEL).fit(data)
        out.update(status="ok", estimate=float(result.estimate), lower=float(result.interval.lower),
                   upper=float(result.interval.upper))
    except _Timeout:
        out.update(status="timeout", reason=f"did not finish within {timeout:.0f} s")
    except NotApplicable as exc:
        out.update(status="not applicable", reason=str(exc).splitlines()[0])
    except Exception as exc:  # a failing replicate is a finding, not a crash
        out.update(status="failed", reason=f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
    finally:
        if timeout:
            signal.setitimer(signal.ITIMER_REAL, 0)
    out["seconds"] = time.perf_counter() - start
    return out


def _run_classical(scenarios: list[str], plan: dict[str, Any], mode: str, log) -> dict[tuple[str, str], dict[str, Any]]:
    R = plan["replicates"]
    workers = os.cpu_count() or 1
    # one BLAS thread per worker: with a process per core, BLAS's own threads would oversubscribe the cores
    # (seen: J = 12 log-linear fits took ≈ 19 s each in a pool of 2 workers with default OpenBLAS threads,
    # against ≈ 5 s for one fit alone)
    blas_vars = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    saved = {v: os.environ.get(v) for v in blas_vars}
    os.environ.update({v: "1" for v in blas_vars})
    try:
        return _run_classical_pool(scenarios, plan, mode, log, R, workers)
    finally:
        for v, value in saved.items():
            if value is None:
                os.environ.pop(v, None)
            else:
                os.environ[v] = value


def _run_classical_pool(scenarios: list[str], plan: dict[str, Any], mode: str, log, R: int,
                        workers: int) -> dict[tuple[str, str], dict[str, Any]]:
    cells: dict[tuple[str, str], dict[str, Any]] = {}
    # every worker imports what the fits use before its first task: pilots then time the fit, not the import of
    # statsmodels, and a pilot's time limit (SIGALRM) cannot interrupt an import half-way — a half-imported arviz
    # left in a reused worker failed every later dga fit there ("module 'arviz' has no attribute 'data'")
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"), initializer=_warm,
                             initargs=(0,)) as pool:
        pilots = {(s, m): pool.submit(_fit_classical, (s, 0, m, plan["pilot_timeout"]))
                  for s in scenarios for m in CLASSICAL}
        rest = {}
        for key, future in pilots.items():
            pilot = future.result()
            cell: dict[str, Any] = {"replicates": [pilot], "pilot_seconds": pilot["seconds"]}
            cells[key] = cell
            projected = pilot["seconds"] * (R - 1) / workers
            if pilot["status"] == "not applicable":
                cell["cell_status"] = "not applicable"
                cell["reason"] = pilot["reason"]
            elif pilot["status"] == "timeout":
                cell["cell_status"] = "skipped"
                cell["reason"] = (f"first replicate did not finish within {plan['pilot_timeout']:.0f} s; {R} "
                                  f"replicates would exceed the {plan['cell_budget']:.0f} s budget per cell")
            else:
                # as many replicates as fit in the cell budget (at least MIN_REPLICATES), never more than R
                affordable = 1 + int(plan["cell_budget"] * workers / max(pilot["seconds"], 1e-3))
                n_reps = min(R, affordable)
                if n_reps < MIN_REPLICATES[mode]:
                    cell["cell_status"] = "skipped"
                    need = pilot["seconds"] * MIN_REPLICATES[mode] / workers / 60
                    cell["reason"] = (f"first replicate took {pilot['seconds']:.1f} s: even {MIN_REPLICATES[mode]} "
                                      f"replicates would need ≈ {need:.0f} "
                                      f"min on {workers} cores (budget {plan['cell_budget'] / 60:.0f} min per cell)")
                else:
                    cell["cell_status"] = "run"
                    if n_reps < R:
                        cell["reason"] = (f"only {n_reps} of {R} replicates: the first took {pilot['seconds']:.1f} s "
                                          f"and {R} would need ≈ {projected / 60:.0f} min on {workers} cores (budget "
                                          f"{plan['cell_budget'] / 60:.0f} min per cell)")
                    rest[key] = [pool.submit(_fit_classical, (key[0], r, key[1], None)) for r in range(1, n_reps)]
            log(f"accuracy: pilot {key[0]} × {key[1]}: {pilot['status']} in {pilot['seconds']:.1f} s "
                f"→ {cell['cell_status']}")
        for key, futures in rest.items():
            cells[key]["replicates"] += [f.result() for f in futures]
            log(f"accuracy: {key[0]} × {key[1]} done")
    return cells


def _warm(_: int) -> None:
    import arviz  # noqa: F401
    import statsmodels.api  # noqa: F401

    import estimate.estimators  # noqa: F401
    from estimate.estimators.base import get_estimator_class
    from estimate.inference_data import _arviz

    _arviz()  # the package's own lazy import of ArviZ (and its cache set-up)
    for method in CLASSICAL:
        get_estimator_class(method)  # each method's module, and those it imports


def _lcmcr_settings(mode: str, scenario: str) -> dict[str, int]:
    table = LCMCR_SETTINGS[mode]
    return dict(table.get(scenario, table["default"]))


def _run_lcmcr(scenario: str, mode: str, R: int) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """All replicates of one scenario in one batched kernel call (plus per-stratum fits for strata)."""
    from estimate.estimators.lcmcr import LCMCR
    from estimate.inference_data import convergence_problems, interval_from_draws

    settings = _lcmcr_settings(mode, scenario)
    sims = [_population(scenario, r) for r in range(R)]
    estimator = LCMCR(level=LEVEL, **settings)
    start = time.perf_counter()
    reps: list[dict[str, Any]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            outcomes = estimator.fit_many([_pooled(s) for s in sims],
                                          [_method_seed(scenario, r, "lcmcr") for r in range(R)])
        except Exception as exc:  # the whole batch failed: every replicate records it
            outcomes = [exc] * R
    wall = time.perf_counter() - start
    for r, res in enumerate(outcomes):
        if isinstance(res, Exception):
            reps.append({"rep": r, "status": "failed", "reason": f"{type(res).__name__}: {res}"})
            continue
        reps.append({"rep": r, "status": "ok", "estimate": float(res.estimate), "lower": float(res.interval.lower),
                     "upper": float(res.interval.upper), "r_hat": res.diagnostics.get("r_hat"),
                     "ess_bulk": res.diagnostics.get("ess_bulk"), "ess_tail": res.diagnostics.get("ess_tail"),
                     "converged": not convergence_problems(res.diagnostics), "seconds": wall / R})
    main = {"cell_status": "run", "replicates": reps, "settings": settings, "batch_wall_seconds": wall}
    if not sims[0].N_by_stratum:
        return main, None

    # per stratum: every stratum of every replicate in one batch, then posterior draws summed per replicate
    problems, owner = [], []
    for r, sim in enumerate(sims):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for label, part in sim.data.by("stratum").items():
                problems.append(part.without_strata())
                owner.append((r, str(label)))
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outcomes = estimator.fit_many(problems, [_method_seed(scenario, r, f"lcmcr/{lab}") for r, lab in owner])
    wall = time.perf_counter() - start
    totals: dict[int, Any] = {}
    failed: dict[int, str] = {}
    # the replicate's convergence is its strata's: the worst R-hat and ESS, and how many strata fail a check
    worst: dict[int, dict[str, float]] = {}
    for (r, _), res in zip(owner, outcomes, strict=True):
        if isinstance(res, Exception):
            failed[r] = f"{type(res).__name__}: {res}"
            continue
        draws = res.draws()
        totals[r] = draws if r not in totals else totals[r] + draws
        d = res.diagnostics
        w = worst.setdefault(r, {"r_hat": -math.inf, "ess_bulk": math.inf, "ess_tail": math.inf,
                                 "strata_unconverged": 0})
        w["r_hat"] = max(w["r_hat"], d.get("r_hat", math.nan))
        w["ess_bulk"] = min(w["ess_bulk"], d.get("ess_bulk", math.nan))
        w["ess_tail"] = min(w["ess_tail"], d.get("ess_tail", math.nan))
        w["strata_unconverged"] += bool(convergence_problems(d))
    reps = []
    for r in range(R):
        if r in failed or r not in totals:
            reps.append({"rep": r, "status": "failed", "reason": failed.get(r, "no strata")})
            continue
        interval = interval_from_draws(totals[r], level=LEVEL, kind="equal-tailed")
        reps.append({"rep": r, "status": "ok", "estimate": float(np.median(totals[r])),
                     "lower": float(interval.lower), "upper": float(interval.upper), **worst[r],
                     "converged": worst[r]["strata_unconverged"] == 0, "seconds": wall / R})
    by_stratum = {"cell_status": "run", "replicates": reps, "settings": settings, "batch_wall_seconds": wall}
    return main, by_stratum


# ---------------------------------------------------------------------------------------------------- summary
def summarise(cell: dict[str, Any], N: int) -> dict[str, Any]:
    """Bias, RMSE, coverage (with Monte Carlo standard errors) and width over the replicates that worked."""
    reps = cell["replicates"]
    statuses = Counter(r["status"] for r in reps)
    reasons = Counter(r.get("reason", "") for r in reps if r["status"] != "ok")
    ok = [r for r in reps if r["status"] == "ok"]
    out: dict[str, Any] = {"cell_status": cell["cell_status"], "reason": cell.get("reason"),
                           "n_total": len(reps), "n_ok": len(ok), "status_counts": dict(statuses),
                           "failure_reasons": dict(reasons.most_common(3))}
    if cell["cell_status"] != "run" or not ok:
        return out
    est = np.array([r["estimate"] for r in ok])
    lo = np.array([r["lower"] for r in ok])
    hi = np.array([r["upper"] for r in ok])
    rel = est / N - 1
    n = len(ok)
    finite = np.isfinite(lo) & np.isfinite(hi)
    cover = (lo <= N) & (N <= hi)
    c = float(cover.mean())
    out.update({
        "relative_bias": float(rel.mean()),
        "relative_bias_mcse": float(rel.std(ddof=1) / math.sqrt(n)) if n > 1 else None,
        "relative_median_bias": float(np.median(rel)),
        "relative_rmse": float(math.sqrt(np.mean(rel**2))),
        "rmse": float(math.sqrt(np.mean((est - N) ** 2))),
        "coverage": c,
        "coverage_mcse": float(math.sqrt(c * (1 - c) / n)),
        "coverage_wilson_95": wilson_interval(int(cover.sum()), n),
        "below": float((hi < N).mean()),  # interval entirely below the truth
        "above": float((lo > N).mean()),
        "mean_width": float(np.mean(hi[finite] - lo[finite])) if finite.any() else None,
        "mean_relative_width": float(np.mean((hi[finite] - lo[finite]) / N)) if finite.any() else None,
        "infinite_intervals": int((~finite).sum()),
        "seconds_per_fit": float(np.median([r.get("seconds", math.nan) for r in ok])),
    })
    rhat = [r["r_hat"] for r in ok if r.get("r_hat") is not None]
    if rhat:
        from estimate.inference_data import ESS_MIN, RHAT_MAX

        ess = np.array([r["ess_bulk"] for r in ok if r.get("ess_bulk") is not None])
        converged = np.array([bool(r.get("converged")) for r in ok])
        out.update({"r_hat_max": float(np.nanmax(rhat)), "ess_bulk_median": float(np.nanmedian(ess)),
                    "ess_bulk_min": float(np.nanmin(ess)),
                    # the package's own checks (R-hat ≤ RHAT_MAX, bulk and tail ESS ≥ ESS_MIN), as fit() warns
                    "convergence_thresholds": {"r_hat_max": RHAT_MAX, "ess_min": ESS_MIN},
                    "share_unconverged": float(1 - converged.mean()),
                    "coverage_converged": float(cover[converged].mean()) if converged.any() else None,
                    "n_converged": int(converged.sum())})
        if any("strata_unconverged" in r for r in ok):
            out["strata_unconverged_total"] = int(sum(r.get("strata_unconverged", 0) for r in ok))
    return out


def wilson_interval(successes: int, n: int, z: float = 1.959963984540054) -> list[float]:
    """Wilson's 95% score interval for a proportion (Wilson 1927): unlike ± the binomial standard error it is
    not zero-width when every or no replicate covers."""
    if n == 0:
        return [math.nan, math.nan]
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [max(0.0, centre - half), min(1.0, centre + half)]


def _compact(reps: list[dict[str, Any]]) -> dict[str, list]:
    """Per-replicate figures as columns (so the JSON stays readable and small)."""
    keys = ["rep", "status", "estimate", "lower", "upper", "seconds", "r_hat", "ess_bulk", "ess_tail", "converged",
            "strata_unconverged"]
    present = [k for k in keys if any(k in r for r in reps)]

    def val(r: dict[str, Any], k: str) -> Any:
        v = r.get(k)
        if isinstance(v, float):
            return round(v, 4 if k in ("seconds", "r_hat") else 1)
        return v

    return {k: [val(r, k) for r in reps] for k in present}


# ---------------------------------------------------------------------------------------------------- run
def run(quick: bool, log=print) -> dict[str, Any]:
    from estimate import simulate

    mode = "quick" if quick else "full"
    plan = PLAN[mode]
    R = plan["replicates"]
    scenarios = simulate.scenario_names()
    result = C.header(NAME, quick)
    started = time.perf_counter()
    cells = _run_classical(scenarios, plan, mode, log)
    log(f"accuracy: classical methods done in {time.perf_counter() - started:.0f} s")
    lcmcr_wall = {}
    for s in scenarios:
        t = time.perf_counter()
        main, by_stratum = _run_lcmcr(s, mode, R)
        cells[(s, "lcmcr")] = main
        if by_stratum is not None:
            cells[(s, STRATUM_METHOD)] = by_stratum
        lcmcr_wall[s] = time.perf_counter() - t
        log(f"accuracy: lcmcr {s} done in {lcmcr_wall[s]:.0f} s")

    scen_info = {}
    for s in scenarios:
        info = simulate.scenario_info(s)
        sim = _population(s, 0)
        p_missed = sim.params.get("p_missed")
        if p_missed is None and sim.N_by_stratum:
            per = sim.params["strata"]
            p_missed = sum(v["p_missed"] * v["N"] for v in per.values()) / sim.N
        scen_info[s] = {**info, "N": sim.N, "lists": sim.data.n_lists, "p_missed_design": p_missed,
                        "strata": sorted(sim.N_by_stratum) if sim.N_by_stratum else None,
                        "observed_replicate_0": sim.observed,
                        "lcmcr_settings": _lcmcr_settings(mode, s)}
    methods = [*CLASSICAL, *BAYES, STRATUM_METHOD]
    out_cells = []
    for (s, m), cell in cells.items():
        N = scen_info[s]["N"]
        entry = {"scenario": s, "method": m, **summarise(cell, N)}
        if "settings" in cell:
            entry["lcmcr_settings"] = cell["settings"]
            entry["batch_wall_seconds"] = cell["batch_wall_seconds"]
        entry["per_replicate"] = _compact(cell["replicates"])
        out_cells.append(entry)
    result.update({
        "replicates": R,
        "level": LEVEL,
        "methods": [m for m in methods if any(c["method"] == m for c in out_cells)],
        "method_notes": {
            "chapman": "Chapman's two-list estimator on the first two lists only (lists A and B)",
            "loglinear": "Poisson log-linear model chosen by AIC (all hierarchical two-way models for J ≤ 5, "
                         "stepwise for J > 5 with the 5 best additions by score test and drops by Wald "
                         "test fitted per step), profile-likelihood interval",
            "mth-chao": "Rcapture M_th Chao (lower bound), profile-likelihood interval",
            "dga": "Bayesian model averaging over decomposable graphs (δ = 2^-J), J ≤ 5 only",
            "lcmcr": "LCMCR (K = 10), equal-tailed 95% credible interval; batched with LCMCR.fit_many",
            STRATUM_METHOD: "LCMCR fitted to each stratum separately, posterior draws of N summed over strata",
        },
        "seed_scheme": "data of replicate r of scenario s: SeedSequence(root_seed, spawn_key=(crc32('accuracy'), "
                       "crc32(s), r)); a Bayesian method m adds crc32(m) to that spawn key",
        "plan": plan,
        "scenarios": scen_info,
        "cells": out_cells,
        "lcmcr_wall_seconds": lcmcr_wall,
        "wall_seconds": time.perf_counter() - started,
        "load_average_end": C.load_average(),
    })
    return result


# ---------------------------------------------------------------------------------------------------- report
def _cell(result: dict[str, Any], s: str, m: str) -> dict[str, Any] | None:
    for c in result["cells"]:
        if c["scenario"] == s and c["method"] == m:
            return c
    return None


def _short(c: dict[str, Any] | None) -> str | None:
    if c is None:
        return ""
    if c["cell_status"] == "not applicable":
        return "n/a"
    if c["cell_status"] == "skipped":
        return "skipped"
    if not c["n_ok"]:
        return "failed"
    return None


def _coverage_text(c: dict[str, Any]) -> str:
    """Coverage ± its binomial MCSE; at 0% or 100% (MCSE zero) Wilson's 95% interval instead."""
    cov = c["coverage"]
    wilson = c.get("coverage_wilson_95")
    if wilson is not None and cov in (0.0, 1.0):
        lo, hi = (C.fmt(w, 1, pct=True) for w in wilson)
        return f"{C.fmt(cov, 1, pct=True)} (Wilson 95%: {lo}–{hi})"
    return f"{C.fmt(cov, 1, pct=True)} ± {C.fmt(c['coverage_mcse'], 1, pct=True)}"


def markdown(result: dict[str, Any]) -> str:
    scen = list(result["scenarios"])
    methods = result["methods"]
    R = result["replicates"]
    lines = ["# Accuracy on simulated populations of known size", ""]
    if result["mode"] == "quick":
        lines += [f"**Quick run: only {R} replicates per cell and shorter LCMCR chains — the figures below are "
                  "rough (coverage MCSE ≈ 7 points); see `benchmarks/results/accuracy.md` for the full run.**", ""]
    lines += C.provenance_lines(result) + [""]
    lines += [f"{R} replicates per scenario × estimator; 95% intervals. Wall time {result['wall_seconds'] / 60:.1f} "
              "min. Each figure is computed by `benchmarks/accuracy.py` and rendered from `accuracy.json`.", ""]
    lines += ["Estimators:", ""] + [f"- **{m}**: {result['method_notes'][m]}" for m in methods] + [""]

    def matrix(title: str, render) -> list[str]:
        rows = []
        for s in scen:
            row = [f"{s} (N = {result['scenarios'][s]['N']:,})"]
            for m in methods:
                c = _cell(result, s, m)
                short = _short(c)
                if short is None:
                    short = render(c) + (f" (n = {c['n_ok']})" if c["n_ok"] < R else "")
                row.append(short)
            rows.append(row)
        return [f"## {title}", "", *C.table(["scenario", *methods], rows), ""]

    lines += matrix("Coverage of the 95% interval (± Monte Carlo standard error; at 0% or 100%, where that error is "
                    "zero, Wilson's 95% interval instead)", _coverage_text)
    lines += matrix("Relative bias of the point estimate, mean of N̂/N − 1 (± MCSE)",
                    lambda c: f"{C.fmt(c['relative_bias'], 1, pct=True, sign=True)} ± "
                              f"{C.fmt(c['relative_bias_mcse'], 1, pct=True)}")
    lines += matrix("Relative RMSE, sqrt(mean (N̂/N − 1)²)", lambda c: C.fmt(c["relative_rmse"], 1, pct=True))
    lines += matrix("Mean interval width relative to N (absolute in parentheses)",
                    lambda c: f"{C.fmt(c['mean_relative_width'], 0, pct=True)} ({C.fmt(c['mean_width'])})"
                    + (f", {c['infinite_intervals']} unbounded" if c.get("infinite_intervals") else ""))

    # LCMCR target
    lines += ["## LCMCR target: 95% interval covers the truth in 93–97% of ≥ 200 replicates", "",
              "Only scenarios generated by a latent-class model (the LCMCR model itself: independent lists are one "
              "class; pooled strata are a mixture of classes) are cases where the target applies; under list "
              "dependence (positive/negative-dependence) LCMCR is misspecified and shown for information.", ""]
    rows = []
    for s in scen:
        for m in ("lcmcr", STRATUM_METHOD):
            c = _cell(result, s, m)
            if c is None or c["cell_status"] != "run" or not c["n_ok"]:
                continue
            applies = "dependence" not in s
            met = 0.93 <= c["coverage"] <= 0.97 and c["n_ok"] >= 200
            verdict = ("met" if met else "not met") if applies else "(misspecified: not a target)"
            st = c["lcmcr_settings"]
            unconverged = C.fmt(c.get("share_unconverged"), 1, pct=True)
            if c.get("strata_unconverged_total") is not None:
                unconverged += f" ({c['strata_unconverged_total']:,} strata)"
            conv_cov = (f"{C.fmt(c['coverage_converged'], 1, pct=True)} (n = {c['n_converged']})"
                        if c.get("coverage_converged") is not None else "—")
            rows.append([s, m, _coverage_text(c), f"{c['n_ok']}/{c['n_total']}", verdict,
                         f"{st['chains']} × ({st['burn_in']:,} burn-in + {st['draws']:,} × {st['thinning']})",
                         C.fmt(c.get("r_hat_max"), 3), C.fmt(c.get("ess_bulk_median")), unconverged, conv_cov])
    lines += C.table(["scenario", "estimator", "coverage", "replicates ok", "target 93–97%",
                      "chains × (burn-in + draws × thinning)", "max R-hat", "median bulk ESS of N",
                      "replicates not converged", "coverage of the converged"], rows)
    lines += ["", "A replicate counts as not converged when its N fails a check the package warns on (R-hat > 1.01, "
              "bulk or tail ESS < 400 — `estimate.inference_data.RHAT_MAX`, `ESS_MIN`); for lcmcr-by-stratum when "
              "any of its strata does (R-hat and ESS shown are the worst stratum's; in parentheses the number of "
              "strata, over all replicates, that fail). These runs are short (2 chains × 1,000 draws), so ESS "
              "< 400 is the usual failure; the coverage is over all replicates, converged or not, as a user "
              "running these settings would get it.", ""]

    # details
    lines += ["## Every cell", ""]
    rows = []
    for c in result["cells"]:
        counts = ", ".join(f"{k} {v}" for k, v in c["status_counts"].items())
        note = c.get("reason") or "; ".join(f"{k} ({v}×)" for k, v in (c.get("failure_reasons") or {}).items())
        rows.append([c["scenario"], c["method"], c["cell_status"], counts,
                     C.fmt(c.get("relative_median_bias"), 1, pct=True, sign=True),
                     C.fmt(c.get("below"), 1, pct=True), C.fmt(c.get("above"), 1, pct=True),
                     C.fmt(c.get("seconds_per_fit"), 3), note or ""])
    lines += C.table(["scenario", "estimator", "cell", "replicates", "median rel. bias", "interval below N",
                      "interval above N", "s per fit", "note"], rows)
    lines += ["", "## Scenarios", ""]
    rows = [[s, f"{i['N']:,}", i["lists"], C.fmt(i["observed_replicate_0"]),
             C.fmt(i.get("p_missed_design"), 1, pct=True), i["description"], i["source"]]
            for s, i in result["scenarios"].items()]
    lines += C.table(["scenario", "N", "lists", "observed (replicate 0)", "P(on no list) by design", "design",
                      "source"], rows)
    lines += ["", "A large share of people on no list (e.g. a big class with capture probabilities ≈ 0.05) leaves "
              "the data with little information about them: every estimator then underestimates, and no interval "
              "can be trusted to cover — a property of the design, not of one estimator.", ""]
    lines += ["", f"Seeds: {result['seed_scheme']}.", ""]
    return "\n".join(lines)


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scen = list(result["scenarios"])
    methods = result["methods"]
    fig, axes = plt.subplots(1, 2, figsize=(13, 0.55 * len(scen) + 2.2), sharey=True)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    offsets = np.linspace(-0.3, 0.3, len(methods))
    for k, m in enumerate(methods):
        ys, cov, cov_se, bias, bias_se = [], [], [], [], []
        for i, s in enumerate(scen):
            c = _cell(result, s, m)
            if c is None or c["cell_status"] != "run" or not c["n_ok"]:
                continue
            ys.append(i + offsets[k])
            cov.append(c["coverage"])
            cov_se.append(c["coverage_mcse"])
            bias.append(c["relative_bias"])
            bias_se.append(c["relative_bias_mcse"] or 0.0)
        kw = {"fmt": "o", "color": colors[k % len(colors)], "label": m, "ms": 4, "capsize": 2}
        axes[0].errorbar(cov, ys, xerr=2 * np.asarray(cov_se), **kw)
        axes[1].errorbar(np.clip(bias, -1, 2), ys, xerr=2 * np.asarray(bias_se), **kw)
    axes[0].axvspan(0.93, 0.97, color="0.85", zorder=0)
    axes[0].axvline(0.95, color="0.4", lw=0.8)
    axes[0].set_xlabel("coverage of the 95% interval (± 2 MCSE; band 93–97%)")
    axes[0].set_xlim(-0.02, 1.02)
    axes[1].axvline(0, color="0.4", lw=0.8)
    axes[1].set_xlabel("relative bias N̂/N − 1 (± 2 MCSE; clipped to [−1, 2])")
    axes[0].set_yticks(range(len(scen)), scen)
    axes[0].invert_yaxis()
    axes[1].legend(loc="lower right", fontsize=8)
    title = f"Accuracy on simulated populations ({result['replicates']} replicates per cell, {result['mode']} run)"
    fig.suptitle(title)
    C.save_figure(fig, path)


if __name__ == "__main__":  # python -m benchmarks.accuracy [--quick] [--render]: the suite run of this one
    import sys

    from benchmarks.__main__ import main as _suite

    sys.exit(_suite(["--only", "accuracy", *sys.argv[1:]]))
