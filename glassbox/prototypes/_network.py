"""The torch side of ProtoPNetClassifier: network, training stages, push, pruning.

Imported lazily (it imports torch at module level) by
:mod:`glassbox.prototypes._estimator` through ``glassbox._deps.import_optional``.
"""

from __future__ import annotations

import contextlib
import copy
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# Similarity log((d + 1) / (d + EPSILON)): large for near patches, bounded by log(1/EPSILON).
EPSILON = 1e-4
PREDICT_BATCH = 512


def reset_parameters(module: nn.Module, generator: torch.Generator) -> None:
    """Re-draw conv / linear weights from a local generator.

    Convolutions get He initialization (normal, fan-in, ReLU gain), which keeps
    the scale of activations through the ReLU layers. Torch's default (uniform,
    a = sqrt(5)) shrinks it about 2.5 times per layer: after four layers the
    sigmoid latent patches of a fresh network are all 0.5 +- 0.03, every patch is
    about equally far from every prototype, and the prototype layer learns very
    slowly (MNIST: 0.66 validation accuracy after 10 epochs instead of 0.9+).
    Linear layers keep torch's default; biases are drawn as torch's defaults do.
    """
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d):
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu", generator=generator)
        elif isinstance(layer, nn.Linear):
            nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            if layer.bias is not None:
                fan_in = layer.weight[0].numel()
                bound = 1 / math.sqrt(fan_in)
                with torch.no_grad():
                    layer.bias.uniform_(-bound, bound, generator=generator)


def default_backbone(input_shape, width: int) -> nn.Sequential:
    """A small CNN sized from the input: 3x3 convs, pooled down to at most 7x7 patches.

    Grids of height or width below 3 use kernel size 1 along that axis, so a
    (d, 1, 1) "image" (a table row) gets a small multilayer perceptron. Inputs
    larger than 14 are pooled right after the first conv: the wider convs then
    run at a quarter of the pixels (for 28 x 28 images a third of the
    multiply-adds of convolving at full size, at the same accuracy). Inputs
    pooled at all get two more convs on the final grid (when it is at least
    3 x 3).
    """
    channels, height, width_px = input_shape
    kernel = (3 if height >= 3 else 1, 3 if width_px >= 3 else 1)
    padding = (kernel[0] // 2, kernel[1] // 2)

    def block(c_in, c_out):
        return [nn.Conv2d(c_in, c_out, kernel, padding=padding), nn.ReLU()]

    layers = block(channels, width)
    size = max(height, width_px)
    if size > 14:
        layers.append(nn.MaxPool2d(2, ceil_mode=True))
        size = math.ceil(size / 2)
    layers += block(width, 2 * width)
    large = size > 7
    while size > 7:
        layers.append(nn.MaxPool2d(2, ceil_mode=True))
        size = math.ceil(size / 2)
        if size > 7:
            layers += block(2 * width, 2 * width)
    if large and size >= 3:
        # Two more convs on the pooled grid widen each latent patch's receptive field (28 x
        # 28: from 10 to 26 pixels, most of a digit) at a small cost; on MNIST-5k they
        # raised validation accuracy from 0.9375 to 0.9475, on digits test accuracy from
        # 0.967 to 0.978.
        layers += block(2 * width, 2 * width) + block(2 * width, 2 * width)
    return nn.Sequential(*layers)


def output_channels(backbone: nn.Module, input_shape) -> tuple[int, int, int]:
    """(channels, rows, cols) of the backbone's output for one input of ``input_shape``."""
    was_training = backbone.training
    backbone.eval()
    with torch.no_grad():
        device = next(iter(backbone.parameters()), torch.empty(0)).device
        out = backbone(torch.zeros((1, *input_shape), device=device))
    backbone.train(was_training)
    if out.ndim != 4:
        raise ValueError(f"The backbone must return a (batch, channels, rows, cols) feature map; "
                         f"it returned a tensor of shape {tuple(out.shape)}.")
    return tuple(int(s) for s in out.shape[1:])


class ProtoPNet(nn.Module):
    """backbone -> add-on 1x1 convs (sigmoid) -> prototype similarities -> last layer."""

    def __init__(self, backbone: nn.Module, backbone_channels: int, prototype_dim: int,
                 prototype_class: np.ndarray, n_classes: int):
        super().__init__()
        self.backbone = backbone
        self.add_on = nn.Sequential(
            nn.Conv2d(backbone_channels, prototype_dim, 1), nn.ReLU(),
            nn.Conv2d(prototype_dim, prototype_dim, 1), nn.Sigmoid())
        n_prototypes = len(prototype_class)
        self.prototypes = nn.Parameter(torch.zeros(n_prototypes, prototype_dim))
        self.last_layer = nn.Linear(n_prototypes, n_classes, bias=False)
        self.register_buffer("prototype_class", torch.as_tensor(prototype_class, dtype=torch.long))
        # Not persistent: the tie is a training device, never part of a saved model.
        self.register_buffer("tied_images", None, persistent=False)
        self.register_buffer("tied_sources", None, persistent=False)

    def latent(self, x):
        return self.add_on(self.backbone(x))

    def tie_prototypes(self, images, sources) -> None:
        """Make prototype j the latent patch (row, col) of training image j, as the net learns.

        ``images`` (m, C, H, W) holds the distinct source images and ``sources``
        (P, 3) gives, per prototype, the index into ``images``, the patch row and
        the patch col. While tied, :meth:`current_prototypes` recomputes every
        prototype from its source image with the current weights (gradients flow
        into the backbone through it), so the network trained is at every step
        one whose prototypes are real training patches: a push after tied
        training finds each prototype at distance 0 from its source.
        """
        self.tied_images = images
        self.tied_sources = torch.as_tensor(sources, dtype=torch.long, device=images.device)

    def untie_prototypes(self) -> None:
        """Store the tied prototypes as free parameters again (no-op when not tied)."""
        if self.tied_images is not None:
            with torch.no_grad():
                self.prototypes.copy_(self.current_prototypes().to(self.prototypes.dtype))
        self.tied_images = None
        self.tied_sources = None

    def current_prototypes(self):
        """The prototype vectors (P, D): the free parameters, or the tied source patches."""
        if self.tied_images is None:
            return self.prototypes
        latent = self.latent(self.tied_images.to(self.prototypes.dtype))
        image, row, col = self.tied_sources.unbind(dim=1)
        return latent[image, :, row, col]

    def distance_maps(self, z):
        """Squared L2 distance of every prototype to every latent patch, (n, P, rows, cols).

        Expanded as ||z||^2 - 2 z.p + ||p||^2 so that the cross term is one 1x1
        convolution instead of an (n, P, D, rows, cols) broadcast.
        """
        # In the dtype of z: float32 while training (a float64 pass cost ~15 % of an epoch),
        # float64 under float64_eval, which every prediction, push and explanation uses
        # because the expanded form cancels catastrophically near d = 0, exactly where the
        # similarity log((d + 1) / (d + 1e-4)) is most sensitive.
        prototypes = self.current_prototypes().to(z.dtype)
        z_sq = (z * z).sum(dim=1, keepdim=True)
        cross = F.conv2d(z, prototypes[:, :, None, None])
        p_sq = (prototypes * prototypes).sum(dim=1)[None, :, None, None]
        return F.relu(z_sq - 2 * cross + p_sq)

    @staticmethod
    def similarity(distance):
        return torch.log((distance + 1) / (distance + EPSILON))

    def forward(self, x):
        """Logits, the minimal distance of each prototype (n, P) and its similarity."""
        distances = self.distance_maps(self.latent(x))
        min_distance = distances.flatten(2).amin(dim=2)
        similarity = self.similarity(min_distance)
        logits = self.last_layer(similarity.to(self.last_layer.weight.dtype))
        return logits, min_distance, similarity


def build_network(backbone, input_shape, *, width, prototype_dim, prototype_class, n_classes,
                  generator):
    """A ProtoPNet with fresh add-on layers, prototypes in [0, 1] and the published last layer.

    A user backbone is deep-copied (the estimator never trains the object passed
    as a parameter) and keeps its weights; the default backbone is drawn from
    ``generator``.
    """
    if backbone is None:
        backbone = default_backbone(input_shape, width)
        reset_parameters(backbone, generator)
    else:
        backbone = copy.deepcopy(backbone)
    channels, _, _ = output_channels(backbone, input_shape)
    net = ProtoPNet(backbone, channels, prototype_dim, prototype_class, n_classes)
    reset_parameters(net.add_on, generator)
    with torch.no_grad():
        net.prototypes.copy_(torch.rand(net.prototypes.shape, generator=generator))
        own = net.prototype_class[None, :] == torch.arange(n_classes)[:, None]
        net.last_layer.weight.copy_(torch.where(own, 1.0, -0.5))
    return net


def rebuild_network(backbone, input_shape, *, width, prototype_dim, prototype_class,
                    n_classes, state_dict):
    """A ProtoPNet with the shapes of a saved one, loaded from its state dict."""
    if backbone is None:
        backbone = default_backbone(input_shape, width)
    else:
        backbone = copy.deepcopy(backbone)
    channels, _, _ = output_channels(backbone, input_shape)
    net = ProtoPNet(backbone, channels, prototype_dim, prototype_class, n_classes)
    net.load_state_dict(state_dict)
    net.eval()
    return net


def _own_mask(net):
    n_classes = net.last_layer.weight.shape[0]
    return net.prototype_class[None, :] == torch.arange(n_classes, device=net.prototypes.device)[:, None]


def prototype_loss(net, x, y, *, cluster_weight, separation_weight, l1_weight):
    """The published loss: CE + cluster - separation + L1 on wrong-class connections."""
    logits, min_distance, _ = net(x)
    own = net.prototype_class[None, :] == y[:, None]  # (batch, P)
    inf = torch.tensor(float("inf"), device=x.device)
    cluster = torch.where(own, min_distance, inf).amin(dim=1)
    separation = torch.where(own, inf, min_distance).amin(dim=1)
    wrong_weights = net.last_layer.weight[~_own_mask(net)]
    loss = F.cross_entropy(logits, y) + cluster_weight * cluster.mean()
    if torch.isfinite(separation).all():
        loss = loss - separation_weight * separation.mean()
    return loss + l1_weight * wrong_weights.abs().sum()


# Largest shift (pixels, each axis) of augment="shift" and "affine".
MAX_SHIFT = 2


def augment_batch(x, kind, generator):
    """A randomly moved copy of a training batch (n, C, H, W); ``kind`` None returns ``x``.

    ``"shift"`` moves each image by a whole number of pixels, up to
    ``MAX_SHIFT`` along each axis, filling with zeros (the background of the
    images this is meant for: strokes on a blank page). ``"affine"`` adds a
    rotation of up to 10 degrees and a scaling by 0.9 to 1.1 (bilinear
    resampling). Draws come from ``generator`` (reproducible). Only the
    training batches of the gradient steps are moved: push, the tied
    prototypes, validation and the last layer see the real images, so the
    prototypes stay real training patches.
    """
    if kind is None:
        return x
    n, _, height, width = x.shape
    shifts = torch.randint(-MAX_SHIFT, MAX_SHIFT + 1, (n, 2), generator=generator)
    if kind == "shift":
        # Gather from a zero-padded copy: row i of image k is row i - dy_k of the original.
        padded = F.pad(x, (MAX_SHIFT,) * 4)
        rows = (torch.arange(height)[None, :] + MAX_SHIFT - shifts[:, :1]).to(x.device)
        cols = (torch.arange(width)[None, :] + MAX_SHIFT - shifts[:, 1:]).to(x.device)
        index = torch.arange(n, device=x.device)[:, None, None]
        moved = padded.permute(0, 2, 3, 1)[index, rows[:, :, None], cols[:, None, :]]
        return moved.permute(0, 3, 1, 2).contiguous()
    angle = (torch.rand(n, generator=generator) * 2 - 1) * math.radians(10)
    scale = 0.9 + 0.2 * torch.rand(n, generator=generator)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    # affine_grid works in [-1, 1] coordinates: a shift of s pixels is 2 s / size.
    theta = torch.stack([torch.stack([cos, -sin, -2 * shifts[:, 1] / width], 1),
                         torch.stack([sin, cos, -2 * shifts[:, 0] / height], 1)], 1)
    grid = F.affine_grid(theta.to(x.device, x.dtype), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def train_stage(net, parameters, x, y, *, epochs, batch_size, learning_rate, generator,
                loss_weights, schedule="constant", window=(0.0, 1.0), on_epoch=None,
                augment=None):
    """Adam over ``parameters`` for ``epochs`` passes of shuffled mini-batches.

    ``schedule="cosine"`` anneals the step size from ``learning_rate`` to 0 over
    the stage's steps (a half cosine); ``"constant"`` keeps it. ``window``
    (start, end) is the part of that half cosine this call covers, so that two
    calls (the free and the tied joint epochs) share one schedule.
    ``augment`` moves each batch (:func:`augment_batch`).
    ``on_epoch(epoch, mean_loss)`` is called after each pass (model selection).
    """
    parameters = list(parameters)
    if epochs == 0 or not parameters:
        return
    optimizer = torch.optim.Adam(parameters, lr=learning_rate)
    n = len(y)
    if schedule == "cosine":
        total_steps = epochs * math.ceil(n / batch_size)
        begin, end = window
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 0.5 * (
            1 + math.cos(math.pi * (begin + (end - begin) * step / total_steps))))
    else:
        scheduler = None
    for epoch in range(epochs):
        net.train()
        order = torch.randperm(n, generator=generator).to(x.device)
        total = 0.0
        for start in range(0, n, batch_size):
            batch = order[start:start + batch_size]
            loss = prototype_loss(net, augment_batch(x[batch], augment, generator), y[batch],
                                  **loss_weights)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            total += float(loss.detach()) * len(batch)
        if on_epoch is not None:
            on_epoch(epoch, total / n)
    net.eval()


def pretrain_backbone(backbone, x, y, *, n_classes, epochs, batch_size, learning_rate,
                      generator, augment=None):
    """Train the backbone alone, through a temporary linear head, with cross-entropy.

    The paper starts from ImageNet-pretrained backbones; a backbone trained from
    scratch gets its features here instead, which a plain CNN learns in a few
    epochs, while the prototype layer (one patch per prototype and image gets a
    gradient) learns them slowly. The head is discarded.
    """
    if epochs == 0:
        return
    channels, rows, cols = output_channels(backbone, tuple(x.shape[1:]))
    head = nn.Linear(channels * rows * cols, n_classes).to(x.device)
    reset_parameters(head, generator)
    model = nn.Sequential(backbone, nn.Flatten(), head)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(y), generator=generator).to(x.device)
        for start in range(0, len(y), batch_size):
            batch = order[start:start + batch_size]
            loss = F.cross_entropy(model(augment_batch(x[batch], augment, generator)), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    backbone.eval()


@torch.no_grad()
def batched(fn, x, batch_size=PREDICT_BATCH):
    """Apply ``fn`` to ``x`` batch by batch, concatenating the results."""
    return torch.cat([fn(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])


@contextlib.contextmanager
def float64_eval(net):
    """Evaluate the network in float64 (exactly restored to its dtype afterwards).

    Float32 results depend on how rows are batched (blocked matrix products) by
    about 1e-7, enough to move predictions when the batch changes; in float64
    they agree to ~1e-15, so a row's prediction does not depend on its batch.
    """
    dtype = net.prototypes.dtype
    was_training = net.training
    net.eval()
    net.double()
    try:
        yield
    finally:
        net.to(dtype)  # float32 -> float64 -> float32 is exact
        net.train(was_training)


def similarities(net, x) -> np.ndarray:
    """Prototype similarities (n, P) as float64 numpy (the last layer's input)."""
    with float64_eval(net):
        return batched(lambda b: net(b.double())[2], x).cpu().numpy()


def similarity_maps(net, x) -> np.ndarray:
    """Similarity of every prototype to every latent patch, (n, P, rows, cols), float64."""
    with float64_eval(net):
        return batched(lambda b: net.similarity(net.distance_maps(net.latent(b.double()))), x
                       ).cpu().numpy()


def push_prototypes(net, x, y):
    """Replace each prototype by its nearest latent patch of an own-class training image.

    Greedy over (prototype, patch) pairs in order of distance, class by class:
    a patch whose latent vector is already used by another prototype (the same
    patch, or an identical vector such as a blank corner) is skipped, so the
    prototypes are distinct whenever a class has enough distinct patches. A
    prototype finds no free patch only then, and takes its nearest one.

    Returns
    -------
    sources : int ndarray (P, 3)
        Training image index (into ``x``), patch row, patch col.
    """
    with float64_eval(net):
        latent = batched(net.latent, x.double())  # (n, D, rows, cols)
    n, dim, rows, cols = latent.shape
    patches = latent.permute(0, 2, 3, 1).reshape(n, rows * cols, dim).double()
    prototypes = net.prototypes.detach().double()
    new_prototypes = prototypes.clone()
    sources = np.zeros((len(prototypes), 3), dtype=np.int64)
    chosen = []  # latent vectors already used, across classes
    y = y.cpu().numpy() if isinstance(y, torch.Tensor) else np.asarray(y)
    prototype_class = net.prototype_class.cpu().numpy()
    for k in np.unique(prototype_class):
        members = np.flatnonzero(prototype_class == k)
        images = np.flatnonzero(y == k)
        if len(images) == 0:
            raise ValueError(f"No training image of class index {k} to push its prototypes onto.")
        candidates = patches[torch.as_tensor(images, device=patches.device)].reshape(-1, dim)
        protos = prototypes[torch.as_tensor(members, device=prototypes.device)]
        distance = ((protos * protos).sum(1)[:, None] - 2 * protos @ candidates.T
                    + (candidates * candidates).sum(1)[None, :]).cpu().numpy()
        assigned: dict[int, int] = {}
        for flat in np.argsort(distance, axis=None, kind="stable"):
            proto, patch = divmod(int(flat), distance.shape[1])
            if proto in assigned:
                continue
            vector = candidates[patch]
            if any(bool(torch.equal(vector, other)) for other in chosen):
                continue
            assigned[proto] = patch
            chosen.append(vector)
            if len(assigned) == len(members):
                break
        for proto in range(len(members)):  # classes with too few distinct patches
            assigned.setdefault(proto, int(np.argmin(distance[proto])))
        for proto, patch in assigned.items():
            image, cell = divmod(patch, rows * cols)
            j = members[proto]
            sources[j] = (images[image], cell // cols, cell % cols)
            new_prototypes[j] = candidates[patch]
    with torch.no_grad():
        net.prototypes.copy_(new_prototypes.to(net.prototypes.dtype))
    return sources


def source_patch_distances(net, x, sources) -> np.ndarray:
    """Squared distance of each prototype to the latent patch it was pushed onto (float64)."""
    with torch.no_grad(), float64_eval(net):
        latent = net.latent(x[torch.as_tensor(sources[:, 0], device=x.device)].double())
        picked = latent[torch.arange(len(sources)), :, sources[:, 1], sources[:, 2]]
        return ((picked - net.prototypes.double()) ** 2).sum(1).cpu().numpy()


def prune_candidates(net, x, y, *, k, min_own) -> np.ndarray:
    """Prototypes whose ``k`` nearest training images have fewer than ``min_own`` of its class.

    The distance of an image to a prototype is that of its nearest patch, so
    the ``k`` neighbours are ``k`` different images (as in the paper's pruning).
    """
    net.eval()
    min_distance = batched(lambda b: net(b)[1], x).cpu()
    nearest = torch.topk(min_distance, k=min(k, len(x)), dim=0, largest=False).indices  # (k, P)
    y = torch.as_tensor(np.asarray(y.cpu() if isinstance(y, torch.Tensor) else y))
    own = (y[nearest] == net.prototype_class.cpu()[None, :]).sum(0)
    return (own < min_own).numpy()


def keep_prototypes(net, keep: np.ndarray) -> None:
    """Drop the prototypes (and their last-layer columns) where ``keep`` is False."""
    index = torch.as_tensor(np.flatnonzero(keep), device=net.prototypes.device)
    with torch.no_grad():
        net.prototypes = nn.Parameter(net.prototypes[index].clone())
        weight = net.last_layer.weight[:, index].clone()
        net.last_layer = nn.Linear(len(index), weight.shape[0], bias=False).to(weight.device)
        net.last_layer.weight.copy_(weight)
        net.prototype_class = net.prototype_class[index].clone()
