"""The rules of the product in plain Python: no Flask, no database, `now` always passed in."""
