"""The Products page's sections: the product x element matrix, who supports an element, one product's statement and
survey (answered by its vendor, reviewed by the focus group), and registering vendors and products."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st
from sqlmodel import Session

from mcwg_dashboard.checklist import AnswerScale, Checklist
from mcwg_dashboard.db import session_scope
from mcwg_dashboard.models import ProductSurvey, SurveyState
from mcwg_dashboard.product_catalogue import ProductSurveyDefinition, load_product_survey
from mcwg_dashboard.services import products
from mcwg_dashboard.services.actors import Actor, Role
from mcwg_dashboard.services.errors import ServiceError
from mcwg_dashboard.ui.context import get_engine
from mcwg_dashboard.ui.dashboard import downloads
from mcwg_dashboard.ui.text import escape_markdown

FLASH = "products_flash"
CLAIMS_NOTE = (
    "Vendor claims: what each vendor says its product does, shown to members once the focus group validated it and "
    "to the public once published. They are never part of a member's adoption figures."
)


def flash() -> None:
    message = st.session_state.pop(FLASH, None)
    if message:
        (st.success if message[0] == "success" else st.error)(message[1])


def act(message: str, call: Callable[[Session], Any]) -> bool:
    """Run one service call in its own session; its outcome is shown at the top of the page after the rerun."""
    with session_scope(get_engine()) as session:
        try:
            call(session)
        except ServiceError as exc:
            st.session_state[FLASH] = ("error", escape_markdown(str(exc)))
            return False
    st.session_state[FLASH] = ("success", message)
    return True


def product_matrix(claims: pd.DataFrame, checklist: Checklist, definition: ProductSurveyDefinition) -> pd.DataFrame:
    """Products as rows, elements as columns, a glyph per claim ('' where the element is not asked of the type)."""
    glyphs = {s.code: s.glyph for s in definition.statuses}
    order = [e for e in checklist.elements if e in definition.applicability]
    rows = []
    for (product, vendor, product_type), group in claims.groupby(["product", "vendor", "product_type"], sort=True):
        by_element = dict(zip(group["element_id"], group["status"], strict=True))
        applicable = set(definition.elements_for(str(product_type)))
        row: dict[str, str] = {
            "Product": f"{product} ({vendor})",
            "Type": definition.type_labels.get(str(product_type), str(product_type)),
        }
        for element_id in order:
            if element_id in applicable:
                row[element_id] = glyphs.get(by_element.get(element_id, definition.default.code), "?")
            else:
                row[element_id] = ""
        rows.append(row)
    return pd.DataFrame(rows, columns=["Product", "Type", *order])


def matrix_section(claims: pd.DataFrame, checklist: Checklist, definition: ProductSurveyDefinition) -> None:
    st.header("Products × elements")
    types = definition.type_labels
    chosen = st.multiselect(
        "Product types", list(types), default=list(types), format_func=lambda t: types[t], key="product_types"
    )
    sets = [s.code for s in checklist.sets if any(e.set_code == s.code for e in _asked(checklist, definition))]
    chosen_sets = st.multiselect("Recommendation sets", sets, default=sets, key="product_sets")
    shown = claims[claims["product_type"].isin(chosen)]
    matrix = product_matrix(shown, checklist, definition)
    columns = ["Product", "Type", *[c for c in matrix.columns[2:] if checklist.elements[c].set_code in chosen_sets]]
    matrix = matrix[columns]
    if matrix.empty:
        st.info("No product survey of these types is visible to you yet.")
        return
    legend = " · ".join(f"{s.glyph} {s.label}" for s in definition.statuses) + " · (blank) not asked of this type"
    st.caption(legend)
    st.dataframe(matrix, hide_index=True)
    downloads(name="product element matrix", data=matrix)


def _asked(checklist: Checklist, definition: ProductSurveyDefinition) -> list[Any]:
    return [e for e in checklist.elements.values() if e.id in definition.applicability]


def element_section(claims: pd.DataFrame, checklist: Checklist, definition: ProductSurveyDefinition) -> None:
    st.header("Which products support an element")
    asked = _asked(checklist, definition)
    element_id = st.selectbox(
        "Element", [e.id for e in asked], format_func=lambda e: f"{e} {checklist.elements[e].title}", key="product_el"
    )
    of_element = claims[claims["element_id"] == element_id]
    labels = {s.code: s.display for s in definition.statuses}
    applies = ", ".join(definition.type_labels[t] for t in definition.applicability.get(str(element_id), ()))
    st.caption(f"Asked of: {applies}.")
    if of_element.empty:
        st.info("No visible product survey answers this element yet.")
        return
    table = pd.DataFrame(
        {
            "Product": of_element["product"] + " (" + of_element["vendor"] + ")",
            "Type": [definition.type_labels.get(t, t) for t in of_element["product_type"]],
            "Vendor claim": [labels.get(s, s) for s in of_element["status"]],
            "Covers it": [s in definition.covering for s in of_element["status"]],
            "Release": of_element["release"],
            "Evidence": of_element["evidence"],
            "Survey": of_element["survey_state"],
        }
    ).sort_values(["Covers it", "Product"], ascending=[False, True])
    st.dataframe(table, hide_index=True)


def register_section(register: pd.DataFrame) -> None:
    st.header("Registered products")
    if register.empty:
        st.info("No product is registered yet." + (" Add a vendor and a product below." if _is_admin() else ""))
        return
    shown = register[register["visible"]].drop(columns=["product_id", "type_code", "visible", "own"])
    st.dataframe(shown, hide_index=True, column_config={"Statement": st.column_config.LinkColumn("Statement")})
    hidden = int((~register["visible"]).sum())
    if hidden:
        st.caption(
            f"{hidden} more product(s) not shown: the focus group has not yet validated (for members) or published "
            "(for everyone) their survey."
        )


def _is_admin() -> bool:
    from mcwg_dashboard.ui.auth import current_user

    return current_user().role is Role.ADMIN


def admin_registration(vendors: list[tuple[int, str]]) -> None:
    """The focus group registers vendors and their products (vendors do not register themselves)."""
    st.header("Register a vendor or a product")
    left, right = st.columns(2)
    user = _user()
    with left, st.form("add_vendor"):
        name = st.text_input("Vendor name", max_chars=120)
        contact = st.text_input("Contact name", max_chars=120)
        email = st.text_input("Contact email", max_chars=200)
        if st.form_submit_button("Add the vendor", type="primary"):
            data = {"name": name, "contact_name": contact, "contact_email": email}
            act(f"Vendor {name} added.", lambda s: products.add_vendor(s, actor=user, data=data))
            st.rerun()
    definition = load_product_survey()
    with right, st.form("add_product"):
        names = dict(vendors)
        vendor_id = st.selectbox("Vendor", list(names), format_func=lambda v: names[v]) if names else None
        product_name = st.text_input("Product name", max_chars=120)
        version = st.text_input("Version", max_chars=40)
        type_labels = definition.type_labels
        product_type = st.selectbox("Type", list(type_labels), format_func=lambda t: type_labels[t])
        url = st.text_input("Integration statement link (optional)", max_chars=500)
        statement_date = st.date_input("Statement date (optional)", value=None, format="YYYY-MM-DD")
        if st.form_submit_button("Add the product", type="primary", disabled=not names):
            product: dict[str, Any] = {
                "vendor_id": vendor_id,
                "name": product_name,
                "version": version,
                "product_type": product_type,
                "statement_url": url,
                "statement_date": statement_date,
            }
            act(f"{product_name} {version} added.", lambda s: products.add_product(s, actor=user, data=product))
            st.rerun()


def _user() -> Actor:
    from mcwg_dashboard.ui.auth import current_user

    return current_user()


def survey_editor(survey: ProductSurvey, product_type: str, checklist: Checklist, answers: dict[str, Any]) -> None:
    """The vendor's (or the focus group's) form: one row per element asked of this type; Save keeps every change in
    one transaction, refused whole when one row is wrong or the survey changed meanwhile."""
    definition = load_product_survey()
    labels = {s.code: s.display for s in definition.statuses}
    by_label = {v: k for k, v in labels.items()}
    rows = []
    for element_id in definition.elements_for(product_type):
        stored = answers.get(element_id)
        rows.append(
            {
                "Element": element_id,
                "Title": checklist.elements[element_id].title if element_id in checklist.elements else "",
                "Claim": labels[stored.status if stored else definition.default.code],
                "Release (if planned)": stored.release if stored else "",
                "Evidence": stored.evidence if stored else "",
                "Note": stored.note if stored else "",
            }
        )
    original = pd.DataFrame(rows)
    requirements = "; ".join(
        f"{s.label} needs a {' and a '.join(s.requires)}" for s in definition.statuses if s.requires
    )
    st.caption(f"One row per element asked of this product type. {requirements}.")
    edited = st.data_editor(
        original,
        hide_index=True,
        disabled=["Element", "Title"],
        column_config={
            "Claim": st.column_config.SelectboxColumn("Claim", options=list(labels.values()), required=True),
            "Release (if planned)": st.column_config.TextColumn(max_chars=40),
            "Evidence": st.column_config.TextColumn(max_chars=500),
            "Note": st.column_config.TextColumn(max_chars=2000),
        },
        key=f"product_survey:{survey.id}:{survey.version}",
    )
    changed = [
        {
            "element_id": row["Element"],
            "status": by_label.get(row["Claim"], row["Claim"]),
            "release": row["Release (if planned)"] or "",
            "evidence": row["Evidence"] or "",
            "note": row["Note"] or "",
        }
        for row, before in zip(edited.to_dict("records"), original.to_dict("records"), strict=True)
        if row != before
    ]
    user = _user()
    left, right = st.columns(2)
    if left.button(
        f"Save {len(changed)} change(s)" if changed else "No changes to save",
        type="primary",
        disabled=not changed,
        key=f"save_product:{survey.id}",
    ):
        act(
            f"{len(changed)} answer(s) saved.",
            lambda s: products.save_product_answers(
                s, actor=user, survey_id=survey.id or 0, answers=changed, expected_version=survey.version
            ),
        )
        st.rerun()
    if right.button(
        "Submit to the focus group",
        disabled=bool(changed),
        help="Save your changes first" if changed else "The focus group validates it before anyone else sees it",
        key=f"submit_product:{survey.id}",
    ):
        act(
            "Submitted: the focus group reviews it before members see it.",
            lambda s: products.submit_product_survey(
                s, actor=user, survey_id=survey.id or 0, expected_version=survey.version
            ),
        )
        st.rerun()


def review_buttons(survey: ProductSurvey) -> None:
    """The focus group's steps: validate or send back a submitted survey, publish a validated one."""
    user = _user()
    survey_id, version = survey.id or 0, survey.version
    if survey.state == SurveyState.SUBMITTED.value:
        comment = st.text_input("Why it goes back (sent to the vendor)", key=f"back:{survey_id}", max_chars=2000)
        left, right = st.columns(2)
        if left.button("Validate", type="primary", key=f"validate_product:{survey_id}"):
            act(
                "Validated: members now see these vendor claims.",
                lambda s: products.validate_product_survey(
                    s, actor=user, survey_id=survey_id, expected_version=version
                ),
            )
            st.rerun()
        if right.button("Send back", key=f"send_back_product:{survey_id}", disabled=not comment.strip()):
            act(
                "Sent back to the vendor.",
                lambda s: products.send_back_product_survey(
                    s, actor=user, survey_id=survey_id, expected_version=version, comment=comment
                ),
            )
            st.rerun()
    elif survey.state == SurveyState.VALIDATED.value and st.button(
        "Publish", type="primary", key=f"publish_product:{survey_id}"
    ):
        act(
            "Published: the public now sees these vendor claims.",
            lambda s: products.publish_product_survey(s, actor=user, survey_id=survey_id, expected_version=version),
        )
        st.rerun()


def state_line(survey: ProductSurvey | None) -> str:
    if survey is None:
        return "Survey not started."
    text = f"Survey: **{survey.state}** (version {survey.version})"
    if survey.state_comment and survey.state == SurveyState.DRAFT.value:
        text += f" · sent back: {escape_markdown(survey.state_comment)}"
    return text


def product_gaps_section(
    answers: pd.DataFrame, claims: pd.DataFrame, scale: AnswerScale, *, member: str, name: str
) -> None:
    """On a member's page: its gaps on elements products are asked about, with the products whose claims cover each
    (vendor claims, kept apart from the member's figures)."""
    st.header("Products that cover its gaps")
    st.caption(
        "Gaps: elements the member answered partially implemented, planned, under consideration or not planned, "
        "among those products are asked about. " + CLAIMS_NOTE
    )
    gaps = products.member_gaps(answers, claims)
    if gaps.empty:
        st.info(f"{escape_markdown(member)} has no gap on an element products are asked about in this round.")
        return
    covered = int((gaps["product_count"] > 0).sum())
    if claims.empty:
        st.markdown("No vendor claim is visible to you yet.")
    else:
        counts = pd.Series([p for text in gaps["products"] if text for p in text.split("; ")]).value_counts()
        best = "; ".join(f"{escape_markdown(str(p))}: {n}" for p, n in counts.head(3).items())
        st.markdown(
            f"{covered} of {len(gaps)} gaps of {escape_markdown(member)} are covered by at least one product's claim."
            + (f" Closing the most gaps: {best}." if best else "")
        )
    labels = {s.code: s.display for s in scale.statuses}
    table = pd.DataFrame(
        {
            "Element": gaps["element_id"],
            "Title": gaps["element_title"],
            "Set": gaps["set_code"],
            "Member's answer": [labels.get(code, code) for code in gaps["member_status"]],
            "Products that say they support it (vendor claims)": gaps["products"].replace("", "none yet"),
        }
    )
    st.dataframe(table, hide_index=True)
    downloads(name=f"{name} gaps and products", data=table)
