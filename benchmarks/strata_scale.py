"""Stratified LCMCR at scale: 1,000 simulated strata through the CLI (`estimate fit --strata ...`).

Measures wall time, chain-sweeps per second, peak memory (the CLI process's own high-water mark), per-stratum 95%
coverage and whether the pooled total's interval covers the simulated truth.  Compares the wall time with
(a) the single-chain kernel µs/sweep × total sweeps / cores (per-stratum overhead) and (b) the R LCMCR figure
of ≈ 15 µs per sweep for 5 lists (shared/data/README.md) run over the same strata one after another.  The main
run (the coverage target's design) has strata of 4–6 lists; a second run has 1,000 strata of 5 lists, the wall-time
target's design.  The single-chain cost is measured on one representative 5-list stratum and, as the mean over a
seeded sample of each run's own strata, on the strata actually fitted.

    python -m benchmarks --only strata [--quick]

Part of the suite (``python -m benchmarks``): writes benchmarks/results/strata_scale.json and .md (the Markdown is
generated from the JSON).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks import _common as C
from estimate.inference_data import ESS_MIN, RHAT_MAX

NAME = "strata_scale"
# R LCMCR's own algorithm (plain Gibbs), so that cost per sweep compares like with like; the estimator's default
# "collapsed" sampler costs ≈ 2.4× as much per sweep and gives ≈ 2.6× the ESS of N per CPU-second (speed.md)
SAMPLER = "gibbs"
# shared/data/README.md: R LCMCR 0.4.14, ≈ 15 µs per sweep for 5 lists (copied into reference.json)
R_US_PER_SWEEP_5_LISTS = float(C.reference()["r_lcmcr_us_per_sweep_5_lists"]["value"])


def r_measured_costs() -> list[tuple[str, int, int, float]]:
    """(dataset, lists, observed patterns, µs per sweep) of R LCMCR's reference runs on the bundled datasets
    (reference.json), fewest lists first."""
    from estimate import datasets

    out = []
    for name, runs in C.reference()["datasets_r"].items():
        for key, run in (runs.items() if isinstance(runs, dict) else ()):
            if key.startswith("lcmcr") and isinstance(run, dict) and "us_per_sweep" in run:
                data = datasets.load(name)
                out.append((name, data.n_lists, int(len(data.counts)), float(run["us_per_sweep"])))
    return sorted(out, key=lambda row: (row[1], row[3]))


DESIGNS = {
    "independent": "lists independent within each stratum, capture probability 0.1–0.4 per list and stratum",
    "two-class": "two latent classes per stratum (30–70% easy: p 0.4–0.6 per list; hard: p 0.25–0.4)",
}


def simulate(n_strata: int, seed: int, design: str = "independent",
             lists: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Strata of 4–6 active lists (of 6 columns), sizes 150–1,500, seeded; ``lists`` (4–6) gives every stratum
    that many active lists instead (the draw of the number is made and discarded, so the rest of the design is
    the same for the same seed).

    ``independent``: lists independent within a stratum, capture probabilities drawn per list and stratum from
    U(0.1, 0.4) — catchability differs between strata (the reason to stratify) but not within one.  This is the
    acceptance design of the strata issue.
    ``two-class``: within each stratum two latent classes of catchability (easy 0.4–0.6, hard 0.25–0.4 per list).
    LCMCR is correctly specified, but the classes are close and the hard one is seldom seen twice, so the
    Dirichlet-process prior (α ~ Gamma(0.25, 0.25)) tends to merge them: in a 120-stratum trial the posterior mean
    of the unseen count was 13% low and coverage 0.86.  Reported as a sensitivity run: a small per-stratum bias
    that is invisible in one stratum dominates a total over hundreds of strata, whose interval is narrow.
    """
    if design not in DESIGNS:
        raise ValueError(f"unknown design {design!r}; use one of {sorted(DESIGNS)}")
    if lists is not None and not 4 <= lists <= 6:
        raise ValueError(f"lists must be 4, 5 or 6, got {lists!r}")
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    frames, truth = [], []
    n_regions = 40
    for s in range(n_strata):
        region, period = f"R{s % n_regions:02d}", f"P{s // n_regions:02d}"
        size = int(rng.integers(150, 1500))
        active = int(rng.integers(4, 7))
        if lists is not None:
            active = lists
        if design == "independent":
            p = np.broadcast_to(rng.uniform(0.1, 0.4, 6), (size, 6)).copy()
        else:
            easy = rng.random(size) < rng.uniform(0.3, 0.7)
            p = np.where(easy[:, None], rng.uniform(0.4, 0.6, 6), rng.uniform(0.25, 0.4, 6))
        p[:, active:] = 0.0
        x = (rng.random((size, 6)) < p).astype(np.uint8)
        seen = x.sum(1) > 0
        frame = pd.DataFrame(x[seen], columns=[f"L{j}" for j in range(6)])
        frame["region"], frame["period"] = region, period
        frames.append(frame)
        truth.append({"region": region, "period": period, "N": size, "lists": active})
    return pd.concat(frames, ignore_index=True), pd.DataFrame(truth)


def observed_patterns(records: pd.DataFrame, truth: pd.DataFrame) -> dict[str, float]:
    """Mean number of distinct observed capture patterns per stratum (what R LCMCR's cost per sweep grows with),
    overall and for the 5-list strata (inactive lists are all zero and add no pattern)."""
    lists = [c for c in records.columns if c.startswith("L")]
    counts = records.groupby(["region", "period"])[lists].apply(lambda g: len(g.drop_duplicates()))
    active = truth.set_index(["region", "period"])["lists"]
    return {"mean": float(counts.mean()), "mean_5_lists": float(counts[active[counts.index] == 5].mean())}


def _one_chain_us_per_sweep(data, sweeps: int, seed: int) -> float:
    """Thread-CPU µs per sweep of one chain of ``sweeps`` sweeps (half burn-in) on one thread."""
    from estimate.estimators.lcmcr import LCMCR

    fit = LCMCR(burn_in=sweeps // 2, draws=sweeps // 2, thinning=1, chains=1, seed=seed, n_threads=1,
                sampler=SAMPLER).fit(data)
    return float(fit.diagnostics["us_per_sweep"])


def _ideal_seconds(us_per_sweep: float, sweeps: int, cores: int) -> float:
    """Wall time with no overhead: µs per sweep × sweeps / cores, in seconds."""
    return us_per_sweep * sweeps / cores / 1e6


def single_chain_us_per_sweep(sweeps: int, repeats: int = 5) -> list[float]:
    """µs per sweep of one chain on one representative 5-list stratum (compiled kernel, warm), thread CPU, one
    figure per repeat (seeds 1..repeats): the benchmark uses their median.  (A single run of 20,000 sweeps, 60 ms,
    read 3.51 and 3.11 µs in two runs of the benchmark on the same machine: too noisy for a ratio target.)"""
    import warnings

    from estimate import CaptureData
    from estimate.estimators.lcmcr import LCMCR

    frame, _ = simulate(1, 99)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the stratum's unused sixth list is dropped (a DataWarning)
        data = CaptureData.from_records(frame.drop(columns=["region", "period"]))
        LCMCR(burn_in=100, draws=10, thinning=1, chains=1, seed=1, sampler=SAMPLER).fit(data)
        return [_one_chain_us_per_sweep(data, sweeps, seed) for seed in range(1, repeats + 1)]


def own_strata_us_per_sweep(records: pd.DataFrame, n_sample: int, sweeps: int,
                            seed: np.random.SeedSequence) -> list[dict]:
    """µs per sweep of one chain (thread CPU, one thread) on each of ``n_sample`` strata of the run itself, drawn
    without replacement with ``seed``: the single-chain cost of the strata the run actually fits.  The strata
    differ in lists and observed patterns, so one stratum's cost need not be their average's; the mean over the
    sample is the single-chain figure of the run (each stratum runs the same sweeps).  A stratum that cannot be
    fitted is left out (none in the benchmark's designs)."""
    import warnings

    from estimate import CaptureData
    from estimate.errors import DataError

    keys = records[["region", "period"]].drop_duplicates().sort_values(["region", "period"])
    rng = np.random.default_rng(seed)
    chosen = keys.iloc[np.sort(rng.choice(len(keys), size=min(n_sample, len(keys)), replace=False))]
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a stratum's unused lists are dropped (a DataWarning)
        for i, (region, period) in enumerate(chosen.itertuples(index=False)):
            part = records[(records["region"] == region) & (records["period"] == period)]
            try:
                data = CaptureData.from_records(part.drop(columns=["region", "period"]))
                us = _one_chain_us_per_sweep(data, sweeps, i + 1)
            except DataError:
                continue
            out.append({"region": region, "period": period, "lists": int(data.n_lists),
                        "patterns": int(len(data.counts)), "us_per_sweep": us})
    return out


def _own_strata_reference(sample: list[dict], run: dict, plan: dict, sweeps_total: int, cores: int,
                          seed: np.random.SeedSequence) -> dict:
    """The run's wall time against the mean single-chain cost of a sample of its own strata
    (:func:`own_strata_us_per_sweep`)."""
    costs = np.array([row["us_per_sweep"] for row in sample])
    mean = float(costs.mean())
    ideal = _ideal_seconds(mean, sweeps_total, cores)
    median = float(np.median(costs))
    return {"strata_sampled": len(sample), "sweeps_each": plan["own_strata_sweeps"], "seed": C.seed_record(seed),
            "mean_us_per_sweep": mean, "median_us_per_sweep": median,
            "overhead_ratio_at_median": run["wall"] / _ideal_seconds(median, sweeps_total, cores),
            "mean_us_per_sweep_se": float(costs.std(ddof=1) / np.sqrt(len(costs))) if len(costs) > 1 else 0.0,
            "mean_patterns": float(np.mean([row["patterns"] for row in sample])),
            "ideal_wall_seconds": ideal, "overhead_ratio": run["wall"] / ideal, "strata": sample}


PLAN = {
    "full": {"strata": 1000, "sweeps": 10_000, "chains": 4, "single_sweeps": 200_000, "sensitivity_strata": 200,
             "own_strata_sample": 60, "own_strata_sweeps": 40_000},
    "quick": {"strata": 50, "sweeps": 2_000, "chains": 4, "single_sweeps": 5_000, "sensitivity_strata": 20,
              "own_strata_sample": 5, "own_strata_sweeps": 2_000},
}


def _cli_fit(records: pd.DataFrame, truth: pd.DataFrame, plan: dict, seed: int, work: Path, K: int = 10,
             sampler: str = SAMPLER) -> dict:
    """``estimate fit --strata region,period --totals all`` on the records; coverage against the truth."""
    burn_in = plan["sweeps"] // 2
    draws, thinning = 1000, max(1, (plan["sweeps"] - burn_in) // 1000)
    source = work / "records.csv"
    records.to_csv(source, index=False)
    preset = work / "bench.toml"
    preset.write_text(
        f'method = "lcmcr"\n[model]\nK = {K}\n[sampler]\nchains = {plan["chains"]}\nburn_in = {burn_in}\n'
        f'draws = {draws}\nthinning = {thinning}\nsampler = "{sampler}"\n'
    )
    out = work / "strata.csv"
    rss_file = work / "peak_rss_mb.txt"
    # python -m estimate fit ..., wrapped so that the CLI process reports its own peak memory
    command = [sys.executable, "-m", "benchmarks._peak_rss", str(rss_file), "estimate", "fit", str(source),
               "--model", str(preset), "--strata", "region,period", "--seed", str(seed), "--format", "csv",
               "--output", str(out), "--totals", "all"]
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=C.HERE.parent)
    wall = time.perf_counter() - start
    table = pd.read_csv(out).merge(truth, on=["region", "period"])
    totals = pd.read_csv(out.with_name("strata.totals.csv"))
    ok = table[table["status"] == "ok"]
    covered = (ok["lower"] <= ok["N"]) & (ok["N"] <= ok["upper"])
    coverage = float(covered.mean())
    true_total = int(truth["N"].sum())
    total_row = totals.iloc[0]
    by_lists = {}
    for lists, part in ok.groupby("lists"):
        hit = (part["lower"] <= part["N"]) & (part["N"] <= part["upper"])
        c = float(hit.mean())
        by_lists[str(int(lists))] = {"strata": int(len(part)), "coverage": c,
                                     "coverage_se": float(np.sqrt(c * (1 - c) / len(part))),
                                     "mean_relative_width": float(np.mean((part["upper"] - part["lower"]) / part["N"]))}
    return {
        "burn_in": burn_in, "draws": draws, "thinning": thinning, "wall": wall, "ok": ok, "table": table,
        "peak_rss_mb": float(rss_file.read_text()),
        "strata_estimated": int(len(ok)),
        "strata_not_estimable": int((table["status"] != "ok").sum()),
        "per_stratum_coverage": coverage,
        "per_stratum_coverage_se": float(np.sqrt(coverage * (1 - coverage) / len(ok))),
        "mean_relative_error": float(np.mean(ok["estimate"] / ok["N"] - 1)),
        "mean_relative_width": float(np.mean((ok["upper"] - ok["lower"]) / ok["N"])),
        "misses_below": int((ok["N"] < ok["lower"]).sum()),
        "misses_above": int((ok["N"] > ok["upper"]).sum()),
        "true_total": true_total,
        "total_estimate": float(total_row["estimate"]),
        "total_lower": float(total_row["lower"]),
        "total_upper": float(total_row["upper"]),
        "total_covered": bool(total_row["lower"] <= true_total <= total_row["upper"]),
        "coverage_by_lists": by_lists,
        **_convergence(ok, covered),
    }


def _convergence(ok: pd.DataFrame, covered: pd.Series) -> dict:
    """Strata whose N failed R-hat ≤ 1.01 or bulk ESS ≥ 400 (the CLI's CSV has both), and coverage on each side."""
    failed = (ok["r_hat"] > RHAT_MAX) | (ok["ess_bulk"] < ESS_MIN)
    out = {"strata_not_converged": int(failed.sum()), "max_r_hat": float(ok["r_hat"].max()),
           "min_ess_bulk": float(ok["ess_bulk"].min()), "median_ess_bulk": float(ok["ess_bulk"].median())}
    for name, part in (("converged", covered[~failed]), ("not_converged", covered[failed])):
        out[f"coverage_{name}"] = float(part.mean()) if len(part) else None
    return out


def run(quick: bool, log=print) -> dict:
    """Simulate the strata, run ``estimate fit --strata region,period`` on them, compare with the truth."""
    plan = PLAN["quick" if quick else "full"]
    seed = C.ROOT_SEED
    result = C.header(NAME, quick)
    records, truth = simulate(plan["strata"], seed, "independent")
    # the speed target's own design: the same strata (sizes, capture probabilities) with 5 lists each
    records5, truth5 = simulate(plan["strata"], seed, "independent", lists=5)
    # the single-chain references first, right before the timed runs (this shared machine's speed drifts, so the
    # references are taken next to what they are compared with; each repeat and the load average are recorded)
    load_before_references = C.load_average()
    us_single_repeats = single_chain_us_per_sweep(plan["single_sweeps"])
    us_single = float(np.median(us_single_repeats))
    seed_main, seed_five = C.seed_for(NAME, "own-strata", "main"), C.seed_for(NAME, "own-strata", "five-lists")
    sample_main = own_strata_us_per_sweep(records, plan["own_strata_sample"], plan["own_strata_sweeps"], seed_main)
    sample_five = own_strata_us_per_sweep(records5, plan["own_strata_sample"], plan["own_strata_sweeps"], seed_five)
    log(f"strata: single-chain references {us_single:.2f} µs (one stratum), own strata "
        f"{np.mean([x['us_per_sweep'] for x in sample_main]):.2f} (4–6 lists), "
        f"{np.mean([x['us_per_sweep'] for x in sample_five]):.2f} µs (5 lists)")
    main = _cli_fit(records, truth, plan, seed, Path(tempfile.mkdtemp(prefix="strata-bench-")))
    log(f"strata: CLI run of {plan['strata']} strata took {main['wall']:.0f} s")
    five = _cli_fit(records5, truth5, plan, seed, Path(tempfile.mkdtemp(prefix="strata-bench-")))
    log(f"strata: CLI run of {plan['strata']} 5-list strata took {five['wall']:.0f} s")
    records2, truth2 = simulate(plan["sensitivity_strata"], seed + 1, "two-class")
    sens = _cli_fit(records2, truth2, plan, seed + 1, Path(tempfile.mkdtemp(prefix="strata-bench-")))
    log(f"strata: sensitivity run of {plan['sensitivity_strata']} two-class strata took {sens['wall']:.0f} s")
    # the same two-class strata with the estimator's default sampler, which mixes better per sweep: tells a
    # shortfall of the model from one of the chains
    sens_default = _cli_fit(records2, truth2, plan, seed + 1, Path(tempfile.mkdtemp(prefix="strata-bench-")),
                            sampler="collapsed")
    log(f"strata: the same with the collapsed sampler took {sens_default['wall']:.0f} s")
    # calibration check: the main strata fitted with K = 1, the model that generated them (independent lists,
    # one class); separates the pipeline's calibration from the width the K = 10 prior adds
    calib = _cli_fit(records, truth, plan, seed, Path(tempfile.mkdtemp(prefix="strata-bench-")), K=1)
    log(f"strata: calibration run (K = 1) took {calib['wall']:.0f} s")
    # the main strata with what `estimate fit --strata` runs by default (K = 10, collapsed sampler): the coverage
    # a user of the defaults gets, with (nearly) every stratum converged
    default = _cli_fit(records, truth, plan, seed, Path(tempfile.mkdtemp(prefix="strata-bench-")),
                       sampler="collapsed")
    log(f"strata: the main strata with the default sampler took {default['wall']:.0f} s")

    burn_in, draws, thinning = main["burn_in"], main["draws"], main["thinning"]
    sweeps_total = main["strata_estimated"] * plan["chains"] * (burn_in + draws * thinning)
    cores = os.cpu_count() or 1
    ideal = _ideal_seconds(us_single, sweeps_total, cores)
    own_main = _own_strata_reference(sample_main, main, plan, sweeps_total, cores, seed_main)
    sweeps_five = five["strata_estimated"] * plan["chains"] * (burn_in + draws * thinning)
    own_five = _own_strata_reference(sample_five, five, plan, sweeps_five, cores, seed_five)
    r_sequential = R_US_PER_SWEEP_5_LISTS * sweeps_total / 1e6
    keep = ("strata_estimated", "strata_not_estimable", "per_stratum_coverage", "per_stratum_coverage_se",
            "mean_relative_error", "mean_relative_width", "misses_below", "misses_above", "true_total",
            "total_estimate", "total_lower", "total_upper", "total_covered", "coverage_by_lists",
            "strata_not_converged", "max_r_hat", "min_ess_bulk", "median_ess_bulk", "coverage_converged",
            "coverage_not_converged")
    result.update({
        "seed": seed,
        "design": {"name": "independent", "description": DESIGNS["independent"]},
        "settings": {"strata": plan["strata"], "chains": plan["chains"], "burn_in": burn_in, "draws": draws,
                     "thinning": thinning, "K": 10, "sampler": SAMPLER},
        **{k: main[k] for k in keep},
        "wall_seconds": main["wall"],
        "chain_sweeps": sweeps_total,
        "chain_sweeps_per_second": sweeps_total / main["wall"],
        "single_chain_us_per_sweep": us_single,
        "single_chain_us_per_sweep_repeats": us_single_repeats,
        "load_average_before_references": load_before_references,
        "ideal_wall_seconds": ideal,
        "overhead_ratio": main["wall"] / ideal,
        "own_strata_reference": own_main,
        "five_lists": {
            "description": "every stratum with 5 lists (the strata target's design), otherwise as the main run",
            "seed": seed, "wall_seconds": five["wall"], "chain_sweeps": sweeps_five,
            "chain_sweeps_per_second": sweeps_five / five["wall"],
            "ideal_wall_seconds": _ideal_seconds(us_single, sweeps_five, cores),
            "overhead_ratio": five["wall"] / _ideal_seconds(us_single, sweeps_five, cores),
            "own_strata_reference": own_five,
            "r_lcmcr_sequential_seconds": R_US_PER_SWEEP_5_LISTS * sweeps_five / 1e6,
            "speedup_vs_r": R_US_PER_SWEEP_5_LISTS * sweeps_five / 1e6 / five["wall"],
            "peak_rss_mb": five["peak_rss_mb"],
            "observed_patterns": observed_patterns(records5, truth5),
            **{k: five[k] for k in keep}},
        "r_lcmcr_sequential_seconds": r_sequential,
        "observed_patterns": observed_patterns(records, truth),
        "speedup_vs_r": r_sequential / main["wall"],
        "peak_rss_mb": main["peak_rss_mb"],
        "sensitivity": {"design": "two-class", "description": DESIGNS["two-class"], "seed": seed + 1,
                        "strata": plan["sensitivity_strata"], "wall_seconds": sens["wall"],
                        **{k: sens[k] for k in keep},
                        "collapsed": {"wall_seconds": sens_default["wall"], **{k: sens_default[k] for k in keep}}},
        "calibration": {"K": 1, "wall_seconds": calib["wall"], **{k: calib[k] for k in keep}},
        "default_sampler": {"K": 10, "sampler": "collapsed", "wall_seconds": default["wall"],
                            **{k: default[k] for k in keep}},
        "load_average_end": C.load_average(),
    })
    return result


def _repeats_text(r: dict) -> str:
    repeats = r.get("single_chain_us_per_sweep_repeats")
    if not repeats:  # results written before the repeats were recorded: one run
        return "1 run"
    return f"{len(repeats)} runs: " + ", ".join(f"{v:.2f}" for v in repeats)


def _fraction(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _distance_from_95(coverage: float, se: float) -> str:
    """"2.9 standard errors above 95%", or, when every stratum was covered (a quick run: no spread), "all covered"."""
    if se <= 0:
        return "every stratum covered (no spread to measure the distance from 95% by)"
    return f"{abs(coverage - 0.95) / se:.1f} standard errors {'above' if coverage > 0.95 else 'below'} 95%"


def _five_lists_lines(r: dict) -> list[str]:
    """The wall-time target on its own design (1,000 strata of 5 lists) beside the main run (4–6 lists)."""
    f = r.get("five_lists")
    if not f:  # results written before the 5-list run existed
        return []
    own_main, own_five = r["own_strata_reference"], f["own_strata_reference"]
    rows = [
        ("strata estimated", f"{r['strata_estimated']:,}", f"{f['strata_estimated']:,}"),
        ("mean observed patterns per stratum", f"{r['observed_patterns']['mean']:.1f}",
         f"{f['observed_patterns']['mean']:.1f}"),
        ("wall time", f"{r['wall_seconds']:.1f} s", f"{f['wall_seconds']:.1f} s"),
        ("chain-sweeps per second", f"{r['chain_sweeps_per_second']:,.0f}", f"{f['chain_sweeps_per_second']:,.0f}"),
        ("wall / ideal, one representative 5-list stratum's single-chain cost "
         f"({r['single_chain_us_per_sweep']:.2f} µs)", f"{r['overhead_ratio']:.2f}", f"{f['overhead_ratio']:.2f}"),
        (f"single-chain µs per sweep, mean over {own_five['strata_sampled']} of the run's own strata (± s.e.)",
         f"{own_main['mean_us_per_sweep']:.2f} ± {own_main['mean_us_per_sweep_se']:.2f}",
         f"{own_five['mean_us_per_sweep']:.2f} ± {own_five['mean_us_per_sweep_se']:.2f}"),
        ("wall / ideal at the run's own strata's cost", f"{own_main['overhead_ratio']:.2f}",
         f"{own_five['overhead_ratio']:.2f}"),
    ]
    if "median_us_per_sweep" in own_five:
        rows += [
            ("the same at the sample's median cost (repeats on this machine are skewed upward by other load)",
             f"{own_main['overhead_ratio_at_median']:.2f} ({own_main['median_us_per_sweep']:.2f} µs)",
             f"{own_five['overhead_ratio_at_median']:.2f} ({own_five['median_us_per_sweep']:.2f} µs)"),
        ]
    rows += [
        (f"speed-up vs R one stratum after another (≈ {R_US_PER_SWEEP_5_LISTS:g} µs/sweep)",
         f"{r['speedup_vs_r']:.2f}×", f"{f['speedup_vs_r']:.2f}×"),
        ("peak memory of the CLI process", f"{r['peak_rss_mb']:.0f} MB", f"{f['peak_rss_mb']:.0f} MB"),
        ("per-stratum 95% interval coverage", f"{r['per_stratum_coverage']:.3f} ± {r['per_stratum_coverage_se']:.3f}",
         f"{f['per_stratum_coverage']:.3f} ± {f['per_stratum_coverage_se']:.3f}"),
        ("pooled total covers the simulated total", f"{r['total_covered']} ({r['true_total']:,})",
         f"{f['total_covered']} ({f['true_total']:,})"),
    ]
    return [
        "The wall-time target's own design is 1,000 strata of 5 lists; the run above (the coverage target's design) "
        f"has 4–6. A second run fits {f['strata_estimated']:,} strata of 5 lists (seed {f['seed']}"
        + (": the main run's strata, with their sizes, capture probabilities and settings, each with 5 lists"
           if f["seed"] == r["seed"] else ", sizes and capture probabilities drawn from the same ranges as the main "
           "run's, same settings") + "). The ideal wall time is single-chain µs per sweep × chain-sweeps / "
        "cores; the strata differ in cost (lists, observed patterns), so the single-chain cost is given two ways: "
        "the one 5-list stratum measured above, and the mean over a seeded sample of the run's own strata, each "
        f"fitted alone with one chain of {own_five['sweeps_each']:,} sweeps on one thread (thread CPU)"
        + (", both measured right before the timed runs (load average then "
           + ", ".join(f"{v:.2f}" for v in r["load_average_before_references"]) + "; this shared machine's "
           "speed drifts, and repeats of one stratum spread as the five above do)"
           if r.get("load_average_before_references") else "") + ". The second "
        "is the cost of the strata actually fitted, so its ratio is the one that measures per-stratum overhead; "
        "the summary's verdict uses it, on the 5-list run.",
        "",
        "| figure | main run (4–6 lists) | 5-list run |",
        "|---|---|---|",
        *[f"| {a} | {b} | {c} |" for a, b, c in rows],
        "",
    ]


def markdown(r: dict) -> str:
    sweeps_per_chain = r["settings"]["burn_in"] + r["settings"]["draws"] * r["settings"]["thinning"]
    lines = ["# Stratified LCMCR at scale (through the CLI)", ""]
    if r["mode"] == "quick":
        lines += [f"**Quick run: {r['settings']['strata']} strata only; see `benchmarks/results/strata_scale.md` "
                  "for the full run.**", ""]
    lines += C.provenance_lines(r) + [""]
    lines += [
        f"{r['strata_estimated']:,} strata estimated ({r['strata_not_estimable']} not estimable) by "
        f"`estimate fit --strata region,period`, {r['settings']['chains']} chains × {sweeps_per_chain:,} sweeps "
        f"each, K = {r['settings']['K']}, sampler `{r['settings'].get('sampler', 'gibbs')}` (R LCMCR's algorithm, so "
        "that cost per sweep compares like with like; the default `collapsed` sampler costs more per sweep and mixes "
        f"better per CPU-second, see speed.md); seed {r['seed']}. Strata: 4–6 lists, sizes 150–1,500, "
        f"{r['design']['description']} (see `simulate` in `benchmarks/strata_scale.py`).",
        "",
        "| figure | value |",
        "|---|---|",
        f"| wall time | {r['wall_seconds']:.1f} s |",
        f"| chain-sweeps per second | {r['chain_sweeps_per_second']:,.0f} |",
        f"| single-chain µs per sweep (one 5-list stratum, thread CPU; median of "
        f"{_repeats_text(r)}) | {r['single_chain_us_per_sweep']:.2f} |",
        f"| ideal wall time (µs/sweep × sweeps / cores) | {r['ideal_wall_seconds']:.1f} s |",
        f"| wall / ideal | {r['overhead_ratio']:.2f} |",
    ]
    own = r.get("own_strata_reference")
    if own:
        lines += [
            f"| single-chain µs per sweep, mean over {own['strata_sampled']} of the run's own strata "
            f"(± s.e.; {own['mean_patterns']:.1f} observed patterns on average) | {own['mean_us_per_sweep']:.2f} ± "
            f"{own['mean_us_per_sweep_se']:.2f} |",
            f"| wall / ideal at that cost | {own['overhead_ratio']:.2f} |",
        ]
    lines += [
        f"| R LCMCR one stratum after another (≈ {R_US_PER_SWEEP_5_LISTS:g} µs/sweep) | "
        f"{r['r_lcmcr_sequential_seconds']:.0f} s |",
        f"| speed-up vs R | {r['speedup_vs_r']:.2f}× |",
        f"| peak memory (high-water resident set of the CLI process) | {r['peak_rss_mb']:.0f} MB |",
        f"| per-stratum 95% interval coverage | {r['per_stratum_coverage']:.3f} ± {r['per_stratum_coverage_se']:.3f} |",
        f"| true total | {r['true_total']:,} |",
        f"| pooled total (summed draws) | {r['total_estimate']:,.0f} [{r['total_lower']:,.0f}, "
        f"{r['total_upper']:,.0f}] — covers truth: {r['total_covered']} |",
        f"| mean relative error of the stratum estimates | {r['mean_relative_error']:+.2%} |",
    ]
    if "strata_not_converged" in r:
        lines += [
            f"| strata failing R-hat ≤ 1.01 or bulk ESS ≥ 400 (N) | {r['strata_not_converged']} of "
            f"{r['strata_estimated']:,} (max R-hat {r['max_r_hat']:.3f}; bulk ESS min {r['min_ess_bulk']:,.0f}, "
            f"median {r['median_ess_bulk']:,.0f}) |",
            f"| coverage of the converged / the other strata | {_fraction(r['coverage_converged'])} / "
            f"{_fraction(r['coverage_not_converged'])} |",
        ]
    lines += [""] + _five_lists_lines(r)
    patterns = r.get("observed_patterns")
    if patterns is None:  # results from before this was recorded: the seeded design gives it again
        patterns = observed_patterns(*simulate(r["settings"]["strata"], r["seed"], "independent"))
    per_us = r["r_lcmcr_sequential_seconds"] / R_US_PER_SWEEP_5_LISTS  # seconds per µs of R's cost per sweep
    lines += [
        f"The R figure (main run): shared/data/README.md gives ≈ {R_US_PER_SWEEP_5_LISTS:g} µs per sweep for 5 "
        f"lists with about 30 observed patterns as the figure for this benchmark; these strata have "
        f"{patterns['mean']:.1f} observed patterns on average ({patterns['mean_5_lists']:.1f} in the 5-list ones). "
        "R's cost per sweep grows with the patterns; at its cost measured on the bundled datasets the speed-up "
        "would be "
        + "; ".join(f"{us:.1f} µs ({name}, {lists} lists, {n_patterns} patterns): "
                    f"{us * per_us / r['wall_seconds']:.1f}×" for name, lists, n_patterns, us in r_measured_costs())
        + ".",
        "",
    ]
    cal = r.get("calibration")
    if cal:
        lines += [
            "Calibration check: the same strata fitted with K = 1 (lists independent, one class: the model that "
            "generated them) against the run above (K = 10)"
            + (", and with the default model and sampler of `estimate fit --strata` (K = 10, `collapsed`) at the "
               f"same chain lengths ({r['settings']['burn_in']:,} burn-in, {r['settings']['draws']:,} draws × "
               f"{r['settings']['thinning']}, not the preset's 10,000 + 2,500 × 100)"
               if r.get("default_sampler") else "")
            + ". Per-stratum intervals of the K = 10 model are wider "
            "because its Dirichlet-process prior keeps heterogeneity of catchability that these data cannot rule "
            f"out, and that width is part of why its coverage sits above 95%. It is not all of it: the generating "
            f"model (K = 1) covers {cal['per_stratum_coverage']:.3f} ± {cal['per_stratum_coverage_se']:.3f}, "
            f"{_distance_from_95(cal['per_stratum_coverage'], cal['per_stratum_coverage_se'])} (credible "
            "intervals under the p(N) ∝ 1/N prior are not exact confidence intervals). The benchmark "
            "reports the coverage these settings give; "
            "its design and seed were fixed before the results were seen and are not tuned to hit the band.",
            "",
            "| K, sampler | per-stratum coverage | misses below / above | mean interval width / N | "
            "mean relative error | strata failing R-hat ≤ 1.01 or bulk ESS ≥ 400 |",
            "|---|---|---|---|---|---|",
        ]
        sampler = r["settings"].get("sampler", "gibbs")
        rows = [(f"{r['settings']['K']}, `{sampler}`", r), (f"1, `{sampler}`", cal)]
        if r.get("default_sampler"):
            rows.append(("10, `collapsed` (the default model and sampler)", r["default_sampler"]))
        for name, u in rows:
            lines.append(
                f"| {name} | {u['per_stratum_coverage']:.3f} ± {u['per_stratum_coverage_se']:.3f} | "
                f"{u['misses_below']} / {u['misses_above']} | {u['mean_relative_width']:.3f} | "
                f"{u['mean_relative_error']:+.2%} | "
                + (f"{u['strata_not_converged']} |" if "strata_not_converged" in u else "— |"))
        lines.append("")
    if r.get("coverage_by_lists"):
        runs = [(f"K = {r['settings']['K']}", r)] + ([("K = 1", cal)] if cal and cal.get("coverage_by_lists") else [])
        lines += [
            "Per-stratum coverage by the number of lists in the stratum (the same runs, split by lists):",
            "",
            "| lists | strata | " + " | ".join(f"coverage ({name}) | width / N ({name})" for name, _ in runs) + " |",
            "|---|---|" + "---|---|" * len(runs),
        ]
        for lists, row in sorted(r["coverage_by_lists"].items(), key=lambda kv: int(kv[0])):
            cells = []
            for _, run_ in runs:
                g = run_["coverage_by_lists"].get(lists)
                cells += [f"{g['coverage']:.3f} ± {g['coverage_se']:.3f}", f"{g['mean_relative_width']:.3f}"] if g \
                    else ["—", "—"]
            lines.append(f"| {lists} | {row['strata']} | " + " | ".join(cells) + " |")
        lines.append("")
    t = r.get("sensitivity")
    if t:
        runs = [(f"`{r['settings'].get('sampler', 'gibbs')}`", t)] + ([("`collapsed` (default)", t["collapsed"])]
                                                                     if t.get("collapsed") else [])
        lines += [
            f"Sensitivity: {t['strata_estimated']:,} strata with {t['description']} (seed {t['seed']}, same "
            "sweeps per chain), fitted with the sampler above and again with the estimator's default sampler, "
            "which mixes better per sweep. LCMCR's prior tends to merge two close classes, which biases each "
            "stratum a little low; summed over many strata that bias exceeds the (narrow) interval of the total. "
            "If the default sampler's strata converge where the plain ones do not and the shortfall stays, it is "
            "the model's, not the chains'."
            + (f" Here it stays: {t['collapsed']['strata_not_converged']} instead of {t['strata_not_converged']} "
               f"strata fail the checks, and coverage is {t['collapsed']['per_stratum_coverage']:.3f}."
               if t.get("collapsed") and "strata_not_converged" in t
               and t["collapsed"]["strata_not_converged"] < t["strata_not_converged"]
               and t["collapsed"]["per_stratum_coverage"] < 0.93 else ""),
            "",
            "| figure | " + " | ".join(name for name, _ in runs) + " |",
            "|---|" + "---|" * len(runs),
            "| per-stratum 95% interval coverage | " + " | ".join(
                f"{u['per_stratum_coverage']:.3f} ± {u['per_stratum_coverage_se']:.3f}" for _, u in runs) + " |",
            "| misses below / above the interval | " + " | ".join(
                f"{u['misses_below']} / {u['misses_above']}" for _, u in runs) + " |",
            "| mean relative error of the stratum estimates | " + " | ".join(
                f"{u['mean_relative_error']:+.2%}" for _, u in runs) + " |",
            "| strata failing R-hat ≤ 1.01 or bulk ESS ≥ 400 (N) | " + " | ".join(
                f"{u['strata_not_converged']} (max R-hat {u['max_r_hat']:.3f})" if "strata_not_converged" in u
                else "—" for _, u in runs) + " |",
            "| coverage of the converged strata | " + " | ".join(
                _fraction(u.get("coverage_converged")) for _, u in runs) + " |",
            f"| true total | {t['true_total']:,} |" + " |" * (len(runs) - 1),
            "| pooled total (summed draws) | " + " | ".join(
                f"{u['total_estimate']:,.0f} [{u['total_lower']:,.0f}, {u['total_upper']:,.0f}] — covers truth: "
                f"{u['total_covered']}" for _, u in runs) + " |",
            "",
        ]
    return "\n".join(lines)


plot = None

if __name__ == "__main__":
    from benchmarks.__main__ import main as _suite

    sys.exit(_suite(["--only", "strata", *sys.argv[1:]]))
