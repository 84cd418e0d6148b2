-- The Saturdays of bank-holiday weekends, per holiday jurisdiction: a Saturday whose Friday
-- or Monday is a bank holiday there (Easter, the May and August bank holidays). Couples
-- favour them (a guest-friendly long weekend), so suppliers fill them first.
with scopes as (
    select scope
    from (values ('england_and_wales'), ('scotland'), ('northern_ireland')) as scopes (scope)
),

days as (
    select
        date_day,
        is_saturday,
        is_bank_holiday_england_wales,
        is_bank_holiday_scotland,
        is_bank_holiday_northern_ireland
    from {{ ref('dim_date') }}
),

holidays as (
    select scopes.scope, days.date_day
    from days
    cross join scopes
    where
        (scopes.scope = 'england_and_wales' and days.is_bank_holiday_england_wales)
        or (scopes.scope = 'scotland' and days.is_bank_holiday_scotland)
        or (scopes.scope = 'northern_ireland' and days.is_bank_holiday_northern_ireland)
)

select distinct
    holidays.scope as bank_holiday_scope,
    saturdays.date_day as saturday
from holidays
inner join days as saturdays
    on saturdays.is_saturday
    and saturdays.date_day in (holidays.date_day + 1, holidays.date_day - 2)
