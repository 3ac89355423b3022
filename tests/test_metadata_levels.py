"""The metadata-levels view's data: the deck's table, its order and levels, the linkages, the member grid."""

from __future__ import annotations

import pandas as pd
import pytest

from mcwg_dashboard.checklist import Checklist, load_checklist
from mcwg_dashboard.reports import metadata_levels as levels

DECK_ORDER = ["META-07", "META-06", "META-09", "META-10", "META-11", "META-12"]


@pytest.fixture(scope="module")
def checklist() -> Checklist:
    return load_checklist()


def _answers(rows: list[tuple[str, str, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"country_code": c, "country_name": n, "architectures": a, "element_id": e, "status": s, "note": ""}
            for c, n, a, e, s in rows
        ]
    )


def test_the_deck_elements_come_first_in_the_decks_order(checklist: Checklist) -> None:
    ids = [e.id for e in levels.levelled_elements(checklist)]
    assert ids[:6] == DECK_ORDER
    others = ids[6:]
    assert others, "the set's other levelled elements follow"
    assert all(i.startswith("META-") for i in others)
    assert others == sorted(others, key=lambda i: list(checklist.elements).index(i)), "checklist order after the deck"


def test_only_registry_metadata_is_listed_not_manifest_or_flagged_image_attributes(checklist: Checklist) -> None:
    ids = {e.id for e in levels.levelled_elements(checklist)}
    assert not any(i.startswith(("KOS-", "KIN-")) for i in ids)
    assert all(checklist.elements[i].metadata_level is not None for i in ids)


def test_the_table_keeps_the_alternative_level_as_the_deck_writes_it(checklist: Checklist) -> None:
    table = levels.levels_table(checklist).set_index("Element")
    level = dict(zip([i.split(" · ")[0] for i in table.index], table["Query level"], strict=True))
    assert level["META-07"] == "1 (or 2)"
    assert level["META-06"] == "1 (or 2)"
    assert level["META-09"] == "2 (or 1)"
    assert level["META-10"] == "2 (or 1)"
    assert level["META-11"] == "2 (or 1)"
    assert level["META-12"] == "2"
    assert level["META-01"] == "1"


def test_the_table_names_who_sets_each_value_and_says_it_in_plain_words(checklist: Checklist) -> None:
    table = levels.levels_table(checklist)
    assert list(table.columns) == levels.TABLE_COLUMNS
    first = table.iloc[0]
    assert first["Element"] == "META-07 · Anatomical region"
    assert first["Who sets it"] == "the RIS, per imaging procedure code"
    assert first["In plain words"] == "First search filter (or pick among the results)"
    order_row = table[table["Element"].str.startswith("META-11")].iloc[0]
    assert order_row["Who sets it"] == "the ordering module of the EHR/EMR"
    assert order_row["In plain words"] == "Pick among the results (or first search filter)"
    unstated = table[table["Element"].str.startswith("META-02")].iloc[0]
    assert unstated["Who sets it"] == levels.NOT_STATED
    assert set(table.loc[:5, "Level from"]) == {"the deck"}
    assert set(table.loc[6:, "Level from"]) == {f"checklist {checklist.version}"} | {
        f"checklist {checklist.version} · MADO alignment (beyond the MCWG text)"
    }


def test_the_watch_list_element_is_marked_beyond_the_mcwg_text(checklist: Checklist) -> None:
    table = levels.levels_table(checklist)
    watch = table[table["Element"].str.startswith("META-15")].iloc[0]
    assert "MADO alignment (beyond the MCWG text)" in watch["Level from"]


def test_plain_words_and_level_without_an_alternative(checklist: Checklist) -> None:
    element = checklist.elements["META-12"]
    assert levels.deck_level(element) == "2"
    assert levels.plain_words(element) == "Pick among the results"
    assert levels.deck_level(checklist.elements["META-16"]) == ""


def test_the_linkage_diagram_says_one_to_many_in_words() -> None:
    dot = levels.linkage_dot()
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    assert '"Clinical order" -> "Imaging procedure request"' in dot
    assert '"Imaging procedure request" -> "Imaging study"' in dot
    assert '"Imaging procedure request" -> "Imaging report"' in dot
    assert dot.count('label=" 1 to n "') == 3
    for words in ("order placer number", "accession number", "Study Instance UID"):
        assert words in dot


def test_member_grid_shows_glyph_and_label_per_member_and_element(checklist: Checklist) -> None:
    answers = _answers(
        [
            ("NO", "Norway", "B", "META-07", "PART"),
            ("FR", "France", "A,C", "META-07", "IMPL"),
            ("FR", "France", "A,C", "META-12", "NOPL"),
            ("FR", "France", "A,C", "KOS-07", "IMPL"),  # not a levelled element: left out
        ]
    )
    long = levels.member_answers(answers, checklist)
    assert set(long["element_id"]) == {"META-07", "META-12"}
    assert long.loc[0, "query_level"] == "1 (or 2)"
    grid = levels.member_grid(long, DECK_ORDER)
    assert list(grid.columns) == ["Member", "Architectures", *DECK_ORDER]
    assert grid["Member"].tolist() == ["France (FR)", "Norway (NO)"]
    assert grid["Architectures"].tolist() == ["A, C", "B"]
    assert grid.loc[0, "META-07"] == "✔ Implemented"
    assert grid.loc[0, "META-12"] == "✘ Not planned"
    assert grid.loc[1, "META-07"] == "◐ Partially implemented"
    assert grid.loc[1, "META-12"] == "", "no answer: an empty cell, not a status"


def test_member_grid_without_answers_is_empty_with_its_columns(checklist: Checklist) -> None:
    long = levels.member_answers(_answers([]).reindex(columns=["country_code", "element_id", "status"]), checklist)
    assert long.empty and list(long.columns) == levels.ANSWER_COLUMNS
    grid = levels.member_grid(long, DECK_ORDER)
    assert grid.empty and list(grid.columns) == ["Member", "Architectures", *DECK_ORDER]


def test_notes_stay_as_given_in_the_long_answers(checklist: Checklist) -> None:
    answers = _answers([("FR", "France", "A", "META-10", "VAR")]).assign(note='=HYPERLINK("x") **bold** <b>')
    long = levels.member_answers(answers, checklist)
    assert long.loc[0, "note"] == '=HYPERLINK("x") **bold** <b>'
