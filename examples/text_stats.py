#!/usr/bin/env python3
"""Counts the lines, words and characters of a text (toolgate demo tool)."""
import json
import sys

args = json.load(sys.stdin)
text = args["text"]
print(json.dumps({"lines": text.count("\n"), "words": len(text.split()), "chars": len(text)}))
