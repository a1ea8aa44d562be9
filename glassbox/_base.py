"""The contract every glassbox model follows.

Everything a learner shares lives here, once:

* :class:`Certificate` - what an optimizer proved (status, objective, lower bound, gap).
* :class:`SearchBudget` - time / node / memory budgets, progress output and Ctrl-C.
* :class:`Condition` - a named boolean test on one input column (``age <= 25``); the
  atoms that rule lists, trees and score cards are written in.
* :class:`Rendering` - the one renderer: a model's fitted state becomes a table plus
  text, from which ``to_text``, ``to_frame`` and notebook HTML are all produced.
* :class:`Explanation` - the structured answer of ``model.explain(X)``.
* :class:`GlassboxMixin` / :class:`GlassboxClassifier` - the scikit-learn estimator
  shape: validated parameters, validated input with errors that name the column,
  ``to_dict``/``from_dict`` as versioned JSON.

A learner subclasses :class:`GlassboxClassifier` and fills in ``_fit``,
``_predict_proba``, ``_to_state``/``_set_state``, ``_render`` and ``_explain``.
"""

from __future__ import annotations

import html
import importlib
import json
import logging
import math
import numbers
import os
import signal
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils._param_validation import (  # noqa: F401  (re-exported for learners)
    HasMethods,
    Interval,
    Options,
    StrOptions,
)
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

logger = logging.getLogger("glassbox")

FORMAT_NAME = "glassbox"
FORMAT_VERSION = 1

__all__ = [
    "Certificate",
    "SearchBudget",
    "Condition",
    "Rendering",
    "Explanation",
    "GlassboxMixin",
    "GlassboxClassifier",
    "check_table",
    "check_numeric",
    "check_binary",
    "check_target",
    "make_rng",
    "from_dict",
    "load",
]


# ---------------------------------------------------------------------------
# Certificates and budgets
# ---------------------------------------------------------------------------

CERTIFICATE_STATUSES = (
    "optimal",  # the search space was exhausted: objective == lower bound (within tolerance)
    "time_limit",
    "node_limit",
    "memory_limit",
    "gap_limit",  # stopped once the gap fell below the user's tolerance: not proved optimal
    "interrupted",  # Ctrl-C: best model so far
    "heuristic",  # no optimality search was run (e.g. method="greedy")
)


@dataclass(frozen=True)
class Certificate:
    """What an optimizer can vouch for about the model it returned.

    Parameters
    ----------
    status : str
        ``"optimal"`` only when the search was exhausted. Otherwise the budget
        that stopped it (``"time_limit"``, ``"node_limit"``, ``"memory_limit"``,
        ``"gap_limit"`` for a user's gap tolerance), ``"interrupted"`` (Ctrl-C)
        or ``"heuristic"`` (no search was run).
    objective : float
        Objective value of the returned model.
    lower_bound : float
        A proven lower bound on the optimal objective. Equal to ``objective``
        when optimal; ``-inf`` or ``0.0`` when nothing was proved.
    nodes : int
        Search nodes (or branch-and-bound nodes) processed.
    seconds : float
        Wall-clock seconds spent in the search.

    Attributes
    ----------
    gap : float
        Relative gap ``(objective - lower_bound) / max(|objective|, 1e-12)``,
        clipped at 0; 0 for an optimal certificate.
    """

    status: str
    objective: float
    lower_bound: float
    nodes: int = 0
    seconds: float = 0.0

    def __post_init__(self):
        if self.status not in CERTIFICATE_STATUSES:
            raise ValueError(
                f"Certificate status must be one of {CERTIFICATE_STATUSES}, got {self.status!r}."
            )

    @property
    def gap(self) -> float:
        if self.status == "optimal":
            return 0.0
        if not np.isfinite(self.lower_bound):
            return math.inf
        return max(0.0, (self.objective - self.lower_bound) / max(abs(self.objective), 1e-12))

    @property
    def is_optimal(self) -> bool:
        return self.status == "optimal"

    def to_dict(self) -> dict:
        out = asdict(self)
        out["gap"] = self.gap
        return {k: _jsonable(v) for k, v in out.items()}

    @classmethod
    def from_dict(cls, data: dict) -> Certificate:
        keys = ("status", "objective", "lower_bound", "nodes", "seconds")
        return cls(**{k: _unjson_float(data[k]) if k != "status" else data[k] for k in keys})

    def __str__(self) -> str:
        if self.status == "optimal":
            head = "certified optimal"
        elif self.status == "heuristic":
            head = "heuristic (no optimality certificate)"
        else:
            head = f"stopped by {self.status.replace('_', ' ')}, not certified"
        text = f"{head}: objective {self.objective:.6g}"
        if self.status not in ("optimal", "heuristic"):
            text += f", lower bound {self.lower_bound:.6g}, gap {self.gap:.2%}"
        return text + f" ({self.nodes:,} nodes, {self.seconds:.2f} s)"


def _current_rss_bytes() -> int:
    """Resident memory of this process, in bytes (Linux /proc; getrusage peak elsewhere)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):  # pragma: no cover - non-Linux
        import resource

        scale = 1 if sys.platform == "darwin" else 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


class SearchBudget:
    """Budgets, progress and Ctrl-C handling for a long-running search.

    Use it as a context manager around the search loop and ask it, every so
    often, whether to stop::

        with SearchBudget(time_limit=60, node_limit=None, verbose=1) as budget:
            while queue:
                reason = budget.stop_reason(nodes, memory_bytes=queue_bytes)
                if reason:
                    break
                budget.progress(nodes, objective=best, lower_bound=lb)
        certificate = budget.certificate(reason or "optimal", best, lb, nodes)

    Inside the ``with`` block the first Ctrl-C (SIGINT) does not raise: it sets a
    flag so that ``stop_reason`` returns ``"interrupted"`` and the learner returns
    the best model so far. A second Ctrl-C raises ``KeyboardInterrupt`` as usual.

    Parameters
    ----------
    time_limit : float or None
        Seconds of wall-clock time.
    node_limit : int or None
        Search nodes.
    memory_limit : float or None
        Megabytes. Compared with the ``memory_bytes`` the learner reports (its own
        data structures), or with the growth of the process's resident memory
        since the search began when the learner reports none.
    verbose : int
        0 silent; >= 1 prints a progress line to stderr at most every
        ``progress_every`` seconds.
    name : str
        Prefix of progress lines.
    """

    def __init__(self, *, time_limit=None, node_limit=None, memory_limit=None, verbose=0,
                 name="search", progress_every=1.0):
        self.time_limit = time_limit
        self.node_limit = node_limit
        self.memory_limit = memory_limit
        self.verbose = verbose
        self.name = name
        self.progress_every = progress_every
        self.interrupted = False
        self._start = time.perf_counter()
        self._last_progress = self._start
        self._rss0 = 0
        self._old_handler = None

    # -- context manager: install a gentle SIGINT handler (main thread only) --
    def __enter__(self) -> SearchBudget:
        self._start = time.perf_counter()
        self._last_progress = self._start
        self._rss0 = _current_rss_bytes() if self.memory_limit is not None else 0
        if threading.current_thread() is threading.main_thread():
            try:
                self._old_handler = signal.signal(signal.SIGINT, self._on_sigint)
            except ValueError:  # pragma: no cover - e.g. embedded interpreters
                self._old_handler = None
        return self

    def __exit__(self, *exc) -> bool:
        if self._old_handler is not None:
            signal.signal(signal.SIGINT, self._old_handler)
            self._old_handler = None
        return False

    def _on_sigint(self, signum, frame):
        if self.interrupted:  # second Ctrl-C: really stop
            raise KeyboardInterrupt
        self.interrupted = True
        print(f"[{self.name}] interrupted: finishing with the best model so far "
              "(press Ctrl-C again to abort)", file=sys.stderr)

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self._start

    def stop_reason(self, nodes: int = 0, memory_bytes: int | None = None) -> str | None:
        """The status to stop with, or None to go on."""
        if self.interrupted:
            return "interrupted"
        if self.time_limit is not None and self.elapsed >= self.time_limit:
            return "time_limit"
        if self.node_limit is not None and nodes >= self.node_limit:
            return "node_limit"
        if self.memory_limit is not None:
            used = memory_bytes if memory_bytes is not None else _current_rss_bytes() - self._rss0
            if used >= self.memory_limit * 1e6:
                return "memory_limit"
        return None

    def progress(self, nodes: int, objective: float, lower_bound: float, *, force=False,
                 **extra) -> None:
        """Print a progress line when verbose (throttled to ``progress_every`` s)."""
        if not self.verbose:
            return
        now = time.perf_counter()
        if not force and now - self._last_progress < self.progress_every:
            return
        self._last_progress = now
        parts = [f"[{self.name}] {now - self._start:8.1f}s", f"nodes {nodes:>12,}",
                 f"best {objective:.6g}", f"bound {lower_bound:.6g}"]
        parts += [f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in extra.items()]
        print("  ".join(parts), file=sys.stderr, flush=True)

    def certificate(self, status: str, objective: float, lower_bound: float,
                    nodes: int) -> Certificate:
        if status == "optimal":
            lower_bound = objective
        return Certificate(status=status, objective=float(objective),
                           lower_bound=float(min(lower_bound, objective)), nodes=int(nodes),
                           seconds=self.elapsed)


# ---------------------------------------------------------------------------
# Conditions: named boolean tests on one column
# ---------------------------------------------------------------------------

_CONDITION_OPS = ("<=", ">", "<", ">=", "==", "!=", "is_true", "is_false")
_NEGATED_OP = {"<=": ">", ">": "<=", "<": ">=", ">=": "<", "==": "!=", "!=": "==",
               "is_true": "is_false", "is_false": "is_true"}


def _format_value(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        value = float(value)
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else f"{value:.6g}"
    return str(value)


@dataclass(frozen=True)
class Condition:
    """A boolean test on one input column, with a name a domain expert reads.

    Parameters
    ----------
    column : str
        Name of the input column (``feature_names_in_`` entry, or ``x3`` for arrays).
    op : {"<=", ">", "<", ">=", "==", "!=", "is_true", "is_false"}
        ``is_true`` / ``is_false`` test a boolean or 0/1 column as it is.
    value : scalar or None
        Threshold or level; None for ``is_true`` / ``is_false``.

    Examples
    --------
    >>> import pandas as pd
    >>> c = Condition("age", "<=", 25)
    >>> c.name
    'age <= 25'
    >>> c.evaluate(pd.DataFrame({"age": [20, 30]})).tolist()
    [True, False]
    """

    column: str
    op: str
    value: Any = None

    def __post_init__(self):
        if self.op not in _CONDITION_OPS:
            raise ValueError(f"Condition op must be one of {_CONDITION_OPS}, got {self.op!r}.")

    @property
    def name(self) -> str:
        if self.op == "is_true":
            return self.column
        if self.op == "is_false":
            return f"not {self.column}"
        return f"{self.column} {self.op} {_format_value(self.value)}"

    def __str__(self) -> str:
        return self.name

    def negate(self) -> Condition:
        return Condition(self.column, _NEGATED_OP[self.op], self.value)

    def evaluate(self, X) -> np.ndarray:
        """Boolean array: which rows of the table ``X`` satisfy the condition."""
        col = X[self.column] if isinstance(X, pd.DataFrame) else X
        values = np.asarray(col)
        if self.op in ("is_true", "is_false"):
            # astype(bool) would read any non-empty text or any non-zero number as true
            truth = binary_column(values, self.column, f"the condition {self.name!r}")
            return truth if self.op == "is_true" else ~truth
        if self.op in ("==", "!="):
            equal = _equal_to(values, self.value)
            return equal if self.op == "==" else ~equal
        numeric = numeric_column(values, self.column, f"the condition {self.name!r}")
        return {"<=": np.less_equal, ">": np.greater, "<": np.less,
                ">=": np.greater_equal}[self.op](numeric, float(self.value))

    def to_dict(self) -> dict:
        return {"column": self.column, "op": self.op, "value": _jsonable(self.value)}

    @classmethod
    def from_dict(cls, data: dict) -> Condition:
        return cls(data["column"], data["op"], data.get("value"))


def _equal_to(values: np.ndarray, level) -> np.ndarray:
    """Elementwise ``values == level`` that compares numbers as numbers and text as text."""
    if values.dtype.kind in "biuf" and isinstance(level, (numbers.Number, np.generic)):
        return values == level
    # Format each distinct value once (a column has few levels, many rows).
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    target = _format_value(level)
    matches = np.asarray([_format_value(u) == target for u in uniques] + [False], dtype=bool)
    return matches[codes]


def conjunction_name(conditions) -> str:
    """Readable name of an AND of conditions (``"age <= 25 and priors > 3"``)."""
    conditions = list(conditions)
    return " and ".join(c.name for c in conditions) if conditions else "always"


def evaluate_conjunction(conditions, X) -> np.ndarray:
    n = len(X)
    out = np.ones(n, dtype=bool)
    for c in conditions:
        out &= c.evaluate(X)
    return out


# ---------------------------------------------------------------------------
# The one renderer
# ---------------------------------------------------------------------------

@dataclass
class Rendering:
    """A fitted model as a titled table with text around it.

    ``to_text``, ``to_frame`` and ``to_html`` are three views of the same object,
    which a learner builds once in ``_render`` from its fitted state.

    Parameters
    ----------
    title : str
    columns : list of str
        Table header.
    rows : list of list
        Table body (scalars).
    header, footer : list of str
        Lines shown before / after the table.
    body : list of str, optional
        The table as the model's own notation for text output (``if ... then ...``
        lines of a rule list, an indented tree). Used by ``to_text`` instead of
        an aligned table; ``to_frame`` and ``to_html`` always use the table.
    """

    title: str
    columns: list
    rows: list
    header: list = field(default_factory=list)
    footer: list = field(default_factory=list)
    body: list | None = None

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([list(r) for r in self.rows], columns=list(self.columns))

    def _aligned_table(self) -> list[str]:
        cells = [[str(c) for c in self.columns]] + [[_cell(v) for v in r] for r in self.rows]
        widths = [max(len(r[i]) for r in cells) for i in range(len(self.columns))]
        lines = []
        for k, r in enumerate(cells):
            lines.append("  ".join(v.rjust(w) if _is_number_cell(v) and k else v.ljust(w)
                                   for v, w in zip(r, widths)).rstrip())
            if k == 0:
                lines.append("  ".join("-" * w for w in widths))
        return lines

    def to_text(self) -> str:
        lines = [self.title, *self.header]
        lines += self.body if self.body is not None else self._aligned_table()
        lines += self.footer
        return "\n".join(lines)

    def to_html(self) -> str:
        esc = html.escape
        head = "".join(f"<th>{esc(str(c))}</th>" for c in self.columns)
        body = "".join("<tr>" + "".join(f"<td>{esc(_cell(v))}</td>" for v in r) + "</tr>"
                       for r in self.rows)
        extra = lambda lines: "".join(f"<div>{esc(str(s))}</div>" for s in lines)  # noqa: E731
        return (f"<div class='glassbox-model'><strong>{esc(self.title)}</strong>"
                f"{extra(self.header)}<table><thead><tr>{head}</tr></thead>"
                f"<tbody>{body}</tbody></table>{extra(self.footer)}</div>")


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _is_number_cell(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


# ---------------------------------------------------------------------------
# Explanations
# ---------------------------------------------------------------------------

class Explanation:
    """Why a model predicted what it did, row by row.

    Parameters
    ----------
    model_name : str
        Class name of the explained model.
    rows : list of dict
        One flat record (scalars) per explained row: ``to_frame()`` turns them
        into a DataFrame with one line per row.
    texts : list of str
        One readable sentence or paragraph per row.
    details : list of list of dict, optional
        Per-row parts (points per score-card item, steps of a tree path).
        ``to_frame(detailed=True)`` returns them in long format with a ``row``
        column.

    Examples
    --------
    >>> e = Explanation("M", rows=[{"prediction": 1}], texts=["because"])
    >>> len(e), e[0].texts
    (1, ['because'])
    """

    def __init__(self, model_name: str, rows: list, texts: list, details: list | None = None):
        if len(rows) != len(texts) or (details is not None and len(details) != len(rows)):
            raise ValueError("Explanation needs one record, one text (and one detail list) per row.")
        self.model_name = model_name
        self.rows = list(rows)
        self.texts = list(texts)
        self.details = list(details) if details is not None else None

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index) -> Explanation:
        idx = range(len(self))[index]
        idx = [idx] if isinstance(idx, int) else list(idx)
        return Explanation(self.model_name, [self.rows[i] for i in idx],
                           [self.texts[i] for i in idx],
                           None if self.details is None else [self.details[i] for i in idx])

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def to_frame(self, detailed: bool = False) -> pd.DataFrame:
        if not detailed:
            return pd.DataFrame(self.rows)
        if self.details is None:
            raise ValueError(f"{self.model_name} explanations have no per-row details.")
        records = [{"row": self.rows[i].get("row", i), **part}
                   for i, parts in enumerate(self.details) for part in parts]
        return pd.DataFrame(records)

    def to_dict(self) -> dict:
        return _jsonable({"model": self.model_name, "rows": self.rows, "texts": self.texts,
                          "details": self.details})

    def to_text(self) -> str:
        return "\n\n".join(self.texts)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return f"<Explanation of {self.model_name} for {len(self)} row(s)>"

    def _repr_html_(self) -> str:
        return self.to_frame()._repr_html_()


# ---------------------------------------------------------------------------
# Input validation
# ---------------------------------------------------------------------------

def _column_names(X, n_features: int, estimator=None) -> list[str]:
    # As scikit-learn: a DataFrame's names count only when every one is a string;
    # otherwise (e.g. integer labels 0, 1, ...) columns are x0, x1, ... as for arrays.
    # After fit (estimator given) the names are the fit's, whatever container arrives:
    # validate_data has already checked them or warned that they are missing, and the
    # model's conditions are written in the fit's names.
    if estimator is not None:
        fitted = getattr(estimator, "feature_names_in_", None)
        if fitted is not None and len(fitted) == n_features:
            return [str(c) for c in fitted]
        return [f"x{i}" for i in range(n_features)]
    if isinstance(X, pd.DataFrame) and all(isinstance(c, str) for c in X.columns):
        return list(X.columns)
    return [f"x{i}" for i in range(n_features)]


def _check_unique_columns(X: pd.DataFrame, estimator) -> None:
    duplicated = X.columns[X.columns.duplicated()].unique()
    if len(duplicated):
        counts = ", ".join(f"{c!r} ({int((X.columns == c).sum())} times)"
                           for c in duplicated[:5])
        raise ValueError(
            f"Input X has duplicate column names: {counts}. {type(estimator).__name__} needs "
            "one name per column; rename or drop the duplicates "
            "(e.g. X.loc[:, ~X.columns.duplicated()]).")


def _check_not_mixed(name: str, values: np.ndarray) -> None:
    """Refuse a text column that holds numbers too: it is a numeric column with stray text
    ('n/a', '?') more often than a category, and binarizing it by level would answer a
    different problem than the one meant."""
    # row by row, not by distinct value: object columns may hold unhashable values
    is_text = np.fromiter((isinstance(v, str) for v in values), dtype=bool, count=len(values))
    if not is_text.any():
        return
    is_number = np.fromiter((isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))
                             for v in values), dtype=bool, count=len(values))
    numeric_text = np.zeros(len(values), dtype=bool)
    numeric_text[is_text] = pd.to_numeric(pd.Series(values[is_text], dtype=object),
                                          errors="coerce").notna().to_numpy()
    words = is_text & ~numeric_text
    # real numbers beside text, or mostly numbers written as text with some words among them
    if words.any() and (is_number.any() or numeric_text.sum() > words.sum()):
        row = int(np.flatnonzero(words)[0])
        raise ValueError(
            f"Column {name!r} mixes numbers and text: it has the value {values[row]!r} (first "
            f"at row {row}) among numbers. Convert it to numbers (pd.to_numeric(X[{name!r}], "
            "errors='coerce'), then impute the missing values), or, if it is a category, "
            f"say so with X[{name!r}].astype(str).astype('category').")


def _describe_rows(mask: np.ndarray) -> str:
    rows = np.flatnonzero(mask)
    return f"{len(rows)} row(s), first at row {rows[0]}"


def _plain(value):
    """A numpy scalar as the Python value it holds, so messages read 2, not np.int64(2)."""
    return value.item() if isinstance(value, np.generic) else value


def check_table(X, estimator, *, reset: bool) -> pd.DataFrame:
    """Validate a table of any column types; return a DataFrame with str column names.

    Checks, with messages that name the column: 2-D, non-empty, unique column
    names, no complex numbers, no NaN / None / infinity, and no text among numbers
    in one column (``'n/a'`` in a numeric column; a categorical dtype says the
    column is a category and is not checked for this). Feature names and counts
    are checked against the fit (``reset=False``) with scikit-learn's rules; after
    fit the columns carry the fit's names, so an array is read in the fit's order.
    """
    if not isinstance(X, pd.DataFrame):
        if hasattr(X, "toarray") or type(X).__module__.startswith("scipy.sparse"):
            raise TypeError(f"{type(estimator).__name__} does not accept sparse input; "
                            "pass a dense array or a DataFrame (X.toarray()).")
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError(
                f"Expected 2D array, got {X.ndim}D array instead. Reshape your data either "
                "using array.reshape(-1, 1) if your data has a single feature or "
                "array.reshape(1, -1) if it contains a single sample.")
    else:
        _check_unique_columns(X, estimator)
    validate_data(estimator, X, reset=reset, skip_check_array=True)
    n_samples, n_features = X.shape
    for count, what in ((n_samples, "sample(s)"), (n_features, "feature(s)")):
        if count == 0:
            raise ValueError(f"Found array with 0 {what} (shape={tuple(X.shape)}) while a "
                             f"minimum of 1 is required by {type(estimator).__name__}.")
    names = _column_names(X, n_features, None if reset else estimator)
    frame = X.set_axis(names, axis=1) if isinstance(X, pd.DataFrame) else pd.DataFrame(
        X if X.dtype.kind != "O" else X, columns=names)
    if _finite_plain_numbers(frame):
        return frame
    # something is off (or the columns are mixed): find the column to name in the error
    for name in names:
        col = frame[name]
        values = col.to_numpy()
        if values.dtype.kind == "c":
            raise ValueError(f"Complex data not supported: column {name!r} is complex.")
        missing = np.asarray(pd.isna(col))
        if missing.any():
            raise ValueError(
                f"Input X contains NaN (missing values) in column {name!r}: "
                f"{_describe_rows(missing)}. {type(estimator).__name__} does not impute; impute "
                "or drop them first (e.g. sklearn.impute.SimpleImputer).")
        if values.dtype.kind == "f":
            infinite = np.isinf(values)
            if infinite.any():
                raise ValueError(f"Input X contains infinity (inf) in column {name!r}: "
                                 f"{_describe_rows(infinite)}.")
        elif values.dtype.kind == "O":
            for v in values:
                if isinstance(v, complex):
                    raise ValueError(f"Complex data not supported: column {name!r}.")
                if isinstance(v, float) and math.isinf(v):
                    raise ValueError(f"Input X contains infinity (inf) in column {name!r}.")
            if not isinstance(col.dtype, pd.CategoricalDtype):
                _check_not_mixed(name, values)
    return frame


def _finite_plain_numbers(frame: pd.DataFrame) -> bool:
    """Whether every column is a plain numpy number type with no NaN or infinity.

    One vectorized pass instead of the per-column checks: hot paths (local
    explanations, counterfactuals, Rashomon fits) validate small numeric tables
    many times.
    """
    dtypes = frame.dtypes
    if not all(isinstance(dtype, np.dtype) and dtype.kind in "biuf" for dtype in dtypes):
        return False
    floats = [name for name, dtype in dtypes.items() if dtype.kind == "f"]
    if not floats:
        return True
    return bool(np.isfinite(frame[floats].to_numpy()).all())


def check_numeric(X, estimator, *, reset: bool) -> np.ndarray:
    """Validate a table that must be numeric; return a float64 array.

    Non-numeric columns raise an error that names the column and suggests
    :class:`glassbox.features.Binarizer`.
    """
    frame = check_table(X, estimator, reset=reset)
    for name in frame.columns:
        values = frame[name].to_numpy()
        if values.dtype.kind in "biuf":
            continue
        try:
            np.asarray(values, dtype=float)
        except TypeError as exc:  # neither text nor a number (a dict, a list): a type error
            raise TypeError(f"Column {name!r} holds values that are not numbers ({exc}); "
                            f"{type(estimator).__name__} needs numbers.") from None
        except ValueError:
            example = first_non_number(values)
            raise ValueError(
                f"Column {name!r} has non-numeric values (e.g. {_plain(example)!r}); "
                f"{type(estimator).__name__} needs numbers. Encode or binarize it first "
                "(glassbox.features.Binarizer turns categories into named 0/1 features)."
            ) from None
    return frame.to_numpy(dtype=float)


def first_non_number(values):
    """The first value that does not read as a number (for error messages)."""
    return next((v for v in values if not _is_number_cell(str(v))), values[0])


def numeric_column(values: np.ndarray, name: str, needed_by: str) -> np.ndarray:
    """One column as float64; text that is not a number raises, naming the column and a value.

    For fitted models reading a column that was numeric in fit (a condition
    ``age <= 25``, a score-card item), so that text arriving at prediction time is
    reported instead of failing deep inside numpy.
    """
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        example = first_non_number(values)
        raise ValueError(
            f"Column {name!r} has non-numeric values (e.g. {_plain(example)!r}); {needed_by} "
            "needs numbers there. Pass the column as numbers, as it was in fit.") from None


def binary_column(values: np.ndarray, name: str, needed_by: str) -> np.ndarray:
    """One column of 0/1 or boolean values as bools; any other value raises, naming both."""
    if values.dtype.kind == "b":
        return values.astype(bool, copy=False)
    try:
        numeric = np.asarray(values, dtype=float)
        bad = ~np.isin(numeric, (0.0, 1.0))
    except (TypeError, ValueError):  # text among the values: find the first value not 0/1
        numeric = None
        bad = np.fromiter((not (isinstance(v, (numbers.Real, np.bool_)) and v in (0, 1))
                           for v in values), dtype=bool, count=len(values))
    if bad.any():
        example = values[np.flatnonzero(bad)[0]]
        raise ValueError(
            f"Column {name!r} is not binary: it has the value {_plain(example)!r} "
            f"({_describe_rows(bad)}); {needed_by} needs 0/1 or boolean columns here. "
            "Binarize it first with glassbox.features.Binarizer.")
    return numeric == 1.0


def check_binary(X, estimator, *, reset: bool) -> np.ndarray:
    """Validate a 0/1 (or boolean) table; return a bool array.

    A column with any other value raises an error naming it and the value.
    """
    frame = check_table(X, estimator, reset=reset)
    out = np.empty(frame.shape, dtype=bool)
    for j, name in enumerate(frame.columns):
        out[:, j] = binary_column(frame[name].to_numpy(), name, type(estimator).__name__)
    return out


def check_y_complete(y) -> None:
    """Refuse missing labels or values (NaN, None, ``pd.NA``), naming the first row."""
    missing = pd.isna(pd.Series(y, dtype=object)).to_numpy()
    if missing.any():
        raise ValueError(f"y contains NaN (missing labels or values), first at row "
                         f"{int(np.flatnonzero(missing)[0])}; drop those rows first.")


def check_y_rows(y, n_samples: int, *, stacklevel: int = 3) -> np.ndarray:
    """``y`` as a 1-D array with one complete entry per row of X (labels or values).

    A column vector is raveled with scikit-learn's ``DataConversionWarning``
    (``stacklevel`` points it at the caller's caller).
    """
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        import warnings

        from sklearn.exceptions import DataConversionWarning

        warnings.warn("A column-vector y was passed when a 1d array was expected. Please change "
                      "the shape of y to (n_samples,), for example using ravel().",
                      DataConversionWarning, stacklevel=stacklevel)
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(f"y must be 1-dimensional, got shape {y.shape}.")
    if len(y) != n_samples:
        raise ValueError(f"Found input variables with inconsistent numbers of samples: "
                         f"X has {n_samples} rows, y has {len(y)}.")
    check_y_complete(y)
    return y


def check_target(y, estimator, n_samples: int, *, binary_only: bool):
    """Validate class labels; return ``(classes, y_index)`` with y as indices into classes."""
    if y is None:
        raise ValueError(f"{type(estimator).__name__} requires y to be passed, but the target y "
                         "is None.")
    y = check_y_rows(y, n_samples, stacklevel=4)
    check_classification_targets(y)
    classes, y_index = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"{type(estimator).__name__} needs two classes in y, but y has only one "
                         f"class ({_plain(classes[0])!r}).")
    if binary_only and len(classes) > 2:
        raise ValueError(
            f"Only binary classification is supported. {type(estimator).__name__} got y with "
            f"{len(classes)} classes ({type_of_target(y)}: {classes.tolist()[:10]}). Fit one "
            "model per class against the rest (sklearn.multiclass.OneVsRestClassifier).")
    return classes, y_index.astype(np.intp)


def make_rng(random_state) -> np.random.Generator:
    """A local numpy Generator from ``random_state`` (None, int, Generator or RandomState)."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**31 - 1))
    return np.random.default_rng(random_state)


# ---------------------------------------------------------------------------
# JSON helpers
# ---------------------------------------------------------------------------

def _jsonable(value):
    """Convert numpy / tuple / Condition values to plain JSON types (inf/nan as strings)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else ("inf" if value > 0 else
                                                   "-inf" if value < 0 else "nan")
    if isinstance(value, Condition):
        return value.to_dict()
    if value is None or isinstance(value, (str, int)):
        return value
    if hasattr(value, "to_dict"):
        return _jsonable(value.to_dict())
    raise TypeError(f"cannot store a value of type {type(value).__name__} in JSON")


def _unjson_float(value):
    return float(value) if isinstance(value, str) and value in ("inf", "-inf", "nan") else value


# ---------------------------------------------------------------------------
# Estimators
# ---------------------------------------------------------------------------

_SERIALIZABLE: dict[str, type] = {}


class GlassboxMixin:
    """Rendering, explanation and JSON round trips shared by every glassbox model.

    Subclasses implement:

    ``_to_state() -> dict``
        The complete fitted model as JSON-able data (use ``_jsonable``).
    ``_set_state(state)``
        Restore the fitted attributes from that data.
    ``_render(state) -> Rendering``
        The model in words, built from the state.
    ``_explain(X) -> Explanation``
        Why, row by row, for validated input.

    and declare ``_fitted_attributes`` (names ending in ``_``) once.
    """

    _fitted_attributes: ClassVar[tuple[str, ...]] = ()
    # sklearn estimator checks this estimator is known to fail: {check name: reason}.
    # tests/test_common.py passes them to parametrize_with_checks.
    _expected_failed_checks: ClassVar[dict[str, str]] = {}
    # Attributes the mixin itself saves in to_dict besides the learner's state.
    _common_attributes: ClassVar[tuple[str, ...]] = ("n_features_in_", "feature_names_in_")

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__name__.startswith("_"):
            _SERIALIZABLE[cls.__name__] = cls

    @classmethod
    def _test_instance(cls):
        """An instance with budgets small enough for the common test suite."""
        return cls()

    # -- to be provided by learners ---------------------------------------
    def _to_state(self) -> dict:
        raise NotImplementedError

    def _set_state(self, state: dict) -> None:
        raise NotImplementedError

    def _render(self, state: dict) -> Rendering:
        raise NotImplementedError

    def _explain(self, X) -> Explanation:
        raise NotImplementedError

    def _validate_input(self, X, *, reset: bool):
        """Validate X for fit (reset=True) or prediction (reset=False)."""
        return check_table(X, self, reset=reset)

    # -- shared behaviour --------------------------------------------------
    def _check_fitted(self):
        check_is_fitted(self, self._fitted_attributes or None)

    def _is_fitted(self) -> bool:
        try:
            self._check_fitted()
            return True
        except Exception:
            return False

    def rendering(self) -> Rendering:
        """The fitted model as a :class:`Rendering` (table + text)."""
        self._check_fitted()
        return self._render(_jsonable(self._to_state()))

    def to_text(self) -> str:
        """The fitted model in words a domain expert reads."""
        return self.rendering().to_text()

    def to_frame(self) -> pd.DataFrame:
        """The fitted model as a table (one line per rule, item, leaf or prototype)."""
        return self.rendering().to_frame()

    def __str__(self) -> str:
        return self.to_text() if self._is_fitted() else BaseEstimator.__repr__(self)

    def _repr_html_(self) -> str:
        if self._is_fitted():
            return self.rendering().to_html()
        return BaseEstimator._repr_html_inner(self)

    def explain(self, X) -> Explanation:
        """Explain each row of ``X``: why the model predicts what it does.

        Returns
        -------
        explanation : Explanation
            ``to_frame()`` gives one line per row; ``str()`` readable text.
        """
        self._check_fitted()
        return self._explain(self._validate_input(X, reset=False))

    # -- JSON ---------------------------------------------------------------
    def _params_to_dict(self) -> tuple[dict, list]:
        saved, unsaved = {}, []
        for name, value in self.get_params(deep=False).items():
            # Estimators given as parameters (a teacher, a student template) are objects,
            # not settings: their fitted counterparts belong to the learner's state.
            if hasattr(value, "get_params"):
                unsaved.append(name)
                continue
            try:
                saved[name] = _jsonable(value)
            except TypeError:
                unsaved.append(name)
        return saved, unsaved

    def to_dict(self) -> dict:
        """The fitted model as JSON-able data with a format version.

        ``glassbox.from_dict(model.to_dict())`` rebuilds a model that predicts
        identically. Parameters that cannot be stored in JSON (a user's torch
        backbone, a teacher model) are listed under ``"unsaved_params"`` and
        come back as their defaults.
        """
        self._check_fitted()
        params, unsaved = self._params_to_dict()
        common = {a: _jsonable(getattr(self, a)) for a in self._common_attributes
                  if hasattr(self, a)}
        import glassbox

        return {"format": FORMAT_NAME, "format_version": FORMAT_VERSION,
                "glassbox_version": glassbox.__version__, "model": type(self).__name__,
                "params": params, "unsaved_params": unsaved, "fitted": common,
                "state": _jsonable(self._to_state())}

    @classmethod
    def from_dict(cls, data: dict):
        """Rebuild a fitted model from :meth:`to_dict` output."""
        _check_format(data)
        if data["model"] != cls.__name__:
            raise ValueError(f"This data holds a {data['model']}, not a {cls.__name__}; use "
                             "glassbox.from_dict to rebuild any model.")
        defaults = cls().get_params(deep=False)
        params = {k: v for k, v in data["params"].items() if k in defaults}
        for name, value in params.items():  # JSON turns tuples into lists
            if isinstance(defaults[name], tuple) and isinstance(value, list):
                params[name] = tuple(value)
        model = cls(**params)
        for name, value in data.get("fitted", {}).items():
            setattr(model, name, np.asarray(value, dtype=object) if name == "feature_names_in_"
                    else value)
        model._set_state(data["state"])
        return model

    def to_json(self, path=None, **kwargs) -> str | None:
        """Write :meth:`to_dict` as JSON to ``path``, or return the JSON text."""
        text = json.dumps(self.to_dict(), **kwargs)
        if path is None:
            return text
        Path(path).write_text(text)
        return None


def _check_format(data) -> None:
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise ValueError("Not a glassbox model: expected a dict made by model.to_dict() with "
                         "format 'glassbox'.")
    version = data.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(f"This model was saved with format version {version!r}; this glassbox "
                         f"reads versions up to {FORMAT_VERSION}. Upgrade glassbox to load it.")


def from_dict(data: dict):
    """Rebuild any glassbox model (or Binarizer) from its ``to_dict()`` data."""
    _check_format(data)
    name = data.get("model")
    if name not in _SERIALIZABLE:
        import glassbox

        module = glassbox._LAZY.get(name)
        if module is None:
            raise ValueError(f"Unknown glassbox model {name!r}.")
        importlib.import_module(module)
    return _SERIALIZABLE[name].from_dict(data)


def load(path):
    """Read a model written by ``model.to_json(path)``."""
    return from_dict(json.loads(Path(path).read_text()))


class GlassboxClassifier(GlassboxMixin, ClassifierMixin, BaseEstimator):
    """Base class of glassbox classifiers.

    ``fit`` validates the parameters (``_parameter_constraints``), the input
    (``_validate_input``) and the labels, stores ``classes_``, then calls
    ``_fit(X, y)`` with ``y`` as indices into ``classes_`` (0/1 for binary
    problems, 1 meaning ``classes_[1]``). ``predict_proba`` calls
    ``_predict_proba(X)`` with validated input; ``predict`` maps
    ``_predict_index(X)`` (by default the argmax of the probabilities) back to
    the original labels.

    Notes
    -----
    Set the class attribute ``_binary_only = False`` for learners that handle
    several classes; binary-only learners raise a clear error on multi-class
    targets instead of collapsing them.
    """

    _binary_only: ClassVar[bool] = True
    _common_attributes = ("n_features_in_", "feature_names_in_", "classes_")

    def fit(self, X, y):
        self._validate_params()
        X = self._validate_input(X, reset=True)
        self.classes_, y_index = check_target(y, self, len(X), binary_only=self._binary_only)
        self._fit(X, y_index)
        return self

    def _fit(self, X, y):
        raise NotImplementedError

    def _predict_proba(self, X) -> np.ndarray:
        raise NotImplementedError

    def _predict_index(self, X) -> np.ndarray:
        return np.argmax(self._predict_proba(X), axis=1)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, columns in the order of ``classes_``."""
        self._check_fitted()
        return self._predict_proba(self._validate_input(X, reset=False))

    def predict(self, X) -> np.ndarray:
        """Predicted class labels."""
        self._check_fitted()
        return self.classes_[self._predict_index(self._validate_input(X, reset=False))]

    def _set_state(self, state):  # subclasses extend; classes_ comes back as an array
        raise NotImplementedError

    @classmethod
    def from_dict(cls, data: dict):
        model = super().from_dict(data)
        model.classes_ = np.asarray(model.classes_)
        return model

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = not self._binary_only
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.input_tags.allow_nan = False
        return tags
