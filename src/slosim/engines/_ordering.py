"""Variable orders for the decision diagrams of :func:`slosim.exact`.

The size of a reduced ordered BDD depends on the variable order, often
exponentially, and no one cheap rule suits every model. The orders here
work on a model's :class:`~slosim.model.Structure` as a graph (leaves
``0..L-1``, its basic events, then gates, each with its children):

* :func:`given`: leaves in depth-first pre-order from the outputs, children
  as given, but each component's shocks just before it: the order in which
  :meth:`Model.walk <slosim.Model.walk>` meets the basic events, a common
  cause before what it hits.
* :func:`depth_first`: leaves in depth-first pre-order from the outputs,
  children visited as given, or sorted by a key (stable, so ties keep the
  given order). As given, it keeps a redundant group's components adjacent
  and puts a shared component at its first use: near linear diagrams for
  service graphs and PRA-style fault trees, whose authors list children in
  a meaningful order.
* :func:`force`: the FORCE heuristic (Aloul, Markov and Sakallah, 2003):
  every node of the graph moves to the mean of the centres of gravity of
  the gates it belongs to (a gate with its children), repeatedly, from a
  depth-first start. It pulls the uses of a shared event together, which
  unstructured fault trees need.

All return ``rank``: ``rank[leaf]`` is the leaf's level in the diagram, a
permutation of ``0..L-1``.
"""

import numpy as np

from .._core import _graphs

__all__ = ["Graph", "given", "depth_first", "force", "candidates"]


class Graph:
    """The lowered graph: ``L`` leaves, gates ``L..L+G-1``, their children.

    Parameters
    ----------
    n_leaves : int
        Leaves are nodes ``0..n_leaves-1``.
    child_ptr, child_idx : array_like of int
        Gate ``g`` (node ``n_leaves + g``) has children
        ``child_idx[child_ptr[g]:child_ptr[g + 1]]``, each an earlier node.
    outputs : sequence of int
        Nodes whose diagrams are wanted (the journeys), in order.
    n_components : int, optional
        Leaves ``0..n_components-1`` are components, the rest shocks
        (default: all are components).
    """

    def __init__(self, n_leaves, child_ptr, child_idx, outputs, n_components=None):
        self.n_leaves = int(n_leaves)
        self.n_components = self.n_leaves if n_components is None else int(n_components)
        self.child_ptr = np.asarray(child_ptr, dtype=np.int64)
        self.child_idx = np.asarray(child_idx, dtype=np.int64)
        self.outputs = [int(o) for o in outputs]
        self.n_gates = len(self.child_ptr) - 1
        self._kids = None
        self._support = None

    @property
    def kids(self):
        """Children of each gate, as lists (made on first use)."""
        if self._kids is None:
            ptr, idx = self.child_ptr.tolist(), self.child_idx.tolist()
            self._kids = [idx[ptr[g]:ptr[g + 1]] for g in range(self.n_gates)]
        return self._kids

    @property
    def n_nodes(self):
        return self.n_leaves + self.n_gates

    def size(self):
        """Leaves, gates and edges: the graph size budgets scale with."""
        return self.n_nodes + len(self.child_idx)

    def support_sizes(self):
        """Distinct leaves below each node (1 for a leaf)."""
        if self._support is None:
            self._support = _graphs.support_sizes(self.n_leaves, self.child_ptr,
                                                  self.child_idx).tolist()
        return self._support


def given(graph):
    """Leaves depth-first from the outputs, children as given, shocks first.

    :func:`depth_first` with the children of each gate visited shocks
    first (stable): a component hit by shocks is a gate over its own
    event and its shocks, so each shock comes just before the first
    component it hits, and otherwise the order is the model's own.

    Returns
    -------
    numpy.ndarray of int32
        ``rank[leaf]``.
    """
    key = np.ones(graph.n_nodes, dtype=np.int64)
    key[graph.n_components:graph.n_leaves] = 0
    return depth_first(graph, key=key)


def depth_first(graph, key=None):
    """Leaves in depth-first pre-order from the outputs.

    Parameters
    ----------
    graph : Graph
    key : array_like of int or callable, optional
        Children of a gate are visited sorted by ``key[child]`` (or
        ``key(child)``; integers), stably; as given without one.

    Returns
    -------
    numpy.ndarray of int32
        ``rank[leaf]``: the leaf's position in the order (in C:
        :func:`slosim._core._graphs.depth_first`).
    """
    if callable(key):
        key = [key(n) for n in range(graph.n_nodes)]
    if key is not None:
        key = np.ascontiguousarray(key, dtype=np.int64)
    rank = _graphs.depth_first(graph.n_leaves, graph.child_ptr, graph.child_idx,
                               graph.outputs, key)
    _complete(rank, int(np.count_nonzero(rank >= 0)))
    return rank


def force(graph, start, iterations=20):
    """The FORCE order, iterated from the leaf order ``start`` (a rank).

    Nodes start in depth-first pre-order (leaves in the order ``start``
    gives, each gate just before its first leaf); each iteration puts every
    gate's hyperedge (the gate and its children) at the mean position of
    its nodes, then every node at the mean of its hyperedges' centres, and
    renumbers the nodes by these positions (stable). In C:
    :func:`slosim._core._graphs.force`.

    Returns
    -------
    numpy.ndarray of int32
        ``rank[leaf]``.
    """
    return _graphs.force(graph.n_leaves, graph.child_ptr, graph.child_idx,
                         np.ascontiguousarray(start, dtype=np.int32), iterations)


def candidates(graph):
    """The orders :func:`slosim.exact` tries, as ``(name, make_rank)`` pairs.

    The first, ``"given"`` (:func:`given`), is tried alone first, the
    others only when it needs many more nodes than the graph has.
    ``make_rank()`` computes the order (most are never needed).
    """
    def sized(sign):
        def make():
            return depth_first(graph, key=sign * np.asarray(graph.support_sizes()))
        return make

    def forced(sign):
        def make():
            start = depth_first(graph) if sign == 0 else sized(sign)()
            return force(graph, start)
        return make

    return [
        ("given", lambda: given(graph)),
        ("largest-first", sized(-1)),
        ("smallest-first", sized(1)),
        ("force", forced(0)),
        ("force-largest-first", forced(-1)),
    ]


def _complete(rank, nxt):
    """Give leaves no output reaches the last levels, in index order."""
    missing = np.flatnonzero(rank < 0)
    rank[missing] = np.arange(nxt, nxt + len(missing), dtype=np.int32)
