"""python -m mcwg_dashboard: set up the database and load or remove demo data."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from mcwg_dashboard.checklist import ChecklistError
from mcwg_dashboard.config import get_settings
from mcwg_dashboard.db import make_engine, session_scope
from mcwg_dashboard.services.actors import CLI_ACTOR
from mcwg_dashboard.services.demo import clear_demo, is_demo_loaded, load_demo
from mcwg_dashboard.services.errors import ServiceError
from mcwg_dashboard.services.setup import initialise


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mcwg_dashboard",
        description="MCWG adoption dashboard: database set-up and data tools. "
        "The database is the embedded SQLite file under data/ unless MCWG_DATABASE_URL is set.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    commands.add_parser(
        "init",
        help="create or upgrade the database; load the checklist, the members and an open round",
        description="Create or upgrade the database schema, load the checklist from surveys/ "
        "(a new checklist version when it changed), add missing members and open a survey round if none exists.",
    )
    demo = commands.add_parser(
        "demo",
        help="load synthetic demo answers (three rounds), or remove them with --clear",
        description="Load synthetic demo answers, marked as demo everywhere they appear. Runs init first when needed.",
    )
    demo.add_argument("--clear", action="store_true", help="remove all demo rounds, surveys and answers")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = get_settings()
    engine = make_engine(settings.effective_database_url)
    where = "embedded SQLite database" if settings.is_embedded_default else "database from MCWG_DATABASE_URL"
    try:
        if args.command == "init" or (args.command == "demo" and not args.clear):
            report = initialise(engine, settings)
            print(f"Database ready ({where}); checklist version {report.checklist_version}.")
            if report.members_added:
                print(f"Members added: {', '.join(report.members_added)}.")
            if report.round_created:
                print(f"Survey round opened: {report.round_created}.")
        if args.command == "demo":
            with session_scope(engine) as session:
                if args.clear:
                    removed = clear_demo(session, actor=CLI_ACTOR)
                    print(f"Demo data removed ({removed} demo surveys).")
                elif is_demo_loaded(session):
                    print("Demo data is already loaded; nothing to do. Use `demo --clear` to remove it.")
                else:
                    demo = load_demo(session, actor=CLI_ACTOR)
                    print(
                        f"Demo data loaded: {demo.answers} synthetic answers in {demo.surveys} surveys "
                        f"(rounds: {', '.join(demo.rounds)} and the open round). It is labelled as demo in the app."
                    )
    except (ChecklistError, ServiceError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0
