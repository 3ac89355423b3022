"""Every page renders, with demo data and on an empty database; the survey page can be filled and submitted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from mcwg_dashboard.config import get_settings
from mcwg_dashboard.db import make_engine
from mcwg_dashboard.excel import export_survey_workbook
from mcwg_dashboard.models import Answer, CountrySurvey, SurveyRound
from mcwg_dashboard.services import surveys, users
from mcwg_dashboard.services.checklist_store import checklist_for_version
from mcwg_dashboard.ui.auth import SESSION_TOKEN
from tests.excel_helpers import edit_answers
from tests.helpers import ADMIN
from tests.survey_page_helpers import edit_grid

APP = str(Path(__file__).parent.parent / "app.py")
VIEWS = Path(__file__).parent.parent / "mcwg_dashboard" / "views"
PAGES = sorted(f"mcwg_dashboard/views/{p.name}" for p in VIEWS.glob("*.py") if p.name != "__init__.py")
# Pages that show answers must say when they are demo data.
PAGES_WITHOUT_ANSWERS = {
    "mcwg_dashboard/views/checklist.py",
    "mcwg_dashboard/views/audit_log.py",
    "mcwg_dashboard/views/sign_in.py",
    "mcwg_dashboard/views/account.py",
    "mcwg_dashboard/views/users_admin.py",
    "mcwg_dashboard/views/members_admin.py",
}
PUBLIC_ONLY = {"mcwg_dashboard/views/sign_in.py"}
ADMIN_PAGES = [p for p in PAGES if p not in PUBLIC_ONLY]
DEMO_WARNING = "Demo data"


def _sign_in(at: AppTest, username: str | None) -> None:
    """Hold the signed token the sign-in page would give this account (None: stay public)."""
    at.run()
    if username is None:
        return
    engine = make_engine(get_settings().effective_database_url)
    with Session(engine) as session:
        token = users.issue_session_token(session, username=username, secret=users.session_secret(session))
    engine.dispose()
    at.session_state[SESSION_TOKEN] = token


def _app(page: str | None = None, actor: str | None = "admin") -> AppTest:
    """The app as the account `actor` sees it; None: a public visitor."""
    at = AppTest.from_file(APP, default_timeout=60)
    _sign_in(at, actor)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_page_renders_with_demo_data_and_says_so(isolated_settings: Path, page: str) -> None:
    at = _app(page)
    if page not in PAGES_WITHOUT_ANSWERS:
        assert any(DEMO_WARNING in w.value for w in at.warning), "demo data must be labelled"


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_page_renders_on_a_database_without_answers(external_database: str, page: str) -> None:
    at = _app(page)
    assert not any(DEMO_WARNING in w.value for w in at.warning)


def test_configured_database_gets_no_demo_data(external_database: str) -> None:
    _app()
    engine = make_engine(external_database)
    with Session(engine) as session:
        assert session.exec(select(Answer)).first() is None
        assert all(not r.is_demo for r in session.exec(select(SurveyRound)))
    engine.dispose()


def _scope(url: str, country: str) -> tuple[str, list[str]]:
    engine = make_engine(url)
    with Session(engine) as session:
        survey_round = session.exec(select(SurveyRound).where(SurveyRound.state == "open")).one()
        element_ids = list(checklist_for_version(session, survey_round.checklist_version_id).elements)
    engine.dispose()
    return f"{survey_round.id}:{country}", element_ids


def _stored(url: str, country: str) -> tuple[CountrySurvey | None, dict[str, Answer]]:
    engine = make_engine(url)
    with Session(engine) as session:
        survey = session.exec(select(CountrySurvey).where(CountrySurvey.country_code == country)).first()
        answers = surveys.load_answers(session, survey_id=survey.id) if survey and survey.id else {}
    engine.dispose()
    return survey, answers


def _export(url: str, country: str) -> bytes:
    engine = make_engine(url)
    with Session(engine) as session:
        survey_round = session.exec(select(SurveyRound).where(SurveyRound.state == "open")).one()
        assert survey_round.id is not None
        data = export_survey_workbook(session, actor=ADMIN, round_id=survey_round.id, country_code=country)
    engine.dispose()
    return data


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_upload_shows_errors_and_changes_nothing(external_database: str) -> None:
    at = _app("mcwg_dashboard/views/survey.py")
    at.selectbox(key="survey_country").set_value("FR").run()
    scope, _ = _scope(external_database, "FR")
    bad = edit_answers(_export(external_database, "FR"), {"KOS-07": {"Status": "Implemented – variant"}})
    at.get("file_uploader")[0].set_value(  # type: ignore[union-attr]
        ("fr.xlsx", bad, XLSX)
    ).run()
    assert not at.exception
    assert any(
        "nothing was imported" in e.value and "row 41, column Note: a note is required" in e.value for e in at.error
    )
    assert not [b for b in at.button if b.key == f"import:{scope}"]
    assert _stored(external_database, "FR")[1] == {}


def test_upload_preview_confirm_and_the_form_shows_the_import(external_database: str) -> None:
    at = _app("mcwg_dashboard/views/survey.py")
    at.selectbox(key="survey_country").set_value("FR").run()
    scope, _ = _scope(external_database, "FR")
    filled = edit_answers(
        _export(external_database, "FR"),
        {"KOS-07": {"Status": "Implemented – variant", "Note": "MADO rule"}, "KIN-05": {"Status": "implemented"}},
    )
    at.get("file_uploader")[0].set_value(  # type: ignore[union-attr]
        ("fr.xlsx", filled, XLSX)
    ).run()
    assert not at.exception
    preview = at.dataframe[0].value
    assert list(preview["Element"]) == ["KOS-07", "KIN-05"]
    assert _stored(external_database, "FR")[1] == {}, "the preview saves nothing"
    at.button(key=f"import:{scope}").click().run()
    at.button(key=f"confirm_import:{scope}").click().run()
    assert not at.exception
    assert any("Imported 2 answer(s)" in s.value for s in at.success)
    answers = _stored(external_database, "FR")[1]
    assert {k: (a.status, a.note) for k, a in answers.items()} == {
        "KOS-07": ("VAR", "MADO rule"),
        "KIN-05": ("IMPL", ""),
    }
    assert {m.label: m.value for m in at.metric}["Answered (saved)"] == "2 / 69", "the page shows the import"


def _dashboard(page: str, actor: str | None = "admin", **query: str | list[str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    _sign_in(at, actor)
    at.run()
    at.switch_page(page)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def _figure(at: AppTest, index: int = 0) -> dict:
    return json.loads(at.get("plotly_chart")[index].proto.spec)


def _chart_titles(at: AppTest) -> list[str]:
    """The charts' titles, written in the page above each chart (bold), not inside the figure."""
    return [m.value.strip("*") for m in at.markdown if m.value.startswith("**") and m.value.endswith("**")]


def test_overview_shows_key_figures_charts_and_map(isolated_settings: Path) -> None:
    at = _dashboard("mcwg_dashboard/views/overview.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Members"] == "11"
    assert metrics["Surveys submitted"] == "5 / 11"
    assert metrics["Overall adoption score"].endswith("%")
    charts = [chart.key for chart in at.get("plotly_chart")]
    assert charts == [
        "chart-2026-adoption-survey-set-scores",
        "chart-2026-adoption-survey-draft-set-scores",
        "overview-map",
        "chart-2026-adoption-survey-completion",
    ]
    # The headline counts the finalized sets only; the sets in progress are shown apart, labelled as drafts.
    assert _figure(at, 0)["data"][0]["y"] and set(_figure(at, 0)["data"][0]["y"]) == {"SPP", "META", "KOS"}
    assert set(_figure(at, 1)["data"][0]["y"]) == {"KIN", "DEP"}
    assert "draft recommendations" in _chart_titles(at)[1]
    assert "title" not in _figure(at, 1)["layout"] or not _figure(at, 1)["layout"]["title"].get("text")
    assert any("MADO alignment (beyond the MCWG text)" in h.value for h in at.header)
    assert any("Not started yet" in w.value for w in at.warning)
    frames = [df.value for df in at.dataframe]
    profiles = next(f for f in frames if "Transaction stacks" in f.columns)
    assert (profiles["Architectures"] != "no profile yet").all(), "every demo member has a profile"
    assert set(profiles[profiles["From round"] != ""]["Code"]) == {"CZ", "FR", "NO"}, "not started: last round's"
    participation = next(f for f in frames if "Survey answered" in f.columns)
    assert participation["Survey answered"].sum() == 5


def test_shared_matrix_link_reproduces_the_filtered_view(isolated_settings: Path) -> None:
    at = _dashboard("mcwg_dashboard/views/matrix.py", sets=["KIN"], sort="adoption")
    assert at.multiselect(key="sets").value == ["KIN"]
    assert at.selectbox(key="sort").value == "adoption"
    figure = _figure(at)
    assert figure["layout"]["xaxis"]["ticktext"] == [f"KIN-0{i}" for i in range(1, 7)]
    # Changing a filter writes it back to the URL, so the link can be shared.
    at.selectbox(key="sort").set_value("country").run()
    assert at.query_params["sort"] == ["country"] or at.query_params["sort"] == "country"
    assert sorted(_figure(at)["data"][0]["y"]) == _figure(at)["data"][0]["y"]


def test_country_and_element_pages_open_from_a_link(isolated_settings: Path) -> None:
    at = _dashboard("mcwg_dashboard/views/country.py", country="FI")
    assert at.selectbox(key="country").value == "FI"
    assert "Finland" in _chart_titles(at)[0]
    at = _dashboard("mcwg_dashboard/views/element.py", element="KOS-16")
    assert at.selectbox(key="element").value == "KOS-16"
    assert any("KOS-16" in h.value for h in at.header)


def test_trends_can_keep_only_countries_in_every_round(isolated_settings: Path) -> None:
    at = _dashboard("mcwg_dashboard/views/trends.py")
    everyone = _figure(at)["data"]
    at.toggle(key="same").set_value(True).run()
    assert not at.exception
    same = _figure(at)["data"]
    assert [t["name"] for t in everyone] == ["SPP", "META", "KOS", "KIN", "DEP"]
    assert everyone[0]["customdata"] != same[0]["customdata"], "fewer countries counted"


def test_plenary_steps_through_screens(isolated_settings: Path) -> None:
    at = _dashboard("mcwg_dashboard/views/plenary.py")
    first = _figure(at)["layout"]["title"]["text"]
    at.button(key="plenary_next").click().run()
    assert not at.exception
    assert _figure(at)["layout"]["title"]["text"] != first
    assert not at.get("text_input") and not at.get("text_area"), "no editing widgets in plenary mode"


def test_audit_log_lists_saves_and_answer_history_shows_them(external_database: str) -> None:
    at = _app("mcwg_dashboard/views/survey.py")
    at.selectbox(key="survey_country").set_value("FR").run()
    scope, _ = _scope(external_database, "FR")
    edit_grid(at, scope, {"SPP-08": {"Status": "? Under consideration"}})
    at.button(key=f"save:{scope}").click().run()
    assert any("SPP elements mean, and their history (1 saved change(s))" in e.label for e in at.expander)
    log = _app("mcwg_dashboard/views/audit_log.py")
    table = log.dataframe[0].value
    saved = table[table["Action"] == "save_answer"]
    assert saved["Key"].str.endswith("/FR/SPP-08").tolist() == [True]
    assert "status: CONS" in saved["After"].iloc[0]
    log.text_input(key="audit_key").input("no such key").run()
    assert any("No entries match" in i.value for i in log.info)


ROLE_PAGES = {
    "public": {"home", "overview", "matrix", "country", "metadata_levels", "guide", "products", "checklist", "sign_in"},
    "vendor": {"home", "overview", "matrix", "country", "metadata_levels", "guide", "products", "checklist", "account"},
    "admin": {Path(p).stem for p in ADMIN_PAGES},
    "member": {
        "home",
        "checklist",
        "overview",
        "matrix",
        "country",
        "metadata_levels",
        "guide",
        "element",
        "recommendation_set",
        "trends",
        "plenary",
        "presentation",
        "proposals",
        "proposal",
        "products",
        "account",
    },
    "country_rep": {
        "home",
        "survey",
        "checklist",
        "overview",
        "matrix",
        "country",
        "metadata_levels",
        "guide",
        "element",
        "recommendation_set",
        "trends",
        "plenary",
        "presentation",
        "proposals",
        "proposal",
        "products",
        "account",
    },
}


@pytest.mark.parametrize(
    ("role", "actor"),
    [("public", None), ("member", "member"), ("country_rep", "rep-fr"), ("vendor", "vendor"), ("admin", "admin")],
)
def test_each_role_reaches_only_its_pages(isolated_settings: Path, role: str, actor: str | None) -> None:
    for page in PAGES:
        name = Path(page).stem
        at = _app(actor=actor)
        if name in ROLE_PAGES[role]:
            at.switch_page(page)
            at.run()
            assert not at.exception, (role, page, at.exception)
        else:
            try:
                at.switch_page(page)
            except ValueError:
                continue  # not registered for this role: as it should be
            pytest.fail(f"{role} can reach {page}")


def test_representative_can_only_choose_their_own_country(isolated_settings: Path) -> None:
    at = _app("mcwg_dashboard/views/survey.py", actor="rep-no")
    assert at.selectbox(key="survey_country").options == ["Norway (NO)"]


def test_public_sees_published_answers_without_notes(isolated_settings: Path) -> None:
    at = _dashboard("mcwg_dashboard/views/matrix.py", actor=None)
    figure = _figure(at)
    # The open round has submitted but unpublished surveys: the public lands on the newest published round.
    assert _chart_titles(at)[0].endswith("2025 adoption survey (demo)")
    assert "Note:" not in json.dumps(figure["data"][0]["customdata"]), "notes stay internal"


def test_unpublished_answers_never_reach_the_public(isolated_settings: Path) -> None:
    engine = make_engine(get_settings().effective_database_url)
    at = _app(actor=None)  # starts the app, which loads the demo data
    with Session(engine) as session:
        open_round = session.exec(select(SurveyRound).where(SurveyRound.state == "open")).one()
        submitted = session.exec(
            select(CountrySurvey).where(CountrySurvey.round_id == open_round.id, CountrySurvey.state == "submitted")
        ).all()
    engine.dispose()
    assert submitted, "the demo has submitted, unpublished surveys in the open round"
    for page in (
        "mcwg_dashboard/views/matrix.py",
        "mcwg_dashboard/views/overview.py",
        "mcwg_dashboard/views/country.py",
    ):
        at = _dashboard(page, actor=None, round=str(open_round.id), country=submitted[0].country_code)
        charts = at.get("plotly_chart")
        assert not charts or open_round.name not in json.dumps([json.loads(c.proto.spec) for c in charts]), page
        assert not at.dataframe or all(open_round.name not in str(d.value) for d in at.dataframe)


def test_admin_validates_and_publishes_from_the_review_page(isolated_settings: Path) -> None:
    at = _app("mcwg_dashboard/views/rounds_admin.py")
    engine = make_engine(get_settings().effective_database_url)
    with Session(engine) as session:
        open_round = session.exec(select(SurveyRound).where(SurveyRound.state == "open")).one()
        austria = session.exec(
            select(CountrySurvey).where(CountrySurvey.round_id == open_round.id, CountrySurvey.country_code == "AT")
        ).one()
    at.button(key=f"validate:{austria.id}").click().run()
    assert any("The survey of AT was validated." in s.value for s in at.success)
    at.button(key=f"publish:{austria.id}").click().run()
    assert any("The survey of AT was published." in s.value for s in at.success)
    with Session(engine) as session:
        assert session.get_one(CountrySurvey, austria.id).state == "published"
        denmark = session.exec(
            select(CountrySurvey).where(CountrySurvey.round_id == open_round.id, CountrySurvey.country_code == "DK")
        ).one()
    engine.dispose()
    # Sending back needs a comment: the button stays disabled without one.
    assert at.button(key=f"send_back:{denmark.id}").disabled
