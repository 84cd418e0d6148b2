{#
    Bounds of the Wilson score interval for a conversion rate (95% by default).

    A supplier with 1 booking from 2 enquiries has a 50% conversion rate that says little; the
    Wilson interval says how little, and unlike the normal approximation it stays within
    [0, 1] for small counts. NULL when there were no trials. Rounded to 4 decimals so the
    marts (and their unit tests) are exact. The Python twin is wedsync/conversion.py (the API
    and the price advice); tests/integration/dbt holds the two equal on every mart row.
#}
{% macro wilson_bound(successes, trials, side, z=1.96) -%}
    {%- set sign = '-' if side == 'low' else '+' -%}
    case
        when coalesce({{ trials }}, 0) = 0 then null
        else round((
            (
                ({{ successes }})::numeric / ({{ trials }})
                + {{ z }}^2 / (2 * ({{ trials }}))
                {{ sign }} {{ z }} * sqrt(
                    ({{ successes }})::numeric / ({{ trials }})
                    * (1 - ({{ successes }})::numeric / ({{ trials }}))
                    / ({{ trials }})
                    + {{ z }}^2 / (4 * ({{ trials }})^2)
                )
            ) / (1 + {{ z }}^2 / ({{ trials }}))
        )::numeric, 4)
    end
{%- endmacro %}


{#- successes / trials, rounded to 4 decimals; NULL when there were no trials. -#}
{% macro rate(successes, trials) -%}
    round(({{ successes }})::numeric / nullif({{ trials }}, 0), 4)
{%- endmacro %}
