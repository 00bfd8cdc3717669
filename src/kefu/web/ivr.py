"""The IVR menu page (语音导航菜单, /hotline/ivr/): each telephone platform's menu as a tree — keys,
names, prompts, where each entry leads — and how many of today's calls went through each entry,
for reference (kefu.cti.ivr.menu_today; supervisors and managers, cti.view_any_call)."""

from django.shortcuts import render
from django.utils import timezone

from kefu.cti import ivr as menus

from .views import _reads


@_reads
def menu(request):
    platforms = menus.menu_today(request.user)
    for platform in platforms:
        for row in platform["rows"]:
            row["leads_to"] = menus.leads_to(row["node"])
            row["indent"] = "\u3000" * row["depth"]  # the tree by indentation: no style attribute (CSP)
    return render(request, "web/ivr.html", {"section": "hotline", "platforms": platforms,
                                            "today": timezone.localdate()})
