"""grading.plugins.trusted.wire: data round-trips with its exact types; anything else, and any
frame that is too big, too slow, malformed or claims what it is not, is refused."""

import math
import socket
import threading
import time

import numpy as np
import pytest

from grading.plugins.trusted import wire


def round_trip(value):
    node, buffers = wire.encode(value)
    return wire.decode(node, buffers)


def test_data_round_trips_with_its_exact_types():
    value = {
        "ints": (1, -(10**30), True, None),
        "floats": [2.5, math.inf, -math.inf, 1 + 2j],
        ("a", 1): {np.float32(1.5), frozenset({3})},
        "arrays": [np.arange(6, dtype=np.int16).reshape(2, 3), np.asfortranarray(np.eye(2))],
        "text": ["é", b"\x00\xff", np.str_("x")],
        "index": (slice(1, None, 2), Ellipsis),
    }
    back = round_trip(value)
    assert back.keys() == value.keys()
    assert back["ints"] == value["ints"] and type(back["ints"][2]) is bool
    assert back["floats"][:3] == value["floats"][:3] and back["floats"][3] == 1 + 2j
    assert back[("a", 1)] == {np.float32(1.5), frozenset({3})}
    assert {type(v) for v in back[("a", 1)]} == {np.float32, frozenset}
    for got, sent in zip(back["arrays"], value["arrays"], strict=True):
        assert type(got) is np.ndarray and got.dtype == sent.dtype and np.array_equal(got, sent)
    assert back["text"] == value["text"] and back["index"] == value["index"]
    assert math.isnan(round_trip(math.nan))
    assert type(round_trip(np.float64(2.0))) is np.float64


def test_subclasses_and_objects_are_not_data():
    class Liar(float):
        def __eq__(self, other):
            return True

    class Tup(tuple):
        pass

    for value in (Liar(1.0), Tup((1,)), object(), np.array([object()], dtype=object), len):
        with pytest.raises(wire.NotData):
            wire.encode(value)


def test_malformed_values_are_refused():
    good = wire.npy_bytes(np.zeros(3))
    cases = [
        ({"$nosuchtag": 1}, []),
        ({"$array": 0, "$tuple": []}, []),
        ({"$array": 1}, [good]),
        ({"$array": 0}, [good.replace(b"(3,)", b"(9,)")]),
        ({"$array": 0}, [good.replace(b"'<f8'", b"'|O'")]),
        ({"$scalar": 0}, [good]),
        ({"$dict": [[[1], 2]]}, []),
        ({"$float": "big"}, []),
        ({"$tuple": 3}, []),
    ]
    for node, buffers in cases:
        with pytest.raises(wire.WireError):
            wire.decode(node, buffers)


def test_nesting_and_size_are_capped_both_ways():
    deep = []
    for _ in range(200):
        deep = [deep]
    with pytest.raises(wire.WireError, match="nested"):
        wire.encode(deep)
    node = []
    for _ in range(200):
        node = [node]
    with pytest.raises(wire.WireError, match="nested"):
        wire.decode(node, [])
    with pytest.raises(wire.WireError, match="items"):
        wire.decode(list(range(100)), [], wire.Limits(max_nodes=50))
    with pytest.raises(wire.WireError, match="more than"):
        wire.encode(np.zeros(1000), wire.Limits(max_bytes=1000))


def pair():
    a, b = socket.socketpair()
    return a, b


def test_a_frame_round_trips_over_a_socket():
    a, b = pair()
    node, buffers = wire.encode({"x": np.arange(3)})
    wire.send_frame(a, wire.pack({"id": 7, "ok": node}, buffers, wire.Limits()))
    message, got = wire.read_frame(b, wire.Limits(), time.monotonic() + 5)
    assert message["id"] == 7
    assert np.array_equal(wire.decode(message["ok"], got)["x"], np.arange(3))


def test_a_frame_claiming_two_gigabytes_is_refused_before_it_is_read():
    a, b = pair()
    a.sendall(wire.HEAD.pack(10, 1) + wire.LENGTH.pack(2 * 2**30))
    start = time.monotonic()
    with pytest.raises(wire.WireError, match="2.0 GiB, more than the 256.0 MiB"):
        wire.read_frame(b, wire.Limits(), time.monotonic() + 5)
    assert time.monotonic() - start < 1


def test_silence_times_out_and_a_closed_peer_is_reported():
    a, b = pair()
    a.sendall(wire.HEAD.pack(100, 0) + b"{")  # a frame that never completes
    with pytest.raises(wire.WireTimeout):
        wire.read_frame(b, wire.Limits(), time.monotonic() + 0.3)
    c, d = pair()
    c.close()
    with pytest.raises(wire.WireClosed):
        wire.read_frame(d, wire.Limits(), time.monotonic() + 5)


def test_text_that_is_not_json_or_not_an_object_is_refused():
    for text in (b"\xff\xfe", b"[1, 2]", b"{" * 5000):
        a, b = pair()
        threading.Thread(target=a.sendall, args=(wire.HEAD.pack(len(text), 0) + text,)).start()
        with pytest.raises(wire.WireError):
            wire.read_frame(b, wire.Limits(), time.monotonic() + 5)
