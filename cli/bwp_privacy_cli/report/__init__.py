"""`bwp-privacy report`: the compliance report as one self-contained HTML file. ``model``
gathers what it shows from the cases, ``chart`` draws the weeks, ``render`` writes the page."""

from bwp_privacy_cli.report.model import (
    DEFAULT_WEEKS,
    ReportCase,
    ReportData,
    build_report,
)
from bwp_privacy_cli.report.render import render_report, target_label, write_report

__all__ = [
    "DEFAULT_WEEKS",
    "ReportCase",
    "ReportData",
    "build_report",
    "render_report",
    "target_label",
    "write_report",
]
