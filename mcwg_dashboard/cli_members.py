"""`member add|list|retire|reinstate|shape`: the Members page from the command line, through the same services."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from sqlalchemy import Engine

from mcwg_dashboard.db import session_scope
from mcwg_dashboard.services import members
from mcwg_dashboard.services.actors import CLI_ACTOR


def add_member_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    member = commands.add_parser(
        "member",
        help="add, list, retire or reinstate members (as on the Members page)",
        description="Manage MCWG members. Codes are ISO 3166-1 alpha-2 (IE) or ISO 3166-2 for regions (CA-QC).",
    )
    actions = member.add_subparsers(dest="member_command", required=True)
    actions.add_parser("list", help="every member: code, name, state, where its map shape comes from, surveys")
    adding = actions.add_parser("add", help="a new member; drawn from the shipped map or from --shape")
    adding.add_argument("code", help="ISO 3166-1 alpha-2 or ISO 3166-2 code, e.g. IE or CA-QC")
    adding.add_argument("--name", help="the name shown everywhere (default: the ISO standard's name)")
    adding.add_argument("--shape", help="a GeoJSON file with the member's outline (Polygon or MultiPolygon, WGS84)")
    retiring = actions.add_parser("retire", help="leave a member out of new rounds; its answers stay")
    retiring.add_argument("code")
    retiring.add_argument("--on", help="the day it retires, YYYY-MM-DD (default today)")
    reinstating = actions.add_parser("reinstate", help="bring a retired member back into new rounds")
    reinstating.add_argument("code")
    shaping = actions.add_parser("shape", help="give a member its own map outline, or --clear it")
    shaping.add_argument("code")
    which = shaping.add_mutually_exclusive_group(required=True)
    which.add_argument("--file", help="a GeoJSON file with the member's outline")
    which.add_argument("--clear", action="store_true", help="go back to the shipped map's outline")


def member_command(engine: Engine, args: argparse.Namespace) -> int:
    with session_scope(engine) as session:
        if args.member_command == "list":
            print(format_members(members.list_members(session)))
        elif args.member_command == "add":
            shape = _shape(args.shape) if args.shape else None
            added = members.add_member(session, actor=CLI_ACTOR, code=args.code, name=args.name or "", shape=shape)
            row = next(r for r in members.list_members(session) if r.code == added.code)
            print(f"Member {added.code} ({added.name}) added; map shape: {row.shape}.")
        elif args.member_command == "retire":
            on = dt.date.fromisoformat(args.on) if args.on else None
            retired = members.retire_member(session, actor=CLI_ACTOR, code=args.code, on=on)
            print(
                f"Member {retired.code} ({retired.name}) retired on {retired.retired_on}: left out of rounds opening "
                "from that day; its answers stay."
            )
        elif args.member_command == "reinstate":
            back = members.reinstate_member(session, actor=CLI_ACTOR, code=args.code)
            print(f"Member {back.code} ({back.name}) reinstated: it is in the rounds that open from now on.")
        elif args.member_command == "shape":
            shape = None if args.clear else _shape(args.file)
            changed = members.set_member_shape(session, actor=CLI_ACTOR, code=args.code, shape=shape)
            print(f"Member {changed.code}: " + ("own shape stored." if shape else "back to the shipped map's shape."))
    return 0


def _shape(path_text: str) -> dict[str, object]:
    path = Path(path_text)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"The shape file {path_text} cannot be read: {exc.strerror or exc}.") from None
    return members.parse_shape(data, path.name)


def format_members(rows: list[members.MemberRow]) -> str:
    table = [("code", "name", "state", "map shape", "surveys")]
    table += [(r.code, r.name, r.state, r.shape, str(r.surveys)) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in table)
