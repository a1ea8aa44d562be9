"""Local sparse linear explanations of a teacher's logit (LIME's idea, done in closed form)."""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator

from glassbox._base import Explanation, Interval, check_numeric, make_rng
from glassbox.distill._teacher import Teacher, logit_of, one_blas_thread

# Rows sent to the teacher in one call; bounds memory for large batches of explanations.
TEACHER_BATCH_ROWS = 65536


@dataclass
class LocalModels:
    """Local linear models of the teacher's logit, one per explained row.

    Attributes
    ----------
    coef : ndarray (n, p)
        Logit change per unit of each feature (zero outside the selected features).
    coef_std : ndarray (n, p)
        Logit change per standard deviation of each feature.
    intercept : ndarray (n,)
        The local model's logit at the explained point.
    logit : ndarray (n,)
        The teacher's logit at the explained point.
    r2 : ndarray (n,)
        Kernel-weighted R^2 of the sparse local model on its samples.
    stability : ndarray (n,)
        Jaccard agreement of the selected features fitted on two disjoint halves of
        the samples (1 = the same features).
    selected : ndarray (n, K)
        Indices of the selected features, strongest first.
    target : ndarray (n,)
        Index of the explained class.
    """

    coef: np.ndarray
    coef_std: np.ndarray
    intercept: np.ndarray
    logit: np.ndarray
    r2: np.ndarray
    stability: np.ndarray
    selected: np.ndarray
    target: np.ndarray


def _weighted_ridge(D, y, w, alpha, *, fit_intercept=True):
    """Batched closed-form ridge: D (n, m, p), y (n, m), w (n, m) -> (coef (n, p), intercept (n,)).

    The intercept (if fitted) is not penalized. Batched ``matmul`` rather than ``einsum``:
    the (p, p) normal equations of every row come from one BLAS call.
    """
    sw = w / w.sum(axis=1, keepdims=True)
    if fit_intercept:
        d_mean = (sw[:, None, :] @ D)[:, 0]
        y_mean = np.sum(sw * y, axis=1)
        D = D - d_mean[:, None, :]
        y = y - y_mean[:, None]
    weighted = np.swapaxes(D * sw[..., None], 1, 2)  # (n, p, m)
    gram = weighted @ D
    gram += alpha * np.eye(D.shape[2])[None]
    rhs = weighted @ y[..., None]
    coef = np.linalg.solve(gram, rhs)[..., 0]
    if not fit_intercept:
        return coef, np.zeros(len(coef))
    return coef, y_mean - np.sum(coef * d_mean, axis=1)


def _pair_slopes(d, y_plus, y_minus, w, alpha):
    """Slopes from antithetic pairs: (f(x+d) - f(x-d)) / 2 = slope . d + odd-order terms only,
    so the curvature that makes single samples noisy cancels pair by pair."""
    return _weighted_ridge(d, (y_plus - y_minus) / 2, w, alpha, fit_intercept=False)[0]


def _numeric_rows(X, estimator, *, reset):
    """``check_numeric`` with a fast path: a finite numeric ndarray needs no per-column
    pandas round trip (which costs milliseconds, more than an explanation itself); anything
    else - frames, objects, NaN or inf - goes through the full check and its messages."""
    if (isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype.kind in "iuf" and X.size
            and np.isfinite(X).all()):
        from sklearn.utils.validation import validate_data

        validate_data(estimator, X, reset=reset, skip_check_array=True)
        return X.astype(float, copy=False)
    return check_numeric(X, estimator, reset=reset)


def _top_k(coef, k):
    return np.argsort(-np.abs(coef), axis=1, kind="stable")[:, :k]


def _jaccard_rows(a, b):
    out = np.empty(len(a))
    for i, (u, v) in enumerate(zip(a, b)):
        su, sv = set(u.tolist()), set(v.tolist())
        out[i] = len(su & sv) / max(len(su | sv), 1)
    return out


class LocalSurrogate(BaseEstimator):
    """Sparse linear models of a teacher's logit around single points.

    Around each point, ``n_samples`` perturbations are drawn in antithetic pairs
    (``x + d`` and ``x - d``; ``d`` Gaussian, ``kernel_width`` standard deviations
    per feature, correlated like the data). The slopes of the teacher's logit come
    from the pair differences ``(f(x+d) - f(x-d)) / 2``, in which all even-order
    curvature cancels exactly, by a kernel-weighted ridge regression in closed
    form; the ``max_features`` largest standardized slopes are kept and the sparse
    model is refitted on all samples. Every explanation reports its own local R^2 and a
    stability score (do two halves of the samples select the same features?).

    Parameters
    ----------
    teacher : estimator, callable or torch.nn.Module
        Fitted model to explain (see :class:`Distiller`).
    n_samples : int, default=256
        Perturbations per explained row (rounded up to an even number).
    kernel_width : float, default=0.02
        Perturbation scale in standard deviations of each feature. Small widths give
        the slopes of the teacher at the point (stable across seeds); wider ones
        average its behaviour over a neighbourhood (lower local R^2, less stable).
    max_features : int, default=5
        Features in each explanation (K).
    alpha : float, default=1e-3
        Ridge penalty on standardized slopes.
    shrinkage : float, default=0.5
        Perturbations are correlated like the data passed to ``fit``, with the
        correlation matrix shrunk this far towards the identity (1 = independent
        features, as in LIME).
    random_state : int, Generator or None

    Attributes
    ----------
    feature_names_in_ : ndarray of str
    scale_ : ndarray
        Standard deviation of each feature in the data passed to ``fit``.
    classes_ : ndarray
        The teacher's classes.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> model = LogisticRegression(max_iter=5000).fit(X, y)
    >>> local = LocalSurrogate(model, random_state=0).fit(X)
    >>> e = local.explain(X.iloc[:2])
    >>> len(e), e.rows[0]["local_r2"] > 0.9
    (2, True)
    """

    _parameter_constraints = {
        "teacher": "no_validation",
        "n_samples": [Interval(Integral, 4, None, closed="left")],
        "kernel_width": [Interval(Real, 0, None, closed="neither")],
        "max_features": [Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "shrinkage": [Interval(Real, 0, 1, closed="both")],
        "random_state": ["random_state"],
    }

    def __init__(self, teacher=None, *, n_samples=256, kernel_width=0.02, max_features=5,
                 alpha=1e-3, shrinkage=0.5, random_state=None):
        self.teacher = teacher
        self.n_samples = n_samples
        self.kernel_width = kernel_width
        self.max_features = max_features
        self.alpha = alpha
        self.shrinkage = shrinkage
        self.random_state = random_state

    def fit(self, X, y=None):
        """Learn the feature scales (and names) of the data explanations will be about."""
        self._validate_params()
        if self.teacher is None:
            raise ValueError("LocalSurrogate needs a teacher: a fitted model, a callable or a "
                             "torch.nn.Module; got teacher=None.")
        values = _numeric_rows(X, self, reset=True)
        names = getattr(self, "feature_names_in_", None)
        self._names = [str(c) for c in names] if names is not None else [
            f"x{j}" for j in range(values.shape[1])]
        self.scale_ = values.std(axis=0)
        self.scale_[self.scale_ == 0] = 1.0
        standardized = (values - values.mean(axis=0)) / self.scale_
        corr = np.atleast_2d(np.cov(standardized, rowvar=False)) if len(values) > 1 else \
            np.eye(values.shape[1])
        shrunk = (1 - self.shrinkage) * corr + self.shrinkage * np.eye(values.shape[1])
        self._mix = np.linalg.cholesky(shrunk)
        self._teacher = Teacher(self.teacher, self._names)
        self._teacher.learn_classes(values[: min(len(values), 1000)])
        self.classes_ = self._teacher.classes_
        return self

    def _check(self, X):
        if not hasattr(self, "scale_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("This LocalSurrogate is not fitted yet; call fit(X) with "
                                 "reference data first.")
        return _numeric_rows(X, self, reset=False)

    def _teacher_answers(self, Z) -> np.ndarray:
        """Class probabilities (regression: values as one column) of the teacher on ``Z``,
        in blocks of at most ``TEACHER_BATCH_ROWS`` rows."""
        regression = self._teacher.task == "regression"
        ask = self._teacher.values if regression else self._teacher.proba
        blocks = [ask(Z[start:start + TEACHER_BATCH_ROWS])
                  for start in range(0, len(Z), TEACHER_BATCH_ROWS)]
        out = np.concatenate(blocks) if len(blocks) > 1 else blocks[0]
        return out.reshape(len(Z), -1)

    def _logit(self, answers, targets) -> np.ndarray:
        if self._teacher.task == "regression":
            return answers[:, 0]
        return logit_of(answers, targets)

    def local_models(self, X, target=None) -> LocalModels:
        """Fit the local models of the rows of ``X`` (as arrays).

        Parameters
        ----------
        X : table (n, p)
        target : class label, optional
            The class whose logit is explained; default the teacher's prediction
            for each row.
        """
        values = self._check(X)
        with one_blas_thread(len(values) * self.n_samples):
            return self._local_models(values, target)

    def _local_models(self, values, target) -> LocalModels:
        n, p = values.shape
        k = min(self.max_features, p)
        if target is not None and self._teacher.task != "regression":
            if target not in set(self.classes_.tolist()):
                raise ValueError(f"target must be one of the teacher's classes "
                                 f"{self.classes_.tolist()}, got {target!r}.")
        rng = make_rng(self.random_state)
        half = (self.n_samples + 1) // 2
        eps = rng.standard_normal((n, half, p))
        # Perturbations follow the correlations of the data (standardized, shrunk towards
        # independence), so that a handful of features can stand for their correlates.
        d = self.kernel_width * eps @ self._mix.T
        D = np.concatenate([d, -d], axis=1)  # antithetic pairs: pair i is (i, i + half)
        samples = values[:, None, :] + D * self.scale_
        m = D.shape[1]
        # One teacher call for the points and all their samples: per-call overhead (input
        # validation inside the teacher) is paid once per batch, not per row.
        answers = self._teacher_answers(np.concatenate([values, samples.reshape(n * m, p)]))
        if self._teacher.task == "regression":
            targets = np.zeros(n, dtype=int)
        elif target is None:
            targets = np.argmax(answers[:n], axis=1)
        else:
            targets = np.full(n, int(np.searchsorted(self.classes_, target)))
        logit = self._logit(answers[:n], targets)
        y = self._logit(answers[n:], np.repeat(targets, m)).reshape(n, m)
        w_half = np.exp(-np.sum(eps * eps, axis=2) / (2 * p))
        w = np.concatenate([w_half, w_half], axis=1)
        # The penalty is on slopes per standard deviation; the design's scale is kernel_width.
        alpha = self.alpha * self.kernel_width**2
        y_plus, y_minus = y[:, :half], y[:, half:]

        selected = _top_k(_pair_slopes(d, y_plus, y_minus, w_half, alpha), k)
        D_sel = np.take_along_axis(D, selected[:, None, :], axis=2)
        coef_sel, intercept = _weighted_ridge(D_sel, y, w, alpha)
        fitted = intercept[:, None] + (D_sel @ coef_sel[..., None])[..., 0]
        sw = w / w.sum(axis=1, keepdims=True)
        y_mean = np.sum(sw * y, axis=1, keepdims=True)
        total = np.sum(sw * (y - y_mean) ** 2, axis=1)
        residual = np.sum(sw * (y - fitted) ** 2, axis=1)
        r2 = np.where(total > 1e-12, 1 - residual / np.maximum(total, 1e-300), 1.0)

        # Stability: do two disjoint halves of the pairs select the same features?
        a, b = slice(0, half // 2), slice(half // 2, half)
        top_a = _top_k(_pair_slopes(d[:, a], y_plus[:, a], y_minus[:, a], w_half[:, a], alpha), k)
        top_b = _top_k(_pair_slopes(d[:, b], y_plus[:, b], y_minus[:, b], w_half[:, b], alpha), k)
        stability = _jaccard_rows(top_a, top_b)

        coef_std = np.zeros((n, p))
        np.put_along_axis(coef_std, selected, coef_sel, axis=1)
        return LocalModels(coef=coef_std / self.scale_, coef_std=coef_std, intercept=intercept,
                           logit=logit, r2=r2, stability=stability, selected=selected,
                           target=targets)

    def explain(self, X, target=None) -> Explanation:
        """Explain the teacher around each row of ``X``.

        Returns
        -------
        Explanation
            ``rows``: target class, teacher logit, local R^2, stability and the K
            features with their slopes; ``details``: per feature the value, the
            slope per unit and per standard deviation; ``texts``: one paragraph per row.
        """
        models = self.local_models(X, target=target)
        values = self._check(X)
        what = ("value" if self._teacher.task == "regression" else None)
        rows, texts, details = [], [], []
        for i in range(len(values)):
            label = what or f"logit P({self.classes_[models.target[i]]})"
            row = {"row": i, "target": None if what else self.classes_[models.target[i]],
                   "teacher_logit": float(models.logit[i]), "local_r2": float(models.r2[i]),
                   "stability": float(models.stability[i])}
            parts, words = [], []
            for rank, j in enumerate(models.selected[i], start=1):
                name = self._names[j]
                row[f"feature_{rank}"] = name
                row[f"slope_per_std_{rank}"] = float(models.coef_std[i, j])
                parts.append({"feature": name, "value": float(values[i, j]),
                              "slope": float(models.coef[i, j]),
                              "slope_per_std": float(models.coef_std[i, j])})
                words.append(f"{models.coef_std[i, j]:+.3g} per std of {name} "
                             f"(= {values[i, j]:.4g})")
            rows.append(row)
            details.append(parts)
            texts.append(f"row {i}: {label} = {models.logit[i]:.3g}; near this point it moves "
                         f"{'; '.join(words)} (local R^2 {models.r2[i]:.2f}, stability "
                         f"{models.stability[i]:.2f})")
        return Explanation("LocalSurrogate", rows, texts, details)

    def pick(self, X, k: int):
        """Submodular pick: ``k`` rows whose explanations together cover the most important
        features (greedy maximum coverage, weighted by global feature importance).

        Returns
        -------
        (indices, explanation) : (ndarray of int, Explanation)
            The picked rows of ``X`` (in pick order) and their explanations.
        """
        if not isinstance(k, Integral) or k < 1:
            raise ValueError(f"k must be a positive integer, got {k!r}.")
        models = self.local_models(X)
        weight = np.abs(models.coef_std)
        importance = np.sqrt(weight.sum(axis=0))
        covers = weight > 0
        chosen, covered = [], np.zeros(weight.shape[1], dtype=bool)
        for _ in range(min(k, len(weight))):
            gain = ((covers & ~covered) * importance).sum(axis=1)
            gain[chosen] = -1.0
            best = int(np.argmax(gain))
            chosen.append(best)
            covered |= covers[best]
        chosen = np.asarray(chosen)
        frame = X.iloc[chosen] if hasattr(X, "iloc") else np.asarray(X)[chosen]
        return chosen, self.explain(frame)

