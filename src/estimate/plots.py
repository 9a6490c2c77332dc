"""Figures of the data and the estimates: posterior of N, sampler diagnostics, list overlaps, strata, methods.

Every function takes the object to draw (a :class:`~estimate.results.Result`, :class:`~estimate.data.CaptureData`,
:class:`~estimate.strata.StrataResult` or :class:`~estimate.compare.Comparison`) and an optional matplotlib
``ax``, and returns the matplotlib ``Figure``.  Without ``ax`` a bare ``matplotlib.figure.Figure`` is made (no
pyplot), so the functions work headless (Agg) and leave the user's pyplot state alone; save with
``fig.savefig("n.png")``.  Figures with several panels (the trace/rank plot, the UpSet plot, strata with totals)
split the given ``ax``'s grid cell into their panels.

* :func:`plot_posterior` — posterior of N with the documented ("at least") count and the interval marked; for
  non-Bayesian results the point estimate and its confidence interval.
* :func:`plot_trace` — per-chain density, trace and rank plots of N (ArviZ, through
  :func:`estimate.inference_data.plot_trace_rank`).
* :func:`plot_overlap` — which lists document whom: a Venn diagram for 2–3 lists, an UpSet plot (Lex et al.
  2014: one bar per observed capture pattern above a dot matrix of its lists, list sizes at the side) for more.
* :func:`plot_strata` — dot-and-interval per stratum with the documented count, totals below.
* :func:`plot_forest` — estimates and intervals of several methods side by side.
"""

from __future__ import annotations

import functools
import math
import textwrap
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from estimate._user_caches import ensure_writable_caches
from estimate.errors import DataError
from estimate.results import interval_name, level_percent

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.gridspec import GridSpecBase

    from estimate.compare import Comparison
    from estimate.data import CaptureData
    from estimate.results import Result
    from estimate.strata import StrataResult

__all__ = ["plot_posterior", "plot_trace", "plot_overlap", "plot_venn", "plot_upset", "plot_strata", "plot_forest"]

#: Colours shared by every figure: estimate, interval, documented count, totals.
ESTIMATE_COLOR = "#1f5a96"
INTERVAL_COLOR = "#7fa7d1"
OBSERVED_COLOR = "0.3"
TOTAL_COLOR = "#b3482b"
MUTED_COLOR = "0.75"


def _literal_text(plot: Callable[..., Figure]) -> Callable[..., Figure]:
    """Make every text the plot creates literal: list names, strata and method labels are the user's, and one
    with ``$…$`` in it (a currency, a LaTeX-like name) would go through matplotlib's mathtext — garbled, or an
    error at ``savefig``.  matplotlib fixes a text's ``parse_math`` when the text is created, so the setting holds
    for the figure's life."""

    @functools.wraps(plot)
    def wrapper(*args: Any, **kwargs: Any) -> Figure:
        ensure_writable_caches()  # matplotlib's own folders, where the home folder cannot be written
        import matplotlib

        with matplotlib.rc_context({"text.parse_math": False}):
            return plot(*args, **kwargs)

    return wrapper


def _fmt(value: float) -> str:
    if value is None or not math.isfinite(value):
        return "∞" if value == math.inf else "n/a"
    return f"{value:,.0f}"


def _thousands(axis: Any) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))


def _load_notebook_backend() -> None:
    """In IPython or Jupyter, load matplotlib's configured backend, as pyplot does on its first figure.

    The plots build their figures without pyplot (no global figure state, nothing left open), and Jupyter shows a
    returned Figure only once a backend has registered its display formatters: matplotlib now loads the backend
    lazily, so in a fresh notebook ``result.plot()`` showed the text ``<Figure size 750x240 with 1 Axes>``, no
    picture.  The user's backend choice (inline, widget, a ``%matplotlib`` magic) is the one loaded."""
    import sys

    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    if get_ipython is None or get_ipython() is None:
        return
    import matplotlib.pyplot as plt

    load = getattr(plt, "_get_backend_mod", None)  # matplotlib's own loader (a private name: absent, nothing done)
    if load is not None:
        load()


def _new_figure(figsize: tuple[float, float]) -> Figure:
    from matplotlib.figure import Figure

    _load_notebook_backend()
    return Figure(figsize=figsize, layout="constrained")


def _figure_and_ax(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    fig = _new_figure(figsize)
    return fig, fig.add_subplot()


def _root(fig: Any) -> Figure:
    """The top-level Figure of ``fig`` (itself, or the Figure a SubFigure belongs to): what a plot returns, so
    that ``fig.savefig`` works when the plot was drawn on an ``ax`` of a subfigure."""
    return fig.get_figure(root=True)


def _grid(ax: Axes | None, figsize: tuple[float, float], nrows: int, ncols: int,
          **gridspec_kw: Any) -> tuple[Figure, GridSpecBase]:
    """A grid for a multi-panel figure: a new figure's, or the given ``ax``'s cell split up (``ax`` removed)."""
    if ax is None:
        fig = _new_figure(figsize)
        return fig, fig.add_gridspec(nrows, ncols, **gridspec_kw)
    spec = ax.get_subplotspec()
    if spec is None:
        raise ValueError("this plot has several panels and needs an ax made by add_subplot / subplots")
    fig = ax.figure
    ax.remove()
    return fig, spec.subgridspec(nrows, ncols, **gridspec_kw)


def _interval_label(result: Result) -> str:
    interval = result.interval
    return f"{interval.describe()}: {_fmt(interval.lower)}–{_fmt(interval.upper)}"


# ------------------------------------------------------------------------------------------------ posterior
@_literal_text
def plot_posterior(result: Result, ax: Axes | None = None, *, bins: int | None = None) -> Figure:
    """Posterior of N: histogram of the draws, the interval shaded, the estimate and the documented count marked.

    ``bins`` is the number of histogram bins (default: one per value, at most 60); draws of whole numbers get
    bins of a whole number of values each, so their number is close to ``bins``, not always equal.

    The documented count n (people on at least one list) is a hard lower bound on N and is drawn as a dashed
    line (``gid="observed"``); the estimate as a solid line (``gid="estimate"``) and the interval as a shaded band
    (``gid="interval"``).  The x-axis runs from just below n to the 99.5% quantile of the draws so a long right
    tail does not squash the bulk.  Results without posterior draws (maximum-likelihood and closed-form methods)
    show the point estimate and its confidence interval over the same axis.
    """
    from matplotlib.transforms import ScaledTranslation

    fig, ax = _figure_and_ax(ax, (7.5, 3.6 if result.posterior is not None else 2.4))
    interval = result.interval
    observed = float(result.observed)
    if result.posterior is not None:
        draws = result.draws().astype(float).ravel()
        top = float(np.quantile(draws, 0.995))
        if math.isfinite(interval.upper):
            top = max(top, float(interval.upper))
        low = min(observed, float(draws.min()))
        span = max(top - low, 1.0)
        x_min, x_max = max(low - 0.06 * span, 0.0), top + 0.04 * span
        shown = draws[draws <= x_max]
        n_bins = bins or int(min(60, max(10, np.unique(shown).size)))
        edges: Any = n_bins
        if np.all(shown == np.round(shown)) and shown.size:
            # whole numbers (N): bins of a whole number of values, edges half-way between them — bins 1.1 wide
            # held two values every tenth bin, drawn twice as tall as their neighbours (a false mode)
            width = max(1.0, math.ceil((shown.max() - shown.min() + 1) / n_bins))
            edges = np.arange(shown.min() - 0.5, shown.max() + 0.5 + width, width)
        ax.hist(shown, bins=edges, range=None if not isinstance(edges, int) else (x_min, x_max), density=True,
                color=INTERVAL_COLOR, alpha=0.55, edgecolor="white", linewidth=0.4, gid="draws")
        ax.set_ylabel("posterior density")
        ax.set_yticks([])
        tail = float(np.mean(draws > x_max))
        cut = float(result.diagnostics.get("truncated_mass") or 0.0)  # dga: posterior mass past its grid of N
        if tail > 0 or cut > 1e-4:
            text = f"{tail:.1%} of draws\nbeyond {_fmt(x_max)}" if tail > 0 else ""
            if cut > 1e-4:  # the draws stop at the grid's end: they understate the tail
                share = "an unbounded share" if cut >= 1.0 else f"about {cut:.1%}"
                text += ("\n" if text else "") + f"{share} of the posterior\nbeyond the grid (not drawn)"
            ax.annotate(text, xy=(1, 0.98), xycoords="axes fraction",
                        ha="right", va="top", fontsize=8, color=OBSERVED_COLOR)
        title = f"{result.method}: posterior of the total N ({len(draws):,} draws)"
        if result.details.get("prior_driven"):  # the lists never overlap: the data do not bound N
            title += " — from the priors, not the data"
        warning = _convergence_note(result)
        if warning:
            ax.annotate(warning, xy=(0, 0.98), xycoords="axes fraction", ha="left", va="top", fontsize=8,
                        color=ESTIMATE_COLOR, gid="convergence")
    else:
        # an unbounded estimate or interval (lists that never overlap) has no finite right end: the axis then
        # spans the finite values (at least the documented count) twice over and the band runs off to its edge
        finite = [v for v in (result.estimate, interval.upper, interval.lower, observed) if math.isfinite(v)]
        if math.isfinite(interval.upper):
            right = float(interval.upper)
        elif math.isfinite(result.estimate):
            right = float(result.estimate) * 1.5
        else:
            right = 2.0 * max(finite)
        low = min(observed, interval.lower if math.isfinite(interval.lower) else observed)
        span = max(right - low, 1.0)
        x_min, x_max = max(low - 0.1 * span, 0.0), right + 0.1 * span
        ax.set_ylim(0, 1)
        ax.set_yticks([])
        what = "lower bound of the total N" if result.estimate_kind == "lower bound" else "estimate of the total N"
        if str(result.estimate_kind).startswith("posterior"):  # read back from a .json: no draws kept
            title = f"{result.method}: {what} ({result.estimate_kind}; its draws were not saved)"
        else:
            title = f"{result.method}: {what} (no posterior: {result.estimate_kind})"
    ax.set_xlim(x_min, x_max)
    lower = interval.lower if math.isfinite(interval.lower) else x_min
    upper = interval.upper if math.isfinite(interval.upper) else x_max
    ax.axvspan(lower, upper, color=INTERVAL_COLOR, alpha=0.18, zorder=0, gid="interval", label=_interval_label(result))
    if math.isfinite(result.estimate):
        ax.axvline(result.estimate, color=ESTIMATE_COLOR, linewidth=2, gid="estimate",
                   label=f"{result.estimate_kind}: {_fmt(result.estimate)}")
    else:  # nothing to draw at infinity: say so at the right edge
        ax.annotate(f"{result.estimate_kind}: {_fmt(result.estimate)} (unbounded) →", xy=(1, 0.5),
                    xycoords="axes fraction", ha="right", va="center", fontsize=9, color=ESTIMATE_COLOR,
                    gid="estimate")
    ax.axvline(observed, color=OBSERVED_COLOR, linestyle="--", linewidth=1.5, gid="observed",
               label=f"documented (at least): {_fmt(observed)}")
    ax.set_xlabel("total number of people N")
    _thousands(ax.xaxis)
    # below the x-axis label at a fixed physical distance, whatever the height of the axes
    below = ax.transAxes + ScaledTranslation(0, -0.5, fig.dpi_scale_trans)
    ax.legend(loc="upper left", bbox_to_anchor=(0, 0), bbox_transform=below, fontsize=8, frameon=False, ncols=1)
    ax.set_title(title, fontsize=10)
    ax.spines[["top", "right", "left"]].set_visible(False)
    return _root(fig)


def _convergence_note(result: Result) -> str:
    """"chains not converged: R-hat 1.93, bulk ESS 3" when the diagnostics fail their thresholds, else ""."""
    from estimate.inference_data import ESS_MIN, RHAT_MAX

    diag = result.diagnostics
    parts = []
    r_hat, bulk = diag.get("r_hat"), diag.get("ess_bulk")
    if isinstance(r_hat, (int, float)) and math.isfinite(r_hat) and r_hat > RHAT_MAX:
        parts.append(f"R-hat {r_hat:.3f}")
    if isinstance(bulk, (int, float)) and math.isfinite(bulk) and bulk < ESS_MIN:
        parts.append(f"bulk ESS {bulk:,.0f}")
    return f"chains not converged ({', '.join(parts)}):\nthis picture may be wrong" if parts else ""


# ------------------------------------------------------------------------------------------------ diagnostics
@_literal_text
def plot_trace(result: Result, ax: Axes | None = None, *, var_name: str = "N") -> Figure:
    """Sampler diagnostics of ``var_name`` (default N): per-chain density, trace and rank plots (ArviZ).

    Chains that agree give overlapping densities, traces that wander over the same range and flat rank bars.
    The title carries R-hat and the bulk/tail effective sample sizes from ``result.diagnostics``.
    """
    from matplotlib.ticker import MaxNLocator

    from estimate.inference_data import plot_trace_rank

    if result.posterior is None:
        raise ValueError(f"the {result.method!r} result has no posterior draws to plot a trace of")
    fig, grid = _grid(ax, (11, 3.0), 1, 3, width_ratios=[1, 1.6, 1])
    axes = [fig.add_subplot(grid[0, i]) for i in range(3)]
    plot_trace_rank(result.posterior, axes, var_name=var_name)
    titles = ("density by chain", "trace by chain", "rank plot by chain")
    for axis, text in zip(axes, titles, strict=True):
        axis.set_title(f"{var_name}: {text}", fontsize=9)
        axis.tick_params(labelsize=8)
        axis.xaxis.label.set_fontsize(8)
        axis.yaxis.label.set_fontsize(8)
    _thousands(axes[0].xaxis)
    axes[0].xaxis.set_major_locator(MaxNLocator(3))
    _thousands(axes[1].yaxis)
    axes[1].set_xlabel("draw", fontsize=8)
    diag = result.diagnostics
    parts = []
    for key, label, form in (("r_hat", "R-hat", "{:.3f}"), ("ess_bulk", "bulk ESS", "{:,.0f}"),
                             ("ess_tail", "tail ESS", "{:,.0f}")):
        value = diag.get(key)
        if value is not None and isinstance(value, (int, float)) and math.isfinite(value):
            parts.append(f"{label} {form.format(value)}")
    chains, draws = result.posterior.posterior.sizes["chain"], result.posterior.posterior.sizes["draw"]
    heading = (f"{result.method}: {chains} chain{'s' if chains != 1 else ''} × {draws:,} draws"
               + (f" — {', '.join(parts)}" if parts else ""))
    if ax is None:
        fig.suptitle(heading, fontsize=10)
    else:  # a panel of the caller's figure: its own heading, not the whole figure's title
        axes[1].set_title(f"{heading}\n{var_name}: {titles[1]}", fontsize=9)
    return _root(fig)


# ------------------------------------------------------------------------------------------------ overlaps
def _pattern_counts(data: CaptureData) -> dict[tuple[int, ...], int]:
    counts: dict[tuple[int, ...], int] = {}
    for row, count in zip(data.patterns, data.counts, strict=True):
        key = tuple(int(v) for v in row)
        counts[key] = counts.get(key, 0) + int(count)
    return counts


@_literal_text
def plot_overlap(data: CaptureData, ax: Axes | None = None, *, max_patterns: int = 40) -> Figure:
    """Who is on which lists: a Venn diagram for 2–3 lists, an UpSet plot for 4 or more.

    Stratified data is pooled over its strata first.
    """
    if data.strata_columns:
        data = data.without_strata()
    if data.n_lists <= 3:
        return plot_venn(data, ax)
    return plot_upset(data, ax, max_patterns=max_patterns)


#: Circle centres (radius 1) and label positions of the fixed (not area-proportional) 2- and 3-set layouts.
_VENN_LAYOUT: dict[int, dict[str, Any]] = {
    2: {
        "centres": [(-0.55, 0.0), (0.55, 0.0)],
        "regions": {(1, 0): (-0.95, 0.0), (0, 1): (0.95, 0.0), (1, 1): (0.0, 0.0)},
        "names": [(-0.55, 1.12), (0.55, 1.12)],
        "limits": ((-1.75, 1.75), (-1.3, 1.45)),
    },
    3: {
        "centres": [(-0.55, 0.32), (0.55, 0.32), (0.0, -0.63)],
        "regions": {
            (1, 0, 0): (-0.95, 0.6), (0, 1, 0): (0.95, 0.6), (0, 0, 1): (0.0, -1.15),
            (1, 1, 0): (0.0, 0.78), (1, 0, 1): (-0.62, -0.42), (0, 1, 1): (0.62, -0.42),
            (1, 1, 1): (0.0, 0.0),
        },
        "names": [(-0.95, 1.44), (0.95, 1.44), (0.0, -1.8)],
        "limits": ((-1.8, 1.8), (-2.0, 1.65)),
    },
}


@_literal_text
def plot_venn(data: CaptureData, ax: Axes | None = None) -> Figure:
    """Venn diagram of 2 or 3 lists with the number of people in every region.

    The circles are equal and placed in the fixed textbook layout, not area-proportional: casualty lists often
    differ in size by orders of magnitude, and proportional circles would make small lists and their overlaps
    unreadable.  The numbers carry the information; each list's name is shown with its size.  Circles have
    ``gid="venn-<list>"`` and region labels ``gid="region-<pattern>"`` (e.g. ``"region-101"``).
    """
    from matplotlib.patches import Circle

    if data.strata_columns:
        data = data.without_strata()
    n_lists = data.n_lists
    if n_lists not in _VENN_LAYOUT:
        raise ValueError(f"a Venn diagram needs 2 or 3 lists; the data has {n_lists} (use plot_upset)")
    layout = _VENN_LAYOUT[n_lists]
    fig, ax = _figure_and_ax(ax, (5.2, 4.6) if n_lists == 3 else (5.6, 3.6))
    counts = _pattern_counts(data)
    sizes = data.list_sizes
    colors = ("#4c72b0", "#dd8452", "#55a868")
    shown_names = [_wrapped(name, 22, 2) for name in data.lists]
    for j, (centre, name_xy) in enumerate(zip(layout["centres"], layout["names"], strict=True)):
        name = data.lists[j]
        ax.add_patch(Circle(centre, 1.0, facecolor=colors[j], alpha=0.22, edgecolor=colors[j], linewidth=1.5,
                            gid=f"venn-{name}"))
        ax.text(*name_xy, f"{shown_names[j]}\n{int(sizes[name]):,}", ha="center", va="center", fontsize=10,
                color=colors[j], fontweight="bold")
    for pattern, xy in layout["regions"].items():
        value = counts.get(pattern, 0)
        ax.text(*xy, f"{value:,}", ha="center", va="center", fontsize=10 if value else 9,
                color="black" if value else "0.55", gid="region-" + "".join(map(str, pattern)))
    (x0, x1), (y0, y1) = layout["limits"]
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.axis("off")
    # a name wrapped over two lines reaches above the circles: keep the title clear of it
    ax.set_title(f"People on each combination of lists (documented: {data.observed:,})", fontsize=10,
                 pad=18 if any("\n" in shown for shown in shown_names) else 6)
    return _root(fig)


@_literal_text
def plot_upset(data: CaptureData, ax: Axes | None = None, *, max_patterns: int = 40) -> Figure:
    """UpSet plot (Lex et al. 2014): one bar per observed capture pattern, largest first.

    Below each bar a dot matrix marks the lists of that pattern (dots joined by a line); on the left, horizontal
    bars give each list's size.  Only patterns that occur are drawn (never all 2^J); beyond ``max_patterns`` the
    smallest are left out and the figure says how many people they hold.  Pattern bars have ``gid="pattern"``.
    """
    from matplotlib.ticker import MaxNLocator

    if data.strata_columns:
        data = data.without_strata()
    counts = sorted(_pattern_counts(data).items(), key=lambda item: (-item[1], -sum(item[0]), item[0]))
    hidden = counts[max_patterns:]
    counts = counts[:max_patterns]
    n_lists, n_bars = data.n_lists, len(counts)
    width = min(max(6.0, 2.2 + 0.34 * n_bars), 16.0)
    height = 3.0 + 0.32 * n_lists
    fig, grid = _grid(ax, (width, height), 2, 2, width_ratios=[1.1, max(3.0, 0.3 * n_bars)],
                      height_ratios=[2.4, 0.26 * n_lists + 0.4], wspace=0.02, hspace=0.02)
    ax_bars = fig.add_subplot(grid[0, 1])
    ax_matrix = fig.add_subplot(grid[1, 1], sharex=ax_bars)
    ax_sizes = fig.add_subplot(grid[1, 0], sharey=ax_matrix)
    xs = np.arange(n_bars)
    values = np.array([count for _, count in counts], dtype=float)
    ax_bars.bar(xs, values, width=0.65, color=ESTIMATE_COLOR, gid="pattern")
    for x, value in zip(xs, values, strict=True):
        ax_bars.annotate(f"{value:,.0f}", xy=(x, value), xytext=(0, 2), textcoords="offset points", ha="center",
                         va="bottom", fontsize=7, rotation=90 if n_bars > 20 else 0)
    ax_bars.set_ylabel("people with this pattern", fontsize=8)
    ax_bars.set_ylim(0, values.max() * (1.25 if n_bars <= 20 else 1.4))
    _thousands(ax_bars.yaxis)
    ax_bars.spines[["top", "right", "bottom"]].set_visible(False)
    ax_bars.tick_params(axis="x", bottom=False, labelbottom=False)
    ax_bars.tick_params(axis="y", labelsize=8)
    shown = f"{n_bars} of {n_bars + len(hidden)} observed patterns" if hidden else f"{n_bars} observed patterns"
    title = f"People on each combination of lists\n{shown}; documented: {data.observed:,}"
    if hidden:
        title += f"\n{len(hidden)} smaller patterns with {sum(c for _, c in hidden):,} people not shown"
    ax_bars.set_title(title, fontsize=10)

    ys = np.arange(n_lists)[::-1]  # first list on top
    for y in ys[::2]:
        ax_matrix.axhspan(y - 0.5, y + 0.5, color="0.95", zorder=0)
    for x, (pattern, _) in zip(xs, counts, strict=True):
        on = np.array(pattern, dtype=bool)
        ax_matrix.scatter(np.full(int((~on).sum()), x), ys[~on], s=36, color=MUTED_COLOR, zorder=1)
        if on.sum() > 1:
            ax_matrix.vlines(x, ys[on].min(), ys[on].max(), color="0.15", linewidth=1.8, zorder=2)
        ax_matrix.scatter(np.full(int(on.sum()), x), ys[on], s=36, color="0.15", zorder=3)
    ax_matrix.set_yticks(ys, [_wrapped(name, 28) for name in data.lists], fontsize=9)
    ax_matrix.set_ylim(-0.5, n_lists - 0.5)
    ax_matrix.set_xlim(-0.6, n_bars - 0.4)
    ax_matrix.tick_params(axis="both", length=0, labelbottom=False)
    ax_matrix.tick_params(axis="y", labelleft=False, labelright=False)
    for spine in ax_matrix.spines.values():
        spine.set_visible(False)
    for y, name in zip(ys, data.lists, strict=True):  # list names between the size bars and the matrix
        ax_matrix.annotate(name, xy=(0, y), xycoords=("axes fraction", "data"), xytext=(-4, 0),
                           textcoords="offset points", ha="right", va="center", fontsize=9)

    sizes = data.list_sizes.to_numpy(dtype=float)
    ax_sizes.barh(ys, sizes, height=0.6, color=OBSERVED_COLOR, gid="list-size")
    ax_sizes.invert_xaxis()
    ax_sizes.set_xlim(sizes.max() * 1.35, 0)
    for y, size in zip(ys, sizes, strict=True):
        ax_sizes.annotate(f"{size:,.0f}", xy=(size, y), xytext=(-2, 0), textcoords="offset points", ha="right",
                          va="center", fontsize=7)
    ax_sizes.set_xlabel("list size", fontsize=8)
    ax_sizes.tick_params(axis="y", left=False, labelleft=False)
    ax_sizes.tick_params(axis="x", labelsize=7)
    ax_sizes.xaxis.set_major_locator(MaxNLocator(2))
    _thousands(ax_sizes.xaxis)
    ax_sizes.spines[["top", "left", "right"]].set_visible(False)
    return _root(fig)


def _wrapped(name: str, width: int, max_lines: int = 3) -> str:
    """A list name in lines of at most ``width`` characters, and at most ``max_lines`` of them (long names
    overprinted each other and ran off the figure); the name in full is in the data and the tables."""
    lines = textwrap.wrap(str(name), width, break_long_words=True) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: width - 1] + "…"
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------ strata
@_literal_text
def plot_strata(strata_result: StrataResult, ax: Axes | None = None, *, totals_by: str | Sequence[str] | None = None,
                max_strata: int = 40) -> Figure:
    """Dot-and-interval plot per stratum, with the documented count of each, and the total(s) in a lower panel.

    Each stratum row shows its estimate (dot), interval (line) and documented count (``|`` marker); strata that
    could not be estimated show only the documented count and the reason.  The lower panel, on its own x-scale,
    shows the overall total from :meth:`StrataResult.total` (summed posterior draws, or summed estimates with a
    log-normal interval for non-Bayesian methods) and, with ``totals_by``, subtotals.  With more than
    ``max_strata`` strata the largest (by documented count) are shown and the title says how many are left out.
    """
    table = strata_result.summary()
    documented = float(table["observed"].sum())  # of every stratum, shown or not
    by = list(strata_result.by)
    table["label"] = table[by].astype(str).agg(" / ".join, axis=1)
    left_out = 0
    if len(table) > max_strata:
        left_out = len(table) - max_strata
        table = table.sort_values("observed", ascending=False).head(max_strata)
    try:
        totals = strata_result.total()
    except DataError:  # read from .json: no draws to add up; the strata still plot, the totals panel says why
        totals = pd.DataFrame({"observed": [documented], "estimate": [math.nan],
                               "lower": [math.nan], "upper": [math.nan],
                               "reason": ["no total: this result holds no posterior draws (load its .nc file)"]})
        totals_by = None
    totals["label"] = "all strata"
    if totals_by is not None:
        sub = strata_result.total(totals_by)
        cols = [totals_by] if isinstance(totals_by, str) else list(totals_by)
        sub["label"] = sub[cols].astype(str).agg(" / ".join, axis=1)
        totals = pd.concat([sub, totals], ignore_index=True)
    n_rows, n_totals = len(table), len(totals)
    fig, grid = _grid(ax, (8.5, 1.6 + 0.28 * (n_rows + n_totals)), 2, 1,
                      height_ratios=[max(n_rows, 1) + 0.8, n_totals + 0.8])
    ax_strata = fig.add_subplot(grid[0, 0])
    ax_totals = fig.add_subplot(grid[1, 0])
    level = float(strata_result.level)

    def draw(axis: Axes, frame: pd.DataFrame, color: str, gid: str) -> None:
        ys = np.arange(len(frame))[::-1]
        finite = frame[["observed", "estimate", "lower", "upper"]].to_numpy(float)
        finite = finite[np.isfinite(finite)]
        high = float(finite.max()) if finite.size else 1.0
        axis.set_xlim(0, high * 1.08)
        for y, (_, row) in zip(ys, frame.iterrows(), strict=True):
            axis.plot([row["observed"]], [y], marker="|", markersize=11, color=OBSERVED_COLOR, gid="observed")
            if not math.isfinite(row["estimate"]):
                reason = row.get("reason") or "not estimated"
                reason = str(reason)
                if len(reason) > 70:  # the first clause whole ("…never overlap, so the total is unbounded")
                    reason = reason.split(": ")[0] if len(reason.split(": ")[0]) <= 70 else reason[:69] + "…"
                axis.annotate(reason, xy=(row["observed"], y), xytext=(6, 0), textcoords="offset points",
                              va="center", fontsize=7, style="italic", color=OBSERVED_COLOR)
                continue
            upper = row["upper"] if math.isfinite(row["upper"]) else high * 1.08
            axis.hlines(y, row["lower"], upper, color=color, linewidth=2, alpha=0.6)
            if not math.isfinite(row["upper"]):  # no upper limit: an arrow off the edge, not a finite end
                axis.annotate("", xy=(high * 1.08, y), xytext=(high * 1.08 - 0.04 * high, y),
                              arrowprops={"arrowstyle": "->", "color": color})
            axis.plot([row["estimate"]], [y], "o", color=color, markersize=5, gid=gid)
        axis.set_yticks(ys, frame["label"].tolist(), fontsize=8)
        axis.set_ylim(-0.7, len(frame) - 0.3)
        axis.grid(axis="x", color="0.92")
        axis.set_axisbelow(True)
        _thousands(axis.xaxis)
        axis.tick_params(axis="x", labelsize=8)
        axis.spines[["top", "right"]].set_visible(False)

    draw(ax_strata, table, ESTIMATE_COLOR, "stratum")
    draw(ax_totals, totals, TOTAL_COLOR, "total")
    kinds = table.loc[table["interval_kind"].astype(str) != "", "interval_kind"].unique()
    kind = str(kinds[0]) if len(kinds) == 1 else strata_result.interval_kind
    # Chao's estimates are all lower bounds; dga's only where its posterior runs past the grid
    bounds = table.get("estimate_kind", pd.Series("", index=table.index)).astype(str) == "lower bound"
    estimated = table["interval_kind"].astype(str) != ""
    what = ("lower bound" if estimated.any() and bounds[estimated].all()
            else "estimate (some only lower bounds)" if bounds.any() else "estimate")
    title = (f"{strata_result.method} by {' × '.join(by)}: {what} (dot), "
             f"{level_percent(level)} {interval_name(kind)} interval ({kind}, line), documented count (|)")
    if left_out:
        title += f"\n{left_out} smaller strata not shown (they are in the totals)"
    ax_strata.set_title(title, fontsize=9)
    not_estimated = int(totals["strata_not_estimated"].iloc[-1]) if "strata_not_estimated" in totals else 0
    note = (f"; {not_estimated} strata not estimated count as their documented number, so no upper limit"
            if not_estimated else "")
    total_kinds = totals["interval_kind"].astype(str).unique() if "interval_kind" in totals else []
    total_kind = f", {total_kinds[0]} intervals" if len(total_kinds) == 1 and total_kinds[0] != kind else ""
    bound_note = ("; sums of lower bounds" if what == "lower bound"
                  else "; some sums include lower bounds" if bounds.any() else "")
    ax_totals.set_title(f"Totals (summed over strata{total_kind}{note}{bound_note})", fontsize=9)
    ax_totals.set_xlabel("total number of people N", fontsize=8)
    return _root(fig)


# ------------------------------------------------------------------------------------------------ methods
@_literal_text
def plot_forest(comparison: Comparison | pd.DataFrame, ax: Axes | None = None, *, observed: int | None = None,
                title: str | None = None) -> Figure:
    """Forest plot of several methods: each estimate and interval, the documented count as a dashed line.

    ``comparison`` is a :class:`~estimate.compare.Comparison` or its ``table`` (then ``observed`` defaults to the
    table's ``observed`` column).  Rows run top to bottom in the order given; methods that did not produce an
    estimate are listed with the reason.  Estimate markers have ``gid="estimate"``, the documented count line
    ``gid="observed"``.
    """
    ensure_writable_caches()
    import matplotlib

    if isinstance(comparison, pd.DataFrame):
        table = comparison
        if observed is None:
            # the data's documented count: the largest any row documents (a two-list method given lists=
            # documents only the people on its two lists)
            observed = int(table["observed"].max()) if len(table) and table["observed"].notna().any() else 0
    else:
        table = comparison.table
        observed = comparison.observed if observed is None else observed
    # methods whose interval comes from their priors (e.g. lists that never overlap): drawn dashed and labelled,
    # not as an estimate like the others (the sentence and the printed result say so too)
    results = {} if isinstance(comparison, pd.DataFrame) else comparison.results
    prior_driven = {label for label, result in results.items() if result.details.get("prior_driven")}
    ok_status = "ok"
    fig, ax = _figure_and_ax(ax, (10, 1.2 + 0.6 * max(len(table), 1)))
    n_rows = len(table)
    ys = np.arange(n_rows)[::-1]
    ok_rows = table[table["status"] == ok_status]
    finite = np.concatenate([ok_rows["lower"].to_numpy(float), ok_rows["upper"].to_numpy(float),
                             ok_rows["estimate"].to_numpy(float), [float(observed)]])
    finite = finite[np.isfinite(finite)]
    low, high = float(finite.min()), float(finite.max())
    span = max(high - low, 0.5 * max(high, 1.0))  # all values equal (e.g. no finite estimate): still an axis
    x_min, x_max = max(low - 0.08 * span, 0.0), high + 0.08 * span
    ax.set_xlim(x_min, x_max)
    ax.set_ylim(-0.7, n_rows - 0.3)
    ax.axvline(observed, color="0.35", linestyle="--", linewidth=1.2, zorder=1, gid="observed")
    ax.annotate(f"documented n = {observed:,}", xy=(observed, n_rows - 0.35), xytext=(4, 0),
                textcoords="offset points", fontsize=8, color="0.3", va="top")
    colors = matplotlib.colormaps["tab10"]
    labels = []
    mixed_levels = len(table.loc[table["status"] == ok_status, "level"].dropna().unique()) > 1
    for i, (y, (_, row)) in enumerate(zip(ys, table.iterrows(), strict=True)):
        kind = row["interval_kind"] if isinstance(row["interval_kind"], str) else ""
        if kind:
            kind = "no upper limit" if kind == "none" else f"{interval_name(kind)} ({kind})"
            if mixed_levels and pd.notna(row["level"]):  # the title cannot name one level: each row says its own
                kind = f"{level_percent(row['level'])} {kind}"
        if row.get("estimate_kind") == "lower bound":  # not an estimate of N: a bound below it
            kind = f"{kind}, lower bound" if kind else "lower bound"
        driven = row["method"] in prior_driven
        if driven:
            kind = f"{kind}, from the priors" if kind else "from the priors"
        if pd.notna(row.get("observed")) and int(row["observed"]) < observed:  # e.g. Chapman on two of the lists
            kind = (f"{kind}; " if kind else "") + f"documents {int(row['observed']):,}"
        labels.append(f"{row['method']}\n{kind}" if kind else str(row["method"]))
        if row["status"] != ok_status:
            reason = str(row["reason"]) if row["reason"] else ""
            if len(reason) > 95:  # the first sentence says why; the rest (advice, lists of names) is in the table
                reason = reason.split(". ")[0].split("; available")[0]
                reason = reason if len(reason) <= 95 else reason[:92] + "..."
            ax.text(x_min + 0.01 * (x_max - x_min), y, f"{row['status']}: {reason}", va="center", fontsize=8,
                    style="italic", color="0.3", bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0})
            continue
        color = colors(i % 10)
        lower, upper, estimate = float(row["lower"]), float(row["upper"]), float(row["estimate"])
        right = upper if math.isfinite(upper) else x_max
        ax.hlines(y, lower, right, color=color, linewidth=2.5, zorder=2, linestyles="dashed" if driven else "solid")
        if math.isfinite(upper) and row.get("estimate_kind") == "lower bound":
            # the interval is the bound's: the total itself may lie anywhere above it (a dotted, open right end)
            ax.hlines(y, upper, x_max, color=color, linewidth=1.0, linestyles="dotted", zorder=2, gid="open_above")
        if not math.isfinite(upper) or row.get("estimate_kind") == "lower bound":
            ax.annotate("", xy=(x_max, y), xytext=(x_max - 0.03 * (x_max - x_min), y),
                        arrowprops={"arrowstyle": "->", "color": color})
        if not math.isfinite(estimate):  # lists that never overlap: a marker at ∞ would be drawn nowhere
            ax.annotate(f"no finite estimate  [{_fmt(lower)}, {_fmt(upper)}]", xy=(lower, y), xytext=(4, 7),
                        textcoords="offset points", ha="left", fontsize=8)
            continue
        ax.plot([estimate], [y], "o", color=color, markersize=7, zorder=3, gid="estimate")
        note = "  (from the priors, not the data)" if driven else ""
        # centred on the estimate, unless that would run off the left edge into the method names
        near_left = estimate - x_min < 0.2 * (x_max - x_min)
        bound = "≥ " if row.get("estimate_kind") == "lower bound" else ""
        ax.annotate(f"{bound}{_fmt(estimate)}  [{_fmt(lower)}, {_fmt(upper)}]{note}", xy=(estimate, y),
                    xytext=(-4 if near_left else 0, 7), textcoords="offset points",
                    ha="left" if near_left else "center", fontsize=8)
    ax.set_yticks(ys, labels, fontsize=9)
    ax.set_xlabel("estimated total number of people N")
    ax.grid(axis="x", color="0.9")
    ax.set_axisbelow(True)
    levels = ok_rows["level"].dropna().unique()
    level_text = f"{level_percent(levels[0])} intervals" if len(levels) == 1 else "intervals"
    any_bound = "estimate_kind" in ok_rows and bool((ok_rows["estimate_kind"] == "lower bound").any())
    bounds = " (or lower bounds, ≥)" if any_bound else ""
    ax.set_title(title or f"Estimates of the total{bounds} with {level_text} (dashed: documented count)", fontsize=11)
    _thousands(ax.xaxis)
    return _root(fig)
