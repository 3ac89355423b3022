"""The plenary's screens as plain tables, one topic each: the deck draws them as slides and the Presentation page as
large-type screens, so both show the same thing.

Every member is listed ("not submitted" where a member has not handed in), elements carry their titles, every share
has its count beside it, members are ordered by name or grouped by deployment architecture (never ranked).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from mcwg_dashboard import analytics
from mcwg_dashboard.checklist import AnswerScale, RecommendationSet
from mcwg_dashboard.reports.agenda import meeting_agenda
from mcwg_dashboard.reports.data import PlenaryData
from mcwg_dashboard.services.proposals import illustrative
from mcwg_dashboard.wording import counted, score_text, share

NOT_SUBMITTED = "not submitted"
AGENDA_SIZE = 8
# A share from fewer scored answers than this is not called most or least adopted.
MIN_SCORED_FOR_EXTREMES = 3
MemberOrder = Literal["name", "architecture"]


@dataclass(frozen=True)
class ScreenTable:
    """One screen: a title, a line under it, a table (rows of text), what to say when it is empty, and the notes
    (the detail a presenter reads out). `fills` colours cells (matrix); `missing` are columns of members that have
    not submitted."""

    title: str
    subtitle: str
    header: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)
    empty: str = ""
    fills: list[list[str | None]] | None = None
    missing: frozenset[int] = frozenset()


class PlenaryScreens:
    def __init__(self, data: PlenaryData, member_order: MemberOrder = "name") -> None:
        self.data = data
        self.scale = data.checklist.scale
        self.member_order = member_order
        self.member_rows = _ordered_members(data, member_order)
        self.submitted = set(data.answers["country_code"]) if not data.answers.empty else set()

    def since_text(self) -> str:
        return f" since {self.data.since_date:%d %b %Y}" if self.data.since_date else ""

    def key_figures(self) -> tuple[list[tuple[str, str]], list[str]]:
        """(label, value) pairs, and the notes."""
        answers = self.data.answers
        headline = analytics.headline(answers)
        scored = int(headline["weight"].count()) if not headline.empty else 0
        in_production = int(headline["status"].isin(_in_production(self.scale)).sum()) if not headline.empty else 0
        figures = [
            ("Members who submitted", counted(len(self.submitted), len(self.member_rows), "members")),
            (
                "Adoption score, finalized sets",
                score_text(analytics.overall_score(headline), scored),
            ),
            ("In production (implemented or variant)", share(in_production, len(headline), "answers")),
            ("Answers shared", f"{len(answers)} on {answers['element_id'].nunique() if len(answers) else 0} elements"),
        ]
        changes = self.data.changes()
        if changes is not None:
            counts = changes["change"].value_counts()
            figures.append(
                (
                    f"Since {self.data.earlier_label}",
                    f"▲ {int(counts.get('upgrade', 0))} up, ▼ {int(counts.get('downgrade', 0))} down, "
                    f"✚ {int(counts.get('new', 0))} new answers",
                )
            )
        open_count, decided_count = len(self.open_proposals()), len(self.decided_proposals())
        figures.append(("Change proposals", f"{open_count} open, {decided_count} decided{self.since_text()}"))
        notes = [f"{label}: {value}" for label, value in figures]
        notes.append(
            "The adoption score weighs each answer by the answer scale (Implemented 1, variant 0.85, partial 0.5, "
            "planned 0.25, under consideration 0.1, not planned 0); Not applicable and Unknown are not scored. "
            "Sets still in progress (draft recommendations) are left out of headline figures."
        )
        return figures, notes

    def members(self) -> ScreenTable:
        answers = self.data.answers
        given = answers.groupby("country_code")["element_id"].size() if not answers.empty else pd.Series(dtype=int)
        asked = sum(len(s.elements) for s in self.data.checklist.asked_sets)
        states = answers.drop_duplicates("country_code").set_index("country_code")["survey_state"]
        rows = [
            [
                str(m.country_name),
                _architecture_text(m.architectures),
                str(states.get(m.country_code, NOT_SUBMITTED)),
                counted(int(given.get(m.country_code, 0)), asked, "elements") if m.country_code in given else "",
            ]
            for m in self.member_rows.itertuples()
        ]
        order = "by deployment architecture, then name" if self.member_order == "architecture" else "by name"
        subtitle = f"{counted(len(self.submitted), len(self.member_rows), 'members')} submitted · ordered {order}"
        notes = "Members that have not submitted are listed too: their drafts are their own until they submit."
        return ScreenTable(
            "Members and their surveys", subtitle, ["Member", "Architecture", "Survey", "Answered"], rows, [notes]
        )

    def map_subtitle(self) -> str:
        missing = [str(m.country_name) for m in self.member_rows.itertuples() if m.country_code not in self.submitted]
        subtitle = "Adoption score of the finalized sets per member"
        return subtitle + (f"; grey: not submitted ({', '.join(missing)})" if missing else "")

    def scores_notes(self) -> list[str]:
        scores = self.data.country_scores()
        lines = ["Adoption score of the finalized sets, per member (by name):"]
        for row in scores.sort_values("country_name").to_dict("records"):
            scored = 0 if pd.isna(row["scored"]) else int(row["scored"])
            shown = score_text(float(row["score"]), scored) if scored else NOT_SUBMITTED
            lines.append(f"{row['country_name']}: {shown}")
        return lines

    def set_scores(self) -> ScreenTable:
        answers = self.data.answers
        rows, notes = [], []
        for rec_set in self.data.checklist.asked_sets:
            subset = answers[answers["set_code"] == rec_set.code] if not answers.empty else answers
            scored = int(subset["weight"].count()) if not subset.empty else 0
            score = float(subset["weight"].mean()) if scored else math.nan
            members = subset["country_code"].nunique() if not subset.empty else 0
            rows.append(
                [
                    f"{rec_set.code} · {rec_set.title}",
                    rec_set.maturity,
                    score_text(score, scored),
                    counted(members, len(self.member_rows), "members"),
                ]
            )
            notes.append(f"{rec_set.code} {rec_set.title}: {rec_set.maturity}. {rec_set.summary}".strip())
        return ScreenTable(
            "Adoption per recommendation set",
            "Sets in progress carry draft recommendations: their figures are shown apart from the headline",
            ["Recommendation set", "Maturity", "Adoption", "Answered by"],
            rows,
            notes,
        )

    def legend(self) -> str:
        return "   ".join(s.display for s in self.scale.statuses)

    def matrix(self, rec_set: RecommendationSet) -> ScreenTable:
        """Elements (ID and title) as rows, every member as a column (glyph of the status, coloured by `fills`), and
        how many of the answers are in production."""
        answers = self.data.answers
        subset = answers[answers["set_code"] == rec_set.code] if not answers.empty else answers
        statuses = subset.set_index(["element_id", "country_code"])["status"].to_dict() if len(subset) else {}
        codes = [str(c) for c in self.member_rows["country_code"]]
        in_production = _in_production(self.scale)
        notes = [f"{rec_set.code} {rec_set.title} — {rec_set.maturity}.", f"Legend: {self.legend()}"]
        rows: list[list[str]] = []
        fills: list[list[str | None]] = []
        for element in rec_set.elements:
            row_statuses = [statuses.get((element.id, code)) for code in codes]
            given = [s for s in row_statuses if s]
            adopted = sum(1 for s in given if s in in_production)
            rows.append(
                [
                    f"{element.id}  {element.title}",
                    *[self.scale.get(s).glyph if s else "" for s in row_statuses],
                    f"{adopted} of {len(given)}",
                ]
            )
            fills.append([None, *[self.scale.get(s).colour if s else None for s in row_statuses], None])
            pairs = zip(codes, row_statuses, strict=True)
            detail = ", ".join(f"{code} {self.scale.get(s).label}" for code, s in pairs if s)
            notes.append(f"{element.id} {element.title}: {detail or 'no answers'}.")
        return ScreenTable(
            f"{rec_set.code} · {rec_set.title}",
            f"{rec_set.maturity} · in production = implemented or variant",
            ["Element", *codes, "In production"],
            rows,
            notes,
            fills=fills,
            missing=frozenset(i + 1 for i, code in enumerate(codes) if code not in self.submitted),
        )

    def extremes(self, rec_set: RecommendationSet) -> ScreenTable | None:
        answers = self.data.answers
        subset = answers[answers["set_code"] == rec_set.code] if not answers.empty else answers
        if subset.empty:
            return None
        in_production = _in_production(self.scale)
        table = (
            subset.assign(_adopted=subset["status"].isin(in_production))
            .groupby("element_id")
            .agg(
                title=("element_title", "first"),
                position=("position", "min"),
                score=("weight", "mean"),
                scored=("weight", "count"),
                answers=("status", "size"),
                adopted=("_adopted", "sum"),
            )
            .reset_index()
        )
        least_needed = min(MIN_SCORED_FOR_EXTREMES, len(self.submitted))
        ranked = table[table["scored"] >= max(1, least_needed)].sort_values(
            ["score", "position"], ascending=[False, True]
        )
        n = min(3, math.ceil(len(ranked) / 2))
        most, least = ranked.head(n), ranked.tail(len(ranked) - n).tail(3).iloc[::-1]

        def rows(frame: pd.DataFrame, label: str) -> list[list[str]]:
            return [
                [
                    label,
                    f"{r['element_id']}  {r['title']}",
                    score_text(float(r["score"]), int(r["scored"])),
                    f"{int(r['adopted'])} of {int(r['answers'])} in production",
                ]
                for r in frame.to_dict("records")
            ]

        few = table[table["scored"] < max(1, least_needed)]
        notes = [
            f"{rec_set.code} {rec_set.title} — {rec_set.maturity}.",
            "Most and least adopted by adoption score; only elements with at least "
            f"{max(1, least_needed)} scored answers are compared.",
        ]
        if not few.empty:
            notes.append("Too few scored answers to compare: " + ", ".join(few["element_id"]) + ".")
        return ScreenTable(
            f"{rec_set.code}: most and least adopted elements",
            f"{rec_set.title} · {rec_set.maturity}",
            ["", "Element", "Adoption", "Answers"],
            rows(most, "Most") + rows(least, "Least"),
            notes,
            empty="No element has enough scored answers to compare.",
        )

    def changes(self) -> ScreenTable | None:
        changes = self.data.changes()
        if changes is None:
            return None
        moved = changes[changes["change"].isin(["upgrade", "downgrade", "changed"])]
        titles = self.data.answers.drop_duplicates("element_id").set_index("element_id")["element_title"]
        positions = self.data.answers.groupby("element_id")["position"].min()
        rows, notes = [], [f"Answers that moved since {self.data.earlier_label}, by element:"]
        per_element = sorted(moved.groupby("element_id"), key=lambda item: (-len(item[1]), positions.get(item[0], 0)))
        for element_id, group in per_element:
            up = group[group["change"] == "upgrade"]
            down = group[group["change"] == "downgrade"]
            other = group[group["change"] == "changed"]
            rows.append(
                [
                    f"{element_id}  {titles.get(element_id, '')}",
                    ", ".join(up["country_code"]) and f"▲ {', '.join(up['country_code'])}",
                    ", ".join(down["country_code"]) and f"▼ {', '.join(down['country_code'])}",
                    ", ".join(other["country_code"]),
                ]
            )
            moves = "; ".join(
                f"{r.country_name}: {_label(self.scale, r.before)} → {_label(self.scale, r.after)}"
                for r in group.itertuples()
            )
            notes.append(f"{element_id}: {moves}.")
        counts = changes["change"].value_counts()
        subtitle = (
            f"▲ {int(counts.get('upgrade', 0))} answers up, ▼ {int(counts.get('downgrade', 0))} down, "
            f"✚ {int(counts.get('new', 0))} new, {int(counts.get('changed', 0))} to or from not scored · "
            f"{len(rows)} elements moved"
        )
        return ScreenTable(
            f"What changed since {self.data.earlier_label}",
            subtitle,
            ["Element", "Up", "Down", "To or from not scored"],
            rows,
            notes,
            empty="No answer moved up or down.",
        )

    def open_proposals(self) -> pd.DataFrame:
        proposals = self.data.proposals
        if proposals.empty:
            return proposals
        return proposals[proposals["state"].isin(self.data.open_states)].sort_values("number")

    def decided_proposals(self) -> pd.DataFrame:
        proposals = self.data.proposals
        if proposals.empty:
            return proposals
        decided = proposals[~proposals["state"].isin(self.data.open_states)]
        since = self.data.since_date
        if since is not None and "state_since" in decided.columns:
            stamps = pd.to_datetime(decided["state_since"], utc=True)
            decided = decided[stamps >= pd.Timestamp(since, tz="UTC")]
        return decided.sort_values("number")

    def proposals(self) -> ScreenTable:
        since = self.since_text()
        label_column = "state_label" if "state_label" in self.data.proposals.columns else "state"
        rows, notes = [], []
        for kind, frame in (("Open", self.open_proposals()), (f"Decided{since}", self.decided_proposals())):
            for p in frame.to_dict("records"):
                number = illustrative(str(p["number"]), "number", p.get("illustrative_fields"))
                elements = ", ".join(p.get("element_ids") or []) or str(p.get("set_code") or "")
                state = str(p[label_column])
                if p.get("external_body"):
                    state += f" ({p['external_body']})"
                rows.append([kind, number, str(p["title"]), elements, state])
                detail = [f"{number} {p['title']} — {state}."]
                for key, name in (("problem", "Problem"), ("proposed_change", "Change"), ("decision_reason", "Why")):
                    if p.get(key):
                        detail.append(f"{name}: {p[key]}")
                notes.append(" ".join(detail))
        open_count, decided_count = len(self.open_proposals()), len(self.decided_proposals())
        return ScreenTable(
            "Change proposals",
            f"{open_count} open · {decided_count} decided{since}",
            ["", "No.", "Proposal", "Elements", "State"],
            rows,
            notes,
            empty="No change proposal is open or was decided" + (since or " yet") + ".",
        )

    def agenda(self, size: int = AGENDA_SIZE) -> ScreenTable:
        chosen, common = meeting_agenda(self.data.agenda(), size)
        rows = [
            [str(i), f"{r['element_id']}  {r['element_title']}", str(r["main_reason"]).capitalize(), str(r["reasons"])]
            for i, r in enumerate(chosen.to_dict("records"), start=1)
        ]
        notes = [
            f"At most {size} elements, taken in turn for each main reason, best discussion score "
            "first (reports/agenda.py says how the score is made).",
            *common,
            *[
                f"{r['element_id']}: discussion score {r['discussion_score']:.0f} (rank {r['rank']}); {r['reasons']}."
                for r in chosen.to_dict("records")
            ],
        ]
        subtitle = common[0] if common else "Chosen for distinct reasons; the full ranking is in the agenda export"
        return ScreenTable(
            "Agenda: elements to discuss",
            subtitle,
            ["#", "Element", "Main reason", "Why"],
            rows,
            notes,
            empty="No element stands out for discussion.",
        )


def _ordered_members(data: PlenaryData, order: MemberOrder) -> pd.DataFrame:
    """Every member, with the deployment architectures it gave with its answers (else those on record)."""
    members = data.members.copy()
    if "architectures" not in members.columns:
        members["architectures"] = None
    if not data.answers.empty:
        given = data.answers.drop_duplicates("country_code").set_index("country_code")["architectures"].dropna()
        members["architectures"] = [
            given.get(code, recorded)
            for code, recorded in zip(members["country_code"], members["architectures"], strict=True)
        ]
    if order == "architecture":
        members["_key"] = members["architectures"].fillna("").replace("", "~")
        return members.sort_values(["_key", "country_name"]).drop(columns="_key").reset_index(drop=True)
    return members.sort_values("country_name").reset_index(drop=True)


def _architecture_text(value: object) -> str:
    if not isinstance(value, str) or not value:
        return ""
    return ", ".join(value.split(","))


def _in_production(scale: AnswerScale) -> set[str]:
    """Implemented or Implemented – variant: the statuses of an element in production."""
    return {s.code for s in scale.statuses if s.weight is not None and s.weight >= 0.85}


def _label(scale: AnswerScale, code: object) -> str:
    if not isinstance(code, str) or not code:
        return "no answer"
    return scale.get(code).label
