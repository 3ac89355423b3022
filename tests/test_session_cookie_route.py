"""The server sets the sign-in cookie: HttpOnly, SameSite=Strict, Secure over HTTPS, only for a fresh signed code."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from mcwg_dashboard import web_routes
from mcwg_dashboard.config import get_settings
from mcwg_dashboard.db import make_engine
from mcwg_dashboard.services import users
from mcwg_dashboard.services.setup import initialise
from tests.helpers import ADMIN

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def signed_in(external_database: str) -> Iterator[tuple[str, str]]:
    """A token for a fresh account on the app's database, and the secret that signs it."""
    web_routes._engine.cache_clear()
    engine = make_engine(external_database)
    initialise(engine, get_settings())
    with Session(engine) as session:
        users.create_user(
            session,
            actor=ADMIN,
            data={"username": "marie", "role": "member", "password": "correct horse battery"},
        )
        secret = users.session_secret(session)
        token = users.issue_session_token(session, username="marie", secret=secret)
    engine.dispose()
    yield token, secret
    web_routes._engine.cache_clear()


def _client(base_url: str = "http://testserver") -> TestClient:
    return TestClient(Starlette(routes=web_routes.routes()), base_url=base_url)


def test_a_fresh_code_gets_an_httponly_strict_cookie_holding_the_token(signed_in: tuple[str, str]) -> None:
    token, secret = signed_in
    code = web_routes.handoff_code(token, secret=secret)
    response = _client().post(web_routes.SESSION_PATH, json={"code": code})
    assert response.status_code == 204
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"mcwg_session={token};")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie, "plain HTTP (localhost): a Secure cookie would never come back"
    assert web_routes.delivered(code)


def test_over_https_the_cookie_is_secure(signed_in: tuple[str, str]) -> None:
    token, secret = signed_in
    response = _client("https://mcwg.example.org").post(
        web_routes.SESSION_PATH, json={"code": web_routes.handoff_code(token, secret=secret)}
    )
    assert "Secure" in response.headers["set-cookie"]


@pytest.mark.parametrize(
    "case", ["not signed", "other secret", "expired", "signed-out account", "no json", "other origin"]
)
def test_anything_but_a_fresh_code_from_this_app_is_refused(
    signed_in: tuple[str, str], monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    token, secret = signed_in
    code = web_routes.handoff_code(token, secret=secret)
    headers = dict(JSON)
    body: object = {"code": code}
    if case == "not signed":
        body = {"code": token}
    elif case == "other secret":
        body = {"code": web_routes.handoff_code(token, secret="another-secret-of-enough-length")}
    elif case == "expired":
        now = time.time()
        monkeypatch.setattr(time, "time", lambda: now + web_routes.HANDOFF_SECONDS + 5)
    elif case == "signed-out account":
        engine = make_engine(get_settings().effective_database_url)
        with Session(engine) as session:
            users.sign_out_everywhere(session, actor=users.actor_for(users._get(session, "marie")))
        engine.dispose()
    elif case == "other origin":
        headers["Origin"] = "https://evil.example"
    if case == "no json":
        response = _client().post(web_routes.SESSION_PATH, data={"code": code})  # a cross-site form could send this
    else:
        response = _client().post(web_routes.SESSION_PATH, json=body, headers=headers)
    assert response.status_code in (400, 403)
    assert "set-cookie" not in response.headers


def test_sign_out_removes_the_cookie(signed_in: tuple[str, str]) -> None:
    response = _client().post(web_routes.END_PATH, json={"code": "a-random-nonce"})
    assert response.status_code == 204
    assert web_routes.delivered("a-random-nonce")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith('mcwg_session="";') and "Max-Age=0" in cookie and "HttpOnly" in cookie
