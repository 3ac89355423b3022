"""The Products page and the products on a member's page, per role: who sees which vendor claims, a vendor answering
for its own product, the focus group validating it, and a member's gaps listing the products that cover them."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from mcwg_dashboard.db import make_engine
from mcwg_dashboard.models import ProductAnswer, ProductSurvey, SurveyState, User
from mcwg_dashboard.services import products, users
from tests.helpers import ADMIN
from tests.test_app_pages import _dashboard

PAGE = "mcwg_dashboard/views/products.py"
DEMO_PRODUCTS = {
    "Example PACS 9 (Example Imaging)": SurveyState.PUBLISHED,
    "Example Gateway 3 (Example Imaging)": SurveyState.PUBLISHED,
    "Sample VNA 4 (Sample Archive Systems)": SurveyState.PUBLISHED,
    "Example Viewer 2 (Example Imaging)": SurveyState.VALIDATED,
    "Sample RIS 7 (Sample Archive Systems)": SurveyState.SUBMITTED,
    "Demo Portal 1 (Demo Health Software)": SurveyState.DRAFT,
}


def _matrix_products(at: AppTest) -> set[str]:
    matrix = next(d.value for d in at.dataframe if "Product" in d.value.columns and "KOS-16" in d.value.columns)
    return set(matrix["Product"])


def _shown(*states: SurveyState) -> set[str]:
    return {name for name, state in DEMO_PRODUCTS.items() if state in states}


def test_each_audience_sees_the_claims_it_may(isolated_settings: Path) -> None:
    everything = _dashboard(PAGE, "admin")
    assert any("Demo data" in w.value for w in everything.warning), "made-up vendors are labelled demo"
    assert _matrix_products(everything) == _shown(*SurveyState), "the focus group sees every state"
    member = _dashboard(PAGE, "member")
    assert _matrix_products(member) == _shown(SurveyState.VALIDATED, SurveyState.PUBLISHED)
    public = _dashboard(PAGE, None)
    assert _matrix_products(public) == _shown(SurveyState.PUBLISHED)
    vendor = _dashboard(PAGE, "vendor")
    own = {name for name in DEMO_PRODUCTS if name.endswith("(Example Imaging)")}
    assert _matrix_products(vendor) == _shown(SurveyState.PUBLISHED) | own
    assert set(vendor.selectbox(key="product_pick").options) == own, "a vendor answers for its own products only"
    assert not [s for s in member.selectbox if s.key == "product_pick"], "a member changes no product"


def test_product_types_filter_the_matrix(isolated_settings: Path) -> None:
    at = _dashboard(PAGE, "admin")
    at.multiselect(key="product_types").set_value(["GATEWAY"]).run()
    assert _matrix_products(at) == {"Example Gateway 3 (Example Imaging)"}


def test_a_members_page_lists_the_products_that_cover_its_gaps(isolated_settings: Path) -> None:
    at = _dashboard("mcwg_dashboard/views/country.py", "member", country="AT")
    assert any(h.value == "Products that cover its gaps" for h in at.header)
    table = next(d.value for d in at.dataframe if "Products that say they support it (vendor claims)" in d.value)
    column = table["Products that say they support it (vendor claims)"]
    assert (column != "none yet").any(), "some demo product covers one of Austria's demo gaps"
    assert not column.str.contains("Sample RIS|Demo Portal").any(), "unvalidated claims never reach members"
    assert set(table["Member's answer"]) <= {
        "◐ Partially implemented",
        "◷ Planned",
        "? Under consideration",
        "✘ Not planned",
    }


def _vendor_set_up(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        vendor = products.add_vendor(session, actor=ADMIN, data={"name": "Example Imaging"})
        product = products.add_product(
            session,
            actor=ADMIN,
            data={"vendor_id": vendor.id, "name": "Example Gateway", "version": "3", "product_type": "GATEWAY"},
        )
        users.create_user(
            session,
            actor=ADMIN,
            data={"username": "vendor", "role": "vendor", "vendor_id": vendor.id, "password": "vendor password"},
        )
    engine.dispose()
    return vendor.id or 0, product.id or 0


def _stored(url: str) -> tuple[ProductSurvey | None, list[ProductAnswer]]:
    engine = make_engine(url)
    with Session(engine) as session:
        survey = session.exec(select(ProductSurvey)).first()
        answers = list(session.exec(select(ProductAnswer)))
    engine.dispose()
    return survey, answers


def _edit(at: AppTest, key: str, edits: dict[str, dict[str, str]]) -> None:
    """What a user's edits in the survey grid leave in its state (AppTest cannot type into a data editor)."""
    rows = products.load_product_survey().elements_for("GATEWAY")
    at.session_state[key] = {
        "edited_rows": {rows.index(element_id): change for element_id, change in edits.items()},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()


def test_a_vendor_answers_and_submits_and_the_focus_group_validates(external_database: str) -> None:
    _vendor_set_up(external_database)
    at = _dashboard(PAGE, "vendor")
    at.button(key="start_product_survey").click().run()
    survey, _ = _stored(external_database)
    assert survey is not None and survey.state == SurveyState.DRAFT.value
    editor = f"product_survey:{survey.id}:{survey.version}"
    _edit(at, editor, {"SPP-09": {"Claim": "✔ Supported"}, "KOS-16": {"Claim": "◷ Planned for a release"}})
    at.button(key=f"save_product:{survey.id}").click().run()
    assert any("names the release" in e.value for e in at.error), "a planned claim without its release is refused"
    assert _stored(external_database)[1] == [], "nothing is saved when one row is wrong"
    _edit(
        at,
        editor,
        {
            "SPP-09": {"Claim": "✔ Supported", "Evidence": "Integration statement, XCA-I"},
            "KOS-16": {"Claim": "◷ Planned for a release", "Release (if planned)": "3.2"},
        },
    )
    at.button(key=f"save_product:{survey.id}").click().run()
    assert any("2 answer(s) saved" in s.value for s in at.success)
    stored = {a.element_id: (a.status, a.release) for a in _stored(external_database)[1]}
    assert stored == {"SPP-09": ("SUP", ""), "KOS-16": ("PLAN", "3.2")}
    at.button(key=f"submit_product:{survey.id}").click().run()
    assert _stored(external_database)[0].state == SurveyState.SUBMITTED.value  # type: ignore[union-attr]
    review = _dashboard(PAGE, "admin")
    review.button(key=f"validate_product:{survey.id}").click().run()
    assert any("Validated" in s.value for s in review.success)
    assert _stored(external_database)[0].state == SurveyState.VALIDATED.value  # type: ignore[union-attr]
    engine = make_engine(external_database)
    with Session(engine) as session:
        assert session.exec(select(User).where(User.username == "vendor")).one().vendor_id is not None
    engine.dispose()
