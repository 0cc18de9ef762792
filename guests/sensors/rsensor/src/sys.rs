//! The few system calls std does not wrap: the proc connector's netlink socket, poll() and
//! setpriority(). Declared here against the C library std already links (std only: no libc
//! crate, so the build needs nothing from crates.io). Linux x86-64 values.
use std::io;
use std::os::unix::io::{AsRawFd, FromRawFd, OwnedFd, RawFd};

pub const AF_NETLINK: i32 = 16;
pub const SOCK_DGRAM: i32 = 2;
pub const SOCK_NONBLOCK: i32 = 0o4000;
pub const SOCK_CLOEXEC: i32 = 0o2000000;
pub const NETLINK_CONNECTOR: i32 = 11;
pub const SOL_SOCKET: i32 = 1;
pub const SO_RCVBUF: i32 = 8;
pub const POLLIN: i16 = 1;
const PRIO_PROCESS: i32 = 0;

#[repr(C)]
pub struct SockaddrNl {
    pub family: u16,
    pub pad: u16,
    pub pid: u32,
    pub groups: u32,
}

#[repr(C)]
pub struct PollFd {
    pub fd: RawFd,
    pub events: i16,
    pub revents: i16,
}

extern "C" {
    fn socket(domain: i32, kind: i32, protocol: i32) -> i32;
    fn bind(fd: i32, addr: *const SockaddrNl, len: u32) -> i32;
    fn setsockopt(fd: i32, level: i32, name: i32, value: *const i32, len: u32) -> i32;
    fn send(fd: i32, buf: *const u8, len: usize, flags: i32) -> isize;
    fn recv(fd: i32, buf: *mut u8, len: usize, flags: i32) -> isize;
    #[link_name = "poll"]
    fn c_poll(fds: *mut PollFd, n: u64, timeout: i32) -> i32;
    #[link_name = "setpriority"]
    fn c_setpriority(which: i32, who: u32, prio: i32) -> i32;
}

fn check(r: isize) -> io::Result<usize> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r as usize)
    }
}

pub fn netlink_socket(protocol: i32, groups: u32) -> io::Result<OwnedFd> {
    // SAFETY: plain system calls; the fd is owned from here on.
    let fd = check(unsafe {
        socket(
            AF_NETLINK,
            SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
            protocol,
        )
    } as isize)?;
    let fd = unsafe { OwnedFd::from_raw_fd(fd as RawFd) };
    let rcvbuf: i32 = 1 << 20;
    unsafe { setsockopt(fd.as_raw_fd(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, 4) };
    let sa = SockaddrNl {
        family: AF_NETLINK as u16,
        pad: 0,
        pid: 0,
        groups,
    };
    check(unsafe {
        bind(
            fd.as_raw_fd(),
            &sa,
            std::mem::size_of::<SockaddrNl>() as u32,
        )
    } as isize)?;
    Ok(fd)
}

pub fn send_bytes(fd: &OwnedFd, buf: &[u8]) -> io::Result<usize> {
    check(unsafe { send(fd.as_raw_fd(), buf.as_ptr(), buf.len(), 0) })
}

pub fn recv_bytes(fd: &OwnedFd, buf: &mut [u8]) -> io::Result<usize> {
    check(unsafe { recv(fd.as_raw_fd(), buf.as_mut_ptr(), buf.len(), 0) })
}

/// poll() over the given fds; returns which ones are readable (or errored).
pub fn poll_readable(fds: &[RawFd], timeout_ms: i32) -> io::Result<Vec<bool>> {
    let mut p: Vec<PollFd> = fds
        .iter()
        .map(|&fd| PollFd {
            fd,
            events: POLLIN,
            revents: 0,
        })
        .collect();
    let r = unsafe { c_poll(p.as_mut_ptr(), p.len() as u64, timeout_ms) };
    if r < 0 {
        let e = io::Error::last_os_error();
        if e.kind() == io::ErrorKind::Interrupted {
            return Ok(vec![false; fds.len()]);
        }
        return Err(e);
    }
    Ok(p.iter().map(|p| p.revents != 0).collect())
}

pub fn raise_priority(nice: i32) {
    unsafe { c_setpriority(PRIO_PROCESS, 0, nice) };
}
