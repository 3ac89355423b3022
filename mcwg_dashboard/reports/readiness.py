"""Market readiness for the plenary outputs: each member's gaps in a round and the products whose vendor claims cover
them ("these gateways would close Austria's KOS gaps"), read once for the deck and the published report.

A gap is a member's answer with a gap status (products.yaml: Partially implemented, Planned, Under consideration,
Not planned) on an element products are asked about; a product covers it when its vendor claims Supported or
Supported – variant there. What vendors say stays apart from what members answer: it is never part of a member's
adoption figure, and every table built here says "vendor claims". Which claims are read is the caller's choice: the
deck reads those the focus group validated (members may see them), the published report only published ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from sqlmodel import Session

from mcwg_dashboard.checklist import Checklist
from mcwg_dashboard.models import SurveyRound, SurveyState
from mcwg_dashboard.product_catalogue import load_product_survey
from mcwg_dashboard.services.answer_data import load_answer_frame
from mcwg_dashboard.services.checklist_store import checklist_for_version
from mcwg_dashboard.services.errors import NotFound
from mcwg_dashboard.services.products import claims_frame, member_gaps

VENDOR_CLAIMS = "vendor claims"
TOP_PRODUCTS = 3
# The columns of gap_table: every one that counts products says it counts vendor claims.
MEMBER_COLUMN = "Member"
GAPS_COLUMN = "Gaps on elements products are asked about"
COVERED_COLUMN = f"Gaps some product covers ({VENDOR_CLAIMS})"
TOP_COLUMN = f"Products closing the most gaps ({VENDOR_CLAIMS})"
GAP_TABLE_COLUMNS = [MEMBER_COLUMN, GAPS_COLUMN, COVERED_COLUMN, TOP_COLUMN]
NO_GAP = "no gap on these elements"
NOT_COVERED = "no product claims to cover one"
_ANSWER_COLUMNS = ["country_code", "country_name", "element_id", "element_title", "set_code", "status", "note"]


@dataclass(frozen=True)
class ClaimedProduct:
    """A product with claims in the states read: who makes it, its type, and whether it is demo data."""

    product_id: int
    name: str  # name and version, "Example Gateway 3"
    vendor: str
    product_type: str  # the code, GATEWAY
    type_label: str  # as products.yaml names it, "Imaging gateway"
    is_demo: bool
    survey_state: str

    @property
    def label(self) -> str:
        """ "Example Gateway 3 (Example Imaging)", with ", demo" inside the brackets for a demo product."""
        return f"{self.name} ({self.vendor}{', demo' if self.is_demo else ''})"


@dataclass(frozen=True)
class MemberGap:
    element_id: str
    element_title: str
    set_code: str
    member_status: str  # the member's answer, a code of the member scale
    member_status_label: str
    products: tuple[ClaimedProduct, ...]  # whose claims cover the element, by label


@dataclass(frozen=True)
class MemberReadiness:
    country_code: str
    country_name: str
    gaps: tuple[MemberGap, ...]  # in checklist order

    @property
    def covered(self) -> tuple[MemberGap, ...]:
        return tuple(gap for gap in self.gaps if gap.products)

    def closing_products(self) -> list[tuple[ClaimedProduct, int]]:
        """Every product that covers at least one of the member's gaps, with how many: most first, then by label."""
        counts: dict[int, int] = {}
        products: dict[int, ClaimedProduct] = {}
        for gap in self.gaps:
            for product in gap.products:
                counts[product.product_id] = counts.get(product.product_id, 0) + 1
                products[product.product_id] = product
        return sorted(
            ((products[key], count) for key, count in counts.items()),
            key=lambda item: (-item[1], item[0].label.casefold(), item[0].product_id),
        )


@dataclass(frozen=True)
class ReadinessData:
    """One round's members' gaps with the products covering them, from the claims in `claim_states` and the members'
    answers in `answer_states`."""

    round_name: str
    checklist: Checklist  # the round's: element titles and the member answer scale
    claim_states: tuple[str, ...]
    answer_states: tuple[str, ...]
    # Every product with claims read, by product type (products.yaml's order), then label.
    products: tuple[ClaimedProduct, ...]
    # services.products.claims_frame, one row per product and element: a product surveyed on two checklist versions
    # keeps the claim the focus group validated last.
    claims: pd.DataFrame
    members: tuple[MemberReadiness, ...]  # every member with answers in `answer_states`, by name (never ranked)

    @property
    def has_claims(self) -> bool:
        return bool(self.products)

    @property
    def not_published(self) -> tuple[ClaimedProduct, ...]:
        """Products whose claims the focus group validated but has not published: not for the public yet."""
        return tuple(p for p in self.products if p.survey_state != SurveyState.PUBLISHED.value)


def load_readiness(
    session: Session, *, round_id: int, claim_states: Sequence[str], answer_states: Sequence[str]
) -> ReadinessData:
    survey_round = session.get(SurveyRound, round_id)
    if survey_round is None:
        raise NotFound(f"Survey round {round_id} does not exist.")
    checklist = checklist_for_version(session, survey_round.checklist_version_id)
    claims = _latest_claims(claims_frame(session, states=claim_states))
    products = _products(claims)
    answers = load_answer_frame(session, round_ids=[round_id], states=answer_states, columns=_ANSWER_COLUMNS)
    covering = _covering_products(claims, products)
    members = [
        _member_readiness(rows, claims, covering, checklist)
        for _, rows in answers.groupby("country_code", sort=False)
        if not rows.empty
    ]
    members.sort(key=lambda m: (m.country_name.casefold(), m.country_code))
    return ReadinessData(
        round_name=survey_round.name,
        checklist=checklist,
        claim_states=tuple(claim_states),
        answer_states=tuple(answer_states),
        products=tuple(products.values()),
        claims=claims,
        members=tuple(members),
    )


def _latest_claims(claims: pd.DataFrame) -> pd.DataFrame:
    """One claim per product and element: a product surveyed again on a newer checklist appears in two surveys, and
    the one the focus group validated last is what the vendor says now."""
    if claims.empty:
        return claims.reset_index(drop=True)
    validated = pd.to_datetime(claims["validated_at"], utc=True)
    ordered = claims.assign(_validated=validated).sort_values(
        ["product_id", "element_id", "_validated"], na_position="first", kind="stable"
    )
    latest = ordered.drop_duplicates(["product_id", "element_id"], keep="last").drop(columns="_validated")
    return latest.sort_values(["product", "vendor", "element_id"], kind="stable").reset_index(drop=True)


def _products(claims: pd.DataFrame) -> dict[int, ClaimedProduct]:
    definition = load_product_survey()
    type_order = {t.code: i for i, t in enumerate(definition.product_types)}
    found: dict[int, ClaimedProduct] = {}
    for row in claims.drop_duplicates("product_id").to_dict("records"):
        code = str(row["product_type"])
        found[int(row["product_id"])] = ClaimedProduct(
            product_id=int(row["product_id"]),
            name=str(row["product"]),
            vendor=str(row["vendor"]),
            product_type=code,
            type_label=definition.type_labels.get(code, code),
            is_demo=bool(row["is_demo"]),
            survey_state=str(row["survey_state"]),
        )
    ordered = sorted(
        found.values(),
        key=lambda p: (type_order.get(p.product_type, len(type_order)), p.label.casefold(), p.product_id),
    )
    return {p.product_id: p for p in ordered}


def _covering_products(
    claims: pd.DataFrame, products: dict[int, ClaimedProduct]
) -> dict[str, tuple[ClaimedProduct, ...]]:
    """Element ID -> the products whose claim covers it (the same rule as services.products.member_gaps), by label."""
    covering = load_product_survey().covering
    by_element: dict[str, list[ClaimedProduct]] = {}
    for element_id, product_id, status in zip(
        claims["element_id"], claims["product_id"], claims["status"], strict=True
    ):
        if status in covering:
            by_element.setdefault(str(element_id), []).append(products[int(product_id)])
    return {
        element_id: tuple(sorted(found, key=lambda p: (p.label.casefold(), p.product_id)))
        for element_id, found in by_element.items()
    }


def _member_readiness(
    answers: pd.DataFrame,
    claims: pd.DataFrame,
    covering: dict[str, tuple[ClaimedProduct, ...]],
    checklist: Checklist,
) -> MemberReadiness:
    """The member's gaps as services.products.member_gaps finds them, each with the covering products as objects
    (member_gaps names them in one string; the objects keep the demo mark and the type)."""
    gaps = member_gaps(answers, claims)
    labels = {status.code: status.label for status in checklist.scale.statuses}
    return MemberReadiness(
        country_code=str(answers["country_code"].iloc[0]),
        country_name=str(answers["country_name"].iloc[0]),
        gaps=tuple(
            MemberGap(
                element_id=str(row["element_id"]),
                element_title=str(row["element_title"]),
                set_code=str(row["set_code"]),
                member_status=str(row["member_status"]),
                member_status_label=labels.get(str(row["member_status"]), str(row["member_status"])),
                products=covering.get(str(row["element_id"]), ()),
            )
            for row in gaps.to_dict("records")
        ),
    )


def top_products_text(member: MemberReadiness, size: int = TOP_PRODUCTS, separator: str = "; ") -> str:
    """The `size` products closing the most of the member's gaps, each with its count, and how many others do
    (`separator` between products: a slide puts each on a line of its own)."""
    if not member.gaps:
        return NO_GAP
    closing = member.closing_products()
    if not closing:
        return NOT_COVERED
    shown = separator.join(f"{product.label}: {plural(count, 'gap')}" for product, count in closing[:size])
    others = len(closing) - size
    return shown + (f"; {plural(others, 'more product')}" if others > 0 else "")


def either(labels: Sequence[str]) -> str:
    """ "A, B, C or D": a list of alternatives in words."""
    return " or ".join([", ".join(labels[:-1]), labels[-1]] if len(labels) > 1 else list(labels))


def plural(count: int, noun: str) -> str:
    """ "1 gap", "2 gaps"."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def gap_table(data: ReadinessData, separator: str = "; ") -> pd.DataFrame:
    """One row per member (by name): its gaps on elements products are asked about, how many of them some product's
    claims cover, and the products that close the most of them (top 3, with counts, `separator` between them)."""
    rows = [
        [member.country_name, len(member.gaps), len(member.covered), top_products_text(member, separator=separator)]
        for member in data.members
    ]
    return pd.DataFrame(rows, columns=GAP_TABLE_COLUMNS)


def gap_status_labels(data: ReadinessData) -> list[str]:
    """The member statuses that make a gap, as the round's answer scale names them."""
    labels = {status.code: status.label for status in data.checklist.scale.statuses}
    return [labels.get(code, code) for code in load_product_survey().gap_statuses]


def covering_status_labels() -> list[str]:
    """The product statuses whose claim covers an element (Supported, Supported – variant)."""
    return [status.label for status in load_product_survey().statuses if status.covers]
