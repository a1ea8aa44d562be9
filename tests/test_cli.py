"""The ``glassbox`` command line: help, version, data sets, fit, and its error paths.

A few tests run ``python -m glassbox`` in a subprocess (the real entry point,
exit status included); the others call ``glassbox.cli.main`` in this process,
which is the same code without the interpreter start-up cost.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import glassbox
from glassbox.cli import FIT_KINDS, main


def run_glassbox(*args, cwd=None, timeout=120):
    return subprocess.run([sys.executable, "-m", "glassbox", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, cwd=cwd,
                          env={**os.environ, "GLASSBOX_FAST": "1"})


def assert_one_line_error(stderr: str, message: str):
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("glassbox: error: ") and message in lines[0], lines[0]
    assert "Traceback" not in stderr


@pytest.fixture
def csv_file(tmp_path):
    rng = np.random.default_rng(0)
    n = 80
    frame = pd.DataFrame({"age": rng.integers(18, 70, n), "priors": rng.integers(0, 8, n),
                          "married": rng.integers(0, 2, n)})
    frame["reoffended"] = np.where((frame["priors"] > 2) | (frame["age"] < 25), "yes", "no")
    path = tmp_path / "people.csv"
    frame.to_csv(path, index=False)
    return path


# ---------------------------------------------------------------------------
# The real entry point, in a subprocess
# ---------------------------------------------------------------------------

def test_version():
    run = run_glassbox("--version")
    assert run.returncode == 0 and run.stdout.strip() == f"glassbox {glassbox.__version__}"


def test_help_lists_the_commands():
    """``glassbox --help`` through the installed console script (``python -m`` without one)."""
    console = shutil.which("glassbox", path=os.path.dirname(sys.executable))
    command = [console] if console else [sys.executable, "-m", "glassbox"]
    run = subprocess.run([*command, "--help"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0
    for name in ("datasets", "demo", "fit", "compare"):
        assert name in run.stdout


def test_missing_file_in_a_subprocess(tmp_path):
    run = run_glassbox("fit", "rules", "nope.csv", "--target", "y", cwd=tmp_path)
    assert run.returncode == 2
    assert_one_line_error(run.stderr, "no such file: nope.csv")


# ---------------------------------------------------------------------------
# In this process
# ---------------------------------------------------------------------------

def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "usage: glassbox" in capsys.readouterr().out


def test_datasets_lists_the_loaders(capsys):
    pytest.importorskip("glassbox.datasets")
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert "tictactoe" in out.replace("-", "").replace("_", "").lower()
    assert "monks" in out.lower()


@pytest.mark.parametrize("kind", sorted(FIT_KINDS))
def test_fit_each_kind(kind, csv_file, tmp_path, capsys):
    name = FIT_KINDS[kind]
    module, extra = glassbox._ESTIMATORS[name]
    if extra and not glassbox._deps.extra_available(extra):
        pytest.skip(f"{name} needs the {extra} extra")
    if not hasattr(pytest.importorskip(module), name):
        pytest.skip(f"{name} has not landed yet")
    cls = getattr(sys.modules[module], name)
    budget = ["--time-limit", "5"] if "time_limit" in cls().get_params() else []
    saved = tmp_path / "model.json"
    assert main(["fit", kind, str(csv_file), "--target", "reoffended", *budget,
                 "--save", str(saved)]) == 0
    out = capsys.readouterr().out
    assert "training accuracy: " in out and "(80 rows" in out
    assert "age" in out or "priors" in out  # the model is written in the column names
    accuracy = float(out.split("training accuracy: ")[1].split()[0])
    assert accuracy > 0.7
    model = glassbox.load(saved)
    data = pd.read_csv(csv_file)
    assert model.score(data.drop(columns="reoffended"), data["reoffended"]) == pytest.approx(
        accuracy, abs=1e-4)
    assert json.loads(saved.read_text())["model"] == name


def test_fit_help_lists_the_estimator_parameters(capsys):
    if not hasattr(pytest.importorskip("glassbox.rules"), "RuleListClassifier"):
        pytest.skip("RuleListClassifier has not landed yet")
    assert main(["fit", "rules", "--help"]) == 0
    out = capsys.readouterr().out
    assert "usage: glassbox fit rules" in out and "Parameters" in out


@pytest.mark.parametrize("args, message", [
    (["fit", "rules", "{csv}"], "name the label column with --target"),
    (["fit", "rules", "{csv}", "--target", "label"], "--target 'label' is not a column"),
    (["fit", "rules", "{csv}", "--target", "reoffended", "--bogus", "3"],
     "has no parameter 'bogus'"),
    (["fit", "rules", "{csv}", "--target", "reoffended", "--c"], "--c needs a value"),
    (["fit", "rules", "{csv}", "--target", "reoffended", "--c", "-1"], "'c' parameter"),
    (["fit", "forest", "{csv}", "--target", "reoffended"], "unknown model kind 'forest'"),
    (["fit", "rules", "{missing}", "--target", "reoffended"], "no such file"),
    (["fit", "rules", "{garbage}", "--target", "reoffended"], "could not read"),
])
def test_fit_errors_are_one_line(args, message, csv_file, capsys):
    if "forest" not in args and not hasattr(pytest.importorskip("glassbox.rules"),
                                            "RuleListClassifier"):
        pytest.skip("RuleListClassifier has not landed yet")
    garbage = csv_file.with_name("garbage.csv")
    garbage.write_bytes(b'a,b\n"unterminated\n1,2,3,4\n')
    paths = {"csv": csv_file, "missing": csv_file.with_name("missing.csv"), "garbage": garbage}
    assert main([a.format(**paths) for a in args]) == 2
    captured = capsys.readouterr()
    assert_one_line_error(captured.err, message)


def test_unknown_command_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["frobnicate"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'frobnicate'" in capsys.readouterr().err
