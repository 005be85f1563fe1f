"""The oracles themselves: exact where they should be, honest error bars, and able to fail."""

import mpmath as mp
import numpy as np
import pytest

from refnet import oracles
from refnet import tolerances as tol
from refnet.oracles import autodiff
from refnet.oracles import mpmath as mp_oracle

SMOOTH = [  # f, f', where
    (np.sin, np.cos, np.linspace(-10, 10, 201)),
    (np.exp, np.exp, np.linspace(-30, 30, 121)),
    (lambda x: x**3 - 2 * x, lambda x: 3 * x**2 - 2, np.linspace(-50, 50, 101)),
    (np.arctan, lambda x: 1 / (1 + x * x), np.concatenate([np.linspace(-5, 5, 51), [1e6, -1e8]])),
]


@pytest.mark.parametrize("case", range(len(SMOOTH)))
def test_richardson_error_bar_covers_the_true_error(case):
    f, df, z = SMOOTH[case]
    est, err = oracles.richardson_derivative(f, z)
    true = df(z)
    assert np.all(np.abs(est - true) <= err + 4 * tol.EPS * np.abs(true))
    # and the bar is tight enough to see a 1e-6 relative error where f' is not tiny
    big = np.abs(true) > 1e-3
    assert np.all(err[big] < 1e-8 * np.abs(true[big]))


@pytest.mark.parametrize("side", [1, -1])
def test_one_sided_richardson(side):
    z = np.linspace(-3, 3, 31)
    est, err = oracles.richardson_derivative(np.sin, z, side=side)
    assert np.all(np.abs(est - np.cos(z)) <= err + 4 * tol.EPS)
    assert np.all(err < 1e-6)


def test_one_sided_stencil_stays_on_its_side():
    f = lambda x: np.where(x > 0, 2.0 * x, -x)
    z = np.array([1e-9, -1e-9])
    right, _ = oracles.richardson_derivative(f, z[:1], side=1)
    left, _ = oracles.richardson_derivative(f, z[1:], side=-1)
    assert right[0] == pytest.approx(2.0, rel=1e-12) and left[0] == pytest.approx(-1.0, rel=1e-12)
    central, _ = oracles.richardson_derivative(f, z)
    assert np.all(np.abs(central - np.array([2.0, -1.0])) > 0.1)  # straddling measures neither side


def test_richardson_at_the_top_of_the_float_range_does_not_overflow():
    z = np.array([1.7976931348623157e308, -1.7976931348623157e308])
    est, err = oracles.richardson_derivative(lambda x: 0.5 * x, z)
    assert np.all(np.abs(est - 0.5) <= err + 1e-12)


def test_quotients_are_the_three_differences_with_their_bars():
    # f = x**2 at x = 3 with steps of 1/4 (all exact): central 6, forward 6 + h, backward 6 - h
    from refnet.oracles.differences import quotients

    x, h = 3.0, 0.25
    f = lambda t: t * t
    e = 1e-3
    (c, ce), (fw, fe), (bw, be) = quotients(f(x + h), f(x - h), f(x), h, h, e, 2 * e, 4 * e)
    assert (c, fw, bw) == (6.0, 6.25, 5.75)
    assert ce == pytest.approx(3 * e / (2 * h)) and fe == pytest.approx(5 * e / h)
    assert be == pytest.approx(6 * e / h)
    # a one-sided stencil (sm = 0, fm = f0): all three are the forward quotient
    one = quotients(f(x + h), f(x), f(x), h, 0.0, e, e, e)
    assert all(q == (6.25, one[1][1]) for q in one)


def test_a_stencil_takes_each_point_once():
    from refnet.oracles.differences import Stencil, richardson

    calls = []

    def evaluate(rows, t):
        calls.append(len(rows))
        return np.sin(x[rows] + t)[:, None]

    x = np.array([0.5, 1.5, -2.0])
    st = Stencil(evaluate, x, np.sin(x)[:, None])
    first = richardson(st, [0, 1, 2], np.full(3, 2.0**-6), levels=4)
    assert st.evaluations == 3 * 4 * 2 and len(calls) == 2
    # from half the step: three of the four levels were taken already
    richardson(st, [0, 1, 2], np.full(3, 2.0**-7), levels=4)
    assert st.evaluations == 3 * 5 * 2
    again = richardson(st, [0, 1, 2], np.full(3, 2.0**-6), levels=4)
    assert st.evaluations == 3 * 5 * 2
    assert all(np.array_equal(a, b) for p, q in zip(first, again) for a, b in zip(p, q))
    assert np.all(np.abs(first[0][0][:, 0] - np.cos(x)) <= first[0][1][:, 0])
    # a stencil that does not cache evaluates every call
    once = Stencil(evaluate, x, np.sin(x)[:, None], cache=False)
    once.at([0, 0], [0.1, 0.1])
    assert once.evaluations == 2


def test_complex_step_is_exact_and_refuses_unsafe_functions():
    z = np.linspace(-3, 3, 13)
    est, err = oracles.complex_step_derivative(np.sin, z)
    assert np.all(np.abs(est - np.cos(z)) <= err)
    assert np.all(err <= tol.COMPLEX_STEP_RTOL + tol.COMPLEX_STEP_FLOOR)  # one bar, every use
    with pytest.raises(TypeError, match="complex-safe"):
        oracles.complex_step_derivative(lambda x: np.real(np.sin(x)), z)


def test_ulps():
    one = np.float64(1.0)
    assert oracles.ulps(one, np.nextafter(one, 2)) == 1
    assert oracles.ulps(0.0, -0.0) == 0
    assert oracles.ulps(5e-324, -5e-324) == 2
    assert oracles.ulps(1.0, np.nan) == np.inf
    assert oracles.ulps(1.0, 2.0) == 2**52
    assert oracles.ulps(-1.7e308, 1.7e308) > 1e18


def test_mp_value_rounds_correctly():
    assert oracles.mp_value("sigmoid", np.array([0.0]), 0)[0] == 0.5
    assert oracles.mp_value("sigmoid", np.array([0.0]), 1)[0] == 0.25
    assert oracles.mp_value("tanh", np.array([0.0]), 1)[0] == 1.0
    # subnormal results land on the 2**-1074 grid
    assert mp_oracle._to_float(mp.mpf(3) * mp.mpf(2) ** -1074) == 3 * 5e-324
    assert mp_oracle._to_float(mp.mpf(2) ** -1076) == 0.0
    assert mp_oracle._to_float(mp.mpf(2) ** 1025) == np.inf


def test_twin_compiles_once_per_bucket():
    """Every size up to 4096 and every activation share one compile per order; beyond 4096, one
    per multiple of 4096."""
    autodiff._compiled_twin_derivative.cache_clear()
    for n in (1, 3, 300, 4096):
        oracles.twin_derivative("tanh", np.linspace(-1, 1, n))
    oracles.twin_derivative("leaky_relu", np.linspace(-1, 1, 7), alpha=0.2)
    oracles.twin_derivative("squareplus", np.linspace(-1, 1, 7))
    fn = autodiff._compiled_twin_derivative(1)
    assert fn._cache_size() == 1
    assert autodiff.bucket_length(4097) == 8192
    out = oracles.twin_derivative("tanh", np.ones((2, 3)))
    assert out.shape == (2, 3)


def test_every_oracle_a_report_names_is_declared():
    """The judge asks the declared Oracle, not its name: every oracle that decides an element
    in a report is in refnet.oracles.ORACLES (the one-sided "(-)" tableau is the one-sided
    oracle's backward side)."""
    from refnet.check import check_derivative, check_gradient
    from refnet.oracles import ORACLES

    reports = [
        check_gradient(lambda x: float(np.sum(np.sin(x))), np.cos, np.linspace(-1, 1, 5)),
        check_gradient(lambda x: np.sum(np.sin(x)), np.cos, np.linspace(-1, 1, 5)),
        check_derivative("relu", lambda z: (z > 0) * 1.0, np.array([-1.0, 0.0, 1e-9, 2.0])),
        check_derivative("sigmoid", lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2,
                         np.array([-800.0, 0.5, 40.0]), mpmath=True),
    ]
    seen = {n for r in reports for n in r.oracles} | {e["oracle"] for r in reports
                                                       for e in r.elements()}
    assert {n.removesuffix("(-)") for n in seen} <= set(ORACLES), seen
    assert {"complex step", "central difference"} <= seen
    assert all(o.name == name for name, o in ORACLES.items())
    assert [n for n, o in ORACLES.items() if o.beside_kinks] == ["one-sided", "mpmath"]


def test_a_half_line_outside_fs_domain_leaves_the_noise_of_the_other_half():
    # f = 1 + t + t² + noise on t in [-1, 1], NaN where t < 0 (a line leaving f's domain): the
    # noise is the finite half's, not inf (which made every error bar infinite)
    rng = np.random.default_rng(0)
    t = np.linspace(-1.0, 1.0, 65)
    with np.errstate(invalid="ignore"):
        F = 1 + t + t * t + np.where(t < 0, np.nan, 0.0) + 1e-12 * rng.standard_normal(65)
    s = oracles.differences.noise_floor(F[:, None])
    assert 3e-13 < s[0] < 3e-12
    assert np.isinf(oracles.differences.noise_floor(np.full((65, 1), np.nan)))[0]
