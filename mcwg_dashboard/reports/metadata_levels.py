"""The metadata-levels view for clinicians and the plenary: the deck's level table, the 1-n linkages, the answers.

Plain Python (no Streamlit): the page in views/metadata_levels.py only draws what these functions return.
"""

from __future__ import annotations

import pandas as pd

from mcwg_dashboard.charts.palette import PRIMARY, TEXT_COLOUR
from mcwg_dashboard.checklist import WATCH_LABEL, AnswerScale, Checklist, Element

# The MCWG deck's table (May 2024), in its order, with its names for the elements.
DECK_TABLE = {
    "META-07": "Anatomical region",
    "META-06": "Study-level modality",
    "META-09": "Study Instance UID",
    "META-10": "Accession number",
    "META-11": "Order placer number",
    "META-12": "Imaging procedure code",
}
# Only registry metadata (the Imaging Metadata & Linkages set) has query levels in the deck's sense; the level-2
# attributes of the manifest (KOS) and of flagged images (KIN) describe what a viewer shows inside a study.
LEVELLED_SET = "META"
LEVEL_WORDS = {
    1: "the first filter of a registry search",
    2: "what you pick among the results with",
}
LEVEL_LEGEND = f"Level 1 = {LEVEL_WORDS[1]}; level 2 = {LEVEL_WORDS[2]}."
# The same in a few words, for the table's column.
LEVEL_SHORT = {1: "first search filter", 2: "pick among the results"}
NOT_STATED = "not stated in the deck"

TABLE_COLUMNS = ["Element", "Who sets it", "Query level", "In plain words", "Level from"]
ANSWER_COLUMNS = [
    "country_code",
    "country_name",
    "architectures",
    "element_id",
    "element_title",
    "query_level",
    "status",
    "status_label",
    "note",
]


def levelled_elements(checklist: Checklist) -> list[Element]:
    """The deck's six elements first, in the deck's order, then the set's other elements with a level."""
    elements = checklist.elements
    deck = [elements[i] for i in DECK_TABLE if i in elements and elements[i].metadata_level is not None]
    others = [
        e
        for s in checklist.sets
        if s.code == LEVELLED_SET
        for e in s.elements
        if e.metadata_level is not None and e.id not in DECK_TABLE
    ]
    return deck + others


def deck_level(element: Element) -> str:
    """The level as the deck writes it: "1 (or 2)", "2"; empty without a level."""
    if element.metadata_level is None:
        return ""
    text = str(element.metadata_level)
    if element.alternative_metadata_level:
        text += f" (or {element.alternative_metadata_level})"
    return text


def plain_words(element: Element) -> str:
    """What the level means for a clinician, alternative included."""
    if element.metadata_level is None:
        return ""
    text = LEVEL_SHORT[element.metadata_level].capitalize()
    alternative = element.alternative_metadata_level
    if alternative and alternative != element.metadata_level:
        text += f" (or {LEVEL_SHORT[alternative]})"
    return text


def short_name(element: Element) -> str:
    return DECK_TABLE.get(element.id, element.title)


def levels_table(checklist: Checklist) -> pd.DataFrame:
    """One row per levelled element: element, who sets it, the deck's level with its alternative, plain words."""
    rows = []
    for element in levelled_elements(checklist):
        source = "the deck" if element.id in DECK_TABLE else f"checklist {checklist.version}"
        if element.is_watch:
            source += f" · {WATCH_LABEL}"
        rows.append(
            [
                f"{element.id} · {short_name(element)}",
                element.set_by or NOT_STATED,
                deck_level(element),
                plain_words(element),
                source,
            ]
        )
    return pd.DataFrame(rows, columns=TABLE_COLUMNS, dtype=object)


def _node(name: str, identifier: str, element_id: str) -> str:
    return f'"{name}" [label="{name}\\n{identifier} ({element_id})"];'


def linkage_dot() -> str:
    """The deck's 1-n linkages as Graphviz source; every link says "1 to n" in words, not by colour."""
    order = "Clinical order"
    request = "Imaging procedure request"
    study = "Imaging study"
    report = "Imaging report"
    edge = 'label=" 1 to n "'
    return "\n".join(
        [
            "digraph linkages {",
            "  rankdir=LR;",
            f'  node [shape=box, style="rounded", color="{PRIMARY}", fontcolor="{TEXT_COLOUR}", '
            'fontname="Helvetica", fontsize=14, margin="0.2,0.1"];',
            f'  edge [color="{TEXT_COLOUR}", fontcolor="{TEXT_COLOUR}", fontname="Helvetica", fontsize=13, '
            "arrowhead=vee];",
            "  " + _node(order, "order placer number", "META-11"),
            "  " + _node(request, "accession number", "META-10"),
            "  " + _node(study, "Study Instance UID", "META-09"),
            f'  "{report}" [label="{report}"];',
            f'  "{order}" -> "{request}" [{edge}];',
            f'  "{request}" -> "{study}" [{edge}];',
            f'  "{request}" -> "{report}" [{edge}];',
            "}",
        ]
    )


LINKAGE_TEXT = (
    "A clinical order (order placer number) leads to one or more imaging procedure requests (accession number); "
    "each request leads to one or more imaging studies (Study Instance UID) and one or more imaging reports. "
    "Every link is one to many."
)


def member_answers(answers: pd.DataFrame, checklist: Checklist) -> pd.DataFrame:
    """The members' answers on the levelled elements, long, in the table's element order then by member name."""
    elements = {e.id: e for e in levelled_elements(checklist)}
    here = answers[answers["element_id"].isin(list(elements))]
    if here.empty:
        return pd.DataFrame(columns=ANSWER_COLUMNS)
    order = {element_id: position for position, element_id in enumerate(elements)}
    here = here.assign(
        element_title=here["element_id"].map(lambda i: elements[i].title),
        query_level=here["element_id"].map(lambda i: deck_level(elements[i])),
        status_label=here["status"].map(lambda code: _display(checklist.scale, code)),
        element_order=here["element_id"].map(order),
    )
    here = here.sort_values(["element_order", "country_name", "country_code"], kind="stable")
    return here[ANSWER_COLUMNS].reset_index(drop=True)


def _display(scale: AnswerScale, code: str) -> str:
    try:
        return scale.get(code).display
    except KeyError:
        return str(code)


def member_grid(long: pd.DataFrame, element_ids: list[str]) -> pd.DataFrame:
    """Member x element: "Name (CC)" and the member's architectures, then glyph and label per element."""
    columns = ["Member", "Architectures", *element_ids]
    if long.empty:
        return pd.DataFrame(columns=columns)
    members = long.drop_duplicates("country_code").sort_values(["country_name", "country_code"])
    cells = long.pivot(index="country_code", columns="element_id", values="status_label")
    cells = cells.reindex(index=members["country_code"].tolist(), columns=element_ids).astype(object)
    cells = cells.where(cells.notna(), "")
    grid = pd.DataFrame(
        {
            "Member": [f"{n} ({c})" for n, c in zip(members["country_name"], members["country_code"], strict=True)],
            "Architectures": [_architectures(a) for a in members["architectures"]],
        },
        index=cells.index,
    )
    return pd.concat([grid, cells], axis=1).reset_index(drop=True)[columns].astype(object)


def _architectures(value: object) -> str:
    text = str(value or "").strip()
    return ", ".join(part for part in text.replace(",", " ").split()) or "not recorded"
