{#
    Safe casts for staging. Raw tables hold every value as text, as the export carried it, and
    a malformed value (a wedding on 2027-02-30, a guest count of "ninety") must become NULL plus
    a flag, never a failed run. Postgres 15 has no try_cast / pg_input_is_valid, so these small
    plpgsql functions catch the cast error. A strict pattern check runs first so that the
    exception path (a subtransaction) is only taken for values that look right but are not real,
    such as February 30th. They are `parallel unsafe`: an exception block cannot start while a
    query runs in parallel mode, not even in the leader ("cannot start subtransactions during a
    parallel operation"), and Postgres picks parallel plans for large enough raw tables.
#}
{#
    Builds can overlap (the nightly build and the events sensor's run), and two concurrent
    `create or replace function` of the same function fail with "tuple concurrently updated":
    one transaction under an advisory lock makes them take turns.
#}
{% macro create_safe_cast_functions() %}
begin;
select pg_advisory_xact_lock(hashtext('wedsync.staging.safe_casts'));
create schema if not exists staging;

create or replace function staging.try_date(value text) returns date
language plpgsql stable parallel unsafe as $fn$
begin
    if value is null or value !~ '^\d{4}-\d{2}-\d{2}$' then
        return null;
    end if;
    return value::date;
exception when others then
    return null;
end;
$fn$;

create or replace function staging.try_timestamptz(value text) returns timestamptz
language plpgsql stable parallel unsafe as $fn$
begin
    if value is null
        or value !~ '^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|UTC|[+-]\d{2}(:?\d{2})?)?$' then
        return null;
    end if;
    return value::timestamptz;
exception when others then
    return null;
end;
$fn$;

create or replace function staging.try_numeric(value text) returns numeric
language plpgsql stable parallel unsafe as $fn$
begin
    if value is null or btrim(value) !~ '^[+-]?\d+(\.\d+)?$' then
        return null;
    end if;
    return btrim(value)::numeric;
exception when others then
    return null;
end;
$fn$;

create or replace function staging.try_integer(value text) returns integer
language plpgsql stable parallel unsafe as $fn$
begin
    -- Parquet exports may render a whole number stored as float as "90.0".
    if value is null or btrim(value) !~ '^[+-]?\d+(\.0+)?$' then
        return null;
    end if;
    return btrim(value)::numeric::integer;
exception when others then
    return null;
end;
$fn$;
commit;
{% endmacro %}


{#- Cast `column` with the safe cast of `type` (date, timestamptz, numeric, integer). -#}
{% macro try_cast(column, type) -%}
    staging.try_{{ type }}({{ column }})
{%- endmacro %}


{#-
    The flag that says whether the export's value was usable: true when the value is absent
    or cast cleanly, false when a value was present but malformed.
-#}
{% macro is_valid_cast(column, type) -%}
    ({{ column }} is null or staging.try_{{ type }}({{ column }}) is not null)
{%- endmacro %}
