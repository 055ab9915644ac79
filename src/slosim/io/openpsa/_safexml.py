"""Read untrusted XML into a small element tree, safely.

The parser is expat, driven directly:

* any DOCTYPE is an error, so no DTD is read and no entity is ever
  declared, let alone expanded (no "billion laughs", no external entities);
  a reference to an undeclared entity is an expat error;
* the input is read in chunks and refused past ``max_size`` bytes
  (characters, for a text stream), and elements nested deeper than
  ``max_depth`` are refused as they open, so memory stays proportional to
  ``max_size`` whatever the file holds;
* text is kept nowhere: non-blank text is an error except inside the
  elements named in ``text_tags``, where it is dropped;
* every element keeps the line of its start tag, for messages.
"""

from xml.parsers import expat

from ..._errors import OpenPSAError

__all__ = ["Element", "parse"]

_CHUNK = 1 << 16


class Element:
    """One XML element: tag, attributes, line, children (list).

    Attributes are kept flat, ``(name, value, name, value, ...)``, the most
    compact form; :attr:`attrs` makes a dict of them when asked.
    """

    __slots__ = ("tag", "flat", "line", "children")

    def __init__(self, tag, flat, line):
        self.tag = tag
        self.flat = flat
        self.line = line
        self.children = ()

    @property
    def attrs(self):
        f = self.flat
        if len(f) == 2:
            return {f[0]: f[1]}
        return dict(zip(f[::2], f[1::2]))

    def __repr__(self):
        return f"<{self.tag} {self.attrs!r} line {self.line}>"


def parse(stream, where, *, max_size, max_depth, text_tags=frozenset()):
    """Parse ``stream`` (binary or text file object) into its root Element.

    ``where`` names the source in messages. Raises :class:`OpenPSAError`.
    """
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.ordered_attributes = True
    stack = []
    root = []
    setdefault = {}.setdefault    # one object per attribute text: names repeat

    def fail(reason, line=None):
        raise OpenPSAError(reason, where, parser.CurrentLineNumber if line is None else line)

    def start(tag, attrs):
        if len(stack) >= max_depth:
            fail(f"<{tag}> is nested {len(stack) + 1} elements deep, deeper than "
                 f"max_depth={max_depth}")
        attrs = tuple([setdefault(a, a) for a in attrs]) if attrs else ()
        el = Element(tag, attrs, parser.CurrentLineNumber)
        if stack:
            parent = stack[-1]
            if not parent.children:
                parent.children = []
            parent.children.append(el)
        else:
            root.append(el)
        stack.append(el)

    def end(tag):
        stack.pop()

    def text(data):
        if stack and stack[-1].tag not in text_tags and not data.isspace():
            shown = data.strip()
            shown = shown if len(shown) <= 40 else shown[:37] + "..."
            fail(f"unexpected text {shown!r} in <{stack[-1].tag}>")

    def doctype(*args):
        fail("the file has a DOCTYPE declaration; slosim reads no DTD and "
             "expands no entities, for safety: remove the declaration")

    def entity(*args):
        fail("entity declarations are not accepted (no entity is expanded, "
             "for safety)")

    def external(*args):
        fail("external entities are not read, for safety")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.UnparsedEntityDeclHandler = entity
    parser.ExternalEntityRefHandler = external

    size = 0
    empty = b""
    try:
        while True:
            chunk = stream.read(_CHUNK)
            if not chunk:
                break
            if isinstance(chunk, str):
                empty = ""
            elif not isinstance(chunk, (bytes, bytearray, memoryview)):
                raise TypeError(
                    f"reading {where} gave {type(chunk).__name__}, not bytes or str")
            size += len(chunk)
            if size > max_size:
                raise OpenPSAError(
                    f"the input is larger than max_size={max_size} "
                    f"{'characters' if empty == '' else 'bytes'}; pass a larger "
                    f"max_size to read it", where)
            parser.Parse(chunk, False)
        parser.Parse(empty, True)
    except expat.ExpatError as exc:
        raise OpenPSAError(
            f"not well-formed XML: {expat.errors.messages[exc.code]} "
            f"(column {exc.offset + 1})", where, exc.lineno) from None
    except LookupError as exc:  # an encoding expat and Python do not know
        raise OpenPSAError(f"cannot decode the file: {exc}", where, 1) from None
    except UnicodeError as exc:
        raise OpenPSAError(f"cannot decode the file: {exc}", where) from None
    return root[0]

