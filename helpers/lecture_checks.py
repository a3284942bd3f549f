"""What a reader would find wrong on an executed lecture's page, checked one way everywhere.

For the instructor and CI, not for students: :func:`problems` reads an executed lecture
notebook and returns one sentence per problem. The three places that execute the lectures call
it and nothing else, so they cannot drift apart: the nbval hook of ``make test``
(``lectures/conftest.py``), ``make lectures`` (``tools/render_lectures.py``) and
``benchmarks/lectures.py``. The problems:

- a cell wrote to stderr: a warning or a TensorFlow log line is a red box on the rendered page
  and noise in the student's notebook (matplotlib's one-time font-cache notice aside);
- a verdict the markdown announces (``<!-- verdict: key -->``) was never printed by the code
  (``Verdict [key]: ...``, :mod:`helpers.verdicts`), so prose and numbers drifted apart;
- on the offline data set, a verdict compares held-out accuracies above :data:`CEILING`: a
  data set on which the models score 99 % leaves the effects a lecture demonstrates no room;
- an output shows a download attempt or an exception's text (``Downloading data from ...``,
  ``URL fetch failure ... [Errno -2]``, a traceback): the data source is decided quietly, with
  the one-line notice of :func:`helpers.data.load_dataset` only;
- a cell prints more than :data:`MAX_EPOCH_LINES` lines of Keras' epoch log (``verbose=2``):
  :func:`helpers.training.epoch_summary` reports a fit in one line.
"""

import re

from helpers.data import OFFLINE_FALLBACK
from helpers.verdicts import held_out_accuracies, printed_keys

CEILING = 0.985  # no model in a lecture comparison above about 98 %: effects need headroom
CEILING_DATASET = OFFLINE_FALLBACK  # the data the lectures run on offline, and in `make test`
MARKER = re.compile(r"<!--\s*verdict:\s*([a-z0-9-]+)\s*-->")
FIRST_RUN_NOTICES = ("Matplotlib is building the font cache",)
STDERR_SHOWN = 2000  # characters of a cell's stderr quoted in the problem
NOISE = ("Downloading data from", "URL fetch failure", "[Errno", "Traceback (most recent call")
EPOCH_LINE = re.compile(r"^(Epoch \d+/\d+|\d+/\d+ - \d+m?s .*- loss)", re.M)
MAX_EPOCH_LINES = 4


def problems(notebook, *, dataset: str | None) -> list[str]:
    """The problems of an executed lecture, one sentence each; an empty list when there are none.

    ``notebook`` is an executed notebook (an nbformat node, or its JSON as a dict) with its
    markdown cells; a cell is named by its index among all cells and its first line.
    ``dataset`` is the data set its kernel loaded (``COURSE_DATASET``); the ceiling applies on
    :data:`CEILING_DATASET` only, where the lectures were tuned to leave headroom.
    """
    cells = notebook["cells"]
    markdown = "\n".join(_source(c) for c in cells if c["cell_type"] == "markdown")
    stdout = "".join(stream_text(c.get("outputs"), "stdout") for c in cells)
    found = []
    for index, cell in enumerate(cells):
        found += _cell_problems(index, cell)
    missing = missing_verdicts(markdown, stdout)
    if missing:
        found.append(
            f"verdicts announced in the markdown but never printed: {missing} "
            f"(printed: {printed_keys(stdout)})"
        )
    too_easy = above_ceiling(stdout) if dataset == CEILING_DATASET else []
    if too_easy:
        found.append(
            f"accuracies above {CEILING:.1%} compared in verdicts on {dataset}: {too_easy}; "
            "the comparison needs a harder task or less data"
        )
    return found


def _cell_problems(index: int, cell) -> list[str]:
    """What is wrong with one cell's outputs: stderr, download or exception text, epoch logs."""
    name = f"cell {index} (`{_source(cell).strip().split(chr(10))[0][:40]}`)"
    outputs = cell.get("outputs")
    found = []
    stderr = stray_stderr(stream_text(outputs, "stderr"))
    if stderr:
        found.append(f"{name} wrote to stderr (a red box on the page):\n{stderr[:STDERR_SHOWN]}")
    text = output_text(outputs)
    noise = [phrase for phrase in NOISE if phrase in text]
    if noise:
        found.append(f"{name} shows download or exception text on the page: {noise}")
    epoch_lines = len(EPOCH_LINE.findall(stream_text(outputs, "stdout")))
    if epoch_lines > MAX_EPOCH_LINES:
        found.append(
            f"{name} prints {epoch_lines} lines of epoch log (at most {MAX_EPOCH_LINES}): fit "
            "with verbose=0 and helpers.training.epoch_summary()"
        )
    return found


def output_text(outputs) -> str:
    """Everything a reader sees as text in one cell's outputs: streams, plain-text displays and
    error messages with their tracebacks."""
    parts = []
    for out in outputs or []:
        parts.append(out.get("text", ""))
        parts.append(_joined(out.get("data", {}).get("text/plain", "")))
        if out.get("output_type") == "error":
            parts += [out.get("ename", ""), out.get("evalue", ""), *out.get("traceback", [])]
    return "\n".join(_joined(p) for p in parts if p)


def _joined(text) -> str:
    return "".join(text) if isinstance(text, list) else text


def expected_keys(markdown) -> list[str]:
    """The verdict keys a lecture's markdown announces with ``<!-- verdict: key -->``."""
    return MARKER.findall(markdown)


def missing_verdicts(markdown, stdout) -> list[str]:
    """Keys the markdown announces that the printed output never gave a verdict for."""
    printed = printed_keys(stdout)
    return [key for key in expected_keys(markdown) if key not in printed]


def above_ceiling(stdout) -> list[float]:
    """Held-out accuracies compared in printed verdicts that leave no headroom (> CEILING)."""
    return [a for a in held_out_accuracies(stdout) if a > CEILING]


def stray_stderr(text) -> str:
    """What a cell wrote to stderr, minus blank lines and one-time notices of a fresh machine."""
    lines = [line for line in text.splitlines() if not line.startswith(FIRST_RUN_NOTICES)]
    return "\n".join(line for line in lines if line.strip())


def stream_text(outputs, name) -> str:
    """The ``stdout`` or ``stderr`` text of one cell's outputs (nbformat dicts)."""
    return "".join(
        out.get("text", "")
        for out in outputs or []
        if out.get("output_type") == "stream" and out.get("name") == name
    )


def _source(cell) -> str:
    """A cell's source: a string in nbformat, a list of lines in the JSON file."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source
