import pytest
import typer

from monitor.cli_classify import register


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    """A Typer app of our own with ``classify`` and the ``classifier`` group."""
    app = typer.Typer()
    register(app)
    return app
