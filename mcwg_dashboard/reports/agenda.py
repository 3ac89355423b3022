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
    "reason_kinds",
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
            "scored": grouped["weight"].count(),
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
    parts = [_reason_parts(row) for _, row in table.iterrows()]
    table["reasons"] = ["; ".join(text for _, text in p) or NO_SIGNAL for p in parts]
    table["reason_kinds"] = ["; ".join(kind for kind, _ in p) for p in parts]
    for column in ("adoption", "partial_variant", "disagreement", "stale"):
        table[column] = table[column].round(3)
    table = table.reset_index(names="element_id")
    table = table.sort_values(["discussion_score", "position"], ascending=[False, True]).reset_index(drop=True)
    table["rank"] = range(1, len(table) + 1)
    return table[AGENDA_COLUMNS]


def _reason_parts(row: pd.Series) -> list[tuple[str, str]]:
    """The element's reasons as (signal, words), in a fixed order."""
    reasons: list[tuple[str, str]] = []
    if pd.isna(row["adoption"]):
        reasons.append(("low_adoption", "no scored answers"))
    elif row["adoption"] < 0.5:
        reasons.append(("low_adoption", f"low adoption ({row['adoption']:.0%} over {_answers(row['scored'])})"))
    if row["pv_count"] and row["partial_variant"] >= 0.3:
        reasons.append(
            ("partial_variant", f"{int(row['pv_count'])} of {int(row['answers'])} answers partial or variant")
        )
    if row["disagreement"] >= 0.6:
        reasons.append(("disagreement", f"answers differ widely between members (spread {row['spread']:.2f})"))
    if row["stale_count"] and row["stale"] >= 0.3:
        reasons.append(("stale", f"{int(row['stale_count'])} answers carried over or to re-confirm"))
    if row["open_proposals"]:
        numbers = ", ".join(row["proposal_numbers"])
        plural = "s" if row["open_proposals"] > 1 else ""
        reasons.append(("open_proposals", f"{int(row['open_proposals'])} open change proposal{plural} ({numbers})"))
    return reasons


def _answers(count: int) -> str:
    return "1 scored answer" if count == 1 else f"{int(count)} scored answers"


NO_SIGNAL = "no strong signal"
REASON_NAMES = {
    "low_adoption": "low adoption",
    "partial_variant": "partial or variant answers",
    "disagreement": "members disagree",
    "stale": "answers carried over or to re-confirm",
    "open_proposals": "open change proposals",
}
# A reason that most candidate elements share says something about the round, not about one element.
COMMON_SHARE = 0.5


def _signals(row: pd.Series) -> dict[str, float]:
    adoption = 0.0 if pd.isna(row["adoption"]) else float(row["adoption"])
    return {
        "low_adoption": (1.0 - adoption) * WEIGHTS["low_adoption"],
        "partial_variant": float(row["partial_variant"]) * WEIGHTS["partial_variant"],
        "disagreement": float(row["disagreement"]) * WEIGHTS["disagreement"],
        "stale": float(row["stale"]) * WEIGHTS["stale"],
        "open_proposals": min(row["open_proposals"] / PROPOSALS_FOR_FULL_SIGNAL, 1.0) * WEIGHTS["open_proposals"],
    }


def meeting_agenda(agenda: pd.DataFrame, size: int = 8) -> tuple[pd.DataFrame, list[str]]:
    """At most `size` elements for a meeting, with distinct reasons: a reason shared by most candidates is taken
    out of the rows (and returned once, in words, as a note about the round), and the elements are taken in turn
    from each main reason (low adoption, disagreement, open proposals...), best discussion score first, so one
    reason cannot fill the agenda; an element whose reasons read exactly like a chosen one's is skipped. Rows keep
    their rank; `reasons` holds the remaining reasons and `main_reason` the reason the element was chosen for."""
    candidates = agenda[agenda["discussion_score"] > 0]
    if candidates.empty or size <= 0:
        return candidates.assign(main_reason=pd.Series(dtype=str)).iloc[0:0], []
    kinds = [[k for k in str(text).split("; ") if k] for text in candidates["reason_kinds"]]
    texts = [str(text).split("; ") for text in candidates["reasons"]]
    share = pd.Series([k for row in kinds for k in set(row)], dtype=str).value_counts() / len(candidates)
    common = {str(k) for k, s in share.items() if s > COMMON_SHARE} if len(candidates) >= 3 else set()
    rows = []
    for (_, row), row_kinds, row_texts in zip(candidates.iterrows(), kinds, texts, strict=True):
        kept = [(k, t) for k, t in zip(row_kinds, row_texts, strict=False) if k not in common]
        if not kept:
            continue
        signals = _signals(row)
        main = max((k for k, _ in kept), key=lambda k: signals[k])
        rows.append({**row.to_dict(), "reasons": "; ".join(t for _, t in kept), "main_reason": REASON_NAMES[main]})
    groups: dict[str, list[dict]] = {}
    for entry in rows:  # ranked order is kept inside each group
        groups.setdefault(entry["main_reason"], []).append(entry)
    chosen: list[dict] = []
    said: set[str] = set()
    while len(chosen) < size and any(groups.values()):
        for group in groups.values():
            # An element whose reasons read exactly like a chosen one's adds nothing new to the call.
            while group and group[0]["reasons"] in said:
                group.pop(0)
            if group and len(chosen) < size:
                picked = group.pop(0)
                said.add(picked["reasons"])
                chosen.append(picked)
    notes = [f"Common to most elements, so not repeated per row: {REASON_NAMES[k]}." for k in sorted(common)]
    result = pd.DataFrame(chosen, columns=[*agenda.columns, "main_reason"]).sort_values("rank")
    return result.reset_index(drop=True), notes
