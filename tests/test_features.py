"""Binarizer and mine_antecedents: names, estimator checks, round trips, brute force."""

import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.utils.estimator_checks import check_estimator

import glassbox
from glassbox._base import Condition
from glassbox._bitset import pack_rows
from glassbox.features import Antecedents, Binarizer, mine_antecedents


@pytest.fixture
def people():
    return pd.DataFrame({
        "age": [22, 35, 47, 60, 35, 29],
        "sex": ["F", "M", "M", "F", "M", "F"],
        "priors": [0, 1, 1, 0, 1, 0],
        "employed": [True, False, True, True, False, True],
        "region": pd.Categorical(["n", "s", "e", "n", "s", "e"], categories=["w", "e", "s", "n", "x"]),
        "country": ["US"] * 6,
        "income": [1.5, 2.25, 3.0, 0.5, 2.25, 1.0],
    })


# ---------------------------------------------------------------------------
# Binarizer
# ---------------------------------------------------------------------------

def test_binarizer_passes_sklearn_estimator_checks():
    check_estimator(Binarizer(), expected_failed_checks=Binarizer._expected_failed_checks)


def test_feature_kinds_and_names(people):
    b = Binarizer(n_thresholds=3).fit(people)
    names = b.get_feature_names_out().tolist()
    assert names == [
        "age <= 29", "age <= 35", "age <= 47",
        "sex == M",
        "priors", "employed",
        "region == e", "region == s", "region == n",  # category order, observed levels only
        "income <= 1", "income <= 1.5", "income <= 2.25",
    ]
    assert b.dropped_columns_ == ["country"]
    assert b.feature_kinds_[:5] == ["threshold"] * 3 + ["level", "binary"]
    assert [b.inverse(i) for i in range(len(names))] == b.feature_columns_
    assert b.inverse("sex == M") == "sex"
    assert b.inverse(-1) == "income"
    with pytest.raises(KeyError, match="not an output feature"):
        b.inverse("age <= 99")
    with pytest.raises(IndexError, match="out of range"):
        b.inverse(len(names))


def test_transform_matches_conditions_on_raw_table(people):
    b = Binarizer(n_thresholds=3, directions="both").fit(people)
    Z = b.transform(people)
    assert Z.dtype == bool and Z.shape == (len(people), len(b.conditions_))
    for f, condition in enumerate(b.conditions_):
        assert np.array_equal(Z[:, f], condition.evaluate(people)), condition.name
    # both directions: every "<= t" has its "> t" complement
    by_name = dict(zip(b.get_feature_names_out(), Z.T))
    assert np.array_equal(by_name["age <= 35"], ~by_name["age > 35"])


def test_quantile_thresholds_are_observed_values_and_capped():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 1000, size=500)
    b = Binarizer(n_thresholds=5).fit(x.reshape(-1, 1))
    values = [c.value for c in b.conditions_]
    assert 1 <= len(values) <= 5
    assert set(values) <= set(x.tolist())
    assert max(values) < x.max()
    assert all(isinstance(v, int) for v in values)  # integer column -> "x0 <= 25", not 25.0
    # few distinct values: a threshold at each of them but the largest
    few = Binarizer(n_thresholds=5).fit(np.array([[3], [1], [2], [3]]))
    assert [c.name for c in few.conditions_] == ["x0 <= 1", "x0 <= 2"]
    unlimited = Binarizer(n_thresholds=None).fit(x.reshape(-1, 1))
    assert len(unlimited.conditions_) == len(np.unique(x)) - 1


def test_split_thresholds_are_midpoints_where_label_changes():
    x = np.arange(20, dtype=float).reshape(-1, 1)
    y = (x.ravel() >= 7).astype(int) + (x.ravel() >= 15).astype(int)
    b = Binarizer(strategy="splits", n_thresholds=4).fit(x, y)
    assert [c.value for c in b.conditions_] == [6.5, 14.5]
    # a mixed value is a boundary on both sides
    x2 = np.array([0, 1, 1, 2, 3, 4, 5, 6, 7, 8], dtype=float).reshape(-1, 1)
    y2 = np.array([0, 0, 1, 1, 1, 1, 1, 1, 1, 1])
    b2 = Binarizer(strategy="splits", n_thresholds=3).fit(x2, y2)
    assert [c.value for c in b2.conditions_] == [0.5, 1.5]
    # thresholds read short but still fall strictly between the neighbouring values
    x3 = np.array([0.1234, 0.1301, 0.5, 0.9, 0.95]).reshape(-1, 1)
    b3 = Binarizer(strategy="splits", n_thresholds=2).fit(x3, [0, 1, 1, 0, 0])
    assert [c.name for c in b3.conditions_] == ["x0 <= 0.13", "x0 <= 0.7"]
    every_split = Binarizer(strategy="splits", n_thresholds=None).fit(x, y)
    assert [c.value for c in every_split.conditions_] == [6.5, 14.5]
    with pytest.raises(ValueError, match="needs y"):
        Binarizer(strategy="splits", n_thresholds=3).fit(x)


def test_user_thresholds_and_bad_thresholds(people):
    b = Binarizer(thresholds={"age": [40, 25]}).fit(people)
    assert [c.name for c in b.conditions_ if c.column == "age"] == ["age <= 25", "age <= 40"]
    with pytest.raises(ValueError, match="'height', which is not in X"):
        Binarizer(thresholds={"height": [1]}).fit(people)
    with pytest.raises(ValueError, match="'sex', which is not numeric"):
        Binarizer(thresholds={"sex": [1]}).fit(people)
    with pytest.raises(ValueError, match="non-empty list of numbers"):
        Binarizer(thresholds={"age": ["a"]}).fit(people)


def test_two_level_column_gives_one_feature_and_unknown_level_is_all_false(people):
    b = Binarizer().fit(people)
    new = people.iloc[:2].copy()
    new["sex"] = ["X", "M"]
    new["region"] = pd.Categorical(["north", "n"])
    Z = pd.DataFrame(b.transform(new), columns=b.get_feature_names_out())
    assert Z["sex == M"].tolist() == [False, True]
    region = [c for c in Z.columns if c.startswith("region")]
    assert Z.loc[0, region].tolist() == [False, False, False]
    assert Z.loc[1, "region == n"]


def test_pandas_output_and_feature_names(people):
    b = Binarizer(n_thresholds=2).set_output(transform="pandas").fit(people)
    out = b.transform(people)
    assert isinstance(out, pd.DataFrame)
    assert out.columns.tolist() == b.get_feature_names_out().tolist()
    arr = Binarizer(n_thresholds=1).fit(np.array([[1.0, 0], [2.0, 1], [3.0, 1]]))
    assert arr.get_feature_names_out().tolist() == ["x0 <= 2", "x1"]
    assert arr.get_feature_names_out(["h", "flag"]).tolist() == ["h <= 2", "flag"]


def test_json_round_trip_transforms_identically(people):
    b = Binarizer(n_thresholds=3, directions="both", thresholds={"income": [1.25]}).fit(people)
    data = json.loads(json.dumps(b.to_dict()))
    again = glassbox.from_dict(data)
    assert isinstance(again, Binarizer)
    assert again.get_params() == b.get_params()
    assert np.array_equal(again.transform(people), b.transform(people))
    assert again.feature_columns_ == b.feature_columns_
    assert again.dropped_columns_ == ["country"]
    assert again.to_text() == b.to_text()
    assert "constant columns (no feature): country" in b.to_text()
    frame = b.to_frame()
    assert frame.columns.tolist() == ["feature", "column", "kind"]
    assert len(frame) == len(b.conditions_)


def test_bad_input_names_the_column(people):
    b = Binarizer().fit(people)
    bad = people.copy()
    bad["income"] = bad["income"].astype(float)
    bad.loc[3, "income"] = np.nan
    with pytest.raises(ValueError, match="NaN.*'income'"):
        b.transform(bad)
    with pytest.raises(ValueError, match="NaN.*'income'"):
        Binarizer().fit(bad)
    wrong_type = people.copy()
    wrong_type["age"] = "old"
    with pytest.raises(ValueError, match="Column 'age' cannot be tested"):
        b.transform(wrong_type)
    with pytest.raises(ValueError, match="feature names"):
        b.transform(people[["sex", "age", "priors", "employed", "region", "country", "income"]])
    with pytest.raises(Exception, match="n_thresholds"):
        Binarizer(n_thresholds=0).fit(people)


def test_explain_lists_true_features(people):
    b = Binarizer(n_thresholds=2).fit(people[["age", "sex"]])
    e = b.explain(people[["age", "sex"]].iloc[:2])
    assert e.texts[0] == "row 0: age <= 29, age <= 35"
    assert e.to_frame()["n_true"].tolist() == [2, 2]
    assert e.texts[1] == "row 1: age <= 35, sex == M"


# ---------------------------------------------------------------------------
# mine_antecedents
# ---------------------------------------------------------------------------

def _brute_force(Z, literals, max_card, min_support):
    """Every conjunction by explicit loops over samples, in the documented order."""
    n = len(Z)
    columns = np.concatenate([Z, ~Z], axis=1) if len(literals) > Z.shape[1] else Z
    min_count = math.ceil(min_support * n - 1e-9)
    found = []
    for card in range(1, max_card + 1):
        for combo in itertools.combinations(range(len(literals)), card):
            conds = [literals[i] for i in combo]
            if any(a == b.negate() for a in conds for b in conds):
                continue
            if any(a.column == b.column and a.op == b.op == "==" and a.value != b.value
                   for a in conds for b in conds):
                continue
            captured = [all(columns[i, j] for j in combo) for i in range(n)]
            s = sum(captured)
            if s >= min_count and n - s >= min_count:
                found.append((combo, s, captured))
    return found


@pytest.mark.parametrize("seed,n,F,max_card,min_support,negations", [
    (0, 50, 5, 2, 0.0, False),
    (1, 70, 6, 3, 0.1, False),
    (2, 130, 4, 3, 0.05, True),
    (3, 64, 5, 2, 0.2, True),
    (4, 1, 3, 2, 0.0, True),
])
def test_mine_antecedents_matches_brute_force(seed, n, F, max_card, min_support, negations):
    rng = np.random.default_rng(seed)
    Z = rng.random((n, F)) < rng.uniform(0.2, 0.8, size=F)
    a = mine_antecedents(Z, max_card=max_card, min_support=min_support,
                         include_negations=negations)
    expected = _brute_force(Z, a.literals, max_card, min_support)
    assert a.members == [combo for combo, _, _ in expected]
    assert a.support.tolist() == [s for _, s, _ in expected]
    assert a.bits.dtype == np.uint64 and a.bits.shape == (len(expected), (n + 63) // 64)
    truth = np.array([captured for _, _, captured in expected], dtype=bool).reshape(-1, n)
    assert np.array_equal(a.bits, pack_rows(truth)) if len(expected) else True
    assert np.array_equal(a.unpack(), truth)
    expected_literals = [f"x{j}" for j in range(F)]
    expected_literals += [f"not x{j}" for j in range(F)] if negations else []
    assert [c.name for c in a.literals] == expected_literals
    for m in range(len(a)):
        assert a.names[m] == " and ".join(c.name for c in a.conditions(m))


def test_mine_antecedents_skips_contradictions_and_uses_conditions():
    frame = pd.DataFrame({"color": ["r", "g", "b", "r", "g", "b"], "x": [1, 2, 3, 4, 5, 6]})
    b = Binarizer(n_thresholds=5, directions="both").fit(frame)
    Z = b.transform(frame)
    a = mine_antecedents(Z, max_card=2, min_support=0.0, conditions=b.conditions_)
    for m in range(len(a)):
        conds = a.conditions(m)
        if len(conds) == 2:
            c1, c2 = conds
            assert not (c1.column == c2.column == "color"), a.names[m]
            if {c1.op, c2.op} == {"<=", ">"}:
                upper, lower = (c1, c2) if c1.op == "<=" else (c2, c1)
                assert upper.value > lower.value, a.names[m]
    assert "color == b and x <= 3" in a.names
    assert "x <= 4 and x > 2" in a.names
    assert a.support[a.names.index("x <= 4 and x > 2")] == 2


def test_mine_antecedents_one_column_one_antecedent_like_corels():
    rng = np.random.default_rng(5)
    Z = pd.DataFrame(rng.random((40, 7)) < 0.5, columns=[f"f{j}" for j in range(7)])
    Z["f3"] = False  # empty columns are kept too when min_support=0
    a = mine_antecedents(Z.astype(int), max_card=1, min_support=0.0)
    assert a.names == Z.columns.tolist()
    assert a.support.tolist() == Z.sum().tolist()
    assert isinstance(a, Antecedents) and len(a) == 7
    assert a.to_frame()["cardinality"].eq(1).all()


def test_mine_antecedents_support_bounds_are_symmetric():
    Z = np.zeros((10, 3), dtype=bool)
    Z[:1, 0] = True  # support 1: below 0.2 * 10
    Z[:2, 1] = True  # support 2: kept
    Z[:9, 2] = True  # support 9: above 1 - 0.2
    a = mine_antecedents(Z, max_card=1, min_support=0.2)
    assert a.names == ["x1"]
    both = mine_antecedents(Z, max_card=2, min_support=0.2)
    assert "x1 and x2" in both.names  # a too-frequent literal still extends


def test_mine_antecedents_bad_input():
    with pytest.raises(ValueError, match="Column 'x1' is not binary: it has the value 2"):
        mine_antecedents(np.array([[0, 2], [1, 0]]))
    with pytest.raises(ValueError, match="2-D"):
        mine_antecedents(np.array([True, False]))
    with pytest.raises(ValueError, match="max_card"):
        mine_antecedents(np.ones((2, 2), bool), max_card=0)
    with pytest.raises(ValueError, match="min_support"):
        mine_antecedents(np.ones((2, 2), bool), min_support=0.7)
    with pytest.raises(ValueError, match="list of 2 Condition"):
        mine_antecedents(np.ones((2, 2), bool), conditions=[Condition("a", "is_true")])


def test_mining_reproduces_corels_premined_compas_antecedents(data_home):
    """CORELS's compas_train.out: every level, then level pairs with support in [0.5%, 99.5%]."""
    from glassbox.datasets import fetch_compas

    categorical = fetch_compas(data_home, variant="corels").data
    premined = fetch_compas(data_home, variant="corels_mined").data
    levels = [Condition(column, "==", level) for column in categorical.columns
              for level in pd.unique(categorical[column])]
    Z = np.column_stack([c.evaluate(categorical) for c in levels])
    a = mine_antecedents(Z, max_card=2, min_support=0.005, conditions=levels)
    corels_names = [",".join(f"{c.column}:{c.value}" for c in a.conditions(m))
                    for m in range(len(a))]
    assert sorted(corels_names) == sorted(premined.columns)
    order = [corels_names.index(name) for name in premined.columns]
    assert np.array_equal(a.bits[order], pack_rows(premined.to_numpy().T))
