"""Stratified LCMCR at scale: 1,000 simulated strata through the CLI (`estimate fit --strata ...`).

Measures wall time, chain-sweeps per second, peak memory (max RSS of the CLI process), per-stratum 95% interval
coverage and whether the pooled total's interval covers the simulated truth.  Compares the wall time with
(a) the single-chain kernel µs/sweep × total sweeps / cores (per-stratum overhead) and (b) the R LCMCR figure
of ≈ 15 µs per sweep for 5 lists (shared/data/README.md) run over the same strata one after another.

    python benchmarks/strata_scale.py [--strata 1000] [--sweeps 10000] [--seed 2026]

Writes benchmarks/results/strata_scale.json and .md (the Markdown is generated from the JSON).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
R_US_PER_SWEEP_5_LISTS = 15.0  # shared/data/README.md: R LCMCR 0.4.14, ≈ 15 µs per sweep for 5 lists


def simulate(n_strata: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Strata of 4–6 active lists, 2 latent classes of catchability (0.4–0.6 and 0.25–0.4 per list), sizes
    150–1,500 (seeded).  Lists are independent within a class, so LCMCR is correctly specified and identified; with
    a much harder class (capture probabilities 0.03–0.15) most of it is never seen on two lists, the data cannot
    tell its size and the intervals under-cover (30% in a 40-stratum trial) — a limit of the data, not the sampler.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    frames, truth = [], []
    n_regions = 40
    for s in range(n_strata):
        region, period = f"R{s % n_regions:02d}", f"P{s // n_regions:02d}"
        size = int(rng.integers(150, 1500))
        active = int(rng.integers(4, 7))
        easy = rng.random(size) < rng.uniform(0.3, 0.7)
        p_easy = rng.uniform(0.4, 0.6, 6)
        p_hard = rng.uniform(0.25, 0.4, 6)
        p = np.where(easy[:, None], p_easy, p_hard)
        p[:, active:] = 0.0
        x = (rng.random((size, 6)) < p).astype(np.uint8)
        seen = x.sum(1) > 0
        frame = pd.DataFrame(x[seen], columns=[f"L{j}" for j in range(6)])
        frame["region"], frame["period"] = region, period
        frames.append(frame)
        truth.append({"region": region, "period": period, "N": size, "lists": active})
    return pd.concat(frames, ignore_index=True), pd.DataFrame(truth)


def single_chain_us_per_sweep(sweeps: int) -> float:
    """µs per sweep of one chain on one representative 5-list stratum (compiled kernel, warm)."""
    import warnings

    from estimate import CaptureData
    from estimate.estimators.lcmcr import LCMCR

    frame, _ = simulate(1, 99)
    data = CaptureData.from_records(frame.drop(columns=["region", "period"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        LCMCR(burn_in=100, draws=10, thinning=1, chains=1, seed=1).fit(data)
        fit = LCMCR(burn_in=sweeps // 2, draws=sweeps // 2, thinning=1, chains=1, seed=1, n_threads=1).fit(data)
    return float(fit.diagnostics["us_per_sweep"])


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strata", type=int, default=1000)
    parser.add_argument("--sweeps", type=int, default=10_000, help="sweeps per chain (burn-in + draws×thinning)")
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)

    records, truth = simulate(args.strata, args.seed)
    burn_in = args.sweeps // 2
    draws, thinning = 1000, max(1, (args.sweeps - burn_in) // 1000)
    work = Path(tempfile.mkdtemp(prefix="strata-bench-"))
    source = work / "records.csv"
    records.to_csv(source, index=False)
    preset = work / "bench.toml"
    preset.write_text(
        f'method = "lcmcr"\n[model]\nK = 10\n[sampler]\nchains = {args.chains}\nburn_in = {burn_in}\n'
        f"draws = {draws}\nthinning = {thinning}\n"
    )
    out = work / "strata.csv"
    command = [str(Path(sys.executable).with_name("estimate")), "fit", str(source), "--model", str(preset),
               "--strata", "region,period", "--seed", str(args.seed), "--format", "csv", "--output", str(out),
               "--totals", "all"]
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    wall = time.perf_counter() - start
    peak_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    table = pd.read_csv(out).merge(truth, on=["region", "period"])
    totals = pd.read_csv(out.with_name("strata.totals.csv"))
    ok = table[table["status"] == "ok"]
    covered = (ok["lower"] <= ok["N"]) & (ok["N"] <= ok["upper"])
    coverage = float(covered.mean())
    coverage_se = float(np.sqrt(coverage * (1 - coverage) / len(ok)))
    true_total = int(truth["N"].sum())
    total_row = totals.iloc[0]

    sweeps_total = len(ok) * args.chains * (burn_in + draws * thinning)
    cores = os.cpu_count() or 1
    us_single = single_chain_us_per_sweep(20_000)
    ideal = us_single * sweeps_total / cores / 1e6
    r_sequential = R_US_PER_SWEEP_5_LISTS * sweeps_total / 1e6

    from estimate import __version__

    result = {
        "benchmark": "strata_scale",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": cores,
                    "python": platform.python_version(), "platform": platform.platform()},
        "versions": {"estimate": __version__, "numpy": np.__version__, "pandas": pd.__version__,
                     "numba": __import__("numba").__version__},
        "seed": args.seed,
        "settings": {"strata": args.strata, "chains": args.chains, "burn_in": burn_in, "draws": draws,
                     "thinning": thinning, "K": 10},
        "strata_estimated": int(len(ok)),
        "strata_not_estimable": int((table["status"] != "ok").sum()),
        "wall_seconds": wall,
        "chain_sweeps": sweeps_total,
        "chain_sweeps_per_second": sweeps_total / wall,
        "single_chain_us_per_sweep": us_single,
        "ideal_wall_seconds": ideal,
        "overhead_ratio": wall / ideal,
        "r_lcmcr_sequential_seconds": r_sequential,
        "speedup_vs_r": r_sequential / wall,
        "peak_rss_mb": peak_rss_mb,
        "per_stratum_coverage": coverage,
        "per_stratum_coverage_se": coverage_se,
        "true_total": true_total,
        "total_estimate": float(total_row["estimate"]),
        "total_lower": float(total_row["lower"]),
        "total_upper": float(total_row["upper"]),
        "total_covered": bool(total_row["lower"] <= true_total <= total_row["upper"]),
    }
    write(result)
    return result


def write(result: dict) -> None:
    from estimate.atomic import atomic_write_text

    RESULTS.mkdir(exist_ok=True)
    atomic_write_text(RESULTS / "strata_scale.json", json.dumps(result, indent=2) + "\n")
    r = result
    sweeps_per_chain = r["settings"]["burn_in"] + r["settings"]["draws"] * r["settings"]["thinning"]
    lines = [
        "# Stratified LCMCR at scale",
        "",
        f"{r['strata_estimated']:,} strata estimated ({r['strata_not_estimable']} not estimable), "
        f"{r['settings']['chains']} chains × {sweeps_per_chain:,} sweeps each, K = {r['settings']['K']}; "
        f"{r['machine']['cores']} cores; seed {r['seed']}; {r['date']}.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| wall time | {r['wall_seconds']:.1f} s |",
        f"| chain-sweeps per second | {r['chain_sweeps_per_second']:,.0f} |",
        f"| single-chain µs per sweep (5 lists) | {r['single_chain_us_per_sweep']:.2f} |",
        f"| ideal wall time (µs/sweep × sweeps / cores) | {r['ideal_wall_seconds']:.1f} s |",
        f"| wall / ideal | {r['overhead_ratio']:.2f} |",
        f"| R LCMCR one stratum after another (≈ 15 µs/sweep) | {r['r_lcmcr_sequential_seconds']:.0f} s |",
        f"| speed-up vs R | {r['speedup_vs_r']:.1f}× |",
        f"| peak memory (max RSS) | {r['peak_rss_mb']:.0f} MB |",
        f"| per-stratum 95% interval coverage | {r['per_stratum_coverage']:.3f} ± {r['per_stratum_coverage_se']:.3f} |",
        f"| true total | {r['true_total']:,} |",
        f"| pooled total (summed draws) | {r['total_estimate']:,.0f} [{r['total_lower']:,.0f}, "
        f"{r['total_upper']:,.0f}] — covers truth: {r['total_covered']} |",
        "",
    ]
    atomic_write_text(RESULTS / "strata_scale.md", "\n".join(lines))


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
