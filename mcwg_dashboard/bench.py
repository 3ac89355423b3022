"""The benchmark: a synthetic dataset in a temporary database, each data path timed against its floor.

Scale 1 is 60 synthetic countries x 300 synthetic elements x 12 rounds (216,000 answers); the number of
countries grows linearly with the scale, so the data does too. Every measure is the median of `repeats` runs;
a further, instrumented run counts the SQL statements and the Python heap peak (tracemalloc, which also
sees numpy's buffers). The process's peak resident size (ru_maxrss) is reported at the end.

The dataset is synthetic and labelled so everywhere: countries "Synthetic member NNN" (codes XA-001 ...),
elements SYNA-001 ... in six synthetic recommendation sets, rounds "Synthetic round NN" marked as demo.
Nothing here imports streamlit: a page's "data path" repeats what its view loads, aggregates and charts.
"""

from __future__ import annotations

import datetime as dt
import gc
import io
import json
import math
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import plotly.graph_objects as go
import xlsxwriter
from sqlalchemy import Engine, bindparam, event, insert, inspect, text, update
from sqlmodel import Session, SQLModel, col, select

from mcwg_dashboard.bench_floors import Floors as Floors
from mcwg_dashboard.bench_pages import PAGE_PATHS, peak_rss_mb
from mcwg_dashboard.checklist import AnswerScale, Checklist, Element, RecommendationSet, Requirement, load_checklist
from mcwg_dashboard.config import Settings
from mcwg_dashboard.db import make_engine, migrate
from mcwg_dashboard.excel import apply_survey_import, export_survey_workbook, plan_survey_import
from mcwg_dashboard.excel.full_export import full_export_bytes, full_export_sheets
from mcwg_dashboard.excel.survey_workbook import ANSWERS_SHEET, COL_DATE, COL_NOTE, COL_STATUS
from mcwg_dashboard.exports import sheet_titles
from mcwg_dashboard.models import CountrySurvey, RoundState, SurveyRound, SurveyState
from mcwg_dashboard.services import users
from mcwg_dashboard.services.actors import Actor, Role
from mcwg_dashboard.services.checklist_store import store_checklist
from mcwg_dashboard.services.surveys import AnswerInput, load_answers, save_answers

BENCH_ACTOR = Actor(username="bench", role=Role.ADMIN, display_name="benchmark")
COUNTRIES_AT_SCALE_1 = 60
ELEMENTS = 300
SETS = ("SYNA", "SYNB", "SYNC", "SYND", "SYNE", "SYNF")
ROUNDS = 12
PAGES = ("overview", "matrix", "country", "element", "recommendation_set", "trends", "plenary")
TARGETS = {"page": 3.0, "import": 2.0, "export": 1.2}
SEED = 20240531


class BenchError(ValueError):
    """Bad benchmark arguments or a database the benchmark must not use."""


@dataclass
class Measure:
    name: str
    kind: str
    seconds: float
    floor: float | None
    ratio: float | None
    target: float | None
    statements: int | None = None
    statements_fewer_countries: int | None = None
    heap_peak_mb: float | None = None
    peak_rss_mb: float | None = None
    runs: list[float] = field(default_factory=list)
    floor_runs: list[float] = field(default_factory=list)
    # CPU seconds of this process (median); with PostgreSQL the server's own CPU is not in them.
    cpu_seconds: float | None = None
    floor_cpu_seconds: float | None = None
    cpu_ratio: float | None = None
    wall_ratio: float | None = None
    # The size of the figures' JSON a page sends to the browser (all its figures; the largest one).
    figure_json_kb: float | None = None
    largest_figure_json_kb: float | None = None
    # Pages: resident memory of a process of their own after its imports (peak_rss_mb is after the page's run).
    imports_rss_mb: float | None = None

    @property
    def meets_target(self) -> bool | None:
        if self.target is None or self.ratio is None:
            return None
        return self.ratio <= self.target


@dataclass
class BenchResult:
    scale: float
    repeats: int
    backend: str
    countries: int
    fewer_countries: int
    elements: int
    rounds: int
    answers: int
    build_seconds: float
    measures: list[Measure]
    peak_rss_mb: float
    # Every page through Streamlit's AppTest on the same dataset: cold (fresh session, empty caches, round picker
    # included) and warm (a rerun), in seconds (ui.page_timing.PageTiming.as_dict).
    app_pages: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for item, measure in zip(data["measures"], self.measures, strict=True):
            item["meets_target"] = measure.meets_target
        data["figures"] = self.figures()
        data["statements_independent_of_countries"] = all(
            m.statements == m.statements_fewer_countries for m in self.measures if m.kind == "page"
        )
        data["peak_rss_under_400_mb"] = self.peak_rss_mb < 400
        # The app's own peak: the largest RSS seen after a measure's own runs, before the floors (pandas to_excel
        # of the export floor needs far more than any code path of the app).
        data["app_peak_rss_mb"] = self.app_peak_rss_mb
        data["app_peak_rss_under_400_mb"] = self.app_peak_rss_mb < 400
        return data

    def figures(self) -> dict[str, Any]:
        """The issue's figures at a glance: each with its value and whether it is met."""
        pages = [m for m in self.measures if m.kind == "page"]
        export = next((m for m in self.measures if m.kind == "export"), None)
        matrix = next((m for m in pages if m.name == "page matrix"), None)
        figures: dict[str, Any] = {
            "largest_page_ratio": max((m.ratio or 0.0 for m in pages), default=0.0),
            "largest_page_peak_rss_mb": max((m.peak_rss_mb or 0.0 for m in pages), default=0.0),
            "matrix_figure_json_kb": matrix.figure_json_kb if matrix else None,
            "export_ratio": export.ratio if export else None,
        }
        figures["pages_within_3x"] = figures["largest_page_ratio"] <= TARGETS["page"]
        figures["page_rss_under_300_mb"] = figures["largest_page_peak_rss_mb"] < 300
        figures["matrix_json_under_1_mb"] = (figures["matrix_figure_json_kb"] or 0) < 1024
        figures["export_within_1_2x"] = export is not None and (export.ratio or 0) <= TARGETS["export"]
        if self.app_pages:
            figures["slowest_cold_page_seconds"] = max(p["cold_seconds"] for p in self.app_pages)
            figures["slowest_warm_rerun_seconds"] = max(p["warm_seconds"] for p in self.app_pages)
            figures["cold_pages_within_1_s"] = figures["slowest_cold_page_seconds"] <= 1.0
            figures["warm_reruns_within_0_3_s"] = figures["slowest_warm_rerun_seconds"] <= 0.3
        return figures

    @property
    def app_peak_rss_mb(self) -> float:
        return max((m.peak_rss_mb or 0.0 for m in self.measures), default=0.0)


# --------------------------------------------------------------------------------------------- dataset


def synthetic_checklist(scale: AnswerScale) -> Checklist:
    """300 synthetic elements in six synthetic sets, on the real answer scale."""
    per_set = ELEMENTS // len(SETS)
    sets = []
    for set_index, code in enumerate(SETS):
        elements = tuple(
            Element(
                id=f"{code}-{i:03d}",
                title=f"Synthetic element {code}-{i:03d}",
                explanation=f"Synthetic benchmark element {i} of set {code}; it stands for no real recommendation.",
                metadata_level=(None, 1, 2)[i % 3],
            )
            for i in range(1, per_set + 1)
        )
        sets.append(
            RecommendationSet(
                code=code,
                title=f"Synthetic set {set_index + 1}",
                version="1.0",
                date=dt.date(2024, 1, 1),
                status="finalized",
                summary="Synthetic benchmark data.",
                elements=elements,
            )
        )
    return Checklist(version="bench-synthetic", date=dt.date(2024, 1, 1), scale=scale, sets=tuple(sets))


def country_code(index: int) -> str:
    return f"X{chr(ord('A') + index // 1000)}-{index % 1000:03d}"


@dataclass
class Dataset:
    version_id: int
    round_ids: list[int]  # oldest first; the last one is open
    checklist: Checklist
    countries: int = 0
    answers: int = 0


def build_base(engine: Engine, surveys_dir: Path) -> Dataset:
    """Schema, the synthetic checklist and 12 rounds (11 closed, the newest open); no countries yet."""
    migrate(engine)
    checklist = synthetic_checklist(load_checklist(surveys_dir).scale)
    with Session(engine, expire_on_commit=False) as session:
        version = store_checklist(session, actor=BENCH_ACTOR, checklist=checklist)
        assert version.id is not None
        round_ids = []
        for number in range(1, ROUNDS + 1):
            opens = dt.date(2014, 1, 15) + dt.timedelta(days=182 * (number - 1))
            survey_round = SurveyRound(
                name=f"Synthetic round {number:02d}",
                opens_on=opens,
                closes_on=opens + dt.timedelta(days=90),
                checklist_version_id=version.id,
                state=RoundState.OPEN.value if number == ROUNDS else RoundState.CLOSED.value,
                is_demo=True,
            )
            session.add(survey_round)
            session.commit()
            assert survey_round.id is not None
            round_ids.append(survey_round.id)
    return Dataset(version_id=version.id, round_ids=round_ids, checklist=checklist)


def _answer_values(rng: random.Random, scale: AnswerScale, opens: dt.date, *, draft: bool) -> dict[str, Any]:
    choices = [s for s in scale.statuses if s.answered or draft]
    status = rng.choices(choices, weights=[4 if s.code == "IMPL" else 2 for s in choices])[0]
    note = ""
    if Requirement.NOTE in status.requires or rng.random() < 0.2:
        note = f"Synthetic note {rng.randrange(10_000)}: differs in region {rng.randrange(20)}."
    target = opens + dt.timedelta(days=365) if Requirement.TARGET_DATE in status.requires else None
    return {
        "status": status.code,
        "note": note,
        "evidence_url": "https://example.org/synthetic" if rng.random() < 0.1 else "",
        "target_date": target,
    }


def add_countries(engine: Engine, dataset: Dataset, start: int, stop: int) -> None:
    """Countries start..stop-1 with a survey in every round, every element answered; bulk inserts."""
    rng = random.Random(SEED + start)
    tables = SQLModel.metadata.tables
    with Session(engine) as session:
        rounds = {r.id: r for r in session.exec(select(SurveyRound))}
    codes = [country_code(i) for i in range(start, stop)]
    with engine.begin() as connection:
        connection.execute(
            insert(tables["country"]),
            [
                {
                    "code": code,
                    "name": f"Synthetic member {i:03d}",
                    "architectures": rng.choice(["A", "B", "C", "A,B"]),
                    "architectures_are_demo": True,
                }
                for i, code in zip(range(start, stop), codes, strict=True)
            ],
        )
        surveys = []
        for round_id in dataset.round_ids:
            newest = round_id == dataset.round_ids[-1]
            for i, code in zip(range(start, stop), codes, strict=True):
                # In the open round the first two countries are still drafting (import and save measures).
                if newest and i < 2:
                    state = SurveyState.DRAFT.value
                else:
                    state = rng.choices(
                        [SurveyState.PUBLISHED.value, SurveyState.VALIDATED.value, SurveyState.SUBMITTED.value],
                        weights=[7, 2, 1],
                    )[0]
                opened = dt.datetime.combine(rounds[round_id].opens_on, dt.time(9), tzinfo=dt.UTC)
                surveys.append(
                    {
                        "round_id": round_id,
                        "country_code": code,
                        "state": state,
                        "version": 1,
                        "is_demo": True,
                        "updated_at": opened + dt.timedelta(days=30),
                        "state_comment": "",
                    }
                )
        connection.execute(insert(tables["countrysurvey"]), surveys)
        rows = connection.execute(
            select(col(CountrySurvey.id), col(CountrySurvey.round_id), col(CountrySurvey.state)).where(
                col(CountrySurvey.country_code).in_(codes)
            )
        ).all()
        element_ids = list(dataset.checklist.elements)
        for survey_id, round_id, state in rows:
            opens = rounds[round_id].opens_on
            answered_at = dt.datetime.combine(opens, dt.time(12), tzinfo=dt.UTC) + dt.timedelta(days=20)
            batch = []
            for element_id in element_ids:
                values = _answer_values(rng, dataset.checklist.scale, opens, draft=state == SurveyState.DRAFT.value)
                batch.append(
                    {
                        "survey_id": survey_id,
                        "element_id": element_id,
                        **values,
                        "version": 1,
                        "answered_by": "synthetic",
                        "answered_at": answered_at,
                        "needs_reconfirmation": False,
                        "carried_over": False,
                        "element_changed": False,
                    }
                )
            connection.execute(insert(tables["answer"]), batch)
            dataset.answers += len(batch)
    dataset.countries += stop - start


# --------------------------------------------------------------------------------------------- instruments


class StatementCounter:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.count = 0

    def _on_execute(self, *_args: Any) -> None:
        self.count += 1

    @contextmanager
    def counting(self) -> Iterator[StatementCounter]:
        self.count = 0
        event.listen(self.engine, "before_cursor_execute", self._on_execute)
        try:
            yield self
        finally:
            event.remove(self.engine, "before_cursor_execute", self._on_execute)


def _timed(run: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds of one run, with the cyclic garbage collector paused (no collection pause lands in one
    run)."""
    gc.disable()
    try:
        start, cpu = time.perf_counter(), time.process_time()
        run()
        return time.perf_counter() - start, time.process_time() - cpu
    finally:
        gc.enable()


def _instrumented(engine: Engine, run: Callable[[], object]) -> tuple[int, float]:
    """Statements issued and the Python heap peak (MB) of one run."""
    counter = StatementCounter(engine)
    tracemalloc.start()
    try:
        with counter.counting():
            run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return counter.count, peak / 2**20


# --------------------------------------------------------------------------------------------- measures


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def _measure(
    name: str,
    kind: str,
    engine: Engine,
    repeats: int,
    run: Callable[[], object],
    floor: Callable[[], object] | None,
    *,
    prepare: Callable[[], None] | None = None,
    log: Callable[[str], None],
) -> Measure:
    runs, cpus, floors, floor_cpus = [], [], [], []
    gc.collect()
    for _ in range(repeats):
        if prepare:
            prepare()
        wall, cpu = _timed(run)
        runs.append(wall)
        cpus.append(cpu)
    if prepare:
        prepare()
    rss = peak_rss_mb()  # before tracemalloc, which adds its own
    statements, heap = _instrumented(engine, run)
    for _ in range(repeats if floor is not None else 0):
        assert floor is not None
        wall, cpu = _timed(floor)
        floors.append(wall)
        floor_cpus.append(cpu)
    seconds, cpu_seconds = _median(runs), _median(cpus)
    floor_seconds = _median(floors) if floor is not None else None
    floor_cpu = _median(floor_cpus) if floor is not None else None
    wall_ratio = seconds / floor_seconds if floor_seconds else None
    cpu_ratio = cpu_seconds / floor_cpu if floor_cpu else None
    # On SQLite the database works inside this process, so CPU seconds hold all the work and are steadier than wall
    # time on a busy machine; on PostgreSQL the server's CPU is elsewhere, so the wall time is compared.
    ratio = cpu_ratio if engine.dialect.name == "sqlite" and cpu_ratio is not None else wall_ratio
    measure = Measure(
        name=name,
        kind=kind,
        seconds=seconds,
        floor=floor_seconds,
        ratio=ratio,
        target=TARGETS.get(kind),
        statements=statements,
        heap_peak_mb=round(heap, 1),
        peak_rss_mb=round(rss, 1),
        runs=runs,
        floor_runs=floors,
        cpu_seconds=cpu_seconds,
        floor_cpu_seconds=floor_cpu,
        cpu_ratio=cpu_ratio,
        wall_ratio=wall_ratio,
    )
    log(f"  {name}: {seconds:.3f} s wall, {cpu_seconds:.3f} s CPU" + (f" (x{ratio:.2f} its floor)" if ratio else ""))
    return measure


def figure_sizes(figures: list[go.Figure]) -> tuple[float, float]:
    """(all figures, the largest) as JSON sent to the browser, in KB."""
    sizes = [len(figure.to_json()) / 1024 for figure in figures]
    return round(sum(sizes), 1), round(max(sizes, default=0.0), 1)


def fresh_process_rss(database_url: str, page: str) -> tuple[float, float]:
    """(after its imports, peak) resident memory in MB of a new Python process that imports only what one page's
    data path needs and runs it once: nothing this process holds (the dataset, earlier measures, tracemalloc)
    counts."""
    script = (
        "import json, sys; from mcwg_dashboard.bench_pages import page_memory; "
        "print(json.dumps(page_memory(sys.argv[1], sys.argv[2])))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, database_url, page], capture_output=True, text=True, check=False, timeout=600
    )
    if done.returncode != 0:
        raise RuntimeError(f"the memory run of {page} failed: {done.stderr.strip().splitlines()[-1:]}")
    imported, peak = json.loads(done.stdout.strip().splitlines()[-1])
    return float(imported), float(peak)


def _page_run(engine: Engine, page: str) -> Callable[[], object]:
    def run() -> object:
        with Session(engine, expire_on_commit=False) as session:
            return PAGE_PATHS[page](session)

    return run


def count_page_statements(engine: Engine) -> dict[str, int]:
    """Statements of each page once the process has read the checklist (a server's steady state: a checklist
    version is read from the database once per process)."""
    counts = {}
    for page in PAGES:
        _page_run(engine, page)()
        counter = StatementCounter(engine)
        with counter.counting():
            _page_run(engine, page)()
        counts[page] = counter.count
    return counts


def _draft_survey(engine: Engine, dataset: Dataset, index: int) -> tuple[int, str]:
    code = country_code(index)
    with Session(engine) as session:
        survey = session.exec(
            select(CountrySurvey).where(
                CountrySurvey.round_id == dataset.round_ids[-1], CountrySurvey.country_code == code
            )
        ).one()
        assert survey.id is not None
        return survey.id, code


def _changed_workbook(data: bytes, scale: AnswerScale, flip: int) -> bytes:
    """The exported workbook with every answer changed, as a respondent would fill it in."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book[ANSWERS_SHEET]
    header = {cell.value: cell.column for cell in sheet[1]}
    labels = [scale.get("IMPL").label, scale.get("PART").label]
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row=row, column=header[COL_STATUS], value=labels[(row + flip) % 2])
        sheet.cell(row=row, column=header[COL_NOTE], value=f"Synthetic import note {flip}")
        sheet.cell(row=row, column=header[COL_DATE], value=None)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _import_measure(engine: Engine, dataset: Dataset, repeats: int, log: Callable[[str], None]) -> Measure:
    _, code = _draft_survey(engine, dataset, 0)
    state: dict[str, Any] = {"flip": 0, "data": b""}

    def prepare() -> None:
        with Session(engine) as session:
            exported = export_survey_workbook(
                session, actor=BENCH_ACTOR, round_id=dataset.round_ids[-1], country_code=code
            )
        state["flip"] += 1
        state["data"] = _changed_workbook(exported, dataset.checklist.scale, state["flip"])

    def run() -> None:
        with Session(engine, expire_on_commit=False) as session:
            plan = plan_survey_import(session, actor=BENCH_ACTOR, data=state["data"], filename="bench.xlsx")
            if plan.errors or len(plan.changes) != ELEMENTS:
                raise RuntimeError(f"benchmark workbook rejected: {plan.errors[:3]}, {len(plan.changes)} changes")
            apply_survey_import(session, actor=BENCH_ACTOR, plan=plan, resolutions={})

    def floor() -> None:
        book = openpyxl.load_workbook(io.BytesIO(state["data"]), read_only=True)
        for sheet in book.worksheets:
            for _row in sheet.iter_rows(values_only=True):
                pass
        book.close()

    return _measure("import a country workbook", "import", engine, repeats, run, floor, prepare=prepare, log=log)


def _export_measure(engine: Engine, repeats: int, log: Callable[[str], None]) -> Measure:
    with Session(engine) as session:
        sheets = full_export_sheets(session, actor=BENCH_ACTOR)
    plain = {
        title: [
            frame.columns.tolist(),
            *frame.astype(object).where(frame.notna(), None).itertuples(index=False, name=None),
        ]
        for title, frame in sheets.items()
    }

    def run() -> None:
        with Session(engine) as session:
            full_export_bytes(session, actor=BENCH_ACTOR)

    def floor() -> None:
        # The same sheets, already read and as plain rows, written by XlsxWriter in constant-memory mode with no
        # checks or formats: the fastest well-kept writer measured (openpyxl's write-only mode is slower).
        with tempfile.TemporaryDirectory() as folder:
            options = {"constant_memory": True, "remove_timezone": True, "tmpdir": folder}
            book = xlsxwriter.Workbook(str(Path(folder) / "floor.xlsx"), options)
            for title, rows in zip(sheet_titles(list(plain)), plain.values(), strict=True):
                sheet = book.add_worksheet(title)
                for number, row in enumerate(rows):
                    sheet.write_row(number, 0, row)
            book.close()

    return _measure("full export", "export", engine, repeats, run, floor, log=log)


def _save_measure(engine: Engine, dataset: Dataset, repeats: int, log: Callable[[str], None]) -> Measure:
    survey_id, _ = _draft_survey(engine, dataset, 1)
    state: dict[str, Any] = {"flip": 0, "inputs": []}
    table = SQLModel.metadata.tables["answer"]

    def prepare() -> None:
        with Session(engine) as session:
            current = load_answers(session, survey_id=survey_id)
        state["flip"] += 1
        status = "IMPL" if state["flip"] % 2 else "CONS"
        state["inputs"] = [
            AnswerInput(element_id=e, status=status, note=f"Synthetic save {state['flip']}", expected_version=a.version)
            for e, a in current.items()
        ]

    def run() -> None:
        with Session(engine, expire_on_commit=False) as session:
            save_answers(session, actor=BENCH_ACTOR, survey_id=survey_id, answers=state["inputs"])

    def floor() -> None:
        # One executemany UPDATE of the same rows in one transaction: no checks, no audit.
        with engine.begin() as connection:
            connection.execute(
                update(table)
                .where(table.c.survey_id == survey_id, table.c.element_id == bindparam("e"))
                .values(note=bindparam("n")),
                [{"e": item.element_id, "n": item.note} for item in state["inputs"]],
            )

    return _measure("save a whole country survey", "save", engine, repeats, run, floor, prepare=prepare, log=log)


# --------------------------------------------------------------------------------------------- driver


@contextmanager
def bench_database(database_url: str | None, configured_url: str) -> Iterator[Engine]:
    """A temporary SQLite file (deleted afterwards), or an empty database named by the caller (emptied afterwards)."""
    if database_url is None:
        folder = Path(tempfile.mkdtemp(prefix="mcwg-bench-"))
        engine = make_engine(f"sqlite:///{folder / 'bench.sqlite3'}")
        try:
            yield engine
        finally:
            engine.dispose()
            shutil.rmtree(folder, ignore_errors=True)
        return
    if database_url == configured_url:
        raise BenchError("--database-url names the app's own database; the benchmark needs an empty one of its own.")
    engine = make_engine(database_url)
    try:
        tables = inspect(engine).get_table_names()
    except Exception as exc:
        engine.dispose()
        raise BenchError(f"cannot connect to --database-url: {str(exc).splitlines()[0]}") from None
    if tables:
        engine.dispose()
        raise BenchError(f"--database-url must name an empty database; this one has {len(tables)} table(s).")
    try:
        yield engine
    finally:
        SQLModel.metadata.drop_all(engine)
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        engine.dispose()


BENCH_ADMIN, BENCH_REPRESENTATIVE = "bench-admin", "bench-rep"


def _app_pages(engine: Engine, url: str, repeats: int, log: Callable[[str], None]) -> list[dict[str, Any]]:
    """Every page of the app through AppTest on the synthetic dataset: the focus group's view, and the survey as the
    representative of the first synthetic member (drafting in the open round)."""
    from mcwg_dashboard.ui.page_timing import time_pages_on  # imports streamlit: only here

    password = users.generate_password()
    with Session(engine) as session:
        for username, role, countries in (
            (BENCH_ADMIN, Role.ADMIN, []),
            (BENCH_REPRESENTATIVE, Role.COUNTRY_REP, [country_code(0)]),
        ):
            users.create_user(
                session,
                actor=BENCH_ACTOR,
                data={"username": username, "role": role, "countries": countries, "password": password},
            )
    log("Every page through AppTest (cold: new session, empty caches; warm: a rerun):")
    timings = time_pages_on(
        url, admin=BENCH_ADMIN, representative=BENCH_REPRESENTATIVE, reruns=max(repeats, 1), log=log
    )
    return [t.as_dict() for t in timings]


def country_counts(scale: float) -> tuple[int, int]:
    """(all countries, the smaller number the statement counts are also taken at)."""
    # At least 4 and 3: the first two countries are drafting in the newest round, a third has submitted.
    countries = max(4, round(COUNTRIES_AT_SCALE_1 * scale))
    return countries, max(3, countries // 4)


def run_bench(
    *,
    scale: float,
    repeats: int,
    settings: Settings,
    database_url: str | None = None,
    app_pages: bool = True,
    log: Callable[[str], None] = print,
) -> BenchResult:
    if not scale > 0 or math.isinf(scale):
        raise BenchError(f"--scale must be a number above 0, not {scale}.")
    if repeats < 1:
        raise BenchError(f"--repeats must be at least 1, not {repeats}.")
    countries, fewer = country_counts(scale)
    if countries > 26_000:
        raise BenchError(f"--scale {scale} is too large: at most {26_000 / COUNTRIES_AT_SCALE_1:.0f}.")
    with bench_database(database_url, settings.effective_database_url) as engine:
        backend = engine.dialect.name
        log(
            f"Building the synthetic dataset ({backend}): {countries} countries x {ELEMENTS} elements x {ROUNDS} rounds"
        )
        started = time.perf_counter()
        dataset = build_base(engine, settings.surveys_dir)
        add_countries(engine, dataset, 0, fewer)
        build = time.perf_counter() - started
        fewer_counts = count_page_statements(engine)
        started = time.perf_counter()
        add_countries(engine, dataset, fewer, countries)
        build += time.perf_counter() - started
        if backend == "postgresql":
            # Table statistics, as autovacuum gathers them on a running server: a bulk load has none yet.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("ANALYZE"))
        log(f"  built in {build:.1f} s ({dataset.answers:,} answers); not a measure")
        measures = []
        floors = Floors(engine, dataset.checklist.scale)
        url = engine.url.render_as_string(hide_password=False)
        for page in PAGES:
            measure = _measure(
                f"page {page}", "page", engine, repeats, _page_run(engine, page), floors.page(page), log=log
            )
            measure.statements_fewer_countries = fewer_counts[page]
            with Session(engine, expire_on_commit=False) as session:
                figures = PAGE_PATHS[page](session)
            measure.figure_json_kb, measure.largest_figure_json_kb = figure_sizes(figures)
            measure.imports_rss_mb, measure.peak_rss_mb = fresh_process_rss(url, page)
            log(
                f"    figures {measure.figure_json_kb:,.0f} KB of JSON; "
                f"peak RSS {measure.peak_rss_mb:.0f} MB in a process of its own ({measure.imports_rss_mb:.0f} MB "
                "after its imports)"
            )
            measures.append(measure)
        timings = _app_pages(engine, url, repeats, log) if app_pages else []
        measures.append(_import_measure(engine, dataset, repeats, log))
        measures.append(_save_measure(engine, dataset, repeats, log))
        measures.append(_export_measure(engine, repeats, log))  # last: its floor takes the most memory
    process_peak = peak_rss_mb()
    return BenchResult(
        scale=scale,
        repeats=repeats,
        backend=backend,
        countries=countries,
        fewer_countries=fewer,
        elements=ELEMENTS,
        rounds=ROUNDS,
        answers=dataset.answers,
        build_seconds=round(build, 2),
        measures=measures,
        peak_rss_mb=round(process_peak, 1),
        app_pages=timings,
    )


def format_table(result: BenchResult) -> str:
    head = (
        "measure",
        "wall s",
        "CPU s",
        "floor CPU s",
        "ratio",
        "target",
        "ok",
        "statements",
        "JSON KB",
        "heap MB",
        "RSS MB",
    )
    rows = [head]
    for m in result.measures:
        statements = "" if m.statements is None else str(m.statements)
        if m.statements_fewer_countries is not None:
            statements = f"{m.statements_fewer_countries} / {m.statements}"
        ok = {True: "yes", False: "NO", None: ""}[m.meets_target]
        rows.append(
            (
                m.name,
                f"{m.seconds:.3f}",
                "" if m.cpu_seconds is None else f"{m.cpu_seconds:.3f}",
                "" if m.floor_cpu_seconds is None else f"{m.floor_cpu_seconds:.3f}",
                "" if m.ratio is None else f"{m.ratio:.2f}",
                "" if m.target is None else f"<= {m.target:g}x",
                ok,
                statements,
                "" if m.figure_json_kb is None else f"{m.figure_json_kb:,.0f}",
                "" if m.heap_peak_mb is None else f"{m.heap_peak_mb:.0f}",
                "" if m.peak_rss_mb is None else f"{m.peak_rss_mb:.0f}",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = [
        f"Benchmark, scale {result.scale:g} ({result.backend}): {result.countries} synthetic countries x "
        f"{result.elements} elements x {result.rounds} rounds = {result.answers:,} answers; "
        f"median of {result.repeats} run(s)"
    ]
    for index, row in enumerate(rows):
        lines.append(
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    pages = [m for m in result.measures if m.kind == "page"]
    same = all(m.statements == m.statements_fewer_countries for m in pages)
    lines.append(
        f"Statements per page at {result.fewer_countries} / {result.countries} countries: "
        + ("the same (independent of the number of countries)." if same else "DIFFERENT: they grow with countries.")
    )
    basis = "CPU seconds (the database works in this process)" if result.backend == "sqlite" else "wall seconds"
    lines.append(
        f"Ratio: {basis} against the floor: the same aggregates through the raw driver and the same figures built "
        "with plotly directly. RSS MB: pages in a process of their own (target under 300 MB); other measures: this "
        "process's peak so far, read before tracemalloc (heap MB: its peak in one run)."
    )
    if result.app_pages:
        slowest_cold = max(result.app_pages, key=lambda p: p["cold_seconds"])
        slowest_warm = max(result.app_pages, key=lambda p: p["warm_seconds"])
        lines.append(
            f"Every page through AppTest ({len(result.app_pages)} pages, round picker included): slowest cold "
            f"{slowest_cold['cold_seconds']:.2f} s ({slowest_cold['page']}; target 1 s), slowest warm rerun "
            f"{slowest_warm['warm_seconds']:.3f} s ({slowest_warm['page']}; target 0.3 s)."
        )
    return "\n".join(lines)


def write_json(result: BenchResult, path: Path) -> None:
    path.write_text(json.dumps(result.as_json(), indent=2, default=str) + "\n", encoding="utf-8")
