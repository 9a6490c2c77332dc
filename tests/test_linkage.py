"""Record linkage: standardisation, the synthetic generator, accuracy, errors, privacy, end-to-end pipeline.

The end-to-end tests link 500 synthetic people (about 600 records, a few seconds with splink on DuckDB) and need
the optional dependency splink; the ≥ 5,000-people acceptance run is marked slow (and is
benchmarks/linkage_accuracy.py).
"""

from __future__ import annotations

import io
import json
import math
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimate.errors import DataError
from estimate.linkage import (
    fit_linkages,
    link_lists,
    pairwise_accuracy,
    read_lists,
    replicate_thresholds,
    standardize_date,
    standardize_name,
    standardize_place,
    synthetic_lists,
    truth_for_records,
)
from estimate.linkage.standardize import (
    _CANONICAL,
    _fold_token,
    fold_text,
    name_key,
    name_parts,
    standardize_age,
    standardize_frame,
    standardize_sex,
)

ROLES = ["name", "sex", "age", "date", "place"]
FAST_LCMCR = {"burn_in": 1000, "draws": 500, "thinning": 2, "chains": 2}


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "estimate", *args], capture_output=True, text=True, input=stdin,
                          timeout=300)


# ------------------------------------------------------------------------------------------- standardisation

VARIANT_GROUPS = [
    ("Mohammed", "Muhammad", "Mohamed", "MOHAMMAD", "Mohamad", "muḥammad"),
    ("Abd al-Rahman", "Abdul Rahman", "Abdel-Rahman", "Abdulrahman", "ABD AL RAHMAN", "Abd-ur-Rahman",
     "Abdelrahman"),
    ("Abdullah", "Abdallah", "Abd Allah", "ABDULLA"),
    ("Hussein", "Husayn", "Hossein", "Hussain"),
    ("Youssef", "Yusuf", "Yousef", "Yousif"),
    ("Ja'far", "Jaʿfar", "Jafar", "Jaafar"),
    ("Fatimah Az-Zahra", "Fatima Zahra", "FATIMA AL-ZAHRA"),
    ("Youssef bin Omar", "Yusuf ibn Umar"),
    ("José María Pérez", "JOSE MARIA PEREZ", "Jose Maria Perez"),
    ("HASSAN, Mohammed Ali", "Mohammed Ali Hassan", "Muhammad Ali Al-Hasan"),
    ("Mustafa", "Mostafa", "Moustafa", "Mustapha"),
    ("Mohammed Abu Bakr", "MOHAMED ABOU BAKR", "ABOU-BAKR, Muhammad"),
]


@pytest.mark.parametrize("group", VARIANT_GROUPS, ids=lambda g: g[0])
def test_transliteration_and_spelling_variants_standardise_alike(group: tuple[str, ...]) -> None:
    forms = {standardize_name(v) for v in group}
    assert len(forms) == 1, forms


@pytest.mark.parametrize("a, b", [("Mohammed", "Mahmoud"), ("Hassan", "Hussein"), ("Ali", "Alia"),
                                  ("Omar", "Ammar"), ("María García", "Mario García")])
def test_different_names_stay_different(a: str, b: str) -> None:
    assert standardize_name(a) != standardize_name(b)


def test_name_parts_and_missing_names() -> None:
    assert name_parts(standardize_name("Mohammed Ahmed Al-Hassan")) == ("muhamad", "ahmad", "hasan")
    assert name_parts(standardize_name("Layla")) == ("layla", None, None)
    assert name_parts(standardize_name("José Luis García López")) == ("jose", "luis garcia", "lopez")
    for missing in (None, np.nan, pd.NA, "", "  -- "):
        assert standardize_name(missing) == ""
        assert name_parts(standardize_name(missing)) == (None, None, None)


def test_canonical_forms_are_fixed_points_of_the_folding() -> None:
    for canonical in set(_CANONICAL.values()):
        assert _fold_token(canonical) == canonical


def test_consonant_skeleton_merges_vowel_variants() -> None:
    assert name_key("hiba") == name_key("heba")
    assert name_key("ziad") == name_key("ziyad")
    assert name_key("obeid") == name_key("ubayd")
    assert name_key("rachid") == name_key("rashid")
    assert name_key(None) is None and name_key("") is None


_LETTERS = "abcdefghijklmnopqrstuvwxyzáéíóúñçüöäàèâêôûāīūḥṣṭẓ"
_ACCENTED = str.maketrans("aeiou", "áéíóú")
name_text = st.text(alphabet=st.sampled_from(list(_LETTERS + _LETTERS.upper() + " -'")), max_size=40)


@settings(max_examples=300, deadline=None)
@given(name_text)
def test_standardise_is_idempotent(text: str) -> None:
    once = standardize_name(text)
    assert standardize_name(once) == once


@settings(max_examples=300, deadline=None)
@given(name_text)
def test_standardise_ignores_case_and_accents(text: str) -> None:
    base = standardize_name(text)
    assert standardize_name(text.upper()) == base
    assert standardize_name(text.lower().translate(_ACCENTED)) == standardize_name(text.lower())


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_fold_text_output_is_plain_lowercase_ascii(text: str) -> None:
    folded = fold_text(text)
    assert re.fullmatch(r"[0-9a-z ]*", folded), folded
    assert folded == folded.strip() and "  " not in folded


def test_dates_in_the_formats_monitors_use() -> None:
    values = ["2012-05-03", "03/05/2012", "3 May 2012", "May 3, 2012", "03.05.2012", "", "unknown", None,
              "not a date", "2012-13-45"]
    out = standardize_date(values).tolist()
    assert out[:5] == ["2012-05-03"] * 5
    assert out[5:] == [None] * 5
    assert standardize_date(["03/05/2012"], dayfirst=False).tolist() == ["2012-03-05"]
    assert standardize_date(["05|03|2012"], date_format="%m|%d|%Y").tolist() == ["2012-05-03"]


def test_age_sex_and_place() -> None:
    assert standardize_age(["34", "34 years", " 7 ", "", None, "abc", "150", "-3"]).tolist()[:3] == [34.0, 34.0, 7.0]
    assert np.isnan(standardize_age(["", None, "abc", "150"]).to_numpy()).all()
    assert [standardize_sex(v) for v in ("F", "female", "Femme", "M", "male", "H", "hombre", "", "x", None)] == [
        "f", "f", "f", "m", "m", "m", "m", None, None, None]
    assert standardize_place("Al-Qusayr (village)") == standardize_place("el Qusayr") == "qusayr"
    assert standardize_place("") is None and standardize_place(None) is None


# (Arabic or Cyrillic script, a Latin transliteration of the same name)
CROSS_SCRIPT = [
    ("محمد عبد الرحمن الحسن", "Mohammed Abdul-Rahman Al-Hassan"),
    ("مُحَمَّد", "Muhammad"),  # vowel marks (harakat) carry no identity: dropped
    ("أحمد علي", "Ahmad Ali"),
    ("فاطمة الزهراء", "Fatima al-Zahra"),
    ("عبد الله عمر", "Abdullah Omar"),
    ("إبراهيم يوسف", "Ibrahim Yusuf"),
    ("خديجة حسين", "Khadija Hussein"),
    ("مصطفى قاسم", "Mustafa Qasim"),
    ("أبو بكر", "Abu Bakr"),
    ("Олександр Шевченко", "Oleksandr Shevchenko"),
]


@pytest.mark.parametrize(("native", "latin"), CROSS_SCRIPT, ids=lambda v: v)
def test_names_in_other_scripts_are_romanised_to_the_latin_skeleton(native: str, latin: str) -> None:
    """A name in Arabic or Cyrillic script standardises to Latin letters (it used to become "", so the linkage
    ignored names), and every token has the consonant skeleton of the usual transliteration."""
    ours, theirs = standardize_name(native), standardize_name(latin)
    assert ours and re.fullmatch(r"[a-z ]+", ours)
    assert [name_key(t) for t in ours.split()] == [name_key(t) for t in theirs.split()]
    assert standardize_name(ours) == ours  # idempotent on the romanised form


def test_other_scripts_for_age_sex_date_and_place() -> None:
    assert standardize_age(["٣٤", "۱۲", "٦ أشهر", "3 дня"]).tolist() == [34.0, 12.0, 0.0, 0.0]
    assert standardize_date(["٠٣/٠٥/٢٠١٢"]).tolist() == ["2012-05-03"]
    sexes = [standardize_sex(v) for v in ("ذكر", "أنثى", "м", "ж", "женский", "чоловік")]
    assert sexes == ["m", "f", "m", "f", "f", "m"]
    assert name_key(standardize_place("حمص")) == name_key(standardize_place("Homs"))
    assert standardize_name("张伟") == "zhangwei"


def test_standardize_frame_columns() -> None:
    frame = pd.DataFrame({"full": ["Mohammed Ali Hassan", ""], "dod": ["2012-01-02", "x"], "gender": ["M", ""]})
    out = standardize_frame(frame, {"name": "full", "date": "dod", "sex": "gender"})
    assert list(out.columns) == ["name", "given", "middle", "family", "given_key", "family_key", "sex", "date"]
    assert out.loc[0, "family"] == "hasan" and pd.isna(out.loc[1, "name"])
    assert out.loc[0, "date"] == "2012-01-02" and pd.isna(out.loc[1, "date"])


# ------------------------------------------------------------------------------------------- synthetic lists


@pytest.fixture(scope="module")
def sim():
    return synthetic_lists(500, seed=11)


def test_generator_is_reproducible(sim) -> None:
    again = synthetic_lists(500, seed=11)
    for name in sim.lists:
        pd.testing.assert_frame_equal(sim.lists[name], again.lists[name])
        np.testing.assert_array_equal(sim.truth[name], again.truth[name])
    other = synthetic_lists(500, seed=12)
    assert not sim.lists["A"].equals(other.lists["A"])


def test_generator_properties(sim) -> None:
    assert sorted(sim.lists) == ["A", "B", "C", "D"]
    assert sum(sim.N_by_region.values()) == sim.N == 500
    for name, frame in sim.lists.items():
        ids = sim.truth[name]
        assert len(frame) == len(ids) > 0
        assert ((ids >= 0) & (ids < sim.N)).all()
        assert list(frame.columns) == ["name", "sex", "age", "date", "place", "region", "notes"]
        assert "person_id" not in frame.columns
    assert 0 < sim.observed < sim.N
    # duplicates within a list, missing fields, both naming traditions, accents and upper case
    assert any(len(np.unique(ids)) < len(ids) for ids in sim.truth.values())
    everything = pd.concat(sim.lists.values())
    assert (everything["age"] == "").any() and (everything["date"] == "").any() and (everything["place"] == "").any()
    names = " ".join(everything["name"])
    assert re.search(r"[áéíóúñ]", names) and re.search(r"\bMOHAMMED|\bMuhammad|\bMohamed", names)
    assert "," in names  # "FAMILY, Given" order on list D


def test_true_histories_match_the_truth(sim) -> None:
    histories = sim.true_histories()
    assert len(histories) == sim.observed
    for name, ids in sim.truth.items():
        assert histories[name].sum() == len(np.unique(ids))
    assert set(histories["region"]) <= set(sim.N_by_region)


def test_generator_rejects_bad_parameters() -> None:
    with pytest.raises(DataError, match="positive whole number"):
        synthetic_lists(0)
    with pytest.raises(DataError, match="capture_probs"):
        synthetic_lists(100, capture_probs=[[0.5, 0.5]])
    with pytest.raises(DataError, match="no style"):
        synthetic_lists(100, lists=["A", "B", "X"], capture_probs=[[0.5] * 3, [0.2] * 3])


def test_written_lists_hold_no_truth(tmp_path: Path, sim) -> None:
    paths = sim.write(tmp_path)
    assert [p.name for p in paths] == ["A.csv", "B.csv", "C.csv", "D.csv"]
    frames = read_lists(paths)
    assert all("person" not in " ".join(f.columns) for f in frames.values())
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert truth["N"] == 500 and len(truth["person_ids"]["A"]) == len(frames["A"])


# ------------------------------------------------------------------------------------------- accuracy measure


def test_pairwise_accuracy_by_hand() -> None:
    # clusters {0,1} {2,3}; truth {0,1,2} {3}: predicted pairs 2, true pairs 3, common 1
    acc = pairwise_accuracy(np.array([0, 0, 1, 1]), np.array([7, 7, 7, 9]))
    assert acc["precision"] == pytest.approx(0.5) and acc["recall"] == pytest.approx(1 / 3)
    assert acc["predicted_pairs"] == 2 and acc["true_pairs"] == 3 and acc["true_positive_pairs"] == 1
    perfect = pairwise_accuracy(np.array([3, 3, 5]), np.array([0, 0, 1]))
    assert perfect["precision"] == perfect["recall"] == 1.0
    with pytest.raises(DataError):
        pairwise_accuracy(np.array([0, 1]), np.array([0]))


def test_replicate_thresholds() -> None:
    assert replicate_thresholds(5) == [0.5, 0.613, 0.725, 0.837, 0.95]
    assert replicate_thresholds(1) == [0.725]
    with pytest.raises(DataError):
        replicate_thresholds(0)


# ------------------------------------------------------------------------------------------- clear errors


def _write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_undecodable_file_names_the_file(tmp_path: Path) -> None:
    bad = _write(tmp_path / "monitor_b.csv", b"name,sex\n\xd9\x85\xff\xfe Hassan,M\n")
    with pytest.raises(DataError, match=r"monitor_b\.csv.*cannot be read as utf-8.*--encoding"):
        read_lists([bad])
    # a byte-order mark (spreadsheet exports) is not part of the first column's name
    bom = _write(tmp_path / "bom.csv", "\ufeffname,sex\nAli Hassan,M\n".encode())
    assert list(read_lists([bom])["bom"].columns) == ["name", "sex"]
    # the right encoding reads it
    good = _write(tmp_path / "latin.csv", "name,sex\nJosé Pérez,M\n".encode("latin-1"))
    assert read_lists([good], encoding="latin-1")["latin"].loc[0, "name"] == "José Pérez"


def test_empty_files_and_lists(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"empty\.csv.*is empty"):
        read_lists([_write(tmp_path / "empty.csv", "")])
    with pytest.raises(DataError, match="does not exist"):
        read_lists([tmp_path / "missing.csv"])
    with pytest.raises(DataError, match="no lists given"):
        read_lists([])
    header_only = read_lists([_write(tmp_path / "H.csv", "name,sex,age,date,place\n"),
                              _write(tmp_path / "G.csv", "name,sex,age,date,place\nAli Hassan,M,30,2012-01-01,X\n")])
    from estimate.linkage import link_lists

    with pytest.raises(DataError, match=r"list 'H' is empty"):
        link_lists(header_only, ROLES)


def test_missing_declared_columns_and_bad_declarations(sim) -> None:
    from estimate.linkage import link_lists

    frames = {k: v.drop(columns="age") if k == "C" else v for k, v in sim.lists.items()}
    with pytest.raises(DataError, match=r"list 'C' has no column\(s\) \['age'\]"):
        link_lists(frames, ROLES)
    with pytest.raises(DataError, match=r"no column\(s\) \['district'\]"):
        link_lists(sim.lists, ROLES, strata="district")
    with pytest.raises(DataError, match="unknown identifying field"):
        link_lists(sim.lists, ["name", "nickname"])
    with pytest.raises(DataError, match="must include the name"):
        link_lists(sim.lists, ["sex", "age"])
    with pytest.raises(DataError, match="at least 2 lists"):
        link_lists({"A": sim.lists["A"]}, ROLES)
    with pytest.raises(DataError, match="both an identifying field and a stratum"):
        link_lists(sim.lists, ROLES, strata="place")
    blank = {k: v.assign(name="") if k == "B" else v for k, v in sim.lists.items()}
    with pytest.raises(DataError, match="list 'B' has no names"):
        link_lists(blank, ROLES)
    # placeholders are missing names as linkage reads them: a list of "Unknown" was linked with exit 0 ("0 on 2+
    # lists"), and a list with some nameless records split their people without a word (a linkage audit's finds)
    unknown = {k: v.assign(name="Unknown") if k == "B" else v for k, v in sim.lists.items()}
    with pytest.raises(DataError, match=r"list 'B' has no names in column 'name' \(blank, or placeholders"):
        link_lists(unknown, ROLES)
    some = {k: v.assign(name=["NN" if i < 7 else n for i, n in enumerate(v["name"])]) if k == "B" else v
            for k, v in sim.lists.items()}
    from estimate import DataWarning

    with pytest.warns(DataWarning, match=rf"list 'B': 7 of {len(sim.lists['B']):,} records have no name"):
        link_lists(some, ROLES)
    # a file without a header line: its first record became the column names, which the error printed — a
    # victim's name, date and place (a linkage audit's find)
    headerless = dict(sim.lists)
    headerless["B"] = sim.lists["B"].iloc[1:].set_axis([str(x) for x in sim.lists["B"].iloc[0]], axis=1)
    with pytest.raises(DataError) as refused:
        link_lists(headerless, ROLES)
    assert "not shown: they may be a person's details" in str(refused.value)
    assert str(sim.lists["B"].iloc[0]["name"]) not in str(refused.value)
    # list names become columns beside the strata, the replicate column and (downstream) a count column
    # (a count name in any case: 'Freq' and 'N' are read as the count column too)
    for clash, strata in (("region", "region"), ("replicate", None), ("count", None), ("Freq", None), ("N", None)):
        renamed = {clash if k == "B" else k: v for k, v in sim.lists.items()}
        with pytest.raises(DataError, match=rf"list name\(s\) \['{clash}'\] clash"):
            link_lists(renamed, ROLES, strata=strata)
    with pytest.raises(DataError, match="repeat 0.9"):
        link_lists(sim.lists, ROLES, thresholds=(0.9, 0.9))


def test_missing_splink_gives_install_hint(monkeypatch) -> None:
    from estimate.linkage import require_splink

    monkeypatch.setitem(sys.modules, "splink", None)
    with pytest.raises(ImportError, match=r"estimate\[link\]"):
        require_splink()


def test_cli_refuses_to_write_over_an_input_list_or_read_a_folder(tmp_path: Path) -> None:
    a = _write(tmp_path / "A.csv", "name,sex,age,date,place\nAli Hassan,M,30,2012-01-01,X\n")
    b = _write(tmp_path / "B.csv", "name,sex,age,date,place\nAli Hasan,M,30,2012-01-01,X\n")
    for args, words in (([str(a), str(b), "-o", str(a)], "is the input file"),
                        ([str(a), str(tmp_path)], "is a folder")):
        proc = run_cli("link", *args)
        assert proc.returncode == 2 and words in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert a.read_text().startswith("name,sex")  # the list is still there
    proc = run_cli("simulate-lists", str(a))
    assert proc.returncode == 2 and "is a file, not a folder" in proc.stderr, proc.stderr
    # options that were silently ignored
    for args, words in ((["--encoding", "bogus"], "unknown encoding 'bogus'"),
                        (["--replicate-method", "sample", "--thresholds", "0.6,0.9"], "--thresholds sets")):
        proc = run_cli("link", str(a), str(b), *args)
        assert proc.returncode == 2 and words in proc.stderr, proc.stderr


def test_cli_bad_encoding_is_one_line_naming_the_file(tmp_path: Path) -> None:
    good = _write(tmp_path / "A.csv", "name,sex,age,date,place\nAli Hassan,M,30,2012-01-01,X\n")
    bad = _write(tmp_path / "B.csv", b"name,sex,age,date,place\n\xff\xfe,M,30,2012-01-01,X\n")
    proc = run_cli("link", str(good), str(bad))
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "B.csv" in lines[0] and "utf-8" in lines[0] and "Traceback" not in proc.stderr


# ------------------------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def linked(sim):
    pytest.importorskip("splink")
    from estimate.linkage import link_lists

    return link_lists(sim.lists, ROLES, strata="region", seed=3)


def test_small_linkage_is_accurate(sim, linked) -> None:
    ids = truth_for_records(linked.records, sim.truth)
    acc = pairwise_accuracy(linked.clusters(), ids)
    assert acc["precision"] >= 0.9 and acc["recall"] >= 0.9, acc
    assert abs(acc["individuals"] - sim.observed) <= 0.05 * sim.observed


def test_lists_without_dates_still_link(sim) -> None:
    """A declared date column that is empty everywhere is left out with a warning (it used to give λ = 0: no
    pair linked, every record a person of its own); dates on one list only no longer starve the estimate of λ
    (pairwise recall 0.47 before, 0.79 now; 0.99 with every date, 0.94 without a date column)."""
    pytest.importorskip("splink")
    from estimate.errors import DataWarning
    from estimate.linkage import link_lists

    blank = {k: v.assign(date=None) for k, v in sim.lists.items()}
    with pytest.warns(DataWarning, match="no record has a readable date"):
        res = link_lists(blank, ROLES, strata="region", seed=3)
    without = link_lists({k: v.drop(columns=["date"]) for k, v in sim.lists.items()},
                         ["name", "sex", "age", "place"], strata="region", seed=3)
    assert res.diagnostics["fields_without_values"] == ["date"]
    np.testing.assert_array_equal(res.clusters(), without.clusters())
    acc = pairwise_accuracy(res.clusters(), truth_for_records(res.records, sim.truth))
    assert acc["precision"] >= 0.9 and acc["recall"] >= 0.9, acc

    first = next(iter(sim.lists))
    one = {k: (v if k == first else v.assign(date=None)) for k, v in sim.lists.items()}
    res = link_lists(one, ROLES, strata="region", seed=3)
    acc = pairwise_accuracy(res.clusters(), truth_for_records(res.records, sim.truth))
    assert acc["precision"] >= 0.9 and acc["recall"] >= 0.7, acc


def test_histories_are_capture_histories_without_names(sim, linked) -> None:
    histories = linked.histories()
    assert list(histories.columns) == ["A", "B", "C", "D", "region"]
    lists = histories[["A", "B", "C", "D"]]
    assert set(np.unique(lists.to_numpy())) <= {0, 1} and (lists.sum(axis=1) >= 1).all()
    for name in lists:  # an individual is on a list iff one of its records is
        assert lists[name].sum() <= len(sim.lists[name])
    assert set(histories["region"]) <= set(sim.N_by_region)
    data = linked.capture_data()
    assert data.observed == len(histories) and data.strata_columns == ("region",)
    # row order carries nothing but stratum and pattern (in record order it told list A's holder which of A's
    # named people B, C and D also hold)
    keys = histories.assign(**{n: 1 - histories[n].astype(int) for n in ["A", "B", "C", "D"]})
    assert keys.equals(keys.sort_values(["region", "A", "B", "C", "D"], kind="stable"))


def test_replicates_and_summary(linked) -> None:
    reps = linked.replicates()
    assert list(reps.columns[:1]) == ["replicate"] and reps["replicate"].nunique() == 5
    sizes = reps.groupby("replicate", sort=False).size()
    # a higher threshold links less, so it can only split individuals
    assert (np.diff(sizes.to_numpy()) >= 0).all()
    sampled = linked.replicates(method="sample", n=3, seed=1)
    assert sorted(sampled["replicate"].unique()) == ["s01", "s02", "s03"]
    pd.testing.assert_frame_equal(sampled, linked.replicates(method="sample", n=3, seed=1))
    table = linked.summary()
    assert list(table["individuals"]) == list(sizes)
    with pytest.raises(DataError, match="unknown replicate method"):
        linked.replicates(method="bootstrap")
    # repeated thresholds (or equal to 6 digits) were stacked as one replicate, everyone in it twice
    with pytest.raises(DataError, match="repeat 0.9"):
        linked.replicates([0.6, 0.9, 0.9000001])


def test_linkage_is_deterministic(sim, linked) -> None:
    from estimate.linkage import link_lists

    again = link_lists(sim.lists, ROLES, strata="region", seed=3)
    pd.testing.assert_frame_equal(again.pairs, linked.pairs)


def test_pooled_fit_over_linkages(linked) -> None:
    from estimate.estimators.chao import ChaoLowerBound
    from estimate.estimators.lcmcr import LCMCR

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = fit_linkages(linked.replicates(), linked.lists, estimator=LCMCR(seed=2, **FAST_LCMCR), seed=2)
    assert len(fit.by_linkage) == 5
    # without strata no made-up stratum column ('__all__', named in warnings as "__all__=all") shows anywhere
    assert not any("__all__" in str(w.message) for w in caught)
    assert "__all__" not in fit.strata_result.summary().columns and "__all__" not in fit.summary().columns
    assert list(fit.strata_result.by) == []
    row = fit.total.iloc[0]
    # shown briefly and readably (the dataclass repr dumped both tables and the stratified result)
    assert repr(fit).startswith("LinkageFit(method='lcmcr', linkages=5, strata=[], estimate=") and len(repr(fit)) < 160
    assert str(fit).startswith(fit.sentence() + "\n") and str(fit).rstrip().splitlines()[-1].split()[0] == "pooled"
    assert fit._repr_html_().startswith("<pre>Pooled over 5 linkages")
    # each linkage's posterior median lies inside the mixture's 95% interval (its CDF there is in [0.1, 0.9])
    assert row["lower"] <= fit.by_linkage["estimate"].min() and fit.by_linkage["estimate"].max() <= row["upper"]
    assert row["lower"] >= fit.by_linkage["observed"].min()
    spread = fit.spread
    assert spread["linkages"] == 5
    estimates = fit.by_linkage["estimate"]
    assert spread["estimate_range"] == pytest.approx(estimates.max() - estimates.min())
    assert "Pooled over 5 linkages" in fit.sentence()
    with pytest.raises(DataError, match="no replicate column"):
        fit_linkages(linked.histories(), linked.lists)
    with pytest.raises(DataError, match="no posterior draws"):
        fit_linkages(linked.replicates(), linked.lists, method="loglinear")
    # an estimator of another method is taken as given (the default method='lcmcr' made fit_strata refuse it)
    with pytest.raises(DataError, match="no posterior draws"):
        fit_linkages(linked.replicates(), linked.lists, estimator=ChaoLowerBound())


def _identifying_words(sim) -> set[str]:
    """Every raw and standardised name token and place token (≥ 4 letters) of the lists."""
    words: set[str] = set()
    for frame in sim.lists.values():
        for value in pd.concat([frame["name"], frame["place"]]):
            words.update(w.casefold() for w in re.findall(r"[^\W\d_]{4,}", str(value)))
        for value in frame["name"]:
            words.update(t for t in standardize_name(value).split() if len(t) >= 4)
        for value in frame["place"]:
            words.update(t for t in (standardize_place(value) or "").split() if len(t) >= 4)
    return words - {"town"}  # "Nawa town": a generic word, not identifying


def _notes(sim) -> set[str]:
    return {n.casefold() for f in sim.lists.values() for n in f["notes"] if n}


def _leaks(text: str, words: set[str], notes: set[str] = frozenset()) -> set[str]:
    lowered = text.casefold()
    found = set(re.findall(r"[^\W\d_]{4,}", lowered)) & words
    return found | {n for n in notes if n in lowered}


def test_no_name_or_free_text_in_any_output(sim, linked, tmp_path: Path) -> None:
    from estimate.estimators.lcmcr import LCMCR

    words, notes = _identifying_words(sim), _notes(sim)
    assert {"muhamad", "mohammed", "hasan"} <= words and "shot at a checkpoint" in notes  # the check can fail
    assert _leaks("... Mohammed ...", words) and _leaks("x shot at a checkpoint", words, notes)
    outputs = {
        "histories": linked.histories().to_csv(index=False),
        "replicates": linked.replicates().to_csv(index=False),
        "records": linked.records.to_csv(index=False),
        "pairs": linked.pairs.to_csv(index=False),
        "diagnostics": json.dumps(linked.diagnostics, default=str),
        "repr": repr(linked),
        "summary": linked.summary().to_csv(index=False),
    }
    fit = fit_linkages(linked.replicates(), linked.lists, strata="region", estimator=LCMCR(seed=1, **FAST_LCMCR),
                       seed=1)
    outputs["fit"] = json.dumps(fit.to_dict(), default=str) + fit.sentence() + fit.summary().to_csv()
    outputs["strata"] = fit.strata_result.summary().to_csv() + json.dumps(fit.strata_result.provenance, default=str)
    outputs["saved"] = fit.strata_result.save(tmp_path / "strata.json").read_text()
    for name, text in outputs.items():
        assert not _leaks(text, words, notes), (name, sorted(_leaks(text, words, notes))[:10])


def test_cli_two_step_pipeline(tmp_path: Path, sim) -> None:
    pytest.importorskip("splink")
    words, notes = _identifying_words(sim), _notes(sim)
    lists = tmp_path / "lists"
    made = run_cli("simulate-lists", str(lists), "--people", "500", "--seed", "11")
    assert made.returncode == 0, made.stderr
    files = [str(lists / f"{k}.csv") for k in "ABCD"]
    linked = run_cli("link", *files, "--id-columns", "name,sex,age,date,place", "--seed", "3")
    assert linked.returncode == 0, linked.stderr
    histories = pd.read_csv(io.StringIO(linked.stdout))
    assert list(histories.columns) == ["A", "B", "C", "D"]
    assert abs(len(histories) - sim.observed) <= 0.05 * sim.observed
    fitted = run_cli("fit", "-", "--method", "loglinear", "--format", "json", stdin=linked.stdout)
    assert fitted.returncode == 0, fitted.stderr
    result = json.loads(fitted.stdout)
    assert result["observed"] == len(histories) and result["estimate"] >= len(histories)
    # with strata and replicate linkages, written to a file
    out = tmp_path / "histories.csv"
    linked = run_cli("link", *files, "--strata", "region", "--replicates", "3", "--output", str(out))
    assert linked.returncode == 0, linked.stderr
    table = pd.read_csv(out)
    assert list(table.columns) == ["replicate", "A", "B", "C", "D", "region"]
    assert sorted(table["replicate"].unique()) == ["p>=0.5", "p>=0.725", "p>=0.95"]
    preset = tmp_path / "fast.toml"
    preset.write_text('name = "fast"\nmethod = "lcmcr"\n[sampler]\nchains = 2\nburn_in = 1000\ndraws = 500\n'
                      'thinning = 2\n')
    fit_out = tmp_path / "fit.csv"
    fitted = run_cli("fit", str(out), "--model", str(preset), "--strata", "region", "--replicate", "replicate",
                     "--totals", "all", "--seed", "1", "-o", str(fit_out))
    assert fitted.returncode == 0, fitted.stderr
    written = fit_out.read_text() + (tmp_path / "fit.totals.csv").read_text()
    for text in (linked.stdout, linked.stderr, out.read_text(), fitted.stdout, fitted.stderr, made.stdout, written):
        assert not _leaks(text, words, notes), sorted(_leaks(text, words, notes))[:10]


# ------------------------------------------------------------------------------------------- acceptance (slow)


@pytest.mark.slow
def test_acceptance_5000_people_four_lists() -> None:
    """Issue 9 acceptance: ≥ 5,000 people, 4 lists: pairwise precision and recall ≥ 0.95 and the pooled 95%
    interval over the replicate linkages covers the true total (default LCMCR preset, per region)."""
    pytest.importorskip("splink")
    from estimate.linkage import link_lists

    sim = synthetic_lists(5000, seed=2026)
    linked = link_lists(sim.lists, ROLES, strata="region", seed=1)
    acc = pairwise_accuracy(linked.clusters(), truth_for_records(linked.records, sim.truth))
    assert acc["precision"] >= 0.95 and acc["recall"] >= 0.95, acc
    fit = fit_linkages(linked.replicates(), linked.lists, strata="region", method="lcmcr", seed=1)
    row = fit.total.iloc[0]
    assert row["lower"] <= sim.N <= row["upper"], (row.to_dict(), sim.N)


def test_names_without_middle_parts_link(sim) -> None:
    """Only given and family names: splink's middle-name column was typed NULL by DuckDB and its EM session on
    (given, middle, family) found no pairs; both crashed the linkage with a splink exception."""
    pytest.importorskip("splink")
    from estimate.linkage import link_lists

    short = {name: frame.assign(name=frame["name"].str.split().str[0] + " " + frame["name"].str.split().str[-1])
             for name, frame in sim.lists.items()}
    linked = link_lists(short, ROLES, strata="region", seed=3)
    histories = linked.histories()
    assert (histories[list(sim.lists)].sum(axis=1) >= 1).all()
    assert linked.diagnostics["em_sessions"] >= 1
    assert (histories[list(sim.lists)].sum(axis=1) >= 2).sum() > 0  # people are still found on several lists


def test_year_first_and_partial_dates_and_infant_ages() -> None:
    from estimate.linkage.standardize import standardize_age, standardize_date

    # year first is year-month-day even when day/month orders are read day first; partial dates are not days
    assert standardize_date(["2012/05/03", "20120503", "2012.5.3", "03/05/2012"], dayfirst=True).tolist() == [
        "2012-05-03", "2012-05-03", "2012-05-03", "2012-05-03"]
    assert standardize_date(["2012", "March 2012", "03/2012", "2012-03"]).tolist() == [None] * 4
    ages = standardize_age(["6 months", "2 weeks", "3 días", "18 meses", "34", "34 years", "~34"]).tolist()
    assert ages == [0.0, 0.0, 0.0, 1.0, 34.0, 34.0, 34.0]


def test_romanised_arabic_keeps_distinct_names_distinct() -> None:
    """anyascii drops alif and ʿayn: عمر / عامر / عمار all became "amr" (and حامد / حمد, سعيد / سيد alike), so
    different people matched exactly.  They stay distinct; their skeletons still equal the Latin spellings'."""
    groups = [("عمر", "عامر", "عمار"), ("حامد", "حمد"), ("سعيد", "سيد"), ("كامل", "كمال"), ("زياد", "زيد")]
    for group in groups:
        assert len({standardize_name(name) for name in group}) == len(group), group
    for native, latin in (("عامر", "Amer"), ("عمر", "Omar"), ("حامد", "Hamid"), ("سعيد", "Said"), ("زياد", "Ziad")):
        assert name_key(standardize_name(native)) == name_key(standardize_name(latin)), (native, latin)


def test_placeholder_names_are_missing_names() -> None:
    """Unidentified victims ("Unknown", "مجهول") were matched to each other as if they shared a name."""
    for placeholder in ("Unknown", "UNIDENTIFIED", "N/A", "مجهول", "مجهول الهوية", "Desconocido", "NN"):
        assert standardize_name(placeholder) == "", placeholder
    assert standardize_name("Ali Unknown") != ""  # a word inside a real name is kept


def test_ages_with_several_units_and_negative_ages() -> None:
    ages = standardize_age(["1 year 6 months", "20 years 3 months", "-1", "2 yrs", "12 años", "٣ سنوات"]).tolist()
    assert ages[:2] == [1.0, 20.0] and math.isnan(ages[2]) and ages[3:] == [2.0, 12.0, 3.0]


def test_ages_in_hours_are_newborns() -> None:
    """"3 hrs" was read as 3 years: no unit matched, so the bare number counted as years."""
    assert standardize_age(["3 hrs", "5 hours", "12 horas", "2 heures", "٣ ساعات", "3 yrs"]).tolist() == [
        0.0, 0.0, 0.0, 0.0, 0.0, 3.0]


def test_particles_that_are_given_names_are_kept_first() -> None:
    """"Ben Smith" standardised to "smith": the given name was dropped as the particle "ben", so he matched every
    Smith on a family name alone."""
    assert standardize_name("Ben Smith") == "ben smith"
    assert standardize_name("Dr. Ben Smith") == "ben smith"  # titles still go
    assert name_parts(standardize_name("Van Nguyen")) == ("van", None, "nguyen")
    assert standardize_name("Youssef bin Omar") == standardize_name("Yusuf Umar")  # inside the name: dropped
    assert standardize_name("Al-Hassan Mohammed") == standardize_name("Hassan Mohammed")  # articles go everywhere
    assert standardize_name("Ben Smith") != standardize_name("Smith")
    assert standardize_place("Ben Arous") == standardize_place("Arous")  # places: particles go, as before
    assert standardize_age(["3h", "5 h"]).tolist() == [0.0, 0.0]


def test_stratum_values_are_stripped_and_missing_markers_are_missing() -> None:
    from estimate.linkage.link import _stratum_value

    assert [_stratum_value(v) for v in ("north ", " north", "NA", "unknown", "", None, 2012)] == [
        "north", "north", None, None, None, None, 2012]


def test_lists_in_mixed_encodings_are_each_read_right(tmp_path: Path) -> None:
    """--encoding applied to every file: a UTF-8 list beside a cp1256 one was read as garbage, silently."""
    (tmp_path / "ar.csv").write_bytes("name,sex\nمحمد علي,ذكر\n".encode("cp1256"))
    (tmp_path / "lat.csv").write_text("name,sex\nJosé Pérez,M\n", encoding="utf-8")
    frames = read_lists([tmp_path / "ar.csv", tmp_path / "lat.csv"], encoding="cp1256")
    assert frames["ar"].loc[0, "name"] == "محمد علي" and frames["lat"].loc[0, "name"] == "José Pérez"


def test_names_alone_mixed_scripts_and_a_list_without_dates_are_reported(sim) -> None:
    pytest.importorskip("splink")
    from estimate.errors import DataWarning
    from estimate.linkage import link_lists

    with pytest.raises(DataError, match="names alone cannot be linked"):  # was ~30 lines of SplinkException SQL
        link_lists(sim.lists, ["name"], seed=1)
    first = next(iter(sim.lists))
    one_blank = {k: (v.assign(date="") if k == first else v) for k, v in sim.lists.items()}
    with pytest.warns(DataWarning, match=rf"\['{first}'\] have no readable date"):
        link_lists(one_blank, ROLES, seed=1)
    arabic = {k: v for k, v in list(sim.lists.items())[:2]}
    arabic[first] = arabic[first].assign(name="محمد علي")
    with pytest.warns(DataWarning, match="different scripts"):
        link_lists(arabic, ROLES, seed=1)


def test_linkage_options_that_would_be_ignored_are_refused(tmp_path: Path, sim) -> None:
    from estimate.linkage.standardize import _as_role_map

    with pytest.raises(DataError, match="declared twice"):
        _as_role_map(["name=full", "name=other"])
    for name, frame in list(sim.lists.items())[:2]:
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    files = [str(tmp_path / f"{name}.csv") for name in list(sim.lists)[:2]]
    proc = run_cli("link", *files, "--id-columns", "name,sex,age,date,place", "--replicate-method", "sample")
    assert proc.returncode == 2 and "--replicates" in proc.stderr
    proc = run_cli("link", *files, "--replicates", "3", "--threshold", "0.9")
    assert proc.returncode == 2 and "--threshold sets the single linkage" in proc.stderr
    with pytest.raises(DataError, match="method='sample'"):  # 452 thresholds at 3 decimals would repeat
        replicate_thresholds(452)
    assert len(set(replicate_thresholds(451))) == 451


def test_one_replicate_is_at_the_threshold_and_many_samples_need_no_thresholds(tmp_path: Path, sim) -> None:
    """--replicates 1 ignored --threshold (its linkage was at 0.725), and --replicate-method sample with 452 or more
    replicates failed on the threshold grid it does not use."""
    for name, frame in list(sim.lists.items())[:2]:
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    files = [str(tmp_path / f"{name}.csv") for name in list(sim.lists)[:2]]
    one = run_cli("link", *files, "--replicates", "1", "--threshold", "0.9")
    assert one.returncode == 0, one.stderr
    assert set(pd.read_csv(io.StringIO(one.stdout))["replicate"]) == {"p>=0.9"}
    many = run_cli("link", *files, "--replicate-method", "sample", "--replicates", "460", "--seed", "2")
    assert many.returncode == 0, many.stderr
    written = pd.read_csv(io.StringIO(many.stdout))
    assert written["replicate"].nunique() == 460
    # stderr describes the linkages written, not only the p >= 0.8 one that is not among them
    sizes = written.groupby("replicate").size()
    several = written[list(sim.lists)[:2]].sum(axis=1).ge(2).groupby(written["replicate"]).sum()
    assert (f"460 sampled linkages (written; each pair kept with its match probability): {sizes.min()}–{sizes.max()} "
            f"individuals, {several.min()}–{several.max()} on 2+ lists") in many.stderr


def test_list_files_separated_by_semicolons_or_tabs(tmp_path: Path) -> None:
    """`estimate fit` read ';' files, `estimate link` took each line as one column."""
    semi = _write(tmp_path / "semi.csv", b"name;sex\nAli Hassan;M\n")
    tabs = _write(tmp_path / "tabs.csv", b"name\tsex\nAli Hassan\tM\n")
    comma = _write(tmp_path / "comma.csv", b"name,note\nAli Hassan,a;b\n")
    frames = read_lists([semi, tabs, comma])
    assert list(frames["semi"].columns) == list(frames["tabs"].columns) == ["name", "sex"]
    assert frames["comma"].loc[0, "note"] == "a;b"


def test_names_without_a_middle_part_are_linked() -> None:
    """Two lists of 'John Smith'-style names sharing 200 identical records gave 600 individuals and nobody on both
    lists at every threshold: the rules blocked on the (always missing) middle name and λ collapsed to 2e-43."""
    from estimate.linkage import link_lists

    rng = np.random.default_rng(0)
    n = 400
    people = pd.DataFrame({
        "name": [f"{g} {f}" for g, f in zip(
            rng.choice(["John", "Maria", "Omar", "Lina", "Ivan", "Rosa"], n),
            rng.choice(["Smith", "Garcia", "Haddad", "Lopez", "Silva", "Diaz", "Saleh", "Rojas"], n), strict=True)],
        "sex": rng.choice(["M", "F"], n), "age": rng.integers(1, 90, n).astype(str),
        "place": rng.choice(["Homs", "Hama", "Idlib", "Daraa"], n),
        "date": (pd.Timestamp("2012-01-01") + pd.to_timedelta(rng.integers(0, 3000, n), unit="D")).strftime(
            "%Y-%m-%d")})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        linked = link_lists({"A": people.iloc[:300], "B": people.iloc[100:]}, ["name", "sex", "age", "date", "place"])
    table = linked.summary()
    row = table[table["threshold"] > 0.8].iloc[0]  # (0.837: the default grid's step above the 0.8 default)
    assert row["individuals"] == 400 and row["on_2plus_lists"] == 200


def test_list_files_keep_distinct_names_and_one_file_is_not_two_lists(tmp_path: Path) -> None:
    """A.csv, A_3.csv and x/A.csv lost a list (x/A.csv was renamed A_3 over the real A_3); the same file twice
    became two lists with everyone on both."""
    from estimate.linkage.link import read_lists

    (tmp_path / "x").mkdir()
    for path in (tmp_path / "A.csv", tmp_path / "A_2.csv", tmp_path / "x" / "A.csv"):
        path.write_text("name,sex\nJohn Smith,M\nAna Diaz,F\n")
    frames = read_lists([tmp_path / "A.csv", tmp_path / "A_2.csv", tmp_path / "x" / "A.csv"])
    assert list(frames) == ["A", "A_2", "A_3"]
    with pytest.raises(DataError, match="given twice"):
        read_lists([tmp_path / "A.csv", tmp_path / "A.csv"])


def test_pooled_fit_keeps_the_estimators_level_and_kind(linked) -> None:
    """fit_linkages replaced the estimator's level by 0.95 (its own default), and each linkage's row was an
    equal-tailed interval beside an HDI pooled row, with no column saying which was which."""
    from estimate.estimators.lcmcr import LCMCR
    from estimate.inference_data import interval_from_draws

    fit = fit_linkages(linked.replicates(), linked.lists, estimator=LCMCR(seed=2, level=0.9, interval="hdi",
                                                                           **FAST_LCMCR), seed=2)
    table = fit.summary()
    assert set(table["level"]) == {0.9} and set(table["interval_kind"]) == {"hdi"}
    assert (fit.level, fit.interval_kind) == (0.9, "hdi")
    assert "90% highest-density credible interval" in fit.sentence()
    first = fit.by_linkage.iloc[0]
    outcome = next(o for reps in fit.strata_result.replicate_outcomes.values() for o in reps
                   if str(o.key[-1]) == first["replicate"])
    expected = interval_from_draws(np.asarray(outcome.draws).ravel(), level=0.9, kind="hdi")
    assert (first["lower"], first["upper"]) == (expected.lower, expected.upper)
    again = fit_linkages(linked.replicates(), linked.lists, estimator=LCMCR(seed=2, level=0.9, interval="hdi",
                                                                             **FAST_LCMCR), seed=2, level=0.8)
    assert set(again.summary()["level"]) == {0.8} and again.total.iloc[0]["lower"] > fit.total.iloc[0]["lower"]


def test_a_name_that_folds_to_a_placeholder_is_missing_at_once() -> None:
    """Hypothesis found "NAA": folded to "na", which standardising again read as the missing-value marker NA."""
    assert standardize_name("NAA") == standardize_name(standardize_name("NAA")) == ""
    assert standardize_name(standardize_name("Naa Mensah")) == standardize_name("Naa Mensah") == "na mensa"


def test_stratum_placement_of_linked_people_is_reported(linked) -> None:
    """People whose records carry no region went silently into an 'unknown' stratum, and records of one person
    that disagree on the region were settled silently (an audit's find): both are now counted in a DataWarning,
    once per call (replicate linkages included), and the placement itself is unchanged."""
    import dataclasses

    from estimate.errors import DataWarning

    labels = linked.clusters()
    sizes = np.bincount(labels)
    singles = np.flatnonzero(sizes == 1)[:3]
    pairs = np.flatnonzero(sizes == 2)[:2]
    records = linked.records.copy()
    records.loc[np.isin(labels, singles), "region"] = None
    for cluster in pairs:  # two records, two regions: a tie, settled by text order
        first = np.flatnonzero(labels == cluster)[0]
        other = "east" if records.loc[first, "region"] != "east" else "west"
        records.loc[first, "region"] = other
    edited = dataclasses.replace(linked, records=records)
    with pytest.warns(DataWarning) as caught:
        histories = edited.histories()
    text = " ".join(str(w.message) for w in caught if issubclass(w.category, DataWarning))
    assert f"3 of {len(sizes)} individuals have no 'region' on any of their records and form the stratum 'unknown'" \
        in text
    assert "2 individuals' records give different values of 'region'" in text
    assert (histories["region"] == "unknown").sum() == 3
    with pytest.warns(DataWarning, match=r"over the 2 replicate linkages") as caught:
        edited.replicates([0.5, 0.9])
    assert sum(issubclass(w.category, DataWarning) for w in caught) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        linked.histories()  # every record of every person has one region: nothing to say


def test_a_list_written_month_first_is_read_month_first(sim) -> None:
    """Dates were parsed value by value, ambiguous ones day first: a list written month/day/year had every date up
    to the 12th of a month swapped, without a word, and fewer people linked (a linkage audit's find). A list whose
    dates can only be read the other way round is read so, with a warning."""
    from estimate import DataWarning
    from estimate.linkage import link_lists
    from estimate.linkage.standardize import date_order_evidence

    assert date_order_evidence(["25/04/2012", "04/05/2012", "4/25/2012", "2012-04-25", None]) == (1, 1)
    parsed = pd.to_datetime(sim.lists["B"]["date"], format="mixed", dayfirst=True, errors="coerce")
    month_first = dict(sim.lists)
    month_first["B"] = sim.lists["B"].assign(date=parsed.dt.strftime("%m/%d/%Y").where(parsed.notna(), None))
    assert date_order_evidence(month_first["B"]["date"])[1] > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        as_given = link_lists(sim.lists, ROLES, seed=0).histories(0.8)
    with pytest.warns(DataWarning, match=r"list 'B': \d+ of its dates can only be read month first"):
        read = link_lists(month_first, ROLES, seed=0).histories(0.8)
    pd.testing.assert_frame_equal(read, as_given)


def test_a_threshold_below_one_half_is_warned_about(sim) -> None:
    """--threshold 0.3 was accepted without a word, though a link below 0.5 is more likely a non-match (a linkage
    audit's note; the replicate thresholds start at 0.5 for that reason)."""
    from estimate import DataWarning
    from estimate.linkage import link_lists

    with pytest.warns(DataWarning, match=r"match threshold\(s\) \[0.3\] below 0.5"):
        link_lists(sim.lists, ROLES, threshold=0.3, seed=0)


def test_a_negative_seed_is_refused_by_name_before_any_work(tmp_path: Path) -> None:
    """link and simulate-lists with --seed -1 said only numpy's "expected non-negative integer" (link after its
    linkage work had started); the Python functions now name the seed, the CLI the option (an audit's find)."""
    from typer.testing import CliRunner

    from estimate.cli import app

    with pytest.raises(ValueError, match="synthetic_lists: seed must be a non-negative integer"):
        synthetic_lists(50, seed=-1)
    sim = synthetic_lists(200, seed=1)
    with pytest.raises(ValueError, match="link_lists: seed must be a non-negative integer"):
        link_lists(sim.lists, seed=-1)
    for args in (["simulate-lists", str(tmp_path / "d"), "--seed", "-1"],
                 ["link", str(tmp_path / "A.csv"), str(tmp_path / "B.csv"), "--seed", "-1"]):
        out = CliRunner().invoke(app, args)
        assert out.exit_code == 2 and "--seed" in out.output, (args, out.output)
    assert not (tmp_path / "d").exists()
