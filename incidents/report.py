"""The published form of an incident report: Markdown, HTML and PDF.

What a published report contains, and nothing else: the incident's reference, title, hubs,
symptom and detection source; the report's own written sections (summary, impact, impact start
and end, timeline, analysis); its action items. The timeline section is the report's
`timeline_markdown`, which `report_create` pre-fills from PUBLIC timeline entries only (the
public "Resolved" entry says how the fix was verified: that is meant for the community).
Timeline entries themselves and the definition-override reason are never read here, so an
internal entry cannot reach the public archive, the Markdown or the PDF.
"""

from __future__ import annotations

import datetime

from django.template.loader import render_to_string

from incidents.models import IncidentReport
from supportdesk.zones import format_utc


def _when(instant: datetime.datetime | None) -> str:
    return format_utc(instant) if instant is not None else "unknown"


def impact_duration(report: IncidentReport) -> str:
    if not (report.impact_started_at and report.impact_ended_at):
        return ""
    minutes = int((report.impact_ended_at - report.impact_started_at).total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d"] if days else []
    if hours or days:
        parts.append(f"{hours} h")
    parts.append(f"{minutes} min")
    return " ".join(parts)


def report_context(report: IncidentReport) -> dict:
    incident = report.incident
    return {
        "report": report,
        "incident": incident,
        "hubs": list(incident.hubs.all()),
        "action_items": list(report.action_items.select_related("owner")),
        "duration": impact_duration(report),
    }


def filename(report: IncidentReport, extension: str) -> str:
    return f"{report.incident.reference}-report.{extension}"


def render_report_markdown(report: IncidentReport) -> str:
    ctx = report_context(report)
    incident = ctx["incident"]
    hubs = ", ".join(f"{h.name} ({h.community.name})" for h in ctx["hubs"])
    lines = [
        f"# {incident.reference}: {incident.title}",
        "",
        f"- **Hubs:** {hubs}",
        f"- **Symptom:** {incident.get_symptom_display()}",
        f"- **Detected by:** {incident.get_detected_by_display()}",
        f"- **Impact start:** {_when(report.impact_started_at)}",
        f"- **Impact end:** {_when(report.impact_ended_at)}",
    ]
    if ctx["duration"]:
        lines.append(f"- **Duration of impact:** {ctx['duration']}")
    if report.published_at:
        lines.append(f"- **Published:** {_when(report.published_at)}")
    else:
        lines.append(f"- **Status:** {report.get_review_state_display()} (not published)")
    for heading, text in (
        ("Summary", report.summary),
        ("Impact", report.impact),
        ("Timeline", report.timeline_markdown),
        ("Analysis", report.analysis),
    ):
        lines += ["", f"## {heading}", "", text.strip() or "_Not written._"]
    lines += ["", "## Action items", ""]
    for item in ctx["action_items"]:
        box = "x" if item.done else " "
        owner = f" (owner: {item.owner.display_name})" if item.owner else ""
        lines.append(f"- [{box}] {item.description}{owner}: {item.follow_up_url}")
    if not ctx["action_items"]:
        lines.append("_None._")
    lines += ["", "_This is a blameless report: incidents are caused by systems, not people._", ""]
    return "\n".join(lines)


def render_report_html(report: IncidentReport) -> str:
    """A standalone HTML document (the input of the PDF); user text rendered and sanitised."""
    return render_to_string("incidents/report_document.html", report_context(report))


def _refuse_fetch(url: str, *args, **kwargs):
    # Sanitised report text has no images or styles to fetch; never touch the network.
    raise ValueError(f"report PDFs fetch no resources ({url})")


def render_report_pdf(report: IncidentReport, *, html: str | None = None) -> bytes:
    from weasyprint import HTML  # noqa: PLC0415 - WeasyPrint takes over a second to import; only PDFs need it

    html = html if html is not None else render_report_html(report)
    return HTML(string=html, url_fetcher=_refuse_fetch).write_pdf()
