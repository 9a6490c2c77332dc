"""Figures of estimate.plots, each drawn from a fixed seed and checked for what it shows (not only that it runs)."""

from __future__ import annotations

import math
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

import estimate
from estimate import plots
from estimate.estimators import LCMCR, LogLinear
from estimate.simulate import scenario

pytestmark = pytest.mark.filterwarnings("ignore::estimate.ConvergenceWarning")


@pytest.fixture(scope="module")
def lcmcr_result(kosovo: estimate.CaptureData) -> estimate.Result:
    return LCMCR(burn_in=1000, draws=500, thinning=2, chains=2, seed=1).fit(kosovo)


@pytest.fixture(scope="module")
def strata_result() -> estimate.StrataResult:
    data = scenario("strata", seed=3).data
    return estimate.fit_strata(data, by="stratum", estimator=LCMCR(burn_in=300, draws=100, thinning=2, chains=2),
                               seed=5)


def by_gid(fig: Figure, gid: str) -> list:
    return fig.findobj(lambda artist: artist.get_gid() == gid)


def test_posterior_marks_documented_count_estimate_and_interval(lcmcr_result: estimate.Result) -> None:
    fig = plots.plot_posterior(lcmcr_result)
    (observed,) = by_gid(fig, "observed")
    (estimate_line,) = by_gid(fig, "estimate")
    (band,) = by_gid(fig, "interval")
    assert list(observed.get_xdata()) == [4_400, 4_400]
    assert estimate_line.get_xdata()[0] == pytest.approx(np.median(lcmcr_result.draws()))
    assert band.get_x() == pytest.approx(lcmcr_result.interval.lower)
    assert band.get_x() + band.get_width() == pytest.approx(lcmcr_result.interval.upper)
    ax = fig.axes[0]
    assert ax.get_xlim()[0] < 4_400 < ax.get_xlim()[1]
    bars = by_gid(fig, "draws")
    assert len(bars) >= 10  # the histogram of the draws
    assert sum(bar.get_height() * bar.get_width() for bar in bars) == pytest.approx(1.0)  # a density
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("95% credible interval (equal-tailed)" in t for t in labels)
    assert any("documented (at least): 4,400" in t for t in labels)


def test_posterior_of_a_non_bayesian_result_shows_estimate_and_confidence_interval(kosovo) -> None:
    result = LogLinear(terms="independence").fit(kosovo)
    fig = result.plot()
    assert by_gid(fig, "estimate")[0].get_xdata()[0] == pytest.approx(result.estimate)
    assert list(by_gid(fig, "observed")[0].get_xdata()) == [4_400, 4_400]
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any("confidence interval (profile-likelihood)" in t for t in labels)
    assert "no posterior" in fig.axes[0].get_title()


def test_trace_has_density_trace_and_rank_panels_with_diagnostics(lcmcr_result: estimate.Result) -> None:
    fig = lcmcr_result.plot(kind="trace")
    density, trace, rank = fig.axes
    assert len(trace.get_lines()) == 2  # one line per chain
    assert len(trace.get_lines()[0].get_ydata()) == 500
    assert len(rank.patches) > 0  # rank bars
    assert f"R-hat {lcmcr_result.diagnostics['r_hat']:.3f}" in fig.get_suptitle()
    assert "2 chains × 500 draws" in fig.get_suptitle()
    with pytest.raises(ValueError, match="no posterior draws"):
        plots.plot_trace(LogLinear(terms="independence").fit(estimate.datasets.load("kosovo")))


def test_upset_has_one_bar_per_observed_pattern_largest_first(kosovo: estimate.CaptureData) -> None:
    fig = plots.plot_overlap(kosovo)
    bars = by_gid(fig, "pattern")
    heights = [bar.get_height() for bar in bars]
    assert len(bars) == kosovo.n_patterns == 15
    assert heights == sorted(kosovo.counts.tolist(), reverse=True)
    sizes = sorted(bar.get_width() for bar in by_gid(fig, "list-size"))
    assert sizes == sorted(kosovo.list_sizes.tolist())


def test_upset_leaves_out_small_patterns_and_says_so() -> None:
    data = estimate.datasets.load("uk_modern_slavery_2013")
    fig = plots.plot_upset(data, max_patterns=10)
    assert len(by_gid(fig, "pattern")) == 10
    hidden = np.sort(data.counts)[: data.n_patterns - 10].sum()
    assert f"{data.n_patterns - 10} smaller patterns with {hidden:,} people not shown" in fig.axes[0].get_title()
    assert f"10 of {data.n_patterns} observed patterns" in fig.axes[0].get_title()  # was "10 observed patterns"


def test_venn_for_three_lists_shows_every_region(kosovo: estimate.CaptureData) -> None:
    data = kosovo.select_lists(["EXH", "ABA", "OSCE"])
    fig = plots.plot_overlap(data)
    circles = [a for a in fig.findobj() if str(a.get_gid()).startswith("venn-")]
    assert sorted(c.get_gid() for c in circles) == ["venn-ABA", "venn-EXH", "venn-OSCE"]
    records = data.to_records()
    for pattern in ("100", "010", "001", "110", "101", "011", "111"):
        (label,) = by_gid(fig, f"region-{pattern}")
        expected = int((records[list(data.lists)].astype(str).agg("".join, axis=1) == pattern).sum())
        assert label.get_text() == f"{expected:,}"
    assert sum(int(t.get_text().replace(",", "")) for t in fig.findobj(
        lambda a: str(a.get_gid()).startswith("region-"))) == data.observed


def test_venn_for_two_lists_and_overlap_with_a_given_ax(kosovo: estimate.CaptureData) -> None:
    data = kosovo.select_lists(["EXH", "HRW"])
    user_fig = Figure()
    ax = user_fig.add_subplot()
    assert plots.plot_overlap(data, ax) is user_fig
    assert by_gid(user_fig, "region-11")[0].get_text() == f"{int(kosovo.overlaps().loc['EXH', 'HRW']):,}"
    with pytest.raises(ValueError, match="2 or 3 lists"):
        plots.plot_venn(kosovo)


def test_plots_drawn_on_a_subfigure_return_the_figure_that_can_be_saved(lcmcr_result, kosovo, tmp_path) -> None:
    user_fig = Figure()
    left, right = user_fig.subfigures(1, 2)
    assert plots.plot_posterior(lcmcr_result, left.add_subplot()) is user_fig
    assert plots.plot_trace(lcmcr_result, right.add_subplot()) is user_fig  # a multi-panel plot, split in place
    assert plots.plot_overlap(kosovo.select_lists(["EXH", "HRW"]), left.add_subplot()) is user_fig
    user_fig.savefig(tmp_path / "both.png")  # a SubFigure has no savefig: the plots return the Figure
    assert (tmp_path / "both.png").stat().st_size > 0


def test_strata_plot_has_a_dot_per_stratum_and_the_total(strata_result: estimate.StrataResult) -> None:
    fig = strata_result.plot()
    summary = strata_result.summary()
    dots = sorted(line.get_xdata()[0] for line in by_gid(fig, "stratum"))
    assert dots == sorted(summary["estimate"].tolist())
    (total,) = by_gid(fig, "total")
    assert total.get_xdata()[0] == pytest.approx(strata_result.total()["estimate"].iloc[0])
    observed = sorted(line.get_xdata()[0] for line in by_gid(fig, "observed"))
    assert observed == sorted([*summary["observed"].tolist(), summary["observed"].sum()])


def test_forest_plot_is_shared_by_compare_and_plots(kosovo: estimate.CaptureData) -> None:
    comparison = estimate.compare(kosovo, ["chapman", "loglinear"], seed=1)
    fig = plots.plot_forest(comparison)
    (marker,) = by_gid(fig, "estimate")
    assert marker.get_xdata()[0] == pytest.approx(comparison.results["loglinear"].estimate)
    assert list(by_gid(fig, "observed")[0].get_xdata()) == [4_400, 4_400]
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any(t.startswith("not applicable:") for t in texts)
    again = comparison.plot()
    assert [t.get_text() for t in again.axes[0].texts] == texts


def test_plots_never_open_pyplot_figures(lcmcr_result, kosovo) -> None:
    before = plt.get_fignums()
    for fig in (plots.plot_posterior(lcmcr_result), plots.plot_trace(lcmcr_result), plots.plot_overlap(kosovo)):
        assert isinstance(fig, Figure)
        assert math.isfinite(fig.get_figwidth())
    assert plt.get_fignums() == before


def test_forest_plot_names_each_level_when_they_differ(kosovo: estimate.CaptureData) -> None:
    """A 90% and a 95% interval looked alike: the title says "intervals" and the rows only named their kind."""
    from estimate.estimators.rcapture import Mt

    comparison = estimate.compare(kosovo, [Mt(level=0.9), "chao"], seed=1)
    labels = [t.get_text() for t in plots.plot_forest(comparison).axes[0].get_yticklabels()]
    assert any("90% confidence" in label for label in labels) and any("95% confidence" in label for label in labels)
    same = [t.get_text() for t in plots.plot_forest(estimate.compare(kosovo, ["mt", "chao"])).axes[0].get_yticklabels()]
    assert not any("95%" in label for label in same)  # one level: said once, in the title


def test_unbounded_estimate_is_drawn_not_a_crash() -> None:
    """Lists that never overlap give N = ∞: plot_posterior raised "Axis limits cannot be NaN or Inf" (and so did
    ``estimate report``)."""
    import pandas as pd

    data = estimate.CaptureData.from_frame(pd.DataFrame({"A": [1, 0, 0], "B": [0, 1, 0], "C": [0, 0, 1],
                                                         "count": [30, 40, 50]}))
    with pytest.warns(estimate.UninformativeDataWarning):
        result = LogLinear().fit(data)
    assert result.estimate == math.inf
    fig = result.plot()
    low, high = fig.axes[0].get_xlim()
    assert math.isfinite(high) and low <= 120 < high
    (note,) = by_gid(fig, "estimate")
    assert "unbounded" in note.get_text()


def test_forest_marks_a_lower_bound_and_strata_title_names_the_interval(kosovo, strata_result) -> None:
    labels = [t.get_text() for t in plots.plot_forest(estimate.compare(kosovo, ["chao", "mt"])).axes[0]
              .get_yticklabels()]
    assert [label for label in labels if "lower bound" in label] == [label for label in labels if "chao" in label]
    # the bound's interval ends at its upper limit, the total does not: a dotted line runs on to the right edge
    axes = plots.plot_forest(estimate.compare(kosovo, ["chao", "mt"])).axes[0]
    open_above = [c for c in axes.collections if c.get_gid() == "open_above"]
    assert len(open_above) == 1 and open_above[0].get_segments()[0][-1][0] == axes.get_xlim()[1]
    title = strata_result.plot().axes[0].get_title()
    assert "credible interval (equal-tailed" in title


@pytest.mark.parametrize("name", ["plot_overlap", "plot_venn", "plot_upset"])
@pytest.mark.parametrize("n_lists", [3, 4])
def test_list_names_with_dollar_signs_are_drawn_literally(name: str, n_lists: int) -> None:
    # "$\frac$" went through matplotlib's mathtext: ValueError at savefig (and "$x$" came out in italics)
    import io

    names = ["$\\frac$", "B_$x^$", "$x$", "D"][:n_lists]
    if name == "plot_venn" and n_lists > 3:
        return  # Venn diagrams are drawn for 2-3 lists
    sim = scenario("independent", seed=3)
    frame = sim.data.select_lists(list(sim.data.lists)[:n_lists]).to_frame()
    frame = frame.rename(columns=dict(zip(list(sim.data.lists)[:n_lists], names, strict=True)))
    data = estimate.CaptureData.from_aggregated(frame, lists=names, count="count")
    fig = getattr(plots, name)(data)
    fig.savefig(io.BytesIO(), format="png")
    texts = [t for t in fig.findobj(lambda a: hasattr(a, "get_parse_math")) if "$" in t.get_text()]
    assert all(any(n in t.get_text() for t in texts) for n in names if "$" in n)  # every name is drawn
    assert not any(t.get_parse_math() for t in texts)


def test_strata_plot_of_a_result_read_from_json_and_an_unbounded_total(tmp_path) -> None:
    """Plotting a StrataResult read back from .json raised (no draws for the totals); an infinite upper end of
    a total was drawn as a line stopping at the axis edge, as if finite."""
    import pandas as pd

    from estimate import CaptureData, fit_strata, load_result

    frame = pd.DataFrame({"A": [1, 0, 1, 1, 0], "B": [0, 1, 1, 0, 1], "region": ["n", "n", "n", "s", "s"],
                          "count": [30, 20, 10, 25, 15]})
    data = CaptureData.from_aggregated(frame, lists=["A", "B"], strata="region")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = fit_strata(data, by="region", method="chapman")  # s: no overlap, no upper limit
        figure = plots.plot_strata(result)
    assert result.total()["upper"].iloc[0] == float("inf")
    arrows = [t for ax in figure.axes for t in ax.texts if getattr(t, "arrow_patch", None) is not None]
    assert arrows
    from estimate.estimators import LCMCR

    three = CaptureData.from_aggregated(frame.assign(C=[1, 1, 0, 0, 1]), lists=["A", "B", "C"], strata="region")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bayes = fit_strata(three, by="region", estimator=LCMCR(burn_in=50, draws=20, thinning=1, chains=2, seed=1))
        back = load_result(bayes.save(tmp_path / "strata.json"))  # summaries only: no draws to sum
        figure = plots.plot_strata(back)
    assert any("no posterior draws" in t.get_text() for ax in figure.axes for t in ax.texts)


def test_long_list_names_are_wrapped_in_the_venn_and_upset_plots() -> None:
    """Names of 40+ characters overprinted each other in the Venn diagram and ran off the figure."""
    from estimate import CaptureData

    names = ["Violations Documentation Center (VDC) field reports", "Syrian Network for Human Rights monthly list",
             "Civil defence first responders"]
    data = CaptureData([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]],
                       [50, 40, 30, 20, 10, 5, 3], names)
    figure = plots.plot_overlap(data)
    labels = [t.get_text() for t in figure.axes[0].texts if t.get_text().split("\n")[-1].replace(",", "").isdigit()
              and not t.get_text().isdigit()]
    assert len(labels) == 3
    for label in labels:  # at most two lines of at most 22 characters, then the list size
        lines = label.split("\n")
        assert len(lines) <= 3 and all(len(line) <= 22 for line in lines[:-1])
    assert any("…" in label for label in labels)
    plt.close(figure)


def test_prior_driven_rows_and_strata_lower_bounds_are_labelled() -> None:
    """A dga interval that comes from the priors (lists that never overlap) was drawn as an ordinary estimate in
    the forest plot; a stratified Chao plot called its lower bounds estimates."""
    import warnings

    import pandas as pd

    import estimate
    from estimate import CaptureData

    never = CaptureData.from_aggregated(pd.DataFrame({"A": [1, 0, 0], "B": [0, 1, 0], "C": [0, 0, 1],
                                                      "count": [50, 40, 30]}), count="count")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        comparison = estimate.compare(never, ["loglinear", "dga"], seed=1)
        sim = estimate.simulate.scenario("strata", seed=1)
        chao = estimate.fit_strata(sim.data, by="stratum", method="chao")
    labels = [tick.get_text() for tick in comparison.plot().axes[0].get_yticklabels()]
    assert any("dga" in label and "from the priors" in label for label in labels)
    assert not any("loglinear" in label and "priors" in label for label in labels)
    figure = chao.plot()
    assert "lower bound (dot)" in figure.axes[0].get_title()
    assert "sums of lower bounds" in figure.axes[1].get_title()


def test_a_truncated_dga_posterior_says_its_tail_is_not_drawn_and_compare_names_interval_kinds() -> None:
    """The plot of a dga fit with 4.9% of its posterior past the grid said only "0.3% of draws beyond …"; the
    compare table's kind column read "95% log-normal" without saying confidence or credible."""
    import warnings

    import pandas as pd

    import estimate
    from estimate import CaptureData

    never = CaptureData.from_aggregated(pd.DataFrame({"A": [1, 0, 0], "B": [0, 1, 0], "C": [0, 0, 1],
                                                      "count": [50, 40, 30]}), count="count")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = estimate.make_estimator("dga", seed=1).fit(never)
    assert result.diagnostics["truncated_mass"] > 1e-4
    texts = [text.get_text() for text in result.plot().axes[0].texts]
    assert any("of the posterior\nbeyond the grid (not drawn)" in text for text in texts)
    comparison = estimate.compare(estimate.datasets.load("kosovo"), ["chao", "dga"], seed=1)
    assert "95% confidence (log-normal)" in str(comparison) and "95% credible (equal-tailed)" in str(comparison)


def test_the_strata_plot_gives_a_reason_whole_and_dga_draws_are_called_independent() -> None:
    """Reasons were cut at 70 characters mid-clause ("…never overlap, so the total"); dga's exact draws were
    captioned as an MCMC trace."""
    import warnings

    import pandas as pd

    import estimate
    from estimate import CaptureData
    from estimate.report import make_report

    rows = [dict(A=a, B=b, C=c, count=n, region=r) for r, table in (
        ("good", {(1, 0, 0): 60, (0, 1, 0): 50, (0, 0, 1): 40, (1, 1, 0): 20, (1, 0, 1): 15, (0, 1, 1): 12}),
        ("apart", {(1, 0, 0): 30, (0, 1, 0): 30, (0, 0, 1): 30})) for (a, b, c), n in table.items()]
    data = CaptureData.from_aggregated(pd.DataFrame(rows), lists=["A", "B", "C"], count="count", strata="region")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = estimate.fit_strata(data, by="region", method="loglinear")
        texts = [t.get_text() for t in fitted.plot().axes[0].texts]
        assert "no one is on two or more lists" in texts
        # the totals of profile-likelihood strata are log-normal: the totals panel says so (it named no kind)
        both = CaptureData.from_aggregated(pd.concat([pd.DataFrame(rows[:6]), pd.DataFrame(rows[:6]).assign(
            region="again")]), lists=["A", "B", "C"], count="count", strata="region")
        title = estimate.fit_strata(both, by="region", method="loglinear").plot().axes[1].get_title()
        assert "log-normal intervals" in title, title
        html = make_report(estimate.datasets.load("kosovo"), methods=["dga"], seed=1)
    assert "dga: independent draws from the exact posterior" in html


def test_the_forest_plot_of_a_table_marks_the_datas_documented_count_and_rows_that_document_fewer(kosovo) -> None:
    """plot_forest(table) drew the documented-count line at the first row's count: Chapman on two of Kosovo's
    four lists put it at 3,035 for every row; Comparison.plot() did not say Chapman's row documents fewer; a
    lower bound's annotation had no ≥ (a plots audit's finds)."""
    comparison = estimate.compare(kosovo, ["chapman", "loglinear", "chao"], seed=1,
                                  models={"chapman": {"lists": ("EXH", "ABA")}})
    for figure in (plots.plot_forest(comparison.table), comparison.plot()):
        line = by_gid(figure, "observed")[0]
        assert list(line.get_xdata()) == [4400, 4400]
        labels = [tick.get_text() for tick in figure.axes[0].get_yticklabels()]
        assert "documents 3,035" in labels[0] and not any("documents" in label for label in labels[1:])
        texts = [text.get_text() for text in figure.axes[0].texts]
        assert any(text.startswith("≥ 8,803") for text in texts), texts
        assert "(or lower bounds, ≥)" in figure.axes[0].get_title()
    # a table without the estimate_kind column (an older file's) still plots (a review's find)
    bare = plots.plot_forest(comparison.table.drop(columns="estimate_kind"))
    assert "lower bounds" not in bare.axes[0].get_title()


def test_whole_number_draws_get_whole_number_bins(kosovo) -> None:
    """Bins 1.1 people wide held two values every tenth bin, drawn twice as tall as their neighbours (a false
    mode in a small posterior; a plots audit's find)."""
    small = estimate.CaptureData.from_aggregated(
        __import__("pandas").DataFrame({"A": [1, 0, 0, 1, 1], "B": [0, 1, 0, 1, 0], "C": [0, 0, 1, 0, 1],
                                        "count": [20, 15, 12, 6, 5]}), count="count")
    result = estimate.make_estimator("dga").fit(small, seed=1)
    bars = [patch for patch in plots.plot_posterior(result).axes[0].patches if patch.get_gid() == "draws"]
    assert len(bars) >= 10
    widths = {round(bar.get_width(), 9) for bar in bars}
    assert len(widths) == 1 and float(widths.pop()).is_integer()
    assert all(round(bar.get_x() % 1, 9) == 0.5 for bar in bars)


def test_the_posterior_plot_says_when_chains_did_not_converge_or_draws_were_not_saved(kosovo, tmp_path) -> None:
    """A posterior of chains with R-hat 1.9 looked like any other; a dga result read from .json was titled
    'no posterior: posterior median'; Chao's plot called its lower bound an estimate; a trace plot drawn into a
    caller's axes set the caller's figure title (a plots audit's finds)."""
    poor = LCMCR(burn_in=5, draws=20, thinning=1, chains=2, seed=1).fit(kosovo)
    note = by_gid(plots.plot_posterior(poor), "convergence")
    assert note and "chains not converged (R-hat" in note[0].get_text()
    good = LCMCR(burn_in=1000, draws=500, thinning=2, chains=2, seed=1, K=1).fit(kosovo)
    assert good.diagnostics["r_hat"] <= 1.01 and good.diagnostics["ess_bulk"] >= 400
    assert not by_gid(plots.plot_posterior(good), "convergence")
    result = estimate.make_estimator("dga").fit(kosovo, seed=1)
    result.save(tmp_path / "dga.json")
    title = plots.plot_posterior(estimate.load_result(tmp_path / "dga.json")).axes[0].get_title()
    assert "its draws were not saved" in title and "no posterior" not in title
    chao = estimate.make_estimator("chao").fit(kosovo)
    assert "lower bound of the total N" in plots.plot_posterior(chao).axes[0].get_title()
    figure = Figure()
    axes = figure.subplots(2, 1)
    plots.plot_trace(poor, ax=axes[0])
    assert figure._suptitle is None


def test_under_ipython_a_plot_loads_the_backend_so_jupyter_shows_it(monkeypatch, kosovo) -> None:
    """In a fresh notebook result.plot() displayed "<Figure size 750x240 with 1 Axes>" and no picture: the plots
    build figures without pyplot, and Jupyter's PNG display comes with the backend pyplot loads lazily (checked in
    a real notebook with nbclient: one PNG; an assignment shows none).  Outside IPython nothing is loaded."""
    import sys
    import types

    loaded = []
    monkeypatch.setattr(plt, "_get_backend_mod", lambda: loaded.append(True))
    result = LogLinear().fit(kosovo)
    result.plot()
    assert loaded == []  # not in IPython: pyplot's state untouched
    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: object()  # a running shell
    monkeypatch.setitem(sys.modules, "IPython", fake)
    assert isinstance(result.plot(), Figure) and loaded == [True]
    fake.get_ipython = lambda: None  # IPython imported, no shell running (a library that imports it)
    result.plot()
    assert loaded == [True]
