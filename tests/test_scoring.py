"""RiskScoreClassifier and enumerate_score_cards: exact optima against brute force."""

import itertools
import json
import sys
import time

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pyscipopt")

import glassbox  # noqa: E402
from glassbox._base import load  # noqa: E402
from glassbox.scoring import RiskScoreClassifier, enumerate_score_cards  # noqa: E402


def _tiny_problem(seed, n_samples=60, n_features=3, integer=False):
    rng = np.random.default_rng(seed)
    if integer:
        X = rng.integers(0, 4, size=(n_samples, n_features))
    else:
        X = rng.integers(0, 2, size=(n_samples, n_features))
    w = rng.normal(0, 1.5, n_features)
    y = (X @ w - X.mean(0) @ w + rng.logistic(size=n_samples) > 0).astype(int)
    return pd.DataFrame(X, columns=[f"f{j}" for j in range(n_features)]), y


def _brute_force(X, y, bounds, intercept_bounds, max_features, c0, groups=()):
    """Objective of every integer card, computed from scratch (independent of the package)."""
    X = np.asarray(X, dtype=float)
    signs = np.where(y == 1, 1.0, -1.0)
    cards = []
    ranges = [range(lo, hi + 1) for lo, hi in bounds]
    for coef in itertools.product(*ranges):
        coef = np.array(coef)
        used = coef != 0
        if used.sum() > max_features or any(used[list(g)].sum() > k for g, k in groups):
            continue
        for b in range(intercept_bounds[0], intercept_bounds[1] + 1):
            loss = np.mean(np.log1p(np.exp(-signs * (X @ coef + b))))
            cards.append((loss + c0 * used.sum(), b, tuple(coef)))
    return sorted(cards)


@pytest.mark.parametrize("seed, integer", [(0, False), (1, False), (2, True)])
def test_optimum_matches_brute_force(seed, integer):
    X, y = _tiny_problem(seed, integer=integer)
    c0 = 0.01
    model = RiskScoreClassifier(max_features=2, coef_bounds=(-2, 2), intercept_bounds=(-4, 4),
                                c0=c0, time_limit=30, random_state=0).fit(X, y)
    cards = _brute_force(X, y, [(-2, 2)] * 3, (-4, 4), 2, c0)
    best = cards[0][0]
    assert model.certificate_.status == "optimal"
    assert model.certificate_.objective == pytest.approx(best, abs=1e-7)
    mine = np.mean(np.log1p(np.exp(-np.where(y == 1, 1, -1) * model.decision_function(X))))
    assert mine + c0 * np.count_nonzero(model.coef_) == pytest.approx(best, abs=1e-7)
    assert np.count_nonzero(model.coef_) <= 2
    assert model.coef_.dtype.kind == "i" and isinstance(model.intercept_, int)


def test_per_feature_bounds_and_constraints_hold():
    X, y = _tiny_problem(3, n_features=3)
    bounds = {"f0": (0, 2), "*": (-1, 1)}
    groups = [("at_most_one", ["f0", "f1"])]
    model = RiskScoreClassifier(max_features=3, coef_bounds=bounds, intercept_bounds=(-3, 3),
                                c0=0.001, constraints=groups, time_limit=30).fit(X, y)
    cards = _brute_force(X, y, [(0, 2), (-1, 1), (-1, 1)], (-3, 3), 3, 0.001,
                         groups=[((0, 1), 1)])
    assert model.certificate_.objective == pytest.approx(cards[0][0], abs=1e-7)
    assert 0 <= model.coef_[0] <= 2 and abs(model.coef_[1:]).max() <= 1
    assert np.count_nonzero(model.coef_[:2]) <= 1


def test_constraints_hold_in_heuristic_models_under_a_tiny_time_limit():
    rng = np.random.default_rng(5)
    X = pd.DataFrame(rng.integers(0, 2, size=(400, 8)), columns=list("abcdefgh"))
    y = (X["a"] + X["b"] + X["c"] + rng.random(400) > 1.5).astype(int)
    model = RiskScoreClassifier(max_features=3, constraints=[("at_most", ["a", "b", "c"], 1)],
                                time_limit=0.05).fit(X, y)
    assert np.count_nonzero(model.coef_[:3]) <= 1
    assert np.count_nonzero(model.coef_) <= 3


def test_time_limit_is_honoured_with_a_valid_bound():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 6, size=(3000, 14)).astype(float)
    y = (X @ rng.normal(size=14) + rng.logistic(size=3000) * 3 > 0).astype(int)
    start = time.perf_counter()
    model = RiskScoreClassifier(max_features=6, time_limit=1.0).fit(X, y)
    elapsed = time.perf_counter() - start
    cert = model.certificate_
    assert cert.status == "time_limit"
    assert 0.0 <= cert.lower_bound <= cert.objective and 0 < cert.gap < np.inf
    # the limit covers warm start and SCIP; the slack is for the convex warm start's model
    # building (not interruptible) on a CPU shared with other jobs
    assert elapsed < 1.0 + 8.0
    assert np.count_nonzero(model.coef_) <= 6


def test_missing_pyscipopt_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyscipopt", None)  # makes `import pyscipopt` fail
    X, y = _tiny_problem(0)
    with pytest.raises(ImportError, match=r'glassbox\[scip\]'):
        RiskScoreClassifier(time_limit=1).fit(X, y)


def test_round_trip_render_and_explain(tmp_path):
    X, y = _tiny_problem(2, integer=True)
    model = RiskScoreClassifier(max_features=2, coef_bounds=(-3, 3), time_limit=20).fit(X, y)
    back = glassbox.from_dict(json.loads(json.dumps(model.to_dict())))
    np.testing.assert_array_equal(back.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(back.coef_, model.coef_)
    assert str(back.certificate_) == str(model.certificate_)
    model.to_json(tmp_path / "card.json")
    np.testing.assert_array_equal(load(tmp_path / "card.json").predict(X), model.predict(X))

    text = str(model)
    assert "Risk score card" in text and "score = " in text and "risk:" in text
    assert "used as integers" in text
    for name, points in zip(X.columns, model.coef_):
        assert (name in model.to_frame()["feature"].tolist()) == (points != 0)

    explanation = model.explain(X.iloc[:10])
    scores = model.decision_function(X.iloc[:10])
    points = explanation.to_frame(detailed=True).groupby("row")["points"].sum()
    np.testing.assert_allclose(points.to_numpy(), scores)
    np.testing.assert_allclose(explanation.to_frame()["risk"], 1 / (1 + np.exp(-scores)))
    np.testing.assert_allclose(model.predict_proba(X.iloc[:10])[:, 1], 1 / (1 + np.exp(-scores)))


def test_enumeration_matches_brute_force():
    X, y = _tiny_problem(4, n_samples=40, n_features=2)
    estimator = RiskScoreClassifier(max_features=2, coef_bounds=(-2, 2), intercept_bounds=(-3, 3),
                                    c0=0.01, time_limit=30)
    cards = _brute_force(X, y, [(-2, 2)] * 2, (-3, 3), 2, 0.01)
    bound = cards[0][0] * 1.15
    expected = [(obj, b, coef) for obj, b, coef in cards if obj <= bound]
    found = enumerate_score_cards(estimator, X, y, objective_bound=bound)
    assert len(found) == len(expected) > 3
    got = sorted((card.intercept_, tuple(card.coef_)) for _, card in found)
    assert got == sorted((b, coef) for _, b, coef in expected)
    objectives = [obj for obj, _ in found]
    assert objectives == sorted(objectives)
    np.testing.assert_allclose(objectives, [obj for obj, _, _ in expected], atol=1e-9)


def test_enumeration_respects_constraints_and_cap():
    X, y = _tiny_problem(6, n_samples=50, n_features=3)
    estimator = RiskScoreClassifier(max_features=2, coef_bounds=(-1, 1), intercept_bounds=(-2, 2),
                                    c0=0.0, constraints=[("at_most_one", ["f0", "f2"])],
                                    time_limit=30)
    found = enumerate_score_cards(estimator, X, y, objective_bound=10.0)
    assert found and all(np.count_nonzero(card.coef_[[0, 2]]) <= 1 for _, card in found)
    total = len(_brute_force(X, y, [(-1, 1)] * 3, (-2, 2), 2, 0.0, groups=[((0, 2), 1)]))
    assert len(found) == total
    with pytest.warns(UserWarning, match="stopped early"):
        capped = enumerate_score_cards(estimator, X, y, objective_bound=10.0, max_models=5)
    assert len(capped) == 5


def test_constant_columns_are_dropped_with_a_warning():
    X, y = _tiny_problem(0)
    X["always"] = 1
    with pytest.warns(UserWarning, match="always"):
        model = RiskScoreClassifier(max_features=2, coef_bounds=(-2, 2), time_limit=20).fit(X, y)
    assert model.coef_[-1] == 0 and model.dropped_ == ["always"]
    assert "dropped constant always" in str(model)


@pytest.mark.parametrize("params, message", [
    ({"coef_bounds": (1, 5)}, "must contain 0"),
    ({"coef_bounds": (3, -3)}, "low <= high"),
    ({"coef_bounds": {"nope": (0, 1)}}, "unknown feature"),
    ({"constraints": [("at_most_one", ["f0", "zz"])]}, "unknown feature"),
    ({"constraints": [("exactly", ["f0"])]}, "at_most_one"),
    ({"max_features": 0}, "max_features"),
])
def test_bad_parameters_are_reported(params, message):
    X, y = _tiny_problem(0)
    with pytest.raises(ValueError, match=message):
        RiskScoreClassifier(time_limit=5, **params).fit(X, y)


def test_text_columns_need_binarize():
    X, y = _tiny_problem(0)
    X["colour"] = np.where(y == 1, "red", "blue")
    with pytest.raises(ValueError, match="colour.*numeric='binarize'"):
        RiskScoreClassifier(time_limit=5).fit(X, y)


def test_breastcancer_certified_optimum(data_home):
    frame = pd.read_csv(data_home / "riskslim" / "breastcancer_data.csv")
    X, y = frame.iloc[:, 1:], frame.iloc[:, 0]
    model = RiskScoreClassifier(time_limit=60).fit(X, y)
    assert model.certificate_.status == "optimal"
    assert model.certificate_.objective == pytest.approx(0.1133646, abs=5e-7)
    assert model.intercept_ == -17 and sorted(model.coef_[model.coef_ != 0]) == [1] * 5


def test_ctrl_c_returns_the_best_card_so_far():
    import os
    import signal
    import threading

    rng = np.random.default_rng(1)
    X = rng.integers(0, 6, size=(3000, 14)).astype(float)
    y = (X @ rng.normal(size=14) + rng.logistic(size=3000) * 3 > 0).astype(int)
    timer = threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    start = time.perf_counter()
    try:
        model = RiskScoreClassifier(max_features=6, time_limit=60).fit(X, y)
    finally:
        timer.cancel()
    assert time.perf_counter() - start < 30
    assert model.certificate_.status == "interrupted"
    assert model.certificate_.lower_bound <= model.certificate_.objective
    assert np.count_nonzero(model.coef_) <= 6


def test_binarized_columns_become_named_conditions():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"age": rng.integers(20, 80, 300), "sex": rng.choice(["M", "F"], 300)})
    y = (((X["age"] > 50) & (X["sex"] == "M")) | (rng.random(300) < 0.2)).astype(int)
    model = RiskScoreClassifier(numeric="binarize", max_features=2, coef_bounds=(-3, 3),
                                time_limit=20).fit(X, y)
    used = [item for item, points in zip(model.items_, model.coef_) if points]
    assert used and all(item["condition"] is not None for item in used)
    assert "binarized" in str(model)
    truth = np.column_stack([item["condition"].evaluate(X) for item in used]).astype(int)
    expected = model.intercept_ + truth @ model.coef_[model.coef_ != 0]
    np.testing.assert_array_equal(model.decision_function(X), expected)
    back = glassbox.from_dict(model.to_dict())
    np.testing.assert_array_equal(back.predict(X), model.predict(X))


@pytest.mark.parametrize("seed, integer, c0", [(8, True, 0.02), (7, False, 0.3)])
def test_loss_bounds_and_chained_l0_bound_keep_every_card(seed, integer, c0):
    """RiskSLIM's loss range and the chained L0 bound never cut off a brute-forced card."""
    from glassbox.scoring._problem import ScoreProblem
    from glassbox.scoring._scip import _chained_l0_bound

    X, y = _tiny_problem(seed, n_samples=50, integer=integer)
    # narrow boxes make the smallest possible loss clearly positive, so the bound is tested
    problem = ScoreProblem(X.to_numpy(), y, [-1, -1, -1, -1], [1, 1, 1, 1], c0, 2)
    cards = _brute_force(X, y, [(-1, 1)] * 3, (-1, 1), 2, c0)
    losses = [obj - c0 * np.count_nonzero(coef) for obj, _, coef in cards]
    loss_min, loss_max = problem.loss_bounds()
    assert 0.0 < loss_min <= min(losses) + 1e-12
    assert loss_max >= max(losses) - 1e-12
    for objective_upper in (cards[0][0], cards[len(cards) // 2][0]):
        l0 = _chained_l0_bound(problem, objective_upper)
        kept = [coef for obj, _, coef in cards if obj <= objective_upper + 1e-12]
        assert max(np.count_nonzero(coef) for coef in kept) <= l0
    if c0 >= 0.3:  # a high price per feature: the chained bound is tighter than max_features
        assert _chained_l0_bound(problem, cards[0][0]) < problem.max_features


# -- the feature-set decomposition ------------------------------------------------------

def _binary_problem(seed, n_samples=80, n_features=5):
    return _tiny_problem(seed, n_samples=n_samples, n_features=n_features)


@pytest.mark.parametrize("seed, size", [(0, 3), (1, 2), (2, 1)])
def test_feature_set_bounds_equal_each_sets_continuous_optimum(seed, size):
    """The kernel's bound for every set equals an independent box-constrained fit."""
    from glassbox.scoring import _support

    X, y = _binary_problem(seed)
    model = RiskScoreClassifier(max_features=size, coef_bounds=(-2, 3), intercept_bounds=(-4, 4))
    problem, _ = model._setup(X, y)
    bounds = _support.bound_supports(problem, np.inf)
    assert bounds.complete and bounds.n_supports == len(bounds.survivors)
    assert bounds.n_supports == len(list(itertools.combinations(range(5), size)))
    for bound, support in bounds.survivors:
        lam = problem.fit_support((0, *[j + 1 for j in support]))
        assert bound == pytest.approx(problem.loss(lam), abs=1e-7)
        assert bound <= problem.loss(lam) + 1e-9  # a bound, never above the minimum
    assert [s for _, s in sorted(bounds.survivors, key=lambda b: b[1])] == list(
        itertools.combinations(range(5), size))


@pytest.mark.parametrize("seed, c0, groups, coef_bounds", [
    (3, 0.01, None, (-2, 2)),
    (4, 0.3, None, (-2, 2)),  # features priced out: the optimum uses fewer than k
    (5, 0.001, [("at_most_one", ["f0", "f1"])], {"f2": (0, 2), "*": (-2, 2)}),
])
def test_decomposition_matches_brute_force(seed, c0, groups, coef_bounds):
    X, y = _binary_problem(seed, n_features=4)
    model = RiskScoreClassifier(max_features=2, coef_bounds=coef_bounds, intercept_bounds=(-3, 3),
                                c0=c0, constraints=groups, decomposition="always",
                                time_limit=60, random_state=0).fit(X, y)
    box = [(0, 2) if isinstance(coef_bounds, dict) and j == 2 else (-2, 2) for j in range(4)]
    cards = _brute_force(X, y, box, (-3, 3), 2, c0,
                         groups=[((0, 1), 1)] if groups else ())
    assert model.certificate_.status == "optimal"
    assert model.certificate_.objective == pytest.approx(cards[0][0], abs=1e-7)
    assert model.certificate_.lower_bound == model.certificate_.objective
    assert model.decomposition_["feature_sets"] == 6 and model.decomposition_["complete"]
    if groups:
        assert np.count_nonzero(model.coef_[:2]) <= 1


def test_decomposition_applies_only_to_binary_items():
    from glassbox.scoring import _support

    X, y = _tiny_problem(2, integer=True)
    problem, _ = RiskScoreClassifier(max_features=2)._setup(X, y)
    assert not _support.applicable(problem)
    with pytest.warns(UserWarning, match="not every item is binary"):
        model = RiskScoreClassifier(max_features=2, coef_bounds=(-2, 2),
                                    intercept_bounds=(-4, 4), c0=0.01, decomposition="always",
                                    time_limit=30).fit(X, y)
    # integer items: SCIP alone (said, not silent), still certified against brute force
    assert model.decomposition_ is None
    cards = _brute_force(X, y, [(-2, 2)] * 3, (-4, 4), 2, 0.01)
    assert model.certificate_.status == "optimal"
    assert model.certificate_.objective == pytest.approx(cards[0][0], abs=1e-7)


def test_decomposition_always_says_when_numba_is_missing(monkeypatch):
    from glassbox.scoring import _model

    X, y = _binary_problem(3, n_features=4)
    monkeypatch.setattr(_model, "module_available", lambda name: name != "numba")
    monkeypatch.setattr("glassbox.scoring._support.n_supports", lambda problem: 201)
    with pytest.warns(UserWarning, match="needs numba"):
        model = RiskScoreClassifier(max_features=2, coef_bounds=(-2, 2),
                                    intercept_bounds=(-3, 3), c0=0.01, decomposition="always",
                                    time_limit=30, random_state=0).fit(X, y)
    assert model.decomposition_ is None and model.certificate_.status == "optimal"


def test_decomposition_out_of_time_keeps_a_valid_bound():
    from glassbox.scoring import _support

    X, y = _binary_problem(6)
    problem, _ = RiskScoreClassifier(max_features=2)._setup(X, y)
    lam = np.zeros(problem.n_coefs, dtype=np.int64)
    bounds = _support.bound_supports(problem, problem.objective(lam), deadline=0.0)
    assert not bounds.complete and bounds.lower_bound == -np.inf
    import pyscipopt

    result, _ = _support.solve_by_supports(pyscipopt, problem, lam, time_limit=1e-9)
    assert result.status == "time_limit"
    assert result.lower_bound <= result.objective == problem.objective(lam)


def test_adult_subset_is_certified_by_the_decomposition(data_home):
    frame = pd.read_csv(data_home / "riskslim" / "adult_data.csv").sample(4000, random_state=0)
    X, y = frame.iloc[:, 1:], frame.iloc[:, 0]
    model = RiskScoreClassifier(max_features=3, decomposition="always", time_limit=120,
                                random_state=0).fit(X, y)
    assert model.certificate_.status == "optimal"
    assert model.certificate_.gap == 0.0
    assert model.decomposition_["feature_sets"] == 7140  # C(36, 3)
    assert np.count_nonzero(model.coef_) <= 3
    restored = glassbox.from_dict(json.loads(json.dumps(model.to_dict())))
    assert restored.decomposition_ == model.decomposition_


def test_feature_set_bounds_are_the_same_in_chunks_and_threads(monkeypatch):
    from glassbox.scoring import _support

    X, y = _binary_problem(7, n_features=7)
    problem, _ = RiskScoreClassifier(max_features=4)._setup(X, y)
    whole = _support.bound_supports(problem, 0.6)
    monkeypatch.setattr(_support, "SUPPORTS_PER_CALL", 4)
    chunked = _support.bound_supports(problem, 0.6, n_jobs=2)
    assert whole.n_supports == chunked.n_supports == 35  # C(7, 4)
    assert whole.survivors == chunked.survivors
    assert all(bound < 0.6 for bound, _ in whole.survivors)
