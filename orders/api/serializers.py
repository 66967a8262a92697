"""Order payloads of the API: what a front end sends to place an order and what it reads back."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apiclients.fields import CountryCodeField as CountryField
from apiclients.fields import UtcDateTimeField
from core.money import to_currency_places
from orders.models import Order, OrderAddress, OrderLine, Payment, Shipment

MONEY = {"max_digits": 19, "decimal_places": 4, "min_value": 0}
QUANTITY = {"max_digits": 14, "decimal_places": 3}
MAX_LINES = 500
# How far placed_at may lie ahead of Kontor's clock, for a front end whose clock runs fast.
PLACED_AT_MAX_SKEW_MINUTES = 5
PLACED_AT_MAX_SKEW = timedelta(minutes=PLACED_AT_MAX_SKEW_MINUTES)


class PlacedAtField(UtcDateTimeField):
    """The time an order was placed: ISO 8601 with an offset, and not in the future.

    Without an offset DRF would read the time as UTC, which is wrong for any front end in another
    zone. A future time would put the order at the top of every list sorted by placed_at.
    """

    default_error_messages = {
        "missing_offset": _(
            "placed_at {value} has no time zone offset. Send an ISO 8601 time with an offset, such as "
            "2026-12-05T10:00:00Z or 2026-12-05T11:00:00+01:00."
        ),
        "in_future": _(
            "placed_at {value} is in the future. Send the time the order was placed, at most {minutes} minutes "
            "after Kontor's clock (now {now}), or leave placed_at out for now."
        ),
    }

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None and parsed.tzinfo is None:
                self.fail("missing_offset", value=value)

        converted = super().to_internal_value(value)

        now = timezone.now()
        if converted > now + PLACED_AT_MAX_SKEW:
            self.fail("in_future", value=value, minutes=PLACED_AT_MAX_SKEW_MINUTES, now=now.replace(microsecond=0).isoformat())
        return converted


class AddressInputSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    company = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    street = serializers.CharField(max_length=255)
    street2 = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=100)
    region = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    country = CountryField(help_text="ISO 3166-1 alpha-2 code, such as DE.")
    phone = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")


class BillingAddressInputSerializer(AddressInputSerializer):
    """The buyer's billing address, which must name the buyer.

    The ERP creates its customer from it, and integrations.odoo.mappers.partner_values names that
    customer after the first and last name, else the company, else the email, which an order may lack.
    """

    def validate(self, attrs):
        if not any(attrs.get(name, "").strip() for name in ("first_name", "last_name", "company")):
            raise serializers.ValidationError(
                {
                    "last_name": serializers.ErrorDetail(
                        _(
                            "The billing address names no one. Send first_name and last_name, or company: the ERP "
                            "names the customer after them."
                        ),
                        code="missing_name",
                    )
                }
            )
        return attrs


class QuantityField(serializers.DecimalField):
    """A line quantity: greater than 0, with up to three decimal places for goods sold by weight or length."""

    default_error_messages = {
        "not_positive": _("quantity {value} is not greater than 0. Send the quantity ordered, such as 1, or 0.5 for half a unit."),
    }

    def __init__(self, **kwargs):
        super().__init__(**QUANTITY, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value <= 0:
            self.fail("not_positive", value=data)
        return value


class LineInputSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=100)
    name = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    quantity = QuantityField(help_text="Greater than 0, with up to three decimal places.")
    unit_price = serializers.DecimalField(**MONEY)
    tax_rate = serializers.DecimalField(
        max_digits=6,
        decimal_places=3,
        min_value=0,
        max_value=100,
        required=False,
        help_text="Tax rate in percent, such as 19. Required unless total_tax is 0, where it defaults to 0.",
    )
    total_net = serializers.DecimalField(**MONEY)
    total_tax = serializers.DecimalField(**MONEY)
    total_gross = serializers.DecimalField(**MONEY)
    discount = serializers.DecimalField(default=0, **MONEY)


class OrderInputSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=100, help_text="The front end's order number, unique per channel.")
    currency = serializers.CharField(max_length=3, min_length=3)
    email = serializers.EmailField(required=False, allow_blank=True, default="", help_text="Ignored for a client bound to a customer.")
    placed_at = PlacedAtField(
        required=False,
        help_text="When the order was placed: an ISO 8601 time with an offset, such as 2026-12-05T10:00:00+01:00, "
        f"at most {PLACED_AT_MAX_SKEW_MINUTES} minutes after the server's clock. Defaults to now.",
    )
    prices_include_tax = serializers.BooleanField(default=True)
    lines = LineInputSerializer(many=True, allow_empty=False, max_length=MAX_LINES)
    shipping_net = serializers.DecimalField(default=0, **MONEY)
    shipping_tax = serializers.DecimalField(default=0, **MONEY)
    shipping_gross = serializers.DecimalField(default=0, **MONEY)
    total_net = serializers.DecimalField(**MONEY)
    total_tax = serializers.DecimalField(**MONEY)
    total_gross = serializers.DecimalField(**MONEY)
    billing_address = BillingAddressInputSerializer(
        error_messages={
            "required": _(
                "billing_address is missing. Send the buyer's billing address with a name: the ERP creates its "
                "customer from it."
            )
        },
        help_text="The buyer's name and address, from which the ERP creates its customer.",
    )
    shipping_address = AddressInputSerializer(required=False)
    customer_note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def validate_lines(self, lines):
        """Reject a line with tax but no tax_rate, and give a line without either a rate of 0.

        Otherwise a missing rate would count as 0 %, and the order would fail with a tax mismatch
        that does not say the rate is missing. Checked here, where the sent total_tax is known.
        """
        sent_lines = self.initial_data.get("lines") if isinstance(self.initial_data, dict) else None
        errors = [{} for _line in lines]
        for index, line in enumerate(lines):
            if "tax_rate" in line:
                continue
            if line["total_tax"] == 0:
                line["tax_rate"] = Decimal(0)
                continue
            sent_tax = sent_lines[index].get("total_tax") if isinstance(sent_lines, list) else line["total_tax"]
            errors[index]["tax_rate"] = [
                serializers.ErrorDetail(
                    _(
                        "tax_rate is missing, but the line has tax %(tax)s. Send the line's tax rate in percent, "
                        "such as 19. Only a line without tax may leave it out."
                    )
                    % {"tax": sent_tax},
                    code="required",
                )
            ]
        if any(errors):
            raise serializers.ValidationError(errors)
        return lines


class CurrencyPlacesMixin:
    """Write the money fields of a record with its currency's decimal places ("238.00" EUR), not the column's four."""

    money_fields = ()

    def currency_of(self, instance):
        return instance.currency

    def to_representation(self, instance):
        data = super().to_representation(instance)
        currency = self.currency_of(instance)
        for name in self.money_fields:
            if data.get(name) is not None:
                data[name] = str(to_currency_places(getattr(instance, name), currency))
        return data


class OrderLineSerializer(CurrencyPlacesMixin, serializers.ModelSerializer):
    money_fields = ("unit_price", "total_net", "total_tax", "total_gross", "discount")

    class Meta:
        model = OrderLine
        fields = ["position", "sku", "name", "quantity", "unit_price", "tax_rate", "total_net", "total_tax", "total_gross", "discount"]

    def currency_of(self, line):
        # The order's prefetch of its lines sets line.order, so this costs no query.
        return line.order.currency


class OrderAddressSerializer(serializers.ModelSerializer):
    country = CountryField()

    class Meta:
        model = OrderAddress
        fields = ["kind", "first_name", "last_name", "company", "street", "street2", "postal_code", "city", "region", "country", "phone"]


class PaymentSerializer(CurrencyPlacesMixin, serializers.ModelSerializer):
    money_fields = ("amount", "captured_amount", "refunded_amount")

    class Meta:
        model = Payment
        fields = ["provider", "method", "status", "currency", "amount", "captured_amount", "refunded_amount", "status_changed_at"]


class ShipmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Shipment
        fields = ["carrier", "service", "tracking_number", "tracking_url", "status", "shipped_at", "delivered_at"]


class OrderSerializer(CurrencyPlacesMixin, serializers.ModelSerializer):
    money_fields = ("shipping_net", "shipping_tax", "shipping_gross", "total_net", "total_tax", "total_gross")

    number = serializers.CharField(source="external_number")
    channel = serializers.CharField(source="channel.code")
    lines = OrderLineSerializer(many=True)
    addresses = OrderAddressSerializer(many=True)
    payments = PaymentSerializer(many=True)
    shipments = ShipmentSerializer(many=True)

    class Meta:
        model = Order
        fields = [
            "id", "number", "channel", "email", "currency", "status", "payment_state", "placed_at",
            "prices_include_tax", "shipping_net", "shipping_tax", "shipping_gross",
            "total_net", "total_tax", "total_gross", "customer_note",
            "lines", "addresses", "payments", "shipments", "updated_at",
        ]
