"""Every bundled dataset with every applicable estimator, next to the published estimate and the R figures.

Runs :func:`estimate.compare` (one row per registered method; methods that do not apply say why) on each dataset of
:mod:`estimate.datasets`, with a root seed per dataset.  Next to each row: the published estimate (from the dataset
registry) and, where one exists, the figure of the corresponding R package measured on the same data
(``benchmarks/reference.json``: R LCMCR 0.4.14, SparseMSE 2.0.1, Rcapture 1.4-4, dga 2.0.2, R ``glm``).
"""

from __future__ import annotations

import math
import re
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import _common as C

NAME = "real_data"
SLOW = ("bayes-loglinear", "pymc-lcmcr")  # PyMC/NUTS: about a minute per dataset; left out of --quick
PYMC_SETTINGS = {"chains": 2, "cores": 2}  # full run: 2 chains on the 2 cores (defaults otherwise)

# Rcapture's model labels for our method names (Kosovo reference: closedp.t)
_RCAPTURE = {"m0": "M0", "mt": "Mt", "mh-chao": "Mh Chao (LB)", "mh-poisson2": "Mh Poisson2",
             "mh-darroch": "Mh Darroch", "mth-chao": "Mth Chao (LB)", "mth-poisson2": "Mth Poisson2",
             "mth-darroch": "Mth Darroch"}


def references(dataset: str, method: str, ref: dict[str, Any]) -> str:
    """The R figure for the same method on the same data, as text ('' if none)."""
    r = ref["datasets_r"].get(dataset, {})
    if method == "lcmcr" and "lcmcr_k10_burn10000_5000x50_seed11" in r:
        x = r["lcmcr_k10_burn10000_5000x50_seed11"]
        unconverged = (" < 400, the least this package asks of a fit's bulk ESS, which counts fewer"
                       if x["ess"] < 400 else "")
        return (f"R LCMCR (seed 11, burn-in 10,000, 5,000 draws × 50; coda ESS {x['ess']:,.0f}{unconverged}): "
                f"{x['median']:,.0f} [{x['lo']:,.0f}, {x['hi']:,.0f}]")
    if method == "pymc-lcmcr" and dataset == "kosovo":
        x = ref["lcmcr_kosovo"]
        return (f"R LCMCR (seeds {', '.join(str(s) for s in x['settings']['seeds'])}, pooled "
                f"{len(x['settings']['seeds']) * x['settings']['samples']:,} draws): "
                f"{x['median']:,} [{x['q025']:,}, {x['q975']:,}]")
    if method == "sparsemse" and "sparsemse_stepwise_bca" in r:
        x = r["sparsemse_stepwise_bca"]
        return (f"R SparseMSE 2.0.1 (pthresh 0.02, BCa over 500 bootstrap samples): {x['point']:,.0f} "
                f"[{x['bca_lo']:,.0f}, {x['bca_hi']:,.0f}]")
    if method == "loglinear" and "sparsemse_stepwise_bca" in r:
        x = r["sparsemse_stepwise_bca"]
        out = f"SparseMSE stepwise (another selection rule): {x['point']:,.0f} [{x['bca_lo']:,.0f}, {x['bca_hi']:,.0f}]"
        if dataset == "kosovo":
            g = ref["kosovo_classical"]["poisson_loglinear_glm"]["best_aic_and_bic"]
            out = f"R glm best AIC: {g['N']:,.0f}; " + out
        return out
    if dataset != "kosovo":
        return ""
    k = ref["kosovo_classical"]
    if method in _RCAPTURE:
        label = _RCAPTURE[method]
        x = k["rcapture_closedp_t"][label]
        ci = k["rcapture_profile_ci_95"].get(label)
        extra = (f"; closedpCI.t profile interval [{ci['lower']:,.0f}, {ci['upper']:,.0f}]" if ci
                 else f" (se {x['stderr']:,.0f})")
        return f"Rcapture closedp.t: {x['abundance']:,.0f}{extra}"
    if method == "dga":
        x = k["dga_bma"]["delta_0.0625"]
        return f"R dga (δ = 0.0625): {x['median']:,} [{x['q025']:,}, {x['q975']:,}]"
    return ""


def run(quick: bool, log=print) -> dict[str, Any]:
    from estimate import compare, datasets, method_names

    result = C.header(NAME, quick)
    methods = [m for m in method_names() if not (quick and m in SLOW)]
    models = {m: dict(PYMC_SETTINGS) for m in SLOW if m in methods}  # compare refuses settings of absent methods
    started = time.perf_counter()
    out = []
    for name in datasets.names():
        data = datasets.load(name)
        seq = C.seed_for("real", name)
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            comparison = compare(data, methods, seed=seq, models=models)
        rows = []
        for row in comparison.table.to_dict(orient="records"):
            rows.append({k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()
                         if k in ("method", "status", "estimate", "lower", "upper", "level", "interval_kind",
                                  "estimate_kind", "r_hat", "ess_bulk", "divergences", "seconds", "reason",
                                  "warnings", "model")})
        info = datasets.info(name)
        out.append({"dataset": name, "title": info.get("title"), "lists": list(data.lists),
                    "observed": int(data.observed), "patterns": int(len(data.counts)),
                    "published": info.get("published"), "seed": C.seed_record(seq), "rows": rows,
                    "seconds": time.perf_counter() - t})
        log(f"real: {name} done in {time.perf_counter() - t:.0f} s")
    result.update({"methods": methods,
                   "left_out": [m for m in SLOW if m not in methods],
                   "pymc_settings": PYMC_SETTINGS if not quick else None,
                   "datasets": out, "reference_source": C.reference()["_source"],
                   "references": {d["dataset"]: {r["method"]: references(d["dataset"], r["method"], C.reference())
                                                 for r in d["rows"]} for d in out},
                   "wall_seconds": time.perf_counter() - started, "load_average_end": C.load_average()})
    return result


def _first_sentence(text: str) -> str:
    """The first sentence of a reason (not cut mid-phrase, as a fixed number of characters was)."""
    line = text.splitlines()[0] if text else ""
    match = re.search(r"\.\s+(?=[A-Z])", line)
    return line[: match.start()] if match else line.rstrip(".")


def _warning_gist(warnings_text: str) -> str:
    """What a convergence warning flags, in a few words (the tail ESS, which the row does not show, with its
    value), else the warning's first sentence."""
    flags = []
    if re.search(r"R-hat of N is [\d.]+ \(>", warnings_text):
        flags.append("R-hat > 1.01")
    if re.search(r"bulk ESS of N is [\d.]+ \(<", warnings_text):
        flags.append("bulk ESS < 400")
    tail = re.search(r"tail ESS of N is ([\d.]+) \(<", warnings_text)
    if tail:
        flags.append(f"tail ESS {float(tail[1]):,.0f} < 400")
    if re.search(r"NUTS transitions diverged", warnings_text):
        flags.append("divergences")
    return ", ".join(flags) if flags else _first_sentence(warnings_text)


def markdown(result: dict[str, Any]) -> str:
    lines = ["# Real data: every bundled dataset × every applicable estimator", ""]
    if result["mode"] == "quick":
        lines += [f"**Quick run: {', '.join(result['left_out'])} left out (PyMC, about a minute each); see "
                  "`benchmarks/results/real_data.md` for the full run.**", ""]
    lines += C.provenance_lines(result) + [""]
    lines += ["Point estimates with their 95% intervals (kind in the table); each method's seed is derived from "
              "the dataset's root seed by `estimate.compare`. R figures: " + result["reference_source"], ""]
    if result.get("pymc_settings"):
        settings = ", ".join(f"{k} = {v}" for k, v in result["pymc_settings"].items())
        lines += [f"PyMC methods ran with {settings} (otherwise their defaults: 1,000 tune + 1,000 draws per "
                  "chain).", ""]
    for d in result["datasets"]:
        pub = d.get("published")
        pub_text = (f"published: {pub['estimate']:,} [{pub['lower']:,}, {pub['upper']:,}] — {pub['source']}"
                    if pub else "no published estimate in the dataset registry")
        lines += [f"## {d['dataset']} — {d['title']}", "",
                  f"{len(d['lists'])} lists ({', '.join(d['lists'])}), {d['patterns']} observed patterns, "
                  f"{d['observed']:,} people observed; {pub_text}. {d['seconds']:.0f} s for all methods.", ""]
        rows = []
        refs = result["references"][d["dataset"]]
        for r in d["rows"]:
            if r["status"] != "ok":
                reason = _first_sentence(r.get("reason") or "")
                rows.append([r["method"], r["status"], "", "", "", "", reason])
                continue
            conv = ""
            if r.get("r_hat") is not None:
                conv = f"R-hat {r['r_hat']:.3f}, bulk ESS {C.fmt(r.get('ess_bulk'))}"
                if r.get("divergences"):
                    conv += f", {r['divergences']:.0f} divergences"
            if r.get("warnings"):  # a converged-looking row must not hide a tail-ESS or divergence warning
                conv += "; warned: " + _warning_gist(r["warnings"])
            upper = C.fmt(r["upper"]) if r["upper"] is not None else "unbounded"
            rows.append([r["method"], "ok", C.fmt(r["estimate"]),
                         f"[{C.fmt(r['lower'])}, {upper}] {r.get('interval_kind') or ''}",
                         f"{r['seconds']:.1f}", conv, refs.get(r["method"], "")])
        lines += C.table(["method", "status", "estimate", "95% interval", "seconds", "convergence",
                          "R reference / reason"], rows) + [""]
    lines += [f"Total wall time {result['wall_seconds'] / 60:.1f} min.", ""]
    return "\n".join(lines)


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    sets = result["datasets"]
    fig, axes = plt.subplots(1, len(sets), figsize=(4.2 * len(sets), 5.5), sharey=False)
    for ax, d in zip(np.atleast_1d(axes), sets, strict=True):
        ok = [r for r in d["rows"] if r["status"] == "ok"]
        y = np.arange(len(ok))
        est = np.array([r["estimate"] for r in ok], dtype=float)
        lo = np.array([r["lower"] if r["lower"] is not None else np.nan for r in ok], dtype=float)
        hi = np.array([r["upper"] if r["upper"] is not None else np.nan for r in ok], dtype=float)
        ax.errorbar(est, y, xerr=[np.clip(est - lo, 0, None), np.clip(hi - est, 0, None)], fmt="o", ms=4,
                    capsize=2)
        for k in np.flatnonzero(~np.isfinite(hi)):  # unbounded interval: an arrow to the right
            ax.annotate("", xy=(est[k] * 3, y[k]), xytext=(est[k], y[k]),
                        arrowprops={"arrowstyle": "->", "color": "C0"})
        pub = d.get("published")
        if pub:
            ax.axvspan(pub["lower"], pub["upper"], color="C1", alpha=0.15, label="published interval")
            ax.axvline(pub["estimate"], color="C1", lw=1, label="published estimate")
            ax.legend(fontsize=7, loc="lower right")
        ax.axvline(d["observed"], color="0.5", ls=":", lw=1)
        ax.set_yticks(y, [r["method"] for r in ok], fontsize=8)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_title(f"{d['dataset']}\n({d['observed']:,} observed, dotted)", fontsize=9)
    fig.suptitle(f"Bundled datasets, every applicable estimator ({result['mode']} run, {result['date'][:10]})")
    fig.tight_layout()
    C.save_figure(fig, path)


if __name__ == "__main__":  # python -m benchmarks.real_data [--quick] [--render]: the suite run of this one
    import sys

    from benchmarks.__main__ import main as _suite

    sys.exit(_suite(["--only", "real", *sys.argv[1:]]))
