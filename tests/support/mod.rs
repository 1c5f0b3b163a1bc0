//! What spur's integration tests and `tracedump`'s share: a writer to capture the JIT's
//! output in, the host function the golden-trace programs import, and the dump text
//! without its machine code.

#![allow(dead_code, reason = "each test crate uses what it needs")]

use std::sync::{Arc, Mutex};

/// A writer whose bytes the test reads back.
#[derive(Clone, Default)]
pub struct Shared(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    /// Everything written so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// `env.mix`, the host function `traces/host_call.wat` imports (other programs ignore it).
pub fn host_mix(x: i32) -> i32 {
    let mut x = x as u32;
    x ^= x >> 15;
    x = x.wrapping_mul(0x2c1b_3c6d);
    x ^= x >> 12;
    x as i32
}

/// Drops the machine-code listing of every trace, keeping its header line without the
/// byte count (which may depend on where the helpers are, so is not part of golden
/// output).
pub fn without_mcode(dump: &str) -> String {
    let mut out = String::new();
    let mut in_mcode = false;
    for line in dump.lines() {
        if let Some(rest) = line.strip_prefix("---- TRACE ") {
            let mut words = rest.split_whitespace();
            let number = words.next().unwrap_or_default();
            in_mcode = words.next() == Some("mcode");
            if in_mcode {
                out.push_str(&format!("---- TRACE {number} mcode\n"));
                continue;
            }
        } else if in_mcode {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}
