"""Wrong submissions of our own, built by editing the solution cells, and what they must show.

Each ``Mistake`` is one common error in one graded function: a text edit of its solution cell
(``old`` -> ``new``), the test cells that must lose points, the named diagnosis the feedback
must show, and the tests of other functions that go through it and must say to fix it first.
``ROUNDS[assignment]`` groups them into submissions: one mistake per function, so a single
notebook run grades them all (tests/assignments/test_feedback.py). A test that goes through a
function broken in the same round says to fix that function first and still shows its own
diagnosis. ``VARIANTS[assignment]`` are correct solutions written differently, which must get
every autograded point.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Mistake:
    function: str  # the graded function the edit breaks
    cell: str  # grade_id of the solution cell holding it
    old: str  # text of the solution cell to replace (must occur exactly once)
    new: str
    fails: tuple[str, ...]  # grade_ids of test cells that must lose points
    diagnosis: str  # text the feedback must show
    keeps: tuple[str, ...] = ()  # grade_ids of test cells that must keep every point
    # grade_ids of tests of other functions that go through this one: they must fail with
    # "Fix `<function>` first"
    knock_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class Variant:
    description: str
    cell: str
    old: str
    new: str


A1 = "a1_unstable_gradients"
A2 = "a2_batch_normalization"
A3 = "a3_optimizers"
A4 = "a4_transfer_learning"
A5 = "a5_regularization"

ADAMW_TESTS = ("test-adamw-basic", "test-adamw-keras", "test-adamw-hidden")
# The body of the solution's momentum_step, which two mistakes rewrite.
MOMENTUM_BODY = (
    "    velocity = momentum * velocity - learning_rate * g\n"
    "    if nesterov:\n"
    "        return w + momentum * velocity - learning_rate * g, velocity\n"
    "    return w + velocity, velocity\n"
)

ROUNDS: dict[str, list[list[Mistake]]] = {
    A5: [
        [
            Mistake(
                "build_regularized_mlp",
                "build_regularized_mlp",
                "        if dropout_rate > 0:\n"
                "            layers.append(keras.layers.Dropout(dropout_rate))\n"
                '        init = "he_normal" if activation == "relu" else "glorot_uniform"\n'
                "        layers.append(\n"
                "            keras.layers.Dense(units, activation=activation, "
                "kernel_initializer=init, **options)\n"
                "        )\n",
                '        init = "he_normal" if activation == "relu" else "glorot_uniform"\n'
                "        layers.append(\n"
                "            keras.layers.Dense(units, activation=activation, "
                "kernel_initializer=init, **options)\n"
                "        )\n"
                "        if dropout_rate > 0:\n"
                "            layers.append(keras.layers.Dropout(dropout_rate))\n",
                ("test-build_regularized_mlp-layers", "test-build_regularized_mlp-hidden"),
                "Dropout comes after each Dense layer; the chapter puts it before every Dense",
            ),
            Mistake(
                "MCDropout",
                "MCDropout",
                "return super().call(inputs, training=True)",
                "return super().call(inputs, training=True) * (1 - self.rate)",
                ("test-MCDropout-active",),
                "the kept inputs are not scaled by 1 / (1 - rate).",
                knock_on=("test-to_mc_model-batchnorm",),
            ),
            Mistake(
                "to_mc_model",
                "to_mc_model",
                "else layer\n"
                "        for layer in model.layers\n"
                "    ]\n"
                "    mc_model = keras.Sequential("
                "[keras.Input(shape=model.input_shape[1:]), *layers])\n"
                "    mc_model.set_weights(model.get_weights())\n",
                "else layer.__class__.from_config(layer.get_config())\n"
                "        for layer in model.layers\n"
                "    ]\n"
                "    mc_model = keras.Sequential("
                "[keras.Input(shape=model.input_shape[1:]), *layers])\n",
                ("test-to_mc_model-layers",),
                "does not hold the weights of",
            ),
            Mistake(
                "mc_predict",
                "mc_predict",
                "probas.std(axis=0)",
                "probas.std(axis=0, ddof=1)",
                ("test-mc_predict-values",),
                "the std divides by n_samples - 1 (ddof=1)",
            ),
        ],
        [
            Mistake(
                "build_regularized_mlp",
                "build_regularized_mlp",
                "kernel_initializer=init, **options)",
                'kernel_initializer=init, **(options if activation == "relu" else {}))',
                ("test-build_regularized_mlp-l2", "test-build_regularized_mlp-hidden"),
                "the output layer has no penalty",
            ),
            Mistake(
                "MCDropout",
                "MCDropout",
                "return super().call(inputs, training=True)",
                "return super().call(inputs, training=training)",
                ("test-MCDropout-active",),
                "no input is dropped: call the parent's call with training=True",
                knock_on=("test-to_mc_model-random",),
            ),
            Mistake(
                "to_mc_model",
                "to_mc_model",
                "MCDropout(layer.rate)",
                "MCDropout(0.5)",
                ("test-to_mc_model-layers", "test-to_mc_model-hidden"),
                "the rate is not copied: use MCDropout(layer.rate).",
            ),
            Mistake(
                "mc_predict",
                "mc_predict",
                "np.asarray(model(X))",
                "np.asarray(model(X, training=True))",
                ("test-mc_predict-hidden",),
                "the model is called with training=True",
            ),
        ],
    ],
    A4: [
        [
            Mistake(
                "split_task_a_b",
                "split_task_a_b",
                "(y[in_b] == b_classes[1])",
                "(y[in_b] == b_classes[0])",
                ("test-split_task_a_b-values", "test-split_task_a_b-hidden"),
                "y_b is 1 for the first class of b_classes; it is 1 for the second.",
            ),
            Mistake(
                "reuse_for_task_b",
                "reuse_for_task_b",
                "    clone.set_weights(model_a.get_weights())\n",
                "",
                ("test-reuse_for_task_b-structure",),
                "clone_model copies the architecture only; copy the weights",
            ),
            Mistake(
                "unfreeze",
                "unfreeze",
                "    model.compile(\n"
                '        loss="binary_crossentropy",\n'
                "        optimizer=keras.optimizers.SGD(learning_rate=learning_rate),\n"
                '        metrics=["accuracy"],\n'
                "    )\n",
                "",
                ("test-unfreeze-compiled",),
                "the model was not compiled again",
            ),
        ],
        [
            Mistake(
                "split_task_a_b",
                "split_task_a_b",
                "y_a = (y - below)[~in_b]",
                "y_a = y[~in_b]",
                ("test-split_task_a_b-values", "test-split_task_a_b-hidden"),
                "the task-A labels are not relabelled",
            ),
            Mistake(
                "reuse_for_task_b",
                "reuse_for_task_b",
                "layer.trainable = False",
                "layer.trainable = True",
                ("test-reuse_for_task_b-frozen", "test-reuse_for_task_b-hidden"),
                "are trainable: set layer.trainable = False.",
            ),
            Mistake(
                "unfreeze",
                "unfreeze",
                "SGD(learning_rate=learning_rate)",
                "SGD(learning_rate=0.001)",
                ("test-unfreeze-compiled", "test-unfreeze-hidden"),
                "learning_rate is ignored: 0.001 is reuse_for_task_b's rate",
            ),
        ],
        [
            Mistake(
                "split_task_a_b",
                "split_task_a_b",
                "    y_a = (y - below)[~in_b].astype(np.int64)\n"
                "    y_b = (y[in_b] == b_classes[1]).astype(np.int64)\n",
                "    y_b = (y[in_b] == b_classes[1]).astype(np.int64)\n"
                "    y -= below\n"
                "    y_a = y[~in_b].astype(np.int64)\n",
                (
                    "test-split_task_a_b-shapes",
                    "test-split_task_a_b-values",
                    "test-split_task_a_b-order",
                ),
                "the call modified its argument `y` in place",
            ),
            Mistake(
                "reuse_for_task_b",
                "reuse_for_task_b",
                "    clone = keras.models.clone_model(model_a)\n"
                "    clone.set_weights(model_a.get_weights())\n"
                "    model_b = keras.Sequential(clone.layers[:-1])\n",
                "    model_b = keras.Sequential(model_a.layers[:-1])\n",
                ("test-reuse_for_task_b-structure", "test-reuse_for_task_b-hidden"),
                "the call froze model A's layers",
            ),
        ],
    ],
    A3: [
        [
            Mistake(
                "momentum_step",
                "momentum-step",
                "    if nesterov:\n"
                "        return w + momentum * velocity - learning_rate * g, velocity\n",
                "",
                ("test-momentum-nesterov", "test-momentum-hidden"),
                "nesterov is ignored",
            ),
            Mistake(
                "rmsprop_step",
                "rmsprop-step",
                "s = rho * s + (1 - rho) * g**2",
                "s = (1 - rho) * s + rho * g**2",
                ("test-rmsprop-basic", "test-rmsprop-keras", "test-rmsprop-hidden"),
                "rho and 1 - rho are swapped: s = rho * s + (1 - rho) * g**2.",
            ),
            Mistake(
                "adam_step",
                "adam-step",
                "(np.sqrt(v_hat) + epsilon), m, v",
                "(np.sqrt(v_hat) + epsilon), m_hat, v_hat",
                ("test-adam-basic", "test-adam-keras"),
                "m is bias-corrected; return the uncorrected average",
                knock_on=ADAMW_TESTS,
            ),
            Mistake(
                "adamw_step",
                "adam-step",
                "    w = w - learning_rate * weight_decay * w\n",
                "",
                ("test-adamw-basic", "test-adamw-keras", "test-adamw-hidden"),
                "the weights are not decayed",
            ),
            Mistake(
                "exponential_decay",
                "schedules",
                "lr0 * 0.1 ** (epoch / s)",
                "lr0 * 0.1 ** (epoch // s)",
                ("test-exponential-keras", "test-exponential-hidden"),
                "that is the staircase schedule (epoch // s); the decay is smooth, epoch / s.",
            ),
            Mistake(
                "piecewise_constant",
                "schedules",
                "if epoch <= boundary:",
                "if epoch < boundary:",
                ("test-piecewise-boundary", "test-piecewise-hidden"),
                "at an epoch equal to a boundary the earlier value applies (epoch <= boundary).",
            ),
        ],
        [
            Mistake(
                "momentum_step",
                "momentum-step",
                "velocity = momentum * velocity - learning_rate * g",
                "velocity = 0.9 * velocity - learning_rate * g",
                ("test-momentum-keras", "test-momentum-hidden"),
                "momentum is ignored (0.9 is used)",
            ),
            Mistake(
                "rmsprop_step",
                "rmsprop-step",
                "np.sqrt(s + epsilon)",
                "np.sqrt(s + 1e-7)",
                ("test-rmsprop-keras", "test-rmsprop-hidden"),
                "epsilon is ignored (the default 1e-7 is used)",
            ),
            Mistake(
                "adam_step",
                "adam-step",
                "    m = beta_1 * m + (1 - beta_1) * g\n",
                "    beta_2 = 0.999\n    m = beta_1 * m + (1 - beta_1) * g\n",
                ("test-adam-keras", "test-adam-hidden"),
                "beta_2 is ignored (the default 0.999 is used)",
                knock_on=ADAMW_TESTS,
            ),
            Mistake(
                "adamw_step",
                "adam-step",
                "w = w - learning_rate * weight_decay * w",
                "w = w - weight_decay * w",
                ("test-adamw-basic",),
                "the decay misses the learning rate: w - learning_rate * weight_decay * w.",
            ),
            Mistake(
                "exponential_decay",
                "schedules",
                "return float(lr0 * 0.1 ** (epoch / s))",
                "return float(lr0 * np.exp(-epoch / s))",
                ("test-exponential-basic", "test-exponential-keras", "test-exponential-hidden"),
                "lr0 * exp(-epoch / s): the rate is divided by 10, not by e, every s epochs.",
            ),
            Mistake(
                "piecewise_constant",
                "schedules",
                "    if len(values) != len(boundaries) + 1:\n"
                "        raise ValueError(\n"
                '            f"values must have one more element than boundaries, '
                'got {len(values)} values "\n'
                '            f"for {len(boundaries)} boundaries."\n'
                "        )\n",
                "",
                ("test-piecewise-errors",),
                "expected a ValueError, but nothing was raised",
                keeps=(
                    "test-piecewise-basic",
                    "test-piecewise-keras",
                    "test-piecewise-boundary",
                    "test-piecewise-hidden",
                ),
            ),
        ],
        [
            Mistake(
                "momentum_step",
                "momentum-step",
                MOMENTUM_BODY,
                MOMENTUM_BODY.replace("velocity - learning_rate", "velocity + learning_rate")
                .replace("w + momentum", "w - momentum")
                .replace("w + velocity", "w - velocity"),
                ("test-momentum-keras", "test-momentum-velocity", "test-momentum-hidden"),
                "the velocity points up the gradient",
            ),
            Mistake(
                "rmsprop_step",
                "rmsprop-step",
                "    return w - learning_rate * g / np.sqrt(s + epsilon), s\n",
                "    w -= learning_rate * g / np.sqrt(s + epsilon)\n    return w, s\n",
                ("test-rmsprop-basic", "test-rmsprop-keras", "test-rmsprop-hidden"),
                "the call modified its argument `w` in place",
            ),
            Mistake(
                "adam_step",
                "adam-step",
                "(np.sqrt(v_hat) + epsilon), m, v",
                "np.sqrt(v_hat + epsilon), m, v",
                ("test-adam-epsilon",),
                "epsilon is inside the square root: Adam divides by sqrt(v_hat) + epsilon",
                knock_on=ADAMW_TESTS,
            ),
            Mistake(
                "adamw_step",
                "adam-step",
                "    w = w - learning_rate * weight_decay * w\n",
                "    w -= learning_rate * weight_decay * w\n",
                ("test-adamw-basic", "test-adamw-keras", "test-adamw-hidden"),
                "the call modified its argument `w` in place",
            ),
        ],
        [
            Mistake(
                "momentum_step",
                "momentum-step",
                MOMENTUM_BODY,
                MOMENTUM_BODY.replace("    velocity = momentum", "    step = momentum")
                .replace(
                    "momentum * velocity - learning_rate * g, velocity",
                    "momentum * step - learning_rate * g, velocity",
                )
                .replace("w + velocity, velocity", "w + step, velocity"),
                ("test-momentum-velocity",),
                "the velocity returned is the one passed in",
                keeps=("test-momentum-basic", "test-momentum-keras", "test-momentum-nesterov"),
            ),
            Mistake(
                "rmsprop_step",
                "rmsprop-step",
                "    s = rho * s + (1 - rho) * g**2\n"
                "    return w - learning_rate * g / np.sqrt(s + epsilon), s\n",
                "    w = w - learning_rate * g / np.sqrt(s + epsilon)\n"
                "    s = rho * s + (1 - rho) * g**2\n"
                "    return w, s\n",
                ("test-rmsprop-basic", "test-rmsprop-keras", "test-rmsprop-hidden"),
                "the step divides by the old s: update s first",
            ),
            Mistake(
                "adam_step",
                "adam-step",
                "(np.sqrt(v_hat) + epsilon), m, v",
                "(v_hat + epsilon), m, v",
                ("test-adam-basic", "test-adam-keras", "test-adam-epsilon", "test-adam-hidden"),
                "the square root is missing: divide by sqrt(v_hat) + epsilon.",
                knock_on=ADAMW_TESTS,
            ),
        ],
        [
            Mistake(
                "rmsprop_step",
                "rmsprop-step",
                "s = rho * s + (1 - rho) * g**2",
                "s = rho * s + (1 - rho) * g",
                ("test-rmsprop-basic", "test-rmsprop-keras", "test-rmsprop-hidden"),
                "s averages the gradients, not their squares",
            ),
            Mistake(
                "adam_step",
                "adam-step",
                "    v = beta_2 * v + (1 - beta_2) * g**2\n",
                "    v = beta_2 * v + (1 - beta_2) * g\n",
                ("test-adam-basic", "test-adam-keras", "test-adam-epsilon", "test-adam-hidden"),
                "v averages the gradients, not their squares",
                knock_on=ADAMW_TESTS,
            ),
        ],
    ],
    A1: [
        [
            Mistake(
                "init_variance",
                "init-variance",
                '"he": 2 / fan_in',
                '"he": 1 / fan_in',
                ("test-init-variance-keras", "test-init-variance-hidden"),
                "the factor 2 of He is missing (or added to another scheme).",
            ),
            Mistake(
                "uniform_limit",
                "init-variance",
                "np.sqrt(3 * init_variance(fan_in, fan_out, scheme))",
                "np.sqrt(init_variance(fan_in, fan_out, scheme))",
                ("test-uniform-limit-keras", "test-uniform-limit-hidden"),
                "the standard deviation sqrt(variance); a uniform on [-r, r] has variance",
            ),
            Mistake(
                "activation",
                "activations",
                "return np.where(z > 0, z, 0.2 * z)",
                "return np.where(z > 0, z, 0.3 * z)",
                ("test-activation-basic", "test-activation-keras", "test-activation-hidden"),
                "slope 0.3, the default of the LeakyReLU layer; this function uses 0.2.",
            ),
            Mistake(
                "activation_derivative",
                "activations",
                "return s * (1 - s)",
                "return z * (1 - z)",
                ("test-derivative-tape", "test-derivative-hidden"),
                "z * (1 - z): the formula takes sigmoid(z), not z.",
                knock_on=("test-chain-basic", "test-chain-sigmoid", "test-chain-hidden"),
            ),
            Mistake(
                "chain_gradients",
                "chain-gradients",
                "delta = (a_values[-1] - y)",
                "delta = (y - a_values[-1])",
                ("test-chain-basic", "test-chain-other", "test-chain-hidden"),
                "the sign is flipped: dJ/da_n = a_n - y, not y - a_n.",
            ),
        ],
        [
            Mistake(
                "init_variance",
                "init-variance",
                "    if scheme not in variances:\n"
                '        raise ValueError(f"scheme must be one of {sorted(variances)}, '
                'got {scheme!r}.")\n',
                "",
                ("test-init-variance-errors",),
                "expected a ValueError, got KeyError",
                # a contract slip costs its own point, not the mathematics
                keeps=(
                    "test-init-variance-basic",
                    "test-init-variance-keras",
                    "test-init-variance-hidden",
                ),
                knock_on=("test-uniform-limit-errors",),
            ),
            Mistake(
                "uniform_limit",
                "init-variance",
                "np.sqrt(3 * init_variance(fan_in, fan_out, scheme))",
                "3 * init_variance(fan_in, fan_out, scheme)",
                ("test-uniform-limit-keras", "test-uniform-limit-hidden"),
                "3 * variance: take the square root, r = sqrt(3 * variance).",
            ),
            Mistake(
                "activation",
                "activations",
                "return np.where(z > 0, z, np.expm1(np.minimum(z, 0.0)))",
                "return np.where(z > 0, z, np.exp(np.minimum(z, 0.0)))",
                ("test-activation-keras", "test-activation-hidden"),
                "e**z for z < 0: the ELU is alpha * (e**z - 1) there.",
            ),
            Mistake(
                "activation_derivative",
                "activations",
                "return 1 - np.tanh(z) ** 2",
                "return 1 - z**2",
                ("test-derivative-tape", "test-derivative-hidden"),
                "1 - z**2: the formula takes tanh(z), not z.",
            ),
            Mistake(
                "chain_gradients",
                "chain-gradients",
                "    return grads\n",
                "    return grads[::-1]\n",
                ("test-chain-sigmoid", "test-chain-other", "test-chain-vanishing"),
                "the list runs from the output to the input; return dJ/dw_1 first.",
            ),
        ],
        [
            Mistake(
                "init_variance",
                "init-variance",
                "    return float(variances[scheme])\n",
                "    return float(np.sqrt(variances[scheme]))\n",
                (
                    "test-init-variance-basic",
                    "test-init-variance-keras",
                    "test-init-variance-hidden",
                ),
                "the standard deviation, not the variance.",
                knock_on=("test-uniform-limit-keras", "test-uniform-limit-hidden"),
            ),
            Mistake(
                "activation",
                "activations",
                "        return np.where(z > 0, z, 0.2 * z)\n",
                "        z[z < 0] *= 0.2\n        return z\n",
                ("test-activation-basic", "test-activation-keras", "test-activation-hidden"),
                "the call modified its argument `z` in place",
            ),
            Mistake(
                "activation_derivative",
                "activations",
                "        return (z > 0).astype(np.float64)\n",
                "        z[:] = z > 0\n        return z\n",
                ("test-derivative-basic", "test-derivative-tape", "test-derivative-hidden"),
                "the call modified its argument `z` in place",
                knock_on=("test-chain-other",),
            ),
            Mistake(
                "chain_gradients",
                "chain-gradients",
                "grads[k] = float(delta * a_values[k])",
                "grads[k] = float(delta * a_values[k + 1])",
                ("test-chain-basic", "test-chain-sigmoid", "test-chain-other"),
                "dJ/dw_k uses the neuron's output a_k; it takes its input a_(k-1).",
            ),
        ],
    ],
    A2: [
        [
            Mistake(
                "batchnorm_train",
                "batchnorm-train",
                "batch_var = x.var(axis=0)",
                "batch_var = x.var(axis=0, ddof=1)",
                ("test-bn-train-keras", "test-bn-train-edge", "test-bn-train-hidden"),
                "your variance is the unbiased estimate (ddof=1); batch norm divides by m.",
            ),
            Mistake(
                "update_moving",
                "update-moving",
                "momentum * np.asarray(moving) + (1 - momentum) * np.asarray(batch_stat)",
                "(1 - momentum) * np.asarray(moving) + momentum * np.asarray(batch_stat)",
                ("test-update-moving-basic", "test-update-moving-keras"),
                "momentum and 1 - momentum are swapped: momentum weighs the old average.",
            ),
            Mistake(
                "batchnorm_inference",
                "batchnorm-inference",
                "(x - moving_mean) / np.sqrt(moving_var + eps)",
                "(x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)",
                ("test-bn-inference-basic", "test-bn-inference-keras"),
                "the batch's own statistics are used; inference uses moving_mean and moving_var.",
            ),
            Mistake(
                "fuse_dense_bn",
                "fuse-dense-bn",
                "(np.asarray(b) - moving_mean)",
                "np.asarray(b)",
                ("test-fuse-keras", "test-fuse-hidden"),
                "moving_mean is not subtracted from the bias before scaling.",
            ),
            Mistake(
                "bn_param_counts",
                "bn-param-counts",
                "return 2 * int(n_features), 2 * int(n_features)",
                "return 4 * int(n_features), 0",
                ("test-param-counts-keras", "test-param-counts-hidden"),
                "all four vectors are counted as trainable; the moving mean and variance are not.",
            ),
        ],
        [
            Mistake(
                "batchnorm_train",
                "batchnorm-train",
                "np.sqrt(batch_var + eps)",
                "np.sqrt(batch_var + 1e-3)",
                ("test-bn-train-keras", "test-bn-train-hidden"),
                "eps is ignored (the default 1e-3 is used); pass the eps argument on.",
            ),
            Mistake(
                "update_moving",
                "update-moving",
                "momentum * np.asarray(moving) + (1 - momentum) * np.asarray(batch_stat)",
                "0.99 * np.asarray(moving) + 0.01 * np.asarray(batch_stat)",
                ("test-update-moving-basic", "test-update-moving-keras"),
                "momentum is ignored (the default 0.99 is used); use the argument.",
            ),
            Mistake(
                "batchnorm_inference",
                "batchnorm-inference",
                "np.sqrt(moving_var + eps)",
                "np.sqrt(moving_var + 1e-3)",
                ("test-bn-inference-keras", "test-bn-inference-hidden"),
                "eps is ignored (the default 1e-3 is used); pass the eps argument on.",
            ),
            Mistake(
                "fuse_dense_bn",
                "fuse-dense-bn",
                "np.sqrt(np.asarray(moving_var) + eps)",
                "(np.asarray(moving_var) + eps)",
                ("test-fuse-keras", "test-fuse-hidden"),
                "W is divided by the variance, not by sigma = sqrt(moving_var + eps).",
            ),
            Mistake(
                "bn_param_counts",
                "bn-param-counts",
                "return 2 * int(n_features), 2 * int(n_features)",
                "return 2 * int(n_features), 0",
                ("test-param-counts-keras", "test-param-counts-hidden"),
                "the moving mean and variance are forgotten; Keras stores them as non-trainable.",
            ),
        ],
        [
            Mistake(
                "batchnorm_train",
                "batchnorm-train",
                "    x_hat = (x - batch_mean) / np.sqrt(batch_var + eps)\n",
                "    x -= batch_mean\n    x_hat = x / np.sqrt(batch_var + eps)\n",
                ("test-bn-train-basic", "test-bn-train-standardised", "test-bn-train-edge"),
                "the call modified its argument `x` in place",
            ),
            Mistake(
                "update_moving",
                "update-moving",
                "    return momentum * np.asarray(moving)"
                " + (1 - momentum) * np.asarray(batch_stat)\n",
                "    moving *= momentum\n"
                "    moving += (1 - momentum) * np.asarray(batch_stat)\n"
                "    return moving\n",
                (
                    "test-update-moving-basic",
                    "test-update-moving-keras",
                    "test-update-moving-hidden",
                ),
                "the call modified its argument `moving` in place",
            ),
            Mistake(
                "batchnorm_inference",
                "batchnorm-inference",
                "gamma * (x - moving_mean) / np.sqrt(moving_var + eps) + beta",
                "beta * (x - moving_mean) / np.sqrt(moving_var + eps) + gamma",
                ("test-bn-inference-basic", "test-bn-inference-keras", "test-bn-inference-hidden"),
                "gamma and beta are swapped: y = gamma * x_hat + beta.",
            ),
            Mistake(
                "fuse_dense_bn",
                "fuse-dense-bn",
                "    W_fused = np.asarray(W) * factor\n",
                "    W_fused = np.asarray(W)\n    W_fused *= factor\n",
                ("test-fuse-basic", "test-fuse-keras", "test-fuse-hidden"),
                "the call modified its argument `W` in place",
            ),
        ],
    ],
}

VARIANTS: dict[str, list[Variant]] = {
    A5: [
        Variant(
            "build_regularized_mlp with the keras.regularizers.l2 alias",
            "build_regularized_mlp",
            "keras.regularizers.L2(l2) if l2 > 0 else None",
            "keras.regularizers.l2(l2) if l2 > 0 else None",
        ),
        Variant(
            "MCDropout calling keras.random.dropout itself",
            "MCDropout",
            "return super().call(inputs, training=True)",
            "return keras.random.dropout(inputs, self.rate)",
        ),
        Variant(
            "to_mc_model with new layers rebuilt from their configs, then the weights copied",
            "to_mc_model",
            "else layer\n",
            "else layer.__class__.from_config(layer.get_config())\n",
        ),
        Variant(
            "mc_predict with model.predict in a list",
            "mc_predict",
            "probas = np.stack([np.asarray(model(X)) for _ in range(n_samples)])",
            "probas = np.array([model.predict(X, verbose=0) for _ in range(n_samples)])",
        ),
    ],
    A4: [
        Variant(
            "split_task_a_b relabelling task A in a Python loop",
            "split_task_a_b",
            "y_a = (y - below)[~in_b].astype(np.int64)",
            "y_a = np.array([c - sum(b < c for b in b_classes) for c in y[~in_b]], dtype=int)",
        ),
        Variant(
            "reuse_for_task_b returning a functional keras.Model (.layers holds an InputLayer)",
            "reuse_for_task_b",
            "    model_b = keras.Sequential(clone.layers[:-1])\n"
            "    for layer in model_b.layers:\n"
            "        layer.trainable = False\n"
            '    model_b.add(keras.layers.Dense(1, activation="sigmoid"))\n',
            "    for layer in clone.layers[:-1]:\n"
            "        layer.trainable = False\n"
            '    outputs = keras.layers.Dense(1, activation="sigmoid")(clone.layers[-2].output)\n'
            "    model_b = keras.Model(clone.inputs, outputs)\n",
        ),
        Variant(
            "unfreeze compiling with a loss object and a positional learning rate",
            "unfreeze",
            'loss="binary_crossentropy",\n'
            "        optimizer=keras.optimizers.SGD(learning_rate=learning_rate),",
            "loss=keras.losses.BinaryCrossentropy(),\n"
            "        optimizer=keras.optimizers.SGD(learning_rate),",
        ),
    ],
    A3: [
        Variant(
            "momentum_step in float32",
            "momentum-step",
            "    velocity = momentum * velocity - learning_rate * g\n",
            "    w, g = np.float32(w), np.float32(g)\n"
            "    velocity = np.float32(momentum * velocity - learning_rate * g)\n",
        ),
        Variant(
            "rmsprop_step with epsilon outside the square root (the book's form)",
            "rmsprop-step",
            "np.sqrt(s + epsilon)",
            "(np.sqrt(s) + epsilon)",
        ),
        Variant(
            "adam_step in Keras' form: the bias corrections folded into the learning rate",
            "adam-step",
            "    m_hat = m / (1 - beta_1**t)\n"
            "    v_hat = v / (1 - beta_2**t)\n"
            "    return w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), m, v\n",
            "    lr_t = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)\n"
            "    return w - lr_t * m / (np.sqrt(v) + epsilon), m, v\n",
        ),
        Variant(
            "adamw_step decaying a copy of w in place",
            "adam-step",
            "    w = w - learning_rate * weight_decay * w\n",
            "    w = np.array(w, dtype=float)\n    w *= 1 - learning_rate * weight_decay\n",
        ),
        Variant(
            "exponential_decay as lr0 / 10 ** (epoch / s)",
            "schedules",
            "return float(lr0 * 0.1 ** (epoch / s))",
            "return lr0 / 10 ** (epoch / s)",
        ),
        Variant(
            "piecewise_constant with bisect instead of a loop",
            "schedules",
            "    for boundary, value in zip(boundaries, values, strict=False):\n"
            "        if epoch <= boundary:\n"
            "            return float(value)\n"
            "    return float(values[-1])\n",
            "    import bisect\n\n"
            "    return float(values[bisect.bisect_left(boundaries, epoch)])\n",
        ),
    ],
    A1: [
        Variant(
            "init_variance with if/elif, Glorot as 2 / (fan_in + fan_out), a NumPy float",
            "init-variance",
            "    fan_avg = (fan_in + fan_out) / 2\n"
            '    variances = {"glorot": 1 / fan_avg, "he": 2 / fan_in, "lecun": 1 / fan_in}\n'
            "    if scheme not in variances:\n"
            '        raise ValueError(f"scheme must be one of {sorted(variances)}, '
            'got {scheme!r}.")\n'
            "    return float(variances[scheme])\n",
            '    if scheme == "glorot":\n'
            "        return np.float64(2 / (fan_in + fan_out))\n"
            '    elif scheme == "he":\n'
            "        return np.float64(2 / fan_in)\n"
            '    elif scheme == "lecun":\n'
            "        return np.float64(1 / fan_in)\n"
            '    raise ValueError(f"unknown scheme {scheme!r}: use glorot, he or lecun")\n',
        ),
        Variant(
            "uniform_limit as a power of a Python float",
            "init-variance",
            "return float(np.sqrt(3 * init_variance(fan_in, fan_out, scheme)))",
            "return (3 * init_variance(fan_in, fan_out, scheme)) ** 0.5",
        ),
        Variant(
            "activations in float32, relu as z * (z > 0)",
            "activations",
            "    z = np.asarray(z, dtype=np.float64)\n"
            "    alpha, scale = 1.6732632423543772, 1.0507009873554805\n"
            '    if name == "sigmoid":\n'
            "        return 1 / (1 + np.exp(-z))\n"
            '    if name == "tanh":\n'
            "        return np.tanh(z)\n"
            '    if name == "relu":\n'
            "        return np.maximum(z, 0.0)\n",
            "    z = np.asarray(z, dtype=np.float32)\n"
            "    alpha, scale = 1.6732632423543772, 1.0507009873554805\n"
            '    if name == "sigmoid":\n'
            "        return 1 / (1 + np.exp(-z))\n"
            '    if name == "tanh":\n'
            "        return np.tanh(z)\n"
            '    if name == "relu":\n'
            "        return z * (z > 0)\n",
        ),
    ],
    A2: [
        Variant(
            "batchnorm_train in float32 with an explicit loop over features",
            "batchnorm-train",
            "    x = np.asarray(x, dtype=np.float64)\n"
            "    batch_mean = x.mean(axis=0)\n"
            "    batch_var = x.var(axis=0)\n",
            "    x = np.asarray(x, dtype=np.float32)\n"
            "    batch_mean = np.array([x[:, j].mean() for j in range(x.shape[1])])\n"
            "    batch_var = np.array([((x[:, j] - batch_mean[j]) ** 2).mean()"
            " for j in range(x.shape[1])])\n",
        ),
        Variant(
            "update_moving written as moving - (1 - momentum) * (moving - batch_stat)",
            "update-moving",
            "return momentum * np.asarray(moving) + (1 - momentum) * np.asarray(batch_stat)",
            "return moving - (1 - momentum) * (np.asarray(moving) - batch_stat)",
        ),
        Variant(
            "fuse_dense_bn scaling a copy of W in place",
            "fuse-dense-bn",
            "    W_fused = np.asarray(W) * factor\n",
            "    W_fused = np.array(W, dtype=float)\n    W_fused *= factor\n",
        ),
        Variant(
            "bn_param_counts returning NumPy integers",
            "bn-param-counts",
            "return 2 * int(n_features), 2 * int(n_features)",
            "return np.int64(2 * n_features), np.int64(2 * n_features)",
        ),
    ],
}


def apply_edits(notebook: dict, edits) -> dict:
    """A copy of ``notebook`` with every edit's ``old`` replaced by its ``new`` in its cell."""
    import json

    edited = json.loads(json.dumps(notebook))
    for edit in edits:
        cell = next(
            c
            for c in edited["cells"]
            if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == edit.cell
        )
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if text.count(edit.old) != 1:
            raise ValueError(f"{edit.cell}: {edit.old!r} occurs {text.count(edit.old)} times")
        cell["source"] = text.replace(edit.old, edit.new)
    return edited
