"""Market readiness in the plenary outputs: members' gaps and the products whose vendor claims cover them, validated
claims on the deck's slide, published ones only on the published report's page, always labelled as vendor claims."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from PIL import Image
from pptx import Presentation
from pptx.presentation import Presentation as PresentationType
from pptx.slide import Slide
from sqlmodel import Session

from mcwg_dashboard.models import SurveyState, Vendor
from mcwg_dashboard.reports import readiness
from mcwg_dashboard.reports.data import load_plenary_data
from mcwg_dashboard.reports.deck import READINESS_TITLE, build_deck, deck_charts
from mcwg_dashboard.reports.publish import load_publish_data, write_site
from mcwg_dashboard.reports.slide_fit import overflowing_text
from mcwg_dashboard.services import products, surveys
from mcwg_dashboard.services.answer_data import PUBLISHED_STATES, SHARED_STATES
from tests.helpers import ADMIN
from tests.test_lifecycle import complete_answers, open_round_id, survey_in_state

GATEWAY = "Example Gateway 3 (Example Imaging)"  # validated, not published
PACS = "Example PACS 9 (Sample Archive Systems, demo)"  # published, a demo vendor's
VIEWER = "Example Viewer 2 (Example Imaging)"  # published, claims only Partially supported
DRAFT = "Draft Gateway 1 (Example Imaging)"  # a draft: shown nowhere
VENDOR_NOTE = "VENDOR-NOTE-xyz"
VENDOR_EVIDENCE = "https://vendor.example/internal-evidence"


def _product(
    session: Session, vendor: Vendor, name: str, version: str, product_type: str, answers: list[dict[str, str]]
) -> tuple[int, int]:
    """A product with its survey's answers saved, as a draft: (survey ID, version)."""
    product = products.add_product(
        session,
        actor=ADMIN,
        data={"vendor_id": vendor.id, "name": name, "version": version, "product_type": product_type},
    )
    survey = products.open_product_survey(session, actor=ADMIN, product_id=product.id or 0)
    survey = products.save_product_answers(
        session, actor=ADMIN, survey_id=survey.id or 0, answers=answers, expected_version=survey.version
    )
    return survey.id or 0, survey.version


def _bring_to(session: Session, survey_id: int, version: int, state: SurveyState) -> None:
    steps = [
        (SurveyState.SUBMITTED, products.submit_product_survey),
        (SurveyState.VALIDATED, products.validate_product_survey),
        (SurveyState.PUBLISHED, products.publish_product_survey),
    ]
    order = [SurveyState.DRAFT, *(target for target, _ in steps)]
    for target, step in steps:
        if order.index(target) > order.index(state):
            return
        version = step(session, actor=ADMIN, survey_id=survey_id, expected_version=version).version


def _member(session: Session, country: str, gaps: dict[str, str]) -> None:
    """The member's survey in the open round, published: Implemented everywhere but `gaps` (element -> status)."""
    survey = surveys.open_survey(session, actor=ADMIN, round_id=open_round_id(session), country_code=country)
    answers = [
        answer.model_copy(update={"status": gaps[answer.element_id], "note": "pilot in two regions"})
        if answer.element_id in gaps
        else answer
        for answer in complete_answers(session, survey.id or 0)
    ]
    surveys.save_answers(session, actor=ADMIN, survey_id=survey.id or 0, answers=answers)
    survey_in_state(session, SurveyState.PUBLISHED, country=country)


def _market(session: Session, *, validated: bool = True) -> int:
    """France has two gaps (KOS-16 partial, KOS-17 under consideration), Norway none; four products claim on them in
    four states. Returns the round's ID."""
    _member(session, "FR", {"KOS-16": "PART", "KOS-17": "CONS"})
    _member(session, "NO", {})
    imaging = products.add_vendor(session, actor=ADMIN, data={"name": "Example Imaging"})
    archive = products.add_vendor(session, actor=ADMIN, data={"name": "Sample Archive Systems"})
    archive.is_demo = True  # its products are demo data, labelled so wherever shown
    session.add(archive)
    session.commit()
    gateway = _product(
        session,
        imaging,
        "Example Gateway",
        "3",
        "GATEWAY",
        [{"element_id": "KOS-16", "status": "SUP"}, {"element_id": "KOS-17", "status": "VAR", "note": "as a plug-in"}],
    )
    pacs = _product(
        session,
        archive,
        "Example PACS",
        "9",
        "PACS",
        [
            {"element_id": "KOS-16", "status": "SUP", "note": VENDOR_NOTE, "evidence": VENDOR_EVIDENCE},
            {"element_id": "KOS-17", "status": "PLAN", "release": "9.2"},
        ],
    )
    viewer = _product(
        session,
        imaging,
        "Example Viewer",
        "2",
        "VIEWER",
        [{"element_id": "KOS-16", "status": "PART", "note": "shows the selection, cannot create one"}],
    )
    draft = _product(
        session,
        imaging,
        "Draft Gateway",
        "1",
        "GATEWAY",
        [{"element_id": "KOS-16", "status": "SUP"}, {"element_id": "KOS-17", "status": "SUP"}],
    )
    _bring_to(session, *gateway, SurveyState.VALIDATED if validated else SurveyState.SUBMITTED)
    _bring_to(session, *pacs, SurveyState.PUBLISHED if validated else SurveyState.SUBMITTED)
    _bring_to(session, *viewer, SurveyState.PUBLISHED if validated else SurveyState.SUBMITTED)
    _bring_to(session, *draft, SurveyState.DRAFT)
    return open_round_id(session)


# --- the gap table ------------------------------------------------------------------------------------------------


def test_validated_claims_cover_a_members_gaps_and_drafts_do_not(session: Session) -> None:
    round_id = _market(session)
    data = readiness.load_readiness(
        session, round_id=round_id, claim_states=products.VALIDATED_STATES, answer_states=SHARED_STATES
    )
    assert [p.label for p in data.products] == [PACS, GATEWAY, VIEWER]  # by type (products.yaml's order), no draft
    assert [p.label for p in data.not_published] == [GATEWAY]
    france = next(m for m in data.members if m.country_code == "FR")
    assert [(g.element_id, g.member_status_label, [p.label for p in g.products]) for g in france.gaps] == [
        ("KOS-16", "Partially implemented", [GATEWAY, PACS]),  # the viewer's partial support covers nothing
        ("KOS-17", "Under consideration", [GATEWAY]),  # Supported – variant covers; Planned for a release does not
    ]
    expected = pd.DataFrame(
        [
            ["France", 2, 2, f"{GATEWAY}: 2 gaps; {PACS}: 1 gap"],
            ["Norway", 0, 0, readiness.NO_GAP],
        ],
        columns=readiness.GAP_TABLE_COLUMNS,
    )
    pd.testing.assert_frame_equal(readiness.gap_table(data), expected)
    assert all("vendor claims" in column for column in readiness.GAP_TABLE_COLUMNS[2:])


def test_published_claims_only_for_the_public(session: Session) -> None:
    round_id = _market(session)
    data = readiness.load_readiness(
        session, round_id=round_id, claim_states=products.PUBLIC_STATES, answer_states=PUBLISHED_STATES
    )
    assert [p.label for p in data.products] == [PACS, VIEWER]
    table = readiness.gap_table(data)
    assert table.iloc[0].tolist() == ["France", 2, 1, f"{PACS}: 1 gap"]


def test_top_products_are_three_with_counts_and_the_rest_counted() -> None:
    def product(number: int) -> readiness.ClaimedProduct:
        return readiness.ClaimedProduct(number, f"Gateway {number}", "Vendor", "GATEWAY", "Imaging gateway", False, "")

    first, second, third, fourth = (product(n) for n in (1, 2, 3, 4))
    gaps = [
        readiness.MemberGap("KOS-16", "t", "KOS", "PART", "Partially implemented", (first, second, third, fourth)),
        readiness.MemberGap("KOS-17", "t", "KOS", "CONS", "Under consideration", (fourth,)),
        readiness.MemberGap("KOS-18", "t", "KOS", "NOPL", "Not planned", ()),
    ]
    member = readiness.MemberReadiness("FR", "France", tuple(gaps))
    assert len(member.covered) == 2
    # The most gaps first, ties by name: deterministic whatever order the claims were read in.
    assert readiness.top_products_text(member) == (
        "Gateway 4 (Vendor): 2 gaps; Gateway 1 (Vendor): 1 gap; Gateway 2 (Vendor): 1 gap; 1 more product"
    )
    assert readiness.top_products_text(readiness.MemberReadiness("NO", "Norway", gaps=(gaps[2],))) == (
        readiness.NOT_COVERED
    )


def test_a_product_surveyed_twice_keeps_the_claim_validated_last() -> None:
    old, new = dt.datetime(2025, 3, 1, tzinfo=dt.UTC), dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
    claims = pd.DataFrame(
        [
            [7, "Gateway 3", "Vendor", "GATEWAY", "KOS-16", "NOSUP", "", "", "", "validated", new, False],
            [7, "Gateway 3", "Vendor", "GATEWAY", "KOS-16", "SUP", "", "", "", "published", old, False],
        ],
        columns=products.CLAIM_COLUMNS,
    )
    latest = readiness._latest_claims(claims)
    assert latest[["element_id", "status"]].values.tolist() == [["KOS-16", "NOSUP"]]


# --- the deck -------------------------------------------------------------------------------------------------------


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (160, 76), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def _deck(session: Session, round_id: int) -> PresentationType:
    data = load_plenary_data(session, round_id=round_id)
    charts = deck_charts(data)
    return Presentation(io.BytesIO(build_deck(data, charts, {c.key: _png() for c in charts})))


def _title(slide: Slide) -> str:
    assert slide.shapes.title is not None
    return slide.shapes.title.text_frame.text


def _table(slide: Slide) -> list[list[str]]:
    shapes: list[Any] = [s for s in slide.shapes if s.has_table]
    (shape,) = shapes
    return [[cell.text for cell in row.cells] for row in shape.table.rows]


def test_deck_has_the_readiness_slide_with_validated_claims_and_it_fits(session: Session) -> None:
    deck = _deck(session, _market(session))
    titles = [_title(s) for s in deck.slides]
    assert titles.count(READINESS_TITLE) == 1
    assert titles.index(READINESS_TITLE) == titles.index("Change proposals") - 1
    slide = deck.slides[titles.index(READINESS_TITLE)]
    table = _table(slide)
    assert table[0] == readiness.GAP_TABLE_COLUMNS
    assert table[1:] == [
        ["France", "2", "2 of 2", f"{GATEWAY}: 2 gaps\n{PACS}: 1 gap"],  # a product per line
        ["Norway", "0", "0", readiness.NO_GAP],
    ]
    texts = "\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)
    assert "Vendor claims, never part of a member's adoption figure" in texts
    assert "1 not yet published: for the plenary only" in texts  # the gateway is validated, not published
    assert DRAFT not in texts and all(DRAFT not in cell for row in table for cell in row)
    notes = slide.notes_slide.notes_text_frame.text
    assert f"KOS-17 {_kos17_title(session)} (Under consideration): {GATEWAY}." in notes
    assert f"Validated but not yet published (for the plenary only, not to be shared outside it): {GATEWAY}." in notes
    assert overflowing_text(deck) == []


def _kos17_title(session: Session) -> str:
    from mcwg_dashboard.checklist import load_checklist

    return load_checklist().elements["KOS-17"].title


def test_deck_has_no_readiness_slide_before_any_claim_is_validated(session: Session) -> None:
    deck = _deck(session, _market(session, validated=False))
    titles = [_title(s) for s in deck.slides]
    assert not any(title.startswith("Market readiness") for title in titles)
    assert titles[-2:] == ["Change proposals", "Agenda: elements to discuss"]


# --- the published report ---------------------------------------------------------------------------------------


def test_report_page_shows_published_claims_only_labelled_as_vendor_claims(session: Session, tmp_path: Path) -> None:
    round_id = _market(session)
    site = tmp_path / "site"
    write_site(load_publish_data(session, round_id=round_id), site)
    page = (site / "readiness.html").read_text(encoding="utf-8")
    for other in ("index.html", "set-kos.html", "member-fr.html", "readiness.html"):
        assert '<a href="readiness.html">Market readiness</a>' in (site / other).read_text(encoding="utf-8")
    statement = "Vendor claims, validated and published by the focus group; not part of any member's adoption figure."
    assert statement in page
    assert PACS in page and VIEWER in page
    assert "Example Gateway" not in page and "Draft Gateway" not in page  # validated only, and a draft
    # France's summary: KOS-16 covered by the published PACS; KOS-17's only cover is the unpublished gateway.
    assert "<td>France</td><td>2</td><td>1</td>" in page
    members = pd.read_csv(site / "data" / "readiness-members.csv", encoding="utf-8-sig", keep_default_na=False)
    assert members.columns.tolist() == ["Member code", *readiness.GAP_TABLE_COLUMNS]
    assert members.values.tolist()[0] == ["FR", "France", 2, 1, f"{PACS}: 1 gap"]
    claims = pd.read_csv(site / "data" / "readiness-claims.csv", encoding="utf-8-sig", keep_default_na=False)
    assert sorted(set(claims["product"])) == ["Example PACS 9", "Example Viewer 2"]
    assert "note" not in claims.columns and "evidence" not in claims.columns
    assert claims[claims["element_id"] == "KOS-17"]["release"].tolist() == ["9.2"]
    gaps = pd.read_csv(site / "data" / "readiness-gaps-fr.csv", encoding="utf-8-sig", keep_default_na=False)
    assert gaps["covering_products_vendor_claims"].tolist() == [PACS, ""]
    assert not (site / "data" / "readiness-gaps-no.csv").exists()  # Norway has no gap: no table, no file
    for name in ("readiness-members", "readiness-claims", "readiness-gaps-fr"):
        assert f'href="data/{name}.csv"' in page
    # The matrix: the viewer is not asked about KOS-17, the PACS claims it planned.
    assert 'title="not asked of a Viewer"' in page and 'title="Planned for a release"' in page
    every = "".join(p.read_text(encoding="utf-8") for p in site.rglob("*") if p.is_file() and p.suffix != ".js")
    assert VENDOR_NOTE not in every and "vendor.example" not in every
    assert "readiness.html" in (site / "README.md").read_text(encoding="utf-8")


def test_report_page_says_so_when_no_product_survey_is_published(session: Session, tmp_path: Path) -> None:
    round_id = _market(session, validated=False)
    site = tmp_path / "site"
    write_site(load_publish_data(session, round_id=round_id), site)
    page = (site / "readiness.html").read_text(encoding="utf-8")
    assert "No product survey has been published yet." in page
    assert "<table" not in page
    assert not list((site / "data").glob("readiness-*.csv"))


@pytest.mark.parametrize("claim_states", [products.VALIDATED_STATES, products.PUBLIC_STATES])
def test_readiness_without_any_member_answer_lists_no_member(session: Session, claim_states: tuple[str, ...]) -> None:
    data = readiness.load_readiness(
        session, round_id=open_round_id(session), claim_states=claim_states, answer_states=SHARED_STATES
    )
    assert data.members == () and not data.has_claims
    assert readiness.gap_table(data).empty
