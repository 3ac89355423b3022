"""Figures in words, the same on the pages, in the deck and in the report: a count beside every share."""

from __future__ import annotations

import math


def counted(part: int, whole: int, noun: str = "answers") -> str:
    """ "3 of 5 answers": the count that goes beside every share."""
    return f"{part} of {whole} {noun}"


def share(part: int, whole: int, noun: str = "answers") -> str:
    if whole == 0:
        return f"no {noun}"
    return f"{part / whole:.0%} ({counted(part, whole, noun)})"


def score_text(score: float, scored: int) -> str:
    if scored == 0 or math.isnan(score):
        return "no scored answers"
    return f"{score:.0%} over {scored} scored answer{'s' if scored != 1 else ''}"
