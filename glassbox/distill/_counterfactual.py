"""Nearest counterfactuals: the cheapest change of an input that changes the prediction.

* Trees (sklearn ``DecisionTreeClassifier``, glassbox ``SparseTreeClassifier``) and rule
  lists: every region of the target class is a conjunction of conditions; the cheapest
  point of a region is the coordinate-wise projection of ``x`` (the cost is separable),
  so the minimum over regions is exact.
* Score cards (``RiskScoreClassifier`` on raw columns): a small mixed-integer program
  solved by SCIP.
* Anything else: candidates from a distilled surrogate tree and from reference rows,
  every one checked against the model itself; an answer is returned only if the model
  agrees (``valid=False`` otherwise).
"""

from __future__ import annotations

import functools
import math
import weakref
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

from glassbox._base import Condition
from glassbox.distill._distiller import Distiller
from glassbox.distill._kernels import box_costs_numpy, get_nearest_box
from glassbox.distill._sampler import inside_float32, leaf_boxes
from glassbox.distill._teacher import logit_of, one_blas_thread


@dataclass
class Counterfactual:
    """The answer of :func:`counterfactual`.

    Attributes
    ----------
    x_cf : pandas.Series or None
        The counterfactual input (None when none was found).
    cost : float
        Its cost (L1, or L1 in units of each feature's MAD).
    changes : dict
        ``{column: (old, new)}`` for every changed column.
    valid : bool
        The model itself predicts ``target`` for ``x_cf``.
    target : object
        The class the counterfactual reaches (or was asked for, when none was found).
    method : str
        ``"exact tree"``, ``"exact rule list"``, ``"exact MIP"`` or ``"surrogate search"``.
    """

    values: np.ndarray | None
    cost: float
    valid: bool
    target: object
    method: str
    names: list = field(default_factory=list)
    original: np.ndarray | None = None

    @property
    def x_cf(self) -> pd.Series | None:
        return None if self.values is None else pd.Series(self.values, index=self.names)

    @property
    def changes(self) -> dict:
        if self.values is None:
            return {}
        return {n: (a, b) for n, a, b in zip(self.names, self.original, self.values)
                if not _same(a, b)}

    def __str__(self) -> str:
        if self.values is None or not self.valid:
            return f"no valid counterfactual reaching {self.target} ({self.method})"
        moves = ", ".join(f"{c}: {_fmt(a)} -> {_fmt(b)}" for c, (a, b) in self.changes.items())
        return f"to get {self.target}: {moves or 'no change'} (cost {self.cost:.4g}, {self.method})"


def _fmt(v):
    return f"{v:.4g}" if isinstance(v, (float, np.floating)) else str(v)


# ---------------------------------------------------------------------------
# Inputs, costs
# ---------------------------------------------------------------------------

def _feature_names(model, n):
    names = getattr(model, "feature_names_in_", None)
    return [str(c) for c in names] if names is not None else list(_default_names(n))


@functools.lru_cache(maxsize=32)
def _default_names(n: int) -> tuple:
    return tuple(f"x{j}" for j in range(n))


def _as_row(model, x) -> tuple[np.ndarray, list]:
    """One input row as (values, column names); values are floats when they can be."""
    if isinstance(x, pd.DataFrame):
        if len(x) != 1:
            raise ValueError(f"x must be one row, got a DataFrame with {len(x)} rows.")
        x = x.iloc[0]
    if isinstance(x, dict):
        x = pd.Series(x)
    if isinstance(x, pd.Series):
        names, values = [str(c) for c in x.index], x.to_numpy()
    else:
        values = np.asarray(x)
        if values.ndim == 2 and values.shape[0] == 1:
            values = values[0]
        if values.ndim != 1:
            raise ValueError(f"x must be one row (1-D), got shape {values.shape}.")
        names = _feature_names(model, len(values))
    try:
        values = values.astype(float)
    except (TypeError, ValueError):
        values = values.astype(object)
    return values, names


@functools.lru_cache(maxsize=32)
def _constant(n: int, value) -> np.ndarray:
    """A read-only array of ``n`` copies of ``value`` (shared: built once per length)."""
    out = np.full(n, value)
    out.flags.writeable = False
    return out


def _weights(names, cost, X_reference) -> np.ndarray:
    if cost == "l1":
        return _constant(len(names), 1.0)
    if cost != "mad":
        raise ValueError(f"cost must be 'l1' or 'mad', got {cost!r}.")
    if X_reference is None:
        raise ValueError("cost='mad' needs X_reference to measure each feature's median "
                         "absolute deviation.")
    return _reference_stats(X_reference, names)["mad_weights"]


# Statistics of reference data, computed once per (live) reference object and column names.
_REFERENCE_CACHE: dict = {}


def _reference_stats(X_reference, names) -> dict:
    key = (id(X_reference), tuple(names))
    cached = _REFERENCE_CACHE.get(key)
    if cached is not None and cached[0]() is X_reference:
        return cached[1]
    ref = _reference_frame(X_reference, names)
    mad_weights, integer = np.ones(len(names)), np.zeros(len(names), dtype=bool)
    for j, name in enumerate(names):
        values = ref[name].to_numpy()
        if values.dtype.kind not in "biuf":
            continue
        values = values.astype(float)
        integer[j] = bool(np.all(values == np.round(values)))
        mad = np.median(np.abs(values - np.median(values)))
        spread = mad if mad > 0 else values.std()
        mad_weights[j] = 1.0 / spread if spread > 0 else 1.0
    levels = {n: list(pd.unique(ref[n])) for n in names if ref[n].dtype.kind not in "biuf"}
    stats = {"mad_weights": mad_weights, "integer": integer, "levels": levels}
    if _weakrefable(X_reference):
        if len(_REFERENCE_CACHE) > 64:
            _REFERENCE_CACHE.clear()
        _REFERENCE_CACHE[key] = (weakref.ref(X_reference), stats)
    return stats


def _reference_frame(X_reference, names) -> pd.DataFrame:
    if isinstance(X_reference, pd.DataFrame):
        frame = X_reference.copy()
        frame.columns = [str(c) for c in frame.columns]
        missing = [n for n in names if n not in frame.columns]
        if missing:
            raise ValueError(f"X_reference lacks the column(s) {missing[:5]}.")
        return frame[names]
    values = np.asarray(X_reference)
    if values.ndim != 2 or values.shape[1] != len(names):
        raise ValueError(f"X_reference must have {len(names)} columns, got shape {values.shape}.")
    return pd.DataFrame(values, columns=names)


def _integer_columns(names, integer, X_reference, model_integer) -> np.ndarray:
    """Which columns only take whole numbers, as a boolean mask.

    In order: the columns named in ``integer``; else those of the model's training data
    (``model_integer``, e.g. a Distiller's integer columns); else the numeric columns of
    ``X_reference`` whose values are all whole; else none. The row being explained never
    decides it: a value that happens to be whole says nothing about its column.
    """
    if integer is not None:
        return _named_columns(integer, names, "integer")
    if model_integer is not None:
        return model_integer
    if X_reference is not None:
        return _reference_stats(X_reference, names)["integer"]
    return _constant(len(names), False)


def _distiller_integer(distiller) -> np.ndarray:
    """The whole-number columns of a Distiller's training data: integer columns, and
    two-valued columns of an integer or boolean dtype."""
    from glassbox.distill._sampler import INTEGER

    coder = distiller._coder
    return np.array([kind == INTEGER or (name not in coder.levels_
                                         and coder.dtypes_[name].kind in "biu")
                     for name, kind in zip(coder.columns_, coder.kinds_)])


def _check_immutable(immutable, names):
    if not immutable:
        return _constant(len(names), False)
    return _named_columns(immutable, names, "immutable")


def _named_columns(columns, names, argument) -> np.ndarray:
    """Mask of ``names`` in the column list an argument gave; unknown names are an error."""
    columns = [columns] if isinstance(columns, str) else [str(c) for c in columns]
    unknown = [c for c in columns if c not in names]
    if unknown:
        raise ValueError(f"{argument} names unknown column(s) {unknown}; columns are "
                         f"{names[:20]}.")
    return np.isin(names, columns)


def _resolve_target(model, prediction_index, target):
    classes = np.asarray(model.classes_)
    if target is None:
        if len(classes) != 2:
            return None  # several classes: any other class, the cheapest
        return 1 - prediction_index
    matches = np.flatnonzero(classes == target)
    if len(matches) == 0:
        raise ValueError(f"target must be one of the model's classes {classes.tolist()}, "
                         f"got {target!r}.")
    return int(matches[0])


def _result(classes, x, names, new_values, cost, target_index, valid, method):
    """A Counterfactual from the new values (array, or {column: value} for some columns)."""
    if isinstance(new_values, dict):
        values = x.copy()
        if values.dtype.kind == "f" and not all(
                isinstance(v, (int, float, np.number)) for v in new_values.values()):
            values = values.astype(object)
        position = {n: j for j, n in enumerate(names)}
        for column, value in new_values.items():
            values[position[column]] = value
    else:
        values = np.asarray(new_values)
    return Counterfactual(values=values, cost=float(cost), valid=bool(valid),
                          target=np.asarray(classes)[target_index], method=method,
                          names=names, original=x)


def _failure(classes, target_index, method, names, x):
    target = None if target_index is None else np.asarray(classes)[target_index]
    return Counterfactual(values=None, cost=math.inf, valid=False, target=target,
                          method=method, names=names, original=x)


def _same(a, b) -> bool:
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return str(a) == str(b)


def _verify(model, values, names, target_index) -> bool:
    frame = pd.DataFrame([values], columns=names)
    data = frame if hasattr(model, "feature_names_in_") else frame.to_numpy()
    try:
        data = data.astype(float)
    except (TypeError, ValueError):
        pass
    predicted = np.asarray(model.predict(data))[0]
    return predicted == np.asarray(model.classes_)[target_index]


# ---------------------------------------------------------------------------
# sklearn trees: all leaves as boxes, projected at once
# ---------------------------------------------------------------------------

_TREE_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class _TreeBoxes:
    """Every leaf of a fitted sklearn tree as a float32-safe closed box, built once per tree.

    A query is then a walk down the tree for the prediction and one kernel call
    (:mod:`glassbox.distill._kernels`) over the leaves of the wanted class, grouped by
    class in advance, with no per-leaf Python.
    """

    def __init__(self, model):
        tree = model.tree_
        leaves, lo, hi = leaf_boxes(tree)
        lo, hi = inside_float32(lo, hi)
        self.lo, self.hi = np.ascontiguousarray(lo), np.ascontiguousarray(hi)
        self.leaf_class = np.argmax(tree.value[leaves, 0, :], axis=1)
        self.by_class = {int(c): np.flatnonzero(self.leaf_class == c).astype(np.int64)
                         for c in range(tree.value.shape[2])}
        self.others = {c: np.flatnonzero(self.leaf_class != c).astype(np.int64)
                       for c in self.by_class}
        self._integer_bounds = {}
        self.position = {int(leaf): k for k, leaf in enumerate(leaves)}
        self.left = tree.children_left.tolist()
        self.right = tree.children_right.tolist()
        self.feature = tree.feature.tolist()
        self.threshold = tree.threshold.tolist()

    def leaf_position(self, x) -> int:
        """Position (in the box arrays) of the leaf holding ``x``: a walk down the tree,
        comparing in float32 as sklearn does."""
        v = x.astype(np.float32).tolist()
        left, right, feature, threshold = self.left, self.right, self.feature, self.threshold
        node = 0
        while left[node] != -1:
            node = left[node] if v[feature[node]] <= threshold[node] else right[node]
        return self.position[node]

    def predict_index(self, x) -> int:
        """Class index of the leaf holding ``x``."""
        return int(self.leaf_class[self.leaf_position(x)])

    def bounds(self, integer):
        """``(lo, hi)`` of every leaf; integer columns (boolean mask, or None for none)
        take the whole numbers inside each box (``lo > hi`` where there are none).
        Cached per mask."""
        if integer is None:
            return self.lo, self.hi
        key = integer.tobytes()
        cached = self._integer_bounds.get(key)
        if cached is None:
            cached = (np.where(integer, np.ceil(self.lo), self.lo),
                      np.where(integer, np.floor(self.hi), self.hi))
            self._integer_bounds[key] = cached
        return cached


def _tree_boxes(model) -> _TreeBoxes:
    cached = _TREE_CACHE.get(model)
    if cached is not None and cached[0] is model.tree_:
        return cached[1]
    boxes = _TreeBoxes(model)
    _TREE_CACHE[model] = (model.tree_, boxes)
    return boxes


def _mask(flags):
    """A boolean column mask, or None when it selects nothing (the common case, skipped)."""
    return flags if np.count_nonzero(flags) else None


def _tree_counterfactual(model, x, names, target, weights, integer, immutable):
    index = _tree_boxes(model)
    prediction = index.predict_index(x)
    target_index = _resolve_target(model, prediction, target)
    rows = index.others[prediction] if target_index is None else index.by_class.get(
        target_index, _NO_ROWS)
    lo, hi = index.bounds(_mask(integer))
    point = np.empty(len(x))
    k, cost = _nearest_box()(x, lo, hi, rows, weights, immutable, point)
    if k < 0:
        return _failure(model.classes_, target_index, "exact tree", names, x)
    return Counterfactual(values=point, cost=float(cost), valid=True,
                          target=model.classes_[index.leaf_class[rows[k]]],
                          method="exact tree", names=names, original=x)


_NO_ROWS = np.zeros(0, dtype=np.int64)


@functools.lru_cache(maxsize=1)
def _nearest_box():
    """The tree counterfactual kernel of the best available backend (resolved once)."""
    return get_nearest_box("auto")


# ---------------------------------------------------------------------------
# Conjunctions of Conditions (glassbox trees and rule lists)
# ---------------------------------------------------------------------------

def _project_column(value, conditions, weight, integer, reference_levels):
    """Cheapest value of one column satisfying all ``conditions`` -> (new value, cost)."""
    lo, lo_strict, hi, hi_strict = -math.inf, False, math.inf, False
    equal, not_equal, truth = None, set(), None
    for c in conditions:
        if c.op in ("<=", "<"):
            if c.value < hi or (c.value == hi and c.op == "<"):
                hi, hi_strict = float(c.value), c.op == "<"
        elif c.op in (">", ">="):
            if c.value > lo or (c.value == lo and c.op == ">"):
                lo, lo_strict = float(c.value), c.op == ">"
        elif c.op == "==":
            if equal is not None and not _same(equal, c.value):
                return None, math.inf
            equal = c.value
        elif c.op == "!=":
            not_equal.add(str(c.value))
        else:
            wanted = c.op == "is_true"
            if truth is not None and truth != wanted:
                return None, math.inf
            truth = wanted
    if truth is not None:
        new = type(value)(truth) if isinstance(value, (bool, np.bool_)) else float(truth)
        return new, 0.0 if bool(value) == truth else weight
    candidates = []
    if equal is not None:
        candidates = [equal]
    elif not_equal and not isinstance(value, (int, float, np.number)):
        candidates = [value] + [v for v in reference_levels if str(v) not in not_equal]
    if candidates:
        for v in candidates:
            if str(v) in not_equal:
                continue
            if isinstance(v, (int, float, np.number)) and not _in_interval(
                    float(v), lo, lo_strict, hi, hi_strict):
                continue
            return v, 0.0 if _same(v, value) else weight * _numeric_distance(value, v)
        return None, math.inf
    x = float(value)
    if integer:
        low = lo if math.isinf(lo) else (lo + 1 if lo_strict and float(lo).is_integer()
                                         else float(math.ceil(lo)))
        high = hi if math.isinf(hi) else (hi - 1 if hi_strict and float(hi).is_integer()
                                          else float(math.floor(hi)))
    else:
        low = np.nextafter(lo, math.inf) if lo_strict else lo
        high = np.nextafter(hi, -math.inf) if hi_strict else hi
    if low > high:
        return None, math.inf
    new = min(max(x, low), high)
    if str(new) in not_equal or (not_equal and _format_in(new, not_equal)):
        return None, math.inf  # a numeric '!=' that binds exactly: rare, treated as infeasible
    return new, weight * abs(new - x)


def _format_in(v, texts):
    from glassbox._base import _format_value

    return _format_value(v) in texts


def _numeric_distance(a, b) -> float:
    try:
        return abs(float(a) - float(b))
    except (TypeError, ValueError):
        return 1.0


def _in_interval(v, lo, lo_strict, hi, hi_strict) -> bool:
    return (v > lo if lo_strict else v >= lo) and (v < hi if hi_strict else v <= hi)


class _ConjunctionProjector:
    def __init__(self, x, names, weights, integer, immutable, levels):
        self.x, self.names = x, names
        self.position = {n: j for j, n in enumerate(names)}
        self.weight = dict(zip(names, weights))
        self.integer = dict(zip(names, integer))
        self.immutable = {n for n, m in zip(names, immutable) if m}
        self.levels = levels

    def project(self, conditions):
        """(new values of the constrained columns, cost) of the cheapest point, or (None, inf)."""
        by_column: dict[str, list[Condition]] = {}
        for c in conditions:
            by_column.setdefault(c.column, []).append(c)
        new, total = {}, 0.0
        for column, conds in by_column.items():
            value, cost = _project_column(self.x[self.position[column]], conds, self.weight[column],
                                          self.integer[column], self.levels.get(column, []))
            if value is None or (cost > 0 and column in self.immutable):
                return None, math.inf
            new[column] = value
            total += cost
        return new, total


def _levels(names, X_reference):
    return {} if X_reference is None else _reference_stats(X_reference, names)["levels"]


def _best_region(projector, regions, wanted):
    best = (None, math.inf, None)
    for conditions, index in regions:
        if not wanted(index):
            continue
        new, cost = projector.project(conditions)
        if cost < best[1]:
            best = (new, cost, index)
    return best


def _rule_list_regions(model, wanted, projector):
    """Exact search over the rule-list regions: rule i's region is its conditions and, for
    every earlier rule, one of that rule's conditions negated (a depth-first branch and
    bound over those choices; adding conditions never lowers the cost)."""
    rules = list(model.rules_)
    best = [None, math.inf, None]

    def search(i, conditions, earlier):
        new, cost = projector.project(conditions)
        if new is None or cost >= best[1]:
            return
        if i == len(earlier):
            best[:] = [new, cost, None]
            return
        for c in earlier[i].conditions:
            search(i + 1, conditions + [c.negate()], earlier)

    targets = [(list(r.conditions), rules[:k], r.prediction) for k, r in enumerate(rules)]
    targets.append(([], rules, model.default_prediction_))
    for conditions, earlier, prediction in targets:
        if not wanted(prediction):
            continue
        before = best[1]
        search(0, list(conditions), earlier)
        if best[1] < before:
            best[2] = prediction
    return best


def _conjunction_counterfactual(model, x, names, target, weights, integer, immutable,
                                X_reference):
    frame = pd.DataFrame([x], columns=names)
    prediction = int(np.searchsorted(model.classes_, model.predict(frame)[0]))
    target_index = _resolve_target(model, prediction, target)
    wanted = (lambda k: k != prediction) if target_index is None else (
        lambda k: k == target_index)
    projector = _ConjunctionProjector(x, names, weights, integer, immutable,
                                      _levels(names, X_reference))
    if hasattr(model, "decision_regions"):
        new, cost, reached = _best_region(projector, model.decision_regions(), wanted)
        method = "exact tree"
    else:
        new, cost, reached = _rule_list_regions(model, wanted, projector)
        method = "exact rule list"
    if new is None:
        return _failure(model.classes_, target_index, method, names, x)
    result = _result(model.classes_, x, names, new, cost, reached, True, method)
    result.valid = _verify(model, result.values, names, reached)
    return result


# ---------------------------------------------------------------------------
# Score cards: mixed-integer recourse
# ---------------------------------------------------------------------------

def _scorecard_counterfactual(model, x, names, target, weights, integer, immutable,
                              X_reference):
    from glassbox._deps import import_optional

    items = getattr(model, "items_", None)
    if items is not None and any(it.get("condition") is not None for it in items):
        raise TypeError("counterfactual supports score cards whose items are the input "
                        "columns themselves (numeric='integer'); this card uses conditions.")
    scip = import_optional("pyscipopt", purpose="counterfactual for score cards")
    coef = np.asarray(model.coef_, dtype=float).ravel()
    intercept = float(np.asarray(model.intercept_).ravel()[0])
    values = x.astype(float)
    prediction = int(np.asarray(model.predict(pd.DataFrame([values], columns=names)
                                              if hasattr(model, "feature_names_in_")
                                              else values[None]))[0]
                     == np.asarray(model.classes_)[1])
    target_index = _resolve_target(model, prediction, target)
    if X_reference is not None:
        ref = _reference_frame(X_reference, names).to_numpy(dtype=float)
        low, high = ref.min(axis=0), ref.max(axis=0)
    else:
        low, high = np.full(len(names), -1e6), np.full(len(names), 1e6)
    low, high = np.minimum(low, values), np.maximum(high, values)
    whole = bool(float(intercept).is_integer()) and all(
        integer[j] or immutable[j] or coef[j] == 0 for j in range(len(names)))
    margin = 1.0 if whole else 1e-6
    for attempt in range(2):
        m = scip.Model("recourse")
        m.hideOutput()
        new_vars, total = [], 0
        score = intercept
        for j in range(len(names)):
            if immutable[j] or coef[j] == 0:
                new_vars.append(None)
                score += coef[j] * values[j]
                continue
            v = m.addVar(name=f"x{j}", vtype="I" if integer[j] else "C", lb=low[j], ub=high[j])
            t = m.addVar(name=f"t{j}", lb=0)
            m.addCons(t >= v - values[j])
            m.addCons(t >= values[j] - v)
            total += weights[j] * t
            score += coef[j] * v
            new_vars.append(v)
        if target_index == 1:
            m.addCons(score >= margin)
        else:
            m.addCons(score <= 0 if attempt == 0 else -margin)
        m.setObjective(total, "minimize")
        m.optimize()
        if m.getStatus() != "optimal":
            return _failure(model.classes_, target_index, "exact MIP", names, x)
        new = {name: (m.getVal(v) if v is not None else values[j])
               for j, (name, v) in enumerate(zip(names, new_vars))}
        new = {k: (round(v) if integer[j] else v) for j, (k, v) in enumerate(new.items())}
        result = _result(model.classes_, x, names, np.asarray(list(new.values()), dtype=float),
                         m.getObjVal(), target_index, True, "exact MIP")
        result.valid = _verify(model, result.values, names, target_index)
        if result.valid:
            return result
        margin = max(margin * 10, 1.0) if not whole else margin
    return result


def _is_scorecard(model) -> bool:
    return (hasattr(model, "coef_") and hasattr(model, "intercept_")
            and hasattr(model, "decision_function")
            and np.issubdtype(np.asarray(model.coef_).dtype, np.integer))


# ---------------------------------------------------------------------------
# Black boxes: surrogate candidates, always verified
# ---------------------------------------------------------------------------

_SURROGATES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# Surrogate leaves whose projections become candidates, and steps towards reference rows.
N_LEAVES_TRIED = 12
N_NEIGHBOURS = 8
STEPS = np.array([0.25, 0.5, 0.75, 1.0])
PUSHES = np.array([1.25, 1.5, 2.0, 3.0])
QUANTILES = np.linspace(0.05, 0.95, 10)
# Features followed by the gradient moves, and their steps in units of cost.
GRADIENT_FEATURES = 6
GRADIENT_STEPS = np.geomspace(0.05, 20, 12)
# The pairs (first, second) of the three best features that are also moved together.
_PAIRS = np.array([[0, 0, 1], [1, 2, 2]])
# Random sparse jumps to values of reference rows of the target class, among the most
# effective features.
N_JUMPS = 100
JUMP_POOL = 10
# Points on the way back towards x tried by the refinement.
SHORTEN_STEPS = 16
# Their positions along the way, 0 (x) and 1 (the point) excluded.
_SHORTEN_T = np.linspace(0, 1, SHORTEN_STEPS + 1)[1:-1, None]


class _BlackBoxIndex:
    """What the search needs about a black box and its reference data, built once."""

    def __init__(self, model, X_reference, names, random_state):
        self.names = names
        self.reference = _reference_frame(X_reference, names).to_numpy(dtype=float)
        self.fingerprint = (self.reference.shape, _checksum(self.reference))
        # Greedy (no lookahead): the surrogate only proposes candidates, all of them checked.
        self.surrogate = Distiller(model, max_depth=6, n_queries=10 * len(self.reference),
                                   max_rounds=1, lookahead=0, random_state=random_state).fit(
            pd.DataFrame(self.reference, columns=names))
        self.teacher = self.surrogate._teacher
        self.reference_label = self.teacher.label_index(self.reference)
        self.quantiles = np.quantile(self.reference, QUANTILES, axis=0)
        self.low, self.high = self.reference.min(axis=0), self.reference.max(axis=0)
        student = self.surrogate.student_
        self.boxes = _tree_boxes(student)
        self.leaf_class = np.searchsorted(self.surrogate.classes_,
                                          student.classes_[self.boxes.leaf_class])
        span = self.high - self.low
        self.probe_steps = np.where(span > 0, span, 1.0) * 1e-2
        self._goal_rows, self._goal_boxes, self._jumps = {}, {}, {}

    def jump_pattern(self, random_state, n_columns, n_rows):
        """Which of ``n_columns`` pool features each sparse jump takes (a mask of 2 or 3
        random ones per jump) and which of ``n_rows`` donor rows it takes them from.
        Drawn afresh from ``random_state`` for each search, hence the same for every
        search with an integer seed: those are cached."""
        seeded = isinstance(random_state, (int, np.integer))
        key = (int(random_state), n_columns, n_rows) if seeded else None
        cached = self._jumps.get(key) if seeded else None
        if cached is None:
            rng = np.random.default_rng(random_state)
            # A random permutation per jump; its first 2 or 3 positions are taken.
            order = np.argsort(rng.random((N_JUMPS, n_columns)), axis=1)
            take = order < rng.integers(2, 4, size=N_JUMPS)[:, None]
            cached = take, rng.integers(n_rows, size=N_JUMPS)
            if seeded:
                self._jumps[key] = cached
        return cached

    def goal_rows(self, wanted) -> np.ndarray:
        """The reference rows the model puts in a wanted class (cached per goal)."""
        rows = self._goal_rows.get(wanted.key)
        if rows is None:
            rows = np.ascontiguousarray(self.reference[wanted(self.reference_label)])
            self._goal_rows[wanted.key] = rows
        return rows

    def goal_boxes(self, wanted, integer):
        """``(leaves, lo, hi)``: the surrogate leaves of the wanted classes and their bounds
        (see :meth:`_TreeBoxes.bounds`), cached per goal and integer mask."""
        key = (wanted.key, None if integer is None else integer.tobytes())
        cached = self._goal_boxes.get(key)
        if cached is None:
            leaves = np.flatnonzero(wanted(self.leaf_class))
            lo, hi = self.boxes.bounds(integer)
            cached = (leaves, np.ascontiguousarray(lo[leaves]), np.ascontiguousarray(hi[leaves]))
            self._goal_boxes[key] = cached
        return cached


def _checksum(values) -> float:
    """Sum of the values in row-major order (the same number whatever the memory layout)."""
    return float(np.ascontiguousarray(values, dtype=float).sum())


def _black_box_index(model, X_reference, names, random_state):
    if X_reference is None:
        raise ValueError(f"counterfactual for a {type(model).__name__} (a black box) needs "
                         "X_reference: rows to distil a surrogate from and to search near.")
    reference_shape = np.shape(X_reference)
    cached = _SURROGATES.get(model) if _weakrefable(model) else None
    if cached is not None and cached.fingerprint[0] == reference_shape:
        # A numeric array is summed as it is; building a frame would cost more than a search.
        numeric = isinstance(X_reference, np.ndarray) and X_reference.dtype.kind in "iuf"
        ref = (X_reference if numeric
               else _reference_frame(X_reference, names).to_numpy(dtype=float))
        if _checksum(ref) == cached.fingerprint[1]:
            return cached
    index = _BlackBoxIndex(model, X_reference, names, random_state)
    if _weakrefable(model):
        _SURROGATES[model] = index
    return index


def _weakrefable(obj) -> bool:
    try:
        weakref.ref(obj)
        return True
    except TypeError:
        return False


def _black_box_counterfactual(model, x, names, target, weights, integer, immutable,
                              X_reference, random_state):
    index = _black_box_index(model, X_reference, names, random_state)
    # The search asks the model about a few hundred rows at a time: one BLAS thread. Every
    # row it asks about is made from x and the (validated) reference rows, so when x is
    # finite sklearn's finiteness checks of each call can be skipped.
    finite = x.dtype.kind == "f" and bool(np.isfinite(x).all())
    with one_blas_thread(0), _sklearn_config(assume_finite=finite):
        return _search(index, x, names, target, weights, integer, immutable, random_state)


def _sklearn_config(**settings):
    import sklearn

    return sklearn.config_context(**settings)


def _search(index, x, names, target, weights, integer, immutable, random_state):
    """Candidates from the surrogate, the gradient and the reference rows, all checked
    against the model in batched calls, and the cheapest valid one refined.

    Each call to a model has an overhead worth hundreds of rows, so the first call holds
    ``x``, the gradient probes around it and the surrogate's candidates (built towards
    the class the surrogate expects the answer in); the second the gradient's moves, the
    jumps and the refinement of the first call's best, as far as they are cheaper than
    that best; a third call refines a winner of the second call, when there is one.
    """
    teacher = index.teacher
    values = x.astype(float)
    mutable = np.flatnonzero(~immutable)
    classes = teacher.classes_
    explicit = None if target is None else _class_index(classes, target)
    probes = (_gradient_probes(values, mutable, index.probe_steps) if teacher.has_proba
              else np.empty((0, len(values))))
    guess = index.leaf_class[index.boxes.leaf_position(values)]
    expected = _wanted(len(classes), guess, explicit)
    tried = _surrogate_candidates(index, values, expected, weights, integer, immutable)
    proba = teacher.proba(np.concatenate([values[None], probes, tried]))
    prediction = int(np.argmax(proba[0]))
    wanted = _wanted(len(classes), prediction, explicit)
    target_index = explicit if explicit is not None else (
        1 - prediction if len(classes) == 2 else None)
    labels = np.argmax(proba[1 + len(probes):], axis=1)

    second = []
    best = _cheapest(values, tried, labels, wanted, weights)
    if best is not None:
        second.append(_refinements(values, tried[best], weights, integer))
    if explicit is None and prediction != guess:  # the surrogate was wrong about x
        second.append(_surrogate_candidates(index, values, wanted, weights, integer,
                                            immutable))
    good = index.goal_rows(wanted)
    if len(mutable) and len(probes):
        moves, ranked = _gradient_moves(proba[1:1 + len(probes)], values, mutable, weights,
                                        index, target_index, prediction)
        second.append(moves)
        if len(good):
            pattern = index.jump_pattern(random_state, min(JUMP_POOL, len(ranked)), len(good))
            second.append(_sparse_jumps(values, ranked, good, pattern))
    else:
        # No probabilities, no gradient: single-feature moves to the reference quantiles
        # stand in for the gradient's sparse moves (with them, they never won: measured).
        singles = np.repeat(values[None], len(mutable) * len(index.quantiles), axis=0)
        rows = np.arange(len(singles))
        singles[rows, np.repeat(mutable, len(index.quantiles))] = \
            index.quantiles[:, mutable].T.reshape(-1)
        second.append(singles)
    n_refined = len(second[0]) if best is not None else 0
    # The answer carries the model's own label of it, from the batched call that tested it.
    point, reached, cost = None, None, np.inf
    if best is not None:
        point, reached = tried[best], int(labels[best])
        cost = np.abs(point - values) @ weights
    if second:
        pool = np.concatenate(second)
        pool[:, integer] = np.round(pool[:, integer])
        pool_cost = np.abs(pool - values) @ weights
        # Only a candidate cheaper than the best valid one so far can win: the model is
        # asked about those alone.
        keep = np.flatnonzero(pool_cost < cost)
        if len(keep):
            pool_labels = teacher.label_index(pool[keep])
            k = _cheapest(values, pool[keep], pool_labels, wanted, weights)
            if k is not None:
                point, reached = pool[keep[k]], int(pool_labels[k])
                if keep[k] >= n_refined:  # a new candidate of the second call: not refined yet
                    point, reached = _refine(teacher, values, point, reached, wanted, weights,
                                             integer)
    if point is None:
        return _failure(classes, target_index, "surrogate search", names, x)
    cost = float(np.abs(point - values) @ weights)
    return _result(classes, x, names, point, cost, reached, True, "surrogate search")


def _class_index(classes, target) -> int:
    matches = np.flatnonzero(classes == target)
    if len(matches) == 0:
        raise ValueError(f"target must be one of the model's classes {classes.tolist()}, "
                         f"got {target!r}.")
    return int(matches[0])


class _Wanted:
    """Which class indices count as reaching the goal, as a mask over the classes; called
    on an array of class indices it says which of them do."""

    __slots__ = ("mask", "key")

    def __init__(self, mask):
        self.mask, self.key = mask, mask.tobytes()

    def __call__(self, labels):
        return self.mask[labels]


def _wanted(n_classes, prediction, target) -> _Wanted:
    """The goal: the target; else, of two classes, the other one; else any other class."""
    if target is None and n_classes == 2:
        target = 1 - prediction
    if target is None:
        mask = np.ones(n_classes, dtype=bool)
        mask[prediction] = False
    else:
        mask = np.zeros(n_classes, dtype=bool)
        mask[target] = True
    return _Wanted(mask)


def _cheapest(x, points, labels, wanted, weights):
    """Index of the cheapest of ``points`` whose label is wanted, or None."""
    ok = np.flatnonzero(wanted(labels))
    if len(ok) == 0:
        return None
    return int(ok[np.argmin(np.abs(points[ok] - x) @ weights)])


def _surrogate_candidates(index, x, wanted, weights, integer, immutable):
    """Candidates towards the wanted classes: the projections of ``x`` onto the cheapest
    surrogate leaves of those classes, the same moves pushed further (the surrogate's
    boundary is only approximate), and points on the way to the nearest reference rows
    the model puts in those classes. Integer columns rounded."""
    out = [np.empty((0, len(x)))]
    leaves, lo, hi = index.goal_boxes(wanted, _mask(integer))
    if len(leaves):
        cost = box_costs_numpy(x, lo, hi, None, weights, immutable)
        order = np.argsort(cost)[:N_LEAVES_TRIED]
        order = order[np.isfinite(cost[order])]
        projections = np.minimum(np.maximum(x, lo[order]), hi[order])
        out += [projections, (x + PUSHES[:, None, None] * (projections - x)[None])
                .reshape(-1, len(x))]
    ref = index.goal_rows(wanted)
    if len(ref):
        if immutable.any():
            ref = ref.copy()
            ref[:, immutable] = x[immutable]
        near = ref[np.argsort(np.abs(ref - x) @ weights)[:N_NEIGHBOURS]]
        out.append((x + STEPS[:, None, None] * (near - x)[None]).reshape(-1, len(x)))
    out = np.concatenate(out)
    out[:, integer] = np.round(out[:, integer])
    return out


def _gradient_probes(x, mutable, h):
    """``x`` moved up, then down, by ``h`` (1% of the reference range) along each mutable
    column."""
    probes = np.repeat(x[None], 2 * len(mutable), axis=0)
    rows = np.arange(len(mutable))
    probes[rows, mutable] += h[mutable]
    probes[rows + len(mutable), mutable] -= h[mutable]
    return probes


def _gradient_moves(proba, x, mutable, weights, index, target_index, prediction):
    """Moves along the features that change the model's logit most per unit of cost.

    For a model that is linear near ``x``, the cheapest L1 move across the boundary
    changes one feature only: the one with the largest |slope| / cost weight. The slopes
    come from central differences (``proba``: the model's answers on
    :func:`_gradient_probes`); the moves go along the best few features alone and in
    pairs, in steps up to the edge of the reference data.
    """
    h = index.probe_steps
    # Binary targets: the logit of the target class; otherwise: away from the prediction.
    k = target_index if target_index is not None else prediction
    sign = 1.0 if target_index is not None else -1.0
    logit = sign * logit_of(proba, np.full(len(proba), k))
    slope = (logit[: len(mutable)] - logit[len(mutable):]) / (2 * h[mutable])
    gain = np.abs(slope) / weights[mutable]
    ranked = mutable[np.argsort(-gain)]
    best = np.argsort(-gain)[:GRADIENT_FEATURES]
    direction = np.zeros((len(best), len(x)))
    direction[np.arange(len(best)), mutable[best]] = np.sign(slope[best]) / weights[mutable[best]]
    # The best three features also in pairs.
    a, b = _PAIRS[:, _PAIRS.max(axis=0) < len(best)]
    directions = np.concatenate([direction, direction[a] + direction[b]])
    moves = x + GRADIENT_STEPS[:, None, None] * directions[None]
    return np.clip(moves, index.low, index.high).reshape(-1, len(x)), ranked


def _sparse_jumps(x, ranked, target_rows, pattern):
    """Two or three of the most effective features set to the values of reference rows
    of the target class (where the model already says yes), at random (``pattern``, from
    :meth:`_BlackBoxIndex.jump_pattern`)."""
    take, picks = pattern
    columns = ranked[:take.shape[1]]
    donors = target_rows[picks][:, columns]
    jumps = np.repeat(x[None], N_JUMPS, axis=0)
    jumps[:, columns] = np.where(take, donors, jumps[:, columns])
    return jumps


def _shortened(x, point, integer):
    """Points on the way from ``x`` to ``point`` (excluded), nearest ``x`` first."""
    line = x + _SHORTEN_T * (point - x)
    line[:, integer] = np.round(line[:, integer])
    return line


def _reverted(x, point, weights):
    """``point`` with some of its changes undone: the ``k`` cheapest changes at once for
    every ``k``, and every change alone."""
    changed = np.flatnonzero(point != x)
    if len(changed) <= 1:
        return np.empty((0, len(x)))
    order = changed[np.argsort(np.abs(point - x)[changed] * weights[changed])]
    # Row k < len(order) - 1 undoes the k + 1 cheapest changes; the rest undo one each.
    runs = np.repeat(point[None], len(order) - 1, axis=0)
    undo = np.arange(len(order) - 1)[:, None] >= np.arange(len(order))[None]
    runs[:, order] = np.where(undo, x[order], runs[:, order])
    singles = np.repeat(point[None], len(changed), axis=0)
    singles[np.arange(len(changed)), changed] = x[changed]
    return np.concatenate([runs, singles])


def _refinements(x, point, weights, integer):
    """Cheaper variants of a valid ``point`` to try: the way back towards ``x``, and the
    point with some of its changes undone."""
    return np.concatenate([_shortened(x, point, integer), _reverted(x, point, weights)])


def _refine(teacher, x, point, label, wanted, weights, integer):
    """The cheapest of :func:`_refinements` the model puts in a wanted class (one batched
    call), with the model's label of it; ``point`` and ``label`` when none is cheaper."""
    trials = _refinements(x, point, weights, integer)
    if len(trials) == 0:
        return point, label
    labels = teacher.label_index(trials)
    ok = np.flatnonzero(wanted(labels))
    if len(ok) == 0:
        return point, label
    costs = np.abs(trials[ok] - x) @ weights
    k = ok[np.argmin(costs)]
    if costs.min() >= np.abs(point - x) @ weights:
        return point, label
    return trials[k], int(labels[k])


# ---------------------------------------------------------------------------
# The entry point
# ---------------------------------------------------------------------------

def counterfactual(model, x, target=None, *, immutable=(), cost="l1", X_reference=None,
                   integer=None, random_state=0) -> Counterfactual:
    """The cheapest change of ``x`` that makes ``model`` predict ``target``.

    Parameters
    ----------
    model : fitted model
        sklearn ``DecisionTreeClassifier``, glassbox ``SparseTreeClassifier`` /
        ``RuleListClassifier`` / ``RiskScoreClassifier`` (exact), a fitted
        :class:`Distiller` (its student, exact), or any other classifier
        (black box: searched through a distilled surrogate, verified against it).
    x : array-like, Series, dict or one-row DataFrame
    target : class label, optional
        Default: the other class (binary), or any other class (multi-class).
    immutable : sequence of str
        Columns that must not change.
    cost : {"l1", "mad"}
        L1 distance, or L1 in units of each feature's median absolute deviation
        in ``X_reference``.
    X_reference : table, optional
        Reference rows: integer columns, MAD scales, category levels, and (for
        black boxes, required) the data the surrogate is distilled from.
    integer : sequence of str, optional
        Columns that only take whole numbers (the counterfactual keeps them whole).
        Default: a Distiller's integer columns (from the data it was fitted on), else the
        numeric columns of ``X_reference`` whose values are all whole, else none.
    random_state : int or None
        Seed of the surrogate of a black box.

    Returns
    -------
    Counterfactual
        ``x_cf``, ``cost``, ``changes`` (``{column: (old, new)}``), ``valid``, ``target``.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> tree = DecisionTreeClassifier(max_depth=1).fit([[0.0], [1.0]], [0, 1])
    >>> cf = counterfactual(tree, [0.0])
    >>> cf.valid, cf.changes["x0"][1] > 0.5
    (True, True)
    """
    model_integer = None
    if isinstance(model, Distiller):
        model._check_fitted()
        if model._coder.has_levels and not hasattr(model.student_, "decision_regions") \
                and not hasattr(model.student_, "rules_"):
            raise TypeError("counterfactual through a Distiller whose tree splits categorical "
                            f"codes is not supported (categorical columns: "
                            f"{sorted(model._coder.levels_)}); use a glassbox student "
                            "(SparseTreeClassifier, RuleListClassifier) or encode them.")
        model_integer = _distiller_integer(model)
        model = model.student_
    row, names = _as_row(model, x)
    n_expected = getattr(model, "n_features_in_", None)
    if n_expected is not None and len(names) != n_expected:
        raise ValueError(f"x has {len(names)} features, but the model expects {n_expected}.")
    weights = _weights(names, cost, X_reference)
    integer = _integer_columns(names, integer, X_reference, model_integer)
    fixed = _check_immutable(immutable, names)
    if isinstance(model, DecisionTreeClassifier):
        if getattr(model, "n_outputs_", 1) != 1:
            raise TypeError("counterfactual supports single-output trees only.")
        return _tree_counterfactual(model, row, names, target, weights, integer, fixed)
    if hasattr(model, "decision_regions") or (hasattr(model, "rules_")
                                              and hasattr(model, "default_prediction_")):
        return _conjunction_counterfactual(model, row, names, target, weights, integer, fixed,
                                           X_reference)
    if _is_scorecard(model):
        return _scorecard_counterfactual(model, row, names, target, weights, integer, fixed,
                                         X_reference)
    if not (hasattr(model, "predict") or callable(model)):
        raise TypeError(f"counterfactual needs a fitted classifier, got {type(model).__name__}.")
    return _black_box_counterfactual(model, row, names, target, weights, integer, fixed,
                                     X_reference, random_state)
