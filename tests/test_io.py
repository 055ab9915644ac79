"""slosim.io: Open-PSA MEF models in and out.

* Reading: the hand-written files in ``tests/data/openpsa/`` cover every
  construct slosim reads; their journey probabilities are checked exactly
  (rational arithmetic) against closed forms written out by hand from the
  fault-tree logic, and against the brute-force oracle.
* Rejection: every construct slosim rejects (cardinality,
  expressions, other MEF layers, unknown elements, broken models and
  broken common-cause groups, unsafe XML) is an ``OpenPSAError`` whose message names
  the file, the line of the offending element (found in the test input by
  a marker, not taken from the reader) and the element.
* Writing: the output follows the MEF rules SCRAM enforces (checked by an
  independent checker below), and a round trip keeps journeys, targets,
  components (bit for bit) and journey probabilities (exactly, by the
  oracle; on larger models, the structure function agrees on random
  states and ``simulate`` agrees with a closed form).
* Common-cause groups: the ``ccf-*.xml`` files (each parametric model,
  groups of 2 and 3 members) against closed forms written from the models'
  formulas in rational arithmetic, ``exact`` and ``simulate``.
"""

from fractions import Fraction
import io
import itertools
import math
import pathlib
import re
import xml.etree.ElementTree as ET

from hypothesis import HealthCheck, given, settings, strategies as st
import numpy as np
import pytest

import slosim as ss
import slosim.io as sio
from slosim.io import OpenPSAError, read_openpsa, write_openpsa

from model_numbers import probabilities, unavailabilities
import oracle
from oracle import assert_consistent, checked_simulate, unavailability
from strategies import build_with_shocks, dags, models_with_shocks, shock_reference

DATA = pathlib.Path(__file__).resolve().parent / "data" / "openpsa"

PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def F(x):
    """The exact value of the float slosim stores for decimal text ``x``."""
    return Fraction(float(x))


def vote(qs, m):
    """P(at least m of independent events with probabilities qs occur)."""
    qs = [Fraction(q) for q in qs]
    total = Fraction(0)
    for mask in range(1 << len(qs)):
        if bin(mask).count("1") >= m:
            p = Fraction(1)
            for i, q in enumerate(qs):
                p *= q if mask >> i & 1 else 1 - q
            total += p
    return total


def either(*ps):
    """P(at least one of independent events occurs)."""
    out = Fraction(1)
    for p in ps:
        out *= 1 - Fraction(p)
    return 1 - out


def both(*ps):
    return math.prod(Fraction(p) for p in ps)


def line_of(text, marker):
    """1-based line of the first occurrence of ``marker`` in ``text``."""
    return text[: text.index(marker)].count("\n") + 1


def read_text(text, **kwargs):
    return read_openpsa(io.StringIO(text), **kwargs)


def written(model):
    buffer = io.StringIO()
    write_openpsa(model, buffer)
    return buffer.getvalue()


# --- reading: the supported constructs ---------------------------------------


def test_gate_forms():
    model = read_openpsa(DATA / "gates.xml")
    assert [j.name for j in model.journeys] == ["top"]
    q = {c: F(v) for c, v in zip("abcdefghijk", (
        "0.1", "0.2", "0.3", "1e-3", "2.5E-3", "0.05", ".04", "0.5", "0.25",
        "0.6", "0.7"))}
    assert unavailabilities(model) == {k: float(v) for k, v in q.items()}
    vote_ = vote([q["a"], q["b"], q["c"]], 2)
    pair = both(q["d"], q["e"])
    nested = both(either(q["f"], q["g"]), either(q["h"], q["i"]), both(q["j"], q["k"]))
    assert unavailability(model, exact=True) == {"top": either(vote_, pair, nested)}


def test_gate_forms_translate_to_the_up_domain():
    top = read_openpsa(DATA / "gates.xml").journeys[0].node
    assert (top.kind, top.name) == ("series", "top")       # <or> of failures
    vote_, pair, nested = top.children
    assert (vote_.kind, vote_.k, vote_.name) == ("k_of_n", 2, "vote")  # 2 of 3 fail
    assert [c.name for c in vote_.children] == ["a", "b", "c"]
    assert (pair.kind, pair.name) == ("parallel", "pair")  # <and> of failures
    assert nested.kind == "parallel"
    inner_or, atleast_1, atleast_2 = nested.children
    assert (inner_or.kind, inner_or.name) == ("series", None)   # nested: unnamed
    assert (atleast_1.kind, atleast_1.name) == ("series", None)  # min=1 is <or>
    assert (atleast_2.kind, atleast_2.name) == ("parallel", None)  # min=n is <and>
    single_or = atleast_1.children[1]
    assert (single_or.kind, single_or.name, len(single_or.children)) == ("series", "single-or", 1)
    single_and = single_or.children[0]
    assert (single_and.kind, len(single_and.children)) == ("parallel", 1)
    through = single_and.children[0]
    assert (through.kind, through.name) == ("series", "through")
    assert through.children[0].name == "i"


def test_model_across_fault_trees_with_parameters_and_house_events():
    model = read_openpsa(str(DATA / "model.xml"))
    # Two top gates, in file order; payments and storage are referenced.
    assert [j.name for j in model.journeys] == ["checkout", "search"]
    assert unavailabilities(model) == {
        "web": 5e-4, "pay-a": 0.01, "pay-b": 0.02, "maintenance": 1.0,
        "disk-a": 1.0, "disk-b": 0.05, "spare": 1.0, "index": 0.0,
        "unset": 0.0, "off": 0.0,
    }
    payments = both(F("0.01"), F("0.02"), 1)       # maintenance is true
    storage = both(1, F("0.05"), 1)                 # disk-a = one = 1, spare true
    assert unavailability(model, exact=True) == {
        "checkout": either(F("5e-4"), payments, storage),
        "search": either(0, storage, 0, 0),
    }
    # Definitions no journey uses are checked but not part of the model.
    assert "unused-event" not in model.components


def test_components_public_private_and_scoped_references():
    model = read_openpsa(DATA / "components.xml")
    assert [j.name for j in model.journeys] == ["site", "audit"]
    assert unavailabilities(model) == {
        "site.east.grid": 0.1, "site.east.ups": 0.01, "grid": 0.2,
        "site.west.ups": 0.02, "x": 0.3, "y": 0.4, "site.common.z": 0.5,
    }
    east = either(F("0.1"), F("0.01"))
    west = either(F("0.2"), F("0.02"))      # west's grid is the public one
    shared = vote([F("0.3"), F("0.4"), F("0.5")], 2)
    assert unavailability(model, exact=True) == {
        "site": both(east, west, shared),
        "audit": either(east, F("0.2")),
    }
    site, audit = (j.node for j in model.journeys)
    assert audit.children[0] is site.children[0]     # one gate, shared


def test_several_files_make_one_model():
    model = read_openpsa([DATA / "split-tree.xml", DATA / "split-data.xml"])
    assert unavailabilities(model) == {"p": 0.1, "q": 0.2, "r": 0.3, "s": 0.4}
    assert unavailability(model, exact=True) == {
        "split": vote([F("0.1"), F("0.2"), F("0.3"), F("0.4")], 2)}
    node = model.journeys[0].node
    assert (node.kind, node.k) == ("k_of_n", 3)      # 2 of 4 fail = 3 of 4 up


@pytest.mark.parametrize("how", ["path", "str", "binary", "text"])
def test_sources(how):
    path = DATA / "gates.xml"
    source = {
        "path": path, "str": str(path),
        "binary": io.BytesIO(path.read_bytes()),
        "text": io.StringIO(path.read_text(encoding="utf-8")),
    }[how]
    model = read_openpsa(source)
    assert unavailabilities(model) == unavailabilities(read_openpsa(path))


def test_declared_encoding_is_honoured():
    text = ('<?xml version="1.0" encoding="ISO-8859-1"?>\n<opsa-mef>'
            '<define-fault-tree name="ft"><define-gate name="café">'
            '<basic-event name="crème"/></define-gate></define-fault-tree>'
            '<model-data><define-basic-event name="crème"><float value="0.5"/>'
            '</define-basic-event></model-data></opsa-mef>')
    model = read_openpsa(io.BytesIO(text.encode("latin-1")))
    assert [j.name for j in model.journeys] == ["café"]
    assert unavailabilities(model) == {"crème": 0.5}


def test_probabilities_are_read_exactly_from_their_digits():
    values = ["0.1", "1e-15", "0.30000000000000004", "5e-324", "0.9999999999999999",
              "1", "0", "+0.25", "1.000", "7E-1"]
    data = "".join(f'<define-basic-event name="e{i}"><float value="{v}"/></define-basic-event>'
                   for i, v in enumerate(values))
    refs = "".join(f'<basic-event name="e{i}"/>' for i in range(len(values)))
    model = read_text(f'<opsa-mef><define-fault-tree name="ft"><define-gate name="g">'
                      f'<or>{refs}</or></define-gate></define-fault-tree>'
                      f'<model-data>{data}</model-data></opsa-mef>')
    for i, v in enumerate(values):
        assert unavailabilities(model)[f"e{i}"] == float(v)


def test_constants_in_formulas():
    text = ('<opsa-mef><define-fault-tree name="ft">'
            '<define-gate name="g">'
            '<or><basic-event name="a"/><constant value="false"/></or></define-gate>'
            '<define-gate name="h">'
            '<and><basic-event name="a"/><constant value="true"/></and></define-gate>'
            '<define-gate name="always"><constant value="1"/></define-gate>'
            '</define-fault-tree><model-data>'
            '<define-basic-event name="a"><float value="0.25"/></define-basic-event>'
            '<define-basic-event name="constant-true"><float value="0.5"/></define-basic-event>'
            '</model-data></opsa-mef>')
    model = read_text(text, top=["g", "h", "always", "constant-true"])
    assert unavailability(model, exact=True) == {
        "g": Fraction(1, 4), "h": Fraction(1, 4), "always": 1, "constant-true": Fraction(1, 2)}
    # The constants are components whose names collide with no event.
    assert unavailabilities(model) == {"a": 0.25, "constant-false": 0.0,
                                       "constant-true-2": 1.0, "constant-true": 0.5}


def test_duplicate_arguments_of_or_and_are_harmless():
    text = ('<opsa-mef><define-fault-tree name="ft">'
            '<define-gate name="g">'
            '<or><basic-event name="a"/><basic-event name="a"/></or></define-gate>'
            '<define-gate name="h">'
            '<and><event name="a"/><basic-event name="a"/></and></define-gate>'
            '</define-fault-tree><model-data>'
            '<define-basic-event name="a"><float value="0.25"/></define-basic-event>'
            '</model-data></opsa-mef>')
    assert unavailability(read_text(text), exact=True) == {"g": Fraction(1, 4),
                                                          "h": Fraction(1, 4)}


def test_parameters_and_events_have_separate_namespaces():
    text = ('<opsa-mef><define-fault-tree name="a"><define-gate name="a">'
            '<basic-event name="a"/></define-gate>'
            '<define-parameter name="a"><float value="0.5"/></define-parameter>'
            '<define-basic-event name="a"><parameter name="a"/></define-basic-event>'
            '</define-fault-tree></opsa-mef>')
    with pytest.raises(OpenPSAError, match="basic event 'a' is defined twice \\(first as a gate"):
        read_text(text)      # a gate and a basic event share one namespace
    model = read_text(text.replace('<define-gate name="a"><basic-event name="a"/>',
                                   '<define-gate name="top"><basic-event name="a"/>'))
    assert unavailabilities(model) == {"a": 0.5}


def test_namespaced_attributes_are_ignored():
    text = ('<opsa-mef xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xsi:noNamespaceSchemaLocation="mef.xsd"><define-fault-tree name="ft">'
            '<define-gate name="g"><basic-event name="a"/></define-gate></define-fault-tree>'
            '<model-data><define-basic-event name="a"><float value="0.5"/>'
            '</define-basic-event></model-data></opsa-mef>')
    assert unavailabilities(read_text(text)) == {"a": 0.5}


# --- reading: choosing the journeys ------------------------------------------


def test_top_picks_journeys_in_the_given_order():
    path = DATA / "model.xml"
    model = read_openpsa(path, top=["storage", "checkout", "pay-a"])
    assert [j.name for j in model.journeys] == ["storage", "checkout", "pay-a"]
    assert unavailability(model, exact=True)["pay-a"] == F("0.01")
    assert [j.name for j in read_openpsa(path, top="payments").journeys] == ["payments"]


def test_top_private_gate_by_path():
    model = read_openpsa(DATA / "components.xml", top="site.west.power")
    assert unavailability(model, exact=True) == {
        "site.west.power": either(F("0.2"), F("0.02"))}


def test_top_unknown():
    with pytest.raises(OpenPSAError) as info:
        read_openpsa(DATA / "gates.xml", top=["top", "nope"])
    assert info.value.line is None and info.value.node == "nope"
    assert str(info.value) == f"{DATA / 'gates.xml'}: top event 'nope' is not defined"


@pytest.mark.parametrize("top, cls", [
    (["a", "a"], ValueError), ([], TypeError), (("top", 3), TypeError),
    (3, TypeError), ({"top"}, TypeError),
])
def test_top_bad_parameter(top, cls):
    with pytest.raises(cls, match="The 'top' parameter of read_openpsa must be"):
        read_openpsa(DATA / "gates.xml", top=top)


def test_no_gates_no_journeys():
    text = ('<opsa-mef><model-data><define-basic-event name="a"><float value="0.5"/>'
            '</define-basic-event></model-data></opsa-mef>')
    with pytest.raises(OpenPSAError, match="defines no gate"):
        read_text(text)
    assert unavailabilities(read_text(text, top="a")) == {"a": 0.5}


@pytest.mark.parametrize("kwargs, cls, match", [
    ({"max_size": 0}, ValueError, "'max_size' parameter of read_openpsa"),
    ({"max_size": 1.5}, TypeError, "'max_size' parameter of read_openpsa"),
    ({"max_depth": 0}, ValueError, "'max_depth' parameter of read_openpsa"),
    ({"max_depth": 501}, ValueError, r"range \[1, 500\]"),
])
def test_limit_parameters(kwargs, cls, match):
    with pytest.raises(cls, match=match):
        read_openpsa(DATA / "gates.xml", **kwargs)


@pytest.mark.parametrize("source", [3, None, [], b"<opsa-mef/>"])
def test_bad_source(source):
    with pytest.raises((TypeError, ValueError),
                       match="The 'source' parameter of read_openpsa must be"):
        read_openpsa(source)


# --- reading: rejected constructs ----------------------------------------------

DOC = """<?xml version="1.0"?>
<opsa-mef>
  <define-fault-tree name="ft">
    <define-gate name="top">
      <or>
        <basic-event name="a"/>
        <basic-event name="b"/>
      </or>
    </define-gate>
{gates}
  </define-fault-tree>
  <model-data>
    <define-basic-event name="a"><float value="0.1"/></define-basic-event>
    <define-basic-event name="b"><float value="0.2"/></define-basic-event>
{data}
  </model-data>
{tail}
</opsa-mef>
"""


def doc(gates="", data="", tail=""):
    return DOC.format(gates=gates, data=data, tail=tail)


def gate(body, name="g1"):
    return f'    <define-gate name="{name}">\n      {body}\n    </define-gate>'


def event(body, name="e"):
    return f'    <define-basic-event name="{name}">\n      {body}\n    </define-basic-event>'


def check_error(text, marker, *fragments, node=None, **kwargs):
    """Reading ``text`` fails at the line of ``marker``, saying ``fragments``."""
    with pytest.raises(OpenPSAError) as info:
        read_text(text, **kwargs)
    exc = info.value
    line = line_of(text, marker)
    assert (exc.path, exc.line) == ("<stream>", line), str(exc)
    assert str(exc).startswith(f"<stream>:{line}: "), str(exc)
    assert str(exc) == f"<stream>:{line}: {exc.reason}"
    for fragment in fragments:
        assert fragment in str(exc), (fragment, str(exc))
    if node is not None:
        assert exc.node == node
    assert isinstance(exc, ss.ModelError) and isinstance(exc, ValueError)
    return exc


def test_the_doc_template_is_valid():
    model = read_text(doc(gate('<basic-event name="e"/>'), event('<float value="0.5"/>')))
    assert [j.name for j in model.journeys] == ["top", "g1"]


REFUSED_MESSAGE = ("which slosim does not read: it supports "
                   "and/or/atleast/not/nand/nor/xor/iff/imply (see docs/io)")


def test_cardinality_rejected():
    text = doc(gate('<cardinality min="1" max="1"><basic-event name="a"/>'
                    '<basic-event name="b"/></cardinality>'))
    exc = check_error(text, "<cardinality", node="g1")
    assert exc.reason == f"gate 'g1' uses <cardinality>, {REFUSED_MESSAGE}"


def test_nested_cardinality_rejected():
    text = doc(gate('<and>\n<basic-event name="a"/>\n<cardinality min="1" max="1">'
                    '<basic-event name="b"/></cardinality>\n</and>'))
    check_error(text, "<cardinality", "gate 'g1' uses <cardinality>", node="g1")


def test_refused_logic_file():
    path = DATA / "reject-cardinality.xml"
    with pytest.raises(OpenPSAError) as info:
        read_openpsa(path)
    line = line_of(path.read_text(), "<cardinality min")
    assert str(info.value) == f"{path}:{line}: gate 'g1' uses <cardinality>, {REFUSED_MESSAGE}"
    assert (info.value.path, info.value.line, info.value.node) == (str(path), line, "g1")


def test_non_coherent_logic_file():
    # top fails when a fails, or a has not and b has: 0.1 + 0.9 * 0.25
    model = read_openpsa(DATA / "not.xml")
    assert ss.exact(model)["top"].unavailability == pytest.approx(0.325, rel=1e-15)


def test_expression_file():
    """A periodic test with repair over the mission time gives SCRAM 0.16.2's
    printed top-event probability; a test longer than its period is refused
    with the file and the line."""
    model = read_openpsa(DATA / "periodic-test-with-repair.xml")
    assert ss.exact(model)["top"].unavailability == pytest.approx(0.110674, rel=5e-6)
    path = DATA / "reject-periodic-test.xml"
    with pytest.raises(OpenPSAError) as info:
        read_openpsa(path)
    assert info.value.line == line_of(path.read_text(), "<periodic-test>")
    assert info.value.reason.startswith(
        "<periodic-test> in basic event 'b': the test duration 800.0 must not exceed "
        "the time between tests 720.0")


# MEF 2.0 expressions slosim does not evaluate (tests/test_openpsa_expressions.py
# has those it does).
EXPRESSIONS = ["switch", "extern-function", "test-initiating-event"]


@pytest.mark.parametrize("tag", EXPRESSIONS)
def test_expressions_rejected_in_basic_events(tag):
    text = doc(data=event(f'<{tag}><float value="0.5"/></{tag}>'))
    check_error(text, f"<{tag}>", f"basic event 'e' uses <{tag}>, an expression "
                f"slosim does not evaluate", node="e")


@pytest.mark.parametrize("tag", ["switch", "extern-function", "test-functional-event"])
def test_expressions_rejected_in_parameters(tag):
    text = doc(data=f'    <define-parameter name="p">\n      <{tag}/>\n    </define-parameter>')
    check_error(text, f"<{tag}/>", f"parameter 'p' uses <{tag}>", node="p")


@pytest.mark.parametrize("tag, what", [
    ("define-event-tree", "event trees"), ("define-initiating-event", "initiating"),
    ("define-rule", "rules"), ("define-alignment", "alignments"),
    ("define-substitution", "substitutions"), ("define-extern-library", "external"),
    ("define-extern-function", "external"), ("define-consequence", "consequences"),
    ("define-sequence", "sequences"),
])
def test_other_mef_layers_rejected(tag, what):
    text = doc(tail=f'  <{tag} name="x"/>')
    check_error(text, f"<{tag}", f"<{tag}> is not supported", what)


@pytest.mark.parametrize("where", ["top", "fault tree"])
def test_include_rejected(where):
    inc = '<include file="other.xml"/>'
    text = doc(tail=inc) if where == "top" else doc(inc)
    check_error(text, "<include", "pass every file of the model to read_openpsa")


@pytest.mark.parametrize("make, marker, fragment", [
    (lambda: doc(tail="  <foo/>"), "<foo", "unknown element <foo> in <opsa-mef>"),
    (lambda: doc("    <foo/>"), "<foo", "unknown element <foo> in <define-fault-tree>"),
    (lambda: doc(gate('<or><basic-event name="a"/><foo name="b"/></or>')), "<foo",
     "unknown element <foo> in gate 'g1'"),
    (lambda: doc(gate('<null><basic-event name="a"/></null>')), "<null",
     "unknown element <null> in gate 'g1'"),
    (lambda: doc(data=event('<double value="0.1"/>')), "<double",
     "unknown element <double> in basic event 'e'"),
    (lambda: doc(gate('<attributes><attr name="x" value="y"/></attributes>'
                      '<basic-event name="a"/>')), "<attr",
     "unknown element <attr> in <attributes>"),
    (lambda: doc(data='    <define-gate name="g1"><basic-event name="a"/></define-gate>'),
     '<define-gate name="g1"', "<define-gate> is not allowed in <model-data>"),
    (lambda: doc(data='    <define-component name="c"/>'), "<define-component",
     "<define-component> is not allowed in <model-data>"),
    (lambda: doc(tail='  <define-gate name="g1"><basic-event name="a"/></define-gate>'),
     '<define-gate name="g1"', "<define-gate> is not allowed in <opsa-mef>"),
    (lambda: doc(gate('<label>a <br/> label</label><basic-event name="a"/>')),
     "<br/>", "a label is text only"),
    (lambda: doc(gate('<or>some text<basic-event name="a"/></or>')), "some text",
     "unexpected text 'some text' in <or>"),
    (lambda: doc(gate('<or><basic-event name="a"><label>x</label></basic-event></or>')),
     "<label>x", "<basic-event> must be empty"),
])
def test_unknown_or_misplaced_elements(make, marker, fragment):
    check_error(make(), marker, fragment)


@pytest.mark.parametrize("make, marker, fragment", [
    (lambda: doc('    <define-gate name="g1" kind="x"><basic-event name="a"/></define-gate>'),
     'kind="x"', "<define-gate> has an unknown attribute 'kind'"),
    (lambda: doc('    <define-gate><basic-event name="a"/></define-gate>'),
     "<define-gate>", "<define-gate> needs a 'name' attribute"),
    (lambda: doc(gate('<atleast><basic-event name="a"/></atleast>')), "<atleast>",
     "<atleast> needs a 'min' attribute"),
    (lambda: doc(gate('<or foo="1"><basic-event name="a"/></or>')), 'foo="1"',
     "<or> has an unknown attribute 'foo'"),
    (lambda: doc(data=event("<float/>")), "<float/>", "<float> needs a 'value' attribute"),
    (lambda: doc(gate('<basic-event/>')), "<basic-event/>",
     "<basic-event> needs a 'name' attribute"),
    (lambda: doc(gate('<basic-event name="a" type="gate"/>')), 'type="gate"',
     "<basic-event> has an unknown attribute 'type'"),
    (lambda: doc(tail='  <define-fault-tree><define-gate name="x"><basic-event name="a"/>'
                      '</define-gate></define-fault-tree>'),
     "<define-fault-tree><", "<define-fault-tree> needs a 'name' attribute"),
])
def test_bad_attributes(make, marker, fragment):
    check_error(make(), marker, fragment)


@pytest.mark.parametrize("make, marker, fragment", [
    (lambda: doc(data=event('<float value="abc"/>')), "abc", "<float value='abc'> is not a number"),
    (lambda: doc(data=event('<float value="1_0"/>')), "1_0", "is not a number"),
    (lambda: doc(data=event('<float value="0x1p-3"/>')), "0x1p", "is not a number"),
    (lambda: doc(data=event('<float value=""/>')), 'value=""', "is not a number"),
    (lambda: doc(data=event('<int value="0.5"/>')), "0.5", "<int value='0.5'> is not an integer"),
    (lambda: doc(data=event('<bool value="yes"/>')), "yes", "<bool value='yes'> is not a boolean"),
    (lambda: doc(gate('<constant value="maybe"/>')), "maybe",
     "<constant value='maybe'> is not a boolean"),
    (lambda: doc(data='    <define-house-event name="h">\n<constant value="on"/>'
                      '</define-house-event>'), '"on"', "is not a boolean"),
    (lambda: doc(gate('<atleast min="0"><basic-event name="a"/><basic-event name="b"/></atleast>')),
     'min="0"', "must have min between 1 and its number of arguments (2)"),
    (lambda: doc(gate('<atleast min="3"><basic-event name="a"/><basic-event name="b"/></atleast>')),
     'min="3"', "must have min between 1 and its number of arguments (2)"),
    (lambda: doc(gate('<atleast min="two"><basic-event name="a"/></atleast>')), 'min="two"',
     "<atleast min='two'>"),
    (lambda: doc('    <define-gate name="g1" role="secret"><basic-event name="a"/></define-gate>'),
     "secret", "a role is public or private"),
    (lambda: doc(gate('<event name="a" type="parameter"/>')), 'type="parameter"',
     "<event type='parameter'> is not one of gate, basic-event, house-event"),
    (lambda: doc('    <define-gate name=" \t"><basic-event name="a"/></define-gate>'),
     'name=" \t"', "a name must be non-empty"),
    (lambda: doc('    <define-gate name=""><basic-event name="a"/></define-gate>'),
     'name=""', "a name must be non-empty"),
])
def test_bad_values(make, marker, fragment):
    check_error(make(), marker, fragment)


@pytest.mark.parametrize("make, marker, fragment", [
    (lambda: doc('    <define-gate name="g1">\n      <label>empty</label>\n    </define-gate>'),
     '<define-gate name="g1"', "gate 'g1' needs exactly one formula, found none"),
    (lambda: doc(gate('<basic-event name="a"/>\n      <basic-event name="b"/>')),
     '<define-gate name="g1"', "gate 'g1' needs exactly one formula, found 2"),
    (lambda: doc(gate("<or/>")), "<or/>", "<or> in gate 'g1' has no arguments"),
    (lambda: doc(gate("<atleast min=\"1\"></atleast>")), "<atleast", "has no arguments"),
    (lambda: doc(data='    <define-basic-event name="e">\n<label>x</label></define-basic-event>'),
     '<define-basic-event name="e"', "basic event 'e' has no probability"),
    (lambda: doc(data=event('<float value="0.25"/>\n<float value="0.75"/>')),
     '<float value="0.75"', "basic event 'e' has 2 expressions"),
    (lambda: doc(data='    <define-house-event name="h">\n<float value="1"/>'
                      '</define-house-event>'),
     '<float value="1"/></define-house', "house event 'h' takes one <constant"),
    (lambda: doc(data='    <define-parameter name="p">\n</define-parameter>'),
     '<define-parameter name="p"', "parameter 'p' needs exactly one expression, found 0"),
])
def test_bad_structure(make, marker, fragment):
    check_error(make(), marker, fragment)


@pytest.mark.parametrize("make, marker, fragment", [
    (lambda: doc(gate('<or><gate name="nope"/></or>')), "nope",
     "gate 'g1' refers to gate 'nope', which is not defined"),
    (lambda: doc(gate('<event name="nope"/>')), "nope",
     "gate 'g1' refers to event 'nope', which is not defined"),
    (lambda: doc(data=event('<parameter name="nope"/>')), "nope",
     "basic event 'e' refers to parameter 'nope', which is not defined"),
    (lambda: doc(gate('<gate name="a"/>')), '<gate name="a"',
     "gate 'g1' refers to gate 'a', but 'a' is a basic event (defined at <stream>:"),
    (lambda: doc(gate('<event name="top" type="basic-event"/>')), 'type="basic-event"',
     "refers to basic event 'top', but 'top' is a gate"),
    (lambda: doc(gate('<house-event name="b"/>')), '<house-event name="b"',
     "refers to house event 'b', but 'b' is a basic event"),
    (lambda: doc(gate('<atleast min="2">\n<basic-event name="a"/>\n<basic-event name="b"/>\n'
                      '<event name="a"/>\n</atleast>')),
     '<event name="a"', "<atleast> in gate 'g1' has 'a' twice among its arguments"),
])
def test_bad_references(make, marker, fragment):
    check_error(make(), marker, fragment, node="g1" if "gate '" in fragment else None)


@pytest.mark.parametrize("make, marker, fragment", [
    (lambda: doc(gate('<basic-event name="a"/>', name="top")),
     '<define-gate name="top">\n      <basic',
     "gate 'top' is defined twice (first as a gate at <stream>:4)"),
    (lambda: doc(gate('<basic-event name="a"/>', name="b")), '<define-basic-event name="b"',
     "basic event 'b' is defined twice (first as a gate at <stream>:"),
    (lambda: doc(data=event('<float value="0.5"/>', name="top")),
     '<define-basic-event name="top"', "basic event 'top' is defined twice (first as a gate"),
    (lambda: doc(data='    <define-parameter name="p"><int value="0"/></define-parameter>\n'
                      '    <define-parameter name="p"><int value="1"/></define-parameter>'),
     '<int value="1"', "parameter 'p' is defined twice"),
    (lambda: doc(data='    <define-house-event name="a"/>'), '<define-house-event name="a"',
     "house event 'a' is defined twice (first as a basic event"),
])
def test_duplicate_definitions(make, marker, fragment):
    check_error(make(), marker, fragment)


def test_duplicate_definitions_across_files():
    tree = (DATA / "split-tree.xml").read_text()
    with pytest.raises(OpenPSAError) as info:
        read_openpsa([io.StringIO(tree), DATA / "split-data.xml", DATA / "split-data.xml"])
    path = str(DATA / "split-data.xml")
    assert info.value.path == path
    assert f"basic event 'p' is defined twice (first as a basic event at {path}:" \
        in str(info.value)


@pytest.mark.parametrize("gates, marker, cycle", [
    (gate('<or><basic-event name="a"/><gate name="g1"/></or>'), '<define-gate name="g1"',
     "g1 -> g1"),
    ("\n".join([gate('<gate name="g2"/>'),
                gate('<and><gate name="g3"/><basic-event name="a"/></and>', "g2"),
                gate('<gate name="g1"/>', "g3")]),
     '<define-gate name="g1"', "g1 -> g2 -> g3 -> g1"),
])
def test_gate_cycles(gates, marker, cycle):
    # The top gate refers to g1, so the search meets the cycle from top.
    text = doc(gates).replace('<basic-event name="b"/>\n      </or>',
                              '<basic-event name="b"/>\n        <gate name="g1"/>\n      </or>', 1)
    check_error(text, marker, "gate 'g1' depends on itself: " + cycle, node="g1")


@pytest.mark.parametrize("params, marker, cycle", [
    ('<define-parameter name="p"><parameter name="p"/></define-parameter>',
     '<define-parameter name="p"', "p -> p"),
    ('<define-parameter name="p"><parameter name="q"/></define-parameter>\n'
     '<define-parameter name="q"><parameter name="p"/></define-parameter>',
     '<define-parameter name="p"', "p -> q -> p"),
])
def test_parameter_cycles(params, marker, cycle):
    check_error(doc(data=params), marker, "parameter 'p' is defined through itself: " + cycle)


@pytest.mark.parametrize("value", ["1.5", "-0.1", "1e-400", "INF", "NaN", "2"])
def test_probability_outside_unit_interval(value):
    tag = "int" if value == "2" else "float"
    text = doc(data=event(f'<{tag} value="{value}"/>'))
    exc = check_error(text, '<define-basic-event name="e"', "basic event 'e': component 'e':",
                      node="e")
    assert isinstance(exc.__cause__, ss.ProbabilityError)


def test_probability_outside_unit_interval_through_a_parameter():
    text = doc(data='    <define-parameter name="rate" unit="hours-1"><float value="3.5"/>'
                    '</define-parameter>\n' + event('<parameter name="rate"/>'))
    check_error(text, '<define-basic-event name="e"', "basic event 'e':", "'3.5'")


@pytest.mark.parametrize("attr, value, marker, fragment", [
    ("slosim-target", "1.5", "slosim-target", "slosim-target '1.5' is not an availability"),
    ("slosim-target", "high", "slosim-target", "slosim-target 'high' is not an availability"),
    ("slosim-name", "b", "slosim-name", "gate 'g1' would be named 'b' in slosim, which is "
     "already the name of basic event 'b'"),
    ("slosim-journey", "   ", '<define-gate name="g1"', "Journey name must be a non-empty"),
])
def test_bad_slosim_attributes(attr, value, marker, fragment):
    attributes = f'<attributes><attribute name="{attr}" value="{value}"/></attributes>'
    text = doc(f'    <define-gate name="g1">\n      {attributes}\n      '
               f'<basic-event name="a"/>\n    </define-gate>')
    check_error(text, marker, fragment)


# --- reading safely ---------------------------------------------------------


def test_entities_are_never_expanded():
    path = DATA / "reject-entities.xml"
    with pytest.raises(OpenPSAError) as info:
        read_openpsa(path)
    assert info.value.line == line_of(path.read_text(), "<!DOCTYPE")
    assert "DOCTYPE" in str(info.value) and "no entities" in str(info.value)


def test_external_entities_are_never_read():
    path = DATA / "reject-external-entity.xml"
    with pytest.raises(OpenPSAError) as info:
        read_openpsa(path)
    assert info.value.line == line_of(path.read_text(), "<!DOCTYPE")
    assert "root:" not in str(info.value)


def test_undeclared_entity():
    text = doc(gate("<label>&secret;</label>\n<basic-event name=\"a\"/>"))
    check_error(text, "&secret;", "not well-formed XML: undefined entity")


def test_predefined_entities_and_character_references_are_fine():
    text = doc(gate('<label>a &amp; b &lt; c &#233;</label><basic-event name="a"/>'))
    assert [j.name for j in read_text(text).journeys] == ["top", "g1"]


@pytest.mark.parametrize("text, marker, fragment", [
    ('<opsa-mef>\n<define-fault-tree name="x">\n</opsa-mef>', "</opsa-mef>",
     "not well-formed XML: mismatched tag"),
    ("", "", "not well-formed XML: no element found"),
    ('<?xml version="1.0"?>\n<fault-tree/>', "<fault-tree", "the root element is <fault-tree>"),
    ('<opsa-mef>\ntext</opsa-mef>', "text", "unexpected text 'text' in <opsa-mef>"),
])
def test_not_mef_or_not_xml(text, marker, fragment):
    check_error(text, marker, fragment)


def test_unknown_encoding():
    text = b'<?xml version="1.0" encoding="x-unknown-42"?>\n<opsa-mef/>'
    with pytest.raises(OpenPSAError, match="<stream>:1: cannot decode the file"):
        read_openpsa(io.BytesIO(text))


def test_invalid_utf8():
    with pytest.raises(OpenPSAError, match="<stream>:2: not well-formed XML"):
        read_openpsa(io.BytesIO(b'<opsa-mef>\n<label>\xff</label></opsa-mef>'))


def test_max_depth():
    depth = 40
    formula = "<or>" * depth + '<basic-event name="a"/>' + "</or>" * depth
    text = doc(gate(formula))
    # opsa-mef, define-fault-tree, define-gate, then the formula.
    assert read_text(text, max_depth=depth + 4)
    marker = "<or>" * (depth - 1)
    exc = check_error(text, marker, f"is nested {depth + 4} elements deep, deeper than "
                      f"max_depth={depth + 3}", max_depth=depth + 3)
    assert exc.line == line_of(text, marker)


def test_max_size_bytes_and_characters():
    path = DATA / "gates.xml"
    size = path.stat().st_size
    assert read_openpsa(path, max_size=size)
    with pytest.raises(OpenPSAError) as info:
        read_openpsa(path, max_size=size - 1)
    assert str(info.value) == (f"{path}: the input is larger than max_size={size - 1} "
                               f"bytes; pass a larger max_size to read it")
    text = path.read_text(encoding="utf-8")
    with pytest.raises(OpenPSAError, match=f"larger than max_size={len(text) - 1} characters"):
        read_openpsa(io.StringIO(text), max_size=len(text) - 1)


class EndlessStream:
    """A file object that never ends: valid MEF elements forever."""

    name = "endless.xml"

    def __init__(self):
        self.reads = 0

    def read(self, n):
        self.reads += 1
        if self.reads == 1:
            return b'<opsa-mef><define-fault-tree name="ft">'
        return b'<label>x</label>' * (n // 16 + 1)


def test_endless_input_stops_at_max_size():
    stream = EndlessStream()
    with pytest.raises(OpenPSAError, match="endless.xml: the input is larger than "
                                           "max_size=1000000 bytes"):
        read_openpsa(stream, max_size=10**6)
    assert stream.reads < 10**6 / 2**16 + 3


def test_deep_endless_input_stops_at_max_depth():
    stream = EndlessStream()
    stream.read = lambda n, read=stream.read: read(n).replace(b"</label>", b"")
    with pytest.raises(OpenPSAError, match="deeper than max_depth=256"):
        read_openpsa(stream)
    assert stream.reads < 3


# --- writing ------------------------------------------------------------------

# SCRAM's identifier: an NCName matching [^\-.]+(-[^\-.]+)* (share/input.rng).
SCRAM_IDENTIFIER = re.compile(r"[^\-.]+(-[^\-.]+)*")
NCNAME = re.compile(r"[A-Za-z_][\w.\-]*", re.ASCII)


def check_mef(text):
    """Assert ``text`` keeps to the MEF rules SCRAM enforces; return the
    model as ``({gate: formula}, {basic event: probability})``.

    A formula is ``(op, min, [(kind, name), ...])`` or ``(kind, name)``.
    Written independently of slosim's writer, from SCRAM's schema and
    checks: identifiers; one namespace for events; or/and take two or more
    arguments; atleast takes 2 <= min < number of arguments; no argument
    twice in a formula; every reference defined with its type; attribute
    values non-empty and on one line.
    """
    root = ET.fromstring(text)
    assert root.tag == "opsa-mef"
    kids = list(root)
    assert [k.tag for k in kids] == ["define-fault-tree", "model-data"]
    names = {}
    gates, events = {}, {}

    def define(el, kind):
        name = el.get("name")
        assert NCNAME.fullmatch(name) and SCRAM_IDENTIFIER.fullmatch(name), name
        assert name not in names, f"{name} defined twice"
        names[name] = kind
        body = []
        for c in el:
            if c.tag == "attributes":
                for a in c:
                    assert a.tag == "attribute"
                    assert SCRAM_IDENTIFIER.fullmatch(a.get("name"))
                    value = a.get("value")
                    assert value.strip() and not set(value) & set("\t\n\r"), value
            else:
                body.append(c)
        assert len(body) == 1, name
        return body[0]

    def arg(el):
        assert el.tag in ("gate", "basic-event") and len(el) == 0 and set(el.keys()) == {"name"}
        return (el.tag, el.get("name"))

    for el in kids[0]:
        assert el.tag == "define-gate"
        f = define(el, "gate")
        if f.tag in ("gate", "basic-event"):
            gates[el.get("name")] = arg(f)
            continue
        args = [arg(a) for a in f]
        assert len({a[1] for a in args}) == len(args), f"duplicate argument in {el.get('name')}"
        if f.tag == "atleast":
            m = int(f.get("min"))
            assert 2 <= m < len(args)
        else:
            assert f.tag in ("or", "and") and not f.keys() and len(args) >= 2
            m = 1 if f.tag == "or" else len(args)
        gates[el.get("name")] = (f.tag, m, args)
    for el in kids[1]:
        assert el.tag == "define-basic-event"
        f = define(el, "basic-event")
        assert f.tag == "float" and set(f.keys()) == {"value"}
        events[el.get("name")] = float(f.get("value"))
    for formula in gates.values():
        for kind, name in ([formula] if len(formula) == 2 else formula[2]):
            assert names.get(name) == kind, (kind, name)
    return gates, events


def top_gate_journeys(text):
    """What another tool sees as the journeys: each top gate (no gate refers
    to it), in file order, named by its slosim-journey attribute or, without
    one, by its MEF name."""
    root = ET.fromstring(text)
    used = {g.get("name") for g in root.iter("gate")}
    out = []
    for el in root.find("define-fault-tree"):
        if el.get("name") not in used:
            marks = {a.get("name"): a.get("value") for a in el.iter("attribute")}
            out.append(marks.get("slosim-journey", el.get("name")))
    return out


def test_write_example_structure():
    db = ss.parallel(ss.Component("db-a", unavailability=1e-3),
                     ss.Component("db-b", unavailability=1e-3), name="db")
    api = ss.Service("api", availability=0.9995, requires=[db])
    search = ss.k_of_n(2, [ss.Component(f"idx-{i}", unavailability=0.01) for i in range(4)])
    model = ss.Model([ss.Journey(api, name="checkout", target=0.999),
                      ss.Journey(search, name="search")])
    gates, events = check_mef(written(model))
    assert gates == {
        "checkout": ("or", 1, [("basic-event", "api"), ("gate", "db")]),
        "search": ("atleast", 3, [("basic-event", f"idx-{i}") for i in range(4)]),
        "db": ("and", 2, [("basic-event", "db-a"), ("basic-event", "db-b")]),
    }
    assert events == {"db-a": 1e-3, "db-b": 1e-3, "api": 0.0005,
                      **{f"idx-{i}": 0.01 for i in range(4)}}
    back = read_text(written(model))
    assert [(j.name, j.target) for j in back.journeys] == [("checkout", 0.999), ("search", None)]
    assert unavailabilities(back) == unavailabilities(model)


def test_shared_nodes_are_written_once():
    shared = ss.parallel(ss.Component("a", unavailability=0.1),
                         ss.Component("b", unavailability=0.2))
    j1 = ss.series(shared, ss.Component("c", unavailability=0.3), name="j1")
    j2 = ss.series(shared, ss.Component("d", unavailability=0.4), name="j2")
    text = written(ss.Model([j1, j2]))
    gates, _ = check_mef(text)
    assert gates["j1"][2][0] == gates["j2"][2][0] == ("gate", "gate-1")
    assert text.count('<define-gate name="gate-1">') == 1
    back = read_text(text)
    n1, n2 = (j.node for j in back.journeys)
    assert n1.children[0] is n2.children[0]


def test_generated_names_avoid_user_names():
    a = ss.Component("gate-1", unavailability=0.1)
    b = ss.Component("web-journey", unavailability=0.2)
    inner = ss.parallel(a, b)
    web = ss.Service("web", unavailability=0.01, requires=[inner])
    other = ss.series(ss.Component("gate-2", unavailability=0.3), inner, name="web-service")
    model = ss.Model([web, ss.Journey(other, name="j")])
    gates, events = check_mef(written(model))
    assert set(events) == {"gate-1", "web-journey", "gate-2", "web"}
    assert "gate-3" in gates and "web-journey-2" in gates and "web-service" in gates
    back = read_text(written(model))
    assert unavailabilities(back) == unavailabilities(model)
    assert [j.name for j in back.journeys] == ["web", "j"]
    assert unavailability(back, exact=True) == unavailability(model, exact=True)


@pytest.mark.parametrize("name", [
    "db.primary", "api v2", "1st", "crème", "a--b", "-x-", "slosim-name", "x:y",
    'quote"and<tag>&amp', "élan-1",
])
def test_names_that_are_not_identifiers(name):
    c = ss.Component(name, unavailability=0.125)
    g = ss.series(c, ss.Component("other", unavailability=0.5), name=name + "!")
    model = ss.Model([ss.Journey(g, name=name + " journey", target=0.75), ss.Journey(c)])
    text = written(model)
    check_mef(text)
    back = read_text(text)
    assert [(j.name, j.target) for j in back.journeys] == [
        (name + " journey", 0.75), (name, None)]
    assert unavailabilities(back) == {name: 0.125, "other": 0.5}
    assert back.journeys[0].node.name == name + "!"


def test_names_with_tabs_and_line_breaks_round_trip():
    # Kept as character references; SCRAM's schema wants attribute values on
    # one line, so such a file is for slosim (documented in docs/io).
    c = ss.Component("a\tb\nc\rd", unavailability=0.25)
    text = written(ss.Model(c))
    assert 'value="a&#9;b&#10;c&#13;d"' in text
    back = read_text(text)
    assert unavailabilities(back) == {"a\tb\nc\rd": 0.25}
    assert [j.name for j in back.journeys] == ["a\tb\nc\rd"]


def test_names_xml_cannot_hold(tmp_path):
    path = tmp_path / "out.xml"
    with pytest.raises(OpenPSAError, match="holds a character that XML cannot represent"):
        write_openpsa(ss.Component("bell\x07", unavailability=0.1), path)
    assert not path.exists()


def test_repeated_children_of_k_of_n():
    a, b, c = (ss.Component(x, unavailability=q) for x, q in zip("abc", (0.1, 0.2, 0.3)))
    # Up when 4 of the 5 children are up, counting a three times.
    model = ss.Model([ss.k_of_n(4, [a, b, a, c, a], name="g"),
                      ss.k_of_n(2, [a, a, b], name="h")])
    text = written(model)
    check_mef(text)
    back = read_text(text)
    assert unavailabilities(back) == unavailabilities(model)           # b still in h
    assert unavailability(back, exact=True) == unavailability(model, exact=True)
    # g is down when a is down (3 of 5 down) or when b and c are down; h is
    # down exactly when a is (b alone is 1 up of 3).
    qa, qb, qc = (Fraction(x) for x in (0.1, 0.2, 0.3))
    assert unavailability(back, exact=True) == {"g": qa + (1 - qa) * qb * qc, "h": qa}


def test_unavailabilities_round_trip_bit_for_bit():
    qs = [0.1, 1 / 3, 5e-324, 2.2250738585072014e-308, 1 - 2**-53, 0.0, 1.0, 1e-15,
          0.30000000000000004, 2**-10, float(np.nextafter(0.5, 1))]
    comps = [ss.Component(f"c{i}", unavailability=q) for i, q in enumerate(qs)]
    back = read_text(written(ss.series(*comps, name="all")))
    assert [unavailabilities(back)[f"c{i}"].hex() for i in range(len(qs))] == [q.hex() for q in qs]


@pytest.mark.parametrize("how", ["str", "path", "text", "binary", "raw"])
def test_write_targets(tmp_path, how):
    model = ss.Model(ss.series(ss.Component("a", unavailability=0.5), name="g"))
    path = tmp_path / "model.xml"
    if how in ("str", "path"):
        write_openpsa(model, str(path) if how == "str" else path)
    elif how == "text":
        with open(path, "w", encoding="utf-8") as f:
            write_openpsa(model, f)
    elif how == "binary":
        with open(path, "wb") as f:
            write_openpsa(model, f)
    else:
        buffer = io.BytesIO()
        write_openpsa(model, buffer)
        path.write_bytes(buffer.getvalue())
    assert path.read_text(encoding="utf-8") == written(model)
    assert unavailabilities(read_openpsa(path)) == {"a": 0.5}


def test_write_nodes_and_journeys():
    a = ss.Component("a", unavailability=0.5)
    assert written(a) == written(ss.Model(a))
    assert written(ss.Journey(a, name="j")) == written(ss.Model(ss.Journey(a, name="j")))


@pytest.mark.parametrize("model, target, match", [
    ("model", io.StringIO(), "The 'model' parameter of write_openpsa must be"),
    (None, io.StringIO(), "The 'model' parameter of write_openpsa must be"),
    (ss.Component("a", unavailability=0.5), 3,
     "The 'path_or_file' parameter of write_openpsa must be"),
])
def test_write_bad_parameters(model, target, match):
    with pytest.raises(TypeError, match=match):
        write_openpsa(model, target)


def test_write_refuses_copulas():
    a, b = ss.Component("a", unavailability=0.1), ss.Component("b", unavailability=0.1)
    model = ss.Model(ss.parallel(a, b, name="p"), copulas=[
        ss.GaussianCopula("day", [a, b], loadings=[0.5, 0.5])])
    out = io.StringIO()
    with pytest.raises(OpenPSAError, match="Gaussian copulas \\('day'\\).*cannot express"):
        write_openpsa(model, out)
    assert out.getvalue() == ""


# --- round trip ----------------------------------------------------------------

PREFIXES = st.sampled_from(["", "x y.", "é-", "1-", "gate-", "a.b--"])
TARGETS = st.one_of(st.none(), st.sampled_from([0.9, 0.999, 1.0, 0.99999]))


@PROPERTY
@given(spec=dags(max_leaves=12), prefix=PREFIXES, data=st.data())
def test_round_trip(spec, prefix, data):
    built = spec.instantiate(prefix=prefix)
    model = ss.Model([ss.Journey(j.node, name=j.name, target=data.draw(TARGETS))
                      for j in built.journeys], nodes=built.named)
    text = written(model)
    check_mef(text)
    assert top_gate_journeys(text) == [j.name for j in model.journeys]
    back = read_text(text)
    assert [(j.name, j.target) for j in back.journeys] == [
        (j.name, j.target) for j in model.journeys]
    assert back.components.keys() == model.components.keys()
    for name, q in unavailabilities(model).items():
        assert unavailabilities(back)[name].hex() == q.hex()
    assert unavailability(back, exact=True) == unavailability(model, exact=True)
    # After one trip the file is a fixed point.
    again = written(back)
    assert written(read_text(again)) == again


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(spec=dags(max_leaves=60, max_gates=40, max_children=8, max_journeys=4),
       prefix=PREFIXES, salt=st.integers(0, 2**32 - 1))
def test_round_trip_large_models_keep_the_structure_function(seed, spec, prefix, salt):
    model = spec.build(prefix=prefix)
    back = read_text(written(model))
    assert [j.name for j in back.journeys] == [j.name for j in model.journeys]
    assert unavailabilities(back) == unavailabilities(model)
    rng = np.random.default_rng([seed, salt])
    down = {name: rng.random(4096) < 0.5 for name in model.components}
    before, after = oracle.journey_down(model, down), oracle.journey_down(back, down)
    for name in before:
        np.testing.assert_array_equal(after[name], before[name])


def test_round_trip_simulates_like_the_closed_form(seed):
    # 40 redundant pairs in series and a 3-of-5 vote: 85 components.
    pairs = [ss.parallel(ss.Component(f"a{i}", unavailability=0.01 * (1 + i % 3)),
                         ss.Component(f"b{i}", unavailability=0.02)) for i in range(40)]
    vote_ = ss.k_of_n(3, [ss.Component(f"v{i}", unavailability=0.05) for i in range(5)])
    model = ss.Model(ss.series(*pairs, vote_, name="journey"))
    back = read_text(written(model))
    q_pairs = [Fraction(0.01 * (1 + i % 3)) * Fraction(0.02) for i in range(40)]
    q_vote = vote([Fraction(0.05)] * 5, 3)          # 3 of 5 down: fewer than 3 up
    exact = either(*q_pairs, q_vote)
    samples = 200_000
    res = checked_simulate(back, samples, rng=np.random.SeedSequence([seed, 7]))
    assert_consistent(res["journey"].failures, samples, float(exact), what="journey")


def without_slosim_shocks(text):
    """The file as another tool reads it: shocks are plain basic events."""
    return re.sub(r'<attribute name="slosim-(shock|member)" value="[^"]*"/>', "", text)


@PROPERTY
@given(case=models_with_shocks(), salt=st.integers(0, 2**32 - 1))
def test_round_trip_with_shocks(seed, case, salt):
    spec, shocks = case
    model = build_with_shocks(spec, shocks)
    text = written(model)
    check_mef(text)
    back = read_text(text)
    assert [j.name for j in back.journeys] == [j.name for j in model.journeys]
    assert unavailabilities(back) == unavailabilities(model)
    assert probabilities(back) == probabilities(model)
    members = {sh.name: sorted(m.name for m in sh.members) for sh in back.shocks.values()}
    assert members == {name: sorted(ms) for name, _, ms in shocks}
    # The logic other tools see has the probabilities of the model.
    plain = read_text(without_slosim_shocks(text))
    assert probabilities(plain) == {}
    assert unavailability(plain, exact=True) == shock_reference(spec, shocks)
    # The model read back has the structure function of the model.
    rng = np.random.default_rng([seed, salt])
    down = {name: rng.random(512) < 0.5 for name in (*model.components, *model.shocks)}
    np.testing.assert_equal(oracle.journey_down(back, down), oracle.journey_down(model, down))


def test_shock_file_structure():
    a, b = ss.Component("a", unavailability=0.1), ss.Component("b", unavailability=0.2)
    web = ss.Service("web", unavailability=0.01, requires=[ss.parallel(a, b, name="ab")])
    model = ss.Model(web, shocks=[ss.Shock("zone", 0.05, members=[a, b]),
                                  ss.Shock("deploy", 0.001, members=[web, a])])
    text = written(model)
    gates, events = check_mef(text)
    assert gates == {
        "web-journey": ("or", 1, [("basic-event", "web"), ("basic-event", "deploy"),
                                  ("gate", "ab")]),
        "ab": ("and", 2, [("gate", "a-shocked"), ("gate", "b-shocked")]),
        "a-shocked": ("or", 1, [("basic-event", "a"), ("basic-event", "zone"),
                                ("basic-event", "deploy")]),
        "b-shocked": ("or", 1, [("basic-event", "b"), ("basic-event", "zone")]),
    }
    assert events == {"a": 0.1, "b": 0.2, "web": 0.01, "zone": 0.05, "deploy": 0.001}
    assert '<attribute name="slosim-member" value="a"/>' in text
    assert text.count('<attribute name="slosim-shock" value="true"/>') == 2


SHOCK_DOC = """<opsa-mef>
  <define-fault-tree name="ft">
    <define-gate name="top">
      <and><gate name="a-hit"/><gate name="b-hit"/></and>
    </define-gate>
    <define-gate name="a-hit">
      <attributes><attribute name="slosim-member" value="a"/></attributes>
      <or><basic-event name="a"/><basic-event name="zone"/></or>
    </define-gate>
    <define-gate name="b-hit">
      <attributes><attribute name="slosim-member" value="b"/></attributes>
      <or><basic-event name="b"/><basic-event name="zone"/></or>
    </define-gate>
  </define-fault-tree>
  <model-data>
    <define-basic-event name="a"><float value="0.5"/></define-basic-event>
    <define-basic-event name="b"><float value="0.25"/></define-basic-event>
    <define-basic-event name="zone">
      <attributes><attribute name="slosim-shock" value="true"/></attributes>
      <float value="0.125"/>
    </define-basic-event>
  </model-data>
</opsa-mef>
"""


def test_hand_written_shocks():
    model = read_text(SHOCK_DOC)
    assert unavailabilities(model) == {"a": 0.5, "b": 0.25}
    assert probabilities(model) == {"zone": 0.125}
    # Both down: the zone, or (no zone) both on their own.
    assert ss.exact(model)["top"].unavailability == 0.125 + 0.875 * 0.5 * 0.25
    assert probabilities(read_text(SHOCK_DOC, top="a-hit")) == {"zone": 0.125}
    # Component b carries its shock; a journey without members has none.
    assert probabilities(read_text(SHOCK_DOC, top="b")) == {"zone": 0.125}
    extra = SHOCK_DOC.replace("</model-data>", '<define-basic-event name="c"><float '
                              'value="0.5"/></define-basic-event></model-data>')
    assert probabilities(read_text(extra, top="c")) == {}


@pytest.mark.parametrize("old, new, marker, fragment", [
    ('<gate name="b-hit"/></and>', '<gate name="b-hit"/><basic-event name="zone"/></and>',
     '<define-gate name="top"', "gate 'top' refers to basic event 'zone', which is a shock"),
    ('value="b"/>', 'value="c"/>', 'value="c"', "slosim-member 'c' must name a basic event "
     "among the arguments"),
    ('value="b"/>', 'value="zone"/>', 'value="zone"', "slosim-member 'zone' must name"),
    ('<attributes><attribute name="slosim-member" value="a"/></attributes>', "",
     '<define-gate name="a-hit"', "gate 'a-hit' refers to basic event 'zone', which is a shock"),
])
def test_bad_shocks(old, new, marker, fragment):
    check_error(SHOCK_DOC.replace(old, new, 1), marker, fragment)


def test_shock_without_members():
    text = SHOCK_DOC.replace('</model-data>', '<define-basic-event name="lone">'
                             '<attributes><attribute name="slosim-shock" value="true"/>'
                             '</attributes><float value="0.5"/></define-basic-event>'
                             '</model-data>')
    check_error(text, '<define-basic-event name="lone"', "shock 'lone' (slosim-shock) is "
                "an argument of no gate")
    with pytest.raises(OpenPSAError, match="top event 'zone' is a shock"):
        read_text(SHOCK_DOC, top="zone")


def test_round_trip_of_the_data_files():
    for files in (["gates.xml"], ["model.xml"], ["components.xml"],
                  ["split-tree.xml", "split-data.xml"]):
        model = read_openpsa([DATA / f for f in files])
        text = written(model)
        check_mef(text)
        back = read_text(text)
        assert [j.name for j in back.journeys] == [j.name for j in model.journeys]
        assert unavailabilities(back) == unavailabilities(model)
        assert unavailability(back, exact=True) == unavailability(model, exact=True)


# --- reading: common-cause groups (define-CCF-group) ---------------------------
#
# The references below are written from the parametric models' textbook
# formulas (NUREG/CR-5485) as PRA tools apply them (the reader's standard
# convention), in exact rational arithmetic from the decimal text of the
# files: Q_k for each model, each member's own event Q_1, and each journey's
# probability by enumerating the independent events (member parts and one
# event per set of two or more members).


def C(n, k):
    return math.comb(n, k)


def q_k_beta(Q, m, beta):
    return [(1 - beta) * Q] + [Fraction(0)] * (m - 2) + [beta * Q]


def q_k_mgl(Q, m, rhos):
    """rhos = [beta, gamma, ...] (levels 2..m)."""
    rho = [Fraction(1)] + list(rhos) + [Fraction(0)]
    out = []
    for k in range(1, m + 1):
        out.append(math.prod(rho[:k]) * (1 - rho[k]) * Q / C(m - 1, k - 1))
    return out


def q_k_alpha(Q, m, alphas):
    """Non-staggered testing: Q_k = k alpha_k Q / (C(m-1, k-1) alpha_t)."""
    alpha_t = sum(k * a for k, a in enumerate(alphas, start=1))
    return [k * alphas[k - 1] * Q / (C(m - 1, k - 1) * alpha_t) for k in range(1, m + 1)]


def q_k_phi(Q, m, phis):
    """Q_k = phi_k Q for each event of order k (SCRAM's reading)."""
    return [phis[k - 1] * Q for k in range(1, m + 1)]


def member_total(m, q_k):
    """A member's failure probability: its own event Q_1 or any of the
    C(m-1, k-1) events of each order k >= 2 that contain it."""
    return 1 - math.prod((1 - q_k[k - 1]) ** C(m - 1, k - 1) for k in range(1, m + 1))


def ccf_events(members, Q, q_k, independent=None):
    """The group's independent events: (probability, set of members it fails).

    ``independent`` is the members' own part: by default Q_1 (the standard
    convention, SCRAM's); ``marginal="exact"`` takes the one that keeps each
    member's total at exactly Q."""
    m = len(members)
    if independent is None:
        independent = q_k[0]
    events = [(independent, {x}) for x in members]
    for k in range(2, m + 1):
        if q_k[k - 1]:
            events += [(q_k[k - 1], set(s)) for s in itertools.combinations(members, k)]
    return events


def p_event(events, fails):
    """P(fails(set of down members)) over independent events, by enumeration."""
    total = Fraction(0)
    for state in itertools.product((False, True), repeat=len(events)):
        weight, down = Fraction(1), set()
        for happens, (p, hit) in zip(state, events):
            weight *= p if happens else 1 - p
            if happens:
                down |= hit
        if fails(down):
            total += weight
    return total


X, Y = ["x-1", "x-2"], ["y-1", "y-2", "y-3"]
CCF_JOURNEYS = {       # the journeys of every ccf-*.xml, on the down members
    "pair": (X, lambda d: set(X) <= d),
    "vote": (Y, lambda d: len(d & set(Y)) >= 2),
    "all": (Y, lambda d: set(Y) <= d),
    "one": (Y, lambda d: "y-1" in d),
}
D = Fraction    # decimal text -> exact value
CCF_FILES = {   # file -> (group X: model, Q, Q_k; group Y: ...), from the file's text
    "ccf-beta.xml": ("beta-factor", (D("0.1"), q_k_beta(D("0.1"), 2, D("0.2"))),
                     (D("0.02"), q_k_beta(D("0.02"), 3, D("0.15")))),
    "ccf-mgl.xml": ("MGL", (D("0.05"), q_k_mgl(D("0.05"), 2, [D("0.1")])),
                    (D("0.01"), q_k_mgl(D("0.01"), 3, [D("0.2"), D("0.4")]))),
    "ccf-alpha.xml": ("alpha-factor",
                      (D("0.04"), q_k_alpha(D("0.04"), 2, [D("0.95"), D("0.05")])),
                      (D("0.03"), q_k_alpha(D("0.03"), 3, [D("0.9"), D("0.06"),
                                                                     D("0.04")]))),
    "ccf-phi.xml": ("phi-factor", (D("0.08"), q_k_phi(D("0.08"), 2, [D("0.75"), D("0.25")])),
                    (D("0.05"), q_k_phi(D("0.05"), 3, [D("0.8"), D("0.12"), D("0.08")]))),
}


def ccf_reference(name):
    """Journey -> exact probability, for a ccf-*.xml file."""
    _, (qx, kx), (qy, ky) = CCF_FILES[name]
    events = {"x": ccf_events(X, qx, kx), "y": ccf_events(Y, qy, ky)}
    return {j: p_event(events["x" if members is X else "y"], fails)
            for j, (members, fails) in CCF_JOURNEYS.items()}


def exact_with_shocks(model):
    """Journey -> exact probability of ``model`` (its float values taken as
    exact), enumerating every joint state of its components and shocks."""
    names = [*model.components, *model.shocks]
    probs = [Fraction(p) for p in (*unavailabilities(model).values(),
                                   *probabilities(model).values())]
    n = len(names)
    states = np.array(list(itertools.product((False, True), repeat=n)), dtype=bool)
    down = oracle.journey_down(model, {name: states[:, i] for i, name in enumerate(names)})
    weights = [math.prod(p if s else 1 - p for p, s in zip(probs, row)) for row in states]
    return {j: sum((w for w, d in zip(weights, col) if d), Fraction(0))
            for j, col in down.items()}


def close(a, b, rel=1e-12):
    return abs(Fraction(a) - Fraction(b)) <= rel * abs(Fraction(b))


@pytest.mark.parametrize("name", sorted(CCF_FILES))
def test_ccf_group_files_exact(name):
    model = read_openpsa(DATA / name)
    kind, (qx, kx), (qy, ky) = CCF_FILES[name]
    assert [j.name for j in model.journeys] == ["pair", "vote", "all", "one"]
    # The shocks: one per set of two or more members with Q_k > 0, named
    # after the group, with probability Q_k.
    expected = {}
    for group, members, q_k in (("X", X, kx), ("Y", Y, ky)):
        for k in range(2, len(members) + 1):
            if q_k[k - 1]:
                for s in itertools.combinations(members, k):
                    expected[f"{group}[{','.join(s)}]"] = q_k[k - 1]
    assert model.shocks.keys() == expected.keys()
    for shock, p in expected.items():
        assert close(probabilities(model)[shock], p, 1e-15), (shock, model.shocks[shock], p)
    members = {sh.name: [m.name for m in sh.members] for sh in model.shocks.values()}
    assert all(members[s] == s[2:-1].split(",") for s in expected)
    # Every member fails with its own event Q_1 or a group event with it.
    for member in (*X, *Y):
        m, q_k = (2, kx) if member in X else (3, ky)
        alone = read_openpsa(DATA / name, top=member)
        assert close(exact_with_shocks(alone)[member], member_total(m, q_k)), member
    # The journeys: exactly the closed form, up to the floats' rounding.
    reference = ccf_reference(name)
    got = exact_with_shocks(model)
    engine = ss.exact(model)
    for j in reference:
        assert close(got[j], reference[j]), (j, float(got[j]), float(reference[j]))
        assert close(engine[j].unavailability, reference[j]), j


def test_ccf_beta_factor_pair_closed_form():
    # Two trains, each down when its valve or its pump is; beta-factor pumps
    # and valves (SCRAM's TwoTrain with its groups, in a fault tree and at
    # the top level). Both trains are down when a common cause happens or
    # both are down on their own.
    text = (DATA / "ccf-beta.xml").read_text()
    text = text.replace('<define-CCF-group name="X"', '<define-CCF-group name="Pumps"', 1)
    # P(pair down) = beta Q + (1 - beta Q) q**2 with q = Q_1 = (1 - beta) Q.
    Q, beta = D("0.1"), D("0.2")
    q = (1 - beta) * Q
    model = read_text(text, top="pair")
    assert model.shocks.keys() == {"Pumps[x-1,x-2]"}
    assert close(exact_with_shocks(model)["pair"], beta * Q + (1 - beta * Q) * q**2)
    # The rare-event form, beta Q + ((1 - beta) Q)**2, is within
    # beta Q ((1 - beta) Q)**2 of it.
    rare = beta * Q + ((1 - beta) * Q) ** 2
    assert abs(exact_with_shocks(model)["pair"] - rare) <= beta * Q * q**2


@pytest.mark.parametrize("name", sorted(CCF_FILES))
def test_ccf_group_files_simulate(seed, name):
    model = read_openpsa(DATA / name)
    reference = ccf_reference(name)
    samples = 200_000
    res = checked_simulate(model, samples, rng=np.random.SeedSequence([seed, 41]))
    for j, p in reference.items():
        assert_consistent(res[j].failures, samples, float(p), what=f"{name}: {j}")


def test_ccf_group_round_trip():
    for name in CCF_FILES:
        model = read_openpsa(DATA / name)
        text = written(model)
        check_mef(text)
        back = read_text(text)
        assert unavailabilities(back) == unavailabilities(model)
        assert probabilities(back) == probabilities(model)
        assert {sh.name: sorted(m.name for m in sh.members) for sh in back.shocks.values()} == {
            sh.name: sorted(m.name for m in sh.members) for sh in model.shocks.values()}
        assert exact_with_shocks(back) == exact_with_shocks(model)


def test_ccf_group_matches_the_python_constructors():
    model = read_openpsa(DATA / "ccf-alpha.xml")
    g = ss.alpha_factor("Y", Y, unavailability="0.03", alphas=["0.9", "0.06", "0.04"])
    assert {k: unavailabilities(model)[k] for k in Y} == {c.name: c.unavailability
                                                  for c in g.components}
    assert {s.name: s.probability for s in g.shocks} == {
        k: v for k, v in probabilities(model).items() if k.startswith("Y[")}
    # Not the staggered reading (Q_2 = 0.06 * 0.03 / 2 = 9e-4).
    g = ss.alpha_factor("Y", Y, unavailability="0.03", alphas=["0.9", "0.06", "0.04"],
                        staggered=True)
    assert not close(probabilities(model)["Y[y-1,y-2]"], D("0.0009"), 1e-3)
    assert close(g.shocks[0].probability, D("0.0009"), 1e-12)


def test_ccf_group_journey_reaching_some_members():
    # A journey over one member keeps that member's shocks (restricted to it),
    # so its probability is Q; groups whose members it does not reach add none.
    model = read_openpsa(DATA / "ccf-mgl.xml", top="one")
    Q, beta, gamma = D("0.01"), D("0.2"), D("0.4")
    expected = {"Y[y-1,y-2]": beta * (1 - gamma) * Q / 2,
                "Y[y-1,y-3]": beta * (1 - gamma) * Q / 2,
                "Y[y-1,y-2,y-3]": beta * gamma * Q}
    assert model.shocks.keys() == expected.keys()
    assert all(close(probabilities(model)[k], v, 1e-15) for k, v in expected.items())
    assert all([m.name for m in sh.members] == ["y-1"] for sh in model.shocks.values())
    own = (1 - beta) * Q
    assert close(exact_with_shocks(model)["one"],
                 1 - (1 - own) * (1 - beta * (1 - gamma) * Q / 2) ** 2 * (1 - beta * gamma * Q))


CCF = """<?xml version="1.0"?>
<opsa-mef>
  <define-fault-tree name="ft">
    <define-gate name="top">
      <and>
        <basic-event name="a"/>
        <basic-event name="b"/>
        <basic-event name="c"/>
      </and>
    </define-gate>
{inner}
  </define-fault-tree>
  <model-data>
    <define-parameter name="half"><float value="0.5"/></define-parameter>
{data}
  </model-data>
  <define-CCF-group name="G" model="{model}">
    <members>
      <basic-event name="a"/>
      <basic-event name="b"/>
      <basic-event name="c"/>
    </members>
    <distribution><float value="0.1"/></distribution>
    <factors>
{factors}
    </factors>
  </define-CCF-group>
</opsa-mef>
"""

GOOD_FACTORS = {
    "beta-factor": '      <factor level="3"><float value="0.1"/></factor>',
    "MGL": ('      <factor level="2"><float value="0.1"/></factor>\n'
            '      <factor level="3"><float value="0.2"/></factor>'),
    "alpha-factor": ('      <factor level="1"><float value="0.9"/></factor>\n'
                     '      <factor level="2"><float value="0.06"/></factor>\n'
                     '      <factor level="3"><float value="0.04"/></factor>'),
    "phi-factor": ('      <factor level="1"><float value="0.9"/></factor>\n'
                   '      <factor level="2"><float value="0.06"/></factor>\n'
                   '      <factor level="3"><float value="0.04"/></factor>'),
}


def ccf(model="MGL", factors=None, inner="", data=""):
    return CCF.format(model=model, factors=GOOD_FACTORS[model] if factors is None
                      else factors, inner=inner, data=data)


TEMPLATE_Q_K = {    # GOOD_FACTORS' Q_k, Q = 0.1, three members
    "beta-factor": q_k_beta(D("0.1"), 3, D("0.1")),
    "MGL": q_k_mgl(D("0.1"), 3, [D("0.1"), D("0.2")]),
    "alpha-factor": q_k_alpha(D("0.1"), 3, [D("0.9"), D("0.06"), D("0.04")]),
    "phi-factor": q_k_phi(D("0.1"), 3, [D("0.9"), D("0.06"), D("0.04")]),
}


@pytest.mark.parametrize("model", sorted(GOOD_FACTORS))
def test_ccf_template_is_valid(model):
    m = read_text(ccf(model))
    assert m.components.keys() == {"a", "b", "c"}
    assert close(exact_with_shocks(read_text(ccf(model), top="a"))["a"],
                 member_total(3, TEMPLATE_Q_K[model]))


def test_ccf_group_in_a_private_component():
    # The members take the role of the group's container: private members
    # are named by their path and found from their own component first.
    text = """<opsa-mef>
  <define-fault-tree name="ft">
    <define-gate name="top"><or><gate name="pair"/><basic-event name="a"/></or>
    </define-gate>
    <define-basic-event name="a"><float value="0.5"/></define-basic-event>
    <define-component name="rack" role="private">
      <define-gate name="pair" role="public"><and><basic-event name="a"/>
        <basic-event name="b"/></and></define-gate>
      <define-CCF-group name="G" model="beta-factor">
        <members><basic-event name="a"/><basic-event name="b"/></members>
        <distribution><float value="0.25"/></distribution>
        <factor level="2"><float value="0.5"/></factor>
      </define-CCF-group>
    </define-component>
  </define-fault-tree>
</opsa-mef>"""
    model = read_text(text, top="top")
    assert model.components.keys() == {"a", "ft.rack.a", "ft.rack.b"}
    assert model.shocks.keys() == {"ft.rack.G[ft.rack.a,ft.rack.b]"}
    Q, beta = D("0.25"), D("0.5")
    q = (1 - beta) * Q
    pair = beta * Q + (1 - beta * Q) * q**2
    assert close(exact_with_shocks(model)["top"], either(pair, D("0.5")))


def factors(*pairs):
    return "\n".join(f'      <factor level="{lv}"><float value="{v}"/></factor>'
                     for lv, v in pairs)


@pytest.mark.parametrize("text, marker, fragment", [
    (ccf().replace(' model="MGL"', ""), '<define-CCF-group name="G"',
     "<define-CCF-group> needs a 'model' attribute"),
    (ccf().replace(' model="MGL"', ' model="beta"'), '<define-CCF-group name="G"',
     "common-cause group 'G': model 'beta' is not one of beta-factor, MGL, alpha-factor, "
     "phi-factor"),
    (ccf("beta-factor", factors((2, 0.1))), '<factor level="2"',
     "common-cause group 'G' (beta-factor): factor level '2' is wrong: beta-factor "
     "groups of 3 members take level 3"),
    (ccf("beta-factor", factors((3, 0.1), (3, 0.2))), '<factor level="3"><float value="0.2"',
     "common-cause group 'G' (beta-factor): factor level 3 is given twice"),
    (ccf("MGL", factors((1, 0.1), (2, 0.1), (3, 0.2))), '<factor level="1"',
     "factor level '1' is wrong: MGL groups of 3 members take levels 2 to 3"),
    (ccf("MGL", factors((2, 0.1), (3, 0.2), (4, 0.1))), '<factor level="4"',
     "factor level '4' is wrong"),
    (ccf("MGL", factors((2, 0.1))), "<factors>",
     "common-cause group 'G' (MGL) has no factor of level 3: MGL groups of 3 members "
     "take levels 2 to 3"),
    (ccf("alpha-factor", factors((1, 0.9), (3, 0.1))), "<factors>",
     "common-cause group 'G' (alpha-factor) has no factor of level 2"),
    (ccf("phi-factor", factors((1, 0.9), (2, 0.05), (2, "0.050"))), 'value="0.050"',
     "factor level 2 is given twice"),
    (ccf("MGL", factors((2, 0.1), ("x", 0.2))), '<factor level="x"',
     "factor level 'x' is wrong"),
    (ccf("MGL", factors((2, 0.1), (3, 1.5))), '<factor level="3"',
     "common-cause group 'G' (MGL): factor of level 3 is '1.5', not a fraction in [0, 1]"),
    (ccf("MGL", factors((2, -0.1), (3, 0.5))), '<factor level="2"',
     "factor of level 2 is '-0.1', not a fraction in [0, 1]"),
    (ccf("alpha-factor", factors((1, 0.9), (2, 0.06), (3, 0.05))), "<factors>",
     "common-cause group 'G' (alpha-factor): its factors (alphas) sum to 1.01, not 1"),
    (ccf("phi-factor", factors((1, 0.9), (2, 0.06), (3, 0.03))), "<factors>",
     "common-cause group 'G' (phi-factor): its factors (phis) sum to 0.99, not 1"),
    (ccf().replace('<float value="0.1"/></distribution>',
                   '<float value="1.1"/></distribution>'), "<distribution>",
     "common-cause group 'G' (MGL): its distribution '1.1' (each member's failure "
     "probability) is not a probability in [0, 1]"),
    (ccf().replace('<float value="0.1"/></distribution>',
                   '<float value="NaN"/></distribution>'), "<distribution>",
     "is not a probability in [0, 1]"),
    (ccf().replace('<float value="0.1"/></distribution>',
                   '<switch/></distribution>'), "<switch/>",
     "common-cause group 'G' (MGL): <distribution> uses <switch>"),
    (ccf().replace('<float value="0.1"/></distribution>',
                   '<parameter name="nope"/></distribution>'), '<parameter name="nope"',
     "refers to parameter 'nope', which is not defined"),
    (ccf().replace('<basic-event name="c"/>\n    </members>',
                   '<basic-event name="a"/>\n    </members>'),
     '<basic-event name="a"/>\n    </members>',
     "common-cause group 'G' (MGL) lists member 'a' twice"),
    (ccf().replace('<basic-event name="c"/>\n    </members>',
                   '<gate name="c"/>\n    </members>'), '<gate name="c"/>\n    </members>',
     "common-cause group 'G' (MGL): member <gate> is not a <basic-event>"),
    (ccf().replace('<basic-event name="c"/>\n    </members>',
                   '<event name="c"/>\n    </members>'), '<event name="c"/>\n    </members>',
     "member <event> is not a <basic-event>"),
    (ccf(data=event('<float value="0.5"/>', name="b")), '<basic-event name="b"/>\n      <b',
     "basic event 'b' is defined twice (first as a basic event at <stream>:"),
    (ccf(inner=('    <define-CCF-group name="H" model="beta-factor"><members>'
                '<basic-event name="b"/><basic-event name="x"/></members><distribution>'
                '<float value="0.1"/></distribution><factor level="2"><float value="0.1"/>'
                '</factor></define-CCF-group>')),
     '<basic-event name="b"/>\n      <b',
     "basic event 'b' is defined twice (first as a member of common-cause group 'H' at "
     "<stream>:"),
    (ccf().replace('<basic-event name="b"/>\n      <basic-event name="c"/>\n    </members>',
                   '</members>'), "<members>", "common-cause group 'G' (MGL) has 1 member; "
     "a group needs 2 to 12"),
    (ccf().replace("<factors>", "<factors>\n<label>x</label>"), "<label>x</label>",
     "unknown element <label> in <factors> of common-cause group 'G' (MGL)"),
    (ccf().replace("<distribution>", "<nope/><distribution>"), "<nope/>",
     "unknown element <nope> in common-cause group 'G' (MGL)"),
    (ccf().replace("    <distribution><float", "    <members/><distribution><float"),
     "<members/>", "common-cause group 'G' (MGL) has a second <members>"),
    (ccf().replace("    <distribution><float value=\"0.1\"/></distribution>\n", ""),
     '<define-CCF-group name="G"', "common-cause group 'G' (MGL) has no <distribution>"),
    (ccf().replace("    <factors>", '    <factor level="2"><float value="0.1"/></factor>\n'
                   "    <factors>"), "    <factors>",
     "has a second <factors> or <factor>; put every factor in one <factors>"),
    (ccf(factors=factors((3, 0.2)) + '\n      <factor><float value="0.1"/></factor>'),
     "<factor><float",
     "common-cause group 'G' (MGL): a <factor> without a level follows the factor of "
     "level 3, so it would be level 4: MGL groups of 3 members take levels 2 to 3"),
    (ccf(factors=factors((2, 0.2)) + '\n      <factor><float value="0.1"/></factor>'
         + '\n      <factor level="3"><float value="0.1"/></factor>'),
     '<factor level="3"><float value="0.1"/></factor>',
     "factor level 3 is given twice"),
    (ccf(factors="      <factor></factor>\n      <factor/>"), "<factor></factor>",
     "common-cause group 'G' (MGL): <factor> of level 2 (by its place) needs exactly "
     "one expression, found 0"),
    (ccf().replace('<float value="0.1"/></factor>', "</factor>"), '<factor level="2"',
     "<factor level=\"2\"> needs exactly one expression, found 0"),
    (ccf(inner=ccf().split("</model-data>\n")[1].split("</opsa-mef>")[0]
         .replace('"a"', '"p"').replace('"b"', '"q"').replace('"c"', '"r"')),
     '<define-CCF-group name="G" model="MGL">\n    <members>\n      <basic-event name="a"',
     "common-cause group 'G' is defined twice (first at <stream>:"),
    (ccf(data=ccf().split("</model-data>\n")[1].split("</opsa-mef>")[0]
         .replace('"a"', '"p"').replace('"b"', '"q"').replace('"c"', '"r"')),
     '<define-CCF-group name="G" model="MGL">\n    <members>\n      <basic-event name="p"',
     "<define-CCF-group> is not allowed in <model-data>"),
])
def test_ccf_group_rejected(text, marker, fragment):
    check_error(text, marker, fragment)


def test_ccf_group_member_referenced_as_a_gate():
    text = ccf().replace('<basic-event name="c"/>\n      </and>', '<gate name="c"/>\n      </and>')
    check_error(text, '<gate name="c"/>', "gate 'top' refers to gate 'c', but 'c' is a "
                "basic event (defined at <stream>:")


def test_ccf_group_in_scram_twotrain_layout():
    # SCRAM's TwoTrain example puts its groups at the top level and refers
    # to the members with untyped <event>.
    text = """<opsa-mef>
  <define-fault-tree name="TwoTrains">
    <define-gate name="TopEvent"><and><event name="TrainOne"/><event name="TrainTwo"/></and>
    </define-gate>
    <define-gate name="TrainOne"><or><event name="ValveOne"/><event name="PumpOne"/></or>
    </define-gate>
    <define-gate name="TrainTwo"><or><event name="ValveTwo"/><event name="PumpTwo"/></or>
    </define-gate>
  </define-fault-tree>
  <define-CCF-group name="Pumps" model="beta-factor">
    <members><basic-event name="PumpOne"/><basic-event name="PumpTwo"/></members>
    <distribution><float value="0.1"/></distribution>
    <factor level="2"><float value="0.2"/></factor>
  </define-CCF-group>
  <define-CCF-group name="Valves" model="beta-factor">
    <members><basic-event name="ValveOne"/><basic-event name="ValveTwo"/></members>
    <distribution><float value="0.1"/></distribution>
    <factor level="2"><float value="0.2"/></factor>
  </define-CCF-group>
</opsa-mef>"""
    model = read_text(text)
    Q, beta = D("0.1"), D("0.2")
    q = (1 - beta) * Q
    # Top: a common cause (pumps or valves), or both trains down on their own.
    train = 1 - (1 - q) ** 2
    expected = 1 - (1 - beta * Q) ** 2 * (1 - train**2)
    assert close(exact_with_shocks(model)["TopEvent"], expected)


def test_module_exports():
    assert sio.__all__ == ["read_openpsa", "write_openpsa", "OpenPSAError"]
    assert issubclass(OpenPSAError, ss.ModelError)
