"""Demo data and the command line."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from sqlmodel import Session, select

from mcwg_dashboard.checklist import rule_violations
from mcwg_dashboard.cli import build_parser, main
from mcwg_dashboard.db import make_engine
from mcwg_dashboard.excel.full_export import LONG_TABLE_DICTIONARY
from mcwg_dashboard.models import Answer, AuditEntry, Country, CountrySurvey, DeploymentProfile, SurveyRound, User
from mcwg_dashboard.services import surveys, users
from mcwg_dashboard.services.actors import Role
from mcwg_dashboard.services.demo import clear_demo, demo_accounts, is_demo_loaded, load_demo
from mcwg_dashboard.services.errors import InvalidState, PermissionDenied
from tests.excel_helpers import edit_answers
from tests.helpers import ADMIN, REP_FR, the_open_round


def test_demo_spans_three_rounds_and_every_member(session: Session) -> None:
    report = load_demo(session, actor=ADMIN)
    assert len(report.rounds) == 2
    rounds = list(session.exec(select(SurveyRound)))
    assert len(rounds) == 3
    assert all(r.is_demo for r in rounds if r.state == "closed")
    answered = {s.country_code for s in session.exec(select(CountrySurvey))}
    assert answered == {c.code for c in session.exec(select(Country))}
    statuses = {a.status for a in session.exec(select(Answer))}
    assert statuses >= {"IMPL", "VAR", "PART", "PLAN", "CONS", "NOPL", "NA"}
    assert all(s.is_demo for s in session.exec(select(CountrySurvey)))
    profiled = {p.survey_id for p in session.exec(select(DeploymentProfile))}
    assert profiled == {s.id for s in session.exec(select(CountrySurvey))}, "every demo survey has a profile"
    assert not {a.element_id for a in session.exec(select(Answer))} & {"SPP-01", "SPP-02", "SPP-03", "TRK-01"}


def test_demo_answers_keep_the_scale_rules(session: Session) -> None:
    load_demo(session, actor=ADMIN)
    for survey in session.exec(select(CountrySurvey)):
        checklist = surveys.survey_checklist(session, survey)
        applies = surveys.applicability(checklist, surveys.survey_profile(session, survey.id or 0))
        for element_id, answer in surveys.load_answers(session, survey_id=survey.id or 0).items():
            broken = rule_violations(
                checklist.scale, answer.status, answer.note, answer.target_date, applicable=applies[element_id]
            )
            assert broken == [], element_id


def test_demo_clear_removes_everything_synthetic(session: Session) -> None:
    load_demo(session, actor=ADMIN)
    with pytest.raises(InvalidState, match="already loaded"):
        load_demo(session, actor=ADMIN)
    clear_demo(session, actor=ADMIN)
    assert not is_demo_loaded(session)
    assert session.exec(select(Answer)).first() is None
    assert session.exec(select(CountrySurvey)).first() is None
    assert [r.name for r in session.exec(select(SurveyRound))] == [the_open_round(session).name]
    assert session.exec(select(DeploymentProfile)).first() is None


def test_only_admins_load_demo_data(session: Session) -> None:
    with pytest.raises(PermissionDenied):
        load_demo(session, actor=REP_FR)


def test_cli_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--help"])
    assert caught.value.code == 0
    out = capsys.readouterr().out
    for command in ("init", "demo"):
        assert command in out


def test_every_cli_command_is_in_the_readme() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name in subparsers.choices:
        assert f"python -m mcwg_dashboard {name}" in readme, f"README does not document `{name}`"


def test_cli_init_demo_and_clear(isolated_settings: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init"]) == 0
    assert "Survey round opened" in capsys.readouterr().out
    assert main(["init"]) == 0
    assert "Survey round opened" not in capsys.readouterr().out
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "synthetic answers" in out
    accounts = "demo-admin, rep-fr, rep-no, member, vendor"
    assert f"Demo accounts (password 'demo', removed with `demo --clear`): {accounts}." in out
    engine = make_engine(f"sqlite:///{isolated_settings / 'mcwg.sqlite3'}")
    with Session(engine) as session:
        assert is_demo_loaded(session)
    assert main(["demo", "--clear"]) == 0
    with Session(engine) as session:
        assert not is_demo_loaded(session)
        assert session.exec(select(Answer)).first() is None
    engine.dispose()


def test_cli_reports_a_broken_checklist_without_traceback(
    isolated_settings: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from mcwg_dashboard.config import get_settings

    (isolated_settings / "surveys").mkdir()
    (isolated_settings / "surveys" / "checklist.yaml").write_text("version: x\n")
    monkeypatch.setenv("MCWG_SURVEYS_DIR", str(isolated_settings / "surveys"))
    get_settings.cache_clear()
    assert main(["init"]) == 1
    err = capsys.readouterr().err
    assert "checklist.yaml: field 'date'" in err
    assert "Traceback" not in err


def test_demo_answers_are_never_dated_in_the_future(session: Session) -> None:
    load_demo(session, actor=ADMIN)
    now = dt.datetime.now(dt.UTC)
    assert all(a.answered_at <= now for a in session.exec(select(Answer)))
    assert all(s.updated_at <= now for s in session.exec(select(CountrySurvey)))


def test_cli_export_edit_import_round_trip(isolated_settings: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init"]) == 0
    workbook = isolated_settings / "fr.xlsx"
    assert (
        main(
            [
                "export-survey",
                "--country",
                "FR",
                "--round",
                f"{dt.date.today().year} adoption survey",
                "--out",
                str(workbook),
            ]
        )
        == 0
    )
    filled = isolated_settings / "fr-filled.xlsx"
    filled.write_bytes(edit_answers(workbook.read_bytes(), {"KIN-01": {"Status": "Partially implemented"}}))
    capsys.readouterr()
    assert main(["import-survey", str(filled)]) == 1, "PART without a note is an error"
    out = capsys.readouterr().out
    assert "Answers, row" in out and "column Note" in out
    filled.write_bytes(
        edit_answers(workbook.read_bytes(), {"KIN-01": {"Status": "Partially implemented", "Note": "Two regions"}})
    )
    assert main(["import-survey", str(filled), "--dry-run"]) == 0
    assert "Dry run: nothing was saved." in capsys.readouterr().out
    assert main(["import-survey", str(filled)]) == 0
    assert "Saved 1 answer(s)." in capsys.readouterr().out
    engine = make_engine(f"sqlite:///{isolated_settings / 'mcwg.sqlite3'}")
    with Session(engine) as session:
        answers = list(session.exec(select(Answer)))
        assert [(a.element_id, a.status, a.note) for a in answers] == [("KIN-01", "PART", "Two regions")]
    engine.dispose()


def test_cli_refuses_unknown_round_and_missing_file(
    isolated_settings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init"]) == 0
    assert main(["export-survey", "--country", "FR", "--round", "no such round", "--out", "x.xlsx"]) == 1
    assert "No survey round 'no such round'" in capsys.readouterr().err
    assert main(["import-survey", str(isolated_settings / "missing.xlsx")]) == 1
    assert "No such file" in capsys.readouterr().err


def test_cli_export_all_has_long_table_matrices_and_checklist(isolated_settings: Path) -> None:
    assert main(["demo"]) == 0
    out = isolated_settings / "all.xlsx"
    assert main(["export-all", "--out", str(out)]) == 0
    book = openpyxl.load_workbook(out, read_only=True)
    assert book.sheetnames[0] == "Answers"
    assert sum(name.startswith("Matrix ") for name in book.sheetnames) == 3
    assert {"Checklist", "Answer scale"} <= set(book.sheetnames)
    header = next(book["Answers"].iter_rows(max_row=1, values_only=True))
    assert {"Round", "Country", "Element", "Status", "Note", "Demo data"} <= set(header)
    answers = list(book["Answers"].iter_rows(min_row=2, values_only=True))
    stamped = header.index("Answered at (UTC)")
    assert all(isinstance(row[stamped], dt.datetime) for row in answers), "times stay times, not text"
    book.close()

    # The long table as open data: the same rows and columns (the documented dictionary) as CSV and Parquet.
    assert list(LONG_TABLE_DICTIONARY) == list(header)
    for file_format in ("csv", "parquet"):
        path = isolated_settings / f"all.{file_format}"
        assert main(["export-all", "--format", file_format, "--out", str(path)]) == 0
        # keep_default_na=False: the status code NA (Not applicable) is text, not a missing value.
        if file_format == "csv":
            table = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False)
        else:
            table = pd.read_parquet(path)
        assert list(table.columns) == list(LONG_TABLE_DICTIONARY)
        assert len(table) == len(answers)
        assert sorted(table["Status"]) == sorted(row[header.index("Status")] for row in answers)
    parquet = pd.read_parquet(isolated_settings / "all.parquet")
    assert str(parquet["Answered at (UTC)"].dtype).startswith("datetime64") and parquet["Demo data"].dtype == bool


def test_export_all_refuses_an_unknown_format(isolated_settings: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["export-all", "--format", "ods", "--out", str(isolated_settings / "all.ods")])
    assert "invalid choice: 'ods'" in capsys.readouterr().err


def test_full_export_is_for_the_focus_group_only(session: Session) -> None:
    from mcwg_dashboard.excel.full_export import full_export_bytes

    with pytest.raises(PermissionDenied):
        full_export_bytes(session, actor=REP_FR)


def test_demo_accounts_sign_in_with_demo_and_go_with_clear(session: Session) -> None:
    report = load_demo(session, actor=ADMIN)
    # init created the real "admin", so the demo admin is "demo-admin".
    assert report.accounts == ["demo-admin", "rep-fr", "rep-no", "member", "vendor"]
    assert report.notes == ["An account admin exists, so the demo one is demo-admin."]
    listed = demo_accounts(session)
    assert [username for username, _ in listed] == report.accounts
    assert dict(listed)["rep-fr"].startswith("country representative of FR")
    expected = {
        "demo-admin": (Role.ADMIN, frozenset()),
        "rep-fr": (Role.COUNTRY_REP, frozenset({"FR"})),
        "rep-no": (Role.COUNTRY_REP, frozenset({"NO"})),
        "member": (Role.MEMBER, frozenset()),
    }
    for username, (role, countries) in expected.items():
        actor = users.authenticate(session, username=username, password="demo")
        assert (actor.role, actor.countries) == (role, countries)
    assert all(u.is_demo for u in session.exec(select(User).where(User.username != "admin")))
    audit_text = str([(e.before, e.after) for e in session.exec(select(AuditEntry))])
    assert "$argon2" not in audit_text and "password" not in audit_text

    clear_demo(session, actor=ADMIN)
    assert [u.username for u in session.exec(select(User))] == ["admin"]
    assert demo_accounts(session) == []
    clear_entry = session.exec(select(AuditEntry).where(AuditEntry.action == "clear_demo")).one()
    assert clear_entry.before is not None and sorted(clear_entry.before["accounts"]) == sorted(report.accounts)


def test_demo_admin_is_called_admin_when_no_real_admin_exists(session: Session) -> None:
    session.delete(session.exec(select(User).where(User.username == "admin")).one())
    session.commit()
    report = load_demo(session, actor=ADMIN)
    assert report.accounts == ["admin", "rep-fr", "rep-no", "member", "vendor"]
    assert report.notes == []
    assert [username for username, _ in demo_accounts()] == report.accounts
    assert users.authenticate(session, username="admin", password="demo").role is Role.ADMIN


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def test_cli_init_prints_the_first_admin_password_once(
    isolated_settings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init"]) == 0
    out = capsys.readouterr().out
    first = [line for line in out.splitlines() if line.startswith("First admin created")]
    assert len(first) == 1
    password = first[0].split("with password ", 1)[1].split(" ", 1)[0]
    assert len(password) == 16
    assert first[0] == (
        f"First admin created: sign in as admin with password {password} — change it on the Account page."
    )
    assert main(["init"]) == 0
    assert "First admin" not in capsys.readouterr().out
    engine = make_engine(f"sqlite:///{isolated_settings / 'mcwg.sqlite3'}")
    with Session(engine) as session:
        assert users.authenticate(session, username="admin", password=password).role is Role.ADMIN
    engine.dispose()


def test_cli_user_add_list_disable_reset_round_trip(
    isolated_settings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["user", "list"]) == 1
    assert "run `python -m mcwg_dashboard init` first" in capsys.readouterr().err
    assert main(["init"]) == 0
    capsys.readouterr()
    add = ["user", "add", "marie", "--role", "country_rep", "--country", "FR", "--country", "be"]
    assert main([*add, "--name", "Marie Dupont", "--email", "marie@example.org", "--password", "first password"]) == 0
    assert capsys.readouterr().out.strip() == "Account marie created (country_rep for FR, BE)."
    assert main(["user", "add", "reader", "--role", "member", "--password", "reader password"]) == 0
    capsys.readouterr()

    assert main(["user", "list"]) == 0
    table = _lines(capsys.readouterr().out)
    assert table[0].split() == ["username", "role", "countries", "active", "sign-in", "wait"]
    assert [row.split() for row in table[1:]] == [
        ["admin", "admin", "-", "yes", "no"],
        ["marie", "country_rep", "FR,BE", "yes", "no"],
        ["reader", "member", "-", "yes", "no"],
    ]

    assert main(["user", "disable", "marie"]) == 0
    assert "disabled" in capsys.readouterr().out
    assert main(["user", "list"]) == 0
    assert ["marie", "country_rep", "FR,BE", "no", "no"] in [row.split() for row in _lines(capsys.readouterr().out)]
    assert main(["user", "enable", "marie"]) == 0
    assert main(["user", "reset-password", "marie", "--password", "second password"]) == 0
    assert "Password of marie changed" in capsys.readouterr().out

    engine = make_engine(f"sqlite:///{isolated_settings / 'mcwg.sqlite3'}")
    with Session(engine) as session:
        actor = users.authenticate(session, username="marie", password="second password")
        assert (actor.role, actor.countries, actor.display_name) == (
            Role.COUNTRY_REP,
            frozenset({"FR", "BE"}),
            "Marie Dupont",
        )
        text = str([(e.before, e.after) for e in session.exec(select(AuditEntry))])
        assert "first password" not in text and "second password" not in text and "$argon2" not in text
    engine.dispose()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["user", "add", "marie", "--role", "member", "--password", "longer one"], "'marie' is taken"),
        (["user", "add", "x", "--role", "member", "--password", "longer one"], "username: a username has 3 to 60"),
        (["user", "add", "pierre", "--role", "country_rep", "--password", "longer one"], "at least one country"),
        (["user", "add", "pierre", "--role", "country_rep", "--country", "XX", "--password", "longer one"], "XX"),
        (["user", "add", "pierre", "--role", "member", "--password", "short"], "at least 8 characters"),
        (["user", "disable", "nobody"], "There is no account 'nobody'."),
        (["user", "reset-password", "nobody", "--password", "longer one"], "There is no account 'nobody'."),
        (["user", "reset-password", "marie", "--password", "short"], "at least 8 characters"),
    ],
)
def test_cli_user_errors_are_one_line_without_traceback(
    isolated_settings: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["init"]) == 0
    assert main(["user", "add", "marie", "--role", "member", "--password", "marie password"]) == 0
    capsys.readouterr()
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert len(_lines(err)) == 1 and err.startswith("error: ")
    assert message in err
    assert "Traceback" not in err


def test_cli_prompts_for_the_password_twice(
    isolated_settings: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init"]) == 0
    answers = iter(["prompted password", "prompted password", "one password", "another password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["user", "add", "marie", "--role", "member"]) == 0
    capsys.readouterr()
    assert main(["user", "reset-password", "marie"]) == 1
    assert capsys.readouterr().err.strip() == "error: The two passwords differ; nothing was changed."
    engine = make_engine(f"sqlite:///{isolated_settings / 'mcwg.sqlite3'}")
    with Session(engine) as session:
        assert users.authenticate(session, username="marie", password="prompted password").username == "marie"
    engine.dispose()


def test_cli_round_list_open_close_reopen_with_names_or_ids(
    isolated_settings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo"]) == 0
    capsys.readouterr()
    assert main(["round", "list"]) == 0
    listed = _lines(capsys.readouterr().out)
    assert listed[0].split()[:5] == ["id", "name", "state", "opens", "closes"]
    assert any("2026 adoption survey" in line and " open " in line for line in listed)
    assert main(["round", "open", "2027 adoption survey", "--opens", "2027-01-15", "--closes", "2027-03-31"]) == 0
    opened = capsys.readouterr().out
    assert "'2027 adoption survey' opened" in opened and "draft(s) pre-filled" in opened
    assert main(["round", "close", "2027 adoption survey"]) == 0
    assert "closed" in capsys.readouterr().out
    with pytest.raises(SystemExit):  # --reason is required
        main(["round", "reopen", "2027 adoption survey"])
    capsys.readouterr()
    engine = make_engine(f"sqlite:///{isolated_settings / 'mcwg.sqlite3'}")
    with Session(engine) as session:
        new = session.exec(select(SurveyRound).where(SurveyRound.name == "2027 adoption survey")).one()
        entries = session.exec(select(AuditEntry).where(AuditEntry.entity_key == "2027 adoption survey")).all()
    engine.dispose()
    assert main(["round", "reopen", str(new.id), "--reason", "Two members asked for a week more."]) == 0
    assert "reopened" in capsys.readouterr().out
    assert {e.action for e in entries} >= {"close_round"} and all(e.actor == "cli" for e in entries)
    assert main(["round", "close", "no such round"]) == 1
    assert "No survey round 'no such round'" in capsys.readouterr().err
    assert main(["round", "open", "2028", "--opens", "next spring"]) == 1
    assert "is not a date" in capsys.readouterr().err


def test_the_readme_documents_every_column_of_the_long_table() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for column, meaning in LONG_TABLE_DICTIONARY.items():
        assert f"| {column} | {meaning} |" in readme, column
