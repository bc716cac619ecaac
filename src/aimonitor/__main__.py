import gc

gc.disable()  # no collection while the CLI module imports; main() defers it further (cli.defer_collection)
from aimonitor.cli import main  # noqa: E402

gc.enable()

if __name__ == "__main__":  # pragma: no cover
    main()
