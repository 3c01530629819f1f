"""Hostile: prints 10 MB when imported, and defines nothing."""

line = "x" * 1023
for _ in range(10 * 1024):
    print(line)
