"""The README's Python quick-start and preset example run as written (a user copies them first)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import matplotlib
import pytest

from estimate import make_estimator

README = Path(__file__).resolve().parents[1] / "README.md"


def code_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_python_quick_start_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    blocks = [b for b in code_blocks("python") if "demo/" not in b]  # the linkage demo needs its CLI-made files
    assert blocks, "README has no Python quick-start"
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for block in blocks:
            exec(compile(block, str(README), "exec"), namespace)  # noqa: S102
    assert namespace["same"] == namespace["result"]
    # the numbers quoted in the block's comments are what it computes (they drifted unnoticed before)
    assert namespace["data"].observed == 4_400 and "4,400 people" in blocks[0]
    quoted = re.search(r'"(Documented: at least 4,400\. Estimated total: [\d,]+) \(\.\.\.\)"', blocks[0])
    assert quoted and namespace["result"].sentence().startswith(quoted[1])
    truth = namespace["sim"].N
    total = namespace["fit"].total().iloc[0]
    assert total["lower"] <= truth <= total["upper"]
    assert (tmp_path / "kosovo-lcmcr.json").exists()


def test_preset_example_in_readme_builds_an_estimator(tmp_path: Path) -> None:
    (toml,) = [b for b in code_blocks("toml") if "my-priors" in b]
    path = tmp_path / "my-priors.toml"
    path.write_text(toml)
    params = make_estimator(model=str(path)).get_params()
    assert params["K"] == 20 and params["a_alpha"] == 1.0 and params["thinning"] == 100
