"""grading.plugins.trusted.proxies with a real agent (grading.plugins.trusted.agent) on a Unix
socket: the student's functions and objects answer with data, lies are seen through, and a
hostile or broken student's side costs the call, never the trusted side."""

import linecache
import socket
import threading
import time

import numpy as np
import pytest

from grading.plugins.trusted import wire
from grading.plugins.trusted.agent import Agent
from grading.plugins.trusted.proxies import (
    MISSING,
    BadAnswer,
    CellTimeoutError,
    Channel,
    Proxies,
    RemoteObject,
    StudentKernelEnded,
)
from helpers.checks import CheckFailed, check_close, check_equal, check_type

STUDENT_CODE = '''
import time
import numpy as np


def double(x):
    print("doubling")
    return 2 * np.asarray(x)


def step(w, g, velocity, learning_rate=0.1, *, nesterov=False):
    """Changes w and the list of steps in place, as a careless optimizer step would."""
    w -= learning_rate * g
    velocity.append(1)
    return w


def stats(values):
    return {"n": len(values), "mean": float(np.mean(values)), "shape": np.shape(values)}


class Liar:
    """Says it equals anything, has any length, converts to whatever is asked."""

    def __eq__(self, other):
        return True

    def __len__(self):
        return 3

    def __float__(self):
        return 0.5

    def __array__(self, dtype=None, copy=None):
        import sys

        return np.asarray(sys._getframe(1).f_locals.get("expected", 0.0))


def liar(*args):
    return Liar()


class Counter:
    def __init__(self, start):
        self.value = start

    def add(self, n):
        self.value += n
        return self.value


class Rejected(ValueError):
    pass


def rejects(x):
    raise Rejected(f"bad x: {x}")


def exits():
    raise SystemExit(3)


def sleeps():
    time.sleep(60)


def huge():
    return np.zeros(2_000_000)


def nested():
    deep = []
    for _ in range(500):
        deep = [deep]
    return deep
'''


@pytest.fixture
def student(tmp_path):
    """A student's namespace served by a real agent in a thread; the trusted side's Proxies."""
    namespace = {}
    lines = STUDENT_CODE.splitlines(True)
    linecache.cache["<student cell>"] = (len(STUDENT_CODE), None, lines, "<student cell>")
    exec(compile(STUDENT_CODE, "<student cell>", "exec"), namespace)
    path = str(tmp_path / "calls.sock")
    agent = Agent(path, namespace, max_bytes=8 * 2**20)
    thread = threading.Thread(target=agent.serve, args=("s",), daemon=True)
    thread.start()
    proxies = Proxies(Channel(path, wire.Limits(max_bytes=8 * 2**20)), wire.Limits())
    proxies.start_cell(5)
    names = ["double", "step", "stats", "liar", "Counter", "rejects", "exits", "sleeps", "huge"]
    found = proxies.globals(names + ["nested", "undefined"])
    yield proxies, found
    proxies.channel.close()


def test_calls_send_data_and_return_data(student, capsys):
    proxies, found = student
    result = found["double"](np.arange(3))
    assert type(result) is np.ndarray and result.tolist() == [0, 2, 4]
    assert "doubling" in capsys.readouterr().out  # what the student's code printed
    summary = found["stats"]([1.0, 2.0, 3.0])
    assert summary == {"n": 3, "mean": 2.0, "shape": (3,)} and type(summary["shape"]) is tuple
    assert found["undefined"] is MISSING


def test_arguments_changed_in_place_change_the_callers_objects(student):
    proxies, found = student
    w, g, steps = np.array([1.0, 2.0]), np.array([10.0, 10.0]), []
    result = found["step"](w, g, steps)
    assert w.tolist() == [0.0, 1.0] and steps == [1] and result.tolist() == [0.0, 1.0]
    untouched = np.array([5.0])
    found["double"](untouched)
    assert untouched.tolist() == [5.0]


def test_a_functions_name_and_signature_are_known_here(student):
    import inspect

    proxies, found = student
    step = found["step"]
    assert step.__name__ == "step"
    signature = inspect.signature(step)
    assert list(signature.parameters) == ["w", "g", "velocity", "learning_rate", "nesterov"]
    assert signature.parameters["learning_rate"].default == 0.1
    assert signature.parameters["nesterov"].kind is inspect.Parameter.KEYWORD_ONLY
    assert signature.bind(1, 2, 3).arguments == {"w": 1, "g": 2, "velocity": 3}


def test_an_object_whose_methods_lie_is_seen_for_what_it_is(student):
    proxies, found = student
    lie = found["liar"]()
    assert isinstance(lie, RemoteObject) and type(lie).__name__ == "Liar"
    assert lie != (1, 2, 3) and not lie == 0.3  # noqa: SIM201 - the lie is in __eq__
    for probe in (len, float):
        with pytest.raises(TypeError):
            probe(lie)
    with pytest.raises(CheckFailed, match="should be an array of shape"):
        check_close(lie, [1.0, 2.0], "liar()")
    with pytest.raises(CheckFailed):
        check_equal(lie, (1, 2, 3), "liar()")
    with pytest.raises(CheckFailed):
        check_type(lie, tuple, "liar()")


def test_a_students_class_makes_instances_in_the_students_kernel(student):
    proxies, found = student
    Counter = found["Counter"]
    assert isinstance(Counter, type) and Counter.__name__ == "Counter"
    counter = Counter(5)
    assert isinstance(counter, Counter) and not isinstance(3, Counter)
    assert counter.add(2) == 7 and counter.value == 7
    counter.value = 10
    assert counter.add(1) == 11


def test_a_students_exception_keeps_its_name_base_message_and_frames(student):
    proxies, found = student
    with pytest.raises(ValueError, match="bad x: 4") as raised:
        found["rejects"](4)
    assert type(raised.value).__name__ == "Rejected"
    assert "in rejects" in "\n".join(raised.value.__notes__)
    assert "raise Rejected" in "\n".join(raised.value.__notes__)
    with pytest.raises(Exception) as raised:  # noqa: B017 - SystemExit must not exit here
        found["exits"]()
    assert type(raised.value).__name__ == "SystemExit"


def test_a_call_that_hangs_fails_at_the_cells_limit(student):
    proxies, found = student
    proxies.start_cell(1)
    start = time.monotonic()
    with pytest.raises(CellTimeoutError, match="sleeps\\(...\\) did not return within"):
        found["sleeps"]()
    assert time.monotonic() - start < 3
    with pytest.raises(CellTimeoutError, match="still running an earlier call"):
        found["double"](1)


def test_results_too_big_or_too_deep_fail_with_a_clear_message(student):
    proxies, found = student
    with pytest.raises(Exception, match="value holds 15.3 MiB of arrays, more than the 8.0 MiB"):
        found["huge"]()
    with pytest.raises(Exception, match="nested more than 100 levels"):
        found["nested"]()
    assert found["double"](2) == 4  # the channel still works


class HostileAgent:
    """A fake student's side that greets properly, then answers every request with ``reply``
    (bytes), or closes the connection."""

    def __init__(self, path, reply):
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen(1)
        self.reply = reply
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        connection, _ = self.server.accept()
        hello, _ = wire.read_frame(connection, wire.Limits())
        connection.sendall(wire.pack({"id": hello["id"], "ok": "hello"}, [], wire.Limits()))
        request, _ = wire.read_frame(connection, wire.Limits())
        reply = self.reply(request["id"])
        if reply is None:
            connection.close()
        else:
            connection.sendall(reply)


def frame(body, buffers=()):
    return wire.pack(body, list(buffers), wire.Limits())


OBJECT_NPY = b"\x93NUMPY\x01\x00v\x00{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"
HOSTILE = {
    "a reply that claims 2 GB": lambda i: wire.HEAD.pack(2, 1) + wire.LENGTH.pack(2**31),
    "the answer to another question": lambda i: frame({"id": i + 1, "ok": 1}),
    "not JSON": lambda i: wire.HEAD.pack(3, 0) + b"{x}",
    "a pickled object array": lambda i: frame({"id": i, "ok": {"$array": 0}}, [OBJECT_NPY]),
    "an array bigger than its bytes": lambda i: frame(
        {"id": i, "ok": {"$array": 0}}, [wire.npy_bytes(np.zeros(2)).replace(b"(2,)", b"(10**9,)")]
    ),
    "a handle without a class": lambda i: frame({"id": i, "ok": {"$handle": {"id": 1}}}),
    "a class nested forever": lambda i: frame({"id": i, "ok": {"$class": nested_class(40)}}),
    "an error that says nothing": lambda i: frame({"id": i, "error": 3}),
    "no value": lambda i: frame({"id": i}),
}


def nested_class(depth):
    desc = {"id": 1000, "module": "m", "qualname": "C", "bases": []}
    for n in range(depth):
        desc = {"id": n, "module": "m", "qualname": f"C{n}", "bases": [desc]}
    return desc


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_answer_fails_the_call_and_nothing_else(tmp_path, name):
    path = str(tmp_path / "calls.sock")
    HostileAgent(path, HOSTILE[name])
    proxies = Proxies(Channel(path, wire.Limits()), wire.Limits())
    proxies.start_cell(5)
    start = time.monotonic()
    with pytest.raises((BadAnswer, wire.WireError, RuntimeError)) as raised:
        proxies.globals(["f"])
    assert time.monotonic() - start < 3
    known = BadAnswer | StudentKernelEnded
    assert "student" in str(raised.value) or isinstance(raised.value, known)


def test_a_kernel_that_ends_during_a_call_is_reported(tmp_path):
    path = str(tmp_path / "calls.sock")
    HostileAgent(path, lambda i: None)
    proxies = Proxies(Channel(path, wire.Limits()), wire.Limits())
    proxies.start_cell(5)
    with pytest.raises(StudentKernelEnded, match="ended during reading your names"):
        proxies.globals(["f"])
    with pytest.raises(StudentKernelEnded):
        proxies.globals(["f"])


def test_a_class_that_claims_to_be_a_system_function_is_only_a_stand_in(tmp_path):
    path = str(tmp_path / "calls.sock")
    desc = {"id": 1, "module": "os", "qualname": "system", "bases": []}
    reply = {"id": 0, "ok": {"$dict": [["f", {"$class": desc}]]}}
    HostileAgent(path, lambda i: frame({**reply, "id": i}))
    proxies = Proxies(Channel(path, wire.Limits()), wire.Limits())
    proxies.start_cell(5)
    stand_in = proxies.globals(["f"])["f"]
    import os

    assert stand_in is not os.system and isinstance(stand_in, type)
