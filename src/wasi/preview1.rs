//! The `wasi_snapshot_preview1` functions: decoding guest arguments, checking every guest
//! pointer, calling the host side (`fd.rs`, `path.rs`, `clock.rs`), and writing results back.
//!
//! A host function cannot borrow guest memory and the [`WasiCtx`] (both live in the store)
//! at once, so each call reads what it needs from memory, works on the context, then writes
//! its results: data passes through one host buffer.

use super::WasiCtx;
use super::clock::{self, Subscription, SubscriptionKind};
use super::fd::Descriptor;
use super::guest::Guest;
use super::path::{self, OpenRequest};
use super::types::{Errno, eventtype, size};
use crate::{Caller, Error, Extern, Linker, Memory};

/// The import module name of WASI preview 1.
pub const MODULE: &str = "wasi_snapshot_preview1";

type Res = Result<(), Errno>;

/// What a WASI call works on: the caller's memory and the WASI context.
pub(crate) trait Host {
    /// The guest's memory (empty if the module exports none, so every access is `EFAULT`).
    fn mem(&mut self) -> Guest<'_>;
    /// The WASI state.
    fn ctx(&mut self) -> &mut WasiCtx;
}

struct CallerHost<'a, 'b, T> {
    caller: &'a mut Caller<'b, T>,
    memory: Option<Memory>,
    get: &'a dyn Fn(&mut T) -> &mut WasiCtx,
}

impl<T> Host for CallerHost<'_, '_, T> {
    fn mem(&mut self) -> Guest<'_> {
        match self.memory {
            Some(m) => Guest(m.data_mut(&mut *self.caller)),
            None => Guest(&mut []),
        }
    }

    fn ctx(&mut self) -> &mut WasiCtx {
        (self.get)(self.caller.data_mut())
    }
}

fn errno(r: Res) -> i32 {
    match r {
        Ok(()) => 0,
        Err(e) => i32::from(e.0),
    }
}

/// Adds every `wasi_snapshot_preview1` function to `linker`. `get` finds the [`WasiCtx`] in
/// the store's data (as in Wasmtime's `add_to_linker`).
///
/// ```no_run
/// use spur::wasi::{WasiCtx, add_to_linker};
/// use spur::{Engine, Linker, Module, Store};
///
/// let engine = Engine::default();
/// let module = Module::new(&engine, std::fs::read("hello.wasm").unwrap())?;
/// let mut linker = Linker::new(&engine);
/// add_to_linker(&mut linker, |cx: &mut WasiCtx| cx)?;
/// let wasi = WasiCtx::builder().inherit_stdio().arg("hello.wasm").build();
/// let mut store = Store::new(&engine, wasi);
/// let instance = linker.instantiate(&mut store, &module)?;
/// let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
/// match start.call(&mut store, ()) {
///     Ok(()) => {}
///     Err(e) if e.i32_exit_status().is_some() => println!("exit {:?}", e.i32_exit_status()),
///     Err(e) => return Err(e),
/// }
/// # Ok::<(), spur::Error>(())
/// ```
pub fn add_to_linker<T: 'static>(
    linker: &mut Linker<T>,
    get: impl Fn(&mut T) -> &mut WasiCtx + Send + Sync + Copy + 'static,
) -> Result<(), Error> {
    macro_rules! syscalls {
        ($( $name:ident($($arg:ident : $ty:ty),*); )*) => {$(
            linker.func_wrap(MODULE, stringify!($name), move |mut caller: Caller<'_, T>, $($arg: $ty),*| -> i32 {
                let memory = caller.get_export("memory").and_then(Extern::into_memory);
                let mut host = CallerHost { caller: &mut caller, memory, get: &get };
                errno($name(&mut host, $($arg as _),*))
            })?;
        )*};
    }
    syscalls! {
        args_get(argv: i32, argv_buf: i32);
        args_sizes_get(argc: i32, buf_size: i32);
        environ_get(environ: i32, environ_buf: i32);
        environ_sizes_get(count: i32, buf_size: i32);
        clock_res_get(id: i32, res: i32);
        clock_time_get(id: i32, precision: i64, time: i32);
        fd_advise(fd: i32, offset: i64, len: i64, advice: i32);
        fd_allocate(fd: i32, offset: i64, len: i64);
        fd_close(fd: i32);
        fd_datasync(fd: i32);
        fd_fdstat_get(fd: i32, buf: i32);
        fd_fdstat_set_flags(fd: i32, flags: i32);
        fd_fdstat_set_rights(fd: i32, base: i64, inheriting: i64);
        fd_filestat_get(fd: i32, buf: i32);
        fd_filestat_set_size(fd: i32, size: i64);
        fd_filestat_set_times(fd: i32, atim: i64, mtim: i64, flags: i32);
        fd_pread(fd: i32, iovs: i32, iovs_len: i32, offset: i64, nread: i32);
        fd_prestat_get(fd: i32, buf: i32);
        fd_prestat_dir_name(fd: i32, path: i32, path_len: i32);
        fd_pwrite(fd: i32, iovs: i32, iovs_len: i32, offset: i64, nwritten: i32);
        fd_read(fd: i32, iovs: i32, iovs_len: i32, nread: i32);
        fd_readdir(fd: i32, buf: i32, buf_len: i32, cookie: i64, bufused: i32);
        fd_renumber(fd: i32, to: i32);
        fd_seek(fd: i32, offset: i64, whence: i32, newoffset: i32);
        fd_sync(fd: i32);
        fd_tell(fd: i32, offset: i32);
        fd_write(fd: i32, iovs: i32, iovs_len: i32, nwritten: i32);
        path_create_directory(fd: i32, path: i32, path_len: i32);
        path_filestat_get(fd: i32, flags: i32, path: i32, path_len: i32, buf: i32);
        path_filestat_set_times(fd: i32, flags: i32, path: i32, path_len: i32, atim: i64, mtim: i64, fst_flags: i32);
        path_link(old_fd: i32, old_flags: i32, old_path: i32, old_len: i32, new_fd: i32, new_path: i32, new_len: i32);
        path_open(fd: i32, dirflags: i32, path: i32, path_len: i32, oflags: i32, rights_base: i64, rights_inheriting: i64, fdflags: i32, opened: i32);
        path_readlink(fd: i32, path: i32, path_len: i32, buf: i32, buf_len: i32, bufused: i32);
        path_remove_directory(fd: i32, path: i32, path_len: i32);
        path_rename(fd: i32, old_path: i32, old_len: i32, new_fd: i32, new_path: i32, new_len: i32);
        path_symlink(old_path: i32, old_len: i32, fd: i32, new_path: i32, new_len: i32);
        path_unlink_file(fd: i32, path: i32, path_len: i32);
        poll_oneoff(subs: i32, events: i32, nsubs: i32, nevents: i32);
        proc_raise(sig: i32);
        sched_yield();
        random_get(buf: i32, buf_len: i32);
        sock_accept(fd: i32, flags: i32, new_fd: i32);
        sock_recv(fd: i32, data: i32, data_len: i32, flags: i32, datalen: i32, oflags: i32);
        sock_send(fd: i32, data: i32, data_len: i32, flags: i32, datalen: i32);
        sock_shutdown(fd: i32, how: i32);
    }
    linker.func_wrap(MODULE, "proc_exit", |status: i32| -> Result<(), Error> {
        Err(proc_exit(status as u32))
    })?;
    Ok(())
}

/// `proc_exit`: statuses of 126 and above are refused as Wasmtime refuses them (the WASI
/// spec reserves them), which ends the program with an error instead.
fn proc_exit(status: u32) -> Error {
    if status < 126 {
        Error::i32_exit(status as i32)
    } else {
        Error::msg(format!(
            "exit with invalid exit status {status} outside of [0..126)"
        ))
    }
}

/// `base + index * stride`, or `EFAULT` on overflow.
fn at(base: u32, index: usize, stride: u32) -> Result<u32, Errno> {
    u32::try_from(index)
        .ok()
        .and_then(|i| i.checked_mul(stride))
        .and_then(|o| base.checked_add(o))
        .ok_or(Errno::FAULT)
}

fn u16_arg(v: u32) -> Result<u16, Errno> {
    u16::try_from(v).map_err(|_| Errno::INVAL)
}

fn len_u32(n: usize) -> Result<u32, Errno> {
    u32::try_from(n).map_err(|_| Errno::OVERFLOW)
}

// ---- arguments and environment ----

fn write_strings(h: &mut dyn Host, strings: &[String], ptrs: u32, buf: u32) -> Res {
    let mut mem = h.mem();
    let mut off = buf;
    for (i, s) in strings.iter().enumerate() {
        mem.write_u32(at(ptrs, i, 4)?, off)?;
        mem.write(off, s.as_bytes())?;
        let end = off.checked_add(len_u32(s.len())?).ok_or(Errno::FAULT)?;
        mem.write_u8(end, 0)?;
        off = end.checked_add(1).ok_or(Errno::FAULT)?;
    }
    Ok(())
}

fn write_sizes(h: &mut dyn Host, strings: &[String], count: u32, buf_size: u32) -> Res {
    let total: usize = strings.iter().map(|s| s.len() + 1).sum();
    let mut mem = h.mem();
    mem.write_u32(count, len_u32(strings.len())?)?;
    mem.write_u32(buf_size, len_u32(total)?)
}

fn args_get(h: &mut dyn Host, argv: u32, argv_buf: u32) -> Res {
    let args = h.ctx().args.clone();
    write_strings(h, &args, argv, argv_buf)
}

fn args_sizes_get(h: &mut dyn Host, argc: u32, buf_size: u32) -> Res {
    let args = std::mem::take(&mut h.ctx().args);
    let r = write_sizes(h, &args, argc, buf_size);
    h.ctx().args = args;
    r
}

fn environ_get(h: &mut dyn Host, environ: u32, environ_buf: u32) -> Res {
    let env = h.ctx().env.clone();
    write_strings(h, &env, environ, environ_buf)
}

fn environ_sizes_get(h: &mut dyn Host, count: u32, buf_size: u32) -> Res {
    let env = std::mem::take(&mut h.ctx().env);
    let r = write_sizes(h, &env, count, buf_size);
    h.ctx().env = env;
    r
}

// ---- clocks, randomness, scheduling ----

fn clock_res_get(h: &mut dyn Host, id: u32, res: u32) -> Res {
    let r = clock::res_get(id)?;
    h.mem().write_u64(res, r)
}

fn clock_time_get(h: &mut dyn Host, id: u32, _precision: u64, time: u32) -> Res {
    let t = clock::time_get(id)?;
    h.mem().write_u64(time, t)
}

fn random_get(h: &mut dyn Host, buf: u32, buf_len: u32) -> Res {
    clock::random(h.mem().bytes_mut(buf, buf_len)?)
}

fn sched_yield(_h: &mut dyn Host) -> Res {
    std::thread::yield_now();
    Ok(())
}

fn proc_raise(_h: &mut dyn Host, _sig: u32) -> Res {
    Err(Errno::NOSYS)
}

fn poll_oneoff(h: &mut dyn Host, subs: u32, events: u32, nsubs: u32, nevents: u32) -> Res {
    let parsed = {
        let mem = h.mem();
        // The whole output array must be writable before anything waits.
        mem.bytes(events, nsubs.checked_mul(size::EVENT).ok_or(Errno::FAULT)?)?;
        mem.bytes(nevents, 4)?;
        let mut parsed = Vec::with_capacity(nsubs as usize);
        for i in 0..nsubs as usize {
            let p = at(subs, i, size::SUBSCRIPTION)?;
            mem.bytes(p, size::SUBSCRIPTION)?;
            let userdata = mem.read_u64(p)?;
            let kind = match mem.read_u8(p + 8)? {
                eventtype::CLOCK => SubscriptionKind::Clock {
                    id: mem.read_u32(p + 16)?,
                    timeout: mem.read_u64(p + 24)?,
                    flags: mem.read_u16(p + 40)?,
                },
                eventtype::FD_READ => SubscriptionKind::Read(mem.read_u32(p + 16)?),
                eventtype::FD_WRITE => SubscriptionKind::Write(mem.read_u32(p + 16)?),
                _ => return Err(Errno::INVAL),
            };
            parsed.push(Subscription { userdata, kind });
        }
        parsed
    };
    let out = clock::poll(h.ctx(), &parsed)?;
    let mut mem = h.mem();
    for (i, e) in out.iter().enumerate() {
        mem.write(at(events, i, size::EVENT)?, &e.to_bytes())?;
    }
    mem.write_u32(nevents, len_u32(out.len())?)
}

// ---- descriptors ----

fn fd_advise(h: &mut dyn Host, fd: u32, offset: u64, len: u64, advice: u32) -> Res {
    let advice = u8::try_from(advice).map_err(|_| Errno::INVAL)?;
    h.ctx().fds.get(fd)?.advise(offset, len, advice)
}

fn fd_allocate(h: &mut dyn Host, fd: u32, offset: u64, len: u64) -> Res {
    h.ctx().fds.get(fd)?.allocate(offset, len)
}

fn fd_close(h: &mut dyn Host, fd: u32) -> Res {
    h.ctx().fds.close(fd)
}

fn fd_datasync(h: &mut dyn Host, fd: u32) -> Res {
    h.ctx().fds.get(fd)?.sync(true)
}

fn fd_sync(h: &mut dyn Host, fd: u32) -> Res {
    h.ctx().fds.get(fd)?.sync(false)
}

fn fd_fdstat_get(h: &mut dyn Host, fd: u32, buf: u32) -> Res {
    let st = h.ctx().fds.get(fd)?.fdstat();
    h.mem().write(buf, &st.to_bytes())
}

fn fd_fdstat_set_flags(h: &mut dyn Host, fd: u32, flags: u32) -> Res {
    let flags = u16_arg(flags)?;
    h.ctx().fds.get(fd)?.set_flags(flags)
}

fn fd_fdstat_set_rights(h: &mut dyn Host, fd: u32, _base: u64, _inheriting: u64) -> Res {
    // Rights are not enforced beyond the open mode, so dropping them changes nothing.
    h.ctx().fds.get(fd).map(drop)
}

fn fd_filestat_get(h: &mut dyn Host, fd: u32, buf: u32) -> Res {
    let st = h.ctx().fds.get(fd)?.filestat()?;
    h.mem().write(buf, &st.to_bytes())
}

fn fd_filestat_set_size(h: &mut dyn Host, fd: u32, size: u64) -> Res {
    h.ctx().fds.get(fd)?.set_size(size)
}

fn fd_filestat_set_times(h: &mut dyn Host, fd: u32, atim: u64, mtim: u64, flags: u32) -> Res {
    let flags = u16_arg(flags)?;
    h.ctx().fds.get(fd)?.set_times(atim, mtim, flags)
}

fn iov_total(iovs: &[super::guest::IoVec]) -> usize {
    iovs.iter().map(|v| v.len as usize).sum()
}

fn fd_read(h: &mut dyn Host, fd: u32, iovs: u32, iovs_len: u32, nread: u32) -> Res {
    let iovs = h.mem().iovecs(iovs, iovs_len)?;
    h.mem().bytes(nread, 4)?;
    let data = h.ctx().fds.get(fd)?.read(iov_total(&iovs))?;
    let mut mem = h.mem();
    mem.scatter(&iovs, &data)?;
    mem.write_u32(nread, len_u32(data.len())?)
}

fn fd_pread(h: &mut dyn Host, fd: u32, iovs: u32, iovs_len: u32, offset: u64, nread: u32) -> Res {
    let iovs = h.mem().iovecs(iovs, iovs_len)?;
    h.mem().bytes(nread, 4)?;
    let data = h.ctx().fds.get(fd)?.pread(iov_total(&iovs), offset)?;
    let mut mem = h.mem();
    mem.scatter(&iovs, &data)?;
    mem.write_u32(nread, len_u32(data.len())?)
}

fn fd_write(h: &mut dyn Host, fd: u32, iovs: u32, iovs_len: u32, nwritten: u32) -> Res {
    let data = {
        let mem = h.mem();
        mem.bytes(nwritten, 4)?;
        mem.gather(&mem.iovecs(iovs, iovs_len)?)?
    };
    let n = h.ctx().fds.get(fd)?.write(&data)?;
    h.mem().write_u32(nwritten, len_u32(n)?)
}

fn fd_pwrite(
    h: &mut dyn Host,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    offset: u64,
    nwritten: u32,
) -> Res {
    let data = {
        let mem = h.mem();
        mem.bytes(nwritten, 4)?;
        mem.gather(&mem.iovecs(iovs, iovs_len)?)?
    };
    let n = h.ctx().fds.get(fd)?.pwrite(&data, offset)?;
    h.mem().write_u32(nwritten, len_u32(n)?)
}

fn fd_prestat_get(h: &mut dyn Host, fd: u32, buf: u32) -> Res {
    let len = match h.ctx().fds.get(fd)? {
        Descriptor::Dir(d) => d.preopen.as_ref().ok_or(Errno::BADF)?.len(),
        _ => return Err(Errno::BADF),
    };
    let mut mem = h.mem();
    mem.write(buf, &[0; 8])?; // tag 0: a directory
    mem.write_u32(buf + 4, len_u32(len)?)
}

fn fd_prestat_dir_name(h: &mut dyn Host, fd: u32, path: u32, path_len: u32) -> Res {
    let name = match h.ctx().fds.get(fd)? {
        Descriptor::Dir(d) => d.preopen.clone().ok_or(Errno::BADF)?,
        _ => return Err(Errno::BADF),
    };
    if name.len() > path_len as usize {
        return Err(Errno::NAMETOOLONG);
    }
    h.mem().write(path, name.as_bytes())
}

fn fd_readdir(h: &mut dyn Host, fd: u32, buf: u32, buf_len: u32, cookie: u64, bufused: u32) -> Res {
    {
        let mem = h.mem();
        mem.bytes(buf, buf_len)?;
        mem.bytes(bufused, 4)?;
    }
    let mut out = Vec::new();
    let entries = h.ctx().fds.dir(fd)?.listing(cookie)?;
    let skip = usize::try_from(cookie).unwrap_or(usize::MAX);
    for (i, e) in entries.iter().enumerate().skip(skip) {
        if out.len() >= buf_len as usize {
            break;
        }
        out.extend_from_slice(&(i as u64 + 1).to_le_bytes()); // d_next: the next entry's cookie
        out.extend_from_slice(&e.ino.to_le_bytes());
        out.extend_from_slice(&len_u32(e.name.len())?.to_le_bytes());
        out.extend_from_slice(&[e.filetype, 0, 0, 0]);
        out.extend_from_slice(&e.name);
    }
    // A full buffer (a truncated last entry included) tells the guest to read on.
    out.truncate(buf_len as usize);
    let mut mem = h.mem();
    mem.write(buf, &out)?;
    mem.write_u32(bufused, len_u32(out.len())?)
}

fn fd_renumber(h: &mut dyn Host, fd: u32, to: u32) -> Res {
    h.ctx().fds.renumber(fd, to)
}

fn fd_seek(h: &mut dyn Host, fd: u32, offset: u64, whence: u32, newoffset: u32) -> Res {
    h.mem().bytes(newoffset, 8)?;
    let whence = u8::try_from(whence).map_err(|_| Errno::INVAL)?;
    let pos = h.ctx().fds.get(fd)?.seek(offset as i64, whence)?;
    h.mem().write_u64(newoffset, pos)
}

fn fd_tell(h: &mut dyn Host, fd: u32, offset: u32) -> Res {
    fd_seek(h, fd, 0, u32::from(super::types::whence::CUR), offset)
}

// ---- paths ----

fn path_create_directory(h: &mut dyn Host, fd: u32, p: u32, len: u32) -> Res {
    let p = h.mem().string(p, len)?;
    path::create_directory(h.ctx().fds.dir_handle(fd)?, &p)
}

fn path_remove_directory(h: &mut dyn Host, fd: u32, p: u32, len: u32) -> Res {
    let p = h.mem().string(p, len)?;
    path::remove_directory(h.ctx().fds.dir_handle(fd)?, &p)
}

fn path_unlink_file(h: &mut dyn Host, fd: u32, p: u32, len: u32) -> Res {
    let p = h.mem().string(p, len)?;
    path::unlink_file(h.ctx().fds.dir_handle(fd)?, &p)
}

fn path_filestat_get(h: &mut dyn Host, fd: u32, flags: u32, p: u32, len: u32, buf: u32) -> Res {
    let p = h.mem().string(p, len)?;
    let st = path::filestat(h.ctx().fds.dir_handle(fd)?, flags, &p)?;
    h.mem().write(buf, &st.to_bytes())
}

#[allow(clippy::too_many_arguments, reason = "the WASI signature")]
fn path_filestat_set_times(
    h: &mut dyn Host,
    fd: u32,
    flags: u32,
    p: u32,
    len: u32,
    atim: u64,
    mtim: u64,
    fst: u32,
) -> Res {
    let p = h.mem().string(p, len)?;
    let fst = u16_arg(fst)?;
    path::set_times(h.ctx().fds.dir_handle(fd)?, flags, &p, atim, mtim, fst)
}

#[allow(clippy::too_many_arguments, reason = "the WASI signature")]
fn path_link(
    h: &mut dyn Host,
    old_fd: u32,
    old_flags: u32,
    old: u32,
    old_len: u32,
    new_fd: u32,
    new: u32,
    new_len: u32,
) -> Res {
    let (old, new) = {
        let mem = h.mem();
        (mem.string(old, old_len)?, mem.string(new, new_len)?)
    };
    let fds = &h.ctx().fds;
    path::link(
        fds.dir_handle(old_fd)?,
        old_flags,
        &old,
        fds.dir_handle(new_fd)?,
        &new,
    )
}

#[allow(clippy::too_many_arguments, reason = "the WASI signature")]
fn path_open(
    h: &mut dyn Host,
    fd: u32,
    dirflags: u32,
    p: u32,
    len: u32,
    oflags: u32,
    rights_base: u64,
    _rights_inheriting: u64,
    fdflags: u32,
    opened: u32,
) -> Res {
    let p = {
        let mem = h.mem();
        mem.bytes(opened, 4)?;
        mem.string(p, len)?
    };
    let req = OpenRequest {
        path: &p,
        lookup_flags: dirflags,
        oflags: u16_arg(oflags)?,
        rights_base,
        fdflags: u16_arg(fdflags)?,
    };
    let fds = &mut h.ctx().fds;
    let desc = path::open(fds.dir_handle(fd)?, &req)?;
    let new = fds.insert(desc)?;
    h.mem().write_u32(opened, new)
}

fn path_readlink(
    h: &mut dyn Host,
    fd: u32,
    p: u32,
    len: u32,
    buf: u32,
    buf_len: u32,
    bufused: u32,
) -> Res {
    let p = {
        let mem = h.mem();
        mem.bytes(buf, buf_len)?;
        mem.bytes(bufused, 4)?;
        mem.string(p, len)?
    };
    let mut target = path::readlink(h.ctx().fds.dir_handle(fd)?, &p)?;
    target.truncate(buf_len as usize);
    let mut mem = h.mem();
    mem.write(buf, &target)?;
    mem.write_u32(bufused, len_u32(target.len())?)
}

fn path_rename(
    h: &mut dyn Host,
    fd: u32,
    old: u32,
    old_len: u32,
    new_fd: u32,
    new: u32,
    new_len: u32,
) -> Res {
    let (old, new) = {
        let mem = h.mem();
        (mem.string(old, old_len)?, mem.string(new, new_len)?)
    };
    let fds = &h.ctx().fds;
    path::rename(fds.dir_handle(fd)?, &old, fds.dir_handle(new_fd)?, &new)
}

fn path_symlink(h: &mut dyn Host, old: u32, old_len: u32, fd: u32, new: u32, new_len: u32) -> Res {
    let (old, new) = {
        let mem = h.mem();
        (mem.string(old, old_len)?, mem.string(new, new_len)?)
    };
    path::symlink(&old, h.ctx().fds.dir_handle(fd)?, &new)
}

// ---- sockets: none are ever open ----

fn not_a_socket(h: &mut dyn Host, fd: u32) -> Res {
    h.ctx().fds.get(fd)?;
    Err(Errno::NOTSOCK)
}

fn sock_accept(h: &mut dyn Host, fd: u32, _flags: u32, _new_fd: u32) -> Res {
    not_a_socket(h, fd)
}

fn sock_recv(
    h: &mut dyn Host,
    fd: u32,
    _data: u32,
    _data_len: u32,
    _flags: u32,
    _datalen: u32,
    _oflags: u32,
) -> Res {
    not_a_socket(h, fd)
}

fn sock_send(
    h: &mut dyn Host,
    fd: u32,
    _data: u32,
    _data_len: u32,
    _flags: u32,
    _datalen: u32,
) -> Res {
    not_a_socket(h, fd)
}

fn sock_shutdown(h: &mut dyn Host, fd: u32, _how: u32) -> Res {
    not_a_socket(h, fd)
}
