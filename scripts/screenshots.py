"""Regenerate docs/screenshots/: each main page in zh-Hans, from a fresh demo installation.

    make screenshots        # or: .venv/bin/python scripts/screenshots.py

Builds a throw-away SQLite demo (its own data directory and key), serves it with
`kefu serve`, and photographs the pages in Debian's Chromium (KEFU_CHROMIUM or
/usr/bin/chromium) through Playwright, as the demo users see them. Chinese text needs a CJK
font on the machine (Debian: apt-get install fonts-wqy-microhei, or fonts-noto-cjk).
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
KEFU = [sys.executable, "-m", "kefu.cli"]


def _has(command) -> bool:
    import shutil

    return shutil.which(command) is not None


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("KEFU_CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).exists():
        sys.exit(f"no Chromium at {chromium}: apt-get install chromium, or set KEFU_CHROMIUM")
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout if _has("fc-list") else ""
    if not fonts.strip():
        print("warning: no Chinese font found (apt-get install fonts-wqy-microhei): text will show as boxes")
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as data:
        env = os.environ | {"KEFU_DATA_DIR": data, "KEFU_LANGUAGE": "zh-hans", "KEFU_LOG_LEVEL": "WARNING"}
        env.pop("DATABASE_URL", None)
        for step in (["keys", "init"], ["migrate", "-v0"], ["demo"]):
            subprocess.run(KEFU + step, env=env, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        port = _port()
        server = subprocess.Popen(KEFU + ["serve", "--port", str(port), "--workers", "1", "--no-worker"], env=env, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait(base)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
                shoot(browser, base, env)
                browser.close()
        finally:
            server.terminate()
            server.wait(10)
    print(f"screenshots in {OUT}")


def _wait(base):
    import urllib.request

    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            return
        except OSError:
            time.sleep(0.3)
    sys.exit("the demo server did not start")


def _page(browser, base, username, password):
    context = browser.new_context(base_url=base, viewport={"width": 1366, "height": 900}, locale="zh-CN",
                                  extra_http_headers={"Accept-Language": "zh-Hans"})
    page = context.new_page()
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    return page


def shoot(browser, base, env):
    def snap(page, name):
        page.wait_for_timeout(600)  # countdowns and charts settle
        page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
        print(f"  {name}.png")

    login = browser.new_page(base_url=base, locale="zh-CN", extra_http_headers={"Accept-Language": "zh-Hans"})
    login.goto("/login/")
    snap(login, "01-login")
    agent = _page(browser, base, "agent", "kefu-agent")
    agent.goto("/queue/open/")
    snap(agent, "02-queue")
    agent.goto("/contacts/?q=C0000000001")
    agent.get_by_role("button").filter(has_text="开始接触").first.click()
    agent.wait_for_url("**/contacts/*/")
    snap(agent, "03-contact")
    agent.goto("/queue/open/")
    agent.locator("#queue-table tbody a").first.click()
    agent.wait_for_url("**/orders/*/")
    snap(agent, "04-order")
    agent.goto("/knowledge/?q=宽带断网")
    snap(agent, "10-knowledge")
    agent.goto("/followup/")  # 回访: the follow-up queue, then the first task's call script
    snap(agent, "12-followup-queue")
    agent.locator("table a[href^='/followup/']").first.click()
    agent.wait_for_url("**/followup/*/")
    snap(agent, "13-followup-call")
    supervisor = _page(browser, base, "supervisor", "kefu-supervisor")
    supervisor.goto("/board/")
    supervisor.wait_for_function("() => document.getElementById('board').dataset.loaded !== undefined")
    snap(supervisor, "05-board")
    supervisor.goto("/reports/")  # last month, as a supervisor opens 报表
    supervisor.wait_for_load_state("load")
    snap(supervisor, "11-reports")
    supervisor.goto("/reports/satisfaction/")  # 满意度, last month
    supervisor.wait_for_load_state("load")
    snap(supervisor, "14-satisfaction")
    supervisor.goto("/surveys/")
    snap(supervisor, "15-surveys")
    inspector = _page(browser, base, "inspector", "kefu-inspector")
    inspector.goto("/quality/")  # 质检: last week's sample and the flagged contacts
    snap(inspector, "16-quality")
    supervisor.goto("/quality/calibration/")  # 校准与申诉: last week's calibration
    supervisor.locator("table a[href^='/quality/calibration/']").first.click()
    supervisor.wait_for_url("**/quality/calibration/*/")
    snap(supervisor, "17-calibration")
    supervisor.goto("/quality/actions/")  # 整改: the corrective action board
    snap(supervisor, "18-corrective")
    supervisor.goto("/assessment/")  # 考核: last month's, published by the demo
    supervisor.locator("table a[href^='/assessment/runs/']").first.click()
    supervisor.wait_for_url("**/assessment/runs/*/")
    snap(supervisor, "19-assessment")
    agent.goto("/quality/mine/")  # 我的质检: inspections, the assessment sheet, tests
    agent.locator("a[href*='/people/']").first.click()
    agent.wait_for_url("**/people/*/")
    snap(agent, "20-assessment-sheet")
    agent.goto("/training/")
    snap(agent, "21-training")
    supervisor.goto("/hotline/wallboard/")  # 实时监控: the demo's hotline now and today
    snap(supervisor, "22-wallboard")
    supervisor.goto("/hotline/calls/")  # 通话记录, then the latest answered call
    supervisor.locator("table a[href^='/hotline/calls/']").first.click()
    supervisor.wait_for_url("**/hotline/calls/*/")
    snap(supervisor, "23-call")
    portal = browser.new_page(base_url=base, viewport={"width": 390, "height": 844}, locale="zh-CN",
                              extra_http_headers={"Accept-Language": "zh-Hans"})
    portal.goto("/portal/login/")
    snap(portal, "06-portal-login")
    # A customer with a resolved order waiting for their confirmation signs in with the code
    # the outbox holds, as a customer would with the SMS.
    phone, order_id = _django(env, FIND_CUSTOMER).split()
    portal.fill("#id_phone", phone)
    with portal.expect_navigation():
        portal.keyboard.press("Enter")
    portal.fill("#id_code", _django(env, LAST_CODE))
    with portal.expect_navigation():
        portal.keyboard.press("Enter")
    snap(portal, "07-portal-requests")
    portal.goto(f"/portal/orders/{order_id}/")
    snap(portal, "08-portal-order")
    portal.goto("/portal/new/")
    snap(portal, "09-portal-new")


FIND_CUSTOMER = """
from kefu.customers.models import Subscription
from kefu.orders.models import WorkOrder
o = (WorkOrder.objects.filter(status="resolved", subscription__product="mobile", subscription__status="active")
     .select_related("subscription").order_by("-resolved_at").first())
print(o.subscription.service_number, o.pk)
"""
LAST_CODE = """
import re
from kefu.contacts.models import SmsMessage
print(re.search(r"\\b\\d{6}\\b", SmsMessage.objects.latest("id").text).group(0))
"""


def _django(env, code) -> str:
    """The last line CODE prints, run in the demo installation (the shell may first say what it imported)."""
    return subprocess.run(KEFU + ["shell", "-c", code], env=env, cwd=ROOT, check=True, capture_output=True,
                          text=True).stdout.strip().splitlines()[-1]


if __name__ == "__main__":
    main()
