"""Tests of the timeline engine, ``slosim.engines.timeline``, and its kernel.

* The kernel equals a plain-Python reference (here) that makes the same
  draws in the same order, recomputes every gate from scratch at every
  event and derives every statistic from the stored paths by brute force:
  paths, window integrals, episodes, crossings, attribution, traffic,
  the rolling window.
* The gate rule (``_test_gate_values``) is the structure function on 0/1
  error ratios, and series / parallel / Poisson-binomial on partial ones.
* Statistics against their own error bars (pass for any session seed): the
  long-run mean error ratio is the exact engine's unavailability, for
  series, parallel, k-of-n, shocks and partial incidents; a stationary
  start has mean ``q`` at time 0 and over any stretch; traffic counts.
* Thread-count and scheduling independence, a pinned output, the result
  contract, and every refusal.
"""

import heapq
import json
import math

from hypothesis import HealthCheck, given, settings, strategies as st
import numpy as np
import pytest

import slosim as ss
from slosim._core import _timeline as K
from slosim._validation import error_allowance
from slosim.engines import timeline
from slosim.engines._timeline import _arrays
from slosim.model import lower
from slosim.results import JourneyTimeline, TimelineResult

from strategies import dags

#: Standard errors allowed: a false failure has probability about 2e-9
#: per comparison (normal tails), so the suite passes for any seed.
Z = 6.0


def rng_for(seed, *salt):
    return np.random.SeedSequence([seed, *salt])


def within(estimate, std_error, exact, z=Z):
    return abs(estimate - exact) <= z * std_error + 1e-12


def mean_and_se(x):
    x = np.asarray(x, dtype=np.float64)
    return x.mean(), x.std(ddof=1) / math.sqrt(len(x))


# --- a plain-Python reference making the same draws ------------------------

def _draw(g, a, kind, d, residual=False):
    k, p1, p2, p3 = (int(a["dist_kind"][d]), float(a["dist_a"][d]),
                     float(a["dist_b"][d]), float(a["dist_c"][d]))
    if k == K.DIST_EXPONENTIAL:
        return p1 * g.standard_exponential()
    if not residual:
        if k == K.DIST_WEIBULL:
            return p2 * g.standard_exponential() ** p3
        if k == K.DIST_LOGNORMAL:
            return math.exp(p1 + p2 * g.standard_normal())
        return p1
    if k == K.DIST_WEIBULL:
        x = p2 * g.standard_gamma(1.0 + p3) ** p3
    elif k == K.DIST_LOGNORMAL:
        x = math.exp(p1 + p2 * (p2 + g.standard_normal()))
    else:
        x = p1
    return x * g.random()


def _gate(k, xs):
    """The kernel's gate rule, written out: P(fewer than k of xs serve)."""
    n = len(xs)
    if n - sum(x > 0 for x in xs) >= k:
        return 0.0
    if n - sum(x == 1.0 for x in xs) < k:
        return 1.0
    if k == n:
        s = 0.0
        for x in xs:
            s += x * (1.0 - s)
        return s
    if k == 1:
        p = 1.0
        for x in xs:
            p *= x
        return p
    dp = [1.0] + [0.0] * k
    for x in xs:
        p = 1.0 - x
        dp[k] += dp[k - 1] * p
        for j in range(k - 1, 0, -1):
            dp[j] = dp[j] * x + dp[j - 1] * p
        dp[0] *= x
    return sum(dp[:k])


def _values(a, ev):
    vals = list(ev)
    ptr, idx, ks = a["child_ptr"], a["child_idx"], a["gate_k"]
    for g in range(len(ks)):
        vals.append(_gate(int(ks[g]), [vals[i] for i in idx[ptr[g]:ptr[g + 1]]]))
    return vals


def _push(path, t, v):
    if path[-1][0] == t:
        path[-1] = (t, v)
        if len(path) > 1 and path[-2][1] == v:
            path.pop()
    else:
        path.append((t, v))


def _integral(path, lo, hi, H):
    """Integral of a piecewise-constant path over [lo, hi]."""
    total = 0.0
    for i, (t, v) in enumerate(path):
        end = path[i + 1][0] if i + 1 < len(path) else H
        a, b = max(t, lo), min(end, hi)
        if b > a:
            total += v * (b - a)
    return total


def _cumulative(path, H):
    """Breakpoint times and the integral up to each (I is piecewise linear)."""
    ts = [t for t, _ in path] + [H]
    cum = [0.0]
    for i, (t, v) in enumerate(path):
        cum.append(cum[-1] + v * (ts[i + 1] - t))
    return np.array(ts), np.array(cum)


def rolling_brute_force(path, W, H, budget):
    """Worst integral over [t - W, t] for t in [W, H] and the time it is
    above ``budget`` (by more than the kernel's tolerance): I is piecewise
    linear, so R(t) = I(t) - I(t - W) is linear between the breakpoints of
    the path and of the path shifted by W, evaluated there with np.interp."""
    budget = budget + K.TOL * W
    ts, cum = _cumulative(path, H)
    cand = np.concatenate([ts, ts + W, [W, H]])
    cand = np.unique(cand[(cand >= W) & (cand <= H)])
    R = np.interp(cand, ts, cum) - np.interp(cand - W, ts, cum)
    out = 0.0
    for a, b, ra, rb in zip(cand[:-1], cand[1:], R[:-1], R[1:]):
        if ra > budget and rb > budget:
            out += b - a
        elif ra > budget or rb > budget:
            hi_, lo_ = (ra, rb) if ra > rb else (rb, ra)
            out += (hi_ - budget) / (hi_ - lo_) * (b - a)
    return R.max(), out


def reference_run(g, a, st, H, W, n_windows, levels, budget, stationary):
    """One run, as the kernel runs it; statistics from the paths."""
    E, J = st.n_events, len(st.journeys)
    C = len(a["cls_rate"])
    cls_ptr = a["cls_ptr"]
    cls_event = np.repeat(np.arange(E), np.diff(cls_ptr))
    down, nprog, heap = [False] * E, [0] * C, []
    for e in range(E):
        u, d = int(a["up_dist"][e]), int(a["down_dist"][e])
        if u >= 0:
            if stationary:
                down[e] = g.random() < a["p_down"][e]
                t = _draw(g, a, None, d if down[e] else u, residual=True)
            else:
                t = _draw(g, a, None, u)
            heapq.heappush(heap, (t, e))
        for c in range(cls_ptr[e], cls_ptr[e + 1]):
            n0 = int(g.poisson(a["cls_load"][c])) if stationary else 0
            nprog[c] = n0
            for _ in range(n0):
                heapq.heappush(heap, (_draw(g, a, None, a["cls_dist"][c], True), E + C + c))
            heapq.heappush(heap, (g.standard_exponential() / a["cls_rate"][c], E + c))

    def event_value(e):
        if a["up_dist"][e] >= 0 and down[e]:
            return 1.0
        if cls_ptr[e] == cls_ptr[e + 1]:
            return 0.0 if a["up_dist"][e] >= 0 else float(a["ev_const"][e])
        active = [c for c in range(cls_ptr[e], cls_ptr[e + 1]) if nprog[c] > 0]
        if any(a["cls_err"][c] >= 1.0 for c in active):
            return 1.0
        if sum(nprog[c] for c in active) == 1:
            return float(a["cls_err"][active[0]])
        log_up = 0.0
        for c in active:
            log_up += nprog[c] * math.log1p(-a["cls_err"][c])
        return -math.expm1(log_up) if active else 0.0

    ev = [event_value(e) for e in range(E)]
    vals = _values(a, ev)
    out = a["outputs"]
    paths = [[(0.0, vals[out[j]])] for j in range(J)]
    epaths = [[(0.0, ev[e])] for e in range(E)]
    while True:
        t = heap[0][0] if heap else math.inf
        if t >= H:
            break
        t, id_ = heapq.heappop(heap)
        if id_ < E:
            e = id_
            down[e] = not down[e]
            d = a["down_dist"][e] if down[e] else a["up_dist"][e]
            heapq.heappush(heap, (t + _draw(g, a, None, d), e))
        elif id_ < E + C:
            c = id_ - E
            e = cls_event[c]
            nprog[c] += 1
            heapq.heappush(heap, (t + g.standard_exponential() / a["cls_rate"][c], id_))
            heapq.heappush(heap, (t + _draw(g, a, None, a["cls_dist"][c]), E + C + c))
        else:
            c = id_ - E - C
            e = cls_event[c]
            nprog[c] -= 1
        ev[e] = event_value(e)
        if ev[e] != epaths[e][-1][1]:
            _push(epaths[e], t, ev[e])
        vals = _values(a, ev)
        for j in range(J):
            if vals[out[j]] != paths[j][-1][1]:
                _push(paths[j], t, vals[out[j]])

    Tw = n_windows * W
    res = []
    for j in range(J):
        p = paths[j]
        bad = [_integral(p, k * W, (k + 1) * W, H) for k in range(n_windows)]
        inc = [0] * n_windows
        for i in range(1, len(p)):
            if p[i - 1][1] == 0 and p[i][1] > 0 and p[i][0] < Tw:
                inc[int(p[i][0] // W)] += 1
        cross = np.full((n_windows, len(levels)), np.nan if budget[j] < 0 else np.inf)
        if budget[j] >= 0:
            for k in range(n_windows):
                for l, level in enumerate(levels):
                    lv, b = level * budget[j], 0.0
                    for i, (t0, v) in enumerate(p):
                        t1 = min(p[i + 1][0] if i + 1 < len(p) else H, (k + 1) * W)
                        t0 = max(t0, k * W)
                        if t1 <= t0 or v == 0:
                            continue
                        if b + v * (t1 - t0) >= lv - K.TOL * W:
                            cross[k, l] = t0 - k * W + max(0.0, lv - b) / v
                            break
                        b += v * (t1 - t0)
        attribution = np.zeros(E)
        for e in range(E):
            q = epaths[e]
            for i, (t0, v) in enumerate(q):
                t1 = min(q[i + 1][0] if i + 1 < len(q) else H, Tw)
                if v > 0 and t1 > t0:
                    attribution[e] += _integral(p, t0, t1, H)
        worst, tout = rolling_brute_force(p, W, H, budget[j])
        res.append(dict(
            bad=np.array(bad), incidents=np.array(inc), crossings=cross,
            mean=_integral(p, 0, H, H) / H, attribution=attribution, worst=worst,
            time_out=tout if budget[j] >= 0 else np.nan,
            path=(np.array([t for t, _ in p]), np.array([v for _, v in p]))))
    return res


def reference(model, horizon, runs, window, seed, chunk_size, traffic=None,
              levels=(1.0,), start="stationary"):
    """The engine's outputs by the reference: per journey, per run."""
    st = lower(model)
    a, _, _ = _arrays(model, st)
    H, W = horizon, window
    n_windows = int(H // W)
    budget = [-1.0 if t is None else error_allowance(t) * W for t in st.targets]
    children = np.random.default_rng(seed).bit_generator.seed_seq.spawn(
        -(-runs // chunk_size))
    out = []
    for i, child in enumerate(children):
        g = np.random.Generator(np.random.PCG64(child))
        chunk = [reference_run(g, a, st, H, W, n_windows, levels, budget,
                               start == "stationary")
                 for _ in range(min(chunk_size, runs - i * chunk_size))]
        if traffic:
            # the request counts: the chunk's grandchild stream, after the paths
            t = np.random.Generator(np.random.PCG64(child.spawn(1)[0]))
            bad = np.array([[r[j]["bad"] for r in chunk] for j in range(len(st.journeys))])
            bad_requests = t.poisson(traffic * bad)
            requests = bad_requests + t.poisson(traffic * np.maximum(W - bad, 0.0))
            for k, r in enumerate(chunk):
                for j, d in enumerate(r):
                    d["requests"], d["bad_requests"] = requests[j, k], bad_requests[j, k]
        out.extend(chunk)
    return out


def assert_matches_reference(res, ref, traffic):
    for j, name in enumerate(res):
        tl = res[name]
        for r, runs in enumerate(ref):
            want = runs[j]
            np.testing.assert_array_equal(tl.paths[r][0], want["path"][0])
            np.testing.assert_allclose(tl.paths[r][1], want["path"][1], rtol=1e-12)
            np.testing.assert_allclose(tl.bad[r], want["bad"], rtol=1e-9, atol=1e-6)
            np.testing.assert_array_equal(tl.incidents[r], want["incidents"])
            np.testing.assert_allclose(tl.crossings[r], want["crossings"], rtol=1e-9,
                                       atol=1e-6)
            assert tl.mean_error_ratio[r] == pytest.approx(want["mean"], rel=1e-9, abs=1e-15)
            assert tl.worst_window[r] == pytest.approx(want["worst"], rel=1e-9, abs=1e-6)
            np.testing.assert_allclose(tl.time_out[r], want["time_out"], rtol=1e-9, atol=1e-5)
            if traffic:
                np.testing.assert_array_equal(tl.bad_requests[r], want["bad_requests"])
                np.testing.assert_array_equal(tl.requests[r], want["requests"])
        attribution = sum(runs[j]["attribution"] for runs in ref)
        np.testing.assert_allclose(tl.attribution, attribution, rtol=1e-9, atol=1e-6)


def small_model():
    """Every duration kind, partial incidents, a timed shock, every gate kind,
    a journey on a component (its own path), one without a target."""
    a = ss.Component("a", mttf="3d", mttr="4h")
    b = ss.Component("b", up=ss.Weibull(0.7, "2d"), down=ss.LogNormal.from_median("2h", 3))
    c = ss.Component("c", up=ss.Fixed("1d"), down=ss.Exponential("3h"),
                     incidents=[ss.Incidents("1/d", "1h", error_ratio=0.3)])
    d = ss.Component("d", incidents=[ss.Incidents("2/d", ss.Weibull(1.5, "40m"),
                                                  error_ratio=0.1),
                                     ss.Incidents("1/2d", ss.Fixed("30m"))])
    e = ss.Component("e", availability=1)
    zone = ss.Shock("zone", rate="1/5d", duration=ss.LogNormal.from_median("3h", 2),
                    members=[a, b])
    pool = ss.k_of_n(2, [a, b, c], name="pool")
    api = ss.Service("api", incidents=[ss.Incidents("1/d", "20m", error_ratio=0.5)],
                     requires=[ss.parallel(pool, d, name="either"), e])
    return ss.Model([ss.Journey(api, target=0.99), ss.Journey(c, name="c-only"),
                     ss.Journey(ss.series(a, d, name="ad"), target=0.95)], shocks=[zone])


@pytest.mark.parametrize("start, traffic", [("stationary", 0.01), ("clean", None)])
def test_kernel_matches_the_reference(seed, start, traffic):
    model = small_model()
    H, W, runs, chunk = 20 * 86400.0, 6 * 86400.0, 5, 2
    res = timeline(model, H, runs, window=W, rng=rng_for(seed), start=start,
                   traffic=traffic, levels=(0.5, 1.0), rolling=True, keep_paths=runs,
                   chunk_size=chunk)
    ref = reference(model, H, runs, W, rng_for(seed), chunk, traffic=traffic,
                    levels=(0.5, 1.0), start=start)
    assert_matches_reference(res, ref, traffic)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=dags(max_leaves=6, max_gates=5, max_children=4), salt=st.integers(0, 2**16))
def test_random_dags_match_the_reference(seed, spec, salt):
    """Random DAGs (shared nodes, repeated children, k-of-n) with partial
    incidents on every leaf."""
    r = np.random.default_rng([seed, salt])
    comps = {}
    for name in spec.leaf_names:
        kind = r.integers(3)
        if kind == 0:
            comps[name] = dict(mttf=f"{r.uniform(1, 4):.2f}d", mttr=f"{r.uniform(1, 9):.2f}h")
        elif kind == 1:
            comps[name] = dict(incidents=[ss.Incidents(
                f"{r.uniform(0.5, 3):.2f}/d", f"{r.uniform(10, 90):.1f}m",
                error_ratio=float(r.choice([1.0, 0.2, 0.5])))])
        else:
            comps[name] = dict(up=ss.Weibull(r.uniform(0.5, 2), "1d"),
                               down=ss.Fixed(f"{r.uniform(1, 5):.1f}h"))
    timed = _retimed(spec, comps)
    H, W = 9 * 86400.0, 2 * 86400.0
    res = timeline(timed, H, 3, window=W, rng=rng_for(seed, salt), rolling=True,
                   keep_paths=3, chunk_size=2)
    ref = reference(timed, H, 3, W, rng_for(seed, salt), 2)
    assert_matches_reference(res, ref, None)


def _retimed(spec, timing):
    """The model of ``spec`` with each leaf given the behaviour ``timing[name]``."""
    objs = []

    def kids(children):
        return [objs[i].name if by_name and objs[i].name is not None else objs[i]
                for i, by_name in children]

    for node in spec.nodes:
        if node[0] == "component":
            objs.append(ss.Component(node[1], **timing[node[1]]))
        elif node[0] == "service":
            objs.append(ss.Service(node[1], requires=kids(node[3]), **timing[node[1]]))
        else:
            _, kind, k, children, name = node
            c = kids(children)
            objs.append(ss.series(*c, name=name) if kind == "series" else
                        ss.parallel(*c, name=name) if kind == "parallel" else
                        ss.k_of_n(k, c, name=name))
    named = [o for o in objs if o.name is not None]
    return ss.Model([ss.Journey(objs[i], name=n) for i, n in spec.journeys], nodes=named)


# --- the gate rule ---------------------------------------------------------------

def structure_function(st, down):
    """Each node's 0/1 state from the events' (``down``), by the definition."""
    vals = list(down)
    for g in range(st.n_gates):
        kids = st.children(g)
        serving = sum(1 for c in kids if not vals[c])
        vals.append(serving < st.gate_k[g])
    return vals


@settings(max_examples=60, deadline=None)
@given(spec=dags(), bits=st.integers(0, 2**14 - 1))
def test_gate_rule_is_the_structure_function_on_0_1(spec, bits):
    st_ = lower(spec.build())
    down = [(bits >> e) & 1 for e in range(st_.n_events)]
    got = K._test_gate_values(st_.gate_k, st_.child_ptr, st_.child_idx,
                              np.array(down, dtype=np.float64))
    assert got.tolist() == [float(v) for v in structure_function(st_, down)]


def poisson_binomial_tail(k, xs):
    """P(fewer than k serve), by enumerating who serves."""
    total = 0.0
    n = len(xs)
    for mask in range(1 << n):
        p = 1.0
        for i, x in enumerate(xs):
            p *= (1 - x) if mask >> i & 1 else x
        if bin(mask).count("1") < k:
            total += p
    return total


@settings(max_examples=100, deadline=None)
@given(xs=st.lists(st.sampled_from([0.0, 1.0, 0.5, 0.01, 0.3, 0.999, 1e-6]) | st.floats(0, 1),
                   min_size=1, max_size=7), data=st.data())
def test_gate_rule_on_partial_ratios(xs, data):
    n = len(xs)
    k = data.draw(st.integers(1, n))
    got = K._test_gate_values(np.array([k]), np.array([0, n]), np.arange(n),
                              np.array(xs, dtype=np.float64))[-1]
    assert got == pytest.approx(poisson_binomial_tail(k, xs), rel=1e-9, abs=1e-15)
    if k == n:
        with np.errstate(divide="ignore"):
            want = -np.expm1(np.log1p(-np.array(xs)).sum())
        assert got == pytest.approx(want, rel=1e-12, abs=1e-300)
    if k == 1:
        assert got == pytest.approx(np.prod(xs), rel=1e-12, abs=1e-300)


def test_gate_shim_refuses_bad_gates():
    with pytest.raises(ValueError, match="k <= children"):
        K._test_gate_values(np.array([3]), np.array([0, 2]), np.arange(2), np.zeros(2))
    with pytest.raises(ValueError, match="earlier node"):
        K._test_gate_values(np.array([1]), np.array([0, 2]), np.array([0, 2]), np.zeros(2))


# --- statistics against the exact engine ------------------------------------------

def check_mean_is_exact(model, seed, runs=1500, horizon="365d", **kw):
    """The mean over runs of each journey's long-run mean error ratio is
    the exact unavailability, within the estimate's own error bars.

    Why: at any time t of a stationary run the events' error ratios x_e(t)
    are independent (separate processes), each with mean q_e (its
    stationary law; ``mean_error_ratio`` of the model). A gate's rule is
    multilinear in each child's ratio, so a journey's ratio f(x) is
    multilinear in every event that reaches it through one path per gate
    (a tree), and in every event whose ratio is 0 or 1 (x**2 = x);
    E[f(x(t))] = f(q) then by independence. f agrees with the structure
    function on {0,1}^E, so f(q) is its multilinear extension at q: the
    probability that the journey is down when each event is down
    independently with probability q_e, which the exact engine computes.
    Averaging over t: E[mean_error_ratio] = f(q).
    """
    res = timeline(model, horizon, runs, rng=rng_for(seed, runs), threads=2, **kw)
    exact = ss.exact(model)
    for name, tl in res.items():
        m, se = mean_and_se(tl.mean_error_ratio)
        assert se > 0
        assert within(m, se, exact[name].unavailability), (name, m, se,
                                                           exact[name].unavailability)


def test_mean_series_parallel_k_of_n(seed):
    a = ss.Component("a", mttf="5d", mttr="6h")
    b = ss.Component("b", up=ss.Weibull(0.6, "4d"), down=ss.Fixed("8h"))
    c = ss.Component("c", up=ss.LogNormal.from_median("3d", 4),
                     down=ss.LogNormal.from_median("5h", 3))
    d = ss.Component("d", mttf="2d", mttr="12h")
    e = ss.Component("e", up=ss.Fixed("6d"), down=ss.Weibull(2.0, "10h"))
    model = ss.Model([ss.series(a, b, name="series"), ss.parallel(c, d, name="parallel"),
                      ss.k_of_n(2, [a, c, e], name="2-of-3"), ss.series(
                          ss.parallel(a, b), ss.k_of_n(2, [c, d, e]), name="shared")])
    check_mean_is_exact(model, seed)


def test_mean_with_shocks(seed):
    a = ss.Component("a", mttf="6d", mttr="3h")
    b = ss.Component("b", mttf="4d", mttr="5h")
    zone = ss.Shock("zone", rate="1/10d", duration=ss.LogNormal.from_median("6h", 3),
                    members=[a, b])
    model = ss.Model([ss.parallel(a, b, name="pair"), ss.Journey(a, name="a")],
                     shocks=[zone])
    check_mean_is_exact(model, seed)


def test_mean_with_partial_incidents(seed):
    # tree-shaped: each partial event reaches a gate through one child
    a = ss.Component("a", incidents=[ss.Incidents("3/d", "2h", error_ratio=0.3),
                                     ss.Incidents("1/4d", ss.Exponential("3h"))])
    b = ss.Component("b", incidents=[ss.Incidents("2/d", ss.Weibull(0.8, "1h"),
                                                  error_ratio=0.6)],
                     mttf="7d", mttr="4h")
    c = ss.Component("c", incidents=[ss.Incidents("1/d", ss.Fixed("3h"), error_ratio=0.5)])
    d = ss.Component("d", incidents=[ss.Incidents("4/d", "1h", error_ratio=0.2)])
    svc = ss.Service("svc", incidents=[ss.Incidents("1/2d", "30m", error_ratio=0.1)],
                     requires=[ss.parallel(a, b), ss.k_of_n(2, [c, d, ss.Component(
                         "f", mttf="3d", mttr="8h")])])
    check_mean_is_exact(ss.Model([svc]), seed, runs=1000, horizon="120d", window="30d")


def test_partial_ratio_on_a_shared_event_is_not_the_multilinear_extension():
    """The proof's condition matters: x in series with parallel(x, y) gives
    1 - (1 - x)(1 - x y), not the structure function's x."""
    got = K._test_gate_values(np.array([1, 2]), np.array([0, 2, 4]),
                              np.array([0, 1, 0, 2]), np.array([0.5, 0.5]))
    assert got[-1] == pytest.approx(1 - 0.5 * (1 - 0.25))


@pytest.mark.parametrize("behaviour", [
    dict(mttf="2d", mttr="9h"),
    dict(up=ss.Weibull(0.5, "1d"), down=ss.Weibull(3.0, "6h")),
    dict(up=ss.LogNormal.from_median("1d", 5), down=ss.LogNormal.from_median("4h", 2)),
    dict(up=ss.Fixed("1d"), down=ss.Fixed("8h")),
    dict(incidents=[ss.Incidents("3/d", ss.Fixed("2h"), error_ratio=0.4),
                    ss.Incidents("1/d", ss.Weibull(0.7, "3h"), error_ratio=1.0)]),
], ids=["exponential", "weibull", "lognormal", "fixed", "incidents"])
def test_stationary_start_has_mean_q(seed, behaviour):
    """At time 0, and over a short first stretch, the error ratio has mean q:
    the start state and the residual phases are the equilibrium ones."""
    comp = ss.Component("x", **behaviour)
    runs = 4000
    res = timeline(comp, "6h", runs, window="3h", rng=rng_for(seed, 5),
                   keep_paths=runs, chunk_size=500)
    tl = res["x"]
    q = float(lower(comp).q[0])
    at0 = np.array([v[0] for _, v in tl.paths])
    m, se = mean_and_se(at0)
    assert within(m, se, q)
    for w in range(2):           # each 3 h window, from 0 on
        m, se = mean_and_se(tl.bad[:, w] / 10800.0)
        assert within(m, se, q)


def test_clean_start_starts_up():
    comp = ss.Component("x", mttf="1h", mttr="1h",
                        incidents=[ss.Incidents("10/h", "1h", error_ratio=0.5)])
    res = timeline(comp, "2h", 50, window="1h", rng=1, start="clean", keep_paths=50)
    assert all(v[0] == 0.0 and t[0] == 0.0 for t, v in res["x"].paths)


def test_traffic_counts_are_poisson_in_the_bad_integral(seed):
    comp = ss.Component("x", mttf="3d", mttr="10h")
    rate = 0.05
    res = timeline(ss.Journey(comp, target=0.99), "60d", 300, window="10d",
                   rng=rng_for(seed), traffic="3/m")
    tl = res["x"]
    assert res.traffic == rate
    assert (tl.requests >= tl.bad_requests).all() and (tl.bad_requests >= 0).all()
    lam_bad = rate * tl.bad.sum()
    lam_good = rate * (tl.bad.size * 10 * 86400.0 - tl.bad.sum())
    good = (tl.requests - tl.bad_requests).sum()
    assert abs(tl.bad_requests.sum() - lam_bad) <= Z * math.sqrt(lam_bad)
    assert abs(good - lam_good) <= Z * math.sqrt(lam_good)
    no_traffic = timeline(ss.Journey(comp, target=0.99), "60d", 300, window="10d",
                          rng=rng_for(seed))
    assert no_traffic["x"].requests is None and no_traffic["x"].bad_requests is None
    # traffic has a stream of its own: the same paths as without it
    for key in ("bad", "incidents", "crossings", "mean_error_ratio"):
        np.testing.assert_array_equal(getattr(no_traffic["x"], key), getattr(tl, key))
    other = timeline(ss.Journey(comp, target=0.99), "60d", 300, window="10d",
                     rng=rng_for(seed), traffic="30/m")
    np.testing.assert_array_equal(other["x"].bad, tl.bad)


def test_rolling_against_brute_force_on_kept_paths(seed):
    a = ss.Component("a", mttf="2d", mttr="7h")
    b = ss.Component("b", incidents=[ss.Incidents("2/d", "3h", error_ratio=0.4)])
    model = ss.Model([ss.Journey(ss.series(a, b, name="j"), target=0.9)])
    runs, H, W = 40, 25 * 86400.0, 4 * 86400.0
    res = timeline(model, H, runs, window=W, rng=rng_for(seed), rolling=True,
                   keep_paths=runs)
    tl = res["j"]
    assert (tl.worst_window >= tl.bad.max(axis=1) - 1e-6).all()
    for r, (t, v) in enumerate(tl.paths):
        worst, out = rolling_brute_force(list(zip(t, v)), W, H, tl.budget)
        assert tl.worst_window[r] == pytest.approx(worst, rel=1e-9)
        assert tl.time_out[r] == pytest.approx(out, rel=1e-9, abs=1e-5)
    assert (tl.time_out > 0).any() and (tl.time_out <= H - W + 1e-6).all()


def test_attribution_and_crossings():
    a = ss.Component("a", mttf="2d", mttr="7h")
    b = ss.Component("b", mttf="3d", mttr="2h")
    model = ss.Model([ss.Journey(ss.series(a, b, name="j"), target=0.99),
                      ss.Journey(a, name="a-only")])
    res = timeline(model, "40d", 60, window="10d", rng=3, levels=(0.5, 1.0, 2.0))
    j, only = res["j"], res["a-only"]
    total = j.bad.sum()
    assert j.attribution.sum() >= total * (1 - 1e-12)
    assert (j.attribution <= total * (1 + 1e-12)).all()
    assert only.attribution[0] == pytest.approx(only.bad.sum(), rel=1e-12)
    assert only.attribution[1] <= only.bad.sum()
    assert np.isnan(only.crossings).all()            # no target
    c = j.crossings
    assert ((c[..., 0] <= c[..., 1]) & (c[..., 1] <= c[..., 2])).all()
    reached = j.bad >= 2 * j.budget - K.TOL * 10 * 86400.0
    assert np.isfinite(c[..., 2][reached]).all() and np.isinf(c[..., 2][~reached]).all()
    assert ((c[np.isfinite(c)] >= 0) & (c[np.isfinite(c)] <= 10 * 86400.0)).all()


# --- seeding ----------------------------------------------------------------------

def test_results_do_not_depend_on_threads_or_scheduling(seed):
    model = small_model()
    kw = dict(rng=seed, traffic="1/m", rolling=True, keep_paths=5, chunk_size=7,
              levels=(0.5, 1.0))
    one = timeline(model, "30d", 45, window="7d", threads=1, **kw)
    for threads in (2, 3):
        other = timeline(model, "30d", 45, window="7d", threads=threads, **kw)
        for name in one:
            a, b = one[name], other[name]
            for key in ("bad", "incidents", "crossings", "mean_error_ratio",
                        "attribution", "requests", "bad_requests", "worst_window",
                        "time_out"):
                np.testing.assert_array_equal(getattr(a, key), getattr(b, key))
            for (t1, v1), (t2, v2) in zip(a.paths, b.paths):
                np.testing.assert_array_equal(t1, t2)
                np.testing.assert_array_equal(v1, v2)
    # the first chunks of a larger call are the same runs
    more = timeline(model, "30d", 70, window="7d", threads=2, **kw)
    for name in one:
        np.testing.assert_array_equal(more[name].bad[:42], one[name].bad[:42])


def test_pinned_output():
    """Changing this stream is a compatibility break: say so in the changelog."""
    a = ss.Component("a", mttf="10d", mttr="3h")
    b = ss.Component("b", incidents=[ss.Incidents("2/10d", "1h", error_ratio=0.5)])
    res = timeline(ss.Journey(ss.series(a, b, name="j"), target=0.999), "30d", 4,
                   window="10d", rng=20240601)
    tl = res["j"]
    assert tl.incidents.tolist() == PINNED_INCIDENTS
    np.testing.assert_allclose(tl.bad, PINNED_BAD, rtol=0, atol=1e-4)


PINNED_INCIDENTS = [[2, 5, 3], [1, 3, 6], [1, 3, 0], [2, 1, 5]]
PINNED_BAD = [[38567.9736, 8932.6556, 6029.3691], [1800.0, 5400.0, 13413.8758],
              [1800.0, 5640.9195, 0.0], [9489.6686, 1800.0, 8166.8366]]


# --- the result -------------------------------------------------------------------

def test_result_contract():
    db = ss.Component("db", mttf="5d", mttr="1h")
    model = ss.Model([ss.Journey(db, target=0.999),
                      ss.Journey(ss.Service("api", mttf="9d", mttr="2h", requires=[db]))])
    res = timeline(model, "25d", 20, window="10d", rng=2, traffic="1/m", rolling=True,
                   keep_paths=2)
    assert isinstance(res, TimelineResult) and list(res) == ["db", "api"]
    assert isinstance(res["db"], JourneyTimeline) and len(res) == 2
    assert res.events == ("db", "api") and res.targets == (0.999, None)
    assert (res.window, res.horizon, res.runs, res.n_windows) == (864000.0, 2160000.0, 20, 2)
    assert res.levels == (1.0,) and res.start == "stationary" and res.chunk_size == 64
    tl = res["db"]
    assert tl.bad.shape == (20, 2) and tl.crossings.shape == (20, 2, 1)
    assert tl.mean_error_ratio.shape == (20,) and tl.attribution.shape == (2,)
    assert len(tl.paths) == 2 and tl.budget == pytest.approx(864.0)
    assert res["api"].budget is None and np.isnan(res["api"].time_out).all()
    with pytest.raises(ValueError):
        tl.bad[0, 0] = 1.0
    with pytest.raises(AttributeError):
        tl.journey = "x"
    for obj in (res, tl):
        text = repr(obj)
        assert len(text.splitlines()) <= 12 and len(text) < 1000
        d = obj.to_dict()
        assert json.loads(json.dumps(d, allow_nan=False)) == d
    with pytest.raises(KeyError, match="journeys are: db, api"):
        res["nope"]
    # the remainder after the last window counts in the mean only
    whole = tl.mean_error_ratio * res.horizon
    assert (whole >= tl.bad.sum(axis=1) - 1e-6).all()


def test_to_frame():
    pytest.importorskip("pandas")
    res = timeline(ss.Component("a", mttf="5d", mttr="1h"), "20d", 3, window="10d",
                   rng=0, traffic="1/m", levels=(0.5, 1))
    frame = res.to_frame()
    assert frame.shape == (6, 6)
    assert list(frame.index.names) == ["journey", "run", "window"]


# --- refusals -------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, error, match", [
    (dict(horizon="1d"), ValueError, "'horizon' parameter of timeline must be at least one"),
    (dict(horizon="xx"), ValueError, "'horizon' parameter"),
    (dict(window=0), ValueError, "'window' parameter"),
    (dict(runs=0), ValueError, "'runs' parameter"),
    (dict(runs=1.5), TypeError, "'runs' parameter"),
    (dict(threads=0), ValueError, "'threads' parameter"),
    (dict(start="warm"), ValueError, "'start' parameter of timeline must be 'stationary'"),
    (dict(start=None), TypeError, "'start' parameter"),
    (dict(traffic="lots"), ValueError, "'traffic' parameter"),
    (dict(traffic=-1.0), ValueError, "'traffic' parameter"),
    (dict(levels=()), ValueError, "'levels' parameter"),
    (dict(levels=(1.0, -0.5)), ValueError, "'levels' parameter"),
    (dict(levels=(1.0, math.inf)), ValueError, "'levels' parameter"),
    (dict(levels="a"), TypeError, "'levels' parameter"),
    (dict(rolling="yes"), TypeError, "'rolling' parameter"),
    (dict(keep_paths=11), ValueError, "'keep_paths' parameter"),
    (dict(keep_paths=-1), ValueError, "'keep_paths' parameter"),
    (dict(chunk_size=0), ValueError, "'chunk_size' parameter"),
    (dict(max_events=0), ValueError, "'max_events' parameter"),
    (dict(rng="seed"), TypeError, "'rng' parameter"),
])
def test_bad_parameters(kwargs, error, match):
    args = dict(horizon="60d", runs=10, window="30d")
    args.update(kwargs)
    with pytest.raises(error, match=match):
        timeline(ss.Component("a", mttf="5d", mttr="1h"), **args)


def test_refuses_what_has_no_behaviour_over_time():
    timed = ss.Component("t", mttf="5d", mttr="1h")
    plain = ss.Component("db", availability=0.999)
    with pytest.raises(ss.ModelError, match=r"component 'db' has an availability but no "
                       r"behaviour over time: give mttf=/mttr=, up=/down= or incidents="):
        timeline(ss.series(timed, plain, name="j"), "30d", 2)
    svc = ss.Service("svc", availability=0.99, requires=[timed])
    with pytest.raises(ss.ModelError, match="service 'svc' has an availability"):
        timeline(svc, "30d", 2)
    zone = ss.Shock("zone", 1e-3, members=[timed])
    with pytest.raises(ss.ModelError, match="shock 'zone' has a probability but no "
                       "behaviour over time: give rate= and duration="):
        timeline(ss.Model([timed], shocks=[zone]), "30d", 2)
    # certain events are constants, fine
    res = timeline(ss.series(timed, ss.Component("on", availability=1), name="j"), "30d", 2,
                   rng=0)
    assert len(res) == 1
    off = timeline(ss.series(timed, ss.Component("off", availability=0), name="j"),
                   "30d", 2, rng=0)
    assert (off["j"].mean_error_ratio == 1.0).all()


def test_refuses_copulas_and_common_cause_groups():
    a = ss.Component("a", mttf="5d", mttr="1h")
    b = ss.Component("b", mttf="5d", mttr="1h")
    cop = ss.GaussianCopula("cop", members=[a, b], correlation=[[1, 0.3], [0.3, 1]])
    with pytest.raises(ss.ModelError, match="copula 'cop'"):
        timeline(ss.Model([ss.parallel(a, b, name="j")], copulas=[cop]), "30d", 2)
    # a group is components and shocks given by probabilities only
    group = ss.beta_factor("pumps", ["p1", "p2"], unavailability=1e-3, beta=0.1)
    model = ss.Model([ss.parallel(*group.components, name="j")], shocks=[group])
    with pytest.raises(ss.ModelError, match="component 'p1' has an availability but no "
                       "behaviour over time"):
        timeline(model, "30d", 2)
    group = ss.beta_factor("fans", ["f1", "f2"], unavailability=ss.Beta(1, 999), beta=0.1)
    model = ss.Model([ss.parallel(*group.components, name="j")], shocks=[group])
    with pytest.raises(ss.ModelError, match="component 'f1' belongs to the common-cause "
                       "group 'fans'.*Shock with rate= and duration="):
        timeline(model, "30d", 2)


def test_max_events_refused_up_front():
    busy = ss.Component("busy", mttf="1m", mttr="1m")
    with pytest.raises(ValueError, match=r"expected to process about 5\.26e\+05 events.*"
                       r"max_events=1000"):
        timeline(busy, "365d", 10, max_events=1000)


def test_max_events_stops_a_run_and_names_it():
    comp = ss.Component("x", mttf="1h", mttr="1h")
    expected = 2 * 30 * 24 / 2 + 1
    with pytest.raises(ValueError, match=r"run \d+ of timeline went past "
                       r"max_events=722 events"):
        timeline(comp, "30d", 64, max_events=int(expected) + 1, rng=0)


def test_kernel_entry_checks_shapes():
    model = ss.Component("a", mttf="5d", mttr="1h")
    st_ = lower(model)
    arrays, _, _ = _arrays(ss.Model([model]), st_)
    out = dict(bad=np.zeros((1, 2, 1)), incidents=np.zeros((1, 2, 1), np.int64),
               crossings=np.zeros((1, 2, 1, 1)), mean_ratio=np.zeros((1, 2)),
               attribution=np.zeros((1, 1)))
    kw = dict(arrays, horizon=10.0, window=10.0, n_windows=1, levels=np.ones(1),
              budget=np.ones(1))
    bg = np.random.PCG64(0)
    status, failed, paths = K.run_chunk(bg, 2, **kw, **out)
    assert (status, failed, paths) == (K.OK, -1, [])
    with pytest.raises(ValueError, match="bad must have shape"):
        K.run_chunk(bg, 3, **kw, **out)
    with pytest.raises(ValueError, match="n_windows"):
        K.run_chunk(bg, 2, **dict(kw, horizon=5.0), **out)
    with pytest.raises(TypeError, match="BitGenerator"):
        K.run_chunk(object(), 2, **kw, **out)


def test_kept_paths_plot_as_steps():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    comp = ss.Component("x", mttf="3d", mttr="10h")
    tl = timeline(ss.Journey(comp, target=0.99), "60d", 5, window="20d", rng=1,
                  keep_paths=3)["x"]
    ax = tl.plot()
    steps = [line for line in ax.lines if line.get_label().startswith("run")]
    assert len(steps) == 3
    t, v = tl.paths[1]
    x, y = steps[1].get_data()
    assert np.allclose(x[:-1], t / 86400.0) and np.array_equal(y[:-1], v)
    assert x[-1] == 60.0
    dashed = [line for line in ax.lines if line.get_linestyle() == "--"]
    assert len(dashed) == 1 and dashed[0].get_ydata()[0] == 0.01
    assert sum(line.get_linestyle() == ":" for line in ax.lines) == 2   # two window edges
    assert len(tl.plot(runs=[2]).lines) == 4
    plt.close("all")
    with pytest.raises(ValueError, match="run 3 was not kept"):
        tl.plot(runs=[3])
    none = timeline(ss.Journey(comp, target=0.99), "60d", 2, window="20d", rng=1)["x"]
    with pytest.raises(ValueError, match="keep_paths="):
        none.plot()
