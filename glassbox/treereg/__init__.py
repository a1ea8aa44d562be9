"""Tree-regularized neural networks: deep models whose decisions a short tree simulates.

``TreeRegularizedClassifier`` (an MLP) and ``TreeRegularizedGRUClassifier`` (a GRU
for sequences) follow Wu et al., "Beyond Sparsity: Tree Regularization of Deep
Models for Interpretability" (AAAI 2018). Importing this package does not import
torch; fitting does.
"""

from glassbox.treereg._model import (
    TreeRegularizedClassifier,
    TreeRegularizedGRUClassifier,
    dominated_share,
    frontier_means,
    regularization_frontier,
)
from glassbox.treereg._surrogate import APLSurrogate, convex_combinations
from glassbox.treereg._tree import MimicTree, average_path_length, fit_mimic_tree, path_lengths

__all__ = [
    "TreeRegularizedClassifier",
    "TreeRegularizedGRUClassifier",
    "regularization_frontier",
    "frontier_means",
    "dominated_share",
    "APLSurrogate",
    "convex_combinations",
    "MimicTree",
    "average_path_length",
    "fit_mimic_tree",
    "path_lengths",
]
