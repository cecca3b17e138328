"""One-line hooks for the request page and the war room: the GitHub issue panel."""

from __future__ import annotations

from django import template

from integrations.forms import OpenIssueForm
from integrations.github import github_configured
from integrations.models import GitHubIssue

register = template.Library()


@register.inclusion_tag("integrations/_request_github.html")
def request_github_panel(r, can_link_issue: bool):
    issues = list(GitHubIssue.objects.filter(links__request=r)) if r.engineering_issue_url else []
    return {
        "r": r,
        "issues": issues,
        "can_open": can_link_issue and github_configured() and not issues,
        "form": OpenIssueForm(),
    }


@register.inclusion_tag("integrations/_incident_github.html")
def incident_github_panel(incident):
    return {
        "incident": incident,
        "issues": list(GitHubIssue.objects.filter(links__incident=incident).order_by("pk")),
        "can_open": incident.is_open and github_configured(),
        "form": OpenIssueForm(),
    }


@register.inclusion_tag("integrations/_issue_state.html")
def issue_state(issue):
    return {"issue": issue}
