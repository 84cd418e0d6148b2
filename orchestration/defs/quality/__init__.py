"""The quality domain: GX rule checks on raw assets, the quarantine, and GX Data Docs."""
