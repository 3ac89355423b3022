"""The published report: published answers only, no notes, nothing fetched from another host, open data files."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from sqlmodel import Session, select

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
    pages = sorted(site.glob("*.html"))
    assert len(pages) == 6  # index and one page per recommendation set that is asked
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
    assert main(["publish", "--round", ROUND, "--out", str(out)]) == 0
    assert "Wrote 14 files" in capsys.readouterr().out
    assert (out / "index.html").is_file()
    assert main(["publish", "--round", "2026 adoption survey", "--out", str(isolated_settings / "x")]) == 1
    assert capsys.readouterr().err.startswith("error: No published answers in 2026 adoption survey")
