"""Optional dependencies: found without importing them, imported only where needed."""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

# extra -> the importable modules it provides
EXTRAS: dict[str, tuple[str, ...]] = {
    "torch": ("torch",),
    "scip": ("pyscipopt", "cvxpy"),
    "plot": ("matplotlib",),
    "fast": ("numba",),
}

_MODULE_TO_EXTRA = {mod: extra for extra, mods in EXTRAS.items() for mod in mods}


def module_available(module: str) -> bool:
    """Whether ``module`` can be imported, decided without importing it."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def extra_available(extra: str) -> bool:
    """Whether every module of an optional extra is installed."""
    try:
        modules = EXTRAS[extra]
    except KeyError:
        raise ValueError(f"unknown extra {extra!r}; known extras: {sorted(EXTRAS)}") from None
    return all(module_available(m) for m in modules)


def import_optional(module: str, *, purpose: str | None = None) -> ModuleType:
    """Import an optional dependency or raise an ImportError naming the extra.

    Parameters
    ----------
    module : str
        Top-level or dotted module name, e.g. ``"torch"`` or ``"matplotlib.pyplot"``.
    purpose : str, optional
        What needs it, for the message (e.g. ``"RiskScoreClassifier"``).
    """
    top = module.split(".")[0]
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        extra = _MODULE_TO_EXTRA.get(top)
        who = f"{purpose} needs" if purpose else "This feature needs"
        hint = f'pip install "glassbox[{extra}]"' if extra else f"pip install {top}"
        raise ImportError(f"{who} the optional dependency {top!r}, which is not installed. "
                          f"Install it with: {hint}") from exc


KERNEL_BACKENDS = ("numba", "numpy")


def kernel_backend(backend: str, *, purpose: str) -> str:
    """Resolve a search's kernel backend: ``"auto"`` -> ``"numba"`` when numba is
    installed, else ``"numpy"``; ``"numba"`` without numba raises the ImportError
    naming the extra; any other name raises a ValueError.

    ``purpose`` names what needs numba, for that message.
    """
    if backend == "auto":
        return "numba" if module_available("numba") else "numpy"
    if backend not in KERNEL_BACKENDS:
        raise ValueError(f"backend must be 'auto' or one of {KERNEL_BACKENDS}, got "
                         f"{backend!r}.")
    if backend == "numba" and not module_available("numba"):
        import_optional("numba", purpose=purpose)
    return backend
