"""The event kernel of the timeline engine: journeys' error ratios over time.

Mechanism only: :func:`slosim.engines.timeline` validates the model, parses
durations, allocates every output and owns the random streams; this module
runs the runs of one chunk, one after the other, on the chunk's own bit
generator, with the GIL released.

One run is a discrete-event simulation over ``[0, horizon)``:

* Each basic event ``e`` has an error ratio ``x_e(t)``: 1 while it is in a
  down time of its alternating renewal process (if it has one);
  otherwise ``1 - prod_c (1 - r_c) ** n_c(t)`` over its incident classes
  ``c`` (error ratio ``r_c``, ``n_c(t)`` incidents of the class in
  progress; 0 when none is). An event with no behaviour over time keeps
  the constant ``ev_const[e]``.
* A gate needing ``k`` of its ``n`` children fails the share of requests
  that fewer than ``k`` children serve, each child ``i`` serving
  independently with probability ``1 - x_i`` (Poisson-binomial): a series
  gate (``k = n``) is ``1 - prod(1 - x_i)``, a parallel one (``k = 1``)
  ``prod(x_i)``. Each gate counts its children with ``x > 0`` and with
  ``x == 1``: with 0/1 ratios these counts alone give its value, exactly
  the structure function.
* An event heap holds the next transition of every renewal process, the
  next arrival of every incident class and the end of every incident in
  progress. After each change only the changed event's ancestors are
  recomputed, in topological order, and only while their value changes.
* Journeys are reduced on the fly: integrals per calendar window, level
  crossings, impairment episodes, attribution to the impaired events, the
  rolling window's maximum and time over budget; whole paths are stored
  only for the runs asked for.

Random order, per run: the start state (events in order: for a renewal
process, one uniform then the residual of the current phase; then for
each class of the event, a Poisson count and the residual of each
incident in progress, then the first arrival), then the events in time
order (a renewal transition draws the next phase's length; an arrival
draws the next inter-arrival time, then the new incident's duration; an
incident's end draws nothing). Request counts (Poisson traffic) are drawn
by the engine from another stream, so paths do not depend on traffic.

Duration kinds (``DIST_*``) and their parameters ``(a, b, c)``:
exponential ``(mean, -, -)``, Weibull ``(shape, scale, 1 / shape)``,
lognormal ``(mu, sigma, -)``, fixed ``(value, -, -)``. The equilibrium
(residual) draw of a stationary start is the length-biased draw times an
independent uniform: exponential, the same exponential; fixed ``d``,
``U d``; lognormal, ``U exp(mu + sigma**2 + sigma Z)``; Weibull,
``U scale G**(1 / shape)`` with ``G ~ Gamma(1 + 1 / shape)``.
"""

from cpython.pycapsule cimport PyCapsule_GetPointer, PyCapsule_IsValid
from libc.math cimport INFINITY, NAN, exp, expm1, log1p, pow
from libc.stdint cimport int8_t, int64_t, uint8_t
from libc.stdlib cimport calloc, free, malloc, realloc
from libc.string cimport memcpy, memmove, memset
from numpy.random cimport bitgen_t
from numpy.random.c_distributions cimport (random_poisson, random_standard_exponential,
                                           random_standard_gamma, random_standard_normal)

import numpy as np

DIST_EXPONENTIAL = 0
DIST_WEIBULL = 1
DIST_LOGNORMAL = 2
DIST_FIXED = 3

#: Integrals within TOL * window of a level count as at the level: a level
#: is reached, and the rolling window not above the budget. Rounding then
#: does not decide a stretch spent exactly at the budget (fixed durations
#: make such plateaus: 8 incidents of 3 h at 0.4 are 10 % of 4 days).
TOL = 1e-9

# run_chunk's status codes
OK = 0
TOO_MANY_EVENTS = 1

cdef enum:
    C_EXP = 0
    C_WEIBULL = 1
    C_LOGNORMAL = 2
    C_FIXED = 3


cdef struct Model:
    int64_t E                   # basic events
    int64_t G                   # gates
    int64_t J                   # journeys
    int64_t L                   # crossing levels
    int64_t n_windows
    double horizon
    double window
    double tol                  # 1e-9 window: integrals within it of a level are at it
    bint stationary
    bint rolling
    int64_t max_events
    const int8_t *dist_kind     # (D,) DIST_* of each duration distribution
    const double *dist_a        # (D,) first parameter (see the module notes)
    const double *dist_b        # (D,) second parameter
    const double *dist_c        # (D,) third parameter
    const int64_t *up_dist      # (E,) distribution of up times, -1: no renewal
    const int64_t *down_dist    # (E,) distribution of down times
    const double *p_down        # (E,) E[down] / (E[up] + E[down])
    const double *ev_const      # (E,) error ratio of an event without timing
    const int64_t *cls_ptr      # (E + 1) incident classes of each event
    const double *cls_rate      # (C,) arrivals per second
    const double *cls_load      # (C,) rate * E[duration]: mean number in progress
    const double *cls_err       # (C,) error ratio while in progress
    const int64_t *cls_dist     # (C,) duration distribution
    const int64_t *cls_event    # (C,) the event of each class
    const int64_t *gate_k       # (G,) children that must serve
    const int64_t *child_ptr    # (G + 1)
    const int64_t *child_idx    # children, node numbers
    const int64_t *par_ptr      # (E + G + 1) parent gates of each node
    const int64_t *par_idx      # gate numbers, a gate once per occurrence
    const int64_t *jr_ptr       # (E + G + 1) journeys whose output is the node
    const int64_t *jr_idx
    const int64_t *outputs      # (J,) node of each journey
    const double *levels        # (L,)
    const double *budget        # (J,) (1 - target) * window, < 0 without target


cdef struct Out:
    double *bad                 # (J, n, W)
    int64_t *incidents          # (J, n, W)
    double *crossings           # (J, n, W, L)
    double *mean_ratio          # (J, n)
    double *attribution         # (J, E), added to
    double *worst               # (J, n) or NULL
    double *time_out            # (J, n) or NULL
    int64_t n                   # runs in the chunk


cdef struct Track:
    # A journey's path: breakpoints (t, value from t on, integral up to t).
    double *t
    double *v
    double *cum
    int64_t head                # first entry still needed
    int64_t n                   # entries
    int64_t cap


cdef struct Roll:
    double tau                  # the rolling window's end evaluated so far
    double R                    # its integral at tau
    double worst
    double out                  # time above the budget
    int64_t li                  # entry of the path in force at tau - window
    bint started


cdef struct Entry:
    double t
    int64_t id                  # event e (< E), arrival E + c, end E + C + c


cdef struct Work:
    double *val                 # (E + G) error ratio of every node
    int64_t *n_imp              # (G,) children with x > 0
    int64_t *n_one              # (G,) children with x == 1
    uint8_t *down               # (E,) in a down time
    int64_t *n_prog             # (C,) incidents in progress
    double *dp                  # (max k + 1) k-of-n scratch
    Entry *heap                 # the event heap, 4-ary, earliest first
    int64_t h_n
    int64_t h_cap
    int64_t *d_heap             # dirty gates, a min-heap of gate numbers
    int64_t d_n
    uint8_t *queued             # (G,)
    double *jv                  # (J,) journey error ratio
    double *jt                  # (J,) time up to which it is accumulated
    double *jb                  # (J,) integral in the current window
    double *jtot                # (J,) integral since 0
    double *jcross              # (J, L) crossing times in the current window
    double *snap                # (E, J) journey integrals when the event got impaired
    Track *track                # (J,)
    Roll *roll                  # (J,)
    bint tracking
    bint keeping                # this run's paths are kept
    bint attributing
    int64_t w                   # current window
    int64_t run                 # run within the chunk
    int64_t C


# --- random durations ------------------------------------------------------

cdef inline double draw(bitgen_t *bg, const Model *m, int64_t d) noexcept nogil:
    cdef int8_t kind = m.dist_kind[d]
    if kind == C_EXP:
        return m.dist_a[d] * random_standard_exponential(bg)
    if kind == C_WEIBULL:
        return m.dist_b[d] * pow(random_standard_exponential(bg), m.dist_c[d])
    if kind == C_LOGNORMAL:
        return exp(m.dist_a[d] + m.dist_b[d] * random_standard_normal(bg))
    return m.dist_a[d]


cdef inline double draw_residual(bitgen_t *bg, const Model *m, int64_t d) noexcept nogil:
    """The remaining length of a phase in progress at a stationary time."""
    cdef int8_t kind = m.dist_kind[d]
    cdef double x
    if kind == C_EXP:
        return m.dist_a[d] * random_standard_exponential(bg)
    if kind == C_WEIBULL:
        x = m.dist_b[d] * pow(random_standard_gamma(bg, 1.0 + m.dist_c[d]), m.dist_c[d])
    elif kind == C_LOGNORMAL:
        x = exp(m.dist_a[d] + m.dist_b[d] * (m.dist_b[d] + random_standard_normal(bg)))
    else:
        x = m.dist_a[d]
    return x * bg.next_double(bg.state)


# --- the event heap ----------------------------------------------------------

cdef int heap_push(Work *w, double t, int64_t id) except -1 nogil:
    cdef int64_t i, p
    cdef void *a
    if w.h_n + 5 >= w.h_cap:
        a = realloc(w.heap, 2 * w.h_cap * sizeof(Entry))
        if a == NULL:
            return -1
        w.heap = <Entry *> a
        for i in range(w.h_cap, 2 * w.h_cap):
            w.heap[i].t = INFINITY
        w.h_cap *= 2
    i = w.h_n
    w.h_n += 1
    while i > 0:
        p = (i - 1) >> 2
        if w.heap[p].t <= t:
            break
        w.heap[i] = w.heap[p]
        i = p
    w.heap[i].t = t
    w.heap[i].id = id
    return 0


cdef inline void heap_sift_down(Work *w, double t, int64_t id) noexcept nogil:
    """Put (t, id) at the top and restore the heap (4-ary: half the levels
    of a binary heap, and a node's children side by side)."""
    cdef int64_t i = 0, c, j, best, n = w.h_n, last
    cdef Entry *h = w.heap
    cdef double bt
    while True:
        c = 4 * i + 1
        if c >= n:
            break
        best = c
        bt = h[c].t
        last = c + 4 if c + 4 <= n else n
        for j in range(c + 1, last):
            if h[j].t < bt:
                best = j
                bt = h[j].t
        if bt >= t:
            break
        h[i] = h[best]
        i = best
    h[i].t = t
    h[i].id = id


cdef inline void heap_pop(Work *w) noexcept nogil:
    cdef Entry last
    w.h_n -= 1
    last = w.heap[w.h_n]
    w.heap[w.h_n].t = INFINITY
    if w.h_n > 0:
        heap_sift_down(w, last.t, last.id)


cdef inline void dirty_push(Work *w, int64_t g) noexcept nogil:
    cdef int64_t i = w.d_n, p
    w.d_n += 1
    while i > 0:
        p = (i - 1) >> 1
        if w.d_heap[p] <= g:
            break
        w.d_heap[i] = w.d_heap[p]
        i = p
    w.d_heap[i] = g


cdef inline int64_t dirty_pop(Work *w) noexcept nogil:
    cdef int64_t top = w.d_heap[0], last, i = 0, c, n
    w.d_n -= 1
    n = w.d_n
    if n > 0:
        last = w.d_heap[n]
        while True:
            c = 2 * i + 1
            if c >= n:
                break
            if c + 1 < n and w.d_heap[c + 1] < w.d_heap[c]:
                c += 1
            if w.d_heap[c] >= last:
                break
            w.d_heap[i] = w.d_heap[c]
            i = c
        w.d_heap[i] = last
    return top


# --- error ratios ---------------------------------------------------------------

cdef inline double event_value(const Model *m, Work *w, int64_t e) noexcept nogil:
    cdef int64_t c, n
    cdef double log_up = 0.0, r, one = 0.0
    if m.up_dist[e] >= 0 and w.down[e]:
        return 1.0
    cdef int64_t active = 0
    for c in range(m.cls_ptr[e], m.cls_ptr[e + 1]):
        n = w.n_prog[c]
        if n > 0:
            r = m.cls_err[c]
            if r >= 1.0:
                return 1.0
            active += n
            one = r
    if active == 0:
        return 0.0
    if active == 1:
        return one
    for c in range(m.cls_ptr[e], m.cls_ptr[e + 1]):
        if w.n_prog[c] > 0:
            log_up += w.n_prog[c] * log1p(-m.cls_err[c])
    return -expm1(log_up)       # 1 - prod (1 - r) ** n, small ratios exact


cdef inline double gate_value(const Model *m, Work *w, int64_t g) noexcept nogil:
    cdef int64_t lo = m.child_ptr[g], hi = m.child_ptr[g + 1]
    cdef int64_t n = hi - lo, k = m.gate_k[g], i, j
    cdef double prod = 1.0, p, x, s
    cdef double *dp
    if n - w.n_imp[g] >= k:
        return 0.0                  # k children surely serve
    if n - w.n_one[g] < k:
        return 1.0                  # fewer than k can serve at all
    if k == n:
        # 1 - prod(1 - x) as s <- s + x (1 - s): no cancellation for small x
        s = 0.0
        for i in range(lo, hi):
            x = w.val[m.child_idx[i]]
            s += x * (1.0 - s)
        return s
    if k == 1:
        for i in range(lo, hi):
            prod *= w.val[m.child_idx[i]]
        return prod
    # P(fewer than k serve): dp[j] = P(j serve so far), dp[k] = P(k or more)
    dp = w.dp
    dp[0] = 1.0
    for j in range(1, k + 1):
        dp[j] = 0.0
    for i in range(lo, hi):
        x = w.val[m.child_idx[i]]
        p = 1.0 - x
        dp[k] += dp[k - 1] * p
        for j in range(k - 1, 0, -1):
            dp[j] = dp[j] * x + dp[j - 1] * p
        dp[0] *= x
    s = 0.0
    for j in range(k):
        s += dp[j]
    return s


# --- journeys -------------------------------------------------------------------

cdef inline double integral_at(Work *w, int64_t j, double t) noexcept nogil:
    return w.jtot[j] + w.jv[j] * (t - w.jt[j])


cdef void flush(const Model *m, Work *w, int64_t j, double t) noexcept nogil:
    """Accumulate journey ``j``'s current error ratio up to ``t``."""
    cdef double dt = t - w.jt[j], v = w.jv[j], inc, lv, b
    cdef int64_t l
    cdef double *cross
    if v > 0.0 and dt > 0.0:
        inc = v * dt
        w.jtot[j] += inc
        if w.w < m.n_windows:
            b = w.jb[j]
            if m.budget[j] >= 0.0:
                cross = w.jcross + j * m.L
                for l in range(m.L):
                    if cross[l] == INFINITY:
                        lv = m.levels[l] * m.budget[j]
                        if b + inc >= lv - m.tol:
                            cross[l] = (w.jt[j] - w.w * m.window) + (
                                (lv - b) / v if lv > b else 0.0)
            w.jb[j] = b + inc
    w.jt[j] = t


cdef int track_push(Track *tr, double t, double v, double I) except -1 nogil:
    cdef void *p
    if tr.n > tr.head and tr.t[tr.n - 1] == t:
        tr.v[tr.n - 1] = v          # two changes at one time: the last holds
        if tr.n - 2 >= tr.head and tr.v[tr.n - 2] == v:
            tr.n -= 1
        return 0
    if tr.n == tr.cap:
        p = realloc(tr.t, 2 * tr.cap * sizeof(double))
        if p == NULL:
            return -1
        tr.t = <double *> p
        p = realloc(tr.v, 2 * tr.cap * sizeof(double))
        if p == NULL:
            return -1
        tr.v = <double *> p
        p = realloc(tr.cum, 2 * tr.cap * sizeof(double))
        if p == NULL:
            return -1
        tr.cum = <double *> p
        tr.cap *= 2
    tr.t[tr.n] = t
    tr.v[tr.n] = v
    tr.cum[tr.n] = I
    tr.n += 1
    return 0


cdef inline void above(Roll *ro, double a, double b, double ra, double rb,
                       double budget) noexcept nogil:
    """Add the time in [a, b] where the linear rolling integral (ra at a, rb
    at b) is above the budget."""
    if ra > budget and rb > budget:
        ro.out += b - a
    elif ra > budget:
        ro.out += (ra - budget) / (ra - rb) * (b - a)
    elif rb > budget:
        ro.out += (rb - budget) / (rb - ra) * (b - a)


cdef void roll_advance(const Model *m, Work *w, int64_t j, double t_to) noexcept nogil:
    """Evaluate journey ``j``'s rolling window up to ``t_to``: the path's
    last entry holds until then. The integral over ``[t - W, t]`` is
    linear between the path's breakpoints and the breakpoints shifted by
    ``W``, so it is evaluated exactly at each."""
    cdef Track *tr = &w.track[j]
    cdef Roll *ro = &w.roll[j]
    cdef double W = m.window, tl, vl, Il, nxt, end, r_end, budget = m.budget[j]
    cdef int64_t li, last
    if t_to <= W:
        return
    last = tr.n - 1
    tl = tr.t[last]
    vl = tr.v[last]
    Il = tr.cum[last]
    if not ro.started:
        ro.started = 1
        ro.tau = W
        ro.R = Il + vl * (W - tl)
        ro.worst = ro.R
        ro.li = tr.head
    while ro.tau < t_to:
        li = ro.li
        nxt = tr.t[li + 1] + W if li + 1 < tr.n else INFINITY
        end = t_to if t_to < nxt else nxt
        r_end = (Il + vl * (end - tl)) - (tr.cum[li] + tr.v[li] * (end - W - tr.t[li]))
        if budget >= 0.0:
            above(ro, ro.tau, end, ro.R, r_end, budget + m.tol)
        if r_end > ro.worst:
            ro.worst = r_end
        ro.tau = end
        ro.R = r_end
        if end == nxt:
            ro.li = li + 1
    if not w.keeping and ro.li - tr.head > 64 and 2 * ro.li > tr.n:
        # drop what the lagging end has passed (the head keeps entry li)
        li = ro.li
        memmove(tr.t, tr.t + li, (tr.n - li) * sizeof(double))
        memmove(tr.v, tr.v + li, (tr.n - li) * sizeof(double))
        memmove(tr.cum, tr.cum + li, (tr.n - li) * sizeof(double))
        tr.n -= li
        ro.li = 0
        tr.head = 0


cdef int journey_change(const Model *m, Work *w, Out *o, int64_t j, double v,
                        double t) except -1 nogil:
    flush(m, w, j, t)
    if w.jv[j] == 0.0 and v > 0.0 and w.w < m.n_windows:
        o.incidents[(j * o.n + w.run) * m.n_windows + w.w] += 1
    if w.tracking:
        if m.rolling:
            roll_advance(m, w, j, t)
        if track_push(&w.track[j], t, v, w.jtot[j]) < 0:
            return -1
    w.jv[j] = v
    return 0


cdef int set_node(const Model *m, Work *w, Out *o, int64_t node, double v,
                  double t) except -1 nogil:
    cdef double old = w.val[node], I
    cdef int64_t i, p, j
    w.val[node] = v
    for i in range(m.par_ptr[node], m.par_ptr[node + 1]):
        p = m.par_idx[i]
        w.n_imp[p] += (v > 0.0) - (old > 0.0)
        w.n_one[p] += (v == 1.0) - (old == 1.0)
        if not w.queued[p]:
            w.queued[p] = 1
            dirty_push(w, p)
    if node < m.E and w.attributing and (old > 0.0) != (v > 0.0):
        for j in range(m.J):
            I = integral_at(w, j, t)
            if v > 0.0:
                w.snap[node * m.J + j] = I
            else:
                o.attribution[j * m.E + node] += I - w.snap[node * m.J + j]
    for i in range(m.jr_ptr[node], m.jr_ptr[node + 1]):
        if journey_change(m, w, o, m.jr_idx[i], v, t) < 0:
            return -1
    return 0


cdef int propagate(const Model *m, Work *w, Out *o, int64_t e, double t) except -1 nogil:
    """Event ``e``'s state changed at ``t``: update it and its ancestors."""
    cdef double v = event_value(m, w, e)
    cdef int64_t g
    if v == w.val[e]:
        return 0
    if set_node(m, w, o, e, v, t) < 0:
        return -1
    while w.d_n > 0:
        g = dirty_pop(w)
        w.queued[g] = 0
        v = gate_value(m, w, g)
        if v != w.val[m.E + g]:
            if set_node(m, w, o, m.E + g, v, t) < 0:
                return -1
    return 0


cdef void window_end(const Model *m, Work *w, Out *o, double t) noexcept nogil:
    """Close window ``w.w`` at time ``t``: write its statistics."""
    cdef int64_t j, l, at, e
    cdef double b, I
    for j in range(m.J):
        flush(m, w, j, t)
        at = (j * o.n + w.run) * m.n_windows + w.w
        b = w.jb[j]
        o.bad[at] = b
        for l in range(m.L):
            o.crossings[at * m.L + l] = w.jcross[j * m.L + l] if m.budget[j] >= 0.0 else NAN
            w.jcross[j * m.L + l] = INFINITY
        w.jb[j] = 0.0
    w.w += 1
    if w.w == m.n_windows and w.attributing:
        for e in range(m.E):
            if w.val[e] > 0.0:
                for j in range(m.J):
                    I = integral_at(w, j, t)
                    o.attribution[j * m.E + e] += I - w.snap[e * m.J + j]
        w.attributing = 0


cdef int one_run(bitgen_t *bg, const Model *m, Work *w, Out *o) except -1 nogil:
    """Simulate run ``w.run`` of the chunk. 0, or 1 past ``max_events``."""
    cdef int64_t E = m.E, C = w.C, e, c, g, i, j, n0, id_, events = 0, _i
    cdef int64_t lo, hi
    cdef double t, next_b, x
    cdef Track *tr

    for i in range(w.h_n):
        w.heap[i].t = INFINITY
    w.h_n = 0
    w.d_n = 0
    w.w = 0
    w.attributing = 1
    # start state
    for e in range(E):
        if m.up_dist[e] >= 0:
            if m.stationary:
                w.down[e] = bg.next_double(bg.state) < m.p_down[e]
                t = draw_residual(bg, m, m.down_dist[e] if w.down[e] else m.up_dist[e])
            else:
                w.down[e] = 0
                t = draw(bg, m, m.up_dist[e])
            if heap_push(w, t, e) < 0:
                return -1
        for c in range(m.cls_ptr[e], m.cls_ptr[e + 1]):
            n0 = random_poisson(bg, m.cls_load[c]) if m.stationary else 0
            w.n_prog[c] = n0
            for _i in range(n0):
                if heap_push(w, draw_residual(bg, m, m.cls_dist[c]), E + C + c) < 0:
                    return -1
            if heap_push(w, random_standard_exponential(bg) / m.cls_rate[c], E + c) < 0:
                return -1
        if m.up_dist[e] >= 0 or m.cls_ptr[e + 1] > m.cls_ptr[e]:
            w.val[e] = event_value(m, w, e)
        else:
            w.val[e] = m.ev_const[e]
    for g in range(m.G):
        lo = m.child_ptr[g]
        hi = m.child_ptr[g + 1]
        w.n_imp[g] = 0
        w.n_one[g] = 0
        for i in range(lo, hi):
            x = w.val[m.child_idx[i]]
            w.n_imp[g] += x > 0.0
            w.n_one[g] += x == 1.0
        w.queued[g] = 0
        w.val[E + g] = gate_value(m, w, g)
    for e in range(E):
        if w.val[e] > 0.0:
            for j in range(m.J):
                w.snap[e * m.J + j] = 0.0
    for j in range(m.J):
        w.jv[j] = w.val[m.outputs[j]]
        w.jt[j] = 0.0
        w.jb[j] = 0.0
        w.jtot[j] = 0.0
        for i in range(m.L):
            w.jcross[j * m.L + i] = INFINITY
        for i in range(m.n_windows):
            o.incidents[(j * o.n + w.run) * m.n_windows + i] = 0
        if w.tracking:
            tr = &w.track[j]
            tr.head = 0
            tr.n = 0
            track_push(tr, 0.0, w.jv[j], 0.0)
            w.roll[j].started = 0
            w.roll[j].out = 0.0

    next_b = m.window
    while True:
        t = w.heap[0].t if w.h_n > 0 else INFINITY
        while w.w < m.n_windows and next_b <= t:
            window_end(m, w, o, next_b)
            next_b = (w.w + 1) * m.window
        if t >= m.horizon:
            break
        events += 1
        if events > m.max_events:
            return 1
        id_ = w.heap[0].id
        if id_ < E:
            e = id_
            w.down[e] = not w.down[e]
            heap_sift_down(w, t + draw(bg, m, m.down_dist[e] if w.down[e] else m.up_dist[e]), e)
        elif id_ < E + C:
            c = id_ - E
            e = m.cls_event[c]
            w.n_prog[c] += 1
            heap_sift_down(w, t + random_standard_exponential(bg) / m.cls_rate[c], id_)
            if heap_push(w, t + draw(bg, m, m.cls_dist[c]), E + C + c) < 0:
                return -1
        else:
            c = id_ - E - C
            e = m.cls_event[c]
            w.n_prog[c] -= 1
            heap_pop(w)
        if propagate(m, w, o, e, t) < 0:
            return -1

    for j in range(m.J):
        flush(m, w, j, m.horizon)
        o.mean_ratio[j * o.n + w.run] = w.jtot[j] / m.horizon
        if m.rolling:
            roll_advance(m, w, j, m.horizon)
            o.worst[j * o.n + w.run] = w.roll[j].worst
            o.time_out[j * o.n + w.run] = w.roll[j].out if m.budget[j] >= 0.0 else NAN
    return 0


cdef void free_work(Work *w, int64_t J) noexcept nogil:
    cdef int64_t j
    free(w.val)
    free(w.n_imp)
    free(w.n_one)
    free(w.down)
    free(w.n_prog)
    free(w.dp)
    free(w.heap)
    free(w.d_heap)
    free(w.queued)
    free(w.jv)
    free(w.jt)
    free(w.jb)
    free(w.jtot)
    free(w.jcross)
    free(w.snap)
    if w.track != NULL:
        for j in range(J):
            free(w.track[j].t)
            free(w.track[j].v)
            free(w.track[j].cum)
        free(w.track)
    free(w.roll)


cdef int alloc_work(Work *w, const Model *m, int64_t C, int64_t max_k) noexcept nogil:
    cdef int64_t N = m.E + m.G, j, cap = 64
    w.C = C
    w.val = <double *> malloc((N + 1) * sizeof(double))
    w.n_imp = <int64_t *> malloc((m.G + 1) * sizeof(int64_t))
    w.n_one = <int64_t *> malloc((m.G + 1) * sizeof(int64_t))
    w.down = <uint8_t *> calloc(m.E + 1, 1)
    w.n_prog = <int64_t *> calloc(C + 1, sizeof(int64_t))
    w.dp = <double *> malloc((max_k + 2) * sizeof(double))
    w.h_cap = 2 * (m.E + 2 * C) + 16
    w.heap = <Entry *> malloc(w.h_cap * sizeof(Entry))
    if w.heap != NULL:
        for j in range(w.h_cap):
            w.heap[j].t = INFINITY
    w.d_heap = <int64_t *> malloc((m.G + 1) * sizeof(int64_t))
    w.queued = <uint8_t *> calloc(m.G + 1, 1)
    w.jv = <double *> malloc((m.J + 1) * sizeof(double))
    w.jt = <double *> malloc((m.J + 1) * sizeof(double))
    w.jb = <double *> malloc((m.J + 1) * sizeof(double))
    w.jtot = <double *> malloc((m.J + 1) * sizeof(double))
    w.jcross = <double *> malloc((m.J * m.L + 1) * sizeof(double))
    w.snap = <double *> malloc((m.E * m.J + 1) * sizeof(double))
    w.track = <Track *> calloc(m.J + 1, sizeof(Track))
    w.roll = <Roll *> calloc(m.J + 1, sizeof(Roll))
    if (w.val == NULL or w.n_imp == NULL or w.n_one == NULL or w.down == NULL
            or w.n_prog == NULL or w.dp == NULL or w.heap == NULL
            or w.d_heap == NULL or w.queued == NULL or w.jv == NULL or w.jt == NULL
            or w.jb == NULL or w.jtot == NULL or w.jcross == NULL or w.snap == NULL
            or w.track == NULL or w.roll == NULL):
        return -1
    for j in range(m.J):
        w.track[j].cap = cap
        w.track[j].t = <double *> malloc(cap * sizeof(double))
        w.track[j].v = <double *> malloc(cap * sizeof(double))
        w.track[j].cum = <double *> malloc(cap * sizeof(double))
        if w.track[j].t == NULL or w.track[j].v == NULL or w.track[j].cum == NULL:
            return -1
    return 0


cdef int run_runs(bitgen_t *bg, const Model *m, Work *w, Out *o, int64_t keep,
                  double **kept_t, double **kept_v, int64_t *kept_n,
                  int64_t *failed) except -1 nogil:
    cdef int64_t r, j, n
    cdef int status
    for r in range(o.n):
        w.run = r
        w.keeping = r < keep
        w.tracking = m.rolling or w.keeping
        status = one_run(bg, m, w, o)
        if status < 0:
            return -1
        if status > 0:
            failed[0] = r
            return 0
        if w.keeping:
            for j in range(m.J):
                n = w.track[j].n
                kept_n[r * m.J + j] = n
                kept_t[r * m.J + j] = <double *> malloc((n + 1) * sizeof(double))
                kept_v[r * m.J + j] = <double *> malloc((n + 1) * sizeof(double))
                if kept_t[r * m.J + j] == NULL or kept_v[r * m.J + j] == NULL:
                    return -1
                memcpy(kept_t[r * m.J + j], w.track[j].t, n * sizeof(double))
                memcpy(kept_v[r * m.J + j], w.track[j].v, n * sizeof(double))
    return 0


def _parents(int64_t n_nodes, child_ptr, child_idx):
    """Parent gates of every node (CSR), each once per occurrence."""
    ptr = np.asarray(child_ptr, dtype=np.int64)
    kids = np.asarray(child_idx, dtype=np.int64)
    gate = np.repeat(np.arange(len(ptr) - 1, dtype=np.int64), np.diff(ptr))
    order = np.argsort(kids, kind="stable")
    par_ptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.add.at(par_ptr, kids + 1, 1)
    return np.cumsum(par_ptr), np.ascontiguousarray(gate[order])


def run_chunk(bit_generator, int64_t n_runs, *,
              const int8_t[::1] dist_kind not None, const double[::1] dist_a not None,
              const double[::1] dist_b not None, const double[::1] dist_c not None,
              const int64_t[::1] up_dist not None, const int64_t[::1] down_dist not None,
              const double[::1] p_down not None, const double[::1] ev_const not None,
              const int64_t[::1] cls_ptr not None, const double[::1] cls_rate not None,
              const double[::1] cls_load not None, const double[::1] cls_err not None,
              const int64_t[::1] cls_dist not None,
              const int64_t[::1] gate_k not None, const int64_t[::1] child_ptr not None,
              const int64_t[::1] child_idx not None, const int64_t[::1] outputs not None,
              double horizon, double window, int64_t n_windows,
              const double[::1] levels not None, const double[::1] budget not None,
              bint stationary=True, bint rolling=False,
              int64_t keep=0, int64_t max_events=10**7,
              double[:, :, ::1] bad not None, int64_t[:, :, ::1] incidents not None,
              double[:, :, :, ::1] crossings not None, double[:, ::1] mean_ratio not None,
              double[:, ::1] attribution not None,
              double[:, ::1] worst=None, double[:, ::1] time_out=None):
    """Simulate ``n_runs`` runs of a timed structure; fill the outputs.

    Parameters
    ----------
    bit_generator : numpy.random.BitGenerator
        The chunk's own stream; its lock is held while drawing.
    n_runs : int
        Runs in this chunk (> 0).
    dist_kind, dist_a, dist_b, dist_c : arrays, shape (D,)
        Duration distributions: ``DIST_*`` and parameters (module notes).
    up_dist, down_dist, p_down, ev_const : arrays, shape (E,)
        Per event: the up- and down-time distributions (-1 for none, both
        or neither), the probability of starting down, and the constant
        error ratio of an event with neither renewal nor incidents.
    cls_ptr : int64 array, shape (E + 1,)
        Incident classes of event ``e``: ``cls_ptr[e]:cls_ptr[e + 1]``.
    cls_rate, cls_load, cls_err, cls_dist : arrays, shape (C,)
        Per class: arrivals per second, ``rate * E[duration]``, error ratio
        in [0, 1], duration distribution.
    gate_k, child_ptr, child_idx, outputs : int64 arrays
        Gates in topological order: gate ``g`` (node ``E + g``) needs
        ``gate_k[g]`` of its children ``child_idx[child_ptr[g]:child_ptr[g
        + 1]]`` (earlier nodes) to serve; the node of each journey.
    horizon, window, n_windows
        Seconds, and the calendar windows (``n_windows * window <=
        horizon``).
    levels, budget : float64 arrays, shapes (L,) and (J,)
        Crossing levels (shares of the budget); each journey's budget per
        window in seconds, negative for none.
    stationary, rolling, keep, max_events
        Stationary or clean start; evaluate
        the rolling window; keep the paths of the first ``keep`` runs; the
        events one run may process.
    bad, incidents, crossings, mean_ratio, attribution, worst, time_out : arrays
        Outputs, shapes ``(J, n_runs, n_windows)`` (crossings with a last
        axis of L), ``(J, n_runs)`` for mean_ratio, worst and time_out,
        ``(J, E)`` for attribution (added to); worst and time_out with
        ``rolling``.

    Returns
    -------
    status, failed, paths
        ``OK``, or ``TOO_MANY_EVENTS`` when run ``failed`` of the chunk
        went past ``max_events`` (the chunk stopped there; -1 otherwise);
        per kept run, per journey, ``(times, values)``.
    """
    cdef Model m
    cdef Work w
    cdef Out o
    cdef int64_t E = up_dist.shape[0], G = gate_k.shape[0], J = outputs.shape[0]
    cdef int64_t C = cls_rate.shape[0], D = dist_kind.shape[0], L = levels.shape[0]
    cdef int64_t N = E + G, i, g, r, j, failed = -1, max_k = 1
    cdef int64_t nk
    cdef int rc
    cdef bitgen_t *bg
    cdef const char *capsule_name = "BitGenerator"

    if n_runs <= 0:
        raise ValueError(f"n_runs must be positive, got {n_runs}")
    if J == 0 or E == 0:
        raise ValueError("no journeys or no events")
    for name, a, size in (("down_dist", down_dist, E), ("p_down", p_down, E),
                          ("ev_const", ev_const, E), ("cls_ptr", cls_ptr, E + 1),
                          ("cls_load", cls_load, C), ("cls_err", cls_err, C),
                          ("cls_dist", cls_dist, C), ("dist_a", dist_a, D),
                          ("dist_b", dist_b, D), ("dist_c", dist_c, D),
                          ("child_ptr", child_ptr, G + 1), ("budget", budget, J)):
        if a.shape[0] != size:
            raise ValueError(f"{name} must have {size} entries, got {a.shape[0]}")
    if cls_ptr[0] != 0 or cls_ptr[E] != C or np.any(np.diff(cls_ptr) < 0):
        raise ValueError("cls_ptr must rise from 0 to the number of classes")
    if child_ptr[0] != 0 or child_ptr[G] != child_idx.shape[0]:
        raise ValueError("child_ptr does not span child_idx")
    for i in range(E):
        for d in (up_dist[i], down_dist[i]):
            if d < -1 or d >= D:
                raise ValueError(f"event {i}: distribution index {d} out of range")
        if (up_dist[i] < 0) != (down_dist[i] < 0):
            raise ValueError(f"event {i}: give both up and down times, or neither")
    for i in range(C):
        if cls_dist[i] < 0 or cls_dist[i] >= D:
            raise ValueError(f"class {i}: distribution index out of range")
        if not (cls_rate[i] > 0 and cls_load[i] >= 0 and 0 <= cls_err[i] <= 1):
            raise ValueError(f"class {i}: rate, load or error ratio out of range")
    for i in range(D):
        if dist_kind[i] < 0 or dist_kind[i] > C_FIXED:
            raise ValueError(f"distribution {i}: unknown kind {dist_kind[i]}")
    for g in range(G):
        nk = child_ptr[g + 1] - child_ptr[g]
        if nk < 1 or gate_k[g] < 1 or gate_k[g] > nk:
            raise ValueError(f"gate {g}: needs 1 <= k <= children")
        max_k = max(max_k, gate_k[g])
        for i in range(child_ptr[g], child_ptr[g + 1]):
            if child_idx[i] < 0 or child_idx[i] >= E + g:
                raise ValueError(f"gate {g}: child {child_idx[i]} is not an earlier node")
    for j in range(J):
        if outputs[j] < 0 or outputs[j] >= N:
            raise ValueError(f"output {j} is not a node")
    if not (window > 0 and n_windows >= 1 and n_windows * window <= horizon):
        raise ValueError("need window > 0, n_windows >= 1, n_windows * window <= horizon")
    shape3 = (J, n_runs, n_windows)
    for name, a in (("bad", bad), ("incidents", incidents)):
        if _dims(a) != shape3:
            raise ValueError(f"{name} must have shape {shape3}")
    if _dims(crossings) != shape3 + (L,):
        raise ValueError(f"crossings must have shape {shape3 + (L,)}")
    if _dims(mean_ratio) != (J, n_runs):
        raise ValueError(f"mean_ratio must have shape {(J, n_runs)}")
    if _dims(attribution) != (J, E):
        raise ValueError(f"attribution must have shape {(J, E)}")
    if rolling:
        if worst is None or time_out is None or _dims(worst) != (J, n_runs) \
                or _dims(time_out) != (J, n_runs):
            raise ValueError(f"rolling needs worst and time_out of shape {(J, n_runs)}")
    if keep < 0 or max_events < 1:
        raise ValueError("keep must be >= 0 and max_events >= 1")

    if not isinstance(bit_generator, np.random.BitGenerator):
        raise TypeError(f"bit_generator must be a numpy.random.BitGenerator, "
                        f"got {type(bit_generator).__name__}")
    capsule = bit_generator.capsule
    if not PyCapsule_IsValid(capsule, capsule_name):
        raise TypeError("bit_generator has no valid BitGenerator capsule")
    bg = <bitgen_t *> PyCapsule_GetPointer(capsule, capsule_name)

    par_ptr, par_idx = _parents(N, child_ptr, child_idx)
    jr_ptr, jr_idx = _parents(N, np.arange(J + 1), outputs)   # journeys of each node
    cls_event = np.repeat(np.arange(E, dtype=np.int64), np.diff(cls_ptr))
    m.E, m.G, m.J, m.L, m.n_windows = E, G, J, L, n_windows
    m.horizon, m.window = horizon, window
    m.tol = TOL * window
    m.stationary, m.rolling, m.max_events = stationary, rolling, max_events
    m.dist_kind = &dist_kind[0] if D else NULL
    m.dist_a, m.dist_b, m.dist_c = _f(dist_a), _f(dist_b), _f(dist_c)
    m.up_dist, m.down_dist = _i(up_dist), _i(down_dist)
    m.p_down, m.ev_const = _f(p_down), _f(ev_const)
    m.cls_ptr, m.cls_rate, m.cls_load = _i(cls_ptr), _f(cls_rate), _f(cls_load)
    m.cls_err, m.cls_dist, m.cls_event = _f(cls_err), _i(cls_dist), _i(cls_event)
    m.gate_k, m.child_ptr, m.child_idx = _i(gate_k), _i(child_ptr), _i(child_idx)
    m.par_ptr, m.par_idx, m.jr_ptr, m.jr_idx = _i(par_ptr), _i(par_idx), _i(jr_ptr), _i(jr_idx)
    m.outputs, m.levels, m.budget = _i(outputs), _f(levels), _f(budget)

    o.n = n_runs
    o.bad = &bad[0, 0, 0]
    o.incidents = &incidents[0, 0, 0]
    o.crossings = &crossings[0, 0, 0, 0] if L else NULL
    o.mean_ratio = &mean_ratio[0, 0]
    o.attribution = &attribution[0, 0]
    o.worst = &worst[0, 0] if rolling else NULL
    o.time_out = &time_out[0, 0] if rolling else NULL

    keep = min(keep, n_runs)
    kept_t = np.zeros(max(1, keep * J), dtype=np.uintp)
    kept_v = np.zeros(max(1, keep * J), dtype=np.uintp)
    kept_n = np.zeros(max(1, keep * J), dtype=np.int64)
    cdef size_t[::1] v_kt = kept_t, v_kv = kept_v
    cdef int64_t[::1] v_kn = kept_n

    memset(&w, 0, sizeof(Work))
    rc = alloc_work(&w, &m, C, max_k)
    try:
        if rc < 0:
            raise MemoryError("timeline kernel: out of memory")
        with bit_generator.lock, nogil:
            rc = run_runs(bg, &m, &w, &o, keep, <double **> &v_kt[0],
                          <double **> &v_kv[0], &v_kn[0], &failed)
        if rc < 0:
            raise MemoryError("timeline kernel: out of memory")
        paths = []
        for r in range(keep if failed < 0 else 0):
            row = []
            for j in range(J):
                n = v_kn[r * J + j]
                ts = np.empty(n, dtype=np.float64)
                vs = np.empty(n, dtype=np.float64)
                if n:
                    memcpy(_data(ts),
                           <double *> v_kt[r * J + j], n * sizeof(double))
                    memcpy(_data(vs), <double *> v_kv[r * J + j], n * sizeof(double))
                row.append((ts, vs))
            paths.append(row)
    finally:
        for i in range(keep * J):
            free(<double *> v_kt[i])
            free(<double *> v_kv[i])
        free_work(&w, J)
    return (TOO_MANY_EVENTS if failed >= 0 else OK), failed, paths


def _dims(a):
    return tuple(a.shape)


cdef void *_data(a):
    cdef double[::1] v = a
    return &v[0]


cdef const double *_f(const double[::1] a):
    return &a[0] if a.shape[0] else NULL


cdef const int64_t *_i(const int64_t[::1] a):
    return &a[0] if a.shape[0] else NULL


def _test_gate_values(const int64_t[::1] gate_k not None,
                      const int64_t[::1] child_ptr not None,
                      const int64_t[::1] child_idx not None,
                      const double[::1] event_values not None):
    """Every node's error ratio when the events have ``event_values``: the
    kernel's gate rule, evaluated from scratch (a test shim)."""
    cdef Model m
    cdef Work w
    cdef int64_t E = event_values.shape[0], G = gate_k.shape[0], g, i, k_max = 1
    cdef double x
    for g in range(G):
        if child_ptr[g + 1] - child_ptr[g] < 1 or not 1 <= gate_k[g] <= \
                child_ptr[g + 1] - child_ptr[g]:
            raise ValueError(f"gate {g}: needs 1 <= k <= children")
        for i in range(child_ptr[g], child_ptr[g + 1]):
            if not 0 <= child_idx[i] < E + g:
                raise ValueError(f"gate {g}: child {child_idx[i]} is not an earlier node")
        k_max = max(k_max, gate_k[g])
    val = np.empty(E + G, dtype=np.float64)
    n_imp = np.zeros(G + 1, dtype=np.int64)
    n_one = np.zeros(G + 1, dtype=np.int64)
    dp = np.empty(k_max + 2, dtype=np.float64)
    cdef double[::1] v_val = val, v_dp = dp
    cdef int64_t[::1] v_imp = n_imp, v_one = n_one
    v_val[:E] = event_values
    m.gate_k = &gate_k[0] if G else NULL
    m.child_ptr = &child_ptr[0]
    m.child_idx = &child_idx[0] if child_idx.shape[0] else NULL
    w.val = &v_val[0]
    w.n_imp = &v_imp[0]
    w.n_one = &v_one[0]
    w.dp = &v_dp[0]
    for g in range(G):
        for i in range(child_ptr[g], child_ptr[g + 1]):
            x = v_val[child_idx[i]]
            v_imp[g] += x > 0.0
            v_one[g] += x == 1.0
        v_val[E + g] = gate_value(&m, &w, g)
    return val
