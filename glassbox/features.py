"""Boolean features for rule lists, trees and score cards.

Two tools live here:

* :class:`Binarizer` turns a table of any column types into named boolean
  features (``age <= 25``, ``sex == Male``, ``priors>3``), each a
  :class:`~glassbox._base.Condition` over an ORIGINAL input column, so that a
  fitted model can be evaluated on raw data and written in words.
* :func:`mine_antecedents` enumerates conjunctions of those features
  (``age <= 25 and priors > 3``) with their supports, as packed bit vectors
  (:mod:`glassbox._bitset`) - the candidate antecedents that rule lists, sparse
  trees and Rashomon sets search over.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_feature_names_in

from glassbox._base import (
    Condition,
    Explanation,
    GlassboxMixin,
    Rendering,
    binary_column,
    check_table,
    check_y_complete,
)
from glassbox._bitset import pack_rows, popcount, unpack_rows

__all__ = ["Binarizer", "Antecedents", "mine_antecedents"]

# Kinds of output feature, as shown by Binarizer.to_frame().
BINARY, THRESHOLD, LEVEL = "binary", "threshold", "level"


# ---------------------------------------------------------------------------
# Column analysis
# ---------------------------------------------------------------------------

def _native(value):
    """A numpy scalar as the plain Python value (so Conditions store JSON-able values)."""
    return value.item() if isinstance(value, np.generic) else value


def _is_number(value) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, (bool, np.bool_))


def _column_kind(values: np.ndarray, is_categorical_dtype: bool) -> str:
    """How a column is binarized: ``binary``, ``threshold`` (numeric) or ``level``."""
    if is_categorical_dtype:
        return LEVEL
    kind = values.dtype.kind
    if kind == "b":
        return BINARY
    if kind in "iuf":
        return BINARY if np.isin(values, (0, 1)).all() else THRESHOLD
    if all(isinstance(v, (bool, np.bool_)) for v in values):
        return BINARY
    if all(_is_number(v) for v in values):
        numeric = values.astype(float)
        return BINARY if np.isin(numeric, (0.0, 1.0)).all() else THRESHOLD
    return LEVEL


def _quantile_thresholds(distinct: np.ndarray, values: np.ndarray, n_thresholds) -> np.ndarray:
    """Up to ``n_thresholds`` observed values at evenly spaced quantiles (the maximum excluded)."""
    if n_thresholds is None or len(distinct) - 1 <= n_thresholds:
        return distinct[:-1]
    levels = np.arange(1, n_thresholds + 1) / (n_thresholds + 1)
    picked = np.unique(np.quantile(values, levels, method="inverted_cdf"))
    return picked[picked < distinct[-1]]


def _split_thresholds(distinct: np.ndarray, values: np.ndarray, y_codes: np.ndarray,
                      n_thresholds) -> np.ndarray:
    """Thresholds between consecutive distinct values where the label can change.

    A boundary between two neighbouring values is a candidate unless both values
    carry one and the same label (a split there can never help a classifier).
    When there are more candidates than ``n_thresholds``, those nearest to evenly
    spaced quantiles of the column are kept. Each threshold is the shortest
    decimal strictly between the two values (the midpoint rounded).
    """
    position = np.searchsorted(distinct, values)
    n_labels = int(y_codes.max()) + 1
    counts = np.zeros((len(distinct), n_labels), dtype=np.int64)
    np.add.at(counts, (position, y_codes), 1)
    present = counts > 0
    pure = present.sum(axis=1) == 1
    same_pure = pure[:-1] & pure[1:] & (present[:-1] == present[1:]).all(axis=1)
    boundary = np.flatnonzero(~same_pure)
    if n_thresholds is not None and len(boundary) > n_thresholds:
        cdf = np.cumsum(counts.sum(axis=1))[boundary] / len(values)
        levels = np.arange(1, n_thresholds + 1) / (n_thresholds + 1)
        boundary = boundary[np.unique(np.abs(cdf[None, :] - levels[:, None]).argmin(axis=1))]
    return np.array([_short_between(distinct[i], distinct[i + 1]) for i in boundary])


def _short_between(low: float, high: float) -> float:
    """The number with fewest decimals strictly between ``low`` and ``high`` (near the middle).

    It splits the data exactly like the midpoint but reads ``x <= 0.44``
    rather than ``x <= 0.440038``.
    """
    middle = (low + high) / 2.0
    for decimals in range(16):
        candidate = round(middle, decimals)
        if low < candidate < high:
            return candidate
    return middle


def _dedupe_by_name(conditions: list[Condition]) -> list[Condition]:
    """Drop conditions whose printed name repeats an earlier one (thresholds equal to 6 digits)."""
    seen, kept = set(), []
    for c in conditions:
        if c.name not in seen:
            seen.add(c.name)
            kept.append(c)
    return kept


# ---------------------------------------------------------------------------
# Binarizer
# ---------------------------------------------------------------------------

class Binarizer(GlassboxMixin, TransformerMixin, BaseEstimator):
    """Turn a table of any column types into named boolean features.

    Each output feature is a :class:`~glassbox._base.Condition` on one original
    column, so models built on the features can be written and evaluated in
    terms of the raw data (``age <= 25``, ``sex == Male``):

    * boolean or 0/1 columns give one feature ``Condition(col, "is_true")``,
      named by the column itself;
    * numeric columns give threshold features ``col <= t`` (and ``col > t``
      when ``directions="both"``);
    * other columns (strings, categories) give one feature ``col == level`` per
      observed level, or a single feature (the last level in sorted or category
      order) for a column with two levels.

    Constant columns give no feature; they are listed in ``dropped_columns_``.

    Parameters
    ----------
    n_thresholds : int or None, default=8
        Most thresholds per numeric column; None for every candidate. A column
        with at most ``n_thresholds + 1`` distinct values gets a threshold at each
        of its distinct values but the largest, whatever the strategy.
    strategy : {"quantile", "splits"}, default="quantile"
        ``"quantile"``: thresholds at evenly spaced quantiles, each an OBSERVED
        value, so names read ``age <= 25``. ``"splits"``: between consecutive
        distinct values where the label changes (needs ``y`` in ``fit``), the
        candidate split points of a decision tree; each threshold is the
        midpoint rounded to the fewest decimals that stay strictly between the
        two values (``x <= 0.44``, not ``x <= 0.440038``).
    thresholds : dict of {str: list of float} or None, default=None
        Thresholds chosen by the user for some numeric columns, e.g.
        ``{"age": [25, 40]}``; they replace the strategy for those columns.
        Columns of an array are named ``x0``, ``x1``, ...
    directions : {"le", "both"}, default="le"
        ``"le"``: one feature ``col <= t`` per threshold. ``"both"``: also
        ``col > t`` (rule lists need both sides when negations are not mined).

    Attributes
    ----------
    conditions_ : list of Condition
        One per output feature, in output order.
    feature_columns_ : list of str
        The original column of each output feature (see :meth:`inverse`).
    feature_kinds_ : list of str
        ``"binary"``, ``"threshold"`` or ``"level"`` per output feature.
    dropped_columns_ : list of str
        Constant columns, which give no feature.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when fitted on a DataFrame.

    Notes
    -----
    At ``transform`` time a category level not seen in ``fit`` makes every
    level feature of its column False, and a 0/1 column is read as
    ``value != 0``. Missing values raise an error naming the column: impute first.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"age": [22, 35, 47, 60], "sex": ["F", "M", "M", "F"]})
    >>> b = Binarizer(n_thresholds=2).fit(X)
    >>> b.get_feature_names_out().tolist()
    ['age <= 35', 'age <= 47', 'sex == M']
    >>> b.transform(X).astype(int).tolist()
    [[1, 1, 0], [1, 1, 1], [0, 1, 1], [0, 0, 0]]
    >>> b.inverse("sex == M")
    'sex'
    """

    _parameter_constraints = {
        "n_thresholds": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "strategy": [StrOptions({"quantile", "splits"})],
        "thresholds": [dict, None],
        "directions": [StrOptions({"le", "both"})],
    }
    _fitted_attributes = ("conditions_",)

    def __init__(self, *, n_thresholds=8, strategy="quantile", thresholds=None, directions="le"):
        self.n_thresholds = n_thresholds
        self.strategy = strategy
        self.thresholds = thresholds
        self.directions = directions

    # -- fitting -------------------------------------------------------------
    def fit(self, X, y=None):
        """Choose the features from the table ``X`` (and labels ``y`` for ``"splits"``).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), optional
            Needed only by ``strategy="splits"``.

        Returns
        -------
        self : Binarizer
        """
        self._validate_params()
        frame = check_table(X, self, reset=True)
        user = self._user_thresholds(frame)
        y_codes = self._label_codes(y, len(frame))
        conditions, columns, kinds, dropped = [], [], [], []
        for name in frame.columns:
            column_conditions, kind = self._column_conditions(frame[name], user.get(name),
                                                              y_codes)
            if not column_conditions:
                dropped.append(name)
            conditions += column_conditions
            columns += [name] * len(column_conditions)
            kinds += [kind] * len(column_conditions)
        self.conditions_ = conditions
        self.feature_columns_ = columns
        self.feature_kinds_ = kinds
        self.dropped_columns_ = dropped
        return self

    def _user_thresholds(self, frame: pd.DataFrame) -> dict:
        if not self.thresholds:
            return {}
        known = list(frame.columns)
        out = {}
        for name, values in self.thresholds.items():
            if str(name) not in known:
                raise ValueError(f"thresholds names the column {name!r}, which is not in X; "
                                 f"the columns are {known[:20]}.")
            values = np.atleast_1d(np.asarray(values))
            if values.dtype.kind not in "iuf" or len(values) == 0:
                raise ValueError(f"thresholds[{name!r}] must be a non-empty list of numbers, got "
                                 f"{self.thresholds[name]!r}.")
            out[str(name)] = np.unique(values)
        return out

    def _label_codes(self, y, n_samples: int):
        if self.strategy != "splits":
            return None
        if y is None:
            raise ValueError("Binarizer(strategy='splits') places thresholds where the label "
                             "changes, so fit needs y; got y=None. Use strategy='quantile' "
                             "to binarize without labels.")
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != n_samples:
            raise ValueError(f"y must be 1-dimensional with one label per row of X ({n_samples}), "
                             f"got shape {y.shape}.")
        check_y_complete(y)
        return np.unique(y, return_inverse=True)[1].ravel()

    def _column_conditions(self, column: pd.Series, user_thresholds, y_codes):
        name = str(column.name)
        is_categorical = isinstance(column.dtype, pd.CategoricalDtype)
        values = column.to_numpy()
        kind = _column_kind(values, is_categorical)
        if user_thresholds is not None:
            if kind == LEVEL:
                raise ValueError(f"thresholds were given for column {name!r}, which is not "
                                 f"numeric (e.g. {values[0]!r}); only numeric columns take "
                                 "thresholds.")
            return self._threshold_conditions(name, user_thresholds), THRESHOLD
        if kind == BINARY:
            distinct = np.unique(values.astype(bool))
            return ([Condition(name, "is_true")] if len(distinct) == 2 else []), BINARY
        if kind == LEVEL:
            return self._level_conditions(column, is_categorical), LEVEL
        numeric = values.astype(float)
        distinct = np.unique(numeric)
        if len(distinct) < 2:
            return [], THRESHOLD
        few = self.n_thresholds is not None and len(distinct) - 1 <= self.n_thresholds
        if self.strategy == "splits" and not few:
            cuts = _split_thresholds(distinct, numeric, y_codes, self.n_thresholds)
        else:
            cuts = _quantile_thresholds(distinct, numeric, self.n_thresholds)
        if values.dtype.kind in "iu":
            cuts = [int(c) if float(c).is_integer() else float(c) for c in cuts]
        return self._threshold_conditions(name, cuts), THRESHOLD

    def _threshold_conditions(self, name: str, cuts) -> list[Condition]:
        cuts = [_native(c) for c in cuts]
        conditions = [Condition(name, "<=", c) for c in cuts]
        if self.directions == "both":
            conditions += [Condition(name, ">", c) for c in cuts]
        return _dedupe_by_name(conditions)

    @staticmethod
    def _level_conditions(column: pd.Series, is_categorical: bool) -> list[Condition]:
        name = str(column.name)
        if is_categorical:
            observed = set(column.unique().tolist())
            levels = [c for c in column.cat.categories.tolist() if c in observed]
        else:
            distinct = {_native(v) for v in column.to_numpy()}
            try:
                levels = sorted(distinct)
            except TypeError:  # mixed types: order by the printed value
                levels = sorted(distinct, key=str)
        if len(levels) < 2:
            return []
        if len(levels) == 2:
            levels = levels[1:]
        return _dedupe_by_name([Condition(name, "==", level) for level in levels])

    # -- transforming ----------------------------------------------------------
    def transform(self, X) -> np.ndarray:
        """Evaluate every feature on ``X``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features_in_)
            Same columns as in ``fit``; no missing values.

        Returns
        -------
        Z : ndarray of bool, shape (n_samples, n_features_out)
            ``Z[i, f]`` is whether row ``i`` satisfies ``conditions_[f]``.
        """
        self._check_fitted()
        frame = check_table(X, self, reset=False)
        return self._evaluate(frame)

    def _evaluate(self, frame: pd.DataFrame) -> np.ndarray:
        out = np.empty((len(frame), len(self.conditions_)), dtype=bool)
        for f, condition in enumerate(self.conditions_):
            try:
                out[:, f] = condition.evaluate(frame)
            except (TypeError, ValueError):
                example = frame[condition.column].iloc[0]
                raise ValueError(
                    f"Column {condition.column!r} cannot be tested with the feature "
                    f"{condition.name!r} learned in fit: it holds values like {example!r}, "
                    "which are not numbers. Pass the column with the type it had in fit."
                ) from None
        return out

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the output features (the conditions' names).

        Parameters
        ----------
        input_features : array-like of str, optional
            Names for the input columns; by default those seen in ``fit``
            (``x0``, ``x1``, ... for arrays).

        Returns
        -------
        names : ndarray of str
        """
        self._check_fitted()
        input_features = _check_feature_names_in(self, input_features)
        rename = dict(zip(self._input_names(), (str(n) for n in input_features)))
        return np.asarray([Condition(rename[c.column], c.op, c.value).name
                           for c in self.conditions_], dtype=object)

    def _input_names(self) -> list[str]:
        if hasattr(self, "feature_names_in_"):
            return [str(n) for n in self.feature_names_in_]
        return [f"x{i}" for i in range(self.n_features_in_)]

    def inverse(self, feature) -> str:
        """The original column an output feature was made from.

        Parameters
        ----------
        feature : int or str
            Index of an output feature, or its name.

        Returns
        -------
        column : str
        """
        self._check_fitted()
        if isinstance(feature, (numbers.Integral, np.integer)) and not isinstance(feature, bool):
            if not -len(self.conditions_) <= feature < len(self.conditions_):
                raise IndexError(f"feature index {feature} is out of range: this Binarizer has "
                                 f"{len(self.conditions_)} output features.")
            return self.feature_columns_[feature]
        for condition, column in zip(self.conditions_, self.feature_columns_):
            if condition.name == feature:
                return column
        raise KeyError(f"{feature!r} is not an output feature of this Binarizer; its features "
                       f"are {[c.name for c in self.conditions_][:10]}...")

    # -- rendering and JSON ----------------------------------------------------
    def _to_state(self) -> dict:
        return {"conditions": [c.to_dict() for c in self.conditions_],
                "kinds": list(self.feature_kinds_),
                "dropped_columns": list(self.dropped_columns_)}

    def _set_state(self, state: dict) -> None:
        self.conditions_ = [Condition.from_dict(c) for c in state["conditions"]]
        self.feature_columns_ = [c.column for c in self.conditions_]
        self.feature_kinds_ = list(state["kinds"])
        self.dropped_columns_ = list(state["dropped_columns"])

    def _render(self, state: dict) -> Rendering:
        conditions = [Condition.from_dict(c) for c in state["conditions"]]
        n_columns = len({c.column for c in conditions})
        footer = []
        if state["dropped_columns"]:
            footer.append("constant columns (no feature): " + ", ".join(state["dropped_columns"]))
        return Rendering(
            title=f"Binarizer: {len(conditions)} boolean features from {n_columns} columns",
            columns=["feature", "column", "kind"],
            rows=[[c.name, c.column, kind] for c, kind in zip(conditions, state["kinds"])],
            footer=footer)

    def _validate_input(self, X, *, reset: bool):
        return check_table(X, self, reset=reset)

    def _explain(self, X) -> Explanation:
        Z = self._evaluate(X)
        names = [c.name for c in self.conditions_]
        rows, texts = [], []
        for i, z in enumerate(Z):
            true_names = [names[f] for f in np.flatnonzero(z)]
            rows.append({"row": i, "n_true": len(true_names)})
            texts.append(f"row {i}: " + (", ".join(true_names) if true_names else
                                         "no feature is true"))
        return Explanation(type(self).__name__, rows, texts)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.input_tags.allow_nan = False
        tags.transformer_tags.preserves_dtype = []
        return tags


# ---------------------------------------------------------------------------
# Antecedent mining
# ---------------------------------------------------------------------------

@dataclass(eq=False)
class Antecedents:
    """Conjunctions of boolean literals with their supports, as packed bit vectors.

    Attributes
    ----------
    bits : ndarray of uint64, shape (M, W)
        Row ``m`` has bit ``i`` set when sample ``i`` satisfies antecedent ``m``
        (:func:`glassbox._bitset.pack_rows` layout; bits past ``n_samples`` are 0).
    names : list of str
        ``"age <= 25 and priors > 3"``.
    members : list of tuple of int
        Indices into ``literals`` of each antecedent's literals, increasing.
    literals : list of Condition
        The input features, followed by their negations when mined with
        ``include_negations=True`` (literal ``F + j`` is the negation of ``j``).
    support : ndarray of int64, shape (M,)
        Number of samples each antecedent captures.
    n_samples : int
    """

    bits: np.ndarray
    names: list
    members: list
    literals: list
    support: np.ndarray
    n_samples: int

    def __len__(self) -> int:
        return len(self.names)

    def conditions(self, m: int) -> list[Condition]:
        """The literals (Conditions) of antecedent ``m``."""
        return [self.literals[i] for i in self.members[m]]

    def unpack(self) -> np.ndarray:
        """Boolean matrix ``(M, n_samples)`` of which samples each antecedent captures."""
        return unpack_rows(self.bits, self.n_samples)

    def to_frame(self) -> pd.DataFrame:
        """One line per antecedent: name, cardinality, support count and fraction."""
        return pd.DataFrame({
            "antecedent": self.names,
            "cardinality": [len(m) for m in self.members],
            "support": self.support,
            "support_fraction": self.support / max(self.n_samples, 1),
        })

    def __repr__(self) -> str:
        return (f"<Antecedents: {len(self)} conjunctions of {len(self.literals)} literals over "
                f"{self.n_samples} samples>")


def _as_bool_matrix(Z) -> tuple[np.ndarray, list[str]]:
    """Validate a 0/1 or boolean table; return it as bool (n, F) with its column names."""
    if isinstance(Z, pd.DataFrame):
        names = [str(c) for c in Z.columns]
        columns = [Z.iloc[:, j].to_numpy() for j in range(Z.shape[1])]
    else:
        array = np.asarray(Z)
        if array.ndim != 2:
            raise ValueError(f"mine_antecedents needs a 2-D boolean matrix (n_samples, "
                             f"n_features), got an array of shape {array.shape}.")
        names = [f"x{j}" for j in range(array.shape[1])]
        columns = list(array.T)
        Z = array
    # the row count comes from the table itself: a table without columns still has rows
    n_samples = Z.shape[0]
    if n_samples == 0:
        raise ValueError(f"mine_antecedents needs at least one sample (row); got a table of "
                         f"shape {tuple(Z.shape)}.")
    out = np.empty((n_samples, len(columns)), dtype=bool)
    for j, (name, values) in enumerate(zip(names, columns)):
        out[:, j] = binary_column(values, name, "mine_antecedents")
    return out, names


def _contradict(a: Condition, b: Condition) -> bool:
    """Whether two literals on the same column can never hold together."""
    if a.column != b.column:
        return False
    if b == a.negate():
        return True
    ops = {a.op, b.op}
    if ops == {"=="}:
        return a.value != b.value
    if ops == {"is_true", "is_false"}:
        return True
    if ops == {"<=", ">"}:
        upper, lower = (a, b) if a.op == "<=" else (b, a)  # x <= upper.value and x > lower.value
        try:
            return float(upper.value) <= float(lower.value)
        except (TypeError, ValueError):
            return False
    return False


def _compatibility(literals: list[Condition]) -> np.ndarray:
    """Boolean (L, L) matrix: may literals i and j appear in one conjunction?"""
    compatible = np.ones((len(literals), len(literals)), dtype=bool)
    np.fill_diagonal(compatible, False)
    by_column: dict[str, list[int]] = {}
    for i, c in enumerate(literals):
        by_column.setdefault(c.column, []).append(i)
    for group in by_column.values():
        for i in group:
            for j in group:
                if i != j and _contradict(literals[i], literals[j]):
                    compatible[i, j] = False
    return compatible


# Words of AND work per chunk when extending conjunctions (bounds temporary memory).
_CHUNK_WORDS = 1 << 22


def mine_antecedents(Z, *, max_card=2, min_support=0.01, include_negations=False,
                     conditions=None) -> Antecedents:
    """Enumerate conjunctions of boolean features with support in a range.

    Parameters
    ----------
    Z : array-like of bool or 0/1, shape (n_samples, F), or DataFrame
        The boolean features, e.g. ``Binarizer().fit_transform(X)``.
    max_card : int, default=2
        Most literals per conjunction.
    min_support : float in [0, 0.5], default=0.01
        Keep a conjunction when its support count ``s`` satisfies
        ``s >= ceil(min_support * n)`` and ``n - s >= ceil(min_support * n)``,
        i.e. support fraction in ``[min_support, 1 - min_support]``; 0 keeps all.
    include_negations : bool, default=False
        Also use the negation of every feature as a literal.
    conditions : list of Condition, optional
        The Condition each column of ``Z`` stands for (e.g.
        ``Binarizer.conditions_``), so names read ``age <= 25``. By default
        ``Condition(name, "is_true")`` with the DataFrame's column names, or
        ``x0``, ``x1``, ... for arrays.

    Returns
    -------
    antecedents : Antecedents
        All singletons first in literal order, then pairs in lexicographic
        order of literal indices, then triples, and so on. Conjunctions that
        can never hold are skipped: a literal with its own negation, two levels
        of one categorical column, ``x <= a and x > b`` with ``a <= b``.

    Notes
    -----
    Conjunctions are built level by level from the previous level's
    conjunctions whose support reaches ``ceil(min_support * n)`` (a superset
    of literals never has more support), with word-wise AND over the packed
    bit vectors, so the cost is proportional to the number of candidates
    times ``n / 64``. With ``max_card=1, min_support=0`` every column of ``Z``
    is exactly one antecedent.

    Examples
    --------
    >>> import numpy as np
    >>> Z = np.array([[1, 0], [1, 1], [0, 1], [1, 1]], dtype=bool)
    >>> a = mine_antecedents(Z, max_card=2, min_support=0.0)
    >>> a.names, a.support.tolist()
    (['x0', 'x1', 'x0 and x1'], [3, 3, 2])
    """
    if not isinstance(max_card, numbers.Integral) or isinstance(max_card, bool) or max_card < 1:
        raise ValueError(f"max_card must be an integer >= 1, got {max_card!r}.")
    if not isinstance(min_support, numbers.Real) or not 0.0 <= min_support <= 0.5:
        raise ValueError(f"min_support must be a fraction in [0, 0.5], got {min_support!r}.")
    matrix, names = _as_bool_matrix(Z)
    n_samples, n_features = matrix.shape
    if conditions is None:
        features = [Condition(name, "is_true") for name in names]
    else:
        features = list(conditions)
        if len(features) != n_features or not all(isinstance(c, Condition) for c in features):
            raise ValueError(f"conditions must be a list of {n_features} Condition objects, one "
                             f"per column of Z; got {len(features)} items.")
    literals = features + ([c.negate() for c in features] if include_negations else [])
    columns = np.concatenate([matrix, ~matrix], axis=1) if include_negations else matrix
    literal_bits = pack_rows(columns.T)
    literal_support = popcount(literal_bits)
    min_count = math.ceil(min_support * n_samples - 1e-9)

    def kept(support):
        return (support >= min_count) & (n_samples - support >= min_count)

    compatible = _compatibility(literals)
    frequent_literal = literal_support >= min_count

    all_bits, all_members, all_support = [], [], []
    members = np.arange(len(literals))[:, None]
    bits, support = literal_bits, literal_support
    for card in range(1, max_card + 1):
        if card > 1:
            members, bits, support = _extend(members, bits, literal_bits, compatible,
                                             frequent_literal, min_count)
        keep = kept(support)
        all_bits.append(bits[keep])
        all_members.append(members[keep])
        all_support.append(support[keep])
        frequent = support >= min_count
        members, bits, support = members[frequent], bits[frequent], support[frequent]
        if len(members) == 0:
            break
    literal_names = np.array([c.name for c in literals] + [""], dtype=object)
    return Antecedents(
        bits=np.concatenate(all_bits, axis=0),
        names=[name for block in all_members for name in _joined_names(block, literal_names)],
        members=[tuple(row) for block in all_members for row in block.tolist()],
        literals=literals,
        support=np.concatenate(all_support).astype(np.int64),
        n_samples=n_samples,
    )


def _joined_names(members: np.ndarray, literal_names: np.ndarray) -> list[str]:
    """``conjunction_name`` of each row of ``members``, built column-wise (object arrays)."""
    names = literal_names[members[:, 0]]
    for k in range(1, members.shape[1]):
        names = names + " and " + literal_names[members[:, k]]
    return names.tolist()


def _extend(parents: np.ndarray, parent_bits: np.ndarray, literal_bits: np.ndarray,
            compatible: np.ndarray, frequent_literal: np.ndarray, min_count: int):
    """Every parent conjunction extended by one later, compatible, frequent literal."""
    n_literals = len(literal_bits)
    later = np.arange(n_literals)[None, :] > parents[:, -1:]
    allowed = later & frequent_literal[None, :]
    for k in range(parents.shape[1]):
        allowed &= compatible[parents[:, k]]
    parent_index, literal_index = np.nonzero(allowed)  # row-major: lexicographic order
    # Conjunctions below min_count are neither kept nor extended, so each chunk
    # stores only the rest: memory follows the answer, not the candidate count.
    step = max(1, _CHUNK_WORDS // max(literal_bits.shape[1], 1))
    blocks = []
    for start in range(0, len(parent_index), step):
        parents_here = parent_index[start:start + step]
        literals_here = literal_index[start:start + step]
        bits = parent_bits[parents_here] & literal_bits[literals_here]
        support = popcount(bits)
        enough = support >= min_count
        members = np.concatenate([parents[parents_here[enough]],
                                  literals_here[enough, None]], axis=1)
        blocks.append((members, bits[enough], support[enough]))
    if not blocks:
        return (np.empty((0, parents.shape[1] + 1), dtype=np.intp),
                parent_bits[:0], np.zeros(0, dtype=np.int64))
    return tuple(np.concatenate(part, axis=0) for part in zip(*blocks))
