"""Compiled data-augmentation Gibbs sampler for the LCMCR model (numbers in, numbers out).

Manrique-Vallier, D. (2016). Bayesian population size estimation using Dirichlet process mixtures.
*Biometrics* 72(4), 1246–1254.

Data: P observed patterns x_p ∈ {0,1}^J with counts c_p, n = Σ c_p.  K latent classes, λ_jk ~ Beta(1,1),
V_k ~ Beta(1, α), π_k = V_k ∏_{l<k}(1 − V_l), V_K = 1, α ~ Gamma(a_α, rate b_α), p(N) ∝ 1/N.  One sweep:

1. m_p· ~ Multinomial(c_p, w_pk ∝ π_k ∏_j λ_jk^x_pj (1 − λ_jk)^(1−x_pj)) for every observed pattern;
2. q_k = ∏_j (1 − λ_jk), p0 = Σ_k π_k q_k; n0 ~ NegBin(n, 1 − p0); u ~ Multinomial(n0, ∝ π_k q_k);
2b. (optional, ``collapsed_moves`` > 0) Metropolis–Hastings moves on the unobserved class counts u with λ and
    the sticks V integrated out, targeting
        p(u | m, α) ∝ Γ(N) / ∏_k u_k! · ∏_{k<K} B(1 + n_k, α + Σ_{l>k} n_l) · ∏_{j,k} B(1 + s_jk, 1 + f_jk + u_k),
    with N = n + Σ_k u_k, n_k = Σ_p m_pk + u_k, s_jk = Σ_p m_pk x_pj and f_jk = Σ_p m_pk (1 − x_pj).  It follows
    from the complete-data likelihood N!/(∏ m_pk! ∏ u_k!) ∏ (π_k φ_pk)^{m_pk} ∏ (π_k q_k)^{u_k}, the prior 1/N,
    λ_jk ~ Beta(1,1) and V_k ~ Beta(1, α) integrated out.  Followed by the exact draws of λ and V in steps 3–4 it is
    a partially collapsed Gibbs step (van Dyk & Park 2008): it moves N without waiting for λ and π, whose
    coupling with the unseen count is what makes plain data augmentation mix slowly;
3. λ_jk ~ Beta(1 + s_jk, 1 + f_jk + u_k);
4. V_k ~ Beta(1 + n_k, α + Σ_{l>k} n_l), k < K, with n_k = Σ_p m_pk + u_k;
5. α ~ Gamma(a_α + K − 1, rate b_α − Σ_{k<K} log(1 − V_k)).

Cost per sweep is O(P·K·J) in the observed patterns only.  Randomness comes only from one
``numpy.random.Generator`` per chain, so a chain's draws depend on its own seed and nothing else: not on the
number of threads, nor on which other chains or strata run beside it.
"""

from __future__ import annotations

import math
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numba import njit

__all__ = ["LCMCRSettings", "sample_lcmcr", "sample_lcmcr_batch"]

_TINY = 1e-300
_V_MAX = 1.0 - 1e-12


@dataclass(frozen=True)
class LCMCRSettings:
    """Sampler settings shared by every problem of a batch."""

    K: int = 10
    a_alpha: float = 0.25
    b_alpha: float = 0.25
    burn_in: int = 10_000
    n_draws: int = 1_000
    thinning: int = 10
    keep_traces: bool = False
    collapsed_n0: bool = True
    collapsed_moves: int = 5
    step_scale: float = 5.0

    @property
    def sweeps_per_chain(self) -> int:
        return self.burn_in + self.n_draws * self.thinning


_CATEGORICAL_BELOW = 12


@njit(nogil=True, cache=True)
def _multinomial_into(gen, total, weights, order, out):
    """out[k] = Multinomial(total, weights / Σ weights), visiting classes in ``order`` (largest first).

    Conditional binomials for the big classes; once few individuals remain, each is placed by one uniform draw
    (categorical search), which is cheaper than a binomial per remaining class.  Both are exact.
    """
    K = weights.shape[0]
    rest = 0.0
    for k in range(K):
        out[k] = 0
        rest += weights[k]
    remaining = total
    i = 0
    while i < K - 1 and remaining >= _CATEGORICAL_BELOW:
        k = order[i]
        w = weights[k]
        i += 1
        if w <= 0.0:
            continue
        p = w / rest
        if p >= 1.0:
            out[k] += remaining
            return
        draw = gen.binomial(remaining, p)
        out[k] += draw
        remaining -= draw
        rest -= w
        if rest <= 0.0:
            out[k] += remaining
            return
    if remaining <= 0:
        return
    if i == K - 1:
        out[order[K - 1]] += remaining
        return
    for _ in range(remaining):
        target = gen.random() * rest
        acc = 0.0
        chosen = order[K - 1]
        for ii in range(i, K):
            k = order[ii]
            acc += weights[k]
            if target < acc:
                chosen = k
                break
        out[chosen] += 1


@njit(nogil=True, cache=True)
def _log_target_delta(k, d, n_k, alpha, N_old, s, m_k, u_k):
    """log p(u' | m, α) − log p(u | m, α) when u_k changes by d (λ and the sticks V integrated out).

    Terms: Γ(N)/∏ u_k! (multinomial with prior 1/N), the stick-breaking marginal
    ∏_{l<K} B(1 + n_l, α + T_l) with T_l = Σ_{r>l} n_r, and ∏_j B(1 + s_jk, 1 + f_jk + u_k).
    """
    K = n_k.shape[0]
    J = s.shape[0]
    delta = math.lgamma(N_old + d) - math.lgamma(N_old)
    delta -= math.lgamma(u_k + d + 1.0) - math.lgamma(u_k + 1.0)
    # sticks: classes l < k see their tail T_l change by d; class k sees n_k change by d
    tail = 0.0
    for r in range(k + 1, K):
        tail += n_k[r]
    if k < K - 1:
        nk = n_k[k]
        delta += math.lgamma(1.0 + nk + d) - math.lgamma(1.0 + nk)
        delta -= math.lgamma(1.0 + alpha + nk + d + tail) - math.lgamma(1.0 + alpha + nk + tail)
    tail += n_k[k]
    for l in range(k - 1, -1, -1):
        nl = n_k[l]
        delta += math.lgamma(alpha + tail + d) - math.lgamma(alpha + tail)
        delta -= math.lgamma(1.0 + alpha + nl + tail + d) - math.lgamma(1.0 + alpha + nl + tail)
        tail += nl
    # λ integrated out: Beta(1 + s_jk, 1 + f_jk + u_k), f_jk = m_k − s_jk
    for j in range(J):
        a = 1.0 + s[j, k]
        b_old = 1.0 + (m_k[k] - s[j, k]) + u_k
        b_new = b_old + d
        delta += math.lgamma(b_new) - math.lgamma(b_old) - math.lgamma(a + b_new) + math.lgamma(a + b_old)
    return delta


@njit(nogil=True, cache=True)
def _run_chain(
    gen,
    X,
    counts,
    K,
    a_alpha,
    b_alpha,
    burn_in,
    n_draws,
    thinning,
    collapsed_moves,
    step_scale,
    keep_traces,
    out_N,
    out_alpha,
    out_pi,
    out_lambda,
    accept_out,
):
    P, J = X.shape
    n = 0
    for p in range(P):
        n += counts[p]

    # ---- state
    lam = np.empty((J, K))
    log_lam = np.empty((J, K))
    log_1m_lam = np.empty((J, K))
    V = np.empty(K)
    pi = np.empty(K)
    log_pi = np.empty(K)
    u = np.zeros(K, dtype=np.int64)
    m_k = np.zeros(K, dtype=np.int64)
    s = np.zeros((J, K), dtype=np.int64)
    weights = np.empty(K)
    draw_k = np.zeros(K, dtype=np.int64)
    q = np.empty(K)
    n_k = np.zeros(K, dtype=np.int64)
    order = np.arange(K)
    step = np.ones(K)
    u_sum_burn = np.zeros(K)
    n_burn_acc = 0

    # ---- initial values: λ uniform, π from the prior with α = a/b
    alpha = a_alpha / b_alpha
    for j in range(J):
        for k in range(K):
            lam[j, k] = gen.uniform(0.05, 0.95)
    remaining = 1.0
    for k in range(K):
        if k < K - 1:
            V[k] = min(gen.beta(1.0, alpha + 1.0), _V_MAX)
        else:
            V[k] = 1.0
        pi[k] = V[k] * remaining
        remaining *= 1.0 - V[k]

    accepted = 0
    proposed = 0
    total_sweeps = burn_in + n_draws * thinning
    kept = 0
    for sweep in range(total_sweeps):
        # log λ, log(1 − λ), log π
        for j in range(J):
            for k in range(K):
                lj = lam[j, k]
                if lj < _TINY:
                    lj = _TINY
                log_lam[j, k] = math.log(lj)
                log_1m_lam[j, k] = math.log1p(-lam[j, k]) if lam[j, k] < 1.0 else math.log(_TINY)
        for k in range(K):
            log_pi[k] = math.log(pi[k]) if pi[k] > _TINY else math.log(_TINY)

        # 1. class counts of observed patterns
        for k in range(K):
            m_k[k] = 0
            for j in range(J):
                s[j, k] = 0
        for p in range(P):
            best = -np.inf
            for k in range(K):
                acc = log_pi[k]
                for j in range(J):
                    if X[p, j]:
                        acc += log_lam[j, k]
                    else:
                        acc += log_1m_lam[j, k]
                weights[k] = acc
                if acc > best:
                    best = acc
            for k in range(K):
                weights[k] = math.exp(weights[k] - best)
            _multinomial_into(gen, counts[p], weights, order, draw_k)
            for k in range(K):
                d = draw_k[k]
                if d:
                    m_k[k] += d
                    for j in range(J):
                        if X[p, j]:
                            s[j, k] += d

        # 2. unobserved count and its classes
        p0 = 0.0
        for k in range(K):
            acc = 0.0
            for j in range(J):
                acc += log_1m_lam[j, k]
            q[k] = math.exp(acc)
            weights[k] = pi[k] * q[k]
            p0 += weights[k]
        if p0 > 1.0 - 1e-15:
            p0 = 1.0 - 1e-15
        n0 = gen.negative_binomial(n, 1.0 - p0) if p0 > 0.0 else 0
        _multinomial_into(gen, n0, weights, order, u)

        # 2b. partially collapsed MH moves on u (λ and V integrated out; α, m fixed)
        if collapsed_moves > 0:
            N_cur = n + n0
            sel_total = 0.0
            for k in range(K):
                n_k[k] = m_k[k] + u[k]
                sel_total += m_k[k] + 1.0
            for _move in range(collapsed_moves):
                # class chosen with probability ∝ m_k + 1: depends only on what the move conditions on
                r = gen.random() * sel_total
                k = K - 1
                cum = 0.0
                for kk in range(K):
                    cum += m_k[kk] + 1.0
                    if r < cum:
                        k = kk
                        break
                d = int(np.rint(gen.normal(0.0, step[k])))
                if d == 0:
                    d = 1 if gen.random() < 0.5 else -1
                proposed += 1
                if u[k] + d < 0:
                    continue
                delta = _log_target_delta(k, d, n_k, alpha, float(N_cur), s, m_k, float(u[k]))
                if math.log(gen.random() + 1e-300) < delta:
                    u[k] += d
                    n_k[k] += d
                    N_cur += d
                    n0 += d
                    accepted += 1
            if sweep < burn_in:
                # proposal scale tuned during burn-in only, then frozen (keeps the kernel time-homogeneous)
                if sweep >= burn_in // 2:
                    for k in range(K):
                        u_sum_burn[k] += u[k]
                    n_burn_acc += 1
                if sweep == burn_in - 1 and n_burn_acc > 0:
                    for k in range(K):
                        step[k] = max(1.0, step_scale * math.sqrt(u_sum_burn[k] / n_burn_acc + 1.0))
                elif sweep < burn_in - 1:
                    for k in range(K):
                        step[k] = max(1.0, step_scale * math.sqrt(u[k] + 1.0))

        # 3. λ | m, u
        for k in range(K):
            tot = m_k[k] + u[k]
            for j in range(J):
                if tot == 0:
                    lam[j, k] = gen.random()  # Beta(1, 1)
                else:
                    lam[j, k] = gen.beta(1.0 + s[j, k], 1.0 + tot - s[j, k])

        # 4. V, π | class totals
        for k in range(K):
            n_k[k] = m_k[k] + u[k]
        tail = 0
        for k in range(K - 1, -1, -1):
            nk = n_k[k]
            if k < K - 1:
                V[k] = min(gen.beta(1.0 + nk, alpha + tail), _V_MAX)
            tail += nk
        V[K - 1] = 1.0
        order[:] = np.argsort(-n_k, kind="mergesort")  # biggest classes first for the next multinomials
        remaining = 1.0
        log_sum = 0.0
        for k in range(K):
            pi[k] = V[k] * remaining
            remaining *= 1.0 - V[k]
            if k < K - 1:
                log_sum += math.log1p(-V[k])

        # 5. α | V
        rate = b_alpha - log_sum
        alpha = gen.gamma(a_alpha + K - 1.0, 1.0 / rate)
        if alpha < 1e-10:
            alpha = 1e-10

        # keep
        if sweep >= burn_in and (sweep - burn_in + 1) % thinning == 0:
            out_N[kept] = n + n0
            out_alpha[kept] = alpha
            if keep_traces:
                for k in range(K):
                    out_pi[kept, k] = pi[k]
                    for j in range(J):
                        out_lambda[kept, j, k] = lam[j, k]
            kept += 1
    accept_out[0] = accepted
    accept_out[1] = proposed


def _chain_job(args):
    gen, X, counts, settings, moves = args
    K = settings.K
    out_N = np.empty(settings.n_draws, dtype=np.int64)
    out_alpha = np.empty(settings.n_draws)
    if settings.keep_traces:
        out_pi = np.empty((settings.n_draws, K))
        out_lambda = np.empty((settings.n_draws, X.shape[1], K))
    else:
        out_pi = np.empty((0, K))
        out_lambda = np.empty((0, X.shape[1], K))
    accept = np.zeros(2, dtype=np.int64)
    start = time.perf_counter()
    _run_chain(
        gen, X, counts, K, settings.a_alpha, settings.b_alpha, settings.burn_in, settings.n_draws,
        settings.thinning, moves, settings.step_scale, settings.keep_traces,
        out_N, out_alpha, out_pi, out_lambda, accept,
    )
    return out_N, out_alpha, out_pi, out_lambda, accept, time.perf_counter() - start


def _check_problem(patterns: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    X = np.ascontiguousarray(patterns, dtype=np.uint8)
    c = np.ascontiguousarray(counts, dtype=np.int64)
    if X.ndim != 2 or c.ndim != 1 or X.shape[0] != c.shape[0]:
        raise ValueError(f"patterns must be (P, J) and counts (P,), got {X.shape} and {c.shape}")
    if c.sum() <= 0:
        raise ValueError("no observed records")
    return X, c


def sample_lcmcr_batch(
    problems: list[tuple[np.ndarray, np.ndarray]],
    settings: LCMCRSettings,
    generators: list[list[np.random.Generator]],
    n_threads: int | None = None,
) -> list[dict[str, object]]:
    """Run every chain of every problem; return per problem a dict of arrays shaped (chain, draw, ...).

    ``generators[i]`` holds one Generator per chain of problem i.  Chains are independent jobs spread over
    ``n_threads`` threads (default: all cores) running the compiled, GIL-free kernel; each job uses only its own
    Generator, so the draws are identical whatever the thread count or order.
    Returned keys: ``N`` (int64), ``alpha``, optionally ``pi`` and ``lambda`` (with ``keep_traces``),
    ``accept_rate`` of the collapsed moves, ``seconds`` (summed chain CPU-seconds) and ``sweeps``.
    """
    if len(problems) != len(generators):
        raise ValueError(f"{len(problems)} problems but {len(generators)} generator lists")
    moves = settings.collapsed_moves if settings.collapsed_n0 else 0
    jobs = []
    index = []
    for i, ((patterns, counts), gens) in enumerate(zip(problems, generators, strict=True)):
        X, c = _check_problem(patterns, counts)
        for chain, gen in enumerate(gens):
            jobs.append((gen, X, c, settings, moves))
            index.append((i, chain))
    threads = n_threads if n_threads is not None else (os.cpu_count() or 1)
    if threads <= 1 or len(jobs) == 1:
        outputs = [_chain_job(job) for job in jobs]
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            outputs = list(pool.map(_chain_job, jobs))
    results: list[dict[str, object]] = []
    for i, gens in enumerate(generators):
        chain_outputs = [outputs[j] for j, (pi_, _c) in enumerate(index) if pi_ == i]
        accepted = sum(int(o[4][0]) for o in chain_outputs)
        proposed = sum(int(o[4][1]) for o in chain_outputs)
        result: dict[str, object] = {
            "N": np.stack([o[0] for o in chain_outputs]),
            "alpha": np.stack([o[1] for o in chain_outputs]),
            "accept_rate": accepted / proposed if proposed else float("nan"),
            "seconds": float(sum(o[5] for o in chain_outputs)),
            "sweeps": settings.sweeps_per_chain * len(gens),
        }
        if settings.keep_traces:
            result["pi"] = np.stack([o[2] for o in chain_outputs])
            result["lambda"] = np.stack([o[3] for o in chain_outputs])
        results.append(result)
    return results


def sample_lcmcr(
    patterns: np.ndarray,
    counts: np.ndarray,
    settings: LCMCRSettings,
    generators: list[np.random.Generator],
    n_threads: int | None = None,
) -> dict[str, object]:
    """One problem, several chains (one Generator each)."""
    return sample_lcmcr_batch([(patterns, counts)], settings, [generators], n_threads=n_threads)[0]
