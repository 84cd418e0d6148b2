{#-
    Re-applies tenant isolation after a build: every table with a supplier_id column in the
    served schemas gets the `supplier_isolation` row-level security policy, and the API's role
    (`wedsync_api`) its grants. A rebuilt mart is a new table with neither, so the API cannot
    read it (it answers 503) until this has run: call it from `on-run-end`:

        on-run-end:
          - "{{ apply_row_level_security() }}"

    The policy itself lives in one place, the procedure `app.apply_row_level_security()` that
    the API creates (serving/tenancy.py); before the API has ever started there is nothing to
    apply it for, and this is a no-op.
-#}
{% macro apply_row_level_security() %}
do $rls$
begin
    if to_regprocedure('app.apply_row_level_security()') is not null then
        call app.apply_row_level_security();
    end if;
end
$rls$;
{% endmacro %}
