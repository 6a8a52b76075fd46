"""`python -m mevcli`: the same app as the `mevcli` command."""

from mevcli.cli.app import main

if __name__ == "__main__":
    main()
