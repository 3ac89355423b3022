"""The published report: a self-contained static site of one round's published answers, plus open data files.

Only published surveys go in (members' and, on the market readiness page, products'), and without notes or evidence
links (as on the public pages). Nothing refers to another host: the charts are Plotly divs drawn by a local copy of
plotly.min.js, the style sheet is local, and the map is drawn from shapes in the repository (charts/map.py), so the
folder works opened from disk with no network.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import html
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import plotly
import plotly.graph_objects as go
from sqlmodel import Session, col, select

from mcwg_dashboard import analytics
from mcwg_dashboard.charts.adoption import score_bars, status_heatmap
from mcwg_dashboard.charts.describe import summary
from mcwg_dashboard.charts.map import adoption_map
from mcwg_dashboard.checklist import Checklist
from mcwg_dashboard.exports import csv_bytes
from mcwg_dashboard.models import SurveyRound
from mcwg_dashboard.product_catalogue import load_product_survey
from mcwg_dashboard.reports import readiness as market
from mcwg_dashboard.reports.data import members_frame
from mcwg_dashboard.reports.guide import basis_from_answers, guide_html
from mcwg_dashboard.services.answer_data import PUBLISHED_STATES, load_answer_frame
from mcwg_dashboard.services.checklist_store import checklist_for_version
from mcwg_dashboard.services.demo import is_demo_loaded
from mcwg_dashboard.services.errors import InvalidState, NotFound
from mcwg_dashboard.services.members import member_shapes
from mcwg_dashboard.services.products import PUBLIC_STATES
from mcwg_dashboard.text import escape_markdown
from mcwg_dashboard.wording import counted, score_text

MARKER = ".mcwg-published"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
CHART_CONFIG = {"displaylogo": False, "responsive": True, "toImageButtonOptions": {"format": "png", "scale": 2}}
DEMO_NOTICE = (
    "Demo data: these answers are synthetic, made up to demonstrate the tool; they are not real survey results."
)
ANSWER_FIELDS = [
    "round_name",
    "checklist_version",
    "country_code",
    "country_name",
    "element_id",
    "set_code",
    "element_title",
    "status",
    "status_label",
    "target_date",
    "answered_at",
]

STYLE = """
body { font-family: "Source Sans Pro", Arial, sans-serif; color: #262730; margin: 0 auto; max-width: 1200px;
       padding: 1rem 1.5rem 3rem; line-height: 1.45; }
h1 { color: #08519C; margin-bottom: .2rem; }
nav a { margin-right: 1rem; }
.demo { background: #FFF4E5; border: 2px solid #B35900; padding: .6rem 1rem; font-weight: bold; }
.figures { display: flex; flex-wrap: wrap; gap: 1rem; margin: 1rem 0; }
.figure { border: 1px solid #D0D7E1; border-radius: 6px; padding: .6rem 1rem; min-width: 11rem; }
.figure b { display: block; font-size: 1.6rem; color: #08519C; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #D0D7E1; padding: .3rem .6rem; text-align: left; vertical-align: top; }
th { background: #EEF3F9; }
.chart { margin: 1.5rem 0; }
.claims { background: #EEF3F9; border-left: 4px solid #08519C; padding: .6rem 1rem; }
.wide { overflow-x: auto; }
table.claims-matrix td { text-align: center; min-width: 2.2rem; }
table.claims-matrix th.group { text-align: center; }
table.claims-matrix .not-asked { background: #F7F7F7; color: #8C8C8C; }
td.id { white-space: nowrap; }
table.readiness-summary td:last-child { white-space: nowrap; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
footer { margin-top: 3rem; color: #595959; font-size: .9rem; }
"""


@dataclass(frozen=True)
class PublishData:
    round_name: str
    answers: pd.DataFrame  # published answers only, notes and evidence blanked
    checklist: Checklist
    members: pd.DataFrame
    is_demo: bool
    shapes: Mapping[str, dict[str, Any]] = field(default_factory=dict)  # members' own outlines, for the map
    # Published vendor claims and the members' gaps they cover (readiness.html); None where it was not read.
    readiness: market.ReadinessData | None = None


def newest_published_round(session: Session) -> SurveyRound:
    """The newest round (by opening date) that has published answers: what `publish` writes when no round is named."""
    rounds = session.exec(select(SurveyRound).order_by(col(SurveyRound.opens_on).desc(), col(SurveyRound.id).desc()))
    for survey_round in rounds:
        assert survey_round.id is not None
        if not load_answer_frame(session, round_ids=[survey_round.id], states=PUBLISHED_STATES).empty:
            return survey_round
    raise InvalidState("No round has published answers yet: publish surveys on the Rounds and review page first.")


def load_publish_data(session: Session, *, round_id: int) -> PublishData:
    survey_round = session.get(SurveyRound, round_id)
    if survey_round is None:
        raise NotFound(f"Survey round {round_id} does not exist.")
    answers = load_answer_frame(session, round_ids=[round_id], states=PUBLISHED_STATES)
    if answers.empty:
        raise InvalidState(f"No published answers in {survey_round.name}: publish surveys on the Review page first.")
    readiness = market.load_readiness(
        session, round_id=round_id, claim_states=PUBLIC_STATES, answer_states=PUBLISHED_STATES
    )
    return PublishData(
        round_name=survey_round.name,
        # Notes and evidence links stay internal, as on the public pages.
        answers=answers.assign(note="", evidence_url=""),
        checklist=checklist_for_version(session, survey_round.checklist_version_id),
        members=members_frame(session, survey_round),
        shapes=member_shapes(session),
        is_demo=survey_round.is_demo or is_demo_loaded(session),
        # The vendors' notes and evidence stay internal too.
        readiness=dataclasses.replace(readiness, claims=readiness.claims.assign(note="", evidence="")),
    )


def prepare_folder(out: Path) -> None:
    """Create the folder, or reuse one this command wrote before; never write into another non-empty folder.

    Links are never followed: the folder, its `data` folder and every file it holds must be real. Reusing a
    folder needs its marker, which lists each file written with its SHA-256; write_site overwrites only files
    still exactly as it wrote them.
    """
    if out.is_symlink():
        raise InvalidState(f"{out} is a symbolic link: publish into a real folder.")
    if out.exists() and not out.is_dir():
        raise InvalidState(f"{out} is a file, not a folder.")
    if out.is_dir() and any(out.iterdir()):
        _manifest(out)  # refuses a folder without a readable marker
    out.mkdir(parents=True, exist_ok=True)


def _manifest(out: Path) -> dict[str, list[str]]:
    """The files publish wrote into `out` (relative path: the SHA-256 of its content; two while a run is under
    way, the old and the new, so a run cut short leaves every file still known), from its marker."""
    marker = out / MARKER
    if marker.is_symlink() or not marker.is_file():
        raise InvalidState(f"{out} is not empty and was not written by `publish`: choose a new or empty folder.")
    try:
        files = json.loads(marker.read_text(encoding="utf-8"))["files"]
        if not isinstance(files, dict) or not all(
            isinstance(v, list) and all(isinstance(h, str) for h in v) for v in files.values()
        ):
            raise ValueError
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise InvalidState(
            f"{out} holds a `publish` marker without the list of files it wrote (an older version, or edited): "
            "choose a new or empty folder."
        ) from None
    return {str(name): list(hashes) for name, hashes in files.items()}


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _check_targets(out: Path, names: list[str], manifest: dict[str, list[str]]) -> None:
    """Refuse before writing anything when a target is a link, or a file publish did not write or that changed since."""
    for folder in sorted({(out / name).parent for name in names} - {out}):
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            raise InvalidState(f"{folder} is not a real folder (a link or a file): publish refuses to write there.")
    for name in names:
        path = out / name
        if path.is_symlink():
            raise InvalidState(
                f"{path} is a symbolic link: publish never follows links. Remove it or choose a new folder."
            )
        if not path.exists():
            continue
        if not path.is_file() or _sha256(path.read_bytes()) not in manifest.get(name, []):
            raise InvalidState(
                f"{path} was not written by `publish` (or was changed since): it is left alone and nothing was "
                "written. Move it away or choose a new folder."
            )


def _write_file(path: Path, content: bytes) -> None:
    """A new file beside `path`, then renamed over it: the rename replaces the name itself, so a link put there
    meanwhile is replaced, never followed, and a file hard-linked elsewhere is never changed."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".publish-")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_site(data: PublishData, out: Path, *, now: dt.datetime | None = None) -> list[Path]:
    """Write the site and the open data into `out` (see prepare_folder); returns the files written."""
    prepare_folder(out)
    manifest = _manifest(out) if any(out.iterdir()) else {}
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    files: dict[str, bytes] = {}

    def write(name: str, content: str | bytes) -> None:
        files[name] = content.encode("utf-8") if isinstance(content, str) else content

    write("plotly.min.js", PLOTLY_JS.read_bytes())
    write("style.css", STYLE)
    sets = [s for s in data.checklist.sets if (data.answers["set_code"] == s.code).any()]
    chart_data: dict[str, pd.DataFrame] = {}
    write("index.html", _index_page(data, sets, stamp, chart_data))
    for rec_set in sets:
        write(f"set-{rec_set.code.lower()}.html", _set_page(data, rec_set.code, sets, stamp, chart_data))
    for code in sorted(set(data.answers["country_code"])):
        write(_member_page_name(str(code)), _member_page(data, str(code), sets, stamp))
    if data.readiness is not None:
        write("readiness.html", _readiness_page(data, data.readiness, sets, stamp, chart_data))
    # The clinician quick guide: general, and per member from its published answers of this round.
    write("guide.html", guide_html(data.checklist, demo=data.is_demo))
    for code, rows in data.answers.groupby("country_code", sort=True):
        basis = basis_from_answers(str(code), str(rows["country_name"].iloc[0]), data.round_name, "published", rows)
        write(f"guide-{str(code).lower()}.html", guide_html(data.checklist, basis, demo=data.is_demo))
    for name, frame in chart_data.items():
        write(name, csv_bytes(frame))
    answers = open_answers(data)
    checklist = open_checklist(data.checklist)
    meta = {"round": data.round_name, "published_at": stamp, "demo_data": data.is_demo}
    write("data/answers.csv", csv_bytes(answers))
    write("data/answers.json", _json({**meta, "answers": answers.to_dict(orient="records")}))
    write("data/checklist.csv", csv_bytes(checklist))
    write("data/checklist.json", _json({**meta, "checklist": data.checklist.model_dump(mode="json")}))
    write("README.md", _readme(data, sets, stamp))
    _check_targets(out, list(files), manifest)
    new = {name: [_sha256(content)] for name, content in files.items()}
    # The marker first, knowing old and new contents: were the run cut short, the next one still owns every file.
    _write_marker(out, {**manifest, **{name: manifest.get(name, []) + hashes for name, hashes in new.items()}})
    (out / "data").mkdir(exist_ok=True)
    for name, content in files.items():
        _write_file(out / name, content)
    _write_marker(out, {**manifest, **new})
    return [out / MARKER, *(out / name for name in files)]


def _write_marker(out: Path, files: dict[str, list[str]]) -> None:
    note = "Written by python -m mcwg_dashboard publish; the next publish into this folder replaces these files only."
    _write_file(out / MARKER, _json({"written_by": note, "files": files}).encode("utf-8"))


def open_answers(data: PublishData) -> pd.DataFrame:
    scale = data.checklist.scale
    answers = data.answers.assign(
        status_label=data.answers["status"].map(lambda code: scale.get(code).label),
        target_date=data.answers["target_date"].map(lambda d: d.isoformat() if isinstance(d, dt.date) else ""),
        answered_at=pd.to_datetime(data.answers["answered_at"], utc=True).dt.strftime("%Y-%m-%d"),
    )
    return answers[ANSWER_FIELDS].reset_index(drop=True)


def open_checklist(checklist: Checklist) -> pd.DataFrame:
    rows = [
        {
            "element_id": element.id,
            "set_code": rec_set.code,
            "set_title": rec_set.title,
            "title": element.title,
            "explanation": element.explanation,
            "standards": "; ".join(element.standards),
            "metadata_level": element.level_text,
            "architectures": ",".join(element.architectures),
        }
        for rec_set in checklist.sets
        for element in rec_set.elements
    ]
    return pd.DataFrame(rows)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1, default=str) + "\n"


def _chart(figure: go.Figure, div_id: str, data: pd.DataFrame, files: dict[str, pd.DataFrame]) -> str:
    """The chart, with a link to its data as CSV just below it (written as data/<div_id>.csv)."""
    files[f"data/{div_id}.csv"] = data
    div = figure.to_html(full_html=False, include_plotlyjs=False, config=CHART_CONFIG, div_id=div_id)
    # The chart in words under it, also its accessible name: no reader depends on seeing its colours.
    words = html.escape(summary(figure))
    return (
        f'<figure class="chart" aria-label="{words}">{div}<figcaption>{words}</figcaption>'
        f'<p><a href="data/{div_id}.csv">This chart\'s data (CSV)</a></p></figure>'
    )


def _page(data: PublishData, title: str, body: str, sets: list[Any], stamp: str) -> str:
    links = (
        ['<a href="index.html">Overview</a>']
        + [f'<a href="set-{s.code.lower()}.html">{html.escape(s.code)}</a>' for s in sets]
        + ['<a href="guide.html">Clinician guide</a>']
        + (['<a href="readiness.html">Market readiness</a>'] if data.readiness is not None else [])
    )
    demo = f'<p class="demo">{html.escape(DEMO_NOTICE)}</p>' if data.is_demo else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} · MCWG adoption survey</title>
<link rel="stylesheet" href="style.css">
<script src="plotly.min.js"></script>
</head>
<body>
<nav>{" ".join(links)}</nav>
<h1>{html.escape(title)}</h1>
<p>MCWG adoption survey · {html.escape(data.round_name)} · published answers only</p>
{demo}
{body}
<footer>Published {html.escape(stamp)} by the MCWG focus group. Open data: <a href="data/answers.csv">answers.csv</a>,
<a href="data/answers.json">answers.json</a>, <a href="data/checklist.csv">checklist.csv</a>,
<a href="data/checklist.json">checklist.json</a> (see README.md).</footer>
</body>
</html>
"""


def _member_page_name(code: str) -> str:
    return f"member-{code.lower()}.html"


def _index_page(data: PublishData, sets: list[Any], stamp: str, files: dict[str, pd.DataFrame]) -> str:
    answers = data.answers
    headline = analytics.headline(answers)
    member_scores = analytics.adoption_scores(headline, ["country_code", "country_name"])
    scores = data.members[["country_code", "country_name"]].merge(member_scores, how="left")
    set_scores = analytics.adoption_scores(answers, ["set_code"])
    published = answers["country_code"].nunique()
    figures = [
        ("Members published", counted(published, len(data.members), "members")),
        (
            "Overall adoption score (finalized sets)",
            score_text(analytics.overall_score(headline), int(headline["weight"].count())),
        ),
        ("Elements", str(answers["element_id"].nunique())),
    ]
    cards = "".join(
        f'<div class="figure">{html.escape(label)}<b>{html.escape(value)}</b></div>' for label, value in figures
    )
    set_rows = "".join(
        f'<tr><td><a href="set-{s.code.lower()}.html">{html.escape(s.code)}</a></td><td>{html.escape(s.title)}</td>'
        f"<td>{html.escape(s.maturity)}</td><td>{html.escape(_score_cell(set_scores, 'set_code', s.code))}</td></tr>"
        for s in sets
    )
    # Members by name, each linked to its page: no ranking of members.
    published_codes = set(answers["country_code"])
    member_rows = "".join(
        f'<tr><td><a href="{_member_page_name(str(code))}">{html.escape(str(name))}</a></td>'
        f"<td>{'published' if code in published_codes else 'not published'}</td></tr>"
        if code in published_codes
        else f"<tr><td>{html.escape(str(name))}</td><td>not published</td></tr>"
        for code, name in zip(data.members["country_code"], data.members["country_name"], strict=True)
    )
    body = (
        f'<div class="figures">{cards}</div>'
        + _chart(
            adoption_map(scores.assign(detail=""), title="Adoption score by member", shapes=data.shapes),
            "chart-map",
            scores,
            files,
        )
        + _chart(
            score_bars(set_scores, label="set_code", title="Adoption per recommendation set"),
            "chart-sets",
            set_scores,
            files,
        )
        + "<h2>Recommendation sets</h2><p>The overall score and the map count the finalized sets only; sets in "
        "progress are draft recommendations, and the MADO alignment items (beyond the MCWG text) are never scored."
        "</p><table><tr><th>Set</th><th>Title</th><th>Maturity</th><th>Adoption score</th></tr>"
        + set_rows
        + "</table><h2>Members</h2><p>Each member's page gives its deployment profile and its published answers. "
        "Members are listed by name: the report does not rank them.</p><table><tr><th>Member</th><th>Survey</th></tr>"
        + member_rows
        + "</table>"
    )
    return _page(data, "Adoption of the MCWG recommendations", body, sets, stamp)


def _score_cell(scores: pd.DataFrame, column: str, key: str) -> str:
    match = scores[scores[column] == key]
    if match.empty:
        return "no scored answers"
    return score_text(float(match["score"].iloc[0]), int(match["scored"].iloc[0]))


def _set_page(data: PublishData, set_code: str, sets: list[Any], stamp: str, files: dict[str, pd.DataFrame]) -> str:
    rec_set = next(s for s in data.checklist.sets if s.code == set_code)
    subset = data.answers[data.answers["set_code"] == set_code]
    scale = data.checklist.scale
    matrix = analytics.status_matrix(subset, sort_by="country")  # members by name, never ranked
    heatmap = status_heatmap(matrix, subset, scale, title=f"{set_code}: status per member and element")
    scored = analytics.adoption_scores(subset, ["element_id"])
    counts = subset.groupby(["element_id", "status"]).size()
    rows = []
    for element in rec_set.elements:
        if element.id not in set(scored["element_id"]):
            continue
        per_status = ", ".join(
            f"{scale.get(code).display}: {int(counts[(element.id, code)])}"
            for code in scale.codes
            if (element.id, code) in counts.index
        )
        standards = "; ".join(element.standards) or "—"
        rows.append(
            f"<tr><td>{html.escape(element.id)}</td><td><b>{html.escape(element.title)}</b><br>"
            f"{html.escape(element.explanation)}</td><td>{html.escape(standards)}</td>"
            f"<td>{html.escape(element.level_text or '—')}</td>"
            f"<td>{html.escape(_score_cell(scored, 'element_id', element.id))}</td>"
            f"<td>{html.escape(per_status)}</td></tr>"
        )
    summary = f"<p>{html.escape(rec_set.summary)}</p>" if rec_set.summary else ""
    matrix_data = matrix.reset_index().rename(columns={"country_code": "member"})
    body = (
        f"<p><b>Maturity:</b> {html.escape(rec_set.maturity)}</p>"
        + summary
        + _chart(heatmap, f"chart-matrix-{set_code.lower()}", matrix_data, files)
        + "<h2>Elements</h2><table><tr><th>Element</th><th>Title and explanation</th><th>Standards</th>"
        "<th>Metadata level</th><th>Adoption score</th><th>Answers</th></tr>" + "".join(rows) + "</table>"
    )
    return _page(data, f"{set_code} {rec_set.title}", body, sets, stamp)


def _member_page(data: PublishData, code: str, sets: list[Any], stamp: str) -> str:
    mine = data.answers[data.answers["country_code"] == code].sort_values("position")
    name = str(mine["country_name"].iloc[0])
    scale = data.checklist.scale
    architectures = str(mine["architectures"].dropna().iloc[0]) if mine["architectures"].notna().any() else ""
    profile = f"<p><b>Deployment architectures:</b> {html.escape(architectures.replace(',', ', ') or 'not given')}</p>"
    rows = "".join(
        f"<tr><td>{html.escape(str(r['element_id']))}</td><td>{html.escape(str(r['element_title']))}</td>"
        f"<td>{html.escape(str(r['set_code']))}</td><td>{html.escape(scale.get(str(r['status'])).display)}</td>"
        f"<td>{html.escape(r['target_date'].isoformat() if isinstance(r['target_date'], dt.date) else '')}</td></tr>"
        for r in mine.to_dict("records")
    )
    body = (
        profile + f"<p>{len(mine)} published answers.</p><table><tr><th>Element</th><th>Title</th><th>Set</th>"
        "<th>Status</th><th>Target date</th></tr>" + rows + "</table>"
    )
    return _page(data, name, body, sets, stamp)


def _table_data_link(name: str, frame: pd.DataFrame, files: dict[str, pd.DataFrame]) -> str:
    """A link to the table's data as CSV, written as data/<name>.csv, for just below the table."""
    files[f"data/{name}.csv"] = frame
    return f'<p><a href="data/{name}.csv">This table\'s data (CSV)</a></p>'


def _readiness_page(
    data: PublishData, readiness: market.ReadinessData, sets: list[Any], stamp: str, files: dict[str, pd.DataFrame]
) -> str:
    """Published vendor claims: which product claims what (products grouped by type), and per member its gaps with
    the products whose claims cover them. Labelled as vendor claims throughout, kept apart from members' figures."""
    title = "Market readiness: products and members' gaps"
    gaps = market.either(market.gap_status_labels(readiness))
    covers = market.either(market.covering_status_labels())
    statement = (
        '<p class="claims"><b>Vendor claims, validated and published by the focus group; not part of any '
        "member's adoption figure.</b> Vendors answer a product survey on the checklist elements that apply to "
        f"their product's type. A member has a gap where its published answer is {html.escape(gaps)} on an element "
        f"products are asked about; a product covers it where its vendor claims {html.escape(covers)}.</p>"
    )
    if not readiness.has_claims:
        body = statement + (
            "<p><b>No product survey has been published yet.</b> The products' claims, and the members' gaps they "
            "would close, appear here once the focus group has validated and published them.</p>"
        )
        return _page(data, title, body, sets, stamp)
    summary_table = market.gap_table(readiness)
    # On screen a product per line, so that no product's name runs on from the one before.
    summary_rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(value))}</td>" for value in row).replace("\n", "<br>") + "</tr>"
        for row in market.gap_table(readiness, separator="\n").itertuples(index=False)
    )
    summary_data = summary_table.copy()
    summary_data.insert(0, "Member code", [m.country_code for m in readiness.members])
    body = (
        statement
        + f"<p>{html.escape(market.plural(len(readiness.products), 'product'))} with a published product survey. "
        "Members are listed by name: the page does not rank them.</p>"
        + '<h2>Members\' gaps and the products that cover them</h2><table class="readiness-summary"><tr>'
        + "".join(f"<th>{html.escape(column)}</th>" for column in summary_table.columns)
        + "</tr>"
        + summary_rows
        + "</table>"
        + _table_data_link("readiness-members", summary_data, files)
        + _claims_matrix(readiness, files)
        + "<h2>Gaps per member, with the products whose vendor claims cover them</h2>"
        + "".join(_member_gaps_table(member, files) for member in readiness.members if member.gaps)
    )
    return _page(data, title, body, sets, stamp)


def _claims_matrix(readiness: market.ReadinessData, files: dict[str, pd.DataFrame]) -> str:
    """Elements as rows (by set, in checklist order), products as columns grouped by type: each cell the claimed
    status's glyph on its colour, "not asked" where the element does not apply to the product's type."""
    definition = load_product_survey()
    products = readiness.products
    shown_types = {p.product_type for p in products}
    elements = [e for e, applies in definition.applicability.items() if shown_types & set(applies)]
    claimed = {
        (int(product_id), str(element_id)): str(status)
        for product_id, element_id, status in zip(
            readiness.claims["product_id"], readiness.claims["element_id"], readiness.claims["status"], strict=True
        )
    }
    known = readiness.checklist.elements
    set_titles = {s.code: s.title for s in readiness.checklist.sets}
    groups: list[tuple[str, int]] = []
    for product in products:
        if groups and groups[-1][0] == product.type_label:
            groups[-1] = (product.type_label, groups[-1][1] + 1)
        else:
            groups.append((product.type_label, 1))
    header = (
        '<tr><th rowspan="2" scope="col">Element</th>'
        + "".join(f'<th colspan="{n}" class="group" scope="colgroup">{html.escape(t)}</th>' for t, n in groups)
        + "</tr><tr>"
        + "".join(f'<th scope="col">{html.escape(p.label)}</th>' for p in products)
        + "</tr>"
    )
    rows: list[str] = []
    current_set = ""
    for element_id in elements:
        set_code = element_id.split("-")[0]
        if set_code != current_set:
            current_set = set_code
            heading = f"{set_code} · {set_titles[set_code]}" if set_code in set_titles else set_code
            rows.append(f'<tr><th colspan="{len(products) + 1}">{html.escape(heading)}</th></tr>')
        element = known.get(element_id)
        name = f"{element_id} {element.title}" if element is not None else element_id
        cells = []
        for product in products:
            if product.product_type not in definition.applicability[element_id]:
                cells.append(
                    f'<td class="not-asked" title="not asked of a {html.escape(product.type_label)}">–'
                    '<span class="visually-hidden"> not asked</span></td>'
                )
                continue
            status = definition.status(claimed.get((product.product_id, element_id), definition.default.code))
            colour = "#FFFFFF" if _is_dark(status.colour) else "#000000"
            cells.append(
                f'<td style="background:{status.colour};color:{colour}" title="{html.escape(status.label)}">'
                f'{html.escape(status.glyph)}<span class="visually-hidden"> {html.escape(status.label)}</span></td>'
            )
        rows.append(f'<tr><th scope="row">{html.escape(name)}</th>{"".join(cells)}</tr>')
    legend = "".join(
        f"<li>{html.escape(s.display)}: {html.escape(s.meaning.rstrip('.'))}</li>" for s in definition.statuses
    )
    claims = readiness.claims
    titles = {e: known[e].title if e in known else "" for e in claims["element_id"].astype(str)}
    labels = {p.product_id: p for p in products}
    claims_data = pd.DataFrame(
        {
            "product": [labels[int(i)].name for i in claims["product_id"]],
            "vendor": claims["vendor"],
            "product_type": [labels[int(i)].type_label for i in claims["product_id"]],
            "demo_data": claims["is_demo"].astype(bool),
            "element_id": claims["element_id"],
            "element_title": [titles[str(e)] for e in claims["element_id"]],
            "status": claims["status"],
            "status_label": [definition.status(str(c)).label for c in claims["status"]],
            "release": claims["release"],
        }
    )
    return (
        f"<h2>What each product claims ({market.VENDOR_CLAIMS})</h2>"
        "<p>Products grouped by type; an element a type is not asked about is marked –. The statuses:</p>"
        f"<ul>{legend}</ul>"
        f'<div class="wide"><table class="claims-matrix">{header}{"".join(rows)}</table></div>'
        + _table_data_link("readiness-claims", claims_data, files)
    )


def _member_gaps_table(member: market.MemberReadiness, files: dict[str, pd.DataFrame]) -> str:
    rows = "".join(
        f'<tr><td class="id">{html.escape(gap.element_id)}</td><td>{html.escape(gap.element_title)}</td>'
        f"<td>{html.escape(gap.member_status_label)}</td>"
        f"<td>{'<br>'.join(html.escape(p.label) for p in gap.products) or 'no product claims to cover it'}</td></tr>"
        for gap in member.gaps
    )
    gap_data = pd.DataFrame(
        {
            "member_code": member.country_code,
            "element_id": [g.element_id for g in member.gaps],
            "element_title": [g.element_title for g in member.gaps],
            "set_code": [g.set_code for g in member.gaps],
            "member_status": [g.member_status for g in member.gaps],
            "member_status_label": [g.member_status_label for g in member.gaps],
            "covering_products_vendor_claims": ["; ".join(p.label for p in g.products) for g in member.gaps],
            "covering_product_count": [len(g.products) for g in member.gaps],
        }
    )
    covered = len(member.covered)
    return (
        f"<h3>{html.escape(member.country_name)}</h3><p>{html.escape(market.plural(len(member.gaps), 'gap'))}, "
        f"{covered} covered by some product's vendor claim.</p><table><tr><th>Element</th><th>Title</th>"
        f"<th>Member's published answer</th><th>Products whose vendor claims cover it</th></tr>{rows}</table>"
        + _table_data_link(f"readiness-gaps-{member.country_code.lower()}", gap_data, files)
    )


def _is_dark(colour: str) -> bool:
    red, green, blue = (int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue < 0.5


def _readme(data: PublishData, sets: list[Any], stamp: str) -> str:
    pages = "\n".join(
        f"- `set-{s.code.lower()}.html`: {escape_markdown(f'{s.code} {s.title}')}: maturity, status matrix, and "
        "each element with its explanation, standards and metadata level"
        for s in sets
    )
    demo = f"\n**{DEMO_NOTICE}**\n" if data.is_demo else ""
    # A markdown file: the round's name is text, never markup (a link or image would render on any forge).
    return f"""# MCWG adoption survey: {escape_markdown(data.round_name)}

Published {stamp}. Only the answers of surveys the focus group published; notes and evidence links are not
included. Open `index.html` in a browser: everything is in this folder, nothing is loaded from the internet.
{demo}
## Files

- `index.html`: key figures, the adoption map, adoption per recommendation set, the members by name
{pages}
- `member-<code>.html`: one page per member with published answers: its deployment profile and its answers
- `readiness.html`: market readiness: what vendors claim for their products (published product surveys only,
  labelled as vendor claims, never part of a member's figure), and per member its gaps with the products whose
  claims cover them; `data/readiness-*.csv` hold each of its tables
- `guide.html`, `guide-<code>.html`: the clinician quick guide to imaging metadata (what to filter on first, what to
  pick among the results with, who sets each value), generated from the checklist; per member, what works there
  according to its published answers. Print them from the browser, or get a PDF with
  `python -m mcwg_dashboard guide --out guide.pdf`
- `data/chart-*.csv`: the data of each chart, linked just below it
- `plotly.min.js`, `style.css`: the chart library (Plotly, MIT licence) and the style sheet, used by the pages
- `data/answers.csv`, `data/answers.json`: one row per member and element: round, checklist version, member code
  and name, element ID, set, element title, status code and label, target date (for planned elements), date
  answered. The JSON also names the round, the publication time and whether the data is synthetic demo data.
- `data/checklist.csv`, `data/checklist.json`: the checklist the round was answered against: every element with
  its set, title, explanation, standards, metadata level and architectures; the JSON also holds the answer scale
  (status codes, labels and score weights).

The adoption score of a group of answers is the mean score weight of its statuses (Implemented 1, ...,
Not planned 0; Not applicable and Unknown carry no weight), as listed in `data/checklist.json` under `scale`.
"""
