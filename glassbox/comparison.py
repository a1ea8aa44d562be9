"""Every glassbox learner against a black box, on one table.

:func:`compare` answers the question a user brings to glassbox: *how much
accuracy, if any, does an interpretable model cost on my data?* It
cross-validates a gradient-boosting baseline and each available glassbox
learner with the same folds, in parallel (joblib), and reports accuracy, AUC,
calibration (Brier score), model size, fit time and the certificate of each
model fitted on all the data; then, when :mod:`glassbox.rashomon` is
installed, how many near-optimal sparse trees exist (the Rashomon set), and a
one-sentence verdict.

``glassbox compare DATA.csv --target COL`` is the same on the command line,
with ``--report report.html`` for an HTML report.
"""

from __future__ import annotations

import base64
import html
import importlib
import io
import math
import sys
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone

from glassbox._base import check_table, check_target

__all__ = ["compare", "CompareResult", "default_models", "BLACK_BOX"]

#: Label of the gradient-boosting baseline in the result table.
BLACK_BOX = "gradient boosting"

#: Glassbox learners that :func:`compare` fits by default, in table order.
DEFAULT_LEARNERS = ("RuleListClassifier", "RiskScoreClassifier", "SparseTreeClassifier")

#: What one row of each learner's ``to_frame()`` is, for the size column.
SIZE_UNITS = {"RuleListClassifier": "rules", "RiskScoreClassifier": "items",
              "SparseTreeClassifier": "leaves"}

DEFAULT_TIME_LIMIT = 5.0
TABLE_COLUMNS = ["model", "kind", "accuracy", "accuracy_std", "auc", "brier", "size", "size_unit",
                 "fit_seconds", "certificate", "gap", "error"]


# ---------------------------------------------------------------------------
# The models
# ---------------------------------------------------------------------------

def _black_box(X: pd.DataFrame, random_state) -> BaseEstimator:
    """Histogram gradient boosting; text columns become native categorical splits."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OrdinalEncoder

    text_columns = _text_columns(X)
    if not text_columns:
        return HistGradientBoostingClassifier(random_state=random_state)
    encoder = ColumnTransformer(
        [("levels", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
          text_columns)],
        remainder="passthrough", verbose_feature_names_out=False)
    booster = HistGradientBoostingClassifier(
        categorical_features=list(range(len(text_columns))), random_state=random_state)
    return make_pipeline(encoder, booster)


def _text_columns(X: pd.DataFrame) -> list:
    return [c for c in X.columns if X[c].dtype.kind not in "biuf"]


def _with_budget(estimator: BaseEstimator, time_limit: float | None, random_state,
                 X: pd.DataFrame | None = None):
    """Give a learner the per-fit time budget, silence it and seed it, where it has those.

    A learner that reads numbers as they are by default (a score card's
    ``numeric="integer"``) is told to binarize when the table has text columns.
    """
    params = estimator.get_params(deep=False)
    wanted = {"time_limit": time_limit, "verbose": 0, "random_state": random_state}
    if X is not None and params.get("numeric") == "integer" and _text_columns(X):
        wanted["numeric"] = "binarize"
    return estimator.set_params(**{k: v for k, v in wanted.items()
                                   if k in params and v is not None})


def default_models(X, *, time_limit=DEFAULT_TIME_LIMIT, random_state=0):
    """The models :func:`compare` fits when ``models`` is None.

    Returns
    -------
    models : dict
        Label -> unfitted estimator: the gradient-boosting baseline first, then
        every glassbox learner of :data:`DEFAULT_LEARNERS` that can be imported.
    notes : list of str
        One line per learner left out, and why (extra not installed, module
        not available).
    """
    import glassbox
    from glassbox._deps import extra_available

    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
    models = {BLACK_BOX: _black_box(frame, random_state)}
    notes = []
    for name in DEFAULT_LEARNERS:
        module, extra = glassbox._ESTIMATORS[name]
        if extra is not None and not extra_available(extra):
            notes.append(f"{name} skipped: it needs the optional extra {extra!r} "
                         f'(pip install "glassbox[{extra}]").')
            continue
        try:
            cls = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError) as exc:
            notes.append(f"{name} skipped: {module} is not available ({exc}).")
            continue
        models[name] = _with_budget(cls(), time_limit, random_state, frame)
    return models, notes


def _resolve_models(models, X, time_limit, random_state):
    if models is None:
        return default_models(X, time_limit=time_limit, random_state=random_state)
    if isinstance(models, dict):
        if not models:
            raise ValueError("models is an empty dict; give at least one estimator.")
        return dict(models), []
    if isinstance(models, str):
        models = [models]
    import glassbox

    chosen, notes = {}, []
    everything, skipped = default_models(X, time_limit=time_limit, random_state=random_state)
    known = set(glassbox._ESTIMATORS) | {"black_box", BLACK_BOX}
    for name in models:
        if name not in known:
            raise ValueError(f"unknown model {name!r}; choose from 'black_box' and "
                             f"{', '.join(DEFAULT_LEARNERS)}.")
        key = BLACK_BOX if name == "black_box" else name
        if key in everything:
            chosen[key] = everything[key]
        elif key in glassbox._ESTIMATORS and key not in DEFAULT_LEARNERS:
            cls = getattr(importlib.import_module(glassbox._ESTIMATORS[key][0]), key)
            chosen[key] = _with_budget(cls(), time_limit, random_state, X)
        else:
            notes += [n for n in skipped if n.startswith(key)]
    if not chosen:
        raise ValueError("none of the requested models is available: " + " ".join(notes))
    return chosen, notes


# ---------------------------------------------------------------------------
# One fit
# ---------------------------------------------------------------------------

def model_size(model) -> tuple[int | None, str]:
    """Size of a fitted model and its unit (rules, items, leaves, trees, coefficients).

    A ``model_size_`` attribute wins; a glassbox model counts the rows of its
    table (``to_frame()``); scikit-learn models count boosting trees, tree leaves
    or nonzero coefficients. ``(None, "")`` when none of those applies.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier

    name = type(model).__name__
    size = getattr(model, "model_size_", None)
    if size is not None:
        return int(size), SIZE_UNITS.get(name, "units")
    if hasattr(model, "to_frame") and hasattr(model, "rendering"):
        return len(model.to_frame()), SIZE_UNITS.get(name, "rows")
    final = model[-1] if hasattr(model, "steps") else model
    if isinstance(final, HistGradientBoostingClassifier):
        per_round = 1 if len(final.classes_) <= 2 else len(final.classes_)
        return int(final.n_iter_) * per_round, "trees"
    if hasattr(final, "get_n_leaves"):
        return int(final.get_n_leaves()), "leaves"
    if hasattr(final, "coef_"):
        return int(np.count_nonzero(final.coef_)), "coefficients"
    return None, ""


def _fit_one(label, estimator, X, y, train, test, fold, positive):
    """Fit a clone on ``train``, score it on ``test`` (all data, no scores, when test is None)."""
    from threadpoolctl import threadpool_limits

    record = {"model": label, "fold": fold, "error": ""}
    model = clone(estimator)
    start = time.perf_counter()
    try:
        # one thread per fit: the parallelism is across fits, and OpenMP threads
        # spinning against each other (gradient boosting) cost more than they give
        with warnings.catch_warnings(), threadpool_limits(1):
            warnings.simplefilter("ignore")
            model.fit(X.iloc[train], y[train])
            record["fit_seconds"] = time.perf_counter() - start
            if test is not None:
                record.update(_scores(model, X.iloc[test], y[test], positive))
        certificate = getattr(model, "certificate_", None)
        record["certificate"] = certificate.status if certificate is not None else ""
        record["gap"] = certificate.gap if certificate is not None else math.nan
        record["size"], record["size_unit"] = model_size(model)
    except Exception as exc:  # one learner failing must not sink the comparison
        record["fit_seconds"] = time.perf_counter() - start
        record["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        model = None
    return record, (model if test is None else None)


def _scores(model, X, y, positive) -> dict:
    from sklearn.metrics import brier_score_loss, roc_auc_score

    truth = y == positive
    proba = model.predict_proba(X)
    p = proba[:, list(model.classes_).index(positive)]
    return {"accuracy": float(np.mean(model.predict(X) == y)),
            "auc": roc_auc_score(truth, p) if 0 < truth.sum() < len(truth) else math.nan,
            "brier": brier_score_loss(truth, p)}


# ---------------------------------------------------------------------------
# The result
# ---------------------------------------------------------------------------

@dataclass
class CompareResult:
    """What :func:`compare` found.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per model: cross-validated ``accuracy`` (mean, and
        ``accuracy_std`` over folds), ``auc``, ``brier`` (lower is better
        calibrated), ``size`` with its ``size_unit``, ``fit_seconds`` (mean per
        fold), the ``certificate`` status and ``gap`` of the model fitted on all
        the data, and an ``error`` when a fit failed.
    folds : pandas.DataFrame
        The per-fold scores behind the table.
    models : dict
        Label -> the model fitted on all the data (None when its fit failed).
    verdict : str
        The best glassbox model's accuracy against the black box's, in words.
    rashomon : dict or None
        Rashomon set of sparse trees: ``size``, ``ratio`` (of the set to all
        trees of that ``depth``), ``epsilon`` (additive slack on the
        objective) and ``note``; None when :mod:`glassbox.rashomon` is not
        available or the comparison has no sparse tree.
    notes : list of str
        Models left out and why.
    n_samples, n_features, cv : int
    seconds : float
        Wall-clock time of the whole comparison.
    """

    table: pd.DataFrame
    folds: pd.DataFrame
    models: dict
    verdict: str
    rashomon: dict | None = None
    notes: list = field(default_factory=list)
    n_samples: int = 0
    n_features: int = 0
    cv: int = 5
    seconds: float = 0.0

    def to_frame(self) -> pd.DataFrame:
        """The comparison table (a copy)."""
        return self.table.copy()

    def _display_table(self) -> pd.DataFrame:
        shown = self.table.copy()
        shown["size"] = [_count(s, u) if pd.notna(s) else "" for s, u in
                         zip(shown["size"], shown["size_unit"])]
        shown["certificate"] = [
            c if not c or c in ("optimal", "heuristic") or not np.isfinite(g)
            else f"{c} (gap {g:.1%})"
            for c, g in zip(shown["certificate"], shown["gap"])]
        shown = shown.drop(columns=["size_unit", "gap"])
        if not shown["error"].astype(bool).any():
            shown = shown.drop(columns=["error"])
        return shown

    def _rashomon_lines(self) -> list[str]:
        if self.rashomon is None:
            return []
        r = self.rashomon
        if r.get("size") is None:
            return [f"Rashomon set of sparse trees: {r.get('note', 'not computed')}"]
        ratio = r.get("ratio")
        ratio_text = f", Rashomon ratio {ratio:.3g}" if ratio is not None else ""
        return [f"Rashomon set of sparse trees (objective within {r['epsilon']:g} of the "
                f"best): {r['size']:,} trees{ratio_text}. {r.get('note', '')}".rstrip()]

    def __str__(self) -> str:
        lines = [f"glassbox compare: {self.n_samples} rows, {self.n_features} features, "
                 f"{self.cv}-fold cross-validation ({self.seconds:.1f} s)", ""]
        lines += self._display_table().to_string(
            index=False, float_format=lambda v: f"{v:.3f}").splitlines()
        lines += [""] + self._rashomon_lines()
        lines += ["Verdict: " + self.verdict]
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return self._html_body(plots=False)

    def _plots(self) -> list[str]:
        """Base64 PNG plots (accuracy with fold spread; accuracy against size)."""
        from glassbox._deps import module_available

        if not module_available("matplotlib"):
            return []
        from matplotlib.figure import Figure  # no pyplot: leaves the user's backend alone

        table = self.table[(self.table["error"] == "") & self.table["accuracy"].notna()]
        if table.empty:
            return []
        images = []
        fig = Figure(figsize=(6, 0.5 + 0.45 * len(table)))
        ax = fig.add_subplot()
        ax.barh(table["model"], table["accuracy"], xerr=table["accuracy_std"], color="#6a9fd4")
        ax.set_xlabel(f"{self.cv}-fold cross-validated accuracy")
        low = max(0.0, float(np.nanmin(table["accuracy"] - table["accuracy_std"])) - 0.05)
        ax.set_xlim(low, 1.0)
        ax.invert_yaxis()
        fig.tight_layout()
        images.append(_png(fig))
        sized = table[table["size"].notna() & (table["kind"] == "glassbox")]
        if len(sized):
            fig = Figure(figsize=(6, 3.5))
            ax = fig.add_subplot()
            ax.scatter(sized["size"].astype(float), sized["accuracy"], color="#d46a6a")
            for _, row in sized.iterrows():
                ax.annotate(row["model"], (float(row["size"]), row["accuracy"]), fontsize=8)
            black = table[table["kind"] != "glassbox"].sort_values("accuracy", ascending=False)
            if len(black):
                ax.axhline(float(black["accuracy"].iloc[0]), ls="--", color="gray",
                           label="black box")
                ax.legend(loc="lower right")
            ax.set_xlabel("model size (rules / items / leaves)")
            ax.set_ylabel("accuracy")
            fig.tight_layout()
            images.append(_png(fig))
        return images

    def _html_body(self, plots: bool) -> str:
        esc = html.escape
        parts = [f"<h1>glassbox compare</h1><p>{self.n_samples} rows, {self.n_features} "
                 f"features, {self.cv}-fold cross-validation, {self.seconds:.1f} s.</p>",
                 f"<p><strong>Verdict:</strong> {esc(self.verdict)}</p>",
                 self._display_table().to_html(index=False, float_format=lambda v: f"{v:.3f}",
                                               na_rep="")]
        parts += [f"<p>{esc(line)}</p>" for line in self._rashomon_lines()]
        parts += [f"<p><em>Note: {esc(n)}</em></p>" for n in self.notes]
        if plots:
            parts += [f"<img alt='comparison plot' src='data:image/png;base64,{img}'/>"
                      for img in self._plots()]
        parts.append("<h2>The models, fitted on all the data</h2>")
        for label, model in self.models.items():
            parts.append(f"<h3>{esc(label)}</h3><pre>{esc(_model_text(model))}</pre>")
        return "\n".join(parts)

    def to_html(self, path=None) -> str | None:
        """An HTML report: verdict, table, plots (with matplotlib) and each model as text.

        Writes it to ``path`` when given, else returns the HTML text.
        """
        page = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>glassbox compare"
                "</title><style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
                "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em}"
                "pre{background:#f6f6f6;padding:1em;overflow-x:auto}</style></head><body>"
                + self._html_body(plots=True) + "</body></html>")
        if path is None:
            return page
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(page)
        return None


def _count(n, unit: str) -> str:
    """``"3 rules"``, ``"1 rule"``."""
    n = int(n)
    if n == 1:
        unit = "leaf" if unit == "leaves" else unit.removesuffix("s")
    return f"{n} {unit}".rstrip()


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _model_text(model) -> str:
    if model is None:
        return "(the fit on all the data failed)"
    if hasattr(model, "to_text"):
        return model.to_text()
    size, unit = model_size(model)
    return f"{model!r}\n({size} {unit}: not readable as text; that is why it is a black box)"


# ---------------------------------------------------------------------------
# Summaries
# ---------------------------------------------------------------------------

def _is_glassbox(estimator) -> bool:
    from glassbox._base import GlassboxMixin

    return isinstance(estimator, GlassboxMixin)


def _summarize(folds: pd.DataFrame, full: pd.DataFrame, candidates: dict) -> pd.DataFrame:
    rows = []
    for label, estimator in candidates.items():
        scored = folds[(folds["model"] == label) & (folds["error"] == "")]
        failed = folds[(folds["model"] == label) & (folds["error"] != "")]
        final = full[full["model"] == label].iloc[0]
        error = final["error"] or (failed["error"].iloc[0] if len(failed) else "")
        rows.append({
            "model": label,
            "kind": "glassbox" if _is_glassbox(estimator) else "black box",
            "accuracy": scored["accuracy"].mean() if len(scored) else math.nan,
            "accuracy_std": scored["accuracy"].std(ddof=0) if len(scored) else math.nan,
            "auc": scored["auc"].mean() if len(scored) else math.nan,
            "brier": scored["brier"].mean() if len(scored) else math.nan,
            "size": final.get("size") if not final["error"] else None,
            "size_unit": final.get("size_unit", "") or "",
            "fit_seconds": scored["fit_seconds"].mean() if len(scored) else math.nan,
            "certificate": final.get("certificate", "") if not final["error"] else "",
            "gap": final.get("gap", math.nan),
            "error": error,
        })
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    table["certificate"] = table["certificate"].fillna("")
    table["size_unit"] = table["size_unit"].fillna("")
    return table


def _verdict(table: pd.DataFrame, folds: pd.DataFrame, cv: int) -> str:
    ok = table[(table["error"] == "") & table["accuracy"].notna()]
    black = ok[ok["kind"] != "glassbox"].sort_values("accuracy", ascending=False)
    glass = ok[ok["kind"] == "glassbox"]
    if glass.empty:
        return "No glassbox model could be fitted; see the error column."
    best = glass.sort_values(["accuracy", "size"], ascending=[False, True]).iloc[0]
    size = f", {_count(best['size'], best['size_unit'])}" if pd.notna(best["size"]) else ""
    if black.empty:
        return (f"The best glassbox model is {best['model']}{size} with accuracy "
                f"{best['accuracy']:.3f} (no black box to compare with).")
    bb = black.iloc[0]
    # paired per-fold differences: the folds are shared, so their spread is the noise
    diffs = (folds[folds["model"] == bb["model"]].set_index("fold")["accuracy"]
             - folds[folds["model"] == best["model"]].set_index("fold")["accuracy"]).dropna()
    gap = float(bb["accuracy"] - best["accuracy"])
    noise = float(diffs.std(ddof=1) / math.sqrt(len(diffs))) if len(diffs) > 1 else math.nan
    head = (f"{best['model']}{size} reaches accuracy {best['accuracy']:.3f} against "
            f"{bb['accuracy']:.3f} for the black box {bb['model']!r} ({cv}-fold CV)")
    if gap <= 0:
        return head + ": the interpretable model is at least as accurate."
    within = f"a glassbox model is within {100 * gap:.1f} points of accuracy of the black box"
    if np.isfinite(noise) and gap <= 2 * noise:
        return (f"{head}: {within}, which is inside cross-validation noise "
                f"(2 standard errors = {100 * 2 * noise:.1f} points).")
    stopped = glass[~glass["certificate"].isin(["optimal", "heuristic", ""])]
    if not stopped.empty:
        return (f"{head}: {within}. {', '.join(stopped['model'])} stopped at the time limit "
                "before proving optimality; a larger time_limit may narrow the gap.")
    return f"{head}: {within}."


#: Additive slack on the regularized objective for the Rashomon set of sparse trees.
RASHOMON_EPSILON = 0.05
#: Tree depth of the Rashomon count when the comparison's tree has no max_depth.
RASHOMON_DEPTH = 3


def _rashomon_ratio(tree, X, y, epsilon):
    from threadpoolctl import threadpool_limits

    from glassbox.rashomon import rashomon_ratio

    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore")
        return rashomon_ratio(tree, X, y, epsilon=epsilon, patterns=False)


def _rashomon_summary(tree, X, y, seconds) -> dict | None:
    """Size and ratio of the Rashomon set of sparse trees, when glassbox.rashomon exists.

    The count is exact (dynamic programming over the trees of depth
    ``tree.max_depth``, or :data:`RASHOMON_DEPTH` when unset); it runs in a
    worker process that is stopped after ``seconds``.
    """
    from joblib import Parallel, delayed

    from glassbox._deps import module_available

    if not module_available("glassbox.rashomon"):
        return None
    depth = tree.get_params().get("max_depth") or RASHOMON_DEPTH
    tree = clone(tree).set_params(max_depth=depth)
    summary = {"size": None, "ratio": None, "epsilon": RASHOMON_EPSILON, "depth": depth}
    try:
        ratio = Parallel(n_jobs=2, backend="loky", timeout=seconds)(
            [delayed(_rashomon_ratio)(tree, X, y, RASHOMON_EPSILON)])[0]
    except Exception as exc:  # the comparison stands without it
        reason = (f"stopped after {seconds:g} s" if isinstance(exc, TimeoutError)
                  else f"{type(exc).__name__}: {exc}")
        return {**summary, "note": f"not computed ({reason})."}
    return {**summary, "size": int(ratio.set_size), "ratio": float(ratio.ratio),
            "note": f"Trees of depth <= {depth}. A large set (or ratio) suggests that simple, "
                    "accurate models are plentiful on this problem (Semenova, Rudin and "
                    "Parr, 2022)."}


# ---------------------------------------------------------------------------
# compare
# ---------------------------------------------------------------------------

def _validated(X, y):
    holder = type("compare", (BaseEstimator,), {})()  # names itself in error messages
    frame = check_table(X, holder, reset=True)
    classes, _ = check_target(y, holder, len(frame), binary_only=True)
    return frame, np.asarray(y).ravel(), classes


def compare(X, y, *, models=None, cv=5, time_limit=DEFAULT_TIME_LIMIT, n_jobs=None,
            random_state=0, verbose=0, rashomon=True) -> CompareResult:
    """Cross-validate a black box and every glassbox learner on the same folds.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_samples, n_features)
        Any column types the learners accept (numbers, booleans, text).
    y : array-like of shape (n_samples,)
        Binary labels.
    models : None, list of str or dict, default=None
        None: the gradient-boosting baseline and every available learner of
        :data:`DEFAULT_LEARNERS`. A list picks among them by name
        (``"black_box"``, ``"RuleListClassifier"``, ...). A dict maps labels to
        unfitted estimators of your own.
    cv : int, default=5
        Number of stratified folds (shuffled with ``random_state``).
    time_limit : float or None, default=10.0
        Seconds per fit, given to each learner that has a ``time_limit``
        parameter. A fit stopped by it reports ``time_limit`` in the
        certificate column instead of ``optimal``.
    n_jobs : int or None, default=None
        Fits run in parallel with joblib; None means 1 unless inside a
        :func:`joblib.parallel_config` context (which also selects a Dask or
        Ray backend), -1 means all cores.
    random_state : int, default=0
        Seeds the folds and the learners.
    verbose : int, default=0
        1 prints a progress line per finished fit to stderr.
    rashomon : bool, default=True
        Also estimate the Rashomon set of sparse trees when
        :mod:`glassbox.rashomon` is installed.

    Returns
    -------
    result : CompareResult
        ``print(result)`` shows the table and the verdict; ``result.to_html(path)``
        writes a report.

    Examples
    --------
    >>> from glassbox import compare
    >>> from glassbox.datasets import make_tictactoe
    >>> data = make_tictactoe()
    >>> result = compare(data.data, data.target, cv=3, time_limit=5)  # doctest: +SKIP
    >>> print(result)  # doctest: +SKIP
    """
    from joblib import Parallel, delayed
    from sklearn.model_selection import StratifiedKFold

    started = time.perf_counter()
    if not isinstance(cv, (int, np.integer)) or isinstance(cv, bool) or cv < 2:
        raise ValueError(f"cv must be an integer >= 2 (number of folds), got {cv!r}.")
    if time_limit is not None and not time_limit > 0:
        raise ValueError(f"time_limit must be a positive number of seconds or None, "
                         f"got {time_limit!r}.")
    X, y, classes = _validated(X, y)
    smallest = int(pd.Series(y).value_counts().min())
    if smallest < cv:
        raise ValueError(f"cv={cv} folds need at least {cv} rows of each class; the smallest "
                         f"class has {smallest}.")
    candidates, notes = _resolve_models(models, X, time_limit, random_state)
    positive = classes[1]
    splits = list(StratifiedKFold(cv, shuffle=True, random_state=random_state).split(X, y))
    everything = np.arange(len(X))
    tasks = [(label, est, train, test, fold) for label, est in candidates.items()
             for fold, (train, test) in enumerate(splits)]
    tasks += [(label, est, everything, None, None) for label, est in candidates.items()]

    records, fitted = [], {}
    calls = [delayed(_fit_one)(label, est, X, y, train, test, fold, positive)
             for label, est, train, test, fold in tasks]
    try:  # results as they finish, for the progress lines
        jobs = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(calls)
    except ValueError:  # backends without result generators (Ray, multiprocessing)
        jobs = Parallel(n_jobs=n_jobs)(calls)
    for done, (record, model) in enumerate(jobs, start=1):
        records.append(record)
        if record["fold"] is None:
            fitted[record["model"]] = model
        if verbose:
            _report_progress(record, done, len(tasks), cv, started)

    frame = pd.DataFrame(records)
    folds = frame[frame["fold"].notna()].astype({"fold": int}).sort_values(["model", "fold"])
    table = _summarize(folds, frame[frame["fold"].isna()], candidates)
    summary = None
    tree = candidates.get("SparseTreeClassifier")
    if rashomon and tree is not None:
        seconds = max(30.0, 3 * (time_limit or 10.0))
        if verbose:
            print(f"[compare] counting the Rashomon set of sparse trees (at most {seconds:g} s)"
                  " ...", file=sys.stderr, flush=True)
        summary = _rashomon_summary(tree, X, y, seconds)
    return CompareResult(table=table, folds=folds.reset_index(drop=True),
                         models={label: fitted.get(label) for label in candidates},
                         verdict=_verdict(table, folds, cv), rashomon=summary, notes=notes,
                         n_samples=len(X), n_features=X.shape[1], cv=cv,
                         seconds=time.perf_counter() - started)


def _report_progress(record, done, total, cv, started):
    where = "all data" if record["fold"] is None else f"fold {record['fold'] + 1}/{cv}"
    if record["error"]:
        outcome = f"failed: {record['error']}"
    elif record["fold"] is None:
        outcome = f"{record.get('size')} {record.get('size_unit', '')}".strip()
    else:
        outcome = f"accuracy {record['accuracy']:.3f}"
    print(f"[compare] {done:>3}/{total} {time.perf_counter() - started:6.1f}s  "
          f"{record['model']} ({where}): {outcome} in {record['fit_seconds']:.1f} s",
          file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Command line: glassbox compare DATA.csv --target COL
# ---------------------------------------------------------------------------

def register(subparsers) -> None:
    """Add ``glassbox compare`` to the command line."""
    parser = subparsers.add_parser(
        "compare", help="every glassbox learner against a gradient-boosting black box",
        description="Cross-validate a gradient-boosting black box and every available "
                    "glassbox learner on a CSV file; print accuracy, AUC, calibration, model "
                    "size, fit time and certificates, and a verdict.")
    parser.add_argument("data", metavar="DATA.csv")
    parser.add_argument("--target", help="name of the label column (two classes)")
    parser.add_argument("--cv", type=int, default=5, help="number of folds (default 5)")
    parser.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT, metavar="S",
                        help=f"seconds per fit (default {DEFAULT_TIME_LIMIT:g})")
    parser.add_argument("--n-jobs", type=int, default=-1, metavar="N",
                        help="parallel fits (default -1: all cores)")
    parser.add_argument("--models", metavar="NAMES",
                        help="comma-separated subset: black_box," + ",".join(DEFAULT_LEARNERS))
    parser.add_argument("--seed", type=int, default=0, help="folds and learners seed")
    parser.add_argument("--report", metavar="REPORT.html", help="write an HTML report")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.set_defaults(func=run)


def run(args, extra) -> int:
    """Run ``glassbox compare`` from parsed arguments."""
    from glassbox.cli import UserError, read_table

    X, y = read_table(args.data, args.target)
    models = [m.strip() for m in args.models.split(",") if m.strip()] if args.models else None
    try:
        result = compare(X, y, models=models, cv=args.cv, time_limit=args.time_limit,
                         n_jobs=args.n_jobs, random_state=args.seed, verbose=not args.quiet)
    except ValueError as exc:
        raise UserError(str(exc).splitlines()[0]) from None
    print(result)
    if args.report:
        try:
            result.to_html(args.report)
        except OSError as exc:
            raise UserError(f"cannot write the report to {args.report}: {exc.strerror}") from None
        print(f"report written to {args.report}")
    return 0
