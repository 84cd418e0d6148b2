"""Unit tests of the wedding quality rules (expectations/ and orchestration/defs/quality/)."""
