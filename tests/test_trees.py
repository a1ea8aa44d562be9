"""SparseTreeClassifier: exact optimum against brute force, round trips, budgets, bad input."""

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

import glassbox
from glassbox._base import Condition
from glassbox.trees import SparseTreeClassifier
from glassbox.trees._search import UNLIMITED, TreeSpace, tree_objective


def all_trees(Z, y, rows, depth):
    """Every tree (feature-index form) on ``rows`` with TreeFARMS semantics, by brute force.

    Returns ``(tree, errors, leaves)`` triples. Splits must send samples both
    ways; a split whose two leaves predict the same label is left out.
    """
    n, positive = int(rows.sum()), int(y[rows].sum())
    out = [(("leaf", int(2 * positive >= n)), min(positive, n - positive), 1)]
    if depth == 0:
        return out
    for j in range(Z.shape[1]):
        left, right = rows & Z[:, j], rows & ~Z[:, j]
        if not left.any() or not right.any():
            continue
        right_trees = all_trees(Z, y, right, depth - 1)
        for tl, el, kl in all_trees(Z, y, left, depth - 1):
            for tr, er, kr in right_trees:
                if tl[0] == "leaf" and tr[0] == "leaf" and tl[1] == tr[1]:
                    continue
                out.append((("split", j, tl, tr), el + er, kl + kr))
    return out


def brute_force_objectives(Z, y, depth, regularization):
    """``{tree: exact objective}`` of every tree of the given depth."""
    n = len(y)
    lam = Fraction(repr(regularization))
    return {t: Fraction(e, n) + lam * k
            for t, e, k in all_trees(Z, y, np.ones(n, dtype=bool), depth)}


def random_problem(seed, n=40, n_features=4, noise=0.25):
    rng = np.random.default_rng(seed)
    Z = rng.random((n, n_features)) < 0.5
    y = (Z[:, 0] ^ Z[:, 1]) | (Z[:, 2] & ~Z[:, 3] if n_features > 3 else Z[:, 0])
    y = np.where(rng.random(n) < noise, ~y, y).astype(int)
    return Z, y


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("depth", [1, 2, 3])
def test_optimum_equals_brute_force(seed, depth):
    Z, y = random_problem(seed, n=30 + 7 * seed, n_features=4)
    regularization = [0.01, 0.02, 0.05][seed % 3]
    objectives = brute_force_objectives(Z, y, depth, regularization)
    best = min(objectives.values())
    model = SparseTreeClassifier(regularization=regularization, max_depth=depth).fit(
        Z.astype(int), y)
    assert model.certificate_.status == "optimal"
    space = TreeSpace(Z, y, regularization)
    found = space.optimum(space.root, depth)
    assert Fraction(found, space.scale) == best
    assert model.objective_ == pytest.approx(float(best), abs=1e-12)
    # the returned tree really achieves the optimum
    tree = space.optimal_tree(space.root, depth)
    assert Fraction(tree_objective(space, tree), space.scale) == best


def test_unlimited_depth_matches_deep_enough_limit():
    Z, y = random_problem(11, n=60, n_features=4, noise=0.1)
    space = TreeSpace(Z, y, 0.01)
    deep = space.optimum(space.root, 4)  # 4 features: no deeper tree helps
    assert space.optimum(space.root, UNLIMITED) == deep


def test_xor_needs_depth_two_and_leaf_ties_go_to_class_one():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]] * 5)
    y = X[:, 0] ^ X[:, 1]
    deep = SparseTreeClassifier(regularization=0.01, max_depth=2).fit(X, y)
    assert deep.score(X, y) == 1.0 and deep.n_leaves_ == 4
    stump = SparseTreeClassifier(regularization=0.01, max_depth=0).fit(X, y)
    assert stump.n_leaves_ == 1
    assert (stump.predict(X) == 1).all()  # 10 vs 10: ties go to class 1
    assert (np.argmax(stump.predict_proba(X), axis=1) == 1).all()


def test_round_trip_render_explain_and_regions():
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"age": rng.integers(18, 70, 300), "priors": rng.integers(0, 2, 300),
                      "sex": rng.choice(["F", "M"], 300)})
    y = np.where((X["age"] < 30) & (X["priors"] == 1), "yes", "no")
    model = SparseTreeClassifier(regularization=0.005, max_depth=2).fit(X, y)
    assert model.score(X, y) == 1.0
    text = model.to_text()
    assert "if " in text and "else:" in text and "predict yes" in text
    again = glassbox.from_dict(model.to_dict())
    assert (again.predict(X) == model.predict(X)).all()
    assert np.allclose(again.predict_proba(X), model.predict_proba(X))
    assert again.to_text() == text
    explanation = model.explain(X.iloc[:5])
    frame = explanation.to_frame()
    assert list(frame["prediction"]) == list(model.predict(X.iloc[:5]))
    steps = explanation.to_frame(detailed=True)
    assert set(steps.columns) >= {"row", "step", "condition", "satisfied"}
    # decision regions partition the rows and agree with predict
    regions = model.decision_regions()
    inside = np.array([np.all([c.evaluate(X) for c in conds], axis=0) for conds, _ in regions])
    assert (inside.sum(axis=0) == 1).all()
    labels = np.array([k for _, k in regions])[inside.argmax(axis=0)]
    assert (model.classes_[labels] == model.predict(X)).all()
    assert all(isinstance(c, Condition) for conds, _ in regions for c in conds)


def test_budget_returns_a_tree_with_an_honest_certificate():
    Z, y = random_problem(5, n=200, n_features=10, noise=0.2)
    model = SparseTreeClassifier(regularization=0.001, node_limit=30).fit(Z.astype(int), y)
    certificate = model.certificate_
    assert certificate.status == "node_limit"
    assert certificate.lower_bound <= certificate.objective
    assert model.predict(Z.astype(int)).shape == (200,)
    exact = SparseTreeClassifier(regularization=0.001, max_depth=2).fit(Z.astype(int), y)
    assert exact.certificate_.status == "optimal"


def test_bad_input_messages():
    X = np.array([[0, 1], [1, 0], [1, 1]])
    with pytest.raises(ValueError, match="regularization"):
        SparseTreeClassifier(regularization=-1).fit(X, [0, 1, 1])
    with pytest.raises(ValueError, match="max_depth"):
        SparseTreeClassifier(max_depth=1.5).fit(X, [0, 1, 1])
    with pytest.raises(ValueError, match="binary classification"):
        SparseTreeClassifier().fit(X, [0, 1, 2])
    with pytest.raises(ValueError, match="NaN"):
        SparseTreeClassifier().fit(np.array([[0.0], [np.nan], [1.0]]), [0, 1, 1])
    model = SparseTreeClassifier().fit(X, [0, 1, 1])
    with pytest.raises(ValueError, match="features"):
        model.predict(np.zeros((2, 3)))


@pytest.mark.shared_data
def test_compas_depth_three_optimum(data_home):
    frame = pd.read_csv(data_home / "treefarms" / "compas" / "binned.csv")
    X, y = frame.iloc[:, :-1], frame.iloc[:, -1]
    model = SparseTreeClassifier(regularization=0.01, max_depth=3).fit(X, y)
    assert model.certificate_.status == "optimal"
    assert model.objective_ == pytest.approx(0.3748675, abs=1e-6)


@pytest.mark.shared_data
def test_monk3_true_optimum_without_depth_limit(data_home):
    # TreeFARMS reports 0.15918 here; the true optimum is 0.155574
    frame = pd.read_csv(data_home / "treefarms" / "monk_3" / "data.csv")
    model = SparseTreeClassifier(regularization=0.01).fit(frame.iloc[:, :-1], frame.iloc[:, -1])
    assert model.certificate_.status == "optimal"
    assert model.objective_ == pytest.approx(0.155574, abs=1e-6)


def _kernel_inputs(seed):
    """A random kernel problem with ties in balance, a constant and a complementary feature."""
    rng = np.random.default_rng(seed)
    n_features, n_groups = 6 + seed, 30
    # laid out as TreeSpace lays it out, so that numba compiles one signature
    features = (rng.random((n_groups, n_features)) < 0.5).T.astype(np.float64)
    features[1] = 1.0 - features[0]  # same balance as feature 0: the tie keeps feature order
    features[2] = 0.0  # splits nothing
    size = rng.integers(1, 5, n_groups)
    positive = rng.integers(0, size + 1)
    stats = np.column_stack([size, positive, np.minimum(positive, size - positive),
                             np.ones(n_groups, dtype=int)]).astype(np.int64)
    members = rng.random(n_groups) < 0.7
    return members, features, stats, stats[members].sum(axis=0)


@pytest.mark.parametrize("seed", range(3))
def test_numba_kernels_equal_their_numpy_twins(seed):
    pytest.importorskip("numba")
    from glassbox.trees import _kernels, _numba_kernels

    members, features, stats, total = _kernel_inputs(seed)
    table = _kernels.split_table_numpy(members, features, stats, total)
    for ours, twin in zip(table, _numba_kernels.split_table(members, features, stats, total)):
        np.testing.assert_array_equal(ours, twin)
    assert 2 not in table[0] and list(table[0]).index(0) < list(table[0]).index(1)
    parents = table[0]
    args = (members, features, stats, parents, total, 7, 3)
    ours = _kernels.pair_tables_numpy(*args)
    twin = _numba_kernels.pair_tables(*args)
    np.testing.assert_array_equal(ours[1], twin[1])  # n_valid
    for c, k in enumerate(ours[1]):
        for a, b in zip(ours[:1] + ours[2:6], twin[:1] + twin[2:6]):  # order .. same_label
            np.testing.assert_array_equal(a[c, :k], b[c, :k])
        if k:
            assert (ours[6][c], ours[7][c]) == (twin[6][c], twin[7][c])  # best stump
    # each child's table is the one split_table finds for it alone
    for c, j in enumerate(list(parents) * 2):
        side = features[j] > 0 if c < len(parents) else features[j] == 0
        child = members & side
        order, true, false = _kernels.split_table_numpy(child, features, stats,
                                                        stats[child].sum(axis=0))
        k = ours[1][c]
        np.testing.assert_array_equal(ours[0][c, :k], order)
        np.testing.assert_array_equal(ours[2][c, :k], true)
        np.testing.assert_array_equal(ours[3][c, :k], false)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_backends_give_the_brute_force_set_at_depth_three(backend):
    if backend == "numba":
        pytest.importorskip("numba")
    from glassbox.rashomon._trees import TreeSet

    Z, y = random_problem(5, n=50, n_features=3, noise=0.2)
    objectives = brute_force_objectives(Z, y, 3, 0.01)
    space = TreeSpace(Z, y, 0.01, backend=backend)
    best = space.optimum(space.root, 3)
    assert Fraction(best, space.scale) == min(objectives.values())
    # bounds with trees exactly on them; the second, larger one on the same space
    # recounts subproblems counted for the first
    for limit in sorted(set(objectives.values()))[6:13:6]:
        trees = TreeSet(space, 3, int(limit * space.scale))
        found = [trees.tree(k)[0] for k in range(trees.size)]
        assert len(set(found)) == len(found) == sum(o <= limit for o in objectives.values())
        assert all(objectives[t] <= limit for t in found)
