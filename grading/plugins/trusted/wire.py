"""The wire between the grader's trusted test kernel and a student's sandboxed kernel: values as
data only, in size-capped frames, read as hostile input.

A frame is a 16-byte head (the JSON part's length and the number of binary buffers), one 8-byte
length per buffer, the JSON text, then the buffers. The reader checks every declared length
against ``Limits.max_bytes`` before it reads (or allocates) anything, and gives up at a deadline.

A value is JSON in which every object is a *tagged node*, exactly one key starting with ``$``:

- ``null``, ``true``/``false``, numbers, strings: themselves (``{"$float": "nan"}`` for the
  non-finite floats JSON cannot hold);
- ``{"$tuple": [...]}``, lists as JSON arrays, ``{"$dict": [[key, value], ...]}`` (any data key,
  order kept), ``{"$set": [...]}``, ``{"$frozenset": [...]}``, ``{"$complex": [re, im]}``,
  ``{"$slice": [start, stop, step]}``, ``{"$ellipsis": null}``;
- ``{"$array": i}``, ``{"$scalar": i}``, ``{"$bytes": i}``, ``{"$tensor": i}``: buffer ``i``, an
  ``.npy`` file for the first, second and last (read without pickle: no object arrays);
- tags the two sides add for what is not data (``$handle``, ``$class``, ``$ref``, ``$keras``,
  ``$keras_input``, ``$missing``): ``decode`` hands them to the caller's ``tags`` functions.

Only exact built-in and NumPy types are encoded as data: a subclass of ``tuple`` or ``float``
(whose ``__eq__`` or ``__len__`` may lie) is not data, and whatever a hostile sender claims, the
decoder builds nothing but plain ``tuple``, ``float``, ``numpy.ndarray`` and so on.
"""

import io
import json
import math
import socket
import struct
import time
from dataclasses import dataclass

import numpy as np

HEAD = struct.Struct(">QQ")
LENGTH = struct.Struct(">Q")
MAX_BUFFERS = 4096
ARRAY_KINDS = "biufcSUmM"  # no objects ("O") and no structured or raw void ("V")
NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
SCALARS = (bool, int, float, str, type(None))


def _check_extent(limits, nodes: int, depth: int, what: str) -> None:
    """Refuse a message with more items, or nested deeper, than ``limits`` allow: the size of
    a message is hostile input like its content."""
    if nodes > limits.max_nodes:
        raise WireError(f"{what} holds more than {limits.max_nodes:,} items")
    if depth > limits.max_depth:
        raise WireError(f"{what} is nested more than {limits.max_depth} levels deep")


class WireError(ValueError):
    """A frame or value that breaks the wire format or its limits; the message says how."""


class WireTimeout(WireError, TimeoutError):
    """The other side did not send a whole frame before the deadline."""


class WireClosed(WireError, EOFError):
    """The other side closed the connection (a kernel that exited, for one)."""


class NotData(TypeError):
    """A value that cannot cross as data; the encoder's caller may send it another way."""


@dataclass(frozen=True)
class Limits:
    """How much one frame may hold: bytes in all, nesting depth, and nodes in its value."""

    max_bytes: int = 256 * 2**20
    max_depth: int = 100
    max_nodes: int = 1_000_000


def size_text(n: int) -> str:
    """``n`` bytes in words: "2.0 GiB", "256.0 MiB"."""
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


# ---------------------------------------------------------------------------------- frames
def pack(message: dict, buffers: list[bytes], limits: Limits) -> bytes:
    """One frame holding ``message`` (JSON) and ``buffers``; ``WireError`` over the size cap."""
    text = json.dumps(message, allow_nan=False, separators=(",", ":")).encode()
    total = HEAD.size + LENGTH.size * len(buffers) + len(text) + sum(len(b) for b in buffers)
    if total > limits.max_bytes:
        raise WireError(
            f"the message is {size_text(total)}, more than the {size_text(limits.max_bytes)} "
            "a message may be"
        )
    if len(buffers) > MAX_BUFFERS:
        raise WireError(f"the message holds {len(buffers)} arrays, more than {MAX_BUFFERS}")
    lengths = b"".join(LENGTH.pack(len(b)) for b in buffers)
    return HEAD.pack(len(text), len(buffers)) + lengths + text + b"".join(buffers)


def _recv_exactly(sock: socket.socket, n: int, deadline: float | None) -> bytes:
    chunks, got = [], 0
    while got < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WireTimeout("no complete answer before the time limit")
            sock.settimeout(left)
        else:
            sock.settimeout(None)
        try:
            chunk = sock.recv(min(n - got, 1 << 20))
        except TimeoutError:
            raise WireTimeout("no complete answer before the time limit") from None
        except OSError as error:
            raise WireClosed(f"the connection broke ({error})") from None
        if not chunk:
            raise WireClosed("the other side closed the connection")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_frame(
    sock: socket.socket, limits: Limits, deadline: float | None = None
) -> tuple[dict, list[bytes]]:
    """The next frame's message and buffers; ``WireError`` for anything malformed or too big."""
    text_length, count = HEAD.unpack(_recv_exactly(sock, HEAD.size, deadline))
    if count > MAX_BUFFERS:
        raise WireError(f"the answer claims {count} arrays, more than {MAX_BUFFERS}")
    lengths = [LENGTH.unpack(_recv_exactly(sock, LENGTH.size, deadline))[0] for _ in range(count)]
    total = HEAD.size + LENGTH.size * count + text_length + sum(lengths)
    if total > limits.max_bytes:
        raise WireError(
            f"the answer is {size_text(total)}, more than the {size_text(limits.max_bytes)} "
            "an answer may be"
        )
    text = _recv_exactly(sock, text_length, deadline)
    buffers = [_recv_exactly(sock, n, deadline) for n in lengths]
    try:
        message = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise WireError(f"the answer is not valid JSON ({type(error).__name__})") from None
    if not isinstance(message, dict):
        raise WireError("the answer is not a JSON object")
    return message, buffers


def send_frame(sock: socket.socket, frame: bytes, deadline: float | None = None) -> None:
    if deadline is not None:
        sock.settimeout(max(deadline - time.monotonic(), 0.001))
    try:
        sock.sendall(frame)
    except TimeoutError:
        raise WireTimeout("the other side did not take the message in time") from None
    except OSError as error:
        raise WireClosed(f"the connection broke ({error})") from None


# ---------------------------------------------------------------------------------- arrays
def npy_bytes(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.lib.format.write_array(out, np.asarray(array), allow_pickle=False)
    return out.getvalue()


def load_npy(data: bytes) -> np.ndarray:
    """An array from ``.npy`` bytes, checked before anything is allocated: a known dtype that
    holds no objects, and exactly as many bytes as the header's shape needs."""
    stream = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(stream)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise ValueError(f"version {version}")
    except (ValueError, TypeError, SyntaxError, EOFError) as error:
        raise WireError(f"an array's header is malformed ({error})") from None
    if dtype.hasobject or dtype.kind not in ARRAY_KINDS or dtype.fields is not None:
        raise WireError(f"an array of dtype {dtype} is not data")
    count = 1
    for n in shape:
        if not isinstance(n, int) or n < 0:
            raise WireError(f"an array's shape {shape} is malformed")
        count *= n
    offset = stream.tell()
    if count * dtype.itemsize != len(data) - offset:
        raise WireError(
            f"an array claims shape {shape} of {dtype} but holds {len(data) - offset} bytes"
        )
    flat = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
    return flat.reshape(shape, order="F" if fortran else "C").copy()


# ---------------------------------------------------------------------------------- values
def is_numpy_data(value) -> bool:
    """An exact ``numpy.ndarray`` or NumPy scalar holding numbers, text or dates."""
    if type(value) is np.ndarray or isinstance(value, np.generic):
        dtype = value.dtype
        return not dtype.hasobject and dtype.kind in ARRAY_KINDS and dtype.fields is None
    return False


class Encoder:
    """Turns a value into JSON and buffers. ``other(value, encoder)`` is asked for every value
    that is not data; it returns a tagged node or raises ``NotData``."""

    def __init__(self, limits: Limits, other=None):
        self.limits = limits
        self.other = other
        self.buffers: list[bytes] = []
        self.nodes = 0
        self.size = 0

    def buffer(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self.limits.max_bytes:
            raise WireError(
                f"the value is more than the {size_text(self.limits.max_bytes)} a value may be"
            )
        self.buffers.append(data)
        return len(self.buffers) - 1

    def encode(self, value, depth: int = 0):
        self.nodes += 1
        _check_extent(self.limits, self.nodes, depth, "the value")
        kind = type(value)
        if kind in SCALARS:
            if kind is float and not math.isfinite(value):
                return {"$float": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
            return value
        if kind is list:
            return [self.encode(v, depth + 1) for v in value]
        if kind is tuple:
            return {"$tuple": [self.encode(v, depth + 1) for v in value]}
        if kind is dict:
            return {
                "$dict": [
                    [self.encode(k, depth + 1), self.encode(v, depth + 1)]
                    for k, v in value.items()
                ]
            }
        if kind in (set, frozenset):
            return {f"${kind.__name__}": [self.encode(v, depth + 1) for v in value]}
        if kind is complex:
            return {"$complex": [self.encode(value.real), self.encode(value.imag)]}
        if kind is bytes:
            return {"$bytes": self.buffer(value)}
        if kind is slice:
            parts = (value.start, value.stop, value.step)
            return {"$slice": [self.encode(v, depth + 1) for v in parts]}
        if value is Ellipsis:
            return {"$ellipsis": None}
        if is_numpy_data(value):
            if self.size + value.nbytes > self.limits.max_bytes:
                raise WireError(
                    f"the value holds {size_text(self.size + value.nbytes)} of arrays, more than "
                    f"the {size_text(self.limits.max_bytes)} a value may be"
                )
            tag = "$array" if kind is np.ndarray else "$scalar"
            return {tag: self.buffer(npy_bytes(value))}
        if self.other is None:
            raise NotData(f"a {kind.__name__} is not data")
        return self.other(value, self)


def encode(value, limits: Limits = Limits(), other=None) -> tuple[object, list[bytes]]:
    """``value`` as (JSON node, buffers); see ``Encoder``."""
    encoder = Encoder(limits, other)
    return encoder.encode(value), encoder.buffers


class Decoder:
    """Builds plain Python and NumPy values from JSON and buffers, checking every node.
    ``tags`` maps the caller's own tags (``"$handle"``, ...) to ``function(body, decoder)``."""

    def __init__(self, buffers: list[bytes], limits: Limits, tags: dict | None = None):
        self.buffers = buffers
        self.limits = limits
        self.tags = tags or {}
        self.nodes = 0

    def buffer(self, index) -> bytes:
        if type(index) is not int or not 0 <= index < len(self.buffers):
            raise WireError(f"a reference to buffer {index!r}, which the message does not hold")
        return self.buffers[index]

    def decode(self, node, depth: int = 0):
        self.nodes += 1
        _check_extent(self.limits, self.nodes, depth, "the answer")
        kind = type(node)
        if kind in SCALARS:
            return node
        if kind is list:
            return [self.decode(v, depth + 1) for v in node]
        if kind is not dict or len(node) != 1:
            raise WireError(f"a malformed node of type {kind.__name__}")
        ((tag, body),) = node.items()
        if tag == "$tuple":
            return tuple(self.decode(v, depth + 1) for v in self._list(body, tag))
        if tag == "$dict":
            return self._dict(body, depth)
        if tag in ("$set", "$frozenset"):
            items = [self.decode(v, depth + 1) for v in self._list(body, tag)]
            try:
                return set(items) if tag == "$set" else frozenset(items)
            except TypeError:
                raise WireError("a set item that cannot be hashed") from None
        if tag == "$float":
            if body not in NON_FINITE:
                raise WireError(f"a malformed float {body!r}")
            return NON_FINITE[body]
        if tag == "$complex":
            parts = [self.decode(v, depth + 1) for v in self._list(body, tag)]
            if len(parts) != 2 or not all(type(p) in (int, float) for p in parts):
                raise WireError("a malformed complex number")
            return complex(*parts)
        if tag == "$slice":
            parts = [self.decode(v, depth + 1) for v in self._list(body, tag)]
            if len(parts) != 3:
                raise WireError("a malformed slice")
            return slice(*parts)
        if tag == "$ellipsis":
            return Ellipsis
        if tag == "$bytes":
            return bytes(self.buffer(body))
        if tag == "$array":
            return load_npy(self.buffer(body))
        if tag == "$scalar":
            array = load_npy(self.buffer(body))
            if array.ndim != 0:
                raise WireError(f"a scalar of shape {array.shape}")
            return array[()]
        if tag in self.tags:
            return self.tags[tag](body, self)
        raise WireError(f"an unknown tag {tag!r}")

    def _dict(self, body, depth: int) -> dict:
        """A ``$dict`` node: a list of [key, value] pairs, keys hashable."""
        result = {}
        for pair in self._list(body, "$dict"):
            if type(pair) is not list or len(pair) != 2:
                raise WireError("a malformed dict entry")
            key = self.decode(pair[0], depth + 1)
            try:
                result[key] = self.decode(pair[1], depth + 1)
            except TypeError:
                raise WireError("a dict key that cannot be hashed") from None
        return result

    @staticmethod
    def _list(body, tag) -> list:
        if type(body) is not list:
            raise WireError(f"a malformed {tag} node")
        return body


def decode(node, buffers: list[bytes], limits: Limits = Limits(), tags: dict | None = None):
    """The value ``node`` and ``buffers`` stand for; see ``Decoder``."""
    return Decoder(buffers, limits, tags).decode(node)
