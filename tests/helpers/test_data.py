import gzip

import keras
import numpy as np
import pytest

from helpers import data
from helpers.data import load_dataset


def test_digits_split_shape_and_scaling(capsys):
    ds = load_dataset("digits")
    assert ds.name == "digits"
    assert ds.X_train.shape == (1_200, 28, 28)
    assert ds.X_valid.shape == (300, 28, 28)
    assert ds.X_test.shape == (297, 28, 28)
    assert len(ds.X_train) + len(ds.X_valid) + len(ds.X_test) == 1_797
    for X in (ds.X_train, ds.X_valid, ds.X_test):
        assert X.dtype == np.float32
        assert X.min() >= 0.0 and X.max() <= 1.0
    assert ds.X_train.max() > 0.9  # really scaled, not left at 0..1/16
    assert set(np.unique(ds.y_train)) == set(range(10))
    assert ds.class_names == tuple("0123456789")
    out = capsys.readouterr().out
    assert out.strip() == ds.notice
    assert "digits" in out and "1,200 train / 300 valid / 297 test" in out
    assert "COURSE_DATASET=digits" in out


def test_digits_are_the_real_digits_resized():
    """Shrunk back to 8x8, each test image is closest to an original digit of the same label."""
    from scipy.ndimage import zoom
    from sklearn.datasets import load_digits

    ds = load_dataset("digits", verbose=False)
    originals = load_digits()
    flat = (originals.images / 16.0).reshape(len(originals.images), -1)
    small = zoom(ds.X_test, (1, 8 / 28, 8 / 28), order=1).reshape(len(ds.X_test), -1)
    nearest = ((small[:, None, :] - flat[None, :, :]) ** 2).sum(-1).argmin(1)
    assert (originals.target[nearest] == ds.y_test).mean() > 0.95


def test_environment_variable_selects_dataset(monkeypatch):
    monkeypatch.setenv(data.DATASET_ENV, "digits")
    assert load_dataset(verbose=False).name == "digits"


def test_fallback_when_keras_cannot_download(monkeypatch, capsys):
    """Keras raises a bare Exception('URL fetch failure ...') without internet."""

    def offline():
        raise Exception("URL fetch failure on https://example.invalid: None -- [Errno -3]")

    data._fashion_mnist.cache_clear()
    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", offline)
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)
    ds = load_dataset("fashion_mnist")
    assert ds.name == "digits_distorted" == data.OFFLINE_FALLBACK
    out = capsys.readouterr().out
    assert "Fashion-MNIST could not be downloaded (no network)" in out
    assert "URL fetch" not in out and "Errno" not in out and "https://" not in out
    assert "Using digits_distorted because" in out and "split by source" in out
    assert out.count("\n") == 1  # one-line notice


def test_the_real_offline_download_attempt_prints_only_the_notice(monkeypatch, capsys):
    """Keras prints "Downloading data from https://..." before it fails; the page shows only
    the one-line notice. Here the download really fails (no network in tests: a URL nobody
    serves keeps it so on a machine with one)."""
    from keras.src.datasets import fashion_mnist

    data._fashion_mnist.cache_clear()
    monkeypatch.setattr(fashion_mnist, "get_file", _offline_get_file)
    monkeypatch.delenv(data.DATA_DIR_ENV, raising=False)
    load_dataset("fashion_mnist")
    data._fashion_mnist.cache_clear()
    out, err = capsys.readouterr()
    assert "Downloading data from" not in out + err and err == ""
    assert out.count("\n") == 1 and "could not be downloaded (no network)" in out


def _offline_get_file(fname, origin, cache_dir=None, **kwargs):
    """Keras' own get_file, pointed at an address that cannot resolve, in a fresh cache."""
    import tempfile

    from keras.src.utils import file_utils

    origin = "https://fashion-mnist.invalid/" + fname
    cache = tempfile.mkdtemp(prefix="keras-cache-")
    return file_utils.get_file(fname, origin, cache_dir=cache, **kwargs)


def _write_idx(path, array, labels):
    header = b"\x00" * (8 if labels else 16)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def test_pre_downloaded_folder_is_read_like_keras(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X_train = rng.integers(0, 256, size=(5_010, 28, 28))
    y_train = rng.integers(0, 10, size=5_010)
    X_test = rng.integers(0, 256, size=(7, 28, 28))
    y_test = rng.integers(0, 10, size=7)
    names = data.FASHION_MNIST_FILES
    _write_idx(tmp_path / names[0], y_train, True)
    _write_idx(tmp_path / names[1], X_train, False)
    _write_idx(tmp_path / names[2], y_test, True)
    _write_idx(tmp_path / names[3], X_test, False)

    ds = load_dataset("fashion_mnist", data_dir=str(tmp_path))
    assert ds.name == "fashion_mnist"
    assert ds.class_names[0] == "T-shirt/top" and ds.class_names[9] == "Ankle boot"
    assert len(ds.X_valid) == 5_000 and len(ds.X_train) == 10 and len(ds.X_test) == 7
    np.testing.assert_allclose(ds.X_valid[3], X_train[3] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(ds.y_train, y_train[5_000:])
    np.testing.assert_allclose(ds.X_test, X_test / 255.0, rtol=1e-6)
    assert "Fashion-MNIST, 10 train / 5,000 valid / 7 test" in capsys.readouterr().out


def test_missing_files_in_folder_fall_back_with_reason(tmp_path, capsys):
    ds = load_dataset("fashion_mnist", data_dir=str(tmp_path))
    assert ds.name == "digits_distorted"
    assert "train-labels-idx1-ubyte.gz" in capsys.readouterr().out


def test_digits_tiled_has_fashion_mnist_size():
    ds = load_dataset("digits_tiled", verbose=False)
    assert (len(ds.X_train), len(ds.X_valid), len(ds.X_test)) == (55_000, 5_000, 10_000)
    small = load_dataset("digits", valid_size=0, verbose=False)
    np.testing.assert_array_equal(ds.X_valid[:1_500], small.X_train)  # the same images, repeated
    assert "repeated to Fashion-MNIST's size" in ds.notice


def test_max_train_subsets_training_only():
    ds = load_dataset("digits", max_train=100, verbose=False)
    assert len(ds.X_train) == 100 and len(ds.X_valid) == 300 and len(ds.X_test) == 297


def test_custom_valid_size():
    ds = load_dataset("digits", valid_size=0, verbose=False)
    assert len(ds.X_valid) == 0 and len(ds.X_train) == 1_500


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"name": "mnist"},
            r"name must be one of \('fashion_mnist', 'digits', 'digits_tiled', "
            r"'digits_distorted'\), got 'mnist'",
        ),
        ({"name": "digits", "valid_size": -1}, r"valid_size must be a non-negative int, got -1"),
        ({"name": "digits", "valid_size": 1_500}, r"valid_size=1500 leaves no training data"),
        ({"name": "digits", "max_train": 0}, r"max_train must be a positive int or None, got 0"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, message):
    with pytest.raises(ValueError, match=message):
        load_dataset(verbose=False, **kwargs)


def test_digits_distorted_sizes_scaling_and_notice(capsys):
    ds = load_dataset("digits_distorted")
    assert (len(ds.X_train), len(ds.X_valid), len(ds.X_test)) == (10_773, 1_200, 1_440)
    assert ds.X_test.shape[1:] == (28, 28) and ds.X_test.dtype == np.float32
    assert ds.X_train.min() >= 0.0 and ds.X_train.max() <= 1.0
    assert np.bincount(ds.y_test, minlength=10).min() > 100  # every class well represented
    out = capsys.readouterr().out
    assert out.strip() == ds.notice and out.count("\n") == 1
    assert "10,773 train / 1,200 valid / 1,440 test" in out


def test_digits_distorted_splits_by_source_image_before_distorting():
    (X_full, y_full), (X_test, y_test), src_full, src_test = data._digits_distorted()
    n_valid = len(load_dataset("digits_distorted", verbose=False).X_valid)
    src_valid, src_train = src_full[:n_valid], src_full[n_valid:]
    assert not set(src_test) & set(src_train), "a test image derives from a training image"
    assert not set(src_test) & set(src_valid) and not set(src_valid) & set(src_train)
    assert len(set(src_test)) == 360 and len(set(src_train)) == 1_797 - 360 - 240
    # labels follow the source image
    from sklearn.datasets import load_digits

    target = load_digits().target
    np.testing.assert_array_equal(y_test, target[src_test])
    np.testing.assert_array_equal(y_full, target[src_full])


def test_digits_distorted_copies_differ_and_stay_close_to_their_source():
    """Copies of one source are distinct images, each nearer its own source than most others."""
    from scipy.ndimage import zoom
    from sklearn.datasets import load_digits

    (_, _), (X_test, _), _, src_test = data._digits_distorted()
    first = src_test[0]
    copies = X_test[src_test == first]
    assert len(copies) == 4
    assert min(np.abs(copies[i] - copies[j]).mean() for i in range(4) for j in range(i)) > 0.05
    originals = np.clip(zoom(load_digits().images / 16.0, (1, 3.5, 3.5), order=1), 0, 1)
    distances = ((originals - copies[0]) ** 2).sum(axis=(1, 2))
    assert (distances < distances[first]).mean() < 0.1


def test_digits_distorted_is_the_same_on_every_call():
    a = data._digits_distorted()
    data._digits_distorted.cache_clear()
    b = data._digits_distorted()
    np.testing.assert_array_equal(a[1][0], b[1][0])
    np.testing.assert_array_equal(a[0][1], b[0][1])


@pytest.mark.slow  # a real nbgrader, kernel or training run: make test, not make check
def test_digits_distorted_leaves_headroom_for_a_linear_model():
    """A plain classifier is far from perfect here, unlike on the undistorted digits."""
    from sklearn.linear_model import LogisticRegression

    hard = load_dataset("digits_distorted", verbose=False)
    easy = load_dataset("digits", verbose=False)
    scores = {}
    for label, ds in (("hard", hard), ("easy", easy)):
        X, y = ds.X_train[:1_000].reshape(1_000, -1), ds.y_train[:1_000]
        model = LogisticRegression(max_iter=300).fit(X, y)
        scores[label] = model.score(ds.X_test.reshape(len(ds.X_test), -1), ds.y_test)
    assert scores["easy"] > 0.9 and scores["hard"] < 0.9, scores
    assert scores["easy"] - scores["hard"] > 0.05, scores


def test_effective_size_counts_source_images_not_copies():
    distorted = load_dataset("digits_distorted", verbose=False)
    sizes = {split: distorted.effective_size(split) for split in ("train", "valid", "test")}
    assert sizes == {"train": 1_797 - 360 - 240, "valid": 240, "test": 360}
    assert len(distorted.X_valid) == 5 * 240 and len(distorted.X_test) == 4 * 360
    # another validation size: the distinct sources of exactly the images in each split
    _, _, src_full, _ = data._digits_distorted()
    moved = load_dataset("digits_distorted", valid_size=2_000, max_train=3_000, verbose=False)
    assert moved.effective_size("valid") == len(set(src_full[:2_000]))
    assert moved.effective_size("train") == len(set(src_full[2_000:5_000]))
    # one image per source, or a pool repeated
    digits = load_dataset("digits", verbose=False)
    assert [digits.effective_size(s) for s in ("train", "valid", "test")] == [1_200, 300, 297]
    tiled = load_dataset("digits_tiled", verbose=False)
    assert [tiled.effective_size(s) for s in ("train", "valid", "test")] == [1_500, 1_500, 297]


@pytest.mark.parametrize(
    "method, split, pattern, changed",
    [
        ("effective_size", "test", r"split must be one of \('train', 'valid', 'test'\)", "X_test"),
        ("source_ids", "valid", r"split must be one of", "X_valid"),
    ],
)
def test_split_counts_refuse_arrays_load_dataset_did_not_make(method, split, pattern, changed):
    import dataclasses

    distorted = load_dataset("digits_distorted", verbose=False)
    with pytest.raises(ValueError, match=pattern):
        getattr(distorted, method)("validation")
    shuffled = dataclasses.replace(distorted, **{changed: getattr(distorted, changed)[::-1]})
    with pytest.raises(ValueError, match=f"{changed} is not the split load_dataset made"):
        getattr(shuffled, method)(split)


def test_source_ids_count_the_sources_of_part_of_a_split():
    distorted = load_dataset("digits_distorted", verbose=False)
    for split in ("train", "valid", "test"):
        ids = data.source_ids(distorted, split)
        assert len(ids) == len(getattr(distorted, f"X_{split}"))
        assert np.unique(ids).size == distorted.effective_size(split)
    # copies of one source carry its label: an id never maps to two classes
    ids, labels = data.source_ids(distorted, "test"), distorted.y_test
    assert all(np.unique(labels[ids == i]).size == 1 for i in np.unique(ids)[:50])
    # two classes of the test set: 4 copies of each of their sources
    rows = np.isin(labels, (8, 9))
    assert rows.sum() == 4 * np.unique(ids[rows]).size
    tiled = load_dataset("digits_tiled", verbose=False)
    assert np.unique(data.source_ids(tiled, "test")).size == tiled.effective_size("test")
    digits = load_dataset("digits", verbose=False)
    assert np.unique(data.source_ids(digits, "valid")).size == len(digits.X_valid)


def test_source_ids_find_the_copies_a_pixel_comparison_misses():
    distorted = load_dataset("digits_distorted", verbose=False)
    ids = {s: distorted.source_ids(s) for s in ("train", "valid", "test")}
    assert [len(ids[s]) for s in ids] == [len(distorted.X_train), 1_200, 1_440]
    assert {s: len(set(ids[s])) for s in ids} == {
        s: distorted.effective_size(s) for s in ("train", "valid", "test")
    }
    # split by source: no source digit is shared between two splits
    assert not set(ids["train"]) & set(ids["test"]) and not set(ids["valid"]) & set(ids["test"])
    # copies of one source share its label but no copy equals another byte for byte
    first = ids["test"][0]
    copies = distorted.X_test[ids["test"] == first]
    assert len(copies) == 4 and len({c.tobytes() for c in copies}) == 4
    assert len(set(distorted.y_test[ids["test"] == first])) == 1
    # a validation size that moves sources into training makes them shared, and the ids say so
    moved = load_dataset("digits_distorted", valid_size=1_000, verbose=False)
    assert set(moved.source_ids("train")) & set(moved.source_ids("valid"))


def test_source_ids_of_the_plain_and_tiled_digits():
    digits = load_dataset("digits", verbose=False)
    tr, va, te = (digits.source_ids(s) for s in ("train", "valid", "test"))
    assert len(set(np.concatenate([tr, va, te]))) == 1_797  # one image per source
    tiled = load_dataset("digits_tiled", verbose=False)
    tr, va, te = (tiled.source_ids(s) for s in ("train", "valid", "test"))
    assert set(va) <= set(tr) and not set(te) & set(tr)  # tiling repeats training digits
    # the same source id means the same picture
    i = np.flatnonzero(tr == va[0])[0]
    np.testing.assert_array_equal(tiled.X_train[i], tiled.X_valid[0])
