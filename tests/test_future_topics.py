"""Possible future topics: seeded from the deck, kept by the focus group only, audited, conflicts detected;
listed on the Plenary page (read-only) and edited on the Checklist page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from mcwg_dashboard.config import Settings
from mcwg_dashboard.models import AuditEntry, FutureTopic, User
from mcwg_dashboard.services import future_topics
from mcwg_dashboard.services.actors import Actor, Role
from mcwg_dashboard.services.errors import ConflictError, PermissionDenied, ValidationFailed
from mcwg_dashboard.services.setup import initialise
from mcwg_dashboard.ui.future_topics import topic_list_markdown
from tests.helpers import ADMIN, MEMBER, REP_FR
from tests.test_app_pages import _dashboard

DECK = [
    "DICOMweb with XCA-I",
    "Image compression",
    "URL management",
    "Security/privacy",
    "Imaging report",
    "Reformatting the recommendations",
]


def _titles(session: Session, *, include_retired: bool = False) -> list[str]:
    return list(future_topics.topic_frame(session, include_retired=include_retired)["title"])


def _topic(session: Session, title: str) -> FutureTopic:
    return session.exec(select(FutureTopic).where(FutureTopic.title == title)).one()


def test_init_seeds_the_decks_topics_once_audited_as_the_set_up(engine: Engine, session: Session) -> None:
    assert _titles(session) == DECK
    seeded = session.exec(select(AuditEntry).where(AuditEntry.action == "add_future_topic")).all()
    assert len(seeded) == 6 and {e.actor for e in seeded} == {"system"}
    # Running init again adds nothing, also after the focus group retired or edited topics.
    topic = _topic(session, "Image compression")
    future_topics.retire_topic(session, actor=ADMIN, topic_id=topic.id or 0, expected_version=topic.version)
    initialise(engine, Settings(database_url=str(engine.url.render_as_string(hide_password=False))))
    assert len(_titles(session, include_retired=True)) == 6
    assert "Image compression" not in _titles(session)


@pytest.mark.parametrize("actor", [MEMBER, REP_FR], ids=["member", "country_rep"])
def test_only_the_focus_group_changes_the_list(session: Session, actor: Actor) -> None:
    topic = _topic(session, "URL management")
    calls: list[Any] = [
        lambda: future_topics.add_topic(session, actor=actor, title="Patient consent"),
        lambda: future_topics.edit_topic(
            session, actor=actor, topic_id=topic.id or 0, expected_version=topic.version, title="URLs"
        ),
        lambda: future_topics.retire_topic(session, actor=actor, topic_id=topic.id or 0, expected_version=1),
        lambda: future_topics.move_topic(session, actor=actor, topic_id=topic.id or 0, expected_version=1, step=-1),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert _titles(session) == DECK


def test_an_admin_account_disabled_meanwhile_may_not_write(session: Session) -> None:
    session.add(User(username="fg-admin", role=Role.ADMIN.value, password_hash="x", is_active=False))
    session.commit()
    with pytest.raises(PermissionDenied, match="account was disabled"):
        future_topics.add_topic(session, actor=ADMIN, title="Patient consent")


@pytest.mark.parametrize(
    ("title", "note", "field"),
    [("", "", "title"), ("ab", "", "title"), ("x" * 201, "", "title"), ("Fine title", "n" * 2001, "note")],
)
def test_input_is_checked_and_the_message_names_the_field(session: Session, title: str, note: str, field: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        future_topics.add_topic(session, actor=ADMIN, title=title, note=note)
    assert list(error.value.problems) == [field]
    assert _titles(session) == DECK


def test_a_topic_already_on_the_list_is_refused(session: Session) -> None:
    with pytest.raises(ValidationFailed, match="already on the list") as error:
        future_topics.add_topic(session, actor=ADMIN, title="  url MANAGEMENT ")
    assert list(error.value.problems) == ["title"]


def test_add_edit_retire_restore_and_move_are_audited(session: Session) -> None:
    added = future_topics.add_topic(session, actor=ADMIN, title="  Patient consent ", note="Raised in *plenary*")
    assert _titles(session)[-1] == "Patient consent"
    edited = future_topics.edit_topic(
        session, actor=ADMIN, topic_id=added.id or 0, expected_version=added.version, title="Consent", note=""
    )
    assert (edited.title, edited.version, edited.updated_by) == ("Consent", 2, "fg-admin")
    moved = future_topics.move_topic(session, actor=ADMIN, topic_id=added.id or 0, expected_version=2, step=-1)
    assert _titles(session)[-2:] == ["Consent", "Reformatting the recommendations"]
    retired = future_topics.retire_topic(session, actor=ADMIN, topic_id=added.id or 0, expected_version=moved.version)
    assert "Consent" not in _titles(session) and "Consent" in _titles(session, include_retired=True)
    future_topics.restore_topic(session, actor=ADMIN, topic_id=added.id or 0, expected_version=retired.version)
    assert _titles(session)[-1] == "Consent"
    entries = session.exec(
        select(AuditEntry).where(AuditEntry.entity == "futuretopic", AuditEntry.actor == "fg-admin")
    ).all()
    assert [e.action for e in entries] == [
        "add_future_topic",
        "edit_future_topic",
        "move_future_topic",
        "retire_future_topic",
        "restore_future_topic",
    ]
    assert entries[1].before is not None and entries[1].before["title"] == "Patient consent"
    assert entries[1].after is not None and entries[1].after["title"] == "Consent"


def test_a_stale_edit_is_refused_and_nothing_is_written(session: Session) -> None:
    topic = _topic(session, "Imaging report")
    future_topics.edit_topic(session, actor=ADMIN, topic_id=topic.id or 0, expected_version=1, title="Imaging reports")
    before = len(session.exec(select(AuditEntry)).all())
    with pytest.raises(ConflictError, match="changed by fg-admin since you loaded it"):
        future_topics.edit_topic(session, actor=ADMIN, topic_id=topic.id or 0, expected_version=1, title="Reports")
    with pytest.raises(ConflictError):
        future_topics.retire_topic(session, actor=ADMIN, topic_id=topic.id or 0, expected_version=1)
    assert "Imaging reports" in _titles(session)
    assert len(session.exec(select(AuditEntry)).all()) == before


def test_the_list_shows_user_text_as_text() -> None:
    import pandas as pd

    shown = topic_list_markdown(pd.DataFrame({"title": ["**Bold** [link](x)"], "note": ["<b>html</b>\n# head"]}))
    assert shown == r"1. **\*\*Bold\*\* \[link\](x)** — \<b\>html\</b\> \# head"


# --- pages --------------------------------------------------------------------------------------------------------


def test_the_plenary_page_lists_the_topics_without_an_editor(isolated_settings: Path) -> None:
    at = _dashboard("mcwg_dashboard/views/plenary.py", actor="admin")
    listing = next(m.value for m in at.markdown if "DICOMweb with XCA-I" in m.value)
    assert [line.split("**")[1] for line in listing.splitlines()] == DECK
    assert "Add topic" not in [b.label for b in at.button], "no editing in plenary mode"


def test_an_admin_adds_a_topic_on_the_checklist_page_and_the_plenary_sees_it(isolated_settings: Path) -> None:
    at = _dashboard("mcwg_dashboard/views/checklist.py", actor="admin")
    at.text_input(key="ft_new_title").input("Patient consent for cross-border access")
    at.text_area(key="ft_new_note").input("Raised by Norway")
    next(b for b in at.button if b.label == "Add topic").click().run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    listing = next(m.value for m in at.markdown if "DICOMweb with XCA-I" in m.value)
    assert listing.splitlines()[-1] == "7. **Patient consent for cross-border access** — Raised by Norway"
    plenary = _dashboard("mcwg_dashboard/views/plenary.py", actor="member")
    assert any("Patient consent for cross-border access" in m.value for m in plenary.markdown)


def test_an_admin_sees_the_refusal_and_keeps_the_input(isolated_settings: Path) -> None:
    at = _dashboard("mcwg_dashboard/views/checklist.py", actor="admin")
    at.text_input(key="ft_new_title").input("Image compression")
    next(b for b in at.button if b.label == "Add topic").click().run()
    assert any("already on the list" in e.value for e in at.error)
    assert at.text_input(key="ft_new_title").value == "Image compression"


def test_members_see_the_list_on_the_checklist_page_but_no_editor(isolated_settings: Path) -> None:
    at = _dashboard("mcwg_dashboard/views/checklist.py", actor="member")
    assert any("Reformatting the recommendations" in m.value for m in at.markdown)
    assert "Add topic" not in [b.label for b in at.button]
    assert not [e for e in at.expander if "Edit the list" in e.label]
