"""glassbox.datasets: generators against the reference files, loaders, the cache, offline errors."""

import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from glassbox import datasets
from glassbox.datasets import (
    DatasetDownloadError,
    bundled_path,
    fetch_compas,
    fetch_riskslim,
    fetch_treefarms,
    get_data_home,
    list_datasets,
    load_breast_cancer_binary,
    load_corels_format,
    load_dataset,
    make_car,
    make_monks,
    make_parabola,
    make_tictactoe,
)


def _as_reference_csv(frame: pd.DataFrame) -> str:
    # the shared reference files were written with CRLF line ends
    return frame.to_csv(index=False, lineterminator="\r\n")


# ---------------------------------------------------------------------------
# Generators
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("subset", ["full", "train"])
def test_monks_reproduce_reference_files(data_home, k, subset):
    reference = (data_home / "generated" / f"monks-{k}.{subset}.csv").read_bytes().decode()
    assert _as_reference_csv(make_monks(k, subset).frame) == reference


def test_tictactoe_reproduces_reference_file(data_home):
    reference = (data_home / "generated" / "tic-tac-toe.csv").read_bytes().decode()
    assert _as_reference_csv(make_tictactoe().frame) == reference


def test_car_reproduces_reference_file(data_home):
    reference = (data_home / "generated" / "car.csv").read_bytes().decode()
    assert _as_reference_csv(make_car().frame) == reference


def test_car_hierarchy_facts():
    b = make_car()
    assert b.data.shape == (1728, 6) and len(b.data.drop_duplicates()) == 1728
    assert np.bincount(b.target).tolist() == [1210, 384, 69, 65]
    unacceptable = (b.data["persons"] == "2") | (b.data["safety"] == "low")
    assert (b.target[unacceptable.to_numpy()] == 0).all()
    assert b.target_names == ["unacc", "acc", "good", "vgood"]


@pytest.mark.parametrize("k", [1, 2, 3])
def test_monks_follow_their_definitions(k):
    full = make_monks(k)
    a = full.data
    assert len(full.data) == 432 and len(full.data.drop_duplicates()) == 432
    rule = {1: (a.a1 == a.a2) | (a.a5 == 1),
            2: (a == 1).sum(axis=1) == 2,
            3: ((a.a5 == 3) & (a.a4 == 1)) | ((a.a5 != 4) & (a.a2 != 3))}[k]
    assert np.array_equal(full.target, rule.to_numpy().astype(int))
    train = make_monks(k, "train")
    assert len(train.data) == {1: 124, 2: 169, 3: 122}[k]
    by_id = dict(zip(full.ids, full.target))
    wrong = [i for i, t in zip(train.ids, train.target) if by_id[i] != t]
    assert len(wrong) == (6 if k == 3 else 0)
    assert train.frame.columns.tolist() == ["class", "a1", "a2", "a3", "a4", "a5", "a6", "id"]
    assert make_monks(k, "test").frame.equals(full.frame)


def test_tictactoe_boards_are_legal_endgames():
    b = make_tictactoe()
    boards = b.data.to_numpy()
    assert boards.shape == (958, 9) and int(b.target.sum()) == 626
    assert len({tuple(r) for r in boards}) == 958
    x, o = (boards == "x").sum(axis=1), (boards == "o").sum(axis=1)
    assert np.all((x == o) | (x == o + 1))
    # positive boards come first
    assert b.target[:626].all() and not b.target[626:].any()


def test_parabola_labels_and_noise_band():
    clean = make_parabola(2000, noise=0.0, random_state=1)
    x1, x2 = clean.data["x1"].to_numpy(), clean.data["x2"].to_numpy()
    assert np.array_equal(clean.target, (x2 > 5 * (x1 - 0.75) ** 2 + 0.4).astype(int))
    noisy = make_parabola(2000, noise=0.5, random_state=1, band=0.1)
    assert np.allclose(noisy.data, clean.data)  # same points, only labels differ
    flipped = noisy.target != clean.target
    distance = np.abs(x2 - 5 * (x1 - 0.75) ** 2 - 0.4)
    assert flipped.any() and np.all(distance[flipped] < 0.1)
    assert make_parabola(50, random_state=3).frame.equals(make_parabola(50, random_state=3).frame)
    with pytest.raises(ValueError, match="noise must be in"):
        make_parabola(noise=1.5)


def test_generator_arguments_are_checked():
    with pytest.raises(ValueError, match="k must be 1, 2 or 3, got 4"):
        make_monks(4)
    with pytest.raises(ValueError, match="subset must be"):
        make_monks(1, subset="validation")


# ---------------------------------------------------------------------------
# Bundled files
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("filename", sorted(datasets._BUNDLED_FILES))
def test_shipped_files_equal_generator_output(filename):
    path = bundled_path(filename)
    assert path.is_file(), f"{path} missing: run python -m glassbox.datasets"
    assert path.read_text() == datasets._bundled_csv_text(filename)


def test_write_bundled_into_a_folder(tmp_path):
    written = datasets._write_bundled(tmp_path)
    assert sorted(p.name for p in written) == sorted(datasets._BUNDLED_FILES)
    again = pd.read_csv(tmp_path / "monks-2.train.csv")
    assert again.equals(make_monks(2, "train").frame)


def test_breast_cancer_target_is_malignant():
    b = load_breast_cancer_binary()
    assert b.data.shape == (569, 30) and int(b.target.sum()) == 212
    assert b.target_names == ["benign", "malignant"]
    assert "malignant" in b.frame.columns and "malignant" not in b.data.columns


def test_list_and_load_bundled_datasets():
    table = list_datasets()
    assert table.columns.tolist() == ["name", "kind", "rows", "columns", "description"]
    assert set(table["kind"]) == {"bundled", "generated", "fetched"}
    assert table["name"].is_unique
    for row in table[table["kind"] != "fetched"].itertuples():
        b = load_dataset(row.name)
        assert b.data.shape == (row.rows, row.columns), row.name
        assert len(b.target) == row.rows
        assert set(np.unique(b.target)) <= set(range(len(b.target_names))), row.name
        assert b.feature_names == b.data.columns.tolist() and b.DESCR
    monks = load_dataset("monks-3")
    assert np.array_equal(monks.target, make_monks(3, "train").target)
    assert "id" not in monks.data.columns
    ttt = load_dataset("tic-tac-toe")
    assert np.array_equal(ttt.target, make_tictactoe().target)
    with pytest.raises(ValueError, match="Unknown data set 'iris'"):
        load_dataset("iris")


# ---------------------------------------------------------------------------
# Fetched data from the shared data home (no network)
# ---------------------------------------------------------------------------

@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise urllib.error.URLError("network disabled in tests")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)


def test_fetched_datasets_listed_shapes_match_shared_files(data_home, monkeypatch, no_network):
    monkeypatch.setenv("GLASSBOX_DATA", str(data_home))
    table = list_datasets()
    for row in table[table["kind"] == "fetched"].itertuples():
        b = load_dataset(row.name)
        assert b.data.shape == (row.rows, row.columns), row.name
        assert len(b.target) == row.rows and set(np.unique(b.target)) <= {0, 1}, row.name


def test_loaders_read_label_from_the_right_end(data_home, no_network):
    breast = fetch_riskslim("breastcancer", data_home=data_home)
    raw = pd.read_csv(data_home / "riskslim" / "breastcancer_data.csv")
    assert np.array_equal(breast.target, raw["Benign"].to_numpy())
    assert breast.feature_names == raw.columns[1:].tolist()
    assert sorted(set(breast.folds)) == [1, 2, 3, 4, 5] and len(breast.folds) == 683
    binned = fetch_compas(data_home, variant="binned")
    assert binned.feature_names[1] == "age:<21"
    assert "recidivate-within-two-years:1" not in binned.feature_names
    ttt = fetch_treefarms("tic-tac-toe", data_home=data_home)
    assert np.array_equal(ttt.target, make_tictactoe().target)


def test_propublica_filters(data_home, no_network):
    b = fetch_compas(data_home)
    assert len(b.data) == 6172
    assert set(b.data["c_charge_degree"]) == {"F", "M"}
    assert b.feature_names == datasets.PROPUBLICA_FEATURES


def test_corels_mined_matches_corels_csv(data_home, no_network):
    mined = fetch_compas(data_home, variant="corels_mined")
    assert mined.data.shape == (6489, 155) and mined.data.dtypes.eq(bool).all()
    assert mined.target_names == ["No", "Yes"]
    # the first two minority bits are 0: N comes from the token count, not the last set bit
    assert len(mined.minor) == 6489 and not mined.minor[:2].any()
    categorical = fetch_compas(data_home, variant="corels")
    assert np.array_equal(mined.target, categorical.target)
    assert np.array_equal(mined.data["sex:Female"], categorical.data["sex"] == "Female")
    test = fetch_compas(data_home, variant="corels_mined", subset="test")
    assert test.data.shape == (721, 155) and test.minor is None


def test_load_corels_format_small_files(tmp_path):
    (tmp_path / "toy.out").write_text("{a:1} 0 1 1 0\n{b} 1 1 0 0\n")
    (tmp_path / "toy.label").write_text("{y:No} 1 0 1 1\n{y:Yes} 0 1 0 0\n")
    (tmp_path / "toy.minor").write_text("{group_minority} 0 0 1 0\n")
    for how in (tmp_path / "toy", tmp_path / "toy.out", str(tmp_path / "toy.label")):
        b = load_corels_format(how)
        assert b.data.columns.tolist() == ["a:1", "b"]
        assert b.data.to_numpy().astype(int).T.tolist() == [[0, 1, 1, 0], [1, 1, 0, 0]]
        assert b.target.tolist() == [0, 1, 0, 0] and b.minor.tolist() == [False, False, True,
                                                                          False]
    (tmp_path / "bad.out").write_text("{a} 0 1 1\n{b} 1 0\n")
    (tmp_path / "bad.label").write_text("{y:No} 1 0 1\n{y:Yes} 0 1 0\n")
    with pytest.raises(ValueError, match="different numbers of bits"):
        load_corels_format(tmp_path / "bad")
    (tmp_path / "odd.out").write_text("{a}  0 1\t1\n{b} 1 2 0\n")  # irregular spacing, a 2
    (tmp_path / "odd.label").write_text("{y:No} 1 0 1\n{y:Yes} 0 1 0\n")
    with pytest.raises(ValueError, match="line 2: bits must be 0 or 1"):
        load_corels_format(tmp_path / "odd")
    with pytest.raises(FileNotFoundError, match="missing.out"):
        load_corels_format(tmp_path / "missing")


# ---------------------------------------------------------------------------
# The cache: data home, downloads, offline errors
# ---------------------------------------------------------------------------

def test_data_home_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("GLASSBOX_DATA", str(tmp_path / "env"))
    assert get_data_home() == tmp_path / "env"
    assert get_data_home(tmp_path / "given") == tmp_path / "given"
    monkeypatch.delenv("GLASSBOX_DATA")
    assert get_data_home() == Path.home() / "glassbox_data"


def test_offline_and_missing_gives_clear_error(tmp_path, no_network):
    with pytest.raises(DatasetDownloadError) as info:
        fetch_riskslim("mammo", data_home=tmp_path)
    message = str(info.value)
    assert "riskslim/mammo_data.csv" in message
    assert "https://raw.githubusercontent.com/ustunb/risk-slim/" in message
    assert "GLASSBOX_DATA" in message
    assert not any(tmp_path.rglob("*.part"))  # no half-written file left behind
    with pytest.raises(DatasetDownloadError, match="download_if_missing=False"):
        fetch_treefarms("monk_1", data_home=tmp_path, download_if_missing=False)


def test_download_writes_the_cache_once(tmp_path, monkeypatch):
    payload = b"a,b,label\n0,1,1\n1,0,0\n"
    calls = []

    class Response:
        def __init__(self, url):
            calls.append(url)
            self._data = payload

        def read(self, size=-1):
            data, self._data = self._data, b""
            return data

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout=None: Response(url))
    first = fetch_treefarms("bar-7", data_home=tmp_path)
    second = fetch_treefarms("bar-7", data_home=tmp_path)
    assert calls == [datasets._TREEFARMS_URL + "coupon/bar-7.csv"]
    assert (tmp_path / "treefarms" / "coupon" / "bar-7.csv").read_bytes() == payload
    assert first.target.tolist() == second.target.tolist() == [1, 0]
    assert first.feature_names == ["a", "b"]


def test_bad_names_list_the_choices():
    with pytest.raises(ValueError, match="breastcancer"):
        fetch_riskslim("iris")
    with pytest.raises(ValueError, match="monk_1"):
        fetch_treefarms("monk-1")
    with pytest.raises(ValueError, match="variant must be one of"):
        fetch_compas(variant="raw")
