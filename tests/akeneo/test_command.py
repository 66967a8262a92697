"""`manage.py import_catalog`: summary, idempotence message and exit status."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.akeneo.conftest import product_line, write_products


def run_command(*args):
    out = StringIO()
    call_command("import_catalog", *args, "--no-progress", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_command_summary_and_second_run(db, small_export):
    write_products(small_export, [product_line("CAM-1", price_EUR="499")])

    first = run_command(str(small_export))
    second = run_command(str(small_export))

    assert "products                1        0          0       0" in first
    assert "prices                  1        0          0       0" in first
    assert "Imported: " in first
    assert "products                0        0          1       0" in second
    assert "categories              0        0        168       0" in second
    assert second.rstrip().endswith("Nothing changed: the catalog already matches the source.")


def test_command_fails_when_a_record_failed(db, small_export):
    write_products(small_export, [product_line("CAM-1"), product_line("CAM-2", family="spaceships")])

    with pytest.raises(CommandError) as raised:
        run_command(str(small_export))

    assert raised.value.returncode == 1
    assert str(raised.value) == "1 record failed; see the messages above or the sync errors in the admin."


def test_command_rejects_unknown_source(db):
    with pytest.raises(CommandError) as raised:
        run_command("no-such-folder-or-slug")

    assert str(raised.value) == (
        "no-such-folder-or-slug is neither a folder nor the slug of a connection. "
        "Give the folder of an Akeneo CSV export or a connection slug."
    )


def test_command_rejects_unreadable_csv(db, small_export):
    write_products(small_export, [product_line("CAM-1")])
    with (small_export / "products.csv").open("ab") as stream:
        stream.write(b"CAM-2;cameras\r;1\n")

    with pytest.raises(CommandError) as raised:
        run_command(str(small_export))

    assert raised.value.returncode == 1
    assert str(raised.value).startswith("products.csv, line 3: the file is not readable CSV")
