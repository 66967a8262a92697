"""The canonical order: what every shop, marketplace, ERP and provider maps orders to and from."""

from orders.models.documents import Document, DocumentKind
from orders.models.orders import (
    AddressKind,
    Order,
    OrderAddress,
    OrderLine,
    PaymentState,
    RoundingRule,
    TaxLine,
)
from orders.models.payments import Payment, PaymentStatus, Refund, RefundStatus
from orders.models.returns import Return, ReturnLine, ReturnStatus
from orders.models.shipments import Shipment, ShipmentEvent, ShipmentLine, ShipmentStatus
from orders.models.status import OrderStatus, OrderStatusChange

__all__ = [
    "AddressKind",
    "PaymentState",
    "Document",
    "DocumentKind",
    "Order",
    "OrderAddress",
    "OrderLine",
    "OrderStatus",
    "OrderStatusChange",
    "Payment",
    "PaymentStatus",
    "Refund",
    "RefundStatus",
    "Return",
    "ReturnLine",
    "ReturnStatus",
    "RoundingRule",
    "Shipment",
    "ShipmentEvent",
    "ShipmentLine",
    "ShipmentStatus",
    "TaxLine",
]
