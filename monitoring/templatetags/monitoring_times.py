from datetime import timedelta

from django import template
from django.utils.timesince import timesince
from django.utils.translation import gettext

from core.formats import format_utc_datetime

register = template.Library()


@register.filter
def time_ago(value, now):
    """Format how long before `now` the time `value` was, such as "5 minutes ago" or "just now".

    Django's timesince counts whole minutes, so under a minute it gives "0 minutes". A `value` after
    `now`, from another server's clock, also counts as just now.
    """
    if now - value < timedelta(minutes=1):
        return gettext("just now")
    return gettext("%(since)s ago") % {"since": timesince(value, now)}


@register.filter
def utc_datetime(value):
    """Format an aware datetime as the active language writes it, in UTC and labelled UTC."""
    return format_utc_datetime(value)
