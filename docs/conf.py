"""Sphinx configuration of the glassbox documentation.

The build is offline (no intersphinx, no gallery downloads) and runs with -W.
Two kinds of pages are written here before Sphinx reads the sources, so that a
learner module that has not been written yet never breaks the build:

* ``api/<module>.md``: one autodoc page per importable public module;
* ``tutorials.md`` and ``tutorials/<name>.md``: each ``tutorials/*.py`` script
  shown as a literal include;
* ``benchmark_results.md``: what each ``benchmarks/bench_*.py`` measures (its
  docstring) and its saved output.

Both are ignored by git (docs/.gitignore).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

import glassbox  # noqa: E402

project = "glassbox"
author = "glassbox developers"
copyright = "glassbox developers"
version = release = glassbox.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "numpydoc",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "README.md"]
myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3

# Other engineers' docstrings must not fail the -W build on style points.
numpydoc_show_class_members = False
numpydoc_validation_checks: set = set()
numpydoc_xref_param_type = False
autodoc_typehints = "none"
# Inherited docstrings are scikit-learn's, with references into its own site that an
# offline build cannot resolve; a method without its own docstring is left out.
autodoc_inherit_docstrings = False
autodoc_member_order = "bysource"
autodoc_default_options = {"show-inheritance": False}

html_theme = "alabaster"
html_title = f"glassbox {version}"
html_static_path: list = []

# ---------------------------------------------------------------------------
# Generated pages
# ---------------------------------------------------------------------------

#: Public modules in the API reference, in order, with a one-line description.
API_MODULES = {
    "glassbox": "Package entry points: the estimator registry and model loading.",
    "glassbox._base": "The contract every model follows: certificates, budgets, conditions, "
                      "renderings, explanations and the estimator base class.",
    "glassbox.features": "Binarizing tables and mining conjunctions of features.",
    "glassbox.datasets": "Bundled, generated and downloadable data sets.",
    "glassbox.rules": "Certifiably optimal rule lists.",
    "glassbox.scoring": "Integer risk score cards solved by SCIP.",
    "glassbox.trees": "Optimal sparse decision trees.",
    "glassbox.rashomon": "Rashomon sets and ratios.",
    "glassbox.distill": "Distilling black boxes into readable models.",
    "glassbox.prototypes": "Prototype networks (ProtoPNet).",
    "glassbox.treereg": "Tree-regularized neural networks.",
    "glassbox.comparison": "Every learner against a black box (``glassbox compare``).",
}

#: Top-level names documented on the ``glassbox`` page (the rest live in their modules).
TOP_LEVEL = ("all_estimators",)

_AUTODOC = re.compile(r"^\s*\.\.\s+auto(?:class|function|exception|data)::\s+(\S+)", re.M)


def _module_available(name: str) -> bool:
    """Whether a module exists as real code and imports (not an empty folder yet)."""
    try:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            return False
        importlib.import_module(name)
        return True
    except Exception:  # a module that is missing or broken is left out of the reference
        return False


def _documented_elsewhere() -> dict[str, str]:
    """Objects that a guide page already documents with autodoc -> that page.

    The API page leaves them out and links there instead: Sphinx forbids
    two descriptions of one object under -W.
    """
    found = {}
    for page in sorted((DOCS / "guide").glob("*.md")):
        for name in _AUTODOC.findall(page.read_text(encoding="utf-8")):
            found.setdefault(name, f"guide/{page.stem}")
    return found


def _write_if_changed(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _api_page(module: str, description: str, elsewhere: dict[str, str]) -> str:
    lines = [f"# `{module}`", "", description, ""]
    if module == "glassbox":
        lines += ["```{eval-rst}", ".. automodule:: glassbox", "   :no-members:", ""]
        lines += [f".. autofunction:: glassbox.{name}" for name in TOP_LEVEL]
        lines += ["```", ""]
        return "\n".join(lines)
    skipped = sorted(n for n in elsewhere if n.rsplit(".", 1)[0] == module)
    lines += ["```{eval-rst}", f".. automodule:: {module}", "   :members:"]
    if skipped:
        lines.append(f"   :exclude-members: {', '.join(n.rsplit('.', 1)[1] for n in skipped)}")
    lines += ["```", ""]
    for name in skipped:
        lines.append(f"- `{name}`: documented in {{doc}}`/{elsewhere[name]}`.")
    return "\n".join(lines) + "\n"


def write_api_pages() -> list[str]:
    """Write ``api/<module>.md`` for each importable public module; return their names."""
    elsewhere = _documented_elsewhere()
    written = []
    for module, description in API_MODULES.items():
        if _module_available(module):
            _write_if_changed(DOCS / "api" / f"{module}.md",
                              _api_page(module, description, elsewhere))
            written.append(module)
    for stale in (DOCS / "api").glob("*.md"):
        if stale.stem not in written:
            stale.unlink()
    return written


def _tutorial_title(script: Path) -> str:
    """The first Markdown heading of a ``# %%`` script, else its file name."""
    for line in script.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^#\s+#+\s+(.+)", line)
        if match:
            return match.group(1).strip()
    return script.stem.replace("_", " ")


def write_tutorial_pages() -> list[Path]:
    """Write ``tutorials.md`` plus one page per ``tutorials/*.py`` (a literal include)."""
    scripts = sorted((ROOT / "tutorials").glob("[0-9]*.py"))
    folder = DOCS / "tutorials"
    for script in scripts:
        title = _tutorial_title(script)
        _write_if_changed(folder / f"{script.stem}.md", "\n".join([
            f"# {title}", "",
            f"Source: `tutorials/{script.name}`. Run it with `python tutorials/{script.name}` "
            "(set `GLASSBOX_FAST=1` for small budgets), or open it as a notebook in an "
            "editor that understands `# %%` cells.", "",
            f"```{{literalinclude}} ../../tutorials/{script.name}",
            ":language: python", "```", ""]))
    for stale in folder.glob("*.md"):
        if stale.stem not in {s.stem for s in scripts}:
            stale.unlink()
    _write_if_changed(DOCS / "tutorials.md", "\n".join([
        "# Tutorials", "",
        "Each tutorial is a Python script in `tutorials/` written as `# %%` cells. CI runs "
        "every one of them top to bottom with `GLASSBOX_FAST=1` (small budgets); without it "
        "they use the full budgets quoted in the text.", "",
        "```{toctree}", ":maxdepth: 1", "",
        *[f"tutorials/{s.stem}" for s in scripts], "```", ""]))
    return scripts


def _script_docstring(script: Path) -> str:
    try:
        return ast.get_docstring(ast.parse(script.read_text(encoding="utf-8"))) or ""
    except SyntaxError:
        return ""


def write_benchmark_results() -> None:
    """One section per ``benchmarks/bench_*.py``: what it measures (its docstring) and,
    when saved in ``benchmarks/results/<script>.txt``, its latest printed table."""
    parts = ["# Benchmark scripts and results", "",
             "What each script in `benchmarks/` measures, and against which anchors, in its "
             "own words; then its latest table when one was saved on the machine that built "
             "these pages (see {doc}`benchmarks`).", ""]
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        result = ROOT / "benchmarks" / "results" / f"{script.stem}.txt"
        parts += [f"## `{script.name}`", "", "```text", _script_docstring(script), "```", ""]
        if result.is_file():
            parts += ["Latest results:", "",
                      f"```{{literalinclude}} ../benchmarks/results/{result.name}",
                      ":language: text", "```", ""]
        else:
            parts += ["No saved results for this script on the build machine.", ""]
    _write_if_changed(DOCS / "benchmark_results.md", "\n".join(parts))


API_WRITTEN = write_api_pages()
write_tutorial_pages()
write_benchmark_results()


def _skip_foreign_members(app, what, name, obj, skip, options):
    """Leave out members that scikit-learn generates or writes (``set_fit_request``, ...):
    their docstrings point into scikit-learn's own site, which an offline build cannot
    resolve, and they are scikit-learn's API, documented there."""
    if re.fullmatch(r"set_\w+_request", name):
        return True
    module = getattr(obj, "__module__", None) or ""
    if what == "class" and module and not module.startswith("glassbox"):
        return True
    return None


_TYPE_LINE = re.compile(r"^\s*\*{0,2}\w[\w, *]* : \S")
_TRAILING_UNDERSCORE = re.compile(r"(?<=\w)_(?=[),\]\s]|$)")


def _escape_attribute_names_in_types(app, what, name, obj, options, lines):
    """Type specs often name fitted attributes, ``shape (n_samples, n_features_in_)``;
    in reStructuredText a word ending in ``_`` is a link, so escape that underscore."""
    for i, line in enumerate(lines):
        if _TYPE_LINE.match(line) and "`" not in line:
            head, _, spec = line.partition(" : ")
            lines[i] = head + " : " + _TRAILING_UNDERSCORE.sub(r"\\_", spec)


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_members)
    app.connect("autodoc-process-docstring", _escape_attribute_names_in_types)
    return {"parallel_read_safe": True}
