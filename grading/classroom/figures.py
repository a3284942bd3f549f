"""The grading report's figures, sized for their labels so that no text overlaps.

Each figure uses matplotlib's constrained layout, which makes room for every title, tick label,
axis label and legend; panels wrap into rows of at most ``PANELS_PER_ROW`` so long titles stay
readable, and the figure is never narrower than its title (one assignment early in the term);
per-test bars get one figure per assignment, as tall as its number of tests; the
grading times carry no per-student tick labels (a class of hundreds would print over each
other), the slowest submissions are named in the page's text instead. The test of the report
measures every text's extent on the drawn figures.
"""

import base64
import io
import math

PANELS_PER_ROW = 3
PANEL_WIDTH = 3.6  # inches
SCORES_MIN_WIDTH = 6.4  # inches: the score figure's title, with one or two panels under it
DPI = 90


def png(fig) -> str:
    """The figure as a base64 PNG for an ``<img src="data:...">``; the figure is closed."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def score_figure(summary):
    """A histogram of scores (percent of the maximum, after late penalties) per assignment."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    names = summary.assignments
    columns = min(PANELS_PER_ROW, len(names))
    rows = math.ceil(len(names) / columns)
    fig, axes = plt.subplots(
        rows,
        columns,
        figsize=(max(PANEL_WIDTH * columns, SCORES_MIN_WIDTH), 2.9 * rows + 0.4),
        squeeze=False,
        layout="constrained",
    )
    for ax, name in zip(axes.flat, names, strict=False):
        values = [r.percent for r in summary.results[name].values()]
        ax.hist(values, bins=range(0, 101, 10), color="tab:blue", edgecolor="white")
        ax.set_title(
            f"{name}\n{len(values)} graded, {len(summary.missing[name])} missing", fontsize=9
        )
        ax.set_xlabel("score (% of max)")
        ax.set_ylabel("submissions")
        ax.set_xlim(0, 100)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in list(axes.flat)[len(names) :]:
        ax.set_visible(False)
    fig.suptitle("Score distribution per assignment (after late penalties)")
    return fig


def failure_figure(summary, name: str):
    """The share of graded submissions losing points on each test cell of ``name``."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    tests = [t for t in summary.tests if t.assignment == name]
    fig, ax = plt.subplots(figsize=(8, 1.6 + 0.26 * len(tests)), layout="constrained")
    y = list(range(len(tests)))
    ax.barh(
        y,
        [100 * t.failure_share for t in tests],
        color=["tab:orange" if t.hidden else "tab:blue" for t in tests],
    )
    ax.set_yticks(y, [t.name for t in tests], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of graded submissions losing points")
    handles = [
        Patch(color="tab:blue", label="visible test"),
        Patch(color="tab:orange", label="hidden test"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=2, fontsize=8)
    fig.suptitle(f"{name}: failure share per test cell", fontsize=10)
    return fig


def time_figure(summary):
    """Grading time per submission, fastest to slowest; red for a fault or a failure."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    entries = sorted(summary.log, key=lambda e: e.get("seconds", 0))
    fig, ax = plt.subplots(figsize=(8, 2.8), layout="constrained")
    colors = [
        "tab:red" if e.get("status") == "failed" or e.get("faults") else "tab:green"
        for e in entries
    ]
    ax.bar(range(1, len(entries) + 1), [e.get("seconds", 0) for e in entries], color=colors)
    ax.set_xlabel("submissions, fastest to slowest (red: a fault or a failure)")
    ax.set_ylabel("seconds")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # submission 1, 2, ...: never 1.25
    ax.set_title("Grading time per submission")
    return fig
