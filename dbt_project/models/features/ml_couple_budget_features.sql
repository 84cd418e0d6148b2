-- One row per couple: what was known when they sent their first enquiry, and the budget they
-- stated (the label). The stated budget is the label, never an input (ml/couple_budget.py):
-- the model estimates a couple's budget from their first choice of supplier and wedding.
with enquiries as (
    select * from {{ ref('fct_enquiries') }}
    where couple_id is not null and created_at is not null
),

first_enquiries as (
    select distinct on (couple_id) *
    from enquiries
    order by couple_id, created_at, enquiry_id
),

-- A couple states one budget; a first enquiry without a valid one takes any other it sent.
stated_budgets as (
    select couple_id, max(budget_gbp) as budget_gbp
    from enquiries
    where budget_gbp is not null
    group by couple_id
)

select
    first_enquiries.couple_id,
    first_enquiries.enquiry_id as first_enquiry_id,
    first_enquiries.supplier_id as first_supplier_id,
    first_enquiries.enquiry_date as first_enquiry_date,
    first_enquiries.vendor_type,
    first_enquiries.region,
    first_enquiries.price_band,
    first_enquiries.channel,
    first_enquiries.base_price_gbp::double precision as base_price_gbp,
    first_enquiries.lead_time_days::integer as lead_time_days,
    first_enquiries.guest_count::integer as guest_count,
    extract(month from first_enquiries.wedding_date)::integer as wedding_month,
    first_enquiries.is_peak_season,
    first_enquiries.is_saturday,
    coalesce(first_enquiries.budget_gbp, stated_budgets.budget_gbp)::double precision
        as budget_gbp
from first_enquiries
left join stated_budgets on stated_budgets.couple_id = first_enquiries.couple_id
