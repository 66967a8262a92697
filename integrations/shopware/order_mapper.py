"""Shopware 6 order (JSON, with lineItems, deliveries and currency) to canonical OrderInput.

The order is read through `ShopwareOrder`, which checks every field it uses and names the
missing or invalid one, so a malformed order fails as one clear error instead of deep in the
code. Amounts arrive as JSON numbers and are converted to Decimal through their text form,
so 11.9 becomes Decimal("11.9") exactly, then rounded to the currency.

Amounts that the order tables cannot store (not finite, too many digits before or after the
decimal point, negative) are rejected here with the Shopware field and value, before any
arithmetic or database write could fail on them without naming either.

Rounding: Shopware computes the tax of each line item and rounds it per item (itemRounding),
then adds the rounded items up. Kontor keeps the shop's own totals and checks them with the
per-line rule (orders.models.RoundingRule.PER_LINE).

The orderCustomer becomes the order's buyer, which the order service links to a canonical
customer (customers.services.customers_for). Its email and VAT id are checked there, so an
invalid one flags the order instead of rejecting it.
"""

from datetime import UTC
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from core.translation import JoinedText, Translatable
from customers.services import BuyerInput
from integrations.itemerrors import ItemError
from orders.models import Order, OrderLine, RoundingRule, TaxLine
from orders.services import AddressInput, LineInput, OrderInput, TaxLineInput


class OrderRejected(ItemError):
    """A Shopware order that Kontor did not import.

    Params: number, problems (in the merchant's terms) and optionally fields, the Shopware
    field paths concerned, which the message names last for an integration engineer.
    """

    code = "order_invalid"
    # True when the order came without an association that a read from the shop may supply.
    missing_part = False
    message_template = _(
        "Shopware order %(number)s was not imported: %(problems)s. Nothing of it was saved. "
        "Fix the cause (catalog, channel currencies or the order in Shopware), then retry."
    )
    fields_message_template = _(
        "Shopware order %(number)s was not imported: %(problems)s. Nothing of it was saved. "
        "Fix the cause (catalog, channel currencies or the order in Shopware), then retry. "
        "Shopware fields concerned: %(fields)s."
    )

    @property
    def support_message(self):
        template = self.fields_message_template if self.params.get("fields") else self.message_template
        return str(template) % self.params


def _without_final_period(text):
    """Return `text` without one final period, because OrderRejected's message adds its own."""
    return text[:-1] if text.endswith(".") and not text.endswith("..") else text


class ValidationProblems:
    """The problems of a ValidationError, as "field: message" parts joined by "; ".

    The messages are rendered when this is, so OrderRejected's message reads in the language
    it is rendered in. The order services raise their messages as Translatables for that.
    """

    def __init__(self, error):
        self.error = error

    def __str__(self):
        if hasattr(self.error, "error_dict"):
            parts = [f"{field}: {' '.join(messages)}" for field, messages in self.error.message_dict.items()]
        else:
            parts = self.error.messages
        return "; ".join(_without_final_period(part) for part in parts)

    def __repr__(self):
        return f"ValidationProblems({self.error!r})"


def reject(order_number, error):
    """Return the OrderRejected error for a ValidationError, an OrderProblems or a plain message."""
    if isinstance(error, ValidationError):
        problems = ValidationProblems(error)
    elif isinstance(error, OrderProblems):
        return OrderRejected(number=order_number or "?", problems=JoinedText(error.problems, "; "), fields=", ".join(error.fields))
    else:
        problems = _without_final_period(str(error))
    return OrderRejected(number=order_number or "?", problems=problems)


# Problems of one amount, listed inside OrderRejected's message, which adds the final period.
# `amount` is one of the amount labels below.
NOT_FINITE = _("%(amount)s is %(value)s, which is not a finite number. Correct the value in the Shopware order")
TOO_MANY_WHOLE_DIGITS = _(
    "%(amount)s is %(value)s, which has %(digits)d digits before the decimal point, but Kontor stores at most "
    "%(limit)d. Correct the amount in the Shopware order"
)
TOO_MANY_DECIMAL_PLACES = _(
    "%(amount)s is %(value)s, which has %(places)d decimal places, but Kontor stores at most %(limit)d. "
    "Round the amount in the Shopware order"
)
NEGATIVE = _("%(amount)s is %(value)s, but it must not be negative. Correct the amount in the Shopware order")
MISSING_NUMBER = _("%(amount)s is missing or not a number. Correct the value in the Shopware order")
NOT_A_NUMBER = _("%(amount)s is not a number: %(value)s. Correct the value in the Shopware order")

# The amounts of an order in the merchant's terms. Lines are numbered from 1, sorted by their
# Shopware position.
LINE_TOTAL = _("the total of line %(line)d")
LINE_TAX = _("the tax of line %(line)d")
LINE_QUANTITY = _("the quantity of line %(line)d")
LINE_UNIT_PRICE = _("the unit price of line %(line)d")
LINE_TAX_RATE = _("the tax rate of line %(line)d")
SHIPPING_TOTAL = _("the total of the shipping costs")
SHIPPING_TAX = _("the tax on the shipping costs")
ORDER_GROSS = _("the gross order total")
ORDER_NET = _("the net order total")
BREAKDOWN_TAX = _("a tax amount in the order's tax breakdown")
BREAKDOWN_PRICE = _("an amount in the order's tax breakdown")
BREAKDOWN_RATE = _("a tax rate in the order's tax breakdown")

# Problems of the order's structure, also listed inside OrderRejected's message. The order
# webhooks of the Kontor app carry the whole order, so a missing part points to how the app was
# set up in Shopware rather than to the order's data.
# A webhook order without one of these parts is read again from the shop with every association
# (inbound.process_order), so these reach the merchant only when the shop's copy lacks them too.
MISSING_ORDER_NUMBER = _("Shopware sent the order without an order number. Check the order in the Shopware admin")
MISSING_CURRENCY = _(
    "Shopware sent the order without its currency, so Kontor cannot check its prices. Ask the person who set up "
    "the Kontor app in Shopware to send orders with their currency"
)
INVALID_ORDER_TIME = _("the order date %(value)s is not a date and time. Check the order date in the Shopware order")
MISSING_LINE_ITEMS = _(
    "Shopware sent the order without its lines. Ask the person who set up the Kontor app in Shopware to send "
    "orders with their lines"
)
NOT_A_PRODUCT_LINE = _(
    "line %(line)d has the type %(type)s, but Kontor imports only orders whose lines are all products. "
    "Process this order outside Kontor"
)
MISSING_PRODUCT_NUMBER = _(
    "line %(line)d has no product number. Check that the line's product has a product number in Shopware"
)
MISSING_TAXES = _("Shopware sent line %(line)d without its taxes. Check the taxes of the line in the Shopware order")


class OrderProblems(ValueError):
    """Problems of one Shopware order, each a Translatable in the merchant's terms.

    `fields` lists the Shopware field paths concerned (such as lineItems[0].unitPrice), once
    each, for the integration engineer.
    """

    def __init__(self, problems, fields=()):
        self.problems = list(problems)
        self.fields = list(dict.fromkeys(fields))
        super().__init__("; ".join(str(problem) for problem in self.problems) + f" (fields: {', '.join(self.fields)})")


def _column(model, name):
    """Return the model field that an amount is stored in, whose limits the checks read."""
    return model._meta.get_field(name)


def _whole_digits(value):
    return max(value.adjusted() + 1, 0)


def _decimal_places(value):
    """Return the decimal places of a finite Decimal, without trailing zeros (11.90 has 1)."""
    if value.is_zero():
        return 0
    _sign, digits, exponent = value.as_tuple()
    while exponent < 0 and digits[-1] == 0:
        digits = digits[:-1]
        exponent += 1
    return max(-exponent, 0)


class _Problems:
    """The problems found so far in one order, with the Shopware field of each."""

    def __init__(self):
        self.messages = []
        self.fields = []

    def add(self, template, field, **params):
        self.messages.append(Translatable(template, **params))
        self.fields.append(field)

    def __bool__(self):
        return bool(self.messages)


def _storable_amount(value, field, label, column, problems):
    """Return `value` if `column` can store it, else record why in `problems` and return 0.

    `field` is the amount's Shopware field path, `label` its Translatable name for the message.
    A rejected amount is replaced by zero, so the arithmetic after the check cannot raise on it.
    The order is then rejected with every problem before anything is stored.
    """
    params = {"amount": label, "value": value}
    whole_limit = column.max_digits - column.decimal_places
    if not value.is_finite():
        problems.add(NOT_FINITE, field, **params)
    elif value < 0:
        problems.add(NEGATIVE, field, **params)
    elif _whole_digits(value) > whole_limit:
        problems.add(TOO_MANY_WHOLE_DIGITS, field, digits=_whole_digits(value), limit=whole_limit, **params)
    elif _decimal_places(value) > column.decimal_places:
        problems.add(TOO_MANY_DECIMAL_PLACES, field, places=_decimal_places(value), limit=column.decimal_places, **params)
    else:
        return value
    return Decimal(0)


class MissingPart(OrderProblems):
    """An association that the order came without, which a read from the shop's API may supply."""


def _invalid(template, field, **params):
    """Return the OrderProblems of one problem, for a check that cannot go on past it."""
    return OrderProblems([Translatable(template, **params)], [field])


def _missing(template, field):
    """Return the MissingPart of an association the order came without."""
    return MissingPart([Translatable(template)], [field])


def _checked_quantity(value, field, label, problems):
    """Return a finite quantity, else record the problem and return 0.

    The quantity's own limits (greater than zero, whole digits) are checked by the order service,
    which rounds extra decimal places instead of rejecting them.
    """
    if value.is_finite():
        return value
    problems.add(NOT_FINITE, field, amount=label, value=value)
    return Decimal(0)


def _decimal(value, field, label):
    if isinstance(value, bool) or value is None:
        raise _invalid(MISSING_NUMBER, field, amount=label)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise _invalid(NOT_A_NUMBER, field, amount=label, value=repr(value)) from None


def _tax_of(price, field, line):
    taxes = price.get("calculatedTaxes") if isinstance(price, dict) else None
    if not isinstance(taxes, list):
        raise _invalid(MISSING_TAXES, f"{field}.calculatedTaxes", line=line)
    return taxes


def _address(data):
    if not isinstance(data, dict):
        return None
    country = (data.get("country") or {}).get("iso")
    if not data.get("street") or not data.get("city") or not country:
        return None
    return AddressInput(
        street=data["street"],
        city=data["city"],
        country=country,
        postal_code=data.get("zipcode") or "",
        first_name=data.get("firstName") or "",
        last_name=data.get("lastName") or "",
        company=data.get("company") or "",
        street2=data.get("additionalAddressLine1") or "",
        phone=data.get("phoneNumber") or "",
    )


def _buyer(customer):
    """Return the BuyerInput of an order's orderCustomer, or None when the order has none.

    Shopware 6 keeps a guest as a customer entity with `guest` true (IsGuestCustomerRule in
    shopware/shopware reads the same flag), so a guest order also has a customerId. The flag
    arrives with the orderCustomer.customer association. Without it, an order without a
    customerId (its customer was deleted, or never existed) counts as a guest order.

    NOTE: whether checkout.order.placed webhooks carry orderCustomer.customer is unverified.
    A guest order without it is linked like a registered customer's.
    """
    if not isinstance(customer, dict):
        return None
    account = customer.get("customer")
    if isinstance(account, dict) and isinstance(account.get("guest"), bool):
        is_guest = account["guest"]
    else:
        is_guest = not customer.get("customerId")
    vat_ids = customer.get("vatIds") if isinstance(customer.get("vatIds"), list) else []
    return BuyerInput(
        email=str(customer.get("email") or ""),
        is_guest=is_guest,
        first_name=str(customer.get("firstName") or ""),
        last_name=str(customer.get("lastName") or ""),
        company=str(customer.get("company") or ""),
        # NOTE: a customer may have several VAT ids; the first one is taken.
        vat_number=next((str(value).strip() for value in vat_ids if str(value or "").strip()), ""),
        external_id=str(customer.get("customerId") or ""),
    )


def order_number_of(order):
    return str(order.get("orderNumber") or order.get("id") or "?") if isinstance(order, dict) else "?"


def order_input(order, *, channel, connection):
    """Return the OrderInput of a Shopware order; raise OrderRejected naming what is wrong."""
    number = order_number_of(order)
    try:
        return _order_input(order, channel=channel, connection=connection)
    except ValueError as error:
        # OrderProblems keeps Translatables, so the sync error names the problems in each language.
        rejected = reject(number, error)
        rejected.missing_part = isinstance(error, MissingPart)
        raise rejected from None


def _order_input(order, *, channel, connection):
    if not isinstance(order, dict) or not order.get("orderNumber"):
        raise _invalid(MISSING_ORDER_NUMBER, "orderNumber")
    currency = (order.get("currency") or {}).get("isoCode")
    if not currency:
        raise _missing(MISSING_CURRENCY, "currency.isoCode")
    placed_at = parse_datetime(str(order.get("orderDateTime") or ""))
    if placed_at is None:
        raise _invalid(INVALID_ORDER_TIME, "orderDateTime", value=repr(order.get("orderDateTime")))
    if placed_at.tzinfo is None:
        placed_at = placed_at.replace(tzinfo=UTC)
    gross_prices = order.get("taxStatus", "gross") == "gross"

    line_items = order.get("lineItems")
    if not isinstance(line_items, list):
        raise _missing(MISSING_LINE_ITEMS, "lineItems")
    problems = _Problems()

    def amount(value, field, label, model, column_name):
        return _storable_amount(_decimal(value, field, label), field, label, _column(model, column_name), problems)

    lines = []
    for index, item in enumerate(sorted(line_items, key=lambda item: item.get("position") or 0)):
        field = f"lineItems[{index}]"
        number = index + 1

        if item.get("type") != "product":
            raise _invalid(NOT_A_PRODUCT_LINE, f"{field}.type", line=number, type=repr(item.get("type")))
        sku = (item.get("payload") or {}).get("productNumber")
        if not sku:
            raise _invalid(MISSING_PRODUCT_NUMBER, f"{field}.payload.productNumber", line=number)
        total = amount(item.get("totalPrice"), f"{field}.totalPrice", Translatable(LINE_TOTAL, line=number), OrderLine, "total_gross")
        taxes = _tax_of(item.get("price"), f"{field}.price", number)
        tax = sum(
            (amount(entry.get("tax"), f"{field}.tax", Translatable(LINE_TAX, line=number), OrderLine, "total_tax") for entry in taxes),
            Decimal(0),
        )
        net, gross = (total - tax, total) if gross_prices else (total, total + tax)
        quantity_label = Translatable(LINE_QUANTITY, line=number)
        quantity = _checked_quantity(
            _decimal(item.get("quantity"), f"{field}.quantity", quantity_label), f"{field}.quantity", quantity_label, problems
        )
        unit_price = amount(item.get("unitPrice"), f"{field}.unitPrice", Translatable(LINE_UNIT_PRICE, line=number), OrderLine, "unit_price")
        tax_rate = Decimal(0)
        if taxes:
            tax_rate = amount(taxes[0].get("taxRate"), f"{field}.taxRate", Translatable(LINE_TAX_RATE, line=number), OrderLine, "tax_rate")
        lines.append(LineInput(
            sku=sku,
            quantity=quantity,
            unit_price=unit_price,
            total_net=net,
            total_tax=tax,
            total_gross=gross,
            tax_rate=tax_rate,
            name=str(item.get("label") or ""),
            external_id=str(item.get("id") or ""),
        ))

    shipping = order.get("shippingCosts") or {}
    shipping_total = amount(shipping.get("totalPrice", 0), "shippingCosts.totalPrice", SHIPPING_TOTAL, Order, "shipping_gross")
    shipping_tax = sum(
        (
            amount(entry.get("tax"), "shippingCosts.tax", SHIPPING_TAX, Order, "shipping_tax")
            for entry in shipping.get("calculatedTaxes") or []
        ),
        Decimal(0),
    )
    shipping_net, shipping_gross = (shipping_total - shipping_tax, shipping_total) if gross_prices else (shipping_total, shipping_total + shipping_tax)

    total_gross = amount(order.get("amountTotal"), "amountTotal", ORDER_GROSS, Order, "total_gross")
    total_net = amount(order.get("amountNet"), "amountNet", ORDER_NET, Order, "total_net")
    tax_lines = []
    for entry in (order.get("price") or {}).get("calculatedTaxes") or []:
        tax = amount(entry.get("tax"), "price.calculatedTaxes.tax", BREAKDOWN_TAX, TaxLine, "tax")
        price = amount(entry.get("price"), "price.calculatedTaxes.price", BREAKDOWN_PRICE, TaxLine, "net")
        tax_lines.append(TaxLineInput(
            rate=amount(entry.get("taxRate"), "price.calculatedTaxes.taxRate", BREAKDOWN_RATE, TaxLine, "rate"),
            net=price - tax if gross_prices else price,
            tax=tax,
        ))
    if problems:
        raise OrderProblems(problems.messages, problems.fields)

    deliveries = order.get("deliveries") or []
    customer = order.get("orderCustomer") or {}
    return OrderInput(
        channel=channel,
        external_number=str(order["orderNumber"]),
        currency=currency,
        placed_at=placed_at.astimezone(UTC),
        lines=lines,
        total_net=total_net,
        # Shopware sends no total tax, so the messages about it show the subtraction.
        total_tax=total_gross - total_net,
        total_tax_derived=True,
        total_gross=total_gross,
        shipping_net=shipping_net,
        shipping_tax=shipping_tax,
        shipping_gross=shipping_gross,
        prices_include_tax=gross_prices,
        rounding_rule=RoundingRule.PER_LINE,
        email=str(customer.get("email") or ""),
        buyer=_buyer(order.get("orderCustomer")),
        connection=connection,
        billing_address=_address(order.get("billingAddress")),
        shipping_address=_address(deliveries[0].get("shippingOrderAddress")) if deliveries else None,
        tax_lines=tax_lines,
        customer_note=str(order.get("customerComment") or ""),
    )
