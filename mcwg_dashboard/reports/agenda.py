"""The generated plenary agenda: elements ranked by how much they need discussion, each with its reasons in words.

Pure pandas over one round's long answer frame (services.answer_data.load_answer_frame) and, optionally, the change
proposals frame (services.proposals.proposal_frame: number, title, state, element_ids, ...).

Five signals per element, each scaled to 0..1, then weighted (WEIGHTS sum to 1) into a discussion score 0..100:
- low adoption: 1 - the element's adoption score (mean score weight; 0 when nothing is scored);
- partial or variant: the share of answers that are Partially implemented or Implemented – variant;
- disagreement: the population standard deviation of the countries' score weights, over 0.5 (the largest spread
  weights in 0..1 can have), capped at 1;
- stale: the share of answers given before the round opened (carried over) or flagged for re-confirmation;
- open proposals: open change proposals naming the element, 3 or more counting as 1.
Ties are broken by checklist order.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

WEIGHTS = {"low_adoption": 0.35, "partial_variant": 0.2, "disagreement": 0.2, "stale": 0.1, "open_proposals": 0.15}
PARTIAL_VARIANT_CODES = ("PART", "VAR")
PROPOSALS_FOR_FULL_SIGNAL = 3

AGENDA_COLUMNS = [
    "rank",
    "element_id",
    "element_title",
    "set_code",
    "discussion_score",
    "adoption",
    "answers",
    "partial_variant",
    "disagreement",
    "stale",
    "open_proposals",
    "reasons",
]


def open_proposals_per_element(proposals: pd.DataFrame | None, open_states: Iterable[str]) -> dict[str, list[str]]:
    """Element ID -> numbers of the open change proposals naming it."""
    result: dict[str, list[str]] = {}
    if proposals is None or proposals.empty:
        return result
    states = set(open_states)
    for number, state, elements in zip(proposals["number"], proposals["state"], proposals["element_ids"], strict=True):
        if state not in states:
            continue
        for element_id in elements or ():
            result.setdefault(str(element_id), []).append(str(number))
    return {element: sorted(numbers) for element, numbers in result.items()}


def _stale_flags(answers: pd.DataFrame) -> pd.Series:
    opened = pd.to_datetime(answers["round_opens_on"]).dt.tz_localize("UTC")
    answered = pd.to_datetime(answers["answered_at"], utc=True)
    return (answered < opened) | answers["needs_reconfirmation"].astype(bool)


def discussion_agenda(
    answers: pd.DataFrame,
    proposals: pd.DataFrame | None = None,
    *,
    open_states: Iterable[str] = (),
    partial_variant_codes: Iterable[str] = PARTIAL_VARIANT_CODES,
) -> pd.DataFrame:
    """One row per element answered in `answers` (one round), most in need of discussion first."""
    if answers.empty:
        return pd.DataFrame(columns=AGENDA_COLUMNS)
    codes = set(partial_variant_codes)
    data = answers.assign(_pv=answers["status"].isin(codes), _stale=_stale_flags(answers))
    grouped = data.groupby("element_id", sort=False)
    table = pd.DataFrame(
        {
            "element_title": grouped["element_title"].first(),
            "set_code": grouped["set_code"].first(),
            "position": grouped["position"].min(),
            "adoption": grouped["weight"].mean(),
            "answers": grouped["status"].size(),
            "pv_count": grouped["_pv"].sum(),
            "stale_count": grouped["_stale"].sum(),
            "spread": grouped["weight"].std(ddof=0),
        }
    )
    proposal_numbers = open_proposals_per_element(proposals, open_states)
    table["proposal_numbers"] = [proposal_numbers.get(str(e), []) for e in table.index]
    table["open_proposals"] = table["proposal_numbers"].map(len)
    table["partial_variant"] = table["pv_count"] / table["answers"]
    table["stale"] = table["stale_count"] / table["answers"]
    table["disagreement"] = (table["spread"].fillna(0.0) / 0.5).clip(upper=1.0)
    signals = pd.DataFrame(
        {
            "low_adoption": 1.0 - table["adoption"].fillna(1.0),
            "partial_variant": table["partial_variant"],
            "disagreement": table["disagreement"],
            "stale": table["stale"],
            "open_proposals": (table["open_proposals"] / PROPOSALS_FOR_FULL_SIGNAL).clip(upper=1.0),
        }
    )
    weighted = signals[list(WEIGHTS)].mul(pd.Series(WEIGHTS)).sum(axis=1)
    table["discussion_score"] = (weighted * 100).round(1)
    table["reasons"] = [_reasons(row) for _, row in table.iterrows()]
    for column in ("adoption", "partial_variant", "disagreement", "stale"):
        table[column] = table[column].round(3)
    table = table.reset_index(names="element_id")
    table = table.sort_values(["discussion_score", "position"], ascending=[False, True]).reset_index(drop=True)
    table["rank"] = range(1, len(table) + 1)
    return table[AGENDA_COLUMNS]


def _reasons(row: pd.Series) -> str:
    reasons: list[str] = []
    if pd.isna(row["adoption"]):
        reasons.append("no scored answers")
    elif row["adoption"] < 0.5:
        reasons.append(f"low adoption ({row['adoption']:.0%})")
    if row["pv_count"] and row["partial_variant"] >= 0.3:
        reasons.append(f"{int(row['pv_count'])} of {int(row['answers'])} answers partial or variant")
    if row["disagreement"] >= 0.6:
        reasons.append(f"answers differ widely between members (spread {row['spread']:.2f})")
    if row["stale_count"] and row["stale"] >= 0.3:
        reasons.append(f"{int(row['stale_count'])} answers carried over or to re-confirm")
    if row["open_proposals"]:
        numbers = ", ".join(row["proposal_numbers"])
        plural = "s" if row["open_proposals"] > 1 else ""
        reasons.append(f"{int(row['open_proposals'])} open change proposal{plural} ({numbers})")
    return "; ".join(reasons) or "no strong signal"
