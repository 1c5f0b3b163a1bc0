// A mixed JavaScript workload for the QuickJS program of spur-compare: classes and
// closures, arrays and sorting, strings and regular expressions, Map/Set, JSON, and
// floating-point arithmetic. Deterministic: its output is checked against a native run.

function rng(seed) {
    let s = seed >>> 0;
    return () => {
        s ^= s << 13; s >>>= 0;
        s ^= s >>> 17;
        s ^= s << 5; s >>>= 0;
        return s;
    };
}

class Vec {
    constructor(x, y, z) { this.x = x; this.y = y; this.z = z; }
    add(o) { return new Vec(this.x + o.x, this.y + o.y, this.z + o.z); }
    scale(k) { return new Vec(this.x * k, this.y * k, this.z * k); }
    dot(o) { return this.x * o.x + this.y * o.y + this.z * o.z; }
}

function particles(n, steps) {
    const r = rng(7);
    const ps = [];
    for (let i = 0; i < n; i++) {
        ps.push({ p: new Vec(r() % 100, r() % 100, r() % 100), v: new Vec(1, 0.5, 0.25) });
    }
    let energy = 0;
    for (let s = 0; s < steps; s++) {
        for (const q of ps) {
            q.p = q.p.add(q.v.scale(0.01));
            energy += q.v.dot(q.v) * 0.5;
        }
    }
    return Math.round(energy * 1000) / 1000;
}

function sorting(n) {
    const r = rng(11);
    const a = [];
    for (let i = 0; i < n; i++) a.push({ key: r() % 10000, id: i });
    a.sort((x, y) => x.key - y.key || x.id - y.id);
    let h = 0;
    for (let i = 0; i < a.length; i += 97) h = (h * 31 + a[i].key + a[i].id) >>> 0;
    return h;
}

function strings(n) {
    const words = [];
    const r = rng(3);
    for (let i = 0; i < n; i++) {
        let w = "";
        const len = 3 + (r() % 8);
        for (let k = 0; k < len; k++) w += String.fromCharCode(97 + (r() % 26));
        words.push(w);
    }
    const text = words.join(" ");
    const counts = new Map();
    for (const m of text.matchAll(/\b([a-z])[a-z]*([aeiou])\b/g)) {
        const k = m[1] + m[2];
        counts.set(k, (counts.get(k) || 0) + 1);
    }
    const upper = text.replace(/[aeiou]/g, (c) => c.toUpperCase());
    const keys = [...counts.keys()].sort();
    return keys.length + ":" + counts.get(keys[0]) + ":" + upper.length + ":" + upper.slice(0, 24);
}

function closures(n) {
    const fs = [];
    for (let i = 0; i < 64; i++) fs.push((x) => (x * (i + 1) + i) % 1000003);
    let acc = 1;
    for (let i = 0; i < n; i++) acc = fs[i & 63](acc);
    return acc;
}

function json(n) {
    const r = rng(5);
    const items = [];
    for (let i = 0; i < n; i++) items.push({ id: i, name: "item" + (r() % 1000), tags: [r() % 7, r() % 11], ok: (r() & 1) === 1 });
    const s = JSON.stringify(items);
    const back = JSON.parse(s);
    let sum = 0;
    const seen = new Set();
    for (const it of back) {
        if (it.ok) sum += it.tags[0] + it.tags[1];
        seen.add(it.name);
    }
    return s.length + ":" + sum + ":" + seen.size;
}

print("particles", particles(2000, 60));
print("sorting", sorting(60000));
print("strings", strings(40000));
print("closures", closures(2000000));
print("json", json(20000));
