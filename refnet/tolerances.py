"""Every tolerance refnet uses, each with the reason for its size.

A comparison of a value ``a`` with a reference ``b`` passes when

    |a - b| <= atol + rtol * |b| + err_b

where ``err_b`` is the reference's own error estimate (the spread of a Richardson tableau, the
rounding floor of the complex step).  No number here is tuned to make a test pass: each follows
from the accuracy of the formula and of the oracle, and the planted-bug tests show that each one
still catches a derivative wrong by 1e-6 relative.
"""

from __future__ import annotations

import numpy as np

EPS = float(np.finfo(np.float64).eps)  # 2**-52, one ulp of 1.0
TINY = float(np.finfo(np.float64).tiny)  # 2**-1022, the smallest normal float64
SUBNORMAL = 2.0**-1074  # the smallest subnormal float64

# --- ulp targets against mpmath's correctly rounded values -----------------------------------
# derivative(z): each formula is a handful of correctly rounded operations (exp, a sum, a
# square, a quotient): at most ~3 ulps by the usual error analysis, so 4 ulps at the 99.9th
# percentile and never beyond 64 (a loose ceiling that still rejects any form that cancels).
DERIVATIVE_ULPS_P999 = 4
DERIVATIVE_ULPS_MAX = 64
# second_derivative(z): a few more operations (expm1, a cube); 16 ulps at the 99.9th percentile,
# never beyond 1024.
# Both hold for every registry entry (tests/test_accuracy.py, z dense in [-12, 12] and out to
# ±300; the original four derivatives also out to ±700).  Where a closed form is a difference
# of large terms (near the irrational zeros of f' and f'' of gelu, gelu_tanh, silu, mish) the
# activations use Taylor series about the zero instead, and where an argument's rounding is
# amplified (e^(-z²/2), erfc(-z/√2), σ(2u) of gelu_tanh) they carry it as a double-double: the
# targets were not widened for them.
SECOND_DERIVATIVE_ULPS_P999 = 16
SECOND_DERIVATIVE_ULPS_MAX = 1024
# forward(z): a handful of correctly rounded operations, as for f': within 4 ulps at the 99.9th
# percentile; at every point within the activation's own declared bound
# (Activation.forward_ulps, which the judgment of the output forms relies on), never beyond
# DERIVATIVE_ULPS_MAX.
FORWARD_ULPS_P999 = DERIVATIVE_ULPS_P999
# Where the correctly rounded value is subnormal (|v| < 2**-1022) it has fewer than 53 bits,
# and a formula whose intermediate e^-x is itself subnormal loses bits it cannot get back
# (silu' at z = -745 is off by ~320 units of 2**-1074: z·e^z with e^z = 5e-324 already
# rounded).  Those results are held to an absolute error of 2**-1074 · 2**12 ≈ 2e-320, a
# relative 1e-12 of the smallest normal.
SUBNORMAL_ABS = 2.0**-1074 * 2**12

# --- refnet's own values on another machine ----------------------------------------------------
# The same formula on two machines: NumPy's libm differs between builds (SIMD code on AVX-512,
# FMA and non-FMA variants of the C library) by about an ulp per call where one of them rounds
# the other way, and each of refnet's formulas chains at most ~6 libm calls and roundings, so a
# value, and so any ulps figure measured from values (a p99.9 or a max over a sweep), moves by
# at most 6 ulps between machines.  tests/test_golden.py holds refnet's own values to it, and
# tests/test_study.py the ulps figures of docs/derivatives.md.
PLATFORM_ULPS = 6
# A measurement of rounding noise or cancellation (the error of a central difference at its
# best step, of the complex step, of a form that cancels, in ulps or relative) depends on the
# last bits of every operand: another machine's libm moves it, not its order of magnitude.  Two
# such figures agree within a factor PLATFORM_NOISE_FACTOR plus PLATFORM_NOISE_FLOOR absolute
# (a relative error of a few ulps of 1 can triple: measured, the complex step's error at
# silu(-0.7) is 1.6e-16 with glibc's FMA exp and 4.7e-16 without).
PLATFORM_NOISE_FACTOR = 2.0
PLATFORM_NOISE_FLOOR = 4 * EPS
# The step study's figures (the error of a central difference at one step h, the best h, and
# Richardson's error from the same values) are not a measurement of one rounding but of the
# cancellation in f(z + h) - f(z - h): the ulp by which each of the two values rounds, divided by
# 2h, amplified ~1e5 at h = eps^(1/3).  Where those two ulps cancel the error is near 0, where
# they add it is ~eps|f|/h: a realisation anywhere in between, so another libm moves it by any
# factor up to that bound's ratio to the truncation error, not by 2.  Measured between NumPy's
# AVX2 and AVX-512 loops of exp and tanh (docs/derivatives.md): up to 29x (silu's Richardson
# error at 1.5: 4.3e-13 against 1.7e-14; sigmoid's error at eps^(1/3) at 0.4: 1.9e-12 against
# 3.0e-11) and the best step one decade.  Two such figures agree within two decades.
PLATFORM_STEP_FACTOR = 100.0

# --- jax.grad of the twin against the hand-written derivative --------------------------------
# Both are analytic formulas evaluated in float64.  The formula is within 4 ulps; the twin's
# reverse pass chains about six XLA operations (exp, expm1, sums, products, a quotient), each
# within ~2 ulps on CPU, so together they stay within 16 ulps.
TWIN_RTOL = 16 * EPS
# XLA on CPU flushes subnormal results to zero (jnp.exp(-710.) is 0.0 where NumPy gives
# 4.5e-309), so where the true derivative is subnormal the twin may return 0.  It also reads
# subnormal inputs as zero, so the twin is not consulted at subnormal z.
TWIN_ATOL = 4 * TINY
# jax.grad(jax.grad(twin)) against second_derivative: f'' is computed by autodiff as a sum of
# terms of the size of f'(z) (for sigmoid f''/f' = 1 - 2σ, for tanh -2 tanh, both bounded by 2)
# which cancel where f'' crosses zero.  So the absolute error scales with |f'(z)|:
# atol = TWIN2_ATOL_PER_DERIVATIVE * |f'(z)|, 64 ulps of the terms' size; rtol 64 ulps for the
# longer chain of operations on both sides.
TWIN2_RTOL = 64 * EPS
TWIN2_ATOL_PER_DERIVATIVE = 64 * EPS

# --- finite differences (Richardson) ---------------------------------------------------------
# The largest step of every Richardson tableau (oracles.differences.default_step: this for
# |x| < 2**14, growing with |x| beyond): 2**-6.  Large steps keep the noise of f, divided by h,
# small; f is assumed to vary on a scale of 1 (where it varies faster, a check refines with
# CHECK_REFINE_STEPS); a power of two, so halving it and adding it to x are exact.
FD_H0 = 2.0**-6
# The step stays FD_H0 for |x| below 2**FD_FLAT_EXP and grows with |x| beyond (h0 · 2**(e - 14)
# for 2**e the power of two above |x|): a step must stay far above |x| eps to be resolved at
# all, here 2**-14 h0 / eps above it.
FD_FLAT_EXP = 14
# The levels of an activation's Richardson tableau (oracles.differences.richardson_derivative):
# with four, a one-sided tableau's error bar on sin stays near 5e-6, too wide to see a 1e-6
# relative bug; with six it is 4e-11 (central: 6e-12).
FD_LEVELS = 6
# The tableau's own error estimate (spread between its last two levels plus propagated rounding
# noise) is added to the tolerance; on top of it the formula's own 16 ulps.
# The truncation part of a tableau's error bar is the larger change of its last level, times
# 2: that change estimates the error of the level before, not a bound on the last, and where
# the rows are noisy it can fall short (measured: on the saturated 20-64-10 network, tableaux
# from steps 2**-3 and 2**-1 missed the complex step's value by 1.6 times the unscaled bar).
FD_TRUNCATION_SAFETY = 2.0
FD_RTOL = 16 * EPS
FD_ATOL = 4 * TINY
# The rounding error of one evaluation of f, in units of eps * |f|, used for the noise floor of
# a difference quotient.  refnet's forwards are within 4 ulps; the rest is margin.
FD_EVAL_ULPS = 8

# --- complex step ----------------------------------------------------------------------------
# Im f(z + ih)/h with h = 1e-20: the truncation error is h²|f'''|/6, a relative 1e-40 |f'''/f'|,
# negligible for every registry function away from its kinks; no subtraction, so the result
# carries only the rounding of the complex forward (complex exp and quotient, a few ulps), and
# the floor of underflow: Im f is a multiple of 2**-1074 (less than that is lost), an absolute
# error of 2**-1074 / h ~ 5e-304 in the derivative.  h = 1e-200 would raise that floor to
# 5e-124 and leave every derivative below it unresolved.
COMPLEX_STEP_H = 1e-20
COMPLEX_STEP_RTOL = 16 * EPS
COMPLEX_STEP_FLOOR = 4 * SUBNORMAL / COMPLEX_STEP_H


# --- refnet.check: checking a user's gradient --------------------------------------------------
# The fast pass accepts an element at once when an exact oracle (the complex step, jax.grad of a
# twin) or one central difference agrees with the analytic value within 1e-8 relative.  It only
# ever accepts: an element that does not agree is not failed, it is sent on to Richardson.
# 1e-8 is 100x below the smallest bug refnet.check promises to catch (1e-6 relative) and above
# what an exact oracle loses on an ill-conditioned but correct f (the complex step through
# log(1 - sigmoid) of saturated outputs is off by ~3e-9 relative on a 20-64-10 network) and what
# one central difference at h ~ eps**(1/3) loses on a well-scaled f (~1e-10).
CHECK_FAST_RTOL = 1e-8
# The step of the fast central difference (through oracles.differences.default_step, the one
# step policy: absolute for |x| < 2**14, growing with |x| beyond): 2**-17 ~ 7.6e-6 ~ eps**(1/3),
# which balances the truncation h**2 |f'''| / 6 against the rounding eps |f| / h for f varying
# on a scale of 1.
CHECK_FAST_STEP = 2.0**-17
# The number of Richardson levels in a check: steps FD_H0 ... FD_H0/8.  The tableau removes the
# truncation error h**2, h**4, h**6 a level at a time.
CHECK_LEVELS = 4
# The one-sided differences of the fast pass, taken from the same evaluations as its central
# one, differ by h f'' for a smooth f (tiny at h ~ 7.6e-6): where they differ by more than
# this fraction of the value (beyond f's rounding), there may be a kink at x, and the element
# goes on to the one-sided judge.
CHECK_KINK_SPLIT_REL = 1e-3
# A tableau's error bar is "mostly the noise of f" where the carried noise of f is at least this
# fraction of it: then a wider bar is f's rounding, not the tableau's spread (a kink, or
# truncation), and larger steps (not smaller) are what can resolve it.
CHECK_NOISE_DOMINATED = 0.5
# Against Richardson: the analytic gradient is itself a float64 computation (sums over samples
# and units, where cancellation leaves an error of n eps times the terms, not the result).  1e-12
# relative (~4500 ulps) covers sums of thousands of terms with moderate cancellation and is still
# 1e6 below the bugs we promise to catch.  The oracle's own error bar is added on top.
CHECK_RTOL = 1e-12
# Subnormal results carry only absolute accuracy (see SUBNORMAL_ABS above): a derivative whose
# value is subnormal is held to that, and nothing coarser, so a difference below it is never a
# mismatch and one above it always can be.  (4 * TINY, ~9e-308, let any derivative below ~1e-301
# be wrong by 1e-6 relative unseen: every element there would have passed.)
CHECK_ATOL = SUBNORMAL_ABS
# An element that agrees is "verified" only when the oracle's error bar is at most 1e-7 of the
# value: refnet.check promises to catch a derivative wrong by 1e-6 relative, and a bar of 1e-7
# leaves such a bug 9e-7 outside it.  A wider bar could hide the bug, so the element is reported
# unresolved (with the reason) rather than verified.  It is not a failure.
CHECK_RESOLVE_REL = 1e-7
# Where differences of f cannot reach 1e-7 of an element (a small element of a large gradient: a
# cost through float() rounds at eps|f|, and eps|f|/h exceeds 1e-7 |g_i| for |g_i| below ~1e-5 of
# the gradient's scale S), an agreement within a bar of 1e-7 S verifies the element "to the
# gradient's scale": a 1e-6 error of the largest element, or an error of 1e-6 S anywhere, stays
# 9e-7 S outside the bar; any error below the bar in that small element could hide (the bar may
# be a large part of it), and the element's reason gives the bar relative to the element.  (The
# float() MLPs of 1,004 and 10,084 parameters left 1 and 20 elements with bars ~5e-12 against
# ~1e-12 needed: 1e-11 of S.)
CHECK_SCALE_RESOLVE_REL = 1e-7
# The gradient's rounding scale: a float64 gradient is a computation of its own (sums over
# samples and units, products along a chain), whose rounding is relative to the size of the
# terms it sums, not to each result: a sum of N terms of the gradient's scale S errs by up to
# N eps S, and a backward pass over m = 256 samples and 64 units sums N = 16384 of them.  An
# element that an honest oracle contradicts by less than CHECK_LOSSY_ULPS eps S is "lossy" (the
# formula is right and has lost digits: s*(1-s) at z = 34, 0.5*(1+tanh(z/2)) at z = -30), not
# a mismatch, and an error bar within it resolves an element (whatever the truth inside the
# bar, the gradient is right to its own rounding).  16384 eps S = 3.6e-12 S: a 1e-6 relative
# error is still caught on every element larger than 3.6e-6 S.  The user's atol= replaces it.
CHECK_LOSSY_ULPS = 16384
# A float32, float16 or bfloat16 backward (refnet.torch.gradcheck) whose forward also runs in
# float64 is judged against that float64 forward and held to its own rounding, measured: the
# largest difference between the low-precision backward and the same backward run in float64,
# over three cotangents, is
# what correct low-precision arithmetic costs this computation (its conditioning included); 8
# of it cover cotangents whose rounding differs from the three measured (a maximum over
# thousands of elements moves by ~2x between draws), and 4 eps of the dtype times the
# gradient's size floor it where the two runs happen to agree.  A formula error is the same in
# both runs, so not in the difference.  Measured on a softplus backward (x in [-3, 3]): caught
# from 1e-5 relative in float32 (it was within 16384 eps32 = 2e-3 of the scale, lossy), from
# 1e-2 in float16 and from 1e-1 in bfloat16 (whose own rounding, 2^-8, makes a correct
# backward several percent off; the float64 run below catches 1e-2 in both half precisions);
# no false alarm on 90 float32, 80 float16 and 80 bfloat16 checks of torch's tanh, gelu, silu,
# sigmoid, softmax, log_softmax, layer_norm, logsumexp, nor on the 60 correct and lossy checks
# per dtype of benchmarks/low_precision.py.
LOW_PRECISION_SAFETY = 8.0
LOW_PRECISION_ULPS = 4
# A float16 or bfloat16 backward is also run on the float64 inputs (the same code, given
# float64 tensors) and judged against the float64 forward: a formula error is the same in both
# runs, and only this run is precise enough to show a 1e-2 one (bfloat16's own rounding, 2^-8,
# is several ulps of a correct backward's result).  Its lossy scale is HALF_FLOAT64_RUN_ULPS
# float32 eps of the gradient's scale (1.2e-4 S), not float64's: a backward may compute in
# float32 whatever its inputs (an explicit .float(), a float32 buffer), and float32 rounding
# amplified by a conditioning up to ~1000 must still pass; an error of 1e-2 relative is
# caught on every element above 1.2 % of S.
HALF_FLOAT64_RUN_ULPS = 1024
# check_batched_grad (refnet.torch): the backward run once over a batch of cotangents
# (is_grads_batched, torch's vmap) against the same backward run once per cotangent.  Both are
# the same formula; the batched run may use other kernels (a batched matrix product sums in
# another order), so each element may differ by the rounding of its sums: BATCHED_GRAD_ULPS of
# the dtype's eps times the largest gradient element of the loop.  64 covers sums of thousands
# of terms whose partial sums stay at the result's size (the order changes a few roundings),
# and is far below a batching bug, which computes a different value (a cotangent of another
# batch element, a sum over the batch), not the same value rounded differently.
BATCHED_GRAD_ULPS = 64
# The same function run two ways by a drop-in (compiled and eager, over a batch and point by
# point): the same operations, summed in another order where a kernel differs, so each output
# within SAME_FUNCTION_ULPS eps of its dtype times the output's largest magnitude (at least 1).
# A traced constant gone stale or a vmap that computes something else differs by far more.
SAME_FUNCTION_ULPS = 64
# At a kink only membership of the interval between the two one-sided derivatives is judged (no
# 1e-6 promise there: a one-sided tableau has an error series in h and keeps ~1e-6 of spread); a
# subgradient is accepted when both one-sided bars are within 1e-3 of the values, so the interval
# is known to 0.1%.
CHECK_KINK_RESOLVE_REL = 1e-3
# Where the tableau from h0 = FD_H0 is not resolved to CHECK_RESOLVE_REL, it is taken
# again from 2**-10 and 2**-14 of the scale and the narrowest bar kept: f may vary on a scale far
# below |x| (gelu's tail, e^(-z²/2), on a scale 1/|z|: at z = -8 the first tableau's spread is
# 1e-4 of f'; from 2**-10 it is below 1e-12).  Smaller steps only raise the noise term (noise/h),
# which the bar carries, so the narrowest bar is the honest choice.
CHECK_REFINE_STEPS = (2.0**-10, 2.0**-14)
# Then, for every element still open, from larger steps 2**-3, 2**-1 and 2 with two levels
# more (CHECK_LEVELS + 2), except where the noise of f over the attempt's smallest step alone
# exceeds what the element needs: the bar is the noise of f divided by h (a cost near 1e4
# rounds at 4e-11, a sum of sigmoids at 2e-14), so an 8 to 128 times larger step narrows it as
# much, and the tableau removes the larger truncation error; again the narrowest bar is kept,
# and a step too large for f shows as a wide spread, never as a narrow wrong bar.
CHECK_COARSE_STEPS = (2.0**-3, 2.0**-1, 2.0)
# Retrying costs 2 x levels evaluations per element; where it retried CHECK_RETRY_MANY elements or
# more and resolved fewer than 1 in 8 of them, the next step of its kind is not tried (an f too
# noisy for any step: the notebook's saturated log(1 - A) cost, 1,994 parameters, spent 60,000
# evaluations on retries that resolved 3).  A few elements are always tried at every step.
CHECK_RETRY_YIELD = 0.125
CHECK_RETRY_MANY = 64
# A tableau assumes f smooth over its whole stencil, x ± h0.  A kink inside it away from x (a
# relu unit crossing 0 on one sample at W1[i,j] + δ, |δ| < h0: with 64 samples, in about half
# of the elements at h0 = 2**-6) corrupts the extrapolation while its spread can stay small
# (measured on a 50-80-10 relu network: 6.6% off with a bar of 0.8% of the value), and a
# coarse step over several kinks can look narrower than the honest one.  So a mismatch that
# rests on Richardson alone is confirmed first: the tableau is taken again from h0/2, h0/4, ...
# down to FD_H0 times 2 to the minus this many (2**-14, the smallest refinement step; from a
# coarse h0, more halvings), and the element is a mismatch only where two consecutive scales,
# each smooth in itself (central, forward and backward tableaux agree), agree with each other
# and both disagree with g; a tableau that agrees and is resolved verifies it; one that agrees
# only because the noise of f dominates its bar ends the descent (smaller steps widen it);
# otherwise the element is unresolved.  A kink at distance δ leaves every stencil narrower than
# δ clean.  Halving, not a larger factor: the noise part of a bar doubles per halving, so the
# first clean scale is found with the least noise (a 1e-6 bug on W1[41,43] of that network,
# 1.1e-9, is still seen at 2**-9 and 2**-10 with bars of 3e-10 and 6e-10).  Each halving costs
# 2 x levels evaluations per element still open, and only mismatch candidates are taken.
CHECK_CONFIRM_HALVINGS = 8
# The noise floor of f: the standard deviation of the residual of a degree-6 polynomial fitted to
# f at 33 equally spaced points on each side of x along the probe line (the smaller side, so a
# kink does not pass for noise).  A bound on the error of one evaluation is taken as 4 of them (a
# Gaussian exceeds 4 sigma with probability 6e-5; rounding noise is bounded, not Gaussian, and
# its largest residual on the 20-64-10 network was ~2-3 sigma).
CHECK_NOISE_SIGMAS = 4.0
# The fit is made twice, at spacing h0/32 and at h0/32 * 2**-6, and the smaller noise kept: a
# degree-6 fit leaves the seventh-order curvature of f in the residual (for gelu at z = -8 it was
# 1e8 times the rounding noise), which shrinks by 2**-42 on the narrow span while rounding noise
# does not; 2**-6 keeps the narrow points 2**-17 of the scale apart, far above an ulp of x.
CHECK_NOISE_NARROW = 2.0**-6
# The complex-step probe: Im f(x + i h d)/h along a random direction d must agree with a
# Richardson directional difference within that difference's error bar plus 1e-6 relative, or f
# is not treated as complex-safe (abs, conj, float() of a complex all break it).  A disagreement
# only costs speed (the fast pass falls back to differences), never a verdict.
CHECK_PROBE_RTOL = 1e-6

# --- refnet.checking.batch: many parameter sets at once --------------------------------------
# The fast pass of refnet.checking.batch.verify_batch is check_gradient's, vectorised over every
# seed: one central difference per coordinate at h = default_step(θ_i, CHECK_FAST_STEP), or
# jax.grad of the twin.  An element is accepted when
# |g - d| <= CHECK_FAST_RTOL |d| + BATCH_FD_NOISE_ULPS · eps · S_J / h: the second term is the
# rounding noise of the difference quotient (two evaluations of J, each within FD_EVAL_ULPS ulps
# of S_J, over 2h), which dominates the truncation h² |J'''| / 6 ~ 1e-11 |J'''| at this step.
# The fast pass never fails anything: a seed with an element outside it goes to Richardson
# (FD_H0, CHECK_LEVELS) and is judged as check_gradient judges: a mismatch
# only beyond the tableau's error bar plus CHECK_RTOL |d| + CHECK_ATOL.  Against jax.grad of the
# twin the fast pass accepts within CHECK_FAST_RTOL |d| + NET_GRAD_ULPS · eps · max|d| over the
# seed's entries (an entry that cancels to near 0 keeps the rounding of the largest terms).
# S_J is the size of what J sums, |J| + Σ (|Y| + |A_L|)(|Z_L| + 1) / m + the penalty, not |J|:
# the cross-entropy from the logits cancels terms of size |Z_L| (softplus(Z) - Y Z), so a
# well-fitted set with J = 0.016 is known only to eps of terms ~10 (measured: Richardson with a
# noise floor of 8 eps |J| then rejected 4 correct sets in 20,000 at unit-variance weights).
BATCH_FD_NOISE_ULPS = 2 * FD_EVAL_ULPS


def within(a, b, *, atol, rtol, err=0.0):
    """Elementwise ``|a - b| <= atol + rtol * |b| + err``.

    NaN never passes, except where the reference's own error bar ``err`` is infinite: there the
    oracle could not resolve the element at all (its stencil left the float range, say), so it
    has no verdict to give and the element is not held against the value.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        ok = np.abs(a - b) <= atol + rtol * np.abs(b) + err
    return ok | np.isposinf(np.asarray(err, dtype=np.float64))

# --- the notebook's output forms against the derivative in z ---------------------------------
# derivative_from_output(f(z)) is judged with the bound of verify.output_form_bound: the spread
# of the form over the floats within the forward's own error of s (Activation.forward_ulps),
# which is the form's conditioning made concrete.  On top: 4 ulps for the rounding of the
# form's own few operations and 4 for the derivative's.
OUTPUT_FORM_RTOL = 8 * EPS

# --- softmax against jax.nn.softmax ----------------------------------------------------------
# Both shift by the max, so every exponent is <= 0: each exp within ~2 ulps on either side, a
# sum of up to 16 terms, a quotient.  Jacobian entries s_i(δ_ij - s_j) and VJP entries
# s_i(g_i - Σ g_j s_j) cancel where s is near 1 or g_i near the weighted mean: their absolute
# error is a few ulps of the terms' size (≤ 1 for the Jacobian, ≤ max|g| for the VJP), so atol is
# 64 ulps of that size (16 terms × 4 ulps).
SOFTMAX_RTOL = 64 * EPS
SOFTMAX_ATOL = 64 * EPS

# --- the network -----------------------------------------------------------------------------
# A softmax output's gradient dZ_L = A_L - Y holds when each label column sums to 1.  One-hot
# labels sum to exactly 1; a distribution normalised in float64 (y / y.sum()) sums to 1 within
# n_y/2 ulps, so 1e-12 accepts those up to ~9000 classes, and the gradient error a sum of 1 + δ
# leaves (δ · A_L / m) stays below 1e-12 / m, far under any planted bug yet honest about inputs.
LABEL_SUM_ATOL = 1e-12

# --- the notebook's printout -----------------------------------------------------------------
# A printed number d with k digits after the point stands for every value within half a unit in
# its last digit: |x - d| <= 0.5 * 10**-k (NumPy and Python both round correctly when they
# print).  The reading of d itself as a float64 adds at most half an ulp of d, so 2 ulps of |d|
# on top is all the slack a faithful reproduction can need.
PRINTED_HALF_UNIT = 0.5
PRINTED_ULPS = 2

# Two float64 forms of the same well-conditioned quantity (the notebook's exp-quotient tanh and
# refnet's expm1 form; 1 - t² and sech² at moderate t; the probability and logits forms of the
# cost at moderate outputs; a mean divided by 3 or by 6 and doubled): each side is a handful of
# correctly rounded operations, within 4 ulps of the exact value, so they agree within 8 ulps.
FORMS_ULPS = 8
# Steps of the finite-difference stencil over network parameters: below 2**-26 (~1.5e-8) the
# noise eps·|J|/h reaches 1e-8 relative, too coarse to judge a gradient; a pre-activation that
# close to a kink is rejected instead (and the kink is tested on its own).
FD_MIN_STEP = 2.0**-26
# refnet verify's seeded networks keep every hidden pre-activation this far from a kink, more
# than the default largest step FD_H0 = 2**-6 (the kink itself is judged in the activation
# checks, and by tests/test_network.py's kink-convention property).
VERIFY_KINK_CLEARANCE = 2.0**-4

# --- network gradients -----------------------------------------------------------------------
# A gradient entry of the backward pass is a sum over samples and units of products along the
# chain; its rounding error is relative to S, the same sum taken over absolute values
# (checking.scales.network_gradient_scale), not to the (possibly cancelling) result.  Per layer
# a product of at most 5 terms summed, a derivative within 4 ulps, a division by m: ~11 ulps of
# S; four layers, ~44; so 64 ulps of S for refnet's backward against an oracle that is itself
# accurate to a few ulps of S (jax.grad of the twin, the complex step).  Measured worst over
# 1500 random networks: 28 (twin), 13 (complex step).
NET_GRAD_ULPS = 64
# The forward pass's outputs A_L and its cost, against the same computation on another machine
# (another BLAS summation order, another libm): each is within a few ulps of its rounding size
# (checking.scales.network_forward_scale: the sums' magnitudes carried through the layers,
# not the possibly cancelling results), per layer a dot product of up to ~16 terms and an
# activation within 4 ulps, as for the backward pass: 64 ulps of that size, and two machines
# within twice that of each other.  Measured: a 4-layer softmax network's A_L differs by up to
# 31 ulps of A_L itself between OpenBLAS's Haswell and Nehalem kernels.
NET_FORWARD_ULPS = 64
# The oracles' own activation derivatives inside a network carry an absolute error of about an
# ulp of 1 where g'(z) is small, not a relative one: the complex step goes through NumPy's
# complex exp/log1p, whose imaginary parts are rounded relative to the size of their arguments
# (≈ 1), and autodiff of forms like log1p(e^-|z|) sums terms of size ~1 that cancel.  Measured:
# with no allowance, a softplus network's complex-step gradient misses the 64-ulp bound by 26×.
# So g' from an oracle is trusted to 8 eps absolute;
# checking.scales.network_gradient_scale with derivative_floor=1 carries it to each entry.
TWIN_DERIVATIVE_ATOL = 8 * EPS

# --- training trajectories -------------------------------------------------------------------
# NumPy train and the twin's lax.scan loop take the same steps from the same start; their
# gradients differ by a few ulps of S per step, and gradient descent at these learning rates
# neither amplifies nor cancels those differences much over 1000 steps (each step's rounding
# adds ~1e-16 relative; 1000 steps ~1e-13 even if they all added up).  1e-10 relative leaves
# three orders of margin, and a wrong step (a bug of 1e-6 in any gradient) moves the cost by
# far more.
TRAJECTORY_RTOL = 1e-10
