"""The ``glassbox`` command line.

Subcommands::

    glassbox datasets                      list the data sets glassbox can load
    glassbox demo                          the main job end to end on a bundled data set
    glassbox fit KIND DATA.csv --target COL [--PARAM VALUE ...]
                                           fit a model (KIND: rules, scorecard, tree, treereg)
    glassbox rashomon ...                  Rashomon sets (glassbox.rashomon)
    glassbox distill ...                   distil a fitted model into a tree (glassbox.distill)
    glassbox compare ...                   every learner against a black box (glassbox.comparison)

User mistakes (a missing file, an unknown column or parameter, bad data) print a
one-line ``glassbox: error: ...`` message and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import sys
import time
from pathlib import Path

# model kind on the command line -> estimator class name in glassbox._ESTIMATORS
FIT_KINDS = {
    "rules": "RuleListClassifier",
    "scorecard": "RiskScoreClassifier",
    "tree": "SparseTreeClassifier",
    "treereg": "TreeRegularizedClassifier",
}

# Modules that add their own subcommands: each has ``register(subparsers)`` which
# adds a parser and sets ``func`` (called with the parsed args, returns an exit code).
PLUGINS = (
    "glassbox.rashomon._cli",
    "glassbox.distill._cli",
    "glassbox.comparison",
)


class UserError(Exception):
    """A mistake in the command's input: reported in one line, exit status 2."""


def read_table(path: str, target: str | None):
    """Read a CSV file and split off the target column."""
    import pandas as pd

    file = Path(path)
    if not file.is_file():
        raise UserError(f"no such file: {path}")
    try:
        frame = pd.read_csv(file)
        # pandas renames a repeated header ('age', 'age' -> 'age', 'age.1'); the header as
        # written is read again so that a repeated name is refused instead of renamed
        header = pd.read_csv(file, header=None, nrows=1, dtype=str).iloc[0]
    except Exception as exc:  # pandas raises many parser errors
        raise UserError(f"could not read {path} as CSV: {exc}") from None
    repeated = sorted(set(header[header.duplicated()].dropna()))
    if repeated:
        raise UserError(f"{path} has more than one column named "
                        f"{', '.join(map(repr, repeated[:5]))}; give each column its own name")
    if frame.empty and len(frame.columns):
        raise UserError(f"{path} has a header but no data rows")
    if target is None:
        raise UserError("name the label column with --target COL "
                        f"(columns: {', '.join(map(str, frame.columns[:20]))})")
    if target not in frame.columns:
        raise UserError(f"--target {target!r} is not a column of {path}; columns are: "
                        f"{', '.join(map(str, frame.columns[:30]))}")
    return frame.drop(columns=[target]), frame[target]


def _parse_value(text: str):
    """Command-line value -> Python value: numbers, None, True/False, tuples, dicts, text."""
    lowered = text.lower()
    if lowered in ("none", "null"):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def parse_estimator_options(tokens: list[str], estimator_cls) -> dict:
    """Turn ``--max-features 5 --c 0.01`` into keyword arguments the estimator knows."""
    known = estimator_cls().get_params(deep=False)
    params, i = {}, 0
    while i < len(tokens):
        token = tokens[i]
        if not token.startswith("--"):
            raise UserError(f"unexpected argument {token!r}")
        name, _, value = token[2:].partition("=")
        name = name.replace("-", "_")
        if name not in known:
            raise UserError(f"{estimator_cls.__name__} has no parameter {name!r}; parameters: "
                            f"{', '.join(sorted(known))}")
        if not value:
            if i + 1 >= len(tokens) or tokens[i + 1].startswith("--"):
                raise UserError(f"--{name.replace('_', '-')} needs a value")
            value = tokens[i + 1]
            i += 1
        params[name] = _parse_value(value)
        i += 1
    return params


def _estimator_class(name: str):
    import glassbox

    module, _ = glassbox._ESTIMATORS[name]
    return getattr(importlib.import_module(module), name)


def _estimator_parameter_help(cls) -> str:
    """The Parameters section of an estimator's docstring, for ``fit KIND --help``."""
    doc = cls.__doc__ or ""
    start = doc.find("Parameters\n")
    if start < 0:
        return ""
    end = min((i for i in (doc.find("Attributes\n", start), doc.find("Examples\n", start),
                           doc.find("Notes\n", start)) if i > 0), default=len(doc))
    return "estimator " + doc[start:end].strip()


def _cmd_fit(args, extra: list[str]) -> int:
    if args.kind not in FIT_KINDS:
        raise UserError(f"unknown model kind {args.kind!r}; choose from {', '.join(FIT_KINDS)}")
    cls = _estimator_class(FIT_KINDS[args.kind])
    if args.data is None or "-h" in extra or "--help" in extra:
        print(f"usage: glassbox fit {args.kind} DATA.csv --target COL [--PARAM VALUE ...]\n")
        print(_estimator_parameter_help(cls))
        return 0
    params = parse_estimator_options(extra, cls)
    X, y = read_table(args.data, args.target)
    model = cls(**params)
    start = time.perf_counter()
    try:
        model.fit(X, y)
    except (ValueError, TypeError) as exc:
        raise UserError(str(exc).splitlines()[0]) from None
    seconds = time.perf_counter() - start
    print(model.to_text())
    print()
    print(f"training accuracy: {model.score(X, y):.4f}  ({len(X)} rows, fit in {seconds:.2f} s)")
    certificate = getattr(model, "certificate_", None)
    if certificate is not None:
        print(f"certificate: {certificate}")
    if args.save:
        model.to_json(args.save, indent=1)
        print(f"model saved to {args.save}")
    return 0


def _cmd_datasets(args, extra) -> int:
    from glassbox.datasets import list_datasets

    table = list_datasets()
    print(table.to_string(index=False))
    return 0


def _cmd_demo(args, extra) -> int:
    from glassbox.demo import run_demo

    return run_demo(args.dataset, fast=args.fast or None, cv=args.cv, n_jobs=args.n_jobs,
                    report=args.report)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="glassbox",
        description="Fit models that are interpretable by design, estimate Rashomon sets, "
                    "and distil black boxes into readable models.")
    from glassbox import __version__

    parser.add_argument("--version", action="version", version=f"glassbox {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("datasets", help="list the data sets glassbox can load")
    p.set_defaults(func=_cmd_datasets)

    p = sub.add_parser("demo", help="fit interpretable models on a bundled data set")
    p.add_argument("--dataset", default="monks-1",
                   help="a bundled data set from 'glassbox datasets' (default: monks-1)")
    p.add_argument("--fast", action="store_true", help="small budgets (seconds)")
    p.add_argument("--cv", type=int, default=5, help="cross-validation folds (default 5)")
    p.add_argument("--n-jobs", type=int, default=None, help="parallel fits (default: all cores)")
    p.add_argument("--report", metavar="REPORT.html", help="also write an HTML report")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser(
        "fit", add_help=False,
        help="fit a model: glassbox fit {rules,scorecard,tree,treereg} DATA.csv --target COL",
        description="Fit a glassbox model on a CSV file and print it with its certificate. "
                    "Any estimator parameter can be given as --name value "
                    "(e.g. --c 0.01, --max-features 5); 'glassbox fit KIND --help' lists them.")
    p.add_argument("kind", metavar="KIND", help=f"one of: {', '.join(FIT_KINDS)}")
    p.add_argument("data", metavar="DATA.csv", nargs="?")
    p.add_argument("--target", help="name of the label column")
    p.add_argument("--save", metavar="MODEL.json", help="write the fitted model as JSON")
    p.set_defaults(func=_cmd_fit, takes_extra=True)

    for module in PLUGINS:
        try:
            importlib.import_module(module).register(sub)
        except ModuleNotFoundError as exc:
            if exc.name != module:  # a real missing dependency inside the plugin
                raise
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["fit"] and any(a in ("-h", "--help") for a in argv[1:2]):
        parser.parse_args(argv)  # help of the fit command itself
    args, extra = parser.parse_known_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        if extra and not getattr(args, "takes_extra", False):
            raise UserError(f"unrecognized arguments: {' '.join(extra)} "
                            f"(see 'glassbox {args.command} --help')")
        return int(args.func(args, extra) or 0)
    except UserError as exc:
        print(f"glassbox: error: {exc}", file=sys.stderr)
        return 2
    except ImportError as exc:
        print(f"glassbox: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("glassbox: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
