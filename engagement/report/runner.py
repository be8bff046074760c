"""Run the ETL through the report notebook with papermill; keep the notebook and an HTML copy.

``execute_report`` is the one entry point: parameterize, execute, write
``<output_dir>/<runId>.ipynb`` and ``<output_dir>/<runId>.html`` (code hidden, charts
embedded), and raise :class:`ReportError` if the notebook failed (its output, with
papermill's error banner, is written all the same).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from ..errors import EngagementError, UsageError
from ..options import RunOptions, resolve, unknown
from ..store.lifecycle import new_run_id
from ..store.trends import check_interval

#: The report notebook of a source checkout (or of the installed project tree).
NOTEBOOK = Path(str(files("engagement.notebooks") / "etl.ipynb"))  # package data


def _exit_codes(base: type[EngagementError] = EngagementError) -> dict[str, int]:
    """The exit code of each library error, by its name (what a notebook's error carries)."""
    codes = {base.__name__: base.exit_code}
    for sub in base.__subclasses__():
        codes.update(_exit_codes(sub))
    return codes


class ReportError(EngagementError):
    """The notebook failed; ``notebook`` is the executed copy with the error in it."""

    def __init__(self, ename: str, evalue: str, notebook: Path) -> None:
        super().__init__(f"{ename}: {evalue} (see {notebook})")
        self.ename = ename
        self.evalue = evalue
        self.notebook = notebook
        self.exit_code = _exit_codes().get(ename, 1)


@dataclass(frozen=True)
class ReportFiles:
    """What a report run wrote."""

    run_id: str
    notebook: Path
    html: Path


def _kernel_manager_class() -> type:
    """A kernel manager on IPC sockets: no TCP ports, no unencrypted-TCP warning."""
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import CaselessStrEnum

    class IPCKernelManager(AsyncKernelManager):
        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

        async def _async_interrupt_kernel(self) -> None:
            # jupyter_client interrupts the kernel before asking it to shut down; a SIGINT
            # that lands while the kernel tidies up makes ipykernel print "KeyboardInterrupt
            # caught in kernel" on our stderr. The shutdown request (then a kill, if the
            # kernel does not answer) is enough to stop it.
            if self.shutting_down:
                return
            await super()._async_interrupt_kernel()

    return IPCKernelManager


def write_html(notebook: Path) -> Path:
    """A self-contained HTML copy of an executed notebook, without the code."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(  # type: ignore[no-untyped-call]
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    body, _ = exporter.from_filename(str(notebook))
    html = notebook.with_suffix(".html")
    html.write_text(body, encoding="utf-8")
    return html


def execute_report(
    inputs: Sequence[str | os.PathLike[str]],
    options: RunOptions | None = None,
    *,
    output_dir: str | os.PathLike[str] = "reports",
    database: str | None = None,
    campaigns: Sequence[str] = (),
    top_n: int = 10,
    notebook: str | os.PathLike[str] = NOTEBOOK,
    progress: bool = False,
    trend_interval: str = "week",
    costs: str | os.PathLike[str] | None = None,
    **changes: Any,
) -> ReportFiles:
    """Execute the report notebook on ``inputs`` and write the notebook and its HTML.

    The run's ``options`` (with ``changes`` by option name over them) become the
    notebook's parameters of the same names; the options not given there are resolved in
    the kernel, from the ``ENGAGEMENT_*`` environment. The store comes from the
    environment (``ENGAGEMENT_MONGODB_URI``), so that no credentials end up in the saved
    notebook. ``costs`` is a costs file (:func:`engagement.run_etl`). A refused run's report
    says why, shows its rejects, and fails
    (:class:`ReportError` named ``RunRefusedError``).
    """
    import papermill

    if not inputs:
        raise UsageError("no input files given")
    unknown(changes)
    given = {**(options.to_dict() if options else {}), **changes}
    resolve(given)  # a bad option is a usage error here, not in the kernel
    source = Path(notebook)
    if not source.is_file():
        raise UsageError(f"report notebook not found: {source}")
    interval = check_interval(trend_interval)  # every refusal before anything is written
    run_id = new_run_id()
    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    output = folder / f"{run_id}.ipynb"
    parameters = {
        "input_paths": [os.path.abspath(p) for p in inputs],
        **given,
        "database": database,
        "campaigns": list(campaigns),
        "top_n": top_n,
        "run_id": run_id,
        "trend_interval": interval,
        "costs": None if costs is None else os.path.abspath(costs),
    }
    failure: ReportError | None = None
    try:
        papermill.execute_notebook(
            str(source),
            str(output),
            parameters=parameters,
            kernel_name="python3",
            progress_bar=progress,
            cwd=os.getcwd(),
            kernel_manager_class=_kernel_manager_class(),
        )
    except papermill.PapermillExecutionError as exc:
        failure = ReportError(exc.ename, exc.evalue, output)
    html = write_html(output)
    if failure is not None:
        raise failure
    return ReportFiles(run_id, output, html)
