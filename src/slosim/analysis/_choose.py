"""Discrete design choice: one option per choice, proven optimal.

:func:`choose` resolves a model's :class:`~slosim.Choice` slots: meet every
journey's target at the least cost (or the least of another resource), or
make one journey as available as possible within resource limits.

Two methods, both exact:

* when every journey's availability factorises over the choices (each
  choice reached from the journey through series gates only, and the
  options' components and shocks shared with nothing else), a journey's
  log-availability is a sum over the choices: one binary variable per
  option makes the problem a mixed-integer linear programme, solved to
  optimality by :func:`scipy.optimize.milp` (HiGHS), then checked with the
  exact engine;
* otherwise branch and bound over the choices, best bound first: an open
  choice is bounded by its options in parallel (up when any option would
  be: for coherent logic no design does better), each bound an exact
  diagram.
"""

import heapq
import math
import time
import weakref

import numpy as np

from .._errors import InfeasibleTargetError, ModelError
from .._validation import check_int, check_real, param_error
from ..engines import DEFAULT_MAX_NODES, ExactDiagram
from ..model import Choice, Component, Gate, Journey, Model, Service, as_model
from ..results import DesignResult
from ._common import journey_targets, unknown

__all__ = ["choose"]

_FUNC = "choose"
_FACTORS = weakref.WeakKeyDictionary()     # model -> {journeys: factors}
_METHODS = ("auto", "milp", "branch and bound")


def choose(model, *, minimize=None, maximize=None, limits=None, targets=None,
           method="auto", node_limit=100_000, time_limit=None,
           max_nodes=DEFAULT_MAX_NODES):
    """The best design: one option per choice, under targets and limits.

    Parameters
    ----------
    model : Model, Node or Journey
        A model with :class:`~slosim.Choice` slots; its journeys' targets
        are constraints.
    minimize : str, optional
        A resource to minimise (``'cost'`` or any resource the options
        name) subject to every journey's target and ``limits``; the default
        when ``maximize`` is not given.
    maximize : str, optional
        A journey whose availability to maximise subject to ``limits`` and
        the other journeys' targets.
    limits : dict, optional
        Resource name -> the most the design may use.
    targets : dict, optional
        Journey name -> target availability, replacing the journeys' own.
    method : {'auto', 'milp', 'branch and bound'}, default 'auto'
        ``'milp'`` when every journey's availability factorises over the
        choices (see Notes; ValueError if it does not), ``'branch and
        bound'`` always applies; ``'auto'`` takes the MILP when it can.
    node_limit : int, default 100_000
        Most subproblems (branch-and-bound nodes, or MILP nodes) before the
        search stops and reports its gap.
    time_limit : float, optional
        Seconds before the search stops and reports its gap.
    max_nodes : int
        Decision-diagram node budget of each exact evaluation.

    Returns
    -------
    DesignResult
        Mapping choice name -> chosen option label, with the design's
        resources, every journey's exact availability, and whether it is
        proven optimal (or the remaining gap).

    Raises
    ------
    InfeasibleTargetError
        If a journey misses its target even with every choice at its most
        available option.
    ValueError
        If no design meets every target within the limits, or for a bad
        parameter (unknown journey or resource, both or neither of
        ``minimize`` and ``maximize``...).
    ModelError
        If the model has no choices, or a choice inside another choice's
        option.

    See Also
    --------
    allocate : continuous targets for components.
    Model.resolve : make choices by hand.
    redundancy_options : the options of a redundancy slot.

    Notes
    -----
    When a journey ``j`` factorises, ``A_j = A_rest_j prod_s A_s(o_s)``
    with ``A_s(o)`` the availability of choice ``s``'s option ``o`` alone;
    with ``x_so`` in {0, 1} and ``sum_o x_so = 1``, its target is the
    linear constraint ``sum_so x_so ln A_s(o) >= ln T_j - ln A_rest_j``
    and its log-availability a linear objective. scipy's ``milp`` (HiGHS)
    solves it with a relative gap of 0; the design found is then evaluated
    by :func:`exact`, and should rounding in the solver let a target slip,
    that design is cut off and the programme solved again.

    Examples
    --------
    Single zone or two zones for the checkout's database, the cheapest
    design meeting 99.95%:

    >>> import slosim as ss
    >>> a = ss.Component("zone-a", availability=0.999)
    >>> b = ss.Component("zone-b", availability=0.999)
    >>> db = ss.Choice("db", [ss.Option("one zone", a, cost=1.0),
    ...                       ss.Option("two zones", ss.parallel(a, b), cost=2.5)])
    >>> web = ss.Component("web", availability=0.9999)
    >>> model = ss.Model(ss.Journey(ss.series(web, db, name="checkout"), target=0.9995))
    >>> design = ss.choose(model)
    >>> design["db"], design.resources["cost"], design.optimal
    ('two zones', 2.5, True)
    """
    return _Search(as_model(model, _FUNC), minimize, maximize, limits, targets,
                   method, node_limit, time_limit, max_nodes).run()


class _Search:
    def __init__(self, model, minimize, maximize, limits, targets, method, node_limit,
                 time_limit, max_nodes):
        self.model = model
        self.slots = list(model.choices.values())
        if not self.slots:
            raise ModelError("choose needs a model with design choices (ss.Choice); this "
                             "one has none: evaluate it with slosim.exact", None)
        self._check_nesting()
        self._check_coherent()
        journeys = [j.name for j in model.journeys]
        self.resource_names = sorted({r for s in self.slots for o in s.options
                                      for r in o.resources} | {"cost"})
        if minimize is not None and maximize is not None:
            raise param_error("maximize", _FUNC, "None when minimize is given", maximize)
        if maximize is not None:
            if maximize not in journeys:
                raise _unknown("maximize", "journey", maximize, journeys)
            self.maximize, self.minimize = maximize, None
        else:
            minimize = "cost" if minimize is None else minimize
            if minimize not in self.resource_names:
                raise _unknown("minimize", "resource", minimize, self.resource_names)
            self.maximize, self.minimize = None, minimize
        self.targets = journey_targets(journeys, [j.target for j in model.journeys],
                                       targets, _FUNC, high_open=False)
        self.limits = {}
        if limits is not None:
            if not hasattr(limits, "items"):
                raise param_error("limits", _FUNC, "a dict of resource name -> limit",
                                  limits, TypeError)
            for r, v in limits.items():
                if r not in self.resource_names:
                    raise _unknown("limits", "resource", r, self.resource_names)
                self.limits[r] = check_real(v, f"limits[{r!r}]", _FUNC, low=0)
        if method not in _METHODS:
            raise param_error("method", _FUNC, " or ".join(map(repr, _METHODS)), method)
        self.method = method
        self.node_limit = check_int(node_limit, "node_limit", _FUNC, low=1)
        self.time_limit = (None if time_limit is None else
                           check_real(time_limit, "time_limit", _FUNC, low=0, low_open=True))
        self.max_nodes = max_nodes
        # resources[s][o] -> array over resource_names
        self.res = [np.array([[o.resources.get(r, 0.0) for r in self.resource_names]
                              for o in s.options]) for s in self.slots]
        self.relevant = list(self.targets) + (
            [self.maximize] if self.maximize and self.maximize not in self.targets else [])

    def _check_coherent(self):
        """Refuse a negation: the search's bounds (every choice up whenever
        any of its options would be) hold for coherent logic only."""
        for n in self.model.nodes():
            if isinstance(n, Gate) and n.kind == "not":
                label = f"the negation {n.name!r}" if n.name else "an unnamed negation"
                raise ModelError(
                    f"choose needs coherent logic (no negation), but the model has "
                    f"{label}: bringing a component down can bring a journey up",
                    n.name)

    def _check_nesting(self):
        for s in self.slots:
            stack = list(self.model.children(s))
            seen = set()
            while stack:
                n = stack.pop()
                if id(n) in seen:
                    continue
                seen.add(id(n))
                if isinstance(n, Choice):
                    raise ModelError(f"choice {n.name!r} is inside an option of choice "
                                     f"{s.name!r}: choose takes choices side by side; "
                                     f"resolve one with Model.resolve first", n.name)
                stack.extend(self.model.children(n))

    # -- helpers -------------------------------------------------------------------------

    def _evaluate(self, model):
        """Journey name -> (availability, unavailability), exactly."""
        diagram = ExactDiagram(model, max_nodes=self.max_nodes, _func=_FUNC)
        values = diagram.evaluate(conditionals=False)
        return {j: (float(a), float(u)) for j, a, u in zip(
            diagram.structure.journeys, values.availability, values.unavailability)}

    def _meets(self, values):
        return all(values[j][1] <= (1.0 - t) * (1.0 + 1e-12) for j, t in self.targets.items())

    def _result(self, picks, method, optimal, gap, nodes, message):
        labels = {s.name: s.options[o].label for s, o in zip(self.slots, picks)}
        design = self.model.resolve(labels)
        values = self._evaluate(design)
        totals = sum(self.res[k][o] for k, o in enumerate(picks))
        resources = dict(zip(self.resource_names, (float(v) for v in totals)))
        if self.maximize:
            objective, value = f"maximize {self.maximize}", values[self.maximize][0]
        else:
            objective, value = f"minimize {self.minimize}", resources[self.minimize]
        return DesignResult(
            model=self.model, choices=labels, resources=resources,
            journeys={j: a for j, (a, _) in values.items()}, objective=objective,
            value=float(value), optimal=optimal, gap=float(gap), method=method,
            nodes=int(nodes), message=message)

    def _check_reachable(self, values):
        """Every target met when every choice is up whenever any option is
        (``values`` of that model); else the journey and what it reaches."""
        for j, t in self.targets.items():
            if values[j][1] > (1.0 - t) * (1.0 + 1e-12):
                raise InfeasibleTargetError(
                    f"target {t!r} for journey {j!r} is unreachable: whatever the "
                    f"choices, it reaches at most {values[j][0]:.12g}", j, t,
                    values[j][0], ())

    def run(self):
        if self.method != "branch and bound":
            factors = self._factors()
            if factors is not None:
                values, log_rest, log_a, slots_of = factors
                self._check_reachable(values)
                return self._milp(log_rest, log_a, slots_of)
            if self.method == "milp":
                raise ValueError("choose: method='milp' needs every journey's availability "
                                 "to factorise over the choices (each choice in series on "
                                 "its journeys, its options sharing no component, shock or "
                                 "copula with the rest); this model does not: use "
                                 "method='branch and bound'")
        self._check_reachable(self._evaluate(self.model.resolve({}, others="any")))
        return self._branch_and_bound()

    def _factors(self):
        """(values of the open model, ln A of each journey's rest, ln A of
        each option per slot, each journey's slots), or None when some
        journey does not factorise. Kept per model and set of journeys: a
        model is immutable, and a study asks it many questions."""
        per_model = _FACTORS.setdefault(self.model, {})
        key = tuple(self.relevant)
        if key not in per_model:
            slots_of = self._factorisation()
            if slots_of is None:
                per_model[key] = None
            else:
                bound = self.model.resolve({}, others="any")
                values, log_a = self._evaluate_options(bound)
                # each journey's rest: its availability at one design over the options'
                first = [int(np.argmax(v)) for v in log_a]
                base = self._evaluate(self.model.resolve(
                    {s.name: s.options[o].label for s, o in zip(self.slots, first)}))
                log_rest = {j: math.log1p(-base[j][1])
                            - sum(log_a[k][first[k]] for k in slots_of[j])
                            for j in self.relevant}
                per_model[key] = (values, log_rest, log_a, slots_of)
        return per_model[key]

    # -- factorisation and the MILP ------------------------------------------------------

    def _factorisation(self):
        """Relevant journey -> the slots it has in series, or None when some
        journey's availability does not factorise over the slots."""
        m = self.model
        slot_index = {id(s): k for k, s in enumerate(self.slots)}
        option_leaves = []                   # per slot: set of leaf ids under any option
        for s in self.slots:
            leaves = set()
            stack = list(m.children(s))
            while stack:
                n = stack.pop()
                if id(n) in leaves:
                    continue
                if isinstance(n, (Component, Service)):
                    leaves.add(id(n))
                stack.extend(m.children(n))
            option_leaves.append(leaves)
        for a in range(len(self.slots)):
            for b in range(a + 1, len(self.slots)):
                if option_leaves[a] & option_leaves[b]:
                    return None
        in_slot = {}
        for k, leaves in enumerate(option_leaves):
            for leaf in leaves:
                in_slot[leaf] = k
        slots_of = {}
        rest_leaves = set()
        for j in m.journeys:
            if j.name not in self.relevant:
                continue
            found = set()
            stack = [(j.node, True)]
            seen = set()
            while stack:
                n, series = stack.pop()
                if (id(n), series) in seen:
                    continue
                seen.add((id(n), series))
                if isinstance(n, Choice):
                    if not series:
                        return None
                    found.add(slot_index[id(n)])
                    continue
                if isinstance(n, (Component, Service)):
                    if id(n) in in_slot:
                        return None               # a slot's component outside the slot
                    rest_leaves.add(id(n))
                below = series and (not isinstance(n, Gate) or n.kind == "series"
                                    or n.k == len(n.children))
                stack.extend((c, below) for c in m.children(n))
            slots_of[j.name] = sorted(found)
        # shocks and copulas: what they couple must not straddle slots and the rest
        for group in (*m.shocks.values(), *m.copulas.values()):
            sides = set()
            for member in m.members(group):
                if id(member) in in_slot:
                    sides.add(in_slot[id(member)])
                elif id(member) in rest_leaves:
                    sides.add("rest")
            if len(sides) > 1:
                return None
        return slots_of

    def _evaluate_options(self, bound):
        """(journey values of ``bound``, ln of each option's availability per
        slot): one exact evaluation of ``bound`` with every option's node a
        journey too, so each option's availability is its marginal under
        every shock and copula of the model."""
        names = {j.name for j in bound.journeys}
        extra, keys = [], []
        for s in self.slots:
            row = []
            for option, node in zip(s.options, self.model.children(s)):
                name = f"{s.name}={option.label}"
                while name in names:
                    name += "'"
                names.add(name)
                row.append(name)
                extra.append(Journey(node, name=name))
            keys.append(row)
        both = Model([*bound.journeys, *extra], nodes=bound.nodes(),
                     shocks=list(bound.shocks.values()), copulas=list(bound.copulas.values()))
        values = self._evaluate(both)
        log_a = [np.array([math.log1p(-values[name][1]) if values[name][1] < 1.0
                           else -math.inf for name in row]) for row in keys]
        return values, log_a

    def _milp(self, log_rest, log_a, slots_of):
        from scipy.optimize import Bounds, LinearConstraint, milp

        started = time.perf_counter()
        sizes = [len(v) for v in log_a]
        offsets = np.concatenate([[0], np.cumsum(sizes)])
        n = int(offsets[-1])
        upper = np.ones(n)
        la = np.concatenate(log_a)
        finite = np.isfinite(la)
        # an option never up cannot serve a journey with a target
        targeted = {k for j in self.targets for k in slots_of[j]}
        for k in targeted:
            upper[offsets[k]:offsets[k + 1]][~finite[offsets[k]:offsets[k + 1]]] = 0.0
        la_safe = np.where(finite, la, 0.0)
        rows, lo, hi = [], [], []
        for k in range(len(sizes)):                   # one option per choice
            row = np.zeros(n)
            row[offsets[k]:offsets[k + 1]] = 1.0
            rows.append(row)
            lo.append(1.0)
            hi.append(1.0)
        for j, t in self.targets.items():             # every target, in log space
            row = np.zeros(n)
            for k in slots_of[j]:
                row[offsets[k]:offsets[k + 1]] = la_safe[offsets[k]:offsets[k + 1]]
            need = math.log(t) - log_rest[j]
            scale = max(abs(need), float(np.max(np.abs(row))), 1e-300)
            rows.append(row / scale)
            lo.append(need / scale)
            hi.append(np.inf)
        res = np.concatenate(self.res)
        for r, limit in self.limits.items():
            rows.append(res[:, self.resource_names.index(r)])
            lo.append(-np.inf)
            hi.append(limit)
        if self.maximize:
            c = np.zeros(n)
            for k in slots_of[self.maximize]:
                part = slice(offsets[k], offsets[k + 1])
                c[part] = -la_safe[part]
                if finite[part].any():            # an option never up: never best
                    upper[part][~finite[part]] = 0.0
        else:
            c = res[:, self.resource_names.index(self.minimize)].copy()
        # HiGHS stops at an absolute gap of 1e-6: the objective is scaled so
        # that its largest coefficient is 1e6
        scale = float(np.max(np.abs(c), initial=0.0))
        c = c / scale * 1e6 if scale > 0 else c
        cuts = []
        for _ in range(20):
            A = np.array(rows + [cut[0] for cut in cuts])
            constraints = LinearConstraint(A, np.array(lo + [cut[1] for cut in cuts]),
                                           np.array(hi + [cut[2] for cut in cuts]))
            options = {"mip_rel_gap": 0.0, "node_limit": self.node_limit}
            if self.time_limit is not None:
                left = self.time_limit - (time.perf_counter() - started)
                options["time_limit"] = max(left, 1e-3)
            out = milp(c, integrality=np.ones(n), bounds=Bounds(np.zeros(n), upper),
                       constraints=constraints, options=options)
            if out.x is None:
                if out.status == 2:
                    raise ValueError(self._no_design())
                raise ValueError(f"choose: the MILP solver stopped without a design "
                                 f"({out.message})")
            picks = [int(np.argmax(out.x[offsets[k]:offsets[k + 1]]))
                     for k in range(len(sizes))]
            labels = {s.name: s.options[o].label for s, o in zip(self.slots, picks)}
            if self._meets(self._evaluate(self.model.resolve(labels))):
                break
            # rounding let a target slip: cut this design off and solve again
            row = np.zeros(n)
            row[[offsets[k] + o for k, o in enumerate(picks)]] = 1.0
            cuts.append((row, -np.inf, len(sizes) - 1.0))
        else:
            raise ValueError("choose: the MILP's designs kept missing a target by "
                             "rounding; use smaller resource limits or report it")
        optimal = out.status == 0
        gap = 0.0 if optimal else float(getattr(out, "mip_gap", math.inf) or math.inf)
        nodes = int(getattr(out, "mip_node_count", 0) or 0)
        message = ("proven optimal (MILP, relative gap 0)" if optimal
                   else f"stopped: {out.message}")
        return self._result(picks, "milp", optimal, gap, nodes, message)

    def _no_design(self):
        limits = ", ".join(f"{r} <= {v:g}" for r, v in self.limits.items())
        return (f"no design meets every target within the limits ({limits or 'none'}): "
                f"raise a limit or lower a target")

    # -- branch and bound ----------------------------------------------------------------

    def _branch_and_bound(self):
        started = time.perf_counter()
        k_slots = len(self.slots)
        mins = [np.min(r, axis=0) for r in self.res]
        order = sorted(range(k_slots), key=lambda k: -len(self.slots[k].options))
        best_value, best_picks = math.inf, None
        nodes = 0
        counter = 0

        def bound(partial):
            """The best a completion of ``partial`` could reach (the least
            resource total, or the least unavailability), or None when no
            completion meets every target and limit."""
            totals = sum((self.res[k][partial[k]] if k in partial else mins[k])
                         for k in range(k_slots))
            for r, limit in self.limits.items():
                if totals[self.resource_names.index(r)] > limit * (1 + 1e-12):
                    return None
            labels = {self.slots[k].name: self.slots[k].options[o].label
                      for k, o in partial.items()}
            values = self._evaluate(self.model.resolve(labels, others="any"))
            if not self._meets(values):
                return None
            if self.maximize:                       # the least unavailability
                return values[self.maximize][1]
            return float(totals[self.resource_names.index(self.minimize)])

        root = bound({})
        heap = [] if root is None else [(root, 0, {})]
        # a first design: dive from the root, each time into the child with
        # the best bound (it always completes, its nodes counted)
        partial = {} if root is not None else None
        while partial is not None and len(partial) < k_slots:
            k = next(i for i in order if i not in partial)
            children = []
            for o in range(len(self.slots[k].options)):
                nodes += 1
                cb = bound({**partial, k: o})
                if cb is not None:
                    children.append((cb, o))
            partial = {**partial, k: min(children)[1]} if children else None
        if partial is not None:
            best_value, best_picks = bound(partial), partial
        stopped = None
        while heap:
            b, _, partial = heapq.heappop(heap)
            if b >= best_value - 1e-12 * max(1.0, abs(best_value)):
                continue
            if len(partial) == k_slots:
                best_value, best_picks = b, partial
                continue
            if nodes >= self.node_limit:
                stopped = "node limit"
                heapq.heappush(heap, (b, 0, partial))
                break
            if self.time_limit is not None and time.perf_counter() - started > self.time_limit:
                stopped = "time limit"
                heapq.heappush(heap, (b, 0, partial))
                break
            k = next(i for i in order if i not in partial)
            for o in range(len(self.slots[k].options)):
                child = {**partial, k: o}
                nodes += 1
                cb = bound(child)
                if cb is None or cb >= best_value:
                    continue
                counter += 1
                heapq.heappush(heap, (cb, counter, child))
        if best_picks is None:
            if stopped:
                raise ValueError(f"choose: the search stopped at its {stopped} before "
                                 f"finding a design meeting every target")
            raise ValueError(self._no_design())
        picks = [best_picks[k] for k in range(k_slots)]
        if stopped and heap:
            gap = max(best_value - heap[0][0], 0.0) / max(abs(best_value), 1e-300)
            return self._result(picks, "branch and bound", gap <= 0, gap, nodes,
                                f"stopped at the {stopped}; relative gap {gap:.3g}")
        return self._result(picks, "branch and bound", True, 0.0, nodes,
                            "proven optimal (every other design bounded away)")


def _unknown(key, what, name, known):
    return unknown(_FUNC, key, what, name, known)
