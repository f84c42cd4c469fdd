#!/usr/bin/env python3
"""A tiny offline notes tool for the toolgate demo.

Called by toolgate as a script tool: the call's JSON arguments arrive on
stdin, the result goes to stdout as JSON. Notes live in a JSON file under
NOTES_DIR (default: /tmp/toolgate-demo-notes).
"""
import json
import os
import sys


def notes_path():
    d = os.environ.get("NOTES_DIR", "/var/tmp/toolgate-demo-notes")
    os.makedirs(d, exist_ok=True)
    return os.path.join(d, "notes.json")


def load():
    try:
        with open(notes_path()) as f:
            return json.load(f)
    except FileNotFoundError:
        return []


def save(notes):
    tmp = notes_path() + ".tmp"
    with open(tmp, "w") as f:
        json.dump(notes, f)
    os.replace(tmp, notes_path())  # atomic: a crash never leaves half a file


def main():
    args = json.load(sys.stdin)
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    notes = load()
    if cmd == "add":
        notes.append(args["text"])
        save(notes)
        print(json.dumps({"id": len(notes), "count": len(notes)}))
    elif cmd == "list":
        q = args.get("contains", "")
        print(json.dumps({"notes": [n for n in notes if q in n]}))
    elif cmd == "clear":
        save([])
        print(json.dumps({"cleared": len(notes)}))
    else:
        print(f"unknown command: {cmd}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
