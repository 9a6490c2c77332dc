"""Quick speed check of the compiled LCMCR kernel (estimate.samplers.lcmcr_kernel).

Prints: µs/sweep of one chain on Kosovo (J=4, P=15, K=10; R LCMCR 0.4.14 takes ≈ 14 µs); ESS of N per second
(4 chains on 2 threads, burn-in 10,000, 10,000 draws, thinning 100; plain vs partially collapsed); and the
cost per chain-sweep of a batch of simulated 5-list strata × 4 chains, against the single-chain cost of the
same strata.  ``--quick`` shortens every run.  Times are wall and thread-CPU (CPU is robust to other load).
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

import arviz as az
import numpy as np

from estimate.samplers.lcmcr_kernel import LCMCRSettings, sample_lcmcr, sample_lcmcr_batch, spawn_generators

KOSOVO = Path("/work/shared/data/kosovo.csv")


def kosovo() -> tuple[np.ndarray, np.ndarray]:
    with KOSOVO.open() as fh:
        table = np.array([[int(v) for v in row] for row in list(csv.reader(fh))[1:]], dtype=np.int64)
    return table[:, :4].astype(np.uint8), table[:, 4]


def simulated_stratum(rng: np.random.Generator, J: int = 5) -> tuple[np.ndarray, np.ndarray]:
    N = int(rng.integers(200, 3000))
    lam = rng.uniform(0.05, 0.5, size=(2, J))
    z = rng.integers(0, 2, size=N)
    x = (rng.random((N, J)) < lam[z]).astype(np.uint8)
    x = x[x.any(axis=1)]
    patterns, counts = np.unique(x, axis=0, return_counts=True)
    return patterns, counts.astype(np.int64)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--strata", type=int, default=1000)
    parser.add_argument("--strata-sweeps", type=int, default=2000, help="sweeps per chain in the batch test")
    args = parser.parse_args()
    X, c = kosovo()

    # warm-up / compile
    sample_lcmcr(
        X,
        c,
        LCMCRSettings(burn_in=10, n_draws=5, thinning=1, collapsed_n0=True),
        spawn_generators(0, 1, 1)[0],
    )

    sweeps = 50_000 if args.quick else 300_000
    for collapsed in (False, True):
        s = LCMCRSettings(burn_in=sweeps, n_draws=0, thinning=1, collapsed_n0=collapsed)
        r = sample_lcmcr(X, c, s, spawn_generators(1, 1, 1)[0], n_threads=1)
        print(
            f"kosovo 1 chain {'collapsed' if collapsed else 'plain    '}: "
            f"{r['seconds'] / r['sweeps'] * 1e6:6.2f} µs/sweep wall, "
            f"{r['cpu_seconds'] / r['sweeps'] * 1e6:6.2f} cpu"
        )

    draws, thin = (2_000, 50) if args.quick else (10_000, 100)
    for collapsed in (False, True):
        s = LCMCRSettings(burn_in=10_000, n_draws=draws, thinning=thin, collapsed_n0=collapsed)
        t = time.perf_counter()
        r = sample_lcmcr(X, c, s, spawn_generators(2016, 1, 4)[0], n_threads=2)
        wall = time.perf_counter() - t
        ess = float(az.ess(r["N"].astype(float)))
        q = np.quantile(r["N"], [0.025, 0.5, 0.975])
        print(
            f"kosovo 4 chains/2 threads {'collapsed' if collapsed else 'plain    '}: ESS(N) {ess:7.0f}, "
            f"{ess / wall:6.1f} ESS/s wall, {ess / r['cpu_seconds']:6.1f} ESS/cpu-s; "
            f"median {q[1]:.0f} [{q[0]:.0f}, {q[2]:.0f}] (R: 10402 [8867, 13942]); "
            f"accept {r['accept_rate']:.2f}"
        )

    rng = np.random.default_rng(12345)
    n_strata = 100 if args.quick else args.strata
    problems = [simulated_stratum(rng) for _ in range(n_strata)]
    s = LCMCRSettings(burn_in=args.strata_sweeps // 2, n_draws=args.strata_sweeps // 2, thinning=1)
    single = [sample_lcmcr(p, cnt, s, spawn_generators(4, 1, 1)[0], n_threads=1) for p, cnt in problems[:20]]
    single_us = float(np.mean([r["cpu_seconds"] / r["sweeps"] * 1e6 for r in single]))
    t, c0 = time.perf_counter(), time.process_time()
    res = sample_lcmcr_batch(problems, s, spawn_generators(5, n_strata, 4), n_threads=2)
    wall, cpu = time.perf_counter() - t, time.process_time() - c0
    total_sweeps = sum(r["sweeps"] for r in res)
    kernel_cpu = sum(r["cpu_seconds"] for r in res)
    per_wall = wall / total_sweeps * 1e6
    print(
        f"batch {n_strata} strata x 4 chains x {s.sweeps_per_chain} sweeps, 5 lists, 2 threads: "
        f"{wall:.1f} s wall, {cpu:.1f} s process CPU"
    )
    print(
        f"  {per_wall:.3f} wall-µs per chain-sweep vs single chain {single_us:.2f} cpu-µs/sweep / 2 cores = "
        f"{single_us / 2:.3f} (ratio {per_wall / (single_us / 2):.2f}; >1 if other jobs share cores)"
    )
    print(
        f"  {cpu / total_sweeps * 1e6:.3f} process-CPU-µs per chain-sweep; Python/threading overhead = "
        f"{cpu / kernel_cpu - 1:+.1%} of kernel CPU"
    )


if __name__ == "__main__":
    main()
