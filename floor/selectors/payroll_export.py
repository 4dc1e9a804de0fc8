"""The payroll as a download: CSV, and XLSX with a sheet of days and one of totals."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from floor.selectors.payroll import Payroll

PAYROLL_HEADER = ["badge", "name", "day", "pieces", "defects", "earned_minutes", "wage_cny"]


def payroll_csv(payroll: Payroll) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(PAYROLL_HEADER)
    for r in payroll.rows:
        writer.writerow([r.badge, r.name, r.day.isoformat(), r.pieces, r.defects, r.earned_minutes, r.wage])
    return out.getvalue()


def payroll_xlsx(payroll: Payroll) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    days = book.active
    days.title = "Days"
    days.append(PAYROLL_HEADER)
    for r in payroll.rows:
        days.append([r.badge, r.name, r.day, r.pieces, r.defects, r.earned_minutes, r.wage])
    for row in days.iter_rows(min_row=2, min_col=7, max_col=7):
        row[0].number_format = "0.00"
    totals = book.create_sheet("Totals")
    totals.append(["badge", "name", "pieces", "earned_minutes", "wage_cny"])
    for badge, t in payroll.totals.items():
        totals.append([badge, t["name"], t["pieces"], Decimal(t["earned_minutes"]), Decimal(t["wage"])])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
