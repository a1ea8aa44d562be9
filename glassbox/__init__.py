"""glassbox: models that are interpretable by design.

The top-level import is deliberately light: it imports none of torch, pyscipopt,
cvxpy or matplotlib. Estimators are reached through their subpackages
(``glassbox.rules.RuleListClassifier``) or lazily through this module
(``glassbox.RuleListClassifier``), which imports the subpackage on first use.
"""

from __future__ import annotations

import importlib
import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

# name -> (module, optional extra needed to import it).  The single registry of
# public estimators: ``all_estimators``, ``from_dict`` and the CLI read it.
_ESTIMATORS: dict[str, tuple[str, str | None]] = {
    "RuleListClassifier": ("glassbox.rules", None),
    "RiskScoreClassifier": ("glassbox.scoring", "scip"),
    "SparseTreeClassifier": ("glassbox.trees", None),
    "Distiller": ("glassbox.distill", None),
    "ProtoPNetClassifier": ("glassbox.prototypes", "torch"),
    "TreeRegularizedClassifier": ("glassbox.treereg", "torch"),
    "TreeRegularizedGRUClassifier": ("glassbox.treereg", "torch"),
}

# Other public names reachable lazily from the top level.
_LAZY = {
    "Binarizer": "glassbox.features",
    "mine_antecedents": "glassbox.features",
    "RashomonSet": "glassbox.rashomon",
    "rashomon_ratio": "glassbox.rashomon",
    "LocalSurrogate": "glassbox.distill",
    "counterfactual": "glassbox.distill",
    "compare": "glassbox.comparison",
    "Certificate": "glassbox._base",
    "Explanation": "glassbox._base",
    "from_dict": "glassbox._base",
    "load": "glassbox._base",
    **{name: module for name, (module, _) in _ESTIMATORS.items()},
}

__all__ = ["__version__", "all_estimators", *sorted(_LAZY)]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'glassbox' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


def _optional_extra_available(extra: str | None) -> bool:
    """Whether the packages of an extra are installed, found without importing them."""
    from glassbox._deps import extra_available

    return extra is None or extra_available(extra)


def all_estimators(*, include_unavailable: bool = False) -> list[tuple[str, type]]:
    """List the public glassbox estimators.

    Parameters
    ----------
    include_unavailable : bool, default=False
        If False, estimators whose optional extra (``torch``, ``scip``) is not
        installed are left out. If True, importing one of those raises an
        ImportError that names the extra to install.

    Returns
    -------
    estimators : list of (name, class)
        Sorted by name.
    """
    found = []
    for name, (module, extra) in sorted(_ESTIMATORS.items()):
        if not include_unavailable and not _optional_extra_available(extra):
            continue
        found.append((name, getattr(importlib.import_module(module), name)))
    return found
