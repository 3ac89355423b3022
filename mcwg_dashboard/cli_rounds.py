"""`round list|open|close|reopen`: the Rounds page's round management from the command line, through the same
services (same rules, same audit entries)."""

from __future__ import annotations

import argparse
import datetime as dt

from sqlalchemy import Engine
from sqlmodel import Session, select

from mcwg_dashboard.db import session_scope
from mcwg_dashboard.models import CountrySurvey
from mcwg_dashboard.services import rounds
from mcwg_dashboard.services.actors import CLI_ACTOR
from mcwg_dashboard.services.checklist_store import latest_version
from mcwg_dashboard.services.errors import InvalidState, NotFound


def add_round_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    survey_round = commands.add_parser(
        "round",
        help="list, open, close or reopen survey rounds (as on the Rounds page)",
        description="Manage survey rounds with the Rounds page's rules and audit. A round is named by its name or ID.",
    )
    actions = survey_round.add_subparsers(dest="round_command", required=True)
    actions.add_parser("list", help="every round: ID, name, state, dates, surveys by state")
    opening = actions.add_parser("open", help="open a new round (drafts pre-filled from the previous round)")
    opening.add_argument("name", help="the round's name, e.g. '2027 adoption survey'")
    opening.add_argument("--opens", help="opening date YYYY-MM-DD (default today)")
    opening.add_argument("--closes", help="closing date YYYY-MM-DD (optional)")
    closing = actions.add_parser("close", help="close a round: no more saves or submissions")
    closing.add_argument("round", help="round name or ID")
    reopening = actions.add_parser("reopen", help="reopen a closed round, with the reason kept in the audit log")
    reopening.add_argument("round", help="round name or ID")
    reopening.add_argument("--reason", required=True, help="why it reopens (kept in the audit log)")


def round_command(engine: Engine, args: argparse.Namespace) -> int:
    with session_scope(engine) as session:
        if args.round_command == "list":
            print(format_rounds(session))
        elif args.round_command == "open":
            version = latest_version(session)
            if version is None or version.id is None:
                raise InvalidState("No checklist is loaded: run `python -m mcwg_dashboard init` first.")
            opened = rounds.open_round(
                session,
                actor=CLI_ACTOR,
                name=args.name,
                opens_on=_date(args.opens, "--opens") or dt.date.today(),
                closes_on=_date(args.closes, "--closes"),
                checklist_version_id=version.id,
            )
            drafts = len(session.exec(select(CountrySurvey).where(CountrySurvey.round_id == opened.id)).all())
            print(
                f"Round {opened.id} {opened.name!r} opened (checklist {version.label}); {drafts} draft(s) pre-filled."
            )
        elif args.round_command == "close":
            closed = rounds.close_round(session, actor=CLI_ACTOR, round_id=round_id(session, args.round))
            print(f"Round {closed.id} {closed.name!r} closed.")
        elif args.round_command == "reopen":
            reopened = rounds.reopen_round(
                session, actor=CLI_ACTOR, round_id=round_id(session, args.round), reason=args.reason
            )
            print(f"Round {reopened.id} {reopened.name!r} reopened.")
    return 0


def round_id(session: Session, text: str) -> int:
    """A round named by its name or its ID."""
    all_rounds = rounds.list_rounds(session)
    for survey_round in all_rounds:
        if survey_round.name == text.strip() or str(survey_round.id) == text.strip():
            assert survey_round.id is not None
            return survey_round.id
    known = "; ".join(f"{r.id}: {r.name}" for r in all_rounds) or "none"
    raise NotFound(f"No survey round {text!r}. Rounds: {known}.")


def format_rounds(session: Session) -> str:
    rows = [("id", "name", "state", "opens", "closes", "surveys")]
    for survey_round in rounds.list_rounds(session):
        surveys = session.exec(select(CountrySurvey.state).where(CountrySurvey.round_id == survey_round.id)).all()
        counts = ", ".join(f"{surveys.count(s)} {s}" for s in sorted(set(surveys))) or "none"
        rows.append(
            (
                str(survey_round.id),
                survey_round.name + (" (demo)" if survey_round.is_demo else ""),
                survey_round.state,
                survey_round.opens_on.isoformat(),
                survey_round.closes_on.isoformat() if survey_round.closes_on else "-",
                counts,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows)


def _date(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{option} {text!r} is not a date: write it as YYYY-MM-DD.") from None
