from __future__ import annotations

from django.shortcuts import render

from communities.models import Hub


def status_page(request):
    hubs = Hub.objects.filter(is_active=True).select_related("community")
    return render(request, "incidents/status.html", {"hubs": hubs})
