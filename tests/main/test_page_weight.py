"""The first page a visitor loads stays under 60 kB transferred, compressed, with everything it pulls in."""

from __future__ import annotations

import gzip
import json
import re

import brotli

BUDGET = 60 * 1024
HEADERS = {"Accept-Encoding": "br, gzip", "Accept-Language": "de"}


def _fetch(client, url: str) -> tuple[int, bytes]:
    """Bytes on the wire and the decoded body."""
    response = client.get(url, headers=HEADERS)
    try:
        assert response.status_code == 200, url
        raw = response.get_data()
        encoding = response.headers.get("Content-Encoding")
    finally:
        response.close()
    body = brotli.decompress(raw) if encoding == "br" else gzip.decompress(raw) if encoding == "gzip" else raw
    return len(raw), body


def _assets(page: str) -> list[str]:
    urls = set(re.findall(r'<(?:link|script)[^>]+(?:href|src)="(/static/[^"]+)"', page))
    urls |= {m.split("#")[0] for m in re.findall(r'<use href="(/static/[^"]+)"', page)}
    return sorted(urls)


def _first_page(client) -> tuple[str, dict[str, int]]:
    """The start page and the bytes transferred for it and for every file it pulls in."""
    size, body = _fetch(client, "/")
    page = body.decode()
    sizes = {"/": size}
    for url in _assets(page):
        sizes[url] = _fetch(client, url)[0]
    return page, sizes


def test_first_page_is_within_budget(client):
    page, sizes = _first_page(client)
    body = page.encode()
    total = sum(sizes.values())
    print(f"first page: {total} bytes transferred: {sizes}")
    assert any("htmx" in url for url in sizes)
    assert sizes["/"] < len(body), "the page was not sent compressed"
    assert total <= BUDGET, sizes


def test_first_visit_with_the_service_worker_is_within_budget(client):
    """On a first visit the browser also loads the manifest and the worker, which precaches the app shell."""
    page, sizes = _first_page(client)
    manifest = re.search(r'<link rel="manifest" href="([^"]+)"', page).group(1)
    worker = re.search(r'data-worker="([^"]+)"', page).group(1)
    sizes[manifest], sizes[worker] = _fetch(client, manifest)[0], _fetch(client, worker)[0]
    _, worker_source = _fetch(client, worker)
    settings = json.loads(re.match(r"const LOTSE = (\{.*?\});\n", worker_source.decode()).group(1))
    for url in settings["shell"]:
        # What the page loaded already (the same versioned URL) the worker gets from the browser's HTTP cache.
        if url not in sizes:
            sizes[url] = _fetch(client, url)[0]
    total = sum(sizes.values())
    print(f"first visit with the worker: {total} bytes transferred: {sizes}")
    assert total <= BUDGET, sizes


def test_versioned_static_files_are_cached_long(client):
    _, body = _fetch(client, "/")
    css = re.search(r'href="(/static/css/app\.css\?v=\w+)"', body.decode()).group(1)
    response = client.get(css)
    response.close()
    assert "max-age=31536000" in response.headers["Cache-Control"]


def test_static_files_answer_304_when_unchanged(client):
    _, body = _fetch(client, "/")
    css = re.search(r'href="(/static/css/app\.css\?v=\w+)"', body.decode()).group(1)
    first = client.get(css, headers=HEADERS)
    first.close()
    assert first.headers["ETag"] and first.headers["Last-Modified"]
    by_tag = client.get(css, headers={**HEADERS, "If-None-Match": first.headers["ETag"]})
    by_date = client.get(css, headers={**HEADERS, "If-Modified-Since": first.headers["Last-Modified"]})
    for response in (by_tag, by_date):
        response.close()
        assert response.status_code == 304
