//! The KSCU interpreter (guests/formats/kscu.md), written the way Rust is usually written:
//! the update is a byte slice, every read of it goes through `get()` and returns a `Result`,
//! so a header, instance or field that does not fit in the update is a clean rejection.
//!
//! What is kept from the legacy C interpreter (lib-kscu/kscu.c), on purpose: no CRC, version
//! or length checks beyond what a slice read needs; padding entries skipped by their own
//! `inst_len` (a zero one never advances: Rust does not stop a loop from spinning); and the
//! evaluator trusts the TEMPLATE, indexing the instance's fields up to the number the template
//! declares (the July 2024 bug). Where C reads out of bounds, Rust panics: "index out of
//! bounds" in `eval_field`.
use std::fmt;

pub const MAGIC: u32 = 0x5543_534B;
const HDR_SIZE: usize = 32;
const INST_HDR: usize = 8;
const FIELD_HDR: usize = 4;

#[derive(Clone, Copy, Debug)]
pub enum Role {
    Comm,
    MaxUid,
    Action,
    ParentComm,
}

pub struct Template {
    pub kind: u16,
    pub name: &'static str,
    pub roles: &'static [Role],
}

static TEMPLATES: [Template; 2] = [
    Template {
        kind: 1,
        name: "exec-rule",
        roles: &[Role::Comm, Role::MaxUid, Role::Action],
    },
    Template {
        kind: 2,
        name: "exec-rule-ext",
        roles: &[Role::Comm, Role::MaxUid, Role::Action, Role::ParentComm],
    },
];

pub struct Field {
    #[allow(dead_code)] // the legacy logic never looks at a field's declared type
    pub kind: u16,
    pub data: Vec<u8>,
}

pub struct Instance {
    pub fields: Vec<Field>,
}

pub struct Content {
    pub template: &'static Template,
    pub instances: Vec<Instance>,
}

/// Why an update was refused. Every variant is a clean rejection: the active content stays.
#[derive(Debug)]
pub enum Reject {
    BadMagic(u32),
    UnknownTemplate(u16),
    /// A read of `need` bytes at `at` went past the end of the update (`len` bytes).
    Truncated {
        what: &'static str,
        at: usize,
        need: usize,
        len: usize,
    },
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Reject::BadMagic(m) => write!(f, "bad magic 0x{:08x}", m),
            Reject::UnknownTemplate(t) => write!(f, "unknown template type {}", t),
            Reject::Truncated {
                what,
                at,
                need,
                len,
            } => write!(
                f,
                "{} at offset {}: {} bytes past the end of the {}-byte update",
                what,
                at,
                (at + need).saturating_sub(*len),
                len
            ),
        }
    }
}

fn bytes<'a>(
    buf: &'a [u8],
    at: usize,
    need: usize,
    what: &'static str,
) -> Result<&'a [u8], Reject> {
    at.checked_add(need)
        .and_then(|end| buf.get(at..end))
        .ok_or(Reject::Truncated {
            what,
            at,
            need,
            len: buf.len(),
        })
}

fn le16(buf: &[u8], at: usize, what: &'static str) -> Result<u16, Reject> {
    let b = bytes(buf, at, 2, what)?;
    Ok(u16::from_le_bytes([b[0], b[1]]))
}

fn le32(buf: &[u8], at: usize, what: &'static str) -> Result<u32, Reject> {
    let b = bytes(buf, at, 4, what)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn template(kind: u16) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.kind == kind)
}

/// Parse the instance at `*off` and move `*off` past it (by its `inst_len`, as the legacy
/// parser does, whatever its fields covered).
#[inline(never)]
fn parse_instance(buf: &[u8], off: &mut usize) -> Result<Instance, Reject> {
    // Entries shorter than an instance header are padding, skipped by their own length.
    let inst_len = loop {
        let len = le32(buf, *off, "instance header")?;
        if len as usize >= INST_HDR {
            break len as usize;
        }
        *off += len as usize;
    };
    let count = le16(buf, *off + 4, "instance header")?;
    let mut at = *off + INST_HDR;
    let mut fields = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let kind = le16(buf, at, "field header")?;
        let len = le16(buf, at + 2, "field header")? as usize;
        let data = bytes(buf, at + FIELD_HDR, len, "field data")?;
        fields.push(Field {
            kind,
            data: data.to_vec(),
        });
        at += FIELD_HDR + len;
    }
    *off += inst_len;
    Ok(Instance { fields })
}

/// Build content from an update (the fields are copied out of it).
#[inline(never)]
pub fn load(buf: &[u8]) -> Result<Content, Reject> {
    let magic = le32(buf, 0, "header")?;
    if magic != MAGIC {
        return Err(Reject::BadMagic(magic));
    }
    let kind = le16(buf, 6, "header")?;
    let template = template(kind).ok_or(Reject::UnknownTemplate(kind))?;
    let count = le32(buf, 8, "header")?;
    let mut off = HDR_SIZE;
    let mut instances = Vec::new();
    while instances.len() < count as usize {
        instances.push(parse_instance(buf, &mut off)?);
    }
    Ok(Content {
        template,
        instances,
    })
}

/// What an exec looks like to the evaluator.
pub struct Event {
    pub comm: String,
    pub parent_comm: String,
    pub uid: u32,
}

fn le32_field(data: &[u8]) -> u32 {
    // The template says this field is a u32: four bytes are taken on its word.
    u32::from_le_bytes(data[..4].try_into().unwrap())
}

/// Test field `i` of an instance against the event. The caller passes every `i` the template
/// declares, so `i` may be past the instance's fields: the index below is the July 2024
/// out-of-bounds read, and here a panic.
#[inline(never)]
fn eval_field(inst: &Instance, i: usize, t: &Template, ev: &Event, action: &mut u32) -> bool {
    let f = &inst.fields[i];
    match t.roles[i] {
        Role::Comm => f.data == ev.comm.as_bytes(),
        Role::ParentComm => f.data == ev.parent_comm.as_bytes(),
        Role::MaxUid => ev.uid <= le32_field(&f.data),
        Role::Action => {
            *action = le32_field(&f.data);
            true
        }
    }
}

#[inline(never)]
fn matches(inst: &Instance, t: &Template, ev: &Event, action: &mut u32) -> bool {
    (0..t.roles.len()).all(|i| eval_field(inst, i, t, ev, action))
}

impl Content {
    /// Evaluate every instance against `ev`, in order; calls `on_match(rule, action)` for each
    /// instance that matches.
    #[inline(never)]
    pub fn eval(&self, ev: &Event, mut on_match: impl FnMut(usize, u32)) {
        for (i, inst) in self.instances.iter().enumerate() {
            let mut action = 0;
            if matches(inst, self.template, ev, &mut action) {
                on_match(i, action);
            }
        }
    }
}
