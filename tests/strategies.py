"""Hypothesis strategies shared by the test modules."""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

TINY = float(np.finfo(np.float64).tiny)
HUGE = 1.7e308


def special_values(kinks=()):
    """Values that break careless formulas: zeros, tiny and subnormal, saturation, huge, and
    each kink with its floating-point neighbours."""
    vals = [0.0, -0.0, 5e-324, -5e-324, TINY, -TINY, 1e-300, -1e-300, 1e-8, -1e-8,
            18.0, -18.0, 19.5, -19.5, 36.8, -36.8, 40.0, -40.0, 700.0, -700.0, 710.0, -710.0,
            1e4, -1e4, HUGE, -HUGE]
    for k in kinks:
        vals += [k, np.nextafter(k, np.inf), np.nextafter(k, -np.inf), k + 1e-9, k - 1e-9]
    return st.sampled_from(vals)


def activation_values(kinks=()):
    """Elements: mostly ordinary, some large, some special."""
    return st.one_of(
        st.floats(-10, 10, allow_nan=False, allow_infinity=False),
        st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False),
        st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True),
        special_values(kinks),
    )


def activation_arrays(kinks=(), max_side=6, max_size=300):
    """Arrays of 0 to 4 dimensions with at most ``max_size`` elements."""
    shapes = hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=max_side).filter(
        lambda s: int(np.prod(s)) <= max_size
    )
    return hnp.arrays(np.float64, shapes, elements=activation_values(kinks))
