# %% [markdown]
# # Compare: what does interpretability cost on your data?
#
# `glassbox.compare` cross-validates a gradient-boosting black box and every
# glassbox learner (rule list, score card, sparse tree) on the same folds, and
# answers in one table: accuracy, AUC, calibration (Brier score), model size,
# fit time and the certificate of each model; then the size of the Rashomon
# set of sparse trees and a verdict.
#
# The same is one command on a CSV file:
#
#     glassbox compare data.csv --target label --report report.html
#
# This tutorial runs it on MONK-1, a problem whose true concept is a short
# rule (`a1 == a2 or a5 == 1`), so an interpretable model can match the black
# box; and on MONK-2 ("exactly two attributes equal 1"), which no short rule
# list or shallow tree expresses. With `GLASSBOX_FAST=1` it uses 2 folds,
# half-second budgets and one process, and runs in well under a minute.

# %%
import os
import tempfile
from pathlib import Path

from sklearn.linear_model import LogisticRegression

from glassbox import compare
from glassbox.datasets import make_monks

FAST = os.environ.get("GLASSBOX_FAST") == "1"
CV = 2 if FAST else 5
TIME_LIMIT = 0.5 if FAST else 10.0
N_JOBS = 1 if FAST else -1  # starting worker processes costs more than tiny fits
OUTPUT = Path(os.environ.get("GLASSBOX_TUTORIAL_OUTPUT") or tempfile.mkdtemp())

monk1 = make_monks(1)
X, y = monk1.data, monk1.target
print(X.shape, "class balance:", y.mean().round(3))
X.head()

# %% [markdown]
# ## 1. The comparison
# `n_jobs=-1` spreads the fits over every core (one thread each; the fast
# mode stays in one process); `verbose=1` prints one line per finished fit.

# %%
result = compare(X, y, cv=CV, time_limit=TIME_LIMIT, n_jobs=N_JOBS, verbose=1)
print(result)

# %% [markdown]
# ## 2. Reading the table
# `to_frame()` gives the numbers. `accuracy_std` is the spread over folds:
# differences smaller than it are not worth a black box. The `certificate`
# column says whether the model fitted on all the data is provably optimal for
# its objective (`optimal`) or what budget stopped the search.

# %%
table = result.to_frame()
print(table[["model", "kind", "accuracy", "accuracy_std", "brier", "size", "size_unit",
             "certificate"]].to_string(index=False))

# %% [markdown]
# Each model fitted on all the data is in `result.models`; the glassbox ones
# print themselves in the column names.

# %%
for label, model in result.models.items():
    if hasattr(model, "to_text"):
        print(f"--- {label}")
        print(model.to_text())

# %% [markdown]
# ## 3. A problem without a short explanation
# MONK-2's concept counts attributes; a sparse model has to approximate it.
# The verdict then reports the gap, and whether a larger budget might narrow
# it. Here we also bring a model of our own: any scikit-learn classifier can
# join through `models=`; glassbox estimators count as interpretable, the
# others as black boxes.

# %%
monk2 = make_monks(2)
result2 = compare(monk2.data, monk2.target, cv=CV, time_limit=TIME_LIMIT, n_jobs=N_JOBS,
                  models=["black_box", "RuleListClassifier", "SparseTreeClassifier"],
                  rashomon=False)
print(result2.verdict)

own = compare(monk2.data, monk2.target, cv=CV, rashomon=False,
              models={"logistic regression": LogisticRegression(max_iter=1000)})
print(own.to_frame()[["model", "kind", "accuracy", "auc", "brier"]].to_string(index=False))

# %% [markdown]
# ## 4. The report
# `to_html` writes the verdict, the table, plots (when matplotlib is
# installed) and every model as text into one self-contained file.

# %%
report = OUTPUT / "monks1_compare.html"
result.to_html(report)
print(f"report: {report} ({report.stat().st_size / 1024:.0f} KiB)")
