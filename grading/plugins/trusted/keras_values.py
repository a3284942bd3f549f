"""Keras objects as data: a model, layer or optimizer crosses between the kernels as its config
(JSON) and its weights (arrays), and is rebuilt with Keras' ``safe_mode`` on.

The trusted side rebuilds only configs made of Keras' own public classes (``keras.layers.Dense``,
``keras.initializers.HeNormal``, ...): never a ``Lambda`` layer (code), never a class a student
defined. Such an object stays in the student's kernel behind a handle instead. The student's side
may rebuild the instructor's own classes (the oracle cells' layers), which its kernel defines too.

Keras is imported only when a Keras object is actually met: a student's kernel for a NumPy
assignment never loads TensorFlow on this module's account.
"""

import importlib
import json
import re
import sys

PUBLIC_MODULES = (
    "keras",
    "keras.layers",
    "keras.models",
    "keras.initializers",
    "keras.regularizers",
    "keras.constraints",
    "keras.optimizers",
    "keras.optimizers.schedules",
    "keras.losses",
    "keras.metrics",
    "keras.activations",
    "keras.dtype_policies",
)
FUNCTION_MODULES = ("keras.activations", "keras.losses", "keras.metrics")
# Keras' own classes that run code or load files named in their config.
DENIED = {"Lambda", "TFSMLayer", "TorchModuleWrapper", "JaxLayer", "FlaxLayer", "Pipeline"}
# What Keras' serialization writes for plain values inside a config; ``__keras_tensor__`` is a
# functional model's link between layers (a symbolic tensor's shape, dtype and source layer).
VALUE_CLASS_NAMES = {
    "__tensor__",
    "__numpy__",
    "__bytes__",
    "__ellipsis__",
    "__slice__",
    "__keras_tensor__",
}
FUNCTIONAL = ("keras.src.models.functional", "Functional")
MAX_CONFIG_DEPTH = 200
# A layer's weights are at most the product of the largest numbers in its config (units,
# filters, kernel size, the input's last dimension): more than this is refused unbuilt, so a
# forged config cannot make the trusted kernel allocate gigabytes.
MAX_LAYER_WEIGHTS = 50_000_000


def loaded_keras():
    """The ``keras`` module if it is loaded (not merely imported lazily), else None."""
    module = sys.modules.get("keras")
    if module is None or type(module).__name__ == "_LazyModule":
        return None
    return module


def is_keras_value(value) -> bool:
    """A Keras layer, model, optimizer, initializer, regularizer, constraint, loss or metric."""
    module = type(value).__module__ or ""
    if not module.startswith("keras"):
        return False
    keras = loaded_keras()
    if keras is None:
        return False
    kinds = (
        keras.layers.Layer,
        keras.optimizers.Optimizer,
        keras.initializers.Initializer,
        keras.regularizers.Regularizer,
        keras.constraints.Constraint,
        keras.losses.Loss,
        keras.metrics.Metric,
    )
    return isinstance(value, kinds)


def is_tensor(value) -> bool:
    """A TensorFlow tensor or a Keras variable: numbers, sent as an array."""
    module = type(value).__module__ or ""
    if module.startswith("tensorflow"):
        tf = sys.modules.get("tensorflow")
        return tf is not None and isinstance(value, tf.Tensor | tf.Variable)
    keras = loaded_keras()
    return keras is not None and module.startswith("keras") and isinstance(value, keras.Variable)


def _public_class(module: str, name: str):
    if module not in PUBLIC_MODULES and (module, name) != FUNCTIONAL:
        return None
    if name in DENIED or "lambda" in name.lower():
        return None
    try:
        found = getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None
    if not isinstance(found, type) or not (found.__module__ or "").startswith("keras."):
        return None
    return found


def config_problem(config, depth: int = 0) -> str | None:
    """Why ``config`` (a Keras serialization) may not be rebuilt by the trusted side, or None:
    every class in it must be one of Keras' own public classes, every function a public one."""
    if depth > MAX_CONFIG_DEPTH:
        return "the config is nested too deeply"
    if isinstance(config, list):
        for item in config:
            problem = config_problem(item, depth + 1)
            if problem:
                return problem
        return None
    if not isinstance(config, dict):
        return None
    if "class_name" in config:
        name, module = config.get("class_name"), config.get("module")
        if not isinstance(name, str) or not (module is None or isinstance(module, str)):
            return "a malformed class entry"
        if name == "function":
            function = config.get("config")
            if module not in FUNCTION_MODULES or not isinstance(function, str):
                return f"the function {function!r} of {module!r}"
            if not callable(getattr(importlib.import_module(module), function, None)):
                return f"the function {function!r} of {module!r}"
        elif name not in VALUE_CLASS_NAMES and _public_class(module or "", name) is None:
            return f"the class {name!r} of {module!r}"
        numbers = sorted(_numbers(config.get("config")) + _numbers(config.get("build_config")))
        size = 1
        for n in numbers[-3:]:
            size *= n
        if size > MAX_LAYER_WEIGHTS:
            return f"a {name} of up to {size:,} weights (more than {MAX_LAYER_WEIGHTS:,})"
    for key, value in config.items():
        if key != "class_name":
            problem = config_problem(value, depth + 1)
            if problem:
                return problem
    return None


def _numbers(config, depth: int = 0) -> list[int]:
    """The positive integers in a layer's own config (not in the objects nested in it)."""
    if depth > 8 or (isinstance(config, dict) and "class_name" in config and depth):
        return []
    if isinstance(config, bool):
        return []
    if isinstance(config, int):
        return [config] if config > 0 else []
    if isinstance(config, dict):
        return [n for value in config.values() for n in _numbers(value, depth + 1)]
    if isinstance(config, list):
        return [n for value in config for n in _numbers(value, depth + 1)]
    return []


def serialize(value) -> dict:
    """``value``'s Keras serialization (JSON-compatible), with its build and compile state."""
    import keras

    return keras.saving.serialize_keras_object(value)


def weights_of(value) -> list:
    """The arrays a rebuilt copy needs: a layer's or model's weights (optimizers: none)."""
    import keras

    if isinstance(value, keras.layers.Layer):
        return [w for w in value.get_weights()]
    return []


def rebuild(config_text: str, weights: list, custom_objects: dict | None = None):
    """The object ``config_text`` (JSON) describes, rebuilt with ``safe_mode`` and given
    ``weights``. With ``custom_objects=None`` (the trusted side) only Keras' own classes are
    accepted; ``ValueError`` says what was refused or did not fit."""
    import keras

    try:
        config = json.loads(config_text)
    except (ValueError, RecursionError) as error:
        raise ValueError(f"the Keras config is not valid JSON ({type(error).__name__})") from None
    if custom_objects is None:
        problem = config_problem(config)
        if problem:
            raise ValueError(f"a Keras object holding {problem} is not rebuilt here")
    try:
        value = keras.saving.deserialize_keras_object(
            config, custom_objects=custom_objects, safe_mode=True
        )
    except Exception as error:  # noqa: BLE001 - whatever Keras says, the object is refused
        raise ValueError(
            f"Keras could not rebuild the object: {type(error).__name__}: {error}"
        ) from None
    if weights:
        if not isinstance(value, keras.layers.Layer):
            raise ValueError("weights for a Keras object that holds none")
        try:
            value.set_weights(weights)
        except Exception as error:  # noqa: BLE001 - shapes that do not fit
            raise ValueError(f"the weights do not fit the model: {error}") from None
    reserve_names(value)
    return value


def reserve_names(value) -> None:
    """Advance Keras' automatic names past those of ``value`` and its layers, as if they had
    been made in this kernel: a layer made next is not named like one of them ("dense")."""
    import keras

    objects = [value] + list(getattr(value, "layers", []))
    for name in (getattr(obj, "name", None) for obj in objects):
        if not isinstance(name, str):
            continue
        match = re.fullmatch(r"(.+)_(\d+)", name)
        prefix, needed = (match[1], int(match[2]) + 1) if match else (name, 1)
        for _ in range(min(needed, 10_000)):
            if keras.backend.get_uid(prefix) >= needed:
                break
