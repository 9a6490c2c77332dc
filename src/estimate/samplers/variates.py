"""Random variates for the compiled samplers, built from a ``numpy.random.Generator``'s own bit stream.

Numba compiles ``Generator.beta``, ``.gamma``, ``.standard_normal`` and ``.negative_binomial`` as separate
functions that take the Generator object, and every such call updates its reference count atomically; in the
LCMCR sweep, with a few hundred variates per sweep, that bookkeeping cost more than the arithmetic (≈ 20% of the
kernel's time in a profile).  Here the Generator's bit generator is read once per chain (:func:`rng_handle`: its
state address and its ``next_double`` / ``next_uint64`` functions, plain integers) and every variate is made from
that stream — the stream ``Generator.random()`` itself reads, so a chain's draws still depend on its own seeded
Generator only.  The Generator object must outlive the handle (the kernel holds it as an argument).

Algorithms (all exact up to floating-point rounding).  ``log(1 − U)`` stands for ``log1p(−U)`` throughout: for U
on the 2^-53 grid of ``Generator.random()``, 1 − U is exact, and ``log`` costs a third of ``log1p`` here.

- standard normal: ziggurat with 256 layers (Marsaglia, G. & Tsang, W. W. 2000, "The ziggurat method for
  generating random variables", J. Stat. Softw. 5(8)), 52-bit magnitudes, exact tail beyond r = 3.654…;
- Gamma(a): Marsaglia, G. & Tsang, W. W. (2000), "A simple method for generating gamma variables", ACM TOMS 26(3),
  with G(a) = G(a + 1)·U^{1/a} for a < 1;
- Beta(a, b): inverse CDF when a or b is 1, otherwise X/(X + Y) with X ~ Gamma(a), Y ~ Gamma(b);
- Binomial(n, p): inversion for n·min(p, 1 − p) < 10, otherwise Hörmann's BTRS (Hörmann, W. 1993, "The
  generation of binomial random variates", J. Stat. Comput. Simul. 46);
- Poisson(μ): multiplication of uniforms for μ < 10, otherwise Hörmann's PTRS (Hörmann, W. 1993, "The
  transformed rejection method for generating Poisson random variables", Insurance Math. Econom. 12);
- NegativeBinomial(n, p) (failures before the n-th success): Poisson(Gamma(n)·(1 − p)/p);
- Multinomial(total, w): categorical draws for small totals, conditional binomials otherwise.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from estimate._user_caches import ensure_writable_caches

ensure_writable_caches()  # before the first @njit(cache=True) below: it fails where numba has nowhere to write

__all__ = [
    "beta",
    "binomial",
    "multinomial",
    "negative_binomial",
    "order_by_decreasing",
    "poisson",
    "random_bits",
    "rng_handle",
    "stick_beta",
    "standard_gamma",
    "standard_normal",
    "uniform",
]

# no 'nnan'/'ninf': the samplers' under/overflow guards rely on IEEE semantics
FASTMATH = {"contract", "arcp", "nsz"}
CATEGORICAL_PER_CLASS = 1  # below this many remaining individuals per class left: one uniform each
# totals below this many individuals per class skip the sort and the binomials: one uniform each (measured
# on 60 simulated 5-list strata: 6.6 → 5.7 µs per sweep; break-even between 1 and 5 per class)
SMALL_TOTAL_PER_CLASS = 2
# BTRS's exact acceptance test for |k − mode| up to this many steps: f(k)/f(mode) as a product of that many pmf
# ratios instead of four logarithms (Kachitvichyanukul & Schmeiser's BTPE evaluates it the same way)
BTRS_RECURSION_STEPS = 16


# ----------------------------------------------------------------------------------------------------------
# the bit stream


@intrinsic
def rng_handle(typingctx, generator):
    """(state address, next_double address, next_uint64 address) of a Generator's bit generator, as integers."""
    if not isinstance(generator, types.NumPyRandomGeneratorType):
        return None
    bit_generator_type = types.NumPyRandomBitGeneratorType("bit_generator")

    def codegen(context, builder, signature, args):
        gen = cgutils.create_struct_proxy(generator)(context, builder, value=args[0])
        bits = cgutils.create_struct_proxy(bit_generator_type)(context, builder, value=gen.bit_generator)
        values = (bits.state, bits.fnptr_next_double, bits.fnptr_next_uint64)
        return context.make_tuple(builder, signature.return_type, values)

    return types.UniTuple(types.uintp, 3)(generator), codegen


def _call_bit_generator(return_type: ir.Type, slot: int):
    def codegen(context, builder, signature, args):
        state = builder.extract_value(args[0], 0)
        address = builder.extract_value(args[0], slot)
        function_type = ir.FunctionType(return_type, (context.get_value_type(types.uintp),))
        return builder.call(builder.inttoptr(address, function_type.as_pointer()), (state,))

    return codegen


@intrinsic
def uniform(typingctx, handle):
    """Next double in [0, 1) (53 random bits), exactly what ``Generator.random()`` would return."""
    return types.float64(handle), _call_bit_generator(ir.DoubleType(), 1)


@intrinsic
def random_bits(typingctx, handle):
    """Next 64 random bits."""
    return types.uint64(handle), _call_bit_generator(ir.IntType(64), 2)


@intrinsic
def sqrt(typingctx, x):
    """Square root as the CPU's instruction (``llvm.sqrt``, correctly rounded).  numba compiles ``math.sqrt``
    to a call into libm unless fastmath may assume no NaNs (libm sets errno for x < 0); the variates take
    square roots of positive numbers only, where both give the same bits."""
    if not isinstance(x, types.Float):
        return None

    def codegen(context, builder, signature, args):
        function = builder.module.declare_intrinsic("llvm.sqrt", [args[0].type])
        return builder.call(function, args)

    return x(x), codegen


# ----------------------------------------------------------------------------------------------------------
# normal, gamma, beta


def _ziggurat_tables(layers: int = 256, r: float = 3.6541528853610088, v: float = 0.00492867323399):
    """Marsaglia & Tsang (2000) tables: right edges x_i (w = x_i / 2^52), f(x_i) and acceptance thresholds k_i.

    Layer 0 is the base strip (a rectangle of area v up to r plus the tail beyond r); layer i ≥ 1 spans
    [0, x_i] × [f(x_i), f(x_{i−1})] with x_{layers−1} = r decreasing to x_1; a point with |x| below the next
    narrower edge is accepted at once (k_i), otherwise the wedge (or, in layer 0, the tail) test decides.
    """
    scale = 2.0**52
    k = np.zeros(layers, dtype=np.uint64)
    w = np.zeros(layers)
    f = np.zeros(layers)
    q = v / math.exp(-0.5 * r * r)
    k[0] = np.uint64((r / q) * scale)
    w[0] = q / scale
    w[layers - 1] = r / scale
    f[0] = 1.0
    f[layers - 1] = math.exp(-0.5 * r * r)
    edge = upper = r
    for i in range(layers - 2, 0, -1):
        edge = math.sqrt(-2.0 * math.log(v / edge + math.exp(-0.5 * edge * edge)))
        k[i + 1] = np.uint64((edge / upper) * scale)
        upper = edge
        f[i] = math.exp(-0.5 * edge * edge)
        w[i] = edge / scale
    return k, w, f, r


_ZIG_K, _ZIG_W, _ZIG_F, _ZIG_R = _ziggurat_tables()


@njit(nogil=True, cache=True, fastmath=FASTMATH)
def standard_normal(rh) -> float:
    """Normal(0, 1) by the ziggurat: one 64-bit word (layer: 8 bits, sign: 1, magnitude: 52) in ≈ 99% of draws."""
    while True:
        bits = random_bits(rh)
        layer = bits & np.uint64(0xFF)
        negative = (bits >> np.uint64(8)) & np.uint64(1)
        magnitude = bits >> np.uint64(12)
        x = float(magnitude) * _ZIG_W[layer]
        if negative:
            x = -x
        if magnitude < _ZIG_K[layer]:
            return x
        if layer == 0:  # tail beyond r (Marsaglia 1964)
            while True:
                xx = -math.log(1.0 - uniform(rh)) / _ZIG_R
                yy = -math.log(1.0 - uniform(rh))
                if yy + yy > xx * xx:
                    return -(_ZIG_R + xx) if negative else _ZIG_R + xx
        elif (_ZIG_F[layer - 1] - _ZIG_F[layer]) * uniform(rh) + _ZIG_F[layer] < math.exp(-0.5 * x * x):
            return x


# inlined at numba's level: the Betas of the sweep call it twice each, and as a call it cost ≈ 3% of a plain sweep
@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always")
def _gamma_at_least_one(rh, a: float) -> float:
    d = a - 1.0 / 3.0
    c = 1.0 / sqrt(9.0 * d)
    while True:
        while True:
            x = standard_normal(rh)
            v = 1.0 + c * x
            if v > 0.0:
                break
        v = v * v * v
        u = uniform(rh)
        x2 = x * x
        if u < 1.0 - 0.0331 * x2 * x2:  # squeeze
            return d * v
        if math.log(u) < 0.5 * x2 + d * (1.0 - v + math.log(v)):
            return d * v


@njit(nogil=True, cache=True, fastmath=FASTMATH)
def standard_gamma(rh, a: float) -> float:
    """Gamma(a, 1), a > 0 (Marsaglia & Tsang 2000; a < 1 through G(a + 1)·U^{1/a}, U uniform on (0, 1])."""
    if a >= 1.0:
        return _gamma_at_least_one(rh, a)
    boost = math.exp(math.log(1.0 - uniform(rh)) / a)
    return _gamma_at_least_one(rh, a + 1.0) * boost


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always")
def beta(rh, a: float, b: float) -> float:
    """Beta(a, b), a, b > 0: exact inverse CDF when a or b is 1, else X/(X + Y) with X ~ Γ(a), Y ~ Γ(b)."""
    if a == 1.0:
        if b == 1.0:
            return uniform(rh)
        return -math.expm1(math.log(1.0 - uniform(rh)) / b)  # 1 − (1 − U)^{1/b}
    if b == 1.0:
        return math.exp(math.log(1.0 - uniform(rh)) / a)  # (1 − U)^{1/a}
    x = standard_gamma(rh, a)
    return x / (x + standard_gamma(rh, b))


#: b = 1 exactly: log V = log(1 − U)/a is held at or below −2^-60, so that 1 − V and its logarithm stay positive and
#: finite (it moves only draws with U < a·2^-60: a uniform of 0, probability 2^-53, and nothing else in practice)
_STICK_LOG_FLOOR = 2.0**-60


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always")
def stick_beta(rh, a: float, b: float):
    """V ~ Beta(a, b) for a ≥ 1, returned as (V, 1 − V, log(1 − V)) with 1 − V and its logarithm accurate however
    close V is to 1 (the stick-breaking weights of LCMCR: b = α + Σ_{l>k} n_l falls far below 1 when α is small and
    the later classes are empty, and 1 − V then lies below 1e-300 with real probability).

    The same variates as :func:`beta`, in the same order: a = 1 by inversion, 1 − V = (1 − U)^{1/b}; b = 1 by
    inversion, V = (1 − U)^{1/a}; else X/(X + Y) with X ~ Γ(a), Y ~ Γ(b) — Y for b < 1 as Γ(b + 1)·U^{1/b}, whose
    logarithm is kept, so that log(1 − V) = log Y − log(X + Y) is exact even where Y underflows.  (1 − V itself may
    then be 0: only its logarithm enters the α update.)"""
    if a == 1.0:
        if b == 1.0:
            u = uniform(rh)
            return u, 1.0 - u, math.log(1.0 - u)
        log_w = math.log(1.0 - uniform(rh)) / b
        return -math.expm1(log_w), math.exp(log_w), log_w
    if b == 1.0:
        log_v = min(math.log(1.0 - uniform(rh)) / a, -_STICK_LOG_FLOOR)
        w = -math.expm1(log_v)
        return math.exp(log_v), w, math.log(w)
    x = standard_gamma(rh, a)
    if b >= 1.0:
        y = _gamma_at_least_one(rh, b)
        log_y = math.log(y) if y <= 1e-290 else 0.0  # only needed for a Y that small
    else:
        log_boost = math.log(1.0 - uniform(rh)) / b
        g = _gamma_at_least_one(rh, b + 1.0)
        y = g * math.exp(log_boost)
        log_y = math.log(g) + log_boost
    total = x + y
    if y > 1e-290:
        w = y / total
        return x / total, w, math.log(w)
    return x / total, y / total, log_y - math.log(x)  # log(y/(x + y)) = log y − log x − log1p(y/x), y/x < 1e-290


# ----------------------------------------------------------------------------------------------------------
# counts


_RECIPROCAL = np.array([0.0] + [1.0 / x for x in range(1, 64)])
_STIRLING_TAIL = np.array(
    [
        0.0810614667953272,
        0.0413406959554092,
        0.0276779256849983,
        0.02079067210376509,
        0.0166446911898211,
        0.0138761288230707,
        0.0118967099458917,
        0.0104112652619720,
        0.00925546218271273,
        0.00833056343336287,
    ]
)


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always")
def _stirling_tail(k: float) -> float:
    """log k! − [(k + ½) log(k + 1) − (k + 1) + ½ log 2π] (Stirling remainder), exact table below 10."""
    if k <= 9.0:
        return _STIRLING_TAIL[int(k)]
    kp1sq = (k + 1.0) * (k + 1.0)
    return (1.0 / 12.0 - (1.0 / 360.0 - 1.0 / 1260.0 / kp1sq) / kp1sq) / (k + 1.0)


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always")
def binomial(rh, n: int, p: float) -> int:
    """Binomial(n, p) (exact).

    n·min(p, 1 − p) < 10: sequential inversion (as numpy).  Otherwise Hörmann's BTRS transformed rejection
    with squeeze (Hörmann, W. 1993, "The generation of binomial random variates", J. Stat. Comput. Simul. 46),
    about 2.3 uniforms per draw and no set-up tables, roughly 3× faster than numpy's BTPE for the
    one-off (n, p) pairs of the conditional-binomial multinomials.  A candidate the squeeze does not accept is
    tested against f(k)/f(mode) exactly: within ``BTRS_RECURSION_STEPS`` of the mode as a product of pmf ratios
    (as BTPE does; the usual case for the means of 10–100 of the LCMCR sweep, where the squeeze accepts only
    half the candidates), farther out with Hörmann's logarithmic bound (Stirling remainders).
    """
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    flip = p > 0.5
    r = 1.0 - p if flip else p
    q = 1.0 - r
    nf = float(n)
    mean = nf * r
    odds = r / q
    if mean < 10.0:
        U = uniform(rh)
        if U <= 1.0 - mean:  # P(X = 0) = (1 − r)^n ≥ 1 − n·r (Bernoulli's inequality): X = 0 without exp/log
            return n if flip else 0
        # log q, not log1p(−r) (≈ 4 ns against ≈ 14): q = 1 − r is rounded by at most 2^-53, which moves
        # P(X = 0) by a relative n·2^-53 at most
        qn = math.exp(nf * math.log(q))
        bound = min(nf, mean + 35.0)  # P(X > mean + 35) < 1e-13 for mean < 10: a restart guard only
        x = 0
        px = qn
        while U > px:
            x += 1
            if x > bound:
                x = 0
                px = qn
                U = uniform(rh)
            else:
                U -= px
                # P(x)/P(x − 1) = (n − x + 1)/x · r/q; 1/x from a table (a division in the loop's critical path)
                px *= odds * (n - x + 1) * (_RECIPROCAL[x] if x < _RECIPROCAL.shape[0] else 1.0 / x)
    else:
        spq = sqrt(mean * q)
        b = 1.15 + 2.53 * spq
        a = -0.0873 + 0.0248 * b + 0.01 * r
        c = mean + 0.5
        v_r = 0.92 - 4.2 / b
        alpha = (2.83 + 5.1 / b) * spq
        mf = math.floor((nf + 1.0) * r)
        while True:
            u = uniform(rh) - 0.5
            v = uniform(rh)
            us = 0.5 - abs(u)
            kf = math.floor((2.0 * a / us + b) * u + c)
            if kf < 0.0 or kf > nf:
                continue
            if us >= 0.07 and v <= v_r:
                break
            v *= alpha / (a / (us * us) + b)  # accept iff v ≤ f(k)/f(m), f the Binomial(n, r) pmf
            steps = kf - mf
            if abs(steps) <= BTRS_RECURSION_STEPS:
                # f(k)/f(m) as a product of pmf ratios f(i)/f(i − 1) = (n − i + 1)/i · r/q: no logarithms,
                # numerator and denominator kept apart so that no division sits in the loop
                num = 1.0
                den = 1.0
                if steps > 0.0:
                    i = mf + 1.0
                    while i <= kf:
                        num *= (nf - i + 1.0) * odds
                        den *= i
                        i += 1.0
                else:
                    i = kf + 1.0
                    while i <= mf:
                        num *= i
                        den *= (nf - i + 1.0) * odds
                        i += 1.0
                if v * den <= num:
                    break
                continue
            v = math.log(v)
            bound = (
                (mf + 0.5) * math.log((mf + 1.0) / (odds * (nf - mf + 1.0)))
                + (nf + 1.0) * math.log((nf - mf + 1.0) / (nf - kf + 1.0))
                + (kf + 0.5) * math.log(odds * (nf - kf + 1.0) / (kf + 1.0))
                + _stirling_tail(mf)
                + _stirling_tail(nf - mf)
                - _stirling_tail(kf)
                - _stirling_tail(nf - kf)
            )
            if v <= bound:
                break
        x = int(kf)
    return n - x if flip else x


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always")
def order_by_decreasing(values, K, seq) -> None:
    """seq[0:K] = indices 0..K−1 by decreasing values[i], ties in index order (insertion sort; K is small)."""
    for i in range(K):
        value = values[i]
        t = i - 1
        while t >= 0 and values[seq[t]] < value:
            seq[t + 1] = seq[t]
            t -= 1
        seq[t + 1] = i


@njit(nogil=True, cache=True, fastmath=FASTMATH, inline="always")
def _place_each(rh, count, w, seq, start, K, weight, natural, out) -> None:
    """Place ``count`` individuals with one uniform each among the classes at positions start..K−1 — in index
    order if ``natural``, else in the order ``seq`` — with probabilities w / ``weight`` (``weight`` = their sum).
    A target beyond the last cumulative sum (rounding) goes to the last class scanned."""
    last = K - 1 if natural else seq[K - 1]
    for _ in range(count):
        target = uniform(rh) * weight
        chosen = last
        cum = 0.0
        for position in range(start, K):
            k = position if natural else seq[position]
            cum += w[k]
            if target < cum:
                chosen = k
                break
        out[chosen] += 1


@njit(nogil=True, cache=True, fastmath=FASTMATH)
def multinomial(rh, total, w, K, seq, sfx, out, sort):
    """out = Multinomial(total, w / Σ w), exact.

    Totals below ``SMALL_TOTAL_PER_CLASS`` × K: one uniform per individual (categorical draws; most observed
    patterns of a small stratum take this path).  Larger totals: conditional binomials, classes visited by
    decreasing weight.  With ``sort`` the visiting order ``seq`` is recomputed (insertion sort by weight);
    otherwise the caller's.

    Suffix sums make every conditional probability w_k / Σ_{not yet visited} w exact up to rounding.  Once the
    remaining count is small relative to the classes left, each remaining individual is placed with one
    uniform (categorical search over the sorted weights), exact and cheaper than one binomial per class;
    the loop stops as soon as nobody is left.
    """
    for k in range(K):
        out[k] = 0
    if total <= 0:
        return
    if total < SMALL_TOTAL_PER_CLASS * K:
        # few individuals: one uniform each, classes scanned in their natural (stick-breaking) order, which
        # is roughly by decreasing weight already; no sort, no binomials
        tot = 0.0
        for k in range(K):
            tot += w[k]
        _place_each(rh, total, w, seq, 0, K, tot, True, out)
        return
    if sort:
        order_by_decreasing(w, K, seq)
    acc = 0.0
    for t in range(K - 1, -1, -1):
        acc += w[seq[t]]
        sfx[t] = acc
    remaining = total
    for t in range(K - 1):
        k = seq[t]
        rest = sfx[t]
        if rest <= 0.0:
            out[k] += remaining  # degenerate weights: cannot happen for valid input
            return
        if remaining < CATEGORICAL_PER_CLASS * (K - t):
            _place_each(rh, remaining, w, seq, t, K, rest, False, out)
            return
        p = w[k] / rest
        if p >= 1.0:
            out[k] += remaining
            return
        if p > 0.0:
            x = binomial(rh, remaining, p)
            out[k] += x
            remaining -= x
            if remaining == 0:
                return
    out[seq[K - 1]] += remaining


@njit(nogil=True, cache=True, fastmath=FASTMATH)
def poisson(rh, mu: float) -> int:
    """Poisson(μ): product of uniforms for μ < 10, else Hörmann's PTRS transformed rejection (≈ 2.3 uniforms)."""
    if not mu > 0.0:
        return 0
    if mu < 10.0:
        limit = math.exp(-mu)
        x = 0
        product = uniform(rh)
        while product > limit:
            x += 1
            product *= uniform(rh)
        return x
    sqrt_mu = sqrt(mu)
    log_mu = math.log(mu)
    b = 0.931 + 2.53 * sqrt_mu
    a = -0.059 + 0.02483 * b
    log_inv_alpha = math.log(1.1239 + 1.1328 / (b - 3.4))
    v_r = 0.9277 - 3.6224 / (b - 2.0)
    while True:
        u = uniform(rh) - 0.5
        v = uniform(rh)
        us = 0.5 - abs(u)
        k = math.floor((2.0 * a / us + b) * u + mu + 0.43)
        if us >= 0.07 and v <= v_r:
            return int(k)
        if k < 0.0 or (us < 0.013 and v > us):
            continue
        if math.log(v) + log_inv_alpha - math.log(a / (us * us) + b) <= -mu + k * log_mu - math.lgamma(k + 1.0):
            return int(k)


@njit(nogil=True, cache=True, fastmath=FASTMATH)
def negative_binomial(rh, n: float, p: float) -> int:
    """Failures before the n-th success with success probability p ∈ (0, 1]: Poisson(Gamma(n)·(1 − p)/p)."""
    if n <= 0 or p >= 1.0:
        return 0
    return poisson(rh, standard_gamma(rh, n) * (1.0 - p) / p)
