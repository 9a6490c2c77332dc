"""The benchmarks' quick mode runs (a reviewer's first step); slow, so outside the fast suite."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_quick_real_data_benchmark_runs_and_writes_only_quick_results(tmp_path: Path) -> None:
    """`python -m benchmarks --quick` died in the real-data benchmark: it gave compare settings for the PyMC
    methods the quick run leaves out, which compare refuses."""
    copy = tmp_path / "project"
    shutil.copytree(ROOT / "benchmarks", copy / "benchmarks", ignore=shutil.ignore_patterns("quick", "__pycache__"))
    committed = {p.name: p.read_bytes() for p in (copy / "benchmarks" / "results").glob("*.json")}
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--only", "real"], cwd=copy,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads((copy / "benchmarks" / "results" / "quick" / "real_data.json").read_text())
    assert result["datasets"] and all(row["rows"] for row in result["datasets"])
    assert {p.name: p.read_bytes() for p in (copy / "benchmarks" / "results").glob("*.json")} == committed
