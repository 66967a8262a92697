"""What a catalog request is about: the client's channel, the locale chain, currency and price list.

The locale comes from ?locale= (a wrong one is an error) or else Accept-Language (a
preference: an unknown language falls back silently), then falls back along
settings.API_LOCALE_FALLBACKS and finally the channel's own locales in their order.
"""

import re
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header

from apiclients.errors import InvalidParameter
from core.money import is_known_currency

LOCALE_PATTERN = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")


@dataclass(frozen=True)
class CatalogContext:
    channel: object
    locale: str
    locale_chain: tuple
    currency: str
    price_list_id: int | None
    price_list_code: str | None


def known_locales(channel):
    fallbacks = settings.API_LOCALE_FALLBACKS
    known = list(channel.locales or [])
    for locale, chain in fallbacks.items():
        known.extend([locale, *chain])
    return list(dict.fromkeys(known))


def _from_accept_language(header, known, channel_locales=()):
    by_lower = {locale.lower(): locale for locale in known}
    for language, _quality in parse_accept_lang_header(header or ""):
        wanted = language.replace("-", "_").lower()
        if wanted in by_lower:
            return by_lower[wanted]
        language_code = wanted.split("_")[0]
        candidates = [locale for locale in known if locale.lower().startswith(language_code + "_")]
        if candidates:
            # The channel's own locales come first. Otherwise a bare "de" means de_DE, the
            # language's home region, rather than de_AT, which comes first among the fallbacks.
            own = [locale for locale in candidates if locale in channel_locales]
            home = [locale for locale in candidates if locale.lower() == f"{language_code}_{language_code}"]
            return (own or home or candidates)[0]
    return None


def resolve_locale(request, channel):
    known = known_locales(channel)
    explicit = request.query_params.get("locale")
    if explicit is not None:
        if not LOCALE_PATTERN.match(explicit) or (known and explicit not in known):
            raise InvalidParameter(
                _("Unknown locale %(value)s. Use one of: %(known)s.") % {"value": explicit, "known": ", ".join(known) or "de_DE"},
                code="unknown_locale",
                field="locale",
                value=explicit,
            )
        locale = explicit
    else:
        default = (channel.locales or [settings.API_DEFAULT_LOCALE])[0]
        locale = _from_accept_language(request.headers.get("Accept-Language"), known, channel.locales or ()) or default

    chain = [locale, *settings.API_LOCALE_FALLBACKS.get(locale, []), *(channel.locales or [])]
    return locale, tuple(dict.fromkeys(chain))


def resolve_currency(request, channel):
    currency = request.query_params.get("currency")
    if currency is None:
        return (channel.currencies or [settings.API_DEFAULT_CURRENCY])[0]
    if not is_known_currency(currency):
        # Codes match exactly, like the locale and price list codes, so eur is named but not accepted.
        if is_known_currency(currency.upper()):
            message = _("Unknown currency %(value)s. Currency codes are upper case, so use %(upper)s.")
        else:
            message = _("Unknown currency %(value)s. Use an upper-case ISO 4217 code such as EUR.")
        raise InvalidParameter(
            message % {"value": currency, "upper": currency.upper()},
            code="unknown_currency",
            field="currency",
            value=currency,
        )
    if not channel.sells_in(currency):
        raise InvalidParameter(
            _("Channel %(channel)s does not sell in %(value)s. Use one of: %(known)s.")
            % {"channel": channel.code, "value": currency, "known": ", ".join(channel.currencies)},
            code="currency_not_sold",
            field="currency",
            value=currency,
        )
    return currency


def resolve_price_list(request, client):
    """Return (id, code) of the price list to show; the id is None when only the code is known.

    A request may name the client's default price list and its other price lists. Any other
    code gets the same error whether the list exists or not, so a client cannot find out
    which lists exist, such as those with negotiated B2B prices.
    """
    code = request.query_params.get("price_list")
    default = (client.price_list_id, client.price_list.code) if client.price_list_id else (None, settings.API_DEFAULT_PRICE_LIST)
    if code is None or code == default[1]:
        return default
    for price_list in client.other_price_lists.all():
        if price_list.code == code:
            return price_list.pk, code
    raise InvalidParameter(
        _("Price list %(value)s does not exist or is not enabled for this client. Leave price_list out for the client's default list, or ask the merchant to enable this one for the client.") % {"value": code},
        code="unknown_price_list",
        field="price_list",
        value=code,
    )


def catalog_context(request):
    client = request.auth
    channel = client.channel
    locale, chain = resolve_locale(request, channel)
    currency = resolve_currency(request, channel)
    price_list_id, price_list_code = resolve_price_list(request, client)
    return CatalogContext(channel, locale, chain, currency, price_list_id, price_list_code)


def reject_unknown_params(request, allowed):
    """Raise for the first query parameter the endpoint does not know, so typos are not ignored."""
    for name in request.query_params:
        if name not in allowed:
            raise InvalidParameter(
                _("Unknown query parameter %(name)s. Allowed: %(allowed)s.") % {"name": name, "allowed": ", ".join(sorted(allowed)) or _("none")},
                code="unknown_parameter",
                field=name,
                value=request.query_params.get(name),
            )
