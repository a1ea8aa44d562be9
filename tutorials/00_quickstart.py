# %% [markdown]
# # Quickstart: from a table to named boolean features and antecedents
#
# Every glassbox model (rule lists, sparse trees, score cards) is written in
# terms of named conditions on the ORIGINAL columns: `age <= 25`,
# `sex == Male`. This tutorial loads a bundled data set, turns it into such
# features with `Binarizer`, and mines the conjunctions ("antecedents") that
# rule lists and trees search over. It runs in a couple of seconds.

# %%
import os

from glassbox.datasets import list_datasets, load_dataset, make_parabola
from glassbox.features import Binarizer, mine_antecedents

FAST = os.environ.get("GLASSBOX_FAST") == "1"

# %% [markdown]
# ## The data sets glassbox knows
# `bundled` ones ship with the package, `generated` ones are made by code,
# `fetched` ones are downloaded once into the data home (`GLASSBOX_DATA`).

# %%
print(list_datasets()[["name", "kind", "rows", "columns"]].to_string(index=False))

# %% [markdown]
# ## Binarize a table of mixed column types
# MONK-1's six attributes are small integers; the rule behind its class is
# `a1 == a2 or a5 == 1`. Integer columns become threshold features at observed
# values. Constant columns would be listed in `dropped_columns_`.

# %%
monks = load_dataset("monks-1")
binarizer = Binarizer(n_thresholds=3).fit(monks.data)
print(binarizer)  # a table: feature, original column, kind

# %% [markdown]
# Text columns become one feature per level (one feature for two levels), and
# `set_output(transform="pandas")` gives named columns.

# %%
board = load_dataset("tic-tac-toe")
levels = Binarizer().set_output(transform="pandas").fit(board.data)
Z_board = levels.transform(board.data)
print(Z_board.iloc[:3, :6])
print("feature", Z_board.columns[4], "comes from column", levels.inverse(Z_board.columns[4]))

# %% [markdown]
# ## Mine antecedents
# Conjunctions of up to `max_card` features whose support lies in
# `[min_support, 1 - min_support]`, as packed bit vectors (one bit per sample).
# With `include_negations=True`, `a5 > 1` is available next to `a5 <= 1`.

# %%
Z = binarizer.transform(monks.data)
antecedents = mine_antecedents(Z, max_card=2, min_support=0.05, include_negations=True,
                               conditions=binarizer.conditions_)
print(antecedents)
table = antecedents.to_frame()
print(table.sort_values("support", ascending=False).head(8).to_string(index=False))

# %% [markdown]
# How well does each antecedent alone predict the class? The fraction of
# positive labels among the samples it captures, computed from the bits.

# %%
captured = antecedents.unpack()
positive_rate = (captured & (monks.target == 1)).sum(axis=1) / antecedents.support.clip(1)
table["positive_rate"] = positive_rate.round(3)
print(table.sort_values("positive_rate", ascending=False).head(5).to_string(index=False))

# %% [markdown]
# ## Thresholds from label changes
# On a numeric data set, `strategy="splits"` places thresholds where the label
# changes, like a decision tree's candidate splits.

# %%
parabola = make_parabola(n_samples=300 if FAST else 3000, noise=0.1, random_state=0)
splits = Binarizer(strategy="splits", n_thresholds=4).fit(parabola.data, parabola.target)
print(splits.get_feature_names_out().tolist())

# %% [markdown]
# The fitted binarizer is plain JSON, like every glassbox model.

# %%
import glassbox  # noqa: E402

again = glassbox.from_dict(splits.to_dict())
assert (again.transform(parabola.data) == splits.transform(parabola.data)).all()
print("JSON round trip OK")
