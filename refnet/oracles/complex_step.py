"""The complex step: Im f(x + ih)/h, no subtractive cancellation, for complex-safe f."""

from __future__ import annotations

from typing import Callable

import numpy as np

from refnet import tolerances as tol

__all__ = ["complex_step_derivative", "complex_step_gradient"]

def complex_step_derivative(f: Callable, z, *, h: float = tol.COMPLEX_STEP_H):
    """Im f(z + ih) / h for an analytic, complex-safe elementwise ``f``.

    Returns ``(estimate, error)``: the error is a few ulps of the estimate plus the underflow
    floor 2**-1072 / h (see :mod:`refnet.tolerances`).
    """
    z = np.asarray(z, dtype=np.float64)
    value = np.asarray(f(z + 1j * h))
    if not np.iscomplexobj(value):
        raise TypeError("complex step: f dropped the imaginary part (it is not complex-safe)")
    est = value.imag / h
    err = 4 * tol.EPS * np.abs(est) + 4 * tol.SUBNORMAL / h
    return est, err


def complex_step_gradient(f: Callable, theta, *, h: float = tol.COMPLEX_STEP_H):
    """∂J/∂θ_i = Im J(θ + i h e_i) / h for an analytic, complex-safe J; all P perturbations in
    one call ``f(thetas)`` with ``thetas`` complex of shape ``(P, P)``.

    Returns ``(estimate, error)``: a few ulps of the estimate plus the underflow floor
    (see :mod:`refnet.tolerances`).  Raises TypeError if ``f`` drops the imaginary part.
    """
    theta = np.asarray(theta, dtype=np.float64)
    P = theta.size
    batch = theta + 1j * h * np.eye(P)
    values = np.asarray(f(batch))
    if not np.iscomplexobj(values):
        raise TypeError("complex step: f dropped the imaginary part (it is not complex-safe)")
    est = values.imag / h
    err = tol.COMPLEX_STEP_RTOL * np.abs(est) + tol.COMPLEX_STEP_FLOOR
    return est, err
