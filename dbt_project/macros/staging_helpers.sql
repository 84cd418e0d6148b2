{#
    Rows a blocking (error-severity) quality rule quarantined are left out of everything
    downstream; raw keeps them, so nothing is lost and a fixed rule re-admits them.
#}
{% macro not_quarantined(entity, key_column) -%}
    not exists (
        select 1
        from {{ source('quality', 'quarantine') }} as q
        where q.table_name = '{{ entity }}'
          and q.row_key = {{ key_column }}
          and q.severity = 'error'
    )
{%- endmacro %}


{#
    The latest export of each key wins: a booking is exported again when it is cancelled, and
    the platform may re-export a row. Ties within one export date go to the later line.
#}
{% macro latest_export_rank(key_column) -%}
    row_number() over (
        partition by {{ key_column }}
        order by _export_date desc, _line desc
    )
{%- endmacro %}


{#- Money as exported (GBP, 2 decimals), typed for the marts. -#}
{% macro to_gbp(expression) -%}
    ({{ expression }})::numeric(12, 2)
{%- endmacro %}
