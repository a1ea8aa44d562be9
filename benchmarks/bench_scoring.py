"""RiskScoreClassifier against the anchors of issue 4 (RiskSLIM score cards solved with SCIP).

Usage::

    GLASSBOX_DATA=/work/shared/data python benchmarks/bench_scoring.py            # full
    GLASSBOX_DATA=/work/shared/data python benchmarks/bench_scoring.py --quick    # shorter limits
    ... --datasets breastcancer mammo --time-limit 300 --cv-time-limit 60

Prints one table: measure, anchor, ours, goal met?. Defaults follow the issue: 5
features, points in [-5, 5], c0 = 1e-6. FasterRisk is not run here (the fasterrisk
package pins numpy < 2 and pandas < 2): its anchor numbers from the issue are shown.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from glassbox.scoring import RiskScoreClassifier

# issue 4: certified optimum (None when the prototype did not certify), FasterRisk's
# objective with multiplier 1, and the time goal for certification (seconds)
ANCHORS = {
    "breastcancer": {"optimum": 0.1133646, "fasterrisk": 0.1952, "certify_within": 10.0},
    "mammo": {"optimum": 0.4685592, "fasterrisk": 0.46858, "certify_within": 60.0},
    "adult": {"optimum": None, "prototype": 0.38334, "prototype_gap": 0.108,
              "fasterrisk": 0.38405, "gap_goal": 0.05},
}
TIME_LIMITS = {"breastcancer": 60, "mammo": 120, "adult": 300}
QUICK_TIME_LIMITS = {"breastcancer": 30, "mammo": 60, "adult": 120}


def load(name: str) -> tuple[pd.DataFrame, np.ndarray]:
    """The RiskSLIM CSV (label in the first column) from GLASSBOX_DATA."""
    home = os.environ.get("GLASSBOX_DATA")
    if not home:
        sys.exit("set GLASSBOX_DATA to the shared data folder (it holds riskslim/*.csv)")
    frame = pd.read_csv(Path(home) / "riskslim" / f"{name}_data.csv")
    return frame.iloc[:, 1:], frame.iloc[:, 0].to_numpy()


def folds(name: str, X, y, n_folds: int = 5):
    """The data set's own CV indices when shipped (breastcancer), else stratified folds."""
    home = Path(os.environ["GLASSBOX_DATA"]) / "riskslim" / f"{name}_cvindices.csv"
    if home.is_file():
        fold_of = pd.read_csv(home, header=None).iloc[:, 0].to_numpy()
        for k in np.unique(fold_of):
            yield np.flatnonzero(fold_of != k), np.flatnonzero(fold_of == k)
        return
    yield from StratifiedKFold(n_folds, shuffle=True, random_state=0).split(X, y)


def run(name: str, time_limit: float, cv_time_limit: float, cv: bool) -> list[list]:
    X, y = load(name)
    anchor = ANCHORS[name]
    start = time.perf_counter()
    card = RiskScoreClassifier(time_limit=time_limit, random_state=0).fit(X, y)
    seconds = time.perf_counter() - start
    cert = card.certificate_
    rows = []
    if anchor.get("optimum") is not None:
        rows.append([f"{name}: objective", f"{anchor['optimum']:.7f} (certified)",
                     f"{cert.objective:.7f} ({cert.status})",
                     cert.objective <= anchor["optimum"] + 1e-6])
        rows.append([f"{name}: seconds to certify", f"<= {anchor['certify_within']:.0f} (goal)",
                     f"{seconds:.1f}", cert.status == "optimal"
                     and seconds <= anchor["certify_within"]])
    else:
        rows.append([f"{name}: objective at {time_limit:.0f} s",
                     f"{anchor['prototype']:.5f} (prototype, gap {anchor['prototype_gap']:.1%})",
                     f"{cert.objective:.5f}", cert.objective <= anchor["prototype"] + 1e-5])
        rows.append([f"{name}: gap at {time_limit:.0f} s", f"<= {anchor['gap_goal']:.0%} (goal)",
                     f"{cert.gap:.1%}", cert.gap <= anchor["gap_goal"]])
    rows.append([f"{name}: loss vs FasterRisk (m=1)", f"{anchor['fasterrisk']:.5f} (anchor)",
                 f"{cert.objective:.5f}", cert.objective <= anchor["fasterrisk"] + 1e-6])
    if cv:
        aucs = []
        for train, test in folds(name, X, y):
            fold = RiskScoreClassifier(time_limit=cv_time_limit, random_state=0)
            fold.fit(X.iloc[train], y[train])
            aucs.append(roc_auc_score(y[test], fold.decision_function(X.iloc[test])))
        rows.append([f"{name}: 5-fold test AUC", "FasterRisk +- 0.01 (no number in issue)",
                     f"{np.mean(aucs):.4f} +- {np.std(aucs):.4f}", "n/a"])
    print(f"# {name}: {card.certificate_}", flush=True)
    return rows


def print_table(rows: list[list]) -> None:
    header = ["measure", "anchor", "ours", "goal met?"]
    cells = [header] + [[str(c) if not isinstance(c, bool) else ("yes" if c else "NO")
                         for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for k, row in enumerate(cells):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)))
        if k == 0:
            print("  ".join("-" * w for w in widths))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="shorter time limits (adult 120 s) and no cross-validation")
    parser.add_argument("--datasets", nargs="+", default=list(ANCHORS), choices=list(ANCHORS))
    parser.add_argument("--time-limit", type=float, default=None,
                        help="seconds per full fit (default: 60 / 120 / 300 by data set)")
    parser.add_argument("--cv-time-limit", type=float, default=30.0,
                        help="seconds per cross-validation fit")
    parser.add_argument("--no-cv", action="store_true", help="skip the 5-fold AUC")
    args = parser.parse_args(argv)
    limits = QUICK_TIME_LIMITS if args.quick else TIME_LIMITS
    rows = []
    for name in args.datasets:
        limit = args.time_limit or limits[name]
        rows += run(name, limit, args.cv_time_limit, cv=not (args.quick or args.no_cv))
    print_table(rows)
    print("(timings depend on the machine's load; rerun on an idle machine to compare)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
