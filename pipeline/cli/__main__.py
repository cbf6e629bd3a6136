"""`python -m pipeline.cli ...` runs the `narrmon` command (the local stack starts its alert
receiver this way, with the same interpreter)."""

from pipeline.cli import main

if __name__ == "__main__":
    main()
