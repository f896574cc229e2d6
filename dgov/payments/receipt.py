"""The electronic payment receipt (电子缴款凭证) as a PDF, drawn with reportlab in the CJK font the
licences use (`dgov.licenses.render.register_font`)."""

import io

from django.utils import timezone
from reportlab.lib.pagesizes import A5, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from dgov.licenses.render import FontMissing, register_font
from dgov.payments.models import FeeOrder, PaymentState
from dgov.payments.services import yuan

__all__ = ["FontMissing", "lines", "receipt_pdf"]


def lines(order: FeeOrder) -> list[tuple[str, str]]:
    """The receipt's label/value lines, shared by the page and the PDF."""
    payment = order.payments.filter(state=PaymentState.SUCCESS).order_by("pk").first()
    out = [("缴款凭证号", order.receipt_number or ""), ("缴费单号", order.number),
           ("缴款人", order.payer_name), ("办件编号", order.case.reference or ""), ("事项", order.case.title),
           ("执收单位", order.department.name)]
    for item in order.items:
        out.append(("收费项目", f"{item['name']}  {yuan(item['amount'])} 元"))
        if item.get("basis"):
            out.append(("收费依据", item["basis"]))
    out += [("金额合计", f"{yuan(order.paid_amount)} 元"),
            ("缴费时间", timezone.localtime(order.paid_at).strftime("%Y-%m-%d %H:%M:%S") if order.paid_at else ""),
            ("支付机构流水号", payment.provider_ref if payment else "")]
    if order.refunded_amount:
        out.append(("已退费", f"{yuan(order.refunded_amount)} 元"))
    return out


def _wrap(canvas, text: str, font: str, size: float, width: float) -> list[str]:
    rows, current = [], ""
    for char in text:
        if canvas.stringWidth(current + char, font, size) > width:
            rows.append(current)
            current = char
        else:
            current += char
    return [*rows, current] if current else rows or [""]


def receipt_pdf(order: FeeOrder) -> bytes:
    font = register_font()
    buffer = io.BytesIO()
    size = landscape(A5)
    canvas = Canvas(buffer, pagesize=size, pageCompression=1)
    canvas.setTitle(f"电子缴款凭证 {order.receipt_number}")
    width, height = size
    canvas.setFont(font, 18)
    canvas.drawCentredString(width / 2, height - 20 * mm, "非税收入电子缴款凭证")
    if order.is_demo or order.payments.filter(provider="sandbox").exists():
        canvas.setFont(font, 9)
        canvas.drawCentredString(width / 2, height - 27 * mm, "（沙箱支付机构 · 演示用，不作为真实缴款凭据）")
    y = height - 36 * mm
    for label, value in lines(order):
        canvas.setFont(font, 10)
        canvas.drawString(18 * mm, y, label)
        for row in _wrap(canvas, value, font, 10, width - 70 * mm):
            canvas.drawString(52 * mm, y, row)
            y -= 6 * mm
        if y < 15 * mm:
            canvas.showPage()
            y = height - 20 * mm
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
