"""Distillation, local surrogates and counterfactuals (glassbox.distill)."""

import itertools
import json
import math
import pickle
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.tree import DecisionTreeClassifier

import glassbox
from glassbox.distill import Distiller, LocalSurrogate, counterfactual, wilson_interval
from glassbox.distill._sampler import ColumnCoder, RegionSampler, inside_float32, leaf_boxes

# ---------------------------------------------------------------------------
# Fidelity statistics
# ---------------------------------------------------------------------------

def test_wilson_interval_matches_formula_and_edges():
    low, high = wilson_interval(95, 100)
    z = 1.959963984540054
    p, n = 0.95, 100
    center = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert low == pytest.approx(center - half) and high == pytest.approx(center + half)
    assert wilson_interval(10, 10)[1] == 1.0 and wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(0, 10)[1] > 0.0  # never a zero-width interval from a small sample
    assert all(math.isnan(v) for v in wilson_interval(0, 0))
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(11, 10)


# ---------------------------------------------------------------------------
# Query synthesis
# ---------------------------------------------------------------------------

def _mixed_frame(n=300, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "height": rng.normal(170, 10, n),
        "children": rng.integers(0, 6, n),
        "city": rng.choice(["Oslo", "Rome", "Lima"], n, p=[0.5, 0.3, 0.2]),
        "smoker": rng.integers(0, 2, n),
    })


@pytest.mark.parametrize("method", ["kde", "mix"])
def test_queries_stay_in_their_leaf_and_respect_column_types(method):
    frame = _mixed_frame()
    coder = ColumnCoder().fit(frame)
    assert list(coder.kinds_) == ["continuous", "integer", "categorical", "categorical"]
    Z = coder.encode(frame)
    assert coder.decode(Z).equals(frame)
    labels = (frame["height"] > 172) ^ (frame["city"] == "Rome")
    tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(Z, labels)
    leaves, lo, hi = leaf_boxes(tree.tree_)
    lo, hi = inside_float32(lo, hi)
    sampler = RegionSampler(coder.kinds_, method=method, rng=np.random.default_rng(1)).fit(Z)
    where = tree.apply(Z.astype(np.float32))
    for k, leaf in enumerate(leaves):
        rows = Z[where == leaf]
        queries = sampler.sample(rows, 200, lo[k], hi[k])
        assert len(queries) == 200
        assert np.all(tree.apply(queries.astype(np.float32)) == leaf)  # inside the region
        assert np.all(queries[:, 1] == np.round(queries[:, 1]))  # integers stay integers
        for j in (2, 3):  # categorical values come from the leaf's own rows
            assert set(np.unique(queries[:, j])) <= set(np.unique(rows[:, j]))
        decoded = coder.decode(queries)
        assert set(decoded["city"]) <= {"Oslo", "Rome", "Lima"}


def test_mixed_queries_lie_between_real_rows_and_auto_picks_them_for_whole_numbers():
    rng = np.random.default_rng(0)
    Z = rng.integers(0, 17, size=(200, 6)).astype(float)
    kinds = ColumnCoder().fit(pd.DataFrame(Z)).kinds_
    queries = RegionSampler(kinds, method="mix", rng=rng).fit(Z).sample(Z[:2], 300)
    # Each query is a point of the segment between the two anchors, rounded to the grid.
    segment = Z[0] + np.linspace(0, 1, 2001)[:, None] * (Z[1] - Z[0])
    gap = np.abs(queries[:, None, :] - segment[None]).max(axis=2).min(axis=1)
    assert np.all(gap <= 0.5 + 1e-3) and np.all(queries == np.round(queries))
    assert len(np.unique(queries, axis=0)) > 5
    teacher = LogisticRegression().fit(Z, Z[:, 0] > 8)
    d = Distiller(teacher, n_queries=0).fit(Z)
    assert d._sampling_method() == "mix"
    continuous = Distiller(teacher, n_queries=0).fit(Z + rng.random(Z.shape) * 0.1)
    assert continuous._sampling_method() == "kde"


# ---------------------------------------------------------------------------
# Distiller
# ---------------------------------------------------------------------------

def test_distiller_on_mixed_columns_names_levels_and_round_trips():
    frame = _mixed_frame()

    def teacher(X):  # labels only: no probabilities, so no boundary fidelity
        return ((X["height"] > 172) ^ (X["city"] == "Rome")).astype(int).to_numpy()

    d = Distiller(teacher, n_queries=500, random_state=0).fit(frame)
    assert d.fidelity_ > 0.9 and math.isnan(d.boundary_fidelity_)
    assert "city == Rome" in str(d) or "city != Rome" in str(d)
    again = glassbox.from_dict(json.loads(json.dumps(d.to_dict())))
    assert np.array_equal(again.predict(frame), d.predict(frame))
    with pytest.raises(TypeError, match="categorical"):
        counterfactual(d, frame.iloc[0], X_reference=frame)


def _circle(X):
    """A teacher with a curved boundary that a shallow tree must approximate."""
    X = np.asarray(X, dtype=float)
    return ((X[:, 0] ** 2 + X[:, 1] ** 2) < 1.2).astype(int)


def test_distiller_beats_plain_cart_on_a_curved_boundary():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 2))
    X_test = rng.normal(size=(4000, 2))
    wins = []
    for seed in range(3):
        cart = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, _circle(X))
        d = Distiller(_circle, max_depth=4, n_queries=3000, random_state=seed).fit(X)
        ours = np.mean(d.predict(X_test) == _circle(X_test))
        base = np.mean(cart.predict(X_test) == _circle(X_test))
        wins.append(ours - base)
    assert np.mean(wins) > 0.01, wins


def test_lookahead_tree_is_a_plain_sklearn_tree_never_worse_than_greedy_cart():
    from glassbox.distill._lookahead import lookahead_tree
    from glassbox.distill._trees import tree_from_state, tree_to_state

    rng = np.random.default_rng(0)
    gains = []
    for _ in range(3):
        X = rng.uniform(0, 1, size=(400, 4))
        # A checkerboard with a decoy: the greedy root split is not the one that pays.
        y = (((X[:, 0] > 0.5) ^ (X[:, 1] > 0.5)) | (X[:, 2] > 0.95)).astype(int)
        cart = DecisionTreeClassifier(max_depth=3, criterion="entropy", random_state=0).fit(X, y)
        tree = lookahead_tree(X, y, 2, max_depth=3, random_state=0)
        assert isinstance(tree, DecisionTreeClassifier) and tree.get_depth() <= 3
        ours, greedy = np.mean(tree.predict(X) == y), np.mean(cart.predict(X) == y)
        # Greedy CART's own splits are among the candidates, so lookahead cannot do worse.
        assert ours >= greedy
        gains.append(ours - greedy)
        # The assembled node arrays survive the JSON round trip and agree with apply().
        again = tree_from_state(json.loads(json.dumps(tree_to_state(tree))))
        assert np.array_equal(again.predict(X), tree.predict(X))
        proba = tree.predict_proba(X)
        assert np.allclose(proba.sum(axis=1), 1.0)
    assert max(gains) > 0.1, gains


def test_distiller_attributes_delegation_and_round_trip(tmp_path):
    X, y = make_classification(400, 6, random_state=0)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    forest = RandomForestClassifier(30, random_state=0).fit(frame, y)
    d = Distiller(forest, n_queries=800, random_state=0).fit(frame)
    assert 0.7 < d.fidelity_ <= 1.0
    low, high = d.fidelity_interval_
    assert low <= d.fidelity_ <= high
    assert 0.0 <= d.boundary_fidelity_ <= 1.0
    assert 0 <= d.n_queries_ <= 800 and d.n_held_out_ == 80
    assert isinstance(d.student_, DecisionTreeClassifier) and d.student_.get_depth() <= 4
    assert np.array_equal(d.predict(frame), d.student_.predict(frame.to_numpy()))
    assert d.predict_proba(frame).shape == (400, 2)
    text = str(d)
    assert "fidelity to RandomForestClassifier" in text and "f" in text
    e = d.explain(frame.iloc[:3])
    assert len(e) == 3 and "because" in e.texts[0]
    assert d.to_frame().shape[0] == d.student_.get_n_leaves()
    data = json.loads(json.dumps(d.to_dict()))
    assert "teacher" in data["unsaved_params"]
    again = glassbox.from_dict(data)
    assert np.array_equal(again.predict(frame), d.predict(frame))
    assert np.allclose(again.predict_proba(frame), d.predict_proba(frame))
    assert str(again) == str(d)
    assert again.fidelity_ == d.fidelity_


def test_distiller_teacher_kinds():
    X, y = make_classification(300, 4, random_state=1)
    # An unfitted estimator plus y: a fitted copy becomes the teacher.
    d = Distiller(LogisticRegression(), n_queries=200, random_state=0).fit(X, y)
    assert hasattr(d.teacher_, "coef_") and d.fidelity_ > 0.8
    # A callable returning probabilities of the positive class.
    lr = LogisticRegression().fit(X, y)
    d = Distiller(lambda A: lr.predict_proba(A)[:, 1], n_queries=200, random_state=0).fit(X)
    assert list(d.classes_) == [0, 1] and d.fidelity_ > 0.8
    # A regression teacher: R^2 fidelity and value predictions.
    reg = LinearRegression().fit(X, X @ np.arange(1, 5))
    d = Distiller(reg, n_queries=200, max_depth=5, random_state=0).fit(X)
    assert d.task_ == "regression" and 0.5 < d.fidelity_ <= 1.0
    assert d.predict(X[:5]).dtype.kind == "f"


def test_distiller_with_a_glassbox_student_round_trips():
    rules = pytest.importorskip("glassbox.rules")
    X, y = make_classification(300, 4, random_state=0)
    frame = pd.DataFrame(X, columns=list("abcd"))
    forest = RandomForestClassifier(20, random_state=0).fit(frame, y)
    student = rules.RuleListClassifier(max_card=1, n_thresholds=4, time_limit=5)
    d = Distiller(forest, student=student, n_queries=300, random_state=0).fit(frame)
    assert isinstance(d.student_, rules.RuleListClassifier) and d.fidelity_ > 0.8
    assert str(d).startswith("Distilled Rule list") and "fidelity to" in str(d)
    assert len(d.explain(frame.iloc[:2])) == 2
    data = json.loads(json.dumps(d.to_dict()))
    assert {"teacher", "student"} <= set(data["unsaved_params"])
    again = glassbox.from_dict(data)
    assert np.array_equal(again.predict(frame), d.predict(frame))
    # The student's own counterfactual search works through the Distiller.
    cf = counterfactual(d, frame.iloc[0], X_reference=frame)
    assert cf.valid and d.predict(pd.DataFrame([cf.values], columns=list("abcd")))[0] == cf.target


def test_distiller_torch_teacher():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    X = np.random.default_rng(0).normal(size=(200, 3))
    d = Distiller(net, n_queries=200, random_state=0).fit(X)
    with torch.no_grad():
        expected = net(torch.tensor(X, dtype=torch.float32)).argmax(1).numpy()
    assert np.mean(d.predict(X) == expected) > 0.8


def test_distiller_bad_input():
    X, y = make_classification(100, 3, n_informative=2, n_redundant=0, random_state=0)
    with pytest.raises(ValueError, match="needs a teacher"):
        Distiller().fit(X)
    with pytest.raises(ValueError, match="not fitted"):
        Distiller(LogisticRegression()).fit(X)
    with pytest.raises(ValueError, match="n_queries"):
        Distiller(LogisticRegression(), n_queries=-1).fit(X, y)
    with pytest.raises(ValueError, match="single class"):
        Distiller(lambda A: np.zeros(len(A), dtype=int)).fit(X)
    d = Distiller(LogisticRegression(), n_queries=50, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="NaN"):
        d.predict(np.full((2, 3), np.nan))


# ---------------------------------------------------------------------------
# LocalSurrogate
# ---------------------------------------------------------------------------

def _linear_logit_teacher():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 6)) * [1, 2, 0.5, 1, 3, 1]
    coef = np.array([2.0, -1.0, 3.0, 0.0, 0.3, -0.7])
    y = (X @ coef + rng.logistic(size=500) > 0).astype(int)
    model = LogisticRegression(C=1e6, max_iter=5000).fit(X, y)
    return X, model


def test_local_surrogate_recovers_a_linear_logit_exactly():
    X, model = _linear_logit_teacher()
    local = LocalSurrogate(model, max_features=6, alpha=0.0, random_state=0).fit(X)
    models = local.local_models(X[:10], target=1)
    assert np.allclose(models.coef, model.coef_[0], rtol=1e-4, atol=1e-6)
    assert np.allclose(models.r2, 1.0, atol=1e-8)
    assert np.allclose(models.logit, model.decision_function(X[:10]))
    # Explaining class 0 flips every slope.
    other = local.local_models(X[:10], target=0)
    assert np.allclose(other.coef, -model.coef_[0], rtol=1e-4, atol=1e-6)


def test_local_surrogate_slopes_of_a_confident_teacher_are_not_clipped_away():
    X, model = _linear_logit_teacher()
    model.coef_ = model.coef_ * 8  # logits of 20-60 on most rows: p within 1e-9 of 0 or 1
    z = model.decision_function(X)
    rows = X[(z < -17) & (z > -60)][:10]
    assert len(rows) >= 5
    # Class 0 is predicted; its logit is -z, whose slopes are -coef_ exactly.
    models = LocalSurrogate(model, max_features=6, alpha=0.0, random_state=0).fit(X) \
        .local_models(rows)
    assert np.all(models.target == 0)
    assert np.allclose(models.coef, -model.coef_[0], rtol=1e-3, atol=1e-4)
    assert np.allclose(models.logit, -model.decision_function(rows), rtol=1e-6)


def test_local_surrogate_sparse_selection_is_stable_across_seeds():
    X, model = _linear_logit_teacher()
    tops = [LocalSurrogate(model, max_features=3, random_state=s).fit(X)
            .local_models(X[:20]).selected for s in range(5)]
    for top in tops:
        assert all(set(row) == set(tops[0][i]) for i, row in enumerate(top))
    standardized = np.abs(model.coef_[0] * X.std(axis=0))
    assert set(tops[0][0]) == set(np.argsort(-standardized)[:3])


def test_local_surrogate_explanation_and_pick():
    X, model = _linear_logit_teacher()
    frame = pd.DataFrame(X, columns=[f"c{j}" for j in range(6)])
    model = LogisticRegression(max_iter=5000).fit(frame, model.predict(X))
    local = LocalSurrogate(model, max_features=2, random_state=0).fit(frame)
    e = local.explain(frame.iloc[:4])
    assert len(e) == 4
    row = e.rows[0]
    assert {"local_r2", "stability", "feature_1", "slope_per_std_2"} <= set(row)
    assert 0 <= row["stability"] <= 1 and row["feature_1"].startswith("c")
    assert "local R^2" in e.texts[0]
    assert e.to_frame(detailed=True).shape[0] == 8
    picked, pe = local.pick(frame.iloc[:30], 3)
    assert len(set(picked.tolist())) == 3 and len(pe) == 3


def test_local_surrogate_bad_input():
    X, model = _linear_logit_teacher()
    with pytest.raises(ValueError, match="needs a teacher"):
        LocalSurrogate().fit(X)
    with pytest.raises(Exception, match="not fitted"):
        LocalSurrogate(model).explain(X[:1])
    local = LocalSurrogate(model).fit(X)
    with pytest.raises(ValueError, match="target must be one of"):
        local.explain(X[:1], target=7)
    with pytest.raises(ValueError, match="features"):
        local.explain(X[:1, :3])


# ---------------------------------------------------------------------------
# Counterfactuals
# ---------------------------------------------------------------------------

def _grid_optimum(predict, x, target, axes, weights):
    grid = np.array(list(itertools.product(*axes)), dtype=float)
    ok = predict(grid) == target
    costs = np.abs(grid[ok] - x) @ weights
    return costs.min()


def test_tree_counterfactual_is_optimal_against_a_grid():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 4, size=(300, 2))
    y = ((X[:, 0] - 2) ** 2 + (X[:, 1] - 2) ** 2 < 1.5).astype(int)
    tree = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, y)
    step = 0.01
    axes = [np.arange(-0.5, 4.5 + step, step)] * 2
    for x in X[:8]:
        prediction = tree.predict(x[None])[0]
        cf = counterfactual(tree, x)
        assert cf.valid and tree.predict(cf.values[None])[0] == cf.target != prediction
        brute = _grid_optimum(tree.predict, x, 1 - prediction, axes, np.ones(2))
        assert cf.cost <= brute + 1e-9 and cf.cost >= brute - 2 * step


def test_tree_counterfactual_integers_mad_and_immutables():
    rng = np.random.default_rng(1)
    X = rng.integers(0, 10, size=(300, 3)).astype(float)
    y = ((X[:, 0] + 2 * X[:, 1] > 12) & (X[:, 2] > 3)).astype(int)
    tree = DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, y)
    axes = [np.arange(0, 10)] * 3
    weights = 1 / np.median(np.abs(X - np.median(X, axis=0)), axis=0)
    for x in X[:6]:
        prediction = tree.predict(x[None])[0]
        cf = counterfactual(tree, x, cost="mad", X_reference=X)
        assert np.all(cf.values == np.round(cf.values))
        brute = _grid_optimum(tree.predict, x, 1 - prediction, axes, weights)
        assert cf.cost == pytest.approx(brute)
        fixed = counterfactual(tree, x, immutable=["x2"], X_reference=X)
        if fixed.valid:
            assert fixed.values[2] == x[2] and "x2" not in fixed.changes
            assert tree.predict(fixed.values[None])[0] == fixed.target
        else:
            grid = np.array([[a, b, x[2]] for a in range(10) for b in range(10)])
            assert not np.any(tree.predict(grid) != prediction)
    with pytest.raises(ValueError, match="immutable"):
        counterfactual(tree, X[0], immutable=["age"])
    with pytest.raises(ValueError, match="mad"):
        counterfactual(tree, X[0], cost="mad")
    with pytest.raises(ValueError, match="features"):
        counterfactual(tree, X[0, :2])


def test_integer_columns_come_from_the_data_or_the_caller_not_from_the_row():
    rng = np.random.default_rng(4)
    X = rng.uniform(0, 10, size=(300, 2))
    y = (X[:, 0] + X[:, 1] > 10.3).astype(int)
    tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    x = np.array([3.0, 4.0])  # whole by chance: the columns are continuous
    free = counterfactual(tree, x)
    assert free.valid and not np.all(free.values == np.round(free.values))
    whole = counterfactual(tree, x, integer=["x0", "x1"])
    assert whole.valid and np.all(whole.values == np.round(whole.values))
    assert tree.predict(whole.values[None])[0] == whole.target
    assert whole.cost >= free.cost
    with pytest.raises(ValueError, match="integer"):
        counterfactual(tree, x, integer=["age"])
    # A Distiller knows its integer columns from the data it was fitted on.
    frame = pd.DataFrame({"a": rng.integers(0, 10, 300), "b": X[:, 1]})
    d = Distiller(LogisticRegression().fit(frame, frame["a"] + frame["b"] > 10.3),
                  n_queries=300, max_rounds=1, lookahead=0, random_state=0).fit(frame)
    cf = counterfactual(d, frame.iloc[0])
    assert cf.valid and cf.values[0] == round(cf.values[0])


def _random_boxes(rng, n, p):
    """Random closed boxes with whole-number corners (so that costs tie), some unbounded
    sides and some empty boxes."""
    lo = rng.integers(-4, 4, size=(n, p)).astype(float)
    hi = lo + rng.integers(0, 4, size=(n, p))
    lo[rng.random((n, p)) < 0.2] = -np.inf
    hi[rng.random((n, p)) < 0.2] = np.inf
    empty = rng.random(n) < 0.1
    hi[empty, 0], lo[empty, 0] = -1.0, 1.0
    return lo, hi


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_nearest_box_kernel_matches_brute_force_and_the_numpy_twin(backend):
    from glassbox.distill._kernels import get_nearest_box, nearest_box_numpy

    if backend == "numba":
        pytest.importorskip("numba")
    kernel = get_nearest_box(backend)
    rng = np.random.default_rng(0)
    for _ in range(200):
        n, p = int(rng.integers(1, 10)), int(rng.integers(1, 5))
        lo, hi = _random_boxes(rng, n, p)
        x = rng.integers(-5, 5, size=p) + rng.choice([0.0, 0.5], size=p)
        weights = rng.choice([0.5, 1.0, 2.0], size=p)
        immutable = rng.random(p) < 0.2
        rows = np.flatnonzero(rng.random(n) < 0.7).astype(np.int64)
        out, twin = np.full(p, np.nan), np.full(p, np.nan)
        k, cost = kernel(x, lo, hi, rows, weights, immutable, out)
        assert (k, cost) == nearest_box_numpy(x, lo, hi, rows, weights, immutable, twin)
        # Brute force: the cheapest point of each box, one at a time.
        best = (np.inf, -1)
        for position, r in enumerate(rows):
            point = np.clip(x, lo[r], hi[r])
            if np.any(lo[r] > hi[r]) or np.any((point != x) & immutable):
                continue
            best = min(best, (float(np.abs(point - x) @ weights), position))
        assert cost == pytest.approx(best[0]) and k == best[1]
        if k >= 0:
            np.testing.assert_array_equal(out, twin)
            assert np.all((out >= lo[rows[k]]) & (out <= hi[rows[k]]))


def _small_integer_problem():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.integers(0, 4, size=(200, 3)), columns=["a", "b", "c"])
    y = ((frame["a"] >= 2) & (frame["b"] <= 1) | (frame["c"] == 3)).astype(int)
    return frame, y


@pytest.mark.parametrize("kind", ["rules", "trees"])
def test_glassbox_learner_counterfactual_is_optimal(kind):
    frame, y = _small_integer_problem()
    if kind == "rules":
        rules = pytest.importorskip("glassbox.rules")
        model = rules.RuleListClassifier(c=0.01, max_card=2, n_thresholds=4,
                                         time_limit=10).fit(frame, y)
    else:
        trees = pytest.importorskip("glassbox.trees")
        model = trees.SparseTreeClassifier(max_depth=3, n_thresholds=4,
                                           time_limit=10).fit(frame, y)
    grid = pd.DataFrame(list(itertools.product(range(4), repeat=3)), columns=["a", "b", "c"])
    labels = model.predict(grid)
    for i in range(6):
        x = frame.iloc[i]
        cf = counterfactual(model, x, X_reference=frame)
        other = labels != model.predict(frame.iloc[[i]])[0]
        assert cf.valid == bool(other.any())
        if cf.valid:
            brute = (np.abs(grid[other].to_numpy() - x.to_numpy()).sum(axis=1)).min()
            assert cf.cost == pytest.approx(brute)
            assert model.predict(pd.DataFrame([cf.values], columns=frame.columns))[0] == cf.target


class _IntegerCard:
    """A duck-typed score card: class 1 iff intercept + coef . x > 0."""

    classes_ = np.array([0, 1])

    def __init__(self, coef, intercept):
        self.coef_ = np.asarray(coef, dtype=np.int64)
        self.intercept_ = intercept

    def decision_function(self, X):
        return self.intercept_ + np.asarray(X, dtype=float) @ self.coef_

    def predict(self, X):
        return (self.decision_function(X) > 0).astype(int)


def test_scorecard_counterfactual_is_optimal_against_brute_force():
    pytest.importorskip("pyscipopt")
    card = _IntegerCard([2, -1, 3, 1], -6)
    rng = np.random.default_rng(0)
    X = rng.integers(0, 4, size=(50, 4)).astype(float)
    grid = np.array(list(itertools.product(range(4), repeat=4)), dtype=float)
    for x in X[:6]:
        target = 1 - card.predict(x[None])[0]
        cf = counterfactual(card, x, X_reference=X)
        brute = (np.abs(grid[card.predict(grid) == target] - x).sum(axis=1)).min()
        assert cf.valid and cf.method == "exact MIP"
        assert cf.cost == pytest.approx(brute)
        fixed = counterfactual(card, x, immutable=["x2"], X_reference=X)
        keep = grid[:, 2] == x[2]
        options = grid[keep & (card.predict(grid) == target)]
        assert fixed.valid == (len(options) > 0)
        if fixed.valid:
            assert fixed.values[2] == x[2]
            assert fixed.cost == pytest.approx(np.abs(options - x).sum(axis=1).min())


def test_black_box_counterfactuals_are_always_verified():
    X, y = make_classification(300, 5, random_state=2)
    forest = RandomForestClassifier(40, random_state=0).fit(X, y)
    for x in X[:10]:
        cf = counterfactual(forest, x, X_reference=X, cost="mad")
        assert cf.method == "surrogate search"
        if cf.valid:
            assert forest.predict(cf.values[None])[0] == cf.target != forest.predict(x[None])[0]
    assert np.mean([counterfactual(forest, x, X_reference=X).valid for x in X[:10]]) >= 0.9
    with pytest.raises(ValueError, match="X_reference"):
        counterfactual(forest, X[0])


class _CountingModel:
    """A classifier that counts the calls made to it."""

    def __init__(self, model):
        self.model, self.classes_, self.calls = model, model.classes_, 0

    def predict(self, X):
        self.calls += 1
        return self.model.predict(X)

    def predict_proba(self, X):
        self.calls += 1
        return self.model.predict_proba(X)


def test_black_box_search_asks_the_model_in_at_most_three_batches():
    X, y = make_classification(300, 5, random_state=3)
    model = _CountingModel(LogisticRegression().fit(X, y))
    counterfactual(model, X[0], X_reference=X)  # distils the surrogate once
    for x in X[:6]:
        model.calls = 0
        cf = counterfactual(model, x, X_reference=X, cost="mad")
        assert 1 <= model.calls <= 3
        assert cf.valid and model.model.predict(cf.values[None])[0] == cf.target


def test_black_box_answers_do_not_depend_on_earlier_searches():
    # The search's random jumps are cached per seed: a repeated search, or one after
    # searches for other rows, gives the same answer; an unseeded search still verifies.
    X, y = make_classification(300, 12, random_state=4)
    forest = RandomForestClassifier(30, random_state=0).fit(X, y)
    first = [counterfactual(forest, x, X_reference=X, cost="mad") for x in X[:5]]
    again = [counterfactual(forest, x, X_reference=X, cost="mad") for x in X[4::-1]][::-1]
    for a, b in zip(first, again):
        assert a.valid == b.valid and a.cost == b.cost
        if a.valid:
            np.testing.assert_array_equal(a.values, b.values)
    free = counterfactual(forest, X[0], X_reference=X, random_state=None)
    if free.valid:
        assert forest.predict(free.values[None])[0] == free.target


def test_teacher_asks_the_steps_of_a_pipeline_as_the_pipeline_would():
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from glassbox.distill._teacher import Teacher

    X, y = make_classification(200, 4, random_state=5)
    X[:, 0] *= 100
    for pipe in (make_pipeline(StandardScaler(), MLPClassifier((8,), max_iter=2000,
                                                               random_state=0)),
                 make_pipeline("passthrough", StandardScaler(), LogisticRegression())):
        pipe.fit(X, y)
        teacher = Teacher(pipe, [f"x{j}" for j in range(4)])
        np.testing.assert_array_equal(teacher.proba(X), pipe.predict_proba(X))
        np.testing.assert_array_equal(teacher.classes_[teacher.label_index(X)],
                                      pipe.predict(X))
    # Named columns: the frame reaches the first step, as it would through the pipeline.
    frame = pd.DataFrame(X, columns=list("abcd"))
    pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(frame, y)
    teacher = Teacher(pipe, list("abcd"))
    np.testing.assert_array_equal(teacher.proba(X), pipe.predict_proba(frame))


class _Needle:
    """A black box that says 1 only at exact points of the reference data."""

    classes_ = np.array([0, 1])

    def __init__(self, points):
        self.points = {tuple(p) for p in points}

    def predict(self, X):
        return np.array([int(tuple(r) in self.points) for r in np.asarray(X, dtype=float)])


def test_black_box_counterfactual_reports_failure_instead_of_a_wrong_answer():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    needle = _Needle(X[:20])
    cf = counterfactual(needle, X[100] + 10, target=1, immutable=["x2"], X_reference=X)
    assert not cf.valid and cf.x_cf is None and "no valid" in str(cf)


def test_counterfactual_rejects_unsupported_models():
    with pytest.raises(TypeError, match="fitted classifier"):
        counterfactual(object(), [1.0, 2.0], X_reference=np.zeros((3, 2)))


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

def test_cli_distill(tmp_path, capsys):
    from glassbox.cli import main

    X, y = make_classification(300, 4, random_state=0)
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"]).assign(label=y)
    forest = RandomForestClassifier(20, random_state=0).fit(frame[["a", "b", "c", "d"]], y)
    model_path, data_path = tmp_path / "model.pkl", tmp_path / "data.csv"
    model_path.write_bytes(pickle.dumps(forest))
    frame.to_csv(data_path, index=False)
    code = main(["distill", str(model_path), str(data_path), "--max-depth", "3",
                 "--target", "label", "--n-queries", "300"])
    out = capsys.readouterr().out
    assert code == 0 and "fidelity to RandomForestClassifier" in out and "if " in out
    assert main(["distill", str(tmp_path / "nope.pkl"), str(data_path)]) == 2
    assert "no such file" in capsys.readouterr().err


def test_import_stays_light():
    import subprocess

    code = ("import sys, glassbox.distill; "
            "print(any(m in sys.modules for m in "
            "('torch', 'pyscipopt', 'cvxpy', 'matplotlib', 'numba')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
