"""The documentation builds offline and without a single warning (sphinx-build -W)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def test_docs_build_without_warnings(tmp_path):
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_parser")
    pytest.importorskip("numpydoc")
    run = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(ROOT / "docs"), str(tmp_path / "html")],
        capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert run.returncode == 0, (run.stdout + run.stderr)[-6000:]
    html = tmp_path / "html"
    for page in ("index", "getting_started", "architecture", "api", "scaling", "benchmarks",
                 "tutorials", "guide/compare"):
        assert (html / f"{page}.html").is_file(), page
    api = (html / "api" / "glassbox.comparison.html").read_text(encoding="utf-8")
    assert "default_models" in api
    guide = (html / "guide" / "compare.html").read_text(encoding="utf-8")
    assert "CompareResult" in guide and "to_html" in guide
    tutorials = sorted(p.stem for p in (ROOT / "tutorials").glob("[0-9]*.py"))
    for name in tutorials:
        assert (html / "tutorials" / f"{name}.html").is_file(), name
