"""``benchmarks/results/SUMMARY.md``: the headline figures of every result file, generated from the JSON files.

Written after every run of ``python -m benchmarks`` (and by ``--render``); nothing in it is typed in.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks import _common as C


def _load(folder: Path, name: str) -> dict[str, Any] | None:
    path = folder / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def markdown(folder: Path) -> str:
    from benchmarks import accuracy, speed, strata_scale

    lines = ["# Benchmark summary", "",
             "Generated from the JSON files beside this one by `benchmarks/summary.py`; details in each file's "
             "Markdown. Re-run with `python -m benchmarks` (full, ≈ 80–100 minutes on 2 cores) or "
             "`python -m benchmarks --quick` (≤ 5 minutes, written to `results/quick/`).", "",
             "Verdicts compare the measured figure with the target as it stands; the ± beside a figure is its "
             "Monte Carlo (or seed-to-seed) standard error, which a verdict does not take into account.", ""]
    sp = _load(folder, "speed")
    if sp:
        lines += [f"## LCMCR speed targets ([speed.md](speed.md), {sp['mode']} run {sp['date'][:10]}, load average "
                  f"at start {', '.join(str(x) for x in sp['machine']['load_average_1_5_15min'])})", ""]
        # two decimals for small figures (17.23 µs, a 1.03 ratio), none beside a ± of tens (839 ± 23 ESS/s)
        rows = [[r["target"], f"{C.fmt(r['measured'], 2 if r['measured'] is None or abs(r['measured']) < 100 else 0)} "
                 f"{r['unit']}",
                 "met" if r["met"] else ("not met" if r["met"] is not None else "—")] for r in speed.checks(sp)]
        lines += C.table(["target", "measured", "verdict"], rows) + [""]
        pymc = [e for e in sp["cases"]["pymc"] if e.get("data") != "stratum" and "ess_per_second_wall" in e]
        lc = [sp["cases"].get(k) for k in ("ess_1_chain", "ess_4_chains")]
        rows = [[f"LCMCR {e['chains']} chain(s)", C.fmt(e["ess_bulk"]), C.fmt(e["ess_per_second_wall"], 1),
                 f"{e['wall_seconds']:.1f} s"] for e in lc if e and "ess_bulk" in e]
        rows += [[f"PyMC NUTS {e['chains']} chain(s)", C.fmt(e["ess_bulk"]), C.fmt(e["ess_per_second_wall"], 1),
                  f"{e['wall_seconds']:.1f} s"] for e in pymc]
        lines += ["Kosovo, K = 10, same model, one run (PyMC's wall time includes compiling its model; the LCMCR "
                  "kernel is timed after its compilation):", ""]
        lines += C.table(["sampler", "ESS of N (ArviZ bulk)", "bulk ESS/s (wall)", "wall"], rows) + [""]
    acc = _load(folder, "accuracy")
    if acc:
        lines += [f"## Coverage of 95% intervals on simulated populations ([accuracy.md](accuracy.md), "
                  f"{acc['replicates']} replicates per cell, {acc['mode']} run {acc['date'][:10]})", ""]
        rows = []
        for s in acc["scenarios"]:
            row = [s]
            for m in acc["methods"]:
                c = accuracy._cell(acc, s, m)
                short = accuracy._short(c)
                if short is None:
                    short = f"{C.fmt(c['coverage'], 1, pct=True)} ({C.fmt(c['relative_bias'], 1, pct=True, sign=True)})"
                    if c["n_ok"] < acc["replicates"]:
                        short += f" n={c['n_ok']}"
                row.append(short)
            rows.append(row)
        lines += ["Coverage (relative bias of the point estimate in parentheses):", ""]
        lines += C.table(["scenario", *acc["methods"]], rows) + [""]
        lines += [f"With {acc['replicates']} replicates, a perfectly calibrated 95% interval's measured coverage "
                  f"falls outside 93–97% with probability {C.band_miss_probability(acc['replicates']):.0%}.", ""]
    st = _load(folder, "strata_scale")
    if st:
        lines += [f"## Strata at scale targets ([strata_scale.md](strata_scale.md), {st['mode']} run "
                  f"{st['date'][:10]}, {st['strata_estimated']:,} strata through the CLI)", ""]
        lo, hi = st["total_lower"], st["total_upper"]
        five = st.get("five_lists")
        if five:  # the target's own design (1,000 strata of 5 lists), at the run's own strata's single-chain cost
            own = five["own_strata_reference"]
            overhead = [
                f"wall time ≤ 1.5 × (single-chain µs/sweep × sweeps / cores), {five['strata_estimated']:,} strata "
                "of 5 lists",
                f"{own['overhead_ratio']:.2f} × at the mean single-chain cost of {own['strata_sampled']} of its "
                f"strata ({own['mean_us_per_sweep']:.2f} µs); {five['overhead_ratio']:.2f} × at one representative "
                f"stratum's ({st['single_chain_us_per_sweep']:.2f} µs); the 4–6-list run: "
                f"{st['own_strata_reference']['overhead_ratio']:.2f} × and {st['overhead_ratio']:.2f} ×",
                "met" if own["overhead_ratio"] <= 1.5 else "not met"]
        else:
            overhead = ["wall time ≤ 1.5 × (single-chain µs/sweep × sweeps / cores)", f"{st['overhead_ratio']:.2f} ×",
                        "met" if st["overhead_ratio"] <= 1.5 else "not met"]
        timed = five or st  # the speed targets' run: the 5-list one where it exists
        rows = [
            overhead,
            [f"≥ 5 × faster than R LCMCR (≈ {strata_scale.R_US_PER_SWEEP_5_LISTS:g} µs/sweep) one stratum after "
             "another" + (", the 5-list run" if five else ""),
             f"{timed['speedup_vs_r']:.2f} × ({timed['wall_seconds']:.1f} s on 2 threads vs "
             f"{timed['r_lcmcr_sequential_seconds']:.0f} s for one R process; "
             + "; ".join(f"at R's {us:.1f} µs measured on {name}, {lists} lists: "
                         f"{timed['speedup_vs_r'] * us / strata_scale.R_US_PER_SWEEP_5_LISTS:.1f} ×"
                         for name, lists, _, us in strata_scale.r_measured_costs() if lists == 5)
             + (f"; the 4–6-list run: {st['speedup_vs_r']:.2f} ×" if five else "") + ")",
             "met" if timed["speedup_vs_r"] >= 5 else "not met"],
            ["per-stratum 95% interval coverage in 93–97%",
             f"{st['per_stratum_coverage']:.1%} ± {st['per_stratum_coverage_se']:.1%}",
             "met" if 0.93 <= st["per_stratum_coverage"] <= 0.97 else "not met"],
        ]
        default = st.get("default_sampler")
        if default:
            rows.append(["the same with the default model and sampler of `estimate fit --strata` (K = 10, "
                         "collapsed; the run's chain lengths, not the preset's)",
                         f"{default['per_stratum_coverage']:.1%} ± {default['per_stratum_coverage_se']:.1%}",
                         "met" if 0.93 <= default["per_stratum_coverage"] <= 0.97 else "not met"])
        rows += [
            ["pooled total's 95% interval covers the simulated total",
             f"{st['true_total']:,} in [{lo:,.0f}, {hi:,.0f}]", "met" if st["total_covered"] else "not met"],
        ]
        lines += C.table(["target", "measured", "verdict"], rows) + [""]
        lines += [f"With {st['strata_estimated']:,} strata, a perfectly calibrated 95% interval's per-stratum coverage "
                  f"falls outside 93–97% with probability {C.band_miss_probability(st['strata_estimated']):.1%} "
                  "(strata of one run share nothing but the design, so they count as independent replicates).", ""]
    lk = _load(folder, "linkage_accuracy")
    if lk and "point" in lk.get("linkage", {}):
        point, pooled = lk["linkage"]["point"], lk["estimates"].get("pooled, thresholds", {})
        ok = lk.get("acceptance", {})
        verdict = {True: "met", False: "not met", None: "—"}
        lines += [f"## Record linkage targets ([linkage_accuracy.md](linkage_accuracy.md), {lk['mode']} run "
                  f"{lk['date'][:10]}, {lk['people']:,} simulated people)", ""]
        lines += C.table(["target", "measured", "verdict"], [
            [f"pairwise precision ≥ 0.95 at threshold {lk['linkage']['threshold']:g}", f"{point['precision']:.4f}",
             verdict[ok.get("precision_at_least_0.95")]],
            [f"pairwise recall ≥ 0.95 at threshold {lk['linkage']['threshold']:g}", f"{point['recall']:.4f}",
             verdict[ok.get("recall_at_least_0.95")]],
            ["pooled total's interval (over linkage thresholds) covers the simulated total",
             f"{lk['people']:,} in [{C.fmt(pooled.get('lower'))}, {C.fmt(pooled.get('upper'))}]",
             verdict[ok.get("pooled_interval_covers_truth")]],
        ]) + [""]
    for name, title in (("real_data", "Real data"), ("strata_scale", "Strata at scale"),
                        ("model_choice", "Log-linear intervals after model choice")):
        r = _load(folder, name)
        if r:
            lines += [f"- {title}: [{name}.md]({name}.md) ({r['mode']} run {r['date'][:10]})"]
    lines += [""]
    return "\n".join(lines)


def write(folder: Path) -> Path:
    from estimate.atomic import atomic_write_text

    path = folder / "SUMMARY.md"
    atomic_write_text(path, markdown(folder))
    return path


if __name__ == "__main__":  # python -m benchmarks.summary [--quick]: SUMMARY.md from the results there
    import sys

    print(write(C.results_dir("--quick" in sys.argv[1:])))
