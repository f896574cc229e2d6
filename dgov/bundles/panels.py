"""The bundles' sections on the case pages: the applicant sees which one-thing bundle the case belongs
to (with a link to the combined result); the official sees the sibling cases in their own scope."""

from django.template.loader import render_to_string

from dgov.bundles import selectors


def applicant_panel(request, case):
    link = selectors.link_of(case)
    if link is None:
        return None
    return render_to_string("bundles/_case_panel_applicant.html", {"application": link.application}, request=request)


def official_panel(request, case):
    link = selectors.link_of(case)
    if link is None:
        return None
    return render_to_string("bundles/_case_panel_official.html", {
        "application": link.application, "siblings": selectors.siblings(request.user, case)}, request=request)
