"""``glassbox distill MODEL.pkl DATA.csv --max-depth 4``: a fitted model, distilled into a tree."""

from __future__ import annotations

import time
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "distill", help="distil a fitted (pickled) model into a readable decision tree",
        description="Load a fitted model saved with joblib or pickle, distil it into a decision "
                    "tree on the rows of DATA.csv (with synthesized queries), and print the "
                    "tree with its held-out fidelity.")
    p.add_argument("model", metavar="MODEL.pkl", help="fitted model (joblib.dump or pickle)")
    p.add_argument("data", metavar="DATA.csv", help="rows to distil on")
    p.add_argument("--target", help="label column to drop from DATA.csv (also reports the "
                                    "tree's accuracy on it)")
    p.add_argument("--max-depth", type=int, default=4, help="depth of the tree (default 4)")
    p.add_argument("--n-queries", default="auto",
                   help="synthesized queries (default auto: 20 per training row)")
    p.add_argument("--random-state", type=int, default=0)
    p.add_argument("--save", metavar="TREE.json", help="write the distilled tree as JSON")
    p.set_defaults(func=run)


def _load_model(path: str):
    from glassbox.cli import UserError

    file = Path(path)
    if not file.is_file():
        raise UserError(f"no such file: {path}")
    try:
        import joblib

        return joblib.load(file)
    except Exception as exc:  # joblib reads plain pickles too; anything else is unreadable
        raise UserError(f"could not load a model from {path}: {exc}") from None


def run(args, extra) -> int:
    from glassbox.cli import UserError, read_table
    from glassbox.distill._distiller import Distiller

    model = _load_model(args.model)
    if args.target is None:
        import pandas as pd

        if not Path(args.data).is_file():
            raise UserError(f"no such file: {args.data}")
        X, y = pd.read_csv(args.data), None
    else:
        X, y = read_table(args.data, args.target)
    n_queries = args.n_queries if args.n_queries == "auto" else _positive_int(args.n_queries)
    if args.max_depth < 1:
        raise UserError(f"--max-depth must be at least 1, got {args.max_depth}")
    distiller = Distiller(model, max_depth=args.max_depth, n_queries=n_queries,
                          random_state=args.random_state)
    start = time.perf_counter()
    try:
        distiller.fit(X)
    except (ValueError, TypeError) as exc:
        raise UserError(str(exc).splitlines()[0]) from None
    seconds = time.perf_counter() - start
    print(distiller.to_text())
    print()
    line = f"distilled in {seconds:.2f} s from {len(X)} rows"
    if y is not None:
        line += f"; tree accuracy on {args.target}: {distiller.score(X, y):.4f}"
    print(line)
    if args.save:
        distiller.to_json(args.save, indent=1)
        print(f"tree saved to {args.save}")
    return 0


def _positive_int(text: str) -> int:
    from glassbox.cli import UserError

    try:
        value = int(text)
    except ValueError:
        raise UserError(f"--n-queries must be 'auto' or a whole number, got {text!r}") from None
    if value < 0:
        raise UserError(f"--n-queries must be >= 0, got {value}")
    return value
