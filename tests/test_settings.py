import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.utils import translation
from django_q.conf import logger as django_q_logger

SETTINGS_FILE = Path(settings.BASE_DIR) / "config" / "settings.py"

# Prints what django_q.conf made of the settings in a fresh process, where Q_CLUSTER_NAME and
# the LOG_LEVEL variables of the environment apply as they do in `manage.py qcluster`.
DJANGO_Q_CONF_PROBE = """
import json, django
django.setup()
from django_q.conf import Conf, logger
print(json.dumps({
    "cluster_name": Conf.CLUSTER_NAME,
    "prefix": Conf.PREFIX,
    "workers": Conf.WORKERS,
    "timeout": Conf.TIMEOUT,
    "retry": Conf.RETRY,
    "label": str(Conf.LABEL),
    "logger_name": logger.name,
    "logger_level": logger.getEffectiveLevel(),
}))
"""


def probe_django_q_conf(**variables):
    """Return django_q.conf's view of the settings in a new process with these variables set."""
    env = {name: value for name, value in os.environ.items() if name not in ("Q_CLUSTER_NAME", "LOG_LEVEL", "LOG_LEVEL_DJANGO_Q")}
    env.update(variables, DJANGO_SETTINGS_MODULE="config.settings")

    output = subprocess.run([sys.executable, "-c", DJANGO_Q_CONF_PROBE], env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, check=True)

    return json.loads(output.stdout.strip().splitlines()[-1])


def test_lanes_configured_as_three_clusters():
    assert list(settings.LANES) == ["hot", "master", "poll"]
    assert settings.Q_CLUSTER["name"] == "master"
    assert settings.Q_CLUSTER["ALT_CLUSTERS"]["hot"]["name"] == "hot"
    assert settings.Q_CLUSTER["ALT_CLUSTERS"]["poll"]["name"] == "poll"
    assert settings.LANES["hot"]["retry"] > settings.LANES["hot"]["timeout"]


def test_settings_comments_count_lanes_right():
    # Comments such as "Two lanes" or "both worker lanes" went stale when the poll lane was added.
    number_words = {"one": 1, "two": 2, "both": 2, "three": 3, "four": 4, "five": 5}
    comments = [line for line in SETTINGS_FILE.read_text().splitlines() if line.lstrip().startswith("#")]
    pattern = re.compile(r"\b(" + "|".join(number_words) + r")\s+(?:worker\s+)?lanes\b", re.IGNORECASE)

    counts = [(match.group(0), number_words[match.group(1).lower()]) for line in comments for match in pattern.finditer(line)]

    assert [phrase for phrase, count in counts if count != len(settings.LANES)] == []


# django-q2 logging


def test_django_q_logger_gets_configured_level():
    configured = settings.LOGGING["loggers"]

    assert django_q_logger.name in configured
    assert configured[django_q_logger.name]["level"] == os.environ.get("LOG_LEVEL_DJANGO_Q", "WARNING")


def test_django_q_logger_level_applied():
    expected = logging.getLevelName(os.environ.get("LOG_LEVEL_DJANGO_Q", "WARNING"))

    assert django_q_logger.getEffectiveLevel() == expected


def test_log_level_django_q_quiet_by_default():
    conf = probe_django_q_conf(LOG_LEVEL="DEBUG")

    assert conf["logger_name"] == "django-q"
    assert conf["logger_level"] == logging.WARNING


def test_log_level_django_q_raises_to_info():
    conf = probe_django_q_conf(LOG_LEVEL="WARNING", LOG_LEVEL_DJANGO_Q="INFO")

    assert conf["logger_level"] == logging.INFO


# django-q2 admin section and per-lane clusters


def test_task_queue_label_names_all_lanes():
    section = apps.get_app_config("django_q")

    with translation.override("en"):
        english = str(section.verbose_name)
    with translation.override("de"):
        german = str(section.verbose_name)

    assert english == "Task queue (all lanes)"
    assert german == "Aufgabenwarteschlange (alle Spuren)"


@pytest.mark.parametrize("lane", ["hot", "master", "poll"])
def test_lane_worker_reads_own_cluster(lane):
    conf = probe_django_q_conf(Q_CLUSTER_NAME=lane)

    assert conf["cluster_name"] == lane
    assert conf["prefix"] == "master"
    assert conf["workers"] == settings.LANES[lane]["workers"]
    assert conf["timeout"] == settings.LANES[lane]["timeout"]
    assert conf["retry"] == settings.LANES[lane]["retry"]
    assert conf["label"] == "Task queue (all lanes)"
