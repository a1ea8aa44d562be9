"""``glassbox demo``: the main job end to end on a bundled data set.

It compares a gradient-boosting black box with every glassbox learner under
cross-validation (``glassbox compare``), then prints the interpretable models
fitted on all the data, each with its certificate, and how one row is explained.
The default data set is MONK-1's training set: a problem with a short exact
rule, where certified-optimal sparse models match it and the black box does not.
"""

from __future__ import annotations

import os
import sys
import time

DEFAULT_DATASET = "monks-1"


def run_demo(dataset: str = DEFAULT_DATASET, *, fast: bool | None = None, cv: int = 5,
             time_limit: float | None = None, n_jobs: int | None = None,
             report: str | None = None) -> int:
    """Run the demo and print its results; returns the exit status.

    Parameters
    ----------
    dataset : str
        A name from ``glassbox datasets`` that needs no download.
    fast : bool, optional
        Small budgets (the default when the environment sets ``GLASSBOX_FAST``).
    cv : int
        Cross-validation folds.
    time_limit : float, optional
        Seconds per fit for the optimizers (default 10, or 2 when fast).
    n_jobs : int, optional
        Parallel fits (default: every core).
    report : str, optional
        Also write the HTML report to this path.
    """
    from glassbox.comparison import compare
    from glassbox.datasets import load_dataset

    if fast is None:
        fast = bool(os.environ.get("GLASSBOX_FAST"))
    if time_limit is None:
        time_limit = 2.0 if fast else 10.0
    started = time.perf_counter()
    data = load_dataset(dataset)
    X, y = data.data, data.target
    print(f"glassbox demo: {dataset}: {X.shape[0]} rows, {X.shape[1]} columns "
          f"({', '.join(map(str, X.columns[:6]))}{', ...' if X.shape[1] > 6 else ''})")
    print(f"Comparing a gradient-boosting black box with glassbox's interpretable learners "
          f"({cv}-fold cross-validation, {time_limit:g} s per fit) ...\n", flush=True)
    result = compare(X, y, cv=cv, time_limit=time_limit, n_jobs=-1 if n_jobs is None else n_jobs,
                     random_state=0, verbose=0)
    print(result)
    for label, model in result.models.items():
        if model is None or not hasattr(model, "to_text"):
            continue
        print(f"\n=== {label}, fitted on all {len(X)} rows ===")
        print(model.to_text())  # the text ends with the model's certificate
        print(f"why row 0 is predicted {model.predict(X.iloc[:1])[0]}: "
              f"{model.explain(X.iloc[:1]).texts[0]}")
    if report:
        result.to_html(report)
        print(f"\nHTML report written to {report}")
    print(f"\ndemo finished in {time.perf_counter() - started:.1f} s")
    sys.stdout.flush()
    return 0
