"""Figures drawn once in a lecture but long to draw: the scaffolding lives here, tested, so the
lecture's cell shows only what the figure is about.

- ``plot_neuron_graph``: the computational graph of one sigmoid neuron with squared error,
  forward values above the arrows and backward gradients below (lecture 0);
- ``plot_search_trials``: grid against random hyperparameter search, trial by trial
  (lecture 7).

Both return the Figure they drew on.
"""

import matplotlib.pyplot as plt
import numpy as np

_BOX = {"boxstyle": "round", "fc": "#e8f0fe", "ec": "#4a6fa5"}
_PLAIN = {"fc": "white", "ec": "none", "pad": 0.5}  # keeps labels readable over arrows


def neuron_gradients(x, w, b, y) -> dict:
    """Forward values and chain-rule gradients of L = (sigmoid(w x + b) - y)^2."""
    z = w * x + b
    a = 1 / (1 + np.exp(-z))
    dL_da = 2 * (a - y)
    dL_dz = dL_da * a * (1 - a)
    return {
        "z": z,
        "a": a,
        "L": (a - y) ** 2,
        "dL_da": dL_da,
        "dL_dz": dL_dz,
        "dL_dw": dL_dz * x,
        "dL_db": dL_dz,
        "dL_dx": dL_dz * w,
    }


def plot_neuron_graph(x, w, b, y):
    """Draw the graph x, w, b -> z -> a -> L with forward values and backward gradients."""
    for name, value in (("x", x), ("w", w), ("b", b), ("y", y)):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ValueError(f"{name} must be a number, got {value!r}.")
    v = neuron_gradients(x, w, b, y)
    fig, ax = plt.subplots(figsize=(10, 3.8))
    nodes = {
        "x": (0.0, 2.4),
        "w": (0.0, 1.2),
        "b": (0.0, 0.0),
        "z = wx + b": (2.6, 1.2),
        "a = σ(z)": (5.0, 1.2),
        "L = (a - y)²": (7.4, 1.2),
    }
    for label, (px, py) in nodes.items():
        ax.text(px, py, label, ha="center", va="center", fontsize=11, bbox=_BOX)
    edges = [
        ("x", "z = wx + b", f"x = {x}", f"∂L/∂x = {v['dL_dx']:.3f}"),
        ("w", "z = wx + b", f"w = {w}", f"∂L/∂w = {v['dL_dw']:.3f}"),
        ("b", "z = wx + b", f"b = {b}", f"∂L/∂b = {v['dL_db']:.3f}"),
        ("z = wx + b", "a = σ(z)", f"z = {v['z']:.3f}", f"∂L/∂z = {v['dL_dz']:.3f}"),
        ("a = σ(z)", "L = (a - y)²", f"a = {v['a']:.3f}", f"∂L/∂a = {v['dL_da']:.3f}"),
    ]
    for start, end, forward, backward in edges:
        (x0, y0), (x1, y1) = nodes[start], nodes[end]
        x0, x1 = x0 + 0.15 + 0.055 * len(start), x1 - 0.15 - 0.055 * len(end)  # box edges
        arrow = {"arrowstyle": "->", "color": "#4a6fa5"}
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops=arrow)
        mx, my = x0 + 0.4 * (x1 - x0), y0 + 0.4 * (y1 - y0)  # label 40% along the arrow
        ax.text(mx, my + 0.12, forward, ha="center", fontsize=9, bbox=_PLAIN)
        ax.text(mx, my - 0.3, backward, ha="center", fontsize=9, color="#c0392b", bbox=_PLAIN)
    ax.text(7.4, 0.7, f"L = {v['L']:.4f}   (y = {y})", ha="center", fontsize=9)
    ax.set_xlim(-0.5, 8.4)
    ax.set_ylim(-0.4, 2.8)
    ax.axis("off")
    ax.set_title("Forward values (black) and backward gradients (red) for one sigmoid neuron")
    return fig


def plot_search_trials(searches, *, xlim=(7e-4, 0.5), ylim=(0, 320)):
    """One panel per search (learning rate x hidden units, coloured by validation accuracy,
    best trial circled), and validation accuracy against learning rate for all of them.

    ``searches`` maps a method name to a list of trials, each a dict with ``learning_rate``,
    ``units`` and ``valid_accuracy``.
    """
    keys = {"learning_rate", "units", "valid_accuracy"}
    if not isinstance(searches, dict) or not searches:
        raise ValueError("searches must be a non-empty dict: method name -> list of trials.")
    for method, rows in searches.items():
        if not rows or any(not keys <= set(r) for r in rows):
            raise ValueError(f"every trial of searches[{method!r}] needs the keys {sorted(keys)}.")
    n = len(searches)
    fig, axes = plt.subplots(1, n + 1, figsize=(5 * (n + 1), 4), layout="constrained")
    all_acc = [r["valid_accuracy"] for rows in searches.values() for r in rows]
    for ax, (method, rows) in zip(axes[:n], searches.items(), strict=True):
        lr, units, acc = (
            [r[k] for r in rows] for k in ("learning_rate", "units", "valid_accuracy")
        )
        points = ax.scatter(lr, units, c=acc, s=80, vmin=min(all_acc), vmax=max(all_acc))
        best = int(np.argmax(acc))
        ax.scatter(lr[best], units[best], s=250, facecolors="none", edgecolors="red")
        ax.set(xscale="log", xlim=xlim, ylim=ylim, xlabel="learning rate", ylabel="hidden units")
        ax.set_title(f"{method} search ({len(rows)} trials)")
    fig.colorbar(points, ax=axes[n - 1], label="validation accuracy")
    for (method, rows), marker in zip(searches.items(), "so^v", strict=False):
        lr, acc = [r["learning_rate"] for r in rows], [r["valid_accuracy"] for r in rows]
        axes[n].scatter(lr, acc, marker=marker, label=method, alpha=0.8)
    axes[n].set(xscale="log", xlim=xlim, xlabel="learning rate", ylabel="validation accuracy")
    axes[n].legend()
    axes[n].grid(True, alpha=0.3)
    return fig
