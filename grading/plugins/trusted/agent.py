"""The grader's agent inside a student's sandboxed kernel: it answers the trusted test kernel's
calls on the student's functions and objects, with data.

``grading.plugins.execution`` sends this module's source (with ``wire`` and ``keras_values``)
into the student's kernel before the notebook's first cell, then, around every instructor cell
that runs in the trusted kernel, a silent ``serve()``: the kernel's main thread takes requests
on a Unix socket in the kernel's run directory until told to stop. A request names a global of
the notebook, or calls or reads an attribute of an object already handed out; the answer is
data (``wire``), a Keras object by config and weights (``keras_values``), or a *handle*: a number
standing for an object that stays here. What the student's code prints during a call is sent
back with the answer; an exception becomes its type, message and the student's own frames.

Nothing here is trusted: the student's code runs in the same process and may change any of it.
The trusted side reads every answer as hostile (``grading.plugins.trusted.proxies``).
"""

import contextlib
import hashlib
import inspect
import io
import itertools
import json
import os
import socket
import sys
import traceback

import numpy as np

from grading.plugins.trusted import keras_values, wire

AGENT_FILE = "<grading agent>"
MAX_TEXT = 100_000  # characters of printed output sent back per call
MAX_MESSAGE = 2_000
MAX_FRAMES = 30
# The base type's own method gives the plain value of an instance of a subclass.
BASE_TYPES = {
    int: int.__int__,
    float: float.__float__,
    complex: complex.__complex__,
    str: str.__str__,
    bytes: bytes.__bytes__,
    tuple: lambda value: tuple(tuple.__iter__(value)),
    list: lambda value: list(list.__iter__(value)),
    dict: lambda value: dict(zip(dict.keys(value), dict.values(value), strict=True)),
    set: lambda value: set(set.__iter__(value)),
    frozenset: lambda value: frozenset(frozenset.__iter__(value)),
}


class CappedText(io.TextIOBase):
    """A text stream that keeps the first ``MAX_TEXT`` characters written to it."""

    def __init__(self):
        self.parts, self.size = [], 0

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        if self.size < MAX_TEXT:
            self.parts.append(text[: MAX_TEXT - self.size])
        self.size += len(text)
        return len(text)

    def getvalue(self) -> str:
        text = "".join(self.parts)
        return text + ("\n[output cut]\n" if self.size > MAX_TEXT else "")


def _text(value, limit: int = 200) -> str:
    """``value`` as a short string, whatever its ``__str__`` does."""
    try:
        text = value if isinstance(value, str) else str(value)
    except BaseException:  # noqa: BLE001 - a student's __str__ may raise anything
        text = f"<{type(value).__name__} that cannot be printed>"
    return text[:limit]


def as_base(value):
    """A subclass of a built-in data type (a namedtuple, a float subclass) as the plain value
    its base type's own methods see, whatever the subclass overrides; None when ``value`` is not
    one."""
    if isinstance(value, np.ndarray) and type(value) is not np.ndarray:
        return np.ndarray.view(value, np.ndarray)
    for base, plain in BASE_TYPES.items():
        if isinstance(value, base) and type(value) is not base:
            return plain(value)
    return None


class Agent:
    """Answers requests on ``path`` (a Unix socket) for the notebook namespace ``namespace``."""

    def __init__(self, path: str, namespace: dict, max_bytes: int):
        self.path = path
        self.namespace = namespace
        self.limits = wire.Limits(max_bytes=max_bytes)
        self.objects: dict[int, object] = {}  # handle -> object, kept alive for the submission
        self.handles: dict[int, int] = {}  # id(object) -> handle
        self.counter = itertools.count(1)
        self.from_trusted: dict[int, object] = {}  # trusted key -> the copy made here
        self.origins: dict[int, tuple[int, object]] = {}  # id(copy) -> (trusted key, optimizer)
        if os.path.exists(path):
            os.unlink(path)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(8)

    # ------------------------------------------------------------------ serving
    def serve(self, session: str) -> None:
        """Take connections and answer their requests until one says ``end`` to ``session``
        (an ``end`` left over from an earlier session is ignored)."""
        while True:
            self.listener.settimeout(None)
            connection, _ = self.listener.accept()
            with connection:
                if self._serve_connection(connection, session):
                    return

    def _serve_connection(self, connection, session: str) -> bool:
        while True:
            try:
                message, buffers = wire.read_frame(connection, wire.Limits(max_bytes=2**62))
            except wire.WireError:
                return False
            if message.get("op") == "end":
                if message.get("session") != session:
                    return False
                ack = wire.pack({"id": message.get("id")}, [], self.limits)
                with contextlib.suppress(wire.WireError):
                    wire.send_frame(connection, ack)
                return True
            reply = self.answer(message, buffers)
            try:
                wire.send_frame(connection, reply)
            except wire.WireError:
                return False

    def answer(self, message: dict, buffers: list) -> bytes:
        """The reply frame to one request, whatever happens while computing it."""
        out, err = CappedText(), CappedText()
        request_id = message.get("id")
        self.changed = []
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                result = self.perform(message, buffers)
            encoder = wire.Encoder(self.limits, self.encode_other)
            body = {"id": request_id, "ok": encoder.encode(result)}
            if self.changed:
                body["changed"] = [[key, encoder.encode(value)] for key, value in self.changed]
            frame_buffers = encoder.buffers
        except BaseException as error:  # noqa: BLE001 - the student's code may raise anything
            body = {"id": request_id, "error": self.describe_error(error)}
            frame_buffers = []
        body["stdout"], body["stderr"] = out.getvalue(), err.getvalue()
        try:
            return wire.pack(body, frame_buffers, self.limits)
        except (wire.WireError, ValueError) as error:
            failure = {"id": request_id, "error": self.describe_error(error)}
            return wire.pack(failure, [], self.limits)

    def perform(self, message: dict, buffers: list):
        op = message.get("op")
        decoder = wire.Decoder(buffers, wire.Limits(max_bytes=2**62), self.decode_tags())
        if op == "hello":
            return "hello"
        if op == "globals":
            return {
                name: self.namespace[name] if name in self.namespace else Missing
                for name in message.get("names", [])
            }
        target = self.objects[message["ref"]] if "ref" in message else None
        if op == "call":
            args = decoder.decode(message.get("args", []))
            kwargs = decoder.decode(message.get("kwargs", {"$dict": []}))
            arguments = list(enumerate(args)) + list(kwargs.items())
            before = {key: _fingerprint(value) for key, value in arguments}
            result = target(*args, **kwargs)
            self.changed = [
                (key, value)
                for key, value in arguments
                if before[key] is not None and _fingerprint(value) != before[key]
            ]
            return result
        if op == "getattr":
            return getattr(target, message["name"])
        if op == "setattr":
            setattr(target, message["name"], decoder.decode(message.get("value")))
            return None
        if op == "sequential":
            import keras

            args = decoder.decode(message.get("args", []))
            kwargs = decoder.decode(message.get("kwargs", {"$dict": []}))
            return keras.Sequential(*args, **kwargs)
        raise ValueError(f"unknown request {op!r}")

    # ------------------------------------------------------------------ values out
    def handle(self, value) -> int:
        key = id(value)
        if key in self.handles and self.objects.get(self.handles[key]) is value:
            return self.handles[key]
        number = next(self.counter)
        self.objects[number] = value
        self.handles[key] = number
        return number

    def describe_class(self, cls, seen: dict) -> dict:
        number = self.handle(cls)
        if number in seen or len(seen) > 64:
            return {"id": number}
        seen[number] = True
        bases = [self.describe_class(b, seen) for b in cls.__bases__ if b is not object]
        return {
            "id": number,
            "module": _text(getattr(cls, "__module__", "")),
            "qualname": _text(getattr(cls, "__qualname__", cls.__name__)),
            "bases": bases,
        }

    def encode_other(self, value, encoder: wire.Encoder):
        if value is Missing:
            return {"$missing": None}
        plain = as_base(value)
        if plain is not None:
            return encoder.encode(plain)
        if isinstance(value, type):
            return {"$class": self.describe_class(value, {})}
        if keras_values.is_tensor(value):
            return {"$tensor": encoder.buffer(wire.npy_bytes(np.asarray(value)))}
        if keras_values.is_keras_value(value):
            payload = self.keras_payload(value, encoder)
            if payload is not None:
                return {"$keras": payload}
        body = {"id": self.handle(value), "class": self.describe_class(type(value), {})}
        if callable(value):
            body["name"] = _text(getattr(value, "__name__", ""))
            try:
                body["signature"] = _text(str(inspect.signature(value)), 2000)
            except (TypeError, ValueError):
                pass
        return {"$handle": body}

    def keras_payload(self, value, encoder: wire.Encoder) -> dict | None:
        """A built-in Keras object by config and weights (None: it stays here, behind a
        handle). A copy of one the trusted side sent says so, layer by layer."""
        try:
            config = keras_values.serialize(value)
            if keras_values.config_problem(config):
                return None
            text = json.dumps(config)
        except Exception:  # noqa: BLE001 - an object Keras cannot describe stays here
            return None
        import keras

        payload = {"config": text}
        origin = self.origins.get(id(value))
        if origin is not None:
            payload["origin"] = origin[0]
            payload["recompiled"] = getattr(value, "optimizer", None) is not origin[1]
        if isinstance(value, keras.Model):
            layers = []
            for layer in value.layers:
                entry = {"weights": [encoder.encode(w) for w in layer.get_weights()]}
                layer_origin = self.origins.get(id(layer))
                if layer_origin is not None:
                    entry["origin"] = layer_origin[0]
                entry["trainable"] = bool(layer.trainable)
                layers.append(entry)
            payload["layers"] = layers
        else:
            payload["weights"] = [encoder.encode(w) for w in keras_values.weights_of(value)]
        return payload

    # ------------------------------------------------------------------ values in
    def decode_tags(self) -> dict:
        return {
            "$ref": lambda body, decoder: self.objects[body],
            "$keras": self.decode_keras,
            "$keras_input": self.decode_keras_input,
            "$tensor": lambda body, decoder: self.decode_tensor(decoder.buffer(body)),
        }

    def decode_tensor(self, data: bytes):
        import keras

        return keras.ops.convert_to_tensor(wire.load_npy(data))

    def decode_keras_input(self, body, decoder):
        import keras

        shape = tuple(decoder.decode(body["shape"]))
        return keras.Input(batch_shape=shape, dtype=body.get("dtype"))

    def decode_keras(self, body, decoder):
        """The copy of a Keras object the trusted side sent; the same object for the same
        trusted object, with the weights it has now."""
        import keras

        key = body.get("origin")
        weights = [decoder.decode(w) for w in body.get("weights", [])]
        known = self.from_trusted.get(key)
        if known is not None:
            if weights:
                known.set_weights(weights)
            return known
        custom = {
            name: value
            for name, value in self.namespace.items()
            if isinstance(value, type) and issubclass(value, keras.layers.Layer)
        }
        value = keras_values.rebuild(body["config"], weights, custom_objects=custom)
        self.from_trusted[key] = value
        self.origins[id(value)] = (key, getattr(value, "optimizer", None))
        for layer, layer_key in zip(
            getattr(value, "layers", []), body.get("layer_keys", []), strict=False
        ):
            self.from_trusted[layer_key] = layer
            self.origins[id(layer)] = (layer_key, None)
        return value

    # ------------------------------------------------------------------ errors
    def describe_error(self, error: BaseException) -> dict:
        kind = type(error)
        frames = []
        for frame in traceback.extract_tb(error.__traceback__):
            if frame.filename in OWN_FILES or _library_file(frame.filename):
                continue
            frames.append(
                {
                    "file": _cell_name(frame.filename),
                    "line": frame.lineno,
                    "name": _text(frame.name),
                    "code": _text(frame.line or "", 300),
                }
            )
        return {
            "type": {
                "module": _text(getattr(kind, "__module__", "")),
                "qualname": _text(getattr(kind, "__qualname__", kind.__name__)),
                "mro": [_text(c.__name__) for c in kind.__mro__ if c.__module__ == "builtins"],
            },
            "message": _text(error, MAX_MESSAGE),
            "frames": frames[-MAX_FRAMES:],
        }


OWN_FILES = {AGENT_FILE, __file__, wire.__file__, keras_values.__file__}
MUTABLE = (np.ndarray, list, dict, set)


def _fingerprint(value) -> str | None:
    """A digest of an argument that can be changed in place (an array, a list, a dict, a set
    of data), to tell whether a call changed it; None for anything else."""
    if type(value) not in MUTABLE:
        return None
    try:
        node, buffers = wire.encode(value)
    except (wire.WireError, wire.NotData):
        return None
    digest = hashlib.sha256(json.dumps(node).encode())
    for buffer in buffers:
        digest.update(buffer)
    return digest.hexdigest()


class _Missing:
    """A global the notebook does not define."""


Missing = _Missing()


def _library_file(filename: str) -> bool:
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix}
    return "site-packages" in filename or any(filename.startswith(p) for p in prefixes if p)


def _cell_name(filename: str) -> str:
    """IPython's name for a cell's code ("Cell In[4]"), or the file name."""
    try:
        from IPython import get_ipython

        number = get_ipython().compile._filename_map.get(filename)
    except Exception:  # noqa: BLE001 - outside IPython: the plain file name
        number = None
    return f"Cell In[{number}]" if number is not None else filename


def install(path: str, max_bytes: int) -> Agent:
    """Start the agent for this kernel's notebook namespace, listening on ``path``."""
    from IPython import get_ipython

    shell = get_ipython()
    namespace = shell.user_ns if shell is not None else sys.modules["__main__"].__dict__
    return Agent(path, namespace, max_bytes)
