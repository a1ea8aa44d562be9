"""glassbox.compare: the black box against every glassbox learner, and its command."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import StratifiedKFold
from sklearn.tree import DecisionTreeClassifier

import glassbox
from glassbox.comparison import (
    BLACK_BOX,
    RASHOMON_EPSILON,
    TABLE_COLUMNS,
    CompareResult,
    _black_box,
    _rashomon_summary,
    _verdict,
    compare,
    model_size,
)


def small_problem(n_samples=90, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"age": rng.integers(18, 70, n_samples),
                      "priors": rng.integers(0, 8, n_samples),
                      "sex": rng.choice(["Male", "Female"], n_samples)})
    y = np.where((X["priors"] > 2) | (X["age"] < 25), "yes", "no")
    return X, y


class Exploding(ClassifierMixin, BaseEstimator):
    """Fails on every fit: compare must record the error and carry on."""

    def fit(self, X, y):
        raise RuntimeError("boom")


def test_scores_match_a_manual_cross_validation():
    X, y = small_problem()
    tree = DecisionTreeClassifier(max_depth=2, random_state=0)
    result = compare(X[["age", "priors"]], y, models={"cart": tree}, cv=3, random_state=7)
    splits = StratifiedKFold(3, shuffle=True, random_state=7).split(X, y)
    expected = [accuracy_score(y[test], tree.fit(X.iloc[train, :2], y[train]).predict(
        X.iloc[test, :2])) for train, test in splits]
    row = result.table.iloc[0]
    assert row["model"] == "cart" and row["kind"] == "black box"
    assert row["accuracy"] == pytest.approx(np.mean(expected), abs=1e-12)
    assert row["accuracy_std"] == pytest.approx(np.std(expected), abs=1e-12)
    assert result.folds["accuracy"].tolist() == pytest.approx(expected)
    assert 0 <= row["brier"] <= 1 and 0.5 <= row["auc"] <= 1
    assert result.models["cart"].get_depth() <= 2  # fitted on all the data


def test_table_folds_and_failures_in_parallel():
    from joblib import parallel_config

    X, y = small_problem()
    models = {"boost": HistGradientBoostingClassifier(max_iter=10),
              "broken": Exploding()}
    with parallel_config(backend="threading"):  # cheap here; loky workers start slowly
        result = compare(X[["age", "priors"]], y, models=models, cv=2, n_jobs=2)
    assert isinstance(result, CompareResult)
    table = result.to_frame()
    assert table["model"].tolist() == ["boost", "broken"]
    assert list(result.folds.columns[:2]) == ["model", "fold"] and len(result.folds) == 4
    boost, broken = table.iloc[0], table.iloc[1]
    assert boost["error"] == "" and boost["size"] == 10 and boost["size_unit"] == "trees"
    assert broken["error"] == "RuntimeError: boom" and math.isnan(broken["accuracy"])
    assert result.models["broken"] is None
    assert "No glassbox model" in result.verdict
    only_failures = CompareResult(table=result.table.iloc[1:], folds=result.folds,
                                  models={"broken": None}, verdict=result.verdict)
    assert "the fit on all the data failed" in only_failures.to_html()
    text = str(result)
    assert "RuntimeError: boom" in text and "2-fold" in text and "90 rows" in text


def test_backend_without_result_generators():
    from joblib import parallel_config

    X, y = small_problem(40)
    with parallel_config(backend="multiprocessing", n_jobs=1):
        result = compare(X[["age"]], y, models={"cart": DecisionTreeClassifier()}, cv=2,
                         n_jobs=2)
    assert result.table["error"].tolist() == [""] and len(result.folds) == 2


def test_default_black_box_handles_text_columns():
    X, y = small_problem()
    result = compare(X, y, models=["black_box"], cv=2, rashomon=False)
    row = result.table.iloc[0]
    assert row["model"] == BLACK_BOX and row["error"] == "" and row["accuracy"] >= 0.75


@pytest.mark.parametrize("name, units", [("RuleListClassifier", "rules"),
                                         ("SparseTreeClassifier", "leaves")])
def test_glassbox_learner_in_the_table(name, units):
    module = pytest.importorskip(glassbox._ESTIMATORS[name][0])
    if not hasattr(module, name):
        pytest.skip(f"{name} has not landed yet")
    X, y = small_problem()
    model = getattr(module, name)._test_instance()
    result = compare(X, y, models={"boost": _black_box(X, 0).set_params(
        histgradientboostingclassifier__max_iter=20), name: model}, cv=2, rashomon=False)
    row = result.table.set_index("model").loc[name]
    assert row["error"] == "", row["error"]
    assert row["kind"] == "glassbox" and row["size_unit"] == units
    assert row["size"] == len(result.models[name].to_frame())
    assert row["certificate"] in ("optimal", "time_limit", "node_limit", "memory_limit",
                                  "heuristic")
    assert result.verdict.startswith(name)
    html = result.to_html()
    assert result.models[name].to_text().splitlines()[0] in html


def test_default_models_with_small_budgets():
    X, y = small_problem(60)
    result = compare(X, y, cv=2, time_limit=1.0, rashomon=False)
    table = result.table
    assert table["model"].iloc[0] == BLACK_BOX
    listed = set(table["model"]) | {note.split()[0] for note in result.notes}
    assert {"RuleListClassifier", "RiskScoreClassifier", "SparseTreeClassifier"} <= listed
    assert (table["error"] == "").all(), table["error"].tolist()


def test_rashomon_summary_of_sparse_trees():
    pytest.importorskip("glassbox.rashomon")
    trees = pytest.importorskip("glassbox.trees")
    rashomon = pytest.importorskip("glassbox.rashomon")
    X, y = small_problem(40)
    X = X[["age", "priors"]]
    tree = trees.SparseTreeClassifier(max_depth=2, n_thresholds=3)
    summary = _rashomon_summary(tree, X, y, seconds=120)
    expected = rashomon.rashomon_ratio(tree, X, y, epsilon=RASHOMON_EPSILON, patterns=False)
    assert summary["size"] == expected.set_size and summary["depth"] == 2
    assert summary["ratio"] == pytest.approx(expected.ratio)
    text = str(CompareResult(table=pd.DataFrame(columns=TABLE_COLUMNS), folds=pd.DataFrame(),
                             models={}, verdict="v", rashomon=summary))
    assert f"{expected.set_size:,} trees" in text


def test_verdict_wording():
    folds = pd.DataFrame({"model": ["bb"] * 3 + ["rules"] * 3, "fold": [0, 1, 2] * 2,
                          "accuracy": [0.90, 0.80, 0.85, 0.88, 0.81, 0.84]})
    table = pd.DataFrame({"model": ["bb", "rules"], "kind": ["black box", "glassbox"],
                          "accuracy": [0.85, 0.8433333], "size": [100, 4],
                          "size_unit": ["trees", "rules"], "certificate": ["", "optimal"],
                          "error": ["", ""]})
    text = _verdict(table, folds, 3)
    assert text.startswith("rules, 4 rules reaches accuracy 0.843 against 0.850")
    assert "within 0.7 points of accuracy" in text and "inside cross-validation noise" in text
    far = folds.assign(accuracy=[0.95, 0.96, 0.97, 0.70, 0.71, 0.72])
    far_table = table.assign(accuracy=[0.96, 0.71])
    assert _verdict(far_table, far, 3).endswith("within 25.0 points of accuracy of the "
                                                "black box.")
    stopped = far_table.assign(certificate=["", "time_limit"])
    assert _verdict(stopped, far, 3).endswith("rules stopped at the time limit before proving "
                                              "optimality; a larger time_limit may narrow "
                                              "the gap.")
    one_leaf = far_table.assign(size=[100, 1], size_unit=["trees", "leaves"])
    assert _verdict(one_leaf, far, 3).startswith("rules, 1 leaf reaches")
    better = table.assign(accuracy=[0.80, 0.90])
    assert "at least as accurate" in _verdict(better, folds, 3)


@pytest.mark.parametrize("kwargs, message", [
    ({"cv": 1}, "cv must be an integer >= 2"),
    ({"cv": 200}, "cv=200 folds need at least 200 rows of each class"),
    ({"time_limit": 0}, "time_limit must be a positive number"),
    ({"models": ["Nope"]}, "unknown model 'Nope'"),
    ({"models": {}}, "models is an empty dict"),
])
def test_bad_arguments(kwargs, message):
    X, y = small_problem()
    with pytest.raises(ValueError, match=message):
        compare(X, y, **kwargs)


def test_bad_data():
    X, y = small_problem()
    with pytest.raises(ValueError, match="Only binary classification.*compare got y with 3"):
        compare(X, np.arange(len(X)) % 3)
    with pytest.raises(ValueError, match="NaN .* column 'age'"):
        compare(X.assign(age=np.where(X["age"] > 60, np.nan, X["age"])), y)


def test_html_report(tmp_path):
    X, y = small_problem()
    result = compare(X[["age", "priors"]], y, models={
        "boost": HistGradientBoostingClassifier(max_iter=5),
        "cart": DecisionTreeClassifier(max_depth=2)}, cv=2)
    path = tmp_path / "report.html"
    assert result.to_html(path) is None
    page = path.read_text()
    assert page.startswith("<!DOCTYPE html>") and "<table" in page and "Verdict" in page
    assert page.count("<pre>") == 2 and "not readable as text" in page
    if glassbox._deps.module_available("matplotlib"):
        assert "data:image/png;base64," in page


def test_model_size_prefers_the_attribute():
    class Sized:
        model_size_ = 7

    assert model_size(Sized()) == (7, "units")
    X, y = small_problem()
    X = X[["age", "priors"]]
    assert model_size(DecisionTreeClassifier(max_depth=1).fit(X, y)) == (2, "leaves")
    linear = LogisticRegression().fit(X.assign(zero=0), y)
    assert model_size(linear) == (2, "coefficients")
    assert model_size(object()) == (None, "")


def test_reachable_from_the_package():
    X, y = small_problem(40)
    assert glassbox.compare is compare
    result = glassbox.compare(X[["age"]], y, models={"cart": DecisionTreeClassifier()}, cv=2)
    assert isinstance(result, CompareResult)


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "glassbox", "compare", *map(str, args)],
                          capture_output=True, text=True, timeout=300, cwd=cwd)


def test_cli_compare_and_report(tmp_path):
    X, y = small_problem()
    X.assign(label=y).to_csv(tmp_path / "data.csv", index=False)
    run = _cli("data.csv", "--target", "label", "--cv", "2", "--models", "black_box",
               "--n-jobs", "1", "--report", "out.html", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "gradient boosting" in run.stdout and "Verdict:" in run.stdout
    assert "report written to out.html" in run.stdout
    assert "[compare]" in run.stderr  # progress lines
    assert (tmp_path / "out.html").read_text().count("<table") >= 1


@pytest.mark.parametrize("args, message", [
    (["missing.csv", "--target", "label"], "no such file: missing.csv"),
    (["data.csv"], "name the label column with --target"),
    (["data.csv", "--target", "nope"], "--target 'nope' is not a column"),
    (["data.csv", "--target", "label", "--cv", "1"], "cv must be an integer >= 2"),
    (["data.csv", "--target", "label", "--models", "Nope"], "unknown model 'Nope'"),
    (["data.csv", "--target", "label", "--report", "no/such/dir/r.html", "--models",
      "black_box", "--cv", "2"], "cannot write the report to no/such/dir/r.html"),
])
def test_cli_errors_are_one_line(tmp_path, monkeypatch, capsys, args, message):
    from glassbox.cli import main

    X, y = small_problem(30)
    X.assign(label=y).to_csv(tmp_path / "data.csv", index=False)
    monkeypatch.chdir(tmp_path)
    assert main(["compare", *args, "--quiet", "--n-jobs", "1"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("glassbox: error: ") and message in lines[0]
