"""Widgets whose value lives in the URL (?key=value), so a filtered view can be shared as a link.

Streamlit's own `bind="query-params"` writes the displayed label into the URL; these write the stable
value (a country code, a round ID, an element ID) instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import streamlit as st

T = TypeVar("T")


def _write_url(key: str) -> None:
    value = st.session_state.get(key)
    if isinstance(value, list):
        st.query_params[key] = [str(v) for v in value]
    elif isinstance(value, bool):
        st.query_params[key] = "1" if value else "0"
    elif value is None:
        st.query_params.pop(key, None)
    else:
        st.query_params[key] = str(value)


def url_selectbox(
    label: str,
    options: Sequence[T],
    *,
    key: str,
    format_func: Callable[[T], str] = str,
    default: T | None = None,
    **kwargs: Any,
) -> T | None:
    if not options:
        st.selectbox(label, [], key=key, **kwargs)
        return None
    by_text = {str(o): o for o in options}
    raw = st.query_params.get(key)
    if raw in by_text:
        st.session_state[key] = by_text[raw]
    elif st.session_state.get(key) not in options:
        st.session_state[key] = default if default in options else options[0]
    value = st.selectbox(label, options, format_func=format_func, key=key, on_change=_write_url, args=(key,), **kwargs)
    _write_url(key)
    return value


def url_multiselect(
    label: str,
    options: Sequence[T],
    *,
    key: str,
    format_func: Callable[[T], str] = str,
    default: Sequence[T] = (),
    **kwargs: Any,
) -> list[T]:
    by_text = {str(o): o for o in options}
    raw = st.query_params.get_all(key)
    if raw:
        st.session_state[key] = [by_text[r] for r in raw if r in by_text]
    elif key not in st.session_state or any(v not in options for v in st.session_state[key]):
        st.session_state[key] = [d for d in default if d in options]
    values = st.multiselect(
        label, options, format_func=format_func, key=key, on_change=_write_url, args=(key,), **kwargs
    )
    if values:
        _write_url(key)
    else:
        st.query_params.pop(key, None)
    return list(values)


def url_toggle(label: str, *, key: str, default: bool = False, **kwargs: Any) -> bool:
    raw = st.query_params.get(key)
    if raw in ("0", "1"):
        st.session_state[key] = raw == "1"
    elif key not in st.session_state:
        st.session_state[key] = default
    value = st.toggle(label, key=key, on_change=_write_url, args=(key,), **kwargs)
    _write_url(key)
    return bool(value)
