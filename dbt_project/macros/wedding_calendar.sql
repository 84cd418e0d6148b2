{#
    The UK wedding season of a date: 'peak' from April to September (when most UK weddings
    take place and suppliers' calendars fill), 'off_peak' otherwise.
#}
{% macro wedding_season(date_expression) -%}
    case
        when {{ date_expression }} is null then null
        when extract(month from {{ date_expression }}) between 4 and 9 then 'peak'
        else 'off_peak'
    end
{%- endmacro %}


{#- True when the date falls in the UK peak wedding season (April to September). -#}
{% macro is_peak_season(date_expression) -%}
    ({{ wedding_season(date_expression) }} = 'peak')
{%- endmacro %}


{#- The as-of date of "today"-relative marts: the `as_of` var, or the current date. -#}
{% macro as_of_date() -%}
    {%- if var('as_of') -%}
        date '{{ var("as_of") }}'
    {%- else -%}
        current_date
    {%- endif -%}
{%- endmacro %}
