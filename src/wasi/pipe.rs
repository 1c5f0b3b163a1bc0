//! In-memory standard streams for embedders and tests: [`MemoryInputPipe`] feeds a guest's
//! stdin from bytes, [`MemoryOutputPipe`] captures its stdout or stderr.

use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex, PoisonError};

/// A stdin that reads from a fixed byte buffer, then reports end of file.
#[derive(Debug, Clone)]
pub struct MemoryInputPipe {
    data: Arc<[u8]>,
    pos: usize,
}

impl MemoryInputPipe {
    /// A pipe that yields `data`.
    pub fn new(data: impl Into<Vec<u8>>) -> MemoryInputPipe {
        MemoryInputPipe {
            data: data.into().into(),
            pos: 0,
        }
    }
}

impl Read for MemoryInputPipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let rest = &self.data[self.pos..];
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        Ok(n)
    }
}

/// A stdout or stderr that collects what the guest writes. Clones share the buffer, so keep
/// one to read [`contents`](MemoryOutputPipe::contents) after the run.
#[derive(Debug, Clone, Default)]
pub struct MemoryOutputPipe {
    buf: Arc<Mutex<Vec<u8>>>,
}

impl MemoryOutputPipe {
    /// An empty pipe.
    pub fn new() -> MemoryOutputPipe {
        MemoryOutputPipe::default()
    }

    /// Everything written so far.
    pub fn contents(&self) -> Vec<u8> {
        self.buf
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Write for MemoryOutputPipe {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
