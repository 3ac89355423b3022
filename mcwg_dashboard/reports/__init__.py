"""Plenary outputs: the generated agenda, the slide deck and the published static report."""
