{#
    An interval's bounds bracket its point estimate: lower <= column <= upper wherever all
    three are present (a Wilson interval around a conversion rate, p25 <= p50 <= p75).
#}
{% test ordered_bounds(model, column_name, lower, upper) %}
select {{ lower }}, {{ column_name }}, {{ upper }}
from {{ model }}
where {{ lower }} > {{ column_name }} or {{ column_name }} > {{ upper }}
{% endtest %}
