"""The brand status summary: one page of text to paste into an e-mail, or the same as a PDF.

Both are written in the language asked for (Traditional Chinese or English). The PDF uses
ReportLab's built-in CID font ``MSung-Light`` (Traditional Chinese and Latin), so no font
file is shipped.
"""

from __future__ import annotations

import io
from datetime import date
from xml.sax.saxutils import escape

from django.template.loader import render_to_string
from django.utils import translation
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from applications.models import Application
from applications.selectors import brand_summary
from applications.workdays import WorkCalendar

LANGUAGES = {"zh-hant": "繁體中文", "en": "English"}
PDF_FONT = "MSung-Light"


def summary_text(application: Application, *, language: str, today: date, calendar: WorkCalendar) -> str:
    """Return the brand's status summary as plain text in ``language`` (zh-hant or en)."""
    with translation.override(language):
        summary = brand_summary(application, today=today, calendar=calendar)
        text = render_to_string("applications/summary.txt", {"summary": summary})
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return "\n".join(lines) + "\n"


def summary_pdf(application: Application, *, language: str, today: date, calendar: WorkCalendar) -> bytes:
    """Return the same summary as a one-page A4 PDF."""
    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    text = summary_text(application, language=language, today=today, calendar=calendar)
    title_style = ParagraphStyle("title", fontName=PDF_FONT, fontSize=14, leading=20, spaceAfter=6)
    body_style = ParagraphStyle("body", fontName=PDF_FONT, fontSize=10, leading=15, wordWrap="CJK")
    buffer = io.BytesIO()
    lines = text.splitlines()
    story = [Paragraph(escape(lines[0]), title_style)]
    for line in lines[1:]:
        story.append(Paragraph(escape(line), body_style) if line else Spacer(1, 4 * mm))
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=lines[0],
    )
    document.build(story)
    return buffer.getvalue()
