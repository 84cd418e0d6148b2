-- Reviews, typed; the latest export of each review wins.
with source as (
    select *, {{ latest_export_rank('review_id') }} as export_rank
    from {{ source('raw', 'reviews') }}
    where review_id is not null
),

latest as (
    select * from source
    where export_rank = 1
      and {{ not_quarantined('reviews', 'review_id') }}
)

select
    review_id,
    booking_id,
    supplier_id,
    couple_id,
    {{ try_cast('posted_at', 'timestamptz') }} as posted_at,
    {{ is_valid_cast('posted_at', 'timestamptz') }} as posted_at_is_valid,
    {{ try_cast('rating', 'integer') }} as rating,
    {{ is_valid_cast('rating', 'integer') }} as rating_is_valid,
    _export_date as exported_on
from latest
