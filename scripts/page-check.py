#!/usr/bin/env python3
"""Drives Baton's web page in a real headless Chromium, as a person would.

Run by Tests/BatonIntegrationTests/PageBrowserTests.swift against a running stack:

    page-check.py BASE_URL API_KEY WORKFLOW_ID SCREENSHOT_DIR

It signs in, opens the run (which waits for an answer), types an answer while the
list updates, reloads the page (the typed text must survive), answers, and waits for
the run to complete; it saves screenshots on the way, at 420 px wide. Chromium is
spoken to over the DevTools protocol on a pipe (--remote-debugging-pipe), so no
websocket library is needed. Exits 0 when every check held, 1 with the reason if not.
"""
import json
import os
import base64
import subprocess
import sys
import tempfile
import time

base_url, api_key, workflow_id, screenshots = sys.argv[1:5]
os.makedirs(screenshots, exist_ok=True)
profile = tempfile.mkdtemp(prefix="baton-chromium-")

# fd 3: Chromium reads commands; fd 4: it writes answers (NUL-terminated JSON).
to_chromium_read, to_chromium_write = os.pipe()
from_chromium_read, from_chromium_write = os.pipe()


def child_fds():
    # Copied out of the way first: the pipe's own numbers may be 3 or 4. Runs before
    # the child closes what pass_fds does not keep.
    read_end, write_end = os.dup(to_chromium_read), os.dup(from_chromium_write)
    os.dup2(read_end, 3)
    os.dup2(write_end, 4)


browser = subprocess.Popen(
    [
        "chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
        "--window-size=420,1000", "--user-data-dir=" + profile, "--no-first-run", "about:blank",
    ],
    pass_fds=(3, 4), preexec_fn=child_fds,
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
os.close(to_chromium_read)
os.close(from_chromium_write)
outgoing = os.fdopen(to_chromium_write, "wb", buffering=0)
incoming = os.fdopen(from_chromium_read, "rb", buffering=0)
buffered = b""
next_id = 0


def fail(message):
    print("page check failed: " + message, file=sys.stderr)
    browser.kill()
    sys.exit(1)


def send(method, params=None, session=None):
    global next_id, buffered
    next_id += 1
    message = {"id": next_id, "method": method, "params": params or {}}
    if session:
        message["sessionId"] = session
    outgoing.write(json.dumps(message).encode() + b"\0")
    while True:
        while b"\0" not in buffered:
            chunk = incoming.read(65536)
            if not chunk:
                fail("chromium closed its pipe")
            buffered += chunk
        raw, buffered = buffered.split(b"\0", 1)
        answer = json.loads(raw)
        if answer.get("id") == next_id:
            if "error" in answer:
                fail(method + ": " + json.dumps(answer["error"]))
            return answer.get("result", {})


target = send("Target.createTarget", {"url": "about:blank"})["targetId"]
session = send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
send("Page.enable", session=session)
send("Runtime.enable", session=session)
send("Emulation.setDeviceMetricsOverride",
     {"width": 420, "height": 1000, "deviceScaleFactor": 1, "mobile": True}, session=session)


def evaluate(expression):
    result = send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True},
                  session=session)
    if "exceptionDetails" in result:
        fail("script error in " + expression + ": " + json.dumps(result["exceptionDetails"]))
    return result.get("result", {}).get("value")


def wait_for(what, expression, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        # Until the page has loaded, the elements asked about may not exist yet.
        if evaluate("(() => { try { return !!(%s); } catch (e) { return false; } })()" % expression):
            return
        time.sleep(0.2)
    screenshot("failure.png")
    fail("timed out waiting for " + what + " at " + str(evaluate("location.href")) + "; the page shows: "
         + str(evaluate("document.body.innerText"))[:2000])


def screenshot(name):
    data = send("Page.captureScreenshot", {"format": "png"}, session=session)["data"]
    with open(os.path.join(screenshots, name), "wb") as file:
        file.write(base64.b64decode(data))


run_url = base_url + "/#id=" + workflow_id
send("Page.navigate", {"url": run_url}, session=session)
wait_for("the sign-in form", "!document.getElementById('signin').hidden")
evaluate("document.getElementById('key').value = %s; document.getElementById('signin').requestSubmit(); true"
         % json.dumps(api_key))
wait_for("the signed-in identity", "document.getElementById('who').textContent.includes('·')")
wait_for("the run's question", "!!document.querySelector('#detail .question textarea')")
wait_for("the live list", "document.getElementById('connection').textContent.includes('live')")

# Typing, a few characters at a time, while updates arrive (the test submits
# workflows meanwhile): the text must stay as typed.
typed = "Go ahead, checked by the page test"
for index in range(0, len(typed), 4):
    evaluate("(() => { const t = document.querySelector('#detail .question textarea'); t.focus();"
             " t.value += %s; t.dispatchEvent(new Event('input')); return true; })()" % json.dumps(typed[index:index + 4]))
    time.sleep(0.3)
screenshot("1-typing-an-answer.png")
if evaluate("document.querySelector('#detail .question textarea').value") != typed:
    fail("the typed answer changed while updates arrived")

# A refresh keeps what was typed.
send("Page.reload", session=session)
wait_for("the question after a reload", "!!document.querySelector('#detail .question textarea')")
if evaluate("document.querySelector('#detail .question textarea').value") != typed:
    fail("the typed answer was lost by a reload")

evaluate("document.querySelector('#detail .question button[data-choice=go]').click(); true")
wait_for("the run to complete", "document.querySelector('#detail dd.status') &&"
         " document.querySelector('#detail dd.status').textContent.startsWith('completed')")
wait_for("the timeline to show the answer",
         "document.querySelector('#detail .timeline').textContent.includes('human_input')")
wide = evaluate("document.documentElement.scrollWidth <= 420")
screenshot("2-completed.png")
if not wide:
    fail("the page is wider than 420 px: " + str(evaluate("document.documentElement.scrollWidth")))

# The back button returns to the run opened before. Chromium skips, going back,
# history entries a script made without a person's gesture: so the row is clicked.
rect = evaluate("(() => { const row = [...document.querySelectorAll('#list tr.row')]"
                ".find((r) => r.textContent.startsWith('another')); row.scrollIntoView({block: 'center'});"
                " const r = row.getBoundingClientRect(); return [r.x + 10, r.y + r.height / 2]; })()")
for kind in ("mousePressed", "mouseReleased"):
    send("Input.dispatchMouseEvent", {"type": kind, "x": rect[0], "y": rect[1], "button": "left", "clickCount": 1},
         session=session)
wait_for("the second run", "document.querySelector('#detail h2') &&"
         " document.querySelector('#detail h2').textContent === 'another'")
entries = send("Page.getNavigationHistory", session=session)
send("Page.navigateToHistoryEntry", {"entryId": entries["entries"][entries["currentIndex"] - 1]["id"]},
     session=session)
wait_for("the first run again after back", "document.querySelector('#detail h2') &&"
         " document.querySelector('#detail h2').textContent === %s" % json.dumps(workflow_id))

browser.kill()
print("page check passed; screenshots in " + screenshots)
