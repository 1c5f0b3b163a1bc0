//! Checked access to guest linear memory.
//!
//! Every pointer and length a guest passes is validated here: an access that does not lie
//! entirely inside the memory is `EFAULT`, never a panic. Values are little-endian.

use super::types::{Errno, size};

/// A view of the guest's linear memory for the duration of one step of a WASI call.
pub(crate) struct Guest<'a>(pub(crate) &'a mut [u8]);

/// One `$iovec`/`$ciovec`: a guest buffer address and length.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IoVec {
    pub(crate) ptr: u32,
    pub(crate) len: u32,
}

impl Guest<'_> {
    fn range(&self, ptr: u32, len: u32) -> Result<std::ops::Range<usize>, Errno> {
        let start = ptr as usize;
        let end = start.checked_add(len as usize).ok_or(Errno::FAULT)?;
        if end > self.0.len() {
            return Err(Errno::FAULT);
        }
        Ok(start..end)
    }

    /// The `len` bytes at `ptr`.
    pub(crate) fn bytes(&self, ptr: u32, len: u32) -> Result<&[u8], Errno> {
        let r = self.range(ptr, len)?;
        Ok(&self.0[r])
    }

    /// The `len` bytes at `ptr`, mutably.
    pub(crate) fn bytes_mut(&mut self, ptr: u32, len: u32) -> Result<&mut [u8], Errno> {
        let r = self.range(ptr, len)?;
        Ok(&mut self.0[r])
    }

    /// Copies `data` to `ptr`.
    pub(crate) fn write(&mut self, ptr: u32, data: &[u8]) -> Result<(), Errno> {
        let len = u32::try_from(data.len()).map_err(|_| Errno::FAULT)?;
        self.bytes_mut(ptr, len)?.copy_from_slice(data);
        Ok(())
    }

    pub(crate) fn read_u8(&self, ptr: u32) -> Result<u8, Errno> {
        Ok(self.bytes(ptr, 1)?[0])
    }

    pub(crate) fn read_u16(&self, ptr: u32) -> Result<u16, Errno> {
        Ok(u16::from_le_bytes(
            self.bytes(ptr, 2)?.try_into().expect("2 bytes"),
        ))
    }

    pub(crate) fn read_u32(&self, ptr: u32) -> Result<u32, Errno> {
        Ok(u32::from_le_bytes(
            self.bytes(ptr, 4)?.try_into().expect("4 bytes"),
        ))
    }

    pub(crate) fn read_u64(&self, ptr: u32) -> Result<u64, Errno> {
        Ok(u64::from_le_bytes(
            self.bytes(ptr, 8)?.try_into().expect("8 bytes"),
        ))
    }

    pub(crate) fn write_u8(&mut self, ptr: u32, v: u8) -> Result<(), Errno> {
        self.write(ptr, &[v])
    }

    pub(crate) fn write_u32(&mut self, ptr: u32, v: u32) -> Result<(), Errno> {
        self.write(ptr, &v.to_le_bytes())
    }

    pub(crate) fn write_u64(&mut self, ptr: u32, v: u64) -> Result<(), Errno> {
        self.write(ptr, &v.to_le_bytes())
    }

    /// A UTF-8 string (a path) at `ptr`; invalid UTF-8 is `EILSEQ`, as in Wasmtime.
    pub(crate) fn string(&self, ptr: u32, len: u32) -> Result<String, Errno> {
        let bytes = self.bytes(ptr, len)?;
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| Errno::ILSEQ)
    }

    /// The `count` iovecs of the array at `ptr`, each checked to lie inside the memory.
    pub(crate) fn iovecs(&self, ptr: u32, count: u32) -> Result<Vec<IoVec>, Errno> {
        let total = count.checked_mul(size::IOVEC).ok_or(Errno::FAULT)?;
        let raw = self.bytes(ptr, total)?;
        let mut out = Vec::with_capacity(count as usize);
        for chunk in raw.chunks_exact(size::IOVEC as usize) {
            let v = IoVec {
                ptr: u32::from_le_bytes(chunk[0..4].try_into().expect("4 bytes")),
                len: u32::from_le_bytes(chunk[4..8].try_into().expect("4 bytes")),
            };
            self.range(v.ptr, v.len)?;
            out.push(v);
        }
        Ok(out)
    }

    /// The bytes of `iovs`, concatenated (the data of a write).
    pub(crate) fn gather(&self, iovs: &[IoVec]) -> Result<Vec<u8>, Errno> {
        let mut out = Vec::with_capacity(iovs.iter().map(|v| v.len as usize).sum());
        for v in iovs {
            out.extend_from_slice(self.bytes(v.ptr, v.len)?);
        }
        Ok(out)
    }

    /// Spreads `data` over `iovs` in order (the data of a read).
    pub(crate) fn scatter(&mut self, iovs: &[IoVec], mut data: &[u8]) -> Result<(), Errno> {
        for v in iovs {
            if data.is_empty() {
                break;
            }
            let n = data.len().min(v.len as usize);
            self.write(v.ptr, &data[..n])?;
            data = &data[n..];
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_bounds_is_efault() {
        let mut mem = vec![0u8; 16];
        let mut g = Guest(&mut mem);
        assert_eq!(g.read_u32(12), Ok(0));
        assert_eq!(g.read_u32(13), Err(Errno::FAULT));
        assert_eq!(g.read_u64(u32::MAX), Err(Errno::FAULT));
        assert_eq!(g.write(15, &[1, 2]), Err(Errno::FAULT));
        assert_eq!(g.bytes(0, u32::MAX).err(), Some(Errno::FAULT));
        assert_eq!(g.iovecs(8, u32::MAX).err(), Some(Errno::FAULT));
        // An iovec whose buffer lies outside memory is rejected when read.
        g.write_u32(0, 10).unwrap();
        g.write_u32(4, 100).unwrap();
        assert_eq!(g.iovecs(0, 1).err(), Some(Errno::FAULT));
    }

    #[test]
    fn scatter_and_gather() {
        let mut mem = vec![0u8; 32];
        let mut g = Guest(&mut mem);
        let iovs = [IoVec { ptr: 0, len: 2 }, IoVec { ptr: 10, len: 3 }];
        g.scatter(&iovs, b"abcd").unwrap();
        assert_eq!(g.gather(&iovs).unwrap(), b"abcd\0");
    }
}
