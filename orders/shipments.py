"""Provider-neutral shipment reports: one carrier status for one parcel, from DHL, Sendcloud and others.

Connector mappers build these from tracking responses and webhooks; orders.services_shipments
applies them.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from integrations.errors import ConnectorError
from orders.models import ShipmentStatus
from orders.models.shipments import carrier_label
from orders.payments import OrderReference

# How far along its way a parcel is. A report of a lower rank than the shipment's current
# status is recorded but not applied. Within one rank the later report wins, because a parcel
# can go from a failed delivery attempt back out for delivery, or from an exception back in transit.
STATUS_RANK = {
    ShipmentStatus.PENDING: 0,
    ShipmentStatus.LABEL_CREATED: 1,
    ShipmentStatus.CANCELLED: 2,
    ShipmentStatus.HANDED_OVER: 3,
    ShipmentStatus.IN_TRANSIT: 4,
    ShipmentStatus.EXCEPTION: 4,
    ShipmentStatus.OUT_FOR_DELIVERY: 5,
    ShipmentStatus.DELIVERY_FAILED: 5,
    ShipmentStatus.DELIVERED: 6,
    ShipmentStatus.RETURNED: 7,
}

# From this rank on the parcel is with the carrier, so the buyer gets the tracking number.
SHIPPED_RANK = STATUS_RANK[ShipmentStatus.HANDED_OVER]


@dataclass
class ShipmentReport:
    """One carrier status of one parcel. `external_id` is the provider's parcel or shipment id."""

    carrier: str
    status: str
    occurred_at: datetime
    tracking_number: str = ""
    external_id: str = ""
    tracking_url: str = ""
    service: str = ""
    carrier_code: str = ""
    description: str = ""
    location: str = ""
    order: OrderReference = field(default_factory=OrderReference)


class UnmatchedShipmentEvent(ConnectorError):
    """The report names no shipment Kontor has and no order it could belong to.

    `reason` is a Translatable, so the stored sync error states it in each language.
    """

    code = "unmatched_shipment"
    message_template = _(
        "%(carrier)s parcel %(parcel)s (order reference %(order)s) was not applied: %(reason)s. "
        "Link the parcel to the right order under \"Unmatched provider events\" and reprocess it."
    )

    def __init__(self, report, reason, **kwargs):
        super().__init__(f"{report.carrier} parcel {report.tracking_number or report.external_id}: {self.code}", **kwargs)
        self.report = report
        self.reason = reason

    def message_params(self):
        # The messages name the carrier by its brand, such as "DHL". The exception's own text,
        # for developers, keeps the stored code.
        params = super().message_params()
        params.update(
            carrier=carrier_label(self.report.carrier),
            parcel=self.report.tracking_number or self.report.external_id,
            order=str(self.report.order),
            reason=self.reason,
        )
        return params
