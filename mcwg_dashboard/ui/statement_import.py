"""A product's integration statement on the Products page: what is stored, the Excel template, and an upload that is
checked and previewed before one transaction replaces the statement."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mcwg_dashboard.db import session_scope
from mcwg_dashboard.excel.integration_statement import (
    apply_statement_import,
    plan_statement_import,
    statement_template_bytes,
)
from mcwg_dashboard.excel.safety import UploadRejected
from mcwg_dashboard.models import Product
from mcwg_dashboard.services.errors import ServiceError
from mcwg_dashboard.ui.auth import current_user
from mcwg_dashboard.ui.context import get_engine
from mcwg_dashboard.ui.products import FLASH
from mcwg_dashboard.ui.text import escape_markdown


def statement_section(product: Product, statement: pd.DataFrame, results: pd.DataFrame) -> None:
    st.subheader("Integration statement")
    if product.statement_url:
        dated = f" ({product.statement_date.isoformat()})" if product.statement_date else ""
        st.markdown(
            f"The vendor's document: [{escape_markdown(product.statement_url)}]({product.statement_url}){dated}"
        )
    if statement.empty:
        st.info("No integration statement is imported yet: download the template, fill it in and upload it.")
    else:
        st.dataframe(statement, hide_index=True)
    if not results.empty:
        st.caption("Connectathon results")
        st.dataframe(results, hide_index=True)
    product_id = product.id or 0
    user = current_user()
    with session_scope(get_engine()) as session:
        template = statement_template_bytes(session, product_id=product_id)
    st.download_button(
        "Statement template (Excel)",
        template,
        file_name=f"integration-statement-{product_id}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"statement_template:{product_id}",
    )
    upload = st.file_uploader("Upload the filled template", type=["xlsx"], key=f"statement_upload:{product_id}")
    if upload is None:
        return
    with session_scope(get_engine()) as session:
        try:
            plan = plan_statement_import(
                session, actor=user, product_id=product_id, data=upload.getvalue(), filename=upload.name
            )
        except (ServiceError, UploadRejected) as exc:
            st.error(escape_markdown(str(exc)))
            return
    if plan.errors:
        st.error(
            f"{len(plan.errors)} problem(s): nothing was imported.\n\n"
            + "\n".join(f"- {escape_markdown(e)}" for e in plan.errors)
        )
        return
    st.markdown("**Preview** (nothing is saved yet)")
    st.code(plan.describe(), language=None, wrap_lines=True)
    if st.button(
        "Replace the statement with this file",
        type="primary",
        disabled=not plan.has_changes,
        help=None if plan.has_changes else "The file holds what is stored already",
        key=f"statement_apply:{product_id}",
    ):
        with session_scope(get_engine()) as session:
            try:
                lines, results_count = apply_statement_import(session, actor=user, plan=plan)
            except ServiceError as exc:
                st.session_state[FLASH] = ("error", escape_markdown(str(exc)))
            else:
                st.session_state[FLASH] = (
                    "success",
                    f"Integration statement imported: {lines} line(s), {results_count} Connectathon result(s).",
                )
        st.rerun()
