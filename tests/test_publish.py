"""The published report: published answers only, no notes, nothing fetched from another host, open data files."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from sqlmodel import Session, select

from mcwg_dashboard.checklist import load_checklist
from mcwg_dashboard.cli import main
from mcwg_dashboard.models import Answer, CountrySurvey, SurveyRound
from mcwg_dashboard.reports.publish import load_publish_data, write_site
from mcwg_dashboard.services.demo import load_demo
from mcwg_dashboard.services.errors import InvalidState
from tests.helpers import ADMIN

ROUND = "2025 adoption survey (demo)"


class _References(HTMLParser):
    """Every URL a page would load or link to: script src, link href, img src, and any other src/href/srcset."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "srcset", "data", "poster") and value is not None:
                self.urls.append((tag, name, value))


def _site(session: Session, tmp_path: Path) -> Path:
    load_demo(session, actor=ADMIN)
    later = session.exec(select(SurveyRound).where(SurveyRound.name == ROUND)).one()
    assert later.id is not None
    # France's survey goes back to "validated": it must drop out of the published report.
    france = session.exec(
        select(CountrySurvey).where(CountrySurvey.round_id == later.id, CountrySurvey.country_code == "FR")
    ).one()
    france.state = "validated"
    # A note and an evidence link on a published answer stay out of the report.
    norway = session.exec(
        select(CountrySurvey).where(CountrySurvey.round_id == later.id, CountrySurvey.country_code == "NO")
    ).one()
    answer = session.exec(select(Answer).where(Answer.survey_id == norway.id)).first()
    assert answer is not None
    answer.note, answer.evidence_url = "INTERNAL-NOTE-xyz", "https://intranet.example/evidence"
    session.commit()
    out = tmp_path / "site"
    write_site(load_publish_data(session, round_id=later.id), out)
    return out


def test_published_pages_load_nothing_from_another_host(session: Session, tmp_path: Path) -> None:
    site = _site(session, tmp_path)
    guides = sorted(site.glob("guide*.html"))
    pages = sorted(set(site.glob("*.html")) - set(guides))
    members = len(list(site.glob("member-*.html")))
    assert members >= 2
    # index, market readiness, one page per recommendation set asked, one per published member
    assert len(pages) == 7 + members
    assert len(guides) == 1 + members  # the clinician guide, general and per member: self-contained, no script
    for guide in guides:
        text = guide.read_text(encoding="utf-8")
        assert "<script" not in text and "<link" not in text and 'src="' not in text, guide.name
    loaded = 0
    for page in pages:
        parser = _References()
        text = page.read_text(encoding="utf-8")
        parser.feed(text)
        for tag, attribute, url in parser.urls:
            if tag in ("script", "link", "img", "iframe", "source", "embed", "object") or attribute != "href":
                assert "://" not in url and not url.startswith("//"), f"{page.name}: <{tag} {attribute}={url}>"
                assert (site / url).is_file(), f"{page.name} loads {url}, which is not in the folder"
                loaded += 1
        assert "INTERNAL-NOTE-xyz" not in text and "intranet.example" not in text
        assert '<script src="plotly.min.js"></script>' in text
    assert loaded == 2 * len(pages)  # the local script and style sheet, on every page
    assert (site / "plotly.min.js").stat().st_size > 1_000_000


def test_open_data_holds_published_answers_only(session: Session, tmp_path: Path) -> None:
    site = _site(session, tmp_path)
    answers = pd.read_csv(site / "data" / "answers.csv", encoding="utf-8-sig", keep_default_na=False)
    assert "FR" not in set(answers["country_code"])
    assert set(answers["country_code"]) == {"AT", "BE", "CA-QC", "CZ", "DK", "FI", "GB-ENG", "NL", "NO"}
    assert "note" not in answers.columns and "evidence_url" not in answers.columns
    assert len(answers) == 9 * 69
    document = json.loads((site / "data" / "answers.json").read_text(encoding="utf-8"))
    assert document["round"] == ROUND and document["demo_data"] is True
    assert len(document["answers"]) == len(answers)
    checklist = pd.read_csv(site / "data" / "checklist.csv", encoding="utf-8-sig")
    assert len(checklist) == 69 and {"element_id", "title", "explanation"} <= set(checklist.columns)
    assert "scale" in json.loads((site / "data" / "checklist.json").read_text(encoding="utf-8"))["checklist"]
    readme = (site / "README.md").read_text(encoding="utf-8")
    for name in ("index.html", "data/answers.csv", "data/answers.json", "data/checklist.csv", "data/checklist.json"):
        assert name in readme
    every = "".join(p.read_text(encoding="utf-8") for p in site.rglob("*") if p.is_file() and p.suffix != ".js")
    assert "INTERNAL-NOTE-xyz" not in every


def test_publish_refuses_a_foreign_folder_and_a_round_with_nothing_published(session: Session, tmp_path: Path) -> None:
    site = _site(session, tmp_path)
    later = session.exec(select(SurveyRound).where(SurveyRound.name == ROUND)).one()
    assert later.id is not None
    write_site(load_publish_data(session, round_id=later.id), site)  # its own folder: replaced
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.docx").write_text("keep me")
    with pytest.raises(InvalidState, match="not empty"):
        write_site(load_publish_data(session, round_id=later.id), foreign)
    assert [p.name for p in foreign.iterdir()] == ["thesis.docx"]
    open_round = session.exec(select(SurveyRound).where(SurveyRound.state == "open")).one()
    assert open_round.id is not None
    with pytest.raises(InvalidState, match="No published answers"):
        load_publish_data(session, round_id=open_round.id)


def test_cli_publish(isolated_settings: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = isolated_settings / "public"
    assert main(["publish", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    # Without --round: the newest round with published answers, named (the open round has none published).
    assert f"Round: {ROUND}, the newest with published answers" in printed
    # 14 site and data files, a page and a guide per published member, the general guide, a CSV per chart (map,
    # sets, five set matrices).
    members = len(list(out.glob("member-*.html")))
    # ... and the market-readiness page with its members' and claims' CSVs and a gaps CSV per member
    assert f"Wrote {14 + 2 * members + 1 + 7 + 1 + 2 + members} files" in printed
    assert (out / "index.html").is_file()
    assert main(["publish", "--round", "2026 adoption survey", "--out", str(isolated_settings / "x")]) == 1
    assert capsys.readouterr().err.startswith("error: No published answers in 2026 adoption survey")


def _published_round(session: Session) -> int:
    load_demo(session, actor=ADMIN)
    later = session.exec(select(SurveyRound).where(SurveyRound.name == ROUND)).one()
    assert later.id is not None
    return later.id


def test_publish_overwrites_only_files_it_wrote_and_never_follows_links(session: Session, tmp_path: Path) -> None:
    round_id = _published_round(session)
    site = tmp_path / "site"
    write_site(load_publish_data(session, round_id=round_id), site)
    write_site(load_publish_data(session, round_id=round_id), site)  # its own files, unchanged: replaced

    # A user's own index.html in a folder holding the marker is left alone, and nothing is written.
    (site / "index.html").write_text("my own page", encoding="utf-8")
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    with pytest.raises(InvalidState, match="was not written by `publish`"):
        write_site(load_publish_data(session, round_id=round_id), site)
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == before

    # A link in place of a file it wrote is not followed: the file it points to keeps its content.
    outside = tmp_path / "precious.html"
    outside.write_text("precious", encoding="utf-8")
    (site / "index.html").unlink()
    (site / "style.css").unlink()
    (site / "style.css").symlink_to(outside)
    with pytest.raises(InvalidState, match="symbolic link"):
        write_site(load_publish_data(session, round_id=round_id), site)
    assert outside.read_text(encoding="utf-8") == "precious"

    # A linked data folder, a linked marker, a linked output folder: all refused.
    (site / "style.css").unlink()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for path in list((site / "data").iterdir()):
        path.rename(elsewhere / path.name)
    (site / "data").rmdir()
    (site / "data").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(InvalidState, match="not a real folder"):
        write_site(load_publish_data(session, round_id=round_id), site)
    linked_site = tmp_path / "linked-site"
    linked_site.symlink_to(site, target_is_directory=True)
    with pytest.raises(InvalidState, match="symbolic link"):
        write_site(load_publish_data(session, round_id=round_id), linked_site)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "index.html").write_text("theirs", encoding="utf-8")
    (foreign / ".mcwg-published").symlink_to(site / ".mcwg-published")
    with pytest.raises(InvalidState):
        write_site(load_publish_data(session, round_id=round_id), foreign)
    assert (foreign / "index.html").read_text(encoding="utf-8") == "theirs"


def test_a_marker_without_the_list_of_files_does_not_open_the_folder(session: Session, tmp_path: Path) -> None:
    """The marker alone (an older version's, or one a user copied) proves nothing about index.html."""
    round_id = _published_round(session)
    site = tmp_path / "site"
    site.mkdir()
    (site / ".mcwg-published").write_text("Written by python -m mcwg_dashboard publish\n", encoding="utf-8")
    (site / "index.html").write_text("my own page", encoding="utf-8")
    with pytest.raises(InvalidState):
        write_site(load_publish_data(session, round_id=round_id), site)
    assert (site / "index.html").read_text(encoding="utf-8") == "my own page"


def test_round_name_markup_stays_text_in_the_readme_and_pages(session: Session, tmp_path: Path) -> None:
    round_id = _published_round(session)
    published = session.get(SurveyRound, round_id)
    assert published is not None
    published.name = "[x](https://evil.example) ![i](https://evil.example/i.png) **b** <b>big</b>"
    session.commit()
    site = tmp_path / "site"
    write_site(load_publish_data(session, round_id=round_id), site)
    readme = (site / "README.md").read_text(encoding="utf-8")
    title = readme.splitlines()[0]
    assert title == (
        r"# MCWG adoption survey: \[x\](https\://evil.example) !\[i\](https\://evil.example/i.png) \*\*b\*\* "
        r"\<b\>big\</b\>"
    )
    for page in site.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "<b>big</b>" not in text and 'href="https://evil.example' not in text


def test_report_ranks_no_member_and_explains_every_element(session: Session, tmp_path: Path) -> None:
    site = _site(session, tmp_path)
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "chart-members" not in index and "Adoption per member" not in index  # no league table
    names = re.findall(r'<a href="member-[a-z-]+\.html">([^<]+)</a>', index)
    assert names == sorted(names) and len(names) >= 2  # members by name, each with its page
    kos = (site / "set-kos.html").read_text(encoding="utf-8")
    checklist = load_checklist()
    element = checklist.elements["KOS-01"]
    assert html.escape(element.explanation) in kos
    assert all(html.escape(standard) in kos for standard in element.standards)
    assert "Maturity:" in kos and "Metadata level" in kos
    for chart in re.findall(r'<div id="(chart-[a-z-]+)"', index + kos):
        assert f'href="data/{chart}.csv"' in index + kos
        assert (site / "data" / f"{chart}.csv").is_file()
    member = next(site.glob("member-*.html")).read_text(encoding="utf-8")
    assert "Deployment architectures" in member and "published answers" in member


def test_every_published_chart_is_described_in_words(session: Session, tmp_path: Path) -> None:
    site = _site(session, tmp_path)
    for page in sorted(set(site.glob("*.html")) - set(site.glob("guide*.html"))):  # the guides have no chart
        text = page.read_text(encoding="utf-8")
        charts = text.count('<figure class="chart"')
        assert charts == text.count("<figcaption>"), page.name
        assert text.count('class="plotly-graph-div"') == charts, f"{page.name}: a chart outside a described figure"
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'aria-label="Adoption score by member: ' in index


def test_the_report_holds_the_clinician_guide_general_and_per_member(session: Session, tmp_path: Path) -> None:
    site = _site(session, tmp_path)
    general = (site / "guide.html").read_text(encoding="utf-8")
    assert "<h1>Finding imaging studies: a quick guide for clinicians</h1>" in general
    members = sorted(p.name.removeprefix("member-") for p in site.glob("member-*.html"))
    assert sorted(p.name.removeprefix("guide-") for p in site.glob("guide-*.html")) == members
    one = (site / f"guide-{members[0]}").read_text(encoding="utf-8")
    assert "published answers of " in one and "INTERNAL-NOTE-xyz" not in one
    assert '<a href="guide.html">Clinician guide</a>' in (site / "index.html").read_text(encoding="utf-8")
