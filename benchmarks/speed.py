"""Speed of LCMCR (compiled Gibbs kernel) against R LCMCR and the same model in PyMC (NUTS), scaling and memory.

Measured, each in its own process (:mod:`benchmarks._speed_case`) so that peak memory is per case:

- µs per sweep of one chain on Kosovo (J = 4, 15 patterns, K = 10), for both samplers of ``LCMCR``: plain Gibbs
  (``sampler="gibbs"``, R's algorithm) and the default ``"collapsed"`` (plus collapsed moves on θ = (λ, V) and on
  the unseen counts, and label-switching moves); wall and thread-CPU time (CPU time is robust to other jobs on
  the machine);
- plain vs collapsed over replicate runs with the same seeds: ESS of N per CPU-second with standard errors;
- ESS of N per second on Kosovo with R LCMCR's settings (burn-in 10,000, 10,000 draws, thinning 100): one chain on
  one thread, and four chains on all cores; plus the estimator's default settings;
- a batch of 1,000 simulated 5-list strata × 4 chains on all cores against the same strata run one chain at a time;
- growth of the cost with the number of lists J (3, 5, 10, 15, 30) and with the number of strata (1, 10, 100,
  1,000, through the public ``LCMCR.fit_many``);
- the PyMC model (``pymc-lcmcr``) on Kosovo: one chain, four chains on all cores, and one 5-list stratum;
- peak resident memory of every case.

Targets (LCMCR issue) are reported next to the measurements with met / not met; R figures come from
``benchmarks/reference.json`` (copied from shared/data).  R's ESS figures are coda's ``effectiveSize`` (an AR
spectral estimate); this suite reports both that estimator (:func:`estimate.inference_data.ess_ar_spectral`, which
reproduces coda's 1,203 on R's own seed-1 chain) — the like-for-like comparison with R, used for the ESS target — and
ArviZ's rank-normalised bulk ESS, this package's diagnostic, which is far more conservative for slowly mixing chains
(595 on that same R chain, i.e. R LCMCR makes ≈ 41 bulk-ESS per second).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import _common as C

NAME = "speed"
TARGETS = {
    "us_per_sweep_one_chain": 5.0,  # ≤ µs per sweep, Kosovo, one chain
    "ess_per_second_all_chains": 840.0,  # ≥ ESS of N per second, all chains on both cores
    "batch_ratio": 1.5,  # batched 1,000 strata × 5 lists: cost per chain-sweep ≤ 1.5 × single-chain cost
}

R_DRAWS = Path(__file__).resolve().parents[1] / "tests" / "data" / "lcmcr_kosovo_draws_seed1.csv"


def r_bulk_ess_per_second(reference: dict[str, Any]) -> float | None:
    """ArviZ bulk ESS per second of R LCMCR's own seed-1 Kosovo chain (its draws are bundled for the tests)."""
    if not R_DRAWS.exists():
        return None
    import arviz as az
    import pandas as pd

    seed1 = reference["lcmcr_kosovo"]["per_seed"][0]
    draws = pd.read_csv(R_DRAWS)["N"].to_numpy(dtype=float)
    seconds = seed1["ess"] / seed1["ess_per_s"]  # the reference's own timing of that run
    return float(az.ess(draws[None, :], method="bulk")) / seconds


def _lcmcr_defaults() -> dict[str, int]:
    """burn-in, draws and thinning of ``LCMCR()`` as shipped (so the "default settings" row never goes stale)."""
    from estimate.estimators.lcmcr import LCMCR

    params = LCMCR().get_params()
    return {"burn_in": int(params["burn_in"]), "draws": int(params["draws"]), "thinning": int(params["thinning"]),
            "collapsed": params["sampler"] == "collapsed"}


def _sampler_moves() -> dict[str, dict[str, Any]]:
    """The kernel settings of each of the estimator's samplers (LCMCRSettings fields beyond the chain lengths)."""
    from dataclasses import asdict

    from estimate.estimators.lcmcr import SAMPLERS
    from estimate.samplers.lcmcr_kernel import LCMCRSettings

    lengths = ("K", "a_alpha", "b_alpha", "burn_in", "n_draws", "thinning", "keep_traces")
    return {("plain" if name == "gibbs" else name): {k: v for k, v in asdict(LCMCRSettings(**moves)).items()
                                                     if k not in lengths}
            for name, moves in SAMPLERS.items()}


PLAN: dict[str, dict[str, Any]] = {
    "full": {
        "kernel_sweeps": 300_000,
        "ess": {"burn_in": 10_000, "draws": 10_000, "thinning": 100},
        "ess_replicates": 12,
        "samplers_datasets": {"datasets": ["uk_modern_slavery_2013", "netherlands_trafficking"], "seeds": 4},
        "batch": {"strata": 1000, "sweeps": 2_000, "chains": 4},
        "lists": [3, 5, 10, 15, 30], "lists_sweeps": 20_000, "lists_N": 5_000,
        "strata": [1, 10, 100, 1000], "strata_fit": {"chains": 4, "burn_in": 1_000, "draws": 500, "thinning": 2},
        "pymc": [{"chains": 1, "cores": 1, "tune": 1000, "draws": 1000},
                 {"chains": 4, "cores": 2, "tune": 1000, "draws": 1000},
                 {"chains": 1, "cores": 1, "tune": 1000, "draws": 1000, "data": "stratum"}],
    },
    "quick": {
        "kernel_sweeps": 50_000,
        "ess": {"burn_in": 5_000, "draws": 2_000, "thinning": 50},
        "ess_replicates": 2,
        "samplers_datasets": {"datasets": ["uk_modern_slavery_2013"], "seeds": 1},
        "batch": {"strata": 100, "sweeps": 1_000, "chains": 4},
        "lists": [3, 5, 10, 15, 30], "lists_sweeps": 2_000, "lists_N": 2_000,
        "strata": [1, 10, 100], "strata_fit": {"chains": 4, "burn_in": 500, "draws": 250, "thinning": 2},
        "pymc": [{"chains": 1, "cores": 1, "tune": 300, "draws": 300}],
    },
}


#: the two samplers as the tables name them, plain first
SAMPLER_LABELS = {"plain": "plain Gibbs (R's algorithm)", "collapsed": "plus collapsed θ, n0 and label-switching moves"}


def _case(name: str, args: dict[str, Any], log) -> dict[str, Any]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "benchmarks._speed_case", name, json.dumps(args)],
                          capture_output=True, text=True, cwd=C.HERE.parent, env={**os.environ})
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["no output"]
        log(f"speed: {name} FAILED: {tail[0]}")
        return {"case": name, **args, "failed": tail[0], "process_seconds": seconds}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["process_seconds"] = seconds
    out["load_average_after"] = C.load_average()
    log(f"speed: {name} {json.dumps(args)} done in {seconds:.0f} s")
    return out


def run(quick: bool, log=print) -> dict[str, Any]:
    mode = "quick" if quick else "full"
    plan = PLAN[mode]
    threads = os.cpu_count() or 1
    result = C.header(NAME, quick)
    started = time.perf_counter()
    cases: dict[str, Any] = {"baseline": _case("baseline", {}, log)}
    cases["kernel"] = _case("kernel", {"sweeps": plan["kernel_sweeps"]}, log)
    ess = plan["ess"]
    default = _lcmcr_defaults()
    collapsed = default.pop("collapsed")  # the estimator's default sampler
    cases["ess_1_chain"] = _case("kosovo_ess", {"chains": 1, "threads": 1, **ess, "collapsed": collapsed}, log)
    cases["ess_4_chains"] = _case("kosovo_ess", {"chains": 4, "threads": threads, **ess, "collapsed": collapsed},
                                  log)
    cases["ess_default_4_chains"] = _case("kosovo_ess", {"chains": 4, "threads": threads, **default,
                                                         "collapsed": collapsed}, log)
    # the same chains as the ess_4_chains row (same seed) with every sweep kept: what thinning discards
    cases["ess_full_chain"] = {
        key: _case("kosovo_ess", {"chains": 4, "threads": threads, "burn_in": ess["burn_in"],
                                  "draws": ess["draws"] * ess["thinning"], "thinning": 1,
                                  "collapsed": key == "collapsed"}, log)
        for key in ("plain", "collapsed")}
    cases["collapsed_vs_plain"] = {
        key: _case("kosovo_ess_replicates", {"chains": 4, "threads": threads, **ess, "collapsed": key == "collapsed",
                                             "replicates": plan["ess_replicates"]}, log)
        for key in ("plain", "collapsed")}
    cases["batch"] = _case("batch_strata", {**plan["batch"], "threads": threads}, log)
    cases["growth_lists"] = _case("growth_lists", {"lists": plan["lists"], "sweeps": plan["lists_sweeps"],
                                                   "N": plan["lists_N"]}, log)
    cases["growth_strata"] = [_case("growth_strata", {"strata": n, **plan["strata_fit"]}, log)
                              for n in plan["strata"]]
    cases["pymc"] = [_case("pymc", args, log) for args in plan["pymc"]]
    cases["samplers_datasets"] = _case("samplers_datasets", plan["samplers_datasets"], log)
    result.update({
        "plan": plan,
        "threads": threads,
        "default_sampler": "collapsed" if collapsed else "plain",
        "sampler_moves": _sampler_moves(),  # what "plain" and "collapsed" ran: the kernel settings of each
        "targets": TARGETS,
        "reference": {k: v for k, v in C.reference().items() if k in ("lcmcr_kosovo", "pymc_kosovo_readme",
                                                                         "r_lcmcr_us_per_sweep_5_lists",
                                                                         "datasets_r")},
        "cases": cases,
        "wall_seconds": time.perf_counter() - started,
        "load_average_end": C.load_average(),
    })
    return result


# ---------------------------------------------------------------------------------------------------- report
def collapsed_comparison(cases: dict[str, Any]) -> dict[str, Any] | None:
    """Plain vs collapsed sampler over replicate runs: mean ESS, ESS per kernel CPU-second, their ratio ± s.e.

    ESS per CPU-second of a sampler is the mean over its runs of ESS / kernel CPU time; the standard error of
    the ratio of the two samplers comes from the run-to-run spread (delta method, independent means).
    "Measurable" means the ratio exceeds 1 by more than two standard errors.
    """
    cmp = cases.get("collapsed_vs_plain") or {}
    if not all(k in cmp and "runs" in cmp[k] for k in ("plain", "collapsed")):
        return None
    out: dict[str, Any] = {}
    for key in ("plain", "collapsed"):
        runs = cmp[key]["runs"]
        n = len(runs)
        ess = np.array([r["ess_bulk"] for r in runs])
        tail = np.array([r["ess_tail"] for r in runs])
        cpu = np.array([r["kernel_cpu_seconds"] for r in runs])
        rate = ess / cpu

        def se(x: np.ndarray, n: int = n) -> float:
            return float(x.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")

        coda = np.array([r.get("ess_coda", np.nan) for r in runs])
        out[key] = {"runs": n, "ess": float(ess.mean()), "ess_se": se(ess), "tail": float(tail.mean()),
                    "coda": float(coda.mean()), "coda_se": se(coda),
                    "tail_se": se(tail), "us_per_sweep": float(cpu.sum() / sum(r["sweeps"] for r in runs) * 1e6),
                    "ess_per_cpu_s": float(rate.mean()), "ess_per_cpu_s_se": se(rate),
                    "median": cmp[key]["median"], "q025": cmp[key]["q025"], "q975": cmp[key]["q975"]}
    p, c = out["plain"], out["collapsed"]
    ratio = c["ess_per_cpu_s"] / p["ess_per_cpu_s"]
    ratio_se = ratio * float(np.hypot(c["ess_per_cpu_s_se"] / c["ess_per_cpu_s"],
                                      p["ess_per_cpu_s_se"] / p["ess_per_cpu_s"]))
    out.update({"ratio": ratio, "ratio_se": ratio_se, "measurable": bool(ratio - 1 > 2 * ratio_se)})
    return out


def _verdict(ok: bool | None) -> str:
    return "—" if ok is None else ("**met**" if ok else "**not met**")


def _get(d: dict[str, Any] | None, *keys: str) -> Any:
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def _settings_text(cases: dict[str, Any]) -> str:
    d = cases.get("ess_default_4_chains") or {}
    if not all(k in d for k in ("burn_in", "draws", "thinning")):
        return "estimator defaults"
    return f"burn-in {d['burn_in']:,}, {d['draws']:,} × {d['thinning']}"


def _ess_settings_label(case: dict[str, Any]) -> str:
    """"R's settings" only for R LCMCR's reference run length (burn-in 10,000, 10,000 × 100), else the run's own."""
    run = tuple(case.get(k) for k in ("burn_in", "draws", "thinning"))
    if run == (10_000, 10_000, 100):
        return "R's settings"
    if None in run:
        return "settings not recorded"
    return f"burn-in {run[0]:,}, {run[1]:,} × {run[2]} (not R's settings)"


def checks(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target next to its measurement (used by the Markdown and by the README summary)."""
    c = result["cases"]
    t = result["targets"]
    default = result.get("default_sampler", "collapsed")  # results that do not record it ran the collapsed default
    r_seeds = result["reference"]["lcmcr_kosovo"]["per_seed"]
    r_us = float(np.mean([s["us_per_sweep"] for s in r_seeds]))
    r_ess = [float(s["ess_per_s"]) for s in r_seeds]
    other = "plain" if default == "collapsed" else "collapsed"
    us = _get(c, "kernel", default, "us_per_sweep_cpu")
    us_other = _get(c, "kernel", other, "us_per_sweep_cpu")
    ess4 = _get(c, "ess_4_chains", "ess_per_second_wall")
    settings = _ess_settings_label(c.get("ess_4_chains") or {})
    ess4_unit = f"ESS/s (wall, {settings})"
    ess4_note = ""
    runs = _get(c, "collapsed_vs_plain", default, "runs")
    ess_target_label = ""
    if runs and len(runs) > 1:
        # one run's ESS varies by tens of percent between seeds: the mean over the replicate runs is the figure
        rates = np.array([r["ess_bulk"] / r["wall_seconds"] for r in runs])
        bulk, bulk_se = float(rates.mean()), rates.std(ddof=1) / np.sqrt(len(rates))
        ess4_note = f"one run: {C.fmt(ess4, 1)} bulk ESS/s; "
        ess4 = bulk
        ess4_unit = f"± {bulk_se:.0f} ESS/s (wall, {settings}, ArviZ bulk ESS, mean of {len(runs)} runs)"
        if all("ess_coda" in r for r in runs):
            # R's 83–92 are coda's effectiveSize: compare like with like, and give the bulk-ESS view beside it
            coda = np.array([r["ess_coda"] / r["wall_seconds"] for r in runs])
            ess4 = float(coda.mean())
            ess4_unit = (f"± {coda.std(ddof=1) / np.sqrt(len(coda)):.0f} ESS/s (wall, {settings}, coda's ESS as "
                         f"in the reference, mean of {len(runs)} runs)")
            ess_target_label = ", coda's ESS"
            r_bulk = r_bulk_ess_per_second(result["reference"])
            target = t["ess_per_second_all_chains"]
            one = c.get("ess_4_chains") or {}
            ess4_note = (f"ArviZ bulk ESS: {bulk:.0f} ± {bulk_se:.0f} ESS/s" +
                         (f" against {r_bulk:.1f} for R's own seed-1 chain by the same measure ({bulk / r_bulk:.1f}×; "
                          f"4 chains on both cores against R's one chain on one core: {bulk / r_bulk / 2:.1f}× per "
                          "core)" if r_bulk else "") +
                         f"; the {len(coda)} runs range {coda.min():.0f}–{coda.max():.0f} (coda), "
                         f"{int((coda >= target).sum())} of them ≥ {target:g}" +
                         (f"; the single run of the table below: {one['ess_coda_per_second_wall']:.0f} (coda), "
                          f"{one['ess_per_second_wall']:.0f} (bulk)" if "ess_coda_per_second_wall" in one else "") +
                         "; the ± is the spread over seeds only: machine load moves wall-clock rates too (see "
                         "the load averages above); " + _full_chain_note(c, default, r_bulk))
    batch_ratio = None
    if c.get("batch") and "batch" in c["batch"]:
        batch_ratio = c["batch"]["batch"]["us_per_chain_sweep_cpu"] / c["batch"]["single"]["us_per_sweep_cpu"]
    n_strata = _get(c, "batch", "strata")
    rows = [
        {"target": f"µs per sweep, Kosovo, one chain ≤ {t['us_per_sweep_one_chain']:g} (R LCMCR: {r_us:.1f})",
         "measured": us, "unit": "µs (thread CPU, default sampler)",
         "met": None if us is None else us <= t["us_per_sweep_one_chain"],
         "note": (f"plain Gibbs sweep (R's algorithm): {C.fmt(us_other, 2)} µs" if other == "plain" else
                  f"with the collapsed θ, n0 and label-switching moves: {C.fmt(us_other, 2)} µs")},
        {"target": f"ESS of N per second, all chains on both cores ≥ {t['ess_per_second_all_chains']:g} "
                   f"(R LCMCR one chain: {min(r_ess):.0f}–{max(r_ess):.0f}{ess_target_label})", "measured": ess4,
         "unit": ess4_unit,
         "met": None if ess4 is None else ess4 >= t["ess_per_second_all_chains"],
         "note": ess4_note + f"default settings ({_settings_text(c)}), one run: "
                 f"{C.fmt(_get(c, 'ess_default_4_chains', 'ess_per_second_wall'))} ESS/s (bulk)"
                 + (f", {C.fmt(_get(c, 'ess_default_4_chains', 'ess_coda_per_second_wall'))} (coda)"
                    if _get(c, "ess_default_4_chains", "ess_coda_per_second_wall") is not None else "")},
        {"target": f"batched {n_strata:,} strata of 5 lists: cost per chain-sweep ≤ {t['batch_ratio']:g} × the "
                   "single-chain cost" if n_strata else "batched strata", "measured": batch_ratio,
         "unit": "ratio (process CPU per chain-sweep)",
         "met": None if batch_ratio is None else batch_ratio <= t["batch_ratio"],
         "note": "full target needs 1,000 strata" if n_strata and n_strata < 1000 else ""},
    ]
    return rows


def _full_chain_note(c: dict[str, Any], default: str, r_bulk: float | None) -> str:
    """The sampler's own rate: its chains with every sweep kept (the target is measured on thinned draws)."""
    full = _get(c, "ess_full_chain", default)
    if not full or "ess_per_second_wall" not in full:
        return ""
    rate = full["ess_per_second_wall"]
    return (f"the same chains with every sweep kept (no thinning): {rate:,.0f} bulk ESS/s"
            + " (R's reference chains were thinned too, and its unthinned rate was not measured, so there is no "
              "like-for-like ratio)" + " (see 'Thinning' below); ")


def markdown(result: dict[str, Any]) -> str:
    c = result["cases"]
    ref = result["reference"]
    lines = ["# Speed: LCMCR kernel, PyMC baseline, scaling and memory", ""]
    if result["mode"] == "quick":
        lines += ["**Quick run: shorter chains, 100 strata instead of 1,000, PyMC one short chain — indicative "
                  "only; see `benchmarks/results/speed.md` for the full run.**", ""]
    lines += C.provenance_lines(result) + [""]
    lines += ["The machine's two cores are shared with other jobs while this runs (see the load averages): wall "
              "times are noisy, so per-sweep costs are given in thread-CPU time as well. Figures are rendered from "
              "`speed.json` by `benchmarks/speed.py`.", "",
              "The R reference figures were measured on 2026-11-25 on this project's machine kind (2 cores), with no "
              "CPU model recorded; this project's own runs that day were on an AMD EPYC machine, about 1.45× faster "
              "per sweep than the Intel Xeon one of later runs (see the CPU above). Ratios to R across the two "
              "machines carry that uncertainty.", ""]

    lines += ["## Targets", ""]
    rows = [[r["target"], f"{C.fmt(r['measured'], 2)} {r['unit']}", _verdict(r["met"]), r["note"]]
            for r in checks(result)]
    lines += C.table(["target", "measured", "verdict", "note"], rows) + [""]

    # side by side
    lines += ["## LCMCR (compiled Gibbs) vs R LCMCR vs the same model in PyMC (NUTS), Kosovo, K = 10", ""]
    r_seeds = ref["lcmcr_kosovo"]["per_seed"]
    r_us = f"{min(s['us_per_sweep'] for s in r_seeds):.2f}–{max(s['us_per_sweep'] for s in r_seeds):.2f}"
    r_ess = f"{min(s['ess_per_s'] for s in r_seeds):.1f}–{max(s['ess_per_s'] for s in r_seeds):.1f}"
    rows = [["R LCMCR 0.4.14 (reference), 1 chain", "10,000 burn-in + 10,000 × 100", r_us + " µs/sweep",
             f"{min(s['ess'] for s in r_seeds):,}–{max(s['ess'] for s in r_seeds):,} (coda)", "—",
             r_ess + " (coda)", "—",
             f"{ref['lcmcr_kosovo']['median']:,} [{ref['lcmcr_kosovo']['q025']:,}, {ref['lcmcr_kosovo']['q975']:,}] "
             "(pooled)", "—"]]

    def lcmcr_row(label: str, key: str) -> list[str]:
        e = c.get(key) or {}
        if "failed" in e or not e:
            return [label, "", "failed: " + str(e.get("failed")), "", "", "", "", "", ""]
        return [label, f"{e['burn_in']:,} burn-in + {e['draws']:,} × {e['thinning']}",
                f"{e['us_per_sweep_cpu']:.2f} µs/sweep (CPU)",
                C.fmt(e["ess_bulk"]) + (f" (coda: {C.fmt(e['ess_coda'])})" if "ess_coda" in e else ""),
                C.fmt(e.get("r_hat"), 3),
                C.fmt(e["ess_per_second_wall"], 1) + (f" (coda: {C.fmt(e['ess_coda_per_second_wall'], 1)})"
                                                      if "ess_coda_per_second_wall" in e else ""),
                f"{e['wall_seconds']:.1f} s",
                f"{e['median']:,.0f} [{e['q025']:,.0f}, {e['q975']:,.0f}]", C.fmt(e.get("peak_rss_mb"))]

    rows.append(lcmcr_row("estimate LCMCR, 1 chain, 1 thread", "ess_1_chain"))
    rows.append(lcmcr_row(f"estimate LCMCR, 4 chains, {result['threads']} threads", "ess_4_chains"))
    if "ess_4_chains_plain" in c:  # results before the replicated comparison below
        rows.append(lcmcr_row(f"estimate LCMCR plain Gibbs (no collapsed moves), 4 chains, {result['threads']} "
                              "threads", "ess_4_chains_plain"))
    same_seed = (c.get("ess_default_4_chains") or {}).get("seed") == (c.get("ess_4_chains") or {}).get("seed")
    rows.append(lcmcr_row(f"estimate LCMCR default settings, 4 chains, {result['threads']} threads"
                          + (" (same seed as the row above: the start of those chains, not another run)"
                             if same_seed and "seed" in (c.get("ess_4_chains") or {}) else ""),
                          "ess_default_4_chains"))
    pr = ref["pymc_kosovo_readme"]
    rows.append(["PyMC 5.28.5 hand-written (reference, README), 2 chains", "1,000 tune + 1,000", "—",
                 f"{pr['ess_bulk']:,}", f"{pr['r_hat']}",
                 f"{pr['ess_per_second_wall']} ({pr['ess_per_second_sampling']} sampling only)",
                 f"{pr['wall_seconds']} s", f"{pr['median']:,} [{pr['q025']:,}, {pr['q975']:,}]",
                 "—"])
    for e in c["pymc"]:
        label = (f"estimate pymc-lcmcr (PyMC NUTS), {e['chains']} chain{'s' if e['chains'] > 1 else ''}, "
                 f"{e['cores']} core{'s' if e['cores'] > 1 else ''}")
        if e.get("data") == "stratum":
            continue
        if "failed" in e:
            rows.append([label, "", "failed: " + e["failed"], "", "", "", "", "", ""])
            continue
        rows.append([label, f"{e['tune']:,} tune + {e['draws']:,}",
                     f"{C.fmt(e['us_per_iteration_per_chain'])} µs/NUTS iteration", C.fmt(e["ess_bulk"]),
                     C.fmt(e.get("r_hat"), 3),
                     f"{C.fmt(e['ess_per_second_wall'], 1)} ({C.fmt(e['ess_per_second_sampling'], 1)} sampling only)",
                     f"{e['wall_seconds']:.1f} s", f"{e['median']:,.0f} [{e['q025']:,.0f}, {e['q975']:,.0f}]",
                     f"{C.fmt(e.get('peak_rss_mb'))} (+ workers {C.fmt(e.get('peak_rss_children_mb'))})"])
    lines += C.table(["sampler", "sweeps / iterations per chain", "cost", "ESS of N", "R-hat", "ESS/s (wall)",
                      "wall", "median [95% interval]", "peak RSS (MB)"], rows)
    lines += ["", "A NUTS iteration and a Gibbs sweep are different units: compare ESS per second. PyMC's wall time "
              "includes compiling the model. ESS of N is ArviZ's bulk ESS unless marked coda (R's reference figures "
              "are coda's effectiveSize, which reads higher on these chains: see the Targets note).", ""]

    k = c.get("kernel") or {}
    if "plain" in k:
        lines += ["## Kernel cost per sweep, Kosovo, one chain", ""]
        lines += C.table(["sampler", "µs/sweep (thread CPU)", "µs/sweep (wall)", "R LCMCR"], [
            [SAMPLER_LABELS["plain"] + (" (default)" if result.get("default_sampler") == "plain" else ""),
             f"{k['plain']['us_per_sweep_cpu']:.2f}",
             f"{k['plain']['us_per_sweep_wall']:.2f}", r_us],
            [SAMPLER_LABELS["collapsed"]
             + (" (default)" if result.get("default_sampler", "collapsed") == "collapsed" else ""),
             f"{k['collapsed']['us_per_sweep_cpu']:.2f}",
             f"{k['collapsed']['us_per_sweep_wall']:.2f}", "—"]])
        lines += ["", f"{k['sweeps']:,} sweeps each.", ""]

    cc = collapsed_comparison(c)
    if cc:
        settings = c["collapsed_vs_plain"]["collapsed"]
        lines += ["## Collapsed sampler (collapsed θ, n0 and label-switching moves) vs plain Gibbs (same seeds, "
                  "replicate runs)", ""]
        lines += [f"{cc['plain']['runs']} runs per sampler, each {settings['chains']} chains × "
                  f"({settings['burn_in']:,} burn-in + {settings['draws']:,} × {settings['thinning']}) on Kosovo; "
                  "mean ± standard error over runs (one run's ESS varies by tens of percent between seeds).", ""]
        rows = []
        for key, label in SAMPLER_LABELS.items():
            e = cc[key]
            rows.append([label, f"{e['ess']:,.0f} ± {e['ess_se']:,.0f}", f"{e['tail']:,.0f} ± {e['tail_se']:,.0f}",
                         f"{e['coda']:,.0f} ± {e['coda_se']:,.0f}" if np.isfinite(e.get("coda", np.nan)) else "—",
                         f"{e['us_per_sweep']:.2f}", f"{e['ess_per_cpu_s']:.0f} ± {e['ess_per_cpu_s_se']:.0f}",
                         f"{e['median']:,.0f} [{e['q025']:,.0f}, {e['q975']:,.0f}]"])
        lines += C.table(["sampler", "bulk ESS of N per run", "tail ESS of N per run", "coda's ESS of N per run",
                          "µs/sweep (CPU)",
                          "bulk ESS per CPU-second", "pooled median [95% interval]"], rows)
        verdict = ("a measurable gain (more than two standard errors above 1)" if cc["measurable"] else
                   "not a measurable gain (within two standard errors of 1)")
        consequence = (" The estimator's default is the collapsed sampler." if cc["measurable"] else
                       " Not enough to justify the collapsed sampler as the default.")
        lines += ["", f"Ratio of ESS per CPU-second, collapsed / plain: {cc['ratio']:.2f} ± {cc['ratio_se']:.2f}: "
                  f"{verdict}.{consequence}", ""]

    full = c.get("ess_full_chain") or {}
    if full and all("ess_bulk" in full.get(k, {}) for k in ("plain", "collapsed")):
        lines += ["## Thinning: the same chains with every sweep kept", ""]
        one = full["collapsed"]
        thinned = c.get("ess_4_chains") or {}
        every = thinned.get("thinning", 1)
        lines += [f"{one['chains']} chains × ({one['burn_in']:,} burn-in + {one['draws']:,} sweeps), every sweep's N "
                  "kept, on both cores; the seeds of the 4-chain rows above, so the collapsed chains are those of "
                  f"that row, whose draws keep one sweep in {every}. R's reference figures, and the ESS target, are "
                  "measured on draws thinned so; the rate of a sampler itself is that of its whole chain. coda's "
                  f"AR estimate is left out here: on {one['draws']:,} strongly correlated draws per chain its AR "
                  "model (of order ≤ 10 log₁₀ n) misses most of the autocorrelation.", ""]
        rows = []
        for key, label in SAMPLER_LABELS.items():
            e = full[key]
            rows.append([label, "every sweep", f"{e['ess_bulk']:,.0f}", f"{e['ess_tail']:,.0f}",
                         f"{e['ess_per_second_wall']:,.0f}", f"{e['wall_seconds']:.1f} s",
                         C.fmt(e.get("r_hat"), 3)])
            if key == "collapsed" and thinned.get("collapsed") and every > 1:
                rows.append([label, f"1 in {every} (the 4-chain row above)", f"{thinned['ess_bulk']:,.0f}",
                             f"{thinned['ess_tail']:,.0f}", f"{thinned['ess_per_second_wall']:,.0f}",
                             f"{thinned['wall_seconds']:.1f} s", C.fmt(thinned.get("r_hat"), 3)])
        lines += C.table(["sampler", "sweeps kept", "bulk ESS of N", "tail ESS of N", "bulk ESS/s (wall)", "wall",
                          "R-hat"], rows)
        lines += [""]

    sd = (c.get("samplers_datasets") or {}).get("datasets") or {}
    if sd:
        lines += ["## Both samplers on the 6-list datasets (LCMCR defaults, same seeds)", ""]
        datasets_r = result["reference"].get("datasets_r") or C.reference()["datasets_r"]  # older results: the file
        # the run's settings are in its key, e.g. lcmcr_k10_burn10000_5000x50_seed11
        r_runs = [(name, re.search(r"burn(\d+)_(\d+)x(\d+)", key), r_run) for name in sd
                  for key, r_run in datasets_r.get(name, {}).items() if key.startswith("lcmcr")]
        r_text = "; ".join(f"{name}: {r_run['ess']:,.0f}" + (f" (burn-in {int(m[1]):,}, {int(m[2]):,} draws × {m[3]})"
                                                            if m else "") for name, m, r_run in r_runs)
        lines += [f"`LCMCR(sampler=...)` at its default settings (4 chains, {_settings_text(c)}), one row per seed. "
                  f"R LCMCR's reference runs reached an ESS of N of {r_text} (shared/data).", ""]
        rows = []
        for name, per in sd.items():
            for sampler in ("gibbs", "collapsed"):
                for i, r in enumerate(per.get(sampler, [])):
                    rows.append([name, sampler, str(i + 1), f"{r['ess_bulk']:,.0f}", f"{r['r_hat']:.3f}",
                                 f"{r['median']:,.0f} [{r['q025']:,.0f}, {r['q975']:,.0f}]",
                                 f"{r['cpu_seconds']:.1f} s"])
        lines += C.table(["dataset", "sampler", "seed", "bulk ESS of N", "R-hat", "median [95% interval]",
                          "kernel CPU"], rows)
        lines += [""]

    b = c.get("batch") or {}
    if "batch" in b:
        lines += [f"## Batched strata: {b['strata']:,} simulated 5-list strata (mean {b['patterns_mean']:.0f} observed "
                  f"patterns), {b['sweeps']:,} sweeps per chain", "",
                  "Both runs use the plain Gibbs sweep (R's algorithm), so the ratio compares like with like; "
                  "fit_strata's default sampler adds the collapsed moves"
                  + (f", which cost {k['collapsed']['us_per_sweep_cpu'] / k['plain']['us_per_sweep_cpu']:.1f}× as "
                     "much per sweep on Kosovo (above)" if "plain" in k and "collapsed" in k else "") + ".", ""]
        lines += C.table(["run", "chain-sweeps", "wall", "process CPU", "µs per chain-sweep (CPU)",
                          "µs per chain-sweep (wall × threads)"], [
            ["one chain per stratum, one after another, 1 thread", f"{b['single']['chain_sweeps']:,}",
             f"{b['single']['wall_seconds']:.1f} s", f"{b['single']['process_cpu_seconds']:.1f} s",
             f"{b['single']['us_per_sweep_cpu']:.2f}", f"{b['single']['us_per_sweep_wall']:.2f}"],
            [f"batch: all strata × {b['chains']} chains, {b['threads']} threads", f"{b['batch']['chain_sweeps']:,}",
             f"{b['batch']['wall_seconds']:.1f} s", f"{b['batch']['process_cpu_seconds']:.1f} s",
             f"{b['batch']['us_per_chain_sweep_cpu']:.2f}", f"{b['batch']['us_per_chain_sweep_wall_x_threads']:.2f}"],
        ])
        r5 = ref["r_lcmcr_us_per_sweep_5_lists"]["value"]
        lines += ["", f"R LCMCR, one stratum after another at ≈ {r5:g} µs per sweep (README), would need "
                  f"≈ {r5 * b['batch']['chain_sweeps'] / 1e6:,.0f} s for the batch's chain-sweeps; the batch took "
                  f"{b['batch']['wall_seconds']:.1f} s wall. Peak RSS {C.fmt(b.get('peak_rss_mb'))} MB.", ""]

    g = c.get("growth_lists") or {}
    if "rows" in g:
        lines += [f"## Cost against the number of lists J (one chain, plain Gibbs sweep, N = {g['N']:,}, two latent "
                  f"classes)", ""]
        base = g["rows"][0]["us_per_sweep_cpu"]
        lines += C.table(["J", "observed patterns P", "µs/sweep (CPU)", "relative to J = 3", "µs per pattern"], [
            [r["lists"], f"{r['patterns']:,}", f"{r['us_per_sweep_cpu']:.2f}", f"{r['us_per_sweep_cpu'] / base:.1f}×",
             f"{r['us_per_sweep_cpu'] / r['patterns']:.3f}"] for r in g["rows"]])
        lines += ["", "Cost is O(P·K·J) in the observed patterns P (never 2^J).", ""]

    lines += ["## Cost against the number of strata (LCMCR.fit_many: kernel plus Result/InferenceData per stratum)",
              ""]
    rows = []
    for e in c["growth_strata"]:
        if "failed" in e:
            rows.append([e["strata"], "failed: " + e["failed"], "", "", "", "", ""])
            continue
        rows.append([f"{e['strata']:,}", f"{e['chains']} × ({e['burn_in']:,} + {e['draws']:,} × {e['thinning']})",
                     f"{e['wall_seconds']:.1f} s", f"{e['wall_per_stratum_ms']:,.0f} ms",
                     f"{e['chain_sweeps_per_second']:,.0f}", C.fmt(e["overhead_cpu_share"], 0, pct=True, sign=True),
                     C.fmt(e["peak_rss_mb"])])
    lines += C.table(["strata", "chains × sweeps", "wall", "wall per stratum", "chain-sweeps/s",
                      "CPU outside the kernel", "peak RSS (MB)"], rows)
    lines += [""]
    st = [e for e in c["pymc"] if e.get("data") == "stratum" and "failed" not in e]
    if st and c.get("batch") and "batch" in c["batch"]:
        e = st[0]
        lines += [f"PyMC on one 5-list stratum ({e['chains']} chain, {e['tune']:,} tune + {e['draws']:,} draws): "
                  f"{e['wall_seconds']:.1f} s wall (ESS of N {C.fmt(e['ess_bulk'])}); PyMC has no batched "
                  f"multi-dataset sampler, so 1,000 strata one after another would take ≈ "
                  f"{e['wall_seconds'] * 1000 / 3600:.1f} h (extrapolated from this one stratum, not run).", ""]

    lines += ["## Peak memory (high-water resident set of each case's own process, Linux VmHWM)", ""]
    rows = [["interpreter + estimate imported + kernel loaded", C.fmt(_get(c, "baseline", "peak_rss_mb"))]]
    for key in ("kernel", "ess_1_chain", "ess_4_chains", "batch", "growth_lists"):
        if c.get(key) and "peak_rss_mb" in c[key]:
            rows.append([key, C.fmt(c[key]["peak_rss_mb"])])
    rows += [[f"fit_many, {e['strata']:,} strata", C.fmt(e.get("peak_rss_mb"))] for e in c["growth_strata"]]
    rows += [[f"pymc-lcmcr {e['chains']} chain(s), {e.get('data', 'kosovo')}",
              f"{C.fmt(e.get('peak_rss_mb'))} (largest worker {C.fmt(e.get('peak_rss_children_mb'))})"]
             for e in c["pymc"]]
    lines += C.table(["case", "peak RSS (MB)"], rows)
    lines += ["", "A PyMC worker's figure is its ru_maxrss, which on Linux includes the resident size of the process "
              "that started it: an upper bound.", "", f"Total wall time {result['wall_seconds'] / 60:.1f} min.", ""]
    return "\n".join(lines)


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    c = result["cases"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    # ESS/s side by side
    labels, values = [], []
    r_seeds = result["reference"]["lcmcr_kosovo"]["per_seed"]
    labels.append("R LCMCR\n1 chain")
    values.append(float(np.mean([s["ess_per_s"] for s in r_seeds])))
    for key, label in (("ess_1_chain", "estimate\n1 chain"), ("ess_4_chains", "estimate\n4 chains"),
                       ("ess_default_4_chains", "estimate\ndefault")):
        if c.get(key) and "ess_per_second_wall" in c[key]:
            labels.append(label)
            values.append(c[key]["ess_per_second_wall"])
    for e in c["pymc"]:
        if e.get("data") != "stratum" and "ess_per_second_wall" in e:
            labels.append(f"PyMC\n{e['chains']} chain{'s' if e['chains'] > 1 else ''}")
            values.append(e["ess_per_second_wall"])
    ax = axes[0]
    ax.bar(range(len(values)), values, color=["0.6"] + ["C0"] * (len(values) - 1))
    ax.axhline(result["targets"]["ess_per_second_all_chains"], color="C3", ls="--", lw=1, label="target (all chains)")
    ax.set_xticks(range(len(values)), labels, fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("ESS of N per second (wall)")
    ax.set_title("Kosovo, K = 10")
    ax.legend(fontsize=8)
    g = c.get("growth_lists") or {}
    if "rows" in g:
        ax = axes[1]
        J = [r["lists"] for r in g["rows"]]
        ax.plot(J, [r["us_per_sweep_cpu"] for r in g["rows"]], "o-", label="µs per sweep")
        ax.plot(J, [r["patterns"] for r in g["rows"]], "s--", color="0.5", label="observed patterns P")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(J, [str(j) for j in J])
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xlabel("number of lists J")
        ax.set_title("One chain, growth with J")
        ax.legend(fontsize=8)
    ax = axes[2]
    ok = [e for e in c["growth_strata"] if "wall_seconds" in e]
    if ok:
        n = [e["strata"] for e in ok]
        ax.plot(n, [e["wall_seconds"] for e in ok], "o-", label="wall seconds")
        ax.plot(n, [e["peak_rss_mb"] for e in ok], "s--", color="0.5", label="peak RSS (MB)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("number of 5-list strata (fit_many, 4 chains)")
        ax.set_title("Growth with strata")
        ax.legend(fontsize=8)
    fig.suptitle(f"LCMCR speed ({result['mode']} run, {result['date'][:10]}, {result['threads']} cores, "
                 f"load at start {', '.join(str(x) for x in result['machine']['load_average_1_5_15min'])})")
    fig.tight_layout()
    C.save_figure(fig, path)



if __name__ == "__main__":  # python -m benchmarks.speed [--quick] [--render]: the suite run of this one
    from benchmarks.__main__ import main as _suite

    sys.exit(_suite(["--only", "speed", *sys.argv[1:]]))
