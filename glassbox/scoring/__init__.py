"""Integer risk score cards solved exactly with SCIP (RiskSLIM's lattice cutting planes).

:class:`RiskScoreClassifier` fits a score card (small integer points per feature, an
integer intercept, risk = sigmoid(score)) with a certificate of optimality;
:func:`enumerate_score_cards` lists every card within an objective bound.

pyscipopt (and cvxpy for the warm start) are imported only when a model is fitted:
``pip install "glassbox[scip]"``.
"""

from glassbox.scoring._model import RiskScoreClassifier, enumerate_score_cards

__all__ = ["RiskScoreClassifier", "enumerate_score_cards"]
