"""Write a :class:`slosim.Model` as Open-PSA MEF fault trees.

The output keeps to the core of MEF that PRA tools share: one
``define-fault-tree`` of flat gates (one ``<or>``, ``<and>``,
``<atleast>`` or ``<not>`` each, or a single event), and a ``model-data`` of basic
events with ``<float>`` probabilities.

Names: a slosim name that is a MEF identifier is written as it is; any
other (dots, blanks, non-ASCII letters...) gets an identifier made from it,
and the original in a ``slosim-name`` attribute. Gates slosim did not name
get fresh names (``gate-1``, ``db-service``, ``checkout-journey``) that
collide with no name of the model. Each journey is a top gate (a gate no
other gate refers to), in journey order; it carries ``slosim-journey`` when
its name is not the journey's, and ``slosim-target`` when the journey has a
target.

A k-of-n gate whose children repeat cannot be one ``<atleast>`` (MEF
arguments are a set); it is written as the equivalent coherent formula by
Shannon decomposition on the repeated children, sub-formulas shared.

A shock is a basic event (marked ``slosim-shock``); each of its members is
referred to through an ``<or>`` of the member's own event and its shocks
(marked ``slosim-member``), the member's service gate for a service.
"""

import io
import os
import re

from ..._errors import OpenPSAError
from ..._validation import param_error
from ..._version import __version__
from ...model import NOT, as_model, lower
from ._attributes import (
    SLOSIM_JOURNEY,
    SLOSIM_MEMBER,
    SLOSIM_NAME,
    SLOSIM_SHOCK,
    SLOSIM_TARGET,
)

__all__ = ["write_openpsa"]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*\Z")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
            "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}
_ESCAPE = re.compile('[&<>"\t\n\r]')


def _quote(value):
    if _NOT_XML.search(value):
        raise OpenPSAError(f"the name {value!r} holds a character that XML cannot "
                           f"represent; rename it to write the model", node=value)
    return '"' + _ESCAPE.sub(lambda m: _ESCAPES[m.group()], value) + '"'


def _mangle(name):
    """A MEF identifier made from ``name`` (itself when it is one)."""
    if _IDENTIFIER.match(name):
        return name
    s = re.sub(r"[^A-Za-z0-9_-]", "_", name)
    s = re.sub(r"-{2,}", "-", s).strip("-")
    if not s or not (s[0].isalpha() or s[0] == "_"):
        s = "_" + s
    return s


class _Writer:
    """Names and formulas of a :class:`~slosim.model.Structure` in MEF.

    Every basic event is a MEF basic event; every gate of the Structure a
    MEF gate (a model gate, a service, or a component hit by shocks), in
    the failure domain: a gate that needs ``k`` of its ``n`` children up
    fails when ``n - k + 1`` of them fail.
    """

    def __init__(self, model):
        self.model = model
        s = self.s = lower(model)
        self.E = s.n_events
        self.C = s.n_components
        self.kids = [s.children(g).tolist() for g in range(s.n_gates)]
        # the event a component's or service's gate stands for (its name is
        # the node's, and node names are unique), else -1
        events = {name: e for e, name in enumerate(s.events[:self.C])}
        self.owner = [events.get(name, -1) if name is not None else -1
                      for name in s.gate_names]
        self.taken = {n for n in (*s.events, *s.gate_names)
                      if n is not None and _IDENTIFIER.match(n)}
        self.be = [None] * self.E           # event -> basic event id
        self.gate = [None] * s.n_gates      # gate -> MEF gate id
        self.attrs = {}    # MEF id -> [(attribute, value)]
        self.counter = 0

    def unique(self, base):
        name, i = base, 1
        while name in self.taken:
            i += 1
            name = f"{base}-{i}"
        self.taken.add(name)
        return name

    def own_name(self, name):
        """The MEF id of a named node: its name, or one made from it."""
        if _IDENTIFIER.match(name):
            return name
        mef = self.unique(_mangle(name))
        self.attrs.setdefault(mef, []).append((SLOSIM_NAME, name))
        return mef

    def fresh(self, name, suffix):
        base = _mangle(name)
        return self.unique(base if base not in self.taken else f"{base}-{suffix}")

    def shocked(self, g):
        """Whether gate g applies shocks (a shock event among its children)."""
        return any(self.C <= c < self.E for c in self.kids[g])

    def names(self):
        """Give every event, gate and journey its MEF id."""
        s, E = self.s, self.E
        referenced = {c for kids in self.kids for c in kids}
        uses = {}
        for o in s.outputs.tolist():
            uses[o] = uses.get(o, 0) + 1
        # Names in the model's topological order, then the shocks, so that
        # two names made into one identifier are told apart in that order.
        event = {name: e for e, name in enumerate(s.events)}
        gate = {name: g for g, name in enumerate(s.gate_names)
                if name is not None and self.owner[g] < 0}
        for n in self.model.nodes():
            if n.name in event and n.name not in gate:
                self.be[event[n.name]] = self.own_name(n.name)
            elif n.name is not None:
                self.gate[gate[n.name]] = self.own_name(n.name)
        for e in range(self.C, E):
            self.be[e] = self.own_name(s.events[e])
            self.attrs.setdefault(self.be[e], []).append((SLOSIM_SHOCK, "true"))
        self.tops = []     # (journey, target, MEF id, own gate?)
        for name, target, o in zip(s.journeys, s.targets, s.outputs.tolist()):
            own = o >= E and o not in referenced and uses[o] == 1
            if own and self.gate[o - E] is not None:
                mef = self.gate[o - E]
            else:
                mef = self.fresh(name, "journey")
                if own:
                    self.gate[o - E] = mef
            extra = self.attrs.setdefault(mef, [])
            if mef != name:       # the journey, whatever other tools call it
                extra.append((SLOSIM_JOURNEY, name))
            if target is not None:
                extra.append((SLOSIM_TARGET, repr(target)))
            self.tops.append((name, mef, own, o))
        for g in reversed(range(s.n_gates)):
            if self.gate[g] is not None:
                continue
            e = self.owner[g]
            if e >= 0:
                requires = any(c != e and not self.C <= c < E for c in self.kids[g])
                suffix = "-service" if requires else "-shocked"
                self.gate[g] = self.unique(_mangle(s.events[e]) + suffix)
            else:
                while True:
                    self.counter += 1
                    if f"gate-{self.counter}" not in self.taken:
                        break
                self.gate[g] = self.unique(f"gate-{self.counter}")
        for g in range(s.n_gates):
            if self.owner[g] >= 0 and self.shocked(g):
                self.attrs.setdefault(self.gate[g], []).append(
                    (SLOSIM_MEMBER, self.be[self.owner[g]]))

    def ref(self, n):
        if n >= self.E:
            return ("gate", self.gate[n - self.E])
        return ("basic-event", self.be[n])

    def formula(self, g):
        """The failure formula of gate ``g``, over MEF references."""
        refs = [self.ref(c) for c in self.kids[g]]
        if self.s.gate_op[g] == NOT:      # failed when its child is not
            return ("not", [("ref",) + refs[0]])
        m = len(refs) - int(self.s.gate_k[g]) + 1    # failed children that fail it
        weights = {}
        for r in refs:
            weights[r] = weights.get(r, 0) + 1
        if m == 1 or m == len(refs):
            # An <or> or an <and>: a repeated child counts once.
            m = 1 if m == 1 else len(weights)
            weights = dict.fromkeys(weights, 1)
        # Repeated children first: the decomposition works through them.
        items = sorted(weights.items(), key=lambda item: item[1] == 1)
        f = _threshold(items, m)
        # The decomposition may leave out a child that never decides the
        # gate; keep it in an absorbed term, f or (f and child), so that the
        # file has every component of the model.
        used = _refs(f)
        missing = [("ref",) + r for r in weights if r not in used]
        if missing:
            f = ("or", [f, ("and", [f] + missing)])
        return f

    def text(self):
        self.names()
        s, E = self.s, self.E
        out = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f"<!-- Written by slosim {__version__}: fault trees in the failure "
            f"domain. Each top gate is a journey failing, each basic event a "
            f"component down. -->",
            "<opsa-mef>",
            '  <define-fault-tree name="slosim">',
        ]
        written, parts = set(), []
        for _, mef, own, o in self.tops:     # top gates first, in journey order
            if own:
                self.define_gate(out, mef, self.formula(o - E), parts)
                written.add(o - E)
            else:
                self.define_gate(out, mef, ("ref",) + self.ref(o))
        out.extend(parts)
        for g in reversed(range(s.n_gates)):
            if g not in written:
                self.define_gate(out, self.gate[g], self.formula(g))
        out.append("  </define-fault-tree>")
        out.append("  <model-data>")
        for e in range(E):
            mef = self.be[e]
            out.append(f"    <define-basic-event name={_quote(mef)}>")
            self.attributes(out, mef)
            out.append(f"      <float value=\"{float(s.q[e])!r}\"/>")
            out.append("    </define-basic-event>")
        out.append("  </model-data>")
        out.append("</opsa-mef>")
        return "\n".join(out) + "\n"

    def attributes(self, out, mef):
        pairs = self.attrs.get(mef)
        if pairs:
            out.append("      <attributes>")
            for key, value in pairs:
                out.append(f"        <attribute name=\"{key}\" value={_quote(value)}/>")
            out.append("      </attributes>")

    def define_gate(self, out, mef, formula, parts_out=None):
        """Write gate ``mef``, then the gates of its sub-formulas (into
        ``parts_out`` if given)."""
        parts = {}       # id(sub-formula) -> (MEF id, sub-formula)
        queue = [(mef, formula)]
        while queue:
            name, f = queue.pop(0)
            if name != mef and parts_out is not None:
                out = parts_out
            out.append(f"    <define-gate name={_quote(name)}>")
            self.attributes(out, name)
            if f[0] == "ref":
                out.append(f"      <{f[1]} name={_quote(f[2])}/>")
            else:
                head = f'<atleast min="{f[1]}">' if f[0] == "atleast" else f"<{f[0]}>"
                out.append(f"      {head}")
                for arg in f[-1]:
                    if arg[0] == "ref":
                        out.append(f"        <{arg[1]} name={_quote(arg[2])}/>")
                        continue
                    if id(arg) not in parts:
                        parts[id(arg)] = (self.unique(f"{mef}-part-{len(parts) + 1}"), arg)
                        queue.append(parts[id(arg)])
                    out.append(f"        <gate name={_quote(parts[id(arg)][0])}/>")
                out.append(f"      </{f[0]}>")
            out.append("    </define-gate>")


def _threshold(items, m):
    """Formula failing when the failed items weigh at least ``m``.

    ``items`` is a list of ``(reference, weight)``, weights > 1 first.
    Returns ``('ref', kind, id)``, ``('or', args)``, ``('and', args)``,
    ``('atleast', m, args)``; True / False for constants (never at the top
    for ``1 <= m <= total weight``). Shannon decomposition on each weighted
    item ``d``: ``T(m) = T_rest(m) or (d and T_rest(m - w))``, memoised on
    (position, m) so shared sub-formulas are built once.
    """
    memo = {}
    suffix = [0] * (len(items) + 1)
    for i in range(len(items) - 1, -1, -1):
        suffix[i] = suffix[i + 1] + items[i][1]

    def t(i, m):
        if m <= 0:
            return True
        if m > suffix[i]:
            return False
        key = (i, m)
        if key in memo:
            return memo[key]
        ref, w = items[i]
        if w == 1:       # every remaining item has weight 1
            args = [("ref",) + r for r, _ in items[i:]]
            if len(args) == 1:
                f = args[0]
            elif m == 1:
                f = ("or", args)
            elif m == len(args):
                f = ("and", args)
            else:
                f = ("atleast", m, args)
        else:
            without = t(i + 1, m)
            rest = t(i + 1, m - w)
            d = ("ref",) + ref
            with_d = d if rest is True else (False if rest is False else ("and", [d, rest]))
            if without is False:
                f = with_d
            elif with_d is False:
                f = without
            else:
                f = ("or", [without, with_d])
        memo[key] = f
        return f

    return t(0, m)


def _refs(formula):
    """The references ``(kind, id)`` a formula uses."""
    out, stack, seen = set(), [formula], set()
    while stack:
        f = stack.pop()
        if f[0] == "ref":
            out.add(f[1:])
        elif id(f) not in seen:
            seen.add(id(f))
            stack.extend(f[-1])
    return out


def write_openpsa(model, path_or_file):
    """Write a model as Open-PSA MEF fault trees, for SCRAM and other PRA tools.

    Each journey becomes a top gate of one ``define-fault-tree``, each
    component (and each service's own part) a basic event whose probability
    is its unavailability, written with ``repr`` so that it reads back
    exactly. Gates are written in the failure domain: a series gate is an
    ``<or>`` of failures, a parallel gate an ``<and>``, a k-of-n gate over n
    children an ``<atleast min="n - k + 1">``; a service is the ``<or>`` of
    its own basic event and its requirements. A node used in several places
    is written once and referred to by name. A :class:`~slosim.Shock` is one
    more basic event, in an ``<or>`` with each member's own event. A
    probability given as a distribution (an uncertain parameter) is written
    as the number the engines use, its mean (for a common-cause group, the
    group's formulas at the parameters' means); the distribution itself is
    not written.

    Parameters
    ----------
    model : Model, Node or Journey
    path_or_file : path or file object
        Where to write: a path (``str`` or ``os.PathLike``, overwritten) or a
        file object open for writing, text or binary (UTF-8).

    Raises
    ------
    OpenPSAError
        If a name holds a character XML cannot represent (a control
        character), or the model has a :class:`~slosim.GaussianCopula`
        (the MEF has no correlated basic events, and writing the model
        without it would give other tools a different model); nothing is
        written then.

    See Also
    --------
    read_openpsa : reads the file back into the same model.

    Notes
    -----
    Names that are not MEF identifiers (letters, digits, ``_``, single
    inner ``-``; no dots or blanks) are replaced by identifiers made from
    them, and kept in a ``slosim-name`` attribute; a top gate whose name is
    not its journey's carries ``slosim-journey``, and a journey's target is
    kept in ``slosim-target``; ``slosim-shock`` and ``slosim-member`` mark
    the shocks and the gates that apply them. :func:`read_openpsa` reads
    these back, so ``read_openpsa`` of the file has the same journeys
    (names, targets, order), the same components with bit-identical
    unavailabilities, the same shocks, and the same journey probabilities.
    Gates slosim did not name get fresh names that collide with no name of
    the model.

    Examples
    --------
    >>> import io
    >>> import slosim as ss
    >>> import slosim.io
    >>> db = ss.parallel(ss.Component("db-a", unavailability=1e-3),
    ...                  ss.Component("db-b", unavailability=1e-3), name="db")
    >>> web = ss.Service("web", availability=0.9995, requires=[db])
    >>> buffer = io.StringIO()
    >>> slosim.io.write_openpsa(ss.Journey(web, target=0.999), buffer)
    >>> print(buffer.getvalue())  # doctest: +ELLIPSIS
    <?xml version="1.0" encoding="UTF-8"?>
    <!-- Written by slosim ... -->
    <opsa-mef>
      <define-fault-tree name="slosim">
        <define-gate name="web-journey">
          <attributes>
            <attribute name="slosim-journey" value="web"/>
            <attribute name="slosim-target" value="0.999"/>
          </attributes>
          <or>
            <basic-event name="web"/>
            <gate name="db"/>
          </or>
        </define-gate>
        <define-gate name="db">
          <and>
            <basic-event name="db-a"/>
            <basic-event name="db-b"/>
          </and>
        </define-gate>
      </define-fault-tree>
      <model-data>
        <define-basic-event name="db-a">
          <float value="0.001"/>
        </define-basic-event>
        <define-basic-event name="db-b">
          <float value="0.001"/>
        </define-basic-event>
        <define-basic-event name="web">
          <float value="0.0005"/>
        </define-basic-event>
      </model-data>
    </opsa-mef>
    <BLANKLINE>
    >>> buffer.seek(0)
    0
    >>> slosim.io.read_openpsa(buffer).journeys
    (Journey('web', target=0.999),)
    """
    model = as_model(model, "write_openpsa")
    if model.copulas:
        raise OpenPSAError(
            f"the model has Gaussian copulas ({', '.join(map(repr, model.copulas))}), "
            f"which the Open-PSA MEF cannot express; write the model without "
            f"them only if independent failures are what the file should say")
    text = _Writer(model).text()
    if hasattr(path_or_file, "write"):
        if isinstance(path_or_file, io.TextIOBase):
            path_or_file.write(text)
        elif isinstance(path_or_file, (io.RawIOBase, io.BufferedIOBase)):
            path_or_file.write(text.encode("utf-8"))
        else:
            try:
                path_or_file.write(text)
            except TypeError:
                path_or_file.write(text.encode("utf-8"))
        return
    if not isinstance(path_or_file, (str, os.PathLike)):
        raise param_error("path_or_file", "write_openpsa",
                          "a path (str or os.PathLike) or a file object",
                          path_or_file, TypeError)
    with open(path_or_file, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
