"""python -m mcwg_dashboard: set-up, demo data, and Excel export and import."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from mcwg_dashboard.checklist import ChecklistError
from mcwg_dashboard.config import get_settings
from mcwg_dashboard.db import make_engine, session_scope
from mcwg_dashboard.excel import (
    Resolution,
    apply_survey_import,
    export_survey_workbook,
    format_plan,
    plan_survey_import,
)
from mcwg_dashboard.excel.full_export import full_export_bytes
from mcwg_dashboard.services.actors import CLI_ACTOR
from mcwg_dashboard.services.demo import clear_demo, is_demo_loaded, load_demo
from mcwg_dashboard.services.errors import NotFound, ServiceError
from mcwg_dashboard.services.rounds import list_rounds
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

    export_survey = commands.add_parser(
        "export-survey",
        help="write one country's survey workbook for a round (pre-filled, to fill in offline)",
        description="Write the Excel workbook of one country's survey in one round, pre-filled with its answers.",
    )
    export_survey.add_argument("--country", required=True, help="member code, e.g. FR or CA-QC")
    export_survey.add_argument("--round", required=True, help="round name (as listed on the Home page) or ID")
    export_survey.add_argument("--out", required=True, help="the .xlsx file to write")

    import_survey = commands.add_parser(
        "import-survey",
        help="check a filled survey workbook, show the changes and save them (or only check: --dry-run)",
        description="Check a filled survey workbook, print every error or the changes it makes, and save them in "
        "one transaction. Exits non-zero on any error; nothing is saved then.",
    )
    import_survey.add_argument("file", help="the filled .xlsx workbook")
    import_survey.add_argument("--dry-run", action="store_true", help="only check and show the changes")
    import_survey.add_argument(
        "--keep",
        choices=["mine", "theirs"],
        help="for answers changed in the database since the export: keep the workbook's (mine) or the "
        "database's (theirs); without it such conflicts stop the import",
    )

    export_all = commands.add_parser(
        "export-all",
        help="write every answer of every round, a matrix per round and the checklist to one workbook",
        description="Write the full data export: all countries x elements x rounds as a long table, "
        "a wide matrix sheet per round, the checklist and the answer scale.",
    )
    export_all.add_argument("--out", required=True, help="the .xlsx file to write")
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
        if args.command == "export-survey":
            with session_scope(engine) as session:
                round_id = _round_id(session, args.round)
                data = export_survey_workbook(
                    session, actor=CLI_ACTOR, round_id=round_id, country_code=args.country.upper()
                )
            Path(args.out).write_bytes(data)
            print(f"Wrote {args.out} ({len(data) // 1024} KB).")
        if args.command == "import-survey":
            return _import_survey(engine, Path(args.file), dry_run=args.dry_run, keep=args.keep)
        if args.command == "export-all":
            with session_scope(engine) as session:
                data = full_export_bytes(session, actor=CLI_ACTOR)
            Path(args.out).write_bytes(data)
            print(f"Wrote {args.out} ({len(data) // 1024} KB).")
    except OSError as exc:
        print(f"error: {exc.strerror or exc}: {exc.filename or ''}", file=sys.stderr)
        return 1
    except (ChecklistError, ServiceError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0


def _round_id(session: Session, text: str) -> int:
    rounds = list_rounds(session)
    for survey_round in rounds:
        if survey_round.name == text or str(survey_round.id) == text:
            assert survey_round.id is not None
            return survey_round.id
    known = "; ".join(f"{r.id}: {r.name}" for r in rounds) or "none"
    raise NotFound(f"No survey round {text!r}. Rounds: {known}.")


def _import_survey(engine: Engine, path: Path, *, dry_run: bool, keep: str | None) -> int:
    data = path.read_bytes()
    with session_scope(engine) as session:
        plan = plan_survey_import(session, actor=CLI_ACTOR, data=data, filename=path.name)
        print(format_plan(plan))
        if plan.errors:
            return 1
        if plan.conflicts and keep is None:
            print("error: conflicts need a choice: run again with --keep mine or --keep theirs.", file=sys.stderr)
            return 1
        if dry_run:
            print("Dry run: nothing was saved.")
            return 0
        resolutions: dict[str, Resolution] = {
            c.element_id: "mine" if keep == "mine" else "theirs" for c in plan.conflicts
        }
        saved = apply_survey_import(session, actor=CLI_ACTOR, plan=plan, resolutions=resolutions)
    print(f"Saved {len(saved)} answer(s)." if saved else "Nothing to save: the workbook matches the database.")
    return 0
