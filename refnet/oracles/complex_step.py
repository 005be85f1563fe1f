"""The complex step: f'(x) = Im f(x + ih) / h, with no subtractive cancellation.

For an f analytic at x and written with complex-safe operations (no ``abs``, ``maximum`` or
comparisons on the complex value, no ``float()`` of it), Im f(x + ih)/h = f'(x) + O(h²): at
h = ``COMPLEX_STEP_H`` the truncation is negligible and the estimate carries only the rounding of
the complex forward (:func:`error_bar`).  It is not defined at kinks.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from refnet import tolerances as tol

__all__ = ["error_bar", "quotient", "complex_step_derivative", "complex_step_gradient"]


def error_bar(est):
    """The error of a complex-step estimate: COMPLEX_STEP_RTOL of it (the rounding of the complex
    forward) plus the underflow floor COMPLEX_STEP_FLOOR (see :mod:`refnet.tolerances`)."""
    return tol.COMPLEX_STEP_RTOL * np.abs(est) + tol.COMPLEX_STEP_FLOOR


def quotient(values, h):
    """The complex step from f at x + ih: ``(Im f / h, its error bar)`` (:func:`error_bar`),
    the one place refnet forms it.  Raises TypeError where f dropped the imaginary part."""
    values = np.asarray(values)
    if not np.iscomplexobj(values):
        raise TypeError("complex step: f dropped the imaginary part (it is not complex-safe)")
    est = values.imag / h
    return est, error_bar(est)


def complex_step_derivative(f: Callable, z, *, h: float = tol.COMPLEX_STEP_H):
    """Im f(z + ih) / h for an elementwise, complex-safe ``f`` at every element of ``z``.

    Returns ``(estimate, error)`` (:func:`error_bar`).  Raises TypeError if ``f`` drops the
    imaginary part."""
    z = np.asarray(z, dtype=np.float64)
    return quotient(f(z + 1j * h), h)


def complex_step_gradient(f: Callable, theta, *, h: float = tol.COMPLEX_STEP_H):
    """∂J/∂θ_i = Im J(θ + i h e_i) / h for a complex-safe J; all P perturbations in one call
    ``f(thetas)`` with ``thetas`` complex of shape ``(P, P)``.

    Returns ``(estimate, error)`` (:func:`error_bar`).  Raises TypeError if ``f`` drops the
    imaginary part."""
    theta = np.asarray(theta, dtype=np.float64)
    return quotient(f(theta + 1j * h * np.eye(theta.size)), h)
