"""The API's documentation pages, `/docs` (Swagger UI) and `/redoc` (ReDoc), served offline.

Both viewers are vendored under `app/web/static/apidocs/` (versions and licences in
`app/web/static/VENDORED.txt`), and the pages name no other host: the documentation works
on a network without the internet, and its content security policy (`app/http_security.py`)
allows scripts from Varsel itself only. Swagger UI starts from a file
(`static/apidocs/swagger-init.js`) rather than an inline script; ReDoc starts from its
`<redoc spec-url>` element.
"""

from __future__ import annotations

from html import escape

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

STATIC = "/static/apidocs"

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
{head}
</head>
<body>
{body}
</body>
</html>
"""


def swagger_ui_page(title: str, openapi_url: str) -> str:
    return _PAGE.format(
        title=escape(f"{title} – API (Swagger UI)"),
        head=f'<link rel="stylesheet" href="{STATIC}/swagger-ui/swagger-ui.css">',
        body=(f'<div id="swagger-ui" data-openapi-url="{escape(openapi_url)}"></div>\n'
              f'<script src="{STATIC}/swagger-ui/swagger-ui-bundle.js"></script>\n'
              f'<script src="{STATIC}/swagger-init.js"></script>'),
    )


def redoc_page(title: str, openapi_url: str) -> str:
    return _PAGE.format(
        title=escape(f"{title} – API (ReDoc)"),
        head=f'<link rel="stylesheet" href="{STATIC}/redoc.css">',
        body=(f'<redoc spec-url="{escape(openapi_url)}" expand-responses="200,201" '
              f'path-in-middle-panel="true"></redoc>\n'
              f'<script src="{STATIC}/redoc/redoc.standalone.js"></script>'),
    )


def install_docs(app: FastAPI) -> None:
    """`/docs` and `/redoc`, for an app created with `docs_url=None, redoc_url=None`."""
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return HTMLResponse(swagger_ui_page(app.title, openapi_url))

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return HTMLResponse(redoc_page(app.title, openapi_url))
