"""Staff members' calendar feeds: the feed itself, and the page where its link
is shown and reset."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from bookings.calendar_cache import staff_feed_for_secret
from bookings.calendar_feed import CONTENT_TYPE, staff_feed_subscribe_url, staff_feed_url
from bookings.selectors import own_staff_member_at
from salons.models import StaffMember
from salons.selectors import calendar_feeds_user_may_reset, user_can_manage_salon, user_may_reset_calendar
from salons.services import calendar_token_for, calendar_token_reset
from salons.views import salon_for, staff_required


@require_GET
def calendar_feed(request: HttpRequest, secret: str) -> HttpResponse:
    """A staff member's bookings for Google, Apple or Outlook Calendar to subscribe to.

    The secret is the whole key, in the path: calendar programs send nothing
    else (no header, no login). An unknown or reset secret is 404.
    """
    body = staff_feed_for_secret(secret, now=timezone.now())
    if body is None:
        raise Http404("No such calendar.")
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = 'inline; filename="bookings.ics"'
    # Shared caches must not keep a private feed; search engines must not list it.
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


@staff_required
def calendar_links(request: HttpRequest, slug: str) -> HttpResponse:
    """The signed-in member's feed link, and a reset button for each feed they may reset."""
    salon = salon_for(request, slug)
    own = own_staff_member_at(user=request.user, salon=salon)
    context = {
        "nav": "agenda",
        "salon": salon,
        "own_staff_member": own,
        "members": calendar_feeds_user_may_reset(request.user, salon),
    }
    if own is not None:
        token = calendar_token_for(staff_member=own)
        context.update(feed_url=staff_feed_url(token), subscribe_url=staff_feed_subscribe_url(token))
    return render(request, "staff/calendar_links.html", context)


@staff_required
@require_POST
def calendar_reset(request: HttpRequest, slug: str, member_id: int) -> HttpResponse:
    """Give a member's feed a new secret; the old link then answers 404.

    Another salon's staff get 404, as for everything of a salon not theirs; a
    stylist asking to reset a colleague's feed gets 403.
    """
    member = get_object_or_404(StaffMember.objects.select_related("salon"), pk=member_id, salon__slug=slug)
    if not user_can_manage_salon(request.user, member.salon_id):
        raise Http404("No such staff member.")
    if not user_may_reset_calendar(request.user, member):
        raise PermissionDenied("Only the salon's owner can reset a colleague's calendar link.")
    calendar_token_reset(staff_member=member)
    messages.success(request, f"{member.name}'s calendar link is new; the old one no longer works.")
    return redirect("staff:calendar_links", slug=slug)
