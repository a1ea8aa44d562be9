"""The contract every registered estimator keeps.

Driven by the registry (``glassbox._ESTIMATORS`` / ``glassbox.all_estimators``):
an estimator added there is tested here without editing this file. Each one
runs scikit-learn's estimator checks on its ``_test_instance()`` (small
budgets), minus its documented ``_expected_failed_checks``, then the glassbox
contract on a small pandas table: rendering, explanation, JSON round trips in
this process and in another one.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

import glassbox
from glassbox._base import Explanation, GlassboxClassifier
from glassbox._deps import extra_available

HEAVY_MODULES = ("torch", "pyscipopt", "cvxpy", "matplotlib", "numba")


def _module_landed(module: str) -> bool:
    """Whether ``module`` is a real module yet (not a missing or still-empty package)."""
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError:
        return False
    return spec is not None and spec.origin is not None


def _registered_estimators():
    """(name, class or None, why missing) for every registry entry whose extra is installed.

    An entry whose module has not been written yet is reported with the reason
    (its tests skip); a module that exists but fails to import is an error
    that the ``test_estimator_imports`` test shows.
    """
    found = []
    for name, (module, extra) in sorted(glassbox._ESTIMATORS.items()):
        if extra is not None and not extra_available(extra):
            continue
        if not _module_landed(module):
            found.append((name, None, f"{module} has not landed yet"))
            continue
        try:
            found.append((name, getattr(importlib.import_module(module), name), None))
        except Exception as exc:  # shown by test_estimator_imports
            found.append((name, None, f"importing {name} from {module} failed: {exc!r}"))
    return found


REGISTERED = _registered_estimators()
AVAILABLE = [(name, cls) for name, cls, _ in REGISTERED if cls is not None]
NAMES = [name for name, _, _ in REGISTERED]


@pytest.mark.parametrize("name", NAMES)
def test_estimator_imports(name):
    _, cls, why = next(entry for entry in REGISTERED if entry[0] == name)
    if why and why.endswith("has not landed yet"):
        pytest.skip(why)
    assert cls is not None, why
    assert issubclass(cls, GlassboxClassifier) and cls.__name__ == name


def test_estimator_modules_do_not_import_heavy_dependencies():
    """Importing a learner's package (not fitting it) pulls no torch/SCIP/cvxpy/matplotlib/numba."""
    modules = sorted({m for m in [*(m for m, _ in glassbox._ESTIMATORS.values()),
                                  *glassbox._LAZY.values()] if _module_landed(m)})
    code = textwrap.dedent(f"""
        import importlib, sys
        heavy = {HEAVY_MODULES!r}
        for module in {modules!r}:
            before = {{h for h in heavy if h in sys.modules}}
            try:
                importlib.import_module(module)
            except Exception as exc:
                print(module, "import-error", type(exc).__name__)
                continue
            new = sorted({{h for h in heavy if h in sys.modules}} - before)
            if new:
                print(module, "imports", ",".join(new))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    offenders = [line for line in out.splitlines() if " imports " in line]
    assert not offenders, "modules import heavy dependencies at import time:\n" + "\n".join(
        offenders)


# ---------------------------------------------------------------------------
# scikit-learn's estimator checks
# ---------------------------------------------------------------------------

@parametrize_with_checks([cls._test_instance() for _, cls in AVAILABLE],
                         expected_failed_checks=lambda est: type(est)._expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)


# ---------------------------------------------------------------------------
# The glassbox contract on a small table
# ---------------------------------------------------------------------------

FEATURES = ["age", "priors_count", "income", "is_married"]


def contract_data(n_samples: int = 120, seed: int = 0):
    """A small tabular binary problem with meaningful column names and a clear signal."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 70, n_samples)
    priors = rng.integers(0, 10, n_samples)
    X = pd.DataFrame({
        "age": age,
        "priors_count": priors,
        "income": np.round(rng.normal(40.0, 12.0, n_samples), 1),
        "is_married": rng.integers(0, 2, n_samples),
    })
    label = (priors > 3) | (age < 25)
    flip = rng.random(n_samples) < 0.05
    y = np.where(label ^ flip, "yes", "no")
    return X, y


@pytest.fixture(scope="module")
def data():
    return contract_data()


@pytest.fixture(scope="module")
def fitted(data):
    """Every available estimator's _test_instance fitted once on the contract data."""
    X, y = data
    models, errors = {}, {}
    for name, cls in AVAILABLE:
        try:
            models[name] = cls._test_instance().fit(X, y)
        except Exception as exc:  # reported by the test of that estimator
            errors[name] = exc
    return models, errors


def _model(fitted, name):
    models, errors = fitted
    if name in errors:
        raise errors[name]
    return models[name]


AVAILABLE_NAMES = [name for name, _ in AVAILABLE]


@pytest.mark.parametrize("name", AVAILABLE_NAMES)
def test_fit_and_render(fitted, data, name):
    X, y = data
    model = _model(fitted, name)
    assert model.predict(X).shape == (len(X),)
    assert set(np.unique(model.predict(X))) <= {"yes", "no"}
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert model.score(X, y) > 0.6, "the contract data has a strong signal"
    text = str(model)
    assert text == model.to_text() and text.strip()
    assert any(re.search(rf"\b{re.escape(f)}\b", text) for f in FEATURES), (
        f"str(model) names no input column:\n{text}")
    frame = model.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame.columns) > 0
    html = model._repr_html_()
    assert isinstance(html, str) and "<table" in html


@pytest.mark.parametrize("name", AVAILABLE_NAMES)
def test_explain(fitted, data, name):
    X, _ = data
    model = _model(fitted, name)
    explanation = model.explain(X.iloc[:5])
    assert isinstance(explanation, Explanation) and len(explanation) == 5
    frame = explanation.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) == 5
    assert all(isinstance(t, str) and t for t in explanation.texts)


@pytest.mark.parametrize("name", AVAILABLE_NAMES)
def test_fitted_attributes_end_with_underscore(fitted, name):
    model = _model(fitted, name)
    assert model._fitted_attributes, "declare _fitted_attributes"
    for attr in model._fitted_attributes:
        assert attr.endswith("_") and hasattr(model, attr), attr
    params = set(model.get_params(deep=False))
    public = [a for a in vars(model) if not a.startswith("_") and a not in params]
    assert all(a.endswith("_") for a in public), f"fitted attributes without '_': {public}"


@pytest.mark.parametrize("name", AVAILABLE_NAMES)
def test_feature_name_mismatch_raises(fitted, data, name):
    X, _ = data
    model = _model(fitted, name)
    with pytest.raises(ValueError, match="feature names"):
        model.predict(X.rename(columns={"age": "years"}))


@pytest.mark.parametrize("name", AVAILABLE_NAMES)
def test_json_round_trip(fitted, data, name):
    X, _ = data
    model = _model(fitted, name)
    data_ = json.loads(json.dumps(model.to_dict()))
    clone = glassbox.from_dict(data_)
    assert type(clone) is type(model)
    np.testing.assert_array_equal(clone.predict(X), model.predict(X))
    np.testing.assert_allclose(clone.predict_proba(X), model.predict_proba(X), rtol=0,
                               atol=1e-12)
    assert clone.to_text() == model.to_text()


def test_json_round_trip_in_another_process(fitted, data, tmp_path):
    """A model saved with to_json predicts identically in a fresh interpreter."""
    models, errors = fitted
    if not models:
        pytest.skip("no estimator has landed yet" if not errors else f"fits failed: {errors}")
    X, _ = data
    X.to_pickle(tmp_path / "X.pkl")
    for name, model in models.items():
        model.to_json(tmp_path / f"{name}.json")
    code = textwrap.dedent(f"""
        import sys, numpy as np, pandas as pd
        from pathlib import Path
        from glassbox._base import load
        folder = Path({str(tmp_path)!r})
        X = pd.read_pickle(folder / "X.pkl")
        for name in {sorted(models)!r}:
            model = load(folder / f"{{name}}.json")
            np.save(folder / f"{{name}}.labels.npy", model.predict(X).astype(str))
            np.save(folder / f"{{name}}.proba.npy", model.predict_proba(X))
    """)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    for name, model in models.items():
        np.testing.assert_array_equal(np.load(tmp_path / f"{name}.labels.npy"),
                                      model.predict(X).astype(str), err_msg=name)
        np.testing.assert_allclose(np.load(tmp_path / f"{name}.proba.npy"),
                                   model.predict_proba(X), rtol=0, atol=1e-12, err_msg=name)


# ---------------------------------------------------------------------------
# The Binarizer is stored and rebuilt like the models
# ---------------------------------------------------------------------------

def test_binarizer_round_trip(data):
    features = pytest.importorskip("glassbox.features")
    X, y = data
    X = X.assign(city=np.where(X["age"] % 3 == 0, "Paris", "Lyon"))
    binarizer = features.Binarizer(n_thresholds=4).fit(X)
    clone = glassbox.from_dict(json.loads(json.dumps(binarizer.to_dict())))
    assert type(clone) is features.Binarizer
    np.testing.assert_array_equal(clone.transform(X), binarizer.transform(X))
    assert list(clone.get_feature_names_out()) == list(binarizer.get_feature_names_out())
    assert [c.name for c in clone.conditions_] == [c.name for c in binarizer.conditions_]
    assert any(c.name == "city == Paris" or c.name == "city == Lyon" for c in clone.conditions_)
