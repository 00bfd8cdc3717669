"""Screen pop latency (issue 18: p95 < 1 s): from the platform's `answered` event being sent to
the agent's browser showing that call's contact screen, in a real browser (Chromium through
Playwright), against a running `kefu serve` of the demo.

    make demo                      # or: KEFU_DATA_DIR=… kefu demo && kefu serve --port 8000
    .venv/bin/python bench/screen_pop.py http://127.0.0.1:8000 [--calls 30]

It reads the same KEFU_DATA_DIR / DATABASE_URL as the server (for the demo platform's signing
secret), signs in as the demo agent 王小客 (extension 8001), sets her ready from the header, and
then for each call: offers, queues and rings a call from a demo customer's number at her
extension (over HTTP, as the platform would), waits for the ringing banner, sends `answered`
and measures until her browser has loaded the contact screen the push channel sent it to;
then ends the call and its after-call work, which makes her ready again. Prints p50, p95 and
the slowest.
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url")
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--username", default="agent")
    parser.add_argument("--password", default="kefu-agent")
    parser.add_argument("--platform", default="pbx1")
    parser.add_argument("--extension", default="8001")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()
    from playwright.sync_api import sync_playwright

    from kefu.cti.client import Sender, event
    from kefu.cti.models import Platform
    from kefu.customers.models import Customer

    platform = Platform.objects.get(code=args.platform)
    sender = Sender(platform, args.url)
    caller = next(c.phone for c in Customer.objects.order_by("pk")[:50] if c.phone)

    def send(call_id, seq, kind, **data):
        got = sender.send(event(call_id, seq, kind, datetime.now(UTC), **data))
        if got.status != 200:
            sys.exit(f"{kind}: {got.status} {got.body}")

    latencies = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
        page = browser.new_page(locale="zh-CN")
        page.goto(args.url + "/login/")
        page.fill("#id_username", args.username)
        page.fill("#id_password", args.password)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.goto(args.url + "/queue/mine/")
        page.click("summary[title]")  # the agent-state control in the header
        if page.locator("button[name=state][value=ready][aria-pressed=true]").count() == 0:
            page.click("button[name=state][value=ready]")
            page.wait_for_load_state()
        for n in range(args.calls):
            page.goto(args.url + "/queue/mine/")  # her work list, where the next call finds her
            page.wait_for_selector("html[data-push=ready]", state="attached", timeout=10_000)
            call_id = f"pop-{uuid.uuid4().hex[:12]}"
            send(call_id, 0, "offered", caller=caller, called="10000")
            send(call_id, 1, "queued", queue="general")
            send(call_id, 2, "ringing", extension=args.extension)
            page.wait_for_selector("#screen-pop", timeout=10_000)
            started = time.perf_counter()
            send(call_id, 3, "answered", extension=args.extension)
            page.wait_for_url("**/contacts/*/", wait_until="domcontentloaded", timeout=10_000)
            latencies.append(time.perf_counter() - started)
            send(call_id, 4, "ended", by="caller")
            send(call_id, 5, "acw_ended")
            print(f"call {n + 1}: {latencies[-1] * 1000:.0f} ms", flush=True)
        browser.close()
    latencies.sort()
    p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
    print(f"screen pop, {len(latencies)} calls: p50 {statistics.median(latencies) * 1000:.0f} ms, "
          f"p95 {p95 * 1000:.0f} ms, slowest {latencies[-1] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
