"""django-q2's monitoring commands that operators run to see the workers."""

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_qinfo_prints_cluster_summary(capsys):
    # The commands draw with blessed on the process's own stdout, not the command's.
    call_command("qinfo")

    text = capsys.readouterr().out
    assert "Blessed is not installed" not in text
    assert "Clusters" in text
    assert "Successes" in text


def test_qmemory_prints_memory_table(capsys):
    call_command("qmemory", "--run-once")

    text = capsys.readouterr().out
    assert "Missing" not in text
    assert "Workers (MB)" in text
