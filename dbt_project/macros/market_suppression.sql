{#
    k-anonymity for market-level figures: a cell (vendor type x region x period) is published
    only when at least `benchmark_min_suppliers` (5) distinct suppliers contribute to it.
    Below that, a supplier in a small market could subtract its own numbers from the total and
    read its competitors' bookings and revenue. Every market mart ends its aggregate with
    `having {{ enough_suppliers() }}`.
#}
{% macro enough_suppliers(supplier_column='supplier_id') -%}
    count(distinct {{ supplier_column }}) >= {{ var('benchmark_min_suppliers') }}
{%- endmacro %}
