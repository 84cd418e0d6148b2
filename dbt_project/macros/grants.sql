{#-
    dbt's own grant statement for Postgres (`grants:` in dbt_project.yml), made to skip a
    grantee role that does not exist yet instead of failing the model.

    The API creates its role when it first starts (serving/security/tenancy.py), and a fresh
    warehouse is built before that: `wedsync db init` creates no roles. Once the API starts,
    `app.apply_row_level_security()` grants it what this skipped; until then there is no one
    to grant to. dbt runs this inside the model's transaction, after the post-hook.
-#}
{% macro postgres__get_grant_sql(relation, privilege, grantees) -%}
{%- set target_relation = dbt.string_literal(relation.render()) -%}
{%- set roles = [] -%}
{%- for grantee in grantees -%}{%- do roles.append(dbt.string_literal(grantee)) -%}{%- endfor -%}
do $grant$
declare
    grantee name;
begin
    foreach grantee in array array[{{ roles | join(', ') }}]::name[] loop
        if exists (select from pg_roles where rolname = grantee) then
            execute format('grant {{ privilege }} on %s to %I', {{ target_relation }}, grantee);
        else
            raise notice 'no role %: {{ privilege }} on % not granted',
                grantee, {{ target_relation }};
        end if;
    end loop;
end
$grant$
{%- endmacro %}
