"""grading.plugins.trusted.runtime in a real trusted kernel: each submission starts in an empty
namespace, and what the kernel imported once (TensorFlow, Keras) is frozen out of the garbage
collector's way, so emptying the namespace between two submissions stays cheap."""

import ast
import importlib
import inspect
import json
import shutil
import sys

import pytest

from grading.plugins.trusted.kernel import TrustedKernel
from grading.plugins.trusted.runtime import remembering_getmodule
from grading.plugins.trusted.session import RUNTIME

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client():
    kernel = TrustedKernel()
    client = kernel.km.blocking_client()
    client.start_channels()
    yield client
    client.stop_channels()
    kernel.shutdown()


def evaluate(client, expression: str):
    reply = client.execute_interactive(
        "", silent=True, timeout=120, user_expressions={"r": expression}
    )
    result = reply["content"]["user_expressions"]["r"]
    assert result["status"] == "ok", result
    return ast.literal_eval(result["data"]["text/plain"])


def run(client, code: str) -> None:
    reply = client.execute_interactive(code, timeout=120)
    assert reply["content"]["status"] == "ok", reply["content"]


def begin(client, folder, env=None) -> str:
    settings = {
        "socket": str(folder / "calls.sock"),
        "names": [],
        "cwd": str(folder),
        "env": env or {},
    }
    return evaluate(client, f"{RUNTIME}.begin({json.dumps(json.dumps(settings))})")


def test_a_name_one_submission_bound_is_gone_for_the_next(client, tmp_path):
    assert begin(client, tmp_path) == "begun"
    run(client, "left_over = 41\nimport keras\nmodel = keras.Sequential([keras.layers.Dense(2)])")
    assert evaluate(client, "'left_over' in globals() and 'model' in globals()") is True
    assert evaluate(client, f"{RUNTIME}.end()") == "ended"
    assert begin(client, tmp_path) == "begun"
    assert evaluate(client, "'left_over' in globals() or 'model' in globals()") is False
    assert evaluate(client, f"{RUNTIME}.end()") == "ended"


def test_a_submissions_environment_is_gone_for_the_next(client, tmp_path):
    assert begin(client, tmp_path, {"COURSE_LEFT_OVER": "1"}) == "begun"
    assert evaluate(client, "__import__('os').environ.get('COURSE_LEFT_OVER')") == "1"
    assert evaluate(client, f"{RUNTIME}.end()") == "ended"
    assert begin(client, tmp_path) == "begun"
    assert evaluate(client, "__import__('os').environ.get('COURSE_LEFT_OVER')") is None
    assert evaluate(client, f"{RUNTIME}.end()") == "ended"


def test_a_submission_begins_even_where_the_last_ones_folder_is_gone(client, tmp_path):
    """A kernel lent to many runs (or a pool's, after a regrade deleted a folder) may have
    graded last in a folder that no longer exists."""
    gone, here = tmp_path / "regraded", tmp_path / "next"
    gone.mkdir()
    here.mkdir()
    assert begin(client, gone) == "begun"
    shutil.rmtree(gone)  # before end(), as when the job was stopped
    assert begin(client, here) == "begun"
    assert evaluate(client, "__import__('os').getcwd()") == str(here)
    assert evaluate(client, f"{RUNTIME}.end()") == "ended"
    assert evaluate(client, "__import__('os').getcwd()") != str(here)  # back in its own


def test_what_the_kernel_imported_once_is_frozen_out_of_the_collectors_way(client):
    frozen = evaluate(client, "__import__('gc').get_freeze_count()")
    tensorflow_objects = evaluate(
        client, "sum(1 for m in __import__('sys').modules if m.startswith('tensorflow'))"
    )
    assert tensorflow_objects > 100  # TensorFlow was imported before the freeze
    assert frozen > 100_000, frozen


def test_getmodule_remembers_a_file_of_no_module_until_a_module_is_loaded(tmp_path, monkeypatch):
    asked = []

    def walking(object, _filename=None):
        asked.append(object)
        return inspect.getmodule(object, _filename)

    getmodule = remembering_getmodule(walking)
    name = f"not_a_module_yet_{tmp_path.name}"
    code = compile("x = 1", str(tmp_path / f"{name}.py"), "exec")  # as a cell's code is
    assert getmodule(code) is None
    assert getmodule(code) is None
    assert len(asked) == 1  # the second answer was remembered, not walked for again

    (tmp_path / f"{name}.py").write_text("x = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module(name)
    try:
        assert getmodule(code) is module  # a module loaded since: walked for again, found
    finally:
        sys.modules.pop(name, None)
    assert getmodule(json.dumps) is json  # named objects go to getmodule as they are
    assert len(asked) == 3
