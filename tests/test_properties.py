"""Property-based tests (hypothesis) over the binarizer, rule lists, trees and score cards.

Each learner is checked on random small 0/1 tables (2-40 rows, 1-5 columns, with
duplicated rows, constant columns and identical rows carrying different labels)
against a brute-force enumeration of its own model class, written here from the
objective in its docstring: the certified optimum must equal the brute-force one,
``lower_bound == objective`` when the status is ``"optimal"``, a JSON round trip
must predict identically and ``explain`` must give one row per input row.
"""

from __future__ import annotations

import itertools
import json
import warnings
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

import glassbox
from glassbox._base import Condition
from glassbox.features import Binarizer, mine_antecedents

FAST = settings(deadline=None, derandomize=True, max_examples=40,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
TOL = 1e-9


# -- strategies -------------------------------------------------------------------------
@st.composite
def binary_tables(draw, max_columns=5, max_rows=40, min_columns=1, max_value=1):
    """(DataFrame of 0/1 ints, y of 0/1 with both classes): few distinct rows, repeated.

    ``max_value > 1`` draws small integers in ``[0, max_value]`` instead of bits.
    """
    n_columns = draw(st.integers(min_columns, max_columns))
    n_rows = draw(st.integers(2, max_rows))
    n_distinct = draw(st.integers(1, min(n_rows, 8)))
    row = st.lists(st.integers(0, max_value), min_size=n_columns, max_size=n_columns)
    pool = draw(st.lists(row, min_size=n_distinct, max_size=n_distinct))
    picks = draw(st.lists(st.integers(0, n_distinct - 1), min_size=n_rows, max_size=n_rows))
    y = draw(st.lists(st.integers(0, 1), min_size=n_rows, max_size=n_rows))
    assume(0 < sum(y) < n_rows)
    X = pd.DataFrame([pool[i] for i in picks], columns=[f"f{j}" for j in range(n_columns)])
    return X, np.array(y)


def degenerate_tables():
    """Hand-picked corner cases: 2 rows, a constant column, one feature, identical rows."""
    two_rows = (pd.DataFrame({"f0": [0, 1]}), np.array([0, 1]))
    constant = (pd.DataFrame({"f0": [1] * 6, "f1": [0, 1, 0, 1, 1, 0]}),
                np.array([0, 1, 0, 1, 0, 0]))
    same_features = (pd.DataFrame({"f0": [1] * 5, "f1": [0] * 5}), np.array([0, 1, 1, 0, 1]))
    one_feature = (pd.DataFrame({"f0": [0, 0, 1, 1, 1, 0, 1]}), np.array([0, 1, 1, 1, 0, 0, 1]))
    duplicated = (pd.DataFrame({"f0": [0, 1] * 6, "f1": [1, 1, 0] * 4}),
                  np.array([1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1]))
    return [two_rows, constant, same_features, one_feature, duplicated]


def with_degenerate_examples(**others):
    """Add every degenerate table as an explicit example, with ``others`` for the rest."""

    def decorate(test):
        for table in degenerate_tables():
            test = example(table=table, **others)(test)
        return test

    return decorate


def error_count(labels: np.ndarray, groups) -> int:
    """Errors of majority-label predictions over a partition of the rows (ties free)."""
    total = 0
    for rows in groups:
        positive = int(labels[rows].sum())
        total += min(positive, int(rows.sum()) - positive)
    return total


def check_round_trip_and_explain(model, X) -> None:
    data = json.loads(json.dumps(model.to_dict()))
    restored = glassbox.from_dict(data)
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    np.testing.assert_allclose(restored.predict_proba(X), model.predict_proba(X))
    explanation = model.explain(X)
    assert len(explanation.to_frame()) == len(X)
    assert len(explanation.texts) == len(X)
    assert model.to_text()


# -- Binarizer and mine_antecedents -------------------------------------------------------
CELL_KINDS = (st.integers(-3, 3), st.sampled_from([0.5, 1.25, -2.0, 7.0]),
              st.sampled_from(["a", "b", "c"]), st.booleans(), st.integers(0, 1))


@st.composite
def mixed_tables(draw):
    """Tables of 2-30 rows mixing integer, float, text, bool and 0/1 columns."""
    n_rows = draw(st.integers(2, 30))
    n_columns = draw(st.integers(1, 4))
    columns = {}
    for j in range(n_columns):
        cells = draw(st.sampled_from(CELL_KINDS))
        columns[f"c{j}"] = draw(st.lists(cells, min_size=n_rows, max_size=n_rows))
    return pd.DataFrame(columns)


@FAST
@given(X=mixed_tables(), n_thresholds=st.integers(1, 4),
       directions=st.sampled_from(["le", "both"]))
def test_binarizer_features_are_their_conditions(X, n_thresholds, directions):
    binarizer = Binarizer(n_thresholds=n_thresholds, directions=directions).fit(X)
    Z = binarizer.transform(X)
    conditions = binarizer.conditions_
    assert Z.dtype == bool and Z.shape == (len(X), len(conditions))
    for j, condition in enumerate(conditions):
        np.testing.assert_array_equal(Z[:, j], condition.evaluate(X))
    constant = {c for c in X.columns if X[c].nunique() == 1}
    assert set(binarizer.dropped_columns_) == constant
    assert not constant & {c.column for c in conditions}
    for name in X.columns:
        own = [c for c in conditions if c.column == name]
        values = X[name]
        if name in constant:
            continue
        if values.dtype == bool or set(values.unique()) <= {0, 1}:
            assert own == [Condition(name, "is_true")]
        elif values.dtype.kind in "if":
            sides = 2 if directions == "both" else 1
            assert 0 < len(own) <= sides * n_thresholds
            # thresholds are observed values below the maximum, so no feature is constant
            for c in own:
                assert c.value in set(values.tolist()) and c.value < values.max()
        else:
            levels = values.nunique()
            assert len(own) == (1 if levels == 2 else levels)
    # no output feature is constant on the training data
    assert not (Z.all(axis=0) | ~Z.any(axis=0)).any()
    restored = glassbox.from_dict(json.loads(json.dumps(binarizer.to_dict())))
    np.testing.assert_array_equal(restored.transform(X), Z)


@FAST
@given(Z=st.integers(1, 4).flatmap(lambda f: st.lists(
           st.lists(st.booleans(), min_size=f, max_size=f), min_size=1, max_size=30)),
       max_card=st.integers(1, 3), min_support=st.sampled_from([0.0, 0.1, 0.25, 0.5]),
       include_negations=st.booleans())
def test_mine_antecedents_is_exactly_the_supported_conjunctions(Z, max_card, min_support,
                                                              include_negations):
    Z = np.array(Z, dtype=bool)
    n, F = Z.shape
    mined = mine_antecedents(Z, max_card=max_card, min_support=min_support,
                             include_negations=include_negations)
    literals = np.concatenate([Z, ~Z], axis=1) if include_negations else Z
    columns = list(range(F)) * (2 if include_negations else 1)
    need = int(np.ceil(min_support * n - 1e-9))
    expected = {}
    for k in range(1, max_card + 1):
        for members in itertools.combinations(range(literals.shape[1]), k):
            if len({columns[i] for i in members}) < k:  # x and not x never both hold
                continue
            rows = literals[:, list(members)].all(axis=1)
            support = int(rows.sum())
            if support >= need and n - support >= need:
                expected[members] = rows
    assert sorted(mined.members) == sorted(expected)
    assert len(set(mined.members)) == len(mined.members)
    captured = mined.unpack()
    for m, members in enumerate(mined.members):
        np.testing.assert_array_equal(captured[m], expected[members])
        assert mined.support[m] == expected[members].sum()
        assert mined.names[m] == " and ".join(mined.literals[i].name for i in members)
    assert [len(m) for m in mined.members] == sorted(len(m) for m in mined.members)


@pytest.mark.parametrize("Z", [np.zeros((3, 0), dtype=bool), pd.DataFrame(index=range(3))])
def test_mine_antecedents_keeps_the_row_count_of_a_table_without_columns(Z):
    mined = mine_antecedents(Z, min_support=0.0)
    assert len(mined) == 0 and mined.n_samples == 3
    assert mined.bits.shape == (0, 1) and mined.unpack().shape == (0, 3)


def test_mine_antecedents_rejects_a_table_without_rows():
    with pytest.raises(ValueError, match="at least one sample.*shape \\(0, 2\\)"):
        mine_antecedents(np.zeros((0, 2), dtype=bool))


def test_mine_antecedents_rejects_non_binary_column():
    with pytest.raises(ValueError, match="'b'.*value 2"):
        mine_antecedents(pd.DataFrame({"a": [0, 1], "b": [2, 0]}))


# -- rule lists ---------------------------------------------------------------------------
def rule_list_objective(prefix_rows, labels, c) -> float:
    """CORELS objective: errors / n + c x rules; rules and default predict their majority."""
    free = np.ones(len(labels), dtype=bool)
    groups = []
    for rows in prefix_rows:
        groups.append(rows & free)
        free &= ~rows
    groups.append(free)
    return error_count(labels, groups) / len(labels) + c * len(prefix_rows)


def brute_force_rule_list(captures, labels, c, max_length=3) -> float:
    best = np.inf
    for length in range(max_length + 1):
        for prefix in itertools.permutations(range(len(captures)), length):
            best = min(best, rule_list_objective([captures[j] for j in prefix], labels, c))
    return best


@settings(FAST, max_examples=30)
@given(table=binary_tables(max_columns=4), c=st.sampled_from([0.0101, 0.05, 0.15]),
       max_card=st.integers(1, 2), min_support=st.sampled_from([0.0, 0.1]),
       policy=st.sampled_from(["lower_bound", "bfs", "curiosity", "objective", "dfs"]))
@with_degenerate_examples(c=0.05, max_card=2, min_support=0.0, policy="lower_bound")
def test_rule_list_is_optimal_against_brute_force(table, c, max_card, min_support, policy):
    from glassbox.rules import RuleListClassifier

    X, y = table
    model = RuleListClassifier(c=c, max_card=max_card, min_support=min_support,
                               policy=policy, time_limit=20).fit(X, y)
    certificate = model.certificate_
    assert certificate.status == "optimal"
    assert certificate.lower_bound == pytest.approx(certificate.objective, abs=TOL)
    # the returned list achieves the claimed objective on the training data
    achieved = np.mean(model.predict(X) != y) + c * len(model.rules_)
    assert achieved == pytest.approx(certificate.objective, abs=TOL)
    # brute force over every list of <= 3 mined antecedents (the same antecedents the
    # learner mines, recomputed here with the public features API)
    binarizer = Binarizer(n_thresholds=8, directions="both").fit(X)
    mined = mine_antecedents(binarizer.transform(X), max_card=max_card,
                             min_support=min_support, conditions=binarizer.conditions_)
    best = brute_force_rule_list(list(mined.unpack()), y, c)
    assert certificate.objective <= best + TOL
    if best < 4 * c:  # then no list of >= 4 rules can beat it: brute force is exhaustive
        assert certificate.objective == pytest.approx(best, abs=TOL)
    check_round_trip_and_explain(model, X)


def test_rule_list_rejects_one_class():
    from glassbox.rules import RuleListClassifier

    with pytest.raises(ValueError):
        RuleListClassifier().fit(pd.DataFrame({"a": [0, 1, 1]}), [1, 1, 1])


# -- sparse trees -------------------------------------------------------------------------
def brute_force_tree(Z, labels, regularization, depth) -> float:
    """Least errors/n + regularization x leaves over trees of <= depth levels of splits."""
    n = len(labels)

    def best(rows, remaining):
        leaf = error_count(labels, [rows]) / n + regularization
        if remaining == 0:
            return leaf
        options = [leaf]
        for j in range(Z.shape[1]):
            side = Z[:, j]
            options.append(best(rows & side, remaining - 1) + best(rows & ~side, remaining - 1))
        return min(options)

    return best(np.ones(n, dtype=bool), depth)


@settings(FAST, max_examples=40)
@given(table=binary_tables(max_columns=5), regularization=st.sampled_from([0.0, 0.02, 0.1]),
       max_depth=st.integers(0, 2))
@with_degenerate_examples(regularization=0.02, max_depth=2)
def test_sparse_tree_is_optimal_against_brute_force(table, regularization, max_depth):
    from glassbox.trees import SparseTreeClassifier

    X, y = table
    model = SparseTreeClassifier(regularization=regularization, max_depth=max_depth,
                                 time_limit=20).fit(X, y)
    certificate = model.certificate_
    assert certificate.status == "optimal"
    assert certificate.lower_bound == pytest.approx(certificate.objective, abs=TOL)
    assert model.objective_ == pytest.approx(certificate.objective, abs=TOL)
    achieved = np.mean(model.predict(X) != y) + regularization * model.n_leaves_
    assert achieved == pytest.approx(certificate.objective, abs=TOL)
    best = brute_force_tree(X.to_numpy().astype(bool), y, regularization, max_depth)
    assert certificate.objective == pytest.approx(best, abs=TOL)
    check_round_trip_and_explain(model, X)


def test_sparse_tree_rejects_one_class():
    from glassbox.trees import SparseTreeClassifier

    with pytest.raises(ValueError):
        SparseTreeClassifier().fit(pd.DataFrame({"a": [0, 1, 1]}), [0, 0, 0])


# -- risk score cards ---------------------------------------------------------------------
COEF_BOUND = 2
INTERCEPT_BOUND = 4


def brute_force_score_card(X, labels, c0, max_features, intercept_bound=INTERCEPT_BOUND) -> float:
    """Least mean logistic loss + c0 x features over integer cards within the bounds."""
    X = X[:, np.ptp(X, axis=0) > 0]  # constant items are dropped by the learner
    signs = 2.0 * labels - 1.0
    points = range(-COEF_BOUND, COEF_BOUND + 1)
    cards = [v for v in itertools.product(points, repeat=X.shape[1])
             if np.count_nonzero(v) <= max_features]
    coefs = np.array(cards, dtype=float).reshape(len(cards), X.shape[1])
    intercepts = np.arange(-intercept_bound, intercept_bound + 1, dtype=float)
    scores = (X @ coefs.T)[:, :, None] + intercepts[None, None, :]  # (n, cards, intercepts)
    loss = np.logaddexp(0.0, -signs[:, None, None] * scores).mean(axis=0)
    penalty = c0 * np.count_nonzero(coefs, axis=1)[:, None]
    return float((loss + penalty).min())


@settings(FAST, max_examples=12)
@given(table=binary_tables(max_columns=3, max_rows=25), c0=st.sampled_from([1e-6, 0.02]),
       max_features=st.integers(1, 3))
@with_degenerate_examples(c0=1e-6, max_features=2)
def test_score_card_is_optimal_against_brute_force(table, c0, max_features):
    pytest.importorskip("pyscipopt")
    from glassbox.scoring import RiskScoreClassifier

    X, y = table
    card = RiskScoreClassifier(max_features=max_features, coef_bounds=(-COEF_BOUND, COEF_BOUND),
                               intercept_bounds=(-INTERCEPT_BOUND, INTERCEPT_BOUND), c0=c0,
                               time_limit=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # constant columns are dropped, by design
        card.fit(X, y)
    certificate = card.certificate_
    assert certificate.status == "optimal"
    assert certificate.lower_bound == pytest.approx(certificate.objective, abs=1e-6)
    scores = card.decision_function(X)
    achieved = (np.logaddexp(0.0, -(2.0 * y - 1.0) * scores).mean()
                + c0 * np.count_nonzero(card.coef_))
    assert achieved == pytest.approx(certificate.objective, abs=1e-6)
    assert np.count_nonzero(card.coef_) <= max_features
    assert np.all(np.abs(card.coef_) <= COEF_BOUND)
    assert abs(card.intercept_) <= INTERCEPT_BOUND
    best = brute_force_score_card(X.to_numpy().astype(float), y, c0, max_features)
    assert achieved == pytest.approx(best, abs=1e-6)
    check_round_trip_and_explain(card, X)


def test_score_card_rejects_one_class():
    pytest.importorskip("pyscipopt")
    from glassbox.scoring import RiskScoreClassifier

    with pytest.raises(ValueError):
        RiskScoreClassifier(time_limit=5).fit(pd.DataFrame({"a": [0, 1, 1]}), [1, 1, 1])


@settings(FAST, max_examples=25)
@given(table=binary_tables(max_columns=3, max_value=3),
       regularization=st.sampled_from([0.0, 0.03]), n_thresholds=st.integers(1, 3))
def test_sparse_tree_on_integer_columns_is_optimal_over_its_features(table, regularization,
                                                                     n_thresholds):
    from glassbox.trees import SparseTreeClassifier

    X, y = table
    model = SparseTreeClassifier(regularization=regularization, max_depth=2,
                                 n_thresholds=n_thresholds, time_limit=20).fit(X, y)
    assert model.certificate_.status == "optimal"
    Z = np.column_stack([c.evaluate(X) for c in model.features_] or [np.zeros(len(X), bool)])
    best = brute_force_tree(Z, y, regularization, 2)
    assert model.certificate_.objective == pytest.approx(best, abs=TOL)
    achieved = np.mean(model.predict(X) != y) + regularization * model.n_leaves_
    assert achieved == pytest.approx(best, abs=TOL)
    check_round_trip_and_explain(model, X)


@settings(FAST, max_examples=20)
@given(table=binary_tables(max_columns=3, max_rows=30), c=st.sampled_from([0.05, 0.15]))
def test_rule_list_with_negations_is_optimal_against_brute_force(table, c):
    from glassbox.rules import RuleListClassifier

    X, y = table
    model = RuleListClassifier(c=c, max_card=1, min_support=0.0, include_negations=True,
                               time_limit=20).fit(X, y)
    assert model.certificate_.status == "optimal"
    Z = Binarizer(directions="both").fit(X).transform(X)
    captures = list(np.concatenate([Z, ~Z], axis=1).T)
    best = brute_force_rule_list(captures, y, c)
    assert model.certificate_.objective <= best + TOL
    if best < 4 * c:
        assert model.certificate_.objective == pytest.approx(best, abs=TOL)
    achieved = np.mean(model.predict(X) != y) + c * len(model.rules_)
    assert achieved == pytest.approx(model.certificate_.objective, abs=TOL)


@settings(FAST, max_examples=8)
@given(table=binary_tables(max_columns=2, max_rows=25))
def test_score_card_derived_intercept_bounds_keep_the_optimum(table):
    """With ``intercept_bounds=None`` the derived range must not cut off the best card."""
    pytest.importorskip("pyscipopt")
    from glassbox.scoring import RiskScoreClassifier

    X, y = table
    card = RiskScoreClassifier(max_features=2, coef_bounds=(-COEF_BOUND, COEF_BOUND), c0=1e-6,
                               time_limit=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        card.fit(X, y)
    assert card.certificate_.status == "optimal"
    best = brute_force_score_card(X.to_numpy().astype(float), y, 1e-6, 2, intercept_bound=15)
    assert card.certificate_.objective == pytest.approx(best, abs=1e-6)


# -- budgets ------------------------------------------------------------------------------
@settings(FAST, max_examples=30)
@given(table=binary_tables(max_columns=5), node_limit=st.integers(1, 40))
def test_sparse_tree_node_limit_is_a_true_maximum(table, node_limit):
    """A stopped search still returns a valid tree whose bound is below its objective."""
    from glassbox.trees import SparseTreeClassifier

    X, y = table
    model = SparseTreeClassifier(regularization=0.01, node_limit=node_limit).fit(X, y)
    certificate = model.certificate_
    assert certificate.nodes <= node_limit
    assert certificate.status in ("optimal", "node_limit")
    assert certificate.lower_bound <= certificate.objective + TOL
    achieved = np.mean(model.predict(X) != y) + 0.01 * model.n_leaves_
    assert achieved == pytest.approx(certificate.objective, abs=TOL)
    check_round_trip_and_explain(model, X)


@settings(FAST, max_examples=30)
@given(table=binary_tables(max_columns=4), node_limit=st.integers(1, 40))
def test_rule_list_node_limit_is_a_true_maximum(table, node_limit):
    from glassbox.rules import RuleListClassifier

    X, y = table
    model = RuleListClassifier(c=0.01, min_support=0.0, node_limit=node_limit).fit(X, y)
    certificate = model.certificate_
    assert certificate.nodes <= node_limit
    assert certificate.status in ("optimal", "node_limit")
    assert certificate.lower_bound <= certificate.objective + TOL
    achieved = np.mean(model.predict(X) != y) + 0.01 * len(model.rules_)
    assert achieved == pytest.approx(certificate.objective, abs=TOL)
    check_round_trip_and_explain(model, X)


# -- Rashomon sets of trees -----------------------------------------------------------------
def all_tree_objectives(Z, labels, regularization: Fraction, depth) -> list[Fraction]:
    """Exact objective of every distinct tree of <= depth levels (brute force).

    The model class of ``RashomonSet``: leaves predict their majority (ties: 1), a split must
    send rows both ways, and a split into two leaves with one label is the leaf itself.
    """
    n = len(labels)

    def trees(rows, remaining):
        positive = int(labels[rows].sum())
        size = int(rows.sum())
        out = [(min(positive, size - positive), 1, int(2 * positive >= size))]
        if remaining == 0:
            return out
        for j in range(Z.shape[1]):
            left, right = rows & Z[:, j], rows & ~Z[:, j]
            if not left.any() or not right.any():
                continue
            for l_err, l_leaves, l_label in trees(left, remaining - 1):
                for r_err, r_leaves, r_label in trees(right, remaining - 1):
                    if l_label is not None and l_label == r_label:
                        continue
                    out.append((l_err + r_err, l_leaves + r_leaves, None))
        return out

    return [Fraction(errors, n) + regularization * leaves
            for errors, leaves, _ in trees(np.ones(n, dtype=bool), depth)]


@settings(FAST, max_examples=25)
@given(table=binary_tables(max_columns=3, max_rows=20),
       regularization=st.sampled_from(["0.02", "0.05"]),
       epsilon=st.sampled_from(["0", "0.05", "0.1"]), max_depth=st.integers(1, 2))
def test_rashomon_tree_count_matches_brute_force(table, regularization, epsilon, max_depth):
    from glassbox.rashomon import RashomonSet
    from glassbox.trees import SparseTreeClassifier

    X, y = table
    estimator = SparseTreeClassifier(regularization=float(regularization), max_depth=max_depth)
    rashomon = RashomonSet(estimator, epsilon=Fraction(epsilon)).fit(X, y)
    Z = np.column_stack([c.evaluate(X) for c in rashomon.best_estimator_.features_]
                        or [np.zeros(len(X), dtype=bool)])
    objectives = all_tree_objectives(Z, y, Fraction(regularization), max_depth)
    best = min(objectives)
    assert rashomon.optimal_objective_ == pytest.approx(float(best), abs=TOL)
    assert rashomon.size_ == sum(o <= best + Fraction(epsilon) for o in objectives)
    members = [rashomon.models(k) for k in range(min(rashomon.size_, 5))]
    for member in members:
        assert member.objective_ <= float(best + Fraction(epsilon)) + TOL


# -- enumerated Rashomon sets of rule lists ---------------------------------------------------
@settings(FAST, max_examples=20)
@given(table=binary_tables(max_columns=3, max_rows=20), c=st.sampled_from([0.05, 0.1]),
       epsilon=st.sampled_from([0.0, 0.05, 0.1]))
def test_enumerate_rule_lists_matches_brute_force(table, c, epsilon):
    from glassbox.rules import RuleListClassifier, enumerate_rule_lists

    X, y = table
    estimator = RuleListClassifier(c=c, max_card=2, min_support=0.0)
    best = estimator.fit(X, y).certificate_.objective
    found = enumerate_rule_lists(estimator, X, y, best + epsilon)
    binarizer = Binarizer(directions="both").fit(X)
    captures = list(mine_antecedents(binarizer.transform(X), max_card=2, min_support=0.0,
                                     conditions=binarizer.conditions_).unpack())
    expected = []
    for length in range(len(captures) + 1):
        for prefix in itertools.permutations(range(len(captures)), length):
            covered = np.zeros(len(y), dtype=bool)
            useful = True
            for j in prefix:  # every rule must capture a row no earlier rule captured
                useful &= bool((captures[j] & ~covered).any())
                covered |= captures[j]
            objective = rule_list_objective([captures[j] for j in prefix], y, c)
            if useful and objective <= best + epsilon + 1e-9:
                expected.append(objective)
    assert sorted(o for o, _ in found) == pytest.approx(sorted(expected), abs=TOL)
    for objective, model in found[:5]:
        achieved = np.mean(model.predict(X) != y) + c * len(model.rules_)
        assert achieved == pytest.approx(objective, abs=TOL)


def score_card_objectives(X, labels, c0, max_features) -> np.ndarray:
    """Objective of every card (intercept, points) within the test bounds (brute force)."""
    X = X[:, np.ptp(X, axis=0) > 0]
    points = range(-COEF_BOUND, COEF_BOUND + 1)
    cards = [v for v in itertools.product(points, repeat=X.shape[1])
             if np.count_nonzero(v) <= max_features]
    coefs = np.array(cards, dtype=float).reshape(len(cards), X.shape[1])
    intercepts = np.arange(-INTERCEPT_BOUND, INTERCEPT_BOUND + 1, dtype=float)
    scores = (X @ coefs.T)[:, :, None] + intercepts[None, None, :]
    loss = np.logaddexp(0.0, -(2.0 * labels - 1.0)[:, None, None] * scores).mean(axis=0)
    return (loss + c0 * np.count_nonzero(coefs, axis=1)[:, None]).ravel()


@settings(FAST, max_examples=6)
@given(table=binary_tables(max_columns=2, max_rows=20), epsilon=st.sampled_from([0.013, 0.047]))
def test_enumerate_score_cards_matches_brute_force(table, epsilon):
    pytest.importorskip("pyscipopt")
    from glassbox.scoring import RiskScoreClassifier, enumerate_score_cards

    X, y = table
    estimator = RiskScoreClassifier(max_features=2, coef_bounds=(-COEF_BOUND, COEF_BOUND),
                                    intercept_bounds=(-INTERCEPT_BOUND, INTERCEPT_BOUND),
                                    c0=1e-6, time_limit=30, random_state=0)
    objectives = score_card_objectives(X.to_numpy().astype(float), y, 1e-6, 2)
    bound = objectives.min() + epsilon
    assume(np.abs(objectives - bound).min() > 1e-6)  # no card sits on the boundary
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        found = enumerate_score_cards(estimator, X, y, bound)
    expected = np.sort(objectives[objectives <= bound])
    assert np.sort([o for o, _ in found]) == pytest.approx(expected, abs=1e-6)


def test_score_card_derived_intercept_reaches_the_base_rate_log_odds():
    """Regression: with every column constant the best card is the base rate's log-odds
    (here log(1/7) ~ -1.95, so intercept -2); the derived range used to stop at +-1."""
    pytest.importorskip("pyscipopt")
    from glassbox.scoring import RiskScoreClassifier

    X = pd.DataFrame({"f0": [0] * 8, "f1": [0] * 8})
    y = np.array([0, 0, 0, 0, 0, 0, 0, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        card = RiskScoreClassifier(coef_bounds=(-2, 2), time_limit=30, random_state=0).fit(X, y)
    assert card.intercept_ == -2
    assert card.certificate_.objective == pytest.approx(
        np.mean(np.logaddexp(0.0, -(2.0 * y - 1.0) * -2.0)), abs=1e-9)
