"""Render the HTML report in a real headless browser (Chromium from Debian) and save a screenshot.

    python benchmarks/report_render.py                      # estimate report --example kosovo, then check it
    python benchmarks/report_render.py --html r.html        # check an existing report

Steps: (1) unless ``--html`` is given, run ``estimate report --example kosovo --seed 1 --output
<out>/report_kosovo.html`` through the CLI and time it; (2) load the file in ``chromium --headless --dump-dom`` with
console logging on and fail on any console message (JavaScript errors, failed loads), a missing section or figure;
(3) check statically that every ``src``/``href`` is inline (``data:``) or an in-page anchor and that every embedded
PNG decodes; (4) take a screenshot (``--window-size 1200,3000``) and check it is not blank.  Numbers and
outcomes go to ``<out>/report_render.json``; the screenshot to ``<out>/report_screenshot.png``.  Exit status 1
on any failed check.  Install the browser with ``apt-get install -y chromium``.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import _common as C

SECTIONS = ("summary", "overlap", "estimates", "comparison", "assumptions", "provenance")
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
HERE = Path(__file__).resolve().parent


def find_browser() -> str | None:
    """Path of a Chromium-family browser: $CHROMIUM, else the first of BROWSERS on PATH."""
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        return explicit
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def run_browser(browser: str, url: str, *extra: str, timeout: float = 120.0) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="report-render-") as profile:
        command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                   f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *extra, url]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def console_messages(stderr: str) -> list[str]:
    """Messages the page wrote to the console (JS errors, console.*), as Chromium logs them."""
    lines = [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
    return [line.split("] ", 1)[-1] for line in lines]  # without the process id and time stamp


def static_checks(page: str) -> list[str]:
    """Problems visible in the HTML itself: external references, undecodable figures, missing sections."""
    from PIL import Image

    problems = []
    for attr, value in re.findall(r'\b(src|href)="([^"]*)"', page):
        if not (value.startswith("data:") or value.startswith("#")):
            problems.append(f"{attr} is not inline: {value[:80]}")
    if re.search(r"url\((?!['\"]?data:)", page):
        problems.append("CSS url() pointing outside the file")
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    if not images:
        problems.append("no embedded figures")
    for i, payload in enumerate(images):
        try:
            with Image.open(io.BytesIO(base64.b64decode(payload))) as image:
                image.verify()
        except Exception as exc:  # any decoding failure is a broken figure
            problems.append(f"figure {i} does not decode: {exc}")
    for section in SECTIONS:
        if f'<section id="{section}"' not in page:
            problems.append(f"section {section!r} missing from the HTML")
    return problems


def dom_checks(dom: str) -> list[str]:
    """Problems in the DOM as the browser built it."""
    problems = []
    for section in SECTIONS:
        if f'id="{section}"' not in dom:
            problems.append(f"section {section!r} missing from the rendered DOM")
    if dom.count("<img") < 3:
        problems.append(f"only {dom.count('<img')} images in the rendered DOM")
    return problems


def screenshot_checks(path: Path) -> tuple[list[str], dict]:
    from PIL import Image, ImageStat

    if not path.exists() or path.stat().st_size == 0:
        return [f"no screenshot written to {path}"], {}
    with Image.open(path) as image:
        size = image.size
        stat = ImageStat.Stat(image.convert("L"))
    info = {"width": size[0], "height": size[1], "bytes": path.stat().st_size, "grey_stddev": stat.stddev[0]}
    problems = [] if stat.stddev[0] > 5 else ["the screenshot is blank (no contrast)"]
    return problems, info


def check(html_path: Path, out_dir: Path, browser: str, window: str = "1200,3000") -> dict:
    """Run every check on ``html_path``; the screenshot goes to ``out_dir/report_screenshot.png``."""
    page = html_path.read_text(encoding="utf-8")
    url = html_path.resolve().as_uri()
    problems = static_checks(page)
    start = time.perf_counter()
    dumped = run_browser(browser, url, "--dump-dom")
    dom_seconds = time.perf_counter() - start
    if dumped.returncode != 0:
        problems.append(f"browser exited with {dumped.returncode} on --dump-dom")
    messages = console_messages(dumped.stderr)
    problems += [f"console: {line}" for line in messages]
    problems += dom_checks(dumped.stdout)
    screenshot = out_dir / "report_screenshot.png"
    screenshot.unlink(missing_ok=True)
    start = time.perf_counter()
    shot = run_browser(browser, url, f"--window-size={window}", f"--screenshot={screenshot}")
    shot_seconds = time.perf_counter() - start
    if shot.returncode != 0:
        problems.append(f"browser exited with {shot.returncode} on --screenshot")
    problems += [f"console: {line}" for line in console_messages(shot.stderr) if line not in messages]
    shot_problems, shot_info = screenshot_checks(screenshot)
    problems += shot_problems
    version = subprocess.run([browser, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    return {
        "html": str(html_path),
        "html_bytes": len(page.encode("utf-8")),
        "figures": page.count('src="data:image/png;base64,'),
        "browser": version,
        "dom_seconds": round(dom_seconds, 2),
        "screenshot_seconds": round(shot_seconds, 2),
        "screenshot": str(screenshot),
        "screenshot_info": shot_info,
        "console_messages": messages,
        "problems": problems,
        "ok": not problems,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, help="check this report instead of making the Kosovo one")
    parser.add_argument("--out-dir", type=Path, default=HERE / "results")
    parser.add_argument("--window", default="1200,3000", help="browser window size for the screenshot")
    args = parser.parse_args(argv)
    browser = find_browser()
    if browser is None:
        print("no Chromium found: apt-get install -y chromium (or set $CHROMIUM)", file=sys.stderr)
        return 2
    args.out_dir.mkdir(parents=True, exist_ok=True)
    record: dict = C.header("report_render", quick=False)  # date, machine, versions, commit, like the others
    record["command"] = " ".join([Path(sys.executable).name, "-m", "benchmarks.report_render",
                                  *(argv if argv is not None else sys.argv[1:])])
    html_path = args.html
    if html_path is None:
        html_path = args.out_dir / "report_kosovo.html"
        command = [sys.executable, "-m", "estimate", "report", "--example", "kosovo", "--seed", "1",
                   "--output", str(html_path)]
        start = time.perf_counter()
        made = subprocess.run(command, capture_output=True, text=True, check=False)
        record["report_command"] = ["estimate", *command[3:]]
        record["report_seconds"] = round(time.perf_counter() - start, 2)
        record["report_stderr"] = made.stderr.strip().splitlines()[-5:]
        if made.returncode != 0:
            print(made.stderr, file=sys.stderr)
            return 1
    record.update(check(html_path, args.out_dir, browser, args.window))
    (args.out_dir / "report_render.json").write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps({k: record[k] for k in record if k != "report_stderr"}, indent=2))
    return 0 if record["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
