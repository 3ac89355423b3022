"""The checklist and the answer scale as pydantic models, loaded from the YAML files in surveys/."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

ELEMENT_ID_PATTERN = r"^[A-Z]{2,6}-\d{2,3}$"
Architecture = Literal["A", "B", "C"]
ARCHITECTURES: tuple[Architecture, ...] = ("A", "B", "C")


class Stack(StrEnum):
    """The transaction stacks the deck pairs with the architectures (A, B or C with MHD; A or C with XDS-I.b; B with
    XCA-I); a member may run several."""

    MHD = "MHD"
    XDSI = "XDS-I.b"
    XCAI = "XCA-I"

    @property
    def label(self) -> str:
        return f"{self.value} + WADO-RS"


STACKS: tuple[Stack, ...] = tuple(Stack)


class ElementKind(StrEnum):
    # An MCWG recommendation a member adopts: asked and scored.
    ADOPTION = "adoption"
    # Beyond the MCWG text (IHE MADO / DICOM CP-2595): asked, shown apart, never scored.
    WATCH = "watch"


WATCH_LABEL = "MADO alignment (beyond the MCWG text)"
DRAFT_LABEL = "draft recommendations"


class ChecklistError(ValueError):
    """A checklist or scale file that cannot be used; the message names file, element and field."""


class Requirement(StrEnum):
    NOTE = "note"
    TARGET_DATE = "target_date"


class SetStatus(StrEnum):
    FINALIZED = "finalized"
    UPDATED = "updated"
    IN_PROGRESS = "in_progress"

    @property
    def is_final(self) -> bool:
        return self is not SetStatus.IN_PROGRESS


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Status(_Strict):
    code: str = Field(pattern=r"^[A-Z]{2,6}$")
    label: str = Field(min_length=1)
    glyph: str = Field(min_length=1, max_length=2)
    colour: str = Field(pattern=r"^#[0-9A-Fa-f]{6}$")
    weight: float | None = Field(ge=0, le=1)
    requires: tuple[Requirement, ...] = ()
    answered: bool = True
    # Not applicable: its required note is waived when the member's deployment profile makes the element irrelevant.
    excused_by_profile: bool = False
    # What the required note should say, completing "A note is required for <label>: ...".
    note_hint: str = ""
    meaning: str = Field(min_length=1)

    @property
    def display(self) -> str:
        return f"{self.glyph} {self.label}"


class AnswerScale(_Strict):
    statuses: tuple[Status, ...] = Field(min_length=2)

    @model_validator(mode="after")
    def _one_default_and_unique_codes(self) -> AnswerScale:
        codes = [s.code for s in self.statuses]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise ValueError(f"status codes must be unique; repeated: {', '.join(duplicates)}")
        defaults = [s.code for s in self.statuses if not s.answered]
        if len(defaults) != 1:
            raise ValueError("exactly one status must have 'answered: false' (the default before a survey is returned)")
        return self

    @property
    def codes(self) -> list[str]:
        return [s.code for s in self.statuses]

    @property
    def default(self) -> Status:
        return next(s for s in self.statuses if not s.answered)

    def get(self, code: str) -> Status:
        for status in self.statuses:
            if status.code == code:
                return status
        raise KeyError(code)

    def parse(self, text: str) -> Status | None:
        """A status from its code or label, forgiving case, spaces and the dash style."""

        def norm(value: str) -> str:
            return " ".join(value.replace("–", "-").replace("—", "-").casefold().split())

        wanted = norm(text)
        for status in self.statuses:
            if wanted in (norm(status.code), norm(status.label), norm(status.display)):
                return status
        return None


class Element(_Strict):
    id: str = Field(pattern=ELEMENT_ID_PATTERN)
    title: str = Field(min_length=3)
    explanation: str = Field(min_length=40)
    standards: tuple[str, ...] = ()
    metadata_level: Literal[1, 2] | None = None
    alternative_metadata_level: Literal[1, 2] | None = None
    architectures: tuple[Architecture, ...] = ARCHITECTURES
    # The transaction stacks it holds for; a member running none of them answers Not applicable.
    stacks: tuple[Stack, ...] = STACKS
    kind: ElementKind = ElementKind.ADOPTION
    # Who sets the value (metadata elements, from the deck's table), in clinicians' words.
    set_by: str = ""
    inferred: bool = False
    sources: str = ""

    @property
    def set_code(self) -> str:
        return self.id.split("-")[0]

    @property
    def level_text(self) -> str:
        return level_text(self.metadata_level, self.alternative_metadata_level)

    @property
    def is_watch(self) -> bool:
        return self.kind is ElementKind.WATCH

    def applies_to(self, architectures: Iterable[str], stacks: Iterable[str]) -> bool:
        """Whether the element holds for a member's deployment profile; an empty profile part tells nothing."""
        archs, used = set(architectures), set(stacks)
        if archs and not archs & set(self.architectures):
            return False
        return not used or bool(used & {s.value for s in self.stacks})

    def content_hash(self) -> str:
        """Changes when anything a respondent answers against changes (not the evidence string)."""
        payload = self.model_dump(mode="json", exclude={"sources"})
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def level_text(level: int | None, alternative: int | None) -> str:
    """ "L1 (or L2)": the metadata level with the deck's alternative, everywhere a level is shown or exported."""
    if level is None:
        return ""
    text = f"L{level}"
    if alternative:
        text += f" (or L{alternative})"
    return text


class RecommendationSet(_Strict):
    code: str = Field(pattern=r"^[A-Z]{2,6}$")
    title: str = Field(min_length=3)
    version: str = Field(min_length=1)
    date: dt.date
    status: SetStatus
    finalized_on: dt.date | None = None
    updated_on: dt.date | None = None
    summary: str = ""
    # Empty for a set whose figures are derived, not asked (Tracking and adoption: participation).
    elements: tuple[Element, ...] = ()

    @property
    def is_final(self) -> bool:
        return self.status.is_final

    @property
    def maturity(self) -> str:
        """ "Finalized Feb 2024, updated May 2024" or "In progress: draft recommendations"."""
        if not self.is_final:
            return f"In progress: {DRAFT_LABEL}"
        text = f"Finalized {self.finalized_on:%b %Y}" if self.finalized_on else "Finalized"
        if self.updated_on:
            text += f", updated {self.updated_on:%b %Y}"
        return text

    @model_validator(mode="after")
    def _elements_belong_to_set(self) -> RecommendationSet:
        for element in self.elements:
            if element.set_code != self.code:
                raise ValueError(f"element {element.id} does not start with the set code {self.code}-")
        return self


class Checklist(_Strict):
    version: str = Field(min_length=1)
    date: dt.date
    scale: AnswerScale
    sets: tuple[RecommendationSet, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Checklist:
        ids = [e.id for s in self.sets for e in s.elements]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"element IDs must be unique across the checklist; repeated: {', '.join(duplicates)}")
        set_codes = [s.code for s in self.sets]
        if len(set(set_codes)) != len(set_codes):
            raise ValueError("recommendation set codes must be unique")
        return self

    @cached_property
    def elements(self) -> dict[str, Element]:
        return {e.id: e for s in self.sets for e in s.elements}

    @property
    def asked_sets(self) -> tuple[RecommendationSet, ...]:
        """The sets a survey asks about (a derived set has no elements)."""
        return tuple(s for s in self.sets if s.elements)

    @cached_property
    def headline_element_ids(self) -> frozenset[str]:
        """Elements that count in headline figures: adoption elements of finalized sets."""
        return frozenset(e.id for s in self.sets if s.is_final for e in s.elements if e.kind is ElementKind.ADOPTION)

    def set_of(self, element_id: str) -> RecommendationSet:
        code = self.elements[element_id].set_code
        return next(s for s in self.sets if s.code == code)


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ChecklistError(f"{path}: file not found") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ChecklistError(f"{path}: not valid YAML: {exc}") from None


def _describe(path: Path, raw: Any, exc: ValidationError) -> str:
    """One line per problem: file, element (by ID when it has one) and field."""
    lines = []
    for error in exc.errors():
        loc = list(error["loc"])
        where = ""
        if len(loc) >= 2 and loc[0] == "elements" and isinstance(loc[1], int):
            index = loc[1]
            element_id = None
            if isinstance(raw, dict) and isinstance(raw.get("elements"), list) and index < len(raw["elements"]):
                item = raw["elements"][index]
                element_id = item.get("id") if isinstance(item, dict) else None
            where = f"element {element_id or '?'} (item {index + 1})"
            loc = loc[2:]
        elif len(loc) >= 2 and loc[0] == "statuses" and isinstance(loc[1], int):
            index = loc[1]
            code = None
            if isinstance(raw, dict) and isinstance(raw.get("statuses"), list) and index < len(raw["statuses"]):
                item = raw["statuses"][index]
                code = item.get("code") if isinstance(item, dict) else None
            where = f"status {code or '?'} (item {index + 1})"
            loc = loc[2:]
        field = ".".join(str(part) for part in loc)
        parts = [str(path)]
        if where:
            parts.append(where)
        if field:
            parts.append(f"field '{field}'")
        lines.append(": ".join(parts) + f": {error['msg']}")
    return "\n".join(lines)


def _validate(model: type[BaseModel], path: Path, raw: Any) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ChecklistError(_describe(path, raw, exc)) from None


def load_checklist(surveys_dir: Path | None = None) -> Checklist:
    """Load and validate surveys/checklist.yaml with its answer scale and recommendation sets."""
    if surveys_dir is None:
        from mcwg_dashboard.config import get_settings

        surveys_dir = get_settings().surveys_dir
    manifest_path = surveys_dir / "checklist.yaml"
    manifest = _read_yaml(manifest_path)
    if not isinstance(manifest, dict):
        raise ChecklistError(f"{manifest_path}: expected a mapping with version, date, answer_scale and sets")
    for key in ("version", "date", "answer_scale", "sets"):
        if key not in manifest:
            raise ChecklistError(f"{manifest_path}: field '{key}': Field required")
    scale_path = surveys_dir / str(manifest["answer_scale"])
    scale_raw = _read_yaml(scale_path)
    scale = _validate(AnswerScale, scale_path, scale_raw)
    sets = []
    for relative in manifest["sets"]:
        set_path = surveys_dir / str(relative)
        set_raw = _read_yaml(set_path)
        sets.append(_validate(RecommendationSet, set_path, set_raw))
    try:
        return Checklist(version=str(manifest["version"]), date=manifest["date"], scale=scale, sets=tuple(sets))
    except ValidationError as exc:
        raise ChecklistError(_describe(manifest_path, manifest, exc)) from None


def rule_violations(
    scale: AnswerScale, status_code: str, note: str, target_date: dt.date | None, *, applicable: bool = True
) -> list[str]:
    """What the answer scale demands of an answer and is missing, as messages for the respondent.

    `applicable` is False when the member's deployment profile makes the element irrelevant: a status the scale
    marks `excused_by_profile` (Not applicable) then needs no note.
    """
    try:
        status = scale.get(status_code)
    except KeyError:
        return [f"'{status_code}' is not a status of the answer scale ({', '.join(scale.codes)})"]
    problems = []
    if Requirement.NOTE in status.requires and not note.strip() and (applicable or not status.excused_by_profile):
        if status.excused_by_profile:
            problems.append(
                f"“{status.label}” needs a note: the element applies to your deployment profile, so say why it "
                "does not apply to you (or correct the profile)."
            )
        else:
            problems.append(f"A note is required for “{status.label}”: {status.note_hint or 'say why.'}")
    if Requirement.TARGET_DATE in status.requires and target_date is None:
        problems.append(f"A target date is required for “{status.label}”.")
    return problems
