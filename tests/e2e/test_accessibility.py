"""axe-core on every page for every role: no serious or critical finding on our own content.

Findings inside Streamlit's own chrome (the sidebar's page menu, the header and toolbar, widgets' inner workings)
are not ours to fix; they are counted per rule and written to the test's output and to
test-artifacts/accessibility.md, never hidden.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page

from tests.e2e.browser import settle, sign_in
from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.e2e

# Who looks at the app: not signed in, and one account per role of the demo data.
ACCOUNTS = {"public": None, "member": "member", "representative": "rep-fr", "vendor": "vendor", "focus group": "admin"}
SERIOUS = {"serious", "critical"}
# Streamlit's own parts of a page. A finding whose node lies inside one of them is the framework's.
FRAMEWORK_PARTS = ", ".join(
    f'[data-testid="{test_id}"]'
    for test_id in (
        "stSidebarNav",
        "stSidebarHeader",
        "stSidebarCollapseButton",
        "stHeader",
        "stToolbar",
        "stMainMenu",
        "stStatusWidget",
        "stDecoration",
        "stElementToolbar",
        "stDataFrameResizable",
        "stDataFrameGlideDataEditor",
    )
)
# For each violation node: is it inside Streamlit's own parts? (axe gives CSS selectors; iframes are not used.)
CLASSIFY = """([violations, parts]) => violations.flatMap(v => v.nodes.map(n => {
    const target = n.target[0];
    const element = typeof target === "string" ? document.querySelector(target) : null;
    return {rule: v.id, impact: n.impact || v.impact, target: JSON.stringify(n.target), html: n.html.slice(0, 160),
            framework: element ? Boolean(element.closest(parts)) : false, help: v.help};
}))"""


def _pages(page: Page) -> list[str]:
    """The pages the sidebar offers this role, as paths."""
    links = page.locator('[data-testid="stSidebarNav"] a')
    paths = [str(links.nth(i).get_attribute("href")) for i in range(links.count())]
    return sorted({"/" + p.rstrip("/").split("/")[-1] if "//" in p else p for p in paths})


def _wait_for_content(page: Page) -> None:
    settle(page)
    # Charts draw after the run ends; axe must see them drawn.
    charts = page.locator('[data-testid="stPlotlyChart"]')
    for i in range(charts.count()):
        charts.nth(i).locator(".main-svg").first.wait_for(state="attached", timeout=30_000)


# A chart is an element axe cannot judge: ours must each have a name (their summary, set by ui.dashboard.plot).
UNNAMED_CHARTS = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
    .filter(chart => !(chart.getAttribute("aria-label") || "").trim())
    .map(chart => ({rule: "chart-without-name", impact: "serious", target: "stPlotlyChart", framework: false,
                    html: chart.outerHTML.slice(0, 160), help: "Every chart needs an accessible name"}))"""


def _findings(page: Page) -> list[dict[str, Any]]:
    results = Axe().run(page, options={"resultTypes": ["violations"]})
    violations = results.response["violations"]
    found: list[dict[str, Any]] = page.evaluate(CLASSIFY, [violations, FRAMEWORK_PARTS])
    unnamed: list[dict[str, Any]] = []
    for _ in range(20):  # the page script names a chart as soon as it is drawn
        unnamed = page.evaluate(UNNAMED_CHARTS)
        if not unnamed:
            break
        page.wait_for_timeout(250)
    return found + unnamed


def _report(rows: list[tuple[str, str, dict[str, Any]]]) -> str:
    ours = Counter((f["rule"], f["impact"]) for _, _, f in rows if not f["framework"])
    framework = Counter((f["rule"], f["impact"]) for _, _, f in rows if f["framework"])
    pages = {(role, path) for role, path, _ in rows}
    lines = ["# Accessibility findings (axe-core)", "", f"Pages and roles with findings: {len(pages)}", ""]
    for title, counts in (("Our own content", ours), ("Streamlit's own components", framework)):
        lines += [f"## {title}", "", "| rule | impact | nodes |", "|---|---|---|"]
        lines += [f"| {rule} | {impact} | {n} |" for (rule, impact), n in sorted(counts.items())] or ["| none | | |"]
        lines.append("")
    serious = [(role, path, f) for role, path, f in rows if not f["framework"] and f["impact"] in SERIOUS]
    if serious:
        lines += ["## Serious or critical findings of ours", ""]
        lines += [
            f"- {role} {path}: {f['rule']} ({f['impact']}) at {f['target']}: {f['html']}" for role, path, f in serious
        ]
    return "\n".join(lines)


def test_no_serious_finding_of_ours_on_any_page_for_any_role(
    browser: Browser, app_url: str, request: pytest.FixtureRequest
) -> None:
    rows: list[tuple[str, str, dict[str, Any]]] = []
    visited: list[tuple[str, str]] = []
    for role, account in ACCOUNTS.items():
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(30_000)
        if account:
            sign_in(page, app_url, account)
        else:
            page.goto(app_url)
            settle(page)
        for path in _pages(page):
            page.goto(f"{app_url}{path}")
            _wait_for_content(page)
            visited.append((role, path))
            rows += [(role, path, finding) for finding in _findings(page)]
        context.close()
    report = _report(rows)
    ARTIFACTS.mkdir(exist_ok=True)
    Path(ARTIFACTS / "accessibility.md").write_text(report + "\n", encoding="utf-8")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"\naxe-core on {len(visited)} pages and roles")
        for line in report.splitlines():
            reporter.write_line(line)
    assert len(visited) >= 40, f"too few pages visited: {visited}"
    serious = [f for _, _, f in rows if not f["framework"] and f["impact"] in SERIOUS]
    assert not serious, report


# What the keyboard is on, and whether that is visible: an outline or a ring (box shadow).
FOCUSED = """() => {
    const element = document.activeElement;
    if (!element || element === document.body) return null;
    const style = getComputedStyle(element);
    const ring = (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== "none";
    return {tag: element.tagName, text: (element.innerText || element.getAttribute("aria-label") || "").slice(0, 60),
            visible: ring};
}"""


def test_the_keyboard_reaches_every_control_of_a_dashboard_and_focus_is_always_visible(
    browser: Browser, app_url: str
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    sign_in(page, app_url, "admin")
    page.goto(f"{app_url}/element")
    _wait_for_content(page)
    wanted = ("Data table", "Data (CSV)", "Sign out")
    reached: list[dict[str, Any]] = []
    for _ in range(250):  # the sidebar's menu, headings' links and each chart's toolbar come first
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused:
            reached.append(focused)
        if all(any(control in f["text"] for f in reached) for control in wanted):
            break
    context.close()
    # Streamlit itself puts the focus on the page's empty scroll container after a rerun (a script's focus, which
    # browsers do not outline); it is no control, so it is not counted.
    hidden = [f for f in reached if not f["visible"] and not (f["tag"] == "MAIN" and not f["text"].strip())]
    assert not hidden, f"focus not visible on: {hidden}"
    texts = " | ".join(f["text"] for f in reached)
    for control in wanted:
        assert control in texts, f"the keyboard never reached {control!r}: {texts}"
