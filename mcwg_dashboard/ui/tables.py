"""Tables as a person reads them: human column headers, blanks where there is nothing, counts in words.

Plain pandas (no Streamlit), so the pages' tables are tested with plain pytest; the downloads carry the same headers.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from mcwg_dashboard.checklist import AnswerScale

CHANGE_LABELS = {"upgrade": "▲ up", "downgrade": "▼ down", "new": "✚ new answer", "changed": "↔ to or from not scored"}
# How each kind of change is counted in a sentence: (one, many).
CHANGE_NOUNS = {
    "upgrade": ("answer up", "answers up"),
    "downgrade": ("answer down", "answers down"),
    "new": ("new answer", "new answers"),
    "changed": ("answer to or from not scored", "answers to or from not scored"),
}


def blank(value: object) -> str:
    """Text of a value, empty for None, NaN and NaT (never the word "None")."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[call-overload]
        return ""
    if isinstance(value, dt.datetime | pd.Timestamp):
        return f"{value:%d %b %Y}"
    if isinstance(value, dt.date):
        return f"{value:%d %b %Y}"
    return str(value)


def answers_table(answers: pd.DataFrame, scale: AnswerScale) -> pd.DataFrame:
    """One member's answers with human headers: Element, Title, Set, Status, Note, Evidence, Target date."""
    return pd.DataFrame(
        {
            "Element": answers["element_id"].astype(str),
            "Title": answers["element_title"].astype(str),
            "Set": answers["set_code"].astype(str),
            "Status": answers["status"].map(lambda code: scale.get(code).display if isinstance(code, str) else ""),
            "Note": answers["note"].map(blank),
            "Evidence": answers["evidence_url"].map(blank),
            "Target date": answers["target_date"].map(blank),
        }
    ).reset_index(drop=True)


def changes_table(changes: pd.DataFrame, scale: AnswerScale) -> pd.DataFrame:
    """Changed answers (analytics.round_changes) with human headers: Element, Set, Before, Now, Change."""

    def shown(code: object) -> str:
        return scale.get(code).display if isinstance(code, str) and code else "no answer"

    return pd.DataFrame(
        {
            "Element": changes["element_id"].astype(str),
            "Set": changes["set_code"].astype(str),
            "Before": changes["before"].map(shown),
            "Now": changes["after"].map(shown),
            "Change": changes["change"].map(lambda kind: CHANGE_LABELS.get(str(kind), str(kind))),
        }
    ).reset_index(drop=True)


def change_counts_text(changes: pd.DataFrame) -> str:
    """ "3 answers up, 1 answer down, 2 new answers": the kinds that occur, singular or plural as counted."""
    counts = changes["change"].value_counts() if not changes.empty else pd.Series(dtype=int)
    parts = []
    for kind, (one, many) in CHANGE_NOUNS.items():
        count = int(counts.get(kind, 0))
        if count:
            parts.append(f"{count} {one if count == 1 else many}")
    return ", ".join(parts) or "no answer changed"


def impact_tables(impact: pd.DataFrame, scale: AnswerScale) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A proposal's impact (analytics.latest_statuses): member x element statuses with the round each comes from,
    and how many members give each status."""

    def display(code: str) -> str:
        try:
            return scale.get(code).display
        except KeyError:
            return code

    table = impact.assign(
        Country=impact["country_name"],
        status_text=impact["status"].map(display)
        + impact["needs_reconfirmation"].map({True: " (to re-confirm)", False: ""}),
    ).pivot(index="Country", columns="element_id", values="status_text")
    rounds_used = impact.groupby("country_name")["round_name"].first()
    table.insert(0, "From round", rounds_used.reindex(table.index))
    totals = impact["status"].map(display).value_counts().rename_axis("Status").reset_index(name="Countries")
    return table, totals
