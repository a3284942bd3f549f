"""The course's data: Fashion-MNIST as every notebook uses it, with offline stand-ins.

Fashion-MNIST comes from Keras' own loader and cache (``~/.keras/datasets``). Where that cannot
download (no internet, as on CI), the course falls back to ``digits_distorted``: scikit-learn's
1,797 real handwritten digits (they ship inside the package), resized to 28x28 and split into
train, validation and test *by source image* before each copy is shifted, rotated, rescaled,
elastically distorted and made noisy. No test image derives from a training image, and the task
is hard enough for effects to show (the chapter's MLP reaches about 0.89 after 10 epochs of SGD,
against 0.87 on Fashion-MNIST). Its 1,200 validation and 1,440 test images are 5 and 4 copies of
240 and 360 source digits: an accuracy on them is about as noisy as one on 240 and 360 images,
which :meth:`Dataset.effective_size` says and :func:`helpers.verdicts.compare` uses.

Two more names stay for the assignments and the benchmarks: ``digits`` is the plain resized
digits (1,200 / 300 / 297; the grading tests use it), and ``digits_tiled`` repeats them to
Fashion-MNIST's size (55,000 / 5,000 / 10,000): no new information, but the same cost, so that
``benchmarks/`` can time a full run offline. A one-line notice always says which data set is in
use and why. Instructors can point ``COURSE_DATA_DIR`` at a folder holding the four original
Fashion-MNIST ``.gz`` files to skip the download.
"""

import contextlib
import gzip
import io
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

DATASET_ENV = "COURSE_DATASET"
DATA_DIR_ENV = "COURSE_DATA_DIR"
DATASETS = ("fashion_mnist", "digits", "digits_tiled", "digits_distorted")
OFFLINE_FALLBACK = "digits_distorted"

FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
DIGITS_CLASSES = tuple(str(d) for d in range(10))

FASHION_MNIST_FILES = (
    "train-labels-idx1-ubyte.gz",
    "train-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
)
FASHION_VALID_SIZE = 5_000  # the first 5,000 training images, as in the chapter
DIGITS_TEST_SIZE = 297
DIGITS_VALID_SIZE = 300
# digits_distorted: source images per split, and distorted copies made of each source image
DISTORTED_SOURCES = {"test": 360, "valid": 240}  # the remaining 1,197 sources train
DISTORTED_COPIES = {"train": 9, "valid": 5, "test": 4}
DISTORTED_SEED = 2026
DEFAULT_VALID_SIZE = {
    "fashion_mnist": FASHION_VALID_SIZE,
    "digits": DIGITS_VALID_SIZE,
    "digits_tiled": FASHION_VALID_SIZE,
    "digits_distorted": DISTORTED_SOURCES["valid"] * DISTORTED_COPIES["valid"],
}
LABELS = {  # for the notice
    "fashion_mnist": "Fashion-MNIST",
    "digits": "scikit-learn digits (28x28)",
    "digits_tiled": "scikit-learn digits (28x28) repeated to Fashion-MNIST's size",
    "digits_distorted": (
        "scikit-learn digits, distorted (shift, rotation, elastic, noise; split by source)"
    ),
}


@dataclass(frozen=True)
class Dataset:
    """Train/validation/test split of 28x28 grey images with pixels in [0, 1]."""

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_valid: np.ndarray
    y_valid: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    notice: str = field(default="", compare=False)

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, train={len(self.X_train):,}, "
            f"valid={len(self.X_valid):,}, test={len(self.X_test):,})"
        )

    def effective_size(self, split: str) -> int:
        """How many independent examples an accuracy measured on ``split`` rests on.

        Copies of one source image tend to be right or wrong together, so its copies count
        once: ``digits_distorted``'s validation and test sets (1,200 and 1,440 images) are 5 and
        4 distorted copies of 240 and 360 source digits, so a single run's accuracy on them is
        about as noisy as one on 240 and 360 images, and :func:`helpers.verdicts.compare` judges
        it so. ``digits_tiled`` repeats 1,500 training and 297 test digits; Fashion-MNIST and
        ``digits`` have one image per source (the size of the split).
        """
        return effective_size(self, split)

    def source_ids(self, split: str) -> np.ndarray | None:
        """For each image of ``split``, the id of the original image it was made from: images
        with the same id are copies of one original, whatever their pixels. None when the data
        set does not record it (Fashion-MNIST). See :func:`source_ids`."""
        return source_ids(self, split)


def load_dataset(
    name: str | None = None,
    *,
    valid_size: int | None = None,
    max_train: int | None = None,
    data_dir: str | os.PathLike | None = None,
    verbose: bool = True,
) -> Dataset:
    """Load the course data set, split into train/valid/test and scaled to [0, 1].

    Parameters
    ----------
    name : {"fashion_mnist", "digits", "digits_tiled", "digits_distorted"}, optional
        Defaults to ``$COURSE_DATASET`` or ``"fashion_mnist"``. If Fashion-MNIST cannot be loaded,
        ``digits_distorted`` is used instead and the notice says why.
    valid_size : int, optional
        Images taken from the start of the training set for validation (5,000 for Fashion-MNIST,
        300 for the digits, 1,200 for ``digits_distorted``: exactly its validation sources;
        another size moves images between its validation and training splits, never the test).
    max_train : int, optional
        Keep only the first ``max_train`` training images (fast mode).
    data_dir : path, optional
        Folder with pre-downloaded Fashion-MNIST ``.gz`` files (default ``$COURSE_DATA_DIR``).
    verbose : bool
        Print the one-line notice.
    """
    if name is None:
        name = os.environ.get(DATASET_ENV, "").strip() or "fashion_mnist"
    if name not in DATASETS:
        raise ValueError(f"name must be one of {DATASETS}, got {name!r}.")
    if max_train is not None and (not isinstance(max_train, int) or max_train <= 0):
        raise ValueError(f"max_train must be a positive int or None, got {max_train!r}.")
    if data_dir is None and os.environ.get(DATA_DIR_ENV):
        data_dir = os.environ[DATA_DIR_ENV]

    name, reason, (X_full, y_full), (X_test, y_test) = _load(name, data_dir)
    valid_size = _check_valid_size(name, valid_size, len(X_full))
    X_valid, y_valid = X_full[:valid_size], y_full[:valid_size]
    X_train, y_train = X_full[valid_size:], y_full[valid_size:]
    if max_train is not None:
        X_train, y_train = X_train[:max_train], y_train[:max_train]

    notice = (
        f"Dataset: {LABELS[name]}, {len(X_train):,} train / {len(X_valid):,} valid / "
        f"{len(X_test):,} test images"
    )
    if reason:
        notice += f". Using {name} because {reason}."
    if verbose:
        print(notice)
    class_names = FASHION_MNIST_CLASSES if name == "fashion_mnist" else DIGITS_CLASSES
    return Dataset(name, X_train, y_train, X_valid, y_valid, X_test, y_test, class_names, notice)


def _load(name, data_dir):
    """``(name, reason, (X_full, y_full), (X_test, y_test))``: the arrays of data set ``name``,
    or of the offline fallback when Fashion-MNIST cannot be loaded (``name`` and the reason say
    so)."""
    reason = f"{DATASET_ENV}={name}" if name != "fashion_mnist" else ""
    if name == "fashion_mnist":
        try:
            return name, reason, *_fashion_mnist(data_dir)
        except Exception as error:  # Keras raises a bare Exception on "URL fetch failure"
            name = OFFLINE_FALLBACK
            reason = _why_not_loaded(error)
    if name == "digits_distorted":
        return name, reason, *_digits_distorted()[:2]
    if name == "digits":
        return name, reason, *_digits()
    return name, reason, *_digits_tiled()


def _check_valid_size(name, valid_size, n_full) -> int:
    """The validation size asked for, or the data set's default; it must leave training data."""
    if valid_size is None:
        valid_size = DEFAULT_VALID_SIZE[name]
    if not isinstance(valid_size, int) or valid_size < 0:
        raise ValueError(f"valid_size must be a non-negative int, got {valid_size!r}.")
    if valid_size >= n_full:
        raise ValueError(
            f"valid_size={valid_size} leaves no training data: the {name} training set has "
            f"{n_full} images, so valid_size must be below {n_full}."
        )
    return valid_size


def _why_not_loaded(error: Exception) -> str:
    """Why Fashion-MNIST was not loaded, in words a reader of the page needs: Keras' download
    failure ("URL fetch failure on https://...: [Errno -2] ...") means no network; any other
    error (a pre-downloaded folder lacking a file) is named by its first line."""
    text = str(error).strip().splitlines()
    first = text[0] if text else ""
    if "URL fetch failure" in first:
        return "Fashion-MNIST could not be downloaded (no network)"
    return f"Fashion-MNIST could not be loaded ({type(error).__name__}: {first})".strip()


def _scale(images: np.ndarray) -> np.ndarray:
    return (images / 255.0).astype(np.float32)


@lru_cache(maxsize=4)
def _fashion_mnist(data_dir):
    """Fashion-MNIST as ((X_train, y_train), (X_test, y_test)), pixels scaled to [0, 1]."""
    if data_dir is not None:
        (X_train, y_train), (X_test, y_test) = _read_fashion_folder(Path(data_dir))
    else:
        import keras

        # Keras prints "Downloading data from https://..." before it tries; offline, that line
        # and the failure would stand on the lecture's page next to the one-line notice.
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            (X_train, y_train), (X_test, y_test) = keras.datasets.fashion_mnist.load_data()
    return (_scale(X_train), y_train.astype(np.int64)), (_scale(X_test), y_test.astype(np.int64))


def _read_fashion_folder(folder: Path):
    """Read the four original ``.gz`` files the way Keras' loader does."""
    missing = [f for f in FASHION_MNIST_FILES if not (folder / f).is_file()]
    if missing:
        raise FileNotFoundError(f"{DATA_DIR_ENV}={folder} lacks {', '.join(missing)}")
    arrays = []
    for fname in FASHION_MNIST_FILES:
        offset = 8 if "labels" in fname else 16
        with gzip.open(folder / fname, "rb") as f:
            arrays.append(np.frombuffer(f.read(), np.uint8, offset=offset))
    y_train, X_train, y_test, X_test = arrays
    return (X_train.reshape(-1, 28, 28), y_train), (X_test.reshape(-1, 28, 28), y_test)


@lru_cache(maxsize=1)
def _digits():
    """scikit-learn's 1,797 digits, shuffled once with a fixed seed, as 28x28 images in [0, 1]."""
    from scipy.ndimage import zoom
    from sklearn.datasets import load_digits

    digits = load_digits()
    order = np.random.default_rng(42).permutation(len(digits.images))
    images = digits.images[order] / 16.0  # 8x8, values 0..16
    images = zoom(images, (1, 28 / 8, 28 / 8), order=1)  # bilinear to 28x28
    images = np.clip(images, 0.0, 1.0).astype(np.float32)
    labels = digits.target[order].astype(np.int64)
    n_test = DIGITS_TEST_SIZE
    return (images[n_test:], labels[n_test:]), (images[:n_test], labels[:n_test])


@lru_cache(maxsize=1)
def _digits_tiled():
    """The digits repeated to Fashion-MNIST's 60,000 training and 10,000 test images."""
    (X_train, y_train), (X_test, y_test) = _digits()
    train_idx = np.resize(np.arange(len(X_train)), 60_000)
    test_idx = np.resize(np.arange(len(X_test)), 10_000)
    return (X_train[train_idx], y_train[train_idx]), (X_test[test_idx], y_test[test_idx])


def _distort(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One random distortion per image: rotation (up to 12 degrees), rescaling (0.9 to 1.1),
    shift (up to 2 pixels), a smooth elastic displacement (up to 2 pixels, Simard et al. 2003)
    and Gaussian pixel noise (standard deviation 0.1), clipped to [0, 1]."""
    from scipy.ndimage import gaussian_filter, map_coordinates

    n, h, w = images.shape
    yy, xx = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    centre = (h - 1) / 2
    theta = np.deg2rad(rng.uniform(-12, 12, n))
    scale = rng.uniform(0.9, 1.1, n)
    shift = rng.uniform(-2, 2, (n, 2))
    fields = gaussian_filter(rng.uniform(-1, 1, (2, n, h, w)), (0, 0, 3, 3))
    fields *= 2.0 / np.abs(fields).max(axis=(2, 3), keepdims=True)
    out = np.empty_like(images)
    for i in range(n):
        cos, sin = np.cos(theta[i]) / scale[i], np.sin(theta[i]) / scale[i]
        y0, x0 = yy - centre - shift[i, 0], xx - centre - shift[i, 1]
        rows = cos * y0 - sin * x0 + centre + fields[0, i]
        cols = sin * y0 + cos * x0 + centre + fields[1, i]
        out[i] = map_coordinates(images[i], [rows, cols], order=1, mode="constant")
    out += rng.normal(0.0, 0.1, out.shape).astype(np.float32)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


@lru_cache(maxsize=1)
def _digits_distorted():
    """((X_full, y_full), (X_test, y_test), sources_full, sources_test).

    X_full holds the validation copies first, then the training copies; ``sources_*`` give the
    index (in ``load_digits()``) of the image each copy was made from.
    """
    from scipy.ndimage import zoom
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = np.clip(zoom(digits.images / 16.0, (1, 28 / 8, 28 / 8), order=1), 0.0, 1.0)
    images = images.astype(np.float32)
    rng = np.random.default_rng(DISTORTED_SEED)
    order = rng.permutation(len(images))
    n_test, n_valid = DISTORTED_SOURCES["test"], DISTORTED_SOURCES["valid"]
    split_sources = {
        "test": order[:n_test],
        "valid": order[n_test : n_test + n_valid],
        "train": order[n_test + n_valid :],
    }
    made = {}
    for split in ("train", "valid", "test"):  # fixed order: the same images on every run
        sources = np.repeat(split_sources[split], DISTORTED_COPIES[split])
        sources = sources[rng.permutation(len(sources))]
        made[split] = (_distort(images[sources], rng), digits.target[sources], sources)
    X_full = np.concatenate([made["valid"][0], made["train"][0]])
    y_full = np.concatenate([made["valid"][1], made["train"][1]]).astype(np.int64)
    sources_full = np.concatenate([made["valid"][2], made["train"][2]])
    X_test, y_test, sources_test = made["test"]
    return (X_full, y_full), (X_test, y_test.astype(np.int64)), sources_full, sources_test


SPLITS = ("train", "valid", "test")  # the splits effective_size (and verdicts.compare) accept


def effective_size(data: Dataset, split: str) -> int:
    """Distinct source images in one split of a data set made by :func:`load_dataset`."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}.")
    images = getattr(data, f"X_{split}")
    if data.name == "digits_distorted":
        (X_full, _), (X_test, _), sources_full, sources_test = _digits_distorted()
        made, sources = (X_test, sources_test) if split == "test" else (X_full, sources_full)
        start = len(data.X_valid) if split == "train" else 0  # where load_dataset cut it
        window = slice(start, start + len(images))
        if not np.array_equal(images, made[window]):
            raise ValueError(
                f"data.X_{split} is not the split load_dataset made, so its source digits are "
                "unknown: count the independent examples yourself (n_eff)."
            )
        return int(np.unique(sources[window]).size)
    if data.name == "digits_tiled":  # cycles through the digits: a window holds min(n, pool)
        pool = DIGITS_TEST_SIZE if split == "test" else len(_digits()[0][0])
        return min(len(images), pool)
    return len(images)


def source_ids(data: Dataset, split: str) -> np.ndarray | None:
    """The original image each image of one split was made from, as ids comparable across the
    splits of one data set; None when the data set does not record its sources.

    A leak check that compares pixels finds exact copies only: ``digits_distorted``'s copies of
    one source digit differ in every pixel (shift, rotation, elastic distortion, noise), so only
    their source says they are the same digit. Its ids are indices into scikit-learn's
    ``load_digits()``; ``digits`` and ``digits_tiled`` use each digit's position in the shuffled
    set (``digits_tiled`` repeats them, so its validation images are copies of training images).
    Fashion-MNIST records no sources: None.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}.")
    images = getattr(data, f"X_{split}")
    start = len(data.X_valid) if split == "train" else 0  # where load_dataset cut it
    window = np.arange(start, start + len(images))
    if data.name == "digits_distorted":
        (X_full, _), (X_test, _), sources_full, sources_test = _digits_distorted()
        made, sources = (X_test, sources_test) if split == "test" else (X_full, sources_full)
    elif data.name in ("digits", "digits_tiled"):
        (X_pool, _), (X_test_pool, _) = _digits()
        if split == "test":  # the first DIGITS_TEST_SIZE shuffled digits
            made = _digits_tiled()[1][0] if data.name == "digits_tiled" else X_test_pool
            sources = np.arange(len(made)) % len(X_test_pool)
        else:  # the rest, after the test digits
            made = _digits_tiled()[0][0] if data.name == "digits_tiled" else X_pool
            sources = DIGITS_TEST_SIZE + np.arange(len(made)) % len(X_pool)
    else:
        return None
    if window[-1:].max(initial=-1) >= len(made) or not np.array_equal(images, made[window]):
        raise ValueError(
            f"data.X_{split} is not the split load_dataset made, so its sources are unknown."
        )
    return sources[window]
