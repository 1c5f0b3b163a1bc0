//! The WASI preview 1 ABI: errno values, flags, rights, file types, and the layouts of the
//! structures the host writes into guest memory (`filestat`, `fdstat`, `dirent`, `event`).
//!
//! Numbers and layouts follow `wasi_snapshot_preview1.witx` (wasm32: pointers and sizes are
//! 32-bit, everything little-endian).

#![allow(
    dead_code,
    reason = "the ABI is listed whole, including values spur never produces"
)]

use std::fmt;
use std::io;

/// A WASI error number (`$errno`), the result of every fallible preview 1 function.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Errno(pub u16);

macro_rules! errnos {
    ($($name:ident = $n:literal, $msg:literal;)*) => {
        impl Errno {
            $( #[doc = $msg] pub const $name: Errno = Errno($n); )*

            /// The errno's short description.
            pub fn message(self) -> &'static str {
                match self.0 {
                    $( $n => $msg, )*
                    _ => "unknown error",
                }
            }
        }
    };
}

errnos! {
    SUCCESS = 0, "success";
    TOOBIG = 1, "argument list too long";
    ACCES = 2, "permission denied";
    ADDRINUSE = 3, "address in use";
    ADDRNOTAVAIL = 4, "address not available";
    AFNOSUPPORT = 5, "address family not supported";
    AGAIN = 6, "resource unavailable, try again";
    ALREADY = 7, "connection already in progress";
    BADF = 8, "bad file descriptor";
    BADMSG = 9, "bad message";
    BUSY = 10, "device or resource busy";
    CANCELED = 11, "operation canceled";
    CHILD = 12, "no child processes";
    CONNABORTED = 13, "connection aborted";
    CONNREFUSED = 14, "connection refused";
    CONNRESET = 15, "connection reset";
    DEADLK = 16, "resource deadlock would occur";
    DESTADDRREQ = 17, "destination address required";
    DOM = 18, "mathematics argument out of domain";
    DQUOT = 19, "disk quota exceeded";
    EXIST = 20, "file exists";
    FAULT = 21, "bad address";
    FBIG = 22, "file too large";
    HOSTUNREACH = 23, "host is unreachable";
    IDRM = 24, "identifier removed";
    ILSEQ = 25, "illegal byte sequence";
    INPROGRESS = 26, "operation in progress";
    INTR = 27, "interrupted function";
    INVAL = 28, "invalid argument";
    IO = 29, "I/O error";
    ISCONN = 30, "socket is connected";
    ISDIR = 31, "is a directory";
    LOOP = 32, "too many levels of symbolic links";
    MFILE = 33, "file descriptor value too large";
    MLINK = 34, "too many links";
    MSGSIZE = 35, "message too large";
    MULTIHOP = 36, "multihop attempted";
    NAMETOOLONG = 37, "filename too long";
    NETDOWN = 38, "network is down";
    NETRESET = 39, "connection aborted by network";
    NETUNREACH = 40, "network unreachable";
    NFILE = 41, "too many files open in system";
    NOBUFS = 42, "no buffer space available";
    NODEV = 43, "no such device";
    NOENT = 44, "no such file or directory";
    NOEXEC = 45, "executable file format error";
    NOLCK = 46, "no locks available";
    NOLINK = 47, "link has been severed";
    NOMEM = 48, "not enough space";
    NOMSG = 49, "no message of the desired type";
    NOPROTOOPT = 50, "protocol not available";
    NOSPC = 51, "no space left on device";
    NOSYS = 52, "function not supported";
    NOTCONN = 53, "the socket is not connected";
    NOTDIR = 54, "not a directory";
    NOTEMPTY = 55, "directory not empty";
    NOTRECOVERABLE = 56, "state not recoverable";
    NOTSOCK = 57, "not a socket";
    NOTSUP = 58, "not supported";
    NOTTY = 59, "inappropriate I/O control operation";
    NXIO = 60, "no such device or address";
    OVERFLOW = 61, "value too large to be stored in data type";
    OWNERDEAD = 62, "previous owner died";
    PERM = 63, "operation not permitted";
    PIPE = 64, "broken pipe";
    PROTO = 65, "protocol error";
    PROTONOSUPPORT = 66, "protocol not supported";
    PROTOTYPE = 67, "protocol wrong type for socket";
    RANGE = 68, "result too large";
    ROFS = 69, "read-only file system";
    SPIPE = 70, "invalid seek";
    SRCH = 71, "no such process";
    STALE = 72, "stale file handle";
    TIMEDOUT = 73, "connection timed out";
    TXTBSY = 74, "text file busy";
    XDEV = 75, "cross-device link";
    NOTCAPABLE = 76, "capabilities insufficient";
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Errno({}: {})", self.0, self.message())
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl From<io::Error> for Errno {
    /// Maps a host I/O error to WASI. A path that would leave its preopen (cap-std's
    /// "a path led outside of the filesystem", `PermissionDenied` without an OS code) becomes
    /// `PERM`, as in Wasmtime.
    fn from(e: io::Error) -> Errno {
        if let Some(errno) = rustix::io::Errno::from_io_error(&e) {
            return from_host_errno(errno);
        }
        match e.kind() {
            io::ErrorKind::NotFound => Errno::NOENT,
            io::ErrorKind::PermissionDenied => Errno::PERM,
            io::ErrorKind::AlreadyExists => Errno::EXIST,
            io::ErrorKind::InvalidInput => Errno::INVAL,
            io::ErrorKind::Unsupported => Errno::NOTSUP,
            io::ErrorKind::Interrupted => Errno::INTR,
            io::ErrorKind::WouldBlock => Errno::AGAIN,
            io::ErrorKind::BrokenPipe => Errno::PIPE,
            io::ErrorKind::OutOfMemory => Errno::NOMEM,
            io::ErrorKind::NotADirectory => Errno::NOTDIR,
            io::ErrorKind::IsADirectory => Errno::ISDIR,
            io::ErrorKind::DirectoryNotEmpty => Errno::NOTEMPTY,
            io::ErrorKind::InvalidFilename => Errno::NAMETOOLONG,
            _ => Errno::IO,
        }
    }
}

/// Maps a host OS errno to WASI's numbering.
fn from_host_errno(e: rustix::io::Errno) -> Errno {
    use rustix::io::Errno as H;
    const TABLE: &[(H, Errno)] = &[
        (H::TOOBIG, Errno::TOOBIG),
        (H::ACCESS, Errno::ACCES),
        (H::ADDRINUSE, Errno::ADDRINUSE),
        (H::ADDRNOTAVAIL, Errno::ADDRNOTAVAIL),
        (H::AFNOSUPPORT, Errno::AFNOSUPPORT),
        (H::AGAIN, Errno::AGAIN),
        (H::ALREADY, Errno::ALREADY),
        (H::BADF, Errno::BADF),
        (H::BADMSG, Errno::BADMSG),
        (H::BUSY, Errno::BUSY),
        (H::CANCELED, Errno::CANCELED),
        (H::CHILD, Errno::CHILD),
        (H::CONNABORTED, Errno::CONNABORTED),
        (H::CONNREFUSED, Errno::CONNREFUSED),
        (H::CONNRESET, Errno::CONNRESET),
        (H::DEADLK, Errno::DEADLK),
        (H::DESTADDRREQ, Errno::DESTADDRREQ),
        (H::DOM, Errno::DOM),
        (H::DQUOT, Errno::DQUOT),
        (H::EXIST, Errno::EXIST),
        (H::FAULT, Errno::FAULT),
        (H::FBIG, Errno::FBIG),
        (H::HOSTUNREACH, Errno::HOSTUNREACH),
        (H::IDRM, Errno::IDRM),
        (H::ILSEQ, Errno::ILSEQ),
        (H::INPROGRESS, Errno::INPROGRESS),
        (H::INTR, Errno::INTR),
        (H::INVAL, Errno::INVAL),
        (H::IO, Errno::IO),
        (H::ISCONN, Errno::ISCONN),
        (H::ISDIR, Errno::ISDIR),
        (H::LOOP, Errno::LOOP),
        (H::MFILE, Errno::MFILE),
        (H::MLINK, Errno::MLINK),
        (H::MSGSIZE, Errno::MSGSIZE),
        (H::NAMETOOLONG, Errno::NAMETOOLONG),
        (H::NETDOWN, Errno::NETDOWN),
        (H::NETRESET, Errno::NETRESET),
        (H::NETUNREACH, Errno::NETUNREACH),
        (H::NFILE, Errno::NFILE),
        (H::NOBUFS, Errno::NOBUFS),
        (H::NODEV, Errno::NODEV),
        (H::NOENT, Errno::NOENT),
        (H::NOEXEC, Errno::NOEXEC),
        (H::NOLCK, Errno::NOLCK),
        (H::NOMEM, Errno::NOMEM),
        (H::NOSPC, Errno::NOSPC),
        (H::NOSYS, Errno::NOSYS),
        (H::NOTCONN, Errno::NOTCONN),
        (H::NOTDIR, Errno::NOTDIR),
        (H::NOTEMPTY, Errno::NOTEMPTY),
        (H::NOTSOCK, Errno::NOTSOCK),
        (H::NOTSUP, Errno::NOTSUP),
        (H::OPNOTSUPP, Errno::NOTSUP),
        (H::NOTTY, Errno::NOTTY),
        (H::NXIO, Errno::NXIO),
        (H::OVERFLOW, Errno::OVERFLOW),
        (H::PERM, Errno::PERM),
        (H::PIPE, Errno::PIPE),
        (H::PROTO, Errno::PROTO),
        (H::PROTONOSUPPORT, Errno::PROTONOSUPPORT),
        (H::PROTOTYPE, Errno::PROTOTYPE),
        (H::RANGE, Errno::RANGE),
        (H::ROFS, Errno::ROFS),
        (H::SPIPE, Errno::SPIPE),
        (H::SRCH, Errno::SRCH),
        (H::STALE, Errno::STALE),
        (H::TIMEDOUT, Errno::TIMEDOUT),
        (H::TXTBSY, Errno::TXTBSY),
        (H::XDEV, Errno::XDEV),
    ];
    TABLE
        .iter()
        .find(|(h, _)| *h == e)
        .map_or(Errno::IO, |&(_, w)| w)
}

/// `$filetype`.
pub mod filetype {
    pub const UNKNOWN: u8 = 0;
    pub const BLOCK_DEVICE: u8 = 1;
    pub const CHARACTER_DEVICE: u8 = 2;
    pub const DIRECTORY: u8 = 3;
    pub const REGULAR_FILE: u8 = 4;
    pub const SOCKET_DGRAM: u8 = 5;
    pub const SOCKET_STREAM: u8 = 6;
    pub const SYMBOLIC_LINK: u8 = 7;
}

/// `$rights`.
pub mod rights {
    pub const FD_DATASYNC: u64 = 1 << 0;
    pub const FD_READ: u64 = 1 << 1;
    pub const FD_SEEK: u64 = 1 << 2;
    pub const FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
    pub const FD_SYNC: u64 = 1 << 4;
    pub const FD_TELL: u64 = 1 << 5;
    pub const FD_WRITE: u64 = 1 << 6;
    pub const FD_ADVISE: u64 = 1 << 7;
    pub const FD_ALLOCATE: u64 = 1 << 8;
    pub const PATH_CREATE_DIRECTORY: u64 = 1 << 9;
    pub const PATH_CREATE_FILE: u64 = 1 << 10;
    pub const PATH_LINK_SOURCE: u64 = 1 << 11;
    pub const PATH_LINK_TARGET: u64 = 1 << 12;
    pub const PATH_OPEN: u64 = 1 << 13;
    pub const FD_READDIR: u64 = 1 << 14;
    pub const PATH_READLINK: u64 = 1 << 15;
    pub const PATH_RENAME_SOURCE: u64 = 1 << 16;
    pub const PATH_RENAME_TARGET: u64 = 1 << 17;
    pub const PATH_FILESTAT_GET: u64 = 1 << 18;
    pub const PATH_FILESTAT_SET_SIZE: u64 = 1 << 19;
    pub const PATH_FILESTAT_SET_TIMES: u64 = 1 << 20;
    pub const FD_FILESTAT_GET: u64 = 1 << 21;
    pub const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
    pub const FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
    pub const PATH_SYMLINK: u64 = 1 << 24;
    pub const PATH_REMOVE_DIRECTORY: u64 = 1 << 25;
    pub const PATH_UNLINK_FILE: u64 = 1 << 26;
    pub const POLL_FD_READWRITE: u64 = 1 << 27;

    /// What a stream (stdio) may do, less seek and tell (so that `isatty` can tell).
    pub const STREAM: u64 =
        FD_READ | FD_WRITE | FD_FDSTAT_SET_FLAGS | FD_FILESTAT_GET | POLL_FD_READWRITE;
    /// Everything a regular file may do, except reading and writing (added per open mode).
    pub const FILE_BASE: u64 = FD_DATASYNC
        | FD_SEEK
        | FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_TELL
        | FD_ADVISE
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_TIMES
        | POLL_FD_READWRITE;
    /// Write-side rights of a regular file.
    pub const FILE_WRITE: u64 = FD_WRITE | FD_ALLOCATE | FD_FILESTAT_SET_SIZE;
    /// Everything a directory may do.
    pub const DIRECTORY: u64 = FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_DATASYNC
        | PATH_CREATE_DIRECTORY
        | PATH_CREATE_FILE
        | PATH_LINK_SOURCE
        | PATH_LINK_TARGET
        | PATH_OPEN
        | FD_READDIR
        | PATH_READLINK
        | PATH_RENAME_SOURCE
        | PATH_RENAME_TARGET
        | PATH_FILESTAT_GET
        | PATH_FILESTAT_SET_SIZE
        | PATH_FILESTAT_SET_TIMES
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_TIMES
        | PATH_SYMLINK
        | PATH_REMOVE_DIRECTORY
        | PATH_UNLINK_FILE;
    /// Rights a directory passes on to what is opened through it.
    pub const DIRECTORY_INHERITING: u64 = DIRECTORY | FILE_BASE | FD_READ | FILE_WRITE;
}

/// `$fdflags`.
pub mod fdflags {
    pub const APPEND: u16 = 1 << 0;
    pub const DSYNC: u16 = 1 << 1;
    pub const NONBLOCK: u16 = 1 << 2;
    pub const RSYNC: u16 = 1 << 3;
    pub const SYNC: u16 = 1 << 4;
}

/// `$oflags` (for `path_open`).
pub mod oflags {
    pub const CREAT: u16 = 1 << 0;
    pub const DIRECTORY: u16 = 1 << 1;
    pub const EXCL: u16 = 1 << 2;
    pub const TRUNC: u16 = 1 << 3;
}

/// `$lookupflags`.
pub const LOOKUP_SYMLINK_FOLLOW: u32 = 1;

/// `$fstflags` (for the `*_set_times` functions).
pub mod fstflags {
    pub const ATIM: u16 = 1 << 0;
    pub const ATIM_NOW: u16 = 1 << 1;
    pub const MTIM: u16 = 1 << 2;
    pub const MTIM_NOW: u16 = 1 << 3;
}

/// `$clockid`.
pub mod clockid {
    pub const REALTIME: u32 = 0;
    pub const MONOTONIC: u32 = 1;
    pub const PROCESS_CPUTIME_ID: u32 = 2;
    pub const THREAD_CPUTIME_ID: u32 = 3;
}

/// `$eventtype`.
pub mod eventtype {
    pub const CLOCK: u8 = 0;
    pub const FD_READ: u8 = 1;
    pub const FD_WRITE: u8 = 2;
}

/// `$subclockflags`: the timeout is an absolute time of the clock.
pub const SUBSCRIPTION_CLOCK_ABSTIME: u16 = 1;

/// `$whence`.
pub mod whence {
    pub const SET: u8 = 0;
    pub const CUR: u8 = 1;
    pub const END: u8 = 2;
}

/// `$advice`.
pub mod advice {
    pub const NORMAL: u8 = 0;
    pub const SEQUENTIAL: u8 = 1;
    pub const RANDOM: u8 = 2;
    pub const WILLNEED: u8 = 3;
    pub const DONTNEED: u8 = 4;
    pub const NOREUSE: u8 = 5;
}

/// Sizes of the structures in guest memory.
pub mod size {
    pub const FILESTAT: u32 = 64;
    pub const FDSTAT: u32 = 24;
    pub const PRESTAT: u32 = 8;
    pub const DIRENT: u32 = 24;
    pub const SUBSCRIPTION: u32 = 48;
    pub const EVENT: u32 = 32;
    pub const IOVEC: u32 = 8;
}

/// `$filestat`: what `fd_filestat_get` and `path_filestat_get` return.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Filestat {
    pub dev: u64,
    pub ino: u64,
    pub filetype: u8,
    pub nlink: u64,
    pub size: u64,
    pub atim: u64,
    pub mtim: u64,
    pub ctim: u64,
}

impl Filestat {
    /// The layout in guest memory (64 bytes).
    pub fn to_bytes(self) -> [u8; 64] {
        let mut b = [0u8; 64];
        b[0..8].copy_from_slice(&self.dev.to_le_bytes());
        b[8..16].copy_from_slice(&self.ino.to_le_bytes());
        b[16] = self.filetype;
        b[24..32].copy_from_slice(&self.nlink.to_le_bytes());
        b[32..40].copy_from_slice(&self.size.to_le_bytes());
        b[40..48].copy_from_slice(&self.atim.to_le_bytes());
        b[48..56].copy_from_slice(&self.mtim.to_le_bytes());
        b[56..64].copy_from_slice(&self.ctim.to_le_bytes());
        b
    }
}

/// `$fdstat`: what `fd_fdstat_get` returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fdstat {
    pub filetype: u8,
    pub flags: u16,
    pub rights_base: u64,
    pub rights_inheriting: u64,
}

impl Fdstat {
    /// The layout in guest memory (24 bytes).
    pub fn to_bytes(self) -> [u8; 24] {
        let mut b = [0u8; 24];
        b[0] = self.filetype;
        b[2..4].copy_from_slice(&self.flags.to_le_bytes());
        b[8..16].copy_from_slice(&self.rights_base.to_le_bytes());
        b[16..24].copy_from_slice(&self.rights_inheriting.to_le_bytes());
        b
    }
}
