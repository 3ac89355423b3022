"""The checklist files: complete, valid, and a broken file fails with a precise message."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from mcwg_dashboard.checklist import ChecklistError, Requirement, load_checklist, rule_violations
from mcwg_dashboard.config import PROJECT_ROOT

SURVEYS = PROJECT_ROOT / "surveys"


def test_checklist_has_the_74_elements_in_six_sets() -> None:
    checklist = load_checklist(SURVEYS)
    assert {s.code: len(s.elements) for s in checklist.sets} == {
        "SPP": 14,
        "META": 22,
        "KOS": 24,
        "KIN": 6,
        "DEP": 6,
        "TRK": 2,
    }
    assert len(checklist.elements) == 74
    assert list(checklist.elements)[:2] == ["SPP-01", "SPP-02"]


def test_every_element_has_title_explanation_and_known_architectures() -> None:
    for element in load_checklist(SURVEYS).elements.values():
        assert element.title.strip(), element.id
        assert len(element.explanation) >= 60, element.id
        assert set(element.architectures) <= {"A", "B", "C"}, element.id


def test_levels_and_flags_follow_the_brief() -> None:
    elements = load_checklist(SURVEYS).elements
    assert elements["META-07"].metadata_level == 1
    assert elements["META-07"].alternative_metadata_level == 2
    assert elements["META-12"].metadata_level == 2
    assert elements["SPP-01"].architectures == ("A",)
    assert all(elements[f"DEP-0{i}"].inferred for i in range(1, 7))


def test_answer_scale_rules() -> None:
    scale = load_checklist(SURVEYS).scale
    assert scale.codes == ["IMPL", "VAR", "PART", "PLAN", "CONS", "NOPL", "NA", "UNK"]
    assert scale.default.code == "UNK"
    assert Requirement.NOTE in scale.get("VAR").requires
    assert Requirement.NOTE in scale.get("PART").requires
    assert Requirement.TARGET_DATE in scale.get("PLAN").requires
    assert rule_violations(scale, "VAR", "", None) and not rule_violations(scale, "VAR", "differs", None)
    assert rule_violations(scale, "PLAN", "", None) and not rule_violations(scale, "PLAN", "", dt.date(2027, 1, 1))
    assert scale.parse("  implemented – VARIANT ") == scale.get("VAR")
    assert scale.parse("implemented - variant") == scale.get("VAR")
    assert scale.parse("part") == scale.get("PART")
    assert scale.parse("done") is None


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "surveys"
    shutil.copytree(SURVEYS, target)
    return target


def test_missing_field_names_file_element_and_field(tmp_path: Path) -> None:
    surveys = _copy(tmp_path)
    path = surveys / "sets" / "kos.yaml"
    data = yaml.safe_load(path.read_text())
    del data["elements"][6]["title"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(ChecklistError) as caught:
        load_checklist(surveys)
    message = str(caught.value)
    assert "kos.yaml" in message
    assert "element KOS-07" in message
    assert "field 'title'" in message


def test_bad_value_names_the_element(tmp_path: Path) -> None:
    surveys = _copy(tmp_path)
    path = surveys / "sets" / "meta.yaml"
    data = yaml.safe_load(path.read_text())
    data["elements"][0]["metadata_level"] = 3
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(ChecklistError, match=r"meta\.yaml: element META-01 \(item 1\): field 'metadata_level'"):
        load_checklist(surveys)


def test_duplicate_element_ids_are_refused(tmp_path: Path) -> None:
    surveys = _copy(tmp_path)
    path = surveys / "sets" / "trk.yaml"
    data = yaml.safe_load(path.read_text())
    data["elements"][1]["id"] = "TRK-01"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(ChecklistError, match="repeated: TRK-01"):
        load_checklist(surveys)


def test_broken_yaml_and_missing_file_are_reported(tmp_path: Path) -> None:
    surveys = _copy(tmp_path)
    (surveys / "sets" / "kin.yaml").write_text("code: KIN\nelements: [\n")
    with pytest.raises(ChecklistError, match=r"kin\.yaml: not valid YAML"):
        load_checklist(surveys)
    (surveys / "sets" / "kin.yaml").unlink()
    with pytest.raises(ChecklistError, match=r"kin\.yaml: file not found"):
        load_checklist(surveys)


def test_broken_answer_scale_names_the_status(tmp_path: Path) -> None:
    surveys = _copy(tmp_path)
    path = surveys / "answer_scale.yaml"
    data = yaml.safe_load(path.read_text())
    data["statuses"][3]["colour"] = "yellow"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(ChecklistError, match=r"answer_scale\.yaml: status PLAN \(item 4\): field 'colour'"):
        load_checklist(surveys)


def test_element_of_another_set_is_refused(tmp_path: Path) -> None:
    surveys = _copy(tmp_path)
    path = surveys / "sets" / "dep.yaml"
    data = yaml.safe_load(path.read_text())
    data["elements"][0]["id"] = "KOS-99"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(ChecklistError, match="does not start with the set code DEP"):
        load_checklist(surveys)
