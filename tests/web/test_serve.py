"""`deconfliction serve` itself (a subprocess, real clock) serves the console from its installed package
data, prints where it is, and the console shows what the store holds."""

from __future__ import annotations

import re


from deconfliction import Deconfliction
from deconfliction.store import SQLiteStore

from factories import circle_volume, example_agreement
from serverproc import Server

from .conftest import expect, sign_in


def test_serve_prints_the_console_address_and_serves_it(browser, tmp_path):
    database = tmp_path / "served.db"
    system = Deconfliction(SQLiteStore(database))
    system.add_agreement(example_agreement())
    now = system.clock()
    blue = system.file_notice("blue", "pact", [circle_volume(now)])
    red = system.file_notice("red", "pact", [circle_volume(now, lon=2.352)], key=[blue.notice.version])
    token = system.issue_token("red")[1]
    system.close()
    log = tmp_path / "serve.log"
    with Server(database, log=log) as server:
        printed = log.read_text()
        assert re.search(rf"Web console: {re.escape(server.url)}/ ", printed), printed
        context = browser.new_context()
        page = context.new_page()
        try:
            sign_in(page, server.url, token)
            expect(page.locator(f'path.conflict-marker[data-conflict="{red.conflicts[0].id}"]')).to_have_count(1)
            expect(page.locator("#alerts-state")).to_have_text("")  # serve runs the tactical monitor
        finally:
            context.close()
