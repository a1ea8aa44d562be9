"""Every tutorial runs top to bottom in fast mode (GLASSBOX_FAST=1), as CI does."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import glassbox
from glassbox._deps import EXTRAS, module_available

ROOT = Path(__file__).resolve().parent.parent
TUTORIALS = sorted((ROOT / "tutorials").glob("[0-9]*.py"))
TIMEOUT = 120

pytestmark = pytest.mark.slow


def missing_extras(script: Path) -> list[str]:
    """Extras whose modules the script imports (directly or through a glassbox estimator)."""
    tree = ast.parse(script.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
            imported |= {alias.name for alias in node.names}
    needed = set()
    for extra, modules in EXTRAS.items():
        if any(name.split(".")[0] in modules for name in imported):
            needed.add(extra)
    for name, (module, extra) in glassbox._ESTIMATORS.items():
        if extra and (name in imported or module in imported):
            needed.add(extra)
    return sorted(e for e in needed if not all(module_available(m) for m in EXTRAS[e]))


def test_there_are_tutorials():
    assert TUTORIALS, "tutorials/ has no NN_*.py scripts"


@pytest.mark.parametrize("script", TUTORIALS, ids=[s.stem for s in TUTORIALS])
def test_tutorial_runs(script, tmp_path):
    missing = missing_extras(script)
    if missing:
        pytest.skip(f"{script.name} needs the extras {missing} "
                    f"(pip install \"glassbox[{','.join(missing)}]\")")
    env = {**os.environ, "GLASSBOX_FAST": "1", "MPLBACKEND": "Agg",
           "GLASSBOX_TUTORIAL_OUTPUT": str(tmp_path)}
    try:
        run = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{script.name} did not finish in {TIMEOUT} s with GLASSBOX_FAST=1")
    assert run.returncode == 0, f"{script.name} failed:\n{run.stderr[-4000:]}"
    assert run.stdout.strip(), f"{script.name} printed nothing"
