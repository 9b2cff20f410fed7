"""gateway.desk.policy: what the daemon loads before its first mail."""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone

from gateway import config as config_module
from gateway.desk.policy import Policy
from gatewaykit import write_config

WARM = """
import sys
from datetime import datetime, timezone
from gateway import config
from gateway.desk.policy import Policy
policy = Policy.load(config.load(sys.argv[1]))
before = "phonenumbers" in sys.modules
policy.warm(datetime(2026, 12, 31, 22, 0, tzinfo=timezone.utc))
print(before, "phonenumbers" in sys.modules, sorted(policy.calendar._years))
"""


def test_warm_loads_the_phone_library_and_this_years_holidays_in_business_time(tmp_path):
    # 22:00 UTC on New Year's Eve is already 2027 in Baku (the config's time zone)
    result = subprocess.run([sys.executable, "-c", WARM, str(write_config(tmp_path))],
                            capture_output=True, text=True, check=True)
    assert result.stdout.split("\n")[0] == "False True [2027]"


def test_a_policy_without_a_country_warms_too(tmp_path):
    path = write_config(tmp_path)
    path.write_text(path.read_text().replace('country = "AZ"', 'country = ""'))
    policy = Policy.load(config_module.load(path))
    policy.warm(datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc))
    assert policy.calendar.country == "" and 2026 in policy.calendar._years
