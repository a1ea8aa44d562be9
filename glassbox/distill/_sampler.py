"""Query synthesis: new inputs drawn from a density of the data, inside one region at a time.

The density is a Gaussian mixture over the standardized numeric columns. A query
for a region (a leaf of a tree: an axis-aligned box) is drawn around a point
already known to lie in that region, with the covariance of the mixture
component that point belongs to (shrunk by a bandwidth), so that queries follow
the correlations of the data instead of filling the box uniformly. Integer
columns are rounded, categorical columns are drawn from their frequencies inside
the region, and a query that falls outside the box is redrawn and, after a few
tries, clipped onto the box, so every query lies in the region it was drawn for.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from glassbox._base import numeric_column

CONTINUOUS, INTEGER, CATEGORICAL = "continuous", "integer", "categorical"


class ColumnCoder:
    """Numbers for every column: categorical levels become codes, and back."""

    def fit(self, frame: pd.DataFrame) -> ColumnCoder:
        self.columns_ = list(frame.columns)
        self.kinds_, self.levels_, self.dtypes_ = [], {}, {}
        for name in self.columns_:
            values = frame[name].to_numpy()
            dtype = frame[name].dtype  # pandas extension types (strings) decode as objects
            self.dtypes_[name] = dtype if isinstance(dtype, np.dtype) else np.dtype(object)
            if values.dtype.kind in "iuf":
                finite = np.asarray(values, dtype=float)
                levels = np.unique(finite)
                if len(levels) <= 2:
                    kind = CATEGORICAL
                elif np.all(finite == np.round(finite)):
                    kind = INTEGER
                else:
                    kind = CONTINUOUS
            else:
                kind = CATEGORICAL
                levels = pd.unique(pd.Series(values))
                if values.dtype.kind not in "b":
                    self.levels_[name] = list(levels)
            self.kinds_.append(kind)
        self.kinds_ = np.asarray(self.kinds_)
        return self

    def encode(self, frame: pd.DataFrame) -> np.ndarray:
        out = np.empty((len(frame), len(self.columns_)))
        for j, name in enumerate(self.columns_):
            values = frame[name].to_numpy()
            if name in self.levels_:
                codes = pd.Categorical(values, categories=self.levels_[name]).codes
                if np.any(codes < 0):
                    unknown = values[codes < 0][0]
                    raise ValueError(f"Column {name!r} has the level {unknown!r}, unseen in fit; "
                                     f"known levels: {self.levels_[name][:10]}.")
                out[:, j] = codes
            else:
                out[:, j] = numeric_column(values, name, "the distilled model")
        return out

    def decode(self, Z: np.ndarray) -> pd.DataFrame:
        data = {}
        for j, name in enumerate(self.columns_):
            if name in self.levels_:
                levels = np.asarray(self.levels_[name], dtype=object)
                data[name] = levels[np.round(Z[:, j]).astype(int)]
            elif self.dtypes_[name].kind == "b":
                data[name] = Z[:, j] > 0.5
            elif self.dtypes_[name].kind in "iu":
                data[name] = np.round(Z[:, j]).astype(self.dtypes_[name])
            else:
                data[name] = Z[:, j]
        return pd.DataFrame(data, columns=self.columns_)

    @property
    def has_levels(self) -> bool:
        return bool(self.levels_)


def leaf_boxes(tree) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every leaf of a fitted sklearn ``tree_`` as a box ``lo < x <= hi``.

    Returns ``(leaf_ids, lo, hi)`` with ``lo``/``hi`` of shape (n_leaves, n_features),
    -inf / +inf where the path does not bound a feature.
    """
    left, right = tree.children_left, tree.children_right
    feature, threshold = tree.feature, tree.threshold
    n_features = tree.n_features
    leaves, los, his = [], [], []
    stack = [(0, np.full(n_features, -np.inf), np.full(n_features, np.inf))]
    while stack:
        node, lo, hi = stack.pop()
        if left[node] == -1:
            leaves.append(node)
            los.append(lo)
            his.append(hi)
            continue
        f, t = feature[node], threshold[node]
        hi_left = hi.copy()
        hi_left[f] = min(hi[f], t)
        lo_right = lo.copy()
        lo_right[f] = max(lo[f], t)
        stack.append((right[node], lo_right, hi))
        stack.append((left[node], lo, hi_left))
    return np.asarray(leaves), np.asarray(los), np.asarray(his)


def inside_float32(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The closed box ``[a, b]`` of values that sklearn trees (which compare in float32) put
    strictly above ``lo`` and at or below ``hi``."""
    lo32 = lo.astype(np.float32)
    a = np.nextafter(lo32, np.float32(np.inf))
    a = np.where(a.astype(float) <= lo, np.nextafter(a, np.float32(np.inf)), a).astype(float)
    hi32 = hi.astype(np.float32)
    b = np.where(hi32.astype(float) > hi, np.nextafter(hi32, np.float32(-np.inf)), hi32)
    return np.where(np.isinf(lo), -np.inf, a), np.where(np.isinf(hi), np.inf, b.astype(float))


class RegionSampler:
    """Draw queries near given anchor points, inside a given box, from a fitted density.

    Parameters
    ----------
    kinds : array of {"continuous", "integer", "categorical"}
        Per column, from :class:`ColumnCoder`.
    method : {"kde", "gmm", "mix"}
        ``"kde"``: a smoothed bootstrap around points of the region, with the
        covariance of their mixture component times ``bandwidth**2``.
        ``"gmm"``: draws from the mixture components the region's points belong to.
        ``"mix"``: a uniform random point of the segment between two points of the
        region (no density is fitted).
    n_components : int
        Mixture components (fewer when the data are few).
    bandwidth : float
    random_state : np.random.Generator
    """

    def __init__(self, kinds, *, method="kde", n_components=3, bandwidth=0.5, rng=None):
        self.kinds = np.asarray(kinds)
        self.method = method
        self.n_components = n_components
        self.bandwidth = bandwidth
        self.rng = rng if rng is not None else np.random.default_rng()

    def fit(self, Z: np.ndarray) -> RegionSampler:
        from sklearn.mixture import GaussianMixture

        self.numeric_ = np.flatnonzero(self.kinds != CATEGORICAL)
        self.integer_ = np.flatnonzero(self.kinds == INTEGER)
        self.categorical_ = np.flatnonzero(self.kinds == CATEGORICAL)
        self.low_, self.high_ = Z.min(axis=0), Z.max(axis=0)
        if len(self.numeric_) == 0 or self.method == "mix":
            self.gmm_ = None  # mixing anchors needs no density
            return self
        numeric = Z[:, self.numeric_]
        self.mean_ = numeric.mean(axis=0)
        self.scale_ = numeric.std(axis=0)
        self.scale_[self.scale_ == 0] = 1.0
        standardized = (numeric - self.mean_) / self.scale_
        d = standardized.shape[1]
        # A full covariance needs a few rows per parameter; otherwise one component.
        k = int(max(1, min(self.n_components, len(Z) // max(2 * d, 10))))
        self.gmm_ = GaussianMixture(n_components=k, covariance_type="full", reg_covar=1e-3,
                                    random_state=int(self.rng.integers(2**31 - 1))).fit(
            standardized)
        self.chol_ = np.linalg.cholesky(self.gmm_.covariances_)
        return self

    def _standardize(self, Z):
        return (Z[:, self.numeric_] - self.mean_) / self.scale_

    def sample(self, anchors: np.ndarray, m: int, lo=None, hi=None, *, tries=4) -> np.ndarray:
        """``m`` queries drawn around the rows of ``anchors``, all inside ``lo < x <= hi``.

        ``lo``/``hi`` are the float32-safe closed bounds from :func:`inside_float32`
        (None: unbounded).
        """
        p = anchors.shape[1]
        lo = np.full(p, -np.inf) if lo is None else lo
        hi = np.full(p, np.inf) if hi is None else hi
        accepted, need = [], m
        for attempt in range(tries + 1):
            draw = self._draw(anchors, max(need, 8) * (2 if attempt else 1))
            if attempt == tries:
                draw = self._clip(draw, lo, hi)
            ok = np.all((draw >= lo) & (draw <= hi), axis=1)
            accepted.append(draw[ok][:need])
            need -= len(accepted[-1])
            if need <= 0:
                break
        out = np.concatenate(accepted)
        if len(out) < m:  # integer rounding left the box empty of lattice points
            out = np.concatenate([out, anchors[self.rng.integers(len(anchors), size=m - len(out))]])
        return out

    def _clip(self, Z, lo, hi):
        Z = np.clip(Z, lo, hi)
        if len(self.integer_):
            j = self.integer_
            Z[:, j] = np.clip(Z[:, j], np.ceil(lo[j]), np.floor(hi[j]))
        return Z

    def _draw(self, anchors: np.ndarray, m: int) -> np.ndarray:
        rng = self.rng
        picks = rng.integers(len(anchors), size=m)
        out = anchors[picks].copy()
        if self.method == "mix":
            # A point on the segment between two anchors: inside their (convex) region, and
            # on the data's own grid for columns like pixels, where noise would not be.
            other = anchors[rng.integers(len(anchors), size=m)]
            u = rng.random((m, 1))
            mixed = out + u * (other - out)
            out[:, self.numeric_] = mixed[:, self.numeric_]
            if len(self.integer_):
                out[:, self.integer_] = np.round(out[:, self.integer_])
        elif self.gmm_ is not None:
            base = self._standardize(anchors[picks])
            comp = self.gmm_.predict(base)
            eps = rng.standard_normal(base.shape)
            noise = np.einsum("nij,nj->ni", self.chol_[comp], eps)
            if self.method == "gmm":
                new = self.gmm_.means_[comp] + noise
            else:
                new = base + self.bandwidth * noise
            numeric = new * self.scale_ + self.mean_
            out[:, self.numeric_] = np.clip(numeric, self.low_[self.numeric_],
                                            self.high_[self.numeric_])
            if len(self.integer_):
                out[:, self.integer_] = np.round(out[:, self.integer_])
        # Categorical columns: drawn independently from their frequencies among the anchors.
        for j in self.categorical_:
            out[:, j] = anchors[rng.integers(len(anchors), size=m), j]
        return out
