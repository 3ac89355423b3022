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
from sqlmodel import Session, col, select

from mcwg_dashboard.checklist import ARCHITECTURES, STACKS, Architecture, Stack
from mcwg_dashboard.models import Country, CountrySurvey, DeploymentProfile, SurveyRound, utcnow
from mcwg_dashboard.services import audit
from mcwg_dashboard.services.actors import Actor
from mcwg_dashboard.services.errors import ConflictError, ValidationFailed
from mcwg_dashboard.services.surveys import claim_draft, copy_profile, editable_survey, survey_profile
from mcwg_dashboard.services.transaction import transaction
from mcwg_dashboard.text import clean_any

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

    @field_validator("regions", "note", mode="before")
    @classmethod
    def _clean_text(cls, value: Any) -> Any:
        return clean_any(value)

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
        claim_draft(session, survey, now)  # the survey is still a draft when the profile is written
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
    copy_profile(session, old, target_survey_id=target_survey_id)
    return True


PROFILE_FIELDS = ["architectures", "stacks", "repositories", "scope", "regions", "note", "carried_over"]
PROFILE_COLUMNS = ["country_code", "country_name", "survey_state", *PROFILE_FIELDS, "from_round"]


def profile_frame(session: Session, *, round_id: int) -> pd.DataFrame:
    """Every member with its profile for the round, side by side: the round's own, else the most recent earlier one
    (`from_round` names that round); empty cells for a member that never gave one."""
    this = session.get(SurveyRound, round_id)
    members = pd.DataFrame(
        [(c.code, c.name) for c in session.exec(select(Country).order_by(col(Country.code)))],
        columns=["country_code", "country_name"],
    )
    states = dict(
        session.exec(
            select(CountrySurvey.country_code, CountrySurvey.state).where(CountrySurvey.round_id == round_id)
        ).all()
    )
    members["survey_state"] = members["country_code"].map(states).fillna("not started")
    if this is None:
        return members.reindex(columns=PROFILE_COLUMNS)
    query = (
        sa_select(
            col(CountrySurvey.country_code),
            col(SurveyRound.id),
            col(SurveyRound.name),
            col(SurveyRound.opens_on),
            *(col(getattr(DeploymentProfile, name)) for name in PROFILE_FIELDS),
        )
        .select_from(DeploymentProfile)
        .join(CountrySurvey, col(CountrySurvey.id) == col(DeploymentProfile.survey_id))
        .join(SurveyRound, col(SurveyRound.id) == col(CountrySurvey.round_id))
        .where(col(SurveyRound.opens_on) <= this.opens_on)
    )
    found = pd.DataFrame.from_records(
        [tuple(row) for row in session.connection().execute(query)],
        columns=["country_code", "round_id", "round_name", "opens_on", *PROFILE_FIELDS],
    )
    found["own"] = found["round_id"] == round_id
    found = found.sort_values(["own", "opens_on", "round_id"], ascending=False).drop_duplicates("country_code")
    found["from_round"] = found["round_name"].where(~found["own"], "")
    return members.merge(found[["country_code", *PROFILE_FIELDS, "from_round"]], on="country_code", how="left")[
        PROFILE_COLUMNS
    ]


def profile_display_table(frame: pd.DataFrame) -> pd.DataFrame:
    """profile_frame for people: stack labels, plain headers, "no profile yet" where a member has none."""
    shown = pd.DataFrame(
        {
            "Member": frame["country_name"],
            "Code": frame["country_code"],
            "Architectures": frame["architectures"].fillna("").str.replace(",", ", "),
            "Transaction stacks": frame["stacks"].map(
                lambda text: ", ".join(Stack(code).label for code in codes(text)) if isinstance(text, str) else ""
            ),
            "Manifest repositories": frame["repositories"].fillna("").str.replace(",", ", "),
            "Scope": [
                ("regional: " + str(regions) if scope == "regional" else str(scope)) if isinstance(scope, str) else ""
                for scope, regions in zip(frame["scope"], frame["regions"], strict=True)
            ],
            "Note": frame["note"].fillna(""),
            "Carried over": frame["carried_over"].map(lambda v: "yes, not yet confirmed" if v is True else ""),
            "From round": frame["from_round"].fillna(""),
        }
    )
    shown.loc[shown["Architectures"] == "", "Architectures"] = "no profile yet"
    return shown
