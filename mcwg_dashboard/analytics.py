"""Pure pandas over the long answer frame: adoption scores, matrices, comparisons, changes and trends.

The adoption score of a group of answers is the mean score weight of its answers whose status carries a
weight (Not applicable and Unknown carry none, so they neither raise nor lower a score). Every figure of a
round comes from that round's own answers and the scale of the checklist version they were given on.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from mcwg_dashboard.checklist import AnswerScale

SCORE_COLUMNS = ["score", "scored", "answers"]
# The scope column of the answer frame (services.answer_data): headline figures count HEADLINE answers only.
HEADLINE, DRAFT, WATCH = "headline", "draft", "watch"
# An element the newest checklist no longer has (SPP-01..03, TRK-01/02): kept in the full export only.
RETIRED = "retired"


def headline(answers: pd.DataFrame) -> pd.DataFrame:
    """The answers that make headline figures: adoption elements of finalized recommendation sets."""
    if "scope" not in answers.columns:
        return answers
    return answers[answers["scope"] == HEADLINE]


def in_scope(answers: pd.DataFrame, scope: str) -> pd.DataFrame:
    if "scope" not in answers.columns:
        return answers.iloc[0:0]
    return answers[answers["scope"] == scope]


def with_architecture(answers: pd.DataFrame, architecture: str) -> pd.DataFrame:
    """The answers of members whose deployment profile in that round includes the architecture (A, B or C)."""
    if not architecture:
        return answers
    runs = answers["architectures"].fillna("").str.split(",").map(lambda archs: architecture in archs)
    return answers[runs.astype(bool)]


def answer_counts(answers: pd.DataFrame) -> pd.Series:
    """How many answers each row stands for: `answers` in score parts (services.answer_data.load_scores), `count` in
    status counts (load_status_counts), one in the answer frame. Every function here takes any of them."""
    if "weight_sum" in answers.columns:
        return answers["answers"].astype("int64")
    if "count" in answers.columns:
        return answers["count"].astype("int64")
    return pd.Series(1, index=answers.index, dtype="int64")


def _score_parts(answers: pd.DataFrame) -> pd.DataFrame:
    """Per row: the sum of its score weights, how many of its answers carry one, how many answers it stands for."""
    if "weight_sum" in answers.columns:
        return pd.DataFrame(
            {
                "_weighted": answers["weight_sum"].astype("float64"),
                "scored": answers["scored"].astype("int64"),
                "answers": answers["answers"].astype("int64"),
            }
        )
    count = answer_counts(answers)
    weight = answers["weight"]
    return pd.DataFrame(
        {"_weighted": weight.fillna(0.0) * count, "scored": count.where(weight.notna(), 0), "answers": count}
    )


def adoption_scores(answers: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Score per group: `score` (0..1, NaN when nothing is scored), `scored` answers, all `answers`."""
    if answers.empty:
        return pd.DataFrame(columns=[*by, *SCORE_COLUMNS])
    sums = _score_parts(answers).groupby([answers[name] for name in by], sort=True, dropna=False).sum()
    sums["score"] = (sums["_weighted"] / sums["scored"].where(sums["scored"] > 0)).astype("float64")
    result = sums[SCORE_COLUMNS].reset_index()
    result["scored"] = result["scored"].astype("int64")
    result["answers"] = result["answers"].astype("int64")
    return result


def overall_score(answers: pd.DataFrame) -> float:
    if answers.empty:
        return math.nan
    parts = _score_parts(answers)
    scored = parts["scored"].sum()
    if scored == 0:
        return math.nan
    return float(parts["_weighted"].sum() / scored)


def peer_comparison(answers: pd.DataFrame, country_code: str) -> pd.DataFrame:
    """Per set: the country's score, the average of all members' scores, and of members sharing an architecture.

    Averages are of per-country scores, so a country with more answers does not weigh more.
    """
    columns = ["set_code", "country", "all_members", "same_architecture"]
    if answers.empty or country_code not in set(answers["country_code"]):
        return pd.DataFrame(columns=columns)
    # Plain Python over the rows (a few hundred groups of score parts): pandas' per-call cost would dominate.
    parts = _score_parts(answers)
    weighted: dict[tuple[str, str], float] = {}
    scored: dict[tuple[str, str], int] = {}
    first_position: dict[str, float] = {}
    architectures: dict[str, set[str]] = {}
    for set_code, code, archs, position, part_weight, part_scored in zip(
        answers["set_code"],
        answers["country_code"],
        answers["architectures"],
        answers["position"],
        parts["_weighted"],
        parts["scored"],
        strict=True,
    ):
        key = (set_code, code)
        weighted[key] = weighted.get(key, 0.0) + float(part_weight)
        scored[key] = scored.get(key, 0) + int(part_scored)
        if set_code not in first_position or position < first_position[set_code]:
            first_position[set_code] = position
        if code not in architectures:
            architectures[code] = set(str(archs).split(",")) if isinstance(archs, str) and archs else set()
    own = architectures.get(country_code, set())
    mine: dict[str, float] = {}
    everyone: dict[str, list[float]] = {}
    same: dict[str, list[float]] = {}
    for (set_code, code), count in sorted(scored.items()):
        score = weighted[(set_code, code)] / count if count else math.nan
        if code == country_code:
            mine[set_code] = score
        if count == 0:
            continue
        everyone.setdefault(set_code, []).append(score)
        if architectures.get(code, set()) & own:
            same.setdefault(set_code, []).append(score)
    rows = [
        (set_code, mine.get(set_code, math.nan), _mean(everyone.get(set_code)), _mean(same.get(set_code)))
        for set_code in sorted(first_position, key=lambda code: first_position[code])
    ]
    return pd.DataFrame(rows, columns=columns).astype(
        {"country": "float64", "all_members": "float64", "same_architecture": "float64"}
    )


def _mean(values: list[float] | None) -> float:
    return sum(values) / len(values) if values else math.nan


def set_order(answers: pd.DataFrame) -> list[str]:
    """Recommendation sets in checklist order (by the position of their first element)."""
    return answers.groupby("set_code")["position"].min().sort_values().index.tolist()


def _architectures(answers: pd.DataFrame) -> dict[str, set[str]]:
    pairs = answers[["country_code", "architectures"]].drop_duplicates("country_code")
    return {
        str(code): set(str(archs).split(",")) if isinstance(archs, str) and archs else set()
        for code, archs in zip(pairs["country_code"], pairs["architectures"], strict=True)
    }


def status_matrix(answers: pd.DataFrame, *, sort_by: str = "country") -> pd.DataFrame:
    """Country x element grid of status codes; rows by country name, by adoption (best first) or grouped by the
    architectures of the member's deployment profile (then by name)."""
    if answers.empty:
        return pd.DataFrame()
    matrix = answers.pivot(index="country_code", columns="element_id", values="status")
    element_order = answers.drop_duplicates("element_id").sort_values("position")["element_id"].tolist()
    matrix = matrix.reindex(columns=element_order)
    names = answers.drop_duplicates("country_code").set_index("country_code")["country_name"]
    if sort_by == "adoption":
        scores = adoption_scores(answers, ["country_code"]).set_index("country_code")["score"]
        order = sorted(matrix.index, key=lambda code: (-_or_minus_one(scores.get(code)), names[code]))
    elif sort_by == "architecture":
        archs = answers.drop_duplicates("country_code").set_index("country_code")["architectures"].fillna("")
        order = sorted(matrix.index, key=lambda code: (archs[code] or "~", names[code]))
    else:
        order = sorted(matrix.index, key=lambda code: names[code])
    return matrix.reindex(index=order)


def status_glyphs(matrix: pd.DataFrame, scale: AnswerScale) -> pd.DataFrame:
    """The status matrix as display text (glyph and label), empty where there is no answer."""
    shown = {s.code: s.display for s in scale.statuses}
    cells = [[shown.get(code, "") if isinstance(code, str) else "" for code in row] for row in matrix.to_numpy()]
    return pd.DataFrame(cells, index=matrix.index, columns=matrix.columns, dtype=object)


def _or_minus_one(value: object) -> float:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return -1.0
    return float(value)  # type: ignore[arg-type]


def status_distribution(answers: pd.DataFrame, scale: AnswerScale) -> pd.DataFrame:
    """How many answers have each status, in the scale's order (zero counts kept)."""
    counts = answer_counts(answers).groupby(answers["status"]).sum() if not answers.empty else pd.Series(dtype=int)
    return pd.DataFrame({"status": scale.codes, "count": [int(counts.get(code, 0)) for code in scale.codes]})


def status_counts(answers: pd.DataFrame, scale: AnswerScale) -> pd.DataFrame:
    """Per element (ID and title): how many answers have each status, one column per status that occurs, labelled
    with glyph and label (for lists that are shown but not scored)."""
    if answers.empty:
        return pd.DataFrame(columns=["Element", "Title"])
    counts = (
        pd.crosstab(
            [answers["element_id"], answers["element_title"]],
            answers["status"],
            values=answer_counts(answers),
            aggfunc="sum",
        )
        .fillna(0)
        .astype("int64")
    )
    counts = counts.reindex(columns=[c for c in scale.codes if c in counts.columns])
    counts.columns = [scale.get(code).display for code in counts.columns]
    return counts.reset_index().rename(columns={"element_id": "Element", "element_title": "Title"})


CHANGE_KINDS = ["upgrade", "downgrade", "new", "changed", "unchanged"]


# The answer columns round_changes reads (of the earlier round; the later one needs them too).
ROUND_CHANGE_INPUT = ["country_code", "country_name", "element_id", "set_code", "status", "weight"]
# One member's answers as its country page shows them (ui.tables.answers_table) and compares them with a round before.
MEMBER_ANSWER_COLUMNS = [*ROUND_CHANGE_INPUT, "element_title", "note", "evidence_url", "target_date"]


def round_changes(earlier: pd.DataFrame, later: pd.DataFrame) -> pd.DataFrame:
    """Per country and element answered in the later round: the earlier and later status, and the kind of change.

    upgrade / downgrade compare score weights; `new` had no answer before; `changed` moved to or from a
    status without a weight (such as Not applicable).
    """
    columns = ["country_code", "country_name", "element_id", "set_code", "before", "after", "change"]
    if later.empty:
        return pd.DataFrame(columns=columns)
    keys = ["country_code", "element_id"]
    old = earlier[[*keys, "status", "weight"]].rename(columns={"status": "before", "weight": "weight_before"})
    merged = later[[*keys, "country_name", "set_code", "status", "weight"]].merge(old, on=keys, how="left")
    merged = merged.rename(columns={"status": "after"})

    # Vectorised (first matching rule wins): a plenary compares every country's every answer.
    before, after = merged["before"], merged["after"]
    weight, weight_before = merged["weight"], merged["weight_before"]
    rules = [
        before.isna().to_numpy(dtype=bool),
        (before == after).to_numpy(dtype=bool),
        (weight.isna() | weight_before.isna()).to_numpy(dtype=bool),
        (weight > weight_before).to_numpy(dtype=bool),
        (weight < weight_before).to_numpy(dtype=bool),
    ]
    kinds = np.select(rules, ["new", "unchanged", "changed", "upgrade", "downgrade"], default="changed")
    merged["change"] = pd.Series(kinds, index=merged.index, dtype="str") if not merged.empty else pd.Series(dtype=str)
    merged["before"] = merged["before"].where(merged["before"].notna(), None)
    return merged.sort_values(keys).reset_index(drop=True)[columns]


def change_summary(changes: pd.DataFrame) -> pd.DataFrame:
    """Per country: how many upgrades, downgrades, new answers and other changes."""
    kinds = ["upgrade", "downgrade", "new", "changed"]
    if changes.empty:
        return pd.DataFrame(columns=["country_code", "country_name", *kinds])
    table = pd.crosstab([changes["country_code"], changes["country_name"]], changes["change"])
    table = table.reindex(columns=kinds, fill_value=0).reset_index()
    table.columns.name = None
    return table.sort_values("country_name").reset_index(drop=True)


def trend_by_set(answers: pd.DataFrame, *, same_countries_only: bool = False) -> pd.DataFrame:
    """Score per round and set. With same_countries_only, only countries that answered in every round shown count."""
    columns = ["round_id", "round_name", "round_opens_on", "set_code", "score", "countries"]
    if answers.empty:
        return pd.DataFrame(columns=columns)
    data = answers
    if same_countries_only:
        rounds_per_country = data.groupby("country_code")["round_id"].nunique()
        everywhere = rounds_per_country[rounds_per_country == data["round_id"].nunique()].index
        data = data[data["country_code"].isin(everywhere)]
        if data.empty:
            return pd.DataFrame(columns=columns)
    # Mean of per-country scores, so each country counts once per set and round.
    per_country = adoption_scores(data, ["round_id", "round_name", "round_opens_on", "set_code", "country_code"])
    trend = (
        per_country.groupby(["round_id", "round_name", "round_opens_on", "set_code"])
        .agg(score=("score", "mean"), countries=("country_code", "nunique"))
        .reset_index()
    )
    trend["_set"] = trend["set_code"].map({code: i for i, code in enumerate(set_order(data))})
    trend = trend.sort_values(["round_opens_on", "_set"]).reset_index(drop=True)
    return trend[columns]


def stale_answers(answers: pd.DataFrame) -> pd.DataFrame:
    """Answers given before the round opened (carried over) or flagged for re-confirmation, per country."""
    if answers.empty:
        return pd.DataFrame(columns=["country_code", "stale"])
    opened = pd.to_datetime(answers["round_opens_on"]).dt.tz_localize("UTC")
    answered = pd.to_datetime(answers["answered_at"], utc=True)
    stale = (answered < opened) | answers["needs_reconfirmation"].astype(bool)
    return answers.assign(stale=stale).groupby("country_code")["stale"].sum().astype(int).reset_index()


# The answer columns latest_statuses reads.
LATEST_STATUS_INPUT = [
    "round_id",
    "round_name",
    "round_opens_on",
    "country_code",
    "country_name",
    "element_id",
    "status",
    "needs_reconfirmation",
]


def latest_statuses(answers: pd.DataFrame, element_ids: list[str]) -> pd.DataFrame:
    """For each country and element: the status from the most recent round in which the country answered it.

    The impact of a change proposal: who reports what today on the elements it would change.
    """
    columns = ["country_code", "country_name", "element_id", "status", "round_name", "needs_reconfirmation"]
    if answers.empty:
        return pd.DataFrame(columns=columns)
    data = answers[answers["element_id"].isin(element_ids)]
    data = data.sort_values(["round_opens_on", "round_id"]).drop_duplicates(["country_code", "element_id"], keep="last")
    return data.sort_values(["country_code", "element_id"]).reset_index(drop=True)[columns]


def reconfirmation_progress(answers: pd.DataFrame) -> pd.DataFrame:
    """Per round and element changed in the checklist: answers carried onto it, re-confirmed so far, and the share."""
    columns = ["round_id", "round_name", "element_id", "flagged", "reconfirmed", "share"]
    if answers.empty or "element_changed" not in answers:
        return pd.DataFrame(columns=columns)
    changed = answers[answers["element_changed"].astype(bool)]
    if changed.empty:
        return pd.DataFrame(columns=columns)
    progress = (
        changed.assign(reconfirmed=~changed["needs_reconfirmation"].astype(bool))
        .groupby(["round_id", "round_name", "element_id"], sort=True)
        .agg(flagged=("country_code", "size"), reconfirmed=("reconfirmed", "sum"))
        .reset_index()
    )
    progress["reconfirmed"] = progress["reconfirmed"].astype(int)
    progress["share"] = progress["reconfirmed"] / progress["flagged"]
    return progress[columns]


def time_in_state(transitions: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    """Days each proposal spent in each state, from its state changes (proposal_id, at, to_state), until `now`.

    One row per proposal and state visit: the last state of a proposal runs until `now` (terminal states
    are left out: a rejected proposal does not 'wait').
    """
    columns = ["proposal_id", "state", "days", "current"]
    if transitions.empty:
        return pd.DataFrame(columns=columns)
    data = transitions.sort_values(["proposal_id", "at"]).copy()
    data["until"] = data.groupby("proposal_id")["at"].shift(-1)
    data["current"] = data["until"].isna()
    data["until"] = data["until"].fillna(now)
    data["days"] = (data["until"] - data["at"]).dt.total_seconds() / 86400
    data = data.rename(columns={"to_state": "state"})
    terminal = {"rejected", "withdrawn", "closed"}
    data = data[~(data["current"] & data["state"].isin(terminal))]
    return data[columns].reset_index(drop=True)
