"""Verifying the network's gradient for many parameter sets at once.

``backward_batch`` is :func:`refnet.network.backward_propagation` for parameters with a leading
batch axis (``W_l`` of shape ``(B, n_l, n_{l-1})``, ``b_l`` of shape ``(B, n_l, 1)``; X and Y
shared): the same code, run once for all B sets.

``verify_batch`` checks a batched gradient (refnet's own, or ``backward``'s) against an oracle
for all B sets in one vectorised pass, as :func:`refnet.check.check_gradient` does for one:

1. Fast pass, accept only.  ``oracle="differences"``: one central difference per coordinate,
   all 2·P perturbations of all B sets evaluated by :func:`refnet.network.loss` in a few calls
   (chunks of sets); ``oracle="twin"``: ``jax.grad`` of the JAX twin, ``jax.vmap``-ed over the
   sets (:func:`refnet.twin.network.gradients_batch`).
2. A set with any entry outside the fast tolerance goes to Richardson
   (:func:`refnet.oracles.differences.richardson_gradient`) and fails only where the tableau
   disagrees beyond its own error bar plus ``CHECK_RTOL``.

Tolerances: ``refnet.tolerances`` (``BATCH_FD_NOISE_ULPS`` and the ``CHECK_*`` constants), with
their reasons.  A batch is ``ok`` when no set fails; ``failed`` lists the sets that did.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from refnet import network as net
from refnet import tolerances as tol
from refnet.checking.flatten import Layout, unflatten
from refnet.checking.report import MISMATCH, VERIFIED, Record, frozen_array
from refnet.checking.scales import loss_rounding
from refnet.oracles import CENTRAL, RICHARDSON, TWIN
from refnet.oracles.differences import default_step, quotients, richardson_gradient

__all__ = ["BatchReport", "backward_batch", "verify_batch"]

# parameter sets per loss call in the difference pass: B·2P networks at once, chunked so the
# temporaries stay in cache-sized blocks (measured best between 256 and 2048 at 2-4-1)
_CHUNK = 512


@dataclass(frozen=True, eq=False)
class BatchReport:
    """The outcome of a batch verification, a view over its
    :class:`~refnet.checking.report.Record`: every entry of every set (element ``W1[s,i,j]`` is
    entry ``(i, j)`` of ``dW1`` in set ``s``, in the order of the batched parameters), its
    status, the oracle it rests on (the fast pass's, or Richardson), the oracle's value, the
    allowance and the margin.

    ``ok``: no set failed.  ``size``: sets checked; ``fast``: sets accepted by the fast pass;
    ``richardson``: sets sent on to Richardson; ``failed``: indices of the sets with a mismatch;
    ``worst``: the largest |g - d| / (its allowance) among the failed entries (0 when none)."""

    record: Record

    size = property(lambda self: dict(self.record.options)["sets"])
    oracle = property(lambda self: dict(self.record.options)["oracle"])

    def _by_set(self, a) -> np.ndarray:
        """A per-element array of the record as ``(sets, P)``, set by set."""
        return np.asarray(a)[np.argsort(_set_major(self.record.layout))].reshape(self.size, -1)

    @property
    def failed(self) -> list:
        return np.flatnonzero((self._by_set(self.record.status) == MISMATCH).any(axis=1)).tolist()

    @property
    def ok(self) -> bool:
        return not np.any(self.record.status == MISMATCH)

    @property
    def richardson(self) -> int:
        return int(np.count_nonzero(
            (self._by_set(np.array(self.record.oracle, dtype=object)) == RICHARDSON).any(axis=1)))

    @property
    def fast(self) -> int:
        return self.size - self.richardson

    @property
    def worst(self) -> float:
        r = self.record
        bad = r.status == MISMATCH
        with np.errstate(invalid="ignore"):
            return float(np.nanmax(r.margin[bad])) if bad.any() else 0.0

    def __str__(self):
        failed = self.failed
        verdict = "ok" if not failed else f"{len(failed)} set(s) FAILED: {failed[:10]}"
        return (f"verify_batch ({self.oracle}): {self.size} sets, {self.fast} accepted by the fast "
                f"pass, {self.richardson} judged by Richardson: {verdict}")


def _set_major(layout: Layout) -> np.ndarray:
    """For each element of the batched ``layout`` (part by part, set-major within a part), its
    position in the ``(sets, P)`` array of flat per-set vectors."""
    B = layout.shapes[0][0]
    P = sum(layout.sizes) // max(B, 1)
    out, start = [], 0
    for n in layout.sizes:
        per = n // max(B, 1)
        out.append((np.arange(B)[:, None] * P + start + np.arange(per)[None, :]).ravel())
        start += per
    return np.concatenate(out) if out else np.zeros(0, np.int64)


def _keys(L):
    return [k for l in range(1, L + 1) for k in (f"W{l}", f"b{l}")]


def backward_batch(parameters, X, Y, hidden="tanh", output="sigmoid", lambd=0.0, *, m=None):
    """dW1, db1, …, each with the parameters' leading batch axes: refnet's forward and backward
    pass (:func:`refnet.network.forward_propagation`, :func:`refnet.network.backward_propagation`,
    which take leading batch axes) for every parameter set at once."""
    _, cache = net.forward_propagation(X, parameters, hidden, output)
    return net.backward_propagation(parameters, cache, X, Y, hidden, output, lambd, m=m)


def _flat_batch(d, keys, B):
    return np.concatenate([np.asarray(d[k], dtype=np.float64).reshape(B, -1) for k in keys], axis=1)


def _loss_rounding(parameters, X, Y, hidden, output, lambd):
    """:func:`refnet.checking.scales.loss_rounding` per set.  Also the check of the arguments:
    refnet.network's functions refuse bad X, Y, parameters, names and lambd with a message naming
    the argument."""
    AL, cache = net.forward_propagation(X, parameters, hidden, output)
    L = len(cache) // 2
    ZL = cache[f"Z{L}"]
    J = net.cost_from_logits(ZL, Y, output)
    penalty = 0.0
    if lambd:
        Ws = [np.asarray(parameters[f"W{l}"], dtype=np.float64) for l in range(1, L + 1)]
        penalty = net.l2_penalty(Ws, lambd, ZL.shape[-1])
    return loss_rounding(J, ZL, AL, Y, penalty)


def _set_loss(layout, X, Y, hidden, output, lambd):
    """θ ↦ J(θ) for one set's flat parameters (or a batch of them), by refnet.network.loss."""

    def f(thetas):
        return net.loss(unflatten(thetas, layout), X, Y, hidden, output, lambd)

    return f


def _difference_pass(theta, layout, X, Y, hidden, output, lambd):
    """(d, J, h): one central difference per coordinate for every set, J at each set."""
    B, P = theta.shape
    h = default_step(theta, tol.CHECK_FAST_STEP)  # (B, P)
    d = np.empty((B, P))
    J = np.empty(B)
    eye = np.eye(P)
    for s in range(0, B, _CHUNK):
        t = theta[s:s + _CHUNK]
        hs = h[s:s + _CHUNK]
        step = hs[:, :, None] * eye  # (b, P, P): row i moves θ_i by h_i
        batch = np.concatenate([t[:, None, :] + step, t[:, None, :] - step, t[:, None, :]], axis=1)
        vals = net.loss(unflatten(batch, layout), X, Y, hidden, output, lambd)  # (b, 2P + 1)
        # the steps actually taken (exact), for the quotients of refnet.oracles.differences
        sp = (batch[:, :P] - t[:, None, :])[:, np.arange(P), np.arange(P)]
        sm = (t[:, None, :] - batch[:, P:2 * P])[:, np.arange(P), np.arange(P)]
        (d[s:s + _CHUNK], _), _, _ = quotients(vals[:, :P], vals[:, P:2 * P], vals[:, -1:],
                                               sp, sm, 0.0, 0.0, 0.0)
        J[s:s + _CHUNK] = vals[:, -1]
    return d, J, h


def verify_batch(parameters, X, Y, hidden="tanh", output="sigmoid", lambd=0.0, *,
                 backward=None, oracle="differences"):
    """Check the gradient of J = ``refnet.network.loss`` for every parameter set of a batch.

    ``parameters``: a dict W1, b1, … with one leading batch axis (B sets).  ``backward``: a
    function ``(parameters, X, Y, hidden, output, lambd) -> grads`` (dW1, db1, …, batched like the
    parameters) to check; refnet's own :func:`backward_batch` when None.  ``oracle``:
    ``"differences"`` (NumPy only) or ``"twin"`` (``jax.grad`` of the JAX twin, vmapped).
    Returns a :class:`BatchReport`.
    """
    if oracle not in ("differences", "twin"):
        raise ValueError(f"oracle: expected 'differences' or 'twin', got {oracle!r}")
    size_J = _loss_rounding(parameters, X, Y, hidden, output, lambd)  # checks the arguments
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    lambd = float(lambd)
    keys = _keys(len(parameters) // 2)
    B = np.shape(parameters["W1"])[0]
    layout = Layout(tuple(keys), tuple(np.shape(parameters[k])[1:] for k in keys))
    theta = _flat_batch(parameters, keys, B)
    backward = backward or backward_batch
    grads = backward(parameters, X, Y, hidden, output, lambd)
    g = _flat_batch({k: grads[f"d{k}"] for k in keys}, keys, B)

    d, allow = _fast_pass(oracle, parameters, keys, theta, layout, X, Y, hidden, output, lambd,
                          size_J)
    with np.errstate(invalid="ignore"):
        accepted = np.all(np.abs(g - d) <= allow, axis=1)
    status = np.full(g.shape, VERIFIED, np.int8)
    est, bound = d.copy(), allow.copy()
    name = np.full(g.shape, CENTRAL if oracle == "differences" else TWIN, dtype=object)
    f = _set_loss(layout, X, Y, hidden, output, lambd)
    for s in np.flatnonzero(~accepted):  # Richardson for every set the fast pass left
        est[s], err = richardson_gradient(
            f, theta[s],
            levels=tol.CHECK_LEVELS, eval_error=tol.FD_EVAL_ULPS * tol.EPS * size_J[s])
        bound[s] = tol.CHECK_ATOL + tol.CHECK_RTOL * np.abs(est[s]) + err
        name[s] = RICHARDSON
        bad = ~tol.within(g[s], est[s], atol=tol.CHECK_ATOL, rtol=tol.CHECK_RTOL, err=err)
        status[s] = np.where(bad, MISMATCH, VERIFIED)
    return BatchReport(_record(oracle, layout, g, status, name, est, bound))


def _fast_pass(oracle, parameters, keys, theta, layout, X, Y, hidden, output, lambd, size_J):
    """The fast pass's oracle for every set, ``(estimate, allowance)``, each ``(B, P)``: one
    central difference per coordinate, or jax.grad of the twin (vmapped)."""
    B = theta.shape[0]
    if oracle == "differences":
        d, _, h = _difference_pass(theta, layout, X, Y, hidden, output, lambd)
        return d, tol.CHECK_FAST_RTOL * np.abs(d) + \
            tol.BATCH_FD_NOISE_ULPS * tol.EPS * size_J[:, None] / h
    from refnet.twin import network as twin

    _, tg = twin.gradients_batch({k: parameters[k] for k in keys}, X, Y, lambd,
                                 hidden=hidden, output=output)
    d = _flat_batch({k: np.asarray(tg[k]) for k in keys}, keys, B)
    return d, tol.CHECK_FAST_RTOL * np.abs(d) + \
        tol.NET_GRAD_ULPS * tol.EPS * np.max(np.abs(d), axis=1, keepdims=True)


def _record(oracle, layout, g, status, name, est, bound) -> Record:
    """The batch's record, element by element in the order of the batched parameters."""
    B = g.shape[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        margin = np.where(np.abs(g - est) == 0, 0.0, np.abs(g - est) / bound)
    batched = Layout(layout.keys, tuple((B,) + tuple(sh) for sh in layout.shapes))
    order = _set_major(batched)
    flat = lambda a: frozen_array(a.reshape(-1)[order], a.dtype)
    return Record(
        kind="verify_batch", size=g.size, value=flat(g), status=flat(status),
        oracle=tuple(name.reshape(-1)[order].tolist()), estimate=flat(est),
        error_bar=flat(bound), margin=flat(margin), reason=("",) * g.size,
        lossy_at=frozen_array(np.zeros(g.size)), options=(("oracle", oracle), ("sets", int(B))),
        layout=batched)
