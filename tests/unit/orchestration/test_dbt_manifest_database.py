"""The manifest dagster-dbt reads relations from is moved into the database the build runs in."""

from orchestration.defs.dbt.resources import in_database

MANIFEST = {
    "metadata": {"adapter_type": "postgres"},
    "nodes": {
        "model.wedsync.dim_date": {
            "database": "wedsync",
            "schema": "marts",
            "alias": "dim_date",
            "relation_name": '"wedsync"."marts"."dim_date"',
        },
        "test.wedsync.not_null_dim_date_day": {
            "database": "wedsync",
            "schema": "marts_dbt_test__audit",
            "relation_name": None,
        },
    },
    "sources": {
        "source.wedsync.raw.enquiries": {
            "database": "wedsync",
            "schema": "raw",
            "identifier": "enquiries",
            "relation_name": '"wedsync"."raw"."enquiries"',
        }
    },
    "parent_map": {"model.wedsync.dim_date": []},
}


def test_relations_move_into_the_build_database_and_nothing_else_changes() -> None:
    moved = in_database(MANIFEST, "wedsync_dbt_1a2b3c4d")
    dim_date = moved["nodes"]["model.wedsync.dim_date"]
    assert dim_date["relation_name"] == '"wedsync_dbt_1a2b3c4d"."marts"."dim_date"'
    assert dim_date["database"] == "wedsync_dbt_1a2b3c4d"
    assert (dim_date["schema"], dim_date["alias"]) == ("marts", "dim_date")
    source = moved["sources"]["source.wedsync.raw.enquiries"]
    assert source["relation_name"] == '"wedsync_dbt_1a2b3c4d"."raw"."enquiries"'
    assert moved["nodes"]["test.wedsync.not_null_dim_date_day"]["relation_name"] is None
    assert moved["parent_map"] == MANIFEST["parent_map"]
    # The manifest the assets were defined with is not touched.
    assert MANIFEST["nodes"]["model.wedsync.dim_date"]["database"] == "wedsync"


def test_a_manifest_parsed_for_the_build_database_is_returned_as_it_is() -> None:
    assert in_database(MANIFEST, "wedsync") == MANIFEST
