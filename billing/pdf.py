"""A statement as a PDF a brand can file: seller, buyer, lines, tax, totals, the reconciliation summary.

ReportLab with its built-in CID font for Traditional Chinese (MSung-Light): no font file is needed
where the portal runs. The text is in the language active when the PDF is written (the reader's).
Until the statement is confirmed every page carries a DRAFT watermark.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from billing.choices import StatementStatus
from billing.invoicing import three_way
from billing.models import BillingProfile, Statement, StatementLine
from billing.periods import TAIWAN, month_last_day

FONT = "MSung-Light"


class TraditionalChineseFont(UnicodeCIDFont):
    """ReportLab's built-in MSung-Light, naming Adobe-CNS1's own Unicode CMap in the PDF.

    ReportLab's table gives MSung-Light the CMap ``UniGB-UCS2-H``, which belongs to the
    Simplified Chinese collection (Adobe-GB1): poppler (and so most Linux viewers) then shows
    no text at all. The text is written as UCS-2 either way, which ``UniCNS-UCS2-H`` maps to
    the font's own CNS1 glyphs.
    """

    def __init__(self) -> None:
        super().__init__(FONT)
        self.encodingName = "UniCNS-UCS2-H"


pdfmetrics.registerFont(TraditionalChineseFont())

LATIN = "Helvetica"
LATIN_BOLD = "Helvetica-Bold"
BODY = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=12)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8, leading=10, textColor=colors.HexColor("#444444"))
HEADING = ParagraphStyle("heading", parent=BODY, fontSize=15, leading=19, spaceAfter=4)
SECTION = ParagraphStyle("section", parent=BODY, fontSize=11, leading=14, spaceBefore=8, spaceAfter=3)
CELL = ParagraphStyle("cell", parent=BODY, fontSize=8, leading=10)
CELL_NUM = ParagraphStyle("cell_num", parent=CELL, alignment=TA_RIGHT)
GRID = colors.HexColor("#999999")


def _latin(text: str) -> bool:
    """Whether the text is all in the standard PDF fonts' character set (no Chinese)."""
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def para(text: str, style: ParagraphStyle = BODY, *, bold: bool = False) -> Paragraph:
    """A paragraph in Helvetica when it has no Chinese (exact Latin widths), in MSung-Light otherwise."""
    if _latin(text):
        style = ParagraphStyle(f"{style.name}-latin", parent=style, fontName=LATIN_BOLD if bold else LATIN)
    markup = escape(text)
    return Paragraph(f"<b>{markup}</b>" if bold and not _latin(text) else markup, style)


def money(value: Decimal | None, places: int = 0) -> str:
    """Format a TWD amount with thousands separators (``1,234`` or ``0.2000``)."""
    if value is None:
        return "—"
    return f"{value:,.{places}f}"


def _table(
    rows: list[list[Any]], widths: list[float], *, numeric_from: int, numeric_to: int = 99, total_rows: int = 0
) -> Table:
    """A table of text cells: numbers (columns ``numeric_from``…``numeric_to``) right-aligned, header shaded."""
    cells = [
        [
            value
            if not isinstance(value, str)
            else para(value, CELL_NUM if numeric_from <= index <= numeric_to else CELL, bold=row_index == 0)
            for index, value in enumerate(row)
        ]
        for row_index, row in enumerate(rows)
    ]
    table = Table(cells, colWidths=widths, repeatRows=1)
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8e8e8")),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, GRID),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if total_rows:
        style.append(("LINEABOVE", (0, -total_rows), (-1, -total_rows), 0.8, colors.black))
    table.setStyle(TableStyle(style))
    return table


def _party(title: str, lines: list[str]) -> list[Any]:
    return [para(title, bold=True), *[para(line) for line in lines if line]]


def _buyer(statement: Statement) -> list[str]:
    if statement.buyer_tax_id:  # frozen at finalise
        name, tax_id = statement.buyer_legal_name, statement.buyer_tax_id
        address, email = statement.buyer_address, statement.buyer_email
    else:
        profile = BillingProfile.objects.filter(brand_id=statement.brand_id).first()
        if profile is None:
            return [_("No billing profile yet: the account manager must add one before the month is finalised.")]
        name, tax_id, address, email = profile.legal_name, profile.tax_id, profile.address, profile.contact_email
    return [
        name,
        _("統一編號 %(tax_id)s") % {"tax_id": tax_id},
        address,
        email,
        _("Brand: %(brand)s") % {"brand": statement.brand},
    ]


def _description(line: StatementLine) -> str:
    """A line's description in the reader's language (the stored one is in the language it was computed in)."""
    text = str(line.get_kind_display())
    if line.adjusts_id and line.adjusts is not None:
        text += _(" (for %(month)s v%(version)d, closed)") % {
            "month": f"{line.adjusts.month:%Y-%m}",
            "version": line.adjusts.version,
        }
    return text


def _watermark(text: str) -> Any:
    def draw(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(LATIN_BOLD if _latin(text) else FONT, 80)
        canvas.setFillColor(colors.Color(0.85, 0.1, 0.1, alpha=0.18))
        canvas.translate(A4[0] / 2, A4[1] / 2)
        canvas.rotate(40)
        canvas.drawCentredString(0, 0, text)
        canvas.restoreState()

    return draw


def _footer(text: str, watermark: str) -> Any:
    mark = _watermark(watermark) if watermark else None

    def draw(canvas: Any, doc: Any) -> None:
        if mark is not None:
            mark(canvas, doc)
        canvas.saveState()
        canvas.setFillColor(colors.HexColor("#666666"))
        canvas.setFont(LATIN if _latin(text) else FONT, 7)
        canvas.drawString(15 * mm, 10 * mm, text)
        page = _("Page %(n)d") % {"n": doc.page}
        canvas.setFont(LATIN if _latin(page) else FONT, 7)
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, page)
        canvas.restoreState()

    return draw


def statement_pdf(statement: Statement, *, language: str) -> bytes:
    """Return the PDF of a statement, written in ``language`` (``en`` or ``zh-hant``)."""
    with override(language):
        return _render(statement)


def _render(statement: Statement) -> bytes:
    buffer = io.BytesIO()
    month = f"{statement.month:%Y-%m}"
    draft = statement.status != StatementStatus.CONFIRMED
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=18 * mm,
        title=_("Statement %(month)s · %(brand)s") % {"month": month, "brand": statement.brand},
        author=settings.BILLING_SELLER_NAME,
    )
    story: list[Any] = [
        para(_("Monthly statement for %(month)s") % {"month": month}, HEADING),
        para(
            _("Period: %(first)s – %(last)s (Taiwan calendar month) · version %(version)d · status: %(status)s")
            % {
                "first": statement.month,
                "last": month_last_day(statement.month),
                "version": statement.version,
                "status": statement.get_status_display(),
            },
            BODY,
        ),
    ]
    if draft:
        story.append(
            para(_("DRAFT: not a bill until a second finance user confirms it. Figures may still change."), SMALL)
        )
    seller = [
        settings.BILLING_SELLER_NAME,
        _("統一編號 %(tax_id)s") % {"tax_id": settings.BILLING_SELLER_TAX_ID} if settings.BILLING_SELLER_TAX_ID else "",
        settings.BILLING_SELLER_ADDRESS,
        settings.BILLING_SELLER_EMAIL,
    ]
    parties = Table(
        [[_party(_("Seller"), seller), _party(_("Buyer"), _buyer(statement))]], colWidths=[90 * mm, 90 * mm]
    )
    parties.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    story += [Spacer(1, 4 * mm), parties, para(_("Lines"), SECTION)]

    rows: list[list[Any]] = [
        [_("#"), _("Description"), _("From"), _("To"), _("Quantity"), _("Unit price (TWD)"), _("Amount (TWD)")]
    ]
    for line in statement.lines.select_related("adjusts"):
        rows.append(
            [
                str(line.position),
                _description(line),
                line.period_start.isoformat(),
                line.period_end.isoformat(),
                f"{line.quantity:,}",
                money(line.unit_price, 4),
                money(line.amount, 4),
            ]
        )
    rows += [
        ["", _("Sum of lines"), "", "", "", "", money(statement.subtotal, 4)],
        ["", _("Net, rounded half-up to whole TWD"), "", "", "", "", money(statement.total)],
        ["", _("Business tax 5 %, rounded half-up to whole TWD"), "", "", "", "", money(statement.tax)],
        [
            "",
            para(_("Gross (net + tax)"), CELL, bold=True),
            "",
            "",
            "",
            "",
            para(money(statement.gross), CELL_NUM, bold=True),
        ],
    ]
    lines_table = _table(
        rows, [8 * mm, 66 * mm, 19 * mm, 19 * mm, 18 * mm, 24 * mm, 26 * mm], numeric_from=4, total_rows=4
    )
    lines_table.setStyle(TableStyle([("SPAN", (1, -n), (5, -n)) for n in (1, 2, 3, 4)]))
    story += [
        lines_table,
        para(
            _(
                "Prices are tax-exclusive. Each line is quantity × unit price, kept to 4 decimal places; "
                "the net is the sum of the lines rounded half-up to whole TWD; the business tax is net × 5 %, "
                "rounded half-up to whole TWD (0.5 rounds up); the gross is net + tax. PNP is billed at LINE's "
                "count per JST (UTC+9) day, as LINE bills it."
            ),
            SMALL,
        ),
        para(_("Reconciliation with LINE"), SECTION),
    ]
    story += _reconciliation(statement)
    now = timezone.now().astimezone(TAIWAN)
    footer = _("%(brand)s · %(month)s v%(version)d · written %(at)s Taiwan time") % {
        "brand": statement.brand,
        "month": month,
        "version": statement.version,
        "at": f"{now:%Y-%m-%d %H:%M}",
    }
    on_page = _footer(footer, _("DRAFT") if draft else "")
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


def _reconciliation(statement: Statement) -> list[Any]:
    comparison = three_way(statement)
    invoice = comparison.invoice
    not_stated = _("not stated")
    none = _("not recorded yet")
    rows: list[list[Any]] = [
        [
            _("Figure"),
            _("Portal"),
            _("LINE's daily counts"),
            _("Statement"),
            _("LINE's invoice"),
            _("Invoice less statement"),
        ],
        [
            _("PNP messages (JST days)"),
            f"{comparison.portal_count:,}",
            f"{comparison.line_daily_count:,}",
            f"{comparison.billed_count:,}",
            none
            if invoice is None
            else (not_stated if invoice.message_count is None else f"{invoice.message_count:,}"),
            "—" if comparison.count_difference is None else f"{comparison.count_difference:+,}",
        ],
        [
            _("PNP net (TWD)"),
            "",
            "",
            money(comparison.pnp_net),
            none if invoice is None else money(invoice.net),
            "—" if comparison.net_difference is None else f"{comparison.net_difference:+,}",
        ],
        [
            _("PNP tax 5 % (TWD)"),
            "",
            "",
            money(comparison.pnp_tax),
            none if invoice is None else money(invoice.tax),
            "—" if comparison.tax_difference is None else f"{comparison.tax_difference:+,}",
        ],
    ]
    parts: list[Any] = [_table(rows, [44 * mm, 22 * mm, 30 * mm, 24 * mm, 36 * mm, 24 * mm], numeric_from=1)]
    if invoice is not None:
        parts.append(
            para(
                _("LINE's invoice %(number)s of %(date)s: net %(net)s + tax %(tax)s = gross %(gross)s TWD.")
                % {
                    "number": invoice.invoice_number,
                    "date": invoice.invoice_date,
                    "net": money(invoice.net),
                    "tax": money(invoice.tax),
                    "gross": money(invoice.gross),
                },
                SMALL,
            )
        )
    if comparison.has_invoice_difference and not statement.invoice_reason:
        parts.append(para(_("LINE's invoice differs from the statement and is not explained yet."), SMALL, bold=True))
    if statement.invoice_reason:
        parts.append(
            para(
                _("Difference explained: %(reason)s: %(note)s")
                % {"reason": statement.get_invoice_reason_display(), "note": statement.invoice_note},
                SMALL,
            )
        )
    flagged = list(statement.reconciliation.filter(flagged=True))
    parts.append(
        para(
            _(
                "The portal counts each PNP on the JST day it was sent, as LINE does. %(flagged)d JST day(s) "
                "differed from LINE's count beyond the tolerance or had no LINE figure; %(explained)d of them "
                "are explained."
            )
            % {"flagged": len(flagged), "explained": sum(1 for d in flagged if d.reason)},
            SMALL,
        )
    )
    if flagged:
        day_rows: list[list[Any]] = [[_("JST date"), _("Portal"), _("LINE"), _("Billed"), _("Explanation")]]
        for day in flagged:
            day_rows.append(
                [
                    day.jst_date.isoformat(),
                    f"{day.portal_count:,}",
                    "—" if day.line_count is None else f"{day.line_count:,}",
                    f"{day.billed_count:,}",
                    f"{day.get_reason_display()}: {day.note}" if day.reason else _("not explained"),
                ]
            )
        parts.append(_table(day_rows, [22 * mm, 20 * mm, 20 * mm, 20 * mm, 98 * mm], numeric_from=1, numeric_to=3))
    return parts
