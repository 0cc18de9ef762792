//! rsensord — the KSCU interpreter in Rust (kscu.rs) as a user-mode daemon, the Rust twin of
//! ../usensor/usensord.c: same exec source (the proc connector), same control socket protocol
//! (lib-usermode/ctl.h: "reload", "stats"; replies "ok ...", "rejected REASON"), same notify
//! pipe for the supervisor (lib-usermode/notify.h), same log lines:
//!
//!   NAME: ready (content: N instances)
//!   NAME: loaded update: N instances (template T)
//!   NAME: rejected update: REASON
//!   NAME: match rule N on COMM
//!
//! A panic is Rust's own report on stderr ("thread 'main' panicked at 'index out of bounds:
//! ...', src/kscu.rs:LINE:COL" and a backtrace naming eval_field), then exit status 101.
//!
//!   rsensord --content FILE --socket PATH [--name NAME]
mod kscu;
mod procconn;
mod sys;

use std::env;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::io::{AsRawFd, FromRawFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::process;
use std::time::{Duration, Instant};

const WATCHDOG_PING: Duration = Duration::from_millis(500);

struct Counters {
    matches: u64,
    loads: u64,
    rejects: u64,
    events: u64,
    missed: u64,
}

struct Sensor {
    name: String,
    content_path: String,
    active: Option<kscu::Content>,
    n: Counters,
}

/// One line on stderr, in one write (the supervisor reads lines).
fn say(name: &str, msg: &str) {
    let line = format!("{}: {}\n", name, msg);
    let _ = io::stderr().write_all(line.as_bytes());
}

/// The supervisor's notify pipe (lib-usermode/notify.h), when there is one.
struct Notify(Option<File>);

impl Notify {
    fn from_env() -> Notify {
        let fd = env::var("NOTIFY_FD")
            .ok()
            .and_then(|v| v.parse::<i32>().ok());
        // SAFETY: the supervisor opened this fd for us and nothing else in the process uses it.
        Notify(
            fd.filter(|&fd| fd >= 0)
                .map(|fd| unsafe { File::from_raw_fd(fd) }),
        )
    }

    fn send(&mut self, msg: &str) {
        if let Some(f) = self.0.as_mut() {
            let _ = f.write_all(format!("{}\n", msg).as_bytes());
        }
    }
}

impl Sensor {
    /// Load the content file. Ok(reply) when it loaded or was rejected (the reply says which);
    /// Err when there is no file to read.
    fn reload(&mut self) -> io::Result<String> {
        let buf = fs::read(&self.content_path)?;
        match kscu::load(&buf) {
            Ok(c) => {
                let (n, t) = (c.instances.len(), c.template.name);
                self.active = Some(c);
                self.n.loads += 1;
                say(
                    &self.name,
                    &format!("loaded update: {} instances (template {})", n, t),
                );
                Ok(format!("ok loaded {} instances (template {})", n, t))
            }
            Err(why) => {
                // The previous content stays active.
                self.n.rejects += 1;
                say(&self.name, &format!("rejected update: {}", why));
                Ok(format!("rejected {}", why))
            }
        }
    }

    fn on_exec(&mut self, pid: i32) {
        self.n.events += 1;
        let ev = match procconn::describe(pid) {
            Ok(ev) => ev,
            Err(_) => {
                self.n.missed += 1; // gone before /proc could be read
                return;
            }
        };
        if let Some(c) = &self.active {
            let (name, n) = (&self.name, &mut self.n);
            c.eval(&ev, |rule, action| {
                n.matches += 1;
                if action == 0 {
                    say(name, &format!("match rule {} on {}", rule, ev.comm));
                }
            });
        }
    }

    fn command(&mut self, cmd: &str) -> String {
        match cmd {
            "reload" => self
                .reload()
                .unwrap_or_else(|e| format!("error cannot read {}: {}", self.content_path, e)),
            "stats" => format!(
                "ok matches={} loads={} rejects={} events={} missed={} instances={}",
                self.n.matches,
                self.n.loads,
                self.n.rejects,
                self.n.events,
                self.n.missed,
                self.active.as_ref().map_or(0, |c| c.instances.len())
            ),
            _ => format!("error unknown command '{}' (reload, stats)", cmd),
        }
    }

    fn serve(&mut self, stream: UnixStream) {
        // A client that connects and says nothing must not stop the daemon for long.
        let _ = stream.set_nonblocking(false);
        let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
        let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
        let mut line = String::new();
        let mut reader = BufReader::new(&stream);
        if reader.read_line(&mut line).is_err() || line.trim().is_empty() {
            return;
        }
        let reply = self.command(line.trim());
        let _ = (&stream).write_all(format!("{}\n", reply).as_bytes());
    }
}

fn usage(status: i32) -> ! {
    eprintln!("Usage: rsensord --content FILE --socket PATH [--name NAME]");
    process::exit(status);
}

fn main() {
    // The panic report names the function (eval_field) only with a backtrace.
    if env::var_os("RUST_BACKTRACE").is_none() {
        env::set_var("RUST_BACKTRACE", "1");
    }
    let mut args = env::args().skip(1);
    let (mut content, mut socket, mut name) = (None, None, String::from("rsensor"));
    while let Some(a) = args.next() {
        match a.as_str() {
            "--content" => content = args.next(),
            "--socket" => socket = args.next(),
            "--name" => name = args.next().unwrap_or_else(|| usage(2)),
            "--help" => usage(0),
            _ => usage(2),
        }
    }
    let (content_path, socket) = match (content, socket) {
        (Some(c), Some(s)) => (c, s),
        _ => usage(2),
    };
    // Win the race against short-lived processes (see procconn.rs).
    sys::raise_priority(-10);

    let pc = procconn::ProcConn::open().unwrap_or_else(|e| {
        say(
            &name,
            &format!("cannot subscribe to the proc connector: {}", e),
        );
        process::exit(1);
    });
    let _ = fs::remove_file(&socket);
    let listener = UnixListener::bind(&socket)
        .and_then(|l| l.set_nonblocking(true).map(|_| l))
        .unwrap_or_else(|e| {
            say(&name, &format!("cannot listen on {}: {}", socket, e));
            process::exit(1);
        });
    let mut notify = Notify::from_env();
    let mut s = Sensor {
        name,
        content_path,
        active: None,
        n: Counters {
            matches: 0,
            loads: 0,
            rejects: 0,
            events: 0,
            missed: 0,
        },
    };
    // What the last update left on disk: a restarted daemon loads it again.
    if let Err(e) = s.reload() {
        say(
            &s.name,
            &format!("no content yet (cannot read {}: {})", s.content_path, e),
        );
    }
    notify.send("READY=1");
    let n = s.active.as_ref().map_or(0, |c| c.instances.len());
    say(&s.name, &format!("ready (content: {} instances)", n));

    let mut last_ping: Option<Instant> = None;
    loop {
        if last_ping.map_or(true, |t| t.elapsed() >= WATCHDOG_PING) {
            notify.send("WATCHDOG=1");
            last_ping = Some(Instant::now());
        }
        let ready =
            sys::poll_readable(&[pc.raw_fd(), listener.as_raw_fd()], 500).unwrap_or_else(|e| {
                say(&s.name, &format!("poll: {}", e));
                process::exit(1);
            });
        if ready[0] {
            match pc.read_execs() {
                Ok(pids) => pids.into_iter().for_each(|pid| s.on_exec(pid)),
                Err(e) if e.raw_os_error() == Some(105) => {
                    say(&s.name, "exec events lost: the kernel's queue overflowed")
                }
                Err(e) => say(&s.name, &format!("proc connector: {}", e)),
            }
        }
        if ready[1] {
            while let Ok((stream, _)) = listener.accept() {
                s.serve(stream);
            }
        }
    }
}
