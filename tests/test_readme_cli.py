"""The README's CLI quick-start runs as written, command by command, in a fresh folder.

The commands that finish in seconds run in the default suite; those that sample (LCMCR, PyMC, the report) are
marked slow.  The long-run preset's example is the only one changed: its sweep counts are cut with ``--set``
(as written it samples for a quarter of an hour).  The files the block takes as the user's own (``lists.csv``,
``sightings.csv``, the README's ``my-priors.toml``) are made first.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from estimate import datasets

README = Path(__file__).resolve().parents[1] / "README.md"

#: the commands that take seconds as written
FAST = {
    "datasets", "describe", "methods", "simulate --list", "simulate strata",
    "fit --example kosovo --method loglinear", "reproduce", "widen", "fit sim.csv --strata stratum --method loglinear",
}
#: the long-run preset, cut to a few thousand sweeps (the preset's name and its loading are what is shown)
CUT = {"fit --example kosovo --model lcmcr-long": ["--set", "burn_in=1000", "--set", "draws=1000",
                                                    "--set", "thinning=1"]}


def cli_block() -> list[list[str]]:
    """The first ``bash`` block after "## CLI quick-start", as argument lists (comments dropped)."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## CLI quick-start"):]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.S)
    assert block, "README's CLI quick-start has no bash block"
    commands = [shlex.split(line, comments=True) for line in block[1].splitlines()]
    return [c for c in commands if c]


def kind(args: list[str]) -> str:
    line = " ".join(args[1:])
    if any(line.startswith(prefix) for prefix in CUT):
        return "cut"
    return "fast" if any(line.startswith(prefix) for prefix in FAST) else "slow"


def prepare(folder: Path) -> None:
    """The user's own files the block names: a list file, a long file of sightings, the README's preset."""
    datasets.load("kosovo").to_frame().to_csv(folder / "lists.csv", index=False)
    sightings = pd.DataFrame({"record_id": [1, 1, 2, 3, 3, 4, 5, 5, 6, 7, 8, 8],
                              "source": list("ABABCAACBCAB"),
                              "region": list("nnnnnnssssss")})
    sightings.to_csv(folder / "sightings.csv", index=False)
    text = README.read_text(encoding="utf-8")
    (toml,) = [b for b in re.findall(r"```toml\n(.*?)```", text, flags=re.S) if "my-priors" in b]
    (folder / "my-priors.toml").write_text(toml, encoding="utf-8")


def run(args: list[str], folder: Path) -> subprocess.CompletedProcess[str]:
    assert args[0] == "estimate"
    extra = next((v for k, v in CUT.items() if " ".join(args[1:]).startswith(k)), [])
    return subprocess.run([sys.executable, "-m", "estimate", *args[1:], *extra], capture_output=True, text=True,
                          cwd=folder, timeout=1800)


def test_block_is_what_this_file_sorts() -> None:
    commands = cli_block()
    assert len(commands) >= 15
    assert all(c[0] == "estimate" for c in commands)
    kinds = [kind(c) for c in commands]
    assert kinds.count("cut") == len(CUT)
    lines = [" ".join(c[1:]) for c in commands]  # every prefix still names a command of the block
    assert all(any(line.startswith(prefix) for line in lines) for prefix in [*FAST, *CUT]), lines


def check_outputs(folder: Path) -> None:
    """What the commands the suite ran promise to leave behind."""
    if (folder / "kosovo.json").exists():
        result = json.loads((folder / "kosovo.json").read_text())
        assert result["method"] == "loglinear" and result["observed"] == 4_400
    if (folder / "patterns.csv").exists():
        patterns = pd.read_csv(folder / "patterns.csv")
        assert {"A", "B", "C", "region"} <= set(patterns.columns)
        assert patterns.filter(["count"]).sum().iloc[0] == 8  # eight people in the sightings
    if (folder / "truth.json").exists():
        assert json.loads((folder / "truth.json").read_text())["N"] == 4_000


def run_block(folder: Path, kinds: set[str]) -> list[str]:
    prepare(folder)
    ran = []
    for args in cli_block():
        if kind(args) not in kinds:
            continue
        done = run(args, folder)
        assert done.returncode == 0, f"{shlex.join(args)} exited {done.returncode}:\n{done.stderr}"
        assert "Traceback" not in done.stderr
        ran.append(shlex.join(args))
    check_outputs(folder)
    return ran


def test_fast_commands_run_as_written(tmp_path: Path) -> None:
    ran = run_block(tmp_path, {"fast"})
    assert len(ran) >= len(FAST)
    # the reproduce step re-ran the loglinear fit and found the same numbers
    assert (tmp_path / "strata.json").exists() and (tmp_path / "patterns.csv").exists()


@pytest.mark.slow
def test_every_command_runs_as_written(tmp_path: Path) -> None:
    ran = run_block(tmp_path, {"fast", "slow", "cut"})
    assert len(ran) == len(cli_block())
    for name in ("kosovo.nc", "forest.png", "report.html", "strata.csv", "strata.totals.csv", "draws.nc"):
        assert (tmp_path / name).stat().st_size > 0, name
    totals = pd.read_csv(tmp_path / "strata.totals.csv")
    truth = json.loads((tmp_path / "truth.json").read_text())["N"]
    assert totals["lower"].iloc[0] <= truth <= totals["upper"].iloc[0]
