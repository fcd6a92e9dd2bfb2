"""The default limits of one conversation PDF's render in a worker process (`import_legacy --cpu-limit`,
`--memory-limit`), apart from pdf.py so that reading them does not load WeasyPrint.

CPU time, not wall-clock time: how long a render takes on the clock depends on the machine's load that minute,
the CPU time it needs does not. A valid 2 MB dialog (about 750 pages) needs about 35 s of CPU time and 350 MB;
the limits leave room for several times that and stop only hostile or broken input."""

DEFAULT_CPU_S = 300
DEFAULT_MEMORY_MB = 2048
