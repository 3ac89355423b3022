"""The true floor of each page for the benchmark: the database returns only what the page shows (aggregates by
GROUP BY, answer rows only for what is on screen), through the raw driver (sqlite3 or psycopg, no SQLAlchemy, no
pandas), and the same figures are built from it with plotly directly (go.Bar, go.Scatter, go.Heatmap; the map is
drawn with the app's own map function, whose cost is its shapes, not its data).

It knows the benchmark's synthetic dataset: one checklist version, every set finalized, no watch list.
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from sqlalchemy import Engine

from mcwg_dashboard.charts.adoption import HOVER_DETAIL_BUDGET
from mcwg_dashboard.charts.map import adoption_map
from mcwg_dashboard.checklist import AnswerScale

SHARED = "('submitted', 'validated', 'published')"
FROM = f"""FROM answer a
JOIN countrysurvey s ON s.id = a.survey_id
JOIN surveyround r ON r.id = s.round_id
JOIN checklistelement e ON e.checklist_version_id = r.checklist_version_id AND e.element_id = a.element_id
WHERE s.state IN {SHARED}"""


def _weight(scale: AnswerScale) -> str:
    cases = " ".join(f"WHEN '{s.code}' THEN {float(s.weight)}" for s in scale.statuses if s.weight is not None)
    return f"CASE a.status {cases} END"


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class Floors:
    """One page's floor per method; each returns its figures."""

    def __init__(self, engine: Engine, scale: AnswerScale) -> None:
        self.engine = engine
        self.scale = scale
        self.weight = _weight(scale)

    def _rows(self, sql: str) -> list[tuple[Any, ...]]:
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(sql)
            rows = list(cursor.fetchall())
            cursor.close()
            return rows
        finally:
            connection.close()

    def _newest_two(self) -> tuple[int, int]:
        """The newest two rounds, from the list of rounds every page's round picker shows."""
        rows = self._rows("SELECT id, name, opens_on, state FROM surveyround ORDER BY opens_on DESC")
        return int(rows[0][0]), int(rows[1][0])

    def _pickers(self, country: str | None = None) -> None:
        """What a page's pickers list: the members by name, the rounds holding answers (of one member)."""
        self._rows("SELECT code, name FROM country ORDER BY name")
        member = f"AND s.country_code = {_quote(country)}" if country else ""
        self._rows(
            f"SELECT listed.id FROM surveyround listed WHERE EXISTS (SELECT 1 {FROM} {member} AND r.id = listed.id)"
        )

    def _scores(self, groups: str, where: str = "", joins: str = "") -> list[tuple[Any, ...]]:
        sql = f"""SELECT {groups}, AVG({self.weight}), COUNT({self.weight}), COUNT(*)
        {FROM.replace("WHERE", joins + " WHERE")} {where} GROUP BY {groups} ORDER BY {groups}"""
        return self._rows(sql)

    def _trend(self, where: str = "") -> list[tuple[Any, ...]]:
        # The mean of per-country scores per round and set.
        return self._rows(
            f"""SELECT round_id, round_name, opens_on, set_code, AVG(score), COUNT(*) FROM (
                SELECT r.id AS round_id, r.name AS round_name, r.opens_on AS opens_on, e.set_code AS set_code,
                       s.country_code AS country_code, AVG({self.weight}) AS score
                {FROM} {where} GROUP BY r.id, r.name, r.opens_on, e.set_code, s.country_code
            ) per_country GROUP BY round_id, round_name, opens_on, set_code ORDER BY opens_on, set_code"""
        )

    def _completion(self, round_id: int) -> list[tuple[Any, ...]]:
        answered = ", ".join(_quote(s.code) for s in self.scale.statuses if s.answered)
        return self._rows(
            f"""SELECT c.name, s.state, COUNT(a.id), SUM(CASE WHEN a.status IN ({answered}) THEN 1 ELSE 0 END)
            FROM country c LEFT JOIN countrysurvey s ON s.country_code = c.code AND s.round_id = {round_id}
            LEFT JOIN answer a ON a.survey_id = s.id GROUP BY c.name, s.state ORDER BY c.name"""
        )

    def _map(self, round_id: int) -> go.Figure:
        rows = self._scores(
            "s.country_code, c.name", f"AND r.id = {round_id}", "JOIN country c ON c.code = s.country_code"
        )
        scores = pd.DataFrame(
            [(code, name, score, f"{scored} scored answers") for code, name, score, scored, _ in rows],
            columns=["country_code", "country_name", "score", "detail"],
        )
        return adoption_map(scores, title="Adoption score by member")

    def overview(self) -> list[go.Figure]:
        self._pickers()
        newest, _ = self._newest_two()
        sets = self._scores("e.set_code", f"AND r.id = {newest}")
        completion = self._completion(newest)
        self._rows(
            f"""SELECT s.country_code, SUM(CASE WHEN a.answered_at < r.opens_on OR a.needs_reconfirmation
            THEN 1 ELSE 0 END) {FROM} AND r.id = {newest} GROUP BY s.country_code"""
        )
        return [
            go.Figure(go.Bar(x=[r[0] for r in sets], y=[r[1] for r in sets], text=[f"{r[1]:.0%}" for r in sets])),
            self._map(newest),
            _completion_figure(completion),
        ]

    def matrix(self) -> list[go.Figure]:
        self._pickers()
        newest, _ = self._newest_two()
        rows = self._rows(
            f"""SELECT c.name, a.element_id, e.title, a.status, a.note, a.evidence_url {
                FROM.replace("WHERE", "JOIN country c ON c.code = s.country_code WHERE")
            } AND r.id = {newest} ORDER BY c.name, e.position"""
        )
        return [self._heatmap(rows)]

    def _heatmap(self, rows: list[tuple[Any, ...]]) -> go.Figure:
        statuses = {s.code: (i, s.glyph, s.label) for i, s in enumerate(self.scale.statuses)}
        countries: dict[str, int] = {}
        elements: dict[str, int] = {}
        for name, element, *_ in rows:
            countries.setdefault(name, len(countries))
            elements.setdefault(element, len(elements))
        z: list[list[int | None]] = [[None] * len(elements) for _ in countries]
        text = [[""] * len(elements) for _ in countries]
        notes = [[""] * len(elements) for _ in countries]
        titles = [""] * len(elements)
        # As the app: notes and evidence in the hover only while they stay small.
        details = sum(len(n or "") + len(e or "") for *_, n, e in rows) <= HOVER_DETAIL_BUDGET
        for name, element, title, status, note, evidence in rows:
            i, j = countries[name], elements[element]
            index, glyph, label = statuses[status]
            z[i][j] = index
            text[i][j] = glyph
            titles[j] = html.escape(title)
            notes[i][j] = html.escape(
                label
                + (f"<br>Note: {note}" if note and details else "")
                + (f"<br>Evidence: {evidence}" if evidence and details else "")
            )
        return go.Figure(
            go.Heatmap(
                z=z,
                x=[f"{element} · {title}" for element, title in zip(elements, titles, strict=True)],
                y=list(countries),
                text=text,
                texttemplate="%{text}",
                customdata=notes,
                hovertemplate="<b>%{y}</b><br>%{x}<br>%{text} %{customdata}<extra></extra>",
                showscale=False,
            )
        )

    def country(self) -> list[go.Figure]:
        newest, previous = self._newest_two()
        country = self._rows("SELECT MAX(code) FROM country")[0][0]
        self._pickers(country)
        # Members running the same architecture, from the deployment profiles of the round.
        architectures = {
            code: set(archs.split(","))
            for code, archs in self._rows(
                f"""SELECT s.country_code, p.architectures FROM countrysurvey s
                JOIN deploymentprofile p ON p.survey_id = s.id WHERE s.round_id = {newest}"""
            )
        }
        per_country = self._scores("e.set_code, s.country_code", f"AND r.id = {newest}")
        own = architectures.get(country, set())
        every: dict[str, list[float]] = defaultdict(list)
        same: dict[str, list[float]] = defaultdict(list)
        mine = {}
        for set_code, code, score, *_ in per_country:
            every[set_code].append(score)
            if architectures.get(code, set()) & own:
                same[set_code].append(score)
            if code == country:
                mine[set_code] = score
        columns = "a.element_id, e.title, e.set_code, a.status, a.note, a.evidence_url, a.target_date"
        self._rows(f"SELECT {columns} {FROM} AND r.id = {newest} AND s.country_code = {_quote(country)}")
        self._rows(f"SELECT a.element_id, a.status {FROM} AND r.id = {previous} AND s.country_code = {_quote(country)}")
        codes = sorted(every)
        series: list[tuple[str, list[float | None], str, str]] = [
            (country, [mine.get(c) for c in codes], "#08519C", ""),
            ("All members (average)", [sum(every[c]) / len(every[c]) for c in codes], "#9ECAE1", "/"),
            (
                "Same architecture (average)",
                [sum(same[c]) / len(same[c]) if same[c] else None for c in codes],
                "#FD8D3C",
                ".",
            ),
        ]
        return [
            go.Figure(
                [
                    go.Bar(
                        name=name,
                        x=codes,
                        y=[v or 0 for v in values],
                        marker={"color": colour, "pattern": {"shape": pattern}},
                        text=["–" if v is None else f"{v:.0%}" for v in values],
                        textposition="outside",
                        hovertemplate=f"{name} · %{{x}}: %{{text}}<extra></extra>",
                    )
                    for name, values, colour, pattern in series
                ],
                layout={"barmode": "group", "yaxis": {"range": [0, 1.15], "tickformat": ".0%"}, "height": 420},
            )
        ]

    def element(self) -> list[go.Figure]:
        self._pickers()
        newest, _ = self._newest_two()
        element = self._rows("SELECT MIN(element_id) FROM checklistelement")[0][0]
        here = f"AND a.element_id = {_quote(element)}"
        distribution = dict(
            self._rows(f"SELECT a.status, COUNT(*) {FROM} AND r.id = {newest} {here} GROUP BY a.status")
        )
        self._rows(
            f"""SELECT c.name, a.status, a.note, a.evidence_url, a.target_date {
                FROM.replace("WHERE", "JOIN country c ON c.code = s.country_code WHERE")
            } AND r.id = {newest} {here}"""
        )
        history = self._rows(
            f"SELECT r.opens_on, r.name, a.status, COUNT(*) {FROM} {here} GROUP BY r.opens_on, r.name, a.status"
        )
        rounds = list(dict.fromkeys(name for _, name, _, _ in sorted(history)))
        per_status: dict[str, dict[str, int]] = defaultdict(dict)
        for _, name, status, count in history:
            per_status[status][name] = count
        statuses = self.scale.statuses
        labels = [f"{s.glyph} {s.label}" for s in statuses]
        return [
            go.Figure(
                go.Bar(
                    y=labels,
                    x=[distribution.get(s.code, 0) for s in statuses],
                    orientation="h",
                    marker_color=[s.colour for s in statuses],
                    text=[distribution.get(s.code, 0) for s in statuses],
                    textposition="outside",
                    hovertemplate="%{y}: %{x}<extra></extra>",
                ),
                layout={"yaxis": {"type": "category", "categoryarray": labels[::-1]}, "height": 400},
            ),
            go.Figure(
                [
                    go.Bar(
                        name=f"{s.glyph} {s.label}",
                        x=rounds,
                        y=[per_status[s.code].get(r, 0) for r in rounds],
                        marker_color=s.colour,
                        text=[f"{s.glyph} {n}" if (n := per_status[s.code].get(r)) else "" for r in rounds],
                        textposition="inside",
                        insidetextanchor="middle",
                        textfont={"color": "#000000"},
                        hovertemplate=f"{s.glyph} {s.label}: %{{y}}<extra>%{{x}}</extra>",
                    )
                    for s in statuses
                    if per_status.get(s.code)
                ],
                layout={"barmode": "stack", "height": 380},
            ),
        ]

    def recommendation_set(self) -> list[go.Figure]:
        self._pickers()
        newest, _ = self._newest_two()
        set_code = self._rows("SELECT MIN(set_code) FROM checklistelement")[0][0]
        in_set = f"AND e.set_code = {_quote(set_code)}"
        per_country = self._scores(
            "c.name", f"AND r.id = {newest} {in_set}", "JOIN country c ON c.code = s.country_code"
        )
        per_element = self._scores("a.element_id, e.title", f"AND r.id = {newest} {in_set}")
        trend = self._trend(in_set)
        return [
            go.Figure(go.Bar(x=[r[0] for r in per_country], y=[r[1] for r in per_country])),
            go.Figure(go.Bar(x=[r[0] for r in per_element], y=[r[2] for r in per_element])),
            _trend_figure(trend),
        ]

    def trends(self) -> list[go.Figure]:
        self._pickers()
        return [_trend_figure(self._trend())]

    def plenary(self) -> list[go.Figure]:
        newest, previous = self._newest_two()
        figures = self.overview()
        members = self._scores("c.name", f"AND r.id = {newest}", "JOIN country c ON c.code = s.country_code")
        figures.append(go.Figure(go.Bar(x=[r[0] for r in members], y=[r[1] for r in members])))
        figures.extend(self.matrix())
        figures.append(_trend_figure(self._trend()))
        changes = self._rows(
            f"""SELECT c.name,
                SUM(CASE WHEN {self.weight.replace("a.status", "later.status")} >
                    {self.weight.replace("a.status", "earlier.status")} THEN 1 ELSE 0 END),
                SUM(CASE WHEN {self.weight.replace("a.status", "later.status")} <
                    {self.weight.replace("a.status", "earlier.status")} THEN 1 ELSE 0 END)
            FROM answer later JOIN countrysurvey ls ON ls.id = later.survey_id AND ls.round_id = {newest}
                AND ls.state IN {SHARED}
            JOIN country c ON c.code = ls.country_code
            LEFT JOIN countrysurvey es ON es.country_code = ls.country_code AND es.round_id = {previous}
                AND es.state IN {SHARED}
            LEFT JOIN answer earlier ON earlier.survey_id = es.id AND earlier.element_id = later.element_id
            GROUP BY c.name ORDER BY c.name"""
        )
        figures.append(
            go.Figure(
                [
                    go.Bar(
                        y=[r[0] for r in changes],
                        x=[r[column] for r in changes],
                        text=[f"{glyph} {r[column]}" if r[column] else "" for r in changes],
                        textposition="inside",
                        orientation="h",
                        name=name,
                    )
                    for column, glyph, name in ((1, "▲", "upgrade"), (2, "▼", "downgrade"))
                ]
            )
        )
        return figures

    def page(self, name: str) -> Callable[[], list[go.Figure]]:
        method: Callable[[], list[go.Figure]] = getattr(self, name)
        return method


def _completion_figure(rows: list[tuple[Any, ...]]) -> go.Figure:
    return go.Figure(
        go.Bar(
            y=[r[0] for r in rows],
            x=[(r[3] or 0) / r[2] if r[2] else 0 for r in rows],
            orientation="h",
            text=[r[1] or "not started" for r in rows],
        )
    )


def _trend_figure(rows: list[tuple[Any, ...]]) -> go.Figure:
    lines: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        lines[row[3]].append(row)
    return go.Figure(
        [
            go.Scatter(x=[r[1] for r in points], y=[r[4] for r in points], name=code, mode="lines+markers")
            for code, points in lines.items()
        ]
    )
