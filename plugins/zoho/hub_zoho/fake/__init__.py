"""A stateful fake Zoho CRM: `FakeOrg` holds the data, `FakeZoho` answers
HTTP like Zoho's accounts server and API, `running` serves it on loopback."""

from hub_zoho.fake.api import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, FakeZoho
from hub_zoho.fake.org import FakeOrg, sample_counts
from hub_zoho.fake.server import make_server, running

__all__ = [
    "CLIENT_ID",
    "CLIENT_SECRET",
    "REFRESH_TOKEN",
    "FakeOrg",
    "FakeZoho",
    "make_server",
    "running",
    "sample_counts",
]
