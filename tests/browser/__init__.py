"""Browser tests: Playwright and headless Chromium against a live server."""
