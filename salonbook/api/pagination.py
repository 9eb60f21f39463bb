from __future__ import annotations

from typing import Any

from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """``?page=N`` (and ``?page_size=``, at most 100): ``{count, next, previous, results}``."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100


def paginate(view, request, items, serialize):
    """One page of ``items`` (a queryset or a list), each item passed through ``serialize``.

    List views set ``pagination_class`` too, so the schema shows the page.
    """
    paginator = getattr(view, "pagination_class", None) or Pagination
    paginator = paginator()
    page: list[Any] | None = paginator.paginate_queryset(items, request, view=view)
    return paginator.get_paginated_response(serialize(page))
