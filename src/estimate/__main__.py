"""``python -m estimate``: the same command line as the ``estimate`` console script."""

from estimate.cli import main

if __name__ == "__main__":
    main()
