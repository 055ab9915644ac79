"""Graph passes of the exact engine's preprocessing, in C.

The graph is a Structure's after :func:`slosim.engines._preprocess.reduce`:
leaves ``0..L-1``, gate ``g`` is node ``L + g`` with kind ``ops[g]``
(series, parallel, k-of-n or negation, the Structure's codes), ``ks[g]``
children needed up, and its children ``kids[g]``, earlier nodes. Constant
children are ``UP`` and ``DOWN`` (negative).

:func:`optimize_kids` is the loop of
:func:`slosim.engines._preprocess.optimize` (which documents the
rewritings and simplifies the result).
"""

from libc.stdint cimport int8_t, int64_t

import numpy as np

cimport numpy as cnp

cnp.import_array()

__all__ = ["optimize_kids", "UP", "DOWN"]

# The Structure's gate kinds (slosim.model.SERIES, ...).
cdef enum:
    SERIES = 0
    PARALLEL = 1
    K_OF_N = 2
    NOT = 3

#: Constant children while the graph is rewritten.
UP = -2
DOWN = -1

cdef enum:
    C_UP = -2
    C_DOWN = -1
    UNKNOWN = -1     # a node's forced value: -1 unknown, 0 down, 1 up


cdef class _Graph:
    """The rewritable graph: kids in CSR with appended children chained in
    a pool; parents in CSR (as given)."""

    cdef int64_t L, G, N
    cdef int64_t[::1] op, k, ptr, idx, extra_head, extra_next, extra_val
    cdef int64_t n_extra
    cdef int64_t[::1] par_ptr, par_idx
    cdef int8_t[::1] forced, is_out

    def __init__(self, int64_t L, list ops, list ks, list kids, list outputs):
        cdef int64_t g, c, M = 0, i, n
        cdef list ks_
        self.L, self.G = L, len(ops)
        self.N = L + self.G
        self.op = np.asarray(ops, dtype=np.int64)
        self.k = np.asarray(ks, dtype=np.int64)
        for ks_ in kids:
            M += len(ks_)
        self.ptr = np.empty(self.G + 1, dtype=np.int64)
        self.idx = np.empty(M, dtype=np.int64)
        cdef int64_t[::1] counts = np.zeros(self.N + 1, dtype=np.int64)
        M = 0
        self.ptr[0] = 0
        for g in range(self.G):
            for c in kids[g]:
                self.idx[M] = c
                counts[c + 1] += 1
                M += 1
            self.ptr[g + 1] = M
        self.extra_head = np.full(self.G, -1, dtype=np.int64)
        self.extra_next = np.empty(M + 1, dtype=np.int64)
        self.extra_val = np.empty(M + 1, dtype=np.int64)
        self.n_extra = 0
        # parents, in CSR
        for n in range(self.N):
            counts[n + 1] += counts[n]
        self.par_ptr = counts
        cdef int64_t[::1] fill = np.array(counts[:self.N], dtype=np.int64)
        self.par_idx = np.empty(M, dtype=np.int64)
        for g in range(self.G):
            for i in range(self.ptr[g], self.ptr[g + 1]):
                c = self.idx[i]
                self.par_idx[fill[c]] = L + g
                fill[c] += 1
        self.forced = np.full(self.N, UNKNOWN, dtype=np.int8)
        self.is_out = np.zeros(self.N, dtype=np.int8)
        for c in outputs:
            self.is_out[c] = 1

    cdef inline void tally(self, int64_t c, int64_t* up, int64_t* down) noexcept nogil:
        if c == C_UP or (c >= 0 and self.forced[c] == 1):
            up[0] += 1
        elif c == C_DOWN or (c >= 0 and self.forced[c] == 0):
            down[0] += 1

    cdef int value(self, int64_t g) noexcept nogil:
        """Gate g's value from its children's forced values and constants:
        1 up, 0 down, -1 undecided."""
        cdef int64_t i, e, n, up = 0, down = 0, need
        n = self.ptr[g + 1] - self.ptr[g]
        for i in range(self.ptr[g], self.ptr[g + 1]):
            self.tally(self.idx[i], &up, &down)
        e = self.extra_head[g]
        while e >= 0:
            self.tally(self.extra_val[e], &up, &down)
            n += 1
            e = self.extra_next[e]
        if self.op[g] == NOT:
            return -1 if up + down == 0 else (1 if down else 0)
        need = n if self.op[g] == SERIES else (1 if self.op[g] == PARALLEL else self.k[g])
        if up >= need:
            return 1
        if down > n - need:
            return 0
        return -1

    cdef void replace(self, int64_t g, int64_t x, int64_t const) noexcept nogil:
        """Child x of gate g becomes the constant."""
        cdef int64_t i, e
        for i in range(self.ptr[g], self.ptr[g + 1]):
            if self.idx[i] == x:
                self.idx[i] = const
        e = self.extra_head[g]
        while e >= 0:
            if self.extra_val[e] == x:
                self.extra_val[e] = const
            e = self.extra_next[e]

    cdef void append(self, int64_t g, int64_t x) noexcept nogil:
        cdef int64_t e = self.n_extra
        self.n_extra += 1
        self.extra_val[e] = x
        self.extra_next[e] = self.extra_head[g]
        self.extra_head[g] = e

    def kids(self):
        """Each gate's children now (lists), appended ones last."""
        cdef list out = [], ks_
        cdef int64_t g, e, i, n
        for g in range(self.G):
            ks_ = [self.idx[i] for i in range(self.ptr[g], self.ptr[g + 1])]
            e = self.extra_head[g]
            n = len(ks_)
            while e >= 0:
                ks_.insert(n, self.extra_val[e])
                e = self.extra_next[e]
            out.append(ks_)
        return out


cdef void _dominators(_Graph gr, int64_t[::1] idom, int64_t[::1] depth) noexcept nogil:
    """Immediate dominator of each node towards the outputs; the root (the
    virtual node above the outputs) is N; -1 when unreached. Nodes in
    reverse topological order, Cooper, Harvey and Kennedy's intersection."""
    cdef int64_t N = gr.N, root = gr.N, n, i, p, d, a, b
    for n in range(N + 1):
        idom[n] = -1
        depth[n] = 0
    idom[root] = root
    n = N - 1
    while n >= 0:
        d = root if gr.is_out[n] else -1
        for i in range(gr.par_ptr[n], gr.par_ptr[n + 1]):
            p = gr.par_idx[i]
            if idom[p] < 0:
                continue
            if d < 0:
                d = p
                continue
            a, b = d, p
            while a != b:
                if depth[a] > depth[b]:
                    a = idom[a]
                elif depth[b] > depth[a]:
                    b = idom[b]
                else:
                    a, b = idom[a], idom[b]
            d = a
        if d >= 0:
            idom[n] = d
            depth[n] = depth[d] + 1
        n -= 1


cdef inline int64_t _enqueue(int64_t p, int64_t* heap, int64_t n_heap, int8_t* queued,
                             int64_t* qlog, int64_t* n_q) noexcept nogil:
    """Push gate p on the binary min-heap (n_heap entries) unless it was
    queued already (logged in qlog); the heap's new size."""
    cdef int64_t j = n_heap
    if queued[p]:
        return n_heap
    queued[p] = 1
    qlog[n_q[0]] = p
    n_q[0] += 1
    while j > 0 and heap[(j - 1) // 2] > p:
        heap[j] = heap[(j - 1) // 2]
        j = (j - 1) // 2
    heap[j] = p
    return n_heap + 1


def optimize_kids(int64_t L, list ops, list ks, list kids, list outputs, bint decompose=True):
    """The rewritten children of every gate (lists, constants ``UP`` and
    ``DOWN`` among them), or None when nothing changed.

    For each shared node ``x`` in topological order and each value ``v``:
    the gates ``x = v`` alone decides, by propagation up from ``x``; with
    ``decompose``, each decided parallel (series) gate that ``x`` up
    (down) decides and that has an undecided parent or is an output takes
    ``x`` as a child of its own, and the parents of ``x`` it dominates
    take the constant ``not v``; then each remaining parent that ``x = v``
    does not decide, below a decided dominator, takes the constant too.
    """
    cdef _Graph gr = _Graph(L, ops, ks, kids, outputs)
    cdef int64_t N = gr.N, root = gr.N
    cdef int64_t[::1] idom = np.empty(N + 1, dtype=np.int64)
    cdef int64_t[::1] depth = np.empty(N + 1, dtype=np.int64)
    _dominators(gr, idom, depth)
    # x's parents (a working copy), the forced nodes in order, the heap
    cdef int64_t[::1] par = np.empty(2 * len(gr.par_idx) + 2, dtype=np.int64)
    cdef int64_t[::1] order = np.empty(N + 1, dtype=np.int64)
    cdef int64_t[::1] heap = np.empty(N + 1, dtype=np.int64)
    cdef int8_t[::1] queued = np.zeros(N, dtype=np.int8)
    cdef int64_t[::1] qlog = np.empty(N + 1, dtype=np.int64)
    cdef int64_t n_q
    cdef int64_t x, i, j, n_par, n_forced, n_heap, g, t, D, P, d, absorbing, const
    cdef int v, val, any_decided, below, changed = 0, has_d
    with nogil:
        for x in range(N):
            n_par = gr.par_ptr[x + 1] - gr.par_ptr[x]
            if n_par < 2 or idom[x] < 0:
                continue
            for i in range(n_par):
                par[i] = gr.par_idx[gr.par_ptr[x] + i]
            for v in range(1, -1, -1):
                if n_par < 2:
                    break
                # nothing to gain unless x = v decides a parent
                gr.forced[x] = v
                any_decided = 0
                for i in range(n_par):
                    if gr.value(par[i] - L) >= 0:
                        any_decided = 1
                        break
                if not any_decided:
                    gr.forced[x] = UNKNOWN
                    continue
                # propagate x = v up, smallest gate first (a binary heap)
                n_forced, n_heap, n_q = 1, 0, 0
                order[0] = x
                for i in range(n_par):
                    n_heap = _enqueue(par[i], &heap[0], n_heap, &queued[0], &qlog[0], &n_q)
                while n_heap:
                    g = heap[0]
                    n_heap -= 1
                    t = heap[n_heap]
                    j = 0
                    while 2 * j + 1 < n_heap:
                        i = 2 * j + 1
                        if i + 1 < n_heap and heap[i + 1] < heap[i]:
                            i += 1
                        if heap[i] >= t:
                            break
                        heap[j] = heap[i]
                        j = i
                    heap[j] = t
                    val = gr.value(g - L)
                    if val < 0:
                        continue
                    gr.forced[g] = val
                    order[n_forced] = g
                    n_forced += 1
                    for i in range(gr.par_ptr[g], gr.par_ptr[g + 1]):
                        n_heap = _enqueue(gr.par_idx[i], &heap[0], n_heap, &queued[0],
                                          &qlog[0], &n_q)
                const = C_DOWN if v else C_UP
                absorbing = PARALLEL if v else SERIES
                if decompose:
                    # the highest destinations first (forced in increasing order)
                    for t in range(n_forced - 1, 0, -1):
                        D = order[t]
                        if gr.forced[D] != v or gr.op[D - L] != absorbing:
                            continue
                        has_d = gr.is_out[D]
                        for i in range(gr.par_ptr[D], gr.par_ptr[D + 1]):
                            if gr.forced[gr.par_idx[i]] == UNKNOWN:
                                has_d = 1
                                break
                        if not has_d:
                            continue
                        below = 0
                        has_d = 0
                        j = 0
                        for i in range(n_par):
                            P = par[i]
                            if P == D:
                                has_d = 1
                            else:
                                d = P
                                while d < D and d >= 0:
                                    d = idom[d]
                                if d == D:
                                    gr.replace(P - L, x, const)
                                    below += 1
                                    continue
                            par[j] = P
                            j += 1
                        n_par = j
                        if not below:
                            continue
                        if not has_d:
                            gr.append(D - L, x)
                            par[n_par] = D
                            n_par += 1
                        changed = 1
                # redundant parents
                j = 0
                for i in range(n_par):
                    P = par[i]
                    if gr.forced[P] == UNKNOWN:
                        d = idom[P]
                        while d != root and d >= 0 and gr.forced[d] == UNKNOWN:
                            d = idom[d]
                        if d != root and d >= 0:
                            gr.replace(P - L, x, const)
                            changed = 1
                            continue
                    par[j] = P
                    j += 1
                n_par = j
                # reset
                for t in range(n_forced):
                    gr.forced[order[t]] = UNKNOWN
                for t in range(n_q):
                    queued[qlog[t]] = 0
    if not changed:
        return None
    return gr.kids()
