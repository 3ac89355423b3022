"""python -m mcwg_dashboard: set-up, demo data, Excel export and import, and sign-in accounts."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlmodel import Session

from mcwg_dashboard.backup import backup as backup_database
from mcwg_dashboard.backup import restore as restore_database
from mcwg_dashboard.checklist import ChecklistError
from mcwg_dashboard.cli_members import add_member_parser, member_command
from mcwg_dashboard.cli_products import PRODUCT_COMMANDS, add_product_parser, product_command
from mcwg_dashboard.cli_rounds import add_round_parser, round_command
from mcwg_dashboard.cli_rounds import round_id as find_round_id
from mcwg_dashboard.config import get_settings
from mcwg_dashboard.db import has_schema, make_engine, session_scope
from mcwg_dashboard.excel import (
    Resolution,
    apply_survey_import,
    describe_saved,
    export_survey_workbook,
    format_plan,
    plan_survey_import,
)
from mcwg_dashboard.excel.full_export import EXPORT_FORMATS, export_all_bytes
from mcwg_dashboard.excel.proposal_register import (
    apply_register_import,
    export_register,
    format_register_plan,
    plan_register_import,
)
from mcwg_dashboard.exports import ChartExportUnavailable, csv_bytes, xlsx_bytes
from mcwg_dashboard.models import User
from mcwg_dashboard.services import products, users
from mcwg_dashboard.services.actors import CLI_ACTOR
from mcwg_dashboard.services.demo import clear_demo, is_demo_loaded, load_demo
from mcwg_dashboard.services.errors import InvalidState, NotFound, ServiceError, ValidationFailed
from mcwg_dashboard.services.setup import initialise
from mcwg_dashboard.services.users import ACCOUNT_ROLES, DEMO_PASSWORD, FIRST_ADMIN

if TYPE_CHECKING:
    from mcwg_dashboard.reports.data import EarlierState


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
        help="for answers or a deployment profile changed in the database since the export: keep the workbook's "
        "(mine) or the database's (theirs); without it such conflicts stop the import",
    )

    export_all = commands.add_parser(
        "export-all",
        help="write every answer of every round, a matrix per round and the checklist to one workbook",
        description="Write the full data export: all countries x elements x rounds as a long table, "
        "a wide matrix sheet per round, the checklist and the answer scale.",
    )
    export_all.add_argument("--out", required=True, help="the file to write")
    export_all.add_argument(
        "--format",
        choices=EXPORT_FORMATS,
        default="xlsx",
        help="xlsx: every sheet (default); csv or parquet: the long table of every answer (open data)",
    )

    export_proposals = commands.add_parser(
        "export-proposals",
        help="write the change-proposal register (with its history) to a workbook",
        description="Write every change proposal, its history and the versions needed for a safe re-import.",
    )
    export_proposals.add_argument("--out", required=True, help="the .xlsx file to write")
    import_proposals = commands.add_parser(
        "import-proposals",
        help="check an edited register workbook, show the changes and save them (or only check: --dry-run)",
        description="Check an edited register workbook (new rows and edited text), print every error or the "
        "changes, and save them in one transaction. Exits non-zero on any error; nothing is saved then.",
    )
    import_proposals.add_argument("file", help="the edited .xlsx register")
    import_proposals.add_argument("--dry-run", action="store_true", help="only check and show the changes")
    backup = commands.add_parser(
        "backup",
        help="copy the embedded SQLite database to a new file while the app runs (PostgreSQL: pg_dump)",
        description="Copy the embedded database to FILE with SQLite's online backup API (consistent while the app "
        "runs; audited). Never overwrites a file. A PostgreSQL database is backed up with pg_dump instead.",
    )
    backup.add_argument("--out", required=True, help="the new backup file")
    restore = commands.add_parser(
        "restore",
        help="restore a backup into a new, empty embedded database (upgrading an older backup's schema)",
        description="Copy a backup made by `backup` into the configured database, which must be empty; refuses a "
        "file that is not a backup and one made by a newer version of the app. PostgreSQL: pg_restore.",
    )
    restore.add_argument("file", help="the backup file")
    add_round_parser(commands)
    add_member_parser(commands)
    add_product_parser(commands)
    _add_report_parsers(commands)
    _add_user_parser(commands)
    _add_bench_parser(commands)
    return parser


def _add_report_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    deck = commands.add_parser(
        "deck",
        help="write the plenary slide deck (.pptx) of a round; needs Chromium for the charts",
        description="Write the plenary slide deck of a round: the meeting's title slide, key figures, members and "
        "their surveys, map, adoption per set, a matrix per set, most and least adopted elements, what changed "
        "since the last plenary, change proposals open and decided since then, and the agenda.",
    )
    deck.add_argument("--round", required=True, help="round name or ID")
    deck.add_argument(
        "--since",
        help="an earlier round (name or ID) or meeting snapshot ('snapshot:NAME') to compare with; by default the "
        "newest meeting snapshot, else the previous round with shared answers; 'none' for no comparison",
    )
    deck.add_argument(
        "--meeting",
        help="the meeting's name for the title slide (default 'MCWG plenary'), or 'snapshot:NAME' to take the name "
        "and date of a meeting snapshot",
    )
    deck.add_argument("--meeting-date", help="the meeting's date, like 2026-12-10")
    deck.add_argument(
        "--agenda-size", type=int, default=8, help="how many elements the agenda slide lists (default 8, at most 15)"
    )
    deck.add_argument(
        "--order",
        choices=["name", "architecture"],
        default="name",
        help="order of the members in tables: by name (default) or grouped by deployment architecture",
    )
    deck.add_argument("--out", required=True, help="the .pptx file to write")
    deck.add_argument("--agenda", help="also write the agenda as .csv or .xlsx to this file")
    guide = commands.add_parser(
        "guide",
        help="write the clinician quick guide to imaging metadata (.pdf or .html), general or for one member",
        description="Write the clinician quick guide, generated from the newest checklist: what to filter on first "
        "(level 1), what to pick among the results with (level 2), who sets each value, how orders, requests, "
        "studies and reports relate, worked searches. With --member, each value says whether it works in that "
        "country today, from its newest shared answers. A .pdf is printed by the system Chromium (A4, page "
        "numbers).",
    )
    guide.add_argument("--member", help="a member's code, like FR: the guide for that country")
    guide.add_argument("--out", required=True, help="the .pdf or .html file to write")
    publish = commands.add_parser(
        "publish",
        help="write the published report of a round: a static HTML site plus open data (CSV, JSON)",
        description="Write a self-contained static HTML site of a round's published answers (no notes or evidence "
        "links), with the answers and the checklist as CSV and JSON and a README of the files.",
    )
    publish.add_argument(
        "--round", help="round name or ID (default: the newest round with published answers, which it names)"
    )
    publish.add_argument("--out", required=True, help="a new or empty folder (or one written by publish before)")
    snapshot = commands.add_parser(
        "snapshot",
        help="meeting snapshots: freeze a round's shared answers at a plenary, or list them",
        description="Meeting snapshots are read-only copies of a round's submitted, validated and published "
        "answers, named after the plenary; `deck --since snapshot:NAME` and the Plenary page compare against them.",
    )
    snapshot_actions = snapshot.add_subparsers(dest="snapshot_command", metavar="ACTION", required=True)
    create = snapshot_actions.add_parser("create", help="freeze a round", description="Create a meeting snapshot.")
    create.add_argument("--round", required=True, help="round name or ID")
    create.add_argument("--name", required=True, help="e.g. 'Plenary Lisbon 2025'")
    create.add_argument("--date", required=True, help="meeting date, YYYY-MM-DD")
    snapshot_actions.add_parser("list", help="list the snapshots", description="List the meeting snapshots.")


def _add_user_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    user = commands.add_parser(
        "user",
        help="sign-in accounts: add, list, disable, enable, reset-password",
        description="Manage the sign-in accounts. Passwords are asked for twice at a hidden prompt; --password "
        "exists for scripts, but it ends up in the shell history and the process list, so prefer the prompt.",
    )
    actions = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="create an account", description="Create a sign-in account.")
    add.add_argument("username", metavar="USERNAME", help="3-60 characters: a-z, 0-9, '.', '_', '-'")
    add.add_argument("--role", required=True, choices=[r.value for r in ACCOUNT_ROLES], help="what the account may do")
    add.add_argument(
        "--country",
        action="append",
        default=[],
        metavar="CODE",
        help="member code a country_rep answers for (repeat for several, e.g. --country BE --country NL)",
    )
    add.add_argument("--vendor", metavar="VENDOR", help="the vendor a vendor account answers for (name or ID)")
    add.add_argument("--name", default="", help="display name, e.g. 'Marie Dupont'")
    add.add_argument("--email", default="", help="email address (optional)")
    add.add_argument("--password", help="the password (for scripts; without it you are prompted, which is safer)")
    actions.add_parser("list", help="list the accounts", description="List every account with its role and state.")
    disable = actions.add_parser(
        "disable", help="stop an account from signing in", description="Disable an account; its sessions end."
    )
    disable.add_argument("username", metavar="USERNAME")
    enable = actions.add_parser(
        "enable", help="let a disabled or locked account sign in again", description="Enable an account; lifts a lock."
    )
    enable.add_argument("username", metavar="USERNAME")
    reset = actions.add_parser(
        "reset-password",
        help="set a new password for an account (ends its sessions, lifts a lock)",
        description="Set a new password for an account. Its sessions end and a lock is lifted.",
    )
    reset.add_argument("username", metavar="USERNAME")
    reset.add_argument("--password", help="the new password (for scripts; without it you are prompted)")


def _add_bench_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bench = commands.add_parser(
        "bench",
        help="time the dashboards, import, export and save on a synthetic dataset in a temporary database",
        description="Build a synthetic dataset (scale 1: 60 countries x 300 elements x 12 rounds; the countries grow "
        "with the scale) in a temporary SQLite file that is deleted afterwards, time each data path against its "
        "floor, count SQL statements per page and print a table. Never touches the app's database.",
    )
    bench.add_argument("--scale", type=float, default=1.0, help="dataset size; 1 = 60 countries (default 1)")
    bench.add_argument("--repeats", type=int, default=5, help="runs per measure; the median is reported (default 5)")
    bench.add_argument("--json", metavar="FILE", help="also write the results as JSON to FILE")
    bench.add_argument(
        "--database-url",
        help="run on this empty database instead (e.g. a PostgreSQL one made for it); it is emptied afterwards",
    )
    bench.add_argument(
        "--pages",
        action="store_true",
        help="instead: each page's server time on a temporary demo database, cold (first run, empty caches) and "
        "warm (a rerun after a click), through Streamlit's AppTest",
    )
    bench.add_argument(
        "--no-app-pages",
        action="store_true",
        help="leave out the timing of every page through AppTest on the synthetic dataset (a quicker run)",
    )


def _bench(args: argparse.Namespace) -> int:
    from mcwg_dashboard.bench import BenchError, format_table, run_bench, write_json

    if not args.scale > 0 or args.scale > 400:
        print(f"error: --scale must be above 0 and at most 400, not {args.scale:g}.", file=sys.stderr)
        return 2
    if args.repeats < 1:
        print(f"error: --repeats must be at least 1, not {args.repeats}.", file=sys.stderr)
        return 2
    json_path = Path(args.json) if args.json else None
    if args.pages:
        return _bench_pages(args.repeats, json_path)
    if json_path is not None and (
        json_path.is_dir()
        or not json_path.parent.is_dir()
        or not os.access(json_path.parent, os.W_OK)
        or (json_path.exists() and not os.access(json_path, os.W_OK))
    ):
        print(f"error: cannot write the JSON file {args.json}: no such writable folder or file.", file=sys.stderr)
        return 1
    try:
        result = run_bench(
            scale=args.scale,
            repeats=args.repeats,
            settings=get_settings(),
            database_url=args.database_url,
            app_pages=not args.no_app_pages,
        )
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(format_table(result))
    if json_path is not None:
        try:
            write_json(result, json_path)
        except OSError as exc:
            print(f"error: cannot write the JSON file {args.json}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        print(f"Wrote {json_path}.")
    return 0


def _bench_pages(repeats: int, json_path: Path | None) -> int:
    from mcwg_dashboard.ui.page_timing import format_pages, time_pages

    timings = time_pages(reruns=repeats)
    print(format_pages(timings))
    if json_path is not None:
        try:
            json_path.write_text(json.dumps({"pages": [t.as_dict() for t in timings]}, indent=2))
        except OSError as exc:
            print(f"error: cannot write the JSON file {json_path}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        print(f"Wrote {json_path}.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "bench":
        return _bench(args)  # its own temporary database: never the configured one
    settings = get_settings()
    engine = make_engine(settings.effective_database_url)
    where = "embedded SQLite database" if settings.is_embedded_default else "database from MCWG_DATABASE_URL"
    try:
        if args.command == "init" or (args.command == "demo" and not args.clear):
            # In the embedded demo database the demo loader makes the accounts (admin, rep-fr, ... password demo).
            demo_database = args.command == "demo" and settings.is_embedded_default
            report = initialise(engine, settings, create_admin=not demo_database)
            print(f"Database ready ({where}); checklist version {report.checklist_version}.")
            if report.members_added:
                print(f"Members added: {', '.join(report.members_added)}.")
            if report.round_created:
                print(f"Survey round opened: {report.round_created}.")
            if report.future_topics_added:
                print(f"Possible future topics from the MCWG deck added: {report.future_topics_added}.")
            if report.first_admin_password:
                print(
                    f"First admin created: sign in as {FIRST_ADMIN} with password {report.first_admin_password} "
                    "— change it on the Account page."
                )
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
                        f"(rounds: {', '.join(demo.rounds)} and the open round), {demo.proposals} change "
                        f"proposals and {demo.products} made-up products of made-up vendors. It is labelled as demo "
                        "in the app."
                    )
                    if demo.accounts:
                        print(
                            f"Demo accounts (password {DEMO_PASSWORD!r}, removed with `demo --clear`): "
                            f"{', '.join(demo.accounts)}."
                        )
                    for note in demo.notes:
                        print(note)
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
        if args.command == "user":
            return _user_command(engine, args)
        if args.command == "export-proposals":
            with session_scope(engine) as session:
                data = export_register(session, actor=CLI_ACTOR)
            Path(args.out).write_bytes(data)
            print(f"Wrote {args.out} ({len(data) // 1024} KB).")
        if args.command == "import-proposals":
            return _import_proposals(engine, Path(args.file), dry_run=args.dry_run)
        if args.command == "deck":
            return _deck(engine, args)
        if args.command == "publish":
            return _publish(engine, args)
        if args.command == "guide":
            return _guide(engine, args)
        if args.command == "snapshot":
            return _snapshot(engine, args)
        if args.command == "round":
            return round_command(engine, args)
        if args.command == "member":
            return member_command(engine, args)
        if args.command in PRODUCT_COMMANDS:
            return product_command(engine, args)
        if args.command == "backup":
            saved = backup_database(engine, Path(args.out), actor=CLI_ACTOR)
            print(f"Backed up to {args.out}: {saved.describe()}.")
        if args.command == "restore":
            restored = restore_database(Path(args.file), engine)
            print(f"Restored {args.file} ({where}): {restored.describe()}.")
        if args.command == "export-all":
            with session_scope(engine) as session:
                data = export_all_bytes(session, actor=CLI_ACTOR, file_format=args.format)
            Path(args.out).write_bytes(data)
            print(f"Wrote {args.out} ({len(data) // 1024} KB).")
    except ChartExportUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {exc.strerror or exc}: {exc.filename or ''}", file=sys.stderr)
        return 1
    except (ChecklistError, ServiceError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0


def _vendor_id(session: Session, text: str | None) -> int | None:
    """A vendor named by its name or ID (None when not given)."""
    if text is None:
        return None
    vendors = products.list_vendors(session)
    for vendor in vendors:
        if vendor.name.casefold() == text.strip().casefold() or str(vendor.id) == text.strip():
            return vendor.id
    known = "; ".join(f"{v.id}: {v.name}" for v in vendors) or "none (add one on the Products page)"
    raise NotFound(f"No vendor {text!r}. Vendors: {known}.")


def _user_command(engine: Engine, args: argparse.Namespace) -> int:
    if not has_schema(engine):
        raise InvalidState("The database is not set up yet: run `python -m mcwg_dashboard init` first.")
    try:
        with session_scope(engine) as session:
            if args.user_command == "add":
                password = _password(args.password, f"Password for {args.username}: ")
                user = users.create_user(
                    session,
                    actor=CLI_ACTOR,
                    data={
                        "username": args.username,
                        "role": args.role,
                        "countries": args.country,
                        "vendor_id": _vendor_id(session, args.vendor),
                        "display_name": args.name,
                        "email": args.email,
                        "password": password,
                    },
                )
                countries = f" for {user.countries.replace(',', ', ')}" if user.countries else ""
                print(f"Account {user.username} created ({user.role}{countries}).")
            elif args.user_command == "list":
                _print_users(
                    users.list_users(session, actor=CLI_ACTOR), users.usernames_waiting(session, actor=CLI_ACTOR)
                )
            elif args.user_command == "disable":
                user = users.disable_user(session, actor=CLI_ACTOR, username=args.username)
                print(f"Account {user.username} is disabled; its sessions have ended.")
            elif args.user_command == "enable":
                user = users.enable_user(session, actor=CLI_ACTOR, username=args.username)
                print(f"Account {user.username} is enabled.")
            elif args.user_command == "reset-password":
                users.get_user(session, actor=CLI_ACTOR, username=args.username)  # fail before prompting
                password = _password(args.password, f"New password for {args.username}: ")
                users.reset_password(session, actor=CLI_ACTOR, username=args.username, new_password=password)
                print(f"Password of {args.username.strip().lower()} changed; its sessions have ended.")
    except ValidationFailed as exc:
        # One line: the summary and every problem.
        problems = "; ".join(f"{key}: {msg}" for key, msgs in exc.problems.items() for msg in msgs)
        print(f"error: {str(exc).splitlines()[0]} {problems}", file=sys.stderr)
        return 1
    return 0


def _password(given: str | None, prompt: str) -> str:
    if given is not None:
        return given
    try:
        first = getpass.getpass(prompt)
        second = getpass.getpass("The same password again: ")
    except (EOFError, KeyboardInterrupt):
        raise ValueError("No password given; nothing was changed.") from None
    if first != second:
        raise ValueError("The two passwords differ; nothing was changed.")
    return first


def _print_users(accounts: list[User], waiting: set[str]) -> None:
    rows = [("username", "role", "countries", "active", "sign-in wait")]
    for user in accounts:
        name = f"{user.username} (demo)" if user.is_demo else user.username
        wait = "yes" if user.username in waiting else "no"
        rows.append((name, user.role, user.countries or "-", "yes" if user.is_active else "no", wait))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def _round_id(session: Session, text: str) -> int:
    return find_round_id(session, text)


def _import_proposals(engine: Engine, path: Path, *, dry_run: bool) -> int:
    data = path.read_bytes()
    with session_scope(engine) as session:
        plan = plan_register_import(session, actor=CLI_ACTOR, data=data, filename=path.name)
        print(format_register_plan(plan), file=sys.stderr if plan.errors else sys.stdout)
        if plan.errors:
            return 1
        if dry_run:
            print("Dry run: nothing was saved.")
            return 0
        written = apply_register_import(session, actor=CLI_ACTOR, plan=plan)
    print(f"Saved {len(written)} proposal(s): {', '.join(written)}.")
    return 0


def _import_survey(engine: Engine, path: Path, *, dry_run: bool, keep: str | None) -> int:
    data = path.read_bytes()
    with session_scope(engine) as session:
        plan = plan_survey_import(session, actor=CLI_ACTOR, data=data, filename=path.name)
        print(format_plan(plan))
        if plan.errors:
            return 1
        if plan.conflict_keys and keep is None:
            print("error: conflicts need a choice: run again with --keep mine or --keep theirs.", file=sys.stderr)
            return 1
        if dry_run:
            print("Dry run: nothing was saved.")
            return 0
        resolutions: dict[str, Resolution] = {key: "mine" if keep == "mine" else "theirs" for key in plan.conflict_keys}
        saved = apply_survey_import(session, actor=CLI_ACTOR, plan=plan, resolutions=resolutions)
    print(f"Saved {describe_saved(saved)}." if saved else "Nothing to save: the workbook matches the database.")
    return 0


def _checked_out(path: str, suffixes: tuple[str, ...]) -> Path:
    out = Path(path)
    if out.suffix.lower() not in suffixes:
        raise ValueError(f"{path}: the file name must end with {' or '.join(suffixes)}.")
    if not out.parent.is_dir():
        raise ValueError(f"{path}: the folder {out.parent} does not exist.")
    return out


def _deck(engine: Engine, args: argparse.Namespace) -> int:
    from mcwg_dashboard.reports.data import last_plenary, load_plenary_data
    from mcwg_dashboard.reports.deck import DeckOptions, build_deck, deck_charts, render_charts, slide_titles

    out = _checked_out(args.out, (".pptx",))
    agenda_out = _checked_out(args.agenda, (".csv", ".xlsx")) if args.agenda else None
    if not 1 <= args.agenda_size <= 15:
        raise ValueError(
            f"--agenda-size {args.agenda_size}: give a number from 1 to 15 (a one-hour call has room for 8)."
        )
    meeting_date = _date_option("--meeting-date", args.meeting_date) if args.meeting_date else None
    if not has_schema(engine):
        raise InvalidState("The database is not set up yet: run `python -m mcwg_dashboard init` first.")
    with session_scope(engine) as session:
        round_id = _round_id(session, args.round)
        meeting = args.meeting or "MCWG plenary"
        if meeting.startswith("snapshot:"):
            from mcwg_dashboard.services.snapshots import get_snapshot

            snapshot = get_snapshot(session, meeting.removeprefix("snapshot:"))
            meeting, meeting_date = snapshot.name, meeting_date or snapshot.meeting_date
        if args.since == "none":
            earlier = None
        elif args.since:
            earlier = _earlier(session, args.since)
        else:
            earlier = last_plenary(session, round_id)
        data = load_plenary_data(
            session,
            round_id=round_id,
            earlier=earlier.answers if earlier else None,
            earlier_label=earlier.label if earlier else None,
            since_date=earlier.since if earlier else None,
        )
    if data.answers.empty:
        raise InvalidState(f"No submitted answers in {data.round_name} yet: there is nothing to put in a deck.")
    if earlier is not None and not args.since:
        print(f"Comparing with {earlier.label} (choose with --since, or --since none).")
    options = DeckOptions(
        meeting=meeting, meeting_date=meeting_date, agenda_size=args.agenda_size, member_order=args.order
    )
    charts = deck_charts(data)
    print(f"Rendering {len(charts)} chart(s) with Chromium (kaleido)…", flush=True)

    def progress(done: int, total: int) -> None:
        if done:
            print(f"  chart {done}/{total}: {charts[done - 1].title}", flush=True)

    images = render_charts(charts, progress)
    deck = build_deck(data, charts, images, options)
    out.write_bytes(deck)
    titles = slide_titles(deck)
    print(f"Wrote {out} ({len(deck) // 1024} KB, {len(titles)} slides):")
    for number, title in enumerate(titles, start=1):
        print(f"  {number:2}. {title.replace(chr(10), ' · ').replace(chr(11), ' ')}")
    if agenda_out is not None:
        agenda = data.agenda()
        is_csv = agenda_out.suffix.lower() == ".csv"
        agenda_out.write_bytes(csv_bytes(agenda) if is_csv else xlsx_bytes(agenda, "agenda"))
        print(f"Wrote {agenda_out} ({len(agenda)} elements ranked).")
    return 0


def _date_option(name: str, text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name} {text!r} is not a date like 2026-12-10.") from None


def _guide(engine: Engine, args: argparse.Namespace) -> int:
    from mcwg_dashboard.reports.guide import guide_html, member_basis, print_pdf
    from mcwg_dashboard.services.checklist_store import checklist_for_version, latest_version
    from mcwg_dashboard.services.demo import is_demo_loaded

    out = _checked_out(args.out, (".pdf", ".html"))
    if not has_schema(engine):
        raise InvalidState("The database is not set up yet: run `python -m mcwg_dashboard init` first.")
    with session_scope(engine) as session:
        version = latest_version(session)
        if version is None or version.id is None:
            raise InvalidState("No checklist is stored yet: run `python -m mcwg_dashboard init` first.")
        checklist = checklist_for_version(session, version.id)
        basis = None
        if args.member:
            basis = member_basis(session, args.member.strip().upper(), checklist)
            if basis is None:
                raise InvalidState(f"{args.member}: no submitted, validated or published answers yet.")
        page = guide_html(checklist, basis, demo=is_demo_loaded(session))
    if out.suffix.lower() == ".html":
        out.write_text(page, encoding="utf-8")
    else:
        print("Printing the guide with Chromium…", flush=True)
        print_pdf(page, out)
    about = f"for {basis.name}, from {basis.round_name}" if basis else "general"
    print(f"Wrote {out} ({out.stat().st_size // 1024} KB; checklist {checklist.version}; {about}).")
    return 0


def _publish(engine: Engine, args: argparse.Namespace) -> int:
    from mcwg_dashboard.reports.publish import load_publish_data, newest_published_round, prepare_folder, write_site

    if not has_schema(engine):
        raise InvalidState("The database is not set up yet: run `python -m mcwg_dashboard init` first.")
    out = Path(args.out)
    with session_scope(engine) as session:
        if args.round:
            round_id = _round_id(session, args.round)
        else:
            newest = newest_published_round(session)
            assert newest.id is not None
            round_id = newest.id
            print(f"Round: {newest.name}, the newest with published answers (choose another with --round).")
        data = load_publish_data(session, round_id=round_id)
    prepare_folder(out)
    written = write_site(data, out)
    members = data.answers["country_code"].nunique()
    print(f"Wrote {len(written)} files to {out} ({members} members' published answers); open {out / 'index.html'}.")
    return 0


def _earlier(session: Session, text: str) -> EarlierState:
    """--since: a round (name or ID) or a meeting snapshot ('snapshot:NAME' or 'snapshot:ID')."""
    from mcwg_dashboard.reports.data import round_state, snapshot_state

    if text.startswith("snapshot:"):
        return snapshot_state(session, text.removeprefix("snapshot:"))
    return round_state(session, _round_id(session, text))


def _snapshot(engine: Engine, args: argparse.Namespace) -> int:
    from mcwg_dashboard.services.snapshots import create_snapshot, list_snapshots

    if not has_schema(engine):
        raise InvalidState("The database is not set up yet: run `python -m mcwg_dashboard init` first.")
    with session_scope(engine) as session:
        if args.snapshot_command == "create":
            try:
                meeting_date = dt.date.fromisoformat(args.date)
            except ValueError:
                raise ValueError(f"--date {args.date!r} is not a date like 2025-06-12; nothing was saved.") from None
            try:
                snapshot = create_snapshot(
                    session,
                    actor=CLI_ACTOR,
                    name=args.name,
                    meeting_date=meeting_date,
                    round_id=_round_id(session, args.round),
                )
            except ValidationFailed as exc:
                problems = "; ".join(f"{key}: {msg}" for key, msgs in exc.problems.items() for msg in msgs)
                print(f"error: {problems}. {str(exc).splitlines()[0]}", file=sys.stderr)
                return 1
            print(
                f"Snapshot {snapshot.name!r} (ID {snapshot.id}) frozen: {snapshot.answer_count} validated and "
                f"published answers of {snapshot.round_name}."
            )
        else:
            frame = list_snapshots(session)
            if frame.empty:
                print("No meeting snapshots yet.")
            for row in frame.itertuples():
                demo = " (demo)" if row.is_demo else ""
                print(f"{row.id}  {row.meeting_date}  {row.name}{demo}  [{row.round_name}, {row.answer_count} answers]")
    return 0
