"""slosim's own MEF attributes, and what the reader makes of them.

:func:`write_openpsa` writes them so that a model survives the trip
through MEF (the writer takes their names from here). Read back, they
name the nodes, take the shocks out of the gates' logic, and make the
journeys (with their targets) and the shocks.
"""

from ... import model as _m
from ..._errors import ModelError
from ._definitions import Definition
from ._expressions import DOUBLE
from ._logic import formula_refs, gate_refs

__all__ = ["SlosimAttributes", "SLOSIM_NAME", "SLOSIM_JOURNEY", "SLOSIM_TARGET",
           "SLOSIM_SHOCK", "SLOSIM_MEMBER"]

#: MEF attributes (``<attributes><attribute name=... value=.../>``) slosim
#: writes so that a model survives the trip: the slosim name of a node whose
#: name is no MEF identifier, the journey a top gate stands for, its target;
#: a basic event that is a common-cause shock, and the ``<or>`` gate that
#: makes a member down when its own event or one of its shocks happens
#: (naming the member's basic event).
SLOSIM_NAME = "slosim-name"
SLOSIM_JOURNEY = "slosim-journey"
SLOSIM_TARGET = "slosim-target"
SLOSIM_SHOCK = "slosim-shock"
SLOSIM_MEMBER = "slosim-member"
_SLOSIM = {SLOSIM_NAME, SLOSIM_JOURNEY, SLOSIM_TARGET, SLOSIM_SHOCK, SLOSIM_MEMBER}


class SlosimAttributes:
    """slosim's attributes (``SLOSIM_*``), in all three passes.

    Pass 1 checks ``<attributes>`` and keeps slosim's on the definition
    (its ``attrs``). Pass 2 takes the shocks (``slosim-shock`` basic
    events) out of the logic of the member gates (``slosim-member``):
    writes ``self.shocks``, each shock's ``members``, and a member gate's
    ``spec`` and ``alias``. Pass 3 names every event of ``self.events``
    (``slosim-name``) and invents the names of the constants
    (``self.constants``); then makes journeys of the top events of
    ``self.gates`` (``slosim-journey``, ``slosim-target``) and slosim
    shocks of ``self.shocks`` and of the shocks of ``self.groups``.
    """

    def attributes(self, el, where):
        """Check ``<attributes>``; return the slosim ones."""
        self.check_attrs(el, where, ())
        out = {}
        for c in el.children:
            if c.tag != "attribute":
                self.fail(f"unknown element <{c.tag}> in <attributes>", where, c.line)
            self.check_attrs(c, where, {"name", "value", "type"}, ("name", "value"))
            if c.children:
                self.fail("<attribute> must be empty", where, c.children[0].line)
            name = c.attrs["name"]
            if name in _SLOSIM:
                out[name] = (c.attrs["value"], c.line)
        return out

    def check_shocks(self):
        """Take slosim's shocks out of the logic: a shock (a basic event
        marked ``slosim-shock``) may only be an argument of the ``<or>`` of
        a gate marked ``slosim-member``, which names the member."""
        self.shocks = [d for d in self.events.values()
                       if d.kind == "basic event" and SLOSIM_SHOCK in d.attrs]
        for sh in self.shocks:
            sh.members = []
        for d in self.gates:
            if SLOSIM_MEMBER not in d.attrs:
                continue
            ref, line = d.attrs[SLOSIM_MEMBER]
            spec = d.spec
            member = None
            if isinstance(spec, tuple) and spec[0] == "or":
                member = next((a for a in spec[2] if isinstance(a, Definition)
                               and a.id == ref and a.kind == "basic event"
                               and a.members is None), None)
            if member is None:
                self.fail(f"gate {d.id!r}: {SLOSIM_MEMBER} {ref!r} must name a "
                          f"basic event among the arguments of the gate's <or>",
                          d.where, line, d.id)
            rest = []
            for a in spec[2]:
                if isinstance(a, Definition) and a.members is not None:
                    if member not in a.members:
                        a.members.append(member)
                else:
                    rest.append(a)
            d.spec = ("or", 1, rest)
            if rest == [member]:
                d.alias = member     # the member itself, with its shocks
        for d in self.gates:
            for t in formula_refs(d.spec):
                if t.members is not None:
                    self.fail(f"gate {d.id!r} refers to basic event {t.id!r}, which "
                              f"is a shock ({SLOSIM_SHOCK}); a shock may only be an "
                              f"argument of a gate with a {SLOSIM_MEMBER} attribute",
                              d.where, d.line, d.id)
        for sh in self.shocks:
            if not sh.members:
                self.fail(f"shock {sh.id!r} ({SLOSIM_SHOCK}) is an argument of no "
                          f"gate with a {SLOSIM_MEMBER} attribute, so it has no "
                          f"members", sh.where, sh.line, sh.id)

    def name_nodes(self):
        """Give every event its slosim name; invent the constants' names."""
        owner = {}
        # Own names first, so that a clash blames the slosim-name attribute.
        for d in sorted(self.events.values(), key=lambda d: SLOSIM_NAME in d.attrs):
            value = d.attrs.get(SLOSIM_NAME)
            d.name = d.id if value is None else value[0]
            line = d.line if value is None else value[1]
            prev = owner.get(d.name)
            if prev is not None:
                self.fail(f"{d.kind} {d.id!r} would be named {d.name!r} in slosim, "
                          f"which is already the name of {prev.kind} {prev.id!r} "
                          f"({prev.at()})", d.where, line, d.id)
            owner[d.name] = d
        self.constants = {}
        for value in (True, False):
            base = "constant-" + ("true" if value else "false")
            name, i = base, 1
            while name in owner or name in self.events:
                i += 1
                name = f"{base}-{i}"
            self.constants[value] = name

    def journeys(self, top, sources):
        referenced = {t.id for d in self.gates for t in gate_refs(d.spec)}
        if top is None:
            chosen = [d for d in self.gates if d.id not in referenced]
            if not chosen:
                self.fail("the model defines no gate, so it has no top event to "
                          "make a journey of", sources, None)
        else:
            chosen = []
            for name in top:
                d = self.events.get(name)
                if d is None:
                    self.fail(f"top event {name!r} is not defined", sources, None, name)
                if d.members is not None:
                    self.fail(f"top event {name!r} is a shock ({SLOSIM_SHOCK}), not "
                              f"an event of the logic", d.where, d.line, name)
                chosen.append(d)
        out = []
        for d in chosen:
            name, target = d.name, None
            if d.kind == "gate" and SLOSIM_JOURNEY in d.attrs:
                name = d.attrs[SLOSIM_JOURNEY][0]
            if d.kind == "gate" and SLOSIM_TARGET in d.attrs:
                text, line = d.attrs[SLOSIM_TARGET]
                target = text.strip()
                if not DOUBLE.fullmatch(target) or not 0 < float(target) <= 1:
                    self.fail(f"gate {d.id!r}: {SLOSIM_TARGET} {text!r} is not an "
                              f"availability in (0, 1]", d.where, line, d.id)
                target = float(target)
            try:
                out.append(_m.Journey(d.node, name=name, target=target))
            except ModelError as exc:
                self.fail(f"{d.kind} {d.id!r}: {exc}", d.where, d.line, d.id, exc)
        return out

    def shock_nodes(self, journeys):
        """The shocks, over the members the journeys reach."""
        seen, stack = set(), [j.node for j in journeys]
        while stack:
            n = stack.pop()
            if id(n) not in seen:
                seen.add(id(n))
                stack.extend(n.children)
        out = []
        for d in self.shocks:
            members = [m.node for m in d.members if id(m.node) in seen]
            if members:
                try:
                    out.append(_m.Shock(d.name, d.value, members=members))
                except ModelError as exc:
                    self.fail(f"shock {d.id!r}: {exc}", d.where, d.line, d.id, exc)
        # A group's shock over the members the journeys reach, so that each
        # reached member keeps its total failure probability.
        for g in self.groups.values():
            for sh in g.node.shocks:
                members = [m for m in sh.members if id(m) in seen]
                if len(members) == len(sh.members):
                    out.append(sh)
                elif members:
                    out.append(_m.Shock(sh.name, sh.probability, members=members))
        return out
