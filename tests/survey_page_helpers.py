"""Driving the survey grid in AppTest: cells cannot be clicked, so the editor's state is seeded, as the browser
would leave it after typing."""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest

from mcwg_dashboard.checklist import load_checklist

CHECKLIST = load_checklist()


def edit_grid(at: AppTest, scope: str, changes: dict[str, dict[str, Any]]) -> None:
    """Type `changes` ({element: {column: value}}) into the grids of their sets, keeping earlier unsaved edits."""
    generation = at.session_state[f"generation:{scope}"] if f"generation:{scope}" in at.session_state else 0  # noqa: SIM401
    for rec_set in CHECKLIST.asked_sets:
        ids = [e.id for e in rec_set.elements]
        mine = {ids.index(e): values for e, values in changes.items() if e in ids}
        if not mine:
            continue
        key = f"grid:{scope}:{rec_set.code}:{generation}"
        state = at.session_state[key] if key in at.session_state else {}  # noqa: SIM401
        edited = dict((state or {}).get("edited_rows", {}))
        for position, values in mine.items():
            edited[position] = {**edited.get(position, {}), **values}
        at.session_state[key] = {"edited_rows": edited, "added_rows": [], "deleted_rows": []}
    at.run()
