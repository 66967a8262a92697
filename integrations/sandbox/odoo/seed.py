"""Base data and settings of the simulated Odoo: what a fresh Odoo database with Sales,
Inventory and Invoicing has, plus the integration user's API key that Kontor's demo uses.
"""

import re

from django.db import transaction
from django_countries import countries

from integrations.sandbox import store
from integrations.sandbox.odoo import business, records
from integrations.sandbox.odoo.records import SYSTEM

DEFAULT_VERSION = "19.0"
DEFAULT_DATABASE = "kontor"
DEFAULT_LOGIN = "kontor-integration"
DEFAULT_API_KEY = "kontor-sandbox-odoo-api-key-not-for-production"
DEFAULT_WAREHOUSE = "WH"

CURRENCIES = ("EUR", "GBP", "USD", "CHF")
# Sales tax rates seeded both with the price excluding and including tax.
TAX_RATES = (0, 5, 7, 10, 19, 20, 21)


def major_version(version):
    match = re.search(r"(\d+)", str(version))
    return int(match.group(1)) if match else 0


def _config():
    return store.get(SYSTEM, "_config", "settings")


def ensure_seeded():
    """Create the base records once and return the settings (version, database, login, key, uid)."""
    config = _config()
    if config is not None:
        return config
    with transaction.atomic():
        # Lock on the settings counter so two first requests do not seed twice.
        store.next_number(SYSTEM, "seed", start=0)
        config = _config()
        if config is not None:
            return config
        _seed()
        config = {
            "version": DEFAULT_VERSION, "database": DEFAULT_DATABASE, "login": DEFAULT_LOGIN,
            "api_key": DEFAULT_API_KEY, "uid": 2,
        }
        store.put(SYSTEM, "_config", "settings", config)
    return config


def _seed():
    currency_ids = {}
    for code in CURRENCIES:
        currency_ids[code] = records.create("res.currency", {"name": code, "rounding": 0.01, "active": True})["id"]
    records.create("res.company", {"name": "Kontor Sandbox GmbH", "currency_id": currency_ids["EUR"], "tax_calculation_rounding_method": "round_per_line"})
    records.create("res.users", {"name": "Kontor integration", "login": DEFAULT_LOGIN})
    for code, name in countries:
        records.create("res.country", {"code": code, "name": str(name)})
    for code in CURRENCIES:
        records.create("product.pricelist", {"name": f"Public pricelist ({code})", "currency_id": currency_ids[code]})
    for rate in TAX_RATES:
        for included in (False, True):
            label = "incl." if included else "excl."
            records.create("account.tax", {
                "name": f"{rate}% {label}", "amount": float(rate), "amount_type": "percent",
                "type_tax_use": "sale", "price_include": included,
            })
    add_warehouse(DEFAULT_WAREHOUSE, "Main warehouse")


def add_warehouse(code, name=""):
    """Create a warehouse with its stock location; return the warehouse."""
    existing = records.search("stock.warehouse", [["code", "=", code]], limit=1)
    if existing:
        return existing[0]
    warehouse = records.create("stock.warehouse", {"code": code, "name": name or code, "lot_stock_id": False})
    location = records.create("stock.location", {"name": f"{code}/Stock", "usage": "internal", "warehouse_id": warehouse["id"]})
    return records.write("stock.warehouse", warehouse["id"], {"lot_stock_id": location["id"]})


def configure(*, version=None, api_key=None, login=None, database=None, tax_rounding=None):
    """Change the simulated server's version, credentials or tax rounding; return the settings."""
    config = ensure_seeded()
    for key, value in (("version", version), ("api_key", api_key), ("login", login), ("database", database)):
        if value is not None:
            config[key] = str(value)
    store.put(SYSTEM, "_config", "settings", config)
    if tax_rounding is not None:
        if tax_rounding not in ("round_per_line", "round_globally"):
            raise ValueError(f"tax_rounding must be round_per_line or round_globally, not {tax_rounding!r}")
        records.write("res.company", 1, {"tax_calculation_rounding_method": tax_rounding})
    return config


def product_by_sku(sku):
    row = store.find_by_natural_key(SYSTEM, "product.product", sku)
    return None if row is None else row.data


def add_product(sku, name, *, quantity=0, warehouse=DEFAULT_WAREHOUSE, product_type="consu"):
    """Create a storable product with a quantity in a warehouse (if not there yet); return it."""
    ensure_seeded()
    product = product_by_sku(sku)
    if product is None:
        product = records.create("product.product", {"default_code": sku, "name": name or sku, "type": product_type, "sale_ok": True})
        if quantity:
            set_stock(sku, quantity, warehouse)
    return product


def set_stock(sku, quantity, warehouse=DEFAULT_WAREHOUSE):
    """Set a product's quantity in a warehouse's stock location, as an inventory count does."""
    product = product_by_sku(sku)
    if product is None:
        raise ValueError(f"no product with internal reference {sku!r}")
    found = records.search("stock.warehouse", [["code", "=", warehouse]], limit=1)
    if not found:
        raise ValueError(f"no warehouse with code {warehouse!r}")
    return business.set_on_hand(product["id"], found[0]["lot_stock_id"], quantity)


def sale_order_by_ref(reference):
    """Return the active sale order with this client reference (the shop's order number) or id."""
    if isinstance(reference, int):
        return records.get("sale.order", reference)
    found = records.search("sale.order", [["client_order_ref", "=", str(reference)], ["state", "!=", "cancel"]], limit=1, order="id asc")
    if not found:
        found = records.search("sale.order", [["client_order_ref", "=", str(reference)]], limit=1, order="id asc")
    if not found:
        raise ValueError(f"no sale order with client reference {reference!r}")
    return found[0]
