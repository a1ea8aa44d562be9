"""ProtoPNetClassifier: "this looks like that" prototype networks with a scikit-learn face.

This module does not import torch at import time; the torch code lives in
:mod:`glassbox.prototypes._network`, imported on first use.
"""

from __future__ import annotations

import contextlib
import copy
import json
import sys
from numbers import Integral, Real
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.utils.validation import check_array

from glassbox._base import (
    Certificate,
    Explanation,
    GlassboxClassifier,
    HasMethods,
    Interval,
    Rendering,
    StrOptions,
    check_numeric,
    make_rng,
)
from glassbox._deps import import_optional
from glassbox.prototypes import _last_layer

SAVE_FORMAT = "glassbox-protopnet"
# A class keeps validation examples only when it has at least this many.
MIN_CLASS_SIZE_FOR_VALIDATION = 5


def _torch_and_network():
    torch = import_optional("torch", purpose="ProtoPNetClassifier")
    from glassbox.prototypes import _network

    return torch, _network


def _check_finite_images(values: np.ndarray) -> None:
    """Name the first image and pixel holding NaN or infinity (sklearn's check says only
    that the array has one)."""
    bad = ~np.isfinite(values)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        what = "NaN" if np.isnan(values[where]) else "infinity"
        raise ValueError(
            f"Input X contains {what} in image {where[0]} at "
            f"{'(channel, row, col)' if len(where) == 4 else '(row, col)'} = {where[1:]} "
            f"({int(bad.any(axis=tuple(range(1, bad.ndim))).sum())} image(s) affected); "
            "ProtoPNetClassifier does not impute: fill or drop those images first.")


def _is_torch_dataset(X) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(X, torch.utils.data.Dataset)


def _dataset_arrays(dataset):
    """Stack the ``(image, label)`` items of a torch Dataset into numpy arrays."""
    images, labels = [], []
    for i in range(len(dataset)):
        item = dataset[i]
        if not isinstance(item, (tuple, list)) or len(item) < 2:
            raise ValueError(f"A Dataset passed to fit must yield (image, label) pairs; item {i} "
                             f"is a {type(item).__name__}.")
        images.append(np.asarray(item[0], dtype=np.float64))
        labels.append(np.asarray(item[1]).item())
    return np.stack(images), np.asarray(labels)


def activation_box(activation: np.ndarray, percentile: float = 95.0) -> tuple[int, int, int, int]:
    """Smallest box (row0, row1, col0, col1; ends exclusive) holding the pixels at or above
    the ``percentile`` of an activation map."""
    hot = activation >= np.percentile(activation, percentile)
    rows = np.flatnonzero(hot.any(axis=1))
    cols = np.flatnonzero(hot.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _tensor_to_json(tensor) -> dict:
    array = tensor.detach().cpu().numpy()
    return {"dtype": str(array.dtype), "shape": list(array.shape),
            "values": array.ravel().tolist()}


def _tensor_from_json(torch, data):
    if isinstance(data, torch.Tensor):  # from save(): the torch state dict itself
        return data
    array = np.asarray(data["values"], dtype=data["dtype"]).reshape(data["shape"])
    return torch.from_numpy(array)


class ProtoPNetClassifier(GlassboxClassifier):
    """Prototype network: every decision is a sum of "this patch looks like that prototype".

    A backbone CNN maps an image to a grid of latent patches; each of
    ``prototypes_per_class`` prototypes per class is, after training, replaced
    ("pushed") by the nearest latent patch of a real training image of its
    class. The logit of class ``k`` is ``sum_j W[k, j] * sim_j(x)`` where
    ``sim_j(x) = log((d + 1) / (d + 1e-4))`` and ``d`` is the squared distance
    from prototype ``j`` to the nearest patch of ``x``. After push the last layer
    ``W`` is the solution of a convex problem, solved exactly.

    Training follows ProtoPNet (Chen et al., NeurIPS 2019): warm-up of the
    add-on layers and prototypes (which start on real own-class patches),
    joint training of everything with cross-entropy + ``cluster_weight`` x
    cluster cost - ``separation_weight`` x separation cost + ``l1_weight`` x L1
    of wrong-class connections (its last ``tied_epochs`` with each prototype
    tied to a real patch), push, then the last layer, then optional pruning. A
    stratified validation split picks the joint-training epoch (never any test
    data).

    Input: arrays of shape (n, C, H, W) or (n, H, W) (one channel), or a torch
    ``Dataset`` of ``(image, label)`` pairs. A 2-D table (n, d) is read as n
    images of d channels and 1 x 1 pixels: the default backbone then is a small
    multilayer perceptron and every prototype is a whole training row.

    Parameters
    ----------
    prototypes_per_class : int, default=10
    prototype_dim : int, default=32
        Channels of the latent space (the add-on layers' output).
    backbone : torch.nn.Module or None, default=None
        A module mapping (n, C, H, W) to a (n, channels, rows, cols) feature map.
        It is deep-copied and trained; its weights are kept as initialization.
        None builds a small CNN sized from the input (see ``width``).
    width : int, default=16
        Channels of the default backbone's first conv (the others use ``2 * width``).
    pretrain_epochs : int, default=0
        Epochs training the backbone alone with cross-entropy through a
        temporary linear head, before the warm-up: a stand-in for the
        ImageNet-pretrained backbones of the paper when the backbone starts
        from scratch (the prototype layer learns features slowly).
    warm_epochs : int, default=5
        Epochs training only the add-on layers and prototypes.
    joint_epochs : int, default=20
        Epochs training everything with the prototype loss.
    push_every : int or None, default=10
        Also push the prototypes after every ``push_every`` joint epochs (as the
        paper's schedule does) so that training goes on from real patches and
        the final push changes little. None pushes only once, at the end.
    batch_size : int, default=64
    learning_rate : float, default=2e-3
        Adam step size of all training stages.
    lr_schedule : {"constant", "cosine"}, default="constant"
        ``"cosine"`` anneals the step size of the warm-up and, separately, of the
        joint epochs (the tied ones last) from ``learning_rate`` to 0 along a
        half cosine: the late epochs then refine instead of jumping around the
        optimum, which the validation-selected epoch profits from.
    augment : {None, "shift", "affine"}, default=None
        Data augmentation of the training batches (pre-training, warm-up and
        joint epochs): ``"shift"`` moves each image by up to 2 pixels along each
        axis (zero fill), ``"affine"`` also rotates it by up to 10 degrees and
        scales it by 0.9 to 1.1. Push, the tied prototypes, validation and the
        last layer always use the real images, so prototypes stay real training
        patches. Meant for images of 16 pixels and more (handwriting, MNIST:
        with few training images it is what lifts a small CNN the most);
        None for tables and tiny images.
    cluster_weight, separation_weight, l1_weight : float, default=0.8, 0.08, 1e-4
        Weights of the published loss; ``l1_weight`` also weights the L1 term of
        the convex last layer.
    last_layer_l2 : float, default=1e-2
        Ridge weight on all connections in the convex last layer; it makes the
        optimum exist (separable data otherwise sends weights to infinity) and
        unique, gives the optimality certificate, and keeps the connections
        moderate (pushed prototypes make similarities up to log(1e4) ~ 9.2).
    last_layer_anchor : {"zero", "network"}, default="zero"
        Centre of that ridge: ``"zero"`` penalizes ``||W||^2``; ``"network"``
        penalizes ``||W - W_net||^2``, the distance to the connections learned
        jointly with the features, so the exact solution stays near the layer
        the features were trained for (on MNIST-5k with augmentation the
        zero-centred solve lost up to 1.5 validation points against the
        network's own layer; the anchored one lost none). Still convex, still
        certified.
    last_layer_solver : {"lbfgs", "cvxpy"}, default="lbfgs"
        ``"lbfgs"``: L-BFGS-B on a smooth split-variable form, certified by the
        subgradient bound. ``"cvxpy"``: the conic form with CLARABEL.
    prune : bool, default=False
        Remove prototypes with fewer than ``prune_min_own`` of their class among
        the ``prune_k`` nearest training images (at least one prototype per class
        stays), then re-solve the last layer.
    prune_k, prune_min_own : int, default=6, 3
    validation_fraction : float, default=0.1
        Share of each class held out to choose the joint-training epoch;
        skipped when 0 or when a class has fewer than 5 examples.
    device : str, default="auto"
        ``"auto"`` uses CUDA when available, else the CPU; or any torch device string.
    random_state : int, Generator or None, default=None
        Seeds local torch / numpy generators (initialization, shuffling, the
        validation split); global random state is never touched.
    verbose : int, default=0
    callback : callable or None, default=None
        ``callback(stage, model)`` after each stage (``"warm"``, ``"joint"``,
        ``"push"``, ``"last_layer"``, ``"prune"``), with ``model`` ready to
        predict; for monitoring (the benchmark measures the accuracy around push
        with it).

    Attributes
    ----------
    classes_ : ndarray
    input_shape_ : tuple (C, H, W)
    latent_shape_ : tuple (rows, cols)
        Grid of latent patches.
    prototype_class_ : int ndarray (P,)
        Index into ``classes_`` of each prototype's class.
    prototype_sources_ : int ndarray (P, 3)
        Training image index (row of the ``X`` given to ``fit``), patch row, patch col.
    push_distances_ : ndarray (P,)
        Squared distance of each prototype to its source patch (0 after push).
    prototype_images_ : ndarray (P, C, H, W)
        The source image of each prototype (for plots).
    prototype_boxes_ : int ndarray (P, 4)
        Box (row0, row1, col0, col1; ends exclusive) of the prototype in its source
        image: the 95th-percentile region of its upsampled similarity map.
    last_layer_weights_ : ndarray (K, P)
        Class connections (float64), the convex optimum.
    last_layer_anchor_ : ndarray (K, P) or None
        Centre of the last layer's ridge: the jointly trained connections, or
        None for 0.
    certificate_ : Certificate
        Of the last-layer problem: objective and a proven lower bound.
    validation_accuracy_ : dict
        Validation accuracy after each stage (empty without a validation split).
    history_ : dict
        Mean training loss per epoch of each stage and validation accuracy per joint epoch.
    network_ : torch.nn.Module
        The trained network.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> digits = load_digits()
    >>> model = ProtoPNetClassifier(prototypes_per_class=2, joint_epochs=2,
    ...                             random_state=0).fit(digits.images[:300], digits.target[:300])
    >>> model.prototype_points(digits.images[:2]).shape
    (2, 20, 10)
    """

    _binary_only = False
    _fitted_attributes = ("prototype_sources_", "last_layer_weights_")
    _parameter_constraints = {
        "prototypes_per_class": [Interval(Integral, 1, None, closed="left")],
        "prototype_dim": [Interval(Integral, 1, None, closed="left")],
        "backbone": [None, HasMethods(["forward", "parameters"])],
        "width": [Interval(Integral, 1, None, closed="left")],
        "pretrain_epochs": [Interval(Integral, 0, None, closed="left")],
        "warm_epochs": [Interval(Integral, 0, None, closed="left")],
        "joint_epochs": [Interval(Integral, 0, None, closed="left")],
        "push_every": [None, Interval(Integral, 1, None, closed="left")],
        "tied_epochs": [Interval(Integral, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "lr_schedule": [StrOptions({"constant", "cosine"})],
        "augment": [None, StrOptions({"shift", "affine"})],
        "cluster_weight": [Interval(Real, 0, None, closed="left")],
        "separation_weight": [Interval(Real, 0, None, closed="left")],
        "l1_weight": [Interval(Real, 0, None, closed="left")],
        "last_layer_l2": [Interval(Real, 0, None, closed="neither")],
        "last_layer_anchor": [StrOptions({"zero", "network"})],
        "last_layer_solver": [StrOptions({"lbfgs", "cvxpy"})],
        "prune": ["boolean"],
        "prune_k": [Interval(Integral, 1, None, closed="left")],
        "prune_min_own": [Interval(Integral, 0, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "device": [str],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callback": [None, callable],
    }
    _expected_failed_checks: dict = {}

    def __init__(self, *, prototypes_per_class=10, prototype_dim=32, backbone=None, width=16,
                 pretrain_epochs=0, warm_epochs=5, joint_epochs=20, push_every=10, tied_epochs=5,
                 batch_size=64, learning_rate=2e-3, lr_schedule="constant", augment=None,
                 cluster_weight=0.8, separation_weight=0.08, l1_weight=1e-4,
                 last_layer_l2=1e-2, last_layer_anchor="zero", last_layer_solver="lbfgs",
                 prune=False, prune_k=6,
                 prune_min_own=3, validation_fraction=0.1, device="auto", random_state=None,
                 verbose=0, callback=None):
        self.prototypes_per_class = prototypes_per_class
        self.prototype_dim = prototype_dim
        self.backbone = backbone
        self.width = width
        self.pretrain_epochs = pretrain_epochs
        self.warm_epochs = warm_epochs
        self.joint_epochs = joint_epochs
        self.push_every = push_every
        self.tied_epochs = tied_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.lr_schedule = lr_schedule
        self.augment = augment
        self.cluster_weight = cluster_weight
        self.separation_weight = separation_weight
        self.l1_weight = l1_weight
        self.last_layer_l2 = last_layer_l2
        self.last_layer_anchor = last_layer_anchor
        self.last_layer_solver = last_layer_solver
        self.prune = prune
        self.prune_k = prune_k
        self.prune_min_own = prune_min_own
        self.validation_fraction = validation_fraction
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callback = callback

    @classmethod
    def _test_instance(cls):
        return cls(prototypes_per_class=2, prototype_dim=8, width=8, warm_epochs=0,
                   joint_epochs=8, push_every=None, tied_epochs=2, batch_size=128,
                   learning_rate=2e-2, random_state=0)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = False
        tags.input_tags.categorical = False
        tags.non_deterministic = self.random_state is None
        return tags

    # -- input ---------------------------------------------------------------
    def fit(self, X, y=None):
        """Train the network, push the prototypes and solve the last layer.

        Parameters
        ----------
        X : array of shape (n, C, H, W), (n, H, W) or (n, d), or a torch Dataset
            A Dataset yields ``(image, label)`` pairs; ``y`` must then be None.
        y : array of shape (n,)
        """
        if _is_torch_dataset(X):
            if y is not None:
                raise ValueError("Pass either a torch Dataset of (image, label) pairs with "
                                 "y=None, or arrays X and y; got a Dataset and a y.")
            X, y = _dataset_arrays(X)
        return super().fit(X, y)

    def _validate_input(self, X, *, reset: bool):
        """Float64 array (n, C, H, W); a table (n, d) becomes (n, d, 1, 1)."""
        if _is_torch_dataset(X):
            X, _ = _dataset_arrays(X)
        if hasattr(X, "detach"):  # a torch tensor, possibly on a GPU
            X = X.detach().cpu().numpy()
        if not hasattr(X, "columns") and not sparse.issparse(X):  # check_numeric takes those
            X = np.asarray(X)
        ndim = X.ndim
        if ndim == 2:
            # the shared table check names the offending column (NaN, text, duplicates)
            array = check_numeric(X, self, reset=reset)
            if not array.flags.writeable:  # a pandas copy-on-write view; torch shares memory
                array = array.copy()
            images = array.reshape(len(array), -1, 1, 1)
        elif ndim in (3, 4):
            array = check_array(X, allow_nd=True, dtype=np.float64, input_name="X",
                                ensure_all_finite=False)
            _check_finite_images(array)
            images = array[:, None] if ndim == 3 else array
            if reset:
                self.n_features_in_ = int(np.prod(images.shape[1:]))
                if hasattr(self, "feature_names_in_"):
                    del self.feature_names_in_
        else:
            raise ValueError(
                f"Expected 2D array (table), 3D (n, H, W) or 4D (n, C, H, W) images, got "
                f"{ndim}D array instead. Reshape your data either using array.reshape(-1, 1) "
                "if your data has a single feature or array.reshape(1, -1) if it contains a "
                "single sample.")
        shape = tuple(int(s) for s in images.shape[1:])
        if reset:
            self.input_shape_ = shape
        elif shape != tuple(self.input_shape_):
            raise ValueError(f"X has inputs of shape {shape} (channels, rows, cols), but "
                             f"{type(self).__name__} was fitted on shape "
                             f"{tuple(self.input_shape_)}.")
        return images

    def _resolve_device(self, torch):
        if self.device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        try:
            return torch.device(self.device)
        except RuntimeError:
            raise ValueError(f"device must be 'auto' or a torch device such as 'cpu' or "
                             f"'cuda:0'; got {self.device!r}.") from None

    def _validation_split(self, y, rng):
        """Stratified (train, validation) indices; no validation when a class is too small."""
        counts = np.bincount(y, minlength=len(self.classes_))
        if self.validation_fraction == 0 or counts.min() < MIN_CLASS_SIZE_FOR_VALIDATION:
            return np.arange(len(y)), np.arange(0)
        validation = []
        for k in range(len(self.classes_)):
            members = rng.permutation(np.flatnonzero(y == k))
            validation.append(members[:max(1, round(self.validation_fraction * len(members)))])
        validation = np.sort(np.concatenate(validation))
        return np.setdiff1d(np.arange(len(y)), validation), validation

    # -- training ------------------------------------------------------------
    def _log(self, message):
        if self.verbose:
            print(f"[ProtoPNetClassifier] {message}", file=sys.stderr, flush=True)

    def _fit(self, X, y):
        torch, nw = _torch_and_network()
        rng = make_rng(self.random_state)
        generator = torch.Generator().manual_seed(int(rng.integers(2**62)))
        device = self._resolve_device(torch)
        n_classes = len(self.classes_)
        prototype_class = np.repeat(np.arange(n_classes), self.prototypes_per_class)
        train, validation = self._validation_split(y, rng)
        images = torch.tensor(X, dtype=torch.float32, device=device)
        labels = torch.as_tensor(y, dtype=torch.long, device=device)
        x_train, y_train = images[train], labels[train]
        x_val, y_val = images[validation], labels[validation]

        net = nw.build_network(self.backbone, self.input_shape_, width=self.width,
                               prototype_dim=self.prototype_dim,
                               prototype_class=prototype_class, n_classes=n_classes,
                               generator=generator).to(device)
        self._network = net
        self._network_state = None
        self.latent_shape_ = nw.output_channels(net.backbone, self.input_shape_)[1:]
        self.history_ = {"warm_loss": [], "joint_loss": [], "joint_validation_accuracy": []}
        self.validation_accuracy_ = {}
        train_args = dict(batch_size=self.batch_size, learning_rate=self.learning_rate,
                          schedule=self.lr_schedule, generator=generator,
                          augment=self.augment,
                          loss_weights=dict(cluster_weight=self.cluster_weight,
                                            separation_weight=self.separation_weight,
                                            l1_weight=self.l1_weight))

        def network_accuracy(x, target):
            net.eval()  # a user backbone's batch norm must not learn from validation rows
            logits = nw.batched(lambda b: net(b)[0], x)
            return float((logits.argmax(1) == target).float().mean())

        def finish_stage(stage, sources=None, solved=False):
            self._set_stage_attributes(net, sources, images, solved)
            if len(validation):
                self.validation_accuracy_[stage] = network_accuracy(x_val, y_val)
            self._log(f"{stage} done; validation accuracy "
                      f"{self.validation_accuracy_.get(stage, float('nan')):.4f}")
            if self.callback is not None:
                self.callback(stage, self)

        nw.pretrain_backbone(net.backbone, x_train, y_train, n_classes=n_classes,
                             epochs=self.pretrain_epochs, batch_size=self.batch_size,
                             learning_rate=self.learning_rate, generator=generator,
                             augment=self.augment)
        # Start the prototypes on real own-class patches: drawn uniformly in [0, 1]^D they lie
        # far from the latent cloud, where every image is about equally similar to them.
        nw.push_prototypes(net, x_train, y_train)
        warm_parameters = [*net.add_on.parameters(), net.prototypes]
        nw.train_stage(net, warm_parameters, x_train, y_train, epochs=self.warm_epochs,
                       on_epoch=lambda e, loss: self.history_["warm_loss"].append(loss),
                       **train_args)
        finish_stage("warm")

        best = {"accuracy": -1.0, "state": None}
        tied_epochs = min(self.tied_epochs, self.joint_epochs)

        def select_epoch(epoch, loss, tied):
            self.history_["joint_loss"].append(loss)
            if not tied and self.push_every and (epoch + 1) % self.push_every == 0:
                nw.push_prototypes(net, x_train, y_train)
            if len(validation):
                accuracy = network_accuracy(x_val, y_val)
                self.history_["joint_validation_accuracy"].append(accuracy)
                if accuracy > best["accuracy"]:
                    best.update(accuracy=accuracy, state=copy.deepcopy(net.state_dict()))

        # One learning-rate schedule over all joint epochs: the tied ones come last, at the
        # small steps of its end (restarted at full size, they lost 2 to 3 validation points
        # on MNIST-5k before recovering).
        split = (self.joint_epochs - tied_epochs) / max(self.joint_epochs, 1)
        nw.train_stage(net, net.parameters(), x_train, y_train,
                       epochs=self.joint_epochs - tied_epochs, window=(0.0, split),
                       on_epoch=lambda e, loss: select_epoch(e, loss, False), **train_args)
        if best["state"] is not None:
            net.load_state_dict(best["state"])
        if tied_epochs:
            # Go on from the best free network with every prototype tied to the patch it is
            # pushed onto; the epoch is then chosen among tied networks only, each of which
            # has real training patches as prototypes, so the final push moves (almost) nothing.
            sources = nw.push_prototypes(net, x_train, y_train)
            used, index = np.unique(sources[:, 0], return_inverse=True)
            net.tie_prototypes(x_train[torch.as_tensor(used, device=device)],
                               np.column_stack([index, sources[:, 1:]]))
            best.update(accuracy=-1.0, state=None)
            nw.train_stage(net, [p for name, p in net.named_parameters() if name != "prototypes"],
                           x_train, y_train, epochs=tied_epochs, window=(split, 1.0),
                           on_epoch=lambda e, loss: select_epoch(e, loss, True), **train_args)
            if best["state"] is not None:
                net.load_state_dict(best["state"])  # the tie is kept: the state is the weights
        finish_stage("joint")

        net.eval()
        net.untie_prototypes()
        sources = nw.push_prototypes(net, x_train, y_train)
        sources[:, 0] = train[sources[:, 0]]
        finish_stage("push", sources)

        self.last_layer_anchor_ = (net.last_layer.weight.detach().double().cpu().numpy()
                                   if self.last_layer_anchor == "network" else None)
        self._solve_last_layer(net, x_train, y_train)
        finish_stage("last_layer", sources, solved=True)

        if self.prune:
            drop = nw.prune_candidates(net, x_train, y_train, k=self.prune_k,
                                       min_own=self.prune_min_own)
            classes = net.prototype_class.cpu().numpy()
            for k in range(n_classes):  # never prune a class away entirely
                if drop[classes == k].all():
                    drop[np.flatnonzero(classes == k)[0]] = False
            if drop.any():
                nw.keep_prototypes(net, ~drop)
                sources = sources[~drop]
                if self.last_layer_anchor_ is not None:
                    self.last_layer_anchor_ = self.last_layer_anchor_[:, ~drop]
                self._solve_last_layer(net, x_train, y_train)
            self._log(f"pruned {int(drop.sum())} prototype(s)")
            finish_stage("prune", sources, solved=True)
        net.eval()
        return self

    def _set_stage_attributes(self, net, sources, images, solved):
        """Fitted attributes for the current network (so a stage callback can predict).

        Before push the prototypes have no source (-1) and no push distance (NaN);
        before the convex solve the connections are the network's own.
        """
        _, nw = _torch_and_network()
        self.prototype_class_ = net.prototype_class.cpu().numpy().astype(np.int64)
        if not solved:
            self.last_layer_weights_ = net.last_layer.weight.detach().double().cpu().numpy()
        if sources is None:
            n_prototypes = len(self.prototype_class_)
            self.prototype_sources_ = np.full((n_prototypes, 3), -1, dtype=np.int64)
            self.push_distances_ = np.full(n_prototypes, np.nan)
            return
        self.prototype_sources_ = sources
        self.push_distances_ = nw.source_patch_distances(net, images, sources)
        source_images = images[sources[:, 0]]
        self.prototype_images_ = source_images.cpu().numpy()
        maps = self._upsampled_similarity_maps(net, source_images)
        self.prototype_boxes_ = np.array(
            [activation_box(maps[j, j]) for j in range(len(sources))], dtype=np.int64)

    def _solve_last_layer(self, net, x_train, y_train):
        torch, nw = _torch_and_network()
        features = nw.similarities(net, x_train)
        target = y_train.cpu().numpy()
        own = _last_layer.own_class_mask(net.prototype_class.cpu().numpy(), len(self.classes_))
        options = dict(l1=self.l1_weight, l2=self.last_layer_l2, anchor=self.last_layer_anchor_)
        weights, certificate = _last_layer.solve_last_layer(features, target, own, **options)
        if self.last_layer_solver == "cvxpy":
            cvx_weights = _last_layer.solve_last_layer_cvxpy(features, target, own, **options)
            objective = _last_layer.last_layer_objective(cvx_weights, features, target, own,
                                                         **options)
            # CLARABEL's answer, with the bound proven at the L-BFGS point (the tighter one).
            weights = cvx_weights
            certificate = Certificate(
                "optimal" if objective - certificate.lower_bound <= 1e-6 * max(1, objective)
                else "heuristic", objective, min(certificate.lower_bound, objective),
                certificate.nodes, certificate.seconds)
        self.certificate_ = certificate
        self.last_layer_weights_ = weights
        with torch.no_grad():
            net.last_layer.weight.copy_(torch.as_tensor(weights, dtype=net.last_layer.weight.dtype))
        self._log(f"last layer: {certificate}")

    # -- the network, built lazily after from_dict / load --------------------
    @property
    def network_(self):
        """The trained torch module (rebuilt from saved weights on first use)."""
        self._check_fitted()
        if getattr(self, "_network", None) is None:
            torch, nw = _torch_and_network()
            if self._custom_backbone and self.backbone is None:
                raise ValueError(
                    "This model was fitted with a custom backbone module, whose architecture is "
                    "not stored with it; pass that module before predicting: "
                    "model.set_params(backbone=my_backbone) or "
                    "ProtoPNetClassifier.load(path, backbone=my_backbone).")
            state_dict = {name: _tensor_from_json(torch, value)
                          for name, value in self._network_state.items()}
            net = nw.rebuild_network(self.backbone if self._custom_backbone else None,
                                     self.input_shape_, width=self.width,
                                     prototype_dim=self.prototype_dim,
                                     prototype_class=self.prototype_class_,
                                     n_classes=len(self.classes_), state_dict=state_dict)
            self._network = net.to(self._resolve_device(torch))
        return self._network

    @property
    def _custom_backbone(self) -> bool:
        return getattr(self, "_fitted_custom_backbone", self.backbone is not None)

    def _tensor(self, X):
        torch, _ = _torch_and_network()
        net = self.network_
        return torch.as_tensor(X, dtype=torch.float32, device=net.prototypes.device)

    def _similarities(self, X) -> np.ndarray:
        _, nw = _torch_and_network()
        return nw.similarities(self.network_, self._tensor(X))

    def _upsampled_similarity_maps(self, net, x) -> np.ndarray:
        """Similarity maps (n, P, H, W) upsampled (bilinear) to the input size."""
        torch, nw = _torch_and_network()
        maps = torch.as_tensor(nw.similarity_maps(net, x))
        size = tuple(self.input_shape_[1:])
        return torch.nn.functional.interpolate(maps, size=size, mode="bilinear",
                                               align_corners=False).numpy()

    # -- prediction ----------------------------------------------------------
    def _logits(self, X) -> np.ndarray:
        return self._similarities(X) @ self.last_layer_weights_.T

    def _predict_proba(self, X):
        return _softmax(self._logits(X))

    def decision_function(self, X) -> np.ndarray:
        """The logits (n, K); for two classes the margin ``logit_1 - logit_0`` (n,)."""
        self._check_fitted()
        logits = self._logits(self._validate_input(X, reset=False))
        return logits[:, 1] - logits[:, 0] if len(self.classes_) == 2 else logits

    def prototype_points(self, X) -> np.ndarray:
        """Points (n, P, K): similarity to prototype j times its connection to class k.

        Summed over prototypes they are the logits: ``decision_function(X)`` for
        three or more classes (for two, the difference of the two columns).
        """
        self._check_fitted()
        similarity = self._similarities(self._validate_input(X, reset=False))
        return similarity[:, :, None] * self.last_layer_weights_.T[None, :, :]

    # -- explanation ---------------------------------------------------------
    def explain(self, X, top: int = 3) -> Explanation:
        """Per row and class, the ``top`` prototypes with the most points.

        Each detail record holds the class, the prototype, its similarity,
        class connection and points, its source (image, patch row, patch col),
        the similarity map upsampled to the input (``activation_map``) and the
        box around its 95th percentile (``box`` = row0, row1, col0, col1).
        """
        self._check_fitted()
        return self._explain(self._validate_input(X, reset=False), top=top)

    def _explain(self, X, top: int = 3) -> Explanation:
        similarity = self._similarities(X)
        maps = self._upsampled_similarity_maps(self.network_, self._tensor(X))
        weights = self.last_layer_weights_
        logits = similarity @ weights.T
        rows, texts, details = [], [], []
        for i in range(len(X)):
            predicted = int(np.argmax(logits[i]))
            parts = []
            for k in range(len(self.classes_)):
                points = similarity[i] * weights[k]
                for rank, j in enumerate(np.argsort(-points, kind="stable")[:top]):
                    image, patch_row, patch_col = (int(v) for v in self.prototype_sources_[j])
                    parts.append({
                        "class": self.classes_[k], "rank": rank + 1, "prototype": int(j),
                        "prototype_class": self.classes_[self.prototype_class_[j]],
                        "similarity": float(similarity[i, j]), "connection": float(weights[k, j]),
                        "points": float(points[j]), "source_image": image,
                        "source_row": patch_row, "source_col": patch_col,
                        "box": activation_box(maps[i, j]), "activation_map": maps[i, j]})
            best = next(p for p in parts if p["class"] == self.classes_[predicted])
            rows.append({"row": i, "prediction": self.classes_[predicted],
                         "logit": float(logits[i, predicted]), "top_prototype": best["prototype"],
                         "top_similarity": best["similarity"], "top_points": best["points"]})
            reasons = [f"prototype {p['prototype']} (class {p['prototype_class']}, patch "
                       f"({p['source_row']}, {p['source_col']}) of training image "
                       f"{p['source_image']}): similarity {p['similarity']:.3g} x connection "
                       f"{p['connection']:+.3g} = {p['points']:+.3g} points"
                       for p in parts if p["class"] == self.classes_[predicted]]
            texts.append(f"Row {i}: predicted {self.classes_[predicted]} (logit "
                         f"{logits[i, predicted]:.3g}) because it looks like "
                         + "; ".join(reasons) + ".")
            details.append(parts)
        return Explanation(type(self).__name__, rows, texts, details)

    def plot(self, X, row: int = 0, top: int = 3, ax=None):
        """The "this looks like that" figure for one input row.

        One line per top prototype of the predicted class: the input with the
        prototype's activation and box, the prototype's source image with its
        box, and similarity x connection = points.

        Parameters
        ----------
        X : images accepted by ``predict``
        row : int
            Which row of ``X`` to draw.
        top : int
        ax : array of matplotlib Axes of shape (top, 3), optional
            Created (with a new figure) when None.

        Returns
        -------
        ax : ndarray of Axes (top, 3)
        """
        plt = import_optional("matplotlib.pyplot", purpose="ProtoPNetClassifier.plot")
        from matplotlib.patches import Rectangle

        images = self._validate_input(X, reset=False)
        if not 0 <= row < len(images):
            raise ValueError(f"row must be in [0, {len(images)}); got {row}.")
        explanation = self._explain(images[row:row + 1], top=top)
        predicted = explanation.rows[0]["prediction"]
        parts = [p for p in explanation.details[0] if p["class"] == predicted]
        if ax is None:
            _, ax = plt.subplots(len(parts), 3, figsize=(7.5, 2.4 * len(parts)), squeeze=False)
        ax = np.asarray(ax, dtype=object).reshape(len(parts), 3)

        def show(axis, image, box, title, overlay=None):
            picture = image.transpose(1, 2, 0) if image.shape[0] == 3 else image.mean(axis=0)
            axis.imshow(picture, cmap=None if image.shape[0] == 3 else "gray_r")
            if overlay is not None:
                axis.imshow(overlay, cmap="jet", alpha=0.35)
            r0, r1, c0, c1 = box
            axis.add_patch(Rectangle((c0 - 0.5, r0 - 0.5), c1 - c0, r1 - r0, fill=False,
                                     edgecolor="yellow", linewidth=2))
            axis.set_title(title, fontsize=9)
            axis.set_xticks([])
            axis.set_yticks([])

        for line, part in enumerate(parts):
            j = part["prototype"]
            show(ax[line, 0], images[row], part["box"], "this" if line == 0 else "",
                 overlay=part["activation_map"])
            show(ax[line, 1], self.prototype_images_[j], self.prototype_boxes_[j],
                 f"looks like prototype {j}\n(class {part['prototype_class']}, "
                 f"image {part['source_image']})")
            ax[line, 2].axis("off")
            ax[line, 2].text(0.0, 0.5, f"similarity {part['similarity']:.3g}\n"
                             f"x connection {part['connection']:+.3g}\n"
                             f"= {part['points']:+.3g} points", va="center")
        ax[0, 2].set_title(f"predicted {predicted}", fontsize=9)
        return ax

    # -- state, rendering, saving ---------------------------------------------
    def _to_state(self) -> dict:
        network = getattr(self, "_network", None)
        if getattr(self, "_skip_weights", False):
            weights = None
        elif network is not None:
            weights = {name: _tensor_to_json(t) for name, t in network.state_dict().items()}
        else:
            weights = {name: value if isinstance(value, dict) else _tensor_to_json(value)
                       for name, value in self._network_state.items()}
        return {
            "input_shape": list(self.input_shape_), "latent_shape": list(self.latent_shape_),
            "custom_backbone": self._custom_backbone,
            "prototype_class": self.prototype_class_, "prototype_sources": self.prototype_sources_,
            "push_distances": self.push_distances_, "prototype_boxes": self.prototype_boxes_,
            "prototype_images": {"shape": list(self.prototype_images_.shape),
                                 "values": self.prototype_images_.ravel()},
            "last_layer_weights": self.last_layer_weights_,
            "last_layer_anchor": self.last_layer_anchor_,
            "certificate": self.certificate_.to_dict(),
            "validation_accuracy": self.validation_accuracy_, "history": self.history_,
            "network": weights,
        }

    def _set_state(self, state: dict) -> None:
        self.input_shape_ = tuple(state["input_shape"])
        self.latent_shape_ = tuple(state["latent_shape"])
        self._fitted_custom_backbone = bool(state["custom_backbone"])
        self.prototype_class_ = np.asarray(state["prototype_class"], dtype=np.int64)
        self.prototype_sources_ = np.asarray(state["prototype_sources"], dtype=np.int64)
        self.push_distances_ = np.asarray(state["push_distances"], dtype=float)
        self.prototype_boxes_ = np.asarray(state["prototype_boxes"], dtype=np.int64)
        images = state["prototype_images"]
        self.prototype_images_ = np.asarray(images["values"], dtype=np.float32).reshape(
            images["shape"])
        self.last_layer_weights_ = np.asarray(state["last_layer_weights"], dtype=float)
        # Models saved before the anchor existed were solved with the zero-centred ridge.
        anchor = state.get("last_layer_anchor")
        self.last_layer_anchor_ = None if anchor is None else np.asarray(anchor, dtype=float)
        self.certificate_ = Certificate.from_dict(state["certificate"])
        self.validation_accuracy_ = dict(state["validation_accuracy"])
        self.history_ = dict(state["history"])
        self._network_state = state["network"]
        self._network = None

    def _render(self, state: dict) -> Rendering:
        classes = self.classes_
        rows, body = [], []
        weights = np.asarray(state["last_layer_weights"], dtype=float)
        channels, height, width = state["input_shape"]
        rows_latent, cols_latent = state["latent_shape"]
        tabular = (height, width) == (1, 1)  # each prototype is a whole training row
        row_values = np.reshape(state["prototype_images"]["values"], (-1, channels))
        for j, (k, (image, patch_row, patch_col)) in enumerate(
                zip(state["prototype_class"], state["prototype_sources"])):
            own = weights[k, j]
            others = np.delete(weights[:, j], k)
            strongest = float(others[np.argmax(np.abs(others))]) if len(others) else 0.0
            rows.append([j, classes[k], image, patch_row, patch_col,
                         float(state["push_distances"][j]), float(own), strongest])
            where = (f"training row {image} ({self._row_text(row_values[j])})" if tabular else
                     f"patch (row {patch_row}, col {patch_col}) of training image {image}")
            body.append(f"  prototype {j:>3}  class {classes[k]}: {where}; connection "
                        f"{own:+.3g} to its class, strongest other {strongest:+.3g}")
        header = [f"{len(rows)} prototypes for {len(classes)} classes; inputs {channels} x "
                  f"{height} x {width}, each compared with a {rows_latent} x {cols_latent} grid "
                  "of latent patches.",
                  "Logit of a class = sum over prototypes of similarity x connection, where "
                  "similarity = log((d + 1) / (d + 1e-4)) of the squared distance d to the "
                  "nearest patch."]
        footer = [f"Last layer: {Certificate.from_dict(state['certificate'])}"]
        if state["validation_accuracy"]:
            footer.append("Validation accuracy by stage: " + ", ".join(
                f"{stage} {value:.4f}" for stage, value in state["validation_accuracy"].items()))
        return Rendering(title="ProtoPNetClassifier", header=header, body=body, footer=footer,
                         columns=["prototype", "class", "source image", "patch row",
                                  "patch col", "push distance", "connection",
                                  "strongest other connection"], rows=rows)

    def _row_text(self, values, most: int = 8) -> str:
        """``name value, ...`` for a table row (the first ``most`` columns)."""
        names = getattr(self, "feature_names_in_", None)
        names = [str(n) for n in names] if names is not None else [
            f"x{i}" for i in range(len(values))]
        shown = ", ".join(f"{n} {float(v):.4g}" for n, v in zip(names[:most], values[:most]))
        return shown + (f", ... ({len(values) - most} more)" if len(values) > most else "")

    @contextlib.contextmanager
    def _without_weights(self):
        self._skip_weights = True
        try:
            yield
        finally:
            del self._skip_weights

    def save(self, path) -> None:
        """Write the model to ``path``: the torch state dict plus the JSON metadata.

        Read it back with :meth:`ProtoPNetClassifier.load`.
        """
        torch, _ = _torch_and_network()
        with self._without_weights():
            metadata = json.dumps(self.to_dict())
        state_dict = {name: t.detach().cpu() for name, t in self.network_.state_dict().items()}
        torch.save({"format": SAVE_FORMAT, "metadata": metadata, "state_dict": state_dict},
                   Path(path))

    @classmethod
    def load(cls, path, *, backbone=None) -> ProtoPNetClassifier:
        """Read a model written by :meth:`save`.

        Parameters
        ----------
        path : str or Path
        backbone : torch.nn.Module, optional
            Required when the model was fitted with a custom backbone: a module
            of the same architecture (its weights are replaced by the saved ones).
        """
        torch, _ = _torch_and_network()
        blob = torch.load(Path(path), map_location="cpu", weights_only=True)
        if not isinstance(blob, dict) or blob.get("format") != SAVE_FORMAT:
            raise ValueError(f"{path} was not written by ProtoPNetClassifier.save.")
        data = json.loads(blob["metadata"])
        data["state"]["network"] = blob["state_dict"]
        model = cls.from_dict(data)
        if backbone is not None:
            model.set_params(backbone=backbone)
        return model


__all__ = ["ProtoPNetClassifier", "activation_box"]
