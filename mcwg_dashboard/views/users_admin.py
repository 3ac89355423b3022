"""Users (focus group): accounts, roles and countries; disable, enable, reset a password."""

import pandas as pd
import streamlit as st
from sqlmodel import select

from mcwg_dashboard.db import session_scope
from mcwg_dashboard.models import Country
from mcwg_dashboard.services import users
from mcwg_dashboard.services.actors import Role
from mcwg_dashboard.services.errors import ServiceError
from mcwg_dashboard.services.products import list_vendors
from mcwg_dashboard.ui.auth import current_user
from mcwg_dashboard.ui.context import get_engine

user = current_user()
engine = get_engine()
st.title("Users")

with session_scope(engine) as session:
    accounts = users.list_users(session, actor=user)
    waiting = users.usernames_waiting(session, actor=user)
    countries = {c.code: c.name for c in session.exec(select(Country).order_by(Country.name))}
    vendors = {v.id: v.name for v in list_vendors(session)}

flash = st.session_state.pop("users_flash", None)
if flash:
    (st.success if flash[0] == "success" else st.error)(flash[1])

st.dataframe(
    pd.DataFrame(
        [
            {
                "Username": a.username,
                "Name": a.display_name,
                "Role": a.role.replace("_", " "),
                "Countries": a.countries,
                "Vendor": vendors.get(a.vendor_id, "") if a.vendor_id else "",
                "Active": a.is_active,
                # A client must wait after failed sign-ins; the account itself is never locked.
                "Sign-in wait": a.username in waiting,
                "Demo": a.is_demo,
            }
            for a in accounts
        ]
    ),
    hide_index=True,
)


def _act(message: str, call: object) -> None:
    assert callable(call)
    with session_scope(engine) as session:
        try:
            call(session)
        except ServiceError as exc:
            st.session_state["users_flash"] = ("error", str(exc))
            return
    st.session_state["users_flash"] = ("success", message)


roles = [r.value for r in users.ACCOUNT_ROLES]
with st.expander("Add an account", icon=":material/person_add:"), st.form("add_user", clear_on_submit=False):
    username = st.text_input("Username", help="Lower-case letters, digits, dot, dash, underscore", max_chars=60)
    name = st.text_input("Name", max_chars=120)
    email = st.text_input("Email", max_chars=200)
    role = st.selectbox("Role", roles, format_func=lambda r: r.replace("_", " "))
    chosen = st.multiselect(
        "Countries (representatives only)", list(countries), format_func=lambda c: f"{countries[c]} ({c})"
    )
    vendor_choice = st.selectbox(
        "Vendor (vendor accounts only)",
        [None, *vendors],
        format_func=lambda v: "none" if v is None else vendors[v],
        help="Add vendors on the Products page first",
    )
    password = st.text_input("First password (at least 8 characters)", type="password", max_chars=1024)
    if st.form_submit_button("Add the account", type="primary"):
        data = {
            "username": username,
            "display_name": name,
            "email": email,
            "role": role,
            "countries": chosen,
            "vendor_id": vendor_choice if role == Role.VENDOR.value else None,
            "password": password,
        }
        _act(f"Account {username} added.", lambda s: users.create_user(s, actor=user, data=data))
        st.rerun()

if accounts:
    st.header("Change an account")
    names = [a.username for a in accounts]
    chosen_name = st.selectbox("Account", names, key="manage_user")
    account = next(a for a in accounts if a.username == chosen_name)
    left, right = st.columns(2)
    with left:
        new_role = st.selectbox(
            "Role", roles, index=roles.index(account.role), key=f"role:{account.username}",
            format_func=lambda r: r.replace("_", " "),
        )  # fmt: skip
        new_countries = st.multiselect(
            "Countries",
            list(countries),
            default=[c for c in account.countries.split(",") if c in countries],
            format_func=lambda c: f"{countries[c]} ({c})",
            key=f"countries:{account.username}",
        )
        new_vendor = st.selectbox(
            "Vendor (vendor accounts only)",
            [None, *vendors],
            index=[None, *vendors].index(account.vendor_id) if account.vendor_id in vendors else 0,
            format_func=lambda v: "none" if v is None else vendors[v],
            key=f"vendor:{account.username}",
        )
        if st.button("Save role and countries", key=f"save_role:{account.username}"):
            _act(
                f"{account.username} updated.",
                lambda s: users.update_user(
                    s,
                    actor=user,
                    username=account.username,
                    role=new_role,
                    countries=new_countries if new_role == Role.COUNTRY_REP.value else [],
                    vendor_id=new_vendor if new_role == Role.VENDOR.value else None,
                ),
            )
            st.rerun()
    with right:
        new_password = st.text_input("New password", type="password", key=f"reset:{account.username}", max_chars=1024)
        if st.button("Reset password", key=f"reset_button:{account.username}", disabled=len(new_password) < 8):
            _act(
                f"Password of {account.username} reset; their open sessions are signed out.",
                lambda s: users.reset_password(s, actor=user, username=account.username, new_password=new_password),
            )
            st.rerun()
        if account.is_active:
            if st.button("Disable the account", key=f"disable:{account.username}"):
                _act(
                    f"{account.username} disabled.",
                    lambda s: users.disable_user(s, actor=user, username=account.username),
                )
                st.rerun()
        elif st.button("Enable the account", key=f"enable:{account.username}"):
            _act(f"{account.username} enabled.", lambda s: users.enable_user(s, actor=user, username=account.username))
            st.rerun()
