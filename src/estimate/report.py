"""One self-contained HTML report of an analysis: data, overlaps, each model's estimate, comparison, provenance.

:func:`make_report` fits the chosen methods with :func:`estimate.compare` and :func:`render_report` turns the
data and the fitted :class:`~estimate.compare.Comparison` into one HTML file that a reader can open anywhere:
CSS inline, figures as base64 PNG, no scripts and no external URLs.  Sections (each an ``<section id=...>``):

``summary``
    Documented count, list sizes, pairwise overlaps and the table of observed capture patterns with counts.
``overlap``
    Venn diagram (2–3 lists) or UpSet plot (more lists) of :func:`estimate.plots.plot_overlap`.
``estimates``
    One block per method: the plain-language sentence (:meth:`Result.sentence`), estimate and interval with its
    kind, model description, diagnostics and warnings, the posterior plot and, for samplers, the trace/rank plot.
``comparison``
    The comparison table and forest plot; methods that did not apply or failed say why.
``assumptions``
    What each model assumes, in plain words (:data:`ASSUMPTIONS`), and what every method assumes.
``provenance``
    Package and library versions, seed, data hash and source, command line, times; each method's parameters.

The report holds aggregates only — counts per capture pattern, list sizes and overlaps, estimates — never
record-level rows: :class:`~estimate.data.CaptureData` keeps no record identifiers and nothing else is read.

Example::

    >>> import estimate
    >>> from estimate.report import make_report
    >>> html = make_report(estimate.datasets.load("kosovo"), ["loglinear"], seed=1)
    >>> html.startswith("<!DOCTYPE html>") and 'id="comparison"' in html
    True
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import json
import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from estimate._warning_state import catch_warnings
from estimate.data import RESERVED_COUNT_NAME, CaptureData
from estimate.errors import DataError, DataWarning, UninformativeDataWarning
from estimate.results import _format_diagnostic, interval_label

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from estimate.compare import Comparison
    from estimate.estimators.base import Estimator
    from estimate.results import Result

__all__ = ["DEFAULT_METHODS", "ASSUMPTIONS", "COMMON_ASSUMPTIONS", "SECTIONS", "default_methods", "make_report",
           "render_report"]

#: Methods a report fits when none are given (the fast ones; the PyMC models take about a minute each).
DEFAULT_METHODS = ("chapman", "loglinear", "dga", "lcmcr")

#: ``id`` of every top-level section, in order.
SECTIONS = ("summary", "overlap", "estimates", "comparison", "assumptions", "provenance")

#: Assumptions every multiple-systems estimate rests on, whatever the model.
COMMON_ASSUMPTIONS = (
    "Closed population: the total refers to one place and period, and the lists try to record the same people.",
    "Records are matched correctly across lists: no one is counted twice, and no two people are merged into one.",
    "Everyone had some chance of being recorded by some list. People whom no list could ever reach are outside "
    "what any of these methods can estimate.",
    "The model's picture of how the lists depend on each other is right. The data can reject a model that fits "
    "the observed combinations of lists poorly, but cannot check what it assumes about the people on no list, who "
    "are never seen: when the methods below disagree, it is those assumptions that differ.",
)

_RCAPTURE_HETEROGENEITY = {
    "chao": "Chao's lower-bound form, which assumes little about the shape of the differences and so tends to "
            "give a lower bound rather than an estimate",
    "poisson2": "a Poisson form that lets the hardest-to-find people weigh more",
    "darroch": "Darroch's form, which allows strong differences between people (its totals are not always the "
               "largest of the three: on the UK 2013 lists it gives the smallest)",
}

#: Plain-words assumptions of each registered method (keys are registry names).
ASSUMPTIONS: dict[str, str] = {
    "lincoln-petersen": (
        "Uses exactly two lists. Assumes the lists are independent — being on one list does not make a person "
        "more or less likely to be on the other — and that everyone has the same chance of being on each list. "
        "If the same easy-to-find people tend to be on both lists, the estimate is too low."
    ),
    "chapman": (
        "Uses exactly two lists, with the same assumptions as Lincoln–Petersen: the two lists are independent and "
        "everyone has the same chance of being on each. A small correction makes the estimate nearly unbiased "
        "when at least about 7 people are on both lists; with fewer it runs low and its interval is too narrow, "
        "and with nobody on both it has no finite value. If the same easy-to-find people tend to be on both lists, "
        "the estimate is too low."
    ),
    "chao": (
        "Gives a lower bound, not an estimate. From the numbers of people seen on exactly one and exactly two "
        "lists it bounds how many were seen on none, allowing people to differ in how easy they are to find. "
        "It assumes the lists record a given person with the same probability and independently of each other "
        "(the differences are between people, not lists). The true total can be well above it; if lists "
        "depend negatively on each other (being on one makes being on another less likely), or differ in how "
        "much of the population they record (as casualty lists usually do: mth-chao allows for that), the "
        "'bound' can exceed the true total. Its interval is one for the bound, not an upper limit for the total."
    ),
    "loglinear": (
        "Describes the number of people on each combination of lists with a Poisson log-linear model. Lists may "
        "depend on each other only through the interactions the chosen model includes (the model is picked by "
        "an information criterion when there is more than one to choose from). The search (the default) chooses "
        "among interactions of two lists only, so every interaction of three or more lists is assumed absent (where "
        "differences between people in how easy they are to find would show); the interaction of all lists "
        "together always is, because the data cannot tell it apart from the number of people on no list. "
        "Models that fit the observed counts almost equally well can give very different totals, and when a "
        "model was chosen the interval does not include the uncertainty of choosing it."
    ),
    "sparsemse": (
        "The Poisson log-linear model of the loglinear method, with the interactions chosen one at a time by how "
        "surprising each pair's overlap is under the current model (SparseMSE, as used for the UK Home Office's "
        "modern-slavery estimates). A pair of lists nobody is on together may enter as an interaction at minus "
        "infinity. Only two-list interactions are ever fitted: every interaction of three or more lists is assumed "
        "absent, as in the loglinear method's search (the place where differences between people in how easy "
        "they are to find would show); the two differ in how they choose. The bootstrap interval repeats the "
        "model choice on resampled "
        "lists, so it includes the uncertainty of choosing the model, but not doubts about the model family itself."
    ),
    "m0": (
        "Every list records people with the same probability, everyone is equally easy to find, and the lists "
        "are independent. The simplest model; rarely realistic for casualty lists."
    ),
    "mt": (
        "Lists may record different shares of the population, but they are independent and everyone is equally "
        "easy to find (a log-linear model without interactions)."
    ),
    "bayes-loglinear": (
        "The Bayesian version of the log-linear model: the lists may depend on each other only through the "
        "interactions included (every interaction of three or more lists is absent unless named; the all-lists "
        "interaction always is), the coefficients have weakly "
        "informative normal priors and the total has the prior p(N) ∝ 1/N."
    ),
    "lcmcr": (
        "Assumes the population consists of a number of hidden groups (latent classes, up to K). Within a group "
        "the lists are independent, but groups differ in how likely each list is to record their members. This "
        "captures people differing in how easy they are to find and the dependence between lists that this "
        "causes. Lists that directly influence each other (one list copying or referring to another) are "
        "captured only as far as such groups can mimic it. Priors: a Dirichlet process on the group sizes and "
        "p(N) ∝ 1/N (Manrique-Vallier 2016)."
    ),
    "pymc-lcmcr": (
        "The same latent-class model as LCMCR — hidden groups within which the lists are independent — fitted "
        "with PyMC's NUTS sampler instead of the Gibbs sampler, with the total N summed out exactly."
    ),
    "dga": (
        "Averages over all decomposable graphical models of the lists: each model says which lists depend "
        "directly on which, and each is weighted by how well it explains the observed counts and by its prior. "
        "Assumes the dependence between lists is one of these graphs. One of them, the complete graph, leaves the "
        "number of people on no list to the prior alone: where it carries much of the weight (large counts, or a "
        "large δ; a warning says so) the estimate reflects δ rather than the data. "
        "The estimate can depend strongly on the prior's δ setting (the dga default is 2^-J for J lists), so "
        "compare it with the other methods (Madigan & York 1997)."
    ),
}
for _name, _form in _RCAPTURE_HETEROGENEITY.items():
    ASSUMPTIONS[f"mh-{_name}"] = (
        "People differ in how easy they are to find (heterogeneity), described by " + _form + "; all lists "
        "record people with the same probability and do not otherwise depend on each other."
    )
    ASSUMPTIONS[f"mth-{_name}"] = (
        "Lists may record different shares of the population and people differ in how easy they are to find, "
        "described by " + _form + "; the lists do not otherwise depend on each other."
    )


def default_methods(data: CaptureData) -> list[str]:
    """The methods of :data:`DEFAULT_METHODS` that apply to ``data`` (e.g. Chapman only for two lists)."""
    from estimate.estimators.base import get_estimator_class

    chosen = []
    for name in DEFAULT_METHODS:
        cls = get_estimator_class(name)
        if data.n_lists < cls.min_lists or (cls.max_lists is not None and data.n_lists > cls.max_lists):
            continue
        if name in ("chapman", "lincoln-petersen") and data.n_lists != 2:
            continue  # two-list estimators need the pair named when there are more lists
        if name in ("lcmcr", "pymc-lcmcr") and data.n_lists < 3:
            continue  # not identified on two lists: its interval would be the priors' (it warns so when asked)
        chosen.append(name)
    return chosen


def make_report(
    data: CaptureData | pd.DataFrame,
    methods: Sequence[str | Estimator] | str | None = None,
    *,
    seed: int | None = None,
    level: float | None = None,
    interval: str | None = None,
    title: str | None = None,
    population: str | None = None,
    command: Sequence[str] | None = None,
    output: str | Path | None = None,
    replicate: str | None = None,
    data_warnings: Sequence[str] = (),
) -> str:
    """Fit ``methods`` (default: :func:`default_methods`) with :func:`estimate.compare` and render the report.

    Stratified data are pooled over their strata (the report says so).  ``replicate`` names a column of
    multiple-imputation replicates (one of the stratum columns): they differ only in imputed stratum fields, so
    pooled over strata every replicate holds the same lists and the report uses one — summing them as strata
    would count everyone once per replicate.  Replicates whose capture histories differ are refused.
    ``level`` and ``interval`` (``"equal-tailed"`` or ``"hdi"``) are passed to :func:`estimate.compare`.
    ``population`` names who is counted in the sentences ("deaths").  ``data_warnings`` are what reading the data
    warned (a list that documents nobody, dropped): the data summary repeats them, as does a DataFrame's own
    reading here.  With ``output`` the HTML is also written there atomically.  Returns the HTML.
    """
    return _fit_and_render(data, methods, seed=seed, level=level, interval=interval, title=title,
                           population=population, command=command, output=output, replicate=replicate,
                           data_warnings=data_warnings)[0]


def _fit_and_render(
    data: CaptureData | pd.DataFrame,
    methods: Sequence[str | Estimator] | str | None,
    *,
    seed: int | None,
    level: float | None,
    interval: str | None,
    title: str | None,
    population: str | None,
    command: Sequence[str] | None,
    output: str | Path | None,
    replicate: str | None,
    data_warnings: Sequence[str],
) -> tuple[str, Any]:
    """:func:`make_report`, returning the comparison too (the command line's exit code depends on it)."""
    from estimate import provenance
    from estimate.compare import compare

    if isinstance(data, pd.DataFrame):
        with reading_warnings() as said:
            data = CaptureData.from_frame(data, strata=[replicate] if replicate is not None else None)
        data_warnings = [*data_warnings, *said]
    if not isinstance(data, CaptureData):
        raise DataError(f"a report needs CaptureData or a pandas DataFrame, got {type(data).__name__}")
    pooled_from: tuple[str, ...] = ()
    source = provenance.source_of(data)
    replicate_note = ""
    if replicate is not None:
        pooled_from = tuple(c for c in data.strata_columns if c != replicate)
        data, replicate_note = _one_replicate(data, replicate)
    elif data.strata_columns:
        pooled_from = data.strata_columns
        data = data.without_strata()
    if source is not None and (replicate is not None or pooled_from):
        provenance.note_source(data, source)
    if methods is None:
        methods = default_methods(data)
        if not methods:
            raise DataError(f"none of the default methods {list(DEFAULT_METHODS)} applies to {data.n_lists} lists; "
                            "give --methods")
    started = provenance.now()
    comparison = compare(data, methods, seed=seed, level=level, interval=interval)
    record = provenance.collect(seed=comparison.seed, data=data, command=command, started=started,
                                finished=provenance.now(), source=source)
    page = render_report(data, comparison, title=title, provenance=record, population=population,
                         pooled_from=pooled_from, replicate_note=replicate_note, replicate=replicate,
                         data_warnings=data_warnings)
    if output is not None:
        from estimate.atomic import atomic_write_text

        atomic_write_text(output, page)
    return page, comparison


# ---------------------------------------------------------------------------------------------------- rendering
def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _num(value: Any, digits: int = 0) -> str:
    if value is None:
        return ""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return _e(value)
    if math.isnan(number):
        return ""
    if math.isinf(number):
        return "∞" if number > 0 else "−∞"
    return f"{number:,.{digits}f}"


def _figure_html(fig: Figure, alt: str, *, dpi: int = 120) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    payload = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<figure><img alt="{_e(alt)}" src="data:image/png;base64,{payload}"></figure>'


def _table(frame: pd.DataFrame, *, numeric: Sequence[str] = (), cls: str = "", row_header: bool = False) -> str:
    """An HTML table of ``frame``; with ``row_header`` its first column labels the rows (``<th scope="row">``,
    which a screen reader announces with each cell)."""
    head = "".join(f'<th scope="col">{_e(column)}</th>' for column in frame.columns)
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for i, column in enumerate(frame.columns):
            value = row[column]
            if column in numeric:
                cells.append(f'<td class="num">{_num(value)}</td>')
            else:
                missing = value is None or (isinstance(value, float) and math.isnan(value))
                text = "" if missing else _e(value)
                cells.append(f'<th scope="row">{text}</th>' if row_header and i == 0 else f"<td>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    klass = f' class="{cls}"' if cls else ""
    return f"<table{klass}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _key_values(pairs: Sequence[tuple[str, Any]], cls: str = "kv") -> str:
    rows = []
    for key, value in pairs:
        if isinstance(value, (dict, list)):
            text = json.dumps(value, default=str)
            cell = f"<code>{_e(text)}</code>"
        elif isinstance(value, float) and math.isnan(value):  # not computed (R-hat of one chain of 3 draws)
            cell = "—"
        elif isinstance(value, float):  # as the printed result shows it (R-hat 1.010, ESS 23,603)
            cell = _e(_format_diagnostic(key, value))
        else:
            cell = _e("" if value is None else value)
        rows.append(f"<tr><th>{_e(key)}</th><td>{cell}</td></tr>")
    return f'<table class="{cls}"><tbody>{"".join(rows)}</tbody></table>'


def _slug(label: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in label.lower()).strip("-") or "method"


def _method_name(label: str, result: Result | None) -> str:
    if result is not None and result.method:
        return result.method
    return label.split(":")[0].split("#")[0].strip().lower()


@contextlib.contextmanager
def reading_warnings() -> Iterator[list[str]]:
    """Within it, the data warnings (DataWarning and its kind) raised while data are read are collected, as text,
    into the list it yields, and shown as usual too."""
    said: list[str] = []
    try:
        with catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield said
    finally:  # shown also when the reading then fails: the warnings before the error explain it
        for item in caught or []:
            if issubclass(item.category, (DataWarning, UninformativeDataWarning)):
                said.append(str(item.message))
            warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)  # as the filters say


def _one_replicate(data: CaptureData, replicate: str) -> tuple[CaptureData, str]:
    """``data`` of one imputation replicate pooled over strata, and the sentence the report says of it."""
    if replicate not in data.strata_columns:
        raise DataError(f"replicate column {replicate!r} is not among the data's stratum columns "
                        f"{list(data.strata_columns)}")
    with catch_warnings():
        warnings.simplefilter("ignore")  # a list empty in one replicate's stratum is not news here
        pooled = {label: part.without_strata() for label, part in data.by(replicate).items()}
    hashes = {label: part.content_hash() for label, part in pooled.items()}
    first = next(iter(pooled))
    differing = [label for label, h in hashes.items() if h != hashes[first]]
    if differing:
        other = differing[0]
        raise DataError(
            f"replicates {first!r} and {other!r} of column {replicate!r} hold different capture histories "
            f"({pooled[first].observed:,} and {pooled[other].observed:,} people documented), not only different "
            "stratum fields; a report describes one data set — report each replicate, or pool their posteriors "
            "with estimate fit --replicate"
        )
    note = (f"The data carry {len(pooled)} imputation replicates (column {replicate}) that differ only in imputed "
            "stratum fields; pooled over strata they hold the same lists, so this report uses one of them."
            if len(pooled) > 1 else f"The data carry one imputation replicate (column {replicate}).")
    return pooled[first], note


def _section_summary(data: CaptureData, info: Mapping[str, Any] | None, pooled_from: Sequence[str],
                     replicate_note: str = "", replicate: str | None = None,
                     data_warnings: Sequence[str] = ()) -> str:
    parts = ['<section id="summary"><h2>Data summary</h2>']
    if info:
        if info.get("citation"):
            parts.append(f'<p class="note">Source: {_e(info["citation"])}</p>')
    for text in dict.fromkeys(data_warnings):  # what reading the data warned, once each
        parts.append(f'<div class="warning"><strong>Reading the data:</strong> {_e(text)}</div>')
    if replicate_note:
        parts.append(f'<p class="note">{_e(replicate_note)}</p>')
    if pooled_from:
        parts.append(f'<p class="note">The data are stratified by {_e(", ".join(pooled_from))}; this report pools '
                     "all strata into one table. Where the lists cover the strata unevenly (one list strong in one "
                     "region, another elsewhere) pooling makes the lists look dependent and can bias every estimate "
                     "below: estimate each stratum and add them up with <code>estimate fit DATA --strata "
                     f"{_e(','.join(pooled_from))}"
                     # replicates are pooled as a mixture of posteriors: a method with draws
                     + (f" --replicate {_e(replicate)} --method lcmcr" if replicate else "")
                     + " --totals all</code>.</p>")
    parts.append(
        f'<p class="big">Documented on at least one list: <strong>{data.observed:,}</strong> people, '
        f"on {data.n_lists} lists, in {data.n_patterns} observed combinations of lists.</p>"
    )
    descriptions = (info or {}).get("lists", {}) if info else {}
    sizes = data.list_sizes
    list_table = pd.DataFrame(
        {
            "list": list(data.lists),
            "description": [descriptions.get(name, "") for name in data.lists],
            "people on the list": sizes.to_numpy(),
            "share of documented": [f"{size / data.observed:.0%}" for size in sizes.to_numpy()],
            "only on this list": [
                int(data.counts[(data.patterns[:, j] == 1) & (data.patterns.sum(axis=1) == 1)].sum())
                for j in range(data.n_lists)
            ],
        }
    )
    if not any(list_table["description"]):
        list_table = list_table.drop(columns="description")
    parts.append("<h3>Lists</h3>")
    parts.append(_table(list_table, numeric=("people on the list", "only on this list"), row_header=True))
    overlaps = data.overlaps()
    overlap_frame = overlaps.reset_index().rename(columns={"index": "people on both"})
    parts.append('<h3>Pairwise overlaps</h3><p class="note">People on both lists (the diagonal: the list\'s size).</p>')
    parts.append(_table(overlap_frame, numeric=list(data.lists), row_header=True))
    patterns = data.pattern_table().sort_values(RESERVED_COUNT_NAME, ascending=False, kind="stable")
    patterns = patterns.reset_index(drop=True)
    shown = pd.DataFrame({name: patterns[name].map({1: "●", 0: "·"}) for name in data.lists})
    shown["lists"] = patterns[list(data.lists)].sum(axis=1)
    shown["people"] = patterns[RESERVED_COUNT_NAME]
    parts.append("<h3>Observed combinations of lists</h3>"
                 "<p class=\"note\">One row per combination that occurs (● = on that list, · = not), with the "
                 "number of people on exactly those lists. These are counts, not records.</p>")
    parts.append(_table(shown, numeric=("people",), cls="patterns"))
    parts.append("</section>")
    return "\n".join(parts)


def _diagnostics_pairs(result: Result) -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = []
    for key, value in result.diagnostics.items():
        if isinstance(value, bool) or value is None:
            pairs.append((key, value))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            pairs.append((key, value))
        elif isinstance(value, str) and len(value) < 200:
            pairs.append((key, value))
    return pairs


def _section_method(label: str, result: Result, row: Mapping[str, Any], population: str | None) -> str:
    from estimate import plots

    interval = result.interval
    name = _method_name(label, result)
    parts = [f'<section class="method" id="method-{_slug(label)}"><h3>{_e(label)}</h3>']
    parts.append(f'<p class="sentence">{_e(result.sentence(population))}</p>')
    numbers = [
        (f"estimate of N ({result.estimate_kind})", _num(result.estimate)),
        (interval.describe(), f"{_num(interval.lower)} – {_num(interval.upper)}"),
        ("documented (at least)", _num(result.observed)),
        ("estimated undocumented" + (" (at least)" if result.estimate_kind == "lower bound" else ""),
         _num(result.undocumented)),
    ]
    if result.std_error is not None and math.isfinite(result.std_error):
        numbers.append((result.std_error_label, _num(result.std_error, 1)))
    parts.append(_key_values(numbers))
    parts.append(f'<p class="model"><strong>Model:</strong> {_e(result.model)}</p>')
    if name in ASSUMPTIONS:
        parts.append(f'<p class="note"><strong>Assumptions:</strong> {_e(ASSUMPTIONS[name])}</p>')
    for note in (result.details.get("interval_note"), result.details.get("prior_driven")):
        if note:  # what the printed result says beside its interval (a searched model's, a prior's)
            parts.append(f'<p class="note"><strong>Note:</strong> {_e(str(note))}</p>')
    warned = str(row.get("warnings") or "")
    if warned:  # compare joins a method's warnings with "; ", which the messages use too: show them as one text
        parts.append(f'<div class="warning"><strong>Warning:</strong> {_e(warned)}</div>')
    diag = _diagnostics_pairs(result)
    if diag:
        parts.append("<details open><summary>Diagnostics</summary>" + _key_values(diag) + "</details>")
    with catch_warnings():
        warnings.simplefilter("ignore")
        what = "posterior of N" if result.posterior is not None or "pmf" in result.details else \
            "estimate and confidence interval of N"  # a maximum-likelihood fit has no posterior
        parts.append(_figure_html(plots.plot_posterior(result), f"{label}: {what}"))
        if result.posterior is not None:
            kind = ("independent draws from the exact posterior: trace and rank plots of N" if name == "dga"
                    else "trace and rank plots of N")
            parts.append(_figure_html(plots.plot_trace(result), f"{label}: {kind}"))
    parts.append("</section>")
    return "\n".join(parts)


def _section_comparison(comparison: Comparison) -> str:
    from estimate import plots

    table = comparison.table
    shown = pd.DataFrame(
        {
            "method": table["method"],
            "status": table["status"],
            # a lower bound (Chao's) is not an estimate of N: "≥" says so, as in the text table and forest plot
            "estimate": [("≥ " if kind == "lower bound" and math.isfinite(value) else "") + _num(value)
                         for value, kind in zip(table["estimate"], table["estimate_kind"], strict=True)],
            "lower": table["lower"],
            "upper": table["upper"],
            "interval": [
                interval_label(lvl, kind) if isinstance(kind, str) and kind else ""
                for lvl, kind in zip(table["level"], table["interval_kind"], strict=True)
            ],
            "R-hat": table["r_hat"].map(lambda v: "" if v is None or math.isnan(v) else f"{v:.3f}"),
            "bulk ESS": table["ess_bulk"],
            "seconds": table["seconds"].map(lambda v: "" if v is None or math.isnan(v) else f"{v:.1f}"),
            "reason": table["reason"].fillna(""),
        }
    )
    for column in ("R-hat", "reason"):
        if not shown[column].astype(str).str.strip().any():
            shown = shown.drop(columns=column)
    if not table["ess_bulk"].notna().any():
        shown = shown.drop(columns="bulk ESS")
    parts = ['<section id="comparison"><h2>Comparison of methods</h2>']
    parts.append('<p class="note">Each method rests on different assumptions about how the lists depend on each '
                 "other (see <a href=\"#assumptions\">Assumptions</a>). When estimates differ by more than their "
                 "intervals, the choice of model matters more than sampling error.</p>")
    parts.append(_table(shown, numeric=("estimate", "lower", "upper", "bulk ESS"), row_header=True))
    with catch_warnings():
        warnings.simplefilter("ignore")
        parts.append(_figure_html(plots.plot_forest(comparison), "forest plot of the estimates of every method"))
    parts.append("</section>")
    return "\n".join(parts)


def _section_assumptions(labels: Sequence[tuple[str, str]]) -> str:
    parts = ['<section id="assumptions"><h2>Assumptions of each model, in plain words</h2>',
             "<h3>Every method</h3><ul>"]
    parts.extend(f"<li>{_e(text)}</li>" for text in COMMON_ASSUMPTIONS)
    parts.append("</ul><dl>")
    seen = set()
    for _label, name in labels:
        if name in seen:
            continue
        seen.add(name)
        text = ASSUMPTIONS.get(name, "No plain-words description is available for this method; see its documentation.")
        parts.append(f"<dt>{_e(name)}</dt><dd>{_e(text)}</dd>")
    parts.append("</dl></section>")
    return "\n".join(parts)


def _flatten(record: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = []
    for key, value in record.items():
        name = f"{prefix}{key}"
        if value is None or (isinstance(value, (list, dict, str)) and not value):
            continue  # nothing recorded
        if isinstance(value, Mapping) and value and key in ("dependencies", "data", "source"):
            pairs.extend(_flatten(value, prefix=f"{name}."))
        else:
            pairs.append((name, value))
    return pairs


def _section_provenance(record: Mapping[str, Any] | None, comparison: Comparison) -> str:
    from estimate import __version__

    parts = ['<section id="provenance"><h2>Provenance</h2>']
    record = dict(record or {})
    record.setdefault("estimate", __version__)
    if comparison.seed is not None:
        record.setdefault("seed", comparison.seed)
    preset = record.pop("preset", None)
    parts.append("<h3>This report</h3>")
    parts.append(_key_values(_flatten(record), cls="kv provenance"))
    if preset:
        parts.append(_preset_html(preset))
    if isinstance(comparison.seed, int):
        parts.append(f'<p class="note">Every method drew its own seed from the root seed {_e(comparison.seed)} and '
                     "its label (a preset's own <code>seed</code> is kept); run the same command with <code>--seed "
                     f"{_e(comparison.seed)}</code> to repeat the report.</p>")
    elif comparison.seed is not None:  # a spawned SeedSequence: Python's make_report(seed=...) repeats it
        parts.append(f'<p class="note">Every method drew its own seed from the root seed {_e(comparison.seed)} and '
                     "its label (a preset's own <code>seed</code> is kept); pass it as <code>seed=</code> to "
                     "<code>make_report</code> / <code>compare</code> to repeat the report.</p>")
    for label, result in comparison.results.items():
        fit_record = dict(result.provenance or {})
        if not fit_record:
            continue
        fit_preset = fit_record.pop("preset", None)
        keep = [(k, v) for k, v in _flatten(fit_record)
                if not k.startswith(("dependencies", "python", "platform", "estimate", "data."))]
        parts.append(f"<details><summary>{_e(label)}: parameters and seed</summary>{_key_values(keep)}"
                     f"{_preset_html(fit_preset) if fit_preset else ''}</details>")
    parts.append("</section>")
    return "\n".join(parts)


def _preset_html(preset: Any) -> str:
    if isinstance(preset, Mapping):
        name = preset.get("name") or "preset"
        text = preset.get("text")
        if text:
            return f"<details><summary>preset {_e(name)}</summary><pre>{_e(text)}</pre></details>"
        return f"<p>preset: {_e(name)}</p>"
    return f"<p>preset: {_e(preset)}</p>"


_CSS = """
:root { --ink: #1d2733; --muted: #5b6673; --rule: #d9dee4; --accent: #1f5a96; --warn: #8a5a00; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink);
       margin: 0; background: #f6f7f9; line-height: 1.45; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 32px 48px; background: #fff; }
header { border-bottom: 3px solid var(--accent); margin-bottom: 8px; }
h1 { font-size: 1.7em; margin: 0.2em 0 0.3em; }
h2 { font-size: 1.35em; margin-top: 1.8em; border-bottom: 1px solid var(--rule); padding-bottom: 4px; }
h3 { font-size: 1.1em; margin: 1.3em 0 0.4em; }
nav { font-size: 0.92em; margin: 6px 0 12px; }
nav a { margin-right: 14px; color: var(--accent); text-decoration: none; }
a { color: var(--accent); }
.note { color: var(--muted); font-size: 0.92em; }
.big { font-size: 1.1em; }
.sentence { font-size: 1.08em; background: #eef4fa; border-left: 4px solid var(--accent); padding: 8px 12px; }
.headline li { margin: 4px 0; }
.warn-mark { color: #9a6700; white-space: nowrap; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 0.9em; }
th, td { border: 1px solid var(--rule); padding: 3px 8px; text-align: left; vertical-align: top; }
thead th { background: #f0f2f5; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.kv th { background: #f7f8fa; font-weight: 600; white-space: nowrap; }
table.kv td { max-width: 760px; overflow-wrap: anywhere; }
table.patterns td { text-align: center; }
table.patterns td.num { text-align: right; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.86em; }
pre { background: #f7f8fa; padding: 8px; overflow-x: auto; }
figure { margin: 10px 0 16px; }
figure img { max-width: 100%; height: auto; border: 1px solid #eceff2; }
.method { border-top: 1px dashed var(--rule); margin-top: 1.5em; }
.warning { background: #fff7e6; border-left: 4px solid #e0a526; padding: 6px 12px; margin: 8px 0;
           color: var(--warn); font-size: 0.92em; }
.warning ul { margin: 4px 0; padding-left: 20px; }
dt { font-weight: 600; margin-top: 8px; }
dd { margin: 2px 0 6px 18px; }
details { margin: 6px 0; }
summary { cursor: pointer; color: var(--accent); }
footer { margin-top: 32px; color: var(--muted); font-size: 0.85em; }
"""


def render_report(
    data: CaptureData,
    comparison: Comparison,
    *,
    title: str | None = None,
    provenance: Mapping[str, Any] | None = None,
    population: str | None = None,
    pooled_from: Sequence[str] = (),
    replicate_note: str = "",
    replicate: str | None = None,
    data_warnings: Sequence[str] = (),
) -> str:
    """The HTML report of ``data`` and an already fitted ``comparison`` (nothing is refitted).

    ``provenance`` is the run's record (:func:`estimate.provenance.collect`); without it the block shows the
    package version, the seed and each result's own provenance.
    """
    from estimate import datasets, plots
    from estimate.compare import OK

    if data.strata_columns:
        pooled_from = pooled_from or data.strata_columns
        data = data.without_strata()
    source = ((provenance or {}).get("data") or {}).get("source") or {}
    info = None
    if source.get("kind") == "example" and source.get("name") in datasets.names():
        info = datasets.info(source["name"])
    heading = title or (info["title"] if info and info.get("title") else "Multiple-systems estimate")
    table = comparison.table
    # the assumptions of the methods that gave an estimate (a method that did not apply assumed nothing here)
    labels = [(str(label), _method_name(str(label), comparison.results.get(label)))
              for label, status in zip(table["method"], table["status"], strict=True) if status == "ok"]

    body = [f"<header><h1>{_e(heading)}</h1>",
            '<nav>' + "".join(f'<a href="#{s}">{_e(s.capitalize())}</a>' for s in SECTIONS) + "</nav></header>"]
    # headline: one sentence per method that produced an estimate, marked when the method warned (a reader who
    # stops at the headline must not take an unconverged or unbounded estimate at face value)
    items = []
    for row in table.to_dict("records"):
        label, warned = row["method"], row.get("warnings")
        if row["status"] != OK:
            continue
        mark = (f' <a class="warn-mark" href="#method-{_slug(str(label))}">⚠ see the warning below</a>'
                if isinstance(warned, str) and warned.strip() else "")
        items.append(f"<li><strong>{_e(label)}</strong>: {_e(comparison.results[label].sentence(population))}"
                     f"{mark}</li>")
    if items:
        body.append(f'<ul class="headline">{"".join(items)}</ul>')
    body.append(_section_summary(data, info, pooled_from, replicate_note, replicate, data_warnings))
    with catch_warnings():
        warnings.simplefilter("ignore")
        overlap = _figure_html(plots.plot_overlap(data), "which lists document whom")
    kind = "Venn diagram" if data.n_lists <= 3 else "UpSet plot: one bar per observed combination of lists"
    body.append(f'<section id="overlap"><h2>Overlap of the lists</h2><p class="note">{_e(kind)}.</p>{overlap}'
                "</section>")
    body.append('<section id="estimates"><h2>Estimates by method</h2>')
    for label, row in zip(table["method"], table.to_dict("records"), strict=True):
        result = comparison.results.get(label)
        if result is None:
            body.append(f'<section class="method" id="method-{_slug(str(label))}"><h3>{_e(label)}</h3>'
                        f'<p class="note">{_e(row["status"])}: {_e(row["reason"])}</p></section>')
        else:
            body.append(_section_method(str(label), result, row, population))
    body.append("</section>")
    body.append(_section_comparison(comparison))
    body.append(_section_assumptions(labels))
    body.append(_section_provenance(provenance, comparison))
    body.append('<footer>Made by the <code>estimate</code> package. Figures are embedded; the file needs no '
                "network access.</footer>")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(heading)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(body)
        + "\n</main>\n</body>\n</html>\n"
    )
