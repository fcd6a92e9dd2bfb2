"""The engineers' ticket list (admin changelist) with rows drawn in one pass.

The admin draws each cell through its generic machinery (field lookup, display rules, the empty value, a link
resolved again for every row); for 100 rows of 11 columns that was most of the page's time. Here each row is
the `list_display` methods' values, escaped, in one string; headers, sorting, filters and paging stay the
admin's own."""

from django import template
from django.contrib.admin.templatetags.admin_list import result_headers
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

register = template.Library()


def _value(model_admin, obj, name: str):
    method = getattr(model_admin, name, None)
    value = method(obj) if callable(method) else getattr(obj, name)
    return model_admin.empty_value_display if value is None else value


def _row(model_admin, obj, names: list[str]) -> str:
    # `names` are the list_display names (identifiers, nothing to escape); every value is escaped.
    first, *rest = names
    cells = [f'<th class="field-{first}">{conditional_escape(_value(model_admin, obj, first))}</th>']
    cells += [f'<td class="field-{name}">{conditional_escape(_value(model_admin, obj, name))}</td>' for name in rest]
    return mark_safe("".join(cells))  # noqa: S308 - see above


@register.inclusion_tag("admin/change_list_results.html")
def desk_result_list(cl):
    """The context of the admin's `result_list` tag, rows built by `_row` (the list has no edit forms)."""
    headers = list(result_headers(cl))
    names = list(cl.list_display)
    return {
        "cl": cl,
        "result_hidden_fields": [],
        "result_headers": headers,
        "num_sorted_fields": sum(1 for header in headers if header["sortable"] and header["sorted"]),
        "results": [[_row(cl.model_admin, obj, names)] for obj in cl.result_list],
    }


@register.inclusion_tag("admin/tickets/ticket/_quick_filters.html")
def desk_quick_filters(cl):
    """The queue's quick filters (QueueFilter) as a row of links above the list: "All", mine, unassigned, …"""
    from tickets.admin import QueueFilter  # the admin module imports this library's templates, not the reverse

    specs = [spec for spec in cl.filter_specs if isinstance(spec, QueueFilter)]
    return {"choices": list(specs[0].choices(cl)) if specs else []}
