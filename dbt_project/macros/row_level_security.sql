{#-
    Tenant isolation for a rebuilt table, applied by a post-hook inside the model's own
    transaction: the table replaces the old one with its `supplier_isolation` row-level
    security policy already in place, and dbt's `grants:` (dbt_project.yml, macros/grants.sql)
    grant the API role in the same transaction, right after this hook. So the API never meets
    an ungranted or unprotected mart (it answered 503 for uncached reads while a build ran,
    when this was an `on-run-end` hook):

        +post-hook: "{{ apply_row_level_security() }}"

    The policy itself lives in one place, the procedure `app.apply_row_level_security()` that
    the API creates (serving/security/tenancy.py); it only alters what is missing, so on an unchanged
    table it takes no lock. It also grants the API usage of the served schemas, which dbt's
    `grants:` (table privileges only) do not. Before the API has ever started there is nothing
    to apply it for, and this is a no-op; on a dev target (an analyst's own schemas) it is
    never applied.
-#}
{% macro apply_row_level_security() %}
{% if target.name == 'prod' %}
do $rls$
begin
    if to_regprocedure('app.apply_row_level_security()') is not null then
        call app.apply_row_level_security();
    end if;
end
$rls$
{% else %}
select 1
{% endif %}
{% endmacro %}
