"""Certifiably optimal rule lists: exact agreement with brute force, bounds, budgets, I/O."""

from __future__ import annotations

import functools
import itertools
import json

import numpy as np
import pandas as pd
import pytest

import glassbox
from glassbox._base import Condition
from glassbox.rules import Rule, RuleListClassifier, _search, enumerate_rule_lists
from glassbox.rules._kernels import POLICY_CODES, get_expand

# ---------------------------------------------------------------------------
# An independent brute force: every list of distinct columns (each rule capturing
# a new row), majority labels (ties -> 1), objective = errors / n + c * rules.
# ---------------------------------------------------------------------------


def brute_force_lists(Z, y, c):
    n, m = Z.shape
    out = []
    for length in range(m + 1):
        for order in itertools.permutations(range(m), length):
            free = np.ones(n, dtype=bool)
            errors, ok = 0, True
            for j in order:
                captured = Z[:, j] & free
                if not captured.any():
                    ok = False
                    break
                pos = int(y[captured].sum())
                errors += min(pos, int(captured.sum()) - pos)
                free &= ~captured
            if not ok:
                continue
            pos = int(y[free].sum())
            errors += min(pos, int(free.sum()) - pos)
            out.append((errors / n + c * length, order))
    return out


@functools.cache
def brute_force_optimum(seed, n, m, c):
    X, y = random_problem(seed, n=n, m=m)
    return min(obj for obj, _ in brute_force_lists(X.to_numpy(), y, c))


def random_problem(seed, n=40, m=6):
    rng = np.random.default_rng(seed)
    Z = rng.random((n, m)) < rng.uniform(0.15, 0.6, size=m)
    signal = Z[:, 0] | (Z[:, 1] & Z[:, 2])
    y = np.where(rng.random(n) < 0.8, signal, ~signal).astype(int)
    # keep every column non-constant (the Binarizer drops constant ones)
    Z[0, :], Z[1, :] = True, False
    return pd.DataFrame(Z, columns=[f"a{j}" for j in range(m)]), y


def rule_names(model):
    return tuple(r.name for r in model.rules_)


PROBLEMS = [(0, 0.02), (1, 0.05), (2, 0.02), (3, 0.05), (4, 0.01)]


@pytest.mark.parametrize("seed,c", PROBLEMS)
def test_optimum_matches_brute_force(seed, c):
    X, y = random_problem(seed)
    lists = brute_force_lists(X.to_numpy(), y, c)
    best = min(obj for obj, _ in lists)
    model = RuleListClassifier(c=c, max_card=1, min_support=0.0).fit(X, y)
    cert = model.certificate_
    assert cert.status == "optimal"
    assert cert.objective == pytest.approx(best, abs=1e-12)
    assert cert.lower_bound == pytest.approx(best, abs=1e-12)
    assert cert.gap == 0.0
    # the model's own predictions reach the certified objective
    errors = np.sum(model.predict(X) != y) / len(y)
    assert errors + c * len(model.rules_) == pytest.approx(best, abs=1e-12)
    winners = [order for obj, order in lists if obj <= best + 1e-12]
    if len(winners) == 1:
        assert rule_names(model) == tuple(f"a{j}" for j in winners[0])


@pytest.mark.parametrize("policy", sorted(POLICY_CODES))
def test_every_policy_reaches_the_optimum(policy):
    for seed in range(2):
        X, y = random_problem(100 + seed, n=60, m=6)
        best = brute_force_optimum(100 + seed, 60, 6, 0.02)
        model = RuleListClassifier(c=0.02, max_card=1, min_support=0.0, policy=policy).fit(X, y)
        assert model.certificate_.is_optimal
        assert model.certificate_.objective == pytest.approx(best, abs=1e-12)


@pytest.mark.parametrize("policy", sorted(POLICY_CODES))
@pytest.mark.parametrize("node_limit", [None, 3])
def test_numba_and_numpy_backends_agree(policy, node_limit):
    pytest.importorskip("numba")
    X, y = random_problem(7, n=150, m=6)
    fits = []
    for backend in ("numba", "numpy"):
        model = RuleListClassifier(c=0.02, max_card=2, min_support=0.0, policy=policy,
                                   node_limit=node_limit)
        model._backend = backend
        model.fit(X, y)
        cert = model.certificate_
        fits.append((rule_names(model), cert.status, cert.objective, cert.lower_bound,
                     cert.nodes))
    assert fits[0] == fits[1]


def test_expansion_kernels_agree_on_random_bits():
    pytest.importorskip("numba")
    rng = np.random.default_rng(3)
    problem = _search.Problem.from_bits(
        rng.integers(0, 2**63, size=(40, 5), dtype=np.int64).astype(np.uint64),
        rng.random(5 * 64) < 0.4)
    prefix = np.array([4, 17], dtype=np.int64)
    args = (problem.ant_bits, prefix, problem.label_bits, problem.minority_bits, 11, 200, 80,
            30, 6.5, 900.0, 1e-9)
    for code in POLICY_CODES.values():
        a = get_expand("numba")(*args, code, problem.n_samples)
        b = get_expand("numpy")(*args, code, problem.n_samples)
        assert a[0] == b[0] and a[1] == b[1]
        for left, right in zip(a[2:], b[2:]):
            np.testing.assert_array_equal(left, right)


def test_equivalent_point_minority_counts():
    Z = np.array([[1, 0], [1, 0], [1, 0], [0, 1], [0, 1], [1, 1]], dtype=bool)
    y = np.array([1, 0, 0, 1, 1, 0], dtype=bool)
    minority = _search.equivalent_point_minority(Z, y)
    # group (1,0): labels 1,0,0 -> one minority; group (0,1): pure; group (1,1): single row
    assert minority.sum() == 1 and minority[0]


def test_node_limit_gives_valid_lower_bound():
    X, y = random_problem(11, n=120, m=6)
    best = brute_force_optimum(11, 120, 6, 0.005)
    model = RuleListClassifier(c=0.005, max_card=1, min_support=0.0, node_limit=2).fit(X, y)
    cert = model.certificate_
    assert cert.status == "node_limit"
    assert cert.nodes == 2
    assert cert.lower_bound <= best + 1e-12 <= cert.objective + 2e-12
    assert cert.gap >= 0


def test_time_limit_and_memory_limit_stop_gracefully():
    X, y = random_problem(12, n=300, m=12)
    timed = RuleListClassifier(c=0.001, max_card=2, min_support=0.0, time_limit=1e-9).fit(X, y)
    assert timed.certificate_.status == "time_limit"
    small = RuleListClassifier(c=0.001, max_card=2, min_support=0.0,
                               memory_limit=1e-4).fit(X, y)
    assert small.certificate_.status == "memory_limit"
    for model in (timed, small):
        assert model.certificate_.lower_bound <= model.certificate_.objective
        assert len(model.predict(X)) == len(X)


def test_greedy_is_heuristic_with_valid_bound():
    X, y = random_problem(5, n=80, m=6)
    best = brute_force_optimum(5, 80, 6, 0.02)
    model = RuleListClassifier(c=0.02, max_card=1, min_support=0.0, method="greedy").fit(X, y)
    cert = model.certificate_
    assert cert.status == "heuristic"
    assert cert.objective >= best - 1e-12
    assert cert.lower_bound <= best + 1e-12


@pytest.mark.parametrize("seed", range(4))
def test_enumerate_rule_lists_matches_brute_force(seed):
    X, y = random_problem(seed + 20, n=30, m=5)
    c = 0.03
    lists = brute_force_lists(X.to_numpy(), y, c)
    best = min(obj for obj, _ in lists)
    bound = best + 0.06
    expected = sorted((round(obj, 9), tuple(f"a{j}" for j in order))
                      for obj, order in lists if obj <= bound + 1e-12)
    found = enumerate_rule_lists(RuleListClassifier(c=c, max_card=1, min_support=0.0), X, y,
                                 bound)
    got = sorted((round(obj, 9), rule_names(model)) for obj, model in found)
    assert got == expected
    objectives = [obj for obj, _ in found]
    assert objectives == sorted(objectives)
    for obj, model in found[:5]:
        errors = np.mean(model.predict(X) != y)
        assert errors + c * len(model.rules_) == pytest.approx(obj, abs=1e-12)


def test_enumerate_rule_lists_refuses_too_many():
    X, y = random_problem(1, n=30, m=5)
    with pytest.raises(ValueError, match="max_models"):
        enumerate_rule_lists(RuleListClassifier(c=0.01, max_card=1, min_support=0.0), X, y,
                             1.0, max_models=3)
    with pytest.raises(TypeError, match="RuleListClassifier"):
        enumerate_rule_lists(object(), X, y, 1.0)


def test_mixed_table_uses_original_columns():
    rng = np.random.default_rng(0)
    n = 200
    X = pd.DataFrame({"age": rng.choice([18, 22, 30, 45, 60], n), "sex": rng.choice(["F", "M"], n),
                      "priors>3": rng.random(n) < 0.3})
    y = np.where((X["age"] <= 22) | X["priors>3"], "yes", "no")
    model = RuleListClassifier(c=0.01, max_card=1, min_support=0.0).fit(X, y)
    assert model.certificate_.is_optimal
    assert model.score(X, y) == 1.0
    columns = {cond.column for rule in model.rules_ for cond in rule.conditions}
    assert columns <= {"age", "sex", "priors>3"}
    text = str(model)
    assert "priors>3" in text and "age <=" in text and "certified optimal" in text
    explanation = model.explain(X.iloc[:20])
    frame = explanation.to_frame()
    assert list(frame.columns[:4]) == ["row", "rule", "rule_text", "prediction"]
    np.testing.assert_array_equal(frame["prediction"], model.predict(X.iloc[:20]))
    for row, text in zip(explanation.rows, explanation.texts):
        if row["rule"] <= len(model.rules_):
            assert text == f"rule {row['rule']} fired: {row['rule_text']} -> {row['prediction']}"
        else:
            assert text == f"no rule fired, default -> {row['prediction']}"


def test_predict_uses_rule_labels_and_ties_predict_class_one():
    X = pd.DataFrame({"a": [1, 1, 0, 0, 0, 0, 0, 0]})
    y = np.array([0, 1, 0, 0, 0, 0, 0, 1])
    model = RuleListClassifier(c=0.001, max_card=1, min_support=0.0).fit(X, y)
    tie_rules = [r for r in model.rules_ if r.probability == 0.5]
    for rule in tie_rules:
        assert rule.prediction == 1
    proba = model.predict_proba(X)
    assert proba.shape == (8, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_round_trip_predicts_identically(tmp_path):
    X, y = random_problem(3, n=80, m=6)
    labels = np.where(y == 1, "yes", "no")
    model = RuleListClassifier(c=0.02, max_card=2, min_support=0.0).fit(X, labels)
    again = glassbox.from_dict(json.loads(json.dumps(model.to_dict())))
    assert isinstance(again, RuleListClassifier)
    np.testing.assert_array_equal(again.predict(X), model.predict(X))
    np.testing.assert_allclose(again.predict_proba(X), model.predict_proba(X))
    assert again.rules_ == model.rules_
    assert again.certificate_ == model.certificate_
    assert str(again) == str(model)
    model.to_json(tmp_path / "rules.json")
    loaded = glassbox._base.load(tmp_path / "rules.json")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_rule_dataclass_round_trip():
    rule = Rule((Condition("age", "<=", 20), Condition("priors>3", "is_true")), 1, 10, 7, 0.7)
    assert Rule.from_dict(json.loads(json.dumps(rule.to_dict()))) == rule
    assert rule.name == "age <= 20 and priors>3"


def test_bad_input_is_rejected_with_clear_errors():
    X, y = random_problem(0, n=30, m=3)
    bad = X.astype(float)
    bad.iloc[4, 1] = np.nan
    with pytest.raises(ValueError, match="a1"):
        RuleListClassifier().fit(bad, y)
    with pytest.raises(ValueError, match="binary"):
        RuleListClassifier().fit(X, np.arange(30) % 3)
    with pytest.raises(ValueError, match="one class"):
        RuleListClassifier().fit(X, np.zeros(30))
    with pytest.raises(ValueError, match="c"):
        RuleListClassifier(c=0.0).fit(X, y)
    with pytest.raises(ValueError, match="policy"):
        RuleListClassifier(policy="random").fit(X, y)


def test_test_instance_is_fast_and_fits_blobs():
    from sklearn.datasets import make_blobs

    X, y = make_blobs(n_samples=120, centers=2, random_state=0)
    model = RuleListClassifier._test_instance().fit(X, y)
    assert model.score(X, y) > 0.9
    assert model.certificate_.seconds < 5


def test_compas_c_0015_matches_corels(data_home):
    from glassbox.datasets import load_corels_format

    data = load_corels_format(data_home / "corels" / "compas_train")
    model = RuleListClassifier(c=0.015, max_card=1, min_support=0.0).fit(data.data, data.target)
    assert model.certificate_.is_optimal
    assert model.certificate_.objective == pytest.approx(0.37797, abs=5e-6)
    assert len(model.rules_) == 2


def test_cli_fit_rules_prints_list_and_certificate(tmp_path, capsys):
    from glassbox.cli import main

    X, y = random_problem(2, n=60, m=4)
    table = X.astype(int).assign(label=np.where(y == 1, "yes", "no"))
    path = tmp_path / "data.csv"
    table.to_csv(path, index=False)
    assert main(["fit", "rules", str(path), "--target", "label", "--c", "0.02",
                 "--max-card", "1", "--min-support", "0"]) == 0
    out = capsys.readouterr().out
    assert "Rule list" in out and "certified optimal" in out
