"""Data sets of the interpretable-ML literature: generated, bundled and fetched.

Three kinds:

* **generated** by code here, exactly: the MONK's problems (:func:`make_monks`),
  all tic-tac-toe endgames (:func:`make_tictactoe`), the car evaluation data
  (:func:`make_car`) and the noisy parabola of the tree-regularization paper
  (:func:`make_parabola`);
* **bundled**: CSV files the package ships in ``data/`` (written by
  :func:`_write_bundled` from the generators above) and scikit-learn's breast
  cancer table (:func:`load_breast_cancer_binary`);
* **fetched** from the public repositories of the papers that made them
  (:func:`fetch_compas`, :func:`fetch_riskslim`, :func:`fetch_treefarms`), into
  a cache under the data home. A file already in the cache is never
  downloaded again, so pointing ``GLASSBOX_DATA`` at a prepared folder keeps
  everything offline.

Every loader returns a :class:`sklearn.utils.Bunch` with ``data`` (DataFrame),
``target`` (ndarray of 0/1 or class codes), ``feature_names``,
``target_names``, ``frame`` (data and target in one DataFrame, columns as in
the source file) and ``DESCR``. :func:`list_datasets` lists them all and
:func:`load_dataset` loads one by name.
"""

from __future__ import annotations

import functools
import itertools
import os
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from glassbox._base import make_rng

__all__ = [
    "get_data_home",
    "bundled_path",
    "list_datasets",
    "load_dataset",
    "make_monks",
    "make_tictactoe",
    "make_car",
    "make_parabola",
    "load_breast_cancer_binary",
    "fetch_compas",
    "fetch_riskslim",
    "fetch_treefarms",
    "load_corels_format",
    "DatasetDownloadError",
]

DATA_HOME_ENV = "GLASSBOX_DATA"


# ---------------------------------------------------------------------------
# Where data lives
# ---------------------------------------------------------------------------

def get_data_home(data_home=None) -> Path:
    """The folder that caches fetched data sets.

    Parameters
    ----------
    data_home : str or Path, optional
        Used as given when not None. Otherwise the environment variable
        ``GLASSBOX_DATA``, else ``~/glassbox_data``.

    Returns
    -------
    path : Path
        Not created here; fetchers create it when they download.
    """
    if data_home is None:
        data_home = os.environ.get(DATA_HOME_ENV) or Path("~") / "glassbox_data"
    return Path(data_home).expanduser()


def bundled_path(filename: str = "") -> Path:
    """Path of a CSV the package ships.

    An installed wheel holds the files in ``glassbox/_bundled``; an editable
    install reads them from the repository's ``data/`` folder.
    """
    package = Path(__file__).resolve().parent
    folder = package / "_bundled"
    if not folder.is_dir():
        folder = package.parent / "data"
    return folder / filename


class DatasetDownloadError(OSError):
    """A data file is not in the cache and could not be downloaded."""


def _fetch_file(relative: str, url: str, data_home=None, *, download_if_missing=True) -> Path:
    """The cached file ``data_home/relative``, downloaded from ``url`` when missing."""
    home = get_data_home(data_home)
    path = home / relative
    if path.is_file():
        return path
    advice = (f"Download it by hand from {url} to {path}, or set {DATA_HOME_ENV} to a folder "
              f"that has {relative}.")
    if not download_if_missing:
        raise DatasetDownloadError(f"Data file {path} is missing and download_if_missing=False. "
                                   + advice)
    # download beside the target and rename only when complete, so that an
    # interrupted download is never mistaken for data
    partial = path.with_name(path.name + ".part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with urllib.request.urlopen(url, timeout=60) as response, open(partial, "wb") as out:
            shutil.copyfileobj(response, out)
        partial.replace(path)
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        partial.unlink(missing_ok=True)
        raise DatasetDownloadError(
            f"Could not download {relative} from {url} ({exc}) and it is not in the data home "
            f"{home}. " + advice) from exc
    return path


def _bunch(frame: pd.DataFrame, target_column: str, *, descr: str, target=None,
           target_names=None, drop=(), **extra) -> Bunch:
    """A Bunch from a table whose label is ``target_column`` (0/1 unless ``target`` given)."""
    data = frame.drop(columns=[target_column, *drop])
    if target is None:
        target = frame[target_column].to_numpy().astype(np.int64)
    if target_names is None:
        target_names = [str(v) for v in np.unique(target)]
    return Bunch(data=data, target=np.asarray(target), frame=frame,
                 feature_names=[str(c) for c in data.columns],
                 target_names=list(target_names), DESCR=descr.strip(), **extra)


# ---------------------------------------------------------------------------
# Generators
# ---------------------------------------------------------------------------

MONKS_ATTRIBUTES = {"a1": 3, "a2": 3, "a3": 2, "a4": 3, "a5": 4, "a6": 2}

# The UCI training subsets, as bit masks over the 432 rows of the full space in
# product order (bit i, least significant first, is row id data_{i+1}). They are
# fixed samples of the public data set, recorded here rather than derivable.
_MONKS_TRAIN_MASKS = {
    1: "aa00e18ea0854500230082810828090809032007209211014004e1ab201c48909840db30c5ea0"
       "8da444438e00884b19602500c240030",
    2: "853501002035a12d3935063a8e04f92bea40b0259646b1238d19e9701190ab84496a081904a2"
       "70986c3af35044fb7a020ad003445748",
    3: "a128034d806061022802104801a00482801585904a102d10403208b906a00240086803c340a0"
       "871160440d0d906f1c1033c88800895e",
}
# MONK-3's training set has 5% label noise: these rows carry the wrong class.
_MONKS3_FLIPPED_IDS = (5, 61, 203, 213, 214, 391)


def _monks_rule(k: int, a: pd.DataFrame) -> np.ndarray:
    if k == 1:
        label = (a.a1 == a.a2) | (a.a5 == 1)
    elif k == 2:
        label = (a == 1).sum(axis=1) == 2
    else:
        label = ((a.a5 == 3) & (a.a4 == 1)) | ((a.a5 != 4) & (a.a2 != 3))
    return label.to_numpy().astype(np.int64)


def make_monks(k: int, subset: str = "full") -> Bunch:
    """The MONK's problems (Thrun et al., 1991), generated from their definitions.

    Six attributes ``a1``..``a6`` (``a1, a2, a4`` in 1..3; ``a3, a6`` in 1..2;
    ``a5`` in 1..4), 432 combinations:

    * MONK-1: class 1 iff ``a1 == a2`` or ``a5 == 1``;
    * MONK-2: class 1 iff exactly two attributes equal 1;
    * MONK-3: class 1 iff (``a5 == 3`` and ``a4 == 1``) or (``a5 != 4`` and
      ``a2 != 3``); its training set has 6 labels flipped (5% noise).

    Parameters
    ----------
    k : {1, 2, 3}
    subset : {"full", "train", "test"}, default="full"
        ``"full"`` (alias ``"test"``, the UCI test set): all 432 rows in product
        order, ``a6`` varying fastest. ``"train"``: the UCI training subset (124,
        169 and 122 rows), in id order.

    Returns
    -------
    bunch : Bunch
        ``data`` (integer columns a1..a6), ``target`` (0/1), ``ids`` (``data_1``
        .. ``data_432``), ``frame`` with columns ``class, a1..a6, id`` as in the
        UCI files.

    Examples
    --------
    >>> b = make_monks(1, subset="train")
    >>> b.data.shape, int(b.target.sum())
    ((124, 6), 62)
    """
    if k not in (1, 2, 3):
        raise ValueError(f"make_monks: k must be 1, 2 or 3, got {k!r}.")
    if subset not in ("full", "train", "test"):
        raise ValueError(f"make_monks: subset must be 'full', 'train' or 'test', got {subset!r}.")
    space = list(itertools.product(*(range(1, n + 1) for n in MONKS_ATTRIBUTES.values())))
    attributes = pd.DataFrame(space, columns=list(MONKS_ATTRIBUTES), dtype=np.int64)
    label = _monks_rule(k, attributes)
    ids = np.arange(1, len(space) + 1)
    if subset == "train":
        mask_bits = int(_MONKS_TRAIN_MASKS[k], 16)
        rows = np.array([(mask_bits >> i) & 1 for i in range(len(space))], dtype=bool)
        if k == 3:
            label = label.copy()
            flipped = np.asarray(_MONKS3_FLIPPED_IDS) - 1
            label[flipped] = 1 - label[flipped]
        attributes, label, ids = attributes[rows].reset_index(drop=True), label[rows], ids[rows]
    frame = pd.concat([pd.Series(label, name="class"), attributes,
                       pd.Series([f"data_{i}" for i in ids], name="id")], axis=1)
    noise = " Six training labels are flipped (5% noise)." if k == 3 and subset == "train" else ""
    which = "UCI training subset" if subset == "train" else "all 432 cases, the UCI test set"
    descr = (f"MONK-{k} ({which}), {len(frame)} rows. Thrun et al. (1991), The MONK's problems, "
             f"UCI Machine Learning Repository (CC BY 4.0).{noise}")
    return _bunch(frame, "class", drop=["id"], descr=descr, target_names=["0", "1"],
                  ids=frame["id"].to_numpy())


TICTACTOE_SQUARES = ("top-left", "top-middle", "top-right", "middle-left", "middle-middle",
                     "middle-right", "bottom-left", "bottom-middle", "bottom-right")
_LINES = ((0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6))


def _has_line(board, player: str) -> bool:
    return any(all(board[i] == player for i in line) for line in _LINES)


@functools.lru_cache(maxsize=1)
def _terminal_boards() -> frozenset[tuple[str, ...]]:
    """Every board where a game that x opened has just ended (a line, or a full board)."""
    found, seen = set(), set()
    stack = [("b",) * 9]
    while stack:
        board = stack.pop()
        if board in seen:
            continue
        seen.add(board)
        if _has_line(board, "x") or _has_line(board, "o") or "b" not in board:
            found.add(board)
            continue
        player = "x" if board.count("x") == board.count("o") else "o"
        for i in (i for i, s in enumerate(board) if s == "b"):
            stack.append(board[:i] + (player,) + board[i + 1:])
    return frozenset(found)


def make_tictactoe() -> Bunch:
    """All 958 distinct endgame boards of tic-tac-toe, x moving first (UCI "tic-tac-toe").

    Each square is ``x``, ``o`` or ``b`` (blank). The class is positive iff x
    has three in a row (626 boards). Rows are in the UCI order: positive boards
    first, then negative ones, each group sorted square by square with
    ``x < o < b``.

    Returns
    -------
    bunch : Bunch
        ``data`` (9 string columns), ``target`` (1 = positive),
        ``target_names`` ``["negative", "positive"]``, ``frame`` with the
        ``class`` column as ``positive``/``negative`` text.

    Examples
    --------
    >>> b = make_tictactoe()
    >>> b.data.shape, int(b.target.sum())
    ((958, 9), 626)
    """
    order = {"x": 0, "o": 1, "b": 2}
    boards = sorted(_terminal_boards(),
                    key=lambda board: (not _has_line(board, "x"), [order[s] for s in board]))
    frame = pd.DataFrame(boards, columns=list(TICTACTOE_SQUARES))
    wins = np.array([_has_line(board, "x") for board in boards])
    frame["class"] = np.where(wins, "positive", "negative")
    descr = ("Tic-tac-toe endgames: all 958 terminal boards with x moving first; positive iff "
             "x has a line. Aha (1991), UCI Machine Learning Repository (CC BY 4.0).")
    return _bunch(frame, "class", descr=descr, target=wins.astype(np.int64),
                  target_names=["negative", "positive"])


CAR_ATTRIBUTES = {
    "buying": ("vhigh", "high", "med", "low"),
    "maint": ("vhigh", "high", "med", "low"),
    "doors": ("2", "3", "4", "5more"),
    "persons": ("2", "4", "more"),
    "lug_boot": ("small", "med", "big"),
    "safety": ("low", "med", "high"),
}
CAR_CLASSES = ("unacc", "acc", "good", "vgood")
# The hierarchical (DEX) model behind the data, as tables of ordinal levels
# (0 = worst), one digit per cell in product order. Each intermediate concept
# is identified from the complete data set: e.g. two (buying, maint) pairs get
# the same PRICE level iff they give the same class with every other attribute.
_CAR_PRICE = "0011" "0111" "1123" "1233"  # [buying][maint]
_CAR_COMFORT = "000112012" "000112122" "000122122" "000122122"  # [doors][persons][lug_boot]
_CAR_TECH = "000" "012" "023"  # [comfort][safety]
_CAR_CLASS = "0000" "0011" "0113" "0123"  # [price][tech] -> index into CAR_CLASSES


def make_car() -> Bunch:
    """Car evaluation (Bohanec & Rajkovic, 1988): all 1728 cars of the DEX model.

    The class follows a hierarchy of small decision tables: PRICE from
    (buying, maint), COMFORT from (doors, persons, lug_boot), TECH from
    (COMFORT, safety), and the class from (PRICE, TECH). Rows are in product
    order of the attributes as in the UCI file.

    Returns
    -------
    bunch : Bunch
        ``data`` (6 text columns), ``target`` (0..3 for ``unacc``, ``acc``,
        ``good``, ``vgood``: an ordinal, multi-class label), ``frame`` with the
        ``class`` column as text.
    """
    levels = list(itertools.product(*(range(len(v)) for v in CAR_ATTRIBUTES.values())))
    codes = np.array(levels)
    buying, maint, doors, persons, lug_boot, safety = codes.T
    table = lambda text: np.array([int(c) for c in text])  # noqa: E731
    price = table(_CAR_PRICE)[buying * 4 + maint]
    comfort = table(_CAR_COMFORT)[doors * 9 + persons * 3 + lug_boot]
    tech = table(_CAR_TECH)[comfort * 3 + safety]
    target = table(_CAR_CLASS)[price * 4 + tech]
    frame = pd.DataFrame({name: np.asarray(values)[codes[:, j]]
                          for j, (name, values) in enumerate(CAR_ATTRIBUTES.items())})
    frame["class"] = np.asarray(CAR_CLASSES)[target]
    descr = ("Car evaluation, all 1728 attribute combinations; class unacc/acc/good/vgood from "
             "a hierarchical decision model. Bohanec & Rajkovic (1988), UCI Machine Learning "
             "Repository (CC BY 4.0).")
    return _bunch(frame, "class", descr=descr, target=target.astype(np.int64),
                  target_names=list(CAR_CLASSES))


PARABOLA_BAND = 0.1


def make_parabola(n_samples: int = 1000, noise: float = 0.1, random_state=None, *,
                  band: float = PARABOLA_BAND) -> Bunch:
    """The noisy parabola of tree regularization (Wu et al., AAAI 2018).

    ``x1, x2`` uniform on [0, 1]; ``y = x2 > 5 (x1 - 0.75)^2 + 0.4``. Inside the
    band ``|x2 - 5 (x1 - 0.75)^2 - 0.4| < band`` each label is flipped with
    probability ``noise``; outside it labels are exact. A deep tree fits the
    curve; a tree-regularized network draws it with a few splits.

    Parameters
    ----------
    n_samples : int, default=1000
    noise : float in [0, 1], default=0.1
        Flip probability inside the band.
    random_state : int, Generator or None
    band : float >= 0, default=0.1
        Half-width of the noisy band, vertical distance to the boundary.

    Returns
    -------
    bunch : Bunch
        ``data`` (columns x1, x2), ``target`` (0/1), ``frame`` (x1, x2, y).
    """
    if not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise ValueError(f"make_parabola: n_samples must be a positive integer, got {n_samples!r}.")
    if not 0.0 <= noise <= 1.0:
        raise ValueError(f"make_parabola: noise must be in [0, 1], got {noise!r}.")
    if band < 0:
        raise ValueError(f"make_parabola: band must be >= 0, got {band!r}.")
    rng = make_rng(random_state)
    x = rng.uniform(0.0, 1.0, size=(n_samples, 2))
    distance = x[:, 1] - (5.0 * (x[:, 0] - 0.75) ** 2 + 0.4)
    y = (distance > 0).astype(np.int64)
    flip = (np.abs(distance) < band) & (rng.uniform(size=n_samples) < noise)
    y[flip] = 1 - y[flip]
    frame = pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "y": y})
    descr = (f"Noisy parabola, {n_samples} points: y = x2 > 5 (x1 - 0.75)^2 + 0.4, labels "
             f"flipped with probability {noise} within vertical distance {band} of the curve. "
             "Wu et al., Beyond sparsity: tree regularization of deep models (AAAI 2018).")
    return _bunch(frame, "y", descr=descr, target_names=["0", "1"])


def load_breast_cancer_binary() -> Bunch:
    """Wisconsin diagnostic breast cancer (scikit-learn's copy), target 1 = malignant.

    scikit-learn codes malignant as 0; here the positive class is the one a
    screening model looks for, so ``target = 1`` means malignant (212 of 569).

    Returns
    -------
    bunch : Bunch
        ``data`` (30 numeric columns), ``target``, ``target_names``
        ``["benign", "malignant"]``, ``frame`` (data plus ``malignant``).
    """
    from sklearn.datasets import load_breast_cancer

    source = load_breast_cancer(as_frame=True)
    frame = source.data.copy()
    frame["malignant"] = (source.target.to_numpy() == 0).astype(np.int64)
    descr = ("Breast cancer Wisconsin (diagnostic), 569 rows x 30 numeric features, from "
             "scikit-learn; target 1 = malignant. Street, Wolberg & Mangasarian (1993).")
    return _bunch(frame, "malignant", descr=descr, target_names=["benign", "malignant"])


# ---------------------------------------------------------------------------
# Fetched data
# ---------------------------------------------------------------------------

_PROPUBLICA_URL = ("https://raw.githubusercontent.com/propublica/compas-analysis/master/"
                   "compas-scores-two-years.csv")
_CORELS_URL = "https://raw.githubusercontent.com/corels/corels/master/data/"
_RISKSLIM_URL = "https://raw.githubusercontent.com/ustunb/risk-slim/master/"
_TREEFARMS_URL = ("https://raw.githubusercontent.com/ubc-systopia/treeFarms/main/experiments/"
                  "datasets/")

# name -> (file in the data home's riskslim/ folder, path in the RiskSLIM repository)
RISKSLIM_FILES = {
    "breastcancer": ("breastcancer_data.csv", "examples/data/breastcancer_data.csv"),
    "mammo": ("mammo_data.csv", "datasets/mammo_data.csv"),
    "adult": ("adult_data.csv", "datasets/adult_data.csv"),
}
_RISKSLIM_FOLDS = {"breastcancer": ("breastcancer_cvindices.csv",
                                    "datasets/breastcancer_cvindices.csv")}

# name -> path under treefarms/ in the data home and under the TreeFARMS datasets folder
TREEFARMS_FILES = {
    "compas": "compas/binned.csv",
    "monk_1": "monk_1/data.csv",
    "monk_2": "monk_2/data.csv",
    "monk_3": "monk_3/data.csv",
    "car_evaluation": "car_evaluation/data.csv",
    "bar-7": "coupon/bar-7.csv",
    "tic-tac-toe": "tic-tac-toe/data.csv",
}

PROPUBLICA_FEATURES = ["sex", "age", "age_cat", "race", "juv_fel_count", "juv_misd_count",
                       "juv_other_count", "priors_count", "c_charge_degree"]


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"{path} is not a readable CSV file ({exc}); delete it so that it is "
                         "downloaded again.") from exc


def fetch_compas(data_home=None, variant: str = "propublica", subset: str = "train", *,
                 download_if_missing: bool = True) -> Bunch:
    """COMPAS two-year recidivism (ProPublica, 2016), in the variants the literature uses.

    Parameters
    ----------
    data_home : str or Path, optional
        See :func:`get_data_home`.
    variant : {"propublica", "corels", "corels_mined", "binned"}, default="propublica"
        * ``"propublica"``: ProPublica's ``compas-scores-two-years.csv`` with
          their standard filters (charge within 30 days of screening, known
          recidivism, no ordinary-traffic charge, a COMPAS score): 6172 rows,
          the columns in ``PROPUBLICA_FEATURES``; target ``two_year_recid``.
        * ``"corels"``: the 7 categorical columns of CORELS's
          ``compas_{train,test}.csv``.
        * ``"corels_mined"``: CORELS's pre-mined antecedents (155 boolean
          columns, :func:`load_corels_format`).
        * ``"binned"``: TreeFARMS's ``compas/binned.csv`` (12 binary columns, 6907
          rows; names as shipped - ``age:<21`` also fires for some rows aged 21-23).
    subset : {"train", "test"}, default="train"
        For the CORELS variants only (6489 / 721 rows).
    download_if_missing : bool, default=True

    Returns
    -------
    bunch : Bunch
    """
    variants = ("propublica", "corels", "corels_mined", "binned")
    if variant not in variants:
        raise ValueError(f"fetch_compas: variant must be one of {variants}, got {variant!r}.")
    if subset not in ("train", "test"):
        raise ValueError(f"fetch_compas: subset must be 'train' or 'test', got {subset!r}.")
    fetch = dict(data_home=data_home, download_if_missing=download_if_missing)
    if variant == "binned":
        return fetch_treefarms("compas", **fetch)
    if variant == "corels_mined":
        paths = [_fetch_file(f"corels/compas_{subset}.{ext}", f"{_CORELS_URL}compas_{subset}."
                             f"{ext}", **fetch) for ext in ("out", "label")]
        if subset == "train":
            _fetch_file("corels/compas_train.minor", f"{_CORELS_URL}compas_train.minor", **fetch)
        return load_corels_format(paths[0])
    if variant == "corels":
        path = _fetch_file(f"corels/compas_{subset}.csv", f"{_CORELS_URL}compas_{subset}.csv",
                           **fetch)
        frame = _read_csv(path)
        descr = (f"COMPAS as categorized by CORELS (Angelino et al., JMLR 2018), {subset} "
                 f"split, {len(frame)} rows: 7 categorical columns; target: recidivism within "
                 "two years. Source: ProPublica.")
        return _bunch(frame, frame.columns[-1], descr=descr, target_names=["no", "yes"])
    path = _fetch_file("propublica/compas-scores-two-years.csv", _PROPUBLICA_URL, **fetch)
    raw = _read_csv(path)
    keep = (raw.days_b_screening_arrest.between(-30, 30) & (raw.is_recid != -1)
            & (raw.c_charge_degree != "O") & (raw.score_text != "N/A"))
    frame = raw.loc[keep, PROPUBLICA_FEATURES + ["two_year_recid"]].reset_index(drop=True)
    descr = (f"COMPAS two-year recidivism, ProPublica's release with their standard filters, "
             f"{len(frame)} rows. Angwin et al., Machine Bias (ProPublica, 2016).")
    return _bunch(frame, "two_year_recid", descr=descr, target_names=["no", "yes"])


def fetch_riskslim(name: str, data_home=None, *, download_if_missing: bool = True) -> Bunch:
    """A data set of the RiskSLIM paper (Ustun & Rudin, JMLR 2019).

    Parameters
    ----------
    name : {"breastcancer", "mammo", "adult"}
        ``breastcancer``: 683 x 9 integer features (1..10), label ``Benign``;
        ``mammo``: 961 x 14, label ``Malignant``; ``adult``: 32561 x 36 binary,
        label ``Over50K``. The label is the FIRST column of the raw CSV.
    data_home : str or Path, optional
    download_if_missing : bool, default=True

    Returns
    -------
    bunch : Bunch
        For ``breastcancer`` also ``folds``: the paper's fold id (1..5) per row.
    """
    if name not in RISKSLIM_FILES:
        raise ValueError(f"fetch_riskslim: name must be one of {sorted(RISKSLIM_FILES)}, got "
                         f"{name!r}.")
    local, remote = RISKSLIM_FILES[name]
    fetch = dict(data_home=data_home, download_if_missing=download_if_missing)
    frame = _read_csv(_fetch_file(f"riskslim/{local}", _RISKSLIM_URL + remote, **fetch))
    extra = {}
    if name in _RISKSLIM_FOLDS:
        local_folds, remote_folds = _RISKSLIM_FOLDS[name]
        folds = _fetch_file(f"riskslim/{local_folds}", _RISKSLIM_URL + remote_folds, **fetch)
        extra["folds"] = pd.read_csv(folds, header=None).iloc[:, 0].to_numpy()
    label = frame.columns[0]
    descr = (f"RiskSLIM '{name}' data, {len(frame)} rows x {frame.shape[1] - 1} features; label "
             f"{label!r}. Ustun & Rudin, Learning optimized risk scores (JMLR 2019).")
    return _bunch(frame, label, descr=descr, target_names=[f"not {label}", label], **extra)


def fetch_treefarms(name: str, data_home=None, *, download_if_missing: bool = True) -> Bunch:
    """A data set of the OSDT / GOSDT / TreeFARMS experiments (label in the LAST column).

    Parameters
    ----------
    name : {"compas", "monk_1", "monk_2", "monk_3", "car_evaluation", "bar-7", "tic-tac-toe"}
        All have binary 0/1 features except ``tic-tac-toe`` (x/o/b squares).
    data_home : str or Path, optional
    download_if_missing : bool, default=True

    Returns
    -------
    bunch : Bunch
    """
    if name not in TREEFARMS_FILES:
        raise ValueError(f"fetch_treefarms: name must be one of {list(TREEFARMS_FILES)}, got "
                         f"{name!r}.")
    relative = TREEFARMS_FILES[name]
    path = _fetch_file(f"treefarms/{relative}", _TREEFARMS_URL + relative, data_home,
                       download_if_missing=download_if_missing)
    frame = _read_csv(path)
    label = frame.columns[-1]
    descr = (f"TreeFARMS '{name}' data ({relative}), {len(frame)} rows x {frame.shape[1] - 1} "
             f"features; label {label!r}. Xin et al., Exploring the whole Rashomon set of "
             "sparse decision trees (NeurIPS 2022).")
    return _bunch(frame, label, descr=descr)


def _bit_tokens(text: str) -> np.ndarray:
    """The one-character tokens of ``"0 1 1 0"`` as byte codes (fast path: single spaces)."""
    raw = np.frombuffer(text.encode("ascii", errors="replace"), dtype=np.uint8)
    if len(raw) % 2 == 1 and (raw[1::2] == ord(" ")).all():
        return raw[::2]
    tokens = text.split()
    if any(len(t) != 1 for t in tokens):
        return np.full(len(tokens), ord("?"), dtype=np.uint8)
    return np.frombuffer("".join(tokens).encode("ascii", errors="replace"), dtype=np.uint8)


def _read_bit_lines(path: Path) -> tuple[list[str], np.ndarray]:
    """Lines ``{name} b1 b2 ... bN`` -> (names, bool array (lines, N))."""
    names, rows = [], []
    with open(path) as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            head, _, bits = line.strip().partition(" ")
            if not (head.startswith("{") and head.endswith("}")):
                raise ValueError(f"{path}, line {number}: expected '{{name}} 0 1 ...', got "
                                 f"{line[:60]!r}.")
            digits = _bit_tokens(bits.strip())
            if not np.isin(digits, (ord("0"), ord("1"))).all():
                raise ValueError(f"{path}, line {number}: bits must be 0 or 1.")
            names.append(head[1:-1])
            rows.append(digits == ord("1"))
    lengths = {len(r) for r in rows}
    if len(lengths) > 1:
        raise ValueError(f"{path}: lines have different numbers of bits {sorted(lengths)}.")
    return names, np.array(rows, dtype=bool).reshape(len(rows), -1)


def load_corels_format(path_or_prefix) -> Bunch:
    """Read CORELS's native files: ``PREFIX.out``, ``PREFIX.label`` and ``PREFIX.minor``.

    Each line of ``.out`` is ``{antecedent} b1 ... bN``, one bit per sample; the
    number of samples N is the number of bit tokens (not the highest set bit).
    ``.label`` holds two such lines, ``{...:No}`` then ``{...:Yes}``; the target
    is the second. ``.minor`` (optional) marks the samples of a minority group.

    Parameters
    ----------
    path_or_prefix : str or Path
        ``data/compas_train`` or ``data/compas_train.out``.

    Returns
    -------
    bunch : Bunch
        ``data`` (bool DataFrame, columns named by the antecedents without
        braces), ``target`` (0/1), ``target_names`` (from ``.label``),
        ``minor`` (bool array, or None without a ``.minor`` file).
    """
    prefix = Path(path_or_prefix)
    if prefix.suffix in (".out", ".label", ".minor"):
        prefix = prefix.with_suffix("")
    out_path, label_path = prefix.with_suffix(".out"), prefix.with_suffix(".label")
    for path in (out_path, label_path):
        if not path.is_file():
            raise FileNotFoundError(f"CORELS file {path} not found (load_corels_format needs "
                                    f"{prefix.name}.out and {prefix.name}.label).")
    names, bits = _read_bit_lines(out_path)
    label_names, labels = _read_bit_lines(label_path)
    if len(labels) != 2:
        raise ValueError(f"{label_path}: expected two label lines ({{...:No}}, {{...:Yes}}), "
                         f"got {len(labels)}.")
    n_samples = bits.shape[1]
    if labels.shape[1] != n_samples:
        raise ValueError(f"{label_path} has {labels.shape[1]} samples but {out_path} has "
                         f"{n_samples}.")
    minor = None
    minor_path = prefix.with_suffix(".minor")
    if minor_path.is_file():
        minor = _read_bit_lines(minor_path)[1][0]
        if len(minor) != n_samples:
            raise ValueError(f"{minor_path} has {len(minor)} samples but {out_path} has "
                             f"{n_samples}.")
    data = pd.DataFrame(bits.T, columns=names)
    target = labels[1].astype(np.int64)
    frame = data.assign(**{label_names[1]: target})
    descr = (f"CORELS pre-mined antecedents from {out_path.name}: {n_samples} samples x "
             f"{len(names)} boolean antecedents; target {label_names[1]!r}.")
    return _bunch(frame, label_names[1], descr=descr, target=target,
                  target_names=[n.rpartition(":")[2] or n for n in label_names], minor=minor)


# ---------------------------------------------------------------------------
# Bundled files and the catalogue
# ---------------------------------------------------------------------------

# file name in data/ -> generator call that writes it
_BUNDLED_FILES: dict[str, Callable[[], Bunch]] = {
    **{f"monks-{k}.train.csv": (lambda k=k: make_monks(k, "train")) for k in (1, 2, 3)},
    **{f"monks-{k}.full.csv": (lambda k=k: make_monks(k, "full")) for k in (1, 2, 3)},
    "tic-tac-toe.csv": make_tictactoe,
    "parabola.csv": lambda: make_parabola(1000, noise=0.1, random_state=0),
}


def _bundled_csv_text(filename: str) -> str:
    """What ``data/<filename>`` must contain: the generator's frame as CSV."""
    return _BUNDLED_FILES[filename]().frame.to_csv(index=False, lineterminator="\n")


def _write_bundled(folder=None) -> list[Path]:
    """Regenerate the CSV files the package ships (``python -m glassbox.datasets``)."""
    folder = Path(folder) if folder is not None else bundled_path()
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for filename in _BUNDLED_FILES:
        path = folder / filename
        path.write_text(_bundled_csv_text(filename))
        written.append(path)
    return written


def _load_bundled(filename: str, target_column: str, target_names, drop=()) -> Bunch:
    path = bundled_path(filename)
    if not path.is_file():
        raise FileNotFoundError(f"Bundled data file {path} is missing from this installation; "
                                "regenerate it with `python -m glassbox.datasets`.")
    frame = pd.read_csv(path)
    descr = (f"{filename}, shipped with glassbox ({len(frame)} rows), written by "
             "glassbox.datasets._write_bundled from the generators in glassbox.datasets.")
    if target_column == "class" and frame["class"].dtype.kind not in "iu":
        target = (frame["class"] == target_names[1]).to_numpy().astype(np.int64)
    else:
        target = None
    return _bunch(frame, target_column, descr=descr, target=target, target_names=target_names,
                  drop=drop)


@dataclass(frozen=True)
class _Entry:
    kind: str
    rows: int
    columns: int
    description: str
    load: Callable[..., Bunch]


def _catalogue() -> dict[str, _Entry]:
    entries = {}
    for k, rows in ((1, 124), (2, 169), (3, 122)):
        entries[f"monks-{k}"] = _Entry(
            "bundled", rows, 6, f"MONK-{k} UCI training subset (test set: monks-{k}-full)"
            + (", 6 noisy labels" if k == 3 else ""),
            lambda k=k: _load_bundled(f"monks-{k}.train.csv", "class", ["0", "1"], drop=["id"]))
        entries[f"monks-{k}-full"] = _Entry(
            "generated", 432, 6, f"MONK-{k}: all 432 attribute combinations (UCI test set)",
            lambda k=k: make_monks(k, "full"))
    entries["tic-tac-toe"] = _Entry(
        "bundled", 958, 9, "all tic-tac-toe endgames; positive iff x has a line",
        lambda: _load_bundled("tic-tac-toe.csv", "class", ["negative", "positive"]))
    entries["car"] = _Entry("generated", 1728, 6,
                            "car evaluation, all 1728 cars; 4 ordinal classes", make_car)
    entries["parabola"] = _Entry(
        "bundled", 1000, 2, "noisy parabola of tree regularization (noise 0.1, seed 0)",
        lambda: _load_bundled("parabola.csv", "y", ["0", "1"]))
    entries["breast-cancer"] = _Entry(
        "bundled", 569, 30, "Wisconsin diagnostic breast cancer (scikit-learn), 1 = malignant",
        load_breast_cancer_binary)
    entries["compas"] = _Entry("fetched", 6172, 9, "COMPAS, ProPublica filters (propublica/)",
                               lambda: fetch_compas(variant="propublica"))
    entries["compas-corels"] = _Entry("fetched", 6489, 7, "COMPAS categorized by CORELS (corels/)",
                                      lambda: fetch_compas(variant="corels"))
    entries["compas-corels-mined"] = _Entry(
        "fetched", 6489, 155, "CORELS's 155 pre-mined COMPAS antecedents (corels/)",
        lambda: fetch_compas(variant="corels_mined"))
    shapes = {"breastcancer": (683, 9), "mammo": (961, 14), "adult": (32561, 36)}
    for name, (rows, columns) in shapes.items():
        entries[f"riskslim/{name}"] = _Entry("fetched", rows, columns,
                                             f"RiskSLIM {name} (riskslim/)",
                                             lambda name=name: fetch_riskslim(name))
    shapes = {"compas": (6907, 12), "monk_1": (124, 11), "monk_2": (169, 11),
              "monk_3": (122, 11), "car_evaluation": (1728, 15), "bar-7": (1913, 14),
              "tic-tac-toe": (958, 9)}
    for name, (rows, columns) in shapes.items():
        entries[f"treefarms/{name}"] = _Entry("fetched", rows, columns,
                                              f"TreeFARMS {name} (treefarms/)",
                                              lambda name=name: fetch_treefarms(name))
    return entries


def list_datasets() -> pd.DataFrame:
    """The data sets :func:`load_dataset` knows, without loading any of them.

    Returns
    -------
    table : DataFrame
        Columns ``name``, ``kind`` (bundled / generated / fetched), ``rows``,
        ``columns`` (features, label excluded) and ``description``.
    """
    return pd.DataFrame([{"name": name, "kind": e.kind, "rows": e.rows, "columns": e.columns,
                          "description": e.description} for name, e in _catalogue().items()])


def load_dataset(name: str) -> Bunch:
    """Load a data set by its :func:`list_datasets` name.

    Fetched data sets use the default data home (``GLASSBOX_DATA`` or
    ``~/glassbox_data``); call the ``fetch_*`` functions for other options.
    """
    catalogue = _catalogue()
    if name not in catalogue:
        raise ValueError(f"Unknown data set {name!r}; known data sets: {list(catalogue)}.")
    return catalogue[name].load()


if __name__ == "__main__":  # regenerate data/
    for written_path in _write_bundled():
        print(f"wrote {written_path}")
