//! Process executions from the kernel's proc connector, as in lib-usermode/procconn.c: the
//! kernel sends the pid of each exec; the name, uid and parent come from /proc/PID afterwards
//! (a process already reaped by then is a missed event).
use crate::kscu::Event;
use crate::sys;
use std::fs;
use std::io;
use std::os::unix::io::{AsRawFd, OwnedFd, RawFd};

const CN_IDX_PROC: u32 = 1;
const CN_VAL_PROC: u32 = 1;
const PROC_CN_MCAST_LISTEN: u32 = 1;
const NLMSG_DONE: u16 = 3;
const PROC_EVENT_EXEC: u32 = 2;
const NLMSG_HDR: usize = 16;
const CN_MSG_HDR: usize = 20;

pub struct ProcConn {
    fd: OwnedFd,
}

impl ProcConn {
    pub fn open() -> io::Result<ProcConn> {
        let fd = sys::netlink_socket(sys::NETLINK_CONNECTOR, CN_IDX_PROC)?;
        // nlmsghdr (16) + cn_msg (20) + the u32 operation
        let mut m = Vec::with_capacity(NLMSG_HDR + CN_MSG_HDR + 4);
        m.extend_from_slice(&((NLMSG_HDR + CN_MSG_HDR + 4) as u32).to_ne_bytes());
        m.extend_from_slice(&NLMSG_DONE.to_ne_bytes());
        m.extend_from_slice(&0u16.to_ne_bytes()); // flags
        m.extend_from_slice(&0u32.to_ne_bytes()); // seq
        m.extend_from_slice(&0u32.to_ne_bytes()); // pid
        m.extend_from_slice(&CN_IDX_PROC.to_ne_bytes());
        m.extend_from_slice(&CN_VAL_PROC.to_ne_bytes());
        m.extend_from_slice(&0u32.to_ne_bytes()); // seq
        m.extend_from_slice(&0u32.to_ne_bytes()); // ack
        m.extend_from_slice(&4u16.to_ne_bytes()); // len
        m.extend_from_slice(&0u16.to_ne_bytes()); // flags
        m.extend_from_slice(&PROC_CN_MCAST_LISTEN.to_ne_bytes());
        sys::send_bytes(&fd, &m)?;
        Ok(ProcConn { fd })
    }

    pub fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// The tgids of the execs queued on the socket. Err(ENOBUFS): the kernel dropped events.
    pub fn read_execs(&self) -> io::Result<Vec<i32>> {
        let mut pids = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            let n = match sys::recv_bytes(&self.fd, &mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(pids),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let mut msg = &buf[..n];
            while msg.len() >= NLMSG_HDR {
                let len = u32::from_ne_bytes(msg[0..4].try_into().unwrap()) as usize;
                let kind = u16::from_ne_bytes(msg[4..6].try_into().unwrap());
                if len < NLMSG_HDR || len > msg.len() {
                    break;
                }
                let body = &msg[NLMSG_HDR..len];
                // cn_msg, then proc_event: what (u32), cpu (u32), timestamp (u64), then for
                // an exec: process_pid, process_tgid
                if kind == NLMSG_DONE && body.len() >= CN_MSG_HDR + 24 {
                    let idx = u32::from_ne_bytes(body[0..4].try_into().unwrap());
                    let ev = &body[CN_MSG_HDR..];
                    let what = u32::from_ne_bytes(ev[0..4].try_into().unwrap());
                    if idx == CN_IDX_PROC && what == PROC_EVENT_EXEC {
                        pids.push(i32::from_ne_bytes(ev[20..24].try_into().unwrap()));
                    }
                }
                let aligned = (len + 3) & !3;
                msg = msg.get(aligned..).unwrap_or(&[]);
            }
        }
    }
}

fn comm(pid: i32) -> io::Result<String> {
    let mut s = fs::read_to_string(format!("/proc/{}/comm", pid))?;
    if s.ends_with('\n') {
        s.pop();
    }
    s.truncate(15);
    Ok(s)
}

fn status_number(status: &str, key: &str) -> Option<i64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// What /proc says about `pid` now. Err(NotFound): the process is gone.
pub fn describe(pid: i32) -> io::Result<Event> {
    let comm = comm(pid)?;
    let status = fs::read_to_string(format!("/proc/{}/status", pid))?;
    let uid = status_number(&status, "Uid:").unwrap_or(0) as u32;
    let parent_comm = match status_number(&status, "PPid:") {
        Some(ppid) if ppid > 0 => crate::procconn::comm(ppid as i32).unwrap_or_default(),
        _ => String::new(),
    };
    Ok(Event {
        comm,
        parent_comm,
        uid,
    })
}
