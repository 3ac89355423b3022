"""HTTP routes served beside the Streamlit app (serve.py): the sign-in cookie, set and removed by the server.

A cookie written by a script in the page cannot be HttpOnly, so any script that ever ran in the page could read
it. Instead the page hands the server a short-lived signed code (`handoff_code`) for the token it was issued,
and the server answers with the cookie: HttpOnly, SameSite=Strict, and Secure when the browser came over HTTPS.
Streamlit reads it back from the websocket handshake (`st.context.cookies`) after a reload. The routes never
take a token as such: only a code signed with the database's session secret, valid for two minutes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import lru_cache
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mcwg_dashboard.config import get_settings
from mcwg_dashboard.db import make_engine
from mcwg_dashboard.services import users

COOKIE = "mcwg_session"
COOKIE_DAYS = 14
SESSION_PATH = "/mcwg/session"
END_PATH = "/mcwg/session/end"
HANDOFF_SECONDS = 120
_HANDOFF_SALT = "mcwg-cookie-handoff"
_delivered: OrderedDict[str, None] = OrderedDict()
_delivered_lock = threading.Lock()


def served_over_https(page_url: str, forwarded_proto: str, *, behind_proxy: bool) -> bool:
    """Whether the browser reached us over HTTPS: then the cookie is Secure (never sent over plain HTTP).

    Behind a TLS-terminating proxy the app itself is reached over HTTP; the proxy's X-Forwarded-Proto says how
    the browser came, and is trusted only when MCWG_BEHIND_PROXY is set."""
    if behind_proxy and forwarded_proto:
        return forwarded_proto.split(",")[0].strip().lower() == "https"
    return page_url.lower().startswith("https://")


def handoff_code(token: str, *, secret: str) -> str:
    """What the page sends to have its sign-in token set as a cookie."""
    return URLSafeTimedSerializer(secret, salt=_HANDOFF_SALT).dumps(token)


def delivered(code: str) -> bool:
    """Whether this server has set (or removed) the cookie for this code: the page stops asking."""
    with _delivered_lock:
        return code in _delivered


def _mark_delivered(code: str) -> None:
    with _delivered_lock:
        _delivered[code] = None
        while len(_delivered) > 1000:
            _delivered.popitem(last=False)


def routes() -> list[BaseRoute]:
    return [
        Route(SESSION_PATH, set_session_cookie, methods=["POST"]),
        Route(END_PATH, end_session_cookie, methods=["POST"]),
    ]


async def set_session_cookie(request: Request) -> Response:
    if not _same_origin_json(request):
        return Response("Refused: not a request of this app's pages.", status_code=403)
    try:
        code = str((await request.json()).get("code", ""))
    except ValueError:
        return Response("Refused: the body is not JSON.", status_code=400)
    token = _token_in(code)
    if token is None:
        return Response("Refused: the code is unknown or expired; sign in again.", status_code=400)
    response = Response(status_code=204)
    response.set_cookie(
        COOKIE,
        token,
        max_age=COOKIE_DAYS * 24 * 3600,
        path="/",
        httponly=True,
        samesite="strict",
        secure=_https(request),
    )
    _mark_delivered(code)
    return response


async def end_session_cookie(request: Request) -> Response:
    if not _same_origin_json(request):
        return Response("Refused: not a request of this app's pages.", status_code=403)
    try:
        nonce = str((await request.json()).get("code", ""))[:64]
    except ValueError:
        nonce = ""
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=_https(request))
    if nonce:
        _mark_delivered(nonce)
    return response


def _token_in(code: str) -> str | None:
    """The sign-in token inside a fresh, well-signed code, if it still names an active account."""
    settings = get_settings()
    with Session(_engine(settings.effective_database_url)) as session:
        secret = users.session_secret(session)
        try:
            token = URLSafeTimedSerializer(secret, salt=_HANDOFF_SALT).loads(code, max_age=HANDOFF_SECONDS)
        except BadSignature:
            return None
        if not isinstance(token, str) or users.actor_from_token(session, token, secret=secret) is None:
            return None
        return token


def _same_origin_json(request: Request) -> bool:
    """Only this app's own pages call these routes: a JSON body (another site's form cannot send one without
    asking first) and, when the browser names it, an Origin on this host."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return False
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc == request.headers.get("host", "")


def _https(request: Request) -> bool:
    return served_over_https(
        str(request.url), request.headers.get("x-forwarded-proto", ""), behind_proxy=get_settings().behind_proxy
    )


@lru_cache(maxsize=4)
def _engine(url: str) -> Engine:
    return make_engine(url)
