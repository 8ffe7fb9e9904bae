#!/usr/bin/env python3
"""Make a synthetic Jekyll site of N posts for the benchmarks.

usage: bench/make-site.py N OUT_DIR [SAMPLE]

The posts are a sample's (samples/SAMPLE, default handbook: its _posts or
posts folder) repeated in turn, so the mix of prose, lists, tables, code, footnotes, images, maths
and scripts is the sample's; each copy gets its own title, date and file
name. The site's config, includes and images are copied beside them.
"""
import datetime
import os
import re
import shutil
import sys


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    name = sys.argv[3] if len(sys.argv) > 3 else "handbook"
    here = os.path.dirname(os.path.abspath(__file__))
    sample = os.path.join(here, "..", "samples", name)
    folder = "_posts" if os.path.isdir(os.path.join(sample, "_posts")) else "posts"
    if os.path.exists(out):
        # only a site this script made (or an empty folder) is replaced
        if os.listdir(out) and not os.path.exists(os.path.join(out, ".bench-site")):
            sys.exit(f"{out} exists and is not a site made by make-site.py: not touching it")
        shutil.rmtree(out)
    shutil.copytree(sample, out, ignore=shutil.ignore_patterns(folder, "_drafts"))
    open(os.path.join(out, ".bench-site"), "w").close()
    src = sorted(os.path.join(d, f) for d, _, fs in os.walk(os.path.join(sample, folder))
                 for f in fs if f.endswith((".md", ".markdown")))
    texts = []
    for f in src:
        with open(f, encoding="utf-8-sig") as fh:
            t = fh.read().replace("\r\n", "\n")
        if re.search(r"(?mi)^published:\s*false", t):
            continue
        texts.append(t)
    posts = os.path.join(out, "_posts")
    os.makedirs(posts)
    for i in range(n):
        t = texts[i % len(texts)]
        # one post a day from 1990: 10,000 posts end in 2017, all in the past
        d = datetime.date(1990, 1, 1) + datetime.timedelta(days=i)
        day, month, year = d.day, d.month, d.year
        t = re.sub(r"(?m)^title:\s*(.*)$",
                   lambda m: f"title: \"{m.group(1).strip(chr(34) + chr(39))} ({i + 1})\"", t, count=1)
        t = re.sub(r"(?m)^date:.*\n", "", t, count=1)
        t = re.sub(r"(?m)^permalink:.*\n", "", t)
        name = f"{year:04d}-{month:02d}-{day:02d}-post-{i:05d}.md"
        with open(os.path.join(posts, name), "w", encoding="utf-8") as fh:
            fh.write(t)


if __name__ == "__main__":
    main()
