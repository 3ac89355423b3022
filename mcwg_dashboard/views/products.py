"""Products (market readiness): which RIS, PACS, VNA, EHR/portal, gateway, viewer and registry products cover each
recommendation, from vendor claims the focus group validated; a vendor answers for its own products here."""

import pandas as pd
import streamlit as st

from mcwg_dashboard.db import session_scope
from mcwg_dashboard.models import SurveyState
from mcwg_dashboard.product_catalogue import load_product_survey
from mcwg_dashboard.services import products
from mcwg_dashboard.services.actors import Role
from mcwg_dashboard.ui.auth import current_user
from mcwg_dashboard.ui.context import get_engine
from mcwg_dashboard.ui.dashboard import checklist_of_round
from mcwg_dashboard.ui.products import (
    CLAIMS_NOTE,
    act,
    admin_registration,
    element_section,
    flash,
    matrix_section,
    register_section,
    review_buttons,
    state_line,
    survey_editor,
)
from mcwg_dashboard.ui.statement_import import statement_section
from mcwg_dashboard.ui.text import escape_markdown

user = current_user()
st.title("Products")
st.caption(CLAIMS_NOTE)
flash()

definition = load_product_survey()
checklist = checklist_of_round(None)
with session_scope(get_engine()) as session:
    register = products.products_frame(session, actor=user)
    vendors = [(v.id or 0, v.name) for v in products.list_vendors(session)]
    own_ids = [int(i) for i in register.loc[register["own"], "product_id"]] if not register.empty else []
    claims = products.claims_frame(session, states=products.visible_states(user))
    if user.role is Role.VENDOR and own_ids:
        # A vendor sees its own drafts and submissions next to what is validated of the others.
        mine = products.claims_frame(session, states=products.ALL_STATES, product_ids=own_ids)
        others = claims[~claims["product_id"].isin(own_ids)]
        claims = pd.concat([frame for frame in (others, mine) if not frame.empty] or [mine], ignore_index=True)
if not register.empty and bool(register["Demo"].any()):
    st.warning(
        "**Demo data.** Example Imaging, Sample Archive Systems and Demo Health Software are made-up vendors; "
        "their products and claims are invented to show the tool.",
        icon=":material/science:",
    )

if user.role is Role.VENDOR and user.vendor_id is None:
    st.error("This vendor account is not tied to a vendor: ask the focus group to set it on the Users page.")
register_section(register)
if checklist is not None:
    matrix_section(claims, checklist, definition)
    element_section(claims, checklist, definition)

editable = register[register["own"]] if not register.empty else register
if checklist is not None and not editable.empty:
    st.header("Answer for a product" if user.role is Role.VENDOR else "A product's statement and survey")
    labels = dict(zip(editable["product_id"], editable["Product"] + " (" + editable["Vendor"] + ")", strict=True))
    product_id = int(st.selectbox("Product", list(labels), format_func=lambda p: labels[p], key="product_pick"))
    with session_scope(get_engine()) as session:
        product = products.get_product(session, product_id)
        statement = products.statement_frame(session, product_id)
        results = products.connectathon_frame(session, product_id)
        survey = products.latest_product_survey(session, product_id)
        answers = products.survey_answers(session, survey.id or 0) if survey else {}
    st.markdown(f"**{escape_markdown(labels[product_id])}** · {definition.type_labels[product.product_type]}")
    statement_section(product, statement, results)
    st.subheader("Product survey")
    st.markdown(state_line(survey))
    if survey is None:
        if st.button("Start the product survey", type="primary", key="start_product_survey"):
            act(
                "Product survey started.",
                lambda s: products.open_product_survey(s, actor=user, product_id=product_id),
            )
            st.rerun()
    elif survey.state == SurveyState.DRAFT.value:
        survey_editor(survey, product.product_type, checklist, answers)
    else:
        st.caption("Only a draft can be changed; the focus group can send a submitted survey back.")
        if user.role is Role.ADMIN:
            review_buttons(survey)

if user.role is Role.ADMIN:
    admin_registration(vendors)
