"""RiskScoreClassifier against the anchors of issue 4 (RiskSLIM score cards solved with SCIP).

Usage::

    GLASSBOX_DATA=/work/shared/data python benchmarks/bench_scoring.py            # full
    GLASSBOX_DATA=/work/shared/data python benchmarks/bench_scoring.py --quick    # shorter limits
    ... --datasets breastcancer mammo --time-limit 300 --cv-time-limit 60
    ... --fasterrisk-python /tmp/frvenv/bin/python   # measure FasterRisk too

Prints one table: measure, anchor, ours, goal met?. Defaults follow the issue: 5
features, points in [-5, 5], c0 = 1e-6.

FasterRisk (the ``fasterrisk`` package) pins numpy < 2 and pandas < 2, so it cannot live
in the project's environment. With ``--fasterrisk-python`` pointing at the Python of a
separate virtual environment that has it, :data:`FASTERRISK_SCRIPT` runs there as a
subprocess: it reads the data and the training folds from an ``.npz`` file and writes
back the integer cards it finds (JSON); every metric of both methods is computed here,
by the same code. Without it (or when it fails) the issue's anchor numbers are shown
and the table says "FasterRisk not run".

FasterRisk is run in our model class: sparsity ``k = 5``, coefficients in [-5, 5] and
the multiplier fixed to 1. Its star ray search tries ``num_ray_search`` multipliers
from ``linspace(1, m_max, num_ray_search)``, so ``num_ray_search=1`` tries only m = 1:
its cards are then plain integer scores, ``risk = 1 / (1 + exp(-score))``, as ours.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _reference import run_reference
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
CV_TIME_LIMITS = {"breastcancer": 60, "mammo": 60, "adult": 120}
AUC_TOLERANCE = 0.01
N_FOLDS = 5
FOLD_SEED = 0
K, COEF_BOUND, C0 = 5, 5, 1e-6

# Runs in FasterRisk's own environment (numpy < 2): reads X, y (+1/-1) and the training
# index sets, fits RiskScoreOptimizer on each and prints the best card per set as JSON.
FASTERRISK_SCRIPT = r"""
import json, sys, time
import numpy as np
from fasterrisk.fasterrisk import RiskScoreOptimizer

data = np.load(sys.argv[1])
X, y = data["X"], data["y"]
k, bound = int(data["k"]), float(data["bound"])
cards = []
for key in sorted((name for name in data.files if name.startswith("train_")),
                  key=lambda name: int(name.split("_")[1])):
    rows = data[key]
    start = time.process_time()
    # num_ray_search=1: the only multiplier tried is 1 (integer scores, as RiskSLIM)
    optimizer = RiskScoreOptimizer(X=X[rows], y=y[rows], k=k, lb=-bound, ub=bound,
                                   num_ray_search=1)
    optimizer.optimize()
    multiplier, intercept, coefficients = optimizer.get_models(0)
    cards.append({"multiplier": float(multiplier), "intercept": float(intercept),
                  "coefficients": [float(c) for c in coefficients],
                  "cpu_seconds": time.process_time() - start})
json.dump(cards, sys.stdout)
"""


def load(name: str) -> tuple[pd.DataFrame, np.ndarray]:
    """The RiskSLIM CSV (label in the first column) from GLASSBOX_DATA."""
    home = os.environ.get("GLASSBOX_DATA")
    if not home:
        sys.exit("set GLASSBOX_DATA to the shared data folder (it holds riskslim/*.csv)")
    frame = pd.read_csv(Path(home) / "riskslim" / f"{name}_data.csv")
    return frame.iloc[:, 1:], frame.iloc[:, 0].to_numpy()


def folds(X, y) -> list[tuple[np.ndarray, np.ndarray]]:
    """The same stratified folds (fixed seed) for both methods."""
    return list(StratifiedKFold(N_FOLDS, shuffle=True, random_state=FOLD_SEED).split(X, y))


def mean_loss(scores, y) -> float:
    """Mean logistic loss of integer scores (labels 0/1), multiplier 1."""
    signs = np.where(np.asarray(y) == 1, 1.0, -1.0)
    return float(np.mean(np.logaddexp(0.0, -signs * np.asarray(scores, dtype=float))))


def run_fasterrisk(python: str | None, X: pd.DataFrame, y, train_sets) -> tuple[list | None, str]:
    """FasterRisk's cards (dicts), one per training set, or None and the reason."""
    if not python:
        return None, "FasterRisk not run (no --fasterrisk-python)"
    cards, note = run_reference(
        python, FASTERRISK_SCRIPT, "FasterRisk",
        arrays={"X": X.to_numpy(dtype=float), "y": np.where(y == 1, 1.0, -1.0), "k": K,
                "bound": COEF_BOUND, **{f"train_{i}": rows for i, rows in enumerate(train_sets)}})
    if cards is not None and any(abs(card["multiplier"] - 1.0) > 1e-12 for card in cards):
        return None, "FasterRisk not run (it returned a multiplier other than 1)"
    return cards, note


def fasterrisk_scores(card: dict, X: pd.DataFrame) -> np.ndarray:
    return card["intercept"] + X.to_numpy(dtype=float) @ np.asarray(card["coefficients"])


def ours(time_limit: float) -> RiskScoreClassifier:
    return RiskScoreClassifier(max_features=K, coef_bounds=(-COEF_BOUND, COEF_BOUND), c0=C0,
                               time_limit=time_limit, random_state=0)


def run(name: str, time_limit: float, cv_time_limit: float, cv: bool,
        fasterrisk_python: str | None) -> list[list]:
    X, y = load(name)
    anchor = ANCHORS[name]
    splits = folds(X, y) if cv else []
    fr_cards, fr_note = run_fasterrisk(fasterrisk_python, X, y,
                                       [np.arange(len(y))] + [train for train, _ in splits])
    start = time.perf_counter()
    card = ours(time_limit).fit(X, y)
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
        rows.append([f"{name}: seconds, status (extra row)", "prototype: 300, time_limit",
                     f"{seconds:.1f}, {cert.status}", "-"])
    our_loss = mean_loss(card.decision_function(X), y)
    if fr_cards is None:
        fr_loss, fr_label = anchor["fasterrisk"], f"{anchor['fasterrisk']:.5f} (anchor; {fr_note})"
    else:
        fr_loss = mean_loss(fasterrisk_scores(fr_cards[0], X), y)
        fr_label = f"{fr_loss:.5f} (measured)"
    rows.append([f"{name}: loss vs FasterRisk (m=1)", fr_label, f"{our_loss:.5f}",
                 our_loss <= fr_loss + 1e-6])
    if cv:
        rows += cross_validate(name, X, y, splits, cv_time_limit, fr_cards, fr_note)
    print(f"# {name}: {card.certificate_}; decomposition: {card.decomposition_}", flush=True)
    return rows


def cross_validate(name, X, y, splits, time_limit, fr_cards, fr_note) -> list[list]:
    our_auc, our_loss, statuses = [], [], []
    for train, test in splits:
        fold = ours(time_limit).fit(X.iloc[train], y[train])
        our_auc.append(roc_auc_score(y[test], fold.decision_function(X.iloc[test])))
        our_loss.append(mean_loss(fold.decision_function(X.iloc[train]), y[train]))
        statuses.append(f"{fold.certificate_.status} gap {fold.certificate_.gap:.1%}")
    print(f"# {name} CV ({N_FOLDS} stratified folds, seed {FOLD_SEED}, {time_limit:.0f} s per "
          f"fold): ours {statuses}", flush=True)
    ours_text = f"{np.mean(our_auc):.4f} +- {np.std(our_auc):.4f}"
    if fr_cards is None:
        return [[f"{name}: {N_FOLDS}-fold test AUC", fr_note, ours_text, "n/a"]]
    fr_auc = [roc_auc_score(y[test], fasterrisk_scores(card, X.iloc[test]))
              for card, (_, test) in zip(fr_cards[1:], splits)]
    fr_loss = [mean_loss(fasterrisk_scores(card, X.iloc[train]), y[train])
               for card, (train, _) in zip(fr_cards[1:], splits)]
    difference = abs(np.mean(our_auc) - np.mean(fr_auc))
    return [
        [f"{name}: {N_FOLDS}-fold test AUC", f"{np.mean(fr_auc):.4f} +- {np.std(fr_auc):.4f} "
         "(FasterRisk, measured)", ours_text, difference <= AUC_TOLERANCE],
        [f"{name}: |AUC difference|", f"<= {AUC_TOLERANCE} (goal)", f"{difference:.4f}",
         difference <= AUC_TOLERANCE],
        [f"{name}: mean train loss (extra row)", f"{np.mean(fr_loss):.5f} (FasterRisk)",
         f"{np.mean(our_loss):.5f}", np.mean(our_loss) <= np.mean(fr_loss) + 1e-6],
    ]


def print_table(rows: list[list]) -> None:
    header = ["measure", "anchor", "ours", "goal met?"]
    cells = [header] + [[str(c) if not isinstance(c, (bool, np.bool_))
                         else ("yes" if c else "NO") for c in row] for row in rows]
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
    parser.add_argument("--cv-time-limit", type=float, default=None,
                        help="seconds per cross-validation fit (default: 60 / 60 / 120)")
    parser.add_argument("--no-cv", action="store_true", help="skip the 5-fold AUC")
    parser.add_argument("--fasterrisk-python", default=None,
                        help="Python of a separate environment with fasterrisk installed")
    args = parser.parse_args(argv)
    limits = QUICK_TIME_LIMITS if args.quick else TIME_LIMITS
    rows = []
    for name in args.datasets:
        limit = args.time_limit or limits[name]
        rows += run(name, limit, args.cv_time_limit or CV_TIME_LIMITS[name],
                    cv=not (args.quick or args.no_cv), fasterrisk_python=args.fasterrisk_python)
    print_table(rows)
    print("(timings depend on the machine's load; rerun on an idle machine to compare)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
