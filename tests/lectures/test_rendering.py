"""The rendered lectures read well offline: a real headless Chromium opens one with every request
outside the page's own files refused, and MathJax (installed locally by `make mathjax`) has
typeset its formulas.

The lecture is rendered without executing it (formulas live in markdown cells), by the same
script `make lectures` uses, so the page is what a student gets, minus outputs.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

from tests import ROOT

LECTURE = ROOT / "lectures" / "01_unstable_gradients.ipynb"  # the most formulas
RENDER = ROOT / "tools" / "render_lectures.py"
MATHJAX_JS = ROOT / "build" / "web" / "node_modules" / "mathjax" / "MathJax.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TYPESET_S = 60


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    if not MATHJAX_JS.is_file():
        pytest.fail(f"no local MathJax at {MATHJAX_JS}: run `make mathjax` (make test does)")
    out = tmp_path_factory.mktemp("rendered")
    subprocess.run(
        [sys.executable, str(RENDER), "--no-execute", "--output-dir", str(out), str(LECTURE)],
        check=True,
        capture_output=True,
    )
    page = out / f"{LECTURE.stem}.html"
    assert page.is_file(), sorted(p.name for p in out.iterdir())
    return page


def test_rendered_page_loads_its_scripts_locally_not_from_a_cdn(rendered):
    html = rendered.read_text()
    sources = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert any("node_modules/mathjax/MathJax.js?config=TeX-AMS_CHTML-full" in s for s in sources)
    remote = [s for s in sources if re.match(r"(https?:)?//", s)]
    assert not remote, f"scripts loaded from the network: {remote}"


def test_formulas_render_in_chromium_without_a_network(rendered):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: run `make browser-deps`")
    from playwright.sync_api import sync_playwright

    refused = []

    def offline(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--allow-file-access-from-files"]
        )
        try:
            page = browser.new_page()
            page.route("**/*", offline)
            page.goto(rendered.as_uri())
            page.wait_for_function(
                "() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0 "
                "&& document.querySelectorAll('.MathJax_CHTML').length > 0",
                timeout=TYPESET_S * 1000,
            )
            typeset = page.locator(".MathJax_CHTML").count()
            errors = page.locator(".MathJax_CHTML merror, .MathJax_Error").count()
            text = page.locator("body").inner_text()
            fraction = page.locator(".MathJax_CHTML .mjx-mfrac").count()
            page.screenshot(path=str(rendered.with_suffix(".png")), full_page=False)
        finally:
            browser.close()
    sources = LECTURE.read_text()
    assert typeset >= 40, f"only {typeset} formulas typeset by MathJax"
    assert errors == 0, f"{errors} formulas failed to typeset"
    assert fraction > 0, "no fraction was typeset (\\frac is in the lecture)"
    assert "\\frac" in sources and "\\frac" not in text, "raw LaTeX is still visible on the page"
    assert "$$" not in text, "raw display math ($$) is still visible on the page"
    assert not refused, f"the page tried to reach the network: {refused[:5]}"
