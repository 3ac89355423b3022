"""The benchmark command: runs, reports every measure, counts statements that do not grow with the countries.

Times are never asserted. To stay fast, the tests shrink the synthetic checklist and the rounds (module constants).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from mcwg_dashboard import bench, bench_pages
from mcwg_dashboard.cli import main
from mcwg_dashboard.config import get_settings
from mcwg_dashboard.db import make_engine
from mcwg_dashboard.ui.page_timing import page_names

MEASURE_FIELDS = {
    "name",
    "kind",
    "seconds",
    "floor",
    "ratio",
    "target",
    "meets_target",
    "statements",
    "statements_fewer_countries",
    "heap_peak_mb",
    "peak_rss_mb",
    "runs",
    "floor_runs",
    "cpu_seconds",
    "floor_cpu_seconds",
    "cpu_ratio",
    "wall_ratio",
    "figure_json_kb",
    "largest_figure_json_kb",
    "imports_rss_mb",
}


@pytest.fixture
def small_bench(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench, "ELEMENTS", 12)
    monkeypatch.setattr(bench, "ROUNDS", 3)


def test_bench_writes_every_measure_as_json(
    small_bench: None, isolated_settings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bench.json"
    assert main(["bench", "--scale", "0.05", "--repeats", "1", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "page overview" in printed and "full export" in printed and f"Wrote {out}" in printed
    result = json.loads(out.read_text())
    assert result["countries"] == 4 and result["fewer_countries"] == 3
    assert result["answers"] == 4 * 12 * 3
    names = [m["name"] for m in result["measures"]]
    assert names == [f"page {p}" for p in bench.PAGES] + [
        "import a country workbook",
        "save a whole country survey",
        "full export",
    ]
    for measure in result["measures"]:
        assert set(measure) == MEASURE_FIELDS
        assert measure["seconds"] > 0 and measure["floor"] > 0 and measure["ratio"] > 0
        assert len(measure["runs"]) == 1 and measure["statements"] > 0
    pages = [m for m in result["measures"] if m["kind"] == "page"]
    assert all(m["statements"] == m["statements_fewer_countries"] for m in pages)
    for page in pages:
        assert page["cpu_seconds"] > 0 and page["floor_cpu_seconds"] > 0 and page["cpu_ratio"] > 0
        assert page["figure_json_kb"] >= page["largest_figure_json_kb"] > 0
        # Read in a process of its own, so less than this process has seen (the build, tracemalloc, the export).
        assert 0 < page["imports_rss_mb"] <= page["peak_rss_mb"] < result["peak_rss_mb"]
    assert result["statements_independent_of_countries"] is True
    # Every page through AppTest on the same synthetic dataset, the survey included, cold and warm.
    timed = {p["page"]: p for p in result["app_pages"]}
    assert set(timed) == set(page_names()) and timed["survey"]["account"] == bench.BENCH_REPRESENTATIVE
    assert all(p["cold_seconds"] > 0 and p["warm_seconds"] > 0 for p in timed.values())
    figures = result["figures"]
    assert figures["slowest_cold_page_seconds"] == max(p["cold_seconds"] for p in timed.values())
    assert {"pages_within_3x", "page_rss_under_300_mb", "matrix_json_under_1_mb", "export_within_1_2x"} <= set(figures)
    assert result["peak_rss_mb"] >= result["app_peak_rss_mb"] > 0
    # The app's own (embedded) database was never created.
    assert not (isolated_settings / "mcwg.sqlite3").exists()


def test_statements_per_page_do_not_grow_with_the_countries(small_bench: None, tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'bench.sqlite3'}")
    dataset = bench.build_base(engine, get_settings().surveys_dir)
    bench.add_countries(engine, dataset, 0, 3)
    few = bench.count_page_statements(engine)
    bench.add_countries(engine, dataset, 3, 25)
    many = bench.count_page_statements(engine)
    engine.dispose()
    assert set(few) == set(bench.PAGES)
    assert few == many
    assert all(count > 0 for count in few.values())


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--scale", "0"], 2, "--scale must be above 0"),
        (["--scale", "-1"], 2, "--scale must be above 0"),
        (["--scale", "nan"], 2, "--scale must be above 0"),
        (["--repeats", "0"], 2, "--repeats must be at least 1"),
        (["--json", "/no/such/folder/bench.json"], 1, "cannot write the JSON file"),
    ],
)
def test_bad_bench_arguments_give_one_line(
    args: list[str], code: int, message: str, isolated_settings: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", *args]) == code
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert not (isolated_settings / "mcwg.sqlite3").exists()


def test_bench_refuses_a_database_in_use(engine: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    url = engine.url.render_as_string(hide_password=False)
    assert main(["bench", "--scale", "0.05", "--repeats", "1", "--database-url", url]) == 1
    err = capsys.readouterr().err
    assert "must name an empty database" in err and len(err.strip().splitlines()) == 1
    with engine.connect() as connection:
        assert engine.dialect.has_table(connection, "answer"), "the database was left as it was"


def test_bench_refuses_the_apps_own_database(isolated_settings: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = get_settings().effective_database_url
    assert main(["bench", "--scale", "0.05", "--database-url", url]) == 1
    assert "the app's own database" in capsys.readouterr().err
    assert not (isolated_settings / "mcwg.sqlite3").exists()


def test_status_table_of_one_round_equals_its_rows_of_the_full_table(small_bench: None, tmp_path: Path) -> None:
    from sqlmodel import Session

    from mcwg_dashboard.services.overview import survey_status_table

    engine = make_engine(f"sqlite:///{tmp_path / 'bench.sqlite3'}")
    dataset = bench.build_base(engine, get_settings().surveys_dir)
    bench.add_countries(engine, dataset, 0, 4)
    with Session(engine) as session:
        full = survey_status_table(session)
        for round_id, name in zip(dataset.round_ids, sorted(set(full["Round"])), strict=True):
            one = survey_status_table(session, round_id=round_id)
            assert set(one["Round"]) == {name}
            expected = full[full["Round"] == name].reset_index(drop=True)
            pd.testing.assert_frame_equal(one.reset_index(drop=True), expected)
    engine.dispose()


def test_bench_pages_times_every_page_cold_and_warm_on_its_own_demo_database(
    isolated_settings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pages.json"
    assert main(["bench", "--pages", "--repeats", "1", "--json", str(out)]) == 0
    pages = json.loads(out.read_text())["pages"]
    views = sorted(p.stem for p in (Path(__file__).parent.parent / "mcwg_dashboard" / "views").glob("*.py"))
    assert [p["page"] for p in pages] == [v for v in views if v != "__init__"]
    assert all(p["cold_seconds"] > 0 and p["warm_seconds"] > 0 for p in pages)
    assert next(p for p in pages if p["page"] == "survey")["account"] == "rep-fr"
    assert "slowest warm rerun" in capsys.readouterr().out
    assert not (isolated_settings / "mcwg.sqlite3").exists(), "never the app's own database"


def test_each_floor_draws_the_figures_of_its_page_from_the_same_numbers(small_bench: None, tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'bench.sqlite3'}")
    dataset = bench.build_base(engine, get_settings().surveys_dir)
    bench.add_countries(engine, dataset, 0, 5)
    floors = bench.Floors(engine, dataset.checklist.scale)
    with Session(engine) as session:
        trend_app = bench_pages.page_trends(session)[0]
        sets_app = bench_pages.page_overview(session)[0]
    trend_floor = floors.trends()[0]
    assert len(trend_app.data) == len(trend_floor.data) == len(bench.SETS)
    for app_line, floor_line in zip(trend_app.data, trend_floor.data, strict=True):
        assert list(app_line.y) == pytest.approx(list(floor_line.y))
    sets_floor = floors.overview()[0].data[0]
    assert dict(zip(sets_app.data[0].y, sets_app.data[0].x, strict=True)) == pytest.approx(
        dict(zip(sets_floor.x, sets_floor.y, strict=True))
    )
    engine.dispose()
