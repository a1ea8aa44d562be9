"""Distil any black box into a readable student model, with an honest fidelity figure."""

from __future__ import annotations

import math
from numbers import Integral, Real
from statistics import NormalDist

import numpy as np

from glassbox._base import (
    Explanation,
    GlassboxClassifier,
    GlassboxMixin,
    HasMethods,
    Interval,
    Rendering,
    StrOptions,
    _jsonable,
    check_y_rows,
    conjunction_name,
    from_dict,
    make_rng,
)
from glassbox.distill._lookahead import lookahead_tree
from glassbox.distill._sampler import (
    INTEGER,
    ColumnCoder,
    RegionSampler,
    inside_float32,
    leaf_boxes,
)
from glassbox.distill._teacher import prepare_teacher
from glassbox.distill._trees import (
    leaf_paths,
    leaf_prediction,
    tree_from_state,
    tree_text,
    tree_to_state,
)

# Queries per training row when n_queries="auto": the budget (<= 20x).
AUTO_QUERY_FACTOR = 20
# A round of queries must raise the validation fidelity by this much to count as progress.
MIN_IMPROVEMENT = 1e-3
# Rounds without progress tolerated before stopping (a later round may still help).
PATIENCE = 1
# Share of a leaf's queries that do not depend on how mixed its labels are.
OVERSAMPLING_FLOOR = 0.2
# Kernel width, in units of the mixture component's covariance, of the smoothed bootstrap.
BANDWIDTH = 1.0
# Share of each round's queries drawn from the density as a whole rather than per leaf.
GLOBAL_SHARE = 0.5
# Candidate splits per node tried by the lookahead of the default student.
LOOKAHEAD_CANDIDATES = 5


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion.

    Parameters
    ----------
    successes, n : int
        Agreements and trials.
    confidence : float

    Returns
    -------
    (low, high) : tuple of float
        ``(nan, nan)`` when ``n == 0``.

    Examples
    --------
    >>> low, high = wilson_interval(95, 100)
    >>> round(low, 4), round(high, 4)
    (0.8883, 0.9785)
    """
    if n == 0:
        return math.nan, math.nan
    if not 0 <= successes <= n:
        raise ValueError(f"successes must lie in [0, n={n}], got {successes}.")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = successes / n
    denom = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if successes == 0 else max(0.0, center - half)
    high = 1.0 if successes == n else min(1.0, center + half)
    return low, high


def r2_score_safe(reference, predicted) -> float:
    reference, predicted = np.asarray(reference, float), np.asarray(predicted, float)
    total = np.sum((reference - reference.mean()) ** 2)
    residual = np.sum((reference - predicted) ** 2)
    return 1.0 - residual / total if total > 0 else float(residual == 0)


def boundary_quarter(proba: np.ndarray) -> np.ndarray:
    """Indices of the quarter of rows nearest the teacher's decision boundary (smallest
    gap between its two most probable classes)."""
    top2 = np.sort(proba, axis=1)[:, -2:]
    margin = top2[:, 1] - top2[:, 0]
    k = max(1, int(math.ceil(len(proba) / 4)))
    return np.argsort(margin, kind="stable")[:k]


def _is_sklearn_tree(estimator) -> bool:
    from sklearn.tree import BaseDecisionTree

    return isinstance(estimator, BaseDecisionTree)


class Distiller(GlassboxClassifier):
    """A readable student model that mimics a black-box teacher.

    The student is first fitted on the teacher's labels of the training rows.
    Then, round after round, new inputs are synthesized - half from a density of the
    data as a whole, half inside the leaves of the current tree (TREPAN-style
    per-node sampling, more where the teacher's labels in the leaf are mixed;
    integer columns stay integers, categorical columns keep their frequencies
    inside the leaf) - labelled by the teacher, and the student is refitted on
    everything. The rounds stop when fidelity on a fresh synthetic
    validation sample stops improving, reaches ``fidelity_target``, or the query
    budget is spent. The final default tree (classification) then chooses its top
    ``lookahead`` levels of splits by lookahead over the same rows. The reported
    ``fidelity_`` is measured on real rows held out from all of this.

    Parameters
    ----------
    teacher : estimator, callable or torch.nn.Module
        The model to mimic. A fitted sklearn classifier (``predict_proba`` or
        ``predict``) or regressor, a callable returning labels / probabilities /
        values, or a torch module returning logits (called without gradients).
        An unfitted sklearn estimator is fitted (a copy) on ``(X, y)`` first.
        Not saved by ``to_dict``.
    student : estimator, optional
        A glassbox estimator or an sklearn decision tree. Default: a
        ``DecisionTreeClassifier(max_depth=max_depth)`` (a regressor for
        regression teachers).
    n_queries : "auto" or int, default="auto"
        Query budget; ``"auto"`` is 20 per training row.
    fidelity_target : float, optional
        Stop as soon as the validation fidelity (R^2 for regression) reaches it.
    sampler : {"auto", "kde", "gmm", "mix"}, default="auto"
        ``"kde"``: smoothed bootstrap around the leaf's points with the covariance of
        their mixture component; ``"gmm"``: draws from those mixture components,
        truncated to the leaf; ``"mix"``: random points between two of the leaf's
        points (rounded in integer columns). ``"auto"``: ``"mix"`` when at least half
        of the columns are integer columns (pixels, counts), else ``"kde"``.
    max_depth : int, default=4
        Depth of the default student.
    max_rounds : int, default=2
        Rounds of query synthesis; each spends ``n_queries / max_rounds``.
    lookahead : int, default=2
        Levels at the top of the default tree (classification) whose splits are chosen
        by lookahead: at each such node the 5 best splits by entropy gain are each
        completed by greedy CART, and the one whose completed tree agrees most with the
        teacher on the training rows and queries is kept. 0: greedy CART throughout
        (faster). Ignored for a user-given student or a regression teacher.
    test_size : float, default=0.2
        Fraction of the rows held out to measure ``fidelity_``.
    refit : bool, default=True
        Refit the final student with the held-out rows added back (same queries).
        ``fidelity_`` is then the estimate made without them, a slightly
        pessimistic one; with ``refit=False`` it describes the student exactly.
    task : {"auto", "classification", "regression"}, default="auto"
    random_state : int, Generator or None

    Attributes
    ----------
    student_ : estimator
        The fitted student; ``predict``, ``predict_proba``, ``str()`` and
        ``explain`` delegate to it.
    teacher_ : estimator
        The teacher as used (a fitted copy when an unfitted one was given).
    fidelity_ : float
        Agreement of student and teacher on the held-out real rows (R^2 for
        regression).
    fidelity_interval_ : tuple of float
        95% Wilson interval of ``fidelity_`` (classification).
    boundary_fidelity_ : float
        Agreement on the quarter of held-out rows nearest the teacher's decision
        boundary (nan when the teacher gives no probabilities).
    n_queries_ : int
        Synthesized queries the student was trained on.
    fidelity_history_ : list of (int, float)
        (queries, validation fidelity) after each round.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> X, y = make_classification(300, 5, random_state=0)
    >>> forest = RandomForestClassifier(50, random_state=0).fit(X, y)
    >>> d = Distiller(forest, n_queries=600, random_state=0).fit(X)
    >>> d.fidelity_ > 0.8
    True
    """

    _binary_only = False
    _fitted_attributes = ("student_",)
    _parameter_constraints = {
        "teacher": "no_validation",
        "student": [None, HasMethods(["fit", "predict"])],
        "n_queries": [StrOptions({"auto"}), Interval(Integral, 0, None, closed="left")],
        "fidelity_target": [None, Interval(Real, 0, 1, closed="right")],
        "sampler": [StrOptions({"auto", "kde", "gmm", "mix"})],
        "max_depth": [Interval(Integral, 1, None, closed="left")],
        "max_rounds": [Interval(Integral, 1, None, closed="left")],
        "lookahead": [Interval(Integral, 0, None, closed="left")],
        "test_size": [Interval(Real, 0, 1, closed="neither")],
        "refit": ["boolean"],
        "task": [StrOptions({"auto", "classification", "regression"})],
        "random_state": ["random_state"],
    }
    _expected_failed_checks = {}

    def __init__(self, teacher=None, student=None, *, n_queries="auto", fidelity_target=None,
                 sampler="auto", max_depth=4, max_rounds=2, lookahead=2, test_size=0.2,
                 refit=True, task="auto", random_state=None):
        self.teacher = teacher
        self.student = student
        self.n_queries = n_queries
        self.fidelity_target = fidelity_target
        self.sampler = sampler
        self.max_depth = max_depth
        self.max_rounds = max_rounds
        self.lookahead = lookahead
        self.test_size = test_size
        self.refit = refit
        self.task = task
        self.random_state = random_state

    @classmethod
    def _test_instance(cls):
        from sklearn.linear_model import LogisticRegression

        return cls(LogisticRegression(), n_queries=50, max_rounds=1, random_state=0)

    # -- fitting -------------------------------------------------------------
    def fit(self, X, y=None):
        """Distil the teacher on the rows of ``X``.

        Parameters
        ----------
        X : table (n_samples, n_features)
            Real inputs: the density queries are drawn from, and the held-out rows.
        y : array-like, optional
            Only needed when the teacher is an unfitted sklearn estimator (it is
            fitted on ``(X, y)`` first); otherwise ignored.
        """
        self._validate_params()
        frame = self._validate_input(X, reset=True)
        if y is not None:
            y = check_y_rows(y, len(frame))
        self._coder = ColumnCoder().fit(frame)
        Z = self._coder.encode(frame)
        teacher_input = X if not hasattr(X, "iloc") else frame
        wrapped, self.teacher_ = prepare_teacher(self.teacher, teacher_input, y,
                                                 frame.columns, task=self.task,
                                                 text_columns=list(self._coder.levels_))
        self._teacher = wrapped
        self._teacher_name = type(self.teacher_).__name__
        self.task_ = wrapped.task
        self.classes_ = None if self.task_ == "regression" else wrapped.classes_
        rng = make_rng(self.random_state)
        self._fit_rounds(Z, rng)
        return self

    def _teacher_targets(self, Z):
        """Teacher answers on encoded rows: class indices, or values for regression."""
        frame = self._coder.decode(Z)
        if self.task_ == "regression":
            return self._teacher.values(frame)
        return self._teacher.label_index(frame)

    def _student_input(self, Z):
        if isinstance(self.student_, GlassboxMixin) or self._coder.has_levels and not \
                _is_sklearn_tree(self.student_):
            return self._coder.decode(Z)
        return Z

    def _fit_student(self, Z, targets, validation=None, *, lookahead=False):
        """Fit the student; the default tree tries both split criteria and keeps the one
        that agrees more with the teacher on the validation queries. ``lookahead``: the
        default tree's top splits are chosen by lookahead instead (see
        :func:`glassbox.distill._lookahead.lookahead_tree`)."""
        from sklearn.base import clone

        if lookahead:
            self.student_ = lookahead_tree(Z, targets, len(self.classes_),
                                           max_depth=self.max_depth,
                                           n_candidates=LOOKAHEAD_CANDIDATES,
                                           lookahead=self.lookahead, random_state=int(self._seed))
            self.student_.classes_ = np.asarray(self.classes_)
            return
        candidates = (self._default_students() if self.student is None
                      else [clone(self.student)])
        if validation is None:
            candidates = candidates[:1]
        labels = targets if self.task_ == "regression" else self.classes_[targets]
        best = -np.inf
        for student in candidates:
            self.student_ = student  # _student_input asks which kind of student it is
            student.fit(self._student_input(Z), labels)
            if len(candidates) > 1:
                score = self._agreement(*validation)
                if score > best:
                    best, chosen = score, student
        if len(candidates) > 1:
            self.student_ = chosen

    def _uses_lookahead(self) -> bool:
        return self.student is None and self.task_ != "regression" and self.lookahead > 0

    def _default_students(self):
        from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

        seed = int(self._seed)
        if self.task_ == "regression":
            return [DecisionTreeRegressor(max_depth=self.max_depth, random_state=seed)]
        return [DecisionTreeClassifier(max_depth=self.max_depth, criterion=criterion,
                                       random_state=seed) for criterion in ("gini", "entropy")]

    def _student_targets(self, Z):
        predicted = np.asarray(self.student_.predict(self._student_input(Z)))
        if self.task_ == "regression":
            return predicted.astype(float)
        return np.searchsorted(self.classes_, predicted)

    def _agreement(self, Z, targets) -> float:
        predicted = self._student_targets(Z)
        if self.task_ == "regression":
            return r2_score_safe(targets, predicted)
        return float(np.mean(predicted == targets))

    def _split(self, Z, targets, rng):
        n = len(Z)
        n_test = int(round(self.test_size * n))
        if n < 10 or n_test < 1 or n - n_test < 2:
            return np.arange(n), np.arange(0)  # too few rows to hold any out
        from sklearn.model_selection import train_test_split

        stratify = None
        if self.task_ != "regression":
            counts = np.bincount(targets)
            if counts[counts > 0].min() >= 2 and n_test >= np.count_nonzero(counts):
                stratify = targets
        return train_test_split(np.arange(n), test_size=n_test, stratify=stratify,
                                random_state=int(rng.integers(2**31 - 1)))

    def _fit_rounds(self, Z, rng):
        targets = self._teacher_targets(Z)
        self._seed = rng.integers(2**31 - 1)
        train, held_out = self._split(Z, targets, rng)
        Z_train, t_train = Z[train], targets[train]
        budget = (AUTO_QUERY_FACTOR * len(train) if self.n_queries == "auto"
                  else int(self.n_queries))
        method = self._sampling_method()
        sampler = RegionSampler(self._coder.kinds_, method=method, bandwidth=BANDWIDTH,
                                rng=rng).fit(Z_train)

        pool_Z, pool_t = Z_train, t_train
        validation = None
        if budget > 0:
            # Validation queries from the same density, never trained on: they pick the
            # split criterion and decide when to stop.
            Z_val = sampler.sample(Z_train, min(max(len(train), 1000), budget))
            validation = Z_val, self._teacher_targets(Z_val)
            Z_val, t_val = validation
        self._fit_student(pool_Z, pool_t, validation=validation)
        self.fidelity_history_ = []
        self.n_queries_ = 0
        if budget > 0:
            best = self._agreement(Z_val, t_val)
            best_state = (self.student_, 0)
            self.fidelity_history_.append((0, best))
            per_round = int(math.ceil(budget / self.max_rounds))
            spent = stale = 0
            while spent < budget and not self._reached_target(best):
                new_Z = self._synthesize(sampler, Z_train, pool_Z, pool_t,
                                                min(per_round, budget - spent), rng)
                spent += len(new_Z)
                pool_Z = np.concatenate([pool_Z, new_Z])
                pool_t = np.concatenate([pool_t, self._teacher_targets(new_Z)])
                self._fit_student(pool_Z, pool_t, validation)
                score = self._agreement(Z_val, t_val)
                self.fidelity_history_.append((spent, score))
                # More queries are kept unless they made the validation fidelity worse;
                # only a real improvement resets the patience.
                stale = 0 if score >= best + MIN_IMPROVEMENT else stale + 1
                if score >= best:
                    best, best_state = score, (self.student_, spent)
                if stale > PATIENCE:
                    break
            self.student_, self.n_queries_ = best_state
        keep = len(train) + self.n_queries_
        lookahead = self._uses_lookahead()
        if lookahead:
            # The rounds grew greedy trees (cheap, to place the queries); the final student
            # chooses its top splits by lookahead on the same rows.
            self._fit_student(pool_Z[:keep], pool_t[:keep], lookahead=True)
        self._measure_fidelity(Z[held_out], targets[held_out])
        if self.refit and len(held_out):
            # The held-out rows join the training rows for the final student; fidelity_
            # stays the (slightly pessimistic) estimate made without them.
            self._fit_student(np.concatenate([pool_Z[:keep], Z[held_out]]),
                              np.concatenate([pool_t[:keep], targets[held_out]]), validation,
                              lookahead=lookahead)

    def _sampling_method(self) -> str:
        """``sampler="auto"``: mix real rows when most columns are whole numbers (pixels,
        counts: a grid that correlated noise would leave), else the smoothed bootstrap."""
        if self.sampler != "auto":
            return self.sampler
        integer = np.count_nonzero(self._coder.kinds_ == INTEGER)
        return "mix" if integer >= len(self._coder.kinds_) / 2 else "kde"

    def _reached_target(self, score) -> bool:
        return self.fidelity_target is not None and score >= self.fidelity_target

    def _region_tree(self, pool_Z, pool_t):
        """The partition queries are spread over: the student itself when it is an sklearn
        tree, else a helper tree of the same depth on the teacher's labels."""
        if _is_sklearn_tree(self.student_):
            return self.student_
        from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

        cls = DecisionTreeRegressor if self.task_ == "regression" else DecisionTreeClassifier
        return cls(max_depth=self.max_depth, random_state=int(self._seed)).fit(pool_Z, pool_t)

    def _synthesize(self, sampler, Z_train, pool_Z, pool_t, m, rng):
        """``m`` new queries: a share drawn from the density as a whole (so that the data's
        distribution stays represented), the rest spread over the leaves of the current
        partition that hold real rows, more where the teacher's labels are mixed, each drawn
        around that leaf's real rows and inside its box."""
        n_global = int(round(GLOBAL_SHARE * m))
        m -= n_global
        global_Z = sampler.sample(Z_train, n_global)
        region = self._region_tree(pool_Z, pool_t)
        leaves, lo, hi = leaf_boxes(region.tree_)
        lo, hi = inside_float32(lo, hi)
        where = region.apply(pool_Z.astype(np.float32))
        n_real = len(Z_train)
        need = np.zeros(len(leaves))
        for k, leaf in enumerate(leaves):
            rows = np.flatnonzero(where == leaf)
            if np.any(rows < n_real):
                need[k] = (len(rows) * (self._leaf_disagreement(pool_t[rows], pool_t)
                                        + OVERSAMPLING_FLOOR))
        counts = rng.multinomial(m, need / need.sum())
        drawn = [global_Z]
        for k, count in enumerate(counts):
            if count:
                rows = np.flatnonzero(where == leaves[k])
                drawn.append(sampler.sample(pool_Z[rows[rows < n_real]], count, lo[k], hi[k]))
        return np.concatenate(drawn)

    def _leaf_disagreement(self, targets, all_targets) -> float:
        """How mixed the teacher's answers in a leaf are (0 = all the same)."""
        if self.task_ == "regression":
            return float(np.std(targets) / max(np.std(all_targets), 1e-12))
        counts = np.bincount(targets)
        return 1.0 - counts.max() / len(targets)

    def _measure_fidelity(self, Z_test, t_test):
        self.n_held_out_ = len(Z_test)
        self.fidelity_interval_ = (math.nan, math.nan)
        self.boundary_fidelity_ = math.nan
        if len(Z_test) == 0:
            self.fidelity_ = math.nan
            return
        predicted = self._student_targets(Z_test)
        if self.task_ == "regression":
            self.fidelity_ = r2_score_safe(t_test, predicted)
            return
        agree = predicted == t_test
        self.fidelity_ = float(agree.mean())
        self.fidelity_interval_ = wilson_interval(int(agree.sum()), len(agree))
        if self._teacher.has_proba:
            proba = self._teacher.proba(self._coder.decode(Z_test))
            self.boundary_fidelity_ = float(agree[boundary_quarter(proba)].mean())

    # -- prediction ----------------------------------------------------------
    def _encoded(self, frame):
        return self._coder.encode(frame)

    def _predict_proba(self, X) -> np.ndarray:
        if self.task_ == "regression":
            raise AttributeError("A regression Distiller has no predict_proba; use predict.")
        Z = self._encoded(X)
        inputs = self._student_input(Z)
        student_classes = np.asarray(self.student_.classes_)
        out = np.zeros((len(Z), len(self.classes_)))
        columns = np.searchsorted(self.classes_, student_classes)
        if hasattr(self.student_, "predict_proba"):
            out[:, columns] = self.student_.predict_proba(inputs)
        else:
            out[np.arange(len(Z)), np.searchsorted(self.classes_,
                                                   self.student_.predict(inputs))] = 1.0
        return out

    def predict(self, X):
        """The student's predictions (class labels, or values for a regression teacher)."""
        if getattr(self, "task_", None) == "regression":
            self._check_fitted()
            frame = self._validate_input(X, reset=False)
            return np.asarray(self.student_.predict(self._student_input(self._encoded(frame))))
        return super().predict(X)

    def score(self, X, y, sample_weight=None):
        if getattr(self, "task_", None) == "regression":
            from sklearn.metrics import r2_score

            return r2_score(y, self.predict(X), sample_weight=sample_weight)
        return super().score(X, y, sample_weight=sample_weight)

    def fidelity(self, X) -> float:
        """Agreement of student and teacher on new rows ``X`` (R^2 for regression)."""
        self._check_fitted()
        if getattr(self, "_teacher", None) is None:
            raise ValueError("This Distiller was loaded from JSON and has no teacher; fidelity "
                             "needs one. Set d.teacher and refit, or compare predictions yourself.")
        frame = self._validate_input(X, reset=False)
        Z = self._encoded(frame)
        return self._agreement(Z, self._teacher_targets(Z))

    # -- state, rendering, explanation ----------------------------------------
    def _to_state(self) -> dict:
        if isinstance(self.student_, GlassboxMixin):
            student = {"kind": "glassbox", "model": self.student_.to_dict()}
        elif _is_sklearn_tree(self.student_):
            student = {"kind": "sklearn_tree", "tree": tree_to_state(self.student_)}
        else:
            raise TypeError(f"Cannot save a {type(self.student_).__name__} student in JSON; "
                            "to_dict supports glassbox estimators and sklearn decision trees.")
        coder = self._coder
        return _jsonable({
            "task": self.task_, "student": student,
            "columns": coder.columns_, "kinds": list(coder.kinds_), "levels": coder.levels_,
            "dtypes": {k: v.str for k, v in coder.dtypes_.items()},
            "fidelity": self.fidelity_, "fidelity_interval": list(self.fidelity_interval_),
            "boundary_fidelity": self.boundary_fidelity_, "n_queries": self.n_queries_,
            "n_held_out": self.n_held_out_,
            "fidelity_history": [list(h) for h in self.fidelity_history_],
            "teacher": self._teacher_name,
        })

    def _set_state(self, state: dict) -> None:
        student = state["student"]
        self.student_ = (from_dict(student["model"]) if student["kind"] == "glassbox"
                         else tree_from_state(student["tree"]))
        coder = ColumnCoder()
        coder.columns_ = list(state["columns"])
        coder.kinds_ = np.asarray(state["kinds"])
        coder.levels_ = {k: list(v) for k, v in state["levels"].items()}
        coder.dtypes_ = {k: np.dtype(v) for k, v in state["dtypes"].items()}
        self._coder = coder
        self._teacher = None
        self._teacher_name = state["teacher"]
        self.task_ = state["task"]
        as_float = lambda v: float(v)  # noqa: E731  ("nan" strings come back as floats)
        self.fidelity_ = as_float(state["fidelity"])
        self.fidelity_interval_ = tuple(as_float(v) for v in state["fidelity_interval"])
        self.boundary_fidelity_ = as_float(state["boundary_fidelity"])
        self.n_queries_ = int(state["n_queries"])
        self.n_held_out_ = int(state["n_held_out"])
        self.fidelity_history_ = [(int(q), float(f)) for q, f in state["fidelity_history"]]
        if self.task_ == "regression":
            self.classes_ = None

    @staticmethod
    def _fidelity_lines(state) -> list[str]:
        fid = float(state["fidelity"])
        teacher = state["teacher"]
        if state["task"] == "regression":
            return [f"fidelity to {teacher}: R^2 {fid:.3f} on {state['n_held_out']} held-out "
                    f"rows; trained with {state['n_queries']} synthesized queries"]
        low, high = (float(v) for v in state["fidelity_interval"])
        line = (f"fidelity to {teacher}: {fid:.3f} (95% CI {low:.3f}-{high:.3f}) on "
                f"{state['n_held_out']} held-out rows")
        boundary = float(state["boundary_fidelity"])
        if not math.isnan(boundary):
            line += f"; {boundary:.3f} near the decision boundary"
        return [line, f"trained with {state['n_queries']} synthesized queries"]

    def _render(self, state: dict) -> Rendering:
        student = state["student"]
        if student["kind"] == "glassbox":
            inner = self.student_.rendering()
            inner.title = f"Distilled {inner.title}"
            inner.header = self._fidelity_lines(state) + list(inner.header)
            return inner
        tree = student["tree"]
        names, levels = state["columns"], state["levels"]
        rows = []
        for node, path in leaf_paths(tree, names, levels):
            prediction, share = leaf_prediction(tree, node)
            samples = int(tree["nodes"]["n_node_samples"][node])
            rows.append([conjunction_name(path), prediction, share, samples])
        columns = ["leaf", "prediction", "share", "samples"]
        return Rendering(title=f"Distilled decision tree (depth {tree['max_depth']})",
                         columns=columns, rows=rows, header=self._fidelity_lines(state),
                         body=tree_text(tree, names, levels))

    def _explain(self, X) -> Explanation:
        if isinstance(self.student_, GlassboxMixin):
            inner = self.student_.explain(self._coder.decode(self._encoded(X)))
            return Explanation(f"Distiller({inner.model_name})", inner.rows, inner.texts,
                               inner.details)
        if not _is_sklearn_tree(self.student_):
            raise TypeError(f"explain needs a glassbox or tree student, not "
                            f"{type(self.student_).__name__}.")
        state = tree_to_state(self.student_)
        paths = dict(leaf_paths(state, self._coder.columns_, self._coder.levels_))
        Z = self._encoded(X)
        leaves = self.student_.apply(Z.astype(np.float32))
        rows, texts, details = [], [], []
        for i, leaf in enumerate(leaves):
            prediction, share = leaf_prediction(state, int(leaf))
            because = conjunction_name(paths[int(leaf)])
            rows.append({"row": i, "prediction": prediction, "leaf": because, "share": share})
            texts.append(f"row {i}: predicted {prediction} because {because}")
            details.append([{"step": k, "condition": c.name}
                            for k, c in enumerate(paths[int(leaf)])])
        return Explanation("Distiller", rows, texts, details)
