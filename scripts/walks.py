"""What the walkthrough scripts share: the demo's passwords and the operator's way in.

The scripts run as `python scripts/<name>.py`, so this folder is on their path
and they `import walks`. They drive a `make run` server (KANTOKU_URL) whose
database they can reach with manage.py in the same environment.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import Page

OPERATOR_PASSWORD = "kantoku-operator"  # noqa: S105 - the demo's, printed by make run
DEMO_PASSWORD = "kantoku-demo"  # noqa: S105


def one_time_code(login_id: str) -> str:
    """A recovery code from django-otp's own command, on the database `make run` serves (same environment)."""
    manage = Path(__file__).resolve().parent.parent / "manage.py"
    command = [sys.executable, str(manage), "addstatictoken", login_id]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()  # noqa: S603


def operator_signs_in(page: Page) -> None:
    """The demo operator opens the console: password, then a one-time code; the app's setup is left for later."""
    page.goto("/operator/")  # the console sends to the site's sign-in, then to the second factor
    page.locator("#id_username").fill("operator")
    page.locator("#id_password").fill(OPERATOR_PASSWORD)
    page.locator('main form button[type="submit"]').click()
    page.wait_for_url(re.compile(r"/two-factor/"))
    page.locator("#id_code").fill(one_time_code("operator"))
    page.locator('main form button[type="submit"]').click()
    page.wait_for_url(re.compile(r"/two-factor/setup/|/operator/$"))
    if "/two-factor/setup/" in page.url:  # a recovery code was used: an app is offered, for later
        page.get_by_role("link", name=re.compile("あとで設定する")).click()
    page.wait_for_url(re.compile(r"/operator/$"))
