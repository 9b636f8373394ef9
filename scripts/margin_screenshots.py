"""Screenshots of a busy section and its discussion margin, to compare layouts by eye.

    .venv/bin/python scripts/margin_screenshots.py OUTDIR [--label before]

How the margin beside a section's text holds up under many threads is a visual question
that the tests cannot answer. This script sets up the same busy section every time, so that
a change to the reading page's layout can be judged from pictures taken before and after it.

It builds a throw-away SQLite database in a temporary folder (migrations, then Think Paper 1
from papers/think-paper-1), adds a few participants and 20 published threads on section 3.3
("… And pressure for perpetual change") through the annotation services: passages quoted at
offsets spread over the section's text (chosen with a fixed random seed, so every run has the
same threads), two paragraphs and two comments on the whole section, of every kind, some with
replies. It serves the site with Werkzeug on a free port of 127.0.0.1 and drives headless
Chromium (/usr/bin/chromium, or CHROMIUM_PATH) through Playwright, as an anonymous reader,
at a desktop size (1366x900) and a phone size (390x844). For each size it writes

    OUTDIR/<label>-<size>-section.png  the whole section (text and margin), from a full-page shot
    OUTDIR/<label>-<size>-view.png     the window, with the middle of the section in its middle

and prints each file's path and size. Nothing is sent anywhere but 127.0.0.1.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# config.py and app/ live at the root.
sys.path.insert(0, str(ROOT))

PAPER_SLUG = "think-paper-1"
SECTION_KEY = "pressure-for-perpetual-change"
THREADS = 20
SEED = 33
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SIZES = {
    "desktop": {"viewport": {"width": 1366, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
PARTICIPANTS = ["Ada Lovelace", "Jonas Berg", "Mireille Dubois", "Tomasz Nowak", "Ines Duarte"]
# Remarks of different lengths, so that the margin's cards differ in height as real ones do.
REMARKS = [
    "This needs a source.",
    "How does this compare with the private sector?",
    "I read this differently: in my experience the evidence points the other way, at least "
    "for local government, where budgets were cut before any reform was planned.",
    "A fine summary, though the last step of the argument is missing.",
    "Which countries does this describe? The paper's examples are mostly from the north-west "
    "of Europe, and the picture in the new member states is rather different. It would help "
    "to say so here, or to point to the section that discusses it.",
    "Agreed.",
]
REPLIES = [
    "Agreed, and the same holds for regional administrations.",
    "Could you say which reforms you have in mind?",
    "The paper's later section answers part of this.",
]


def make_config(workdir: Path) -> type:
    """The testing configuration on a database file of its own, without rate limits."""
    from config import TestingConfig

    class ScreenshotConfig(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{workdir / 'screenshots.sqlite3'}"
        MAIL_OUTBOX_DIR = str(workdir / "outbox")
        RATELIMIT_ENABLED = False

    return ScreenshotConfig


def passage_spans(text: str, blocks: list[tuple[int, int]], count: int, rng: random.Random):
    """`count` quotes spread over the text: the text is cut into `count` equal stretches and
    each quote starts at a word boundary in its own stretch, ends within its paragraph, and is
    between 15 and 90 characters long."""
    spans = []
    stretch = len(text) / count
    for n in range(count):
        low, high = int(n * stretch), int((n + 1) * stretch)
        begin = rng.randrange(low, max(low + 1, high - 20))
        block = next(((b, e) for b, e in blocks if b <= begin < e), None)
        if block is None:  # between paragraphs: take the next one's start
            block = next((b, e) for b, e in blocks if b > begin)
            begin = block[0]
        while begin > block[0] and not text[begin - 1].isspace():
            begin -= 1
        end = min(block[1], begin + rng.randrange(15, 90))
        while end < block[1] and text[end - 1].isalnum():
            end += 1
        while end > begin and not text[end - 1].isalnum():
            end -= 1
        if text[begin:end].strip():
            spans.append((begin, end))
    return spans


def seed_discussion(app) -> None:
    """Participants and the 20 threads on section 3.3, through the services as a user would."""
    from sqlalchemy import select

    from app.accounts.services import create_user
    from app.annotations import services
    from app.core.anchoring import block_spans, quote_at
    from app.extensions import db
    from app.models import Paper, PaperVersion
    from app.models.annotation import AnnotationKind, TargetType

    rng = random.Random(SEED)  # noqa: S311  (the same threads every run, not a secret)
    with app.test_request_context():
        users = [
            create_user(f"reader{n}@example.org", name, confirmed=True, trusted=True)
            for n, name in enumerate(PARTICIPANTS)
        ]
        paper = db.session.scalar(select(Paper).where(Paper.slug == PAPER_SLUG))
        version = db.session.scalar(
            select(PaperVersion)
            .where(PaperVersion.paper_id == paper.id)
            .order_by(PaperVersion.sequence.desc())
            .limit(1)
        )
        section = services.find_section(version, SECTION_KEY)
        text = section.text
        blocks = block_spans(text)

        plans: list[tuple[TargetType, tuple[int, int] | None]] = [
            (TargetType.SECTION, None),
            (TargetType.SECTION, None),
        ]
        plans += [(TargetType.PARAGRAPH, span) for span in rng.sample(blocks, 2)]
        passages = passage_spans(text, blocks, THREADS - len(plans), rng)
        plans += [(TargetType.PASSAGE, span) for span in passages]
        rng.shuffle(plans)

        kinds = [AnnotationKind.COMMENT, AnnotationKind.QUESTION, AnnotationKind.OBJECTION]
        roots = []
        for n, (target, span) in enumerate(plans):
            kind = kinds[n % len(kinds)]
            quote = proposed = None
            if span is not None:
                q = quote_at(text, *span)
                quote = services.QuoteInput(q.exact, q.prefix, q.suffix, q.start, q.end)
                if target is TargetType.PASSAGE and n % 5 == 4:
                    kind = AnnotationKind.SUGGESTION
                    proposed = q.exact.replace(" the ", " this ", 1) + " (reworded)"
            body = f"Thread {n + 1}: " + rng.choice(REMARKS)
            author = users[n % len(users)]
            roots.append(
                services.create_thread(
                    author,
                    paper,
                    version,
                    section,
                    body,
                    kind=kind,
                    quote=quote,
                    target=target,
                    proposed_text=proposed,
                )
            )
        for n, root in enumerate(rng.sample(roots, 4)):
            services.reply(users[(n + 2) % len(users)], root, REPLIES[n % len(REPLIES)])
        db.session.commit()


def build_site(workdir: Path):
    """The app on a migrated database holding Think Paper 1 and the discussion."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db

    app = create_app(make_config(workdir))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    with app.app_context():
        upgrade()
    result = app.test_cli_runner().invoke(
        args=["papers", "import", str(ROOT / "papers" / PAPER_SLUG)]
    )
    if result.exit_code != 0:
        raise SystemExit(f"import failed:\n{result.output}{result.exception or ''}")
    seed_discussion(app)
    with app.app_context():
        db.session.remove()
    return app


def take_screenshots(base_url: str, outdir: Path, label: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    files = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            for size, options in SIZES.items():
                context = browser.new_context(base_url=base_url, locale="en-GB", **options)
                page = context.new_page()
                page.goto(f"/papers/{PAPER_SLUG}/", wait_until="networkidle")
                section = page.locator(f"section#{SECTION_KEY}")
                section.wait_for()
                # As a reader would: come to the section, so that what loads on the way is there.
                section.scroll_into_view_if_needed()
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(300)  # a frame or two for what is placed after loading
                box = page.evaluate(
                    """(key) => {
                        const r = document.getElementById(key).getBoundingClientRect();
                        return {x: r.left + scrollX, y: r.top + scrollY,
                                width: r.width, height: r.height};
                    }""",
                    SECTION_KEY,
                )
                path = outdir / f"{label}-{size}-section.png"
                page.screenshot(path=str(path), full_page=True, clip=box)
                files.append(path)

                page.evaluate(
                    "(y) => window.scrollTo(0, y)",
                    max(0, box["y"] + box["height"] / 2 - options["viewport"]["height"] / 2),
                )
                page.wait_for_timeout(200)  # a frame or two for anything positioned on scroll
                path = outdir / f"{label}-{size}-view.png"
                page.screenshot(path=str(path))
                files.append(path)
                context.close()
        finally:
            browser.close()
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", type=Path, help="folder for the PNG files (made if missing)")
    parser.add_argument("--label", default="before", help="file name prefix (default: before)")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"no Chromium at {CHROMIUM} (set CHROMIUM_PATH)", file=sys.stderr)
        return 1
    args.outdir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()

    from werkzeug.serving import make_server

    with tempfile.TemporaryDirectory(prefix="margin-shots-") as tmp:
        app = build_site(Path(tmp))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        base_url = f"http://127.0.0.1:{server.server_port}"
        app.config["SITE_URL"] = base_url
        thread = threading.Thread(target=server.serve_forever, name="site", daemon=True)
        thread.start()
        try:
            files = take_screenshots(base_url, args.outdir, args.label)
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)
            with app.app_context():
                from app.extensions import db

                db.engine.dispose()
    for path in files:
        print(f"{path}\t{path.stat().st_size:,} bytes")
    print(f"{len(files)} screenshots in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
