"""Pass 1 of reading MEF: collect the definitions under their ids.

The containers (``<opsa-mef>``, ``define-fault-tree``, ``model-data``,
``define-component``) and the definitions in them (``define-gate``,
``define-basic-event``, ``define-house-event``, ``define-parameter``),
with the constructs slosim rejects rejected as they are met; and the
helpers every pass uses to check an element and to fail.
"""

from ..._errors import OpenPSAError

__all__ = ["Definitions", "Definition", "NAME_ATTR", "trim"]

_DEFINITIONS = {
    "define-gate": "gate",
    "define-basic-event": "basic event",
    "define-house-event": "house event",
    "define-parameter": "parameter",
}
# Top-level MEF constructs outside fault trees.
_OTHER_CONSTRUCTS = {
    "define-event-tree": "event trees",
    "define-initiating-event": "initiating events (event trees)",
    "define-initiating-event-group": "initiating events (event trees)",
    "define-sequence": "sequences (event trees)",
    "define-rule": "rules (event trees)",
    "define-consequence": "consequences (event trees)",
    "define-consequence-group": "consequences (event trees)",
    "define-alignment": "alignments and phases",
    "define-substitution": "substitutions",
    "define-extern-library": "external libraries",
    "define-extern-function": "external functions",
}

# The attributes of an element that takes a name and nothing else.
NAME_ATTR = frozenset({"name"})


def trim(text):
    """An attribute's value without surrounding blanks, as SCRAM reads
    every attribute (``boost::trim``: the C locale's white space)."""
    return text.strip(" \t\n\r\f\v")


class Definition:
    """A definition: what it is, where, and what was made of it."""

    __slots__ = ("kind", "id", "base", "line", "where", "body", "attrs",
                 "name", "value", "spec", "node", "members", "alias", "group")

    def __init__(self, kind, id_, base, el, where, body, attrs):
        self.kind = kind        # 'gate', 'basic event', 'house event', 'parameter'
        self.id = id_           # model-wide id
        self.base = base        # container path, for references it makes
        self.line = el.line
        self.where = where
        self.body = body        # child elements other than label/attributes
        self.attrs = attrs      # slosim attributes: name -> (value, line)
        self.name = None        # slosim node name
        self.value = None       # parameter: the constant it resolves to
        self.spec = None        # gate: the checked formula
        self.node = None        # the slosim node
        self.members = None     # shock: the member basic events
        self.alias = None       # member gate: the member it stands for
        self.group = None       # CCF group member: the group (_ccf) defining it

    def at(self):
        return f"{self.where}:{self.line}"

    def first(self):
        """How this definition was first made, for a duplicate's message."""
        if self.group is not None:
            return (f"as a member of common-cause group {self.group.id!r} at "
                    f"{self.at()}")
        return f"as a {self.kind} at {self.at()}"


class Definitions:
    """Pass 1: the containers and the definitions in them.

    Walks ``<opsa-mef>``, ``define-fault-tree``, ``model-data`` and
    ``define-component`` (public and private), and makes a
    :class:`Definition` of each ``define-gate``, ``define-basic-event``,
    ``define-house-event`` and ``define-parameter`` under its model-wide
    id, keeping its body for pass 2: writes ``self.events`` (gates, basic
    and house events), ``self.params`` and ``self.gates`` (in file order).
    ``define-CCF-group`` goes to :meth:`ccf_group` and ``<attributes>`` to
    :meth:`attributes`; ``<label>`` is checked and dropped; any other
    construct is rejected. Also holds the helpers every pass uses:
    :meth:`check_attrs`, :meth:`identifier`, :meth:`role`, :meth:`lookup`
    and :meth:`fail`.
    """

    def document(self, root, where):
        if root.tag != "opsa-mef":
            self.fail(f"the root element is <{root.tag}>, not <opsa-mef>: this is "
                      f"not an Open-PSA MEF file", where, root.line)
        self.check_attrs(root, where, {"name"})
        for el in root.children:
            tag = el.tag
            if tag == "define-fault-tree":
                self.check_attrs(el, where, {"name"}, ("name",))
                self.container(el, where, self.identifier(el, where), "public")
            elif tag == "model-data":
                self.check_attrs(el, where, ())
                self.container(el, where, "", "public", model_data=True)
            elif tag == "define-CCF-group":
                self.ccf_group(el, where, "", "public")
            else:
                self.common(el, where, "<opsa-mef>")

    def container(self, parent, where, base, role, model_data=False):
        for el in parent.children:
            tag = el.tag
            if tag in _DEFINITIONS and not (model_data and tag == "define-gate"):
                self.define(el, where, base, role)
            elif tag == "define-component" and not model_data:
                self.check_attrs(el, where, {"name", "role"}, ("name",))
                name = self.identifier(el, where)
                self.container(el, where, f"{base}.{name}", self.role(el, where, role))
            elif tag == "define-CCF-group" and not model_data:
                self.ccf_group(el, where, base, role)
            else:
                self.common(el, where, f"<{parent.tag}>")

    def common(self, el, where, context):
        """Label, attributes, and the constructs slosim rejects."""
        tag = el.tag
        if tag == "label":
            self.label(el, where)
        elif tag == "attributes":
            self.attributes(el, where)
        elif tag in _OTHER_CONSTRUCTS:
            self.fail(f"<{tag}> is not supported: slosim reads fault trees "
                      f"(define-fault-tree, model-data), not "
                      f"{_OTHER_CONSTRUCTS[tag]}", where, el.line)
        elif tag == "include":
            self.fail("<include> is not followed: pass every file of the model "
                      "to read_openpsa instead", where, el.line)
        elif tag in _DEFINITIONS or tag in ("define-component", "define-CCF-group"):
            self.fail(f"<{tag}> is not allowed in {context}", where, el.line)
        else:
            self.fail(f"unknown element <{tag}> in {context}", where, el.line)

    def define(self, el, where, base, role):
        kind = _DEFINITIONS[el.tag]
        allowed = {"name", "role", "unit"} if kind == "parameter" else {"name", "role"}
        self.check_attrs(el, where, allowed, ("name",))
        name = self.identifier(el, where)
        role = self.role(el, where, role)
        id_ = f"{base}.{name}" if role == "private" and base else name
        table = self.params if kind == "parameter" else self.events
        prev = table.get(id_)
        if prev is not None:
            self.fail(f"{kind} {id_!r} is defined twice (first {prev.first()})",
                      where, el.line, id_)
        body, attrs = [], {}
        for c in el.children:
            if c.tag == "label":
                self.label(c, where)
            elif c.tag == "attributes":
                attrs.update(self.attributes(c, where))
            else:
                body.append(c)
        d = Definition(kind, id_, base, el, where, body, attrs)
        table[id_] = d
        if kind == "gate":
            self.gates.append(d)

    def label(self, el, where):
        self.check_attrs(el, where, ())
        if el.children:
            self.fail(f"<label> holds an element <{el.children[0].tag}>; a label "
                      f"is text only", where, el.children[0].line)

    # -- helpers --------------------------------------------------------------

    @staticmethod
    def lookup(table, ref, base):
        if base:
            d = table.get(f"{base}.{ref}")
            if d is not None:
                return d
        return table.get(ref)

    def identifier(self, el, where):
        """The element's name, trimmed (as SCRAM does)."""
        name = trim(el.attrs["name"])
        if not name:
            self.fail(f"<{el.tag} name={el.attrs['name']!r}>: a name must be "
                      f"non-empty", where, el.line)
        return name

    def role(self, el, where, inherited):
        role = trim(el.attrs.get("role", inherited))
        if role not in ("public", "private"):
            self.fail(f"<{el.tag} role={role!r}>: a role is public or private",
                      where, el.line)
        return role

    def check_attrs(self, el, where, allowed, required=()):
        """The element's attributes as a dict, checked."""
        attrs = el.attrs
        for key in attrs:
            if key not in allowed and ":" not in key and not key.startswith("xmlns"):
                self.fail(f"<{el.tag}> has an unknown attribute {key!r}", where, el.line)
        for key in required:
            if key not in attrs:
                self.fail(f"<{el.tag}> needs a {key!r} attribute", where, el.line)
        return attrs

    @staticmethod
    def fail(reason, where, line, node=None, cause=None):
        raise OpenPSAError(reason, where, line, node) from cause
