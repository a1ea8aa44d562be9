"""SparseTreeClassifier: certifiably optimal sparse decision trees."""

from __future__ import annotations

import numbers

import numpy as np

from glassbox._base import (
    Certificate,
    Condition,
    Explanation,
    GlassboxClassifier,
    Interval,
    Rendering,
    SearchBudget,
    conjunction_name,
)
from glassbox.trees._search import (
    UNLIMITED,
    SearchStopped,
    TreeSpace,
    child_depth,
    tree_objective,
)

# A leaf whose training samples split evenly predicts class 1; its probability
# is nudged by this much so that argmax(predict_proba) agrees with predict.
_TIE_NUDGE = 1e-9


def evaluate_features(X, conditions) -> np.ndarray:
    """Bool matrix (n_rows, n_conditions): which rows satisfy which feature."""
    if not conditions:
        return np.zeros((len(X), 0), dtype=bool)
    return np.column_stack([c.evaluate(X) for c in conditions]).astype(bool)


def greedy_tree(space: TreeSpace, depth: int):
    """A quick incumbent: split on the feature that removes the most errors, while it pays."""

    def grow(rows, remaining):
        positive = int(space.y[rows].sum())
        n = int(rows.sum())
        label = int(2 * positive >= n)
        leaf_errors = min(positive, n - positive)
        if remaining == 0 or leaf_errors == 0:
            return ("leaf", label)
        best_gain, best_feature = 0, -1
        for j in range(space.n_features):
            side = space.Z[:, j]
            errors = 0
            for part in (rows & side, rows & ~side):
                part_positive = int(space.y[part].sum())
                errors += min(part_positive, int(part.sum()) - part_positive)
            gain = (leaf_errors - errors) * space.error_cost - space.leaf_cost
            if gain > best_gain and (rows & side).any() and (rows & ~side).any():
                best_gain, best_feature = gain, j
        if best_feature < 0:
            return ("leaf", label)
        side = space.Z[:, best_feature]
        sub = child_depth(remaining)
        return ("split", best_feature, grow(rows & side, sub), grow(rows & ~side, sub))

    return grow(np.ones(space.n_samples, dtype=bool), depth)


def condition_tree(index_tree, space: TreeSpace, conditions, rows=None) -> dict:
    """A feature-index tree as nested dicts of Conditions with training counts per leaf."""
    rows = np.ones(space.n_samples, dtype=bool) if rows is None else rows
    if index_tree[0] == "leaf":
        return {"prediction": int(index_tree[1]), "n_samples": int(rows.sum()),
                "n_positive": int(space.y[rows].sum())}
    _, feature, if_true, if_false = index_tree
    side = space.Z[:, feature]
    return {"condition": conditions[feature],
            "if_true": condition_tree(if_true, space, conditions, rows & side),
            "if_false": condition_tree(if_false, space, conditions, rows & ~side)}


def _leaf_probability(leaf: dict) -> float:
    if leaf["n_samples"] == 0:
        return float(leaf["prediction"])
    share = leaf["n_positive"] / leaf["n_samples"]
    if share == 0.5:
        share += _TIE_NUDGE if leaf["prediction"] == 1 else -_TIE_NUDGE
    return share


def _leaves_with_paths(node, path=()):
    """Yield ``(path, leaf)``; a path is a tuple of (condition, satisfied) steps."""
    if "condition" not in node:
        yield path, node
        return
    yield from _leaves_with_paths(node["if_true"], path + ((node["condition"], True),))
    yield from _leaves_with_paths(node["if_false"], path + ((node["condition"], False),))


def _path_conditions(path) -> tuple:
    return tuple(c if satisfied else c.negate() for c, satisfied in path)


class SparseTreeClassifier(GlassboxClassifier):
    """Certifiably optimal sparse decision tree (GOSDT-style branch and bound).

    Minimizes ``misclassification rate + regularization x leaves`` over all
    binary decision trees on binary features, by dynamic programming over
    subproblems (the set of samples a node captures, as a packed bit vector)
    with the equivalent-points bound, one-step lookahead and sibling bounds.
    Objectives are compared in exact integer arithmetic. 0/1 and boolean
    columns are used as they are; other columns go through
    :class:`glassbox.features.Binarizer` (quantile thresholds, one feature per
    category level).

    Parameters
    ----------
    regularization : float, default=0.01
        Cost of each leaf, in units of training misclassification rate. A split
        must remove more than ``regularization x n_samples`` errors to pay.
    max_depth : int or None, default=None
        Most levels of splits on any path (``max_depth=3``: up to 8 leaves).
        None: no limit.
    time_limit : float or None, default=None
        Seconds. When reached, the best tree found (a greedy tree) is returned
        with a ``"time_limit"`` certificate and a proven lower bound.
    node_limit : int or None, default=None
        Most subproblems to solve.
    memory_limit : float or None, default=None
        Megabytes of memory growth allowed.
    n_thresholds : int, default=8
        Thresholds per numeric column (given to the Binarizer).
    verbose : int, default=0
        Progress lines on stderr when >= 1.

    Attributes
    ----------
    tree_ : dict
        The tree as nested dicts: a split is ``{"condition": Condition,
        "if_true": node, "if_false": node}``; a leaf is ``{"prediction": k,
        "n_samples": n, "n_positive": m}`` (``k`` indexes ``classes_``).
    objective_ : float
        Training objective of ``tree_``.
    certificate_ : Certificate
        ``"optimal"`` when the search was exhausted.
    features_ : list of Condition
        The binary features the search used, over the original columns.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]] * 5)
    >>> y = X[:, 0] ^ X[:, 1]
    >>> tree = SparseTreeClassifier(regularization=0.01).fit(X, y)
    >>> tree.certificate_.status, tree.score(X, y)
    ('optimal', 1.0)
    """

    _parameter_constraints = {
        "regularization": [Interval(numbers.Real, 0, None, closed="left")],
        "max_depth": [None, Interval(numbers.Integral, 0, None, closed="left")],
        "time_limit": [None, Interval(numbers.Real, 0, None, closed="neither")],
        "node_limit": [None, Interval(numbers.Integral, 1, None, closed="left")],
        "memory_limit": [None, Interval(numbers.Real, 0, None, closed="neither")],
        "n_thresholds": [Interval(numbers.Integral, 1, None, closed="left")],
        "verbose": ["verbose"],
    }
    _fitted_attributes = ("tree_", "certificate_")

    def __init__(self, *, regularization=0.01, max_depth=None, time_limit=None,
                 node_limit=None, memory_limit=None, n_thresholds=8, verbose=0):
        self.regularization = regularization
        self.max_depth = max_depth
        self.time_limit = time_limit
        self.node_limit = node_limit
        self.memory_limit = memory_limit
        self.n_thresholds = n_thresholds
        self.verbose = verbose

    @classmethod
    def _test_instance(cls):
        return cls(max_depth=3, n_thresholds=4, node_limit=20000)

    # -- fitting --------------------------------------------------------------
    def _search_space(self, X, y) -> tuple[TreeSpace, list]:
        """The exact search space of this estimator's parameters on validated (X, y).

        0/1 and boolean columns become one feature each (``is_true``); other
        columns go through the Binarizer.
        """
        values = X.to_numpy()
        if values.dtype.kind in "biu" and ((values == 0) | (values == 1)).all():
            # every column already 0/1: the features are the columns themselves
            varying = values.min(axis=0) != values.max(axis=0)
            conditions = [Condition(str(c), "is_true") for c in X.columns[varying]]
            Z = values[:, varying].astype(bool)
        else:
            from glassbox.features import Binarizer

            conditions = list(Binarizer(n_thresholds=self.n_thresholds).fit(X).conditions_)
            Z = evaluate_features(X, conditions)
        return TreeSpace(Z, y, self.regularization), conditions

    @property
    def _depth(self) -> int:
        return UNLIMITED if self.max_depth is None else int(self.max_depth)

    def _fit(self, X, y):
        space, conditions = self._search_space(X, y)
        with SearchBudget(time_limit=self.time_limit, node_limit=self.node_limit,
                          memory_limit=self.memory_limit, verbose=self.verbose,
                          name="SparseTreeClassifier") as budget:
            space.budget = budget
            try:
                best = space.optimum(space.root, self._depth)
                index_tree = space.optimal_tree(space.root, self._depth)
                status, lower = "optimal", best
            except SearchStopped as stop:
                status = str(stop)
                index_tree = greedy_tree(space, self._depth)
                best = tree_objective(space, index_tree)
                lower = space.lower_bound()
            finally:
                space.budget = None
            self.certificate_ = budget.certificate(status, space.to_float(best),
                                                   space.to_float(lower), space.nodes)
        self._set_tree(index_tree, space, conditions)
        return self

    def _set_tree(self, index_tree, space: TreeSpace, conditions) -> None:
        self.features_ = list(conditions)
        self.tree_ = condition_tree(index_tree, space, conditions)
        self.objective_ = space.to_float(tree_objective(space, index_tree))

    # -- prediction -------------------------------------------------------------
    def _leaf_of_rows(self, X):
        """For every row: its leaf dict and its path (list of (condition, satisfied))."""
        n = len(X)
        leaves, paths = [None] * n, [None] * n
        stack = [(self.tree_, np.arange(n), ())]
        while stack:
            node, rows, path = stack.pop()
            if "condition" not in node:
                for r in rows:
                    leaves[r], paths[r] = node, path
                continue
            satisfied = node["condition"].evaluate(X.iloc[rows]) if len(rows) else \
                np.zeros(0, dtype=bool)
            stack.append((node["if_true"], rows[satisfied], path + ((node["condition"], True),)))
            stack.append((node["if_false"], rows[~satisfied],
                          path + ((node["condition"], False),)))
        return leaves, paths

    def _predict_proba(self, X):
        leaves, _ = self._leaf_of_rows(X)
        positive = np.array([_leaf_probability(leaf) for leaf in leaves], dtype=float)
        return np.column_stack([1.0 - positive, positive])

    def _predict_index(self, X):
        leaves, _ = self._leaf_of_rows(X)
        return np.array([leaf["prediction"] for leaf in leaves], dtype=np.intp)

    def decision_regions(self) -> list[tuple[tuple[Condition, ...], int]]:
        """Each leaf as ``(conditions on its path, class index)``.

        Conditions of false branches are negated, so a row is in a region iff
        it satisfies all its conditions; the regions partition the input space.
        """
        self._check_fitted()
        return [(_path_conditions(path), leaf["prediction"])
                for path, leaf in _leaves_with_paths(self.tree_)]

    @property
    def n_leaves_(self) -> int:
        self._check_fitted()
        return sum(1 for _ in _leaves_with_paths(self.tree_))

    # -- rendering and JSON ---------------------------------------------------------
    def _to_state(self) -> dict:
        return {"tree": self.tree_, "features": list(self.features_),
                "objective": self.objective_, "certificate": self.certificate_}

    def _set_state(self, state: dict) -> None:
        from glassbox._base import Certificate

        self.tree_ = _tree_from_json(state["tree"])
        self.features_ = [Condition.from_dict(c) for c in state["features"]]
        self.objective_ = float(state["objective"])
        self.certificate_ = Certificate.from_dict(state["certificate"])

    def _label(self, index) -> str:
        classes = getattr(self, "classes_", None)
        return str(classes[index]) if classes is not None else str(index)

    def _render(self, state: dict) -> Rendering:
        tree = _tree_from_json(state["tree"])
        body, rows = [], []

        def leaf_text(leaf):
            share = leaf["n_positive"] / leaf["n_samples"] if leaf["n_samples"] else 0.0
            return (f"predict {self._label(leaf['prediction'])}  "
                    f"({leaf['n_samples']} samples, {share:.0%} {self._label(1)})")

        def walk(node, indent):
            pad = "    " * indent
            if "condition" not in node:
                body.append(pad + leaf_text(node))
                return
            body.append(f"{pad}if {node['condition'].name}:")
            walk(node["if_true"], indent + 1)
            body.append(f"{pad}else:  # {node['condition'].negate().name}")
            walk(node["if_false"], indent + 1)

        walk(tree, 1)
        for k, (path, leaf) in enumerate(_leaves_with_paths(tree), start=1):
            share = leaf["n_positive"] / leaf["n_samples"] if leaf["n_samples"] else 0.0
            rows.append([k, conjunction_name(_path_conditions(path)),
                         self._label(leaf["prediction"]), leaf["n_samples"], share])
        certificate = state["certificate"]
        footer = [f"objective {float(state['objective']):.6g} = error rate + "
                  f"{self.regularization} x {len(rows)} leaves",
                  str(Certificate.from_dict(certificate))]
        return Rendering(title=f"SparseTreeClassifier ({len(rows)} leaves)",
                         columns=["leaf", "rule", "prediction", "samples",
                                  f"share {self._label(1)}"],
                         rows=rows, header=[], footer=footer, body=body)

    def _explain(self, X) -> Explanation:
        leaves, paths = self._leaf_of_rows(X)
        records, texts, details = [], [], []
        for i, (leaf, path) in enumerate(zip(leaves, paths)):
            label = self._label(leaf["prediction"])
            steps = [{"step": k + 1, "condition": c.name, "satisfied": bool(sat)}
                     for k, (c, sat) in enumerate(path)]
            rule = conjunction_name(_path_conditions(path))
            records.append({"row": i, "prediction": label, "leaf_rule": rule,
                            "depth": len(path), "leaf_samples": leaf["n_samples"],
                            "probability": _leaf_probability(leaf)})
            reasons = ", ".join(f"{c.name} is {'true' if sat else 'false'}" for c, sat in path)
            texts.append(f"Row {i}: {reasons or 'no split'} -> predict {label} "
                         f"(leaf of {leaf['n_samples']} training samples)")
            details.append(steps)
        return Explanation(type(self).__name__, records, texts, details)


def _tree_from_json(node) -> dict:
    if "condition" not in node:
        return {"prediction": int(node["prediction"]), "n_samples": int(node["n_samples"]),
                "n_positive": int(node["n_positive"])}
    condition = node["condition"]
    if not isinstance(condition, Condition):
        condition = Condition.from_dict(condition)
    return {"condition": condition, "if_true": _tree_from_json(node["if_true"]),
            "if_false": _tree_from_json(node["if_false"])}


def fitted_tree(estimator: SparseTreeClassifier, index_tree, space: TreeSpace, conditions,
                classes, feature_names_in=None, certificate=None) -> SparseTreeClassifier:
    """A fitted SparseTreeClassifier holding a given tree (a member of a Rashomon set)."""
    from glassbox._base import Certificate

    model = SparseTreeClassifier(**estimator.get_params(deep=False))
    model.classes_ = np.asarray(classes)
    model.n_features_in_ = estimator.n_features_in_
    if feature_names_in is not None:
        model.feature_names_in_ = feature_names_in
    model._set_tree(index_tree, space, conditions)
    model.certificate_ = certificate or Certificate(
        "heuristic", model.objective_, float("-inf"), 0, 0.0)
    return model


__all__ = ["SparseTreeClassifier"]
