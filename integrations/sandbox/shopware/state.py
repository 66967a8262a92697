"""Shared state of the simulated Shopware shop: ids, time stamps, seed data, credentials, app.

The shop starts with the records every Shopware installation has (currencies, taxes, a sales
channel) and one integration whose access key Kontor's demo connection uses.
"""

import uuid
from datetime import UTC

from django.utils import timezone

from integrations.sandbox import store

SYSTEM = "shopware"

# Namespace of the shop's seeded ids, so they are the same in every sandbox.
SEED_NAMESPACE = uuid.UUID("5b0c4a54-54f1-4d36-9c8d-2f4a8d6b1e01")

SHOPWARE_VERSION = "6.6.10.0"
DEFAULT_CURRENCY = "EUR"
# Shopware's fixed id of the system language (Defaults::LANGUAGE_SYSTEM).
DEFAULT_LANGUAGE_ID = "2fbb5fe2e29a4d70aa5854ce7ce3e20b"

# Credentials of the integration the sandbox shop is installed with; the demo connection
# uses them. Change them through /sandbox/shopware/_control.
DEFAULT_ACCESS_KEY = "SWIAKONTORSANDBOXDEMOKEY01"
DEFAULT_SECRET_ACCESS_KEY = "kontor-sandbox-shopware-secret-access-key-not-for-production"
# The per-shop secret an app gets at registration; Shopware requires 64 to 255 characters.
DEFAULT_SHOP_SECRET = "kontor-sandbox-shop-secret-0123456789abcdef0123456789abcdef0123456789"
DEFAULT_TOKEN_LIFETIME = 600
APP_NAME = "KontorConnector"

CURRENCIES = {
    # iso: (factor, decimals, symbol, name)
    "EUR": (1, 2, "€", "Euro"),
    "USD": (1.17, 2, "$", "US-Dollar"),
    "GBP": (0.86, 2, "£", "Pound"),
}
TAXES = {"19": "Standard rate", "7": "Reduced rate"}


def new_id():
    """Return a new Shopware id: 32 lower-case hex characters without dashes."""
    return uuid.uuid4().hex


def seed_id(*parts):
    return uuid.uuid5(SEED_NAMESPACE, ":".join(parts)).hex


def iso(moment):
    """Format a datetime as Shopware does: UTC, milliseconds and an offset."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def now_iso():
    return iso(timezone.now())


def currency_id(iso_code):
    return seed_id("currency", iso_code)


def tax_id(rate):
    return seed_id("tax", str(rate))


def country_id(iso_code):
    return seed_id("country", iso_code)


def sales_channel_id():
    return seed_id("sales_channel", "storefront")


def ensure_seeded():
    """Create the base records of a fresh shop; a no-op when they exist."""
    if store.get(SYSTEM, "currency", currency_id(DEFAULT_CURRENCY)) is not None:
        return
    now = now_iso()
    for iso_code, (factor, decimals, symbol, name) in CURRENCIES.items():
        rounding = {"decimals": decimals, "interval": 0.01, "roundForNet": True}
        store.put(SYSTEM, "currency", currency_id(iso_code), {
            "id": currency_id(iso_code),
            "isoCode": iso_code,
            "factor": factor,
            "symbol": symbol,
            "name": name,
            "shortName": iso_code,
            "isSystemDefault": iso_code == DEFAULT_CURRENCY,
            "itemRounding": rounding,
            "totalRounding": rounding,
            "createdAt": now,
            "updatedAt": None,
        }, natural_key=iso_code)
    for rate, name in TAXES.items():
        store.put(SYSTEM, "tax", tax_id(rate), {
            "id": tax_id(rate), "taxRate": float(rate), "name": name, "position": 1, "createdAt": now, "updatedAt": None,
        })
    store.put(SYSTEM, "sales_channel", sales_channel_id(), {
        "id": sales_channel_id(),
        "name": "Storefront",
        "currencyId": currency_id(DEFAULT_CURRENCY),
        "languageId": DEFAULT_LANGUAGE_ID,
        "active": True,
        "createdAt": now,
        "updatedAt": None,
    })


def country(iso_code):
    """Return the country record for an ISO 3166 code, created on first use."""
    record = store.get(SYSTEM, "country", country_id(iso_code))
    if record is None:
        record = {"id": country_id(iso_code), "iso": iso_code, "name": iso_code, "active": True, "createdAt": now_iso(), "updatedAt": None}
        store.put(SYSTEM, "country", record["id"], record, natural_key=iso_code)
    return record


def countries(iso_codes):
    """Return {ISO code: country record} for many codes with one query; missing ones are created."""
    ids = {country_id(iso_code): iso_code for iso_code in iso_codes}
    found = {ids[row.record_id]: row.data for row in store.rows(SYSTEM, "country").filter(record_id__in=list(ids))}
    for iso_code in sorted(set(ids.values()) - set(found)):
        found[iso_code] = country(iso_code)
    return found


def settings():
    """Return the shop's integration credentials, token lifetime and app registration."""
    data = store.get(SYSTEM, "_settings", "shop") or {}
    return {
        "accessKey": data.get("accessKey", DEFAULT_ACCESS_KEY),
        "secretAccessKey": data.get("secretAccessKey", DEFAULT_SECRET_ACCESS_KEY),
        "tokenLifetime": int(data.get("tokenLifetime", DEFAULT_TOKEN_LIFETIME)),
        "shopId": data.get("shopId", seed_id("shop", "sandbox")[:16]),
        "shopUrl": data.get("shopUrl", "http://127.0.0.1:8000/sandbox/shopware"),
        "shopSecret": data.get("shopSecret", DEFAULT_SHOP_SECRET),
        "appVersion": data.get("appVersion", "1.0.0"),
        # [{"name", "eventName", "url"}], as the app manifest declares them.
        "webhooks": data.get("webhooks", []),
    }


SETTING_NAMES = ("accessKey", "secretAccessKey", "tokenLifetime", "shopId", "shopUrl", "shopSecret", "appVersion", "webhooks")


def update_settings(values):
    """Change some shop settings; raise ValueError for an unknown or invalid one."""
    unknown = sorted(set(values) - set(SETTING_NAMES))
    if unknown:
        raise ValueError(f"Unknown shop settings {unknown}; use any of {list(SETTING_NAMES)}.")
    secret = values.get("shopSecret")
    if secret is not None and not 64 <= len(secret) <= 255:
        raise ValueError("shopSecret must be 64 to 255 characters long, as Shopware app registration requires.")
    for webhook in values.get("webhooks") or []:
        if not isinstance(webhook, dict) or not webhook.get("eventName") or not webhook.get("url"):
            raise ValueError("Each webhook needs an eventName and a url, as in an app manifest.")
    current = store.get(SYSTEM, "_settings", "shop") or {}
    current.update(values)
    store.put(SYSTEM, "_settings", "shop", current)
    return settings()
