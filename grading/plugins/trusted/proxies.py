"""The trusted side of the wire: the student's names as proxies whose calls run in the student's
sandboxed kernel, and whose answers come back as data.

``Proxies`` belongs to one submission. A test that calls ``batchnorm_train(x, gamma, beta)``
calls a ``RemoteObject``: the arguments go to the student's kernel (``grading.plugins.trusted
.agent``) as data, the function runs there, and the result comes back decoded by ``wire``: plain
``float``, ``tuple``, ``numpy.ndarray``, ..., or a Keras model rebuilt from Keras' own classes
(``keras_values``), or a new ``RemoteObject`` for what cannot cross (an instance of the
student's class). A ``RemoteObject`` forwards calls and attribute reads and writes, nothing else:
not ``==``, ``len``, ``float`` or ``__array__``, so an object whose methods lie about its value
is seen as what it is, an object of the student's class. Its ``__class__`` is a local stand-in
of the student's class (a subclass of the Keras class it derives from), so ``isinstance`` and
``issubclass`` work as in the student's kernel; the name of a student's class is bound to such a
stand-in, a class whose instances are made, and whose attributes are read, in the student's
kernel.

Every answer is hostile input: too big, too late, malformed, claiming what it is not. The test
then fails with an exception saying so, and the trusted kernel goes on. A student's exception
comes back as an exception of the same name, a subclass of the built-in it derives from (so
``except ValueError`` catches a student's ``ValueError``), with the student's own traceback
lines as a note.
"""

import ast
import builtins
import inspect
import json
import socket
import sys
import time
import types

from grading.plugins.trusted import keras_values, wire

TRUSTED_PACKAGES = ("builtins", "numpy", "keras")
MAX_NAME = 200
MAX_CLASS_DEPTH = 32
HELLO_SECONDS = 30  # how long a student's kernel may take to start answering in a cell
CURRENT = None  # the submission's Proxies while a submission is graded (for keras.Sequential)


class CellTimeoutError(TimeoutError):
    """A call into the student's code did not return within the cell's time limit."""


class StudentKernelEnded(RuntimeError):
    """The student's kernel ended during a call (``os._exit``, a crash, the memory cap); the
    cell also gets nbgrader's ``KernelDied`` error with the reason (``execution``)."""


class CallsRefused(RuntimeError):
    """The student's kernel does not take calls in this cell (its code changed how cells run)."""


class BadAnswer(RuntimeError):
    """The student's kernel answered with something that is not a valid answer."""


class _Missing:
    def __repr__(self):
        return "<not defined>"


MISSING = _Missing()


def _private(name: str) -> bool:
    """Names never forwarded: Python's protocols, IPython's display probes, our own slots."""
    return (
        (name.startswith("__") and name.endswith("__"))
        or name.startswith(("_repr_", "_ipython_", "_grading_"))
        or name == "_fields"
    )


def _label(value) -> str:
    try:
        return object.__getattribute__(value, "_grading_label")
    except AttributeError:
        return type.__getattribute__(value, "_grading_label")


class RemoteObject:
    """An object that lives in the student's kernel."""

    __slots__ = (
        "_grading_ref",
        "_grading_proxies",
        "_grading_class",
        "_grading_label",
        "_grading_meta",
    )

    def __getattr__(self, name):
        if _private(name):
            raise AttributeError(name)
        __tracebackhide__ = True
        return object.__getattribute__(self, "_grading_proxies").getattr(self, name)

    def __setattr__(self, name, value):
        if name in RemoteObject.__slots__:
            object.__setattr__(self, name, value)
        elif _private(name):
            raise AttributeError(f"cannot set {name} on an object of the student's kernel")
        else:
            __tracebackhide__ = True
            object.__getattribute__(self, "_grading_proxies").setattr(self, name, value)

    def __call__(self, *args, **kwargs):
        __tracebackhide__ = True
        return object.__getattribute__(self, "_grading_proxies").call(self, args, kwargs)

    @property
    def __class__(self):
        return object.__getattribute__(self, "_grading_class")

    # A function's name and signature, as the student's kernel described them (for messages
    # that name a function or its arguments); read here, never asked again.
    @property
    def __name__(self):
        meta = object.__getattribute__(self, "_grading_meta")
        if "name" not in meta:
            raise AttributeError("__name__")
        return meta["name"]

    @property
    def __signature__(self):
        return object.__getattribute__(self, "_grading_meta").get("signature")

    def __repr__(self):
        cls = object.__getattribute__(self, "_grading_class")
        return f"<{cls.__qualname__} object in the student's kernel>"


class StudentClassMeta(type):
    """The type of a stand-in for a student's class: calling it makes an instance in the
    student's kernel, and its attributes are read there."""

    def __call__(cls, *args, **kwargs):
        __tracebackhide__ = True
        return type.__getattribute__(cls, "_grading_proxies").call(cls, args, kwargs)

    def __getattribute__(cls, name):
        if _private(name):
            return type.__getattribute__(cls, name)
        __tracebackhide__ = True
        return type.__getattribute__(cls, "_grading_proxies").getattr(cls, name)

    def __setattr__(cls, name, value):
        if _private(name):
            type.__setattr__(cls, name, value)
        else:
            __tracebackhide__ = True
            type.__getattribute__(cls, "_grading_proxies").setattr(cls, name, value)

    def __repr__(cls):
        return f"<class {type.__getattribute__(cls, '__qualname__')} of the student's kernel>"


def _reference(value) -> int | None:
    """The student's handle ``value`` stands for, if it is one of ours."""
    if isinstance(value, RemoteObject):
        return object.__getattribute__(value, "_grading_ref")
    if isinstance(value, StudentClassMeta):
        return type.__getattribute__(value, "_grading_ref")
    return None


def trusted_class(module: str, qualname: str):
    """The grader's own class named ``module.qualname``, from a package it trusts and already
    imported (never imported on a student's word), or None."""
    if module.split(".")[0] not in TRUSTED_PACKAGES or module not in sys.modules:
        return None
    found = sys.modules[module]
    for part in qualname.split("."):
        if not part.isidentifier():
            return None
        found = getattr(found, part, None)
        if found is None:
            return None
    if isinstance(found, type) and found.__module__ == module and found.__qualname__ == qualname:
        return found
    return None


def _name(value, what: str) -> str:
    if type(value) is not str or not 0 < len(value) <= MAX_NAME:
        raise BadAnswer(f"the answer names {what} {value!r:.60}, not a valid name")
    return value


def _string(value) -> str:
    return value if type(value) is str else ""


class Channel:
    """The connection to the agent in the student's kernel, for one cell at a time."""

    def __init__(self, path: str, limits: wire.Limits):
        self.path = path
        self.limits = limits
        self.sock = None
        self.busy = False  # a call ran out of time and the student's kernel is still in it
        self.gone = False  # the student's kernel closed the connection in a call
        self.refused = ""  # why the student's kernel takes no calls in this cell
        self.counter = 0

    def start_cell(self) -> None:
        self.close()
        self.busy = False

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def _connect(self, deadline: float) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(max(deadline - time.monotonic(), 0.01))
            sock.connect(self.path)
        except OSError as error:
            sock.close()
            raise StudentKernelEnded(
                f"the student's kernel does not take calls ({error})"
            ) from None
        self.sock = sock
        hello_by = min(deadline, time.monotonic() + HELLO_SECONDS)
        reply, _ = self._exchange({"op": "hello"}, [], hello_by)
        if reply.get("ok") != "hello":
            self.close()
            raise BadAnswer("the student's kernel answered the greeting with something else")

    def request(self, message: dict, buffers: list, deadline: float) -> tuple[dict, list]:
        if self.refused:
            raise CallsRefused(self.refused)
        if self.gone:
            raise StudentKernelEnded("the student's kernel ended during an earlier call")
        if self.busy:
            raise CellTimeoutError(
                "the student's kernel is still running an earlier call that did not return"
            )
        if self.sock is None:
            self._connect(deadline)
        return self._exchange(message, buffers, deadline)

    def _exchange(self, message: dict, buffers: list, deadline: float) -> tuple[dict, list]:
        self.counter += 1
        message = {**message, "id": self.counter}
        try:
            wire.send_frame(self.sock, wire.pack(message, buffers, wire.Limits(2**62)), deadline)
            reply, reply_buffers = wire.read_frame(self.sock, self.limits, deadline)
        except wire.WireTimeout:
            self.busy = True
            self.close()
            raise
        except wire.WireClosed:
            self.gone = True
            self.close()
            raise
        except wire.WireError:
            self.close()  # the stream is out of step: the next call starts a new connection
            raise
        if reply.get("id") != self.counter:
            self.close()
            raise BadAnswer("the student's kernel answered another question than the one asked")
        return reply, reply_buffers


class Proxies:
    """The student's side of one submission, as seen from the trusted kernel."""

    def __init__(self, channel: Channel, limits: wire.Limits, limit_seconds: float = 30):
        self.channel = channel
        self.limits = limits
        self.limit_seconds = limit_seconds
        self.deadline = None
        self.classes: dict[int, type] = {}  # the student's class handle -> its stand-in
        self.handle_types: dict[type, type] = {}
        self.errors: dict[tuple, type] = {}
        self.sent: dict[int, object] = {}  # key -> a Keras object sent to the student's kernel
        self.keys: dict[int, int] = {}  # id(object) -> key
        self.calls = 0

    # ------------------------------------------------------------------ requests
    def start_cell(self, limit_seconds: float) -> None:
        self.limit_seconds = limit_seconds
        self.deadline = time.monotonic() + limit_seconds
        self.channel.start_cell()

    def ask(self, message: dict, buffers: list, what: str, changed=None):
        """Send ``message``; the decoded answer, or the student's exception raised here.
        ``changed(key, value)`` gets each argument the call changed in place."""
        __tracebackhide__ = True
        self.calls += 1
        deadline = self.deadline or time.monotonic() + self.limit_seconds
        try:
            reply, reply_buffers = self.channel.request(message, buffers, deadline)
        except wire.WireTimeout:
            raise CellTimeoutError(
                f"{what} did not return within this cell's time limit of "
                f"{self.limit_seconds:g} s and was stopped."
            ) from None
        except wire.WireClosed:
            raise StudentKernelEnded(f"the student's kernel ended during {what}.") from None
        except wire.WireError as error:
            raise BadAnswer(f"{what}: the student's kernel sent a bad answer: {error}.") from None
        for name, stream in (("stdout", sys.stdout), ("stderr", sys.stderr)):
            text = _string(reply.get(name))
            if text:
                stream.write(text)
        if "error" in reply:
            raise self.make_error(reply["error"]) from None
        if "ok" not in reply:
            raise BadAnswer(f"{what}: the student's kernel sent an answer without a value.")
        decoder = wire.Decoder(reply_buffers, self.limits, self.decode_tags())
        try:
            value = decoder.decode(reply["ok"])
            for entry in reply.get("changed", []) if changed is not None else []:
                if type(entry) is not list or len(entry) != 2:
                    raise BadAnswer("a malformed changed argument")
                changed(entry[0], decoder.decode(entry[1]))
            return value
        except (wire.WireError, ValueError, TypeError, KeyError) as error:
            raise BadAnswer(f"{what}: the student's kernel sent a bad answer: {error}") from None

    def encode(self, value):
        encoder = wire.Encoder(wire.Limits(max_bytes=2**62), self.encode_other)
        try:
            node = encoder.encode(value)
        except wire.NotData as error:
            raise TypeError(f"cannot pass this to the student's code: {error}") from None
        return node, encoder.buffers

    def _pack_call(self, message: dict, args: tuple, kwargs: dict) -> tuple[dict, list]:
        encoder = wire.Encoder(wire.Limits(max_bytes=2**62), self.encode_other)
        try:
            message["args"] = [encoder.encode(a) for a in args]
            message["kwargs"] = encoder.encode(dict(kwargs))
        except wire.NotData as error:
            raise TypeError(f"cannot pass this to the student's code: {error}") from None
        return message, encoder.buffers

    def call(self, target, args: tuple, kwargs: dict):
        """``target(*args, **kwargs)`` in the student's kernel. An array, list, dict or set the
        call changed in place is changed here too, as if the student's code had worked on the
        caller's own object (a test may check that it did not)."""
        __tracebackhide__ = True
        message, buffers = self._pack_call({"op": "call", "ref": _reference(target)}, args, kwargs)

        def changed(key, value):
            if type(key) is int and 0 <= key < len(args):
                write_back(args[key], value)
            elif type(key) is str and key in kwargs:
                write_back(kwargs[key], value)

        return self.ask(message, buffers, f"{_label(target)}(...)", changed)

    def getattr(self, target, name: str):
        __tracebackhide__ = True
        message = {"op": "getattr", "ref": _reference(target), "name": name}
        value = self.ask(message, [], f"{_label(target)}.{name}")
        if isinstance(value, RemoteObject):
            object.__setattr__(value, "_grading_label", f"{_label(target)}.{name}")
        return value

    def setattr(self, target, name: str, value) -> None:
        __tracebackhide__ = True
        node, buffers = self.encode(value)
        message = {"op": "setattr", "ref": _reference(target), "name": name, "value": node}
        self.ask(message, buffers, f"setting {_label(target)}.{name}")

    def globals(self, names: list[str]) -> dict:
        """The student's notebook globals ``names`` (``MISSING`` for those not defined)."""
        values = self.ask({"op": "globals", "names": list(names)}, [], "reading your names")
        if type(values) is not dict or not set(values) <= set(names):
            raise BadAnswer("the student's kernel sent other names than those asked for")
        for name, value in values.items():
            if isinstance(value, RemoteObject):
                object.__setattr__(value, "_grading_label", name)
        return values

    def sequential(self, args: tuple, kwargs: dict):
        """``keras.Sequential(...)`` of layers some of which live in the student's kernel:
        built there, a model behind a handle."""
        __tracebackhide__ = True
        message, buffers = self._pack_call({"op": "sequential"}, args, kwargs)
        return self.ask(message, buffers, "keras.Sequential(...) with your layers")

    # ------------------------------------------------------------------ values out
    def encode_other(self, value, encoder: wire.Encoder):
        reference = _reference(value)
        if reference is not None:
            return {"$ref": reference}
        if keras_values.is_keras_value(value):
            return {"$keras": self.keras_payload(value, encoder)}
        keras = keras_values.loaded_keras()
        if keras is not None and isinstance(value, keras.KerasTensor):
            shape = encoder.encode(tuple(value.shape))
            return {"$keras_input": {"shape": shape, "dtype": str(value.dtype)}}
        if keras_values.is_tensor(value):
            import numpy as np

            return {"$tensor": encoder.buffer(wire.npy_bytes(np.asarray(value)))}
        raise wire.NotData(
            f"a {type(value).__name__} is not data, a Keras object or an object of the "
            "student's kernel"
        )

    def key(self, value) -> int:
        key = self.keys.get(id(value))
        if key is None or self.sent.get(key) is not value:
            key = len(self.sent) + 1
            self.sent[key] = value
            self.keys[id(value)] = key
        return key

    def keras_payload(self, value, encoder: wire.Encoder) -> dict:
        payload = {
            "config": json.dumps(keras_values.serialize(value)),
            "origin": self.key(value),
            "weights": [encoder.encode(w) for w in keras_values.weights_of(value)],
        }
        layers = getattr(value, "layers", None)
        if isinstance(layers, list):
            payload["layer_keys"] = [self.key(layer) for layer in layers]
        return payload

    # ------------------------------------------------------------------ values in
    def decode_tags(self) -> dict:
        return {
            "$handle": self.decode_handle,
            "$class": lambda body, decoder: self.make_class(body),
            "$keras": self.decode_keras,
            "$tensor": lambda body, decoder: self.decode_tensor(decoder.buffer(body)),
            "$missing": lambda body, decoder: MISSING,
        }

    def decode_handle(self, body, decoder):
        if type(body) is not dict or type(body.get("id")) is not int:
            raise BadAnswer("a malformed handle")
        cls = self.make_class(body.get("class"))
        handle_type = self.handle_types.get(cls)
        if handle_type is None:
            name = type.__getattribute__(cls, "__name__")
            handle_type = type(name, (RemoteObject,), {"__slots__": ()})
            handle_type.__qualname__ = type.__getattribute__(cls, "__qualname__")
            self.handle_types[cls] = handle_type
        handle = object.__new__(handle_type)
        object.__setattr__(handle, "_grading_ref", body["id"])
        object.__setattr__(handle, "_grading_proxies", self)
        object.__setattr__(handle, "_grading_class", cls)
        object.__setattr__(handle, "_grading_label", type.__getattribute__(cls, "__name__"))
        meta = {}
        if type(body.get("name")) is str and body["name"].isidentifier():
            meta["name"] = body["name"][:MAX_NAME]
        if type(body.get("signature")) is str:
            meta["signature"] = parse_signature(body["signature"])
        object.__setattr__(handle, "_grading_meta", meta)
        return handle

    def decode_tensor(self, data: bytes):
        array = wire.load_npy(data)
        tf = sys.modules.get("tensorflow")
        return tf.constant(array) if tf is not None else array

    def make_class(self, desc, depth: int = 0) -> type:
        """The class ``desc`` describes: the grader's own (a Keras or NumPy class), or a
        stand-in for a student's class, one per class."""
        if type(desc) is not dict or type(desc.get("id")) is not int:
            raise BadAnswer("a malformed class description")
        if desc["id"] in self.classes:
            return self.classes[desc["id"]]
        if depth > MAX_CLASS_DEPTH or "qualname" not in desc:
            raise BadAnswer("a class description that is malformed or nested too deeply")
        module = _name(desc.get("module"), "a module")
        qualname = _name(desc["qualname"], "a class")
        found = trusted_class(module, qualname)
        if found is None:
            bases = desc.get("bases", [])
            if type(bases) is not list or len(bases) > 16:
                raise BadAnswer("a malformed class description")
            found = self._stand_in(desc["id"], module, qualname, bases, depth)
        self.classes[desc["id"]] = found
        return found

    def _stand_in(self, ref: int, module: str, qualname: str, bases: list, depth: int) -> type:
        resolved = tuple(self.make_class(b, depth + 1) for b in bases)
        name = qualname.rsplit(".", 1)[-1]
        if not name.isidentifier():
            name = "StudentClass"

        def body(namespace):
            namespace["__module__"] = module
            namespace["__qualname__"] = qualname
            namespace["_grading_ref"] = ref
            namespace["_grading_proxies"] = self
            namespace["_grading_label"] = name

        for tries in (resolved, ()):
            try:
                return types.new_class(name, tries, {"metaclass": _metaclass(tries)}, body)
            except TypeError:
                continue
        raise BadAnswer(f"the class {qualname} cannot stand in here")

    def decode_keras(self, body, decoder):
        if type(body) is not dict or type(body.get("config")) is not str:
            raise BadAnswer("a malformed Keras object")
        origin = self.sent.get(body.get("origin")) if body.get("origin") is not None else None
        if origin is not None and self._sync(origin, body, decoder):
            return origin
        entries = body.get("layers")
        if entries is None:
            weights = [decoder.decode(w) for w in self._list(body.get("weights", []))]
            return keras_values.rebuild(body["config"], weights)
        value = keras_values.rebuild(body["config"], [])
        layers = value.layers
        if type(entries) is not list or len(entries) != len(layers):
            raise BadAnswer("a Keras model whose layers do not match its config")
        substitutes = {}
        for layer, entry in zip(layers, entries, strict=True):
            if type(entry) is not dict:
                raise BadAnswer("a malformed Keras layer")
            original = self.sent.get(entry.get("origin")) if "origin" in entry else None
            target = original if original is not None else layer
            self._set_layer(target, entry, decoder)
            if original is not None and original is not layer:
                substitutes[id(layer)] = original
        if substitutes:
            value = self._with_layers(value, substitutes, body["config"])
        return value

    @staticmethod
    def _list(value) -> list:
        if type(value) is not list:
            raise BadAnswer("a malformed list of weights")
        return value

    def _set_layer(self, layer, entry: dict, decoder) -> None:
        weights = [decoder.decode(w) for w in self._list(entry.get("weights", []))]
        try:
            layer.set_weights(weights)
        except Exception as error:  # noqa: BLE001 - weights that do not fit
            raise BadAnswer(f"weights that do not fit layer {layer.name}: {error}") from None
        if type(entry.get("trainable")) is bool:
            layer.trainable = entry["trainable"]

    def _with_layers(self, model, substitutes: dict, config_text: str):
        """``model`` with some layers replaced by the grader's own objects they are copies of
        (the student's function reused the layers it was given)."""
        import keras

        clone = keras.models.clone_model(
            model, clone_function=lambda layer: substitutes.get(id(layer), layer)
        )
        compile_config = json.loads(config_text).get("compile_config")
        if compile_config:
            clone.compile_from_config(compile_config)
        return clone

    def _sync(self, original, body: dict, decoder) -> bool:
        """Bring a Keras object the student's code received, changed and returned back to
        the state it has there; False when its structure changed (then it is rebuilt)."""
        entries = body.get("layers")
        layers = getattr(original, "layers", None)
        if entries is None or layers is None:
            weights = [decoder.decode(w) for w in self._list(body.get("weights", []))]
            if len(weights) != len(original.get_weights()):
                return False
            original.set_weights(weights)
            return True
        if type(entries) is not list or len(entries) != len(layers):
            return False
        for layer, entry in zip(layers, entries, strict=True):
            if type(entry) is not dict:
                raise BadAnswer("a malformed Keras layer")
            self._set_layer(layer, entry, decoder)
        if body.get("recompiled") is True:
            config = json.loads(body["config"]).get("compile_config")
            problem = keras_values.config_problem(config)
            if problem:
                raise BadAnswer(f"a model compiled with {problem}")
            if config:
                original.compile_from_config(config)
        return True

    # ------------------------------------------------------------------ errors
    def make_error(self, desc) -> BaseException:
        """The student's exception as one raised here: same name and message, derived from the
        same built-in exception, with the student's own traceback lines as a note."""
        if type(desc) is not dict or type(desc.get("type")) is not dict:
            return BadAnswer("the student's kernel reported an error it did not describe")
        kind = desc["type"]
        module, qualname = _string(kind.get("module"))[:MAX_NAME], _string(kind.get("qualname"))
        base = Exception
        for name in kind.get("mro", []) if type(kind.get("mro")) is list else []:
            found = getattr(builtins, name, None) if type(name) is str else None
            if isinstance(found, type) and issubclass(found, BaseException):
                base = found
                break
        if not issubclass(base, Exception):
            base = Exception
        name = qualname.rsplit(".", 1)[-1][:MAX_NAME]
        name = name if name.isidentifier() else "StudentError"
        message = _string(desc.get("message"))[: 2 * 2000]
        if module == "builtins" and base.__name__ == name:
            cls = base
        else:
            cls = self.errors.get((module, qualname, base))
            if cls is None:
                cls = types.new_class(name, (base,), {}, lambda ns: ns.update(__module__=module))
                cls.__qualname__ = qualname[:MAX_NAME] or name
                self.errors[module, qualname, base] = cls
        try:
            error = cls(message)
        except Exception:  # noqa: BLE001 - a built-in whose constructor wants more
            error = types.new_class(name, (Exception,))(message)
        frames = desc.get("frames") if type(desc.get("frames")) is list else []
        lines = []
        for frame in frames[:30]:
            if type(frame) is dict:
                where = f"{_string(frame.get('file'))[:MAX_NAME]}, line {frame.get('line')!s:.10}"
                lines.append(f"  {where}, in {_string(frame.get('name'))[:MAX_NAME]}")
                code = _string(frame.get("code"))[:300].strip()
                if code:
                    lines.append(f"    {code}")
        if lines:
            error.add_note("Raised in your code (most recent call last):\n" + "\n".join(lines))
        return error


class _Default:
    """A default value shown as the student's code wrote it (never evaluated here)."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self):
        return self.text


def parse_signature(text: str) -> inspect.Signature | None:
    """``inspect.Signature`` from its text ("(x, gamma, beta, eps=0.001)"), by parsing only:
    defaults that are literals become values, others stay text; None if it does not parse."""
    try:
        function = ast.parse(f"def _{text[:2000]}: pass").body[0]
    except (SyntaxError, ValueError, RecursionError, IndexError):
        return None
    if not isinstance(function, ast.FunctionDef):
        return None
    spec = function.args

    def default(node):
        try:
            return ast.literal_eval(node)
        except (ValueError, TypeError, SyntaxError, RecursionError):
            return _Default(ast.unparse(node)[:100])

    kinds = inspect.Parameter
    positional = [(a, kinds.POSITIONAL_ONLY) for a in spec.posonlyargs]
    positional += [(a, kinds.POSITIONAL_OR_KEYWORD) for a in spec.args]
    defaults = [None] * (len(positional) - len(spec.defaults)) + list(spec.defaults)
    parameters = [
        kinds(a.arg, kind, default=kinds.empty if d is None else default(d))
        for (a, kind), d in zip(positional, defaults, strict=True)
    ]
    if spec.vararg:
        parameters.append(kinds(spec.vararg.arg, kinds.VAR_POSITIONAL))
    for a, d in zip(spec.kwonlyargs, spec.kw_defaults, strict=True):
        parameters.append(
            kinds(a.arg, kinds.KEYWORD_ONLY, default=kinds.empty if d is None else default(d))
        )
    if spec.kwarg:
        parameters.append(kinds(spec.kwarg.arg, kinds.VAR_KEYWORD))
    try:
        return inspect.Signature(parameters)
    except ValueError:
        return None


def write_back(original, value) -> None:
    """Make ``original`` (the caller's object) hold ``value`` (its changed copy), in place."""
    import numpy as np

    kind = type(original)
    if kind is not type(value):
        return
    if kind is np.ndarray:
        if value.shape == original.shape and original.flags.writeable:
            np.copyto(original, value, casting="unsafe")
    elif kind is list:
        original[:] = value
    elif kind in (dict, set):
        original.clear()
        original.update(value)


def _metaclass(bases: tuple) -> type:
    """``StudentClassMeta``, combined with the metaclass of ``bases`` when that is not ``type``."""
    winner = type
    for base in bases:
        meta = type(base)
        if issubclass(meta, winner):
            winner = meta
    if winner is type or issubclass(winner, StudentClassMeta):
        return StudentClassMeta
    return type(f"Student{winner.__name__}", (StudentClassMeta, winner), {})
