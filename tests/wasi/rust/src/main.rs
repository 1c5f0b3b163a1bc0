//! Exercises Rust's std on WASI: `wasi-rust.wasm COMMAND [ARGS]`, one command per run.
//! Output is deterministic so tests can compare it exactly.

use std::collections::BTreeMap;
use std::io::{BufRead, Read, Seek, SeekFrom, Write};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use std::{env, fs, process};

fn main() {
    let args: Vec<String> = env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("args") => {
            for (i, a) in args.iter().enumerate().skip(1) {
                println!("arg {i}: {a:?}");
            }
        }
        Some("env") => {
            let vars: BTreeMap<String, String> = env::vars().collect();
            for (k, v) in &vars {
                println!("{k}={v}");
            }
            println!("SPUR_MISSING is {:?}", env::var("SPUR_MISSING").ok());
        }
        Some("fs") => fs_test(),
        Some("stdin") => {
            let stdin = std::io::stdin();
            let mut words = 0;
            let mut lines = 0;
            let mut longest = String::new();
            for line in stdin.lock().lines() {
                let line = line.expect("read stdin");
                lines += 1;
                words += line.split_whitespace().count();
                if line.len() > longest.len() {
                    longest = line;
                }
            }
            println!("{lines} lines, {words} words, longest: {longest:?}");
        }
        Some("time") => {
            let since = SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970");
            println!("after 2024: {}", since.as_secs() > 1_704_067_200);
            let t = Instant::now();
            std::thread::sleep(Duration::from_millis(30));
            let slept = t.elapsed();
            println!("slept >= 30ms: {}", slept >= Duration::from_millis(30));
            let mut hasher = std::collections::hash_map::RandomState::new();
            let _ = &mut hasher; // RandomState seeds itself from random_get
            println!("random state ok");
        }
        Some("exit") => {
            let code: i32 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(0);
            println!("exiting with {code}");
            process::exit(code);
        }
        Some("panic") => {
            eprintln!("about to panic");
            let v: Vec<u32> = Vec::new();
            let i = args.len() + 10;
            println!("{}", v[i]);
        }
        Some("ls") => {
            let dir = args.get(2).map_or(".", String::as_str);
            let mut names: Vec<String> = fs::read_dir(dir)
                .expect("read_dir")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            let total: usize = names.iter().map(String::len).sum();
            println!("{} entries, {total} name bytes", names.len());
            println!("first {:?}, last {:?}", names.first(), names.last());
        }
        Some("sandbox") => {
            for path in ["../outside.txt", "/etc/passwd", "sub/../../outside.txt", "escape"] {
                match fs::read_to_string(path) {
                    Ok(s) => println!("read {path}: ALLOWED ({} bytes)", s.len()),
                    Err(e) => println!("read {path}: {:?}", e.kind()),
                }
            }
            match fs::read_dir("..") {
                Ok(_) => println!("read_dir ..: ALLOWED"),
                Err(e) => println!("read_dir ..: {:?}", e.kind()),
            }
            match fs::write("../created.txt", "x") {
                Ok(()) => println!("write ../created.txt: ALLOWED"),
                Err(e) => println!("write ../created.txt: {:?}", e.kind()),
            }
        }
        _ => {
            eprintln!("usage: wasi-rust.wasm args|env|fs|stdin|time|exit N|panic|ls [DIR]|sandbox");
            process::exit(2);
        }
    }
}

fn fs_test() {
    fs::create_dir_all("work/a/b").expect("create_dir_all");
    fs::write("work/a/hello.txt", "hello from rust\n").expect("write");
    let mut f = fs::OpenOptions::new().append(true).open("work/a/hello.txt").expect("open append");
    writeln!(f, "second line").expect("append");
    drop(f);
    let text = fs::read_to_string("work/a/hello.txt").expect("read");
    print!("{text}");
    let meta = fs::metadata("work/a/hello.txt").expect("metadata");
    println!("len {} file {} dir {}", meta.len(), meta.is_file(), meta.is_dir());
    println!("modified is set: {}", meta.modified().is_ok_and(|t| t > UNIX_EPOCH));

    let mut f = fs::OpenOptions::new().read(true).write(true).open("work/a/hello.txt").expect("open rw");
    f.seek(SeekFrom::Start(6)).expect("seek");
    f.write_all(b"FROM").expect("overwrite");
    f.seek(SeekFrom::Start(0)).expect("rewind");
    let mut s = String::new();
    f.read_to_string(&mut s).expect("read back");
    println!("after overwrite: {:?}", s.lines().next().unwrap_or_default());
    f.set_len(5).expect("set_len");
    drop(f);
    println!("after set_len: {:?}", fs::read_to_string("work/a/hello.txt").expect("read"));

    for i in 0..3 {
        fs::write(format!("work/a/b/file{i}.txt"), i.to_string().repeat(i + 1)).expect("write");
    }
    let mut names: Vec<String> = fs::read_dir("work/a/b")
        .expect("read_dir")
        .map(|e| {
            let e = e.expect("entry");
            let size = e.metadata().expect("entry metadata").len();
            format!("{}({size})", e.file_name().to_string_lossy())
        })
        .collect();
    names.sort();
    println!("listing: {}", names.join(" "));

    fs::rename("work/a/b/file0.txt", "work/renamed.txt").expect("rename");
    println!("renamed exists: {}", fs::exists("work/renamed.txt").expect("exists"));
    println!("old exists: {}", fs::exists("work/a/b/file0.txt").expect("exists"));
    fs::copy("work/renamed.txt", "work/copy.txt").expect("copy");
    println!("copy: {:?}", fs::read_to_string("work/copy.txt").expect("read copy"));
    match fs::remove_dir("work/a") {
        Ok(()) => println!("remove non-empty dir: ALLOWED"),
        Err(e) => println!("remove non-empty dir: {:?}", e.kind()),
    }
    match fs::read_to_string("work/missing") {
        Ok(_) => println!("missing: found"),
        Err(e) => println!("missing: {:?}", e.kind()),
    }
    fs::remove_dir_all("work").expect("remove_dir_all");
    println!("work exists after remove_dir_all: {}", fs::exists("work").expect("exists"));
}
