#!/usr/bin/env python3
"""Scores `datareq parse --json` against a corpus's expected JSON (a dev aid; the asserting
test is tests/corpus_dev.rs). Usage: bench/score.py DIR [--sources free_text,text_form] [-v]"""
import json, subprocess, sys, glob, os, re, collections

d = sys.argv[1]
verbose = '-v' in sys.argv
sources = None
if '--sources' in sys.argv:
    sources = sys.argv[sys.argv.index('--sources') + 1].split(',')
exp_files = sorted(glob.glob(os.path.join(d, '*.expected.json')))
emls = [f.replace('.expected.json', '.eml') for f in exp_files]
binary = os.environ.get('DATAREQ', 'target/release/datareq')
out = subprocess.run([binary, 'parse', '--json'] + emls, capture_output=True, text=True).stdout.splitlines()
got = [json.loads(l) for l in out]
FIELDS = ["surname", "first_names", "former_names", "personal_id", "requested_information",
          "service_provider", "treatment_years", "phone", "sms_consent", "address"]
def loose(s):
    return re.sub(r'[^\w]+', ' ', (s or '').lower()).strip()
ok = collections.Counter(); n = 0; status_ok = 0; bad_complete = 0; errs = collections.defaultdict(list)
for ef, g in zip(exp_files, got):
    e = json.load(open(ef))
    if sources and e['source'] not in sources:
        continue
    n += 1
    if e['status'] == g['status']:
        status_ok += 1
    else:
        errs['status'].append((os.path.basename(ef), e['status'], g['status'], e['review_reasons'], g['review_reasons']))
    if g['status'] == 'complete' and e['status'] != 'complete':
        bad_complete += 1
    for f in FIELDS:
        ev, gv = e['fields'][f], g['fields'][f]
        same = loose(ev) == loose(gv) if f == 'requested_information' else ev == gv
        if same:
            ok[f] += 1
        else:
            errs[f].append((os.path.basename(ef), ev, gv))
print(f"messages {n}  status {status_ok/n:.3f}  wrong-complete {bad_complete}")
for f in FIELDS:
    print(f"  {f:24} {ok[f]/n:.3f}")
if verbose:
    for k, v in errs.items():
        print('==', k, len(v))
        for x in v[:40]:
            print('  ', x)
