"""Responses are gzip-compressed for clients that accept it, and only where it pays off."""

from __future__ import annotations

import gzip

import pytest
from flask import Response, jsonify

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


@pytest.fixture
def app(app):
    """The app with a few extra routes of the kinds the real ones do not cover alone."""

    @app.get("/test/json")
    def big_json():
        return jsonify(items=[{"id": n, "title": f"Borehole {n} broken since March"} for n in range(200)])

    @app.get("/test/svg")
    def svg():
        circles = "".join(f'<circle cx="{n}" cy="{n}" r="3"/>' for n in range(100))
        return Response(f'<svg xmlns="http://www.w3.org/2000/svg">{circles}</svg>', mimetype="image/svg+xml")

    @app.get("/test/stream")
    def stream():
        return Response((f"<p>row {n}</p>\n" for n in range(2000)), mimetype="text/html")

    @app.get("/test/jpeg")
    def jpeg():
        return Response(b"\xff\xd8\xff" + bytes(5000), mimetype="image/jpeg")

    return app


def vary(response) -> str:
    return ", ".join(response.headers.getlist("Vary"))


def test_a_page_is_compressed_for_a_browser_that_accepts_gzip(client):
    response = client.get("/", headers=GZIP)
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in vary(response) and "HX-Request" in vary(response)
    assert int(response.headers["Content-Length"]) == len(response.data)
    page = gzip.decompress(response.data).decode()
    assert page.startswith("<!doctype html>") and "</html>" in page
    assert len(response.data) * 2 < len(page.encode())


def test_a_page_is_sent_plain_to_a_client_that_does_not_ask_or_refuses_gzip(client):
    for headers in ({}, {"Accept-Encoding": "identity"}, {"Accept-Encoding": "gzip;q=0, br"}):
        response = client.get("/", headers=headers)
        assert "Content-Encoding" not in response.headers, headers
        assert response.get_data(as_text=True).startswith("<!doctype html>")
        assert "Accept-Encoding" in vary(response)


@pytest.mark.parametrize(
    ("path", "mimetype"),
    [
        ("/static/app.css", "text/css"),
        ("/static/htmx-2.0.11.min.js", "text/javascript"),
        ("/test/json", "application/json"),
        ("/test/svg", "image/svg+xml"),
    ],
)
def test_styles_scripts_json_and_svg_are_compressed(client, path, mimetype):
    with client.get(path, headers=GZIP) as response, client.get(path) as plain:
        assert response.status_code == 200
        assert response.mimetype.replace("application/javascript", "text/javascript") == mimetype
        assert response.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(response.data) == plain.data
        assert len(response.data) < len(plain.data) / 2


def test_a_compressed_static_file_still_revalidates_with_304(client):
    with client.get("/static/app.css", headers=GZIP) as first:
        etag = first.headers["ETag"]
    assert etag.startswith('W/"')  # the gzip bytes are another representation of the file
    with client.get("/static/app.css", headers={**GZIP, "If-None-Match": etag}) as again:
        assert again.status_code == 304 and again.data == b""


def test_already_compressed_types_tiny_bodies_and_streams_are_sent_as_they_are(client):
    with client.get("/static/fonts/NotoSansDevanagari-Regular.subset.woff2", headers=GZIP) as font:
        assert font.status_code == 200 and "Content-Encoding" not in font.headers
        assert "Accept-Encoding" not in vary(font)
    jpeg = client.get("/test/jpeg", headers=GZIP)
    assert "Content-Encoding" not in jpeg.headers and jpeg.data.startswith(b"\xff\xd8\xff")
    with client.get("/static/icon.svg", headers=GZIP) as icon:  # 174 bytes: gzip would add, not save
        assert icon.status_code == 200 and "Content-Encoding" not in icon.headers
    stream = client.get("/test/stream", headers=GZIP)
    assert "Content-Encoding" not in stream.headers
    assert stream.get_data(as_text=True).count("<p>row") == 2000
