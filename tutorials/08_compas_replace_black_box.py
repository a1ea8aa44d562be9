# %% [markdown]
# # Replace a black box on COMPAS with a rule list and a score card
#
# COMPAS is the recidivism data set at the centre of the debate on secret risk
# scores. Here a gradient-boosting black box, a certifiably optimal rule list
# and an integer risk score card are fitted on the same training rows (CORELS's
# categorical version: 6489 training rows, 721 test rows) and compared on the
# held-out test rows.
#
# The data is read from the glassbox data home (`GLASSBOX_DATA`, or
# `~/glassbox_data` where it is downloaded on first use). Set `GLASSBOX_FAST=1`
# for a run of a few seconds.

# %%
import os
import sys

from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.preprocessing import OrdinalEncoder

from glassbox._deps import extra_available
from glassbox.datasets import DatasetDownloadError, fetch_compas
from glassbox.rules import RuleListClassifier

FAST = bool(os.environ.get("GLASSBOX_FAST"))
try:
    train = fetch_compas(variant="corels", subset="train", download_if_missing=not FAST)
    test = fetch_compas(variant="corels", subset="test", download_if_missing=not FAST)
except DatasetDownloadError as exc:  # offline and not cached: nothing to show
    print(f"COMPAS is not available here ({exc}); skipping this tutorial.")
    sys.exit(0)
X_train, y_train, X_test, y_test = train.data, train.target, test.data, test.target
print(X_train.head())

# %% [markdown]
# ## The black box
# Gradient boosting over the ordinal-encoded categories.

# %%
encoder = OrdinalEncoder().fit(X_train)
black_box = HistGradientBoostingClassifier(random_state=0)
black_box.fit(encoder.transform(X_train), y_train)
box_proba = black_box.predict_proba(encoder.transform(X_test))[:, 1]
print(f"black box: test accuracy {accuracy_score(y_test, box_proba > 0.5):.3f}, "
      f"AUC {roc_auc_score(y_test, box_proba):.3f}")

# %% [markdown]
# ## A certifiably optimal rule list
# Each text column becomes one condition per level (`priors == >3`); conjunctions
# of up to two conditions are the candidate rules. The certificate says whether
# branch and bound proved that no list has a lower `error + c x rules`.

# %%
rules = RuleListClassifier(c=0.005, max_card=2, min_support=0.01,
                           time_limit=5 if FAST else 120)
rules.fit(X_train, y_train)
print(rules)
print(f"rule list: test accuracy {rules.score(X_test, y_test):.3f}")

# %% [markdown]
# Why was the first test person predicted what they were?

# %%
print(rules.explain(X_test.iloc[:3]))

# %% [markdown]
# ## An integer risk score card (RiskSLIM, solved in SCIP)
# The categories are binarized into yes/no items; each item earns a small integer
# number of points, and the total score maps to a risk.

# %%
if extra_available("scip"):
    from glassbox.scoring import RiskScoreClassifier

    card = RiskScoreClassifier(max_features=5, numeric="binarize",
                               time_limit=5 if FAST else 120, random_state=0)
    card.fit(X_train, y_train)
    print(card)
    card_proba = card.predict_proba(X_test)[:, 1]
    print(f"score card: test accuracy {card.score(X_test, y_test):.3f}, "
          f"AUC {roc_auc_score(y_test, card_proba):.3f}")
    print(card.explain(X_test.iloc[:1]))
else:
    print('The score card needs the scip extra: pip install "glassbox[scip]"')

# %% [markdown]
# On COMPAS the readable models lose little or nothing against the black box:
# the published finding (Rudin, 2019) that a black box was never needed here.
