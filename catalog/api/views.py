"""Catalog endpoints: products with variants, prices and availability; the category tree."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.exceptions import NotFound
from rest_framework.views import APIView

from apiclients.cache import detail_stamp, list_stamp
from apiclients.context import catalog_context, resolve_locale
from apiclients.errors import InvalidParameter
from apiclients.etag import compute_etag, conditional_response
from apiclients.filtering import StrictFilterBackend, parse_id
from apiclients.models import Scope
from apiclients.schema import (
    ACCEPT_LANGUAGE,
    CATALOG_PARAMETERS,
    IF_NONE_MATCH,
    LOCALE,
    error_responses,
    not_modified,
)
from apiclients.views import ApiViewMixin
from catalog.api.attributes import localized
from catalog.api.filters import ProductFilter
from catalog.api.queries import product_queryset
from catalog.api.representations import ProductPage
from catalog.api.serializers import (
    CategoryDetailSerializer,
    CategoryTreeSerializer,
    ProductDetailSerializer,
    ProductSerializer,
)
from catalog.api.variants import variant_ids, variants_of
from catalog.models import Category, Product

ORDERINGS = {
    "sku": ("sku",),
    "-sku": ("-sku",),
    "updated_at": ("updated_at", "id"),
    "-updated_at": ("-updated_at", "-id"),
}
ORDERING_PARAMETER = OpenApiParameter("ordering", str, enum=list(ORDERINGS), description="Sort order of the list; default sku.")


@extend_schema(tags=["catalog"])
class ProductViewSet(ApiViewMixin, viewsets.GenericViewSet):
    required_scopes = {"*": Scope.CATALOG_READ}
    filter_backends = [StrictFilterBackend]
    filterset_class = ProductFilter
    extra_query_params = frozenset({"locale", "currency", "price_list", "ordering"})
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Product.objects.none()
        self.context_data = catalog_context(self.request)
        return product_queryset(self.context_data)

    @property
    def cursor_ordering(self):
        value = self.request.query_params.get("ordering", "sku")
        if value not in ORDERINGS:
            raise InvalidParameter(
                _("Unknown ordering %(value)s. Use one of: %(known)s.") % {"value": value, "known": ", ".join(ORDERINGS)},
                code="unknown_ordering",
                field="ordering",
                value=value,
            )
        return ORDERINGS[value]

    @extend_schema(
        parameters=[*CATALOG_PARAMETERS, ORDERING_PARAMETER, IF_NONE_MATCH],
        responses={200: ProductSerializer(many=True), **not_modified(), **error_responses()},
        summary="List products",
        description="Enabled products of the catalog, with attributes resolved for the locale and channel, "
        "price and available quantity for the client's channel. `price` is null for a product without a price in "
        "the client's price lists, which cannot be ordered until it has one. "
        "Cursor-paginated, so items added while paging are neither skipped nor repeated.",
    )
    def list(self, request):
        stamp = list_stamp(request)
        if stamp.body is not None:
            return conditional_response(request, stamp.cached_data, etag=stamp.etag)

        queryset = self.filter_queryset(self.get_queryset())
        # The paginator orders by self.cursor_ordering, which validates ?ordering=.
        products = self.paginate_queryset(queryset)
        data = ProductPage(products, self.context_data, request).render_all()
        page_data = self.get_paginated_response(data).data
        # A front end polling a list for changes gets a 304 while the page is the same.
        etag = compute_etag(page_data)
        stamp.store(page_data, etag)
        return conditional_response(request, page_data, etag=etag)

    @extend_schema(
        parameters=[*CATALOG_PARAMETERS, IF_NONE_MATCH, OpenApiParameter("id", int, OpenApiParameter.PATH)],
        responses={200: ProductDetailSerializer, **not_modified(), **error_responses(404)},
        summary="Get one product with its variants",
    )
    def retrieve(self, request, pk=None):
        product_id = parse_id(pk)
        # Only valid requests are stored, so a cached response needs no second check of the parameters.
        stamp = detail_stamp(request, product_id)
        if stamp.body is not None:
            return conditional_response(request, stamp.cached_data, etag=stamp.etag)

        queryset = self.get_queryset()

        product = queryset.filter(pk=product_id).first()
        if product is None:
            raise NotFound(_("Product %(id)s does not exist or is not sold.") % {"id": product_id})
        ids = variant_ids(product)
        stamp.add_products(ids)
        page = ProductPage([product], self.context_data, request)
        data = page.render(product)
        data["variants"] = variants_of(product, self.context_data, page, ids, queryset)
        etag = compute_etag(data)
        stamp.store(data, etag)
        return conditional_response(request, data, etag=etag)


def _node(category, chain):
    return {
        "id": category.pk,
        "code": category.code,
        "label": localized(category.labels, chain),
        "path": category.path,
        "depth": category.depth,
        "position": category.position,
        "children": [],
    }


def build_tree(categories, chain):
    """Nest the categories (ordered by path, so parents come first) into a list of root nodes."""
    nodes = {}
    roots = []
    for category in categories:
        node = _node(category, chain)
        nodes[category.pk] = node
        parent = nodes.get(category.parent_id)
        (parent["children"] if parent else roots).append(node)
    for node in nodes.values():
        node["children"].sort(key=lambda child: (child["position"], child["code"]))
    roots.sort(key=lambda root: (root["position"], root["code"]))
    return roots


@extend_schema(tags=["catalog"])
class CategoryTreeView(ApiViewMixin, APIView):
    required_scopes = {"*": Scope.CATALOG_READ}
    extra_query_params = frozenset({"locale"})

    @extend_schema(
        parameters=[LOCALE, ACCEPT_LANGUAGE, IF_NONE_MATCH],
        responses={200: CategoryTreeSerializer, **not_modified(), **error_responses()},
        operation_id="categories_tree",
        summary="The category trees",
        description="Every category tree, nested, with labels in the requested locale. Small enough to send whole.",
    )
    def get(self, request):
        chain = resolve_locale(request, request.auth.channel)[1]
        categories = Category.objects.only("id", "code", "labels", "path", "depth", "position", "parent_id").order_by("depth", "path")
        return conditional_response(request, {"results": build_tree(categories, chain)})


@extend_schema(tags=["catalog"])
class CategoryViewSet(ApiViewMixin, viewsets.GenericViewSet):
    required_scopes = {"*": Scope.CATALOG_READ}
    pagination_class = None
    extra_query_params = frozenset({"locale"})
    lookup_value_regex = "[^/]+"
    queryset = Category.objects.none()

    @extend_schema(
        parameters=[LOCALE, ACCEPT_LANGUAGE, IF_NONE_MATCH, OpenApiParameter("id", int, OpenApiParameter.PATH)],
        responses={200: CategoryDetailSerializer, **not_modified(), **error_responses(404)},
        summary="One category with its subtree and ancestors",
    )
    def retrieve(self, request, pk=None):
        category_id = parse_id(pk)
        chain = resolve_locale(request, request.auth.channel)[1]
        category = Category.objects.filter(pk=category_id).first()
        if category is None:
            raise NotFound(_("Category %(id)s does not exist.") % {"id": category_id})
        subtree = list(category.subtree().order_by("depth", "path"))
        node = build_tree(subtree, chain)[0]
        ancestor_paths = category.path.split("/")[:-1]
        ancestors = Category.objects.filter(code__in=ancestor_paths).order_by("depth") if ancestor_paths else []
        node["ancestors"] = [{"id": a.pk, "code": a.code, "label": localized(a.labels, chain)} for a in ancestors]
        return conditional_response(request, node)
