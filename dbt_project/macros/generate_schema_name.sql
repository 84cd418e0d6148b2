{#
    Use a model's custom schema verbatim (staging, intermediate, marts, features, seeds), not
    dbt's default `<target schema>_<custom schema>`: the API, the ML code and the quality
    checks address these schemas by name (docs/internals.md).
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
