"""The sandbox order stream: real invoices of the UCI Online Retail data set, replayed as orders.

Each invoice keeps its lines, quantities, country, customer and cancellations. Its stock codes
are mapped onto the SKUs of the catalog in Kontor (every Product row, sorted by SKU):
a stock code always maps to the same SKU while that set of SKUs stays the same, because the
index is taken from a SHA-256 of the stock code. Lines that are not products (postage,
discounts, bank charges) and lines with a quantity of zero or less are left out.

The stream position is kept per system in the record store, so a restarted stream continues
where it stopped. After the last invoice the stream starts over; order numbers come from the
simulated system, so a replayed invoice becomes a new order.

A simulated shop plugs in through `place` and `cancel` callables (see run_stream).
"""

import csv
import hashlib
import logging
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.db import transaction

from core.taskqueue import cluster_is_stopping, sleep_unless_cluster_stops
from integrations.sandbox import store

logger = logging.getLogger(__name__)

CSV_PATH = Path(settings.BASE_DIR) / "demo" / "orders" / "uci_online_retail" / "online_retail.csv"

# Real product stock codes are five digits with an optional letter suffix (85123A); the others
# are postage (POST), discounts (D), manual lines (M), bank charges and similar.
PRODUCT_CODE = re.compile(r"^\d{5}[A-Za-z]{0,3}$")

# Country names of the data set that are not ISO 3166 short names. "Unspecified" goes to the
# retailer's home country.
COUNTRY_CODES = {
    "United Kingdom": "GB", "EIRE": "IE", "Germany": "DE", "France": "FR", "Norway": "NO",
    "Australia": "AU", "Netherlands": "NL", "Italy": "IT", "Japan": "JP", "Spain": "ES",
    "Portugal": "PT", "Switzerland": "CH", "Lithuania": "LT", "Cyprus": "CY", "Belgium": "BE",
    "Denmark": "DK", "Channel Islands": "JE", "Singapore": "SG", "Malta": "MT", "Unspecified": "GB",
    "Sweden": "SE", "Finland": "FI", "Austria": "AT", "Poland": "PL", "Greece": "GR",
    "Iceland": "IS", "Israel": "IL", "USA": "US", "Canada": "CA", "Brazil": "BR", "RSA": "ZA",
    "Lebanon": "LB", "United Arab Emirates": "AE", "Saudi Arabia": "SA", "Bahrain": "BH",
    "Czech Republic": "CZ", "European Community": "BE", "Hong Kong": "HK",
}


@dataclass
class InvoiceLine:
    stock_code: str
    description: str
    quantity: int
    unit_price: Decimal


@dataclass
class Invoice:
    number: str
    placed_at: datetime
    customer_id: str  # empty for a guest order
    country: str
    lines: list = field(default_factory=list)

    @property
    def is_cancellation(self):
        return self.number.startswith("C")

    @property
    def is_guest(self):
        return not self.customer_id


@lru_cache(maxsize=2)
def read_invoices(path=CSV_PATH):
    """Return the invoices of the data set in file order, with all their raw lines."""
    invoices = {}
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            number = row["InvoiceNo"].strip()
            invoice = invoices.get(number)
            if invoice is None:
                # Empty for a guest order: the data set has no customer id for it.
                customer = row["CustomerID"].strip().removesuffix(".0")
                invoice = Invoice(
                    number=number,
                    placed_at=datetime.fromisoformat(row["InvoiceDate"]).replace(tzinfo=UTC),
                    customer_id=customer,
                    country=COUNTRY_CODES.get(row["Country"].strip(), "GB"),
                )
                invoices[number] = invoice
            invoice.lines.append(
                InvoiceLine(row["StockCode"].strip(), row["Description"].strip(), int(row["Quantity"]), Decimal(row["UnitPrice"]))
            )
    return tuple(invoices.values())


def sku_for(stock_code, skus):
    """Map a stock code onto one of `skus` (sorted), the same one every time."""
    digest = hashlib.sha256(stock_code.encode()).hexdigest()
    return skus[int(digest[:16], 16) % len(skus)]


def mapped_lines(invoice, skus):
    """Return {sku: (quantity, unit price of the data set)} for an invoice's product lines.

    Two stock codes that map to the same SKU add up into one line. For a cancellation the
    quantities are made positive, because they give how much was taken back.
    """
    lines = {}
    for line in invoice.lines:
        if not PRODUCT_CODE.match(line.stock_code):
            continue
        quantity = -line.quantity if invoice.is_cancellation else line.quantity
        if quantity <= 0:
            continue
        sku = sku_for(line.stock_code, skus)
        known_quantity, price = lines.get(sku, (0, line.unit_price))
        lines[sku] = (known_quantity + quantity, price)
    return lines


def catalog_skus():
    """Return the SKUs of Kontor's catalog that orders may contain, sorted."""
    from catalog.models import Product

    return list(Product.objects.filter(enabled=True, is_deleted=False).order_by("sku").values_list("sku", flat=True))


def claim_invoices(system, count):
    """Reserve the next `count` invoices of the stream for this caller; safe across processes."""
    invoices = read_invoices()
    with transaction.atomic():
        row = store.get_row(system, "_stream", "position", lock=True)
        if row is None:
            store.put(system, "_stream", "position", {"index": 0, "placed": 0, "cancelled": 0, "skipped": 0})
            row = store.get_row(system, "_stream", "position", lock=True)
        start = int(row.data["index"])
        row.data = {**row.data, "index": start + count}
        row.save(update_fields=["data"])
    return [invoices[(start + offset) % len(invoices)] for offset in range(count)]


def count_outcomes(system, outcomes):
    """Add outcome counts ({"placed": 2, ...}) to the stream's position record."""
    with transaction.atomic():
        row = store.get_row(system, "_stream", "position", lock=True)
        if row is None:
            return
        data = dict(row.data)
        for name, value in outcomes.items():
            data[name] = int(data.get(name, 0)) + value
        row.data = data
        row.save(update_fields=["data"])


def stream_status(system):
    return store.get(system, "_stream", "position") or {"index": 0, "placed": 0, "cancelled": 0, "skipped": 0}


def place_batch(system, count, *, place, cancel, skus=None, place_many=None):
    """Replay the next `count` invoices; return the outcome counts.

    `place(invoice, lines)` places an order for {sku: (quantity, price)} and returns True, or
    False when it skipped the invoice (for example, no stock). `cancel(invoice, lines)` cancels
    an earlier order of the same customer and returns True, or False when there is none open.
    `place_many([(invoice, lines), ...])`, when given, places consecutive orders together and
    returns one such bool per invoice. A cancellation is applied after the orders before it.
    The stream position is locked twice per call, not per invoice.
    """
    skus = skus if skus is not None else catalog_skus()
    outcomes = {"placed": 0, "cancelled": 0, "skipped": 0}
    if not skus:
        logger.warning("sandbox order stream has no catalog SKUs", extra={"system": system})
        outcomes["skipped"] = count
        return outcomes

    place_many = place_many or (lambda placements: [place(invoice, lines) for invoice, lines in placements])
    pending = []

    def place_pending():
        for was_placed in place_many(pending) if pending else []:
            outcomes["placed" if was_placed else "skipped"] += 1
        pending.clear()

    for invoice in claim_invoices(system, count):
        lines = mapped_lines(invoice, skus)
        if not lines:
            outcomes["skipped"] += 1
        elif invoice.is_cancellation:
            # The customer's order may be one of the pending ones.
            place_pending()
            outcomes["cancelled" if cancel(invoice, lines) else "skipped"] += 1
        else:
            pending.append((invoice, lines))
    place_pending()
    count_outcomes(system, outcomes)
    return outcomes


def run_stream(system, *, place, cancel, rate, count=None, progress=None, sleep=sleep_unless_cluster_stops):
    """Replay invoices at `rate` per second until `count` are done (None: until stopped).

    `progress(outcomes)` is called after each invoice with the running totals. In a lane worker
    (the demo's stream runs on the master lane) it also returns when the cluster begins to stop,
    so Ctrl-C on `make run` does not wait for the worker to be killed.
    """
    if rate <= 0:
        raise ValueError(f"rate must be above 0 invoices per second, got {rate}")
    interval = 1 / rate
    totals = {"placed": 0, "cancelled": 0, "skipped": 0}
    logger.info("sandbox order stream started", extra={"system": system, "rate": rate, "count": count})
    started = time.monotonic()
    done = 0
    try:
        while (count is None or done < count) and not cluster_is_stopping():
            skus = catalog_skus()
            for name, value in place_batch(system, 1, place=place, cancel=cancel, skus=skus).items():
                totals[name] += value
            done += 1
            if progress is not None:
                progress(totals)
            # Keep to the rate over the whole run, so a slow order is made up by the next ones.
            delay = started + done * interval - time.monotonic()
            if delay > 0:
                sleep(delay)
    finally:
        logger.info("sandbox order stream stopped", extra={"system": system, **totals})
    return totals
