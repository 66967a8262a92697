"""Order endpoints: place an order with an Idempotency-Key, read the client's own orders."""

import django_filters
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from apiclients.fields import UtcIsoDateTimeFilter
from apiclients.filtering import StrictFilterBackend, parse_id
from apiclients.models import Scope
from apiclients.schema import IDEMPOTENCY_KEY, error_responses
from apiclients.views import ApiViewMixin
from orders.api.placement import check_idempotency_key, place_order
from orders.api.serializers import OrderInputSerializer, OrderSerializer
from orders.models import Order, OrderLine, OrderStatus, PaymentState


class OrderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=OrderStatus.choices)
    payment_state = django_filters.ChoiceFilter(choices=PaymentState.choices)
    number = django_filters.CharFilter(field_name="external_number", max_length=100, help_text="The order number the front end gave.")
    updated_since = UtcIsoDateTimeFilter(field_name="updated_at", lookup_expr="gte", help_text="Only orders changed at or after this ISO 8601 time.")

    class Meta:
        model = Order
        fields = []


def own_orders(client):
    """Return the orders a client may read: those of its channel, and of its customer when bound to one."""
    orders = Order.objects.filter(channel=client.channel)
    if client.customer_email:
        orders = orders.filter(email=client.customer_email.strip().lower())
    return orders


@extend_schema(tags=["orders"])
class OrderViewSet(ApiViewMixin, viewsets.GenericViewSet):
    required_scopes = {"list": Scope.ORDERS_READ, "retrieve": Scope.ORDERS_READ, "create": Scope.ORDERS_WRITE}
    filter_backends = [StrictFilterBackend]
    filterset_class = OrderFilter
    cursor_ordering = ("-placed_at", "-id")
    serializer_class = OrderSerializer
    lookup_value_regex = "[^/]+"
    queryset = Order.objects.none()

    def get_queryset(self):
        return (
            own_orders(self.request.auth)
            .select_related("channel")
            .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("position")), "addresses", "payments", "shipments")
        )

    @extend_schema(responses={200: OrderSerializer(many=True), **error_responses()}, summary="List the channel's orders, or one customer's when the client has a customer email")
    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(OrderSerializer(page, many=True).data)

    @extend_schema(
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)],
        responses={200: OrderSerializer, **error_responses(404)},
        summary="Get one order of the channel (or of the client's customer) with payment and shipment state",
    )
    def retrieve(self, request, pk=None):
        order = self.get_queryset().filter(pk=parse_id(pk)).first()
        if order is None:
            raise NotFound(_("Order %(id)s does not exist or belongs to another channel or customer.") % {"id": pk})
        return Response(OrderSerializer(order).data)

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY],
        request=OrderInputSerializer,
        responses={201: OrderSerializer, **error_responses(409, 415, 422)},
        summary="Place an order",
        description="Validates the order like one from a connector, checks that every SKU is sold on the channel "
        "at the catalog price of the client's price list and available, reserves the stock and returns the order. A retry with the same Idempotency-Key and body "
        "returns the same order with the header Idempotent-Replayed: true.",
    )
    def create(self, request):
        check_idempotency_key(request.headers.get("Idempotency-Key"))
        serializer = OrderInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order, status_code, replayed = place_order(request.auth, request.headers.get("Idempotency-Key"), serializer.validated_data, request.data)
        order = self.get_queryset().get(pk=order.pk)
        headers = {"Location": f"/api/v1/orders/{order.pk}/"}
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(OrderSerializer(order).data, status=status_code or status.HTTP_201_CREATED, headers=headers)
