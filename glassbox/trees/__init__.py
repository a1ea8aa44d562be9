"""Certifiably optimal sparse decision trees.

:class:`SparseTreeClassifier` minimizes error rate + regularization x leaves
over all decision trees on binary features, by dynamic programming over
subproblems keyed by the bit vector of the samples they capture. Its search
space (:class:`glassbox.trees._search.TreeSpace`) is also what
:class:`glassbox.rashomon.RashomonSet` counts exactly.
"""

from glassbox.trees._model import SparseTreeClassifier

__all__ = ["SparseTreeClassifier"]
