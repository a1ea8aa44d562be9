"""RashomonSet: every model almost as good as the best one."""

from __future__ import annotations

import math
import numbers
from fractions import Fraction

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone

from glassbox._base import HasMethods, Interval, StrOptions, check_target, make_rng
from glassbox.rashomon._linear import (
    LINEAR_MODELS,
    Ellipsoid,
    _design,
    _parameters,
    linear_hessian,
    linear_loss,
)
from glassbox.rashomon._trees import TreeSet, uniform_index
from glassbox.trees._search import exact_fraction

BOUNDS = ("additive", "multiplicative", "absolute")

# estimator class name -> (module, enumerator function) for sets that are listed model by model
ENUMERATORS = {
    "RuleListClassifier": ("glassbox.rules", "enumerate_rule_lists"),
    "RiskScoreClassifier": ("glassbox.scoring", "enumerate_score_cards"),
}


def objective_bound(best, epsilon, bound: str):
    """The largest objective in the set, exactly (Fractions in, Fraction out)."""
    if bound == "additive":
        return best + epsilon
    if bound == "multiplicative":
        return best * (1 + epsilon)
    return epsilon


class RashomonSet(BaseEstimator):
    """All models whose objective is within ``epsilon`` of the best one.

    What is computed depends on the estimator:

    * :class:`~glassbox.trees.SparseTreeClassifier`: the **exact** set of trees
      (same regularization, depth and binary features), kept as a DAG of
      subproblems with counts, never tree by tree. Objectives are compared in
      exact integer arithmetic, so trees exactly on the boundary are always
      kept. As in TreeFARMS, a split whose two leaves predict the same label is
      the same classifier as a leaf and is not counted.
    * ``RuleListClassifier`` / ``RiskScoreClassifier``: the list returned by
      ``glassbox.rules.enumerate_rule_lists`` / ``glassbox.scoring.enumerate_score_cards``
      (at most ``max_models``).
    * scikit-learn ``LogisticRegression``, ``Ridge``, ``LinearRegression``: the
      closed-form ellipsoid of parameters (exact for squared loss, Laplace
      approximation for logistic loss), with its volume.

    Parameters
    ----------
    estimator : estimator, default=None
        The model class and its hyper-parameters (not fitted by the caller).
        None means ``SparseTreeClassifier()``.
    epsilon : float or Fraction, default=0.01
        Slack on the objective. A float is read as the decimal it prints as
        (``0.01`` is exactly 1/100).
    bound : {"additive", "multiplicative", "absolute"}, default="additive"
        The set keeps objectives ``<= best + epsilon``, ``<= best x (1 + epsilon)``
        or ``<= epsilon``.
    max_models : int, default=100000
        Cap for sets that are listed model by model (rule lists, score cards).
    n_draws : int, default=1000
        Parameter vectors drawn for the set-level prediction of ellipsoids.
    random_state : int, Generator or None, default=None
        For the draws of ellipsoids.

    Attributes
    ----------
    kind_ : {"trees", "enumerated", "ellipsoid"}
    size_ : int or float
        Number of models (``inf`` for an ellipsoid).
    optimal_objective_ : float
    objective_bound_ : float
        Largest objective in the set.
    best_estimator_ : estimator
        A fitted optimal model.
    log_volume_ : float
        Ellipsoids only: log of the set's volume in parameter space.
    classes_ : ndarray
        Class labels (classifiers).

    Examples
    --------
    >>> import numpy as np
    >>> from glassbox.trees import SparseTreeClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.integers(0, 2, size=(200, 4))
    >>> y = X[:, 0] | X[:, 1]
    >>> rs = RashomonSet(SparseTreeClassifier(max_depth=2), epsilon=0.02).fit(X, y)
    >>> rs.models(0).score(X, y)
    1.0
    """

    _parameter_constraints = {
        "estimator": [None, HasMethods(["fit"])],
        "epsilon": [Fraction, Interval(numbers.Real, 0, None, closed="left")],
        "bound": [StrOptions(set(BOUNDS))],
        "max_models": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_draws": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, estimator=None, *, epsilon=0.01, bound="additive", max_models=100_000,
                 n_draws=1000, random_state=None):
        self.estimator = estimator
        self.epsilon = epsilon
        self.bound = bound
        self.max_models = max_models
        self.n_draws = n_draws
        self.random_state = random_state

    # -- fitting ------------------------------------------------------------------
    def fit(self, X, y):
        """Find the set for training data ``(X, y)``."""
        self._validate_params()
        if self.epsilon < 0:  # an exact Fraction escapes the Interval check
            raise ValueError(f"The 'epsilon' parameter of RashomonSet must be >= 0, got "
                             f"{self.epsilon!r}.")
        from glassbox.trees import SparseTreeClassifier

        estimator = SparseTreeClassifier() if self.estimator is None else self.estimator
        name = type(estimator).__name__
        if isinstance(estimator, SparseTreeClassifier):
            self._fit_trees(clone(estimator), X, y)
        elif name in LINEAR_MODELS:
            self._fit_linear(clone(estimator), X, y)
        elif name in ENUMERATORS:
            self._fit_enumerated(clone(estimator), X, y)
        else:
            raise TypeError(
                f"RashomonSet supports SparseTreeClassifier, {', '.join(ENUMERATORS)} and "
                f"scikit-learn {', '.join(LINEAR_MODELS)}; got {name}.")
        return self

    def _fit_trees(self, template, X, y):
        template._validate_params()
        frame = template._validate_input(X, reset=True)
        self.classes_, y_index = check_target(y, template, len(frame), binary_only=True)
        template.classes_ = self.classes_
        space, conditions = template._search_space(frame, y_index)
        depth = template._depth
        best = space.optimum(space.root, depth)
        limit = objective_bound(Fraction(best, space.scale), exact_fraction(self.epsilon),
                                self.bound)
        bound = math.floor(limit * space.scale)
        self._exact_limit = limit
        self._template, self._space, self._conditions = template, space, conditions
        self._trees = TreeSet(space, depth, bound)
        self.kind_ = "trees"
        self.size_ = self._trees.size
        self.optimal_objective_ = space.to_float(best)
        self.objective_bound_ = float(limit)
        self.best_estimator_ = None
        if self.size_:
            from glassbox._base import Certificate
            from glassbox.trees._model import fitted_tree

            self.best_estimator_ = fitted_tree(
                template, self._trees.tree(0)[0], space, conditions, self.classes_,
                getattr(template, "feature_names_in_", None),
                Certificate("optimal", self.optimal_objective_, self.optimal_objective_,
                            space.nodes))

    def _fit_enumerated(self, template, X, y):
        import importlib

        module, function = ENUMERATORS[type(template).__name__]
        enumerate_models = getattr(importlib.import_module(module), function, None)
        if enumerate_models is None:
            raise TypeError(f"{module}.{function} is not available in this glassbox, so "
                            f"RashomonSet cannot list {type(template).__name__} models.")
        best_model = clone(template).fit(X, y)
        best = best_model.certificate_.objective
        limit = float(objective_bound(best, self.epsilon, self.bound))
        found = enumerate_models(template, X, y, limit, self.max_models)
        self._listed = sorted(found, key=lambda pair: pair[0])
        self.kind_ = "enumerated"
        self.classes_ = best_model.classes_
        self.size_ = len(self._listed)
        self.optimal_objective_ = float(min([best] + [o for o, _ in self._listed]))
        self.objective_bound_ = limit
        self.best_estimator_ = self._listed[0][1] if self._listed else best_model
        self._X, self._y = X, np.asarray(y)

    def _fit_linear(self, template, X, y):
        model = template.fit(X, y)
        if len(getattr(model, "classes_", ())) > 2:
            raise ValueError(f"The Rashomon ellipsoid needs a binary target; y has "
                             f"{len(model.classes_)} classes.")
        center = _parameters(model)
        best = float(linear_loss(model, X, y, center)[0])
        limit = float(objective_bound(best, float(self.epsilon), self.bound))
        self.ellipsoid_ = Ellipsoid(center, linear_hessian(model, X), limit - best)
        self.kind_ = "ellipsoid"
        self.size_ = math.inf if limit > best else int(limit == best)
        self.optimal_objective_ = best
        self.objective_bound_ = limit
        self.log_volume_ = self.ellipsoid_.log_volume
        self.best_estimator_ = model
        if hasattr(model, "classes_"):
            self.classes_ = model.classes_
        self._X, self._y = X, np.asarray(y)

    def _check_fitted(self):
        if not hasattr(self, "kind_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("This RashomonSet is not fitted yet; call fit(X, y) first.")

    # -- members ------------------------------------------------------------------------
    def models(self, k: int):
        """The ``k``-th model of the set (0 is optimal), as a fitted estimator.

        Models are ordered by objective, then by a fixed order of structure.
        """
        self._check_fitted()
        if self.kind_ == "ellipsoid":
            raise TypeError("An ellipsoid holds a continuum of models; use sample(n).")
        k = int(k)
        if not 0 <= k < self.size_:
            raise IndexError(f"model index {k} is out of range: the set has {self.size_} "
                             "models.")
        if self.kind_ == "enumerated":
            return self._listed[k][1]
        return self._tree_model(self._trees.tree(k)[0])

    def _tree_model(self, index_tree):
        from glassbox.trees._model import fitted_tree

        template = self._template
        return fitted_tree(template, index_tree, self._space, self._conditions, self.classes_,
                           getattr(template, "feature_names_in_", None))

    def sample(self, n: int, random_state=None) -> list:
        """``n`` models drawn uniformly from the set (with replacement)."""
        self._check_fitted()
        rng = make_rng(random_state)
        if self.kind_ == "ellipsoid":
            return [self._linear_model(theta) for theta in self.ellipsoid_.sample(n, rng)]
        if not self.size_:
            raise ValueError("The Rashomon set is empty; nothing to sample.")
        return [self.models(uniform_index(rng, self.size_)) for _ in range(n)]

    def _linear_model(self, theta):
        model = clone(self.best_estimator_)
        for name, value in vars(self.best_estimator_).items():
            if name.endswith("_"):
                setattr(model, name, value)
        n_coef = np.ravel(self.best_estimator_.coef_).size
        model.coef_ = theta[:n_coef].reshape(np.shape(self.best_estimator_.coef_))
        if model.fit_intercept:
            model.intercept_ = (theta[n_coef:] if np.ndim(self.best_estimator_.intercept_)
                                else float(theta[n_coef]))
        return model

    def contains(self, model) -> bool:
        """Whether a fitted linear model's parameters lie in the ellipsoid."""
        self._check_fitted()
        if self.kind_ != "ellipsoid":
            raise TypeError("contains() tests parameters against an ellipsoid; this set "
                            f"holds {self.kind_}.")
        return bool(self.ellipsoid_.contains(_parameters(model))[0])

    def objective_counts(self) -> pd.DataFrame:
        """How many models have each objective (best first)."""
        self._check_fitted()
        if self.kind_ == "trees":
            space = self._space
            rows = [(space.to_float(o), c) for o, c in self._trees.objective_counts()]
        elif self.kind_ == "enumerated":
            values, counts = np.unique([o for o, _ in self._listed], return_counts=True)
            rows = list(zip(values.tolist(), counts.tolist()))
        else:
            raise TypeError("An ellipsoid has a continuum of objectives.")
        return pd.DataFrame(rows, columns=["objective", "count"])

    # -- the whole set at once ------------------------------------------------------------
    def predict_proba(self, X) -> np.ndarray:
        """Share of the set's models voting for each class (columns follow ``classes_``)."""
        self._check_fitted()
        if not hasattr(self, "classes_"):
            raise TypeError("predict_proba needs a set of classifiers.")
        if self.kind_ == "trees":
            from glassbox.trees._model import evaluate_features

            frame = self._template._validate_input(X, reset=False)
            Zq = evaluate_features(frame, self._conditions)
            share = self._trees.positive_votes(Zq) / float(self.size_)
        elif self.kind_ == "ellipsoid":
            thetas = self.ellipsoid_.sample(self.n_draws, make_rng(self.random_state))
            scores = _design(X, self.best_estimator_.fit_intercept) @ thetas.T
            share = np.mean(scores > 0, axis=1)
        else:
            share = np.mean([m.predict(X) == self.classes_[1] for _, m in self._listed], axis=0)
        return np.column_stack([1.0 - share, share])

    def predict(self, X) -> np.ndarray:
        """Majority vote of the set (ties go to ``classes_[1]``); mean prediction for regressors."""
        self._check_fitted()
        if not hasattr(self, "classes_"):
            thetas = self.ellipsoid_.sample(self.n_draws, make_rng(self.random_state))
            return (_design(X, self.best_estimator_.fit_intercept) @ thetas.T).mean(axis=1)
        share = self.predict_proba(X)[:, 1]
        return self.classes_[(share >= 0.5).astype(int)]

    def variable_importance(self, return_distributions: bool = False):
        """Range and distribution of each feature's importance over the whole set.

        Trees: model reliance (difference form: loss with the binary feature
        replaced by an independent draw from its marginal, averaged exactly,
        minus the loss) of every tree, computed by dynamic programming over the
        DAG. Listed sets: the same with each column permuted (5 fixed
        permutations), model by model. Ellipsoids: the range of each
        coefficient over the ellipsoid.

        Returns
        -------
        table : DataFrame
            One row per feature: ``min``, ``max``, ``mean``.
        distributions : dict, optional
            With ``return_distributions=True``: feature -> DataFrame of
            ``(reliance, count)``.
        """
        self._check_fitted()
        distributions = {}
        if self.kind_ == "ellipsoid":
            names = _feature_names(self.best_estimator_, self.ellipsoid_.dimension)
            center, half = self.ellipsoid_.center, self.ellipsoid_.ranges()
            table = pd.DataFrame({"feature": names, "min": center - half, "max": center + half,
                                  "mean": center, "kind": "coefficient"})
            return (table, distributions) if return_distributions else table
        if self.kind_ == "trees":
            scale = float(self._space.n_samples) ** 2
            for j, condition in enumerate(self._conditions):
                found = self._trees.reliance_distribution(j)
                distributions[condition.name] = pd.DataFrame(
                    [(v / scale, c) for v, c in found.items()], columns=["reliance", "count"])
        else:
            distributions = self._listed_reliance()
        rows = []
        for name, frame in distributions.items():
            counts = frame["count"].to_numpy(dtype=float)
            values = frame["reliance"].to_numpy(dtype=float)
            rows.append({"feature": name, "min": values.min(), "max": values.max(),
                         "mean": float(np.dot(values, counts) / counts.sum()),
                         "kind": "model reliance"})
        table = pd.DataFrame(rows)
        return (table, distributions) if return_distributions else table

    def _listed_reliance(self) -> dict:
        frame = self._X if isinstance(self._X, pd.DataFrame) else pd.DataFrame(
            np.asarray(self._X), columns=[f"x{i}" for i in range(np.shape(self._X)[1])])
        rng = make_rng(0)
        orders = [rng.permutation(len(frame)) for _ in range(5)]
        out = {}
        for column in frame.columns:
            values = []
            for _, model in self._listed:
                base = np.mean(model.predict(self._X) != self._y)
                permuted = []
                for order in orders:
                    shuffled = frame.copy()
                    shuffled[column] = frame[column].to_numpy()[order]
                    data = shuffled if isinstance(self._X, pd.DataFrame) else shuffled.to_numpy()
                    permuted.append(np.mean(model.predict(data) != self._y))
                values.append(float(np.mean(permuted) - base))
            unique, counts = np.unique(values, return_counts=True)
            out[str(column)] = pd.DataFrame({"reliance": unique, "count": counts})
        return out

    def patterns(self, max_patterns: int = 1_000_000) -> int:
        """Number of distinct prediction vectors on the training rows among the set's models."""
        self._check_fitted()
        if self.kind_ == "trees":
            return len(self._trees.patterns(max_patterns))
        if self.kind_ == "enumerated":
            return len({m.predict(self._X).tobytes() for _, m in self._listed})
        raise TypeError("An ellipsoid's prediction patterns are not enumerable.")

    def __repr__(self, N_CHAR_MAX=700) -> str:
        base = super().__repr__(N_CHAR_MAX)
        if hasattr(self, "kind_"):
            return f"{base}  # {self.size_:,} models, best objective {self.optimal_objective_:.6g}"
        return base


def _feature_names(model, n_parameters: int) -> list[str]:
    names = list(getattr(model, "feature_names_in_", []))
    n_coef = np.ravel(model.coef_).size
    names = names if len(names) == n_coef else [f"x{i}" for i in range(n_coef)]
    return names + ["intercept"] * (n_parameters - n_coef)
