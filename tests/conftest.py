"""Shared fixtures: the benchmark data home and the fast mode."""

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def data_home() -> Path:
    """The shared benchmark data folder (GLASSBOX_DATA); skips the test when absent."""
    path = os.environ.get("GLASSBOX_DATA")
    if not path or not Path(path).is_dir():
        pytest.skip("GLASSBOX_DATA is not set to the shared benchmark data folder")
    return Path(path)


@pytest.fixture(autouse=True)
def _fast_mode(monkeypatch):
    """Tutorial and demo code reads GLASSBOX_FAST to pick small budgets."""
    monkeypatch.setenv("GLASSBOX_FAST", "1")
