"""BLAS on one thread, around refnet's loops over tiny matrix products.

A training step of the notebook's network multiplies matrices of a dozen numbers.  When OpenBLAS
hands such a product to its thread pool, on a machine whose cores are busy (or shared with other
processes) the hand-off can cost far more than the product.  :func:`single_blas_thread` limits
every BLAS that NumPy has loaded to one thread for the duration of a ``with`` block and restores
the previous counts afterwards (threadpoolctl); nothing outside the block changes.

Finding the loaded BLAS libraries takes about a millisecond, so it is done once, on first use, and
kept: a BLAS loaded later (by another package) is not limited.  Entering and leaving the block
then costs some 30 µs.
"""

from __future__ import annotations

from contextlib import contextmanager
from functools import cache

__all__ = ["single_blas_thread"]


@cache
def _blas_libraries():
    """threadpoolctl's handle on the BLAS libraries loaded now (found once)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController().select(user_api="blas")


@contextmanager
def single_blas_thread():
    """``with single_blas_thread(): ...`` runs the block with NumPy's BLAS on one thread."""
    with _blas_libraries().limit(limits=1):
        yield
