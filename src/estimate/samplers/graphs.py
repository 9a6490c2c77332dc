"""Decomposable (chordal) graphs on a few vertices, with their cliques and separators.

Numbers in, numbers out: vertices are ``0 .. J-1`` and a vertex set is an integer bit mask (bit ``j`` set when
vertex ``j`` belongs to it), so a marginal table of a J-way contingency table is addressed by the mask of the
lists it keeps.

A graph is decomposable iff it is chordal (every cycle of length ≥ 4 has a chord).  Maximum cardinality search
(Tarjan & Yannakakis 1984) orders the vertices v_1, …, v_J so that, for a chordal graph, the earlier neighbours
pa(v_i) of every v_i form a complete set; the maximal cliques are the maximal sets {v_i} ∪ pa(v_i), and ordering
them by their last vertex gives a perfect sequence C_1, …, C_k (running-intersection property) whose separators
are S_k = C_k ∩ (C_1 ∪ … ∪ C_{k-1}).  Between connected components the separator is the empty set; it is kept in
:attr:`DecomposableGraph.separators`, and contributes nothing to a marginal likelihood (the empty marginal table
is the single total count).

Counts: 8, 61 and 822 decomposable graphs on 3, 4 and 5 labelled vertices (OEIS A058862).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cache

import numpy as np

__all__ = [
    "MAX_VERTICES",
    "DecomposableGraph",
    "maximum_cardinality_order",
    "is_chordal",
    "decomposable_graphs",
    "clique_separator_coefficients",
    "mask_members",
]

#: 2^(J(J−1)/2) edge sets are enumerated: 1,024 for J = 5, 32,768 for J = 6 (which has 18,154 decomposable graphs).
MAX_VERTICES = 6


def mask_members(mask: int) -> tuple[int, ...]:
    """Vertices in a bit mask, ascending."""
    return tuple(j for j in range(mask.bit_length()) if mask >> j & 1)


@dataclass(frozen=True)
class DecomposableGraph:
    """One decomposable graph: its edges and a perfect sequence of cliques with their separators (bit masks)."""

    n_vertices: int
    edges: tuple[tuple[int, int], ...]
    cliques: tuple[int, ...]
    separators: tuple[int, ...]

    def clique_members(self) -> list[tuple[int, ...]]:
        return [mask_members(c) for c in self.cliques]

    def separator_members(self) -> list[tuple[int, ...]]:
        """Non-empty separators as vertex tuples (empty ones, between components, are left out)."""
        return [mask_members(s) for s in self.separators if s]


def _adjacency(n_vertices: int, edges: tuple[tuple[int, int], ...]) -> list[int]:
    adjacent = [0] * n_vertices
    for a, b in edges:
        adjacent[a] |= 1 << b
        adjacent[b] |= 1 << a
    return adjacent


def maximum_cardinality_order(n_vertices: int, edges: tuple[tuple[int, int], ...]) -> list[int]:
    """Maximum cardinality search order (ties broken by the smallest vertex)."""
    adjacent = _adjacency(n_vertices, edges)
    numbered = 0
    order: list[int] = []
    for _ in range(n_vertices):
        best = max((v for v in range(n_vertices) if not numbered >> v & 1),
                   key=lambda v: (bin(adjacent[v] & numbered).count("1"), -v))
        order.append(best)
        numbered |= 1 << best
    return order


def _families(n_vertices: int, edges: tuple[tuple[int, int], ...]) -> tuple[list[int], list[int]] | None:
    """(order, [mask of {v_i} ∪ pa(v_i)]) for a chordal graph, None if the graph is not chordal."""
    adjacent = _adjacency(n_vertices, edges)
    order = maximum_cardinality_order(n_vertices, edges)
    earlier = 0
    families: list[int] = []
    for v in order:
        parents = adjacent[v] & earlier
        for u in mask_members(parents):  # the earlier neighbours must be pairwise adjacent
            if (parents & ~(1 << u)) & ~adjacent[u]:
                return None
        families.append(parents | 1 << v)
        earlier |= 1 << v
    return order, families


def is_chordal(n_vertices: int, edges: tuple[tuple[int, int], ...]) -> bool:
    """True if the graph has no chordless cycle of length ≥ 4 (i.e. it is decomposable)."""
    return _families(n_vertices, edges) is not None


def _decompose(n_vertices: int, edges: tuple[tuple[int, int], ...]) -> DecomposableGraph | None:
    found = _families(n_vertices, edges)
    if found is None:
        return None
    _, families = found
    # A family is a maximal clique unless a later family contains it; kept in order of their last vertex.
    cliques = [f for i, f in enumerate(families) if not any(f & g == f for g in families[i + 1:])]
    separators: list[int] = []
    covered = cliques[0]
    for clique in cliques[1:]:
        separators.append(clique & covered)
        covered |= clique
    return DecomposableGraph(n_vertices, edges, tuple(cliques), tuple(separators))


@cache
def decomposable_graphs(n_vertices: int) -> tuple[DecomposableGraph, ...]:
    """All decomposable graphs on ``n_vertices`` labelled vertices, sparsest first.

    Ordered by number of edges, then by the edge list, so index 0 is the empty graph (independent lists) and the
    last one the complete graph (the saturated model).
    """
    if not 1 <= n_vertices <= MAX_VERTICES:
        raise ValueError(f"decomposable graphs are enumerated for 1 to {MAX_VERTICES} vertices, got {n_vertices}")
    pairs = list(itertools.combinations(range(n_vertices), 2))
    graphs: list[DecomposableGraph] = []
    for size in range(len(pairs) + 1):
        for edges in itertools.combinations(pairs, size):
            graph = _decompose(n_vertices, edges)
            if graph is not None:
                graphs.append(graph)
    return tuple(graphs)


@cache
def clique_separator_coefficients(n_vertices: int) -> np.ndarray:
    """Matrix ``K`` (graphs × 2^J, int8): +1 per clique, −1 per separator, indexed by vertex-set mask.

    For any function f of vertex sets, ``K @ f`` gives Σ_C f(C) − Σ_S f(S) for every graph at once; with f the
    log marginal likelihood of the marginal tables, this is the log marginal likelihood of each decomposable
    model.  The read-only result is cached.
    """
    graphs = decomposable_graphs(n_vertices)
    matrix = np.zeros((len(graphs), 1 << n_vertices), dtype=np.int8)
    for g, graph in enumerate(graphs):
        for clique in graph.cliques:
            matrix[g, clique] += 1
        for separator in graph.separators:
            matrix[g, separator] -= 1
    matrix.setflags(write=False)
    return matrix
