"""Country surveys and their answers: the one write path for what representatives enter."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from urllib.parse import urlparse

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import bindparam, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from mcwg_dashboard.checklist import Checklist, rule_violations
from mcwg_dashboard.models import (
    Answer,
    Country,
    CountrySurvey,
    DeploymentProfile,
    RoundState,
    SurveyRound,
    SurveyState,
    utcnow,
)
from mcwg_dashboard.services import audit, dates
from mcwg_dashboard.services.actors import Actor, require_country_editor
from mcwg_dashboard.services.checklist_store import checklist_for_version
from mcwg_dashboard.services.errors import Conflict, ConflictError, InvalidState, NotFound, ValidationFailed
from mcwg_dashboard.services.members import in_round
from mcwg_dashboard.services.transaction import transaction
from mcwg_dashboard.text import clean_any


def _check_url(value: str) -> str:
    value = value.strip()
    if not value:
        return ""
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or " " in value:
        raise ValueError("must be a web address starting with http:// or https://")
    return value


Stage = Literal["", "specification", "production"]
STAGE_LABELS: dict[str, str] = {
    "": "not said",
    "specification": "in the national specification only",
    "production": "in production",
}


class AnswerInput(BaseModel):
    """One answer as a respondent gives it, with the version it was based on (0: there was none)."""

    model_config = ConfigDict(str_strip_whitespace=True)

    element_id: str
    status: str
    note: str = Field(default="", max_length=4000)
    evidence_url: Annotated[str, AfterValidator(_check_url)] = Field(default="", max_length=1000)
    target_date: Annotated[dt.date | None, AfterValidator(dates.checked)] = None
    # "specification": in the national specification only; "production": in production; "": not said.
    stage: Stage = ""
    # The regions it covers; empty means all regions.
    regions: str = Field(default="", max_length=400)
    expected_version: int = Field(default=0, ge=0)

    @field_validator("note", "regions", mode="before")
    @classmethod
    def _clean_text(cls, value: Any) -> Any:
        return clean_any(value)

    def values(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "note": self.note,
            "evidence_url": self.evidence_url,
            "target_date": self.target_date.isoformat() if self.target_date else None,
            "stage": self.stage,
            "regions": self.regions,
        }


def answer_values(answer: Answer) -> dict[str, Any]:
    return {
        "status": answer.status,
        "note": answer.note,
        "evidence_url": answer.evidence_url,
        "target_date": answer.target_date.isoformat() if answer.target_date else None,
        "stage": answer.stage,
        "regions": answer.regions,
    }


def get_round(session: Session, round_id: int) -> SurveyRound:
    survey_round = session.get(SurveyRound, round_id)
    if survey_round is None:
        raise NotFound(f"Survey round {round_id} does not exist.")
    return survey_round


def find_survey(session: Session, *, round_id: int, country_code: str) -> CountrySurvey | None:
    return session.exec(
        select(CountrySurvey).where(CountrySurvey.round_id == round_id, CountrySurvey.country_code == country_code)
    ).first()


def open_survey(session: Session, *, actor: Actor, round_id: int, country_code: str) -> CountrySurvey:
    """The country's survey in this round, created as an empty draft the first time it is opened."""
    actor = require_country_editor(session, actor, country_code)
    existing = find_survey(session, round_id=round_id, country_code=country_code)
    if existing is not None:
        return existing
    survey_round = get_round(session, round_id)
    if survey_round.state != RoundState.OPEN:
        raise InvalidState(f"The round {survey_round.name!r} is closed: its surveys can no longer be started.")
    member = session.get(Country, country_code)
    if member is None:
        raise NotFound(f"There is no member with code {country_code!r}.")
    if not in_round(member, survey_round):
        raise InvalidState(
            f"{member.name} retired on {member.retired_on}, before {survey_round.name!r} opened: "
            "it has no survey in that round."
        )
    earlier_profile = latest_profile(session, country_code=country_code, survey_round=survey_round)
    try:
        with transaction(session):
            survey = CountrySurvey(round_id=round_id, country_code=country_code)
            session.add(survey)
            session.flush()
            if earlier_profile is not None:
                # What the member ran last time is the best first guess: carried over until confirmed.
                copy_profile(session, earlier_profile, target_survey_id=survey.id or 0)
            audit.record(
                session,
                actor=actor,
                action="open_survey",
                entity="countrysurvey",
                entity_key=f"{survey_round.name}/{country_code}",
                before=None,
                after={"state": survey.state},
            )
    except IntegrityError:
        # Another session created it a moment ago: use theirs.
        found = find_survey(session, round_id=round_id, country_code=country_code)
        if found is None:
            raise
        return found
    return survey


def load_answers(session: Session, *, survey_id: int) -> dict[str, Answer]:
    """The survey's answers as stored now (never as an earlier read in the same session left them)."""
    rows = session.exec(select(Answer).where(Answer.survey_id == survey_id).execution_options(populate_existing=True))
    return {row.element_id: row for row in rows}


def survey_checklist(session: Session, survey: CountrySurvey) -> Checklist:
    return checklist_for_version(session, get_round(session, survey.round_id).checklist_version_id)


def editable_survey(session: Session, actor: Actor, survey_id: int) -> tuple[CountrySurvey, SurveyRound]:
    survey = session.get(CountrySurvey, survey_id)
    if survey is None:
        raise NotFound(f"Survey {survey_id} does not exist.")
    actor = require_country_editor(session, actor, survey.country_code)
    survey_round = get_round(session, survey.round_id)
    if survey_round.state != RoundState.OPEN:
        raise InvalidState(f"The round {survey_round.name!r} is closed: its answers can no longer change.")
    if survey.state != SurveyState.DRAFT:
        raise InvalidState(
            f"The survey of {survey.country_code} is {survey.state}: it can no longer be edited "
            "unless the focus group sends it back."
        )
    return survey, survey_round


def claim_draft(session: Session, survey: CountrySurvey, now: dt.datetime | None = None) -> None:
    """The first statement of every write to a draft survey's content, inside that write's transaction.

    Compare-and-set on the survey row: still a draft, still the version the caller checked. It takes the row's
    write lock (PostgreSQL) or the database's (SQLite) before anything is written, so a submit cannot slip in
    between the state check and the write: a save racing a submit either lands first, and the submit (which
    claims the same row before it reads the answers) sees it, or finds the survey submitted and is refused.
    """
    result = session.execute(
        update(CountrySurvey)
        .where(
            col(CountrySurvey.id) == survey.id,
            col(CountrySurvey.state) == SurveyState.DRAFT.value,
            col(CountrySurvey.version) == survey.version,
        )
        .values(updated_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ConflictError(
            [],
            f"Not saved: the survey of {survey.country_code} was submitted or sent back since you loaded it. "
            "Reload the page; your input is kept.",
        )


def survey_profile(session: Session, survey_id: int) -> DeploymentProfile | None:
    return session.exec(select(DeploymentProfile).where(DeploymentProfile.survey_id == survey_id)).first()


def latest_profile(session: Session, *, country_code: str, survey_round: SurveyRound) -> DeploymentProfile | None:
    """The member's profile in this round, else in the most recent earlier round that has one."""
    return session.exec(
        select(DeploymentProfile)
        .join(CountrySurvey, col(CountrySurvey.id) == col(DeploymentProfile.survey_id))
        .join(SurveyRound, col(SurveyRound.id) == col(CountrySurvey.round_id))
        .where(
            col(CountrySurvey.country_code) == country_code,
            col(SurveyRound.opens_on) <= survey_round.opens_on,
        )
        .order_by(col(SurveyRound.opens_on).desc(), col(SurveyRound.id).desc())
    ).first()


def copy_profile(session: Session, old: DeploymentProfile, *, target_survey_id: int) -> None:
    """Carry a profile into another survey (inside the caller's transaction), marked carried over."""
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


def applicability(checklist: Checklist, profile: DeploymentProfile | None) -> dict[str, bool]:
    """Element ID -> whether it applies to the member's deployment profile (everything applies without one)."""
    if profile is None:
        return dict.fromkeys(checklist.elements, True)
    archs = [a for a in profile.architectures.split(",") if a]
    stacks = [s for s in profile.stacks.split(",") if s]
    return {element_id: element.applies_to(archs, stacks) for element_id, element in checklist.elements.items()}


def _validate_answers(checklist: Checklist, answers: list[AnswerInput], applies: dict[str, bool]) -> None:
    problems: dict[str, list[str]] = {}
    seen: set[str] = set()
    for item in answers:
        messages = []
        if item.element_id not in checklist.elements:
            messages.append(f"{item.element_id!r} is not an element of checklist {checklist.version}.")
        if item.element_id in seen:
            messages.append("given more than once in the same save.")
        seen.add(item.element_id)
        messages += rule_violations(
            checklist.scale, item.status, item.note, item.target_date, applicable=applies.get(item.element_id, True)
        )
        if messages:
            problems[item.element_id] = messages
    if problems:
        raise ValidationFailed(problems, summary="Nothing was saved: some answers need attention.")


def save_answers(session: Session, *, actor: Actor, survey_id: int, answers: list[AnswerInput]) -> dict[str, int]:
    """Save changed answers in one transaction; returns each saved element's new version.

    All or nothing: a rule broken by any answer, or any answer changed by someone else since the
    respondent loaded it, and nothing is written. A saved answer is the country's own again: it is no
    longer carried over from the previous round and no longer needs re-confirmation.
    """
    survey, survey_round = editable_survey(session, actor, survey_id)
    checklist = checklist_for_version(session, survey_round.checklist_version_id)
    _validate_answers(checklist, answers, applicability(checklist, survey_profile(session, survey_id)))
    if not answers:
        return {}
    now = utcnow()
    current = load_answers(session, survey_id=survey_id)
    conflicts = [
        _conflict(item, current.get(item.element_id))
        for item in answers
        if (current[item.element_id].version if item.element_id in current else 0) != item.expected_version
    ]
    if conflicts:
        raise ConflictError(conflicts)
    new_versions: dict[str, int] = {}
    try:
        with transaction(session):
            claim_draft(session, survey, now)
            changed: list[dict[str, Any]] = []
            for item in answers:
                existing = current.get(item.element_id)
                new_version = item.expected_version + 1
                if existing is None:
                    session.add(
                        Answer(
                            survey_id=survey_id,
                            element_id=item.element_id,
                            status=item.status,
                            note=item.note,
                            evidence_url=item.evidence_url,
                            target_date=item.target_date,
                            stage=item.stage,
                            regions=item.regions,
                            version=new_version,
                            answered_by=actor.username,
                            answered_at=now,
                        )
                    )
                else:
                    changed.append(
                        {
                            "b_id": existing.id,
                            "b_expected": item.expected_version,
                            "b_status": item.status,
                            "b_note": item.note,
                            "b_evidence_url": item.evidence_url,
                            "b_target_date": item.target_date,
                            "b_stage": item.stage,
                            "b_regions": item.regions,
                            "b_version": new_version,
                        }
                    )
                new_versions[item.element_id] = new_version
            session.flush()  # new answers: one created meanwhile by someone else raises IntegrityError
            _compare_and_set(session, changed, answered_by=actor.username, answered_at=now)
            for item in answers:
                existing = current.get(item.element_id)
                audit.record(
                    session,
                    actor=actor,
                    action="save_answer",
                    entity="answer",
                    entity_key=f"{survey_round.name}/{survey.country_code}/{item.element_id}",
                    before=answer_values(existing) if existing else None,
                    after=item.values(),
                )
    except (_RaceLost, IntegrityError):
        session.expire_all()
        latest = load_answers(session, survey_id=survey_id)
        raise ConflictError(
            [
                _conflict(item, latest.get(item.element_id))
                for item in answers
                if (latest[item.element_id].version if item.element_id in latest else 0) != item.expected_version
            ]
        ) from None
    session.expire_all()
    return new_versions


def _compare_and_set(
    session: Session, changed: list[dict[str, Any]], *, answered_by: str, answered_at: dt.datetime
) -> None:
    """Update answers only where their version is still the one the respondent started from.

    Compare-and-set in SQL, so a save racing between our read and this write still loses (_RaceLost). One
    executemany when the driver reports its summed row count (SQLite, psycopg), else one statement per answer.
    """
    if not changed:
        return
    table = Answer.__table__  # type: ignore[attr-defined]
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_expected"))
        .values(
            status=bindparam("b_status"),
            note=bindparam("b_note"),
            evidence_url=bindparam("b_evidence_url"),
            target_date=bindparam("b_target_date"),
            stage=bindparam("b_stage"),
            regions=bindparam("b_regions"),
            version=bindparam("b_version"),
            answered_by=answered_by,
            answered_at=answered_at,
            needs_reconfirmation=False,
            carried_over=False,
        )
    )
    connection = session.connection()
    if connection.dialect.supports_sane_multi_rowcount:
        if connection.execute(statement, changed).rowcount != len(changed):
            raise _RaceLost()
        return
    for params in changed:
        if connection.execute(statement, params).rowcount != 1:
            raise _RaceLost()


_SURVEY_CHANGED = "Not submitted: the survey was changed by someone else since you loaded it. Reload the page."


class _RaceLost(Exception):
    pass


def _conflict(item: AnswerInput, current: Answer | None) -> Conflict:
    return Conflict(
        element_id=item.element_id,
        expected_version=item.expected_version,
        current_version=current.version if current else 0,
        current_status=current.status if current else None,
        changed_by=current.answered_by if current else None,
        changed_at=current.answered_at.strftime("%Y-%m-%d %H:%M UTC") if current else None,
    )


def missing_answers(checklist: Checklist, answers: dict[str, Answer]) -> list[str]:
    """Element IDs that still have no real answer (or only the scale's default)."""
    default = checklist.scale.default.code
    return [
        element_id
        for element_id in checklist.elements
        if element_id not in answers or answers[element_id].status == default
    ]


def submit_survey(
    session: Session, *, actor: Actor, survey_id: int, expected_version: int, accept_unknown: bool = False
) -> CountrySurvey:
    """Hand the survey in: every rule kept; refused if the survey changed state meanwhile.

    Elements still unanswered (Unknown) block it unless the representative confirmed the list (`accept_unknown`):
    they are then handed in as unanswered, counted as such and never scored.

    Answers carried over from the previous round count as answered, confirmed or not: a country may hand
    them in unchanged. An answer flagged `needs_reconfirmation` (its element changed in the checklist since
    it was given) blocks the submission until the country saves or confirms it (`lifecycle.confirm_carried_over`).
    """
    survey, survey_round = editable_survey(session, actor, survey_id)
    if survey.version != expected_version:
        raise ConflictError([], _SURVEY_CHANGED)
    checklist = checklist_for_version(session, survey_round.checklist_version_id)
    now = utcnow()
    with transaction(session):
        # Claim the survey first, then read the answers: a save that landed before is seen, one that comes after
        # waits for this transaction and then finds the survey submitted (claim_draft).
        result = session.execute(
            update(CountrySurvey)
            .where(
                col(CountrySurvey.id) == survey_id,
                col(CountrySurvey.version) == expected_version,
                col(CountrySurvey.state) == SurveyState.DRAFT.value,
            )
            .values(
                state=SurveyState.SUBMITTED.value,
                version=expected_version + 1,
                submitted_at=now,
                submitted_by=actor.username,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConflictError([], _SURVEY_CHANGED)
        answers = load_answers(session, survey_id=survey_id)
        unknown = _submission_problems(session, checklist, survey_id, answers, accept_unknown=accept_unknown)
        audit.record(
            session,
            actor=actor,
            action="submit_survey",
            entity="countrysurvey",
            entity_key=f"{survey_round.name}/{survey.country_code}",
            before={"state": SurveyState.DRAFT.value},
            after={"state": SurveyState.SUBMITTED.value, "unknown": len(unknown)},
        )
    session.expire_all()
    refreshed = session.get(CountrySurvey, survey_id)
    assert refreshed is not None
    return refreshed


def _submission_problems(
    session: Session, checklist: Checklist, survey_id: int, answers: dict[str, Answer], *, accept_unknown: bool
) -> list[str]:
    """The unanswered elements; ValidationFailed when a rule is broken or an unknown was not confirmed."""
    unknown = missing_answers(checklist, answers)
    problems: dict[str, list[str]] = {}
    if not accept_unknown:
        problems = {
            element_id: ["still unknown: answer it, or confirm that you submit it as unknown."]
            for element_id in unknown
        }
    applies = applicability(checklist, survey_profile(session, survey_id))
    for element_id, answer in answers.items():
        broken = rule_violations(
            checklist.scale, answer.status, answer.note, answer.target_date, applicable=applies.get(element_id, True)
        )
        if broken:
            problems.setdefault(element_id, []).extend(broken)
        if answer.needs_reconfirmation and element_id in checklist.elements:
            problems.setdefault(element_id, []).append(
                "the element changed in the checklist since this answer was given: confirm or update the answer."
            )
    if problems:
        raise ValidationFailed(problems, summary="The survey cannot be submitted yet.")
    return unknown


def completion_by_set(checklist: Checklist, answers: dict[str, Answer]) -> dict[str, tuple[int, int]]:
    """For each recommendation set: (answered elements, all elements)."""
    missing = set(missing_answers(checklist, answers))
    return {
        rec_set.code: (sum(1 for e in rec_set.elements if e.id not in missing), len(rec_set.elements))
        for rec_set in checklist.asked_sets
    }
