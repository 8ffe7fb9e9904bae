#!/usr/bin/env python3
"""Differential fuzzing of src/mdtree.c against the HTML route.

usage: tests/tools/mdtree_fuzz.py BOOKIFY FIRST_SEED LAST_SEED [CORPUS_DIR...]

For each seed, makes a site of 40 posts from lines of the samples' (and the
given corpora's) Markdown, mutated with Markdown's punctuation (emphasis,
links, notes, tables, code fences, entities, indentation...), with raw HTML
mostly stripped so that the straight route is taken, and builds its EPUB
both ways (BOOKIFY_MD_VIA_HTML=1 for the HTML route). Any difference in the
books or the messages is reported with the seed; the site is kept in
/tmp/mdtree-fuzz-SEED to look at. Run by hand (docs/fuzzing.md): a few
minutes for 50 seeds.
"""
import glob
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

SNIPS = ['*', '_', '**', '`', '[', ']', '(', ')', '[^1]', '[^x]', '~~', '~', '\\', '![', '<',
         '&amp;', '&', '"', "'", '|', ' ', '  ', '\t', '> ', '- ', '1. ', '#', '```', '    ',
         'www.x.com', 'http://a.b/c d', '[^1]: n', '\n', ':', '$', '{:', '<!-- c -->', 'é',
         '日本', 'ـ', '\u200b', '- [ ] ', '| a |', '|---|']


def bodies(dirs):
    out = []
    for d in dirs:
        for f in glob.glob(os.path.join(d, '**', '*.md'), recursive=True):
            t = open(f, encoding='utf-8', errors='replace').read()
            m = re.match(r'^---\n.*?\n---\n', t, re.S)
            out.append(t[m.end():] if m else t)
    return out


def make_site(seed, lines, out):
    rnd = random.Random(seed)
    os.makedirs(os.path.join(out, '_posts'))
    for i in range(40):
        body = []
        for _ in range(rnd.randint(3, 60)):
            line = rnd.choice(lines)
            for _ in range(rnd.randint(0, 6)):
                k = rnd.randint(0, len(line))
                line = line[:k] + rnd.choice(SNIPS) + line[k:]
            if rnd.random() < 0.1:
                line = rnd.choice(['', '  ', '    ']) + line
            body.append(line)
        text = '\n'.join(body)
        if rnd.random() < 0.8:
            text = re.sub(r'<[^>\n]*>', '', text)
        with open(os.path.join(out, '_posts', f'2020-01-{i % 28 + 1:02d}-p{i}.md'), 'w') as f:
            f.write(f'---\ntitle: Post {i}\n---\n{text}\n')


def build(bookify, site, out, via_html):
    env = dict(os.environ, SOURCE_DATE_EPOCH='1764000000')
    if via_html:
        env['BOOKIFY_MD_VIA_HTML'] = '1'
    r = subprocess.run([bookify, '-q', '--epub=' + out, site], env=env, capture_output=True)
    data = open(out, 'rb').read() if os.path.exists(out) else b''
    return r.returncode, r.stderr, data


def main():
    bookify, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.join(here, '..', '..')
    dirs = [os.path.join(root, 'samples'), os.path.join(root, 'tests', 'e2e', 'mdtree')] + sys.argv[4:]
    lines = [l for b in bodies(dirs) for l in b.split('\n')]
    failed = 0
    for seed in range(first, last + 1):
        tmp = tempfile.mkdtemp()
        site = os.path.join(tmp, 'site')
        make_site(seed, lines, site)
        a = build(bookify, site, os.path.join(tmp, 'a.epub'), False)
        b = build(bookify, site, os.path.join(tmp, 'b.epub'), True)
        if a != b:
            keep = f'/tmp/mdtree-fuzz-{seed}'
            shutil.rmtree(keep, ignore_errors=True)
            shutil.copytree(site, keep)
            print(f'seed {seed}: the books differ (site kept in {keep})')
            failed += 1
        shutil.rmtree(tmp)
    print(f'{last - first + 1} seeds, {failed} with differences')
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
