"""Benchmark of the foundation's data and features (issue 2), side by side with its anchors.

    GLASSBOX_DATA=/path/to/shared/data python benchmarks/bench_features.py [--quick]

Measures:

* the generators (MONK's, tic-tac-toe, car) against the UCI reference files (issue: "match row for row");
* the antecedents CORELS pre-mined for COMPAS (155, from its own miner) against
  ``mine_antecedents`` on CORELS's categorical table (same set, same bits);
* ``Binarizer`` under scikit-learn's ``check_estimator`` (issue: "passes");
* ``import glassbox`` importing none of torch, pyscipopt, cvxpy, matplotlib;
* mining time for 155 features x 6489 samples (CORELS's size) with negations,
  ``max_card=2`` (``--quick``: skipped the 3-literal run).

Timings are wall-clock seconds on the machine it runs on (best of 3).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd


def _best_of(fn, repeats=3):
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def bench_generators(data_home: Path | None):
    from glassbox import datasets
    from glassbox.datasets import make_car, make_monks, make_tictactoe

    if data_home is None:
        return [("generators match UCI reference files", "8/8 identical", "skipped (no data)",
                 "n/a")]
    files = {f"monks-{k}.{s}.csv": (lambda k=k, s=s: make_monks(k, s)) for k in (1, 2, 3)
             for s in ("full", "train")}
    files["tic-tac-toe.csv"] = make_tictactoe
    files["car.csv"] = make_car
    same = sum(make().frame.to_csv(index=False, lineterminator="\r\n")
               == (data_home / "generated" / name).read_bytes().decode()
               for name, make in files.items())
    datasets._terminal_boards.cache_clear()  # time the game-tree walk, not the cache
    seconds, _ = _best_of(make_tictactoe, 1)
    return [("generators match UCI reference files", f"{len(files)}/{len(files)} identical",
             f"{same}/{len(files)} identical", "yes" if same == len(files) else "NO"),
            ("make_tictactoe seconds (first call)", "-", f"{seconds:.2f}", "-")]


def bench_corels(data_home: Path | None):
    from glassbox._base import Condition
    from glassbox._bitset import pack_rows
    from glassbox.datasets import fetch_compas
    from glassbox.features import mine_antecedents

    if data_home is None:
        return [("CORELS pre-mined COMPAS antecedents", "155", "skipped (no data)", "n/a")]
    categorical = fetch_compas(data_home, variant="corels").data
    premined = fetch_compas(data_home, variant="corels_mined").data
    levels = [Condition(c, "==", v) for c in categorical.columns
              for v in pd.unique(categorical[c])]
    Z = np.column_stack([c.evaluate(categorical) for c in levels])
    seconds, a = _best_of(lambda: mine_antecedents(Z, max_card=2, min_support=0.005,
                                                   conditions=levels))
    names = [",".join(f"{c.column}:{c.value}" for c in a.conditions(m)) for m in range(len(a))]
    same_set = sorted(names) == sorted(premined.columns)
    same_bits = same_set and np.array_equal(
        a.bits[[names.index(n) for n in premined.columns]], pack_rows(premined.to_numpy().T))
    return [("CORELS pre-mined COMPAS antecedents (count)", str(premined.shape[1]), str(len(a)),
             "yes" if len(a) == premined.shape[1] else "NO"),
            ("  same names and bits as CORELS", "yes", "yes" if same_bits else "no",
             "yes" if same_bits else "NO"),
            ("  mining seconds (19 levels, max_card=2)", "-", f"{seconds:.3f}", "-")]


def bench_mining_speed(quick: bool):
    from glassbox.features import mine_antecedents

    rng = np.random.default_rng(0)
    Z = rng.random((6489, 155)) < rng.uniform(0.05, 0.5, size=155)
    rows = []
    seconds, a = _best_of(lambda: mine_antecedents(Z, max_card=2, min_support=0.01,
                                                   include_negations=True), 1 if quick else 3)
    rows.append(("mine 155 feats + negations, card<=2 (count)", "-", f"{len(a):,}", "-"))
    rows.append(("  seconds", "-", f"{seconds:.2f}", "-"))
    if not quick:
        small = Z[:, :40]
        seconds, a = _best_of(lambda: mine_antecedents(small, max_card=3, min_support=0.01,
                                                       include_negations=True), 1)
        rows.append(("mine 40 feats + negations, card<=3 (count)", "-", f"{len(a):,}", "-"))
        rows.append(("  seconds", "-", f"{seconds:.2f}", "-"))
    return rows


def bench_binarizer():
    from sklearn.utils.estimator_checks import check_estimator

    from glassbox.datasets import load_breast_cancer_binary
    from glassbox.features import Binarizer

    results = check_estimator(Binarizer(), on_fail=None,
                              expected_failed_checks=Binarizer._expected_failed_checks)
    failed = [r["check_name"] for r in results if r["status"] == "failed"]
    data = load_breast_cancer_binary().data
    seconds, b = _best_of(lambda: Binarizer(n_thresholds=8).fit(data))
    t_transform, _ = _best_of(lambda: b.transform(data))
    return [("Binarizer sklearn check_estimator failures", "0", str(len(failed)),
             "yes" if not failed else "NO"),
            ("Binarizer fit+transform s, breast cancer 569x30", "-",
             f"{seconds + t_transform:.3f}", "-")]


def bench_import():
    code = ("import sys, glassbox, glassbox.features, glassbox.datasets; "
            "print(','.join(m for m in ('torch', 'pyscipopt', 'cvxpy', 'matplotlib') "
            "if m in sys.modules))")
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    heavy = out.stdout.strip()
    return [("heavy modules imported by glassbox(.features,.datasets)", "none", heavy or "none",
             "yes" if not heavy else "NO"),
            ("  import seconds (fresh interpreter)", "-", f"{seconds:.2f}", "-")]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the slow mining run")
    args = parser.parse_args(argv)
    home = os.environ.get("GLASSBOX_DATA")
    data_home = Path(home) if home and Path(home).is_dir() else None
    rows = (bench_generators(data_home) + bench_corels(data_home) + bench_binarizer()
            + bench_import() + bench_mining_speed(args.quick))
    table = pd.DataFrame(rows, columns=["measure", "anchor", "ours", "goal met?"])
    print(table.to_string(index=False))
    return 0 if not (table["goal met?"] == "NO").any() else 1


if __name__ == "__main__":
    sys.exit(main())
