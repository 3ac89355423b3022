"""The survey page's state and actions: the saved baseline, one grid per set, one save for the whole survey,
confirmations, submit, and the guard against leaving with unsaved edits. The rules live in services/; the grid's
data mapping in ui/survey_grid.py."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from mcwg_dashboard.checklist import AnswerScale, RecommendationSet
from mcwg_dashboard.db import session_scope
from mcwg_dashboard.models import Answer, AuditEntry, CountrySurvey
from mcwg_dashboard.services import surveys
from mcwg_dashboard.services.errors import ConflictError, InvalidState, PermissionDenied, ValidationFailed
from mcwg_dashboard.services.lifecycle import confirm_carried_over
from mcwg_dashboard.ui.survey_excel import SurveyContext
from mcwg_dashboard.ui.survey_form import Baseline, baseline_from_answers, proposed_not_applicable
from mcwg_dashboard.ui.survey_grid import EDITABLE, Pending, edited_values, grid_frame, pending_changes, unsaved_summary
from mcwg_dashboard.ui.text import escape_markdown


@dataclass
class SurveyPageState:
    """What the page loaded from the database for one survey, and what the user has typed since."""

    ctx: SurveyContext
    survey: CountrySurvey | None
    answers: dict[str, Answer]
    applies: dict[str, bool]
    last_round: dict[str, str]

    @property
    def baseline(self) -> Baseline:
        key = f"baseline:{self.ctx.scope}"
        if key not in st.session_state:
            st.session_state[key] = baseline_from_answers(self.ctx.checklist, self.answers)
        baseline: Baseline = st.session_state[key]
        return baseline

    @property
    def proposed(self) -> set[str]:
        return proposed_not_applicable(self.ctx.checklist, self.baseline, self.applies)

    def editor_key(self, set_code: str) -> str:
        return f"grid:{self.ctx.scope}:{set_code}:{st.session_state.get(f'generation:{self.ctx.scope}', 0)}"

    def frame(self, rec_set: RecommendationSet) -> pd.DataFrame:
        flags: dict[str, list[str]] = {}
        for element_id, answer in self.answers.items():
            if answer.needs_reconfirmation:
                flags.setdefault(element_id, []).append("re-confirm: the element changed")
            elif answer.carried_over:
                flags.setdefault(element_id, []).append("carried over")
        return grid_frame(
            self.ctx.checklist,
            rec_set,
            self.baseline,
            proposed=self.proposed,
            applies=self.applies,
            last_round=self.last_round,
            flags=flags,
        )

    def edited(self) -> list[str]:
        """Elements the user edited in a grid and has not saved."""
        ids: list[str] = []
        for rec_set in self.ctx.checklist.asked_sets:
            state = st.session_state.get(self.editor_key(rec_set.code)) or {}
            rows = (state.get("edited_rows") or {}) if isinstance(state, dict) else {}
            ids += [
                rec_set.elements[int(position)].id
                for position, changes in rows.items()
                if any(column in EDITABLE for column in changes)
            ]
        return ids

    def pending(self) -> Pending:
        cells = {}
        for rec_set in self.ctx.checklist.asked_sets:
            cells.update(edited_values(self.frame(rec_set), st.session_state.get(self.editor_key(rec_set.code))))
        return pending_changes(self.ctx.checklist, self.baseline, cells)

    @property
    def unsaved(self) -> str:
        return unsaved_summary(self.ctx.checklist, self.edited())

    def reload(self) -> None:
        """Forget the baseline and every grid's edits: the next run shows what the database holds."""
        st.session_state.pop(f"baseline:{self.ctx.scope}", None)
        st.session_state.pop(f"problems:{self.ctx.scope}", None)
        generation = f"generation:{self.ctx.scope}"
        st.session_state[generation] = st.session_state.get(generation, 0) + 1
        st.session_state[f"full_rerun:{self.ctx.scope}"] = True

    def reload_with(self, message: str) -> None:
        self.reload()
        flash(self.ctx.scope, "success", message)


def flash(scope: str, kind: str, message: str) -> None:
    st.session_state[f"flash:{scope}"] = (kind, message)


def show_flash(scope: str) -> None:
    kind, message = st.session_state.pop(f"flash:{scope}", (None, None))
    if kind:
        {"success": st.success, "error": st.error, "info": st.info}[kind](escape_markdown(message))


def problems(scope: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = st.session_state.get(f"problems:{scope}", {})
    return found


def save(state: SurveyPageState) -> None:
    """One save for the whole survey: every changed answer in one transaction, or none."""
    ctx = state.ctx
    pending = state.pending()
    back_to_the_grid(ctx.scope)  # whatever the outcome, the keyboard goes on where it was
    if pending.problems:
        st.session_state[f"problems:{ctx.scope}"] = pending.problems
        flash(ctx.scope, "error", "Nothing was saved: some answers need attention (listed above their grid).")
        return
    if not pending.answers:
        flash(ctx.scope, "info", "There is nothing to save.")
        return
    with session_scope(ctx.engine) as session:
        try:
            survey = surveys.open_survey(session, actor=ctx.user, round_id=ctx.round_id, country_code=ctx.country_code)
            surveys.save_answers(session, actor=ctx.user, survey_id=survey.id or 0, answers=pending.answers)
        except ValidationFailed as exc:
            st.session_state[f"problems:{ctx.scope}"] = {
                element_id: [_with_field(message) for message in messages]
                for element_id, messages in exc.problems.items()
            }
            flash(ctx.scope, "error", "Nothing was saved: some answers need attention (listed above their grid).")
            return
        except (ConflictError, PermissionDenied, InvalidState) as exc:
            flash(ctx.scope, "error", f"{exc} Your input is kept.")
            return
    state.reload()
    flash(ctx.scope, "success", f"Saved {len(pending.answers)} answer(s).")
    back_to_the_grid(ctx.scope)


def _with_field(message: str) -> str:
    """Name the field a service message is about ("note: A note is required ..."), as the grid's own messages do."""
    lowered = message.lower()
    for field in ("target date", "note", "status"):
        if field in lowered:
            return f"{field}: {message}"
    return message


def set_details(rec_set: RecommendationSet, history: dict[str, list[AuditEntry]], scale: AnswerScale) -> None:
    """Explanations, standards and each element's saved history, one click away under its grid."""
    changes = sum(len(history.get(e.id, [])) for e in rec_set.elements)
    with st.expander(f"What the {rec_set.code} elements mean, and their history ({changes} saved change(s))"):
        for element in rec_set.elements:
            facts = [f"level {element.level_text}" if element.level_text else ""]
            facts.append("standards: " + "; ".join(element.standards) if element.standards else "")
            facts.append("applies to " + ", ".join(element.architectures))
            lines = [f"**{element.id} · {escape_markdown(element.title)}**", escape_markdown(element.explanation)]
            lines.append(":gray[" + escape_markdown(" · ".join(f for f in facts if f)) + "]")
            for entry in history.get(element.id, []):
                after = entry.after or {}
                status = str(after.get("status", ""))
                label = scale.get(status).display if status in scale.codes else status
                note = f" · note: {after['note']}" if after.get("note") else ""
                lines.append(escape_markdown(f"{entry.at:%Y-%m-%d %H:%M} UTC · {entry.actor} · {label}{note}"))
            st.markdown("  \n".join(lines))


def discard(state: SurveyPageState) -> None:
    state.reload()
    flash(state.ctx.scope, "info", "Your unsaved changes were discarded.")


def ask(scope: str, what: str) -> None:
    """Open an inline confirmation ("submit" or "confirm_carried") below the page's bar."""
    st.session_state[f"asking:{scope}"] = what


def asking(scope: str) -> str | None:
    value: str | None = st.session_state.get(f"asking:{scope}")
    return value


def _done(scope: str) -> None:
    st.session_state.pop(f"asking:{scope}", None)


def confirm_carried_panel(state: SurveyPageState, carried: list[str]) -> None:
    ctx = state.ctx
    with st.container(border=True):
        st.write(
            f"Confirm {len(carried)} answer(s) carried over from the previous round as still true? They become this "
            "round's answers, unchanged. Answers you are editing are left out."
        )
        yes, no = st.columns(2)
        yes.button(
            "Yes, confirm them",
            type="primary",
            key=f"confirm_carried_yes:{ctx.scope}",
            on_click=_confirm_carried,
            args=(state, carried),
        )
        no.button("Cancel", key=f"confirm_carried_no:{ctx.scope}", on_click=_done, args=(ctx.scope,))


def _confirm_carried(state: SurveyPageState, carried: list[str]) -> None:
    ctx = state.ctx
    _done(ctx.scope)
    assert state.survey is not None and state.survey.id is not None
    with session_scope(ctx.engine) as session:
        try:
            count = confirm_carried_over(session, actor=ctx.user, survey_id=state.survey.id, element_ids=carried)
        except (PermissionDenied, InvalidState, ConflictError, ValidationFailed) as exc:
            flash(ctx.scope, "error", str(exc))
            return
    state.reload()
    flash(ctx.scope, "success", f"Confirmed {count} carried-over answer(s) unchanged.")


def submit_panel(state: SurveyPageState, unknown: list[str], to_reconfirm: list[str]) -> None:
    """The confirmation lists what is still Unknown (to accept as unanswered) and what needs re-confirming."""
    ctx = state.ctx
    with st.container(border=True):
        st.write(
            f"Submit the survey of {escape_markdown(ctx.country_name)} for {escape_markdown(ctx.round_name)}? After "
            "submitting, answers can only change if the focus group sends it back."
        )
        if to_reconfirm:
            st.error(f"Re-confirm these answers first (their element changed): {', '.join(to_reconfirm)}.")
        accept = True
        if unknown:
            st.warning(f"Still Unknown ({len(unknown)}): {', '.join(unknown)}.")
            accept = st.checkbox(
                f"Submit with these {len(unknown)} element(s) as Unknown: they count as unanswered and are never "
                "scored",
                key=f"accept_unknown:{ctx.scope}",
            )
        yes, no = st.columns(2)
        yes.button(
            "Yes, submit",
            type="primary",
            shortcut="Ctrl+Shift+Y",  # works from inside a grid too (Ctrl+Enter is the grid's own)
            disabled=not accept or bool(to_reconfirm),
            key=f"confirm:{ctx.scope}",
            on_click=_submit,
            args=(state, bool(unknown)),
        )
        no.button("Cancel", key=f"cancel:{ctx.scope}", on_click=_done, args=(ctx.scope,))


def _submit(state: SurveyPageState, accept_unknown: bool) -> None:
    ctx = state.ctx
    _done(ctx.scope)
    assert state.survey is not None and state.survey.id is not None
    with session_scope(ctx.engine) as session:
        try:
            surveys.submit_survey(
                session,
                actor=ctx.user,
                survey_id=state.survey.id,
                expected_version=state.survey.version,
                accept_unknown=accept_unknown,
            )
        except ValidationFailed as exc:
            st.session_state[f"problems:{ctx.scope}"] = exc.problems
            flash(ctx.scope, "error", "The survey cannot be submitted yet: see the answers listed above the grids.")
            return
        except (ConflictError, PermissionDenied, InvalidState) as exc:
            flash(ctx.scope, "error", str(exc))
            return
    st.session_state[f"full_rerun:{ctx.scope}"] = True
    flash(ctx.scope, "success", "Survey submitted. Thank you!")


_LEAVE_GUARD = """<script>(() => {
const parent = window.parent;
if (parent.__mcwgGuard) { parent.removeEventListener("beforeunload", parent.__mcwgGuard, {capture: true});
  parent.document.removeEventListener("click", parent.__mcwgNav, {capture: true}); }
parent.__mcwgGuard = null;
if (%(active)s) {
  const message = %(message)s;
  parent.__mcwgGuard = (event) => { event.preventDefault(); event.returnValue = message; return message; };
  parent.__mcwgNav = (event) => {
    const link = event.target.closest && event.target.closest('a[href]');
    if (link && link.closest('[data-testid="stSidebarNav"], [data-testid="stSidebarNavItems"]')
        && !parent.confirm(message)) { event.preventDefault(); event.stopImmediatePropagation(); }
  };
  parent.addEventListener("beforeunload", parent.__mcwgGuard, {capture: true});
  parent.document.addEventListener("click", parent.__mcwgNav, {capture: true});
}
})();</script>"""


_GRID_FOCUS = """<script>(() => {
const parent = window.parent, doc = parent.document;
// The set on screen: its grid is the only one the page draws in the browser.
const shownGrid = () => [...doc.querySelectorAll('[data-testid="stTabs"] [role="tabpanel"]')]
  .map(panel => panel.querySelector('canvas[data-testid="data-grid-canvas"]'))
  .find(canvas => canvas && canvas.offsetParent);
if (!parent.__mcwgCellTracker) {
  // Remember the grid cell the keyboard is on (glide keeps a focusable cell per selection, id glide-cell-COL-ROW).
  parent.__mcwgCellTracker = (event) => {
    const cell = event.target.closest && event.target.closest('td[id^="glide-cell-"]');
    if (cell && cell.closest('[data-testid="stDataFrame"]')) parent.__mcwgCell = cell.id;
  };
  doc.addEventListener("focusin", parent.__mcwgCellTracker, {capture: true});
}
const restore = %(restore)s;
const wanted = restore && (restore.id || parent.__mcwgCell);
if (wanted) {
  let tries = 0;
  const busyElsewhere = () => {  // the person is typing in another field (a picker, a form): leave them there
    const active = doc.activeElement;
    return active && !active.closest('[data-testid="stDataFrame"]')
      && active.matches('input, textarea, select, [role="combobox"], [contenteditable="true"]');
  };
  const again = () => {
    if (busyElsewhere()) return;
    const canvas = shownGrid();
    if (canvas && !canvas.contains(doc.activeElement)) canvas.focus();  // the grid draws its cells' table now
    const cell = canvas && canvas.querySelector('td[id="' + wanted + '"]');
    if (cell) {  // once: from here on the keys are the person's, unless a redraw of the grid drops the focus
      cell.focus();
      parent.setTimeout(() => { if (doc.activeElement === doc.body && ++tries < 60) again(); }, 400);
      return;
    }
    if (++tries < 60) parent.setTimeout(again, 150);  // a loaded machine draws the grid late
  };
  parent.setTimeout(again, 150);
}
})();</script>"""


STATUS_COLUMN = 2  # the grid's columns: element ID (the index), Title, Status, ...


def back_to_the_grid(scope: str, *, first_row: bool = False) -> None:
    """After a save (the Save button or Ctrl+S), put the keyboard back on the grid cell it was on; after moving to
    another set, on the Status of its first row."""
    count = st.session_state.get(f"refocus_count:{scope}", 0) + 1  # a new script each time, so it runs again
    st.session_state[f"refocus_count:{scope}"] = count
    target: dict[str, object] = {"n": count}
    if first_row:
        target["id"] = f"glide-cell-{STATUS_COLUMN}-0"
    st.session_state[f"refocus:{scope}"] = (target, time.monotonic())


# A save or a move reruns the page more than once; the script is drawn unchanged for a few seconds so that the
# browser runs it even when a later rerun comes before it did (an unchanged script does not run again).
REFOCUS_SECONDS = 4.0


def keep_grid_focus(scope: str) -> None:
    """Track the grid cell the keyboard is on; after a save or a move to another set, focus it (the rerun
    redraws the grids and the keyboard focus would be lost)."""
    target, since = st.session_state.get(f"refocus:{scope}") or (0, 0.0)
    if target and time.monotonic() - since > REFOCUS_SECONDS:
        st.session_state.pop(f"refocus:{scope}", None)
        target = 0
    st.html(_GRID_FOCUS % {"restore": json.dumps(target)}, unsafe_allow_javascript=True)


def set_tab_key(scope: str) -> str:
    return f"set_tab:{scope}"


def move_set(scope: str, codes: list[str], step: int) -> None:
    """Previous or next recommendation set (Ctrl+Shift+Up/Down from inside a grid): the keyboard lands in it."""
    key = set_tab_key(scope)
    current = st.session_state.get(key, codes[0])
    index = min(max((codes.index(current) if current in codes else 0) + step, 0), len(codes) - 1)
    st.session_state[key] = codes[index]
    back_to_the_grid(scope, first_row=True)


def leave_guard(active: bool) -> None:
    """Ask before leaving the page (closing, reloading, or another page of the app) while edits are unsaved.

    The script changes only when `active` flips, so typing in a grid does not redraw it on every edit."""
    message = json.dumps("You have unsaved changes in the survey. Leave it and lose them?")
    st.html(_LEAVE_GUARD % {"active": "true" if active else "false", "message": message}, unsafe_allow_javascript=True)


def unsaved_edits(round_id: object, country_code: object) -> int:
    """How many rows the user edited in the grids of this survey, from the editors' state alone (no database), so
    the country and round pickers, drawn first, know whether switching would lose them."""
    scope = f"{round_id}:{country_code}"
    prefix = f"grid:{scope}:"
    suffix = f":{st.session_state.get(f'generation:{scope}', 0)}"
    count = 0
    for key in list(st.session_state.keys()):
        if isinstance(key, str) and key.startswith(prefix) and key.endswith(suffix):
            state = st.session_state[key]
            count += len((state or {}).get("edited_rows") or {}) if isinstance(state, dict) else 0
    return count
