"""What the sign-in knows of the connection: the address failed sign-ins count against, and HTTPS for the cookie."""

from __future__ import annotations

import pytest

from mcwg_dashboard.ui.auth import client_from
from mcwg_dashboard.web_routes import served_over_https


@pytest.mark.parametrize(
    ("ip", "forwarded", "behind_proxy", "expected"),
    [
        ("198.51.100.7", "", False, "198.51.100.7"),
        ("10.0.0.2", "203.0.113.9, 10.0.0.2", False, "10.0.0.2"),  # a header anyone can send is not trusted
        ("10.0.0.2", "203.0.113.9, 10.0.0.2", True, "203.0.113.9"),
        ("10.0.0.2", "", True, "10.0.0.2"),
        ("", "", False, "unknown"),
    ],
)
def test_failed_sign_ins_count_against_the_browser_address(
    ip: str, forwarded: str, behind_proxy: bool, expected: str
) -> None:
    assert client_from(ip, forwarded, behind_proxy=behind_proxy) == expected


@pytest.mark.parametrize(
    ("url", "forwarded_proto", "behind_proxy", "secure"),
    [
        ("https://mcwg.example.org/", "", False, True),
        ("http://localhost:8501/", "", False, False),
        ("http://app:8501/", "https", True, True),  # TLS ends at the proxy
        ("http://app:8501/", "https", False, False),
        ("https://mcwg.example.org/", "http", True, False),
    ],
)
def test_the_sign_in_cookie_is_secure_when_the_browser_came_over_https(
    url: str, forwarded_proto: str, behind_proxy: bool, secure: bool
) -> None:
    assert served_over_https(url, forwarded_proto, behind_proxy=behind_proxy) is secure
