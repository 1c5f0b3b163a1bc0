//! The file descriptor table and the operations on an open descriptor (`fd_*`).
//!
//! A descriptor is a standard stream, an open regular file, or an open directory (a
//! capability: paths are only ever resolved beneath one, by cap-std, see `path.rs`).
//! Descriptors 0-2 are stdio, preopened directories follow from 3, and new descriptors take
//! the lowest free number, as POSIX and wasi-libc expect.

use super::types::{Errno, Fdstat, Filestat, advice, fdflags, filetype, fstflags, rights, whence};
use cap_std::fs::{Dir, Metadata};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;

/// The most bytes one `fd_read`/`fd_pread` moves (a larger request is a short read).
const MAX_READ: usize = 16 << 20;

/// One entry of the descriptor table.
pub(crate) enum Descriptor {
    /// Standard input.
    Input(Input),
    /// Standard output or error.
    Output(Output),
    /// An open regular file (or other non-directory).
    File(OpenFile),
    /// An open directory.
    Dir(OpenDir),
}

/// A readable stream (stdin).
pub(crate) struct Input {
    pub(crate) stream: Box<dyn Read + Send>,
    /// Whether this is the host process's own stdin (then `poll_oneoff` really polls it).
    pub(crate) host: bool,
    pub(crate) tty: bool,
}

/// A writable stream (stdout, stderr).
pub(crate) struct Output {
    pub(crate) stream: Box<dyn Write + Send>,
    pub(crate) tty: bool,
}

/// An open file.
pub(crate) struct OpenFile {
    pub(crate) file: std::fs::File,
    pub(crate) read: bool,
    pub(crate) write: bool,
    pub(crate) flags: u16,
}

/// An open directory.
pub(crate) struct OpenDir {
    pub(crate) dir: Dir,
    /// The guest name, if this directory was preopened.
    pub(crate) preopen: Option<String>,
    /// The listing read by the last `fd_readdir` from cookie 0, reused for later cookies.
    pub(crate) listing: Option<Vec<DirListEntry>>,
}

/// One entry of a directory listing.
#[derive(Clone, Debug)]
pub(crate) struct DirListEntry {
    pub(crate) name: Vec<u8>,
    pub(crate) ino: u64,
    pub(crate) filetype: u8,
}

/// The descriptor table.
#[derive(Default)]
pub(crate) struct FdTable {
    slots: Vec<Option<Descriptor>>,
}

impl FdTable {
    /// Inserts at the lowest free number.
    pub(crate) fn insert(&mut self, d: Descriptor) -> Result<u32, Errno> {
        let idx = match self.slots.iter().position(Option::is_none) {
            Some(i) => {
                self.slots[i] = Some(d);
                i
            }
            None => {
                self.slots.push(Some(d));
                self.slots.len() - 1
            }
        };
        u32::try_from(idx).map_err(|_| Errno::MFILE)
    }

    pub(crate) fn get(&mut self, fd: u32) -> Result<&mut Descriptor, Errno> {
        self.slots
            .get_mut(fd as usize)
            .and_then(Option::as_mut)
            .ok_or(Errno::BADF)
    }

    pub(crate) fn dir(&mut self, fd: u32) -> Result<&mut OpenDir, Errno> {
        match self.get(fd)? {
            Descriptor::Dir(d) => Ok(d),
            _ => Err(Errno::NOTDIR),
        }
    }

    /// The directory handle of `fd`, shared (for operations on two directories at once).
    pub(crate) fn dir_handle(&self, fd: u32) -> Result<&Dir, Errno> {
        match self.slots.get(fd as usize).and_then(Option::as_ref) {
            Some(Descriptor::Dir(d)) => Ok(&d.dir),
            Some(_) => Err(Errno::NOTDIR),
            None => Err(Errno::BADF),
        }
    }

    /// Removes (closes) `fd`.
    pub(crate) fn remove(&mut self, fd: u32) -> Result<Descriptor, Errno> {
        let d = self
            .slots
            .get_mut(fd as usize)
            .and_then(Option::take)
            .ok_or(Errno::BADF)?;
        while matches!(self.slots.last(), Some(None)) {
            self.slots.pop();
        }
        Ok(d)
    }

    /// `fd_renumber`: moves `from` to `to`, closing what `to` held. Both must be open.
    pub(crate) fn renumber(&mut self, from: u32, to: u32) -> Result<(), Errno> {
        self.get(from)?;
        self.get(to)?;
        if from != to {
            let d = self.remove(from)?;
            self.slots[to as usize] = Some(d);
        }
        Ok(())
    }

    /// `fd_close`.
    pub(crate) fn close(&mut self, fd: u32) -> Result<(), Errno> {
        self.remove(fd).map(drop)
    }
}

/// The WASI file type of host metadata.
pub(crate) fn filetype_of(ft: cap_std::fs::FileType) -> u8 {
    use cap_std::fs::FileTypeExt;
    if ft.is_dir() {
        filetype::DIRECTORY
    } else if ft.is_file() {
        filetype::REGULAR_FILE
    } else if ft.is_symlink() {
        filetype::SYMBOLIC_LINK
    } else if ft.is_block_device() {
        filetype::BLOCK_DEVICE
    } else if ft.is_char_device() {
        filetype::CHARACTER_DEVICE
    } else if ft.is_socket() {
        filetype::SOCKET_STREAM
    } else {
        filetype::UNKNOWN
    }
}

fn nanos(secs: i64, nsecs: i64) -> u64 {
    u64::try_from(secs)
        .ok()
        .and_then(|s| s.checked_mul(1_000_000_000))
        .and_then(|s| s.checked_add(nsecs as u64))
        .unwrap_or(0)
}

/// The WASI `filestat` of host metadata.
pub(crate) fn filestat_of(m: &Metadata) -> Filestat {
    use cap_std::fs::MetadataExt;
    Filestat {
        dev: m.dev(),
        ino: m.ino(),
        filetype: filetype_of(m.file_type()),
        nlink: m.nlink(),
        size: m.len(),
        atim: nanos(m.atime(), m.atime_nsec()),
        mtim: nanos(m.mtime(), m.mtime_nsec()),
        ctim: nanos(m.ctime(), m.ctime_nsec()),
    }
}

/// Host timestamps for `*_set_times`: `None` leaves a time unchanged.
pub(crate) fn times_of(
    atim: u64,
    mtim: u64,
    flags: u16,
) -> Result<
    (
        Option<cap_fs_ext::SystemTimeSpec>,
        Option<cap_fs_ext::SystemTimeSpec>,
    ),
    Errno,
> {
    use cap_fs_ext::SystemTimeSpec;
    let one = |t: u64, set: u16, now: u16| -> Result<Option<SystemTimeSpec>, Errno> {
        match (flags & set != 0, flags & now != 0) {
            (true, true) => Err(Errno::INVAL),
            (false, true) => Ok(Some(SystemTimeSpec::SymbolicNow)),
            (true, false) => {
                let t = std::time::UNIX_EPOCH + std::time::Duration::from_nanos(t);
                Ok(Some(SystemTimeSpec::Absolute(
                    cap_std::time::SystemTime::from_std(t),
                )))
            }
            (false, false) => Ok(None),
        }
    };
    if flags & !(fstflags::ATIM | fstflags::ATIM_NOW | fstflags::MTIM | fstflags::MTIM_NOW) != 0 {
        return Err(Errno::INVAL);
    }
    Ok((
        one(atim, fstflags::ATIM, fstflags::ATIM_NOW)?,
        one(mtim, fstflags::MTIM, fstflags::MTIM_NOW)?,
    ))
}

/// Sets the times of an open file or directory (`futimens`).
fn set_fd_times(fd: impl rustix::fd::AsFd, atim: u64, mtim: u64, flags: u16) -> Result<(), Errno> {
    use rustix::fs::{Timespec, Timestamps, UTIME_NOW, UTIME_OMIT};
    let (a, m) = times_of(atim, mtim, flags)?;
    let spec = |s: Option<cap_fs_ext::SystemTimeSpec>, t: u64| match s {
        None => Timespec {
            tv_sec: 0,
            tv_nsec: UTIME_OMIT,
        },
        Some(cap_fs_ext::SystemTimeSpec::SymbolicNow) => Timespec {
            tv_sec: 0,
            tv_nsec: UTIME_NOW,
        },
        Some(cap_fs_ext::SystemTimeSpec::Absolute(_)) => Timespec {
            tv_sec: (t / 1_000_000_000) as _,
            tv_nsec: (t % 1_000_000_000) as _,
        },
    };
    let ts = Timestamps {
        last_access: spec(a, atim),
        last_modification: spec(m, mtim),
    };
    rustix::fs::futimens(fd, &ts).map_err(|e| Errno::from(io::Error::from(e)))
}

impl Descriptor {
    /// `fd_fdstat_get`.
    pub(crate) fn fdstat(&self) -> Fdstat {
        let stream = |tty: bool, base: u64| Fdstat {
            // A terminal is a character device without seek/tell (wasi-libc's `isatty`);
            // anything else (a pipe, a file, a test's buffer) is an unknown stream.
            filetype: if tty {
                filetype::CHARACTER_DEVICE
            } else {
                filetype::UNKNOWN
            },
            flags: 0,
            rights_base: base,
            rights_inheriting: 0,
        };
        match self {
            Descriptor::Input(i) => stream(i.tty, rights::STREAM & !rights::FD_WRITE),
            Descriptor::Output(o) => stream(o.tty, rights::STREAM & !rights::FD_READ),
            Descriptor::File(f) => {
                let ft = Metadata::from_file(&f.file).map(|m| filetype_of(m.file_type()));
                let mut base = rights::FILE_BASE;
                if f.read {
                    base |= rights::FD_READ;
                }
                if f.write {
                    base |= rights::FILE_WRITE;
                }
                Fdstat {
                    filetype: ft.unwrap_or(filetype::UNKNOWN),
                    flags: f.flags,
                    rights_base: base,
                    rights_inheriting: 0,
                }
            }
            Descriptor::Dir(_) => Fdstat {
                filetype: filetype::DIRECTORY,
                flags: 0,
                rights_base: rights::DIRECTORY,
                rights_inheriting: rights::DIRECTORY_INHERITING,
            },
        }
    }

    /// `fd_fdstat_set_flags`: APPEND and NONBLOCK can change on an open file; the sync
    /// flags only at open.
    pub(crate) fn set_flags(&mut self, flags: u16) -> Result<(), Errno> {
        use rustix::fs::OFlags;
        match self {
            Descriptor::File(f) => {
                if flags & (fdflags::DSYNC | fdflags::RSYNC | fdflags::SYNC)
                    != f.flags & (fdflags::DSYNC | fdflags::RSYNC | fdflags::SYNC)
                {
                    return Err(Errno::NOTSUP);
                }
                let mut o = rustix::fs::fcntl_getfl(&f.file)
                    .map_err(|e| Errno::from(io::Error::from(e)))?;
                o.set(OFlags::APPEND, flags & fdflags::APPEND != 0);
                o.set(OFlags::NONBLOCK, flags & fdflags::NONBLOCK != 0);
                rustix::fs::fcntl_setfl(&f.file, o).map_err(|e| Errno::from(io::Error::from(e)))?;
                f.flags = flags;
                Ok(())
            }
            Descriptor::Dir(_) => Err(Errno::NOTSUP),
            // Streams accept and ignore flags (they are always blocking here).
            _ => Ok(()),
        }
    }

    /// `fd_filestat_get`.
    pub(crate) fn filestat(&self) -> Result<Filestat, Errno> {
        match self {
            Descriptor::File(f) => Ok(filestat_of(&Metadata::from_file(&f.file)?)),
            Descriptor::Dir(d) => Ok(filestat_of(&d.dir.dir_metadata()?)),
            Descriptor::Input(Input { tty, .. }) | Descriptor::Output(Output { tty, .. }) => {
                Ok(Filestat {
                    filetype: if *tty {
                        filetype::CHARACTER_DEVICE
                    } else {
                        filetype::UNKNOWN
                    },
                    ..Filestat::default()
                })
            }
        }
    }

    /// `fd_filestat_set_times`.
    pub(crate) fn set_times(&self, atim: u64, mtim: u64, flags: u16) -> Result<(), Errno> {
        match self {
            Descriptor::File(f) => set_fd_times(&f.file, atim, mtim, flags),
            Descriptor::Dir(d) => set_fd_times(&d.dir, atim, mtim, flags),
            _ => Err(Errno::BADF),
        }
    }

    /// `fd_read`: one read of at most `len` bytes.
    pub(crate) fn read(&mut self, len: usize) -> Result<Vec<u8>, Errno> {
        let mut buf = vec![0u8; len.min(MAX_READ)];
        let n = match self {
            Descriptor::Input(i) => read_retrying(&mut *i.stream, &mut buf)?,
            Descriptor::File(f) if f.read => read_retrying(&mut f.file, &mut buf)?,
            Descriptor::Dir(_) => return Err(Errno::ISDIR),
            _ => return Err(Errno::BADF),
        };
        buf.truncate(n);
        Ok(buf)
    }

    /// `fd_write`: writes all of `data`, returns its length.
    pub(crate) fn write(&mut self, data: &[u8]) -> Result<usize, Errno> {
        match self {
            Descriptor::Output(o) => {
                o.stream.write_all(data)?;
                o.stream.flush()?;
            }
            Descriptor::File(f) if f.write => f.file.write_all(data)?,
            Descriptor::Dir(_) => return Err(Errno::ISDIR),
            _ => return Err(Errno::BADF),
        }
        Ok(data.len())
    }

    /// `fd_pread`.
    pub(crate) fn pread(&mut self, len: usize, offset: u64) -> Result<Vec<u8>, Errno> {
        let f = self.as_file()?;
        if !f.read {
            return Err(Errno::BADF);
        }
        let mut buf = vec![0u8; len.min(MAX_READ)];
        let n = loop {
            match f.file.read_at(&mut buf, offset) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => break r?,
            }
        };
        buf.truncate(n);
        Ok(buf)
    }

    /// `fd_pwrite`.
    pub(crate) fn pwrite(&mut self, data: &[u8], offset: u64) -> Result<usize, Errno> {
        let f = self.as_file()?;
        if !f.write {
            return Err(Errno::BADF);
        }
        f.file.write_all_at(data, offset)?;
        Ok(data.len())
    }

    /// `fd_seek`: returns the new offset.
    pub(crate) fn seek(&mut self, offset: i64, whence: u8) -> Result<u64, Errno> {
        let f = self.as_file()?;
        let pos = match whence {
            whence::SET => SeekFrom::Start(u64::try_from(offset).map_err(|_| Errno::INVAL)?),
            whence::CUR => SeekFrom::Current(offset),
            whence::END => SeekFrom::End(offset),
            _ => return Err(Errno::INVAL),
        };
        Ok(f.file.seek(pos)?)
    }

    /// `fd_sync` / `fd_datasync`.
    pub(crate) fn sync(&mut self, data_only: bool) -> Result<(), Errno> {
        match self {
            Descriptor::File(f) if data_only => Ok(f.file.sync_data()?),
            Descriptor::File(f) => Ok(f.file.sync_all()?),
            Descriptor::Dir(d) => {
                // fsync works on a directory descriptor too.
                rustix::fs::fsync(&d.dir).map_err(|e| Errno::from(io::Error::from(e)))
            }
            Descriptor::Output(o) => Ok(o.stream.flush()?),
            Descriptor::Input(_) => Err(Errno::INVAL),
        }
    }

    /// `fd_filestat_set_size`.
    pub(crate) fn set_size(&mut self, size: u64) -> Result<(), Errno> {
        let f = self.as_file()?;
        if !f.write {
            return Err(Errno::BADF);
        }
        Ok(f.file.set_len(size)?)
    }

    /// `fd_allocate`: makes sure the file is at least `offset + len` bytes long.
    pub(crate) fn allocate(&mut self, offset: u64, len: u64) -> Result<(), Errno> {
        let f = self.as_file()?;
        if !f.write {
            return Err(Errno::BADF);
        }
        let end = offset.checked_add(len).ok_or(Errno::FBIG)?;
        if f.file.metadata()?.len() < end {
            f.file.set_len(end)?;
        }
        Ok(())
    }

    /// `fd_advise`: passed to the host where it has `posix_fadvise`, otherwise accepted.
    pub(crate) fn advise(&mut self, offset: u64, len: u64, adv: u8) -> Result<(), Errno> {
        let f = self.as_file()?;
        if adv > advice::NOREUSE {
            return Err(Errno::INVAL);
        }
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            use rustix::fs::Advice;
            let a = match adv {
                advice::SEQUENTIAL => Advice::Sequential,
                advice::RANDOM => Advice::Random,
                advice::WILLNEED => Advice::WillNeed,
                advice::DONTNEED => Advice::DontNeed,
                advice::NOREUSE => Advice::NoReuse,
                _ => Advice::Normal,
            };
            let len = std::num::NonZeroU64::new(len);
            rustix::fs::fadvise(&f.file, offset, len, a)
                .map_err(|e| Errno::from(io::Error::from(e)))?;
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        let _ = (f, offset, len);
        Ok(())
    }

    fn as_file(&mut self) -> Result<&mut OpenFile, Errno> {
        match self {
            Descriptor::File(f) => Ok(f),
            Descriptor::Dir(_) => Err(Errno::ISDIR),
            _ => Err(Errno::SPIPE),
        }
    }
}

fn read_retrying(r: &mut dyn Read, buf: &mut [u8]) -> Result<usize, Errno> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            res => return Ok(res?),
        }
    }
}

impl OpenDir {
    /// The entries of the directory (`.` and `..` first, as Wasmtime lists them), read afresh
    /// when `cookie` is 0.
    pub(crate) fn listing(&mut self, cookie: u64) -> Result<&[DirListEntry], Errno> {
        if cookie == 0 || self.listing.is_none() {
            use cap_std::fs::MetadataExt;
            use std::os::unix::fs::DirEntryExt;
            let here = self.dir.dir_metadata()?;
            let mut list = vec![
                DirListEntry {
                    name: b".".to_vec(),
                    ino: here.ino(),
                    filetype: filetype::DIRECTORY,
                },
                DirListEntry {
                    name: b"..".to_vec(),
                    ino: 0,
                    filetype: filetype::DIRECTORY,
                },
            ];
            for entry in self.dir.entries()? {
                let entry = entry?;
                let filetype = entry.file_type().map_or(filetype::UNKNOWN, filetype_of);
                let name = entry.file_name().into_encoded_bytes();
                list.push(DirListEntry {
                    name,
                    ino: entry.ino(),
                    filetype,
                });
            }
            self.listing = Some(list);
        }
        Ok(self.listing.as_deref().unwrap_or_default())
    }
}
