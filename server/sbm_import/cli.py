"""`kaari import sbm` in the terminal: one transaction, a progress bar, the report file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click
from sqlalchemy.ext.asyncio import async_sessionmaker

from server.sbm_import.report import Report
from server.sbm_import.texts import Language
from server.settings import Settings

FILES = (
    "asiakkaat.csv",
    "yhteydenotot.csv",
    "jonot.csv",
    "hoitojaksot.csv",
    "asukkaat.csv",
    "paivatoiminta.csv",
)


def count_lines(paths: list[Path]) -> int:
    total = 0
    for path in paths:
        with path.open("rb") as stream:
            while chunk := stream.read(1 << 20):
                total += chunk.count(b"\n")
    return total


def import_folder(
    settings: Settings, system: str, directory: Path, *, dry_run: bool, language: Language = "fi"
) -> Report:
    from server import domains
    from server.db import begin_write, create_engine
    from server.sbm_import.importer import run_import

    domains.load()
    lines = count_lines([directory / name for name in FILES if (directory / name).exists()])

    async def run() -> Report:
        engine = create_engine(settings)
        try:
            async with async_sessionmaker(engine, expire_on_commit=False)() as session:
                await begin_write(session)
                with click.progressbar(
                    length=lines, label=f"{system}", file=click.get_text_stream("stderr")
                ) as bar:
                    report = await run_import(
                        session, system, directory, dry_run=dry_run, progress=bar.update, language=language
                    )
                if dry_run:
                    await session.rollback()
                else:
                    await session.commit()
                return report
        finally:
            await engine.dispose()

    report = asyncio.run(run())
    report.write_csv()
    return report
