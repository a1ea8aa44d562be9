"""ProtoPNetClassifier: exact properties of push, points, boxes, the convex last layer."""

import json
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sklearn.datasets import load_digits  # noqa: E402

import glassbox  # noqa: E402
from glassbox.prototypes import (  # noqa: E402
    ProtoPNetClassifier,
    _last_layer,
    _network,
    activation_box,
)

SMALL = dict(prototypes_per_class=3, prototype_dim=8, width=8, warm_epochs=1, joint_epochs=6,
             push_every=3, tied_epochs=2, batch_size=64, learning_rate=1e-2)
# For tests about the pipeline rather than accuracy: two epochs, free prototypes to the end.
TWO_EPOCHS = dict(SMALL, warm_epochs=0, joint_epochs=2, push_every=1, tied_epochs=0)


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    """Tiny nets: extra intra-op threads only add synchronisation on a shared machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def digits3():
    """Digits 0, 1 and 2 as (n, 8, 8) images in [0, 1]."""
    digits = load_digits()
    keep = digits.target < 3
    return digits.images[keep] / 16.0, digits.target[keep]


@pytest.fixture(scope="module")
def fitted(digits3):
    X, y = digits3
    return ProtoPNetClassifier(**SMALL, random_state=0).fit(X[:300], y[:300])


def test_import_does_not_load_torch():
    code = ("import sys, glassbox, glassbox.prototypes; "
            "assert 'torch' not in sys.modules, 'torch imported'; "
            "assert 'matplotlib' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_learns_digits(fitted, digits3):
    X, y = digits3
    assert fitted.score(X[300:], y[300:]) >= 0.9
    assert fitted.prototype_class_.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert set(fitted.validation_accuracy_) == {"warm", "joint", "push", "last_layer"}


def test_points_sum_to_logits(fitted, digits3):
    X, _ = digits3
    points = fitted.prototype_points(X[300:340])
    assert points.shape == (40, 9, 3)
    np.testing.assert_allclose(points.sum(axis=1), fitted.decision_function(X[300:340]),
                               rtol=0, atol=1e-5)
    proba = fitted.predict_proba(X[300:340])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (fitted.classes_[points.sum(axis=1).argmax(1)] == fitted.predict(X[300:340])).all()


def test_binary_decision_function_is_the_logit_margin(digits3):
    X, y = digits3
    binary = y < 2
    model = ProtoPNetClassifier(**SMALL, random_state=1).fit(X[binary][:200], y[binary][:200])
    points = model.prototype_points(X[binary][200:230])
    margin = points[:, :, 1].sum(1) - points[:, :, 0].sum(1)
    np.testing.assert_allclose(model.decision_function(X[binary][200:230]), margin, atol=1e-5)
    assert model.score(X[binary][200:], y[binary][200:]) >= 0.95


def assert_real_own_class_patches(model, X, y):
    """Each prototype is the latent patch of the (un-moved) training image it names."""
    net = model.network_
    sources = model.prototype_sources_
    images = torch.tensor(X[sources[:, 0]][:, None], dtype=torch.float32)
    with torch.no_grad(), _network.float64_eval(net):
        latent = net.latent(images.double())
    for j, (image, row, col) in enumerate(sources):
        assert y[image] == model.classes_[model.prototype_class_[j]]
        patch = latent[j, :, row, col].numpy()
        np.testing.assert_allclose(net.prototypes[j].detach().double().numpy(), patch,
                                   rtol=0, atol=1e-6)
    assert np.all(model.push_distances_ < 1e-10)
    # Distinct: no two prototypes share a source patch or a latent vector.
    assert len({tuple(s) for s in sources.tolist()}) == len(sources)
    vectors = net.prototypes.detach().numpy()
    assert len(np.unique(vectors, axis=0)) == len(vectors)
    np.testing.assert_array_equal(model.prototype_images_[:, 0], X[sources[:, 0]])


def test_pushed_prototypes_are_real_own_class_patches(fitted, digits3):
    X, y = digits3
    assert_real_own_class_patches(fitted, X[:300], y[:300])


def test_augment_moves_training_batches_only(digits3):
    generator = torch.Generator().manual_seed(0)
    images = torch.rand((40, 2, 9, 11), generator=generator)
    moved = _network.augment_batch(images, "shift", generator)
    padded = torch.nn.functional.pad(images, (2, 2, 2, 2))
    seen = set()
    for k in range(len(images)):  # each image is its own copy moved by (dy, dx), zero-filled
        matches = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                   if torch.equal(moved[k], padded[k, :, 2 - dy:11 - dy, 2 - dx:13 - dx])]
        assert len(matches) == 1
        seen.add(matches[0])
    assert len(seen) > 10  # the shifts vary from image to image
    assert _network.augment_batch(images, None, generator) is images
    again = [_network.augment_batch(images, "affine", torch.Generator().manual_seed(3))
             for _ in range(2)]
    assert again[0].shape == images.shape and torch.equal(again[0], again[1])
    assert not torch.allclose(again[0], images, atol=1e-3)

    # With moved training batches, push still uses the real images: the prototypes are real
    # patches of the training images as given, and the tied epochs keep push lossless.
    X, y = digits3
    logits = {}
    model = ProtoPNetClassifier(
        **dict(TWO_EPOCHS, joint_epochs=3, tied_epochs=2), augment="shift", random_state=2,
        callback=lambda stage, m: logits.setdefault(stage, m.decision_function(X[200:240]))
    ).fit(X[:200], y[:200])
    assert_real_own_class_patches(model, X[:200], y[:200])
    np.testing.assert_allclose(logits["push"], logits["joint"], rtol=0, atol=1e-3)
    plain = ProtoPNetClassifier(**dict(TWO_EPOCHS, joint_epochs=3, tied_epochs=2),
                                random_state=2).fit(X[:200], y[:200])
    assert not np.allclose(plain.decision_function(X[200:240]),
                           model.decision_function(X[200:240]))


def test_explain_boxes_contain_activation_peaks(fitted, digits3):
    X, _ = digits3
    explanation = fitted.explain(X[300:305], top=2)
    assert len(explanation) == 5
    frame = explanation.to_frame()
    assert list(frame["prediction"]) == list(fitted.predict(X[300:305]))
    for parts in explanation.details:
        assert len(parts) == 3 * 2  # per class, the top 2 prototypes
        for part in parts:
            activation = part["activation_map"]
            assert activation.shape == (8, 8)
            peak_row, peak_col = np.unravel_index(np.argmax(activation), activation.shape)
            r0, r1, c0, c1 = part["box"]
            assert r0 <= peak_row < r1 and c0 <= peak_col < c1
            assert part["points"] == pytest.approx(part["similarity"] * part["connection"])
    assert "looks like prototype" in explanation.texts[0]
    for j, box in enumerate(fitted.prototype_boxes_):
        assert 0 <= box[0] < box[1] <= 8 and 0 <= box[2] < box[3] <= 8, (j, box)


def test_activation_box():
    activation = np.zeros((6, 5))
    activation[2:4, 1:3] = 1.0
    assert activation_box(activation) == (2, 4, 1, 3)
    assert activation_box(np.ones((3, 4))) == (0, 3, 0, 4)


def _last_layer_problem(seed, n=80, per_class=4, n_classes=3):
    rng = np.random.default_rng(seed)
    prototype_class = np.repeat(np.arange(n_classes), per_class)
    y = rng.integers(0, n_classes, n)
    features = rng.random((n, len(prototype_class))) * 3
    features += 2 * (prototype_class[None, :] == y[:, None]) * rng.random((n, 1))
    return features, y, _last_layer.own_class_mask(prototype_class, n_classes)


@pytest.mark.parametrize("seed, anchored", [(0, False), (1, False), (0, True)])
def test_convex_last_layer_matches_cvxpy_and_beats_adam(seed, anchored):
    features, y, own = _last_layer_problem(seed)
    options = dict(l1=1e-2, l2=1e-2 if anchored else 1e-3,
                   anchor=np.where(own, 2.0, -0.3) if anchored else None)
    weights, certificate = _last_layer.solve_last_layer(features, y, own, **options)
    assert certificate.status == "optimal"
    objective = _last_layer.last_layer_objective(weights, features, y, own, **options)
    assert objective == pytest.approx(certificate.objective, abs=1e-12)
    adam = _last_layer.adam_last_layer(features, y, own, epochs=20, **options)
    assert objective < _last_layer.last_layer_objective(adam, features, y, own, **options)
    pytest.importorskip("cvxpy")
    reference = _last_layer.solve_last_layer_cvxpy(features, y, own, **options)
    reference_objective = _last_layer.last_layer_objective(reference, features, y, own, **options)
    # The certificate's lower bound is valid, and L-BFGS-B is at least as good as CLARABEL.
    assert certificate.lower_bound <= reference_objective + 1e-9
    assert objective <= reference_objective + 1e-7
    np.testing.assert_allclose(weights, reference, atol=1e-3)


def test_anchor_pulls_the_last_layer():
    features, y, own = _last_layer_problem(0)
    anchor = np.where(own, 2.0, -0.3)
    # A strong ridge keeps the anchor; the zero-centred problem has another optimum.
    strong, _ = _last_layer.solve_last_layer(features, y, own, l1=1e-2, l2=1e3, anchor=anchor)
    np.testing.assert_allclose(strong, anchor, atol=1e-3)
    anchored, _ = _last_layer.solve_last_layer(features, y, own, l1=1e-2, l2=1e-2, anchor=anchor)
    plain, _ = _last_layer.solve_last_layer(features, y, own, l1=1e-2, l2=1e-2)
    assert np.abs(plain - anchored).max() > 0.1


@pytest.mark.parametrize("anchor", ["zero", "network"])
def test_fitted_last_layer_beats_adam_on_its_own_objective(digits3, anchor):
    X, y = digits3
    joint = {}
    model = ProtoPNetClassifier(
        **SMALL, validation_fraction=0.0, last_layer_anchor=anchor, random_state=2,
        callback=lambda stage, m: joint.setdefault(stage, m.last_layer_weights_.copy())
    ).fit(X[:200], y[:200])
    assert model.validation_accuracy_ == {}
    if anchor == "network":  # the connections the network learned, before the solve
        np.testing.assert_array_equal(model.last_layer_anchor_, joint["push"])
        assert not np.allclose(model.last_layer_weights_, joint["push"])
        restored = glassbox.from_dict(json.loads(json.dumps(model.to_dict())))
        np.testing.assert_array_equal(restored.last_layer_anchor_, model.last_layer_anchor_)
    else:
        assert model.last_layer_anchor_ is None
    features = model._similarities(X[:200, None])
    own = _last_layer.own_class_mask(model.prototype_class_, 3)
    options = dict(l1=model.l1_weight, l2=model.last_layer_l2, anchor=model.last_layer_anchor_)
    ours = _last_layer.last_layer_objective(model.last_layer_weights_, features, y[:200], own,
                                            **options)
    adam = _last_layer.adam_last_layer(features, y[:200], own, epochs=20, **options)
    assert ours < _last_layer.last_layer_objective(adam, features, y[:200], own, **options)
    assert ours == pytest.approx(model.certificate_.objective, rel=1e-9)
    assert model.certificate_.status == "optimal"
    assert model.certificate_.lower_bound <= ours


def test_random_state_reproduces_and_varies(digits3):
    X, y = digits3
    first = ProtoPNetClassifier(**TWO_EPOCHS, random_state=3).fit(X[:200], y[:200])
    second = ProtoPNetClassifier(**TWO_EPOCHS, random_state=3).fit(X[:200], y[:200])
    other = ProtoPNetClassifier(**TWO_EPOCHS, random_state=4).fit(X[:200], y[:200])
    np.testing.assert_array_equal(first.decision_function(X[200:]),
                                  second.decision_function(X[200:]))
    np.testing.assert_array_equal(first.prototype_sources_, second.prototype_sources_)
    assert not np.array_equal(first.decision_function(X[200:]), other.decision_function(X[200:]))


def test_round_trips(fitted, digits3, tmp_path):
    X, _ = digits3
    expected = fitted.decision_function(X[300:])
    rebuilt = glassbox.from_dict(json.loads(json.dumps(fitted.to_dict())))
    np.testing.assert_array_equal(rebuilt.decision_function(X[300:]), expected)
    np.testing.assert_array_equal(rebuilt.prototype_sources_, fitted.prototype_sources_)
    assert str(rebuilt) == str(fitted)
    fitted.save(tmp_path / "model.pt")
    loaded = ProtoPNetClassifier.load(tmp_path / "model.pt")
    np.testing.assert_array_equal(loaded.decision_function(X[300:]), expected)
    np.testing.assert_array_equal(loaded.prototype_boxes_, fitted.prototype_boxes_)
    # A loaded model serializes again (its weights come from the torch file).
    again = glassbox.from_dict(loaded.to_dict())
    np.testing.assert_array_equal(again.decision_function(X[300:]), expected)


def test_text_describes_prototypes(fitted):
    text = str(fitted)
    image, row, col = fitted.prototype_sources_[4]
    assert f"patch (row {row}, col {col}) of training image {image}" in text
    assert "certified optimal" in text
    frame = fitted.to_frame()
    assert len(frame) == 9 and (frame["push distance"] < 1e-10).all()


class _TinyBackbone(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 16, 3, padding=1)
        _network.reset_parameters(self, torch.Generator().manual_seed(0))

    def forward(self, x):
        return torch.nn.functional.max_pool2d(torch.relu(self.conv(x)), 2)


def test_custom_backbone_and_dataset_input(digits3, tmp_path):
    X, y = digits3
    backbone = _TinyBackbone()
    before = backbone.conv.weight.detach().clone()
    dataset = torch.utils.data.TensorDataset(torch.tensor(X[:150, None], dtype=torch.float32),
                                             torch.tensor(y[:150]))
    model = ProtoPNetClassifier(**dict(SMALL, batch_size=16), backbone=backbone,
                                random_state=0).fit(dataset)
    assert torch.equal(backbone.conv.weight, before)  # the parameter is never trained
    assert model.latent_shape_ == (4, 4)
    assert model.score(X[150:, None], y[150:]) > 0.7  # one conv layer, 150 images
    with pytest.raises(ValueError, match="y=None"):
        ProtoPNetClassifier(**SMALL).fit(dataset, y[:150])
    data = model.to_dict()
    assert "backbone" in data["unsaved_params"]
    rebuilt = glassbox.from_dict(data)
    with pytest.raises(ValueError, match="custom backbone"):
        rebuilt.predict(X[:5])
    model.save(tmp_path / "custom.pt")
    loaded = ProtoPNetClassifier.load(tmp_path / "custom.pt", backbone=_TinyBackbone())
    np.testing.assert_array_equal(loaded.decision_function(X[150:]),
                                  model.decision_function(X[150:]))


def test_tied_epochs_make_the_final_push_lossless(digits3):
    X, y = digits3
    logits, tied = {}, {}

    def record(stage, model):
        logits[stage] = model.decision_function(X[200:260])
        tied[stage] = model.network_.tied_images is not None

    model = ProtoPNetClassifier(**dict(TWO_EPOCHS, joint_epochs=3, tied_epochs=2),
                                random_state=5, callback=record).fit(X[:200], y[:200])
    # Before push the network was still tied to its sources; push found every prototype on
    # its source patch, so the network's scores did not move (the prototypes went through
    # float32 once: the similarity near distance 0 amplifies that rounding a little).
    assert tied == {"warm": False, "joint": True, "push": False, "last_layer": False}
    assert np.abs(logits["joint"]).max() > 1
    np.testing.assert_allclose(logits["push"], logits["joint"], rtol=0, atol=1e-3)
    np.testing.assert_array_equal(logits["push"].argmax(1), logits["joint"].argmax(1))
    assert model.validation_accuracy_["push"] == model.validation_accuracy_["joint"]
    assert np.all(model.push_distances_ < 1e-10)
    assert len(model.history_["joint_validation_accuracy"]) == 3
    # The tie is a training device: nothing of it is saved.
    assert not any(name.startswith("tied") for name in model.network_.state_dict())


def test_pruning_keeps_every_class(digits3):
    X, y = digits3
    model = ProtoPNetClassifier(**TWO_EPOCHS, prune=True, prune_k=5, prune_min_own=6,
                                random_state=0).fit(X[:200], y[:200])
    # min_own > k prunes everything it may: one prototype per class remains.
    assert sorted(model.prototype_class_.tolist()) == [0, 1, 2]
    assert model.last_layer_weights_.shape == (3, 3)
    assert model.prototype_points(X[:4]).shape == (4, 3, 3)
    assert "prune" in model.validation_accuracy_


def test_tables_are_one_pixel_images():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 0.3, (40, 4)), rng.normal(2, 0.3, (40, 4))])
    y = np.repeat(["a", "b"], 40)
    model = ProtoPNetClassifier._test_instance().fit(X, y)
    assert model.input_shape_ == (4, 1, 1) and model.latent_shape_ == (1, 1)
    assert model.score(X, y) == 1.0
    # A prototype is a whole training row, and the text shows its values.
    assert (model.prototype_sources_[:, 1:] == 0).all()
    source = model.prototype_sources_[0, 0]
    assert f"x0 {X[source, 0]:.4g}, x1 {X[source, 1]:.4g}" in str(model)


def test_bad_inputs(fitted, digits3):
    X, y = digits3
    with pytest.raises(ValueError, match="got 5D array"):
        ProtoPNetClassifier(**SMALL).fit(np.zeros((4, 1, 1, 8, 8)), [0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"shape \(1, 6, 6\).*fitted on shape \(1, 8, 8\)"):
        fitted.predict(np.zeros((2, 6, 6)))
    with pytest.raises(ValueError, match="NaN"):
        bad = X[:20].copy()
        bad[3, 2, 2] = np.nan
        ProtoPNetClassifier(**SMALL).fit(bad, y[:20])
    with pytest.raises(ValueError, match="device must be"):
        ProtoPNetClassifier(**SMALL, device="no-such-device").fit(X[:30], y[:30])
    with pytest.raises(ValueError, match="prototypes_per_class"):
        ProtoPNetClassifier(prototypes_per_class=0).fit(X[:30], y[:30])

    class FlatBackbone(torch.nn.Module):
        def forward(self, x):
            return x.flatten(1)

    with pytest.raises(ValueError, match="feature map"):
        ProtoPNetClassifier(**SMALL, backbone=FlatBackbone()).fit(X[:30], y[:30])
    with pytest.raises(ValueError, match="row must be"):
        fitted.plot(X[:2], row=5)


def test_plot_draws_this_looks_like_that(fitted, digits3):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X, _ = digits3
    ax = fitted.plot(X[300:301], top=2)
    assert ax.shape == (2, 3)
    assert "predicted" in ax[0, 2].get_title()
    plt.close("all")


def test_cosine_schedule_and_28px_backbone():
    """The cosine schedule anneals the step size to 0; 28 x 28 inputs get a 7 x 7 latent grid
    whose patches see 26 x 26 pixels (two convs after the second pool)."""
    backbone = _network.default_backbone((1, 28, 28), 4)
    assert _network.output_channels(backbone, (1, 28, 28)) == (8, 7, 7)
    _network.reset_parameters(backbone, torch.Generator().manual_seed(0))
    x = torch.rand((1, 1, 28, 28), generator=torch.Generator().manual_seed(1),
                   requires_grad=True)
    backbone(x)[0, :, 3, 3].sum().backward()  # receptive field of the centre patch
    rows = np.flatnonzero(x.grad[0, 0].abs().sum(1).numpy() > 0)
    assert rows[-1] - rows[0] + 1 > 18  # 10 pixels with the two convs before the second pool

    generator = torch.Generator().manual_seed(0)
    net = _network.build_network(None, (1, 8, 8), width=4, prototype_dim=4,
                                 prototype_class=np.repeat(np.arange(2), 2), n_classes=2,
                                 generator=generator)
    images = torch.rand((32, 1, 8, 8), generator=generator)
    labels = torch.arange(32) % 2
    rates = []
    original = torch.optim.Adam.step

    def record(optimizer, *args, **kwargs):
        rates.append(optimizer.param_groups[0]["lr"])
        return original(optimizer, *args, **kwargs)

    loss_weights = dict(cluster_weight=0.8, separation_weight=0.08, l1_weight=1e-4)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(torch.optim.Adam, "step", record)
        _network.train_stage(net, net.parameters(), images, labels, epochs=2, batch_size=8,
                             learning_rate=0.1, generator=generator, loss_weights=loss_weights,
                             schedule="cosine")
    assert len(rates) == 8 and rates[0] == pytest.approx(0.1)
    assert all(a > b for a, b in zip(rates, rates[1:]))
    assert rates[-1] == pytest.approx(0.1 * 0.5 * (1 + np.cos(np.pi * 7 / 8)))
    # A window continues one schedule over two calls (the free, then the tied joint epochs).
    rates.clear()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(torch.optim.Adam, "step", record)
        _network.train_stage(net, net.parameters(), images, labels, epochs=1, batch_size=8,
                             learning_rate=0.1, generator=generator, loss_weights=loss_weights,
                             schedule="cosine", window=(0.5, 1.0))
    expected = [0.1 * 0.5 * (1 + np.cos(np.pi * (0.5 + 0.5 * step / 4))) for step in range(4)]
    assert rates == pytest.approx(expected)
