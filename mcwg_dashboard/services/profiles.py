"""Deployment profiles: which architectures, transaction stacks and manifest repositories a member runs, per round.

A profile is not an adoption item (it is never scored); it says which checklist elements apply to the member
(`Element.applies_to`). The representative sets it with the survey; it is carried over to the next round like
the answers (services.rounds.open_round).
"""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator
from sqlalchemy import select as sa_select
from sqlalchemy import update
from sqlmodel import Session, col

from mcwg_dashboard.checklist import ARCHITECTURES, STACKS, Architecture, Stack
from mcwg_dashboard.models import Country, CountrySurvey, DeploymentProfile, utcnow
from mcwg_dashboard.services import audit
from mcwg_dashboard.services.actors import Actor
from mcwg_dashboard.services.errors import ConflictError, ValidationFailed
from mcwg_dashboard.services.surveys import editable_survey, survey_profile
from mcwg_dashboard.services.transaction import transaction

Repository = Literal["central", "distributed"]
REPOSITORIES: tuple[Repository, ...] = ("central", "distributed")
Scope = Literal["national", "regional"]
# The deck's pairing: A, B or C with MHD; A or C with XDS-I.b; B with XCA-I.
STACK_ARCHITECTURES: dict[Stack, frozenset[str]] = {
    Stack.MHD: frozenset("ABC"),
    Stack.XDSI: frozenset("AC"),
    Stack.XCAI: frozenset("B"),
}
FIELD_LABELS = {
    "architectures": "Architectures",
    "stacks": "Transaction stacks",
    "repositories": "Manifest repositories",
    "scope": "Scope",
    "regions": "Regions covered",
    "note": "Note",
}


def _split(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
    return value


class ProfileInput(BaseModel):
    """A profile as a representative gives it; codes may come as lists or comma-separated text (the workbook)."""

    model_config = ConfigDict(str_strip_whitespace=True, frozen=True)

    architectures: tuple[Architecture, ...] = Field(min_length=1)
    stacks: tuple[Stack, ...] = ()
    repositories: tuple[Repository, ...] = ()
    scope: Scope = "national"
    regions: str = Field(default="", max_length=400)
    note: str = Field(default="", max_length=2000)

    @field_validator("architectures", "stacks", "repositories", mode="before")
    @classmethod
    def _codes(cls, value: Any, info: ValidationInfo) -> Any:
        value = _split(value)
        if info.field_name == "stacks" and isinstance(value, list | tuple):
            # Accept the label as shown ("XCA-I + WADO-RS") as well as the code.
            return [str(v).replace("+ WADO-RS", "").replace("+WADO-RS", "").strip() for v in value]
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ProfileInput:
        archs = set(self.architectures)
        for stack in self.stacks:
            if not archs & STACK_ARCHITECTURES[stack]:
                wanted = " or ".join(sorted(STACK_ARCHITECTURES[stack]))
                raise ValueError(
                    f"{stack.label} goes with architecture {wanted} (the deck's pairing); add it or remove the stack."
                )
        if self.scope == "regional" and not self.regions:
            raise ValueError("a regional scope needs the regions it covers.")
        return self

    def stored(self) -> dict[str, str]:
        """The values as the table keeps them, in canonical order."""
        return {
            "architectures": ",".join(a for a in ARCHITECTURES if a in self.architectures),
            "stacks": ",".join(s.value for s in STACKS if s in self.stacks),
            "repositories": ",".join(r for r in REPOSITORIES if r in self.repositories),
            "scope": self.scope,
            "regions": self.regions if self.scope == "regional" else "",
            "note": self.note,
        }


def parse_profile(values: dict[str, Any]) -> ProfileInput:
    """ProfileInput, or ValidationFailed naming each field in words ("Transaction stacks: ...")."""
    try:
        return ProfileInput.model_validate(values)
    except ValidationError as exc:
        problems: dict[str, list[str]] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            label = FIELD_LABELS.get(field, "Profile")
            problems.setdefault(label, []).append(_message(field, error))
        raise ValidationFailed(problems, summary="The deployment profile was not saved.") from None


def _message(field: str, error: Any) -> str:
    kind = error["type"]
    if field == "architectures" and kind == "too_short":
        return "choose at least one architecture (A, B or C)."
    if kind in ("literal_error", "enum"):
        allowed = {
            "architectures": "A, B, C",
            "stacks": ", ".join(s.value for s in STACKS),
            "repositories": "central, distributed",
            "scope": "national, regional",
        }.get(field, "")
        return f"{error.get('input')!r} is not one of {allowed}."
    return str(error["msg"]).removeprefix("Value error, ")


def profile_values(profile: DeploymentProfile | None) -> dict[str, str] | None:
    if profile is None:
        return None
    return {
        "architectures": profile.architectures,
        "stacks": profile.stacks,
        "repositories": profile.repositories,
        "scope": profile.scope,
        "regions": profile.regions,
        "note": profile.note,
    }


def get_profile(session: Session, *, survey_id: int) -> DeploymentProfile | None:
    return survey_profile(session, survey_id)


def codes(text: str) -> list[str]:
    return [part for part in text.split(",") if part]


def save_profile(
    session: Session, *, actor: Actor, survey_id: int, profile: ProfileInput, expected_version: int
) -> DeploymentProfile:
    """Set the survey's profile (its country's editor, draft survey, open round); compare-and-set on its version.

    `expected_version` is the version the page loaded (0: there was no profile). Saving confirms a carried-over one.
    """
    survey, survey_round = editable_survey(session, actor, survey_id)
    current = get_profile(session, survey_id=survey_id)
    if (current.version if current else 0) != expected_version:
        raise ConflictError(
            [],
            f"Not saved: the deployment profile was changed by {current.updated_by if current else 'someone'} "
            "since you loaded it. Reload the page.",
        )
    values = profile.stored()
    before = profile_values(current)
    now = utcnow()
    with transaction(session):
        if current is None:
            current = DeploymentProfile.model_validate(
                {**values, "survey_id": survey_id, "updated_by": actor.username, "updated_at": now}
            )
            session.add(current)
        else:
            result = session.execute(
                update(DeploymentProfile)
                .where(col(DeploymentProfile.id) == current.id, col(DeploymentProfile.version) == expected_version)
                .values(
                    **values,
                    version=expected_version + 1,
                    carried_over=False,
                    updated_by=actor.username,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise ConflictError([], "Not saved: the deployment profile was changed meanwhile. Reload the page.")
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="save_profile",
            entity="deploymentprofile",
            entity_key=f"{survey_round.name}/{survey.country_code}",
            before=before,
            after=values,
        )
    session.expire_all()
    saved = get_profile(session, survey_id=survey_id)
    assert saved is not None
    return saved


def carry_profile(session: Session, *, source_survey_id: int, target_survey_id: int) -> bool:
    """Copy a profile to the next round's survey (inside the caller's transaction), marked carried over."""
    old = get_profile(session, survey_id=source_survey_id)
    if old is None:
        return False
    session.add(
        DeploymentProfile(
            survey_id=target_survey_id,
            architectures=old.architectures,
            stacks=old.stacks,
            repositories=old.repositories,
            scope=old.scope,
            regions=old.regions,
            note=old.note,
            carried_over=True,
            updated_by=old.updated_by,
            updated_at=old.updated_at,
        )
    )
    return True


PROFILE_COLUMNS = [
    "country_code",
    "country_name",
    "survey_state",
    "architectures",
    "stacks",
    "repositories",
    "scope",
    "regions",
    "note",
    "carried_over",
    "updated_by",
    "updated_at",
]


def profile_frame(session: Session, *, round_id: int) -> pd.DataFrame:
    """Every member of the round with its profile (empty cells where it has none), for the side-by-side table."""
    query = (
        sa_select(
            col(Country.code),
            col(Country.name),
            col(CountrySurvey.state),
            *(col(getattr(DeploymentProfile, name)) for name in PROFILE_COLUMNS[3:]),
        )
        .select_from(Country)
        .outerjoin(
            CountrySurvey,
            (col(CountrySurvey.country_code) == col(Country.code)) & (col(CountrySurvey.round_id) == round_id),
        )
        .outerjoin(DeploymentProfile, col(DeploymentProfile.survey_id) == col(CountrySurvey.id))
        .order_by(col(Country.code))
    )
    rows = [tuple(row) for row in session.connection().execute(query)]
    return pd.DataFrame.from_records(rows, columns=PROFILE_COLUMNS)
