"""The benchmarks' steps written for JAX, jit-compiled, for the third column of ``run.py``.

Each builder takes the same data as the hand-written NumPy step and returns a
zero-argument call that runs one step and waits for its result
(``block_until_ready``), carrying the updated parameters to the next call as
a training loop does. float64 throughout (``jax_enable_x64``), as the other
columns. JAX is not a dependency: ``available()`` says whether it is installed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def available() -> bool:
    try:
        import jax
    except ImportError:
        return False
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    return True


def _looped(step: Callable, params: list, *data: np.ndarray) -> Callable[[], object]:
    """A call running ``params, out = step(params, *data)`` and waiting for ``out``."""
    import jax

    state = [jax.device_put(p) for p in params]
    data = tuple(jax.device_put(d) for d in data)

    def call() -> object:
        nonlocal state
        state, out = step(state, *data)
        return jax.block_until_ready(out)

    return call


def logreg(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> Callable[[], object]:
    import jax
    import jax.numpy as jnp

    def cost(params, x, y):
        w, b = params
        z = x @ w + b
        xent = y * jax.nn.softplus(-z) + (1 - y) * jax.nn.softplus(z)
        return xent.mean() + 0.01 * (w**2).sum(), (z > 0, xent)

    @jax.jit
    def step(params, x, y):
        grads, outputs = jax.grad(cost, has_aux=True)(params, x, y)
        return [p - 0.1 * g for p, g in zip(params, grads)], outputs

    return _looped(step, [w.copy(), jnp.zeros(())], x, y)


def mlp(x: np.ndarray, y: np.ndarray, params: list[np.ndarray]) -> Callable[[], object]:
    import jax
    import jax.numpy as jnp

    def cost(params, x, y):
        w1, b1, w2, b2 = params
        hidden = jax.nn.relu(x @ w1 + b1)
        logp = jax.nn.log_softmax(hidden @ w2 + b2)
        return -jnp.take_along_axis(logp, y[:, None], axis=1).mean()

    @jax.jit
    def step(params, x, y):
        value, grads = jax.value_and_grad(cost)(params, x, y)
        return [p - 0.1 * g for p, g in zip(params, grads)], value

    return _looped(step, [p.copy() for p in params], x, y)


def chain(x: np.ndarray, y: np.ndarray, params: list[np.ndarray]) -> Callable[[], object]:
    import jax
    import jax.numpy as jnp

    def cost(params, x, y):
        h = x
        for w, b in zip(params[::2], params[1::2]):
            h = jnp.tanh(h @ w + b)
        return jnp.square(h - y).mean()

    @jax.jit
    def step(params, x, y):
        value, grads = jax.value_and_grad(cost)(params, x, y)
        return [p - 0.1 * g for p, g in zip(params, grads)], value

    return _looped(step, [p.copy() for p in params], x, y)


def rnn(x: np.ndarray, W: np.ndarray, h0: np.ndarray, gradient: bool) -> Callable[[], object]:
    """``h_t = tanh(W h_{t-1} + x_t)`` over ``x`` with ``lax.scan``, or the gradient of
    ``sum(h)`` w.r.t. ``W``."""
    import jax
    import jax.numpy as jnp

    def forward(W, x, h0):
        def body(h, x_t):
            h = jnp.tanh(W @ h + x_t)
            return h, h

        return jax.lax.scan(body, h0, x)[1]

    run = jax.jit(jax.grad(lambda W, x, h0: forward(W, x, h0).sum()) if gradient else forward)
    args = tuple(jax.device_put(a) for a in (W, x, h0))
    return lambda: jax.block_until_ready(run(*args))


def scalar_add() -> Callable[[], object]:
    import jax

    add = jax.jit(lambda a, b: a + b)
    return lambda: jax.block_until_ready(add(2.0, 3.0))
