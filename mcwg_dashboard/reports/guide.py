"""The clinician quick guide to imaging metadata: generated from the checklist (levels, who sets each value, what it
is) and, for one member, from its newest shared answers. Never hand-edited: a changed checklist changes the guide.

Plain Python (no Streamlit): HTML here; the PDF is that HTML printed by the system Chromium (print_pdf).
"""

from __future__ import annotations

import html
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlmodel import Session, select

from mcwg_dashboard.checklist import Checklist, Element
from mcwg_dashboard.exports import ChartExportUnavailable
from mcwg_dashboard.models import Country
from mcwg_dashboard.reports.metadata_levels import DECK_TABLE, LEVEL_WORDS
from mcwg_dashboard.services.answer_data import SHARED_STATES, load_answer_frame
from mcwg_dashboard.services.errors import NotFound

# Who sets a value when the deck does not say: the usual case, said as such.
USUAL_SETTER = {
    "META": "usually the system that registers the study or report (PACS, VNA or imaging gateway)",
    "KOS": "the system that writes the study manifest (PACS, VNA or imaging gateway)",
    "KIN": "the system where images are flagged (PACS or viewer), when it writes the flagging manifest",
}
# What a member's answer means for a clinician searching in that country today.
WORKS, PARTIAL, PLANNED, NOT_AVAILABLE, NOT_ANSWERED = (
    "works today",
    "partly available",
    "planned",
    "not available",
    "not answered",
)
_STATE_OF_STATUS = {
    "IMPL": WORKS,
    "VAR": WORKS,
    "PART": PARTIAL,
    "PLAN": PLANNED,
    "CONS": NOT_AVAILABLE,
    "NOPL": NOT_AVAILABLE,
    "NA": NOT_AVAILABLE,
    "UNK": NOT_ANSWERED,
}
STATE_ORDER = [WORKS, PARTIAL, PLANNED, NOT_AVAILABLE, NOT_ANSWERED]


@dataclass(frozen=True)
class MemberAnswer:
    status: str
    note: str
    target_date: str


@dataclass(frozen=True)
class MemberBasis:
    """A member's newest shared answers: who, from which round, in which survey state."""

    code: str
    name: str
    round_name: str
    survey_state: str
    answers: dict[str, MemberAnswer]


def guide_elements(checklist: Checklist) -> list[Element]:
    """Every element of the checklist with a query level, the deck's six first (in the deck's order)."""
    elements = checklist.elements
    deck = [elements[i] for i in DECK_TABLE if i in elements and elements[i].metadata_level is not None]
    others = [e for s in checklist.sets for e in s.elements if e.metadata_level is not None and e.id not in DECK_TABLE]
    return deck + others


def who_sets(element: Element) -> str:
    return element.set_by or USUAL_SETTER.get(element.set_code, "not stated")


def in_plain_words(element: Element) -> str:
    """The element's explanation, said as what a clinician can count on (the survey's 'Counts as adopted when')."""
    text = " ".join(element.explanation.split())
    for opening in ("Counts as adopted when ", "Counts as Implemented when "):
        if text.startswith(opening):
            text = text[len(opening) :]
            text = text[0].upper() + text[1:]
    return text


def level_label(element: Element) -> str:
    level = element.metadata_level
    if level is None:
        return ""
    text = f"Level {level}"
    if element.alternative_metadata_level and element.alternative_metadata_level != level:
        text += f" (or {element.alternative_metadata_level})"
    return text


def member_state(basis: MemberBasis, element_id: str) -> tuple[str, str]:
    """(state, detail) of one element for the member: the detail is the note of a partial answer, the date of a
    planned one."""
    answer = basis.answers.get(element_id)
    if answer is None:
        return NOT_ANSWERED, ""
    state = _STATE_OF_STATUS.get(answer.status, NOT_AVAILABLE)
    if state == PARTIAL:
        return state, answer.note
    if state == PLANNED:
        return state, f"planned for {answer.target_date}" if answer.target_date else "no date given"
    return state, ""


_STYLE = """
@page { size: A4; margin: 18mm 16mm 20mm 16mm;
  @bottom-left { content: "MCWG clinician quick guide · checklist %(version)s"; font: 9pt sans-serif; color: #444; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages); font: 9pt sans-serif; color: #444; } }
body { font-family: "Source Sans Pro", Arial, sans-serif; color: #0E1117; line-height: 1.45; max-width: 60rem;
  margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.8rem; margin-bottom: 0.2rem; } h2 { font-size: 1.3rem; margin-top: 1.6rem; break-after: avoid; }
table { border-collapse: collapse; width: 100%%; font-size: 0.92rem; }
th, td { border: 1px solid #B0B0B0; padding: 0.3rem 0.45rem; text-align: left; vertical-align: top; }
th { background: #EEF3F9; } tr { break-inside: avoid; }
th:nth-child(1) { width: 19%%; } th:nth-child(2) { width: 9%%; } th:nth-child(3) { width: 19%%; }
th:nth-child(5) { width: 16%%; }
.basis { background: #FFF4D6; border: 1px solid #C9A227; padding: 0.5rem 0.7rem; }
.demo { background: #FDECEA; border: 1px solid #B3261E; padding: 0.5rem 0.7rem; }
.note { font-size: 0.85rem; color: #333; }
figure { margin: 1rem 0; } figcaption { font-size: 0.9rem; }
"""


def _linkage_svg() -> str:
    """Order, request, study and report as boxes, every link labelled "1 to n" (words, not colour)."""
    boxes = [
        (10, 60, "Clinical order", "order placer number"),
        (270, 60, "Imaging request", "accession number"),
        (530, 10, "Imaging study", "Study Instance UID"),
        (530, 110, "Imaging report", "report document"),
    ]
    parts = []
    for x, y, title, key in boxes:
        parts.append(
            f'<rect x="{x}" y="{y}" width="180" height="56" rx="8" fill="#FFFFFF" stroke="#08519C" stroke-width="2"/>'
            f'<text x="{x + 90}" y="{y + 24}" text-anchor="middle" font-size="15" font-weight="bold">{title}</text>'
            f'<text x="{x + 90}" y="{y + 44}" text-anchor="middle" font-size="13">{key}</text>'
        )
    arrows = [(190, 88, 270, 88), (450, 80, 530, 40), (450, 96, 530, 136)]
    for x1, y1, x2, y2 in arrows:
        parts.append(
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#0E1117" stroke-width="1.6" '
            'marker-end="url(#arrow)"/>'
            f'<text x="{(x1 + x2) / 2}" y="{min(y1, y2) - 6 if y1 == y2 else (y1 + y2) / 2 + (-10 if y2 < y1 else 18)}"'
            ' text-anchor="middle" font-size="12">1 to n</text>'
        )
    return (
        '<svg role="img" aria-label="A clinical order leads to one or more imaging requests; each request leads to '
        'one or more imaging studies and one or more imaging reports." viewBox="0 0 720 180" width="720" '
        'height="180" font-family="Arial, sans-serif" fill="#0E1117"><defs><marker id="arrow" viewBox="0 0 10 10" '
        'refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z"/></marker>'
        f"</defs>{''.join(parts)}</svg>"
    )


def _searches(checklist: Checklist) -> list[str]:
    """Worked searches in clinicians' words, naming the elements they rely on (only those the checklist has)."""
    have = checklist.elements
    steps = [
        (
            "A CT of the chest from the last 2 years",
            ["META-01", "META-06", "META-07", "META-02"],
            "Filter on the patient, the modality CT, the region upper trunk and a date from two years ago; the list"
            " that comes back holds the CT studies of the chest, newest first.",
        ),
        (
            "Then the one linked to this order",
            ["META-11", "META-10", "META-09"],
            "Among those results, pick the study whose order placer number is the one on your order (or whose"
            " accession number is on the request); the Study Instance UID then opens exactly that study.",
        ),
        (
            "The report of that study",
            ["META-03", "META-10", "META-20"],
            "Filter on the document class 'imaging report' and the same accession number: the report written for"
            " that request comes back with the study.",
        ),
    ]
    out = []
    for title, ids, words in steps:
        used = [f"{i} ({html.escape(have[i].title)})" for i in ids if i in have]
        out.append(
            f"<li><strong>{html.escape(title)}.</strong> {html.escape(words)}"
            f'<br><span class="note">Relies on: {", ".join(used) or "no element of this checklist"}</span></li>'
        )
    return out


def _rows(elements: list[Element], basis: MemberBasis | None) -> str:
    header = ["What you search on", "Level", "Who sets the value", "What you can count on"]
    if basis is not None:
        header.append(f"In {html.escape(basis.name)} today")
    lines = ["<table><thead><tr>" + "".join(f"<th>{h}</th>" for h in header) + "</tr></thead><tbody>"]
    for element in elements:
        cells = [
            f"<strong>{html.escape(DECK_TABLE.get(element.id, element.title))}</strong><br>"
            f'<span class="note">{html.escape(element.id)}</span>',
            html.escape(level_label(element)),
            html.escape(who_sets(element)),
            html.escape(in_plain_words(element)),
        ]
        if basis is not None:
            state, detail = member_state(basis, element.id)
            cells.append(f"<strong>{html.escape(state)}</strong>" + (f"<br>{html.escape(detail)}" if detail else ""))
        lines.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    lines.append("</tbody></table>")
    return "\n".join(lines)


def guide_html(checklist: Checklist, basis: MemberBasis | None = None, *, demo: bool = False) -> str:
    """The whole guide as one HTML page (no script, nothing from another host): general, or for one member."""
    elements = guide_elements(checklist)
    first = [e for e in elements if e.metadata_level == 1]
    then = [e for e in elements if e.metadata_level == 2]
    title = "Finding imaging studies: a quick guide for clinicians"
    if basis is not None:
        title += f" · {basis.name}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_STYLE % {'version': html.escape(checklist.version)}}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>Generated from the MCWG checklist {html.escape(checklist.version)}: every value below, its level and who"
        " sets it come from the checklist, so the guide follows each new version.</p>",
    ]
    if demo:
        parts.append(
            '<p class="demo"><strong>Demo data.</strong> The answers behind this guide are made up to show'
            " the tool; they are not the survey results of any country.</p>"
        )
    if basis is not None:
        parts.append(
            f'<p class="basis">Based on the survey of {html.escape(basis.round_name)},'
            f" {html.escape(basis.survey_state)} answers of {html.escape(basis.name)} ({html.escape(basis.code)})."
            " The last column says what works in that country today.</p>"
        )
    parts += [
        "<h2>How it works</h2>",
        f"<p>You search in two steps. <strong>Level 1</strong> is {LEVEL_WORDS[1]}: narrow the search with a few"
        f" broad values. <strong>Level 2</strong> is {LEVEL_WORDS[2]}: the exact identifiers that tell one study,"
        " request or order from another. Values marked “(or 2)” can serve both.</p>",
        "<h2>Filter first (level 1)</h2>",
        _rows(first, basis),
        "<h2>Then pick (level 2)</h2>",
        _rows(then, basis),
        "<h2>How an order, a request, a study and a report relate</h2>",
        f"<figure>{_linkage_svg()}<figcaption>A clinical order (order placer number) leads to one or more imaging"
        " requests (accession number); each request leads to one or more imaging studies (Study Instance UID) and"
        " one or more imaging reports. Every link is one to many.</figcaption></figure>",
        "<h2>Worked searches</h2>",
        "<ol>" + "".join(_searches(checklist)) + "</ol>",
        '<p class="note">Standards (the first named for each value; the checklist page lists them all): '
        + html.escape("; ".join(f"{e.id} {e.standards[0]}" for e in elements if e.standards))
        + ".</p>",
        "</body></html>",
    ]
    return "\n".join(parts)


class PdfUnavailable(ChartExportUnavailable):
    """No Chromium on this machine to print the guide, or it failed (said in one line, like a chart export)."""


def pdf_bytes(page: str) -> bytes:
    """The guide printed to PDF, as bytes (for a download button)."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "guide.pdf"
        print_pdf(page, out)
        return out.read_bytes()


def print_pdf(page: str, out: Path, *, timeout: float = 120) -> None:
    """Print the HTML page to an A4 PDF with the system Chromium (page numbers from the page's own @page rules)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise PdfUnavailable("Printing the guide needs Chromium (apt-get install chromium); the HTML works without.")
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "guide.html"
        source.write_text(page, encoding="utf-8")
        command = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={Path(folder) / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={out.resolve()}",
            source.as_uri(),
        ]
        result = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
    if result.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
        raise PdfUnavailable(f"Chromium could not print the guide (exit {result.returncode}).")


def basis_from_answers(code: str, name: str, round_name: str, state: str, answers: pd.DataFrame) -> MemberBasis:
    """A member's basis from answer rows already read (one round; columns element_id, status, note, target_date)."""
    return MemberBasis(
        code=code,
        name=name,
        round_name=round_name,
        survey_state=state,
        answers={
            str(element): MemberAnswer(
                str(status), "" if pd.isna(note) else str(note), "" if pd.isna(target) else str(target)
            )
            for element, status, note, target in zip(
                answers["element_id"], answers["status"], answers["note"], answers["target_date"], strict=True
            )
        },
    )


def member_basis(
    session: Session, code: str, checklist: Checklist, *, states: Iterable[str] = SHARED_STATES
) -> MemberBasis | None:
    """The member's answers on the guide's elements from its newest round holding answers in these survey states
    (published only for the public); None when it has none."""
    member = session.get(Country, code)
    if member is None:
        known = ", ".join(sorted(session.exec(select(Country.code)).all()))
        raise NotFound(f"Unknown member {code!r}; the members are {known}.")
    answers = load_answer_frame(
        session,
        states=states,
        columns=["round_opens_on", "round_name", "survey_state", "element_id", "status", "note", "target_date"],
        element_ids=[e.id for e in guide_elements(checklist)],
        country_codes=[code],
    )
    if answers.empty:
        return None
    newest = answers[answers["round_opens_on"] == answers["round_opens_on"].max()]
    return basis_from_answers(
        code, member.name, str(newest["round_name"].iloc[0]), str(newest["survey_state"].iloc[0]), newest
    )
