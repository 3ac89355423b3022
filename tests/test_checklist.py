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


def test_checklist_asks_69_elements_in_five_sets_and_derives_the_sixth() -> None:
    checklist = load_checklist(SURVEYS)
    # SPP-01..03 became the deployment profile, TRK-01/02 participation figures (corrections of 2 December 2026).
    assert {s.code: len(s.elements) for s in checklist.sets} == {
        "SPP": 11,
        "META": 22,
        "KOS": 24,
        "KIN": 6,
        "DEP": 6,
        "TRK": 0,
    }
    assert len(checklist.elements) == 69
    assert list(checklist.elements)[:2] == ["SPP-04", "SPP-05"]
    assert [s.code for s in checklist.asked_sets] == ["SPP", "META", "KOS", "KIN", "DEP"]
    assert checklist.version == "2026.12"


def test_set_maturity_is_data_and_headline_counts_finalized_adoption_elements_only() -> None:
    checklist = load_checklist(SURVEYS)
    maturity = {s.code: s.maturity for s in checklist.sets}
    assert maturity["SPP"] == "Finalized Feb 2024, updated May 2024"
    assert maturity["META"] == maturity["KOS"] == "Finalized Feb 2024"
    assert all(maturity[code] == "In progress: draft recommendations" for code in ("KIN", "DEP", "TRK"))
    watch = {e.id for e in checklist.elements.values() if e.is_watch}
    assert watch == {"KOS-22", "KOS-23", "KOS-24", "META-15", "DEP-06"}
    headline = checklist.headline_element_ids
    assert len(headline) == 11 + 21 + 21
    assert not headline & watch
    assert not any(element_id.split("-")[0] in ("KIN", "DEP", "TRK") for element_id in headline)


def test_wording_fixes_of_the_corrections() -> None:
    elements = load_checklist(SURVEYS).elements
    assert "Issuer of Accession Number Sequence (0008,0051)" in elements["META-10"].standards
    assert "present but empty" in elements["KOS-07"].explanation
    assert "variant" in elements["KOS-07"].explanation and "MADO" in elements["KOS-07"].explanation
    assert "performed" in elements["KOS-09"].title.lower()
    assert "not a rule to leave other objects out" in elements["KOS-17"].explanation
    assert "May 2024" in elements["SPP-10"].title and "Dutch" not in elements["SPP-10"].explanation
    assert "central viewer hub" in elements["SPP-11"].explanation.lower()
    assert "IID" in elements["SPP-11"].explanation
    assert "may still link to a viewer" in elements["SPP-12"].explanation
    assert "RIS" in elements["DEP-01"].explanation and "gateway" in elements["DEP-01"].explanation
    assert "quick guide" in elements["DEP-03"].explanation
    for element_id in ("META-06", "META-07", "META-12"):
        assert elements[element_id].set_by == "the RIS, per imaging procedure code"
        assert "set by the RIS per imaging procedure code" in elements[element_id].explanation


def test_applicability_follows_the_decks_pairing() -> None:
    elements = load_checklist(SURVEYS).elements
    assert elements["SPP-04"].architectures == ("A", "C")
    assert not elements["SPP-04"].applies_to(["B"], [])
    assert elements["SPP-04"].applies_to(["A", "B"], [])
    assert not elements["SPP-06"].applies_to(["A"], ["MHD"])
    assert elements["SPP-06"].applies_to(["B"], ["XCA-I"])
    assert not elements["SPP-05"].applies_to(["A"], ["XDS-I.b"])
    # An empty profile part tells nothing: the element applies.
    assert elements["SPP-06"].applies_to([], [])
    assert elements["META-01"].applies_to(["B"], ["XCA-I"])


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
    assert elements["META-10"].level_text == "L2 (or L1)"
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
    # Not planned needs its reason; Not applicable needs a note unless the profile makes the element irrelevant.
    assert rule_violations(scale, "NOPL", "", None) == [
        "A note is required for “Not planned”: give the reason it was decided against."
    ]
    assert not rule_violations(scale, "NOPL", "No budget.", None)
    assert "applies to your deployment profile" in rule_violations(scale, "NA", "", None)[0]
    assert not rule_violations(scale, "NA", "", None, applicable=False)
    assert not rule_violations(scale, "NA", "We run no XDS registry.", None)
    assert rule_violations(scale, "NOPL", "", None, applicable=False)
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
    path = surveys / "sets" / "kin.yaml"
    data = yaml.safe_load(path.read_text())
    data["elements"][1]["id"] = "KIN-01"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(ChecklistError, match="repeated: KIN-01"):
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
