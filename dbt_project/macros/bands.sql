{#
    Banding a number by ascending lower edges (a dbt var such as `journey_budget_bands`), so
    a mart and its truth check cut budgets and guest counts at the same places:
    `band_floor` is the band's lower edge, `band_label` names it ('10000-19999', '40000+').
    NULL for a NULL value or one below the first edge.
#}
{% macro band_floor(column, edges) -%}
    case
    {%- for edge in edges | reverse %}
        when {{ column }} >= {{ edge }} then {{ edge }}
    {%- endfor %}
    end
{%- endmacro %}


{% macro band_label(column, edges) -%}
    case
    {%- for edge in edges | reverse %}
        {%- set upper = edges[edges | length - loop.index + 1] if not loop.first else none %}
        when {{ column }} >= {{ edge }}
            then '{{ edge }}{{ "-" ~ (upper - 1) if upper is not none else "+" }}'
    {%- endfor %}
    end
{%- endmacro %}
