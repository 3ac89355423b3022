"""The product survey's definition (surveys/products.yaml) and the IHE profiles an integration statement may name
(surveys/ihe_profiles.yaml), validated on load like the checklist: a broken file names its file and field."""

from __future__ import annotations

import functools
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mcwg_dashboard.checklist import ChecklistError, _read_yaml, _validate, load_checklist


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProductType(_Strict):
    code: str = Field(pattern=r"^[A-Z]{2,12}$")
    label: str = Field(min_length=2)


class ProductStatus(_Strict):
    code: str = Field(pattern=r"^[A-Z]{2,6}$")
    label: str = Field(min_length=1)
    glyph: str = Field(min_length=1, max_length=2)
    colour: str = Field(pattern=r"^#[0-9A-Fa-f]{6}$")
    meaning: str = Field(min_length=1)
    # A validated answer with this status means the product covers the element.
    covers: bool = False
    requires: tuple[str, ...] = ()
    answered: bool = True

    @property
    def display(self) -> str:
        return f"{self.glyph} {self.label}"


class ProductSurveyDefinition(_Strict):
    product_types: tuple[ProductType, ...] = Field(min_length=1)
    statuses: tuple[ProductStatus, ...] = Field(min_length=2)
    gap_statuses: tuple[str, ...] = Field(min_length=1)
    applicability: dict[str, tuple[str, ...]]

    @model_validator(mode="after")
    def _consistent(self) -> ProductSurveyDefinition:
        types = {t.code for t in self.product_types}
        for element_id, applies in self.applicability.items():
            unknown = sorted(set(applies) - types)
            if unknown:
                raise ValueError(f"applicability of {element_id}: unknown product type(s) {', '.join(unknown)}")
        if len([s for s in self.statuses if not s.answered]) != 1:
            raise ValueError("exactly one status must have 'answered: false' (the default)")
        for status in self.statuses:
            if set(status.requires) - {"note", "release"}:
                raise ValueError(f"status {status.code}: 'requires' lists note and release only")
        return self

    @property
    def type_labels(self) -> dict[str, str]:
        return {t.code: t.label for t in self.product_types}

    @property
    def default(self) -> ProductStatus:
        return next(s for s in self.statuses if not s.answered)

    @property
    def covering(self) -> frozenset[str]:
        return frozenset(s.code for s in self.statuses if s.covers)

    def status(self, code: str) -> ProductStatus:
        for status in self.statuses:
            if status.code == code:
                return status
        raise KeyError(code)

    def parse(self, text: str) -> ProductStatus | None:
        wanted = " ".join(text.replace("–", "-").casefold().split())
        for status in self.statuses:
            names = (status.code, status.label, status.display)
            if wanted in {" ".join(n.replace("–", "-").casefold().split()) for n in names}:
                return status
        return None

    def elements_for(self, product_type: str) -> list[str]:
        """The element IDs asked of a product of this type, in checklist order (the file's order)."""
        return [element_id for element_id, applies in self.applicability.items() if product_type in applies]


class IheProfile(_Strict):
    code: str = Field(min_length=2, max_length=40)
    domain: str = Field(min_length=2, max_length=10)
    title: str = Field(min_length=3)
    # Actor name -> the options an integration statement may name for it.
    actors: dict[str, tuple[str, ...]] = Field(min_length=1)


class IheProfiles(_Strict):
    profiles: tuple[IheProfile, ...] = Field(min_length=1)

    def find(self, code: str) -> IheProfile | None:
        wanted = code.strip().casefold()
        return next((p for p in self.profiles if p.code.casefold() == wanted), None)


def load_product_survey(surveys_dir: Path | None = None) -> ProductSurveyDefinition:
    surveys_dir = surveys_dir or _surveys_dir()
    return _load_product_survey(surveys_dir)


@functools.cache
def _load_product_survey(surveys_dir: Path) -> ProductSurveyDefinition:
    path = surveys_dir / "products.yaml"
    definition: ProductSurveyDefinition = _validate(ProductSurveyDefinition, path, _read_yaml(path))
    checklist = load_checklist(surveys_dir)
    unknown = sorted(set(definition.applicability) - set(checklist.elements))
    if unknown:
        raise ChecklistError(f"{path}: applicability names element(s) not in the checklist: {', '.join(unknown)}")
    member_codes = set(checklist.scale.codes)
    if set(definition.gap_statuses) - member_codes:
        raise ChecklistError(f"{path}: gap_statuses must be codes of the member answer scale")
    # Keep the checklist's order, whatever the file's.
    order = list(checklist.elements)
    ordered = dict(sorted(definition.applicability.items(), key=lambda item: order.index(item[0])))
    return definition.model_copy(update={"applicability": ordered})


def load_ihe_profiles(surveys_dir: Path | None = None) -> IheProfiles:
    return _load_ihe_profiles(surveys_dir or _surveys_dir())


@functools.cache
def _load_ihe_profiles(surveys_dir: Path) -> IheProfiles:
    path = surveys_dir / "ihe_profiles.yaml"
    profiles: IheProfiles = _validate(IheProfiles, path, _read_yaml(path))
    return profiles


def _surveys_dir() -> Path:
    from mcwg_dashboard.config import get_settings

    return get_settings().surveys_dir
