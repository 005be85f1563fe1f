"""Planted bugs: each wrong derivative must be caught by every oracle that applies to it.

A check that cannot fail proves nothing.  Each mutant names the oracles that must catch it
(and, where one cannot, why); the unmutated formulas pass the same checks on the same points.
"""

from dataclasses import dataclass, field

import numpy as np
import pytest

from refnet import activations as A
from refnet import oracles
from refnet.checking.verify import judge_activation, judge_softmax, label
from refnet.oracles import COMPLEX_STEP, MPMATH, RICHARDSON, TWIN

# well-conditioned points, the saturation range, and the kinks with their neighbours
Z = np.concatenate([
    np.linspace(-6, 6, 121),
    [-45.0, -38.0, -25.0, 25.0, 38.0, 45.0],
    [0.0, 1e-12, -1e-12, np.nextafter(0, 1), np.nextafter(0, -1)],
])


def _sig(z):
    return A.sigmoid(z)


@dataclass(frozen=True)
class Mutant:
    id: str
    activation: str
    part: str  # derivative, second_derivative, derivative_from_output
    fn: object
    caught_by: tuple
    why_not: dict = field(default_factory=dict)


# every oracle of f'
EVERY_F1 = tuple(label("f'", o) for o in (TWIN, RICHARDSON, COMPLEX_STEP, MPMATH))

MUTANTS = [
    Mutant("sigmoid s(1+s)", "sigmoid", "derivative", lambda z: _sig(z) * (1 + _sig(z)),
           EVERY_F1),
    Mutant("sigmoid e/(1+e) (square dropped)", "sigmoid", "derivative",
           lambda z: np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))),
           EVERY_F1),
    Mutant("sigmoid off by 1e-6 relative", "sigmoid", "derivative",
           lambda z: A.sigmoid_derivative(z) * (1 + 1e-6),
           EVERY_F1),
    Mutant("sigmoid s(1-s) in z (loses the tails)", "sigmoid", "derivative",
           lambda z: _sig(z) * (1 - _sig(z)),
           (label("f'", TWIN), label("f'", COMPLEX_STEP), label("f'", MPMATH)),
           {label("f'", RICHARDSON):
                "in the tails the true derivative (< 1e-16) is below the noise of "
                "f(z+h) - f(z-h) with f ≈ 1, so differences cannot tell"}),
    Mutant("tanh 1 - t", "tanh", "derivative", lambda z: 1 - A.tanh(z),
           EVERY_F1),
    Mutant("tanh'' sign flipped", "tanh", "second_derivative",
           lambda z: -A.tanh_second_derivative(z),
           (label("f''", TWIN), label("f''", RICHARDSON), label("f''", MPMATH))),
    Mutant("relu' = 1 on the negative side", "relu", "derivative",
           lambda z: np.ones(np.shape(z)),
           EVERY_F1),
    Mutant("relu'(0) = 1 (convention)", "relu", "derivative",
           lambda z: np.where(np.asarray(z) >= 0, 1.0, 0.0),
           (label("f'", TWIN),),
           {label("f'", RICHARDSON): "1 is the right derivative: a valid subgradient at the kink",
            label("f'", COMPLEX_STEP): "not run on a kink",
            label("f'", MPMATH): "not run on a kink"}),
    Mutant("leaky alpha 0.1 for 0.01", "leaky_relu", "derivative",
           lambda z, alpha=0.01: A.leaky_relu_derivative(z, alpha=0.1),
           EVERY_F1),
    Mutant("dsig s(1+s)", "sigmoid", "derivative_from_output", lambda s: s * (1 + s),
           ("f'(s) vs f'(z)",)),
    Mutant("dthan 1 - t", "tanh", "derivative_from_output", lambda t: 1 - t,
           ("f'(s) vs f'(z)",)),
    Mutant("dlrelu alpha 0.1 for 0.01", "leaky_relu", "derivative_from_output",
           lambda s, alpha=0.01: np.where(s > 0, 1.0, 0.1), ("f'(s) vs f'(z)",)),
]


def _rows(m):
    return judge_activation(m.activation, Z, **{m.part: m.fn})


@pytest.mark.parametrize("name", list(A.ACTIVATIONS))
def test_correct_formulas_pass_on_the_mutant_points(name):
    rows = judge_activation(name, Z)
    assert all(r.ok for r in rows), [r for r in rows if not r.ok]


@pytest.mark.parametrize("m", MUTANTS, ids=lambda m: m.id)
def test_every_applicable_oracle_catches_the_mutant(m):
    rows = {r.oracle: r for r in _rows(m)}
    for oracle in m.caught_by:
        assert oracle in rows, f"{oracle} did not run"
        assert not rows[oracle].ok, f"{oracle} missed {m.id}"
    for oracle, why in m.why_not.items():
        if oracle in rows:  # documented blind spot: show it really is one
            assert rows[oracle].ok, f"{oracle} caught {m.id}; update the catalogue ({why})"


SOFTMAX_MUTANTS = [
    ("jacobian without the outer product", {"jacobian": lambda s, axis=0: np.moveaxis(
        np.asarray(s), axis, -1)[..., :, None] * np.eye(np.shape(s)[axis])},
     "jacobian jax.jacobian"),
    ("jacobian with its sign flipped", {"jacobian": lambda s, axis=0: -A.softmax_jacobian(s, axis)},
     "jacobian jax.jacobian"),
    ("vjp without the weighted mean", {"vjp": lambda s, g, axis=0: s * g}, "vjp jax.vjp"),
]


@pytest.mark.parametrize("case", SOFTMAX_MUTANTS, ids=lambda c: c[0])
def test_softmax_mutants_are_caught(case):
    _, kw, oracle = case
    rng = np.random.default_rng(7)
    z = rng.normal(size=(4, 3))
    for axis in (0, 1):
        g = rng.normal(size=z.shape)  # random cotangent: ones would hide every VJP bug
        rows = {r.oracle: r for r in judge_softmax(z, axis, g, **kw)}
        assert not rows[oracle].ok
        good = {r.oracle: r for r in judge_softmax(z, axis, g)}
        assert good[oracle].ok


def test_a_ones_cotangent_would_hide_the_vjp_bug():
    # Why the cotangents above are random: Σ_j g_j s_j = 1 for g = ones, so s ⊙ (g - 1) = 0 for
    # any s, and the buggy s ⊙ g = s is wrong there while a test on sum(softmax) sees 0 = 0.
    s = A.softmax(np.array([0.3, -1.0, 2.0]))
    assert np.allclose(A.softmax_vjp(s, np.ones(3)), 0.0)
    assert np.allclose(s.sum(), 1.0)


def test_mpmath_sees_what_the_output_form_loses():
    z = np.array([38.0, 45.0])
    u = oracles.ulps(A.sigmoid_derivative_from_output(A.sigmoid(z)),
                     oracles.mp_value("sigmoid", z, 1))
    assert np.all(u > 1e15)  # s(1-s) is 0 there: every digit lost
