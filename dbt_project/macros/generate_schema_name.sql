{#
    prod uses a model's custom schema verbatim (staging, intermediate, marts, features, seeds):
    the API, the ML code and the quality checks address these schemas by name
    (docs/internals.md). Every other target (dev, the default) prefixes it with the target's
    schema (`dev_alice_marts`), dbt's own default, so an analyst's build lands in their own
    schemas and never replaces a served mart.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif target.name == 'prod' -%}
        {{ custom_schema_name | trim }}
    {%- else -%}
        {{ target.schema }}_{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
