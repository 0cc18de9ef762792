# The policy under test: one profile that attaches to a hard link of the guest's busybox. The
# trigger runs the program (exec attaches the profile) and has it open files, so each open goes
# through the profile's file DFA; the probe checks that the deny rule still holds.
# compile.sh turns this into the binary policy the kernel unpacks (scenarios/content/apparmor.aa).
abi <abi/3.0>,

profile faultline-confined /lib/sensor/busybox-confined {
  /lib/sensor/busybox-confined mr,
  /lib/sensor/allowed r,
  owner /proc/[0-9]*/attr/current r,
  deny /lib/sensor/secret rw,
  /tmp/faultline-confined/** rw,

  capability dac_override,
  capability chown,
  network unix stream,
  signal (receive) peer=unconfined,
  set rlimit nofile <= 256,

  # a hat: a second profile packed inside the first (its own DFA and records)
  ^probe {
    /lib/sensor/allowed r,
  }
}
