"""Deployment profiles, applicability from the profile, and what the answer scale now demands."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from mcwg_dashboard.models import AuditEntry, DeploymentProfile, SurveyState
from mcwg_dashboard.services import profiles, surveys
from mcwg_dashboard.services.errors import ConflictError, InvalidState, PermissionDenied, ValidationFailed
from mcwg_dashboard.services.lifecycle import validate_survey
from mcwg_dashboard.services.profiles import ProfileInput, parse_profile
from mcwg_dashboard.services.rounds import close_round, open_round
from mcwg_dashboard.services.surveys import AnswerInput
from tests.helpers import ADMIN, MEMBER, REP_FR, REP_NO, the_open_round


def _fr_survey(session: Session) -> int:
    survey = surveys.open_survey(session, actor=REP_FR, round_id=the_open_round(session).id or 0, country_code="FR")
    assert survey.id is not None
    return survey.id


def _profile(**values: object) -> ProfileInput:
    return parse_profile({"architectures": ["B"], "stacks": ["XCA-I"], **values})


def test_profile_is_saved_audited_and_versioned(session: Session) -> None:
    survey_id = _fr_survey(session)
    saved = profiles.save_profile(
        session,
        actor=REP_FR,
        survey_id=survey_id,
        profile=parse_profile(
            {"architectures": "A, C", "stacks": "MHD + WADO-RS, XDS-I.b", "repositories": ["central"], "note": "x"}
        ),
        expected_version=0,
    )
    assert (saved.architectures, saved.stacks, saved.repositories, saved.version) == (
        "A,C",
        "MHD,XDS-I.b",
        "central",
        1,
    )
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "save_profile")).one()
    assert entry.after is not None and entry.after["architectures"] == "A,C" and entry.before is None
    with pytest.raises(ConflictError):
        profiles.save_profile(session, actor=ADMIN, survey_id=survey_id, profile=_profile(), expected_version=0)
    again = profiles.save_profile(session, actor=ADMIN, survey_id=survey_id, profile=_profile(), expected_version=1)
    assert (again.architectures, again.version, again.updated_by) == ("B", 2, "fg-admin")


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"architectures": []}, "Architectures", "at least one architecture"),
        ({"architectures": ["D"]}, "Architectures", "'D' is not one of A, B, C"),
        ({"stacks": ["DICOMweb only"]}, "Transaction stacks", "'DICOMweb only' is not one of MHD, XDS-I.b, XCA-I"),
        ({"architectures": ["A"], "stacks": ["XCA-I"]}, "Profile", "XCA-I + WADO-RS goes with architecture B"),
        ({"scope": "regional"}, "Profile", "needs the regions it covers"),
        ({"repositories": ["cloud"]}, "Manifest repositories", "not one of central, distributed"),
    ],
)
def test_bad_profiles_name_the_field_and_save_nothing(
    session: Session, values: dict[str, object], field: str, words: str
) -> None:
    survey_id = _fr_survey(session)
    with pytest.raises(ValidationFailed) as caught:
        profiles.save_profile(
            session, actor=REP_FR, survey_id=survey_id, profile=_profile(**values), expected_version=0
        )
    assert field in caught.value.problems
    assert any(words in message for message in caught.value.problems[field]), caught.value.problems
    assert session.exec(select(DeploymentProfile)).first() is None


def test_only_the_countrys_editors_set_its_profile(session: Session) -> None:
    survey_id = _fr_survey(session)
    for actor in (REP_NO, MEMBER):
        with pytest.raises(PermissionDenied):
            profiles.save_profile(session, actor=actor, survey_id=survey_id, profile=_profile(), expected_version=0)


def test_not_applicable_needs_a_note_unless_the_profile_makes_it_so(session: Session) -> None:
    survey_id = _fr_survey(session)
    na = [AnswerInput(element_id="SPP-06", status="NA"), AnswerInput(element_id="SPP-04", status="NA")]
    with pytest.raises(ValidationFailed) as caught:
        surveys.save_answers(session, actor=REP_FR, survey_id=survey_id, answers=na)
    assert set(caught.value.problems) == {"SPP-06", "SPP-04"}, "without a profile everything applies"
    profiles.save_profile(session, actor=REP_FR, survey_id=survey_id, profile=_profile(), expected_version=0)
    # France runs B with XCA-I: SPP-04 (XDS-I.b, A or C) does not apply, SPP-06 (cross-community, B) does.
    with pytest.raises(ValidationFailed) as caught:
        surveys.save_answers(session, actor=REP_FR, survey_id=survey_id, answers=na)
    assert list(caught.value.problems) == ["SPP-06"]
    assert "applies to your deployment profile" in caught.value.problems["SPP-06"][0]
    assert surveys.load_answers(session, survey_id=survey_id) == {}
    saved = surveys.save_answers(
        session,
        actor=REP_FR,
        survey_id=survey_id,
        answers=[na[1], AnswerInput(element_id="SPP-06", status="NA", note="Gateways not yet contracted.")],
    )
    assert set(saved) == {"SPP-04", "SPP-06"}


def test_not_planned_needs_its_reason(session: Session) -> None:
    survey_id = _fr_survey(session)
    with pytest.raises(ValidationFailed, match="give the reason"):
        surveys.save_answers(
            session, actor=REP_FR, survey_id=survey_id, answers=[AnswerInput(element_id="KOS-01", status="NOPL")]
        )


def test_stage_and_regions_are_kept_and_checked(session: Session) -> None:
    survey_id = _fr_survey(session)
    surveys.save_answers(
        session,
        actor=REP_FR,
        survey_id=survey_id,
        answers=[AnswerInput(element_id="KOS-01", status="PART", note="pilot", stage="production", regions="Bretagne")],
    )
    stored = surveys.load_answers(session, survey_id=survey_id)["KOS-01"]
    assert (stored.stage, stored.regions) == ("production", "Bretagne")
    with pytest.raises(ValueError, match="stage"):
        AnswerInput(element_id="KOS-01", status="IMPL", stage="everywhere")


def test_unknowns_block_submission_until_confirmed_and_are_counted(session: Session) -> None:
    survey_id = _fr_survey(session)
    checklist = surveys.survey_checklist(session, session.get_one(surveys.CountrySurvey, survey_id))
    answers = [AnswerInput(element_id=e, status="IMPL") for e in list(checklist.elements)[:-3]]
    surveys.save_answers(session, actor=REP_FR, survey_id=survey_id, answers=answers)
    with pytest.raises(ValidationFailed) as caught:
        surveys.submit_survey(session, actor=REP_FR, survey_id=survey_id, expected_version=1)
    assert list(caught.value.problems) == list(checklist.elements)[-3:]
    assert "confirm that you submit it as unknown" in str(caught.value)
    submitted = surveys.submit_survey(
        session, actor=REP_FR, survey_id=survey_id, expected_version=1, accept_unknown=True
    )
    assert submitted.state == SurveyState.SUBMITTED
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "submit_survey")).one()
    assert entry.after == {"state": "submitted", "unknown": 3}


def test_profile_is_carried_over_to_the_next_round(session: Session) -> None:
    survey_id = _fr_survey(session)
    profiles.save_profile(session, actor=REP_FR, survey_id=survey_id, profile=_profile(), expected_version=0)
    current = the_open_round(session)
    close_round(session, actor=ADMIN, round_id=current.id or 0)
    nxt = open_round(
        session,
        actor=ADMIN,
        name="Next",
        opens_on=current.opens_on + dt.timedelta(days=400),
        closes_on=None,
        checklist_version_id=current.checklist_version_id,
    )
    survey = surveys.find_survey(session, round_id=nxt.id or 0, country_code="FR")
    assert survey is not None
    carried = profiles.get_profile(session, survey_id=survey.id or 0)
    assert carried is not None
    assert (carried.architectures, carried.stacks, carried.carried_over) == ("B", "XCA-I", True)
    frame = profiles.profile_frame(session, round_id=nxt.id or 0)
    assert frame.set_index("country_code").at["FR", "architectures"] == "B"
    assert frame.set_index("country_code")["architectures"].isna().sum() == len(frame) - 1


def test_a_locked_survey_keeps_its_profile(session: Session) -> None:
    survey_id = _fr_survey(session)
    checklist = surveys.survey_checklist(session, session.get_one(surveys.CountrySurvey, survey_id))
    surveys.save_answers(
        session,
        actor=REP_FR,
        survey_id=survey_id,
        answers=[AnswerInput(element_id=e, status="IMPL") for e in checklist.elements],
    )
    surveys.submit_survey(session, actor=REP_FR, survey_id=survey_id, expected_version=1)
    validate_survey(session, actor=ADMIN, survey_id=survey_id, expected_version=2)
    with pytest.raises(InvalidState):
        profiles.save_profile(session, actor=ADMIN, survey_id=survey_id, profile=_profile(), expected_version=0)
