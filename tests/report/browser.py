"""Headless Chromium for the report tests (selenium): one session per test module.

Without Chromium or chromedriver the tests are skipped with the reason, unless the environment variable
CI is set, where a missing browser fails them."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
DRIVER = shutil.which("chromedriver")
#: Screenshots are also copied here, so a run's report can name stable paths.
SCREENS = Path(os.environ.get("DIALECTIC_REPORT_SCREENS", "/tmp/dialectic-report-screens"))


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so the browser tests must run)")
    pytest.skip(reason)


def browser_session() -> Iterator[Any]:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("selenium is not installed (pip install -e '.[test]')")
    if CHROMIUM is None or DRIVER is None:
        _missing("headless Chromium and chromedriver are not installed (Debian: chromium, chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--window-size=1300,1800"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def load(driver: Any, page: Path) -> list[dict[str, Any]]:
    """Open a report file and return the browser's console errors (severe entries) while loading it."""
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get(page.resolve().as_uri())
    return [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def screenshot(driver: Any, folder: Path, name: str) -> Path:
    """A full-page screenshot in `folder` (the test's tmp_path), copied to SCREENS."""
    height = driver.execute_script("return Math.min(document.body.scrollHeight, 12000)")
    driver.set_window_size(1300, max(900, int(height)))
    shot = folder / f"{name}.png"
    driver.save_screenshot(str(shot))
    SCREENS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, SCREENS / shot.name)
    driver.set_window_size(1300, 1800)
    return shot
