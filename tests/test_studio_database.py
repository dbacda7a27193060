"""`mauqif studio start --database`: which URLs are taken, and the password never shown."""

import pytest
from click.testing import CliRunner

from mauqif.annotate.studio.exceptions import ServerError
from mauqif.annotate.studio.server import Database, LocalStudio, server_environment, status
from mauqif.cli import cli


def test_a_postgres_url_becomes_label_studios_own_settings():
    db = Database.parse("postgresql://ls:s%40cret@127.0.0.1:6543/label_db")
    assert db.environment() == {
        "DJANGO_DB": "default",
        "POSTGRE_NAME": "label_db",
        "POSTGRE_USER": "ls",
        "POSTGRE_PASSWORD": "s@cret",
        "POSTGRE_HOST": "127.0.0.1",
        "POSTGRE_PORT": "6543",
    }
    assert db.masked == "postgresql://ls:***@127.0.0.1:6543/label_db"
    assert "s%40cret" not in repr(db)


def test_sqlite_is_the_default_and_adds_no_settings():
    assert Database.parse("sqlite") == Database()
    assert Database().environment() == {} and Database().masked == "sqlite"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("mysql://u:p@h/db", "only PostgreSQL is supported"),
        ("postgresql://u:p@h:port/db", "the port is not a number"),
        ("postgresql://u:p@127.0.0.1:5432/", "give the user, host and database name"),
    ],
)
def test_a_bad_database_url_is_refused_without_showing_its_password(url, reason):
    with pytest.raises(ServerError) as caught:
        Database.parse(url)
    assert reason in str(caught.value)
    assert ":p@" not in str(caught.value)


def test_the_server_gets_the_database_and_status_says_which(tmp_path):
    local = LocalStudio(tmp_path / "home")
    env = server_environment(
        local.data, "http://127.0.0.1:1", _credentials(), {}, Database.parse("postgresql://a:b@h/n")
    )
    assert env["DJANGO_DB"] == "default" and env["POSTGRE_PASSWORD"] == "b"
    assert status(local).database == "sqlite"


def test_studio_start_with_a_bad_database_url_says_so(tmp_path):
    result = CliRunner().invoke(
        cli,
        ["studio", "start", "--home", str(tmp_path), "--no-model-backend",
         "--database", "postgresql://u:secret@/db"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "Error: --database postgresql://u:***@/db: give the user, host and database name" in (
        result.output
    )
    assert "secret" not in result.output


def _credentials():
    from mauqif.annotate.studio.server import Credentials

    return Credentials("http://127.0.0.1:1", "admin@mauqif.local", "pw", "key")
