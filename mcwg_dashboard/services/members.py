"""Members joining, retiring and bringing their own map shape: the command line's `member` and the Members page.

Codes are ISO 3166-1 alpha-2 (a country) or ISO 3166-2 (a region such as CA-QC), checked against pycountry's copy
of the standard. A retired member keeps every answer it gave; it is only left out of rounds that open on or after
the day it retired.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from typing import Any

import pycountry
from sqlmodel import Session, col, select

from mcwg_dashboard.models import Country, CountrySurvey, SurveyRound
from mcwg_dashboard.services import audit
from mcwg_dashboard.services.actors import Actor, require_admin
from mcwg_dashboard.services.errors import InvalidState, NotFound, ValidationFailed
from mcwg_dashboard.services.transaction import transaction
from mcwg_dashboard.text import clean_text

# A member's outline is drawn on every map: a national border simplified for a page needs a few thousand points.
MAX_SHAPE_POINTS = 50_000
MAX_SHAPE_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class MemberRow:
    code: str
    name: str
    retired_on: dt.date | None
    shape: str  # where its outline comes from: "own shape", "shipped map" or "none"
    surveys: int

    @property
    def state(self) -> str:
        return f"retired on {self.retired_on.isoformat()}" if self.retired_on else "active"


def iso_name(code: str) -> str:
    """The standard's name for an ISO 3166-1 alpha-2 or ISO 3166-2 code; ValidationFailed when it names nothing."""
    text = code.strip().upper()
    if not text:
        raise ValidationFailed({"code": ["Give the member's ISO 3166 code, such as IE or CA-QC."]}, "No code given.")
    if "-" in text:
        subdivision = pycountry.subdivisions.get(code=text)
        if subdivision is None:
            raise ValidationFailed(
                {"code": [f"{text!r} is not an ISO 3166-2 region code (such as CA-QC for Québec or GB-ENG)."]},
                "Unknown member code.",
            )
        return str(subdivision.name)
    country = pycountry.countries.get(alpha_2=text) if len(text) == 2 and text.isalpha() else None
    if country is None:
        raise ValidationFailed(
            {"code": [f"{text!r} is not an ISO 3166-1 alpha-2 country code (two letters, such as IE for Ireland)."]},
            "Unknown member code.",
        )
    return str(country.name)


def parse_shape(data: bytes, source: str) -> dict[str, Any]:
    """A GeoJSON file (geometry, Feature or FeatureCollection) as one MultiPolygon in longitude/latitude.

    Every polygon of the file is kept; points, lines and anything that is not GeoJSON are refused with a message
    that names the file and what was expected.
    """

    def refuse(problem: str) -> ValidationFailed:
        return ValidationFailed({"shape": [f"{source}: {problem}"]}, "The shape file cannot be used.")

    if len(data) > MAX_SHAPE_BYTES:
        raise refuse(f"it is {len(data) // 1024 // 1024} MB; a member's shape must be under 10 MB (simplify it).")
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise refuse(f"it is not GeoJSON (not readable as JSON: {exc}).") from None
    polygons: list[list[list[list[float]]]] = []
    for geometry in _geometries(document, refuse):
        kind = geometry.get("type")
        coordinates = geometry.get("coordinates")
        if kind == "Polygon":
            polygons.append(_polygon(coordinates, refuse))
        elif kind == "MultiPolygon" and isinstance(coordinates, list):
            polygons.extend(_polygon(polygon, refuse) for polygon in coordinates)
    if not polygons:
        raise refuse("it has no Polygon or MultiPolygon: a member's shape needs at least one polygon.")
    points = sum(len(ring) for polygon in polygons for ring in polygon)
    if points > MAX_SHAPE_POINTS:
        raise refuse(f"it has {points:,} points; at most {MAX_SHAPE_POINTS:,} (simplify it, e.g. with mapshaper).")
    return {"type": "MultiPolygon", "coordinates": polygons}


def _geometries(document: Any, refuse: Any) -> list[dict[str, Any]]:
    if not isinstance(document, dict) or "type" not in document:
        raise refuse("it is not GeoJSON (no object with a 'type').")
    kind = document["type"]
    if kind == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            raise refuse("its FeatureCollection has no list of features.")
        return [g for feature in features for g in _geometries(feature, refuse)]
    if kind == "Feature":
        geometry = document.get("geometry")
        return _geometries(geometry, refuse) if geometry is not None else []
    if kind == "GeometryCollection":
        return [g for part in document.get("geometries") or [] for g in _geometries(part, refuse)]
    if kind in ("Polygon", "MultiPolygon", "Point", "MultiPoint", "LineString", "MultiLineString"):
        return [document]
    raise refuse(f"its type {str(kind)[:40]!r} is not a GeoJSON type.")


def _polygon(rings: Any, refuse: Any) -> list[list[list[float]]]:
    if not isinstance(rings, list) or not rings:
        raise refuse("a polygon has no rings of coordinates.")
    result = []
    for ring in rings:
        if not isinstance(ring, list) or len(ring) < 4:
            raise refuse("a polygon ring needs at least 4 positions (closed: the last equals the first).")
        points = []
        for position in ring:
            if not (isinstance(position, list) and len(position) >= 2):
                raise refuse("a position is not [longitude, latitude].")
            lon, lat = position[0], position[1]
            if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in (lon, lat)):
                raise refuse("a position holds something other than numbers.")
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise refuse(
                    f"the position [{lon}, {lat}] is not longitude/latitude in degrees (WGS84, as GeoJSON requires)."
                )
            points.append([round(float(lon), 4), round(float(lat), 4)])
        result.append(points)
    return result


def list_members(session: Session) -> list[MemberRow]:
    surveys: dict[str, int] = {}
    for code in session.exec(select(CountrySurvey.country_code)):
        surveys[code] = surveys.get(code, 0) + 1
    from mcwg_dashboard.charts.map import shipped_shape_codes  # plotly, only when the list is asked for

    shipped = shipped_shape_codes()
    rows = []
    for member in session.exec(select(Country).order_by(col(Country.code))):
        source = "own shape" if member.shape else ("shipped map" if member.code in shipped else "none")
        rows.append(MemberRow(member.code, member.name, member.retired_on, source, surveys.get(member.code, 0)))
    return rows


def member_shapes(session: Session) -> dict[str, dict[str, Any]]:
    """The outlines members brought themselves, by code (the map draws every other member from its shipped file)."""
    return {
        code: dict(shape)
        for code, shape in session.exec(select(Country.code, Country.shape).where(col(Country.shape).is_not(None)))
        if shape
    }


def add_member(session: Session, *, actor: Actor, code: str, name: str, shape: dict[str, Any] | None = None) -> Country:
    """A new member, from its ISO code; `shape` (from `parse_shape`) when the shipped map has none for it."""
    actor = require_admin(session, actor)
    code = code.strip().upper()
    standard_name = iso_name(code)
    name = clean_text(name or standard_name).strip()
    if not 2 <= len(name) <= 80:
        raise ValidationFailed({"name": ["A member's name has 2 to 80 characters."]}, "The name cannot be used.")
    existing = session.get(Country, code)
    if existing is not None:
        state = f"retired on {existing.retired_on}; reinstate it instead" if existing.retired_on else "active"
        raise InvalidState(f"{code} ({existing.name}) is already a member ({state}).")
    with transaction(session):
        member = Country(code=code, name=name, shape=shape)
        session.add(member)
        audit.record(
            session,
            actor=actor,
            action="add_country",
            entity="country",
            entity_key=code,
            before=None,
            after={"name": name, "iso_name": standard_name, "shape": _shape_summary(shape)},
        )
    return member


def retire_member(session: Session, *, actor: Actor, code: str, on: dt.date | None = None) -> Country:
    """Leave a member out of rounds opening from `on` (today by default); its answers stay in every round it had."""
    actor = require_admin(session, actor)
    member = _member(session, code)
    if member.retired_on is not None:
        raise InvalidState(f"{member.code} ({member.name}) already retired on {member.retired_on.isoformat()}.")
    on = on or dt.date.today()
    with transaction(session):
        member.retired_on = on
        session.add(member)
        audit.record(
            session,
            actor=actor,
            action="retire_country",
            entity="country",
            entity_key=member.code,
            before={"retired_on": None},
            after={"retired_on": on.isoformat()},
        )
    return member


def reinstate_member(session: Session, *, actor: Actor, code: str) -> Country:
    actor = require_admin(session, actor)
    member = _member(session, code)
    if member.retired_on is None:
        raise InvalidState(f"{member.code} ({member.name}) is an active member: there is nothing to reinstate.")
    with transaction(session):
        before = member.retired_on.isoformat()
        member.retired_on = None
        session.add(member)
        audit.record(
            session,
            actor=actor,
            action="reinstate_country",
            entity="country",
            entity_key=member.code,
            before={"retired_on": before},
            after={"retired_on": None},
        )
    return member


def set_member_shape(session: Session, *, actor: Actor, code: str, shape: dict[str, Any] | None) -> Country:
    """Give a member its own outline (or, with None, go back to the shipped map's)."""
    actor = require_admin(session, actor)
    member = _member(session, code)
    with transaction(session):
        before = _shape_summary(member.shape)
        member.shape = shape
        session.add(member)
        audit.record(
            session,
            actor=actor,
            action="set_country_shape",
            entity="country",
            entity_key=member.code,
            before={"shape": before},
            after={"shape": _shape_summary(shape)},
        )
    return member


def in_round(member: Country, survey_round: SurveyRound) -> bool:
    """Whether a member belongs to a round: it had not retired when the round opened."""
    return member.retired_on is None or member.retired_on > survey_round.opens_on


def round_member_codes(session: Session, survey_round: SurveyRound) -> set[str]:
    """The members of a round: those not retired when it opened, and any that has a survey in it."""
    active = {
        code
        for code in session.exec(
            select(Country.code).where(
                (col(Country.retired_on).is_(None)) | (col(Country.retired_on) > survey_round.opens_on)
            )
        )
    }
    with_survey = set(session.exec(select(CountrySurvey.country_code).where(CountrySurvey.round_id == survey_round.id)))
    return active | with_survey


def _member(session: Session, code: str) -> Country:
    member = session.get(Country, code.strip().upper())
    if member is None:
        known = ", ".join(sorted(session.exec(select(Country.code)))) or "none"
        raise NotFound(f"There is no member with code {code.strip()!r}. Members: {known}.")
    return member


def _shape_summary(shape: dict[str, Any] | None) -> str | None:
    if not shape:
        return None
    polygons = shape.get("coordinates", [])
    points = sum(len(ring) for polygon in polygons for ring in polygon)
    return f"{len(polygons)} polygon(s), {points} points"
