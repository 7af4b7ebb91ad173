"""Helpers of the back-office tests: signing in, reading pages and import previews."""
from __future__ import annotations

import re

from app.extensions import db


def sign_in(client, auth, user, lang: str = "en"):
    """`user` signed in on `client`, reading the back-office in `lang`."""
    db.session.commit()
    auth.login(user)
    with client.session_transaction() as sess:
        sess["lang"] = lang
    return client


def text(resp) -> str:
    return resp.get_data(as_text=True).replace("&#39;", "'").replace("&#34;", '"')


def staged_id(resp) -> int:
    """The upload's id, from the redirect an accepted import file answers with."""
    assert resp.status_code == 302, text(resp)
    return int(re.search(r"/import/(\d+)$", resp.headers["Location"]).group(1))


def import_row(page: str, line: int) -> str:
    """The cells of the preview row for `line` of the uploaded file."""
    results = page.split("eventi-import-rows", 1)[1]
    rows = re.findall(r"<tr[^>]*>\s*<td>(\d+)</td>(.*?)</tr>", results, re.S)
    return next(cells for number, cells in rows if int(number) == line)
