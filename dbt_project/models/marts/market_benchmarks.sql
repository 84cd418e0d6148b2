-- What a typical supplier achieves, per vendor type, region and quarter of enquiry: the
-- 25th/50th/75th percentiles across suppliers of conversion, listed price and first-response
-- time. A cell is published only when at least `benchmark_min_suppliers` suppliers
-- contribute (`enough_suppliers`), so no single supplier can be identified from a benchmark.
{{ config(indexes=[{'columns': ['vendor_type', 'region', 'quarter'], 'unique': true}]) }}

with supplier_quarters as (
    select
        supplier_id,
        vendor_type,
        region,
        enquiry_quarter as quarter,
        {{ rate('count(booking_id)', 'count(*)') }} as conversion_rate,
        max(base_price_gbp) as price_gbp,
        percentile_cont(0.5) within group (order by first_response_hours) as response_hours
    from {{ ref('fct_enquiries') }}
    where enquiry_quarter is not null
    group by supplier_id, vendor_type, region, enquiry_quarter
)

select
    quarter,
    vendor_type,
    region,
    count(*) as suppliers
    {%- for measure, decimals in [('conversion_rate', 4), ('price_gbp', 2), ('response_hours', 2)] %}
    {%- for percentile in [25, 50, 75] %},
    round(
        (percentile_cont({{ percentile / 100 }}) within group (order by {{ measure }}))::numeric,
        {{ decimals }}
    ) as p{{ percentile }}_{{ measure }}
    {%- endfor %}
    {%- endfor %}
from supplier_quarters
group by quarter, vendor_type, region
having {{ enough_suppliers() }}
