{#
    Bounds of the normal-approximation interval for a mean (95% by default): an aggregate,
    avg(values) -/+ z * sample standard deviation / sqrt(n), over the non-null values.

    A mean over 3 bookings says little; the interval says how little. The central limit
    theorem makes it fair for the sample sizes the marts publish (k-suppressed cells), and
    it treats the values as independent: where one supplier contributes many of them the
    interval is somewhat too narrow. NULL below 2 values (no spread to measure). Rounded to
    `digits` decimals so the marts (and their unit tests) are exact.
#}
{% macro mean_bound(values, side, z=1.96, digits=2) -%}
    {%- set sign = '-' if side == 'low' else '+' -%}
    case
        when count({{ values }}) < 2 then null
        else round((
            avg({{ values }})
            {{ sign }} {{ z }} * stddev_samp({{ values }}) / sqrt(count({{ values }}))
        )::numeric, {{ digits }})
    end
{%- endmacro %}
