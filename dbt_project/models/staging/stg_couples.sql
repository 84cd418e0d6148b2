-- Couples, typed. Names and e-mail stay in raw (personal data, erasable on request):
-- downstream only needs to know whether they were given.
with source as (
    select *, {{ latest_export_rank('couple_id') }} as export_rank
    from {{ source('raw', 'couples') }}
    where couple_id is not null
),

latest as (
    select * from source
    where export_rank = 1
      and {{ not_quarantined('couples', 'couple_id') }}
)

select
    couple_id,
    region,
    (nullif(btrim(email), '') is not null) as has_email,
    (
        nullif(btrim(partner_one_name), '') is not null
        and nullif(btrim(partner_two_name), '') is not null
    ) as has_partner_names,
    {{ try_cast('signed_up_at', 'timestamptz') }} as signed_up_at,
    {{ is_valid_cast('signed_up_at', 'timestamptz') }} as signed_up_at_is_valid,
    _export_date as exported_on
from latest
