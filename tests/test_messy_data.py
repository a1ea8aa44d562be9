"""Messy data through every public estimator and the command line.

The contract (docs/architecture.md): bad input gets a clear, early error that names
the column or parameter and says what to do: NaN, infinity, text where numbers are
needed, one class, duplicate or mismatched column names, ... Nothing is silently
coerced into a different problem: what is accepted (booleans, pandas nullable and
categorical dtypes, string labels) must give the same model as its plain equivalent.

Driven by ``glassbox.all_estimators()``: an estimator added to the registry runs
through the whole table without editing this file. Each case asserts the error type
and that the message names the offending column (or parameter / value).
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import glassbox
from glassbox._base import Condition, check_binary, check_numeric, check_table
from glassbox.cli import main

ESTIMATORS = dict(glassbox.all_estimators())
NAMES = sorted(ESTIMATORS)

# Learners whose input must be numbers (they refuse text columns, naming them); the
# Distiller's _test_instance has a LogisticRegression teacher, which needs numbers too.
# The others binarize text and categorical columns into named levels.
NEEDS_NUMBERS = {"RiskScoreClassifier", "ProtoPNetClassifier", "TreeRegularizedClassifier",
                 "TreeRegularizedGRUClassifier", "Distiller"}

def make_data(n_samples: int = 60, seed: int = 0):
    """A small table with named columns and a clear signal (as tests/test_common.py)."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 70, n_samples)
    priors = rng.integers(0, 10, n_samples)
    X = pd.DataFrame({"age": age, "priors_count": priors,
                      "income": np.round(rng.normal(40.0, 12.0, n_samples), 1),
                      "is_married": rng.integers(0, 2, n_samples)})
    y = np.where((priors > 3) | (age < 25), "yes", "no")
    return X, y


X0, Y0 = make_data()
CITY = np.where(X0["age"] % 2 == 0, "Paris", "Lyon")


def _instance(name):
    return ESTIMATORS[name]._test_instance()


@pytest.fixture(scope="module")
def fitted():
    """Every estimator fitted once on the clean table, for the prediction cases."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {name: _instance(name).fit(X0, Y0) for name in NAMES}


def _params(cases):
    return [pytest.param(name, case, id=f"{name}-{case}") for name in NAMES for case in cases]


def _assert_names(message: str, *needles: str):
    for needle in needles:
        assert needle in message, f"{needle!r} is not in the message: {message}"


# ---------------------------------------------------------------------------
# fit: bad X, bad y -> an early error that names the problem
# ---------------------------------------------------------------------------

def _nan():
    X = X0.astype({"income": float})
    X.loc[5, "income"] = np.nan
    return X, Y0


def _inf():
    X = X0.astype({"income": float})
    X.loc[7, "income"] = np.inf
    return X, Y0


def _none_in_object_column():
    X = X0.assign(city=pd.Series(CITY, dtype=object))
    X.loc[3, "city"] = None
    return X, Y0


def _nullable_int_with_na():
    X = X0.astype({"priors_count": "Int64"})
    X.loc[4, "priors_count"] = pd.NA
    return X, Y0


def _numbers_and_text():
    X = X0.astype({"income": object})
    X.loc[2, "income"] = "12"
    X.loc[4, "income"] = "n/a"
    return X, Y0


def _numbers_written_as_text_with_a_word():
    X = X0.assign(income=X0["income"].astype(str))
    X.loc[9, "income"] = "?"
    return X, Y0


def _duplicate_columns():
    X = X0.copy()
    X.columns = ["age", "age", "income", "is_married"]
    return X, Y0


def _mixed_label_types():
    X = X0.copy()
    X.columns = ["age", 1, "income", "is_married"]
    return X, Y0


FIT_ERRORS = {
    # case: (make (X, y), error type, strings the message must contain)
    "nan": (_nan, ValueError, ["'income'", "NaN", "row 5", "impute"]),
    "inf": (_inf, ValueError, ["'income'", "inf", "row 7"]),
    "none_in_object_column": (_none_in_object_column, ValueError, ["'city'", "NaN", "row 3"]),
    "nullable_int_with_na": (_nullable_int_with_na, ValueError,
                             ["'priors_count'", "NaN", "row 4"]),
    "numbers_and_text": (_numbers_and_text, ValueError, ["'income'", "'n/a'", "row 4",
                                                         "pd.to_numeric"]),
    "numbers_as_text_with_a_word": (_numbers_written_as_text_with_a_word, ValueError,
                                    ["'income'", "'?'", "row 9"]),
    "duplicate_columns": (_duplicate_columns, ValueError, ["duplicate", "'age'", "2 times"]),
    "mixed_label_types": (_mixed_label_types, TypeError, ["string names", "['int', 'str']"]),
    "zero_rows": (lambda: (X0.iloc[:0], Y0[:0]), ValueError, ["0 sample(s)"]),
    "samples_differ": (lambda: (X0, Y0[:-3]), ValueError,
                       ["inconsistent numbers of samples", "60", "57"]),
    "y_one_class": (lambda: (X0, np.full(len(X0), "yes")), ValueError, ["one class", "yes"]),
    "y_nan": (lambda: (X0, np.where(np.arange(len(X0)) == 3, np.nan, (Y0 == "yes") * 1.0)),
              ValueError, ["NaN"]),
    "y_none_label": (lambda: (X0, np.where(np.arange(len(X0)) == 3, None, Y0)), ValueError,
                     ["NaN"]),
    "y_continuous": (lambda: (X0, np.linspace(0.0, 1.0, len(X0))), ValueError,
                     ["continuous"]),
}


@pytest.mark.parametrize("name, case", _params(FIT_ERRORS))
def test_fit_refuses_messy_input(name, case):
    make, error, needles = FIT_ERRORS[case]
    X, y = make()
    with pytest.raises(error) as info:
        _instance(name).fit(X, y)
    _assert_names(str(info.value), *needles)


@pytest.mark.parametrize("name, case", _params(["text_column", "categorical_dtype"]))
def test_text_and_categories(name, case):
    """Text and categorical columns are binarized by level, or refused naming the column."""
    city = pd.Categorical(CITY) if case == "categorical_dtype" else CITY
    X = X0.assign(city=city)
    if name in NEEDS_NUMBERS:
        with pytest.raises(ValueError) as info:
            _instance(name).fit(X, Y0)
        _assert_names(str(info.value), "'city'", "numer")
        return
    model = _instance(name).fit(X, Y0)
    # the categorical dtype means the same levels as the text: the same model
    plain = _instance(name).fit(X0.assign(city=CITY), Y0)
    np.testing.assert_array_equal(model.predict(X), plain.predict(X0.assign(city=CITY)))
    assert set(model.predict(X)) <= {"yes", "no"}


EQUIVALENT_DTYPES = {
    # case: (the column in another dtype, that must be read as the original)
    "bool_column": ("is_married", lambda s: s.astype(bool)),
    "nullable_boolean": ("is_married", lambda s: s.astype("boolean")),
    "nullable_Int64": ("priors_count", lambda s: s.astype("Int64")),
    "float_integers": ("age", lambda s: s.astype(float)),
    "int_column_labels": (None, None),
}


@pytest.mark.parametrize("name, case", _params(EQUIVALENT_DTYPES))
def test_accepted_dtypes_give_the_same_model(name, case):
    """bool / boolean / Int64 columns are read as the numbers they hold, not re-coded."""
    column, convert = EQUIVALENT_DTYPES[case]
    if column is None:
        X = X0.set_axis(range(X0.shape[1]), axis=1)
    else:
        X = X0.assign(**{column: convert(X0[column])})
    model = _instance(name).fit(X, Y0)
    reference = _instance(name).fit(X0, Y0)
    np.testing.assert_allclose(model.predict_proba(X), reference.predict_proba(X0),
                               rtol=0, atol=1e-9)
    if column is None:  # integer labels are not feature names: columns are x0, x1, ...
        assert not hasattr(model, "feature_names_in_") and model.n_features_in_ == 4
        assert re.search(r"\bx[0-3]\b", model.to_text())


@pytest.mark.parametrize("name", NAMES)
def test_string_and_bool_labels_are_kept(name):
    model = _instance(name).fit(X0, Y0)
    assert model.classes_.tolist() == ["no", "yes"]
    assert set(model.predict(X0).tolist()) <= {"no", "yes"}
    flags = _instance(name).fit(X0, Y0 == "yes")
    assert flags.classes_.tolist() == [False, True]
    assert flags.predict(X0).dtype == bool


@pytest.mark.parametrize("name", NAMES)
def test_three_classes(name):
    """Binary-only learners refuse three classes; the others keep the three labels."""
    y = np.array(["low", "mid", "high"] * 20)
    if ESTIMATORS[name]._binary_only:
        with pytest.raises(ValueError) as info:
            _instance(name).fit(X0, y)
        _assert_names(str(info.value), "binary", "3 classes", "'high'", "OneVsRest")
        return
    model = _instance(name).fit(X0, y)
    assert model.classes_.tolist() == ["high", "low", "mid"]
    assert model.predict_proba(X0).shape == (60, 3)
    assert set(model.predict(X0).tolist()) <= {"low", "mid", "high"}


# ---------------------------------------------------------------------------
# predict: the table must be the one the model was fitted on
# ---------------------------------------------------------------------------

def _all_text(X):
    return X.astype(object).where(X.to_numpy() == -12345, "unknown")


PREDICT_ERRORS = {
    # case: (change the table, error type, message must match this regex)
    "reordered": (lambda X: X[["priors_count", "age", "income", "is_married"]], ValueError,
                  r"(?s)feature names.*same order"),
    "renamed": (lambda X: X.rename(columns={"age": "years"}), ValueError,
                r"(?s)unseen at fit time:\s*- years.*missing:\s*- age"),
    "missing": (lambda X: X.drop(columns="income"), ValueError,
                r"(?s)seen at fit time, yet now missing:\s*- income"),
    "extra": (lambda X: X.assign(extra=1), ValueError, r"(?s)unseen at fit time:\s*- extra"),
    "numpy_fewer_columns": (lambda X: X.to_numpy()[:, :3], ValueError,
                            r"X has 3 features, but \w+ is expecting 4 features"),
    "zero_rows": (lambda X: X.iloc[:0], ValueError, r"0 sample\(s\)"),
    "nan_at_predict": (lambda X: X.astype({"income": float}).assign(
        income=lambda t: t["income"].where(t.index != 2)), ValueError, r"'income'.*row 2"),
    "text_at_predict": (_all_text, ValueError,
                        r"Column '(age|priors_count|income|is_married)'.*'unknown'"),
}


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
@pytest.mark.parametrize("name, case", _params(PREDICT_ERRORS))
def test_predict_refuses_a_different_table(fitted, name, case):
    change, error, pattern = PREDICT_ERRORS[case]
    with pytest.raises(error) as info:
        fitted[name].predict(change(X0))
    assert re.search(pattern, str(info.value)), str(info.value)


@pytest.mark.parametrize("name", NAMES)
def test_numpy_at_predict_is_read_in_the_fit_order(fitted, name):
    """As scikit-learn: an array after a DataFrame fit warns and is read by position."""
    model = fitted[name]
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        proba = model.predict_proba(X0.to_numpy())
    np.testing.assert_allclose(proba, model.predict_proba(X0), rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_dataframe_after_a_numpy_fit_is_read_by_position(name):
    model = _instance(name).fit(X0.to_numpy(), Y0)
    with pytest.warns(UserWarning, match="fitted without feature names"):
        proba = model.predict_proba(X0)
    np.testing.assert_allclose(proba, model.predict_proba(X0.to_numpy()), rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------
# Binary columns, conditions, the Binarizer and the Rashomon set
# ---------------------------------------------------------------------------

def test_binary_input_refuses_other_values_and_takes_booleans():
    features = pytest.importorskip("glassbox.features")
    Z = pd.DataFrame({"smoker": [0, 1, 1, 0], "age_over_60": [0, 1, 2, 0]})
    with pytest.raises(ValueError) as info:
        features.mine_antecedents(Z, max_card=1, min_support=0.0)
    _assert_names(str(info.value), "'age_over_60'", "not binary", "value 2", "row 2",
                  "Binarizer")
    ok = features.mine_antecedents(Z.assign(age_over_60=[False, True, True, False]),
                                   max_card=1, min_support=0.0)
    assert {c.name for c in ok.literals} >= {"smoker", "age_over_60"}

    holder = ESTIMATORS["SparseTreeClassifier"]()
    with pytest.raises(ValueError, match="'age_over_60' is not binary"):
        check_binary(Z, holder, reset=True)
    out = check_binary(Z.assign(age_over_60=pd.array([0, 1, 1, 0], dtype="boolean")), holder,
                       reset=True)
    assert out.dtype == bool and out[:, 1].tolist() == [False, True, True, False]


def test_conditions_refuse_values_they_cannot_test():
    """A 0/1 condition does not read 2 or 'no' as true; a threshold does not take text."""
    married = Condition("is_married", "is_true")
    assert married.evaluate(pd.DataFrame({"is_married": [0, 1, True]})).tolist() == [
        False, True, True]
    for bad in (2, "no"):
        with pytest.raises(ValueError) as info:
            married.evaluate(pd.DataFrame({"is_married": [0, bad]}))
        _assert_names(str(info.value), "'is_married'", "not binary", repr(bad))
    with pytest.raises(ValueError) as info:
        Condition("age", "<=", 25).evaluate(pd.DataFrame({"age": ["30", "old"]}))
    _assert_names(str(info.value), "'age'", "'old'", "'age <= 25'")


def test_a_fitted_tree_refuses_a_non_binary_value_in_a_binary_column():
    rng = np.random.default_rng(1)
    Z = pd.DataFrame(rng.integers(0, 2, (80, 3)), columns=["smoker", "diabetic", "male"])
    y = np.where(Z["smoker"] == 1, "sick", "well")
    tree = ESTIMATORS["SparseTreeClassifier"]._test_instance().fit(Z, y)
    assert "smoker" in tree.to_text()
    with pytest.raises(ValueError) as info:
        tree.predict(Z.assign(smoker=Z["smoker"] * 2))
    _assert_names(str(info.value), "'smoker'", "not binary", "value 2")


def test_numbers_as_text_alone_are_read_as_levels_and_categories_may_hold_digits():
    """A text column of numbers only (no stray word) is accepted as it is; text declared
    categorical is never refused for looking numeric."""
    holder = ESTIMATORS["SparseTreeClassifier"]()
    X = X0.assign(income=X0["income"].astype(str))
    assert check_table(X, holder, reset=True)["income"].tolist() == X["income"].tolist()
    np.testing.assert_allclose(check_numeric(X, holder, reset=True)[:, 2], X0["income"])
    grades = pd.Series(["1", "2", "2+", "1"] * 15, dtype="category")
    assert check_table(X0.assign(grade=grades), holder, reset=True)["grade"].dtype == "category"


def test_check_numeric_names_the_column_of_a_non_number_object():
    ages = X0["age"].to_numpy().astype(object)
    ages[1] = {"a": 1}
    X = X0.assign(age=ages)
    with pytest.raises(TypeError, match=r"Column 'age' holds values that are not numbers"):
        check_numeric(X, ESTIMATORS["SparseTreeClassifier"](), reset=True)


def test_binarizer_on_messy_tables():
    features = pytest.importorskip("glassbox.features")
    with pytest.raises(ValueError, match=r"NaN .*column 'income'.*row 5"):
        features.Binarizer().fit(_nan()[0])
    with pytest.raises(ValueError, match=r"duplicate column names: 'age'"):
        features.Binarizer().fit(_duplicate_columns()[0])
    binarizer = features.Binarizer(n_thresholds=3).fit(X0)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        np.testing.assert_array_equal(binarizer.transform(X0.to_numpy()),
                                      binarizer.transform(X0))


def test_rashomon_set_on_messy_input():
    rashomon = pytest.importorskip("glassbox.rashomon")
    trees = ESTIMATORS["SparseTreeClassifier"](max_depth=2, n_thresholds=3)
    with pytest.raises(ValueError, match=r"NaN .*column 'income'"):
        rashomon.RashomonSet(trees, epsilon=0.05).fit(_nan()[0], Y0)
    with pytest.raises(ValueError, match=r"3 classes"):
        rashomon.RashomonSet(trees, epsilon=0.05).fit(X0, np.array(["a", "b", "c"] * 20))
    fitted_set = rashomon.RashomonSet(trees, epsilon=0.05).fit(X0, Y0)
    with pytest.raises(ValueError, match=r"(?s)unseen at fit time:\s*- years"):
        fitted_set.predict(X0.rename(columns={"age": "years"}))


# ---------------------------------------------------------------------------
# The command line on messy CSV files
# ---------------------------------------------------------------------------

def _write(tmp_path, name, frame=None, text=None):
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    else:
        frame.to_csv(path, index=False)
    return str(path)


def _people():
    X, y = make_data(40, seed=2)
    return X.drop(columns="income").assign(reoffended=y)


CLI_CASES = {
    # case: (kind, CSV writer, message must contain)
    "missing_value": ("rules", lambda p: _write(p, "a.csv", _people().astype(
        {"age": float}).assign(age=lambda t: t["age"].where(t.index != 3))),
        ["NaN", "'age'", "row 3"]),
    "question_mark": ("rules", lambda p: _write(p, "b.csv", _people().astype(
        {"age": object}).assign(age=lambda t: t["age"].where(t.index != 5, "?"))),
        ["'age'", "mixes numbers and text", "'?'"]),
    "text_column_for_numbers": ("scorecard", lambda p: _write(p, "c.csv", _people().assign(
        city=np.where(np.arange(40) % 2, "Paris", "Lyon"))), ["'city'", "not numeric"]),
    "target_not_found": ("rules", lambda p: _write(p, "d.csv", _people()),
                         ["--target 'label' is not a column", "priors_count"]),
    "empty_file": ("rules", lambda p: _write(p, "e.csv", text=""), ["could not read"]),
    "header_only": ("rules", lambda p: _write(p, "f.csv", text="age,priors,reoffended\n"),
                    ["no data rows"]),
    "repeated_header": ("rules", lambda p: _write(
        p, "g.csv", text="age,age,reoffended\n" + "".join(
            f"{i},{i % 3},{'yes' if i % 2 else 'no'}\n" for i in range(20))),
        ["more than one column named 'age'"]),
    "one_class": ("rules", lambda p: _write(p, "h.csv", _people().assign(reoffended="no")),
                  ["only one class", "'no'"]),
    "missing_label": ("tree", lambda p: _write(p, "i.csv", _people().assign(
        reoffended=lambda t: t["reoffended"].where(t.index != 1))), ["y contains NaN"]),
}


@pytest.mark.parametrize("case", CLI_CASES)
def test_cli_reports_messy_csv_in_one_line(case, tmp_path, capsys):
    kind, write, needles = CLI_CASES[case]
    cls_name = {"rules": "RuleListClassifier", "scorecard": "RiskScoreClassifier",
                "tree": "SparseTreeClassifier"}[kind]
    if cls_name not in ESTIMATORS:
        pytest.skip(f"{cls_name} needs an extra that is not installed")
    path = write(tmp_path)
    target = "label" if case == "target_not_found" else "reoffended"
    assert main(["fit", kind, path, "--target", target, "--time-limit", "2"]) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("glassbox: error: "), err
    assert "Traceback" not in err
    _assert_names(lines[0], *needles)


def test_rashomon_command_reports_messy_csv_in_one_line(tmp_path, capsys):
    pytest.importorskip("glassbox.rashomon")
    frame = _people().astype({"priors_count": object})
    frame.loc[6, "priors_count"] = "unknown"
    path = _write(tmp_path, "people.csv", frame)
    assert main(["rashomon", path, "--target", "reoffended", "--max-depth", "2"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("glassbox: error: ")
    _assert_names(lines[0], "'priors_count'", "'unknown'", "row 6")


@pytest.mark.parametrize("shape, position, value, needles", [
    ((12, 6, 6), (3, 2, 5), np.nan, ["NaN", "image 3", "(row, col) = (2, 5)"]),
    ((12, 1, 6, 6), (4, 0, 1, 1), np.inf, ["infinity", "image 4",
                                           "(channel, row, col) = (0, 1, 1)"]),
])
def test_images_with_missing_pixels_name_the_image_and_pixel(shape, position, value,
                                                             needles):
    pytest.importorskip("torch")
    images = np.random.default_rng(0).random(shape)
    images[position] = value
    labels = np.arange(shape[0]) % 2
    with pytest.raises(ValueError) as info:
        ESTIMATORS["ProtoPNetClassifier"]._test_instance().fit(images, labels)
    _assert_names(str(info.value), *needles)
