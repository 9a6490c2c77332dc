"""Bundled datasets (with citations and published estimates) and TOML model presets."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import estimate
from estimate import DataError, datasets, load_preset, make_estimator, preset_names

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def test_every_bundled_dataset_loads_with_citation() -> None:
    assert {"kosovo", "uk_modern_slavery_2013"} <= set(datasets.names())
    for name in datasets.names():
        data = datasets.load(name)
        assert data.n_lists >= 2 and data.observed > 0
        info = datasets.info(name)
        assert info["citation"]


def test_kosovo_matches_the_shared_copy_and_published_estimate() -> None:
    data = datasets.load("kosovo")
    assert data.lists == ("EXH", "ABA", "OSCE", "HRW") and data.observed == 4_400
    assert datasets.info("kosovo")["published"]["estimate"] == 10_356
    if (SHARED / "kosovo.csv").exists():
        shared = pd.read_csv(SHARED / "kosovo.csv")
        count = [c for c in shared.columns if c not in data.lists][0]
        assert int(shared[count].sum()) == data.observed


#: lists, observed patterns and people of each shared dataset (../shared/data/README.md's table)
SHARED_TABLE = {"kosovo": (4, 15, 4_400), "uk_modern_slavery_2013": (6, 25, 2_744),
                "netherlands_trafficking": (6, 24, 8_234), "new_orleans_trafficking": (8, 19, 185),
                "western_us_trafficking": (5, 13, 345)}


@pytest.mark.parametrize("name", list(SHARED_TABLE))
def test_every_bundled_dataset_is_the_shared_copy(name: str) -> None:
    """Only Kosovo's list names and total were checked: a bundled file with a row dropped or two lists swapped
    would have gone unnoticed (and moved every reference comparison made on it)."""
    data = datasets.load(name)
    assert (data.n_lists, len(data.counts), data.observed) == SHARED_TABLE[name]
    if (SHARED / f"{name}.csv").exists():
        shared = pd.read_csv(SHARED / f"{name}.csv")
        lists = [c for c in shared.columns if c in data.lists]
        assert tuple(lists) == data.lists
        count = [c for c in shared.columns if c not in data.lists][0]
        ours = data.pattern_table().set_index(list(data.lists))["count"].sort_index()
        theirs = shared.groupby(lists)[count].sum().sort_index()
        assert ours.to_dict() == theirs.to_dict()


def test_unknown_dataset_is_a_clear_error() -> None:
    with pytest.raises(DataError, match="unknown dataset 'nope'"):
        datasets.load("nope")


def test_presets_load_by_name_and_build_estimators() -> None:
    assert {"lcmcr-default", "lcmcr-long", "loglinear-aic"} <= set(preset_names())
    preset = load_preset("lcmcr-default")
    assert preset.method == "lcmcr" and "a_alpha" in preset.text
    estimator = make_estimator(None, "lcmcr-default", seed=5)
    assert estimator.get_params()["K"] == 10 and estimator.get_params()["a_alpha"] == 0.25
    assert estimator.get_params()["seed"] == 5
    long = make_estimator(None, "lcmcr-long").get_params()
    assert long["burn_in"] == 10_000 and long["thinning"] == 500 and long["draws"] == 10_000


def test_user_preset_file_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('method = "lcmcr"\n[model]\nK = 4\n[priors]\na_alpha = 1.0\n')
    assert make_estimator(None, str(path)).get_params()["K"] == 4
    with pytest.raises(DataError, match="unknown model preset"):
        load_preset("no-such-preset")
    with pytest.raises(DataError, match="does not exist"):
        load_preset(tmp_path / "missing.toml")


def test_preset_keys_outside_the_known_tables_are_refused(tmp_path: Path) -> None:
    """A misspelt table or a parameter at the top level used to be ignored: the fit ran with the default."""
    typo = tmp_path / "typo.toml"
    typo.write_text('method = "lcmcr"\n[prior]\na_alpha = 1.0\n[model]\nK = 3\n')
    with pytest.raises(DataError, match=r"unknown key\(s\) or table\(s\) \['prior'\]"):
        make_estimator(model=typo)
    top = tmp_path / "top.toml"
    top.write_text('method = "lcmcr"\nK = 3\n')
    with pytest.raises(DataError, match=r"\['K'\]"):
        load_preset(top)
    # a byte-order mark and an upper-case method name are fine
    bom = tmp_path / "bom.toml"
    bom.write_bytes('\ufeffmethod = "LCMCR"\n[model]\nK = 3\n'.encode())
    assert make_estimator("lcmcr", model=bom).K == 3


def test_dataset_info_is_a_copy_the_caller_may_change() -> None:
    first = datasets.info("kosovo")
    first["published"]["estimate"] = 1  # nested: a shallow copy shared this with every later call
    assert datasets.info("kosovo")["published"]["estimate"] != 1


def test_a_method_that_is_not_text_is_a_data_error() -> None:
    from estimate.estimators.base import get_estimator_class

    for bad in (None, 5):
        with pytest.raises(DataError, match="method"):
            get_estimator_class(bad)  # AttributeError from .strip()
        with pytest.raises(DataError):
            make_estimator(bad)


def test_a_local_file_named_like_a_preset_does_not_replace_it_and_bad_values_name_the_preset(
        tmp_path, monkeypatch) -> None:
    """A file 'lcmcr-default' in the working directory was read instead of the bundled preset (a folder of that
    name: "does not exist"); a preset with K = "ten" built an estimator that failed only at fit()."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lcmcr-default").write_text('method = "chapman"\n')
    (tmp_path / "dga-default").mkdir()
    assert type(estimate.make_estimator(model="lcmcr-default")).__name__ == "LCMCR"
    assert estimate.make_estimator(model="dga-default").name == "dga"
    assert estimate.make_estimator(model="./lcmcr-default").name == "chapman"  # asked for as a path
    (tmp_path / "bad.toml").write_text('method = "lcmcr"\n[sampler]\nK = "ten"\n')
    with pytest.raises(estimate.DataError, match=r"preset 'bad' \(.*bad.toml\).*K='ten'"):
        estimate.make_estimator(model="bad.toml")
    with pytest.raises(estimate.DataError, match="does not exist"):
        estimate.make_estimator(model="./nope")
    # an override is not the preset's fault: it is checked (as any parameter) when fitting, unwrapped
    assert estimate.make_estimator(model="lcmcr-default", K=0).K == 0


def test_a_user_preset_records_its_absolute_path(tmp_path, monkeypatch) -> None:
    """'--model small.toml' recorded 'small.toml': which file it was is lost once the working folder changes."""
    (tmp_path / "small.toml").write_text('method = "chao"\n')
    monkeypatch.chdir(tmp_path)
    assert estimate.load_preset("small.toml").path == str((tmp_path / "small.toml").resolve())


@pytest.mark.parametrize(
    ("method", "params", "message"),
    [
        ("chapman", {"lists": 5}, "lists must be 2 different list names"),
        ("lincoln-petersen", {"lists": ("EXH",)}, "lists must be 2 different list names"),
        ("chapman", {"lists": ("EXH", "EXH")}, "lists must be 2 different list names"),
        ("loglinear", {"terms": 5}, "terms must be one of"),
        ("loglinear", {"terms": "bogus"}, "terms must be one of"),
        ("loglinear", {"terms": None}, "terms must be one of"),
        ("bayes-loglinear", {"terms": [1, 2]}, "terms must be one of"),
    ],
)
def test_malformed_lists_and_terms_are_refused_before_the_data(method: str, params: dict, message: str) -> None:
    """lists=5 failed inside the fit with a TypeError (CLI exit 3), and terms=5 in a preset made every stratum
    'not estimable' instead of stopping the run."""
    with pytest.raises(ValueError, match=message):
        estimate.make_estimator(method, **params).check_params()


def test_well_formed_lists_and_terms_pass_the_check() -> None:
    for method, params in [("chapman", {"lists": ["EXH", "ABA"]}), ("loglinear", {"terms": "EXH:ABA, OSCE:HRW"}),
                           ("loglinear", {"terms": [("EXH", "ABA"), "OSCE:HRW"]}), ("loglinear", {"terms": "Search"}),
                           ("bayes-loglinear", {"terms": None}), ("bayes-loglinear", {"terms": "independence"})]:
        estimate.make_estimator(method, **params).check_params()


def test_an_explicit_none_override_is_passed_on() -> None:
    """make_estimator dropped None overrides: screen=None (fit every move) silently became screen=5."""
    assert estimate.make_estimator("loglinear", screen=None).screen is None
    assert estimate.make_estimator("loglinear").screen == 5


def test_every_parameter_error_starts_with_the_method_name() -> None:
    """loglinear and the Rcapture models said "criterion must be …" with no method, LCMCR "LCMCR: …"."""
    for method, params in [("loglinear", {"criterion": "x"}), ("m0", {"list_effects": 3}), ("dga", {"delta": -1}),
                           ("lcmcr", {"K": 0}), ("chapman", {"lists": 5})]:
        with pytest.raises(ValueError) as caught:
            estimate.make_estimator(method, **params).check_params()
        assert str(caught.value).lower().startswith(f"{method}:"), str(caught.value)


def test_terms_of_one_list_are_refused_and_list_names_may_be_an_array() -> None:
    """terms=['bogus'] passed the check and made every stratum 'not estimable'; lists=np.array([...]) and
    pd.Index([...]) worked before the check was added."""
    import numpy as np

    for terms in (["bogus"], ("EXH", "ABA"), [["EXH"]]):
        with pytest.raises(ValueError, match="terms must be one of"):
            estimate.make_estimator("loglinear", terms=terms).check_params()
    for lists in (np.array(["EXH", "ABA"]), pd.Index(["EXH", "ABA"])):
        estimate.make_estimator("chapman", lists=lists).check_params()


def test_preset_paths_and_unreadable_files_get_errors_that_name_them(tmp_path, monkeypatch) -> None:
    """'~/mine.toml' quoted was not expanded; a folder 'does not exist'; an unreadable file was an internal error
    (exit 3); model=5 a raw TypeError from pathlib; an unknown parameter did not name the preset file."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "mine.toml").write_text('method = "loglinear"\n')
    monkeypatch.setenv("HOME", str(home))
    assert load_preset("~/mine.toml").method == "loglinear"
    (tmp_path / "folder.toml").mkdir()
    (tmp_path / "typo.toml").write_text('method = "lcmcr"\n[model]\nKK = 3\n')
    monkeypatch.chdir(tmp_path)
    for bad, words in ((lambda: load_preset("folder.toml"), "is a folder"),
                       (lambda: load_preset("lcmcr-long.toml"), "named 'lcmcr-long', without .toml"),
                       (lambda: make_estimator(model=5), "name or a TOML file's path, got 5"),
                       (lambda: make_estimator(model="typo.toml"), r"preset 'typo' \(.*typo.toml\): .*\['KK'\]")):
        with pytest.raises(DataError, match=words):
            bad()

    def unreadable(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_text", unreadable)
    with pytest.raises(DataError, match="cannot be read: Permission denied"):
        estimate.load_preset("~/mine.toml")


def test_a_changed_copy_of_a_bundled_preset_does_not_pass_as_it(tmp_path) -> None:
    """The README says 'copy one, change it': the copy kept name = "lcmcr-default", so provenance, the report
    and compare's seeds took it for the bundled preset."""
    bundled = next(Path(d) for d in estimate.presets._models_dirs()) / "lcmcr-default.toml"
    text = bundled.read_text().replace("K = 10", "K = 3")
    (tmp_path / "my-priors.toml").write_text(text)
    (tmp_path / "lcmcr-default.toml").write_text(text)
    assert load_preset("lcmcr-default").name == "lcmcr-default"
    assert load_preset(tmp_path / "my-priors.toml").name == "my-priors (from lcmcr-default)"
    assert load_preset(tmp_path / "lcmcr-default.toml").name == "lcmcr-default (local copy)"


def test_choice_values_in_a_preset_are_case_insensitive_as_on_the_command_line(tmp_path) -> None:
    path = tmp_path / "case.toml"
    path.write_text('method = "lcmcr"\n[interval]\ninterval = "HDI"\n[sampler]\nsampler = " Gibbs"\n')
    estimator = make_estimator(model=path)
    estimator.check_params()
    assert (estimator.interval, estimator.sampler) == ("hdi", "gibbs")


def test_a_models_folder_beside_a_vendored_install_is_not_taken_for_the_bundled_presets(tmp_path, monkeypatch) -> None:
    """Installed with ``pip install --target proj/vendor``, the package's grandparent is the user's ``proj``: every
    ``proj/models/*.toml`` (a broken one too) was listed as a bundled preset.  The source tree's ``models/`` counts
    only beside this project's pyproject.toml."""
    from estimate import presets

    vendored = tmp_path / "proj" / "vendor" / "estimate"
    vendored.mkdir(parents=True)
    (tmp_path / "proj" / "models").mkdir()
    (tmp_path / "proj" / "models" / "my-experiment.toml").write_text('method = "chao"\n')
    monkeypatch.setattr(presets, "__file__", str(vendored / "presets.py"))
    monkeypatch.setattr(presets.resources, "files", lambda package: tmp_path / "nowhere")
    assert presets._models_dirs() == []
    (tmp_path / "proj" / "vendor" / "pyproject.toml").write_text('[project]\nname = "estimate"\n')  # not beside it
    assert presets._models_dirs() == []
    (tmp_path / "proj" / "pyproject.toml").write_text('[project]\nname = "someone-else"\n')
    assert presets._models_dirs() == []
    (tmp_path / "proj" / "pyproject.toml").write_text('[project]\nname = "estimate"\n')  # a checkout of ours
    assert presets._models_dirs() == [tmp_path / "proj" / "models"]


def test_a_preset_given_where_a_method_goes_is_named_as_a_preset() -> None:
    """make_estimator("lcmcr-default") (the quick-start's comment says 'any method by name or preset') and
    `--method lcmcr-default` said only "unknown method" with the list of methods (an interop audit's find)."""
    import estimate
    from estimate.errors import DataError

    with pytest.raises(DataError, match=r"'lcmcr-default' is a model preset, not a method: give it as "
                                        r"model='lcmcr-default' in Python or --model lcmcr-default"):
        estimate.make_estimator("lcmcr-default")
    with pytest.raises(DataError, match=r"unknown method 'lcmcr-defualt'; available methods"):
        estimate.make_estimator("lcmcr-defualt")
