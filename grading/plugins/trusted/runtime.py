"""What the trusted test kernel runs besides the instructor's cells: a fresh namespace per
submission, the student's names bound to proxies, and the channel opened and closed around
every cell.

The trusted kernel is an ordinary IPython kernel that never runs a student's code
(``grading.plugins.trusted.kernel`` starts it; ``grading.plugins.execution`` drives it). It
imports Keras once, when it starts (``install``), and then grades one submission after another:

- ``begin(settings)``: a new empty namespace, Keras' session cleared, the submission's working
  directory and grading environment (on the kernel's own, not on an earlier submission's), and
  a channel to the agent in the student's kernel;
- ``before_cell(limit, refresh)``: the cell's time limit, and, after a student's cell ran, the
  student's names (the functions and classes the tests call) looked up again in the student's
  kernel and bound here as proxies, unless an instructor cell bound the name itself;
- ``after_cell()``: the channel closed, and what became of the student's kernel;
- ``end()``: the namespace emptied, the kernel back in its own folder.

The working directory is never importable here (``''`` is taken off ``sys.path``): a file a
student submits next to the notebook cannot shadow a module the tests import.
"""

import gc
import inspect
import json
import os
import sys
import types
from pathlib import Path

from grading.plugins.trusted import proxies as proxies_module
from grading.plugins.trusted import wire
from grading.plugins.trusted.proxies import MISSING, Channel, Proxies, RemoteObject

HERE = str(Path(__file__).resolve().parent)
STATE = None  # the submission being graded
_UNBOUND = object()
_ORIGINAL_SEQUENTIAL_NEW = None
_KERNEL_ENV: dict | None = None  # the environment the kernel started with (``install``)
_KERNEL_DIR: str | None = None  # and its working directory, which outlives every submission's


class Submission:
    def __init__(self, settings: dict):
        limits = wire.Limits(max_bytes=int(settings.get("max_bytes", wire.Limits.max_bytes)))
        self.channel = Channel(settings["socket"], limits)
        self.proxies = Proxies(self.channel, limits)
        self.names = list(settings.get("names", []))
        self.bound: dict[str, object] = {}
        self.problem = ""

    def refresh(self, namespace: dict) -> None:
        """Bind the student's names, as they are now in the student's kernel, as proxies."""
        values = self.proxies.globals(self.names)
        for name, value in values.items():
            current = namespace.get(name, _UNBOUND)
            if current is not _UNBOUND and self.bound.get(name, _UNBOUND) is not current:
                continue  # an instructor cell bound this name: its binding stands
            if value is MISSING:
                namespace.pop(name, None)
                self.bound.pop(name, None)
            else:
                namespace[name] = value
                self.bound[name] = value


def _shell():
    from IPython import get_ipython

    return get_ipython()


def install() -> str:
    """Prepare this kernel once: nothing importable from the working directory, Keras and the
    course's helpers loaded, ``keras.Sequential`` able to hold a student's layers."""
    global _KERNEL_ENV, _KERNEL_DIR
    sys.path[:] = [p for p in sys.path if p not in ("", ".")]
    _KERNEL_ENV, _KERNEL_DIR = dict(os.environ), os.getcwd()
    import keras  # noqa: F401 - loaded once per worker, not once per submission
    import numpy  # noqa: F401

    import helpers  # noqa: F401
    import helpers.checks  # noqa: F401

    _patch_sequential()
    if not hasattr(inspect.getmodule, "__wrapped__"):
        inspect.getmodule = remembering_getmodule(inspect.getmodule)
    _shell().set_custom_exc((BaseException,), _show_error)
    # What is loaded now stays for the kernel's life: frozen, the garbage collector no longer
    # walks TensorFlow's millions of objects, and the full collections that IPython's reset and
    # Keras' clear_session make between two submissions take milliseconds instead of 0.2 s each.
    gc.collect()
    gc.freeze()
    return "ready"


def remembering_getmodule(getmodule):
    """``inspect.getmodule`` that remembers the files holding no module.

    IPython formats a failed test's traceback by asking ``inspect.getmodule`` about every frame,
    and for a file that is no module's (a cell's code) Python walks every loaded module again to
    be sure: 7,000 of them once TensorFlow is loaded, so a traceback took 65 ms and a blank
    submission's dozens of failing tests most of the trusted kernel's time. The answer for such
    a file (None, for a frame or code object, which have no name to look up elsewhere) is kept
    until a module is loaded or unloaded; everything else goes to ``getmodule`` unchanged."""
    nowhere: set[str] = set()
    loaded = [len(sys.modules)]

    def getmodule_remembering(object, _filename=None):
        named = hasattr(object, "__module__") or hasattr(object, "__name__")
        if named or inspect.ismodule(object):
            return getmodule(object, _filename)
        try:
            file = inspect.getabsfile(object, _filename)
        except (TypeError, FileNotFoundError):
            return None
        if len(sys.modules) != loaded[0]:
            nowhere.clear()
            loaded[0] = len(sys.modules)
        if file in nowhere:
            return None
        module = getmodule(object, _filename)
        if module is None:
            nowhere.add(file)
        return module

    getmodule_remembering.__wrapped__ = getmodule
    return getmodule_remembering


def _show_error(shell, etype, value, tb, tb_offset=None):
    """Show an error as IPython does, without the frames of this package: a test's traceback
    ends at the line of the test that called the student's code."""
    frames = []
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(HERE):
            frames.append(tb)
        tb = tb.tb_next
    rebuilt = None
    for frame in reversed(frames):
        rebuilt = types.TracebackType(rebuilt, frame.tb_frame, frame.tb_lasti, frame.tb_lineno)
    shell.showtraceback((etype, value, rebuilt), tb_offset=tb_offset)


def _patch_sequential() -> None:
    """``keras.Sequential([...])`` given a layer of the student's kernel is built there."""
    global _ORIGINAL_SEQUENTIAL_NEW
    import keras

    if _ORIGINAL_SEQUENTIAL_NEW is not None:
        return
    original = keras.Sequential.__new__
    _ORIGINAL_SEQUENTIAL_NEW = original

    def new(cls, *args, **kwargs):
        layers = args[0] if args else kwargs.get("layers")
        proxies = proxies_module.CURRENT
        if (
            proxies is not None
            and cls is keras.Sequential
            and isinstance(layers, list | tuple)
            and any(isinstance(layer, RemoteObject) for layer in layers)
        ):
            return proxies.sequential(args, kwargs)
        return original(cls, *args, **kwargs)

    keras.Sequential.__new__ = staticmethod(new)


def begin(settings_json: str) -> str:
    """Start grading a submission (``settings_json``: socket, names, cwd, env, max_bytes)."""
    global STATE
    settings = json.loads(settings_json)
    # First into the submission's folder: the kernel may still stand in an earlier one that is
    # gone (a regrade deletes it), where IPython's reset cannot even read the working directory.
    os.chdir(settings.get("cwd") or _KERNEL_DIR or os.getcwd())
    _fresh_namespace()
    if _KERNEL_ENV is not None:  # nothing of an earlier submission's (or course's) settings
        os.environ.clear()
        os.environ.update(_KERNEL_ENV)
    for key, value in settings.get("env", {}).items():
        os.environ[key] = value
    STATE = Submission(settings)
    proxies_module.CURRENT = STATE.proxies
    return "begun"


def _fresh_namespace() -> None:
    shell = _shell()
    shell.reset(new_session=False)
    keras = sys.modules.get("keras")
    if keras is not None:
        keras.backend.clear_session()
    gc.collect()


def before_cell(limit: float, refresh: bool, refused: str = "") -> str:
    """Open the next cell: its time limit, and the student's names bound afresh if a student's
    cell ran since the last time; ``refused`` says why the student's kernel takes no calls in
    this cell (each call then fails at once with that reason). Returns what went wrong, or ''."""
    if STATE is None:
        return "no submission"
    STATE.proxies.start_cell(limit)
    STATE.channel.refused = refused
    if refused:
        return refused
    if refresh and STATE.names:
        try:
            STATE.refresh(_shell().user_ns)
        except Exception as error:  # noqa: BLE001 - the cell's own calls will say what broke
            STATE.problem = f"{type(error).__name__}: {error}"
            return STATE.problem
    return ""


def after_cell() -> str:
    """Close the cell's channel; JSON: calls made, and whether the student's kernel is still in
    a call that ran out of time (``busy``) or ended (``gone``)."""
    if STATE is None:
        return json.dumps({"calls": 0, "busy": False, "gone": False})
    channel = STATE.channel
    status = {"calls": STATE.proxies.calls, "busy": channel.busy, "gone": channel.gone}
    channel.close()
    return json.dumps(status)


def end() -> str:
    """Finish the submission: its namespace and objects are dropped, and the kernel goes back to
    its own folder (the submission's may be deleted before the next one begins)."""
    global STATE
    if STATE is not None:
        STATE.channel.close()
    STATE = None
    proxies_module.CURRENT = None
    _fresh_namespace()
    if _KERNEL_DIR is not None:
        os.chdir(_KERNEL_DIR)
    return "ended"
