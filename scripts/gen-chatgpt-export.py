#!/usr/bin/env python3
"""Generate a large synthetic ChatGPT export (conversations.json) to measure import memory.

Usage: scripts/gen-chatgpt-export.py OUT.json [SIZE_MB]   (default 300 MB)

Written conversation by conversation, so generating it needs little memory itself. Each
conversation has a system message, regenerated branches, tool calls and two model slugs, like a
real export. Do not commit the output.
"""
import json, random, sys

out = sys.argv[1]
target = int(sys.argv[2] if len(sys.argv) > 2 else 300) * 1024 * 1024
rng = random.Random(7)
WORDS = ("i feel lonely today my boss code python trip plan poem sea friend sleep doctor "
         "the and you to of it that was with for this what have be not do can").split()

def text(n):
    return " ".join(rng.choice(WORDS) for _ in range(n))

def msg(mid, role, parts, t, model=None, ctype="text", recipient="all"):
    m = {"id": mid, "author": {"role": role, "name": None, "metadata": {}}, "create_time": t,
         "update_time": None, "content": {"content_type": ctype, "parts": parts},
         "status": "finished_successfully", "end_turn": True, "weight": 1.0, "metadata": {},
         "recipient": recipient}
    if model:
        m["metadata"]["model_slug"] = model
    return m

written = 0
i = 0
with open(out, "w") as f:
    f.write("[")
    while written < target:
        t0 = 1.70e9 + i * 3600
        mapping = {"root": {"id": "root", "message": None, "parent": None, "children": ["s"]}}
        mapping["s"] = {"id": "s", "message": msg("s", "system", [""], None), "parent": "root", "children": []}
        parent = "s"
        for k in range(rng.randint(5, 30)):
            u, a, alt = f"u{k}", f"a{k}", f"r{k}"
            model = "gpt-4o" if t0 < 1.70e9 + 3000 * 3600 else "gpt-5"
            mapping[parent]["children"].append(u)
            mapping[u] = {"id": u, "message": msg(u, "user", [text(rng.randint(5, 60))], t0 + k * 60),
                          "parent": parent, "children": [a, alt] if k % 4 == 0 else [a]}
            if k % 4 == 0:
                mapping[alt] = {"id": alt, "message": msg(alt, "assistant", [text(80)], t0 + k * 60 + 5, model),
                                "parent": u, "children": []}
            mapping[a] = {"id": a, "message": msg(a, "assistant", [text(rng.randint(20, 400))], t0 + k * 60 + 9, model),
                          "parent": u, "children": []}
            parent = a
        conv = {"title": text(4), "create_time": t0, "update_time": t0 + 3600, "mapping": mapping,
                "current_node": parent, "conversation_id": f"conv-{i}", "id": f"conv-{i}",
                "moderation_results": [], "is_archived": False}
        s = json.dumps(conv)
        if i:
            f.write(",")
        f.write(s)
        written += len(s) + 1
        i += 1
    f.write("]")
print(f"{out}: {i} conversations, {written / 1048576:.0f} MB")
