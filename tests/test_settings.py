from django.conf import settings


def test_lanes_configured_as_two_clusters():
    assert settings.Q_CLUSTER["name"] == "master"
    assert settings.Q_CLUSTER["ALT_CLUSTERS"]["hot"]["name"] == "hot"
    assert settings.LANES["hot"]["retry"] > settings.LANES["hot"]["timeout"]
