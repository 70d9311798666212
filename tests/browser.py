"""Headless Chromium (Debian's chromium + chromium-driver, see scripts/install_browser.sh) driven
by Selenium, for the report's browser tests."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,1600")


def available() -> bool:
    return CHROMIUM.is_file() and CHROMEDRIVER.is_file()


class Browser:
    """One Chromium with a fresh profile; ``close()`` ends it and removes the profile."""

    def __init__(self):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        self.profile = tempfile.mkdtemp(prefix="storydedup-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = str(CHROMIUM)
        for flag in FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={self.profile}")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)

    def open(self, path: Path) -> None:
        self.driver.get(Path(path).resolve().as_uri())

    def console_errors(self) -> list[dict]:
        """Console messages at level SEVERE since the last call (page errors, CSP violations,
        failed loads of assets)."""
        return [m for m in self.driver.get_log("browser") if m["level"] == "SEVERE"]

    def close(self) -> None:
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)
