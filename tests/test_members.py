"""Members joining and retiring: ISO codes checked, shapes read and drawn, retired members out of new rounds, the
command line and the Members page; and the issue's journey: Ireland added with its shape reaches the map, a new
round and the exports."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlmodel import Session, col, select
from streamlit.testing.v1 import AppTest

from mcwg_dashboard.charts.map import adoption_map, load_geojson, not_drawn
from mcwg_dashboard.cli import main
from mcwg_dashboard.db import make_engine
from mcwg_dashboard.models import AuditEntry, Country, CountrySurvey
from mcwg_dashboard.reports.data import load_plenary_data
from mcwg_dashboard.services import members, reminders, rounds, surveys
from mcwg_dashboard.services.errors import InvalidState, NotFound, PermissionDenied, ValidationFailed
from mcwg_dashboard.services.overview import participation_table, survey_status_table
from tests.helpers import ADMIN, MEMBER, REP_FR, the_open_round
from tests.test_lifecycle import complete_answers

APP = str(Path(__file__).parent.parent / "app.py")


def _ireland() -> dict[str, Any]:
    """The shipped map's Ireland as a GeoJSON Feature, the way a focus group member would save it from a GIS."""
    feature = next(f for f in load_geojson()["features"] if f["properties"].get("iso") == "IE")
    return {"type": "Feature", "properties": {"name": "Ireland"}, "geometry": feature["geometry"]}


def _square(lon: float, lat: float, size: float = 1.0) -> dict[str, Any]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def _traces(figure: Any) -> dict[str, Any]:
    return {t.meta["code"]: t for t in figure.data if isinstance(t.meta, dict) and "code" in t.meta}


@pytest.mark.parametrize(
    ("code", "name"), [("IE", "Ireland"), ("ie", "Ireland"), ("GB-ENG", "England"), ("CA-QC", "Quebec")]
)
def test_iso_codes_of_countries_and_regions_are_known(code: str, name: str) -> None:
    assert members.iso_name(code).startswith(name)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("XX", "not an ISO 3166-1 alpha-2"),
        ("IRL", "not an ISO 3166-1 alpha-2"),
        ("I1", "not an ISO 3166-1 alpha-2"),
        ("CA-ZZ", "not an ISO 3166-2 region code"),
        ("", "Give the member's ISO 3166 code"),
    ],
)
def test_unknown_or_malformed_codes_are_refused(code: str, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        members.iso_name(code)


def test_shape_files_are_read_as_one_multipolygon() -> None:
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {}, "geometry": _square(-8, 52)},
            {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [0, 0]}},
            {"type": "Feature", "properties": {}, "geometry": None},
        ],
    }
    shape = members.parse_shape(json.dumps(collection).encode(), "ie.geojson")
    assert shape["type"] == "MultiPolygon" and len(shape["coordinates"]) == 1
    assert members.parse_shape(json.dumps(_ireland()).encode(), "ireland.geojson")["type"] == "MultiPolygon"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not json", "bad.geojson: it is not GeoJSON"),
        (b"[1, 2]", "it is not GeoJSON"),
        (json.dumps({"type": "Point", "coordinates": [1, 2]}).encode(), "has no Polygon or MultiPolygon"),
        (json.dumps({"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}).encode(), "at least 4 positions"),
        (json.dumps(_square(500_000, 6_000_000)).encode(), "not longitude/latitude"),
        (json.dumps({"type": "Polygon", "coordinates": [[[0, 0], ["a", 1], [1, 1], [0, 0]]]}).encode(), "numbers"),
        (json.dumps({"type": "Topology"}).encode(), "is not a GeoJSON type"),
    ],
)
def test_bad_shape_files_are_refused_with_the_file_named(content: bytes, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message) as refused:
        members.parse_shape(content, "bad.geojson")
    assert "bad.geojson" in str(refused.value)


def test_a_huge_shape_is_refused() -> None:
    ring = [[(i % 360) - 180 + 0.001 * i / 1000, 10.0] for i in range(members.MAX_SHAPE_POINTS + 10)]
    ring.append(ring[0])
    with pytest.raises(ValidationFailed, match="simplify it"):
        members.parse_shape(json.dumps({"type": "Polygon", "coordinates": [ring]}).encode(), "big.geojson")


def test_adding_a_member_is_audited_and_refused_twice_or_without_rights(session: Session) -> None:
    added = members.add_member(session, actor=ADMIN, code="ie", name="")
    assert (added.code, added.name, added.shape) == ("IE", "Ireland", None)
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "add_country", AuditEntry.entity_key == "IE"))
    assert entry.one().actor == ADMIN.username
    with pytest.raises(InvalidState, match="already a member"):
        members.add_member(session, actor=ADMIN, code="IE", name="Éire")
    for actor in (REP_FR, MEMBER):
        with pytest.raises(PermissionDenied):
            members.add_member(session, actor=actor, code="PT", name="Portugal")
    assert session.get(Country, "PT") is None
    with pytest.raises(ValidationFailed):
        members.add_member(session, actor=ADMIN, code="ZZ", name="Nowhere")
    assert session.get(Country, "ZZ") is None
    rows = {r.code: r for r in members.list_members(session)}
    assert rows["IE"].shape == "shipped map" and rows["IE"].state == "active"


def test_a_retired_member_is_out_of_new_rounds_but_keeps_its_history(session: Session) -> None:
    first = the_open_round(session)
    survey = surveys.open_survey(session, actor=ADMIN, round_id=first.id or 0, country_code="NO")
    surveys.save_answers(
        session, actor=ADMIN, survey_id=survey.id or 0, answers=complete_answers(session, survey.id or 0)
    )
    members.retire_member(session, actor=ADMIN, code="NO", on=first.opens_on + dt.timedelta(days=10))
    with pytest.raises(InvalidState, match="already retired"):
        members.retire_member(session, actor=ADMIN, code="NO")
    with pytest.raises(NotFound, match="no member with code 'ZZ'"):
        members.retire_member(session, actor=ADMIN, code="ZZ")
    rounds.close_round(session, actor=ADMIN, round_id=first.id or 0)
    later = rounds.open_round(
        session,
        actor=ADMIN,
        name="Next round",
        opens_on=first.opens_on + dt.timedelta(days=20),
        closes_on=None,
        checklist_version_id=first.checklist_version_id,
    )
    later_surveys = session.exec(select(CountrySurvey.country_code).where(CountrySurvey.round_id == later.id)).all()
    assert "NO" not in later_surveys, "a retired member's answers are not carried into a round it is not in"
    with pytest.raises(InvalidState, match="retired on"):
        surveys.open_survey(session, actor=ADMIN, round_id=later.id or 0, country_code="NO")
    assert "NO" not in set(survey_status_table(session, round_id=later.id)["Code"])
    assert "NO" not in set(participation_table(session, later.id or 0)["Code"])
    assert "NO" not in {m.code for m in reminders.pending_members(session, actor=ADMIN, round_id=later.id or 0)}
    # History stays: the first round still lists Norway with its survey.
    assert "NO" in set(survey_status_table(session, round_id=first.id)["Code"])
    assert "NO" in members.round_member_codes(session, first)
    members.reinstate_member(session, actor=ADMIN, code="NO")
    assert "NO" in members.round_member_codes(session, later)
    actions = session.exec(select(AuditEntry.action).where(AuditEntry.entity_key == "NO")).all()
    assert {"retire_country", "reinstate_country"} <= set(actions)


def test_the_map_draws_new_members_from_the_shipped_map_or_their_own_outline() -> None:
    scores = pd.DataFrame(
        {
            "country_code": ["AT", "IE", "PT", "JP", "XA"],
            "country_name": ["Austria", "Ireland", "Portugal", "Japan", "Synthetic"],
            "score": [0.5, 0.75, 0.25, 0.5, None],
            "detail": "",
        }
    )
    figure = adoption_map(scores, shapes={"PT": _square(-9, 38, 2), "JP": _square(139, 35, 2)})
    traces = _traces(figure)
    assert {"AT", "IE", "PT", "JP"} <= set(traces), "Ireland from the shipped map, Portugal and Japan from their own"
    assert traces["JP"].xaxis == "x3", "a member beyond Europe and North America gets a panel of its own"
    assert figure.layout.xaxis3.domain == (0.0, 0.22)
    assert traces["IE"].name == "Ireland" and traces["IE"].xaxis == "x" and traces["IE"].meta["score"] == 0.75
    background = next(t for t in figure.data if t.name == "background (europe)")
    drawn_once = len([v for v in background.x if v == v]) + len([v for v in traces["IE"].x if v == v])
    plain = next(t for t in adoption_map(scores.iloc[:1]).data if t.name == "background (europe)")
    assert drawn_once == len([v for v in plain.x if v == v]), "Ireland leaves the grey background when it joins"
    assert not_drawn(figure) == "Not drawn (no shape on the map): Synthetic (XA): no answers"
    assert "x3" not in {t.xaxis for t in adoption_map(scores.iloc[:2]).data}, "no third panel without such a member"


def test_cli_adds_lists_retires_and_refuses_bad_input(
    external_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shape = tmp_path / "ireland.geojson"
    shape.write_text(json.dumps(_ireland()), encoding="utf-8")
    assert main(["member", "add", "IE", "--name", "Ireland", "--shape", str(shape)]) == 0
    assert "Member IE (Ireland) added; map shape: own shape." in capsys.readouterr().out
    not_geojson = tmp_path / "notes.geojson"
    not_geojson.write_text("hello", encoding="utf-8")
    assert main(["member", "add", "PT", "--shape", str(not_geojson)]) == 1
    assert "notes.geojson: it is not GeoJSON" in capsys.readouterr().err
    assert main(["member", "add", "XX"]) == 1
    assert "'XX' is not an ISO 3166-1 alpha-2 country code" in capsys.readouterr().err
    assert main(["member", "add", "PT", "--shape", str(tmp_path / "missing.geojson")]) == 1
    assert "cannot be read" in capsys.readouterr().err
    assert main(["member", "retire", "NO", "--on", "2030-01-01"]) == 0
    assert main(["member", "list"]) == 0
    listing = capsys.readouterr().out
    assert "IE      Ireland" in listing and "own shape" in listing and "retired on 2030-01-01" in listing
    assert main(["member", "shape", "IE", "--clear"]) == 0
    engine = make_engine(external_database)
    with Session(engine) as session:
        assert session.get(Country, "PT") is None
        ireland = session.get_one(Country, "IE")
        assert ireland.shape is None and ireland.name == "Ireland"
    engine.dispose()


def test_ireland_joins_from_the_command_line_and_reaches_the_map_a_new_round_and_the_exports(
    external_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shape = tmp_path / "ireland.geojson"
    shape.write_text(json.dumps(_ireland()), encoding="utf-8")
    assert main(["member", "add", "IE", "--name", "Ireland", "--shape", str(shape)]) == 0
    opens = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    assert main(["round", "open", "2027 adoption survey", "--opens", opens]) == 0
    engine = make_engine(external_database)
    with Session(engine, expire_on_commit=False) as session:
        new_round = next(r for r in rounds.list_rounds(session) if r.name == "2027 adoption survey")
        survey = surveys.open_survey(session, actor=ADMIN, round_id=new_round.id or 0, country_code="IE")
        survey_id = survey.id or 0
        surveys.save_answers(session, actor=ADMIN, survey_id=survey_id, answers=complete_answers(session, survey_id))
        surveys.submit_survey(session, actor=ADMIN, survey_id=survey_id, expected_version=survey.version)
        assert "IE" in set(survey_status_table(session, round_id=new_round.id)["Code"])
        data = load_plenary_data(session, round_id=new_round.id or 0)
        assert "IE" in set(data.members["country_code"]) and "IE" in data.shapes
        ireland = _traces(adoption_map(data.country_scores(), shapes=data.shapes))["IE"]
        assert ireland.meta["score"] == 1.0, "every element implemented: a full score on the map"
    engine.dispose()
    out = tmp_path / "long.csv"
    assert main(["export-all", "--format", "csv", "--out", str(out)]) == 0
    long = pd.read_csv(out)
    ireland = long[(long["Country code"] == "IE") & (long["Round"] == "2027 adoption survey")]
    assert len(ireland) == len(complete_answers_count(external_database, survey_id)) > 0
    workbook = tmp_path / "ie.xlsx"
    assert main(["export-survey", "--round", "2027 adoption survey", "--country", "IE", "--out", str(workbook)]) == 0
    assert workbook.stat().st_size > 0


def complete_answers_count(url: str, survey_id: int) -> list[Any]:
    engine = make_engine(url)
    with Session(engine) as session:
        answers = complete_answers(session, survey_id)
    engine.dispose()
    return answers


def test_members_page_adds_retires_and_reports_bad_files(external_database: str) -> None:
    at = _admin_page()
    at.text_input[0].input("ie")
    at.button[0].click().run()
    assert not at.exception
    assert any("Member IE added." in s.value for s in at.success)
    table = at.dataframe[0].value
    assert "Ireland" in set(table["Name"]) and set(table.loc[table["Code"] == "IE", "Map shape"]) == {"shipped map"}
    at.text_input[0].input("XX")
    at.button[0].click().run()
    assert any("not an ISO 3166-1 alpha-2" in e.value for e in at.error)
    at.selectbox(key="member_pick").select("NO").run()
    at.button(key="retire").click().run()
    assert any("Norway retires on" in s.value for s in at.success)
    engine = make_engine(external_database)
    with Session(engine) as session:
        assert session.get_one(Country, "NO").retired_on == dt.date.today()
        assert session.get(Country, "XX") is None
        entries = session.exec(select(AuditEntry.action).where(col(AuditEntry.entity) == "country")).all()
        assert {"add_country", "retire_country"} <= set(entries)
    engine.dispose()
    at.selectbox(key="member_pick").select("NO").run()
    at.button(key="reinstate").click().run()
    assert any("Norway reinstated" in s.value for s in at.success)


def _admin_page() -> AppTest:
    from tests.test_app_pages import _app

    return _app("mcwg_dashboard/views/members_admin.py")
