#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Extracts one boot's scenario records from the Bochs serial log.

dom0's ScenarioMain streams every record line as `XOBS <seq> <base64>` the moment it is known, announces each call
that might crash Xen with `XCALL <base64 scenario\\tstep>`, and ends with `XEND <count> <sha256>`. If Xen panicked,
the last announced call is the one that killed it: it is recorded as `CRASH <panic line>` (what the emulator's
HypervisorCrashedException reports as well). usage: decode-report.py serial.log out.tsv bootname panicked(0|1)
Exit 1 if the boot did not finish its suite (no XEND and no panic) or a line was lost or garbled."""
import base64, hashlib, re, sys

serial, out, name, panicked = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
text = open(serial, "rb").read().decode("latin-1")
obs, last_call, end, ok = {}, None, None, True
for line in text.splitlines():
    line = line.strip("\r")
    m = re.match(r"^XOBS (\d+) ([A-Za-z0-9+/=]+)$", line)
    if m:
        try:
            obs[int(m.group(1))] = base64.b64decode(m.group(2), validate=True).decode()
        except Exception:
            print(f"[{name}] garbled line: {line[:80]}"); ok = False
        continue
    m = re.match(r"^XCALL ([A-Za-z0-9+/=]+)$", line)
    if m:
        last_call = base64.b64decode(m.group(1)).decode(); continue
    m = re.match(r"^XEND (\d+) ([0-9a-f]{64})$", line)
    if m:
        end = (int(m.group(1)), m.group(2))
lines = [obs[k] for k in sorted(obs)]
if sorted(obs) != list(range(1, len(obs) + 1)):
    print(f"[{name}] record lines missing: got {len(obs)}, highest {max(obs) if obs else 0}"); ok = False
if panicked:
    panic = re.search(r"\(XEN\) (Xen BUG at [^\r\n]*|Assertion [^\r\n]*|FATAL[^\r\n]*)", text)
    what = panic.group(1).strip() if panic else "Panic on CPU"
    if last_call:
        scen, step = last_call.split("\t", 1)
        lines.append(f"{scen}\t{step}\tCRASH\t{what}")
        failed = any(l.split("\t")[0] == scen and l.split("\t")[1].startswith("!") for l in lines)
        lines.append(f"{scen}\t@status\t{'FAIL' if failed else 'PASS'}\t")
    else:
        print(f"[{name}] Xen panicked outside an announced call: {what}"); ok = False
elif end is None:
    print(f"[{name}] the suite did not finish (no XEND line)"); ok = False
else:
    digest = hashlib.sha256("".join(l + "\n" for l in lines).encode()).hexdigest()
    if end != (len(lines), digest):
        print(f"[{name}] record stream corrupt: XEND says {end[0]} lines, got {len(lines)}; digest match: {end[1] == digest}")
        ok = False
with open(out, "w") as f:
    f.write("".join(l + "\n" for l in lines))
print(f"[{name}] {len(lines)} record lines -> {out}")
sys.exit(0 if ok else 1)
