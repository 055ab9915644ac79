"""read_openpsa: several files as one model, and names trimmed as SCRAM does."""

import io
import math
from pathlib import Path

import pytest

import slosim as ss
from slosim.io import OpenPSAError, read_openpsa

DATA = Path(__file__).parent / "data" / "openpsa"


def test_several_files_as_arguments_make_one_model():
    model = read_openpsa(DATA / "split-tree.xml", DATA / "split-data.xml")
    as_list = read_openpsa([DATA / "split-tree.xml", DATA / "split-data.xml"])
    assert list(model.components) == ["p", "q", "r", "s"]
    assert ss.exact(model)["split"].unavailability == ss.exact(as_list)[
        "split"].unavailability
    # the data file first reads the same
    other = read_openpsa(DATA / "split-data.xml", io.StringIO(
        (DATA / "split-tree.xml").read_text()))
    assert ss.exact(other)["split"].unavailability == ss.exact(model)[
        "split"].unavailability


def test_expressions_across_files():
    tree = io.StringIO("""<opsa-mef><define-fault-tree name="ft">
  <define-gate name="top"><or><basic-event name="pump"/>
    <basic-event name="valve"/></or></define-gate>
</define-fault-tree></opsa-mef>""")
    params = io.StringIO("""<opsa-mef><model-data>
  <define-parameter name="rate"><float value="2e-5"/></define-parameter>
</model-data></opsa-mef>""")
    data = io.StringIO("""<opsa-mef><model-data>
  <define-basic-event name="pump"><exponential><parameter name="rate"/>
    <system-mission-time/></exponential></define-basic-event>
  <define-basic-event name="valve"><float value="1e-3"/></define-basic-event>
</model-data></opsa-mef>""")
    model = read_openpsa(tree, data, params, mission_time=1000)
    assert model.components["pump"].unavailability == pytest.approx(
        -math.expm1(-0.02), rel=1e-12)


def test_errors_name_the_file_they_are_in(tmp_path):
    tree = tmp_path / "tree.xml"
    tree.write_text((DATA / "split-tree.xml").read_text())
    data = tmp_path / "data.xml"
    data.write_text((DATA / "split-data.xml").read_text().replace(
        '<float value="0.3"/>', '<float value="1.3"/>'))
    with pytest.raises(OpenPSAError) as info:
        read_openpsa(tree, data)
    assert info.value.path == str(data)
    assert "basic event 'r'" in str(info.value)


@pytest.mark.parametrize("sources", [(), ([],), (DATA / "split-tree.xml", 3)])
def test_bad_sources(sources):
    with pytest.raises((TypeError, ValueError),
                       match="The 'source' parameter of read_openpsa must be"):
        read_openpsa(*sources)


NAMES = """<opsa-mef>
  <define-fault-tree name=" ft ">
    <define-gate name=" top\t">
      <or>
        <basic-event name="\tpump "/>
        <event name=" valve" type=" basic-event "/>
        <gate name="sub "/>
      </or>
    </define-gate>
    <define-gate name="sub" role=" public "><and><basic-event name="pump"/>
      <house-event name=" maintenance "/></and></define-gate>
  </define-fault-tree>
  <model-data>
    <define-parameter name=" q "><float value="0.02"/></define-parameter>
    <define-basic-event name=" pump "><parameter name=" q"/></define-basic-event>
    <define-basic-event name="valve  "><float value="0.01"/></define-basic-event>
    <define-house-event name="maintenance"><constant value="true"/></define-house-event>
  </model-data>
  <define-CCF-group name=" G " model=" beta-factor ">
    <members><basic-event name=" m1 "/><basic-event name="m2"/></members>
    <distribution><float value="0.1"/></distribution>
    <factor level="2"><float value="0.2"/></factor>
  </define-CCF-group>
</opsa-mef>"""


def test_names_are_trimmed_as_scram_does():
    model = read_openpsa(io.StringIO(NAMES), top=["top", "m1"])
    assert [j.name for j in model.journeys] == ["top", "m1"]
    assert set(model.components) == {"pump", "valve", "maintenance", "m1"}
    assert model.components["pump"].unavailability == 0.02
    # sub = pump and maintenance (true) = pump
    assert ss.exact(model)["top"].unavailability == pytest.approx(
        1 - (1 - 0.02) * (1 - 0.01), rel=1e-12)
    # the group G (beta-factor) of m1 and m2: m1 fails with Q = 0.1 in all
    assert ss.exact(model)["m1"].unavailability == pytest.approx(
        1 - (1 - 0.08) * (1 - 0.02), rel=1e-12)


def test_trimmed_names_that_clash_are_duplicates():
    text = NAMES.replace('name="valve  "', 'name=" pump"')
    with pytest.raises(OpenPSAError, match="basic event 'pump' is defined twice"):
        read_openpsa(io.StringIO(text))
