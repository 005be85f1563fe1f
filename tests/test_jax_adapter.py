"""refnet.jax.check_grads: jax's calling convention, refnet's verdict.  A wrong custom_vjp or
custom_jvp rule is caught, the right ones pass, order=2 checks the derivative maps, and the
failure is an AssertionError carrying the report.  Functions are module-level so each compiles
once per shape."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import refnet.twin  # noqa: F401  (switches on float64)
from refnet.jax import CheckGradsError, check_grads


def _softplus_vjp(bug):
    @jax.custom_vjp
    def softplus(x):
        return jnp.logaddexp(x, 0.0)

    def fwd(x):
        return softplus(x), x

    def bwd(x, g):
        s = jax.nn.sigmoid(x)
        if bug:  # one element off by 1e-6
            s = s.at[2].multiply(1 + 1e-6)
        return (g * s,)

    softplus.defvjp(fwd, bwd)
    return softplus


def _tanh_jvp(bug):
    @jax.custom_jvp
    def tanh(x):
        return jnp.tanh(x)

    @tanh.defjvp
    def tanh_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        y = jnp.tanh(x)
        return y, t * (1 - y * y if not bug else 1 - y)

    return tanh


SOFTPLUS, SOFTPLUS_BUG = _softplus_vjp(False), _softplus_vjp(True)
TANH, TANH_BUG = _tanh_jvp(False), _tanh_jvp(True)
X = np.linspace(-2.0, 2.0, 5)


def layer(W, x):
    return TANH(W @ x)


def test_right_custom_vjp_passes():
    assert check_grads(SOFTPLUS, (X,), order=1, modes=("rev",)) is None


def test_wrong_custom_vjp_is_caught():
    with pytest.raises(AssertionError) as info:
        check_grads(SOFTPLUS_BUG, (X,), order=1, modes=("rev",))
    assert isinstance(info.value, CheckGradsError)
    r = info.value.report
    assert r.verdict == "MISMATCH"
    assert {e["name"].split("·")[0] for e in r.mismatches} == {"args[0][2]"}


def test_right_custom_jvp_passes_both_modes():
    W = np.random.default_rng(0).standard_normal((3, 5))
    assert check_grads(layer, (W, X), order=1) is None


def test_right_custom_jvp_passes_order_2():
    assert check_grads(TANH, (X,), order=2, modes=("rev",)) is None


def test_wrong_custom_jvp_is_caught_in_both_modes():
    for mode in ("fwd", "rev"):  # rev goes through the transposed jvp rule
        with pytest.raises(CheckGradsError) as info:
            check_grads(TANH_BUG, (X,), order=1, modes=(mode,))
        assert info.value.report.verdict == "MISMATCH"


def test_order_2_catches_a_wrong_second_derivative():
    @jax.custom_jvp
    def cube(x):
        return x**3

    # the rule is right to first order but its own derivative is not: 3 x²
    # written as 3 x stop_gradient(x) loses half of the second derivative
    cube.defjvp(lambda p, t: (p[0] ** 3, 3 * p[0] * jax.lax.stop_gradient(p[0]) * t[0]))
    check_grads(cube, (X,), order=1)
    with pytest.raises(CheckGradsError) as info:
        check_grads(cube, (X,), order=2, modes=("fwd",))
    assert any(p["verdict"] == "MISMATCH" for p in info.value.report.probes)
    head = info.value.report.summary()
    assert str(info.value).startswith(head) and str(info.value).count(head) == 1


def _abs_line(x):
    return 2 * jnp.abs(x) + x


def _abs_line_jvp(bug):
    @jax.custom_jvp
    def f(x):
        return 2 * jnp.abs(x) + x + 1e-3 * x**3

    # right to first order; with the bug, the cubic's part of the rule is held constant, so the
    # second derivative the rule implies is 0 where the truth is 6e-3 x
    f.defjvp(lambda p, t: (f(p[0]), (2 * jnp.sign(p[0]) + 1 + 3e-3 * (
        jax.lax.stop_gradient(p[0] ** 2) if bug else p[0] ** 2)) * t[0]))
    return f


def test_an_exactly_zero_second_derivative_verifies():
    # f is piecewise linear: every difference of its derivative is exactly 0, as is the rule's;
    # zero is a value (never INCONCLUSIVE for a tolerance of 0), and a rule whose second
    # derivative is wrongly 0 is still caught
    xs = np.array([0.3, -1.2, 2.5, -0.7])
    assert check_grads(_abs_line, (xs,), order=2) is None
    assert check_grads(lambda x: jnp.sum(_abs_line(x)), (xs,), order=2) is None
    check_grads(_abs_line_jvp(True), (xs,), order=1, modes=("fwd",))
    with pytest.raises(CheckGradsError) as info:
        check_grads(_abs_line_jvp(True), (xs,), order=2, modes=("fwd",))
    assert info.value.report.verdict == "MISMATCH"


def test_float32_judged_with_float32_rounding():
    x32 = X.astype(np.float32)
    check_grads(SOFTPLUS, (x32,), order=1, modes=("rev",))
    with pytest.raises(CheckGradsError) as info:
        check_grads(TANH_BUG, (x32,), order=1, modes=("fwd",))
    assert info.value.report.eps == np.finfo(np.float32).eps


def test_bad_modes_are_refused():
    with pytest.raises(ValueError, match="modes"):
        check_grads(TANH, (X,), order=1, modes=("sideways",))


def mlp(p, x):
    return jnp.sum(TANH(p["W"] @ x + p["b"]) ** 2)


def test_pytree_arguments():
    rng = np.random.default_rng(1)
    p = {"W": rng.standard_normal((3, 5)), "b": rng.standard_normal(3)}
    assert check_grads(mlp, (p, X), order=1, modes=("rev",)) is None
    bad = lambda p, x: jnp.sum(TANH_BUG(p["W"] @ x + p["b"]) ** 2)
    with pytest.raises(CheckGradsError) as info:
        check_grads(bad, (p, X), order=1, modes=("rev",))
    assert {e["key"] for e in info.value.report.mismatches} >= {"args[0]['W']"}


def test_args_that_are_not_a_tuple_are_named():
    with pytest.raises(TypeError, match=r"args: expected a tuple .*write \(x,\)"):
        check_grads(jnp.sin, jnp.asarray(X), 1)


def test_a_custom_vjp_function_is_checked_in_reverse_mode_with_the_default_modes():
    # jax's check_grads raises TypeError (no forward mode through a custom_vjp); refnet checks
    # "rev" and says "fwd" was not applicable; a wrong rule is still caught
    assert check_grads(SOFTPLUS, (X,), order=1) is None
    with pytest.raises(CheckGradsError) as info:
        check_grads(SOFTPLUS_BUG, (X,), order=1)
    r = info.value.report
    assert r.verdict == "MISMATCH"
    assert any(p["probe"] == "fwd" and "not applicable" in p["summary"] for p in r.probes)
    # the report lists which of the checks ran and how each ended
    assert r.options["contract"] == (("rev", "MISMATCH"), (
        "fwd", "not applicable (f is a custom_vjp function, which has no forward-mode "
        "derivative in jax)"))
    assert "checks: rev MISMATCH; fwd not applicable" in str(info.value)
    with pytest.raises(TypeError, match="custom_vjp"):
        check_grads(SOFTPLUS, (X,), order=1, modes=("fwd",))
    # order 2: the jvp map of a custom_vjp function does not exist either; the rest is checked
    assert check_grads(SOFTPLUS, (X,), order=2) is None


def test_a_second_check_of_the_same_function_compiles_nothing():
    """Each function's programs (f, its vjp and jvp, through the derivative maps of higher
    orders, the cotangents passed as arguments) are compiled once per shape: a second call with
    the same function and shapes compiles no XLA program, at order 1 or 2; a new shape does."""
    import logging

    messages = []

    class Compiles(logging.Handler):
        def emit(self, record):
            if record.getMessage().startswith("Compiling"):
                messages.append(record.getMessage())

    @jax.custom_vjp
    def tanh(x):
        return jnp.tanh(x)

    tanh.defvjp(lambda x: (jnp.tanh(x), jnp.tanh(x)), lambda y, g: (g * (1 - y * y),))
    handler, logger = Compiles(), logging.getLogger("jax")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        with jax.log_compiles():
            for order in (1, 2):
                x = jnp.linspace(-1.0, 1.0, 7)
                check_grads(tanh, (x,), order, modes=("rev",))
                del messages[:]
                check_grads(tanh, (x,), order, modes=("rev",))
                assert messages == [], (order, messages)
            check_grads(tanh, (jnp.linspace(-1.0, 1.0, 9),), 1, modes=("rev",))
            assert messages  # a new shape is compiled (the counter can fail)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_f_is_evaluated_in_batches_where_it_runs_under_vmap():
    """jit(vmap(f)) serves the stencils where f runs under vmap (a custom_vjp function does);
    the result is checked point for point against single calls first."""
    from refnet.jax import _Adapter

    assert _Adapter(SOFTPLUS, (X,)).batched() is not None
    W = jnp.asarray(np.random.default_rng(0).standard_normal((3, X.size)))
    assert _Adapter(lambda v: jnp.tanh(W @ v), (X,)).batched() is not None
    assert check_grads(lambda v: jnp.tanh(W @ v), (X,), 1) is None


def test_a_function_whose_globals_changed_is_checked_as_it_is_now():
    """The programs kept across calls were traced with what f read then: where f now computes
    something else (a global it reads was rebound), they are traced anew, so the second check
    judges the function as it is, not as it was (a rule right for the old weights, wrong for
    the new, is a MISMATCH)."""
    A = jnp.asarray(np.random.default_rng(1).standard_normal(X.size))
    weights = [A]

    @jax.custom_vjp
    def f(v):
        return jnp.sum(jnp.sin(weights[0] * v))

    f.defvjp(lambda v: (f(v), v), lambda v, g: (g * A * jnp.cos(A * v),))  # A, not weights[0]
    assert check_grads(f, (X,), 1, modes=("rev",)) is None
    weights[0] = 2.0 * A
    with pytest.raises(CheckGradsError, match="MISMATCH"):
        check_grads(f, (X,), 1, modes=("rev",))


def test_fast_judges_one_projection_and_names_the_wrong_element():
    assert check_grads(SOFTPLUS, (X,), order=1, modes=("rev",), fast=True) is None

    @jax.custom_vjp
    def softplus(x):
        return jnp.logaddexp(x, 0.0)

    def bwd(x, g):
        return (g * jax.nn.sigmoid(x).at[2].multiply(1.001),)  # one element off by 1e-3

    softplus.defvjp(lambda x: (softplus(x), x), bwd)
    with pytest.raises(CheckGradsError) as info:
        check_grads(softplus, (X,), order=1, modes=("rev",), fast=True)
    r = info.value.report
    assert r.guarantee.startswith("fast:")
    assert [e["name"] for e in r.mismatches] == ["args[0][2]·u0"]
    assert r.probes[0]["verdict"] == "MISMATCH"  # the projection, then its localisation


_SHARDED = """
import json, os
os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=4"
import jax
import numpy as np
import tests.test_jax_adapter as t
from refnet.jax import CheckGradsError, check_grads

out = {"devices": jax.local_device_count()}
try:
    check_grads(t.SOFTPLUS, (t.X,), order=1, modes=("rev",))
    out["right"] = "pass"
except CheckGradsError as exc:
    out["right"] = exc.report.verdict
try:
    check_grads(t.SOFTPLUS_BUG, (t.X,), order=1, modes=("rev",))
except CheckGradsError as exc:
    r = exc.report
    out["wrong"] = r.verdict
    out["mismatches"] = sorted({e["name"] for e in r.mismatches})
    out["contract"] = dict(r.options["contract"])
print(json.dumps(out))
"""


def test_batches_of_points_are_laid_out_over_every_device():
    # four simulated CPU devices in a fresh process (XLA reads the flag once, at start): the
    # stencils' points are sharded over the four, and the verdicts are those of one device
    import json
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    run = subprocess.run([sys.executable, "-c", _SHARDED], capture_output=True, text=True,
                         cwd=root, env=dict(os.environ, PYTHONPATH=root), timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert got["devices"] == 4
    assert got["right"] == "pass" and got["wrong"] == "MISMATCH"
    assert got["contract"]["points laid out over"] == "4 devices"
    with pytest.raises(CheckGradsError) as here:
        check_grads(SOFTPLUS_BUG, (X,), order=1, modes=("rev",))
    assert got["mismatches"] == sorted({e["name"] for e in here.value.report.mismatches})
    assert "points laid out over" not in dict(here.value.report.options["contract"])


def test_an_f_that_does_not_vmap_is_called_point_by_point_and_the_report_says_so():
    # a callback into NumPy with no batching rule: jit(vmap(f)) cannot run it
    def np_softplus(x):
        return np.logaddexp(x, 0.0)

    @jax.custom_vjp
    def f(x):
        return jax.pure_callback(np_softplus, jax.ShapeDtypeStruct(x.shape, x.dtype), x)

    def bwd(x, g):
        return (g * jax.nn.sigmoid(x) * 1.001,)  # planted bug

    f.defvjp(lambda x: (f(x), x), bwd)
    with pytest.raises(CheckGradsError) as info:
        check_grads(f, (X,), order=1, modes=("rev",))
    contract = dict(info.value.report.options["contract"])
    assert contract["points"] == "one call each (f does not run under jax.vmap)"
    with pytest.raises(CheckGradsError) as info:
        check_grads(SOFTPLUS_BUG, (X,), order=1, modes=("rev",))
    assert "points" not in dict(info.value.report.options["contract"])
