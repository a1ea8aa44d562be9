"""Rashomon sets: exact counts, members, votes and importance against brute force."""

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chisquare
from test_trees import brute_force_objectives, random_problem

from glassbox.rashomon import RashomonSet, rashomon_ratio, wilson_interval
from glassbox.rashomon._ratio import monte_carlo_ratio
from glassbox.trees import SparseTreeClassifier
from glassbox.trees._search import tree_objective, tree_predict

REG = 0.01


def index_tree(model):
    """A fitted SparseTreeClassifier as a feature-index tree (features are columns x0..)."""
    def walk(node):
        if "condition" not in node:
            return ("leaf", node["prediction"])
        j = int(node["condition"].column[1:])
        return ("split", j, walk(node["if_true"]), walk(node["if_false"]))
    return walk(model.tree_)


def tree_set(Z, y, depth, epsilon, bound="additive"):
    return RashomonSet(SparseTreeClassifier(regularization=REG, max_depth=depth),
                       epsilon=epsilon, bound=bound).fit(Z.astype(int), y)


def members(rs):
    return [index_tree(rs.models(k)) for k in range(rs.size_)]


@pytest.mark.parametrize("seed", range(4))
def test_counts_and_members_equal_brute_force_for_every_bound(seed):
    Z, y = random_problem(seed, n=40, n_features=4 + seed % 2, noise=0.2)
    objectives = brute_force_objectives(Z, y, 2, REG)
    best = min(objectives.values())
    distinct = sorted(set(objectives.values()))
    # epsilons that put trees exactly on the boundary (ties), plus one in between
    on_boundary = distinct[min(3, len(distinct) - 1)]
    cases = [("additive", float(on_boundary - best), on_boundary),
             ("additive", 0.0, best),
             ("additive", float(on_boundary - best) + 0.001, on_boundary + Fraction(1, 1000)),
             ("multiplicative", on_boundary / best - 1, on_boundary),
             ("multiplicative", 0.05, best * Fraction(105, 100)),
             ("absolute", float(on_boundary), on_boundary)]
    for bound, epsilon, limit in cases:
        expected = {t for t, o in objectives.items() if o <= limit}
        rs = tree_set(Z, y, 2, epsilon, bound)
        assert rs.size_ == len(expected), (bound, epsilon)
        found = members(rs)
        assert len(set(found)) == len(found)  # all distinct
        assert set(found) == expected
        levels = [objectives[t] for t in found]
        assert levels == sorted(levels)  # best first
        assert rs.optimal_objective_ == pytest.approx(float(best))
    assert sum(1 for o in objectives.values() if o == on_boundary) >= 1


def test_models_index_errors_and_empty_absolute_set():
    Z, y = random_problem(1)
    rs = tree_set(Z, y, 2, 0.02)
    with pytest.raises(IndexError, match="out of range"):
        rs.models(rs.size_)
    empty = tree_set(Z, y, 2, 0.001, "absolute")
    assert empty.size_ == 0
    with pytest.raises(ValueError, match="empty"):
        empty.sample(1)


def test_sample_is_uniform():
    Z, y = random_problem(2, n=40, n_features=4, noise=0.2)
    rs = tree_set(Z, y, 2, 0.04)
    assert 5 <= rs.size_ <= 60
    trees = members(rs)
    position = {t: k for k, t in enumerate(trees)}
    draws = [position[index_tree(m)] for m in rs.sample(60 * rs.size_, random_state=0)]
    counts = np.bincount(draws, minlength=rs.size_)
    assert chisquare(counts).pvalue > 1e-3


@pytest.mark.parametrize("seed", range(3))
def test_set_votes_equal_averaging_materialized_trees(seed):
    Z, y = random_problem(seed + 10, n=50, n_features=5, noise=0.2)
    rs = tree_set(Z, y, 2, 0.05)
    queries = np.random.default_rng(seed).random((30, 5)) < 0.5
    trees = members(rs)
    expected = np.mean([tree_predict(t, queries) for t in trees], axis=0)
    assert np.allclose(rs.predict_proba(queries.astype(int))[:, 1], expected)
    assert (rs.predict(queries.astype(int)) == (expected >= 0.5)).all()


def test_importance_equals_brute_force():
    Z, y = random_problem(4, n=40, n_features=4, noise=0.2)
    rs = tree_set(Z, y, 2, 0.05)
    trees = members(rs)
    table, distributions = rs.variable_importance(return_distributions=True)
    for j in range(Z.shape[1]):
        share_one = Z[:, j].mean()
        off, on = Z.copy(), Z.copy()
        off[:, j], on[:, j] = False, True
        reliance = []
        for t in trees:
            base = np.mean(tree_predict(t, Z) != y)
            switched = np.mean((1 - share_one) * (tree_predict(t, off) != y)
                               + share_one * (tree_predict(t, on) != y))
            reliance.append(switched - base)
        row = table.iloc[j]
        assert row["min"] == pytest.approx(min(reliance))
        assert row["max"] == pytest.approx(max(reliance))
        assert row["mean"] == pytest.approx(np.mean(reliance))
        dist = distributions[row["feature"]]
        assert dist["count"].sum() == len(trees)
        values = np.repeat(dist["reliance"].to_numpy(), dist["count"].to_numpy())
        assert np.allclose(np.sort(values), np.sort(reliance))


def test_patterns_and_exact_ratio_equal_brute_force():
    Z, y = random_problem(6, n=40, n_features=4, noise=0.2)
    rs = tree_set(Z, y, 2, 0.03)
    trees = members(rs)
    assert rs.patterns() == len({tree_predict(t, Z).tobytes() for t in trees})
    objectives = brute_force_objectives(Z, y, 2, REG)
    result = rashomon_ratio(SparseTreeClassifier(regularization=REG, max_depth=2),
                            Z.astype(int), y, 0.03)
    assert result.method == "exact"
    assert result.space_size == len(objectives)
    assert result.ratio == pytest.approx(rs.size_ / len(objectives))
    every_pattern = {tree_predict(t, Z).tobytes() for t in objectives}
    assert result.pattern_ratio == pytest.approx(rs.patterns() / len(every_pattern))


def test_wilson_intervals_cover_the_exact_ratio():
    rng = np.random.default_rng(0)
    for set_size, space_size in ((37, 181), (5, 181), (900, 1000)):
        exact = set_size / space_size
        covered = sum(_covers(set_size, space_size, exact, rng) for _ in range(400))
        assert covered / 400 >= 0.94, (set_size, space_size, covered)
    low, high = wilson_interval(0, 50)
    assert low == 0.0 and 0 < high < 0.1


def _covers(set_size, space_size, exact, rng):
    result = monte_carlo_ratio(set_size, space_size, 300, 0.95, rng)
    return result.low <= exact <= result.high


def test_monte_carlo_ratio_of_trees_brackets_the_exact_ratio():
    Z, y = random_problem(7)
    estimator = SparseTreeClassifier(regularization=REG, max_depth=2)
    exact = rashomon_ratio(estimator, Z.astype(int), y, 0.05, patterns=False)
    estimate = rashomon_ratio(estimator, Z.astype(int), y, 0.05, method="monte_carlo",
                              n_draws=4000, patterns=False, random_state=1)
    assert estimate.low <= exact.ratio <= estimate.high


def test_ridge_ellipsoid_is_exact_and_logistic_samples_stay_near_the_bound():
    from sklearn.linear_model import LogisticRegression, Ridge

    from glassbox.rashomon._linear import linear_loss

    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 3))
    target = X @ [1.0, -2.0, 0.5] + 0.3 * rng.standard_normal(200)
    rs = RashomonSet(Ridge(alpha=1.0), epsilon=0.05).fit(X, target)
    theta = rs.ellipsoid_.center + rng.uniform(-0.3, 0.3, size=(500, 4))
    inside = rs.ellipsoid_.contains(theta)
    truth = linear_loss(rs.best_estimator_, X, target, theta) <= rs.objective_bound_
    assert (inside == truth).mean() > 0.99 and 0.05 < inside.mean() < 0.95
    ratio = rashomon_ratio(Ridge(alpha=1.0), X, target, 0.05, box_radius=0.3)
    estimate = rashomon_ratio(Ridge(alpha=1.0), X, target, 0.05, box_radius=0.3,
                              method="monte_carlo", n_draws=4000, random_state=0)
    assert estimate.low <= ratio.ratio <= estimate.high
    for model in rs.sample(20, random_state=1):
        assert rs.contains(model)
    table = rs.variable_importance()
    assert (table["min"] <= table["mean"]).all() and (table["mean"] <= table["max"]).all()

    labels = (target > 0).astype(int)
    logistic = RashomonSet(LogisticRegression(C=1.0), epsilon=0.002).fit(X, labels)
    samples = logistic.ellipsoid_.sample(200, rng)
    losses = linear_loss(logistic.best_estimator_, X, labels, samples)
    assert (losses <= logistic.objective_bound_ + 0.002 * 0.2).all()  # Laplace: close
    assert np.isfinite(logistic.log_volume_)
    share = logistic.predict_proba(X[:20])[:, 1]
    assert ((share >= 0) & (share <= 1)).all()
    with pytest.raises(TypeError, match="continuum"):
        logistic.models(0)


def test_one_dimensional_ellipsoid_volume():
    from glassbox.rashomon._linear import Ellipsoid

    ellipsoid = Ellipsoid([0.0], [[4.0]], 0.5)  # 2 x^2 <= 0.5  <=>  |x| <= 0.5
    assert np.exp(ellipsoid.log_volume) == pytest.approx(1.0)


def test_rule_list_sets_wrap_the_enumeration():
    rules = pytest.importorskip("glassbox.rules")
    Z, y = random_problem(3, n=60, n_features=4, noise=0.1)
    X = pd.DataFrame(Z.astype(int), columns=["a", "b", "c", "d"])
    estimator = rules.RuleListClassifier(c=0.02, max_card=1)
    rs = RashomonSet(estimator, epsilon=0.03).fit(X, y)
    listed = rules.enumerate_rule_lists(estimator, X, y, rs.objective_bound_)
    assert rs.kind_ == "enumerated" and rs.size_ == len(listed) >= 1
    votes = np.mean([m.predict(X) for _, m in listed], axis=0)
    assert np.allclose(rs.predict_proba(X)[:, 1], votes)
    assert rs.models(0).score(X, y) >= rs.models(rs.size_ - 1).score(X, y) - 0.2


def test_bad_parameters():
    Z, y = random_problem(0)
    with pytest.raises(ValueError, match="bound"):
        RashomonSet(SparseTreeClassifier(max_depth=2), bound="relative").fit(Z, y)
    with pytest.raises(ValueError, match="epsilon"):
        RashomonSet(SparseTreeClassifier(max_depth=2), epsilon=-0.1).fit(Z, y)
    from sklearn.neighbors import KNeighborsClassifier

    with pytest.raises(TypeError, match="supports SparseTreeClassifier"):
        RashomonSet(KNeighborsClassifier()).fit(Z, y)
    with pytest.raises(ValueError, match="finite max_depth"):
        rashomon_ratio(SparseTreeClassifier(), Z.astype(int), y, 0.01)


@pytest.mark.shared_data
@pytest.mark.parametrize("epsilon,expected", [(0.02, 507), (0.05, 19_859)])
def test_compas_counts_match_treefarms(data_home, epsilon, expected):
    frame = pd.read_csv(data_home / "treefarms" / "compas" / "binned.csv")
    rs = RashomonSet(SparseTreeClassifier(regularization=0.01, max_depth=3),
                     epsilon=epsilon).fit(frame.iloc[:, :-1], frame.iloc[:, -1])
    assert rs.size_ == expected


def trees_within(Z, y, rows, depth, budget, costs, optima):
    """``[(tree, scaled objective)]`` of every tree on ``rows`` with objective <= ``budget``.

    An enumeration independent of glassbox's search: trees are listed one by
    one, pruned only by the exact optimum of the sibling (``optima``, brute
    force over all splits, memoized on the rows).
    """
    error_cost, leaf_cost = costs

    def optimum(rows, depth):
        key = (rows.tobytes(), depth)
        if key not in optima:
            positive, n = int(y[rows].sum()), int(rows.sum())
            best = min(positive, n - positive) * error_cost + leaf_cost
            for j in range(Z.shape[1]) if depth else ():
                left, right = rows & Z[:, j], rows & ~Z[:, j]
                if left.any() and right.any():
                    best = min(best, optimum(left, depth - 1) + optimum(right, depth - 1))
            optima[key] = best
        return optima[key]

    positive, n = int(y[rows].sum()), int(rows.sum())
    leaf = min(positive, n - positive) * error_cost + leaf_cost
    out = [(("leaf", int(2 * positive >= n)), leaf)] if leaf <= budget else []
    for j in range(Z.shape[1]) if depth else ():
        left, right = rows & Z[:, j], rows & ~Z[:, j]
        if not left.any() or not right.any():
            continue
        if optimum(left, depth - 1) + optimum(right, depth - 1) > budget:
            continue
        for lt, lo in trees_within(Z, y, left, depth - 1, budget - optimum(right, depth - 1),
                                   costs, optima):
            for rt, ro in trees_within(Z, y, right, depth - 1, budget - lo, costs, optima):
                if lt[0] == rt[0] == "leaf" and lt[1] == rt[1]:
                    continue  # the same classifier as one leaf
                out.append((("split", j, lt, rt), lo + ro))
    return out


@pytest.mark.shared_data
def test_compas_boundary_trees_are_kept_and_equal_an_independent_enumeration(data_home):
    # TreeFARMS reports 52 at +0.01; exactly 10 trees lie on the boundary and 50 inside
    frame = pd.read_csv(data_home / "treefarms" / "compas" / "binned.csv")
    X, y = frame.iloc[:, :-1], frame.iloc[:, -1].to_numpy()
    rs = RashomonSet(SparseTreeClassifier(regularization=0.01, max_depth=3),
                     epsilon=0.01).fit(X, y)
    space = rs._space
    counts = rs.objective_counts()
    assert rs.size_ == 60
    assert counts["count"].iloc[-1] == 10
    bound = rs._trees.bound  # floor of (optimum + 0.01) x N x 100: here exactly on it
    assert Fraction(bound, space.scale) == rs._exact_limit
    Z = X.to_numpy().astype(bool)
    listed = dict(trees_within(Z, y, np.ones(len(y), dtype=bool), 3, bound,
                               (space.error_cost, space.leaf_cost), {}))
    ours = [rs._trees.tree(k) for k in range(rs.size_)]
    assert {tree: objective for tree, objective in ours} == listed
    assert sum(o < bound for o in listed.values()) == 50
    assert sum(o == bound for o in listed.values()) == 10
    # and each tree's objective, recomputed from the data, is the one recorded
    assert all(tree_objective(space, tree) == o for tree, o in ours)


def test_score_card_sets_wrap_the_enumeration():
    pytest.importorskip("pyscipopt")
    from glassbox.scoring import RiskScoreClassifier, enumerate_score_cards

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.integers(0, 2, size=(120, 3)), columns=["a", "b", "c"])
    y = ((X.a + X.b + rng.random(120) * 1.2) > 1.5).astype(int)
    estimator = RiskScoreClassifier(max_features=2, coef_bounds=(-2, 2), time_limit=10,
                                    random_state=0)
    rs = RashomonSet(estimator, epsilon=0.05).fit(X, y)
    listed = enumerate_score_cards(estimator, X, y, rs.objective_bound_)
    assert rs.kind_ == "enumerated" and rs.size_ == len(listed) >= 1
    assert rs.optimal_objective_ == pytest.approx(listed[0][0])
    assert (rs.objective_counts()["objective"] <= rs.objective_bound_ + 1e-12).all()


def test_command_line(tmp_path, capsys):
    from glassbox.cli import main

    Z, y = random_problem(8, n=60, n_features=4, noise=0.15)
    frame = pd.DataFrame(Z.astype(int), columns=["a", "b", "c", "d"]).assign(label=y)
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    argv = ["rashomon", str(path), "--target", "label", "--max-depth", "2", "--epsilon", "0.05",
            "--top", "1"]
    plot = tmp_path / "importance.png"
    has_matplotlib = __import__("glassbox._deps")._deps.module_available("matplotlib")
    assert main(argv + (["--plot", str(plot)] if has_matplotlib else [])) == 0
    out = capsys.readouterr().out
    expected = RashomonSet(SparseTreeClassifier(max_depth=2), epsilon=0.05).fit(
        frame.drop(columns="label"), y).size_
    assert f"size: {expected:,} models" in out
    assert "Rashomon ratio" in out and "model reliance" in out and "--- model 1" in out
    if has_matplotlib:
        assert plot.stat().st_size > 1000
    assert main(argv + ["--model", "forest"]) == 2
    assert "unknown --model" in capsys.readouterr().err
