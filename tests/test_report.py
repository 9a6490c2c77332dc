"""The HTML report: every section, sentences, assumptions, provenance, only aggregates, CLI, a real browser."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import estimate
from estimate import Interval, Result
from estimate.cli import app
from estimate.estimators import LCMCR, LogLinear
from estimate.report import ASSUMPTIONS, SECTIONS, default_methods, make_report

pytestmark = pytest.mark.filterwarnings("ignore::estimate.ConvergenceWarning")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def kosovo_report(kosovo: estimate.CaptureData) -> str:
    methods = ["chapman", LogLinear(terms="independence"), "dga",
               LCMCR(burn_in=1000, draws=500, thinning=2, chains=2, seed=1)]
    return make_report(kosovo, methods, seed=1, title="Kosovo <test> & report", population="deaths")


def test_sentence_reads_like_the_issue_example() -> None:
    result = Result(method="lcmcr", model="m", estimate=10_321.4, interval=Interval(9_104.2, 12_013.0),
                    observed=4_400)
    assert result.sentence("deaths") == ("Documented: at least 4,400. Estimated total: 10,300 (95% credible interval "
                                         "9,100–12,000); about 57% of deaths are undocumented.")
    frequentist = Result(method="mt", model="m", estimate=7_394.6, interval=Interval(7_147.7, 7_656.2, kind="wald"),
                         observed=4_400)
    assert "(95% confidence interval 7,150–7,660); about 40% of the total is undocumented." in frequentist.sentence()
    unbounded = Result(method="chapman", model="m", estimate=5_000, interval=Interval(4_400, float("inf"),
                       kind="none"), observed=4_400)
    assert "no upper limit" in unbounded.sentence() and "∞" not in unbounded.sentence()
    no_estimate = Result(method="loglinear", model="m", estimate=float("inf"),
                         interval=Interval(7, float("inf"), kind="none"), observed=7)
    # a lower limit at the documented count is a certainty, not "7 or more at 95%"
    assert no_estimate.sentence() == ("Documented: at least 7. Estimated total: no finite estimate — the data give "
                                      "no upper limit (at least the 7 documented).")
    above = Result(method="sparsemse", model="m", estimate=float("inf"),
                   interval=Interval(9, float("inf"), kind="none"), observed=7)
    assert "(9 or more at 95%)" in above.sentence()
    close = Result(method="x", model="m", estimate=4_452, interval=Interval(4_444, 4_470), observed=4_441)
    assert "credible interval 4,444–4,470" in close.sentence()  # a narrow interval keeps its digits
    floor = Result(method="x", model="m", estimate=4_452, interval=Interval(4_444, 4_570), observed=4_441)
    assert "credible interval 4,441–4,570" in floor.sentence()  # 4,444 → 4,440 would fall below the documented 4,441
    # three significant figures made 10,451–10,549 "10,500–10,500"; steps are now at most a quarter of the width
    narrow = Result(method="x", model="m", estimate=10_520, interval=Interval(10_451, 10_549, kind="wald"),
                    observed=10_000)
    assert "Estimated total: 10,520 (95% confidence interval 10,450–10,550)" in narrow.sentence()


def test_every_section_in_order(kosovo_report: str) -> None:
    positions = [kosovo_report.index(f'<section id="{name}"') for name in SECTIONS]
    assert positions == sorted(positions)
    assert kosovo_report.startswith("<!DOCTYPE html>") and kosovo_report.rstrip().endswith("</html>")


def test_each_method_has_estimate_sentence_and_figures(kosovo_report: str) -> None:
    blocks = dict(re.findall(r'<section class="method" id="method-([a-z0-9-]+)">(.*?)</section>', kosovo_report,
                             flags=re.S))
    assert set(blocks) == {"chapman", "loglinear", "dga", "lcmcr"}
    assert "not applicable" in blocks["chapman"] and "exactly 2 lists" in blocks["chapman"]
    assert "Documented: at least 4,400. Estimated total: 7,390" in blocks["loglinear"]  # Mt = independence, 7,394.6
    for name in ("dga", "lcmcr"):
        assert "% of deaths are undocumented." in blocks[name]
        assert blocks[name].count("data:image/png;base64,") == 2  # posterior and trace/rank
        assert "95% credible interval (equal-tailed)" in blocks[name]
    assert blocks["loglinear"].count("data:image/png;base64,") == 1
    assert "r_hat" in blocks["lcmcr"] and "Warning:" in blocks["lcmcr"]  # short chains: convergence warning shown
    headline = dict(re.findall(r"<li><strong>([a-z0-9-]+)</strong>: (.*?)</li>", kosovo_report.split(
        '<ul class="headline">', 1)[1].split("</ul>", 1)[0]))
    assert set(headline) == {"loglinear", "dga", "lcmcr"}
    assert 'href="#method-lcmcr">⚠ see the warning below' in headline["lcmcr"]  # the headline says it too
    assert "⚠" not in headline["loglinear"] and "⚠" not in headline["dga"]
    # overlap plot and forest plot: 1 + 1 + 2 + 2 + 1
    assert kosovo_report.count("data:image/png;base64,") == 7


def test_summary_comparison_assumptions_and_provenance(kosovo: estimate.CaptureData, kosovo_report: str) -> None:
    summary = kosovo_report.split('<section id="summary"', 1)[1].split("</section>", 1)[0]
    assert "<strong>4,400</strong>" in summary
    for name, size in kosovo.list_sizes.items():
        assert f'<th scope="row">{name}</th>' in summary and f"{size:,}" in summary  # a row label, read aloud
    comparison = kosovo_report.split('<section id="comparison"', 1)[1].split("</section>", 1)[0]
    assert comparison.count("<tr>") == 1 + 4  # header + one row per method
    assumptions = kosovo_report.split('<section id="assumptions"', 1)[1].split("</section>", 1)[0]
    for name in ("loglinear", "dga", "lcmcr"):
        assert f"<dt>{name}</dt>" in assumptions
    assert "<dt>chapman</dt>" not in assumptions  # not applicable to 4 lists: it assumed nothing here
    assert "latent classes" in assumptions and "Closed population" in assumptions
    provenance = kosovo_report.split('<section id="provenance"', 1)[1].split("</section>", 1)[0]
    assert estimate.__version__ in provenance and kosovo.content_hash() in provenance
    assert re.search(r"<th>seed</th><td>1</td>", provenance)


def test_self_contained_and_escaped(kosovo_report: str) -> None:
    assert not re.search(r'(src|href)="(?!data:|#)', kosovo_report)
    assert "http://" not in kosovo_report and "https://" not in kosovo_report and "<script" not in kosovo_report
    assert "<title>Kosovo &lt;test&gt; &amp; report</title>" in kosovo_report


def test_only_aggregates_never_records() -> None:
    people = pd.DataFrame({
        "person": [f"Person-{i:03d}" for i in range(60)],
        "A": [1] * 30 + [0] * 20 + [1] * 10,
        "B": [0] * 30 + [1] * 20 + [1] * 10,
        "C": ([1, 0] * 30),
    })
    data = estimate.CaptureData.from_records(people, lists=["A", "B", "C"])
    page = make_report(data, [LogLinear(terms="independence")], seed=3)
    assert "Person-" not in page
    patterns = page.split('<table class="patterns">', 1)[1].split("</table>", 1)[0]
    assert patterns.count("<tr>") == 1 + data.n_patterns < 1 + data.observed
    assert 'id="venn-' not in page and page.count("data:image/png;base64,") == 3  # Venn, posterior, forest


def test_stratified_data_is_pooled_and_said_so(records: pd.DataFrame) -> None:
    data = estimate.CaptureData.from_records(records, lists=["A", "B", "C"], strata="region")
    page = make_report(data, ["mt"])
    assert "stratified by region" in page and "<strong>8</strong>" in page


def test_imputation_replicates_are_reported_once_not_summed(records: pd.DataFrame, tmp_path: Path) -> None:
    # the same 8 people, their region imputed twice: as a stratum the replicate column doubled everyone (16)
    imputed = pd.concat([records.assign(rep=1), records.assign(rep=2, region=records["region"][::-1].to_numpy())])
    data = estimate.CaptureData.from_records(imputed, lists=["A", "B", "C"], strata=["region", "rep"])
    page = make_report(data, ["mt"], replicate="rep")
    assert "<strong>8</strong>" in page and "2 imputation replicates (column rep)" in page
    assert "stratified by region" in page
    # the command it offers runs on these data: with the replicate column, pooled by a method with draws (it
    # offered `--strata region --totals all`, which reads rep as a list: an audit's find)
    assert "<code>estimate fit DATA --strata region --replicate rep --method lcmcr --totals all</code>" in page
    one = make_report(estimate.CaptureData.from_records(records.assign(rep=1), lists=["A", "B", "C"],
                                                        strata=["region", "rep"]), ["mt"], replicate="rep")
    assert "one imputation replicate (column rep)" in one and "1 imputation replicates" not in one
    summed = make_report(data, ["mt"])
    assert "<strong>16</strong>" in summed  # what a replicate column passed as a stratum does
    other = pd.concat([records.assign(rep=1), records.iloc[:6].assign(rep=2)])  # not imputations of one list set
    with pytest.raises(estimate.DataError, match="hold different capture histories"):
        make_report(estimate.CaptureData.from_records(other, lists=["A", "B", "C"], strata=["rep"]), ["mt"],
                    replicate="rep")
    csv = tmp_path / "imputed.csv"
    imputed.to_csv(csv, index=False)
    proc = subprocess.run([str(Path(sys.executable).with_name("estimate")), "report", str(csv), "--lists", "A,B,C",
                           "--strata", "region", "--replicate", "rep", "--methods", "mt", "-o",
                           str(tmp_path / "r.html")], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "<strong>8</strong>" in (tmp_path / "r.html").read_text()


def test_a_report_seeded_with_a_spawned_sequence(kosovo: estimate.CaptureData) -> None:
    import numpy as np

    # compare records {"entropy", "spawn_key"} for it, which provenance.collect refused (TypeError)
    page = make_report(kosovo, ["chao"], seed=np.random.SeedSequence(5).spawn(2)[1])
    assert "&#x27;spawn_key&#x27;: [1]" in page or "spawn_key" in page
    assert "<code>--seed {" not in page  # the CLI's --seed takes an integer: not offered


def test_default_methods_are_the_applicable_fast_ones(kosovo: estimate.CaptureData) -> None:
    assert default_methods(kosovo) == ["loglinear", "dga", "lcmcr"]
    # LCMCR is not identified on two lists (its interval would be the priors'): not a default there
    assert default_methods(kosovo.select_lists(["EXH", "ABA"])) == ["chapman", "loglinear"]
    assert default_methods(estimate.datasets.load("uk_modern_slavery_2013")) == ["loglinear", "lcmcr"]
    assert set(ASSUMPTIONS) == set(estimate.method_names())


def test_cli_writes_the_report_atomically(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    runner = CliRunner()
    done = runner.invoke(app, ["report", "--example", "kosovo", "--methods", "mt,chapman", "--output", str(out),
                               "--seed", "2", "--level", "0.9"])
    assert done.exit_code == 0, done.output
    page = out.read_text()
    assert all(f'<section id="{name}"' in page for name in SECTIONS)
    assert "90% confidence interval" in page and "Killings in Kosovo" in page
    assert "&quot;report&quot;, &quot;--example=kosovo&quot;, &quot;--methods=mt,chapman&quot;" in page
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]  # no temporary files left behind
    bad = runner.invoke(app, ["report", "--example", "kosovo", "--output", str(tmp_path / "r.txt")])
    assert bad.exit_code == 2 and ".html" in bad.output
    empty = runner.invoke(app, ["report", "--example", "kosovo", "--methods", ",", "--output", str(out)])
    assert empty.exit_code == 2


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Chromium (apt-get install -y chromium)")
def test_report_renders_in_headless_chromium(tmp_path: Path, kosovo_report: str) -> None:
    html_path = tmp_path / "report.html"
    html_path.write_text(kosovo_report, encoding="utf-8")
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "report_render.py"), "--html", str(html_path),
                           "--out-dir", str(tmp_path)], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert '"ok": true' in done.stdout and '"console_messages": []' in done.stdout
    assert (tmp_path / "report_screenshot.png").stat().st_size > 10_000


def test_report_keeps_a_method_s_own_level_unless_told(kosovo, tmp_path) -> None:
    """--level defaulted to 0.95 and overrode a preset's level (compare keeps it)."""
    from estimate.estimators.rcapture import Mt
    from estimate.report import make_report

    html = make_report(kosovo, [Mt(level=0.9)], seed=1)
    assert "90% confidence" in html and "95% confidence" not in html


def test_comparison_table_marks_lower_bounds_and_unbounded_intervals() -> None:
    """The report's comparison table showed Chao's lower bound as a plain estimate, and an interval of kind
    'none' as 'confidence (none)'."""
    from estimate import CaptureData
    from estimate.compare import compare
    from estimate.report import _section_comparison

    html = _section_comparison(compare(estimate.datasets.load("kosovo"), ["mth-chao", "loglinear"], seed=1))
    assert "≥ 8,591" in html
    apart = CaptureData([[1, 0], [0, 1]], [30, 20], ["A", "B"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        html = _section_comparison(compare(apart, ["chapman"], seed=1))
    assert "no upper limit" in html and "confidence (none)" not in html



def test_report_interval_kind_reaches_bayesian_methods(kosovo) -> None:
    from estimate.estimators.rcapture import Mt
    from estimate.report import make_report

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        html = make_report(kosovo, [Mt(), "dga"], seed=1, interval="hdi")
    assert "95% credible (hdi)" in html and "95% confidence (profile-likelihood)" in html
    assert "credible (equal-tailed)" not in html


def test_a_maximum_likelihood_figure_is_not_called_a_posterior(kosovo) -> None:
    from estimate.report import make_report

    html = make_report(kosovo, ["loglinear"], seed=1)
    assert "loglinear: estimate and confidence interval of N" in html
    assert "loglinear: posterior of N" not in html


def test_what_reading_the_data_warned_is_in_the_report(tmp_path: Path) -> None:
    """A list that documents nobody was dropped with a warning on stderr only: the report said "on 3 lists" with
    no word on the fourth (an audit's find). Diagnostics not computed read "—", not "nan"."""
    from estimate.report import _key_values

    frame = pd.DataFrame({"A": [1, 0, 1, 0, 1, 0], "B": [0, 1, 1, 0, 0, 1], "C": [0, 0, 0, 1, 1, 1], "E": 0})
    with pytest.warns(estimate.DataWarning, match="document nobody"):
        page = make_report(frame, ["mt"])
    assert "<strong>Reading the data:</strong> list(s) [&#x27;E&#x27;] document nobody and were dropped" in page
    csv = tmp_path / "e.csv"
    frame.to_csv(csv, index=False)
    proc = subprocess.run([str(Path(sys.executable).with_name("estimate")), "report", str(csv), "--methods", "mt",
                           "-o", str(tmp_path / "e.html")], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "warning (DataWarning): list(s) ['E'] document nobody" in proc.stderr
    assert "Reading the data:</strong> list(s) [&#x27;E&#x27;] document nobody" in (tmp_path / "e.html").read_text()
    assert ">—<" in _key_values([("r_hat", math.nan)]) and "nan" not in _key_values([("r_hat", math.nan)])
    # when the reading then fails, what it warned before the error is still shown (a review's find: swallowed)
    (tmp_path / "f.csv").write_text("A,B,count\n1,0,10\n1,0,5\n")
    proc = subprocess.run([str(Path(sys.executable).with_name("estimate")), "report", str(tmp_path / "f.csv"),
                           "--methods", "chapman", "-o", str(tmp_path / "f.html")], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 2 and "document nobody and were dropped" in proc.stderr, proc.stderr
