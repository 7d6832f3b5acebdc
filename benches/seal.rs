//! Sealing cost: one OpenPGP encryption to the storage key (what every stored value pays) and
//! one opening, for a request's JSON (~1 KB) and a message (~6 KB).

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use datareq::crypto::KeyDir;

fn seal(c: &mut Criterion) {
    let tmp = tempfile::tempdir().unwrap();
    let keys = KeyDir::new(tmp.path().join("keys")).load(true, 0).unwrap();
    for (name, size) in [("1KB", 1024), ("6KB", 6 * 1024)] {
        let value = vec![b'x'; size];
        c.bench_function(&format!("seal/{name}"), |b| {
            b.iter(|| keys.sealer.seal(black_box(&value)).unwrap())
        });
        let sealed = keys.sealer.seal(&value).unwrap();
        c.bench_function(&format!("open/{name}"), |b| {
            b.iter(|| keys.sealer.open(black_box(&sealed)).unwrap())
        });
    }
}

criterion_group!(benches, seal);
criterion_main!(benches);
