"""Synthetic demo answers and accounts: made up, reproducible, and always marked as demo so they can be shown as such
and removed."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from sqlalchemy import delete
from sqlmodel import Session, col, select

from mcwg_dashboard.checklist import Checklist, Requirement
from mcwg_dashboard.models import (
    Answer,
    AppSetting,
    Country,
    CountrySurvey,
    DeploymentProfile,
    MeetingSnapshot,
    RoundState,
    SurveyRound,
    SurveyState,
    User,
    Vendor,
)
from mcwg_dashboard.services import audit
from mcwg_dashboard.services.actors import Actor, require_admin
from mcwg_dashboard.services.checklist_store import checklist_for_version, latest_version
from mcwg_dashboard.services.demo_products import add_demo_products, clear_demo_products
from mcwg_dashboard.services.demo_proposals import add_demo_proposals, clear_demo_proposals
from mcwg_dashboard.services.errors import InvalidState
from mcwg_dashboard.services.rounds import open_rounds
from mcwg_dashboard.services.transaction import transaction
from mcwg_dashboard.services.users import DEMO_ACCOUNTS, DEMO_PASSWORD, add_demo_account
from mcwg_dashboard.services.users import demo_accounts as demo_accounts  # for the sign-in page

DEMO_FLAG = "demo_loaded"
DEMO_USER = "demo-data"
# Adoption ladder used to make answers move from round to round.
LADDER = ["NOPL", "CONS", "PLAN", "PART", "VAR", "IMPL"]
# Made-up deployment profiles for the demo (architectures, stacks, manifest repositories, regions covered when
# regional); the real ones are unknown until members say.
DEMO_PROFILES: dict[str, tuple[str, str, str, str]] = {
    "AT": ("A", "XDS-I.b", "central", ""),
    "BE": ("B", "XCA-I", "distributed", ""),
    "CA-QC": ("A", "MHD,XDS-I.b", "central", ""),
    "CZ": ("A", "XDS-I.b", "central", ""),
    "DK": ("C", "XDS-I.b", "central", ""),
    "GB-ENG": ("B", "MHD,XCA-I", "distributed", "North East, London"),
    "FI": ("C", "XDS-I.b", "central", ""),
    "FR": ("A", "XDS-I.b", "central", ""),
    "NL": ("B", "XCA-I", "distributed", ""),
    "NO": ("A,C", "XDS-I.b", "central,distributed", ""),
    "ES": ("B", "XCA-I", "distributed", "Catalonia, Andalusia, Galicia"),
}
DEFAULT_DEMO_PROFILE = ("A", "XDS-I.b", "central", "")
# Submitted surveys that hand in a few elements as Unknown (confirmed by the representative).
UNKNOWN_ELEMENTS = {"GB-ENG": 3, "DK": 1}
# Who answered which demo round, and in what state the open round's survey stands.
SKIPPED_ROUNDS = {("CZ", 0), ("ES", 1)}
OPEN_ROUND_STATE = {
    "AT": SurveyState.SUBMITTED,
    "DK": SurveyState.SUBMITTED,
    "FI": SurveyState.SUBMITTED,
    "NL": SurveyState.SUBMITTED,
    "GB-ENG": SurveyState.SUBMITTED,
    "BE": SurveyState.DRAFT,
    "CA-QC": SurveyState.DRAFT,
    "ES": SurveyState.DRAFT,
}
NOTES = {
    "VAR": [
        "Follows the MADO rule rather than the MCWG text.",
        "National profile uses a base-URI-only variant.",
        "Done through a national extension of the profile.",
    ],
    "PART": [
        "Two regions in production, others in pilot.",
        "Pilot with one PACS vendor.",
        "Only for radiology; cardiology follows next year.",
    ],
    "NOPL": ["Not a priority for the national programme.", "Architecture makes this redundant for now."],
    "CONS": ["On the agenda of the national imaging board."],
}


def is_demo_loaded(session: Session) -> bool:
    return session.get(AppSetting, DEMO_FLAG) is not None


@dataclass
class DemoReport:
    rounds: list[str]
    surveys: int
    answers: int
    # Demo accounts created (all with the password "demo"), and what differs from the usual set.
    accounts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    proposals: int = 0
    products: int = 0


def _demo_profile(survey: CountrySurvey, at: dt.datetime) -> DeploymentProfile:
    architectures, stacks, repositories, regions = DEMO_PROFILES.get(survey.country_code, DEFAULT_DEMO_PROFILE)
    return DeploymentProfile(
        survey_id=survey.id or 0,
        architectures=architectures,
        stacks=stacks,
        repositories=repositories,
        scope="regional" if regions else "national",
        regions=regions,
        note="Synthetic demo profile.",
        updated_by=DEMO_USER,
        updated_at=at,
    )


def _status_for(rng: random.Random, level: float, applicable: bool) -> str:
    if not applicable:
        return "NA"
    index = max(0, min(len(LADDER) - 1, int(level * len(LADDER))))
    status = LADDER[index]
    if status == "VAR" and rng.random() < 0.5:
        status = "IMPL"
    return status


def load_demo(session: Session, *, actor: Actor, today: dt.date | None = None, seed: int = 2024) -> DemoReport:
    """Three rounds of synthetic answers for every member: two closed demo rounds and the open round."""
    actor = require_admin(session, actor)
    if is_demo_loaded(session):
        raise InvalidState("Demo data is already loaded. Remove it first with `demo --clear`.")
    current_rounds = open_rounds(session)
    version = latest_version(session)
    if not current_rounds or version is None or version.id is None:
        raise InvalidState("Run `python -m mcwg_dashboard init` before loading demo data.")
    open_round = current_rounds[0]
    today = today or dt.date.today()
    checklist = checklist_for_version(session, open_round.checklist_version_id)
    rng = random.Random(seed)
    countries = list(session.exec(select(Country).order_by(Country.code)))
    report = DemoReport(rounds=[], surveys=0, answers=0)
    with transaction(session):
        rounds: list[SurveyRound] = []
        for years_back in (2, 1):
            year = open_round.opens_on.year - years_back
            survey_round = SurveyRound(
                name=f"{year} adoption survey (demo)",
                opens_on=dt.date(year, 3, 1),
                closes_on=dt.date(year, 6, 30),
                checklist_version_id=version.id,
                state=RoundState.CLOSED.value,
                is_demo=True,
            )
            session.add(survey_round)
            rounds.append(survey_round)
            report.rounds.append(survey_round.name)
        rounds.append(open_round)
        session.flush()

        difficulty = {element_id: rng.uniform(-0.25, 0.3) for element_id in checklist.elements}
        for country in countries:
            architectures, stacks = DEMO_PROFILES.get(country.code, DEFAULT_DEMO_PROFILE)[:2]
            maturity = rng.uniform(0.15, 0.75)
            affinity = {s.code: rng.uniform(-0.15, 0.15) for s in checklist.sets}
            level = {
                element_id: maturity + affinity[element.set_code] - difficulty[element_id] + rng.gauss(0, 0.12)
                for element_id, element in checklist.elements.items()
            }
            for index, survey_round in enumerate(rounds):
                is_open = survey_round.id == open_round.id
                state = OPEN_ROUND_STATE.get(country.code) if is_open else SurveyState.PUBLISHED
                if (country.code, index) in SKIPPED_ROUNDS or state is None:
                    continue
                survey = CountrySurvey(
                    round_id=survey_round.id or 0,
                    country_code=country.code,
                    state=state.value,
                    is_demo=True,
                    updated_at=_at(survey_round.opens_on, 20, today),
                    submitted_at=_at(survey_round.opens_on, 30, today) if state != SurveyState.DRAFT else None,
                    submitted_by=DEMO_USER if state != SurveyState.DRAFT else None,
                )
                session.add(survey)
                session.flush()
                session.add(_demo_profile(survey, _at(survey_round.opens_on, 2, today)))
                report.surveys += 1
                share = 0.6 if state == SurveyState.DRAFT else 1.0
                skipped = UNKNOWN_ELEMENTS.get(country.code, 0) if is_open else 0
                unknown = set(list(checklist.elements)[-skipped:]) if skipped else set()
                for element_id, element in checklist.elements.items():
                    if (share < 1.0 and rng.random() > share) or element_id in unknown:
                        continue
                    # Mostly progress between rounds, sometimes a step back.
                    level[element_id] += rng.choice([0.0, 0.05, 0.1, 0.15, 0.2, -0.1])
                    applicable = element.applies_to(architectures.split(","), stacks.split(","))
                    status = _status_for(rng, level[element_id], applicable)
                    answered_at = _at(survey_round.opens_on, rng.randint(1, 25), today)
                    session.add(_demo_answer(rng, checklist, survey, element_id, status, answered_at))
                    report.answers += 1
        report.products = add_demo_products(session, today=today, seed=seed)
        _add_demo_accounts(session, actor=actor, report=report)
        report.proposals = add_demo_proposals(session, today=today)
        session.add(AppSetting(key=DEMO_FLAG, value=today.isoformat()))
        audit.record(
            session,
            actor=actor,
            action="load_demo",
            entity="demo",
            entity_key="demo",
            before=None,
            after={
                "rounds": report.rounds,
                "surveys": report.surveys,
                "answers": report.answers,
                "accounts": report.accounts,
                "proposals": report.proposals,
                "products": report.products,
            },
        )
    return report


def _add_demo_accounts(session: Session, *, actor: Actor, report: DemoReport) -> None:
    """admin, rep-fr, rep-no and member, password "demo". A username taken by a real account gets a "demo-" prefix."""
    taken = set(session.exec(select(User.username)))
    members = set(session.exec(select(Country.code)))
    for account in DEMO_ACCOUNTS:
        missing = [code for code in account.countries if code not in members]
        if missing:
            report.notes.append(f"No demo account {account.username}: {', '.join(missing)} is not a member.")
            continue
        vendor_id = None
        if account.vendor:
            vendor_id = session.exec(select(Vendor.id).where(Vendor.name == account.vendor)).first()
            if vendor_id is None:
                report.notes.append(f"No demo account {account.username}: no vendor {account.vendor}.")
                continue
        username = account.username
        if username in taken:
            username = f"demo-{account.username}"
            if username in taken:
                report.notes.append(f"No demo account {account.username}: {account.username} and {username} exist.")
                continue
            report.notes.append(f"An account {account.username} exists, so the demo one is {username}.")
        add_demo_account(
            session,
            actor=actor,
            username=username,
            role=account.role,
            countries=list(account.countries),
            display_name=account.display_name,
            password=DEMO_PASSWORD,
            email=account.email,
            vendor_id=vendor_id,
        )
        taken.add(username)
        report.accounts.append(username)


def _at(day: dt.date, days_later: int, today: dt.date) -> dt.datetime:
    """A moment some days into a round, but never after today (the open round started recently)."""
    moment = min(day + dt.timedelta(days=days_later), today - dt.timedelta(days=1))
    return dt.datetime.combine(moment, dt.time(10, 0), tzinfo=dt.UTC)


def _demo_answer(
    rng: random.Random,
    checklist: Checklist,
    survey: CountrySurvey,
    element_id: str,
    status: str,
    answered_at: dt.datetime,
) -> Answer:
    requires = checklist.scale.get(status).requires
    note = rng.choice(NOTES[status]) if status in NOTES else ""
    if Requirement.NOTE in requires and not note:
        note = "Demo note."
    target = answered_at.date() + dt.timedelta(days=rng.choice([180, 365, 540])) if status == "PLAN" else None
    evidence = (
        f"https://example.org/demo/{survey.country_code.lower()}/{element_id.lower()}"
        if status in ("IMPL", "VAR") and rng.random() < 0.3
        else ""
    )
    return Answer(
        survey_id=survey.id or 0,
        element_id=element_id,
        status=status,
        note=note,
        evidence_url=evidence,
        target_date=target,
        version=1,
        answered_by=DEMO_USER,
        answered_at=answered_at,
    )


def clear_demo(session: Session, *, actor: Actor) -> int:
    """Remove every demo survey, answer, round and account (edits made to demo surveys go with them)."""
    actor = require_admin(session, actor)
    demo_surveys = list(session.exec(select(CountrySurvey.id).where(CountrySurvey.is_demo == True)))  # noqa: E712
    demo_users = list(session.exec(select(User.username).where(User.is_demo == True)))  # noqa: E712
    with transaction(session):
        if demo_surveys:
            session.execute(delete(Answer).where(col(Answer.survey_id).in_(demo_surveys)))
            session.execute(delete(DeploymentProfile).where(col(DeploymentProfile.survey_id).in_(demo_surveys)))
            session.execute(delete(CountrySurvey).where(col(CountrySurvey.id).in_(demo_surveys)))
        proposals = clear_demo_proposals(session)
        removed_products = clear_demo_products(session)
        # Demo data only: a meeting snapshot is otherwise never deleted (a bulk delete, past the model's guard).
        session.execute(delete(MeetingSnapshot).where(col(MeetingSnapshot.is_demo) == True))  # noqa: E712
        session.execute(delete(SurveyRound).where(col(SurveyRound.is_demo) == True))  # noqa: E712
        session.execute(delete(User).where(col(User.is_demo) == True))  # noqa: E712
        # Vendors after the accounts that answer for them.
        session.execute(delete(Vendor).where(col(Vendor.is_demo) == True))  # noqa: E712
        for country in session.exec(select(Country).where(Country.architectures_are_demo == True)):  # noqa: E712
            country.architectures = None
            country.architectures_are_demo = False
            session.add(country)
        flag = session.get(AppSetting, DEMO_FLAG)
        if flag is not None:
            session.delete(flag)
        audit.record(
            session,
            actor=actor,
            action="clear_demo",
            entity="demo",
            entity_key="demo",
            before={
                "surveys": len(demo_surveys),
                "accounts": demo_users,
                "proposals": proposals,
                "products": removed_products,
            },
            after=None,
        )
    return len(demo_surveys)
