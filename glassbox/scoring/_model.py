"""RiskScoreClassifier: integer risk score cards, certified optimal by SCIP (RiskSLIM)."""

from __future__ import annotations

import numbers
import time
import warnings

import numpy as np
import pandas as pd
from scipy.special import expit
from threadpoolctl import threadpool_limits

from glassbox._base import (
    Certificate,
    Condition,
    Explanation,
    GlassboxClassifier,
    Interval,
    Rendering,
    SearchBudget,
    StrOptions,
    _format_value,
    check_target,
    first_non_number,
    make_rng,
    numeric_column,
)
from glassbox._deps import import_optional, module_available
from glassbox.scoring._problem import ScoreProblem, conservative_intercept_bound, solve_relaxation

DEFAULT_COEF_BOUNDS = (-5, 5)
RISK_TABLE_REACH = 7  # |score| beyond which the risk prints as 0.1% / 99.9% or closer
WARM_START_SHARE = 0.2  # of time_limit, for the heuristics that run before SCIP
# with decomposition="auto", SCIP alone gets this share of the remaining time (or these
# seconds without a time limit) before the feature-set decomposition takes over
DECOMPOSE_AFTER_SHARE = 0.1
DECOMPOSE_AFTER = 30.0
_CONSTRAINT_KINDS = ("at_most_one", "at_most")


def _import_scip():
    return import_optional("pyscipopt", purpose="RiskScoreClassifier")


def _check_bounds(bounds, what) -> tuple[int, int]:
    try:
        lo, hi = bounds
        ok = all(isinstance(b, numbers.Integral) or float(b).is_integer() for b in (lo, hi))
    except (TypeError, ValueError):
        ok = False
    if not ok or lo > hi:
        raise ValueError(f"{what} must be a pair of integers (low, high) with low <= high, "
                         f"got {bounds!r}.")
    return int(lo), int(hi)


class RiskScoreClassifier(GlassboxClassifier):
    """Integer risk score card with a certificate of optimality (RiskSLIM, solved by SCIP).

    Chooses small integer points per feature and an integer intercept that minimize ::

        mean logistic loss of score = intercept + sum_j points_j * x_j
        + c0 * (number of features with nonzero points)

    subject to ``coef_bounds``, ``intercept_bounds``, at most ``max_features`` features
    and the user ``constraints``. The risk of a score ``s`` is ``1 / (1 + exp(-s))``.
    The problem is solved by SCIP branch-and-bound in which the loss is a variable
    bounded by lattice cutting planes (Ustun & Rudin, JMLR 2019); rounding and
    coordinate-descent heuristics supply incumbents. On large binary data sets the
    search is split by feature set (see ``decomposition``).

    Parameters
    ----------
    max_features : int, default=5
        Most features with nonzero points (the intercept is not counted).
    coef_bounds : (int, int) or dict, default=(-5, 5)
        Points allowed per feature. A dict maps feature (item) names to their own
        ``(low, high)`` (e.g. ``{"age": (0, 5)}`` for a monotone feature); the key
        ``"*"`` sets the bounds of the features not named (default ``(-5, 5)``).
        Every range must contain 0.
    c0 : float, default=1e-6
        Price of each feature used, in units of mean logistic loss.
    intercept_bounds : (int, int) or None, default=None
        Range of the intercept. None derives it from the data as RiskSLIM does (wide
        enough to offset any score the features can reach, plus one), widened by the
        log-odds of the base rate so that it always contains an optimal intercept.
    time_limit : float or None, default=300
        Seconds for the whole fit (warm start and SCIP). The best card found so far is
        returned when it runs out, with ``certificate_.status == "time_limit"``.
    gap_tolerance : float, default=0.0
        SCIP stops once the relative gap is below this (0 = prove optimality). A card
        returned that way is reported ``"gap_limit"`` with its true lower bound, unless
        SCIP closed the gap completely (then ``"optimal"``).
    constraints : list of tuples or None, default=None
        Rules every returned card obeys (heuristic ones included):
        ``("at_most_one", [features])`` - at most one of the features gets points;
        ``("at_most", [features], k)`` - at most ``k`` of them do.
    numeric : {"integer", "binarize"}, default="integer"
        How input columns become items. ``"integer"``: each column is one item whose
        points are multiplied by the column's value (0/1 columns are yes/no items;
        columns must be numeric). ``"binarize"``: columns are first turned into yes/no
        conditions by :class:`glassbox.features.Binarizer` (thresholds for numbers,
        levels for categories). The card states which.
    decomposition : {"auto", "always", "never"}, default="auto"
        Split the search by feature set when every item is binary. A card uses at
        most ``max_features`` items, so the optimum is the best over all sets of that
        many items of the problem restricted to one set. Each set gets a certified
        lower bound from its own continuous relaxation (a logistic regression on the
        at most ``2**max_features`` cells the set splits the rows into, solved in a
        compiled kernel); sets whose bound reaches the incumbent are pruned and SCIP
        solves the others one by one, lowest bound first. This closes gaps that
        SCIP's root relaxation cannot on large data sets (its L0 relaxation is the
        convex hull of all sparse boxes). ``"auto"``: only when SCIP alone has not
        certified the card within a tenth of the remaining time (30 s without a
        time limit) and the decomposition applies (binary items, at most 5 million
        sets, numba installed or very few sets); ``"always"``: right after the warm
        start whenever it applies; ``"never"``: SCIP alone.
    n_jobs : int or None, default=None
        Threads that bound feature sets of the decomposition side by side (joblib
        semantics: None is 1 unless inside ``joblib.parallel_config``, -1 is every
        core). SCIP itself runs on one thread.
    verbose : int, default=0
        SCIP's log when >= 1, and one progress line per phase.
    random_state : int, Generator or None, default=None
        Seeds SCIP's randomization.

    Attributes
    ----------
    coef_ : ndarray of int, shape (n_items,)
        Points per item (0 for unused). With ``numeric="integer"`` the items are the
        input columns, so there is one entry per input feature.
    intercept_ : int
        Points every row starts with.
    items_ : list of dict
        One per entry of ``coef_``: ``name``, ``column``, ``condition`` (a
        :class:`Condition`, or None when the column's value is used as a number) and
        ``kind`` (``"binary"``, ``"integer"`` or ``"condition"``).
    dropped_ : list of str
        Items dropped before solving because they are constant in the training data.
    certificate_ : Certificate
        SCIP's status, the objective, its proven lower bound (gap), nodes and seconds.
    decomposition_ : dict or None
        What the feature-set decomposition did, when it ran (see ``decomposition``):
        ``feature_sets`` bounded, ``below_incumbent`` (the sets SCIP then solved or
        had left), ``complete`` and ``seconds`` of the bounding phase. None when SCIP
        alone solved the problem.
    score_range_ : (int, int)
        Lowest and highest score on the training data (rows of the risk table).

    Examples
    --------
    >>> import numpy as np
    >>> from glassbox.scoring import RiskScoreClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.integers(0, 2, size=(200, 3))
    >>> y = (X[:, 0] + X[:, 1] + rng.random(200) > 1.5).astype(int)
    >>> card = RiskScoreClassifier(max_features=2, coef_bounds=(-3, 3), time_limit=20).fit(X, y)
    >>> card.certificate_.status
    'optimal'
    >>> card.decision_function(X[:2]).dtype.kind
    'f'
    """

    _parameter_constraints = {
        "max_features": [Interval(numbers.Integral, 1, None, closed="left")],
        "coef_bounds": [tuple, list, dict],
        "c0": [Interval(numbers.Real, 0, None, closed="left")],
        "intercept_bounds": [tuple, list, None],
        "time_limit": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "gap_tolerance": [Interval(numbers.Real, 0, 1, closed="both")],
        "constraints": [list, tuple, None],
        "numeric": [StrOptions({"integer", "binarize"})],
        "decomposition": [StrOptions({"auto", "always", "never"})],
        "n_jobs": [numbers.Integral, None],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }
    _fitted_attributes = ("coef_", "intercept_", "certificate_")

    def __init__(self, *, max_features=5, coef_bounds=DEFAULT_COEF_BOUNDS, c0=1e-6,
                 intercept_bounds=None, time_limit=300, gap_tolerance=0.0, constraints=None,
                 numeric="integer", decomposition="auto", n_jobs=None, verbose=0,
                 random_state=None):
        self.max_features = max_features
        self.coef_bounds = coef_bounds
        self.c0 = c0
        self.intercept_bounds = intercept_bounds
        self.time_limit = time_limit
        self.gap_tolerance = gap_tolerance
        self.constraints = constraints
        self.numeric = numeric
        self.decomposition = decomposition
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.random_state = random_state

    @classmethod
    def _test_instance(cls):
        return cls(max_features=2, coef_bounds=(-3, 3), time_limit=0.5, random_state=0)

    # -- items: what the points multiply ---------------------------------------------
    def _make_items(self, X: pd.DataFrame) -> list[dict]:
        if self.numeric == "binarize":
            from glassbox.features import Binarizer

            binarizer = Binarizer().fit(X)
            return [{"name": c.name, "column": c.column, "condition": c, "kind": "condition"}
                    for c in binarizer.conditions_]
        items = []
        for name in X.columns:
            values = X[name].to_numpy()
            if values.dtype.kind not in "biuf":
                try:
                    values = np.asarray(values, dtype=float)
                except (TypeError, ValueError):
                    example = first_non_number(values)
                    raise ValueError(
                        f"Column {name!r} is not numeric (e.g. {example!r}); with "
                        "numeric='integer' every column must be a number. Use "
                        "numeric='binarize' to turn categories into yes/no items.") from None
            numeric = np.asarray(values, dtype=float)
            binary = bool(np.isin(numeric, (0.0, 1.0)).all())
            items.append({"name": name, "column": name, "condition": None,
                          "kind": "binary" if binary else "integer"})
        return items

    @staticmethod
    def _item_matrix(items, X: pd.DataFrame) -> np.ndarray:
        columns = [item["condition"].evaluate(X) if item["condition"] is not None
                   else numeric_column(X[item["column"]].to_numpy(), item["column"],
                                       f"the score-card item {item['name']!r}")
                   for item in items]
        return np.column_stack(columns).astype(float) if columns else np.zeros((len(X), 0))

    def _item_bounds(self, names) -> tuple[np.ndarray, np.ndarray]:
        spec = self.coef_bounds
        if isinstance(spec, dict):
            unknown = sorted(set(spec) - set(names) - {"*"})
            if unknown:
                raise ValueError(f"coef_bounds names unknown feature(s) {unknown}; the "
                                 f"features are {list(names)}.")
            default = _check_bounds(spec.get("*", DEFAULT_COEF_BOUNDS), "coef_bounds['*']")
            pairs = [_check_bounds(spec[n], f"coef_bounds[{n!r}]") if n in spec else default
                     for n in names]
        else:
            pairs = [_check_bounds(spec, "coef_bounds")] * len(names)
        for name, (lo, hi) in zip(names, pairs):
            if not lo <= 0 <= hi:
                raise ValueError(f"coef_bounds for {name!r} is ({lo}, {hi}); it must contain 0 "
                                 "so that a feature can be left out.")
        lower = np.array([p[0] for p in pairs], dtype=np.int64)
        upper = np.array([p[1] for p in pairs], dtype=np.int64)
        return lower, upper

    def _groups(self, names) -> list[tuple[list[int], int]]:
        groups = []
        index = {n: i for i, n in enumerate(names)}
        for spec in self.constraints or ():
            if not isinstance(spec, (tuple, list)) or not spec or spec[0] not in _CONSTRAINT_KINDS:
                raise ValueError(f"Each constraint must be ('at_most_one', [features]) or "
                                 f"('at_most', [features], k); got {spec!r}.")
            kind, members = spec[0], spec[1] if len(spec) > 1 else None
            if kind == "at_most_one" and len(spec) == 2:
                k = 1
            elif kind == "at_most" and len(spec) == 3 and isinstance(spec[2], numbers.Integral) \
                    and spec[2] >= 0:
                k = int(spec[2])
            else:
                raise ValueError(f"Constraint {spec!r} is malformed: use ('at_most_one', "
                                 "[features]) or ('at_most', [features], k) with k >= 0.")
            if isinstance(members, str) or not isinstance(members, (list, tuple)):
                raise ValueError(f"Constraint {spec!r} needs a list of feature names.")
            missing = [m for m in members if m not in index]
            if missing:
                raise ValueError(f"Constraint {spec!r} names unknown feature(s) {missing}; the "
                                 f"features are {list(names)}.")
            groups.append(([index[m] for m in members], k))
        return groups

    # -- fitting ----------------------------------------------------------------------
    def _setup(self, X: pd.DataFrame, y) -> tuple[ScoreProblem, np.ndarray]:
        """Items, bounds and constraints -> the numeric problem and the kept item indices."""
        items = self._make_items(X)
        names = [item["name"] for item in items]
        lower, upper = self._item_bounds(names)
        groups = self._groups(names)
        values = self._item_matrix(items, X)
        constant = np.ptp(values, axis=0) == 0 if len(items) else np.zeros(0, bool)
        self.items_ = items
        self.dropped_ = [n for n, c in zip(names, constant) if c]
        if self.dropped_:
            warnings.warn(f"RiskScoreClassifier dropped constant feature(s) {self.dropped_}: "
                          "they cannot tell rows apart (the intercept covers them).",
                          UserWarning, stacklevel=4)
        kept = np.flatnonzero(~constant)
        position = {int(j): k for k, j in enumerate(kept)}
        kept_groups = [([position[i] for i in idx if i in position], k) for idx, k in groups]
        Xk = values[:, kept]
        if self.intercept_bounds is None:
            b = conservative_intercept_bound(Xk, lower[kept], upper[kept], self.max_features, y)
            icpt = (-b, b)
        else:
            icpt = _check_bounds(self.intercept_bounds, "intercept_bounds")
        problem = ScoreProblem(Xk, y, np.r_[icpt[0], lower[kept]], np.r_[icpt[1], upper[kept]],
                               self.c0, self.max_features, kept_groups)
        return problem, kept

    def _fit(self, X, y):
        scip = _import_scip()
        from glassbox.scoring import _scip, _support

        problem, kept = self._setup(X, y)
        seed = int(make_rng(self.random_state).integers(0, 2**31 - 1))
        decompose = self._decomposition_applies(problem)
        # the warm start's many tiny BLAS calls only slow down when spread over threads
        with SearchBudget(time_limit=self.time_limit, verbose=self.verbose,
                          name="RiskScoreClassifier") as budget, threadpool_limits(1):
            if self.time_limit is not None:  # leave most of the budget to the certified search
                problem.deadline = time.perf_counter() + WARM_START_SHARE * self.time_limit
            problem.stop_requested = lambda: budget.interrupted
            relaxed = self._relaxation(problem)
            starts = [problem.swap(problem.beam_search())]
            if relaxed is not None and not budget.interrupted:
                starts.append(problem.swap(problem.round(relaxed)))
            problem.deadline = np.inf
            result = None
            self.decomposition_ = None
            if budget.interrupted:  # Ctrl-C during the warm start: no SCIP run
                result = _scip.best_of(problem, starts, status="interrupted")
            elif self.decomposition != "always" or not decompose:
                # SCIP alone first; "auto" keeps part of the budget for the decomposition
                remaining = self._remaining(budget)
                if decompose:
                    remaining = (DECOMPOSE_AFTER if remaining is None
                                 else DECOMPOSE_AFTER_SHARE * remaining)
                # SCIP catches Ctrl-C itself while it runs (status "interrupted")
                result = _scip.solve(scip, problem, warm_starts=starts,
                                     cut_points=[] if relaxed is None else [relaxed],
                                     time_limit=remaining, gap_tolerance=self.gap_tolerance,
                                     verbose=self.verbose, seed=seed)
                budget.progress(result.nodes, result.objective, result.lower_bound,
                                force=True, phase=f"SCIP {result.status}")
            if decompose and not budget.interrupted and (
                    result is None or result.status == "time_limit"):
                known = starts if result is None else [*starts, result.coefficients]
                incumbent = _scip.best_of(problem, known, status="heuristic").coefficients
                split, bounds = _support.solve_by_supports(
                    scip, problem, incumbent, time_limit=self._remaining(budget),
                    gap_tolerance=self.gap_tolerance, verbose=self.verbose, seed=seed,
                    stop_requested=lambda: budget.interrupted, n_jobs=self.n_jobs)
                self.decomposition_ = {"feature_sets": bounds.n_supports,
                                       "below_incumbent": len(bounds.survivors),
                                       "complete": bounds.complete,
                                       "seconds": round(bounds.seconds, 3)}
                budget.progress(split.nodes, split.objective, split.lower_bound, force=True,
                                phase=f"decomposition {split.status}",
                                feature_sets=bounds.n_supports,
                                below_incumbent=len(bounds.survivors))
                if result is not None:  # both bounds are valid: keep the better one
                    split.lower_bound = max(split.lower_bound, min(result.lower_bound,
                                                                   split.objective))
                    split.nodes += result.nodes
                    if split.lower_bound >= split.objective and split.status != "optimal":
                        split.status = "optimal"
                result = split
            certificate = budget.certificate(result.status, result.objective,
                                             result.lower_bound, result.nodes)
        self._store(result.coefficients, kept, X, certificate)

    def _remaining(self, budget):
        return None if self.time_limit is None else max(self.time_limit - budget.elapsed, 0.01)

    def _decomposition_applies(self, problem) -> bool:
        """Whether this fit splits by feature set (see ``decomposition``)."""
        from glassbox.scoring import _support

        if self.decomposition == "never":
            return False
        reason = _support.inapplicable_reason(problem)
        if reason is None and not module_available("numba") and \
                _support.n_supports(problem) > 200:
            # uncompiled, the kernel is only fast enough for a handful of feature sets
            reason = (f"its kernel needs numba for {_support.n_supports(problem):,} feature "
                      "sets (pip install \"glassbox[fast]\")")
        if reason is not None and self.decomposition == "always":
            warnings.warn(f"decomposition='always' does not apply: {reason}. SCIP solves the "
                          "card alone (decomposition_ is None).", UserWarning, stacklevel=3)
        return reason is None

    @staticmethod
    def _relaxation(problem):
        if not module_available("cvxpy"):
            return None
        return solve_relaxation(problem, import_optional("cvxpy", purpose="RiskScoreClassifier"))

    def _store(self, lam, kept, X, certificate):
        """Set the fitted attributes from a solution over the kept items."""
        coef = np.zeros(len(self.items_), dtype=np.int64)
        coef[kept] = np.asarray(lam[1:], dtype=np.int64)
        self.coef_ = coef
        self.intercept_ = int(lam[0])
        self.certificate_ = certificate
        scores = self._scores(X)
        self.score_range_ = (float(np.floor(scores.min())), float(np.ceil(scores.max())))

    # -- prediction ---------------------------------------------------------------------
    def _scores(self, X: pd.DataFrame) -> np.ndarray:
        used = np.flatnonzero(self.coef_)
        values = self._item_matrix([self.items_[j] for j in used], X)
        return self.intercept_ + values @ self.coef_[used].astype(float)

    def decision_function(self, X) -> np.ndarray:
        """The card's total score per row (an integer when the item values are integers)."""
        self._check_fitted()
        return self._scores(self._validate_input(X, reset=False))

    def _predict_proba(self, X) -> np.ndarray:
        risk = expit(self._scores(X))
        return np.column_stack([1.0 - risk, risk])

    # -- state, rendering, explanations --------------------------------------------------
    def _to_state(self) -> dict:
        items = [{"name": it["name"], "column": it["column"], "kind": it["kind"],
                  "condition": None if it["condition"] is None else it["condition"].to_dict()}
                 for it in self.items_]
        return {"items": items, "coef": self.coef_, "intercept": self.intercept_,
                "dropped": self.dropped_, "score_range": list(self.score_range_),
                "numeric": self.numeric, "certificate": self.certificate_.to_dict(),
                "decomposition": self.decomposition_}

    def _set_state(self, state: dict) -> None:
        self.items_ = [{"name": it["name"], "column": it["column"], "kind": it["kind"],
                        "condition": None if it["condition"] is None
                        else Condition.from_dict(it["condition"])} for it in state["items"]]
        self.coef_ = np.asarray(state["coef"], dtype=np.int64)
        self.intercept_ = int(state["intercept"])
        self.dropped_ = list(state["dropped"])
        self.score_range_ = tuple(float(v) for v in state["score_range"])
        self.certificate_ = Certificate.from_dict(state["certificate"])
        self.decomposition_ = state.get("decomposition")

    @staticmethod
    def _item_label(item) -> tuple[str, str]:
        if item["kind"] == "integer":
            return item["name"], "per unit"
        return item["name"], "if true"

    def _render(self, state: dict) -> Rendering:
        rows = []
        for item, points in zip(state["items"], state["coef"]):
            if points:
                label, per = self._item_label(item)
                rows.append([label, per, int(points)])
        handling = ("numeric columns are used as integers (points per unit); 0/1 columns "
                    "as yes/no items" if state["numeric"] == "integer" else
                    "columns are binarized into yes/no conditions first")
        lo, hi = (int(v) for v in state["score_range"])
        if max(lo, -RISK_TABLE_REACH) <= min(hi, RISK_TABLE_REACH):  # beyond: ~0% or ~100%
            lo, hi = max(lo, -RISK_TABLE_REACH), min(hi, RISK_TABLE_REACH)
        scores = list(range(lo, hi + 1))
        if len(scores) > 15:  # keep the risk table readable
            scores = sorted({int(round(v)) for v in np.linspace(lo, hi, 15)})
        cert = Certificate.from_dict(state["certificate"])
        footer = [f"score = {state['intercept']} + sum of points",
                  "risk = 1 / (1 + exp(-score))",
                  "score: " + "  ".join(f"{s:>6}" for s in scores),
                  "risk:  " + "  ".join(f"{expit(s):>6.1%}" for s in scores),
                  f"({handling}"
                  + (f"; dropped constant {', '.join(state['dropped'])})" if state["dropped"]
                     else ")"),
                  str(cert)]
        return Rendering(title="Risk score card", columns=["feature", "counted", "points"],
                         rows=rows, header=[], footer=footer)

    def _explain(self, X) -> Explanation:
        used = np.flatnonzero(self.coef_)
        values = self._item_matrix([self.items_[j] for j in used], X)
        scores = self._scores(X)
        rows, texts, details = [], [], []
        for i in range(len(X)):
            parts = [{"item": "intercept", "value": 1, "points": self.intercept_}]
            for k, j in enumerate(used):
                value = values[i, k]
                parts.append({"item": self.items_[j]["name"], "value": _number(value),
                              "points": _number(value * self.coef_[j]),
                              "per_unit": self.items_[j]["kind"] == "integer"})
            risk = float(expit(scores[i]))
            label = self.classes_[int(scores[i] > 0)]
            rows.append({"row": i, "score": _number(scores[i]), "risk": risk,
                         "prediction": label})
            listed = "; ".join(_describe_part(p) for p in parts[1:] if p["points"] != 0)
            texts.append(f"intercept {self.intercept_}"
                         + (f"; {listed}" if listed else "")
                         + f" -> score {_format_value(_number(scores[i]))}, risk {risk:.1%}"
                         f" -> predict {label}")
            details.append(parts)
        return Explanation(type(self).__name__, rows, texts, details)


def _describe_part(part) -> str:
    """``age = 3: 6 points`` for a per-unit item, ``smoker: 2 points`` for a yes/no one."""
    what = (f"{part['item']} = {_format_value(part['value'])}" if part["per_unit"]
            else part["item"])
    points = part["points"]
    return f"{what}: {_format_value(points)} point{'' if abs(points) == 1 else 's'}"


def _number(value):
    value = float(value)
    return int(value) if value.is_integer() else value


def enumerate_score_cards(estimator, X, y, objective_bound, max_models=1000):
    """Every integer score card with objective at most ``objective_bound``.

    The cards range over the estimator's own model class: its ``coef_bounds``,
    ``intercept_bounds``, ``max_features``, ``c0`` and ``constraints``. SCIP explores the
    lattice with the same loss cuts as :class:`RiskScoreClassifier`; every integral point
    it meets within the bound is recorded and branched out of its node, so the
    enumeration is complete unless ``max_models`` or the estimator's ``time_limit`` stops
    it first (then a warning says so).

    Parameters
    ----------
    estimator : RiskScoreClassifier
        Supplies the model class (it need not be fitted).
    X, y : array-like
        Training data.
    objective_bound : float
        Largest objective (mean logistic loss + c0 x features used) to keep.
    max_models : int, default=1000
        Stop after this many cards.

    Returns
    -------
    cards : list of (float, RiskScoreClassifier)
        ``(objective, fitted card)`` pairs sorted by objective; each card's
        ``certificate_`` is ``"heuristic"`` (it is one member of the set, not a claim of
        optimality).
    """
    if not isinstance(estimator, RiskScoreClassifier):
        raise TypeError(f"enumerate_score_cards needs a RiskScoreClassifier, got "
                        f"{type(estimator).__name__}.")
    if not isinstance(max_models, numbers.Integral) or max_models < 1:
        raise ValueError(f"max_models must be a positive integer, got {max_models!r}.")
    scip = _import_scip()
    from sklearn.base import clone

    from glassbox.scoring import _scip

    template = clone(estimator)
    template._validate_params()
    X = template._validate_input(X, reset=True)
    template.classes_, y_index = check_target(y, template, len(X), binary_only=True)
    problem, kept = template._setup(X, y_index)
    relaxed = RiskScoreClassifier._relaxation(problem)
    start = time.perf_counter()
    found, status = _scip.enumerate_points(
        scip, problem, float(objective_bound), max_models=int(max_models),
        time_limit=template.time_limit, cut_points=[] if relaxed is None else [relaxed],
        seed=int(make_rng(template.random_state).integers(0, 2**31 - 1)))
    seconds = time.perf_counter() - start
    if status != "optimal":
        warnings.warn(f"enumerate_score_cards stopped early ({status.replace('_', ' ')}): "
                      f"{len(found)} card(s) found, the list may be incomplete.", UserWarning,
                      stacklevel=2)
    cards = []
    for objective, lam in found[:max_models]:
        card = clone(template)
        card.n_features_in_ = template.n_features_in_
        if hasattr(template, "feature_names_in_"):
            card.feature_names_in_ = template.feature_names_in_
        card.classes_ = template.classes_
        card.items_, card.dropped_ = template.items_, template.dropped_
        certificate = Certificate("heuristic", objective, -np.inf, 0, seconds)
        card._store(lam, kept, X, certificate)
        cards.append((float(objective), card))
    return cards
