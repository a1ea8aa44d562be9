"""Prototype networks ("this looks like that"): :class:`ProtoPNetClassifier`.

Importing this package does not import torch; fitting or loading a model does
(install the extra with ``pip install "glassbox[torch]"``).
"""

from glassbox.prototypes._estimator import ProtoPNetClassifier, activation_box

__all__ = ["ProtoPNetClassifier", "activation_box"]
