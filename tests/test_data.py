"""CaptureData: constructors, descriptives, validation (one DataError naming the column/row)."""

from __future__ import annotations

import io
import re
import unicodedata
import warnings

import numpy as np
import pandas as pd
import pytest

import estimate
from estimate import CaptureData, DataError, DataWarning


def test_kosovo_descriptives(kosovo: CaptureData) -> None:
    assert kosovo.observed == 4400
    assert kosovo.lists == ("EXH", "ABA", "OSCE", "HRW")
    assert kosovo.list_sizes.to_dict() == {"EXH": 1910, "ABA": 1528, "OSCE": 1786, "HRW": 685}
    overlaps = kosovo.overlaps()
    assert overlaps.loc["EXH", "ABA"] == 403 and overlaps.loc["OSCE", "HRW"] == 224
    assert (np.diag(overlaps) == kosovo.list_sizes.to_numpy()).all()
    table = kosovo.pattern_table()
    assert list(table.columns) == ["EXH", "ABA", "OSCE", "HRW", "count"] and table["count"].sum() == 4400
    assert kosovo.n_patterns == 15


def test_record_level_with_booleans_and_strata(records: pd.DataFrame) -> None:
    boolean = records.assign(A=records["A"].astype(bool))
    data = CaptureData.from_records(boolean, lists=["A", "B", "C"], strata="region")
    assert data.observed == 8 and data.strata_columns == ("region",)
    parts = data.by("region")
    assert set(parts) == {"n", "s"} and parts["n"].observed == 4 and parts["s"].observed == 4


def test_by_several_columns_gives_tuple_keys(records: pd.DataFrame) -> None:
    frame = records.assign(period=[1, 1, 2, 2, 1, 1, 2, 2])
    data = CaptureData.from_records(frame, lists=["A", "B", "C"], strata=["region", "period"])
    parts = data.by(["region", "period"])
    assert all(isinstance(k, tuple) and len(k) == 2 for k in parts)
    assert sum(p.observed for p in parts.values()) == 8


def test_long_table() -> None:
    long = pd.DataFrame({"id": [1, 1, 2, 3, 3, 3, 4], "list": ["A", "B", "A", "A", "B", "C", "C"]})
    data = CaptureData.from_long(long)
    assert data.observed == 4
    assert data.list_sizes.to_dict() == {"A": 3, "B": 2, "C": 2}


def test_long_table_conflicting_strata() -> None:
    long = pd.DataFrame({"id": [1, 1, 2], "list": ["A", "B", "A"], "region": ["x", "y", "x"]})
    with pytest.raises(DataError, match="conflicting stratum"):
        CaptureData.from_long(long, strata="region")


def test_csv_and_parquet_readers(tmp_path, kosovo: CaptureData) -> None:
    csv = tmp_path / "k.csv"
    kosovo.pattern_table().to_csv(csv, index=False)
    parquet = tmp_path / "k.parquet"
    kosovo.pattern_table().to_parquet(parquet)
    assert CaptureData.read(csv) == kosovo
    assert CaptureData.read(parquet) == kosovo


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        (pd.DataFrame({"A": [1, 2, 0], "B": [0, 1, 1], "count": [1, 2, 3]}), r"'A' is not binary.*2"),
        (pd.DataFrame({"A": [1, np.nan, 0], "B": [0, 1, 1], "count": [1, 2, 3]}), r"'A' has a missing value"),
        (pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [1, -2, 3]}), r"negative count"),
        (pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [1, 2.5, 3]}), r"non-integer count"),
        (pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [1, None, 3]}), r"count column 'count' has a missing"),
        (pd.DataFrame({"A": [1, 1], "count": [1, 2]}), r"at least 2 lists"),
        (pd.DataFrame({"A": [1, 0], "B": [0, 1], "count": [0, 0]}), r"zero records"),
        (pd.DataFrame({"A": [0, 1], "B": [0, 1], "count": [5, 2]}), r"none of the lists"),
    ],
)
def test_bad_aggregated_input_raises(frame: pd.DataFrame, match: str) -> None:
    with pytest.raises(DataError, match=match):
        CaptureData.from_aggregated(frame)


def test_data_error_is_value_error() -> None:
    assert issubclass(DataError, ValueError)


def test_zero_records_in_record_table() -> None:
    with pytest.raises(DataError, match="zero records"):
        CaptureData.from_records(pd.DataFrame({"A": [], "B": []}))


def test_missing_stratum_value_names_column_and_row(records: pd.DataFrame) -> None:
    records.loc[3, "region"] = None
    with pytest.raises(DataError, match=r"stratum column 'region' has a missing value at row 3"):
        CaptureData.from_records(records, lists=["A", "B", "C"], strata="region")


def test_duplicate_patterns_are_merged_with_warning() -> None:
    frame = pd.DataFrame({"A": [1, 1, 0], "B": [0, 0, 1], "count": [2, 3, 4]})
    with pytest.warns(DataWarning, match="duplicate"):
        data = CaptureData.from_aggregated(frame)
    assert data.n_patterns == 2 and data.observed == 9


def test_empty_list_dropped_with_warning_or_strict_raises() -> None:
    frame = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "C": [0, 0, 0], "count": [5, 6, 7]})
    with pytest.warns(DataWarning, match=r"\['C'\] document nobody"):
        data = CaptureData.from_aggregated(frame)
    assert data.lists == ("A", "B")
    with pytest.raises(DataError, match=r"\['C'\] document nobody"):
        CaptureData.from_aggregated(frame, strict=True)


def test_unknown_columns_named() -> None:
    with pytest.raises(DataError, match=r"list column\(s\) \['Z'\] not found"):
        CaptureData.from_aggregated(pd.DataFrame({"A": [1], "B": [1], "count": [1]}), lists=["A", "Z"])


def test_to_records_round_trip(kosovo: CaptureData) -> None:
    again = CaptureData.from_records(kosovo.to_records())
    assert again == kosovo


def test_without_strata_and_select_lists(records: pd.DataFrame) -> None:
    data = CaptureData.from_records(records, lists=["A", "B", "C"], strata="region")
    assert data.without_strata().observed == 8
    sub = data.without_strata().select_lists(["B", "A"])
    assert sub.lists == ("B", "A") and sub.observed == int(((records.A + records.B) > 0).sum())


def test_estimator_rejects_stratified_data(records: pd.DataFrame) -> None:
    data = CaptureData.from_records(records, lists=["A", "B", "C"], strata="region")
    with pytest.raises(DataError, match="stratified"):
        estimate.ChaoLowerBound().fit(data)


def test_thirty_lists_stored_sparsely() -> None:
    rng = np.random.default_rng(1)
    x = (rng.random((5000, 30)) < 0.1).astype(np.uint8)
    x = x[x.sum(1) > 0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no empty-list warning expected
        data = CaptureData.from_records(pd.DataFrame(x, columns=[f"L{i}" for i in range(30)]))
    assert data.patterns.shape == (data.n_patterns, 30) and data.n_patterns <= len(x)
    assert data.content_hash() == CaptureData.from_records(data.to_records()).content_hash()


@pytest.mark.parametrize("big", [1e30, 2**63, 2**53 + 2, 10**11 + 1])
def test_counts_too_large_to_hold_exactly_are_refused(big: float) -> None:
    table = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [3, big, 2]})
    with pytest.raises(DataError, match="largest count"):
        CaptureData.from_aggregated(table)


def test_counts_adding_up_beyond_the_exact_range_are_refused() -> None:
    table = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [4 * 10**10, 4 * 10**10, 4 * 10**10]})
    with pytest.raises(DataError, match="add up to more than"):
        CaptureData.from_aggregated(table)


def test_repeated_column_names_are_refused_in_frames_and_csv_headers(tmp_path) -> None:
    frame = pd.DataFrame([[1, 0, 1], [0, 1, 1]], columns=["A", "B", "A"])
    with pytest.raises(DataError, match=r"more than one column named \['A'\]"):
        CaptureData.from_records(frame, lists=["A", "B"])
    path = tmp_path / "dup.csv"
    path.write_text("A,B,A\n1,0,1\n0,1,1\n")  # pandas would rename the second A to "A.1"
    with pytest.raises(DataError, match="header of"):
        CaptureData.read_csv(path)


def test_csv_stratum_codes_keep_their_spelling(tmp_path) -> None:
    path = tmp_path / "codes.csv"
    path.write_text("A,B,region,count\n1,0,01,3\n0,1,1,4\n1,1,01,2\n1,1,1,5\n")
    data = CaptureData.read_csv(path, strata="region")
    parts = data.by("region")
    assert set(parts) == {"01", "1"}  # not merged into one stratum 1
    assert parts["01"].observed == 5 and parts["1"].observed == 9


def test_unknown_stratum_column_in_records_is_named(records: pd.DataFrame) -> None:
    with pytest.raises(DataError, match=r"stratum column\(s\) \['district'\] not found"):
        CaptureData.from_records(records, lists=["A", "B", "C"], strata="district")


def test_a_list_called_like_the_internal_count_column_is_kept() -> None:
    frame = pd.DataFrame({"__count__": [1, 0, 1], "B": [1, 1, 0]})
    data = CaptureData.from_records(frame)
    assert data.lists == ("__count__", "B") and data.observed == 3 and data.list_sizes.to_dict() == {
        "__count__": 2, "B": 2}


@pytest.mark.parametrize(
    ("patterns", "counts", "words"),
    [
        ([1, 0, 1], [1, 2, 3], "(P, J) array"),
        ([[1, 0], [1]], [1, 2], "rectangular"),
        ([[1, 0], [1, 1]], [1, 2, 3], "one number per pattern row"),
    ],
)
def test_malformed_arrays_give_data_errors(patterns, counts, words: str) -> None:
    with pytest.raises(DataError, match=re.escape(words)):
        CaptureData(patterns, counts, ["A", "B"])


def test_a_directory_is_not_read_as_data(tmp_path) -> None:
    with pytest.raises(DataError, match="not a file"):
        CaptureData.read(tmp_path)


@pytest.mark.parametrize("separator", [";", "\t"])
def test_semicolon_or_tab_separated_csv_is_read(tmp_path, separator: str) -> None:
    path = tmp_path / "lists.csv"
    path.write_text(separator.join(["A", "B", "C", "count"]) + "\n"
                    + "\n".join(separator.join(map(str, row)) for row in [(1, 0, 1, 3), (0, 1, 1, 4), (1, 1, 0, 2)]))
    data = CaptureData.read_csv(path)
    assert data.lists == ("A", "B", "C") and data.observed == 9


def test_a_subset_of_the_lists_leaves_out_people_seen_only_by_the_others() -> None:
    """--lists EXH,ABA on the Kosovo table failed: rows of people only on OSCE or HRW are all-zero on the chosen
    lists.  They are left out with a warning, as CaptureData.select_lists does; an all-zero row on every list of
    the data stays an error."""
    frame = estimate.datasets.load_frame("kosovo")
    with pytest.warns(estimate.DataWarning, match="none of the chosen lists"):
        subset = CaptureData.from_frame(frame, lists=["EXH", "ABA"], count="count")
    full = estimate.datasets.load("kosovo").select_lists(["EXH", "ABA"])
    assert subset.observed == full.observed and subset.pattern_table().equals(full.pattern_table())
    zero = pd.DataFrame({"A": [1, 0, 0], "B": [0, 1, 0], "C": [1, 1, 0], "count": [3, 4, 5]})
    with pytest.raises(DataError, match="none of the lists"):
        CaptureData.from_frame(zero, lists=["A", "B"], count="count")


def test_a_zero_one_column_with_a_count_name_is_not_silently_taken_as_counts() -> None:
    """A list called "n" (or freq, counts ...) was read as the count column: 4 people became 3 on 2 lists."""
    frame = pd.DataFrame({"n": [1, 0, 1, 1], "B": [0, 1, 1, 1], "C": [1, 1, 0, 1]})
    with pytest.raises(DataError, match="'n' holds only 0 and 1"):
        CaptureData.from_frame(frame)
    as_lists = CaptureData.from_frame(frame, lists=["n", "B", "C"])
    assert as_lists.lists == ("n", "B", "C") and as_lists.observed == 4
    aggregated = CaptureData.from_frame(pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "n": [5, 3, 2]}))
    assert aggregated.lists == ("A", "B") and aggregated.observed == 10


@pytest.mark.parametrize("strata", [pd.Series(["x", "y"]), ["x", "y"]])
def test_unnamed_strata_are_refused_with_a_clear_error(strata: object) -> None:
    with pytest.raises(DataError, match="strata must be a DataFrame"):
        CaptureData([[1, 0], [0, 1]], [1, 2], ["A", "B"], strata=strata)
    named = CaptureData([[1, 0], [0, 1]], [1, 2], ["A", "B"], strata=pd.DataFrame({0: ["x", "y"]}))
    assert named.strata_columns == ("0",)


def test_a_subset_of_the_lists_of_record_level_data_works_like_aggregated_data() -> None:
    """--lists A,B on records where someone is only on C failed ("records people on none of the lists");
    the same data aggregated dropped that person with a warning."""
    frame = pd.DataFrame({"A": [1, 0, 1, 1, 0, 0], "B": [0, 1, 1, 1, 1, 0], "C": [0, 0, 0, 1, 0, 1],
                          "id": [11, 12, 13, 14, 15, 16]})
    with pytest.warns(DataWarning, match=r"on none of the chosen lists \['A', 'B'\].*\['C'\]"):
        data = CaptureData.from_records(frame, lists=["A", "B"])
    assert data.lists == ("A", "B") and data.observed == 5
    with pytest.raises(DataError, match="none of the lists"):  # nobody on any list at all is still an error
        CaptureData.from_records(frame.assign(C=0), lists=["A", "B"])


@pytest.mark.parametrize("values", [np.array([3 + 0j, 1j, 2 + 0j]), pd.to_timedelta([1, 2, 3], unit="s")])
def test_count_columns_of_complex_or_time_values_are_refused(values: object) -> None:
    with pytest.raises(DataError, match="counts must be whole numbers"):
        CaptureData.from_aggregated(pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": values}))


def test_stratum_values_that_read_alike_are_refused() -> None:
    """1 and "1" became two strata that both print as "1"."""
    frame = pd.DataFrame({"A": [1, 0, 1, 1], "B": [0, 1, 1, 1], "region": [1, "1", 2, 2]})
    with pytest.raises(DataError, match="read alike"):
        CaptureData.from_records(frame, lists=["A", "B"], strata="region")
    fine = CaptureData.from_records(frame.assign(region=["1", "1", "2", "x"]), lists=["A", "B"], strata="region")
    assert fine.strata_columns == ("region",)


def test_a_text_value_in_a_list_column_is_not_echoed() -> None:
    # a names file given as a list table printed the victim's name in the error
    frame = pd.DataFrame({"name": ["Pilar Martínez Aguilar", "Ali"], "A": [1, 0], "B": [0, 1]})
    with pytest.raises(DataError, match="'name' is not binary: a text value of 22 characters") as info:
        CaptureData.from_records(frame, lists=["name", "A", "B"])
    assert "Pilar" not in str(info.value)
    codes = pd.DataFrame({"stratum": ["S1", "S2"], "A": [1, 0], "B": [0, 1]})
    with pytest.raises(DataError, match="value 'S1'"):  # codes are still shown
        CaptureData.from_records(codes, lists=["stratum", "A", "B"])
    with pytest.raises(DataError, match="value 'x'"):  # and one-letter codes
        CaptureData.from_records(codes.assign(stratum=["x", "y"]), lists=["stratum", "A", "B"])


def test_rows_ending_in_a_separator_keep_their_columns(tmp_path) -> None:
    """With a trailing comma on every row, pandas took the first column as the index and shifted each value one
    column to the left: list sizes A=3, B=2 instead of 2, 3."""
    path = tmp_path / "trailing.csv"
    path.write_text("A,B,C\n1,0,1,\n0,1,1,\n1,1,0,\n0,1,0,\n")
    data = CaptureData.read(path, lists=["A", "B"])
    assert data.list_sizes.to_dict() == {"A": 2, "B": 3}
    extra = tmp_path / "extra.csv"
    extra.write_text("A,B,C\n1,0,1,5\n0,1,1,3\n1,1,0,2\n")  # a real extra value, no row names: refused
    with pytest.raises(DataError, match="one more field than the header"):
        CaptureData.read(extra)
    # R's write.csv: row names with no header field, which pandas reads as the index (as before)
    r_style = tmp_path / "r.csv"
    r_style.write_text('"A","B","count"\n"1",1,0,3\n"2",0,1,2\n"3",1,1,4\n')
    assert CaptureData.read(r_style).list_sizes.to_dict() == {"A": 7, "B": 6}
    # read_csv's own header arguments pass through (header= was given twice and raised a TypeError)
    plain = tmp_path / "plain.csv"
    plain.write_text("A,B,count\n1,0,3\n0,1,2\n1,1,4\n")
    assert CaptureData.read_csv(plain, header=0).observed == 9
    assert CaptureData.read_csv(plain, header=None, names=["A", "B", "count"], skiprows=1).observed == 9


@pytest.mark.parametrize("separator", [";", "\t"])
def test_duplicate_header_found_with_any_separator(tmp_path, separator: str) -> None:
    path = tmp_path / "dup.csv"
    path.write_text(separator.join(["A", "A", "count"]) + "\n" + separator.join(["1", "0", "30"]) + "\n"
                    + separator.join(["0", "1", "20"]) + "\n")
    with pytest.raises(DataError, match="more than one column named"):
        CaptureData.read(path)


def test_formats_that_are_not_csv_are_refused_by_name(tmp_path) -> None:
    path = tmp_path / "lists.xlsx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(DataError, match=r"\.xlsx files are not supported"):
        CaptureData.read(path)


def test_json_records_are_read_as_a_table(tmp_path) -> None:
    """`estimate widen --format json` wrote a pattern table that `fit` refused (.json was not an input format)."""
    table = pd.DataFrame({"A": [1, 0, 1, 1], "B": [0, 1, 1, 1], "region": ["01", "02", "01", "02"],
                          "count": [3, 4, 5, 2]})
    expected = CaptureData.from_frame(table, strata="region")
    array = tmp_path / "patterns.json"
    array.write_text(table.to_json(orient="records"))
    lines = tmp_path / "patterns.jsonl"
    lines.write_text(table.to_json(orient="records", lines=True))
    for path in (array, lines):
        data = CaptureData.read(path, strata="region")
        assert data.pattern_table(include_strata=True).equals(expected.pattern_table(include_strata=True))
        assert sorted(data.by("region")) == ["01", "02"]  # text stays text
    records = tmp_path / "records.json"  # booleans, one object per person
    records.write_text('[{"A": true, "B": false}, {"A": true, "B": true}, {"A": false, "B": true}]')
    assert CaptureData.read(records).observed == 3
    records.write_text('[{"A": true, "B": null}, {"A": true, "B": true}]')
    with pytest.raises(DataError, match="list column 'B' has a missing value"):
        CaptureData.read(records)


@pytest.mark.parametrize(("text", "problem"), [
    ("[1, 2]", "not a table of records: expected an array of objects"),
    ('{"A": [1, 0], "B": [0, 1]}', "not a table of records"),
    ('[{"A": [1], "B": 0}]', "record 1 has a nested list in column 'A'"),
    ('[{"A": 1,', r"cannot read .* as JSON: Expecting"),
    ("[]", "holds no records"),
    ('[{"A": 1, "B": 0, "count": 3, "count": 4}]', "names 'count' more than once"),
    ('[{"A": 1, "B": NaN}]', "holds NaN, which is not a JSON value"),
])
def test_json_that_is_not_a_table_of_records_is_refused_by_name(tmp_path, text: str, problem: str) -> None:
    path = tmp_path / "lists.json"
    path.write_text(text)
    with pytest.raises(DataError, match=problem):
        CaptureData.read(path)


def test_json_lines_name_the_line_at_fault_and_keep_line_separators_inside_strings(tmp_path) -> None:
    """Each line was parsed alone, so every error said "line 1"; str.splitlines also cut at U+2028, which JSON
    allows inside a string."""
    path = tmp_path / "lists.jsonl"
    path.write_text('{"A": 1, "B": 0, "count": 3, "region": "north\u2028x"}\n{"A": 0, "B": 1, "count": 2, '
                    '"region": "south"}\n{"A": 1, "B": 1, "count": 2, "region": "south"}\n', encoding="utf-8")
    assert CaptureData.read(path, strata="region").observed == 7
    path.write_text('{"A": 1, "B": 0, "count": 3}\n\n{"A": 0, "B": 1 "count": 2}\n')
    with pytest.raises(DataError, match=r"Expecting ',' delimiter \(line 3, column 17\)"):
        CaptureData.read(path)


def test_json_value_errors_name_the_record_and_its_line(tmp_path) -> None:
    """Errors in JSON values spoke of CSV rows ("row 1 (data row 2)") though the file has records and, for JSON
    lines, blank lines that part records from lines."""
    lines = tmp_path / "lists.jsonl"
    lines.write_text('{"A": 1, "B": 0, "count": 3}\n\n{"A": 2, "B": 1, "count": 4}\n')
    with pytest.raises(DataError, match=r"value 2 at record 2 \(line 3 of the file\);"):
        CaptureData.read(lines)
    lines.write_text('{"A": 1, "B": 0, "count": 3}\n\n{"A": [1], "B": 1, "count": 4}\n')
    with pytest.raises(DataError, match=r"record 2 \(line 3\) has a nested list"):
        CaptureData.read(lines)
    lines.write_text('{"A": 1, "B": 0, "region": "n"}\n{"A": 0, "B": 1}\n')
    with pytest.raises(DataError, match=r"at record 2 \(line 2 of the file\).*In JSON a missing value is null"):
        CaptureData.read(lines, strata="region")
    array = tmp_path / "lists.json"
    array.write_text('[{"A": 1, "B": 0, "count": 3}, {"A": 1, "B": 1, "count": -4}]')
    with pytest.raises(DataError, match=r"negative count -4 at record 2;"):
        CaptureData.read(array)


def test_count_name_clashes_and_suspicious_count_columns_are_refused() -> None:
    records = pd.DataFrame({"A": [1, 0, 1], "count": [0, 1, 1], "region": ["x", "y", "x"]})
    with pytest.raises(DataError, match="cannot be named 'count'"):
        CaptureData.from_records(records, lists=["A", "count"], strata="region")  # pattern_table lost the list
    table = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [3, 4, 5]})
    with pytest.raises(DataError, match="both the count column and a list"):
        CaptureData.from_aggregated(table, lists=["A", "B", "count"], count="count")
    with pytest.raises(DataError, match="True/False"):
        CaptureData.from_aggregated(table.assign(count=[True, True, False]), lists=["A", "B"])
    with pytest.raises(DataError, match="True/False"):
        CaptureData.from_aggregated(table.assign(count=pd.Series([True, 20, 10], dtype=object)), lists=["A", "B"])
    with pytest.raises(DataError, match="non-integer count 30.000000000000004"):
        CaptureData.from_aggregated(table.assign(count=[30.000000000000004, 2, 3]), lists=["A", "B"])
    with pytest.raises(DataError, match="complex"):
        CaptureData.from_records(pd.DataFrame({"A": np.array([1 + 1j, 0, 1]), "B": [0, 1, 1]}))
    numbered = pd.DataFrame({"n": [1, 2, 3, 4, 5], "A": [1, 0, 1, 1, 1], "B": [0, 1, 1, 0, 1]})
    with pytest.raises(DataError, match="looks like a row number"):
        CaptureData.from_frame(numbered)
    assert CaptureData.from_records(numbered, lists=["A", "B"]).observed == 5  # record-level when told
    assert CaptureData.from_frame(numbered, count="n").observed == 15


def test_unknown_dataset_of_the_wrong_type_and_empty_by() -> None:
    with pytest.raises(DataError, match="unknown dataset"):
        estimate.datasets.load(["kosovo"])  # was a TypeError (unhashable list)
    frame = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "region": ["x", "y", "x"], "count": [3, 4, 5]})
    with pytest.raises(DataError, match="names no stratum column"):
        estimate.fit_strata(frame, by=[], method="chapman")


@pytest.mark.parametrize("name", ["Count", "N", "Frequency", " count "])
def test_count_column_found_whatever_its_case_also_with_lists_given(name: str) -> None:
    """An aggregated table whose count column is 'Count', 'N' ... was read as one row per pattern when lists= was
    given (7 people instead of 86), and without lists= refused as a non-binary list."""
    frame = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], name: [30, 20, 10]})
    assert CaptureData.from_frame(frame, lists=["A", "B"]).observed == 60
    assert CaptureData.from_frame(frame).observed == 60


def test_non_binary_list_column_of_counts_suggests_the_count_option() -> None:
    frame = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "people": [3, 20, 10]})
    with pytest.raises(DataError, match=r"not binary.*count='people'; CLI: --count people"):
        CaptureData.from_frame(frame)
    # the same values may number imputation replicates: the hint names that reading too (an audit found `estimate
    # describe` of replicate data pointing at --count only, which would have counted people several times)
    with pytest.raises(DataError, match=r"if it numbers imputation replicates or strata, name it as a stratum column "
                       r"\(strata=\[\.\.\., 'people'\]; CLI: --strata people; to pool imputation replicates, "
                       r"estimate fit --replicate people\)"):
        CaptureData.from_frame(frame)


def test_yes_no_spellings_of_list_values() -> None:
    frame = pd.DataFrame({"A": ["Y", "N", "y", "T"], "B": ["n", "Y", "yes", "f"], "C": ["1.0", "0.0", "0", "1"]})
    data = CaptureData.from_frame(frame)
    assert data.list_sizes.tolist() == [3, 2, 2]
    assert data.observed == 4


def test_aggregated_columns_that_are_neither_lists_nor_strata_are_warned_about() -> None:
    """A replicate or stratum column left unnamed was summed over without a word (people counted once per
    replicate); a 0/1 column left out is a list not used, whose rows are rightly merged, and is not warned about."""
    frame = pd.DataFrame({"A": [1, 0, 1] * 2, "B": [0, 1, 1] * 2, "C": [0, 0, 1] * 2, "count": [30, 20, 10] * 2,
                          "imp": [1] * 3 + [2] * 3})
    with pytest.warns(DataWarning, match=r"\['imp'\] are neither lists.*counted more than once"):
        CaptureData.from_frame(frame, lists=["A", "B"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        CaptureData.from_frame(frame[frame.imp == 1].drop(columns="imp"), lists=["A", "B"])
    assert not [w for w in caught if "neither lists" in str(w.message)]


def test_spreadsheet_and_exporter_artefacts_are_undone(tmp_path) -> None:
    cases = {
        "spaces.csv": "A, B, count\n1,0,30\n0,1,20\n1,1,10\n",
        "r_write_csv.csv": '"","A","B","count"\n"1",1,0,30\n"2",0,1,20\n"3",1,1,10\n',
        "pandas_index.csv": ",A,B,count\n0,1,0,30\n1,0,1,20\n2,1,1,10\n",
        "excel.csv": "A,B,count,\n1,0,30,\n0,1,20,\n1,1,10,\n,,,\n,,,\n",
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        data = CaptureData.read_csv(tmp_path / name)
        assert list(data.lists) == ["A", "B"], name
        assert data.observed == 60, name
    # a count column whose header cell was left empty is data, not row names: it was dropped and every row read
    # as one person (observed 3, silently; an audit's find); now it is refused, and --count names it
    (tmp_path / "count_first.csv").write_text(",A,B\n30,1,0\n20,0,1\n10,1,1\n")
    with pytest.raises(DataError, match=r"list column 'Unnamed: 0' is not binary: value 30 .*--count 'Unnamed: 0'"):
        CaptureData.read_csv(tmp_path / "count_first.csv")
    assert CaptureData.read_csv(tmp_path / "count_first.csv", count="Unnamed: 0").observed == 60
    (tmp_path / "labels.csv").write_text(",A,B,count\nx,1,0,30\ny,0,1,20\nz,1,1,10\n")  # text row names
    assert CaptureData.read_csv(tmp_path / "labels.csv").observed == 60
    # row numbers of a filtered export (pandas' index, R's subset row names) stay row names, in increasing order
    # or beside a count column (a review's find: they were refused); out of order and alone, both readings are
    # offered
    (tmp_path / "filtered.csv").write_text(",A,B,C\n3,1,0,1\n7,0,1,1\n12,1,1,0\n15,1,0,0\n")
    assert CaptureData.read_csv(tmp_path / "filtered.csv").observed == 4
    (tmp_path / "shuffled_counts.csv").write_text(",A,B,count\n7,1,0,30\n3,0,1,20\n12,1,1,10\n")
    assert CaptureData.read_csv(tmp_path / "shuffled_counts.csv").observed == 60
    (tmp_path / "shuffled.csv").write_text(",A,B,C\n7,1,0,1\n3,0,1,1\n12,1,1,0\n")
    with pytest.raises(DataError, match=r"no header name: if it numbers the rows .* delete it or name the list "
                                        r"columns .* if it holds the number of people"):
        CaptureData.read_csv(tmp_path / "shuffled.csv")
    assert CaptureData.read_csv(tmp_path / "shuffled.csv", lists=["A", "B", "C"]).observed == 3
    (tmp_path / "clash.csv").write_text("A, A,count\n1,0,3\n0,1,2\n")
    with pytest.raises(DataError, match="more than one column named"):
        CaptureData.read_csv(tmp_path / "clash.csv")


def test_semicolon_file_with_points_grouping_thousands_is_refused(tmp_path) -> None:
    """'2.000' in a ';' file (a comma-decimal locale) was read as 2 where it meant two thousand."""
    (tmp_path / "de.csv").write_text("A;B;count\n1;0;2.000\n0;1;1.131\n1;1;3\n")
    with pytest.raises(DataError, match=r"'2\.000'.*2\.000 = 2000"):
        CaptureData.read_csv(tmp_path / "de.csv")
    (tmp_path / "ok.csv").write_text("A;B;count\n1;0;2000\n0;1;1131\n1;1;3\n")
    assert CaptureData.read_csv(tmp_path / "ok.csv").observed == 3134


def test_stratum_values_differing_only_in_spaces_are_refused(tmp_path) -> None:
    (tmp_path / "ws.csv").write_text("region,A,B,count\nNorth,1,0,30\nNorth ,0,1,20\nNorth,1,1,10\n")
    with pytest.raises(DataError, match="differ only in spaces"):
        CaptureData.read_csv(tmp_path / "ws.csv", strata="region")


def test_parquet_with_the_columns_in_its_index(tmp_path) -> None:
    records = estimate.datasets.load("kosovo").to_records()
    records.groupby(list(records.columns)).size().to_frame("count").to_parquet(tmp_path / "mi.parquet")
    assert CaptureData.read(tmp_path / "mi.parquet").observed == 4400


def test_a_list_that_shares_nobody_with_the_others_is_warned_about() -> None:
    """List C overlaps neither A nor B: a classic sign of failed record linkage; log-linear gave a finite N̂ = 388
    without a word."""
    frame = pd.DataFrame({"A": [1, 0, 1, 0], "B": [0, 1, 1, 0], "C": [0, 0, 0, 1], "count": [50, 40, 20, 30]})
    with pytest.warns(estimate.UninformativeDataWarning, match=r"\['C'\] share nobody with any other list") as caught:
        CaptureData.from_frame(frame)
    assert caught[0].filename == __file__  # points at the caller, not into the package
    with warnings.catch_warnings():
        warnings.simplefilter("error", estimate.UninformativeDataWarning)
        CaptureData.from_frame(frame.assign(C=[1, 0, 0, 1]))  # C now overlaps A
        CaptureData.from_frame(frame.drop(columns="C").iloc[:3])  # two lists: the fits' own warnings apply


def test_read_csv_takes_an_open_file_or_a_buffer(tmp_path) -> None:
    import io

    text = "A,B,region\n1,0,n\n1,1,n\n0,1,s\n"
    path = tmp_path / "open.csv"
    path.write_text(text)
    with path.open() as handle:
        from_handle = CaptureData.read_csv(handle, strata="region")
    for source in (io.StringIO(text), io.BytesIO(text.encode())):
        data = CaptureData.read_csv(source, strata="region")
        assert data.observed == 3 and data.content_hash() == from_handle.content_hash()
    with path.open() as handle:  # read() too: a buffer has no file extension to choose the format by
        assert CaptureData.read(handle, strata="region").content_hash() == from_handle.content_hash()


def test_column_arguments_that_are_not_names_and_clashing_long_columns_are_refused() -> None:
    """strata=5 raised "TypeError: 'int' object is not iterable"; from_long(id='id', list='id') made every person
    a list of their own."""
    frame = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "5": list("xyx")})
    with pytest.raises(DataError, match="column names must be text"):
        CaptureData.from_records(frame, strata=object())
    with pytest.raises(DataError, match="column names must be text"):
        CaptureData.from_records(frame, strata={"5": 1})
    long = pd.DataFrame({"id": [1, 1, 2], "list": list("ABB"), "region": list("nns")})
    with pytest.raises(DataError, match="must be different columns"):
        CaptureData.from_long(long, id="id", list="id")
    with pytest.raises(DataError, match="must be different columns"):
        CaptureData.from_long(long, strata=["list"])
    assert CaptureData.from_long(long, strata="region").observed == 2


def test_numbers_name_the_columns_of_a_frame_made_from_an_array() -> None:
    """Column names become text on reading, so lists=[0, 1, 2] for pd.DataFrame(array)'s columns 0, 1, 2 were
    'not found; the data has columns ['0', '1', '2', ...]'. Numbers now name those columns, for every argument
    that names a column; True is not a column's number."""
    array = np.array([[1, 0, 1, 5, 0], [0, 1, 1, 6, 0], [1, 1, 0, 7, 1], [1, 0, 0, 4, 1], [0, 1, 0, 3, 1]])
    frame = pd.DataFrame(array)
    by_text = CaptureData.from_frame(frame, lists=["0", "1", "2"], count="3", strata="4")
    for lists, count, strata in (([0, 1, 2], 3, 4), ((np.int64(0), 1, 2), np.int64(3), [np.int64(4)])):
        data = CaptureData.from_frame(frame, lists=lists, count=count, strata=strata)
        assert data.content_hash() == by_text.content_hash()
    assert CaptureData.from_frame(pd.DataFrame(array[:, :4], columns=[0.5, 1.5, 2.5, "count"]),
                                  lists=[0.5, 1.5, 2.5]).observed == 25
    long = pd.DataFrame({0: [1, 1, 2], 1: list("ABB")})
    assert CaptureData.from_long(long, id=0, list=1).observed == 2
    with pytest.raises(DataError, match="column names must be text"):
        CaptureData.from_frame(frame, lists=True, count=3)
    totals = estimate.fit_strata(frame.rename(columns={3: "count"}), by=4, method="chapman").summary()
    assert list(totals["4"]) == [0, 1]  # the stratum column by its number; its values stay numbers


def test_hints_for_an_id_column_a_long_table_and_a_count_name_with_spaces() -> None:
    """A person_id column was only offered as the count column; a long table (one row per sighting) got no word
    that it is the long layout; 'CLI: --count Number of victims' did not paste into a shell."""
    with pytest.raises(DataError, match=r"if 'person_id' is not a list, name the list columns .*--lists"):
        CaptureData.from_frame(pd.DataFrame({"person_id": [1, 2, 3], "A": [1, 0, 1], "B": [0, 1, 1]}))
    long = pd.DataFrame({"record_id": ["R1", "R2", "R1", "R3"], "source": ["police", "ngo", "ngo", "hospital"]})
    with pytest.raises(DataError, match="long layout: turn it into the pattern table with .estimate widen"):
        CaptureData.from_records(long, lists=["source"])
    counts = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "Number of victims": [1, 2, 3]})
    with pytest.raises(DataError, match="--count 'Number of victims'"):
        CaptureData.from_records(counts)


def test_stratum_values_that_differ_only_in_case_are_warned_about() -> None:
    frame = pd.DataFrame({"A": [1, 0, 1, 1], "B": [0, 1, 1, 1], "region": ["East", "east", "East", "West"]})
    with pytest.warns(DataWarning, match=r"differ only in letter case \('East' / 'east'\)"):
        data = CaptureData.from_records(frame, strata="region")
    # still three strata: the user decides
    assert sorted(data.pattern_table(include_strata=True)["region"].unique()) == ["East", "West", "east"]


def test_a_file_that_is_not_utf8_says_how_to_read_it(tmp_path) -> None:
    path = tmp_path / "cp.csv"
    path.write_bytes("A,B,region\n1,0,Köln\n0,1,Köln\n1,1,Bonn\n".encode("cp1252"))
    with pytest.raises(DataError, match=r"not UTF-8 text .*CSV UTF-8.*encoding='cp1252'"):
        CaptureData.read_csv(path, strata="region")
    assert CaptureData.read_csv(path, strata="region", encoding="cp1252").observed == 3


def test_describe_gives_each_stratum_its_documented_count_and_list_sizes() -> None:
    frame = pd.DataFrame({"A": [1, 0, 1, 1, 0], "B": [0, 1, 1, 1, 1], "count": [4, 3, 2, 5, 1],
                          "period": ["10", "10", "2", "9", "9"]})
    table = CaptureData.from_aggregated(frame, count="count", strata="period").describe()["by_stratum"]
    assert table["period"].tolist() == ["2", "9", "10"]  # in the order of the values
    assert table["observed"].tolist() == [2, 6, 7]
    assert table["A"].tolist() == [2, 5, 4] and table["B"].tolist() == [2, 6, 3]
    assert "by_stratum" not in CaptureData.from_aggregated(frame.drop(columns="period"), count="count").describe()


def test_stratum_values_padded_alike_are_read_without_the_spaces() -> None:
    """'East ' from a padded spreadsheet cell came out as 'East ,' in every CSV and JSON output."""
    frame = pd.DataFrame({"A": [1, 0, 1, 1], "B": [0, 1, 1, 1], "region": ["East ", "East ", " West", " West"]})
    data = CaptureData.from_records(frame, strata="region")
    assert sorted(set(data.pattern_table(include_strata=True)["region"])) == ["East", "West"]


def test_an_answer_word_in_a_list_column_is_shown_but_other_text_is_not() -> None:
    """'Maybe' was hidden as 'a text value of 5 characters (not shown: it may be personal)'."""
    for value, shown in (("Maybe", "value 'Maybe'"), ("Jane Doe", "not shown: it may be personal")):
        frame = pd.DataFrame({"A": ["1", value, "0"], "B": ["0", "1", "1"]})
        with pytest.raises(DataError, match=re.escape(shown)):
            CaptureData.from_records(frame)


def test_buffers_in_other_encodings_parquet_long_tables_and_categorical_strata(tmp_path) -> None:
    import io

    cp1252 = "A,B,region\n1,0,Köln\n0,1,Köln\n1,1,Bonn\n".encode("cp1252")
    with pytest.raises(DataError, match="not UTF-8 text"):  # a raw UnicodeDecodeError before
        CaptureData.read_csv(io.BytesIO(cp1252), strata="region")
    assert CaptureData.read_csv(io.BytesIO(cp1252), strata="region", encoding="cp1252").observed == 3
    # a long Parquet file with the id in its index (to_parquet of a frame indexed by id)
    long = pd.DataFrame({"id": [1, 1, 2, 3], "list": ["a", "b", "b", "a"], "region": ["n", "n", "s", "s"]})
    long.set_index("id").to_parquet(tmp_path / "long.parquet")
    assert CaptureData.read_long(tmp_path / "long.parquet", strata="region").observed == 3
    # a categorical stratum column (as Parquet's dictionary-encoded text comes back) is checked as text is:
    # "East" and "East " are refused, not fitted as two strata
    frame = pd.DataFrame({"A": [1, 0, 1, 1], "B": [0, 1, 1, 1],
                          "region": pd.Categorical(["East", "East ", "East", "West"])})
    with pytest.raises(DataError, match="differ only in spaces"):
        CaptureData.from_records(frame, strata="region")
    frame["region"] = pd.Categorical(["East", "East", "East", "West"], categories=["West", "East", "North"])
    regions = CaptureData.from_records(frame, strata="region").pattern_table(include_strata=True)["region"]
    assert sorted(set(map(str, regions))) == ["East", "West"]


def test_a_stratum_code_read_as_missing_is_explained_and_can_be_kept(tmp_path) -> None:
    """NA (Namibia) in a stratum column was a missing value with no way around it: read_csv(keep_default_na=False)
    raised a TypeError from the header read."""
    path = tmp_path / "na.csv"
    path.write_text("A,B,region\n1,0,NA\n1,1,NA\n0,1,ZA\n1,1,ZA\n")
    with pytest.raises(DataError, match="keep_default_na=False"):
        CaptureData.read_csv(path, strata="region")
    data = CaptureData.read_csv(path, strata="region", keep_default_na=False, na_values=[""])
    assert sorted(data.pattern_table(include_strata=True)["region"].unique()) == ["NA", "ZA"]


def test_messy_spreadsheet_exports_are_read_right_or_refused(tmp_path) -> None:
    """Silent misreads found by feeding spreadsheet exports: a stratum header with spaces lost its codes' leading
    zeros (01 and 1 merged), a categorical stratum skipped the space check, 2.000 in a tab-separated file was read
    as 2, and a record-level id column named N was taken for counts."""
    import io

    spaced = " region ,A,B,count\n01,1,0,10\n01,0,1,5\n01,1,1,3\n1,1,0,7\n1,0,1,4\n1,1,1,2\n"
    data = CaptureData.read_csv(io.StringIO(spaced), strata=["region"])
    assert sorted(data.strata["region"].unique()) == ["01", "1"] and data.observed == 31
    categorical = pd.DataFrame({"A": [1, 0, 1, 1, 0, 1], "B": [0, 1, 1, 1, 1, 0],
                                "region": pd.Categorical(["N", "N", "N", "S ", "S", "S"])})
    with pytest.raises(DataError, match="differ only in spaces"):
        CaptureData.from_records(categorical, lists=["A", "B"], strata=["region"])
    with pytest.raises(DataError, match="groups thousands"):
        CaptureData.read_csv(io.StringIO("A\tB\tcount\n1\t0\t2.000\n0\t1\t30\n1\t1\t5\n"))
    with pytest.warns(DataWarning, match="a thousand times larger"):  # all with three decimals: read so, said so
        fixed = CaptureData.read_csv(io.StringIO("A,B,count\n1,0,30.000\n0,1,20.000\n1,1,5.000\n"))
    assert fixed.observed == 55
    with pytest.raises(DataError, match="record identifiers"):
        CaptureData.read_csv(io.StringIO("N,A,B\n1,1,0\n2,0,1\n4,1,1\n7,1,0\n8,0,1\n"))
    with pytest.warns(DataWarning, match="duplicate capture pattern"):  # one repeated row of a table: summed
        assert CaptureData.read_csv(io.StringIO("N,A,B\n10,1,0\n20,0,1\n4,1,1\n7,1,0\n")).observed == 41
    totals = "region,A,B,count\nN,1,0,10\nN,0,1,5\nN,1,1,3\nS,1,0,7\nS,0,1,4\nTotal,1,0,17\nTotal,0,1,9\n"
    with pytest.warns(DataWarning, match="'Total': if its rows are totals"):
        CaptureData.read_csv(io.StringIO(totals), strata=["region"])


def test_spreadsheet_artefacts_get_errors_that_say_what_to_fix(tmp_path) -> None:
    """Trailing empty columns gave "more than one column named ['']"; a comment or title line, a number with
    thousands separators and a UTF-16 file (Excel's "Unicode Text") gave errors that did not say what was wrong."""
    import io

    trailing = "A,B,C,count,,\n1,0,0,30,,\n0,1,0,20,,\n1,1,0,5,,\n0,0,1,7,,\n1,0,1,3,,\n"
    assert CaptureData.read_csv(io.StringIO(trailing)).observed == 65
    for text, words in (("# exported 2024\nA,B,count\n1,0,3\n0,1,2\n1,1,1\n", "starts with '#'"),
                        ("Casualty lists,,\nA,B,count\n1,0,3\n0,1,2\n1,1,1\n", "a title over the table"),
                        ('A,B,count\n1,0,"1,234"\n0,1,20\n1,1,5\n', "1234 written with thousands separators")):
        with pytest.raises(DataError, match=re.escape(words)):
            CaptureData.read_csv(io.StringIO(text))
    path = tmp_path / "unicode.txt"
    path.write_bytes("A\tB\tcount\n1\t0\t3\n0\t1\t2\n1\t1\t1\n".encode("utf-16"))
    assert CaptureData.read_csv(path).observed == 6
    with pytest.raises(DataError, match="not UTF-8 text"):
        CaptureData.read_csv(io.BytesIO(b"A,B,count\n1,0,3\n0,1,\xe9\n"))


def test_a_three_decimal_measurement_beside_the_lists_is_no_count() -> None:
    """The thousands check, extended to every separator, must look at the count column only: a measurement with
    three decimals beside whole numbers (33.512 and 34) is no count written with a thousands point."""
    import io

    data = CaptureData.read_csv(io.StringIO("A,B,lat\n1,0,33.512\n0,1,34\n1,1,35\n"), lists=["A", "B"])
    assert data.observed == 3
    with pytest.raises(DataError, match="column 'people' of 'the buffer' holds '2.000'"):
        CaptureData.read_csv(io.StringIO("A,B,people\n1,0,2.000\n0,1,30\n1,1,5\n"), count="people")


def test_review_of_the_new_input_checks() -> None:
    """The new checks must not refuse what was read before: a '#' column of row numbers, and aggregated tables
    stacked one under another (their counts do not rise row by row as identifiers do)."""
    import io

    with pytest.warns(DataWarning):
        numbered = CaptureData.read_csv(io.StringIO("#,A,B,count\n1,1,0,3\n2,0,1,2\n3,1,1,1\n"), lists=["A", "B"],
                                        count="count")
    assert numbered.observed == 6
    with pytest.warns(DataWarning, match="duplicate capture pattern"):
        stacked = CaptureData.read_csv(io.StringIO("n,A,B\n10,1,0\n20,0,1\n4,1,1\n11,1,0\n21,0,1\n5,1,1\n"))
    assert stacked.observed == 71


def test_errors_name_the_file_line_and_a_stray_field_on_some_rows_is_refused(tmp_path) -> None:
    """A bad value is named by its line in the file (what an editor shows; 'row 2 (data line 3)' named neither),
    and a file where some rows have one field more than the header (pandas takes the first column as row names
    and moves every value left) is refused naming the line, instead of blaming another column."""
    bad = tmp_path / "bad.csv"
    bad.write_text("A,B,C,count\n1,0,0,10\n0,1,0,12\n1,2,0,3\n0,0,1,8\n")
    with pytest.raises(DataError, match=r"value 2 at line 4 of the file \(data row 3\)"):
        CaptureData.read_csv(bad)
    gap = tmp_path / "gap.csv"  # a blank line: pandas skips it, so file lines are not data rows + 1
    gap.write_text("A,B,C,count\n1,0,0,10\n\n0,1,0,12\n1,2,0,3\n")
    with pytest.raises(DataError, match=r"value 2 at row 2 \(data row 3\)"):
        CaptureData.read_csv(gap)
    stray = tmp_path / "stray.csv"
    stray.write_text("A,B,C,count\n1,0,0,10,5\n0,1,0,12\n1,1,0,3\n")
    with pytest.raises(DataError, match=r"line 2 has 5 fields where the header names 4 \(line 3 has 4\)"):
        CaptureData.read_csv(stray)
    named = tmp_path / "rownames.csv"  # every row one field more: R's row names, kept as the index
    named.write_text("A,B,C\n1,1,0,1\n2,0,1,1\n3,1,1,0\n")
    assert CaptureData.read_csv(named).observed == 3
    frame = pd.DataFrame({"A": [1, 2], "B": [0, 1]}, index=[10, 11])
    with pytest.raises(DataError, match=r"value 2 at row 11 \(data row 2\)"):
        CaptureData.from_frame(frame)


def test_values_that_read_alike_are_refused_in_ids_and_strata_and_periods_are_no_counts() -> None:
    """Silent misreads of Python frames: ids 1 and "1" were two people (the overlap lost), strata True and 1 one
    stratum (pandas: True == 1), "café" in two Unicode forms two strata that print alike, and a Period count
    column its years since 1970."""
    long = pd.DataFrame({"id": [1, 2, 3, "1", "2", "4"], "list": ["A"] * 3 + ["B"] * 3})
    with pytest.raises(DataError, match=r"record id column 'id' holds 1 and '1'"):
        CaptureData.from_long(long)
    assert CaptureData.from_long(long.assign(id=long["id"].astype(str))).observed == 4
    base = pd.DataFrame({"A": [1, 0, 1, 1], "B": [0, 1, 1, 0], "C": [1, 1, 0, 0], "count": [5, 6, 7, 8]})
    with pytest.raises(DataError, match="True/False beside numbers"):
        CaptureData.from_frame(base.assign(region=[1, True, 1, True]), strata="region")
    with pytest.raises(DataError, match="two Unicode forms"):
        CaptureData.from_frame(base.assign(region=["caf\u00e9", "cafe\u0301", "x", "x"]), strata="region")
    with pytest.raises(DataError, match="differ only in spaces"):
        CaptureData.from_frame(base.assign(region=["N", "N ", "x", "x"]), strata="region")
    with pytest.raises(DataError, match=r"has values of type period"):
        CaptureData.from_frame(base.assign(count=pd.period_range("2020", periods=4, freq="Y")))


def test_file_lines_are_named_only_where_rows_are_lines_and_compressed_files_are_scanned(tmp_path) -> None:
    """A quoted field with a line break, or names=, parts data rows and file lines: no line is claimed then.  An
    .xz file (R's row names: every row one field more) was scanned as raw bytes and refused."""
    import lzma

    quoted = tmp_path / "quoted.csv"
    quoted.write_text('A,B,note\n1,0,"two\nlines"\n0,1,x\n1,2,y\n')
    with pytest.raises(DataError, match=r"value 2 at row 2 \(data row 3\)"):
        CaptureData.read_csv(quoted, lists=["A", "B"])
    named = tmp_path / "named.csv"
    named.write_text("1,0\n0,1\n1,2\n")
    with pytest.raises(DataError, match=r"value 2 at row 2 \(data row 3\)"):
        CaptureData.read_csv(named, names=["A", "B"])
    rows = "A,B,C\n" + "".join(f"{i},{i % 2},{(i + 1) % 2},1\n" for i in range(1, 300))
    with lzma.open(tmp_path / "rownames.csv.xz", "wt") as handle:
        handle.write(rows)
    assert CaptureData.read_csv(tmp_path / "rownames.csv.xz").observed == 299


def test_pandas_arguments_with_different_indexes_are_refused() -> None:
    """CaptureData(patterns, counts, strata=) pairs rows by position: a counts Series sorted apart from the patterns
    gave every pattern another's count without a word."""
    patterns = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1]}, index=[10, 11, 12])
    counts = pd.Series([30, 20, 10], index=[10, 11, 12])
    assert CaptureData(patterns, counts, ["A", "B"]).observed == 60  # same index: fine
    with pytest.raises(DataError, match="patterns and counts have different pandas indexes"):
        CaptureData(patterns, counts.sort_values(), ["A", "B"])
    with pytest.raises(DataError, match="patterns and strata have different pandas indexes"):
        CaptureData(patterns, counts, ["A", "B"], strata=pd.Series(["n", "s", "n"], name="region"))
    # numpy arrays and lists carry no index: matched by position, as before
    assert CaptureData(patterns.to_numpy(), counts.sort_values(), ["A", "B"]).observed == 60


def test_a_list_left_out_is_recognised_when_written_yes_no() -> None:
    """lists=['A', 'B'] of data whose third list C is written yes/no: its people on C alone were an error ('on none
    of the lists') and C was warned about as a possible stratum; 0/1 C was already a list left out."""
    frame = pd.DataFrame({"A": ["yes", "no", "yes", "no"], "B": ["no", "yes", "yes", "no"],
                          "C": ["no", "no", "yes", "yes"], "count": [10, 10, 5, 7]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = CaptureData.from_frame(frame, lists=["A", "B"], count="count")
    messages = [str(w.message) for w in caught]
    assert data.observed == 25 and len(messages) == 1 and "only on other lists of the data (['C'])" in messages[0]


def test_long_layout_gives_each_stratum_warning_once() -> None:
    """from_long checked the strata of the long table and again of the wide one: every warning came twice."""
    long = pd.DataFrame({"id": [1, 1, 2, 3, 3, 4], "src": ["A", "B", "B", "A", "C", "C"],
                         "reg": ["East", "East", "Total", "east", "east", "East"]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        CaptureData.from_long(long, id="id", list="src", strata=["reg"])
    messages = [str(w.message) for w in caught]
    assert len(messages) == 2 and "'Total'" in messages[0] and "letter case" in messages[1]
    assert all(w.filename == __file__ for w in caught)


def test_split_by_stratum_names_the_stratum_in_its_warnings_and_errors() -> None:
    table = pd.DataFrame({"A": [1, 0, 1, 1, 0], "B": [0, 1, 1, 0, 1], "C": [0, 0, 0, 1, 1],
                          "count": [5, 4, 3, 2, 1], "reg": ["east", "east", "east", "west", "west"]})
    data = CaptureData.from_aggregated(table, count="count", strata="reg")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parts = data.by("reg")
    assert list(parts) == ["east", "west"]
    assert [str(w.message)[:42] for w in caught] == ["stratum reg=east: list(s) ['C'] document n"]
    assert caught[0].filename == __file__
    with pytest.raises(DataError, match=r"^stratum reg=east: list\(s\) \['C'\] document nobody"):
        data.by("reg", strict=True)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_split_parts_equal_the_parts_the_constructor_builds(seed: int) -> None:
    """by() cuts each stratum from the validated arrays instead of re-validating it (≈ 5 ms a stratum): the
    parts must be the constructor's, equal and with the same content hash (the resume cache's key)."""
    rng = np.random.default_rng(seed)
    records = pd.DataFrame((rng.random((400, 4)) < 0.35).astype(int), columns=["A", "B", "C", "D"])
    records = records[records.sum(axis=1) > 0].copy()
    records["region"] = rng.choice(["north", "south", "east "], len(records))
    records["year"] = rng.choice([2019, 2020, 2021], len(records))
    records.loc[records["region"] == "east ", "D"] = 0  # a list with nobody in one region: the constructor's path
    records = records[records[["A", "B", "C", "D"]].sum(axis=1) > 0]
    data = CaptureData.from_records(records, lists=["A", "B", "C", "D"], strata=["region", "year"])
    table = data.to_frame()
    for columns in (["region"], ["year"], ["region", "year"], ["year", "region"]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parts = data.by(columns)
            for key, group in table.groupby(columns):
                key = key if len(columns) > 1 else key[0]
                rest = [c for c in ("region", "year") if c not in columns]
                built = CaptureData.from_aggregated(group.drop(columns=columns), lists=["A", "B", "C", "D"],
                                                    count="count", strata=rest or None)
                assert parts[key] == built and parts[key].content_hash() == built.content_hash()
                assert parts[key].lists == built.lists and not parts[key].counts.flags.writeable


def test_stratum_columns_mixing_types_that_cannot_be_ordered_are_refused() -> None:
    """A date beside a Timestamp (frames from two sources) or beside 0 crashed with pandas' TypeError from the sort;
    text beside numbers, which pandas orders, stays accepted."""
    import datetime as dt

    for values, kinds in (([dt.date(2020, 1, 1), 0], "date, int"),
                          ([pd.Timestamp("2020-01-01"), dt.date(2020, 1, 2)], "Timestamp, date")):
        frame = pd.DataFrame({"A": [1, 0], "B": [1, 1], "count": [1, 1], "s": values})
        with pytest.raises(DataError, match=rf"stratum column 's' mixes values that cannot be ordered "
                                            rf"\({kinds}\)"):
            CaptureData.from_aggregated(frame, strata="s")
    mixed = pd.DataFrame({"A": [1, 0], "B": [1, 1], "count": [1, 1], "s": ["a", 5]})
    assert CaptureData.from_aggregated(mixed, strata="s").strata["s"].tolist() == [5, "a"]


def test_text_labels_are_stripped_whatever_else_the_column_holds() -> None:
    """'north ' was stripped only while every stratum with records held text: a record in stratum 7 changed
    stratum north's label (and the data's hash)."""
    frame = pd.DataFrame({"A": [1, 1, 1, 0], "B": [1, 0, 1, 1], "count": [1, 2, 0, 0], "s": ["north ", "north ", 7, 7]})
    alone = CaptureData.from_aggregated(frame, strata="s")
    both = CaptureData.from_aggregated(frame.assign(count=[1, 2, 3, 0]), strata="s")
    assert "north" in alone.strata["s"].tolist() and "north" in both.strata["s"].tolist()


def test_equality_ignores_label_column_types_and_to_frame_keeps_strata_without_records() -> None:
    frame = pd.DataFrame({"A": [1, 0, 1, 1], "B": [0, 1, 1, 1], "count": [3, 2, 1, 4], "s": [1, 1, 1, 2]})
    data = CaptureData.from_aggregated(frame, strata="s")
    # the same people in the same strata: equal, as their content hashes already were
    assert data == CaptureData.from_aggregated(frame.assign(s=frame["s"].astype("int32")), strata="s")
    assert data != CaptureData.from_aggregated(frame.assign(s=frame["s"].astype(str)), strata="s")
    with_empty = CaptureData.from_aggregated(frame.assign(count=[3, 2, 1, 0]), strata="s")
    assert with_empty.strata_without_records["s"].tolist() == [2]
    back = CaptureData.from_aggregated(with_empty.to_frame(), strata="s")
    assert back == with_empty and back.content_hash() == with_empty.content_hash()


def test_tuple_stratum_labels_split_as_one_column() -> None:
    """by('s') took a tuple label for a key of several columns (ValueError from zip)."""
    data = CaptureData.from_aggregated(pd.DataFrame({"A": [1, 1], "B": [1, 1], "count": [1, 1],
                                                     "s": [(1, 2), (1, 3)]}), strata="s")
    assert list(data.by("s")) == [(1, 2), (1, 3)]


def test_split_keys_are_plain_values_and_labels_of_other_kinds_differ() -> None:
    frame = pd.DataFrame({"A": [1, 0, 1, 1], "B": [0, 1, 1, 1], "count": [3, 2, 1, 4],
                          "year": [2020, 2020, 2020, 2021]})
    data = CaptureData.from_aggregated(frame, strata="year")
    assert [type(key) for key in data.by("year")] == [int, int]  # 2020, not np.int64(2020): json.dumps works
    # the content hash tells 1 from 1.0 (its text differs): so does equality now
    floats = CaptureData.from_aggregated(frame.assign(year=frame["year"].astype(float)), strata="year")
    assert floats != data and floats.content_hash() != data.content_hash()


def test_split_by_stratum_gives_a_warning_many_strata_give_alike_once() -> None:
    """Twenty strata without list C gave twenty warnings; they now give one naming how many and three of them."""
    names = [f"s{i:02d}" for i in range(21)]
    rows = [{"A": a, "B": b, "C": 0, "count": 3, "s": name} for name in names[:20] for a, b in [(1, 0), (0, 1), (1, 1)]]
    rows += [{"A": 1, "B": 0, "C": 1, "count": 2, "s": names[20]}, {"A": 0, "B": 1, "C": 1, "count": 2, "s": names[20]}]
    data = CaptureData.from_aggregated(pd.DataFrame(rows), strata="s")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        parts = data.by("s")
    assert len(parts) == 21
    assert [str(w.message)[:60] for w in caught] == ["strata s=s00, s=s01, s=s02 and 17 more: list(s) ['C'] docume"]
    assert caught[0].filename == __file__ and caught[0].category is estimate.DataWarning
    two = CaptureData.from_aggregated(pd.DataFrame(rows[:6] + rows[-2:]).assign(t=1), strata=["s", "t"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        two.by(["s", "t"])
    assert len(caught) == 1 and str(caught[0].message).startswith("strata s=s00, t=1; s=s01, t=1: list(s) ['C']")


def test_a_stratum_cut_with_a_list_dropped_does_not_warn_about_the_whole_column_again() -> None:
    """The constructor's path (a list with nobody in stratum b) re-checked the labels: 'differ only in letter case',
    said once for the data, came again for stratum b alone."""
    frame = pd.DataFrame({"A": [1, 0, 1, 1], "B": [0, 1, 1, 1], "C": [1, 1, 0, 0], "count": [3, 2, 1, 4],
                          "r": ["a", "a", "b", "b"], "s": ["East", "east", "East", "east"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = CaptureData.from_aggregated(frame, strata=["r", "s"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data.by("r")
    assert [str(w.message)[:44] for w in caught] == ["stratum r=b: list(s) ['C'] document nobody a"]


def test_the_constructors_errors_name_its_arguments() -> None:
    """CaptureData(patterns, counts, lists) said "count column '__count__' has a negative count" and offered
    count='B' / --count B, options this constructor does not have (an audit's find)."""
    cases = [
        (([[1, 1], [1, 0]], [3, -1]), "counts[1] is -1; counts must be whole numbers >= 0"),
        (([[1, 1], [1, 0]], [3, 1.5]), "counts[1] is 1.5; counts must be whole numbers >= 0"),
        (([[1, 1], [1, 0]], ["3", "x"]), "counts[1] is 'x', not a number"),
        (([[1, 2], [1, 0]], [3, 1]), "patterns[0, 1] (list 'B') is 2; patterns hold 0 or 1"),
        (([[1, np.nan], [1, 0]], [3, 1]), "patterns[0, 1] is missing"),
        (([[1, 1], [1, 0]], [True, False]), "counts are True/False values"),
        (([[1, 1], [1, 0]], [3, 1e12]), "counts[1] is 1e+12, above the largest count accepted"),
        (([[1, 1], [1, 0]], ["3", "1,000"]), "counts[1] is '1,000', not a number (written with thousands"),
    ]
    for (patterns, counts), said in cases:
        with pytest.raises(DataError) as refused:
            CaptureData(patterns, counts, ["A", "B"])
        assert str(refused.value).startswith(said), str(refused.value)
        assert "__count__" not in str(refused.value) and "--count" not in str(refused.value)
    assert CaptureData([["yes", "no"], ["yes", "yes"]], ["3", "1"], ["A", "B"]).observed == 4  # as before


def test_a_list_that_records_everyone_is_named_in_a_warning() -> None:
    """A constant all-1 column (a 'valid' flag, or 'n' = 1 beside a Freq count) became a list that documents
    everyone, and the estimate collapsed to the observed count with no word on why (an audit's find)."""
    frame = pd.DataFrame({"A": [1, 0, 1, 1, 0], "B": [0, 1, 1, 0, 1], "C": [1, 1, 0, 0, 0], "valid": 1})
    with pytest.warns(DataWarning, match=r"list\(s\) \['valid'\] record every person observed: the other lists"):
        data = CaptureData.from_frame(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        CaptureData.from_frame(frame, lists=["A", "B", "C"])  # without it: nothing to say
        # the package's own subsets say nothing again (Chapman(lists=...) warned twice of one fact: a review's find)
        data.select_lists(["A", "valid"])
        data.without_strata()
    stratified = frame.assign(region=["n", "n", "s", "s", "s"])
    with pytest.warns(DataWarning, match=r"record every person observed \(in every stratum\)"):
        CaptureData.from_frame(stratified, strata="region")  # no count: replicates as strata would multiply it


def test_a_file_without_a_header_line_is_refused_and_excels_sep_line_is_read(tmp_path) -> None:
    """A file with no header line had its first record taken as the column names, and the hint then offered
    --count 300, which read the file without that record (observed 310 instead of 610); Excel's "sep=;" first
    line was read as the header (an audit's finds)."""
    (tmp_path / "no_header.csv").write_text("1,0,300\n0,1,250\n1,1,60\n")
    with pytest.raises(DataError, match=r"first line of .* \(1,0,300\) is data, not column names: the file has no "
                                        r"header line"):
        CaptureData.read_csv(tmp_path / "no_header.csv")
    (tmp_path / "lists_named_by_numbers.csv").write_text("1,2,3\n1,0,1\n0,1,1\n1,1,0\n")  # a header, of numbers
    assert CaptureData.read_csv(tmp_path / "lists_named_by_numbers.csv").lists == ("1", "2", "3")
    for header in ("0,1,2", "0,1"):  # pandas' header of a numpy array's columns (a review's find: refused)
        (tmp_path / "numbered.csv").write_text(header + "\n" + "\n".join(["1,0,1", "0,1,1", "1,1,0"] if len(
            header) > 3 else ["1,0", "0,1", "1,1"]) + "\n")
        assert CaptureData.read_csv(tmp_path / "numbered.csv").lists == tuple(header.split(","))
    table = "A{0}B{0}count\n1{0}0{0}30\n0{0}1{0}20\n1{0}1{0}10\n"
    for separator in (";", ",", "\t"):
        path = tmp_path / "excel.csv"
        path.write_text(f"sep={separator}\n" + table.format(separator))
        data = CaptureData.read_csv(path)
        assert data.lists == ("A", "B") and data.observed == 60, separator
        assert CaptureData.read_csv(path, sep=separator).observed == 60  # a separator given: the line still goes


def test_utf16_json_with_its_byte_order_mark_is_read(tmp_path) -> None:
    """JSON as Windows PowerShell 5.1 writes it (UTF-16 with a byte-order mark) was refused as 'not UTF-8 text',
    with no word on --encoding (an audit's find); CSV files were already recognised so."""
    text = '[{"A": 1, "B": 0, "count": 3}, {"A": 1, "B": 1, "count": 2}, {"A": 0, "B": 1, "count": 4}]'
    (tmp_path / "ps.json").write_bytes(text.encode("utf-16"))
    assert CaptureData.read_json(tmp_path / "ps.json").observed == 9
    (tmp_path / "latin.json").write_bytes('[{"A": 1, "B": 0, "count": 3, "r": "é"}]'.encode("latin-1"))
    with pytest.raises(DataError, match=r"not UTF-8 text .*name its encoding \(CLI: --encoding"):
        CaptureData.read_json(tmp_path / "latin.json")


def test_a_list_named_n_among_lettered_lists_is_a_list() -> None:
    """Record-level data with lists A … O (simulations name 14 lists or more so) were refused: 'column N holds
    only 0 and 1: it could be a list or the count column' (an audit's find).  N between M and O is a list."""
    rng = np.random.default_rng(1)
    letters = [chr(ord("A") + j) for j in range(15)]
    frame = pd.DataFrame(rng.integers(0, 2, size=(60, 15)), columns=letters)
    frame = frame[frame.sum(axis=1) > 0]
    assert CaptureData.from_frame(frame).lists == tuple(letters)
    alone = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "N": [1, 1, 0]})  # N away from M and O: still asked
    with pytest.raises(DataError, match="column 'N' holds only 0 and 1: it could be a list or the count column"):
        CaptureData.from_frame(alone)


def test_the_content_hash_and_csv_outputs_end_lines_alike_on_every_platform(tmp_path, monkeypatch) -> None:
    """pandas ends CSV lines with os.linesep: on Windows the content hash (what reproduce checks a data file
    against) differed from Linux's, and written tables had \\r\\n (a portability audit's find)."""
    import os

    from estimate import datasets
    from estimate.cli._common import emit_frame

    data = datasets.load("kosovo")
    unix = data.content_hash()
    monkeypatch.setattr(os, "linesep", "\r\n")
    assert pd.DataFrame({"a": [1, 2]}).to_csv(index=False) == "a\r\n1\r\n2\r\n"  # what pandas does there
    assert datasets.load("kosovo").content_hash() == unix
    emit_frame(data.pattern_table(), "csv", tmp_path / "t.csv")
    assert b"\r" not in (tmp_path / "t.csv").read_bytes()


def test_a_replicate_column_left_unused_is_refused() -> None:
    """estimate link --replicates writes one row per person per replicate: fitting it with --lists but without
    --replicate counted everyone once per replicate (5 replicates of 800 people: "at least 3,398 documented",
    exit 0), and without --lists the error hinted at --lists (a linkage audit's find)."""
    rows = pd.DataFrame({"A": [1, 0, 1] * 2, "B": [0, 1, 1] * 2, "replicate": ["s01"] * 3 + ["s02"] * 3})
    for read in (lambda: CaptureData.from_records(rows, lists=["A", "B"]), lambda: CaptureData.from_records(rows),
                 lambda: CaptureData.from_aggregated(rows.assign(count=2), lists=["A", "B"])):
        with pytest.raises(DataError, match=r"column 'replicate' numbers 2 replicates .* counted 2 times\. Pool "
                                            r"the replicates \(estimate fit or report: --replicate replicate"):
            read()
    with pytest.raises(DataError, match=r"describe them apart \(--strata replicate\)"):
        CaptureData.from_records(rows)
    # a 0/1 column called Replicate is a list
    assert CaptureData.from_records(rows.assign(Replicate=[1, 0, 0, 1, 1, 0]).drop(columns="replicate")).n_lists == 3
    pooled = CaptureData.from_records(rows, lists=["A", "B"], strata="replicate")
    assert pooled.observed == 6
    assert CaptureData.from_records(rows[rows["replicate"] == "s01"], lists=["A", "B"]).observed == 3


def test_a_missing_count_in_the_all_zero_row_is_named_for_what_it_is() -> None:
    """R's dga leaves the unobserved cell NA; the error named a missing value only (an R-migration audit's find)."""
    frame = pd.DataFrame({"A": [0, 1, 0, 1], "B": [0, 0, 1, 1], "count": [np.nan, 30, 20, 5]})
    with pytest.raises(DataError, match="it is the row of people on no list, whom nobody counted: leave that row "
                                        "out or give it 0"):
        CaptureData.from_aggregated(frame, count="count")
    other = frame.assign(count=[1, np.nan, 20, 5])
    with pytest.raises(DataError, match="missing value") as caught:
        CaptureData.from_aggregated(other, count="count")
    assert "people on no list" not in str(caught.value)
    assert CaptureData.from_aggregated(frame.fillna(0), count="count").observed == 55


def test_list_names_that_read_alike_are_refused_and_case_variants_warned() -> None:
    """An auditor's find: a long table's source written 'Правозахист' and ' Правозахист ' (or 'Café' in two Unicode
    forms) became two lists without a word — each person on it counted as recorded by two sources, the log-linear
    total moved from 780.5 to 826.7 — while stratum values so written were refused."""
    nfd = unicodedata.normalize("NFD", "Café")
    long = pd.DataFrame({"id": [1, 2, 3, 4, 5, 6], "source": ["Café", "Café", "B", "B", "C", "Café"]})
    for variant, words in ((" Café ", "differ only in spaces"), (nfd, "two Unicode forms")):
        written = long.assign(source=long["source"].where(long.index != 1, variant))
        with pytest.raises(DataError, match=f"column 'source' names lists 'Café' and .*{words}"):
            CaptureData.from_long(written, id="id", list="source")
    with pytest.warns(DataWarning, match="list names differ only in letter case"):
        cased = CaptureData.from_long(long.assign(source=long["source"].where(long.index != 1, "CAFÉ")), id="id",
                                      list="source")
    assert len(cased.lists) == 4  # kept apart: codes where case matters are possible
    columns = pd.DataFrame({"Café": [1, 0, 1], nfd: [0, 1, 1], "count": [3, 4, 5]})
    with pytest.raises(DataError, match="the data has lists named 'Café' and '.+', which are the same text in two"):
        CaptureData.from_frame(columns)
    with pytest.raises(DataError, match="differ only in spaces"):
        CaptureData.from_frame(pd.DataFrame({"EXH": [1, 0, 1], "EXH ": [0, 1, 1], "count": [3, 4, 5]}))


def test_a_name_that_differs_from_a_column_only_invisibly_is_pointed_to() -> None:
    """A file saved on macOS writes 'é' as e + accent: --lists Médicos typed in the other form was 'not found;
    the data has columns ['Médicos', …]' — two names that print alike, and no word why."""
    nfd = unicodedata.normalize("NFD", "Médicos")
    frame = pd.DataFrame({nfd: [1, 0, 1], "Señal": [0, 1, 1], "count": [3, 4, 5]})
    with pytest.raises(DataError, match=r"'Médicos' differs from the column '.+' only in its Unicode form"):
        CaptureData.from_frame(frame, lists=["Médicos", "Señal"])
    with pytest.raises(DataError, match=r"'señal' differs from the column 'Señal' only in letter case"):
        CaptureData.from_frame(frame, lists=[nfd, "señal"])
    with pytest.raises(DataError, match=r"'Señal ' differs from the column 'Señal' only in spaces"):
        CaptureData.from_frame(frame).select_lists([nfd, "Señal "])
    with pytest.raises(DataError, match=r"not found; the data has columns \[[^]]*\]$"):  # no hint for a typo
        CaptureData.from_frame(frame, lists=[nfd, "Senal"])


def test_encodings_utf8_given_as_cp1252_and_utf16_without_its_mark(tmp_path) -> None:
    """An auditor's finds: a UTF-8 file read with --encoding cp1252 gave lists 'MÃ©dicos' without a word
    (estimate link reads such a file as UTF-8); UTF-16 without a byte-order mark was 'not UTF-8 … use
    --encoding cp1252' (which then read NUL characters), and encoding='utf-16' on it a raw UnicodeError; an
    unknown encoding a raw LookupError in Python."""
    text = "Médicos,Señal,Niños,count\n1,0,1,5\n0,1,1,6\n1,1,0,7\n"
    (tmp_path / "u8.csv").write_text(text, encoding="utf-8")
    with pytest.warns(DataWarning, match="is UTF-8 text, not cp1252: it is read as UTF-8"):
        data = CaptureData.read_csv(tmp_path / "u8.csv", encoding="cp1252")
    assert data.lists == ("Médicos", "Señal", "Niños")
    (tmp_path / "cp.csv").write_bytes(text.encode("cp1252"))  # text in cp1252 itself: read as given, no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert CaptureData.read_csv(tmp_path / "cp.csv", encoding="cp1252").lists == data.lists
    for codec in ("utf-16-le", "utf-16-be"):
        (tmp_path / f"{codec}.csv").write_bytes(text.encode(codec))
        assert CaptureData.read_csv(tmp_path / f"{codec}.csv").lists == data.lists
        assert CaptureData.read_csv(tmp_path / f"{codec}.csv", encoding="utf-16").lists == data.lists
        assert CaptureData.read_csv(io.BytesIO(text.encode(codec))).lists == data.lists
    cyrillic = "Мир,Север,count\n1,0,5\n0,1,6\n1,1,7\n"  # no NUL beside a non-Latin letter: still UTF-16
    for codec in ("utf-16-le", "utf-16-be"):
        (tmp_path / "cyr.csv").write_bytes(cyrillic.encode(codec))
        assert CaptureData.read_csv(tmp_path / "cyr.csv").lists == ("Мир", "Север")
    # a multi-byte encoding is used as named: '医院' in GBK is valid UTF-8 too (a reviewer's find)
    (tmp_path / "gbk.csv").write_bytes("医院,NGO,count\n1,0,50\n0,1,60\n1,1,20\n".encode("gbk"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert CaptureData.read_csv(tmp_path / "gbk.csv", encoding="gbk").lists == ("医院", "NGO")
    with pytest.raises(DataError, match="unknown encoding 'nope'"):
        CaptureData.read_csv(tmp_path / "u8.csv", encoding="nope")
    with pytest.raises(DataError, match="'hex' is not a text encoding"):
        CaptureData.read_csv(tmp_path / "u8.csv", encoding="hex")
    with pytest.raises(DataError, match="it is not utf-8 text"):
        CaptureData.read_csv(tmp_path / "cp.csv", encoding="utf-8")
