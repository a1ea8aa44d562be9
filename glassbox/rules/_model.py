"""RuleListClassifier: certifiably optimal rule lists, and enumeration of near-optimal ones."""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from sklearn.base import clone

from glassbox._base import (
    Certificate,
    Condition,
    Explanation,
    GlassboxClassifier,
    Interval,
    Rendering,
    SearchBudget,
    StrOptions,
    check_target,
    conjunction_name,
    evaluate_conjunction,
)
from glassbox._bitset import popcount, unpack_rows
from glassbox.rules import _search

__all__ = ["Rule", "RuleListClassifier", "enumerate_rule_lists"]


@dataclass(frozen=True)
class Rule:
    """One ``if <conditions> then <prediction>`` line of a rule list.

    Parameters
    ----------
    conditions : tuple of Condition
        All must hold for the rule to fire (on rows no earlier rule captured).
    prediction : int
        Class index (0 or 1, into ``classes_``): the majority label of the
        training rows the rule captures; ties predict 1.
    n_captured : int
        Training rows the rule captures (not captured by earlier rules).
    n_correct : int
        Of those, rows whose label equals ``prediction``.
    probability : float
        Fraction of class ``classes_[1]`` among the captured training rows.
    """

    conditions: tuple
    prediction: int
    n_captured: int
    n_correct: int
    probability: float

    @property
    def name(self) -> str:
        return conjunction_name(self.conditions)

    def to_dict(self) -> dict:
        return {"conditions": [c.to_dict() for c in self.conditions],
                "prediction": int(self.prediction), "n_captured": int(self.n_captured),
                "n_correct": int(self.n_correct), "probability": float(self.probability)}

    @classmethod
    def from_dict(cls, data: dict) -> Rule:
        return cls(tuple(Condition.from_dict(c) for c in data["conditions"]),
                   int(data["prediction"]), int(data["n_captured"]), int(data["n_correct"]),
                   float(data["probability"]))


class _Antecedents:
    """The mined antecedents of a training table, as a search problem plus their Conditions."""

    def __init__(self, estimator, X, y, *, deduplicate):
        from glassbox.features import Binarizer, mine_antecedents

        binarizer = Binarizer(n_thresholds=estimator.n_thresholds, directions="both").fit(X)
        Z = binarizer.transform(X)
        mined = mine_antecedents(Z, max_card=estimator.max_card,
                                 min_support=estimator.min_support,
                                 include_negations=estimator.include_negations,
                                 conditions=binarizer.conditions_)
        bits = mined.bits
        index = np.arange(len(bits))
        if deduplicate and len(bits):
            # Antecedents capturing the same rows are interchangeable for the optimum; keep the
            # first (fewest literals), which shrinks the search without changing its result.
            _, first = np.unique(bits, axis=0, return_index=True)
            index = np.sort(first)
        self.conditions = [tuple(mined.conditions(m)) for m in index]
        self.problem = _search.Problem.from_bits(bits[index], y)


def _majority(n_positive: int, n_total: int) -> int:
    return int(n_positive * 2 >= n_total)


class RuleListClassifier(GlassboxClassifier):
    """Certifiably optimal rule list (CORELS objective and bounds).

    A rule list reads ``if A1 then y1 elif A2 then y2 ... else y0``; each
    antecedent ``Ak`` is a conjunction of at most ``max_card`` boolean
    conditions on the input columns. Among all such lists over the mined
    antecedents it finds one minimizing

    ``misclassification rate + c * (number of rules)``

    (the default ``else`` is not counted), where each rule predicts the
    majority label of the training rows it captures and the default the
    majority of the rest (ties predict ``classes_[1]``). Branch and bound proves
    optimality; see the user guide for the bounds.

    Parameters
    ----------
    c : float in (0, 1], default=0.01
        Cost of each rule, in misclassification rate: a rule is worth adding
        only if it fixes more than ``c * n_samples`` errors.
    max_card : int, default=2
        Most conditions per antecedent.
    min_support : float in [0, 0.5], default=0.01
        Antecedents capturing less than this fraction of the rows (or more than
        ``1 - min_support``) are not mined; ``0.0`` keeps every one, so with
        ``max_card=1`` each boolean column is exactly one antecedent.
    include_negations : bool, default=False
        Also mine negated conditions.
    n_thresholds : int, default=8
        Thresholds per numeric column (``x <= t`` and ``x > t``), see
        :class:`glassbox.features.Binarizer`. Boolean / 0-1 columns are used as
        they are; text columns give one condition per level.
    policy : {"lower_bound", "bfs", "curiosity", "objective", "dfs"}, default="lower_bound"
        Order in which the search explores prefixes. All reach the same
        optimum; ``"lower_bound"`` (best bound first) usually certifies fastest
        and keeps the best lower bound when stopped early.
    time_limit : float or None, default=None
        Seconds.
    node_limit : int or None, default=None
        Prefixes expanded.
    memory_limit : float or None, default=None
        Megabytes held by the search queue and the permutation map.
    method : {"optimal", "greedy"}, default="optimal"
        ``"greedy"`` appends the rule that lowers the objective most while one
        does: fast, no certificate (status ``"heuristic"``).
    verbose : int, default=0
        Progress lines on stderr during the search.

    Attributes
    ----------
    rules_ : list of Rule
        The rules, in order.
    default_prediction_ : int
        Class index predicted when no rule fires.
    default_probability_ : float
        Fraction of ``classes_[1]`` among training rows no rule captures.
    certificate_ : Certificate
        Status (``"optimal"`` only when the search space was exhausted),
        objective, proven lower bound and gap, nodes, seconds.
    n_antecedents_ : int
        Antecedents searched over.
    classes_ : ndarray of shape (2,)
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when fitted on a DataFrame.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"priors>3": [1, 1, 0, 0, 1, 0], "young": [1, 0, 1, 0, 0, 0]})
    >>> y = [1, 1, 1, 0, 1, 0]
    >>> model = RuleListClassifier(c=0.05, max_card=1, min_support=0.0).fit(X, y)
    >>> [r.name for r in model.rules_], model.certificate_.status
    (['priors>3', 'young'], 'optimal')
    >>> model.predict(X).tolist()
    [1, 1, 1, 0, 1, 0]
    """

    _parameter_constraints = {
        "c": [Interval(Real, 0, 1, closed="right")],
        "max_card": [Interval(Integral, 1, None, closed="left")],
        "min_support": [Interval(Real, 0, 0.5, closed="both")],
        "include_negations": ["boolean"],
        "n_thresholds": [Interval(Integral, 1, None, closed="left")],
        "policy": [StrOptions(set(_search.POLICIES))],
        "time_limit": [Interval(Real, 0, None, closed="neither"), None],
        "node_limit": [Interval(Integral, 1, None, closed="left"), None],
        "memory_limit": [Interval(Real, 0, None, closed="neither"), None],
        "method": [StrOptions({"optimal", "greedy"})],
        "verbose": ["verbose"],
    }
    _fitted_attributes = ("rules_", "default_prediction_", "certificate_")
    # Kernel backend ("auto", "numba", "numpy"); benchmarks and tests set it per instance.
    _backend = "auto"

    def __init__(self, *, c=0.01, max_card=2, min_support=0.01, include_negations=False,
                 n_thresholds=8, policy="lower_bound", time_limit=None, node_limit=None,
                 memory_limit=None, method="optimal", verbose=0):
        self.c = c
        self.max_card = max_card
        self.min_support = min_support
        self.include_negations = include_negations
        self.n_thresholds = n_thresholds
        self.policy = policy
        self.time_limit = time_limit
        self.node_limit = node_limit
        self.memory_limit = memory_limit
        self.method = method
        self.verbose = verbose

    @classmethod
    def _test_instance(cls):
        return cls(c=0.01, max_card=1, n_thresholds=4, node_limit=300, time_limit=2.0)

    # -- fitting -------------------------------------------------------------
    def _fit(self, X, y):
        antecedents = _Antecedents(self, X, y, deduplicate=True)
        problem = antecedents.problem
        lam = self.c * problem.n_samples
        with SearchBudget(time_limit=self.time_limit, node_limit=self.node_limit,
                          memory_limit=self.memory_limit, verbose=self.verbose,
                          name="rule list") as budget:
            start = _search.greedy(problem, lam, backend=self._backend)
            if self.method == "greedy":
                prefix, score = start
                result = _search.SearchResult(prefix, score, problem.n_minority, "heuristic", 0)
            else:
                result = _search.branch_and_bound(problem, lam, budget, policy=self.policy,
                                                  incumbent=start[0], backend=self._backend)
            n = problem.n_samples
            self.certificate_ = budget.certificate(result.status, result.score / n,
                                                   result.lower_bound / n, result.nodes)
        self.n_antecedents_ = problem.n_antecedents
        self._set_rules(antecedents, result.prefix)
        return self

    def _set_rules(self, antecedents: _Antecedents, prefix) -> None:
        """Fill rules_ and the default rule from a prefix of antecedent indices."""
        problem = antecedents.problem
        n = problem.n_samples
        labels = unpack_rows(problem.label_bits, n)
        free = np.ones(n, dtype=bool)
        rules = []
        for j in prefix:
            captured = unpack_rows(problem.ant_bits[j], n) & free
            free &= ~captured
            n_captured, n_positive = int(captured.sum()), int(labels[captured].sum())
            prediction = _majority(n_positive, n_captured)
            n_correct = n_positive if prediction else n_captured - n_positive
            rules.append(Rule(antecedents.conditions[j], prediction, n_captured, n_correct,
                              n_positive / n_captured))
        n_rest, n_rest_positive = int(free.sum()), int(labels[free].sum())
        self.rules_ = rules
        self.default_prediction_ = _majority(n_rest_positive, n_rest)
        self.default_probability_ = (n_rest_positive / n_rest if n_rest
                                     else float(popcount(problem.label_bits)) / n)

    # -- prediction ------------------------------------------------------------
    def _rule_index(self, X) -> np.ndarray:
        """For each row, the index of the first rule that fires (len(rules_) = default)."""
        fired = np.full(len(X), len(self.rules_), dtype=np.intp)
        open_rows = np.ones(len(X), dtype=bool)
        for k, rule in enumerate(self.rules_):
            hit = open_rows & evaluate_conjunction(rule.conditions, X)
            fired[hit] = k
            open_rows &= ~hit
        return fired

    def _predict_proba(self, X) -> np.ndarray:
        p1 = np.array([r.probability for r in self.rules_] + [self.default_probability_])
        p = p1[self._rule_index(X)]
        return np.column_stack([1.0 - p, p])

    def _predict_index(self, X) -> np.ndarray:
        labels = np.array([r.prediction for r in self.rules_] + [self.default_prediction_],
                          dtype=np.intp)
        return labels[self._rule_index(X)]

    # -- state, rendering, explanation --------------------------------------------
    def _to_state(self) -> dict:
        return {"rules": [r.to_dict() for r in self.rules_],
                "default_prediction": int(self.default_prediction_),
                "default_probability": float(self.default_probability_),
                "certificate": self.certificate_.to_dict(),
                "n_antecedents": int(getattr(self, "n_antecedents_", 0)),
                "class_names": [str(v) for v in self.classes_], "c": float(self.c)}

    def _set_state(self, state: dict) -> None:
        self.rules_ = [Rule.from_dict(r) for r in state["rules"]]
        self.default_prediction_ = int(state["default_prediction"])
        self.default_probability_ = float(state["default_probability"])
        self.certificate_ = Certificate.from_dict(state["certificate"])
        self.n_antecedents_ = int(state["n_antecedents"])

    def _render(self, state: dict) -> Rendering:
        names = state["class_names"]
        rules = [Rule.from_dict(r) for r in state["rules"]]
        rows, body = [], []
        for k, rule in enumerate(rules):
            keyword = "if" if k == 0 else "else if"
            body.append(f"{keyword} {rule.name} then {names[rule.prediction]}"
                        f"   (P({names[1]}) = {rule.probability:.2f}, {rule.n_correct}/"
                        f"{rule.n_captured} correct)")
            rows.append([k + 1, rule.name, names[rule.prediction], rule.probability,
                         rule.n_captured, rule.n_correct])
        default = names[state["default_prediction"]]
        body.append(f"else {default}   (P({names[1]}) = {state['default_probability']:.2f})"
                    if rules else f"always {default}")
        rows.append([len(rules) + 1, "else (default)", default, state["default_probability"],
                     None, None])
        certificate = Certificate.from_dict(state["certificate"])
        return Rendering(
            title=f"Rule list ({len(rules)} rule{'s' * (len(rules) != 1)} + default)",
            columns=["rule", "if", "then", f"P({names[1]})", "captured", "correct"],
            rows=rows, body=body,
            header=[f"objective = error rate + {state['c']:g} x rules"],
            footer=[str(certificate)])

    def _explain(self, X) -> Explanation:
        fired = self._rule_index(X)
        names = [str(v) for v in self.classes_]
        labels = self._predict_index(X)
        proba = self._predict_proba(X)[:, 1]
        rows, texts = [], []
        for i, (k, label, p) in enumerate(zip(fired.tolist(), labels.tolist(), proba.tolist())):
            is_default = k == len(self.rules_)
            text = "default" if is_default else self.rules_[k].name
            rows.append({"row": i, "rule": k + 1, "rule_text": text,
                         "prediction": names[label], "probability": p})
            texts.append(f"no rule fired, default -> {names[label]}" if is_default
                         else f"rule {k + 1} fired: {text} -> {names[label]}")
        return Explanation(type(self).__name__, rows, texts)


def enumerate_rule_lists(estimator, X, y, objective_bound, max_models=100000):
    """Every rule list whose objective is at most ``objective_bound``, best first.

    The model class is the estimator's (its ``c``, ``max_card``,
    ``min_support``, ``include_negations``, ``n_thresholds``): ordered lists of
    distinct mined antecedents, each capturing at least one training row that
    no earlier rule captured, rules predicting the majority label of what they
    capture (ties: ``classes_[1]``), the default the majority of the rest. Two
    orders of the same antecedents are two lists, even when they predict the
    same; a rule predicting the same label as the default is still a rule. Lists
    with a rule capturing no new training row are left out (they only add
    ``c``). Antecedents are not deduplicated: two antecedents capturing the same
    rows give distinct lists.

    Parameters
    ----------
    estimator : RuleListClassifier
        Supplies the parameters; it is not fitted or modified.
    X : table of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        Two classes.
    objective_bound : float
        Inclusive (up to 1e-9 in error counts, so lists exactly on the bound are kept).
    max_models : int, default=100000
        A ValueError is raised when more lists than this qualify.

    Returns
    -------
    lists : list of (float, RuleListClassifier)
        ``(objective, fitted model)`` sorted by objective, then by length. Each
        model's certificate is ``"heuristic"`` with its own objective.
    """
    if not isinstance(estimator, RuleListClassifier):
        raise TypeError(f"enumerate_rule_lists needs a RuleListClassifier, got "
                        f"{type(estimator).__name__}.")
    template = clone(estimator)
    template._validate_params()
    frame = template._validate_input(X, reset=True)
    classes, y_index = check_target(y, template, len(frame), binary_only=True)
    template.classes_ = classes
    antecedents = _Antecedents(template, frame, y_index, deduplicate=False)
    problem = antecedents.problem
    n = problem.n_samples
    lam = template.c * n
    found = _search.enumerate_prefixes(problem, lam, float(objective_bound) * n,
                                       max_models=max_models)
    out = []
    for score, prefix in found:
        model = clone(template)
        for name in ("n_features_in_", "feature_names_in_", "classes_"):
            if hasattr(template, name):
                setattr(model, name, getattr(template, name))
        model.n_antecedents_ = problem.n_antecedents
        model.certificate_ = Certificate("heuristic", score / n, problem.n_minority / n)
        model._set_rules(antecedents, prefix)
        out.append((score / n, model))
    return out
