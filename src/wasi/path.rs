//! Path operations (`path_*`), all resolved beneath a directory descriptor by cap-std.
//!
//! cap-std refuses any path that would leave the directory it starts from: `..` past the
//! root, absolute paths, and symlinks whose target lies outside. Those refusals come back as
//! `PermissionDenied` and become `EPERM`, as in Wasmtime (node's uvwasi says `ENOTCAPABLE`
//! instead). Nothing here inspects paths by hand.

use super::fd::{Descriptor, OpenDir, OpenFile, filestat_of, times_of};
use super::types::{Errno, Filestat, LOOKUP_SYMLINK_FOLLOW, fdflags, oflags, rights};
use cap_fs_ext::{DirExt, FollowSymlinks, OpenOptionsFollowExt, OpenOptionsSyncExt};
use cap_std::fs::{Dir, OpenOptions};

/// What `path_open` asks for.
pub(crate) struct OpenRequest<'a> {
    pub(crate) path: &'a str,
    pub(crate) lookup_flags: u32,
    pub(crate) oflags: u16,
    pub(crate) rights_base: u64,
    pub(crate) fdflags: u16,
}

fn follow(lookup_flags: u32) -> bool {
    lookup_flags & LOOKUP_SYMLINK_FOLLOW != 0
}

/// An empty path names nothing (`ENOENT`), as on POSIX; cap-std would take it as the
/// directory itself.
fn check(path: &str) -> Result<&str, Errno> {
    if path.is_empty() {
        Err(Errno::NOENT)
    } else {
        Ok(path)
    }
}

/// `path_open`: opens a file or directory beneath `dir`.
pub(crate) fn open(dir: &Dir, req: &OpenRequest<'_>) -> Result<Descriptor, Errno> {
    let path = check(req.path)?;
    let follow = follow(req.lookup_flags);
    let read = req.rights_base & (rights::FD_READ | rights::FD_READDIR) != 0;
    let write = req.rights_base
        & (rights::FD_WRITE | rights::FD_ALLOCATE | rights::FD_FILESTAT_SET_SIZE)
        != 0;
    let creat = req.oflags & oflags::CREAT != 0;
    let trunc = req.oflags & oflags::TRUNC != 0;

    let open_dir = |dir: &Dir| -> Result<Descriptor, Errno> {
        let d = if follow {
            dir.open_dir(path)?
        } else {
            dir.open_dir_nofollow(path)?
        };
        Ok(Descriptor::Dir(OpenDir {
            dir: d,
            preopen: None,
            listing: None,
        }))
    };
    if req.oflags & oflags::DIRECTORY != 0 {
        if creat || trunc || write {
            return Err(Errno::INVAL);
        }
        return open_dir(dir);
    }
    if !creat && !trunc && !write {
        // Opening for reading may name a directory (as `open(path, O_RDONLY)` may).
        let meta = if follow {
            dir.metadata(path)
        } else {
            dir.symlink_metadata(path)
        };
        if meta.is_ok_and(|m| m.is_dir()) {
            return open_dir(dir);
        }
    }
    let mut opts = OpenOptions::new();
    opts.read(read || !write)
        .write(write)
        .append(req.fdflags & fdflags::APPEND != 0)
        .truncate(trunc)
        .follow(if follow {
            FollowSymlinks::Yes
        } else {
            FollowSymlinks::No
        });
    if creat {
        if req.oflags & oflags::EXCL != 0 {
            opts.create_new(true);
        } else {
            opts.create(true);
        }
        if !write {
            // POSIX lets O_CREAT|O_RDONLY create a file; the host needs write access for it.
            opts.write(true);
        }
    }
    if req.fdflags & fdflags::SYNC != 0 {
        opts.sync(true);
    }
    if req.fdflags & fdflags::DSYNC != 0 {
        opts.dsync(true);
    }
    if req.fdflags & fdflags::RSYNC != 0 {
        opts.rsync(true);
    }
    let file = dir.open_with(path, &opts)?;
    let file = file.into_std();
    if file.metadata()?.is_dir() {
        return Err(Errno::ISDIR);
    }
    Ok(Descriptor::File(OpenFile {
        file,
        read: read || !write,
        write,
        flags: req.fdflags
            & (fdflags::APPEND
                | fdflags::NONBLOCK
                | fdflags::SYNC
                | fdflags::DSYNC
                | fdflags::RSYNC),
    }))
}

/// `path_create_directory`.
pub(crate) fn create_directory(dir: &Dir, path: &str) -> Result<(), Errno> {
    Ok(dir.create_dir(check(path)?)?)
}

/// `path_remove_directory`.
pub(crate) fn remove_directory(dir: &Dir, path: &str) -> Result<(), Errno> {
    Ok(dir.remove_dir(check(path)?)?)
}

/// `path_unlink_file`: removes a file or a symlink (never a directory).
pub(crate) fn unlink_file(dir: &Dir, path: &str) -> Result<(), Errno> {
    let path = check(path)?;
    match dir.symlink_metadata(path) {
        Ok(m) if m.is_dir() => return Err(Errno::ISDIR),
        _ => {}
    }
    Ok(dir.remove_file_or_symlink(path)?)
}

/// `path_filestat_get`.
pub(crate) fn filestat(dir: &Dir, lookup_flags: u32, path: &str) -> Result<Filestat, Errno> {
    let path = check(path)?;
    let m = if follow(lookup_flags) {
        dir.metadata(path)?
    } else {
        dir.symlink_metadata(path)?
    };
    Ok(filestat_of(&m))
}

/// `path_filestat_set_times`.
pub(crate) fn set_times(
    dir: &Dir,
    lookup_flags: u32,
    path: &str,
    atim: u64,
    mtim: u64,
    flags: u16,
) -> Result<(), Errno> {
    let path = check(path)?;
    let (a, m) = times_of(atim, mtim, flags)?;
    if follow(lookup_flags) {
        Ok(dir.set_times(path, a, m)?)
    } else {
        Ok(dir.set_symlink_times(path, a, m)?)
    }
}

/// `path_readlink`: the link's target, as stored.
pub(crate) fn readlink(dir: &Dir, path: &str) -> Result<Vec<u8>, Errno> {
    let target = dir.read_link(check(path)?)?;
    Ok(target.into_os_string().into_encoded_bytes())
}

/// `path_symlink`: creates `link` (beneath `dir`) pointing to `target`. cap-std refuses
/// absolute targets.
pub(crate) fn symlink(target: &str, dir: &Dir, link: &str) -> Result<(), Errno> {
    if target.is_empty() {
        return Err(Errno::NOENT);
    }
    Ok(DirExt::symlink(dir, target, check(link)?)?)
}

/// `path_link`: a hard link. Following a symlink at the source is not supported (as in
/// Wasmtime).
pub(crate) fn link(
    from_dir: &Dir,
    lookup_flags: u32,
    from: &str,
    to_dir: &Dir,
    to: &str,
) -> Result<(), Errno> {
    if follow(lookup_flags) {
        return Err(Errno::INVAL);
    }
    Ok(from_dir.hard_link(check(from)?, to_dir, check(to)?)?)
}

/// `path_rename`.
pub(crate) fn rename(from_dir: &Dir, from: &str, to_dir: &Dir, to: &str) -> Result<(), Errno> {
    Ok(from_dir.rename(check(from)?, to_dir, check(to)?)?)
}
