#!/usr/bin/env bash
# Hand-off throughput: COUNT generated dev-family requests (default 5,000, seed 9) are
# ingested into SQLite, then `datareq disclosure pickup` writes one encrypted bundle per
# complete request for a GnuPG-made Helsinki key. Prints the ingest time, the pick-up time,
# bundles per second, the bundles' total size, peak RSS of the pick-up, and the time GnuPG
# takes to decrypt a sample of 100 bundles (what City staff wait for).
#
# Usage: bench/pickup.sh [COUNT]
# Needs ../shared (the generator), gpg, /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-5000}"
source bench/common.sh
corpus 9 "$count"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export GNUPGHOME="$tmp/gnupg"
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key 'Helsinki bench <bench@hel.example>' default default never
gpg --batch --quiet --armor --export bench@hel.example >"$tmp/helsinki.asc"
sed "s|certificates = \[\]|certificates = [\"$tmp/helsinki.asc\"]|" config/datareq.example.toml >"$tmp/datareq.toml"
cd "$tmp"
seconds() { python3 -c 'import time; print(time.monotonic())'; }

t0=$(seconds)
find "$OLDPWD/$corpus" -name '*.eml' -print0 | xargs -0 "$bin" --config datareq.toml ingest --quiet >/dev/null
t1=$(seconds)
queued=$("$bin" --config datareq.toml requests list --status queued | wc -l)
/usr/bin/time -f '%M' -o rss "$bin" --config datareq.toml disclosure pickup --org helsinki --out out --limit 10000 >/dev/null 2>&1
t2=$(seconds)
bundles=$(find out -name '*.pgp' | wc -l)
bytes=$(du -sb out | cut -f1)
sample=$(find out -name '*.pgp' | head -100)
t3=$(seconds)
for f in $sample; do gpg --batch --quiet --decrypt "$f" >/dev/null; done
t4=$(seconds)
python3 - "$count" "$queued" "$bundles" "$bytes" "$(cat rss)" "$t0" "$t1" "$t2" "$t3" "$t4" <<'PY'
import sys
count, queued, bundles, size, rss = map(int, sys.argv[1:6])
t0, t1, t2, t3, t4 = map(float, sys.argv[6:11])
sampled = min(bundles, 100)
print(f"messages ingested      {count} in {t1 - t0:.1f} s")
print(f"complete (queued)      {queued}")
print(f"bundles written        {bundles} in {t2 - t1:.2f} s = {bundles / (t2 - t1):.0f} bundles/s")
print(f"bundle size            {size / max(bundles, 1) / 1024:.1f} KiB average, {size / 1048576:.1f} MiB in all")
print(f"pick-up peak RSS       {rss / 1024:.1f} MB")
print(f"gpg --decrypt          {sampled} bundles in {t4 - t3:.2f} s = {(t4 - t3) / max(sampled, 1) * 1000:.0f} ms each")
PY
