"""Nightly exports of the WedSync platform, COPYed into `raw.*`."""
