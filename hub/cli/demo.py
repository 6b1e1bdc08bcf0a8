"""`hub demo [DIR]`: an example project across Fxiaoke, Zoho CRM and an HR CSV, synced and ruled."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("folder", default="demo", type=click.Path(file_okay=False))
@click.option(
    "--serve", is_flag=True, help="Keep the fake CRMs and the dashboard running after the demo."
)
@click.option("--force", is_flag=True, help="Write into a folder that is not empty.")
def demo(folder: str, serve: bool, force: bool) -> None:
    """Write a demo project into FOLDER (default ./demo) and run it end to end.

    It starts fake Fxiaoke and Zoho CRM servers on loopback, syncs them and
    HR's roster into SQLite, runs the configured rules for the latest quarter
    and writes an HTML report. Nothing leaves this machine.
    """
    from hub.demo.steps import run_demo

    run_demo(Path(folder), serve=serve, force=force)
