//! Clocks, sleeping and polling (`clock_*`, `poll_oneoff`), and randomness (`random_get`).

use super::WasiCtx;
use super::fd::Descriptor;
use super::types::{Errno, SUBSCRIPTION_CLOCK_ABSTIME, clockid, eventtype};
use rustix::time::ClockId;
use std::time::Duration;

fn host_clock(id: u32) -> Result<ClockId, Errno> {
    Ok(match id {
        clockid::REALTIME => ClockId::Realtime,
        clockid::MONOTONIC => ClockId::Monotonic,
        clockid::PROCESS_CPUTIME_ID => ClockId::ProcessCPUTime,
        clockid::THREAD_CPUTIME_ID => ClockId::ThreadCPUTime,
        _ => return Err(Errno::INVAL),
    })
}

fn to_nanos(t: rustix::time::Timespec) -> u64 {
    (t.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(t.tv_nsec as u64)
}

/// `clock_time_get`: the clock's time in nanoseconds.
pub(crate) fn time_get(id: u32) -> Result<u64, Errno> {
    Ok(to_nanos(rustix::time::clock_gettime(host_clock(id)?)))
}

/// `clock_res_get`: the clock's resolution in nanoseconds.
pub(crate) fn res_get(id: u32) -> Result<u64, Errno> {
    Ok(to_nanos(rustix::time::clock_getres(host_clock(id)?)).max(1))
}

/// `random_get`: bytes from the host's secure random source.
pub(crate) fn random(buf: &mut [u8]) -> Result<(), Errno> {
    getrandom::fill(buf).map_err(|_| Errno::IO)
}

/// One `$subscription` of `poll_oneoff`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Subscription {
    pub(crate) userdata: u64,
    pub(crate) kind: SubscriptionKind,
}

/// What a subscription waits for.
#[derive(Clone, Copy, Debug)]
pub(crate) enum SubscriptionKind {
    Clock { id: u32, timeout: u64, flags: u16 },
    Read(u32),
    Write(u32),
}

/// One `$event` of `poll_oneoff`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Event {
    pub(crate) userdata: u64,
    pub(crate) error: Errno,
    pub(crate) kind: u8,
    pub(crate) nbytes: u64,
}

impl Event {
    /// The layout in guest memory (32 bytes).
    pub(crate) fn to_bytes(self) -> [u8; 32] {
        let mut b = [0u8; 32];
        b[0..8].copy_from_slice(&self.userdata.to_le_bytes());
        b[8..10].copy_from_slice(&self.error.0.to_le_bytes());
        b[10] = self.kind;
        b[16..24].copy_from_slice(&self.nbytes.to_le_bytes());
        b
    }
}

/// `poll_oneoff`: waits until at least one subscription is ready and returns the ready
/// events. Files and output streams are always ready; the host's own stdin is polled for
/// real; other stdin streams (in-memory pipes) are always ready.
pub(crate) fn poll(ctx: &mut WasiCtx, subs: &[Subscription]) -> Result<Vec<Event>, Errno> {
    if subs.is_empty() {
        return Err(Errno::INVAL);
    }
    let mut events = Vec::new();
    let mut host_stdin = Vec::new();
    let mut deadline: Option<(Duration, usize)> = None;
    for (i, s) in subs.iter().enumerate() {
        let ev = |error: Errno, kind: u8, nbytes: u64| Event {
            userdata: s.userdata,
            error,
            kind,
            nbytes,
        };
        match s.kind {
            SubscriptionKind::Clock { id, timeout, flags } => {
                match clock_wait(id, timeout, flags) {
                    Ok(wait) => {
                        if deadline.is_none_or(|(d, _)| wait < d) {
                            deadline = Some((wait, i));
                        }
                    }
                    Err(e) => events.push(ev(e, eventtype::CLOCK, 0)),
                }
            }
            SubscriptionKind::Read(fd) => match ctx.fds.get(fd) {
                Err(e) => events.push(ev(e, eventtype::FD_READ, 0)),
                Ok(Descriptor::Input(input)) if input.host => host_stdin.push(i),
                Ok(Descriptor::Input(_)) => events.push(ev(Errno::SUCCESS, eventtype::FD_READ, 1)),
                Ok(Descriptor::File(f)) => {
                    use std::io::Seek;
                    let size = f.file.metadata().map_or(0, |m| m.len());
                    let pos = f.file.stream_position().unwrap_or(size);
                    events.push(ev(
                        Errno::SUCCESS,
                        eventtype::FD_READ,
                        size.saturating_sub(pos),
                    ));
                }
                Ok(_) => events.push(ev(Errno::BADF, eventtype::FD_READ, 0)),
            },
            SubscriptionKind::Write(fd) => match ctx.fds.get(fd) {
                Err(e) => events.push(ev(e, eventtype::FD_WRITE, 0)),
                Ok(Descriptor::Output(_) | Descriptor::File(_)) => {
                    events.push(ev(Errno::SUCCESS, eventtype::FD_WRITE, 0))
                }
                Ok(_) => events.push(ev(Errno::BADF, eventtype::FD_WRITE, 0)),
            },
        }
    }
    if !events.is_empty() {
        return Ok(events);
    }
    if !host_stdin.is_empty() {
        if stdin_ready(deadline.map(|(d, _)| d)) {
            return Ok(host_stdin
                .iter()
                .map(|&i| Event {
                    userdata: subs[i].userdata,
                    error: Errno::SUCCESS,
                    kind: eventtype::FD_READ,
                    nbytes: 1,
                })
                .collect());
        }
    } else if let Some((wait, _)) = deadline {
        std::thread::sleep(wait);
    }
    // The earliest clock has expired; report it and every other clock that has by now.
    let Some((_, first)) = deadline else {
        return Ok(events);
    };
    for (i, s) in subs.iter().enumerate() {
        if let SubscriptionKind::Clock { id, timeout, flags } = s.kind
            && (i == first || clock_wait(id, timeout, flags).is_ok_and(|w| w.is_zero()))
        {
            events.push(Event {
                userdata: s.userdata,
                error: Errno::SUCCESS,
                kind: eventtype::CLOCK,
                nbytes: 0,
            });
        }
    }
    Ok(events)
}

/// How long until a clock subscription expires (zero if it has).
fn clock_wait(id: u32, timeout: u64, flags: u16) -> Result<Duration, Errno> {
    if flags & SUBSCRIPTION_CLOCK_ABSTIME != 0 {
        let now = time_get(id)?;
        Ok(Duration::from_nanos(timeout.saturating_sub(now)))
    } else {
        host_clock(id)?;
        Ok(Duration::from_nanos(timeout))
    }
}

/// Waits until the host's stdin is readable (true) or `timeout` passes (false).
fn stdin_ready(timeout: Option<Duration>) -> bool {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    let stdin = std::io::stdin();
    let mut fds = [PollFd::new(&stdin, PollFlags::IN)];
    let ts = timeout.map(|d| Timespec {
        tv_sec: d.as_secs() as _,
        tv_nsec: d.subsec_nanos() as _,
    });
    loop {
        match poll(&mut fds, ts.as_ref()) {
            Ok(n) => return n > 0,
            Err(rustix::io::Errno::INTR) => continue,
            // If stdin cannot be polled, say it is ready and let the read report the problem.
            Err(_) => return true,
        }
    }
}
