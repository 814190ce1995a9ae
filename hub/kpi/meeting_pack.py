"""The meeting pack as a PDF, made from the same HTML as the printable page by WeasyPrint.

The pack is drawn from what the hub itself rendered: no stylesheet, image or font is fetched from
anywhere (a link in the HTML can never make the server reach out to another address); its one
stylesheet is the print stylesheet the page uses, read from the hub's own files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

PRINT_STYLESHEET = Path(__file__).resolve().parent.parent / "static" / "meeting-pack.css"


def as_pdf(html: str) -> bytes:
    """The pack's HTML as a PDF (A4, the print stylesheet applied, nothing fetched)."""
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    class NothingFetched(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            raise ValueError("the pack fetches nothing")

    stylesheet = CSS(string=PRINT_STYLESHEET.read_text(encoding="utf-8"))
    document = HTML(string=html, url_fetcher=NothingFetched(), base_url=None)
    pdf: bytes = document.write_pdf(stylesheets=[stylesheet])
    return pdf
