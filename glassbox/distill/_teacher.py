"""A uniform view of the model being explained: sklearn estimator, callable or torch module.

Everything in :mod:`glassbox.distill` asks the teacher the same three questions -
class probabilities (or regression values), hard labels, and the logit of one class -
through :class:`Teacher`, so that the distiller, the local surrogate and the
counterfactual search never care what kind of object the user handed in.
"""

from __future__ import annotations

import contextlib
import functools

import numpy as np
import pandas as pd

# Probabilities are floored here before their log: far below the 1e-7 a plain clip of p would
# use, so that a confident teacher's logit still varies (a clip at 1e-7 makes every logit
# beyond 16 the same number, and the slopes around such a point pure noise).
_LOGIT_FLOOR = 1e-300
# Below this many rows, BLAS threads cost more (start-up, spinning) than they save.
SINGLE_THREAD_ROWS = 65536


@functools.lru_cache(maxsize=1)
def _threadpools():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def one_blas_thread(n_rows: int):
    """A context that runs BLAS on one thread when a batch of ``n_rows`` is small.

    Explanations and counterfactuals send batches of a few thousand rows; on them
    multi-threaded BLAS doubles the CPU time (and, on a loaded machine, the wall
    time) for no gain. Larger batches keep the library's own setting.
    """
    if n_rows >= SINGLE_THREAD_ROWS:
        return contextlib.nullcontext()
    return _threadpools().limit(limits=1, user_api="blas")


def is_torch_module(obj) -> bool:
    """Whether ``obj`` is a ``torch.nn.Module``, decided without importing torch."""
    return any(cls.__name__ == "Module" and cls.__module__.startswith("torch.nn")
               for cls in type(obj).__mro__)


def _is_fitted_sklearn(estimator) -> bool:
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(estimator)
        return True
    except (NotFittedError, TypeError):
        return False


class Teacher:
    """Wrap a model so that it answers in probabilities, labels and logits.

    Parameters
    ----------
    model : sklearn estimator, callable or torch.nn.Module
        A fitted classifier or regressor. A callable receives a float array (or
        the DataFrame, when it was fitted on named columns) and returns labels,
        probabilities (1-D for the positive class or 2-D), or regression values.
    feature_names : list of str
        Column names of the data the teacher is asked about.
    task : {"auto", "classification", "regression"}
    classes : array-like, optional
        Class labels of a teacher that cannot say them itself (callables that
        return probabilities).
    """

    def __init__(self, model, feature_names, *, task="auto", classes=None):
        self.model = model
        self.feature_names = [str(c) for c in feature_names]
        self._torch = is_torch_module(model)
        if not (self._torch or callable(model) or hasattr(model, "predict")):
            raise TypeError(f"The teacher must be a fitted estimator with predict / "
                            f"predict_proba, a callable or a torch.nn.Module; got "
                            f"{type(model).__name__}.")
        self.task = task if task != "auto" else self._guess_task()
        self.classes_ = None if classes is None else np.asarray(classes)
        if self.classes_ is None and hasattr(model, "classes_"):
            self.classes_ = np.asarray(model.classes_)
        self._wants_frame = hasattr(model, "feature_names_in_")
        self._is_pipeline = _is_pipeline(model)
        self._answer_kind = None  # "proba", "labels" or "values": what the teacher returns

    def _guess_task(self) -> str:
        from sklearn.base import BaseEstimator, is_regressor

        if isinstance(self.model, BaseEstimator) and is_regressor(self.model):
            return "regression"
        return "classification"

    # -- raw calls ------------------------------------------------------------
    def _as_input(self, X):
        if isinstance(X, pd.DataFrame):
            if self._wants_frame:
                return X
            try:
                return X.to_numpy(dtype=float)
            except (TypeError, ValueError):
                return X
        X = np.asarray(X)
        if self._wants_frame:
            return pd.DataFrame(X, columns=self.feature_names)
        return X

    def _call_torch(self, X) -> np.ndarray:
        from glassbox._deps import import_optional

        torch = import_optional("torch", purpose="a torch.nn.Module teacher")
        values = np.asarray(X.to_numpy(dtype=float) if isinstance(X, pd.DataFrame) else X,
                            dtype=np.float32)
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.no_grad():
                out = self.model(torch.from_numpy(values))
        finally:
            self.model.train(was_training)
        out = out.detach().cpu().numpy().astype(float)
        if self.task == "regression":
            return out.reshape(len(values))
        # A network returns logits: one column means a sigmoid, several a softmax.
        if out.ndim == 1 or out.shape[1] == 1:
            p = 1.0 / (1.0 + np.exp(-out.reshape(-1)))
            return np.column_stack([1 - p, p])
        out = out - out.max(axis=1, keepdims=True)
        e = np.exp(out)
        return e / e.sum(axis=1, keepdims=True)

    def _raw(self, X):
        """The teacher's own answer: ('proba', (n, C)), ('labels', (n,)) or ('values', (n,))."""
        kind, out = self._ask(X)
        self._answer_kind = kind
        return kind, out

    def _ask(self, X):
        data = self._as_input(X)
        if self._torch:
            out = self._call_torch(data)
            return ("values", out) if self.task == "regression" else ("proba", out)
        if hasattr(self.model, "predict"):
            model = self.model
            stages = _pipeline_stages(model) if self._is_pipeline else None
            if stages is not None:  # resolved per call: a refit may replace the steps
                transforms, model = stages
                for step in transforms:
                    data = step.transform(data)
            if self.task == "regression":
                return "values", np.asarray(model.predict(data), dtype=float)
            if hasattr(model, "predict_proba"):
                return "proba", np.asarray(model.predict_proba(data), dtype=float)
            return "labels", np.asarray(model.predict(data))
        out = np.asarray(self.model(data))
        return self._interpret_callable_output(out, len(data))

    def _interpret_callable_output(self, out, n):
        if out.ndim == 2 and out.shape[1] == 1:
            out = out[:, 0]
        if out.shape[0] != n:
            raise ValueError(f"The teacher callable returned {out.shape[0]} answers for {n} rows.")
        if self.task == "regression":
            return "values", out.astype(float)
        if out.ndim == 2:
            return "proba", out.astype(float)
        if out.dtype.kind in "fc" and np.any(out != np.round(out)):
            if np.all((out >= 0) & (out <= 1)):
                return "proba", np.column_stack([1 - out, out]).astype(float)
            raise ValueError("The teacher callable returned real values outside [0, 1]; pass "
                             "task='regression' for a regression teacher.")
        return "labels", out

    # -- the three questions ----------------------------------------------------
    def learn_classes(self, X) -> None:
        """Fix ``classes_`` from the teacher's answers on ``X`` when it cannot say them."""
        if self.task == "regression" or self.classes_ is not None:
            return
        kind, out = self._raw(X)
        if kind == "proba":
            self.classes_ = np.arange(out.shape[1])
        else:
            self.classes_ = np.unique(out)
        if len(self.classes_) < 2:
            raise ValueError(f"The teacher predicts a single class ({self.classes_[0]!r}) on the "
                             "data; there is nothing to distil.")

    def proba(self, X) -> np.ndarray:
        """Class probabilities (n, n_classes); one-hot for label-only teachers."""
        kind, out = self._raw(X)
        if kind == "proba":
            return out
        index = self.label_index_from_labels(out)
        onehot = np.zeros((len(out), len(self.classes_)))
        onehot[np.arange(len(out)), index] = 1.0
        return onehot

    @property
    def has_proba(self) -> bool:
        """Whether the teacher answers with probabilities (known after its first answer)."""
        return self._answer_kind == "proba"

    def label_index_from_labels(self, labels) -> np.ndarray:
        index = np.searchsorted(self.classes_, labels)
        index = np.clip(index, 0, len(self.classes_) - 1)
        if np.any(self.classes_[index] != labels):
            unknown = labels[self.classes_[index] != labels][0]
            raise ValueError(f"The teacher predicted the label {unknown!r}, which is not one of "
                             f"its classes {self.classes_.tolist()}.")
        return index

    def label_index(self, X) -> np.ndarray:
        """Index into ``classes_`` of the teacher's predicted class."""
        kind, out = self._raw(X)
        if kind == "proba":
            return np.argmax(out, axis=1)
        return self.label_index_from_labels(out)

    def values(self, X) -> np.ndarray:
        """Regression outputs."""
        return self._raw(X)[1]

    def logit(self, X, class_index) -> np.ndarray:
        """``log p_c / (1 - p_c)`` of class ``class_index`` (the value itself for regression)."""
        if self.task == "regression":
            return self.values(X)
        proba = self.proba(X)
        return logit_of(proba, np.full(len(proba), class_index))


def _is_pipeline(model) -> bool:
    from sklearn.pipeline import Pipeline

    return isinstance(model, Pipeline)


def _pipeline_stages(model):
    """``(transformers, final estimator)`` of an sklearn ``Pipeline``, else None.

    Asking the steps in turn is what ``Pipeline.predict_proba`` / ``predict`` do (without
    routed parameters); done here it skips the pipeline's own checks and tag lookups, a
    fifth of the cost of the small batches that explanations and counterfactuals send.
    """
    steps = [step for _, step in model.steps]
    transforms = [step for step in steps[:-1]
                  if step is not None and not (isinstance(step, str) and step == "passthrough")]
    final = steps[-1]
    if final is None or isinstance(final, str) or not hasattr(final, "predict") \
            or not all(hasattr(step, "transform") for step in transforms):
        return None
    return transforms, final


def logit_of(proba: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """``log p_t - log(sum of the other classes)`` per row, ``t = targets[row]``.

    The other classes' probabilities are summed, not taken as ``1 - p_t``: when ``p_t``
    rounds to 1, its complement is lost, but the other class's own (tiny) probability
    usually is not.
    """
    rows = np.arange(len(proba))
    p = proba[rows, targets]
    others = proba.copy()
    others[rows, targets] = 0.0
    rest = others.sum(axis=1)
    return np.log(np.maximum(p, _LOGIT_FLOOR)) - np.log(np.maximum(rest, _LOGIT_FLOOR))


def prepare_teacher(teacher, X, y, feature_names, *, task="auto", text_columns=()):
    """Wrap ``teacher``; an unfitted sklearn estimator is first fitted (a clone) on ``(X, y)``.

    ``text_columns``: the columns of ``X`` holding text or categories, named when the
    teacher fails on ``X``. Returns ``(wrapped, fitted_model)``.
    """
    if teacher is None:
        raise ValueError("Distiller needs a teacher: a fitted model, a callable or a "
                         "torch.nn.Module; got teacher=None.")
    model = teacher
    if (not is_torch_module(teacher) and hasattr(teacher, "fit") and hasattr(teacher, "get_params")
            and not _is_fitted_sklearn(teacher)):
        if y is None:
            raise ValueError(f"The teacher {type(teacher).__name__} is not fitted: fit it "
                             "first, or pass y so that Distiller fits a copy of it (Distiller "
                             "requires y to be passed, but the target y is None).")
        from sklearn.base import clone

        with _naming_text_columns(text_columns, f"fitting the teacher {type(teacher).__name__}"):
            model = clone(teacher).fit(X, y)
    wrapped = Teacher(model, feature_names, task=task)
    with _naming_text_columns(text_columns, f"asking the teacher {type(model).__name__}"):
        wrapped.learn_classes(X)
    return wrapped, model


@contextlib.contextmanager
def _naming_text_columns(text_columns, doing: str):
    """Re-raise a teacher's failure on ``X`` naming its text or categorical columns.

    The Distiller hands the teacher the table as given (it may well encode text itself,
    e.g. a Pipeline with a OneHotEncoder); when it cannot, its own error (numpy's
    "could not convert string to float") names no column.
    """
    try:
        yield
    except (TypeError, ValueError) as exc:
        if not text_columns:
            raise
        names = ", ".join(repr(str(c)) for c in text_columns[:5]) + (
            " ..." if len(text_columns) > 5 else "")
        raise ValueError(
            f"{doing[0].upper()}{doing[1:]} failed ({type(exc).__name__}: {exc}). Column(s) "
            f"{names} hold text or categories, which the Distiller passes to the teacher as "
            "they are: give a teacher that encodes them (e.g. a Pipeline with a "
            "OneHotEncoder) or pass those columns as numeric codes.") from exc
